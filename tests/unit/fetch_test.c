/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of src/fetch without a network: collector names and archive
 * layouts (RIS, route-views2 at the root, other RouteViews collectors),
 * time stamps, directory listing parsing, the planner (RIB at or before
 * the start, the update file covering the start, until exclusive, gaps at
 * the start, middle and end, merged gaps, nominal slots, order across
 * collectors), the RIR delegation file URLs; and that the observatory does
 * not judge bins in a data gap (obs_gap).
 */
#include <string.h>

#include "test.h"
#include "vigil/fetch.h"
#include "vigil/obs.h"

/* 2015-04-01 00:00:00 UTC */
#define T0 1427846400u

static void
test_collectors(void)
{
	struct fetch_collector c;
	char err[256];
	CHECK_EQ_INT(fetch_collector_init(&c, "rrc00", NULL, err, sizeof(err)), 0);
	CHECK_EQ_INT(c.project, FETCH_RIS);
	CHECK_EQ_INT(c.upd_interval, 300);
	CHECK_EQ_INT(c.rib_interval, 8 * 3600);
	CHECK_EQ_STR(c.base, FETCH_RIS_BASE);
	CHECK_EQ_INT(fetch_collector_init(&c, "route-views2", "http://m/rv//",
	                                  err, sizeof(err)), 0);
	CHECK_EQ_INT(c.project, FETCH_RV);
	CHECK_EQ_INT(c.upd_interval, 900);
	CHECK_EQ_INT(c.rib_interval, 2 * 3600);
	CHECK_EQ_STR(c.base, "http://m/rv");
	CHECK_EQ_INT(fetch_collector_init(&c, "route-views.sydney", NULL, err,
	                                  sizeof(err)), 0);
	CHECK_EQ_STR(c.base, FETCH_RV_BASE);
	CHECK_EQ_INT(fetch_collector_init(&c, "route-views3", NULL, err,
	                                  sizeof(err)), 0);
	const char *bad[] = {"rrc", "rrc0", "rrc001", "route-views",
	                     "route-views.", "../rrc00", "RRC00", "bgp", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_EQ_INT(fetch_collector_init(&c, bad[i], NULL, err,
		                                  sizeof(err)), -1);
		CHECK(strstr(err, "unknown collector") != NULL);
	}
}

static void
test_layouts(void)
{
	struct fetch_collector ris, rv2, linx;
	char err[256], s[1024];
	fetch_collector_init(&ris, "rrc00", "https://data.ris.ripe.net", err,
	                     sizeof(err));
	fetch_collector_init(&rv2, "route-views2", NULL, err, sizeof(err));
	fetch_collector_init(&linx, "route-views.linx", NULL, err, sizeof(err));
	uint32_t t = 1419062400u; /* 2014-12-20 08:00 */
	fetch_file_url(&ris, FETCH_RIB, t, s, sizeof(s));
	CHECK_EQ_STR(s, "https://data.ris.ripe.net/rrc00/2014.12/bview.20141220.0800.gz");
	fetch_file_url(&ris, FETCH_UPDATES, t + 300, s, sizeof(s));
	CHECK_EQ_STR(s, "https://data.ris.ripe.net/rrc00/2014.12/updates.20141220.0805.gz");
	fetch_file_url(&rv2, FETCH_RIB, t, s, sizeof(s));
	CHECK_EQ_STR(s, "https://archive.routeviews.org/bgpdata/2014.12/RIBS/rib.20141220.0800.bz2");
	fetch_file_url(&rv2, FETCH_UPDATES, t + 900, s, sizeof(s));
	CHECK_EQ_STR(s, "https://archive.routeviews.org/bgpdata/2014.12/UPDATES/updates.20141220.0815.bz2");
	fetch_file_url(&linx, FETCH_UPDATES, t, s, sizeof(s));
	CHECK_EQ_STR(s, "https://archive.routeviews.org/route-views.linx/bgpdata/2014.12/UPDATES/updates.20141220.0800.bz2");
	fetch_cache_path(&rv2, "/c", FETCH_UPDATES, t, s, sizeof(s));
	CHECK_EQ_STR(s, "/c/route-views2/bgpdata/2014.12/UPDATES/updates.20141220.0800.bz2");
	fetch_cache_path(&linx, "/c", FETCH_RIB, t, s, sizeof(s));
	CHECK_EQ_STR(s, "/c/route-views.linx/bgpdata/2014.12/RIBS/rib.20141220.0800.bz2");
	fetch_cache_path(&ris, "c", FETCH_UPDATES, t, s, sizeof(s));
	CHECK_EQ_STR(s, "c/rrc00/2014.12/updates.20141220.0800.gz");
	fetch_dir_path(&rv2, FETCH_RIB, 2008, 2, s, sizeof(s));
	CHECK_EQ_STR(s, "bgpdata/2008.02/RIBS");
}

