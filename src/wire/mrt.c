/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The MRT reader (RFC 6396, RFC 8050): record framing with recovery from
 * truncation, lying lengths and garbage, and the decoding of every record
 * kind that RouteViews and RIPE RIS archives carry into routing elements.
 *
 * The reader owns one growing buffer; a record's body points into it, so a
 * record and the elements made from it are valid until the next call.
 * Nothing is allocated per record or per element.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vigil/mrt.h"
#include "wire/mrt_impl.h"

enum phase {
	PH_NONE = 0,
	PH_WITHDRAW,    /* classic withdrawn routes */
	PH_MP_WITHDRAW, /* MP_UNREACH_NLRI */
	PH_ANNOUNCE,    /* classic NLRI */
	PH_MP_ANNOUNCE, /* MP_REACH_NLRI */
	PH_RIB,         /* TABLE_DUMP_V2 RIB entries */
	PH_EOR,         /* an End-of-RIB element is ready */
};

struct mrt_reader {
	vg_stream *s;
	char *name;
	mrt_problem_fn on_problem;
	void *ctx;

	uint8_t *buf;
	size_t cap, pos, end; /* valid bytes are buf[pos..end) */
	uint64_t buf_off;     /* stream offset of buf[0] */
	int eof, ioerr, done;
	int borrowed;         /* buf is the caller's memory (mrt_reader_new_mem) */
	int release;          /* ... a mapping whose pages we drop behind us */
	size_t released;      /* buf[0..released) dropped */
	struct mrt_feed *feed; /* records framed elsewhere (mrt_par.c) */

	struct mrt_record rec;
	struct mrt_stats st;
	struct vg_diag diag;
	int rec_bad;

	struct mrt_peer *peers;
	uint32_t npeers, cap_peers;
	int have_peers;

	/* BGP sessions whose OPEN messages were recorded: ADD-PATH may be in
	 * use although the MRT subtype does not say so (pre-RFC 8050 BIRD). */
	struct mrt_session *sess;
	uint32_t nsess, cap_sess;
	uint8_t ap_mask; /* inferred ADD-PATH for the current UPDATE */

	/* element iteration */
	enum phase phase;
	struct bgp_update upd;
	struct bgp_decode_opts opts;
	struct bgp_path path;
	struct bgp_nlri_iter it;
	/* the UPDATE's non-empty NLRI fields, in bgpdump's order */
	struct upd_field {
		struct bgp_span s;
		uint32_t base;      /* offset of the field in the body */
		uint16_t afi;
		uint8_t phase, safi;
	} fields[4];
	uint8_t nfields, field_i;
	uint64_t upd_base;  /* stream offset of the UPDATE body */
	int taw;            /* announcements become withdrawals */
	struct vg_addr nh_classic, nh_mp;
	/* RIB entries */
	struct vg_cursor rib;
	uint32_t rib_left;
	uint64_t rib_base; /* stream offset of the record body */
	struct bgp_attrs rib_attrs;
	struct vg_elem e;
	int want_eor;       /* mrt_reader_set_eor */
};

#define READ_CHUNK (4u << 20)
#define READ_FIRST (64u << 10)

struct mrt_session {
	struct vg_addr peer;
	uint32_t peer_asn;
	uint8_t ap_mask; /* ap_bit() per AFI/SAFI receiving path ids */
};

/* One bit per AFI/SAFI pair that can carry ADD-PATH NLRI. */
static unsigned
ap_bit(unsigned afi, unsigned safi)
{
	if ((afi != 1 && afi != 2) || (safi != 1 && safi != 2))
		return 0;
	return 1u << ((afi - 1) * 2 + (safi - 1));
}

/* ---- problems ---------------------------------------------------------- */

static void
problem(struct mrt_reader *r, uint64_t record, uint64_t offset,
        enum vg_err err, enum vg_action act, unsigned attr_type,
        const char *msg)
{
	struct mrt_problem p;

	r->st.problems++;
	if (err == VG_ERR_UNSUPPORTED)
		r->st.unsupported++;
	else if (record)
		r->rec_bad = 1;
	if (r->on_problem == NULL)
		return;
	p.file = r->name;
	p.record = record;
	p.offset = offset;
	p.type = record ? r->rec.type : 0;
	p.subtype = record ? r->rec.subtype : 0;
	p.err = (uint8_t)err;
	p.action = (uint8_t)act;
	p.attr_type = (uint8_t)attr_type;
	p.msg = msg;
	r->on_problem(r->ctx, &p);
}

/* Report and clear the decoder diagnostics; BASE is the stream offset
 * their offsets are relative to. */
static void
flush_diag_slow(struct mrt_reader *r, uint64_t base)
{
	for (unsigned i = 0; i < r->diag.n; i++) {
		const struct vg_problem *q = &r->diag.items[i];
		problem(r, r->rec.index, base + q->offset, (enum vg_err)q->err,
		        (enum vg_action)q->action, q->attr_type, q->msg);
	}
	if (r->diag.dropped) {
		char msg[80];
		snprintf(msg, sizeof(msg), "%u more problems in this record",
		         r->diag.dropped);
		problem(r, r->rec.index, base, VG_ERR_MALFORMED, VG_ACT_NONE, 0,
		        msg);
	}
	vg_diag_reset(&r->diag);
}

static inline void
flush_diag(struct mrt_reader *r, uint64_t base)
{
	if (r->diag.n || r->diag.dropped)
		flush_diag_slow(r, base);
}

