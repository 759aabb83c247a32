/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Store tests: a database in a temporary directory gets entities, a few
 * days of synthetic 5-minute signals and events with evidence, and every
 * query reads them back (filters, paging, open events, NaN baselines,
 * event upserts that replace evidence); a read-only second connection reads
 * while a writer holds a transaction; and the insert rate is measured
 * (VIGIL_STORE_BENCH_ROWS=N for a longer run).
 */
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store_impl.h"
#include "test.h"
#include "vigil/store.h"

#define T0 1419206400u /* 2014-12-22T00:00Z */
#define BIN 300u
#define DAYS 3
#define NBINS (DAYS * 86400 / BIN)

static char dir[64];
static char dbpath[128];

static void
ent(struct vg_entity *e, const char *text)
{
	if (vg_entity_parse(e, text) < 0)
		abort();
}

static struct vg_store *
open_db(int flags)
{
	char err[256];
	struct vg_store *s = store_open(dbpath, flags, err, sizeof(err));
	if (s == NULL)
		fprintf(stderr, "  store_open: %s\n", err);
	return s;
}

/* KP's visibility: 4 /24s, 0 from 16:15 on day 0 until 01:46 on day 1. */
static uint64_t
kp_units(uint32_t t)
{
	return t >= T0 + 16 * 3600 + 15 * 60 && t < T0 + 86400 + 105 * 60 ? 0
	                                                                   : 4;
}

static void
fill_signal(struct vg_signal *g, const char *text, uint32_t t, uint64_t v4)
{
	memset(g, 0, sizeof(*g));
	ent(&g->ent, text);
	g->bin_start = t;
	g->bin_len = BIN;
	g->v4_units = v4;
	g->v6_units = 0;
	g->prefixes = (uint32_t)v4;
	g->origins = v4 ? 1 : 0;
	g->announcements = (t / BIN) % 7;
	g->withdrawals = (t / BIN) % 3;
	g->peers_up = 40;
	/* warming up for the first two hours */
	g->baseline = t < T0 + 7200 ? NAN : 4.0;
	g->inst_score = (t / BIN) % 5 == 0 ? NAN : 0.5;
}

static struct vg_evidence kp_evidence[] = {
    {'p', "175.45.176.0/24", 131279, 4837, "3356 4837 131279"},
    {'p', "175.45.177.0/24", 131279, 4837, "3356 4837 131279"},
    {'p', "175.45.178.0/24", 131279, 4837, "3356 4837 131279"},
    {'p', "175.45.179.0/24", 131279, 4837, "3356 4837 131279"},
    {'o', "", 131279, 0, ""},
    {'u', "", 4837, 0, ""},
};

static void
fill_event(struct vg_event *ev, uint64_t id, const char *text, int kind,
           int level, uint32_t start, uint32_t end)
{
	memset(ev, 0, sizeof(*ev));
	ev->id = id;
	ent(&ev->ent, text);
	ev->kind = (uint8_t)kind;
	ev->level = (uint8_t)level;
	ev->start = start;
	ev->end = end;
	ev->depth = kind == VG_EVENT_OUTAGE ? 1.0 : 7.5;
	ev->severity = 9.5;
	ev->baseline = 4;
	ev->bottom = 0;
}

static void
test_schema_matches_sql(void)
{
	FILE *f = fopen("src/store/schema.sql", "r");
	char *buf;
	size_t n;
	CHECK(f != NULL);
	if (f == NULL)
		return;
	buf = calloc(1, 1 << 20);
	n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (strcmp(buf, store_schema_sql) != 0)
		fprintf(stderr, "  src/store/schema.c is stale: run "
		                "src/store/schema_gen.sh\n");
	CHECK(strcmp(buf, store_schema_sql) == 0);
	free(buf);
}

static void
test_open_errors(void)
{
	char err[256], path[192];
	struct vg_store *s;
	FILE *f;

	snprintf(path, sizeof(path), "%s/missing.db", dir);
	s = store_open(path, 0, err, sizeof(err));
	CHECK(s == NULL);
	CHECK(strstr(err, "missing.db") != NULL);
	s = store_open(path, STORE_RDONLY, err, sizeof(err));
	CHECK(s == NULL);

	snprintf(path, sizeof(path), "%s/garbage.db", dir);
	f = fopen(path, "w");
	fputs("this is not a database, not even close............"
	      "..................................................",
	      f);
	fclose(f);
	s = store_open(path, STORE_RDONLY, err, sizeof(err));
	CHECK(s == NULL);
	CHECK(strstr(err, "not a vigil database") != NULL ||
	      strstr(err, "not a database") != NULL);
}

static void
test_meta_and_peers(void)
{
	struct vg_store *s = open_db(STORE_CREATE);
	struct store_peer p;
	char buf[64];

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ_INT(store_get_meta(s, "schema_version", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "3");
	CHECK_EQ_INT(store_set_meta(s, "bin_len", "300"), 0);
	CHECK_EQ_INT(store_set_meta(s, "bin_len", "600"), 0);
	CHECK_EQ_INT(store_get_meta(s, "bin_len", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "600");
	CHECK_EQ_INT(store_set_meta(s, "bin_len", "300"), 0);
	CHECK_EQ_INT(store_get_meta(s, "nope", buf, sizeof(buf)), -1);
	/* truncated copy */
	CHECK_EQ_INT(store_set_meta(s, "source", "route-views2 rrc00"), 0);
	CHECK_EQ_INT(store_get_meta(s, "source", buf, 6), 0);
	CHECK_EQ_STR(buf, "route");

	memset(&p, 0, sizeof(p));
	snprintf(p.collector, sizeof(p.collector), "rrc00");
	vg_addr_parse(&p.addr, "193.0.0.56");
	p.asn = 3333;
	p.v4_routes = 500000;
	p.full_v4 = 1;
	p.up = 1;
	p.last_change = T0;
	CHECK_EQ_INT(store_put_peer(s, &p), 0);
	p.up = 0;
	p.last_change = T0 + 60;
	CHECK_EQ_INT(store_put_peer(s, &p), 0); /* update, not a new row */
	store_close(s);
}

static void
test_entities(void)
{
	struct vg_store *s = open_db(0);
	struct vg_entity e;
	char name[64];

	CHECK(s != NULL);
	if (s == NULL)
		return;
	ent(&e, "country:KP");
	CHECK_EQ_INT(store_put_entity(s, &e, "North Korea"), 0);
	ent(&e, "asn:131279");
	CHECK_EQ_INT(store_put_entity(s, &e, "STAR-KP"), 0);
	ent(&e, "upstream:KP:4837");
	CHECK_EQ_INT(store_put_entity(s, &e, "China Unicom <CHINA169> & \"co\""),
	             0);
	ent(&e, "upstream:KP:9002");
	CHECK_EQ_INT(store_put_entity(s, &e, "RETN"), 0);
	CHECK_EQ_INT(store_put_entity(s, &e, NULL), 0); /* keeps the name */
	ent(&e, "country:NL");
	CHECK_EQ_INT(store_put_entity(s, &e, "Netherlands"), 0);

	ent(&e, "upstream:KP:9002");
	CHECK_EQ_INT(store_entity_name(s, &e, name, sizeof(name)), 1);
	CHECK_EQ_STR(name, "RETN");
	ent(&e, "country:ZZ");
	CHECK_EQ_INT(store_entity_name(s, &e, name, sizeof(name)), 0);
	CHECK_EQ_STR(name, "");
	e.kind = 9;
	CHECK_EQ_INT(store_put_entity(s, &e, "bad"), -1);
	store_close(s);
}

struct ent_list {
	int n;
	char text[8][VG_ENTITY_STRLEN];
	char name[8][64];
};

static int
on_entity(void *ctx, const struct vg_entity *e, const char *name)
{
	struct ent_list *l = ctx;
	if (l->n < 8) {
		vg_entity_fmt(e, l->text[l->n]);
		snprintf(l->name[l->n], sizeof(l->name[0]), "%s", name);
	}
	l->n++;
	return 0;
}

static void
test_entity_queries(void)
{
	struct vg_store *s = open_db(STORE_RDONLY);
	struct ent_list l;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_query_entities(s, NULL, 0, on_entity, &l), 0);
	CHECK_EQ_INT(l.n, 5);
	CHECK_EQ_STR(l.text[0], "country:KP"); /* countries, then ASNs, ... */
	CHECK_EQ_STR(l.text[1], "country:NL");
	CHECK_EQ_STR(l.text[2], "asn:131279");

	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_query_entities(s, "korea", 0, on_entity, &l), 0);
	CHECK_EQ_INT(l.n, 1);
	CHECK_EQ_STR(l.name[0], "North Korea");

	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_query_entities(s, ":KP", 2, on_entity, &l), 0);
	CHECK_EQ_INT(l.n, 2); /* limit */

	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_query_entities(s, "100%", 0, on_entity, &l), 0);
	CHECK_EQ_INT(l.n, 0); /* '%' is literal */

	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_query_upstreams(s, "KP", on_entity, &l), 0);
	CHECK_EQ_INT(l.n, 2);
	CHECK_EQ_STR(l.text[0], "upstream:KP:4837");
	CHECK_EQ_STR(l.text[1], "upstream:KP:9002");
	store_close(s);
}