static void
test_stamps(void)
{
	uint32_t t = 0;
	CHECK_EQ_INT(fetch_parse_stamp("20150401.0000", &t), 0);
	CHECK_EQ_INT(t, T0);
	CHECK_EQ_INT(fetch_parse_stamp("20080223.0146", &t), 0);
	CHECK_EQ_INT(t, 1203731160u);
	const char *bad[] = {"20150231.0000", "20151301.0000", "20150401.2400",
	                     "20150401.0060", "2015040.10000", "20150401-0000",
	                     "19690101.0000", "20150400.0000"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ_INT(fetch_parse_stamp(bad[i], &t), -1);
}

struct names {
	uint32_t rib[16], upd[16];
	unsigned nrib, nupd;
};

static void
on_name(void *ctx, enum fetch_kind kind, uint32_t t)
{
	struct names *n = ctx;
	if (kind == FETCH_RIB && n->nrib < 16)
		n->rib[n->nrib++] = t;
	else if (kind == FETCH_UPDATES && n->nupd < 16)
		n->upd[n->nupd++] = t;
}

static void
test_listing(void)
{
	/* an Apache-style page: every name twice (href and text) */
	const char *html =
	    "<html><body><a href=\"bview.20150401.0000.gz\">bview.20150401.0000.gz</a>\n"
	    "<a href=\"updates.20150401.0005.gz\">updates.20150401.0005.gz</a> 1.2M\n"
	    "<a href=\"updates.20150401.0010.gz.md5\">x</a>\n"  /* not a file */
	    "<a href=\"xupdates.20150401.0015.gz\">y</a>\n"     /* other name */
	    "updates.20150231.0000.gz updates.20150401.0020.bz2\n" /* bad */
	    "rib.20150401.0200.bz2 updates.20150401.0025.gz";
	struct names n;
	memset(&n, 0, sizeof(n));
	size_t k = fetch_listing_parse(html, strlen(html), FETCH_RIS, on_name, &n);
	CHECK_EQ_INT(k, 5);
	CHECK_EQ_INT(n.nrib, 2);
	CHECK_EQ_INT(n.rib[0], T0);
	CHECK_EQ_INT(n.nupd, 3);
	CHECK_EQ_INT(n.upd[0], T0 + 300);
	CHECK_EQ_INT(n.upd[2], T0 + 1500);
	memset(&n, 0, sizeof(n));
	k = fetch_listing_parse(html, strlen(html), FETCH_RV, on_name, &n);
	CHECK_EQ_INT(k, 2); /* updates...0020.bz2 and rib...0200.bz2 */
	CHECK_EQ_INT(n.nrib, 1);
	CHECK_EQ_INT(n.rib[0], T0 + 7200);
	CHECK_EQ_INT(n.upd[0], T0 + 1200);
	/* a name cut by the end of the buffer is not a name */
	const char *cut = "updates.20150401.0025.g";
	CHECK_EQ_INT(fetch_listing_parse(cut, strlen(cut), FETCH_RIS, NULL, NULL), 0);
	CHECK_EQ_INT(fetch_listing_parse("", 0, FETCH_RIS, NULL, NULL), 0);
}

static void
test_plan_rib_and_updates(void)
{
	struct fetch_collector c;
	struct fetch_plan p;
	char err[256];
	fetch_collector_init(&c, "rrc00", "http://m", err, sizeof(err));
	fetch_plan_init(&p);
	uint32_t ribs[] = {T0 + 16 * 3600, T0, T0 + 8 * 3600, T0 - 8 * 3600};
	uint32_t upds[64];
	size_t nu = 0;
	/* every 5 minutes from 07:50 to 10:00, but 08:20 and 08:25 lost */
	for (uint32_t t = T0 + 7 * 3600 + 3000; t < T0 + 10 * 3600; t += 300)
		if (t != T0 + 8 * 3600 + 1200 && t != T0 + 8 * 3600 + 1500)
			upds[nu++] = t;
	/* from 08:30 until 09:00: the 08:00 RIB, updates 08:00 ... 08:55 */
	CHECK_EQ_INT(fetch_plan_collector(&p, &c, "/c", ribs, 4, upds, nu,
	                                  T0 + 8 * 3600 + 1800,
	                                  T0 + 9 * 3600), 0);
	fetch_plan_sort(&p);
	CHECK_EQ_INT(p.nitems, 1 + 12 - 2);
	CHECK_EQ_INT(p.items[0].kind, FETCH_RIB);
	CHECK_EQ_INT(p.items[0].time, T0 + 8 * 3600);
	CHECK_EQ_INT(p.items[1].kind, FETCH_UPDATES);
	CHECK_EQ_INT(p.items[1].time, T0 + 8 * 3600);
	CHECK_EQ_INT(p.items[p.nitems - 1].time, T0 + 8 * 3600 + 3300);
	CHECK_EQ_INT(p.items[p.nitems - 1].next_time, T0 + 9 * 3600);
	CHECK_EQ_STR(p.items[0].url, "http://m/rrc00/2015.04/bview.20150401.0800.gz");
	CHECK_EQ_STR(p.items[0].path, "/c/rrc00/2015.04/bview.20150401.0800.gz");
	/* the lost files are a gap; the file before it ends where the next
	 * one starts */
	CHECK_EQ_INT(p.ngaps, 1);
	CHECK_EQ_INT(p.gaps[0].from, T0 + 8 * 3600 + 1200);
	CHECK_EQ_INT(p.gaps[0].until, T0 + 8 * 3600 + 1800);
	CHECK_EQ_STR(p.gaps[0].collector, "rrc00");
	for (size_t i = 0; i < p.nitems; i++)
		if (p.items[i].time == T0 + 8 * 3600 + 900 &&
		    p.items[i].kind == FETCH_UPDATES)
			CHECK_EQ_INT(p.items[i].next_time, T0 + 8 * 3600 + 1800);
	fetch_plan_free(&p);
}

static void
test_plan_no_rib_edges(void)
{
	struct fetch_collector c;
	struct fetch_plan p;
	char err[256];
	fetch_collector_init(&c, "route-views2", NULL, err, sizeof(err));
	fetch_plan_init(&p);
	/* RouteViews 2008 minutes: 00:14, 00:29, 00:44, 00:59, 01:14; a RIB
	 * three days old is too old to start from */
	uint32_t upds[] = {T0 + 840, T0 + 1740, T0 + 2640, T0 + 3540, T0 + 4440};
	uint32_t old = T0 - 3 * 86400;
	CHECK_EQ_INT(fetch_plan_collector(&p, &c, "/c", &old, 1, upds, 5,
	                                  T0 + 1800, T0 + 3540), 0);
	/* the file covering 00:30 (00:29), then 00:44; 00:59 is the end
	 * (exclusive) */
	CHECK_EQ_INT(p.nitems, 2);
	CHECK_EQ_INT(p.items[0].time, T0 + 1740);
	CHECK_EQ_INT(p.items[1].time, T0 + 2640);
	CHECK_EQ_INT(p.ngaps, 0);
	CHECK_EQ_INT(p.nnotes, 1);
	CHECK(strstr(p.notes[0], "no RIB dump") != NULL);
	fetch_plan_free(&p);

	/* data starts late and ends early: gaps at both ends */
	fetch_plan_init(&p);
	CHECK_EQ_INT(fetch_plan_collector(&p, &c, "/c", NULL, 0, upds + 2, 1,
	                                  T0, T0 + 7200), 0);
	CHECK_EQ_INT(p.nitems, 1);
	CHECK_EQ_INT(p.ngaps, 2);
	CHECK_EQ_INT(p.gaps[0].from, T0);
	CHECK_EQ_INT(p.gaps[0].until, T0 + 2640);
	CHECK_EQ_INT(p.gaps[1].from, T0 + 2640 + 900);
	CHECK_EQ_INT(p.gaps[1].until, T0 + 7200);
	/* gaps merge */
	CHECK_EQ_INT(fetch_plan_add_gap(&p, "route-views2", T0 + 2640,
	                                T0 + 3540, "x"), 0);
	CHECK_EQ_INT(p.ngaps, 2);
	CHECK_EQ_INT(p.gaps[0].until, T0 + 3540);
	fetch_plan_free(&p);

	/* nothing at all: one gap, the whole range */
	fetch_plan_init(&p);
	CHECK_EQ_INT(fetch_plan_collector(&p, &c, "/c", NULL, 0, NULL, 0, T0,
	                                  T0 + 3600), 0);
	CHECK_EQ_INT(p.nitems, 0);
	CHECK_EQ_INT(p.ngaps, 1);
	fetch_plan_free(&p);
}

static void
test_slots_and_order(void)
{
	struct fetch_collector ris, rv;
	struct fetch_plan p;
	char err[256];
	uint32_t *v;
	size_t n;
	fetch_collector_init(&ris, "rrc06", NULL, err, sizeof(err));
	fetch_collector_init(&rv, "route-views.jinx", NULL, err, sizeof(err));
	CHECK_EQ_INT(fetch_slots(&rv, FETCH_UPDATES, T0 + 100, T0 + 1800, &v, &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(v[0], T0);
	CHECK_EQ_INT(v[1], T0 + 900);
	free(v);
	CHECK_EQ_INT(fetch_slots(&ris, FETCH_RIB, T0 + 9 * 3600, T0 + 9 * 3600 + 1, &v, &n), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(v[0], T0 + 8 * 3600);
	free(v);

	/* two collectors: merged by time, RIBs first at equal times */
	fetch_plan_init(&p);
	uint32_t ru[] = {T0, T0 + 300, T0 + 600}, vu[] = {T0, T0 + 900};
	uint32_t vr[] = {T0};
	fetch_plan_collector(&p, &ris, "/c", NULL, 0, ru, 3, T0, T0 + 900);
	fetch_plan_collector(&p, &rv, "/c", vr, 1, vu, 2, T0, T0 + 900);
	fetch_plan_sort(&p);
	CHECK_EQ_INT(p.nitems, 5);
	CHECK_EQ_STR(p.items[0].collector, "route-views.jinx");
	CHECK_EQ_INT(p.items[0].kind, FETCH_RIB);
	CHECK_EQ_STR(p.items[1].collector, "rrc06");
	CHECK_EQ_STR(p.items[2].collector, "route-views.jinx");
	CHECK_EQ_INT(p.items[2].kind, FETCH_UPDATES);
	CHECK_EQ_INT(p.items[3].time, T0 + 300);
	CHECK_EQ_INT(p.items[4].time, T0 + 600);
	CHECK_EQ_INT(p.ngaps, 0);
	fetch_plan_free(&p);
}

static void
test_geo_urls(void)
{
	struct fetch_opts o;
	struct fetch_plan p;
	fetch_opts_default(&o);
	o.cache = "/c";
	o.rir_base[2] = "http://m/arin/";
	fetch_plan_init(&p);
	CHECK_EQ_INT(fetch_plan_geo(&p, &o, 1419062400u + 3600), 0);
	CHECK_EQ_INT(p.nitems, 5);
	CHECK_EQ_STR(p.items[0].url, "https://ftp.afrinic.net/pub/stats/afrinic/2014/delegated-afrinic-extended-20141220");
	CHECK_EQ_STR(p.items[1].url, "https://ftp.apnic.net/stats/apnic/2014/delegated-apnic-extended-20141220.gz");
	CHECK_EQ_STR(p.items[2].url, "http://m/arin/delegated-arin-extended-20141220");
	CHECK_EQ_STR(p.items[3].url, "https://ftp.lacnic.net/pub/stats/lacnic/delegated-lacnic-extended-20141220");
	CHECK_EQ_STR(p.items[4].url, "https://ftp.ripe.net/pub/stats/ripencc/2014/delegated-ripencc-extended-20141220.bz2");
	CHECK_EQ_STR(p.items[4].path, "/c/geo/ripencc/2014/delegated-ripencc-extended-20141220.bz2");
	fetch_plan_free(&p);
}

/* ---- the detectors and data gaps ------------------------------------------ */

struct ev_count {
	unsigned outages;
};

static void
on_event(void *ctx, const struct vg_event *ev)
{
	struct ev_count *c = ctx;
	if (ev->kind == VG_EVENT_OUTAGE && ev->ent.kind == VG_ENT_ASN &&
	    ev->ent.asn == 65001)
		c->outages++;
}

static struct vg_elem
elem(enum vg_elem_type type, uint32_t t, const char *pfx,
     struct bgp_path *path, struct bgp_attrs *attrs)
{
	struct vg_elem e;
	memset(&e, 0, sizeof(e));
	e.type = (uint8_t)type;
	e.time_sec = t;
	e.peer_asn = 64512;
	vg_addr_parse(&e.peer_addr, "192.0.2.1");
	vg_prefix_parse(&e.prefix, pfx, 1);
	if (type != VG_ELEM_WITHDRAW) {
		e.path = path;
		e.attrs = attrs;
		e.attrs_gen = 1 + (uint32_t)(path->asn[1]);
	}
	return e;
}

/* AS65001's /16 withdrawn for 40 minutes after two hours; with GAP, the
 * data of those bins is declared missing. */
static unsigned
run_outage(int gap)
{
	struct obs_opts oo;
	obs_opts_default(&oo);
	oo.rib.full_v4 = 1;
	oo.rib.full_v6 = 1;
	oo.warmup_bins = 4;
	oo.window_bins = 24;
	struct geo_db *geo = geo_db_new();
	geo_db_finish(geo);
	struct ev_count cnt = {0};
	struct obs_sink sink = {&cnt, NULL, on_event, NULL};
	struct obs *ob = obs_new(&oo, geo, &sink);
	uint32_t a1[2] = {64512, 65001}, a2[2] = {64512, 65002};
	uint8_t st[1] = {BGP_AS_SEQUENCE};
	uint32_t sl[1] = {2};
	struct bgp_path p1 = {a1, st, sl, 2, 1, 0, 0};
	struct bgp_path p2 = {a2, st, sl, 2, 1, 0, 0};
	struct bgp_attrs at;
	memset(&at, 0, sizeof(at));
	uint32_t t = T0;
	if (gap)
		obs_gap(ob, T0 + 7200, T0 + 7200 + 3000);
	struct vg_elem e = elem(VG_ELEM_ANNOUNCE, t, "11.1.0.0/16", &p1, &at);
	obs_elem(ob, "rrc00", &e);
	e = elem(VG_ELEM_ANNOUNCE, t, "11.2.0.0/16", &p2, &at);
	obs_elem(ob, "rrc00", &e);
	for (t = T0 + 60; t < T0 + 5 * 3600; t += 300) {
		if (t == T0 + 7200 + 60) {
			e = elem(VG_ELEM_WITHDRAW, t, "11.1.0.0/16", NULL, NULL);
			obs_elem(ob, "rrc00", &e);
		} else if (t == T0 + 7200 + 2400 + 60) {
			e = elem(VG_ELEM_ANNOUNCE, t, "11.1.0.0/16", &p1, &at);
			obs_elem(ob, "rrc00", &e);
		}
		/* a heartbeat: the other prefix re-announced */
		e = elem(VG_ELEM_ANNOUNCE, t, "11.2.0.0/16", &p2, &at);
		obs_elem(ob, "rrc00", &e);
	}
	obs_finish(ob);
	obs_free(ob);
	geo_db_free(geo);
	return cnt.outages;
}

static void
test_obs_gap_not_judged(void)
{
	/* without the gap the withdrawal is an outage ... */
	CHECK(run_outage(0) > 0);
	/* ... with it, those bins are not evaluated: no outage */
	CHECK_EQ_INT(run_outage(1), 0);
}

int
main(void)
{
	RUN(test_collectors);
	RUN(test_layouts);
	RUN(test_stamps);
	RUN(test_listing);
	RUN(test_plan_rib_and_updates);
	RUN(test_plan_no_rib_edges);
	RUN(test_slots_and_order);
	RUN(test_geo_urls);
	RUN(test_obs_gap_not_judged);
	return TEST_MAIN_END();
}
