/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The scenario builder: clone the source table to N peers, write the
 * bview, then play the scheduled actions in time order into 5-minute
 * BGP4MP_ET update files.  Per (peer, prefix) it keeps only an attribute
 * id and a byte of state (carried, churn-down, hold count); a route is
 * visible to the collector when it is carried, not held, not down, the
 * session is up and, during a table (re-)send after a session comes up,
 * the send has reached it.  Actions of one peer at one instant are applied
 * together and what changed goes out as UPDATEs packed like a router
 * would (withdrawals, then announcements grouped by attribute set).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "vigil/vec.h"
#include "vigil/mrt_write.h"
#include "scenario_impl.h"

#define US 1000000LL
#define RESEND_STEP_US 300 /* one UPDATE of a table send every 300 us */
#define RIB_ATTR_CAP 8192

struct touch {
	uint32_t pfx;
	uint32_t attr_before;
	uint8_t vis_before;
	uint8_t force;
};

struct ann {
	uint32_t attr;
	uint32_t pfx;
};

/* Room for one peer's path: the tail plus the peer's own AS. */
struct path_buf {
	uint32_t asn[1100];
	uint8_t type[300];
	uint32_t len[300];
};

/* Everything the play loop needs beyond struct scn_builder. */
struct player {
	struct scn_builder *b;
	struct scenario_stats *st;
	struct mrt_rotor *rot[MAX_COLLECTORS];
	const char *outdir;
	char *err;
	size_t errlen;
	uint32_t *epoch, *tpos, now;
	struct touch *touched;
	uint32_t ntouched, cap_touched;
	struct vg_prefix *plist;
	uint32_t cap_plist;
	struct ann *alist;
	uint32_t cap_alist;
	uint32_t *run, *runpos;
	uint8_t msg[BGP_MAX_MSG_LEN];
	struct path_buf pb;
};

static double
now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t
idx(const struct scn_builder *b, uint32_t p, uint32_t i)
{
	return (size_t)p * b->P + i;
}

/* Is route I of peer P what the collector currently has? */
static int
visible(const struct scn_builder *b, uint32_t p, uint32_t i)
{
	const struct scn_peer *pe = &b->peers[p];
	uint8_t s = b->st[idx(b, p, i)];

	if (s != SCN_CARRIED || !pe->up)
		return 0;
	if (pe->gen_active && pe->gen_initial && b->rank[i] >= pe->gen_cursor)
		return 0;
	return 1;
}

static void
session_of(const struct scn_builder *b, uint32_t p, struct mrt_session_id *s)
{
	memset(s, 0, sizeof(*s));
	s->peer_asn = b->peers[p].asn;
	s->local_asn = b->local_asn;
	s->peer_addr = b->peers[p].addr;
	s->local_addr =
	    b->peers[p].addr.afi == VG_AFI_IP6 ? b->local6 : b->local4;
}

/* The collector of peer P (peers are dealt round-robin). */
static unsigned
coll_of(const struct scn_builder *b, uint32_t p)
{
	unsigned n = b->spec->collectors ? b->spec->collectors : 1;
	return p % n;
}

static struct mrt_writer *
writer_at(struct player *pl, uint32_t p, int64_t t_us)
{
	return mrt_rotor_at(pl->rot[coll_of(pl->b, p)], t_us / US, 1, pl->err,
	                    pl->errlen);
}

/* Every collector's update file for T exists. */
static int
writers_at(struct player *pl, int64_t t_us)
{
	unsigned n = pl->b->spec->collectors ? pl->b->spec->collectors : 1;
	for (unsigned c = 0; c < n; c++)
		if (writer_at(pl, c, t_us) == NULL)
			return -1;
	return 0;
}

static int
write_msg(struct player *pl, uint32_t p, int64_t t, const uint8_t *m,
          int len)
{
	struct mrt_session_id s;
	struct mrt_writer *w = writer_at(pl, p, t);

	if (w == NULL)
		return -1;
	session_of(pl->b, p, &s);
	if (mrt_write_bgp4mp_msg(w, (uint32_t)(t / US), (uint32_t)(t % US), &s,
	                         m, (size_t)len, MRT_WF_ET) < 0) {
		snprintf(pl->err, pl->errlen, "%s", mrt_writer_error(w));
		return -1;
	}
	pl->st->update_messages++;
	return 0;
}

static int
emit_state(struct player *pl, uint32_t p, int64_t t, unsigned o, unsigned n)
{
	struct mrt_session_id s;
	struct mrt_writer *w = writer_at(pl, p, t);

	if (w == NULL)
		return -1;
	session_of(pl->b, p, &s);
	if (mrt_write_bgp4mp_state(w, (uint32_t)(t / US), (uint32_t)(t % US),
	                           &s, (uint16_t)o, (uint16_t)n,
	                           MRT_WF_ET) < 0) {
		snprintf(pl->err, pl->errlen, "%s", mrt_writer_error(w));
		return -1;
	}
	pl->st->state_changes++;
	return 0;
}

