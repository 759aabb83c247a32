#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# API benchmark: `vigil serve` under load from wrk (a second process, on
# loopback), for /api/v1/status and /api/v1/signals/..., on a database
# holding a week of 5-minute bins (2016) for every country and every origin
# AS seen.
#
# The database is made the way a user makes one: `vigil scenario` clones
# the real 2015 RIS full-table session (577k prefixes, ~52k origin ASes,
# ~140 countries in the APNIC/AFRINIC/LACNIC geography) to 4 peers for
# API_BENCH_DAYS days (default 7) of ordinary churn with a few scripted
# outages and flaps, and `vigil replay` writes every entity's signal rows:
# a row per bin where something changed, and every entity's row each hour
# (the store's sparse layout).  Built once into bench/out/api/ and reused.
#
# Paths rotated by wrk (bench/api.lua): status at every bin of the data;
# signals of every country for each day (5 upstream series each, the
# default), and of API_BENCH_ASNS random origin ASes (default 500) for a
# random day.  Each endpoint is measured
#   - warm: the server's answer cache (per database version) holds the
#     rotation after one pass over it (what a dashboard with many viewers
#     sees between two bins of a live database);
#   - cold: --cache-mb 0, every answer computed from SQLite.
# Reported: requests/s, p50 and p99 latency (wrk --latency), non-200
# answers, requests per CPU-second of the server (what one core serves,
# less sensitive to other load on the machine than requests/s), the load
# average, the server's peak RSS.  Figures are printed, never asserted.
#
# Environment: API_BENCH_DAYS, API_BENCH_ASNS, API_BENCH_SECS (per run,
# default 20), API_BENCH_CONNS (wrk connections, 16), API_BENCH_THREADS
# (server threads, 2), API_BENCH_WRK_THREADS (1).
set -u
cd "$(dirname "$0")/.."
DATA=${VIGIL_DATA:-$(cd .. && pwd)/shared/data}
OUT=bench/out/api
DAYS=${API_BENCH_DAYS:-7}
NASNS=${API_BENCH_ASNS:-500}
SECS=${API_BENCH_SECS:-20}
CONNS=${API_BENCH_CONNS:-16}
STHREADS=${API_BENCH_THREADS:-2}
WTHREADS=${API_BENCH_WRK_THREADS:-1}
mkdir -p "$OUT"
make -s all >/dev/null || exit 2
V=$PWD/build/vigil
command -v wrk >/dev/null || { echo "bench/api.sh: wrk is not installed" >&2; exit 2; }
DB=$OUT/week-$DAYS.db
G=$DATA/geo

# ---- the database ----------------------------------------------------------
# (a file of an older schema version is built again: its figures would be
# another layout's)
if [ ! -s "$DB" ] || [ "$(sqlite3 "$DB" "select value from meta where key = 'schema_version'")" != 3 ]; then
	cat >"$OUT/week.spec" <<SPEC
