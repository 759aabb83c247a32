/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Requests of the HTTP API: the path routed to an endpoint, every query
 * parameter checked against what that endpoint takes, parsed, and bounded
 * (limits in http_impl.h), each failure a 400 or 404 with one line saying
 * what was wrong.  Pure functions on strings: no database, no sockets, so
 * the unit test and the fuzz harness (fuzz/http_params_fuzz.c) drive them
 * directly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_impl.h"
#include "vigil/filter.h"

static const struct {
	const char *name;
	unsigned takes; /* P_* bits */
} endpoints[EP_N] = {
    [EP_NONE] = {"none", 0},
    [EP_ENTITIES] = {"entities", P_SEARCH | P_KIND | P_LIMIT},
    [EP_SIGNALS] = {"signals", P_FROM | P_UNTIL | P_UPSTREAMS},
    [EP_EVENTS] = {"events", P_ENTITY | P_EXACT | P_KIND | P_LEVEL | P_FROM |
                                 P_UNTIL | P_OPEN | P_LIMIT | P_OFFSET |
                                 P_EVIDENCE},
    [EP_EVENT] = {"event", 0},
    [EP_STATUS] = {"status", P_AT},
    [EP_LIVE] = {"live", 0},
    [EP_OPENAPI] = {"openapi", 0},
    [EP_METRICS] = {"metrics", 0},
    [EP_STATIC] = {"static", 0},
};

static const struct {
	const char *name;
	unsigned bit;
} params[] = {
    {"search", P_SEARCH}, {"kind", P_KIND},         {"limit", P_LIMIT},
    {"offset", P_OFFSET}, {"from", P_FROM},         {"until", P_UNTIL},
    {"at", P_AT},         {"entity", P_ENTITY},     {"level", P_LEVEL},
    {"open", P_OPEN},     {"exact", P_EXACT},       {"evidence", P_EVIDENCE},
    {"upstreams", P_UPSTREAMS},
};

const char *
api_ep_name(enum api_ep ep)
{
	return ep < EP_N ? endpoints[ep].name : "none";
}

/* Text safe to quote in an error message: printable ASCII, cut short. */
static const char *
shown(const char *s, char *buf, size_t n)
{
	size_t j = 0;
	for (size_t i = 0; s[i] && j + 4 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[j++] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\'
		               ? (char)c
		               : '?';
		if (i == 40 && s[i + 1]) {
			memcpy(buf + j, "...", 3);
			j += 3;
			break;
		}
	}
	buf[j] = '\0';
	return buf;
}

static int
bad(char *err, size_t n, const char *fmt, const char *a, const char *b)
{
	snprintf(err, n, fmt, a, b);
	return 400;
}

static int
parse_entity(struct vg_entity *e, const char *s)
{
	/* vg_entity_parse takes "KP", "AS131279", "131279" too; the length
	 * bound keeps strtoul-style parsers from seeing huge digit runs */
	if (strlen(s) >= VG_ENTITY_STRLEN || vg_entity_parse(e, s) < 0)
		return -1;
	return 0;
}