static int
emit_withdrawals(struct player *pl, uint32_t p, int64_t t,
                 const struct vg_prefix *list, uint32_t n)
{
	uint32_t done = 0;

	while (done < n) {
		struct bgp_update_msg u = {.withdrawn = list + done,
		                           .n_withdrawn = n - done};
		uint32_t nw, na;
		int len =
		    bgp_update_pack(pl->msg, sizeof(pl->msg), &u, &nw, &na);
		if (len < 0) {
			snprintf(pl->err, pl->errlen,
			         "cannot encode a withdrawal");
			return -1;
		}
		if (write_msg(pl, p, t, pl->msg, len) < 0)
			return -1;
		done += nw;
	}
	pl->st->withdrawals += n;
	return 0;
}

/* The attribute set of ATTR as peer P sends it (path in PB's arrays). */
static void
peer_set(const struct scn_builder *b, struct path_buf *pb, uint32_t p,
         uint32_t attr, struct bgp_attr_set *set, struct bgp_path *path)
{
	const struct scn_attr *a = &b->tab.attrs[attr];

	memset(path, 0, sizeof(*path));
	path->asn = pb->asn;
	path->seg_type = pb->type;
	path->seg_len = pb->len;
	scn_attr_peer_path(a, b->peers[p].asn, path);
	*set = a->set;
	set->path = path;
}

/* Announce LIST[0..N) with ATTR; returns how many went out in the last
 * message built (for the table send), or -1. */
static int
emit_announcements(struct player *pl, uint32_t p, int64_t t, uint32_t attr,
                   const struct vg_prefix *list, uint32_t n, int one_msg,
                   uint32_t *sent)
{
	struct bgp_attr_set set;
	struct bgp_path path;
	uint32_t done = 0;

	peer_set(pl->b, &pl->pb, p, attr, &set, &path);
	while (done < n) {
		struct bgp_update_msg u = {.announced = list + done,
		                           .n_announced = n - done,
		                           .attrs = &set};
		uint32_t nw, na;
		int len =
		    bgp_update_pack(pl->msg, sizeof(pl->msg), &u, &nw, &na);
		if (len < 0) {
			char ps[VG_PREFIX_STRLEN];
			snprintf(pl->err, pl->errlen,
			         "cannot encode an announcement of %s (no next "
			         "hop for its family?)",
			         vg_prefix_str(&list[done], ps));
			return -1;
		}
		if (write_msg(pl, p, t, pl->msg, len) < 0)
			return -1;
		done += na;
		if (one_msg)
			break;
	}
	pl->st->announcements += done;
	*sent = done;
	return 0;
}


static int
ann_cmp(const void *va, const void *vb)
{
	const struct ann *a = va, *b = vb;
	if (a->attr != b->attr)
		return a->attr < b->attr ? -1 : 1;
	return a->pfx < b->pfx ? -1 : a->pfx > b->pfx;
}

/* Send what changed for the touched prefixes of peer P at T. */
static int
flush_touched(struct player *pl, uint32_t p, int64_t t)
{
	struct scn_builder *b = pl->b;
	uint32_t nw = 0, na = 0;

	if (pl->ntouched == 0)
		return 0;
	if (vg_grow((void **)&pl->plist, &pl->cap_plist, pl->ntouched,
	         sizeof(*pl->plist)) < 0 ||
	    vg_grow((void **)&pl->alist, &pl->cap_alist, pl->ntouched,
	         sizeof(*pl->alist)) < 0)
		goto oom;
	for (uint32_t k = 0; k < pl->ntouched; k++) {
		const struct touch *x = &pl->touched[k];
		int vis = visible(b, p, x->pfx);
		uint32_t attr = b->cur[idx(b, p, x->pfx)];
		if (x->vis_before && !vis)
			pl->plist[nw++] = b->tab.pfx[x->pfx].p;
		else if (vis && (!x->vis_before || attr != x->attr_before ||
		                 x->force)) {
			pl->alist[na].attr = attr;
			pl->alist[na++].pfx = x->pfx;
		}
	}
	pl->ntouched = 0;
	if (nw && emit_withdrawals(pl, p, t, pl->plist, nw) < 0)
		return -1;
	if (na == 0)
		return 0;
	qsort(pl->alist, na, sizeof(*pl->alist), ann_cmp);
	for (uint32_t k = 0; k < na;) {
		uint32_t e = k, attr = pl->alist[k].attr, sent;
		while (e < na && pl->alist[e].attr == attr) {
			pl->plist[e - k] = b->tab.pfx[pl->alist[e].pfx].p;
			if (b->since)
				b->since[idx(b, p, pl->alist[e].pfx)] =
				    (uint32_t)(t / US);
			e++;
		}
		if (emit_announcements(pl, p, t, attr, pl->plist, e - k, 0,
		                       &sent) < 0)
			return -1;
		k = e;
	}
	return 0;
oom:
	snprintf(pl->err, pl->errlen, "out of memory");
	return -1;
}

