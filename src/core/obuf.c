/* SPDX-License-Identifier: BSD-2-Clause */
/* Output buffering for the formatters (see include/vigil/obuf.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vigil/addr.h"
#include "vigil/obuf.h"

int
vg_obuf_init(struct vg_obuf *o, int fd, size_t cap)
{
	o->buf = malloc(cap ? cap : 1);
	o->len = 0;
	o->cap = cap ? cap : 1;
	o->fd = fd;
	o->error = 0;
	return o->buf ? 0 : -1;
}

void
vg_obuf_destroy(struct vg_obuf *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
}

int
vg_obuf_flush(struct vg_obuf *o)
{
	size_t off = 0;

	if (o->fd < 0 || o->error) {
		if (o->fd >= 0)
			o->len = 0;
		return o->error ? -1 : 0;
	}
	while (off < o->len) {
		ssize_t n = write(o->fd, o->buf + off, o->len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			o->error = errno ? errno : EIO;
			o->len = 0;
			return -1;
		}
		off += (size_t)n;
	}
	o->len = 0;
	return 0;
}

int
vg_obuf_reserve(struct vg_obuf *o, size_t n)
{
	if (o->cap - o->len >= n)
		return 0;
	if (o->fd >= 0) {
		if (vg_obuf_flush(o) < 0)
			return -1;
		if (o->cap >= n)
			return 0;
	}
	size_t ncap = o->cap * 2;
	char *nb;
	while (ncap - o->len < n)
		ncap *= 2;
	if ((nb = realloc(o->buf, ncap)) == NULL) {
		o->error = ENOMEM;
		return -1;
	}
	o->buf = nb;
	o->cap = ncap;
	return 0;
}

void
vg_obuf_u32(struct vg_obuf *o, unsigned long v)
{
	if (v > 0xffffffffUL) {
		vg_obuf_u64(o, v);
		return;
	}
	if (o->cap - o->len < 10 && vg_obuf_reserve(o, 10) < 0)
		return;
	o->len += vg_u32_fmt(o->buf + o->len, (uint32_t)v);
}

void
vg_obuf_u64(struct vg_obuf *o, unsigned long long v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%llu", v);
	vg_obuf_put(o, tmp, (size_t)n);
}

void
vg_obuf_printf(struct vg_obuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || vg_obuf_reserve(o, (size_t)n + 1) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(o->buf + o->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}

void
vg_obuf_json_str(struct vg_obuf *o, const char *s, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	vg_obuf_putc(o, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			vg_obuf_putc(o, '\\');
			vg_obuf_putc(o, (char)c);
		} else if (c < 0x20 || c >= 0x7f) {
			/* Non-ASCII is escaped byte-wise: output stays valid
			 * JSON whatever bytes came off the wire. */
			char esc[6] = {'\\', 'u', '0', '0', hx[c >> 4], hx[c & 15]};
			vg_obuf_put(o, esc, 6);
		} else {
			vg_obuf_putc(o, (char)c);
		}
	}
	vg_obuf_putc(o, '"');
}

void
vg_obuf_json_addr(struct vg_obuf *o, const struct vg_addr *a)
{
	char b[VG_ADDR_STRLEN];
	vg_obuf_putc(o, '"');
	vg_obuf_put(o, b, vg_addr_fmt(b, a));
	vg_obuf_putc(o, '"');
}

void
vg_obuf_json_ip4(struct vg_obuf *o, const unsigned char ip[4])
{
	char b[VG_ADDR_STRLEN];
	vg_obuf_putc(o, '"');
	vg_obuf_put(o, b, vg_ip4_fmt(b, ip));
	vg_obuf_putc(o, '"');
}
