/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers of the database commands (see query.h): argument parsing with
 * one-line messages, time and duration text, JSON values, evidence
 * summaries and column padding.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "query.h"
#include "vigil/event_json.h"
#include "vigil/filter.h"

struct vg_store *
query_open(const char *cmd, const char *path)
{
	char err[512];
	struct stat st;
	struct vg_store *s;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "vigil %s: %s: %s%s\n", cmd, path,
		        strerror(errno),
		        errno == ENOENT ? " (make one with `vigil replay`, or "
		                          "give --db FILE)"
		                        : "");
		return NULL;
	}
	s = store_open(path, STORE_RDONLY, err, sizeof(err));
	if (s == NULL)
		fprintf(stderr, "vigil %s: %s\n", cmd, err);
	return s;
}

int
query_time_arg(const char *cmd, const char *opt, const char *s,
               uint32_t *out)
{
	long long t;
	if (vg_time_parse(s, &t) < 0 || t < 0 || t > 0xffffffffLL) {
		fprintf(stderr,
		        "vigil %s: %s '%s' is not a time (Unix seconds or "
		        "YYYY-MM-DD[THH:MM[:SS]][Z], UTC)\n",
		        cmd, opt, s);
		return -1;
	}
	*out = (uint32_t)t;
	return 0;
}

int
query_entity_arg(const char *cmd, const char *s, struct vg_entity *e)
{
	if (vg_entity_parse(e, s) < 0) {
		fprintf(stderr,
		        "vigil %s: '%s' is not an entity (country:CC, "
		        "asn:N, upstream:CC:N; also CC, ASN, AS<N>)\n",
		        cmd, s);
		return -1;
	}
	return 0;
}

int
query_entity_known(const char *cmd, struct vg_store *s, const char *path,
                   const struct vg_entity *e, char *name, size_t len)
{
	char text[VG_ENTITY_STRLEN];
	int rc = store_entity_name(s, e, name, len);
	if (rc < 0) {
		fprintf(stderr, "vigil %s: %s: %s\n", cmd, path, store_error(s));
	} else if (rc == 0) {
		vg_entity_fmt(e, text);
		fprintf(stderr, "vigil %s: %s is not in %s\n", cmd, text, path);
	}
	return rc;
}

void
query_upstream_name(struct vg_store *s, const struct vg_entity *e,
                    const char *fallback, int max, char *buf, size_t len)
{
	struct vg_entity as = {.kind = VG_ENT_ASN, .asn = e->asn};
	int n = 0;

	if (len == 0)
		return;
	if (store_entity_name(s, &as, buf, len) <= 0 || buf[0] == '\0')
		snprintf(buf, len, "%s", fallback ? fallback : "");
	for (char *p = buf; *p; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue;
		if (n++ == max) {
			/* room for the 3-byte ellipsis and the NUL */
			while (p > buf && (size_t)(p - buf) + 4 > len)
				do
					p--;
				while (p > buf &&
				       ((unsigned char)*p & 0xc0) == 0x80);
			if ((size_t)(p - buf) + 4 <= len)
				memcpy(p, "\xe2\x80\xa6", 4);
			else
				*p = '\0';
			return;
		}
	}
}

uint32_t
query_bin_len(struct vg_store *s)
{
	char v[32];
	unsigned long n;
	if (store_get_meta(s, "bin_len", v, sizeof(v)) < 0)
		return 300;
	n = strtoul(v, NULL, 10);
	return n > 0 && n < 86400 * 7 ? (uint32_t)n : 300;
}

const char *
query_time(uint32_t t, char buf[QUERY_TIMELEN])
{
	return vg_time_iso(t, buf);
}

const char *
query_dur(uint32_t d, char *buf, size_t len)
{
	return vg_dur_fmt(d, buf, len);
}

/* The JSON encoders live in the library (vigil/event_json.h) so that
 * the alerts and the HTTP API print the same objects. */
void
query_json_str(FILE *f, const char *s)
{
	vg_json_str(f, s);
}

void
query_json_num(FILE *f, double v)
{
	vg_json_num(f, v);
}

