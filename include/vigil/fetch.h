/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Getting the data: the archive layouts of RIPE RIS and RouteViews, a
 * planner that picks the files a time range needs, and a downloader.
 *
 * Layouts (BASE is configurable, so a mirror or a file:// tree works):
 *   RIPE RIS    BASE/rrcNN/YYYY.MM/bview.YYYYMMDD.HHMM.gz      RIB, every 8 h
 *               BASE/rrcNN/YYYY.MM/updates.YYYYMMDD.HHMM.gz    every 5 min
 *   RouteViews  BASE/[route-views.NAME/]bgpdata/YYYY.MM/RIBS/rib.YYYYMMDD.HHMM.bz2
 *               (every 2 h) and .../UPDATES/updates.YYYYMMDD.HHMM.bz2 (every
 *               15 min); route-views2 has no collector directory.
 * The cache mirrors these paths below the cache directory, except that
 * route-views2's files go under "route-views2/" (so every cached path names
 * its collector).
 *
 * Planning reads the month directories' listings (any text that names the
 * files: Apache/nginx/python index pages, plain lists), because the old
 * archives do not keep to the nominal times (RouteViews 2008: 0014, 0029,
 * 0146, ...).  Without listings (fetch_opts.no_listing) it plans the nominal
 * slots.  The plan for one collector is the RIB dump at or just before FROM,
 * then every update file from the RIB's time (or FROM if there is none) to
 * UNTIL; intervals no file covers are gaps.  All collectors' items are then
 * ordered by time.
 *
 * The downloader (fetcher_start) runs a libcurl multi loop in a thread:
 * parallel transfers in plan order, resumable (HTTP Range into PATH.part),
 * size checked against Content-Length, integrity checked by decoding the
 * whole file with vg_stream (gzip/bzip2 CRCs) before it is renamed into
 * place, retries with exponential backoff, low-speed and connect timeouts.
 * Files already in the cache are not fetched again.  fetcher_wait() blocks
 * until one item is final, so a consumer can start on the first files while
 * later ones still download.
 */
#ifndef VIGIL_FETCH_H
#define VIGIL_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum fetch_project { FETCH_RIS = 1, FETCH_RV, FETCH_RIR };
enum fetch_kind { FETCH_RIB = 1, FETCH_UPDATES, FETCH_GEO };

#define FETCH_RIS_BASE "https://data.ris.ripe.net"
#define FETCH_RV_BASE "https://archive.routeviews.org"
#define FETCH_URL_MAX 768
#define FETCH_PATH_MAX 1024

/* One collector: its name, archive, cadences and base URL. */
struct fetch_collector {
	char name[32];
	enum fetch_project project;
	uint32_t rib_interval; /* nominal seconds between RIB dumps */
	uint32_t upd_interval; /* ... between update files */
	char base[FETCH_URL_MAX]; /* without a trailing '/' */
};

/*
 * Fill C for collector NAME (rrcNN; route-views2, route-views3,
 * route-views.linx, route-views.sydney, ...) with BASE, or the project's
 * default base if BASE is NULL.  Returns 0, or -1 with a reason in ERR
 * (unknown collector name).
 */
int fetch_collector_init(struct fetch_collector *c, const char *name,
                         const char *base, char *err, size_t errlen);

/* Directory of C's KIND files for month YEAR-MON, relative to the base:
 * "rrc00/2019.01", "bgpdata/2008.02/UPDATES",
 * "route-views.jinx/bgpdata/2015.04/RIBS".  OUT has N bytes. */
void fetch_dir_path(const struct fetch_collector *c, enum fetch_kind kind,
                    int year, int mon, char *out, size_t n);

/* File name of C's KIND file at time T: "bview.20141220.0800.gz",
 * "updates.20080223.0014.bz2", "rib.20150401.0000.bz2". */
void fetch_file_name(const struct fetch_collector *c, enum fetch_kind kind,
                     uint32_t t, char *out, size_t n);

