/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tests for the BGP encoders (src/wire/bgp_encode.c) and the MRT writer
 * (src/wire/mrt_write.c).  Every encoded field is decoded again with the
 * project's own decoders (bgp_update_decode, bgp_nlri_next, bgp_path_build,
 * bgp_open_decode, ...); every buffer size below the exact one must fail.
 * Written MRT files (plain and gzip) are read back element by element with
 * mrt_reader, and Debian's `bgpdump -m` must print exactly what
 * `vigil dump -m` prints for them.  Files go to a mkdtemp() directory that
 * is removed at the end.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigil/bgp.h"
#include "vigil/mrt.h"
#include "vigil/mrt_write.h"
#include "test.h"

static char tmpdir[64];

static struct vg_prefix
pfx(const char *s)
{
	struct vg_prefix p;
	if (vg_prefix_parse(&p, s, 1) < 0) {
		fprintf(stderr, "bad prefix %s\n", s);
		exit(1);
	}
	return p;
}

static struct vg_addr
addr(const char *s)
{
	struct vg_addr a;
	if (vg_addr_parse(&a, s) < 0) {
		fprintf(stderr, "bad address %s\n", s);
		exit(1);
	}
	return a;
}

static const char *
pstr(const struct vg_prefix *p)
{
	static char b[4][VG_PREFIX_STRLEN];
	static int i;
	i = (i + 1) % 4;
	return vg_prefix_str(p, b[i]);
}

/* A path "64512 3356 {1,2} 174 ..." with LONG extra ASNs in the first
 * sequence (to cross the 255-ASN segment limit). */
struct tpath {
	struct bgp_path p;
	uint32_t asn[600];
	uint8_t type[4];
	uint32_t len[4];
};

static void
tpath_init(struct tpath *t, unsigned extra)
{
	uint32_t k = 0;
	memset(t, 0, sizeof(*t));
	t->asn[k++] = 4200000001u; /* needs 4 bytes */
	t->asn[k++] = 3356;
	for (unsigned i = 0; i < extra; i++)
		t->asn[k++] = 65000 + i % 500;
	t->type[0] = BGP_AS_SEQUENCE;
	t->len[0] = k;
	t->asn[k++] = 1;
	t->asn[k++] = 4200000002u;
	t->type[1] = BGP_AS_SET;
	t->len[1] = 2;
	t->asn[k++] = 174;
	t->asn[k++] = 131279;
	t->type[2] = BGP_AS_SEQUENCE;
	t->len[2] = 2;
	t->p.asn = t->asn;
	t->p.seg_type = t->type;
	t->p.seg_len = t->len;
	t->p.nasn = k;
	t->p.nseg = 3;
}

static char *
path_text(const struct bgp_path *p)
{
	size_t n = bgp_path_fmt(p, NULL, 0);
	char *s = malloc(n + 1);
	bgp_path_fmt(p, s, n + 1);
	return s;
}

static const uint32_t comms[] = {3356u << 16 | 100, BGP_COMM_NO_EXPORT,
                                 0xfffe0001u};
static const uint32_t large[] = {4200000001u, 1, 2, 64512, 3, 4};

static uint8_t raw_block[64];
static int raw_len;

/* A set with every field, plus raw EXT_COMMUNITIES (16) and an unknown
 * optional transitive attribute (99). */
static void
full_set(struct bgp_attr_set *a, const struct bgp_path *path)
{
	static const uint8_t ext[8] = {0x00, 0x02, 0x0d, 0x1c, 0, 0, 0, 7};
	static const uint8_t unk[3] = {1, 2, 3};
	int n;

	memset(a, 0, sizeof(*a));
	a->has = BGP_SET_NEXTHOP4 | BGP_SET_NEXTHOP6 | BGP_SET_MED |
	         BGP_SET_LOCAL_PREF | BGP_SET_ATOMIC_AGGREGATE |
	         BGP_SET_AGGREGATOR;
	a->origin = 1;
	memcpy(a->nexthop4, addr("192.0.2.7").addr, 4);
	memcpy(a->nexthop6, addr("2001:db8::7").addr, 16);
	memcpy(a->nexthop6 + 16, addr("fe80::7").addr, 16);
	a->nexthop6_len = 32;
	a->med = 1234567;
	a->local_pref = 250;
	a->aggregator_as = 4200000003u;
	memcpy(a->aggregator_addr, addr("10.1.2.3").addr, 4);
	a->path = path;
	a->communities = comms;
	a->n_communities = 3;
	a->large_communities = large;
	a->n_large = 2;
	/* given out of type order on purpose: the encoder sorts */
	n = bgp_attr_put(raw_block, sizeof(raw_block),
	                 BGP_ATTR_FLAG_OPTIONAL | BGP_ATTR_FLAG_TRANSITIVE, 99,
	                 unk, 3);
	n += bgp_attr_put(raw_block + n, sizeof(raw_block) - (size_t)n,
	                  BGP_ATTR_FLAG_OPTIONAL | BGP_ATTR_FLAG_TRANSITIVE,
	                  BGP_ATTR_EXT_COMMUNITIES, ext, 8);
	raw_len = n;
	a->raw = raw_block;
	a->raw_len = (uint32_t)n;
}

