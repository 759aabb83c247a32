#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Alerts end to end.  A small scenario (North Korea: a flapping hour, then
# one of its four /24s lost - a warning - and half an hour later the other
# three - critical - and all back) is replayed with every output at once:
# JSON lines, syslog (a unix datagram socket of ours), a generic webhook,
# a Slack webhook and a webhook that answers 400.  The receiver
# (lib/alert_receiver.py) is down - port closed, socket absent - until the
# replay has seen the last event close, then answers each webhook 500, 429
# with Retry-After, 503, then 200.  check_alerts.py compares what arrived
# with the events in the database: every notification exactly once, in
# order, with valid payloads.  Then: a receiver that never comes up (the
# bounded wait at exit reports what was not delivered; JSON lines on
# stdout; the same keys again), and bad option values.
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
RPID=
cleanup() {
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
D=$VIGIL_DATA
G=$D/geo
GEO="--geo $G/delegated-apnic-extended-latest --geo $G/asnames.json.gz"

cat >"$T/s.spec" <<SPEC
seed 7
start 2015-10-23T00:00:00Z
duration 5h
peers 4
peer-asns 65536,65537,65538,65539
source $D/mrt/ris-bgpdump/input/updates.et-header.2015.gz
churn 100/min
flap origin 131279 every 10m from 2015-10-23T01:30:00Z until 2015-10-23T02:30:00Z
outage prefix 175.45.179.0/24 from 2015-10-23T03:00:00Z until 2015-10-23T04:16:00Z
outage prefixes 175.45.176.0/24,175.45.177.0/24,175.45.178.0/24 from 2015-10-23T03:30:00Z until 2015-10-23T04:01:00Z
SPEC
if "$VIGIL" scenario -q "$T/s.spec" "$T/sc" 2>"$T/err"; then
	echo "ok alerts_scenario_built"
else
	echo "FAIL alerts_scenario_built"; cat "$T/err"; exit 1
fi

freeport() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(freeport)
RA=2
: >"$T/a.jsonl"
python3 tests/regress/lib/alert_receiver.py --port "$PORT" --syslog "$T/log" \
	--out "$T/recv.jsonl" --wait-for "$T/a.jsonl" --min-down 3 --retry-after $RA \
	--wait-text '"transition":"restored","kind":"outage","level":"critical","entity":"country:KP"' \
	>"$T/recv.out" 2>"$T/recv.err" &
RPID=$!

U=http://127.0.0.1:$PORT
"$VIGIL" replay -q --db "$T/v.db" $GEO \
	--alert-json "$T/a.jsonl" --alert-webhook "$U/hook" --alert-slack "$U/slack" \
	--alert-webhook "$U/reject" --alert-syslog-socket "$T/log" --alert-syslog-facility local3 \
	--alert-retry-min 0.2 --alert-retry-max 1 --alert-flush 60 \
	"$T"/sc/*.gz >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && echo "ok alerts_replay_exit_0" || { echo "FAIL alerts_replay_exit_0 (exit $rc)"; tail "$T/err"; }
"$VIGIL" events --json --db "$T/v.db" >"$T/events.jsonl"
# local3 is facility 19
python3 tests/regress/lib/check_alerts.py "$T/a.jsonl" "$T/events.jsonl" "$T/recv.jsonl" \
	"$T/err" 19 $RA || { echo "--- vigil stderr"; head -40 "$T/err"; echo "--- receiver"; cat "$T/recv.err"; }
kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null; RPID=

# Nobody ever listens: the replay still finishes, the wait at exit is
# bounded by --alert-flush, and what was not delivered is reported by key.
# JSON lines to stdout; the keys are those of the first run.
DEAD=$(freeport)
N=$(wc -l <"$T/a.jsonl")
timeout 300 "$VIGIL" replay -q --no-db $GEO --alert-json - \
	--alert-webhook "http://127.0.0.1:$DEAD/x" --alert-retry-min 0.2 --alert-flush 1 \
	--alert-spool "$T/spool" "$T"/sc/*.gz >"$T/out2" 2>"$T/err2"
rc=$?
[ $rc -eq 0 ] && echo "ok alerts_dead_receiver_exit_0" || { echo "FAIL alerts_dead_receiver_exit_0 (exit $rc)"; tail "$T/err2"; }
grep -Eq "webhook 127\.0\.0\.1:$DEAD: 0 delivered, [0-9]+ retries, 0 rejected, $N undelivered \(kept in the spool\).*; undelivered: 1-country:KP-[0-9]+-opened" "$T/err2" &&
	echo "ok alerts_undelivered_reported" || { echo "FAIL alerts_undelivered_reported"; tail -3 "$T/err2"; }
python3 - "$T/a.jsonl" "$T/out2" <<'PY' && echo "ok alerts_stdout_same_keys" || echo "FAIL alerts_stdout_same_keys"
import json, sys
a = [json.loads(l)["key"] for l in open(sys.argv[1])]
b = [json.loads(l)["key"] for l in open(sys.argv[2])]
sys.exit(0 if a == b and a else 1)
PY

# The spool: restarted with the same webhook (and input that raises no
# event) once the receiver is up, vigil sends what the last run could not,
# each once, in order; a third run sends nothing.
python3 tests/regress/lib/alert_receiver.py --port "$DEAD" --syslog "$T/log2" \
	--out "$T/recv2.jsonl" >"$T/recv2.out" 2>"$T/recv2.err" &
RPID=$!
for i in $(seq 100); do grep -q up "$T/recv2.out" 2>/dev/null && break; sleep 0.1; done
for run in 1 2; do
	"$VIGIL" replay -q --no-db --alert-webhook "http://127.0.0.1:$DEAD/x" --alert-flush 30 \
		--alert-spool "$T/spool" "$T"/sc/updates.20151023.0000.gz >/dev/null 2>"$T/err3.$run"
done
python3 - "$T/a.jsonl" "$T/recv2.jsonl" <<'PY' && echo "ok alerts_spool_resent_once_in_order" || { echo "FAIL alerts_spool_resent_once_in_order"; cat "$T/err3.1"; }
import json, sys
want = [json.loads(l) for l in open(sys.argv[1])]
got = [r for r in map(json.loads, open(sys.argv[2])) if r["kind"] == "http"]
ok = [r["key"] for r in got] == [w["key"] for w in want] and all(r["status"] == 200 for r in got)
# the body comes back from the spool unchanged
ok = ok and all(json.loads(r["body"])["event"] == w["event"] for r, w in zip(got, want))
sys.exit(0 if ok and want else 1)
PY
grep -q "$N notifications from the spool" "$T/err3.1" && ! grep -q "from the spool" "$T/err3.2" &&
	echo "ok alerts_spool_reported" || echo "FAIL alerts_spool_reported"
kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null; RPID=

# Bad option values: a clear message, exit 2, before any work.
bad() {
	local name=$1 want=$2; shift 2
	"$VIGIL" replay -q --no-db "$@" "$T"/sc/updates.20151023.0000.gz >/dev/null 2>"$T/e3"
	local rc=$?
	if [ $rc -eq 2 ] && grep -q -- "$want" "$T/e3"; then
		echo "ok alerts_bad_$name"
	else
		echo "FAIL alerts_bad_$name (exit $rc: $(head -1 "$T/e3"))"
	fi
}
bad url "is not an http:// or https:// URL" --alert-webhook ftp://127.0.0.1/x
bad facility "use user, daemon or local0..local7" --alert-syslog-facility kern2
bad seconds "is not a number of seconds" --alert-retry-min -1
bad json_dir "--alert-json $T/nodir/a.jsonl: No such file" --alert-json "$T/nodir/a.jsonl"
