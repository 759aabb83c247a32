#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `vigil fetch` and `vigil replay --collector ... --from ... --until ...`
# against a local mirror (tests/regress/lib/archive_server.py on 127.0.0.1)
# in both archive layouts, built here from the real files of ../shared/data
# under their own names and times: the route-views2 day of 2008-02-23
# (94 update files, RouteViews' drifting minutes 0014, 0029, 0146 ...),
# RIS rrc06 and route-views.jinx of 2015-04-01 00:00, RIS rrc00's bview
# and updates of 2002-07-22, three RIRs' delegation files.  The server
# misbehaves on chosen files: down at first, a 404 for a listed file, a
# truncated body, a hang, a 503, a stall; one file is absent from the
# listing and one is corrupt.  Checks the plans against an independent
# computation, byte-identical downloads, resume, retries, timeouts, gaps
# reported and stored, the cache reused, and that replay from the archive
# gives the same signals as replay of the same files listed by hand.
set -u
cd "$(dirname "$0")/../.."
VIGIL=${VIGIL:-build/vigil}
D=${VIGIL_DATA:-../shared/data}
T=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ok() { echo "ok $1"; }
fail() { echo "FAIL $1${2:+: $2}"; }
# expect NAME CMD...: CMD succeeds
expect() { local n=$1; shift; if "$@"; then ok "$n"; else fail "$n"; fi; }

command -v sqlite3 >/dev/null || { fail setup "sqlite3 shell missing"; exit 1; }

# ---- the mirror -------------------------------------------------------------
M=$T/mirror
RV2=$M/rv/bgpdata/2008.02/UPDATES
mkdir -p "$RV2" "$M/ris/rrc06/2015.04" "$M/ris/rrc00/2002.07" \
	"$M/rv/route-views.jinx/bgpdata/2015.04/UPDATES" \
	"$M/geo/apnic/2016" "$M/geo/afrinic/2016" "$M/geo/lacnic"
cp "$D"/mrt/rv2-2008-02-23/updates.*.bz2 "$RV2/"
# one file the archive lost: absent from the listing too
rm "$RV2/updates.20080223.0216.bz2"
cp "$D/mrt/ris-rv-2015/ris.rrc06.updates.1427846400.gz" \
	"$M/ris/rrc06/2015.04/updates.20150401.0000.gz"
cp "$D/mrt/ris-rv-2015/routeviews.route-views.jinx.updates.1427846400.bz2" \
	"$M/rv/route-views.jinx/bgpdata/2015.04/UPDATES/updates.20150401.0000.bz2"
# a corrupt copy (one byte flipped in the middle) as the next jinx file
python3 - "$M/rv/route-views.jinx/bgpdata/2015.04/UPDATES/updates.20150401.0000.bz2" \
	"$M/rv/route-views.jinx/bgpdata/2015.04/UPDATES/updates.20150401.0015.bz2" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0x55
open(sys.argv[2], "wb").write(b)
EOF
cp "$D/mrt/ris-bgpdump/input/bview.20020722.2337.gz" \
	"$D/mrt/ris-bgpdump/input/updates.20020722.2238.gz" "$M/ris/rrc00/2002.07/"
gzip -c "$D/geo/delegated-apnic-extended-latest" \
	>"$M/geo/apnic/2016/delegated-apnic-extended-20160131.gz"
cp "$D/geo/delegated-afrinic-extended-latest" \
	"$M/geo/afrinic/2016/delegated-afrinic-extended-20160131"
cp "$D/geo/delegated-lacnic-extended-latest" \
	"$M/geo/lacnic/delegated-lacnic-extended-20160131"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# serve LOG [server options...]: start a server on a new port ($PORT)
