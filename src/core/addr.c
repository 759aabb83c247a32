/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Address and prefix text: formatting on the hot output path (no snprintf,
 * no locale) and parsing for filters and configuration.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/addr.h"

/* Two-digit lookup table: 00..99 */
static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

static inline size_t
u32_digits(uint32_t v)
{
	if (v < 100000)
		return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : 5;
	return v < 1000000      ? 6
	       : v < 10000000   ? 7
	       : v < 100000000  ? 8
	       : v < 1000000000 ? 9
	                        : 10;
}

/* Count the digits first, then fill from the right two at a time. */
size_t
vg_u32_fmt(char *buf, uint32_t v)
{
	size_t n = u32_digits(v), i = n;

	while (v >= 100) {
		uint32_t r = v % 100;
		v /= 100;
		buf[--i] = digits2[r * 2 + 1];
		buf[--i] = digits2[r * 2];
	}
	if (v >= 10) {
		buf[--i] = digits2[v * 2 + 1];
		buf[--i] = digits2[v * 2];
	} else {
		buf[--i] = (char)('0' + v);
	}
	return n;
}

static size_t
u8_fmt(char *buf, unsigned v)
{
	if (v >= 100) {
		buf[0] = (char)('0' + v / 100);
		buf[1] = digits2[(v % 100) * 2];
		buf[2] = digits2[(v % 100) * 2 + 1];
		return 3;
	}
	if (v >= 10) {
		buf[0] = digits2[v * 2];
		buf[1] = digits2[v * 2 + 1];
		return 2;
	}
	buf[0] = (char)('0' + v);
	return 1;
}

/* "0.", "1.", ... "255." with their lengths, built once. */
static char octet_txt[256][4];
static uint8_t octet_len[256];

__attribute__((constructor)) static void
octets_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		char t[4];
		size_t n = u8_fmt(t, v);
		memcpy(octet_txt[v], t, n);
		octet_txt[v][n] = '.';
		octet_len[v] = (uint8_t)n;
	}
}

size_t
vg_ip4_fmt(char *buf, const uint8_t a[4])
{
	size_t n = 0;

	/* Copy four bytes each time (digits and the dot); the next copy
	 * overwrites what is past the octet. */
	memcpy(buf, octet_txt[a[0]], 4);
	n += octet_len[a[0]] + 1u;
	memcpy(buf + n, octet_txt[a[1]], 4);
	n += octet_len[a[1]] + 1u;
	memcpy(buf + n, octet_txt[a[2]], 4);
	n += octet_len[a[2]] + 1u;
	memcpy(buf + n, octet_txt[a[3]], 4);
	return n + octet_len[a[3]];
}

static size_t
hex16_fmt(char *buf, unsigned w)
{
	static const char hx[] = "0123456789abcdef";
	size_t n = 0;
	int started = 0;
	for (int shift = 12; shift >= 0; shift -= 4) {
		unsigned d = (w >> shift) & 0xf;
		if (d || started || shift == 0) {
			buf[n++] = hx[d];
			started = 1;
		}
	}
	return n;
}

/*
 * Mirrors glibc inet_ntop6(): the longest run (first on ties) of two or
 * more zero words becomes "::"; an IPv4-compatible or -mapped address gets a
 * dotted quad tail.
 */
size_t
vg_ip6_fmt(char *buf, const uint8_t a[16])
{
	unsigned w[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;
	size_t n = 0;

	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i < 8; i++) {
		if (w[i] == 0) {
			if (cur < 0) {
				cur = i;
				cur_len = 1;
			} else {
				cur_len++;
			}
		} else if (cur >= 0) {
			if (best < 0 || cur_len > best_len) {
				best = cur;
				best_len = cur_len;
			}
			cur = -1;
		}
	}
	if (cur >= 0 && (best < 0 || cur_len > best_len)) {
		best = cur;
		best_len = cur_len;
	}
	if (best >= 0 && best_len < 2)
		best = -1;

	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				buf[n++] = ':';
			continue;
		}
		if (i != 0)
			buf[n++] = ':';
		if (i == 6 && best == 0 &&
		    (best_len == 6 || (best_len == 7 && w[7] != 0x0001) ||
		     (best_len == 5 && w[5] == 0xffff))) {
			n += vg_ip4_fmt(buf + n, a + 12);
			return n;
		}
		n += hex16_fmt(buf + n, w[i]);
	}
	if (best >= 0 && best + best_len == 8)
		buf[n++] = ':';
	return n;
}

size_t
vg_addr_fmt(char *buf, const struct vg_addr *a)
{
	if (a->afi == VG_AFI_IP6)
		return vg_ip6_fmt(buf, a->addr);
	return vg_ip4_fmt(buf, a->addr);
}

size_t
vg_prefix_fmt(char *buf, const struct vg_prefix *p)
{
	size_t n = p->afi == VG_AFI_IP6 ? vg_ip6_fmt(buf, p->addr)
	                                : vg_ip4_fmt(buf, p->addr);
	buf[n++] = '/';
	n += u8_fmt(buf + n, p->len);
	return n;
}

const char *
vg_addr_str(const struct vg_addr *a, char buf[VG_ADDR_STRLEN])
{
	buf[vg_addr_fmt(buf, a)] = '\0';
	return buf;
}

const char *
vg_prefix_str(const struct vg_prefix *p, char buf[VG_PREFIX_STRLEN])
{
	buf[vg_prefix_fmt(buf, p)] = '\0';
	return buf;
}

int
vg_addr_parse(struct vg_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->afi = VG_AFI_IP4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->addr) == 1) {
		a->afi = VG_AFI_IP6;
		return 0;
	}
	return -1;
}

void
vg_addr_mask(uint8_t *addr, unsigned len, unsigned nbytes)
{
	unsigned full = len / 8;
	if (full < nbytes) {
		if (len % 8)
			addr[full++] &= (uint8_t)(0xff00u >> (len % 8));
		memset(addr + full, 0, nbytes - full);
	}
}

int
vg_prefix_parse(struct vg_prefix *p, const char *s, int mask)
{
	char tmp[VG_PREFIX_STRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	struct vg_addr a;
	unsigned max, len;

	if (alen >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, alen);
	tmp[alen] = '\0';
	if (vg_addr_parse(&a, tmp) < 0)
		return -1;
	max = a.afi == VG_AFI_IP4 ? 32 : 128;
	len = max;
	if (slash) {
		char *end;
		unsigned long v;
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		v = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || v > max)
			return -1;
		len = (unsigned)v;
	}
	memset(p, 0, sizeof(*p));
	p->afi = a.afi;
	p->safi = VG_SAFI_UNICAST;
	p->len = (uint8_t)len;
	memcpy(p->addr, a.addr, 16);
	if (mask) {
		vg_addr_mask(p->addr, len, 16);
	} else {
		uint8_t chk[16];
		memcpy(chk, p->addr, 16);
		vg_addr_mask(chk, len, 16);
		if (memcmp(chk, p->addr, 16) != 0)
			return -1;
	}
	return 0;
}

int
vg_prefix_covers(const struct vg_prefix *outer, const struct vg_prefix *inner)
{
	uint8_t tmp[16];

	if (outer->afi != inner->afi || outer->len > inner->len)
		return 0;
	memcpy(tmp, inner->addr, 16);
	vg_addr_mask(tmp, outer->len, 16);
	return memcmp(tmp, outer->addr, 16) == 0;
}
