/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Scripted routing scenarios built from real data, so the outage detector
 * can be proven against a known truth.  One real full-table BGP session
 * (an MRT file) is cloned to N collector peers; a small text spec scripts
 * events (outages, partial outages, flaps, path changes, session drops,
 * table re-sends) over background churn, deterministically from a seed.
 * The output directory gets what a RIPE RIS collector would have written
 * (bview.YYYYMMDD.HHMM.gz at the start, updates.YYYYMMDD.HHMM.gz every 5
 * minutes, BGP4MP_ET) plus truth.json listing every scripted event.
 *
 * Spec syntax, one statement per line, '#' starts a comment:
 *
 *   seed N                  PRNG seed (default 1)
 *   start TIME              scenario start (ISO 8601 UTC, e.g.
 *                           2015-10-23T00:00:00Z, or Unix seconds)
 *   duration DUR            length: 90s, 10m, 2h, 1d, 1h30m (default 24h)
 *   source PATH             MRT file with the full-table session to clone
 *                           ($VAR / ${VAR} are expanded)
 *   source-peer ADDR        its peer to take (default: the peer with the
 *                           most announcements)
 *   peers N                 collector peers (default 12, at most 500)
 *   peer-asns A,B,...       their ASNs (default 65536, 65537, ... (RFC 5398), 4200000016+ past 16 peers)
 *   v6-peers K              the last K peers have IPv6 session addresses
 *   partial-peers K fraction F
 *                           the first K peers after the full-feed ones
 *                           (i.e. peers N-K+1..N) carry only a fraction F
 *                           of the prefixes
 *   churn R/min             background churn: R prefix events per minute
 *                           (also R/s, R/h) at random peers: withdraw and
 *                           re-announce, path change and back, duplicate
 *                           announcement.  Never touches the prefixes of a
 *                           scripted event, so the truth stays exact.
 *   jitter DUR              peers react to one event within this spread
 *                           (default 30s)
 *   rib-interval DUR        also dump a bview every DUR (default: only at
 *                           the start)
 *   collectors N            deal the peers round-robin over N collectors
 *                           (1..16): OUTDIR/rrc00, rrc01, ... each get
 *                           their own bview and update files (default 1:
 *                           every file in OUTDIR)
 *   compress gzip|none      output compression (default gzip)
 *   level N                 gzip level 1..9 (default 6)
 *
 * Events (TIME may also be +DUR, relative to start; peers are numbered
 * from 1):
 *
 *   outage SEL [fraction F] [peers LIST] from TIME until TIME
 *   partial-outage ...      same; "outage" with fraction < 1 is one too
 *   flap SEL [fraction F] [peers LIST] every DUR [down DUR]
 *        from TIME until TIME
 *                           withdraw at each period start, re-announce
 *                           DOWN later (default half the period)
 *   pathchange SEL [fraction F] [peers LIST] every DUR from TIME until TIME
 *                           switch to another AS path every period, back
 *                           to the original at the end
 *   session-drop peer I from TIME until TIME    (or "at TIME")
 *                           STATE_CHANGE Established->Idle, then back up
 *                           (Idle->Connect->OpenSent->OpenConfirm->
 *                           Established) and the whole table re-sent
 *   table-resend peer I at TIME
 *                           the peer re-announces its whole table
 *
 * SEL is one or more of: origin ASN (alias prefixes-of-origin ASN): routes
 * whose AS path ends in ASN; upstream ASN: routes whose path holds ASN
 * before the origin; prefix P[,P...]: these prefixes and every more
 * specific one of the table.  Terms AND together; "fraction F" then keeps
 * a seeded random part of the matching prefixes.
 */
#ifndef VIGIL_SCENARIO_H
#define VIGIL_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/addr.h"

enum scenario_kind {
	SCENARIO_OUTAGE = 1,
	SCENARIO_FLAP,
	SCENARIO_PATHCHANGE,
	SCENARIO_SESSION_DROP,
	SCENARIO_TABLE_RESEND,
};

