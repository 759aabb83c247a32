/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The collector's BGP state machine (src/collect/fsm.c) and configuration
 * parser: OPEN checks and capability negotiation, the passive session's
 * transitions, header framing errors, RFC 7606 treat-as-withdraw versus
 * session reset, hold-timer expiry, NOTIFICATIONs both ways.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/fsm.h"
#include "test.h"
#include "vigil/collect.h"
#include "vigil/elem.h"

static const struct bgp_fsm_cfg base_cfg = {
    .local_as = 65000,
    .peer_as = 65002,
    .router_id = {127, 0, 0, 1},
    .hold_time = 90,
    .addpath = 0,
};

/* The peer's OPEN, built with the library's encoder. */
static size_t
peer_open(uint8_t *buf, uint32_t asn, uint16_t hold, int as4, int addpath,
          int gr, int ext)
{
	struct bgp_open o;
	memset(&o, 0, sizeof(o));
	o.version = 4;
	if (as4)
		bgp_open_set_asn(&o, asn);
	else
		o.my_as = (uint16_t)asn;
	o.hold_time = hold;
	o.bgp_id[0] = 10;
	o.bgp_id[3] = 2;
	o.n_mp = 2;
	o.mp[0].afi = 1;
	o.mp[0].safi = 1;
	o.mp[1].afi = 2;
	o.mp[1].safi = 1;
	o.route_refresh = 1;
	o.ext_msg = (uint8_t)ext;
	if (gr) {
		o.gr = 1;
		o.gr_time = 120;
	}
	if (addpath) {
		o.n_addpath = 1;
		o.addpath[0].afi = 1;
		o.addpath[0].safi = 1;
		o.addpath[0].mode = 2; /* send */
	}
	int n = bgp_open_encode(buf, 4096, &o);
	CHECK(n > 0);
	return (size_t)n;
}

static void
start(struct bgp_fsm *f, const struct bgp_fsm_cfg *c)
{
	bgp_fsm_init(f, c);
	bgp_fsm_accept(f);
}

/* Bring F to Established with a plain peer OPEN. */
static void
establish(struct bgp_fsm *f, const struct bgp_fsm_cfg *c, int addpath)
{
	uint8_t m[4096], ka[19];
	start(f, c);
	size_t n = peer_open(m, c->peer_as, 90, 1, addpath, 1, 1);
	CHECK_EQ_INT(bgp_fsm_input(f, m, n), BGP_FSM_OPEN);
	bgp_keepalive_encode(ka, sizeof(ka));
	CHECK_EQ_INT(bgp_fsm_input(f, ka, 19), BGP_FSM_UP);
	CHECK_EQ_INT(f->state, VG_STATE_ESTABLISHED);
	f->outlen = 0;
	f->ntrans = 0;
}

/* The NOTIFICATION at the end of f->out: code and subcode. */
static int
last_notification(const struct bgp_fsm *f, unsigned *code, unsigned *sub)
{
	size_t off = 0;
	int found = 0;
	while (off + 19 <= f->outlen) {
		size_t len = (size_t)f->out[off + 16] << 8 | f->out[off + 17];
		if (len < 19)
			break;
		if (f->out[off + 18] == BGP_MSG_NOTIFICATION) {
			*code = f->out[off + 19];
			*sub = f->out[off + 20];
			found = 1;
		}
		off += len;
	}
	return found;
}

static void
test_accept_sends_open(void)
{
	struct bgp_fsm f;
	struct bgp_open o;
	struct vg_diag d;
	struct bgp_fsm_cfg c = base_cfg;

	c.local_as = 4200000000u;
	c.addpath = 1;
	start(&f, &c);
	CHECK_EQ_INT(f.state, VG_STATE_OPENSENT);
	CHECK_EQ_INT(f.ntrans, 1);
	CHECK_EQ_INT(f.trans[0].from, VG_STATE_ACTIVE);
	CHECK_EQ_INT(f.trans[0].to, VG_STATE_OPENSENT);
	CHECK(f.outlen > 19);
	CHECK_EQ_INT(f.out[18], BGP_MSG_OPEN);
	vg_diag_reset(&d);
	CHECK_EQ_INT(bgp_open_decode(&o, f.out + 19, f.outlen - 19, &d), 0);
	CHECK_EQ_INT(o.my_as, BGP_AS_TRANS); /* RFC 6793: 4-byte local AS */
	CHECK_EQ_INT(o.as4, 4200000000u);
	CHECK_EQ_INT(o.hold_time, 90);
	CHECK_EQ_INT(o.n_mp, 2);
	CHECK(o.route_refresh);
	CHECK(o.ext_msg);
	CHECK(o.gr);
	CHECK(bgp_open_addpath(&o, 1, 1, 1));
	CHECK(bgp_open_addpath(&o, 2, 1, 1));
	CHECK(!bgp_open_addpath(&o, 1, 1, 2)); /* we never send */
}