/* URL and cache path (below CACHE) of C's KIND file at time T. */
void fetch_file_url(const struct fetch_collector *c, enum fetch_kind kind,
                    uint32_t t, char *out, size_t n);
void fetch_cache_path(const struct fetch_collector *c, const char *cache,
                      enum fetch_kind kind, uint32_t t, char *out, size_t n);

/*
 * Find the archive file names of C's project in a directory listing TEXT
 * (LEN bytes, any bytes, not NUL-terminated): every "bview."/"updates."
 * name ending in ".gz" (RIS), or "rib."/"updates." name ending in ".bz2"
 * (RouteViews), with a valid date and time.  FN is called once per match
 * (a name that appears twice, as in an HTML href and its text, is
 * reported twice).  Returns the number of matches.
 */
typedef void (*fetch_name_fn)(void *ctx, enum fetch_kind kind, uint32_t t);
size_t fetch_listing_parse(const char *text, size_t len,
                           enum fetch_project project, fetch_name_fn fn,
                           void *ctx);

/* Parse "YYYYMMDD.HHMM" at S into Unix seconds; -1 if not valid. */
int fetch_parse_stamp(const char *s, uint32_t *t);

/* ---- plans -------------------------------------------------------------- */

enum fetch_state {
	FETCH_PENDING = 0, /* not started, or waiting for a retry */
	FETCH_ACTIVE,      /* transferring */
	FETCH_VERIFYING,   /* downloaded, being decoded */
	FETCH_DONE,        /* in the cache, checked (final) */
	FETCH_CACHED,      /* was in the cache already (final) */
	FETCH_MISSING,     /* the archive does not have it: 404 (final) */
	FETCH_FAILED,      /* gave up (final); err says why */
};

struct fetch_item {
	char collector[32];  /* collector, or RIR for FETCH_GEO */
	enum fetch_kind kind;
	uint32_t time;       /* the file's nominal time (from its name) */
	uint32_t interval;   /* its nominal span (update files) */
	uint32_t next_time;  /* start of the collector's next update file,
	                        or 0: the gap a failed file leaves ends there */
	char url[FETCH_URL_MAX];
	char *alt_url;       /* where else it may be (tried when URL is not
	                        found; malloc'ed, owned by the plan), or NULL */
	char path[FETCH_PATH_MAX]; /* in the cache */
	uint32_t seq;        /* order of planning (ties in fetch_plan_sort) */
	/* set by the downloader (read them under fetcher_wait) */
	enum fetch_state state;
	uint64_t bytes;      /* size of the file */
	unsigned attempts;   /* transfers tried */
	unsigned retries;    /* of which retries */
	char err[320];       /* why it is missing or failed; the last retry's
	                        reason otherwise */
};

/* An interval of a collector's time range without update data. */
struct fetch_gap {
	char collector[32];
	uint32_t from, until;
	char reason[96];
};

struct fetch_plan {
	struct fetch_item *items;
	size_t nitems, capitems;
	struct fetch_gap *gaps;
	size_t ngaps, capgaps;
	char notes[8][160]; /* warnings, e.g. no RIB dump before the start */
	unsigned nnotes;
};

void fetch_plan_init(struct fetch_plan *p);
void fetch_plan_free(struct fetch_plan *p);

/*
 * Plan collector C from what its archive holds: RIBS (NRIBS RIB dump
 * times) and UPDS (NUPDS update file times), any order, duplicates
 * allowed.  Adds the latest RIB at or before FROM (if it is less than two
 * RIB intervals old; else a note says there is none), the update file
 * covering the RIB's time (or FROM), every update file before UNTIL, and
 * the gaps from there to UNTIL (an update file is taken to cover its
 * nominal interval, with half an interval of slack).  Cache paths are
 * below CACHE.  Returns 0, or -1 if out of memory.
 */
int fetch_plan_collector(struct fetch_plan *p, const struct fetch_collector *c,
                         const char *cache, const uint32_t *ribs, size_t nribs,
                         const uint32_t *upds, size_t nupds, uint32_t from,
                         uint32_t until);

