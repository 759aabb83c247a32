#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The web dashboard in a real browser.  A small KP scenario (2 peers cloned
# from the real 2015 RIS table, 6 h: an hour of flapping of AS131279, then
# its four /24s withdrawn 16:15-17:10) is replayed into a database, `vigil
# serve` serves it and build/web on a free loopback port, and
# tests/web/dashboard.test.mjs drives Debian's headless Chromium through the
# overview, entity and event pages (laptop and phone sizes).  Screenshots:
# $BUILD/test-artifacts/dashboard-*.png.
set -u
cd "$(dirname "$0")/../../.."
B=${BUILD:-build}
V=${VIGIL:-$PWD/$B/vigil}
D=${VIGIL_DATA:-$(cd .. && pwd)/shared/data}
G=$D/geo
T=$(mktemp -d)
SPID=
cleanup() {
	if [ -n "$SPID" ]; then kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; fi
	rm -rf "$T"
}
trap cleanup EXIT

if [ -f "$B/web/index.html" ] && [ -f "$B/web/vendor/uPlot.iife.min.js" ]; then
	echo "ok web_built"
else
	echo "FAIL web_built ($B/web is not complete: run make)"; exit 1
fi
if [ ! -d web/node_modules/playwright-core ]; then
	echo "FAIL playwright_installed (web/node_modules/playwright-core missing: run scripts/setup.sh)"; exit 1
fi

cat >"$T/kp.spec" <<SPEC
seed 2014
start 2014-12-22T12:00:00Z
duration 6h
peers 2
peer-asns 65536,65537
source $D/mrt/ris-bgpdump/input/updates.et-header.2015.gz
churn 30/min
flap origin 131279 every 10m down 2m from 2014-12-22T13:30:00Z until 2014-12-22T14:30:00Z
outage origin 131279 from 2014-12-22T16:15:00Z until 2014-12-22T17:10:00Z
SPEC
# version 2 (signal rows in plain SQL, but the keyframe-only ones): the
# test's stand-in for a live writer adds a bin with an INSERT into signals
if "$V" scenario -q "$T/kp.spec" "$T/sc" 2>"$T/err" &&
	VIGIL_STORE_VERSION=2 "$V" replay -q --db "$T/kp.db" --geo "$G/delegated-apnic-extended-latest" \
		--geo "$G/delegated-afrinic-extended-latest" --geo "$G/delegated-lacnic-extended-latest" \
		--geo "$G/asnames.json.gz" "$T"/sc/*.gz 2>"$T/err"; then
	echo "ok kp_database_built"
else
	echo "FAIL kp_database_built"; cat "$T/err"; exit 1
fi
# What the pages must show: the country's outage and instability events as
# `vigil events --json` prints them.
"$V" events --db "$T/kp.db" --entity country:KP --json >"$T/ev.jsonl"
python3 - "$T/ev.jsonl" "$T/expect.json" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ev = [e for e in ev if e["entity"] == "country:KP"]
out = [e for e in ev if e["kind"] == "outage"]
flap = [e for e in ev if e["kind"] == "instability"]
if len(out) != 1 or len(flap) != 1:
    print("FAIL kp_events (want 1 outage and 1 instability event, got %d, %d)" % (len(out), len(flap)))
    sys.exit(1)
print("ok kp_events")
json.dump({"outage": out[0], "flap": flap[0]}, open(sys.argv[2], "w"))
PY
[ $? -eq 0 ] || exit 1

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$V" serve --db "$T/kp.db" --web "$B/web" --listen "127.0.0.1:$port" --poll-ms 200 >"$T/serve.log" 2>&1 &
SPID=$!
up=0
for _ in $(seq 100); do
	if curl -sf "http://127.0.0.1:$port/api/v1/status" -o /dev/null; then up=1; break; fi
	kill -0 "$SPID" 2>/dev/null || break
	sleep 0.1
done
if [ $up -eq 1 ]; then
	echo "ok serve_started"
else
	echo "FAIL serve_started"; cat "$T/serve.log"; exit 1
fi

mkdir -p "$B/test-artifacts"
BASE="http://127.0.0.1:$port/" ART="$B/test-artifacts" EXPECT="$T/expect.json" DB="$T/kp.db" \
	timeout 120 node tests/web/dashboard.test.mjs
rc=$?
ls "$B"/test-artifacts/dashboard-*.png >/dev/null 2>&1 && echo "ok screenshots_saved" || echo "FAIL screenshots_saved"
exit $rc
