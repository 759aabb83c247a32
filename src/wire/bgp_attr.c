/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * BGP path attributes (RFC 4271 5, RFC 4760, RFC 6793, RFC 1997, RFC 4360,
 * RFC 8092, RFC 9234) with the error handling of RFC 7606.  One table of
 * attribute descriptors (name, expected flags, decoder, the RFC 7606 action
 * for a malformed value) drives the loop, BIRD-style, instead of a switch
 * scattered over files.  Values are borrowed from the input block.
 */
#include <stddef.h>
#include <string.h>

#include "vigil/bgp.h"

struct attr_desc {
	const char *name;
	uint8_t flags;  /* expected OPTIONAL|TRANSITIVE bits */
	uint8_t action; /* RFC 7606 action when malformed */
	/* Returns 0 if the value is well-formed and stored, -1 if not
	 * (WHY set to a short reason). */
	int (*decode)(struct bgp_attrs *a, struct vg_cursor *v,
	              const struct bgp_decode_opts *o, const char **why);
};

#define WK (BGP_ATTR_FLAG_TRANSITIVE)
#define OPT_T (BGP_ATTR_FLAG_OPTIONAL | BGP_ATTR_FLAG_TRANSITIVE)
#define OPT_NT (BGP_ATTR_FLAG_OPTIONAL)

static int
dec_origin(struct bgp_attrs *a, struct vg_cursor *v,
           const struct bgp_decode_opts *o, const char **why)
{
	if (v->len != 1) {
		*why = "length is not 1";
		return -1;
	}
	if (v->p[0] > 2) {
		*why = "value is not IGP, EGP or INCOMPLETE";
		return -1;
	}
	a->origin = v->p[0];
	return 0;
}

/* Check AS_PATH / AS4_PATH segment structure (RFC 7606 7.2). */
static int
check_path(const uint8_t *p, uint32_t len, unsigned asn_size, int allow_confed,
           const char **why)
{
	uint32_t off = 0;

	while (off < len) {
		uint8_t type, cnt;
		if (len - off < 2) {
			*why = "segment header overruns the attribute";
			return -1;
		}
		type = p[off];
		cnt = p[off + 1];
		if (type < BGP_AS_SET || type > BGP_AS_CONFED_SET) {
			*why = "unknown segment type";
			return -1;
		}
		if (!allow_confed && type >= BGP_AS_CONFED_SEQUENCE) {
			*why = "confederation segment";
			return -1;
		}
		if (cnt == 0) {
			*why = "empty segment";
			return -1;
		}
		if ((uint32_t)cnt * asn_size > len - off - 2) {
			*why = "segment overruns the attribute";
			return -1;
		}
		off += 2 + (uint32_t)cnt * asn_size;
	}
	return 0;
}

static int
dec_as_path(struct bgp_attrs *a, struct vg_cursor *v,
            const struct bgp_decode_opts *o, const char **why)
{
	if (check_path(v->p, (uint32_t)v->len, o->asn_size, 1, why) < 0)
		return -1;
	a->as_path.p = v->p;
	a->as_path.len = (uint32_t)v->len;
	return 0;
}

static int
dec_as4_path(struct bgp_attrs *a, struct vg_cursor *v,
             const struct bgp_decode_opts *o, const char **why)
{
	/* RFC 6793 6: confederation segments in AS4_PATH are malformed. */
	if (check_path(v->p, (uint32_t)v->len, 4, 0, why) < 0)
		return -1;
	a->as4_path.p = v->p;
	a->as4_path.len = (uint32_t)v->len;
	return 0;
}

static int
dec_next_hop(struct bgp_attrs *a, struct vg_cursor *v,
             const struct bgp_decode_opts *o, const char **why)
{
	if (v->len != 4) {
		*why = "length is not 4";
		return -1;
	}
	memcpy(a->nexthop, v->p, 4);
	return 0;
}

static int
dec_u32(const struct vg_cursor *v, uint32_t *out, const char **why)
{
	if (v->len != 4) {
		*why = "length is not 4";
		return -1;
	}
	*out = vg_load_be32(v->p);
	return 0;
}

