/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * HTTP server pieces without sockets: routing of every endpoint, each
 * query parameter at and past its bounds, checks across parameters, query
 * strings with escapes, cache keys, dashboard paths, JSON strings, the
 * embedded OpenAPI document against openapi.json, and the dense signal
 * series of the API on a small database (rows, held bins, nulls past the
 * hold, events in range) and its 404s.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/http_impl.h"
#include "test.h"
#include "vigil/store.h"

static char err[512];

static int
route(struct api_req *r, const char *path)
{
	return api_route(r, path, err, sizeof(err));
}

/* Route PATH, parse QS, finish: the first non-zero status, or 0. */
static int
req(struct api_req *r, const char *path, const char *qs)
{
	int rc = route(r, path);
	if (rc == 0)
		rc = api_parse_query(r, qs, err, sizeof(err));
	if (rc == 0)
		rc = api_finish(r, err, sizeof(err));
	return rc;
}

static void
test_routes(void)
{
	struct api_req r;
	CHECK_EQ_INT(route(&r, "/api/v1/entities"), 0);
	CHECK_EQ_INT(r.ep, EP_ENTITIES);
	CHECK_EQ_INT(route(&r, "/api/v1/events"), 0);
	CHECK_EQ_INT(r.ep, EP_EVENTS);
	CHECK_EQ_INT(route(&r, "/api/v1/events/42"), 0);
	CHECK_EQ_INT(r.ep, EP_EVENT);
	CHECK_EQ_INT(r.event_id, 42);
	CHECK_EQ_INT(route(&r, "/api/v1/status"), 0);
	CHECK_EQ_INT(r.ep, EP_STATUS);
	CHECK_EQ_INT(route(&r, "/api/v1/live"), 0);
	CHECK_EQ_INT(r.ep, EP_LIVE);
	CHECK_EQ_INT(route(&r, "/api/v1/openapi.json"), 0);
	CHECK_EQ_INT(r.ep, EP_OPENAPI);
	CHECK_EQ_INT(route(&r, "/metrics"), 0);
	CHECK_EQ_INT(r.ep, EP_METRICS);
	CHECK_EQ_INT(route(&r, "/"), 0);
	CHECK_EQ_INT(r.ep, EP_STATIC);
	CHECK_EQ_INT(route(&r, "/js/app.js"), 0);
	CHECK_EQ_INT(r.ep, EP_STATIC);
	CHECK_EQ_INT(route(&r, "/api/v1/signals/country:KP"), 0);
	CHECK_EQ_INT(r.ep, EP_SIGNALS);
	CHECK_EQ_INT(r.ent.kind, VG_ENT_COUNTRY);
	CHECK_EQ_STR(r.ent.cc, "KP");
	CHECK_EQ_INT(route(&r, "/api/v1/signals/upstream:KP:4837"), 0);
	CHECK_EQ_INT(r.ent.kind, VG_ENT_UPSTREAM);
	CHECK_EQ_INT(r.ent.asn, 4837);
	CHECK_EQ_INT(route(&r, "/api/v1/signals/AS131279"), 0);
	CHECK_EQ_INT(r.ent.kind, VG_ENT_ASN);
	CHECK_EQ_INT(r.ent.asn, 131279);
}

static void
test_route_errors(void)
{
	struct api_req r;
	char longp[API_URL_MAX + 16];
	CHECK_EQ_INT(route(&r, "/api/v1/nothing"), 404);
	CHECK(strstr(err, "no such endpoint") != NULL);
	CHECK_EQ_INT(route(&r, "/api/v2/status"), 404);
	CHECK_EQ_INT(route(&r, "/api"), 404);
	CHECK_EQ_INT(route(&r, "/api/v1/events/"), 400);
	CHECK_EQ_INT(route(&r, "/api/v1/events/12x"), 400);
	CHECK(strstr(err, "not a number") != NULL);
	CHECK_EQ_INT(route(&r, "/api/v1/events/12345678901234567890"), 400);
	CHECK_EQ_INT(route(&r, "/api/v1/signals/"), 400);
	CHECK_EQ_INT(route(&r, "/api/v1/signals/country:KPX"), 400);
	CHECK(strstr(err, "not an entity") != NULL);
	CHECK_EQ_INT(route(&r, "/api/v1/signals/asn:99999999999"), 400);
	CHECK_EQ_INT(route(&r, "/api/v1/signals/country:\x01\x02"), 400);
	/* the reason quotes the input made printable */
	CHECK(strchr(err, '\x01') == NULL);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	CHECK_EQ_INT(route(&r, longp), 400);
}

