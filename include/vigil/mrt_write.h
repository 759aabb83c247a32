/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writing MRT archives (RFC 6396, RFC 8050): TABLE_DUMP_V2 peer tables and
 * RIB records, BGP4MP / BGP4MP_ET messages and state changes, into a plain
 * or gzip file, plus the RIPE RIS file naming (updates.YYYYMMDD.HHMM.gz
 * every 5 minutes, bview.YYYYMMDD.HHMM.gz) and a rotator that keeps one
 * file per time bin.  This is the writing half of what mrt.h reads: the
 * scenario builder and the live collector both write through it.
 *
 * Records are assembled in the writer's own buffer and handed to the file
 * (or zlib) in large blocks.  Errors are sticky: after a failed write every
 * call returns -1 and mrt_writer_error() says what happened.
 */
#ifndef VIGIL_MRT_WRITE_H
#define VIGIL_MRT_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/addr.h"
#include "vigil/mrt.h"

struct mrt_writer;

/* Options for mrt_writer_open(); zero-initialise for defaults. */
struct mrt_writer_opts {
	int gzip;   /* 1: gzip the file */
	int level;  /* gzip level 1..9; 0 = default (6) */
	int atomic; /* write PATH.tmp, rename it to PATH on a clean close */
	int isal;   /* with gzip: compress with ISA-L's igzip (LEVEL 1 or
	               more: its level 1, else 0): 5x less CPU than zlib's
	               level 1 on BGP4MP records, files ~1.3x level 6's */
};

/*
 * Create (truncate) PATH and return a writer, or NULL with a one-line
 * reason in ERR.  OPTS may be NULL (plain, not atomic).
 */
struct mrt_writer *mrt_writer_open(const char *path,
                                   const struct mrt_writer_opts *opts,
                                   char *err, size_t errlen);

/*
 * Flush, close and free W (NULL is fine).  Returns 0, or -1 if anything
 * failed since the open (then an atomic writer leaves no file behind and a
 * plain one leaves what was written).  ERR gets the reason; may be NULL.
 */
int mrt_writer_close(struct mrt_writer *w, char *err, size_t errlen);

/* The first error met, or NULL. */
const char *mrt_writer_error(const struct mrt_writer *w);

/* Uncompressed bytes and records written so far. */
uint64_t mrt_writer_bytes(const struct mrt_writer *w);
uint64_t mrt_writer_records(const struct mrt_writer *w);

/*
 * One record as is: TYPE/SUBTYPE and the LEN-byte BODY.  For BGP4MP_ET
 * (and the other _ET types) the microseconds USEC are written into the
 * extended header; otherwise USEC is ignored.  0 or -1.
 */
int mrt_write_record(struct mrt_writer *w, uint32_t sec, uint32_t usec,
                     uint16_t type, uint16_t subtype, const void *body,
                     size_t len);

/* ---- TABLE_DUMP_V2 ---- */

/*
 * PEER_INDEX_TABLE (RFC 6396 4.3.1): the collector's BGP ID, an optional
 * VIEW name (NULL or "" for none) and N peers; each peer is written with
 * its address family and always with a 4-byte ASN.  Resets the RIB
 * sequence number.  0 or -1.
 */
int mrt_write_peer_index(struct mrt_writer *w, uint32_t time,
                         const uint8_t collector_id[4], const char *view,
                         const struct mrt_peer *peers, uint32_t n);

/* One RIB entry: ATTRS is an attribute block as bgp_attrs_encode() makes
 * it (4-byte AS_PATH; flag BGP_ENC_MRT_MP for IPv6 prefixes). */
struct mrt_rib_entry {
	uint16_t peer_index; /* into the last PEER_INDEX_TABLE */
	uint32_t originated; /* when the route was learned, Unix seconds */
	uint32_t path_id;    /* RFC 8050, with MRT_WF_ADDPATH */
	const uint8_t *attrs;
	uint16_t attrs_len;
};

/*
 * The attribute block of a RIB entry for a route received with the decoded
 * attributes A and the effective AS path PATH (AS_PATH merged with
 * AS4_PATH), for a prefix of AFI, written as RIPE RIS writes its bviews
 * (RFC 6396 4.3.4): AS_PATH with 4-octet ASNs and no AS4_PATH; AGGREGATOR
 * 4-octet (from AS4_AGGREGATOR when the speaker put AS_TRANS in it) and no
 * AS4_AGGREGATOR; for IPv6 the abbreviated MP_REACH_NLRI with only the next
 * hop (the unspecified address if the route had none); no MP_UNREACH_NLRI.
 * ORIGIN, NEXT_HOP, MED, LOCAL_PREF, ATOMIC_AGGREGATE and the other
 * attributes the decoder kept (communities, extended and large communities,
 * ORIGINATOR_ID, CLUSTER_LIST, OTC) and unknown optional transitive ones
 * are carried through; attributes discarded under RFC 7606 are not.
 * Returns the length written to BUF, or -1 if it does not fit in CAP.
 */
