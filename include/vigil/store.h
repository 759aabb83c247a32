/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vigil database: one SQLite file (WAL mode) holding a run's peers,
 * entities, per-bin signals and events with their evidence.  `vigil replay`
 * and `vigil collect` write it; `vigil events/status/signals/plot` and
 * `vigil serve` read it, also while it is being written.  This is the only
 * module that includes sqlite3.h; the schema is documented in
 * src/store/schema.sql and README.md.
 */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/addr.h"
#include "vigil/entity.h"

struct vg_store;

#define STORE_RDONLY 0x1 /* open an existing database read-only */
#define STORE_CREATE 0x2 /* create it (and the schema) if missing */

/* Open PATH.  NULL with a reason in ERR on failure.  A handle is one
 * SQLite connection, for one thread at a time; any number of handles
 * (processes) may read while one writes.  STORE_RDONLY handles never write;
 * without STORE_CREATE the file must exist and hold a vigil schema. */
struct vg_store *store_open(const char *path, int flags, char *err,
                            size_t errlen);
/* Close S (NULL is fine); an uncommitted transaction is rolled back. */
void store_close(struct vg_store *s);

/* The last SQLite error as text (for messages). */
const char *store_error(const struct vg_store *s);

/* Group writes (signals of one bin, an event) in one transaction; readers
 * see all of it or none.  Transactions do not nest: store_begin with one
 * open is -1.  Without one, each put call is its own transaction, and a
 * failed put call is undone whole either way. */
int store_begin(struct vg_store *s);
int store_commit(struct vg_store *s);
/* A read transaction (also on a read-only handle): every query until
 * store_commit sees the same snapshot, and pays for one read lock.  0/-1. */
int store_begin_read(struct vg_store *s);

/* Key/value metadata about the run (bin length, inputs, options, ...). */
int store_set_meta(struct vg_store *s, const char *key, const char *value);
/* Copy the value of KEY into BUF; 0, or -1 if absent. */
int store_get_meta(struct vg_store *s, const char *key, char *buf,
                   size_t len);

/* An interval [FROM, UNTIL) without data from COLLECTOR (table gaps). */
int store_put_gap(struct vg_store *s, const char *collector, uint32_t from,
                  uint32_t until, const char *reason);

struct store_peer {
	char collector[32];
	struct vg_addr addr;
	uint32_t asn;
	uint32_t v4_routes, v6_routes; /* routes held at the last update */
	uint8_t full_v4, full_v6;      /* full-feed now */
	uint8_t up;                    /* session up */
	uint32_t last_change;          /* Unix seconds */
};

/* Insert or update a peer (keyed by collector, addr, asn). */
int store_put_peer(struct vg_store *s, const struct store_peer *p);

/* Name an entity ("North Korea", "STAR-KP"); insert or update. */
int store_put_entity(struct vg_store *s, const struct vg_entity *e,
                     const char *name);

/* Append (or replace: same entity and bin) signal rows.  Entities that
 * are not yet in the database are added, without a name.  Fastest when
 * each bin's rows come together, one transaction per bin or more.  Rows
 * flagged VG_SIG_KEYFRAME_ONLY are stored packed (table keyframes, in a
 * version 2 database); every reader below returns them as ordinary rows,
 * with flags 0, merged with the others by bin. */
int store_put_signals(struct vg_store *s, const struct vg_signal *sig,
                      size_t n);

/* Insert or update an event by its id, replacing its evidence. */
int store_put_event(struct vg_store *s, const struct vg_event *ev);

/* ---- queries (callbacks return 0 to go on, non-zero to stop) ----
 * A callback may call any store function on the same handle, including the
 * query that called it.  What it is passed is valid during the call only. */

