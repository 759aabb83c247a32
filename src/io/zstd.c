/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zstd back end: ZSTD_decompressStream() over the input window.  The
 * streaming decoder moves from one frame to the next by itself, so
 * concatenated files (and skippable frames) need no help; a frame that is
 * still open when the input ends means the file was cut short.
 */
#include <stdlib.h>

#include <zstd.h>

#include "io/io_impl.h"

struct zs_state {
	ZSTD_DStream *ds;
	size_t last;             /* last return: 0 = frame done and flushed */
};

static ssize_t
zs_read(vg_stream *s, uint8_t *buf, size_t n)
{
	struct zs_state *z = s->state;
	ZSTD_inBuffer in;
	ZSTD_outBuffer out;
	size_t ret, used;

	for (;;) {
		if (io_avail(s) == 0 && !s->src_eof && io_fill(s) < 0)
			return -1;
		if (io_avail(s) == 0 && s->src_eof && z->last == 0)
			return 0;
		in.src = s->in + s->in_pos;
		in.size = io_avail(s);
		in.pos = 0;
		out.dst = buf;
		out.size = n;
		out.pos = 0;
		ret = ZSTD_decompressStream(z->ds, &out, &in);
		used = in.pos;
		s->in_pos += used;
		if (ZSTD_isError(ret)) {
			io_fail(s, "zstd: corrupt data: %s at offset %llu",
			        ZSTD_getErrorName(ret),
			        (unsigned long long)(s->src_read - io_avail(s)));
			return out.pos > 0 ? (ssize_t)out.pos : -1;
		}
		z->last = ret;
		if (out.pos > 0)
			return (ssize_t)out.pos;
		if (used == 0) {
			if (s->src_eof)
				return io_fail(s, "zstd: unexpected end of "
				               "data (truncated file?)");
			if (io_fill(s) < 0)
				return -1;
		}
	}
}

static void
zs_close(vg_stream *s)
{
	struct zs_state *z = s->state;

	if (z == NULL)
		return;
	ZSTD_freeDStream(z->ds);
	free(z);
	s->state = NULL;
}

static const struct io_codec zs_codec = {
	.read = zs_read,
	.close = zs_close,
};

int
io_zstd_init(vg_stream *s)
{
	struct zs_state *z = calloc(1, sizeof(*z));

	if (z == NULL)
		return io_fail(s, "zstd: out of memory");
	s->state = z;
	s->codec = &zs_codec;
	z->last = 1;
	z->ds = ZSTD_createDStream();
	if (z->ds == NULL)
		return io_fail(s, "zstd: out of memory");
	/* Accept the largest windows zstd --long=31 can write. */
	ZSTD_DCtx_setParameter(z->ds, ZSTD_d_windowLogMax, 31);
	return 0;
}