seed 11
start 2015-10-19T00:00:00Z
duration ${DAYS}d
peers 4
peer-asns 65536,65537,65538,65539
source $DATA/mrt/ris-bgpdump/input/updates.et-header.2015.gz
churn 200/min
flap origin 131279 every 10m from 2015-10-19T09:00:00Z until 2015-10-19T13:00:00Z
outage origin 131279 from 2015-10-19T16:15:00Z until 2015-10-20T01:46:00Z
outage origin 17557 fraction 0.5 from 2015-10-19T04:00:00Z until 2015-10-19T06:00:00Z
outage origin 21277 from 2015-10-19T10:00:00Z until 2015-10-19T14:00:00Z
outage origin 12511 from 2015-10-19T02:00:00Z until 2015-10-19T03:00:00Z
flap origin 2711 every 10m from 2015-10-19T20:00:00Z until 2015-10-19T22:00:00Z
session-drop peer 2 at 2015-10-19T18:00:00Z until 2015-10-19T18:20:00Z
SPEC
	echo "building the database ($DAYS days; scenario + replay) ..." >&2
	rm -rf "$OUT/sc"
	/usr/bin/time -f "%e" -o "$OUT/t.scenario" "$V" scenario -q "$OUT/week.spec" "$OUT/sc" || exit 1
	/usr/bin/time -f "%e %M" -o "$OUT/t.replay" "$V" replay -q --db "$DB.tmp" \
		--geo "$G/delegated-apnic-extended-latest" --geo "$G/delegated-afrinic-extended-latest" \
		--geo "$G/delegated-lacnic-extended-latest" --geo "$G/asnames.json.gz" "$OUT"/sc/*.gz || exit 1
	mv "$DB.tmp" "$DB"
	rm -f "$DB.tmp-wal" "$DB.tmp-shm"
	echo "database built: scenario $(cat "$OUT/t.scenario") s, replay $(cut -d' ' -f1 "$OUT/t.replay") s" \
		"(peak RSS $(( $(cut -d' ' -f2 "$OUT/t.replay") / 1024 )) MB)" >"$OUT/built"
	rm -rf "$OUT/sc"
fi
cat "$OUT/built" 2>/dev/null
sqlite3 "$DB" "select 'database: ' || (select count(*) from bins) || ' bins of ' ||
	(select value from meta where key = 'bin_len') || ' s, ' ||
	(select count(*) from entities where kind = 1) || ' countries, ' ||
	(select count(*) from entities where kind = 2) || ' origin ASes, ' ||
	(select count(*) from entities where kind = 3) || ' upstreams, ' ||
	(select count(*) from signals) || ' signal rows + ' ||
	(select count(*) from keyframes) || ' keyframe blobs + ' ||
	(select count(*) from signal_chunks) || ' chunk blobs (64 entities each), ' ||
	(select count(*) from events) || ' events'"
echo "file: $(( $(stat -c %s "$DB") / 1048576 )) MB ($DB)"

# ---- the paths ---------------------------------------------------------------
P=$OUT/paths
sqlite3 "$DB" "select '/api/v1/status?at=' || bin_start from bins" |
	shuf --random-source=<(yes) >"$P.status"
first=$(sqlite3 "$DB" "select min(bin_start) from bins")
last=$(sqlite3 "$DB" "select max(bin_start) from bins")
{
	for c in $(sqlite3 "$DB" "select text from entities where kind = 1"); do
		for ((d = first; d + 86400 - 300 <= last; d += 86400)); do
			echo "/api/v1/signals/$c?from=$d&until=$((d + 86400 - 300))"
		done
	done
	sqlite3 "$DB" "select text from entities where kind = 2 order by random() limit $NASNS" |
		awk -v f="$first" -v l="$last" 'BEGIN{srand(7)} {
			days = int((l - f + 300) / 86400); d = f + int(rand() * days) * 86400
			printf "/api/v1/signals/%s?from=%d&until=%d\n", $1, d, d + 86100 }'
} | shuf --random-source=<(yes) >"$P.signals"
paste -d'\n' "$P.status" <(head -n "$(wc -l <"$P.status")" "$P.signals") |
	grep . >"$P.mixed"
echo "paths: $(wc -l <"$P.status") status, $(wc -l <"$P.signals") signals"

# ---- runs ------------------------------------------------------------------
SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null' EXIT
start() {
	"$V" serve --db "$DB" --listen 127.0.0.1:0 --web none --threads "$STHREADS" "$@" \
		2>"$OUT/serve.log" &
	SPID=$!
	URL=
	for _ in $(seq 1 100); do
		URL=$(sed -n 's/^vigil serve: \(http[^ ]*\)\/ .*/\1/p' "$OUT/serve.log")
		[ -n "$URL" ] && return 0
		sleep 0.1
	done
	echo "bench/api.sh: the server did not start" >&2
	cat "$OUT/serve.log" >&2
	exit 1
}
stop() {
	local hwm
	# RssFile: pages of the database file the connections map (the OS
	# page cache, counted once per connection's mapping); RssAnon: the
	# server's own memory
	hwm=$(awk '/VmHWM|RssAnon|RssFile/ {printf "%s %d MB  ", $1, $2 / 1024}' \
		"/proc/$SPID/status")
	echo "  server memory: $hwm"
	kill "$SPID"
	wait "$SPID" 2>/dev/null
	SPID=
}
# warm FILE: every path once, 4 at a time
warm() {
	python3 - "$URL" "$1" <<'PY'
import concurrent.futures, sys, time, urllib.request
base, paths = sys.argv[1], [l.strip() for l in open(sys.argv[2]) if l.strip()]
def get(p):
    with urllib.request.urlopen(base + p, timeout=60) as r:
        r.read()
        return r.status
t = time.time()
with concurrent.futures.ThreadPoolExecutor(4) as ex:
    bad = sum(1 for s in ex.map(get, paths) if s != 200)
print("  one pass over %d paths: %.1f s (%.0f answers/s computed), %d not 200"
      % (len(paths), time.time() - t, len(paths) / (time.time() - t), bad))
PY
}
# CPU time (user + system, clock ticks) the server has used
cpu() { awk '{print $14 + $15}' "/proc/$SPID/stat"; }
measure() { # NAME CACHE FILE
	local c0 c1
	c0=$(cpu)
	wrk -t"$WTHREADS" -c"$CONNS" -d"${SECS}s" --latency -s bench/api.lua "$URL" -- "$3" \
		>"$OUT/wrk.$1.$2" 2>&1
	c1=$(cpu)
	# requests per CPU-second of the server: what one core would serve,
	# whatever else the machine was doing meanwhile
	awk -v n="$1" -v c="$2" -v cpu=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" '
		/requests in/ {reqs = $1}
		/Requests\/sec/ {rps = $2}
		/^ +50%/ {p50 = $2}
		/^ +99%/ {p99 = $2}
		/Non-2xx/ {bad = $NF}
		END {printf "%-8s %-5s %10s %9s %9s %8s %12.0f\n", n, c, rps, p50, p99,
		            bad ? bad : 0, cpu ? reqs / (cpu / hz) : 0}' \
		"$OUT/wrk.$1.$2"
}
echo "server: $STHREADS threads; wrk: $WTHREADS thread(s), $CONNS connections, ${SECS}s per run"
start --cache-mb 512
warm "$P.status"
warm "$P.signals"
uptime | sed 's/.*load/  load/'
printf '%-8s %-5s %10s %9s %9s %8s %12s\n' endpoint cache "req/s" "p50" "p99" "non-200" "req/CPU-s"
measure status warm "$P.status"
measure signals warm "$P.signals"
measure mixed warm "$P.mixed"
curl -s "$URL/metrics" | grep -E '^vigil_http_cache_(hits_total|misses_total|bytes|entries) ' | sed 's/^/  /'
stop
start --cache-mb 0
measure status cold "$P.status"
measure signals cold "$P.signals"
stop