static int
touch(struct player *pl, uint32_t p, uint32_t i)
{
	struct scn_builder *b = pl->b;
	struct touch *x;

	if (pl->epoch[i] == pl->now)
		return (int)pl->tpos[i];
	if (vg_grow((void **)&pl->touched, &pl->cap_touched, pl->ntouched + 1,
	         sizeof(*pl->touched)) < 0)
		return -1;
	pl->epoch[i] = pl->now;
	pl->tpos[i] = pl->ntouched;
	x = &pl->touched[pl->ntouched++];
	x->pfx = i;
	x->attr_before = b->cur[idx(b, p, i)];
	x->vis_before = (uint8_t)visible(b, p, i);
	x->force = 0;
	return (int)pl->tpos[i];
}

static void
new_batch(struct player *pl)
{
	if (++pl->now == 0) { /* wrapped: forget every old mark */
		memset(pl->epoch, 0, (size_t)pl->b->P * sizeof(*pl->epoch));
		pl->now = 1;
	}
	pl->ntouched = 0;
}

static void
gen_start(struct scn_builder *b, uint32_t p, int64_t t, int initial)
{
	struct scn_peer *pe = &b->peers[p];

	if (pe->gen_active && pe->gen_initial)
		return; /* the initial send already covers everything */
	pe->gen_active = 1;
	pe->gen_initial = initial;
	pe->gen_cursor = 0;
	pe->gen_next = t;
}

/* Apply the actions [FROM, TO) (one peer, one instant). */
static int
play_batch(struct player *pl, size_t from, size_t to)
{
	struct scn_builder *b = pl->b;
	uint32_t p = b->act[from].peer;
	int64_t t = b->act[from].t;
	struct scn_peer *pe = &b->peers[p];

	new_batch(pl);
	for (size_t k = from; k < to; k++) {
		const struct scn_action *a = &b->act[k];
		uint8_t *s;
		int pos;

		if (a->op == SCN_STATE || a->op == SCN_RESEND) {
			unsigned o = a->arg >> 8, n = a->arg & 0xff;
			if (flush_touched(pl, p, t) < 0)
				return -1;
			new_batch(pl);
			if (a->op == SCN_RESEND) {
				if (pe->up)
					gen_start(b, p, t, 0);
				continue;
			}
			if (emit_state(pl, p, t, o, n) < 0)
				return -1;
			if (o == VG_STATE_ESTABLISHED) {
				pe->up = 0;
				pe->gen_active = 0;
			}
			if (n == VG_STATE_ESTABLISHED) {
				pe->up = 1;
				pe->established = (uint32_t)(t / US);
				/* the table follows about a second later */
				gen_start(b, p, t + US, 1);
			}
			continue;
		}
		if ((pos = touch(pl, p, a->pfx)) < 0) {
			snprintf(pl->err, pl->errlen, "out of memory");
			return -1;
		}
		s = &b->st[idx(b, p, a->pfx)];
		switch (a->op) {
		case SCN_HOLD_ON:
			if ((*s >> 2) < SCN_HOLD_MAX)
				*s = (uint8_t)(*s + SCN_HOLD1);
			break;
		case SCN_HOLD_OFF:
			if ((*s >> 2) > 0)
				*s = (uint8_t)(*s - SCN_HOLD1);
			break;
		case SCN_CHURN_DOWN:
			*s |= SCN_CDOWN;
			break;
		case SCN_CHURN_UP:
			*s &= (uint8_t)~SCN_CDOWN;
			break;
		case SCN_SET_ATTR:
			b->cur[idx(b, p, a->pfx)] = a->arg;
			break;
		case SCN_REANNOUNCE:
			pl->touched[pos].force = 1;
			break;
		}
	}
	return flush_touched(pl, p, t);
}

