/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * BGP-4 wire decoding (RFC 4271) as vigil needs it for MRT, BMP and live
 * sessions: message header, OPEN with capabilities, UPDATE path attributes
 * with RFC 7606 error handling, NLRI, NOTIFICATION and ROUTE-REFRESH.
 *
 * Everything here is a pure function of its input bytes: no I/O, no global
 * state.  Decoded views BORROW the caller's buffer: the spans in struct
 * bgp_attrs point into it and stay valid only while it does.
 */
#ifndef VIGIL_BGP_H
#define VIGIL_BGP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vigil/addr.h"
#include "vigil/cursor.h"
#include "vigil/diag.h"

/* Message types (RFC 4271 4.1, RFC 2918). */
enum bgp_msg_type {
	BGP_MSG_OPEN = 1,
	BGP_MSG_UPDATE = 2,
	BGP_MSG_NOTIFICATION = 3,
	BGP_MSG_KEEPALIVE = 4,
	BGP_MSG_ROUTE_REFRESH = 5,
};

#define BGP_HEADER_LEN 19
#define BGP_MAX_MSG_LEN 4096
#define BGP_MAX_EXT_MSG_LEN 65535 /* RFC 8654 */

/* Path attribute type codes. */
enum bgp_attr_type {
	BGP_ATTR_ORIGIN = 1,
	BGP_ATTR_AS_PATH = 2,
	BGP_ATTR_NEXT_HOP = 3,
	BGP_ATTR_MED = 4,
	BGP_ATTR_LOCAL_PREF = 5,
	BGP_ATTR_ATOMIC_AGGREGATE = 6,
	BGP_ATTR_AGGREGATOR = 7,
	BGP_ATTR_COMMUNITIES = 8,
	BGP_ATTR_ORIGINATOR_ID = 9,
	BGP_ATTR_CLUSTER_LIST = 10,
	BGP_ATTR_MP_REACH_NLRI = 14,
	BGP_ATTR_MP_UNREACH_NLRI = 15,
	BGP_ATTR_EXT_COMMUNITIES = 16,
	BGP_ATTR_AS4_PATH = 17,
	BGP_ATTR_AS4_AGGREGATOR = 18,
	BGP_ATTR_LARGE_COMMUNITIES = 32,
	BGP_ATTR_OTC = 35,
};

#define BGP_ATTR_FLAG_OPTIONAL 0x80
#define BGP_ATTR_FLAG_TRANSITIVE 0x40
#define BGP_ATTR_FLAG_PARTIAL 0x20
#define BGP_ATTR_FLAG_EXTLEN 0x10

/* AS_PATH segment types (RFC 4271, RFC 5065). */
enum bgp_seg_type {
	BGP_AS_SET = 1,
	BGP_AS_SEQUENCE = 2,
	BGP_AS_CONFED_SEQUENCE = 3,
	BGP_AS_CONFED_SET = 4,
};

#define BGP_AS_TRANS 23456u

/* Well-known communities (RFC 1997). */
#define BGP_COMM_NO_EXPORT 0xFFFFFF01u
#define BGP_COMM_NO_ADVERTISE 0xFFFFFF02u
#define BGP_COMM_NO_EXPORT_SUBCONFED 0xFFFFFF03u

/* A borrowed byte range. */
struct bgp_span {
	const uint8_t *p;
	uint32_t len;
};

/* MP_REACH_NLRI (RFC 4760), or its MRT RIB abbreviation (RFC 6396 4.3.4:
 * next-hop length and next hop only; AFI/SAFI come from the record). */
struct bgp_mp_reach {
	uint16_t afi;
	uint8_t safi;
	uint8_t nh_len;        /* 4, 16 or 32 (global + link-local) */
	uint8_t abbreviated;   /* RFC 6396 form */
	uint8_t nh[32];
	struct bgp_span nlri;
};

struct bgp_mp_unreach {
	uint16_t afi;
	uint8_t safi;
	struct bgp_span nlri;
};

/* An attribute we do not decode, kept raw (flags, type, value). */
struct bgp_attr_raw {
	uint8_t flags;
	uint8_t type;
	struct bgp_span val;
};

