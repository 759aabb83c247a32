/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Element filters (see include/vigil/filter.h).  Terms are kept in small
 * arrays per kind; matching is a few comparisons per element, cheapest
 * first (type, time, peer) so a selective filter costs little.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/filter.h"

#define MAX_TERMS 64

struct vg_filter {
	unsigned types; /* bit per enum vg_elem_type; 0 = any */
	long long since, until;
	int have_since, have_until;
	unsigned n_peer, n_peer_asn, n_origin, n_exact, n_more, n_less;
	struct vg_addr peer[MAX_TERMS];
	uint32_t peer_asn[MAX_TERMS];
	uint32_t origin[MAX_TERMS];
	struct vg_prefix exact[MAX_TERMS], more[MAX_TERMS], less[MAX_TERMS];
};

struct vg_filter *
vg_filter_new(void)
{
	return calloc(1, sizeof(struct vg_filter));
}

void
vg_filter_free(struct vg_filter *f)
{
	free(f);
}

static int
parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (strncasecmp(s, "AS", 2) == 0)
		s += 2;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	/* asdot ("1.10") is accepted too: RFC 5396 */
	if (*end == '.') {
		char *end2;
		unsigned long long lo = strtoull(end + 1, &end2, 10);
		if (*end2 || v > 65535 || lo > 65535 || end2 == end + 1)
			return -1;
		*out = (uint32_t)(v << 16 | lo);
		return 0;
	}
	if (*end || v > 0xffffffffULL)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
