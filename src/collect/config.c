/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The collector's configuration file: one directive per line, `#` starts a
 * comment, words separated by blanks.  Every error names the file and line.
 * The directives are documented in docs/collect.md.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/alert.h"
#include "vigil/collect.h"

#define MAX_WORDS 16

struct cfgctx {
	const char *path;
	unsigned line;
	char *err;
	size_t errlen;
};

static int
bad(struct cfgctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
bad(struct cfgctx *x, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errlen, "%s:%u: %s", x->path, x->line, msg);
	return -1;
}

static int
get_u32(struct cfgctx *x, const char *what, const char *s, uint64_t min,
        uint64_t max, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || end == s || s[0] == '-' || v < min || v > max)
		return bad(x, "%s: '%s' is not a number in %llu..%llu", what, s,
		           (unsigned long long)min, (unsigned long long)max);
	*out = (uint32_t)v;
	return 0;
}

static int
get_double(struct cfgctx *x, const char *what, const char *s, double min,
           double max, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (*end || end == s || !(v >= min && v <= max))
		return bad(x, "%s: '%s' is not a number in %g..%g", what, s, min,
		           max);
	*out = v;
	return 0;
}

static int
get_path(struct cfgctx *x, const char *what, const char *s, char *out,
         size_t len)
{
	if (strlen(s) >= len)
		return bad(x, "%s: path too long", what);
	snprintf(out, len, "%s", s);
	return 0;
}

static int
get_listen(struct cfgctx *x, char **w, unsigned n, struct collect_listen *l,
           unsigned *count)
{
	uint32_t port = 0;
	if (n != 3)
		return bad(x, "%s: expected ADDRESS PORT", w[0]);
	if (*count >= COLLECT_MAX_LISTEN)
		return bad(x, "%s: at most %d", w[0], COLLECT_MAX_LISTEN);
	if (vg_addr_parse(&l[*count].addr, w[1]) < 0)
		return bad(x, "%s: '%s' is not an IPv4 or IPv6 address", w[0],
		           w[1]);
	if (get_u32(x, w[0], w[2], 1, 65535, &port) < 0)
		return -1;
	l[*count].port = (uint16_t)port;
	(*count)++;
	return 0;
}

static int
get_peer(struct collect_cfg *c, struct cfgctx *x, char **w, unsigned n)
{
	struct collect_peer_cfg p;
	unsigned i;

	memset(&p, 0, sizeof(p));
	if (n < 4 || strcmp(w[2], "as") != 0)
		return bad(x, "peer: expected ADDRESS as ASN [name NAME] "
		              "[add-path]");
	if (vg_addr_parse(&p.addr, w[1]) < 0)
		return bad(x, "peer: '%s' is not an IPv4 or IPv6 address", w[1]);
	if (get_u32(x, "peer as", w[3], 1, UINT32_MAX, &p.asn) < 0)
		return -1;
	for (i = 4; i < n; i++) {
		if (strcmp(w[i], "name") == 0 && i + 1 < n) {
			if (strlen(w[i + 1]) >= sizeof(p.name))
				return bad(x, "peer name: at most %zu characters",
				           sizeof(p.name) - 1);
			for (const char *s = w[i + 1]; *s; s++)
				if (!isalnum((unsigned char)*s) && *s != '-' &&
				    *s != '_' && *s != '.')
					return bad(x, "peer name '%s': letters, "
					              "digits, '-', '_', '.' only",
					           w[i + 1]);
			snprintf(p.name, sizeof(p.name), "%s", w[++i]);
		} else if (strcmp(w[i], "add-path") == 0) {
			p.addpath = 1;
		} else {
			return bad(x, "peer: unknown option '%s'", w[i]);
		}
	}
	for (i = 0; i < c->npeers; i++)
		if (c->peers[i].addr.afi == p.addr.afi &&
		    memcmp(c->peers[i].addr.addr, p.addr.addr, 16) == 0)
			return bad(x, "peer %s configured twice", w[1]);
	struct collect_peer_cfg *np =
	    realloc(c->peers, (c->npeers + 1) * sizeof(*np));
	if (np == NULL)
		return bad(x, "out of memory");
	c->peers = np;
	c->peers[c->npeers++] = p;
	return 0;
}

