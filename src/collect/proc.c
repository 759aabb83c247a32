/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The collector's processing thread: takes chunks of MRT records from the
 * queue, writes them to the RIS-style archive (updates files per interval,
 * TABLE_DUMP_V2 RIB dumps), decodes them with the same MRT reader `vigil
 * replay` uses (so a replay of the archive sees exactly the elements the
 * live run saw), feeds the observatory, closes bins on the wall clock, and
 * writes signals, events, peers and the metrics snapshot to the store.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collect/collect_impl.h"
#include "vigil/alert.h"
#include "vigil/cursor.h"
#include "vigil/mrt.h"
#include "vigil/mrt_write.h"
#include "vigil/store.h"
#include "vigil/stream.h"

/* Below this many bytes taken at once the processing thread waits
 * PROC_GATHER_NS before taking the next chunk (see proc_main). */
#define PROC_SMALL_CHUNK (64u << 10)
#ifndef PROC_GATHER_NS
#define PROC_GATHER_NS 10000000L
#endif

struct ev_seen {
	uint64_t id;
	uint8_t level;
	uint8_t closed;
};

struct proc {
	struct collect_cfg cfg; /* copy: strings used, peers not */
	struct cqueue *q;
	pthread_t th;
	int running;
	struct geo_db *geo;
	struct obs *ob;
	struct vg_store *db;
	struct alert *alert;
	struct alert_opts ao;
	int dberr, arcerr;
	/* peers */
	pthread_mutex_t mu;
	struct cpeer **slots;
	unsigned nslots;
	struct cpeer *last;
	/* archive */
	struct mrt_writer *upd;
	int64_t upd_bin;
	uint32_t next_rib;
	/* detection */
	int fed;
	struct ev_seen *evs;
	uint32_t nevs, capevs;
	time_t last_metrics;
	uint32_t last_elem_time;
	uint32_t detect_lag;
	uint32_t gen;           /* attrs_gen across the per-chunk readers */
	/* attribute sets of the routes, for the RIB dumps */
	int keep_attrs;
	uint8_t *ablob;         /* scratch: one set being built */
	uint32_t ac_id;         /* the last UPDATE's set (a reference held) */
	uint32_t ac_gen, ac_pid;
	uint8_t ac_afi, ac_hp;
	int attrs_oom;
	int64_t last_bview_min; /* minute of the last RIB dump's name */
	/* stats */
	atomic_uint_fast64_t elements;
	atomic_uint events_open;
	atomic_uint_fast64_t bins;
	atomic_uint_fast64_t problems;
};

/* ---- archive --------------------------------------------------------- */

