/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An output buffer for text formatters: appends are inline memcpy into a
 * large buffer that is written to a file descriptor when it fills (or to
 * memory only, for tests: fd -1).  No stdio on the hot path.
 */
#ifndef VIGIL_OBUF_H
#define VIGIL_OBUF_H

#include <stddef.h>
#include <string.h>

struct vg_obuf {
	char *buf;
	size_t len, cap;
	int fd;    /* -1: keep everything in memory */
	int error; /* a write failed (errno saved in error) */
};

/* Set up an output buffer writing to FD (-1 = memory).  0 / -1 (ENOMEM). */
int vg_obuf_init(struct vg_obuf *o, int fd, size_t cap);
void vg_obuf_destroy(struct vg_obuf *o);

/* Write out what is buffered (fd mode).  0, or -1 on a write error. */
int vg_obuf_flush(struct vg_obuf *o);

/* Make room for N more bytes: flushes (fd) or grows (memory). */
int vg_obuf_reserve(struct vg_obuf *o, size_t n);

static inline void
vg_obuf_put(struct vg_obuf *o, const void *p, size_t n)
{
	if (o->cap - o->len < n && vg_obuf_reserve(o, n) < 0)
		return;
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static inline void
vg_obuf_putc(struct vg_obuf *o, char c)
{
	if (o->cap - o->len < 1 && vg_obuf_reserve(o, 1) < 0)
		return;
	o->buf[o->len++] = c;
}

static inline void
vg_obuf_puts(struct vg_obuf *o, const char *s)
{
	vg_obuf_put(o, s, strlen(s));
}

/* Decimal unsigned. */
void vg_obuf_u32(struct vg_obuf *o, unsigned long v);
void vg_obuf_u64(struct vg_obuf *o, unsigned long long v);

/* printf-style (slow path). */
void vg_obuf_printf(struct vg_obuf *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A JSON string literal (with quotes) of the N bytes at S. */
void vg_obuf_json_str(struct vg_obuf *o, const char *s, size_t n);

/* An address as a JSON string ("192.0.2.1", "2001:db8::1"); an IPv4
 * address given as its 4 bytes likewise. */
struct vg_addr;
void vg_obuf_json_addr(struct vg_obuf *o, const struct vg_addr *a);
void vg_obuf_json_ip4(struct vg_obuf *o, const unsigned char ip[4]);

#endif