#define BGP_ATTR_MAX_RAW 16

/*
 * The decoded path attributes of one UPDATE or RIB entry.  `present` has
 * bit T set for every attribute type T < 64 that was decoded and kept (an
 * attribute discarded under RFC 7606 is not present).  Fields of absent
 * attributes are zero.  `action` is the strongest RFC 7606 action any
 * attribute caused.
 */
struct bgp_attrs {
	uint64_t present;
	uint8_t asn_size; /* 2 or 4: width of ASNs in as_path */
	uint8_t origin;   /* 0 IGP, 1 EGP, 2 INCOMPLETE */
	uint8_t action;   /* enum vg_action */
	uint8_t n_raw;    /* entries used in raw[] */
	uint8_t nexthop[4];
	uint8_t aggregator_addr[4];
	uint8_t as4_aggregator_addr[4];
	uint8_t originator_id[4];
	uint32_t med;
	uint32_t local_pref;
	uint32_t aggregator_as;
	uint32_t as4_aggregator_as;
	uint32_t otc;
	uint32_t n_raw_total; /* unknown attributes seen, kept or not */
	struct bgp_span as_path;  /* AS_PATH value, asn_size-wide ASNs */
	struct bgp_span as4_path; /* AS4_PATH value, 4-byte ASNs */
	struct bgp_span communities;
	struct bgp_span ext_communities;
	struct bgp_span large_communities;
	struct bgp_span cluster_list;
	struct bgp_mp_reach mp_reach;
	struct bgp_mp_unreach mp_unreach;
	struct bgp_attr_raw raw[BGP_ATTR_MAX_RAW];
	struct bgp_span all; /* the whole attribute block */
};

#define BGP_HAS(a, t) (((a)->present >> (t)) & 1u)

/* How to read attributes and NLRI. */
struct bgp_decode_opts {
	uint8_t asn_size;  /* 2 or 4 */
	uint8_t addpath;   /* NLRI carry 4-byte path ids (RFC 7911) */
	uint8_t mrt_rib;   /* attributes of an MRT RIB entry (RFC 6396) */
	uint8_t rib_afi;   /* with mrt_rib: AFI of the entry */
	uint8_t rib_safi;
	uint8_t cut;       /* the message was cut short by whoever recorded
	                      it (MRT): keep what is complete instead of
	                      rejecting the whole UPDATE */
};

/*
 * Decode the path attribute block P[0..LEN) into A, applying RFC 7606:
 * malformed attributes are discarded or turn the update into a
 * treat-as-withdraw (A->action), each problem recorded in D with its offset
 * relative to P.  Returns 0, or -1 when the block cannot be used at all
 * (A->action == VG_ACT_SESSION_RESET).  A borrows P.
 */
int bgp_attrs_decode(struct bgp_attrs *a, const uint8_t *p, size_t len,
                     const struct bgp_decode_opts *o, struct vg_diag *d);

/* The next hop of an MP_REACH_NLRI as an address (IPv4, or the global
 * IPv6 address of a 16- or 32-byte next hop); afi 0 if neither. */
void bgp_mp_nexthop(struct vg_addr *nh, const struct bgp_mp_reach *m);

/* A decoded UPDATE message body (after the 19-byte header). */
struct bgp_update {
	struct bgp_span withdrawn; /* classic IPv4 withdrawn routes */
	struct bgp_span nlri;      /* classic IPv4 NLRI */
	struct bgp_attrs attrs;
	uint32_t attrs_off;        /* offset of the attribute block */
	uint32_t nlri_off;         /* offset of the NLRI */
};

/*
 * Decode an UPDATE body (the bytes after the header) into U.  Returns 0, or
 * -1 if the message is unusable (lengths inconsistent: RFC 7606 session
 * reset).  Problems go to D with offsets relative to BODY.
 */
int bgp_update_decode(struct bgp_update *u, const uint8_t *body, size_t len,
                      const struct bgp_decode_opts *o, struct vg_diag *d);