/* Check the decoded attributes against full_set(). */
static void
check_full(const struct bgp_attrs *d, const struct bgp_path *want,
           int as2)
{
	struct bgp_path got;
	char *w, *g;

	CHECK_EQ_INT(d->action, VG_ACT_NONE);
	CHECK(BGP_HAS(d, BGP_ATTR_ORIGIN));
	CHECK_EQ_INT(d->origin, 1);
	CHECK(BGP_HAS(d, BGP_ATTR_NEXT_HOP));
	CHECK(memcmp(d->nexthop, addr("192.0.2.7").addr, 4) == 0);
	CHECK(BGP_HAS(d, BGP_ATTR_MED));
	CHECK_EQ_INT(d->med, 1234567);
	CHECK(BGP_HAS(d, BGP_ATTR_LOCAL_PREF));
	CHECK_EQ_INT(d->local_pref, 250);
	CHECK(BGP_HAS(d, BGP_ATTR_ATOMIC_AGGREGATE));
	CHECK(BGP_HAS(d, BGP_ATTR_AGGREGATOR));
	if (as2) {
		CHECK_EQ_INT(d->aggregator_as, BGP_AS_TRANS);
		CHECK(BGP_HAS(d, BGP_ATTR_AS4_AGGREGATOR));
		CHECK_EQ_INT(d->as4_aggregator_as, 4200000003u);
		CHECK(BGP_HAS(d, BGP_ATTR_AS4_PATH));
	} else {
		CHECK_EQ_INT(d->aggregator_as, 4200000003u);
		CHECK(!BGP_HAS(d, BGP_ATTR_AS4_PATH));
	}
	CHECK(memcmp(d->aggregator_addr, addr("10.1.2.3").addr, 4) == 0);
	CHECK(BGP_HAS(d, BGP_ATTR_COMMUNITIES));
	CHECK_EQ_INT(d->communities.len, 12);
	for (unsigned i = 0; i < 3 && d->communities.len == 12; i++)
		CHECK_EQ_INT(vg_load_be32(d->communities.p + 4 * i), comms[i]);
	CHECK(BGP_HAS(d, BGP_ATTR_LARGE_COMMUNITIES));
	CHECK_EQ_INT(d->large_communities.len, 24);
	for (unsigned i = 0; i < 6 && d->large_communities.len == 24; i++)
		CHECK_EQ_INT(vg_load_be32(d->large_communities.p + 4 * i),
		             large[i]);
	CHECK(BGP_HAS(d, BGP_ATTR_EXT_COMMUNITIES));
	CHECK_EQ_INT(d->ext_communities.len, 8);
	CHECK_EQ_INT(d->n_raw, 1);
	CHECK_EQ_INT(d->raw[0].type, 99);
	CHECK_EQ_INT(d->raw[0].val.len, 3);
	CHECK_EQ_INT(d->raw[0].flags & 0xc0, 0xc0);

	bgp_path_init(&got);
	CHECK_EQ_INT(bgp_path_build(&got, d), 0);
	w = path_text(want);
	g = path_text(&got);
	CHECK_EQ_STR(g, w);
	CHECK_EQ_INT(got.nasn, want->nasn);
	free(w);
	free(g);
	bgp_path_destroy(&got);

	/* attributes in ascending type order (RFC 4271 5) */
	unsigned last = 0, off = 0;
	while (off + 3 <= d->all.len) {
		uint8_t fl = d->all.p[off], ty = d->all.p[off + 1];
		unsigned l = fl & BGP_ATTR_FLAG_EXTLEN
		                 ? vg_load_be16(d->all.p + off + 2)
		                 : d->all.p[off + 2];
		CHECK(ty >= last);
		last = ty;
		off += (fl & BGP_ATTR_FLAG_EXTLEN ? 4 : 3) + l;
	}
	CHECK_EQ_INT(off, d->all.len);
}

/* Collect the NLRI of a span. */
static unsigned
collect(struct bgp_span s, unsigned afi, unsigned safi, int addpath,
        struct vg_prefix *out, uint32_t *ids, unsigned max)
{
	struct bgp_nlri_iter it;
	struct vg_diag d = {0};
	unsigned n = 0;
	uint32_t id;
	int rc;

	bgp_nlri_init(&it, s, afi, safi, addpath, 0);
	while ((rc = bgp_nlri_next(&it, &out[n < max ? n : max - 1], &id,
	                           &d)) > 0) {
		if (ids && n < max)
			ids[n] = id;
		n++;
	}
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(d.n, 0);
	return n;
}

