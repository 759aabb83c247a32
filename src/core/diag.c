/* SPDX-License-Identifier: BSD-2-Clause */
/* Decoder diagnostics: recording problems and naming their kinds. */
#include <stdarg.h>
#include <stdio.h>

#include "vigil/diag.h"

void
vg_diag_add(struct vg_diag *d, enum vg_err err, enum vg_action act,
            unsigned attr_type, uint32_t offset, const char *fmt, ...)
{
	struct vg_problem *p;
	va_list ap;

	if (d == NULL)
		return;
	if (d->n >= VG_DIAG_MAX) {
		d->dropped++;
		return;
	}
	p = &d->items[d->n++];
	p->err = (uint8_t)err;
	p->action = (uint8_t)act;
	p->attr_type = (uint8_t)attr_type;
	p->offset = offset;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
}

const char *
vg_err_name(enum vg_err e)
{
	switch (e) {
	case VG_OK:
		return "ok";
	case VG_ERR_TRUNCATED:
		return "truncated";
	case VG_ERR_MALFORMED:
		return "malformed";
	case VG_ERR_UNSUPPORTED:
		return "unsupported";
	}
	return "?";
}

const char *
vg_action_name(enum vg_action a)
{
	switch (a) {
	case VG_ACT_NONE:
		return "kept";
	case VG_ACT_ATTR_DISCARD:
		return "attribute discarded";
	case VG_ACT_TREAT_AS_WITHDRAW:
		return "treated as withdraw";
	case VG_ACT_AFISAFI_DISABLE:
		return "MP NLRI ignored";
	case VG_ACT_SESSION_RESET:
		return "message ignored";
	case VG_ACT_SKIP_RECORD:
		return "record skipped";
	case VG_ACT_SKIP_BYTES:
		return "bytes skipped";
	case VG_ACT_PARTIAL:
		return "kept what decoded";
	}
	return "?";
}
