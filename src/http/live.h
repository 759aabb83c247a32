/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The live hub of the HTTP server (live.c): the database poller and the
 * server-sent event streams of /api/v1/live.
 */
#ifndef VIGIL_HTTP_LIVE_H
#define VIGIL_HTTP_LIVE_H

#include <stddef.h>
#include <stdio.h>

#include "vigil/entity.h"
#include "vigil/store.h"

struct MHD_Connection;
struct MHD_Response;

struct live_opts {
	const char *db_path;
	unsigned poll_ms;     /* polling period */
	unsigned max_clients; /* streams at once */
	void (*event_json)(FILE *f, const struct vg_event *ev,
	                   const char *name);
	/* a writer committed (REPLACED 0) or the file was replaced (1);
	 * called from the poller thread */
	void (*changed)(void *ctx, int replaced);
	void *ctx;
};

struct live;

/* Look at the database once, then start the poller.  NULL + ERR. */
struct live *live_new(const struct live_opts *o, char *err, size_t errlen);
/* A response streaming to CONN (queue it with status 200), or NULL with
 * the reason (too many streams, stopping) in ERR. */
struct MHD_Response *live_attach(struct live *l, struct MHD_Connection *conn,
                                 char *err, size_t errlen);
unsigned live_clients(struct live *l);
unsigned long long live_messages(struct live *l);
/* End every stream (waiting up to WAIT_MS for them to close) and the
 * poller.  Call before MHD_stop_daemon: no connection may stay suspended. */
void live_stop(struct live *l, unsigned wait_ms);
/* After MHD_stop_daemon (which frees the streams). */
void live_free(struct live *l);

#endif
