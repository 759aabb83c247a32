/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tests for the scenario builder (src/scenario/): a 4-peer, 2-hour
 * scenario cloned from the real 2015-10-23 RIS session is built into a
 * mkdtemp() directory and read back with mrt_reader.  Checked: every
 * full-feed peer's bview has exactly the source table, the partial peer
 * about half of it; during the AS131279 outage no peer announces any of
 * 175.45.176.0/22, every peer withdrew all four /24s within the first 5
 * minutes and re-announced them within 5 minutes of the end; the session
 * drop and the table re-send show up as scripted; truth.json lists the
 * events with their depths; a second build with the same seed is byte for
 * byte identical and another seed is not.  Spec parsing errors name their
 * line.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vigil/mrt.h"
#include "vigil/scenario.h"
#include "test.h"

#define T0 1445558400LL /* 2015-10-23 00:00:00 UTC */

static char tmpdir[64];
static char source[512];

static const char spec_fmt[] =
    "# test scenario\n"
    "seed %u\n"
    "start 2015-10-23T00:00:00Z\n"
    "duration 2h\n"
    "source %s\n"
    "peers 4\n"
    "v6-peers 1                # peer 4 on an IPv6 session\n"
    "partial-peers 1 fraction 0.5\n"
    "churn 120/min\n"
    "jitter 30s\n"
    "level 1                   # fast gzip for the test\n"
    "outage origin 131279 from +20m until +80m\n"
    "outage origin 4837 fraction 0.25 from +10m until +40m\n"
    "session-drop peer 2 at +50m until +55m\n"
    "table-resend peer 1 at +95m\n"
    "flap prefix 8.8.8.0/24 every 10m from +60m until +90m\n"
    "pathchange origin 15169 every 5m from +100m until +110m\n";

/* ---- the source table, read independently -------------------------- */

struct srcpfx {
	struct vg_prefix p;
	int present;
};

static struct srcpfx *src;
static uint32_t nsrc, capsrc;

static int
pfx_cmp(const void *va, const void *vb)
{
	const struct vg_prefix *a = va, *b = vb;
	int c;
	if (a->afi != b->afi)
		return a->afi < b->afi ? -1 : 1;
	if ((c = memcmp(a->addr, b->addr, 16)) != 0)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static int
src_cmp(const void *a, const void *b)
{
	return pfx_cmp(&((const struct srcpfx *)a)->p,
	               &((const struct srcpfx *)b)->p);
}

/* The last state of every prefix of the source's only peer (the file has
 * one session); linear-probing map on the fly. */
static void
load_source(void)
{
	char err[256];
	vg_stream *s = vg_stream_open(source, NULL, err, sizeof(err));
	struct mrt_reader *r;
	const struct vg_elem *e;
	uint32_t *slot, cap = 1u << 21;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	slot = calloc(cap, sizeof(*slot));
	r = mrt_reader_new(s, source, NULL, NULL);
	while (mrt_reader_next_elem(r, &e) > 0) {
		uint32_t h = 2166136261u;
		if (e->type != VG_ELEM_ANNOUNCE && e->type != VG_ELEM_WITHDRAW)
			continue;
		for (int i = 0; i < 16; i++)
			h = (h ^ e->prefix.addr[i]) * 16777619u;
		h = (h ^ e->prefix.len) * 16777619u;
		h &= cap - 1;
		while (slot[h] && pfx_cmp(&src[slot[h] - 1].p, &e->prefix) != 0)
			h = (h + 1) & (cap - 1);
		if (!slot[h]) {
			if (nsrc == capsrc) {
				capsrc = capsrc ? capsrc * 2 : 1u << 16;
				src = realloc(src, capsrc * sizeof(*src));
			}
			src[nsrc].p = e->prefix;
			src[nsrc].p.safi = 1;
			slot[h] = ++nsrc;
		}
		src[slot[h] - 1].present = e->type == VG_ELEM_ANNOUNCE;
	}
	mrt_reader_free(r);
	vg_stream_close(s);
	free(slot);
	uint32_t k = 0;
	for (uint32_t i = 0; i < nsrc; i++)
		if (src[i].present)
			src[k++] = src[i];
	nsrc = k;
	qsort(src, nsrc, sizeof(*src), src_cmp);
}

/* ---- building ---------------------------------------------------------- */

static int
build(const char *dir, unsigned seed, struct scenario_stats *st)
{
	char text[4096], err[512];
	struct scenario_spec spec;
	int rc;

	snprintf(text, sizeof(text), spec_fmt, seed, source);
	scenario_spec_init(&spec);
	rc = scenario_spec_parse(&spec, text, "test.spec", err, sizeof(err));
	CHECK_EQ_INT(rc, 0);
	if (rc == 0) {
		rc = scenario_build(&spec, dir, st, NULL, NULL, err,
		                    sizeof(err));
		CHECK_EQ_INT(rc, 0);
	}
	if (rc < 0)
		fprintf(stderr, "  %s\n", err);
	scenario_spec_destroy(&spec);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of DIR, sorted: bview.* before updates.* (and by time). */
static char **
list_dir(const char *dir, unsigned *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;

	*n = 0;
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		v = realloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = strdup(de->d_name);
	}
	if (d)
		closedir(d);
	qsort(v, *n, sizeof(*v), name_cmp);
	return v;
}

static void
free_list(char **v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long l;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	l = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)l + 1);
	if (fread(p, 1, (size_t)l, f) != (size_t)l) {
		free(p);
		fclose(f);
		return NULL;
	}
	p[l] = '\0';
	fclose(f);
	*len = (size_t)l;
	return p;
}

