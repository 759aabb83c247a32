/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gzip back end.  ISA-L's igzip inflater is the default because it decodes
 * several times faster than zlib on x86; zlib stays available through
 * vg_stream_opts.force_zlib, for comparison and as a reference in tests.
 * Both decode multi-member files (RFC 1952 section 2.2: members simply
 * follow each other) and verify each member's CRC-32 and length trailer.
 * Zero bytes after the last member are skipped, as gzip(1) does; anything
 * else there is reported as trailing garbage once all data is out.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include "io/io_impl.h"

struct gz_state {
	int use_zlib;
	int in_member;           /* between a header and its trailer */
	int in_header;           /* ISA-L: member header not yet parsed */
	uint64_t members;        /* members started so far */
	struct inflate_state *isal;
	struct isal_gzip_header hdr;
	z_stream z;
	int z_ready;
};

static uint64_t
gz_offset(const vg_stream *s)
{
	return s->src_read - io_avail(s);
}

static const char *
isal_reason(int ret)
{
	switch (ret) {
	case ISAL_INVALID_BLOCK:
		return "invalid deflate block";
	case ISAL_INVALID_SYMBOL:
		return "invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK:
		return "invalid back-reference distance";
	case ISAL_INVALID_WRAPPER:
		return "invalid gzip header";
	case ISAL_UNSUPPORTED_METHOD:
		return "unsupported compression method";
	case ISAL_INCORRECT_CHECKSUM:
		return "CRC or length mismatch in member trailer";
	case ISAL_NEED_DICT:
		return "preset dictionary required";
	}
	return "decoder error";
}

/*
 * Position the decoder at the next member.  Returns 1 when a member starts,
 * 0 at a clean end of input, -1 on trailing garbage or an I/O error.
 */
static int
gz_next_member(vg_stream *s, struct gz_state *g)
{
	const uint8_t *p;

	for (;;) {
		if (io_avail(s) < 2 && !s->src_eof) {
			if (io_fill(s) < 0)
				return -1;
			continue;
		}
		if (io_avail(s) == 0)
			return 0;
		p = s->in + s->in_pos;
		/* A lone 0x1f at the very end is a cut-off member: start it
		 * so that it is reported as truncated. */
		if (p[0] == 0x1f && (io_avail(s) == 1 || p[1] == 0x8b))
			break;
		if (p[0] != 0 || g->members == 0)
			return io_fail(s, "gzip: trailing garbage after end of "
			               "compressed data at offset %llu",
			               (unsigned long long)gz_offset(s));
		while (s->in_pos < s->in_len && s->in[s->in_pos] == 0)
			s->in_pos++;
	}
	if (g->use_zlib) {
		if (inflateReset(&g->z) != Z_OK)
			return io_fail(s, "gzip: cannot reset zlib");
	} else {
		isal_inflate_reset(g->isal);
		isal_gzip_header_init(&g->hdr);
		/* We parse the header ourselves (see gz_isal_header()); ISA-L
		 * then decodes the body and checks the CRC-32/ISIZE trailer. */
		g->isal->crc_flag = ISAL_GZIP_NO_HDR_VER;
		g->in_header = 1;
	}
	g->in_member = 1;
	g->members++;
	return 1;
}

static ssize_t
gz_fail_after(size_t produced)
{
	return produced > 0 ? (ssize_t)produced : -1;
}

/*
 * Parse a member header with isal_read_gzip_header().  isal_inflate() in
 * ISAL_GZIP mode can do this too, but it keeps the parsed flags in a local
 * struct, so a header split across two calls (a pipe, a cut file) resumes
 * with undefined flags (ISA-L 2.30).  Our header struct persists between
 * calls.  Returns 1 when parsed, 0 when more input is needed, -1 on error.
 */
static int
gz_isal_header(vg_stream *s, struct gz_state *g)
{
	struct inflate_state *st = g->isal;
	size_t avail = io_avail(s), used;
	int ret;

	if (avail > UINT32_MAX)
		avail = UINT32_MAX;
	st->next_in = (uint8_t *)(s->in + s->in_pos);
	st->avail_in = (uint32_t)avail;
	ret = isal_read_gzip_header(st, &g->hdr);
	used = avail - st->avail_in;
	s->in_pos += used;
	if (ret == ISAL_DECOMP_OK) {
		g->in_header = 0;
		return 1;
	}
	if (ret == ISAL_END_INPUT) {
		if (s->src_eof && (io_avail(s) == 0 || used == 0))
			return io_fail(s, "gzip: unexpected end of data "
			               "(truncated file?)");
		return io_fill(s) < 0 ? -1 : 0;
	}
	return io_fail(s, "gzip: corrupt data: %s at offset %llu",
	               ret < 0 ? isal_reason(ret) : "invalid gzip header",
	               (unsigned long long)gz_offset(s));
}

