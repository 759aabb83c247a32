/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * BGP Monitoring Protocol, version 3 (RFC 7854; Loc-RIB peers RFC 9069;
 * Adj-RIB-Out flag RFC 8671): a bounds-checked decoder of single messages,
 * a per-router session that frames a byte stream and turns route
 * monitoring into routing elements, and a libevent listener that accepts
 * many routers at once.
 *
 * Three levels, use whichever fits:
 *  - bmp_frame() + bmp_msg_decode(): one message from a byte buffer into
 *    a struct bmp_msg (pure functions, no state, no allocation);
 *  - struct bmp_session: one router's stream.  Push bytes as they arrive
 *    (any split, any size), take decoded messages with bmp_session_next()
 *    and the elements of each with bmp_session_next_elem().  The session
 *    remembers each monitored peer's OPEN capabilities from its Peer Up
 *    (4-octet AS, ADD-PATH per AFI/SAFI) to decode that peer's UPDATEs;
 *  - struct bmp_listener: a TCP listener on a libevent base, one session
 *    per connection, with callbacks for elements and peer up/down.
 *
 * Memory: a struct bmp_msg and the elements made from it BORROW the
 * session's buffer and are valid until the next bmp_session_push() or
 * bmp_session_next() on that session.
 *
 * Errors and resynchronisation policy (documented in README.md, "BMP"):
 *  - a message whose common header is wrong (version != 3, length < 6 or
 *    > BMP_MAX_MSG_LEN) means the stream can no longer be framed: the
 *    session reports it (router, byte offset, what) and becomes FAILED;
 *    the listener closes that connection (a router reconnects and starts
 *    over with Initiation and Peer Ups, RFC 7854 3.3), `vigil dump` stops
 *    reading that file.  There is no resync by scanning: BMP has no marker
 *    and a guessed header would invent peers and routes;
 *  - a message that frames correctly but whose body is wrong (truncated
 *    per-peer header, bad OPEN in a Peer Up, lying TLV length, unknown
 *    message type) is reported and skipped: the next message is decoded;
 *  - an UPDATE inside route monitoring is decoded with RFC 7606: attributes
 *    discarded or routes treated as withdrawn, reported, never fatal;
 *  - a stream that ends inside a message reports the truncation.
 */
#ifndef VIGIL_BMP_H
#define VIGIL_BMP_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/bgp.h"
#include "vigil/diag.h"
#include "vigil/elem.h"

#define BMP_VERSION 3
#define BMP_COMMON_HDR_LEN 6
#define BMP_PEER_HDR_LEN 42
/* Longest message accepted: a route monitoring message carries one BGP
 * message (<= 65535 with RFC 8654) plus the headers; a Peer Up two OPENs
 * and TLVs.  Anything longer is a lying length. */
#define BMP_MAX_MSG_LEN (BMP_COMMON_HDR_LEN + BMP_PEER_HDR_LEN + 2 * 65535u + 4096u)

enum bmp_msg_type {
	BMP_ROUTE_MONITORING = 0,
	BMP_STATISTICS = 1,
	BMP_PEER_DOWN = 2,
	BMP_PEER_UP = 3,
	BMP_INITIATION = 4,
	BMP_TERMINATION = 5,
	BMP_ROUTE_MIRRORING = 6,
};

enum bmp_peer_type {
	BMP_PEER_GLOBAL = 0,  /* Global Instance Peer */
	BMP_PEER_RD = 1,      /* RD Instance Peer */
	BMP_PEER_LOCAL = 2,   /* Local Instance Peer */
	BMP_PEER_LOC_RIB = 3, /* Loc-RIB Instance Peer (RFC 9069) */
};

/* Per-peer header flags (RFC 7854 4.2, RFC 8671; RFC 9069 4.1 for
 * Loc-RIB peers, where only F is defined). */
#define BMP_PEER_F_V 0x80 /* peer address is IPv6 */
#define BMP_PEER_F_L 0x40 /* post-policy Adj-RIB-In */
#define BMP_PEER_F_A 0x20 /* legacy 2-byte AS_PATH format */
#define BMP_PEER_F_O 0x10 /* Adj-RIB-Out (RFC 8671) */
#define BMP_PEER_F_F 0x80 /* Loc-RIB: filtered (RFC 9069) */

