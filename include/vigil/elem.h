/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The routing element: the unit every vigil source produces (MRT files now,
 * BGP and BMP sessions later) and every consumer takes (dump formatters,
 * the routing state, the detectors).  One element is one route event seen
 * by one collector peer: a RIB entry, an announcement, a withdrawal, or a
 * peer session state change.
 *
 * Elements are views: `attrs` and `path` point into the producer's buffers
 * and are valid only until the producer's next call.  Elements of one BGP
 * UPDATE share the same attrs/path, and `attrs_gen` tells a consumer when
 * they change so it can reuse work done for the previous element.
 */
#ifndef VIGIL_ELEM_H
#define VIGIL_ELEM_H

#include <stdint.h>

#include "vigil/addr.h"
#include "vigil/bgp.h"

enum vg_elem_type {
	VG_ELEM_RIB = 1,  /* an entry of a table dump */
	VG_ELEM_ANNOUNCE, /* route announced in an UPDATE */
	VG_ELEM_WITHDRAW, /* route withdrawn (or treated as withdrawn) */
	VG_ELEM_STATE,    /* peer session state change */
	VG_ELEM_EOR,      /* End-of-RIB marker (RFC 4724 2) for the AFI/SAFI
	                     in prefix.afi/safi (prefix length 0); only from
	                     readers that ask for it (mrt_reader_set_eor) */
};

/* BGP FSM states as MRT encodes them (RFC 6396 4.4.1). */
enum vg_bgp_state {
	VG_STATE_IDLE = 1,
	VG_STATE_CONNECT = 2,
	VG_STATE_ACTIVE = 3,
	VG_STATE_OPENSENT = 4,
	VG_STATE_OPENCONFIRM = 5,
	VG_STATE_ESTABLISHED = 6,
};

/* Element flags */
#define VG_ELEM_F_PATH_ID 0x01  /* path_id is meaningful (ADD-PATH) */
#define VG_ELEM_F_TAW 0x02      /* withdrawal made by RFC 7606
                                   treat-as-withdraw, not by the peer */
#define VG_ELEM_F_LOCAL 0x04    /* message sent by the collector */
#define VG_ELEM_F_MP 0x08       /* prefix came from MP_(UN)REACH_NLRI */
#define VG_ELEM_F_BMP 0x10      /* from a BMP session: source is a
                                   struct bmp_elem_src (vigil/bmp.h) */

struct vg_elem {
	uint8_t type;  /* enum vg_elem_type */
	uint8_t flags; /* VG_ELEM_F_* */
	uint16_t old_state, new_state; /* VG_ELEM_STATE */
	uint16_t rib_more;   /* RIB: entries of the same record (the same
	                        prefix) still to come, a sizing hint; else 0 */
	uint32_t time_sec;
	uint32_t time_usec;  /* 0 unless the source has microseconds */
	uint32_t originated; /* RIB: when the route was learned, else 0 */
	uint32_t peer_asn;
	uint32_t path_id;
	uint32_t attrs_gen;  /* changes when attrs/path change */
	struct vg_addr peer_addr;
	struct vg_addr nexthop;   /* afi 0 when the route has none */
	struct vg_prefix prefix;  /* RIB/ANNOUNCE/WITHDRAW */
	const struct bgp_attrs *attrs; /* RIB/ANNOUNCE; NULL otherwise */
	const struct bgp_path *path;   /* effective AS path, with attrs */
	const void *source;  /* producer-specific (struct mrt_record *) */
};

const char *vg_elem_type_name(enum vg_elem_type t);
/* A new attributes generation, unique in the process (never 0). */
uint32_t vg_attrs_gen_next(void);
const char *vg_bgp_state_name(unsigned state);

#endif
