/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private pieces of the HTTP server (src/http), shared between its files,
 * the unit test and the fuzz harness: the request model (which endpoint,
 * which parameters, validated), the API handlers that turn a request into
 * a JSON body from a store handle, the response cache and the metrics.
 *
 * A request is parsed in three steps, each returning an HTTP status (0 =
 * fine so far) and a one-line reason in ERR: api_route (the path),
 * api_arg (each query parameter, already percent-decoded), api_finish
 * (what depends on several parameters).  None of them touches the
 * database, so they are what the fuzz harness drives.
 */
#ifndef VIGIL_HTTP_IMPL_H
#define VIGIL_HTTP_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vigil/entity.h"
#include "vigil/obuf.h"
#include "vigil/store.h"

/* Documented limits (README "HTTP API", docs/api.md, openapi.json). */
#define API_SEARCH_MAX 64             /* bytes of entities?search= */
#define API_ENTITIES_LIMIT 50         /* default entities?limit= */
#define API_ENTITIES_LIMIT_MAX 1000
#define API_EVENTS_LIMIT 100          /* default events?limit= */
#define API_EVENTS_LIMIT_MAX 500
#define API_EVENTS_OFFSET_MAX 1000000
#define API_RANGE_MAX (31u * 86400u)  /* signals: until - from */
#define API_RANGE_DEFAULT 86400u      /* signals: without from/until */
#define API_BINS_MAX 10000u           /* signals: bins in the range */
#define API_UPSTREAMS 5               /* default signals?upstreams= */
#define API_UPSTREAMS_MAX 50
#define API_STATUS_OTHERS_MAX 1000    /* non-country entries of status */
#define API_URL_MAX 2048              /* longest path accepted */
/* Every entity has a signal row every this many bins (the detector's
 * KEYFRAME_BINS, src/detect/detector.c): upstreams are ranked there. */
#define API_KEYFRAME_BINS 12

enum api_ep {
	EP_NONE,
	EP_ENTITIES, /* /api/v1/entities */
	EP_SIGNALS,  /* /api/v1/signals/ENTITY */
	EP_EVENTS,   /* /api/v1/events */
	EP_EVENT,    /* /api/v1/events/ID */
	EP_STATUS,   /* /api/v1/status */
	EP_LIVE,     /* /api/v1/live */
	EP_OPENAPI,  /* /api/v1/openapi.json */
	EP_METRICS,  /* /metrics */
	EP_STATIC,   /* anything else outside /api/: a dashboard file */
	EP_N
};

/* Query parameters, as bits (which ones an endpoint takes, which were
 * given). */
enum {
	P_SEARCH = 1u << 0,
	P_KIND = 1u << 1,
	P_LIMIT = 1u << 2,
	P_OFFSET = 1u << 3,
	P_FROM = 1u << 4,
	P_UNTIL = 1u << 5,
	P_AT = 1u << 6,
	P_ENTITY = 1u << 7,
	P_LEVEL = 1u << 8,
	P_OPEN = 1u << 9,
	P_EXACT = 1u << 10,
	P_EVIDENCE = 1u << 11,
	P_UPSTREAMS = 1u << 12,
};

struct api_req {
	enum api_ep ep;
	unsigned given;          /* P_* bits seen */
	struct vg_entity ent;    /* signals/ENTITY, events?entity= */
	uint64_t event_id;       /* events/ID */
	char search[API_SEARCH_MAX + 1];
	uint8_t ent_kind;        /* entities?kind= (enum vg_entity_kind) */
	uint8_t ev_kind;         /* events?kind= (enum vg_event_kind) */
	uint8_t level;           /* events?level= (minimum) */
	uint8_t open_only, exact, evidence;
	uint32_t from, until, at;
	uint32_t limit, offset, upstreams;
};

/* Route PATH (percent-decoded, no query string) into R (zeroed first).
 * 0, or 400/404 with the reason in ERR. */
int api_route(struct api_req *r, const char *path, char *err, size_t n);
/* One query parameter KEY=VAL (VAL NULL for a bare "key"); 0 or 400. */
int api_arg(struct api_req *r, const char *key, const char *val, char *err,
            size_t n);
/* After the last api_arg: defaults and checks across parameters; 0/400. */
int api_finish(struct api_req *r, char *err, size_t n);
/* A raw query string "a=1&b=%20x" through api_arg (percent- and
 * '+'-decoding each part); 0 or 400.  The server gets its parameters
 * decoded by libmicrohttpd; this is for tests and the fuzz harness. */
int api_parse_query(struct api_req *r, const char *qs, char *err, size_t n);
/* A text naming the request and its parameters, the same for equal
 * requests: the response cache key.  Returns its length (< N). */
size_t api_cache_key(const struct api_req *r, char *buf, size_t n);
/* Does the URL path PATH name a file inside the web directory?  It must
 * start with '/' and hold no "." or ".." segment, no "//", no backslash or
 * control character.  1 / 0.  (The server also checks the resolved path.) */
int http_safe_path(const char *path);
/* Name of an endpoint for metrics labels ("status", "signals", ...). */
const char *api_ep_name(enum api_ep ep);

/* ---- handlers (api.c) ---- */

struct api_ctx {
	struct vg_store *s;
	/* the event object printer: `vigil events --json`'s (query.c) */
	void (*event_json)(FILE *f, const struct vg_event *ev,
	                   const char *name);
};

/* Answer R from the database into OUT (a JSON document).  Returns the
 * HTTP status: 200, 404 (unknown entity or event; OUT holds the error
 * document), 500 or 503 (database error, timeout: ERR says why). */
int api_handle(struct api_ctx *c, const struct api_req *r,
               struct vg_obuf *out, char *err, size_t n);

/* The store's bin length (meta bin_len, else 300). */
uint32_t api_bin_len(struct vg_store *s);

/* JSON pieces on an in-memory vg_obuf. */
void json_str(struct vg_obuf *o, const char *s);
void json_num(struct vg_obuf *o, double v);          /* null for NaN */
void json_error(struct vg_obuf *o, const char *msg); /* {"error":msg} */

/* ---- the OpenAPI document (openapi.c, from openapi.json) ---- */
extern const char http_openapi_json[];

#endif
