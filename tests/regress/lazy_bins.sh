#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Idle entities are parked: the per-bin pass skips them and their detectors
# catch up when they change or on the hour (src/detect/detector.c,
# det_park).  That must change nothing: a replay with --eager (every
# entity's detectors in every bin) and one without write the same signals,
# events and evidence, on a scenario with outages, flaps, a session drop
# and warm-up (8 h, so the window and the keyframes are crossed many
# times) and on real archives (RIPE RIS and RouteViews, two collectors).
# Likewise the lookahead (route elements held while their memory is
# fetched, src/detect/obs.c ahead_hold): --no-lookahead must write the
# same.
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. tests/regress/lib/replay_env.sh

kp_scenario 11 400 "$T/sc" 2>"$T/err" || { echo "FAIL lazy_scenario_built"; cat "$T/err"; exit 1; }

# every row of the tables the detectors write, in key order
dump() {
	for t in signals events evidence; do
		echo "== $t"
		sqlite3 "$1" "select * from $t order by 1, 2, 3"
	done
	echo "== keyframes"
	sqlite3 "$1" "select first_id, bin_start, bin_len, hex(data) from keyframes order by 1, 2"
	sqlite3 "$1" "select first_id, bin_start, bin_len, hex(data) from signal_chunks order by 1, 2"
}

# compare NAME [replay options and files]: lazy vs eager
compare() {
	local name=$1; shift
	"$VIGIL" replay -q --json --db "$T/lazy.db" $GEO "$@" >"$T/lazy.json" 2>"$T/err"
	local rc1=$?
	"$VIGIL" replay -q --json --db "$T/eager.db" --eager $GEO "$@" >"$T/eager.json" 2>>"$T/err"
	local rc2=$?
	"$VIGIL" replay -q --json --db "$T/direct.db" --no-lookahead $GEO "$@" >"$T/direct.json" 2>>"$T/err"
	local rc3=$?
	dump "$T/lazy.db" >"$T/lazy.dump"
	dump "$T/eager.db" >"$T/eager.dump"
	dump "$T/direct.db" >"$T/direct.dump"
	# signal rows (unpacked), and SQLite rows of packed ones
	local rows; rows=$(python3 tests/regress/lib/kf_expand.py --dump "$T/lazy.db" | wc -l)
	local kf; kf=$(sed -n '/^== keyframes/,$p' "$T/lazy.dump" | grep -vc '^==')
	if [ $rc1 -le 1 ] && [ $rc1 = $rc2 ] && [ "$rows" -gt 100 ] &&
	   cmp -s "$T/lazy.dump" "$T/eager.dump" && cmp -s "$T/lazy.json" "$T/eager.json"; then
		echo "ok lazy_equals_eager_$name ($rows signal rows in $kf packed rows, $(wc -l <"$T/lazy.json") events)"
	else
		echo "FAIL lazy_equals_eager_$name (exit $rc1/$rc2, $rows signal rows)"
		diff "$T/lazy.dump" "$T/eager.dump" | head -5
		head -3 "$T/err"
	fi
	if [ $rc1 = $rc3 ] && cmp -s "$T/lazy.dump" "$T/direct.dump" &&
	   cmp -s "$T/lazy.json" "$T/direct.json"; then
		echo "ok lookahead_equals_direct_$name"
	else
		echo "FAIL lookahead_equals_direct_$name (exit $rc1/$rc3)"
		diff "$T/lazy.dump" "$T/direct.dump" | head -5
	fi
}

compare scenario "$T"/sc/*.gz
# the scenario has events; the comparison must have had some to compare
n=$(grep -c '"kind":"outage"' "$T/lazy.json")
[ "$n" -ge 2 ] && echo "ok lazy_scenario_has_outages ($n)" || echo "FAIL lazy_scenario_has_outages ($n)"
compare ris_rv_2015 --full-feed-v4 50000 "$D/mrt/ris-rv-2015/ris.rrc06.updates.1427846400.gz" \
	"$D/mrt/ris-rv-2015/routeviews.route-views.jinx.updates.1427846400.bz2"
compare ris_2002 --full-feed-v4 50000 "$D/mrt/ris-bgpdump/input/bview.20020722.2337.gz" \
	"$D/mrt/ris-bgpdump/input/updates.20020722.2238.gz"
