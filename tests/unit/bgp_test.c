/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the BGP wire decoders (src/wire/bgp_attr.c, bgp_nlri.c,
 * bgp_path.c, bgp_msg.c) and the address text helpers (src/core/addr.c),
 * on byte arrays built by hand from the RFCs.  Every path attribute is
 * decoded well-formed and malformed, and the RFC 7606 action, offset and
 * attribute type of each recorded problem are checked; NLRI iteration
 * covers host-bit masking, bad lengths, truncation, ADD-PATH and IPv6; the
 * AS path merge follows RFC 6793 4.2.3; OPEN, NOTIFICATION, ROUTE-REFRESH
 * and the message header are decoded good and bad.  The address formatter
 * is compared with glibc's inet_ntop() on a few hundred addresses.  The
 * test_fuzz_* cases replay inputs the fuzzers found (fuzz/README.md).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vigil/addr.h"
#include "vigil/bgp.h"
#include "test.h"

static const struct bgp_decode_opts opts4 = {.asn_size = 4};
static const struct bgp_decode_opts opts2 = {.asn_size = 2};

static struct bgp_attrs a;
static struct vg_diag d;

static int
decode_attrs(const uint8_t *p, size_t n, const struct bgp_decode_opts *o)
{
	vg_diag_reset(&d);
	memset(&a, 0xa5, sizeof(a)); /* the decoder must clear what it uses */
	return bgp_attrs_decode(&a, p, n, o, &d);
}

#define DECODE(arr, o) decode_attrs((arr), sizeof(arr), (o))

/* Problem I of the diag has these err, action, attribute type, offset. */
#define CHECK_PROBLEM(i, err_, act_, type_, off_)                           \
	do {                                                                \
		CHECK((unsigned)(i) < d.n);                                 \
		if ((unsigned)(i) < d.n) {                                  \
			CHECK_EQ_INT(d.items[i].err, (err_));               \
			CHECK_EQ_INT(d.items[i].action, (act_));            \
			CHECK_EQ_INT(d.items[i].attr_type, (type_));        \
			CHECK_EQ_INT(d.items[i].offset, (off_));            \
			CHECK(d.items[i].msg[0] != '\0');                   \
		}                                                           \
	} while (0)

/* ---- path attributes: well-formed (RFC 4271 5.1, 4.3) --------------- */

