/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a notification says: its key, the line of text for people, the
 * generic JSON body (also the JSON line), the Slack message, and the
 * retry schedule.  Pure functions, no I/O: the unit tests check them
 * directly (tests/unit/alert_test.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/alert.h"
#include "vigil/event_json.h"

const char *
alert_transition_name(enum alert_transition t)
{
	switch (t) {
	case ALERT_OPENED:
		return "opened";
	case ALERT_ESCALATED:
		return "escalated";
	case ALERT_RESTORED:
		return "restored";
	}
	return "unknown";
}

void
alert_key(const struct vg_event *ev, enum alert_transition t, char *buf,
          size_t len)
{
	char ent[VG_ENTITY_STRLEN];
	vg_entity_fmt(&ev->ent, ent);
	snprintf(buf, len, "%llu-%s-%u-%s", (unsigned long long)ev->id, ent,
	         ev->start, alert_transition_name(t));
}


/* ", 4 prefixes, origin AS131279, upstreams AS4837 AS9002" */
static void
evidence_text(const struct vg_event *ev, char *buf, size_t len)
{
	uint32_t np = 0, seen[2][4], ns[2] = {0, 0}, more[2] = {0, 0};
	size_t off = 0;
	int k;

	buf[0] = '\0';
	for (uint32_t i = 0; i < ev->n_evidence && ev->evidence; i++) {
		const struct vg_evidence *x = &ev->evidence[i];
		int w = x->what == 'o' ? 0 : x->what == 'u' ? 1 : -1;
		if (x->what == 'p')
			np++;
		if (w < 0)
			continue;
		uint32_t j;
		for (j = 0; j < ns[w] && seen[w][j] != x->asn; j++)
			;
		if (j < ns[w])
			continue;
		if (ns[w] < 4)
			seen[w][ns[w]++] = x->asn;
		else
			more[w]++;
	}
	if (np) {
		k = snprintf(buf + off, len - off, ", %u prefix%s", np,
		             np == 1 ? "" : "es");
		off += k > 0 ? (size_t)k : 0;
	}
	for (int w = 0; w < 2 && off < len; w++) {
		if (ns[w] == 0)
			continue;
		k = snprintf(buf + off, len - off, ", %s%s",
		             w == 0 ? "origin" : "upstream",
		             ns[w] + more[w] > 1 ? "s" : "");
		off += k > 0 ? (size_t)k : 0;
		for (uint32_t j = 0; j < ns[w] && off < len; j++) {
			k = snprintf(buf + off, len - off, " AS%u", seen[w][j]);
			off += k > 0 ? (size_t)k : 0;
		}
		if (more[w] && off < len) {
			k = snprintf(buf + off, len - off, " +%u", more[w]);
			off += k > 0 ? (size_t)k : 0;
		}
	}
	if (off >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

static void
who(const struct vg_event *ev, const char *name, char *buf, size_t len)
{
	char ent[VG_ENTITY_STRLEN];
	vg_entity_fmt(&ev->ent, ent);
	if (name && name[0])
		snprintf(buf, len, "%s (%s)", name, ent);
	else
		snprintf(buf, len, "%s", ent);
}

/* V with PREC decimals, or "?" when it is not a number. */
static const char *
num(double v, int prec, char *buf, size_t len)
{
	if (v != v || v - v != 0)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%.*f", prec, v);
	return buf;
}

char *
alert_summary(const struct vg_event *ev, enum alert_transition t,
              const char *name, char *buf, size_t len)
{
	char w[160], t0[VG_TIME_ISOLEN], t1[VG_TIME_ISOLEN], d[32], evid[200];
	char pct[32], base[32], bot[32], score[32];
	const char *lvl = vg_event_level_name(ev->level);
	int outage = ev->kind == VG_EVENT_OUTAGE;

	who(ev, name, w, sizeof(w));
	vg_time_iso(ev->start, t0);
	evidence_text(ev, evid, sizeof(evid));
	num(ev->depth * 100, 0, pct, sizeof(pct));
	num(ev->baseline, 0, base, sizeof(base));
	num(ev->bottom, 0, bot, sizeof(bot));
	num(ev->depth, 1, score, sizeof(score));
	switch (t) {
	case ALERT_OPENED:
		if (outage)
			snprintf(buf, len,
			         "Outage (%s) in %s since %s: %s%% of %s /24s "
			         "lost (down to %s)%s",
			         lvl, w, t0, pct, base, bot, evid);
		else
			snprintf(buf, len,
			         "Instability (%s) in %s since %s: score %s, "
			         "%s events per bin (baseline %s)%s",
			         lvl, w, t0, score, bot, base, evid);
		break;
	case ALERT_ESCALATED:
		if (outage)
			snprintf(buf, len,
			         "Outage in %s escalated to %s: %s%% of %s /24s "
			         "lost since %s%s",
			         w, lvl, pct, base, t0, evid);
		else
			snprintf(buf, len,
			         "Instability in %s escalated to %s: score %s "
			         "since %s%s",
			         w, lvl, score, t0, evid);
		break;
	case ALERT_RESTORED:
		vg_time_iso(ev->end, t1);
		vg_dur_fmt(ev->end > ev->start ? ev->end - ev->start : 0, d,
		           sizeof(d));
		if (outage)
			snprintf(buf, len,
			         "Outage in %s restored at %s after %s (%s, had "
			         "lost %s%% of %s /24s)",
			         w, t1, d, lvl, pct, base);
		else
			snprintf(buf, len,
			         "Instability in %s ended at %s after %s (%s, "
			         "peak score %s)",
			         w, t1, d, lvl, score);
		break;
	default:
		snprintf(buf, len, "Event %llu in %s", (unsigned long long)ev->id,
		         w);
	}
	return buf;
}

/* Close stream F (from open_memstream) and hand back its buffer. */
static char *
take(FILE *f, char **buf, size_t *len, size_t *outlen)
{
	int bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		free(*buf);
		return NULL;
	}
	if (outlen)
		*outlen = *len;
	return *buf;
}

char *
alert_json(const struct vg_event *ev, enum alert_transition t,
           const char *name, uint32_t at, size_t *len)
{
	char key[160], ent[VG_ENTITY_STRLEN], sum[768];
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (f == NULL)
		return NULL;
	alert_key(ev, t, key, sizeof(key));
	vg_entity_fmt(&ev->ent, ent);
	fputs("{\"key\":", f);
	vg_json_str(f, key);
	fprintf(f, ",\"transition\":\"%s\",\"kind\":\"%s\",\"level\":\"%s\","
	           "\"entity\":\"%s\",\"name\":",
	        alert_transition_name(t), vg_event_kind_name(ev->kind),
	        vg_event_level_name(ev->level), ent);
	if (name)
		vg_json_str(f, name);
	else
		fputs("null", f);
	fprintf(f, ",\"detected_at\":%u,\"detected_time\":", at);
	vg_json_time(f, at);
	fputs(",\"summary\":", f);
	vg_json_str(f, alert_summary(ev, t, name, sum, sizeof(sum)));
	fputs(",\"event\":", f);
	vg_event_json(f, ev, name);
	fputc('}', f);
	return take(f, &buf, &n, len);
}

/* Slack mrkdwn wants &, < and > escaped (they start links and mentions). */
static void
mrkdwn(char *out, size_t len, const char *s)
{
	size_t o = 0;
	for (; *s && o + 6 < len; s++) {
		const char *r = *s == '&' ? "&amp;" : *s == '<' ? "&lt;"
		                : *s == '>' ? "&gt;" : NULL;
		if (r) {
			memcpy(out + o, r, strlen(r));
			o += strlen(r);
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

char *
alert_slack_json(const struct vg_event *ev, enum alert_transition t,
                 const char *name, size_t *len)
{
	char key[160], ent[VG_ENTITY_STRLEN], sum[768], text[1500], esc[1100];
	char title[200];
	char *buf = NULL;
	size_t n = 0;
	FILE *f;
	const char *icon = t == ALERT_RESTORED ? ":large_green_circle:"
	                   : ev->level == VG_LEVEL_CRITICAL ? ":red_circle:"
	                                                    : ":large_orange_circle:";
	const char *what = ev->kind == VG_EVENT_OUTAGE ? "Outage" : "Instability";

	alert_key(ev, t, key, sizeof(key));
	vg_entity_fmt(&ev->ent, ent);
	alert_summary(ev, t, name, sum, sizeof(sum));
	if ((f = open_memstream(&buf, &n)) == NULL)
		return NULL;
	/* "text" is the notification's fallback; the blocks are what
	 * Slack shows: a title line with the summary, then a context line
	 * with the event and the idempotency key */
	fputs("{\"text\":", f);
	vg_json_str(f, sum);
	fputs(",\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":"
	      "\"mrkdwn\",\"text\":",
	      f);
	mrkdwn(esc, sizeof(esc), sum);
	mrkdwn(title, sizeof(title), name && name[0] ? name : ent);
	snprintf(text, sizeof(text), "%s *%s %s: %s*\n%s", icon, what,
	         alert_transition_name(t), title, esc);
	vg_json_str(f, text);
	fputs("}},{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\","
	      "\"text\":",
	      f);
	snprintf(text, sizeof(text), "vigil event %llu · %s · %s · key %s",
	         (unsigned long long)ev->id, ent,
	         vg_event_level_name(ev->level), key);
	vg_json_str(f, text);
	fputs("}]}]}", f);
	return take(f, &buf, &n, len);
}

double
alert_backoff(unsigned attempt, double retry_min, double retry_max, double u,
              long retry_after)
{
	if (retry_after >= 0)
		return retry_after > 3600 ? 3600.0 : (double)retry_after;
	if (attempt < 1)
		attempt = 1;
	double d = retry_min;
	for (unsigned i = 1; i < attempt && d < retry_max; i++)
		d *= 2;
	if (d > retry_max)
		d = retry_max;
	if (u < 0)
		u = 0;
	if (u >= 1)
		u = 0.999999;
	return d / 2 + d / 2 * u;
}

int
alert_http_verdict(long status)
{
	if (status >= 200 && status <= 299)
		return 0;
	if ((status >= 500 && status <= 599) || status == 408 || status == 429)
		return 1;
	return -1;
}
