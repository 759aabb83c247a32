/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xz back end: liblzma's stream decoder with LZMA_CONCATENATED, so files
 * made by concatenating .xz files (and their stream padding) decode through
 * to the end as xz(1) does.  liblzma checks each block's integrity check.
 */
#include <stdlib.h>

#include <lzma.h>

#include "io/io_impl.h"

struct xz_state {
	lzma_stream strm;
	int done;                /* LZMA_STREAM_END seen: liblzma wants no
	                          * more calls */
};

static const char *
xz_reason(lzma_ret ret)
{
	switch (ret) {
	case LZMA_FORMAT_ERROR:
		return "not in .xz format";
	case LZMA_OPTIONS_ERROR:
		return "unsupported options";
	case LZMA_DATA_ERROR:
		return "corrupt data";
	case LZMA_MEM_ERROR:
		return "out of memory";
	case LZMA_MEMLIMIT_ERROR:
		return "memory limit reached";
	default:
		return "decoder error";
	}
}

static ssize_t
xz_read(vg_stream *s, uint8_t *buf, size_t n)
{
	struct xz_state *x = s->state;
	lzma_stream *st = &x->strm;
	size_t avail, used, produced;
	lzma_ret ret;

	if (x->done)
		return 0;
	for (;;) {
		if (io_avail(s) == 0 && !s->src_eof && io_fill(s) < 0)
			return -1;
		avail = io_avail(s);
		st->next_in = s->in + s->in_pos;
		st->avail_in = avail;
		st->next_out = buf;
		st->avail_out = n;
		/* LZMA_CONCATENATED reports the end only under LZMA_FINISH,
		 * which may be given only once all input has been passed. */
		ret = lzma_code(st, s->src_eof ? LZMA_FINISH : LZMA_RUN);
		used = avail - st->avail_in;
		s->in_pos += used;
		produced = n - st->avail_out;
		if (ret == LZMA_STREAM_END) {
			x->done = 1;
			return (ssize_t)produced;
		}
		if (ret == LZMA_BUF_ERROR && s->src_eof) {
			io_fail(s, "xz: unexpected end of data "
			        "(truncated file?)");
			return produced > 0 ? (ssize_t)produced : -1;
		}
		if (ret != LZMA_OK && ret != LZMA_BUF_ERROR) {
			io_fail(s, "xz: corrupt data: %s at offset %llu",
			        xz_reason(ret),
			        (unsigned long long)(s->src_read - io_avail(s)));
			return produced > 0 ? (ssize_t)produced : -1;
		}
		if (produced > 0)
			return (ssize_t)produced;
		if (used == 0 && !s->src_eof && io_fill(s) < 0)
			return -1;
	}
}

static void
xz_close(vg_stream *s)
{
	struct xz_state *x = s->state;

	if (x == NULL)
		return;
	lzma_end(&x->strm);
	free(x);
	s->state = NULL;
}

static const struct io_codec xz_codec = {
	.read = xz_read,
	.close = xz_close,
};

int
io_xz_init(vg_stream *s)
{
	struct xz_state *x = calloc(1, sizeof(*x));
	lzma_stream init = LZMA_STREAM_INIT;

	if (x == NULL)
		return io_fail(s, "xz: out of memory");
	s->state = x;
	s->codec = &xz_codec;
	x->strm = init;
	if (lzma_stream_decoder(&x->strm, UINT64_MAX, LZMA_CONCATENATED) !=
	    LZMA_OK)
		return io_fail(s, "xz: cannot initialise decoder");
	return 0;
}