static void
test_attr_all_well_formed(void)
{
	static const uint8_t b[] = {
	    0x40, 0x01, 0x01, 0x02,                   /* ORIGIN INCOMPLETE */
	    0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, /* AS_PATH 65001 */
	    0xfd, 0xe9,
	    0x40, 0x03, 0x04, 0xc0, 0x00, 0x02, 0x01, /* NEXT_HOP 192.0.2.1 */
	    0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x64, /* MED 100 */
	    0x40, 0x05, 0x04, 0x00, 0x00, 0x00, 0xc8, /* LOCAL_PREF 200 */
	    0x40, 0x06, 0x00,                         /* ATOMIC_AGGREGATE */
	    0xc0, 0x07, 0x08, 0x00, 0x00, 0xfd, 0xe9, /* AGGREGATOR 65001 */
	    0x0a, 0x00, 0x00, 0x01,                   /*   10.0.0.1 */
	    0xc0, 0x08, 0x08, 0xfd, 0xe9, 0x00, 0x01, /* COMMUNITIES */
	    0xff, 0xff, 0xff, 0x01,                   /*   no-export */
	    0x80, 0x09, 0x04, 0x0a, 0x00, 0x00, 0x02, /* ORIGINATOR_ID */
	    0x80, 0x0a, 0x08, 0x0a, 0x00, 0x00, 0x03, /* CLUSTER_LIST */
	    0x0a, 0x00, 0x00, 0x04,
	    0xc0, 0x10, 0x08, 0x00, 0x02, 0xfd, 0xe9, /* EXT_COMMUNITIES */
	    0x00, 0x00, 0x00, 0x01,
	    0xc0, 0x12, 0x08, 0x00, 0x01, 0x11, 0x70, /* AS4_AGGREGATOR */
	    0x0a, 0x00, 0x00, 0x05,                   /*   70000 10.0.0.5 */
	    0xc0, 0x20, 0x0c, 0x00, 0x00, 0xfd, 0xe9, /* LARGE_COMMUNITIES */
	    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
	    0xc0, 0x23, 0x04, 0x00, 0x00, 0xfd, 0xea, /* OTC 65002 */
	};
	static const uint8_t nh[4] = {192, 0, 2, 1};
	static const uint8_t ag[4] = {10, 0, 0, 1};
	static const uint8_t oid[4] = {10, 0, 0, 2};
	static const uint8_t ag4[4] = {10, 0, 0, 5};

	CHECK_EQ_INT(DECODE(b, &opts4), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK_EQ_INT(a.action, VG_ACT_NONE);
	CHECK_EQ_INT(a.asn_size, 4);
	CHECK_EQ_INT(a.origin, 2);
	CHECK(a.as_path.p == b + 7 && a.as_path.len == 6);
	CHECK(memcmp(a.nexthop, nh, 4) == 0);
	CHECK_EQ_INT(a.med, 100);
	CHECK_EQ_INT(a.local_pref, 200);
	CHECK(BGP_HAS(&a, BGP_ATTR_ATOMIC_AGGREGATE));
	CHECK_EQ_INT(a.aggregator_as, 65001);
	CHECK(memcmp(a.aggregator_addr, ag, 4) == 0);
	CHECK_EQ_INT(a.communities.len, 8);
	CHECK(a.communities.p != NULL &&
	      vg_load_be32(a.communities.p + 4) == BGP_COMM_NO_EXPORT);
	CHECK(memcmp(a.originator_id, oid, 4) == 0);
	CHECK_EQ_INT(a.cluster_list.len, 8);
	CHECK_EQ_INT(a.ext_communities.len, 8);
	CHECK_EQ_INT(a.as4_aggregator_as, 70000);
	CHECK(memcmp(a.as4_aggregator_addr, ag4, 4) == 0);
	CHECK_EQ_INT(a.large_communities.len, 12);
	CHECK_EQ_INT(a.otc, 65002);
	CHECK_EQ_INT(a.n_raw, 0);
	CHECK_EQ_INT(a.n_raw_total, 0);
	CHECK(a.all.p == b && a.all.len == sizeof(b));
	for (unsigned t = 1; t <= 35; t++) {
		int want = (t >= 1 && t <= 10) || t == 16 || t == 18 ||
		           t == 32 || t == 35;
		if ((int)BGP_HAS(&a, t) != want)
			fprintf(stderr, "  attribute %u present=%d\n", t,
			        (int)BGP_HAS(&a, t));
		CHECK_EQ_INT(BGP_HAS(&a, t), want);
	}
	CHECK_EQ_STR(bgp_attr_name(BGP_ATTR_AS_PATH), "AS_PATH");
	CHECK(bgp_attr_name(99) == NULL);
	CHECK(bgp_attr_name(1000) == NULL);
}

/* RFC 4271 4.3: the Extended Length bit makes the length two octets. */
static void
test_attr_extended_length(void)
{
	static const uint8_t b[] = {
	    0x50, 0x02, 0x00, 0x0a, 0x02, 0x02, 0x00, 0x00, 0x00, 0x01,
	    0x00, 0x00, 0x00, 0x02,
	};
	CHECK_EQ_INT(DECODE(b, &opts4), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK(BGP_HAS(&a, BGP_ATTR_AS_PATH));
	CHECK_EQ_INT(a.as_path.len, 10);
}

/* RFC 4760 3: MP_REACH_NLRI with an IPv6 global next hop, and with a
 * global + link-local pair (RFC 2545 3). */
static void
test_attr_mp_reach(void)
{
	static const uint8_t b16[] = {
	    0x80, 0x0e, 0x1a, 0x00, 0x02, 0x01, 0x10,  /* AFI 2 SAFI 1 nhl 16 */
	    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	    0x00,                                      /* reserved */
	    0x20, 0x20, 0x01, 0x0d, 0xb8,              /* 2001:db8::/32 */
	};
	static const uint8_t b32[] = {
	    0x80, 0x0e, 0x2a, 0x00, 0x02, 0x01, 0x20,
	    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	    0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	    0x00,
	    0x20, 0x20, 0x01, 0x0d, 0xb8,
	};
	/* RFC 4364 4.3.2: VPN-IPv4 next hop = 8-byte RD + IPv4 */
	static const uint8_t bvpn[] = {
	    0x80, 0x0e, 0x11, 0x00, 0x01, 0x80, 0x0c,
	    0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0x00, 0x02, 0x07,
	    0x00,
	};
	static const uint8_t nh[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const uint8_t ll[16] = {0xfe, 0x80, [15] = 1};
	static const uint8_t nh4[4] = {192, 0, 2, 7};

	CHECK_EQ_INT(DECODE(b16, &opts4), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK(BGP_HAS(&a, BGP_ATTR_MP_REACH_NLRI));
	CHECK_EQ_INT(a.mp_reach.afi, 2);
	CHECK_EQ_INT(a.mp_reach.safi, 1);
	CHECK_EQ_INT(a.mp_reach.nh_len, 16);
	CHECK_EQ_INT(a.mp_reach.abbreviated, 0);
	CHECK(memcmp(a.mp_reach.nh, nh, 16) == 0);
	CHECK(a.mp_reach.nlri.p == b16 + sizeof(b16) - 5);
	CHECK_EQ_INT(a.mp_reach.nlri.len, 5);

	CHECK_EQ_INT(DECODE(b32, &opts4), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK_EQ_INT(a.mp_reach.nh_len, 32);
	CHECK(memcmp(a.mp_reach.nh, nh, 16) == 0);
	CHECK(memcmp(a.mp_reach.nh + 16, ll, 16) == 0);
	CHECK_EQ_INT(a.mp_reach.nlri.len, 5);

	CHECK_EQ_INT(DECODE(bvpn, &opts4), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK_EQ_INT(a.mp_reach.safi, 128);
	CHECK_EQ_INT(a.mp_reach.nh_len, 4);
	CHECK(memcmp(a.mp_reach.nh, nh4, 4) == 0);
	CHECK_EQ_INT(a.mp_reach.nlri.len, 0);
}

/* RFC 6396 4.3.4: in a TABLE_DUMP_V2 RIB entry MP_REACH_NLRI holds only
 * the next-hop length and next hop. */
static void
test_attr_mp_reach_abbreviated(void)
{
	static const uint8_t b[] = {
	    0x80, 0x0e, 0x11, 0x10,
	    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	};
	struct bgp_decode_opts o = {.asn_size = 4, .mrt_rib = 1,
	                            .rib_afi = 2, .rib_safi = 1};
	static const uint8_t nh[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

	CHECK_EQ_INT(DECODE(b, &o), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK(BGP_HAS(&a, BGP_ATTR_MP_REACH_NLRI));
	CHECK_EQ_INT(a.mp_reach.abbreviated, 1);
	CHECK_EQ_INT(a.mp_reach.afi, 2);
	CHECK_EQ_INT(a.mp_reach.safi, 1);
	CHECK_EQ_INT(a.mp_reach.nh_len, 16);
	CHECK(memcmp(a.mp_reach.nh, nh, 16) == 0);
	CHECK_EQ_INT(a.mp_reach.nlri.len, 0);
}

/* RFC 4760 4 */
static void
test_attr_mp_unreach(void)
{
	static const uint8_t b[] = {
	    0x80, 0x0f, 0x08, 0x00, 0x02, 0x01, 0x20, 0x20, 0x01, 0x0d, 0xb8,
	};
	CHECK_EQ_INT(DECODE(b, &opts4), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK(BGP_HAS(&a, BGP_ATTR_MP_UNREACH_NLRI));
	CHECK_EQ_INT(a.mp_unreach.afi, 2);
	CHECK_EQ_INT(a.mp_unreach.safi, 1);
	CHECK(a.mp_unreach.nlri.p == b + 6);
	CHECK_EQ_INT(a.mp_unreach.nlri.len, 5);
}

/* RFC 4271 5: an unrecognised optional attribute is kept (raw). */
static void
test_attr_unknown_kept_raw(void)
{
	static const uint8_t b[] = {
	    0x40, 0x01, 0x01, 0x00,
	    0xc0, 0x63, 0x03, 0xaa, 0xbb, 0xcc,       /* type 99 */
	    0xe0, 0xfe, 0x00,                         /* type 254, partial */
	};
	uint8_t many[17 * 3];

	CHECK_EQ_INT(DECODE(b, &opts4), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK_EQ_INT(a.action, VG_ACT_NONE);
	CHECK_EQ_INT(a.n_raw, 2);
	CHECK_EQ_INT(a.n_raw_total, 2);
	CHECK_EQ_INT(a.raw[0].flags, 0xc0);
	CHECK_EQ_INT(a.raw[0].type, 99);
	CHECK(a.raw[0].val.p == b + 7);
	CHECK_EQ_INT(a.raw[0].val.len, 3);
	CHECK_EQ_INT(a.raw[1].flags, 0xe0);
	CHECK_EQ_INT(a.raw[1].type, 254);
	CHECK_EQ_INT(a.raw[1].val.len, 0);
	CHECK(BGP_HAS(&a, BGP_ATTR_ORIGIN));

	/* more than BGP_ATTR_MAX_RAW: counted, not kept */
	for (unsigned i = 0; i < 17; i++) {
		many[3 * i] = 0xc0;
		many[3 * i + 1] = (uint8_t)(100 + i);
		many[3 * i + 2] = 0;
	}
	CHECK_EQ_INT(DECODE(many, &opts4), 0);
	CHECK_EQ_INT(a.n_raw, BGP_ATTR_MAX_RAW);
	CHECK_EQ_INT(a.n_raw_total, 17);
	CHECK_EQ_INT(a.raw[15].type, 115);
}

/* ---- path attributes: RFC 7606 error handling ------------------------ */

/* RFC 7606 7.1: ORIGIN of bad length or undefined value: treat-as-withdraw */
static void
test_attr_origin_malformed(void)
{
	static const uint8_t len2[] = {0x40, 0x01, 0x02, 0x00, 0x00};
	static const uint8_t val3[] = {
	    0x40, 0x02, 0x00,                         /* empty AS_PATH */
	    0x40, 0x01, 0x01, 0x03,
	};

	CHECK_EQ_INT(DECODE(len2, &opts4), 0);
	CHECK_EQ_INT(a.action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK(!BGP_HAS(&a, BGP_ATTR_ORIGIN));
	CHECK_EQ_INT(d.n, 1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_TREAT_AS_WITHDRAW,
	              BGP_ATTR_ORIGIN, 0);

	CHECK_EQ_INT(DECODE(val3, &opts4), 0);
	CHECK_EQ_INT(a.action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK(!BGP_HAS(&a, BGP_ATTR_ORIGIN));
	CHECK(BGP_HAS(&a, BGP_ATTR_AS_PATH));
	CHECK_EQ_INT(d.n, 1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_TREAT_AS_WITHDRAW,
	              BGP_ATTR_ORIGIN, 3);
}

/* RFC 7606 7.2: a malformed AS_PATH (bad segment type, zero-length
 * segment, segment overrunning the attribute) is treat-as-withdraw. */
static void
test_attr_as_path_malformed(void)
{
	static const uint8_t bad_type[] = {
	    0x40, 0x01, 0x01, 0x00,
	    0x40, 0x02, 0x06, 0x05, 0x01, 0x00, 0x00, 0x00, 0x01,
	};
	static const uint8_t zero_seg[] = {
	    0x40, 0x01, 0x01, 0x00,
	    0x40, 0x02, 0x08, 0x02, 0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00,
	};
	static const uint8_t overrun[] = {
	    0x40, 0x01, 0x01, 0x00,
	    0x40, 0x02, 0x06, 0x02, 0x02, 0x00, 0x00, 0x00, 0x01,
	};
	static const uint8_t half_hdr[] = {
	    0x40, 0x01, 0x01, 0x00,
	    0x40, 0x02, 0x07, 0x02, 0x01, 0x00, 0x00, 0x00, 0x01, 0x02,
	};
	/* 2-byte ASNs read as 4-byte: the count no longer fits */
	static const uint8_t width[] = {
	    0x40, 0x02, 0x06, 0x02, 0x02, 0x00, 0x01, 0x00, 0x02,
	};
	const struct {
		const uint8_t *b;
		size_t n;
		unsigned off;
	} cases[] = {
	    {bad_type, sizeof(bad_type), 4},
	    {zero_seg, sizeof(zero_seg), 4},
	    {overrun, sizeof(overrun), 4},
	    {half_hdr, sizeof(half_hdr), 4},
	    {width, sizeof(width), 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ_INT(decode_attrs(cases[i].b, cases[i].n, &opts4), 0);
		CHECK_EQ_INT(a.action, VG_ACT_TREAT_AS_WITHDRAW);
		CHECK(!BGP_HAS(&a, BGP_ATTR_AS_PATH));
		CHECK_EQ_INT(d.n, 1);
		CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_TREAT_AS_WITHDRAW,
		              BGP_ATTR_AS_PATH, cases[i].off);
	}
	/* the same bytes are a good 2-byte path */
	CHECK_EQ_INT(decode_attrs(width, sizeof(width), &opts2), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK(BGP_HAS(&a, BGP_ATTR_AS_PATH));
}

/* RFC 7606 7.3: NEXT_HOP length other than 4: treat-as-withdraw */
static void
test_attr_next_hop_bad_length(void)
{
	static const uint8_t b[] = {
	    0x40, 0x01, 0x01, 0x00,
	    0x40, 0x03, 0x05, 0xc0, 0x00, 0x02, 0x01, 0x00,
	};
	CHECK_EQ_INT(DECODE(b, &opts4), 0);
	CHECK_EQ_INT(a.action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK(!BGP_HAS(&a, BGP_ATTR_NEXT_HOP));
	CHECK(BGP_HAS(&a, BGP_ATTR_ORIGIN));
	CHECK_EQ_INT(d.n, 1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_TREAT_AS_WITHDRAW,
	              BGP_ATTR_NEXT_HOP, 4);
}

/* RFC 7606 7.4, 7.5: MED and LOCAL_PREF length other than 4:
 * treat-as-withdraw */
static void
test_attr_med_local_pref_bad_length(void)
{
	static const uint8_t med[] = {0x80, 0x04, 0x03, 0x00, 0x00, 0x01};
	static const uint8_t lp[] = {
	    0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x05,
	    0x40, 0x05, 0x02, 0x00, 0x01,
	};

	CHECK_EQ_INT(DECODE(med, &opts4), 0);
	CHECK_EQ_INT(a.action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK(!BGP_HAS(&a, BGP_ATTR_MED));
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_TREAT_AS_WITHDRAW,
	              BGP_ATTR_MED, 0);

	CHECK_EQ_INT(DECODE(lp, &opts4), 0);
	CHECK_EQ_INT(a.action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK(BGP_HAS(&a, BGP_ATTR_MED) && a.med == 5);
	CHECK(!BGP_HAS(&a, BGP_ATTR_LOCAL_PREF));
	CHECK_EQ_INT(d.n, 1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_TREAT_AS_WITHDRAW,
	              BGP_ATTR_LOCAL_PREF, 7);
}

/* RFC 7606 7.6: ATOMIC_AGGREGATE length other than 0: attribute discard */
static void
test_attr_atomic_aggregate_bad_length(void)
{
	static const uint8_t b[] = {
	    0x40, 0x01, 0x01, 0x00,
	    0x40, 0x06, 0x01, 0x00,
	};
	CHECK_EQ_INT(DECODE(b, &opts4), 0);
	CHECK_EQ_INT(a.action, VG_ACT_ATTR_DISCARD);
	CHECK(!BGP_HAS(&a, BGP_ATTR_ATOMIC_AGGREGATE));
	CHECK(BGP_HAS(&a, BGP_ATTR_ORIGIN));
	CHECK_EQ_INT(d.n, 1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_ATTR_DISCARD,
	              BGP_ATTR_ATOMIC_AGGREGATE, 4);
}

/* RFC 7606 7.7: AGGREGATOR of the wrong length (6 with 2-byte ASNs, 8 with
 * 4-byte) is discarded.  An MRT TABLE_DUMP entry (2-byte) with an 8-byte
 * AGGREGATOR, as OpenBGPD writes it, is accepted. */
static void
test_attr_aggregator_length(void)
{
	static const uint8_t six[] = {
	    0xc0, 0x07, 0x06, 0xfd, 0xe9, 0x0a, 0x00, 0x00, 0x01,
	};
	static const uint8_t eight[] = {
	    0xc0, 0x07, 0x08, 0x00, 0x01, 0x11, 0x70, 0x0a, 0x00, 0x00, 0x01,
	};
	struct bgp_decode_opts rib2 = {.asn_size = 2, .mrt_rib = 1,
	                               .rib_afi = 1, .rib_safi = 1};

	CHECK_EQ_INT(DECODE(six, &opts4), 0);
	CHECK_EQ_INT(a.action, VG_ACT_ATTR_DISCARD);
	CHECK(!BGP_HAS(&a, BGP_ATTR_AGGREGATOR));
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_ATTR_DISCARD,
	              BGP_ATTR_AGGREGATOR, 0);

	CHECK_EQ_INT(DECODE(six, &opts2), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK(BGP_HAS(&a, BGP_ATTR_AGGREGATOR));
	CHECK_EQ_INT(a.aggregator_as, 65001);

	CHECK_EQ_INT(DECODE(eight, &opts2), 0);
	CHECK_EQ_INT(a.action, VG_ACT_ATTR_DISCARD);
	CHECK(!BGP_HAS(&a, BGP_ATTR_AGGREGATOR));
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_ATTR_DISCARD,
	              BGP_ATTR_AGGREGATOR, 0);

	CHECK_EQ_INT(DECODE(eight, &rib2), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK_EQ_INT(a.aggregator_as, 70000);

	CHECK_EQ_INT(DECODE(eight, &opts4), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK_EQ_INT(a.aggregator_as, 70000);
}

/* RFC 7606 7.8 (COMMUNITIES, length % 4), RFC 8092 5 (LARGE_COMMUNITIES,
 * length % 12), RFC 7606 7.14 (EXTENDED_COMMUNITIES, length % 8):
 * treat-as-withdraw. */
static void
test_attr_community_lengths(void)
{
	static const uint8_t comm5[] = {
	    0xc0, 0x08, 0x05, 0, 1, 0, 2, 3,
	};
	static const uint8_t comm0[] = {0xc0, 0x08, 0x00};
	static const uint8_t large13[] = {
	    0xc0, 0x20, 0x0d, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 4,
	};
	static const uint8_t ext9[] = {
	    0xc0, 0x10, 0x09, 0, 2, 0, 1, 0, 0, 0, 1, 9,
	};
	const struct {
		const uint8_t *b;
		size_t n;
		unsigned type;
	} cases[] = {
	    {comm5, sizeof(comm5), BGP_ATTR_COMMUNITIES},
	    {comm0, sizeof(comm0), BGP_ATTR_COMMUNITIES},
	    {large13, sizeof(large13), BGP_ATTR_LARGE_COMMUNITIES},
	    {ext9, sizeof(ext9), BGP_ATTR_EXT_COMMUNITIES},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ_INT(decode_attrs(cases[i].b, cases[i].n, &opts4), 0);
		CHECK_EQ_INT(a.action, VG_ACT_TREAT_AS_WITHDRAW);
		CHECK(!BGP_HAS(&a, cases[i].type));
		CHECK_EQ_INT(d.n, 1);
		CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_TREAT_AS_WITHDRAW,
		              cases[i].type, 0);
	}
}

/* RFC 4456 8 via RFC 7606 7.9, 7.10: ORIGINATOR_ID length 4,
 * CLUSTER_LIST a multiple of 4: treat-as-withdraw otherwise. */
static void
test_attr_route_reflection_lengths(void)
{
	static const uint8_t oid3[] = {0x80, 0x09, 0x03, 10, 0, 0};
	static const uint8_t cl5[] = {0x80, 0x0a, 0x05, 10, 0, 0, 1, 2};

	CHECK_EQ_INT(DECODE(oid3, &opts4), 0);
	CHECK_EQ_INT(a.action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_TREAT_AS_WITHDRAW,
	              BGP_ATTR_ORIGINATOR_ID, 0);
	CHECK_EQ_INT(DECODE(cl5, &opts4), 0);
	CHECK_EQ_INT(a.action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_TREAT_AS_WITHDRAW,
	              BGP_ATTR_CLUSTER_LIST, 0);
}

/* RFC 6793 6 (and RFC 7606 7.13): AS4_PATH with a confederation segment,
 * and a malformed AS4_AGGREGATOR, are discarded. */
static void
test_attr_as4_malformed_discarded(void)
{
	static const uint8_t b[] = {
	    0x40, 0x02, 0x04, 0x02, 0x01, 0x5b, 0xa0,      /* AS_PATH 23456 */
	    0xc0, 0x11, 0x06, 0x03, 0x01, 0x00, 0x01, 0x11, 0x70,
	    0xc0, 0x12, 0x06, 0x00, 0x01, 0x11, 0x70, 0x0a, 0x00,
	};
	struct bgp_path path;
	char buf[64];

	CHECK_EQ_INT(DECODE(b, &opts2), 0);
	CHECK_EQ_INT(a.action, VG_ACT_ATTR_DISCARD);
	CHECK(BGP_HAS(&a, BGP_ATTR_AS_PATH));
	CHECK(!BGP_HAS(&a, BGP_ATTR_AS4_PATH));
	CHECK(!BGP_HAS(&a, BGP_ATTR_AS4_AGGREGATOR));
	CHECK_EQ_INT(d.n, 2);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_ATTR_DISCARD,
	              BGP_ATTR_AS4_PATH, 7);
	CHECK_PROBLEM(1, VG_ERR_MALFORMED, VG_ACT_ATTR_DISCARD,
	              BGP_ATTR_AS4_AGGREGATOR, 16);
	/* the path is AS_PATH alone */
	bgp_path_init(&path);
	CHECK_EQ_INT(bgp_path_build(&path, &a), 0);
	bgp_path_fmt(&path, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "23456");
	bgp_path_destroy(&path);
}

/* RFC 7606 3(g): a repeated attribute - all but the first discarded; a
 * repeated MP_REACH_NLRI / MP_UNREACH_NLRI makes the UPDATE unusable. */
static void
test_attr_duplicates(void)
{
	static const uint8_t dup_origin[] = {
	    0x40, 0x01, 0x01, 0x00,
	    0x40, 0x01, 0x01, 0x02,
	};
	static const uint8_t dup_mp[] = {
	    0x40, 0x01, 0x01, 0x00,
	    0x80, 0x0e, 0x09, 0x00, 0x01, 0x01, 0x04, 0xc0, 0x00, 0x02, 0x01,
	    0x00,
	    0x80, 0x0e, 0x09, 0x00, 0x01, 0x01, 0x04, 0xc0, 0x00, 0x02, 0x01,
	    0x00,
	};
	static const uint8_t dup_unreach[] = {
	    0x80, 0x0f, 0x03, 0x00, 0x01, 0x01,
	    0x80, 0x0f, 0x03, 0x00, 0x02, 0x01,
	};
	uint8_t many[10 * 4];

	CHECK_EQ_INT(DECODE(dup_origin, &opts4), 0);
	CHECK(BGP_HAS(&a, BGP_ATTR_ORIGIN));
	CHECK_EQ_INT(a.origin, 0);
	CHECK(a.action != VG_ACT_TREAT_AS_WITHDRAW &&
	      a.action != VG_ACT_SESSION_RESET);
	CHECK_EQ_INT(d.n, 1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_ATTR_DISCARD,
	              BGP_ATTR_ORIGIN, 4);

	CHECK_EQ_INT(DECODE(dup_mp, &opts4), -1);
	CHECK_EQ_INT(a.action, VG_ACT_SESSION_RESET);
	CHECK_EQ_INT(d.n, 1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET,
	              BGP_ATTR_MP_REACH_NLRI, 16);

	CHECK_EQ_INT(DECODE(dup_unreach, &opts4), -1);
	CHECK_EQ_INT(a.action, VG_ACT_SESSION_RESET);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET,
	              BGP_ATTR_MP_UNREACH_NLRI, 6);

	/* 9 repeats: VG_DIAG_MAX kept, the rest counted */
	for (unsigned i = 0; i < 10; i++) {
		many[4 * i] = 0x40;
		many[4 * i + 1] = 0x01;
		many[4 * i + 2] = 0x01;
		many[4 * i + 3] = 0x00;
	}
	CHECK_EQ_INT(DECODE(many, &opts4), 0);
	CHECK_EQ_INT(d.n, VG_DIAG_MAX);
	CHECK_EQ_INT(d.dropped, 9 - VG_DIAG_MAX);
	CHECK_PROBLEM(VG_DIAG_MAX - 1, VG_ERR_MALFORMED, VG_ACT_ATTR_DISCARD,
	              BGP_ATTR_ORIGIN, 4 * VG_DIAG_MAX);
}

/* RFC 7606 3(c): Optional/Transitive flags in conflict with the type:
 * treat-as-withdraw, or discard for attributes whose own error handling
 * is discard. */
static void
test_attr_flags_conflict(void)
{
	static const uint8_t origin_opt[] = {
	    0x40, 0x02, 0x00,
	    0xc0, 0x01, 0x01, 0x00,                  /* ORIGIN as optional */
	};
	static const uint8_t med_trans[] = {
	    0xc0, 0x04, 0x04, 0, 0, 0, 1,            /* MED as transitive */
	};
	static const uint8_t aggr_wk[] = {
	    0x40, 0x07, 0x08, 0, 0, 0xfd, 0xe9, 10, 0, 0, 1,
	};
	static const uint8_t partial_ok[] = {
	    0xe0, 0x08, 0x04, 0xfd, 0xe9, 0x00, 0x01, /* Partial is fine */
	};

	CHECK_EQ_INT(DECODE(origin_opt, &opts4), 0);
	CHECK_EQ_INT(a.action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK(!BGP_HAS(&a, BGP_ATTR_ORIGIN));
	CHECK_EQ_INT(d.n, 1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_TREAT_AS_WITHDRAW,
	              BGP_ATTR_ORIGIN, 3);

	CHECK_EQ_INT(DECODE(med_trans, &opts4), 0);
	CHECK_EQ_INT(a.action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_TREAT_AS_WITHDRAW,
	              BGP_ATTR_MED, 0);

	CHECK_EQ_INT(DECODE(aggr_wk, &opts4), 0);
	CHECK_EQ_INT(a.action, VG_ACT_ATTR_DISCARD);
	CHECK(!BGP_HAS(&a, BGP_ATTR_AGGREGATOR));
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_ATTR_DISCARD,
	              BGP_ATTR_AGGREGATOR, 0);

	CHECK_EQ_INT(DECODE(partial_ok, &opts4), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK(BGP_HAS(&a, BGP_ATTR_COMMUNITIES));
}

/* RFC 7606 4: an attribute whose length runs past the block, or a header
 * cut short: treat-as-withdraw, and parsing stops there (what was decoded
 * before is kept). */
static void
test_attr_block_overrun(void)
{
	static const uint8_t len_over[] = {
	    0x40, 0x01, 0x01, 0x00,
	    0x40, 0x02, 0x10, 0x02, 0x01, 0x00, 0x00,
	};
	static const uint8_t ext_over[] = {
	    0x40, 0x01, 0x01, 0x00,
	    0x50, 0x02, 0x01, 0x00, 0x02,
	};

	CHECK_EQ_INT(DECODE(len_over, &opts4), 0);
	CHECK_EQ_INT(a.action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK(BGP_HAS(&a, BGP_ATTR_ORIGIN));
	CHECK(!BGP_HAS(&a, BGP_ATTR_AS_PATH));
	CHECK_EQ_INT(d.n, 1);
	CHECK_PROBLEM(0, VG_ERR_TRUNCATED, VG_ACT_TREAT_AS_WITHDRAW,
	              BGP_ATTR_AS_PATH, 4);

	CHECK_EQ_INT(DECODE(ext_over, &opts4), 0);
	CHECK_EQ_INT(a.action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK_PROBLEM(0, VG_ERR_TRUNCATED, VG_ACT_TREAT_AS_WITHDRAW,
	              BGP_ATTR_AS_PATH, 4);
}

/* RFC 7606 4: fewer than 3 octets left for an attribute header.  The
 * problem points at the start of the cut attribute. */
static void
test_attr_header_cut_short(void)
{
	static const uint8_t one[] = {0x40, 0x01, 0x01, 0x00, 0x40};
	static const uint8_t two[] = {0x40, 0x01, 0x01, 0x00, 0x40, 0x02};
	static const uint8_t ext3[] = {0x40, 0x01, 0x01, 0x00, 0x50, 0x02, 0x00};

	CHECK_EQ_INT(DECODE(one, &opts4), 0);
	CHECK_EQ_INT(a.action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK(BGP_HAS(&a, BGP_ATTR_ORIGIN));
	CHECK_EQ_INT(d.n, 1);
	CHECK_PROBLEM(0, VG_ERR_TRUNCATED, VG_ACT_TREAT_AS_WITHDRAW, 0, 4);
	CHECK_EQ_INT(DECODE(two, &opts4), 0);
	CHECK_PROBLEM(0, VG_ERR_TRUNCATED, VG_ACT_TREAT_AS_WITHDRAW, 0, 4);
	CHECK_EQ_INT(DECODE(ext3, &opts4), 0);
	CHECK_PROBLEM(0, VG_ERR_TRUNCATED, VG_ACT_TREAT_AS_WITHDRAW, 0, 4);
}

/* RFC 7606 7.11: an MP_REACH_NLRI too short for its own fields makes the
 * UPDATE unusable (session reset). */
static void
test_attr_mp_reach_malformed(void)
{
	static const uint8_t short_afi[] = {0x80, 0x0e, 0x02, 0x00, 0x02};
	static const uint8_t nh_over[] = {
	    0x80, 0x0e, 0x06, 0x00, 0x02, 0x01, 0x10, 0x20, 0x01,
	};
	static const uint8_t no_reserved[] = {
	    0x80, 0x0e, 0x08, 0x00, 0x01, 0x01, 0x04, 10, 0, 0, 1,
	};
	static const uint8_t unreach_short[] = {0x80, 0x0f, 0x01, 0x00};

	CHECK_EQ_INT(DECODE(short_afi, &opts4), -1);
	CHECK_EQ_INT(a.action, VG_ACT_SESSION_RESET);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET,
	              BGP_ATTR_MP_REACH_NLRI, 0);
	CHECK_EQ_INT(DECODE(nh_over, &opts4), -1);
	CHECK_EQ_INT(DECODE(no_reserved, &opts4), -1);
	CHECK_EQ_INT(DECODE(unreach_short, &opts4), -1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET,
	              BGP_ATTR_MP_UNREACH_NLRI, 0);
}

/* ---- UPDATE framing (RFC 4271 4.3, RFC 7606 5) ---------------------- */

static const uint8_t update_body[] = {
    0x00, 0x04, 0x18, 0x0a, 0x01, 0x02,             /* withdrawn 10.1.2/24 */
    0x00, 0x14,                                     /* attributes: 20 */
    0x40, 0x01, 0x01, 0x00,
    0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe9,
    0x40, 0x03, 0x04, 0xc0, 0x00, 0x02, 0x01,
    0x10, 0xc0, 0xa8,                               /* 192.168/16 */
};

static void
test_update_decode(void)
{
	struct bgp_update u;

	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_update_decode(&u, update_body, sizeof(update_body),
	                               &opts4, &d), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK(u.withdrawn.p == update_body + 2 && u.withdrawn.len == 4);
	CHECK_EQ_INT(u.attrs_off, 8);
	CHECK_EQ_INT(u.nlri_off, 28);
	CHECK(u.nlri.p == update_body + 28 && u.nlri.len == 3);
	CHECK(u.attrs.all.p == update_body + 8 && u.attrs.all.len == 20);
	CHECK(BGP_HAS(&u.attrs, BGP_ATTR_NEXT_HOP));
	CHECK_EQ_INT(u.attrs.action, VG_ACT_NONE);
}

static void
test_update_lengths_inconsistent(void)
{
	struct bgp_update u;
	uint8_t b[sizeof(update_body)];

	/* withdrawn routes length past the end: session reset, offset 0 */
	memcpy(b, update_body, sizeof(b));
	b[1] = 0x40;
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_update_decode(&u, b, sizeof(b), &opts4, &d), -1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET, 0, 0);

	/* total path attribute length past the end: offset of that field */
	memcpy(b, update_body, sizeof(b));
	b[7] = 0x40;
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_update_decode(&u, b, sizeof(b), &opts4, &d), -1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET, 0, 6);

	/* too short for the two length fields */
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_update_decode(&u, b, 1, &opts4, &d), -1);
	CHECK_PROBLEM(0, VG_ERR_TRUNCATED, VG_ACT_SESSION_RESET, 0, 0);
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_update_decode(&u, update_body, 7, &opts4, &d), -1);
	CHECK_PROBLEM(0, VG_ERR_TRUNCATED, VG_ACT_SESSION_RESET, 0, 6);

	/* an End-of-RIB marker (RFC 4724 2): four zero bytes */
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_update_decode(&u, (const uint8_t *)"\0\0\0\0", 4,
	                               &opts4, &d), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK_EQ_INT(u.withdrawn.len + u.nlri.len + u.attrs.all.len, 0);

	/* a duplicate MP_REACH_NLRI inside: the message is unusable */
	{
		static const uint8_t dup[] = {
		    0x00, 0x00, 0x00, 0x0c,
		    0x80, 0x0f, 0x03, 0x00, 0x01, 0x01,
		    0x80, 0x0f, 0x03, 0x00, 0x01, 0x01,
		};
		vg_diag_reset(&d);
		CHECK_EQ_INT(bgp_update_decode(&u, dup, sizeof(dup), &opts4,
		                               &d), -1);
		CHECK_EQ_INT(u.attrs.action, VG_ACT_SESSION_RESET);
	}
}

/* bgp.h: bgp_update_decode() reports problems "with offsets relative to
 * BODY" - attribute problems included, not relative to the attribute
 * block. */
static void
test_update_problem_offsets(void)
{
	struct bgp_update u;
	uint8_t b[sizeof(update_body)];

	memcpy(b, update_body, sizeof(b));
	b[11] = 3;                      /* ORIGIN value 3, at body offset 8 */
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_update_decode(&u, b, sizeof(b), &opts4, &d), 0);
	CHECK_EQ_INT(u.attrs.action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_TREAT_AS_WITHDRAW,
	              BGP_ATTR_ORIGIN, 8);
}

/* A message the recorder cut short (opts.cut): the complete withdrawals
 * are kept; cut attributes make the update treat-as-withdraw (RFC 7606 4)
 * instead of unusable. */
static void
test_update_cut(void)
{
	struct bgp_decode_opts cut = {.asn_size = 4, .cut = 1};
	struct bgp_update u;

	/* cut inside the withdrawn routes: what is there is used */
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_update_decode(&u, update_body, 5, &cut, &d), 0);
	CHECK(u.withdrawn.p == update_body + 2 && u.withdrawn.len == 3);
	CHECK_EQ_INT(u.nlri.len, 0);
	CHECK_EQ_INT(u.attrs.present, 0);
	CHECK_PROBLEM(0, VG_ERR_TRUNCATED, VG_ACT_PARTIAL, 0, 0);

	/* cut inside the attributes: ORIGIN and AS_PATH complete, the
	 * rest and the NLRI lost; the problem points at the total path
	 * attribute length (body offset 6) */
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_update_decode(&u, update_body, 21, &cut, &d), 0);
	CHECK_EQ_INT(u.withdrawn.len, 4);
	CHECK_EQ_INT(u.nlri.len, 0);
	CHECK_EQ_INT(u.attrs.action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK(BGP_HAS(&u.attrs, BGP_ATTR_ORIGIN));
	CHECK(BGP_HAS(&u.attrs, BGP_ATTR_AS_PATH));
	CHECK(!BGP_HAS(&u.attrs, BGP_ATTR_NEXT_HOP));
	CHECK_PROBLEM(0, VG_ERR_TRUNCATED, VG_ACT_TREAT_AS_WITHDRAW, 0, 6);

	/* without the option the same bytes are unusable */
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_update_decode(&u, update_body, 21, &opts4, &d), -1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET, 0, 6);
}

/* ---- NLRI (RFC 4271 4.3, RFC 4760 5, RFC 7911 3) -------------------- */

static int
nlri_one(const uint8_t *p, size_t n, unsigned afi, int addpath,
         struct vg_prefix *pfx, uint32_t *pid, char *txt)
{
	struct bgp_nlri_iter it;
	struct bgp_span s = {p, (uint32_t)n};
	int rc;

	vg_diag_reset(&d);
	bgp_nlri_init(&it, s, afi, 1, addpath, 0);
	rc = bgp_nlri_next(&it, pfx, pid, &d);
	if (rc > 0 && txt)
		vg_prefix_str(pfx, txt);
	return rc;
}

/* RFC 4271 4.3: trailing bits are irrelevant; we clear them. */
static void
test_nlri_host_bits_masked(void)
{
	static const uint8_t b[] = {0x0d, 0x0b, 0x0a};  /* 11.10.0.0/13 */
	static const uint8_t b6[] = {0x21, 0x20, 0x01, 0x0d, 0xb8, 0xff};
	struct vg_prefix p;
	uint32_t pid = 99;
	char txt[VG_PREFIX_STRLEN];

	CHECK_EQ_INT(nlri_one(b, sizeof(b), 1, 0, &p, &pid, txt), 1);
	CHECK_EQ_STR(txt, "11.8.0.0/13");
	CHECK_EQ_INT(pid, 0);
	CHECK_EQ_INT(p.afi, VG_AFI_IP4);
	CHECK_EQ_INT(p.safi, 1);
	CHECK_EQ_INT(nlri_one(b6, sizeof(b6), 2, 0, &p, &pid, txt), 1);
	CHECK_EQ_STR(txt, "2001:db8:8000::/33");
}

static void
test_nlri_sequence_and_end(void)
{
	static const uint8_t b[] = {
	    0x18, 0xc0, 0x00, 0x02,         /* 192.0.2.0/24 */
	    0x00,                           /* 0.0.0.0/0 */
	    0x20, 0x0a, 0x00, 0x00, 0x01,   /* 10.0.0.1/32 */
	    0x08, 0x0a,                     /* 10.0.0.0/8 */
	};
	static const char *const want[] = {"192.0.2.0/24", "0.0.0.0/0",
	                                   "10.0.0.1/32", "10.0.0.0/8"};
	struct bgp_nlri_iter it;
	struct bgp_span s = {b, sizeof(b)};
	struct vg_prefix p;
	uint32_t pid;
	char txt[VG_PREFIX_STRLEN];
	unsigned n = 0;

	vg_diag_reset(&d);
	bgp_nlri_init(&it, s, 1, 1, 0, 0);
	while (bgp_nlri_next(&it, &p, &pid, &d) == 1) {
		CHECK(n < 4);
		if (n < 4)
			CHECK_EQ_STR(vg_prefix_str(&p, txt), want[n]);
		n++;
	}
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(d.n, 0);
	CHECK_EQ_INT(bgp_nlri_next(&it, &p, &pid, &d), 0);

	/* an empty field ends at once */
	s.len = 0;
	bgp_nlri_init(&it, s, 1, 1, 0, 0);
	CHECK_EQ_INT(bgp_nlri_next(&it, &p, &pid, &d), 0);
}

/* RFC 7606 5.3: a prefix length beyond the address size makes the rest
 * of the field unusable. */
static void
test_nlri_bad_prefix_length(void)
{
	static const uint8_t b[] = {
	    0x18, 0xc0, 0x00, 0x02,
	    0x21, 0x0a, 0x00, 0x00, 0x01, 0x00,     /* /33 for IPv4 */
	    0x08, 0x0a,
	};
	static const uint8_t b6[] = {0x81, 0x20};  /* /129 for IPv6 */
	struct bgp_nlri_iter it;
	struct bgp_span s = {b, sizeof(b)};
	struct vg_prefix p;
	uint32_t pid;

	vg_diag_reset(&d);
	bgp_nlri_init(&it, s, 1, 1, 0, 1000);
	CHECK_EQ_INT(bgp_nlri_next(&it, &p, &pid, &d), 1);
	CHECK_EQ_INT(bgp_nlri_next(&it, &p, &pid, &d), -1);
	CHECK_EQ_INT(d.n, 1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_PARTIAL, 0, 1004);
	CHECK_EQ_INT(bgp_nlri_next(&it, &p, &pid, &d), 0);

	CHECK_EQ_INT(nlri_one(b6, sizeof(b6), 2, 0, &p, &pid, NULL), -1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_PARTIAL, 0, 0);
	/* /32 and /128 are fine */
	CHECK_EQ_INT(nlri_one(b + 4, 5, 1, 0, &p, &pid, NULL), -1);
	{
		static const uint8_t ok32[] = {0x20, 10, 0, 0, 1};
		static const uint8_t ok128[] = {0x80, 0x20, 0x01, 0x0d, 0xb8,
		                                0, 0, 0, 0, 0, 0, 0, 0,
		                                0, 0, 0, 1};
		char txt[VG_PREFIX_STRLEN];
		CHECK_EQ_INT(nlri_one(ok32, sizeof(ok32), 1, 0, &p, &pid, txt), 1);
		CHECK_EQ_STR(txt, "10.0.0.1/32");
		CHECK_EQ_INT(nlri_one(ok128, sizeof(ok128), 2, 0, &p, &pid, txt),
		             1);
		CHECK_EQ_STR(txt, "2001:db8::1/128");
	}
}

static void
test_nlri_truncated(void)
{
	static const uint8_t b[] = {0x08, 0x0a, 0x18, 0x0a, 0x00};
	static const uint8_t ap[] = {0x00, 0x00, 0x01};   /* path id cut */
	struct bgp_nlri_iter it;
	struct bgp_span s = {b, sizeof(b)};
	struct vg_prefix p;
	uint32_t pid;

	vg_diag_reset(&d);
	bgp_nlri_init(&it, s, 1, 1, 0, 50);
	CHECK_EQ_INT(bgp_nlri_next(&it, &p, &pid, &d), 1);
	CHECK_EQ_INT(bgp_nlri_next(&it, &p, &pid, &d), -1);
	CHECK_PROBLEM(0, VG_ERR_TRUNCATED, VG_ACT_PARTIAL, 0, 52);
	CHECK_EQ_INT(bgp_nlri_next(&it, &p, &pid, &d), 0);

	CHECK_EQ_INT(nlri_one(ap, sizeof(ap), 1, 1, &p, &pid, NULL), -1);
	CHECK_PROBLEM(0, VG_ERR_TRUNCATED, VG_ACT_PARTIAL, 0, 0);
}

/* RFC 7911 3: each NLRI entry starts with a 4-octet Path Identifier. */
static void
test_nlri_addpath(void)
{
	static const uint8_t b[] = {
	    0x00, 0x00, 0x00, 0x07, 0x18, 0x0a, 0x00, 0x01,
	    0xff, 0xff, 0xff, 0xff, 0x00,
	};
	struct bgp_nlri_iter it;
	struct bgp_span s = {b, sizeof(b)};
	struct vg_prefix p;
	uint32_t pid;
	char txt[VG_PREFIX_STRLEN];

	vg_diag_reset(&d);
	bgp_nlri_init(&it, s, 1, 1, 1, 0);
	CHECK_EQ_INT(bgp_nlri_next(&it, &p, &pid, &d), 1);
	CHECK_EQ_INT(pid, 7);
	CHECK_EQ_STR(vg_prefix_str(&p, txt), "10.0.1.0/24");
	CHECK_EQ_INT(bgp_nlri_next(&it, &p, &pid, &d), 1);
	CHECK_EQ_INT(pid, 0xffffffffu);
	CHECK_EQ_STR(vg_prefix_str(&p, txt), "0.0.0.0/0");
	CHECK_EQ_INT(bgp_nlri_next(&it, &p, &pid, &d), 0);
	CHECK_EQ_INT(d.n, 0);
}

/* RFC 4760 5 with RFC 2545: IPv6 prefixes. */
static void
test_nlri_ipv6(void)
{
	static const uint8_t b[] = {
	    0x20, 0x20, 0x01, 0x0d, 0xb8,
	    0x30, 0x2a, 0x00, 0x14, 0x50, 0x40, 0x01,
	    0x00,
	};
	static const char *const want[] = {"2001:db8::/32", "2a00:1450:4001::/48",
	                                   "::/0"};
	struct bgp_nlri_iter it;
	struct bgp_span s = {b, sizeof(b)};
	struct vg_prefix p;
	uint32_t pid;
	char txt[VG_PREFIX_STRLEN];
	unsigned n = 0;

	vg_diag_reset(&d);
	bgp_nlri_init(&it, s, 2, 2, 0, 0);
	while (bgp_nlri_next(&it, &p, &pid, &d) == 1) {
		CHECK_EQ_INT(p.afi, VG_AFI_IP6);
		CHECK_EQ_INT(p.safi, VG_SAFI_MULTICAST);
		if (n < 3)
			CHECK_EQ_STR(vg_prefix_str(&p, txt), want[n]);
		n++;
	}
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(d.n, 0);
}

/* AFI/SAFI pairs whose NLRI is not a plain prefix list are not decoded. */
static void
test_nlri_unsupported_afi_safi(void)
{
	static const uint8_t b[] = {0x18, 0x0a, 0x00, 0x01};
	struct bgp_nlri_iter it;
	struct bgp_span s = {b, sizeof(b)};
	struct vg_prefix p;
	uint32_t pid;

	vg_diag_reset(&d);
	bgp_nlri_init(&it, s, 1, 128, 0, 0);       /* VPNv4 */
	CHECK_EQ_INT(bgp_nlri_next(&it, &p, &pid, &d), -1);
	CHECK_EQ_INT(d.n, 1);
	CHECK_EQ_INT(d.items[0].err, VG_ERR_UNSUPPORTED);
	CHECK_EQ_INT(bgp_nlri_next(&it, &p, &pid, &d), 0);

	vg_diag_reset(&d);
	bgp_nlri_init(&it, s, 25, 65, 0, 0);       /* L2VPN/VPLS */
	CHECK_EQ_INT(bgp_nlri_next(&it, &p, &pid, &d), -1);
	CHECK_EQ_INT(d.items[0].err, VG_ERR_UNSUPPORTED);
}

/* ---- AS path (RFC 4271 5.1.2, RFC 6793 4.2.3, RFC 5065) ------------- */

static void
path_text(const uint8_t *b, size_t n, const struct bgp_decode_opts *o,
          char *buf, size_t cap, uint32_t *count)
{
	struct bgp_path path;

	buf[0] = '\0';
	CHECK_EQ_INT(decode_attrs(b, n, o), 0);
	CHECK_EQ_INT(d.n, 0);
	bgp_path_init(&path);
	CHECK_EQ_INT(bgp_path_build(&path, &a), 0);
	CHECK_EQ_INT(bgp_path_fmt(&path, buf, cap), strlen(buf));
	if (count)
		*count = bgp_path_count(&path);
	bgp_path_destroy(&path);
}

/* RFC 6793 4.2.3: "1 23456 23456 4" + AS4_PATH "70000 80000 4". */
static void
test_path_as4_merge(void)
{
	static const uint8_t b[] = {
	    0x40, 0x02, 0x0a, 0x02, 0x04, 0x00, 0x01, 0x5b, 0xa0, 0x5b, 0xa0,
	    0x00, 0x04,
	    0xc0, 0x11, 0x0e, 0x02, 0x03, 0x00, 0x01, 0x11, 0x70, 0x00, 0x01,
	    0x38, 0x80, 0x00, 0x00, 0x00, 0x04,
	};
	char buf[128];
	uint32_t n;

	path_text(b, sizeof(b), &opts2, buf, sizeof(buf), &n);
	CHECK_EQ_STR(buf, "1 70000 80000 4");
	CHECK_EQ_INT(n, 4);

	/* a 4-byte speaker's AS4_PATH means nothing: AS_PATH as is */
	{
		static const uint8_t b4[] = {
		    0x40, 0x02, 0x0a, 0x02, 0x02, 0x00, 0x00, 0x00, 0x01,
		    0x00, 0x00, 0x5b, 0xa0,
		    0xc0, 0x11, 0x06, 0x02, 0x01, 0x00, 0x01, 0x11, 0x70,
		};
		path_text(b4, sizeof(b4), &opts4, buf, sizeof(buf), NULL);
		CHECK_EQ_STR(buf, "1 23456");
	}
}

/* RFC 6793 4.2.3: an AS4_PATH longer than AS_PATH is ignored. */
static void
test_path_as4_longer_ignored(void)
{
	static const uint8_t b[] = {
	    0x40, 0x02, 0x06, 0x02, 0x02, 0x00, 0x01, 0x00, 0x02,
	    0xc0, 0x11, 0x0e, 0x02, 0x03, 0x00, 0x01, 0x11, 0x70, 0x00, 0x01,
	    0x38, 0x80, 0x00, 0x01, 0x5f, 0x90,
	};
	char buf[128];

	path_text(b, sizeof(b), &opts2, buf, sizeof(buf), NULL);
	CHECK_EQ_STR(buf, "1 2");
}

/* RFC 6793 4.2.3: an AGGREGATOR with a real (non-AS_TRANS) ASN means the
 * AS4_PATH (and AS4_AGGREGATOR) are ignored; with AS_TRANS they count. */
static void
test_path_aggregator_disables_merge(void)
{
	static const uint8_t real[] = {
	    0x40, 0x02, 0x0a, 0x02, 0x04, 0x00, 0x01, 0x5b, 0xa0, 0x5b, 0xa0,
	    0x00, 0x04,
	    0xc0, 0x07, 0x06, 0x00, 0x64, 0x0a, 0x00, 0x00, 0x01,
	    0xc0, 0x11, 0x0e, 0x02, 0x03, 0x00, 0x01, 0x11, 0x70, 0x00, 0x01,
	    0x38, 0x80, 0x00, 0x00, 0x00, 0x04,
	};
	uint8_t trans[sizeof(real)];
	char buf[128];

	path_text(real, sizeof(real), &opts2, buf, sizeof(buf), NULL);
	CHECK_EQ_STR(buf, "1 23456 23456 4");
	memcpy(trans, real, sizeof(trans));
	trans[16] = 0x5b;
	trans[17] = 0xa0;
	path_text(trans, sizeof(trans), &opts2, buf, sizeof(buf), NULL);
	CHECK_EQ_STR(buf, "1 70000 80000 4");
}

/* RFC 6793 4.2.3 with RFC 4271 9.1.2.2: an AS_SET counts as one. */
static void
test_path_as4_merge_sets(void)
{
	static const uint8_t b[] = {
	    0x40, 0x02, 0x0c, 0x02, 0x02, 0x00, 0x01, 0x5b, 0xa0,
	    0x01, 0x02, 0x5b, 0xa0, 0x00, 0x03,
	    0xc0, 0x11, 0x10, 0x02, 0x01, 0x00, 0x01, 0x11, 0x70,
	    0x01, 0x02, 0x00, 0x01, 0x38, 0x80, 0x00, 0x00, 0x00, 0x03,
	};
	char buf[128];
	uint32_t n;

	path_text(b, sizeof(b), &opts2, buf, sizeof(buf), &n);
	CHECK_EQ_STR(buf, "1 70000 {80000,3}");
	CHECK_EQ_INT(n, 3);
}

/* bgpdump's notation: {set}, (confed sequence), [confed set] (RFC 5065). */
static void
test_path_fmt_segments(void)
{
	static const uint8_t b[] = {
	    0x40, 0x02, 0x20,
	    0x02, 0x01, 0x00, 0x00, 0x00, 0x01,
	    0x01, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03,
	    0x03, 0x02, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x05,
	    0x04, 0x01, 0x00, 0x00, 0x00, 0x06,
	};
	struct bgp_path path;
	char buf[64], small[5];
	uint32_t n;

	path_text(b, sizeof(b), &opts4, buf, sizeof(buf), &n);
	CHECK_EQ_STR(buf, "1 {2,3} (4 5) [6]");
	CHECK_EQ_INT(n, 5);

	bgp_path_init(&path);
	CHECK_EQ_INT(bgp_path_build(&path, &a), 0);
	CHECK_EQ_INT(path.nseg, 4);
	CHECK_EQ_INT(path.nasn, 6);
	CHECK_EQ_INT(bgp_path_origin(&path), 0); /* ends in a set */
	/* cut output: CAP-1 bytes and NUL, full length returned */
	CHECK_EQ_INT(bgp_path_fmt(&path, small, sizeof(small)), 17);
	CHECK_EQ_STR(small, "1 {2");
	CHECK_EQ_INT(bgp_path_fmt(&path, NULL, 0), 17);
	CHECK_EQ_INT(bgp_path_fmt(&path, buf, 17), 17);
	CHECK_EQ_STR(buf, "1 {2,3} (4 5) [6");
	bgp_path_destroy(&path);
}

static void
test_path_origin(void)
{
	static const uint8_t seq[] = {
	    0x40, 0x02, 0x0e, 0x02, 0x03, 0x00, 0x00, 0x00, 0x01,
	    0x00, 0x00, 0x00, 0x02, 0xff, 0xff, 0xff, 0xfe,
	};
	static const uint8_t set_last[] = {
	    0x40, 0x02, 0x0c, 0x02, 0x01, 0x00, 0x00, 0x00, 0x01,
	    0x01, 0x01, 0x00, 0x00, 0x00, 0x02,
	};
	static const uint8_t empty[] = {0x40, 0x02, 0x00};
	static const uint8_t none[] = {0x40, 0x01, 0x01, 0x00};
	const struct {
		const uint8_t *b;
		size_t n;
		uint32_t origin;
		uint32_t count;
		const char *txt;
	} cases[] = {
	    {seq, sizeof(seq), 4294967294u, 3, "1 2 4294967294"},
	    {set_last, sizeof(set_last), 0, 2, "1 {2}"},
	    {empty, sizeof(empty), 0, 0, ""},
	    {none, sizeof(none), 0, 0, ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bgp_path path;
		char buf[64];
		CHECK_EQ_INT(decode_attrs(cases[i].b, cases[i].n, &opts4), 0);
		bgp_path_init(&path);
		CHECK_EQ_INT(bgp_path_build(&path, &a), 0);
		CHECK_EQ_INT(bgp_path_origin(&path), cases[i].origin);
		CHECK_EQ_INT(bgp_path_count(&path), cases[i].count);
		bgp_path_fmt(&path, buf, sizeof(buf));
		CHECK_EQ_STR(buf, cases[i].txt);
		bgp_path_destroy(&path);
	}
}

/* A long path (more than the initial array sizes) and reuse of one
 * struct bgp_path for several builds. */
static void
test_path_long_and_reuse(void)
{
	static uint8_t b[4 + 4 * (2 + 255 * 4)];
	struct bgp_path path;
	size_t off = 4, need;
	char *buf;

	/* AS_PATH with the Extended Length bit: four full segments */
	b[0] = 0x50;
	b[1] = 0x02;
	for (unsigned s = 0; s < 4; s++) {
		b[off++] = s == 2 ? BGP_AS_SET : BGP_AS_SEQUENCE;
		b[off++] = 255;
		for (unsigned i = 0; i < 255; i++, off += 4)
			vg_store_be32(b + off, 100000 + s * 1000 + i);
	}
	vg_store_be16(b + 2, (uint16_t)(off - 4));
	CHECK_EQ_INT(off, sizeof(b));
	CHECK_EQ_INT(decode_attrs(b, off, &opts4), 0);
	CHECK_EQ_INT(d.n, 0);
	bgp_path_init(&path);
	CHECK_EQ_INT(bgp_path_build(&path, &a), 0);
	CHECK_EQ_INT(path.nasn, 1020);
	CHECK_EQ_INT(path.nseg, 4);
	CHECK_EQ_INT(bgp_path_count(&path), 3 * 255 + 1);
	CHECK_EQ_INT(bgp_path_origin(&path), 103254);
	need = bgp_path_fmt(&path, NULL, 0);
	buf = malloc(need + 1);
	CHECK(buf != NULL);
	if (buf) {
		CHECK_EQ_INT(bgp_path_fmt(&path, buf, need + 1), need);
		CHECK_EQ_INT(strlen(buf), need);
		CHECK(strncmp(buf, "100000 100001 ", 14) == 0);
		free(buf);
	}
	/* reuse for a short path */
	{
		static const uint8_t s[] = {0x40, 0x02, 0x06, 0x02, 0x01,
		                            0x00, 0x00, 0x00, 0x07};
		char t[16];
		CHECK_EQ_INT(DECODE(s, &opts4), 0);
		CHECK_EQ_INT(bgp_path_build(&path, &a), 0);
		bgp_path_fmt(&path, t, sizeof(t));
		CHECK_EQ_STR(t, "7");
	}
	bgp_path_destroy(&path);
}

/* ---- OPEN (RFC 4271 4.2, RFC 5492, RFC 9072) ------------------------ */

#define CAPS                                                                \
	0x01, 0x04, 0x00, 0x01, 0x00, 0x01, /* MP IPv4 unicast, RFC 4760 */ \
	0x01, 0x04, 0x00, 0x02, 0x00, 0x01, /* MP IPv6 unicast */           \
	0x02, 0x00,                         /* route refresh, RFC 2918 */   \
	0x41, 0x04, 0x00, 0x01, 0x11, 0x70, /* 4-octet AS 70000, RFC 6793 */\
	0x45, 0x04, 0x00, 0x01, 0x01, 0x03, /* ADD-PATH v4 both, RFC 7911 */\
	0x40, 0x02, 0x80, 0x78,             /* GR R-bit 120 s, RFC 4724 */  \
	0x06, 0x00                          /* extended message, RFC 8654 */
#define CAPS_LEN 32

static void
check_open_caps(const struct bgp_open *o)
{
	static const uint8_t id[4] = {10, 0, 0, 1};

	CHECK_EQ_INT(o->version, 4);
	CHECK_EQ_INT(o->my_as, 23456);
	CHECK_EQ_INT(o->hold_time, 180);
	CHECK(memcmp(o->bgp_id, id, 4) == 0);
	CHECK_EQ_INT(o->as4, 70000);
	CHECK_EQ_INT(bgp_open_asn(o), 70000);
	CHECK_EQ_INT(o->n_mp, 2);
	CHECK_EQ_INT(o->mp[0].afi, 1);
	CHECK_EQ_INT(o->mp[0].safi, 1);
	CHECK_EQ_INT(o->mp[1].afi, 2);
	CHECK_EQ_INT(o->route_refresh, 1);
	CHECK_EQ_INT(o->ext_msg, 1);
	CHECK_EQ_INT(o->gr, 1);
	CHECK_EQ_INT(o->gr_time, 120);
	CHECK_EQ_INT(o->gr_flags, 8);
	CHECK_EQ_INT(o->n_addpath, 1);
	CHECK_EQ_INT(o->addpath[0].mode, 3);
	CHECK_EQ_INT(o->n_caps, 7);
	CHECK_EQ_INT(bgp_open_addpath(o, 1, 1, 1), 1);
	CHECK_EQ_INT(bgp_open_addpath(o, 1, 1, 2), 1);
	CHECK_EQ_INT(bgp_open_addpath(o, 1, 1, 3), 1);
	CHECK_EQ_INT(bgp_open_addpath(o, 2, 1, 1), 0);
}

static void
test_open_capabilities(void)
{
	static const uint8_t b[] = {
	    0x04, 0x5b, 0xa0, 0x00, 0xb4, 0x0a, 0x00, 0x00, 0x01,
	    CAPS_LEN + 2, 0x02, CAPS_LEN, CAPS,
	};
	/* one capability per parameter, as Cisco sends them */
	static const uint8_t split[] = {
	    0x04, 0x5b, 0xa0, 0x00, 0xb4, 0x0a, 0x00, 0x00, 0x01, 0x10,
	    0x02, 0x06, 0x41, 0x04, 0x00, 0x01, 0x11, 0x70,
	    0x02, 0x02, 0x02, 0x00,
	    0x03, 0x02, 0xaa, 0xbb, /* a parameter that is not Capabilities */
	};
	struct bgp_open o;

	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_open_decode(&o, b, sizeof(b), &d), 0);
	CHECK_EQ_INT(d.n, 0);
	check_open_caps(&o);

	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_open_decode(&o, split, sizeof(split), &d), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK_EQ_INT(o.as4, 70000);
	CHECK_EQ_INT(o.route_refresh, 1);
	CHECK_EQ_INT(o.n_caps, 2);
	CHECK_EQ_INT(o.n_mp, 0);
}

/* RFC 9072 2: Non-Ext OP Len 255, Non-Ext OP Type 255, then a 2-octet
 * length, and parameters with 2-octet lengths. */
static void
test_open_extended_params(void)
{
	static const uint8_t b[] = {
	    0x04, 0x5b, 0xa0, 0x00, 0xb4, 0x0a, 0x00, 0x00, 0x01,
	    0xff, 0xff, 0x00, CAPS_LEN + 3,
	    0x02, 0x00, CAPS_LEN, CAPS,
	};
	struct bgp_open o;

	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_open_decode(&o, b, sizeof(b), &d), 0);
	CHECK_EQ_INT(d.n, 0);
	check_open_caps(&o);
}

static void
test_open_malformed(void)
{
	static const uint8_t b[] = {
	    0x04, 0x5b, 0xa0, 0x00, 0xb4, 0x0a, 0x00, 0x00, 0x01,
	    CAPS_LEN + 2, 0x02, CAPS_LEN, CAPS,
	};
	uint8_t t[sizeof(b)];
	struct bgp_open o;

	/* shorter than the 10-byte fixed part */
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_open_decode(&o, b, 9, &d), -1);
	CHECK_PROBLEM(0, VG_ERR_TRUNCATED, VG_ACT_SESSION_RESET, 0, 0);
	/* optional parameters length past the end (RFC 4271 6.2) */
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_open_decode(&o, b, sizeof(b) - 1, &d), -1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET, 0, 9);
	/* a parameter longer than the parameter field */
	memcpy(t, b, sizeof(t));
	t[11] = CAPS_LEN + 1;
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_open_decode(&o, t, sizeof(t), &d), -1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET, 0, 10);
	/* a capability overrunning its parameter: noted, the rest kept */
	memcpy(t, b, sizeof(t));
	t[sizeof(t) - 1] = 0x05;   /* extended message capability length 5 */
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_open_decode(&o, t, sizeof(t), &d), 0);
	CHECK_EQ_INT(d.n, 1);
	CHECK_EQ_INT(d.items[0].action, VG_ACT_NONE);
	CHECK_EQ_INT(o.as4, 70000);
	CHECK_EQ_INT(o.ext_msg, 0);
	/* no optional parameters at all */
	vg_diag_reset(&d);
	memcpy(t, b, 10);
	t[9] = 0;
	CHECK_EQ_INT(bgp_open_decode(&o, t, 10, &d), 0);
	CHECK_EQ_INT(d.n, 0);
	CHECK_EQ_INT(o.n_caps, 0);
	CHECK_EQ_INT(bgp_open_asn(&o), 23456);
}

/* ---- NOTIFICATION (RFC 4271 4.5, RFC 9003) -------------------------- */

static void
test_notification_shutdown(void)
{
	static const uint8_t b[] = {
	    0x06, 0x02, 0x0b, 'm', 'a', 'i', 'n', 't', 'e', 'n', 'a', 'n',
	    'c', 'e',
	};
	static const uint8_t ctl[] = {0x06, 0x04, 0x03, 'a', 0x01, 'b'};
	static const uint8_t lying[] = {0x06, 0x02, 0x14, 'a', 'b'};
	struct bgp_notification n;

	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_notification_decode(&n, b, sizeof(b), &d), 0);
	CHECK_EQ_INT(n.code, 6);
	CHECK_EQ_INT(n.subcode, 2);
	CHECK_EQ_INT(n.data.len, 12);
	CHECK_EQ_STR(n.shutdown_msg, "maintenance");
	CHECK_EQ_STR(bgp_notification_code_name(n.code), "Cease");
	CHECK_EQ_STR(bgp_notification_subcode_name(n.code, n.subcode),
	             "Administrative Shutdown");

	CHECK_EQ_INT(bgp_notification_decode(&n, ctl, sizeof(ctl), &d), 0);
	CHECK_EQ_STR(n.shutdown_msg, "a?b");
	CHECK_EQ_STR(bgp_notification_subcode_name(6, 4),
	             "Administrative Reset");

	/* a length byte past the data: no message */
	CHECK_EQ_INT(bgp_notification_decode(&n, lying, sizeof(lying), &d), 0);
	CHECK_EQ_STR(n.shutdown_msg, "");
	CHECK_EQ_INT(d.n, 0);
}

static void
test_notification_other(void)
{
	static const uint8_t hold[] = {0x04, 0x00};
	static const uint8_t upd[] = {0x03, 0x0b, 0xde, 0xad};
	struct bgp_notification n;

	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_notification_decode(&n, hold, sizeof(hold), &d), 0);
	CHECK_EQ_STR(bgp_notification_code_name(n.code), "Hold Timer Expired");
	CHECK_EQ_INT(n.data.len, 0);
	CHECK_EQ_STR(n.shutdown_msg, "");
	CHECK_EQ_INT(bgp_notification_decode(&n, upd, sizeof(upd), &d), 0);
	CHECK_EQ_STR(bgp_notification_subcode_name(n.code, n.subcode),
	             "Malformed AS_PATH");
	CHECK(n.data.p == upd + 2 && n.data.len == 2);
	CHECK_EQ_STR(bgp_notification_code_name(99), "Unknown error code");
	CHECK_EQ_STR(bgp_notification_subcode_name(6, 200), "Unknown subcode");
	CHECK_EQ_INT(d.n, 0);
	/* shorter than code + subcode */
	CHECK_EQ_INT(bgp_notification_decode(&n, hold, 1, &d), -1);
	CHECK_PROBLEM(0, VG_ERR_TRUNCATED, VG_ACT_NONE, 0, 0);
}

/* ---- ROUTE-REFRESH (RFC 2918 3, RFC 7313 3.2) ------------------------ */

static void
test_route_refresh(void)
{
	static const uint8_t normal[] = {0x00, 0x01, 0x00, 0x01};
	static const uint8_t borr[] = {0x00, 0x02, 0x01, 0x02};
	struct bgp_route_refresh r;

	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_route_refresh_decode(&r, normal, 4, &d), 0);
	CHECK_EQ_INT(r.afi, 1);
	CHECK_EQ_INT(r.subtype, 0);
	CHECK_EQ_INT(r.safi, 1);
	CHECK_EQ_INT(bgp_route_refresh_decode(&r, borr, 4, &d), 0);
	CHECK_EQ_INT(r.afi, 2);
	CHECK_EQ_INT(r.subtype, 1);
	CHECK_EQ_INT(r.safi, 2);
	CHECK_EQ_INT(d.n, 0);
	CHECK_EQ_INT(bgp_route_refresh_decode(&r, normal, 3, &d), -1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_NONE, 0, 0);
}

/* ---- message header (RFC 4271 4.1, 6.1; RFC 8654) ------------------- */

static void
test_header(void)
{
	uint8_t h[19];
	uint8_t type = 0;
	uint16_t len = 0;

	memset(h, 0xff, 16);
	h[16] = 0x00;
	h[17] = 0x13;
	h[18] = BGP_MSG_KEEPALIVE;
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_header_decode(h, 19, BGP_MAX_MSG_LEN, &type, &len, &d),
	             0);
	CHECK_EQ_INT(type, BGP_MSG_KEEPALIVE);
	CHECK_EQ_INT(len, 19);
	CHECK_EQ_INT(d.n, 0);

	/* marker not all ones: offset of the first bad byte */
	h[5] = 0xfe;
	CHECK_EQ_INT(bgp_header_decode(h, 19, BGP_MAX_MSG_LEN, &type, &len, &d),
	             -1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET, 0, 5);
	h[5] = 0xff;

	/* length below 19 */
	h[17] = 18;
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_header_decode(h, 19, BGP_MAX_MSG_LEN, &type, &len, &d),
	             -1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET, 0, 16);

	/* 4097: too long for a classic session, fine with RFC 8654 */
	vg_store_be16(h + 16, 4097);
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_header_decode(h, 19, BGP_MAX_MSG_LEN, &type, &len, &d),
	             -1);
	CHECK_PROBLEM(0, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET, 0, 16);
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_header_decode(h, 19, BGP_MAX_EXT_MSG_LEN, &type, &len,
	                               &d), 0);
	CHECK_EQ_INT(len, 4097);

	/* fewer than 19 bytes */
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_header_decode(h, 18, BGP_MAX_MSG_LEN, &type, &len, &d),
	             -1);
	CHECK_PROBLEM(0, VG_ERR_TRUNCATED, VG_ACT_SESSION_RESET, 0, 0);
}

