#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `vigil collect` with real routers from Debian as peers, all five at once
# on loopback (tests/regress/lib/routers.sh): BIRD 2 (127.0.0.2), FRR bgpd
# without zebra (.3), OpenBGPD (.4), ExaBGP (.5), GoBGP (.6).  Each sends a
# 100,000-route IPv4 table taken from the real 2015 RIS full-table session
# (interop_table.py), including North Korea's four /24s, and 100 IPv6 /48s
# (MP-BGP over the IPv4 session).  For each router:
#   - the session establishes;
#   - the whole table arrives (routes_v4 in the status file);
#   - the KP /24s withdrawn and re-announced show in the state (routes_v4,
#     withdraw / announce counters);
#   - a session flap: BIRD (graceful restart negotiated) killed and started
#     again, its routes kept stale meanwhile; the others shut down
#     administratively (a Cease NOTIFICATION, logged with its reason and
#     counted); all come back and re-send their tables; then BIRD's
#     administrative shutdown too;
#   - the archive read back with `vigil dump` holds the whole table, the
#     withdrawals, the re-announcements and the state changes.
# End to end: the KP /24s withdrawn at every router at once open a
# country:KP outage, live in the log and the database, within one bin
# (10 s bins), and it closes when they come back.
set -u
cd "$(dirname "$0")/../../.."
T=$(mktemp -d)
CPID=""
. tests/regress/lib/routers.sh
cleanup() {
	routers_stop
	[ -n "$CPID" ] && kill -9 "$CPID" 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT
G=$VIGIL_DATA/geo
N=100000
BIN=10
ROUTERS="bird frr obgp exa gobgp"
declare -A ADDR=([bird]=127.0.0.2 [frr]=127.0.0.3 [obgp]=127.0.0.4 [exa]=127.0.0.5 [gobgp]=127.0.0.6)
declare -A ASN=([bird]=65002 [frr]=65003 [obgp]=65004 [exa]=65005 [gobgp]=65006)

ok() { echo "ok $1"; }
bad() { echo "FAIL $1${2:+ ($2)}"; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(now)"; }
status() { python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
p = {x["addr"]: x for x in s["peers"]}
print(eval(sys.argv[2]))' "$T/status.json" "$1"; }
wait_for() { # SECONDS PYTHON-EXPR: until status() prints True
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		[ -s "$T/status.json" ] && [ "$(status "$2" 2>/dev/null)" = True ] && return 0
		sleep 0.3
	done
	return 1
}
wait_log() { # SECONDS REGEX
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		grep -qE "$2" "$T/log" 2>/dev/null && return 0
		sleep 0.3
	done
	return 1
}
# run R_ACTION for every router at once; the names of those that failed
all() { # ACTION
	local r pids=() failed=""
	for r in $ROUTERS; do "${r}_$1" & pids+=($!); done
	local i=0
	for r in $ROUTERS; do wait "${pids[$i]}" || failed="$failed $r"; i=$((i + 1)); done
	[ -z "$failed" ] || bad "$1" "failed:$failed"
}
# per router, in parallel: wait until EXPR (with {a} = the router's address)
# holds; "ok NAME_R (seconds since T0)" or FAIL
each_wait() { # NAME SECONDS T0 EXPR
	local r pids=() i=0
	for r in $ROUTERS; do
		(
			e=${4//\{a\}/${ADDR[$r]}}
			if wait_for "$2" "$e"; then
				echo "ok ${1}_$r ($(since "$3") s)"
			else
				echo "FAIL ${1}_$r ($(status "p.get('${ADDR[$r]}')" 2>&1 | cut -c1-400))"
			fi
		) & pids+=($!)
	done
	for r in $ROUTERS; do wait "${pids[$i]}"; i=$((i + 1)); done
}

make_tables "$N" || { bad tables "$(cat "$TAB/gen.out")"; exit 1; }
[ "$(wc -l <"$TAB/prefixes.txt")" -eq $N ] && [ "$(grep -c '^175\.45\.17[6-9]\.0/24$' "$TAB/prefixes.txt")" -eq 4 ] &&
	ok "table_${N}_routes_with_kp" || bad "table_${N}_routes_with_kp"

CPORT=$(free_port)
mkdir "$T/arc"
{
	cat <<EOF
collector interop
local-as 65000
router-id 127.0.0.1
listen $CADDR $CPORT
hold-time 90
archive $T/arc
updates-interval 60
rib-interval 0
db $T/live.db
bin $BIN
warmup 2
window 12
min-bins 1
full-feed-v4 1
full-feed-v6 1
geo-rir $G/delegated-apnic-extended-latest
geo-asnames $G/asnames.json.gz
status-file $T/status.json
log $T/log
EOF
	for r in $ROUTERS; do echo "peer ${ADDR[$r]} as ${ASN[$r]} name $r"; done
} >"$T/c.conf"
"$VIGIL" collect -c "$T/c.conf" 2>"$T/stderr" &
CPID=$!
wait_log 10 "event=listening" || { bad collector_started "$(cat "$T/stderr")"; exit 1; }

# sessions, then the tables (KP /24s first)
t0=$(now)
for r in $ROUTERS; do "${r}_start"; done
each_wait established 60 "$t0" 'p["{a}"]["state"] == "Established"'
t1=$(now)
all load
each_wait "table_${N}_and_100_ipv6" 120 "$t1" "p['{a}']['routes_v4'] == $N and p['{a}']['routes_v6'] == 100"
[ "$(gobgp_count)" = $N ] && ok gobgp_speaker_holds_table || bad gobgp_speaker_holds_table "$(gobgp_count)"
for r in $ROUTERS; do
	grep -qE "peer=${ADDR[$r]} as=${ASN[$r]} name=$r event=established hold=[0-9]+ " "$T/log" &&
		ok "established_logged_$r" || bad "established_logged_$r"
done
cp "$T/status.json" "$T/status.full"

# baseline: the KP /24s went first, so bins with them visible everywhere
# are behind us; one more
sleep $BIN
grep -q 'event=outage-open' "$T/log" && bad no_outage_before_withdrawal "$(grep -m1 event=outage-open "$T/log")" ||
	ok no_outage_before_withdrawal

# the outage: the KP /24s withdrawn at every router at once
t2=$(now)
all kp_withdraw
each_wait kp_withdrawn 30 "$t2" "p['{a}']['routes_v4'] == $N - 4 and p['{a}']['withdraw'] >= 4"
if wait_log $((2 * BIN + 5)) 'event=outage-open .*entity=country:KP '; then
	ok "outage_country_KP_live ($(since "$t2") s after the withdrawals)"
else
	bad outage_country_KP_live "$(grep event=outage "$T/log" | tail -3)"
fi
grep -m1 -E 'event=outage-open .*entity=country:KP ' "$T/log" | grep -q 'level=critical' &&
	ok outage_critical || bad outage_critical
n=$(sqlite3 "$T/live.db" "select count(*) from events e join entities n on n.id = e.entity_id
	where n.text = 'country:KP' and e.kind = 1" 2>&1)
[ "$n" = 1 ] && ok outage_in_db || bad outage_in_db "$n"

# back: re-announced everywhere, routes and counters up, the outage closes
t3=$(now)
all kp_announce
each_wait kp_reannounced 30 "$t3" "p['{a}']['routes_v4'] == $N and p['{a}']['announce'] >= $N + 4"
if wait_log $((3 * BIN + 5)) 'event=outage-close .*entity=country:KP '; then
	ok "outage_closed ($(since "$t3") s after the re-announcements)"
else
	bad outage_closed "$(grep event=outage "$T/log" | tail -3)"
fi

# session flaps, all at once.  BIRD, which negotiates graceful restart
# (RFC 4724), is killed (no NOTIFICATION) and started again: its routes
# must be kept, stale, until it is back.  The others get an administrative
# shutdown (Cease NOTIFICATION) and come back.  Each sends its table again.
ADMIN="frr obgp exa gobgp"
grep -qE 'peer=127.0.0.2 as=65002 name=bird event=established .*graceful-restart=yes restart_time=[1-9]' "$T/log" &&
	ok graceful_restart_negotiated_bird || bad graceful_restart_negotiated_bird
t4=$(now)
bp=$(awk '$1 == "bird" { p = $2 } END { print p }' "$T/pids")
kill -9 "$bp"
wait "$bp" 2>/dev/null
ROUTERS=$ADMIN all shutdown
if wait_log 20 'peer=127.0.0.2 as=65002 name=bird event=session-down state=[A-Za-z]+ graceful-restart=yes'; then
	ok "restart_session_down_graceful_bird ($(since "$t4") s)"
else
	bad restart_session_down_graceful_bird "$(grep 'peer=127.0.0.2 ' "$T/log" | tail -2)"
fi
ROUTERS=bird each_wait restart_routes_kept_stale 10 "$t4" "p['{a}']['state'] != 'Established' and p['{a}']['stale'] and p['{a}']['routes_v4'] == $N and p['{a}']['flaps'] == 1"
for r in $ADMIN; do
	if wait_log 20 "peer=${ADDR[$r]} as=${ASN[$r]} name=$r event=notification-received code=6 subcode=2 reason=\"Cease/Administrative Shutdown\""; then
		ok "notification_reason_logged_$r"
	else
		bad "notification_reason_logged_$r" "$(grep "peer=${ADDR[$r]} " "$T/log" | tail -2)"
	fi
	grep -qE "peer=${ADDR[$r]} as=${ASN[$r]} name=$r event=session-down state=Idle\$" "$T/log" &&
		ok "session_down_logged_$r" || bad "session_down_logged_$r"
done
# (ExaBGP reconnects at once, so its state is not checked: the log is)
ROUTERS="frr obgp gobgp" each_wait session_down 20 "$t4" "p['{a}']['state'] != 'Established'"
ROUTERS=$ADMIN each_wait session_down_counted 20 "$t4" "p['{a}']['notifications_in'] == 1 and p['{a}']['flaps'] == 1 and 'Administrative Shutdown' in p['{a}']['last_notification']"
t5=$(now)
bird_start
ROUTERS=$ADMIN all enable
each_wait reestablished 60 "$t5" "p['{a}']['state'] == 'Established'"
bird_load
each_wait "table_again_${N}" 90 "$t5" "p['{a}']['routes_v4'] == $N and p['{a}']['routes_v6'] == 100 and p['{a}']['announce'] >= 2 * $N + 4"
ROUTERS=bird each_wait restart_not_stale 10 "$t5" "not p['{a}']['stale']"

# BIRD's administrative shutdown
bird_shutdown
if wait_log 20 'peer=127.0.0.2 as=65002 name=bird event=notification-received code=6 subcode=2 reason="Cease/Administrative Shutdown"'; then
	ok notification_reason_logged_bird
else
	bad notification_reason_logged_bird "$(grep 'peer=127.0.0.2 ' "$T/log" | tail -2)"
fi
ROUTERS=bird each_wait session_down_counted 20 "$t5" "p['{a}']['state'] != 'Established' and p['{a}']['notifications_in'] == 1 and p['{a}']['flaps'] == 2 and 'Administrative Shutdown' in p['{a}']['last_notification']"

# nothing but the KP outage (country:KP and its origin asn:131279) was
# raised: not by the flap, not by the table transfers
n=$(sqlite3 "$T/live.db" "select group_concat(n.text) from events e join entities n on n.id = e.entity_id
	where n.text not in ('country:KP', 'asn:131279')" 2>&1)
[ -z "$n" ] && ok no_other_events || bad no_other_events "$(echo "$n" | cut -c1-200)"

# clean shutdown, the archive read back
kill -TERM "$CPID"
wait "$CPID"
rc=$?
CPID=""
[ $rc -eq 0 ] && ok collector_shutdown_clean || bad collector_shutdown_clean "exit $rc"
routers_stop
"$VIGIL" dump -m "$T"/arc/*/updates.*.gz >"$T/dump.m" 2>"$T/dump.err"
rc=$?
[ $rc -eq 0 ] && [ ! -s "$T/dump.err" ] && ok archive_dump_clean || bad archive_dump_clean "exit $rc: $(head -2 "$T/dump.err")"
python3 - "$T/dump.m" "$TAB" $(for r in $ROUTERS; do echo "$r=${ADDR[$r]}"; done) <<'EOF'
# Per router, from the archive: every prefix of the table announced (by
# the first table transfer, and again after the flap), the KP /24s
# withdrawn once and re-announced, the states down (6 -> 1) and up again.
import sys
dump, tab = sys.argv[1], sys.argv[2]
routers = dict(a.split("=") for a in sys.argv[3:])
table = set(open(tab + "/prefixes.txt").read().split()) | set(open(tab + "/v6.txt").read().split())
kp = open(tab + "/kp.txt").read().split()
by = {a: {"A": {}, "W": {}, "S": []} for a in routers.values()}
for line in open(dump):
    f = line.rstrip("\n").split("|")
    if f[3] not in by:
        continue
    b = by[f[3]]
    if f[2] == "STATE":
        b["S"].append((f[5], f[6]))
    elif f[2] in ("A", "W"):
        b[f[2]][f[5]] = b[f[2]].get(f[5], 0) + 1
for r, a in routers.items():
    b = by[a]
    got = set(b["A"])
    miss = table - got
    print("%s archive_table_%s (%d prefixes announced, %d missing, %d extra)"
          % ("ok" if not miss and got <= table else "FAIL", r, len(got), len(miss), len(got - table)))
    twice = sum(1 for p in table if b["A"].get(p, 0) >= 2)
    print("%s archive_table_resent_after_flap_%s (%d of %d prefixes announced twice or more)"
          % ("ok" if twice == len(table) else "FAIL", r, twice, len(table)))
    w = [b["W"].get(p, 0) for p in kp]
    print("%s archive_kp_withdrawn_%s (withdrawals %s)" % ("ok" if min(w) >= 1 else "FAIL", r, w))
    n = [b["A"].get(p, 0) for p in kp]
    print("%s archive_kp_reannounced_%s (announcements %s)" % ("ok" if min(n) >= 3 else "FAIL", r, n))
    s = b["S"]
    down = ("6", "1") in s
    ups = sum(1 for x in s if x[1] == "6")
    print("%s archive_states_%s (%d up, down %s)" % ("ok" if down and ups >= 2 else "FAIL", r, ups, down))
EOF
exit 0
