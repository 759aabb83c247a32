/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * BGP message encoders: UPDATE (RFC 4271 4.3) with path attributes in
 * type-code order, IPv6 and other non-IPv4-unicast NLRI in MP_REACH_NLRI /
 * MP_UNREACH_NLRI (RFC 4760), 4-byte AS_PATH (RFC 6793) or the 2-byte form
 * with AS4_PATH, optional path ids (RFC 7911); the MRT RIB form of the
 * attribute block (RFC 6396 4.3.4); OPEN, KEEPALIVE, NOTIFICATION and
 * ROUTE-REFRESH.  Everything is written into caller buffers through one
 * bounds-checked writer that can also just count (a NULL buffer), so sizes
 * are computed by running the same code that writes.
 */
#include <string.h>

#include "vigil/bgp.h"

/* ---- the writer -------------------------------------------------------- */

/* A write window; p == NULL only counts.  A write that does not fit sets
 * err and writes nothing. */
struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void
w_init(struct wbuf *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->len = 0;
	w->cap = p ? cap : SIZE_MAX;
	w->err = 0;
}

static int
w_room(struct wbuf *w, size_t n)
{
	if (w->err || w->cap - w->len < n) {
		w->err = 1;
		return 0;
	}
	return 1;
}

static void
w_bytes(struct wbuf *w, const void *src, size_t n)
{
	if (!w_room(w, n))
		return;
	if (w->p && n)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void
w_u8(struct wbuf *w, uint8_t v)
{
	w_bytes(w, &v, 1);
}

static void
w_u16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2];
	vg_store_be16(b, v);
	w_bytes(w, b, 2);
}

static void
w_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4];
	vg_store_be32(b, v);
	w_bytes(w, b, 4);
}

/* Patch a 16-bit length written earlier at OFF. */
static void
w_patch16(struct wbuf *w, size_t off, uint16_t v)
{
	if (w->p && !w->err)
		vg_store_be16(w->p + off, v);
}

/* Attribute header; the extended-length flag is chosen from LEN. */
static void
w_attr_hdr(struct wbuf *w, uint8_t flags, uint8_t type, size_t len)
{
	if (len > 0xffff) {
		w->err = 1;
		return;
	}
	if (len > 255) {
		w_u8(w, flags | BGP_ATTR_FLAG_EXTLEN);
		w_u8(w, type);
		w_u16(w, (uint16_t)len);
	} else {
		w_u8(w, flags & (uint8_t)~BGP_ATTR_FLAG_EXTLEN);
		w_u8(w, type);
		w_u8(w, (uint8_t)len);
	}
}

/* Size of an attribute with a VLEN-byte value. */
static size_t
attr_size(size_t vlen)
{
	return vlen + (vlen > 255 ? 4 : 3);
}

/* ---- NLRI -------------------------------------------------------------- */

size_t
bgp_nlri_entry_len(const struct vg_prefix *p, int addpath)
{
	return (addpath ? 4u : 0u) + 1u + (p->len + 7u) / 8u;
}

static void
w_nlri(struct wbuf *w, const struct vg_prefix *p, int addpath, uint32_t id)
{
	unsigned nb = (p->len + 7u) / 8u;
	uint8_t last;

	if (addpath)
		w_u32(w, id);
	w_u8(w, p->len);
	if (nb == 0)
		return;
	w_bytes(w, p->addr, nb - 1);
	/* RFC 4271 4.3: trailing bits are irrelevant; send them as zero. */
	last = p->addr[nb - 1];
	if (p->len % 8)
		last &= (uint8_t)(0xff00u >> (p->len % 8));
	w_u8(w, last);
}

static int
is_classic(const struct vg_prefix *p)
{
	return p->afi == VG_AFI_IP4 && p->safi == VG_SAFI_UNICAST;
}

static int
prefix_ok(const struct vg_prefix *p)
{
	if (p->afi == VG_AFI_IP4)
		return p->len <= 32;
	if (p->afi == VG_AFI_IP6)
		return p->len <= 128;
	return 0;
}