static const char *const sig_ents[] = {"country:KP", "upstream:KP:4837",
                                       "upstream:KP:9002", "asn:131279"};

static void
test_signals_write(void)
{
	struct vg_store *s = open_db(0);
	struct vg_signal *sig = calloc(4, sizeof(*sig));
	CHECK(s != NULL);
	if (s == NULL)
		return;
	for (unsigned b = 0; b < NBINS; b++) {
		uint32_t t = T0 + b * BIN;
		uint64_t v = kp_units(t);
		if (b % 288 == 0)
			CHECK_EQ_INT(store_begin(s), 0);
		fill_signal(&sig[0], sig_ents[0], t, v);
		fill_signal(&sig[1], sig_ents[1], t, v ? 3 : 0);
		fill_signal(&sig[2], sig_ents[2], t, v ? 1 : 0);
		fill_signal(&sig[3], sig_ents[3], t, v);
		CHECK_EQ_INT(store_put_signals(s, sig, 4), 0);
		if (b % 288 == 287)
			CHECK_EQ_INT(store_commit(s), 0);
	}
	/* outside a transaction: the call makes its own */
	fill_signal(&sig[0], "country:NL", T0, 1000);
	CHECK_EQ_INT(store_put_signals(s, sig, 1), 0);
	/* rewrite one bin: replaced, not doubled */
	fill_signal(&sig[0], "country:KP", T0 + 10 * BIN, 3);
	CHECK_EQ_INT(store_put_signals(s, sig, 1), 0);
	/* bad entity: error, nothing of the batch kept */
	fill_signal(&sig[0], "country:KP", T0 + NBINS * BIN, 4);
	fill_signal(&sig[1], "country:KP", T0 + NBINS * BIN + BIN, 4);
	sig[1].ent.kind = 0;
	CHECK_EQ_INT(store_put_signals(s, sig, 2), -1);
	CHECK(strstr(store_error(s), "invalid entity") != NULL);
	free(sig);
	store_close(s);
}

struct sig_list {
	size_t n;
	struct vg_signal last, first;
	int nan_baseline, ordered;
	int stop_after;
};

static int
on_signal(void *ctx, const struct vg_signal *g)
{
	struct sig_list *l = ctx;
	if (l->n == 0)
		l->first = *g;
	else if (g->bin_start <= l->last.bin_start)
		l->ordered = 0;
	l->last = *g;
	if (isnan(g->baseline))
		l->nan_baseline++;
	l->n++;
	return l->stop_after && (int)l->n >= l->stop_after;
}

static void
test_signals_read(void)
{
	struct vg_store *s = open_db(STORE_RDONLY);
	struct sig_list l;
	struct vg_entity e;
	struct vg_signal g;
	uint32_t first, last;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	ent(&e, "country:KP");
	memset(&l, 0, sizeof(l));
	l.ordered = 1;
	CHECK_EQ_INT(store_query_signals(s, &e, 0, UINT32_MAX, on_signal, &l),
	             0);
	CHECK_EQ_INT(l.n, NBINS);
	CHECK(l.ordered);
	CHECK_EQ_INT(l.first.bin_start, T0);
	CHECK_EQ_INT(l.last.bin_start, T0 + (NBINS - 1) * BIN);
	CHECK_EQ_INT(l.nan_baseline, 7200 / BIN); /* NaN round trip */
	CHECK_EQ_INT(l.last.v4_units, 4);
	CHECK_EQ_INT(l.last.peers_up, 40);
	CHECK_EQ_STR(l.last.ent.cc, "KP");

	/* a window: inclusive at both ends */
	memset(&l, 0, sizeof(l));
	l.ordered = 1;
	CHECK_EQ_INT(store_query_signals(s, &e, T0 + 16 * 3600,
	                                 T0 + 17 * 3600, on_signal, &l),
	             0);
	CHECK_EQ_INT(l.n, 13);
	CHECK_EQ_INT(l.first.v4_units, 4);
	CHECK_EQ_INT(l.last.v4_units, 0);

	/* stop early */
	memset(&l, 0, sizeof(l));
	l.stop_after = 5;
	CHECK_EQ_INT(store_query_signals(s, &e, 0, UINT32_MAX, on_signal, &l),
	             0);
	CHECK_EQ_INT(l.n, 5);

	/* the rewritten bin */
	CHECK_EQ_INT(store_signal_at(s, &e, T0 + 10 * BIN + 10, &g), 1);
	CHECK_EQ_INT(g.bin_start, T0 + 10 * BIN);
	CHECK_EQ_INT(g.v4_units, 3);
	CHECK_EQ_INT(store_signal_at(s, &e, T0 + 20 * 3600, &g), 1);
	CHECK_EQ_INT(g.v4_units, 0);
	CHECK(g.baseline == 4.0);
	CHECK(g.inst_score == 0.5 || isnan(g.inst_score));
	CHECK_EQ_INT(store_signal_at(s, &e, T0 - 1, &g), 0);

	/* unknown entity: nothing, no error */
	ent(&e, "country:ZZ");
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_query_signals(s, &e, 0, UINT32_MAX, on_signal, &l),
	             0);
	CHECK_EQ_INT(l.n, 0);
	CHECK_EQ_INT(store_signal_at(s, &e, T0 + 3600, &g), 0);

	ent(&e, "country:NL");
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_query_signals(s, &e, 0, UINT32_MAX, on_signal, &l),
	             0);
	CHECK_EQ_INT(l.n, 1);

	CHECK_EQ_INT(store_time_range(s, &first, &last), 0);
	CHECK_EQ_INT(first, T0);
	CHECK_EQ_INT(last, T0 + (NBINS - 1) * BIN); /* the failed batch left
	                                               no bin behind */
	store_close(s);
}