static void
test_params_entities(void)
{
	struct api_req r;
	char s65[66];
	CHECK_EQ_INT(req(&r, "/api/v1/entities", ""), 0);
	CHECK_EQ_INT(r.limit, API_ENTITIES_LIMIT);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "search=korea&kind=country&limit=1000"), 0);
	CHECK_EQ_STR(r.search, "korea");
	CHECK_EQ_INT(r.ent_kind, VG_ENT_COUNTRY);
	CHECK_EQ_INT(r.limit, 1000);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "limit=1001"), 400);
	CHECK(strstr(err, "1 to 1000") != NULL);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "limit=0"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "limit=-1"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "limit=1e3"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "limit="), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "kind=planet"), 400);
	CHECK(strstr(err, "country, asn or upstream") != NULL);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "kind=outage"), 400);
	memset(s65, 'x', 65);
	s65[65] = '\0';
	char qs[128];
	snprintf(qs, sizeof(qs), "search=%.64s", s65);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", qs), 0);
	snprintf(qs, sizeof(qs), "search=%s", s65);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", qs), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "search=%C3%A9"), 0);
	CHECK_EQ_STR(r.search, "\xc3\xa9");
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "search=%C3"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "search=a%0Ab"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "search=a&search=b"), 400);
	CHECK(strstr(err, "twice") != NULL);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "from=1"), 400);
	CHECK(strstr(err, "unknown parameter 'from' for entities") != NULL);
}