/* ---- AS_PATH ----------------------------------------------------------- */

static int
is_set(uint8_t t)
{
	return t == BGP_AS_SET || t == BGP_AS_CONFED_SET;
}

/* Write the segments of P with W-byte ASNs (2-byte: AS_TRANS for ASNs
 * that need 4); SKIP_CONFED drops confederation segments (AS4_PATH,
 * RFC 6793 6).  A sequence longer than 255 becomes several segments. */
static void
w_path(struct wbuf *w, const struct bgp_path *p, unsigned width,
       int skip_confed)
{
	uint32_t k = 0;

	if (p == NULL)
		return;
	for (uint32_t s = 0; s < p->nseg; s++) {
		uint8_t t = p->seg_type[s];
		uint32_t n = p->seg_len[s];
		const uint32_t *a = p->asn + k;

		k += n;
		if (skip_confed &&
		    (t == BGP_AS_CONFED_SEQUENCE || t == BGP_AS_CONFED_SET))
			continue;
		if (is_set(t) && n > 255) {
			w->err = 1;
			return;
		}
		while (n > 0) {
			uint32_t c = n > 255 ? 255 : n;
			w_u8(w, t);
			w_u8(w, (uint8_t)c);
			for (uint32_t i = 0; i < c; i++) {
				if (width == 4)
					w_u32(w, a[i]);
				else
					w_u16(w, a[i] > 0xffff
					             ? BGP_AS_TRANS
					             : (uint16_t)a[i]);
			}
			a += c;
			n -= c;
		}
	}
}

static size_t
path_len(const struct bgp_path *p, unsigned width, int skip_confed, int *bad)
{
	struct wbuf w;
	w_init(&w, NULL, 0);
	w_path(&w, p, width, skip_confed);
	if (w.err)
		*bad = 1;
	return w.len;
}

static int
path_needs_as4(const struct bgp_path *p)
{
	if (p == NULL)
		return 0;
	for (uint32_t i = 0; i < p->nasn; i++)
		if (p->asn[i] > 0xffff)
			return 1;
	return 0;
}

/* ---- attribute block --------------------------------------------------- */

/* An MP_REACH_NLRI or MP_UNREACH_NLRI to write inside the block. */
struct mp_part {
	int on;
	uint16_t afi;
	uint8_t safi;
	uint8_t nh_len;
	const uint8_t *nh;
	const struct vg_prefix *pfx;
	const uint32_t *ids;
	uint32_t n;   /* prefixes of PFX (classic ones skipped) */
	size_t nlri;  /* bytes of NLRI */
	int addpath;
};

struct raw_item {
	uint8_t type;
	const uint8_t *p; /* whole attribute */
	size_t len;
};

#define RAW_MAX 64

static int
raw_split(const uint8_t *raw, size_t len, struct raw_item *it, unsigned *n)
{
	size_t off = 0;

	*n = 0;
	while (off < len) {
		size_t h, vl;
		if (len - off < 3)
			return -1;
		if (raw[off] & BGP_ATTR_FLAG_EXTLEN) {
			if (len - off < 4)
				return -1;
			h = 4;
			vl = vg_load_be16(raw + off + 2);
		} else {
			h = 3;
			vl = raw[off + 2];
		}
		if (vl > len - off - h || *n >= RAW_MAX)
			return -1;
		/* insertion keeps equal types in their given order */
		unsigned j = *n;
		while (j > 0 && it[j - 1].type > raw[off + 1]) {
			it[j] = it[j - 1];
			j--;
		}
		it[j].type = raw[off + 1];
		it[j].p = raw + off;
		it[j].len = h + vl;
		(*n)++;
		off += h + vl;
	}
	return 0;
}

/* Write every raw item with a type below LIMIT not written yet. */
static void
w_raw_upto(struct wbuf *w, const struct raw_item *it, unsigned n, unsigned *i,
           unsigned limit)
{
	while (*i < n && it[*i].type < limit) {
		w_bytes(w, it[*i].p, it[*i].len);
		(*i)++;
	}
}