static void
test_update_roundtrip(void)
{
	static const char *const w_s[] = {"10.0.0.0/8", "2001:db8:1::/48",
	                                  "0.0.0.0/0", "192.0.2.128/25",
	                                  "2001:db8::/32"};
	static const char *const a_s[] = {
	    "175.45.176.0/24",    "::/0",       "175.45.177.0/24",
	    "2001:db8:ff::1/128", "1.2.3.4/32", "2a00::/12"};
	struct vg_prefix w[5], a[6], got[16];
	uint32_t wid[5] = {1, 2, 3, 4, 5}, aid[6] = {10, 20, 30, 40, 50, 60};
	uint32_t gid[16];
	struct tpath tp;
	struct bgp_attr_set set;
	uint8_t buf[BGP_MAX_MSG_LEN];

	for (unsigned i = 0; i < 5; i++)
		w[i] = pfx(w_s[i]);
	for (unsigned i = 0; i < 6; i++)
		a[i] = pfx(a_s[i]);
	tpath_init(&tp, 3);
	full_set(&set, &tp.p);

	for (int mode = 0; mode < 3; mode++) {
		int as2 = mode == 1, ap = mode == 2;
		struct bgp_update_msg u = {
		    .withdrawn = w,
		    .n_withdrawn = 5,
		    .announced = a,
		    .n_announced = 6,
		    .attrs = &set,
		    .flags =
		        (as2 ? BGP_ENC_AS2 : 0u) | (ap ? BGP_ENC_ADDPATH : 0u),
		    .withdrawn_path_id = ap ? wid : NULL,
		    .announced_path_id = ap ? aid : NULL,
		};
		struct bgp_decode_opts o = {.asn_size = as2 ? 2 : 4,
		                            .addpath = (uint8_t)ap};
		struct bgp_update d;
		struct vg_diag dg = {0};
		uint8_t type;
		uint16_t mlen;
		int len = bgp_update_encode(buf, sizeof(buf), &u);
		unsigned n;

		CHECK(len > BGP_HEADER_LEN);
		if (len < 0)
			continue;
		CHECK_EQ_INT(bgp_header_decode(buf, (size_t)len, 4096, &type,
		                               &mlen, &dg), 0);
		CHECK_EQ_INT(type, BGP_MSG_UPDATE);
		CHECK_EQ_INT(mlen, len);
		CHECK_EQ_INT(bgp_update_decode(&d, buf + 19, (size_t)len - 19,
		                               &o, &dg), 0);
		CHECK_EQ_INT(dg.n, 0);
		check_full(&d.attrs, &tp.p, as2);

		/* classic withdrawn: the IPv4 ones, in order */
		n = collect(d.withdrawn, 1, 1, ap, got, gid, 16);
		CHECK_EQ_INT(n, 3);
		CHECK_EQ_STR(pstr(&got[0]), "10.0.0.0/8");
		CHECK_EQ_STR(pstr(&got[1]), "0.0.0.0/0");
		CHECK_EQ_STR(pstr(&got[2]), "192.0.2.128/25");
		if (ap) {
			CHECK_EQ_INT(gid[0], 1);
			CHECK_EQ_INT(gid[2], 4);
		}
		CHECK(BGP_HAS(&d.attrs, BGP_ATTR_MP_UNREACH_NLRI));
		CHECK_EQ_INT(d.attrs.mp_unreach.afi, 2);
		CHECK_EQ_INT(d.attrs.mp_unreach.safi, 1);
		n = collect(d.attrs.mp_unreach.nlri, 2, 1, ap, got, gid, 16);
		CHECK_EQ_INT(n, 2);
		CHECK_EQ_STR(pstr(&got[0]), "2001:db8:1::/48");
		CHECK_EQ_STR(pstr(&got[1]), "2001:db8::/32");
		if (ap)
			CHECK_EQ_INT(gid[1], 5);

		n = collect(d.nlri, 1, 1, ap, got, gid, 16);
		CHECK_EQ_INT(n, 3);
		CHECK_EQ_STR(pstr(&got[0]), "175.45.176.0/24");
		CHECK_EQ_STR(pstr(&got[1]), "175.45.177.0/24");
		CHECK_EQ_STR(pstr(&got[2]), "1.2.3.4/32");
		if (ap)
			CHECK_EQ_INT(gid[2], 50);
		CHECK(BGP_HAS(&d.attrs, BGP_ATTR_MP_REACH_NLRI));
		CHECK_EQ_INT(d.attrs.mp_reach.afi, 2);
		CHECK_EQ_INT(d.attrs.mp_reach.nh_len, 32);
		CHECK(memcmp(d.attrs.mp_reach.nh, set.nexthop6, 32) == 0);
		n = collect(d.attrs.mp_reach.nlri, 2, 1, ap, got, gid, 16);
		CHECK_EQ_INT(n, 3);
		CHECK_EQ_STR(pstr(&got[0]), "::/0");
		CHECK_EQ_STR(pstr(&got[1]), "2001:db8:ff::1/128");
		CHECK_EQ_STR(pstr(&got[2]), "2a00::/12");
		if (ap)
			CHECK_EQ_INT(gid[2], 60);

		/* every smaller buffer fails cleanly */
		for (int cap = 0; cap < len; cap++)
			CHECK_EQ_INT(bgp_update_encode(buf, (size_t)cap, &u),
			             -1);
		CHECK_EQ_INT(bgp_update_encode(buf, (size_t)len, &u), len);
	}
}

/* Withdraw-only and MP-only messages carry no path attributes but the MP
 * ones; an empty UPDATE is End-of-RIB. */
static void
test_update_shapes(void)
{
	struct vg_prefix w6 = pfx("2001:db8::/32"), w4 = pfx("10.0.0.0/8");
	struct vg_prefix a6 = pfx("2001:db8:5::/48");
	struct bgp_attr_set set = {0};
	struct bgp_update_msg u = {0};
	struct bgp_decode_opts o = {.asn_size = 4};
	struct bgp_update d;
	struct vg_diag dg = {0};
	uint8_t buf[4096];
	int len;

	len = bgp_update_encode(buf, sizeof(buf), &u);
	CHECK_EQ_INT(len, 23); /* RFC 4724 End-of-RIB for IPv4 unicast */

	u.withdrawn = &w6;
	u.n_withdrawn = 1;
	len = bgp_update_encode(buf, sizeof(buf), &u);
	CHECK(len > 0);
	CHECK_EQ_INT(bgp_update_decode(&d, buf + 19, (size_t)len - 19, &o, &dg),
	             0);
	CHECK_EQ_INT(d.attrs.present,
	             (uint64_t)1 << BGP_ATTR_MP_UNREACH_NLRI);
	CHECK_EQ_INT(d.withdrawn.len, 0);

	u.withdrawn = &w4;
	len = bgp_update_encode(buf, sizeof(buf), &u);
	CHECK_EQ_INT(len, 19 + 2 + 2 + 2 + 0);
	CHECK_EQ_INT(bgp_update_decode(&d, buf + 19, (size_t)len - 19, &o, &dg),
	             0);
	CHECK_EQ_INT(d.attrs.present, 0);

	/* IPv6 announcement without an IPv6 next hop cannot be encoded */
	u.n_withdrawn = 0;
	u.announced = &a6;
	u.n_announced = 1;
	u.attrs = &set;
	CHECK_EQ_INT(bgp_update_encode(buf, sizeof(buf), &u), -1);
	set.has = BGP_SET_NEXTHOP6;
	set.nexthop6_len = 16;
	memcpy(set.nexthop6, addr("2001:db8::1").addr, 16);
	len = bgp_update_encode(buf, sizeof(buf), &u);
	CHECK(len > 0);
	CHECK_EQ_INT(bgp_update_decode(&d, buf + 19, (size_t)len - 19, &o, &dg),
	             0);
	CHECK(BGP_HAS(&d.attrs, BGP_ATTR_MP_REACH_NLRI));
	CHECK(BGP_HAS(&d.attrs, BGP_ATTR_AS_PATH));
	CHECK_EQ_INT(d.attrs.as_path.len, 0); /* empty AS_PATH */
	CHECK(!BGP_HAS(&d.attrs, BGP_ATTR_NEXT_HOP));
	/* IPv4 announcement without NEXT_HOP neither */
	u.announced = &w4;
	CHECK_EQ_INT(bgp_update_encode(buf, sizeof(buf), &u), -1);

	/* IPv4 multicast goes in MP_REACH / MP_UNREACH (RFC 4760) with the
	 * IPv4 next hop; one AFI/SAFI per MP attribute, so a unicast IPv6
	 * prefix after it waits for the next message */
	struct vg_prefix m4[2] = {pfx("232.1.0.0/16"), pfx("2001:db8::/32")};
	m4[0].safi = VG_SAFI_MULTICAST;
	set.has = BGP_SET_NEXTHOP4 | BGP_SET_NEXTHOP6;
	memcpy(set.nexthop4, addr("192.0.2.9").addr, 4);
	u.announced = m4;
	u.n_announced = 2;
	u.withdrawn = m4;
	u.n_withdrawn = 1;
	uint32_t nw, na;
	len = bgp_update_pack(buf, sizeof(buf), &u, &nw, &na);
	CHECK(len > 0);
	CHECK_EQ_INT(nw, 1);
	CHECK_EQ_INT(na, 1);
	CHECK_EQ_INT(bgp_update_decode(&d, buf + 19, (size_t)len - 19, &o, &dg),
	             0);
	CHECK_EQ_INT(d.attrs.mp_reach.afi, 1);
	CHECK_EQ_INT(d.attrs.mp_reach.safi, 2);
	CHECK_EQ_INT(d.attrs.mp_reach.nh_len, 4);
	CHECK(memcmp(d.attrs.mp_reach.nh, set.nexthop4, 4) == 0);
	CHECK_EQ_INT(d.attrs.mp_unreach.safi, 2);
	CHECK_EQ_INT(d.nlri.len, 0);
	CHECK_EQ_INT(d.withdrawn.len, 0);
	struct vg_prefix got;
	CHECK_EQ_INT(collect(d.attrs.mp_reach.nlri, 1, 2, 0, &got, NULL, 1),
	             1);
	CHECK_EQ_STR(pstr(&got), "232.1.0.0/16");
	CHECK_EQ_INT(dg.n, 0);
}