static void
test_negotiation(void)
{
	struct bgp_fsm f;
	uint8_t m[4096], ka[19];
	struct bgp_fsm_cfg c = base_cfg;

	c.addpath = 1;
	start(&f, &c);
	f.outlen = 0;
	size_t n = peer_open(m, 65002, 30, 1, 1, 1, 1);
	CHECK_EQ_INT(bgp_fsm_input(&f, m, n), BGP_FSM_OPEN);
	CHECK_EQ_INT(f.state, VG_STATE_OPENCONFIRM);
	CHECK_EQ_INT(f.hold, 30); /* the smaller one */
	CHECK_EQ_INT(f.keepalive, 10);
	CHECK(f.as4);
	CHECK(f.ext_msg);
	CHECK_EQ_INT(bgp_fsm_max_len(&f), 65535);
	CHECK(f.gr);
	CHECK_EQ_INT(f.gr_time, 120);
	CHECK(bgp_fsm_addpath(&f, 1));  /* peer sends IPv4 path ids */
	CHECK(!bgp_fsm_addpath(&f, 2)); /* not IPv6 */
	CHECK_EQ_INT(f.outlen, 19);     /* our KEEPALIVE */
	CHECK_EQ_INT(f.out[18], BGP_MSG_KEEPALIVE);
	bgp_keepalive_encode(ka, sizeof(ka));
	CHECK_EQ_INT(bgp_fsm_input(&f, ka, 19), BGP_FSM_UP);
	CHECK_EQ_INT(f.ntrans, 3);
	CHECK_EQ_INT(f.trans[2].from, VG_STATE_OPENCONFIRM);
	CHECK_EQ_INT(f.trans[2].to, VG_STATE_ESTABLISHED);

	/* a 2-byte speaker without capabilities beyond the basics, hold 0 */
	struct bgp_fsm g;
	start(&g, &base_cfg);
	n = peer_open(m, 65002, 0, 0, 0, 0, 0);
	CHECK_EQ_INT(bgp_fsm_input(&g, m, n), BGP_FSM_OPEN);
	CHECK(!g.as4);
	CHECK(!g.ext_msg);
	CHECK(!g.gr);
	CHECK_EQ_INT(g.hold, 0);
	CHECK_EQ_INT(g.keepalive, 0);
	CHECK_EQ_INT(bgp_fsm_max_len(&g), 4096);
	/* addpath offered by the peer but not configured: not used */
	struct bgp_fsm h;
	start(&h, &base_cfg);
	n = peer_open(m, 65002, 90, 1, 1, 0, 0);
	CHECK_EQ_INT(bgp_fsm_input(&h, m, n), BGP_FSM_OPEN);
	CHECK_EQ_INT(h.ap_mask, 0);
}

