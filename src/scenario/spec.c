/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The scenario spec: a line-oriented text file (syntax in
 * include/vigil/scenario.h) parsed into struct scenario_spec.  Every error
 * names the file and line.  Times relative to the start ("+2h") are
 * resolved once the whole file has been read, so statements may come in
 * any order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/filter.h"
#include "vigil/scenario.h"

#define MAX_PEERS 500
#define MAX_TOKENS 64

void
scenario_spec_init(struct scenario_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->seed = 1;
	s->duration = 86400;
	s->n_peers = 12;
	s->jitter = 30;
	s->gzip = 1;
	s->level = 6;
	s->partial_fraction = 1.0;
}

static void
event_destroy(struct scenario_event *e)
{
	free(e->sel.prefixes);
	free(e->peers);
}

void
scenario_spec_destroy(struct scenario_spec *s)
{
	for (uint32_t i = 0; i < s->n_events; i++)
		event_destroy(&s->events[i]);
	free(s->events);
	free(s->source);
	free(s->peer_asns);
	memset(s, 0, sizeof(*s));
}

const char *
scenario_kind_name(enum scenario_kind k, double depth)
{
	switch (k) {
	case SCENARIO_OUTAGE:
		return depth < 1.0 ? "partial-outage" : "outage";
	case SCENARIO_FLAP:
		return "flap";
	case SCENARIO_PATHCHANGE:
		return "pathchange";
	case SCENARIO_SESSION_DROP:
		return "session-drop";
	case SCENARIO_TABLE_RESEND:
		return "table-resend";
	}
	return "unknown";
}

/* ---- the parser ---------------------------------------------------------- */

struct parser {
	struct scenario_spec *s;
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
	int have_start;
	/* relative times to resolve at the end: pointers into events */
	struct rel {
		uint32_t ev;  /* event index */
		int which;    /* 0 start, 1 end */
		int64_t off;
	} *rel;
	uint32_t nrel, caprel;
};

static int
perr(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, p->line);

	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int