/* Peer Down reasons (RFC 7854 4.9, RFC 9069 5.4). */
enum bmp_down_reason {
	BMP_DOWN_LOCAL_NOTIFY = 1,     /* NOTIFICATION sent, PDU follows */
	BMP_DOWN_LOCAL_NO_NOTIFY = 2,  /* FSM event code follows */
	BMP_DOWN_REMOTE_NOTIFY = 3,    /* NOTIFICATION received, PDU follows */
	BMP_DOWN_REMOTE_NO_NOTIFY = 4, /* closed without a NOTIFICATION */
	BMP_DOWN_DECONFIGURED = 5,     /* peer de-configured */
	BMP_DOWN_LOCAL_TLV = 6,        /* Loc-RIB: local system closed, TLVs */
};

/* The per-peer header (RFC 7854 4.2). */
struct bmp_peer_hdr {
	uint8_t type;   /* enum bmp_peer_type */
	uint8_t flags;  /* BMP_PEER_F_* */
	uint8_t rd[8];  /* peer distinguisher */
	struct vg_addr addr; /* IPv4 unless V (not for Loc-RIB: zero) */
	uint32_t asn;
	uint8_t bgp_id[4];
	uint32_t ts_sec, ts_usec;
};

/* An information TLV (Initiation, Termination, Peer Up, Peer Down). */
struct bmp_tlv {
	uint16_t type;
	struct bgp_span val;
};

#define BMP_MAX_TLV 16
#define BMP_MAX_STATS 64

/* One statistics counter (RFC 7854 4.8, IANA "BMP Statistics Types"). */
struct bmp_stat {
	uint16_t type;
	uint16_t afi;  /* per-AFI/SAFI gauges (9, 10, 16, 17), else 0 */
	uint8_t safi;
	uint8_t known; /* value decoded (4- or 8-byte or AFI/SAFI form) */
	uint64_t value;
	struct bgp_span raw;
};

/*
 * One decoded BMP message.  Spans borrow the decoded buffer.  Fields of
 * other message types are zero.
 */
struct bmp_msg {
	uint8_t version;
	uint8_t type;     /* enum bmp_msg_type */
	uint8_t has_peer; /* peer is set (types 0, 1, 2, 3, 6) */
	uint32_t len;     /* whole message, common header included */
	struct bmp_peer_hdr peer;

	/* Initiation, Termination, Peer Up/Down information TLVs */
	uint8_t n_tlv;
	uint32_t n_tlv_total; /* TLVs seen, kept or not */
	struct bmp_tlv tlv[BMP_MAX_TLV];
	uint16_t term_reason; /* Termination reason TLV, 0xffff if none */

	/* Peer Up (RFC 7854 4.10) */
	struct vg_addr local_addr;
	uint16_t local_port, remote_port;
	struct bgp_span open_sent, open_rcvd; /* whole BGP messages */
	struct bgp_open sent, rcvd;

	/* Peer Down (RFC 7854 4.9) */
	uint8_t reason;     /* enum bmp_down_reason */
	uint8_t has_notification;
	uint16_t fsm_event; /* reason 2 */
	struct bgp_notification notification;

	/* Route Monitoring: the BGP message (header included) and its type;
	 * Route Mirroring: the first BGP Message TLV, if any */
	struct bgp_span bgp;
	uint8_t bgp_type;
	uint16_t mirror_info; /* Route Mirroring information code, 0xffff */

	/* Statistics Report */
	uint32_t n_stats; /* counters in the message */
	struct bmp_stat stats[BMP_MAX_STATS];
};

/*
 * Framing: look at the common header at P (LEN bytes available).
 * Returns the message length (>= 6) when the whole message is there,
 * 0 when more bytes are needed (*NEED, if not NULL, gets the total
 * needed when the header is known, else 6), or -1 when the header is bad
 * (version not 3, length < 6 or > BMP_MAX_MSG_LEN), recorded in D: the
 * stream cannot be framed past this point.
 */
long bmp_frame(const uint8_t *p, size_t len, size_t *need, struct vg_diag *d);

/*
 * Decode the whole message P[0..LEN) (LEN as bmp_frame() returned) into M.
 * Returns 0; or -1 when the message is unusable (truncated per-peer
 * header, unknown type, bad OPEN in a Peer Up...), with the problem and
 * its offset inside the message in D.  Problems that leave the message
 * usable (an unknown TLV, a counter of unknown size) are recorded in D
 * with return 0.
 */
int bmp_msg_decode(struct bmp_msg *m, const uint8_t *p, size_t len,
                   struct vg_diag *d);