static void
test_events_write(void)
{
	struct vg_store *s = open_db(0);
	struct vg_event ev;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	/* 1: KP outage, first seen as a warning, open */
	fill_event(&ev, 1, "country:KP", VG_EVENT_OUTAGE, VG_LEVEL_WARNING,
	           T0 + 16 * 3600 + 15 * 60, 0);
	ev.depth = 0.5;
	ev.evidence = kp_evidence;
	ev.n_evidence = 6;
	ev.n_evidence_total = 6;
	CHECK_EQ_INT(store_put_event(s, &ev), 0);
	/* 2: the upstream's outage, closed */
	fill_event(&ev, 2, "upstream:KP:4837", VG_EVENT_OUTAGE,
	           VG_LEVEL_CRITICAL, T0 + 16 * 3600 + 15 * 60,
	           T0 + 86400 + 105 * 60);
	ev.evidence = kp_evidence;
	ev.n_evidence = 4;
	ev.n_evidence_total = 40; /* capped */
	CHECK_EQ_INT(store_put_event(s, &ev), 0);
	/* 3: instability of the ASN on day 2, warning, closed */
	CHECK_EQ_INT(store_begin(s), 0);
	fill_event(&ev, 3, "asn:131279", VG_EVENT_INSTABILITY,
	           VG_LEVEL_WARNING, T0 + 2 * 86400 + 3600,
	           T0 + 2 * 86400 + 7200);
	ev.depth = NAN; /* NaN survives as NULL */
	CHECK_EQ_INT(store_put_event(s, &ev), 0);
	/* 4: NL outage on day 2, open, critical */
	fill_event(&ev, 4, "country:NL", VG_EVENT_OUTAGE, VG_LEVEL_CRITICAL,
	           T0 + 2 * 86400 + 43200, 0);
	CHECK_EQ_INT(store_put_event(s, &ev), 0);
	/* 5: an early KP instability, closed */
	fill_event(&ev, 5, "country:KP", VG_EVENT_INSTABILITY,
	           VG_LEVEL_WARNING, T0 + 3600, T0 + 5400);
	CHECK_EQ_INT(store_put_event(s, &ev), 0);
	CHECK_EQ_INT(store_commit(s), 0);

	/* event 1 deepens and ends: the upsert replaces the evidence */
	fill_event(&ev, 1, "country:KP", VG_EVENT_OUTAGE, VG_LEVEL_CRITICAL,
	           T0 + 16 * 3600 + 15 * 60, T0 + 86400 + 105 * 60);
	ev.evidence = kp_evidence + 3;
	ev.n_evidence = 3;
	ev.n_evidence_total = 3;
	CHECK_EQ_INT(store_put_event(s, &ev), 0);
	store_close(s);
}

struct ev_list {
	int n;
	uint64_t ids[16];
	uint32_t n_evidence[16];
	int evidence_loaded;
	struct vg_store *s; /* for nested calls */
	int nested_ok;
};

static int
on_event(void *ctx, const struct vg_event *ev)
{
	struct ev_list *l = ctx;
	if (l->n < 16) {
		l->ids[l->n] = ev->id;
		l->n_evidence[l->n] = ev->n_evidence;
	}
	if (ev->evidence)
		l->evidence_loaded++;
	l->n++;
	if (l->s) {
		/* a callback may use the store, even the same query */
		char name[64];
		struct store_event_query q;
		struct ev_list inner;
		memset(&q, 0, sizeof(q));
		memset(&inner, 0, sizeof(inner));
		if (store_entity_name(l->s, &ev->ent, name, sizeof(name)) == 1 &&
		    store_query_events(l->s, &q, on_event, &inner) == 0 &&
		    inner.n == 5)
			l->nested_ok++;
	}
	return 0;
}

static struct ev_list
run_query(struct vg_store *s, const struct store_event_query *q)
{
	struct ev_list l;
	memset(&l, 0, sizeof(l));
	if (store_query_events(s, q, on_event, &l) < 0)
		l.n = -1;
	return l;
}

static void
test_events_read(void)
{
	struct vg_store *s = open_db(STORE_RDONLY);
	struct store_event_query q;
	struct ev_list l;
	struct vg_entity e;
	struct vg_event ev;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	/* all, newest start first (1 and 2 share a start: higher id first) */
	memset(&q, 0, sizeof(q));
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 5);
	CHECK_EQ_INT(l.ids[0], 4);
	CHECK_EQ_INT(l.ids[1], 3);
	CHECK_EQ_INT(l.ids[2], 2);
	CHECK_EQ_INT(l.ids[3], 1);
	CHECK_EQ_INT(l.ids[4], 5);
	CHECK_EQ_INT(l.evidence_loaded, 0);
	CHECK_EQ_INT(l.n_evidence[2], 4); /* counted without loading */
	CHECK_EQ_INT(l.n_evidence[3], 3); /* the upsert replaced 6 by 3 */

	/* paging */
	q.limit = 2;
	q.offset = 2;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 2);
	CHECK_EQ_INT(l.ids[0], 2);
	CHECK_EQ_INT(l.ids[1], 1);
	q.offset = 4;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 1);
	q.limit = q.offset = 0;

	/* an entity alone, and a country with its upstreams */
	ent(&e, "country:KP");
	q.ent = &e;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 2);
	CHECK_EQ_INT(l.ids[0], 1);
	CHECK_EQ_INT(l.ids[1], 5);
	q.ent_prefix_only = 1;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 3);
	ent(&e, "country:ZZ");
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 0);
	q.ent_prefix_only = 0;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 0);
	q.ent = NULL;

	/* kind and level */
	q.kind = VG_EVENT_INSTABILITY;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 2);
	q.kind = VG_EVENT_OUTAGE;
	q.min_level = VG_LEVEL_CRITICAL;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 3);
	q.kind = 0;
	q.min_level = VG_LEVEL_WARNING;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 5);
	q.min_level = 0;

	/* time overlap: day 0 20:00..21:00 is inside events 1 and 2 */
	q.since = T0 + 20 * 3600;
	q.until = T0 + 21 * 3600;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 2);
	/* an open event overlaps everything after its start */
	q.since = T0 + 2 * 86400 + 80000;
	q.until = 0;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 1);
	CHECK_EQ_INT(l.ids[0], 4);
	/* until only */
	q.since = 0;
	q.until = T0 + 7200;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 1);
	CHECK_EQ_INT(l.ids[0], 5);
	q.until = 0;

	/* open only */
	q.open_only = 1;
	l = run_query(s, &q);
	CHECK_EQ_INT(l.n, 1);
	CHECK_EQ_INT(l.ids[0], 4);
	q.open_only = 0;

	/* with evidence, and a callback that calls back into the store */
	q.with_evidence = 1;
	memset(&l, 0, sizeof(l));
	l.s = s;
	CHECK_EQ_INT(store_query_events(s, &q, on_event, &l), 0);
	CHECK_EQ_INT(l.n, 5);
	CHECK_EQ_INT(l.evidence_loaded, 2); /* events 1 and 2 have some */
	CHECK_EQ_INT(l.nested_ok, 5);

	/* one event */
	CHECK_EQ_INT(store_get_event(s, 1, &ev), 1);
	CHECK_EQ_INT(ev.level, VG_LEVEL_CRITICAL);
	CHECK_EQ_INT(ev.end, T0 + 86400 + 105 * 60);
	CHECK_EQ_INT(ev.n_evidence, 3);
	CHECK(ev.evidence != NULL);
	if (ev.evidence) {
		CHECK_EQ_STR(ev.evidence[0].text, "175.45.179.0/24");
		CHECK_EQ_INT(ev.evidence[0].what, 'p');
		CHECK_EQ_INT(ev.evidence[0].upstream, 4837);
		CHECK_EQ_STR(ev.evidence[0].path, "3356 4837 131279");
		CHECK_EQ_INT(ev.evidence[2].what, 'u');
		CHECK_EQ_INT(ev.evidence[2].asn, 4837);
	}
	CHECK_EQ_STR(ev.ent.cc, "KP");
	store_event_free(&ev);
	CHECK(ev.evidence == NULL);
	CHECK_EQ_INT(store_get_event(s, 2, &ev), 1);
	CHECK_EQ_INT(ev.n_evidence, 4);
	CHECK_EQ_INT(ev.n_evidence_total, 40);
	store_event_free(&ev);
	CHECK_EQ_INT(store_get_event(s, 3, &ev), 1);
	CHECK(isnan(ev.depth));
	store_event_free(&ev);
	CHECK_EQ_INT(store_get_event(s, 4, &ev), 1);
	CHECK_EQ_INT(ev.end, 0);
	CHECK_EQ_INT(ev.n_evidence, 0);
	CHECK(ev.evidence == NULL);
	store_event_free(&ev);
	CHECK_EQ_INT(store_get_event(s, 99, &ev), 0);

	/* a read-only handle cannot write */
	CHECK_EQ_INT(store_set_meta(s, "x", "y"), -1);
	CHECK(strstr(store_error(s), "readonly") != NULL ||
	      strstr(store_error(s), "read-only") != NULL);
	store_close(s);
}

