/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Element filters for `vigil dump` and friends: by peer (address or ASN),
 * prefix (exact, more-specific, less-specific), origin AS, element type and
 * time range.  Terms of different kinds are ANDed; several terms of the
 * same kind are ORed ("--peer-asn 3333 --peer-asn 7018").
 */
#ifndef VIGIL_FILTER_H
#define VIGIL_FILTER_H

#include <stddef.h>

#include "vigil/elem.h"

struct vg_filter;

struct vg_filter *vg_filter_new(void);
void vg_filter_free(struct vg_filter *f);

/*
 * Add a term.  KIND is one of "peer", "peer-asn", "prefix" (exact),
 * "more-specific" (the prefix or anything inside it), "less-specific" (the
 * prefix or anything covering it), "origin", "type" (comma list of rib,
 * announce, withdraw, state), "since", "until" (Unix seconds, or ISO 8601
 * UTC "2014-12-22T16:15:00Z" / "2014-12-22 16:15" / "2014-12-22").
 * Returns 0, or -1 with a one-line reason in ERR.
 */
int vg_filter_add(struct vg_filter *f, const char *kind, const char *value,
                  char *err, size_t errlen);

/* Does E pass every term?  An empty filter passes everything. */
int vg_filter_match(const struct vg_filter *f, const struct vg_elem *e);

/* Does the filter look at anything but time and type?  (Lets callers skip
 * work.) */
int vg_filter_empty(const struct vg_filter *f);

/* Parse a time as vg_filter_add does; 0 / -1. */
int vg_time_parse(const char *s, long long *out);

#endif
