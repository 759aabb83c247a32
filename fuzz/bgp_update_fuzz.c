/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the UPDATE decoders (src/wire/bgp_msg.c,
 * bgp_attr.c, bgp_nlri.c, bgp_path.c).  The first input byte selects the
 * decoding options, the rest is an UPDATE body (or, with bit 5, a bare
 * path attribute block as a TABLE_DUMP_V2 RIB entry carries it):
 *
 *   bit 0  asn_size 4 (else 2)      bit 3  rib_afi IPv6 (else IPv4)
 *   bit 1  ADD-PATH NLRI            bit 4  rib_safi multicast
 *   bit 2  mrt_rib                  bit 5  bare attribute block
 *   bit 6  cut (the message was cut short by the recorder)
 *
 * Every NLRI field is iterated, the AS path built and formatted, and the
 * invariants the rest of vigil relies on are checked: prefixes within
 * 32/128 bits with host bits clear, spans inside the input, diagnostics
 * with offsets inside the input, bgp_path_fmt's length equal to the text.
 * The attributes are also written as a RIB dump entry carries them
 * (mrt_rib_attrs_encode, src/wire/mrt_write.c) and decoded back: no
 * problem, and the same ORIGIN, AS path, NEXT_HOP, MED, LOCAL_PREF and
 * communities.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/bgp.h"
#include "vigil/mrt_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INVARIANT(cond)                                                     \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "bgp_update_fuzz: invariant %s "    \
			                "failed at %s:%d\n", #cond,         \
			        __FILE__, __LINE__);                        \
			abort();                                            \
		}                                                           \
	} while (0)

static const uint8_t *in_lo, *in_hi; /* the body being decoded */

static void
check_span(const uint8_t *p, uint32_t len)
{
	volatile uint8_t sink = 0;

	if (len == 0)
		return;
	INVARIANT(p >= in_lo && p + len <= in_hi);
	sink ^= p[0];
	sink ^= p[len - 1];
	(void)sink;
}

static void
check_diag(const struct vg_diag *d, size_t len)
{
	INVARIANT(d->n <= VG_DIAG_MAX);
	if (d->dropped)
		INVARIANT(d->n == VG_DIAG_MAX);
	for (unsigned i = 0; i < d->n; i++) {
		const struct vg_problem *q = &d->items[i];
		size_t ml = strnlen(q->msg, VG_DIAG_MSGLEN);
		INVARIANT(ml > 0 && ml < VG_DIAG_MSGLEN);
		INVARIANT(q->err >= VG_ERR_TRUNCATED &&
		          q->err <= VG_ERR_UNSUPPORTED);
		INVARIANT(q->action <= VG_ACT_PARTIAL);
		INVARIANT(q->offset <= len);
	}
}

/* Walk one NLRI field; returns the number of prefixes. */
static unsigned
walk_nlri(struct bgp_span s, unsigned afi, unsigned safi, int addpath)
{
	struct bgp_nlri_iter it;
	struct vg_prefix p;
	struct vg_diag d;
	uint32_t pid;
	unsigned n = 0, steps = 0;
	int rc;

	check_span(s.p, s.len);
	vg_diag_reset(&d);
	bgp_nlri_init(&it, s, afi, safi, addpath, 0);
	while ((rc = bgp_nlri_next(&it, &p, &pid, &d)) > 0) {
		unsigned max = afi == VG_AFI_IP4 ? 32 : 128;
		uint8_t masked[16];

		INVARIANT(p.afi == afi && p.safi == safi);
		INVARIANT(p.len <= max);
		memcpy(masked, p.addr, 16);
		vg_addr_mask(masked, p.len, 16);
		INVARIANT(memcmp(masked, p.addr, 16) == 0);
		if (!addpath)
			INVARIANT(pid == 0);
		n++;
		/* every entry takes at least one byte */
		INVARIANT(++steps <= s.len);
	}
	INVARIANT(rc == 0 || d.n == 1);
	check_diag(&d, s.len);
	/* the iterator stays at its end */
	INVARIANT(bgp_nlri_next(&it, &p, &pid, &d) == 0);
	return n;
}

