/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Routing state: every collector peer's routes, built from RIB dumps and
 * updates, and the visibility of each prefix across full-feed peers.
 *
 *  - Peers are identified by (collector, peer address, peer AS).
 *  - Prefixes live in one table (hash on the prefix); each holds a small
 *    array of routes (peer, AS path); AS paths are interned with reference
 *    counts, so a route costs 8 bytes plus its share of the array.
 *  - A session leaving Established keeps the peer's routes but marks the
 *    peer down: a down peer counts neither for nor against visibility.
 *    When it comes back, routes it does not re-announce within the grace
 *    period are dropped (as RFC 4724 treats stale routes).  So a flapping
 *    session or a re-sent table changes nothing that was not changed.
 *  - A RIB dump resynchronises its collector: routes of the dump's peers
 *    that the dump does not contain are dropped when the dump ends.
 *  - A peer is full-feed for IPv4 (IPv6) when it holds at least
 *    full_v4 (full_v6) routes of that family.  A prefix is visible when at
 *    least visible_ratio of the distinct ASNs of the full-feed peers that
 *    are up route it (IODA counts ASNs, not sessions).
 *
 * Changes are reported to the caller per element (rib_apply) and per
 * prefix (the dirty list), so the observatory can count events and
 * recompute only what changed.
 */
#ifndef VIGIL_RIB_H
#define VIGIL_RIB_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/addr.h"
#include "vigil/bgp.h"
#include "vigil/elem.h"

struct rib_opts {
	uint32_t full_v4;     /* default 400000 */
	uint32_t full_v6;     /* default 10000 */
	double visible_ratio; /* default 0.5 */
	uint32_t stale_grace; /* seconds, default 900 */
};

void rib_opts_default(struct rib_opts *o);

struct rib_route {
	uint16_t peer;
	uint16_t gen;  /* the peer's session generation that confirmed it */
	uint32_t path; /* interned path id */
};

/* Prefix flags */
#define RIB_PFX_DIRTY 0x01   /* routes changed since the last recompute */
#define RIB_PFX_VISIBLE 0x02 /* visible after the last recompute */
#define RIB_PFX_UNLISTED 0x04 /* routes changed, but out of memory to list
                                 it dirty (recomputed on the next sweep) */

struct rib_pfx {
	struct vg_prefix p;
	uint8_t flags;
	uint16_t nroutes, cap;
	uint16_t seen_asns;  /* distinct full-feed up ASNs routing it */
	uint32_t last_wd;    /* time of the last withdrawal (any collector;
	                        flaps are timed per collector inside) */
	uint32_t last_ann;   /* time of the last announcement */
	struct rib_route *routes;
	uint32_t user;       /* free for the caller (observatory slot) */
};

struct rib_peer {
	char collector[32];
	struct vg_addr addr;
	uint32_t asn;
	uint16_t asn_idx;   /* dense index of asn among all peers */
	uint16_t coll;      /* dense index of the collector */
	uint16_t gen;       /* session generation */
	uint8_t up;
	uint8_t full_v4, full_v6;
	uint8_t in_dump;    /* routes being refreshed by a RIB dump */
	uint32_t n_v4, n_v6;   /* routes held */
	uint32_t n_cur;        /* of those, routes of the current gen (when
	                          it is n_v4 + n_v6, none is unconfirmed) */
	uint32_t up_since;     /* when the session came up (for the grace) */
	uint32_t last_change;
	int stale_pending;     /* unconfirmed routes may remain */
	uint32_t last_path;    /* path of its last announcement (a cache) */
	uint8_t dumping;       /* between rib_dump_begin and _end of its
	                          collector */
};

enum rib_change {
	RIB_NONE = 0,
	RIB_NEW,     /* a route the peer did not have */
	RIB_PATH,    /* the peer's path for the prefix changed */
	RIB_DUP,     /* the same route again (or a stale one confirmed) */
	RIB_WD,      /* the peer's route was removed */
	RIB_WD_NONE, /* withdrawal of a route the peer did not have */
};

struct rib_change_info {
	uint8_t change;    /* enum rib_change */
	uint8_t flap;      /* the prefix was withdrawn and re-announced (or
	                      the reverse) at the peer's collector within
	                      FLAP_WINDOW */
	uint32_t pfx;      /* prefix id */
	uint32_t old_path; /* path before (0 if none) */
	uint32_t new_path; /* path after (0 if withdrawn) */
};

struct rib;

struct rib *rib_new(const struct rib_opts *o);
void rib_free(struct rib *r);

/* The peer id for (collector, addr, asn), created on first use; -1 if the
 * peer table is full (65535 peers). */