/* Packing thousands of prefixes into 4096-byte messages loses none and
 * keeps their order; MP attributes cross the 255-byte extended length. */
static void
test_update_pack(void)
{
	enum { N = 3000 };
	static struct vg_prefix w[N], a[N];
	struct tpath tp;
	struct bgp_attr_set set;
	uint8_t buf[BGP_MAX_MSG_LEN];
	uint32_t wi = 0, ai = 0, gw = 0, ga = 0;
	int msgs = 0;

	for (unsigned i = 0; i < N; i++) {
		char s[64];
		if (i % 3 == 0)
			snprintf(s, sizeof(s), "2001:db8:%x::/48", i);
		else
			snprintf(s, sizeof(s), "%u.%u.%u.0/24", 11 + i / 65536,
			         (i / 256) % 256, i % 256);
		w[i] = pfx(s);
		snprintf(s, sizeof(s), "%u.%u.%u.0/24", 100 + i / 65536,
		         (i / 256) % 256, i % 256);
		a[i] = i % 5 == 0 ? pfx("2001:db8::/29") : pfx(s);
		if (i % 5 == 0)
			a[i].addr[3] = (uint8_t)(i * 8);
	}
	tpath_init(&tp, 300);
	full_set(&set, &tp.p);
	while (wi < N || ai < N) {
		struct bgp_update_msg u = {
		    .withdrawn = w + wi, .n_withdrawn = N - wi,
		    .announced = a + ai, .n_announced = N - ai, .attrs = &set};
		struct bgp_decode_opts o = {.asn_size = 4};
		struct bgp_update d;
		struct vg_diag dg = {0};
		uint32_t nw, na;
		int len = bgp_update_pack(buf, sizeof(buf), &u, &nw, &na);

		CHECK(len > 0 && len <= BGP_MAX_MSG_LEN);
		CHECK(nw + na > 0);
		if (len <= 0 || nw + na == 0)
			break;
		msgs++;
		CHECK_EQ_INT(
		    bgp_update_decode(&d, buf + 19, (size_t)len - 19, &o, &dg),
		    0);
		CHECK_EQ_INT(dg.n, 0);
		/* classic and MP parts, put back in list order */
		struct vg_prefix c4[N], c6[N];
		unsigned n4 = collect(d.withdrawn, 1, 1, 0, c4, NULL, N);
		unsigned n6 =
		    BGP_HAS(&d.attrs, BGP_ATTR_MP_UNREACH_NLRI)
		        ? collect(d.attrs.mp_unreach.nlri, 2, 1, 0, c6, NULL, N)
		        : 0;
		CHECK_EQ_INT(n4 + n6, nw);
		for (unsigned i = 0, i4 = 0, i6 = 0;
		     i < nw && i4 + i6 < n4 + n6; i++) {
			const struct vg_prefix *x =
			    w[wi + i].afi == VG_AFI_IP4 ? &c4[i4++] : &c6[i6++];
			CHECK_EQ_STR(pstr(x), pstr(&w[wi + i]));
			gw++;
		}
		if (na) {
			check_full(&d.attrs, &tp.p, 0);
			n4 = collect(d.nlri, 1, 1, 0, c4, NULL, N);
			n6 = BGP_HAS(&d.attrs, BGP_ATTR_MP_REACH_NLRI)
			         ? collect(d.attrs.mp_reach.nlri, 2, 1, 0, c6,
			                   NULL, N)
			         : 0;
			CHECK_EQ_INT(n4 + n6, na);
			for (unsigned i = 0, i4 = 0, i6 = 0;
			     i < na && i4 + i6 < n4 + n6; i++) {
				const struct vg_prefix *x = a[ai + i].afi ==
				                                    VG_AFI_IP4
				                                ? &c4[i4++]
				                                : &c6[i6++];
				CHECK_EQ_STR(pstr(x), pstr(&a[ai + i]));
				ga++;
			}
		} else {
			CHECK(!BGP_HAS(&d.attrs, BGP_ATTR_ORIGIN));
		}
		wi += nw;
		ai += na;
	}
	CHECK_EQ_INT(gw, N);
	CHECK_EQ_INT(ga, N);
	/* 3000 withdrawals + 3000 announcements, ~5 bytes each, in 4 KiB */
	CHECK(msgs >= 8 && msgs <= 12);
	if (msgs < 8 || msgs > 12)
		fprintf(stderr, "  %d messages\n", msgs);
}

