#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Development stand-in for `vigil serve` (contract C of the HTTP API), read
straight from a vigil SQLite database with Python's standard library.  For
working on the dashboard only; the tests run the real `vigil serve`.

    python3 tests/web/mock_api.py --db vigil.db --web build/web --port 8088
"""
import argparse, json, os, sqlite3, sys, threading, time, urllib.parse
from http.server import ThreadingHTTPServer, SimpleHTTPRequestHandler

# the decoder of the packed keyframe rows (schema version 2)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "regress", "lib"))
import kf_expand  # noqa: E402

KINDS = {1: "country", 2: "asn", 3: "upstream"}
EKIND = {1: "outage", 2: "instability"}
LEVEL = {1: "warning", 2: "critical"}
COLS = ["v4_units", "v6_units", "prefixes", "origins", "announcements",
        "withdrawals", "path_changes", "flaps", "peers_up", "baseline",
        "inst_score"]
CARRY = {"v4_units", "v6_units", "prefixes", "origins", "peers_up", "baseline"}


def iso(t):
    return None if t is None else time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(t))


def parse_time(s):
    if s is None or s == "":
        return None
    if s.isdigit():
        return int(s)
    for f in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M",
              "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return int(time.mktime(time.strptime(s, f)) - time.timezone)
        except ValueError:
            pass
    raise ValueError("'%s' is not a time" % s)


SIG_COLS = ("entity_id", "bin_start", "bin_len", "v4_units", "v6_units",
            "prefixes", "origins", "announcements", "withdrawals",
            "path_changes", "flaps", "peers_up", "baseline", "inst_score")


def kf_entry(first, data, eid):
    """Entity EID's entry in a keyframes blob, as a JSON array of the
    signals columns after bin_len; None if it has none."""
    for e in kf_expand.decode(first, data):
        if e[0] == eid:
            return json.dumps(list(e[1:]))
    return None


class Api:
    def __init__(self, path):
        self.path = path

    def db(self):
        c = sqlite3.connect("file:%s?mode=ro" % self.path, uri=True)
        c.row_factory = sqlite3.Row
        c.create_function("kf_entry", 3, kf_entry)
        return c

    @staticmethod
    def sig(c):
        """The signals rows of entity :e, in all three tables (a
        subquery)."""
        cols = ", ".join("json_extract(j, '$[%d]') as %s" % (i, n)
                         for i, n in enumerate(SIG_COLS[3:]))
        q = "(select * from signals where entity_id = :e"
        for t in kf_expand.PACKED:
            if c.execute("select count(*) from sqlite_master where name = ?", (t,)).fetchone()[0]:
                q += (" union all select :e as entity_id, bin_start, bin_len, %s from "
                      "(select bin_start, bin_len, kf_entry(first_id, data, :e) as j "
                      "from %s where first_id = :e / 64 * 64) where j is not null" % (cols, t))
        return q + ")"

    def event(self, c, r, full=True):
        ev = {"id": r["id"], "entity": r["text"], "name": r["name"] or None,
              "kind": EKIND[r["kind"]], "level": LEVEL[r["level"]],
              "start": r["start"], "end": r["end"],
              "start_time": iso(r["start"]), "end_time": iso(r["end"]),
              "duration": None if r["end"] is None else r["end"] - r["start"],
              "depth": r["depth"], "severity": r["severity"],
              "baseline": r["baseline"], "bottom": r["bottom"]}
        evs = []
        for x in c.execute("select * from evidence where event_id=? order by seq", (r["id"],)):
            w = {"p": "prefix", "o": "origin", "u": "upstream"}[x["what"]]
            o = {"what": w}
            if w == "prefix":
                o["prefix"] = x["text"]
            o["asn"] = x["asn"]
            if w == "prefix":
                o["upstream"] = x["upstream"]
                o["path"] = x["path"]
            evs.append(o)
        ev["n_evidence"] = len(evs)
        ev["n_evidence_total"] = r["n_evidence_total"]
        ev["evidence"] = evs
        return ev

    EVSQL = ("select ev.*, n.text, n.name from events ev join entities n "
             "on n.id = ev.entity_id")

    def entities(self, q):
        c = self.db()
        s = q.get("search", "")
        kind = q.get("kind")
        lim = int(q.get("limit", "50"))
        sql = "select * from entities where (text like ? or name like ?)"
        args = ["%" + s + "%", "%" + s + "%"]
        if kind:
            sql += " and kind=?"
            args.append({"country": 1, "asn": 2, "upstream": 3}[kind])
        sql += " order by kind, text limit ?"
        args.append(lim)
        out = []
        for r in c.execute(sql, args):
            e = {"entity": r["text"], "kind": KINDS[r["kind"]], "name": r["name"] or None}
            if r["kind"] == 1:
                e["code"] = r["cc"]
            else:
                e["asn"] = r["asn"]
                if r["kind"] == 3:
                    e["code"] = r["cc"]
            out.append(e)
        return 200, {"data": out}

    def series(self, c, eid, frm, until, binlen):
        rows = {r["bin_start"]: r for r in c.execute(
            "select * from %s where bin_start between :a and :b" % self.sig(c),
            {"e": eid, "a": frm - 86400, "b": until})}
        prev = c.execute("select * from %s where bin_start < :a "
                         "order by bin_start desc limit 1" % self.sig(c),
                         {"e": eid, "a": frm}).fetchone()
        t0 = frm - frm % binlen
        out = {"t": []}
        for k in COLS:
            out[k] = []
        last = prev
        t = t0
        while t <= until:
            r = rows.get(t)
            out["t"].append(t)
            if r is not None:
                last = r
            for k in COLS:
                if r is not None:
                    out[k].append(r[k])
                elif last is not None and k in CARRY:
                    out[k].append(last[k])
                elif last is not None:
                    out[k].append(0)
                else:
                    out[k].append(None)
            t += binlen
        return out

    def signals(self, ent, q):
        c = self.db()
        r = c.execute("select * from entities where text=?", (ent,)).fetchone()
        if r is None:
            return 404, {"error": "%s is not in the database" % ent}
        binlen = int(c.execute("select value from meta where key='bin_len'").fetchone()[0])
        last = c.execute("select max(bin_start) from bins").fetchone()[0] or 0
        until = parse_time(q.get("until")) or last
        frm = parse_time(q.get("from")) or until - 86400
        res = {"entity": ent, "name": r["name"] or None, "bin_len": binlen,
               "from": frm, "until": until,
               "series": self.series(c, r["id"], frm, until, binlen),
               "upstreams": []}
        if r["kind"] == 1:
            for u in c.execute("select * from entities where kind=3 and cc=? order by asn", (r["cc"],)):
                s = self.series(c, u["id"], frm, until, binlen)
                if not any(s["v4_units"]):
                    continue
                an = c.execute("select name from entities where kind=2 and asn=?", (u["asn"],)).fetchone()
                res["upstreams"].append({"entity": u["text"], "asn": u["asn"],
                                         "name": (an["name"] if an else u["name"]) or None,
                                         "t": s["t"], "v4_units": s["v4_units"]})
        res["events"] = [self.event(c, e) for e in c.execute(
            self.EVSQL + " where ev.entity_id=? and ev.start <= ? and "
            "(ev.\"end\" is null or ev.\"end\" >= ?) order by ev.start desc",
            (r["id"], until, frm))]
        return 200, res

    def events(self, q):
        c = self.db()
        where, args = [], []
        if q.get("entity"):
            where.append("n.text=?"); args.append(q["entity"])
        if q.get("kind"):
            where.append("ev.kind=?"); args.append({"outage": 1, "instability": 2}[q["kind"]])
        if q.get("level"):
            where.append("ev.level>=?"); args.append({"warning": 1, "critical": 2}[q["level"]])
        if q.get("from"):
            where.append("(ev.\"end\" is null or ev.\"end\" >= ?)"); args.append(parse_time(q["from"]))
        if q.get("until"):
            where.append("ev.start <= ?"); args.append(parse_time(q["until"]))
        if q.get("open") == "1":
            where.append("ev.\"end\" is null")
        w = (" where " + " and ".join(where)) if where else ""
        total = c.execute("select count(*) from events ev join entities n on n.id=ev.entity_id" + w, args).fetchone()[0]
        lim = int(q.get("limit", "50")); off = int(q.get("offset", "0"))
        rows = c.execute(self.EVSQL + w + " order by ev.start desc, ev.id desc limit ? offset ?", args + [lim, off])
        return 200, {"data": [self.event(c, r) for r in rows], "total": total, "limit": lim, "offset": off}

    def one_event(self, i):
        c = self.db()
        r = c.execute(self.EVSQL + " where ev.id=?", (i,)).fetchone()
        if r is None:
            return 404, {"error": "no event %d" % i}
        ev = self.event(c, r)
        def name(asn):
            n = c.execute("select name from entities where kind=2 and asn=?", (asn,)).fetchone()
            return (n[0] or None) if n else None
        o, u = [], []
        for x in ev["evidence"]:
            if x["what"] in ("prefix", "origin") and x["asn"] and x["asn"] not in o:
                o.append(x["asn"])
            a = x["asn"] if x["what"] == "upstream" else x.get("upstream", 0) if x["what"] == "prefix" else 0
            if a and a not in u:
                u.append(a)
        ev["prefixes"] = [x["prefix"] for x in ev["evidence"] if x["what"] == "prefix"]
        ev["origins"] = [{"asn": a, "name": name(a)} for a in o]
        ev["upstreams"] = [{"asn": a, "name": name(a)} for a in u]
        return 200, ev

    def status(self, q):
        c = self.db()
        last = c.execute("select max(bin_start) from bins").fetchone()[0] or 0
        at = parse_time(q.get("at")) or last
        out = []
        ents = c.execute("select * from entities where kind=1 or id in (select entity_id from events "
                         "where start <= ? and (\"end\" is null or \"end\" > ?))", (at, at)).fetchall()
        for e in ents:
            s = c.execute(("select v4_units, baseline from %s where bin_start <= :a "
                           "order by bin_start desc limit 1") % self.sig(c),
                          {"e": e["id"], "a": at}).fetchone()
            evs = c.execute("select * from events where entity_id=? and start <= ? and (\"end\" is null or \"end\" > ?) "
                            "order by kind, severity desc", (e["id"], at, at)).fetchall()
            st, lvl, sev, eid = "normal", None, 0, None
            if evs:
                ev = evs[0]
                st = "outage" if ev["kind"] == 1 else "unstable"
                lvl, sev, eid = LEVEL[ev["level"]], ev["severity"], ev["id"]
            d = {"entity": e["text"], "kind": KINDS[e["kind"]], "code": e["cc"] if e["kind"] != 2 else None,
                 "name": e["name"] or None, "status": st, "level": lvl,
                 "v4_units": s["v4_units"] if s else None, "baseline": s["baseline"] if s else None,
                 "severity": sev, "event_id": eid}
            out.append(d)
        rank = {"outage": 0, "unstable": 1, "normal": 2}
        out.sort(key=lambda d: (rank[d["status"]], -(d["severity"] or 0), d["entity"]))
        return 200, {"at": at, "data": out}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--web", default="build/web")
    ap.add_argument("--port", type=int, default=8088)
    a = ap.parse_args()
    api = Api(a.db)
    web = os.path.abspath(a.web)

    class H(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kw):
            super().__init__(*args, directory=web, **kw)

        def log_message(self, *args):
            pass

        def send_json(self, code, obj):
            b = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(u.query))
            p = urllib.parse.unquote(u.path)
            if not p.startswith("/api/v1/"):
                return super().do_GET()
            p = p[len("/api/v1/"):]
            try:
                if p == "entities":
                    r = api.entities(q)
                elif p.startswith("signals/"):
                    r = api.signals(p[8:], q)
                elif p == "events":
                    r = api.events(q)
                elif p.startswith("events/"):
                    r = api.one_event(int(p[7:]))
                elif p == "status":
                    r = api.status(q)
                elif p == "live":
                    return self.live()
                else:
                    r = (404, {"error": "no such endpoint"})
            except (ValueError, KeyError) as e:
                r = (400, {"error": str(e)})
            self.send_json(*r)

        def live(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            c = api.db()
            sig = lambda: (c.execute("select max(bin_start) from bins").fetchone()[0],
                           tuple(c.execute('select count(*), max(id), total(coalesce("end", 0)), total(level) '
                                           "from events").fetchone()))
            last = sig()
            try:
                self.wfile.write(b": hello\n\n"); self.wfile.flush()
                n = 0
                while True:
                    time.sleep(0.5)
                    n += 1
                    now = sig()
                    if now[1] != last[1]:
                        r = c.execute(api.EVSQL + " order by ev.id desc limit 1").fetchone()
                        self.wfile.write(b"event: event\ndata: " + json.dumps(api.event(c, r)).encode() + b"\n\n")
                    if now[0] != last[0]:
                        self.wfile.write(b"event: bin\ndata: " + json.dumps({"t": now[0]}).encode() + b"\n\n")
                    elif n % 30 == 0:
                        self.wfile.write(b": keep-alive\n\n")
                    last = now
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass

    srv = ThreadingHTTPServer(("127.0.0.1", a.port), H)
    srv.daemon_threads = True
    print("mock vigil API on http://127.0.0.1:%d/" % a.port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
