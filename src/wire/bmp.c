/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * BMP v3 message decoding (RFC 7854, RFC 9069 Loc-RIB, RFC 8671
 * Adj-RIB-Out): the common header, the per-peer header, and the body of
 * every message type.  Pure functions over a borrowed buffer, every read
 * through the bounds-checked cursor; offsets in diagnostics are relative to
 * the start of the message.  BGP messages inside (OPENs of a Peer Up, the
 * NOTIFICATION of a Peer Down, the UPDATE of route monitoring) are decoded
 * with the BGP decoders of bgp_msg.c; turning UPDATEs into elements is the
 * session's work (bmp_session.c).
 */
#include <stdio.h>
#include <string.h>

#include "vigil/bmp.h"

const char *
bmp_msg_type_name(unsigned type)
{
	static const char *const n[] = {
	    "route_monitoring", "statistics", "peer_down",     "peer_up",
	    "initiation",       "termination", "route_mirroring",
	};
	return type < sizeof(n) / sizeof(n[0]) ? n[type] : "unknown";
}

const char *
bmp_peer_type_name(unsigned type)
{
	static const char *const n[] = {"global", "rd", "local", "loc_rib"};
	return type < 4 ? n[type] : "unknown";
}

const char *
bmp_down_reason_name(unsigned reason)
{
	switch (reason) {
	case BMP_DOWN_LOCAL_NOTIFY:
		return "local system closed with a notification";
	case BMP_DOWN_LOCAL_NO_NOTIFY:
		return "local system closed without a notification";
	case BMP_DOWN_REMOTE_NOTIFY:
		return "remote system closed with a notification";
	case BMP_DOWN_REMOTE_NO_NOTIFY:
		return "remote system closed without a notification";
	case BMP_DOWN_DECONFIGURED:
		return "peer de-configured";
	case BMP_DOWN_LOCAL_TLV:
		return "local system closed (Loc-RIB)";
	}
	return "unknown reason";
}

const char *
bmp_stat_name(unsigned type)
{
	/* IANA "BMP Statistics Types" */
	static const char *const n[] = {
	    "prefixes rejected by inbound policy",
	    "duplicate prefix advertisements",
	    "duplicate withdraws",
	    "updates invalidated due to CLUSTER_LIST loop",
	    "updates invalidated due to AS_PATH loop",
	    "updates invalidated due to ORIGINATOR_ID",
	    "updates invalidated due to AS_CONFED loop",
	    "routes in Adj-RIBs-In",
	    "routes in Loc-RIB",
	    "routes in per-AFI/SAFI Adj-RIB-In",
	    "routes in per-AFI/SAFI Loc-RIB",
	    "updates subjected to treat-as-withdraw",
	    "prefixes subjected to treat-as-withdraw",
	    "duplicate update messages",
	    "routes in pre-policy Adj-RIB-Out",
	    "routes in post-policy Adj-RIB-Out",
	    "routes in per-AFI/SAFI pre-policy Adj-RIB-Out",
	    "routes in per-AFI/SAFI post-policy Adj-RIB-Out",
	};
	return type < sizeof(n) / sizeof(n[0]) ? n[type] : NULL;
}

const char *
bmp_rd_str(const uint8_t rd[8], char buf[32])
{
	unsigned t = vg_load_be16(rd);
	switch (t) {
	case 0: /* 2-byte AS : 4-byte number */
		snprintf(buf, 32, "0:%u:%u", vg_load_be16(rd + 2),
		         vg_load_be32(rd + 4));
		break;
	case 1: /* IPv4 address : 2-byte number */
		snprintf(buf, 32, "1:%u.%u.%u.%u:%u", rd[2], rd[3], rd[4], rd[5],
		         vg_load_be16(rd + 6));
		break;
	case 2: /* 4-byte AS : 2-byte number */
		snprintf(buf, 32, "2:%u:%u", vg_load_be32(rd + 2),
		         vg_load_be16(rd + 6));
		break;
	default:
		snprintf(buf, 32, "%u:%02x%02x%02x%02x%02x%02x", t, rd[2], rd[3],
		         rd[4], rd[5], rd[6], rd[7]);
		break;
	}
	return buf;
}