/* Iterate prefixes of an NLRI field. */
struct bgp_nlri_iter {
	struct vg_cursor c;
	uint32_t base;   /* offset of the field start for diagnostics */
	uint32_t start_len;
	uint16_t afi;
	uint8_t safi, addpath;
	uint8_t fast;    /* plain unicast/multicast IPv4 or IPv6 NLRI */
	uint8_t maxlen;  /* 32 or 128 */
};

static inline void
bgp_nlri_init(struct bgp_nlri_iter *it, struct bgp_span s, unsigned afi,
              unsigned safi, int addpath, uint32_t base_offset)
{
	vg_cur_init(&it->c, s.p, s.len);
	it->base = base_offset;
	it->start_len = s.len;
	it->afi = (uint16_t)afi;
	it->safi = (uint8_t)safi;
	it->addpath = addpath ? 1 : 0;
	it->maxlen = afi == VG_AFI_IP6 ? 128 : 32;
	it->fast = !addpath && (afi == VG_AFI_IP4 || afi == VG_AFI_IP6) &&
	           (safi == VG_SAFI_UNICAST || safi == VG_SAFI_MULTICAST ||
	            safi == 3);
}

/*
 * Next prefix into P (host bits beyond the length cleared) and *PATH_ID
 * (0 without ADD-PATH).  Returns 1, 0 at the end, -1 on a malformed or
 * truncated entry (recorded in D; the rest of the field is not used) or an
 * AFI/SAFI whose NLRI encoding we do not decode (VG_ERR_UNSUPPORTED).
 *
 * The common case (a well-formed IPv4/IPv6 prefix with at least 16 bytes
 * of the field after it) is decoded inline with fixed-size loads; every
 * other case, and every error, goes through bgp_nlri_next_slow().
 */
int bgp_nlri_next_slow(struct bgp_nlri_iter *it, struct vg_prefix *p,
                       uint32_t *path_id, struct vg_diag *d);

static inline int
bgp_nlri_next(struct bgp_nlri_iter *it, struct vg_prefix *p,
              uint32_t *path_id, struct vg_diag *d)
{
	const uint8_t *b = it->c.p;
	unsigned plen, nbytes;

	if (it->c.len == 0)
		return 0;
	if (!it->fast)
		return bgp_nlri_next_slow(it, p, path_id, d);
	plen = b[0];
	nbytes = (plen + 7u) >> 3;
	if (plen > it->maxlen || 1 + nbytes > it->c.len)
		return bgp_nlri_next_slow(it, p, path_id, d);
	*path_id = 0;
	p->afi = (uint8_t)it->afi;
	p->safi = it->safi;
	p->len = (uint8_t)plen;
	if (it->maxlen == 32) {
		uint32_t v;
		switch (nbytes) {
		case 0: v = 0; break;
		case 1: v = (uint32_t)b[1] << 24; break;
		case 2: v = (uint32_t)vg_load_be16(b + 1) << 16; break;
		case 3: v = (uint32_t)vg_load_be16(b + 1) << 16 |
		            (uint32_t)b[3] << 8; break;
		default: v = vg_load_be32(b + 1); break;
		}
		v = plen ? v & ~(uint32_t)0 << (32 - plen) : 0;
		vg_store_be32(p->addr, v);
		memset(p->addr + 4, 0, 12);
	} else {
		uint8_t tmp[16] = {0};
		const uint8_t *src = b + 1;
		uint64_t hi, lo;
		if (it->c.len < 17) {
			memcpy(tmp, b + 1, nbytes);
			src = tmp;
		}
		hi = vg_load_be64(src);
		lo = vg_load_be64(src + 8);
		if (plen <= 64) {
			hi = plen ? hi & ~(uint64_t)0 << (64 - plen) : 0;
			lo = 0;
		} else {
			lo &= ~(uint64_t)0 << (128 - plen);
		}
		vg_store_be64(p->addr, hi);
		vg_store_be64(p->addr + 8, lo);
	}
	it->c.p += 1 + nbytes;
	it->c.len -= 1 + nbytes;
	return 1;
}

/*
 * The effective AS path: AS_PATH, merged with AS4_PATH per RFC 6793 4.2.3
 * when the speaker used 2-byte ASNs.  Arrays grow as needed.
 */