static void
w_mp_nlri(struct wbuf *w, const struct mp_part *m)
{
	uint32_t done = 0;
	for (uint32_t i = 0; done < m->n; i++) {
		if (is_classic(&m->pfx[i]))
			continue;
		w_nlri(w, &m->pfx[i], m->addpath, m->ids ? m->ids[i] : 0);
		done++;
	}
}

static void
w_mp_reach(struct wbuf *w, const struct mp_part *m)
{
	size_t vlen = 2 + 1 + 1 + m->nh_len + 1 + m->nlri;
	w_attr_hdr(w, BGP_ATTR_FLAG_OPTIONAL, BGP_ATTR_MP_REACH_NLRI, vlen);
	w_u16(w, m->afi);
	w_u8(w, m->safi);
	w_u8(w, m->nh_len);
	w_bytes(w, m->nh, m->nh_len);
	w_u8(w, 0); /* reserved (RFC 4760 3) */
	w_mp_nlri(w, m);
}

static void
w_mp_unreach(struct wbuf *w, const struct mp_part *m)
{
	w_attr_hdr(w, BGP_ATTR_FLAG_OPTIONAL, BGP_ATTR_MP_UNREACH_NLRI,
	           3 + m->nlri);
	w_u16(w, m->afi);
	w_u8(w, m->safi);
	w_mp_nlri(w, m);
}

/*
 * The attribute block.  With A NULL only MP_UNREACH is written (a
 * withdraw-only UPDATE).  REACH/UNREACH may be NULL.
 */
