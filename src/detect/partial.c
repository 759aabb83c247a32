/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Partial-count files (include/vigil/partial.h, docs/partials.md): the
 * record writer and the bounds-checked reader.  Every read goes through
 * one cursor; a declared count is checked against the bytes left before
 * anything is taken, and a record must be used up exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "vigil/cursor.h"
#include "vigil/partial.h"

/* ---- writing ----------------------------------------------------------- */

struct vgp_writer {
	FILE *f;
	uint8_t *buf;
	size_t len, cap;
	uint64_t bytes;
	int err;
};

static int
w_room(struct vgp_writer *w, size_t n)
{
	if (w->len + n <= w->cap)
		return 0;
	size_t cap = w->cap ? w->cap : 4096;
	while (cap < w->len + n)
		cap *= 2;
	uint8_t *nb = realloc(w->buf, cap);
	if (nb == NULL) {
		w->err = 1;
		return -1;
	}
	w->buf = nb;
	w->cap = cap;
	return 0;
}

static void
w_u8(struct vgp_writer *w, uint8_t v)
{
	if (w_room(w, 1) == 0)
		w->buf[w->len++] = v;
}

static void
w_u16(struct vgp_writer *w, uint16_t v)
{
	if (w_room(w, 2) == 0) {
		vg_store_be16(w->buf + w->len, v);
		w->len += 2;
	}
}

static void
w_u32(struct vgp_writer *w, uint32_t v)
{
	if (w_room(w, 4) == 0) {
		vg_store_be32(w->buf + w->len, v);
		w->len += 4;
	}
}

static void
w_u64(struct vgp_writer *w, uint64_t v)
{
	w_u32(w, (uint32_t)(v >> 32));
	w_u32(w, (uint32_t)v);
}

static void
w_bytes(struct vgp_writer *w, const void *p, size_t n)
{
	if (n && w_room(w, n) == 0) {
		memcpy(w->buf + w->len, p, n);
		w->len += n;
	}
}

static void
w_prefix(struct vgp_writer *w, const struct vg_prefix *p)
{
	w_u8(w, p->afi);
	w_u8(w, p->len);
	w_bytes(w, p->addr, (p->len + 7u) / 8);
}

static void
w_peer_id(struct vgp_writer *w, const struct vgp_rec *r)
{
	size_t n = strnlen(r->collector, sizeof(r->collector) - 1);
	w_u16(w, r->peer);
	w_u8(w, (uint8_t)n);
	w_bytes(w, r->collector, n);
	w_u8(w, r->addr.afi);
	w_bytes(w, r->addr.addr, 16);
	w_u32(w, r->asn);
}

/* Encode R's payload at the end of the buffer. */
static void
encode(struct vgp_writer *w, const struct vgp_rec *r)
{
	uint64_t bits;

	switch (r->type) {
	case VGP_HDR:
		w_u32(w, r->hdr.version);
		w_u32(w, r->hdr.bin_len);
		w_u32(w, r->hdr.full_v4);
		w_u32(w, r->hdr.full_v6);
		w_u32(w, r->hdr.stale_grace);
		memcpy(&bits, &r->hdr.visible_ratio, 8);
		w_u64(w, bits);
		w_u8(w, r->hdr.min_len_v4);
		w_u8(w, r->hdr.min_len_v6);
		w_u8(w, r->hdr.asn_entities);
		break;
	case VGP_BIN:
		w_u32(w, r->bin_start);
		break;
	case VGP_PEER:
		w_peer_id(w, r);
		break;
	case VGP_PEERSTATE:
		w_u16(w, r->peer);
		w_u32(w, r->n_v4);
		w_u32(w, r->n_v6);
		w_u8(w, r->full_v4);
		w_u8(w, r->full_v6);
		w_u8(w, r->up);
		w_u32(w, r->last_change);
		break;
	case VGP_FULL:
		w_u8(w, r->afi);
		w_u32(w, r->nasn);
		w_bytes(w, r->asns, (size_t)r->nasn * 4);
		break;
	case VGP_PFX:
		w_prefix(w, &r->prefix);
		w_u8(w, r->flags);
		w_u32(w, r->nasn);
		w_bytes(w, r->asns, (size_t)r->nasn * 4);
		w_u8(w, r->nmemb);
		for (unsigned i = 0; i < r->nmemb && i < VGP_MAX_MEMB; i++)
			w_u64(w, r->memb[i]);
		if (r->flags & VGP_SAMPLE) {
			w_u16(w, r->sample_peer);
			w_u32(w, r->path_nasn);
			w_u32(w, r->path_nseg);
			w_bytes(w, r->path,
			        ((size_t)r->path_nasn + r->path_nseg) * 4);
		}
		break;
	case VGP_CNT:
		w_u64(w, r->ent);
		w_u32(w, r->ann);
		w_u32(w, r->wd);
		w_u32(w, r->pc);
		w_u32(w, r->flap_events);
		break;
	case VGP_FLAP:
		w_prefix(w, &r->prefix);
		w_u64(w, r->ent);
		w_u8(w, r->flags);
		break;
	case VGP_TOUCH:
		w_prefix(w, &r->prefix);
		break;
	default:
		break;
	}
}