static void
test_params_events(void)
{
	struct api_req r;
	CHECK_EQ_INT(req(&r, "/api/v1/events", ""), 0);
	CHECK_EQ_INT(r.limit, API_EVENTS_LIMIT);
	CHECK_EQ_INT(r.evidence, 1);
	CHECK_EQ_INT(req(&r, "/api/v1/events",
	                 "entity=country%3AKP&exact=1&kind=outage&level=critical"
	                 "&from=2014-12-22&until=2014-12-23T12:30Z&open=true"
	                 "&limit=500&offset=1000000&evidence=0"),
	             0);
	CHECK_EQ_INT(r.ent.kind, VG_ENT_COUNTRY);
	CHECK_EQ_INT(r.exact, 1);
	CHECK_EQ_INT(r.ev_kind, VG_EVENT_OUTAGE);
	CHECK_EQ_INT(r.level, VG_LEVEL_CRITICAL);
	CHECK_EQ_INT(r.from, 1419206400);
	CHECK_EQ_INT(r.until, 1419337800);
	CHECK_EQ_INT(r.open_only, 1);
	CHECK_EQ_INT(r.limit, 500);
	CHECK_EQ_INT(r.offset, 1000000);
	CHECK_EQ_INT(r.evidence, 0);
	CHECK_EQ_INT(req(&r, "/api/v1/events", "limit=501"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/events", "offset=1000001"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/events", "offset=99999999999999999999"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/events", "kind=flap"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/events", "level=major"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/events", "open=yes"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/events", "exact=1"), 400);
	CHECK(strstr(err, "exact needs entity") != NULL);
	CHECK_EQ_INT(req(&r, "/api/v1/events", "entity=mars"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/events", "from=100&until=99"), 400);
	CHECK(strstr(err, "until is before from") != NULL);
	CHECK_EQ_INT(req(&r, "/api/v1/events", "from=-5"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/events", "from=4294967296"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/events", "from=4294967295"), 0);
	CHECK_EQ_INT(req(&r, "/api/v1/events", "from=2014-13-45"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/events", "upstreams=2"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/events/7", "limit=1"), 400);
	CHECK(strstr(err, "takes no parameters") != NULL);
}

static void
test_params_signals_status(void)
{
	struct api_req r;
	CHECK_EQ_INT(req(&r, "/api/v1/signals/KP", ""), 0);
	CHECK_EQ_INT(r.upstreams, API_UPSTREAMS);
	CHECK_EQ_INT(req(&r, "/api/v1/signals/KP", "upstreams=0"), 0);
	CHECK_EQ_INT(r.upstreams, 0);
	CHECK_EQ_INT(req(&r, "/api/v1/signals/KP", "upstreams=50"), 0);
	CHECK_EQ_INT(req(&r, "/api/v1/signals/KP", "upstreams=51"), 400);
	/* 31 days is the longest range */
	CHECK_EQ_INT(req(&r, "/api/v1/signals/KP", "from=0&until=2678400"), 0);
	CHECK_EQ_INT(req(&r, "/api/v1/signals/KP", "from=0&until=2678401"), 400);
	CHECK(strstr(err, "longer than 31 days") != NULL);
	CHECK_EQ_INT(req(&r, "/api/v1/signals/KP", "from=10&until=9"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/signals/KP", "at=10"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/status", "at=2014-12-22T16:15Z"), 0);
	CHECK_EQ_INT(r.at, 1419264900);
	CHECK_EQ_INT(req(&r, "/api/v1/status", "at=1419264900"), 0);
	CHECK_EQ_INT(r.at, 1419264900);
	CHECK_EQ_INT(req(&r, "/api/v1/status", "at=now"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/status", "at"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/status", "limit=3"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/live", "x=1"), 400);
}

static void
test_query_strings(void)
{
	struct api_req r;
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "search=north+korea&&limit=5&"), 0);
	CHECK_EQ_STR(r.search, "north korea");
	CHECK_EQ_INT(r.limit, 5);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "search=%4e%6F"), 0);
	CHECK_EQ_STR(r.search, "No");
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "search=%"), 400);
	CHECK(strstr(err, "escape") != NULL);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "search=%4"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "search=%zz"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "search=%00"), 400);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "%6cimit=7"), 0);
	CHECK_EQ_INT(r.limit, 7);
	CHECK_EQ_INT(req(&r, "/api/v1/entities", "=5"), 400);
}

static void
test_cache_keys(void)
{
	struct api_req a, b;
	char ka[512], kb[512];
	CHECK_EQ_INT(req(&a, "/api/v1/events", "kind=outage&limit=5"), 0);
	CHECK_EQ_INT(req(&b, "/api/v1/events", "limit=5&kind=outage"), 0);
	api_cache_key(&a, ka, sizeof(ka));
	api_cache_key(&b, kb, sizeof(kb));
	CHECK_EQ_STR(ka, kb);
	CHECK_EQ_INT(req(&b, "/api/v1/events", "limit=5&kind=instability"), 0);
	api_cache_key(&b, kb, sizeof(kb));
	CHECK(strcmp(ka, kb) != 0);
	/* the same time written two ways is the same request */
	CHECK_EQ_INT(req(&a, "/api/v1/status", "at=2014-12-22T16:15Z"), 0);
	CHECK_EQ_INT(req(&b, "/api/v1/status", "at=1419264900"), 0);
	api_cache_key(&a, ka, sizeof(ka));
	api_cache_key(&b, kb, sizeof(kb));
	CHECK_EQ_STR(ka, kb);
	CHECK_EQ_INT(req(&a, "/api/v1/signals/KP", ""), 0);
	CHECK_EQ_INT(req(&b, "/api/v1/signals/KR", ""), 0);
	api_cache_key(&a, ka, sizeof(ka));
	api_cache_key(&b, kb, sizeof(kb));
	CHECK(strcmp(ka, kb) != 0);
	/* a defaulted parameter differs from the same value given */
	CHECK_EQ_INT(req(&a, "/api/v1/status", ""), 0);
	CHECK_EQ_INT(req(&b, "/api/v1/status", "at=0"), 0);
	api_cache_key(&a, ka, sizeof(ka));
	api_cache_key(&b, kb, sizeof(kb));
	CHECK(strcmp(ka, kb) != 0);
}