static void
test_open_errors(void)
{
	struct bgp_fsm f;
	uint8_t m[4096];
	unsigned code = 0, sub = 0;
	size_t n;

	/* wrong AS */
	start(&f, &base_cfg);
	n = peer_open(m, 65099, 90, 1, 0, 0, 0);
	CHECK_EQ_INT(bgp_fsm_input(&f, m, n), BGP_FSM_CLOSE);
	CHECK(last_notification(&f, &code, &sub));
	CHECK_EQ_INT(code, 2);
	CHECK_EQ_INT(sub, 2);
	CHECK_EQ_INT(f.state, VG_STATE_IDLE);
	CHECK(strstr(f.why, "AS65099") != NULL);
	/* a 4-byte ASN must come in the capability (AS_TRANS alone is not
	 * the configured 4200000002) */
	struct bgp_fsm_cfg c4 = base_cfg;
	c4.peer_as = 4200000002u;
	start(&f, &c4);
	n = peer_open(m, 4200000002u, 90, 1, 0, 0, 0);
	CHECK_EQ_INT(bgp_fsm_input(&f, m, n), BGP_FSM_OPEN);
	start(&f, &c4);
	n = peer_open(m, BGP_AS_TRANS, 90, 0, 0, 0, 0);
	CHECK_EQ_INT(bgp_fsm_input(&f, m, n), BGP_FSM_CLOSE);
	/* hold time 1 and 2 are unacceptable */
	start(&f, &base_cfg);
	n = peer_open(m, 65002, 2, 1, 0, 0, 0);
	CHECK_EQ_INT(bgp_fsm_input(&f, m, n), BGP_FSM_CLOSE);
	CHECK(last_notification(&f, &code, &sub));
	CHECK_EQ_INT(code, 2);
	CHECK_EQ_INT(sub, 6);
	/* version 3 */
	start(&f, &base_cfg);
	n = peer_open(m, 65002, 90, 1, 0, 0, 0);
	m[19] = 3;
	CHECK_EQ_INT(bgp_fsm_input(&f, m, n), BGP_FSM_CLOSE);
	CHECK(last_notification(&f, &code, &sub));
	CHECK_EQ_INT(code, 2);
	CHECK_EQ_INT(sub, 1);
	/* BGP identifier 0.0.0.0 */
	start(&f, &base_cfg);
	n = peer_open(m, 65002, 90, 1, 0, 0, 0);
	memset(m + 24, 0, 4);
	CHECK_EQ_INT(bgp_fsm_input(&f, m, n), BGP_FSM_CLOSE);
	CHECK(last_notification(&f, &code, &sub));
	CHECK_EQ_INT(code, 2);
	CHECK_EQ_INT(sub, 3);
	/* a KEEPALIVE before the OPEN: FSM error in OpenSent (RFC 6608) */
	start(&f, &base_cfg);
	bgp_keepalive_encode(m, 19);
	CHECK_EQ_INT(bgp_fsm_input(&f, m, 19), BGP_FSM_CLOSE);
	CHECK(last_notification(&f, &code, &sub));
	CHECK_EQ_INT(code, 5);
	CHECK_EQ_INT(sub, 1);
}

static void
test_framing(void)
{
	struct bgp_fsm f;
	uint8_t m[64];
	unsigned code = 0, sub = 0;

	start(&f, &base_cfg);
	bgp_keepalive_encode(m, sizeof(m));
	CHECK_EQ_INT(bgp_fsm_frame(&f, m, 19), 19);
	m[3] = 0;
	CHECK_EQ_INT(bgp_fsm_frame(&f, m, 19), -1);
	CHECK(last_notification(&f, &code, &sub));
	CHECK_EQ_INT(code, 1);
	CHECK_EQ_INT(sub, 1);

	start(&f, &base_cfg);
	bgp_keepalive_encode(m, sizeof(m));
	m[17] = 20; /* KEEPALIVE of 20 bytes */
	CHECK_EQ_INT(bgp_fsm_frame(&f, m, 20), -1);
	CHECK(last_notification(&f, &code, &sub));
	CHECK_EQ_INT(code, 1);
	CHECK_EQ_INT(sub, 2);

	start(&f, &base_cfg);
	bgp_keepalive_encode(m, sizeof(m));
	m[18] = 9;
	CHECK_EQ_INT(bgp_fsm_frame(&f, m, 19), -1);
	CHECK(last_notification(&f, &code, &sub));
	CHECK_EQ_INT(code, 1);
	CHECK_EQ_INT(sub, 3);

	/* an UPDATE over 4096 bytes without extended messages */
	start(&f, &base_cfg);
	bgp_header_put(m, BGP_MSG_UPDATE, 19);
	m[16] = 0x10;
	m[17] = 0x01; /* 4097 */
	CHECK_EQ_INT(bgp_fsm_frame(&f, m, 19), -1);
	CHECK(last_notification(&f, &code, &sub));
	CHECK_EQ_INT(code, 1);
	CHECK_EQ_INT(sub, 2);
	/* ... accepted with them */
	establish(&f, &base_cfg, 0);
	CHECK_EQ_INT(bgp_fsm_frame(&f, m, 19), 4097);
}

/* An UPDATE announcing 192.0.2.0/24 with ORIGIN value ORIGIN. */
static size_t
update_msg(uint8_t *buf, uint8_t origin, int truncate_nlri)
{
	uint8_t a[64];
	size_t n = 0;
	a[n++] = 0x40; a[n++] = 1; a[n++] = 1; a[n++] = origin;
	a[n++] = 0x40; a[n++] = 2; a[n++] = 6; a[n++] = 2; a[n++] = 1;
	a[n++] = 0; a[n++] = 0; a[n++] = 0xfb; a[n++] = 0xf4; /* AS64500 */
	a[n++] = 0x40; a[n++] = 3; a[n++] = 4;
	a[n++] = 10; a[n++] = 255; a[n++] = 0; a[n++] = 2;
	size_t off = 19;
	buf[off++] = 0;
	buf[off++] = 0; /* no withdrawals */
	buf[off++] = 0;
	buf[off++] = (uint8_t)n;
	memcpy(buf + off, a, n);
	off += n;
	buf[off++] = 24;
	buf[off++] = 192;
	buf[off++] = 0;
	if (!truncate_nlri)
		buf[off++] = 2;
	bgp_header_put(buf, BGP_MSG_UPDATE, (uint16_t)off);
	return off;
}