/* Nominal slots of C's KIND files in [FROM, UNTIL) (FROM rounded down to
 * the cadence), for planning without listings.  *OUT is malloc'ed. */
int fetch_slots(const struct fetch_collector *c, enum fetch_kind kind,
                uint32_t from, uint32_t until, uint32_t **out, size_t *n);

/* Order the items by time (RIB dumps first at equal times, then in the
 * order the collectors were planned). */
void fetch_plan_sort(struct fetch_plan *p);

/* Add one gap (merged with an adjacent or overlapping gap of the same
 * collector).  0, or -1 if out of memory. */
int fetch_plan_add_gap(struct fetch_plan *p, const char *collector,
                       uint32_t from, uint32_t until, const char *reason);

/* ---- network ------------------------------------------------------------ */

struct fetch_opts {
	const char *cache;        /* cache directory ("vigil-cache") */
	unsigned jobs;            /* parallel transfers (4) */
	unsigned retries;         /* retries per file after the first try (5) */
	unsigned retry_wait_ms;   /* first backoff; doubles each retry (1000) */
	unsigned timeout;         /* seconds below 1 byte/s before a transfer
	                             is abandoned as hung (60) */
	unsigned connect_timeout; /* seconds (30) */
	int no_listing;           /* plan nominal slots, no directory reads */
	int quiet;                /* no progress lines on LOG */
	FILE *log;                /* retries, missing files (stderr) */
	const char *rir_base[5];  /* --geo bases by RIR (NULL: defaults) */
};

void fetch_opts_default(struct fetch_opts *o);

/*
 * Plan the NC collectors CS over [FROM, UNTIL): read the month listings
 * (with O's retries and timeouts) and call fetch_plan_collector for each,
 * then sort.  A month directory that does not exist (404) has no files.
 * Returns 0, or -1 with a reason in ERR (a listing that could not be read
 * after the retries, out of memory).
 */
int fetch_plan_build(struct fetch_plan *p, const struct fetch_opts *o,
                     const struct fetch_collector *cs, size_t nc,
                     uint32_t from, uint32_t until, char *err, size_t errlen);

/* The RIRs' extended delegation files of day DAY (Unix seconds, any time
 * of the day): afrinic, apnic, arin, lacnic, ripencc. */
#define FETCH_NRIR 5
extern const char *const fetch_rir_names[FETCH_NRIR];
/* Add them to P (kind FETCH_GEO, cache CACHE/geo/RIR/FILE; ARIN's older
 * files, moved to archive/YYYY/, as the alternative URL).  0 / -1. */
int fetch_plan_geo(struct fetch_plan *p, const struct fetch_opts *o,
                   uint32_t day);
/* Cache path of RIR's (index into fetch_rir_names) file of DAY. */
void fetch_geo_path(const char *cache, unsigned rir, uint32_t day, char *out,
                    size_t n);

struct fetcher;

/*
 * Start downloading P's items (P must outlive the fetcher; the downloader
 * writes the items' state fields).  Items already in the cache become
 * FETCH_CACHED at once.  Returns NULL with a reason in ERR on failure.
 */
struct fetcher *fetcher_start(struct fetch_plan *p, const struct fetch_opts *o,
                              char *err, size_t errlen);

/* Block until item I is final; returns its state (FETCH_DONE,
 * FETCH_CACHED, FETCH_MISSING or FETCH_FAILED). */
enum fetch_state fetcher_wait(struct fetcher *f, size_t i);

/* Item I's state now, without waiting. */
enum fetch_state fetcher_state(struct fetcher *f, size_t i);

/* Stop (transfers in flight are abandoned, their .part files kept for a
 * later resume), join the threads and free.  NULL is fine. */
void fetcher_free(struct fetcher *f);

/* "done", "cached", "missing", ... */
const char *fetch_state_name(enum fetch_state s);

#endif
