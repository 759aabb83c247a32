/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The MRT writer (RFC 6396, RFC 8050): records are assembled big-endian in
 * one growing buffer and handed to write(2) or zlib's gzwrite() a megabyte
 * at a time; the RIS file names and the 5-minute rotator sit on top.  The
 * only I/O in src/wire, kept apart from the pure encoders so that those
 * stay fuzzable on their own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include "vigil/mrt_write.h"

#define WBUF_CAP (1u << 20)
#define IZ_OUT (256u << 10)

struct mrt_writer {
	int fd;
	gzFile gz;
	struct isal_zstream *iz; /* ISA-L gzip (opts.isal), output to fd */
	uint8_t *izbuf;          /* its output buffer, IZ_OUT bytes */
	char *path;  /* final name */
	char *tmp;   /* name written to when atomic, else NULL */
	uint8_t *buf;
	size_t len, cap;
	uint64_t bytes, records;
	uint32_t rib_seq;
	int failed;
	char err[256];
};

static void
fail(struct mrt_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(struct mrt_writer *w, const char *fmt, ...)
{
	va_list ap;

	if (w->failed)
		return;
	w->failed = 1;
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
}

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

struct mrt_writer *
mrt_writer_open(const char *path, const struct mrt_writer_opts *opts,
                char *err, size_t errlen)
{
	struct mrt_writer_opts o = {0};
	struct mrt_writer *w;
	const char *target;

	if (opts)
		o = *opts;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		goto oom;
	w->fd = -1;
	w->cap = WBUF_CAP;
	if ((w->buf = malloc(w->cap)) == NULL ||
	    (w->path = strdup(path)) == NULL)
		goto oom;
	if (o.atomic) {
		size_t l = strlen(path) + 5;
		if ((w->tmp = malloc(l)) == NULL)
			goto oom;
		snprintf(w->tmp, l, "%s.tmp", path);
	}
	target = w->tmp ? w->tmp : w->path;
	w->fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		set_err(err, errlen, "cannot create %s: %s", target,
		        strerror(errno));
		goto fail;
	}
	if (o.gzip && o.isal) {
		if ((w->iz = calloc(1, sizeof(*w->iz))) == NULL)
			goto oom;
		isal_deflate_init(w->iz);
		struct isal_zstream *z = w->iz;
		z->level = o.level >= 1 ? 1 : 0;
		z->level_buf_size = o.level >= 1 ? ISAL_DEF_LVL1_DEFAULT : 0;
		z->gzip_flag = IGZIP_GZIP;
		if ((w->izbuf = malloc(IZ_OUT)) == NULL ||
		    (z->level_buf_size &&
		     (z->level_buf = malloc(z->level_buf_size)) == NULL))
			goto oom;
	} else if (o.gzip) {
		char mode[8];
		int level = o.level >= 1 && o.level <= 9 ? o.level : 6;
		snprintf(mode, sizeof(mode), "wb%d", level);
		if ((w->gz = gzdopen(w->fd, mode)) == NULL) {
			set_err(err, errlen, "cannot start gzip on %s", target);
			goto fail;
		}
		w->fd = -1; /* owned by zlib now */
		gzbuffer(w->gz, 256u << 10);
	}
	return w;

oom:
	set_err(err, errlen, "out of memory opening %s", path);
fail:
	if (w) {
		if (w->fd >= 0) {
			close(w->fd);
			unlink(w->tmp ? w->tmp : w->path);
		}
		if (w->iz)
			free(w->iz->level_buf);
		free(w->iz);
		free(w->izbuf);
		free(w->buf);
		free(w->path);
		free(w->tmp);
		free(w);
	}
	return NULL;
}

