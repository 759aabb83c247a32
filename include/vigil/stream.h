/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vigil input streams: a byte source that hides where bytes come from (file,
 * stdin) and how they were compressed (none, gzip, bzip2, zstd, xz).  The
 * format is detected from the first bytes (magic numbers), never from the
 * file name.  Multi-member gzip, concatenated bzip2/zstd/xz streams are read
 * through to the end, as the command-line tools do.
 *
 * A stream is read sequentially with vg_stream_read(); there is no seeking.
 * Decompressors may run a helper thread (bzip2 decodes blocks on a second
 * core); that thread is private to the stream and ends in vg_stream_close().
 */
#ifndef VIGIL_STREAM_H
#define VIGIL_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum vg_compression {
	VG_COMP_NONE = 0,
	VG_COMP_GZIP,
	VG_COMP_BZIP2,
	VG_COMP_ZSTD,
	VG_COMP_XZ,
};

/* Options for vg_stream_open(); zero-initialise for defaults. */
struct vg_stream_opts {
	int threads;     /* decoder threads for bzip2 (0 = default: 2) */
	int force_zlib;  /* gzip: use zlib even when ISA-L is built in */
};

typedef struct vg_stream vg_stream;

/*
 * Open PATH ("-" means standard input) and detect its compression.
 * Returns a stream, or NULL with a one-line reason in ERR (ERRLEN bytes,
 * e.g. "cannot open x.gz: No such file or directory").  OPTS may be NULL.
 */
vg_stream *vg_stream_open(const char *path, const struct vg_stream_opts *opts,
                          char *err, size_t errlen);

/*
 * Wrap an in-memory buffer (not copied: it must outlive the stream).  The
 * compression is detected as for files.  Used by tests and fuzzers.
 */
vg_stream *vg_stream_open_mem(const void *buf, size_t len,
                              const struct vg_stream_opts *opts, char *err,
                              size_t errlen);

/*
 * Read up to N decompressed bytes into BUF.  Returns the number read (less
 * than N only at the end of the data or when the stream chooses to), 0 at a
 * clean end, -1 on error: then vg_stream_error() says what went wrong
 * (corrupt or truncated compressed data, I/O error).  Bytes decoded before
 * an error are returned first; the error is reported by the next call.
 */
ssize_t vg_stream_read(vg_stream *s, void *buf, size_t n);

/* The last error, or NULL if none. Valid until vg_stream_close(). */
const char *vg_stream_error(const vg_stream *s);

/* Compression detected at open time. */
enum vg_compression vg_stream_compression(const vg_stream *s);

/* Name of a compression ("none", "gzip", "bzip2", "zstd", "xz"). */
const char *vg_compression_name(enum vg_compression c);

/* Compressed bytes consumed so far (for progress reporting). */
uint64_t vg_stream_raw_offset(const vg_stream *s);

/* Total size of the underlying file if known (regular file), else 0. */
uint64_t vg_stream_raw_size(const vg_stream *s);

/* Close the stream, stop helper threads, free everything. NULL is fine. */
void vg_stream_close(vg_stream *s);

#endif
