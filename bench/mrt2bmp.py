#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Turn the BGP4MP UPDATEs of real MRT files into a BMP stream, as a router
monitoring those sessions would send it: an Initiation, a Peer Up (with
OPENs carrying the 4-octet AS capability when the record is AS4) the first
time each peer is seen, then one Route Monitoring message per UPDATE with
the record's peer and time in the per-peer header (A flag for 2-byte AS
peers).  For bench/bmp.sh only.

usage: mrt2bmp.py OUT MRTFILE...   (plain, .gz or .bz2)
"""
import bz2
import gzip
import ipaddress
import struct
import sys


def opener(p):
    if p.endswith(".gz"):
        return gzip.open(p, "rb")
    if p.endswith(".bz2"):
        return bz2.open(p, "rb")
    return open(p, "rb")


def bmp(t, body):
    return struct.pack(">BIB", 3, 6 + len(body), t) + body


def peer_hdr(addr, asn, ts, as2):
    flags = (0x80 if len(addr) == 16 else 0) | (0x20 if as2 else 0)
    a = addr if len(addr) == 16 else b"\0" * 12 + addr
    bid = addr[-4:]
    return struct.pack(">BB8s16sI4sII", 0, flags, b"\0" * 8, a, asn, bid, ts, 0)


def open_msg(asn, bid, as4):
    caps = bytes([1, 4, 0, 1, 0, 1, 1, 4, 0, 2, 0, 1])
    if as4:
        caps += bytes([65, 4]) + struct.pack(">I", asn)
    opt = bytes([2, len(caps)]) + caps
    body = struct.pack(">BHH4sB", 4, asn if asn < 65536 else 23456, 90, bid,
                       len(opt)) + opt
    return b"\xff" * 16 + struct.pack(">HB", 19 + len(body), 1) + body


def main(out, files):
    seen = set()
    n = 0
    with open(out, "wb") as o:
        tlv = b"vigil bench"
        o.write(bmp(4, struct.pack(">HH", 2, len(tlv)) + tlv))
        for f in files:
            with opener(f) as fh:
                raw = fh.read()
            off = 0
            while off + 12 <= len(raw):
                ts, t, st, ln = struct.unpack(">IHHI", raw[off:off + 12])
                body = raw[off + 12:off + 12 + ln]
                off += 12 + ln
                if t == 17:
                    body = body[4:]
                elif t != 16:
                    continue
                if st not in (1, 4):
                    continue
                asz = 4 if st == 4 else 2
                pas = int.from_bytes(body[0:asz], "big")
                p = 2 * asz + 2
                afi = struct.unpack(">H", body[p:p + 2])[0]
                al = 4 if afi == 1 else 16
                paddr = body[p + 2:p + 2 + al]
                msg = body[p + 2 + 2 * al:]
                if len(msg) < 19 or msg[18] != 2:
                    continue
                key = (paddr, pas)
                if key not in seen:
                    seen.add(key)
                    la = b"\0" * 16
                    o.write(bmp(3, peer_hdr(paddr, pas, ts, asz == 2) + la +
                                struct.pack(">HH", 179, 40000) +
                                open_msg(65000, b"\x0a\0\0\x01", asz == 4) +
                                open_msg(pas, paddr[-4:], asz == 4)))
                o.write(bmp(0, peer_hdr(paddr, pas, ts, asz == 2) + msg))
                n += 1
    print("%d route monitoring messages, %d peers" % (n, len(seen)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