/* ---- reading the scenario back ----------------------------------------- */

#define NPEERS 4
static const char *const peer_addr[NPEERS] = {"192.0.2.1", "192.0.2.2",
                                              "192.0.2.3", "2001:db8::4"};

static int
peer_of(const struct vg_elem *e)
{
	char a[VG_ADDR_STRLEN];
	vg_addr_str(&e->peer_addr, a);
	for (int i = 0; i < NPEERS; i++)
		if (strcmp(a, peer_addr[i]) == 0)
			return i;
	return -1;
}

static int
in_kp(const struct vg_prefix *p)
{
	struct vg_prefix kp;
	vg_prefix_parse(&kp, "175.45.176.0/22", 0);
	return vg_prefix_covers(&kp, p);
}

struct readback {
	uint64_t rib[NPEERS];
	int rib_sorted_ok;
	uint64_t rib_missing[NPEERS]; /* full peers: table prefixes absent */
	/* KP: per peer and /24 (0..3) */
	int64_t kp_wd[NPEERS][4], kp_back[NPEERS][4];
	int kp_wd_n[NPEERS][4], kp_back_n[NPEERS][4];
	uint64_t kp_ann_in_outage;
	char kp_path_after[NPEERS][64];
	/* session drop of peer 2 (index 1) */
	int states[8][2];
	int nstates;
	uint64_t p2_msgs_while_down;
	uint64_t p2_ann_after_up;
	uint64_t p1_ann_resend;
	uint64_t unknown_peer;
	uint64_t withdrawals, announcements;
	uint64_t problems;
	uint64_t ann_8888;
	uint64_t wd_8888;
};

