/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private structures of the observatory (obs.c) and its detectors
 * (detector.c).  Not part of the public API.
 */
#ifndef VIGIL_DETECT_IMPL_H
#define VIGIL_DETECT_IMPL_H

#include <stdint.h>

#include "vigil/obs.h"
#include "vigil/partial.h"

#define OBS_MAX_CC 4    /* countries one prefix is attributed to */
#define OBS_MAX_MEMB 6 /* origin/upstream entities of one prefix */

/* Detector state of one entity (allocated when it first has data). */
struct det {
	/* The history of the last n bins (n <= window_bins).  Visibility:
	 * the ring hist, allocated when the history first holds two values
	 * (until then it is lastv, n times: on the bench day only 678 of
	 * 54.7k entities ever needed one).  Instability counts: only the
	 * non-zero ones, oldest first, in the ring inzs (innz of them from
	 * inz_head) with the push (t) that brought each; most counts are
	 * zero (on the bench day 541k entries of capacity in all, against
	 * 15.7 M bins of history). */
	uint32_t *hist;     /* visibility metric, ring of window_bins, or NULL */
	struct det_inz {
		uint32_t t, x;
	} *inzs;
	uint32_t cap_inz;   /* inzs' capacity, a power of two (or 0) */
	uint32_t inz_head;
	uint32_t inz_t0;    /* inzs[inz_head].t, if innz > 0 */
	uint32_t t;         /* pushes so far (the clock of inzs) */
	uint32_t win;       /* window_bins */
	uint32_t lastv;     /* the latest visibility value (if n > 0) */
	uint32_t n;         /* entries filled (<= window) */
	uint32_t pos;       /* next write position */
	uint32_t same_run;  /* latest bins equal to the one before them */
	uint32_t inz;       /* latest bins with a zero instability count */
	uint32_t innz;      /* non-zero instability counts in the history */
	uint8_t use_v6;     /* metric is v6 units (entity has no IPv4) */
	uint8_t seen_v4;
	double base;        /* cached baseline */
	uint32_t base_age;  /* bins since the baseline was computed */
	double imed, imad;  /* cached instability median / MAD */
	double ip95;        /* and 95th percentile */
	uint32_t iage;
	/* outage */
	uint32_t pend;      /* consecutive bins below the warning level */
	uint32_t pend_start;
	double pend_min;
	struct vg_event out; /* the open outage (out.id != 0) */
	double frozen_base;
	/* instability */
	struct vg_event inst; /* the open instability episode */
	uint32_t quiet;       /* bins since the last flagged one */
	uint32_t iflags;      /* flagged bins in the current episode; it
	                         becomes an event at inst_min_bins */
	uint8_t flagged_now;  /* this bin was flagged */
	uint32_t last_flag;   /* start of the last flagged bin */
	/* parked (see det_park): the bins from lazy_from on were skipped
	 * and are replayed by det_catch_up before the next det_bin */
	uint8_t lazy;
	uint32_t lazy_from;   /* bin index */
};

struct ent {
	uint64_t key;
	struct vg_entity id;
	geo_cc cc;
	uint8_t dirty;   /* a member's visibility changed: recount */
	uint8_t active;  /* has had data: emit signals */
	uint8_t touched; /* counters non-zero this bin */
	uint8_t changed; /* recounted this bin */
	uint32_t *mem;   /* member prefix ids */
	uint32_t nmem, capmem;
	/* countries: IPv6 members apart, and counts kept as prefixes change
	 * (a big country is not recounted member by member every bin) */
	uint32_t *mem6;
	uint32_t nmem6, capmem6;
	int64_t inc_npfx, inc_norig;
	uint32_t ann, wd, pc, flaps;
	uint32_t flap_events; /* re-announcements within a bin length of a
	                         withdrawal, and the reverse */
	uint32_t unstable;    /* distinct prefixes with a flap or a path
	                         change in the bin: the instability count */
	uint64_t v4, v6;
	uint32_t npfx, norig;
	uint32_t stamp;
	uint64_t last_v4, last_v6; /* values last emitted */
	uint32_t last_emit_npfx, last_emit_norig;
	struct det *det;
};

struct opfx {
	uint8_t init;
	uint8_t ncc;
	uint8_t nmemb;
	geo_cc cc[OBS_MAX_CC];
	uint32_t cc_ent[OBS_MAX_CC];
	uint32_t memb[OBS_MAX_MEMB]; /* origin and upstream entities */
	uint8_t psent;               /* partial: a summary was written */
	uint8_t mdirty;              /* merge: a partial's state changed */
	uint32_t touch_bin;          /* partial: bin index + 1 when last
	                                listed as touched */
	uint64_t psum;               /* partial: hash of the summary last
	                                written */
	uint32_t sample_path;        /* a path it had (referenced) */
	uint32_t last_visible;       /* end of the last bin it was visible */
	uint32_t counted_origin;     /* origin its countries count it for */
	uint32_t lost_at;            /* start of the bin it went invisible */
};