static void
check_path(const struct bgp_attrs *a)
{
	struct bgp_path path;
	char small[8];
	size_t need, got;
	char *full;
	uint32_t total = 0;

	bgp_path_init(&path);
	INVARIANT(bgp_path_build(&path, a) == 0);
	for (uint32_t s = 0; s < path.nseg; s++) {
		INVARIANT(path.seg_type[s] >= BGP_AS_SET &&
		          path.seg_type[s] <= BGP_AS_CONFED_SET);
		total += path.seg_len[s];
	}
	INVARIANT(total == path.nasn);
	INVARIANT(bgp_path_count(&path) <= path.nasn);
	if (!BGP_HAS(a, BGP_ATTR_AS_PATH))
		INVARIANT(path.nseg == 0);
	if (bgp_path_origin(&path) != 0)
		INVARIANT(path.seg_type[path.nseg - 1] == BGP_AS_SEQUENCE);

	need = bgp_path_fmt(&path, NULL, 0);
	got = bgp_path_fmt(&path, small, sizeof(small));
	INVARIANT(got == need);
	INVARIANT(strlen(small) ==
	          (need < sizeof(small) ? need : sizeof(small) - 1));
	full = malloc(need + 1);
	INVARIANT(full != NULL);
	got = bgp_path_fmt(&path, full, need + 1);
	INVARIANT(got == need && strlen(full) == need);
	INVARIANT(strncmp(full, small, strlen(small)) == 0);
	/* one byte short: cut, still terminated */
	if (need > 0) {
		got = bgp_path_fmt(&path, full, need);
		INVARIANT(got == need && strlen(full) == need - 1);
	}
	free(full);
	/* Building again into the same (grown) arrays gives the same path. */
	{
		uint32_t nasn = path.nasn, nseg = path.nseg;
		INVARIANT(bgp_path_build(&path, a) == 0);
		INVARIANT(path.nasn == nasn && path.nseg == nseg);
	}
	bgp_path_destroy(&path);
}

static int
span_eq(struct bgp_span x, struct bgp_span y)
{
	return x.len == y.len && (x.len == 0 || memcmp(x.p, y.p, x.len) == 0);
}

/* The RIS-style RIB entry attributes of A, decoded back. */
static void
check_rib_encode(const struct bgp_attrs *a)
{
	static uint8_t out[65536];
	struct bgp_path p1, p2;
	struct bgp_attrs b;
	struct vg_diag d;

	bgp_path_init(&p1);
	bgp_path_init(&p2);
	INVARIANT(bgp_path_build(&p1, a) == 0);
	for (unsigned afi = VG_AFI_IP4; afi <= VG_AFI_IP6; afi++) {
		int n = mrt_rib_attrs_encode(out, sizeof(out), a, &p1, afi);
		if (n < 0)
			continue; /* too big for a RIB entry */
		struct bgp_decode_opts ro = {.asn_size = 4, .mrt_rib = 1,
		                             .rib_afi = (uint8_t)afi,
		                             .rib_safi = VG_SAFI_UNICAST};
		vg_diag_reset(&d);
		INVARIANT(bgp_attrs_decode(&b, out, (size_t)n, &ro, &d) == 0);
		INVARIANT(d.n == 0 && b.action == VG_ACT_NONE);
		INVARIANT(b.origin == (BGP_HAS(a, BGP_ATTR_ORIGIN) ? a->origin : 2));
		INVARIANT(BGP_HAS(&b, BGP_ATTR_MED) == BGP_HAS(a, BGP_ATTR_MED) &&
		          b.med == a->med);
		INVARIANT(BGP_HAS(&b, BGP_ATTR_LOCAL_PREF) ==
		              BGP_HAS(a, BGP_ATTR_LOCAL_PREF) &&
		          b.local_pref == a->local_pref);
		if (BGP_HAS(a, BGP_ATTR_NEXT_HOP))
			INVARIANT(memcmp(b.nexthop, a->nexthop, 4) == 0);
		INVARIANT(span_eq(b.communities, a->communities));
		INVARIANT(span_eq(b.large_communities, a->large_communities));
		INVARIANT(!BGP_HAS(&b, BGP_ATTR_AS4_PATH) &&
		          !BGP_HAS(&b, BGP_ATTR_MP_UNREACH_NLRI));
		INVARIANT(BGP_HAS(&b, BGP_ATTR_MP_REACH_NLRI) ==
		          (afi == VG_AFI_IP6));
		INVARIANT(bgp_path_build(&p2, &b) == 0);
		INVARIANT(p2.nasn == p1.nasn && p2.nseg == p1.nseg);
		INVARIANT(p1.nasn == 0 ||
		          memcmp(p1.asn, p2.asn, p1.nasn * sizeof(uint32_t)) == 0);
	}
	bgp_path_destroy(&p1);
	bgp_path_destroy(&p2);
}

