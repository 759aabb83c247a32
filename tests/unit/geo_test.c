/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tests of the geo module on the real data in shared/data/geo (APNIC,
 * AFRINIC and LACNIC delegation files of January 2016, pyasn's asnames),
 * on small CSV, RIR, JSON and MaxMind DB files the test writes itself (a
 * minimal MMDB writer is below, since Debian packages no C writer), and,
 * when $VIGIL_GEO_MMDB / $VIGIL_GEO_CSV name them, on the current
 * @ip-location-db country files, checked against each other.  The last case
 * measures load time, memory and geo_prefix_units() speed over the 512,621
 * prefixes of a 2014 RouteViews table (ipasn_20140513.dat.gz) and prints
 * the figures as "# ..." lines.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "test.h"
#include "vigil/addr.h"
#include "vigil/geo.h"

#define KP GEO_CC('K', 'P')
#define ZA GEO_CC('Z', 'A')

static char tmpdir[64];
static struct geo_db *real; /* three delegation files + asnames */

/* ---- helpers ------------------------------------------------------------ */

struct run {
	geo_cc cc;
	uint64_t first, n;
};

struct runs {
	struct run r[64];
	unsigned n;
	uint64_t total;
	unsigned long calls;
};

static void
collect(void *ctx, geo_cc cc, uint64_t first, uint64_t n)
{
	struct runs *rs = ctx;
	if (rs->n < 64)
		rs->r[rs->n] = (struct run){cc, first, n};
	rs->n++;
	rs->total += n;
}

static int
units(const struct geo_db *db, const char *pfx, struct runs *rs)
{
	struct vg_prefix p;
	memset(rs, 0, sizeof(*rs));
	if (vg_prefix_parse(&p, pfx, 0) < 0) {
		fprintf(stderr, "  bad test prefix %s\n", pfx);
		return -1;
	}
	return geo_prefix_units(db, &p, collect, rs);
}

static geo_cc
look(const struct geo_db *db, const char *addr)
{
	struct vg_addr a;
	if (vg_addr_parse(&a, addr) < 0)
		return 0xffff;
	return geo_lookup(db, &a);
}

static uint64_t
unit4(const char *addr)
{
	struct vg_addr a;
	vg_addr_parse(&a, addr);
	return ((uint64_t)a.addr[0] << 16) | ((uint64_t)a.addr[1] << 8) |
	       a.addr[2];
}

static const char *
data_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/geo/%s", test_data_dir(), name);
	return buf;
}

