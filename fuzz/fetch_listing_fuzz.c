/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for the archive directory listing parser
 * (fetch_listing_parse) and the planner it feeds: byte 0 picks the
 * project (RIS or RouteViews), bytes 1-4 the start of the range within the
 * listed times; the rest is the listing page.  Checks that every name
 * reported is really in the page (the name rebuilt from the reported kind
 * and time occurs in the input), that the count returned is the number of
 * callbacks, and that the plan built from the names is ordered, inside the
 * range, and that its gaps lie inside the range without overlapping.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	const struct fetch_collector *c;
	const char *text;
	size_t len, calls;
	uint32_t *ribs, *upds;
	size_t nribs, nupds;
};

static void
on_name(void *ctx, enum fetch_kind kind, uint32_t t)
{
	struct seen *s = ctx;
	char name[64];
	s->calls++;
	fetch_file_name(s->c, kind, t, name, sizeof(name));
	if (memmem(s->text, s->len, name, strlen(name)) == NULL)
		abort(); /* reported a name that is not in the page */
	uint32_t **v = kind == FETCH_RIB ? &s->ribs : &s->upds;
	size_t *n = kind == FETCH_RIB ? &s->nribs : &s->nupds;
	uint32_t *nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (nv == NULL)
		return;
	*v = nv;
	(*v)[(*n)++] = t;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fetch_collector c;
	char err[256];
	if (size < 5)
		return 0;
	int ris = data[0] & 1;
	if (fetch_collector_init(&c, ris ? "rrc00" : "route-views.linx",
	                         "http://m", err, sizeof(err)) < 0)
		abort();
	uint32_t off = (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 |
	               (uint32_t)data[3] << 8 | data[4];
	struct seen s = {&c, (const char *)data + 5, size - 5, 0, NULL, NULL,
	                 0, 0};
	size_t n = fetch_listing_parse(s.text, s.len, c.project, on_name, &s);
	if (n != s.calls)
		abort();

	/* plan a range that starts somewhere among the names */
	uint32_t lo = UINT32_MAX;
	for (size_t i = 0; i < s.nupds; i++)
		if (s.upds[i] < lo)
			lo = s.upds[i];
	if (lo == UINT32_MAX)
		lo = 1427846400u;
	uint32_t from = lo + off % (7 * 86400);
	uint32_t until = from + 1 + (off >> 8) % (2 * 86400);
	if (until < from)
		until = UINT32_MAX;
	struct fetch_plan p;
	fetch_plan_init(&p);
	if (fetch_plan_collector(&p, &c, "/c", s.ribs, s.nribs, s.upds,
	                         s.nupds, from, until) == 0) {
		fetch_plan_sort(&p);
		for (size_t i = 0; i < p.nitems; i++) {
			const struct fetch_item *it = &p.items[i];
			if (it->time >= until)
				abort();
			if (i && it->time < p.items[i - 1].time)
				abort();
			if (it->kind == FETCH_RIB && it->time > from)
				abort();
		}
		for (size_t i = 0; i < p.ngaps; i++) {
			const struct fetch_gap *g = &p.gaps[i];
			if (g->from >= g->until || g->until > until)
				abort();
			if (i && g->from < p.gaps[i - 1].until)
				abort();
		}
	}
	fetch_plan_free(&p);
	free(s.ribs);
	free(s.upds);
	return 0;
}
