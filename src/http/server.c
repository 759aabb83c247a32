/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The HTTP server of `vigil serve` on libmicrohttpd (include/vigil/http.h).
 *
 * libmicrohttpd runs a pool of worker threads (epoll, one listening socket
 * we bind ourselves so any address, IPv6 and port 0 work the same way).  A
 * worker thread opens its own read-only store connection on first use and
 * keeps it, so prepared statements are reused across requests; it reopens
 * when the poller (live.c) saw the file replaced.  Each API request gets a
 * database deadline (store_set_deadline; 503 when it passes).  Answers are
 * cached by request (api_cache_key) and database version: the version
 * moves when the poller sees a writer commit, so a cached answer is at
 * most one poll period older than the database.
 *
 * Also here: the request counters and latency histograms of /metrics,
 * followed by the writer's snapshot (meta key "metrics", contract D); the
 * static files of the dashboard with their content types, refusing any
 * path that leaves the web directory.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http/http_impl.h"
#include "http/live.h"
#include "vigil/http.h"

/* ---- metrics ---- */

static const unsigned codes[] = {200, 400, 404, 405, 500, 503, 0};
#define NCODES (sizeof(codes) / sizeof(codes[0]))
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1,    2.5,
                                 5};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct metrics {
	atomic_ullong req[EP_N][NCODES];
	atomic_ullong hist[EP_N][NBUCKETS + 1]; /* per bucket, +Inf last */
	atomic_ullong sum_ns[EP_N];
	atomic_ullong timeouts, cache_hits, cache_misses, db_changes,
	    db_reopens;
};

/* ---- response cache ---- */

struct centry {
	char *key;
	uint64_t hash, gen;
	char *body;
	size_t len;
	struct centry *hnext;      /* bucket chain */
	struct centry *prev, *next; /* LRU: head most recent */
};

#define CACHE_BUCKETS 4096

struct cache {
	pthread_mutex_t mu;
	struct centry *b[CACHE_BUCKETS];
	struct centry *head, *tail;
	size_t bytes, max, n;
};

/* ---- the server ---- */

struct worker {
	uint64_t serial; /* of the server it belongs to */
	struct vg_store *s;
	unsigned epoch;
	struct worker *next;
};

struct http_server {
	struct http_opts o;
	char *db_path, *web_dir; /* web_dir: realpath, or NULL */
	uint64_t serial;
	struct MHD_Daemon *d;
	int lfd;
	unsigned port;
	char url[96];
	struct live *live;
	atomic_uint epoch;    /* database file replaced */
	atomic_ullong gen;    /* database changed (cache key) */
	pthread_mutex_t wmu;  /* workers */
	struct worker *workers;
	struct cache cache;
	struct metrics m;
	time_t started;
};

static atomic_ullong server_serials;
static _Thread_local struct worker *tls_worker;

