#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Checks the notifications of one `vigil replay --alert-*` run against the
events it stored (tests/regress/alerts.sh).  Prints ok/FAIL lines.

  check_alerts.py JSONL EVENTS RECEIVED STDERR FACILITY RETRY_AFTER

JSONL     the --alert-json file
EVENTS    `vigil events --json` of the run's database
RECEIVED  alert_receiver.py's record (HTTP requests, syslog datagrams)
STDERR    vigil's stderr (the per-output delivery report)
"""
import json
import re
import sys

jsonl_path, events_path, recv_path, err_path, facility, retry_after = sys.argv[1:7]
facility = int(facility)
retry_after = float(retry_after)
failed = 0


def check(name, cond, detail=""):
    global failed
    if cond:
        print(f"ok {name}")
    else:
        failed += 1
        print(f"FAIL {name}" + (f" ({detail})" if detail else ""))


lines = open(jsonl_path).read().splitlines()
notes = []
bad = None
for ln in lines:
    try:
        notes.append(json.loads(ln))
    except ValueError as e:
        bad = f"{e}: {ln[:80]}"
check("jsonl_parses", bad is None and len(notes) > 0, bad or "empty")
keys = [n["key"] for n in notes]
N = len(keys)

req = ["key", "transition", "kind", "level", "entity", "name", "detected_at",
       "detected_time", "summary", "event"]
shape = None
for n in notes:
    miss = [f for f in req if f not in n]
    ev = n.get("event", {})
    want = f'{ev.get("id")}-{ev.get("entity")}-{ev.get("start")}-{n.get("transition")}'
    if miss or n["key"] != want or n["transition"] not in ("opened", "escalated", "restored") \
            or n["entity"] != ev.get("entity") or n["level"] != ev.get("level") \
            or not n["summary"]:
        shape = f"{n.get('key')}: missing {miss}, key should be {want}"
        break
check("jsonl_fields_and_keys", shape is None, shape)
check("jsonl_keys_unique", len(set(keys)) == N, f"{N} lines, {len(set(keys))} keys")

# Against the database: every event opened once, restored once iff it
# ended, escalated once iff it went warning -> critical after opening.
events = {e["id"]: e for e in map(json.loads, open(events_path).read().splitlines())}
by_ev = {}
for n in notes:
    by_ev.setdefault(n["event"]["id"], []).append(n)
problems = []
for eid, e in sorted(events.items()):
    ns = by_ev.get(eid, [])
    tr = [n["transition"] for n in ns]
    opened = [n for n in ns if n["transition"] == "opened"]
    if tr.count("opened") != 1:
        problems.append(f"event {eid}: {tr}")
        continue
    exp = ["opened"]
    if opened[0]["level"] == "warning" and e["level"] == "critical":
        exp.append("escalated")
    if e["end"] is not None:
        exp.append("restored")
    if tr != exp:
        problems.append(f"event {eid}: {tr}, expected {exp}")
    for n in ns:
        ev = n["event"]
        if (ev["entity"], ev["kind"], ev["start"]) != (e["entity"], e["kind"], e["start"]):
            problems.append(f"event {eid}: notification {n['key']} is about another event")
        if n["transition"] == "restored":
            a = dict(ev, name=None)
            b = dict(e, name=None)
            if a != b:
                problems.append(f"event {eid}: restored object differs from `vigil events --json`")
extra = [k for k in by_ev if k not in events]
if extra:
    problems.append(f"notifications for unknown events {extra}")
check("jsonl_transitions_match_db", not problems and len(events) > 0,
      "; ".join(problems[:5]) or "no events")
check("jsonl_has_escalation", any(n["transition"] == "escalated" for n in notes))
check("jsonl_has_restoration", any(n["transition"] == "restored" for n in notes))

recv = [json.loads(l) for l in open(recv_path).read().splitlines()]
up = [r["t"] for r in recv if r["kind"] == "up"]
http = [r for r in recv if r["kind"] == "http"]


def path_reqs(p):
    return [r for r in http if r["path"] == p]


for p in ("/hook", "/slack"):
    rs = path_reqs(p)
    okk = [r["key"] for r in rs if r["status"] == 200]
    check(f"{p[1:]}_exactly_once_in_order", okk == keys,
          f"{len(okk)} accepted of {N}; first diff at "
          f"{next((i for i, (a, b) in enumerate(zip(okk, keys)) if a != b), min(len(okk), N))}")
    # one notification at a time: its retries come before the next one
    seq = []
    for r in rs:
        if not seq or seq[-1] != r["key"]:
            seq.append(r["key"])
    check(f"{p[1:]}_head_of_line_order", seq == keys, f"{len(seq)} runs")
    st = [r["status"] for r in rs[:4]]
    check(f"{p[1:]}_retried_500_429_503", st == [500, 429, 503, 200], str(st))
    if len(rs) >= 3:
        gap = rs[2]["t"] - rs[1]["t"]
        check(f"{p[1:]}_retry_after_honoured", gap >= retry_after - 0.15,
              f"{gap:.2f}s after 429 with Retry-After {retry_after}")
    check(f"{p[1:]}_content_type", all((r["content_type"] or "").startswith("application/json")
                                        for r in rs))
    check(f"{p[1:]}_first_request_after_up", up and rs and rs[0]["t"] >= up[0])

hook_ok = [r for r in path_reqs("/hook") if r["status"] == 200]
bad = None
for r, ln in zip(hook_ok, lines):
    if r["body"] != ln:
        bad = f"{r['key']}: body differs from the JSON line"
        break
    if json.loads(r["body"])["key"] != r["key"]:
        bad = f"{r['key']}: header and body keys differ"
        break
check("webhook_body_is_json_line", bad is None and len(hook_ok) == N, bad)

bad = None
for r, n in zip([r for r in path_reqs("/slack") if r["status"] == 200], notes):
    try:
        b = json.loads(r["body"])
        blocks = b["blocks"]
        sec = [x for x in blocks if x["type"] == "section"]
        ctx = [x for x in blocks if x["type"] == "context"]
        if b["text"] != n["summary"]:
            bad = f"{r['key']}: text is not the summary"
        elif len(sec) != 1 or sec[0]["text"]["type"] != "mrkdwn" or not sec[0]["text"]["text"]:
            bad = f"{r['key']}: no mrkdwn section"
        elif len(ctx) != 1 or r["key"] not in ctx[0]["elements"][0]["text"]:
            bad = f"{r['key']}: key not in the context block"
        elif any(c in sec[0]["text"]["text"].replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
                 for c in "<>&"):
            bad = f"{r['key']}: mrkdwn not escaped"
    except (ValueError, KeyError, IndexError, TypeError) as e:
        bad = f"{r['key']}: {e!r}"
    if bad:
        break
check("slack_payload_valid", bad is None, bad)

rj = path_reqs("/reject")
check("reject_4xx_not_retried", [r["key"] for r in rj] == keys and
      all(r["status"] == 400 for r in rj), f"{len(rj)} requests for {N} notifications")

err = open(err_path).read()
check("receiver_down_seen", re.search(r"webhook 127\.0\.0\.1:\d+: \S+: .*onnect", err) is not None
      and re.search(r"slack 127\.0\.0\.1:\d+: \S+: .*onnect", err) is not None)
check("slack_url_path_not_logged", "/slack" not in err)
for what, delivered, rejected in (("webhook 127.0.0.1:\\d+", N, 0), ("slack 127.0.0.1:\\d+", N, 0),
                                   ("json \\S+", N, 0), ("syslog \\S+", N, 0)):
    m = [x for x in re.findall(what + r": (\d+) delivered, (\d+) retries, (\d+) rejected, "
                               r"(\d+) undelivered, queue peaked at (\d+)", err)
         if int(x[2]) == rejected]
    ok = len(m) == 1 and int(m[0][0]) == delivered and int(m[0][3]) == 0
    # the webhooks were down while the whole scenario was replayed: every
    # notification waited in the queue, the replay did not
    if ok and not what.startswith("json"):
        ok = int(m[0][4]) == N
    check("report_" + what.split()[0], ok, str(m))
m = re.findall(r"webhook 127\.0\.0\.1:\d+: 0 delivered, \d+ retries, (\d+) rejected, 0 undelivered", err)
check("report_rejected", m == [str(N)], str(m))

# syslog: one datagram per notification, in order, RFC 3164 with the
# facility and a severity by level
sl = [r["msg"] for r in recv if r["kind"] == "syslog"]
rx = re.compile(r"^<(\d+)>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d vigil-replay\[\d+\]: (.*) \[key (\S+)\]$")
parsed = [rx.match(m) for m in sl]
check("syslog_format", sl and all(parsed), next((m for m, p in zip(sl, parsed) if not p), "none"))
if all(parsed):
    check("syslog_exactly_once_in_order", [p.group(3) for p in parsed] == keys,
          f"{len(parsed)} datagrams for {N}")
    bad = None
    for p, n in zip(parsed, notes):
        sev = 5 if n["transition"] == "restored" else 2 if n["level"] == "critical" else 4
        if int(p.group(1)) != facility * 8 + sev or p.group(2) != n["summary"]:
            bad = f"{n['key']}: <{p.group(1)}>, want <{facility * 8 + sev}>"
            break
    check("syslog_priority_and_text", bad is None, bad)
sys.exit(1 if failed else 0)