static int
dec_med(struct bgp_attrs *a, struct vg_cursor *v,
        const struct bgp_decode_opts *o, const char **why)
{
	return dec_u32(v, &a->med, why);
}

static int
dec_local_pref(struct bgp_attrs *a, struct vg_cursor *v,
               const struct bgp_decode_opts *o, const char **why)
{
	return dec_u32(v, &a->local_pref, why);
}

static int
dec_otc(struct bgp_attrs *a, struct vg_cursor *v,
        const struct bgp_decode_opts *o, const char **why)
{
	return dec_u32(v, &a->otc, why);
}

static int
dec_atomic(struct bgp_attrs *a, struct vg_cursor *v,
           const struct bgp_decode_opts *o, const char **why)
{
	if (v->len != 0) {
		*why = "length is not 0";
		return -1;
	}
	return 0;
}

static int
dec_aggregator(struct bgp_attrs *a, struct vg_cursor *v,
               const struct bgp_decode_opts *o, const char **why)
{
	if (v->len == 8 && o->asn_size == 2 && o->mrt_rib) {
		/* OpenBGPD writes TABLE_DUMP (2-byte AS) entries with a 4-byte
		 * AGGREGATOR; the length says which it is. */
		a->aggregator_as = vg_load_be32(v->p);
		memcpy(a->aggregator_addr, v->p + 4, 4);
		return 0;
	}
	if (v->len != (size_t)o->asn_size + 4) {
		*why = o->asn_size == 4 ? "length is not 8" : "length is not 6";
		return -1;
	}
	a->aggregator_as = o->asn_size == 4 ? vg_load_be32(v->p)
	                                    : vg_load_be16(v->p);
	memcpy(a->aggregator_addr, v->p + o->asn_size, 4);
	return 0;
}

static int
dec_as4_aggregator(struct bgp_attrs *a, struct vg_cursor *v,
                   const struct bgp_decode_opts *o, const char **why)
{
	if (v->len != 8) {
		*why = "length is not 8";
		return -1;
	}
	a->as4_aggregator_as = vg_load_be32(v->p);
	memcpy(a->as4_aggregator_addr, v->p + 4, 4);
	return 0;
}

static int
dec_list(struct bgp_span *s, struct vg_cursor *v, unsigned unit,
         const char **why)
{
	if (v->len == 0 || v->len % unit != 0) {
		*why = unit == 4    ? "length is not a non-zero multiple of 4"
		       : unit == 8  ? "length is not a non-zero multiple of 8"
		                    : "length is not a non-zero multiple of 12";
		return -1;
	}
	s->p = v->p;
	s->len = (uint32_t)v->len;
	return 0;
}

static int
dec_communities(struct bgp_attrs *a, struct vg_cursor *v,
                const struct bgp_decode_opts *o, const char **why)
{
	return dec_list(&a->communities, v, 4, why);
}

static int
dec_ext_communities(struct bgp_attrs *a, struct vg_cursor *v,
                    const struct bgp_decode_opts *o, const char **why)
{
	return dec_list(&a->ext_communities, v, 8, why);
}

static int
dec_large_communities(struct bgp_attrs *a, struct vg_cursor *v,
                      const struct bgp_decode_opts *o, const char **why)
{
	return dec_list(&a->large_communities, v, 12, why);
}

static int
dec_cluster_list(struct bgp_attrs *a, struct vg_cursor *v,
                 const struct bgp_decode_opts *o, const char **why)
{
	return dec_list(&a->cluster_list, v, 4, why);
}

static int
dec_originator_id(struct bgp_attrs *a, struct vg_cursor *v,
                  const struct bgp_decode_opts *o, const char **why)
{
	if (v->len != 4) {
		*why = "length is not 4";
		return -1;
	}
	memcpy(a->originator_id, v->p, 4);
	return 0;
}