/* One UPDATE of peer P's table send. */
static int
gen_step(struct player *pl, uint32_t p)
{
	struct scn_builder *b = pl->b;
	struct scn_peer *pe = &b->peers[p];
	int64_t t = pe->gen_next;
	uint32_t n = 0, attr = 0, c, sent;
	const uint32_t RUNMAX = 1200;

	for (c = pe->gen_cursor; c < b->P && n < RUNMAX; c++) {
		uint32_t i = b->order[c];
		size_t j = idx(b, p, i);
		if (b->st[j] != SCN_CARRIED)
			continue;
		if (n == 0)
			attr = b->cur[j];
		else if (b->cur[j] != attr)
			break;
		pl->run[n] = i;
		pl->runpos[n++] = c;
	}
	if (n == 0) {
		pe->gen_active = 0;
		pe->gen_initial = 0;
		return 0;
	}
	if (vg_grow((void **)&pl->plist, &pl->cap_plist, n,
	         sizeof(*pl->plist)) < 0) {
		snprintf(pl->err, pl->errlen, "out of memory");
		return -1;
	}
	for (uint32_t k = 0; k < n; k++)
		pl->plist[k] = b->tab.pfx[pl->run[k]].p;
	if (emit_announcements(pl, p, t, attr, pl->plist, n, 1, &sent) < 0)
		return -1;
	if (b->since)
		for (uint32_t k = 0; k < sent; k++)
			b->since[idx(b, p, pl->run[k])] = (uint32_t)(t / US);
	pe->gen_cursor = pl->runpos[sent - 1] + 1;
	pe->gen_next = t + RESEND_STEP_US;
	if (pe->gen_cursor >= b->P) {
		pe->gen_active = 0;
		pe->gen_initial = 0;
	}
	return 0;
}

/* ---- the bview ----------------------------------------------------------- */

/*
 * One RIB dump.  The dump at the start only needs what play() never
 * changes (the table, the carried bits, the peers' identities), so it runs
 * in a helper thread while the updates are written: zlib is most of the
 * work and that puts it on a second core.  Later dumps (rib-interval) read
 * the live state and run inline.
 */
struct rib_job {
	const struct scn_builder *b;
	int64_t t;
	int initial;           /* the start: every carried route, table attrs */
	const uint8_t *st0;    /* initial: a copy of the carried bits */
	uint32_t *established; /* initial: per peer, copied */
	const char *outdir;
	uint64_t entries, bytes;
	double sec;            /* time it took */
	char name[64];
	int rc;
	char err[256];
	struct path_buf pb;
};

static void *
rib_run(void *arg)
{
	struct rib_job *j = arg;
	const struct scn_builder *b = j->b;
	const struct scenario_spec *s = b->spec;
	struct mrt_writer_opts wo = {.gzip = s->gzip, .level = s->level,
	                             .atomic = 1};
	struct mrt_peer *mp = calloc(b->np, sizeof(*mp));
	struct mrt_rib_entry *ent = calloc(b->np, sizeof(*ent));
	uint8_t *abuf = malloc((size_t)b->np * RIB_ATTR_CAP);
	uint32_t *cache = malloc((size_t)b->np * sizeof(*cache));
	uint16_t *clen = malloc((size_t)b->np * sizeof(*clen));
	char fpath[4096];
	struct mrt_writer *w = NULL;
	double t0 = now_sec();

	j->rc = -1;
	if (mp == NULL || ent == NULL || abuf == NULL || cache == NULL ||
	    clen == NULL) {
		snprintf(j->err, sizeof(j->err), "out of memory");
		goto out;
	}
	mrt_ris_file_name(j->name, sizeof(j->name), MRT_RIS_BVIEW, j->t,
	                  s->gzip ? ".gz" : "");
	unsigned ncoll = s->collectors ? s->collectors : 1;
	for (unsigned c = 0; c < ncoll; c++) {
	uint32_t nlocal = 0;
	if (ncoll > 1)
		snprintf(fpath, sizeof(fpath), "%s/rrc%02u/%s", j->outdir, c,
		         j->name);
	else
		snprintf(fpath, sizeof(fpath), "%s/%s", j->outdir, j->name);
	if ((w = mrt_writer_open(fpath, &wo, j->err, sizeof(j->err))) == NULL)
		goto out;
	for (uint32_t p = 0; p < b->np; p++) {
		cache[p] = 0;
		if (coll_of(b, p) != c)
			continue;
		memcpy(mp[nlocal].bgp_id, b->peers[p].bgp_id, 4);
		mp[nlocal].addr = b->peers[p].addr;
		mp[nlocal].asn = b->peers[p].asn;
		nlocal++;
	}
	mrt_write_peer_index(w, (uint32_t)j->t, b->collector_id, NULL, mp,
	                     nlocal);
	for (uint32_t i = 0; i < b->P; i++) {
		const struct vg_prefix *pfx = &b->tab.pfx[i].p;
		uint32_t n = 0;
		for (uint32_t p = 0; p < b->np; p++) {
			uint8_t *ab = abuf + (size_t)p * RIB_ATTR_CAP;
			uint32_t attr;
			if (coll_of(b, p) != c)
				continue;
			if (j->initial) {
				if (j->st0[idx(b, p, i)] != SCN_CARRIED)
					continue;
				attr = b->tab.pfx[i].attr;
			} else {
				if (!visible(b, p, i))
					continue;
				attr = b->cur[idx(b, p, i)];
			}
			/* consecutive prefixes often share a set: encode
			 * each peer's once */
			if (cache[p] != attr) {
				struct bgp_attr_set set;
				struct bgp_path path;
				int l;
				peer_set(b, &j->pb, p, attr, &set, &path);
				l = bgp_attrs_encode(ab, RIB_ATTR_CAP, &set,
				                     pfx->afi == VG_AFI_IP6
				                         ? BGP_ENC_MRT_MP
				                         : 0);
				if (l < 0) {
					char ps[VG_PREFIX_STRLEN];
					vg_prefix_str(pfx, ps);
					snprintf(j->err, sizeof(j->err),
					         "cannot encode the RIB "
					         "entry of %s", ps);
					goto out;
				}
				cache[p] = attr;
				clen[p] = (uint16_t)l;
			}
			ent[n].peer_index = (uint16_t)(p / ncoll);
			ent[n].originated =
			    j->initial ? j->established[p]
			    : b->since ? b->since[idx(b, p, i)]
			               : b->peers[p].established;
			ent[n].attrs = ab;
			ent[n].attrs_len = clen[p];
			n++;
		}
		if (n && mrt_write_rib(w, (uint32_t)j->t, pfx, ent, n, 0) < 0)
			break;
		j->entries += n;
	}
	j->bytes += mrt_writer_bytes(w);
	if (c + 1 < ncoll) {
		if (mrt_writer_close(w, j->err, sizeof(j->err)) < 0) {
			w = NULL;
			goto out;
		}
		w = NULL;
	}
	}
	j->rc = mrt_writer_close(w, j->err, sizeof(j->err));
	j->sec = now_sec() - t0;
	w = NULL;
out:
	if (w)
		mrt_writer_close(w, NULL, 0);
	free(mp);
	free(ent);
	free(abuf);
	free(cache);
	free(clen);
	return NULL;
}

