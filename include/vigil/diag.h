/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Decoder diagnostics.  Decoders never print and never fail a whole file:
 * they record each problem (what, where, what was done about it) in a
 * caller-owned struct vg_diag, and the caller decides how to show it.  A
 * problem is either TRUNCATED (the bytes ran out: more input could have made
 * it valid) or MALFORMED (the bytes present are wrong), and carries the
 * RFC 7606 action that was applied.
 */
#ifndef VIGIL_DIAG_H
#define VIGIL_DIAG_H

#include <stdint.h>

enum vg_err {
	VG_OK = 0,
	VG_ERR_TRUNCATED,   /* ran out of bytes */
	VG_ERR_MALFORMED,   /* bytes present but invalid */
	VG_ERR_UNSUPPORTED, /* valid but not something we decode */
};

/* What was done about a problem (RFC 7606 section 2 and our own). */
enum vg_action {
	VG_ACT_NONE = 0,          /* noted, data kept as is */
	VG_ACT_ATTR_DISCARD,      /* RFC 7606: attribute ignored */
	VG_ACT_TREAT_AS_WITHDRAW, /* RFC 7606: announced prefixes withdrawn */
	VG_ACT_AFISAFI_DISABLE,   /* RFC 7606: MP NLRI unusable */
	VG_ACT_SESSION_RESET,     /* RFC 7606: whole message unusable */
	VG_ACT_SKIP_RECORD,       /* MRT record skipped */
	VG_ACT_SKIP_BYTES,        /* garbage skipped until a valid header */
	VG_ACT_PARTIAL,           /* kept what decoded before the problem */
};

#define VG_DIAG_MAX 8
#define VG_DIAG_MSGLEN 120

struct vg_problem {
	uint8_t err;       /* enum vg_err */
	uint8_t action;    /* enum vg_action */
	uint8_t attr_type; /* BGP attribute type, 0 if none */
	uint32_t offset;   /* byte offset inside the decoded unit */
	char msg[VG_DIAG_MSGLEN];
};

struct vg_diag {
	unsigned n;       /* problems kept in items[] */
	unsigned dropped; /* problems past VG_DIAG_MAX, counted only */
	struct vg_problem items[VG_DIAG_MAX];
};

static inline void
vg_diag_reset(struct vg_diag *d)
{
	d->n = 0;
	d->dropped = 0;
}

/* Record a problem (printf-style message).  D may be NULL. */
void vg_diag_add(struct vg_diag *d, enum vg_err err, enum vg_action act,
                 unsigned attr_type, uint32_t offset, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

const char *vg_err_name(enum vg_err e);
const char *vg_action_name(enum vg_action a);

#endif
