/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one bounds-checked cursor every wire decoder reads through (MRT, BGP,
 * BMP).  A cursor is a window [p, p+len) over borrowed bytes.  Every getter
 * checks the remaining length first; a failed read returns -1 and leaves the
 * cursor where it was, so the caller can report the offset of the problem.
 * Loads are memcpy-free big-endian byte assembly: no packed structs, no
 * alignment assumptions.  Nested TLVs are carved off with vg_cur_sub(), which
 * consumes the child's bytes from the parent before the child is parsed.
 */
#ifndef VIGIL_CURSOR_H
#define VIGIL_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct vg_cursor {
	const uint8_t *p; /* next byte */
	size_t len;       /* bytes left */
};

static inline void
vg_cur_init(struct vg_cursor *c, const void *p, size_t len)
{
	c->p = (const uint8_t *)p;
	c->len = len;
}

static inline size_t
vg_cur_left(const struct vg_cursor *c)
{
	return c->len;
}

static inline uint16_t
vg_load_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
vg_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
vg_load_be64(const uint8_t *p)
{
	return (uint64_t)vg_load_be32(p) << 32 | vg_load_be32(p + 4);
}

static inline void
vg_store_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline void
vg_store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
vg_store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline int
vg_cur_get_u8(struct vg_cursor *c, uint8_t *v)
{
	if (c->len < 1)
		return -1;
	*v = c->p[0];
	c->p++;
	c->len--;
	return 0;
}

static inline int
vg_cur_get_u16(struct vg_cursor *c, uint16_t *v)
{
	if (c->len < 2)
		return -1;
	*v = vg_load_be16(c->p);
	c->p += 2;
	c->len -= 2;
	return 0;
}

static inline int
vg_cur_get_u32(struct vg_cursor *c, uint32_t *v)
{
	if (c->len < 4)
		return -1;
	*v = vg_load_be32(c->p);
	c->p += 4;
	c->len -= 4;
	return 0;
}

/* Borrow N bytes: *OUT points into the buffer. */
static inline int
vg_cur_get_ptr(struct vg_cursor *c, size_t n, const uint8_t **out)
{
	if (c->len < n)
		return -1;
	*out = c->p;
	c->p += n;
	c->len -= n;
	return 0;
}

static inline int
vg_cur_get_bytes(struct vg_cursor *c, void *dst, size_t n)
{
	const uint8_t *src;
	if (vg_cur_get_ptr(c, n, &src) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		((uint8_t *)dst)[i] = src[i];
	return 0;
}

static inline int
vg_cur_skip(struct vg_cursor *c, size_t n)
{
	if (c->len < n)
		return -1;
	c->p += n;
	c->len -= n;
	return 0;
}

/* Carve the next N bytes into SUB and consume them from C. */
static inline int
vg_cur_sub(struct vg_cursor *c, size_t n, struct vg_cursor *sub)
{
	if (c->len < n)
		return -1;
	sub->p = c->p;
	sub->len = n;
	c->p += n;
	c->len -= n;
	return 0;
}

#endif
