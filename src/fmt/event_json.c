/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The JSON form of an event (see vigil/event_json.h).  Field names and
 * order are an interface: `vigil events --json`, the HTTP API and the
 * alert payloads all print these objects.
 */
#include <stdio.h>
#include <time.h>

#include "vigil/event_json.h"

const char *
vg_time_iso(uint32_t t, char buf[VG_TIME_ISOLEN])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	if (tm.tm_sec)
		snprintf(buf, VG_TIME_ISOLEN, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		         tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(buf, VG_TIME_ISOLEN, "%04d-%02d-%02dT%02d:%02dZ",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		         tm.tm_hour, tm.tm_min);
	return buf;
}

/* Bytes in the valid UTF-8 sequence at S, 0 if invalid. */
static int
utf8_len(const unsigned char *s)
{
	int n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
	                      : s[0] >= 0xe0 && s[0] <= 0xef   ? 3
	                      : s[0] >= 0xf0 && s[0] <= 0xf4   ? 4
	                                                       : 0;
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

const char *
vg_dur_fmt(uint32_t d, char *buf, size_t len)
{
	if (d >= 86400)
		snprintf(buf, len, "%ud%uh", d / 86400, d % 86400 / 3600);
	else if (d >= 3600)
		snprintf(buf, len, "%uh%02um", d / 3600, d % 3600 / 60);
	else if (d >= 60)
		snprintf(buf, len, "%um", d / 60);
	else
		snprintf(buf, len, "%us", d);
	return buf;
}

void
vg_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	fputc('"', f);
	while (*p) {
		int n;
		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p++, f);
		} else if (*p < 0x20) {
			fprintf(f, "\\u%04x", *p++);
		} else if ((n = utf8_len(p)) == 0) {
			fputs("\\ufffd", f);
			p++;
		} else {
			fwrite(p, 1, (size_t)n, f);
			p += n;
		}
	}
	fputc('"', f);
}

void
vg_json_num(FILE *f, double v)
{
	if (v != v || v - v != 0) /* NaN, infinities */
		fputs("null", f);
	else
		fprintf(f, "%.6g", v);
}

void
vg_json_time(FILE *f, uint32_t t)
{
	char b[VG_TIME_ISOLEN];
	if (t == 0)
		fputs("null", f);
	else
		fprintf(f, "\"%s\"", vg_time_iso(t, b));
}

void
vg_event_json_evidence(FILE *f, const struct vg_event *ev)
{
	fputc('[', f);
	for (uint32_t i = 0; i < ev->n_evidence && ev->evidence; i++) {
		const struct vg_evidence *x = &ev->evidence[i];
		const char *what = x->what == 'p'   ? "prefix"
		                   : x->what == 'o' ? "origin"
		                   : x->what == 'u' ? "upstream"
		                                    : "other";
		fprintf(f, "%s{\"what\":\"%s\"", i ? "," : "", what);
		if (x->text[0]) {
			fputs(",\"prefix\":", f);
			vg_json_str(f, x->text);
		}
		fprintf(f, ",\"asn\":%u", x->asn);
		if (x->upstream)
			fprintf(f, ",\"upstream\":%u", x->upstream);
		if (x->path[0]) {
			fputs(",\"path\":", f);
			vg_json_str(f, x->path);
		}
		fputc('}', f);
	}
	fputc(']', f);
}

void
vg_event_json(FILE *f, const struct vg_event *ev, const char *name)
{
	char text[VG_ENTITY_STRLEN];
	vg_entity_fmt(&ev->ent, text);
	fprintf(f, "{\"id\":%llu,\"entity\":\"%s\",\"name\":",
	        (unsigned long long)ev->id, text);
	if (name)
		vg_json_str(f, name);
	else
		fputs("null", f);
	fprintf(f, ",\"kind\":\"%s\",\"level\":\"%s\",\"start\":%u,\"end\":",
	        vg_event_kind_name(ev->kind), vg_event_level_name(ev->level),
	        ev->start);
	if (ev->end)
		fprintf(f, "%u", ev->end);
	else
		fputs("null", f);
	fputs(",\"start_time\":", f);
	vg_json_time(f, ev->start);
	fputs(",\"end_time\":", f);
	vg_json_time(f, ev->end);
	fputs(",\"duration\":", f);
	if (ev->end)
		fprintf(f, "%u", ev->end - ev->start);
	else
		fputs("null", f);
	fputs(",\"depth\":", f);
	vg_json_num(f, ev->depth);
	fputs(",\"severity\":", f);
	vg_json_num(f, ev->severity);
	fputs(",\"baseline\":", f);
	vg_json_num(f, ev->baseline);
	fputs(",\"bottom\":", f);
	vg_json_num(f, ev->bottom);
	fprintf(f, ",\"n_evidence\":%u,\"n_evidence_total\":%u,\"evidence\":",
	        ev->n_evidence, ev->n_evidence_total);
	vg_event_json_evidence(f, ev);
	fputc('}', f);
}
