/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the collector's BGP state machine
 * (src/collect/fsm.c): the input is what a peer sends on an established
 * session.  The first byte picks the session's shape (4-octet AS or not,
 * ADD-PATH, extended messages); the session is opened with a valid OPEN
 * and KEEPALIVE, then the rest is framed and fed message by message, as
 * the event loop does, until the state machine closes the session.
 * Invariants: the session ends only in Idle, and when it is us who end
 * it, a NOTIFICATION is what we send; output never overflows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/fsm.h"
#include "vigil/elem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INVARIANT(cond)                                                     \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "collect_fsm_fuzz: invariant %s "   \
			                "failed at %s:%d\n", #cond,         \
			        __FILE__, __LINE__);                        \
			abort();                                            \
		}                                                           \
	} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bgp_fsm f;
	struct bgp_fsm_cfg c = {.local_as = 65000, .peer_as = 65002,
	                        .router_id = {127, 0, 0, 1}, .hold_time = 90};
	struct bgp_open o;
	uint8_t m[4096];

	if (size < 1)
		return 0;
	unsigned sel = data[0];
	c.addpath = (sel & 2) != 0;
	bgp_fsm_init(&f, &c);
	bgp_fsm_accept(&f);
	memset(&o, 0, sizeof(o));
	o.version = 4;
	if (sel & 1)
		bgp_open_set_asn(&o, 65002);
	else
		o.my_as = 65002;
	o.hold_time = 90;
	o.bgp_id[0] = 10;
	o.ext_msg = (sel & 4) != 0;
	if (sel & 2) {
		o.n_addpath = 2;
		o.addpath[0].afi = 1;
		o.addpath[0].safi = 1;
		o.addpath[0].mode = 3;
		o.addpath[1].afi = 2;
		o.addpath[1].safi = 1;
		o.addpath[1].mode = 2;
	}
	int n = bgp_open_encode(m, sizeof(m), &o);
	INVARIANT(n > 0);
	INVARIANT(bgp_fsm_input(&f, m, (size_t)n) == BGP_FSM_OPEN);
	bgp_keepalive_encode(m, 19);
	INVARIANT(bgp_fsm_input(&f, m, 19) == BGP_FSM_UP);
	f.outlen = 0;
	f.ntrans = 0;

	size_t off = 1;
	while (size - off >= BGP_HEADER_LEN) {
		int len = bgp_fsm_frame(&f, data + off, size - off);
		if (len < 0) {
			INVARIANT(f.state == VG_STATE_IDLE);
			INVARIANT(f.outlen >= 21 && f.out[18] == BGP_MSG_NOTIFICATION);
			break;
		}
		INVARIANT(len >= BGP_HEADER_LEN &&
		          (unsigned)len <= bgp_fsm_max_len(&f));
		if ((size_t)len > size - off)
			break;
		size_t before = f.outlen;
		int rc = bgp_fsm_input(&f, data + off, (size_t)len);
		INVARIANT(f.outlen <= sizeof(f.out));
		off += (size_t)len;
		if (rc == BGP_FSM_CLOSE) {
			INVARIANT(f.state == VG_STATE_IDLE);
			INVARIANT(f.outlen > before &&
			          f.out[before + 18] == BGP_MSG_NOTIFICATION);
			break;
		}
		if (rc == BGP_FSM_NOTIFICATION) {
			INVARIANT(f.state == VG_STATE_IDLE && f.got_set);
			break;
		}
		INVARIANT(f.state == VG_STATE_ESTABLISHED);
		f.outlen = 0;
	}
	return 0;
}