static int
mkdirs(const char *path)
{
	char tmp[1200];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* DIR/YYYY.MM/KIND.YYYYMMDD.HHMM.gz for time T (with SECONDS,
 * KIND.YYYYMMDD.HHMMSS.gz); creates the month dir. */
static int
arc_path_s(struct proc *pr, const char *kind, int64_t t, int seconds,
           char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char month[16], name[64];
	gmtime_r(&tt, &tm);
	strftime(month, sizeof(month), "%Y.%m", &tm);
	strftime(name, sizeof(name), seconds ? "%Y%m%d.%H%M%S" : "%Y%m%d.%H%M",
	         &tm);
	if ((size_t)snprintf(buf, len, "%s/%s", pr->cfg.archive, month) >= len)
		return -1;
	if (mkdirs(buf) < 0) {
		clog_printf("event=archive-error error=\"cannot create %s: %s\"",
		            buf, strerror(errno));
		return -1;
	}
	if ((size_t)snprintf(buf, len, "%s/%s/%s.%s.gz", pr->cfg.archive, month,
	                     kind, name) >= len)
		return -1;
	return 0;
}

static int
arc_path(struct proc *pr, const char *kind, int64_t t, char *buf, size_t len)
{
	return arc_path_s(pr, kind, t, 0, buf, len);
}

static void
arc_close_updates(struct proc *pr)
{
	char err[512];
	if (pr->upd == NULL)
		return;
	if (mrt_writer_close(pr->upd, err, sizeof(err)) < 0) {
		clog_printf("event=archive-error error=\"%s\"", err);
		pr->arcerr = 1;
	}
	pr->upd = NULL;
}

static struct mrt_writer *
arc_updates_at(struct proc *pr, uint32_t t)
{
	char path[1200], err[512];
	int64_t bin = t - t % pr->cfg.updates_interval;
	/* ISA-L level 1: 16x less CPU than zlib's level 6 on one-prefix
	 * BGP4MP records (5x less than zlib's 1), files 1.28x larger */
	struct mrt_writer_opts wo = {.gzip = 1, .level = 1, .isal = 1,
	                             .atomic = 1};

	if (pr->upd && bin == pr->upd_bin)
		return pr->upd;
	if (pr->upd && bin < pr->upd_bin)
		return pr->upd; /* the clock went back: keep the file */
	arc_close_updates(pr);
	if (arc_path(pr, "updates", bin, path, sizeof(path)) < 0)
		return NULL;
	if ((pr->upd = mrt_writer_open(path, &wo, err, sizeof(err))) == NULL) {
		clog_printf("event=archive-error error=\"%s\"", err);
		pr->arcerr = 1;
		return NULL;
	}
	pr->upd_bin = bin;
	return pr->upd;
}

/* Write every record of chunk C to the updates files. */
static void
arc_chunk(struct proc *pr, const struct cq_chunk *c)
{
	size_t off = 0;
	while (off + 16 <= c->len) {
		const uint8_t *r = c->data + off;
		uint32_t t = vg_load_be32(r);
		uint16_t type = vg_load_be16(r + 4), sub = vg_load_be16(r + 6);
		uint32_t len = vg_load_be32(r + 8);
		uint32_t usec = vg_load_be32(r + 12);
		struct mrt_writer *w = arc_updates_at(pr, t);
		if (w && mrt_write_record(w, t, usec, type, sub, r + 16,
		                          len - 4) < 0 && !pr->arcerr) {
			clog_printf("event=archive-error error=\"%s\"",
			            mrt_writer_error(w));
			pr->arcerr = 1;
		}
		off += 12 + (size_t)len;
	}
}

/* ---- RIB dumps (bview) ---------------------------------------------- */

/*
 * What the routing state keeps per route (rib_route_set_attrs): a 5-byte
 * header, then the TABLE_DUMP_V2 attribute block mrt_rib_attrs_encode()
 * made from the route's last announcement.  Sets are interned, so routes
 * announced in one UPDATE (and every route with the same attributes and
 * path id) share one copy.
 */
#define SET_HDR 5
#define SET_F_PATH_ID 0x01 /* byte 0: the route has an ADD-PATH path id
                              (bytes 1-4) */
#define SET_F_NONE 0x02    /* the attributes could not be encoded: the
                              dump writes the AS path only */

/* Give the route E announced the set of its attributes.  Called after the
 * observatory applied E; a route the routing state ignored (a default
 * route, say) is left alone. */
static void
keep_route_attrs(struct proc *pr, struct rib *rib, unsigned peer,
                 const struct vg_elem *e)
{
	uint8_t hp = (e->flags & VG_ELEM_F_PATH_ID) != 0;
	uint32_t pid = hp ? e->path_id : 0;

	if (pr->ac_id == 0 || pr->ac_gen != e->attrs_gen ||
	    pr->ac_afi != e->prefix.afi || pr->ac_hp != hp || pr->ac_pid != pid) {
		uint8_t *b = pr->ablob;
		int n;
		if (pr->ac_id)
			rib_attrs_unref(rib, pr->ac_id);
		pr->ac_id = 0;
		struct bgp_path empty = {0};
		n = mrt_rib_attrs_encode(b + SET_HDR, 65535, e->attrs,
		                         e->path ? e->path : &empty,
		                         e->prefix.afi);
		b[0] = (uint8_t)(hp ? SET_F_PATH_ID : 0);
		if (n < 0) {
			b[0] |= SET_F_NONE;
			n = 0;
		}
		vg_store_be32(b + 1, pid);
		pr->ac_id = rib_attrs_intern(rib, b, (uint32_t)n + SET_HDR);
		pr->ac_gen = e->attrs_gen;
		pr->ac_afi = e->prefix.afi;
		pr->ac_hp = hp;
		pr->ac_pid = pid;
	}
	if (pr->ac_id) {
		rib_attrs_ref(rib, pr->ac_id);
		if (rib_route_set_attrs(rib, peer, &e->prefix, pr->ac_id) >= 0)
			return;
	}
	if (!pr->attrs_oom)
		clog_printf("event=error error=\"out of memory for attribute "
		            "sets: RIB dumps carry the AS path only for some "
		            "routes\"");
	pr->attrs_oom = 1;
}

/* The attribute block of a route that has no set: the AS path only, as
 * ORIGIN INCOMPLETE (and, for IPv6, the MP_REACH_NLRI the format needs,
 * with an unspecified next hop).  Length, or -1. */
static int
path_only_attrs(struct rib *rib, uint32_t path, unsigned afi,
                struct bgp_path *bp, uint8_t *buf, size_t cap)
{
	uint32_t na;
	const uint32_t *asns = rib_path_asns(rib, path, &na);
	/* one AS_SEQUENCE segment per 255 ASNs */
	if (na + 1 > bp->cap_asn) {
		uint32_t *a2 = realloc(bp->asn, (na + 1) * sizeof(uint32_t));
		if (a2 == NULL)
			return -1;
		bp->asn = a2;
		bp->cap_asn = na + 1;
	}
	if (na / 255 + 2 > bp->cap_seg) {
		uint32_t ns = na / 255 + 2;
		uint8_t *t2 = realloc(bp->seg_type, ns);
		if (t2 == NULL)
			return -1;
		bp->seg_type = t2;
		uint32_t *l2 = realloc(bp->seg_len, ns * sizeof(uint32_t));
		if (l2 == NULL)
			return -1;
		bp->seg_len = l2;
		bp->cap_seg = ns;
	}
	if (na)
		memcpy(bp->asn, asns, na * sizeof(uint32_t));
	bp->nasn = na;
	bp->nseg = 0;
	for (uint32_t s0 = 0; s0 < na; s0 += 255) {
		bp->seg_type[bp->nseg] = BGP_AS_SEQUENCE;
		bp->seg_len[bp->nseg] = na - s0 < 255 ? na - s0 : 255;
		bp->nseg++;
	}
	struct bgp_attr_set as;
	memset(&as, 0, sizeof(as));
	as.origin = 2;
	as.path = bp;
	unsigned fl = 0;
	if (afi == VG_AFI_IP6) {
		fl = BGP_ENC_MRT_MP;
		as.has = BGP_SET_NEXTHOP6;
		as.nexthop6_len = 16;
	}
	return bgp_attrs_encode(buf, cap, &as, fl);
}

/*
 * A TABLE_DUMP_V2 dump of the routing state at NOW: for each prefix, each
 * peer's route with the attributes of its last announcement.  Routes with
 * an ADD-PATH path id go into a RIB_*_ADDPATH record (RFC 8050) of their
 * own beside the plain record of the prefix.
 *
 * The RIS name has minutes only (bview.YYYYMMDD.HHMM.gz): a second dump
 * in one minute (a rib-interval under 60 s, or a file an earlier run left)
 * is named with the seconds too, bview.YYYYMMDD.HHMMSS.gz, which sorts
 * after the minute's first; no dump overwrites another.
 */
static void
arc_bview(struct proc *pr, uint32_t now)
{
	char path[1200], err[512];
	struct mrt_writer_opts wo = {.gzip = 1, .level = 6, .atomic = 1};
	struct rib *rib = obs_rib(pr->ob);
	unsigned np = rib_npeers(rib);
	struct mrt_peer *peers;
	struct mrt_rib_entry *ents = NULL;
	uint8_t *abuf = NULL;
	uint32_t *pidx = NULL;
	struct bgp_path bp;
	unsigned nidx = 0;

	if (arc_path(pr, "bview", now, path, sizeof(path)) < 0)
		return;
	if ((int64_t)(now / 60) == pr->last_bview_min ||
	    access(path, F_OK) == 0) {
		if (arc_path_s(pr, "bview", now, 1, path, sizeof(path)) < 0)
			return;
		if (access(path, F_OK) == 0) {
			clog_printf("event=rib-dump-skipped file=%s reason=\"the "
			            "file exists\"", path);
			return;
		}
	}
	pr->last_bview_min = now / 60;
	peers = calloc(np ? np : 1, sizeof(*peers));
	pidx = calloc(np ? np : 1, sizeof(*pidx));
	if (peers == NULL || pidx == NULL)
		goto out;
	for (unsigned i = 0; i < np; i++) {
		const struct rib_peer *p = rib_peer(rib, i);
		pidx[i] = UINT32_MAX;
		if (strcmp(p->collector, pr->cfg.collector) != 0)
			continue;
		memset(&peers[nidx], 0, sizeof(peers[nidx]));
		peers[nidx].addr = p->addr;
		peers[nidx].asn = p->asn;
		if (p->addr.afi == VG_AFI_IP4)
			memcpy(peers[nidx].bgp_id, p->addr.addr, 4);
		pidx[i] = nidx++;
	}
	struct mrt_writer *w = mrt_writer_open(path, &wo, err, sizeof(err));
	if (w == NULL) {
		clog_printf("event=archive-error error=\"%s\"", err);
		goto out;
	}
	bgp_path_init(&bp);
	mrt_write_peer_index(w, now, pr->cfg.router_id, pr->cfg.collector,
	                     peers, nidx);
	uint32_t cap_e = 0;
	size_t cap_a = 0;
	uint64_t routes = 0, full = 0;
	for (uint32_t id = 0; id < rib_npfx(rib); id++) {
		struct rib_pfx *x = rib_pfx(rib, id);
		if (x == NULL || x->nroutes == 0)
			continue;
		if (x->nroutes > cap_e) {
			cap_e = x->nroutes;
			free(ents);
			/* plain entries from the front, ADD-PATH ones from
			 * the middle */
			if ((ents = calloc(2 * (size_t)cap_e, sizeof(*ents))) == NULL)
				break;
		}
		size_t need = (size_t)x->nroutes * 1100;
		if (need > cap_a) {
			free(abuf);
			cap_a = need;
			if ((abuf = malloc(cap_a)) == NULL)
				break;
		}
		struct mrt_rib_entry *ap = ents + x->nroutes;
		uint32_t n = 0, nap = 0;
		size_t used = 0;
		for (uint16_t k = 0; k < x->nroutes; k++) {
			const struct rib_route *rt = &x->routes[k];
			struct mrt_rib_entry en;
			uint32_t sl = 0;
			if (pidx[rt->peer] == UINT32_MAX)
				continue;
			const uint8_t *set = rib_route_attrs(rib, id, rt->peer, &sl);
			memset(&en, 0, sizeof(en));
			en.peer_index = (uint16_t)pidx[rt->peer];
			en.originated = rib_peer(rib, rt->peer)->up_since;
			if (set && sl >= SET_HDR && !(set[0] & SET_F_NONE)) {
				en.attrs = set + SET_HDR;
				en.attrs_len = (uint16_t)(sl - SET_HDR);
				en.path_id = vg_load_be32(set + 1);
				full++;
			} else {
				int al = path_only_attrs(rib, rt->path, x->p.afi,
				                         &bp, abuf + used,
				                         cap_a - used);
				if (al < 0)
					continue;
				en.attrs = abuf + used;
				en.attrs_len = (uint16_t)al;
				used += (size_t)al;
			}
			if (set && sl >= SET_HDR && (set[0] & SET_F_PATH_ID))
				ap[nap++] = en;
			else
				ents[n++] = en;
		}
		if (n && mrt_write_rib(w, now, &x->p, ents, n, 0) == 0)
			routes += n;
		if (nap && mrt_write_rib(w, now, &x->p, ap, nap,
		                         MRT_WF_ADDPATH) == 0)
			routes += nap;
	}
	bgp_path_destroy(&bp);
	if (mrt_writer_close(w, err, sizeof(err)) < 0) {
		clog_printf("event=archive-error error=\"%s\"", err);
		pr->arcerr = 1;
	} else {
		uint64_t sets, sroutes, sbytes;
		rib_attrs_stats(rib, &sets, &sroutes, &sbytes);
		clog_printf("event=rib-dump file=%s peers=%u routes=%llu "
		            "with_attributes=%llu attribute_sets=%llu "
		            "attribute_bytes=%llu", path, nidx,
		            (unsigned long long)routes, (unsigned long long)full,
		            (unsigned long long)sets, (unsigned long long)sbytes);
	}
out:
	free(peers);
	free(pidx);
	free(ents);
	free(abuf);
}

/* ---- store sink ------------------------------------------------------ */

static void
db_fail(struct proc *pr)
{
	if (!pr->dberr)
		clog_printf("event=db-error error=\"%s\"", store_error(pr->db));
	pr->dberr = 1;
}

static void
put_peers(struct proc *pr)
{
	struct rib *rib = obs_rib(pr->ob);
	for (unsigned i = 0; i < rib_npeers(rib); i++) {
		const struct rib_peer *p = rib_peer(rib, i);
		struct store_peer sp;
		memset(&sp, 0, sizeof(sp));
		snprintf(sp.collector, sizeof(sp.collector), "%s", p->collector);
		sp.addr = p->addr;
		sp.asn = p->asn;
		sp.v4_routes = p->n_v4;
		sp.v6_routes = p->n_v6;
		sp.full_v4 = p->full_v4;
		sp.full_v6 = p->full_v6;
		sp.up = p->up;
		sp.last_change = p->last_change;
		if (store_put_peer(pr->db, &sp) < 0)
			db_fail(pr);
	}
}

static void
put_metrics(struct proc *pr)
{
	char buf[4096];
	struct obs_stats st;
	size_t n = 0;
	unsigned up = 0;
	struct rib *rib = obs_rib(pr->ob);

	obs_stats(pr->ob, &st);
	for (unsigned i = 0; i < rib_npeers(rib); i++)
		up += rib_peer(rib, i)->up;
	uint64_t rib_bytes = st.rib.bytes_routes + st.rib.bytes_prefixes +
	                     st.rib.bytes_index + st.rib.bytes_paths +
	                     st.rib.bytes_attrs;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n,
	    "# HELP vigil_elements_total Routing elements processed.\n"
	    "# TYPE vigil_elements_total counter\n"
	    "vigil_elements_total %llu\n"
	    "# HELP vigil_peers_up Collector peers whose session is up.\n"
	    "# TYPE vigil_peers_up gauge\n"
	    "vigil_peers_up %u\n"
	    "# HELP vigil_routes Routes held in the routing state.\n"
	    "# TYPE vigil_routes gauge\n"
	    "vigil_routes %llu\n"
	    "# HELP vigil_memory_bytes Memory held, by subsystem.\n"
	    "# TYPE vigil_memory_bytes gauge\n"
	    "vigil_memory_bytes{subsystem=\"rib\"} %llu\n"
	    "vigil_memory_bytes{subsystem=\"obs\"} %llu\n"
	    "vigil_memory_bytes{subsystem=\"queue\"} %llu\n"
	    "# HELP vigil_queue_depth Bytes waiting between the socket loop and processing.\n"
	    "# TYPE vigil_queue_depth gauge\n"
	    "vigil_queue_depth %llu\n"
	    "# HELP vigil_queue_overflows_total Times the queue filled and reading paused.\n"
	    "# TYPE vigil_queue_overflows_total counter\n"
	    "vigil_queue_overflows_total %llu\n"
	    "# HELP vigil_events_open Events not yet ended.\n"
	    "# TYPE vigil_events_open gauge\n"
	    "vigil_events_open %u\n"
	    "# HELP vigil_detection_lag_seconds Wall-clock time between a bin's end and its detection.\n"
	    "# TYPE vigil_detection_lag_seconds gauge\n"
	    "vigil_detection_lag_seconds %u\n",
	    (unsigned long long)st.elems, up, (unsigned long long)st.rib.routes,
	    (unsigned long long)rib_bytes, (unsigned long long)st.bytes_obs,
	    (unsigned long long)atomic_load(&pr->q->depth),
	    (unsigned long long)atomic_load(&pr->q->depth),
	    (unsigned long long)atomic_load(&pr->q->overflows),
	    atomic_load(&pr->events_open), pr->detect_lag);
	if (pr->db && !pr->dberr && store_set_meta(pr->db, "metrics", buf) < 0)
		db_fail(pr);
}