void
query_json_time(FILE *f, uint32_t t)
{
	vg_json_time(f, t);
}

void
query_json_evidence(FILE *f, const struct vg_event *ev)
{
	vg_event_json_evidence(f, ev);
}

/* Add AS to the small set SET (N items, at most CAP); 1 if new. */
static int
as_add(uint32_t *set, int *n, int cap, uint32_t as)
{
	for (int i = 0; i < *n; i++)
		if (set[i] == as)
			return 0;
	if (*n < cap)
		set[(*n)++] = as;
	return 1;
}

/* ", origin AS1" / ", origins AS1, AS2, AS3 +2" */
static int
as_list(char *buf, size_t len, const char *what, const uint32_t *set, int n,
        int total)
{
	int off = 0, k;
	if (total == 0)
		return 0;
	k = snprintf(buf, len, ", %s%s", what, total > 1 ? "s" : "");
	off = k > 0 ? k : 0;
	for (int i = 0; i < n && i < 3 && (size_t)off < len; i++) {
		k = snprintf(buf + off, len - (size_t)off, "%s AS%u",
		             i ? "," : "", set[i]);
		off += k > 0 ? k : 0;
	}
	if (total > 3 && (size_t)off < len) {
		k = snprintf(buf + off, len - (size_t)off, " +%d", total - 3);
		off += k > 0 ? k : 0;
	}
	return off;
}

const char *
query_evidence_summary(const struct vg_event *ev, char *buf, size_t len)
{
	uint32_t origins[64], ups[64];
	int no = 0, nu = 0, to = 0, tu = 0, np = 0, off = 0, k;
	char part[128];

	for (uint32_t i = 0; i < ev->n_evidence && ev->evidence; i++) {
		const struct vg_evidence *x = &ev->evidence[i];
		if (x->what == 'p')
			np++;
		if ((x->what == 'p' || x->what == 'o') && x->asn)
			to += as_add(origins, &no, 64, x->asn);
		if (x->what == 'u' && x->asn)
			tu += as_add(ups, &nu, 64, x->asn);
		if (x->what == 'p' && x->upstream)
			tu += as_add(ups, &nu, 64, x->upstream);
	}
	buf[0] = '\0';
	if (np) {
		k = snprintf(buf, len, ", %d prefix%s", np, np > 1 ? "es" : "");
		off += k > 0 ? k : 0;
	}
	if ((size_t)off < len && as_list(part, sizeof(part), "origin", origins,
	                                 no, to)) {
		k = snprintf(buf + off, len - (size_t)off, "%s", part);
		off += k > 0 ? k : 0;
	}
	if ((size_t)off < len && as_list(part, sizeof(part), "upstream", ups,
	                                 nu, tu)) {
		k = snprintf(buf + off, len - (size_t)off, "%s", part);
		off += k > 0 ? k : 0;
	}
	if (ev->n_evidence_total > ev->n_evidence && (size_t)off < len) {
		k = snprintf(buf + off, len - (size_t)off, ", +%u more items",
		             ev->n_evidence_total - ev->n_evidence);
		off += k > 0 ? k : 0;
	}
	if (off == 0)
		return "-";
	return buf + 2; /* past the first ", " */
}

int
query_width(const char *s)
{
	int n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void
query_pad(FILE *f, const char *s, int width)
{
	int n = 0;
	const char *p = s;
	/* cut at WIDTH code points, marking the cut with '~' */
	if (query_width(s) > width) {
		for (; *p && n < width - 1; p++) {
			fputc(*p, f);
			if (((unsigned char)p[1] & 0xc0) != 0x80)
				n++;
		}
		fputc('~', f);
		n++;
	} else {
		fputs(s, f);
		n = query_width(s);
	}
	for (; n < width; n++)
		fputc(' ', f);
}

/* One event as a JSON object on a line (vigil events --json, vigil replay
 * --json): every field and the evidence.  NAME may be NULL. */
void
query_json_event(FILE *f, const struct vg_event *ev, const char *name)
{
	vg_event_json(f, ev, name);
	fputc('\n', f);
}