static void
test_safe_paths(void)
{
	CHECK(http_safe_path("/"));
	CHECK(http_safe_path("/index.html"));
	CHECK(http_safe_path("/js/app.js"));
	CHECK(http_safe_path("/a/b/"));
	CHECK(http_safe_path("/.well-known/x"));
	CHECK(http_safe_path("/a..b"));
	CHECK(!http_safe_path("/../etc/passwd"));
	CHECK(!http_safe_path("/a/../../etc/passwd"));
	CHECK(!http_safe_path("/a/.."));
	CHECK(!http_safe_path("/./index.html"));
	CHECK(!http_safe_path("/a//b"));
	CHECK(!http_safe_path("//etc/passwd"));
	CHECK(!http_safe_path("/..\\..\\x"));
	CHECK(!http_safe_path("/a\nb"));
	CHECK(!http_safe_path("relative"));
	CHECK(!http_safe_path(""));
}

static void
test_json_strings(void)
{
	struct vg_obuf o;
	vg_obuf_init(&o, -1, 4);
	json_str(&o, "a\"b\\c\n\x01 \xc3\xa9 \xff x");
	vg_obuf_putc(&o, '\0');
	CHECK_EQ_STR(o.buf, "\"a\\\"b\\\\c\\u000a\\u0001 \xc3\xa9 \\ufffd x\"");
	o.len = 0;
	json_num(&o, 3);
	vg_obuf_putc(&o, ' ');
	json_num(&o, 0.25);
	vg_obuf_putc(&o, ' ');
	json_num(&o, 0.0 / 0.0);
	vg_obuf_putc(&o, ' ');
	json_num(&o, -2);
	vg_obuf_putc(&o, '\0');
	CHECK_EQ_STR(o.buf, "3 0.25 null -2");
	json_error(&o, "bad \"x\"");
	vg_obuf_putc(&o, '\0');
	CHECK_EQ_STR(o.buf, "{\"error\":\"bad \\\"x\\\"\"}\n");
	vg_obuf_destroy(&o);
}

static void
test_openapi_matches_json(void)
{
	FILE *f = fopen("src/http/openapi.json", "r");
	static char buf[1 << 20];
	size_t n;
	CHECK(f != NULL);
	if (f == NULL)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (strcmp(buf, http_openapi_json) != 0)
		fprintf(stderr, "  src/http/openapi.c is stale: run "
		                "src/http/openapi_gen.sh\n");
	CHECK(strcmp(buf, http_openapi_json) == 0);
	CHECK(strstr(http_openapi_json, "\"openapi\": \"3.") != NULL);
}

/* ---- the API on a small database ---- */

static char dir[64], dbpath[128];

static void
print_event(FILE *f, const struct vg_event *ev, const char *name)
{
	fprintf(f, "{\"id\":%llu,\"name\":\"%s\"}\n",
	        (unsigned long long)ev->id, name ? name : "");
}

#define T0 1419206400u
#define BIN 300u

