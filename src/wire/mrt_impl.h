/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private hooks of the MRT reader (mrt.c) for the parallel decoder
 * (mrt_par.c).  The parallel decoder runs one reader as a splitter that
 * only frames records, and one reader per worker that decodes records
 * handed to it (a "feed") instead of framing them from a stream.  The
 * state that crosses records (the TABLE_DUMP_V2 peer table, the ADD-PATH
 * sessions learned from OPEN messages) is copied from the splitter to
 * each chunk, so that a worker starts a chunk exactly as the one-thread
 * reader would be at that record.
 */
#ifndef VIGIL_WIRE_MRT_IMPL_H
#define VIGIL_WIRE_MRT_IMPL_H

#include "vigil/mrt.h"

/* A problem the splitter met while framing, replayed by the worker just
 * before record BEFORE of its feed (BEFORE == n: after the last one). */
struct mrt_feed_problem {
	uint32_t before;
	struct mrt_problem p; /* p.msg points into storage the feed owns */
};

/* Records framed elsewhere, for a reader in feed mode. */
struct mrt_feed {
	const struct mrt_record *recs;
	const uint8_t *bad; /* 1: framing already found the record bad */
	uint32_t n, i;
	const struct mrt_feed_problem *probs;
	uint32_t nprobs, pi;
};

/* The cross-record state, copied out of and into readers. */
struct mrt_state {
	struct mrt_peer *peers;
	uint32_t npeers, cap_peers;
	int have_peers;
	void *sess; /* struct mrt_session[] (private to mrt.c) */
	uint32_t nsess, cap_sess;
};

/* Feed mode: mrt_reader_next_record takes the records of F (which must
 * outlive its use) in order and replays its framing problems; it returns
 * 0 at the end of F.  NULL ends feed mode. */
void mrt_reader_set_feed(struct mrt_reader *r, struct mrt_feed *f);

/* Does REC change the state that later records depend on? */
int mrt_record_changes_state(const struct mrt_record *rec);

/* Decode the reader's current record for its effect on the state only:
 * no problem is reported or counted, no element comes out. */
void mrt_reader_apply_state(struct mrt_reader *r);

/* Copy the reader's state into S (grown as needed; 0, -1 out of memory),
 * and S into the reader. */
int mrt_reader_save_state(const struct mrt_reader *r, struct mrt_state *s);
int mrt_reader_load_state(struct mrt_reader *r, const struct mrt_state *s);
void mrt_state_destroy(struct mrt_state *s);

/* The reader's counters, writable (the parallel decoder resets and sums). */
struct mrt_stats *mrt_reader_stats_rw(struct mrt_reader *r);

/* Point the reader's problem reports somewhere else. */
void mrt_reader_set_problem_fn(struct mrt_reader *r, mrt_problem_fn fn,
                               void *ctx);

/* Is the reader's current record flagged bad by framing? */
int mrt_reader_rec_bad(const struct mrt_reader *r);

#endif
