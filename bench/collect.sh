#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# vigil collect receiving >= 1M routes over BGP on loopback, two ways:
#   gobgp   two real GoBGP speakers (gobgpd), each `gobgp mrt inject global`
#           of the real 577k-prefix 2015 RIS table (as a TABLE_DUMP_V2 made
#           by `vigil scenario`): 1.15 M routes from a real BGP
#           implementation, which sends one prefix per UPDATE
#   replay  two scripted peers (tests/regress/lib/bgp_peer.py) sending the
#           raw UPDATE messages of the real 2015 RIS full-table session as
#           the router packed them: 1.15 M routes as fast as vigil reads
#   single  the same session, one UPDATE per prefix (each with the
#           attributes of the UPDATE it came from): 1.15 M UPDATEs
#   paced   as single, but each peer paced at RATE UPDATEs/s (default
#           20000), each UPDATE in its own send, as a router sends:
#           the processing thread's cost when UPDATEs trickle in
#   proc    the processing thread alone (bench/collect_proc.c, no
#           sockets) on the archives the modes above received, when they
#           were run before: per-UPDATE cost without the event loop
# For each: routes/s received and processed (wall, first session up to the
# last route in the routing state), vigil's CPU (whole process, and the
# processing thread alone = routes/s into the routing state on one core,
# and the event loop thread), the sender's CPU, peak RSS, bytes per route
# (routing state / routes) and archive bytes per route (gzip MRT).
# The collector archives (gzip MRT) and runs detection with APNIC geography
# but writes no database.
#   attrs   the replay way twice, with no RIB dumps (rib-interval 0: the
#           routing state keeps AS paths only) and with them (the state also
#           keeps each route's attribute set for the dumps), with a
#           database for the metrics: routing state bytes per route, the
#           attribute sets' share, peak RSS, processing CPU, side by side
# Usage: bench/collect.sh [gobgp|replay|single|paced|proc|attrs|all]
set -u
cd "$(dirname "$0")/.."
DATA=${VIGIL_DATA:-$(cd .. && pwd)/shared/data}
. tests/regress/lib/routers.sh # gobgp_speaker_toml
OUT=bench/out
mkdir -p "$OUT"
what=${1:-all}
make -s all >/dev/null || exit 2
V=${VIGIL_BIN:-$PWD/build/vigil} # VIGIL_BIN: another build to compare
MRT=$DATA/mrt/ris-bgpdump/input/updates.et-header.2015.gz
T=$(mktemp -d)
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14 + $15}' "$1" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)

start_collector() { # PORT
	rm -rf "$T/arc" "$T/status.json"
	mkdir "$T/arc"
	cat >"$T/c.conf" <<EOF
collector bench
local-as 65000
router-id 127.0.0.1
listen 127.0.0.1 $1
archive $T/arc
rib-interval ${RIB_INTERVAL:-0}
${DB:+db $DB}
geo-rir $DATA/geo/delegated-apnic-extended-latest
status-file $T/status.json
log $T/log
peer 127.0.0.6 as 65006
peer 127.0.0.7 as 65007
EOF
	"$V" collect -c "$T/c.conf" 2>"$T/stderr" &
	CP=$!
	PIDS="$PIDS $CP"
	sleep 0.5
}

routes() {
	python3 -c "import json; s=json.load(open('$T/status.json'))
print(sum(p['routes_v4'] + p['routes_v6'] for p in s['peers']), s['queue_overflows'])" 2>/dev/null || echo "0 0"
}

# wait until the peers are up, then until at least N routes are held and
# the count has not moved for 2 s; prints the time of the last change, the
# time the first session came up, the routes and the queue overflows
measure() { # N TIMEOUT
	local n=$1 end=$((SECONDS + $2)) t0="" last=-1 tlast=0 now r ov
	while [ $SECONDS -lt $end ]; do
		now=$(date +%s.%N)
		if [ -z "$t0" ] && grep -q 'event=established' "$T/log" 2>/dev/null; then
			t0=$now
		fi
		set -- $(routes)
		r=$1 ov=$2
		if [ "$r" != "$last" ]; then
			last=$r
			tlast=$now
		elif [ "$r" -ge "$n" ] && awk -v a="$now" -v b="$tlast" 'BEGIN{exit !(a - b > 2)}'; then
			echo "$tlast $t0 $r $ov"
			return 0
		fi
		sleep 0.1
	done
	echo "$tlast ${t0:-0} $last 0"
	return 1
}

