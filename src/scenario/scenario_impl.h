/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals shared by the scenario builder's files: the seeded PRNG, a
 * chunked arena with stable pointers, the cloned source table (prefixes
 * and interned attribute sets) and the helpers that turn an interned set
 * into one peer's wire attributes.  Not a public interface.
 */
#ifndef VIGIL_SCENARIO_IMPL_H
#define VIGIL_SCENARIO_IMPL_H

#define MAX_COLLECTORS 16 /* collectors a scenario spreads its peers over */

#include <stddef.h>
#include <stdint.h>

#include "vigil/bgp.h"
#include "vigil/scenario.h"

/* ---- PRNG: splitmix64 seeding a xoshiro256** stream ---- */

struct scn_rng {
	uint64_t s[4];
};

void scn_rng_seed(struct scn_rng *r, uint64_t seed, uint64_t stream);
uint64_t scn_rng_next(struct scn_rng *r);
/* Uniform in [0, n) (n > 0), without modulo bias worth mentioning. */
uint64_t scn_rng_below(struct scn_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double scn_rng_unit(struct scn_rng *r);

/* ---- arena: chunks that never move ---- */

struct scn_arena {
	struct scn_chunk *head;
	size_t used, cap; /* in the head chunk */
	size_t total;     /* bytes of all chunks */
};

void *scn_arena_alloc(struct scn_arena *a, size_t n);
void scn_arena_free(struct scn_arena *a);

/* ---- the source table ---- */

/*
 * An interned attribute set: everything of a route but the peer's own
 * first AS.  The path is the "tail": the source path minus its first AS
 * (when the path has at least two), to which each peer prepends itself.
 * SET's arrays point into the arena; SET.path is NULL (per peer).
 */
struct scn_attr {
	struct bgp_attr_set set;
	uint32_t *asn;       /* tail ASNs, segments concatenated */
	uint8_t *seg_type;
	uint32_t *seg_len;
	uint32_t nasn, nseg;
	uint32_t origin_as;  /* last AS of a final AS_SEQUENCE, 0 if none */
	uint32_t hash;
	const uint8_t *key;  /* canonical bytes, for interning */
	uint32_t key_len;
};

struct scn_prefix {
	struct vg_prefix p;
	uint32_t attr; /* id in the table's attrs */
};

/* The mutable prototype an attribute set is interned from. */
struct scn_proto {
	struct bgp_attr_set set; /* arrays may point anywhere */
	uint32_t asn[1024];
	uint8_t seg_type[256];
	uint32_t seg_len[256];
	uint32_t nasn, nseg;
};

/* A growable byte buffer. */
struct scn_kbuf {
	uint8_t *p;
	size_t len, cap;
	int oom;
};

struct scn_table {
	struct scn_prefix *pfx; /* sorted: IPv4 first, by address, length */
	uint32_t n, cap;
	struct scn_attr *attrs; /* id 0 unused */
	uint32_t n_attrs, cap_attrs;
	uint32_t *hslots;       /* open addressing over attr ids */
	uint32_t hcap;
	struct scn_arena arena;
	/* variants made for path changes: (attr, k) -> attr */
	uint64_t *vkeys;
	uint32_t *vvals;
	uint32_t vcap, vn;
	uint32_t transit[8];    /* frequent first ASNs of the tails */
	uint32_t n_transit;
	uint64_t elems;
	struct vg_addr peer;
	uint32_t peer_asn;
	struct scn_kbuf key;     /* scratch for interning */
	struct scn_proto vproto; /* scratch for variants */
};

/*
 * Load the table of one peer of PATH: the last state of every prefix.
 * PEER (afi 0: the peer with the most announcements) selects the peer.
 * 0, or -1 with ERR.
 */
int scn_table_load(struct scn_table *t, const char *path,
                   const struct vg_addr *peer, char *err, size_t errlen);
void scn_table_free(struct scn_table *t);

/* Intern PR; returns its id, or 0 out of memory. */
uint32_t scn_table_intern(struct scn_table *t, const struct scn_proto *pr);

/*
 * A different path for the same route: K = 1 origin prepending, 2 another
 * first transit, 3 both.  Returns the id (interned once), or 0 out of
 * memory.
 */
uint32_t scn_table_variant(struct scn_table *t, uint32_t attr, unsigned k);

/* Does the tail of ATTR hold ASN before its origin? */
int scn_attr_has_upstream(const struct scn_attr *a, uint32_t asn);

/* The path PEER_ASN + tail of A, into the caller's arrays (capacity
 * nasn + 1 ASNs, nseg + 1 segments). */
void scn_attr_peer_path(const struct scn_attr *a, uint32_t peer_asn,
                        struct bgp_path *out);

/* Bytes held by the table. */
size_t scn_table_mem(const struct scn_table *t);

/* ---- truth.json helpers ---- */

/* ISO 8601 UTC "2015-10-23T16:15:00Z" of T into BUF (>= 21 bytes). */
void scn_iso_time(char *buf, int64_t t);

/* ---- the builder (build.c, events.c, truth.c) ---- */

/* Route actions, applied in time order. */
enum scn_op {
	SCN_HOLD_ON = 1, /* an event withdraws the route (counted) */
	SCN_HOLD_OFF,    /* ... and gives it back */
	SCN_CHURN_DOWN,  /* background withdrawal */
	SCN_CHURN_UP,
	SCN_SET_ATTR,    /* new attributes (arg); announced if visible */
	SCN_REANNOUNCE,  /* duplicate announcement */
	SCN_STATE,       /* session state change, arg = old << 8 | new */
	SCN_RESEND,      /* the peer re-sends its whole table */
};

struct scn_action {
	int64_t t;      /* Unix microseconds */
	uint32_t seq;   /* order of creation: ties are deterministic */
	uint32_t pfx;   /* prefix index (route ops) */
	uint32_t arg;
	uint16_t peer;
	uint8_t op;
};

/* Per-(peer, prefix) state bits; the hold count sits above them. */
#define SCN_CARRIED 0x01
#define SCN_CDOWN 0x02
#define SCN_HOLD1 0x04
#define SCN_HOLD_MAX 63

struct scn_peer {
	uint32_t asn;
	struct vg_addr addr;
	uint8_t bgp_id[4];
	uint32_t established; /* session up since (RIB "originated") */
	uint32_t carried;     /* prefixes it has */
	int full;
	int up;
	int gen_active, gen_initial; /* table (re-)send under way */
	uint32_t gen_cursor;         /* position in b->order */
	int64_t gen_next;            /* microseconds */
};

/* What truth.json says about one scripted event. */
struct scn_event_out {
	const struct scenario_event *ev;
	uint32_t *pfx;      /* affected prefix indices, sorted */
	uint32_t n_pfx;
	uint32_t base;      /* prefixes of the selector before upstream and
	                       fraction: the denominator of the depth */
	uint32_t *peers;    /* 0-based peers that see the event */
	uint32_t n_peers;
	uint32_t cycles;    /* flap / pathchange periods */
	uint64_t routes;    /* (peer, prefix) routes touched */
};

struct scn_builder {
	const struct scenario_spec *spec;
	struct scn_table tab;
	uint32_t np, P;
	struct scn_peer *peers;
	uint32_t *cur;      /* [peer * P + pfx]: attribute id */
	uint8_t *st;        /* [peer * P + pfx]: SCN_* bits */
	uint32_t *since;    /* [peer * P + pfx]: announced at (rib-interval) */
	uint32_t *order;    /* table (re-)send order: by attribute set */
	uint32_t *rank;     /* inverse of order */
	uint8_t *excluded;  /* [pfx]: named by an event, no churn */
	struct scn_action *act;
	size_t nact, capact;
	uint32_t seq;
	struct scn_event_out *evo;
	uint64_t churn_events;
	int64_t start_us, end_us;
	struct vg_addr local4, local6;
	uint32_t local_asn;
	uint8_t collector_id[4];
	size_t mem;
	char **bviews;      /* names written, for truth.json */
	uint32_t n_bviews;
	char first_update[64], last_update[64];
	uint32_t n_updates;
};

/* events.c: schedule every action of the spec's events and the churn. */
int scn_schedule(struct scn_builder *b, char *err, size_t errlen);
/* Add one action; -1 out of memory. */
int scn_add(struct scn_builder *b, int64_t t, uint16_t peer, uint8_t op,
            uint32_t pfx, uint32_t arg);

/* truth.c: write OUTDIR/truth.json. */
int scn_truth_write(const struct scn_builder *b, const char *path,
                    const struct scenario_stats *st, char *err,
                    size_t errlen);

#endif