static int
directive(struct collect_cfg *c, struct cfgctx *x, char **w, unsigned n)
{
	const char *k = w[0];
	uint32_t v = 0;

#define NEED(cnt)                                                            \
	do {                                                                 \
		if (n != (cnt))                                              \
			return bad(x, "%s: expected %d value%s", k, (cnt) - 1,   \
			           (cnt) == 2 ? "" : "s");                   \
	} while (0)

	if (strcmp(k, "collector") == 0) {
		NEED(2);
		if (strlen(w[1]) >= sizeof(c->collector) || strchr(w[1], '/'))
			return bad(x, "collector: a name of at most 31 "
			              "characters, without '/'");
		snprintf(c->collector, sizeof(c->collector), "%s", w[1]);
	} else if (strcmp(k, "local-as") == 0) {
		NEED(2);
		return get_u32(x, k, w[1], 1, UINT32_MAX, &c->local_as);
	} else if (strcmp(k, "router-id") == 0) {
		struct vg_addr a;
		NEED(2);
		if (vg_addr_parse(&a, w[1]) < 0 || a.afi != VG_AFI_IP4)
			return bad(x, "router-id: '%s' is not an IPv4 address",
			           w[1]);
		memcpy(c->router_id, a.addr, 4);
	} else if (strcmp(k, "listen") == 0) {
		return get_listen(x, w, n, c->listen, &c->nlisten);
	} else if (strcmp(k, "bmp-listen") == 0) {
		return get_listen(x, w, n, c->bmp_listen, &c->nbmp);
	} else if (strcmp(k, "bmp-view") == 0) {
		NEED(2);
		if (strcmp(w[1], "first") == 0)
			c->bmp_view = COLLECT_BMP_VIEW_FIRST;
		else if (strcmp(w[1], "pre-policy") == 0)
			c->bmp_view = COLLECT_BMP_VIEW_PRE;
		else if (strcmp(w[1], "post-policy") == 0)
			c->bmp_view = COLLECT_BMP_VIEW_POST;
		else
			return bad(x, "bmp-view: first, pre-policy or post-policy, "
			              "not '%s'", w[1]);
	} else if (strcmp(k, "hold-time") == 0) {
		NEED(2);
		if (get_u32(x, k, w[1], 0, 65535, &v) < 0)
			return -1;
		if (v == 1 || v == 2)
			return bad(x, "hold-time: 0 or at least 3 (RFC 4271)");
		c->hold_time = (uint16_t)v;
	} else if (strcmp(k, "archive") == 0) {
		NEED(2);
		return get_path(x, k, w[1], c->archive, sizeof(c->archive));
	} else if (strcmp(k, "updates-interval") == 0) {
		NEED(2);
		return get_u32(x, k, w[1], 10, 86400, &c->updates_interval);
	} else if (strcmp(k, "rib-interval") == 0) {
		NEED(2);
		if (get_u32(x, k, w[1], 0, 7 * 86400, &c->rib_interval) < 0)
			return -1;
		if (c->rib_interval && c->rib_interval < 10)
			return bad(x, "rib-interval: 0 (none) or at least 10");
	} else if (strcmp(k, "db") == 0) {
		NEED(2);
		return get_path(x, k, w[1], c->db, sizeof(c->db));
	} else if (strcmp(k, "bin") == 0) {
		NEED(2);
		return get_u32(x, k, w[1], 10, 86400, &c->obs.bin_len);
	} else if (strcmp(k, "geo-rir") == 0 || strcmp(k, "geo-csv") == 0 ||
	           strcmp(k, "geo-mmdb") == 0 || strcmp(k, "geo") == 0 ||
	           strcmp(k, "geo-asnames") == 0) {
		NEED(2);
		if (c->ngeo >= COLLECT_MAX_GEO)
			return bad(x, "%s: at most %d geography files", k,
			           COLLECT_MAX_GEO);
		if ((c->geo[c->ngeo] = strdup(w[1])) == NULL)
			return bad(x, "out of memory");
		c->ngeo++;
	} else if (strcmp(k, "status-file") == 0) {
		NEED(2);
		return get_path(x, k, w[1], c->status_file,
		                sizeof(c->status_file));
	} else if (strcmp(k, "log") == 0) {
		NEED(2);
		return get_path(x, k, w[1], c->log, sizeof(c->log));
	} else if (strcmp(k, "peer") == 0) {
		return get_peer(c, x, w, n);
	} else if (strcmp(k, "queue-size") == 0) {
		/* MiB, or KiB with a K suffix (small queues for tests) */
		NEED(2);
		size_t l = strlen(w[1]);
		int kib = l > 1 && (w[1][l - 1] == 'K' || w[1][l - 1] == 'k');
		if (kib)
			w[1][l - 1] = 0;
		if (get_u32(x, kib ? "queue-size (KiB)" : "queue-size (MiB)",
		            w[1], kib ? 64 : 1, kib ? 67108864 : 65536, &v) < 0)
			return -1;
		c->queue_bytes = (size_t)v << (kib ? 10 : 20);
	} else if (strcmp(k, "debug-process-delay") == 0) {
		NEED(2);
		return get_u32(x, "debug-process-delay (ms)", w[1], 0, 10000,
		               &c->debug_delay_ms);
	} else if (strcmp(k, "full-feed-v4") == 0) {
		NEED(2);
		return get_u32(x, k, w[1], 1, UINT32_MAX, &c->obs.rib.full_v4);
	} else if (strcmp(k, "full-feed-v6") == 0) {
		NEED(2);
		return get_u32(x, k, w[1], 1, UINT32_MAX, &c->obs.rib.full_v6);
	} else if (strcmp(k, "visible-ratio") == 0) {
		NEED(2);
		return get_double(x, k, w[1], 0.01, 1, &c->obs.rib.visible_ratio);
	} else if (strcmp(k, "stale-grace") == 0) {
		NEED(2);
		return get_u32(x, k, w[1], 0, 86400, &c->obs.rib.stale_grace);
	} else if (strcmp(k, "window") == 0) {
		NEED(2);
		return get_u32(x, k, w[1], 2, 4096, &c->obs.window_bins);
	} else if (strcmp(k, "warmup") == 0) {
		NEED(2);
		return get_u32(x, k, w[1], 0, 4096, &c->obs.warmup_bins);
	} else if (strcmp(k, "min-bins") == 0) {
		NEED(2);
		return get_u32(x, k, w[1], 1, 4096, &c->obs.min_bins);
	} else if (strcmp(k, "warning") == 0) {
		NEED(2);
		return get_double(x, k, w[1], 0.01, 0.99, &c->obs.outage_warning);
	} else if (strcmp(k, "critical") == 0) {
		NEED(2);
		return get_double(x, k, w[1], 0.01, 1, &c->obs.outage_critical);
	} else if (strncmp(k, "alert-", 6) == 0) {
		/* the --alert-* options of every command, as directives */
		struct alert_opts ao;
		if (n > 2)
			return bad(x, "%s: expected at most one value", k);
		if (c->nalert >= 16)
			return bad(x, "at most 16 alert directives");
		alert_opts_default(&ao);
		int r = alert_opts_parse(&ao, k, n == 2 ? w[1] : NULL);
		if (r == 0)
			return bad(x, "unknown directive '%s'", k);
		if (r < 0)
			return bad(x, "%s", ao.err);
		c->alert_opt[c->nalert] = strdup(k);
		c->alert_arg[c->nalert] = n == 2 ? strdup(w[1]) : NULL;
		c->nalert++;
	} else {
		return bad(x, "unknown directive '%s'", k);
	}
	return 0;
#undef NEED
}