static void
check_attrs(const struct bgp_attrs *a, const struct bgp_decode_opts *o)
{
	INVARIANT(a->asn_size == o->asn_size);
	INVARIANT(a->n_raw <= BGP_ATTR_MAX_RAW && a->n_raw <= a->n_raw_total);
	INVARIANT(a->action <= VG_ACT_PARTIAL);
	check_span(a->all.p, a->all.len);
	if (BGP_HAS(a, BGP_ATTR_ORIGIN))
		INVARIANT(a->origin <= 2);
	if (BGP_HAS(a, BGP_ATTR_AS_PATH))
		check_span(a->as_path.p, a->as_path.len);
	if (BGP_HAS(a, BGP_ATTR_AS4_PATH))
		check_span(a->as4_path.p, a->as4_path.len);
	if (BGP_HAS(a, BGP_ATTR_COMMUNITIES)) {
		INVARIANT(a->communities.len > 0 && a->communities.len % 4 == 0);
		check_span(a->communities.p, a->communities.len);
	}
	if (BGP_HAS(a, BGP_ATTR_EXT_COMMUNITIES)) {
		INVARIANT(a->ext_communities.len % 8 == 0);
		check_span(a->ext_communities.p, a->ext_communities.len);
	}
	if (BGP_HAS(a, BGP_ATTR_LARGE_COMMUNITIES)) {
		INVARIANT(a->large_communities.len % 12 == 0);
		check_span(a->large_communities.p, a->large_communities.len);
	}
	if (BGP_HAS(a, BGP_ATTR_CLUSTER_LIST))
		check_span(a->cluster_list.p, a->cluster_list.len);
	for (unsigned i = 0; i < a->n_raw; i++)
		check_span(a->raw[i].val.p, a->raw[i].val.len);
	if (BGP_HAS(a, BGP_ATTR_MP_REACH_NLRI)) {
		const struct bgp_mp_reach *m = &a->mp_reach;
		INVARIANT(m->nh_len <= 48);
		walk_nlri(m->nlri, m->afi, m->safi, o->addpath);
	}
	if (BGP_HAS(a, BGP_ATTR_MP_UNREACH_NLRI))
		walk_nlri(a->mp_unreach.nlri, a->mp_unreach.afi,
		          a->mp_unreach.safi, o->addpath);
	(void)bgp_attr_name(a->n_raw ? a->raw[0].type : 0);
	check_path(a);
	check_rib_encode(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bgp_decode_opts o = {0};
	struct vg_diag d;
	uint8_t sel;
	const uint8_t *body;
	size_t len;
	int rc;

	if (size < 1)
		return 0;
	sel = data[0];
	body = data + 1;
	len = size - 1;
	in_lo = body;
	in_hi = body + len;
	o.asn_size = (sel & 0x01) ? 4 : 2;
	o.addpath = (sel & 0x02) ? 1 : 0;
	o.mrt_rib = (sel & 0x04) ? 1 : 0;
	o.rib_afi = (sel & 0x08) ? VG_AFI_IP6 : VG_AFI_IP4;
	o.rib_safi = (sel & 0x10) ? VG_SAFI_MULTICAST : VG_SAFI_UNICAST;
	o.cut = (sel & 0x40) ? 1 : 0;
	vg_diag_reset(&d);

	if (sel & 0x20) {
		struct bgp_attrs a;
		rc = bgp_attrs_decode(&a, body, len, &o, &d);
		INVARIANT(rc == 0 || rc == -1);
		check_diag(&d, len);
		if (rc < 0) {
			INVARIANT(a.action == VG_ACT_SESSION_RESET);
			return 0;
		}
		INVARIANT(a.action != VG_ACT_SESSION_RESET);
		check_attrs(&a, &o);
		return 0;
	}

	struct bgp_update u;
	rc = bgp_update_decode(&u, body, len, &o, &d);
	INVARIANT(rc == 0 || rc == -1);
	/* attribute diagnostics are relative to the attribute block, which
	 * lies inside the body */
	check_diag(&d, len);
	if (rc < 0)
		return 0;
	INVARIANT(u.attrs_off <= len && u.nlri_off <= len);
	INVARIANT(u.nlri_off + u.nlri.len == len);
	if (u.attrs.all.len > 0)
		INVARIANT(u.attrs.all.p == body + u.attrs_off);
	if (!o.cut)
		INVARIANT(u.attrs_off + u.attrs.all.len == u.nlri_off);
	walk_nlri(u.withdrawn, VG_AFI_IP4, VG_SAFI_UNICAST, o.addpath);
	walk_nlri(u.nlri, VG_AFI_IP4, VG_SAFI_UNICAST, o.addpath);
	check_attrs(&u.attrs, &o);
	return 0;
}