/* RIB attribute blocks: the IPv6 form carries the abbreviated MP_REACH. */
static void
test_rib_attrs(void)
{
	struct tpath tp;
	struct bgp_attr_set set;
	uint8_t buf[4096];
	struct bgp_attrs d;
	struct vg_diag dg = {0};
	struct bgp_decode_opts o = {.asn_size = 4, .mrt_rib = 1, .rib_afi = 2,
	                            .rib_safi = 1};
	int len;

	tpath_init(&tp, 0);
	full_set(&set, &tp.p);
	len = bgp_attrs_encode(buf, sizeof(buf), &set, BGP_ENC_MRT_MP);
	CHECK(len > 0);
	CHECK_EQ_INT(bgp_attrs_decode(&d, buf, (size_t)len, &o, &dg), 0);
	CHECK_EQ_INT(dg.n, 0);
	check_full(&d, &tp.p, 0);
	CHECK(BGP_HAS(&d, BGP_ATTR_MP_REACH_NLRI));
	CHECK(d.mp_reach.abbreviated);
	CHECK_EQ_INT(d.mp_reach.nh_len, 32);
	CHECK(memcmp(d.mp_reach.nh, set.nexthop6, 32) == 0);
	for (int cap = 0; cap < len; cap++)
		CHECK_EQ_INT(bgp_attrs_encode(buf, (size_t)cap, &set,
		                              BGP_ENC_MRT_MP), -1);

	len = bgp_attrs_encode(buf, sizeof(buf), &set, 0);
	o.rib_afi = 1;
	CHECK_EQ_INT(bgp_attrs_decode(&d, buf, (size_t)len, &o, &dg), 0);
	CHECK(!BGP_HAS(&d, BGP_ATTR_MP_REACH_NLRI));

	/* a malformed raw block is refused */
	set.raw_len = 2;
	CHECK_EQ_INT(bgp_attrs_encode(buf, sizeof(buf), &set, 0), -1);
	/* an AS_SET cannot have 256 members */
	set.raw_len = 0;
	tp.len[1] = 256;
	tp.p.nasn += 254;
	CHECK_EQ_INT(bgp_attrs_encode(buf, sizeof(buf), &set, 0), -1);
	/* 2-byte form with AS4_PATH for a RIB with 2-byte ASNs */
	tpath_init(&tp, 0);
	set.raw_len = (uint32_t)raw_len;
	len = bgp_attrs_encode(buf, sizeof(buf), &set, BGP_ENC_AS2);
	o.asn_size = 2;
	CHECK_EQ_INT(bgp_attrs_decode(&d, buf, (size_t)len, &o, &dg), 0);
	check_full(&d, &tp.p, 1);
}

static void
test_other_messages(void)
{
	uint8_t buf[4096];
	struct bgp_open o = {0}, od;
	struct bgp_notification n = {0}, nd;
	struct bgp_route_refresh r = {.afi = 2, .safi = 1, .subtype = 1}, rd;
	struct vg_diag dg = {0};
	uint8_t type;
	uint16_t mlen;
	int len;

	o.hold_time = 180;
	memcpy(o.bgp_id, addr("192.0.2.1").addr, 4);
	bgp_open_set_asn(&o, 4200000001u);
	o.n_mp = 2;
	o.mp[0].afi = 1;
	o.mp[0].safi = 1;
	o.mp[1].afi = 2;
	o.mp[1].safi = 1;
	o.route_refresh = 1;
	o.ext_msg = 1;
	o.gr = 1;
	o.gr_flags = 8;
	o.gr_time = 120;
	o.n_addpath = 1;
	o.addpath[0].afi = 2;
	o.addpath[0].safi = 1;
	o.addpath[0].mode = 3;
	len = bgp_open_encode(buf, sizeof(buf), &o);
	CHECK(len > 29);
	CHECK_EQ_INT(bgp_header_decode(buf, (size_t)len, 4096, &type, &mlen,
	                               &dg), 0);
	CHECK_EQ_INT(type, BGP_MSG_OPEN);
	CHECK_EQ_INT(bgp_open_decode(&od, buf + 19, (size_t)len - 19, &dg), 0);
	CHECK_EQ_INT(od.version, 4);
	CHECK_EQ_INT(od.my_as, BGP_AS_TRANS);
	CHECK_EQ_INT(bgp_open_asn(&od), 4200000001u);
	CHECK_EQ_INT(od.hold_time, 180);
	CHECK(memcmp(od.bgp_id, o.bgp_id, 4) == 0);
	CHECK_EQ_INT(od.n_mp, 2);
	CHECK_EQ_INT(od.mp[1].afi, 2);
	CHECK(od.route_refresh && od.ext_msg && od.gr);
	CHECK_EQ_INT(od.gr_flags, 8);
	CHECK_EQ_INT(od.gr_time, 120);
	CHECK(bgp_open_addpath(&od, 2, 1, 3));
	CHECK_EQ_INT(od.n_caps, 7);
	for (int cap = 0; cap < len; cap++)
		CHECK_EQ_INT(bgp_open_encode(buf, (size_t)cap, &o), -1);
	memset(&o, 0, sizeof(o));
	bgp_open_set_asn(&o, 64512);
	len = bgp_open_encode(buf, sizeof(buf), &o);
	CHECK_EQ_INT(len, 29 + 2 + 6); /* only the AS4 capability */
	o.as4 = 0;
	CHECK_EQ_INT(bgp_open_encode(buf, sizeof(buf), &o), 29);
	o.as4 = 64512;
	len = bgp_open_encode(buf, sizeof(buf), &o);
	CHECK_EQ_INT(bgp_open_decode(&od, buf + 19, (size_t)len - 19, &dg), 0);
	CHECK_EQ_INT(bgp_open_asn(&od), 64512);

	CHECK_EQ_INT(bgp_keepalive_encode(buf, sizeof(buf)), 19);
	CHECK_EQ_INT(bgp_header_decode(buf, 19, 4096, &type, &mlen, &dg), 0);
	CHECK_EQ_INT(type, BGP_MSG_KEEPALIVE);
	CHECK_EQ_INT(bgp_keepalive_encode(buf, 18), -1);

	n.code = 6;
	n.subcode = 2;
	strcpy(n.shutdown_msg, "maintenance, back at 16:00");
	len = bgp_notification_encode(buf, sizeof(buf), &n);
	CHECK_EQ_INT(len, 19 + 2 + 1 + 26);
	CHECK_EQ_INT(bgp_notification_decode(&nd, buf + 19, (size_t)len - 19,
	                                     &dg), 0);
	CHECK_EQ_INT(nd.code, 6);
	CHECK_EQ_INT(nd.subcode, 2);
	CHECK_EQ_STR(nd.shutdown_msg, "maintenance, back at 16:00");
	memset(&n, 0, sizeof(n));
	n.code = 3;
	n.subcode = 11;
	n.data.p = (const uint8_t *)"\x02\x04";
	n.data.len = 2;
	len = bgp_notification_encode(buf, sizeof(buf), &n);
	CHECK_EQ_INT(len, 23);
	CHECK_EQ_INT(bgp_notification_decode(&nd, buf + 19, 4, &dg), 0);
	CHECK_EQ_INT(nd.data.len, 2);
	CHECK_EQ_STR(bgp_notification_subcode_name(nd.code, nd.subcode),
	             "Malformed AS_PATH");
	CHECK_EQ_INT(bgp_notification_encode(buf, 22, &n), -1);

	len = bgp_route_refresh_encode(buf, sizeof(buf), &r);
	CHECK_EQ_INT(len, 23);
	CHECK_EQ_INT(bgp_route_refresh_decode(&rd, buf + 19, 4, &dg), 0);
	CHECK_EQ_INT(rd.afi, 2);
	CHECK_EQ_INT(rd.safi, 1);
	CHECK_EQ_INT(rd.subtype, 1);
	CHECK_EQ_INT(dg.n, 0);
}

