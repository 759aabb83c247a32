/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vigil HTTP server (`vigil serve`): the JSON API of a vigil database
 * (/api/v1/..., described by /api/v1/openapi.json and docs/api.md), live
 * server-sent events, Prometheus /metrics and the dashboard's static files,
 * on libmicrohttpd with a pool of worker threads.
 *
 * The database is opened read-only, one connection per worker thread, and
 * may be written meanwhile by `vigil replay` or `vigil collect` (WAL).  A
 * poller thread looks at it once a second (PRAGMA data_version, and the
 * file itself: a replay replaces it) and tells live clients what changed;
 * answers are cached per database version.
 */
#ifndef VIGIL_HTTP_H
#define VIGIL_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vigil/entity.h"

struct http_opts {
	const char *db_path;  /* the vigil database (must exist) */
	const char *listen;   /* "127.0.0.1:8080", "[::1]:8080", ":8080"
	                         (all IPv4 and IPv6 addresses); port 0 picks
	                         a free one (see http_server_port) */
	const char *web_dir;  /* dashboard files, NULL = none */
	unsigned threads;     /* worker threads (and DB connections) */
	unsigned timeout_ms;  /* per-request database deadline (503 after) */
	size_t cache_bytes;   /* response cache; 0 = none */
	unsigned max_clients; /* concurrent connections */
	unsigned max_live;    /* concurrent /api/v1/live streams */
	unsigned poll_ms;     /* database polling period (1000) */
	/* prints one event object (the API's events are those of `vigil
	 * events --json`); required */
	void (*event_json)(FILE *f, const struct vg_event *ev,
	                   const char *name);
	FILE *log;            /* one line per request, NULL = none */
};

/* Defaults: 127.0.0.1:8080, 4 threads, 5000 ms, 64 MiB, 1024 clients,
 * 256 live streams, 1000 ms. */
void http_opts_default(struct http_opts *o);

struct http_server;

/* Check the database, bind, start the threads.  NULL with a one-line
 * reason in ERR (bad address, port in use, unreadable database). */
struct http_server *http_server_new(const struct http_opts *o, char *err,
                                    size_t errlen);
/* The port bound (the one chosen for port 0). */
unsigned http_server_port(const struct http_server *s);
/* "http://127.0.0.1:8080/" */
const char *http_server_url(const struct http_server *s);
/* Stop: live streams are ended, in-flight requests finished, threads
 * joined, connections closed.  NULL is fine. */
void http_server_free(struct http_server *s);

#endif