static void
test_update_rfc7606(void)
{
	struct bgp_fsm f;
	uint8_t m[256];
	unsigned code = 0, sub = 0;
	size_t n;

	establish(&f, &base_cfg, 0);
	n = update_msg(m, 0, 0);
	CHECK_EQ_INT(bgp_fsm_input(&f, m, n), BGP_FSM_UPDATE);
	CHECK_EQ_INT(f.diag.n, 0);
	CHECK_EQ_INT(f.upd_afi, 1);
	/* RFC 7606 7.1: a bad ORIGIN value is treat-as-withdraw, session up */
	n = update_msg(m, 7, 0);
	CHECK_EQ_INT(bgp_fsm_input(&f, m, n), BGP_FSM_UPDATE);
	CHECK(f.diag.n >= 1);
	CHECK_EQ_INT(f.diag.items[0].action, VG_ACT_TREAT_AS_WITHDRAW);
	CHECK_EQ_INT(f.state, VG_STATE_ESTABLISHED);
	CHECK_EQ_INT(f.outlen, 0);
	/* NLRI that overruns its field: session reset (RFC 7606 5.3) */
	n = update_msg(m, 0, 1);
	CHECK_EQ_INT(bgp_fsm_input(&f, m, n), BGP_FSM_CLOSE);
	CHECK(last_notification(&f, &code, &sub));
	CHECK_EQ_INT(code, 3);
	CHECK_EQ_INT(sub, 10);
	CHECK_EQ_INT(f.state, VG_STATE_IDLE);
	CHECK_EQ_INT(f.ntrans, 1);
	CHECK_EQ_INT(f.trans[0].from, VG_STATE_ESTABLISHED);
	/* attribute block length beyond the message: reset */
	establish(&f, &base_cfg, 0);
	n = update_msg(m, 0, 0);
	m[22] = 200;
	CHECK_EQ_INT(bgp_fsm_input(&f, m, n), BGP_FSM_CLOSE);
	CHECK(last_notification(&f, &code, &sub));
	CHECK_EQ_INT(code, 3);
	/* an OPEN in Established: FSM error 5/3 */
	establish(&f, &base_cfg, 0);
	n = peer_open(m, 65002, 90, 1, 0, 0, 0);
	CHECK_EQ_INT(bgp_fsm_input(&f, m, n), BGP_FSM_CLOSE);
	CHECK(last_notification(&f, &code, &sub));
	CHECK_EQ_INT(code, 5);
	CHECK_EQ_INT(sub, 3);
}

static void
test_timers_and_notifications(void)
{
	struct bgp_fsm f;
	uint8_t m[300];
	unsigned code = 0, sub = 0;
	struct bgp_notification n;

	establish(&f, &base_cfg, 0);
	bgp_fsm_keepalive(&f);
	CHECK_EQ_INT(f.outlen, 19);
	CHECK_EQ_INT(f.out[18], BGP_MSG_KEEPALIVE);
	f.outlen = 0;
	bgp_fsm_hold_expired(&f);
	CHECK(last_notification(&f, &code, &sub));
	CHECK_EQ_INT(code, 4);
	CHECK_EQ_INT(sub, 0);
	CHECK_EQ_INT(f.state, VG_STATE_IDLE);
	CHECK(f.sent_set);
	/* nothing more goes out once Idle */
	f.outlen = 0;
	bgp_fsm_keepalive(&f);
	CHECK_EQ_INT(f.outlen, 0);

	/* a NOTIFICATION received, with an RFC 9003 message */
	establish(&f, &base_cfg, 0);
	memset(&n, 0, sizeof(n));
	n.code = 6;
	n.subcode = 2;
	snprintf(n.shutdown_msg, sizeof(n.shutdown_msg), "maintenance");
	int len = bgp_notification_encode(m, sizeof(m), &n);
	CHECK(len > 21);
	CHECK_EQ_INT(bgp_fsm_input(&f, m, (size_t)len), BGP_FSM_NOTIFICATION);
	CHECK(f.got_set);
	CHECK_EQ_INT(f.got_code, 6);
	CHECK_EQ_INT(f.got_sub, 2);
	CHECK_EQ_STR(f.got_msg, "maintenance");
	CHECK_EQ_INT(f.state, VG_STATE_IDLE);

	/* our administrative shutdown carries the message too */
	establish(&f, &base_cfg, 0);
	bgp_fsm_stop(&f, 6, 2, "collector stopping");
	CHECK(last_notification(&f, &code, &sub));
	CHECK_EQ_INT(code, 6);
	CHECK_EQ_INT(sub, 2);
	CHECK(memmem(f.out, f.outlen, "collector stopping", 18) != NULL);

	char r[128];
	bgp_fsm_reason(6, 2, r, sizeof(r));
	CHECK_EQ_STR(r, "Cease/Administrative Shutdown");
	bgp_fsm_reason(2, 2, r, sizeof(r));
	CHECK_EQ_STR(r, "OPEN Message Error/Bad Peer AS");

	/* connection lost: Idle, no NOTIFICATION */
	establish(&f, &base_cfg, 0);
	bgp_fsm_conn_lost(&f);
	CHECK_EQ_INT(f.state, VG_STATE_IDLE);
	CHECK_EQ_INT(f.outlen, 0);
	CHECK_EQ_INT(f.ntrans, 1);
}

