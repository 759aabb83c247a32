#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Splitting the work by collector (docs/partials.md).  The KP scenario of
# observatory.sh, its 8 peers dealt over 3 collectors (rrc00..rrc02), is
# replayed once by one process and once as per-collector partial runs
# (`replay --partial`) merged by `replay --merge`: the merged events and
# every signal row must be identical to the single process's, also when
# two collectors share one partial run.  The merged run must still find
# the scripted truth.  Bad partial files get a clear error, never a crash.
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. tests/regress/lib/replay_env.sh

cat >"$T/s.spec" <<SPEC
seed 7
start 2015-10-23T00:00:00Z
duration 8h
peers 8
peer-asns 65536,65537,65538,65539,65540,65541,65542,65543
source $D/mrt/ris-bgpdump/input/updates.et-header.2015.gz
churn 200/min
collectors 3
flap origin 131279 every 10m from 2015-10-23T01:30:00Z until 2015-10-23T02:30:00Z
outage origin 131279 from 2015-10-23T03:15:00Z until 2015-10-23T05:46:00Z
outage origin 17557 fraction 0.5 from 2015-10-23T04:00:00Z until 2015-10-23T05:00:00Z
session-drop peer 3 at 2015-10-23T06:00:00Z until 2015-10-23T06:20:00Z
table-resend peer 5 at 2015-10-23T07:00:00Z
SPEC
if "$VIGIL" scenario -q "$T/s.spec" "$T/sc" 2>"$T/err" &&
   [ -f "$T/sc/rrc00/bview.20151023.0000.gz" ] && [ -f "$T/sc/rrc02/bview.20151023.0000.gz" ] &&
   [ "$("$VIGIL" dump "$T/sc/rrc01/bview.20151023.0000.gz" | cut -d'|' -f4 | sort -u | wc -l)" -eq 3 ]; then
	echo "ok scenario_3_collectors"   # peers 2, 5 and 8 at rrc01
else
	echo "FAIL scenario_3_collectors"; cat "$T/err"; exit 1
fi

