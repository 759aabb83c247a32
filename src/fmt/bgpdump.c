/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bgpdump's one-line output (`bgpdump -m`), byte for byte, including its
 * conventions for absent attributes (next hop 255.255.255.255, origin
 * INCOMPLETE, MED/LOCAL_PREF 0).  The per-UPDATE parts of a line are
 * formatted once and reused for every prefix of that UPDATE: that, and no
 * stdio, is where the speed comes from.
 */
#include <stdlib.h>
#include <string.h>

#include "vigil/fmt.h"
#include "vigil/mrt.h"

/*
 * A direct-mapped cache of formatted texts keyed by the attribute bytes
 * they were made from.  A miss costs one hash and one compare; a hit saves
 * formatting every ASN or community again.
 */
#define TC_SLOTS 4096
#define TC_KEY 160
#define TC_VAL 480

struct fmt_text_slot {
	uint64_t hash;
	uint16_t klen, vlen;
	uint8_t key[TC_KEY];
	char val[TC_VAL];
};

static uint64_t
tc_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

/* The cached text for KEY, or NULL (and *SLOT where to store it). */
static const struct fmt_text_slot *
tc_get(struct fmt_bgpdump *f, const uint8_t *key, size_t klen,
       struct fmt_text_slot **slot)
{
	uint64_t h;
	struct fmt_text_slot *s;

	*slot = NULL;
	if (klen > TC_KEY)
		return NULL;
	if (f->cache == NULL && (f->cache = calloc(TC_SLOTS, sizeof(*s))) == NULL)
		return NULL;
	h = tc_hash(key, klen);
	s = &f->cache[h % TC_SLOTS];
	if (s->vlen && s->hash == h && s->klen == klen &&
	    memcmp(s->key, key, klen) == 0)
		return s;
	*slot = s;
	s->hash = h;
	return NULL;
}

static void
tc_put(struct fmt_text_slot *s, const uint8_t *key, size_t klen,
       const char *val, size_t vlen)
{
	if (s == NULL || vlen > TC_VAL || vlen == 0) {
		if (s)
			s->vlen = 0;
		return;
	}
	memcpy(s->key, key, klen);
	s->klen = (uint16_t)klen;
	memcpy(s->val, val, vlen);
	s->vlen = (uint16_t)vlen;
}

void
fmt_bgpdump_init(struct fmt_bgpdump *f)
{
	memset(f, 0, sizeof(*f));
}

void
fmt_bgpdump_destroy(struct fmt_bgpdump *f)
{
	free(f->pre);
	free(f->post);
	free(f->cache);
	memset(f, 0, sizeof(*f));
}

/* A growable string used for the cached parts. */
struct sbuf {
	char **p;
	size_t *len, *cap;
};

static int
sb_grow(struct sbuf *s, size_t n)
{
	size_t nc = *s->cap ? *s->cap * 2 : 256;
	while (nc - *s->len < n)
		nc *= 2;
	char *np = realloc(*s->p, nc);
	if (np == NULL)
		return -1;
	*s->p = np;
	*s->cap = nc;
	return 0;
}

static inline int
sb_reserve(struct sbuf *s, size_t n)
{
	if (*s->cap - *s->len >= n)
		return 0;
	return sb_grow(s, n);
}

static inline void
sb_put(struct sbuf *s, const char *p, size_t n)
{
	if (sb_reserve(s, n) < 0)
		return;
	memcpy(*s->p + *s->len, p, n);
	*s->len += n;
}

static void
sb_puts(struct sbuf *s, const char *p)
{
	sb_put(s, p, strlen(p));
}

static void
sb_u32(struct sbuf *s, uint32_t v)
{
	char tmp[12];
	sb_put(s, tmp, vg_u32_fmt(tmp, v));
}

static const char *
origin_name(const struct bgp_attrs *a)
{
	if (!BGP_HAS(a, BGP_ATTR_ORIGIN))
		return "INCOMPLETE";
	return a->origin == 0 ? "IGP" : a->origin == 1 ? "EGP" : "INCOMPLETE";
}

/* Key for the "path|origin|" text: everything the effective path and
 * the origin depend on. */