/* Account for a finished dump J; 0, or -1 with the error in pl->err. */
static int
rib_done(struct player *pl, const struct rib_job *j)
{
	struct scn_builder *b = pl->b;
	char **nb;

	if (j->rc < 0) {
		snprintf(pl->err, pl->errlen, "%s", j->err);
		return -1;
	}
	pl->st->rib_entries += j->entries;
	pl->st->bytes_raw += j->bytes;
	pl->st->rib_files++;
	nb = realloc(b->bviews, (b->n_bviews + 1) * sizeof(*nb));
	if (nb == NULL || (nb[b->n_bviews] = strdup(j->name)) == NULL) {
		if (nb)
			b->bviews = nb;
		snprintf(pl->err, pl->errlen, "out of memory");
		return -1;
	}
	b->bviews = nb;
	b->n_bviews++;
	return 0;
}

/* A dump of the live state at T (rib-interval). */
static int
write_rib(struct player *pl, int64_t t)
{
	struct rib_job *j = calloc(1, sizeof(*j));
	int rc;

	if (j == NULL) {
		snprintf(pl->err, pl->errlen, "out of memory");
		return -1;
	}
	j->b = pl->b;
	j->t = t;
	j->outdir = pl->outdir;
	rib_run(j);
	rc = rib_done(pl, j);
	free(j);
	return rc;
}

/* ---- setup --------------------------------------------------------------- */

static int
act_cmp(const void *va, const void *vb)
{
	const struct scn_action *a = va, *b = vb;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->peer != b->peer)
		return a->peer < b->peer ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void