serve() {
	local log=$1; shift
	PORT=$(free_port)
	python3 tests/regress/lib/archive_server.py --dir "$M" --port "$PORT" \
		--log "$log" "$@" &
	PIDS+=($!)
}
wait_listening() {
	for _ in $(seq 1 100); do
		grep -q LISTENING "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
FAST=(--timeout 1 --connect-timeout 2 --retry-wait 100)

serve "$T/clean.log"
wait_listening "$T/clean.log" || { fail setup "mirror server did not start"; exit 1; }
URL=http://127.0.0.1:$PORT
BASES=(--ris-base "$URL/ris" --rv-base "$URL/rv")

# ---- plans ------------------------------------------------------------------
# expected route-views2 plan, computed independently from the mirror
expect_rv2() { # FROM UNTIL (YYYYMMDDHHMM)
	python3 - "$RV2" "$1" "$2" <<'EOF'
import os, sys, calendar, time
d, f, u = sys.argv[1:4]
ts = lambda s: calendar.timegm(time.strptime(s, "%Y%m%d%H%M"))
f, u = ts(f), ts(u)
names = sorted(os.listdir(d))
t = {n: ts(n[8:16] + n[17:21]) for n in names}
before = [n for n in names if t[n] <= f and t[n] + 1350 > f]
want = before[-1:] + [n for n in names if f < t[n] < u]
for n in want:
    print(n)
EOF
}
"$VIGIL" fetch --list --collector route-views2 --from 2008-02-23T01:00 \
	--until 2008-02-23T03:30 "${BASES[@]}" >"$T/plan" 2>"$T/plan.err"
rc=$?
awk '{print $4}' "$T/plan" | grep -o 'updates\.[0-9.]*bz2' >"$T/plan.names"
expect_rv2 200802230100 200802230330 >"$T/plan.want"
if [ $rc -eq 0 ] && [ -s "$T/plan.want" ] && cmp -s "$T/plan.names" "$T/plan.want"; then
	ok plan_rv2_files
else
	fail plan_rv2_files "rc $rc; $(diff "$T/plan.names" "$T/plan.want" | head -5)"
fi
expect plan_rv2_urls grep -q "^2008-02-23T00:59Z route-views2 *updates $URL/rv/bgpdata/2008.02/UPDATES/updates.20080223.0059.bz2$" "$T/plan"
expect plan_rv2_gap grep -q "no data: route-views2 *2008-02-23T02:16Z - 2008-02-23T02:31Z (15 min): no update file" "$T/plan"
expect plan_no_rib_note grep -q "route-views2: no RIB dump at or before" "$T/plan.err"
# sorted by time
expect plan_sorted bash -c "awk '{print \$1}' '$T/plan' | grep Z | sort -c"

# two collectors, two layouts, one range: ordered by time, gaps per collector
"$VIGIL" fetch --list --collector rrc06,route-views.jinx \
	--from 2015-04-01T00:00 --until 2015-04-01T00:15 "${BASES[@]}" >"$T/plan2" 2>/dev/null
expect plan_multi_order bash -c "head -2 '$T/plan2' | awk '{print \$2\" \"\$4}' | diff - <(printf '%s\n' \
	'rrc06 $URL/ris/rrc06/2015.04/updates.20150401.0000.gz' \
	'route-views.jinx $URL/rv/route-views.jinx/bgpdata/2015.04/UPDATES/updates.20150401.0000.bz2')"
expect plan_multi_gap grep -q "no data: rrc06 *2015-04-01T00:05Z - 2015-04-01T00:15Z" "$T/plan2"
expect plan_multi_nogap bash -c "! grep -q 'no data: route-views.jinx' '$T/plan2'"

# the RIB dump just before the start; the update file an hour older is not
# taken (it covers nothing of the range)
"$VIGIL" fetch --list --collector rrc00 --from 2002-07-22T23:40 \
	--until 2002-07-22T23:50 "${BASES[@]}" >"$T/plan3" 2>&1
expect plan_rib_before bash -c "head -1 '$T/plan3' | grep -q '^2002-07-22T23:37Z rrc00 *rib *$URL/ris/rrc00/2002.07/bview.20020722.2337.gz$'"
expect plan_rib_then_gap grep -q "no data: rrc00 *2002-07-22T23:37Z - 2002-07-22T23:50Z" "$T/plan3"
expect plan_rib_count grep -q "^1 file, 1 gap$" "$T/plan3"

# without listings: the nominal slots
"$VIGIL" fetch --list --no-listing --collector rrc00 --from 2019-01-01T00:02 \
	--until 2019-01-01T00:20 "${BASES[@]}" >"$T/plan4" 2>&1
expect plan_slots bash -c "grep -o 'rrc00/2019.01/[a-z]*\.[0-9.]*gz' '$T/plan4' | tr '\n' ' ' | grep -qx 'rrc00/2019.01/bview.20190101.0000.gz rrc00/2019.01/updates.20190101.0000.gz rrc00/2019.01/updates.20190101.0005.gz rrc00/2019.01/updates.20190101.0010.gz rrc00/2019.01/updates.20190101.0015.gz '"

# an archive nobody answers for: listing given up after the retries
DEAD=$(free_port)
"$VIGIL" fetch --collector rrc00 --from 2015-04-01 --until 2015-04-01T01:00 \
	--ris-base "http://127.0.0.1:$DEAD" --retries 2 --retry-wait 50 >/dev/null 2>"$T/e0"
rc=$?
expect unreachable_gives_up bash -c "[ $rc -eq 2 ] && grep -q 'retry 2/2' '$T/e0' && grep -q \"cannot list http://127.0.0.1:$DEAD/rrc00/2015.04/: .*(gave up after retries)\" '$T/e0'"

# usage errors
"$VIGIL" fetch --collector rrc99x --from 2015-04-01 --until 2015-04-02 >/dev/null 2>"$T/e1"
expect usage_unknown_collector bash -c "[ $? -eq 2 ] && grep -q \"unknown collector 'rrc99x'\" '$T/e1'"
"$VIGIL" fetch --collector rrc00 --from 2015-04-02 --until 2015-04-01 >/dev/null 2>"$T/e2"
expect usage_until_before_from bash -c "[ $? -eq 2 ] && grep -q 'until must be after' '$T/e2'"

# ---- downloads through faults ------------------------------------------------
# the server comes up 1.5 s late, 404s a listed file, truncates one, hangs
# on one, answers 503 once
FPORT=$(free_port)
python3 tests/regress/lib/archive_server.py --dir "$M" --port "$FPORT" \
	--log "$T/faulty.log" --delay 1.5 \
	--missing updates.20080223.0301.bz2 --truncate updates.20080223.0231.bz2 \
	--hang updates.20080223.0246.bz2 --fail5xx updates.20080223.0316.bz2 \
	--truncate updates.20080223.0201.bz2 --norange updates.20080223.0201.bz2 \
	--hang-seconds 20 &
PIDS+=($!)
FURL=http://127.0.0.1:$FPORT
C=$T/cache
start=$SECONDS
"$VIGIL" fetch --collector route-views2 --from 2008-02-23T02:00 \
	--until 2008-02-23T03:30 --rv-base "$FURL/rv" --cache "$C" --jobs 3 \
	--retries 6 "${FAST[@]}" >"$T/f.out" 2>"$T/f.err"
rc=$?
took=$((SECONDS - start))
expect fetch_exit_1_when_missing [ $rc -eq 1 ]
expect fetch_down_at_first_retried grep -q "listing $FURL/rv/bgpdata/2008.02/.*Couldn't connect.*retry 1/6" "$T/f.err"
expect fetch_truncated_reported grep -q "updates.20080223.0231.bz2: truncated: got [0-9]* of [0-9]* bytes; retry 1/6" "$T/f.err"
expect fetch_truncated_resumed grep -q "GET /rv/bgpdata/2008.02/UPDATES/updates.20080223.0231.bz2 bytes=[1-9][0-9]*- 206" "$T/faulty.log"
expect fetch_hang_timed_out grep -q "updates.20080223.0246.bz2: timed out (server hangs?).*retry 1/6" "$T/f.err"
expect fetch_no_range_restarted grep -q "updates.20080223.0201.bz2: the server cannot resume (no Range support); downloading again from the start; retry 2/6" "$T/f.err"
expect fetch_503_retried grep -q "updates.20080223.0316.bz2: HTTP 503; retry 1/6" "$T/f.err"
expect fetch_missing_reported grep -q "^missing $FURL/rv/bgpdata/2008.02/UPDATES/updates.20080223.0301.bz2: not in the archive (HTTP 404)" "$T/f.out"
expect fetch_gap_unlisted grep -q "no data: route-views2 *2008-02-23T02:16Z - 2008-02-23T02:31Z (15 min): no update file in the archive" "$T/f.out"
expect fetch_gap_404 grep -q "no data: route-views2 *2008-02-23T03:01Z - 2008-02-23T03:16Z (15 min): missing: not in the archive (HTTP 404)" "$T/f.out"
expect fetch_summary grep -q "^6 files: 5 fetched ([0-9]* bytes), 0 cached, 1 missing, 0 failed; [3-9] retries; 2 intervals without data$" "$T/f.out"
# every fetched file is the mirror's, byte for byte; nothing half-done left
n=0; bad=0
for f in "$C"/route-views2/bgpdata/2008.02/UPDATES/*; do
	n=$((n + 1)); cmp -s "$f" "$RV2/$(basename "$f")" || bad=$((bad + 1))
done
expect fetch_byte_identical [ $n -eq 5 -a $bad -eq 0 ]
expect fetch_no_part_left bash -c "! find '$C' -name '*.part' | grep -q ."
expect fetch_took_bounded [ $took -lt 60 ]

# again: everything from the cache, no file requested twice
before=$(grep -c "UPDATES/updates" "$T/faulty.log")
"$VIGIL" fetch --collector route-views2 --from 2008-02-23T02:00 \
	--until 2008-02-23T03:30 --rv-base "$FURL/rv" --cache "$C" "${FAST[@]}" \
	--retries 0 >"$T/f2.out" 2>&1
after=$(grep -c "UPDATES/updates" "$T/faulty.log")
expect cache_reused grep -q "^6 files: 0 fetched (0 bytes), 5 cached, 1 missing" "$T/f2.out"
expect cache_no_refetch [ $((after - before)) -eq 1 ] # only the 404 again

# a corrupt file fails its CRC check, is retried, and never enters the cache
"$VIGIL" fetch --collector route-views.jinx --from 2015-04-01T00:00 \
	--until 2015-04-01T00:30 "${BASES[@]}" --cache "$C" --retries 1 \
	"${FAST[@]}" >"$T/f3.out" 2>"$T/f3.err"
rc=$?
expect corrupt_detected grep -q "updates.20150401.0015.bz2: downloaded file corrupt: .*; retry 1/1" "$T/f3.err"
expect corrupt_failed grep -q "^failed  $URL/rv/route-views.jinx/bgpdata/2015.04/UPDATES/updates.20150401.0015.bz2: downloaded file corrupt" "$T/f3.out"
expect corrupt_not_cached bash -c "[ $rc -eq 1 ] && [ ! -e '$C/route-views.jinx/bgpdata/2015.04/UPDATES/updates.20150401.0015.bz2' ] && [ -e '$C/route-views.jinx/bgpdata/2015.04/UPDATES/updates.20150401.0000.bz2' ]"

# file:// bases work too
"$VIGIL" fetch --collector rrc06 --from 2015-04-01T00:00 --until 2015-04-01T00:05 \
	--ris-base "file://$M/ris" --cache "$T/fcache" >"$T/f4.out" 2>&1
expect file_url_base bash -c "[ $? -eq 0 ] && cmp -s '$T/fcache/rrc06/2015.04/updates.20150401.0000.gz' '$M/ris/rrc06/2015.04/updates.20150401.0000.gz'"

# ---- geography ----------------------------------------------------------------
GB=(--rir-base "apnic=$URL/geo/apnic" --rir-base "afrinic=$URL/geo/afrinic"
	--rir-base "lacnic=$URL/geo/lacnic" --rir-base "arin=$URL/geo/arin"
	--rir-base "ripencc=$URL/geo/ripencc")
"$VIGIL" fetch --geo --from 2016-01-31T12:00 "${GB[@]}" --cache "$C" \
	"${FAST[@]}" >"$T/g.out" 2>&1
rc=$?
expect geo_fetched bash -c "[ $rc -eq 1 ] && cmp -s '$C/geo/apnic/2016/delegated-apnic-extended-20160131.gz' '$M/geo/apnic/2016/delegated-apnic-extended-20160131.gz' && cmp -s '$C/geo/afrinic/2016/delegated-afrinic-extended-20160131' '$M/geo/afrinic/2016/delegated-afrinic-extended-20160131' && cmp -s '$C/geo/lacnic/delegated-lacnic-extended-20160131' '$M/geo/lacnic/delegated-lacnic-extended-20160131'"
expect geo_missing_reported bash -c "grep -q '^missing $URL/geo/ripencc/2016/delegated-ripencc-extended-20160131.bz2' '$T/g.out' && grep -q '^missing $URL/geo/arin/archive/2016/delegated-arin-extended-20160131: not in the archive (HTTP 404)' '$T/g.out' && grep -q 'arin-extended-20160131: not found; trying $URL/geo/arin/archive/2016/' '$T/g.out'"

# ---- replay from the archive ----------------------------------------------------
# same signals as replay of the same files listed by hand (route-views2,
# 00:14 - 02:00).  The last file is held back by the server until replay
# says it waits for it: replay reads the first files while later ones
# still download.
serve "$T/stall.log" --stall updates.20080223.0146.bz2 --release "$T/release"
wait_listening "$T/stall.log" || fail setup "second server"
SURL=http://127.0.0.1:$PORT
RC=$T/rcache
"$VIGIL" replay --collector route-views2 --from 2008-02-23T00:14 \
	--until 2008-02-23T02:00 --rv-base "$SURL/rv" --cache "$RC" --jobs 2 \
	--db "$T/a.db" >"$T/r1.out" 2>"$T/r1.err" &
RP=$!
for _ in $(seq 1 600); do
	grep -q "waiting for .*updates.20080223.0146.bz2" "$T/r1.err" && break
	sleep 0.1
done
expect replay_streams grep -q "waiting for $SURL/rv/bgpdata/2008.02/UPDATES/updates.20080223.0146.bz2 (downloading)" "$T/r1.err"
touch "$T/release"
wait $RP
rc=$?
expect replay_fetch_clean bash -c "[ $rc -eq 0 ] && grep -q '0 files missing, 0 intervals without data' '$T/r1.err'"; [ $rc -eq 0 ] || { echo "  replay exit $rc"; tail -5 "$T/r1.err"; }
mapfile -t files < <(ls "$RC"/route-views2/bgpdata/2008.02/UPDATES/*.bz2)
"$VIGIL" replay "${files[@]}" --db "$T/b.db" >"$T/r2.out" 2>"$T/r2.err"
dumpdb() { sqlite3 "$1" "select * from signals order by bin_start, entity_id; select first_id, bin_start, bin_len, hex(data) from keyframes order by 1, 2; select first_id, bin_start, bin_len, hex(data) from signal_chunks order by 1, 2; select * from entities order by id; select * from events order by id;"; }
dumpdb "$T/a.db" >"$T/a.sig"; dumpdb "$T/b.db" >"$T/b.sig"
expect replay_same_signals bash -c "[ ${#files[@]} -eq 7 ] && [ \$(wc -l <'$T/a.sig') -gt 1000 ] && cmp -s '$T/a.sig' '$T/b.sig'"
expect replay_same_events cmp -s "$T/r1.out" "$T/r2.out"

# two collectors in two layouts, one with a gap
"$VIGIL" replay --collector rrc06,route-views.jinx --from 2015-04-01T00:00 \
	--until 2015-04-01T00:15 "${BASES[@]}" --cache "$RC" --db "$T/c.db" \
	>"$T/r3.out" 2>"$T/r3.err"
rc=$?
"$VIGIL" replay "$RC/rrc06/2015.04/updates.20150401.0000.gz" \
	"$RC/route-views.jinx/bgpdata/2015.04/UPDATES/updates.20150401.0000.bz2" \
	--db "$T/d.db" >/dev/null 2>&1
dumpdb "$T/c.db" >"$T/c.sig"; dumpdb "$T/d.db" >"$T/d.sig"
expect replay_multi_same_signals bash -c "[ -s '$T/c.sig' ] && cmp -s '$T/c.sig' '$T/d.sig'"
expect replay_multi_gap_stored bash -c "[ $rc -eq 1 ] && [ \"\$(sqlite3 '$T/c.db' 'select collector, start, \"end\" from gaps')\" = 'rrc06|1427846700|1427847300' ]"

# through the faulty server: the gaps are reported and stored
"$VIGIL" replay --collector route-views2 --from 2008-02-23T02:00 \
	--until 2008-02-23T03:30 --rv-base "$FURL/rv" --cache "$T/rcache2" \
	"${FAST[@]}" --db "$T/e.db" >"$T/r4.out" 2>"$T/r4.err"
rc=$?
expect replay_gaps_reported bash -c "[ $rc -eq 1 ] && grep -q 'no data: route-views2 *2008-02-23T03:01Z - 2008-02-23T03:16Z' '$T/r4.err' && grep -q '1 file missing, 2 intervals without data' '$T/r4.err'"
expect replay_gaps_stored bash -c "[ \"\$(sqlite3 '$T/e.db' 'select start, \"end\" from gaps order by start' | tr '\n|' '  ')\" = '1203732960 1203733860 1203735660 1203736560 ' ]"

# geography from the cache by default: the delegation files of the start
# date (here the 2016 files placed under the 2008-02-23 names)
for r in apnic afrinic lacnic; do
	src=$(find "$C/geo/$r" -type f | head -1)
	dst=$(echo "$src" | sed 's/2016/2008/g; s/20080131/20080223/')
	mkdir -p "$(dirname "$dst")"; cp "$src" "$dst"
done
"$VIGIL" replay --collector route-views2 --from 2008-02-23T00:14 \
	--until 2008-02-23T00:30 --rv-base "$SURL/rv" --cache "$C" \
	--db "$T/g.db" >/dev/null 2>"$T/r5.err"
expect replay_geo_from_cache bash -c "grep -q 'geography from 3 cached RIR delegation files' '$T/r5.err' && [ \$(sqlite3 '$T/g.db' 'select count(*) from entities where kind = 1') -gt 10 ]"
[ -n "${KEEP:-}" ] && cp -r "$T" /tmp/fetchdbg
exit 0
