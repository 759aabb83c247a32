/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Text input for the geo loaders: reading a whole file (plain or gzip, the
 * way RIRs and route-collector mirrors publish them) into memory, splitting
 * it into lines, and strict parsers for the numbers and addresses on those
 * lines.  Everything works on counted strings so a loader never has to copy
 * or NUL-terminate a field, and never reads past the line it was given.
 * geo_load(), which picks a loader by looking at the content, lives here
 * too since it needs the same file reading.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "vigil/stream.h"

#include "geo/geo_impl.h"

int
geo_slurp(const char *path, char **bufp, size_t *lenp, char *err,
          size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	char why[256];

	/* any compression vg_stream reads (RIPE publishes bzip2) */
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		geo_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fclose(f);
	vg_stream *gz = vg_stream_open(path, NULL, why, sizeof(why));
	if (!gz) {
		geo_err(err, errlen, "%s: %s", path, why);
		return -1;
	}
	for (;;) {
		if (cap - len < (1 << 16) + 1) {
			size_t ncap = cap ? cap * 2 : (1 << 20);
			char *nb = realloc(buf, ncap);
			if (!nb) {
				geo_err(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t r = vg_stream_read(gz, buf + len, 1 << 16);
		if (r < 0) {
			const char *msg = vg_stream_error(gz);
			geo_err(err, errlen, "%s: %s", path, msg ? msg : "read error");
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	vg_stream_close(gz);
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	vg_stream_close(gz);
	free(buf);
	return -1;
}

int
geo_next_line(const char **p, const char *end, const char **line,
              size_t *len)
{
	const char *s = *p, *nl;

	if (s >= end)
		return 0;
	nl = memchr(s, '\n', (size_t)(end - s));
	*line = s;
	if (nl) {
		*len = (size_t)(nl - s);
		*p = nl + 1;
	} else {
		*len = (size_t)(end - s);
		*p = end;
	}
	if (*len && s[*len - 1] == '\r')
		(*len)--;
	return 1;
}

int
geo_parse_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9)
			return -1;
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

int
geo_parse_ip4(const char *s, size_t len, uint32_t *v)
{
	char tmp[16];
	struct in_addr a;

	if (len < 7 || len > 15)
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, &a) != 1)
		return -1;
	*v = ntohl(a.s_addr);
	return 0;
}

int
geo_parse_ip6(const char *s, size_t len, uint8_t out[16])
{
	char tmp[64];

	if (len < 2 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return inet_pton(AF_INET6, tmp, out) == 1 ? 0 : -1;
}

/* The marker that starts an MMDB file's metadata section, near its end. */
static const char mmdb_marker[] = "\xab\xcd\xefMaxMind.com";

static int
is_mmdb(const char *buf, size_t len)
{
	size_t mlen = sizeof(mmdb_marker) - 1;
	/* the metadata section is limited to 128 KiB by the spec */
	size_t from = len > 131072 ? len - 131072 : 0;

	return memmem(buf + from, len - from, mmdb_marker, mlen) != NULL;
}

int
geo_load(struct geo_db *db, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	const char *p, *end, *line;
	size_t llen;
	int rc = -1;

	if (db->finished) {
		geo_err(err, errlen, "%s: database already finished", path);
		return -1;
	}
	if (geo_slurp(path, &buf, &len, err, errlen) < 0)
		return -1;
	if (is_mmdb(buf, len)) {
		free(buf);
		return geo_load_mmdb(db, path, err, errlen);
	}
	p = buf;
	end = buf + len;
	while (geo_next_line(&p, end, &line, &llen)) {
		size_t i = 0;
		while (i < llen && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == llen || line[i] == '#' || line[i] == ';')
			continue;
		if (line[i] == '{') {
			rc = geo_asnames_buf(db, path, buf, len, err, errlen);
		} else if (memchr(line, '|', llen)) {
			rc = geo_rir_buf(db, path, buf, len, err, errlen);
		} else if (memchr(line, ',', llen)) {
			rc = geo_csv_buf(db, path, buf, len, err, errlen);
		} else {
			geo_err(err, errlen,
			        "%s: not an RIR delegation file, CSV ranges, "
			        "AS-names JSON or MaxMind DB",
			        path);
		}
		free(buf);
		return rc;
	}
	geo_err(err, errlen, "%s: empty file", path);
	free(buf);
	return -1;
}

int
geo_split(const char *line, size_t len, char sep, struct geo_field *f,
          int maxf, int unquote)
{
	int n = 0;
	size_t i = 0;

	while (n < maxf) {
		size_t j = i;
		while (j < len && line[j] != sep)
			j++;
		size_t a = i, b = j;
		while (a < b && (line[a] == ' ' || line[a] == '\t'))
			a++;
		while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
			b--;
		if (unquote && b - a >= 2 && line[a] == '"' && line[b - 1] == '"') {
			a++;
			b--;
		}
		f[n].s = line + a;
		f[n].len = b - a;
		n++;
		if (j >= len)
			break;
		i = j + 1;
	}
	return n;
}
