/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MRT archives (RFC 6396, RFC 8050): a reader that walks records from a
 * vg_stream and turns them into routing elements.
 *
 * Two levels, use either:
 *  - mrt_reader_next_record(): the raw records, one at a time, body
 *    borrowed from the reader's buffer until the next call;
 *  - mrt_reader_next_elem(): the routing elements of every record, in file
 *    order (bgpdump's order inside an UPDATE: withdrawals, then MP
 *    withdrawals, announcements, MP announcements).
 *
 * Bad input never stops the reader: every problem (truncated record, lying
 * length, garbage between records, malformed attribute, unknown type) is
 * reported through the problem callback with the file, record number and
 * byte offset, the RFC 7606 action is applied, and reading goes on with the
 * next thing that can be decoded.
 */
#ifndef VIGIL_MRT_H
#define VIGIL_MRT_H

#include <stdint.h>

#include "vigil/diag.h"
#include "vigil/elem.h"
#include "vigil/stream.h"

/* MRT types and subtypes (RFC 6396 4, RFC 8050). */
enum mrt_type {
	MRT_BGP = 5, /* deprecated (RFC 6396 Appendix B) */
	MRT_TABLE_DUMP = 12,
	MRT_TABLE_DUMP_V2 = 13,
	MRT_BGP4MP = 16,
	MRT_BGP4MP_ET = 17,
};

enum mrt_bgp_subtype { /* type 5 */
	MRT_BGP_NULL = 0,
	MRT_BGP_UPDATE = 1,
	MRT_BGP_PREF_UPDATE = 2,
	MRT_BGP_STATE_CHANGE = 3,
	MRT_BGP_SYNC = 4,
	MRT_BGP_OPEN = 5,
	MRT_BGP_NOTIFY = 6,
	MRT_BGP_KEEPALIVE = 7,
};

enum mrt_td2_subtype {
	MRT_PEER_INDEX_TABLE = 1,
	MRT_RIB_IPV4_UNICAST = 2,
	MRT_RIB_IPV4_MULTICAST = 3,
	MRT_RIB_IPV6_UNICAST = 4,
	MRT_RIB_IPV6_MULTICAST = 5,
	MRT_RIB_GENERIC = 6,
	MRT_GEO_PEER_TABLE = 7,
	MRT_RIB_IPV4_UNICAST_ADDPATH = 8,
	MRT_RIB_IPV4_MULTICAST_ADDPATH = 9,
	MRT_RIB_IPV6_UNICAST_ADDPATH = 10,
	MRT_RIB_IPV6_MULTICAST_ADDPATH = 11,
	MRT_RIB_GENERIC_ADDPATH = 12,
};

enum mrt_bgp4mp_subtype {
	MRT_BGP4MP_STATE_CHANGE = 0,
	MRT_BGP4MP_MESSAGE = 1,
	MRT_BGP4MP_ENTRY = 2,
	MRT_BGP4MP_SNAPSHOT = 3,
	MRT_BGP4MP_MESSAGE_AS4 = 4,
	MRT_BGP4MP_STATE_CHANGE_AS4 = 5,
	MRT_BGP4MP_MESSAGE_LOCAL = 6,
	MRT_BGP4MP_MESSAGE_AS4_LOCAL = 7,
	MRT_BGP4MP_MESSAGE_ADDPATH = 8,
	MRT_BGP4MP_MESSAGE_AS4_ADDPATH = 9,
	MRT_BGP4MP_MESSAGE_LOCAL_ADDPATH = 10,
	MRT_BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH = 11,
};

#define MRT_HEADER_LEN 12
/* Records longer than this are taken for a lying length field. */
#define MRT_MAX_RECORD_LEN (64u << 20)

/* One MRT record; BODY is borrowed until the reader's next call. */
struct mrt_record {
	uint32_t time_sec;
	uint32_t time_usec; /* BGP4MP_ET only */
	uint16_t type;
	uint16_t subtype;
	uint32_t len;       /* body length (after the ET microseconds) */
	const uint8_t *body;
	uint64_t offset;    /* byte offset of the header in the stream */
	uint64_t index;     /* 1-based record number in the stream */
	uint8_t hdr_len;    /* 12, or 16 for BGP4MP_ET */
};

