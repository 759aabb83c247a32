/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private plumbing shared by the input-stream back ends (src/io/).  A
 * vg_stream owns a byte source (a file descriptor, or a caller's buffer) and
 * an input window over it; each decompressor is a small table of functions
 * that pulls compressed bytes through that window and fills the caller's
 * buffer.  The first bytes read for format detection stay in the window, so
 * detection works on pipes without seeking.  Nothing here is public API.
 */
#ifndef VIGIL_IO_IMPL_H
#define VIGIL_IO_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vigil/stream.h"

/* Input window size for file sources: big enough that read() calls are rare. */
#define IO_IN_SIZE (1u << 20)

struct io_codec {
	/* Fill up to N bytes: >0 bytes, 0 clean end, -1 error (recorded
	 * with io_fail()).  Returning bytes *and* recording an error means
	 * "these bytes, then that error".  Called only while the stream has
	 * neither failed nor finished; may return fewer than N bytes. */
	ssize_t (*read)(vg_stream *s, uint8_t *buf, size_t n);
	/* Release the back end's state; stops its threads. */
	void (*close)(vg_stream *s);
	/* Compressed bytes consumed so far, or NULL to use the input window. */
	uint64_t (*raw_offset)(const vg_stream *s);
};

struct vg_stream {
	enum vg_compression comp;
	struct vg_stream_opts opts;
	const struct io_codec *codec;
	void *state;             /* back-end state, owned by the codec */

	/* Byte source: fd >= 0 for files and pipes, else the caller's buffer,
	 * which then *is* the whole input window. */
	int fd;
	int own_fd;
	uint64_t raw_size;
	uint64_t src_read;       /* bytes taken from the source so far */
	int src_eof;
	int gather;              /* reads may wait to fill the caller's
	                          * buffer: regular files and memory */

	/* Input window: in[in_pos..in_len) is read but not yet consumed. */
	const uint8_t *in;
	uint8_t *inbuf;          /* owned storage behind IN for fd sources */
	size_t in_pos, in_len, in_cap;

	int failed;              /* sticky: every later read returns -1 */
	int pending_fail;        /* an error waits behind bytes just returned */
	int finished;
	char err[256];
};

/*
 * Record a one-line error for vg_stream_error() (printf-style).  The first
 * error wins: a later one would only describe the fallout.  Returns -1 so a
 * back end can `return io_fail(...)`.
 */
int io_fail(vg_stream *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Read more of the source into the input window, first moving the unconsumed
 * tail to the front.  Returns the number of bytes added, 0 at end of input
 * (always so for memory sources) or when the window is full, -1 on an I/O
 * error (recorded with io_fail()).
 */
ssize_t io_fill(vg_stream *s);

/*
 * Copy up to N raw bytes to DST: first what the window holds, then straight
 * from the source with one read().  For back ends that keep their own
 * buffers (plain files, the parallel bzip2 scanner).  Returns bytes copied,
 * 0 at end of input, -1 on an I/O error.
 */
ssize_t io_read_raw(vg_stream *s, uint8_t *dst, size_t n);

/* Bytes of the window not yet consumed. */
static inline size_t
io_avail(const vg_stream *s)
{
	return s->in_len - s->in_pos;
}

/* Back ends: set s->codec and s->state; 0 on success, -1 with io_fail(). */
int io_plain_init(vg_stream *s);
int io_gzip_init(vg_stream *s);
int io_bzip2_init(vg_stream *s);
int io_zstd_init(vg_stream *s);
int io_xz_init(vg_stream *s);

#endif
