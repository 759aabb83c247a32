/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * BMP decoder, session and listener (include/vigil/bmp.h): hand-built
 * messages for every type and the paths the captures do not take (ADD-PATH
 * negotiated in Peer Up, Adj-RIB-Out, 2-byte AS_PATH, NOTIFICATION in Peer
 * Down, every statistics type, mirroring, termination), bad input (lying
 * lengths, truncation, unknown types and TLVs, garbage), framing across
 * arbitrary splits of a real capture, and the listener over TCP with
 * several routers at once, pause/resume and the SAFI filter.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "test.h"
#include "vigil/bmp.h"
#include "vigil/fmt.h"

/* ---- message builders ------------------------------------------------- */

struct mb {
	uint8_t b[8192];
	size_t n;
};

static void
put(struct mb *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void
put8(struct mb *m, uint8_t v)
{
	m->b[m->n++] = v;
}

static void
put16(struct mb *m, uint16_t v)
{
	vg_store_be16(m->b + m->n, v);
	m->n += 2;
}

static void
put32(struct mb *m, uint32_t v)
{
	vg_store_be32(m->b + m->n, v);
	m->n += 4;
}

/* Start a message of TYPE; finish with msg_end(). */
static size_t
msg_start(struct mb *m, uint8_t type)
{
	size_t at = m->n;
	put8(m, 3);
	put32(m, 0);
	put8(m, type);
	return at;
}

static void
msg_end(struct mb *m, size_t at)
{
	vg_store_be32(m->b + at + 1, (uint32_t)(m->n - at));
}

static void
peer_hdr(struct mb *m, uint8_t type, uint8_t flags, uint32_t rd_lo,
         uint32_t ip4, uint32_t asn, uint32_t ts)
{
	uint8_t z[12] = {0};
	put8(m, type);
	put8(m, flags);
	put32(m, 0);
	put32(m, rd_lo);
	put(m, z, 12);
	put32(m, ip4);
	put32(m, asn);
	put32(m, ip4);
	put32(m, ts);
	put32(m, 0);
}

static void
open_msg(struct mb *m, uint32_t asn, int as4, int ap_mode)
{
	struct bgp_open o;
	memset(&o, 0, sizeof(o));
	o.version = 4;
	bgp_open_set_asn(&o, asn);
	if (!as4)
		o.as4 = 0;
	o.hold_time = 90;
	o.bgp_id[0] = 10;
	o.n_mp = 1;
	o.mp[0].afi = 1;
	o.mp[0].safi = 1;
	if (ap_mode) {
		o.n_addpath = 1;
		o.addpath[0].afi = 1;
		o.addpath[0].safi = 1;
		o.addpath[0].mode = (uint8_t)ap_mode;
	}
	int n = bgp_open_encode(m->b + m->n, sizeof(m->b) - m->n, &o);
	CHECK(n > 0);
	m->n += (size_t)n;
}

static uint8_t peer_type_next; /* peer type of the next built message */

static void
peer_up_msg(struct mb *m, uint8_t flags, uint32_t ip4, uint32_t asn,
            int sent_ap, int rcvd_ap, int as4)
{
	uint8_t local[16] = {0};
	size_t at = msg_start(m, BMP_PEER_UP);
	peer_hdr(m, peer_type_next, flags, 0, ip4, asn, 1000);
	local[12] = 192;
	local[15] = 1;
	put(m, local, 16);
	put16(m, 179);
	put16(m, 40000);
	open_msg(m, 65000, as4, sent_ap);
	open_msg(m, asn, as4, rcvd_ap);
	put16(m, 0); /* string TLV */
	put16(m, 5);
	put(m, "hello", 5);
	msg_end(m, at);
}

/* Route monitoring: N /24 prefixes 10.0.I.0 with path ids 100+I. */
static void
rm_msg(struct mb *m, uint8_t flags, uint32_t ip4, uint32_t asn, int addpath,
       int as2, int n)
{
	struct vg_prefix pf[8];
	uint32_t ids[8];
	uint32_t asns[3] = {asn, 70000, 65010};
	uint8_t segt[1] = {BGP_AS_SEQUENCE};
	uint32_t segl[1] = {3};
	struct bgp_path path = {.asn = asns, .seg_type = segt, .seg_len = segl,
	                        .nasn = 3, .nseg = 1};
	struct bgp_attr_set as;
	struct bgp_update_msg u;

	memset(&as, 0, sizeof(as));
	as.has = BGP_SET_NEXTHOP4;
	as.nexthop4[0] = 192;
	as.nexthop4[3] = 2;
	as.path = &path;
	for (int i = 0; i < n; i++) {
		memset(&pf[i], 0, sizeof(pf[i]));
		pf[i].afi = VG_AFI_IP4;
		pf[i].safi = 1;
		pf[i].len = 24;
		pf[i].addr[0] = 10;
		pf[i].addr[2] = (uint8_t)i;
		ids[i] = 100u + (uint32_t)i;
	}
	memset(&u, 0, sizeof(u));
	u.announced = pf;
	u.announced_path_id = ids;
	u.n_announced = (uint32_t)n;
	u.attrs = &as;
	u.flags = (addpath ? BGP_ENC_ADDPATH : 0) | (as2 ? BGP_ENC_AS2 : 0);
	size_t at = msg_start(m, BMP_ROUTE_MONITORING);
	peer_hdr(m, peer_type_next, flags, 0, ip4, asn, 2000);
	int k = bgp_update_encode(m->b + m->n, 4096, &u);
	CHECK(k > 0);
	m->n += (size_t)k;
	msg_end(m, at);
}

/* ---- collecting what a session produces ------------------------------- */

struct got {
	struct vg_obuf o;     /* formatted elements and messages */
	unsigned problems;
	char last_problem[200];
	uint64_t last_offset;
	uint64_t last_msg;
};

static void
got_problem(void *ctx, const struct bmp_problem *p)
{
	struct got *g = ctx;
	g->problems++;
	snprintf(g->last_problem, sizeof(g->last_problem), "%s", p->msg_text);
	g->last_offset = p->offset;
	g->last_msg = p->msg;
}

static void
drain_into(struct bmp_session *s, struct got *g, int all_safi)
{
	const struct bmp_msg *m;
	const struct vg_elem *e;
	struct fmt_json fj = {0};
	uint16_t afi;
	uint8_t safi;

	while (bmp_session_next(s, &m) > 0) {
		while (bmp_session_next_elem(s, &e) > 0)
			if (all_safi || e->type == VG_ELEM_STATE ||
			    e->prefix.safi == 1 || e->prefix.safi == 2 ||
			    e->prefix.safi == 4)
				fmt_json_elem(&fj, &g->o, e);
		if (bmp_session_eor(s, &afi, &safi))
			fmt_json_bmp_msg(&g->o, m, "r", 0, 1, afi, safi);
		else if (m->type != BMP_ROUTE_MONITORING &&
		         m->type != BMP_PEER_UP && m->type != BMP_PEER_DOWN)
			fmt_json_bmp_msg(&g->o, m, "r", 0, 0, 0, 0);
	}
}

static struct bmp_session *
decode_all(const uint8_t *p, size_t n, struct got *g)
{
	struct bmp_session *s = bmp_session_new("r", got_problem, g);
	vg_obuf_init(&g->o, -1, 1 << 12);
	bmp_session_push(s, p, n);
	drain_into(s, g, 1);
	bmp_session_end(s);
	return s;
}

static void
got_free(struct got *g)
{
	vg_obuf_destroy(&g->o);
}

static int
count(const struct got *g, const char *needle)
{
	int n = 0;
	const char *p = g->o.buf;
	size_t nl = strlen(needle);
	for (size_t i = 0; i + nl <= g->o.len; i++)
		if (memcmp(p + i, needle, nl) == 0)
			n++;
	return n;
}

/* ---- cases -------------------------------------------------------------- */

static void
bmp_addpath_from_peer_up(void)
{
	struct mb m = {.n = 0};
	struct got g = {0};
	/* the router receives with path ids (sent OPEN: receive), the peer
	 * sends them (received OPEN: send) */
	peer_up_msg(&m, 0, 0xc0000205, 65002, 1, 2, 1);
	rm_msg(&m, 0, 0xc0000205, 65002, 1, 0, 2);
	struct bmp_session *s = decode_all(m.b, m.n, &g);
	CHECK_EQ_INT(g.problems, 0);
	CHECK_EQ_INT(count(&g, "\"type\":\"announce\""), 2);
	CHECK_EQ_INT(count(&g, "\"path_id\":100"), 1);
	CHECK_EQ_INT(count(&g, "\"path_id\":101"), 1);
	CHECK_EQ_INT(count(&g, "\"prefix\":\"10.0.1.0/24\""), 1);
	CHECK_EQ_INT(count(&g, "\"as_path\":\"65002 70000 65010\""), 2);
	CHECK_EQ_INT(count(&g, "\"string\":[\"hello\"]"), 1);
	CHECK_EQ_INT(bmp_session_stats(s)->peers_up, 1);
	bmp_session_free(s);
	got_free(&g);

	/* Adj-RIB-Out (O flag): the router's OPEN must offer send */
	struct mb m2 = {.n = 0};
	struct got g2 = {0};
	peer_up_msg(&m2, BMP_PEER_F_O, 0xc0000205, 65002, 2, 1, 1);
	rm_msg(&m2, BMP_PEER_F_O, 0xc0000205, 65002, 1, 0, 2);
	s = decode_all(m2.b, m2.n, &g2);
	CHECK_EQ_INT(g2.problems, 0);
	CHECK_EQ_INT(count(&g2, "\"path_id\":101"), 1);
	CHECK_EQ_INT(count(&g2, "\"adj_rib_out\":true"), 3);
	bmp_session_free(s);
	got_free(&g2);

	/* only one side offering ADD-PATH: no path ids negotiated, and an
	 * UPDATE that carries them anyway is malformed NLRI (reported) */
	struct mb m3 = {.n = 0};
	struct got g3 = {0};
	peer_up_msg(&m3, 0, 0xc0000205, 65002, 0, 2, 1);
	rm_msg(&m3, 0, 0xc0000205, 65002, 0, 0, 2);
	s = decode_all(m3.b, m3.n, &g3);
	CHECK_EQ_INT(g3.problems, 0);
	CHECK_EQ_INT(count(&g3, "path_id"), 0);
	CHECK_EQ_INT(count(&g3, "\"type\":\"announce\""), 2);
	bmp_session_free(s);
	got_free(&g3);

	/* Loc-RIB (RFC 9069): the same made-up OPEN twice, ADD-PATH "send"
	 * in it: the routes carry path ids */
	struct mb m4 = {.n = 0};
	struct got g4 = {0};
	peer_type_next = BMP_PEER_LOC_RIB;
	peer_up_msg(&m4, 0, 0, 65000, 2, 2, 1);
	rm_msg(&m4, 0, 0, 65000, 1, 0, 2);
	peer_type_next = 0;
	s = decode_all(m4.b, m4.n, &g4);
	CHECK_EQ_INT(g4.problems, 0);
	CHECK_EQ_INT(count(&g4, "\"peer_type\":\"loc_rib\""), 3);
	CHECK_EQ_INT(count(&g4, "\"path_id\":100"), 1);
	CHECK_EQ_INT(count(&g4, "\"path_id\":101"), 1);
	bmp_session_free(s);
	got_free(&g4);
}

static void
bmp_as2_flag(void)
{
	struct mb m = {.n = 0};
	struct got g = {0};
	peer_up_msg(&m, BMP_PEER_F_A, 0xc0000206, 65003, 0, 0, 0);
	rm_msg(&m, BMP_PEER_F_A, 0xc0000206, 65003, 0, 1, 1);
	struct bmp_session *s = decode_all(m.b, m.n, &g);
	CHECK_EQ_INT(g.problems, 0);
	/* AS_TRANS in AS_PATH, merged with AS4_PATH (RFC 6793) */
	CHECK_EQ_INT(count(&g, "\"as_path\":\"65003 70000 65010\""), 1);
	CHECK_EQ_INT(count(&g, "\"as2\":true"), 2);
	bmp_session_free(s);
	got_free(&g);
}

static void
bmp_peer_down_reasons(void)
{
	struct mb m = {.n = 0};
	struct got g = {0};
	uint8_t notif[64];
	struct bgp_notification n = {.code = 6, .subcode = 2};
	snprintf(n.shutdown_msg, sizeof(n.shutdown_msg), "maintenance");
	int nl = bgp_notification_encode(notif, sizeof(notif), &n);
	CHECK(nl > 0);

	peer_up_msg(&m, 0, 0xc0000207, 65004, 0, 0, 1);
	size_t at = msg_start(&m, BMP_PEER_DOWN);
	peer_hdr(&m, 0, 0, 0, 0xc0000207, 65004, 3000);
	put8(&m, BMP_DOWN_REMOTE_NOTIFY);
	put(&m, notif, (size_t)nl);
	msg_end(&m, at);
	at = msg_start(&m, BMP_PEER_DOWN);
	peer_hdr(&m, 0, 0, 0, 0xc0000208, 65005, 3001);
	put8(&m, BMP_DOWN_LOCAL_NO_NOTIFY);
	put16(&m, 24);
	msg_end(&m, at);
	at = msg_start(&m, BMP_PEER_DOWN);
	peer_hdr(&m, 0, 0, 0, 0xc0000209, 65006, 3002);
	put8(&m, 77); /* unknown reason: still a peer down */
	msg_end(&m, at);

	struct bmp_session *s = decode_all(m.b, m.n, &g);
	CHECK_EQ_INT(count(&g, "\"new_state\":\"Idle\""), 3);
	CHECK_EQ_INT(count(&g, "\"code\":6,\"subcode\":2,\"text\":\"Cease/Administrative Shutdown\",\"shutdown_msg\":\"maintenance\""), 1);
	CHECK_EQ_INT(count(&g, "\"fsm_event\":24"), 1);
	CHECK_EQ_INT(count(&g, "\"reason\":77"), 1);
	CHECK_EQ_INT(g.problems, 1);
	CHECK(strstr(g.last_problem, "unknown peer down reason 77") != NULL);
	CHECK_EQ_INT(bmp_session_stats(s)->peers_up, 0);
	bmp_session_free(s);
	got_free(&g);
}

static void
bmp_stats_every_type(void)
{
	struct mb m = {.n = 0};
	struct got g = {0};
	size_t at = msg_start(&m, BMP_STATISTICS);
	peer_hdr(&m, 0, 0, 0, 0xc000020a, 65007, 4000);
	put32(&m, 19);
	for (unsigned t = 0; t <= 17; t++) {
		put16(&m, (uint16_t)t);
		if (t == 9 || t == 10 || t == 16 || t == 17) {
			put16(&m, 11);
			put16(&m, 2);
			put8(&m, 1);
			put32(&m, 0);
			put32(&m, 1000 + t);
		} else if (t == 7 || t == 8 || t == 14 || t == 15) {
			put16(&m, 8);
			put32(&m, 1);
			put32(&m, t);
		} else {
			put16(&m, 4);
			put32(&m, 1000 + t);
		}
	}
	put16(&m, 99); /* unknown type, odd length: kept raw, reported */
	put16(&m, 3);
	put8(&m, 1);
	put16(&m, 2);
	msg_end(&m, at);
	struct bmp_session *s = decode_all(m.b, m.n, &g);
	/* the message's object, then one per counter */
	CHECK_EQ_INT(count(&g, "{\"type\":"), 20);
	CHECK_EQ_INT(count(&g, "\"type\":10,\"name\":\"routes in per-AFI/SAFI Loc-RIB\",\"value\":1010,\"afi\":2,\"safi\":1"), 1);
	CHECK_EQ_INT(count(&g, "\"type\":7,\"name\":\"routes in Adj-RIBs-In\",\"value\":4294967303"), 1);
	CHECK_EQ_INT(count(&g, "\"type\":0,\"name\":\"prefixes rejected by inbound policy\",\"value\":1000"), 1);
	CHECK_EQ_INT(count(&g, "{\"type\":99,\"len\":3}"), 1);
	CHECK_EQ_INT(g.problems, 1);
	bmp_session_free(s);
	got_free(&g);
}

static void
bmp_init_term_mirror_locrib(void)
{
	struct mb m = {.n = 0};
	struct got g = {0};
	size_t at = msg_start(&m, BMP_INITIATION);
	put16(&m, 2);
	put16(&m, 2);
	put(&m, "r1", 2);
	put16(&m, 1);
	put16(&m, 4);
	put(&m, "d\"x\n", 4);
	put16(&m, 42); /* unknown TLV */
	put16(&m, 1);
	put8(&m, 0);
	msg_end(&m, at);
	/* Loc-RIB peer (RFC 9069): F flag, no address, VRF/table name TLV */
	uint8_t local[16] = {0};
	at = msg_start(&m, BMP_PEER_UP);
	peer_hdr(&m, BMP_PEER_LOC_RIB, BMP_PEER_F_F, 11, 0, 65000, 5000);
	put(&m, local, 16);
	put16(&m, 0);
	put16(&m, 0);
	open_msg(&m, 65000, 1, 0);
	open_msg(&m, 65000, 1, 0);
	put16(&m, 3);
	put16(&m, 6);
	put(&m, "global", 6);
	msg_end(&m, at);
	at = msg_start(&m, BMP_ROUTE_MIRRORING);
	peer_hdr(&m, 0, 0, 0, 0xc000020b, 65008, 5001);
	put16(&m, 1);
	put16(&m, 2);
	put16(&m, 1); /* messages lost */
	msg_end(&m, at);
	at = msg_start(&m, BMP_TERMINATION);
	put16(&m, 0);
	put16(&m, 3);
	put(&m, "bye", 3);
	put16(&m, 1);
	put16(&m, 2);
	put16(&m, 3);
	msg_end(&m, at);
	struct bmp_session *s = decode_all(m.b, m.n, &g);
	CHECK_EQ_INT(g.problems, 0);
	CHECK_EQ_INT(count(&g, "\"info\":{\"sysname\":\"r1\",\"sysdescr\":\"d\\\"x\\u000a\",\"other\":[{\"type\":42,\"len\":1}]}"), 1);
	CHECK_EQ_INT(count(&g, "\"peer\":\"0.0.0.0\",\"peer_asn\":65000,\"old_state\":\"Idle\""), 1);
	CHECK_EQ_INT(count(&g, "\"peer_type\":\"loc_rib\",\"peer_flags\":128,\"filtered\":true,\"peer_rd\":\"0:0:11\""), 1);
	CHECK_EQ_INT(count(&g, "\"vrf_table_name\":\"global\""), 1);
	CHECK_EQ_INT(count(&g, "\"msg\":\"route_mirroring\""), 1);
	CHECK_EQ_INT(count(&g, "\"mirror_info\":1"), 1);
	CHECK_EQ_INT(count(&g, "\"reason\":3,\"reason_text\":\"redundant connection\",\"info\":{\"string\":[\"bye\"]}"), 1);
	const struct bmp_session_stats *st = bmp_session_stats(s);
	CHECK_EQ_INT(st->msgs, 4);
	CHECK_EQ_INT(st->by_type[BMP_ROUTE_MIRRORING], 1);
	CHECK_EQ_INT(st->by_type[BMP_TERMINATION], 1);
	bmp_session_free(s);
	got_free(&g);
}

static void
bmp_bad_input(void)
{
	struct mb m = {.n = 0};
	struct got g = {0};
	struct bmp_session *s;

	/* truncated per-peer header: skipped, the next message decodes */
	size_t at = msg_start(&m, BMP_ROUTE_MONITORING);
	put32(&m, 0x01020304);
	msg_end(&m, at);
	/* unknown type: skipped */
	at = msg_start(&m, 9);
	put32(&m, 7);
	msg_end(&m, at);
	/* route monitoring whose BGP message overruns the BMP message */
	at = msg_start(&m, BMP_ROUTE_MONITORING);
	peer_hdr(&m, 0, 0, 0, 1, 1, 1);
	for (int i = 0; i < 16; i++)
		put8(&m, 0xff);
	put16(&m, 200);
	put8(&m, 2);
	msg_end(&m, at);
	/* initiation whose TLV lies about its length: what came before kept */
	at = msg_start(&m, BMP_INITIATION);
	put16(&m, 2);
	put16(&m, 1);
	put8(&m, 'x');
	put16(&m, 0);
	put16(&m, 50);
	put8(&m, 'y');
	msg_end(&m, at);
	size_t good_end = m.n;
	rm_msg(&m, 0, 0xc000020c, 65009, 0, 0, 1);
	s = decode_all(m.b, m.n, &g);
	CHECK_EQ_INT(bmp_session_failed(s), 0);
	CHECK_EQ_INT(count(&g, "\"type\":\"announce\""), 1);
	CHECK_EQ_INT(count(&g, "\"sysname\":\"x\""), 1);
	CHECK_EQ_INT(g.problems, 4);
	CHECK_EQ_INT(bmp_session_stats(s)->msgs_bad, 3);
	bmp_session_free(s);
	got_free(&g);

	/* a lying length: the stream cannot be framed; offset of the header */
	struct mb b = {.n = 0};
	memcpy(b.b, m.b, good_end);
	b.n = good_end;
	put8(&b, 3);
	put32(&b, 0x7fffffff);
	put8(&b, 0);
	put(&b, "garbage-garbage", 15);
	struct got g2 = {0};
	s = decode_all(b.b, b.n, &g2);
	CHECK_EQ_INT(bmp_session_failed(s), 1);
	CHECK(strstr(g2.last_problem, "cannot be framed") != NULL);
	CHECK_EQ_INT(g2.last_offset, good_end);
	CHECK_EQ_INT(g2.last_msg, 5);
	CHECK(bmp_session_push(s, "x", 1) < 0);
	bmp_session_free(s);
	got_free(&g2);

	/* garbage from the first byte; and a message cut by the end */
	struct got g3 = {0};
	s = decode_all((const uint8_t *)"GET / HTTP/1.0\r\n", 16, &g3);
	CHECK_EQ_INT(bmp_session_failed(s), 1);
	CHECK(g3.problems >= 1);
	CHECK_EQ_INT(g3.o.len, 0);
	bmp_session_free(s);
	got_free(&g3);
	struct got g4 = {0};
	s = decode_all(m.b, good_end + 10, &g4);
	CHECK_EQ_INT(bmp_session_failed(s), 0);
	CHECK(strstr(g4.last_problem, "stream ended inside a message") != NULL);
	CHECK_EQ_INT(g4.last_offset, good_end);
	bmp_session_free(s);
	got_free(&g4);

	/* bmp_frame on a short header, a short length and a good one */
	struct vg_diag d;
	size_t need = 0;
	vg_diag_reset(&d);
	CHECK_EQ_INT(bmp_frame((const uint8_t *)"\3\0\0", 3, &need, &d), 0);
	CHECK_EQ_INT(need, 6);
	CHECK_EQ_INT(bmp_frame((const uint8_t *)"\3\0\0\0\5\4", 6, &need, &d), -1);
	CHECK_EQ_INT(d.n, 1);
	CHECK_EQ_INT(bmp_frame((const uint8_t *)"\3\0\0\0\6\4", 6, &need, &d), 6);
}

static uint8_t *
read_file(const char *rel, size_t *n)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", test_data_dir(), rel);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "  cannot read %s (set VIGIL_DATA)\n", path);
		return NULL;
	}
	uint8_t *b = malloc(1 << 20);
	*n = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

