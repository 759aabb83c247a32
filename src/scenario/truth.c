/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * truth.json: what the scenario scripted, for tests to hold a detector
 * against.  One object: the scenario (seed, times, source, collector,
 * peers, files, churn) and "events", one per spec event with its kind,
 * selector, times, affected prefixes and peers, and the expected depth
 * (affected prefixes / prefixes the selector names).  Written with stdio
 * in a fixed order, so the same spec and seed give the same bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vigil/event_json.h"
#include "scenario_impl.h"

static void
json_time(FILE *f, const char *key, int64_t t)
{
	char iso[32];
	scn_iso_time(iso, t);
	fprintf(f, "\"%s\": \"%s\", \"%s_ts\": %lld", key, iso, key,
	        (long long)t);
}

static void
json_addr(FILE *f, const struct vg_addr *a)
{
	char s[VG_ADDR_STRLEN];
	vg_json_str(f, vg_addr_str(a, s));
}

static void
json_selector(FILE *f, const struct scenario_selector *s)
{
	fputs("{", f);
	fprintf(f, "\"origin\": ");
	if (s->origin)
		fprintf(f, "%u", s->origin);
	else
		fputs("null", f);
	fprintf(f, ", \"upstream\": ");
	if (s->upstream)
		fprintf(f, "%u", s->upstream);
	else
		fputs("null", f);
	fputs(", \"prefixes\": [", f);
	for (uint32_t i = 0; i < s->n_prefixes; i++) {
		char ps[VG_PREFIX_STRLEN];
		if (i)
			fputs(", ", f);
		vg_json_str(f, vg_prefix_str(&s->prefixes[i], ps));
	}
	fprintf(f, "], \"fraction\": %.6g}", s->fraction);
}

static void
json_event(FILE *f, const struct scn_builder *b, uint32_t id,
           const struct scn_event_out *o)
{
	const struct scenario_event *e = o->ev;
	const struct scenario_spec *s = b->spec;
	int64_t end = s->start + s->duration;
	double depth;

	switch (e->kind) {
	case SCENARIO_OUTAGE:
	case SCENARIO_FLAP:
		depth = o->base ? (double)o->n_pfx / o->base : 0;
		break;
	case SCENARIO_SESSION_DROP:
		depth = 1;
		break;
	default:
		depth = 0; /* nothing is withdrawn */
		break;
	}
	fprintf(f, "    {\"id\": %u, \"line\": %u, \"kind\": \"%s\",\n", id,
	        e->line, scenario_kind_name(e->kind, depth));
	fputs("     ", f);
	json_time(f, "start", e->start);
	fputs(", ", f);
	json_time(f, "end", e->end);
	fprintf(f, ", \"ends_after_scenario\": %s,\n",
	        e->end >= end && e->kind != SCENARIO_TABLE_RESEND ? "true"
	                                                          : "false");
	if (e->kind == SCENARIO_FLAP || e->kind == SCENARIO_PATHCHANGE)
		fprintf(f,
		        "     \"every\": %u, \"down\": %u, \"cycles\": %u,\n",
		        e->every, e->down, o->cycles);
	if (e->kind == SCENARIO_SESSION_DROP ||
	    e->kind == SCENARIO_TABLE_RESEND) {
		fputs("     \"selector\": null, \"selector_prefixes\": null, "
		      "\"affected_prefixes\": \"all\",\n", f);
	} else {
		fputs("     \"selector\": ", f);
		json_selector(f, &e->sel);
		fprintf(f,
		        ",\n     \"selector_prefixes\": %u, \"n_affected\": %u,"
		        " \"affected_prefixes\": [",
		        o->base, o->n_pfx);
		for (uint32_t k = 0; k < o->n_pfx; k++) {
			char ps[VG_PREFIX_STRLEN];
			fputs(k ? (k % 8 ? ", " : ",\n       ") : "", f);
			vg_json_str(f,
			         vg_prefix_str(&b->tab.pfx[o->pfx[k]].p, ps));
		}
		fputs("],\n", f);
	}
	fprintf(f, "     \"depth\": %.6g, \"routes\": %llu, \"peers\": [",
	        depth, (unsigned long long)o->routes);
	for (uint32_t k = 0; k < o->n_peers; k++) {
		if (k)
			fputs(", ", f);
		json_addr(f, &b->peers[o->peers[k]].addr);
	}
	fputs("], \"peer_numbers\": [", f);
	for (uint32_t k = 0; k < o->n_peers; k++)
		fprintf(f, "%s%u", k ? ", " : "", o->peers[k] + 1);
	fputs("]}", f);
}

int
scn_truth_write(const struct scn_builder *b, const char *path,
                const struct scenario_stats *st, char *err, size_t errlen)
{
	const struct scenario_spec *s = b->spec;
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		snprintf(err, errlen, "cannot create %s: %s", path,
		         strerror(errno));
		return -1;
	}
	fputs("{\n  \"format\": \"vigil-scenario-truth 1\",\n", f);
	fprintf(f, "  \"seed\": %llu,\n  ", (unsigned long long)s->seed);
	json_time(f, "start", s->start);
	fputs(",\n  ", f);
	json_time(f, "end", s->start + s->duration);
	fprintf(f, ",\n  \"duration\": %u,\n", s->duration);
	fputs("  \"source\": {\"file\": ", f);
	vg_json_str(f, s->source);
	fputs(", \"peer\": ", f);
	json_addr(f, &b->tab.peer);
	fprintf(f, ", \"peer_asn\": %u, \"prefixes\": %u, \"ipv6_prefixes\": "
	           "%u, \"attribute_sets\": %u},\n",
	        b->tab.peer_asn, st->prefixes, st->prefixes_v6, st->attr_sets);
	fputs("  \"collector\": {\"addr4\": ", f);
	json_addr(f, &b->local4);
	fputs(", \"addr6\": ", f);
	json_addr(f, &b->local6);
	fprintf(f, ", \"asn\": %u},\n", b->local_asn);
	fputs("  \"peers\": [\n", f);
	for (uint32_t p = 0; p < b->np; p++) {
		const struct scn_peer *pe = &b->peers[p];
		fprintf(f, "    {\"peer\": %u, \"addr\": ", p + 1);
		json_addr(f, &pe->addr);
		fprintf(
		    f,
		    ", \"asn\": %u, \"full_feed\": %s, \"prefixes\": %u}%s\n",
		    pe->asn, pe->full ? "true" : "false", pe->carried,
		    p + 1 < b->np ? "," : "");
	}
	fputs("  ],\n  \"files\": {\"bview\": [", f);
	for (uint32_t i = 0; i < b->n_bviews; i++) {
		if (i)
			fputs(", ", f);
		vg_json_str(f, b->bviews[i]);
	}
	fputs("], \"updates_first\": ", f);
	vg_json_str(f, b->first_update);
	fputs(", \"updates_last\": ", f);
	vg_json_str(f, b->last_update);
	fprintf(f, ", \"updates\": %u},\n", b->n_updates);
	fprintf(f, "  \"churn\": {\"per_min\": %.6g, \"events\": %llu, "
	           "\"jitter\": %u},\n",
	        s->churn_per_min, (unsigned long long)st->churn_events,
	        s->jitter);
	fputs("  \"events\": [\n", f);
	for (uint32_t i = 0; i < s->n_events; i++) {
		json_event(f, b, i + 1, &b->evo[i]);
		fputs(i + 1 < s->n_events ? ",\n" : "\n", f);
	}
	fputs("  ]\n}\n", f);
	if (ferror(f) | fclose(f)) {
		snprintf(err, errlen, "writing %s failed", path);
		return -1;
	}
	return 0;
}
