/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One BMP router's stream (RFC 7854 3.3: Initiation, then Peer Up / route
 * monitoring / statistics / Peer Down, then Termination): framing across
 * arbitrary reads, per-monitored-peer state learnt from Peer Up (4-octet
 * AS and ADD-PATH from the two OPENs, RFC 6793, RFC 7911), and the routing
 * elements of each message, produced the way the MRT reader produces them
 * (one reused struct vg_elem, attrs/path shared by the elements of one
 * UPDATE, attrs_gen bumped per UPDATE).  No I/O: the caller pushes bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/bmp.h"

/* A monitored peer: the key of the per-peer header and what its Peer Up
 * negotiated. */
struct sess_peer {
	uint8_t used, up;
	uint8_t type, oflag;
	uint8_t rd[8];
	uint8_t addr[16];
	uint8_t afi;
	uint8_t asn4;    /* both OPENs carried the 4-octet AS capability */
	uint16_t ap_in;  /* ADD-PATH: AFI/SAFI bits the peer sends with ids */
	uint16_t ap_out; /* ... the router sends to the peer with ids */
};

enum phase {
	PH_NONE,
	PH_WITHDRAW,
	PH_MP_WITHDRAW,
	PH_ANNOUNCE,
	PH_MP_ANNOUNCE,
	PH_STATE,
};

/* NLRI of SAFI 1, 2, 4 (RFC 8277 labels) and 128 (RFC 4364 labels + RD). */
struct nlri_it {
	struct vg_cursor c;
	uint32_t base, start_len;
	uint16_t afi;
	uint8_t safi, addpath, withdraw;
};

struct bmp_session {
	char *router;
	bmp_problem_fn on_problem;
	void *ctx;

	uint8_t *buf;
	size_t start, end, cap;
	uint64_t buf_off; /* stream offset of buf[0] */
	int failed;
	int ended;

	struct bmp_msg msg;
	uint64_t msg_off; /* stream offset of the current message */
	uint64_t index;   /* its 1-based number */
	int have_msg;

	struct sess_peer *peers;
	size_t npeers, cap_peers; /* open addressing, cap a power of 2 */

	/* element iteration over the current message */
	enum phase phase;
	struct bgp_update upd;
	struct bgp_decode_opts opts;
	struct nlri_it it;
	struct bgp_path path;
	struct vg_elem e;
	struct bmp_elem_src src;
	struct vg_addr nh_classic, nh_mp;
	uint32_t upd_base; /* offset of the UPDATE body in the message */
	uint16_t ap_mask;
	int taw;
	int eor;
	uint16_t eor_afi;
	uint8_t eor_safi;

	struct vg_diag diag;
	struct bmp_session_stats st;
};

struct bmp_session *
bmp_session_new(const char *router, bmp_problem_fn on_problem, void *ctx)
{
	struct bmp_session *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->router = strdup(router ? router : "-");
	s->cap = 1 << 16;
	s->buf = malloc(s->cap);
	s->cap_peers = 64;
	s->peers = calloc(s->cap_peers, sizeof(*s->peers));
	if (s->router == NULL || s->buf == NULL || s->peers == NULL) {
		bmp_session_free(s);
		return NULL;
	}
	s->on_problem = on_problem;
	s->ctx = ctx;
	bgp_path_init(&s->path);
	return s;
}

void
bmp_session_free(struct bmp_session *s)
{
	if (s == NULL)
		return;
	bgp_path_destroy(&s->path);
	free(s->peers);
	free(s->buf);
	free(s->router);
	free(s);
}

const char *
bmp_session_router(const struct bmp_session *s)
{
	return s->router;
}

int
bmp_session_failed(const struct bmp_session *s)
{
	return s->failed;
}

const struct bmp_session_stats *
bmp_session_stats(const struct bmp_session *s)
{
	return &s->st;
}

/* ---- problems ------------------------------------------------------- */