int
api_route(struct api_req *r, const char *path, char *err, size_t n)
{
	char b[64];
	const char *rest;

	memset(r, 0, sizeof(*r));
	if (strlen(path) > API_URL_MAX) {
		snprintf(err, n, "the path is longer than %d bytes",
		         API_URL_MAX);
		return 400;
	}
	if (strcmp(path, "/metrics") == 0) {
		r->ep = EP_METRICS;
		return 0;
	}
	if (strncmp(path, "/api/", 5) != 0 && strcmp(path, "/api") != 0) {
		r->ep = EP_STATIC;
		return 0;
	}
	if (strncmp(path, "/api/v1/", 8) != 0)
		goto unknown;
	rest = path + 8;
	if (strcmp(rest, "entities") == 0)
		r->ep = EP_ENTITIES;
	else if (strcmp(rest, "events") == 0)
		r->ep = EP_EVENTS;
	else if (strcmp(rest, "status") == 0)
		r->ep = EP_STATUS;
	else if (strcmp(rest, "live") == 0)
		r->ep = EP_LIVE;
	else if (strcmp(rest, "openapi.json") == 0)
		r->ep = EP_OPENAPI;
	else if (strncmp(rest, "signals/", 8) == 0) {
		r->ep = EP_SIGNALS;
		if (parse_entity(&r->ent, rest + 8) < 0)
			return bad(err, n,
			           "'%s' is not an entity (country:CC, asn:N, "
			           "upstream:CC:N)%s",
			           shown(rest + 8, b, sizeof(b)), "");
	} else if (strncmp(rest, "events/", 7) == 0) {
		const char *id = rest + 7;
		size_t len = strspn(id, "0123456789");
		r->ep = EP_EVENT;
		if (len == 0 || id[len] != '\0' || len > 19)
			return bad(err, n,
			           "event id '%s' is not a number (1 to 19 "
			           "digits)%s",
			           shown(id, b, sizeof(b)), "");
		r->event_id = strtoull(id, NULL, 10);
	} else {
		goto unknown;
	}
	return 0;
unknown:
	snprintf(err, n,
	         "no such endpoint: %s (the API is described at "
	         "/api/v1/openapi.json)",
	         shown(path, b, sizeof(b)));
	return 404;
}

/* Decimal digits only, at most MAX; 0 or -1. */
static int
parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	unsigned long long v = 0;
	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int
parse_time(const char *s, uint32_t *out)
{
	long long t;
	if (strlen(s) > 32 || vg_time_parse(s, &t) < 0 || t < 0 ||
	    t > 0xffffffffLL)
		return -1;
	*out = (uint32_t)t;
	return 0;
}

static int
parse_bool(const char *s, uint8_t *out)
{
	if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0) {
		*out = 1;
		return 0;
	}
	if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0) {
		*out = 0;
		return 0;
	}
	return -1;
}

/* Printable UTF-8, no control characters; 0 or -1. */
static int
valid_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int len = p[0] < 0x80                     ? 1
		          : p[0] >= 0xc2 && p[0] <= 0xdf ? 2
		          : p[0] >= 0xe0 && p[0] <= 0xef ? 3
		          : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
		                                          : 0;
		if (len == 0 || (len == 1 && (p[0] < 0x20 || p[0] == 0x7f)))
			return -1;
		for (int i = 1; i < len; i++)
			if ((p[i] & 0xc0) != 0x80)
				return -1;
		p += len;
	}
	return 0;
}