static int
w_attrs(struct wbuf *w, const struct bgp_attr_set *a, unsigned flags,
        const struct mp_part *reach, const struct mp_part *unreach)
{
	struct raw_item it[RAW_MAX];
	unsigned nraw = 0, ri = 0;
	int as2 = (flags & BGP_ENC_AS2) != 0, bad = 0;
	const uint8_t OPT_T = BGP_ATTR_FLAG_OPTIONAL | BGP_ATTR_FLAG_TRANSITIVE;

	if (a == NULL) {
		if (unreach && unreach->on)
			w_mp_unreach(w, unreach);
		return 0;
	}
	if (a->raw_len && raw_split(a->raw, a->raw_len, it, &nraw) < 0)
		return -1;

	w_raw_upto(w, it, nraw, &ri, BGP_ATTR_ORIGIN);
	w_attr_hdr(w, BGP_ATTR_FLAG_TRANSITIVE, BGP_ATTR_ORIGIN, 1);
	w_u8(w, a->origin);

	w_raw_upto(w, it, nraw, &ri, BGP_ATTR_AS_PATH);
	w_attr_hdr(w, BGP_ATTR_FLAG_TRANSITIVE, BGP_ATTR_AS_PATH,
	           path_len(a->path, as2 ? 2 : 4, 0, &bad));
	w_path(w, a->path, as2 ? 2 : 4, 0);
	if (bad)
		return -1;

	w_raw_upto(w, it, nraw, &ri, BGP_ATTR_NEXT_HOP);
	if (a->has & BGP_SET_NEXTHOP4) {
		w_attr_hdr(w, BGP_ATTR_FLAG_TRANSITIVE, BGP_ATTR_NEXT_HOP, 4);
		w_bytes(w, a->nexthop4, 4);
	}
	w_raw_upto(w, it, nraw, &ri, BGP_ATTR_MED);
	if (a->has & BGP_SET_MED) {
		w_attr_hdr(w, BGP_ATTR_FLAG_OPTIONAL, BGP_ATTR_MED, 4);
		w_u32(w, a->med);
	}
	w_raw_upto(w, it, nraw, &ri, BGP_ATTR_LOCAL_PREF);
	if (a->has & BGP_SET_LOCAL_PREF) {
		w_attr_hdr(w, BGP_ATTR_FLAG_TRANSITIVE, BGP_ATTR_LOCAL_PREF, 4);
		w_u32(w, a->local_pref);
	}
	w_raw_upto(w, it, nraw, &ri, BGP_ATTR_ATOMIC_AGGREGATE);
	if (a->has & BGP_SET_ATOMIC_AGGREGATE)
		w_attr_hdr(w, BGP_ATTR_FLAG_TRANSITIVE,
		           BGP_ATTR_ATOMIC_AGGREGATE, 0);
	w_raw_upto(w, it, nraw, &ri, BGP_ATTR_AGGREGATOR);
	if (a->has & BGP_SET_AGGREGATOR) {
		w_attr_hdr(w, OPT_T, BGP_ATTR_AGGREGATOR, as2 ? 6 : 8);
		if (as2)
			w_u16(w, a->aggregator_as > 0xffff
			             ? BGP_AS_TRANS
			             : (uint16_t)a->aggregator_as);
		else
			w_u32(w, a->aggregator_as);
		w_bytes(w, a->aggregator_addr, 4);
	}
	w_raw_upto(w, it, nraw, &ri, BGP_ATTR_COMMUNITIES);
	if (a->n_communities) {
		w_attr_hdr(w, OPT_T, BGP_ATTR_COMMUNITIES,
		           4 * (size_t)a->n_communities);
		for (uint32_t i = 0; i < a->n_communities; i++)
			w_u32(w, a->communities[i]);
	}
	w_raw_upto(w, it, nraw, &ri, BGP_ATTR_MP_REACH_NLRI);
	if (reach && reach->on)
		w_mp_reach(w, reach);
	else if (flags & BGP_ENC_MRT_MP) {
		/* RFC 6396 4.3.4: only the next-hop length and next hop. */
		if (!(a->has & BGP_SET_NEXTHOP6) ||
		    (a->nexthop6_len != 16 && a->nexthop6_len != 32))
			return -1;
		w_attr_hdr(w, BGP_ATTR_FLAG_OPTIONAL, BGP_ATTR_MP_REACH_NLRI,
		           1u + a->nexthop6_len);
		w_u8(w, a->nexthop6_len);
		w_bytes(w, a->nexthop6, a->nexthop6_len);
	}
	w_raw_upto(w, it, nraw, &ri, BGP_ATTR_MP_UNREACH_NLRI);
	if (unreach && unreach->on)
		w_mp_unreach(w, unreach);
	w_raw_upto(w, it, nraw, &ri, BGP_ATTR_AS4_PATH);
	/* RFC 6793 4.2.2: a 2-byte speaker carries the real path in
	 * AS4_PATH when it has ASNs that do not fit. */
	if (as2 && path_needs_as4(a->path)) {
		w_attr_hdr(w, OPT_T, BGP_ATTR_AS4_PATH,
		           path_len(a->path, 4, 1, &bad));
		w_path(w, a->path, 4, 1);
	}
	w_raw_upto(w, it, nraw, &ri, BGP_ATTR_AS4_AGGREGATOR);
	if (as2 && (a->has & BGP_SET_AGGREGATOR) && a->aggregator_as > 0xffff) {
		w_attr_hdr(w, OPT_T, BGP_ATTR_AS4_AGGREGATOR, 8);
		w_u32(w, a->aggregator_as);
		w_bytes(w, a->aggregator_addr, 4);
	}
	w_raw_upto(w, it, nraw, &ri, BGP_ATTR_LARGE_COMMUNITIES);
	if (a->n_large) {
		w_attr_hdr(w, OPT_T, BGP_ATTR_LARGE_COMMUNITIES,
		           12 * (size_t)a->n_large);
		for (uint32_t i = 0; i < 3 * a->n_large; i++)
			w_u32(w, a->large_communities[i]);
	}
	w_raw_upto(w, it, nraw, &ri, 256);
	return bad ? -1 : 0;
}