/* "route_monitoring", "peer_up", ...; "unknown" otherwise. */
const char *bmp_msg_type_name(unsigned type);
/* "global", "rd", "local", "loc_rib"; "unknown". */
const char *bmp_peer_type_name(unsigned type);
/* Text of a Peer Down reason ("remote closed without a notification"). */
const char *bmp_down_reason_name(unsigned reason);
/* Text of a statistics type ("routes in Adj-RIB-In"), NULL if unknown. */
const char *bmp_stat_name(unsigned type);
/* "0:64499:11" style: RD type, administrator, assigned number
 * (RFC 4364 4.2).  BUF needs 32 bytes; returns BUF. */
const char *bmp_rd_str(const uint8_t rd[8], char buf[32]);

/* ---- per-router session --------------------------------------------- */

/* A problem the session met, for the caller to show. */
struct bmp_problem {
	const char *router;
	uint64_t msg;       /* 1-based message number, 0 if outside one */
	uint64_t offset;    /* byte offset in the router's stream */
	uint8_t msg_type;   /* 0xff if unknown */
	uint8_t err;        /* enum vg_err */
	uint8_t action;     /* enum vg_action */
	uint8_t attr_type;
	const char *msg_text;
};

typedef void (*bmp_problem_fn)(void *ctx, const struct bmp_problem *p);

/* Counters of one session (one router connection). */
struct bmp_session_stats {
	uint64_t bytes;        /* bytes pushed */
	uint64_t msgs;         /* messages framed */
	uint64_t by_type[8];   /* messages by type (index 7: other types) */
	uint64_t elems;        /* elements produced */
	uint64_t problems;     /* problems reported */
	uint64_t msgs_bad;     /* messages skipped or partly decoded */
	uint64_t peers_up;     /* monitored peers currently up */
};

/* Where an element of a BMP session came from: vg_elem.source points at
 * one of these when vg_elem.flags has VG_ELEM_F_BMP (elem.h). */
struct bmp_elem_src {
	const struct bmp_msg *msg;    /* the message (per-peer header...) */
	const char *router;           /* the session's router name */
	uint64_t index;               /* 1-based message number */
	uint8_t has_rd;               /* rd is the route's (VPN NLRI) RD */
	uint8_t rd[8];
	uint8_t n_labels;             /* MPLS labels (SAFI 4, 128) */
	uint32_t labels[4];           /* label values (20 bits) */
	uint8_t eor;                  /* no element: End-of-RIB marker */
};

struct bmp_session;

/*
 * A session for one router's stream.  ROUTER names it in problems and
 * elements (copied).  ON_PROBLEM may be NULL.  NULL out of memory.
 */
struct bmp_session *bmp_session_new(const char *router,
                                    bmp_problem_fn on_problem, void *ctx);
void bmp_session_free(struct bmp_session *s);

/* The router name given to bmp_session_new(). */
const char *bmp_session_router(const struct bmp_session *s);

/*
 * Append LEN bytes of the stream.  Returns 0, or -1 out of memory or when
 * the session has FAILED (then the bytes are dropped).  Invalidates the
 * current message and elements.
 */
int bmp_session_push(struct bmp_session *s, const void *p, size_t len);

/*
 * Next whole message: 1 and *M set (borrowed until the next push/next
 * call), 0 when more bytes are needed, -1 when the stream cannot be framed
 * any more (reported; the session is FAILED and stays so).  Messages that
 * frame but do not decode are reported and skipped, never returned.
 */
int bmp_session_next(struct bmp_session *s, const struct bmp_msg **m);

/*
 * Next element of the current message: route monitoring gives its
 * withdrawals then announcements (bgpdump's order, like the MRT reader),
 * a Peer Up one VG_ELEM_STATE element (Idle -> Established), a Peer Down
 * one (Established -> Idle).  Returns 1 and *E (borrowed like the
 * message), 0 when the message has no more.  An End-of-RIB route
 * monitoring message gives no element; bmp_session_eor() tells it.
 */
int bmp_session_next_elem(struct bmp_session *s, const struct vg_elem **e);

/* If the current message is an End-of-RIB marker (RFC 4724 2), 1 and
 * sets *AFI and *SAFI; else 0. */
int bmp_session_eor(const struct bmp_session *s, uint16_t *afi,
                    uint8_t *safi);

/* Tell the session the stream ended: a partial message left in the
 * buffer is reported as truncated.  Returns 1 if there was one, else 0. */
int bmp_session_end(struct bmp_session *s);

