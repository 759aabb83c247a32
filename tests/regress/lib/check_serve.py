#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Checks every endpoint of a running `vigil serve` (tests/regress/serve.sh).

usage: check_serve.py URL DB VIGIL WEBDIR

URL is the server's base (http://127.0.0.1:PORT), DB the database it serves
(a KP scenario replay: an outage of AS131279 and country:KP with the four
/24s as evidence), VIGIL the binary (its CLI output is the reference),
WEBDIR the --web directory (made by serve.sh).  Prints "ok NAME" or
"FAIL NAME (why)" per check; the live checks write to DB with Python's
sqlite3 module, as a writer would.
"""
import http.client
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

BASE, DB, VIGIL, WEB = sys.argv[1:5]
HOST = urllib.parse.urlparse(BASE).netloc
failures = 0


def report(name, ok, why=""):
    global failures
    if ok:
        print("ok " + name)
    else:
        failures += 1
        print("FAIL %s (%s)" % (name, why))
    sys.stdout.flush()


def get(path, raw=False):
    """(status, headers, body) of GET path; the body parsed unless raw."""
    try:
        with urllib.request.urlopen(BASE + path, timeout=30) as r:
            body = r.read()
            return r.status, r.headers, body if raw else json.loads(body)
    except urllib.error.HTTPError as e:
        body = e.read()
        try:
            return e.code, e.headers, body if raw else json.loads(body)
        except ValueError:
            return e.code, e.headers, body


def raw_get(path, method="GET"):
    """A request with PATH sent exactly as given (no client normalisation)."""
    c = http.client.HTTPConnection(HOST, timeout=30)
    c.putrequest(method, path, skip_accept_encoding=True)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.getheader("Content-Type"), body


def cli(*args):
    out = subprocess.run([VIGIL] + list(args) + ["--db", DB],
                         capture_output=True, check=True).stdout
    return [json.loads(l) for l in out.decode().splitlines() if l.strip()]


# ---- events: the same objects as `vigil events --json` ----------------------
def same_events(api, cli_evs):
    """Equal, but for names: the CLI cuts them at 63 bytes, the API not."""
    if len(api) != len(cli_evs):
        return False
    for a, c in zip(api, cli_evs):
        a, c = dict(a), dict(c)
        an, cn = a.pop("name"), c.pop("name")
        if a != c or not (an or "").startswith(cn or "") or \
                (an != cn and len((cn or "").encode()) < 63):
            return False
    return True
ref = cli("events", "--json")
st, _, page = get("/api/v1/events?limit=500")
report("events_list_matches_cli", st == 200 and same_events(page["data"], ref) and
       page["total"] == len(ref) and len(ref) >= 4, "status %d, %d vs %d events" %
       (st, len(page.get("data", [])), len(ref)))
kp_ref = cli("events", "--json", "--entity", "country:KP")
st, _, page = get("/api/v1/events?entity=country:KP")
report("events_entity_filter_matches_cli", st == 200 and same_events(page["data"], kp_ref)
       and len(kp_ref) >= 3, "status %d" % st)
outages = [e for e in ref if e["kind"] == "outage"]
st, _, page = get("/api/v1/events?kind=outage&level=critical&evidence=0")
report("events_kind_level_filter", st == 200 and
       [e["id"] for e in page["data"]] == [e["id"] for e in outages if e["level"] == "critical"]
       and all(e["evidence"] == [] for e in page["data"]), "status %d" % st)
kp_out = [e for e in outages if e["entity"] == "country:KP"]
report("kp_outage_present", len(kp_out) == 1, "%d KP outages" % len(kp_out))

# paging: one at a time gives the same list, total constant
ids = []
for off in range(len(ref) + 1):
    st, _, p = get("/api/v1/events?limit=1&offset=%d" % off)
    if st != 200 or p["total"] != len(ref) or p["limit"] != 1 or p["offset"] != off:
        ids = None
        break
    ids += [e["id"] for e in p["data"]]
report("events_paging", ids == [e["id"] for e in ref], "ids %s" % ids)
if kp_out:
    ev = kp_out[0]
    st, _, p = get("/api/v1/events?from=%d&until=%d&exact=1&entity=country:KP&kind=outage"
                   % (ev["start"] + 600, ev["start"] + 900))
    report("events_time_filter", st == 200 and [e["id"] for e in p["data"]] == [ev["id"]],
           "status %d %s" % (st, p))
    st, _, p = get("/api/v1/events?open=1")
    report("events_open_filter", st == 200 and p["total"] == len([e for e in ref if e["end"] is None]),
           "status %d" % st)

# ---- one event with its evidence --------------------------------------------
if kp_out:
    ev = kp_out[0]
    st, _, d = get("/api/v1/events/%d" % ev["id"])
    kp24 = ["175.45.%d.0/24" % i for i in range(176, 180)]
    prefixes = [x.get("prefix") for x in d.get("evidence", []) if x["what"] == "prefix"]
    report("event_evidence_prefixes", st == 200 and sorted(prefixes) == kp24 and
           sorted(d.get("prefixes", [])) == kp24, "status %d, %s" % (st, prefixes))
    report("event_evidence_paths", all(x.get("path", "").endswith("4837 131279")
                                       for x in d.get("evidence", []) if x["what"] == "prefix"),
           "paths %s" % [x.get("path") for x in d.get("evidence", [])])
    report("event_evidence_groups", st == 200 and
           [o["asn"] for o in d["origins"]] == [131279] and
           4837 in [u["asn"] for u in d["upstreams"]] and
           all(u["name"] for u in d["upstreams"]), "origins %s upstreams %s" %
           (d.get("origins"), d.get("upstreams")))
    same = {k: v for k, v in d.items() if k not in ("prefixes", "origins", "upstreams")}
    report("event_matches_cli", same_events([same], [ev]), "differs from vigil events --json")

# ---- signals: dense, and what `vigil signals --fill` prints --------------------
st, _, s = get("/api/v1/signals/country:KP?from=2015-10-23T00:00Z&until=2015-10-23T05:00Z")
ok = st == 200
report("signals_200", ok, "status %d %s" % (st, s))
if ok:
    t = s["series"]["t"]
    bl = s["bin_len"]
    dense = (bl == 300 and t == list(range(s["from"], s["until"] + 1, bl)) and
             all(len(s["series"][k]) == len(t) for k in s["series"]))
    report("signals_dense", dense, "bin_len %s, %d bins" % (bl, len(t)))
    rows = cli("signals", "country:KP", "--fill", "--format", "json",
               "--from", str(s["from"]), "--until", str(s["until"]))
    byt = {r["bin_start"]: r for r in rows}
    bad = []
    for i, tt in enumerate(t):
        r = byt.get(tt)
        for k in ("v4_units", "v6_units", "prefixes", "origins", "announcements",
                  "withdrawals", "path_changes", "flaps", "peers_up", "baseline",
                  "inst_score"):
            want = r[k] if r else None
            got = s["series"][k][i]
            if isinstance(want, float) or isinstance(got, float):
                same = (want is None) == (got is None) and (
                    want is None or abs(want - got) <= 1e-5 * max(1, abs(want)))
            else:
                same = want == got
            if not same:
                bad.append((tt, k, want, got))
    report("signals_match_cli_fill", rows and not bad, "%d rows, first differences %s"
           % (len(rows), bad[:3]))
    v4 = dict(zip(t, s["series"]["v4_units"]))
    if kp_out:
        ev = kp_out[0]
        report("signals_kp_4_0_4", v4.get(ev["start"] - 1800) == 4 and
               v4.get(ev["start"] + 900) == 0 and v4.get(ev["end"] + 600) == 4,
               "%s %s %s" % (v4.get(ev["start"] - 1800), v4.get(ev["start"] + 900),
                             v4.get(ev["end"] + 600)))
        report("signals_events_in_range", [e["id"] for e in s["events"]] ==
               [e["id"] for e in kp_ref], "%s" % [e["id"] for e in s["events"]])
    ups = {u["entity"]: u for u in s["upstreams"]}
    u = ups.get("upstream:KP:4837")
    report("signals_upstream_series", u is not None and u["t"] == t and
           len(u["v4_units"]) == len(t) and max(x or 0 for x in u["v4_units"]) == 4 and
           s["upstreams_total"] >= len(s["upstreams"]),
           "upstreams %s" % list(ups))
st, _, s2 = get("/api/v1/signals/KP?from=1445558400&until=1445576400")
report("signals_entity_aliases", st == 200 and s2["entity"] == "country:KP" and
       s2["series"] == s["series"], "status %d" % st)
st, _, s3 = get("/api/v1/signals/asn:131279?upstreams=5")
report("signals_default_range", st == 200 and s3["until"] - s3["from"] <= 86400 and
       s3["upstreams"] == [] and len(s3["series"]["t"]) > 12, "status %d" % st)

# ---- status: every country, worst first ---------------------------------------
st, _, countries = get("/api/v1/entities?kind=country&limit=1000")
cset = {c["entity"] for c in countries["data"]}
report("entities_kind_country", st == 200 and len(cset) > 50 and
       all(c["kind"] == "country" for c in countries["data"]), "status %d" % st)
if kp_out:
    ev = kp_out[0]
    st, _, s = get("/api/v1/status?at=%d" % (ev["start"] + 900))
    data = s.get("data", [])
    ent = {d["entity"]: d for d in data}
    report("status_every_country", st == 200 and cset <= set(ent), "status %d, %d missing"
           % (st, len(cset - set(ent))))
    kp = ent.get("country:KP", {})
    report("status_kp_outage", kp.get("status") == "outage" and kp.get("level") == "critical"
           and kp.get("event_id") == ev["id"] and kp.get("v4_units") == 0 and
           kp.get("baseline") == 4, "%s" % kp)
    rank = [{"outage": 2, "unstable": 1, "normal": 0}[d["status"]] for d in data]
    report("status_ranked", rank == sorted(rank, reverse=True) and rank[0] == 2 and
           data[0]["entity"] in ("country:KP", "asn:131279"), "first %s" % data[:2])
    report("status_other_entities", "asn:131279" in ent and ent["asn:131279"]["status"] == "outage",
           "asn:131279 missing")
    st, _, s = get("/api/v1/status?at=%s" % time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(ev["end"] + 600)))
    kp = {d["entity"]: d for d in s.get("data", [])}.get("country:KP", {})
    report("status_kp_restored", st == 200 and kp.get("status") == "normal" and
           kp.get("v4_units") == 4 and kp.get("event_id") is None, "%s" % kp)
st, _, s = get("/api/v1/status")
con = sqlite3.connect(DB)
last_bin = con.execute("select max(bin_start) from bins").fetchone()[0]
con.close()
report("status_default_latest", st == 200 and s["at"] == last_bin,
       "status %d at %s, last bin %s" % (st, s.get("at"), last_bin))

# ---- entities ----------------------------------------------------------------
st, _, e = get("/api/v1/entities?search=north%20korea")
report("entities_search_name", st == 200 and {"entity": "country:KP", "kind": "country",
       "code": "KP", "name": "North Korea", "cc": "KP"} in e["data"], "%s" % e)
st, _, e = get("/api/v1/entities?search=131279&kind=asn&limit=3")
report("entities_search_asn", st == 200 and [x["entity"] for x in e["data"]] == ["asn:131279"]
       and e["data"][0]["asn"] == 131279, "%s" % e)
st, _, e = get("/api/v1/entities?limit=7")
report("entities_limit", st == 200 and len(e["data"]) == 7, "%d" % len(e.get("data", [])))

# ---- errors ------------------------------------------------------------------
bad = {
    "/api/v1/events?limit=0": 400, "/api/v1/events?limit=501": 400,
    "/api/v1/events?offset=-1": 400, "/api/v1/events?kind=flap": 400,
    "/api/v1/events?level=low": 400, "/api/v1/events?from=tomorrow": 400,
    "/api/v1/events?from=20&until=10": 400, "/api/v1/events?bogus=1": 400,
    "/api/v1/events?limit=1&limit=2": 400, "/api/v1/events?exact=1": 400,
    "/api/v1/events?entity=nowhere": 400, "/api/v1/events/abc": 400,
    "/api/v1/signals/country:KP?from=0&until=99999999": 400,
    "/api/v1/signals/country:KP?upstreams=51": 400,
    "/api/v1/signals/not-an-entity": 400, "/api/v1/status?at=-1": 400,
    "/api/v1/entities?search=" + "x" * 65: 400, "/api/v1/entities?kind=planet": 400,
    "/api/v1/entities?search=%ff": 400,
    "/api/v1/events/123456789": 404, "/api/v1/signals/country:XX": 404,
    "/api/v1/signals/asn:4294967295": 404, "/api/v1/events?entity=country:XX": 404,
    "/api/v1/nothing": 404, "/api/v2/status": 404,
}
wrong = []
for path, code in bad.items():
    st, h, body = get(path)
    if st != code or not isinstance(body, dict) or not body.get("error") or \
            not h.get("Content-Type", "").startswith("application/json"):
        wrong.append((path, st, body))
report("errors_400_404_json", not wrong, "%s" % wrong[:3])
st, _, body = raw_get("/api/v1/status", "POST")
report("method_not_allowed", st == 405, "status %d" % st)

# ---- openapi.json --------------------------------------------------------------
st, h, doc = get("/api/v1/openapi.json")
with open(os.path.join(os.path.dirname(__file__), "../../../src/http/openapi.json")) as f:
    src = json.load(f)
paths = set(doc.get("paths", {})) if st == 200 else set()
report("openapi_parses", st == 200 and doc.get("openapi", "").startswith("3.") and doc == src
       and {"/api/v1/entities", "/api/v1/signals/{entity}", "/api/v1/events",
            "/api/v1/events/{id}", "/api/v1/status", "/api/v1/live", "/metrics"} <= paths,
       "status %d paths %s" % (st, sorted(paths)))
# every $ref resolves
refs = []
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "$ref":
                refs.append(v)
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(doc)
def resolve(r):
    o = doc
    for part in r.lstrip("#/").split("/"):
        o = o[part]
    return o
try:
    for r in refs:
        resolve(r)
    ok = len(refs) > 10
except (KeyError, TypeError):
    ok = False
report("openapi_refs_resolve", ok, "%d refs" % len(refs))

# ---- static files -----------------------------------------------------------
st, ct, body = raw_get("/")
report("static_index", st == 200 and ct.startswith("text/html") and b"vigil test page" in body,
       "status %d %s" % (st, ct))
types = {"/app.js": "text/javascript", "/css/style.css": "text/css",
         "/map.svg": "image/svg+xml", "/data/world.json": "application/json",
         "/font.woff2": "font/woff2"}
wrong = [(p, raw_get(p)[:2]) for p, t in types.items() if raw_get(p)[0] != 200 or
         not raw_get(p)[1].startswith(t)]
report("static_content_types", not wrong, "%s" % wrong)
st, ct, body = raw_get("/entity/country:KP")
report("static_route_fallback", st == 200 and b"vigil test page" in body, "status %d" % st)
st, _, _ = raw_get("/missing.js")
report("static_missing_404", st == 404, "status %d" % st)
leaks = []
for p in ("/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
          "/..%2f..%2f..%2fetc%2fpasswd", "/css/../../secret.txt", "/leak",
          "/css/..%5c..%5csecret.txt", "//etc/passwd", "/./secret.txt"):
    st, _, body = raw_get(p)
    # refused, or (no dot in the last segment) the dashboard page itself
    if b"root:" in body or b"secret" in body or (st == 200 and b"vigil test page" not in body):
        leaks.append((p, st))
report("static_traversal_refused", not leaks, "%s" % leaks)

# ---- metrics ----------------------------------------------------------------
st, h, text = get("/metrics", raw=True)
text = text.decode()
fams = ["vigil_http_requests_total", "vigil_http_request_duration_seconds_bucket",
        "vigil_http_request_duration_seconds_count", "vigil_http_errors_total",
        "vigil_http_timeouts_total", "vigil_http_cache_hits_total", "vigil_http_live_clients",
        "vigil_elements_total", "vigil_peers_up", "vigil_routes",
        'vigil_memory_bytes{subsystem="rib"}', "vigil_queue_depth",
        "vigil_queue_overflows_total", "vigil_events_open", "vigil_detection_lag_seconds"]
missing = [f for f in fams if ("\n" + f) not in text]
report("metrics_families", st == 200 and h.get("Content-Type", "").startswith("text/plain")
       and not missing, "missing %s" % missing)
def sample(name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None
n400 = sample('vigil_http_requests_total{endpoint="events",code="400"}')
report("metrics_count_requests", n400 is not None and n400 >= 10 and
       sample("vigil_elements_total") > 0, "events 400s: %s" % n400)
lines_ok = all(l.startswith("#") or len(l.split()) == 2 for l in text.splitlines() if l)
report("metrics_text_format", lines_ok, "a line is neither a comment nor a sample")

# ---- live: a writer's commits reach the stream ----------------------------
msgs = []
lock = threading.Lock()
def reader():
    try:
        r = urllib.request.urlopen(BASE + "/api/v1/live", timeout=30)
        kind = None
        for line in r:
            line = line.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                with lock:
                    msgs.append((kind, json.loads(line[6:])))
    except Exception as e:  # the stream ends when the test is over
        with lock:
            msgs.append(("error", str(e)))
th = threading.Thread(target=reader, daemon=True)
th.start()
def wait_for(pred, secs=15):
    end = time.time() + secs
    while time.time() < end:
        with lock:
            if any(pred(m) for m in msgs):
                return True
        time.sleep(0.05)
    return False
report("live_hello", wait_for(lambda m: m[0] == "hello"), "%s" % msgs)
db = sqlite3.connect(DB, timeout=30)
last = db.execute("select max(bin_start) from bins").fetchone()[0]
kpid = db.execute("select id from entities where text = 'country:KP'").fetchone()[0]
with db:
    db.execute("insert into events (id, entity_id, kind, level, start, \"end\", depth, severity,"
               " baseline, bottom, n_evidence_total) values (990001, ?, 1, 1, ?, NULL, 0.3, 0.3,"
               " 4, 3, 1)", (kpid, last))
    db.execute("insert into evidence values (990001, 0, 'p', '175.45.178.0/24', 131279, 4837,"
               " '65536 1239 4837 131279')")
    db.execute("insert into bins values (?, 300)", (last + 300,))
report("live_event_opened", wait_for(lambda m: m[0] == "event" and m[1]["id"] == 990001 and
                                     m[1]["end"] is None and
                                     m[1]["evidence"][0]["prefix"] == "175.45.178.0/24"),
       "%s" % msgs[-3:])
report("live_bin", wait_for(lambda m: m[0] == "bin" and m[1]["t"] == last + 300), "%s" % msgs[-3:])
with db:
    db.execute("update events set \"end\" = ?, level = 2 where id = 990001", (last + 300,))
report("live_event_closed", wait_for(lambda m: m[0] == "event" and m[1]["id"] == 990001 and
                                     m[1]["end"] == last + 300 and m[1]["level"] == "critical"),
       "%s" % msgs[-3:])
# answers follow the database (the cache is per database version)
time.sleep(0.5)
st, _, p = get("/api/v1/events?limit=500")
report("answers_follow_writes", st == 200 and p["total"] == len(ref) + 1 and
       p["data"][0]["id"] == 990001, "total %s" % p.get("total"))
db.close()

# the database replaced by another file (what a new replay does)
tmp = DB + ".new"
src_db = sqlite3.connect(DB)
dst = sqlite3.connect(tmp)
src_db.backup(dst)
src_db.close()
with dst:
    dst.execute("delete from events where id = 990001")
    dst.execute("delete from evidence where event_id = 990001")
dst.execute("pragma journal_mode = wal")
dst.close()
# as `vigil replay` does: the old file and its WAL go, the new one comes
for ext in ("", "-wal", "-shm"):
    if os.path.exists(DB + ext):
        os.unlink(DB + ext)
os.rename(tmp, DB)
ok = False
for _ in range(100):
    st, _, p = get("/api/v1/events?limit=500")
    if st == 200 and p["total"] == len(ref):
        ok = True
        break
    time.sleep(0.1)
report("database_replaced_reopened", ok, "total %s" % p.get("total"))
st, _, s = get("/api/v1/status")
report("after_replace_status", st == 200 and len(s["data"]) >= len(cset), "status %d" % st)

sys.exit(1 if failures else 0)
