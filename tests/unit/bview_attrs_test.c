/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the collector's RIB dump attributes: the per-route
 * attribute sets of the routing state (src/rib/rib_attrs.c: interning,
 * sharing, release with the last route, no effect on what is a path
 * change), End-of-RIB after a restart (rib_peer_eor), and the RIS-style
 * TABLE_DUMP_V2 attribute block (mrt_rib_attrs_encode: decoded back, every
 * attribute as received; AS4_PATH merged, AS4_AGGREGATOR folded in,
 * MP_REACH abbreviated, RFC 7606-discarded and non-transitive unknown
 * attributes left out).
 */
#include <string.h>

#include "test.h"
#include "test_elem.h"
#include "vigil/mrt_write.h"
#include "vigil/rib.h"

/* An element with the AS path ASN1 ASN2, from an IPv4 peer. */
static const struct vg_elem *
mk(struct test_elem *b, enum vg_elem_type type, uint32_t t, struct vg_prefix p,
   uint32_t asn1, uint32_t asn2)
{
	const uint32_t asns[2] = {asn1, asn2};
	test_elem(b, type, t, p, asns, 2);
	b->e.peer_addr.afi = VG_AFI_IP4;
	return &b->e;
}

static int
peer_of(struct rib *r, uint8_t last)
{
	struct vg_addr a;
	memset(&a, 0, sizeof(a));
	a.afi = VG_AFI_IP4;
	a.addr[0] = 192;
	a.addr[3] = last;
	return rib_peer_id(r, "c", &a, 64500u + last);
}

static void
test_sets_shared_and_released(void)
{
	struct rib *r = rib_new(NULL);
	struct test_elem b;
	struct rib_change_info ci;
	uint64_t sets, routes, bytes;
	uint32_t len = 0;
	const char *x = "attributes X", *y = "attributes Y";

	CHECK(r != NULL);
	/* not kept: nothing stored, nothing to set */
	CHECK_EQ_INT(rib_attrs_intern(r, x, 12), 0);
	CHECK(rib_keep_attrs(r) == 0);
	CHECK(rib_keep_attrs(r) == 0); /* twice is fine */
	int p1 = peer_of(r, 1), p2 = peer_of(r, 2);
	struct vg_prefix a = test_pfx(VG_AFI_IP4, 10, 0, 0, 16);
	struct vg_prefix c = test_pfx(VG_AFI_IP4, 10, 1, 0, 24);

	/* a set for a route that does not exist: released, 1 */
	uint32_t sx = rib_attrs_intern(r, x, 12);
	CHECK(sx != 0);
	CHECK_EQ_INT(rib_route_set_attrs(r, (unsigned)p1, &a, sx), 1);
	rib_attrs_stats(r, &sets, &routes, &bytes);
	CHECK_EQ_INT(sets, 0);

	rib_apply(r, (unsigned)p1, mk(&b, VG_ELEM_ANNOUNCE, 100, a, 1, 2), 300, &ci);
	rib_apply(r, (unsigned)p2, mk(&b, VG_ELEM_ANNOUNCE, 100, a, 1, 2), 300, &ci);
	rib_apply(r, (unsigned)p1, mk(&b, VG_ELEM_ANNOUNCE, 100, c, 1, 2), 300, &ci);
	/* three routes, one shared set */
	CHECK_EQ_INT(rib_route_set_attrs(r, (unsigned)p1, &a,
	                                 rib_attrs_intern(r, x, 12)), 0);
	CHECK_EQ_INT(rib_route_set_attrs(r, (unsigned)p2, &a,
	                                 rib_attrs_intern(r, x, 12)), 0);
	CHECK_EQ_INT(rib_route_set_attrs(r, (unsigned)p1, &c,
	                                 rib_attrs_intern(r, x, 12)), 0);
	rib_attrs_stats(r, &sets, &routes, &bytes);
	CHECK_EQ_INT(sets, 1);
	CHECK_EQ_INT(routes, 3);
	CHECK(bytes > 0);

	/* the same AS path with other attributes: not a path change, but
	 * the route's set follows the new announcement */
	rib_apply(r, (unsigned)p1, mk(&b, VG_ELEM_ANNOUNCE, 110, a, 1, 2), 300, &ci);
	CHECK_EQ_INT(ci.change, RIB_DUP);
	uint32_t pa = ci.pfx;
	CHECK_EQ_INT(rib_route_set_attrs(r, (unsigned)p1, &a,
	                                 rib_attrs_intern(r, y, 12)), 0);
	const uint8_t *got = rib_route_attrs(r, pa, (unsigned)p1, &len);
	CHECK(got != NULL && len == 12 && memcmp(got, y, 12) == 0);
	got = rib_route_attrs(r, pa, (unsigned)p2, &len);
	CHECK(got != NULL && len == 12 && memcmp(got, x, 12) == 0);
	rib_attrs_stats(r, &sets, &routes, &bytes);
	CHECK_EQ_INT(sets, 2);
	CHECK_EQ_INT(routes, 3);

	/* withdrawals release the routes' sets; the last one frees Y */
	rib_apply(r, (unsigned)p1, mk(&b, VG_ELEM_WITHDRAW, 120, a, 0, 0), 300, &ci);
	CHECK_EQ_INT(ci.change, RIB_WD);
	CHECK(rib_route_attrs(r, pa, (unsigned)p1, &len) == NULL);
	rib_attrs_stats(r, &sets, &routes, &bytes);
	CHECK_EQ_INT(sets, 1);
	CHECK_EQ_INT(routes, 2);
	/* re-announced: no set until one is given (the dump then writes
	 * the AS path only) */
	rib_apply(r, (unsigned)p1, mk(&b, VG_ELEM_ANNOUNCE, 130, a, 1, 3), 300, &ci);
	CHECK(rib_route_attrs(r, pa, (unsigned)p1, &len) == NULL);
	rib_apply(r, (unsigned)p2, mk(&b, VG_ELEM_WITHDRAW, 130, a, 0, 0), 300, &ci);
	rib_apply(r, (unsigned)p1, mk(&b, VG_ELEM_WITHDRAW, 130, c, 0, 0), 300, &ci);
	rib_attrs_stats(r, &sets, &routes, &bytes);
	CHECK_EQ_INT(sets, 0);
	CHECK_EQ_INT(routes, 0);
	struct rib_stats st;
	rib_stats(r, &st);
	CHECK(st.bytes_attrs > 0);
	rib_free(r);
}