#define CAP200 "bmp/200-BMP-HUAWEI-locrib_instance/traffic-00.pcap.flow0.bmp"
#define CAP204 "bmp/204-BMP-CISCO-peer_down/traffic-00.pcap.flow0.bmp"
#define CAP202 "bmp/202-BMP-CISCO-HUAWEI-multiple-sources/traffic-01.pcap.flow0.bmp"

/* Every split of a real capture decodes the same as the whole. */
static void
bmp_split_anywhere(void)
{
	size_t n;
	uint8_t *b = read_file(CAP200, &n);
	CHECK(b != NULL);
	if (b == NULL)
		return;
	struct got whole = {0};
	struct bmp_session *s = decode_all(b, n, &whole);
	CHECK_EQ_INT(whole.problems, 0);
	CHECK(whole.o.len > 10000);
	bmp_session_free(s);
	int bad = 0;
	/* two pieces, cut at every byte of the first 2 KiB and every 61st
	 * after; then random chunk sizes */
	for (size_t cut = 0; cut <= n && !bad; cut += cut < 2048 ? 1 : 61) {
		struct got g = {0};
		s = bmp_session_new("r", got_problem, &g);
		vg_obuf_init(&g.o, -1, 1 << 12);
		bmp_session_push(s, b, cut);
		drain_into(s, &g, 1);
		bmp_session_push(s, b + cut, n - cut);
		drain_into(s, &g, 1);
		bmp_session_end(s);
		if (g.o.len != whole.o.len || memcmp(g.o.buf, whole.o.buf, g.o.len) ||
		    g.problems) {
			fprintf(stderr, "  differs when cut at %zu\n", cut);
			bad = 1;
		}
		bmp_session_free(s);
		got_free(&g);
	}
	srand(7);
	for (int run = 0; run < 20 && !bad; run++) {
		struct got g = {0};
		s = bmp_session_new("r", got_problem, &g);
		vg_obuf_init(&g.o, -1, 1 << 12);
		for (size_t off = 0; off < n;) {
			size_t k = 1 + (size_t)rand() % (run < 10 ? 50 : 3000);
			if (k > n - off)
				k = n - off;
			bmp_session_push(s, b + off, k);
			drain_into(s, &g, 1);
			off += k;
		}
		bmp_session_end(s);
		if (g.o.len != whole.o.len || memcmp(g.o.buf, whole.o.buf, g.o.len)) {
			fprintf(stderr, "  differs in random run %d\n", run);
			bad = 1;
		}
		bmp_session_free(s);
		got_free(&g);
	}
	CHECK(!bad);
	got_free(&whole);
	free(b);
}

