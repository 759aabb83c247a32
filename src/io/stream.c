/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Input streams: opening files, standard input and memory buffers, detecting
 * the compression from magic bytes, and dispatching reads to the back end
 * (gzip.c, bzip2.c, zstd.c, xz.c, or the plain pass-through here).  The
 * detection bytes are read into the stream's input window and stay there, so
 * the back end sees them again: that is what makes detection work on pipes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io_impl.h"

/* The longest magic we test (xz) is 6 bytes. */
#define IO_MAGIC_LEN 6

int
io_fail(vg_stream *s, const char *fmt, ...)
{
	va_list ap;

	if (s->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(s->err, sizeof(s->err), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* One read() that survives signals; -1 with errno on failure. */
static ssize_t
io_read_fd(int fd, uint8_t *dst, size_t n)
{
	ssize_t r;

	do {
		r = read(fd, dst, n);
	} while (r < 0 && errno == EINTR);
	return r;
}

ssize_t
io_fill(vg_stream *s)
{
	ssize_t r;

	if (s->fd < 0 || s->src_eof)
		return 0;
	if (s->in_pos > 0) {
		memmove(s->inbuf, s->inbuf + s->in_pos, s->in_len - s->in_pos);
		s->in_len -= s->in_pos;
		s->in_pos = 0;
	}
	if (s->in_len == s->in_cap)
		return 0;
	r = io_read_fd(s->fd, s->inbuf + s->in_len, s->in_cap - s->in_len);
	if (r < 0)
		return io_fail(s, "read error: %s", strerror(errno));
	if (r == 0) {
		s->src_eof = 1;
		return 0;
	}
	s->in_len += (size_t)r;
	s->src_read += (uint64_t)r;
	return r;
}

ssize_t
io_read_raw(vg_stream *s, uint8_t *dst, size_t n)
{
	size_t k = io_avail(s);
	ssize_t r;

	if (k > 0) {
		if (k > n)
			k = n;
		memcpy(dst, s->in + s->in_pos, k);
		s->in_pos += k;
		return (ssize_t)k;
	}
	if (s->fd < 0 || s->src_eof || n == 0)
		return 0;
	r = io_read_fd(s->fd, dst, n);
	if (r < 0)
		return io_fail(s, "read error: %s", strerror(errno));
	if (r == 0)
		s->src_eof = 1;
	s->src_read += (uint64_t)r;
	return r;
}

/* Plain data: hand over the window, then read() straight into BUF. */
static ssize_t
plain_read(vg_stream *s, uint8_t *buf, size_t n)
{
	return io_read_raw(s, buf, n);
}

static void
plain_close(vg_stream *s)
{
	(void)s;
}

static const struct io_codec plain_codec = {
	.read = plain_read,
	.close = plain_close,
};

int
io_plain_init(vg_stream *s)
{
	s->codec = &plain_codec;
	return 0;
}

static enum vg_compression
detect(const uint8_t *p, size_t n)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return VG_COMP_GZIP;
	if (n >= 4 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' &&
	    p[3] >= '1' && p[3] <= '9')
		return VG_COMP_BZIP2;
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f &&
	    p[3] == 0xfd)
		return VG_COMP_ZSTD;
	if (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0)
		return VG_COMP_XZ;
	return VG_COMP_NONE;
}

/* Copy a printf-style reason to the caller's ERR buffer, if any. */
static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Common tail of both open functions: detect, start the back end, or tear
 * everything down and copy the reason to ERR.
 */
static vg_stream *
open_finish(vg_stream *s, char *err, size_t errlen)
{
	int r;

	s->comp = detect(s->in + s->in_pos, io_avail(s));
	switch (s->comp) {
	case VG_COMP_GZIP:
		r = io_gzip_init(s);
		break;
	case VG_COMP_BZIP2:
		r = io_bzip2_init(s);
		break;
	case VG_COMP_ZSTD:
		r = io_zstd_init(s);
		break;
	case VG_COMP_XZ:
		r = io_xz_init(s);
		break;
	default:
		r = io_plain_init(s);
		break;
	}
	if (r < 0) {
		set_err(err, errlen, "%s",
		        s->err[0] ? s->err : "cannot start decoder");
		vg_stream_close(s);
		return NULL;
	}
	return s;
}

static vg_stream *
stream_alloc(const struct vg_stream_opts *opts)
{
	vg_stream *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (opts != NULL)
		s->opts = *opts;
	if (s->opts.threads <= 0)
		s->opts.threads = 2;
	s->fd = -1;
	return s;
}

vg_stream *
vg_stream_open(const char *path, const struct vg_stream_opts *opts,
               char *err, size_t errlen)
{
	vg_stream *s;
	struct stat st;

	if (path == NULL) {
		set_err(err, errlen, "no input path given");
		return NULL;
	}
	s = stream_alloc(opts);
	if (s == NULL) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	if (strcmp(path, "-") == 0) {
		s->fd = STDIN_FILENO;
	} else {
		do {
			s->fd = open(path, O_RDONLY | O_CLOEXEC);
		} while (s->fd < 0 && errno == EINTR);
		if (s->fd < 0) {
			set_err(err, errlen, "cannot open %s: %s", path,
			        strerror(errno));
			free(s);
			return NULL;
		}
		s->own_fd = 1;
	}
	if (fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode)) {
		s->raw_size = (uint64_t)st.st_size;
		s->gather = 1;
	}
	s->in_cap = IO_IN_SIZE;
	s->inbuf = malloc(s->in_cap);
	if (s->inbuf == NULL) {
		set_err(err, errlen, "out of memory");
		vg_stream_close(s);
		return NULL;
	}
	s->in = s->inbuf;
	/* A pipe may deliver the magic in pieces: read until we have enough
	 * bytes to decide or the input ends. */
	while (s->in_len < IO_MAGIC_LEN && !s->src_eof) {
		if (io_fill(s) < 0) {
			set_err(err, errlen, "cannot read %s: %s", path,
			        s->err);
			vg_stream_close(s);
			return NULL;
		}
	}
	return open_finish(s, err, errlen);
}

