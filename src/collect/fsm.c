/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The passive BGP speaker's state machine (RFC 4271 8.2.2, reduced to
 * what a collector that never connects out and never announces needs):
 * OPEN checking and capability negotiation, KEEPALIVE / hold-time rules,
 * UPDATE validation deciding between RFC 7606 treat-as-withdraw (session
 * kept) and session reset, NOTIFICATIONs both ways.
 */
#include <stdio.h>
#include <string.h>

#include "collect/fsm.h"
#include "vigil/elem.h"

static void
set_state(struct bgp_fsm *f, unsigned to)
{
	if (f->state == to)
		return;
	if (f->ntrans < sizeof(f->trans) / sizeof(f->trans[0])) {
		f->trans[f->ntrans].from = f->state;
		f->trans[f->ntrans].to = (uint8_t)to;
		f->ntrans++;
	}
	f->state = (uint8_t)to;
}

static void
out_append(struct bgp_fsm *f, const uint8_t *p, int n)
{
	if (n > 0 && f->outlen + (size_t)n <= sizeof(f->out)) {
		memcpy(f->out + f->outlen, p, (size_t)n);
		f->outlen += (size_t)n;
	}
}

void
bgp_fsm_reason(unsigned code, unsigned subcode, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", bgp_notification_code_name(code),
	         bgp_notification_subcode_name(code, subcode));
}

/* Queue a NOTIFICATION with DATA and go Idle. */
static void
notify(struct bgp_fsm *f, unsigned code, unsigned sub, const void *data,
       size_t dlen, const char *msg)
{
	struct bgp_notification n;
	uint8_t buf[4096];

	memset(&n, 0, sizeof(n));
	n.code = (uint8_t)code;
	n.subcode = (uint8_t)sub;
	n.data.p = data;
	n.data.len = (uint32_t)dlen;
	if (msg)
		snprintf(n.shutdown_msg, sizeof(n.shutdown_msg), "%s", msg);
	out_append(f, buf, bgp_notification_encode(buf, sizeof(buf), &n));
	f->sent_set = 1;
	f->sent_code = (uint8_t)code;
	f->sent_sub = (uint8_t)sub;
	set_state(f, VG_STATE_IDLE);
}

void
bgp_fsm_init(struct bgp_fsm *f, const struct bgp_fsm_cfg *cfg)
{
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	f->state = VG_STATE_ACTIVE;
}

void
bgp_fsm_accept(struct bgp_fsm *f)
{
	struct bgp_open o;
	uint8_t buf[512];

	memset(&o, 0, sizeof(o));
	o.version = 4;
	bgp_open_set_asn(&o, f->cfg.local_as);
	o.hold_time = f->cfg.hold_time;
	memcpy(o.bgp_id, f->cfg.router_id, 4);
	o.n_mp = 2;
	o.mp[0].afi = 1;
	o.mp[0].safi = 1;
	o.mp[1].afi = 2;
	o.mp[1].safi = 1;
	o.route_refresh = 1;
	o.ext_msg = 1;
	/* RFC 4724 3: a receiving speaker advertises the capability with no
	 * AFI/SAFI; restart state 0, our restart time is moot (we keep no
	 * routes of our own) */
	o.gr = 1;
	o.gr_time = 120;
	if (f->cfg.addpath) {
		o.n_addpath = 2;
		o.addpath[0].afi = 1;
		o.addpath[0].safi = 1;
		o.addpath[0].mode = 1; /* receive */
		o.addpath[1].afi = 2;
		o.addpath[1].safi = 1;
		o.addpath[1].mode = 1;
	}
	out_append(f, buf, bgp_open_encode(buf, sizeof(buf), &o));
	set_state(f, VG_STATE_OPENSENT);
}

unsigned
bgp_fsm_max_len(const struct bgp_fsm *f)
{
	return f->ext_msg ? BGP_MAX_EXT_MSG_LEN : BGP_MAX_MSG_LEN;
}

int
bgp_fsm_frame(struct bgp_fsm *f, const uint8_t *p, size_t avail)
{
	uint8_t d2[2];
	unsigned len, type;
	size_t i;

	for (i = 0; i < 16; i++)
		if (p[i] != 0xff)
			break;
	if (i < 16) {
		snprintf(f->why, sizeof(f->why), "bad marker in message header");
		notify(f, 1, 1, NULL, 0, NULL);
		return -1;
	}
	len = (unsigned)p[16] << 8 | p[17];
	type = p[18];
	if (type < 1 || type > 5) {
		snprintf(f->why, sizeof(f->why), "unknown message type %u", type);
		notify(f, 1, 3, &p[18], 1, NULL);
		return -1;
	}
	/* RFC 8654 2: OPEN and KEEPALIVE stay within 4096 */
	unsigned max = type == BGP_MSG_OPEN || type == BGP_MSG_KEEPALIVE
	                   ? BGP_MAX_MSG_LEN
	                   : bgp_fsm_max_len(f);
	unsigned min = type == BGP_MSG_OPEN           ? 29
	               : type == BGP_MSG_UPDATE       ? 23
	               : type == BGP_MSG_NOTIFICATION ? 21
	               : type == BGP_MSG_ROUTE_REFRESH ? 23
	                                              : 19;
	if (len < min || len > max || (type == BGP_MSG_KEEPALIVE && len != 19)) {
		snprintf(f->why, sizeof(f->why),
		         "message type %u with bad length %u", type, len);
		d2[0] = p[16];
		d2[1] = p[17];
		notify(f, 1, 2, d2, 2, NULL);
		return -1;
	}
	(void)avail;
	return (int)len;
}