/* A problem the reader met, for the caller to show. */
struct mrt_problem {
	const char *file;
	uint64_t record;     /* 1-based record number, 0 if between records */
	uint64_t offset;     /* byte offset in the (decompressed) stream */
	uint16_t type, subtype;
	uint8_t err;         /* enum vg_err */
	uint8_t action;      /* enum vg_action */
	uint8_t attr_type;
	const char *msg;
};

typedef void (*mrt_problem_fn)(void *ctx, const struct mrt_problem *p);

/* A TABLE_DUMP_V2 peer (PEER_INDEX_TABLE entry). */
struct mrt_peer {
	uint8_t bgp_id[4];
	struct vg_addr addr;
	uint32_t asn;
};

/* Counters, for summaries and benchmarks. */
struct mrt_stats {
	uint64_t records;        /* records read (complete headers+bodies) */
	uint64_t records_bad;    /* records skipped or partly decoded */
	uint64_t bytes;          /* decompressed bytes consumed */
	uint64_t bytes_skipped;  /* garbage skipped while resynchronising */
	uint64_t elems;          /* elements produced */
	uint64_t problems;       /* problems reported */
	uint64_t unsupported;    /* records/NLRI of kinds we do not decode */
	uint64_t truncated;      /* 1 if the stream ended inside a record */
};

struct mrt_reader;

/*
 * Make a reader over S (which it does not own: close S yourself after
 * mrt_reader_free).  NAME is used in problem reports.  ON_PROBLEM may be
 * NULL (problems are then only counted).  Returns NULL out of memory.
 */
struct mrt_reader *mrt_reader_new(vg_stream *s, const char *name,
                                  mrt_problem_fn on_problem, void *ctx);
void mrt_reader_free(struct mrt_reader *r);

/*
 * A reader over LEN bytes of memory at BUF (a mapped file, typically), read
 * in place: no stream, no copy.  BUF must stay valid and unchanged until
 * mrt_reader_free.  With RELEASE set, the pages the reader has left behind
 * are dropped from the mapping (madvise MADV_DONTNEED) every 8 MiB, so a
 * mapped file costs no resident memory as it is read: then BUF must be a
 * private read-only mapping the caller does not read behind the reader.
 */
struct mrt_reader *mrt_reader_new_mem(const uint8_t *buf, size_t len,
                                      int release, const char *name,
                                      mrt_problem_fn on_problem, void *ctx);

/* With ON, an End-of-RIB UPDATE (RFC 4724 2: an empty UPDATE for IPv4
 * unicast, an UPDATE with only an empty MP_UNREACH_NLRI of AFI IPv4 or
 * IPv6 for the others) gives a VG_ELEM_EOR element, which the reader's
 * element count does not include.  Off by default, so that formatters see
 * only route elements. */
void mrt_reader_set_eor(struct mrt_reader *r, int on);

/* Next record: 1 and *REC set, 0 at the end, -1 on a stream (I/O or
 * decompression) error, which was reported as a problem too. */
int mrt_reader_next_record(struct mrt_reader *r,
                           const struct mrt_record **rec);

/* Next element: 1 and *E set, 0 at the end, -1 on a stream error. */
int mrt_reader_next_elem(struct mrt_reader *r, const struct vg_elem **e);

const struct mrt_stats *mrt_reader_stats(const struct mrt_reader *r);

/* The current TABLE_DUMP_V2 peer table (NULL if none seen yet). */
const struct mrt_peer *mrt_reader_peers(const struct mrt_reader *r,
                                        uint32_t *count);

/* "TABLE_DUMP_V2", "BGP4MP_ET", ...; "UNKNOWN" otherwise. */
const char *mrt_type_name(unsigned type);
/* "RIB_IPV4_UNICAST", "MESSAGE_AS4", ...; NULL if unknown. */
const char *mrt_subtype_name(unsigned type, unsigned subtype);

/* Is the record a BGP4MP/BGP4MP_ET ADD-PATH or "sent by us" subtype? */
int mrt_subtype_is_addpath(unsigned type, unsigned subtype);
int mrt_subtype_is_local(unsigned type, unsigned subtype);

#endif