setup_peers(struct scn_builder *b)
{
	const struct scenario_spec *s = b->spec;

	for (uint32_t i = 0; i < b->np; i++) {
		struct scn_peer *pe = &b->peers[i];
		uint32_t n = i + 1;
		/* default ASNs: the RFC 5398 documentation range 65536-65551,
		 * then the RFC 6996 private 4200000000+: real tables carry
		 * 16-bit private ASNs (64512+) as origins, which a peer
		 * numbered the same would be confused with */
		pe->asn = i < s->n_peer_asns ? s->peer_asns[i]
		          : i < 16          ? 65536 + i
		                            : 4200000000u + i;
		memset(&pe->addr, 0, sizeof(pe->addr));
		if (i >= b->np - s->v6_peers) {
			/* 2001:db8::N (RFC 3849) */
			static const uint8_t pre[4] = {0x20, 0x01, 0x0d, 0xb8};
			pe->addr.afi = VG_AFI_IP6;
			memcpy(pe->addr.addr, pre, 4);
			pe->addr.addr[14] = (uint8_t)(n >> 8);
			pe->addr.addr[15] = (uint8_t)n;
		} else {
			/* 192.0.2.N, then 198.51.100.N (RFC 5737) */
			pe->addr.afi = VG_AFI_IP4;
			if (n <= 250) {
				pe->addr.addr[0] = 192;
				pe->addr.addr[2] = 2;
				pe->addr.addr[3] = (uint8_t)n;
			} else {
				pe->addr.addr[0] = 198;
				pe->addr.addr[1] = 51;
				pe->addr.addr[2] = 100;
				pe->addr.addr[3] = (uint8_t)(n - 250);
			}
		}
		/* BGP IDs in 198.18.0.0/15 (RFC 2544) */
		pe->bgp_id[0] = 198;
		pe->bgp_id[1] = 18;
		pe->bgp_id[2] = (uint8_t)(n >> 8);
		pe->bgp_id[3] = (uint8_t)n;
		pe->full = i < b->np - s->partial_peers;
		pe->up = 1;
		/* sessions up for a few days already */
		pe->established = (uint32_t)(s->start - 86400 * (1 + i % 7) -
		                             (int64_t)(i * 3571u % 86400u));
	}
	/* the collector: 203.0.113.254, 2001:db8:ffff::fe, AS64496 */
	memset(&b->local4, 0, sizeof(b->local4));
	b->local4.afi = VG_AFI_IP4;
	b->local4.addr[0] = 203;
	b->local4.addr[2] = 113;
	b->local4.addr[3] = 254;
	memcpy(b->collector_id, b->local4.addr, 4);
	memset(&b->local6, 0, sizeof(b->local6));
	b->local6.afi = VG_AFI_IP6;
	b->local6.addr[0] = 0x20;
	b->local6.addr[1] = 0x01;
	b->local6.addr[2] = 0x0d;
	b->local6.addr[3] = 0xb8;
	b->local6.addr[4] = 0xff;
	b->local6.addr[5] = 0xff;
	b->local6.addr[15] = 0xfe;
	b->local_asn = 64496;
}

static int
setup_state(struct scn_builder *b)
{
	const struct scenario_spec *s = b->spec;
	size_t n = (size_t)b->np * b->P;
	struct scn_rng r;
	uint32_t *cnt;

	b->cur = malloc(n * sizeof(*b->cur));
	b->st = malloc(n);
	b->order = malloc((size_t)b->P * sizeof(*b->order));
	b->rank = malloc((size_t)b->P * sizeof(*b->rank));
	b->excluded = calloc(b->P, 1);
	b->evo = calloc(s->n_events ? s->n_events : 1, sizeof(*b->evo));
	if (s->rib_interval)
		b->since = malloc(n * sizeof(*b->since));
	if (!b->cur || !b->st || !b->order || !b->rank || !b->excluded ||
	    !b->evo || (s->rib_interval && !b->since))
		return -1;
	b->mem += n * (sizeof(*b->cur) + 1 + (b->since ? 4 : 0)) +
	          (size_t)b->P * 9;
	scn_rng_seed(&r, s->seed, 0xa1a1a1a1u);
	for (uint32_t p = 0; p < b->np; p++) {
		struct scn_peer *pe = &b->peers[p];
		for (uint32_t i = 0; i < b->P; i++) {
			size_t j = idx(b, p, i);
			int has = pe->full ||
			          scn_rng_unit(&r) < s->partial_fraction;
			b->cur[j] = b->tab.pfx[i].attr;
			b->st[j] = has ? SCN_CARRIED : 0;
			if (b->since)
				b->since[j] = pe->established;
			pe->carried += has;
		}
	}
	/* table send order: grouped by attribute set, as routers send it
	 * (a counting sort on the set id) */
	if ((cnt = calloc(b->tab.n_attrs + 1, sizeof(*cnt))) == NULL)
		return -1;
	for (uint32_t i = 0; i < b->P; i++)
		cnt[b->tab.pfx[i].attr + 1]++;
	for (uint32_t a = 1; a <= b->tab.n_attrs; a++)
		cnt[a] += cnt[a - 1];
	for (uint32_t i = 0; i < b->P; i++) {
		uint32_t pos = cnt[b->tab.pfx[i].attr]++;
		b->order[pos] = i;
		b->rank[i] = pos;
	}
	free(cnt);
	return 0;
}

static void
builder_free(struct scn_builder *b)
{
	if (b->evo)
		for (uint32_t i = 0; i < b->spec->n_events; i++) {
			free(b->evo[i].pfx);
			free(b->evo[i].peers);
		}
	for (uint32_t i = 0; i < b->n_bviews; i++)
		free(b->bviews[i]);
	free(b->bviews);
	free(b->evo);
	free(b->act);
	free(b->cur);
	free(b->st);
	free(b->since);
	free(b->order);
	free(b->rank);
	free(b->excluded);
	free(b->peers);
	scn_table_free(&b->tab);
}