long
bmp_frame(const uint8_t *p, size_t len, size_t *need, struct vg_diag *d)
{
	uint32_t mlen;

	if (len < BMP_COMMON_HDR_LEN) {
		/* check the version early: garbage fails at the first byte */
		if (len >= 1 && p[0] != BMP_VERSION)
			goto bad_version;
		if (need)
			*need = BMP_COMMON_HDR_LEN;
		return 0;
	}
	if (p[0] != BMP_VERSION)
		goto bad_version;
	mlen = vg_load_be32(p + 1);
	if (mlen < BMP_COMMON_HDR_LEN || mlen > BMP_MAX_MSG_LEN) {
		vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET, 0, 1,
		            "message length %u outside %u..%u (type %u)", mlen,
		            BMP_COMMON_HDR_LEN, (unsigned)BMP_MAX_MSG_LEN, p[5]);
		return -1;
	}
	if (len < mlen) {
		if (need)
			*need = mlen;
		return 0;
	}
	return (long)mlen;

bad_version:
	vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET, 0, 0,
	            "version %u, not a BMP v3 message", p[0]);
	return -1;
}

static size_t
off_of(const struct vg_cursor *c, const uint8_t *base)
{
	return (size_t)(c->p - base);
}

static int
peer_hdr(struct bmp_peer_hdr *h, struct vg_cursor *c)
{
	const uint8_t *a;

	if (vg_cur_get_u8(c, &h->type) < 0 || vg_cur_get_u8(c, &h->flags) < 0 ||
	    vg_cur_get_bytes(c, h->rd, 8) < 0 || vg_cur_get_ptr(c, 16, &a) < 0 ||
	    vg_cur_get_u32(c, &h->asn) < 0 ||
	    vg_cur_get_bytes(c, h->bgp_id, 4) < 0 ||
	    vg_cur_get_u32(c, &h->ts_sec) < 0 ||
	    vg_cur_get_u32(c, &h->ts_usec) < 0)
		return -1;
	memset(&h->addr, 0, sizeof(h->addr));
	/* RFC 9069 4.1: a Loc-RIB peer has no address and its flag 0x80 is
	 * F, not V; the address field is zero. */
	if (h->type != BMP_PEER_LOC_RIB && (h->flags & BMP_PEER_F_V)) {
		h->addr.afi = VG_AFI_IP6;
		memcpy(h->addr.addr, a, 16);
	} else {
		h->addr.afi = VG_AFI_IP4;
		memcpy(h->addr.addr, a + 12, 4);
	}
	return 0;
}

/* Information TLVs to the end of C.  Returns 0, or -1 on a TLV that
 * overruns the message (recorded; the TLVs before it are kept). */
static int
tlvs(struct bmp_msg *m, struct vg_cursor *c, const uint8_t *base,
     struct vg_diag *d)
{
	while (vg_cur_left(c) > 0) {
		uint16_t t, l;
		const uint8_t *v;
		size_t at = off_of(c, base);
		if (vg_cur_get_u16(c, &t) < 0 || vg_cur_get_u16(c, &l) < 0 ||
		    vg_cur_get_ptr(c, l, &v) < 0) {
			vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_PARTIAL, 0,
			            (uint32_t)at,
			            "information TLV overruns the message "
			            "(%zu bytes left)", vg_cur_left(c));
			c->len = 0;
			return -1;
		}
		m->n_tlv_total++;
		if (m->type == BMP_TERMINATION && t == 1 && l == 2)
			m->term_reason = vg_load_be16(v);
		if (m->n_tlv < BMP_MAX_TLV) {
			m->tlv[m->n_tlv].type = t;
			m->tlv[m->n_tlv].val.p = v;
			m->tlv[m->n_tlv].val.len = l;
			m->n_tlv++;
		}
	}
	return 0;
}

/* A whole BGP message of type WANT at C: header checked, *SPAN set to the
 * message, body returned through BODY/BLEN. */