static struct vg_store *
small_db(void)
{
	char e[256];
	struct vg_store *s;
	struct vg_entity kp, up;
	struct vg_signal g[3];
	struct vg_event ev;

	snprintf(dir, sizeof(dir), "/tmp/vigil-http-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(dbpath, sizeof(dbpath), "%s/t.db", dir);
	s = store_open(dbpath, STORE_CREATE, e, sizeof(e));
	if (s == NULL)
		abort();
	vg_entity_parse(&kp, "country:KP");
	vg_entity_parse(&up, "upstream:KP:4837");
	store_set_meta(s, "bin_len", "300");
	store_put_entity(s, &kp, "North Korea");
	store_put_entity(s, &up, "CHINA169");
	/* enough rows for a scan to take more than the progress handler's
	 * 1000 steps (the deadline test) */
	store_begin(s);
	for (uint32_t a = 100; a < 3100; a++) {
		struct vg_entity x = {.kind = VG_ENT_ASN, .asn = a};
		store_put_entity(s, &x, "SOME-NETWORK");
	}
	store_commit(s);
	/* rows at bins 0, 2 and 20 (20 is past the one-hour hold of 2);
	 * another entity has a row in every bin, so every bin exists */
	for (unsigned b = 0; b < 24; b++) {
		struct vg_signal x;
		memset(&x, 0, sizeof(x));
		vg_entity_parse(&x.ent, "asn:1");
		x.bin_start = T0 + b * BIN;
		x.bin_len = BIN;
		x.baseline = 0.0 / 0.0;
		x.inst_score = 0.0 / 0.0;
		store_put_signals(s, &x, 1);
	}
	memset(g, 0, sizeof(g));
	for (int i = 0; i < 3; i++) {
		g[i].ent = kp;
		g[i].bin_len = BIN;
		g[i].inst_score = 0.0 / 0.0;
	}
	g[0].bin_start = T0;
	g[0].v4_units = 4;
	g[0].baseline = 0.0 / 0.0;
	g[0].announcements = 7;
	g[1].bin_start = T0 + 2 * BIN;
	g[1].v4_units = 3;
	g[1].baseline = 4;
	g[1].withdrawals = 1;
	g[1].inst_score = 2.5;
	g[2].bin_start = T0 + 20 * BIN;
	g[2].v4_units = 4;
	g[2].baseline = 4;
	for (int i = 0; i < 3; i++)
		store_put_signals(s, &g[i], 1);
	memset(&ev, 0, sizeof(ev));
	ev.id = 77;
	ev.ent = kp;
	ev.kind = VG_EVENT_OUTAGE;
	ev.level = VG_LEVEL_WARNING;
	ev.start = T0 + 2 * BIN;
	ev.end = T0 + 4 * BIN;
	ev.depth = ev.severity = ev.baseline = ev.bottom = 0.0 / 0.0;
	store_put_event(s, &ev);
	store_close(s);
	return store_open(dbpath, STORE_RDONLY, e, sizeof(e));
}

static int
call(struct vg_store *s, const char *path, const char *qs, struct vg_obuf *o)
{
	struct api_ctx c = {s, print_event};
	struct api_req r;
	int rc = req(&r, path, qs);
	o->len = 0;
	if (rc)
		return rc;
	rc = api_handle(&c, &r, o, err, sizeof(err));
	vg_obuf_putc(o, '\0');
	if (getenv("HTTP_TEST_SHOW"))
		fprintf(stderr, "%s?%s -> %d %s\n", path, qs, rc, o->buf);
	return rc;
}

static void
test_api_signals_dense(void)
{
	struct vg_store *s = small_db();
	struct vg_obuf o;
	vg_obuf_init(&o, -1, 64);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ_INT(call(s, "/api/v1/signals/country:KP", "from=1419206400&until=1419213300", &o), 200);
	/* bins 0..23: row, held, row, held x 12 (the hour and a bin after
	 * bin 2 ends before bin 15), null to bin 19, row, held */
	CHECK(strstr(o.buf, "\"v4_units\":[4,4,3,3,3,3,3,3,3,3,3,3,3,3,3,"
	                    "null,null,null,null,null,4,4,4,4]") != NULL);
	CHECK(strstr(o.buf, "\"announcements\":[7,0,0,0,0,0,0,0,0,0,0,0,0,"
	                    "0,0,null,null,null,null,null,0,0,0,0]") != NULL);
	CHECK(strstr(o.buf, "\"withdrawals\":[0,0,1,0,") != NULL);
	CHECK(strstr(o.buf, "\"baseline\":[null,null,4,4,") != NULL);
	CHECK(strstr(o.buf, "\"inst_score\":[null,null,2.5,null,") != NULL);
	CHECK(strstr(o.buf, "\"t\":[1419206400,1419206700,") != NULL);
	CHECK(strstr(o.buf, "\"from\":1419206400,\"until\":1419213300") != NULL);
	CHECK(strstr(o.buf, "\"events\":[{\"id\":77,\"name\":\"North Korea\"}]") != NULL);
	CHECK(strstr(o.buf, "\"upstreams\":[{\"entity\":\"upstream:KP:4837\"") != NULL);
	CHECK(strstr(o.buf, "\"upstreams_total\":1") != NULL);
	/* a range after the event: no event; from clamped to the data */
	CHECK_EQ_INT(call(s, "/api/v1/signals/country:KP", "from=1419208000&until=1419213300&upstreams=0", &o), 200);
	CHECK(strstr(o.buf, "\"events\":[]") != NULL);
	CHECK(strstr(o.buf, "\"upstreams\":[]") != NULL);
	CHECK(strstr(o.buf, "\"from\":1419208200") != NULL);
	CHECK_EQ_INT(call(s, "/api/v1/signals/country:ZZ", "", &o), 404);
	CHECK(strstr(o.buf, "country:ZZ is not in the database") != NULL);
	CHECK_EQ_INT(call(s, "/api/v1/events/78", "", &o), 404);
	CHECK_EQ_INT(call(s, "/api/v1/events/77", "", &o), 200);
	CHECK(strstr(o.buf, "\"prefixes\":[],\"origins\":[],\"upstreams\":[]") != NULL);
	CHECK_EQ_INT(call(s, "/api/v1/events", "entity=country:ZZ", &o), 404);
	CHECK_EQ_INT(call(s, "/api/v1/events", "entity=KP&limit=1", &o), 200);
	CHECK(strstr(o.buf, "\"total\":1,\"limit\":1,\"offset\":0") != NULL);
	/* status during the outage: KP first, an outage, its row held */
	CHECK_EQ_INT(call(s, "/api/v1/status", "at=1419207500", &o), 200);
	CHECK(strstr(o.buf, "{\"at\":1419207500,\"bin_len\":300,\"data\":[{"
	                    "\"entity\":\"country:KP\"") != NULL);
	CHECK(strstr(o.buf, "\"status\":\"outage\",\"level\":\"warning\","
	                    "\"v4_units\":3,\"baseline\":4,\"share\":0.75") != NULL);
	/* at the event's end it is over */
	CHECK_EQ_INT(call(s, "/api/v1/status", "at=1419207600", &o), 200);
	CHECK(strstr(o.buf, "\"status\":\"normal\"") != NULL);
	/* a deadline already passed: the query is interrupted, 503 */
	store_set_deadline(s, 1);
	usleep(3000);
	{
		struct api_ctx c = {s, print_event};
		struct api_req r;
		req(&r, "/api/v1/entities", "search=zzz");
		CHECK_EQ_INT(api_handle(&c, &r, &o, err, sizeof(err)), 503);
		CHECK(strstr(err, "longer than 1 ms") != NULL);
	}
	store_set_deadline(s, 0);
	vg_obuf_destroy(&o);
	store_close(s);
	unlink(dbpath);
	rmdir(dir);
}

int
main(void)
{
	RUN(test_routes);
	RUN(test_route_errors);
	RUN(test_params_entities);
	RUN(test_params_events);
	RUN(test_params_signals_status);
	RUN(test_query_strings);
	RUN(test_cache_keys);
	RUN(test_safe_paths);
	RUN(test_json_strings);
	RUN(test_openapi_matches_json);
	RUN(test_api_signals_dense);
	return TEST_MAIN_END();
}