int
api_arg(struct api_req *r, const char *key, const char *val, char *err,
        size_t n)
{
	char b1[64], b2[64];
	unsigned bit = 0;
	const char *v = val ? val : "";

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		if (strcmp(key, params[i].name) == 0)
			bit = params[i].bit;
	if (bit == 0 || !(endpoints[r->ep].takes & bit)) {
		if (endpoints[r->ep].takes == 0)
			return bad(err, n,
			           "unknown parameter '%s': %s takes no "
			           "parameters",
			           shown(key, b1, sizeof(b1)),
			           api_ep_name(r->ep));
		return bad(err, n, "unknown parameter '%s' for %s",
		           shown(key, b1, sizeof(b1)), api_ep_name(r->ep));
	}
	if (r->given & bit)
		return bad(err, n, "parameter '%s' given twice%s", key, "");
	r->given |= bit;
	shown(v, b2, sizeof(b2));

	switch (bit) {
	case P_SEARCH:
		if (strlen(v) > API_SEARCH_MAX || valid_text(v) < 0) {
			snprintf(err, n,
			         "search: at most %d bytes of printable UTF-8",
			         API_SEARCH_MAX);
			return 400;
		}
		memcpy(r->search, v, strlen(v) + 1);
		return 0;
	case P_KIND:
		if (r->ep == EP_ENTITIES) {
			if (strcmp(v, "country") == 0)
				r->ent_kind = VG_ENT_COUNTRY;
			else if (strcmp(v, "asn") == 0)
				r->ent_kind = VG_ENT_ASN;
			else if (strcmp(v, "upstream") == 0)
				r->ent_kind = VG_ENT_UPSTREAM;
			else
				return bad(err, n,
				           "kind '%s': country, asn or "
				           "upstream%s",
				           b2, "");
			return 0;
		}
		if (strcmp(v, "outage") == 0)
			r->ev_kind = VG_EVENT_OUTAGE;
		else if (strcmp(v, "instability") == 0)
			r->ev_kind = VG_EVENT_INSTABILITY;
		else
			return bad(err, n, "kind '%s': outage or instability%s",
			           b2, "");
		return 0;
	case P_LEVEL:
		if (strcmp(v, "warning") == 0)
			r->level = VG_LEVEL_WARNING;
		else if (strcmp(v, "critical") == 0)
			r->level = VG_LEVEL_CRITICAL;
		else
			return bad(err, n, "level '%s': warning or critical%s",
			           b2, "");
		return 0;
	case P_LIMIT: {
		uint32_t max = r->ep == EP_ENTITIES ? API_ENTITIES_LIMIT_MAX
		                                    : API_EVENTS_LIMIT_MAX;
		if (parse_uint(v, max, &r->limit) < 0 || r->limit == 0) {
			snprintf(err, n, "limit '%s': a number from 1 to %u",
			         b2, max);
			return 400;
		}
		return 0;
	}
	case P_OFFSET:
		if (parse_uint(v, API_EVENTS_OFFSET_MAX, &r->offset) < 0) {
			snprintf(err, n, "offset '%s': a number from 0 to %u",
			         b2, API_EVENTS_OFFSET_MAX);
			return 400;
		}
		return 0;
	case P_UPSTREAMS:
		if (parse_uint(v, API_UPSTREAMS_MAX, &r->upstreams) < 0) {
			snprintf(err, n,
			         "upstreams '%s': a number from 0 to %d", b2,
			         API_UPSTREAMS_MAX);
			return 400;
		}
		return 0;
	case P_FROM:
	case P_UNTIL:
	case P_AT:
		if (parse_time(v, bit == P_FROM    ? &r->from
		                  : bit == P_UNTIL ? &r->until
		                                   : &r->at) < 0)
			return bad(err, n,
			           "%s '%s' is not a time (Unix seconds or "
			           "YYYY-MM-DD[THH:MM[:SS]][Z], UTC)",
			           key, b2);
		return 0;
	case P_ENTITY:
		if (parse_entity(&r->ent, v) < 0)
			return bad(err, n,
			           "entity '%s' is not an entity (country:CC, "
			           "asn:N, upstream:CC:N)%s",
			           b2, "");
		return 0;
	case P_OPEN:
	case P_EXACT:
	case P_EVIDENCE:
		if (parse_bool(v, bit == P_OPEN    ? &r->open_only
		                  : bit == P_EXACT ? &r->exact
		                                   : &r->evidence) < 0)
			return bad(err, n, "%s '%s': 1, 0, true or false", key,
			           b2);
		return 0;
	}
	return bad(err, n, "unknown parameter '%s'%s", key, "");
}

