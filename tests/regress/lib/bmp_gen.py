# SPDX-License-Identifier: BSD-2-Clause
"""Builders of made-up BMP v3 streams (RFC 7854) for the collector's tests:
messages, per-peer headers, Peer Up with its two OPENs, UPDATEs.  Import
with tests/regress/lib on sys.path."""
import socket
import struct
import time


def bmp(t, body):
    """A BMP message of type T."""
    return struct.pack("!BIB", 3, 6 + len(body), t) + body


def peer_hdr(addr, asn, flags=0):
    """A global-instance per-peer header for IPv4 peer ADDR, AS ASN."""
    a = b"\0" * 12 + socket.inet_aton(addr)
    return struct.pack("!BB8s16sI4sII", 0, flags, b"\0" * 8, a, asn,
                       socket.inet_aton(addr), int(time.time()), 0)


def bgp(t, body):
    """A BGP message of type T."""
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), t) + body


def cap(code, val):
    return struct.pack("!BB", code, len(val)) + val


MP4 = cap(1, struct.pack("!HBB", 1, 0, 1))  # multiprotocol IPv4 unicast


def AS4(n):
    return cap(65, struct.pack("!I", n))


def ADDPATH(mode):
    return cap(69, struct.pack("!HBB", 1, 1, mode))


def open_msg(my_as, bgp_id, caps):
    c = b"".join(caps)
    prm = struct.pack("!BB", 2, len(c)) + c
    return bgp(1, struct.pack("!BHH4sB", 4, my_as if my_as < 65536 else 23456,
                              180, socket.inet_aton(bgp_id), len(prm)) + prm)


def peer_up(addr, asn, flags, sent, rcvd):
    """Peer Up of ADDR/ASN: the router (192.0.2.250) sent SENT, got RCVD."""
    local = b"\0" * 12 + socket.inet_aton("192.0.2.250")
    return bmp(3, peer_hdr(addr, asn, flags) + local +
               struct.pack("!HH", 33000, 179) + sent + rcvd)


def attr(t, v):
    return struct.pack("!BBB", 0x40, t, len(v)) + v


def update(path, as_size, nlri, withdrawn=b""):
    """An UPDATE: ORIGIN IGP, AS_SEQUENCE PATH of AS_SIZE-byte ASNs and
    NEXT_HOP 192.0.2.1 when NLRI is given; WITHDRAWN routes."""
    fmt = "!H" if as_size == 2 else "!I"
    seg = struct.pack("!BB", 2, len(path)) + b"".join(struct.pack(fmt, a) for a in path)
    attrs = attr(1, b"\0") + attr(2, seg) + attr(3, socket.inet_aton("192.0.2.1")) if nlri else b""
    return bgp(2, struct.pack("!H", len(withdrawn)) + withdrawn +
               struct.pack("!H", len(attrs)) + attrs + nlri)