static int
bgp_msg_at(struct vg_cursor *c, const uint8_t *base, unsigned want,
           const char *what, struct bgp_span *span, const uint8_t **body,
           size_t *blen, struct vg_diag *d)
{
	uint8_t type;
	uint16_t mlen;
	size_t at = off_of(c, base);
	struct vg_diag sub;
	const uint8_t *p;

	vg_diag_reset(&sub);
	if (bgp_header_decode(c->p, c->len, BGP_MAX_EXT_MSG_LEN, &type, &mlen,
	                      &sub) < 0) {
		vg_diag_add(d, sub.n ? (enum vg_err)sub.items[0].err
		                     : VG_ERR_MALFORMED,
		            VG_ACT_SKIP_RECORD, 0, (uint32_t)at, "%s: %s", what,
		            sub.n ? sub.items[0].msg : "bad BGP header");
		return -1;
	}
	if (want && type != want) {
		vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_SKIP_RECORD, 0,
		            (uint32_t)at, "%s: BGP message type %u, expected %u",
		            what, type, want);
		return -1;
	}
	if (vg_cur_get_ptr(c, mlen, &p) < 0) {
		vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_SKIP_RECORD, 0,
		            (uint32_t)at,
		            "%s: BGP message of %u bytes overruns the BMP "
		            "message (%zu bytes left)", what, mlen, c->len);
		return -1;
	}
	span->p = p;
	span->len = mlen;
	*body = p + BGP_HEADER_LEN;
	*blen = mlen - BGP_HEADER_LEN;
	return 0;
}

static int
dec_peer_up(struct bmp_msg *m, struct vg_cursor *c, const uint8_t *base,
            struct vg_diag *d)
{
	const uint8_t *a, *body;
	size_t blen;
	struct vg_diag sub;

	if (vg_cur_get_ptr(c, 16, &a) < 0 ||
	    vg_cur_get_u16(c, &m->local_port) < 0 ||
	    vg_cur_get_u16(c, &m->remote_port) < 0) {
		vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_SKIP_RECORD, 0,
		            (uint32_t)off_of(c, base),
		            "peer up shorter than its fixed part");
		return -1;
	}
	memset(&m->local_addr, 0, sizeof(m->local_addr));
	if (m->peer.type != BMP_PEER_LOC_RIB && (m->peer.flags & BMP_PEER_F_V)) {
		m->local_addr.afi = VG_AFI_IP6;
		memcpy(m->local_addr.addr, a, 16);
	} else {
		m->local_addr.afi = VG_AFI_IP4;
		memcpy(m->local_addr.addr, a + 12, 4);
	}
	if (bgp_msg_at(c, base, BGP_MSG_OPEN, "sent OPEN", &m->open_sent, &body,
	               &blen, d) < 0)
		return -1;
	vg_diag_reset(&sub);
	if (bgp_open_decode(&m->sent, body, blen, &sub) < 0) {
		vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_SKIP_RECORD, 0,
		            (uint32_t)(body - base), "sent OPEN: %s",
		            sub.n ? sub.items[0].msg : "undecodable");
		return -1;
	}
	if (bgp_msg_at(c, base, BGP_MSG_OPEN, "received OPEN", &m->open_rcvd,
	               &body, &blen, d) < 0)
		return -1;
	vg_diag_reset(&sub);
	if (bgp_open_decode(&m->rcvd, body, blen, &sub) < 0) {
		vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_SKIP_RECORD, 0,
		            (uint32_t)(body - base), "received OPEN: %s",
		            sub.n ? sub.items[0].msg : "undecodable");
		return -1;
	}
	tlvs(m, c, base, d);
	return 0;
}

static int
dec_peer_down(struct bmp_msg *m, struct vg_cursor *c, const uint8_t *base,
              struct vg_diag *d)
{
	const uint8_t *body;
	size_t blen;
	struct vg_diag sub;

