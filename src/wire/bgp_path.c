/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The effective AS path of a route: AS_PATH, or for a 2-byte-ASN speaker
 * AS_PATH merged with AS4_PATH (RFC 6793 4.2.3), in one flat array of
 * 4-byte ASNs with a segment table, plus its text form.
 */
#include <stdlib.h>
#include <string.h>

#include "vigil/bgp.h"

void
bgp_path_init(struct bgp_path *p)
{
	memset(p, 0, sizeof(*p));
}

void
bgp_path_destroy(struct bgp_path *p)
{
	free(p->asn);
	free(p->seg_type);
	free(p->seg_len);
	memset(p, 0, sizeof(*p));
}

static int
reserve(struct bgp_path *p, uint32_t nasn, uint32_t nseg)
{
	if (nasn > p->cap_asn) {
		uint32_t cap = p->cap_asn ? p->cap_asn : 64;
		uint32_t *n;
		while (cap < nasn)
			cap *= 2;
		if ((n = realloc(p->asn, cap * sizeof(*n))) == NULL)
			return -1;
		p->asn = n;
		p->cap_asn = cap;
	}
	if (nseg > p->cap_seg) {
		uint32_t cap = p->cap_seg ? p->cap_seg : 16;
		uint8_t *t;
		uint32_t *l;
		while (cap < nseg)
			cap *= 2;
		if ((t = realloc(p->seg_type, cap)) == NULL)
			return -1;
		p->seg_type = t;
		if ((l = realloc(p->seg_len, cap * sizeof(*l))) == NULL)
			return -1;
		p->seg_len = l;
		p->cap_seg = cap;
	}
	return 0;
}

/* Append the segments of a (validated) path attribute, at most LIMIT
 * path-length units (a set counts one); a sequence may be cut. */
static int
append(struct bgp_path *p, const uint8_t *b, uint32_t len, unsigned w,
       uint32_t limit)
{
	uint32_t off = 0, used = 0;

	while (off + 2 <= len && used < limit) {
		uint8_t type = b[off];
		uint32_t cnt = b[off + 1];
		const uint8_t *v = b + off + 2;
		uint32_t take = cnt;

		if (off + 2 + cnt * w > len)
			break;
		off += 2 + cnt * w;
		if (type == BGP_AS_SET || type == BGP_AS_CONFED_SET) {
			used++;
		} else {
			if (take > limit - used)
				take = limit - used;
			used += take;
		}
		if ((p->nasn + take > p->cap_asn || p->nseg + 1 > p->cap_seg) &&
		    reserve(p, p->nasn + take, p->nseg + 1) < 0)
			return -1;
		uint32_t *dst = p->asn + p->nasn;
		if (w == 4)
			for (uint32_t i = 0; i < take; i++)
				dst[i] = vg_load_be32(v + 4 * i);
		else
			for (uint32_t i = 0; i < take; i++)
				dst[i] = vg_load_be16(v + 2 * i);
		p->seg_type[p->nseg] = type;
		p->seg_len[p->nseg] = take;
		p->nasn += take;
		p->nseg++;
	}
	return 0;
}

static uint32_t
span_count(const uint8_t *b, uint32_t len, unsigned w)
{
	uint32_t off = 0, n = 0;
	while (off + 2 <= len) {
		uint8_t type = b[off];
		uint32_t cnt = b[off + 1];
		n += (type == BGP_AS_SET || type == BGP_AS_CONFED_SET) ? 1 : cnt;
		off += 2 + cnt * w;
	}
	return n;
}

int
bgp_path_build(struct bgp_path *p, const struct bgp_attrs *a)
{
	p->nasn = 0;
	p->nseg = 0;
	if (!BGP_HAS(a, BGP_ATTR_AS_PATH))
		return 0;
	/*
	 * RFC 6793 4.2.3: only a 2-byte speaker's AS4_PATH counts, and it is
	 * ignored when an AGGREGATOR carries a real (non-AS_TRANS) ASN or when
	 * it is longer than AS_PATH.  Otherwise keep the leading
	 * count(AS_PATH) - count(AS4_PATH) units of AS_PATH and append
	 * AS4_PATH.
	 */
	if (a->asn_size == 2 && BGP_HAS(a, BGP_ATTR_AS4_PATH) &&
	    !(BGP_HAS(a, BGP_ATTR_AGGREGATOR) &&
	      a->aggregator_as != BGP_AS_TRANS)) {
		uint32_t n2 = span_count(a->as_path.p, a->as_path.len, 2);
		uint32_t n4 = span_count(a->as4_path.p, a->as4_path.len, 4);
		if (n2 >= n4) {
			if (append(p, a->as_path.p, a->as_path.len, 2, n2 - n4) < 0)
				return -1;
			return append(p, a->as4_path.p, a->as4_path.len, 4,
			              UINT32_MAX);
		}
	}
	return append(p, a->as_path.p, a->as_path.len, a->asn_size, UINT32_MAX);
}

uint32_t
bgp_path_count(const struct bgp_path *p)
{
	uint32_t n = 0;
	for (uint32_t s = 0; s < p->nseg; s++)
		n += (p->seg_type[s] == BGP_AS_SET ||
		      p->seg_type[s] == BGP_AS_CONFED_SET)
		         ? 1
		         : p->seg_len[s];
	return n;
}

uint32_t
bgp_path_origin(const struct bgp_path *p)
{
	if (p->nseg == 0 || p->nasn == 0)
		return 0;
	if (p->seg_type[p->nseg - 1] != BGP_AS_SEQUENCE)
		return 0;
	return p->asn[p->nasn - 1];
}

size_t
bgp_path_fmt(const struct bgp_path *p, char *buf, size_t cap)
{
	size_t n = 0;
	uint32_t k = 0;
	char tmp[12];

#define PUT(ch)                                                             \
	do {                                                                \
		if (n + 1 < cap)                                            \
			buf[n] = (ch);                                      \
		n++;                                                        \
	} while (0)

	for (uint32_t s = 0; s < p->nseg; s++) {
		uint8_t t = p->seg_type[s];
		char open = 0, close = 0, sep = ' ';
		if (t == BGP_AS_SET) {
			open = '{';
			close = '}';
			sep = ',';
		} else if (t == BGP_AS_CONFED_SEQUENCE) {
			open = '(';
			close = ')';
		} else if (t == BGP_AS_CONFED_SET) {
			open = '[';
			close = ']';
			sep = ',';
		}
		if (s > 0)
			PUT(' ');
		if (open)
			PUT(open);
		for (uint32_t i = 0; i < p->seg_len[s]; i++, k++) {
			size_t l = vg_u32_fmt(tmp, p->asn[k]);
			if (i > 0)
				PUT(sep);
			for (size_t j = 0; j < l; j++)
				PUT(tmp[j]);
		}
		if (close)
			PUT(close);
	}
#undef PUT
	if (cap > 0)
		buf[n < cap ? n : cap - 1] = '\0';
	return n;
}