parse_u64(const char *t, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*t < '0' || *t > '9')
		return -1;
	errno = 0;
	v = strtoull(t, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int
parse_u32(const char *t, uint32_t *out)
{
	uint64_t v;
	if (parse_u64(t, &v) < 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
parse_asn(const char *t, uint32_t *out)
{
	if ((t[0] == 'A' || t[0] == 'a') && (t[1] == 'S' || t[1] == 's'))
		t += 2;
	return parse_u32(t, out) < 0 || *out == 0 ? -1 : 0;
}

static int
parse_fraction(const char *t, double *out)
{
	char *end;
	double v = strtod(t, &end);
	if (end == t)
		return -1;
	if (*end == '%') {
		v /= 100;
		end++;
	}
	if (*end || !(v > 0 && v <= 1))
		return -1;
	*out = v;
	return 0;
}

/* "90s", "10m", "2h", "1d", "1h30m", bare seconds; > 0. */
static int
parse_dur(const char *t, uint32_t *out)
{
	uint64_t total = 0;
	const char *q = t;

	if (*q == '\0')
		return -1;
	while (*q) {
		uint64_t v = 0, mul = 1;
		if (*q < '0' || *q > '9')
			return -1;
		while (*q >= '0' && *q <= '9') {
			v = v * 10 + (uint64_t)(*q - '0');
			if (v > UINT32_MAX)
				return -1;
			q++;
		}
		switch (*q) {
		case 's':
			q++;
			break;
		case 'm':
			mul = 60;
			q++;
			break;
		case 'h':
			mul = 3600;
			q++;
			break;
		case 'd':
			mul = 86400;
			q++;
			break;
		case '\0':
			break;
		default:
			return -1;
		}
		total += v * mul;
		if (total > UINT32_MAX)
			return -1;
	}
	if (total == 0)
		return -1;
	*out = (uint32_t)total;
	return 0;
}

/* "R/min", "R/s", "R/h", bare R = per minute. */
static int
parse_rate(const char *t, double *out)
{
	char *end;
	double v = strtod(t, &end);

	if (end == t || v < 0)
		return -1;
	if (*end == '\0' || strcmp(end, "/min") == 0 || strcmp(end, "/m") == 0)
		*out = v;
	else if (strcmp(end, "/s") == 0)
		*out = v * 60;
	else if (strcmp(end, "/h") == 0)
		*out = v / 60;
	else
		return -1;
	return 0;
}

/* A time: absolute, or "+DUR" (stored as a relative offset). */
static int
parse_time(const char *t, int64_t *abs, int *is_rel, int64_t *rel)
{
	long long v;
	uint32_t d;

	if (t[0] == '+') {
		if (parse_dur(t + 1, &d) < 0)
			return -1;
		*is_rel = 1;
		*rel = d;
		return 0;
	}
	if (vg_time_parse(t, &v) < 0)
		return -1;
	*is_rel = 0;
	*abs = v;
	return 0;
}

/* Comma-separated list of unsigned numbers (or ASNs). */
static int
parse_list(const char *t, uint32_t **out, uint32_t *n, int asn)
{
	char *dup = strdup(t), *save = NULL;
	uint32_t cap = 0;

	if (dup == NULL)
		return -1;
	for (char *tok = strtok_r(dup, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		uint32_t v;
		if ((asn ? parse_asn(tok, &v) : parse_u32(tok, &v)) < 0)
			goto bad;
		if (*n == cap) {
			uint32_t *nv;
			cap = cap ? cap * 2 : 8;
			if ((nv = realloc(*out, cap * sizeof(*nv))) == NULL)
				goto bad;
			*out = nv;
		}
		(*out)[(*n)++] = v;
	}
	free(dup);
	return *n ? 0 : -1;
bad:
	free(dup);
	return -1;
}

static int
parse_prefix_list(const char *t, struct scenario_selector *sel)
{
	char *dup = strdup(t), *save = NULL;
	uint32_t cap = sel->n_prefixes;

	if (dup == NULL)
		return -1;
	for (char *tok = strtok_r(dup, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		struct vg_prefix p;
		if (vg_prefix_parse(&p, tok, 0) < 0)
			goto bad;
		if (sel->n_prefixes == cap) {
			struct vg_prefix *np;
			cap = cap ? cap * 2 : 8;
			np = realloc(sel->prefixes, cap * sizeof(*np));
			if (np == NULL)
				goto bad;
			sel->prefixes = np;
		}
		sel->prefixes[sel->n_prefixes++] = p;
	}
	free(dup);
	return 0;
bad:
	free(dup);
	return -1;
}

static int
add_rel(struct parser *p, uint32_t ev, int which, int64_t off)
{
	if (p->nrel == p->caprel) {
		uint32_t nc = p->caprel ? p->caprel * 2 : 16;
		struct rel *nr = realloc(p->rel, nc * sizeof(*nr));
		if (nr == NULL)
			return -1;
		p->rel = nr;
		p->caprel = nc;
	}
	p->rel[p->nrel].ev = ev;
	p->rel[p->nrel].which = which;
	p->rel[p->nrel].off = off;
	p->nrel++;
	return 0;
}

static int
parse_event(struct parser *p, char **tok, int ntok)
{
	struct scenario_spec *s = p->s;
	struct scenario_event e;
	const char *kw = tok[0];
	int have_from = 0, have_until = 0, have_sel = 0;
	int rel_from = 0, rel_until = 0;
	int64_t off_from = 0, off_until = 0;
	uint32_t idx = s->n_events;

	memset(&e, 0, sizeof(e));
	e.line = p->line;
	e.sel.fraction = 1.0;
	if (strcmp(kw, "outage") == 0 || strcmp(kw, "partial-outage") == 0)
		e.kind = SCENARIO_OUTAGE;
	else if (strcmp(kw, "flap") == 0)
		e.kind = SCENARIO_FLAP;
	else if (strcmp(kw, "pathchange") == 0 ||
	         strcmp(kw, "path-change") == 0)
		e.kind = SCENARIO_PATHCHANGE;
	else if (strcmp(kw, "session-drop") == 0)
		e.kind = SCENARIO_SESSION_DROP;
	else
		e.kind = SCENARIO_TABLE_RESEND;

	for (int i = 1; i < ntok; i += 2) {
		const char *w = tok[i], *v = i + 1 < ntok ? tok[i + 1] : NULL;
		if (v == NULL) {
			perr(p, "'%s' needs a value", w);
			goto fail;
		}
		if (strcmp(w, "origin") == 0 ||
		    strcmp(w, "prefixes-of-origin") == 0) {
			if (parse_asn(v, &e.sel.origin) < 0) {
				perr(p, "bad AS number '%s'", v);
				goto fail;
			}
			have_sel = 1;
		} else if (strcmp(w, "upstream") == 0) {
			if (parse_asn(v, &e.sel.upstream) < 0) {
				perr(p, "bad AS number '%s'", v);
				goto fail;
			}
			have_sel = 1;
		} else if (strcmp(w, "prefix") == 0 ||
		           strcmp(w, "prefixes") == 0) {
			if (parse_prefix_list(v, &e.sel) < 0) {
				perr(p,
				     "bad prefix list '%s' (a.b.c.d/n or "
				     "x::/n, comma-separated, host bits zero)",
				     v);
				goto fail;
			}
			have_sel = 1;
		} else if (strcmp(w, "fraction") == 0) {
			if (parse_fraction(v, &e.sel.fraction) < 0) {
				perr(p, "fraction must be in (0, 1] (or a "
				        "percentage): '%s'", v);
				goto fail;
			}
		} else if (strcmp(w, "peer") == 0 || strcmp(w, "peers") == 0) {
			if (parse_list(v, &e.peers, &e.n_peers, 0) < 0) {
				perr(p, "bad peer list '%s'", v);
				goto fail;
			}
		} else if (strcmp(w, "every") == 0) {
			if (parse_dur(v, &e.every) < 0) {
				perr(p, "bad duration '%s'", v);
				goto fail;
			}
		} else if (strcmp(w, "down") == 0) {
			if (parse_dur(v, &e.down) < 0) {
				perr(p, "bad duration '%s'", v);
				goto fail;
			}
		} else if (strcmp(w, "from") == 0 || strcmp(w, "at") == 0) {
			if (parse_time(v, &e.start, &rel_from, &off_from) < 0) {
				perr(p, "bad time '%s' (2015-10-23T16:15:00Z, "
				        "Unix seconds or +DUR)", v);
				goto fail;
			}
			have_from = 1;
		} else if (strcmp(w, "until") == 0 || strcmp(w, "to") == 0) {
			if (parse_time(v, &e.end, &rel_until, &off_until) < 0) {
				perr(p, "bad time '%s' (2015-10-23T16:15:00Z, "
				        "Unix seconds or +DUR)", v);
				goto fail;
			}
			have_until = 1;
		} else {
			perr(p, "unknown word '%s' in %s", w, kw);
			goto fail;
		}
	}

	switch (e.kind) {
	case SCENARIO_OUTAGE:
	case SCENARIO_FLAP:
	case SCENARIO_PATHCHANGE:
		if (!have_sel) {
			perr(p, "%s needs a selector (origin ASN, upstream ASN "
			        "or prefix LIST)", kw);
			goto fail;
		}
		if (!have_from || !have_until) {
			perr(p, "%s needs 'from TIME until TIME'", kw);
			goto fail;
		}
		if (e.kind != SCENARIO_OUTAGE && e.every == 0) {
			perr(p, "%s needs 'every DUR'", kw);
			goto fail;
		}
		if (e.kind == SCENARIO_FLAP) {
			if (e.down == 0)
				e.down = e.every / 2 ? e.every / 2 : 1;
			if (e.down >= e.every) {
				perr(p, "flap: 'down' must be shorter than "
				        "'every'");
				goto fail;
			}
		}
		break;
	case SCENARIO_SESSION_DROP:
	case SCENARIO_TABLE_RESEND:
		if (have_sel || e.sel.fraction != 1.0) {
			perr(p, "%s takes 'peer I', not a selector", kw);
			goto fail;
		}
		if (e.n_peers == 0) {
			perr(p, "%s needs 'peer I'", kw);
			goto fail;
		}
		if (!have_from ||
		    (e.kind == SCENARIO_SESSION_DROP && !have_until)) {
			perr(p, e.kind == SCENARIO_SESSION_DROP
			            ? "session-drop needs 'at TIME until TIME'"
			            : "table-resend needs 'at TIME'");
			goto fail;
		}
		if (e.kind == SCENARIO_TABLE_RESEND) {
			if (have_until) {
				perr(p, "table-resend takes no 'until'");
				goto fail;
			}
			e.end = e.start;
			rel_until = rel_from;
			off_until = off_from;
		}
		break;
	}
	if (e.kind != SCENARIO_FLAP && e.kind != SCENARIO_PATHCHANGE &&
	    (e.every || e.down)) {
		perr(p, "'every'/'down' only go with flap and pathchange");
		goto fail;
	}

	if ((s->n_events & 15) == 0) {
		struct scenario_event *ne =
		    realloc(s->events, (s->n_events + 16) * sizeof(*ne));
		if (ne == NULL) {
			perr(p, "out of memory");
			goto fail;
		}
		s->events = ne;
	}
	if ((rel_from && add_rel(p, idx, 0, off_from) < 0) ||
	    (rel_until && add_rel(p, idx, 1, off_until) < 0)) {
		perr(p, "out of memory");
		goto fail;
	}
	s->events[s->n_events++] = e;
	return 0;
fail:
	event_destroy(&e);
	return -1;
}

/* $NAME / ${NAME} in a path, from the environment. */
static char *
expand_env(const char *in)
{
	size_t cap = strlen(in) + 1, len = 0;
	char *out = malloc(cap);

	if (out == NULL)
		return NULL;
	for (const char *q = in; *q;) {
		const char *val = NULL;
		size_t vl;
		if (*q == '$') {
			char name[128];
			size_t n = 0;
			int brace = q[1] == '{';
			const char *r = q + 1 + brace;
			while ((*r == '_' || (*r >= 'A' && *r <= 'Z') ||
			        (*r >= 'a' && *r <= 'z') ||
			        (*r >= '0' && *r <= '9')) &&
			       n < sizeof(name) - 1)
				name[n++] = *r++;
			name[n] = '\0';
			if (n && (!brace || *r == '}')) {
				val = getenv(name);
				q = r + brace;
				if (val == NULL)
					val = "";
			}
		}
		if (val == NULL) {
			val = q++;
			vl = 1;
		} else {
			vl = strlen(val);
		}
		if (len + vl + 1 > cap) {
			char *no;
			cap = (len + vl + 1) * 2;
			if ((no = realloc(out, cap)) == NULL) {
				free(out);
				return NULL;
			}
			out = no;
		}
		memcpy(out + len, val, vl);
		len += vl;
	}
	out[len] = '\0';
	return out;
}

static int
parse_line(struct parser *p, char *line)
{
	struct scenario_spec *s = p->s;
	char *tok[MAX_TOKENS], *save = NULL, *hash;
	int n = 0;

	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	for (char *t = strtok_r(line, " \t\r", &save); t;
	     t = strtok_r(NULL, " \t\r", &save)) {
		if (n == MAX_TOKENS)
			return perr(p, "too many words");
		tok[n++] = t;
	}
	if (n == 0)
		return 0;
	const char *kw = tok[0];

	if (strcmp(kw, "outage") == 0 || strcmp(kw, "partial-outage") == 0 ||
	    strcmp(kw, "flap") == 0 || strcmp(kw, "pathchange") == 0 ||
	    strcmp(kw, "path-change") == 0 ||
	    strcmp(kw, "session-drop") == 0 || strcmp(kw, "table-resend") == 0)
		return parse_event(p, tok, n);

	if (strcmp(kw, "partial-peers") == 0) {
		if (n != 4 || parse_u32(tok[1], &s->partial_peers) < 0 ||
		    strcmp(tok[2], "fraction") != 0 ||
		    parse_fraction(tok[3], &s->partial_fraction) < 0)
			return perr(p, "usage: partial-peers K fraction F");
		return 0;
	}
	if (n != 2)
		return perr(p, "'%s' takes one value", kw);
	const char *v = tok[1];
	if (strcmp(kw, "seed") == 0) {
		if (parse_u64(v, &s->seed) < 0)
			return perr(p, "bad seed '%s'", v);
	} else if (strcmp(kw, "start") == 0) {
		long long t;
		if (vg_time_parse(v, &t) < 0)
			return perr(p, "bad time '%s'", v);
		s->start = t;
		p->have_start = 1;
	} else if (strcmp(kw, "duration") == 0) {
		if (parse_dur(v, &s->duration) < 0)
			return perr(p, "bad duration '%s'", v);
	} else if (strcmp(kw, "peers") == 0) {
		if (parse_u32(v, &s->n_peers) < 0 || s->n_peers == 0 ||
		    s->n_peers > MAX_PEERS)
			return perr(p, "peers must be 1..%d", MAX_PEERS);
	} else if (strcmp(kw, "peer-asns") == 0) {
		free(s->peer_asns);
		s->peer_asns = NULL;
		s->n_peer_asns = 0;
		if (parse_list(v, &s->peer_asns, &s->n_peer_asns, 1) < 0)
			return perr(p, "bad AS number list '%s'", v);
	} else if (strcmp(kw, "v6-peers") == 0) {
		if (parse_u32(v, &s->v6_peers) < 0)
			return perr(p, "bad number '%s'", v);
	} else if (strcmp(kw, "source") == 0) {
		free(s->source);
		if ((s->source = expand_env(v)) == NULL)
			return perr(p, "out of memory");
	} else if (strcmp(kw, "source-peer") == 0) {
		if (vg_addr_parse(&s->source_peer, v) < 0)
			return perr(p, "bad address '%s'", v);
	} else if (strcmp(kw, "churn") == 0) {
		if (parse_rate(v, &s->churn_per_min) < 0)
			return perr(p, "bad rate '%s' (e.g. 300/min)", v);
	} else if (strcmp(kw, "jitter") == 0) {
		if (strcmp(v, "0") == 0)
			s->jitter = 0;
		else if (parse_dur(v, &s->jitter) < 0)
			return perr(p, "bad duration '%s'", v);
	} else if (strcmp(kw, "collectors") == 0) {
		if (parse_u32(v, &s->collectors) < 0 || s->collectors < 1 ||
		    s->collectors > 16)
			return perr(p, "collectors must be 1..16");
	} else if (strcmp(kw, "rib-interval") == 0) {
		if (parse_dur(v, &s->rib_interval) < 0)
			return perr(p, "bad duration '%s'", v);
	} else if (strcmp(kw, "compress") == 0) {
		if (strcmp(v, "gzip") == 0)
			s->gzip = 1;
		else if (strcmp(v, "none") == 0)
			s->gzip = 0;
		else
			return perr(p, "compress takes gzip or none");
	} else if (strcmp(kw, "level") == 0) {
		uint32_t l;
		if (parse_u32(v, &l) < 0 || l < 1 || l > 9)
			return perr(p, "level must be 1..9");
		s->level = (int)l;
	} else {
		return perr(p, "unknown statement '%s'", kw);
	}
	return 0;
}

/* Checks that need the whole file. */
static int
finish(struct parser *p)
{
	struct scenario_spec *s = p->s;
	int64_t end;

	p->line = 0;
	if (!p->have_start && s->start == 0)
		return perr(p, "no 'start TIME'");
	end = s->start + s->duration;
	for (uint32_t i = 0; i < p->nrel; i++) {
		struct scenario_event *e = &s->events[p->rel[i].ev];
		if (p->rel[i].which == 0)
			e->start = s->start + p->rel[i].off;
		else
			e->end = s->start + p->rel[i].off;
	}
	if (s->partial_peers > s->n_peers)
		return perr(p, "partial-peers %u but only %u peers",
		            s->partial_peers, s->n_peers);
	if (s->v6_peers > s->n_peers)
		return perr(p, "v6-peers %u but only %u peers", s->v6_peers,
		            s->n_peers);
	for (uint32_t i = 0; i < s->n_events; i++) {
		struct scenario_event *e = &s->events[i];
		p->line = e->line;
		if (e->start < s->start || e->start >= end)
			return perr(p, "event starts outside the scenario "
			               "(start .. start+duration)");
		if (e->kind != SCENARIO_TABLE_RESEND && e->end <= e->start)
			return perr(p, "event ends before it starts");
		for (uint32_t j = 0; j < e->n_peers; j++)
			if (e->peers[j] < 1 || e->peers[j] > s->n_peers)
				return perr(p, "peer %u does not exist (peers "
				               "are 1..%u)", e->peers[j],
				            s->n_peers);
	}
	p->line = 0;
	if (s->source == NULL)
		return perr(p, "no 'source PATH'");
	return 0;
}

int
scenario_spec_parse(struct scenario_spec *s, const char *text,
                    const char *name, char *err, size_t errlen)
{
	struct parser p = {.s = s, .name = name ? name : "spec", .err = err,
	                   .errlen = errlen};
	const char *q = text;
	int rc = 0;

	while (*q && rc == 0) {
		const char *nl = strchr(q, '\n');
		size_t l = nl ? (size_t)(nl - q) : strlen(q);
		char *line = malloc(l + 1);
		p.line++;
		if (line == NULL) {
			rc = perr(&p, "out of memory");
			break;
		}
		memcpy(line, q, l);
		line[l] = '\0';
		rc = parse_line(&p, line);
		free(line);
		q += l + (nl ? 1 : 0);
	}
	if (rc == 0)
		rc = finish(&p);
	free(p.rel);
	return rc;
}

int
scenario_spec_load(struct scenario_spec *s, const char *path, char *err,
                   size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[4096];
	int rc;

	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		         strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n + 1 > cap) {
			char *nt;
			cap = (len + n + 1) * 2;
			if ((nt = realloc(text, cap)) == NULL) {
				free(text);
				fclose(f);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			text = nt;
		}
		memcpy(text + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (text == NULL) {
		snprintf(err, errlen, "%s is empty", path);
		return -1;
	}
	text[len] = '\0';
	rc = scenario_spec_parse(s, text, path, err, errlen);
	free(text);
	return rc;
}
