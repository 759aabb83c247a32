/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * JSON lines: one self-contained object per element.  Field names and
 * types are documented in README.md ("JSON output"); absent attributes are
 * left out rather than given placeholder values.
 */
#include <string.h>

#include "vigil/fmt.h"
#include "vigil/mrt.h"

static void
key(struct vg_obuf *o, const char *k)
{
	vg_obuf_put(o, ",\"", 2);
	vg_obuf_puts(o, k);
	vg_obuf_put(o, "\":", 2);
}

static void
hex(struct vg_obuf *o, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	vg_obuf_putc(o, '"');
	for (size_t i = 0; i < n; i++) {
		vg_obuf_putc(o, hx[p[i] >> 4]);
		vg_obuf_putc(o, hx[p[i] & 15]);
	}
	vg_obuf_putc(o, '"');
}

static void
attrs_json(struct vg_obuf *o, const struct vg_elem *e)
{
	const struct bgp_attrs *a = e->attrs;
	char b[256];

	if (e->path) {
		size_t need = bgp_path_fmt(e->path, NULL, 0);
		key(o, "as_path");
		if (need < sizeof(b)) {
			bgp_path_fmt(e->path, b, sizeof(b));
			vg_obuf_json_str(o, b, need);
		} else if (vg_obuf_reserve(o, need + 3) == 0) {
			o->buf[o->len++] = '"';
			bgp_path_fmt(e->path, o->buf + o->len, need + 1);
			o->len += need;
			o->buf[o->len++] = '"';
		}
		key(o, "origin_asn");
		vg_obuf_u32(o, bgp_path_origin(e->path));
	}
	if (BGP_HAS(a, BGP_ATTR_ORIGIN)) {
		key(o, "origin");
		vg_obuf_puts(o, a->origin == 0   ? "\"IGP\""
		                : a->origin == 1 ? "\"EGP\""
		                                 : "\"INCOMPLETE\"");
	}
	if (e->nexthop.afi) {
		key(o, "next_hop");
		vg_obuf_json_addr(o, &e->nexthop);
	}
	if (BGP_HAS(a, BGP_ATTR_MP_REACH_NLRI) && a->mp_reach.nh_len == 32) {
		struct vg_addr ll = {.afi = VG_AFI_IP6};
		memcpy(ll.addr, a->mp_reach.nh + 16, 16);
		key(o, "next_hop_link_local");
		vg_obuf_json_addr(o, &ll);
	}
	if (BGP_HAS(a, BGP_ATTR_LOCAL_PREF)) {
		key(o, "local_pref");
		vg_obuf_u32(o, a->local_pref);
	}
	if (BGP_HAS(a, BGP_ATTR_MED)) {
		key(o, "med");
		vg_obuf_u32(o, a->med);
	}
	if (BGP_HAS(a, BGP_ATTR_COMMUNITIES)) {
		key(o, "communities");
		vg_obuf_putc(o, '[');
		for (uint32_t i = 0; i + 4 <= a->communities.len; i += 4) {
			uint32_t c = vg_load_be32(a->communities.p + i);
			if (i)
				vg_obuf_putc(o, ',');
			vg_obuf_putc(o, '"');
			vg_obuf_u32(o, c >> 16);
			vg_obuf_putc(o, ':');
			vg_obuf_u32(o, c & 0xffff);
			vg_obuf_putc(o, '"');
		}
		vg_obuf_putc(o, ']');
	}
	if (BGP_HAS(a, BGP_ATTR_LARGE_COMMUNITIES)) {
		key(o, "large_communities");
		vg_obuf_putc(o, '[');
		for (uint32_t i = 0; i + 12 <= a->large_communities.len; i += 12) {
			const uint8_t *q = a->large_communities.p + i;
			if (i)
				vg_obuf_putc(o, ',');
			vg_obuf_putc(o, '"');
			vg_obuf_u32(o, vg_load_be32(q));
			vg_obuf_putc(o, ':');
			vg_obuf_u32(o, vg_load_be32(q + 4));
			vg_obuf_putc(o, ':');
			vg_obuf_u32(o, vg_load_be32(q + 8));
			vg_obuf_putc(o, '"');
		}
		vg_obuf_putc(o, ']');
	}
	if (BGP_HAS(a, BGP_ATTR_EXT_COMMUNITIES)) {
		key(o, "ext_communities");
		vg_obuf_putc(o, '[');
		for (uint32_t i = 0; i + 8 <= a->ext_communities.len; i += 8) {
			if (i)
				vg_obuf_putc(o, ',');
			hex(o, a->ext_communities.p + i, 8);
		}
		vg_obuf_putc(o, ']');
	}
	if (BGP_HAS(a, BGP_ATTR_ATOMIC_AGGREGATE)) {
		key(o, "atomic_aggregate");
		vg_obuf_puts(o, "true");
	}
	if (BGP_HAS(a, BGP_ATTR_AGGREGATOR)) {
		uint32_t as = a->aggregator_as;
		const uint8_t *ip = a->aggregator_addr;
		if (a->asn_size == 2 && as == BGP_AS_TRANS &&
		    BGP_HAS(a, BGP_ATTR_AS4_AGGREGATOR)) {
			as = a->as4_aggregator_as;
			ip = a->as4_aggregator_addr;
		}
		key(o, "aggregator");
		vg_obuf_puts(o, "{\"asn\":");
		vg_obuf_u32(o, as);
		vg_obuf_puts(o, ",\"addr\":");
		vg_obuf_json_ip4(o, ip);
		vg_obuf_putc(o, '}');
	}
	if (BGP_HAS(a, BGP_ATTR_ORIGINATOR_ID)) {
		key(o, "originator_id");
		vg_obuf_json_ip4(o, a->originator_id);
	}
	if (BGP_HAS(a, BGP_ATTR_CLUSTER_LIST)) {
		key(o, "cluster_list");
		vg_obuf_putc(o, '[');
		for (uint32_t i = 0; i + 4 <= a->cluster_list.len; i += 4) {
			if (i)
				vg_obuf_putc(o, ',');
			vg_obuf_json_ip4(o, a->cluster_list.p + i);
		}
		vg_obuf_putc(o, ']');
	}
	if (BGP_HAS(a, BGP_ATTR_OTC)) {
		key(o, "otc");
		vg_obuf_u32(o, a->otc);
	}
	if (a->n_raw) {
		key(o, "unknown_attrs");
		vg_obuf_putc(o, '[');
		for (unsigned i = 0; i < a->n_raw; i++) {
			if (i)
				vg_obuf_putc(o, ',');
			vg_obuf_puts(o, "{\"type\":");
			vg_obuf_u32(o, a->raw[i].type);
			vg_obuf_puts(o, ",\"flags\":");
			vg_obuf_u32(o, a->raw[i].flags);
			vg_obuf_puts(o, ",\"value\":");
			hex(o, a->raw[i].val.p, a->raw[i].val.len);
			vg_obuf_putc(o, '}');
		}
		vg_obuf_putc(o, ']');
	}
}