int
api_finish(struct api_req *r, char *err, size_t n)
{
	switch (r->ep) {
	case EP_ENTITIES:
		if (!(r->given & P_LIMIT))
			r->limit = API_ENTITIES_LIMIT;
		break;
	case EP_EVENTS:
		if (!(r->given & P_LIMIT))
			r->limit = API_EVENTS_LIMIT;
		if (!(r->given & P_EVIDENCE))
			r->evidence = 1;
		if ((r->given & P_EXACT) && !(r->given & P_ENTITY)) {
			snprintf(err, n, "exact needs entity");
			return 400;
		}
		/* fall through */
	case EP_SIGNALS:
		if ((r->given & P_FROM) && (r->given & P_UNTIL) &&
		    r->until < r->from) {
			snprintf(err, n, "until is before from");
			return 400;
		}
		if (r->ep == EP_SIGNALS) {
			if (!(r->given & P_UPSTREAMS))
				r->upstreams = API_UPSTREAMS;
			if ((r->given & P_FROM) && (r->given & P_UNTIL) &&
			    r->until - r->from > API_RANGE_MAX) {
				snprintf(err, n,
				         "the range from %u until %u is longer "
				         "than %u days",
				         r->from, r->until,
				         API_RANGE_MAX / 86400);
				return 400;
			}
		}
		break;
	default:
		break;
	}
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent- and '+'-decode [S, S+LEN) into OUT (LEN + 1 bytes); -1 if it
 * holds a NUL or a broken escape. */
static int
url_decode(const char *s, size_t len, char *out)
{
	size_t j = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int h, l;
			if (i + 2 >= len)
				return -1;
			h = hexval(s[i + 1]);
			l = hexval(s[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			c = h * 16 + l;
			i += 2;
		}
		if (c == 0)
			return -1;
		out[j++] = (char)c;
	}
	out[j] = '\0';
	return 0;
}

int
api_parse_query(struct api_req *r, const char *qs, char *err, size_t n)
{
	size_t len = strlen(qs);
	char *buf;
	int rc = 0;

	if (len > API_URL_MAX) {
		snprintf(err, n, "the query is longer than %d bytes",
		         API_URL_MAX);
		return 400;
	}
	if ((buf = malloc(2 * len + 2)) == NULL) {
		snprintf(err, n, "out of memory");
		return 400;
	}
	for (const char *p = qs; *p && rc == 0;) {
		size_t plen = strcspn(p, "&");
		const char *eq = memchr(p, '=', plen);
		size_t klen = eq ? (size_t)(eq - p) : plen;
		char *key = buf, *val = buf + klen + 1;
		if (plen == 0) {
			p++;
			continue;
		}
		if (url_decode(p, klen, key) < 0 ||
		    (eq && url_decode(eq + 1, plen - klen - 1, val) < 0)) {
			snprintf(err, n, "a malformed %%-escape or a NUL in "
			                 "the query string");
			rc = 400;
			break;
		}
		rc = api_arg(r, key, eq ? val : NULL, err, n);
		p += plen;
		if (*p == '&')
			p++;
	}
	free(buf);
	return rc;
}

size_t
api_cache_key(const struct api_req *r, char *buf, size_t n)
{
	char ent[VG_ENTITY_STRLEN] = "";
	int k;
	if (r->ep == EP_SIGNALS || (r->given & P_ENTITY))
		vg_entity_fmt(&r->ent, ent);
	/* the search text last: it is the only free-form part */
	k = snprintf(buf, n,
	             "%d|%x|%s|%llu|%u|%u|%u|%u%u%u|%u|%u|%u|%u|%u|%u|%s",
	             (int)r->ep, r->given, ent,
	             (unsigned long long)r->event_id, r->ent_kind, r->ev_kind,
	             r->level, r->open_only, r->exact, r->evidence, r->from,
	             r->until, r->at, r->limit, r->offset, r->upstreams,
	             r->search);
	if (k < 0)
		return 0;
	return (size_t)k < n ? (size_t)k : n - 1;
}

int
http_safe_path(const char *path)
{
	const char *p = path;
	if (*p != '/')
		return 0;
	while (*p) {
		const char *seg = ++p;
		size_t n = strcspn(seg, "/");
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		if (n == 0 && seg[0] == '/')
			return 0; /* "//" */
		for (size_t i = 0; i < n; i++)
			if (seg[i] == '\\' || (unsigned char)seg[i] < 0x20 ||
			    seg[i] == 0x7f)
				return 0;
		p = seg + n;
	}
	return 1;
}
