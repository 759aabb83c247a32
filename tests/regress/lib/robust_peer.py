#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Misbehaving and hard-working BGP peers for `vigil collect`'s robustness
tests (tests/regress/once/collect_robust.sh); message builders come from
bgp_peer.py.

  robust_peer.py hex NAME
      print a malformed message as hex (for `bgp_peer.py ... raw HEX`):
      badmarker, shortlen, longlen, badtype, aspath-overrun, med-length,
      dup-origin, dup-mpreach, nh-length
  robust_peer.py flaps SRC PORT ASN N OUT
      N sessions one after the other: OPEN, wait for the collector's OPEN
      and KEEPALIVE, announce 10.X.Y.0/24 (unique per session, 64500 ORIGIN)
      and end the session (odd: Cease NOTIFICATION, even: TCP close right
      after the UPDATE), waiting for the collector to close its side.  Writes the announced prefixes to OUT.
  robust_peer.py stall SRC PORT ASN SECONDS [hold=N]
      OPEN with a tiny receive buffer, then never reads again and sends
      nothing more; exits 0 when the collector closed the session within
      SECONDS (hold timer), 1 otherwise.
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bgp_peer import MARKER, attr, msg, nlri, open_msg, update  # noqa: E402


def base_attrs(path=(64500,), nh="10.255.0.9"):
    return (attr(0x40, 1, b"\x00")
            + attr(0x40, 2, struct.pack("!BB", 2, len(path)) + b"".join(struct.pack("!I", a) for a in path))
            + attr(0x40, 3, socket.inet_aton(nh)))


def upd(attrs, pfx):
    body = struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs + b"".join(nlri(p) for p in pfx)
    return msg(2, body)


def hexmsg(name):
    ka = msg(4, b"")
    if name == "badmarker":
        return b"\xff" * 15 + b"\xfe" + ka[16:]
    if name == "shortlen":
        return MARKER + struct.pack("!HB", 18, 4)
    if name == "longlen":
        return MARKER + struct.pack("!HB", 5000, 2) + b"\x00" * (5000 - 19)
    if name == "badtype":
        return MARKER + struct.pack("!HB", 19, 9)
    if name == "aspath-overrun":
        # AS_SEQUENCE says 5 ASNs, carries 1 (RFC 7606 7.2: treat-as-withdraw)
        a = (attr(0x40, 1, b"\x00") + attr(0x40, 2, struct.pack("!BBI", 2, 5, 64500))
             + attr(0x40, 3, socket.inet_aton("10.255.0.9")))
        return upd(a, ["198.51.100.0/24"])
    if name == "med-length":
        # MULTI_EXIT_DISC of 3 octets (RFC 7606 7.4: treat-as-withdraw)
        return upd(base_attrs() + attr(0x80, 4, b"\x00\x00\x01"), ["198.51.101.0/24"])
    if name == "nh-length":
        # NEXT_HOP of 3 octets (RFC 7606 7.3: treat-as-withdraw)
        a = (attr(0x40, 1, b"\x00") + attr(0x40, 2, struct.pack("!BBI", 2, 1, 64500))
             + attr(0x40, 3, b"\x0a\xff\x00"))
        return upd(a, ["198.51.102.0/24"])
    if name == "dup-origin":
        # ORIGIN twice (RFC 7606 3.g: all but the first discarded; route kept)
        return upd(base_attrs() + attr(0x40, 1, b"\x02"), ["198.51.103.0/24"])
    if name == "dup-mpreach":
        # MP_REACH_NLRI twice (RFC 7606 3.g: session reset, 3/1)
        nh6 = socket.inet_pton(socket.AF_INET6, "2001:db8:ffff::9")
        mp = attr(0x80, 14, struct.pack("!HBB", 2, 1, 16) + nh6 + b"\x00" + nlri("2001:db8:9::/48"))
        a = attr(0x40, 1, b"\x00") + attr(0x40, 2, struct.pack("!BBI", 2, 1, 64500)) + mp + mp
        return upd(a, [])
    raise SystemExit("robust_peer: unknown message " + name)


def recv_msgs(s, want, timeout):
    """Read until messages of every type in WANT arrived; True if they did,
    False on timeout or when the collector closed the connection."""
    end = time.time() + timeout
    buf = b""
    want = set(want)
    s.settimeout(0.2)
    while time.time() < end:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        if not d:
            return False
        buf += d
        while len(buf) >= 19:
            ln = struct.unpack_from("!H", buf, 16)[0]
            if len(buf) < ln:
                break
            want.discard(buf[18])
            buf = buf[ln:]
        if not want:
            return True
    return False


def flaps(src, port, asn, n, out):
    sent = []
    for i in range(n):
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        s.sendall(open_msg(asn, 90, src))
        if not recv_msgs(s, (1, 4), 10):
            raise SystemExit("robust_peer: session %d: no OPEN and KEEPALIVE from the collector" % i)
        s.sendall(msg(4, b""))
        p = "10.%d.%d.0/24" % (i >> 8, i & 255)
        s.sendall(upd(base_attrs((64500,)), [p]))
        sent.append(p)
        if i % 2:
            s.sendall(msg(3, bytes([6, 2])))
        s.shutdown(socket.SHUT_WR)
        # wait until the collector closed its side too: had the next
        # session come first, RFC 4271 collision resolution could close
        # this one before its UPDATE was read
        recv_msgs(s, (255,), 10)
        s.close()
    with open(out, "w") as f:
        f.writelines(p + "\n" for p in sent)
    return 0


def stall(src, port, asn, secs, hold):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(open_msg(asn, hold, src) + msg(4, b""))
    # never read; wait for the collector to close (RST or FIN)
    end = time.time() + secs
    while time.time() < end:
        time.sleep(0.2)
        try:
            # a send fails once the collector reset the connection; a FIN
            # alone shows as a zero-length peek only after reading, so
            # peek without consuming what is queued
            d = s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            if d == b"":
                return 0
        except BlockingIOError:
            pass
        except OSError:
            return 0
        # is the stream closed behind the unread data? TCP_INFO state
        st = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]
        if st in (8, 7):  # TCP_CLOSE_WAIT, TCP_CLOSE
            return 0
    return 1


def main(a):
    if len(a) >= 3 and a[1] == "hex":
        print(hexmsg(a[2]).hex())
        return 0
    if len(a) == 7 and a[1] == "flaps":
        return flaps(a[2], int(a[3]), int(a[4]), int(a[5]), a[6])
    if len(a) >= 6 and a[1] == "stall":
        hold = int(a[6].split("=")[1]) if len(a) > 6 else 3
        return stall(a[2], int(a[3]), int(a[4]), float(a[5]), hold)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
