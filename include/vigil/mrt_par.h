/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Parallel decoding of one MRT input on several cores, with results in
 * input order.
 *
 * One thread at a time frames records (the MRT reader's framing, with all
 * its recovery from garbage, truncation and lying lengths) into chunks of
 * whole records; worker threads decode chunks into elements, each starting
 * from the cross-record state (TABLE_DUMP_V2 peer table, ADD-PATH sessions
 * learned from OPEN messages) the one-thread reader has at the chunk's
 * first record.  Each element goes to a callback in the worker thread that
 * may append text to the chunk's own output buffer; the calling thread then
 * takes chunks strictly in input order, reports their problems through the
 * problem callback (record numbers and byte offsets exactly as the
 * one-thread reader gives them) and hands their output to the output
 * callback.  So everything that comes out — text, problems, counters — is
 * identical to mrt_reader_next_elem() over the same bytes.
 *
 * Memory is bounded: at most 2 * threads + 2 chunks are in flight whatever
 * the input size.
 */
#ifndef VIGIL_MRT_PAR_H
#define VIGIL_MRT_PAR_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/mrt.h"
#include "vigil/obuf.h"

/*
 * Called in worker thread WORKER (0 .. threads-1) for each element, in input
 * order within a chunk; E is borrowed until the call returns.  Anything
 * appended to OUT (a memory vg_obuf, emptied for each chunk) is handed to
 * the output callback in input order.  Per-worker state (formatters) is
 * the caller's, indexed by WORKER; shared state must be read-only.
 */
typedef void (*mrt_par_elem_fn)(void *ctx, unsigned worker,
                                struct vg_obuf *out, const struct vg_elem *e);

/* Called in the calling thread with a chunk's output, in input order.
 * Returns 0, or -1 to stop reading (a write error). */
typedef int (*mrt_par_out_fn)(void *ctx, const char *buf, size_t len);

struct mrt_par_opts {
	unsigned threads;   /* worker threads (0 = 2) */
	double *cpu_secs;   /* if set: filled with each worker's CPU
	                       seconds (THREADS entries; benchmarks) */
	size_t chunk_bytes; /* record bytes per chunk (0 = 1 MiB; the
	                       environment variable VIGIL_MRT_CHUNK overrides
	                       either, for tests) */
};

struct mrt_par_cb {
	mrt_par_elem_fn on_elem;      /* may be NULL (count only) */
	mrt_par_out_fn on_out;        /* may be NULL (output dropped) */
	mrt_problem_fn on_problem;    /* may be NULL (counted only) */
	void *ctx;                    /* passed to all three */
};

/*
 * Decode everything in S (not owned), or, with S NULL, the LEN bytes at
 * BUF (which must stay valid and unchanged: a mapped file; pages behind
 * the reader are dropped from the mapping with madvise when RELEASE is
 * set), with NAME in problem reports.  Returns 0 at the end, -1 if the
 * stream failed midway (reported as a problem too, as the reader does),
 * -2 if threads or memory could not be had (nothing was reported) or the
 * output callback stopped the run.  *ST gets the counters the one-thread
 * reader would have.
 */
int mrt_par_run(vg_stream *s, const uint8_t *buf, size_t len, int release,
                const char *name, const struct mrt_par_opts *opts,
                const struct mrt_par_cb *cb, struct mrt_stats *st);

#endif
