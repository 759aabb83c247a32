/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hand-made routing elements for the unit tests of the routing state and
 * the observatory: a prefix, and an element that owns its AS path and
 * attributes.
 */
#ifndef VIGIL_TEST_ELEM_H
#define VIGIL_TEST_ELEM_H

#include <string.h>

#include "vigil/elem.h"

/* Prefix A.B.C.0/LEN of family AFI (for IPv6 the first three bytes). */
static inline struct vg_prefix
test_pfx(unsigned afi, uint8_t a, uint8_t b, uint8_t c, uint8_t len)
{
	struct vg_prefix p;
	memset(&p, 0, sizeof(p));
	p.afi = (uint8_t)afi;
	p.safi = VG_SAFI_UNICAST;
	p.addr[0] = a;
	p.addr[1] = b;
	p.addr[2] = c;
	p.len = len;
	return p;
}

static inline struct vg_prefix
test_pfx4(uint8_t a, uint8_t b, uint8_t c, uint8_t len)
{
	return test_pfx(VG_AFI_IP4, a, b, c, len);
}

struct test_elem {
	struct vg_elem e;
	struct bgp_path path;
	uint32_t asn[8];
	uint8_t seg_type[1];
	uint32_t seg_len[1];
	struct bgp_attrs attrs;
};

/* An element of TYPE at time T for prefix P, in B (no peer set).  RIB
 * entries and announcements carry the AS path ASNS (one AS_SEQUENCE of
 * N <= 8 ASNs) and attributes of a new generation, so nothing takes them
 * for the previous element's. */
static inline const struct vg_elem *
test_elem(struct test_elem *b, enum vg_elem_type type, uint32_t t,
          struct vg_prefix p, const uint32_t *asns, unsigned n)
{
	memset(b, 0, sizeof(*b));
	b->e.type = (uint8_t)type;
	b->e.time_sec = t;
	b->e.prefix = p;
	if (type == VG_ELEM_RIB || type == VG_ELEM_ANNOUNCE) {
		if (n > 8)
			n = 8;
		memcpy(b->asn, asns, n * sizeof(uint32_t));
		b->seg_type[0] = BGP_AS_SEQUENCE;
		b->seg_len[0] = n;
		b->path.asn = b->asn;
		b->path.seg_type = b->seg_type;
		b->path.seg_len = b->seg_len;
		b->path.nasn = n;
		b->path.nseg = n ? 1 : 0;
		b->e.path = &b->path;
		b->e.attrs = &b->attrs;
		b->e.attrs_gen = vg_attrs_gen_next();
	}
	return &b->e;
}

#endif
