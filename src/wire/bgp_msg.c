/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * BGP messages: the common header (RFC 4271 4.1), UPDATE framing (4.3),
 * OPEN and its capabilities (4.2, RFC 5492, RFC 9072), NOTIFICATION (4.5,
 * RFC 9003) and ROUTE-REFRESH (RFC 2918, RFC 7313).
 */
#include <string.h>

#include "vigil/bgp.h"

int
bgp_header_decode(const uint8_t *p, size_t len, size_t maxlen, uint8_t *type,
                  uint16_t *msglen, struct vg_diag *d)
{
	uint16_t l;

	if (len < BGP_HEADER_LEN) {
		vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_SESSION_RESET, 0, 0,
		            "BGP header cut short (%zu of 19 bytes)", len);
		return -1;
	}
	if ((vg_load_be64(p) & vg_load_be64(p + 8)) != UINT64_MAX) {
		int i = 0;
		while (p[i] == 0xff)
			i++;
		vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET, 0,
		            (uint32_t)i, "BGP marker is not all ones");
		return -1;
	}
	l = vg_load_be16(p + 16);
	if (l < BGP_HEADER_LEN || l > maxlen) {
		vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET, 0, 16,
		            "BGP message length %u outside 19..%zu", l, maxlen);
		return -1;
	}
	*type = p[18];
	*msglen = l;
	return 0;
}

int
bgp_update_decode(struct bgp_update *u, const uint8_t *body, size_t len,
                  const struct bgp_decode_opts *o, struct vg_diag *d)
{
	struct vg_cursor c;
	uint16_t wlen, alen;
	const uint8_t *w, *attrs;

	vg_cur_init(&c, body, len);
	if (vg_cur_get_u16(&c, &wlen) < 0) {
		vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_SESSION_RESET, 0, 0,
		            "UPDATE too short for withdrawn routes length");
		return -1;
	}
	if (vg_cur_get_ptr(&c, wlen, &w) < 0) {
		if (o->cut) {
			/* Keep the withdrawals that made it into the record;
			 * nothing after them can be trusted. */
			vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_PARTIAL, 0, 0,
			            "withdrawn routes length %u but the message "
			            "was cut after %zu bytes of them; only those "
			            "withdrawals used", wlen, vg_cur_left(&c));
			memset(u, 0, sizeof(*u));
			u->withdrawn.p = c.p;
			u->withdrawn.len = (uint32_t)c.len;
			u->attrs_off = u->nlri_off = (uint32_t)len;
			u->attrs.asn_size = o->asn_size;
			return 0;
		}
		vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET, 0, 0,
		            "withdrawn routes length %u overruns the UPDATE "
		            "(%zu bytes left)", wlen, vg_cur_left(&c));
		return -1;
	}
	u->withdrawn.p = w;
	u->withdrawn.len = wlen;
	if (vg_cur_get_u16(&c, &alen) < 0) {
		vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_SESSION_RESET, 0,
		            2u + wlen, "UPDATE too short for attribute length");
		return -1;
	}
	u->attrs_off = 4u + wlen;
	if (o->cut && alen > vg_cur_left(&c)) {
		/* RFC 7606 4: an attribute block that overruns is
		 * treat-as-withdraw; the NLRI after it is lost. */
		size_t have = vg_cur_left(&c);
		vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_TREAT_AS_WITHDRAW, 0,
		            2u + wlen,
		            "path attributes (%u bytes) cut after %zu bytes",
		            alen, have);
		u->nlri_off = (uint32_t)len;
		u->nlri.p = c.p + have;
		u->nlri.len = 0;
		unsigned n0 = d ? d->n : 0;
		int rc = bgp_attrs_decode(&u->attrs, c.p, have, o, d);
		for (unsigned i = n0; d && i < d->n; i++)
			d->items[i].offset += u->attrs_off;
		if (rc < 0)
			return -1;
		if (u->attrs.action < VG_ACT_TREAT_AS_WITHDRAW)
			u->attrs.action = VG_ACT_TREAT_AS_WITHDRAW;
		return 0;
	}
	if (vg_cur_get_ptr(&c, alen, &attrs) < 0) {
		vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET, 0,
		            2u + wlen,
		            "total path attribute length %u overruns the UPDATE "
		            "(%zu bytes left)", alen, vg_cur_left(&c));
		return -1;
	}
	u->nlri_off = u->attrs_off + alen;
	u->nlri.p = c.p;
	u->nlri.len = (uint32_t)c.len;
	/* Attribute diagnostics come relative to the attribute block; make
	 * them relative to BODY like the others. */
	unsigned n0 = d ? d->n : 0;
	int rc = bgp_attrs_decode(&u->attrs, attrs, alen, o, d);
	for (unsigned i = n0; d && i < d->n; i++)
		d->items[i].offset += u->attrs_off;
	return rc < 0 ? -1 : 0;
}

