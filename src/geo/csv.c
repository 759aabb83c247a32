/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Loader for "first,last,CC" range lists, the CSV layout of the
 * @ip-location-db country packages (geo-whois-asn-country-ipv4.csv and
 * -ipv6.csv) and of many other free geolocation exports.  Addresses may be
 * IPv4 or IPv6 text, or decimal integers as in the "-num" variants; ranges
 * need not be CIDR-aligned, and a later line overrides an earlier one it
 * overlaps.  IPv6 ranges are kept to the /64: a /64 goes to the range that
 * holds its first address.  A malformed line is counted as a warning and
 * skipped; "ZZ" or an empty country means unknown and is skipped quietly.
 */
#include <stdlib.h>
#include <string.h>

#include "geo/geo_impl.h"

#define CSV_MAXF 3



enum { CSV_BAD = 0, CSV_V4 = 4, CSV_V6 = 6 };

/* Parse one address field into a key: the IPv4 address, or the top 64 bits
 * of the IPv6 address, with *LOW set if any of the lower 64 bits is.
 * Returns CSV_V4, CSV_V6 or CSV_BAD. */
static int
parse_addr(const struct geo_field *f, uint64_t *key, int *low)
{
	*low = 0;
	if (memchr(f->s, ':', f->len)) {
		uint8_t a[16];
		if (geo_parse_ip6(f->s, f->len, a) < 0)
			return CSV_BAD;
		*key = geo_ip6_key(a);
		*low = geo_ip6_key(a + 8) != 0;
		return CSV_V6;
	}
	if (memchr(f->s, '.', f->len)) {
		uint32_t a;
		if (geo_parse_ip4(f->s, f->len, &a) < 0)
			return CSV_BAD;
		*key = a;
		return CSV_V4;
	}
	/* decimal integer up to 2^128 - 1, as hi:lo */
	if (f->len == 0 || f->len > 39)
		return CSV_BAD;
	uint64_t hi = 0, lo = 0;
	for (size_t i = 0; i < f->len; i++) {
		unsigned d = (unsigned char)f->s[i] - '0';
		if (d > 9)
			return CSV_BAD;
		/* (hi:lo) * 10 + d, splitting lo into 32-bit halves */
		uint64_t l0 = (lo & 0xffffffffu) * 10 + d;
		uint64_t l1 = (lo >> 32) * 10 + (l0 >> 32);
		uint64_t nhi = hi * 10 + (l1 >> 32);
		if (hi > UINT64_MAX / 10 || nhi < hi * 10)
			return CSV_BAD;
		hi = nhi;
		lo = (l1 << 32) | (l0 & 0xffffffffu);
	}
	if (hi == 0 && lo <= 0xffffffffu) {
		*key = lo;
		return CSV_V4;
	}
	*key = hi;
	*low = lo != 0;
	return CSV_V6;
}

int
geo_csv_buf(struct geo_db *db, const char *path, const char *buf,
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
		struct geo_field f[CSV_MAXF];
		uint64_t first, last;
		int nf, fam1, fam2, low1, low2;

		lineno++;
		size_t i = 0;
		while (i < llen && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == llen || line[i] == '#')
			continue;
		nf = geo_split(line, llen, ',', f, CSV_MAXF, 1);
		fam1 = parse_addr(&f[0], &first, &low1);
		if (seen++ == 0 && fam1 == CSV_BAD)
			continue; /* a header line */
		if (nf < 3) {
			geo_warn(db, path, lineno,
			         "%d fields, expected first,last,country", nf);
			bad++;
			continue;
		}
		fam2 = parse_addr(&f[1], &last, &low2);
		if (fam1 == CSV_BAD || fam2 == CSV_BAD) {
			geo_warn(db, path, lineno, "bad address");
			bad++;
			continue;
		}
		/* "-num" files: a small IPv6 end can only be IPv4 */
		if (fam1 != fam2 && fam1 == CSV_V4 && f[0].len &&
		    !memchr(f[0].s, '.', f[0].len)) {
			fam1 = CSV_V6;
			low1 = first != 0;
			first = 0;
		}
		if (fam1 != fam2 || first > last) {
			geo_warn(db, path, lineno,
			         fam1 != fam2 ? "mixed address families"
			                      : "first address after last");
			bad++;
			continue;
		}
		/* A /64 takes the country of its first address: a range that
		 * starts inside a /64 leaves that /64 to the range before. */
		if (fam1 == CSV_V6 && low1) {
			if (first == last)
				continue; /* inside one /64: invisible */
			first++;
		}
		geo_cc cc = geo_cc_from_mem(f[2].s, f[2].len);
		if (!cc) {
			if (f[2].len == 0 ||
			    (f[2].len == 2 && memcmp(f[2].s, "ZZ", 2) == 0))
				continue; /* unknown, spelt out */
			geo_warn(db, path, lineno, "bad country code \"%.*s\"",
			         (int)(f[2].len > 8 ? 8 : f[2].len), f[2].s);
			bad++;
			continue;
		}
		enum geo_space sp = fam1 == CSV_V4 ? GEO_SPACE_IP4
		                                   : GEO_SPACE_IP6;
		if (geo_add_range(db, sp, first, last, cc) < 0) {
			geo_mark_rollback(db, &mark);
			geo_err(err, errlen, "%s: out of memory", path);
			return -1;
		}
		used++;
	}
	if (!used && bad) {
		geo_mark_rollback(db, &mark);
		geo_err(err, errlen, "%s: no valid first,last,country line in "
		        "%lu lines", path, lineno);
		return -1;
	}
	return 0;
}

int
geo_load_csv(struct geo_db *db, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;

	if (db->finished) {
		geo_err(err, errlen, "%s: database already finished", path);
		return -1;
	}
	if (geo_slurp(path, &buf, &len, err, errlen) < 0)
		return -1;
	int rc = geo_csv_buf(db, path, buf, len, err, errlen);
	free(buf);
	return rc;
}
