#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A scripted BGP peer for testing `vigil collect` (stdlib only).

Connects from a chosen 127.0.0.0/8 source address to the collector, speaks
BGP from hand-built bytes (OPEN with capabilities, KEEPALIVE, UPDATE,
NOTIFICATION) and replays UPDATE messages taken from a real MRT file (the
BGP4MP_ET MESSAGE_AS4 records of a RIS full-table session).  Steps come
from the command line, run in order:

  open [hold=N] [as4=0] [addpath=1] [gr=T] [asn=N] [extmsg=1]
  established            wait for the collector's OPEN + KEEPALIVE
  mrt FILE [limit=N] [split=1] [rate=R]   send the UPDATEs of FILE (raw,
                         as recorded; split=1: one UPDATE per IPv4 prefix,
                         each with the attributes of the one it came from;
                         rate=R: R UPDATEs/s, each in its own send)
  announce PFX PATH [nh=A.B.C.D]   PATH like 64500,131279
  withdraw PFX[,PFX...]
  raw HEX                send these bytes as is
  badattr PFX            an UPDATE with a malformed attribute (ORIGIN 7)
  keepalives on|off      send keepalives (every hold/3) or go silent
  sleep S
  notify CODE SUB [TEXT]   send a NOTIFICATION and close
  expect-notify CODE SUB [TIMEOUT]   wait until the collector sends it
  expect-closed [TIMEOUT]  wait until the collector closes the session
  close                  close the TCP connection without NOTIFICATION
  max-ka-gap S           fail if the collector's KEEPALIVEs ever paused > S s
  write-count FILE       write "routes sent" to FILE