vg_stream *
vg_stream_open_mem(const void *buf, size_t len,
                   const struct vg_stream_opts *opts, char *err, size_t errlen)
{
	vg_stream *s;

	if (buf == NULL && len > 0) {
		set_err(err, errlen, "no input buffer given");
		return NULL;
	}
	s = stream_alloc(opts);
	if (s == NULL) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	/* The caller's buffer is the whole window: no copy, no refills. */
	s->in = len > 0 ? buf : (const uint8_t *)"";
	s->in_len = len;
	s->in_cap = len;
	s->src_read = len;
	s->src_eof = 1;
	s->raw_size = len;
	s->gather = 1;
	return open_finish(s, err, errlen);
}

ssize_t
vg_stream_read(vg_stream *s, void *buf, size_t n)
{
	ssize_t r;

	if (s == NULL)
		return -1;
	if (s->failed)
		return -1;
	if (s->pending_fail) {
		s->failed = 1;
		return -1;
	}
	if (s->finished || n == 0)
		return 0;
	/* Back ends may return short counts; gather until BUF is full or the
	 * back end has nothing more right now, so callers get large reads. */
	size_t got = 0;
	while (got < n) {
		r = s->codec->read(s, (uint8_t *)buf + got, n - got);
		if (r < 0) {
			if (s->err[0] == '\0')
				io_fail(s, "%s: read failed",
				        vg_compression_name(s->comp));
			if (got > 0) {
				s->pending_fail = 1;
				return (ssize_t)got;
			}
			s->failed = 1;
			return -1;
		}
		if (r == 0) {
			s->finished = 1;
			break;
		}
		got += (size_t)r;
		/* A back end that records an error but still returns bytes
		 * has ended: those bytes first, the error on the next call. */
		if (s->err[0] != '\0') {
			s->pending_fail = 1;
			break;
		}
		/* From a pipe, hand over what arrived rather than block
		 * until BUF is full: the writer may be slow (a live feed). */
		if (!s->gather)
			break;
	}
	return (ssize_t)got;
}

const char *
vg_stream_error(const vg_stream *s)
{
	/* A pending error stays hidden until vg_stream_read() reports it. */
	if (s == NULL || !s->failed || s->err[0] == '\0')
		return NULL;
	return s->err;
}

enum vg_compression
vg_stream_compression(const vg_stream *s)
{
	return s ? s->comp : VG_COMP_NONE;
}

const char *
vg_compression_name(enum vg_compression c)
{
	switch (c) {
	case VG_COMP_NONE:
		return "none";
	case VG_COMP_GZIP:
		return "gzip";
	case VG_COMP_BZIP2:
		return "bzip2";
	case VG_COMP_ZSTD:
		return "zstd";
	case VG_COMP_XZ:
		return "xz";
	}
	return "?";
}

uint64_t
vg_stream_raw_offset(const vg_stream *s)
{
	if (s == NULL)
		return 0;
	if (s->codec != NULL && s->codec->raw_offset != NULL)
		return s->codec->raw_offset(s);
	return s->src_read - io_avail(s);
}

uint64_t
vg_stream_raw_size(const vg_stream *s)
{
	return s ? s->raw_size : 0;
}

void
vg_stream_close(vg_stream *s)
{
	if (s == NULL)
		return;
	if (s->codec != NULL)
		s->codec->close(s);
	if (s->own_fd && s->fd >= 0)
		close(s->fd);
	free(s->inbuf);
	free(s);
}
