#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `vigil serve` end to end.  A small scenario (the real 2015 table cloned to
# 4 peers for 5 hours, AS131279 flapping then dark for an hour) is replayed
# into a database; the server is started on 127.0.0.1 with port 0 (it
# prints the one it got) and lib/check_serve.py checks every endpoint
# against the CLI (`vigil events --json`, `vigil signals --fill`): events and
# their evidence, dense signals, status of every country, paging, 400/404
# answers, openapi.json, /metrics, static files and path traversal, the live
# stream while a writer commits, and the database being replaced.  Then the
# same over IPv6 ([::1]), bad command lines, and a clean stop on SIGTERM.
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
SPID=
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
. tests/regress/lib/replay_env.sh

cat >"$T/s.spec" <<SPEC
seed 5
start 2015-10-23T00:00:00Z
duration 5h
peers 4
peer-asns 65536,65537,65538,65539
source $D/mrt/ris-bgpdump/input/updates.et-header.2015.gz
churn 100/min
flap origin 131279 every 10m from 2015-10-23T01:20:00Z until 2015-10-23T02:10:00Z
outage origin 131279 from 2015-10-23T03:00:00Z until 2015-10-23T04:00:00Z
SPEC
if "$VIGIL" scenario -q "$T/s.spec" "$T/sc" 2>"$T/err" &&
	"$VIGIL" replay -q --db "$T/v.db" $GEO "$T"/sc/*.gz 2>"$T/err"; then
	echo "ok serve_db_built"
else
	echo "FAIL serve_db_built"; cat "$T/err"; exit 1
fi

# a dashboard directory, with a symlink pointing out of it
W=$T/web
mkdir -p "$W/css" "$W/data"
echo '<!doctype html><title>vigil test page</title>' >"$W/index.html"
echo 'console.log(1)' >"$W/app.js"
echo 'body{}' >"$W/css/style.css"
echo '<svg xmlns="http://www.w3.org/2000/svg"/>' >"$W/map.svg"
echo '{}' >"$W/data/world.json"
printf 'wOF2' >"$W/font.woff2"
echo 'secret' >"$T/secret.txt"
ln -s "$T/secret.txt" "$W/leak"

# start_server LOG ARGS...: sets SPID and URL, or fails
start_server() {
	local log=$1; shift
	"$VIGIL" serve --db "$T/v.db" --web "$W" --threads 2 --poll-ms 200 "$@" 2>"$log" &
	SPID=$!
	URL=
	for _ in $(seq 1 200); do
		URL=$(sed -n 's/^vigil serve: \(http[^ ]*\)\/ .*/\1/p' "$log")
		[ -n "$URL" ] && return 0
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

if start_server "$T/serve.log" --listen 127.0.0.1:0 --access-log "$T/access.log"; then
	echo "ok serve_started ($URL)"
else
	echo "FAIL serve_started"; cat "$T/serve.log"; exit 1
fi
case $URL in
http://127.0.0.1:[0-9]*) echo "ok serve_loopback_free_port" ;;
*) echo "FAIL serve_loopback_free_port ($URL)" ;;
esac
python3 tests/regress/lib/check_serve.py "$URL" "$T/v.db" "$VIGIL" "$W"

# the access log: one line per request, key=value
if grep -q 'method=GET path="/api/v1/events" status=200 ms=' "$T/access.log" &&
	grep -q 'method=POST path="/api/v1/status" status=405' "$T/access.log" &&
	grep -q 'path="/api/v1/signals/country:XX" status=404' "$T/access.log" &&
	! grep -qv '^20[0-9-]*T[0-9:]*Z client=127.0.0.1 method=[A-Z]* path="[^"]*" status=[0-9]* ms=[0-9.]*$' "$T/access.log"; then
	echo "ok serve_access_log ($(wc -l <"$T/access.log") lines)"
else
	echo "FAIL serve_access_log"; grep -v '^20' "$T/access.log" | head -3
fi

# a clean stop: SIGTERM, exit 0 (and, under ASan, no leak)
kill -TERM "$SPID"
wait "$SPID"
rc=$?
SPID=
if [ $rc -eq 0 ] && grep -q 'terminated, stopping' "$T/serve.log"; then
	echo "ok serve_clean_stop"
else
	echo "FAIL serve_clean_stop (exit $rc)"; tail -20 "$T/serve.log"
fi

# IPv6 loopback
if start_server "$T/serve6.log" --listen '[::1]:0'; then
	case $URL in
	http://\[::1\]:[0-9]*)
		if python3 - "$URL" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/api/v1/entities?search=KP&kind=country") as r:
    d = json.load(r)
sys.exit(0 if any(e["entity"] == "country:KP" for e in d["data"]) else 1)
PY
		then echo "ok serve_ipv6"; else echo "FAIL serve_ipv6 (request)"; fi ;;
	*) echo "FAIL serve_ipv6 ($URL)" ;;
	esac
	kill -TERM "$SPID"; wait "$SPID"; SPID=
else
	echo "FAIL serve_ipv6 (did not start)"; cat "$T/serve6.log"
fi

# bad command lines: one clear line, exit 2
bad=0
for args in "--db $T/none.db" "--db $T/v.db --listen 1.2.3:80" "--db $T/v.db --listen ::1:80" \
	"--db $T/v.db --listen 127.0.0.1:70000" "--db $T/v.db --threads 0" \
	"--db $T/v.db --web $T/nodir" "--db $T/secret.txt --listen 127.0.0.1:0" "--db $T/v.db extra"; do
	# shellcheck disable=SC2086
	timeout 10 "$VIGIL" serve $args >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -ne 2 ] || [ "$(wc -l <"$T/err")" -ne 1 ] || ! grep -q '^vigil serve: ' "$T/err"; then
		echo "  serve $args: exit $rc: $(cat "$T/err")"
		bad=1
	fi
done
[ $bad -eq 0 ] && echo "ok serve_bad_command_lines" || echo "FAIL serve_bad_command_lines"
"$VIGIL" serve --help | grep -q 'GET /api/v1/status' && echo "ok serve_help" || echo "FAIL serve_help"
