/* SPDX-License-Identifier: BSD-2-Clause */
/* Names for element types and BGP FSM states; attribute generations. */
#include <stdatomic.h>

#include "vigil/elem.h"

/* One counter for the whole process: elements of different readers (a
 * replay opens one per file, the collector one per chunk, BMP sessions
 * their own) never share a generation, so a consumer caching by
 * (attrs pointer, attrs_gen) cannot mistake one reader's new attributes,
 * decoded into the same buffer, for another's old ones. */
static _Atomic uint32_t attrs_gen;

uint32_t
vg_attrs_gen_next(void)
{
	uint32_t g = atomic_fetch_add_explicit(&attrs_gen, 1,
	                                       memory_order_relaxed) + 1;
	return g ? g : vg_attrs_gen_next();
}

const char *
vg_elem_type_name(enum vg_elem_type t)
{
	switch (t) {
	case VG_ELEM_RIB:
		return "rib";
	case VG_ELEM_ANNOUNCE:
		return "announce";
	case VG_ELEM_WITHDRAW:
		return "withdraw";
	case VG_ELEM_STATE:
		return "state";
	case VG_ELEM_EOR:
		return "end-of-rib";
	}
	return "unknown";
}

const char *
vg_bgp_state_name(unsigned state)
{
	static const char *const names[] = {"Unknown",  "Idle",     "Connect",
	                                    "Active",   "OpenSent", "OpenConfirm",
	                                    "Established"};
	return state < 7 ? names[state] : "Unknown";
}