/* Per interned path: its upstream for one country, and the entity ids of
 * its origin and of that upstream (so an element costs no hash lookup). */
struct path_up {
	geo_cc cc;        /* the country UP is for; PUP_NO_CC none yet */
	uint32_t up;
	uint32_t org_ent; /* +1; 0 = not looked up; PUP_NONE: no origin */
	uint32_t up_ent;  /* +1; 0 = not looked up */
};
/* An entry is zeroed when its path is freed (rib_on_path_free): zero is
 * "nothing known", so these mark what is known to be absent. */
#define PUP_NO_CC 0xffff
#define PUP_NONE UINT32_MAX

/* Merge: one partial's last word on a prefix (VGP_PFX). */
struct mpart {
	uint16_t part;
	uint8_t flags;               /* VGP_PRESENT, VGP_COUNTS, VGP_SAMPLE */
	uint8_t nmemb;
	uint32_t peer;               /* sample route's peer (merge index) */
	uint32_t path;               /* sample path (referenced) */
	uint32_t nasn;
	uint32_t *asns;              /* seeing full-feed peer ASNs, sorted */
	uint64_t memb[OBS_MAX_MEMB]; /* smallest membership keys */
};

struct mpfx {
	struct mpart *e;
	uint32_t n, cap;
};

enum obs_mode { OBS_SINGLE = 0, OBS_PARTIAL, OBS_MERGE };

struct ivl {
	uint64_t first, n;
};

/* Lookahead (obs_set_lookahead): route elements wait in a ring of
 * OBS_AHEAD copies while what they will touch is fetched (rib_prefetch),
 * and are applied in arrival order.  A path longer than these arrays is
 * not held: the ring is drained and that element applied at once. */
#define OBS_AHEAD 16
#define OBS_AHEAD_ASNS 48
#define OBS_AHEAD_SEGS 8
struct obs_ahead {
	struct vg_elem e;
	struct bgp_path path;
	struct rib_hint hint;
	char coll[32];
	uint32_t asn[OBS_AHEAD_ASNS];
	uint32_t seg_len[OBS_AHEAD_SEGS];
	uint8_t seg_type[OBS_AHEAD_SEGS];
};

struct obs {
	struct obs_opts o;
	struct obs_sink sink;
	const struct geo_db *geo;
	struct rib *rib;

	struct obs_ahead *ahead; /* ring, NULL without lookahead */
	unsigned ahead_head, ahead_n;
	int ahead_err;           /* a held element failed: tell the caller */

	struct ent *ents;
	uint32_t nents, cap_ents;
	uint32_t *ent_slots;
	uint32_t ent_mask;
	uint32_t *order; /* entity ids sorted by entity */
	uint32_t norder, cap_order;
	int order_dirty;
	uint32_t stamp;

	struct opfx *opfx; /* by rib prefix id */
	uint32_t cap_opfx;
	struct path_up *pup; /* by rib path id */
	uint32_t cap_pup;

	/* IPv4 address space by /24 unit: how many visible prefixes cover
	 * it, and its country; countries' visible /24s are kept up to date
	 * from these as prefixes change, instead of recounted */
	uint16_t *cov4;
	geo_cc *cc4;
	int64_t *cc_v4; /* by geo_cc */

	/* (country entity, origin AS) -> visible prefixes, for the
	 * countries' distinct origin counts */
	struct org_slot {
		uint64_t key;
		uint32_t count;
	} *orgs;
	uint32_t norgs, org_mask;

	struct ivl *iv4, *iv6;
	uint32_t niv4, niv6, capiv4, capiv6;

	struct vg_signal *sig; /* this bin's signals */
	uint32_t nsig, capsig;
	struct vg_evidence *ev_scratch;
	uint32_t cap_ev;

	/* the peer of the last element: consecutive elements mostly share
	 * it (one UPDATE, one RIB record) */
	struct peer_cache {
		char coll[32];
		struct vg_addr addr;
		uint32_t asn;
		int peer; /* -1: empty */
	} pcache[64];