# the reference: one process, every collector
"$VIGIL" replay -q --json --db "$T/one.db" $GEO "$T"/sc/rrc*/*.gz >"$T/one.jsonl" 2>"$T/err" ||
	{ echo "FAIL single_replay"; cat "$T/err"; exit 1; }

# one partial run per collector, then the merge
ok=1
for c in 0 1 2; do
	"$VIGIL" replay -q --partial "$T/p$c.vgp" $GEO "$T"/sc/rrc0$c/*.gz 2>"$T/err" || { ok=0; cat "$T/err"; }
done
[ $ok = 1 ] && echo "ok partial_runs" || echo "FAIL partial_runs"
"$VIGIL" replay --merge -q --json --db "$T/merged.db" $GEO "$T"/p0.vgp "$T"/p1.vgp "$T"/p2.vgp \
	>"$T/merged.jsonl" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && echo "ok merge_exit_0" || { echo "FAIL merge_exit_0 (exit $rc)"; cat "$T/err"; }

# byte-identical events (replay --json, and `vigil events --json` of the DBs)
n=$(wc -l <"$T/one.jsonl")
[ "$n" -ge 3 ] && cmp -s "$T/one.jsonl" "$T/merged.jsonl" && echo "ok merged_events_identical ($n events)" ||
	{ echo "FAIL merged_events_identical"; diff "$T/one.jsonl" "$T/merged.jsonl" | head -5; }
"$VIGIL" events --json --db "$T/one.db" >"$T/one.ev"
"$VIGIL" events --json --db "$T/merged.db" >"$T/merged.ev"
[ -s "$T/one.ev" ] && cmp -s "$T/one.ev" "$T/merged.ev" && echo "ok merged_db_events_identical" ||
	echo "FAIL merged_db_events_identical"

# every signal row identical (entities by their text: ids are internal),
# the packed keyframe rows included (lib/kf_expand.py)
sig() {
	python3 tests/regress/lib/kf_expand.py --dump-text "$1"
}
sig "$T/one.db" >"$T/one.sig"
sig "$T/merged.db" >"$T/merged.sig"
rows=$(wc -l <"$T/one.sig")
[ "$rows" -gt 1000 ] && cmp -s "$T/one.sig" "$T/merged.sig" && echo "ok merged_signals_identical ($rows rows)" ||
	{ echo "FAIL merged_signals_identical ($rows rows)"; diff "$T/one.sig" "$T/merged.sig" | head -5; }
"$VIGIL" signals country:KP --from 2015-10-23 --until 2015-10-23T08:00 --format json --db "$T/one.db" >"$T/kp1"
"$VIGIL" signals country:KP --from 2015-10-23 --until 2015-10-23T08:00 --format json --db "$T/merged.db" >"$T/kp2"
[ -s "$T/kp1" ] && cmp -s "$T/kp1" "$T/kp2" && echo "ok merged_kp_signals_json_identical" ||
	echo "FAIL merged_kp_signals_json_identical"
# the split sees the same peers
p1=$(sqlite3 "$T/one.db" "select collector, asn, v4_routes, up from peers order by 1, 2")
p2=$(sqlite3 "$T/merged.db" "select collector, asn, v4_routes, up from peers order by 1, 2")
[ -n "$p1" ] && [ "$p1" = "$p2" ] && echo "ok merged_peers_identical" || echo "FAIL merged_peers_identical"

# the merged run finds the scripted truth
"$VIGIL" dump --origin 17557 "$T"/sc/rrc00/bview.*.gz "$T"/sc/rrc01/bview.*.gz "$T"/sc/rrc02/bview.*.gz |
	cut -d'|' -f6 | sort -u >"$T/as17557"
python3 tests/regress/lib/check_scenario.py "$T/sc/truth.json" "$T/merged.jsonl" 17557="$T/as17557" |
	sed 's/^ok /ok merged_/; s/^FAIL /FAIL merged_/'

# two collectors in one partial run, one in another: the same again
"$VIGIL" replay -q --partial "$T/p01.vgp" $GEO "$T"/sc/rrc00/*.gz "$T"/sc/rrc01/*.gz 2>/dev/null
"$VIGIL" replay --merge -q --json --db "$T/m2.db" $GEO "$T/p2.vgp" "$T/p01.vgp" >"$T/m2.jsonl" 2>"$T/err"
sig "$T/m2.db" >"$T/m2.sig"
cmp -s "$T/one.jsonl" "$T/m2.jsonl" && cmp -s "$T/one.sig" "$T/m2.sig" &&
	echo "ok merged_grouped_identical" || { echo "FAIL merged_grouped_identical"; cat "$T/err"; }

# bad partial files: a clear message naming the file, exit 2, no crash
bad() {
	local name=$1 want=$2; shift 2
	"$VIGIL" replay --merge -q --no-db $GEO "$@" >/dev/null 2>"$T/err"
	local rc=$?
	if [ $rc -eq 2 ] && grep -q "$want" "$T/err" && ! grep -qi "sanitizer\|runtime error" "$T/err"; then
		echo "ok bad_partial_$name"
	else
		echo "FAIL bad_partial_$name (exit $rc)"; head -3 "$T/err"
	fi
}
head -c 1000000 "$T/p1.vgp" >"$T/trunc.vgp"
bad truncated "trunc.vgp: record at byte [0-9]* truncated" "$T/p0.vgp" "$T/trunc.vgp"
head -c 20 "$T/p1.vgp" >"$T/short.vgp"
bad short_header "short.vgp: bad or missing header" "$T/short.vgp"
bad not_partial "not a vigil partial file" "$T/sc/rrc00/bview.20151023.0000.gz"
"$VIGIL" replay -q --partial "$T/bin600.vgp" --bin 600 $GEO "$T"/sc/rrc02/updates.20151023.00*.gz 2>/dev/null
bad other_options "other options" "$T/p0.vgp" "$T/bin600.vgp"
# a record length that lies: the 5th byte after the magic + header
python3 - "$T/p0.vgp" "$T/lie.vgp" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read(4096))
hl = int.from_bytes(b[9:13], 'big')
at = 8 + 5 + hl          # first record after the header (a BIN)
b[at + 1:at + 5] = (0x7fffffff).to_bytes(4, 'big')
open(sys.argv[2], 'wb').write(b)
PY
bad lying_length "lie.vgp: record of [0-9]* bytes" "$T/lie.vgp"
"$VIGIL" replay --partial "$T/x.vgp" --merge "$T/p0.vgp" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "exclude each other" "$T/err" && echo "ok partial_and_merge_refused" ||
	echo "FAIL partial_and_merge_refused"