static void
test_ris_names(void)
{
	char b[64];
	/* 2015-10-23 16:17:42 UTC */
	CHECK_EQ_INT(mrt_ris_file_name(b, sizeof(b), MRT_RIS_UPDATES,
	                               1445617062, NULL), 24);
	CHECK_EQ_STR(b, "updates.20151023.1615.gz");
	mrt_ris_file_name(b, sizeof(b), MRT_RIS_BVIEW, 1445616000, NULL);
	CHECK_EQ_STR(b, "bview.20151023.1600.gz");
	mrt_ris_file_name(b, sizeof(b), MRT_RIS_UPDATES, 1445617199, "");
	CHECK_EQ_STR(b, "updates.20151023.1615");
	mrt_ris_file_name(b, sizeof(b), MRT_RIS_UPDATES, 1445617200, ".gz");
	CHECK_EQ_STR(b, "updates.20151023.1620.gz");
	CHECK_EQ_INT(mrt_ris_file_name(b, 24, MRT_RIS_UPDATES, 1445617200,
	                               NULL), -1);
}

/* ---- MRT files ---------------------------------------------------------- */

struct expect {
	int type;
	const char *line; /* our own summary of the element */
};

/* A compact text of an element for comparisons. */
static void
elem_text(const struct vg_elem *e, char *out, size_t cap)
{
	char pa[VG_ADDR_STRLEN], pp[VG_PREFIX_STRLEN], nh[VG_ADDR_STRLEN];
	char *path = e->path ? path_text(e->path) : strdup("");

	vg_addr_str(&e->peer_addr, pa);
	if (e->type == VG_ELEM_STATE)
		snprintf(out, cap, "S %u.%06u %s %u %u>%u", e->time_sec,
		         e->time_usec, pa, e->peer_asn, e->old_state,
		         e->new_state);
	else
		snprintf(out, cap, "%c %u.%06u %s %u %s %s %s %u id%u",
		         e->type == VG_ELEM_RIB        ? 'R'
		         : e->type == VG_ELEM_ANNOUNCE ? 'A'
		                                       : 'W',
		         e->time_sec, e->time_usec, pa, e->peer_asn,
		         vg_prefix_str(&e->prefix, pp),
		         e->nexthop.afi ? vg_addr_str(&e->nexthop, nh) : "-",
		         path, e->originated, e->path_id);
	free(path);
}

static const char *const file_expect[] = {
    "R 1445558400.000000 192.0.2.1 64512 10.0.0.0/8 192.0.2.7 "
    "4200000001 3356 {1,4200000002} 174 131279 1445500000 id0",
    "R 1445558400.000000 2001:db8::2 4200000009 10.0.0.0/8 192.0.2.7 "
    "4200000001 3356 {1,4200000002} 174 131279 1445500001 id0",
    "R 1445558400.000000 192.0.2.1 64512 2001:db8::/32 2001:db8::7 "
    "4200000001 3356 {1,4200000002} 174 131279 1445500000 id0",
    "R 1445558400.000000 192.0.2.1 64512 175.45.176.0/22 192.0.2.7 "
    "4200000001 3356 {1,4200000002} 174 131279 1445500000 id7",
    "S 1445558401.000001 192.0.2.1 64512 1>6",
    "W 1445558402.123456 192.0.2.1 64512 10.0.0.0/8 -  0 id0",
    "W 1445558402.123456 192.0.2.1 64512 2001:db8:1::/48 -  0 id0",
    "A 1445558402.123456 192.0.2.1 64512 175.45.176.0/24 192.0.2.7 "
    "4200000001 3356 {1,4200000002} 174 131279 0 id0",
    "A 1445558402.123456 192.0.2.1 64512 2a00::/12 2001:db8::7 "
    "4200000001 3356 {1,4200000002} 174 131279 0 id0",
    "A 1445558403.999999 2001:db8::2 4200000009 175.45.177.0/24 192.0.2.7 "
    "4200000001 3356 {1,4200000002} 174 131279 0 id0",
    "W 1445558404.000000 192.0.2.1 64512 175.45.176.0/24 -  0 id0",
    "S 1445558405.000000 2001:db8::2 4200000009 6>1",
};