int rib_peer_id(struct rib *r, const char *collector,
                const struct vg_addr *addr, uint32_t asn);
const struct rib_peer *rib_peer(const struct rib *r, unsigned id);
unsigned rib_npeers(const struct rib *r);

/*
 * Fetch ahead what rib_apply of a route to prefix P with path BP (NULL for
 * a withdrawal) will read, in three stages run some elements apart, so the
 * cache misses of several elements overlap: stage 0 computes the hashes
 * into H and fetches their hash slots; stage 1 the prefix and path the
 * slots hold; stage 2 the prefix's routes and the path's ASNs, and sets
 * H->pfx (the prefix id, UINT32_MAX if not found) for side tables.  Only
 * reads; the state may change in between (the hint is then just wasted).
 */
struct rib_hint {
	uint32_t pfx_hash, path_hash;
	uint32_t pfx, path; /* ids found, UINT32_MAX if none (yet) */
};
void rib_prefetch(const struct rib *r, const struct vg_prefix *p,
                  const struct bgp_path *bp, struct rib_hint *h, int stage);

/*
 * Apply a RIB entry, announcement or withdrawal of PEER (E->type).  FLAP
 * detection uses FLAP_WINDOW seconds (the bin length).  Returns 0, or -1
 * out of memory.
 */
int rib_apply(struct rib *r, unsigned peer, const struct vg_elem *e,
              uint32_t flap_window, struct rib_change_info *out);
/* rib_apply with the hashes rib_prefetch computed into HINT (stage 0 at
 * least, for this very element), or none (NULL). */
int rib_apply_h(struct rib *r, unsigned peer, const struct vg_elem *e,
                uint32_t flap_window, struct rib_change_info *out,
                const struct rib_hint *hint);

/* A session state change of PEER at time T (MRT STATE_CHANGE). */
void rib_peer_state(struct rib *r, unsigned peer, unsigned new_state,
                    uint32_t t);

/* A RIB dump of COLLECTOR starts / ends.  Between the two, rib_apply of
 * RIB elements refreshes routes; at the end, routes of peers that appeared
 * in the dump and were not refreshed are dropped (and their prefixes
 * marked dirty).  Returns the number of routes dropped. */
void rib_dump_begin(struct rib *r, const char *collector);
uint64_t rib_dump_end(struct rib *r, const char *collector);

/* PEER sent End-of-RIB (RFC 4724 2) for AFI: if it came up again with
 * routes of its earlier session still held (stale), those of AFI that it
 * did not re-announce since go now; the grace period stays the backstop
 * for the other AFIs and for a peer that sends no End-of-RIB.  Ignored
 * during a RIB dump of the peer's collector.  Returns the number dropped. */
uint64_t rib_peer_eor(struct rib *r, unsigned peer, unsigned afi);

/* Drop routes of peers whose grace period after coming up has passed at
 * time NOW.  Returns the number dropped. */
uint64_t rib_expire_stale(struct rib *r, uint32_t now);

/* Re-evaluate which peers are full-feed.  Returns 1 if the set of
 * full-feed up ASNs changed (every prefix is then marked dirty). */
int rib_update_full_feed(struct rib *r);
/* The same, marking nothing: when it returns 1 the caller recomputes
 * every prefix (ids 0 .. rib_npfx - 1) itself.  The routes of the
 * prefixes not marked dirty did not change, only which of them count. */
int rib_check_full_feed(struct rib *r);

/* Number of distinct full-feed up ASNs for AFI (the visibility
 * denominator). */
unsigned rib_full_asns(const struct rib *r, unsigned afi);

/*
 * Recompute the visibility of prefix ID (seen_asns, VISIBLE flag) and
 * clear its DIRTY flag.  Returns 1 if VISIBLE changed.
 */
int rib_recompute(struct rib *r, uint32_t id);

/* Take the dirty prefix list: *IDS valid until the next rib call. */
void rib_take_dirty(struct rib *r, const uint32_t **ids, size_t *n);

uint32_t rib_npfx(const struct rib *r);
struct rib_pfx *rib_pfx(struct rib *r, uint32_t id);

/* Interned paths. */
uint32_t rib_path_origin(const struct rib *r, uint32_t path);
const uint32_t *rib_path_asns(const struct rib *r, uint32_t path,
                              uint32_t *n);
/* Text of a path ("1 2 {3,4}"), NUL-terminated, truncated to LEN. */
size_t rib_path_text(const struct rib *r, uint32_t path, char *buf,
                     size_t len);
/* Hold / release a reference on a path so its id stays valid after the
 * routes using it are gone (evidence keeps sample paths this way). */