static int
count_signal(void *ctx, const struct vg_signal *g)
{
	(*(size_t *)ctx)++;
	return 0;
}

static void
test_concurrent_read(void)
{
	struct vg_store *w = open_db(0), *r = open_db(STORE_RDONLY);
	struct vg_signal g;
	struct vg_entity e;
	char buf[32];
	size_t n = 0;
	uint32_t first, last;

	CHECK(w != NULL && r != NULL);
	if (w == NULL || r == NULL)
		return;
	ent(&e, "country:KP");
	CHECK_EQ_INT(store_begin(w), 0);
	CHECK_EQ_INT(store_begin(w), -1); /* no nesting */
	for (unsigned b = 0; b < 12; b++) {
		fill_signal(&g, "country:KP", T0 + (NBINS + b) * BIN, 4);
		CHECK_EQ_INT(store_put_signals(w, &g, 1), 0);
	}
	CHECK_EQ_INT(store_set_meta(w, "state", "writing"), 0);
	/* the reader sees what was committed, does not wait */
	CHECK_EQ_INT(store_query_signals(r, &e, 0, UINT32_MAX, count_signal,
	                                 &n),
	             0);
	CHECK_EQ_INT(n, NBINS);
	CHECK_EQ_INT(store_get_meta(r, "state", buf, sizeof(buf)), -1);
	CHECK_EQ_INT(store_time_range(r, &first, &last), 0);
	CHECK_EQ_INT(last, T0 + (NBINS - 1) * BIN);
	CHECK_EQ_INT(store_commit(w), 0);
	CHECK_EQ_INT(store_commit(w), -1);
	n = 0;
	CHECK_EQ_INT(store_query_signals(r, &e, 0, UINT32_MAX, count_signal,
	                                 &n),
	             0);
	CHECK_EQ_INT(n, NBINS + 12);
	CHECK_EQ_INT(store_get_meta(r, "state", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "writing");
	CHECK_EQ_INT(store_time_range(r, &first, &last), 0);
	CHECK_EQ_INT(last, T0 + (NBINS + 11) * BIN);
	store_close(r);
	store_close(w);
}

/*
 * What `vigil serve` reads with: entity listings by kind, event counts,
 * bounded signal lookups, data_version moving with a writer's commits, a
 * read transaction keeping its snapshot, and a deadline interrupting a
 * query.
 */
static void
test_reader_extras(void)
{
	struct vg_store *w = open_db(0), *r = open_db(STORE_RDONLY);
	struct store_event_query q;
	struct ent_list l;
	struct vg_entity e;
	struct vg_signal g;
	uint64_t n, v1, v2, v3;
	size_t cnt = 0;
	char buf[32];

	CHECK(w != NULL && r != NULL);
	if (w == NULL || r == NULL)
		return;
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_find_entities(r, NULL, VG_ENT_COUNTRY, 0, on_entity,
	                                 &l),
	             0);
	CHECK_EQ_INT(l.n, 2);
	CHECK_EQ_STR(l.text[0], "country:KP");
	CHECK_EQ_STR(l.text[1], "country:NL");
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_find_entities(r, "korea", VG_ENT_COUNTRY, 0,
	                                 on_entity, &l),
	             0);
	CHECK_EQ_INT(l.n, 1);
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_find_entities(r, NULL, VG_ENT_UPSTREAM, 1, on_entity,
	                                 &l),
	             0);
	CHECK_EQ_INT(l.n, 1); /* limit */
	CHECK_EQ_STR(l.text[0], "upstream:KP:4837");
	memset(&l, 0, sizeof(l));
	CHECK_EQ_INT(store_find_entities(r, NULL, 0, 0, on_entity, &l), 0);
	CHECK_EQ_INT(l.n, 5); /* kind 0: every kind */

	memset(&q, 0, sizeof(q));
	CHECK_EQ_INT(store_count_events(r, &q, &n), 0);
	CHECK_EQ_INT(n, 5);
	q.limit = 1;
	q.offset = 3; /* ignored by the count */
	CHECK_EQ_INT(store_count_events(r, &q, &n), 0);
	CHECK_EQ_INT(n, 5);
	ent(&e, "country:KP");
	q.ent = &e;
	q.ent_prefix_only = 1;
	CHECK_EQ_INT(store_count_events(r, &q, &n), 0);
	CHECK_EQ_INT(n, 3);
	q.kind = VG_EVENT_OUTAGE;
	q.open_only = 1;
	CHECK_EQ_INT(store_count_events(r, &q, &n), 0);
	CHECK(n <= 3);
	ent(&e, "country:ZZ");
	q.ent_prefix_only = 0;
	n = 99;
	CHECK_EQ_INT(store_count_events(r, &q, &n), 0);
	CHECK_EQ_INT(n, 0);

	ent(&e, "country:KP");
	CHECK_EQ_INT(store_signal_between(r, &e, T0 + 10 * BIN,
	                                  T0 + 10 * BIN + 10, &g),
	             1);
	CHECK_EQ_INT(g.bin_start, T0 + 10 * BIN);
	CHECK_EQ_INT(store_signal_between(r, &e, T0 + 10 * BIN + 1,
	                                  T0 + 10 * BIN + 10, &g),
	             0);
	CHECK_EQ_INT(store_signal_between(r, &e, T0 + 5, T0, &g), 0);
	ent(&e, "country:ZZ");
	CHECK_EQ_INT(store_signal_between(r, &e, 0, UINT32_MAX, &g), 0);

	/* data_version moves with another connection's commit only */
	CHECK_EQ_INT(store_data_version(r, &v1), 0);
	CHECK_EQ_INT(store_data_version(r, &v2), 0);
	CHECK_EQ_INT(v1, v2);
	CHECK_EQ_INT(store_set_meta(w, "state", "one"), 0);
	CHECK_EQ_INT(store_data_version(r, &v3), 0);
	CHECK(v3 != v2);

	/* a read transaction keeps its snapshot */
	CHECK_EQ_INT(store_begin_read(r), 0);
	CHECK_EQ_INT(store_begin_read(r), -1);
	CHECK_EQ_INT(store_get_meta(r, "state", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "one");
	CHECK_EQ_INT(store_set_meta(w, "state", "two"), 0);
	CHECK_EQ_INT(store_get_meta(r, "state", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "one");
	CHECK_EQ_INT(store_commit(r), 0);
	CHECK_EQ_INT(store_get_meta(r, "state", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "two");

	/* a deadline in the past interrupts the next long query */
	ent(&e, "country:KP");
	store_set_deadline(r, 1);
	usleep(5000);
	CHECK_EQ_INT(store_query_signals(r, &e, 0, UINT32_MAX, count_signal,
	                                 &cnt),
	             -1);
	CHECK_EQ_INT(store_timed_out(r), 1);
	CHECK(strstr(store_error(r), "longer than 1 ms") != NULL);
	store_set_deadline(r, 0);
	CHECK_EQ_INT(store_timed_out(r), 0);
	cnt = 0;
	CHECK_EQ_INT(store_query_signals(r, &e, 0, UINT32_MAX, count_signal,
	                                 &cnt),
	             0);
	CHECK(cnt >= NBINS);
	/* a generous one does not */
	store_set_deadline(r, 60000);
	cnt = 0;
	CHECK_EQ_INT(store_query_signals(r, &e, 0, UINT32_MAX, count_signal,
	                                 &cnt),
	             0);
	CHECK(cnt >= NBINS);
	store_set_deadline(r, 0);
	store_close(r);
	store_close(w);
}

/*
 * The replay's write pattern: every bin, one signal per entity, committed
 * per bin.  Reports rows/s on stdout as a comment line.
 */
static void
test_insert_rate(void)
{
	char path[192], err[256];
	const char *env = getenv("VIGIL_STORE_BENCH_ROWS");
	size_t rows = env ? strtoul(env, NULL, 10) : 200000;
	size_t nent = 20000, nbins, done = 0;
	struct vg_signal *sig = calloc(nent, sizeof(*sig));
	struct vg_store *s;
	struct timespec a, b;
	double dt;

	snprintf(path, sizeof(path), "%s/bench.db", dir);
	s = store_open(path, STORE_CREATE, err, sizeof(err));
	CHECK(s != NULL && sig != NULL);
	if (s == NULL || sig == NULL) {
		free(sig);
		return;
	}
	for (size_t i = 0; i < nent; i++) {
		struct vg_signal *g = &sig[i];
		if (i < 250) {
			g->ent.kind = VG_ENT_COUNTRY;
			g->ent.cc[0] = (char)('A' + i / 26);
			g->ent.cc[1] = (char)('A' + i % 26);
		} else if (i < 2000) {
			g->ent.kind = VG_ENT_UPSTREAM;
			g->ent.cc[0] = (char)('A' + i % 10);
			g->ent.cc[1] = 'X';
			g->ent.asn = (uint32_t)(1000 + i);
		} else {
			g->ent.kind = VG_ENT_ASN;
			g->ent.asn = (uint32_t)(10000 + i * 7);
		}
		g->bin_len = BIN;
		g->baseline = 100;
		g->inst_score = NAN;
	}
	nbins = (rows + nent - 1) / nent;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (size_t bi = 0; bi < nbins; bi++) {
		for (size_t i = 0; i < nent; i++) {
			sig[i].bin_start = (uint32_t)(T0 + bi * BIN);
			sig[i].v4_units = 100 + (i + bi) % 13;
			sig[i].prefixes = 10 + (uint32_t)(i % 7);
			sig[i].announcements = (uint32_t)((i * 31 + bi) % 50);
		}
		CHECK_EQ_INT(store_begin(s), 0);
		CHECK_EQ_INT(store_put_signals(s, sig, nent), 0);
		CHECK_EQ_INT(store_commit(s), 0);
		done += nent;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	dt = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("# store insert rate: %zu rows (%zu entities x %zu bins) in "
	       "%.2fs = %.0f rows/s\n",
	       done, nent, nbins, dt, dt > 0 ? (double)done / dt : 0.0);
	store_close(s);
	free(sig);
}

/* ---- packed keyframes (store/keyframe.c, table keyframes) ---- */

/* Two signals are the same row: every stored field, doubles exactly (NaN
 * as NaN; -0.0 as 0, which is what SQLite's REAL columns give back too). */
static int
same_double(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	return a == b;
}

static int
same_values(const struct vg_signal *a, const struct vg_signal *b)
{
	return a->v4_units == b->v4_units && a->v6_units == b->v6_units &&
	       a->prefixes == b->prefixes && a->origins == b->origins &&
	       a->announcements == b->announcements &&
	       a->withdrawals == b->withdrawals &&
	       a->path_changes == b->path_changes && a->flaps == b->flaps &&
	       a->peers_up == b->peers_up &&
	       same_double(a->baseline, b->baseline) &&
	       same_double(a->inst_score, b->inst_score);
}

/* Awkward values for entry I: every double kind, the largest counts. */
static void
kf_values(struct vg_signal *g, unsigned i)
{
	static const double reals[] = {
	    NAN, 0.0, -0.0, 4.0, -3.0, 0.5, 1e300, -1e-300, INFINITY,
	    -INFINITY, 9007199254740992.0, 9007199254740994.0,
	    -9007199254740992.0, 123456.789, 1.0 / 3};
	size_t nr = sizeof(reals) / sizeof(reals[0]);
	memset(g, 0, sizeof(*g));
	g->v4_units = i % 3 == 0 ? UINT64_MAX : i * 1000003ull;
	g->v6_units = i % 5 == 0 ? (uint64_t)1 << 63 : i;
	g->prefixes = i % 4 == 0 ? UINT32_MAX : i * 7;
	g->origins = i;
	g->peers_up = 12;
	if (i % 2) { /* counters in half of them */
		g->announcements = i % 6 == 1 ? UINT32_MAX : i;
		g->withdrawals = i + 1;
		g->path_changes = 0;
		g->flaps = i % 7 == 0 ? UINT32_MAX : 1;
	}
	g->baseline = reals[i % nr];
	g->inst_score = reals[(i * 7 + 3) % nr];
}

static void
test_kf_roundtrip(void)
{
	static uint8_t buf[10 + STORE_KF_CHUNK * STORE_KF_ENTRY_MAX];
	struct vg_signal in[STORE_KF_CHUNK], out[STORE_KF_CHUNK];
	int64_t ids[STORE_KF_CHUNK], got[STORE_KF_CHUNK];
	char err[200];
	size_t n, len;

	/* a full chunk, a sparse one, one entity at either end, a chunk of
	 * huge ids */
	static const struct {
		int64_t first;
		unsigned n, step, off;
	} shape[] = {{0, 64, 1, 0},   {64, 64, 1, 0},  {128, 9, 7, 1},
	             {192, 1, 1, 0},  {192, 1, 1, 63}, {4096, 2, 63, 0},
	             {(INT64_MAX - 64) / 64 * 64, 3, 20, 2}};
	for (size_t k = 0; k < sizeof(shape) / sizeof(shape[0]); k++) {
		for (unsigned i = 0; i < shape[k].n; i++) {
			ids[i] = shape[k].first + shape[k].off + i * shape[k].step;
			kf_values(&in[i], (unsigned)k * 64 + i);
		}
		len = store_kf_encode(shape[k].first, ids, in, shape[k].n, buf,
		                      sizeof(buf));
		CHECK(len > 0);
		CHECK_EQ_INT(store_kf_decode(buf, len, shape[k].first, got, out,
		                             &n, err, sizeof(err)),
		             0);
		CHECK_EQ_INT(n, shape[k].n);
		for (unsigned i = 0; i < n && i < shape[k].n; i++) {
			CHECK_EQ_INT(got[i], ids[i]);
			CHECK(same_values(&in[i], &out[i]));
		}
	}
	/* an idle entity's entry is small: gap, tag, five one-byte counts
	 * and an integer baseline */
	memset(&in[0], 0, sizeof(in[0]));
	in[0].v4_units = 4;
	in[0].prefixes = 4;
	in[0].origins = 1;
	in[0].peers_up = 12;
	in[0].baseline = 4;
	in[0].inst_score = NAN;
	ids[0] = 64 + 5;
	CHECK_EQ_INT(store_kf_encode(64, ids, in, 1, buf, sizeof(buf)),
	             1 + 1 + 1 + 5 + 1);
}

static void
test_kf_encode_refuses(void)
{
	static uint8_t buf[10 + (STORE_KF_CHUNK + 1) * STORE_KF_ENTRY_MAX];
	struct vg_signal in[STORE_KF_CHUNK + 1];
	int64_t ids[STORE_KF_CHUNK + 1];

	for (unsigned i = 0; i <= STORE_KF_CHUNK; i++) {
		kf_values(&in[i], i);
		ids[i] = 64 + i;
	}
	CHECK_EQ_INT(store_kf_encode(64, ids, in, 0, buf, sizeof(buf)), 0);
	CHECK_EQ_INT(store_kf_encode(64, ids, in, 65, buf, sizeof(buf)), 0);
	CHECK(store_kf_encode(64, ids, in, 64, buf, sizeof(buf)) > 0);
	CHECK_EQ_INT(store_kf_encode(60, ids, in, 2, buf, sizeof(buf)), 0);
	CHECK_EQ_INT(store_kf_encode(0, ids, in, 2, buf, sizeof(buf)), 0);
	CHECK_EQ_INT(store_kf_encode(64, ids, in, 2, buf, 20), 0);
	ids[1] = ids[0]; /* not increasing */
	CHECK_EQ_INT(store_kf_encode(64, ids, in, 2, buf, sizeof(buf)), 0);
	ids[1] = 128; /* the next chunk */
	CHECK_EQ_INT(store_kf_encode(64, ids, in, 2, buf, sizeof(buf)), 0);
}

/* A bad blob: -1, a message saying what and at which byte, *N 0. */
static void
kf_bad(const uint8_t *p, size_t len, int64_t first, const char *why)
{
	struct vg_signal out[STORE_KF_CHUNK];
	int64_t ids[STORE_KF_CHUNK];
	char err[200] = "";
	size_t n = 99;
	CHECK_EQ_INT(store_kf_decode(p, len, first, ids, out, &n, err,
	                             sizeof(err)),
	             -1);
	CHECK_EQ_INT(n, 0);
	if (strstr(err, why) == NULL || strstr(err, "row of first_id") == NULL) {
		fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err, why);
		CHECK(0);
	}
}

static void
test_kf_decode_bad(void)
{
	static uint8_t buf[10 + STORE_KF_CHUNK * STORE_KF_ENTRY_MAX];
	struct vg_signal in[STORE_KF_CHUNK], out[STORE_KF_CHUNK];
	int64_t ids[STORE_KF_CHUNK];
	char err[200];
	size_t len, n;

	for (unsigned i = 0; i < 5; i++) {
		kf_values(&in[i], i + 1);
		ids[i] = 128 + 3 * i;
	}
	len = store_kf_encode(128, ids, in, 5, buf, sizeof(buf));
	CHECK(len > 20);
	/* every cut is an error, never a read past the end (ASan) */
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *c = malloc(cut ? cut : 1);
		if (c == NULL)
			abort();
		memcpy(c, buf, cut);
		kf_bad(cut ? c : NULL, cut, 128, cut ? "" : "truncated");
		free(c);
	}
	kf_bad(buf, 1, 128, "truncated at byte 1 of 1");
	/* one byte too many */
	buf[len] = 0;
	kf_bad(buf, len + 1, 128, "bytes after the last entry");
	/* the row's first_id decides the chunk: the ids are outside 0 */
	CHECK_EQ_INT(store_kf_decode(buf, len, 192, ids, out, &n, err,
	                             sizeof(err)),
	             0); /* (gaps only: a later chunk reads the same) */
	kf_bad(buf, len, 100, "not a multiple of 64");
	kf_bad(buf, len, -64, "not a multiple of 64");
	kf_bad(buf, len, INT64_MAX / 64 * 64, "not a multiple of 64");

	static const uint8_t zero[] = {0x00};
	kf_bad(zero, 1, 0, "entry count not in 1..64");
	static const uint8_t many[] = {65, 0};
	kf_bad(many, 2, 0, "entry count not in 1..64");
	/* id gap 64: outside the chunk; the second entry past its end */
	static const uint8_t outside[] = {1, 64, 0, 0, 0, 0, 0, 0};
	kf_bad(outside, sizeof(outside), 0, "entity id outside the chunk at byte 1");
	static const uint8_t outside2[] = {2, 62, 0, 0, 0, 0, 0, 0,
	                                   1, 0, 0, 0, 0, 0, 0};
	kf_bad(outside2, sizeof(outside2), 64, "entity id outside the chunk at byte 8");
	static const uint8_t tag[] = {1, 0, 0x20, 0, 0, 0, 0, 0};
	kf_bad(tag, sizeof(tag), 0, "bad entry tag at byte 2");
	static const uint8_t kind3[] = {1, 0, 0x03, 0, 0, 0, 0, 0};
	kf_bad(kind3, sizeof(kind3), 0, "bad entry tag");
	/* prefixes = 2^32: too large for its field */
	static const uint8_t big[] = {1, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80,
	                              0x10, 0, 0};
	kf_bad(big, sizeof(big), 0, "count larger than 32 bits at byte 5");
	/* a varint of eleven bytes, and one of ten whose last byte > 1 */
	static const uint8_t longv[] = {1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	kf_bad(longv, sizeof(longv), 0, "varint longer than 64 bits");
	static const uint8_t longv2[] = {1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0,
	                                 0, 0};
	kf_bad(longv2, sizeof(longv2), 0, "varint longer than 64 bits");
	/* the largest v4 count is fine */
	static const uint8_t maxv[] = {1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff,
	                               0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0,
	                               0};
	CHECK_EQ_INT(store_kf_decode(maxv, sizeof(maxv), 0, ids, out, &n, err,
	                             sizeof(err)),
	             0);
	CHECK(n == 1 && out[0].v4_units == UINT64_MAX && ids[0] == 0);
	/* a raw double cut short */
	static const uint8_t raw[] = {1, 0, 0x02, 0, 0, 0, 0, 0, 1, 2, 3};
	kf_bad(raw, sizeof(raw), 0, "truncated at byte 8");
}

/*
 * Through the store: 150 entities (three chunks, the last partly used),
 * bins with keyframe-only rows and ordinary ones, a bin written twice
 * (rows turning into keyframe entries and back), a call with one key
 * twice.  A model of what version 1 would hold (the last write of each
 * (entity, bin)) must be what every reader returns, at every time.
 */
#define KF_ENTS 150
#define KF_BINS 40
static struct vg_signal kf_model[KF_ENTS][KF_BINS];
static int kf_have[KF_ENTS][KF_BINS];

static void
kf_entity(struct vg_entity *e, unsigned i)
{
	memset(e, 0, sizeof(*e));
	e->kind = VG_ENT_ASN;
	e->asn = 64500 + i;
}

/* Write bin B: entity i gets a row when ROW(i) says so, keyframe-only
 * when KF(i); values from SEED. */
static int
kf_put_bin(struct vg_store *s, unsigned b, unsigned seed, int (*row)(unsigned, unsigned),
           int (*kf)(unsigned, unsigned))
{
	struct vg_signal *v = calloc(KF_ENTS + 1, sizeof(*v));
	size_t n = 0;
	int rc;
	if (v == NULL)
		abort();
	for (unsigned i = 0; i < KF_ENTS; i++) {
		if (!row(i, b))
			continue;
		struct vg_signal *g = &v[n++];
		kf_values(g, i * 31 + b * 7 + seed);
		kf_entity(&g->ent, i);
		g->bin_start = T0 + b * BIN;
		g->bin_len = BIN;
		g->flags = kf(i, b) ? VG_SIG_KEYFRAME_ONLY : 0;
		kf_model[i][b] = *g;
		kf_have[i][b] = 1;
	}
	/* one key twice in one call: the last wins, whatever its kind */
	if (n > 3) {
		v[n] = v[2];
		v[n].flags ^= VG_SIG_KEYFRAME_ONLY;
		v[n].v4_units ^= 0x5555;
		for (unsigned i = 0; i < KF_ENTS; i++)
			if (kf_have[i][b] && !vg_entity_cmp(&kf_model[i][b].ent, &v[n].ent))
				kf_model[i][b] = v[n];
		n++;
	}
	rc = store_put_signals(s, v, n);
	free(v);
	return rc;
}

/* Entity i exists from bin i % 30 on (late ones: readers must not find
 * an older keyframe of their chunk); busy entities (i % 4 == 0) have rows
 * in most bins; every entity has one in keyframe bins (every 12th). */
static int
kf_row(unsigned i, unsigned b)
{
	if (b < i % 30)
		return 0;
	return b % 12 == 0 || (i % 4 == 0 && b % 3 != 1) || b == i % 30;
}

static int
kf_kf(unsigned i, unsigned b)
{
	return b % 12 == 0 && i % 4 != 0 && b != i % 30;
}

/* the re-written keyframe bin 24: the kinds swapped for half of them */
static int
kf_row_again(unsigned i, unsigned b)
{
	return kf_row(i, b) && i % 3 != 2;
}

static int
kf_kf_again(unsigned i, unsigned b)
{
	return i % 2 ? !kf_kf(i, b) : kf_kf(i, b);
}

struct kf_collect {
	struct vg_signal v[KF_BINS + 1];
	size_t n;
};

static int
kf_on_signal(void *ctx, const struct vg_signal *g)
{
	struct kf_collect *c = ctx;
	if (c->n <= KF_BINS)
		c->v[c->n++] = *g;
	return 0;
}

/* The model's latest row of entity I in bins [lo, hi]: its bin or -1. */
static int
kf_model_latest(unsigned i, int lo, int hi)
{
	for (int b = hi; b >= lo && b >= 0; b--)
		if (b < KF_BINS && kf_have[i][b])
			return b;
	return -1;
}

static void
kf_check_reads(struct vg_store *s, const char *what)
{
	int bad = 0;
	for (unsigned i = 0; i < KF_ENTS && bad < 5; i++) {
		struct vg_entity e;
		struct kf_collect c;
		size_t k = 0;
		kf_entity(&e, i);
		/* whole range and a window starting between keyframes */
		for (int w = 0; w < 2; w++) {
			unsigned from = w ? 13 : 0, until = w ? 30 : KF_BINS;
			c.n = 0;
			k = 0;
			CHECK_EQ_INT(store_query_signals(s, &e, T0 + from * BIN,
			                                 T0 + until * BIN,
			                                 kf_on_signal, &c),
			             0);
			for (unsigned b = from; b < KF_BINS && b <= until; b++) {
				if (!kf_have[i][b])
					continue;
				if (k >= c.n ||
				    c.v[k].bin_start != T0 + b * BIN ||
				    c.v[k].bin_len != BIN ||
				    vg_entity_cmp(&c.v[k].ent, &e) ||
				    !same_values(&c.v[k], &kf_model[i][b])) {
					fprintf(stderr, "  %s: entity %u bin %u: "
					        "row %zu differs (got bin %u v4 %llu, model v4 %llu)\n", what, i, b, k,
					        k < c.n ? (c.v[k].bin_start - T0) / BIN : 0,
					        k < c.n ? (unsigned long long)c.v[k].v4_units : 0ull,
					        (unsigned long long)kf_model[i][b].v4_units);
					bad++;
					break;
				}
				k++;
			}
			if (k != c.n) {
				fprintf(stderr, "  %s: entity %u: %zu rows, "
				        "model %zu\n", what, i, c.n, k);
				bad++;
			}
		}
		/* latest at or before every time, and within windows */
		for (int b = -1; b <= KF_BINS; b++) {
			struct vg_signal g;
			for (int off = -1; off <= 1; off++) {
				uint32_t at = T0 + b * BIN + off;
				int want = kf_model_latest(i, 0, (int)((int64_t)at - T0 < 0 ? -1 : ((int64_t)at - T0) / BIN));
				int rc = store_signal_at(s, &e, at, &g);
				if (rc != (want >= 0) ||
				    (rc == 1 && (g.bin_start != T0 + want * BIN ||
				                 !same_values(&g, &kf_model[i][want])))) {
					fprintf(stderr, "  %s: entity %u at %d: "
					        "%d, model bin %d\n", what, i,
					        b, rc, want);
					bad++;
				}
				/* the same within the last 13 bins */
				int hi = (int)(((int64_t)at - T0) < 0 ? -1 : ((int64_t)at - T0) / BIN);
				int lo = hi - 12;
				want = kf_model_latest(i, lo < 0 ? 0 : lo, hi);
				rc = store_signal_between(s, &e, lo < 0 ? T0 - 5 * BIN : T0 + lo * BIN, at, &g);
				if (rc != (want >= 0) ||
				    (rc == 1 && (g.bin_start != T0 + want * BIN ||
				                 !same_values(&g, &kf_model[i][want])))) {
					fprintf(stderr, "  %s: entity %u between "
					        "%d and %d: %d, model bin %d\n",
					        what, i, lo, b, rc, want);
					bad++;
				}
			}
		}
	}
	CHECK_EQ_INT(bad, 0);
}

static long long
kf_count(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

static void
test_kf_store(void)
{
	/* each layout: version 1 (VIGIL_KEYFRAME_ROWS), 2 and 3 */
	static const char *const name[4] = {NULL, "v1", "v2", "v3"};
	for (int v = 1; v <= 3; v++) {
		struct vg_store *s;
		char ver[16], what[64];
		int v1 = v == 1;
		unlink(dbpath);
		memset(kf_have, 0, sizeof(kf_have));
		if (v1)
			setenv("VIGIL_KEYFRAME_ROWS", "1", 1);
		else if (v == 2)
			setenv("VIGIL_STORE_VERSION", "2", 1);
		s = open_db(STORE_CREATE);
		unsetenv("VIGIL_KEYFRAME_ROWS");
		unsetenv("VIGIL_STORE_VERSION");
		CHECK(s != NULL);
		if (s == NULL)
			return;
		CHECK_EQ_INT(store_get_meta(s, "schema_version", ver, sizeof(ver)), 0);
		CHECK_EQ_STR(ver, name[v] + 1);
		/* entity ids follow i: chunks 0 (ids 1..63), 64, 128 */
		for (unsigned i = 0; i < KF_ENTS; i++) {
			struct vg_entity e;
			kf_entity(&e, i);
			CHECK_EQ_INT(store_put_entity(s, &e, NULL), 0);
		}
		CHECK_EQ_INT(store_begin(s), 0);
		for (unsigned b = 0; b < KF_BINS; b++)
			CHECK_EQ_INT(kf_put_bin(s, b, 0, kf_row, kf_kf), 0);
		CHECK_EQ_INT(store_commit(s), 0);
		kf_check_reads(s, name[v]);
		/* keyframe bins 12 and 24 written again, in their own
		 * transactions; 24 with the kinds swapped */
		CHECK_EQ_INT(kf_put_bin(s, 24, 5, kf_row_again, kf_kf_again), 0);
		CHECK_EQ_INT(kf_put_bin(s, 12, 9, kf_row, kf_kf), 0);
		snprintf(what, sizeof(what), "%s rewritten", name[v]);
		kf_check_reads(s, what);
		store_close(s);
		long long nk = kf_count("select count(*) from keyframes");
		long long ns = kf_count("select count(*) from signals");
		long long nc = kf_count("select count(*) from signal_chunks");
		long long nm = 0;
		for (unsigned i = 0; i < KF_ENTS; i++)
			for (unsigned b = 0; b < KF_BINS; b++)
				nm += kf_have[i][b];
		if (v1) {
			CHECK_EQ_INT(nk, 0);
			CHECK_EQ_INT(nc, 0);
			CHECK_EQ_INT(ns, nm);
		} else if (v == 3) {
			/* every row packed: 3 chunks a bin at most */
			CHECK_EQ_INT(nk, 0);
			CHECK_EQ_INT(ns, 0);
			if (!(nc >= KF_BINS && nc <= 3 * KF_BINS))
				fprintf(stderr, "  %lld signal_chunks rows\n", nc);
			CHECK(nc >= KF_BINS && nc <= 3 * KF_BINS);
		} else {
			CHECK_EQ_INT(nc, 0);
			/* 3 chunks x 4 keyframe bins at most, and the one-key-twice
			 * rows turned keyframe-only in other bins */
			if (!(nk >= 6 && nk <= 12 + KF_BINS))
				fprintf(stderr, "  %lld keyframes rows\n", nk);
			CHECK(nk >= 6 && nk <= 12 + KF_BINS);
			CHECK(ns < nm - 200);
		}
		/* read-only, by a second handle */
		s = open_db(STORE_RDONLY);
		CHECK(s != NULL);
		if (s) {
			snprintf(what, sizeof(what), "%s read-only", name[v]);
			kf_check_reads(s, what);
			store_close(s);
		}
	}
}

/* A version 1 database written by an older vigil has no keyframes table;
 * it reads as before, and a writer keeps it version 1. */
static void
test_kf_old_database(void)
{
	struct vg_store *s;
	sqlite3 *db;
	char ver[16];

	unlink(dbpath);
	memset(kf_have, 0, sizeof(kf_have));
	s = open_db(STORE_CREATE);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	for (unsigned i = 0; i < KF_ENTS; i++) {
		struct vg_entity e;
		kf_entity(&e, i);
		CHECK_EQ_INT(store_put_entity(s, &e, NULL), 0);
	}
	store_close(s);
	/* what version 1 created */
	CHECK(sqlite3_open(dbpath, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "DROP TABLE keyframes; DROP TABLE signal_chunks; "
	                   "UPDATE meta SET value = '1' "
	                   "WHERE key = 'schema_version'", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	s = open_db(STORE_RDONLY);
	CHECK(s != NULL);
	if (s) {
		kf_check_reads(s, "v1 without table, empty");
		store_close(s);
	}
	s = open_db(0);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ_INT(store_begin(s), 0);
	for (unsigned b = 0; b < KF_BINS; b++)
		CHECK_EQ_INT(kf_put_bin(s, b, 3, kf_row, kf_kf), 0);
	CHECK_EQ_INT(store_commit(s), 0);
	kf_check_reads(s, "v1 without table");
	CHECK_EQ_INT(store_get_meta(s, "schema_version", ver, sizeof(ver)), 0);
	CHECK_EQ_STR(ver, "1");
	store_close(s);
	CHECK_EQ_INT(kf_count("select count(*) from sqlite_master where name = 'keyframes'"), 0);
	/* a newer version is refused */
	CHECK(sqlite3_open(dbpath, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "UPDATE meta SET value = '4' WHERE key = 'schema_version'",
	                   NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	char err[256] = "";
	s = store_open(dbpath, STORE_RDONLY, err, sizeof(err));
	CHECK(s == NULL);
	CHECK(strstr(err, "schema version 4; this vigil reads 3") != NULL);
	store_close(s);
}

static void
cleanup(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "  could not remove %s\n", dir);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/vigil-store-XXXXXX",
	         tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/vigil.db", dir);
	RUN(test_schema_matches_sql);
	RUN(test_open_errors);
	RUN(test_meta_and_peers);
	RUN(test_entities);
	RUN(test_entity_queries);
	RUN(test_signals_write);
	RUN(test_signals_read);
	RUN(test_events_write);
	RUN(test_events_read);
	RUN(test_concurrent_read);
	RUN(test_reader_extras);
	RUN(test_insert_rate);
	RUN(test_kf_roundtrip);
	RUN(test_kf_encode_refuses);
	RUN(test_kf_decode_bad);
	RUN(test_kf_store);
	RUN(test_kf_old_database);
	cleanup();
	return TEST_MAIN_END();
}
