/* SPDX-License-Identifier: BSD-2-Clause */
/* Names for element types and BGP FSM states. */
#include "vigil/elem.h"

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