static void
report(struct bmp_session *s, uint64_t msg, uint64_t off, unsigned type,
       const struct vg_problem *pr)
{
	struct bmp_problem p = {
	    .router = s->router,
	    .msg = msg,
	    .offset = off,
	    .msg_type = (uint8_t)type,
	    .err = pr->err,
	    .action = pr->action,
	    .attr_type = pr->attr_type,
	    .msg_text = pr->msg,
	};
	s->st.problems++;
	if (s->on_problem)
		s->on_problem(s->ctx, &p);
}

/* Report the problems in s->diag, offsets relative to BASE in the
 * current message. */
static void
flush_diag(struct bmp_session *s, uint32_t base)
{
	for (unsigned i = 0; i < s->diag.n; i++)
		report(s, s->index, s->msg_off + base + s->diag.items[i].offset,
		       s->msg.type, &s->diag.items[i]);
	if (s->diag.dropped) {
		struct vg_problem pr = {.err = VG_ERR_MALFORMED,
		                        .action = VG_ACT_NONE};
		snprintf(pr.msg, sizeof(pr.msg), "%u more problems in this message",
		         s->diag.dropped);
		report(s, s->index, s->msg_off + base, s->msg.type, &pr);
	}
	vg_diag_reset(&s->diag);
}

/* ---- buffer --------------------------------------------------------- */

int
bmp_session_push(struct bmp_session *s, const void *p, size_t len)
{
	s->have_msg = 0;
	s->phase = PH_NONE;
	if (s->failed)
		return -1;
	s->st.bytes += len;
	if (s->start == s->end) {
		s->buf_off += s->start;
		s->start = s->end = 0;
	}
	if (s->cap - s->end < len) {
		/* compact, then grow if still short */
		if (s->start > 0) {
			memmove(s->buf, s->buf + s->start, s->end - s->start);
			s->buf_off += s->start;
			s->end -= s->start;
			s->start = 0;
		}
		if (s->cap - s->end < len) {
			size_t ncap = s->cap;
			while (ncap - s->end < len)
				ncap *= 2;
			uint8_t *nb = realloc(s->buf, ncap);
			if (nb == NULL)
				return -1;
			s->buf = nb;
			s->cap = ncap;
		}
	}
	memcpy(s->buf + s->end, p, len);
	s->end += len;
	return 0;
}

int
bmp_session_end(struct bmp_session *s)
{
	size_t left = s->end - s->start;
	s->ended = 1;
	if (s->failed || left == 0)
		return 0;
	struct vg_problem pr = {.err = VG_ERR_TRUNCATED,
	                        .action = VG_ACT_SKIP_RECORD};
	size_t need = 0;
	struct vg_diag d;
	vg_diag_reset(&d);
	bmp_frame(s->buf + s->start, left, &need, &d);
	snprintf(pr.msg, sizeof(pr.msg),
	         "stream ended inside a message: %zu of %zu bytes", left, need);
	report(s, s->index + 1, s->buf_off + s->start,
	       left >= 6 ? s->buf[s->start + 5] : 0xff, &pr);
	s->st.msgs_bad++;
	s->start = s->end;
	return 1;
}

/* ---- monitored peers ------------------------------------------------ */

static uint32_t
peer_hash(const struct bmp_peer_hdr *h)
{
	uint32_t x = 2166136261u;
	x = (x ^ h->type) * 16777619u;
	x = (x ^ (h->flags & BMP_PEER_F_O)) * 16777619u;
	for (int i = 0; i < 8; i++)
		x = (x ^ h->rd[i]) * 16777619u;
	for (int i = 0; i < 16; i++)
		x = (x ^ h->addr.addr[i]) * 16777619u;
	return x;
}

static int
peer_match(const struct sess_peer *p, const struct bmp_peer_hdr *h)
{
	return p->type == h->type &&
	       p->oflag == (h->type != BMP_PEER_LOC_RIB && (h->flags & BMP_PEER_F_O)) &&
	       p->afi == h->addr.afi && memcmp(p->rd, h->rd, 8) == 0 &&
	       memcmp(p->addr, h->addr.addr, 16) == 0;
}