static int
read_nexthop(struct bgp_mp_reach *m, struct vg_cursor *v, const char **why)
{
	uint8_t nhl;
	const uint8_t *nh;

	if (vg_cur_get_u8(v, &nhl) < 0) {
		*why = "no next-hop length";
		return -1;
	}
	/* 4 (IPv4, RFC 8950 too), 16, 32 (global + link-local), and the
	 * VPN forms with an 8-byte RD (12, 24, 48). */
	if (nhl > 48 || vg_cur_get_ptr(v, nhl, &nh) < 0) {
		*why = "next hop overruns the attribute";
		return -1;
	}
	m->nh_len = nhl;
	memset(m->nh, 0, sizeof(m->nh));
	switch (nhl) {
	case 12: /* RD + IPv4 */
		memcpy(m->nh, nh + 8, 4);
		m->nh_len = 4;
		break;
	case 24: /* RD + IPv6 */
		memcpy(m->nh, nh + 8, 16);
		m->nh_len = 16;
		break;
	case 48:
		memcpy(m->nh, nh + 8, 16);
		memcpy(m->nh + 16, nh + 32, 16);
		m->nh_len = 32;
		break;
	default:
		memcpy(m->nh, nh, nhl > 32 ? 32 : nhl);
		break;
	}
	return 0;
}

static int
dec_mp_reach(struct bgp_attrs *a, struct vg_cursor *v,
             const struct bgp_decode_opts *o, const char **why)
{
	struct bgp_mp_reach *m = &a->mp_reach;
	uint16_t afi;
	uint8_t safi, snpa;

	memset(m, 0, sizeof(*m));
	/*
	 * RFC 6396 4.3.4: in TABLE_DUMP_V2 RIB entries only the next-hop
	 * length and next hop are kept.  Real dumps mix both forms, so
	 * decide by the first byte as every reader does: a full attribute
	 * starts with an AFI (high byte 0), the short form with a length.
	 */
	if (o->mrt_rib && v->len > 0 && v->p[0] != 0) {
		m->abbreviated = 1;
		m->afi = o->rib_afi;
		m->safi = o->rib_safi;
		if (read_nexthop(m, v, why) < 0)
			return -1;
		return 0;
	}
	if (vg_cur_get_u16(v, &afi) < 0 || vg_cur_get_u8(v, &safi) < 0) {
		*why = "too short for AFI/SAFI";
		return -1;
	}
	m->afi = afi;
	m->safi = safi;
	if (read_nexthop(m, v, why) < 0)
		return -1;
	if (vg_cur_get_u8(v, &snpa) < 0) {
		*why = "no reserved/SNPA octet";
		return -1;
	}
	/* RFC 2858 SNPAs: obsolete, skip them if someone still sends any. */
	for (unsigned i = 0; i < snpa; i++) {
		uint8_t l;
		if (vg_cur_get_u8(v, &l) < 0 || vg_cur_skip(v, (l + 1u) / 2) < 0) {
			*why = "SNPA overruns the attribute";
			return -1;
		}
	}
	m->nlri.p = v->p;
	m->nlri.len = (uint32_t)v->len;
	return 0;
}

static int
dec_mp_unreach(struct bgp_attrs *a, struct vg_cursor *v,
               const struct bgp_decode_opts *o, const char **why)
{
	struct bgp_mp_unreach *m = &a->mp_unreach;
	uint16_t afi;
	uint8_t safi;

	if (vg_cur_get_u16(v, &afi) < 0 || vg_cur_get_u8(v, &safi) < 0) {
		*why = "too short for AFI/SAFI";
		return -1;
	}
	m->afi = afi;
	m->safi = safi;
	m->nlri.p = v->p;
	m->nlri.len = (uint32_t)v->len;
	return 0;
}

