/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside the collector: the queue between the event loop and the
 * processing thread, the per-peer record both threads share, and the log.
 */
#ifndef VIGIL_COLLECT_IMPL_H
#define VIGIL_COLLECT_IMPL_H

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/fsm.h"
#include "vigil/collect.h"

/* ---- queue ----------------------------------------------------------
 * A list of chunks, each holding whole MRT records back to back.  The
 * loop fills its own chunk and publishes it (cq_publish) at the end of
 * every read; the processing thread takes published chunks.  While the
 * processing thread is behind, a publish appends to the last chunk
 * waiting (one copy, under the lock) instead of queuing another, so a
 * busy processing thread takes large chunks however small the reads;
 * taken chunks come back (cq_free) and are reused, not unmapped.  The
 * bound is on published bytes: past it the loop stops reading. */

#define CQ_CHUNK (1u << 20)
#define CQ_SPARE 8 /* chunks kept for reuse */

struct cq_chunk {
	struct cq_chunk *next;
	size_t len, cap;
	char coll[32];   /* the collector of every record in it */
	uint8_t data[];
};

struct cqueue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct cq_chunk *head, *tail;
	size_t bytes, limit;
	int closed;
	struct cq_chunk *cur;       /* the loop's chunk being filled */
	struct cq_chunk *spare[CQ_SPARE]; /* free chunks (under mu) */
	unsigned nspare;
	uint64_t merged;            /* publishes appended to the tail */
	atomic_size_t depth;        /* published bytes waiting */
	atomic_uint_fast64_t overflows;
	atomic_int paused;          /* the loop stopped reading */
	void (*wake)(void *ctx);    /* called (any thread) when the queue
	                               drains below half after a pause */
	void *wake_ctx;
};

int cq_init(struct cqueue *q, size_t limit);
void cq_destroy(struct cqueue *q);
/* Room for N bytes in the loop's chunk (publishing it first if full). */
uint8_t *cq_reserve(struct cqueue *q, size_t n, const char *coll);
void cq_commit(struct cqueue *q, size_t n);
/* Publish the loop's chunk; returns 1 if the queue is now over its bound
 * (the caller pauses reading and counts an overflow). */
int cq_publish(struct cqueue *q);
/* The next chunk (owned by the caller: give it back with cq_free), or NULL after
 * TIMEOUT_MS, or when the queue is closed and empty (*CLOSED set). */
struct cq_chunk *cq_pop(struct cqueue *q, int timeout_ms, int *closed);
void cq_close(struct cqueue *q);
/* A chunk taken with cq_pop is done with (kept for reuse or freed). */
void cq_free(struct cqueue *q, struct cq_chunk *c);

/* ---- peers ------------------------------------------------------------
 * One slot per configured peer (kept when a reload removes the peer, so
 * the processing thread's pointers stay valid). */

struct session;

struct cpeer {
	struct collect_peer_cfg cfg;
	char coll[32];            /* collector name: NAME, or NAME/ROUTER */
	char router[48];          /* BMP: the router; "" for BGP peers */
	int bmp;                  /* a BMP router's monitored peer */
	uint16_t bmp_ap;          /* BMP: ADD-PATH per AFI/SAFI (bmp_ap_bit) */
	uint32_t bmp_local_as;    /* BMP: the router's AS (Peer Up OPEN) */
	int8_t bmp_view[2];       /* BMP: the Adj-RIB-In view taken for IPv4
	                             and for IPv6 (routers configure the
	                             monitoring per address family): -1 none
	                             yet, 0 pre-policy, 1 post-policy */
	uint64_t bmp_other_view;  /* route monitoring of the other view */
	unsigned slot;
	int removed;
	struct session *sess;     /* current connection, or NULL */
	void *gr_ev;              /* struct event *: stale routes' timer */
	int gr_stale;             /* session lost under graceful restart */
	uint32_t gr_time;
	uint8_t state;            /* last FSM state, for the status file */
	int established_once;
	/* loop-thread counters */
	uint64_t msgs_in, bytes_in, updates, notif_in, notif_out, flaps;
	uint64_t taw, refused_dup;
	char last_notif[512];
	uint32_t up_since;
	/* what the archive records for this peer's session */
	struct vg_addr local_addr;
	/* processing-thread counters */
	atomic_uint_fast64_t announce, withdraw;
	atomic_uint routes_v4, routes_v6;
	int rib_id;               /* processing thread only */
};

/* ---- log -------------------------------------------------------------
 * One line per event: ISO time, then key=value pairs.  Thread-safe. */
void clog_open(FILE *f, int also_stderr);
void clog_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* `peer=ADDR as=N` prefix into BUF. */
void clog_peer(char *buf, size_t len, const struct cpeer *p);

/* ---- MRT records into the queue ---------------------------------- */

/* A BGP4MP_ET record of MSG for peer P: MESSAGE_AS4 and its _LOCAL and
 * _ADDPATH forms (RFC 8050), or the 2-byte MESSAGE ones for a session
 * without 4-octet ASNs (the AS_PATH in the message is then 2-byte). */
#define REC_LOCAL 0x1
#define REC_ADDPATH 0x2
#define REC_AS2 0x4
int rec_message(struct cqueue *q, const struct cpeer *p, uint32_t local_as,
                const uint8_t *msg, size_t len, unsigned flags);
int rec_state(struct cqueue *q, const struct cpeer *p, uint32_t local_as,
              unsigned from, unsigned to);

/* ---- processing thread ------------------------------------------- */

struct proc;
struct proc_stats;
struct proc *proc_new(const struct collect_cfg *c, struct cqueue *q,
                      char *err, size_t errlen);
int proc_start(struct proc *pr);
/* Make a new slot table visible (after a reload). */
void proc_set_peers(struct proc *pr, struct cpeer **slots, unsigned n);
/* Wait for the thread (after cq_close) and free everything; FINAL (may
 * be NULL) gets the last counters.  0, or -1 if the archive or database
 * reported an error. */
int proc_join_free(struct proc *pr, struct proc_stats *final);

struct proc_stats {
	uint64_t problems;
	uint64_t elements;
	uint32_t events_open;
	uint64_t bins;
	uint32_t last_bin_end;
};
void proc_stats(struct proc *pr, struct proc_stats *st);

#endif