void rib_path_ref(struct rib *r, uint32_t path);
void rib_path_unref(struct rib *r, uint32_t path);
/* Number of path ids that can exist now (for callers' side tables). */
uint32_t rib_path_capacity(const struct rib *r);
/* A number that differs each time an id is given to a new path (ids are
 * reused), so side tables keyed by id can tell stale entries; 0 if PATH
 * is not a live path. */
uint32_t rib_path_serial(const struct rib *r, uint32_t path);
/* Have FN(CTX, PATH) called for each path id as it is freed (before the id
 * can go to a new path), so side tables keyed by id can forget it without
 * asking rib_path_serial on every read. */
void rib_on_path_free(struct rib *r, void (*fn)(void *ctx, uint32_t path),
                      void *ctx);

/* Does the route come from a peer that is up and full-feed for AFI? */
int rib_route_counts(const struct rib *r, const struct rib_route *rt,
                     unsigned afi);

struct rib_stats {
	uint64_t routes;       /* routes held */
	uint64_t prefixes;
	uint64_t paths;        /* distinct interned paths */
	uint64_t bytes_routes; /* route arrays */
	uint64_t bytes_prefixes;
	uint64_t bytes_paths;
	uint64_t bytes_index;  /* prefix hash */
	uint64_t bytes_attrs;  /* attribute sets and their route map (0
	                          unless rib_keep_attrs) */
};

void rib_stats(const struct rib *r, struct rib_stats *st);

/* ---- for partial runs and their merge (docs/partials.md) ---- */

/* Order of peers by (collector, address family, address, AS): the same
 * in every process, unlike peer ids. */
int rib_peer_cmp(const struct rib_peer *a, const struct rib_peer *b);
/* The id of prefix P, created (with no route) if new; UINT32_MAX out of
 * memory. */
uint32_t rib_pfx_intern(struct rib *r, const struct vg_prefix *p);
/* Intern the path of NASN ASNs in segments SEG (type << 24 | length, as
 * rib_path_raw gives them).  Returns the id with no reference taken (take
 * one with rib_path_ref at once), 0 if malformed or out of memory. */
uint32_t rib_path_intern_raw(struct rib *r, const uint32_t *asn,
                             uint32_t nasn, const uint32_t *seg,
                             uint32_t nseg);
/* The ASNs of PATH followed by its NSEG segment words; NULL if none. */
const uint32_t *rib_path_raw(const struct rib *r, uint32_t path,
                             uint32_t *nasn, uint32_t *nseg);
/* Free paths nobody references any more. */
void rib_path_gc(struct rib *r);
/* Is a prefix seen by SEEN of DENOM full-feed peer ASNs visible? */
int rib_visible_rule(const struct rib *r, unsigned seen, unsigned denom);

/* ---- attribute sets (src/rib/rib_attrs.c) ----------------------------
 *
 * The collector writes RIB dumps with every attribute of every route, so it
 * asks the routing state to keep, per route, an interned attribute set: an
 * opaque byte string (it stores the TABLE_DUMP_V2 attribute block), stored
 * once per distinct value with a reference count.  Nothing else changes:
 * a path change is still an AS-path change, and a route re-announced with
 * other attributes but the same AS path is RIB_DUP to the observatory.
 * A routing state that was not asked (`vigil replay`) keeps no sets.
 */

/* Keep attribute sets from now on.  0, or -1 out of memory. */
int rib_keep_attrs(struct rib *r);
/* The id of the set LEN bytes at DATA, with a reference taken for the
 * caller; 0 out of memory or if sets are not kept. */
uint32_t rib_attrs_intern(struct rib *r, const void *data, uint32_t len);
void rib_attrs_ref(struct rib *r, uint32_t id);
void rib_attrs_unref(struct rib *r, uint32_t id);
/* Give PEER's route for prefix P the set ID, taking over the caller's
 * reference (the route's previous set is released).  Returns 0; 1 if the
 * peer holds no route for P (the reference is released); -1 out of
 * memory (released too: the route keeps its previous set). */
int rib_route_set_attrs(struct rib *r, unsigned peer,
                        const struct vg_prefix *p, uint32_t id);
/* The set of PEER's route for prefix id PFX (LEN bytes, valid until the
 * route changes), or NULL if it has none. */
const uint8_t *rib_route_attrs(const struct rib *r, uint32_t pfx,
                               unsigned peer, uint32_t *len);
/* Distinct sets, routes with a set, bytes held. */
void rib_attrs_stats(const struct rib *r, uint64_t *sets, uint64_t *routes,
                     uint64_t *bytes);

#endif