static void
sink_signals(void *ctx, const struct vg_signal *s, size_t n)
{
	struct proc *pr = ctx;
	atomic_fetch_add(&pr->bins, 1);
	if (n) {
		time_t now = time(NULL);
		uint32_t end = s[0].bin_start + s[0].bin_len;
		pr->detect_lag = now > end ? (uint32_t)(now - end) : 0;
	}
	if (pr->db == NULL || pr->dberr)
		return;
	put_peers(pr);
	put_metrics(pr);
	pr->last_metrics = time(NULL);
	/* one transaction per bin: entities, events, signals, peers */
	if (store_put_signals(pr->db, s, n) < 0 || store_commit(pr->db) < 0 ||
	    store_begin(pr->db) < 0)
		db_fail(pr);
}

static void
sink_event(void *ctx, const struct vg_event *ev)
{
	struct proc *pr = ctx;
	char ent[VG_ENTITY_STRLEN], t0[32];
	uint32_t i;

	if (pr->db && !pr->dberr && store_put_event(pr->db, ev) < 0)
		db_fail(pr);
	if (pr->alert)
		alert_event(pr->alert, ev); /* never blocks */
	for (i = 0; i < pr->nevs; i++)
		if (pr->evs[i].id == ev->id)
			break;
	const char *what = NULL;
	if (i == pr->nevs) {
		if (pr->nevs == pr->capevs) {
			uint32_t nc = pr->capevs ? pr->capevs * 2 : 64;
			struct ev_seen *ne = realloc(pr->evs, nc * sizeof(*ne));
			if (ne == NULL)
				return;
			pr->evs = ne;
			pr->capevs = nc;
		}
		pr->evs[i].id = ev->id;
		pr->evs[i].level = ev->level;
		pr->evs[i].closed = 0;
		pr->nevs++;
		what = "open";
		atomic_fetch_add(&pr->events_open, 1);
	}
	if (ev->end && !pr->evs[i].closed) {
		pr->evs[i].closed = 1;
		what = "close";
		atomic_fetch_sub(&pr->events_open, 1);
	} else if (ev->level != pr->evs[i].level && !what) {
		what = "level";
	}
	pr->evs[i].level = ev->level;
	if (what == NULL)
		return;
	vg_entity_fmt(&ev->ent, ent);
	time_t st = ev->start;
	struct tm tm;
	gmtime_r(&st, &tm);
	strftime(t0, sizeof(t0), "%Y-%m-%dT%H:%M:%SZ", &tm);
	char endbuf[40] = "";
	if (ev->end) {
		time_t et = ev->end;
		gmtime_r(&et, &tm);
		strftime(endbuf, sizeof(endbuf), " end=%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	clog_printf("event=%s-%s id=%llu entity=%s level=%s start=%s%s "
	            "depth=%.3f baseline=%.1f bottom=%.1f evidence=%u",
	            vg_event_kind_name(ev->kind), what,
	            (unsigned long long)ev->id, ent,
	            vg_event_level_name(ev->level), t0, endbuf, ev->depth,
	            ev->baseline, ev->bottom, ev->n_evidence_total);
}

static void
sink_entity(void *ctx, const struct vg_entity *e, const char *name)
{
	struct proc *pr = ctx;
	if (pr->db && !pr->dberr && store_put_entity(pr->db, e, name) < 0)
		db_fail(pr);
}

static void
alert_log(void *ctx, const char *line)
{
	clog_printf("event=alert-problem error=\"%s\"", line);
}

/* ---- elements ---------------------------------------------------------- */

static void
on_problem(void *ctx, const struct mrt_problem *p)
{
	struct proc *pr = ctx;
	/* the event loop already logged the UPDATE's RFC 7606 problems with
	 * the peer's name; here they are only counted */
	atomic_fetch_add(&pr->problems, 1);
}

static struct cpeer *
slot_of(struct proc *pr, const char *coll, const struct vg_elem *e)
{
	if (pr->last && pr->last->cfg.asn == e->peer_asn &&
	    strcmp(pr->last->coll, coll) == 0 &&
	    pr->last->cfg.addr.afi == e->peer_addr.afi &&
	    memcmp(pr->last->cfg.addr.addr, e->peer_addr.addr, 16) == 0)
		return pr->last;
	pthread_mutex_lock(&pr->mu);
	pr->last = NULL;
	for (unsigned i = 0; i < pr->nslots; i++) {
		struct cpeer *p = pr->slots[i];
		if (p->cfg.addr.afi == e->peer_addr.afi &&
		    strcmp(p->coll, coll) == 0 &&
		    memcmp(p->cfg.addr.addr, e->peer_addr.addr, 16) == 0 &&
		    (p->cfg.asn == e->peer_asn ||
		     (e->peer_asn == BGP_AS_TRANS && p->cfg.asn > 65535))) {
			pr->last = p;
			break;
		}
	}
	pthread_mutex_unlock(&pr->mu);
	return pr->last;
}

static void
elems_chunk(struct proc *pr, const struct cq_chunk *c)
{
	char err[256];
	const struct vg_elem *e;
	vg_stream *s = vg_stream_open_mem(c->data, c->len, NULL, err,
	                                  sizeof(err));
	if (s == NULL)
		return;
	struct mrt_reader *r = mrt_reader_new(s, "live", on_problem, pr);
	if (r == NULL) {
		vg_stream_close(s);
		return;
	}
	/* End-of-RIB ends a restarted peer's stale routes (RFC 4724) */
	mrt_reader_set_eor(r, 1);
	struct rib *rib = obs_rib(pr->ob);
	uint32_t last_gen = 0;
	int first = 1;
	while (mrt_reader_next_elem(r, &e) > 0) {
		struct cpeer *p = slot_of(pr, c->coll, e);
		/* Each chunk has its own reader, whose attrs_gen starts again
		 * and whose attrs may sit where the last one's did: renumber,
		 * or the routing state's per-attributes cache would take one
		 * chunk's path for another's. */
		struct vg_elem ce = *e;
		if (first || e->attrs_gen != last_gen) {
			pr->gen++;
			last_gen = e->attrs_gen;
			first = 0;
		}
		ce.attrs_gen = pr->gen;
		e = &ce;
		if (obs_elem(pr->ob, c->coll, e) < 0) {
			clog_printf("event=error error=\"out of memory\"");
			break;
		}
		pr->fed = 1;
		pr->last_elem_time = e->time_sec;
		if (e->type == VG_ELEM_EOR)
			continue;
		atomic_fetch_add(&pr->elements, 1);
		if (p == NULL)
			continue;
		if (e->type == VG_ELEM_ANNOUNCE)
			atomic_fetch_add(&p->announce, 1);
		else if (e->type == VG_ELEM_WITHDRAW)
			atomic_fetch_add(&p->withdraw, 1);
		if (p->rib_id < 0)
			p->rib_id = rib_peer_id(rib, c->coll, &e->peer_addr,
			                        e->peer_asn);
		/* (the routing state keeps unicast routes only: a multicast
		 * route's attributes are not those of its unicast twin) */
		if (pr->keep_attrs && e->type == VG_ELEM_ANNOUNCE && e->attrs &&
		    e->prefix.safi == VG_SAFI_UNICAST && p->rib_id >= 0 && !p->bmp &&
		    strcmp(c->coll, pr->cfg.collector) == 0)
			keep_route_attrs(pr, rib, (unsigned)p->rib_id, e);
	}
	mrt_reader_free(r);
	vg_stream_close(s);
	/* route counts for the status file */
	pthread_mutex_lock(&pr->mu);
	for (unsigned i = 0; i < pr->nslots; i++) {
		struct cpeer *p = pr->slots[i];
		if (p->rib_id >= 0) {
			const struct rib_peer *rp = rib_peer(rib, (unsigned)p->rib_id);
			atomic_store(&p->routes_v4, rp->n_v4);
			atomic_store(&p->routes_v6, rp->n_v6);
		}
	}
	pthread_mutex_unlock(&pr->mu);
}

/* ---- the thread ------------------------------------------------------- */

static void
tick(struct proc *pr, int idle)
{
	time_t now = time(NULL);
	/* Records are stamped by the loop microseconds before they are
	 * queued; two seconds of margin keeps a bin from closing before its
	 * last records are in (a replay of the archive closes it later, on
	 * the next record, with the same result). */
	if (idle && pr->fed && now > 2)
		obs_advance(pr->ob, (uint32_t)(now - 2));
	if (idle && pr->upd &&
	    now - 2 >= pr->upd_bin + (int64_t)pr->cfg.updates_interval)
		arc_close_updates(pr);
	if (pr->cfg.archive[0] && pr->cfg.rib_interval && pr->fed &&
	    (uint32_t)now >= pr->next_rib) {
		if (pr->next_rib)
			arc_bview(pr, (uint32_t)now);
		pr->next_rib = (uint32_t)(now - now % pr->cfg.rib_interval) +
		               pr->cfg.rib_interval;
	}
	if (pr->db && !pr->dberr && now - pr->last_metrics >= 10) {
		pr->last_metrics = now;
		put_peers(pr);
		put_metrics(pr);
		if (store_commit(pr->db) < 0 || store_begin(pr->db) < 0)
			db_fail(pr);
	}
}

static void *
proc_main(void *arg)
{
	struct proc *pr = arg;
	for (;;) {
		int closed;
		struct cq_chunk *c = cq_pop(pr->q, 500, &closed);
		if (c) {
			if (pr->cfg.debug_delay_ms) {
				/* per 100 KiB, as real work costs per byte */
				uint64_t ns = (uint64_t)pr->cfg.debug_delay_ms *
				              1000000u * c->len / (100u << 10);
				struct timespec ts = {(time_t)(ns / 1000000000u),
				                      (long)(ns % 1000000000u)};
				nanosleep(&ts, NULL);
			}
			/* BGP sessions' records and BMP routers' (collector
			 * NAME/ROUTER) alike: one archive, as RIS keeps */
			if (pr->cfg.archive[0])
				arc_chunk(pr, c);
			elems_chunk(pr, c);
			size_t took = c->len;
			cq_free(pr->q, c);
			tick(pr, 0);
			/* A small chunk and nothing more waiting: the routers
			 * send slowly (one or two UPDATEs per socket read).
			 * Let 10 ms of them gather (the loop
			 * appends to the waiting chunk) so that one wakeup,
			 * one reader and one round of bookkeeping serve many
			 * UPDATEs; detection, in bins of seconds, does not
			 * notice the delay. */
			if (PROC_GATHER_NS > 0 && took < PROC_SMALL_CHUNK &&
			    atomic_load(&pr->q->depth) == 0) {
				struct timespec ts = {0, PROC_GATHER_NS};
				nanosleep(&ts, NULL);
			}
			continue;
		}
		if (closed)
			break;
		tick(pr, 1);
	}
	arc_close_updates(pr);
	if (pr->fed)
		obs_finish(pr->ob);
	if (pr->db && !pr->dberr) {
		put_peers(pr);
		put_metrics(pr);
		if (store_commit(pr->db) < 0)
			db_fail(pr);
	}
	return NULL;
}

struct proc *
proc_new(const struct collect_cfg *c, struct cqueue *q, char *err,
         size_t errlen)
{
	struct proc *pr = calloc(1, sizeof(*pr));
	if (pr == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pr->cfg = *c;
	pr->cfg.peers = NULL;
	pr->cfg.npeers = 0;
	pr->q = q;
	pthread_mutex_init(&pr->mu, NULL);
	pr->geo = geo_db_new();
	if (pr->geo == NULL)
		goto oom;
	for (unsigned i = 0; i < c->ngeo; i++)
		if (geo_load(pr->geo, c->geo[i], err, errlen) < 0)
			goto fail;
	if (geo_db_finish(pr->geo) < 0)
		goto oom;
	if (c->db[0]) {
		pr->db = store_open(c->db, STORE_CREATE, err, errlen);
		if (pr->db == NULL)
			goto fail;
		char v[32];
		snprintf(v, sizeof(v), "%u", c->obs.bin_len);
		if (store_set_meta(pr->db, "bin_len", v) < 0 ||
		    store_set_meta(pr->db, "source", "collect") < 0 ||
		    store_begin(pr->db) < 0) {
			snprintf(err, errlen, "database %s: %s", c->db,
			         store_error(pr->db));
			goto fail;
		}
	}
	alert_opts_default(&pr->ao);
	for (unsigned i = 0; i < c->nalert; i++)
		if (alert_opts_parse(&pr->ao, c->alert_opt[i], c->alert_arg[i]) <= 0) {
			snprintf(err, errlen, "%s: %s", c->alert_opt[i],
			         pr->ao.err[0] ? pr->ao.err : "not an alert option");
			goto fail;
		}
	pr->ao.geo = pr->geo;
	pr->ao.tag = "vigil-collect";
	pr->ao.log = alert_log;
	pr->ao.log_ctx = pr;
	if (alert_opts_any(&pr->ao) &&
	    (pr->alert = alert_new(&pr->ao, err, errlen)) == NULL)
		goto fail;
	struct obs_sink sink = {pr, sink_signals, sink_event, sink_entity};
	pr->ob = obs_new(&c->obs, pr->geo, &sink);
	if (pr->ob == NULL)
		goto oom;
	pr->last_bview_min = -1;
	if (c->archive[0] && c->rib_interval) {
		/* the RIB dumps carry every attribute of every route */
		if (rib_keep_attrs(obs_rib(pr->ob)) < 0 ||
		    (pr->ablob = malloc(SET_HDR + 65535)) == NULL)
			goto oom;
		pr->keep_attrs = 1;
	}
	return pr;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	obs_free(pr->ob);
	free(pr->ablob);
	alert_free(pr->alert);
	if (pr->db)
		store_close(pr->db);
	geo_db_free(pr->geo);
	pthread_mutex_destroy(&pr->mu);
	free(pr);
	return NULL;
}

int
proc_start(struct proc *pr)
{
	if (pthread_create(&pr->th, NULL, proc_main, pr) != 0)
		return -1;
	pthread_setname_np(pr->th, "vigil-proc"); /* for top -H, benchmarks */
	pr->running = 1;
	return 0;
}

void
proc_set_peers(struct proc *pr, struct cpeer **slots, unsigned n)
{
	pthread_mutex_lock(&pr->mu);
	pr->slots = slots;
	pr->nslots = n;
	pthread_mutex_unlock(&pr->mu);
}

int
proc_join_free(struct proc *pr, struct proc_stats *final)
{
	int rc;
	if (pr == NULL)
		return 0;
	if (pr->running)
		pthread_join(pr->th, NULL);
	if (final)
		proc_stats(pr, final);
	rc = pr->dberr || pr->arcerr ? -1 : 0;
	/* deliver what is queued, bounded by alert-flush */
	alert_free(pr->alert);
	obs_free(pr->ob);
	free(pr->ablob);
	if (pr->db)
		store_close(pr->db);
	geo_db_free(pr->geo);
	free(pr->evs);
	pthread_mutex_destroy(&pr->mu);
	free(pr);
	return rc;
}

void
proc_stats(struct proc *pr, struct proc_stats *st)
{
	st->elements = atomic_load(&pr->elements);
	st->events_open = atomic_load(&pr->events_open);
	st->bins = atomic_load(&pr->bins);
	st->last_bin_end = 0;
	st->problems = atomic_load(&pr->problems);
}