static struct sess_peer *
peer_find(struct bmp_session *s, const struct bmp_peer_hdr *h, int create)
{
	size_t mask = s->cap_peers - 1;
	size_t i = peer_hash(h) & mask;

	while (s->peers[i].used) {
		if (peer_match(&s->peers[i], h))
			return &s->peers[i];
		i = (i + 1) & mask;
	}
	if (!create)
		return NULL;
	if ((s->npeers + 1) * 2 > s->cap_peers) {
		size_t ncap = s->cap_peers * 2;
		struct sess_peer *np = calloc(ncap, sizeof(*np));
		if (np == NULL)
			return NULL;
		for (size_t j = 0; j < s->cap_peers; j++) {
			struct sess_peer *o = &s->peers[j];
			if (!o->used)
				continue;
			struct bmp_peer_hdr k = {.type = o->type,
			                         .flags = o->oflag ? BMP_PEER_F_O : 0};
			memcpy(k.rd, o->rd, 8);
			memcpy(k.addr.addr, o->addr, 16);
			size_t n = peer_hash(&k) & (ncap - 1);
			while (np[n].used)
				n = (n + 1) & (ncap - 1);
			np[n] = *o;
		}
		free(s->peers);
		s->peers = np;
		s->cap_peers = ncap;
		return peer_find(s, h, create);
	}
	struct sess_peer *p = &s->peers[i];
	memset(p, 0, sizeof(*p));
	p->used = 1;
	p->type = h->type;
	p->oflag = h->type != BMP_PEER_LOC_RIB && (h->flags & BMP_PEER_F_O);
	p->afi = h->addr.afi;
	memcpy(p->rd, h->rd, 8);
	memcpy(p->addr, h->addr.addr, 16);
	s->npeers++;
	return p;
}

/* ADD-PATH bit of an AFI/SAFI, 0 for kinds we do not track. */
static uint16_t
ap_bit(unsigned afi, unsigned safi)
{
	int k;
	if (afi != 1 && afi != 2)
		return 0;
	switch (safi) {
	case 1: k = 0; break;
	case 2: k = 1; break;
	case 4: k = 2; break;
	case 128: k = 3; break;
	default: return 0;
	}
	return (uint16_t)(1u << ((afi - 1) * 4 + k));
}

/* RFC 7911 4: a speaker sends path ids for an AFI/SAFI when it offered
 * "send" and the other side "receive". */
static uint16_t
ap_negotiated(const struct bgp_open *sender, const struct bgp_open *receiver)
{
	uint16_t m = 0;
	for (unsigned i = 0; i < sender->n_addpath; i++) {
		unsigned afi = sender->addpath[i].afi, safi = sender->addpath[i].safi;
		if ((sender->addpath[i].mode & 2) &&
		    bgp_open_addpath(receiver, afi, safi, 1))
			m |= ap_bit(afi, safi);
	}
	return m;
}

static void
peer_up(struct bmp_session *s, const struct bmp_msg *m)
{
	struct sess_peer *p = peer_find(s, &m->peer, 1);
	if (p == NULL)
		return;
	if (!p->up)
		s->st.peers_up++;
	p->up = 1;
	p->asn4 = m->sent.as4 && m->rcvd.as4;
	/* the received OPEN is the monitored peer's, the sent one the
	 * router's (RFC 7854 4.10) */
	p->ap_in = ap_negotiated(&m->rcvd, &m->sent);
	p->ap_out = ap_negotiated(&m->sent, &m->rcvd);
	if (m->peer.type == BMP_PEER_LOC_RIB) {
		/* RFC 9069 5.1: a Loc-RIB Peer Up carries a made-up OPEN (the
		 * same one twice); an ADD-PATH capability in it, whatever its
		 * mode, says the Loc-RIB routes carry path ids. */
		for (unsigned i = 0; i < m->rcvd.n_addpath; i++)
			p->ap_in |= ap_bit(m->rcvd.addpath[i].afi,
			                   m->rcvd.addpath[i].safi);
		for (unsigned i = 0; i < m->sent.n_addpath; i++)
			p->ap_in |= ap_bit(m->sent.addpath[i].afi,
			                   m->sent.addpath[i].safi);
	}
}

