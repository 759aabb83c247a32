/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Text formats for routing elements: bgpdump's one-line format (-m), and
 * JSON lines.  A formatter keeps a little state between calls so the parts
 * of a line shared by all elements of one UPDATE (AS path, communities...)
 * are formatted once (elements carry attrs_gen for that).
 */
#ifndef VIGIL_FMT_H
#define VIGIL_FMT_H

#include "vigil/elem.h"
#include "vigil/obuf.h"

/* ---- bgpdump -m ---- */

struct fmt_bgpdump {
	uint32_t gen;       /* attrs_gen the cached parts belong to */
	const void *gen_src;
	int have;
	char *pre;          /* "path|origin|" */
	size_t pre_len, pre_cap;
	char *post;         /* "|lp|med|comm|AG|aggr|\n" */
	size_t post_len, post_cap;
	int show_large;     /* bgpdump -l: large communities field */
	/* "TYPE|time|" of the last record, and "peer|asn|" of recent
	 * peers: the same for many consecutive lines */
	const void *head_rec;
	uint64_t head_index;
	uint8_t head_etype;
	char head[64];
	size_t head_len;
	struct fmt_peer_slot {
		uint32_t asn;
		struct vg_addr addr;
		uint8_t len;
		char txt[62];
	} peers[64];
	/* AS path and attribute-tail texts by the bytes they come from:
	 * real feeds repeat both constantly */
	struct fmt_text_slot *cache;
};

void fmt_bgpdump_init(struct fmt_bgpdump *f);
void fmt_bgpdump_destroy(struct fmt_bgpdump *f);

/*
 * Append the bgpdump -m line(s) for E to O.  E must come from the MRT
 * reader (E->source is its struct mrt_record): the line's type field
 * (TABLE_DUMP2, BGP4MP_ET, ...) depends on the record.
 */
void fmt_bgpdump_elem(struct fmt_bgpdump *f, struct vg_obuf *o,
                      const struct vg_elem *e);

/* ---- JSON lines ---- */

struct fmt_json {
	const char *collector; /* optional "collector" field, may be NULL */
};

/* Append one JSON object and a newline for E (schema in README.md). */
void fmt_json_elem(const struct fmt_json *f, struct vg_obuf *o,
                   const struct vg_elem *e);

/* ---- BMP (src/fmt/bmp_json.c) ---- */

struct bmp_msg;

/* Append ,"bmp":{...} for an element of a BMP session (E->flags has
 * VG_ELEM_F_BMP); fmt_json_elem() calls it. */
void fmt_json_bmp_src(struct vg_obuf *o, const struct vg_elem *e);

/* Append one JSON line for a BMP message that makes no element
 * (Initiation, Termination, Statistics, Route Mirroring), or for an
 * End-of-RIB marker when EOR is set (AFI/SAFI given). */
void fmt_json_bmp_msg(struct vg_obuf *o, const struct bmp_msg *m,
                      const char *router, uint64_t index, int eor,
                      unsigned afi, unsigned safi);

#endif