int
bgp_attrs_encode(uint8_t *buf, size_t cap, const struct bgp_attr_set *a,
                 unsigned flags)
{
	struct wbuf w;

	w_init(&w, buf, cap);
	if (w_attrs(&w, a, flags, NULL, NULL) < 0 || w.err || w.len > INT32_MAX)
		return -1;
	return (int)w.len;
}

int
bgp_attr_put(uint8_t *buf, size_t cap, uint8_t flags, uint8_t type,
             const void *val, size_t len)
{
	struct wbuf w;

	w_init(&w, buf, cap);
	w_attr_hdr(&w, flags, type, len);
	w_bytes(&w, val, len);
	return w.err ? -1 : (int)w.len;
}

/* ---- messages ---------------------------------------------------------- */

void
bgp_header_put(uint8_t *buf, uint8_t type, uint16_t len)
{
	memset(buf, 0xff, 16);
	vg_store_be16(buf + 16, len);
	buf[18] = type;
}

/* Start a message: the header is patched by w_end(). */
static void
w_begin(struct wbuf *w, uint8_t *buf, size_t cap)
{
	w_init(w, buf, cap > BGP_MAX_EXT_MSG_LEN ? BGP_MAX_EXT_MSG_LEN : cap);
	if (buf == NULL)
		w->err = 1;
	else if (w_room(w, BGP_HEADER_LEN))
		w->len = BGP_HEADER_LEN;
}

static int
w_end(struct wbuf *w, uint8_t type)
{
	if (w->err || w->p == NULL)
		return -1;
	bgp_header_put(w->p, type, (uint16_t)w->len);
	return (int)w->len;
}

/* Next-hop for the MP_REACH of AFI/SAFI from A; 0, or -1 if none. */
static int
mp_nexthop(const struct bgp_attr_set *a, unsigned afi, struct mp_part *m)
{
	if (afi == VG_AFI_IP6) {
		if (!(a->has & BGP_SET_NEXTHOP6) ||
		    (a->nexthop6_len != 16 && a->nexthop6_len != 32))
			return -1;
		m->nh = a->nexthop6;
		m->nh_len = a->nexthop6_len;
		return 0;
	}
	if (!(a->has & BGP_SET_NEXTHOP4))
		return -1;
	m->nh = a->nexthop4;
	m->nh_len = 4;
	return 0;
}