int
collect_cfg_load(struct collect_cfg *c, const char *path, char *err,
                 size_t errlen)
{
	struct cfgctx x = {path, 0, err, errlen};
	char line[4096];
	FILE *f;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	snprintf(c->collector, sizeof(c->collector), "vigil");
	c->local_as = 0;
	c->hold_time = 90;
	c->updates_interval = 300;
	c->rib_interval = 28800;
	c->queue_bytes = (size_t)64 << 20;
	obs_opts_default(&c->obs);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *w[MAX_WORDS], *s, *save = NULL;
		unsigned n = 0;
		x.line++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			rc = bad(&x, "line too long");
			break;
		}
		if ((s = strchr(line, '#')) != NULL)
			*s = 0;
		for (s = strtok_r(line, " \t\r\n", &save); s;
		     s = strtok_r(NULL, " \t\r\n", &save)) {
			if (n == MAX_WORDS) {
				rc = bad(&x, "too many words");
				break;
			}
			w[n++] = s;
		}
		if (rc < 0)
			break;
		if (n == 0)
			continue;
		if ((rc = directive(c, &x, w, n)) < 0)
			break;
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = -1;
	}
	fclose(f);
	if (rc == 0) {
		x.line = 0;
		static const uint8_t zero[4];
		if (c->local_as == 0)
			rc = bad(&x, "local-as is required");
		else if (memcmp(c->router_id, zero, 4) == 0)
			rc = bad(&x, "router-id is required");
		else if (c->nlisten == 0 && c->nbmp == 0)
			rc = bad(&x, "no listen or bmp-listen directive");
		else if (c->obs.outage_critical < c->obs.outage_warning)
			rc = bad(&x, "critical is below warning");
		if (rc < 0)
			snprintf(err, errlen, "%s: %s", path,
			         strchr(err, ' ') ? strchr(err, ' ') + 1 : err);
	}
	if (rc < 0)
		collect_cfg_free(c);
	return rc;
}

void
collect_cfg_free(struct collect_cfg *c)
{
	for (unsigned i = 0; i < c->ngeo; i++)
		free(c->geo[i]);
	for (unsigned i = 0; i < c->nalert; i++) {
		free(c->alert_opt[i]);
		free(c->alert_arg[i]);
	}
	free(c->peers);
	c->peers = NULL;
	c->npeers = 0;
	c->ngeo = 0;
	c->nalert = 0;
}