static int
write_all(struct mrt_writer *w, const uint8_t *p, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(w->fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail(w, "writing %s: %s", w->path,
			     n < 0 ? strerror(errno) : "short write");
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* Compress LEN bytes at P with ISA-L (FINISH: and end the gzip stream),
 * writing the output as it fills. */
static void
iz_write(struct mrt_writer *w, const uint8_t *p, size_t len, int finish)
{
	struct isal_zstream *z = w->iz;
	z->next_in = (uint8_t *)p;
	z->avail_in = (uint32_t)len;
	z->end_of_stream = finish;
	z->flush = NO_FLUSH;
	do {
		z->next_out = w->izbuf;
		z->avail_out = IZ_OUT;
		int rc = isal_deflate(z);
		if (rc != COMP_OK) {
			fail(w, "compressing %s: ISA-L error %d", w->path, rc);
			return;
		}
		if (write_all(w, w->izbuf, IZ_OUT - z->avail_out) < 0)
			return;
	} while (z->avail_in > 0 ||
	         (finish && z->internal_state.state != ZSTATE_END));
}

static void
flush(struct mrt_writer *w)
{
	size_t off = 0;

	if (w->failed) {
		w->len = 0;
		return;
	}
	if (w->iz) {
		while (off < w->len && !w->failed) {
			size_t chunk =
			    w->len - off > (1u << 30) ? 1u << 30 : w->len - off;
			iz_write(w, w->buf + off, chunk, 0);
			off += chunk;
		}
	} else if (w->gz) {
		while (off < w->len) {
			unsigned chunk = w->len - off > (1u << 30)
			                     ? 1u << 30
			                     : (unsigned)(w->len - off);
			if (gzwrite(w->gz, w->buf + off, chunk) != (int)chunk) {
				int zerr;
				const char *m = gzerror(w->gz, &zerr);
				fail(w, "writing %s: %s", w->path,
				     zerr == Z_ERRNO ? strerror(errno) : m);
				break;
			}
			off += chunk;
		}
	} else {
		while (off < w->len) {
			ssize_t n = write(w->fd, w->buf + off, w->len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				fail(w, "writing %s: %s", w->path,
				     n < 0 ? strerror(errno) : "short write");
				break;
			}
			off += (size_t)n;
		}
	}
	w->len = 0;
}

/* Room for N more bytes at w->buf + w->len; NULL after an error. */
static uint8_t *
reserve(struct mrt_writer *w, size_t n)
{
	if (w->failed)
		return NULL;
	if (w->cap - w->len >= n)
		return w->buf + w->len;
	flush(w);
	if (w->failed)
		return NULL;
	if (n > w->cap) {
		uint8_t *nb = realloc(w->buf, n);
		if (nb == NULL) {
			fail(w, "out of memory for a %zu-byte record", n);
			return NULL;
		}
		w->buf = nb;
		w->cap = n;
	}
	return w->buf + w->len;
}

static int
is_et(uint16_t type)
{
	return type == MRT_BGP4MP_ET || type == 33 || type == 49;
}

/* Start a record with a BODY_LEN-byte body; returns where the body goes
 * (the caller fills exactly BODY_LEN bytes), or NULL. */
static uint8_t *
record_begin(struct mrt_writer *w, uint32_t sec, uint32_t usec, uint16_t type,
             uint16_t subtype, size_t body_len)
{
	size_t hl = is_et(type) ? 16 : 12;
	uint8_t *p;

	if (body_len + (hl - 12) > UINT32_MAX) {
		fail(w, "record of %zu bytes is too long for MRT", body_len);
		return NULL;
	}
	if ((p = reserve(w, hl + body_len)) == NULL)
		return NULL;
	vg_store_be32(p, sec);
	vg_store_be16(p + 4, type);
	vg_store_be16(p + 6, subtype);
	vg_store_be32(p + 8, (uint32_t)(body_len + (hl - 12)));
	if (hl == 16)
		vg_store_be32(p + 12, usec);
	w->len += hl + body_len;
	w->bytes += hl + body_len;
	w->records++;
	return p + hl;
}

int
mrt_write_record(struct mrt_writer *w, uint32_t sec, uint32_t usec,
                 uint16_t type, uint16_t subtype, const void *body, size_t len)
{
	uint8_t *p = record_begin(w, sec, usec, type, subtype, len);
	if (p == NULL)
		return -1;
	if (len)
		memcpy(p, body, len);
	return 0;
}

static size_t
addr_len(const struct vg_addr *a)
{
	return a->afi == VG_AFI_IP6 ? 16 : 4;
}

int
mrt_write_peer_index(struct mrt_writer *w, uint32_t time,
                     const uint8_t collector_id[4], const char *view,
                     const struct mrt_peer *peers, uint32_t n)
{
	size_t vlen = view ? strlen(view) : 0, len;
	uint8_t *p;

	if (n > 0xffff || vlen > 0xffff) {
		fail(w,
		     "peer table of %u peers (view name %zu bytes) cannot be "
		     "written",
		     n, vlen);
		return -1;
	}
	len = 4 + 2 + vlen + 2;
	for (uint32_t i = 0; i < n; i++)
		len += 1 + 4 + addr_len(&peers[i].addr) + 4;
	if ((p = record_begin(w, time, 0, MRT_TABLE_DUMP_V2,
	                      MRT_PEER_INDEX_TABLE, len)) == NULL)
		return -1;
	memcpy(p, collector_id, 4);
	vg_store_be16(p + 4, (uint16_t)vlen);
	if (vlen)
		memcpy(p + 6, view, vlen);
	p += 6 + vlen;
	vg_store_be16(p, (uint16_t)n);
	p += 2;
	for (uint32_t i = 0; i < n; i++) {
		const struct mrt_peer *q = &peers[i];
		int v6 = q->addr.afi == VG_AFI_IP6;
		/* RFC 6396 4.3.1 peer type: bit 0 IPv6, bit 1 4-byte AS */
		*p++ = (uint8_t)((v6 ? 1 : 0) | 2);
		memcpy(p, q->bgp_id, 4);
		p += 4;
		memcpy(p, q->addr.addr, v6 ? 16 : 4);
		p += v6 ? 16 : 4;
		vg_store_be32(p, q->asn);
		p += 4;
	}
	w->rib_seq = 0;
	return 0;
}

int
mrt_write_rib(struct mrt_writer *w, uint32_t time, const struct vg_prefix *pfx,
              const struct mrt_rib_entry *e, uint32_t n, unsigned flags)
{
	int ap = (flags & MRT_WF_ADDPATH) != 0;
	int mc = pfx->safi == VG_SAFI_MULTICAST;
	unsigned nb = (pfx->len + 7u) / 8u;
	uint16_t sub;
	size_t len;
	uint8_t *p;

	if ((pfx->afi != VG_AFI_IP4 && pfx->afi != VG_AFI_IP6) ||
	    pfx->len > (pfx->afi == VG_AFI_IP4 ? 32 : 128) ||
	    (pfx->safi != VG_SAFI_UNICAST && pfx->safi != VG_SAFI_MULTICAST) ||
	    n > 0xffff) {
		fail(w, "RIB record for an unsupported prefix or %u entries",
		     n);
		return -1;
	}
	if (pfx->afi == VG_AFI_IP4)
		sub = mc ? MRT_RIB_IPV4_MULTICAST : MRT_RIB_IPV4_UNICAST;
	else
		sub = mc ? MRT_RIB_IPV6_MULTICAST : MRT_RIB_IPV6_UNICAST;
	if (ap) /* RFC 8050: the _ADDPATH subtypes are 6 above */
		sub = (uint16_t)(sub + 6);
	len = 4 + 1 + nb + 2;
	for (uint32_t i = 0; i < n; i++)
		len += 2 + 4 + (ap ? 4 : 0) + 2 + e[i].attrs_len;
	if ((p = record_begin(w, time, 0, MRT_TABLE_DUMP_V2, sub, len)) == NULL)
		return -1;
	vg_store_be32(p, w->rib_seq++);
	p[4] = pfx->len;
	memcpy(p + 5, pfx->addr, nb);
	if (pfx->len % 8)
		p[4 + nb] &= (uint8_t)(0xff00u >> (pfx->len % 8));
	p += 5 + nb;
	vg_store_be16(p, (uint16_t)n);
	p += 2;
	for (uint32_t i = 0; i < n; i++) {
		vg_store_be16(p, e[i].peer_index);
		vg_store_be32(p + 2, e[i].originated);
		p += 6;
		if (ap) {
			vg_store_be32(p, e[i].path_id);
			p += 4;
		}
		vg_store_be16(p, e[i].attrs_len);
		memcpy(p + 2, e[i].attrs, e[i].attrs_len);
		p += 2 + e[i].attrs_len;
	}
	return 0;
}

/* The common BGP4MP header; returns the bytes written at P (or the size
 * with P NULL). */
static size_t
bgp4mp_head(uint8_t *p, const struct mrt_session_id *s, int as2)
{
	size_t al = addr_len(&s->peer_addr);
	size_t n = (as2 ? 4 : 8) + 2 + 2 + 2 * al;

	if (p == NULL)
		return n;
	if (as2) {
		vg_store_be16(p, (uint16_t)s->peer_asn);
		vg_store_be16(p + 2, (uint16_t)s->local_asn);
		p += 4;
	} else {
		vg_store_be32(p, s->peer_asn);
		vg_store_be32(p + 4, s->local_asn);
		p += 8;
	}
	vg_store_be16(p, s->ifindex);
	vg_store_be16(p + 2, al == 16 ? 2 : 1);
	memcpy(p + 4, s->peer_addr.addr, al);
	memcpy(p + 4 + al, s->local_addr.addr, al);
	return n;
}

static int
session_ok(struct mrt_writer *w, const struct mrt_session_id *s, int as2)
{
	if ((s->peer_addr.afi != VG_AFI_IP4 &&
	     s->peer_addr.afi != VG_AFI_IP6) ||
	    s->local_addr.afi != s->peer_addr.afi) {
		fail(w, "BGP4MP record needs a peer and a local address of "
		        "one family");
		return 0;
	}
	if (as2 && (s->peer_asn > 0xffff || s->local_asn > 0xffff)) {
		fail(w, "AS%u/AS%u do not fit a 2-byte BGP4MP record",
		     s->peer_asn, s->local_asn);
		return 0;
	}
	return 1;
}

int
mrt_write_bgp4mp_msg(struct mrt_writer *w, uint32_t sec, uint32_t usec,
                     const struct mrt_session_id *s, const void *msg,
                     size_t len, unsigned flags)
{
	int as2 = (flags & MRT_WF_AS2) != 0;
	int local = (flags & MRT_WF_LOCAL) != 0;
	int ap = (flags & MRT_WF_ADDPATH) != 0;
	uint16_t type = (flags & MRT_WF_ET) ? MRT_BGP4MP_ET : MRT_BGP4MP;
	uint16_t sub;
	size_t hl;
	uint8_t *p;

	if (!session_ok(w, s, as2))
		return -1;
	if (ap)
		sub = as2 ? (local ? MRT_BGP4MP_MESSAGE_LOCAL_ADDPATH
		                   : MRT_BGP4MP_MESSAGE_ADDPATH)
		          : (local ? MRT_BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH
		                   : MRT_BGP4MP_MESSAGE_AS4_ADDPATH);
	else
		sub = as2 ? (local ? MRT_BGP4MP_MESSAGE_LOCAL
		                   : MRT_BGP4MP_MESSAGE)
		          : (local ? MRT_BGP4MP_MESSAGE_AS4_LOCAL
		                   : MRT_BGP4MP_MESSAGE_AS4);
	hl = bgp4mp_head(NULL, s, as2);
	if ((p = record_begin(w, sec, usec, type, sub, hl + len)) == NULL)
		return -1;
	bgp4mp_head(p, s, as2);
	memcpy(p + hl, msg, len);
	return 0;
}

int
mrt_write_bgp4mp_state(struct mrt_writer *w, uint32_t sec, uint32_t usec,
                       const struct mrt_session_id *s, uint16_t old_state,
                       uint16_t new_state, unsigned flags)
{
	int as2 = (flags & MRT_WF_AS2) != 0;
	uint16_t type = (flags & MRT_WF_ET) ? MRT_BGP4MP_ET : MRT_BGP4MP;
	size_t hl;
	uint8_t *p;

	if (!session_ok(w, s, as2))
		return -1;
	hl = bgp4mp_head(NULL, s, as2);
	if ((p = record_begin(w, sec, usec, type,
	                      as2 ? MRT_BGP4MP_STATE_CHANGE
	                          : MRT_BGP4MP_STATE_CHANGE_AS4,
	                      hl + 4)) == NULL)
		return -1;
	bgp4mp_head(p, s, as2);
	vg_store_be16(p + hl, old_state);
	vg_store_be16(p + hl + 2, new_state);
	return 0;
}

const char *
mrt_writer_error(const struct mrt_writer *w)
{
	return w->failed ? w->err : NULL;
}

uint64_t
mrt_writer_bytes(const struct mrt_writer *w)
{
	return w->bytes;
}

uint64_t
mrt_writer_records(const struct mrt_writer *w)
{
	return w->records;
}

int
mrt_writer_close(struct mrt_writer *w, char *err, size_t errlen)
{
	int rc = 0;

	if (w == NULL)
		return 0;
	flush(w);
	if (w->iz) {
		if (!w->failed)
			iz_write(w, NULL, 0, 1);
		if (close(w->fd) < 0)
			fail(w, "closing %s: %s", w->path, strerror(errno));
		free(w->iz->level_buf);
		free(w->iz);
		free(w->izbuf);
	} else if (w->gz) {
		int zrc = gzclose(w->gz);
		if (zrc != Z_OK)
			fail(w, "closing %s: %s", w->path,
			     zrc == Z_ERRNO ? strerror(errno) : "zlib error");
	} else if (w->fd >= 0 && close(w->fd) < 0) {
		fail(w, "closing %s: %s", w->path, strerror(errno));
	}
	if (!w->failed && w->tmp && rename(w->tmp, w->path) < 0)
		fail(w, "renaming %s to %s: %s", w->tmp, w->path,
		     strerror(errno));
	if (w->failed) {
		if (w->tmp)
			unlink(w->tmp);
		set_err(err, errlen, "%s", w->err);
		rc = -1;
	}
	free(w->buf);
	free(w->path);
	free(w->tmp);
	free(w);
	return rc;
}

/* ---- RIS names and rotation -------------------------------------------- */

static int
name_at(char *buf, size_t cap, const char *kind, int64_t t,
        const char *suffix)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int n;

	if (gmtime_r(&tt, &tm) == NULL)
		return -1;
	n = snprintf(buf, cap, "%s.%04d%02d%02d.%02d%02d%s", kind,
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	             tm.tm_min, suffix ? suffix : ".gz");
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}

static int64_t
floor_to(int64_t t, int64_t step)
{
	int64_t r = t % step;
	return r < 0 ? t - r - step : t - r;
}

int
mrt_ris_file_name(char *buf, size_t cap, enum mrt_ris_kind kind, int64_t t,
                  const char *suffix)
{
	if (kind == MRT_RIS_UPDATES)
		return name_at(buf, cap, "updates",
		               floor_to(t, MRT_RIS_UPDATE_INTERVAL), suffix);
	return name_at(buf, cap, "bview", t, suffix);
}

struct mrt_rotor {
	char *dir;
	unsigned interval;
	struct mrt_writer_opts opts;
	struct mrt_writer *cur;
	int64_t bin;
	unsigned files;
	uint64_t bytes; /* of the closed files */
	int failed;
};

struct mrt_rotor *
mrt_rotor_new(const char *dir, unsigned interval,
              const struct mrt_writer_opts *opts)
{
	struct mrt_rotor *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	if ((r->dir = strdup(dir)) == NULL) {
		free(r);
		return NULL;
	}
	r->interval = interval ? interval : MRT_RIS_UPDATE_INTERVAL;
	if (opts)
		r->opts = *opts;
	r->opts.atomic = 1;
	return r;
}

static struct mrt_writer *
rotor_open(struct mrt_rotor *r, int64_t bin, char *err, size_t errlen)
{
	char name[64], path[4096];

	if (name_at(name, sizeof(name), "updates", bin,
	            r->opts.gzip ? ".gz" : "") < 0 ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", r->dir, name) >=
	        sizeof(path)) {
		set_err(err, errlen, "file name too long in %s", r->dir);
		return NULL;
	}
	return mrt_writer_open(path, &r->opts, err, errlen);
}

struct mrt_writer *
mrt_rotor_at(struct mrt_rotor *r, int64_t t, int fill_gaps, char *err,
             size_t errlen)
{
	int64_t bin = floor_to(t, r->interval);

	if (r->failed) {
		set_err(err, errlen, "an earlier file of the rotation failed");
		return NULL;
	}
	if (r->cur && bin == r->bin)
		return r->cur;
	if (r->cur && bin < r->bin) {
		set_err(err, errlen,
		        "time went back to an earlier file (%lld "
		        "< %lld)",
		        (long long)t, (long long)r->bin);
		return NULL;
	}
	if (r->cur) {
		int64_t from = r->bin;
		r->bytes += mrt_writer_bytes(r->cur);
		if (mrt_writer_close(r->cur, err, errlen) < 0) {
			r->cur = NULL;
			r->failed = 1;
			return NULL;
		}
		r->cur = NULL;
		r->files++;
		if (fill_gaps) {
			for (int64_t b = from + r->interval; b < bin;
			     b += r->interval) {
				struct mrt_writer *g =
				    rotor_open(r, b, err, errlen);
				if (g == NULL ||
				    mrt_writer_close(g, err, errlen) < 0) {
					r->failed = 1;
					return NULL;
				}
				r->files++;
			}
		}
	}
	if ((r->cur = rotor_open(r, bin, err, errlen)) == NULL) {
		r->failed = 1;
		return NULL;
	}
	r->bin = bin;
	return r->cur;
}

unsigned
mrt_rotor_files(const struct mrt_rotor *r)
{
	return r->files;
}

uint64_t
mrt_rotor_bytes(const struct mrt_rotor *r)
{
	return r->bytes + (r->cur ? mrt_writer_bytes(r->cur) : 0);
}

int
mrt_rotor_close(struct mrt_rotor *r, char *err, size_t errlen)
{
	int rc = r && r->failed ? -1 : 0;

	if (r == NULL)
		return 0;
	if (r->cur) {
		if (mrt_writer_close(r->cur, err, errlen) < 0)
			rc = -1;
		else
			r->files++;
	}
	free(r->dir);
	free(r);
	return rc;
}

/* ---- RIB entry attributes (RIS style) ---------------------------------- */

/* Is the attribute at value V (type T, LEN bytes) the one the decoder
 * kept in A?  A repeated or discarded attribute is not (RFC 7606 3(g)). */
static int
kept_known(const struct bgp_attrs *a, uint8_t fl, unsigned t,
           const uint8_t *v, uint32_t len)
{
	if (t >= 64 || !BGP_HAS(a, t))
		return 0;
	switch (t) {
	case BGP_ATTR_COMMUNITIES:
		return v == a->communities.p;
	case BGP_ATTR_CLUSTER_LIST:
		return v == a->cluster_list.p;
	case BGP_ATTR_EXT_COMMUNITIES:
		return v == a->ext_communities.p;
	case BGP_ATTR_LARGE_COMMUNITIES:
		return v == a->large_communities.p;
	/* compared by value: an earlier copy with the wrong flags was
	 * discarded (RFC 7606 3(c)) and must not be taken for this one */
	case BGP_ATTR_ORIGINATOR_ID:
		return (fl & 0xc0) == BGP_ATTR_FLAG_OPTIONAL && len == 4 &&
		       memcmp(v, a->originator_id, 4) == 0;
	case BGP_ATTR_OTC:
		return (fl & 0xc0) == (BGP_ATTR_FLAG_OPTIONAL |
		                       BGP_ATTR_FLAG_TRANSITIVE) &&
		       len == 4 && vg_load_be32(v) == a->otc;
	}
	return 0;
}

static int
kept_unknown(const struct bgp_attrs *a, const uint8_t *v)
{
	for (unsigned i = 0; i < a->n_raw; i++)
		if (a->raw[i].val.p == v)
			return 1;
	return 0;
}

int
mrt_rib_attrs_encode(uint8_t *buf, size_t cap, const struct bgp_attrs *a,
                     const struct bgp_path *path, unsigned afi)
{
	struct bgp_attr_set s;
	uint8_t stack[2048], *raw = stack;
	size_t rl = 0, rcap = sizeof(stack);
	uint64_t done = 0;
	unsigned flags = 0;
	int n;

	/* what is copied through is a subset of the received block */
	if (a->all.len > sizeof(stack)) {
		if ((raw = malloc(a->all.len)) == NULL)
			return -1;
		rcap = a->all.len;
	}
	memset(&s, 0, sizeof(s));
	s.origin = BGP_HAS(a, BGP_ATTR_ORIGIN) ? a->origin : 2;
	s.path = path;
	for (struct vg_cursor c = {a->all.p, a->all.len}; c.len > 0;) {
		uint8_t fl, t, l8;
		uint16_t l;
		struct vg_cursor v;
		if (vg_cur_get_u8(&c, &fl) < 0 || vg_cur_get_u8(&c, &t) < 0)
			break;
		if (fl & BGP_ATTR_FLAG_EXTLEN) {
			if (vg_cur_get_u16(&c, &l) < 0)
				break;
		} else {
			if (vg_cur_get_u8(&c, &l8) < 0)
				break;
			l = l8;
		}
		if (vg_cur_sub(&c, l, &v) < 0)
			break;
		int keep;
		if (t < 64 && (done >> t & 1))
			continue;
		switch (t) {
		case BGP_ATTR_ORIGIN: case BGP_ATTR_AS_PATH:
		case BGP_ATTR_NEXT_HOP: case BGP_ATTR_MED:
		case BGP_ATTR_LOCAL_PREF: case BGP_ATTR_ATOMIC_AGGREGATE:
		case BGP_ATTR_AGGREGATOR: case BGP_ATTR_MP_REACH_NLRI:
		case BGP_ATTR_MP_UNREACH_NLRI: case BGP_ATTR_AS4_PATH:
		case BGP_ATTR_AS4_AGGREGATOR:
			keep = 0; /* from the decoded fields below, or dropped */
			break;
		case BGP_ATTR_COMMUNITIES: case BGP_ATTR_ORIGINATOR_ID:
		case BGP_ATTR_CLUSTER_LIST: case BGP_ATTR_EXT_COMMUNITIES:
		case BGP_ATTR_LARGE_COMMUNITIES: case BGP_ATTR_OTC:
			keep = kept_known(a, fl, t, v.p, v.len);
			break;
		default:
			/* RFC 4271 5: an unrecognised optional transitive
			 * attribute is passed on; others are not */
			keep = (fl & BGP_ATTR_FLAG_OPTIONAL) &&
			       (fl & BGP_ATTR_FLAG_TRANSITIVE) &&
			       kept_unknown(a, v.p);
			break;
		}
		if (!keep)
			continue;
		if (t < 64)
			done |= (uint64_t)1 << t;
		n = bgp_attr_put(raw + rl, rcap - rl,
		                 fl & (uint8_t)~BGP_ATTR_FLAG_EXTLEN, t, v.p, v.len);
		if (n < 0)
			break;
		rl += (size_t)n;
	}
	if (BGP_HAS(a, BGP_ATTR_NEXT_HOP)) {
		s.has |= BGP_SET_NEXTHOP4;
		memcpy(s.nexthop4, a->nexthop, 4);
	} else if (afi == VG_AFI_IP4 && BGP_HAS(a, BGP_ATTR_MP_REACH_NLRI) &&
	           a->mp_reach.nh_len == 4) {
		s.has |= BGP_SET_NEXTHOP4;
		memcpy(s.nexthop4, a->mp_reach.nh, 4);
	}
	if (BGP_HAS(a, BGP_ATTR_MED)) {
		s.has |= BGP_SET_MED;
		s.med = a->med;
	}
	if (BGP_HAS(a, BGP_ATTR_LOCAL_PREF)) {
		s.has |= BGP_SET_LOCAL_PREF;
		s.local_pref = a->local_pref;
	}
	if (BGP_HAS(a, BGP_ATTR_ATOMIC_AGGREGATE))
		s.has |= BGP_SET_ATOMIC_AGGREGATE;
	if (BGP_HAS(a, BGP_ATTR_AGGREGATOR)) {
		s.has |= BGP_SET_AGGREGATOR;
		s.aggregator_as = a->aggregator_as;
		memcpy(s.aggregator_addr, a->aggregator_addr, 4);
		/* RFC 6793 4.2.3 */
		if (a->asn_size == 2 && a->aggregator_as == BGP_AS_TRANS &&
		    BGP_HAS(a, BGP_ATTR_AS4_AGGREGATOR)) {
			s.aggregator_as = a->as4_aggregator_as;
			memcpy(s.aggregator_addr, a->as4_aggregator_addr, 4);
		}
	}
	if (afi == VG_AFI_IP6) {
		flags = BGP_ENC_MRT_MP;
		s.has |= BGP_SET_NEXTHOP6;
		s.nexthop6_len = 16;
		if (BGP_HAS(a, BGP_ATTR_MP_REACH_NLRI) &&
		    (a->mp_reach.nh_len == 16 || a->mp_reach.nh_len == 32)) {
			s.nexthop6_len = a->mp_reach.nh_len;
			memcpy(s.nexthop6, a->mp_reach.nh, a->mp_reach.nh_len);
		}
	}
	s.raw = rl ? raw : NULL;
	s.raw_len = (uint32_t)rl;
	n = bgp_attrs_encode(buf, cap, &s, flags);
	if (raw != stack)
		free(raw);
	return n;
}