static void
read_back(const char *dir, struct readback *rb)
{
	unsigned n;
	char **files = list_dir(dir, &n);
	const int64_t A = T0 + 20 * 60, B = T0 + 80 * 60;   /* KP outage */
	const int64_t D = T0 + 50 * 60, U = T0 + 55 * 60;   /* peer 2 */
	const int64_t R = T0 + 95 * 60;                      /* peer 1 */
	uint32_t si = 0;
	struct vg_prefix last = {0};

	memset(rb, 0, sizeof(*rb));
	rb->rib_sorted_ok = 1;
	for (unsigned f = 0; f < n; f++) {
		char path[512], err[256];
		vg_stream *s;
		struct mrt_reader *r;
		const struct vg_elem *e;
		int is_rib = strncmp(files[f], "bview.", 6) == 0;

		if (strstr(files[f], ".gz") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, files[f]);
		s = vg_stream_open(path, NULL, err, sizeof(err));
		CHECK(s != NULL);
		if (s == NULL)
			continue;
		r = mrt_reader_new(s, path, NULL, NULL);
		while (mrt_reader_next_elem(r, &e) > 0) {
			int p = peer_of(e);
			int64_t t = e->time_sec;
			if (p < 0) {
				rb->unknown_peer++;
				continue;
			}
			if (is_rib) {
				CHECK_EQ_INT(e->type, VG_ELEM_RIB);
				rb->rib[p]++;
				if (p == 0) {
					/* walk the source table alongside */
					if (last.afi &&
					    pfx_cmp(&last, &e->prefix) >= 0)
						rb->rib_sorted_ok = 0;
					last = e->prefix;
					while (si < nsrc &&
					       pfx_cmp(&src[si].p, &e->prefix) <
					           0) {
						rb->rib_missing[0]++;
						si++;
					}
					if (si < nsrc &&
					    pfx_cmp(&src[si].p, &e->prefix) ==
					        0)
						si++;
				}
				continue;
			}
			if (e->type == VG_ELEM_STATE) {
				if (rb->nstates < 8) {
					rb->states[rb->nstates][0] =
					    e->old_state;
					rb->states[rb->nstates][1] =
					    e->new_state;
				}
				rb->nstates++;
				CHECK_EQ_INT(p, 1);
				continue;
			}
			if (e->type == VG_ELEM_WITHDRAW)
				rb->withdrawals++;
			else
				rb->announcements++;
			if (p == 1 && t > D && t < U)
				rb->p2_msgs_while_down++;
			if (p == 1 && e->type == VG_ELEM_ANNOUNCE && t >= U &&
			    t < U + 120)
				rb->p2_ann_after_up++;
			if (p == 0 && e->type == VG_ELEM_ANNOUNCE && t >= R &&
			    t < R + 120)
				rb->p1_ann_resend++;
			{
				struct vg_prefix g;
				vg_prefix_parse(&g, "8.8.8.0/24", 0);
				if (vg_prefix_covers(&g, &e->prefix) &&
				    e->prefix.len == 24) {
					if (e->type == VG_ELEM_ANNOUNCE)
						rb->ann_8888++;
					else
						rb->wd_8888++;
				}
			}
			if (!in_kp(&e->prefix) || e->prefix.len != 24)
				continue;
			int k = e->prefix.addr[2] - 176;
			if (e->type == VG_ELEM_ANNOUNCE && t >= A && t < B)
				rb->kp_ann_in_outage++;
			if (e->type == VG_ELEM_WITHDRAW) {
				rb->kp_wd[p][k] = t;
				rb->kp_wd_n[p][k]++;
			} else if (t >= B && t < B + 300) {
				if (rb->kp_back_n[p][k]++ == 0) {
					rb->kp_back[p][k] = t;
					bgp_path_fmt(
					    e->path, rb->kp_path_after[p],
					    sizeof(rb->kp_path_after[p]));
				}
			}
		}
		rb->problems += mrt_reader_stats(r)->problems;
		mrt_reader_free(r);
		vg_stream_close(s);
	}
	rb->rib_missing[0] += nsrc - si;
	free_list(files, n);
}

static struct scenario_stats st1;
static char dir1[128], dir2[128], dir3[128];

static void
test_build(void)
{
	snprintf(dir1, sizeof(dir1), "%s/a", tmpdir);
	CHECK_EQ_INT(build(dir1, 11, &st1), 0);
	CHECK_EQ_INT(st1.prefixes, nsrc);
	CHECK_EQ_INT(st1.source_peer_asn, 3856);
	CHECK_EQ_INT(st1.update_files, 24);
	CHECK_EQ_INT(st1.rib_files, 1);
	CHECK_EQ_INT(st1.state_changes, 5);
	/* 120/min for 2 hours, Poisson */
	CHECK(st1.churn_events > 13800 && st1.churn_events < 15000);
}