/* Which prefixes an event touches; zero fields match everything. */
struct scenario_selector {
	uint32_t origin;           /* origin AS, 0 = any */
	uint32_t upstream;         /* AS on the path before the origin */
	struct vg_prefix *prefixes; /* and their more-specifics, owned */
	uint32_t n_prefixes;
	double fraction;           /* (0, 1]; the part of the matches taken */
};

struct scenario_event {
	enum scenario_kind kind;
	struct scenario_selector sel;
	int64_t start, end;   /* Unix seconds; end == start for table-resend */
	uint32_t every;       /* flap / pathchange period, seconds */
	uint32_t down;        /* flap: seconds withdrawn per period */
	uint32_t *peers;      /* 1-based peer numbers, owned; none = all */
	uint32_t n_peers;
	unsigned line;        /* line in the spec */
};

struct scenario_spec {
	uint64_t seed;
	int64_t start;        /* Unix seconds */
	uint32_t duration;    /* seconds */
	char *source;         /* owned */
	struct vg_addr source_peer; /* afi 0: the busiest peer */
	uint32_t n_peers;
	uint32_t *peer_asns;  /* owned, n_peer_asns of them, may be NULL */
	uint32_t n_peer_asns;
	uint32_t v6_peers;
	uint32_t partial_peers;
	double partial_fraction;
	double churn_per_min;
	uint32_t jitter;      /* seconds */
	uint32_t rib_interval; /* seconds, 0 = one bview at the start */
	uint32_t collectors;  /* peers dealt over this many collectors
	                         (OUTDIR/rrc00, rrc01, ...); 0/1 = one */
	int gzip;             /* 1 (default) or 0 */
	int level;            /* 1..9 */
	struct scenario_event *events; /* owned */
	uint32_t n_events;
};

/* Defaults: seed 1, 24 hours, 12 peers, jitter 30 s, gzip level 6. */
void scenario_spec_init(struct scenario_spec *s);
void scenario_spec_destroy(struct scenario_spec *s);

/*
 * Parse spec TEXT (NAME is used in messages) into S, which must have been
 * set up with scenario_spec_init().  Returns 0, or -1 with "NAME:LINE:
 * reason" in ERR.
 */
int scenario_spec_parse(struct scenario_spec *s, const char *text,
                        const char *name, char *err, size_t errlen);

/* Read and parse the spec file PATH.  0 / -1 as above. */
int scenario_spec_load(struct scenario_spec *s, const char *path, char *err,
                       size_t errlen);

/* What scenario_build() did. */
struct scenario_stats {
	uint64_t source_elems;    /* elements read from the source file */
	uint32_t prefixes;        /* in the cloned table */
	uint32_t prefixes_v6;
	uint32_t attr_sets;       /* distinct attribute sets of the source */
	struct vg_addr source_peer;
	uint32_t source_peer_asn;
	uint64_t rib_entries;     /* over every bview written */
	uint32_t rib_files;
	uint32_t update_files;
	uint64_t update_messages;
	uint64_t announcements;   /* prefix announcements in updates */
	uint64_t withdrawals;
	uint64_t state_changes;
	uint64_t churn_events;
	uint64_t actions;         /* scheduled route actions */
	uint64_t bytes_raw;       /* MRT bytes before compression */
	size_t mem_bytes;         /* the builder's own large allocations */
	double sec_load, sec_rib, sec_updates;
};

/* Progress messages ("loading source", "writing bview ...") for a CLI. */
typedef void (*scenario_progress_fn)(void *ctx, const char *msg);

/*
 * Build the scenario of S into directory OUTDIR (created if missing;
 * files of the same names are replaced).  Returns 0, or -1 with the
 * reason in ERR.  ST may be NULL; PROGRESS may be NULL.  The first bview
 * is written by a helper thread while the updates are (zlib is most of
 * the work); it is joined before the function returns.  Memory: about
 * 5 bytes per (peer, prefix) plus the source table (~150 MB for 12 peers
 * x 577k prefixes).
 */
int scenario_build(const struct scenario_spec *s, const char *outdir,
                   struct scenario_stats *st, scenario_progress_fn progress,
                   void *ctx, char *err, size_t errlen);

/* "outage", "partial-outage", "flap", ... for truth.json. */
const char *scenario_kind_name(enum scenario_kind k, double depth);

#endif
