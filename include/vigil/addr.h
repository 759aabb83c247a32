/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Addresses and prefixes as vigil passes them around: fixed-size values
 * (no pointers), IPv4 in the first 4 bytes of a 16-byte array, plus the
 * fast text formatters every output path uses.  The IPv6 formatter produces
 * exactly what glibc's inet_ntop() does (RFC 5952 compression, embedded
 * IPv4 for ::ffff:a.b.c.d and ::a.b.c.d), so output matches bgpdump's.
 */
#ifndef VIGIL_ADDR_H
#define VIGIL_ADDR_H

#include <stddef.h>
#include <stdint.h>

#define VG_AFI_IP4 1
#define VG_AFI_IP6 2

#define VG_SAFI_UNICAST 1
#define VG_SAFI_MULTICAST 2

struct vg_addr {
	uint8_t afi; /* VG_AFI_IP4, VG_AFI_IP6, or 0 = none */
	uint8_t addr[16];
};

struct vg_prefix {
	uint8_t afi;  /* VG_AFI_IP4 / VG_AFI_IP6 */
	uint8_t safi; /* VG_SAFI_UNICAST / VG_SAFI_MULTICAST / other */
	uint8_t len;  /* prefix length in bits, <= 32 or 128 */
	uint8_t addr[16]; /* network bytes, host bits zero */
};

/* Longest text vg_addr_fmt/vg_prefix_fmt write, with the NUL. */
#define VG_ADDR_STRLEN 46
#define VG_PREFIX_STRLEN 50

/* Write the text of a 4- or 16-byte address into BUF (no NUL); return the
 * number of bytes written.  BUF needs VG_ADDR_STRLEN bytes (the IPv4
 * formatter may scribble up to 16 bytes, past the returned length). */
size_t vg_ip4_fmt(char *buf, const uint8_t a[4]);
size_t vg_ip6_fmt(char *buf, const uint8_t a[16]);
size_t vg_addr_fmt(char *buf, const struct vg_addr *a);

/* "a.b.c.d/len" or "x::/len" (no NUL); returns the length. */
size_t vg_prefix_fmt(char *buf, const struct vg_prefix *p);

/* Same as above, NUL-terminated, for printf-style callers. */
const char *vg_addr_str(const struct vg_addr *a, char buf[VG_ADDR_STRLEN]);
const char *vg_prefix_str(const struct vg_prefix *p,
                          char buf[VG_PREFIX_STRLEN]);

/* Parse "a.b.c.d" / IPv6 text into A; 0 on success, -1 if not an address. */
int vg_addr_parse(struct vg_addr *a, const char *s);

/* Parse "addr/len" (a bare address means a host route); host bits must be
 * zero unless MASK is set, in which case they are cleared.  0 / -1. */
int vg_prefix_parse(struct vg_prefix *p, const char *s, int mask);

/* Does prefix OUTER cover INNER (same family, outer->len <= inner->len)? */
int vg_prefix_covers(const struct vg_prefix *outer,
                     const struct vg_prefix *inner);

/* Clear the bits of ADDR beyond LEN (bits) in a buffer of NBYTES bytes. */
void vg_addr_mask(uint8_t *addr, unsigned len, unsigned nbytes);

/* Decimal text of V (no NUL); returns the length (1..10). */
size_t vg_u32_fmt(char *buf, uint32_t v);

#endif