	if (vg_cur_get_u8(c, &m->reason) < 0) {
		vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_SKIP_RECORD, 0,
		            (uint32_t)off_of(c, base), "peer down without a reason");
		return -1;
	}
	switch (m->reason) {
	case BMP_DOWN_LOCAL_NOTIFY:
	case BMP_DOWN_REMOTE_NOTIFY:
		/* The peer is down whatever the PDU says: keep the event even
		 * if the NOTIFICATION cannot be read. */
		if (bgp_msg_at(c, base, BGP_MSG_NOTIFICATION, "NOTIFICATION",
		               &m->bgp, &body, &blen, d) < 0)
			return 0;
		vg_diag_reset(&sub);
		if (bgp_notification_decode(&m->notification, body, blen, &sub) < 0) {
			vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_PARTIAL, 0,
			            (uint32_t)(body - base), "NOTIFICATION: %s",
			            sub.n ? sub.items[0].msg : "undecodable");
			return 0;
		}
		m->has_notification = 1;
		m->bgp_type = BGP_MSG_NOTIFICATION;
		break;
	case BMP_DOWN_LOCAL_NO_NOTIFY:
		if (vg_cur_get_u16(c, &m->fsm_event) < 0)
			vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_PARTIAL, 0,
			            (uint32_t)off_of(c, base),
			            "peer down reason 2 without its FSM event code");
		break;
	case BMP_DOWN_LOCAL_TLV:
		tlvs(m, c, base, d);
		break;
	case BMP_DOWN_REMOTE_NO_NOTIFY:
	case BMP_DOWN_DECONFIGURED:
		break;
	default:
		vg_diag_add(d, VG_ERR_UNSUPPORTED, VG_ACT_NONE, 0, 6 + 42,
		            "unknown peer down reason %u", m->reason);
		break;
	}
	return 0;
}

static int
dec_stats(struct bmp_msg *m, struct vg_cursor *c, const uint8_t *base,
          struct vg_diag *d)
{
	uint32_t count;

	if (vg_cur_get_u32(c, &count) < 0) {
		vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_SKIP_RECORD, 0,
		            (uint32_t)off_of(c, base),
		            "statistics report without a count");
		return -1;
	}
	for (uint32_t i = 0; i < count; i++) {
		uint16_t t, l;
		const uint8_t *v;
		size_t at = off_of(c, base);
		if (vg_cur_get_u16(c, &t) < 0 || vg_cur_get_u16(c, &l) < 0 ||
		    vg_cur_get_ptr(c, l, &v) < 0) {
			vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_PARTIAL, 0,
			            (uint32_t)at,
			            "statistics counter %u of %u overruns the "
			            "message", i + 1, count);
			return 0;
		}
		m->n_stats++;
		if (i >= BMP_MAX_STATS) {
			if (i == BMP_MAX_STATS)
				vg_diag_add(d, VG_ERR_UNSUPPORTED, VG_ACT_PARTIAL, 0,
				            (uint32_t)at,
				            "more than %u counters: the rest "
				            "counted, not kept", BMP_MAX_STATS);
			continue;
		}
		struct bmp_stat *s = &m->stats[i];
		memset(s, 0, sizeof(*s));
		s->type = t;
		s->raw.p = v;
		s->raw.len = l;
		/* RFC 7854 4.8: 32-bit counters, 64-bit gauges; the per-AFI
		 * gauges (9, 10 and RFC 8671's 16, 17) lead with AFI/SAFI. */
		if (l == 4) {
			s->value = vg_load_be32(v);
			s->known = 1;
		} else if (l == 8) {
			s->value = (uint64_t)vg_load_be32(v) << 32 | vg_load_be32(v + 4);
			s->known = 1;
		} else if (l == 11) {
			s->afi = vg_load_be16(v);
			s->safi = v[2];
			s->value = (uint64_t)vg_load_be32(v + 3) << 32 |
			           vg_load_be32(v + 7);
			s->known = 1;
		} else {
			vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_NONE, 0, (uint32_t)at,
			            "statistics counter type %u has length %u "
			            "(not 4, 8 or 11): value not decoded", t, l);
		}
	}
	if (vg_cur_left(c) > 0)
		vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_NONE, 0,
		            (uint32_t)off_of(c, base),
		            "%zu bytes after the %u counters", vg_cur_left(c), count);
	return 0;
}

static int
dec_mirroring(struct bmp_msg *m, struct vg_cursor *c, const uint8_t *base,
              struct vg_diag *d)
{
	/* RFC 7854 4.7: TLVs, type 0 a BGP message, type 1 a 2-byte code.
	 * Mirrored messages are not routing state vigil keeps: they are
	 * framed, counted and shown, not turned into elements. */
	while (vg_cur_left(c) > 0) {
		uint16_t t, l;
		const uint8_t *v;
		size_t at = off_of(c, base);
		if (vg_cur_get_u16(c, &t) < 0 || vg_cur_get_u16(c, &l) < 0 ||
		    vg_cur_get_ptr(c, l, &v) < 0) {
			vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_PARTIAL, 0,
			            (uint32_t)at, "route mirroring TLV overruns "
			                          "the message");
			return 0;
		}
		m->n_tlv_total++;
		if (t == 0 && m->bgp.p == NULL && l >= BGP_HEADER_LEN) {
			m->bgp.p = v;
			m->bgp.len = l;
			m->bgp_type = v[18];
		} else if (t == 1 && l == 2) {
			m->mirror_info = vg_load_be16(v);
		}
	}
	return 0;
}

