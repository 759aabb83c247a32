/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the BGP message decoders of src/wire/bgp_msg.c:
 * the 19-byte header, OPEN with its capabilities (RFC 5492, RFC 9072
 * extended parameters), NOTIFICATION (RFC 9003 shutdown text) and
 * ROUTE-REFRESH.  The input is tried twice: as a whole message (header,
 * then the body handed to the decoder its type names) and as a bare body
 * for every decoder, so seeds of either shape are useful.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/bgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INVARIANT(cond)                                                     \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "bgp_msg_fuzz: invariant %s failed " \
			                "at %s:%d\n", #cond, __FILE__,       \
			        __LINE__);                                  \
			abort();                                            \
		}                                                           \
	} while (0)

static void
check_diag(const struct vg_diag *d, size_t len)
{
	INVARIANT(d->n <= VG_DIAG_MAX);
	for (unsigned i = 0; i < d->n; i++) {
		const struct vg_problem *q = &d->items[i];
		size_t ml = strnlen(q->msg, VG_DIAG_MSGLEN);
		INVARIANT(ml > 0 && ml < VG_DIAG_MSGLEN);
		INVARIANT(q->err >= VG_ERR_TRUNCATED &&
		          q->err <= VG_ERR_UNSUPPORTED);
		INVARIANT(q->action <= VG_ACT_PARTIAL);
		INVARIANT(q->offset <= len);
	}
}

static void
try_open(const uint8_t *b, size_t len)
{
	struct bgp_open o;
	struct vg_diag d;
	int rc;

	vg_diag_reset(&d);
	rc = bgp_open_decode(&o, b, len, &d);
	check_diag(&d, len);
	if (rc < 0) {
		INVARIANT(d.n >= 1);
		return;
	}
	INVARIANT(len >= 10);
	INVARIANT(o.n_mp <= BGP_OPEN_MAX_AFI);
	INVARIANT(o.n_addpath <= BGP_OPEN_MAX_AFI);
	INVARIANT(o.gr_time <= 0x0fff && o.gr_flags <= 0x0f);
	INVARIANT(o.version == b[0]);
	INVARIANT(bgp_open_asn(&o) != 0 || (o.my_as == 0 && o.as4 == 0));
	for (unsigned i = 0; i < o.n_addpath; i++)
		INVARIANT(bgp_open_addpath(&o, o.addpath[i].afi,
		                           o.addpath[i].safi,
		                           o.addpath[i].mode & 3) == 1);
}

static void
try_notification(const uint8_t *b, size_t len)
{
	struct bgp_notification n;
	struct vg_diag d;
	int rc;

	vg_diag_reset(&d);
	rc = bgp_notification_decode(&n, b, len, &d);
	check_diag(&d, len);
	if (rc < 0) {
		INVARIANT(len < 2);
		return;
	}
	INVARIANT(n.data.len == len - 2 && n.data.p == b + 2);
	INVARIANT(memchr(n.shutdown_msg, '\0', sizeof(n.shutdown_msg)) != NULL);
	for (const char *c = n.shutdown_msg; *c; c++)
		INVARIANT((unsigned char)*c >= 0x20 && *c != 0x7f);
	INVARIANT(bgp_notification_code_name(n.code) != NULL);
	INVARIANT(bgp_notification_subcode_name(n.code, n.subcode) != NULL);
}

static void
try_route_refresh(const uint8_t *b, size_t len)
{
	struct bgp_route_refresh r;
	struct vg_diag d;
	int rc;

	vg_diag_reset(&d);
	rc = bgp_route_refresh_decode(&r, b, len, &d);
	check_diag(&d, len);
	INVARIANT((rc == 0) == (len == 4));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_diag d;
	uint8_t type;
	uint16_t mlen;

	/* As a whole message, with both length limits. */
	for (int ext = 0; ext < 2; ext++) {
		size_t maxlen = ext ? BGP_MAX_EXT_MSG_LEN : BGP_MAX_MSG_LEN;
		vg_diag_reset(&d);
		if (bgp_header_decode(data, size, maxlen, &type, &mlen, &d) < 0) {
			INVARIANT(d.n == 1);
			check_diag(&d, size);
			continue;
		}
		INVARIANT(d.n == 0);
		INVARIANT(mlen >= BGP_HEADER_LEN && mlen <= maxlen);
		if (mlen > size)
			mlen = (uint16_t)size;
		switch (type) {
		case BGP_MSG_OPEN:
			try_open(data + BGP_HEADER_LEN, mlen - BGP_HEADER_LEN);
			break;
		case BGP_MSG_NOTIFICATION:
			try_notification(data + BGP_HEADER_LEN,
			                 mlen - BGP_HEADER_LEN);
			break;
		case BGP_MSG_ROUTE_REFRESH:
			try_route_refresh(data + BGP_HEADER_LEN,
			                  mlen - BGP_HEADER_LEN);
			break;
		default:
			break;
		}
	}
	/* As a bare body for every decoder. */
	try_open(data, size);
	try_notification(data, size);
	try_route_refresh(data, size);
	return 0;
}
