#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The observatory against a scripted truth.  A scenario is derived from the
# real 2015 RIS full-table session (8 peers cloned from it, documentation
# ASNs, background churn) with a flapping period and a total outage of
# North Korea's origin AS131279, a partial outage of AS17557, a session
# drop and a table re-send; `vigil replay` must find exactly the scripted
# events (check_scenario.py: start and end within one bin, depth, evidence)
# and nothing else.  Then replay runs over real archives and must raise no
# outage there.
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
flap origin 131279 every 10m from 2015-10-23T01:30:00Z until 2015-10-23T02:30:00Z
outage origin 131279 from 2015-10-23T03:15:00Z until 2015-10-23T05:46:00Z
outage origin 17557 fraction 0.5 from 2015-10-23T04:00:00Z until 2015-10-23T05:00:00Z
session-drop peer 3 at 2015-10-23T06:00:00Z until 2015-10-23T06:20:00Z
table-resend peer 5 at 2015-10-23T07:00:00Z
SPEC
if "$VIGIL" scenario -q "$T/s.spec" "$T/sc" 2>"$T/err"; then
	echo "ok scenario_built"
else
	echo "FAIL scenario_built"; cat "$T/err"; exit 1
fi
"$VIGIL" replay -q --json --db "$T/v.db" $GEO "$T"/sc/*.gz >"$T/events.jsonl" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && echo "ok replay_exit_0" || { echo "FAIL replay_exit_0 (exit $rc)"; cat "$T/err"; }
"$VIGIL" dump --origin 17557 "$T"/sc/bview.*.gz | cut -d'|' -f6 | sort -u >"$T/as17557"
python3 tests/regress/lib/check_scenario.py "$T/sc/truth.json" "$T/events.jsonl" 17557="$T/as17557"

# Deterministic: the same input gives the same events and signals.
"$VIGIL" replay -q --json --db "$T/v2.db" $GEO "$T"/sc/*.gz >"$T/events2.jsonl" 2>/dev/null
cmp -s "$T/events.jsonl" "$T/events2.jsonl" && echo "ok deterministic_events" || echo "FAIL deterministic_events"
# (every row: signals and the packed keyframe rows, lib/kf_expand.py)
a=$(python3 tests/regress/lib/kf_expand.py --dump "$T/v.db" | md5sum)
b=$(python3 tests/regress/lib/kf_expand.py --dump "$T/v2.db" | md5sum)
n=$(python3 tests/regress/lib/kf_expand.py --query "$T/v.db" "select count(*), sum(v4_units), sum(withdrawals), sum(flaps) from signals_all")
[ -n "$a" ] && [ "$a" = "$b" ] && [ "${n%%|*}" -gt 1000 ] && echo "ok deterministic_signals ($n)" || echo "FAIL deterministic_signals ($n: $a vs $b)"

# The KP signal in the database: 4 /24s before, 0 during, 4 after.
kp() { python3 tests/regress/lib/kf_expand.py --query "$T/v.db" "select v4_units from signals_all s join entities e on e.id = s.entity_id where e.text = 'country:KP' and bin_start <= $1 order by bin_start desc limit 1"; }
[ "$(kp 1445569800)" = 4 ] && [ "$(kp 1445574000)" = 0 ] && [ "$(kp 1445580000)" = 4 ] &&
	echo "ok kp_signal_4_0_4" || echo "FAIL kp_signal_4_0_4 ($(kp 1445569800) $(kp 1445574000) $(kp 1445580000))"

# Real archives: no outage may be raised (a RIB dump plus updates of the
# same collector, and RouteViews and RIS files of 2015 merged by time).
for set in "ris-bgpdump/input/bview.20020722.2337.gz ris-bgpdump/input/updates.20020722.2238.gz" \
           "ris-rv-2015/ris.rrc06.updates.1427846400.gz ris-rv-2015/routeviews.route-views.jinx.updates.1427846400.bz2" \
           "ris-rrc00-2019/updates.20190101.0000.gz"; do
	files=()
	for f in $set; do files+=("$D/mrt/$f"); done
	name=$(basename "${files[0]}" | cut -d. -f1-2)
	"$VIGIL" replay -q --json --no-db --full-feed-v4 50000 $GEO "${files[@]}" >"$T/real.jsonl" 2>"$T/err"
	rc=$?
	n=$(grep -c '"kind":"outage"' "$T/real.jsonl")
	if [ $rc -le 1 ] && [ "$n" -eq 0 ]; then
		echo "ok real_no_outage_$name"
	else
		echo "FAIL real_no_outage_$name (exit $rc, $n outages)"; head -3 "$T/real.jsonl"; head -3 "$T/err"
	fi
done