static void
peer_down(struct bmp_session *s, const struct bmp_msg *m)
{
	struct sess_peer *p = peer_find(s, &m->peer, 0);
	if (p && p->up) {
		p->up = 0;
		s->st.peers_up--;
	}
}

/* ---- NLRI ----------------------------------------------------------- */

static void
nlri_init(struct nlri_it *it, struct bgp_span sp, unsigned afi, unsigned safi,
          int addpath, int withdraw, uint32_t base)
{
	vg_cur_init(&it->c, sp.p, sp.len);
	it->base = base;
	it->start_len = sp.len;
	it->afi = (uint16_t)afi;
	it->safi = (uint8_t)safi;
	it->addpath = addpath ? 1 : 0;
	it->withdraw = withdraw ? 1 : 0;
}

/* Next prefix: 1, 0 at the end, -1 on a problem (in D; the rest of the
 * field is dropped).  Labels and RD go to SRC. */
static int
nlri_next(struct nlri_it *it, struct vg_prefix *p, uint32_t *path_id,
          struct bmp_elem_src *src, struct vg_diag *d)
{
	uint32_t off = it->base + (it->start_len - (uint32_t)it->c.len);
	unsigned max, nbytes, bits;
	uint8_t plen;
	const uint8_t *q;

	src->n_labels = 0;
	src->has_rd = 0;
	if (it->c.len == 0)
		return 0;
	if ((it->afi != VG_AFI_IP4 && it->afi != VG_AFI_IP6) ||
	    (it->safi != 1 && it->safi != 2 && it->safi != 4 && it->safi != 128)) {
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
	bits = plen;
	if (it->safi == 4 || it->safi == 128) {
		/* RFC 8277 2: labels until the bottom-of-stack bit; in a
		 * withdrawal the field is one label, 0x800000 or anything
		 * (RFC 8277 2.4). */
		for (;;) {
			if (bits < 24 || vg_cur_get_ptr(&it->c, 3, &q) < 0)
				goto bad_len;
			bits -= 24;
			uint32_t l = (uint32_t)q[0] << 16 | (uint32_t)q[1] << 8 | q[2];
			if (src->n_labels < 4)
				src->labels[src->n_labels] = l >> 4;
			src->n_labels++;
			if ((l & 1) || it->withdraw || l == 0x800000)
				break;
			if (src->n_labels > 16)
				goto bad_len;
		}
		if (src->n_labels > 4)
			src->n_labels = 4;
		if (it->safi == 128) {
			if (bits < 64 || vg_cur_get_bytes(&it->c, src->rd, 8) < 0)
				goto bad_len;
			bits -= 64;
			src->has_rd = 1;
		}
	}
	max = it->afi == VG_AFI_IP4 ? 32 : 128;
	if (bits > max) {
		vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_PARTIAL, 0, off,
		            "prefix length %u exceeds %u; rest of the NLRI "
		            "(%zu bytes) ignored", bits, max, it->c.len);
		it->c.len = 0;
		return -1;
	}
	nbytes = (bits + 7u) / 8;
	if (vg_cur_get_ptr(&it->c, nbytes, &q) < 0)
		goto truncated;
	memset(p, 0, sizeof(*p));
	p->afi = (uint8_t)it->afi;
	p->safi = it->safi;
	p->len = (uint8_t)bits;
	memcpy(p->addr, q, nbytes);
	if (bits % 8)
		p->addr[nbytes - 1] &= (uint8_t)(0xff00u >> (bits % 8));
	return 1;

bad_len:
	vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_PARTIAL, 0, off,
	            "labeled/VPN NLRI length %u too short for its labels and "
	            "RD; rest of the NLRI (%zu bytes) ignored", plen, it->c.len);
	it->c.len = 0;
	return -1;