static size_t
pre_key(const struct bgp_attrs *a, uint8_t *k, size_t cap)
{
	size_t n = 0, need = 8 + a->as_path.len + a->as4_path.len;
	if (need > cap)
		return 0;
	k[n++] = a->asn_size;
	k[n++] = BGP_HAS(a, BGP_ATTR_ORIGIN) ? a->origin : 0xff;
	k[n++] = BGP_HAS(a, BGP_ATTR_AS_PATH) ? 1 : 0;
	memcpy(k + n, a->as_path.p ? a->as_path.p : (const uint8_t *)"", a->as_path.len);
	n += a->as_path.len;
	if (a->asn_size == 2 && BGP_HAS(a, BGP_ATTR_AS4_PATH)) {
		k[n++] = BGP_HAS(a, BGP_ATTR_AGGREGATOR) ? 1 : 0;
		vg_store_be32(k + n, a->aggregator_as);
		n += 4;
		memcpy(k + n, a->as4_path.p, a->as4_path.len);
		n += a->as4_path.len;
	}
	return n;
}

/* Key for the "|lp|med|comm|AG|aggr|" text. */
static size_t
post_key(const struct fmt_bgpdump *f, const struct bgp_attrs *a, uint8_t *k,
         size_t cap)
{
	size_t n = 0;
	size_t lc = f->show_large ? a->large_communities.len : 0;
	if (30 + a->communities.len + lc > cap)
		return 0;
	k[n++] = (uint8_t)(BGP_HAS(a, BGP_ATTR_LOCAL_PREF) |
	                   BGP_HAS(a, BGP_ATTR_MED) << 1 |
	                   BGP_HAS(a, BGP_ATTR_ATOMIC_AGGREGATE) << 2 |
	                   BGP_HAS(a, BGP_ATTR_AGGREGATOR) << 3 |
	                   BGP_HAS(a, BGP_ATTR_AS4_AGGREGATOR) << 4 |
	                   (a->asn_size == 2) << 5 | (f->show_large != 0) << 6);
	vg_store_be32(k + n, a->local_pref);
	vg_store_be32(k + n + 4, a->med);
	vg_store_be32(k + n + 8, a->aggregator_as);
	memcpy(k + n + 12, a->aggregator_addr, 4);
	vg_store_be32(k + n + 16, a->as4_aggregator_as);
	memcpy(k + n + 20, a->as4_aggregator_addr, 4);
	n += 24;
	vg_store_be16(k + n, (uint16_t)a->communities.len);
	n += 2;
	if (a->communities.len)
		memcpy(k + n, a->communities.p, a->communities.len);
	n += a->communities.len;
	if (lc)
		memcpy(k + n, a->large_communities.p, lc);
	return n + lc;
}