int mrt_rib_attrs_encode(uint8_t *buf, size_t cap, const struct bgp_attrs *a,
                         const struct bgp_path *path, unsigned afi);

/* Flags for the record writers below. */
#define MRT_WF_ET 0x01      /* BGP4MP_ET with microseconds, not BGP4MP */
#define MRT_WF_AS2 0x02     /* 2-byte ASNs: MESSAGE / STATE_CHANGE */
#define MRT_WF_LOCAL 0x04   /* message sent by the collector (_LOCAL) */
#define MRT_WF_ADDPATH 0x08 /* RFC 8050 _ADDPATH subtypes */

/*
 * RIB_IPV4_UNICAST / RIB_IPV4_MULTICAST / RIB_IPV6_UNICAST /
 * RIB_IPV6_MULTICAST (or their _ADDPATH forms with MRT_WF_ADDPATH) for
 * prefix P with N entries (at most 65535).  The sequence number counts up
 * from 0 after each peer table.  0 or -1.
 */
int mrt_write_rib(struct mrt_writer *w, uint32_t time,
                  const struct vg_prefix *p, const struct mrt_rib_entry *e,
                  uint32_t n, unsigned flags);

/* ---- BGP4MP / BGP4MP_ET ---- */

/* The session a BGP4MP record belongs to; both addresses of one family. */
struct mrt_session_id {
	uint32_t peer_asn;
	uint32_t local_asn;
	uint16_t ifindex;
	struct vg_addr peer_addr;
	struct vg_addr local_addr;
};

/*
 * A BGP message (header included, LEN bytes) received from (or with
 * MRT_WF_LOCAL sent to) the peer of S: MESSAGE_AS4, or MESSAGE with
 * MRT_WF_AS2, in BGP4MP, or BGP4MP_ET with MRT_WF_ET.  The message's own
 * AS_PATH width must match what the session negotiated (4 bytes unless the
 * caller encoded with BGP_ENC_AS2).  0 or -1.
 */
int mrt_write_bgp4mp_msg(struct mrt_writer *w, uint32_t sec, uint32_t usec,
                         const struct mrt_session_id *s, const void *msg,
                         size_t len, unsigned flags);

/* STATE_CHANGE_AS4 (STATE_CHANGE with MRT_WF_AS2) from OLD to NEW
 * (enum vg_bgp_state).  0 or -1. */
int mrt_write_bgp4mp_state(struct mrt_writer *w, uint32_t sec, uint32_t usec,
                           const struct mrt_session_id *s, uint16_t old_state,
                           uint16_t new_state, unsigned flags);

/* ---- RIPE RIS file names and rotation ---- */

enum mrt_ris_kind {
	MRT_RIS_UPDATES, /* updates.YYYYMMDD.HHMM.gz, 5-minute files */
	MRT_RIS_BVIEW,   /* bview.YYYYMMDD.HHMM.gz, RIB dumps */
};

#define MRT_RIS_UPDATE_INTERVAL 300

/*
 * Write the RIS file name for time T (Unix seconds, UTC) into BUF:
 * updates files are named after the start of their 5-minute bin, bview
 * files after the minute of T.  SUFFIX is appended (".gz", or "" for
 * plain files; NULL means ".gz").  Returns the length, or -1 if CAP is too
 * small.
 */
int mrt_ris_file_name(char *buf, size_t cap, enum mrt_ris_kind kind,
                      int64_t t, const char *suffix);

/*
 * A rotator writes updates files into DIR, one per INTERVAL-second bin
 * (RIS: 300), named by mrt_ris_file_name(MRT_RIS_UPDATES) (for another
 * interval the bin start is used the same way).  Files are written
 * atomically (.tmp, renamed when the bin is done).
 */
struct mrt_rotor;

struct mrt_rotor *mrt_rotor_new(const char *dir, unsigned interval,
                                const struct mrt_writer_opts *opts);

/*
 * The writer for time T: the current file if T is in its bin, otherwise
 * the current file is closed and the bin of T opened; with FILL_GAPS the
 * bins in between get (empty) files too, so a reader sees no hole.  Time
 * must not go back to an earlier bin.  NULL on error, with the reason in
 * ERR.
 */
struct mrt_writer *mrt_rotor_at(struct mrt_rotor *r, int64_t t, int fill_gaps,
                                char *err, size_t errlen);

/* Number of files completed so far (closed and renamed), and the MRT
 * bytes (before compression) written into all files so far. */
unsigned mrt_rotor_files(const struct mrt_rotor *r);
uint64_t mrt_rotor_bytes(const struct mrt_rotor *r);

/* Close the current file and free R.  0, or -1 if a write failed. */
int mrt_rotor_close(struct mrt_rotor *r, char *err, size_t errlen);

#endif
