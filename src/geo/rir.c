/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Loader for the RIR statistics exchange format ("delegated-*-extended"
 * files, format in shared/data/geo/delegated-format.txt): one
 * "registry|cc|type|start|value|date|status[|ext...]" record per line,
 * after a version line and one summary line per type.  IPv4 records carry a
 * start address and an address count that need not be a power of two, IPv6
 * records a start and a prefix length, asn records a first AS and a count.
 * Only allocated and assigned records carry a country; the rest (reserved,
 * available) are passed over quietly.  A malformed record is counted as a
 * warning and skipped; the file still loads.
 */
#include <stdlib.h>
#include <string.h>

#include "geo/geo_impl.h"

#define RIR_MAXF 8



static int
feq(const struct geo_field *f, const char *s)
{
	size_t n = strlen(s);
	return f->len == n && memcmp(f->s, s, n) == 0;
}

static int
is_version(const struct geo_field *f)
{
	if (!f->len)
		return 0;
	for (size_t i = 0; i < f->len; i++)
		if ((f->s[i] < '0' || f->s[i] > '9') && f->s[i] != '.')
			return 0;
	return 1;
}

/* One record line.  Returns 0 when it was used, 2 when it was quietly
 * passed over, 1 when it is malformed (a warning was recorded), -1 when
 * out of memory.  AT_TOP is set for the first line that is not a comment. */
static int
rir_line(struct geo_db *db, const char *path, unsigned long lineno,
         const char *line, size_t len, int at_top)
{
	struct geo_field f[RIR_MAXF];
	int nf = geo_split(line, len, '|', f, RIR_MAXF, 0);
	uint64_t v;

	/* version line: "2|apnic|20160131|73407||20160130|+1000" */
	if (at_top && nf >= 7 && is_version(&f[0]))
		return 2;
	/* summary line: "apnic|*|ipv4|*|33141|summary" */
	if (nf >= 6 && feq(&f[5], "summary"))
		return 2;
	if (nf < 7) {
		geo_warn(db, path, lineno, "%d fields, expected at least 7",
		         nf);
		return 1;
	}
	if (!feq(&f[6], "allocated") && !feq(&f[6], "assigned"))
		return 2;

	geo_cc cc = geo_cc_from_mem(f[1].s, f[1].len);
	if (!cc && feq(&f[1], "ZZ"))
		return 2; /* "unknown" spelt out: nothing to record */
	if (!cc) {
		geo_warn(db, path, lineno, "bad country code \"%.*s\"",
		         (int)(f[1].len > 8 ? 8 : f[1].len), f[1].s);
		return 1;
	}

	if (feq(&f[2], "ipv4")) {
		uint32_t a;
		if (geo_parse_ip4(f[3].s, f[3].len, &a) < 0) {
			geo_warn(db, path, lineno, "bad IPv4 start address");
			return 1;
		}
		if (geo_parse_u64(f[4].s, f[4].len, &v) < 0 || v == 0 ||
		    v - 1 > 0xffffffffu - a) {
			geo_warn(db, path, lineno,
			         "bad IPv4 address count \"%.*s\"",
			         (int)(f[4].len > 20 ? 20 : f[4].len), f[4].s);
			return 1;
		}
		return geo_add_range(db, GEO_SPACE_IP4, a, a + (v - 1), cc);
	}
	if (feq(&f[2], "ipv6")) {
		uint8_t a[16];
		if (geo_parse_ip6(f[3].s, f[3].len, a) < 0) {
			geo_warn(db, path, lineno, "bad IPv6 start address");
			return 1;
		}
		if (geo_parse_u64(f[4].s, f[4].len, &v) < 0 || v > 128) {
			geo_warn(db, path, lineno, "bad IPv6 prefix length");
			return 1;
		}
		uint8_t m[16];
		memcpy(m, a, 16);
		vg_addr_mask(m, (unsigned)v, 16);
		if (memcmp(m, a, 16) != 0) {
			geo_warn(db, path, lineno,
			         "IPv6 start has bits set beyond /%u",
			         (unsigned)v);
			return 1;
		}
		/* a /64 takes the country of its first address */
		if (geo_ip6_key(a + 8) != 0)
			return 2;
		uint64_t first = geo_ip6_key(a), last = first;
		if (v == 0)
			last = UINT64_MAX;
		else if (v < 64)
			last = first | ((((uint64_t)1) << (64 - v)) - 1);
		return geo_add_range(db, GEO_SPACE_IP6, first, last, cc);
	}
	if (feq(&f[2], "asn")) {
		uint64_t first;
		if (geo_parse_u64(f[3].s, f[3].len, &first) < 0 ||
		    first > 0xffffffffu) {
			geo_warn(db, path, lineno, "bad AS number");
			return 1;
		}
		if (geo_parse_u64(f[4].s, f[4].len, &v) < 0 || v == 0 ||
		    v - 1 > 0xffffffffu - first) {
			geo_warn(db, path, lineno, "bad AS count");
			return 1;
		}
		return geo_add_range(db, GEO_SPACE_ASN, first, first + (v - 1),
		                     cc);
	}
	geo_warn(db, path, lineno, "unknown record type \"%.*s\"",
	         (int)(f[2].len > 8 ? 8 : f[2].len), f[2].s);
	return 1;
}

int
geo_rir_buf(struct geo_db *db, const char *path, const char *buf,
            size_t len, char *err, size_t errlen)
{
	const char *p = buf, *end = buf + len, *line;
	size_t llen;
	unsigned long lineno = 0, used = 0, bad = 0, seen = 0;
	struct geo_mark mark;

	if (db->finished) {
		geo_err(err, errlen, "%s: database already finished", path);
		return -1;
	}
	geo_load_begin(db, &mark);
	while (geo_next_line(&p, end, &line, &llen)) {
		lineno++;
		if (llen == 0 || line[0] == '#')
			continue;
		size_t i = 0;
		while (i < llen && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == llen)
			continue;
		int r = rir_line(db, path, lineno, line, llen, seen++ == 0);
		if (r < 0) {
			geo_mark_rollback(db, &mark);
			geo_err(err, errlen, "%s: out of memory", path);
			return -1;
		}
		used += r == 0;
		bad += r == 1;
	}
	/* A file in which nothing parses is some other format, not an RIR
	 * file with a few bad lines. */
	if (!used && bad) {
		geo_mark_rollback(db, &mark);
		geo_err(err, errlen,
		        "%s: no valid RIR delegation record in %lu lines", path,
		        lineno);
		return -1;
	}
	return 0;
}

int
geo_load_rir(struct geo_db *db, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;

	if (db->finished) {
		geo_err(err, errlen, "%s: database already finished", path);
		return -1;
	}
	if (geo_slurp(path, &buf, &len, err, errlen) < 0)
		return -1;
	int rc = geo_rir_buf(db, path, buf, len, err, errlen);
	free(buf);
	return rc;
}