static void
open_capability(struct bgp_open *o, uint8_t code, const uint8_t *v,
                uint8_t len)
{
	o->n_caps++;
	switch (code) {
	case 1: /* Multiprotocol, RFC 4760 */
		if (len == 4 && o->n_mp < BGP_OPEN_MAX_AFI) {
			o->mp[o->n_mp].afi = vg_load_be16(v);
			o->mp[o->n_mp].safi = v[3];
			o->n_mp++;
		}
		break;
	case 2:   /* Route refresh, RFC 2918 */
	case 128: /* Cisco's pre-standard code */
		o->route_refresh = 1;
		break;
	case 6: /* Extended message, RFC 8654 */
		o->ext_msg = 1;
		break;
	case 64: /* Graceful restart, RFC 4724 */
		if (len >= 2) {
			o->gr = 1;
			o->gr_flags = v[0] >> 4;
			o->gr_time = vg_load_be16(v) & 0x0fff;
		}
		break;
	case 65: /* 4-octet AS, RFC 6793 */
		if (len == 4)
			o->as4 = vg_load_be32(v);
		break;
	case 69: /* ADD-PATH, RFC 7911 */
		for (uint8_t i = 0; i + 4 <= len; i += 4) {
			if (o->n_addpath >= BGP_OPEN_MAX_AFI)
				break;
			o->addpath[o->n_addpath].afi = vg_load_be16(v + i);
			o->addpath[o->n_addpath].safi = v[i + 2];
			o->addpath[o->n_addpath].mode = v[i + 3];
			o->n_addpath++;
		}
		break;
	default:
		break;
	}
}

int
bgp_open_decode(struct bgp_open *o, const uint8_t *body, size_t len,
                struct vg_diag *d)
{
	struct vg_cursor c, params;
	uint8_t optlen8;
	uint16_t optlen;
	int ext = 0;

	memset(o, 0, sizeof(*o));
	vg_cur_init(&c, body, len);
	if (vg_cur_get_u8(&c, &o->version) < 0 ||
	    vg_cur_get_u16(&c, &o->my_as) < 0 ||
	    vg_cur_get_u16(&c, &o->hold_time) < 0 ||
	    vg_cur_get_bytes(&c, o->bgp_id, 4) < 0 ||
	    vg_cur_get_u8(&c, &optlen8) < 0) {
		vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_SESSION_RESET, 0, 0,
		            "OPEN shorter than its fixed part (%zu bytes)", len);
		return -1;
	}
	optlen = optlen8;
	/* RFC 9072: length 255 and type 255 announce extended parameters. */
	if (optlen8 == 255 && c.len >= 3 && c.p[0] == 255) {
		ext = 1;
		c.p++;
		c.len--;
		vg_cur_get_u16(&c, &optlen);
	}
	if (vg_cur_sub(&c, optlen, &params) < 0) {
		vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET, 0, 9,
		            "OPEN optional parameters length %u overruns the "
		            "message", optlen);
		return -1;
	}
	while (params.len > 0) {
		uint8_t ptype;
		uint16_t plen;
		struct vg_cursor pv;
		uint8_t l8;

		if (vg_cur_get_u8(&params, &ptype) < 0)
			goto bad_param;
		if (ext) {
			if (vg_cur_get_u16(&params, &plen) < 0)
				goto bad_param;
		} else {
			if (vg_cur_get_u8(&params, &l8) < 0)
				goto bad_param;
			plen = l8;
		}
		if (vg_cur_sub(&params, plen, &pv) < 0)
			goto bad_param;
		if (ptype != 2) /* only Capabilities (RFC 5492) are defined */
			continue;
		while (pv.len > 0) {
			uint8_t code, clen;
			const uint8_t *cv;
			if (vg_cur_get_u8(&pv, &code) < 0 ||
			    vg_cur_get_u8(&pv, &clen) < 0 ||
			    vg_cur_get_ptr(&pv, clen, &cv) < 0) {
				vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_NONE, 0,
				            0, "OPEN capability overruns its "
				               "parameter");
				break;
			}
			open_capability(o, code, cv, clen);
		}
	}
	return 0;

bad_param:
	vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_SESSION_RESET, 0, 10,
	            "OPEN optional parameter overruns the parameter field");
	return -1;
}