static void
rec_problem(struct mrt_reader *r, uint64_t body_off, enum vg_err err,
            enum vg_action act, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
rec_problem(struct mrt_reader *r, uint64_t body_off, enum vg_err err,
            enum vg_action act, const char *fmt, ...)
{
	char msg[VG_DIAG_MSGLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	problem(r, r->rec.index, r->rec.offset + r->rec.hdr_len + body_off,
	        err, act, 0, msg);
}

/* ---- buffer ------------------------------------------------------------ */

/* Make at least NEED bytes available at buf[pos].  Returns 0 if they are,
 * -1 if the stream ended (or failed) first. */
static int
fill(struct mrt_reader *r, size_t need)
{
	if (r->end - r->pos >= need)
		return 0;
	if (r->eof)
		return -1;
	/* Reads are as large as the buffer, which starts small (a short
	 * input costs little) and doubles up to READ_CHUNK-sized reads. */
	size_t chunk = r->cap < READ_CHUNK ? (r->cap ? r->cap : READ_FIRST)
	                                   : READ_CHUNK;
	if (r->cap - r->pos < need || r->cap - r->end < chunk / 4) {
		size_t have = r->end - r->pos;
		if (have)
			memmove(r->buf, r->buf + r->pos, have);
		r->buf_off += r->pos;
		r->pos = 0;
		r->end = have;
		if (r->cap < need + chunk) {
			size_t ncap = r->cap ? r->cap : READ_FIRST;
			uint8_t *nb;
			while (ncap < need + chunk)
				ncap *= 2;
			if ((nb = realloc(r->buf, ncap)) == NULL) {
				problem(r, 0, r->buf_off, VG_ERR_MALFORMED,
				        VG_ACT_SKIP_BYTES,
				        0, "out of memory growing the read buffer");
				r->eof = r->ioerr = 1;
				return -1;
			}
			r->buf = nb;
			r->cap = ncap;
		}
	}
	while (r->end - r->pos < need) {
		ssize_t n = vg_stream_read(r->s, r->buf + r->end, r->cap - r->end);
		if (n < 0) {
			const char *e = vg_stream_error(r->s);
			problem(r, 0, r->buf_off + r->end, VG_ERR_TRUNCATED,
			        VG_ACT_NONE, 0, e ? e : "read error");
			r->eof = r->ioerr = 1;
			return -1;
		}
		if (n == 0) {
			r->eof = 1;
			return -1;
		}
		r->end += (size_t)n;
	}
	return 0;
}

/* ---- record framing ---------------------------------------------------- */

static int
is_et_type(unsigned type)
{
	return type == MRT_BGP4MP_ET || type == 33 /* ISIS_ET */ ||
	       type == 49 /* OSPFv3_ET */;
}

/* Is this a header vigil knows?  1 known and decodable, 2 known kind we do
 * not decode (OSPF, IS-IS), 0 not a plausible header. */
static int
hdr_known(unsigned type, unsigned subtype, uint32_t len)
{
	if (len > MRT_MAX_RECORD_LEN)
		return 0;
	switch (type) {
	case MRT_BGP:
		return subtype <= MRT_BGP_KEEPALIVE ? 1 : 0;
	case MRT_TABLE_DUMP:
		return subtype >= 1 && subtype <= 4 && len >= 20 ? 1 : 0;
	case MRT_TABLE_DUMP_V2:
		return subtype >= 1 && subtype <= 12 ? 1 : 0;
	case MRT_BGP4MP:
	case MRT_BGP4MP_ET:
		if (type == MRT_BGP4MP_ET && len < 4)
			return 0;
		return subtype <= 11 ? 1 : 0;
	case 11: /* OSPFv2 */
	case 32: /* ISIS */
	case 33: /* ISIS_ET */
	case 48: /* OSPFv3 */
	case 49: /* OSPFv3_ET */
		return 2;
	default:
		return 0;
	}
}

static void
parse_hdr(const uint8_t *p, uint32_t *ts, uint16_t *type, uint16_t *sub,
          uint32_t *len)
{
	*ts = vg_load_be32(p);
	*type = vg_load_be16(p + 4);
	*sub = vg_load_be16(p + 6);
	*len = vg_load_be32(p + 8);
}

/* Is there a plausible header (or the clean end of the stream) at
 * buf[pos + off]?  LAST_TS, if non-zero, bounds its timestamp. */
static int
plausible_at(struct mrt_reader *r, size_t off, uint32_t last_ts, int deep)
{
	uint32_t ts, len;
	uint16_t type, sub;

	if (off > MRT_MAX_RECORD_LEN + 2 * MRT_HEADER_LEN)
		return 0;
	if (fill(r, off + MRT_HEADER_LEN) < 0)
		return r->end - r->pos == off && !r->ioerr;
	parse_hdr(r->buf + r->pos + off, &ts, &type, &sub, &len);
	if (hdr_known(type, sub, len) != 1)
		return 0;
	/* A year either way of the last good record. */
	if (last_ts && (ts + 366u * 86400u < last_ts ||
	                ts > last_ts + 366u * 86400u))
		return 0;
	if (!deep)
		return 1;
	if (len > (16u << 20))
		return 0;
	return plausible_at(r, off + MRT_HEADER_LEN + len, ts, 0);
}

/* Skip bytes until a header that looks right and is followed by another
 * one (or the end).  Reports how much was skipped. */
static void
resync(struct mrt_reader *r, const char *why)
{
	uint64_t start = r->buf_off + r->pos;
	uint32_t last_ts = r->rec.time_sec;
	size_t skip = 1;
	char msg[256];

	for (;;) {
		if (fill(r, skip + MRT_HEADER_LEN) < 0) {
			/* No header until the end: drop the tail. */
			skip = r->end - r->pos;
			break;
		}
		if (plausible_at(r, skip, last_ts, 1))
			break;
		skip++;
	}
	r->pos += skip;
	r->st.bytes_skipped += skip;
	r->st.bytes += skip;
	snprintf(msg, sizeof(msg),
	         "%s; skipped %zu bytes of garbage to the next valid record",
	         why, skip);
	problem(r, 0, start, VG_ERR_MALFORMED, VG_ACT_SKIP_BYTES, 0, msg);
}

/* The AS number size of a BGP4MP(_ET) MESSAGE subtype: 2, 4, or 0 for the
 * others. */
static unsigned
bgp4mp_msg_as_size(unsigned sub)
{
	switch (sub) {
	case MRT_BGP4MP_MESSAGE:
	case MRT_BGP4MP_MESSAGE_LOCAL:
	case MRT_BGP4MP_MESSAGE_ADDPATH:
	case MRT_BGP4MP_MESSAGE_LOCAL_ADDPATH:
		return 2;
	case MRT_BGP4MP_MESSAGE_AS4:
	case MRT_BGP4MP_MESSAGE_AS4_LOCAL:
	case MRT_BGP4MP_MESSAGE_AS4_ADDPATH:
	case MRT_BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH:
		return 4;
	default:
		return 0;
	}
}

/* For a BGP4MP message record: the length the embedded BGP message says
 * the record has, or 0 if it cannot be told. */
static uint32_t
bgp4mp_natural_len(const uint8_t *b, uint32_t len, unsigned sub)
{
	unsigned asz, alen;
	uint32_t off;
	uint16_t afi;

	if ((asz = bgp4mp_msg_as_size(sub)) == 0)
		return 0;
	off = 2 * asz + 2;
	if (len < off + 2)
		return 0;
	afi = vg_load_be16(b + off);
	alen = afi == 1 ? 4 : afi == 2 ? 16 : 0;
	if (alen == 0)
		return 0;
	off += 2 + 2 * alen;
	if (len < off + BGP_HEADER_LEN)
		return 0;
	return off + vg_load_be16(b + off + 16);
}

/* Feed mode: replay the splitter's problems that come before the next
 * record, then hand the record out. */
static int
feed_next(struct mrt_reader *r, const struct mrt_record **out)
{
	struct mrt_feed *f = r->feed;

	while (f->pi < f->nprobs && f->probs[f->pi].before <= f->i) {
		if (r->on_problem)
			r->on_problem(r->ctx, &f->probs[f->pi].p);
		f->pi++;
	}
	if (f->i >= f->n)
		return 0;
	r->rec = f->recs[f->i];
	r->rec_bad = f->bad[f->i];
	f->i++;
	*out = &r->rec;
	return 1;
}

/* Drop the mapped pages well behind the reader (mrt_reader_new_mem). */
static void
release_behind(struct mrt_reader *r)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	/* rounded up the first time: never a byte before buf */
	uintptr_t lo = ((uintptr_t)r->buf + r->released + (r->released ? 0 : pg - 1)) &
	               ~(uintptr_t)(pg - 1);
	uintptr_t hi = ((uintptr_t)r->buf + r->pos) & ~(uintptr_t)(pg - 1);

	/* whole pages before the one the next record starts in */
	if (hi > lo) {
		madvise((void *)lo, hi - lo, MADV_DONTNEED);
		r->released = hi - (uintptr_t)r->buf;
	}
}

int
mrt_reader_next_record(struct mrt_reader *r, const struct mrt_record **out)
{
	if (r->feed)
		return feed_next(r, out);
	if (r->release && r->pos - r->released >= (8u << 20))
		release_behind(r);
	for (;;) {
		uint32_t ts, len;
		uint16_t type, sub;
		unsigned hl;
		int known;
		size_t have;

		if (r->done)
			return r->ioerr ? -1 : 0;
		if (r->end - r->pos < MRT_HEADER_LEN &&
		    fill(r, MRT_HEADER_LEN) < 0) {
			have = r->end - r->pos;
			if (have > 0) {
				char msg[VG_DIAG_MSGLEN];
				snprintf(msg, sizeof(msg),
				         "file ends inside a record header (%zu of "
				         "12 bytes); truncated file?", have);
				problem(r, 0, r->buf_off + r->pos,
				        VG_ERR_TRUNCATED, VG_ACT_SKIP_RECORD, 0,
				        msg);
				r->st.truncated = 1;
				r->st.bytes += have;
				r->pos = r->end;
			}
			r->done = 1;
			continue;
		}
		parse_hdr(r->buf + r->pos, &ts, &type, &sub, &len);
		hl = is_et_type(type) ? 16 : 12;
		known = hdr_known(type, sub, len);
		/* An unknown type is skipped by its length only if a valid
		 * header follows; a length past the limit is garbage. */
		if (known == 0 && (type == 0 || len > MRT_MAX_RECORD_LEN ||
		                   !plausible_at(r, MRT_HEADER_LEN + (size_t)len, 0, 0))) {
			char why[96];
			snprintf(why, sizeof(why),
			         "bad MRT header (type %u subtype %u length %u)",
			         type, sub, len);
			resync(r, why);
			continue;
		}
		if (r->end - r->pos < MRT_HEADER_LEN + (size_t)len &&
		    fill(r, MRT_HEADER_LEN + (size_t)len) < 0) {
			char msg[VG_DIAG_MSGLEN];
			have = r->end - r->pos;
			if (r->ioerr && have < MRT_HEADER_LEN + (size_t)len) {
				r->done = 1;
				continue;
			}
			snprintf(msg, sizeof(msg),
			         "record %llu (%s) says %u bytes but the file "
			         "ends after %zu; truncated file?",
			         (unsigned long long)r->st.records + 1,
			         mrt_type_name(type), len,
			         have - MRT_HEADER_LEN);
			problem(r, 0, r->buf_off + r->pos, VG_ERR_TRUNCATED,
			        VG_ACT_SKIP_RECORD, 0, msg);
			r->st.truncated = 1;
			r->st.records_bad++;
			r->st.bytes += have;
			r->pos = r->end;
			r->done = 1;
			continue;
		}

		memset(&r->rec, 0, sizeof(r->rec));
		r->rec.time_sec = ts;
		r->rec.type = type;
		r->rec.subtype = sub;
		r->rec.offset = r->buf_off + r->pos;
		r->rec.index = ++r->st.records;
		r->rec.hdr_len = (uint8_t)hl;
		r->rec.body = r->buf + r->pos + hl;
		r->rec.len = len - (hl - MRT_HEADER_LEN);
		if (hl == 16)
			r->rec.time_usec = vg_load_be32(r->buf + r->pos + 12);
		r->rec_bad = 0;

		/*
		 * A lying record length: a BGP4MP message whose BGP length
		 * ends the record early while a valid record starts right
		 * there.  Trust the BGP length and re-read the rest.
		 */
		if (known == 1 && (type == MRT_BGP4MP || type == MRT_BGP4MP_ET)) {
			uint32_t nat = bgp4mp_natural_len(r->rec.body,
			                                  r->rec.len, sub);
			int lies = nat && nat < r->rec.len &&
			           plausible_at(r, hl + nat, ts, 1);
			/* the look-ahead may have moved the buffer */
			r->rec.body = r->buf + r->pos + hl;
			if (lies) {
				rec_problem(r, 0, VG_ERR_MALFORMED, VG_ACT_NONE,
				            "MRT length %u but the BGP message "
				            "ends after %u bytes; the rest is "
				            "read as the next record",
				            r->rec.len, nat);
				r->rec.len = nat;
				len = nat + (hl - MRT_HEADER_LEN);
			}
		}
		r->pos += MRT_HEADER_LEN + (size_t)len;
		r->st.bytes += MRT_HEADER_LEN + (size_t)len;
		if (known == 0 || known == 2) {
			rec_problem(r, 0, VG_ERR_UNSUPPORTED, VG_ACT_SKIP_RECORD,
			            "MRT type %u (%s) subtype %u not decoded; "
			            "%u bytes skipped",
			            type, mrt_type_name(type), sub, len);
			continue;
		}
		*out = &r->rec;
		return 1;
	}
}

/* ---- helpers for record bodies ----------------------------------------- */

static int
get_addr(struct vg_cursor *c, unsigned afi, struct vg_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (afi == 1) {
		if (c->len < 4)
			return -1;
		a->afi = VG_AFI_IP4;
		memcpy(a->addr, c->p, 4);
		c->p += 4;
		c->len -= 4;
		return 0;
	}
	if (afi == 2) {
		if (c->len < 16)
			return -1;
		a->afi = VG_AFI_IP6;
		memcpy(a->addr, c->p, 16);
		c->p += 16;
		c->len -= 16;
		return 0;
	}
	return -1;
}

static int
get_asn(struct vg_cursor *c, unsigned size, uint32_t *asn)
{
	if (size == 4)
		return vg_cur_get_u32(c, asn);
	uint16_t a16;
	if (vg_cur_get_u16(c, &a16) < 0)
		return -1;
	*asn = a16;
	return 0;
}

static uint64_t
body_off(const struct mrt_reader *r, const struct vg_cursor *c)
{
	return (uint64_t)(c->p - r->rec.body);
}

static void
set_nexthop_v4(struct vg_addr *nh, const struct bgp_attrs *a)
{
	memset(nh, 0, sizeof(*nh));
	if (BGP_HAS(a, BGP_ATTR_NEXT_HOP)) {
		nh->afi = VG_AFI_IP4;
		memcpy(nh->addr, a->nexthop, 4);
	}
}

/* New attributes for the following elements: build the AS path. */
static void
attrs_changed(struct mrt_reader *r, const struct bgp_attrs *a)
{
	r->e.attrs_gen = vg_attrs_gen_next();
	if (bgp_path_build(&r->path, a) < 0) {
		r->path.nasn = r->path.nseg = 0;
		rec_problem(r, 0, VG_ERR_MALFORMED, VG_ACT_NONE,
		            "out of memory building the AS path");
	}
	r->e.attrs = a;
	r->e.path = &r->path;
}

/*
 * Decode the attributes of a RIB entry (TABLE_DUMP, TABLE_DUMP_V2,
 * BGP4MP_ENTRY) into r->rib_attrs with r->opts and report their problems.
 * Returns 0 if the route can be used, -1 if not: the block was unusable,
 * or RFC 7606 says treat-as-withdraw, which for a table entry means the
 * route is not there.
 */
static int
rib_entry_attrs(struct mrt_reader *r, const uint8_t *attrs, uint16_t alen)
{
	int rc = bgp_attrs_decode(&r->rib_attrs, attrs, alen, &r->opts,
	                          &r->diag);
	flush_diag(r, r->rec.offset + r->rec.hdr_len +
	                  (uint64_t)(attrs - r->rec.body));
	if (rc < 0 || r->rib_attrs.action == VG_ACT_TREAT_AS_WITHDRAW)
		return -1;
	return 0;
}

/* A RIB entry's next hop: MP_REACH's (full or RFC 6396 short form) if
 * present, else NEXT_HOP. */
static void
rib_entry_nexthop(struct mrt_reader *r, struct vg_addr *nh)
{
	if (BGP_HAS(&r->rib_attrs, BGP_ATTR_MP_REACH_NLRI))
		bgp_mp_nexthop(nh, &r->rib_attrs.mp_reach);
	else
		set_nexthop_v4(nh, &r->rib_attrs);
}

/* ---- TABLE_DUMP (v1) --------------------------------------------------- */

static int
start_table_dump(struct mrt_reader *r)
{
	struct vg_cursor c;
	unsigned afi = (r->rec.subtype == 1 || r->rec.subtype == 3) ? 1 : 2;
	unsigned asz = r->rec.subtype >= 3 ? 4 : 2;
	uint16_t view, seq, alen;
	uint8_t plen, status;
	uint32_t orig;
	struct vg_addr pfx;
	const uint8_t *attrs;
	struct vg_elem *e = &r->e;

	vg_cur_init(&c, r->rec.body, r->rec.len);
	if (vg_cur_get_u16(&c, &view) < 0 || vg_cur_get_u16(&c, &seq) < 0 ||
	    get_addr(&c, afi, &pfx) < 0 || vg_cur_get_u8(&c, &plen) < 0 ||
	    vg_cur_get_u8(&c, &status) < 0 || vg_cur_get_u32(&c, &orig) < 0 ||
	    get_addr(&c, afi, &e->peer_addr) < 0 ||
	    get_asn(&c, asz, &e->peer_asn) < 0 || vg_cur_get_u16(&c, &alen) < 0)
		goto truncated;
	if (plen > (afi == 1 ? 32 : 128)) {
		rec_problem(r, 4u + (afi == 1 ? 4 : 16), VG_ERR_MALFORMED,
		            VG_ACT_SKIP_RECORD, "prefix length %u too long",
		            plen);
		return 0;
	}
	if (vg_cur_get_ptr(&c, alen, &attrs) < 0) {
		rec_problem(r, body_off(r, &c) - 2, VG_ERR_TRUNCATED,
		            VG_ACT_SKIP_RECORD,
		            "attribute length %u overruns the record (%zu "
		            "bytes left)", alen, vg_cur_left(&c));
		return 0;
	}
	if (vg_cur_left(&c) > 0)
		rec_problem(r, body_off(r, &c), VG_ERR_MALFORMED, VG_ACT_NONE,
		            "%zu trailing bytes after the RIB entry",
		            vg_cur_left(&c));
	r->opts.asn_size = (uint8_t)asz;
	r->opts.addpath = 0;
	r->opts.mrt_rib = 1;
	r->opts.rib_afi = (uint8_t)afi;
	r->opts.rib_safi = 1;
	if (rib_entry_attrs(r, attrs, alen) < 0)
		return 0;
	e->type = VG_ELEM_RIB;
	e->rib_more = 0;
	e->flags = 0;
	e->originated = orig;
	e->path_id = 0;
	memset(&e->prefix, 0, sizeof(e->prefix));
	e->prefix.afi = pfx.afi;
	e->prefix.safi = 1;
	e->prefix.len = plen;
	memcpy(e->prefix.addr, pfx.addr, 16);
	vg_addr_mask(e->prefix.addr, plen, 16);
	rib_entry_nexthop(r, &e->nexthop);
	attrs_changed(r, &r->rib_attrs);
	return 1;

truncated:
	rec_problem(r, body_off(r, &c), VG_ERR_TRUNCATED, VG_ACT_SKIP_RECORD,
	            "TABLE_DUMP record cut short (%u bytes)", r->rec.len);
	return 0;
}

/* ---- TABLE_DUMP_V2 ----------------------------------------------------- */

static void
peer_index_table(struct mrt_reader *r)
{
	struct vg_cursor c;
	uint8_t id[4];
	uint16_t vlen, count;

	vg_cur_init(&c, r->rec.body, r->rec.len);
	if (vg_cur_get_bytes(&c, id, 4) < 0 || vg_cur_get_u16(&c, &vlen) < 0 ||
	    vg_cur_skip(&c, vlen) < 0 || vg_cur_get_u16(&c, &count) < 0) {
		rec_problem(r, body_off(r, &c), VG_ERR_TRUNCATED,
		            VG_ACT_SKIP_RECORD,
		            "PEER_INDEX_TABLE header cut short");
		return;
	}
	if (count > r->cap_peers) {
		struct mrt_peer *np = realloc(r->peers, count * sizeof(*np));
		if (np == NULL) {
			rec_problem(r, 0, VG_ERR_MALFORMED, VG_ACT_SKIP_RECORD,
			            "out of memory for %u peers", count);
			return;
		}
		r->peers = np;
		r->cap_peers = count;
	}
	r->npeers = 0;
	r->have_peers = 1;
	for (unsigned i = 0; i < count; i++) {
		struct mrt_peer *p = &r->peers[i];
		uint8_t ptype;
		if (vg_cur_get_u8(&c, &ptype) < 0 ||
		    vg_cur_get_bytes(&c, p->bgp_id, 4) < 0 ||
		    get_addr(&c, (ptype & 1) ? 2 : 1, &p->addr) < 0 ||
		    get_asn(&c, (ptype & 2) ? 4 : 2, &p->asn) < 0) {
			rec_problem(r, body_off(r, &c), VG_ERR_TRUNCATED,
			            VG_ACT_PARTIAL,
			            "PEER_INDEX_TABLE cut short after %u of %u "
			            "peers", i, count);
			return;
		}
		r->npeers = i + 1;
	}
	if (vg_cur_left(&c) > 0)
		rec_problem(r, body_off(r, &c), VG_ERR_MALFORMED, VG_ACT_NONE,
		            "%zu trailing bytes after the peer table",
		            vg_cur_left(&c));
}

static int
start_rib(struct mrt_reader *r)
{
	struct vg_cursor c;
	unsigned sub = r->rec.subtype;
	uint32_t seq;
	uint16_t count;
	unsigned afi, safi;
	int addpath = sub >= MRT_RIB_IPV4_UNICAST_ADDPATH;
	struct vg_elem *e = &r->e;

	vg_cur_init(&c, r->rec.body, r->rec.len);
	if (vg_cur_get_u32(&c, &seq) < 0)
		goto truncated;
	memset(&e->prefix, 0, sizeof(e->prefix));
	if (sub == MRT_RIB_GENERIC || sub == MRT_RIB_GENERIC_ADDPATH) {
		uint16_t a16;
		uint8_t s8;
		struct bgp_nlri_iter it;
		struct bgp_span sp;
		uint32_t pid;
		int rc;
		if (vg_cur_get_u16(&c, &a16) < 0 || vg_cur_get_u8(&c, &s8) < 0)
			goto truncated;
		afi = a16;
		safi = s8;
		/* One NLRI entry; its length is only known once parsed. */
		sp.p = c.p;
		sp.len = (uint32_t)c.len;
		bgp_nlri_init(&it, sp, afi, safi, 0, (uint32_t)body_off(r, &c));
		rc = bgp_nlri_next(&it, &e->prefix, &pid, &r->diag);
		flush_diag(r, r->rec.offset + r->rec.hdr_len);
		if (rc <= 0)
			return 0;
		vg_cur_skip(&c, sp.len - it.c.len);
	} else {
		uint8_t plen;
		const uint8_t *pb;
		afi = (sub == MRT_RIB_IPV4_UNICAST || sub == MRT_RIB_IPV4_MULTICAST ||
		       sub == MRT_RIB_IPV4_UNICAST_ADDPATH ||
		       sub == MRT_RIB_IPV4_MULTICAST_ADDPATH)
		          ? 1
		          : 2;
		safi = (sub == MRT_RIB_IPV4_MULTICAST || sub == MRT_RIB_IPV6_MULTICAST ||
		        sub == MRT_RIB_IPV4_MULTICAST_ADDPATH ||
		        sub == MRT_RIB_IPV6_MULTICAST_ADDPATH)
		           ? 2
		           : 1;
		if (vg_cur_get_u8(&c, &plen) < 0)
			goto truncated;
		if (plen > (afi == 1 ? 32 : 128)) {
			rec_problem(r, 4, VG_ERR_MALFORMED, VG_ACT_SKIP_RECORD,
			            "prefix length %u too long for %s", plen,
			            afi == 1 ? "IPv4" : "IPv6");
			return 0;
		}
		if (vg_cur_get_ptr(&c, (plen + 7u) / 8, &pb) < 0)
			goto truncated;
		e->prefix.afi = (uint8_t)afi;
		e->prefix.safi = (uint8_t)safi;
		e->prefix.len = plen;
		memcpy(e->prefix.addr, pb, (plen + 7u) / 8);
		vg_addr_mask(e->prefix.addr, plen, 16);
	}
	if (vg_cur_get_u16(&c, &count) < 0)
		goto truncated;
	r->rib = c;
	r->rib_left = count;
	r->opts.asn_size = 4;
	r->opts.addpath = (uint8_t)addpath;
	r->opts.mrt_rib = 1;
	r->opts.rib_afi = (uint8_t)afi;
	r->opts.rib_safi = (uint8_t)safi;
	r->phase = PH_RIB;
	e->type = VG_ELEM_RIB;
	return 0;

truncated:
	rec_problem(r, body_off(r, &c), VG_ERR_TRUNCATED, VG_ACT_SKIP_RECORD,
	            "RIB record header cut short (%u bytes)", r->rec.len);
	return 0;
}

/* Next RIB entry of the current record: 1 element ready, 0 done. */
static int
step_rib(struct mrt_reader *r)
{
	struct vg_elem *e = &r->e;

	while (r->rib_left > 0) {
		struct vg_cursor *c = &r->rib;
		uint64_t eoff = body_off(r, c);
		uint16_t idx, alen;
		uint32_t orig, pid = 0;
		const uint8_t *attrs;

		r->rib_left--;
		if (vg_cur_get_u16(c, &idx) < 0 || vg_cur_get_u32(c, &orig) < 0 ||
		    (r->opts.addpath && vg_cur_get_u32(c, &pid) < 0) ||
		    vg_cur_get_u16(c, &alen) < 0) {
			rec_problem(r, eoff, VG_ERR_TRUNCATED, VG_ACT_PARTIAL,
			            "RIB entry header cut short; %u entries "
			            "not read", r->rib_left + 1);
			r->rib_left = 0;
			break;
		}
		if (vg_cur_get_ptr(c, alen, &attrs) < 0) {
			rec_problem(r, eoff, VG_ERR_TRUNCATED, VG_ACT_PARTIAL,
			            "RIB entry attribute length %u overruns the "
			            "record (%zu bytes left); %u entries not read",
			            alen, vg_cur_left(c), r->rib_left + 1);
			r->rib_left = 0;
			break;
		}
		if (!r->have_peers || idx >= r->npeers) {
			if (!r->have_peers)
				rec_problem(r, eoff, VG_ERR_MALFORMED,
				            VG_ACT_SKIP_RECORD,
				            "RIB entry before any PEER_INDEX_TABLE; "
				            "entry skipped");
			else
				rec_problem(r, eoff, VG_ERR_MALFORMED,
				            VG_ACT_SKIP_RECORD,
				            "peer index %u out of range (%u peers); "
				            "entry skipped", idx, r->npeers);
			continue;
		}
		if (rib_entry_attrs(r, attrs, alen) < 0)
			continue;
		e->type = VG_ELEM_RIB;
		e->flags = r->opts.addpath ? VG_ELEM_F_PATH_ID : 0;
		e->rib_more = (uint16_t)r->rib_left;
		e->path_id = pid;
		e->originated = orig;
		e->peer_addr = r->peers[idx].addr;
		e->peer_asn = r->peers[idx].asn;
		rib_entry_nexthop(r, &e->nexthop);
		attrs_changed(r, &r->rib_attrs);
		return 1;
	}
	if (vg_cur_left(&r->rib) > 0)
		rec_problem(r, body_off(r, &r->rib), VG_ERR_MALFORMED,
		            VG_ACT_NONE, "%zu trailing bytes after the RIB entries",
		            vg_cur_left(&r->rib));
	r->phase = PH_NONE;
	return 0;
}

/* ---- BGP4MP and BGP messages ------------------------------------------ */

static struct mrt_session *
session_find(struct mrt_reader *r, const struct vg_elem *e, int create)
{
	for (uint32_t i = 0; i < r->nsess; i++) {
		struct mrt_session *s = &r->sess[i];
		if (s->peer_asn == e->peer_asn && s->peer.afi == e->peer_addr.afi &&
		    memcmp(s->peer.addr, e->peer_addr.addr, 16) == 0)
			return s;
	}
	if (!create)
		return NULL;
	if (r->nsess == r->cap_sess) {
		uint32_t nc = r->cap_sess ? r->cap_sess * 2 : 8;
		struct mrt_session *ns = realloc(r->sess, nc * sizeof(*ns));
		if (ns == NULL)
			return NULL;
		r->sess = ns;
		r->cap_sess = nc;
	}
	struct mrt_session *s = &r->sess[r->nsess++];
	s->peer = e->peer_addr;
	s->peer_asn = e->peer_asn;
	s->ap_mask = 0;
	return s;
}

/* An OPEN in the archive: remember which AFI/SAFIs will carry path ids.
 * The peer's OPEN must offer to send them (RFC 7911 mode 2 or 3); our own
 * (a LOCAL record) must offer to receive. */
static void
session_open(struct mrt_reader *r, const struct bgp_open *o, int local)
{
	struct mrt_session *s = session_find(r, &r->e, 1);
	if (s == NULL)
		return;
	for (unsigned i = 0; i < o->n_addpath; i++)
		if (o->addpath[i].mode & (local ? 1 : 2))
			s->ap_mask |= (uint8_t)ap_bit(o->addpath[i].afi,
			                              o->addpath[i].safi);
}

/* Does the NLRI field S parse cleanly with (AP) or without path ids? */
static int
nlri_clean(struct bgp_span s, unsigned afi, int ap)
{
	uint32_t off = 0, max = afi == 1 ? 32 : 128;
	while (off < s.len) {
		if (ap)
			off += 4;
		if (off >= s.len || s.p[off] > max)
			return 0;
		off += 1 + (s.p[off] + 7u) / 8;
	}
	return off == s.len;
}

/*
 * Does NLRI field S of AFI/SAFI in the current UPDATE carry path ids?
 * The RFC 8050 subtypes say so.  Otherwise a recorded OPEN may have
 * offered ADD-PATH; as the collector's own OPEN is often not in the file,
 * the field itself decides: use path ids if only that reading parses.
 */
static int
nlri_addpath(const struct mrt_reader *r, unsigned afi, unsigned safi,
             struct bgp_span s)
{
	int with, without;

	if (r->opts.addpath)
		return 1;
	if (!(r->ap_mask & ap_bit(afi, safi)) || s.len == 0)
		return 0;
	with = nlri_clean(s, afi, 1);
	without = nlri_clean(s, afi, 0);
	return with && !without;
}

/* Set up element iteration over an UPDATE body. */
static void list_fields(struct mrt_reader *r);
static int next_field(struct mrt_reader *r);

static void
start_update(struct mrt_reader *r, const uint8_t *body, size_t len,
             unsigned asz, int addpath, int cut)
{
	r->opts.asn_size = (uint8_t)asz;
	r->opts.addpath = (uint8_t)addpath;
	r->opts.mrt_rib = 0;
	r->opts.cut = (uint8_t)cut;
	r->ap_mask = 0;
	if (!addpath && r->nsess) {
		struct mrt_session *s = session_find(r, &r->e, 0);
		if (s)
			r->ap_mask = s->ap_mask;
	}
	r->upd_base = r->rec.offset + r->rec.hdr_len +
	              (uint64_t)(body - r->rec.body);
	if (bgp_update_decode(&r->upd, body, len, &r->opts, &r->diag) < 0) {
		flush_diag(r, r->upd_base);
		return;
	}
	flush_diag(r, r->upd_base);

	const struct bgp_attrs *a = &r->upd.attrs;
	r->taw = a->action == VG_ACT_TREAT_AS_WITHDRAW;
	/* RFC 7606 3(d): a missing mandatory attribute is treat-as-withdraw
	 * for the routes it would carry. */
	if (!r->taw && (r->upd.nlri.len > 0 ||
	                BGP_HAS(a, BGP_ATTR_MP_REACH_NLRI))) {
		const char *miss = NULL;
		if (!BGP_HAS(a, BGP_ATTR_ORIGIN))
			miss = "ORIGIN";
		else if (!BGP_HAS(a, BGP_ATTR_AS_PATH))
			miss = "AS_PATH";
		else if (r->upd.nlri.len > 0 && !BGP_HAS(a, BGP_ATTR_NEXT_HOP))
			miss = "NEXT_HOP";
		if (miss) {
			r->taw = 1;
			problem(r, r->rec.index, r->upd_base + r->upd.attrs_off,
			        VG_ERR_MALFORMED, VG_ACT_TREAT_AS_WITHDRAW, 0,
			        miss[0] == 'O'   ? "UPDATE without ORIGIN"
			        : miss[0] == 'A' ? "UPDATE without AS_PATH"
			                         : "UPDATE without NEXT_HOP");
		}
	}
	/* (not in a message cut short by the recorder, which only looks
	 * empty, nor in one the collector itself sent) */
	if (r->want_eor && !cut && !(r->e.flags & VG_ELEM_F_LOCAL) &&
	    r->upd.withdrawn.len == 0 && r->upd.nlri.len == 0 &&
	    (a->all.len == 0 ||
	     (a->present == (uint64_t)1 << BGP_ATTR_MP_UNREACH_NLRI &&
	      a->mp_unreach.nlri.len == 0 && a->n_raw_total == 0 &&
	      (a->mp_unreach.afi == VG_AFI_IP4 ||
	       a->mp_unreach.afi == VG_AFI_IP6)))) {
		/* RFC 4724 2: End-of-RIB */
		struct vg_elem *e = &r->e;
		e->type = VG_ELEM_EOR;
		e->flags = 0;
		e->attrs = NULL;
		e->path = NULL;
		e->nexthop.afi = 0;
		memset(&e->prefix, 0, sizeof(e->prefix));
		e->prefix.afi = (uint8_t)(a->all.len ? a->mp_unreach.afi
		                                      : VG_AFI_IP4);
		e->prefix.safi = (uint8_t)(a->all.len ? a->mp_unreach.safi
		                                       : VG_SAFI_UNICAST);
		r->phase = PH_EOR;
		return;
	}
	set_nexthop_v4(&r->nh_classic, a);
	if (BGP_HAS(a, BGP_ATTR_MP_REACH_NLRI))
		bgp_mp_nexthop(&r->nh_mp, &a->mp_reach);
	attrs_changed(r, a);
	list_fields(r);
	next_field(r);
}

/* Set the element fields that stay the same for every prefix of the NLRI
 * field of the current phase, so that step_update only writes the prefix
 * and path id.  The element is handed out const, so nothing changes it in
 * between. */
static void
phase_elem(struct mrt_reader *r)
{
	struct vg_elem *e = &r->e;
	int ann = r->phase == PH_ANNOUNCE || r->phase == PH_MP_ANNOUNCE;
	int mp = r->phase == PH_MP_WITHDRAW || r->phase == PH_MP_ANNOUNCE;

	e->flags = (uint8_t)((r->it.addpath ? VG_ELEM_F_PATH_ID : 0) |
	                     (e->flags & VG_ELEM_F_LOCAL) |
	                     (mp ? VG_ELEM_F_MP : 0));
	if (ann && !r->taw) {
		e->type = VG_ELEM_ANNOUNCE;
		e->nexthop = mp ? r->nh_mp : r->nh_classic;
		e->attrs = &r->upd.attrs;
		e->path = &r->path;
		return;
	}
	e->type = VG_ELEM_WITHDRAW;
	if (ann) {
		/* treat-as-withdraw: the route's next hop stays visible */
		e->nexthop = mp ? r->nh_mp : r->nh_classic;
		e->flags |= VG_ELEM_F_TAW;
	} else {
		e->nexthop.afi = 0;
	}
	e->attrs = NULL;
	e->path = NULL;
}

/* List the UPDATE's NLRI fields that have bytes in them (empty fields, the
 * common case, then cost nothing), in bgpdump's order: withdrawn routes,
 * MP_UNREACH, NLRI, MP_REACH. */
static void
list_fields(struct mrt_reader *r)
{
	const struct bgp_attrs *a = &r->upd.attrs;
	unsigned n = 0;

#define ADD(ph, span, af, sf, b)                                            \
	do {                                                                \
		if ((span).len > 0) {                                       \
			r->fields[n].s = (span);                            \
			r->fields[n].base = (b);                            \
			r->fields[n].phase = (ph);                          \
			r->fields[n].afi = (uint16_t)(af);                   \
			r->fields[n].safi = (uint8_t)(sf);                  \
			n++;                                                \
		}                                                           \
	} while (0)
	/* withdrawn routes start after their 2-byte length */
	ADD(PH_WITHDRAW, r->upd.withdrawn, 1, 1, 2);
	if (BGP_HAS(a, BGP_ATTR_MP_UNREACH_NLRI))
		ADD(PH_MP_WITHDRAW, a->mp_unreach.nlri, a->mp_unreach.afi,
		    a->mp_unreach.safi,
		    r->upd.attrs_off + (uint32_t)(a->mp_unreach.nlri.p - a->all.p));
	ADD(PH_ANNOUNCE, r->upd.nlri, 1, 1, r->upd.nlri_off);
	if (BGP_HAS(a, BGP_ATTR_MP_REACH_NLRI))
		ADD(PH_MP_ANNOUNCE, a->mp_reach.nlri, a->mp_reach.afi,
		    a->mp_reach.safi,
		    r->upd.attrs_off + (uint32_t)(a->mp_reach.nlri.p - a->all.p));
#undef ADD
	r->nfields = (uint8_t)n;
	r->field_i = 0;
}

/* Start the next listed NLRI field: iterator and element set up.  0 when
 * none is left. */
static int
next_field(struct mrt_reader *r)
{
	const struct upd_field *f;

	if (r->field_i >= r->nfields) {
		r->phase = PH_NONE;
		return 0;
	}
	f = &r->fields[r->field_i++];
	r->phase = f->phase;
	bgp_nlri_init(&r->it, f->s, f->afi, f->safi,
	              nlri_addpath(r, f->afi, f->safi, f->s), f->base);
	phase_elem(r);
	return 1;
}

static int
step_update(struct mrt_reader *r)
{
	struct vg_elem *e = &r->e;

	for (;;) {
		uint32_t pid;
		int rc = bgp_nlri_next(&r->it, &e->prefix, &pid, &r->diag);
		if (rc > 0) {
			e->path_id = pid;
			return 1;
		}
		if (rc < 0) {
			flush_diag(r, r->upd_base);
			continue; /* the iterator is now empty */
		}
		if (!next_field(r))
			return 0;
	}
}

static int
state_elem(struct mrt_reader *r, uint16_t old_state, uint16_t new_state)
{
	struct vg_elem *e = &r->e;
	e->type = VG_ELEM_STATE;
	e->flags = 0;
	e->old_state = old_state;
	e->new_state = new_state;
	e->attrs = NULL;
	e->path = NULL;
	memset(&e->prefix, 0, sizeof(e->prefix));
	e->nexthop.afi = 0;
	return 1;
}

/* Decode the BGP message inside a BGP4MP MESSAGE record. */
static void
bgp4mp_message(struct mrt_reader *r, struct vg_cursor *c, unsigned asz,
               int addpath)
{
	uint8_t type;
	uint16_t mlen;
	uint64_t moff = body_off(r, c);
	const uint8_t *m = c->p;

	if (bgp_header_decode(c->p, c->len, BGP_MAX_EXT_MSG_LEN, &type, &mlen,
	                      &r->diag) < 0) {
		flush_diag(r, r->rec.offset + r->rec.hdr_len + moff);
		return;
	}
	int cut = mlen > c->len;
	if (cut) {
		rec_problem(r, moff + 16, VG_ERR_TRUNCATED, VG_ACT_PARTIAL,
		            "BGP message length %u but only %zu bytes in the "
		            "record; decoding what is there", mlen, c->len);
		mlen = (uint16_t)c->len;
	} else if (mlen < c->len) {
		rec_problem(r, moff + mlen, VG_ERR_MALFORMED, VG_ACT_NONE,
		            "%zu trailing bytes after the BGP message",
		            c->len - mlen);
	}
	switch (type) {
	case BGP_MSG_UPDATE:
		start_update(r, m + BGP_HEADER_LEN, mlen - BGP_HEADER_LEN, asz,
		             addpath, cut);
		break;
	case BGP_MSG_OPEN: {
		struct bgp_open o;
		/* problems of a message that still decodes ("kept") are
		 * this record's too: reported now, not with a later record */
		int orc = bgp_open_decode(&o, m + BGP_HEADER_LEN,
		                          mlen - BGP_HEADER_LEN, &r->diag);
		flush_diag(r, r->rec.offset + r->rec.hdr_len + moff +
		                  BGP_HEADER_LEN);
		if (orc >= 0 && o.n_addpath)
			session_open(r, &o, (r->e.flags & VG_ELEM_F_LOCAL) != 0);
		break;
	}
	case BGP_MSG_NOTIFICATION: {
		struct bgp_notification n;
		(void)bgp_notification_decode(&n, m + BGP_HEADER_LEN,
		                              mlen - BGP_HEADER_LEN, &r->diag);
		flush_diag(r, r->rec.offset + r->rec.hdr_len + moff +
		                  BGP_HEADER_LEN);
		break;
	}
	case BGP_MSG_KEEPALIVE:
		break;
	case BGP_MSG_ROUTE_REFRESH: {
		struct bgp_route_refresh rr;
		(void)bgp_route_refresh_decode(&rr, m + BGP_HEADER_LEN,
		                               mlen - BGP_HEADER_LEN, &r->diag);
		flush_diag(r, r->rec.offset + r->rec.hdr_len + moff +
		                  BGP_HEADER_LEN);
		break;
	}
	default:
		rec_problem(r, moff + 18, VG_ERR_MALFORMED, VG_ACT_SKIP_RECORD,
		            "unknown BGP message type %u", type);
		break;
	}
}

static int
start_bgp4mp(struct mrt_reader *r)
{
	struct vg_cursor c;
	unsigned sub = r->rec.subtype;
	unsigned asz;
	uint32_t local_asn;
	uint16_t ifindex, afi;
	struct vg_addr local;
	struct vg_elem *e = &r->e;

	switch (sub) {
	case MRT_BGP4MP_STATE_CHANGE:
	case MRT_BGP4MP_MESSAGE:
	case MRT_BGP4MP_ENTRY:
	case MRT_BGP4MP_MESSAGE_LOCAL:
	case MRT_BGP4MP_MESSAGE_ADDPATH:
	case MRT_BGP4MP_MESSAGE_LOCAL_ADDPATH:
		asz = 2;
		break;
	case MRT_BGP4MP_SNAPSHOT:
		rec_problem(r, 0, VG_ERR_UNSUPPORTED, VG_ACT_SKIP_RECORD,
		            "BGP4MP_SNAPSHOT (a file name, no routes) skipped");
		return 0;
	default:
		asz = 4;
		break;
	}
	vg_cur_init(&c, r->rec.body, r->rec.len);
	if (get_asn(&c, asz, &e->peer_asn) < 0 || get_asn(&c, asz, &local_asn) < 0 ||
	    vg_cur_get_u16(&c, &ifindex) < 0 || vg_cur_get_u16(&c, &afi) < 0)
		goto truncated;
	if (afi != 1 && afi != 2) {
		rec_problem(r, body_off(r, &c) - 2, VG_ERR_MALFORMED,
		            VG_ACT_SKIP_RECORD, "unknown address family %u", afi);
		return 0;
	}
	if (get_addr(&c, afi, &e->peer_addr) < 0 || get_addr(&c, afi, &local) < 0)
		goto truncated;
	e->flags = mrt_subtype_is_local(r->rec.type, sub) ? VG_ELEM_F_LOCAL : 0;

	if (sub == MRT_BGP4MP_STATE_CHANGE || sub == MRT_BGP4MP_STATE_CHANGE_AS4) {
		uint16_t o, n;
		if (vg_cur_get_u16(&c, &o) < 0 || vg_cur_get_u16(&c, &n) < 0)
			goto truncated;
		if (o < 1 || o > 6 || n < 1 || n > 6)
			rec_problem(r, body_off(r, &c) - 4, VG_ERR_MALFORMED,
			            VG_ACT_NONE, "state change %u -> %u: not a "
			            "BGP FSM state", o, n);
		if (r->nsess && n <= VG_STATE_ACTIVE) {
			/* the session is gone: the next one negotiates
			 * capabilities afresh */
			struct mrt_session *s = session_find(r, e, 0);
			if (s)
				s->ap_mask = 0;
		}
		return state_elem(r, o, n);
	}
	if (sub == MRT_BGP4MP_ENTRY) {
		/* Deprecated (RFC 6396 Appendix B.2.4 of its draft history):
		 * view, status, originated, AFI, SAFI, next hop, prefix,
		 * attributes.  OpenBGPD still writes it. */
		uint16_t view, status, eafi, alen;
		uint8_t safi, nhl, plen;
		uint32_t orig;
		const uint8_t *nh, *attrs, *pb;
		if (vg_cur_get_u16(&c, &view) < 0 || vg_cur_get_u16(&c, &status) < 0 ||
		    vg_cur_get_u32(&c, &orig) < 0 || vg_cur_get_u16(&c, &eafi) < 0 ||
		    vg_cur_get_u8(&c, &safi) < 0 || vg_cur_get_u8(&c, &nhl) < 0 ||
		    vg_cur_get_ptr(&c, nhl, &nh) < 0 || vg_cur_get_u8(&c, &plen) < 0)
			goto truncated;
		if ((eafi != 1 && eafi != 2) || plen > (eafi == 1 ? 32 : 128)) {
			rec_problem(r, body_off(r, &c) - 1, VG_ERR_MALFORMED,
			            VG_ACT_SKIP_RECORD,
			            "BGP4MP_ENTRY AFI %u prefix length %u invalid",
			            eafi, plen);
			return 0;
		}
		if (vg_cur_get_ptr(&c, (plen + 7u) / 8, &pb) < 0 ||
		    vg_cur_get_u16(&c, &alen) < 0 ||
		    vg_cur_get_ptr(&c, alen, &attrs) < 0)
			goto truncated;
		memset(&e->prefix, 0, sizeof(e->prefix));
		e->prefix.afi = (uint8_t)eafi;
		e->prefix.safi = safi;
		e->prefix.len = plen;
		memcpy(e->prefix.addr, pb, (plen + 7u) / 8);
		vg_addr_mask(e->prefix.addr, plen, 16);
		r->opts.asn_size = 2;
		r->opts.addpath = 0;
		r->opts.mrt_rib = 1;
		r->opts.rib_afi = (uint8_t)eafi;
		r->opts.rib_safi = safi;
		if (rib_entry_attrs(r, attrs, alen) < 0)
			return 0;
		memset(&e->nexthop, 0, sizeof(e->nexthop));
		if (nhl == 4 || nhl == 16 || nhl == 32) {
			e->nexthop.afi = nhl == 4 ? VG_AFI_IP4 : VG_AFI_IP6;
			memcpy(e->nexthop.addr, nh, nhl == 4 ? 4 : 16);
		}
		e->type = VG_ELEM_RIB;
		e->rib_more = 0;
		e->originated = orig;
		e->path_id = 0;
		attrs_changed(r, &r->rib_attrs);
		return 1;
	}
	/* MESSAGE variants */
	bgp4mp_message(r, &c, asz, mrt_subtype_is_addpath(r->rec.type, sub));
	return 0;

truncated:
	rec_problem(r, body_off(r, &c), VG_ERR_TRUNCATED, VG_ACT_SKIP_RECORD,
	            "%s record cut short (%u bytes)",
	            mrt_subtype_name(r->rec.type, sub), r->rec.len);
	return 0;
}

/* Deprecated type 5 (RFC 6396 B.2): 1999-2001 archives. */
static int
start_bgp(struct mrt_reader *r)
{
	struct vg_cursor c;
	struct vg_elem *e = &r->e;
	uint32_t local_asn;
	struct vg_addr local;

	vg_cur_init(&c, r->rec.body, r->rec.len);
	e->flags = 0;
	switch (r->rec.subtype) {
	case MRT_BGP_UPDATE:
		if (get_asn(&c, 2, &e->peer_asn) < 0 ||
		    get_addr(&c, 1, &e->peer_addr) < 0 ||
		    get_asn(&c, 2, &local_asn) < 0 || get_addr(&c, 1, &local) < 0)
			goto truncated;
		start_update(r, c.p, c.len, 2, 0, 0);
		return 0;
	case MRT_BGP_STATE_CHANGE: {
		uint16_t o, n;
		if (get_asn(&c, 2, &e->peer_asn) < 0 ||
		    get_addr(&c, 1, &e->peer_addr) < 0 ||
		    vg_cur_get_u16(&c, &o) < 0 || vg_cur_get_u16(&c, &n) < 0)
			goto truncated;
		return state_elem(r, o, n);
	}
	default:
		return 0; /* OPEN, NOTIFY, KEEPALIVE, SYNC: no routes */
	}
truncated:
	rec_problem(r, body_off(r, &c), VG_ERR_TRUNCATED, VG_ACT_SKIP_RECORD,
	            "BGP record cut short (%u bytes)", r->rec.len);
	return 0;
}

/* Start decoding the current record.  Returns 1 if an element is ready in
 * r->e; otherwise r->phase says whether more may come. */
static int
start_record(struct mrt_reader *r)
{
	struct vg_elem *e = &r->e;

	e->time_sec = r->rec.time_sec;
	e->time_usec = r->rec.time_usec;
	e->originated = 0;
	e->source = &r->rec;
	r->phase = PH_NONE;
	switch (r->rec.type) {
	case MRT_TABLE_DUMP:
		return start_table_dump(r);
	case MRT_TABLE_DUMP_V2:
		if (r->rec.subtype == MRT_PEER_INDEX_TABLE) {
			peer_index_table(r);
			return 0;
		}
		if (r->rec.subtype == MRT_GEO_PEER_TABLE) {
			rec_problem(r, 0, VG_ERR_UNSUPPORTED, VG_ACT_SKIP_RECORD,
			            "GEO_PEER_TABLE (RFC 6397) skipped");
			return 0;
		}
		return start_rib(r);
	case MRT_BGP4MP:
	case MRT_BGP4MP_ET:
		return start_bgp4mp(r);
	case MRT_BGP:
		return start_bgp(r);
	}
	return 0;
}

int
mrt_reader_next_elem(struct mrt_reader *r, const struct vg_elem **out)
{
	for (;;) {
		const struct mrt_record *rec;
		int rc;

		if (r->phase == PH_RIB) {
			if (step_rib(r)) {
				r->st.elems++;
				*out = &r->e;
				return 1;
			}
		} else if (r->phase == PH_EOR) {
			r->phase = PH_NONE;
			*out = &r->e;
			return 1;
		} else if (r->phase != PH_NONE) {
			if (step_update(r)) {
				r->st.elems++;
				*out = &r->e;
				return 1;
			}
		}
		if (r->rec_bad) {
			r->st.records_bad++;
			r->rec_bad = 0;
		}
		rc = mrt_reader_next_record(r, &rec);
		if (rc <= 0)
			return rc;
		if (start_record(r)) {
			r->st.elems++;
			*out = &r->e;
			return 1;
		}
	}
}


/* ---- lifecycle and names ----------------------------------------------- */

struct mrt_reader *
mrt_reader_new(vg_stream *s, const char *name, mrt_problem_fn on_problem,
               void *ctx)
{
	struct mrt_reader *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->s = s;
	r->name = strdup(name ? name : "-");
	r->on_problem = on_problem;
	r->ctx = ctx;
	bgp_path_init(&r->path);
	if (r->name == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void
mrt_reader_set_eor(struct mrt_reader *r, int on)
{
	r->want_eor = on;
}

void
mrt_reader_free(struct mrt_reader *r)
{
	if (r == NULL)
		return;
	bgp_path_destroy(&r->path);
	free(r->sess);
	free(r->peers);
	if (!r->borrowed)
		free(r->buf);
	free(r->name);
	free(r);
}

const struct mrt_stats *
mrt_reader_stats(const struct mrt_reader *r)
{
	return &r->st;
}

/* ---- hooks for the parallel decoder (mrt_impl.h) ----------------------- */

struct mrt_reader *
mrt_reader_new_mem(const uint8_t *buf, size_t len, int release,
                   const char *name, mrt_problem_fn on_problem, void *ctx)
{
	struct mrt_reader *r = mrt_reader_new(NULL, name, on_problem, ctx);

	if (r == NULL)
		return NULL;
	r->buf = (uint8_t *)buf;
	r->cap = r->end = len;
	r->eof = 1;
	r->borrowed = 1;
	r->release = release;
	return r;
}

void
mrt_reader_set_feed(struct mrt_reader *r, struct mrt_feed *f)
{
	r->feed = f;
}

int
mrt_record_changes_state(const struct mrt_record *rec)
{
	unsigned asz, off;
	uint16_t afi;

	if (rec->type == MRT_TABLE_DUMP_V2)
		return rec->subtype == MRT_PEER_INDEX_TABLE;
	if (rec->type != MRT_BGP4MP && rec->type != MRT_BGP4MP_ET)
		return 0;
	if (rec->subtype == MRT_BGP4MP_STATE_CHANGE ||
	    rec->subtype == MRT_BGP4MP_STATE_CHANGE_AS4)
		return 1; /* may end a session's ADD-PATH */
	if ((asz = bgp4mp_msg_as_size(rec->subtype)) == 0)
		return 0;
	/* an OPEN may start a session with ADD-PATH; a message too short
	 * to say is not decoded as one either */
	off = 2 * asz + 2;
	if (rec->len < off + 2)
		return 0;
	afi = vg_load_be16(rec->body + off);
	off += 2 + (afi == 1 ? 8 : afi == 2 ? 32 : 0);
	return rec->len > off + 18 && rec->body[off + 18] == BGP_MSG_OPEN;
}

void
mrt_reader_apply_state(struct mrt_reader *r)
{
	struct mrt_stats st = r->st;
	mrt_problem_fn fn = r->on_problem;
	int bad = r->rec_bad;

	r->on_problem = NULL;
	start_record(r);
	r->phase = PH_NONE;
	vg_diag_reset(&r->diag);
	r->on_problem = fn;
	r->st = st;
	r->rec_bad = bad;
}

static int
copy_array(void **dst, uint32_t *cap, const void *src, uint32_t n,
           size_t size)
{
	if (n > *cap) {
		void *p = realloc(*dst, n * size);
		if (p == NULL)
			return -1;
		*dst = p;
		*cap = n;
	}
	if (n)
		memcpy(*dst, src, n * size);
	return 0;
}

int
mrt_reader_save_state(const struct mrt_reader *r, struct mrt_state *s)
{
	if (copy_array((void **)&s->peers, &s->cap_peers, r->peers, r->npeers,
	               sizeof(*r->peers)) < 0 ||
	    copy_array(&s->sess, &s->cap_sess, r->sess, r->nsess,
	               sizeof(*r->sess)) < 0)
		return -1;
	s->npeers = r->npeers;
	s->have_peers = r->have_peers;
	s->nsess = r->nsess;
	return 0;
}

int
mrt_reader_load_state(struct mrt_reader *r, const struct mrt_state *s)
{
	if (copy_array((void **)&r->peers, &r->cap_peers, s->peers, s->npeers,
	               sizeof(*r->peers)) < 0 ||
	    copy_array((void **)&r->sess, &r->cap_sess, s->sess, s->nsess,
	               sizeof(*r->sess)) < 0)
		return -1;
	r->npeers = s->npeers;
	r->have_peers = s->have_peers;
	r->nsess = s->nsess;
	return 0;
}

void
mrt_state_destroy(struct mrt_state *s)
{
	free(s->peers);
	free(s->sess);
	memset(s, 0, sizeof(*s));
}

struct mrt_stats *
mrt_reader_stats_rw(struct mrt_reader *r)
{
	return &r->st;
}

void
mrt_reader_set_problem_fn(struct mrt_reader *r, mrt_problem_fn fn, void *ctx)
{
	r->on_problem = fn;
	r->ctx = ctx;
}

int
mrt_reader_rec_bad(const struct mrt_reader *r)
{
	return r->rec_bad;
}

const struct mrt_peer *
mrt_reader_peers(const struct mrt_reader *r, uint32_t *count)
{
	*count = r->npeers;
	return r->have_peers ? r->peers : NULL;
}

const char *
mrt_type_name(unsigned type)
{
	switch (type) {
	case MRT_BGP:
		return "BGP";
	case 11:
		return "OSPFv2";
	case MRT_TABLE_DUMP:
		return "TABLE_DUMP";
	case MRT_TABLE_DUMP_V2:
		return "TABLE_DUMP_V2";
	case MRT_BGP4MP:
		return "BGP4MP";
	case MRT_BGP4MP_ET:
		return "BGP4MP_ET";
	case 32:
		return "ISIS";
	case 33:
		return "ISIS_ET";
	case 48:
		return "OSPFv3";
	case 49:
		return "OSPFv3_ET";
	}
	return "UNKNOWN";
}

const char *
mrt_subtype_name(unsigned type, unsigned sub)
{
	static const char *const td2[] = {
	    NULL,
	    "PEER_INDEX_TABLE",
	    "RIB_IPV4_UNICAST",
	    "RIB_IPV4_MULTICAST",
	    "RIB_IPV6_UNICAST",
	    "RIB_IPV6_MULTICAST",
	    "RIB_GENERIC",
	    "GEO_PEER_TABLE",
	    "RIB_IPV4_UNICAST_ADDPATH",
	    "RIB_IPV4_MULTICAST_ADDPATH",
	    "RIB_IPV6_UNICAST_ADDPATH",
	    "RIB_IPV6_MULTICAST_ADDPATH",
	    "RIB_GENERIC_ADDPATH",
	};
	static const char *const b4mp[] = {
	    "STATE_CHANGE",          "MESSAGE",
	    "ENTRY",                 "SNAPSHOT",
	    "MESSAGE_AS4",           "STATE_CHANGE_AS4",
	    "MESSAGE_LOCAL",         "MESSAGE_AS4_LOCAL",
	    "MESSAGE_ADDPATH",       "MESSAGE_AS4_ADDPATH",
	    "MESSAGE_LOCAL_ADDPATH", "MESSAGE_AS4_LOCAL_ADDPATH",
	};
	static const char *const bgp[] = {
	    "NULL", "UPDATE", "PREF_UPDATE", "STATE_CHANGE",
	    "SYNC", "OPEN",   "NOTIFY",      "KEEPALIVE",
	};
	static const char *const td1[] = {NULL, "AFI_IPv4", "AFI_IPv6",
	                                  "AFI_IPv4_AS4", "AFI_IPv6_AS4"};
	switch (type) {
	case MRT_TABLE_DUMP_V2:
		return sub < 13 ? td2[sub] : NULL;
	case MRT_BGP4MP:
	case MRT_BGP4MP_ET:
		return sub < 12 ? b4mp[sub] : NULL;
	case MRT_BGP:
		return sub < 8 ? bgp[sub] : NULL;
	case MRT_TABLE_DUMP:
		return sub < 5 ? td1[sub] : NULL;
	}
	return NULL;
}

int
mrt_subtype_is_addpath(unsigned type, unsigned sub)
{
	if (type == MRT_BGP4MP || type == MRT_BGP4MP_ET)
		return sub >= MRT_BGP4MP_MESSAGE_ADDPATH &&
		       sub <= MRT_BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH;
	if (type == MRT_TABLE_DUMP_V2)
		return sub >= MRT_RIB_IPV4_UNICAST_ADDPATH &&
		       sub <= MRT_RIB_GENERIC_ADDPATH;
	return 0;
}

int
mrt_subtype_is_local(unsigned type, unsigned sub)
{
	if (type != MRT_BGP4MP && type != MRT_BGP4MP_ET)
		return 0;
	return sub == MRT_BGP4MP_MESSAGE_LOCAL ||
	       sub == MRT_BGP4MP_MESSAGE_AS4_LOCAL ||
	       sub == MRT_BGP4MP_MESSAGE_LOCAL_ADDPATH ||
	       sub == MRT_BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH;
}