/*
 * One decoding step with ISA-L.  Returns as soon as some output exists, so
 * the caller sees bytes decoded before an error ahead of the error itself.
 */
static ssize_t
gz_read_isal(vg_stream *s, struct gz_state *g, uint8_t *buf, size_t n)
{
	struct inflate_state *st = g->isal;
	uint32_t want = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	size_t avail, used, produced;
	int ret, r;

	for (;;) {
		if (!g->in_member) {
			r = gz_next_member(s, g);
			if (r <= 0)
				return r;
		}
		if (g->in_header) {
			r = gz_isal_header(s, g);
			if (r < 0)
				return -1;
			continue;
		}
		if (io_avail(s) == 0 && !s->src_eof && io_fill(s) < 0)
			return -1;
		avail = io_avail(s);
		if (avail > UINT32_MAX)
			avail = UINT32_MAX;
		st->next_in = (uint8_t *)(s->in + s->in_pos);
		st->avail_in = (uint32_t)avail;
		st->next_out = buf;
		st->avail_out = want;
		ret = isal_inflate(st);
		used = avail - st->avail_in;
		s->in_pos += used;
		produced = want - st->avail_out;
		if (ret < 0) {
			io_fail(s, "gzip: corrupt data: %s at offset %llu",
			        isal_reason(ret),
			        (unsigned long long)gz_offset(s));
			return gz_fail_after(produced);
		}
		if (st->block_state == ISAL_BLOCK_FINISH)
			g->in_member = 0;
		if (produced > 0)
			return (ssize_t)produced;
		if (used == 0 && g->in_member) {
			/* No progress: the decoder wants input we lack. */
			if (s->src_eof)
				return io_fail(s, "gzip: unexpected end of "
				               "data (truncated file?)");
			if (io_fill(s) < 0)
				return -1;
		}
	}
}

static ssize_t
gz_read_zlib(vg_stream *s, struct gz_state *g, uint8_t *buf, size_t n)
{
	z_stream *z = &g->z;
	uInt want = n > UINT_MAX ? UINT_MAX : (uInt)n;
	size_t avail, used, produced;
	int ret, r;

	for (;;) {
		if (!g->in_member) {
			r = gz_next_member(s, g);
			if (r <= 0)
				return r;
		}
		if (io_avail(s) == 0 && !s->src_eof && io_fill(s) < 0)
			return -1;
		avail = io_avail(s);
		if (avail > UINT_MAX)
			avail = UINT_MAX;
		/* zlib never writes through next_in; its type predates const. */
		z->next_in = (Bytef *)(s->in + s->in_pos);
		z->avail_in = (uInt)avail;
		z->next_out = buf;
		z->avail_out = want;
		ret = inflate(z, Z_NO_FLUSH);
		used = avail - z->avail_in;
		s->in_pos += used;
		produced = want - z->avail_out;
		if (ret == Z_STREAM_END) {
			g->in_member = 0;
		} else if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT ||
		           ret == Z_MEM_ERROR || ret == Z_STREAM_ERROR) {
			io_fail(s, "gzip: corrupt data: %s at offset %llu",
			        ret == Z_MEM_ERROR ? "out of memory"
			        : z->msg            ? z->msg
			                            : "decoder error",
			        (unsigned long long)gz_offset(s));
			return gz_fail_after(produced);
		}
		if (produced > 0)
			return (ssize_t)produced;
		if (used == 0 && g->in_member) {
			if (s->src_eof)
				return io_fail(s, "gzip: unexpected end of "
				               "data (truncated file?)");
			if (io_fill(s) < 0)
				return -1;
		}
	}
}

static ssize_t
gz_read(vg_stream *s, uint8_t *buf, size_t n)
{
	struct gz_state *g = s->state;

	if (g->use_zlib)
		return gz_read_zlib(s, g, buf, n);
	return gz_read_isal(s, g, buf, n);
}

static void
gz_close(vg_stream *s)
{
	struct gz_state *g = s->state;

	if (g == NULL)
		return;
	if (g->z_ready)
		inflateEnd(&g->z);
	free(g->isal);
	free(g);
	s->state = NULL;
}

static const struct io_codec gz_codec = {
	.read = gz_read,
	.close = gz_close,
};

int
io_gzip_init(vg_stream *s)
{
	struct gz_state *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return io_fail(s, "gzip: out of memory");
	s->state = g;
	s->codec = &gz_codec;
	g->use_zlib = s->opts.force_zlib;
	if (g->use_zlib) {
		/* 15 + 32: full window, gzip or zlib header detected. */
		if (inflateInit2(&g->z, 15 + 32) != Z_OK)
			return io_fail(s, "gzip: cannot initialise zlib");
		g->z_ready = 1;
	} else {
		g->isal = calloc(1, sizeof(*g->isal));
		if (g->isal == NULL)
			return io_fail(s, "gzip: out of memory");
		isal_inflate_init(g->isal);
	}
	return 0;
}