truncated:
	vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_PARTIAL, 0, off,
	            "NLRI entry cut short (%zu bytes left)", it->c.len);
	it->c.len = 0;
	return -1;
}

/* ---- messages ------------------------------------------------------- */

static void
elem_common(struct bmp_session *s)
{
	const struct bmp_msg *m = &s->msg;
	struct vg_elem *e = &s->e;

	e->time_sec = m->peer.ts_sec;
	e->time_usec = m->peer.ts_usec;
	e->originated = 0;
	e->peer_asn = m->peer.asn;
	e->peer_addr = m->peer.addr;
	e->source = &s->src;
	s->src.msg = m;
	s->src.router = s->router;
	s->src.index = s->index;
	s->src.has_rd = 0;
	s->src.n_labels = 0;
	s->src.eor = 0;
}

/* Set up element iteration over the route monitoring message M. */
static void
start_update(struct bmp_session *s)
{
	const struct bmp_msg *m = &s->msg;
	const uint8_t *body = m->bgp.p + BGP_HEADER_LEN;
	size_t blen = m->bgp.len - BGP_HEADER_LEN;
	struct sess_peer *p = peer_find(s, &m->peer, 0);
	const struct bgp_attrs *a = &s->upd.attrs;

	s->upd_base = (uint32_t)(body - (s->buf + s->start - m->len));
	memset(&s->opts, 0, sizeof(s->opts));
	/* RFC 7854 4.2: the A flag marks the legacy 2-byte AS_PATH format;
	 * Loc-RIB (RFC 9069 4.1) is always 4-byte. */
	s->opts.asn_size = (m->peer.type != BMP_PEER_LOC_RIB &&
	                    (m->peer.flags & BMP_PEER_F_A)) ? 2 : 4;
	s->ap_mask = 0;
	if (p)
		s->ap_mask = p->oflag ? p->ap_out : p->ap_in;
	elem_common(s);
	if (bgp_update_decode(&s->upd, body, blen, &s->opts, &s->diag) < 0) {
		flush_diag(s, s->upd_base);
		s->st.msgs_bad++;
		s->phase = PH_NONE;
		return;
	}
	flush_diag(s, s->upd_base);

	/* End-of-RIB (RFC 4724 2): an empty UPDATE for IPv4 unicast, or one
	 * with only an empty MP_UNREACH_NLRI. */
	if (s->upd.withdrawn.len == 0 && s->upd.nlri.len == 0) {
		if (a->all.len == 0) {
			s->eor = 1;
			s->eor_afi = 1;
			s->eor_safi = 1;
		} else if (a->present == (1ull << BGP_ATTR_MP_UNREACH_NLRI) &&
		           a->mp_unreach.nlri.len == 0) {
			s->eor = 1;
			s->eor_afi = a->mp_unreach.afi;
			s->eor_safi = a->mp_unreach.safi;
		}
		if (s->eor) {
			s->phase = PH_NONE;
			return;
		}
	}
	s->taw = a->action == VG_ACT_TREAT_AS_WITHDRAW;
	if (!s->taw && (s->upd.nlri.len > 0 || BGP_HAS(a, BGP_ATTR_MP_REACH_NLRI))) {
		const char *miss = NULL;
		if (!BGP_HAS(a, BGP_ATTR_ORIGIN))
			miss = "UPDATE without ORIGIN";
		else if (!BGP_HAS(a, BGP_ATTR_AS_PATH))
			miss = "UPDATE without AS_PATH";
		else if (s->upd.nlri.len > 0 && !BGP_HAS(a, BGP_ATTR_NEXT_HOP))
			miss = "UPDATE without NEXT_HOP";
		if (miss) {
			/* RFC 7606 3(d) */
			s->taw = 1;
			vg_diag_add(&s->diag, VG_ERR_MALFORMED,
			            VG_ACT_TREAT_AS_WITHDRAW, 0, s->upd.attrs_off,
			            "%s", miss);
			flush_diag(s, s->upd_base);
		}
	}
	if (a->action != VG_ACT_NONE || s->taw)
		s->st.msgs_bad++;
	memset(&s->nh_classic, 0, sizeof(s->nh_classic));
	if (BGP_HAS(a, BGP_ATTR_NEXT_HOP)) {
		s->nh_classic.afi = VG_AFI_IP4;
		memcpy(s->nh_classic.addr, a->nexthop, 4);
	}
	memset(&s->nh_mp, 0, sizeof(s->nh_mp));
	if (BGP_HAS(a, BGP_ATTR_MP_REACH_NLRI))
		bgp_mp_nexthop(&s->nh_mp, &a->mp_reach);
	s->e.attrs_gen = vg_attrs_gen_next();
	if (bgp_path_build(&s->path, a) < 0) {
		s->path.nasn = s->path.nseg = 0;
		struct vg_problem pr = {.err = VG_ERR_MALFORMED,
		                        .action = VG_ACT_NONE};
		snprintf(pr.msg, sizeof(pr.msg), "out of memory building the "
		                                 "AS path");
		report(s, s->index, s->msg_off, m->type, &pr);
	}
	nlri_init(&s->it, s->upd.withdrawn, 1, 1, s->ap_mask & ap_bit(1, 1), 1,
	          2);
	s->phase = PH_WITHDRAW;
}