int
bmp_msg_decode(struct bmp_msg *m, const uint8_t *p, size_t len,
               struct vg_diag *d)
{
	struct vg_cursor c;
	uint32_t mlen;

	/* clear the header part; the arrays are filled as counted */
	memset(m, 0, offsetof(struct bmp_msg, stats));
	m->term_reason = 0xffff;
	m->mirror_info = 0xffff;
	if (len < BMP_COMMON_HDR_LEN) {
		vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_SKIP_RECORD, 0, 0,
		            "%zu bytes, shorter than the common header", len);
		return -1;
	}
	m->version = p[0];
	mlen = vg_load_be32(p + 1);
	m->type = p[5];
	if (m->version != BMP_VERSION) {
		vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_SKIP_RECORD, 0, 0,
		            "version %u, not a BMP v3 message", m->version);
		return -1;
	}
	if (mlen != len) {
		vg_diag_add(d, mlen > len ? VG_ERR_TRUNCATED : VG_ERR_MALFORMED,
		            VG_ACT_SKIP_RECORD, 0, 1,
		            "message length %u but %zu bytes given", mlen, len);
		return -1;
	}
	m->len = mlen;
	vg_cur_init(&c, p + BMP_COMMON_HDR_LEN, len - BMP_COMMON_HDR_LEN);

	switch (m->type) {
	case BMP_ROUTE_MONITORING:
	case BMP_STATISTICS:
	case BMP_PEER_DOWN:
	case BMP_PEER_UP:
	case BMP_ROUTE_MIRRORING:
		if (peer_hdr(&m->peer, &c) < 0) {
			vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_SKIP_RECORD, 0, 6,
			            "%s message too short for the per-peer header "
			            "(%zu bytes)", bmp_msg_type_name(m->type),
			            len - BMP_COMMON_HDR_LEN);
			return -1;
		}
		m->has_peer = 1;
		if (m->peer.type > BMP_PEER_LOC_RIB)
			vg_diag_add(d, VG_ERR_UNSUPPORTED, VG_ACT_NONE, 0, 6,
			            "unknown peer type %u", m->peer.type);
		break;
	case BMP_INITIATION:
	case BMP_TERMINATION:
		break;
	default:
		vg_diag_add(d, VG_ERR_UNSUPPORTED, VG_ACT_SKIP_RECORD, 0, 5,
		            "unknown message type %u (%u bytes) skipped", m->type,
		            mlen);
		return -1;
	}

	switch (m->type) {
	case BMP_ROUTE_MONITORING: {
		const uint8_t *body;
		size_t blen;
		if (bgp_msg_at(&c, p, 0, "route monitoring", &m->bgp, &body, &blen,
		               d) < 0)
			return -1;
		m->bgp_type = m->bgp.p[18];
		if (m->bgp_type != BGP_MSG_UPDATE) {
			vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_SKIP_RECORD, 0,
			            (uint32_t)(m->bgp.p - p),
			            "route monitoring carries BGP message type %u, "
			            "not an UPDATE", m->bgp_type);
			return -1;
		}
		if (vg_cur_left(&c) > 0)
			vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_NONE, 0,
			            (uint32_t)off_of(&c, p),
			            "%zu bytes after the UPDATE ignored",
			            vg_cur_left(&c));
		return 0;
	}
	case BMP_STATISTICS:
		return dec_stats(m, &c, p, d);
	case BMP_PEER_DOWN:
		return dec_peer_down(m, &c, p, d);
	case BMP_PEER_UP:
		return dec_peer_up(m, &c, p, d);
	case BMP_ROUTE_MIRRORING:
		return dec_mirroring(m, &c, p, d);
	default: /* initiation, termination */
		tlvs(m, &c, p, d);
		return 0;
	}
}