struct bgp_path {
	uint32_t *asn;      /* every ASN, segments concatenated */
	uint8_t *seg_type;  /* enum bgp_seg_type per segment */
	uint32_t *seg_len;  /* ASNs per segment */
	uint32_t nasn, nseg;
	uint32_t cap_asn, cap_seg;
};

void bgp_path_init(struct bgp_path *p);
void bgp_path_destroy(struct bgp_path *p);

/* Build P from A.  Returns 0, or -1 out of memory. */
int bgp_path_build(struct bgp_path *p, const struct bgp_attrs *a);

/* RFC 4271 path length: a SET counts as one. */
uint32_t bgp_path_count(const struct bgp_path *p);

/* The origin AS (last ASN of a final AS_SEQUENCE), or 0 if the path is
 * empty or ends in a set. */
uint32_t bgp_path_origin(const struct bgp_path *p);

/* Text as bgpdump prints it: "1 2 {3,4} (5 6) [7]".  Writes at most CAP-1
 * bytes plus NUL; returns the full length it needed. */
size_t bgp_path_fmt(const struct bgp_path *p, char *buf, size_t cap);

/* Decode the 19-byte header at P (LEN bytes available).  On success sets
 * *TYPE and *MSGLEN (whole message length) and returns 0; -1 with D on a
 * bad marker, a length outside 19..MAXLEN or a truncated header. */
int bgp_header_decode(const uint8_t *p, size_t len, size_t maxlen,
                      uint8_t *type, uint16_t *msglen, struct vg_diag *d);

/* OPEN (RFC 4271 4.2) with the capabilities vigil cares about. */
#define BGP_OPEN_MAX_AFI 16
struct bgp_open {
	uint8_t version;
	uint16_t my_as;
	uint16_t hold_time;
	uint8_t bgp_id[4];
	uint32_t as4;            /* RFC 6793 capability value, 0 if absent */
	uint8_t route_refresh;   /* RFC 2918 */
	uint8_t ext_msg;         /* RFC 8654 */
	uint8_t gr;              /* RFC 4724 capability present */
	uint16_t gr_time;        /* restart time, seconds */
	uint8_t gr_flags;
	uint8_t n_mp;
	struct { uint16_t afi; uint8_t safi; } mp[BGP_OPEN_MAX_AFI];
	uint8_t n_addpath;
	struct { uint16_t afi; uint8_t safi, mode; } addpath[BGP_OPEN_MAX_AFI];
	uint32_t n_caps;         /* all capabilities seen, known or not */
};

/* Decode an OPEN body (after the header).  0, or -1 with D. */
int bgp_open_decode(struct bgp_open *o, const uint8_t *body, size_t len,
                    struct vg_diag *d);

/* The peer's ASN from an OPEN: the AS4 capability if present. */
static inline uint32_t
bgp_open_asn(const struct bgp_open *o)
{
	return o->as4 ? o->as4 : o->my_as;
}

/* Does the OPEN advertise ADD-PATH receive/send for AFI/SAFI?  MODE is
 * 1 receive, 2 send, 3 both (RFC 7911). */
int bgp_open_addpath(const struct bgp_open *o, unsigned afi, unsigned safi,
                     unsigned mode);

struct bgp_notification {
	uint8_t code, subcode;
	struct bgp_span data;
	char shutdown_msg[256]; /* RFC 9003 text, if any */
};

int bgp_notification_decode(struct bgp_notification *n, const uint8_t *body,
                            size_t len, struct vg_diag *d);

/* "Cease/Administrative Shutdown", "Hold Timer Expired", ... */
const char *bgp_notification_code_name(unsigned code);
const char *bgp_notification_subcode_name(unsigned code, unsigned subcode);

struct bgp_route_refresh {
	uint16_t afi;
	uint8_t subtype; /* RFC 7313: 0 normal, 1 BoRR, 2 EoRR */
	uint8_t safi;
};

int bgp_route_refresh_decode(struct bgp_route_refresh *r, const uint8_t *body,
                             size_t len, struct vg_diag *d);