/* Write one file with every record kind the writer makes.  With
 * FAIL_AT_END a last, invalid record makes the (atomic) writer fail, and
 * the file must not appear. */
static int
write_sample(const char *path, int gzip, int fail_at_end)
{
	struct mrt_writer_opts wo = {.gzip = gzip, .level = 9, .atomic = 1};
	char err[256];
	struct mrt_writer *w = mrt_writer_open(path, &wo, err, sizeof(err));
	struct mrt_peer peers[2];
	struct tpath tp;
	struct bgp_attr_set set;
	uint8_t a4[1024], a6[1024], msg[4096];
	int l4, l6, len;
	struct mrt_session_id s1 = {.peer_asn = 64512, .local_asn = 12654,
	                            .peer_addr = addr("192.0.2.1"),
	                            .local_addr = addr("192.0.2.254")};
	struct mrt_session_id s2 = {.peer_asn = 4200000009u, .local_asn = 12654,
	                            .peer_addr = addr("2001:db8::2"),
	                            .local_addr = addr("2001:db8::fe")};

	CHECK(w != NULL);
	if (w == NULL) {
		fprintf(stderr, "  %s\n", err);
		return -1;
	}
	memset(peers, 0, sizeof(peers));
	peers[0].addr = addr("192.0.2.1");
	peers[0].asn = 64512;
	memcpy(peers[0].bgp_id, peers[0].addr.addr, 4);
	peers[1].addr = addr("2001:db8::2");
	peers[1].asn = 4200000009u;
	memcpy(peers[1].bgp_id, addr("192.0.2.2").addr, 4);
	tpath_init(&tp, 0);
	full_set(&set, &tp.p);
	l4 = bgp_attrs_encode(a4, sizeof(a4), &set, 0);
	l6 = bgp_attrs_encode(a6, sizeof(a6), &set, BGP_ENC_MRT_MP);
	CHECK(l4 > 0 && l6 > 0);

	const uint8_t cid[4] = {192, 0, 2, 254};
	CHECK_EQ_INT(
	    mrt_write_peer_index(w, 1445558400, cid, "vigil", peers, 2), 0);
	struct mrt_rib_entry e[2] = {
	    {.peer_index = 0, .originated = 1445500000, .attrs = a4,
	     .attrs_len = (uint16_t)l4},
	    {.peer_index = 1, .originated = 1445500001, .attrs = a4,
	     .attrs_len = (uint16_t)l4},
	};
	struct vg_prefix p = pfx("10.0.0.0/8");
	CHECK_EQ_INT(mrt_write_rib(w, 1445558400, &p, e, 2, 0), 0);
	p = pfx("2001:db8::/32");
	e[0].attrs = a6;
	e[0].attrs_len = (uint16_t)l6;
	CHECK_EQ_INT(mrt_write_rib(w, 1445558400, &p, e, 1, 0), 0);
	p = pfx("175.45.176.0/22");
	e[0].attrs = a4;
	e[0].attrs_len = (uint16_t)l4;
	e[0].path_id = 7;
	CHECK_EQ_INT(mrt_write_rib(w, 1445558400, &p, e, 1, MRT_WF_ADDPATH), 0);

	CHECK_EQ_INT(mrt_write_bgp4mp_state(w, 1445558401, 1, &s1,
	                                    VG_STATE_IDLE, VG_STATE_ESTABLISHED,
	                                    MRT_WF_ET), 0);
	struct vg_prefix wd[2] = {pfx("10.0.0.0/8"), pfx("2001:db8:1::/48")};
	struct vg_prefix an[2] = {pfx("175.45.176.0/24"), pfx("2a00::/12")};
	set.nexthop6_len = 16;
	struct bgp_update_msg u = {.withdrawn = wd, .n_withdrawn = 2,
	                           .announced = an, .n_announced = 2,
	                           .attrs = &set};
	len = bgp_update_encode(msg, sizeof(msg), &u);
	CHECK(len > 0);
	CHECK_EQ_INT(mrt_write_bgp4mp_msg(w, 1445558402, 123456, &s1, msg,
	                                  (size_t)len, MRT_WF_ET), 0);
	an[0] = pfx("175.45.177.0/24");
	u.withdrawn = NULL;
	u.n_withdrawn = 0;
	u.n_announced = 1;
	len = bgp_update_encode(msg, sizeof(msg), &u);
	CHECK_EQ_INT(mrt_write_bgp4mp_msg(w, 1445558403, 999999, &s2, msg,
	                                  (size_t)len, MRT_WF_ET), 0);
	/* plain BGP4MP (no microseconds) */
	wd[0] = pfx("175.45.176.0/24");
	u.withdrawn = wd;
	u.n_withdrawn = 1;
	u.n_announced = 0;
	len = bgp_update_encode(msg, sizeof(msg), &u);
	CHECK_EQ_INT(mrt_write_bgp4mp_msg(w, 1445558404, 777, &s1, msg,
	                                  (size_t)len, 0), 0);
	/* a KEEPALIVE gives no element */
	len = bgp_keepalive_encode(msg, sizeof(msg));
	CHECK_EQ_INT(mrt_write_bgp4mp_msg(w, 1445558404, 0, &s1, msg,
	                                  (size_t)len, MRT_WF_ET), 0);
	CHECK_EQ_INT(mrt_write_bgp4mp_state(w, 1445558405, 0, &s2,
	                                    VG_STATE_ESTABLISHED, VG_STATE_IDLE,
	                                    0), 0);
	CHECK_EQ_INT(mrt_writer_records(w), 10);
	CHECK(mrt_writer_error(w) == NULL);
	if (fail_at_end) {
		/* 2-byte records refuse 4-byte ASNs */
		CHECK_EQ_INT(mrt_write_bgp4mp_state(w, 1, 0, &s2, 1, 2,
		                                    MRT_WF_AS2), -1);
		CHECK(mrt_writer_error(w) != NULL);
		CHECK_EQ_INT(mrt_writer_close(w, err, sizeof(err)), -1);
		CHECK(strstr(err, "2-byte") != NULL);
		CHECK(access(path, F_OK) != 0);
		return -1;
	}
	CHECK_EQ_INT(mrt_writer_close(w, err, sizeof(err)), 0);
	CHECK(access(path, F_OK) == 0);
	return 0;
}

