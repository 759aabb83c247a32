/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * JSON for BMP (README.md, "BMP"): the "bmp" object added to the elements
 * of a BMP session (route monitoring, and the state elements of Peer Up /
 * Peer Down with the message's details), and one object per message that
 * makes no element (Initiation, Termination, Statistics Report, Route
 * Mirroring, End-of-RIB).
 */
#include <string.h>

#include "vigil/bmp.h"
#include "vigil/fmt.h"

static void
key(struct vg_obuf *o, const char *k)
{
	vg_obuf_put(o, ",\"", 2);
	vg_obuf_puts(o, k);
	vg_obuf_put(o, "\":", 2);
}

static void
first_key(struct vg_obuf *o, const char *k)
{
	vg_obuf_putc(o, '"');
	vg_obuf_puts(o, k);
	vg_obuf_put(o, "\":", 2);
}

static void
str(struct vg_obuf *o, const char *s)
{
	vg_obuf_json_str(o, s, strlen(s));
}

static void
boolean(struct vg_obuf *o, int v)
{
	vg_obuf_puts(o, v ? "true" : "false");
}

static int
rd_zero(const uint8_t rd[8])
{
	for (int i = 0; i < 8; i++)
		if (rd[i])
			return 0;
	return 1;
}

/* Printable TLV text (sysName, sysDescr, strings): JSON-escaped. */
static void
tlv_text(struct vg_obuf *o, const struct bmp_tlv *t)
{
	vg_obuf_json_str(o, (const char *)t->val.p, t->val.len);
}

/* "router","msg","index" and the per-peer header fields. */
static void
peer_fields(struct vg_obuf *o, const struct bmp_msg *m, const char *router,
            uint64_t index)
{
	char b[32];
	first_key(o, "router");
	str(o, router ? router : "-");
	key(o, "msg");
	str(o, bmp_msg_type_name(m->type));
	key(o, "index");
	vg_obuf_u64(o, (unsigned long long)index);
	if (!m->has_peer)
		return;
	key(o, "peer_type");
	if (m->peer.type <= BMP_PEER_LOC_RIB)
		str(o, bmp_peer_type_name(m->peer.type));
	else
		vg_obuf_u32(o, m->peer.type);
	key(o, "peer_flags");
	vg_obuf_u32(o, m->peer.flags);
	if (m->peer.type == BMP_PEER_LOC_RIB) {
		key(o, "filtered");
		boolean(o, m->peer.flags & BMP_PEER_F_F);
	} else {
		key(o, "post_policy");
		boolean(o, m->peer.flags & BMP_PEER_F_L);
		key(o, "adj_rib_out");
		boolean(o, m->peer.flags & BMP_PEER_F_O);
		if (m->peer.flags & BMP_PEER_F_A) {
			key(o, "as2");
			boolean(o, 1);
		}
	}
	if (!rd_zero(m->peer.rd)) {
		key(o, "peer_rd");
		str(o, bmp_rd_str(m->peer.rd, b));
	}
	key(o, "peer_bgp_id");
	vg_obuf_json_ip4(o, m->peer.bgp_id);
}

static void
open_json(struct vg_obuf *o, const struct bgp_open *op)
{
	vg_obuf_puts(o, "{\"asn\":");
	vg_obuf_u32(o, bgp_open_asn(op));
	key(o, "bgp_id");
	vg_obuf_json_ip4(o, op->bgp_id);
	key(o, "hold_time");
	vg_obuf_u32(o, op->hold_time);
	key(o, "as4");
	boolean(o, op->as4 != 0);
	key(o, "mp");
	vg_obuf_putc(o, '[');
	for (unsigned i = 0; i < op->n_mp; i++) {
		if (i)
			vg_obuf_putc(o, ',');
		vg_obuf_putc(o, '"');
		vg_obuf_u32(o, op->mp[i].afi);
		vg_obuf_putc(o, '/');
		vg_obuf_u32(o, op->mp[i].safi);
		vg_obuf_putc(o, '"');
	}
	vg_obuf_putc(o, ']');
	if (op->n_addpath) {
		key(o, "add_path");
		vg_obuf_putc(o, '[');
		for (unsigned i = 0; i < op->n_addpath; i++) {
			if (i)
				vg_obuf_putc(o, ',');
			vg_obuf_putc(o, '"');
			vg_obuf_u32(o, op->addpath[i].afi);
			vg_obuf_putc(o, '/');
			vg_obuf_u32(o, op->addpath[i].safi);
			vg_obuf_putc(o, '/');
			vg_obuf_puts(o, op->addpath[i].mode == 1   ? "receive"
			                : op->addpath[i].mode == 2 ? "send"
			                                           : "both");
			vg_obuf_putc(o, '"');
		}
		vg_obuf_putc(o, ']');
	}
	vg_obuf_putc(o, '}');
}

/* Information TLVs by name (RFC 7854 4.3/4.4, RFC 9069 5.3 VRF/table
 * name, RFC 8671 admin label); unknown ones as {"type":T,"len":L}. */
static void
tlvs_json(struct vg_obuf *o, const struct bmp_msg *m)
{
	int any = 0;
	key(o, "info");
	vg_obuf_putc(o, '{');
	for (unsigned i = 0; i < m->n_tlv; i++) {
		const struct bmp_tlv *t = &m->tlv[i];
		const char *name = NULL;
		if (m->type == BMP_INITIATION)
			name = t->type == 1 ? "sysdescr"
			       : t->type == 2 ? "sysname" : NULL;
		else if (m->type == BMP_PEER_UP)
			name = t->type == 3 ? "vrf_table_name"
			       : t->type == 4 ? "admin_label" : NULL;
		if (name) {
			if (any++)
				vg_obuf_putc(o, ',');
			first_key(o, name);
			tlv_text(o, t);
		}
	}
	/* strings (type 0), possibly several */
	int nstr = 0;
	for (unsigned i = 0; i < m->n_tlv; i++)
		if (m->tlv[i].type == 0 && m->type != BMP_ROUTE_MIRRORING)
			nstr++;
	if (nstr) {
		if (any++)
			vg_obuf_putc(o, ',');
		first_key(o, "string");
		vg_obuf_putc(o, '[');
		for (unsigned i = 0, k = 0; i < m->n_tlv; i++) {
			if (m->tlv[i].type != 0)
				continue;
			if (k++)
				vg_obuf_putc(o, ',');
			tlv_text(o, &m->tlv[i]);
		}
		vg_obuf_putc(o, ']');
	}
	int nunk = 0;
	for (unsigned i = 0; i < m->n_tlv; i++) {
		unsigned t = m->tlv[i].type;
		int known = t == 0 || (m->type == BMP_INITIATION && (t == 1 || t == 2)) ||
		            (m->type == BMP_PEER_UP && (t == 3 || t == 4)) ||
		            (m->type == BMP_TERMINATION && t == 1);
		if (known)
			continue;
		if (!nunk++) {
			if (any++)
				vg_obuf_putc(o, ',');
			first_key(o, "other");
			vg_obuf_putc(o, '[');
		} else {
			vg_obuf_putc(o, ',');
		}
		vg_obuf_puts(o, "{\"type\":");
		vg_obuf_u32(o, t);
		vg_obuf_puts(o, ",\"len\":");
		vg_obuf_u32(o, m->tlv[i].val.len);
		vg_obuf_putc(o, '}');
	}
	if (nunk)
		vg_obuf_putc(o, ']');
	vg_obuf_putc(o, '}');
}

static void
peer_up_down(struct vg_obuf *o, const struct bmp_msg *m)
{
	if (m->type == BMP_PEER_UP) {
		key(o, "local_addr");
		vg_obuf_json_addr(o, &m->local_addr);
		key(o, "local_port");
		vg_obuf_u32(o, m->local_port);
		key(o, "remote_port");
		vg_obuf_u32(o, m->remote_port);
		key(o, "sent_open");
		open_json(o, &m->sent);
		key(o, "recv_open");
		open_json(o, &m->rcvd);
		tlvs_json(o, m);
		return;
	}
	key(o, "reason");
	vg_obuf_u32(o, m->reason);
	key(o, "reason_text");
	str(o, bmp_down_reason_name(m->reason));
	if (m->reason == BMP_DOWN_LOCAL_NO_NOTIFY) {
		key(o, "fsm_event");
		vg_obuf_u32(o, m->fsm_event);
	}
	if (m->has_notification) {
		const struct bgp_notification *n = &m->notification;
		const char *sub = bgp_notification_subcode_name(n->code, n->subcode);
		key(o, "notification");
		vg_obuf_puts(o, "{\"code\":");
		vg_obuf_u32(o, n->code);
		key(o, "subcode");
		vg_obuf_u32(o, n->subcode);
		key(o, "text");
		vg_obuf_putc(o, '"');
		vg_obuf_puts(o, bgp_notification_code_name(n->code));
		if (sub) {
			vg_obuf_putc(o, '/');
			vg_obuf_puts(o, sub);
		}
		vg_obuf_putc(o, '"');
		if (n->shutdown_msg[0]) {
			key(o, "shutdown_msg");
			str(o, n->shutdown_msg);
		}
		vg_obuf_putc(o, '}');
	}
	if (m->reason == BMP_DOWN_LOCAL_TLV)
		tlvs_json(o, m);
}

void
fmt_json_bmp_src(struct vg_obuf *o, const struct vg_elem *e)
{
	const struct bmp_elem_src *src = e->source;
	const struct bmp_msg *m = src->msg;
	char b[32];

	key(o, "bmp");
	vg_obuf_putc(o, '{');
	peer_fields(o, m, src->router, src->index);
	if (src->has_rd) {
		key(o, "rd");
		str(o, bmp_rd_str(src->rd, b));
	}
	if (src->n_labels) {
		key(o, "labels");
		vg_obuf_putc(o, '[');
		for (unsigned i = 0; i < src->n_labels; i++) {
			if (i)
				vg_obuf_putc(o, ',');
			vg_obuf_u32(o, src->labels[i]);
		}
		vg_obuf_putc(o, ']');
	}
	if (m->type == BMP_PEER_UP || m->type == BMP_PEER_DOWN)
		peer_up_down(o, m);
	vg_obuf_putc(o, '}');
}

void
fmt_json_bmp_msg(struct vg_obuf *o, const struct bmp_msg *m,
                 const char *router, uint64_t index, int eor, unsigned afi,
                 unsigned safi)
{
	vg_obuf_puts(o, "{\"type\":\"");
	vg_obuf_puts(o, eor ? "end_of_rib" : "bmp");
	vg_obuf_puts(o, "\",\"timestamp\":");
	vg_obuf_u32(o, m->has_peer ? m->peer.ts_sec : 0);
	if (m->has_peer && m->peer.ts_usec) {
		key(o, "usec");
		vg_obuf_u32(o, m->peer.ts_usec);
	}
	if (m->has_peer) {
		key(o, "peer");
		vg_obuf_json_addr(o, &m->peer.addr);
		key(o, "peer_asn");
		vg_obuf_u32(o, m->peer.asn);
	}
	if (eor) {
		key(o, "afi");
		vg_obuf_u32(o, afi);
		key(o, "safi");
		vg_obuf_u32(o, safi);
	}
	key(o, "bmp");
	vg_obuf_putc(o, '{');
	peer_fields(o, m, router, index);
	switch (m->type) {
	case BMP_INITIATION:
		tlvs_json(o, m);
		break;
	case BMP_TERMINATION:
		if (m->term_reason != 0xffff) {
			static const char *const r[] = {
			    "administratively closed", "unspecified",
			    "out of resources", "redundant connection",
			    "permanently administratively closed"};
			key(o, "reason");
			vg_obuf_u32(o, m->term_reason);
			if (m->term_reason < 5) {
				key(o, "reason_text");
				str(o, r[m->term_reason]);
			}
		}
		tlvs_json(o, m);
		break;
	case BMP_STATISTICS:
		key(o, "stats");
		vg_obuf_putc(o, '[');
		for (uint32_t i = 0; i < m->n_stats && i < BMP_MAX_STATS; i++) {
			const struct bmp_stat *s = &m->stats[i];
			const char *name = bmp_stat_name(s->type);
			if (i)
				vg_obuf_putc(o, ',');
			vg_obuf_puts(o, "{\"type\":");
			vg_obuf_u32(o, s->type);
			if (name) {
				key(o, "name");
				str(o, name);
			}
			if (s->known) {
				key(o, "value");
				vg_obuf_u64(o, (unsigned long long)s->value);
			} else {
				key(o, "len");
				vg_obuf_u32(o, s->raw.len);
			}
			if (s->afi) {
				key(o, "afi");
				vg_obuf_u32(o, s->afi);
				key(o, "safi");
				vg_obuf_u32(o, s->safi);
			}
			vg_obuf_putc(o, '}');
		}
		vg_obuf_putc(o, ']');
		if (m->n_stats > BMP_MAX_STATS) {
			key(o, "stats_total");
			vg_obuf_u32(o, m->n_stats);
		}
		break;
	case BMP_ROUTE_MIRRORING:
		if (m->bgp.p) {
			key(o, "bgp_type");
			vg_obuf_u32(o, m->bgp_type);
			key(o, "bgp_len");
			vg_obuf_u32(o, m->bgp.len);
		}
		if (m->mirror_info != 0xffff) {
			key(o, "mirror_info");
			vg_obuf_u32(o, m->mirror_info);
		}
		key(o, "note");
		str(o, "mirrored messages are counted, not decoded into "
		       "elements");
		break;
	default:
		break;
	}
	vg_obuf_put(o, "}}\n", 3);
}