static uint64_t
mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
hash_str(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void
cache_unlink(struct cache *c, struct centry *e)
{
	struct centry **pp = &c->b[e->hash % CACHE_BUCKETS];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	c->bytes -= e->len + strlen(e->key) + 1 + sizeof(*e);
	c->n--;
	free(e->key);
	free(e->body);
	free(e);
}

/* A malloc'ed copy of the body cached for KEY at GEN into *BODY; 1 hit. */
static int
cache_get(struct cache *c, const char *key, size_t klen, uint64_t gen,
          char **body, size_t *len)
{
	uint64_t h = hash_str(key, klen);
	struct centry *e;
	int hit = 0;

	if (c->max == 0)
		return 0;
	pthread_mutex_lock(&c->mu);
	for (e = c->b[h % CACHE_BUCKETS]; e; e = e->hnext)
		if (e->hash == h && strcmp(e->key, key) == 0)
			break;
	if (e && e->gen != gen) {
		cache_unlink(c, e); /* stale */
		e = NULL;
	}
	if (e && (*body = malloc(e->len ? e->len : 1)) != NULL) {
		memcpy(*body, e->body, e->len);
		*len = e->len;
		hit = 1;
		if (e != c->head) { /* most recently used */
			e->prev->next = e->next;
			if (e->next)
				e->next->prev = e->prev;
			else
				c->tail = e->prev;
			e->prev = NULL;
			e->next = c->head;
			c->head->prev = e;
			c->head = e;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return hit;
}

static void
cache_put(struct cache *c, const char *key, size_t klen, uint64_t gen,
          const char *body, size_t len)
{
	uint64_t h = hash_str(key, klen);
	struct centry *e, *old;
	size_t cost = len + klen + 1 + sizeof(*e);

	if (c->max == 0 || cost > c->max / 8)
		return; /* no cache, or one answer would crowd it out */
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return;
	e->key = malloc(klen + 1);
	e->body = malloc(len ? len : 1);
	if (e->key == NULL || e->body == NULL) {
		free(e->key);
		free(e->body);
		free(e);
		return;
	}
	memcpy(e->key, key, klen + 1);
	memcpy(e->body, body, len);
	e->len = len;
	e->hash = h;
	e->gen = gen;
	pthread_mutex_lock(&c->mu);
	for (old = c->b[h % CACHE_BUCKETS]; old; old = old->hnext)
		if (old->hash == h && strcmp(old->key, key) == 0)
			break;
	if (old)
		cache_unlink(c, old);
	while (c->tail && c->bytes + cost > c->max)
		cache_unlink(c, c->tail);
	e->hnext = c->b[h % CACHE_BUCKETS];
	c->b[h % CACHE_BUCKETS] = e;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
	c->bytes += cost;
	c->n++;
	pthread_mutex_unlock(&c->mu);
}

static void
cache_destroy(struct cache *c)
{
	while (c->tail)
		cache_unlink(c, c->tail);
	pthread_mutex_destroy(&c->mu);
}

/* ---- the database of this thread ---- */

static struct vg_store *
worker_store(struct http_server *srv, char *err, size_t n)
{
	struct worker *w = tls_worker;
	unsigned epoch = atomic_load(&srv->epoch);

	if (w == NULL || w->serial != srv->serial) {
		if ((w = calloc(1, sizeof(*w))) == NULL) {
			snprintf(err, n, "out of memory");
			return NULL;
		}
		w->serial = srv->serial;
		pthread_mutex_lock(&srv->wmu);
		w->next = srv->workers;
		srv->workers = w;
		pthread_mutex_unlock(&srv->wmu);
		tls_worker = w;
		w->epoch = epoch;
	}
	if (w->s && w->epoch != epoch) {
		store_close(w->s);
		w->s = NULL;
		atomic_fetch_add(&srv->m.db_reopens, 1);
	}
	if (w->s == NULL) {
		char e[400];
		w->epoch = epoch;
		w->s = store_open(srv->db_path, STORE_RDONLY, e, sizeof(e));
		if (w->s == NULL) {
			snprintf(err, n, "database: %s", e);
			return NULL;
		}
	}
	return w->s;
}

static void
on_db_change(void *ctx, int replaced)
{
	struct http_server *srv = ctx;
	if (replaced)
		atomic_fetch_add(&srv->epoch, 1);
	atomic_fetch_add(&srv->gen, 1);
	atomic_fetch_add(&srv->m.db_changes, 1);
}

/* ---- responses ---- */

static struct MHD_Response *
json_response(char *body, size_t len)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return NULL;
	}
	MHD_add_response_header(r, "Content-Type",
	                        "application/json; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	return r;
}

static struct MHD_Response *
error_response(const char *msg)
{
	struct vg_obuf o;
	if (vg_obuf_init(&o, -1, 256) < 0)
		return NULL;
	json_error(&o, msg);
	return json_response(o.buf, o.len);
}

/* ---- static files ---- */

static const struct {
	const char *ext, *type;
} mime[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json; charset=utf-8"},
    {"geojson", "application/geo+json"},
    {"topojson", "application/json; charset=utf-8"},
    {"map", "application/json; charset=utf-8"},
    {"webmanifest", "application/manifest+json"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/x-icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"wasm", "application/wasm"},
    {"txt", "text/plain; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml"},
    {"pdf", "application/pdf"},
};

static const char *
content_type(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	if (dot)
		for (size_t i = 0; i < sizeof(mime) / sizeof(mime[0]); i++)
			if (strcasecmp(dot + 1, mime[i].ext) == 0)
				return mime[i].type;
	return "application/octet-stream";
}

/* Open web_dir + REL if it is a regular file inside web_dir (symlinks
 * resolved); fd or -1. */
static int
open_inside(const struct http_server *srv, const char *rel, struct stat *st)
{
	char path[PATH_MAX], real[PATH_MAX];
	size_t wl = strlen(srv->web_dir);
	int fd;

	if (snprintf(path, sizeof(path), "%s%s", srv->web_dir, rel) >=
	    (int)sizeof(path))
		return -1;
	if (realpath(path, real) == NULL)
		return -1;
	if (strncmp(real, srv->web_dir, wl) != 0 || real[wl] != '/')
		return -1;
	if ((fd = open(real, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

static struct MHD_Response *
static_file(struct http_server *srv, const char *url, unsigned *status)
{
	char rel[PATH_MAX];
	struct stat st;
	struct MHD_Response *r;
	const char *last;
	int fd;

	if (srv->web_dir == NULL) {
		*status = 404;
		return error_response("no dashboard here: start vigil serve "
		                      "with --web DIR");
	}
	if (!http_safe_path(url) || strlen(url) + 16 > sizeof(rel)) {
		*status = 400;
		return error_response("bad path: '.' and '..' segments, "
		                      "backslashes and control characters "
		                      "are refused");
	}
	snprintf(rel, sizeof(rel), "%s%s", url,
	         url[strlen(url) - 1] == '/' ? "index.html" : "");
	fd = open_inside(srv, rel, &st);
	last = strrchr(rel, '/');
	if (fd < 0 && strchr(last ? last : rel, '.') == NULL) {
		/* a dashboard route (/entity/country:KP): the page itself */
		snprintf(rel, sizeof(rel), "/index.html");
		fd = open_inside(srv, rel, &st);
	}
	if (fd < 0) {
		*status = 404;
		return error_response("no such file");
	}
	r = MHD_create_response_from_fd((size_t)st.st_size, fd);
	if (r == NULL) {
		close(fd);
		return NULL;
	}
	MHD_add_response_header(r, "Content-Type", content_type(rel));
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	*status = 200;
	return r;
}

/* ---- /metrics ---- */

static int
snapshot_ok(const char *s)
{
	/* Prometheus text lines only: comments or samples, no control
	 * characters, so a garbled snapshot cannot break the page */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 && *p != '\n' && *p != '\t')
			return 0;
	return 1;
}

static struct MHD_Response *
metrics_page(struct http_server *srv, unsigned *status)
{
	struct metrics *m = &srv->m;
	struct vg_obuf o;
	char err[256];
	struct vg_store *s;

	if (vg_obuf_init(&o, -1, 16384) < 0)
		return NULL;
	vg_obuf_puts(&o, "# HELP vigil_http_requests_total HTTP requests "
	                 "answered, by endpoint and status code.\n"
	                 "# TYPE vigil_http_requests_total counter\n");
	for (int e = 0; e < EP_N; e++)
		for (size_t k = 0; k < NCODES; k++) {
			unsigned long long v = atomic_load(&m->req[e][k]);
			if (v == 0 && codes[k] != 200)
				continue;
			if (codes[k])
				vg_obuf_printf(&o,
				               "vigil_http_requests_total{"
				               "endpoint=\"%s\",code=\"%u\"} "
				               "%llu\n",
				               api_ep_name(e), codes[k], v);
			else
				vg_obuf_printf(&o,
				               "vigil_http_requests_total{"
				               "endpoint=\"%s\",code=\"other\"} "
				               "%llu\n",
				               api_ep_name(e), v);
		}
	vg_obuf_puts(&o, "# HELP vigil_http_errors_total Requests answered "
	                 "with a 4xx or 5xx status, by endpoint and class.\n"
	                 "# TYPE vigil_http_errors_total counter\n");
	for (int e = 0; e < EP_N; e++) {
		unsigned long long c4 = 0, c5 = 0;
		for (size_t k = 0; k < NCODES; k++) {
			unsigned long long v = atomic_load(&m->req[e][k]);
			if (codes[k] >= 400 && codes[k] < 500)
				c4 += v;
			else if (codes[k] >= 500 || codes[k] == 0)
				c5 += v;
		}
		vg_obuf_printf(&o,
		               "vigil_http_errors_total{endpoint=\"%s\","
		               "class=\"4xx\"} %llu\n"
		               "vigil_http_errors_total{endpoint=\"%s\","
		               "class=\"5xx\"} %llu\n",
		               api_ep_name(e), c4, api_ep_name(e), c5);
	}
	vg_obuf_puts(&o, "# HELP vigil_http_request_duration_seconds Time to "
	                 "build an answer, by endpoint.\n"
	                 "# TYPE vigil_http_request_duration_seconds "
	                 "histogram\n");
	for (int e = 0; e < EP_N; e++) {
		unsigned long long cum = 0;
		for (size_t b = 0; b <= NBUCKETS; b++) {
			cum += atomic_load(&m->hist[e][b]);
			if (b < NBUCKETS)
				vg_obuf_printf(
				    &o,
				    "vigil_http_request_duration_seconds_bucket"
				    "{endpoint=\"%s\",le=\"%g\"} %llu\n",
				    api_ep_name(e), buckets[b], cum);
			else
				vg_obuf_printf(
				    &o,
				    "vigil_http_request_duration_seconds_bucket"
				    "{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
				    api_ep_name(e), cum);
		}
		vg_obuf_printf(&o,
		               "vigil_http_request_duration_seconds_sum{"
		               "endpoint=\"%s\"} %.6f\n"
		               "vigil_http_request_duration_seconds_count{"
		               "endpoint=\"%s\"} %llu\n",
		               api_ep_name(e),
		               (double)atomic_load(&m->sum_ns[e]) / 1e9,
		               api_ep_name(e), cum);
	}
	pthread_mutex_lock(&srv->cache.mu);
	size_t cbytes = srv->cache.bytes, cn = srv->cache.n;
	pthread_mutex_unlock(&srv->cache.mu);
	vg_obuf_printf(
	    &o,
	    "# HELP vigil_http_timeouts_total Requests whose database work "
	    "passed the deadline (503).\n"
	    "# TYPE vigil_http_timeouts_total counter\n"
	    "vigil_http_timeouts_total %llu\n"
	    "# HELP vigil_http_cache_hits_total API answers served from the "
	    "cache.\n"
	    "# TYPE vigil_http_cache_hits_total counter\n"
	    "vigil_http_cache_hits_total %llu\n"
	    "# HELP vigil_http_cache_misses_total API answers computed.\n"
	    "# TYPE vigil_http_cache_misses_total counter\n"
	    "vigil_http_cache_misses_total %llu\n"
	    "# HELP vigil_http_cache_bytes Bytes held by the answer cache.\n"
	    "# TYPE vigil_http_cache_bytes gauge\n"
	    "vigil_http_cache_bytes %zu\n"
	    "# HELP vigil_http_cache_entries Answers held by the cache.\n"
	    "# TYPE vigil_http_cache_entries gauge\n"
	    "vigil_http_cache_entries %zu\n"
	    "# HELP vigil_http_live_clients Open /api/v1/live streams.\n"
	    "# TYPE vigil_http_live_clients gauge\n"
	    "vigil_http_live_clients %u\n"
	    "# HELP vigil_http_live_messages_total Messages sent to the live "
	    "streams (each to every client).\n"
	    "# TYPE vigil_http_live_messages_total counter\n"
	    "vigil_http_live_messages_total %llu\n"
	    "# HELP vigil_http_db_changes_total Database commits seen by the "
	    "poller.\n"
	    "# TYPE vigil_http_db_changes_total counter\n"
	    "vigil_http_db_changes_total %llu\n"
	    "# HELP vigil_http_uptime_seconds Time since the server started.\n"
	    "# TYPE vigil_http_uptime_seconds gauge\n"
	    "vigil_http_uptime_seconds %lld\n",
	    (unsigned long long)atomic_load(&m->timeouts),
	    (unsigned long long)atomic_load(&m->cache_hits),
	    (unsigned long long)atomic_load(&m->cache_misses), cbytes, cn,
	    live_clients(srv->live), live_messages(srv->live),
	    (unsigned long long)atomic_load(&m->db_changes),
	    (long long)(time(NULL) - srv->started));

	/* the writer's own counters (contract D) */
	if ((s = worker_store(srv, err, sizeof(err))) != NULL) {
		char *snap = malloc(65536);
		store_set_deadline(s, srv->o.timeout_ms);
		if (snap && store_get_meta(s, "metrics", snap, 65536) == 0) {
			if (snapshot_ok(snap)) {
				vg_obuf_puts(&o, "# The writer's snapshot "
				                 "(meta key metrics):\n");
				vg_obuf_puts(&o, snap);
				if (o.len && o.buf[o.len - 1] != '\n')
					vg_obuf_putc(&o, '\n');
			} else {
				vg_obuf_puts(&o, "# the writer's snapshot "
				                 "holds control characters: "
				                 "left out\n");
			}
		} else {
			vg_obuf_puts(&o, "# no writer snapshot in the "
			                 "database yet\n");
		}
		free(snap);
	}
	if (o.error) {
		vg_obuf_destroy(&o);
		return NULL;
	}
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(o.len, o.buf, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		vg_obuf_destroy(&o);
		return NULL;
	}
	MHD_add_response_header(r, "Content-Type",
	                        "text/plain; version=0.0.4; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	*status = 200;
	return r;
}

/* ---- the API ---- */

struct argctx {
	struct api_req *r;
	char *err;
	size_t n;
	int status;
};

static enum MHD_Result
on_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct argctx *a = cls;
	(void)kind;
	a->status = api_arg(a->r, key ? key : "", value, a->err, a->n);
	return a->status ? MHD_NO : MHD_YES;
}

static struct MHD_Response *
api_answer(struct http_server *srv, struct MHD_Connection *conn,
           struct api_req *r, unsigned *status)
{
	char err[512], key[256 + API_SEARCH_MAX];
	struct argctx a = {r, err, sizeof(err), 0};
	struct api_ctx ctx;
	struct vg_obuf o;
	struct vg_store *s;
	size_t klen;
	uint64_t gen;
	char *body;
	size_t len;
	int rc;

	err[0] = '\0';
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, on_arg, &a);
	if (a.status == 0)
		a.status = api_finish(r, err, sizeof(err));
	if (a.status) {
		*status = (unsigned)a.status;
		return error_response(err);
	}
	if (r->ep == EP_OPENAPI) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(
		    strlen(http_openapi_json), (void *)http_openapi_json,
		    MHD_RESPMEM_PERSISTENT);
		if (resp)
			MHD_add_response_header(
			    resp, "Content-Type",
			    "application/json; charset=utf-8");
		*status = 200;
		return resp;
	}
	if (r->ep == EP_LIVE) {
		struct MHD_Response *resp =
		    live_attach(srv->live, conn, err, sizeof(err));
		if (resp == NULL) {
			*status = 503;
			return error_response(err);
		}
		MHD_add_response_header(resp, "Content-Type",
		                        "text/event-stream; charset=utf-8");
		MHD_add_response_header(resp, "Cache-Control", "no-cache");
		MHD_add_response_header(resp, "X-Accel-Buffering", "no");
		*status = 200;
		return resp;
	}

	klen = api_cache_key(r, key, sizeof(key));
	gen = atomic_load(&srv->gen);
	if (cache_get(&srv->cache, key, klen, gen, &body, &len)) {
		atomic_fetch_add(&srv->m.cache_hits, 1);
		*status = 200;
		return json_response(body, len);
	}
	atomic_fetch_add(&srv->m.cache_misses, 1);
	if ((s = worker_store(srv, err, sizeof(err))) == NULL) {
		*status = 503;
		return error_response(err);
	}
	if (vg_obuf_init(&o, -1, 8192) < 0) {
		*status = 500;
		return error_response("out of memory");
	}
	ctx.s = s;
	ctx.event_json = srv->o.event_json;
	store_set_deadline(s, srv->o.timeout_ms);
	/* one snapshot (and one read lock) for all the queries of the answer */
	if (store_begin_read(s) < 0) {
		vg_obuf_destroy(&o);
		snprintf(err, sizeof(err), "database: %s", store_error(s));
		*status = store_timed_out(s) ? 503 : 500;
		store_set_deadline(s, 0);
		return error_response(err);
	}
	rc = api_handle(&ctx, r, &o, err, sizeof(err));
	store_set_deadline(s, 0);
	store_commit(s); /* ends the read: nothing to write */
	if (rc == 503)
		atomic_fetch_add(&srv->m.timeouts, 1);
	if (rc == 400 || rc >= 500) {
		vg_obuf_destroy(&o);
		*status = (unsigned)rc;
		return error_response(err);
	}
	if (rc == 200)
		cache_put(&srv->cache, key, klen, gen, o.buf, o.len);
	*status = (unsigned)rc;
	return json_response(o.buf, o.len);
}

/* ---- requests ---- */

static void
count(struct http_server *srv, enum api_ep ep, unsigned status,
      uint64_t ns)
{
	size_t k = 0, b = 0;
	double secs = (double)ns / 1e9;
	while (codes[k] && codes[k] != status)
		k++;
	while (b < NBUCKETS && secs > buckets[b])
		b++;
	atomic_fetch_add(&srv->m.req[ep][k], 1);
	atomic_fetch_add(&srv->m.hist[ep][b], 1);
	atomic_fetch_add(&srv->m.sum_ns[ep], ns);
}

/* S with control characters, quotes and backslashes as '?', cut to N. */
static void
log_text(const char *s, char *out, size_t n)
{
	size_t j = 0;
	for (; *s && j + 1 < n; s++) {
		unsigned char c = (unsigned char)*s;
		out[j++] = c < 0x20 || c == 0x7f || c == '"' || c == '\\'
		               ? '?'
		               : (char)c;
	}
	out[j] = '\0';
}

static void
log_request(struct http_server *srv, struct MHD_Connection *conn,
            const char *method, const char *url, unsigned status,
            uint64_t ns)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char addr[INET6_ADDRSTRLEN] = "-", t[32];
	time_t now = time(NULL);
	struct tm tm;

	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET,
			          &((const struct sockaddr_in *)sa)->sin_addr,
			          addr, sizeof(addr));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
			          &((const struct sockaddr_in6 *)sa)->sin6_addr,
			          addr, sizeof(addr));
	}
	char path[256], meth[16];
	gmtime_r(&now, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* the path as the client sent it, made safe for a one-line log */
	log_text(url, path, sizeof(path));
	log_text(method, meth, sizeof(meth));
	fprintf(srv->o.log, "%s client=%s method=%s path=\"%s\" status=%u "
	                    "ms=%.3f\n",
	        t, addr, meth, path, status, (double)ns / 1e6);
	fflush(srv->o.log);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct MHD_Response *resp = NULL;
	struct api_req r;
	unsigned status = 500;
	char err[512];
	uint64_t t0;
	enum MHD_Result ret;
	int rc;

	(void)version;
	(void)upload;
	if (*con_cls == NULL &&
	    (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
		/* headers are in; answer once the whole request is (answering
		 * earlier makes libmicrohttpd close the connection) */
		*con_cls = srv;
		return MHD_YES;
	}
	/* other methods are answered at once (405), their body unread: the
	 * connection is closed after the answer */
	if (*upload_size) {
		*upload_size = 0; /* a body we do not read */
		return MHD_YES;
	}
	t0 = mono_ns();
	memset(&r, 0, sizeof(r));
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		r.ep = EP_NONE;
		status = 405;
		resp = error_response("only GET and HEAD");
		if (resp)
			MHD_add_response_header(resp, "Allow", "GET, HEAD");
	} else if ((rc = api_route(&r, url, err, sizeof(err))) != 0) {
		status = (unsigned)rc;
		resp = error_response(err);
	} else if (r.ep == EP_STATIC) {
		resp = static_file(srv, url, &status);
	} else if (r.ep == EP_METRICS) {
		resp = metrics_page(srv, &status);
	} else {
		resp = api_answer(srv, conn, &r, &status);
	}
	if (resp == NULL) {
		status = 500;
		resp = error_response("out of memory");
		if (resp == NULL)
			return MHD_NO;
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	count(srv, r.ep, status, mono_ns() - t0);
	if (srv->o.log)
		log_request(srv, conn, method, url, status, mono_ns() - t0);
	return ret;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("vigil serve: libmicrohttpd: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/* ---- listening ---- */

/* "ADDR:PORT", "[V6]:PORT", ":PORT" (every address), "PORT". */
static int
bind_listen(const char *spec, int *fd, int *v6, unsigned *port, char *url,
            size_t urllen, char *err, size_t n)
{
	char host[128];
	const char *ps;
	struct addrinfo hints, *ai = NULL;
	unsigned long p;
	char *end;
	int s, one = 1, rc;

	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');
		if (rb == NULL || rb[1] != ':' ||
		    (size_t)(rb - spec - 1) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(rb - spec - 1),
		         spec + 1);
		ps = rb + 2;
	} else if ((ps = strrchr(spec, ':')) != NULL) {
		if (strchr(spec, ':') != ps ||
		    (size_t)(ps - spec) >= sizeof(host))
			goto bad; /* a bare IPv6 address needs brackets */
		snprintf(host, sizeof(host), "%.*s", (int)(ps - spec), spec);
		ps++;
	} else {
		snprintf(host, sizeof(host), "127.0.0.1");
		ps = spec;
	}
	errno = 0;
	p = strtoul(ps, &end, 10);
	if (*ps == '\0' || *end != '\0' || p > 65535 || errno)
		goto bad;
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (host[0] == '\0') {
		/* every address: IPv6 socket taking IPv4 too */
		snprintf(host, sizeof(host), "::");
	}
	{
		char pstr[8];
		snprintf(pstr, sizeof(pstr), "%lu", p);
		if ((rc = getaddrinfo(host, pstr, &hints, &ai)) != 0 ||
		    ai == NULL) {
			snprintf(err, n, "--listen %s: '%s' is not an IP "
			                 "address",
			         spec, host);
			if (ai)
				freeaddrinfo(ai);
			return -1;
		}
	}
	s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		snprintf(err, n, "socket: %s", strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6) {
		int only = strcmp(host, "::") != 0;
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof(only));
	}
	if (bind(s, ai->ai_addr, ai->ai_addrlen) < 0 || listen(s, 512) < 0) {
		snprintf(err, n, "--listen %s: %s", spec, strerror(errno));
		close(s);
		freeaddrinfo(ai);
		return -1;
	}
	{
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		getsockname(s, (struct sockaddr *)&ss, &sl);
		*port = ss.ss_family == AF_INET6
		            ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
		            : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	*v6 = ai->ai_family == AF_INET6;
	snprintf(url, urllen, *v6 ? "http://[%s]:%u/" : "http://%s:%u/",
	         strcmp(host, "::") == 0 ? "::1" : host, *port);
	freeaddrinfo(ai);
	*fd = s;
	return 0;
bad:
	snprintf(err, n,
	         "--listen '%s': ADDRESS:PORT, [IPv6]:PORT, :PORT or PORT",
	         spec);
	return -1;
}

void
http_opts_default(struct http_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->listen = "127.0.0.1:8080";
	o->threads = 4;
	o->timeout_ms = 5000;
	o->cache_bytes = 64u << 20;
	o->max_clients = 1024;
	o->max_live = 256;
	o->poll_ms = 1000;
}

struct http_server *
http_server_new(const struct http_opts *o, char *err, size_t errlen)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	struct live_opts lo;
	struct vg_store *s;
	char e[512];
	int v6 = 0;
	unsigned flags;

	if (srv == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->o = *o;
	srv->lfd = -1;
	srv->serial = atomic_fetch_add(&server_serials, 1) + 1;
	srv->started = time(NULL);
	pthread_mutex_init(&srv->wmu, NULL);
	pthread_mutex_init(&srv->cache.mu, NULL);
	srv->cache.max = o->cache_bytes;
	if (o->event_json == NULL || o->db_path == NULL) {
		snprintf(err, errlen, "no database or event printer given");
		goto fail;
	}
	if ((srv->db_path = strdup(o->db_path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* fail now, with the reason, if the database cannot be read */
	if ((s = store_open(o->db_path, STORE_RDONLY, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "%s", e);
		goto fail;
	}
	store_close(s);
	if (o->web_dir) {
		char real[PATH_MAX];
		struct stat st;
		if (realpath(o->web_dir, real) == NULL ||
		    stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "--web %s: %s", o->web_dir,
			         errno ? strerror(errno) : "not a directory");
			goto fail;
		}
		if ((srv->web_dir = strdup(real)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	if (bind_listen(o->listen ? o->listen : "127.0.0.1:8080", &srv->lfd,
	                &v6, &srv->port, srv->url, sizeof(srv->url), err,
	                errlen) < 0)
		goto fail;

	memset(&lo, 0, sizeof(lo));
	lo.db_path = o->db_path;
	lo.poll_ms = o->poll_ms;
	lo.max_clients = o->max_live;
	lo.event_json = o->event_json;
	lo.changed = on_db_change;
	lo.ctx = srv;
	if ((srv->live = live_new(&lo, err, errlen)) == NULL)
		goto fail;

	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
	        MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
	        (v6 ? MHD_USE_IPv6 : 0);
	srv->d = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER,
	    mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, srv->lfd,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads ? o->threads : 1),
	    MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)(o->max_clients ? o->max_clients : 1024),
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
	if (srv->d == NULL) {
		snprintf(err, errlen, "libmicrohttpd did not start");
		goto fail;
	}
	return srv;
fail:
	http_server_free(srv);
	return NULL;
}

unsigned
http_server_port(const struct http_server *s)
{
	return s->port;
}

const char *
http_server_url(const struct http_server *s)
{
	return s->url;
}

void
http_server_free(struct http_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->d) {
		/* no new connections, live streams ended, then stop */
		MHD_socket fd = MHD_quiesce_daemon(srv->d);
		/* quiesced, the socket is ours to close; else MHD closes it */
		srv->lfd = fd != MHD_INVALID_SOCKET ? fd : -1;
		live_stop(srv->live, 1000);
		MHD_stop_daemon(srv->d);
	} else {
		live_stop(srv->live, 0);
	}
	if (srv->lfd >= 0)
		close(srv->lfd);
	live_free(srv->live);
	while (srv->workers) {
		struct worker *w = srv->workers;
		srv->workers = w->next;
		store_close(w->s);
		free(w);
	}
	cache_destroy(&srv->cache);
	pthread_mutex_destroy(&srv->wmu);
	free(srv->db_path);
	free(srv->web_dir);
	free(srv);
}
