/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What vigil watches: entities (a country, an origin AS, a country's
 * upstream AS), their signals per time bin, and the events the detectors
 * raise.  These are plain values shared by the observatory (src/detect),
 * the store (src/store) and every front end (CLI, HTTP, alerts).
 *
 * Text forms, used on the command line, in the store and the API:
 *   country:KP        address space geolocated to North Korea
 *   asn:131279        routes originated by AS131279
 *   upstream:KP:4837  KP address space routed through AS4837, the first AS
 *                     outside KP on the path
 */
#ifndef VIGIL_ENTITY_H
#define VIGIL_ENTITY_H

#include <stddef.h>
#include <stdint.h>

enum vg_entity_kind {
	VG_ENT_COUNTRY = 1,
	VG_ENT_ASN = 2,
	VG_ENT_UPSTREAM = 3,
};

struct vg_entity {
	uint8_t kind;  /* enum vg_entity_kind */
	char cc[3];    /* country code, NUL-terminated (COUNTRY, UPSTREAM) */
	uint32_t asn;  /* origin AS (ASN) or upstream AS (UPSTREAM) */
};

/* Longest entity text, with the NUL. */
#define VG_ENTITY_STRLEN 32

/* "country:KP" etc.; returns the length.  BUF has VG_ENTITY_STRLEN. */
size_t vg_entity_fmt(const struct vg_entity *e, char *buf);
/* Parse the text form (also "KP" alone, "AS131279", "131279").  0 / -1. */
int vg_entity_parse(struct vg_entity *e, const char *s);
int vg_entity_cmp(const struct vg_entity *a, const struct vg_entity *b);

/*
 * One entity's signal in one time bin [bin_start, bin_start + bin_len).
 * Visibility fields describe the state at the END of the bin; counters
 * count what happened during it.
 */
struct vg_signal {
	struct vg_entity ent;
	uint32_t bin_start;     /* Unix seconds */
	uint32_t bin_len;       /* seconds */
	uint64_t v4_units;      /* visible /24s */
	uint64_t v6_units;      /* visible /48s */
	uint32_t prefixes;      /* visible prefixes */
	uint32_t origins;       /* visible origin ASNs */
	uint32_t announcements; /* announcements (incl. re-announcements) */
	uint32_t withdrawals;
	uint32_t path_changes;  /* announcements that changed a peer's path */
	uint32_t flaps;         /* prefixes withdrawn and re-announced, or
	                           the reverse, at one collector within a bin
	                           length (each prefix once per entity) */
	uint32_t peers_up;      /* full-feed peer ASNs up (the denominator) */
	double baseline;        /* detector's visibility baseline (units),
	                           NaN while warming up */
	double inst_score;      /* instability score (robust z), NaN if none */
	uint8_t flags;          /* VG_SIG_* below */
};

/*
 * vg_signal.flags: VG_SIG_KEYFRAME_ONLY marks a row the detector emits only
 * because its bin is a keyframe bin (every entity gets a row once an hour,
 * so readers never look back further): nothing changed, no counter moved,
 * no event is open or pending.  The store keeps these rows packed (table
 * keyframes, src/store/schema.sql) and reads them back as ordinary rows;
 * rows read from the store have flags 0.
 */
#define VG_SIG_KEYFRAME_ONLY 0x01

enum vg_event_kind {
	VG_EVENT_OUTAGE = 1,
	VG_EVENT_INSTABILITY = 2,
};

enum vg_event_level {
	VG_LEVEL_WARNING = 1,
	VG_LEVEL_CRITICAL = 2,
};

/* Evidence item: something that disappeared (or shook) in an event. */
struct vg_evidence {
	uint8_t what;      /* 'p' prefix, 'o' origin AS, 'u' upstream AS */
	char text[64];     /* prefix text, or "" */
	uint32_t asn;      /* origin/upstream, or the prefix's origin */
	uint32_t upstream; /* for prefixes: the upstream it was seen via */
	char path[96];     /* a sample AS path before the event, or "" */
};

struct vg_event {
	uint64_t id;           /* assigned by the detector, stable */
	struct vg_entity ent;
	uint8_t kind;          /* enum vg_event_kind */
	uint8_t level;         /* highest level reached */
	uint32_t start;        /* first bin of the event (Unix seconds) */
	uint32_t end;          /* restoration time, 0 while open */
	double depth;          /* outage: largest fraction of the baseline
	                          lost (0..1); instability: peak score */
	double severity;       /* grows with depth x duration */
	double baseline;       /* visibility before the event (units) */
	double bottom;         /* lowest visibility during it (units) */
	uint32_t n_evidence;   /* items in evidence[] (may be capped) */
	uint32_t n_evidence_total;
	struct vg_evidence *evidence;
};

const char *vg_event_kind_name(unsigned kind);
const char *vg_event_level_name(unsigned level);

#endif