static const char *
write_tmp(const char *name, const void *data, size_t len)
{
	static char path[8][128];
	static unsigned k;
	char *p = path[k++ % 8];
	snprintf(p, 128, "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "wb");
	if (!f || fwrite(data, 1, len, f) != len) {
		fprintf(stderr, "  cannot write %s\n", p);
		if (f)
			fclose(f);
		return p;
	}
	fclose(f);
	return p;
}

static const char *
write_text(const char *name, const char *text)
{
	return write_tmp(name, text, strlen(text));
}

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- a minimal MaxMind DB writer ---------------------------------------- */
/* Just enough of the MaxMind DB format 2.0 (24-bit records, maps, strings,
 * unsigned integers, arrays) to build the trees the loader has to handle.
 * Networks must be inserted without overlaps. */

enum { MW_EMPTY, MW_NODE, MW_DATA };

struct mw {
	unsigned bits; /* 32 or 128 */
	struct {
		uint32_t rec[2];
		uint8_t kind[2];
	} node[2048];
	unsigned nn;
	uint8_t data[1024];
	size_t dlen;
	size_t doff[8];
	unsigned nd;
	uint8_t out[32768];
	size_t olen;
};

static void
mw_init(struct mw *w, unsigned bits)
{
	memset(w, 0, sizeof(*w));
	w->bits = bits;
	w->nn = 1; /* root */
}

static void
mw_byte(uint8_t *buf, size_t *len, unsigned b)
{
	buf[(*len)++] = (uint8_t)b;
}

static void
mw_str(uint8_t *buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	mw_byte(buf, len, (2u << 5) | (unsigned)n);
	memcpy(buf + *len, s, n);
	*len += n;
}

/* unsigned TYPE (5 uint16, 6 uint32, 9 uint64) with value V */
static void
mw_uint(uint8_t *buf, size_t *len, unsigned type, uint64_t v)
{
	unsigned n = 0;
	uint8_t b[8];
	for (uint64_t x = v; x; x >>= 8)
		n++;
	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	if (type < 8) {
		mw_byte(buf, len, (type << 5) | n);
	} else {
		mw_byte(buf, len, n);
		mw_byte(buf, len, type - 7);
	}
	memcpy(buf + *len, b, n);
	*len += n;
}

/* Data record: {"KEY": "VAL"} or, with KEY2, {"KEY": {"KEY2": "VAL"}}. */
static unsigned
mw_data(struct mw *w, const char *key, const char *key2, const char *val)
{
	w->doff[w->nd] = w->dlen;
	mw_byte(w->data, &w->dlen, (7u << 5) | 1);
	mw_str(w->data, &w->dlen, key);
	if (key2) {
		mw_byte(w->data, &w->dlen, (7u << 5) | 1);
		mw_str(w->data, &w->dlen, key2);
	}
	mw_str(w->data, &w->dlen, val);
	return w->nd++;
}

/* Set the record for network ADDR/LEN (ADDR as 4 or 16 bytes). */
static void
mw_set(struct mw *w, const uint8_t *addr, unsigned len, unsigned kind,
       uint32_t val)
{
	uint32_t node = 0;
	for (unsigned d = 0; d + 1 < len; d++) {
		unsigned bit = (addr[d / 8] >> (7 - d % 8)) & 1;
		if (w->node[node].kind[bit] != MW_NODE) {
			w->node[w->nn].kind[0] = w->node[w->nn].kind[1] = 0;
			w->node[node].kind[bit] = MW_NODE;
			w->node[node].rec[bit] = w->nn++;
		}
		node = w->node[node].rec[bit];
	}
	unsigned bit = (addr[(len - 1) / 8] >> (7 - (len - 1) % 8)) & 1;
	w->node[node].kind[bit] = (uint8_t)kind;
	w->node[node].rec[bit] = val;
}

static void
mw_net(struct mw *w, const char *pfx, unsigned data)
{
	struct vg_prefix p;
	uint8_t a[16] = {0};
	unsigned len;
	if (vg_prefix_parse(&p, pfx, 0) < 0)
		abort();
	if (p.afi == VG_AFI_IP4 && w->bits == 128) {
		memcpy(a + 12, p.addr, 4); /* IPv4 lives at ::/96 */
		len = 96 + p.len;
	} else {
		memcpy(a, p.addr, 16);
		len = p.len;
	}
	mw_set(w, a, len, MW_DATA, data);
}

/* The node at ::/96 (follow 96 zero bits), for aliases. */
static uint32_t
mw_v4_node(struct mw *w)
{
	uint32_t node = 0;
	for (int d = 0; d < 96; d++)
		node = w->node[node].rec[0];
	return node;
}

static void
mw_alias(struct mw *w, const char *pfx96)
{
	struct vg_prefix p;
	vg_prefix_parse(&p, pfx96, 0);
	mw_set(w, p.addr, p.len, MW_NODE, mw_v4_node(w));
}

static const char *
mw_write(struct mw *w, const char *name)
{
	uint8_t *o = w->out;
	size_t n = 0;
	uint32_t nc = w->nn;

	for (unsigned i = 0; i < w->nn; i++) {
		for (int b = 0; b < 2; b++) {
			uint32_t v = nc; /* empty */
			if (w->node[i].kind[b] == MW_NODE)
				v = w->node[i].rec[b];
			else if (w->node[i].kind[b] == MW_DATA)
				v = nc + 16 +
				    (uint32_t)w->doff[w->node[i].rec[b]];
			o[n++] = (uint8_t)(v >> 16);
			o[n++] = (uint8_t)(v >> 8);
			o[n++] = (uint8_t)v;
		}
	}
	memset(o + n, 0, 16);
	n += 16;
	memcpy(o + n, w->data, w->dlen);
	n += w->dlen;
	memcpy(o + n, "\xab\xcd\xefMaxMind.com", 14);
	n += 14;
	mw_byte(o, &n, (7u << 5) | 9);
	mw_str(o, &n, "binary_format_major_version");
	mw_uint(o, &n, 5, 2);
	mw_str(o, &n, "binary_format_minor_version");
	mw_uint(o, &n, 5, 0);
	mw_str(o, &n, "build_epoch");
	mw_uint(o, &n, 9, 1700000000);
	mw_str(o, &n, "database_type");
	mw_str(o, &n, "vigil-geo-test");
	mw_str(o, &n, "description");
	mw_byte(o, &n, (7u << 5) | 1);
	mw_str(o, &n, "en");
	mw_str(o, &n, "vigil geo_test");
	mw_str(o, &n, "ip_version");
	mw_uint(o, &n, 5, w->bits == 128 ? 6 : 4);
	mw_str(o, &n, "languages");
	mw_byte(o, &n, 1); /* array of 1 */
	mw_byte(o, &n, 11 - 7);
	mw_str(o, &n, "en");
	mw_str(o, &n, "node_count");
	mw_uint(o, &n, 6, nc);
	mw_str(o, &n, "record_size");
	mw_uint(o, &n, 5, 24);
	w->olen = n;
	return write_tmp(name, o, n);
}

/* ---- country codes and names -------------------------------------------- */

static void
test_cc(void)
{
	char s[3];

	CHECK_EQ_INT(geo_cc_from_str("KP"), KP);
	CHECK_EQ_INT(geo_cc_from_str("kp"), 0);
	CHECK_EQ_INT(geo_cc_from_str("na"), 0);
	CHECK_EQ_INT(geo_cc_from_str("ZZ"), 0);
	CHECK_EQ_INT(geo_cc_from_str("K"), 0);
	CHECK_EQ_INT(geo_cc_from_str("KPX"), 0);
	CHECK_EQ_INT(geo_cc_from_str(""), 0);
	CHECK_EQ_INT(geo_cc_from_str(NULL), 0);
	CHECK(geo_cc_from_str("AD") < geo_cc_from_str("AE"));
	geo_cc_str(KP, s);
	CHECK_EQ_STR(s, "KP");
	geo_cc_str(0, s);
	CHECK_EQ_STR(s, "");
	CHECK_EQ_STR(geo_country_name(KP), "North Korea");
	CHECK_EQ_STR(geo_country_name(GEO_CC('D', 'E')), "Germany");
	CHECK_EQ_STR(geo_country_name(GEO_CC('C', 'I')),
	             "C\xc3\xb4te d'Ivoire");
	CHECK_EQ_STR(geo_country_name(GEO_CC('E', 'U')), "European Union");
	CHECK_EQ_STR(geo_country_name(GEO_CC('A', 'D')), "Andorra");
	CHECK_EQ_STR(geo_country_name(GEO_CC('Z', 'W')), "Zimbabwe");
	CHECK(geo_country_name(GEO_CC('Q', 'Q')) == NULL);
	CHECK(geo_country_name(0) == NULL);
	/* every code that occurs in the real data has a name */
	unsigned missing = 0;
	for (int a = 'A'; a <= 'Z'; a++)
		for (int b = 'A'; b <= 'Z'; b++)
			missing += geo_country_name(GEO_CC(a, b)) == NULL;
	CHECK_EQ_INT(26 * 26 - missing, 253);
}

/* ---- the real delegation files ------------------------------------------ */

static void
load_real(void)
{
	char p[512], err[256];
	static const char *files[] = {"delegated-apnic-extended-latest",
	                              "delegated-afrinic-extended-latest",
	                              "delegated-lacnic-extended-latest"};

	real = geo_db_new();
	for (int i = 0; i < 3; i++) {
		int rc = geo_load_rir(real, data_path(p, sizeof(p), files[i]),
		                      err, sizeof(err));
		if (rc != 0)
			fprintf(stderr, "  %s\n", err);
		CHECK_EQ_INT(rc, 0);
	}
	int rc = geo_load(real, data_path(p, sizeof(p), "asnames.json.gz"),
	                  err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "  %s\n", err);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(geo_db_finish(real), 0);
}

static void
test_real_load(void)
{
	const char *first;
	load_real();
	/* the real files are clean: nothing skipped as malformed */
	CHECK_EQ_INT(geo_db_warnings(real, &first), 0);
	CHECK(first == NULL);
	CHECK(geo_db_memory(real) > 0);
}

static void
test_kp(void)
{
	struct runs rs;

	CHECK_EQ_INT(units(real, "175.45.176.0/22", &rs), 0);
	CHECK_EQ_INT(rs.n, 1);
	CHECK_EQ_INT(rs.r[0].cc, KP);
	CHECK_EQ_INT(rs.r[0].first, unit4("175.45.176.0"));
	CHECK_EQ_INT(rs.r[0].n, 4);

	CHECK_EQ_INT(units(real, "175.45.177.0/24", &rs), 0);
	CHECK_EQ_INT(rs.n, 1);
	CHECK_EQ_INT(rs.r[0].cc, KP);
	CHECK_EQ_INT(rs.r[0].first, unit4("175.45.177.0"));
	CHECK_EQ_INT(rs.r[0].n, 1);

	/* a /25 is the one /24 that holds it */
	CHECK_EQ_INT(units(real, "175.45.177.128/25", &rs), 0);
	CHECK_EQ_INT(rs.n, 1);
	CHECK_EQ_INT(rs.r[0].cc, KP);
	CHECK_EQ_INT(rs.r[0].first, unit4("175.45.177.0"));
	CHECK_EQ_INT(rs.r[0].n, 1);
	CHECK_EQ_INT(units(real, "175.45.179.77/32", &rs), 0);
	CHECK_EQ_INT(rs.n, 1);
	CHECK_EQ_INT(rs.r[0].first, unit4("175.45.179.0"));

	/* the /22 sits between other countries' space */
	CHECK_EQ_INT(units(real, "175.45.176.0/21", &rs), 0);
	CHECK(rs.n >= 2);
	CHECK_EQ_INT(rs.r[0].cc, KP);
	CHECK_EQ_INT(rs.r[0].n, 4);
	CHECK(rs.r[1].cc != KP);
	CHECK_EQ_INT(rs.total, 8);

	CHECK_EQ_INT(look(real, "175.45.176.0"), KP);
	CHECK_EQ_INT(look(real, "175.45.179.255"), KP);
	CHECK(look(real, "175.45.180.0") != KP);
	CHECK(look(real, "175.45.175.255") != KP);

	CHECK_EQ_INT(geo_asn_country(real, 131279), KP);
	CHECK_EQ_STR(geo_asn_name(real, 131279), "STAR-KP Ryugyong-dong");
	CHECK_EQ_STR(geo_country_name(geo_asn_country(real, 131279)),
	             "North Korea");
}

static void
test_straddle(void)
{
	struct runs rs;

	/* APNIC: 1.179.0.0/17 AU, 1.179.128.0/17 TH */
	CHECK_EQ_INT(units(real, "1.179.0.0/16", &rs), 0);
	CHECK_EQ_INT(rs.n, 2);
	CHECK_EQ_INT(rs.r[0].cc, GEO_CC('A', 'U'));
	CHECK_EQ_INT(rs.r[0].first, unit4("1.179.0.0"));
	CHECK_EQ_INT(rs.r[0].n, 128);
	CHECK_EQ_INT(rs.r[1].cc, GEO_CC('T', 'H'));
	CHECK_EQ_INT(rs.r[1].first, unit4("1.179.128.0"));
	CHECK_EQ_INT(rs.r[1].n, 128);

	/* AFRINIC: four /18s of four countries */
	CHECK_EQ_INT(units(real, "41.67.0.0/16", &rs), 0);
	CHECK_EQ_INT(rs.n, 4);
	static const char *cc4[] = {"SD", "EG", "NG", "CM"};
	for (int i = 0; i < 4 && i < (int)rs.n; i++) {
		CHECK_EQ_INT(rs.r[i].cc, geo_cc_from_str(cc4[i]));
		CHECK_EQ_INT(rs.r[i].first, unit4("41.67.0.0") + 64 * i);
		CHECK_EQ_INT(rs.r[i].n, 64);
	}

	/* AFRINIC: gaps (space of other RIRs, not loaded) around SD and
	 * KE; 62.12.120.0/21 is "ZZ ... reserved" */
	CHECK_EQ_INT(units(real, "62.12.0.0/16", &rs), 0);
	CHECK_EQ_INT(rs.n, 4);
	CHECK_EQ_INT(rs.r[0].cc, 0);
	CHECK_EQ_INT(rs.r[0].n, 96);
	CHECK_EQ_INT(rs.r[1].cc, GEO_CC('S', 'D'));
	CHECK_EQ_INT(rs.r[1].n, 16);
	CHECK_EQ_INT(rs.r[2].cc, GEO_CC('K', 'E'));
	CHECK_EQ_INT(rs.r[2].n, 8);
	CHECK_EQ_INT(rs.r[3].cc, 0);
	CHECK_EQ_INT(rs.r[3].n, 136);
	CHECK_EQ_INT(rs.total, 256);

	/* AFRINIC: 196.13.234.0 + 1280 addresses (5 /24s, not a CIDR
	 * block) joins ZA neighbours; 196.13.223.0/24 is BI */
	CHECK_EQ_INT(units(real, "196.13.232.0/21", &rs), 0);
	CHECK_EQ_INT(rs.n, 1);
	CHECK_EQ_INT(rs.r[0].cc, ZA);
	CHECK_EQ_INT(rs.r[0].n, 8);
	CHECK_EQ_INT(units(real, "196.13.220.0/22", &rs), 0);
	CHECK_EQ_INT(rs.n, 2);
	CHECK_EQ_INT(rs.r[0].cc, ZA);
	CHECK_EQ_INT(rs.r[0].n, 3);
	CHECK_EQ_INT(rs.r[1].cc, GEO_CC('B', 'I'));
	CHECK_EQ_INT(rs.r[1].n, 1);
}

static void
test_ipv6(void)
{
	struct runs rs;

	/* APNIC: CN|ipv6|2001:251::|32 */
	CHECK_EQ_INT(units(real, "2001:251::/32", &rs), 0);
	CHECK_EQ_INT(rs.n, 1);
	CHECK_EQ_INT(rs.r[0].cc, GEO_CC('C', 'N'));
	CHECK_EQ_INT(rs.r[0].first, (uint64_t)0x20010251 << 16);
	CHECK_EQ_INT(rs.r[0].n, 65536);

	/* a /64 is the one /48 that holds it */
	CHECK_EQ_INT(units(real, "2001:251:1234:5678::/64", &rs), 0);
	CHECK_EQ_INT(rs.n, 1);
	CHECK_EQ_INT(rs.r[0].first, ((uint64_t)0x20010251 << 16) | 0x1234);
	CHECK_EQ_INT(rs.r[0].n, 1);

	CHECK_EQ_INT(look(real, "2001:251::1"), GEO_CC('C', 'N'));
	CHECK_EQ_INT(look(real, "2001:250::1"), GEO_CC('C', 'N'));

	/* ::/0 covers all 2^48 units exactly */
	CHECK_EQ_INT(units(real, "::/0", &rs), 0);
	CHECK_EQ_INT(rs.total, (uint64_t)1 << 48);
	CHECK(rs.n > 1000);
	CHECK_EQ_INT(units(real, "0.0.0.0/0", &rs), 0);
	CHECK_EQ_INT(rs.total, (uint64_t)1 << 24);
}

static void
test_unknown(void)
{
	struct runs rs;

	CHECK_EQ_INT(units(real, "10.0.0.0/8", &rs), 0);
	CHECK_EQ_INT(rs.n, 1);
	CHECK_EQ_INT(rs.r[0].cc, 0);
	CHECK_EQ_INT(rs.r[0].first, unit4("10.0.0.0"));
	CHECK_EQ_INT(rs.r[0].n, 65536);
	CHECK_EQ_INT(look(real, "10.1.2.3"), 0);
	CHECK_EQ_INT(look(real, "127.0.0.1"), 0);
	CHECK_EQ_INT(look(real, "fc00::1"), 0);
	CHECK_EQ_INT(look(real, "255.255.255.255"), 0);
	CHECK_EQ_INT(look(real, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 0);
	CHECK_EQ_INT(units(real, "255.255.255.255/32", &rs), 0);
	CHECK_EQ_INT(rs.n, 1);
	CHECK_EQ_INT(rs.r[0].first, 0xffffff);
	CHECK_EQ_INT(geo_asn_country(real, 64512), 0);
	CHECK_EQ_INT(geo_asn_country(real, 4294967295u), 0);
	CHECK(geo_asn_name(real, 4294967295u) == NULL);
	/* asnames says ", ZZ" and ", na": a name but no country */
	CHECK_EQ_STR(geo_asn_name(real, 23456), "-Reserved AS-");
	CHECK_EQ_STR(geo_asn_name(real, 19399),
	             "SLLNET Stockholms Lans Landsting");
	/* ...unless a delegation file has one */
	CHECK_EQ_INT(geo_asn_country(real, 2561), GEO_CC('E', 'G'));

	struct vg_prefix bad = {.afi = VG_AFI_IP4, .len = 33};
	memset(&rs, 0, sizeof(rs));
	CHECK_EQ_INT(geo_prefix_units(real, &bad, collect, &rs), -1);
	bad.afi = 0;
	bad.len = 8;
	CHECK_EQ_INT(geo_prefix_units(real, &bad, collect, &rs), -1);
	CHECK_EQ_INT(rs.n, 0);
	struct vg_addr none = {0};
	CHECK_EQ_INT(geo_lookup(real, &none), 0);
}

static void
test_asnames(void)
{
	CHECK_EQ_STR(geo_asn_name(real, 15169), "GOOGLE - Google Inc.");
	CHECK_EQ_INT(geo_asn_country(real, 15169), GEO_CC('U', 'S'));
	/* \" inside the name */
	CHECK_EQ_STR(geo_asn_name(real, 57482), "SMP-AS OJSC \"SMP Bank\"");
	CHECK_EQ_INT(geo_asn_country(real, 57482), GEO_CC('R', 'U'));
}

/* ---- precedence, sub-unit ranges, CSV ----------------------------------- */

static void
test_precedence(void)
{
	char err[256];
	struct geo_db *db = geo_db_new();
	struct runs rs;

	const char *a = write_text("a.csv", "10.0.0.0,10.255.255.255,DE\n"
	                                    "10.1.0.0,10.1.255.255,FR\n");
	const char *b = write_text("b.csv", "10.0.0.0,10.255.255.255,IT\n"
	                                    "10.1.128.0,10.1.128.255,ES\n");
	const char *c = write_text("c.csv", "10.1.0.0,10.1.255.255,PT\n");
	CHECK_EQ_INT(geo_load_csv(db, a, err, sizeof(err)), 0);
	CHECK_EQ_INT(geo_load_csv(db, b, err, sizeof(err)), 0);
	/* before finish nothing is found */
	CHECK_EQ_INT(look(db, "10.0.0.1"), 0);
	CHECK_EQ_INT(geo_db_finish(db), 0);
	/* equal ranges: the later load wins; smaller ranges win over
	 * larger ones whatever the order */
	CHECK_EQ_INT(look(db, "10.0.0.1"), GEO_CC('I', 'T'));
	CHECK_EQ_INT(look(db, "10.1.0.1"), GEO_CC('F', 'R'));
	CHECK_EQ_INT(look(db, "10.1.128.1"), GEO_CC('E', 'S'));
	CHECK_EQ_INT(look(db, "10.1.129.1"), GEO_CC('F', 'R'));
	CHECK_EQ_INT(look(db, "10.2.0.0"), GEO_CC('I', 'T'));
	CHECK_EQ_INT(units(db, "10.0.0.0/8", &rs), 0);
	CHECK_EQ_INT(rs.n, 5);
	CHECK_EQ_INT(rs.total, 65536);
	/* a finished database takes no more data */
	CHECK_EQ_INT(geo_load_csv(db, c, err, sizeof(err)), -1);
	CHECK(strstr(err, "finished") != NULL);
	geo_db_free(db);

	db = geo_db_new();
	CHECK_EQ_INT(geo_load_csv(db, a, err, sizeof(err)), 0);
	CHECK_EQ_INT(geo_load_csv(db, c, err, sizeof(err)), 0);
	CHECK_EQ_INT(geo_db_finish(db), 0);
	CHECK_EQ_INT(look(db, "10.1.0.1"), GEO_CC('P', 'T'));
	CHECK_EQ_INT(look(db, "10.3.0.1"), GEO_CC('D', 'E'));
	geo_db_free(db);

	/* within one file a later line overrides an earlier one, whatever
	 * their sizes (the @ip-location-db CSVs overlap this way, e.g.
	 * 17.87.144.0-17.87.151.255 CN then 17.87.151.0-17.87.167.255 JP,
	 * and their MMDB says JP for 17.87.151.0); between files a
	 * surviving piece ranks by the size of its line's range */
	db = geo_db_new();
	const char *d = write_text("d.csv", "10.5.0.0,10.5.0.255,SE\n"
	                                    "10.5.0.0,10.5.255.255,NO\n"
	                                    "10.6.0.0,10.6.7.255,CN\n"
	                                    "10.6.2.0,10.6.2.255,JP\n"
	                                    "10.6.4.0,10.6.15.255,US\n");
	const char *e = write_text("e.csv", "10.6.0.0,10.6.3.255,FI\n"
	                                    "10.6.4.0,10.6.5.255,EE\n");
	CHECK_EQ_INT(geo_load_csv(db, d, err, sizeof(err)), 0);
	CHECK_EQ_INT(geo_load_csv(db, e, err, sizeof(err)), 0);
	CHECK_EQ_INT(geo_db_finish(db), 0);
	CHECK_EQ_INT(look(db, "10.5.0.1"), GEO_CC('N', 'O'));
	CHECK_EQ_INT(look(db, "10.6.0.1"), GEO_CC('F', 'I')); /* 1024 < 2048 */
	CHECK_EQ_INT(look(db, "10.6.2.1"), GEO_CC('J', 'P')); /* 256 < 1024 */
	CHECK_EQ_INT(look(db, "10.6.4.1"), GEO_CC('E', 'E')); /* 512 < 3072 */
	CHECK_EQ_INT(look(db, "10.6.6.1"), GEO_CC('U', 'S'));
	CHECK_EQ_INT(look(db, "10.6.15.255"), GEO_CC('U', 'S'));
	CHECK_EQ_INT(look(db, "10.6.16.0"), 0);
	geo_db_free(db);
}

static void
test_sub_unit(void)
{
	char err[256];
	struct geo_db *db = geo_db_new();
	struct runs rs;

	const char *p = write_text(
	    "sub.csv",
	    "192.0.2.0,192.0.2.127,NL\n"    /* half a /24 each */
	    "192.0.2.128,192.0.2.255,BE\n"
	    "192.0.3.0,192.0.3.9,BE\n"      /* BE runs into the next /24 */
	    "192.0.3.10,192.0.4.255,NL\n"
	    "192.0.5.0,192.0.5.0,LU\n"      /* one address of LU */
	    "192.0.5.1,192.0.5.255,NL\n");
	CHECK_EQ_INT(geo_load_csv(db, p, err, sizeof(err)), 0);
	CHECK_EQ_INT(geo_db_finish(db), 0);
	CHECK_EQ_INT(look(db, "192.0.2.200"), GEO_CC('B', 'E'));
	CHECK_EQ_INT(look(db, "192.0.3.5"), GEO_CC('B', 'E'));
	/* each /24 goes to the country of its first address */
	CHECK_EQ_INT(units(db, "192.0.2.0/24", &rs), 0);
	CHECK_EQ_INT(rs.n, 1);
	CHECK_EQ_INT(rs.r[0].cc, GEO_CC('N', 'L'));
	CHECK_EQ_INT(units(db, "192.0.2.128/25", &rs), 0);
	CHECK_EQ_INT(rs.n, 1);
	CHECK_EQ_INT(rs.r[0].cc, GEO_CC('N', 'L'));
	CHECK_EQ_INT(units(db, "192.0.3.0/24", &rs), 0);
	CHECK_EQ_INT(rs.r[0].cc, GEO_CC('B', 'E'));
	/* .2 starts NL, .3 starts BE, .4 NL, .5 LU */
	CHECK_EQ_INT(units(db, "192.0.2.0/23", &rs), 0);
	CHECK_EQ_INT(rs.n, 2);
	CHECK_EQ_INT(units(db, "192.0.4.0/23", &rs), 0);
	CHECK_EQ_INT(rs.n, 2);
	CHECK_EQ_INT(rs.r[0].cc, GEO_CC('N', 'L'));
	CHECK_EQ_INT(rs.r[1].cc, GEO_CC('L', 'U'));
	/* a run is not cut by a sub-unit range no unit starts in */
	geo_db_free(db);
	db = geo_db_new();
	p = write_text("sub2.csv", "198.51.100.0,198.51.103.255,NL\n"
	                           "198.51.101.7,198.51.101.9,BE\n");
	CHECK_EQ_INT(geo_load_csv(db, p, err, sizeof(err)), 0);
	CHECK_EQ_INT(geo_db_finish(db), 0);
	CHECK_EQ_INT(units(db, "198.51.100.0/22", &rs), 0);
	CHECK_EQ_INT(rs.n, 1);
	CHECK_EQ_INT(rs.r[0].n, 4);
	CHECK_EQ_INT(look(db, "198.51.101.8"), GEO_CC('B', 'E'));
	geo_db_free(db);
}

static void
test_csv(void)
{
	char err[256];
	const char *first;
	struct geo_db *db = geo_db_new();

	const char *p = write_text(
	    "mixed.csv",
	    "ip_range_start,ip_range_end,country_code\r\n"
	    "1.0.0.0,1.0.0.255,AU\r\n"
	    "\"1.0.1.0\",\"1.0.3.255\",\"CN\",extra,fields\r\n"
	    "2001:200::,2001:218:2000:51:ffff:ffff:ffff:ffff,JP\r\n"
	    "# a comment\r\n"
	    "\r\n"
	    "16778240,16779263,AU\n"                    /* 1.0.4.0-1.0.7.255 */
	    "42541137199083159614003922737341399040,"
	    "42541461717636818040730705893361975295,AU\n" /* 2001:2000::/20 */
	    "1.0.8.0,1.0.15.255,ZZ\n"                   /* unknown: quiet */
	    "1.0.16.0,1.0.31.255,\n"                    /* unknown: quiet */
	    "1.0.32.0,1.0.63.255,Xx\n"                  /* bad country */
	    "1.0.64.0,1.0.64\n"                         /* too few fields */
	    "1.0.64.0,2001::,DE\n"                      /* mixed families */
	    "1.0.65.0,1.0.64.0,DE\n"                    /* first > last */
	    "1.0.65.0,1.0.300.0,DE\n"                  /* bad address */
	    "2001:db8::,2001:db8::ff,NL\n"        /* /64 to its first address */
	    "2001:db8::100,2001:db8:0:3:ffff:ffff:ffff:ffff,DE\n"
	    "2001:db8:0:4::1,2001:db8:0:4::2,FR\n");  /* invisible */
	CHECK_EQ_INT(geo_load_csv(db, p, err, sizeof(err)), 0);
	CHECK_EQ_INT(geo_db_warnings(db, &first), 5);
	CHECK(first && strstr(first, "mixed.csv:11: bad country code") != NULL);
	if (first)
		printf("# first warning: %s\n", first);
	CHECK_EQ_INT(geo_db_finish(db), 0);
	CHECK_EQ_INT(look(db, "1.0.0.1"), GEO_CC('A', 'U'));
	CHECK_EQ_INT(look(db, "1.0.2.1"), GEO_CC('C', 'N'));
	CHECK_EQ_INT(look(db, "1.0.5.1"), GEO_CC('A', 'U'));
	CHECK_EQ_INT(look(db, "1.0.9.1"), 0);
	CHECK_EQ_INT(look(db, "1.0.40.1"), 0);
	CHECK_EQ_INT(look(db, "2001:218:2000:51::1"), GEO_CC('J', 'P'));
	CHECK_EQ_INT(look(db, "2001:218:2000:52::1"), 0);
	CHECK_EQ_INT(look(db, "2001:2fff::1"), GEO_CC('A', 'U'));
	CHECK_EQ_INT(look(db, "2001:3000::1"), 0);
	CHECK_EQ_INT(look(db, "2001:db8::1000"), GEO_CC('N', 'L'));
	CHECK_EQ_INT(look(db, "2001:db8:0:1::"), GEO_CC('D', 'E'));
	CHECK_EQ_INT(look(db, "2001:db8:0:3::"), GEO_CC('D', 'E'));
	CHECK_EQ_INT(look(db, "2001:db8:0:4::1"), 0);
	geo_db_free(db);

	/* a file in which nothing parses is refused, and changes nothing */
	db = geo_db_new();
	p = write_text("junk.csv", "hello,world\nfoo,bar,baz\n1,2\n");
	CHECK_EQ_INT(geo_load_csv(db, p, err, sizeof(err)), -1);
	CHECK(strstr(err, "junk.csv") != NULL);
	CHECK_EQ_INT(geo_db_warnings(db, &first), 0);
	CHECK(first == NULL);
	geo_db_free(db);
}

/* ---- RIR loader on a small file ----------------------------------------- */

static void
test_rir_small(void)
{
	char err[256];
	const char *first;
	struct geo_db *db = geo_db_new();
	struct runs rs;

	const char *p = write_text(
	    "delegated-test",
	    "# comment\n"
	    "2.3|test|20160131|9||20160130|+1000\n"
	    "test|*|ipv4|*|5|summary\n"
	    "\n"
	    "test|NL|ipv4|10.0.0.0|1280|20100101|allocated|X\n"
	    "test|BE|ipv6|2001:db8::|32|20100101|assigned\n"
	    "test|BE|asn|64500|10|20100101|allocated\n"
	    "test||ipv4|10.0.5.0|256||available|\n"
	    "test|ZZ|ipv4|10.0.6.0|256||reserved|\n"
	    " test | LU | ipv4 | 10.0.7.0 | 256 | 20100101 | assigned \n"
	    "test|nl|ipv4|10.1.0.0|256|20100101|allocated\n"   /* 11 */
	    "test|NL|ipv4|10.2.0.0|0|20100101|allocated\n"
	    "test|NL|ipv4|255.255.255.0|512|20100101|allocated\n"
	    "test|NL|ipv6|2001:db8::1|32|20100101|allocated\n"
	    "test|NL|ipv6|2001:db8::|129|20100101|allocated\n"
	    "test|NL|asn|4294967295|2|20100101|allocated\n"
	    "test|NL|ipv5|1.2.3.4|1|20100101|allocated\n"
	    "test|NL|ipv4|10.3.0.0\n"
	    "test|NL|ipv4|10.3.0.x|256|20100101|allocated\n");
	CHECK_EQ_INT(geo_load_rir(db, p, err, sizeof(err)), 0);
	CHECK_EQ_INT(geo_db_warnings(db, &first), 9);
	CHECK(first && strstr(first, "delegated-test:11: bad country code") !=
	                   NULL);
	CHECK_EQ_INT(geo_db_finish(db), 0);
	/* 1280 addresses = 5 /24s */
	CHECK_EQ_INT(units(db, "10.0.0.0/21", &rs), 0);
	CHECK_EQ_INT(rs.n, 3);
	CHECK_EQ_INT(rs.r[0].cc, GEO_CC('N', 'L'));
	CHECK_EQ_INT(rs.r[0].n, 5);
	CHECK_EQ_INT(rs.r[1].cc, 0);
	CHECK_EQ_INT(rs.r[1].n, 2);
	CHECK_EQ_INT(rs.r[2].cc, GEO_CC('L', 'U'));
	CHECK_EQ_INT(look(db, "2001:db8:ffff::1"), GEO_CC('B', 'E'));
	CHECK_EQ_INT(geo_asn_country(db, 64500), GEO_CC('B', 'E'));
	CHECK_EQ_INT(geo_asn_country(db, 64509), GEO_CC('B', 'E'));
	CHECK_EQ_INT(geo_asn_country(db, 64510), 0);
	CHECK(geo_asn_name(db, 64500) == NULL);
	geo_db_free(db);
}

/* ---- asnames JSON ------------------------------------------------------- */

static void
test_asnames_json(void)
{
	char err[256];
	const char *first;
	struct geo_db *db = geo_db_new();

	const char *p = write_text(
	    "asn.json",
	    " {\"64500\": \"CAF\\u00c9 Net, FR\",\n"
	    "  \"AS64501\": \"Emoji \\ud83d\\ude00 \\\"q\\\" \\\\, JP\",\n"
	    "  \"64502\": null,\n"
	    "  \"x64503\": \"Bad key, DE\",\n"
	    "  \"64504\": \"No country\",\n"
	    "  \"64505\": \"Lower, na\",\n"
	    "  \"64500\": \"CAFE Net 2, BE\"}\n");
	CHECK_EQ_INT(geo_load_asnames(db, p, err, sizeof(err)), 0);
	CHECK_EQ_INT(geo_db_warnings(db, &first), 1);
	CHECK(first && strstr(first, "asn.json:4:") != NULL);
	/* the same AS twice: the later entry wins, name and country */
	CHECK_EQ_INT(geo_db_finish(db), 0);
	CHECK_EQ_STR(geo_asn_name(db, 64500), "CAFE Net 2");
	CHECK_EQ_INT(geo_asn_country(db, 64500), GEO_CC('B', 'E'));
	CHECK_EQ_STR(geo_asn_name(db, 64501),
	             "Emoji \xf0\x9f\x98\x80 \"q\" \\");
	CHECK_EQ_INT(geo_asn_country(db, 64501), GEO_CC('J', 'P'));
	CHECK(geo_asn_name(db, 64502) == NULL);
	CHECK_EQ_STR(geo_asn_name(db, 64504), "No country");
	CHECK_EQ_INT(geo_asn_country(db, 64504), 0);
	CHECK_EQ_STR(geo_asn_name(db, 64505), "Lower");
	CHECK_EQ_INT(geo_asn_country(db, 64505), 0);
	geo_db_free(db);

	/* broken JSON fails the file and leaves the database as it was */
	db = geo_db_new();
	p = write_text("ok.json", "{\"1\": \"One, US\"}");
	CHECK_EQ_INT(geo_load_asnames(db, p, err, sizeof(err)), 0);
	p = write_text("broken.json", "{\"2\": \"Two, US\",\n \"3\" \"x\"}");
	CHECK_EQ_INT(geo_load_asnames(db, p, err, sizeof(err)), -1);
	CHECK(strstr(err, "broken.json:2: expected ':'") != NULL);
	p = write_text("trunc.json", "{\"2\": \"Two, US");
	CHECK_EQ_INT(geo_load_asnames(db, p, err, sizeof(err)), -1);
	CHECK_EQ_INT(geo_db_finish(db), 0);
	CHECK_EQ_STR(geo_asn_name(db, 1), "One");
	CHECK(geo_asn_name(db, 2) == NULL);
	CHECK_EQ_INT(geo_asn_country(db, 2), 0);
	geo_db_free(db);
}

/* ---- missing files and format detection --------------------------------- */

static void
test_missing(void)
{
	char err[256];
	struct geo_db *db = geo_db_new();
	int (*fns[])(struct geo_db *, const char *, char *, size_t) = {
	    geo_load_rir, geo_load_csv, geo_load_mmdb, geo_load_asnames,
	    geo_load};

	for (unsigned i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		err[0] = '\0';
		CHECK_EQ_INT(fns[i](db, "/nonexistent/geo-file", err,
		                    sizeof(err)),
		             -1);
		CHECK(strncmp(err, "/nonexistent/geo-file: ", 23) == 0);
		CHECK(strstr(err, "No such file") != NULL);
	}
	/* ERRLEN 0 is allowed */
	CHECK_EQ_INT(geo_load_rir(db, "/nonexistent/geo-file", NULL, 0), -1);
	/* an empty database finishes and finds nothing */
	CHECK_EQ_INT(geo_db_finish(db), 0);
	CHECK_EQ_INT(look(db, "1.2.3.4"), 0);
	CHECK_EQ_INT(geo_asn_country(db, 1), 0);
	struct runs rs;
	CHECK_EQ_INT(units(db, "1.0.0.0/8", &rs), 0);
	CHECK_EQ_INT(rs.n, 1);
	CHECK_EQ_INT(rs.r[0].n, 65536);
	geo_db_free(db);
	geo_db_free(NULL);
}

static struct mw mwb;

static const char *
write_test_mmdb(void)
{
	struct mw *w = &mwb;
	mw_init(w, 128);
	unsigned kp = mw_data(w, "country_code", NULL, "KP");
	unsigned de = mw_data(w, "country", "iso_code", "DE");
	unsigned fr = mw_data(w, "country_code", NULL, "FR");
	unsigned none = mw_data(w, "asn", NULL, "AS64500");
	mw_net(w, "175.45.176.0/22", kp);
	mw_net(w, "192.0.2.0/24", de);
	mw_net(w, "192.0.3.0/24", kp);
	mw_net(w, "198.51.100.0/24", fr);
	mw_net(w, "198.51.101.0/24", fr);
	mw_net(w, "203.0.113.0/24", none);
	mw_net(w, "2001:db8::/32", fr);
	mw_net(w, "2001:db9::/48", none);
	mw_net(w, "2001:dba::/80", kp);
	mw_net(w, "2001:dba:0:0:1::/80", de);
	mw_net(w, "2001:dbb:0:0:8000::/65", de);
	mw_alias(w, "::ffff:0:0/96");
	mw_alias(w, "2002::/16");
	return mw_write(w, "test.mmdb");
}

static void
check_test_mmdb(struct geo_db *db)
{
	struct runs rs;
	CHECK_EQ_INT(look(db, "175.45.177.1"), KP);
	CHECK_EQ_INT(look(db, "192.0.2.1"), GEO_CC('D', 'E'));
	CHECK_EQ_INT(look(db, "192.0.3.1"), KP);
	CHECK_EQ_INT(look(db, "198.51.101.1"), GEO_CC('F', 'R'));
	CHECK_EQ_INT(look(db, "203.0.113.1"), 0);
	CHECK_EQ_INT(look(db, "10.0.0.1"), 0);
	CHECK_EQ_INT(look(db, "2001:db8:1::1"), GEO_CC('F', 'R'));
	CHECK_EQ_INT(look(db, "2001:db9::1"), 0);
	/* two /80s in one /64: the first address decides */
	CHECK_EQ_INT(look(db, "2001:dba::5"), KP);
	CHECK_EQ_INT(look(db, "2001:dba:0:0:1::5"), KP);
	CHECK_EQ_INT(look(db, "2001:dbb:0:0:8000::5"), 0);
	/* the aliases of the IPv4 subtree are not IPv6 space */
	CHECK_EQ_INT(look(db, "::ffff:175.45.177.1"), 0);
	CHECK_EQ_INT(look(db, "2002:af2d:b101::1"), 0);
	CHECK_EQ_INT(look(db, "::175.45.177.1"), 0);
	CHECK_EQ_INT(units(db, "198.51.100.0/23", &rs), 0);
	CHECK_EQ_INT(rs.n, 1);
	CHECK_EQ_INT(rs.r[0].n, 2);
	CHECK_EQ_INT(units(db, "2001:db8::/31", &rs), 0);
	CHECK_EQ_INT(rs.n, 2);
	CHECK_EQ_INT(rs.r[0].cc, GEO_CC('F', 'R'));
	CHECK_EQ_INT(rs.r[0].n, 65536);
}

static void
test_mmdb_written(void)
{
	char err[256];
	const char *first;
	struct geo_db *db = geo_db_new();

	const char *p = write_test_mmdb();
	int rc = geo_load_mmdb(db, p, err, sizeof(err));
	if (rc)
		fprintf(stderr, "  %s\n", err);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(geo_db_warnings(db, &first), 0);
	CHECK_EQ_INT(geo_db_finish(db), 0);
	check_test_mmdb(db);
	geo_db_free(db);

	/* an IPv4-only tree */
	struct mw *w = &mwb;
	mw_init(w, 32);
	unsigned kp = mw_data(w, "country_code", NULL, "KP");
	unsigned za = mw_data(w, "registered_country", "iso_code", "ZA");
	mw_net(w, "175.45.176.0/22", kp);
	mw_net(w, "196.13.234.0/23", za);
	mw_net(w, "0.0.0.0/8", za);
	p = mw_write(w, "test4.mmdb");
	db = geo_db_new();
	rc = geo_load_mmdb(db, p, err, sizeof(err));
	if (rc)
		fprintf(stderr, "  %s\n", err);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(geo_db_finish(db), 0);
	CHECK_EQ_INT(look(db, "175.45.179.255"), KP);
	CHECK_EQ_INT(look(db, "175.45.180.0"), 0);
	CHECK_EQ_INT(look(db, "196.13.235.9"), ZA);
	CHECK_EQ_INT(look(db, "0.1.2.3"), ZA);
	CHECK_EQ_INT(look(db, "2001:db8::1"), 0);
	geo_db_free(db);

	/* an MMDB without any country is refused */
	mw_init(w, 32);
	unsigned asn = mw_data(w, "autonomous_system_organization", NULL,
	                       "Example");
	mw_net(w, "192.0.2.0/24", asn);
	p = mw_write(w, "asn.mmdb");
	db = geo_db_new();
	CHECK_EQ_INT(geo_load_mmdb(db, p, err, sizeof(err)), -1);
	CHECK(strstr(err, "no country") != NULL);
	/* not an MMDB at all */
	p = write_text("not.mmdb", "1.0.0.0,1.0.0.255,AU\n");
	CHECK_EQ_INT(geo_load_mmdb(db, p, err, sizeof(err)), -1);
	CHECK(strstr(err, "not.mmdb: ") != NULL);
	geo_db_free(db);
}

static void
test_mmdb_corrupt(void)
{
	char err[256];
	struct mw *w = &mwb;
	struct geo_db *db = geo_db_new();

	/* every node's two records lead to the next node: 2^31 paths */
	mw_init(w, 32);
	unsigned kp = mw_data(w, "country_code", NULL, "KP");
	for (unsigned i = 0; i < 31; i++)
		for (int b = 0; b < 2; b++) {
			w->node[i].kind[b] = MW_NODE;
			w->node[i].rec[b] = i + 1;
		}
	w->node[31].kind[0] = MW_DATA;
	w->node[31].rec[0] = kp;
	w->nn = 32;
	const char *p = mw_write(w, "dag.mmdb");
	CHECK_EQ_INT(geo_load_mmdb(db, p, err, sizeof(err)), -1);
	CHECK(strstr(err, "shares nodes") != NULL);

	/* a record that points back up the tree */
	w->node[5].rec[1] = 2;
	p = mw_write(w, "loop.mmdb");
	CHECK_EQ_INT(geo_load_mmdb(db, p, err, sizeof(err)), -1);

	/* the database is still usable and empty */
	CHECK_EQ_INT(geo_db_finish(db), 0);
	CHECK_EQ_INT(look(db, "1.2.3.4"), 0);
	geo_db_free(db);
}

static void
test_detect(void)
{
	char err[256], path[512];
	const char *p;
	struct geo_db *db = geo_db_new();

	CHECK_EQ_INT(geo_load(db, write_test_mmdb(), err, sizeof(err)), 0);
	CHECK_EQ_INT(geo_load(db, write_text("d.csv", "# x\n"
	                                              "8.8.8.0,8.8.8.255,US\n"),
	                      err, sizeof(err)),
	             0);
	CHECK_EQ_INT(geo_load(db, data_path(path, sizeof(path),
	                                    "delegated-lacnic-extended-latest"),
	                      err, sizeof(err)),
	             0);
	p = write_text("d.json", "\n{\"7\": \"Seven, GB\"}");
	CHECK_EQ_INT(geo_load(db, p, err, sizeof(err)), 0);
	CHECK_EQ_INT(geo_load(db, write_text("d.txt", "hello world\n"), err,
	                      sizeof(err)),
	             -1);
	CHECK(strstr(err, "d.txt: not an RIR") != NULL);
	CHECK_EQ_INT(geo_load(db, write_text("e.txt", "\n\n"), err,
	                      sizeof(err)),
	             -1);
	CHECK(strstr(err, "e.txt: empty") != NULL);
	CHECK_EQ_INT(geo_db_finish(db), 0);
	check_test_mmdb(db);
	CHECK_EQ_INT(look(db, "8.8.8.8"), GEO_CC('U', 'S'));
	CHECK_EQ_INT(look(db, "200.1.1.1"), GEO_CC('V', 'E'));
	CHECK_EQ_STR(geo_asn_name(db, 7), "Seven");
	p = write_text("d2.csv", "1.0.0.0,1.0.0.255,AU\n");
	CHECK_EQ_INT(geo_load(db, p, err, sizeof(err)), -1);
	geo_db_free(db);

	/* gzip input is read through */
	db = geo_db_new();
	snprintf(path, sizeof(path), "%s/z.csv.gz", tmpdir);
	gzFile gz = gzopen(path, "wb");
	gzputs(gz, "9.9.9.0,9.9.9.255,CH\n");
	gzclose(gz);
	CHECK_EQ_INT(geo_load(db, path, err, sizeof(err)), 0);
	CHECK_EQ_INT(geo_db_finish(db), 0);
	CHECK_EQ_INT(look(db, "9.9.9.9"), GEO_CC('C', 'H'));
	geo_db_free(db);
}

/* ---- current data from @ip-location-db, when given ---------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
test_ip_location_db(void)
{
	const char *mmdb = getenv("VIGIL_GEO_MMDB");
	const char *csv = getenv("VIGIL_GEO_CSV"); /* "v4.csv[:v6.csv]" */
	char err[256];
	struct geo_db *dm = NULL, *dc = NULL;

	if (!mmdb || !*mmdb) {
		printf("# VIGIL_GEO_MMDB not set: real MMDB not tested\n");
		return;
	}
	dm = geo_db_new();
	double t0 = now();
	int rc = geo_load(dm, mmdb, err, sizeof(err));
	if (rc)
		fprintf(stderr, "  %s\n", err);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(geo_db_finish(dm), 0);
	printf("# %s: loaded in %.2f s, %zu bytes\n", mmdb, now() - t0,
	       geo_db_memory(dm));
	CHECK_EQ_INT(look(dm, "175.45.177.1"), KP);
	CHECK_EQ_INT(look(dm, "1.1.1.1"), GEO_CC('A', 'U'));
	CHECK_EQ_INT(look(dm, "2001:4860:4860::8888"), GEO_CC('U', 'S'));
	CHECK_EQ_INT(look(dm, "10.0.0.1"), 0);
	CHECK_EQ_INT(look(dm, "::ffff:175.45.177.1"), 0);

	if (csv && *csv) {
		char files[2][512] = {{0}};
		const char *colon = strchr(csv, ':');
		size_t l = colon ? (size_t)(colon - csv) : strlen(csv);
		snprintf(files[0], sizeof(files[0]), "%.*s", (int)l, csv);
		if (colon)
			snprintf(files[1], sizeof(files[1]), "%s", colon + 1);
		dc = geo_db_new();
		t0 = now();
		for (int i = 0; i < 2; i++) {
			if (!files[i][0])
				continue;
			rc = geo_load(dc, files[i], err, sizeof(err));
			if (rc)
				fprintf(stderr, "  %s\n", err);
			CHECK_EQ_INT(rc, 0);
		}
		CHECK_EQ_INT(geo_db_finish(dc), 0);
		printf("# %s: loaded in %.2f s, %zu bytes\n", csv, now() - t0,
		       geo_db_memory(dc));
		/* the MMDB and the CSV of the same data agree */
		unsigned long diff4 = 0, diff6 = 0;
		for (int i = 0; i < 200000; i++) {
			struct vg_addr a = {.afi = VG_AFI_IP4};
			uint64_t r = next_rand();
			memcpy(a.addr, &r, 4);
			diff4 += geo_lookup(dm, &a) != geo_lookup(dc, &a);
			if (!files[1][0])
				continue;
			a.afi = VG_AFI_IP6;
			memset(a.addr, 0, 16);
			a.addr[0] = 0x20; /* 2000::/4 .. 2fff:: */
			a.addr[1] = (uint8_t)r;
			r = next_rand();
			memcpy(a.addr + 2, &r, 6);
			diff6 += geo_lookup(dm, &a) != geo_lookup(dc, &a);
		}
		printf("# MMDB vs CSV: %lu of 200000 IPv4, %lu of 200000 "
		       "IPv6 lookups differ\n",
		       diff4, diff6);
		CHECK_EQ_INT(diff4, 0);
		CHECK_EQ_INT(diff6, 0);
		geo_db_free(dc);
	}
	geo_db_free(dm);
}

/* ---- speed on a real routing table -------------------------------------- */

struct tally {
	uint64_t units[65536];
	unsigned long runs;
};

static void
tally_fn(void *ctx, geo_cc cc, uint64_t first, uint64_t n)
{
	struct tally *t = ctx;
	t->units[cc] += n;
	t->runs++;
	(void)first;
}

static void
test_perf_ipasn(void)
{
	char path[512], line[256];
	struct vg_prefix *pfx;
	size_t n = 0, cap = 600000;
	gzFile gz;

	data_path(path, sizeof(path), "ipasn_20140513.dat.gz");
	gz = gzopen(path, "rb");
	CHECK(gz != NULL);
	if (!gz)
		return;
	pfx = malloc(cap * sizeof(*pfx));
	while (gzgets(gz, line, sizeof(line))) {
		if (line[0] == ';')
			continue;
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		if (n < cap && vg_prefix_parse(&pfx[n], line, 1) == 0)
			n++;
	}
	gzclose(gz);
	CHECK_EQ_INT(n, 512621);

	/* load the three delegation files, as vigil would */
	static const char *files[] = {"delegated-apnic-extended-latest",
	                              "delegated-afrinic-extended-latest",
	                              "delegated-lacnic-extended-latest"};
	char err[256];
	double t0 = now();
	struct geo_db *db = geo_db_new();
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(geo_load_rir(db, data_path(path, sizeof(path),
		                                        files[i]),
		                          err, sizeof(err)),
		             0);
	size_t mem_before = geo_db_memory(db);
	CHECK_EQ_INT(geo_db_finish(db), 0);
	double load_s = now() - t0;

	struct tally *t = calloc(1, sizeof(*t));
	int rounds = 5;
	t0 = now();
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < n; i++)
			geo_prefix_units(db, &pfx[i], tally_fn, t);
	double dt = now() - t0;

	struct vg_addr a = {.afi = VG_AFI_IP4};
	unsigned long hits = 0;
	size_t nl = 0;
	t0 = now();
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < n; i++) {
			if (pfx[i].afi != VG_AFI_IP4)
				continue;
			memcpy(a.addr, pfx[i].addr, 4);
			hits += geo_lookup(db, &a) != 0;
			nl++;
		}
	double dl = now() - t0;

	printf("# load 3 delegation files + finish: %.3f s; memory %zu "
	       "bytes before finish, %zu after\n",
	       load_s, mem_before, geo_db_memory(db));
	printf("# geo_prefix_units: %zu prefixes x %d in %.3f s = %.2f M "
	       "prefixes/s, %.2f M runs/s\n",
	       n, rounds, dt, n * rounds / dt / 1e6, t->runs / dt / 1e6);
	printf("# geo_lookup: %zu IPv4 addresses in %.3f s = %.1f M "
	       "lookups/s (%lu with a country)\n",
	       nl, dl, nl / dl / 1e6, hits);
	uint64_t total = 0;
	for (int i = 0; i < 65536; i++)
		total += t->units[i];
	printf("# units (all prefixes, overlaps counted each time, per round): "
	       "%llu, KP %llu, unknown %llu\n",
	       (unsigned long long)(total / rounds),
	       (unsigned long long)(t->units[KP] / rounds),
	       (unsigned long long)(t->units[0] / rounds));
	CHECK_EQ_INT(t->units[KP] / rounds, 4); /* the four KP /24s */
	free(t);
	free(pfx);
	geo_db_free(db);
}

int
main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/geo_test.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_cc);
	RUN(test_real_load);
	RUN(test_kp);
	RUN(test_straddle);
	RUN(test_ipv6);
	RUN(test_unknown);
	RUN(test_asnames);
	RUN(test_precedence);
	RUN(test_sub_unit);
	RUN(test_csv);
	RUN(test_rir_small);
	RUN(test_asnames_json);
	RUN(test_missing);
	RUN(test_mmdb_written);
	RUN(test_mmdb_corrupt);
	RUN(test_detect);
	RUN(test_ip_location_db);
	RUN(test_perf_ipasn);
	geo_db_free(real);

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return TEST_MAIN_END();
}