Exit status 0 if every step succeeded; a failed step prints why and exits 1.
"""
import gzip
import ipaddress
import socket
import struct
import sys
import threading
import time

MARKER = b"\xff" * 16


def msg(mtype, body):
    return MARKER + struct.pack("!HB", 19 + len(body), mtype) + body


def cap(code, val):
    return struct.pack("!BB", code, len(val)) + val


def open_msg(asn, hold, rid, as4=True, addpath=False, gr=None, extmsg=False):
    caps = cap(1, struct.pack("!HBB", 1, 0, 1)) + cap(1, struct.pack("!HBB", 2, 0, 1))
    caps += cap(2, b"")
    if as4:
        caps += cap(65, struct.pack("!I", asn))
    if addpath:
        caps += cap(69, struct.pack("!HBB", 1, 1, 2) + struct.pack("!HBB", 2, 1, 2))
    if gr is not None:
        caps += cap(64, struct.pack("!H", gr & 0xFFF) + struct.pack("!HBB", 1, 1, 0x80))
    if extmsg:
        caps += cap(6, b"")
    params = struct.pack("!BB", 2, len(caps)) + caps
    my = asn if asn < 65536 else 23456
    body = struct.pack("!BHH", 4, my, hold) + socket.inet_aton(rid)
    body += struct.pack("!B", len(params)) + params
    return msg(1, body)


def nlri(prefix, path_id=None):
    net = ipaddress.ip_network(prefix)
    n = (net.prefixlen + 7) // 8
    b = struct.pack("!B", net.prefixlen) + net.network_address.packed[:n]
    if path_id is not None:
        b = struct.pack("!I", path_id) + b
    return b


def attr(flags, code, val):
    if len(val) > 255:
        return struct.pack("!BBH", flags | 0x10, code, len(val)) + val
    return struct.pack("!BBB", flags, code, len(val)) + val


def update(withdrawn=(), announced=(), path=(), nh="10.255.0.2", as4=True,
           addpath=False, origin=0, raw_attrs=None):
    pid = 1 if addpath else None
    v4w = [p for p in withdrawn if ":" not in p]
    v6w = [p for p in withdrawn if ":" in p]
    v4a = [p for p in announced if ":" not in p]
    v6a = [p for p in announced if ":" not in p and False] + [p for p in announced if ":" in p]
    wd = b"".join(nlri(p, pid) for p in v4w)
    attrs = b""
    if announced:
        if raw_attrs is not None:
            attrs = raw_attrs
        else:
            attrs += attr(0x40, 1, bytes([origin]))
            fmt = "!I" if as4 else "!H"
            seg = struct.pack("!BB", 2, len(path)) + b"".join(struct.pack(fmt, a) for a in path)
            attrs += attr(0x40, 2, seg if path else b"")
            if v4a:
                attrs += attr(0x40, 3, socket.inet_aton(nh))
            if v6a:
                nh6 = ipaddress.ip_address("2001:db8:ffff::2").packed
                val = struct.pack("!HBB", 2, 1, 16) + nh6 + b"\x00" + b"".join(nlri(p, pid) for p in v6a)
                attrs += attr(0x80, 14, val)
    if v6w:
        val = struct.pack("!HB", 2, 1) + b"".join(nlri(p, pid) for p in v6w)
        attrs += attr(0x80, 15, val)
    body = struct.pack("!H", len(wd)) + wd + struct.pack("!H", len(attrs)) + attrs
    body += b"".join(nlri(p, pid) for p in v4a)
    return msg(2, body)


def mrt_updates(path, limit=None):
    """Raw BGP UPDATE messages of the BGP4MP(_ET) MESSAGE_AS4 records."""
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        data = f.read()
    off, n = 0, 0
    while off + 12 <= len(data):
        ts, typ, sub, ln = struct.unpack_from("!IHHI", data, off)
        body = data[off + 12: off + 12 + ln]
        off += 12 + ln
        if typ == 17:
            body = body[4:]
        if typ not in (16, 17) or sub not in (4, 9):
            continue
        afi = struct.unpack_from("!H", body, 10)[0]
        alen = 4 if afi == 1 else 16
        m = body[12 + 2 * alen:]
        if len(m) >= 19 and m[18] == 2:
            yield m
            n += 1
            if limit and n >= limit:
                return


def split_update(m):
    """One UPDATE per IPv4 prefix of M (withdrawn and NLRI), keeping M's
    attributes for each announced prefix; M as is when it has no
    IPv4 prefixes or more than one."""
    body = m[19:]
    wl = struct.unpack_from("!H", body, 0)[0]
    wd = body[2:2 + wl]
    al = struct.unpack_from("!H", body, 2 + wl)[0]
    attrs = body[4 + wl:4 + wl + al]
    nl = body[4 + wl + al:]

    def pfxs(b):
        out, i = [], 0
        while i < len(b):
            n = 1 + (b[i] + 7) // 8
            out.append(b[i:i + n])
            i += n
        return out
    w, a = pfxs(wd), pfxs(nl)
    if len(w) + len(a) <= 1:
        return [m]
    out = []
    for p in w:
        out.append(msg(2, struct.pack("!H", len(p)) + p + struct.pack("!H", 0)))
    for p in a:
        out.append(msg(2, struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs + p))
    return out


class Peer:
    def __init__(self, src, dst, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((src, 0))
        self.sock.settimeout(10)
        self.sock.connect((dst, port))
        self.sock.settimeout(None)
        self.lock = threading.Lock()    # self.got
        self.slock = threading.Lock()   # the socket's sending side
        self.got = []          # (type, body)
        self.ka_times = []     # when each KEEPALIVE from the collector came
        self.closed = False
        self.keepalive = True
        self.hold = 90
        self.routes = 0
        self.as4 = True
        self.addpath = False
        threading.Thread(target=self._reader, daemon=True).start()
        threading.Thread(target=self._ka, daemon=True).start()

    def _reader(self):
        buf = b""
        try:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    break
                buf += d
                while len(buf) >= 19:
                    ln = struct.unpack_from("!H", buf, 16)[0]
                    if len(buf) < ln:
                        break
                    if buf[18] == 4:
                        self.ka_times.append(time.time())
                    with self.lock:
                        self.got.append((buf[18], buf[19:ln]))
                    buf = buf[ln:]
        except OSError:
            pass
        self.closed = True

    def _ka(self):
        # every hold/3 seconds of the hold time in force (set by `open`)
        last = time.time()
        while not self.closed:
            time.sleep(0.1)
            every = max(self.hold / 3.0, 0.3) if self.hold else 30
            if time.time() - last < every:
                continue
            last = time.time()
            if self.keepalive and not self.closed:
                try:
                    self.send(msg(4, b""))
                except OSError:
                    return

    def send(self, b):
        with self.slock:
            self.sock.sendall(b)

    def wait_for(self, pred, timeout):
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                for t, b in self.got:
                    if pred(t, b):
                        return (t, b)
            time.sleep(0.05)
        return None


def fail(why):
    print("bgp_peer: FAILED: " + why, file=sys.stderr)
    sys.exit(1)


def kv(args):
    out = {}
    pos = []
    for a in args:
        if "=" in a:
            k, v = a.split("=", 1)
            out[k] = v
        else:
            pos.append(a)
    return pos, out


def main(argv):
    # bgp_peer.py SRC PORT ASN -- step args ; step args ; ...
    src, port, asn = argv[1], int(argv[2]), int(argv[3])
    steps = " ".join(argv[4:]).split(";")
    p = Peer(src, "127.0.0.1", port)
    for st in steps:
        w = st.split()
        if not w:
            continue
        cmd, (pos, o) = w[0], kv(w[1:])
        if cmd == "open":
            p.hold = int(o.get("hold", "90"))
            p.as4 = o.get("as4", "1") == "1"
            p.addpath = o.get("addpath", "0") == "1"
            gr = int(o["gr"]) if "gr" in o else None
            p.send(open_msg(int(o.get("asn", asn)), p.hold, src, p.as4,
                            p.addpath, gr, o.get("extmsg", "0") == "1"))
        elif cmd == "established":
            if not p.wait_for(lambda t, b: t == 1, 10):
                fail("no OPEN from the collector")
            if not p.wait_for(lambda t, b: t == 4, 10):
                fail("no KEEPALIVE from the collector")
            p.send(msg(4, b""))
        elif cmd == "mrt":
            lim = int(o["limit"]) if "limit" in o else None
            split = o.get("split", "0") == "1"
            # built first, then sent as fast as the socket takes it
            batch = []
            for m in mrt_updates(pos[0], lim):
                if split:
                    batch.extend(split_update(m))
                else:
                    batch.append(m)
                p.routes += 1
            if "rate" in o:
                # paced like a router: RATE UPDATEs/s, each sent alone
                rate = float(o["rate"])
                t0 = time.time()
                for i, m in enumerate(batch):
                    ahead = t0 + i / rate - time.time()
                    if ahead > 0.0005:
                        time.sleep(ahead)
                    p.send(m)
                batch = []
            # whole messages per send: the keepalive thread's
            # KEEPALIVEs go in between sends, never inside a message
            i = 0
            while i < len(batch):
                j, size = i, 0
                while j < len(batch) and size < (1 << 20):
                    size += len(batch[j])
                    j += 1
                p.send(b"".join(batch[i:j]))
                i = j
        elif cmd == "announce":
            path = [int(a) for a in pos[1].split(",")] if len(pos) > 1 and pos[1] else []
            p.send(update(announced=pos[0].split(","), path=path,
                          nh=o.get("nh", "10.255.0.2"), as4=p.as4, addpath=p.addpath))
        elif cmd == "withdraw":
            p.send(update(withdrawn=pos[0].split(","), addpath=p.addpath))
        elif cmd == "badattr":
            # ORIGIN value 7 (RFC 7606 7.1: treat-as-withdraw)
            a = attr(0x40, 1, b"\x07") + attr(0x40, 2, struct.pack("!BBI", 2, 1, 64500))
            a += attr(0x40, 3, socket.inet_aton("10.255.0.2"))
            p.send(update(announced=pos[0].split(","), raw_attrs=a, addpath=p.addpath))
        elif cmd == "raw":
            p.send(bytes.fromhex(pos[0]))
        elif cmd == "keepalives":
            p.keepalive = pos[0] == "on"
        elif cmd == "sleep":
            time.sleep(float(pos[0]))
        elif cmd == "notify":
            text = " ".join(pos[2:]).encode()
            data = (bytes([len(text)]) + text) if text else b""
            p.send(msg(3, bytes([int(pos[0]), int(pos[1])]) + data))
            time.sleep(0.2)
            p.sock.close()
        elif cmd == "expect-notify":
            c, s = int(pos[0]), int(pos[1])
            to = float(pos[2]) if len(pos) > 2 else 10
            if not p.wait_for(lambda t, b: t == 3 and b[0] == c and b[1] == s, to):
                with p.lock:
                    got = [(t, b[:2].hex()) for t, b in p.got if t == 3]
                fail("no NOTIFICATION %d/%d (got %s)" % (c, s, got))
        elif cmd == "expect-closed":
            to = float(pos[0]) if pos else 10
            end = time.time() + to
            while not p.closed and time.time() < end:
                time.sleep(0.05)
            if not p.closed:
                fail("the collector did not close the session")
        elif cmd == "close":
            p.closed = True
            p.sock.close()
        elif cmd == "max-ka-gap":
            # the collector's keepalives never stopped for longer than S
            lim = float(pos[0])
            ts = p.ka_times + [time.time()]
            gap = max(b - a for a, b in zip(ts, ts[1:])) if len(ts) > 1 else 1e9
            if gap > lim:
                t0 = ts[0]
                fail("keepalives stopped for %.1f s (limit %.1f); received at %s"
                     % (gap, lim, " ".join("%.1f" % (t - t0) for t in ts)))
        elif cmd == "write-count":
            with open(pos[0], "w") as f:
                f.write("%d\n" % p.routes)
        else:
            fail("unknown step " + cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