	/* (prefix, entity) pairs counted as flapping or unstable in this
	 * bin: each prefix counts once per entity, however many peers and
	 * collectors saw it (order-free, so partial runs merge exactly) */
	struct fset_slot {
		uint64_t key; /* (prefix << 32 | entity) + 1; 0 empty */
		uint8_t bits;
	} *fset;
	uint32_t nfset, fset_mask;
	/* peers in the canonical order (rib_peer_cmp) */
	uint32_t *prank;
	uint32_t nprank;

	int mode; /* enum obs_mode */
	/* partial */
	struct vgp_writer *pw;
	uint32_t *touched;
	uint32_t ntouched, cap_touched;
	uint32_t peers_sent;
	uint64_t full_sent[3];
	uint32_t *scratch;
	uint32_t cap_scratch;
	int pw_err;
	/* merge */
	struct mpfx *mp;
	uint32_t cap_mp;
	struct rib_peer *mpeers;
	uint32_t nmpeers, cap_mpeers;
	struct mpmap {
		uint32_t *g; /* local peer id -> merge index + 1 */
		uint32_t cap;
		uint32_t *full[3];
		uint32_t nfull[3];
	} *mparts;
	uint32_t nparts;
	unsigned mdenom[3];
	int mdenom_changed;
	uint32_t *mdirty;
	uint32_t nmdirty, cap_mdirty;

	/* intervals without data (obs_gap): bins there are not evaluated */
	struct obs_gap_ivl {
		uint32_t from, until;
	} *gaps;
	uint32_t ngaps, capgaps;

	int started;
	uint32_t bin_end;
	uint32_t bin_index;
	uint64_t elems, bins, signals, ignored;
	uint64_t bytes_ents;   /* entities' member arrays and detector
	                          state, kept as they grow (obs_stats is
	                          read every bin) */
	uint64_t next_event_id;

	/* Idle entities are parked (det_park) and skipped by close_bin until
	 * something of theirs changes (ent_wake) or a keyframe bin comes:
	 * parked[ei] is 1 while entity EI is skipped; nojudge[bin index] has
	 * bit 0 (1) set when the bin was not judged for IPv4 (IPv6): a gap
	 * in the data or no full-feed peer up. */
	uint8_t *parked;
	uint32_t cap_parked;
	uint32_t *visit;     /* close_bin: the entities it looks at */
	uint32_t cap_visit;
	uint8_t *nojudge;
	uint32_t cap_nojudge;
};

/* Something of entity EI changed (members, counters): it is looked at in
 * the next bin. */
static inline void
ent_wake(struct obs *ob, uint32_t ei)
{
	if (ei < ob->cap_parked)
		ob->parked[ei] = 0;
}

uint32_t obs_ent(struct obs *ob, unsigned kind, geo_cc cc, uint32_t asn);
uint32_t obs_ent_find(const struct obs *ob, unsigned kind, geo_cc cc,
                      uint32_t asn);
uint32_t obs_path_upstream(struct obs *ob, uint32_t path, geo_cc cc);
/* Full-feed up peer ASNs of AFI (the visibility denominator). */
unsigned obs_full_asns(const struct obs *ob, unsigned afi);

/* detector.c: run the detectors for entity EI at the end of the bin that
 * started at BIN_START, and append its signal to ob->sig. */
void det_bin(struct obs *ob, uint32_t ei, uint32_t bin_start);
/* Does [FROM, UNTIL) overlap a gap in the data (obs_gap)? */
int obs_in_gap(const struct obs *ob, uint32_t from, uint32_t until);
void det_free(struct ent *e);
/* End of the data at DATA_END: re-emit the entity's open events with
 * their severity so far (they stay open). */
void det_finish(struct obs *ob, uint32_t ei, uint32_t data_end);
uint64_t det_memory(const struct ent *e);
/* Does the bin that starts at BIN_START get a signal row for every
 * entity (a keyframe)? */
int det_keyframe(const struct obs *ob, uint32_t bin_start);
/* After det_bin: park entity EI if it is idle in a way that the next bins
 * cannot change unless the entity itself changes (no open or pending
 * event, a constant visibility history equal to its current value, no
 * instability in the window).  Its detector state then only advances by
 * pushing that value once per judged bin, which det_catch_up does, in
 * O(bins), when the entity is next looked at.  NEXT_BIN is the index of
 * the first bin skipped.  Returns 1 if parked. */
int det_park(struct obs *ob, uint32_t ei, uint32_t next_bin);
/* Replay the bins skipped since EI was parked, up to bin index UPTO
 * (excluded); no-op if it is not parked.  The state is exactly what
 * det_bin on each of those bins would have left. */
void det_catch_up(struct obs *ob, uint32_t ei, uint32_t upto);

#endif
