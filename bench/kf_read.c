/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Read latency of the store's signal readers on a replay database (built
 * by bench/kf_read.sh against a vigil library, to compare layouts or
 * versions side by side): for a sample of entities (every country, and
 * every STEP-th other entity), store_query_signals over the whole range,
 * store_signal_at at the last bin and at a time between keyframes, and
 * store_signal_between over the hour before it.  Prints microseconds per
 * call of each, and a checksum of what was read (equal across layouts of
 * the same data).
 *
 *   kf_read DB [STEP] [REPEAT]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/store.h"

struct ents {
	struct vg_entity *v;
	size_t n, cap, seen, step;
};

static int
on_ent(void *ctx, const struct vg_entity *e, const char *name)
{
	struct ents *l = ctx;
	(void)name;
	if (e->kind != VG_ENT_COUNTRY && l->seen++ % l->step)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (l->v == NULL)
			exit(1);
	}
	l->v[l->n++] = *e;
	return 0;
}

static uint64_t sum;

static int
on_sig(void *ctx, const struct vg_signal *g)
{
	(void)ctx;
	sum += g->bin_start ^ g->v4_units ^ g->prefixes;
	return 0;
}

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	char err[256];
	struct ents l = {0};
	uint32_t first, last, bl = 300;
	int rep;

	if (argc < 2) {
		fprintf(stderr, "usage: kf_read DB [STEP] [REPEAT]\n");
		return 2;
	}
	l.step = argc > 2 ? strtoul(argv[2], NULL, 10) : 100;
	rep = argc > 3 ? atoi(argv[3]) : 3;
	struct vg_store *s = store_open(argv[1], STORE_RDONLY, err, sizeof(err));
	if (s == NULL || store_time_range(s, &first, &last) < 0 ||
	    store_find_entities(s, NULL, 0, 0, on_ent, &l) < 0) {
		fprintf(stderr, "kf_read: %s\n", s ? store_error(s) : err);
		return 1;
	}
	uint32_t mid = first + (last - first) / 2 / bl * bl + 5 * bl + 17;
	double t[4] = {0};
	for (int r = 0; r < rep; r++) {
		for (size_t i = 0; i < l.n; i++) {
			struct vg_signal g;
			double t0 = now();
			if (store_query_signals(s, &l.v[i], first, last, on_sig,
			                        NULL) < 0)
				return 1;
			double t1 = now();
			if (store_signal_at(s, &l.v[i], last, &g) > 0)
				sum += g.bin_start;
			double t2 = now();
			if (store_signal_at(s, &l.v[i], mid, &g) > 0)
				sum += g.bin_start;
			double t3 = now();
			if (store_signal_between(s, &l.v[i], mid - 3600 - bl + 1,
			                         mid, &g) > 0)
				sum += g.bin_start;
			double t4 = now();
			t[0] += t1 - t0;
			t[1] += t2 - t1;
			t[2] += t3 - t2;
			t[3] += t4 - t3;
		}
	}
	double k = 1e6 / ((double)l.n * rep);
	printf("%zu entities x %d: query_signals (%u bins) %.1f us, "
	       "signal_at(last) %.1f us, signal_at(mid) %.1f us, "
	       "signal_between(hour) %.1f us; checksum %llu\n",
	       l.n, rep, (last - first) / bl + 1, t[0] * k, t[1] * k, t[2] * k,
	       t[3] * k, (unsigned long long)sum);
	store_close(s);
	free(l.v);
	return 0;
}