static void
test_config(void)
{
	char path[] = "/tmp/vigil-collect-cfg-XXXXXX";
	char err[512];
	struct collect_cfg c;
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("# comment\ncollector rrc99\nlocal-as 65000\n"
	      "router-id 192.0.2.1\nlisten 127.0.0.1 11179\n"
	      "listen ::1 11179\nhold-time 30 # trailing comment\n"
	      "bin 60\nqueue-size 8\n"
	      "peer 127.0.0.2 as 65002 name bird add-path\n"
	      "peer ::2 as 4200000000\n", f);
	fclose(f);
	CHECK_EQ_INT(collect_cfg_load(&c, path, err, sizeof(err)), 0);
	CHECK_EQ_STR(c.collector, "rrc99");
	CHECK_EQ_INT(c.local_as, 65000);
	CHECK_EQ_INT(c.router_id[0], 192);
	CHECK_EQ_INT(c.nlisten, 2);
	CHECK_EQ_INT(c.listen[1].addr.afi, VG_AFI_IP6);
	CHECK_EQ_INT(c.hold_time, 30);
	CHECK_EQ_INT(c.obs.bin_len, 60);
	CHECK_EQ_INT(c.queue_bytes, 8u << 20);
	CHECK_EQ_INT(c.npeers, 2);
	CHECK_EQ_STR(c.peers[0].name, "bird");
	CHECK(c.peers[0].addpath);
	CHECK_EQ_INT(c.peers[1].asn, 4200000000u);
	CHECK_EQ_INT(c.updates_interval, 300);
	collect_cfg_free(&c);

	static const struct {
		const char *text, *msg;
	} bad[] = {
	    {"local-as 1\nrouter-id 1.1.1.1\nlisten 127.0.0.1 1\nhold-time 2\n",
	     ":4: hold-time: 0 or at least 3"},
	    {"local-as 1\nrouter-id 1.1.1.1\nlisten 127.0.0.1 99999\n",
	     ":3: listen: '99999' is not a number"},
	    {"local-as 1\nrouter-id 1.1.1.1\nlisten 127.0.0.1 1\nfrobnicate\n",
	     ":4: unknown directive 'frobnicate'"},
	    {"local-as 1\nrouter-id 1.1.1.1\nlisten 127.0.0.1 1\n"
	     "peer 10.0.0.1 as 5\npeer 10.0.0.1 as 6\n",
	     ":5: peer 10.0.0.1 configured twice"},
	    {"router-id 1.1.1.1\nlisten 127.0.0.1 1\n", "local-as is required"},
	    {"local-as 1\nrouter-id 1.1.1.1\n", "no listen"},
	    {"local-as 1\nrouter-id x\n", ":2: router-id: 'x' is not an IPv4"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fopen(path, "w");
		fputs(bad[i].text, f);
		fclose(f);
		err[0] = 0;
		CHECK_EQ_INT(collect_cfg_load(&c, path, err, sizeof(err)), -1);
		if (strstr(err, bad[i].msg) == NULL)
			fprintf(stderr, "  config case %zu: got \"%s\"\n", i, err);
		CHECK(strstr(err, bad[i].msg) != NULL);
	}
	unlink(path);
}

int
main(void)
{
	RUN(test_accept_sends_open);
	RUN(test_negotiation);
	RUN(test_open_errors);
	RUN(test_framing);
	RUN(test_update_rfc7606);
	RUN(test_timers_and_notifications);
	RUN(test_config);
	return TEST_MAIN_END();
}
