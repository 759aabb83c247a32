#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A whole real day of RouteViews route-views2 updates (2008-02-23, 94 files,
# 6.3 M prefix events, no documented outage): ordinary churn, on which
# replay must raise nothing at all, neither outage nor instability.  The
# day has no RIB dump and its peers' tables stay below the full-feed size,
# so there is no full-feed peer to judge visibility by: the detectors must
# say nothing rather than read the missing picture as events.
set -u
cd "$(dirname "$0")/../../.."
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. tests/regress/lib/replay_env.sh
"$VIGIL" replay -q --json --db "$T/v.db" $GEO "$D"/mrt/rv2-2008-02-23/*.bz2 >"$T/ev.jsonl" 2>"$T/err"
rc=$?
# exit 1: the day holds a few records that RouteViews cut short (reported,
# what decodes is kept)
[ $rc -le 1 ] && echo "ok rv2_2008_replay_finished" || { echo "FAIL rv2_2008_replay_finished (exit $rc)"; head -5 "$T/err"; }
n=$(wc -l <"$T/ev.jsonl")
[ "$n" -eq 0 ] && echo "ok rv2_2008_no_events" || { echo "FAIL rv2_2008_no_events ($n events)"; head -c 600 "$T/ev.jsonl"; }
# and it did see the day: signals for thousands of origin ASes, with
# the churn counted
s=$(python3 tests/regress/lib/kf_expand.py --query "$T/v.db" "select count(distinct entity_id) || ' ' || sum(announcements) || ' ' || sum(withdrawals) from signals_all")
set -- $s
[ "${1:-0}" -gt 10000 ] && [ "${2:-0}" -gt 1000000 ] && [ "${3:-0}" -gt 100000 ] &&
	echo "ok rv2_2008_signals_counted ($s)" || echo "FAIL rv2_2008_signals_counted ($s)"