/* RFC 4271 6.2 and the capabilities. */
static int
open_input(struct bgp_fsm *f, const uint8_t *body, size_t len)
{
	struct bgp_open *o = &f->peer;
	struct vg_diag d;

	vg_diag_reset(&d);
	if (bgp_open_decode(o, body, len, &d) < 0) {
		snprintf(f->why, sizeof(f->why), "malformed OPEN: %s",
		         d.n ? d.items[0].msg : "?");
		notify(f, 2, 0, NULL, 0, NULL);
		return BGP_FSM_CLOSE;
	}
	if (o->version != 4) {
		uint8_t v[2] = {0, 4};
		snprintf(f->why, sizeof(f->why), "BGP version %u", o->version);
		notify(f, 2, 1, v, 2, NULL);
		return BGP_FSM_CLOSE;
	}
	uint32_t asn = bgp_open_asn(o);
	if (asn != f->cfg.peer_as) {
		uint8_t a[2] = {body[1], body[2]};
		snprintf(f->why, sizeof(f->why),
		         "peer says AS%u, configured AS%u", asn, f->cfg.peer_as);
		notify(f, 2, 2, a, 2, NULL);
		return BGP_FSM_CLOSE;
	}
	if (o->hold_time == 1 || o->hold_time == 2) {
		snprintf(f->why, sizeof(f->why), "hold time %u", o->hold_time);
		notify(f, 2, 6, NULL, 0, NULL);
		return BGP_FSM_CLOSE;
	}
	static const uint8_t zero[4];
	if (memcmp(o->bgp_id, zero, 4) == 0) {
		snprintf(f->why, sizeof(f->why), "BGP identifier 0.0.0.0");
		notify(f, 2, 3, NULL, 0, NULL);
		return BGP_FSM_CLOSE;
	}
	/* RFC 4271 4.2: the smaller of the two hold times */
	f->hold = o->hold_time < f->cfg.hold_time ? o->hold_time
	                                           : f->cfg.hold_time;
	f->keepalive = (uint16_t)(f->hold / 3);
	f->as4 = o->as4 != 0;
	f->ext_msg = o->ext_msg;
	f->route_refresh = o->route_refresh;
	f->gr = o->gr;
	f->gr_time = o->gr_time;
	f->ap_mask = 0;
	if (f->cfg.addpath) {
		/* RFC 7911 4: we receive path ids where the peer sends them */
		if (bgp_open_addpath(o, 1, 1, 2))
			f->ap_mask |= BGP_FSM_AP_V4;
		if (bgp_open_addpath(o, 2, 1, 2))
			f->ap_mask |= BGP_FSM_AP_V6;
	}
	uint8_t ka[19];
	out_append(f, ka, bgp_keepalive_encode(ka, sizeof(ka)));
	set_state(f, VG_STATE_OPENCONFIRM);
	return BGP_FSM_OPEN;
}

/* Walk one NLRI field: 0, or -1 if it does not parse (RFC 7606 5.3). */
static int
nlri_check(struct bgp_fsm *f, struct bgp_span s, unsigned afi, unsigned safi)
{
	struct bgp_nlri_iter it;
	struct vg_prefix p;
	uint32_t pid;
	struct vg_diag d;
	int rc;

	if (s.len == 0)
		return 0;
	vg_diag_reset(&d);
	bgp_nlri_init(&it, s, afi, safi, bgp_fsm_addpath(f, afi), 0);
	while ((rc = bgp_nlri_next(&it, &p, &pid, &d)) > 0)
		;
	if (rc < 0 && d.n && d.items[0].err != VG_ERR_UNSUPPORTED) {
		snprintf(f->why, sizeof(f->why), "NLRI of AFI %u SAFI %u: %s",
		         afi, safi, d.items[0].msg);
		return -1;
	}
	return 0;
}

/*
 * RFC 7606: decide whether the UPDATE can be used.  Attribute problems the
 * decoder handled (discard, treat-as-withdraw) keep the session; only an
 * unusable attribute block or NLRI field that cannot be parsed resets it.
 */