/* Many routes and sets: the tables grow and shrink, ids are reused, and
 * every route keeps its own set through it. */
static void
test_sets_many(void)
{
	struct rib *r = rib_new(NULL);
	struct test_elem b;
	struct rib_change_info ci;
	uint64_t sets, routes, bytes;
	char v[16];
	int bad = 0;
	static uint32_t ids[20000];

	CHECK(rib_keep_attrs(r) == 0);
	int p = peer_of(r, 1);
	for (unsigned i = 0; i < 20000; i++) {
		struct vg_prefix x = test_pfx(VG_AFI_IP4, 10, (uint8_t)(i >> 8),
		                         (uint8_t)i, 24);
		rib_apply(r, (unsigned)p, mk(&b, VG_ELEM_ANNOUNCE, 1, x, 1, i),
		          300, &ci);
		ids[i] = ci.pfx;
		snprintf(v, sizeof(v), "set %u", i % 5000);
		if (rib_route_set_attrs(r, (unsigned)p, &x,
		                        rib_attrs_intern(r, v, (uint32_t)strlen(v))) != 0)
			bad++;
	}
	rib_attrs_stats(r, &sets, &routes, &bytes);
	CHECK_EQ_INT(sets, 5000);
	CHECK_EQ_INT(routes, 20000);
	/* withdraw every other route */
	for (unsigned i = 0; i < 20000; i += 2) {
		struct vg_prefix x = test_pfx(VG_AFI_IP4, 10, (uint8_t)(i >> 8),
		                         (uint8_t)i, 24);
		rib_apply(r, (unsigned)p, mk(&b, VG_ELEM_WITHDRAW, 2, x, 0, 0),
		          300, &ci);
	}
	rib_attrs_stats(r, &sets, &routes, &bytes);
	CHECK_EQ_INT(sets, 2500); /* i % 5000 odd only */
	CHECK_EQ_INT(routes, 10000);
	for (unsigned i = 1; i < 20000; i += 2) {
		uint32_t len = 0;
		const uint8_t *got = rib_route_attrs(r, ids[i], (unsigned)p, &len);
		snprintf(v, sizeof(v), "set %u", i % 5000);
		if (got == NULL || len != strlen(v) || memcmp(got, v, len) != 0)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	rib_free(r);
}

static void
test_eor_drops_stale_per_afi(void)
{
	struct rib_opts o;
	rib_opts_default(&o);
	struct rib *r = rib_new(&o);
	struct test_elem b;
	struct rib_change_info ci;
	int p = peer_of(r, 1);
	struct vg_prefix a = test_pfx(VG_AFI_IP4, 10, 0, 0, 16);
	struct vg_prefix c = test_pfx(VG_AFI_IP4, 10, 1, 0, 24);
	struct vg_prefix v6 = test_pfx(VG_AFI_IP6, 0x20, 0x01, 0x0d, 48);

	rib_peer_state(r, (unsigned)p, VG_STATE_ESTABLISHED, 10);
	rib_apply(r, (unsigned)p, mk(&b, VG_ELEM_ANNOUNCE, 11, a, 1, 2), 300, &ci);
	rib_apply(r, (unsigned)p, mk(&b, VG_ELEM_ANNOUNCE, 11, c, 1, 2), 300, &ci);
	rib_apply(r, (unsigned)p, mk(&b, VG_ELEM_ANNOUNCE, 11, v6, 1, 2), 300, &ci);
	/* the first session's End-of-RIB drops nothing */
	CHECK_EQ_INT(rib_peer_eor(r, (unsigned)p, VG_AFI_IP4), 0);
	CHECK_EQ_INT(rib_peer(r, (unsigned)p)->n_v4, 2);
	/* restart: only A is announced again */
	rib_peer_state(r, (unsigned)p, VG_STATE_IDLE, 20);
	rib_peer_state(r, (unsigned)p, VG_STATE_ESTABLISHED, 21);
	rib_apply(r, (unsigned)p, mk(&b, VG_ELEM_ANNOUNCE, 22, a, 1, 2), 300, &ci);
	CHECK_EQ_INT(rib_peer_eor(r, (unsigned)p, VG_AFI_IP4), 1);
	CHECK_EQ_INT(rib_peer(r, (unsigned)p)->n_v4, 1);
	CHECK_EQ_INT(rib_peer(r, (unsigned)p)->n_v6, 1);
	CHECK_EQ_INT(rib_peer_eor(r, (unsigned)p, VG_AFI_IP6), 1);
	CHECK_EQ_INT(rib_peer(r, (unsigned)p)->n_v6, 0);
	/* the grace timer has nothing left to drop */
	CHECK_EQ_INT(rib_expire_stale(r, 21 + o.stale_grace), 0);
	CHECK_EQ_INT(rib_peer(r, (unsigned)p)->n_v4, 1);
	/* during a RIB dump of the collector, End-of-RIB is ignored */
	rib_peer_state(r, (unsigned)p, VG_STATE_IDLE, 2000);
	rib_peer_state(r, (unsigned)p, VG_STATE_ESTABLISHED, 2001);
	rib_dump_begin(r, "c");
	CHECK_EQ_INT(rib_peer_eor(r, (unsigned)p, VG_AFI_IP4), 0);
	rib_dump_end(r, "c");
	rib_free(r);
}

/* ---- mrt_rib_attrs_encode ---------------------------------------------- */

static size_t
put_attr(uint8_t *p, uint8_t fl, uint8_t t, const void *v, uint8_t len)
{
	p[0] = fl;
	p[1] = t;
	p[2] = len;
	memcpy(p + 3, v, len);
	return 3u + len;
}

static void
test_encode_ris_style(void)
{
	/* a 2-byte speaker's UPDATE: AS_PATH 65001 23456, AS4_PATH 65001
	 * 4200000001, AGGREGATOR AS_TRANS + AS4_AGGREGATOR, a repeated
	 * COMMUNITIES (second one discarded), an unknown optional transitive
	 * and an unknown non-transitive attribute, MP_REACH for IPv6 */
	uint8_t blk[512];
	size_t n = 0;
	const uint8_t origin[] = {1};
	const uint8_t path2[] = {2, 2, 0xfd, 0xe9, 0x5b, 0xa0};
	const uint8_t path4[] = {2, 2, 0, 0, 0xfd, 0xe9, 0xfa, 0x56, 0xea, 0x01};
	const uint8_t nh[] = {192, 0, 2, 1};
	const uint8_t med[] = {0, 0, 0, 9};
	const uint8_t agg2[] = {0x5b, 0xa0, 192, 0, 2, 7};
	const uint8_t agg4[] = {0xfa, 0x56, 0xea, 0x01, 192, 0, 2, 7};
	const uint8_t comm[] = {0xfd, 0xe9, 0, 1};
	const uint8_t comm2[] = {0xfd, 0xe9, 0, 2};
	uint8_t mp[3 + 1 + 32 + 1 + 1 + 6];
	memset(mp, 0, sizeof(mp));
	mp[1] = 2;  /* AFI IPv6 */
	mp[2] = 1;  /* SAFI unicast */
	mp[3] = 32; /* global + link-local */
	mp[4] = 0x20;
	mp[5] = 0x01;
	mp[19] = 1;
	mp[20] = 0xfe;
	mp[21] = 0x80;
	mp[35] = 1;
	mp[36] = 0;  /* reserved */
	mp[37] = 48; /* 2001:db8:1::/48 */
	mp[38] = 0x20;
	mp[39] = 0x01;
	mp[40] = 0x0d;
	mp[41] = 0xb8;
	mp[42] = 0;
	mp[43] = 1;
	n += put_attr(blk + n, 0x40, 1, origin, 1);
	n += put_attr(blk + n, 0x40, 2, path2, sizeof(path2));
	n += put_attr(blk + n, 0x40, 3, nh, 4);
	n += put_attr(blk + n, 0x80, 4, med, 4);
	n += put_attr(blk + n, 0xc0, 7, agg2, sizeof(agg2));
	n += put_attr(blk + n, 0xc0, 8, comm, 4);
	n += put_attr(blk + n, 0xc0, 8, comm2, 4);
	n += put_attr(blk + n, 0x80, 14, mp, sizeof(mp));
	n += put_attr(blk + n, 0xc0, 17, path4, sizeof(path4));
	n += put_attr(blk + n, 0xc0, 18, agg4, sizeof(agg4));
	n += put_attr(blk + n, 0xe0, 200, "keep", 4);
	n += put_attr(blk + n, 0x80, 201, "drop", 4);

	struct bgp_attrs a;
	struct bgp_decode_opts o = {.asn_size = 2};
	struct vg_diag d;
	memset(&d, 0, sizeof(d));
	CHECK(bgp_attrs_decode(&a, blk, n, &o, &d) == 0);
	struct bgp_path path;
	bgp_path_init(&path);
	CHECK(bgp_path_build(&path, &a) == 0);

	uint8_t out[1024];
	int len = mrt_rib_attrs_encode(out, sizeof(out), &a, &path, VG_AFI_IP6);
	CHECK(len > 0);
	/* read back as a TABLE_DUMP_V2 RIB entry of an IPv6 prefix */
	struct bgp_attrs b;
	struct bgp_decode_opts ro = {.asn_size = 4, .mrt_rib = 1,
	                             .rib_afi = VG_AFI_IP6,
	                             .rib_safi = VG_SAFI_UNICAST};
	memset(&d, 0, sizeof(d));
	CHECK(len > 0 && bgp_attrs_decode(&b, out, (size_t)len, &ro, &d) == 0);
	CHECK_EQ_INT(b.origin, 1);
	CHECK(BGP_HAS(&b, BGP_ATTR_NEXT_HOP) &&
	      memcmp(b.nexthop, nh, 4) == 0);
	CHECK(BGP_HAS(&b, BGP_ATTR_MED) && b.med == 9);
	CHECK(!BGP_HAS(&b, BGP_ATTR_LOCAL_PREF));
	CHECK(!BGP_HAS(&b, BGP_ATTR_AS4_PATH));
	CHECK(!BGP_HAS(&b, BGP_ATTR_AS4_AGGREGATOR));
	CHECK(!BGP_HAS(&b, BGP_ATTR_MP_UNREACH_NLRI));
	CHECK(BGP_HAS(&b, BGP_ATTR_AGGREGATOR) && b.aggregator_as == 4200000001u &&
	      b.aggregator_addr[3] == 7);
	CHECK(b.communities.len == 4 && memcmp(b.communities.p, comm, 4) == 0);
	/* the AS path in 4-octet form, AS4_PATH merged */
	CHECK(b.as_path.len == sizeof(path4) &&
	      memcmp(b.as_path.p, path4, sizeof(path4)) == 0);
	/* abbreviated MP_REACH: next hops only */
	CHECK(BGP_HAS(&b, BGP_ATTR_MP_REACH_NLRI) && b.mp_reach.nh_len == 32 &&
	      b.mp_reach.nh[0] == 0x20 && b.mp_reach.nh[16] == 0xfe &&
	      b.mp_reach.nlri.len == 0);
	/* unknown: the optional transitive one only, flags kept */
	CHECK_EQ_INT(b.n_raw, 1);
	CHECK(b.n_raw == 1 && b.raw[0].type == 200 && b.raw[0].flags == 0xe0 &&
	      b.raw[0].val.len == 4 && memcmp(b.raw[0].val.p, "keep", 4) == 0);

	/* IPv4 prefix: no MP_REACH at all; a block too small: -1 */
	len = mrt_rib_attrs_encode(out, sizeof(out), &a, &path, VG_AFI_IP4);
	struct bgp_decode_opts ro4 = {.asn_size = 4, .mrt_rib = 1,
	                              .rib_afi = VG_AFI_IP4,
	                              .rib_safi = VG_SAFI_UNICAST};
	CHECK(len > 0 && bgp_attrs_decode(&b, out, (size_t)len, &ro4, &d) == 0 &&
	      !BGP_HAS(&b, BGP_ATTR_MP_REACH_NLRI));
	CHECK_EQ_INT(mrt_rib_attrs_encode(out, 20, &a, &path, VG_AFI_IP4), -1);
	bgp_path_destroy(&path);
}

int
main(void)
{
	RUN(test_sets_shared_and_released);
	RUN(test_sets_many);
	RUN(test_eor_drops_stale_per_afi);
	RUN(test_encode_ris_style);
	return TEST_MAIN_END();
}