struct store_event_query {
	const struct vg_entity *ent; /* NULL = any */
	int ent_prefix_only;         /* with ent: also upstream:CC:* of a
	                                country */
	uint8_t kind;                /* 0 = any */
	uint8_t min_level;           /* 0 = any */
	uint32_t since, until;       /* overlap with [since, until]; 0 = open */
	int open_only;               /* only events without an end */
	uint32_t limit, offset;      /* paging; limit 0 = no limit */
	int with_evidence;           /* load evidence (else n_evidence only) */
};

typedef int (*store_event_fn)(void *ctx, const struct vg_event *ev);
typedef int (*store_signal_fn)(void *ctx, const struct vg_signal *sig);

/* Events matching Q, newest start first.  Returns 0 or -1. */
int store_query_events(struct vg_store *s, const struct store_event_query *q,
                       store_event_fn fn, void *ctx);
/* How many events match Q (limit and offset ignored) into *N: 0 / -1. */
int store_count_events(struct vg_store *s, const struct store_event_query *q,
                       uint64_t *n);

/* One event by id (evidence included); 1 found, 0 not, -1 error.  The
 * event's evidence array is malloc'ed: free it with store_event_free. */
int store_get_event(struct vg_store *s, uint64_t id, struct vg_event *ev);
void store_event_free(struct vg_event *ev);

/* Signals of ENT whose bin starts in [from, until], oldest first; an
 * entity not in the database has none (0). */
int store_query_signals(struct vg_store *s, const struct vg_entity *ent,
                        uint32_t from, uint32_t until, store_signal_fn fn,
                        void *ctx);

/* Entities whose text or name contains Q (case-insensitive); NULL = all.
 * fn gets the entity and its name (may be ""). */
typedef int (*store_entity_fn)(void *ctx, const struct vg_entity *e,
                               const char *name);
int store_query_entities(struct vg_store *s, const char *q, uint32_t limit,
                         store_entity_fn fn, void *ctx);
/* The same, only entities of KIND (enum vg_entity_kind; 0 = any), in the
 * order kind, country code, AS number; LIMIT 0 = all. */
int store_find_entities(struct vg_store *s, const char *q, unsigned kind,
                        uint32_t limit, store_entity_fn fn, void *ctx);

/* Time range covered by signals, as the first and last bin_start: 0, or
 * -1 if there are none. */
int store_time_range(struct vg_store *s, uint32_t *first, uint32_t *last);

/* The name of ENT into BUF ("" if it has none): 1 if the entity is in the
 * database, 0 if not, -1 on error. */
int store_entity_name(struct vg_store *s, const struct vg_entity *e,
                      char *buf, size_t len);

/* The latest signal of ENT whose bin starts at or before AT: 1 found (in
 * SIG), 0 none, -1 error. */
int store_signal_at(struct vg_store *s, const struct vg_entity *ent,
                    uint32_t at, struct vg_signal *sig);

/* The same, looking no further back than SINCE (bins starting in
 * [since, at]): what a dense series holds at AT, without searching the
 * whole history of an entity gone quiet. */
int store_signal_between(struct vg_store *s, const struct vg_entity *ent,
                         uint32_t since, uint32_t at, struct vg_signal *sig);

/* The upstream entities of country CC (upstream:CC:*), by AS number; fn as
 * for store_query_entities. */
int store_query_upstreams(struct vg_store *s, const char *cc,
                          store_entity_fn fn, void *ctx);

/* ---- readers that must answer in time (vigil serve) ----
 * Every statement run on S from now until MS milliseconds have passed is
 * interrupted after that (the call fails; store_timed_out says why, and
 * store_error names the limit).  MS 0 removes the deadline.  Set it before
 * each request. */
void store_set_deadline(struct vg_store *s, unsigned ms);
/* 1 if the deadline interrupted a statement since store_set_deadline. */
int store_timed_out(const struct vg_store *s);

/* SQLite's data_version of this connection into *V: it changes when
 * another connection (a writer) has committed since it was last read.
 * 0 / -1. */
int store_data_version(struct vg_store *s, uint64_t *v);

#endif