static void
test_rib_and_outage(void)
{
	struct readback rb;
	const int64_t A = T0 + 20 * 60, B = T0 + 80 * 60;

	read_back(dir1, &rb);
	CHECK_EQ_INT(rb.problems, 0);
	CHECK_EQ_INT(rb.unknown_peer, 0);
	/* full-feed peers have the whole table, in table order */
	for (int p = 0; p < 3; p++)
		CHECK_EQ_INT(rb.rib[p], nsrc);
	CHECK_EQ_INT(rb.rib_missing[0], 0);
	CHECK(rb.rib_sorted_ok);
	/* the partial peer about half of it */
	CHECK(rb.rib[3] > nsrc * 0.49 && rb.rib[3] < nsrc * 0.51);
	CHECK_EQ_INT(rb.rib[0] + rb.rib[1] + rb.rib[2] + rb.rib[3],
	             st1.rib_entries);

	/* the KP outage */
	CHECK_EQ_INT(rb.kp_ann_in_outage, 0);
	for (int p = 0; p < 3; p++) {
		for (int k = 0; k < 4; k++) {
			CHECK_EQ_INT(rb.kp_wd_n[p][k], 1);
			CHECK(rb.kp_wd[p][k] >= A && rb.kp_wd[p][k] < A + 300);
			/* back within 5 minutes, once */
			CHECK_EQ_INT(rb.kp_back_n[p][k], 1);
			CHECK(rb.kp_back[p][k] >= B);
		}
		char want[64];
		snprintf(want, sizeof(want), "%u 1239 4837 131279", 65536 + p);
		CHECK_EQ_STR(rb.kp_path_after[p], want);
	}
	/* peer 4 carries about half the prefixes: what it has, it withdrew */
	for (int k = 0; k < 4; k++)
		CHECK_EQ_INT(rb.kp_wd_n[3][k], rb.kp_back_n[3][k]);

	/* peer 2's session: down, nothing while down, the FSM back up,
	 * then its whole table (minus the KP /24s still in outage) */
	static const int want_states[5][2] = {{6, 1}, {1, 2}, {2, 4}, {4, 5},
	                                      {5, 6}};
	CHECK_EQ_INT(rb.nstates, 5);
	for (int i = 0; i < 5 && i < rb.nstates; i++) {
		CHECK_EQ_INT(rb.states[i][0], want_states[i][0]);
		CHECK_EQ_INT(rb.states[i][1], want_states[i][1]);
	}
	CHECK_EQ_INT(rb.p2_msgs_while_down, 0);
	CHECK(rb.p2_ann_after_up >= nsrc - 4 - 200);
	/* peer 1 re-sends everything at +95m */
	CHECK(rb.p1_ann_resend >= nsrc);
	/* 8.8.8.0/24 flaps 3 times at 4 peers (if the partial one has it) */
	CHECK(rb.wd_8888 >= 9 && rb.wd_8888 <= 12);
	CHECK(rb.ann_8888 >= rb.wd_8888);
	CHECK_EQ_INT(rb.withdrawals, st1.withdrawals);
	CHECK_EQ_INT(rb.announcements, st1.announcements);
}

static void
test_truth(void)
{
	char path[256];
	size_t len;
	char *j;

	snprintf(path, sizeof(path), "%s/truth.json", dir1);
	j = slurp(path, &len);
	CHECK(j != NULL);
	if (j == NULL)
		return;
	CHECK(strstr(j, "\"kind\": \"outage\"") != NULL);
	CHECK(strstr(j,
	             "\"selector\": {\"origin\": 131279, \"upstream\": null, "
	             "\"prefixes\": [], \"fraction\": 1}") != NULL);
	CHECK(strstr(j, "\"affected_prefixes\": [\"175.45.176.0/24\", "
	                "\"175.45.177.0/24\", \"175.45.178.0/24\", "
	                "\"175.45.179.0/24\"]") != NULL);
	CHECK(strstr(j,
	             "\"start\": \"2015-10-23T00:20:00Z\", \"start_ts\": "
	             "1445559600, \"end\": \"2015-10-23T01:20:00Z\"") != NULL);
	CHECK(strstr(j, "\"kind\": \"partial-outage\"") != NULL);
	/* 159 of AS4837's 634 prefixes */
	CHECK(strstr(j, "\"selector_prefixes\": 634, \"n_affected\": 159") !=
	      NULL);
	CHECK(strstr(j, "\"depth\": 0.250789") != NULL);
	CHECK(strstr(j, "\"kind\": \"session-drop\"") != NULL);
	CHECK(strstr(j, "\"kind\": \"table-resend\"") != NULL);
	CHECK(strstr(j, "\"kind\": \"flap\"") != NULL);
	CHECK(strstr(j, "\"every\": 600, \"down\": 300, \"cycles\": 3") !=
	      NULL);
	CHECK(strstr(j, "\"kind\": \"pathchange\"") != NULL);
	CHECK(strstr(j, "\"peers\": [\"192.0.2.1\", \"192.0.2.2\", "
	                "\"192.0.2.3\"") != NULL);
	CHECK(strstr(j, "\"addr\": \"2001:db8::4\", \"asn\": 65539, "
	                "\"full_feed\": false") != NULL);
	CHECK(strstr(j, "\"bview\": [\"bview.20151023.0000.gz\"]") != NULL);
	free(j);
}