int
bmp_session_next(struct bmp_session *s, const struct bmp_msg **out)
{
	s->have_msg = 0;
	s->phase = PH_NONE;
	s->eor = 0;
	for (;;) {
		size_t left, need = 0;
		long n;

		if (s->failed)
			return -1;
		left = s->end - s->start;
		if (left == 0)
			return 0;
		vg_diag_reset(&s->diag);
		n = bmp_frame(s->buf + s->start, left, &need, &s->diag);
		if (n == 0)
			return 0;
		s->msg_off = s->buf_off + s->start;
		if (n < 0) {
			s->index++;
			s->msg.type = left >= 6 ? s->buf[s->start + 5] : 0xff;
			flush_diag(s, 0);
			struct vg_problem pr = {.err = VG_ERR_MALFORMED,
			                        .action = VG_ACT_SESSION_RESET};
			snprintf(pr.msg, sizeof(pr.msg),
			         "stream cannot be framed past this point: the "
			         "rest is dropped and the session closed");
			report(s, s->index, s->msg_off, s->msg.type, &pr);
			s->failed = 1;
			s->start = s->end;
			return -1;
		}
		s->index++;
		s->st.msgs++;
		const uint8_t *p = s->buf + s->start;
		s->start += (size_t)n;
		s->st.by_type[p[5] < 7 ? p[5] : 7]++;
		if (bmp_msg_decode(&s->msg, p, (size_t)n, &s->diag) < 0) {
			flush_diag(s, 0);
			s->st.msgs_bad++;
			continue;
		}
		flush_diag(s, 0);
		s->have_msg = 1;
		switch (s->msg.type) {
		case BMP_ROUTE_MONITORING:
			start_update(s);
			break;
		case BMP_PEER_UP:
			peer_up(s, &s->msg);
			s->phase = PH_STATE;
			break;
		case BMP_PEER_DOWN:
			peer_down(s, &s->msg);
			s->phase = PH_STATE;
			break;
		default:
			break;
		}
		*out = &s->msg;
		return 1;
	}
}

int
bmp_session_eor(const struct bmp_session *s, uint16_t *afi, uint8_t *safi)
{
	if (!s->have_msg || !s->eor)
		return 0;
	*afi = s->eor_afi;
	*safi = s->eor_safi;
	return 1;
}

