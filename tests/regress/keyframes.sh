#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Signal rows are stored packed (schema version 3: every row in table
# signal_chunks; version 2: the keyframe-only ones in table keyframes, the
# rest in signals; src/store/schema.sql).  That must change nothing a
# reader sees.  Each input is replayed three times: packed (the default,
# version 3), as version 2 (VIGIL_STORE_VERSION=2) and as a version 1
# reference (VIGIL_KEYFRAME_ROWS=1: every row in signals), and
#  - the writer: every row of both packed databases, decoded by an
#    independent reader of the format (lib/kf_expand.py), equals the
#    reference's signals, events and evidence; the packed databases really
#    are packed (version 3: no signals rows, fewer chunk rows than the
#    reference has rows; version 2: keyframe rows, fewer signals rows);
#  - the readers: `vigil signals` (csv, and --fill json), `vigil status
#    --at` at keyframe bins, around them, between them, before an entity's
#    first row and before the data, and `vigil events` print the same bytes
#    on the two packed databases, the reference, and a version 1 file
#    without the packed tables (the version 3 one unpacked by kf_expand.py);
#  - the HTTP API (signals and status of many entities and times,
#    lib/kf_compare.py) answers the same bytes from all of them;
#  - a corrupt blob is a clear error naming the row, not a crash.
# Inputs: an 8-hour scenario (outages, flaps, a session drop, warm-up),
# and two hours of real RouteViews updates.
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
. tests/regress/lib/replay_env.sh
KX=tests/regress/lib/kf_expand.py

kp_scenario 12 300 "$T/sc" 2>"$T/err" || { echo "FAIL kf_scenario_built"; cat "$T/err"; exit 1; }

# cmp_out NAME ARGS...: the command's output and exit status on the four
# databases; the arguments hold DB where --db goes
n_same=0; n_diff=0
cmp_out() {
	local k=0 ref=
	for db in "$T/p.db" "$T/q.db" "$T/r.db" "$T/x.db"; do
		"$VIGIL" "${@/#DB/$db}" >"$T/o.$k" 2>&1
		echo "exit $?" >>"$T/o.$k"
		sed -i "s#$T/[pqrx]\.db#DB#g" "$T/o.$k"
		if [ $k -gt 0 ] && ! cmp -s "$T/o.0" "$T/o.$k"; then
			n_diff=$((n_diff + 1))
			[ $n_diff -le 3 ] && { echo "  differs: $*"; diff "$T/o.0" "$T/o.$k" | head -4; }
		else
			n_same=$((n_same + 1))
		fi
		k=$((k + 1))
	done
}

# start_server DB: appends to PIDS and URLS
URLS=
start_server() {
	local log=$T/serve.$(basename "$1").log u=
	"$VIGIL" serve --db "$1" --listen 127.0.0.1:0 --threads 2 2>"$log" &
	PIDS="$PIDS $!"
	for _ in $(seq 1 300); do
		u=$(sed -n 's/^vigil serve: \(http[^ ]*\)\/ .*/\1/p' "$log")
		[ -n "$u" ] && break
		sleep 0.1
	done
	URLS="$URLS $u"
	[ -n "$u" ]
}