int
bgp_update_pack(uint8_t *buf, size_t cap, const struct bgp_update_msg *u,
                uint32_t *n_withdrawn, uint32_t *n_announced)
{
	int addpath = (u->flags & BGP_ENC_ADDPATH) != 0;
	struct mp_part reach = {0}, unreach = {0};
	size_t w4 = 0, base_attrs = 0, total;
	unsigned aflags = u->flags & ~(unsigned)BGP_ENC_MRT_MP;
	uint32_t nw = 0, na = 0;
	struct wbuf w;

	*n_withdrawn = *n_announced = 0;
	if (cap > BGP_MAX_EXT_MSG_LEN)
		cap = BGP_MAX_EXT_MSG_LEN;
	reach.addpath = unreach.addpath = addpath;

	/*
	 * Decide how many prefixes fit by arithmetic on the sizes: header,
	 * withdrawn length, classic withdrawn, attribute length, attributes
	 * (with the MP attributes growing as prefixes are added), NLRI.
	 */
	total = BGP_HEADER_LEN + 2 + 2;
	for (; nw < u->n_withdrawn; nw++) {
		const struct vg_prefix *p = &u->withdrawn[nw];
		size_t e = bgp_nlri_entry_len(p, addpath), t;
		if (!prefix_ok(p))
			return -1;
		if (is_classic(p)) {
			t = total + e;
		} else {
			if (!unreach.on) {
				unreach.afi = p->afi;
				unreach.safi = p->safi;
			} else if (unreach.afi != p->afi ||
			           unreach.safi != p->safi)
				break;
			t = total -
			    (unreach.on ? attr_size(3 + unreach.nlri) : 0) +
			    attr_size(3 + unreach.nlri + e);
		}
		if (t > cap)
			break;
		total = t;
		if (is_classic(p)) {
			w4 += e;
		} else {
			unreach.on = 1;
			unreach.nlri += e;
			unreach.n++;
		}
	}
	if (u->n_announced > 0) {
		int bad = 0;
		if (u->attrs == NULL)
			return -1;
		w_init(&w, NULL, 0);
		if (w_attrs(&w, u->attrs, aflags, NULL, NULL) < 0)
			bad = 1;
		base_attrs = w.len;
		if (bad)
			return -1;
	}
	for (; na < u->n_announced; na++) {
		const struct vg_prefix *p = &u->announced[na];
		size_t e = bgp_nlri_entry_len(p, addpath), t;
		size_t fixed = na == 0 ? base_attrs : 0;
		if (!prefix_ok(p))
			return -1;
		if (is_classic(p)) {
			if (!(u->attrs->has & BGP_SET_NEXTHOP4))
				return -1;
			t = total + fixed + e;
		} else {
			size_t hdr;
			if (!reach.on) {
				if (mp_nexthop(u->attrs, p->afi, &reach) < 0)
					return -1;
				reach.afi = p->afi;
				reach.safi = p->safi;
			} else if (reach.afi != p->afi || reach.safi != p->safi)
				break;
			hdr = 2 + 1 + 1 + reach.nh_len + 1;
			t = total + fixed -
			    (reach.on ? attr_size(hdr + reach.nlri) : 0) +
			    attr_size(hdr + reach.nlri + e);
		}
		if (t > cap)
			break;
		total = t;
		if (!is_classic(p)) {
			reach.on = 1;
			reach.nlri += e;
			reach.n++;
		}
	}
	if (nw == 0 && na == 0 && (u->n_withdrawn || u->n_announced))
		return -1;
	if (total > cap)
		return -1;

	/* Now write it. */
	reach.pfx = u->announced;
	reach.ids = u->announced_path_id;
	unreach.pfx = u->withdrawn;
	unreach.ids = u->withdrawn_path_id;
	w_begin(&w, buf, cap);
	size_t wl_off = w.len;
	w_u16(&w, 0);
	for (uint32_t i = 0; i < nw; i++)
		if (is_classic(&u->withdrawn[i]))
			w_nlri(&w, &u->withdrawn[i], addpath,
			       u->withdrawn_path_id ? u->withdrawn_path_id[i]
			                            : 0);
	w_patch16(&w, wl_off, (uint16_t)w4);
	size_t al_off = w.len;
	w_u16(&w, 0);
	size_t a_start = w.len;
	if (w_attrs(&w, na ? u->attrs : NULL, aflags, &reach, &unreach) < 0)
		return -1;
	w_patch16(&w, al_off, (uint16_t)(w.len - a_start));
	for (uint32_t i = 0; i < na; i++)
		if (is_classic(&u->announced[i]))
			w_nlri(&w, &u->announced[i], addpath,
			       u->announced_path_id ? u->announced_path_id[i]
			                            : 0);
	if (w.err || w.len != total)
		return -1;
	*n_withdrawn = nw;
	*n_announced = na;
	return w_end(&w, BGP_MSG_UPDATE);
}

int
bgp_update_encode(uint8_t *buf, size_t cap, const struct bgp_update_msg *u)
{
	uint32_t nw, na;
	int len = bgp_update_pack(buf, cap, u, &nw, &na);

	if (len < 0 || nw != u->n_withdrawn || na != u->n_announced)
		return -1;
	return len;
}

void
bgp_open_set_asn(struct bgp_open *o, uint32_t asn)
{
	o->my_as = asn > 0xffff ? BGP_AS_TRANS : (uint16_t)asn;
	o->as4 = asn;
}