int
vgp_write(struct vgp_writer *w, const struct vgp_rec *r)
{
	size_t start = w->len;
	w_u8(w, r->type);
	w_u32(w, 0);
	encode(w, r);
	if (w->err)
		return -1;
	vg_store_be32(w->buf + start + 1, (uint32_t)(w->len - start - 5));
	if (w->len >= (1u << 20)) {
		if (fwrite(w->buf, 1, w->len, w->f) != w->len)
			w->err = 1;
		w->bytes += w->len;
		w->len = 0;
	}
	return w->err ? -1 : 0;
}

struct vgp_writer *
vgp_writer_new(FILE *f, const struct vgp_hdr *h)
{
	struct vgp_writer *w = calloc(1, sizeof(*w));
	struct vgp_rec r;
	if (w == NULL)
		return NULL;
	w->f = f;
	w_bytes(w, VGP_MAGIC, 8);
	memset(&r, 0, sizeof(r));
	r.type = VGP_HDR;
	r.hdr = *h;
	r.hdr.version = VGP_VERSION;
	if (vgp_write(w, &r) < 0) {
		vgp_writer_free(w);
		return NULL;
	}
	return w;
}

int
vgp_writer_finish(struct vgp_writer *w)
{
	struct vgp_rec r;
	memset(&r, 0, sizeof(r));
	r.type = VGP_END;
	vgp_write(w, &r);
	if (w->len && fwrite(w->buf, 1, w->len, w->f) != w->len)
		w->err = 1;
	w->bytes += w->len;
	w->len = 0;
	if (fflush(w->f) != 0)
		w->err = 1;
	return w->err ? -1 : 0;
}

void
vgp_writer_free(struct vgp_writer *w)
{
	if (w == NULL)
		return;
	free(w->buf);
	free(w);
}

uint64_t
vgp_writer_bytes(const struct vgp_writer *w)
{
	return w->bytes + w->len;
}

/* ---- reading ----------------------------------------------------------- */

struct vgp_reader {
	FILE *f;
	char name[256];
	uint8_t *buf;
	size_t cap;
	uint64_t off;
	int ended;
	char err[1024];
};

#define BAD(...)                                                              \
	do {                                                                  \
		snprintf(err, errlen, __VA_ARGS__);                           \
		return -1;                                                    \
	} while (0)

static int
get_prefix(struct vg_cursor *c, struct vg_prefix *p, char *err,
           size_t errlen)
{
	uint8_t afi, len;
	memset(p, 0, sizeof(*p));
	if (vg_cur_get_u8(c, &afi) < 0 || vg_cur_get_u8(c, &len) < 0)
		BAD("truncated prefix");
	if (afi != VG_AFI_IP4 && afi != VG_AFI_IP6)
		BAD("prefix address family %u", afi);
	if (len > (afi == VG_AFI_IP4 ? 32 : 128))
		BAD("prefix length %u", len);
	if (vg_cur_get_bytes(c, p->addr, (len + 7u) / 8) < 0)
		BAD("truncated prefix");
	if (len % 8)
		p->addr[len / 8] &= (uint8_t)(0xff00 >> (len % 8));
	p->afi = afi;
	p->safi = VG_SAFI_UNICAST;
	p->len = len;
	return 0;
}