static void
build_parts(struct fmt_bgpdump *f, const struct vg_elem *e)
{
	const struct bgp_attrs *a = e->attrs;
	struct sbuf pre = {&f->pre, &f->pre_len, &f->pre_cap};
	struct sbuf post = {&f->post, &f->post_len, &f->post_cap};
	char tmp[VG_ADDR_STRLEN];
	uint8_t key[TC_KEY];
	size_t klen;
	const struct fmt_text_slot *hit;
	struct fmt_text_slot *slot;

	f->pre_len = f->post_len = 0;
	klen = pre_key(a, key, sizeof(key));
	if (klen && (hit = tc_get(f, key, klen, &slot)) != NULL) {
		sb_put(&pre, hit->val, hit->vlen);
	} else {
		if (e->path && e->path->nseg > 0) {
			/* 10 digits and a separator per ASN, two brackets
			 * and a space per segment: one pass, no measuring */
			size_t cap = 11u * e->path->nasn + 3u * e->path->nseg + 1;
			if (sb_reserve(&pre, cap) == 0)
				f->pre_len += bgp_path_fmt(e->path,
				                           f->pre + f->pre_len, cap);
		}
		sb_put(&pre, "|", 1);
		sb_puts(&pre, origin_name(a));
		sb_put(&pre, "|", 1);
		if (klen)
			tc_put(slot, key, klen, f->pre, f->pre_len);
	}

	klen = post_key(f, a, key, sizeof(key));
	if (klen && (hit = tc_get(f, key, klen, &slot)) != NULL) {
		sb_put(&post, hit->val, hit->vlen);
		return;
	}
	sb_put(&post, "|", 1);
	sb_u32(&post, BGP_HAS(a, BGP_ATTR_LOCAL_PREF) ? a->local_pref : 0);
	sb_put(&post, "|", 1);
	sb_u32(&post, BGP_HAS(a, BGP_ATTR_MED) ? a->med : 0);
	sb_put(&post, "|", 1);
	if (BGP_HAS(a, BGP_ATTR_COMMUNITIES)) {
		for (uint32_t i = 0; i + 4 <= a->communities.len; i += 4) {
			uint32_t c = vg_load_be32(a->communities.p + i);
			if (i)
				sb_put(&post, " ", 1);
			if (c == BGP_COMM_NO_EXPORT)
				sb_puts(&post, "no-export");
			else if (c == BGP_COMM_NO_ADVERTISE)
				sb_puts(&post, "no-advertise");
			else if (c == BGP_COMM_NO_EXPORT_SUBCONFED)
				sb_puts(&post, "local-AS");
			else {
				sb_u32(&post, c >> 16);
				sb_put(&post, ":", 1);
				sb_u32(&post, c & 0xffff);
			}
		}
	}
	sb_put(&post, "|", 1);
	if (f->show_large) {
		if (BGP_HAS(a, BGP_ATTR_LARGE_COMMUNITIES)) {
			for (uint32_t i = 0; i + 12 <= a->large_communities.len;
			     i += 12) {
				const uint8_t *q = a->large_communities.p + i;
				if (i)
					sb_put(&post, " ", 1);
				sb_u32(&post, vg_load_be32(q));
				sb_put(&post, ":", 1);
				sb_u32(&post, vg_load_be32(q + 4));
				sb_put(&post, ":", 1);
				sb_u32(&post, vg_load_be32(q + 8));
			}
		}
		sb_put(&post, "|", 1);
	}
	sb_puts(&post, BGP_HAS(a, BGP_ATTR_ATOMIC_AGGREGATE) ? "AG|" : "NAG|");
	if (BGP_HAS(a, BGP_ATTR_AGGREGATOR)) {
		uint32_t as = a->aggregator_as;
		const uint8_t *ip = a->aggregator_addr;
		/* RFC 6793 4.2.3: a 2-byte speaker's AS_TRANS aggregator is
		 * replaced by AS4_AGGREGATOR. */
		if (a->asn_size == 2 && as == BGP_AS_TRANS &&
		    BGP_HAS(a, BGP_ATTR_AS4_AGGREGATOR)) {
			as = a->as4_aggregator_as;
			ip = a->as4_aggregator_addr;
		}
		sb_u32(&post, as);
		sb_put(&post, " ", 1);
		sb_put(&post, tmp, vg_ip4_fmt(tmp, ip));
	}
	sb_put(&post, "|\n", 2);
	if (klen)
		tc_put(slot, key, klen, f->post, f->post_len);
}

static void
put_time(struct vg_obuf *o, const struct vg_elem *e, int et)
{
	/* consecutive records mostly share their second */
	static _Thread_local uint32_t last = UINT32_MAX;
	static _Thread_local char txt[12] = "4294967295"; /* = last */
	static _Thread_local size_t len = 10;
	if (e->time_sec != last) {
		last = e->time_sec;
		len = vg_u32_fmt(txt, last);
	}
	vg_obuf_put(o, txt, len);
	if (et) {
		char us[8];
		uint32_t v = e->time_usec;
		us[0] = '.';
		for (int i = 6; i >= 1; i--) {
			us[i] = (char)('0' + v % 10);
			v /= 10;
		}
		vg_obuf_put(o, us, 7);
	}
}

/*
 * IPv6 text as bgpdump writes it (its own fmt_ipv6, not inet_ntop): the
 * first longest run of zero groups becomes "::" even when it is a single
 * group (RFC 5952 4.2.2 says it should not), and IPv4-mapped/-compatible
 * addresses end in a dotted quad.
 */