/* ---- addresses -------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	/* xorshift64*: reproducible, no libc rand() state */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static int
ip6_same_as_inet_ntop(const uint8_t a6[16])
{
	char want[INET6_ADDRSTRLEN], got[VG_ADDR_STRLEN + 1];
	size_t n;

	inet_ntop(AF_INET6, a6, want, sizeof(want));
	n = vg_ip6_fmt(got, a6);
	got[n] = '\0';
	if (strcmp(want, got) != 0) {
		fprintf(stderr, "  vg_ip6_fmt \"%s\", inet_ntop \"%s\"\n", got,
		        want);
		return 0;
	}
	return 1;
}

static void
test_ip6_fmt_matches_inet_ntop(void)
{
	static const uint8_t fixed[][16] = {
	    {0},
	    {[15] = 1},
	    {[15] = 2},
	    {[0] = 0x00, [1] = 0x01},
	    {[10] = 0xff, [11] = 0xff, [12] = 192, [13] = 0, [14] = 2, [15] = 1},
	    {[12] = 192, [13] = 0, [14] = 2, [15] = 1},
	    {[10] = 0xff, [11] = 0xff},
	    {[11] = 1, [12] = 1, [15] = 1},
	    {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
	    {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1},
	    {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1},
	    {0xfe, 0x80, [8] = 0x02, [15] = 0x01},
	    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	};
	unsigned bad = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		bad += !ip6_same_as_inet_ntop(fixed[i]);
	for (unsigned i = 0; i < 600; i++) {
		uint8_t a6[16];
		uint64_t r = rng(), z = rng();
		for (unsigned j = 0; j < 16; j++)
			a6[j] = (uint8_t)(j < 8 ? rng() >> (8 * j) : r >> (8 * (j - 8)));
		switch (i % 6) {
		case 0: /* random words zeroed: runs of every length */
			for (unsigned w = 0; w < 8; w++)
				if ((z >> w) & 1)
					a6[2 * w] = a6[2 * w + 1] = 0;
			break;
		case 1: /* one run of random start and length */
		{
			unsigned s = (unsigned)(z % 8), l = (unsigned)(z >> 8) % (9 - s);
			memset(a6 + 2 * s, 0, 2 * l);
			break;
		}
		case 2: /* IPv4-mapped */
			memset(a6, 0, 10);
			a6[10] = a6[11] = 0xff;
			break;
		case 3: /* IPv4-compatible, and small values like ::1 */
			memset(a6, 0, 12);
			if (z & 1)
				a6[12] = a6[13] = a6[14] = 0;
			break;
		case 4: /* two equal runs: the first wins */
			memset(a6 + 2, 0, 4);
			memset(a6 + 10, 0, 4);
			break;
		default: /* leading zero nibbles in words */
			for (unsigned w = 0; w < 8; w++)
				a6[2 * w] &= (uint8_t)(z >> (8 * (w % 8)) & 0x0f);
			break;
		}
		bad += !ip6_same_as_inet_ntop(a6);
	}
	CHECK_EQ_INT(bad, 0);
}

static void
test_ip4_fmt_and_u32(void)
{
	unsigned bad = 0;
	static const uint32_t nums[] = {0, 9, 10, 99, 100, 101, 999, 1000,
	                                65535, 4294967295u, 1000000000u};

	for (unsigned i = 0; i < 300; i++) {
		uint8_t a4[4];
		char want[INET_ADDRSTRLEN], got[VG_ADDR_STRLEN];
		uint32_t v = (uint32_t)rng();
		if (i < 4)
			v = i == 0 ? 0 : i == 1 ? 0xffffffffu : i == 2 ? 0x0a000001u
			                                               : 0x640a0100u;
		vg_store_be32(a4, v);
		inet_ntop(AF_INET, a4, want, sizeof(want));
		got[vg_ip4_fmt(got, a4)] = '\0';
		if (strcmp(want, got) != 0) {
			fprintf(stderr, "  vg_ip4_fmt \"%s\" != \"%s\"\n", got, want);
			bad++;
		}
	}
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		char want[16], got[16];
		snprintf(want, sizeof(want), "%u", (unsigned)nums[i]);
		got[vg_u32_fmt(got, nums[i])] = '\0';
		CHECK_EQ_STR(got, want);
	}
	CHECK_EQ_INT(bad, 0);
}