static const struct attr_desc attr_table[] = {
    [BGP_ATTR_ORIGIN] = {"ORIGIN", WK, VG_ACT_TREAT_AS_WITHDRAW, dec_origin},
    [BGP_ATTR_AS_PATH] = {"AS_PATH", WK, VG_ACT_TREAT_AS_WITHDRAW,
                          dec_as_path},
    [BGP_ATTR_NEXT_HOP] = {"NEXT_HOP", WK, VG_ACT_TREAT_AS_WITHDRAW,
                           dec_next_hop},
    [BGP_ATTR_MED] = {"MULTI_EXIT_DISC", OPT_NT, VG_ACT_TREAT_AS_WITHDRAW,
                      dec_med},
    [BGP_ATTR_LOCAL_PREF] = {"LOCAL_PREF", WK, VG_ACT_TREAT_AS_WITHDRAW,
                             dec_local_pref},
    [BGP_ATTR_ATOMIC_AGGREGATE] = {"ATOMIC_AGGREGATE", WK,
                                   VG_ACT_ATTR_DISCARD, dec_atomic},
    [BGP_ATTR_AGGREGATOR] = {"AGGREGATOR", OPT_T, VG_ACT_ATTR_DISCARD,
                             dec_aggregator},
    [BGP_ATTR_COMMUNITIES] = {"COMMUNITIES", OPT_T, VG_ACT_TREAT_AS_WITHDRAW,
                              dec_communities},
    [BGP_ATTR_ORIGINATOR_ID] = {"ORIGINATOR_ID", OPT_NT,
                                VG_ACT_TREAT_AS_WITHDRAW, dec_originator_id},
    [BGP_ATTR_CLUSTER_LIST] = {"CLUSTER_LIST", OPT_NT,
                               VG_ACT_TREAT_AS_WITHDRAW, dec_cluster_list},
    [BGP_ATTR_MP_REACH_NLRI] = {"MP_REACH_NLRI", OPT_NT,
                                VG_ACT_SESSION_RESET, dec_mp_reach},
    [BGP_ATTR_MP_UNREACH_NLRI] = {"MP_UNREACH_NLRI", OPT_NT,
                                  VG_ACT_SESSION_RESET, dec_mp_unreach},
    [BGP_ATTR_EXT_COMMUNITIES] = {"EXTENDED_COMMUNITIES", OPT_T,
                                  VG_ACT_TREAT_AS_WITHDRAW,
                                  dec_ext_communities},
    [BGP_ATTR_AS4_PATH] = {"AS4_PATH", OPT_T, VG_ACT_ATTR_DISCARD,
                           dec_as4_path},
    [BGP_ATTR_AS4_AGGREGATOR] = {"AS4_AGGREGATOR", OPT_T, VG_ACT_ATTR_DISCARD,
                                 dec_as4_aggregator},
    [BGP_ATTR_LARGE_COMMUNITIES] = {"LARGE_COMMUNITIES", OPT_T,
                                    VG_ACT_TREAT_AS_WITHDRAW,
                                    dec_large_communities},
    [BGP_ATTR_OTC] = {"ONLY_TO_CUSTOMER", OPT_T, VG_ACT_TREAT_AS_WITHDRAW,
                      dec_otc},
};

#define ATTR_TABLE_LEN (sizeof(attr_table) / sizeof(attr_table[0]))

const char *
bgp_attr_name(unsigned type)
{
	if (type < ATTR_TABLE_LEN && attr_table[type].name)
		return attr_table[type].name;
	return NULL;
}

static void
raise_action(struct bgp_attrs *a, enum vg_action act)
{
	/* Severity order: discard < treat-as-withdraw < session reset. */
	static const uint8_t rank[] = {
	    [VG_ACT_NONE] = 0,
	    [VG_ACT_ATTR_DISCARD] = 1,
	    [VG_ACT_TREAT_AS_WITHDRAW] = 2,
	    [VG_ACT_AFISAFI_DISABLE] = 3,
	    [VG_ACT_SESSION_RESET] = 4,
	};
	if (act < sizeof(rank) && rank[act] > rank[a->action < sizeof(rank) ? a->action : 0])
		a->action = (uint8_t)act;
}

static void
keep_raw(struct bgp_attrs *a, uint8_t flags, uint8_t type, struct vg_cursor *v)
{
	a->n_raw_total++;
	if (a->n_raw < BGP_ATTR_MAX_RAW) {
		struct bgp_attr_raw *r = &a->raw[a->n_raw++];
		r->flags = flags;
		r->type = type;
		r->val.p = v->p;
		r->val.len = (uint32_t)v->len;
	}
}