static size_t
ip6_fmt_bgpdump(char *buf, const uint8_t a[16])
{
	static const char hx[] = "0123456789abcdef";
	unsigned w[8];
	int best = -1, best_len = 0, run = 0;
	size_t n = 0;
	int head_zero = 1;

	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i < 6; i++)
		if (w[i] != 0 && !(i == 5 && w[i] == 0xffff))
			head_zero = 0;
	if (head_zero && w[4] == 0) {
		uint32_t v4 = (uint32_t)w[6] << 16 | w[7];
		if (w[5] == 0xffff || v4 > 1) {
			buf[n++] = ':';
			buf[n++] = ':';
			if (w[5] == 0xffff) {
				memcpy(buf + n, "ffff:", 5);
				n += 5;
			}
			return n + vg_ip4_fmt(buf + n, a + 12);
		}
	}
	/* zero runs counted from the right, as bgpdump does */
	int zr[8];
	for (int i = 7; i >= 0; i--) {
		run = w[i] == 0 ? run + 1 : 0;
		zr[i] = run;
	}
	for (int i = 0; i < 8; i++)
		if (zr[i] > best_len) {
			best = i;
			best_len = zr[i];
		}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			if (i == 0)
				buf[n++] = ':';
			buf[n++] = ':';
			i += best_len - 1;
			continue;
		}
		int started = 0;
		for (int sh = 12; sh >= 0; sh -= 4) {
			unsigned d = (w[i] >> sh) & 15;
			if (d || started || sh == 0) {
				buf[n++] = hx[d];
				started = 1;
			}
		}
		if (i != 7)
			buf[n++] = ':';
	}
	return n;
}

static void
put_addr(struct vg_obuf *o, const struct vg_addr *a)
{
	if (vg_obuf_reserve(o, VG_ADDR_STRLEN) < 0)
		return;
	if (a->afi == VG_AFI_IP6)
		o->len += ip6_fmt_bgpdump(o->buf + o->len, a->addr);
	else
		o->len += vg_ip4_fmt(o->buf + o->len, a->addr);
}

static void
put_prefix(struct vg_obuf *o, const struct vg_prefix *p)
{
	if (vg_obuf_reserve(o, VG_PREFIX_STRLEN) < 0)
		return;
	if (p->afi == VG_AFI_IP6)
		o->len += ip6_fmt_bgpdump(o->buf + o->len, p->addr);
	else
		o->len += vg_ip4_fmt(o->buf + o->len, p->addr);
	o->buf[o->len++] = '/';
	o->len += vg_u32_fmt(o->buf + o->len, p->len);
}

/* bgpdump's name for the line's source record. */
static const char *
line_type(const struct mrt_record *rec, const struct vg_elem *e)
{
	if (e->flags & VG_ELEM_F_BMP)
		return "BMP";
	switch (rec->type) {
	case MRT_TABLE_DUMP:
		return "TABLE_DUMP";
	case MRT_TABLE_DUMP_V2:
		return mrt_subtype_is_addpath(rec->type, rec->subtype)
		           ? "TABLE_DUMP2_AP"
		           : "TABLE_DUMP2";
	case MRT_BGP:
		return "BGP";
	case MRT_BGP4MP:
	case MRT_BGP4MP_ET: {
		int et = rec->type == MRT_BGP4MP_ET;
		/* bgpdump counts only MESSAGE_LOCAL and MESSAGE_AS4_LOCAL as
		 * sent messages; its ADD-PATH LOCAL subtypes print as _AP. */
		int local = rec->subtype == MRT_BGP4MP_MESSAGE_LOCAL ||
		            rec->subtype == MRT_BGP4MP_MESSAGE_AS4_LOCAL;
		int ap = mrt_subtype_is_addpath(rec->type, rec->subtype);
		if (e->type == VG_ELEM_STATE)
			return et ? "BGP4MP_ET" : "BGP4MP";
		if (rec->subtype == MRT_BGP4MP_ENTRY)
			return "BGP4MP_ENTRY";
		if (et)
			return local ? (ap ? "BGP4MP_ET_LOCAL_AP" : "BGP4MP_ET_LOCAL")
			             : (ap ? "BGP4MP_ET_AP" : "BGP4MP_ET");
		return local ? (ap ? "BGP4MP_LOCAL_AP" : "BGP4MP_LOCAL")
		             : (ap ? "BGP4MP_AP" : "BGP4MP");
	}
	}
	return "UNKNOWN";
}

/* "TYPE|time|X|" for E, cached while the record and type stay the same. */
static void
put_head(struct fmt_bgpdump *f, struct vg_obuf *o, const struct vg_elem *e,
         const struct mrt_record *rec)
{
	if (f->head_rec != rec || f->head_index != rec->index ||
	    f->head_etype != e->type) {
		struct vg_obuf h = {f->head, 0, sizeof(f->head), -1, 0};
		int et = rec->type == MRT_BGP4MP_ET;
		const char *t = line_type(rec, e);
		memcpy(h.buf, t, strlen(t));
		h.len = strlen(t);
		h.buf[h.len++] = '|';
		/* TABLE_DUMP lines carry the dump time, without microseconds */
		put_time(&h, e, et && e->type != VG_ELEM_RIB);
		memcpy(h.buf + h.len,
		       e->type == VG_ELEM_STATE      ? "|STATE|"
		       : e->type == VG_ELEM_WITHDRAW ? "|W|"
		       : e->type == VG_ELEM_RIB      ? "|B|"
		                                     : "|A|",
		       e->type == VG_ELEM_STATE ? 7 : 3);
		h.len += e->type == VG_ELEM_STATE ? 7 : 3;
		f->head_len = h.len;
		f->head_rec = rec;
		f->head_index = rec->index;
		f->head_etype = e->type;
	}
	vg_obuf_put(o, f->head, f->head_len);
}