/* Same seed: the same bytes in every file; another seed: different. */
static void
test_determinism(void)
{
	struct scenario_stats st;
	unsigned n1, n2;
	char **f1, **f2;
	int differ = 0;

	snprintf(dir2, sizeof(dir2), "%s/b", tmpdir);
	snprintf(dir3, sizeof(dir3), "%s/c", tmpdir);
	CHECK_EQ_INT(build(dir2, 11, &st), 0);
	f1 = list_dir(dir1, &n1);
	f2 = list_dir(dir2, &n2);
	CHECK_EQ_INT(n1, n2);
	CHECK_EQ_INT(n1, 1 + 24 + 1);
	for (unsigned i = 0; i < n1 && i < n2; i++) {
		char p1[512], p2[512];
		size_t l1, l2;
		char *a, *b;
		CHECK_EQ_STR(f1[i], f2[i]);
		snprintf(p1, sizeof(p1), "%s/%s", dir1, f1[i]);
		snprintf(p2, sizeof(p2), "%s/%s", dir2, f2[i]);
		a = slurp(p1, &l1);
		b = slurp(p2, &l2);
		CHECK(a && b && l1 == l2 && memcmp(a, b, l1) == 0);
		free(a);
		free(b);
	}
	free_list(f2, n2);
	CHECK_EQ_INT(build(dir3, 12, &st), 0);
	f2 = list_dir(dir3, &n2);
	for (unsigned i = 0; i < n1 && i < n2; i++) {
		char p1[512], p2[512];
		size_t l1, l2;
		char *a, *b;
		if (strncmp(f1[i], "updates.", 8) != 0)
			continue;
		snprintf(p1, sizeof(p1), "%s/%s", dir1, f1[i]);
		snprintf(p2, sizeof(p2), "%s/%s", dir3, f2[i]);
		a = slurp(p1, &l1);
		b = slurp(p2, &l2);
		differ += !(a && b && l1 == l2 && memcmp(a, b, l1) == 0);
		free(a);
		free(b);
	}
	CHECK(differ > 20);
	free_list(f1, n1);
	free_list(f2, n2);
}