report() { # LABEL SENDER_TICKS
	local proc_tid tp tl tall rss line t1 t0 n ov
	line=$1
	read -r t1 t0 n ov <"$T/measure"
	for t in /proc/$CP/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = vigil-proc ] && proc_tid=$(basename "$t")
	done
	tp=$(ticks "/proc/$CP/task/$proc_tid/stat")
	tl=$(ticks "/proc/$CP/task/$CP/stat") # the event loop (main thread)
	tall=$(ticks "/proc/$CP/stat")
	rss=$(awk '/VmHWM/ {print $2}' "/proc/$CP/status")
	kill -TERM "$CP"
	wait "$CP" 2>/dev/null
	local span
	span=$("$V" dump -q -m "$T"/arc/*/updates.*.gz | awk -F'|' '$3 == "A" {
		if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2; c++ }
		END { printf "%.2f %d %.6f", max - min, c, min }')
	echo "$span" >"$T/span"
	# keep the archive: bench/out/collect-LABEL.mrt.gz, the session as
	# received (the one-prefix UPDATEs of GoBGP feed the "single" mode)
	cat "$T"/arc/*/updates.*.gz >"$OUT/collect-$line.mrt.gz"
	local abytes
	abytes=$(cat "$T"/arc/*/updates.*.gz | wc -c)
	awk -v l="$line" -v n="$n" -v t0="$t0" -v t1="$t1" -v tp="$tp" -v ta="$tall" -v hz="$hz" \
	    -v rss="$rss" -v st="$2" -v ov="$ov" -v tl="$tl" -v ab="$abytes" 'BEGIN{
		w = t1 - t0; if (w <= 0) w = 1e-9
		printf "%s: %d routes in %.1f s wall = %.0f routes/s received and processed (from the first session up to the last route counted in the status file, 1 s resolution)\n", l, n, w, n / w
		printf "  vigil CPU %.2f s (%.0f routes/s), processing thread %.2f s = %.0f routes/s into the routing state on one core\n",
		       ta / hz, n / (ta / hz), tp / hz, n / (tp / hz)
		printf "  event loop thread %.2f s = %.0f routes/s read, framed, checked and queued on one core\n",
		       tl / hz, n / ((tl > 0 ? tl : 1) / hz)
		printf "  archive %.1f MB gzip MRT = %.1f bytes/route\n", ab / 1e6, ab / n
		printf "  sender CPU %.1f s (%.1fx vigil)   peak RSS %d MB   queue overflows %d\n",
		       st / hz, (st / hz) / (ta / hz), rss / 1024, ov
	}'
	awk '{ if ($1 > 0) printf "  archive: %d announcements received within %.2f s (first to last record time) = %.0f routes/s\n", $2, $1, $2 / $1 }' "$T/span"
	# from the first announcement received to the last route counted
	# in the status file: received and processed (0.1 s polling, 1 s
	# status file resolution)
	awk -v t1="$t1" -v n="$n" '{ w = t1 - $3; if (w > 0)
		printf "  first announcement received to last route in the routing state: %.2f s = %.0f routes/s received and processed\n", w, n / w }' "$T/span"
}

# bytes per route of the routing state, from a replay of the archive
bytes_per_route() {
	"$V" replay --no-db --collector bench "$T"/arc/*/updates.*.gz 2>&1 >/dev/null |
		grep -o '[0-9.]* bytes/route' | head -1
}

bench_gobgp() {
	command -v gobgpd >/dev/null || { echo "gobgpd not installed"; return 1; }
	local SC=$OUT/collect-table
	if [ ! -s "$SC/table.mrt" ]; then
		rm -rf "$SC"
		printf 'seed 1\nstart 2015-10-23T00:00:00Z\nduration 10m\nsource %s\npeers 1\nchurn 0/min\n' \
			"$MRT" >"$OUT/collect-table.spec"
		"$V" scenario -q "$OUT/collect-table.spec" "$SC" || return 1
		zcat "$SC"/bview.*.gz >"$SC/table.mrt"
	fi
	local n1
	n1=$("$V" dump -q -m "$SC/table.mrt" | wc -l)
	local P; P=$(port)
	start_collector "$P"
	local gp="" api=15070
	for n in 6 7; do
		gobgp_speaker_toml "127.0.0.$n" "6500$n" 127.0.0.1 65000 "$P" 2 \
			>"$T/speaker$n.toml"
		gobgpd -f "$T/speaker$n.toml" -p --api-hosts 127.0.0.1:$((api + n)) --pprof-disable \
			>"$T/gobgpd$n.log" 2>&1 &
		gp="$gp $!"
		PIDS="$PIDS $!"
	done
	sleep 1
	for n in 6 7; do gobgp -p $((api + n)) mrt inject global "$SC/table.mrt" & done
	measure $((2 * n1 * 99 / 100)) 900 >"$T/measure"
	local st=0
	for g in $gp; do st=$((st + $(ticks /proc/$g/stat))); done
	echo "GoBGP: 2 speakers x $n1 routes (gobgp mrt inject global; >= 99% counted)"
	report "gobgp" "$st"
	for g in $gp; do kill "$g" 2>/dev/null; done
	echo "  $(bytes_per_route) (routing state, from a replay of the archive)"
}

bench_replay() { # LABEL [mrt step options: split=1 rate=R]
	local label=$1 split=${2:-}
	local P; P=$(port)
	start_collector "$P"
	local sp=""
	for n in 6 7; do
		python3 tests/regress/lib/bgp_peer.py 127.0.0.$n "$P" 6500$n \
			"open; established; mrt $MRT $split; write-count $T/count$n; sleep 3600" 2>"$T/peer$n.err" &
		sp="$sp $!"
		PIDS="$PIDS $!"
	done
	local want
	want=$("$V" dump -q -m "$MRT" | grep -c '|A|')
	measure $((2 * want * 99 / 100)) 600 >"$T/measure"
	local st=0
	for s in $sp; do st=$((st + $(ticks /proc/$s/stat))); done
	if [ -n "$split" ]; then
		echo "scripted peers: 2 x the 2015 RIS session, one UPDATE per prefix ($want announcements each) $split"
	else
		echo "scripted peers: 2 x the 2015 RIS session's UPDATEs as packed ($want announcements each)"
	fi
	report "$label" "$st"
	for s in $sp; do kill "$s" 2>/dev/null; done
	echo "  $(bytes_per_route) (routing state, from a replay of the archive)"
}

# the processing thread alone on the archives kept by the modes above:
# CPU per element without sockets or the event loop, archive included
bench_proc() {
	local f
	cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -o "$OUT/collect_proc" \
		bench/collect_proc.c build/libvigil.a -lisal -lz -lbz2 -lzstd -llzma \
		-lsqlite3 -lmaxminddb -levent_core -levent_pthreads -lmicrohttpd -lcurl \
		-lpthread -lm || return 1
	for f in "$OUT"/collect-single.mrt.gz "$OUT"/collect-replay.mrt.gz \
	         "$OUT"/collect-gobgp.mrt.gz; do
		[ -s "$f" ] || continue
		rm -rf "$T/parc"
		mkdir "$T/parc"
		printf '%s: ' "$(basename "$f" .mrt.gz)"
		"$OUT/collect_proc" -a "$T/parc" -g "$DATA/geo/delegated-apnic-extended-latest" "$f"
	done
}

# routing state bytes (metrics snapshot) per route, without and with the
# attribute sets of the RIB dumps
bench_attrs() {
	local ri
	for ri in 0 28800; do
		DB=$T/db.$ri RIB_INTERVAL=$ri bench_replay_attrs "$ri"
	done
}

bench_replay_attrs() { # RIB_INTERVAL
	rm -f "$DB"*
	local P; P=$(port)
	start_collector "$P"
	local sp=""
	for n in 6 7; do
		python3 tests/regress/lib/bgp_peer.py 127.0.0.$n "$P" 6500$n \
			"open; established; mrt $MRT; sleep 3600" 2>"$T/peer$n.err" &
		sp="$sp $!"
		PIDS="$PIDS $!"
	done
	local want
	want=$("$V" dump -q -m "$MRT" | grep -c '|A|')
	measure $((2 * want * 99 / 100)) 600 >"$T/measure"
	sleep 11 # a metrics snapshot of the full state
	local m tid tp rss
	m=$(sqlite3 "$DB" "select value from meta where key = 'metrics'")
	for t in /proc/$CP/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = vigil-proc ] && tid=$(basename "$t")
	done
	tp=$(ticks "/proc/$CP/task/$tid/stat")
	rss=$(awk '/VmHWM/ {print $2}' "/proc/$CP/status")
	kill -TERM "$CP"
	wait "$CP" 2>/dev/null
	for s in $sp; do kill "$s" 2>/dev/null; done
	echo "$m" | awk -v ri="$1" -v tp="$tp" -v hz="$hz" -v rss="$rss" '
		/^vigil_routes / { r = $2 }
		/^vigil_memory_bytes\{subsystem="rib"\}/ { b = $2 }
		END { printf "rib-interval %-6s %d routes, routing state %.1f MB = %.1f bytes/route; processing thread %.2f s CPU; peak RSS %d MB\n",
		      ri, r, b / 1e6, b / r, tp / hz, rss / 1024 }'
	grep -o 'event=rib-dump .*' "$T/log" | tail -1
}

case $what in
gobgp) bench_gobgp ;;
replay) bench_replay replay ;;
single) bench_replay single split=1 ;;
paced) bench_replay paced "split=1 rate=${RATE:-20000}" ;;
proc) bench_proc ;;
attrs) bench_attrs ;;
all) bench_replay replay; bench_replay single split=1; bench_gobgp; bench_proc; bench_attrs ;;
*) echo "usage: bench/collect.sh [gobgp|replay|single|paced|proc|attrs|all]" >&2; exit 2 ;;
esac