static void
test_prefix_parse(void)
{
	struct vg_prefix p, q;
	char buf[VG_PREFIX_STRLEN];
	static const char *const round_trip[] = {
	    "10.0.0.0/8", "0.0.0.0/0", "192.0.2.1/32", "2001:db8::/32",
	    "::/0", "2001:db8::1/128", "::ffff:10.0.0.0/104",
	};

	for (size_t i = 0; i < sizeof(round_trip) / sizeof(round_trip[0]); i++) {
		CHECK_EQ_INT(vg_prefix_parse(&p, round_trip[i], 0), 0);
		CHECK_EQ_STR(vg_prefix_str(&p, buf), round_trip[i]);
	}
	CHECK_EQ_INT(vg_prefix_parse(&p, "10.1.2.3", 0), 0);
	CHECK_EQ_INT(p.len, 32);
	CHECK_EQ_INT(p.afi, VG_AFI_IP4);
	CHECK_EQ_INT(vg_prefix_parse(&p, "2001:db8::1", 0), 0);
	CHECK_EQ_INT(p.len, 128);
	CHECK_EQ_INT(p.afi, VG_AFI_IP6);

	/* host bits: refused, or cleared with MASK */
	CHECK_EQ_INT(vg_prefix_parse(&p, "11.10.0.0/13", 0), -1);
	CHECK_EQ_INT(vg_prefix_parse(&p, "11.10.0.0/13", 1), 0);
	CHECK_EQ_STR(vg_prefix_str(&p, buf), "11.8.0.0/13");
	CHECK_EQ_INT(vg_prefix_parse(&p, "2001:db8::1/32", 1), 0);
	CHECK_EQ_STR(vg_prefix_str(&p, buf), "2001:db8::/32");

	/* not prefixes */
	static const char *const bad[] = {
	    "10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "10.0.0.0/8x",
	    "10.0.0.0/-1", "10.0.0/8", "foo", "", "/8", "10.0.0.0/ 8",
	    "1.2.3.4.5/32", "10.0.0.0/08000000000000000000",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vg_prefix_parse(&p, bad[i], 1) != -1)
			fprintf(stderr, "  \"%s\" parsed\n", bad[i]);
		CHECK_EQ_INT(vg_prefix_parse(&p, bad[i], 1), -1);
	}

	/* covers */
	CHECK_EQ_INT(vg_prefix_parse(&p, "10.0.0.0/8", 0), 0);
	CHECK_EQ_INT(vg_prefix_parse(&q, "10.20.0.0/16", 0), 0);
	CHECK_EQ_INT(vg_prefix_covers(&p, &q), 1);
	CHECK_EQ_INT(vg_prefix_covers(&q, &p), 0);
	CHECK_EQ_INT(vg_prefix_covers(&p, &p), 1);
	CHECK_EQ_INT(vg_prefix_parse(&q, "::/0", 0), 0);
	CHECK_EQ_INT(vg_prefix_covers(&q, &p), 0);
}

