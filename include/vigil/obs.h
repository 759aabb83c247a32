/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The observatory: routing elements in, per-entity signals and events out.
 *
 * Feed it elements in time order (obs_elem) from any number of collectors;
 * it keeps the routing state (struct rib), attributes every prefix to its
 * entities (countries by geolocation of its address space, origin ASes,
 * and for each country the upstream AS its routes cross), and at the end
 * of every time bin computes each entity's signal (visible /24s and /48s,
 * prefixes, origins, announcements, withdrawals, path changes, flaps) and
 * runs the detectors.  Results go to the sink callbacks.  Everything is
 * deterministic: entities are visited in a fixed order.
 */
#ifndef VIGIL_OBS_H
#define VIGIL_OBS_H

#include <stdint.h>

#include "vigil/elem.h"
#include "vigil/entity.h"
#include "vigil/geo.h"
#include "vigil/rib.h"

struct obs_opts {
	uint32_t bin_len;        /* seconds, default 300 */
	uint8_t min_len_v4;      /* shorter IPv4 prefixes (a leaked default
	                            route) are ignored: 8 */
	uint8_t min_len_v6;      /* likewise for IPv6: 16 */
	struct rib_opts rib;
	/* outage detector */
	uint32_t window_bins;    /* baseline window, default 288 (24 h) */
	uint32_t warmup_bins;    /* bins of history before detecting, 12 */
	double outage_warning;   /* fraction of the baseline lost, 0.2 */
	double outage_critical;  /* 0.5 */
	double restore_ratio;    /* back above (1 - warning * this), 0.5 */
	uint32_t min_bins;       /* bins a drop must last, default 2 */
	double min_units;        /* smallest baseline considered, 1 */
	/* instability detector */
	double inst_score;       /* robust z to flag a bin, default 3 */
	double inst_critical;    /* robust z for critical, default 10 */
	uint32_t inst_min;       /* unstable prefixes in a bin to flag it, 2 */
	double inst_share;       /* ... and at least this share of the
	                            entity's visible prefixes, 0.25 */
	uint32_t inst_gap_bins;  /* quiet bins that end an episode, 3 */
	uint32_t inst_min_bins;  /* flagged bins before an episode is an
	                            event (a lone burst is not), 3 */
	uint32_t evidence_max;   /* evidence items kept per event, 256 */
	int asn_entities;        /* track origin-AS entities, default 1 */
	int upstream_outages;    /* raise outage events for upstream
	                            entities too (default 0: their signals
	                            are evidence for country events; routes
	                            moving between upstreams is no outage) */
	int eager;               /* run every entity's detectors in every bin,
	                            and re-derive every prefix in full when
	                            the full-feed peers change (default 0:
	                            idle entities are skipped and caught up
	                            exactly, and a prefix whose routes did not
	                            change only gets its visibility and
	                            sample route again; for checking that) */
};

void obs_opts_default(struct obs_opts *o);

/* Where results go.  Callbacks may be NULL. */
struct obs_sink {
	void *ctx;
	/* the signals of one bin, sorted by entity */
	void (*signals)(void *ctx, const struct vg_signal *s, size_t n);
	/* an event opened, changed (deeper, more evidence) or closed */
	void (*event)(void *ctx, const struct vg_event *ev);
	/* a new entity seen (for names) */
	void (*entity)(void *ctx, const struct vg_entity *e, const char *name);
};

struct obs;

/* GEO must stay valid for the observatory's life. */
struct obs *obs_new(const struct obs_opts *o, const struct geo_db *geo,
                    const struct obs_sink *sink);
void obs_free(struct obs *ob);

/* One element from COLLECTOR.  Elements older than the current bin are
 * applied to the state but counted in the current bin.  0, -1 (memory). */
int obs_elem(struct obs *ob, const char *collector, const struct vg_elem *e);

/*
 * Lookahead: obs_elem may hold up to a few route elements (copied) and
 * apply them a little later, in order, having fetched what they touch
 * meanwhile (several elements' cache misses overlap).  Results are the
 * same; the routing state (obs_rib) lags by the held elements until
 * obs_flush, and every other obs_ call applies them first.  For feeds
 * that look at the state between elements (the live collector), leave
 * it off.  0, or -1 (memory).
 */
int obs_set_lookahead(struct obs *ob, int on);
/* Apply the elements held by the lookahead. */
void obs_flush(struct obs *ob);

/* A TABLE_DUMP_V2 RIB dump of COLLECTOR starts / ends. */
void obs_dump_begin(struct obs *ob, const char *collector);
void obs_dump_end(struct obs *ob, const char *collector);

/*
 * The input has no data from [FROM, UNTIL) (a collector's archive is
 * missing files): bins that overlap it are not evaluated by the detectors
 * (no outage or instability opens, changes or ends in them, and they do
 * not enter the baselines); their signals are still written.  Tell the
 * observatory before its bins reach FROM.  0, or -1 (memory).
 */
int obs_gap(struct obs *ob, uint32_t from, uint32_t until);

/* Close every bin that ends at or before T. */
void obs_advance(struct obs *ob, uint32_t t);

/* Close the current bin (end of input).  Open events stay open: the end
 * of the data is not a restoration. */
void obs_finish(struct obs *ob);

struct obs_stats {
	uint64_t elems, bins, events, signals;
	uint64_t entities;
	struct rib_stats rib;
	uint64_t bytes_obs;
};
void obs_stats(const struct obs *ob, struct obs_stats *st);

/* ---- splitting the work by collector (docs/partials.md) ---- */

struct vgp_writer;
struct vgp_hdr;
struct vgp_rec;

/* Partial mode, set before the first element: instead of signals and
 * events, each closed bin writes its partial counts to W (signals and
 * event callbacks are not called). */
int obs_set_partial(struct obs *ob, struct vgp_writer *w);
/* The header a partial file of this observatory carries. */
void obs_partial_hdr(const struct obs *ob, struct vgp_hdr *h);
/* Did writing the partial fail? */
int obs_partial_error(const struct obs *ob);

/* Merge mode for NPARTS partial files, set before anything else: feed
 * each bin's records of every partial (obs_merge_rec) after announcing
 * the bin (obs_merge_bin, bins in increasing order); obs_finish at the
 * end.  Signals and events come out exactly as one process reading all
 * the partials' input would give them. */
int obs_set_merge(struct obs *ob, unsigned nparts);
/* The records that follow belong to the bin starting at BIN_START (bins
 * before it are closed).  0, or -1 if the bin is misaligned or past. */
int obs_merge_bin(struct obs *ob, uint32_t bin_start);
/* One record of partial PART.  0; -1 out of memory; -2 inconsistent
 * input (a sample route of an unknown peer, a malformed path). */
int obs_merge_rec(struct obs *ob, unsigned part, const struct vgp_rec *r);

/* The routing state (read-only use). */
struct rib *obs_rib(struct obs *ob);

#endif