void
fmt_json_elem(const struct fmt_json *f, struct vg_obuf *o,
              const struct vg_elem *e)
{
	const struct mrt_record *rec = e->source;
	char b[VG_PREFIX_STRLEN];

	vg_obuf_puts(o, "{\"type\":\"");
	vg_obuf_puts(o, vg_elem_type_name((enum vg_elem_type)e->type));
	vg_obuf_puts(o, "\",\"timestamp\":");
	vg_obuf_u32(o, e->time_sec);
	if (e->time_usec) {
		key(o, "usec");
		vg_obuf_u32(o, e->time_usec);
	}
	if (f && f->collector) {
		key(o, "collector");
		vg_obuf_json_str(o, f->collector, strlen(f->collector));
	}
	key(o, "peer");
	vg_obuf_json_addr(o, &e->peer_addr);
	key(o, "peer_asn");
	vg_obuf_u32(o, e->peer_asn);
	if (e->type == VG_ELEM_STATE) {
		key(o, "old_state");
		vg_obuf_putc(o, '"');
		vg_obuf_puts(o, vg_bgp_state_name(e->old_state));
		vg_obuf_putc(o, '"');
		key(o, "new_state");
		vg_obuf_putc(o, '"');
		vg_obuf_puts(o, vg_bgp_state_name(e->new_state));
		vg_obuf_putc(o, '"');
	} else {
		key(o, "prefix");
		vg_obuf_putc(o, '"');
		vg_obuf_put(o, b, vg_prefix_fmt(b, &e->prefix));
		vg_obuf_putc(o, '"');
		if (e->prefix.safi != VG_SAFI_UNICAST) {
			key(o, "safi");
			vg_obuf_u32(o, e->prefix.safi);
		}
		if (e->flags & VG_ELEM_F_PATH_ID) {
			key(o, "path_id");
			vg_obuf_u32(o, e->path_id);
		}
		if (e->type == VG_ELEM_RIB && e->originated) {
			key(o, "originated");
			vg_obuf_u32(o, e->originated);
		}
		if (e->flags & VG_ELEM_F_TAW) {
			key(o, "rfc7606");
			vg_obuf_puts(o, "\"treat-as-withdraw\"");
		}
		if (e->attrs)
			attrs_json(o, e);
	}
	if (e->flags & VG_ELEM_F_BMP) {
		fmt_json_bmp_src(o, e);
	} else if (rec) {
		const char *sub = mrt_subtype_name(rec->type, rec->subtype);
		key(o, "mrt");
		vg_obuf_puts(o, "{\"type\":\"");
		vg_obuf_puts(o, mrt_type_name(rec->type));
		vg_obuf_puts(o, "\",\"subtype\":");
		if (sub) {
			vg_obuf_putc(o, '"');
			vg_obuf_puts(o, sub);
			vg_obuf_putc(o, '"');
		} else {
			vg_obuf_u32(o, rec->subtype);
		}
		vg_obuf_puts(o, ",\"record\":");
		vg_obuf_u64(o, (unsigned long long)rec->index);
		vg_obuf_putc(o, '}');
	}
	vg_obuf_put(o, "}\n", 2);
}