/* ---- fuzz findings (fuzz/README.md) ----------------------------------- */

/*
 * bgp_update_fuzz: an MP_UNREACH_NLRI with AFI 258 (0x0102).  The NLRI
 * iterator keeps the AFI in a uint8_t, so 258 became 2 and the bytes were
 * decoded as IPv6 prefixes; 257 likewise became IPv4.  An AFI that is not
 * 1 or 2 must give VG_ERR_UNSUPPORTED and no prefix.
 */
static void
test_fuzz_nlri_afi_truncated_to_8_bits(void)
{
	static const uint8_t input[] = {
	    0x01, 0x00, 0x00, 0x00, 0x0d, 0x80, 0x0f, 0x0a, 0x01, 0x02, 0x01,
	    0x30, 0x2a, 0x00, 0xad, 0x87, 0xbb, 0x02,
	};
	struct bgp_update u;
	struct bgp_nlri_iter it;
	struct vg_prefix p;
	uint32_t pid;

	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_update_decode(&u, input + 1, sizeof(input) - 1,
	                               &opts4, &d), 0);
	CHECK(BGP_HAS(&u.attrs, BGP_ATTR_MP_UNREACH_NLRI));
	CHECK_EQ_INT(u.attrs.mp_unreach.afi, 258);
	bgp_nlri_init(&it, u.attrs.mp_unreach.nlri, u.attrs.mp_unreach.afi,
	              u.attrs.mp_unreach.safi, 0, 0);
	CHECK_EQ_INT(bgp_nlri_next(&it, &p, &pid, &d), -1);
	CHECK_EQ_INT(d.n, 1);
	CHECK_EQ_INT(d.items[0].err, VG_ERR_UNSUPPORTED);

	/* and AFI 257 is not IPv4 */
	{
		static const uint8_t b[] = {0x18, 0x0a, 0x00, 0x01};
		struct bgp_span s = {b, sizeof(b)};
		vg_diag_reset(&d);
		bgp_nlri_init(&it, s, 257, 1, 0, 0);
		CHECK_EQ_INT(bgp_nlri_next(&it, &p, &pid, &d), -1);
		CHECK_EQ_INT(d.n, 1);
		CHECK_EQ_INT(d.items[0].err, VG_ERR_UNSUPPORTED);
	}
}