static void
test_spec_errors(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"start 2015-10-23T00:00:00Z\nsource x\nfrobnicate 3\n",
	     "t:3: unknown statement 'frobnicate'"},
	    {"source x\n", "no 'start TIME'"},
	    {"start 2015-10-23\n", "no 'source PATH'"},
	    {"start 2015-10-23\nsource x\noutage from +1h until +2h\n",
	     "t:3: outage needs a selector"},
	    {"start 2015-10-23\nsource x\noutage origin 1 from +2h until +1h\n",
	     "t:3: event ends before it starts"},
	    {"start 2015-10-23\nsource x\nduration 1h\n"
	     "outage origin 1 from +2h until +3h\n",
	     "t:4: event starts outside the scenario"},
	    {"start 2015-10-23\nsource x\nflap origin 1 from +1h until +2h\n",
	     "t:3: flap needs 'every DUR'"},
	    {"start 2015-10-23\nsource x\nflap origin 1 every 10m down 10m "
	     "from +1h until +2h\n",
	     "t:3: flap: 'down' must be shorter than 'every'"},
	    {"start 2015-10-23\nsource x\npeers 3\nsession-drop peer 4 at +1h "
	     "until +2h\n",
	     "t:4: peer 4 does not exist"},
	    {"start 2015-10-23\nsource x\noutage origin 1 fraction 1.5 from "
	     "+1h "
	     "until +2h\n",
	     "t:3: fraction must be in (0, 1]"},
	    {"start 2015-10-23\nsource x\nchurn fast\n", "t:3: bad rate"},
	    {"start 2015-10-23\nsource x\nduration 5x\n", "t:3: bad duration"},
	    {"start 2015-10-23\nsource x\noutage prefix 10.0.0.1/8 from +1h "
	     "until +2h\n",
	     "t:3: bad prefix list"},
	    {"start 2015-10-23\nsource x\ntable-resend peer 1 at +1h until "
	     "+2h\n",
	     "t:3: table-resend takes no 'until'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct scenario_spec s;
		char err[256] = "";
		scenario_spec_init(&s);
		CHECK_EQ_INT(scenario_spec_parse(&s, cases[i].text, "t", err,
		                                 sizeof(err)), -1);
		if (strstr(err, cases[i].want) == NULL)
			fprintf(stderr, "  case %zu: got \"%s\"\n", i, err);
		CHECK(strstr(err, cases[i].want) != NULL);
		scenario_spec_destroy(&s);
	}

	/* a good one, with every statement */
	struct scenario_spec s;
	char err[256] = "";
	setenv("VIGIL_TEST_DIR", "/data", 1);
	scenario_spec_init(&s);
	CHECK_EQ_INT(scenario_spec_parse(&s,
	    "seed 9\nstart 1445558400\nduration 1h30m\n"
	    "source ${VIGIL_TEST_DIR}/x.gz\nsource-peer 206.220.231.55\n"
	    "peers 5\npeer-asns 3356,AS174\nv6-peers 2\n"
	    "partial-peers 1 fraction 50%\nchurn 5/s\njitter 0\n"
	    "rib-interval 30m\ncompress none\nlevel 1\n"
	    "outage upstream 4837 origin 131279 fraction 0.5 peers 1,2 from "
	    "+10m until 2015-10-23T00:20:00Z  # comment\n"
	    "partial-outage prefix 175.45.176.0/22,10.0.0.0/8 from +1m to +2m\n"
	    "session-drop peer 3 from +1h until +1h10m\n",
	    "t", err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_INT(s.seed, 9);
	CHECK_EQ_INT(s.duration, 5400);
	CHECK_EQ_STR(s.source, "/data/x.gz");
	CHECK_EQ_INT(s.n_peer_asns, 2);
	CHECK_EQ_INT(s.peer_asns[1], 174);
	CHECK(s.partial_fraction == 0.5);
	CHECK(s.churn_per_min == 300);
	CHECK_EQ_INT(s.jitter, 0);
	CHECK_EQ_INT(s.gzip, 0);
	CHECK_EQ_INT(s.n_events, 3);
	if (s.n_events == 3) {
		CHECK_EQ_INT(s.events[0].start, T0 + 600);
		CHECK_EQ_INT(s.events[0].end, T0 + 1200);
		CHECK_EQ_INT(s.events[0].sel.upstream, 4837);
		CHECK_EQ_INT(s.events[0].sel.origin, 131279);
		CHECK_EQ_INT(s.events[0].n_peers, 2);
		CHECK_EQ_INT(s.events[1].sel.n_prefixes, 2);
		CHECK_EQ_INT(s.events[2].kind, SCENARIO_SESSION_DROP);
		CHECK_EQ_INT(s.events[2].end, T0 + 4200);
	}
	scenario_spec_destroy(&s);
}

/* The builder reports unusable input instead of failing later. */
static void
test_build_errors(void)
{
	struct scenario_spec s;
	char err[512] = "", dir[128];

	snprintf(dir, sizeof(dir), "%s/e", tmpdir);
	scenario_spec_init(&s);
	CHECK_EQ_INT(scenario_spec_parse(&s, "start 2015-10-23\nsource "
	                                     "/nonexistent.gz\n",
	                                 "t", err, sizeof(err)), 0);
	CHECK_EQ_INT(scenario_build(&s, dir, NULL, NULL, NULL, err,
	                            sizeof(err)), -1);
	CHECK(strstr(err, "nonexistent") != NULL);
	scenario_spec_destroy(&s);
}

int
main(void)
{
	snprintf(source, sizeof(source),
	         "%s/mrt/ris-bgpdump/input/updates.et-header.2015.gz",
	         test_data_dir());
	strcpy(tmpdir, "/tmp/vigil-scn-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	load_source();
	RUN(test_spec_errors);
	RUN(test_build_errors);
	RUN(test_build);
	RUN(test_rib_and_outage);
	RUN(test_truth);
	RUN(test_determinism);
	{
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	free(src);
	return TEST_MAIN_END();
}