/* ---- listener over TCP -------------------------------------------------- */

struct router {
	const uint8_t *data;
	size_t n;
	uint16_t port;
	unsigned seed;
};

static void *
router_thread(void *arg)
{
	struct router *r = arg;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(r->port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return NULL;
	}
	unsigned seed = r->seed;
	for (size_t off = 0; off < r->n;) {
		size_t k = 1 + (size_t)rand_r(&seed) % 700;
		if (k > r->n - off)
			k = r->n - off;
		ssize_t w = send(fd, r->data + off, k, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	char c;
	while (recv(fd, &c, 1, 0) > 0)
		;
	close(fd);
	return NULL;
}

struct lctx {
	struct event_base *base;
	struct bmp_listener *l;
	struct vg_obuf out[4]; /* per connection, by order of connecting */
	char names[4][64];
	int nconn, closed, peers_up, peers_down, paused_elems;
	int paused;
	uint64_t elems_total;
};

static int
conn_index(struct lctx *c, const char *router)
{
	for (int i = 0; i < c->nconn; i++)
		if (strcmp(c->names[i], router) == 0)
			return i;
	return -1;
}

static void
l_elem(void *vctx, const char *router, const struct vg_elem *e)
{
	struct lctx *c = vctx;
	struct fmt_json fj = {0};
	int i = conn_index(c, router);
	if (c->paused)
		c->paused_elems++;
	if (i < 0)
		return;
	/* the JSON carries the router name: print it as the file decode
	 * names its session ("r") */
	struct bmp_elem_src src = *(const struct bmp_elem_src *)e->source;
	struct vg_elem copy = *e;
	src.router = "r";
	src.index = 0;
	copy.source = &src;
	fmt_json_elem(&fj, &c->out[i], &copy);
	c->elems_total++;
}

static void
l_peer(void *vctx, const char *router, const struct bmp_peer_info *p, int up)
{
	struct lctx *c = vctx;
	if (up)
		c->peers_up++;
	else
		c->peers_down++;
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lctx *c = arg;
	c->paused = 0;
	bmp_listener_pause(c->l, 0);
}

static void
l_router(void *vctx, const char *router, int up,
         const struct bmp_session_stats *st)
{
	struct lctx *c = vctx;
	if (getenv("BMP_TEST_DEBUG"))
		fprintf(stderr, "router %s up %d closed %d nconn %d\n", router, up, c->closed, c->nconn);
	if (up) {
		if (c->nconn < 4) {
			snprintf(c->names[c->nconn], 64, "%s", router);
			vg_obuf_init(&c->out[c->nconn], -1, 1 << 12);
			c->nconn++;
		}
		if (c->nconn == 1) {
			/* hold every router back for a moment: nothing may be
			 * delivered until the resume */
			c->paused = 1;
			bmp_listener_pause(c->l, 1);
			struct timeval tv = {0, 150000};
			event_base_once(c->base, -1, EV_TIMEOUT, resume_cb, c, &tv);
		}
		return;
	}
	if (++c->closed == 3)
		event_base_loopexit(c->base, NULL);
}

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

static void
bmp_listener_three_routers(void)
{
	const char *files[3] = {CAP200, CAP204, CAP202};
	uint8_t *data[3];
	size_t n[3];
	struct got want[3];
	struct lctx c;
	char err[256];

	memset(&c, 0, sizeof(c));
	for (int i = 0; i < 3; i++) {
		data[i] = read_file(files[i], &n[i]);
		CHECK(data[i] != NULL);
		if (data[i] == NULL)
			return;
		memset(&want[i], 0, sizeof(want[i]));
		struct bmp_session *s = bmp_session_new("r", got_problem, &want[i]);
		vg_obuf_init(&want[i].o, -1, 1 << 12);
		bmp_session_push(s, data[i], n[i]);
		/* the listener's default: SAFI 1, 2, 4 only */
		const struct bmp_msg *m;
		const struct vg_elem *e;
		struct fmt_json fj = {0};
		while (bmp_session_next(s, &m) > 0)
			while (bmp_session_next_elem(s, &e) > 0)
				if (e->type == VG_ELEM_STATE || e->prefix.safi == 1 ||
				    e->prefix.safi == 2 || e->prefix.safi == 4) {
					struct bmp_elem_src src =
					    *(const struct bmp_elem_src *)e->source;
					struct vg_elem copy = *e;
					src.index = 0;
					copy.source = &src;
					fmt_json_elem(&fj, &want[i].o, &copy);
				}
		bmp_session_free(s);
	}
	c.base = event_base_new();
	c.l = bmp_listener_new(c.base, "127.0.0.1", 0, l_elem, l_peer, &c, err,
	                       sizeof(err));
	CHECK(c.l != NULL);
	if (c.l == NULL) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	bmp_listener_set_router_cb(c.l, l_router);
	struct router r[3];
	pthread_t th[3];
	for (int i = 0; i < 3; i++) {
		r[i] = (struct router){data[i], n[i], bmp_listener_port(c.l),
		                       (unsigned)i + 11};
		pthread_create(&th[i], NULL, router_thread, &r[i]);
	}
	struct timeval tv = {30, 0};
	event_base_once(c.base, -1, EV_TIMEOUT, timeout_cb, c.base, &tv);
	event_base_dispatch(c.base);
	struct bmp_listener_stats st;
	bmp_listener_stats(c.l, &st);
	bmp_listener_free(c.l);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);

	CHECK_EQ_INT(c.nconn, 3);
	CHECK_EQ_INT(c.closed, 3);
	CHECK_EQ_INT(c.paused_elems, 0);
	CHECK_EQ_INT(st.connections, 3);
	CHECK_EQ_INT(st.routers_open, 0);
	CHECK_EQ_INT(st.bytes, n[0] + n[1] + n[2]);
	CHECK_EQ_INT(st.by_type[BMP_PEER_UP], 18 + 10 + 42);
	CHECK_EQ_INT(st.by_type[BMP_PEER_DOWN], 3);
	CHECK_EQ_INT(c.peers_up, 18 + 10 + 42);
	CHECK_EQ_INT(c.peers_down, 3);
	CHECK_EQ_INT(st.problems, 0);
	/* each connection gave exactly one file's elements, in order */
	int matched = 0;
	for (int k = 0; k < c.nconn; k++)
		for (int i = 0; i < 3; i++)
			if (c.out[k].len == want[i].o.len &&
			    memcmp(c.out[k].buf, want[i].o.buf, c.out[k].len) == 0) {
				matched++;
				break;
			}
	CHECK_EQ_INT(matched, 3);
	/* the connections share 127.0.0.1: the later ones get a port */
	CHECK_EQ_STR(c.names[0], "127.0.0.1");
	CHECK(strncmp(c.names[1], "127.0.0.1:", 10) == 0);
	for (int i = 0; i < 3; i++) {
		got_free(&want[i]);
		free(data[i]);
	}
	for (int k = 0; k < c.nconn; k++)
		vg_obuf_destroy(&c.out[k]);
	event_base_free(c.base);
}

/* A router sending garbage is closed; the others are not affected. */
static void
bmp_listener_closes_garbage(void)
{
	struct lctx c;
	char err[256];
	static const uint8_t junk[] = "\x03\xff\xff\xff\xff\x00garbage";
	memset(&c, 0, sizeof(c));
	c.base = event_base_new();
	c.l = bmp_listener_new(c.base, "127.0.0.1", 0, l_elem, l_peer, &c, err,
	                       sizeof(err));
	CHECK(c.l != NULL);
	if (c.l == NULL)
		return;
	bmp_listener_set_router_cb(c.l, l_router);
	struct router r = {junk, sizeof(junk) - 1, bmp_listener_port(c.l), 1};
	pthread_t th;
	pthread_create(&th, NULL, router_thread, &r);
	struct timeval tv = {10, 0};
	event_base_once(c.base, -1, EV_TIMEOUT, timeout_cb, c.base, &tv);
	/* l_router exits the loop after 3 closes: stop on the first here */
	c.closed = 2;
	event_base_dispatch(c.base);
	struct bmp_listener_stats st;
	bmp_listener_stats(c.l, &st);
	CHECK_EQ_INT(c.nconn, 1);
	CHECK_EQ_INT(c.closed, 3);
	CHECK_EQ_INT(st.closed_error, 1);
	CHECK_EQ_INT(st.problems, 2);
	CHECK_EQ_INT(st.routers_open, 0);
	bmp_listener_free(c.l);
	pthread_join(th, NULL);
	for (int k = 0; k < c.nconn; k++)
		vg_obuf_destroy(&c.out[k]);
	event_base_free(c.base);

	/* not an address */
	CHECK(bmp_listener_new(NULL, "localhost", 0, NULL, NULL, NULL, err,
	                       sizeof(err)) == NULL);
	CHECK(strstr(err, "not an IPv4 or IPv6 address") != NULL);
}

int
main(void)
{
	RUN(bmp_addpath_from_peer_up);
	RUN(bmp_as2_flag);
	RUN(bmp_peer_down_reasons);
	RUN(bmp_stats_every_type);
	RUN(bmp_init_term_mirror_locrib);
	RUN(bmp_bad_input);
	RUN(bmp_split_anywhere);
	RUN(bmp_listener_three_routers);
	RUN(bmp_listener_closes_garbage);
	return TEST_MAIN_END();
}