int
bgp_attrs_decode(struct bgp_attrs *a, const uint8_t *p, size_t len,
                 const struct bgp_decode_opts *o, struct vg_diag *d)
{
	struct vg_cursor c;
	uint32_t off = 0;

	/* Reset field by field, not with a memset of the whole struct: this
	 * runs for every UPDATE and RIB entry.  Fields of absent attributes
	 * are zero, as the header promises; mp_reach/mp_unreach are only
	 * meaningful when present and are reset by their decoders. */
	a->present = 0;
	a->origin = a->action = a->n_raw = 0;
	a->n_raw_total = 0;
	a->med = a->local_pref = a->otc = 0;
	a->aggregator_as = a->as4_aggregator_as = 0;
	memset(a->nexthop, 0, 4);
	memset(a->aggregator_addr, 0, 4);
	memset(a->as4_aggregator_addr, 0, 4);
	memset(a->originator_id, 0, 4);
	a->as_path = a->as4_path = a->communities = a->ext_communities =
	    a->large_communities = a->cluster_list = (struct bgp_span){NULL, 0};
	a->mp_reach.nlri = a->mp_unreach.nlri = (struct bgp_span){NULL, 0};
	a->asn_size = o->asn_size;
	a->all.p = p;
	a->all.len = (uint32_t)len;
	vg_cur_init(&c, p, len);

	while (vg_cur_left(&c) > 0) {
		uint8_t flags, type;
		uint16_t alen;
		struct vg_cursor v;
		const struct attr_desc *desc;
		const char *why = NULL;

		/*
		 * Fast path for the attributes nearly every route carries:
		 * first of its type, expected flags, well-formed value.  It
		 * decides nothing the table-driven path below would decide
		 * differently; anything unusual falls through to it.
		 */
		if (c.len >= 4 || (c.len == 3 && !(c.p[0] & BGP_ATTR_FLAG_EXTLEN))) {
			const uint8_t *q = c.p;
			unsigned hl = q[0] & BGP_ATTR_FLAG_EXTLEN ? 4 : 3;
			uint32_t l = hl == 4 ? vg_load_be16(q + 2) : q[2];
			const uint8_t *val = q + hl;
			uint8_t ot = q[0] & (BGP_ATTR_FLAG_OPTIONAL |
			                     BGP_ATTR_FLAG_TRANSITIVE);
			type = q[1];
			if (type <= BGP_ATTR_COMMUNITIES && !BGP_HAS(a, type) &&
			    c.len - hl >= l) {
				int ok = 0;
				switch (type) {
				case BGP_ATTR_ORIGIN:
					if (ot == WK && l == 1 && val[0] <= 2) {
						a->origin = val[0];
						ok = 1;
					}
					break;
				case BGP_ATTR_AS_PATH:
					if (ot == WK &&
					    check_path(val, l, o->asn_size, 1,
					               &why) == 0) {
						a->as_path.p = val;
						a->as_path.len = l;
						ok = 1;
					}
					why = NULL;
					break;
				case BGP_ATTR_NEXT_HOP:
					if (ot == WK && l == 4) {
						memcpy(a->nexthop, val, 4);
						ok = 1;
					}
					break;
				case BGP_ATTR_MED:
					if (ot == OPT_NT && l == 4) {
						a->med = vg_load_be32(val);
						ok = 1;
					}
					break;
				case BGP_ATTR_LOCAL_PREF:
					if (ot == WK && l == 4) {
						a->local_pref = vg_load_be32(val);
						ok = 1;
					}
					break;
				case BGP_ATTR_COMMUNITIES:
					if (ot == OPT_T && l > 0 && l % 4 == 0) {
						a->communities.p = val;
						a->communities.len = l;
						ok = 1;
					}
					break;
				}
				if (ok) {
					a->present |= (uint64_t)1 << type;
					c.p += hl + l;
					c.len -= hl + l;
					continue;
				}
			}
		}

		off = (uint32_t)(len - vg_cur_left(&c));
		/* RFC 7606 4: fewer than 3 (4) octets left, or a length that
		 * overruns the block: treat-as-withdraw, stop parsing. */
		if (vg_cur_get_u8(&c, &flags) < 0 || vg_cur_get_u8(&c, &type) < 0)
			goto overrun;
		if (flags & BGP_ATTR_FLAG_EXTLEN) {
			if (vg_cur_get_u16(&c, &alen) < 0)
				goto overrun;
		} else {
			uint8_t l8;
			if (vg_cur_get_u8(&c, &l8) < 0)
				goto overrun;
			alen = l8;
		}
		if (vg_cur_sub(&c, alen, &v) < 0) {
			vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_TREAT_AS_WITHDRAW,
			            type, off,
			            "attribute %u length %u overruns the attribute "
			            "block (%zu bytes left)",
			            type, alen, vg_cur_left(&c));
			raise_action(a, VG_ACT_TREAT_AS_WITHDRAW);
			return 0;
		}

		desc = type < ATTR_TABLE_LEN && attr_table[type].decode
		           ? &attr_table[type]
		           : NULL;
		if (desc == NULL) {
			keep_raw(a, flags, type, &v);
			continue;
		}
		/* RFC 7606 3(g): a repeated attribute - keep the first, except
		 * MP_REACH/MP_UNREACH which make the message unusable. */
		if (BGP_HAS(a, type)) {
			if (type == BGP_ATTR_MP_REACH_NLRI ||
			    type == BGP_ATTR_MP_UNREACH_NLRI) {
				vg_diag_add(d, VG_ERR_MALFORMED,
				            VG_ACT_SESSION_RESET, type, off,
				            "%s appears twice", desc->name);
				raise_action(a, VG_ACT_SESSION_RESET);
				return -1;
			}
			vg_diag_add(d, VG_ERR_MALFORMED, VG_ACT_ATTR_DISCARD, type,
			            off, "%s appears twice; second one ignored",
			            desc->name);
			continue;
		}
		/* RFC 7606 3(c): Optional/Transitive bits in conflict. */
		if ((flags & (BGP_ATTR_FLAG_OPTIONAL | BGP_ATTR_FLAG_TRANSITIVE)) !=
		    desc->flags) {
			enum vg_action act = desc->action == VG_ACT_ATTR_DISCARD
			                         ? VG_ACT_ATTR_DISCARD
			                         : VG_ACT_TREAT_AS_WITHDRAW;
			if (type == BGP_ATTR_MP_REACH_NLRI ||
			    type == BGP_ATTR_MP_UNREACH_NLRI)
				act = VG_ACT_NONE; /* the NLRI is still usable */
			if (act != VG_ACT_NONE) {
				vg_diag_add(d, VG_ERR_MALFORMED, act, type, off,
				            "%s has flags 0x%02x, expected 0x%02x",
				            desc->name, flags & 0xc0, desc->flags);
				raise_action(a, act);
				continue;
			}
		}
		if (desc->decode(a, &v, o, &why) < 0) {
			enum vg_action act = desc->action;
			vg_diag_add(d, VG_ERR_MALFORMED, act, type, off,
			            "%s malformed: %s (length %u)", desc->name,
			            why ? why : "bad value", alen);
			raise_action(a, act);
			if (act == VG_ACT_SESSION_RESET)
				return -1;
			continue;
		}
		a->present |= (uint64_t)1 << type;
	}
	return 0;

overrun:
	/* the problem points at the start of the cut attribute */
	vg_diag_add(d, VG_ERR_TRUNCATED, VG_ACT_TREAT_AS_WITHDRAW, 0, off,
	            "attribute header overruns the attribute block");
	raise_action(a, VG_ACT_TREAT_AS_WITHDRAW);
	return 0;
}

void
bgp_mp_nexthop(struct vg_addr *nh, const struct bgp_mp_reach *m)
{
	memset(nh, 0, sizeof(*nh));
	if (m->nh_len == 4) {
		nh->afi = VG_AFI_IP4;
		memcpy(nh->addr, m->nh, 4);
	} else if (m->nh_len == 16 || m->nh_len == 32) {
		/* the global address; a link-local one may follow */
		nh->afi = VG_AFI_IP6;
		memcpy(nh->addr, m->nh, 16);
	}
}
