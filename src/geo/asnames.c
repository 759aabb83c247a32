/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Loader for AS names: one flat JSON object mapping AS numbers to
 * "NAME, CC" strings, as in pyasn's asnames.json (built from the CIDR
 * report).  The trailing ", CC" becomes the AS's country; the rest is its
 * name.  Only that shape of JSON is read: keys and values must be strings
 * (a null value is skipped); string escapes, \uXXXX and surrogate pairs
 * included, are decoded to UTF-8.  An entry whose key is not an AS number
 * is counted as a warning and skipped; broken JSON syntax fails the file,
 * since there is no line to resynchronise on.
 */
#include <stdlib.h>
#include <string.h>

#include "geo/geo_impl.h"

struct jp {
	const char *p, *start, *end;
	char *out; /* decoded string */
	size_t out_len, out_cap;
};

static void
skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	                         *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static unsigned long
line_of(const struct jp *j)
{
	unsigned long n = 1;
	for (const char *q = j->start; q < j->p; q++)
		n += *q == '\n';
	return n;
}

static int
out_put(struct jp *j, const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (j->out_len + n > j->out_cap) {
		size_t ncap = j->out_cap ? j->out_cap * 2 : 256;
		while (ncap < j->out_len + n)
			ncap *= 2;
		char *nb = realloc(j->out, ncap);
		if (!nb)
			return -1;
		j->out = nb;
		j->out_cap = ncap;
	}
	memcpy(j->out + j->out_len, s, n);
	j->out_len += n;
	return 0;
}

static int
hex4(const char *s, unsigned *v)
{
	unsigned x = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*v = x;
	return 0;
}

static int
put_utf8(struct jp *j, unsigned cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return out_put(j, b, n);
}

/* Decode the JSON string at j->p (which is at the opening quote) into
 * j->out.  Returns 0, -1 on bad syntax, -2 out of memory. */
static int
parse_string(struct jp *j)
{
	j->out_len = 0;
	j->p++;
	for (;;) {
		const char *s = j->p;
		while (j->p < j->end && *j->p != '"' && *j->p != '\\' &&
		       (unsigned char)*j->p >= 0x20)
			j->p++;
		if (out_put(j, s, (size_t)(j->p - s)) < 0)
			return -2;
		if (j->p >= j->end || (unsigned char)*j->p < 0x20)
			return -1;
		if (*j->p == '"') {
			j->p++;
			return 0;
		}
		/* backslash */
		if (j->end - j->p < 2)
			return -1;
		static const char esc[] = "\"\\/bfnrt";
		static const char rep[] = "\"\\/\b\f\n\r\t";
		char c = j->p[1];
		const char *e = c ? strchr(esc, c) : NULL;
		j->p += 2;
		if (e) {
			if (out_put(j, &rep[e - esc], 1) < 0)
				return -2;
			continue;
		}
		if (c != 'u')
			return -1;
		unsigned cp, lo;
		if (j->end - j->p < 4 || hex4(j->p, &cp) < 0)
			return -1;
		j->p += 4;
		if (cp >= 0xd800 && cp < 0xdc00 && j->end - j->p >= 6 &&
		    j->p[0] == '\\' && j->p[1] == 'u' &&
		    hex4(j->p + 2, &lo) == 0 && lo >= 0xdc00 &&
		    lo < 0xe000) {
			cp = 0x10000 + ((cp - 0xd800) << 10) +
			     (lo - 0xdc00);
			j->p += 6;
		} else if (cp >= 0xd800 && cp < 0xe000) {
			cp = 0xfffd; /* lone surrogate */
		}
		if (put_utf8(j, cp) < 0)
			return -2;
	}
}

/* Skip "null"; 0 if it was there. */
static int
skip_null(struct jp *j)
{
	if (j->end - j->p >= 4 && memcmp(j->p, "null", 4) == 0) {
		j->p += 4;
		return 0;
	}
	return -1;
}

/* One entry: key in KEY (KLEN bytes), value in j->out.  0, 1 (bad entry,
 * warned), -1 (out of memory). */