static int
get_u64(struct vg_cursor *c, uint64_t *v)
{
	uint32_t hi, lo;
	if (vg_cur_get_u32(c, &hi) < 0 || vg_cur_get_u32(c, &lo) < 0)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

/* N big-endian u32 at the cursor, checked against what is left. */
static int
get_u32s(struct vg_cursor *c, uint32_t n, const uint8_t **out)
{
	if ((uint64_t)n * 4 > vg_cur_left(c))
		return -1;
	return vg_cur_get_ptr(c, (size_t)n * 4, out);
}

/* Entity keys: kind 1..3 (country, origin AS, upstream) in the top 16
 * bits. */
static int
key_ok(uint64_t k)
{
	unsigned kind = (unsigned)(k >> 48);
	return kind >= 1 && kind <= 3;
}

int
vgp_decode(uint8_t type, const uint8_t *p, size_t len, struct vgp_rec *out,
           char *err, size_t errlen)
{
	struct vg_cursor c;
	uint64_t bits;
	uint8_t n8;

	memset(out, 0, sizeof(*out));
	out->type = type;
	vg_cur_init(&c, p, len);
	switch (type) {
	case VGP_HDR:
		if (vg_cur_get_u32(&c, &out->hdr.version) < 0 ||
		    vg_cur_get_u32(&c, &out->hdr.bin_len) < 0 ||
		    vg_cur_get_u32(&c, &out->hdr.full_v4) < 0 ||
		    vg_cur_get_u32(&c, &out->hdr.full_v6) < 0 ||
		    vg_cur_get_u32(&c, &out->hdr.stale_grace) < 0 ||
		    get_u64(&c, &bits) < 0 ||
		    vg_cur_get_u8(&c, &out->hdr.min_len_v4) < 0 ||
		    vg_cur_get_u8(&c, &out->hdr.min_len_v6) < 0 ||
		    vg_cur_get_u8(&c, &out->hdr.asn_entities) < 0)
			BAD("truncated header");
		memcpy(&out->hdr.visible_ratio, &bits, 8);
		if (out->hdr.version != VGP_VERSION)
			BAD("format version %u (this vigil reads %u)",
			    out->hdr.version, VGP_VERSION);
		if (out->hdr.bin_len < 1 ||
		    !(out->hdr.visible_ratio > 0 && out->hdr.visible_ratio <= 1))
			BAD("bad bin length or visible ratio in the header");
		break;
	case VGP_BIN:
		if (vg_cur_get_u32(&c, &out->bin_start) < 0)
			BAD("truncated bin record");
		break;
	case VGP_PEER:
		if (vg_cur_get_u16(&c, &out->peer) < 0 ||
		    vg_cur_get_u8(&c, &n8) < 0)
			BAD("truncated peer record");
		if (n8 > 31)
			BAD("collector name of %u bytes (31 at most)", n8);
		if (vg_cur_get_bytes(&c, out->collector, n8) < 0 ||
		    vg_cur_get_u8(&c, &out->addr.afi) < 0 ||
		    vg_cur_get_bytes(&c, out->addr.addr, 16) < 0 ||
		    vg_cur_get_u32(&c, &out->asn) < 0)
			BAD("truncated peer record");
		out->collector[n8] = '\0';
		if (memchr(out->collector, '\0', n8) != NULL)
			BAD("NUL in a collector name");
		if (out->addr.afi > VG_AFI_IP6)
			BAD("peer address family %u", out->addr.afi);
		break;
	case VGP_PEERSTATE:
		if (vg_cur_get_u16(&c, &out->peer) < 0 ||
		    vg_cur_get_u32(&c, &out->n_v4) < 0 ||
		    vg_cur_get_u32(&c, &out->n_v6) < 0 ||
		    vg_cur_get_u8(&c, &out->full_v4) < 0 ||
		    vg_cur_get_u8(&c, &out->full_v6) < 0 ||
		    vg_cur_get_u8(&c, &out->up) < 0 ||
		    vg_cur_get_u32(&c, &out->last_change) < 0)
			BAD("truncated peer state record");
		break;
	case VGP_FULL:
		if (vg_cur_get_u8(&c, &out->afi) < 0 ||
		    vg_cur_get_u32(&c, &out->nasn) < 0)
			BAD("truncated full-feed record");
		if (out->afi != VG_AFI_IP4 && out->afi != VG_AFI_IP6)
			BAD("full-feed address family %u", out->afi);
		if (get_u32s(&c, out->nasn, &out->asns) < 0)
			BAD("full-feed record: %u ASNs do not fit", out->nasn);
		break;
	case VGP_PFX:
		if (get_prefix(&c, &out->prefix, err, errlen) < 0)
			return -1;
		if (vg_cur_get_u8(&c, &out->flags) < 0 ||
		    vg_cur_get_u32(&c, &out->nasn) < 0)
			BAD("truncated prefix record");
		if (get_u32s(&c, out->nasn, &out->asns) < 0)
			BAD("prefix record: %u ASNs do not fit", out->nasn);
		if (vg_cur_get_u8(&c, &out->nmemb) < 0)
			BAD("truncated prefix record");
		if (out->nmemb > VGP_MAX_MEMB)
			BAD("prefix record: %u memberships (%u at most)",
			    out->nmemb, VGP_MAX_MEMB);
		for (unsigned i = 0; i < out->nmemb; i++) {
			if (get_u64(&c, &out->memb[i]) < 0)
				BAD("truncated prefix record");
			if (!key_ok(out->memb[i]))
				BAD("prefix record: entity key of kind %u",
				    (unsigned)(out->memb[i] >> 48));
		}
		if (out->flags & VGP_SAMPLE) {
			if (vg_cur_get_u16(&c, &out->sample_peer) < 0 ||
			    vg_cur_get_u32(&c, &out->path_nasn) < 0 ||
			    vg_cur_get_u32(&c, &out->path_nseg) < 0)
				BAD("truncated prefix record");
			if (out->path_nasn > 65535 || out->path_nseg > 256)
				BAD("sample path of %u ASNs, %u segments",
				    out->path_nasn, out->path_nseg);
			if (get_u32s(&c, out->path_nasn + out->path_nseg,
			             &out->path) < 0)
				BAD("prefix record: the sample path does not "
				    "fit");
		}
		if (out->flags & ~(VGP_PRESENT | VGP_COUNTS | VGP_SAMPLE))
			BAD("prefix record: unknown flags 0x%02x", out->flags);
		break;
	case VGP_CNT:
		if (get_u64(&c, &out->ent) < 0 ||
		    vg_cur_get_u32(&c, &out->ann) < 0 ||
		    vg_cur_get_u32(&c, &out->wd) < 0 ||
		    vg_cur_get_u32(&c, &out->pc) < 0 ||
		    vg_cur_get_u32(&c, &out->flap_events) < 0)
			BAD("truncated counter record");
		if (!key_ok(out->ent))
			BAD("counter record: entity key of kind %u",
			    (unsigned)(out->ent >> 48));
		break;
	case VGP_FLAP:
		if (get_prefix(&c, &out->prefix, err, errlen) < 0)
			return -1;
		if (get_u64(&c, &out->ent) < 0 ||
		    vg_cur_get_u8(&c, &out->flags) < 0)
			BAD("truncated flap record");
		if (out->flags & ~(VGP_FLAPPED | VGP_UNSTABLE))
			BAD("flap record: unknown flags 0x%02x", out->flags);
		if (!key_ok(out->ent))
			BAD("flap record: entity key of kind %u",
			    (unsigned)(out->ent >> 48));
		break;
	case VGP_TOUCH:
		if (get_prefix(&c, &out->prefix, err, errlen) < 0)
			return -1;
		break;
	case VGP_END:
		break;
	default:
		BAD("unknown record type %u", type);
	}
	if (vg_cur_left(&c) != 0)
		BAD("%zu bytes left over in a record of type %u",
		    vg_cur_left(&c), type);
	return 0;
}

/* Read one framed record into the buffer: 1, 0 at a clean end of file,
 * -1 on error. */
static int
read_frame(struct vgp_reader *r, uint8_t *type, uint32_t *len)
{
	uint8_t h[5];
	size_t got = fread(h, 1, 5, r->f);
	if (got == 0 && feof(r->f))
		return 0;
	if (got != 5) {
		snprintf(r->err, sizeof(r->err),
		         "%s: truncated record header at byte %llu", r->name,
		         (unsigned long long)r->off);
		return -1;
	}
	*type = h[0];
	*len = vg_load_be32(h + 1);
	if (*len > VGP_MAX_REC) {
		snprintf(r->err, sizeof(r->err),
		         "%s: record of %u bytes at byte %llu (%u at most)",
		         r->name, *len, (unsigned long long)r->off, VGP_MAX_REC);
		return -1;
	}
	if (*len > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		while (cap < *len)
			cap *= 2;
		uint8_t *nb = realloc(r->buf, cap);
		if (nb == NULL) {
			snprintf(r->err, sizeof(r->err), "out of memory");
			return -1;
		}
		r->buf = nb;
		r->cap = cap;
	}
	if (fread(r->buf, 1, *len, r->f) != *len) {
		snprintf(r->err, sizeof(r->err),
		         "%s: record at byte %llu truncated (%u bytes declared)",
		         r->name, (unsigned long long)r->off, *len);
		return -1;
	}
	return 1;
}

int
vgp_next(struct vgp_reader *r, struct vgp_rec *out)
{
	uint8_t type;
	uint32_t len;
	char why[256];

	if (r->ended)
		return 0;
	int rc = read_frame(r, &type, &len);
	if (rc == 0) {
		snprintf(r->err, sizeof(r->err),
		         "%s: ends at byte %llu without its END record "
		         "(an interrupted run?)",
		         r->name, (unsigned long long)r->off);
		return -1;
	}
	if (rc < 0)
		return -1;
	if (vgp_decode(type, r->buf, len, out, why, sizeof(why)) < 0) {
		snprintf(r->err, sizeof(r->err), "%s: record at byte %llu: %s",
		         r->name, (unsigned long long)r->off, why);
		return -1;
	}
	if (type == VGP_HDR) {
		snprintf(r->err, sizeof(r->err),
		         "%s: a second header at byte %llu", r->name,
		         (unsigned long long)r->off);
		return -1;
	}
	r->off += 5 + (uint64_t)len;
	if (type == VGP_END) {
		r->ended = 1;
		return 0;
	}
	return 1;
}

struct vgp_reader *
vgp_reader_new(FILE *f, const char *name, struct vgp_hdr *h, char *err,
               size_t errlen)
{
	struct vgp_reader *r = calloc(1, sizeof(*r));
	char magic[8];
	uint8_t type;
	uint32_t len;
	struct vgp_rec rec;
	char why[256];

	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->f = f;
	snprintf(r->name, sizeof(r->name), "%s", name);
	if (fread(magic, 1, 8, f) != 8 || memcmp(magic, VGP_MAGIC, 8) != 0) {
		snprintf(err, errlen, "%s: not a vigil partial file (no %s magic)",
		         name, "VGPART1");
		vgp_reader_free(r);
		return NULL;
	}
	r->off = 8;
	int rc = read_frame(r, &type, &len);
	if (rc <= 0 || type != VGP_HDR ||
	    vgp_decode(type, r->buf, len, &rec, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: bad or missing header: %s", name,
		         rc < 0 ? r->err
		         : rc == 0 || type != VGP_HDR ? "not the first record"
		                                      : why);
		vgp_reader_free(r);
		return NULL;
	}
	r->off += 5 + (uint64_t)len;
	*h = rec.hdr;
	return r;
}

const char *
vgp_reader_error(const struct vgp_reader *r)
{
	return r->err;
}

void
vgp_reader_free(struct vgp_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}
