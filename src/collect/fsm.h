/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The passive BGP speaker's finite state machine (RFC 4271 8), as a pure
 * function of the messages it is given: no sockets, no timers, no clock.
 * The daemon (src/collect/daemon.c) frames bytes into messages, runs the
 * timers and calls in here; unit tests drive it directly.
 *
 * A session starts when an accepted TCP connection from a configured peer
 * is handed over (bgp_fsm_accept: our OPEN is queued, state OpenSent); it
 * ends in Idle, after a NOTIFICATION received or queued.  Everything to be
 * sent is appended to f->out (the caller writes and clears it).  State
 * transitions are recorded in f->trans[] for the caller to log and archive
 * (cleared by the caller).  The speaker never announces routes.
 *
 * Capabilities offered: multiprotocol IPv4 and IPv6 unicast (RFC 4760),
 * route refresh (RFC 2918), extended messages (RFC 8654), graceful restart
 * as a receiving speaker (RFC 4724), 4-octet AS (RFC 6793), and ADD-PATH
 * receive (RFC 7911) when configured for the peer.
 */
#ifndef VIGIL_COLLECT_FSM_H
#define VIGIL_COLLECT_FSM_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/bgp.h"
#include "vigil/diag.h"

struct bgp_fsm_cfg {
	uint32_t local_as;
	uint32_t peer_as;     /* the configured ASN; the OPEN must match */
	uint8_t router_id[4];
	uint16_t hold_time;   /* what we offer; 0 or >= 3 */
	uint8_t addpath;      /* offer ADD-PATH receive for IPv4/IPv6 unicast */
};

/* ap_mask bits: path ids are carried for this family */
#define BGP_FSM_AP_V4 0x1
#define BGP_FSM_AP_V6 0x2

struct bgp_fsm_trans {
	uint8_t from, to; /* enum vg_bgp_state */
};

struct bgp_fsm {
	struct bgp_fsm_cfg cfg;
	uint8_t state;        /* enum vg_bgp_state */
	/* negotiated when the peer's OPEN is accepted */
	uint8_t as4, ext_msg, route_refresh, gr, ap_mask;
	uint16_t hold;        /* negotiated hold time, 0 = no hold timer */
	uint16_t keepalive;   /* hold / 3 */
	uint16_t gr_time;     /* the peer's restart time */
	struct bgp_open peer; /* the peer's OPEN */
	/* output */
	uint8_t out[4096 + 512];
	size_t outlen;
	struct bgp_fsm_trans trans[8];
	unsigned ntrans;
	/* the last NOTIFICATION sent / received (valid when *_set) */
	uint8_t sent_set, sent_code, sent_sub;
	uint8_t got_set, got_code, got_sub;
	char got_msg[256]; /* RFC 9003 shutdown communication, if any */
	char why[200];     /* what made us send ours, for the log */
	uint16_t upd_afi; /* the last UPDATE's family: its MP attribute's
	                     AFI, else 1 (IPv4) */
	/* RFC 7606 problems of the last UPDATE (kept session up) */
	struct vg_diag diag;
};

/* Results of bgp_fsm_input() */
enum bgp_fsm_rc {
	BGP_FSM_CLOSE = -1, /* the session is over (state Idle): flush out, close */
	BGP_FSM_OK = 0,     /* nothing for the caller beyond out/trans */
	BGP_FSM_UPDATE = 1, /* a usable UPDATE (maybe with RFC 7606 problems
	                       in f->diag): hand it on */
	BGP_FSM_OPEN = 2,   /* the peer's OPEN was accepted (f->peer) */
	BGP_FSM_ROUTE_REFRESH = 3,
	BGP_FSM_NOTIFICATION = 4, /* a NOTIFICATION was received: session
	                             over, as BGP_FSM_CLOSE */
	BGP_FSM_UP = 5,     /* the session reached Established */
	BGP_FSM_KEEPALIVE = 6,
};

void bgp_fsm_init(struct bgp_fsm *f, const struct bgp_fsm_cfg *cfg);

/* A TCP connection from the peer was accepted: queue our OPEN; state
 * Active -> OpenSent. */
void bgp_fsm_accept(struct bgp_fsm *f);

/* Largest message the peer may send now: 4096, or 65535 once extended
 * messages are negotiated (RFC 8654). */
unsigned bgp_fsm_max_len(const struct bgp_fsm *f);

/*
 * Check the header of the next message (AVAIL >= 19 bytes at P).  Returns
 * its total length, or -1 after queuing the NOTIFICATION for a bad marker,
 * length or type (RFC 4271 6.1); the session is then over.
 */
int bgp_fsm_frame(struct bgp_fsm *f, const uint8_t *p, size_t avail);

/* One whole message MSG (header included, LEN bytes, already framed).
 * Returns an enum bgp_fsm_rc. */
int bgp_fsm_input(struct bgp_fsm *f, const uint8_t *msg, size_t len);

/* The hold timer ran out: NOTIFICATION Hold Timer Expired, Idle. */
void bgp_fsm_hold_expired(struct bgp_fsm *f);

/* Time to send a KEEPALIVE (queued only in OpenConfirm / Established). */
void bgp_fsm_keepalive(struct bgp_fsm *f);

/* Close the session from our side with NOTIFICATION CODE/SUBCODE (and an
 * RFC 9003 message for Cease 2 and 4 when MSG is not NULL); Idle. */
void bgp_fsm_stop(struct bgp_fsm *f, unsigned code, unsigned subcode,
                  const char *msg);

/* The connection went away without a NOTIFICATION: Idle. */
void bgp_fsm_conn_lost(struct bgp_fsm *f);

/* Does an UPDATE's NLRI of AFI carry path ids on this session? */
static inline int
bgp_fsm_addpath(const struct bgp_fsm *f, unsigned afi)
{
	return (f->ap_mask & (afi == 1 ? BGP_FSM_AP_V4 : BGP_FSM_AP_V6)) != 0;
}

/* "Cease/Administrative Shutdown" into BUF. */
void bgp_fsm_reason(unsigned code, unsigned subcode, char *buf, size_t len);

#endif