int
bgp_open_addpath(const struct bgp_open *o, unsigned afi, unsigned safi,
                 unsigned mode)
{
	for (unsigned i = 0; i < o->n_addpath; i++)
		if (o->addpath[i].afi == afi && o->addpath[i].safi == safi &&
		    (o->addpath[i].mode & mode) == mode)
			return 1;
	return 0;
}

int
bgp_notification_decode(struct bgp_notification *n, const uint8_t *body,
                        size_t len, struct vg_diag *d)
{
	memset(n, 0, sizeof(*n));
	if (len < 2) {
		vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_NONE, 0, 0,
		            "NOTIFICATION shorter than 2 bytes");
		return -1;
	}
	n->code = body[0];
	n->subcode = body[1];
	n->data.p = body + 2;
	n->data.len = (uint32_t)(len - 2);
	/* RFC 9003: Cease / Administrative Shutdown or Reset carry a
	 * length-prefixed UTF-8 message. */
	if (n->code == 6 && (n->subcode == 2 || n->subcode == 4) &&
	    n->data.len >= 1) {
		size_t l = n->data.p[0];
		if (l <= n->data.len - 1 && l < sizeof(n->shutdown_msg)) {
			for (size_t i = 0; i < l; i++) {
				uint8_t ch = n->data.p[1 + i];
				n->shutdown_msg[i] =
				    (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
			}
			n->shutdown_msg[l] = '\0';
		}
	}
	return 0;
}

const char *
bgp_notification_code_name(unsigned code)
{
	static const char *const names[] = {
	    NULL,
	    "Message Header Error",
	    "OPEN Message Error",
	    "UPDATE Message Error",
	    "Hold Timer Expired",
	    "Finite State Machine Error",
	    "Cease",
	    "ROUTE-REFRESH Message Error",
	    "Send Hold Timer Expired",
	};
	if (code < sizeof(names) / sizeof(names[0]) && names[code])
		return names[code];
	return "Unknown error code";
}

const char *
bgp_notification_subcode_name(unsigned code, unsigned subcode)
{
	static const char *const hdr[] = {
	    "Unspecific", "Connection Not Synchronized", "Bad Message Length",
	    "Bad Message Type"};
	static const char *const open[] = {
	    "Unspecific",
	    "Unsupported Version Number",
	    "Bad Peer AS",
	    "Bad BGP Identifier",
	    "Unsupported Optional Parameter",
	    "Authentication Failure",
	    "Unacceptable Hold Time",
	    "Unsupported Capability",
	    "Deprecated",
	    "Deprecated",
	    "Deprecated",
	    "Role Mismatch"};
	static const char *const upd[] = {
	    "Unspecific",
	    "Malformed Attribute List",
	    "Unrecognized Well-known Attribute",
	    "Missing Well-known Attribute",
	    "Attribute Flags Error",
	    "Attribute Length Error",
	    "Invalid ORIGIN Attribute",
	    "AS Routing Loop",
	    "Invalid NEXT_HOP Attribute",
	    "Optional Attribute Error",
	    "Invalid Network Field",
	    "Malformed AS_PATH"};
	static const char *const fsm[] = {
	    "Unspecified Error", "Receive Unexpected Message in OpenSent State",
	    "Receive Unexpected Message in OpenConfirm State",
	    "Receive Unexpected Message in Established State"};
	static const char *const cease[] = {
	    "Unspecific",
	    "Maximum Number of Prefixes Reached",
	    "Administrative Shutdown",
	    "Peer De-configured",
	    "Administrative Reset",
	    "Connection Rejected",
	    "Other Configuration Change",
	    "Connection Collision Resolution",
	    "Out of Resources",
	    "Hard Reset",
	    "BFD Down"};
	static const char *const rr[] = {"Reserved", "Invalid Message Length"};
#define PICK(tab)                                                           \
	return subcode < sizeof(tab) / sizeof(tab[0]) ? tab[subcode]        \
	                                              : "Unknown subcode"
	switch (code) {
	case 1:
		PICK(hdr);
	case 2:
		PICK(open);
	case 3:
		PICK(upd);
	case 5:
		PICK(fsm);
	case 6:
		PICK(cease);
	case 7:
		PICK(rr);
	default:
		return subcode == 0 ? "Unspecific" : "Unknown subcode";
	}
#undef PICK
}

int
bgp_route_refresh_decode(struct bgp_route_refresh *r, const uint8_t *body,
                         size_t len, struct vg_diag *d)
{
	if (len != 4) {
		vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_NONE, 0, 0,
		            "ROUTE-REFRESH length %zu, expected 4", len);
		return -1;
	}
	r->afi = vg_load_be16(body);
	r->subtype = body[2];
	r->safi = body[3];
	return 0;
}