/* The inline fast path of bgp_nlri_next must decode exactly as the general
 * decoder: every prefix length, IPv4 and IPv6, with the field ending right
 * after the prefix or with more bytes behind it, host bits set or not. */
static void
test_nlri_fast_matches_slow(void)
{
	uint32_t seed = 12345;
	for (unsigned afi = 1; afi <= 2; afi++) {
		unsigned max = afi == 1 ? 32 : 128;
		for (unsigned plen = 0; plen <= max + 1; plen++) {
			for (unsigned tail = 0; tail <= 20; tail += 4) {
				uint8_t buf[64];
				unsigned nb = (plen + 7) / 8;
				struct bgp_nlri_iter f, s;
				struct vg_prefix pf, ps;
				uint32_t idf = 7, ids = 7;
				int rf, rs;
				for (size_t i = 0; i < sizeof(buf); i++) {
					seed = seed * 1103515245u + 12345u;
					buf[i] = (uint8_t)(seed >> 16);
				}
				buf[0] = (uint8_t)plen;
				struct bgp_span sp = {buf, 1 + nb + tail};
				if (plen > max)
					sp.len = 1 + 16 + tail;
				bgp_nlri_init(&f, sp, afi, 1, 0, 0);
				bgp_nlri_init(&s, sp, afi, 1, 0, 0);
				memset(&pf, 0xa5, sizeof(pf));
				memset(&ps, 0x5a, sizeof(ps));
				vg_diag_reset(&d);
				rf = bgp_nlri_next(&f, &pf, &idf, &d);
				vg_diag_reset(&d);
				rs = bgp_nlri_next_slow(&s, &ps, &ids, &d);
				CHECK_EQ_INT(rf, rs);
				CHECK_EQ_INT(f.c.len, s.c.len);
				if (rf == 1) {
					CHECK(memcmp(&pf, &ps, sizeof(pf)) == 0);
					CHECK_EQ_INT(idf, ids);
				}
			}
		}
	}
}