int
bgp_open_encode(uint8_t *buf, size_t cap, const struct bgp_open *o)
{
	struct wbuf w;
	size_t plen_off, caps_off;

	w_begin(&w, buf, cap);
	w_u8(&w, o->version ? o->version : 4);
	w_u16(&w, o->my_as);
	w_u16(&w, o->hold_time);
	w_bytes(&w, o->bgp_id, 4);
	plen_off = w.len;
	w_u8(&w, 0);      /* optional parameters length */
	w_u8(&w, 2);      /* parameter type: Capabilities (RFC 5492) */
	caps_off = w.len;
	w_u8(&w, 0);      /* parameter length */
	for (unsigned i = 0; i < o->n_mp && i < BGP_OPEN_MAX_AFI; i++) {
		w_u8(&w, 1);
		w_u8(&w, 4);
		w_u16(&w, o->mp[i].afi);
		w_u8(&w, 0);
		w_u8(&w, o->mp[i].safi);
	}
	if (o->route_refresh) {
		w_u8(&w, 2);
		w_u8(&w, 0);
	}
	if (o->ext_msg) {
		w_u8(&w, 6);
		w_u8(&w, 0);
	}
	if (o->gr) {
		w_u8(&w, 64);
		w_u8(&w, 2);
		w_u16(&w, (uint16_t)((o->gr_flags & 0xf) << 12 |
		                     (o->gr_time & 0x0fff)));
	}
	if (o->as4) {
		w_u8(&w, 65);
		w_u8(&w, 4);
		w_u32(&w, o->as4);
	}
	if (o->n_addpath) {
		unsigned n = o->n_addpath < BGP_OPEN_MAX_AFI ? o->n_addpath
		                                             : BGP_OPEN_MAX_AFI;
		w_u8(&w, 69);
		w_u8(&w, (uint8_t)(4 * n));
		for (unsigned i = 0; i < n; i++) {
			w_u16(&w, o->addpath[i].afi);
			w_u8(&w, o->addpath[i].safi);
			w_u8(&w, o->addpath[i].mode);
		}
	}
	if (w.err)
		return -1;
	size_t clen = w.len - caps_off - 1;
	if (clen == 0) {
		/* no capabilities: no parameter at all */
		w.len = plen_off + 1;
	} else {
		if (clen > 253)
			return -1; /* no RFC 9072 extended parameters */
		w.p[caps_off] = (uint8_t)clen;
		w.p[plen_off] = (uint8_t)(clen + 2);
	}
	return w_end(&w, BGP_MSG_OPEN);
}

int
bgp_keepalive_encode(uint8_t *buf, size_t cap)
{
	struct wbuf w;
	w_begin(&w, buf, cap);
	return w_end(&w, BGP_MSG_KEEPALIVE);
}

int
bgp_notification_encode(uint8_t *buf, size_t cap,
                        const struct bgp_notification *n)
{
	struct wbuf w;

	w_begin(&w, buf, cap);
	w_u8(&w, n->code);
	w_u8(&w, n->subcode);
	if (n->data.len) {
		w_bytes(&w, n->data.p, n->data.len);
	} else if (n->code == 6 && (n->subcode == 2 || n->subcode == 4) &&
	           n->shutdown_msg[0]) {
		/* RFC 9003 2: length octet, then UTF-8, at most 255 bytes. */
		size_t l = strnlen(n->shutdown_msg, sizeof(n->shutdown_msg));
		if (l > 255)
			l = 255;
		w_u8(&w, (uint8_t)l);
		w_bytes(&w, n->shutdown_msg, l);
	}
	return w_end(&w, BGP_MSG_NOTIFICATION);
}

int
bgp_route_refresh_encode(uint8_t *buf, size_t cap,
                         const struct bgp_route_refresh *r)
{
	struct wbuf w;

	w_begin(&w, buf, cap);
	w_u16(&w, r->afi);
	w_u8(&w, r->subtype);
	w_u8(&w, r->safi);
	return w_end(&w, BGP_MSG_ROUTE_REFRESH);
}