# check NAME ENTITY_LIMIT [replay options and files]
check() {
	local name=$1 lim=$2; shift 2
	rm -f "$T"/[pqrx].db*
	"$VIGIL" replay -q --json --db "$T/p.db" $GEO "$@" >"$T/p.json" 2>"$T/err"
	local rc1=$?
	VIGIL_KEYFRAME_ROWS=1 "$VIGIL" replay -q --json --db "$T/r.db" $GEO "$@" >"$T/r.json" 2>>"$T/err"
	local rc2=$?
	VIGIL_STORE_VERSION=2 "$VIGIL" replay -q --json --db "$T/q.db" $GEO "$@" >"$T/q.json" 2>>"$T/err"
	local rc3=$?
	if [ $rc1 -le 1 ] && [ $rc1 = $rc2 ] && [ $rc1 = $rc3 ] &&
	   cmp -s "$T/p.json" "$T/r.json" && cmp -s "$T/q.json" "$T/r.json"; then
		echo "ok kf_${name}_replay_same_summary"
	else
		echo "FAIL kf_${name}_replay_same_summary (exit $rc1/$rc2)"; head -3 "$T/err"
	fi

	# the layouts are what they claim: "signals keyframes signal_chunks"
	# rows of each, after the version
	local lay nr
	nr=$(sqlite3 "$T/r.db" "select count(*) from signals")
	lay() {
		sqlite3 "$1" "select value from meta where key = 'schema_version'" \
			"select count(*) from signals" "select count(*) from keyframes" \
			"select count(*) from signal_chunks" | tr '\n' ' '
	}
	lay="$(lay "$T/p.db")/$(lay "$T/q.db")/$(lay "$T/r.db")"
	case $lay in
	"3 0 0 "[1-9]*"/2 "[0-9]*" "[1-9]*" 0 /1 $nr 0 0 ") ;;
	*) lay="bad: $lay" ;;
	esac
	local nc nq
	nc=$(sqlite3 "$T/p.db" "select count(*) from signal_chunks")
	nq=$(sqlite3 "$T/q.db" "select count(*) from signals")
	if [ "${lay#bad}" = "$lay" ] && [ "$nc" -lt "$nr" ] && [ "$nq" -lt "$nr" ]; then
		echo "ok kf_${name}_packed ($nr rows -> $nc chunk rows; version 2: $nq rows + blobs)"
	else
		echo "FAIL kf_${name}_packed ($lay, $nr -> $nc / $nq)"
	fi

	# the writer, through an independent decoder
	local tabs="select * from events order by 1; select * from evidence order by 1, 2; select * from bins order by 1"
	if python3 "$KX" --dump "$T/p.db" >"$T/p.dump" 2>"$T/err" &&
	   python3 "$KX" --dump "$T/q.db" >"$T/q.dump" 2>>"$T/err" &&
	   python3 "$KX" --dump "$T/r.db" >"$T/r.dump" 2>>"$T/err" &&
	   [ "$(wc -l <"$T/p.dump")" = "$nr" ] && cmp -s "$T/p.dump" "$T/r.dump" &&
	   cmp -s "$T/q.dump" "$T/r.dump" &&
	   [ "$(sqlite3 "$T/p.db" "$tabs")" = "$(sqlite3 "$T/r.db" "$tabs")" ] &&
	   [ "$(sqlite3 "$T/q.db" "$tabs")" = "$(sqlite3 "$T/r.db" "$tabs")" ]; then
		echo "ok kf_${name}_rows_equal ($nr rows)"
	else
		echo "FAIL kf_${name}_rows_equal"; head -3 "$T/err"; diff "$T/p.dump" "$T/r.dump" | head -5
	fi
	python3 "$KX" "$T/p.db" "$T/x.db" || echo "FAIL kf_${name}_expand"

	# the readers, on the command line
	local first last bl
	first=$(sqlite3 "$T/r.db" "select min(bin_start) from bins")
	last=$(sqlite3 "$T/r.db" "select max(bin_start) from bins")
	bl=$(sqlite3 "$T/r.db" "select max(bin_len) from bins")
	local ents late times
	# busy and idle ones, and those whose first row comes late
	ents=$(sqlite3 "$T/r.db" "select text from entities where text in
		('country:KP', 'asn:131279', 'asn:17557', 'upstream:KP:4837')
		or id in (select id from entities where kind = 1 order by id limit $lim)
		or id in (select id from entities where kind = 2 and id % 97 = 0 limit $lim)
		or id in (select id from entities where kind = 3 and id % 13 = 0 limit $lim)")
	late=$(sqlite3 "$T/r.db" "select e.text from entities e join (select entity_id,
		min(bin_start) m from signals group by 1) f on f.entity_id = e.id
		where f.m >= ($first + $last) / 2 order by f.m desc, e.id limit $lim")
	# around the first three keyframe bins, and the ends
	times="$((first - 1)) $first $last $((last + 4000))"
	local nkf=0
	for t in $(seq "$first" "$bl" "$last"); do
		if [ $((t / bl % 12)) = 0 ] && [ $nkf -lt 3 ]; then
			times="$times $((t - 1)) $t $((t + bl)) $((t + 5 * bl))"
			nkf=$((nkf + 1))
		fi
	done
	n_same=0; n_diff=0
	for e in $ents $late; do
		cmp_out signals "$e" --db DB --from "$first" --until "$last" -f csv
		cmp_out signals "$e" --db DB --from $((first + 100 * 60)) --until $((first + 220 * 60)) --fill -f json
	done
	[ $n_diff = 0 ] && [ $n_same -gt 30 ] && echo "ok kf_${name}_cli_signals_same ($n_same)" ||
		echo "FAIL kf_${name}_cli_signals_same ($n_diff of $((n_same + n_diff)) differ)"
	n_same=0; n_diff=0
	for e in $(echo $ents | tr ' ' '\n' | head -8) $(echo $late | tr ' ' '\n' | head -3); do
		for t in $times; do
			cmp_out status "$e" --db DB --at "$t" --json
		done
	done
	cmp_out events --db DB --json
	[ $n_diff = 0 ] && [ $n_same -gt 30 ] && echo "ok kf_${name}_cli_status_same ($n_same)" ||
		echo "FAIL kf_${name}_cli_status_same ($n_diff of $((n_same + n_diff)) differ)"
	if [ -n "$late" ]; then
		echo "ok kf_${name}_has_late_entities ($(echo $late | wc -w))"
	else
		echo "FAIL kf_${name}_has_late_entities"
	fi
}

