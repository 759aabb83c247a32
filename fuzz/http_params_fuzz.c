/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the HTTP request parser of `vigil serve`
 * (src/http/params.c): the input's first line is a URL path, the rest a
 * query string.  The path is routed (api_route), the query parsed
 * (api_parse_query, percent-decoding every part into api_arg) and checked
 * (api_finish), as the server does; the path also goes through the
 * dashboard's path check.  Invariants: statuses are 0, 400 or 404 with a
 * reason when not 0; a request that passes holds only values inside the
 * documented limits; the cache key is terminated and the same for the
 * same request; a path accepted for the dashboard has no "." or ".."
 * segment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static int
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2
		        : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4
		        : 0;
		if (n == 0 || (n == 1 && p[0] < 0x20))
			return 0;
		for (int i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += n;
	}
	return 1;
}

static int
has_dot_segment(const char *p)
{
	size_t n = strlen(p);
	return strstr(p, "/../") || strstr(p, "/./") ||
	       (n >= 3 && strcmp(p + n - 3, "/..") == 0) ||
	       (n >= 2 && strcmp(p + n - 2, "/.") == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], key1[512], key2[512];
	struct api_req r, r2;
	char *buf, *nl, *qs;
	int rc;

	if (size > 8192)
		return 0;
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0'; /* an embedded NUL just ends the text early */
	nl = strchr(buf, '\n');
	qs = nl ? nl + 1 : buf + strlen(buf);
	if (nl)
		*nl = '\0';

	if (http_safe_path(buf))
		check(buf[0] == '/' && !has_dot_segment(buf) &&
		      strstr(buf, "//") == NULL && strchr(buf, '\\') == NULL);

	err[0] = '\0';
	rc = api_route(&r, buf, err, sizeof(err));
	check(rc == 0 || rc == 400 || rc == 404);
	check(rc == 0 || err[0] != '\0');
	if (rc == 0) {
		err[0] = '\0';
		rc = api_parse_query(&r, qs, err, sizeof(err));
		check(rc == 0 || rc == 400);
		check(rc == 0 || (err[0] != '\0' && strlen(err) < sizeof(err)));
	}
	if (rc == 0) {
		rc = api_finish(&r, err, sizeof(err));
		check(rc == 0 || rc == 400);
	}
	if (rc == 0) {
		check(r.ep > EP_NONE && r.ep < EP_N);
		check(strlen(r.search) <= API_SEARCH_MAX && utf8_ok(r.search));
		check(r.limit <= API_ENTITIES_LIMIT_MAX);
		if (r.ep == EP_EVENTS)
			check(r.limit >= 1 && r.limit <= API_EVENTS_LIMIT_MAX);
		if (r.ep == EP_ENTITIES)
			check(r.limit >= 1);
		check(r.offset <= API_EVENTS_OFFSET_MAX);
		check(r.upstreams <= API_UPSTREAMS_MAX);
		check(r.ent_kind <= VG_ENT_UPSTREAM && r.ev_kind <= 2 &&
		      r.level <= 2);
		check(r.open_only <= 1 && r.exact <= 1 && r.evidence <= 1);
		if ((r.given & P_FROM) && (r.given & P_UNTIL))
			check(r.from <= r.until);
		if (r.ep == EP_SIGNALS && (r.given & P_FROM) &&
		    (r.given & P_UNTIL))
			check(r.until - r.from <= API_RANGE_MAX);
		if (r.ep == EP_SIGNALS || (r.given & P_ENTITY))
			check(r.ent.kind >= VG_ENT_COUNTRY &&
			      r.ent.kind <= VG_ENT_UPSTREAM);
		size_t k = api_cache_key(&r, key1, sizeof(key1));
		check(k < sizeof(key1) && key1[k] == '\0');
		/* parsing again gives the same request */
		check(api_route(&r2, buf, err, sizeof(err)) == 0);
		check(api_parse_query(&r2, qs, err, sizeof(err)) == 0);
		check(api_finish(&r2, err, sizeof(err)) == 0);
		api_cache_key(&r2, key2, sizeof(key2));
		check(strcmp(key1, key2) == 0);
	}
	free(buf);
	return 0;
}