static char *
run_cmd(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	char *out = NULL;
	size_t len = 0, cap = 0;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			out = realloc(out, cap);
		}
		memcpy(out + len, chunk, n);
		len += n;
	}
	if (out == NULL)
		out = calloc(1, 1);
	out[len] = '\0';
	if (pclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static const char *
vigil_bin(void)
{
	const char *v = getenv("VIGIL");
	return v && *v ? v : "build/vigil";
}

static int
have_bgpdump(void)
{
	return system("command -v bgpdump >/dev/null 2>&1") == 0;
}

/* bgpdump -m and vigil dump -m agree on FILE. */
static void
check_bgpdump(const char *file, int min_lines)
{
	char cmd[1024];
	char *a, *b;

	if (!have_bgpdump()) {
		printf("# bgpdump not installed: comparison skipped\n");
		return;
	}
	snprintf(cmd, sizeof(cmd), "bgpdump -m '%s' 2>/dev/null", file);
	a = run_cmd(cmd);
	snprintf(cmd, sizeof(cmd), "'%s' dump -m '%s'", vigil_bin(), file);
	b = run_cmd(cmd);
	CHECK(a != NULL);
	CHECK(b != NULL);
	if (a && b) {
		int lines = 0;
		for (char *q = a; *q; q++)
			lines += *q == '\n';
		CHECK(lines >= min_lines);
		CHECK(strcmp(a, b) == 0);
		if (getenv("VIGIL_TEST_VERBOSE"))
			printf("# %s: bgpdump -m printed %d lines:\n%s", file,
			       lines, a);
		if (strcmp(a, b) != 0)
			fprintf(stderr, "  bgpdump:\n%s  vigil:\n%s", a, b);
	}
	free(a);
	free(b);
}

static void
read_back(const char *path, const char *const *want, unsigned nwant)
{
	char err[256], line[512];
	vg_stream *s = vg_stream_open(path, NULL, err, sizeof(err));
	struct mrt_reader *r;
	const struct vg_elem *e;
	unsigned n = 0;
	int rc;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	r = mrt_reader_new(s, path, NULL, NULL);
	while ((rc = mrt_reader_next_elem(r, &e)) > 0) {
		elem_text(e, line, sizeof(line));
		if (n < nwant)
			CHECK_EQ_STR(line, want[n]);
		n++;
	}
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(n, nwant);
	CHECK_EQ_INT(mrt_reader_stats(r)->problems, 0);
	CHECK_EQ_INT(mrt_reader_stats(r)->records, 10);
	mrt_reader_free(r);
	vg_stream_close(s);
}

static void
test_mrt_file(void)
{
	for (int gz = 0; gz < 2; gz++) {
		char path[256], bad[256];
		snprintf(bad, sizeof(bad), "%s/bad%d.mrt", tmpdir, gz);
		write_sample(bad, gz, 1);
		snprintf(path, sizeof(path), "%s/sample%d.mrt%s", tmpdir, gz,
		         gz ? ".gz" : "");
		write_sample(path, gz, 0);
		read_back(path, file_expect,
		          sizeof(file_expect) / sizeof(file_expect[0]));
		check_bgpdump(path, 12);
	}
}

static void
test_rotor(void)
{
	struct mrt_writer_opts wo = {.gzip = 1};
	struct mrt_rotor *r;
	char err[256], path[512];
	struct mrt_session_id s = {.peer_asn = 64512, .local_asn = 64496,
	                           .peer_addr = addr("192.0.2.1"),
	                           .local_addr = addr("192.0.2.254")};
	const int64_t t0 = 1445558400; /* 2015-10-23 00:00 */
	const int64_t ts[] = {t0 + 1, t0 + 299, t0 + 300, t0 + 1500, t0 + 1501};
	struct mrt_writer *w;
	int nfiles = 0;
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "%s/rot", tmpdir);
	mkdir(path, 0755);
	r = mrt_rotor_new(path, 300, &wo);
	CHECK(r != NULL);
	for (unsigned i = 0; i < 5; i++) {
		w = mrt_rotor_at(r, ts[i], 1, err, sizeof(err));
		CHECK(w != NULL);
		if (w)
			CHECK_EQ_INT(mrt_write_bgp4mp_state(w, (uint32_t)ts[i],
			                                    0, &s, 1, 2,
			                                    MRT_WF_ET),
			             0);
	}
	CHECK(mrt_rotor_at(r, t0 + 10, 1, err, sizeof(err)) == NULL);
	CHECK_EQ_INT(mrt_rotor_files(r), 5); /* 0000 0005 0010 0015 0020 */
	CHECK_EQ_INT(mrt_rotor_close(r, err, sizeof(err)), 0);
	d = opendir(path);
	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			nfiles++;
			CHECK(strstr(de->d_name, ".tmp") == NULL);
		}
	if (d)
		closedir(d);
	CHECK_EQ_INT(nfiles, 6);
	snprintf(path, sizeof(path), "%s/rot/updates.20151023.0025.gz", tmpdir);
	CHECK(access(path, F_OK) == 0);
	snprintf(path, sizeof(path), "%s/rot/updates.20151023.0015.gz", tmpdir);
	CHECK(access(path, F_OK) == 0);
	check_bgpdump(path, 0);
}

static void
cleanup(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

int
main(void)
{
	strcpy(tmpdir, "/tmp/vigil-mrtw-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_update_roundtrip);
	RUN(test_update_shapes);
	RUN(test_update_pack);
	RUN(test_rib_attrs);
	RUN(test_other_messages);
	RUN(test_ris_names);
	RUN(test_mrt_file);
	RUN(test_rotor);
	cleanup();
	return TEST_MAIN_END();
}