static int
update_input(struct bgp_fsm *f, const uint8_t *body, size_t len)
{
	struct bgp_update u;
	struct bgp_decode_opts o;

	memset(&o, 0, sizeof(o));
	o.asn_size = f->as4 ? 4 : 2;
	o.addpath = bgp_fsm_addpath(f, 1);
	vg_diag_reset(&f->diag);
	if (bgp_update_decode(&u, body, len, &o, &f->diag) < 0) {
		snprintf(f->why, sizeof(f->why), "UPDATE unusable: %s",
		         f->diag.n ? f->diag.items[0].msg : "?");
		notify(f, 3, 1, NULL, 0, NULL);
		return BGP_FSM_CLOSE;
	}
	const struct bgp_attrs *a = &u.attrs;
	f->upd_afi = BGP_HAS(a, BGP_ATTR_MP_REACH_NLRI)     ? a->mp_reach.afi
	             : BGP_HAS(a, BGP_ATTR_MP_UNREACH_NLRI) ? a->mp_unreach.afi
	                                                    : 1;
	if (nlri_check(f, u.withdrawn, 1, 1) < 0 ||
	    nlri_check(f, u.nlri, 1, 1) < 0 ||
	    (BGP_HAS(a, BGP_ATTR_MP_UNREACH_NLRI) &&
	     nlri_check(f, a->mp_unreach.nlri, a->mp_unreach.afi,
	                a->mp_unreach.safi) < 0) ||
	    (BGP_HAS(a, BGP_ATTR_MP_REACH_NLRI) &&
	     nlri_check(f, a->mp_reach.nlri, a->mp_reach.afi,
	                a->mp_reach.safi) < 0)) {
		notify(f, 3, 10, NULL, 0, NULL);
		return BGP_FSM_CLOSE;
	}
	return BGP_FSM_UPDATE;
}

int
bgp_fsm_input(struct bgp_fsm *f, const uint8_t *msg, size_t len)
{
	unsigned type = msg[18];
	const uint8_t *body = msg + BGP_HEADER_LEN;
	size_t blen = len - BGP_HEADER_LEN;
	unsigned fsm_sub = f->state == VG_STATE_OPENSENT      ? 1
	                   : f->state == VG_STATE_OPENCONFIRM ? 2
	                                                      : 3;

	if (f->state == VG_STATE_IDLE || f->state == VG_STATE_ACTIVE)
		return BGP_FSM_CLOSE;
	if (type == BGP_MSG_NOTIFICATION) {
		struct bgp_notification n;
		struct vg_diag d;
		vg_diag_reset(&d);
		f->got_set = 1;
		f->got_msg[0] = 0;
		if (bgp_notification_decode(&n, body, blen, &d) == 0) {
			f->got_code = n.code;
			f->got_sub = n.subcode;
			snprintf(f->got_msg, sizeof(f->got_msg), "%s",
			         n.shutdown_msg);
		} else {
			f->got_code = body[0];
			f->got_sub = body[1];
		}
		set_state(f, VG_STATE_IDLE);
		return BGP_FSM_NOTIFICATION;
	}
	switch (f->state) {
	case VG_STATE_OPENSENT:
		if (type == BGP_MSG_OPEN)
			return open_input(f, body, blen);
		break;
	case VG_STATE_OPENCONFIRM:
		if (type == BGP_MSG_KEEPALIVE) {
			set_state(f, VG_STATE_ESTABLISHED);
			return BGP_FSM_UP;
		}
		break;
	case VG_STATE_ESTABLISHED:
		if (type == BGP_MSG_KEEPALIVE)
			return BGP_FSM_KEEPALIVE;
		if (type == BGP_MSG_UPDATE)
			return update_input(f, body, blen);
		if (type == BGP_MSG_ROUTE_REFRESH) {
			/* we announce nothing, so there is nothing to re-send;
			 * RFC 7313 7: a bad length is an error */
			if (blen != 4) {
				snprintf(f->why, sizeof(f->why),
				         "ROUTE-REFRESH of %zu bytes", blen);
				notify(f, 7, 1, NULL, 0, NULL);
				return BGP_FSM_CLOSE;
			}
			return BGP_FSM_ROUTE_REFRESH;
		}
		break;
	}
	snprintf(f->why, sizeof(f->why), "unexpected message type %u in %s",
	         type, vg_bgp_state_name(f->state));
	notify(f, 5, fsm_sub, NULL, 0, NULL);
	return BGP_FSM_CLOSE;
}

void
bgp_fsm_hold_expired(struct bgp_fsm *f)
{
	snprintf(f->why, sizeof(f->why), "no message from the peer in %u s",
	         f->state == VG_STATE_OPENSENT ? 240u : f->hold);
	notify(f, 4, 0, NULL, 0, NULL);
}

void
bgp_fsm_keepalive(struct bgp_fsm *f)
{
	uint8_t ka[19];
	if (f->state == VG_STATE_OPENCONFIRM || f->state == VG_STATE_ESTABLISHED)
		out_append(f, ka, bgp_keepalive_encode(ka, sizeof(ka)));
}

void
bgp_fsm_stop(struct bgp_fsm *f, unsigned code, unsigned subcode,
             const char *msg)
{
	if (f->state == VG_STATE_IDLE)
		return;
	if (f->state == VG_STATE_ACTIVE) {
		set_state(f, VG_STATE_IDLE);
		return;
	}
	snprintf(f->why, sizeof(f->why), "%s", msg ? msg : "stopped");
	notify(f, code, subcode, NULL, 0, msg);
}

void
bgp_fsm_conn_lost(struct bgp_fsm *f)
{
	set_state(f, VG_STATE_IDLE);
}
