/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private glue between the routing state (rib.c) and its optional store of
 * per-route attribute sets (rib_attrs.c, include/vigil/rib.h "Attribute
 * sets").  Only the collector turns the store on; without it the routing
 * state pays one pointer and one test per removed route.
 */
#ifndef VIGIL_RIB_ATTRS_IMPL_H
#define VIGIL_RIB_ATTRS_IMPL_H

#include <stdint.h>

#include "vigil/rib.h"

struct rib_attrs;

/* rib.c: the store's slot in R (NULL while attributes are not kept). */
struct rib_attrs **rib_attrs_slot(struct rib *r);
const struct rib_attrs *rib_attrs_get(const struct rib *r);
/* rib.c: the id of prefix P if PEER holds a route for it, else
 * UINT32_MAX. */
uint32_t rib_route_pfx(struct rib *r, unsigned peer, const struct vg_prefix *p);

/* rib_attrs.c: the route of PEER for prefix PFX is gone (rib.c calls it
 * from every route removal). */
void rib_attrs_route_gone(struct rib_attrs *a, uint32_t pfx, unsigned peer);
void rib_attrs_destroy(struct rib_attrs *a);
uint64_t rib_attrs_bytes(const struct rib_attrs *a);

#endif