/* Name of an attribute type ("AS_PATH"), or NULL if unknown. */
const char *bgp_attr_name(unsigned type);

/* ==== encoding (src/wire/bgp_encode.c) ===============================
 *
 * The other direction: build BGP messages into caller buffers.  Nothing is
 * allocated; every encoder returns the number of bytes written, or -1 when
 * the result would not fit in CAP (or the input cannot be encoded), in
 * which case the buffer contents are unspecified.  ASNs are 4-byte
 * (RFC 6793) unless BGP_ENC_AS2 asks for the 2-byte form.
 */

/* Which optional fields of a struct bgp_attr_set are set. */
#define BGP_SET_NEXTHOP4 0x01    /* NEXT_HOP (IPv4 unicast NLRI) */
#define BGP_SET_NEXTHOP6 0x02    /* IPv6 next hop for MP_REACH_NLRI */
#define BGP_SET_MED 0x04
#define BGP_SET_LOCAL_PREF 0x08
#define BGP_SET_ATOMIC_AGGREGATE 0x10
#define BGP_SET_AGGREGATOR 0x20

/*
 * Path attributes to encode.  ORIGIN and AS_PATH are always written (a
 * NULL or empty PATH is the empty AS_PATH of an iBGP route); the rest only
 * when their BGP_SET_* bit is in HAS or their count is non-zero.  RAW holds
 * further attributes already in wire form (flags, type, length, value, one
 * after another, e.g. built with bgp_attr_put()); they are copied through,
 * merged in type-code order (RFC 4271 5: attributes are sent in ascending
 * type order).  RAW must not repeat an attribute the set encodes itself.
 * Nothing is copied: the set only points at the caller's arrays.
 */
struct bgp_attr_set {
	uint32_t has;          /* BGP_SET_* */
	uint8_t origin;        /* 0 IGP, 1 EGP, 2 INCOMPLETE */
	uint8_t nexthop6_len;  /* 16, or 32 with a link-local address */
	uint8_t nexthop4[4];
	uint8_t nexthop6[32];
	uint32_t med;
	uint32_t local_pref;
	uint32_t aggregator_as;
	uint8_t aggregator_addr[4];
	const struct bgp_path *path;        /* NULL: empty AS_PATH */
	const uint32_t *communities;        /* RFC 1997, n_communities */
	uint32_t n_communities;
	const uint32_t *large_communities;  /* RFC 8092, 3 * n_large words */
	uint32_t n_large;
	const uint8_t *raw;                 /* pre-encoded attributes */
	uint32_t raw_len;
};

/* Encoding flags. */
#define BGP_ENC_AS2 0x01     /* 2-byte ASNs: AS_TRANS + AS4_PATH and
                                AS4_AGGREGATOR (RFC 6793 4.2.2) */
#define BGP_ENC_MRT_MP 0x02  /* add the abbreviated MP_REACH_NLRI of an MRT
                                RIB entry (RFC 6396 4.3.4): next-hop
                                length and next hop (nexthop6) only */
#define BGP_ENC_ADDPATH 0x04 /* NLRI carry 4-byte path ids (RFC 7911) */

/*
 * Encode the attribute block of A (no MP_REACH/MP_UNREACH except the MRT
 * form with BGP_ENC_MRT_MP) into BUF.  This is what an MRT TABLE_DUMP_V2
 * RIB entry carries: use 0 for IPv4 entries and BGP_ENC_MRT_MP for IPv6
 * ones.  Returns the length, or -1 if it does not fit in CAP, a RAW block
 * is malformed, an AS_SET has more than 255 members, or BGP_ENC_MRT_MP is
 * given without an IPv6 next hop.
 */
int bgp_attrs_encode(uint8_t *buf, size_t cap, const struct bgp_attr_set *a,
                     unsigned flags);

/*
 * Write one attribute (flags, type, length, value) at BUF, setting the
 * extended-length flag when LEN > 255.  Returns the bytes written or -1.
 * For building bgp_attr_set.raw.
 */
