/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The scenario's source table: the last state of every prefix of one peer
 * of a real MRT file (a BGP4MP session or a RIB dump), with every distinct
 * attribute set interned once.  Interning works on a canonical byte form
 * of the set (origin, next hops, MED, LOCAL_PREF, aggregator, the path
 * tail, communities, raw attributes), so peers that only differ in their
 * own first AS share one set and a table of 577k prefixes needs ~90k sets.
 * Also here: the PRNG and the arena the builder uses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/mrt.h"
#include "scenario_impl.h"

/* ---- PRNG ---------------------------------------------------------------- */

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void
scn_rng_seed(struct scn_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ull);
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
scn_rng_next(struct scn_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint64_t
scn_rng_below(struct scn_rng *r, uint64_t n)
{
	/* Lemire's multiply-shift; the bias is < n / 2^64. */
	return (uint64_t)(((unsigned __int128)scn_rng_next(r) * n) >> 64);
}

double
scn_rng_unit(struct scn_rng *r)
{
	return (double)(scn_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- arena --------------------------------------------------------------- */

struct scn_chunk {
	struct scn_chunk *next;
	size_t cap;
	_Alignas(16) uint8_t data[];
};

#define CHUNK_SIZE (1u << 20)

void *
scn_arena_alloc(struct scn_arena *a, size_t n)
{
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (a->head == NULL || a->cap - a->used < n) {
		size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;
		struct scn_chunk *c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->next = a->head;
		c->cap = cap;
		a->head = c;
		a->used = 0;
		a->cap = cap;
		a->total += cap;
	}
	p = a->head->data + a->used;
	a->used += n;
	return p;
}

void
scn_arena_free(struct scn_arena *a)
{
	struct scn_chunk *c = a->head;
	while (c) {
		struct scn_chunk *n = c->next;
		free(c);
		c = n;
	}
	memset(a, 0, sizeof(*a));
}

/* ---- canonical form and interning --------------------------------------- */

static void
kput(struct scn_kbuf *k, const void *src, size_t n)
{
	if (k->oom)
		return;
	if (k->len + n > k->cap) {
		size_t nc = k->cap ? k->cap * 2 : 1024;
		uint8_t *np;
		while (nc < k->len + n)
			nc *= 2;
		if ((np = realloc(k->p, nc)) == NULL) {
			k->oom = 1;
			return;
		}
		k->p = np;
		k->cap = nc;
	}
	if (n)
		memcpy(k->p + k->len, src, n);
	k->len += n;
}

static void
kput32(struct scn_kbuf *k, uint32_t v)
{
	kput(k, &v, 4);
}

static void
key_of(struct scn_kbuf *k, const struct bgp_attr_set *s, const uint32_t *asn,
       const uint8_t *seg_type, const uint32_t *seg_len, uint32_t nasn,
       uint32_t nseg)
{
	k->len = 0;
	kput(k, &s->origin, 1);
	kput32(k, s->has);
	if (s->has & BGP_SET_NEXTHOP4)
		kput(k, s->nexthop4, 4);
	if (s->has & BGP_SET_NEXTHOP6) {
		kput(k, &s->nexthop6_len, 1);
		kput(k, s->nexthop6, s->nexthop6_len);
	}
	if (s->has & BGP_SET_MED)
		kput32(k, s->med);
	if (s->has & BGP_SET_LOCAL_PREF)
		kput32(k, s->local_pref);
	if (s->has & BGP_SET_AGGREGATOR) {
		kput32(k, s->aggregator_as);
		kput(k, s->aggregator_addr, 4);
	}
	kput32(k, nseg);
	kput(k, seg_type, nseg);
	kput(k, seg_len, 4 * (size_t)nseg);
	kput32(k, nasn);
	kput(k, asn, 4 * (size_t)nasn);
	kput32(k, s->n_communities);
	kput(k, s->communities, 4 * (size_t)s->n_communities);
	kput32(k, s->n_large);
	kput(k, s->large_communities, 12 * (size_t)s->n_large);
	kput32(k, s->raw_len);
	kput(k, s->raw, s->raw_len);
}

static uint32_t
hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return (uint32_t)(h ^ (h >> 32));
}

static int
hgrow(struct scn_table *t)
{
	uint32_t ncap = t->hcap ? t->hcap * 2 : 1u << 16;
	uint32_t *ns = calloc(ncap, sizeof(*ns));

	if (ns == NULL)
		return -1;
	for (uint32_t id = 1; id < t->n_attrs; id++) {
		uint32_t i = t->attrs[id].hash & (ncap - 1);
		while (ns[i])
			i = (i + 1) & (ncap - 1);
		ns[i] = id;
	}
	free(t->hslots);
	t->hslots = ns;
	t->hcap = ncap;
	return 0;
}

static void *
acopy(struct scn_table *t, const void *src, size_t n, int *oom)
{
	void *p;
	if (n == 0)
		return NULL;
	if ((p = scn_arena_alloc(&t->arena, n)) == NULL) {
		*oom = 1;
		return NULL;
	}
	memcpy(p, src, n);
	return p;
}

static uint32_t
path_origin(const uint8_t *type, const uint32_t *len, const uint32_t *asn,
            uint32_t nasn, uint32_t nseg)
{
	if (nseg == 0 || nasn == 0 || type[nseg - 1] != BGP_AS_SEQUENCE ||
	    len[nseg - 1] == 0)
		return 0;
	return asn[nasn - 1];
}

uint32_t
scn_table_intern(struct scn_table *t, const struct scn_proto *pr)
{
	struct scn_kbuf *kb = &t->key;
	struct scn_attr *a;
	uint32_t h, i, id;
	int oom = 0;

	key_of(kb, &pr->set, pr->asn, pr->seg_type, pr->seg_len, pr->nasn,
	       pr->nseg);
	if (kb->oom)
		return 0;
	h = hash_bytes(kb->p, kb->len);
	if (t->hcap == 0 || (t->n_attrs + 1) * 2 > t->hcap)
		if (hgrow(t) < 0)
			return 0;
	for (i = h & (t->hcap - 1); (id = t->hslots[i]) != 0;
	     i = (i + 1) & (t->hcap - 1)) {
		a = &t->attrs[id];
		if (a->hash == h && a->key_len == kb->len &&
		    memcmp(a->key, kb->p, kb->len) == 0)
			return id;
	}
	if (t->n_attrs == 0)
		t->n_attrs = 1; /* id 0 means "none" */
	if (t->n_attrs >= t->cap_attrs) {
		uint32_t nc = t->cap_attrs ? t->cap_attrs * 2 : 4096;
		struct scn_attr *na = realloc(t->attrs, nc * sizeof(*na));
		if (na == NULL)
			return 0;
		t->attrs = na;
		t->cap_attrs = nc;
	}
	id = t->n_attrs;
	a = &t->attrs[id];
	memset(a, 0, sizeof(*a));
	a->set = pr->set;
	a->set.path = NULL;
	a->set.communities = acopy(t, pr->set.communities,
	                           4 * (size_t)pr->set.n_communities, &oom);
	a->set.large_communities = acopy(t, pr->set.large_communities,
	                                 12 * (size_t)pr->set.n_large, &oom);
	a->set.raw = acopy(t, pr->set.raw, pr->set.raw_len, &oom);
	a->asn = acopy(t, pr->asn, 4 * (size_t)pr->nasn, &oom);
	a->seg_type = acopy(t, pr->seg_type, pr->nseg, &oom);
	a->seg_len = acopy(t, pr->seg_len, 4 * (size_t)pr->nseg, &oom);
	a->key = acopy(t, kb->p, kb->len, &oom);
	if (oom)
		return 0;
	a->nasn = pr->nasn;
	a->nseg = pr->nseg;
	a->key_len = (uint32_t)kb->len;
	a->hash = h;
	a->origin_as = path_origin(pr->seg_type, pr->seg_len, pr->asn,
	                           pr->nasn, pr->nseg);
	t->n_attrs++;
	for (i = h & (t->hcap - 1); t->hslots[i]; i = (i + 1) & (t->hcap - 1))
		;
	t->hslots[i] = id;
	return id;
}

/* ---- prototypes ---------------------------------------------------------- */

/* Growable arrays behind a struct scn_proto. */
struct proto_buf {
	struct scn_proto pr;
	uint32_t *comm, *large;
	uint8_t *raw;
	uint32_t cap_comm, cap_large, cap_raw;
};

static int
grow32(uint32_t **p, uint32_t *cap, uint32_t need)
{
	if (need <= *cap)
		return 0;
	uint32_t nc = *cap ? *cap : 64;
	while (nc < need)
		nc *= 2;
	uint32_t *np = realloc(*p, nc * sizeof(*np));
	if (np == NULL)
		return -1;
	*p = np;
	*cap = nc;
	return 0;
}

/* Fill B's prototype from a route element.  -1 if the path is too long
 * for the prototype or out of memory. */
static int
proto_from_elem(struct proto_buf *b, const struct vg_elem *e)
{
	struct scn_proto *pr = &b->pr;
	struct bgp_attr_set *s = &pr->set;
	const struct bgp_attrs *a = e->attrs;
	const struct bgp_path *p = e->path;
	uint32_t skip = 0, k = 0;

	memset(s, 0, sizeof(*s));
	s->origin = BGP_HAS(a, BGP_ATTR_ORIGIN) ? a->origin : 2;
	if (e->prefix.afi == VG_AFI_IP4 && e->nexthop.afi == VG_AFI_IP4) {
		s->has |= BGP_SET_NEXTHOP4;
		memcpy(s->nexthop4, e->nexthop.addr, 4);
	} else if (e->prefix.afi == VG_AFI_IP6 &&
	           e->nexthop.afi == VG_AFI_IP6) {
		s->has |= BGP_SET_NEXTHOP6;
		if (BGP_HAS(a, BGP_ATTR_MP_REACH_NLRI) &&
		    a->mp_reach.nh_len == 32) {
			memcpy(s->nexthop6, a->mp_reach.nh, 32);
			s->nexthop6_len = 32;
		} else {
			memcpy(s->nexthop6, e->nexthop.addr, 16);
			s->nexthop6_len = 16;
		}
	}
	if (BGP_HAS(a, BGP_ATTR_MED)) {
		s->has |= BGP_SET_MED;
		s->med = a->med;
	}
	if (BGP_HAS(a, BGP_ATTR_LOCAL_PREF)) {
		s->has |= BGP_SET_LOCAL_PREF;
		s->local_pref = a->local_pref;
	}
	if (BGP_HAS(a, BGP_ATTR_ATOMIC_AGGREGATE))
		s->has |= BGP_SET_ATOMIC_AGGREGATE;
	if (BGP_HAS(a, BGP_ATTR_AGGREGATOR)) {
		s->has |= BGP_SET_AGGREGATOR;
		s->aggregator_as = a->aggregator_as;
		memcpy(s->aggregator_addr, a->aggregator_addr, 4);
		/* RFC 6793 4.2.3 */
		if (a->asn_size == 2 && a->aggregator_as == BGP_AS_TRANS &&
		    BGP_HAS(a, BGP_ATTR_AS4_AGGREGATOR)) {
			s->aggregator_as = a->as4_aggregator_as;
			memcpy(s->aggregator_addr, a->as4_aggregator_addr, 4);
		}
	}
	if (BGP_HAS(a, BGP_ATTR_COMMUNITIES)) {
		uint32_t n = a->communities.len / 4;
		if (grow32(&b->comm, &b->cap_comm, n) < 0)
			return -1;
		for (uint32_t i = 0; i < n; i++)
			b->comm[i] = vg_load_be32(a->communities.p + 4 * i);
		s->communities = b->comm;
		s->n_communities = n;
	}
	if (BGP_HAS(a, BGP_ATTR_LARGE_COMMUNITIES)) {
		uint32_t n = a->large_communities.len / 12;
		if (grow32(&b->large, &b->cap_large, 3 * n) < 0)
			return -1;
		for (uint32_t i = 0; i < 3 * n; i++)
			b->large[i] =
			    vg_load_be32(a->large_communities.p + 4 * i);
		s->large_communities = b->large;
		s->n_large = n;
	}
	/* Raw: extended communities and unknown optional transitive
	 * attributes, passed on with the Partial bit (RFC 4271 5). */
	{
		uint32_t need = 0;
		if (BGP_HAS(a, BGP_ATTR_EXT_COMMUNITIES))
			need += 4 + a->ext_communities.len;
		for (unsigned i = 0; i < a->n_raw; i++)
			need += 4 + a->raw[i].val.len;
		if (need) {
			if (need > b->cap_raw) {
				uint8_t *nr = realloc(b->raw, need);
				if (nr == NULL)
					return -1;
				b->raw = nr;
				b->cap_raw = need;
			}
			int n = 0, r;
			if (BGP_HAS(a, BGP_ATTR_EXT_COMMUNITIES)) {
				r = bgp_attr_put(b->raw, need,
				                 BGP_ATTR_FLAG_OPTIONAL |
				                     BGP_ATTR_FLAG_TRANSITIVE,
				                 BGP_ATTR_EXT_COMMUNITIES,
				                 a->ext_communities.p,
				                 a->ext_communities.len);
				n += r > 0 ? r : 0;
			}
			for (unsigned i = 0; i < a->n_raw; i++) {
				const struct bgp_attr_raw *x = &a->raw[i];
				if ((x->flags & 0xc0) != 0xc0)
					continue;
				r = bgp_attr_put(
				    b->raw + n, need - (size_t)n,
				    (uint8_t)(x->flags | BGP_ATTR_FLAG_PARTIAL),
				    x->type, x->val.p, x->val.len);
				n += r > 0 ? r : 0;
			}
			s->raw = b->raw;
			s->raw_len = (uint32_t)n;
		}
	}
	/* The tail: drop the first AS when that leaves the origin. */
	pr->nasn = pr->nseg = 0;
	if (p == NULL || p->nseg == 0) {
		/* The source peer's own routes (empty path): originated by
		 * its AS, not by each clone's. */
		pr->asn[0] = e->peer_asn;
		pr->seg_type[0] = BGP_AS_SEQUENCE;
		pr->seg_len[0] = 1;
		pr->nasn = pr->nseg = 1;
		return 0;
	}
	if (p->nasn > sizeof(pr->asn) / 4 || p->nseg > sizeof(pr->seg_type))
		return -1;
	if (p->seg_type[0] == BGP_AS_SEQUENCE && p->nasn >= 2)
		skip = 1;
	for (uint32_t sg = 0; sg < p->nseg; sg++) {
		uint32_t l = p->seg_len[sg];
		uint32_t from = sg == 0 ? skip : 0;
		if (l > from) {
			pr->seg_type[pr->nseg] = p->seg_type[sg];
			pr->seg_len[pr->nseg] = l - from;
			memcpy(pr->asn + pr->nasn, p->asn + k + from,
			       4 * (size_t)(l - from));
			pr->nasn += l - from;
			pr->nseg++;
		}
		k += l;
	}
	return 0;
}

/* ---- the prefix map ------------------------------------------------------ */

struct pmap {
	uint32_t *slot; /* prefix index + 1 */
	uint32_t cap;
};

static uint32_t
prefix_hash(const struct vg_prefix *p)
{
	uint8_t k[18];
	k[0] = p->afi;
	k[1] = p->len;
	memcpy(k + 2, p->addr, 16);
	return hash_bytes(k, sizeof(k));
}

static int
prefix_eq(const struct vg_prefix *a, const struct vg_prefix *b)
{
	return a->afi == b->afi && a->len == b->len &&
	       memcmp(a->addr, b->addr, 16) == 0;
}

static int
table_add_prefix(struct scn_table *t, struct pmap *m, const struct vg_prefix *p,
                 uint32_t *idx)
{
	uint32_t i;

	if ((t->n + 1) * 2 > m->cap) {
		uint32_t nc = m->cap ? m->cap * 2 : 1u << 16;
		uint32_t *ns = calloc(nc, sizeof(*ns));
		if (ns == NULL)
			return -1;
		for (uint32_t j = 0; j < t->n; j++) {
			uint32_t h = prefix_hash(&t->pfx[j].p) & (nc - 1);
			while (ns[h])
				h = (h + 1) & (nc - 1);
			ns[h] = j + 1;
		}
		free(m->slot);
		m->slot = ns;
		m->cap = nc;
	}
	for (i = prefix_hash(p) & (m->cap - 1); m->slot[i];
	     i = (i + 1) & (m->cap - 1)) {
		if (prefix_eq(&t->pfx[m->slot[i] - 1].p, p)) {
			*idx = m->slot[i] - 1;
			return 0;
		}
	}
	if (t->n == t->cap) {
		uint32_t nc = t->cap ? t->cap * 2 : 1u << 16;
		struct scn_prefix *np = realloc(t->pfx, nc * sizeof(*np));
		if (np == NULL)
			return -1;
		t->pfx = np;
		t->cap = nc;
	}
	*idx = t->n;
	memset(&t->pfx[t->n], 0, sizeof(t->pfx[t->n]));
	t->pfx[t->n].p = *p;
	t->pfx[t->n].p.safi = VG_SAFI_UNICAST;
	m->slot[i] = ++t->n;
	return 0;
}

static int
prefix_cmp(const void *va, const void *vb)
{
	const struct scn_prefix *a = va, *b = vb;
	int c;
	if (a->p.afi != b->p.afi)
		return a->p.afi < b->p.afi ? -1 : 1;
	if ((c = memcmp(a->p.addr, b->p.addr, 16)) != 0)
		return c;
	return a->p.len < b->p.len ? -1 : a->p.len > b->p.len;
}

/* ---- loading ------------------------------------------------------------- */

struct peer_count {
	struct vg_addr addr;
	uint32_t asn;
	uint64_t ann;
};

static int
same_peer(const struct vg_elem *e, const struct vg_addr *a, uint32_t asn)
{
	return e->peer_asn == asn && e->peer_addr.afi == a->afi &&
	       memcmp(e->peer_addr.addr, a->addr, 16) == 0;
}

static struct mrt_reader *
open_reader(const char *path, vg_stream **s, char *err, size_t errlen)
{
	struct mrt_reader *r;

	if ((*s = vg_stream_open(path, NULL, err, errlen)) == NULL)
		return NULL;
	if ((r = mrt_reader_new(*s, path, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "out of memory");
		vg_stream_close(*s);
	}
	return r;
}

/* Pass 1: the peer to take. */
static int
pick_peer(const char *path, const struct vg_addr *want, struct vg_addr *addr,
          uint32_t *asn, char *err, size_t errlen)
{
	vg_stream *s;
	struct mrt_reader *r = open_reader(path, &s, err, errlen);
	struct peer_count *pc = NULL;
	uint32_t n = 0, cap = 0, last = 0, best = UINT32_MAX;
	const struct vg_elem *e;
	int rc;

	if (r == NULL)
		return -1;
	while ((rc = mrt_reader_next_elem(r, &e)) > 0) {
		if (e->type != VG_ELEM_ANNOUNCE && e->type != VG_ELEM_RIB)
			continue;
		if (n && same_peer(e, &pc[last].addr, pc[last].asn)) {
			pc[last].ann++;
			continue;
		}
		uint32_t i;
		for (i = 0; i < n; i++)
			if (same_peer(e, &pc[i].addr, pc[i].asn))
				break;
		if (i == n) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				struct peer_count *np =
				    realloc(pc, cap * sizeof(*np));
				if (np == NULL) {
					snprintf(err, errlen, "out of memory");
					free(pc);
					mrt_reader_free(r);
					vg_stream_close(s);
					return -1;
				}
				pc = np;
			}
			pc[n].addr = e->peer_addr;
			pc[n].asn = e->peer_asn;
			pc[n].ann = 0;
			n++;
		}
		pc[i].ann++;
		last = i;
	}
	mrt_reader_free(r);
	vg_stream_close(s);
	if (rc < 0) {
		snprintf(err, errlen, "%s: read error", path);
		free(pc);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (want->afi && (pc[i].addr.afi != want->afi ||
		                  memcmp(pc[i].addr.addr, want->addr, 16) != 0))
			continue;
		if (best == UINT32_MAX || pc[i].ann > pc[best].ann)
			best = i;
	}
	if (best == UINT32_MAX) {
		char a[VG_ADDR_STRLEN];
		if (want->afi)
			snprintf(err, errlen, "%s: peer %s announces nothing",
			         path, vg_addr_str(want, a));
		else
			snprintf(err, errlen, "%s: no announcements", path);
		free(pc);
		return -1;
	}
	*addr = pc[best].addr;
	*asn = pc[best].asn;
	free(pc);
	return 0;
}

int
scn_table_load(struct scn_table *t, const char *path,
               const struct vg_addr *peer, char *err, size_t errlen)
{
	struct pmap m = {0};
	struct proto_buf pb;
	vg_stream *s = NULL;
	struct mrt_reader *r = NULL;
	const struct vg_elem *e;
	uint8_t *present = NULL;
	uint32_t cap_present = 0;
	const void *last_attrs = NULL;
	uint32_t last_gen = 0, last_id[3] = {0, 0, 0};
	int rc, ret = -1;

	memset(t, 0, sizeof(*t));
	memset(&pb, 0, sizeof(pb));
	if (pick_peer(path, peer, &t->peer, &t->peer_asn, err, errlen) < 0)
		return -1;
	if ((r = open_reader(path, &s, err, errlen)) == NULL)
		return -1;
	while ((rc = mrt_reader_next_elem(r, &e)) > 0) {
		uint32_t idx;
		t->elems++;
		if (!same_peer(e, &t->peer, t->peer_asn))
			continue;
		if (e->type == VG_ELEM_STATE) {
			/* the session went down: its routes are gone */
			if (e->old_state == VG_STATE_ESTABLISHED &&
			    e->new_state != VG_STATE_ESTABLISHED)
				if (present)
					memset(present, 0, t->n);
			continue;
		}
		if (e->prefix.safi != VG_SAFI_UNICAST ||
		    (e->prefix.afi != VG_AFI_IP4 &&
		     e->prefix.afi != VG_AFI_IP6))
			continue;
		if (table_add_prefix(t, &m, &e->prefix, &idx) < 0)
			goto oom;
		if (t->n > cap_present) {
			uint32_t nc = cap_present ? cap_present * 2 : 1u << 16;
			uint8_t *np = realloc(present, nc);
			if (np == NULL)
				goto oom;
			memset(np + cap_present, 0, nc - cap_present);
			present = np;
			cap_present = nc;
		}
		if (e->type == VG_ELEM_WITHDRAW) {
			present[idx] = 0;
			continue;
		}
		if (e->attrs != last_attrs || e->attrs_gen != last_gen) {
			last_attrs = e->attrs;
			last_gen = e->attrs_gen;
			last_id[1] = last_id[2] = 0;
		}
		uint32_t *cached = &last_id[e->prefix.afi];
		if (*cached == 0) {
			if (proto_from_elem(&pb, e) < 0) {
				char a[VG_PREFIX_STRLEN];
				snprintf(err, errlen,
				         "%s: the route for %s has "
				         "an AS path too long to clone",
				         path, vg_prefix_str(&e->prefix, a));
				goto out;
			}
			if ((*cached = scn_table_intern(t, &pb.pr)) == 0)
				goto oom;
		}
		t->pfx[idx].attr = *cached;
		present[idx] = 1;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	/* keep what is announced at the end, sorted */
	uint32_t k = 0;
	for (uint32_t i = 0; i < t->n; i++)
		if (present[i])
			t->pfx[k++] = t->pfx[i];
	t->n = k;
	if (t->n == 0) {
		snprintf(err, errlen, "%s: the peer has no routes at the end",
		         path);
		goto out;
	}
	qsort(t->pfx, t->n, sizeof(t->pfx[0]), prefix_cmp);

	/* frequent first ASNs of the tails: the transits for path changes */
	{
		struct {
			uint32_t asn;
			uint32_t n;
		} top[64];
		uint32_t ntop = 0;
		for (uint32_t i = 0; i < t->n; i++) {
			const struct scn_attr *a = &t->attrs[t->pfx[i].attr];
			uint32_t j;
			if (a->nasn < 2 || a->seg_type[0] != BGP_AS_SEQUENCE)
				continue;
			for (j = 0; j < ntop && top[j].asn != a->asn[0]; j++)
				;
			if (j == ntop) {
				if (ntop == 64)
					continue;
				top[ntop].asn = a->asn[0];
				top[ntop++].n = 0;
			}
			top[j].n++;
		}
		/* most frequent first, ties by ASN: deterministic */
		for (uint32_t i = 0; i < ntop && t->n_transit < 8; i++) {
			uint32_t b = i;
			for (uint32_t j = i + 1; j < ntop; j++)
				if (top[j].n > top[b].n ||
				    (top[j].n == top[b].n &&
				     top[j].asn < top[b].asn))
					b = j;
			uint32_t ta = top[i].asn, tn = top[i].n;
			top[i] = top[b];
			top[b].asn = ta;
			top[b].n = tn;
			t->transit[t->n_transit++] = top[i].asn;
		}
	}
	ret = 0;
	goto out;

oom:
	snprintf(err, errlen, "out of memory loading %s", path);
out:
	free(pb.comm);
	free(pb.large);
	free(pb.raw);
	free(present);
	free(m.slot);
	mrt_reader_free(r);
	vg_stream_close(s);
	return ret;
}

void
scn_table_free(struct scn_table *t)
{
	free(t->pfx);
	free(t->attrs);
	free(t->hslots);
	free(t->vkeys);
	free(t->vvals);
	free(t->key.p);
	scn_arena_free(&t->arena);
	memset(t, 0, sizeof(*t));
}

size_t
scn_table_mem(const struct scn_table *t)
{
	return (size_t)t->cap * sizeof(*t->pfx) +
	       (size_t)t->cap_attrs * sizeof(*t->attrs) +
	       (size_t)t->hcap * 4 + (size_t)t->vcap * 12 + t->arena.total;
}

/* ---- variants ------------------------------------------------------------ */

static void
proto_from_attr(struct scn_proto *pr, const struct scn_attr *a)
{
	pr->set = a->set;
	pr->nasn = a->nasn;
	pr->nseg = a->nseg;
	memcpy(pr->asn, a->asn, 4 * (size_t)a->nasn);
	memcpy(pr->seg_type, a->seg_type, a->nseg);
	memcpy(pr->seg_len, a->seg_len, 4 * (size_t)a->nseg);
}

/* Put ASN in front of the path. */
static void
proto_prepend(struct scn_proto *pr, uint32_t asn)
{
	if (pr->nasn + 1 > sizeof(pr->asn) / 4)
		return;
	memmove(pr->asn + 1, pr->asn, 4 * (size_t)pr->nasn);
	pr->asn[0] = asn;
	pr->nasn++;
	if (pr->nseg && pr->seg_type[0] == BGP_AS_SEQUENCE &&
	    pr->seg_len[0] < 255) {
		pr->seg_len[0]++;
		return;
	}
	if (pr->nseg + 1 > sizeof(pr->seg_type))
		return;
	memmove(pr->seg_type + 1, pr->seg_type, pr->nseg);
	memmove(pr->seg_len + 1, pr->seg_len, 4 * (size_t)pr->nseg);
	pr->seg_type[0] = BGP_AS_SEQUENCE;
	pr->seg_len[0] = 1;
	pr->nseg++;
}

static void
variant_transit(const struct scn_table *t, struct scn_proto *pr, uint32_t salt)
{
	uint32_t cand = 64511; /* documentation ASN if the table has none */
	uint32_t origin = path_origin(pr->seg_type, pr->seg_len, pr->asn,
	                              pr->nasn, pr->nseg);
	for (uint32_t i = 0; i < t->n_transit; i++) {
		uint32_t c = t->transit[(salt + i) % t->n_transit];
		if ((pr->nasn == 0 || c != pr->asn[0]) && c != origin) {
			cand = c;
			break;
		}
	}
	if (pr->nasn >= 2 && pr->seg_type[0] == BGP_AS_SEQUENCE)
		pr->asn[0] = cand; /* another first transit */
	else
		proto_prepend(pr, cand);
}

static void
variant_prepend_origin(struct scn_proto *pr)
{
	uint32_t o = path_origin(pr->seg_type, pr->seg_len, pr->asn, pr->nasn,
	                         pr->nseg);
	if (o == 0 || pr->nasn + 2 > sizeof(pr->asn) / 4)
		return;
	if (pr->seg_len[pr->nseg - 1] + 2 > 255) {
		if (pr->nseg + 1 > sizeof(pr->seg_type))
			return;
		pr->seg_type[pr->nseg] = BGP_AS_SEQUENCE;
		pr->seg_len[pr->nseg++] = 0;
	}
	pr->asn[pr->nasn++] = o;
	pr->asn[pr->nasn++] = o;
	pr->seg_len[pr->nseg - 1] += 2;
}

uint32_t
scn_table_variant(struct scn_table *t, uint32_t attr, unsigned k)
{
	struct scn_proto *pr = &t->vproto;
	uint64_t key = (uint64_t)attr << 8 | k;
	uint32_t i, id;

	if (k == 0)
		return attr;
	if ((t->vn + 1) * 2 > t->vcap) {
		uint32_t nc = t->vcap ? t->vcap * 2 : 4096;
		uint64_t *nk = calloc(nc, sizeof(*nk));
		uint32_t *nv = calloc(nc, sizeof(*nv));
		if (nk == NULL || nv == NULL) {
			free(nk);
			free(nv);
			return 0;
		}
		for (uint32_t j = 0; j < t->vcap; j++) {
			if (!t->vkeys[j])
				continue;
			uint32_t h =
			    hash_bytes((const uint8_t *)&t->vkeys[j], 8) &
			    (nc - 1);
			while (nk[h])
				h = (h + 1) & (nc - 1);
			nk[h] = t->vkeys[j];
			nv[h] = t->vvals[j];
		}
		free(t->vkeys);
		free(t->vvals);
		t->vkeys = nk;
		t->vvals = nv;
		t->vcap = nc;
	}
	for (i = hash_bytes((const uint8_t *)&key, 8) & (t->vcap - 1);
	     t->vkeys[i]; i = (i + 1) & (t->vcap - 1))
		if (t->vkeys[i] == key)
			return t->vvals[i];
	proto_from_attr(pr, &t->attrs[attr]);
	if (k & 2)
		variant_transit(t, pr, t->attrs[attr].hash + k);
	if (k & 1) {
		if (path_origin(pr->seg_type, pr->seg_len, pr->asn, pr->nasn,
		                pr->nseg) == 0)
			variant_transit(t, pr, t->attrs[attr].hash + k);
		else
			variant_prepend_origin(pr);
	}
	if ((id = scn_table_intern(t, pr)) == 0)
		return 0;
	/* the interning may have moved t->attrs; the slot index stands */
	t->vkeys[i] = key;
	t->vvals[i] = id;
	t->vn++;
	return id;
}

int
scn_attr_has_upstream(const struct scn_attr *a, uint32_t asn)
{
	uint32_t n = a->origin_as ? a->nasn - 1 : a->nasn;
	for (uint32_t i = 0; i < n; i++)
		if (a->asn[i] == asn)
			return 1;
	return 0;
}

void
scn_attr_peer_path(const struct scn_attr *a, uint32_t peer_asn,
                   struct bgp_path *out)
{
	out->asn[0] = peer_asn;
	memcpy(out->asn + 1, a->asn, 4 * (size_t)a->nasn);
	out->nasn = a->nasn + 1;
	if (a->nseg && a->seg_type[0] == BGP_AS_SEQUENCE &&
	    a->seg_len[0] < 255) {
		memcpy(out->seg_type, a->seg_type, a->nseg);
		memcpy(out->seg_len, a->seg_len, 4 * (size_t)a->nseg);
		out->seg_len[0]++;
		out->nseg = a->nseg;
	} else {
		out->seg_type[0] = BGP_AS_SEQUENCE;
		out->seg_len[0] = 1;
		memcpy(out->seg_type + 1, a->seg_type, a->nseg);
		memcpy(out->seg_len + 1, a->seg_len, 4 * (size_t)a->nseg);
		out->nseg = a->nseg + 1;
	}
}

void
scn_iso_time(char *buf, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char tmp[64];

	gmtime_r(&tt, &tm);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec);
	memcpy(buf, tmp, 20);
	buf[20] = '\0';
}