check scenario 12 "$T"/sc/*.gz

# the HTTP API on the scenario's four databases
URLS=
if start_server "$T/p.db" && start_server "$T/q.db" && start_server "$T/r.db" &&
   start_server "$T/x.db"; then
	python3 tests/regress/lib/kf_compare.py "$T/x.db" $URLS
else
	echo "FAIL kf_api_servers_started"; cat "$T"/serve.*.log
fi
for p in $PIDS; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
PIDS=

# a corrupt blob: KP's chunk in its last bin (version 3) or last keyframe
# bin (version 2), cut short / garbled
for v in p:signal_chunks q:keyframes; do
	db=$T/${v%%:*}.db tab=${v#*:}
	kp=$(sqlite3 "$db" "select id from entities where text = 'country:KP'")
	for how in "substr(data, 1, length(data) - 3)" "x'41ff'" "x''" "x'01ffffffffffffffffffff7f'"; do
		rm -f "$T/c.db" "$T/c.db-wal" "$T/c.db-shm"
		sqlite3 "$db" ".backup '$T/c.db'"
		sqlite3 "$T/c.db" "update $tab set data = $how where first_id = $kp / 64 * 64
			and bin_start = (select max(bin_start) from $tab where first_id = $kp / 64 * 64)"
		"$VIGIL" status country:KP --db "$T/c.db" >"$T/c.out" 2>&1; rc1=$?
		"$VIGIL" signals country:KP --db "$T/c.db" -f csv >"$T/c2.out" 2>&1; rc2=$?
		if [ $rc1 = 2 ] && [ $rc2 = 2 ] && grep -q "corrupt database: $tab row of first_id $((kp / 64 * 64)): .* at byte [0-9]* of [0-9]*" "$T/c.out" &&
		   grep -q "corrupt database: $tab row" "$T/c2.out"; then
			echo "ok kf_corrupt_blob_error ($tab: $how)"
		else
			echo "FAIL kf_corrupt_blob_error ($tab: $how: exit $rc1/$rc2)"; head -2 "$T/c.out" "$T/c2.out"
		fi
	done
done

# two hours of RouteViews updates (route-views2, 2008): two keyframe bins
check rv2_2008 6 $(ls "$D"/mrt/rv2-2008-02-23/updates.*.bz2 | head -9)