int bmp_session_failed(const struct bmp_session *s);
const struct bmp_session_stats *bmp_session_stats(const struct bmp_session *s);

/* ---- listener (libevent) -------------------------------------------- */

/* A monitored peer going up or down, for the peer callback. */
struct bmp_peer_info {
	struct bmp_peer_hdr hdr;      /* per-peer header of the message */
	uint32_t asn;                 /* peer ASN (OPEN or header) */
	uint8_t reason;               /* Peer Down reason, 0 for up */
	const struct bgp_notification *notification; /* or NULL */
	const struct bmp_msg *msg;    /* the whole message (borrowed) */
};

/* Counters of a listener, summed over all connections, plus the routers
 * (connections) currently open.  Per-router counters come through
 * bmp_listener_router_stats(). */
struct bmp_listener_stats {
	uint64_t connections;      /* accepted since start */
	uint64_t routers_open;     /* connections open now */
	uint64_t closed_error;     /* closed because the stream failed */
	uint64_t bytes, msgs, elems, problems;
	uint64_t by_type[8];
};

struct bmp_listener;
struct event_base;

typedef void (*bmp_elem_fn)(void *ctx, const char *router,
                            const struct vg_elem *e);
typedef void (*bmp_peer_fn)(void *ctx, const char *router,
                            const struct bmp_peer_info *p, int up);
/* A router connection opened (UP 1) or closed (UP 0, with its final
 * counters). */
typedef void (*bmp_router_fn)(void *ctx, const char *router, int up,
                              const struct bmp_session_stats *st);
typedef void (*bmp_msg_fn)(void *ctx, const char *router,
                           const struct bmp_msg *m,
                           const struct bmp_session *s);
/* The end of one read from a router: everything read so far has been
 * delivered (a consumer that batches messages hands the batch on here). */
typedef void (*bmp_batch_fn)(void *ctx, const char *router);

/*
 * Listen on ADDR (IPv4 or IPv6 text) PORT (0: any free port, see
 * bmp_listener_port()) on BASE.  Each accepted connection is one router,
 * named "ADDR" of its remote end (or "ADDR:PORT" if that router already
 * has a connection open), with its own struct bmp_session.  Elements go to
 * ON_ELEM (SAFI 1, 2 and 4 only unless bmp_listener_all_safi() is set:
 * VPN routes with RDs are not Internet routing state), Peer Up/Down to
 * ON_PEER; either may be NULL.  Callbacks run on BASE's thread, inside the
 * read callback; while they run, no more is read from that router, and a
 * router the callbacks cannot keep up with is slowed by TCP flow control
 * (the read buffer of each connection is bounded by watermarks), never
 * dropped.  Callbacks may call bmp_listener_pause() and the setters, but
 * must not free the listener.  Returns NULL with ERR on failure.
 */
struct bmp_listener *bmp_listener_new(struct event_base *base,
                                      const char *addr, uint16_t port,
                                      bmp_elem_fn on_elem, bmp_peer_fn on_peer,
                                      void *ctx, char *err, size_t errlen);

/* Optional callbacks: router connect/disconnect, every decoded message,
 * problems (default: counted only). */
void bmp_listener_set_router_cb(struct bmp_listener *l, bmp_router_fn fn);
void bmp_listener_set_msg_cb(struct bmp_listener *l, bmp_msg_fn fn);
void bmp_listener_set_problem_cb(struct bmp_listener *l, bmp_problem_fn fn);
void bmp_listener_set_batch_cb(struct bmp_listener *l, bmp_batch_fn fn);
/* Deliver elements of every SAFI (VPN, labeled...), not only 1, 2, 4. */
void bmp_listener_all_safi(struct bmp_listener *l, int on);
/* Stop (1) or resume (0) reading from every router: for a consumer whose
 * queue is full.  TCP flow control then holds the routers back. */
void bmp_listener_pause(struct bmp_listener *l, int paused);

/* The port actually bound. */
uint16_t bmp_listener_port(const struct bmp_listener *l);

void bmp_listener_stats(const struct bmp_listener *l,
                        struct bmp_listener_stats *st);

/* Counters of each open router: calls FN once per connection. */
void bmp_listener_router_stats(const struct bmp_listener *l,
                               void (*fn)(void *ctx, const char *router,
                                          const struct bmp_session_stats *st),
                               void *ctx);

/* Close every connection (router down callbacks run) and the socket. */
void bmp_listener_free(struct bmp_listener *l);

#endif
