/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Partial counts: the per-bin output of one `vigil replay --partial` run
 * over some collectors, which `vigil merge` unions with the partials of
 * the other collectors into exactly the signals and events one process
 * reading every collector would give.  The format is documented in
 * docs/partials.md; this is its writer and its (bounds-checked) reader.
 *
 * A file is the 8-byte magic "VGPART1\n" and then records: a type byte, a
 * big-endian u32 payload length, the payload.  The first record is the
 * header (VGP_HDR), the last VGP_END.
 */
#ifndef VIGIL_PARTIAL_H
#define VIGIL_PARTIAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vigil/addr.h"

#define VGP_MAGIC "VGPART1\n"
#define VGP_VERSION 1
#define VGP_MAX_MEMB 6     /* membership keys per prefix */
#define VGP_MAX_REC (1u << 24) /* largest payload accepted */

enum vgp_type {
	VGP_HDR = 1,       /* options the counts depend on */
	VGP_BIN = 2,       /* the records up to the next BIN belong to this bin */
	VGP_PEER = 3,      /* a peer of the run, by local id */
	VGP_FULL = 4,      /* the full-feed up peer ASNs of one family */
	VGP_PFX = 5,       /* a prefix's local state at the end of the bin */
	VGP_CNT = 6,       /* additive counters of one entity in the bin */
	VGP_FLAP = 7,      /* (prefix, entity) flapped / was unstable */
	VGP_TOUCH = 8,     /* prefix announced or withdrawn in the bin */
	VGP_PEERSTATE = 9, /* a peer's state at the end of the run */
	VGP_END = 10,      /* last record */
};

/* Prefix flags in VGP_PFX */
#define VGP_PRESENT 0x01   /* some peer of the run holds a route */
#define VGP_COUNTS 0x02    /* the sample route is from a counting peer */
#define VGP_SAMPLE 0x04    /* a sample route (peer and path) follows */

/* Flap bits in VGP_FLAP */
#define VGP_FLAPPED 0x01
#define VGP_UNSTABLE 0x02

struct vgp_hdr {
	uint32_t version;
	uint32_t bin_len;
	uint32_t full_v4, full_v6;
	uint32_t stale_grace;
	double visible_ratio;
	uint8_t min_len_v4, min_len_v6;
	uint8_t asn_entities;
};

/*
 * One decoded record.  Arrays point into the reader's buffer and stay
 * valid until the next vgp_next call.
 */
struct vgp_rec {
	uint8_t type;
	struct vgp_hdr hdr;         /* HDR */
	uint32_t bin_start;         /* BIN */
	/* PEER, PEERSTATE */
	uint16_t peer;
	char collector[32];
	struct vg_addr addr;
	uint32_t asn;
	uint32_t n_v4, n_v6, last_change;
	uint8_t full_v4, full_v6, up;
	/* FULL: afi and nasn ASNs; PFX: the seeing full-feed ASNs */
	uint8_t afi;
	uint32_t nasn;
	const uint8_t *asns;        /* nasn big-endian u32 */
	/* PFX, FLAP, TOUCH */
	struct vg_prefix prefix;
	uint8_t flags;              /* PFX: VGP_*; FLAP: VGP_FLAPPED... */
	uint8_t nmemb;
	uint64_t memb[VGP_MAX_MEMB];
	uint16_t sample_peer;
	uint32_t path_nasn, path_nseg;
	const uint8_t *path;        /* path_nasn + path_nseg big-endian u32 */
	/* CNT, FLAP */
	uint64_t ent;
	uint32_t ann, wd, pc, flap_events;
};

/* ---- writing ---- */

struct vgp_writer;

/* Start a partial file on F (not closed by vgp_writer_free) with H. */
struct vgp_writer *vgp_writer_new(FILE *f, const struct vgp_hdr *h);
/* Write record R (its type says which fields count).  0 / -1. */
int vgp_write(struct vgp_writer *w, const struct vgp_rec *r);
/* Finish: the END record and a flush.  0, or -1 if any write failed. */
int vgp_writer_finish(struct vgp_writer *w);
void vgp_writer_free(struct vgp_writer *w);
uint64_t vgp_writer_bytes(const struct vgp_writer *w);

/* ---- reading ---- */

struct vgp_reader;

/* Read partial records from F (not closed by vgp_reader_free); NAME is used
 * in messages.  Checks the magic and reads the header into *H.  NULL with
 * a message in ERR when F is no partial file. */
struct vgp_reader *vgp_reader_new(FILE *f, const char *name,
                                  struct vgp_hdr *h, char *err,
                                  size_t errlen);
/* The next record: 1, 0 at the END record, -1 on bad or truncated input
 * (message with the byte offset from vgp_reader_error). */
int vgp_next(struct vgp_reader *r, struct vgp_rec *out);
const char *vgp_reader_error(const struct vgp_reader *r);
void vgp_reader_free(struct vgp_reader *r);

/* Decode one record's payload (TYPE, LEN bytes at P) into OUT.  0, or -1
 * with a reason in ERR.  (The reader uses it; the fuzzer calls it.) */
int vgp_decode(uint8_t type, const uint8_t *p, size_t len,
               struct vgp_rec *out, char *err, size_t errlen);

/* Load the big-endian u32 at index I of a decoded array. */
static inline uint32_t
vgp_u32_at(const uint8_t *p, uint32_t i)
{
	p += (size_t)i * 4;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

#endif