static int
add_entry(struct geo_db *db, const char *path, const struct jp *j,
          const char *key, size_t klen, const char *val, size_t vlen)
{
	uint64_t asn;

	if (klen > 2 && (key[0] == 'A' || key[0] == 'a') &&
	    (key[1] == 'S' || key[1] == 's')) {
		key += 2;
		klen -= 2;
	}
	if (geo_parse_u64(key, klen, &asn) < 0 || asn > 0xffffffffu) {
		/* counting lines is slow: only for the message kept */
		unsigned long line = db->warnings ? 0 : line_of(j);
		geo_warn(db, path, line, "key \"%.*s\" is not an AS number",
		         (int)(klen > 20 ? 20 : klen), key);
		return 1;
	}
	/* "NAME, CC": the country is the last two characters after ", " */
	geo_cc cc = 0;
	size_t nlen = vlen;
	if (vlen >= 4 && val[vlen - 4] == ',' && val[vlen - 3] == ' ') {
		cc = geo_cc_from_mem(val + vlen - 2, 2);
		nlen = vlen - 4;
	}
	if (cc && geo_add_range(db, GEO_SPACE_ASN, asn, asn, cc) < 0)
		return -1;
	if (geo_add_name(db, (uint32_t)asn, val, nlen) < 0)
		return -1;
	return 0;
}

int
geo_asnames_buf(struct geo_db *db, const char *path, const char *buf,
                size_t len, char *err, size_t errlen)
{
	struct jp j = {.p = buf, .start = buf, .end = buf + len};
	struct geo_mark mark;
	char *key = NULL;
	size_t klen = 0;
	const char *what = NULL;
	int rc;

	if (db->finished) {
		geo_err(err, errlen, "%s: database already finished", path);
		return -1;
	}
	geo_load_begin(db, &mark);
	skip_ws(&j);
	if (j.p >= j.end || *j.p != '{') {
		what = "expected a JSON object";
		goto bad;
	}
	j.p++;
	skip_ws(&j);
	if (j.p < j.end && *j.p == '}') {
		j.p++;
		goto done;
	}
	for (;;) {
		skip_ws(&j);
		if (j.p >= j.end || *j.p != '"') {
			what = "expected a string key";
			goto bad;
		}
		rc = parse_string(&j);
		if (rc == -2)
			goto nomem;
		if (rc < 0) {
			what = "bad string";
			goto bad;
		}
		free(key);
		key = malloc(j.out_len + 1);
		if (!key)
			goto nomem;
		if (j.out_len)
			memcpy(key, j.out, j.out_len);
		klen = j.out_len;
		skip_ws(&j);
		if (j.p >= j.end || *j.p != ':') {
			what = "expected ':'";
			goto bad;
		}
		j.p++;
		skip_ws(&j);
		if (j.p < j.end && *j.p == '"') {
			rc = parse_string(&j);
			if (rc == -2)
				goto nomem;
			if (rc < 0) {
				what = "bad string";
				goto bad;
			}
			int r = add_entry(db, path, &j, key, klen, j.out,
			                  j.out_len);
			if (r < 0)
				goto nomem;
		} else if (skip_null(&j) < 0) {
			what = "expected a string value";
			goto bad;
		}
		skip_ws(&j);
		if (j.p < j.end && *j.p == ',') {
			j.p++;
			continue;
		}
		if (j.p < j.end && *j.p == '}') {
			j.p++;
			break;
		}
		what = "expected ',' or '}'";
		goto bad;
	}
done:
	skip_ws(&j);
	if (j.p != j.end) {
		what = "data after the JSON object";
		goto bad;
	}
	free(key);
	free(j.out);
	return 0;
bad:
	geo_mark_rollback(db, &mark);
	geo_err(err, errlen, "%s:%lu: %s (byte %zu)", path, line_of(&j), what,
	        (size_t)(j.p - buf));
	free(key);
	free(j.out);
	return -1;
nomem:
	geo_mark_rollback(db, &mark);
	geo_err(err, errlen, "%s: out of memory", path);
	free(key);
	free(j.out);
	return -1;
}

int
geo_load_asnames(struct geo_db *db, const char *path, char *err,
                 size_t errlen)
{
	char *buf;
	size_t len;

	if (db->finished) {
		geo_err(err, errlen, "%s: database already finished", path);
		return -1;
	}
	if (geo_slurp(path, &buf, &len, err, errlen) < 0)
		return -1;
	int rc = geo_asnames_buf(db, path, buf, len, err, errlen);
	free(buf);
	return rc;
}