vg_time_parse(const char *s, long long *out)
{
	struct tm tm;
	const char *rest;
	char *end;
	long long v;

	/* Unix seconds */
	v = strtoll(s, &end, 10);
	if (*s && *end == '\0' && strlen(s) != 8) {
		*out = v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	rest = strptime(s, "%Y-%m-%d", &tm);
	if (rest == NULL) {
		memset(&tm, 0, sizeof(tm));
		rest = strptime(s, "%Y%m%d", &tm);
		if (rest == NULL)
			return -1;
	}
	if (*rest == 'T' || *rest == ' ') {
		const char *r2 = strptime(rest + 1, "%H:%M:%S", &tm);
		if (r2 == NULL)
			r2 = strptime(rest + 1, "%H:%M", &tm);
		if (r2 == NULL)
			return -1;
		rest = r2;
	}
	if (*rest == 'Z')
		rest++;
	if (*rest != '\0')
		return -1;
	*out = (long long)timegm(&tm);
	return 0;
}

#define ADD(arr, n, val)                                                    \
	do {                                                                \
		if ((n) >= MAX_TERMS) {                                     \
			snprintf(err, errlen, "too many %s terms (max %d)",  \
			         kind, MAX_TERMS);                          \
			return -1;                                          \
		}                                                           \
		(arr)[(n)++] = (val);                                       \
	} while (0)

int
vg_filter_add(struct vg_filter *f, const char *kind, const char *value,
              char *err, size_t errlen)
{
	if (strcmp(kind, "peer") == 0) {
		struct vg_addr a;
		if (vg_addr_parse(&a, value) < 0) {
			snprintf(err, errlen, "--peer: '%s' is not an IP address",
			         value);
			return -1;
		}
		ADD(f->peer, f->n_peer, a);
	} else if (strcmp(kind, "peer-asn") == 0 || strcmp(kind, "origin") == 0) {
		uint32_t as;
		if (parse_u32(value, &as) < 0) {
			snprintf(err, errlen, "--%s: '%s' is not an AS number",
			         kind, value);
			return -1;
		}
		if (kind[0] == 'p')
			ADD(f->peer_asn, f->n_peer_asn, as);
		else
			ADD(f->origin, f->n_origin, as);
	} else if (strcmp(kind, "prefix") == 0 ||
	           strcmp(kind, "more-specific") == 0 ||
	           strcmp(kind, "less-specific") == 0) {
		struct vg_prefix p;
		if (vg_prefix_parse(&p, value, 0) < 0) {
			snprintf(err, errlen,
			         "--%s: '%s' is not a prefix (address/length, "
			         "host bits zero)", kind, value);
			return -1;
		}
		if (kind[0] == 'p')
			ADD(f->exact, f->n_exact, p);
		else if (kind[0] == 'm')
			ADD(f->more, f->n_more, p);
		else
			ADD(f->less, f->n_less, p);
	} else if (strcmp(kind, "type") == 0) {
		char buf[128], *tok, *save;
		snprintf(buf, sizeof(buf), "%s", value);
		for (tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (strcmp(tok, "rib") == 0 || strcmp(tok, "B") == 0)
				f->types |= 1u << VG_ELEM_RIB;
			else if (strcmp(tok, "announce") == 0 || strcmp(tok, "A") == 0)
				f->types |= 1u << VG_ELEM_ANNOUNCE;
			else if (strcmp(tok, "withdraw") == 0 || strcmp(tok, "W") == 0)
				f->types |= 1u << VG_ELEM_WITHDRAW;
			else if (strcmp(tok, "state") == 0 || strcmp(tok, "STATE") == 0)
				f->types |= 1u << VG_ELEM_STATE;
			else {
				snprintf(err, errlen,
				         "--type: '%s' is not one of rib, announce, "
				         "withdraw, state", tok);
				return -1;
			}
		}
	} else if (strcmp(kind, "since") == 0 || strcmp(kind, "until") == 0) {
		long long t;
		if (vg_time_parse(value, &t) < 0) {
			snprintf(err, errlen,
			         "--%s: '%s' is not a time (Unix seconds or "
			         "YYYY-MM-DD[THH:MM[:SS]][Z])", kind, value);
			return -1;
		}
		if (kind[0] == 's') {
			f->since = t;
			f->have_since = 1;
		} else {
			f->until = t;
			f->have_until = 1;
		}
	} else {
		snprintf(err, errlen, "unknown filter '%s'", kind);
		return -1;
	}
	return 0;
}

int
vg_filter_empty(const struct vg_filter *f)
{
	return !f->types && !f->have_since && !f->have_until && !f->n_peer &&
	       !f->n_peer_asn && !f->n_origin && !f->n_exact && !f->n_more &&
	       !f->n_less;
}

static int
addr_eq(const struct vg_addr *a, const struct vg_addr *b)
{
	return a->afi == b->afi &&
	       memcmp(a->addr, b->addr, a->afi == VG_AFI_IP4 ? 4 : 16) == 0;
}

static int
prefix_eq(const struct vg_prefix *a, const struct vg_prefix *b)
{
	return a->afi == b->afi && a->len == b->len &&
	       memcmp(a->addr, b->addr, 16) == 0;
}

int
vg_filter_match(const struct vg_filter *f, const struct vg_elem *e)
{
	unsigned i;

	if (f->types && !(f->types & (1u << e->type)))
		return 0;
	if (f->have_since && (long long)e->time_sec < f->since)
		return 0;
	if (f->have_until && (long long)e->time_sec > f->until)
		return 0;
	if (f->n_peer_asn) {
		for (i = 0; i < f->n_peer_asn; i++)
			if (f->peer_asn[i] == e->peer_asn)
				break;
		if (i == f->n_peer_asn)
			return 0;
	}
	if (f->n_peer) {
		for (i = 0; i < f->n_peer; i++)
			if (addr_eq(&f->peer[i], &e->peer_addr))
				break;
		if (i == f->n_peer)
			return 0;
	}
	if (f->n_exact || f->n_more || f->n_less) {
		int hit = 0;
		if (e->type == VG_ELEM_STATE)
			return 0;
		for (i = 0; !hit && i < f->n_exact; i++)
			hit = prefix_eq(&f->exact[i], &e->prefix);
		for (i = 0; !hit && i < f->n_more; i++)
			hit = vg_prefix_covers(&f->more[i], &e->prefix);
		for (i = 0; !hit && i < f->n_less; i++)
			hit = vg_prefix_covers(&e->prefix, &f->less[i]);
		if (!hit)
			return 0;
	}
	if (f->n_origin) {
		uint32_t o;
		if (e->path == NULL)
			return 0;
		o = bgp_path_origin(e->path);
		for (i = 0; i < f->n_origin; i++)
			if (f->origin[i] == o)
				break;
		if (i == f->n_origin)
			return 0;
	}
	return 1;
}
