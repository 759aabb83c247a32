/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NLRI fields (RFC 4271 4.3, RFC 4760 5, RFC 7911 3): a run of
 * (path id,) length, prefix bytes.  Host bits past the prefix length are
 * cleared (RFC 4271: "the value of trailing bits is irrelevant").
 */
#include <string.h>

#include "vigil/bgp.h"

int
bgp_nlri_next_slow(struct bgp_nlri_iter *it, struct vg_prefix *p, uint32_t *path_id,
              struct vg_diag *d)
{
	uint32_t off = it->base + (it->start_len - (uint32_t)it->c.len);
	unsigned max, nbytes;
	uint8_t plen;
	const uint8_t *src;

	if (it->c.len == 0)
		return 0;
	if ((it->afi != VG_AFI_IP4 && it->afi != VG_AFI_IP6) ||
	    (it->safi != VG_SAFI_UNICAST && it->safi != VG_SAFI_MULTICAST &&
	     it->safi != 3)) {
		vg_diag_add(d, VG_ERR_UNSUPPORTED, VG_ACT_NONE, 0, off,
		            "NLRI of AFI %u SAFI %u not decoded (%zu bytes)",
		            it->afi, it->safi, it->c.len);
		it->c.len = 0;
		return -1;
	}
	*path_id = 0;
	if (it->addpath && vg_cur_get_u32(&it->c, path_id) < 0)
		goto truncated;
	if (vg_cur_get_u8(&it->c, &plen) < 0)
		goto truncated;
	max = it->afi == VG_AFI_IP4 ? 32 : 128;
	if (plen > max) {
		vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_PARTIAL, 0, off,
		            "prefix length %u exceeds %u; rest of the NLRI "
		            "(%zu bytes) ignored",
		            plen, max, it->c.len);
		it->c.len = 0;
		return -1;
	}
	nbytes = (plen + 7u) / 8;
	if (vg_cur_get_ptr(&it->c, nbytes, &src) < 0)
		goto truncated;
	memset(p, 0, sizeof(*p));
	p->afi = (uint8_t)it->afi;
	p->safi = it->safi;
	p->len = plen;
	memcpy(p->addr, src, nbytes);
	if (plen % 8)
		p->addr[nbytes - 1] &= (uint8_t)(0xff00u >> (plen % 8));
	return 1;

truncated:
	vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_PARTIAL, 0, off,
	            "NLRI entry cut short (%zu bytes left)", it->c.len);
	it->c.len = 0;
	return -1;
}