int bgp_attr_put(uint8_t *buf, size_t cap, uint8_t flags, uint8_t type,
                 const void *val, size_t len);

/* Bytes an NLRI entry for P takes (with a path id if ADDPATH). */
size_t bgp_nlri_entry_len(const struct vg_prefix *p, int addpath);

/*
 * An UPDATE to build.  IPv4 unicast prefixes go in the classic withdrawn
 * routes and NLRI fields; every other AFI/SAFI in MP_UNREACH_NLRI /
 * MP_REACH_NLRI (RFC 4760), one AFI/SAFI per message.  Path attributes are
 * written only when something is announced; IPv4 announcements need
 * BGP_SET_NEXTHOP4, MP ones BGP_SET_NEXTHOP6 (IPv6) or NEXTHOP4 (IPv4
 * multicast).  Path ids (BGP_ENC_ADDPATH) come from the *_path_id arrays,
 * or are 0 where an array is NULL.
 */
struct bgp_update_msg {
	const struct vg_prefix *withdrawn;
	const uint32_t *withdrawn_path_id;
	uint32_t n_withdrawn;
	const struct vg_prefix *announced;
	const uint32_t *announced_path_id;
	uint32_t n_announced;
	const struct bgp_attr_set *attrs; /* required if n_announced > 0 */
	unsigned flags;                   /* BGP_ENC_AS2, BGP_ENC_ADDPATH */
};

/*
 * Encode U as one whole UPDATE message (header included) into BUF; CAP is
 * also the largest message allowed (pass BGP_MAX_MSG_LEN, or up to
 * BGP_MAX_EXT_MSG_LEN after RFC 8654 negotiation).  Returns the message
 * length, or -1 if not everything fits or U cannot be encoded.
 */
int bgp_update_encode(uint8_t *buf, size_t cap, const struct bgp_update_msg *u);

/*
 * Like bgp_update_encode(), but take as many prefixes as fit: the first
 * *N_WITHDRAWN withdrawals and the first *N_ANNOUNCED announcements of U
 * (withdrawals first; a prefix of another MP AFI/SAFI than the first one
 * ends the run).  Call again with the rest.  Returns the message length,
 * or -1 if not even one prefix fits (or U cannot be encoded).  An empty U
 * gives the End-of-RIB marker of RFC 4724 (an empty UPDATE).
 */
int bgp_update_pack(uint8_t *buf, size_t cap, const struct bgp_update_msg *u,
                    uint32_t *n_withdrawn, uint32_t *n_announced);

/* Write a 19-byte header for a message of type TYPE and total LEN. */
void bgp_header_put(uint8_t *buf, uint8_t type, uint16_t len);

/*
 * OPEN from O (the struct bgp_open_decode() fills): version, my_as,
 * hold_time, bgp_id and one Capabilities parameter with multiprotocol
 * (mp[]), route refresh, extended message, graceful restart (flags and time,
 * no per-AFI entries), 4-octet AS (when as4 != 0) and ADD-PATH (addpath[]).
 * Use bgp_open_set_asn() to fill my_as/as4 from one ASN.  Returns the
 * message length or -1.
 */
int bgp_open_encode(uint8_t *buf, size_t cap, const struct bgp_open *o);

/* my_as = ASN, or AS_TRANS when it needs 4 bytes; as4 = ASN. */
void bgp_open_set_asn(struct bgp_open *o, uint32_t asn);

/* KEEPALIVE (19 bytes) or -1. */
int bgp_keepalive_encode(uint8_t *buf, size_t cap);

/*
 * NOTIFICATION with N's code, subcode and data.  For Cease/Administrative
 * Shutdown or Reset (6/2, 6/4) with no data but a shutdown_msg, the
 * RFC 9003 length-prefixed message is written (at most 255 bytes).
 * Returns the message length or -1.
 */
int bgp_notification_encode(uint8_t *buf, size_t cap,
                            const struct bgp_notification *n);

/* ROUTE-REFRESH (RFC 2918, RFC 7313 subtype) or -1. */
int bgp_route_refresh_encode(uint8_t *buf, size_t cap,
                             const struct bgp_route_refresh *r);

#endif