int
main(void)
{
	RUN(test_attr_all_well_formed);
	RUN(test_attr_extended_length);
	RUN(test_attr_mp_reach);
	RUN(test_attr_mp_reach_abbreviated);
	RUN(test_attr_mp_unreach);
	RUN(test_attr_unknown_kept_raw);
	RUN(test_attr_origin_malformed);
	RUN(test_attr_as_path_malformed);
	RUN(test_attr_next_hop_bad_length);
	RUN(test_attr_med_local_pref_bad_length);
	RUN(test_attr_atomic_aggregate_bad_length);
	RUN(test_attr_aggregator_length);
	RUN(test_attr_community_lengths);
	RUN(test_attr_route_reflection_lengths);
	RUN(test_attr_as4_malformed_discarded);
	RUN(test_attr_duplicates);
	RUN(test_attr_flags_conflict);
	RUN(test_attr_block_overrun);
	RUN(test_attr_header_cut_short);
	RUN(test_attr_mp_reach_malformed);
	RUN(test_update_decode);
	RUN(test_update_lengths_inconsistent);
	RUN(test_update_problem_offsets);
	RUN(test_update_cut);
	RUN(test_nlri_host_bits_masked);
	RUN(test_nlri_sequence_and_end);
	RUN(test_nlri_bad_prefix_length);
	RUN(test_nlri_truncated);
	RUN(test_nlri_addpath);
	RUN(test_nlri_ipv6);
	RUN(test_nlri_fast_matches_slow);
	RUN(test_nlri_unsupported_afi_safi);
	RUN(test_path_as4_merge);
	RUN(test_path_as4_longer_ignored);
	RUN(test_path_aggregator_disables_merge);
	RUN(test_path_as4_merge_sets);
	RUN(test_path_fmt_segments);
	RUN(test_path_origin);
	RUN(test_path_long_and_reuse);
	RUN(test_open_capabilities);
	RUN(test_open_extended_params);
	RUN(test_open_malformed);
	RUN(test_notification_shutdown);
	RUN(test_notification_other);
	RUN(test_route_refresh);
	RUN(test_header);
	RUN(test_ip6_fmt_matches_inet_ntop);
	RUN(test_ip4_fmt_and_u32);
	RUN(test_prefix_parse);
	RUN(test_fuzz_nlri_afi_truncated_to_8_bits);
	return TEST_MAIN_END();
}
