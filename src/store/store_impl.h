/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private pieces of the store shared between its files, its unit test and
 * its fuzz harness: the schema text (schema.c, generated from schema.sql),
 * its version, and the codec of the packed keyframe rows (keyframe.c).
 */
#ifndef VIGIL_STORE_IMPL_H
#define VIGIL_STORE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/entity.h"

/* Bump when schema.sql changes incompatibly; kept in meta.schema_version.
 * 2: keyframe-only signal rows are packed in table keyframes (a reader of
 * version 1 would not see them).  3: every signal row is packed, in table
 * signal_chunks.  Older databases are still read, and written in their
 * own layout. */
#define STORE_SCHEMA_VERSION 3

/* The whole of schema.sql, NUL-terminated. */
extern const char store_schema_sql[];

/* Entity ids per keyframes row: the row of entity ID has first_id
 * ID / STORE_KF_CHUNK * STORE_KF_CHUNK. */
#ifndef STORE_KF_CHUNK /* (other sizes only to measure them) */
#define STORE_KF_CHUNK 64
#endif

/* Largest encoded entry (id gap, tag, nine varints, two doubles). */
#define STORE_KF_ENTRY_MAX (5 + 1 + 2 * 10 + 7 * 5 + 2 * 10)

/*
 * Encode N keyframe entries, entity ids IDS (strictly increasing, all in
 * the chunk [FIRST_ID, FIRST_ID + STORE_KF_CHUNK)) with signals SIG (the
 * entity, bin and flags are not stored), into BUF of CAP bytes (N x
 * STORE_KF_ENTRY_MAX + 10 is always enough).  Returns the length, or 0 if
 * the ids are not as required or CAP is too small.  The format is in
 * schema.sql (table keyframes).
 */
size_t store_kf_encode(int64_t first_id, const int64_t *ids,
                       const struct vg_signal *sig, size_t n, uint8_t *buf,
                       size_t cap);

/*
 * Decode the LEN bytes at P (a keyframes or signal_chunks row of FIRST_ID,
 * "row of first_id ..." in the message) into at most
 * STORE_KF_CHUNK entries: ids into IDS, signals into SIG (bin_start,
 * bin_len and the entity left zero: the caller knows them), their number
 * into *N.  0, or -1 with what is wrong and at which byte in ERR (a
 * truncated or malformed blob, an id outside the chunk or not increasing,
 * a count too large for its field, bytes left over).  Never reads outside
 * [P, P + LEN).
 */
int store_kf_decode(const uint8_t *p, size_t len, int64_t first_id,
                    int64_t *ids, struct vg_signal *sig, size_t *n,
                    char *err, size_t errlen);

#endif