static void
progress_msg(scenario_progress_fn fn, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
progress_msg(scenario_progress_fn fn, void *ctx, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(ctx, msg);
}

/* ---- the play loop ------------------------------------------------------- */

static int
play(struct player *pl)
{
	struct scn_builder *b = pl->b;
	const struct scenario_spec *s = b->spec;
	int64_t next_rib = s->rib_interval
	                       ? b->start_us + (int64_t)s->rib_interval * US
	                       : INT64_MAX;
	size_t ai = 0;

	/* the first update file exists even if nothing happens in it */
	if (writers_at(pl, b->start_us) < 0)
		return -1;
	for (;;) {
		int64_t ts = ai < b->nact ? b->act[ai].t : INT64_MAX;
		int64_t tg = INT64_MAX;
		uint32_t gp = 0;

		for (uint32_t p = 0; p < b->np; p++)
			if (b->peers[p].gen_active &&
			    b->peers[p].gen_next < tg) {
				tg = b->peers[p].gen_next;
				gp = p;
			}
		int64_t tn = ts < tg ? ts : tg;
		if (tn >= b->end_us)
			break;
		if (next_rib <= tn) {
			if (write_rib(pl, next_rib / US) < 0)
				return -1;
			next_rib += (int64_t)s->rib_interval * US;
			continue;
		}
		if (tg < ts) {
			if (gen_step(pl, gp) < 0)
				return -1;
			continue;
		}
		size_t aj = ai + 1;
		while (aj < b->nact && b->act[aj].t == ts &&
		       b->act[aj].peer == b->act[ai].peer)
			aj++;
		if (play_batch(pl, ai, aj) < 0)
			return -1;
		ai = aj;
	}
	while (next_rib < b->end_us) {
		if (write_rib(pl, next_rib / US) < 0)
			return -1;
		next_rib += (int64_t)s->rib_interval * US;
	}
	/* files up to the end, even if the last bins are empty */
	if (writers_at(pl, b->end_us - 1) < 0)
		return -1;
	return 0;
}

int
scenario_build(const struct scenario_spec *s, const char *outdir,
               struct scenario_stats *stp, scenario_progress_fn progress,
               void *ctx, char *err, size_t errlen)
{
	struct scn_builder b;
	struct scenario_stats st;
	struct player pl;
	struct mrt_writer_opts wo = {.gzip = s->gzip, .level = s->level};
	double t0 = now_sec(), t1;
	char path[4096];
	int rc = -1, rib_started = 0;
	struct rib_job *rib0 = NULL;
	uint8_t *st0 = NULL;
	pthread_t rib_thread;

	memset(&b, 0, sizeof(b));
	memset(&st, 0, sizeof(st));
	memset(&pl, 0, sizeof(pl));
	b.spec = s;
	b.start_us = s->start * US;
	b.end_us = (s->start + (int64_t)s->duration) * US;
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", outdir,
		         strerror(errno));
		return -1;
	}
	/* peers dealt over several collectors: one directory each, named
	 * like RIS collectors so replay tells them apart */
	unsigned ncoll = s->collectors ? s->collectors : 1;
	char cdir[MAX_COLLECTORS][4096];
	for (unsigned c = 0; c < ncoll; c++) {
		if (ncoll == 1) {
			snprintf(cdir[c], sizeof(cdir[c]), "%s", outdir);
			continue;
		}
		snprintf(cdir[c], sizeof(cdir[c]), "%s/rrc%02u", outdir, c);
		if (mkdir(cdir[c], 0755) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", cdir[c],
			         strerror(errno));
			return -1;
		}
	}

	progress_msg(progress, ctx, "reading %s", s->source);
	if (scn_table_load(&b.tab, s->source, &s->source_peer, err, errlen) < 0)
		return -1;
	b.P = b.tab.n;
	b.np = s->n_peers;
	st.source_elems = b.tab.elems;
	st.prefixes = b.P;
	for (uint32_t i = 0; i < b.P; i++)
		st.prefixes_v6 += b.tab.pfx[i].p.afi == VG_AFI_IP6;
	st.source_peer = b.tab.peer;
	st.source_peer_asn = b.tab.peer_asn;
	st.attr_sets = b.tab.n_attrs ? b.tab.n_attrs - 1 : 0;
	t1 = now_sec();
	st.sec_load = t1 - t0;
	{
		char a[VG_ADDR_STRLEN];
		progress_msg(progress, ctx,
		             "source peer %s AS%u: %u prefixes, %u attribute "
		             "sets (%.1f s)",
		             vg_addr_str(&b.tab.peer, a), b.tab.peer_asn, b.P,
		             st.attr_sets, st.sec_load);
	}

	if ((b.peers = calloc(b.np, sizeof(*b.peers))) == NULL)
		goto oom;
	setup_peers(&b);
	if (setup_state(&b) < 0)
		goto oom;
	if (scn_schedule(&b, err, errlen) < 0)
		goto out;
	qsort(b.act, b.nact, sizeof(*b.act), act_cmp);
	st.actions = b.nact;
	st.churn_events = b.churn_events;
	b.mem += b.capact * sizeof(*b.act);

	/* the player's scratch */
	pl.b = &b;
	pl.st = &st;
	pl.outdir = outdir;
	pl.err = err;
	pl.errlen = errlen;
	pl.now = 0;
	pl.epoch = calloc(b.P, sizeof(*pl.epoch));
	pl.tpos = malloc((size_t)b.P * sizeof(*pl.tpos));
	pl.run = malloc(1200 * sizeof(*pl.run));
	pl.runpos = malloc(1200 * sizeof(*pl.runpos));
	if (!pl.epoch || !pl.tpos || !pl.run || !pl.runpos)
		goto oom;
	b.mem += (size_t)b.P * 8;

	progress_msg(progress, ctx,
	             "writing the bview (%u peers x %u prefixes) and the "
	             "updates (%zu actions, %llu of them churn)",
	             b.np, b.P, b.nact, (unsigned long long)b.churn_events);
	/* the initial bview, on its own core */
	if ((rib0 = calloc(1, sizeof(*rib0))) == NULL ||
	    (rib0->established = malloc(b.np * sizeof(uint32_t))) == NULL ||
	    (st0 = malloc((size_t)b.np * b.P)) == NULL)
		goto oom;
	memcpy(st0, b.st, (size_t)b.np * b.P);
	for (uint32_t p = 0; p < b.np; p++)
		rib0->established[p] = b.peers[p].established;
	rib0->b = &b;
	rib0->t = s->start;
	rib0->initial = 1;
	rib0->st0 = st0;
	rib0->outdir = outdir;
	if (pthread_create(&rib_thread, NULL, rib_run, rib0) != 0) {
		rib_run(rib0); /* no thread: do it here */
		st.sec_rib = rib0->sec;
	} else {
		rib_started = 1;
	}
	if (!rib_started && rib_done(&pl, rib0) < 0)
		goto out;

	for (unsigned c = 0; c < ncoll; c++) {
		pl.rot[c] = mrt_rotor_new(cdir[c], MRT_RIS_UPDATE_INTERVAL, &wo);
		if (pl.rot[c] == NULL)
			goto oom;
	}
	t1 = now_sec();
	if (play(&pl) < 0)
		goto out;
	for (unsigned c = 0; c < ncoll; c++) {
		st.bytes_raw += mrt_rotor_bytes(pl.rot[c]);
		int cr = mrt_rotor_close(pl.rot[c], err, errlen);
		pl.rot[c] = NULL;
		if (cr < 0)
			goto out;
	}
	st.sec_updates = now_sec() - t1;
	if (rib_started) {
		pthread_join(rib_thread, NULL);
		rib_started = 0;
		st.sec_rib = rib0->sec;
		if (rib_done(&pl, rib0) < 0)
			goto out;
		/* the start's bview comes first in the list */
		if (b.n_bviews > 1) {
			char *first = b.bviews[b.n_bviews - 1];
			memmove(b.bviews + 1, b.bviews,
			        (b.n_bviews - 1) * sizeof(*b.bviews));
			b.bviews[0] = first;
		}
	}
	{
		int64_t first = s->start - s->start % MRT_RIS_UPDATE_INTERVAL;
		int64_t last = (b.end_us / US - 1) -
		               (b.end_us / US - 1) % MRT_RIS_UPDATE_INTERVAL;
		const char *sfx = s->gzip ? ".gz" : "";
		mrt_ris_file_name(b.first_update, sizeof(b.first_update),
		                  MRT_RIS_UPDATES, first, sfx);
		mrt_ris_file_name(b.last_update, sizeof(b.last_update),
		                  MRT_RIS_UPDATES, last, sfx);
		b.n_updates =
		    (uint32_t)((last - first) / MRT_RIS_UPDATE_INTERVAL + 1);
		st.update_files = b.n_updates;
	}
	st.mem_bytes = b.mem + scn_table_mem(&b.tab);

	snprintf(path, sizeof(path), "%s/truth.json", outdir);
	if (scn_truth_write(&b, path, &st, err, errlen) < 0)
		goto out;
	rc = 0;
	goto out;

oom:
	snprintf(err, errlen, "out of memory");
out:
	if (rib_started)
		pthread_join(rib_thread, NULL);
	if (rib0)
		free(rib0->established);
	free(rib0);
	free(st0);
	for (unsigned c = 0; c < MAX_COLLECTORS; c++)
		if (pl.rot[c])
			mrt_rotor_close(pl.rot[c], NULL, 0);
	free(pl.epoch);
	free(pl.tpos);
	free(pl.run);
	free(pl.runpos);
	free(pl.touched);
	free(pl.plist);
	free(pl.alist);
	builder_free(&b);
	if (stp)
		*stp = st;
	return rc;
}