/* "peer|asn|" from a small direct-mapped cache. */
static void
put_peer(struct fmt_bgpdump *f, struct vg_obuf *o, const struct vg_elem *e)
{
	const struct vg_addr *a = &e->peer_addr;
	uint32_t h = e->peer_asn * 2654435761u ^ vg_load_be32(a->addr + 12) ^
	             vg_load_be32(a->addr);
	struct fmt_peer_slot *s = &f->peers[(h >> 7) & 63];

	if (s->len == 0 || s->asn != e->peer_asn || s->addr.afi != a->afi ||
	    memcmp(s->addr.addr, a->addr, 16) != 0) {
		struct vg_obuf t = {s->txt, 0, sizeof(s->txt), -1, 0};
		put_addr(&t, a);
		t.buf[t.len++] = '|';
		t.len += vg_u32_fmt(t.buf + t.len, e->peer_asn);
		t.buf[t.len++] = '|';
		s->len = (uint8_t)t.len;
		s->asn = e->peer_asn;
		s->addr = *a;
	}
	vg_obuf_put(o, s->txt, s->len);
}

void
fmt_bgpdump_elem(struct fmt_bgpdump *f, struct vg_obuf *o,
                 const struct vg_elem *e)
{
	const struct mrt_record *rec = e->source;
	struct mrt_record bmp_rec;
	int ap;
	static const char nonexthop[] = "255.255.255.255";

	if (e->flags & VG_ELEM_F_BMP) {
		/* BMP elements (vigil/bmp.h): "BMP|time.usec|..." lines, the
		 * BMP peer as peer, path ids when the peer uses ADD-PATH; the
		 * head is rebuilt for every line (no record to key it on). */
		memset(&bmp_rec, 0, sizeof(bmp_rec));
		bmp_rec.type = MRT_BGP4MP_ET;
		bmp_rec.subtype = (e->flags & VG_ELEM_F_PATH_ID)
		                      ? MRT_BGP4MP_MESSAGE_AS4_ADDPATH
		                      : MRT_BGP4MP_MESSAGE_AS4;
		rec = &bmp_rec;
		f->head_rec = NULL;
	}
	/* bgpdump shows path ids only on the RFC 8050 ADD-PATH subtypes */
	ap = mrt_subtype_is_addpath(rec->type, rec->subtype);

	if (o->cap - o->len < 256 && vg_obuf_reserve(o, 256) < 0)
		return;
	put_head(f, o, e, rec);
	put_peer(f, o, e);
	switch (e->type) {
	case VG_ELEM_STATE:
		vg_obuf_u32(o, e->old_state);
		vg_obuf_putc(o, '|');
		vg_obuf_u32(o, e->new_state);
		vg_obuf_putc(o, '\n');
		return;
	case VG_ELEM_WITHDRAW:
		put_prefix(o, &e->prefix);
		if (ap) {
			vg_obuf_putc(o, '|');
			vg_obuf_u32(o, e->path_id);
		}
		vg_obuf_putc(o, '\n');
		return;
	default:
		break;
	}
	put_prefix(o, &e->prefix);
	vg_obuf_putc(o, '|');
	if (ap) {
		vg_obuf_u32(o, e->path_id);
		vg_obuf_putc(o, '|');
	}
	if (!f->have || f->gen != e->attrs_gen || f->gen_src != e->attrs) {
		build_parts(f, e);
		f->gen = e->attrs_gen;
		f->gen_src = e->attrs;
		f->have = 1;
	}
	vg_obuf_put(o, f->pre, f->pre_len);
	if (e->nexthop.afi)
		put_addr(o, &e->nexthop);
	else
		vg_obuf_put(o, nonexthop, sizeof(nonexthop) - 1);
	vg_obuf_put(o, f->post, f->post_len);
}