int
bmp_session_next_elem(struct bmp_session *s, const struct vg_elem **out)
{
	struct vg_elem *e = &s->e;
	const struct bgp_attrs *a = &s->upd.attrs;

	if (!s->have_msg)
		return 0;
	if (s->phase == PH_STATE) {
		elem_common(s);
		e->type = VG_ELEM_STATE;
		e->flags = VG_ELEM_F_BMP;
		if (s->msg.type == BMP_PEER_UP) {
			e->old_state = VG_STATE_IDLE;
			e->new_state = VG_STATE_ESTABLISHED;
		} else {
			e->old_state = VG_STATE_ESTABLISHED;
			e->new_state = VG_STATE_IDLE;
		}
		e->attrs = NULL;
		e->path = NULL;
		e->nexthop.afi = 0;
		memset(&e->prefix, 0, sizeof(e->prefix));
		s->phase = PH_NONE;
		s->st.elems++;
		*out = e;
		return 1;
	}
	while (s->phase != PH_NONE && s->phase != PH_STATE) {
		uint32_t pid;
		int rc = nlri_next(&s->it, &e->prefix, &pid, &s->src, &s->diag);
		if (rc < 0) {
			flush_diag(s, s->upd_base);
			continue;
		}
		if (rc > 0) {
			e->path_id = pid;
			e->flags = (uint8_t)(VG_ELEM_F_BMP |
			                     (s->it.addpath ? VG_ELEM_F_PATH_ID : 0));
			switch (s->phase) {
			case PH_WITHDRAW:
				e->type = VG_ELEM_WITHDRAW;
				e->nexthop.afi = 0;
				break;
			case PH_MP_WITHDRAW:
				e->type = VG_ELEM_WITHDRAW;
				e->flags |= VG_ELEM_F_MP;
				e->nexthop.afi = 0;
				break;
			case PH_ANNOUNCE:
				e->type = s->taw ? VG_ELEM_WITHDRAW : VG_ELEM_ANNOUNCE;
				e->nexthop = s->nh_classic;
				break;
			default:
				e->type = s->taw ? VG_ELEM_WITHDRAW : VG_ELEM_ANNOUNCE;
				e->flags |= VG_ELEM_F_MP;
				e->nexthop = s->nh_mp;
				break;
			}
			if (s->taw && (s->phase == PH_ANNOUNCE ||
			               s->phase == PH_MP_ANNOUNCE))
				e->flags |= VG_ELEM_F_TAW;
			if (e->type == VG_ELEM_WITHDRAW) {
				e->attrs = NULL;
				e->path = NULL;
			} else {
				e->attrs = a;
				e->path = &s->path;
			}
			s->st.elems++;
			*out = e;
			return 1;
		}
		switch (s->phase) {
		case PH_WITHDRAW:
			s->phase = PH_MP_WITHDRAW;
			if (BGP_HAS(a, BGP_ATTR_MP_UNREACH_NLRI)) {
				nlri_init(&s->it, a->mp_unreach.nlri, a->mp_unreach.afi,
				          a->mp_unreach.safi,
				          s->ap_mask & ap_bit(a->mp_unreach.afi,
				                              a->mp_unreach.safi),
				          1,
				          s->upd.attrs_off +
				              (uint32_t)(a->mp_unreach.nlri.p - a->all.p));
				continue;
			}
			/* fall through */
		case PH_MP_WITHDRAW:
			s->phase = PH_ANNOUNCE;
			nlri_init(&s->it, s->upd.nlri, 1, 1, s->ap_mask & ap_bit(1, 1),
			          s->taw, s->upd.nlri_off);
			continue;
		case PH_ANNOUNCE:
			s->phase = PH_MP_ANNOUNCE;
			if (BGP_HAS(a, BGP_ATTR_MP_REACH_NLRI)) {
				nlri_init(&s->it, a->mp_reach.nlri, a->mp_reach.afi,
				          a->mp_reach.safi,
				          s->ap_mask & ap_bit(a->mp_reach.afi,
				                              a->mp_reach.safi),
				          0,
				          s->upd.attrs_off +
				              (uint32_t)(a->mp_reach.nlri.p - a->all.p));
				continue;
			}
			/* fall through */
		default:
			s->phase = PH_NONE;
			break;
		}
	}
	return 0;
}
