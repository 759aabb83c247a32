#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `vigil scenario` end to end: build a 1-hour, 2-peer scenario (peer 2 on
# IPv6 with a partial feed) with every kind of event from the real 2015 RIS
# session, then check that Debian's bgpdump reads every file it wrote
# without complaint and prints exactly what `vigil dump -m` prints, that
# the files are the RIS set (one bview, 12 five-minute updates files,
# truth.json), that a rebuild is byte-identical, and that the example spec
# of `vigil scenario --example` parses.
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
SRC=$VIGIL_DATA/mrt/ris-bgpdump/input/updates.et-header.2015.gz
if ! command -v bgpdump >/dev/null; then
	echo "FAIL scenario_bgpdump: Debian's bgpdump is not installed"
	exit 1
fi
cat >"$T/spec" <<EOF
seed 5
start 2015-10-23T12:00:00Z
duration 1h
source $SRC
peers 2
v6-peers 1
partial-peers 1 fraction 0.2
churn 300/min
level 1
outage origin 131279 from +10m until +40m
outage upstream 4837 fraction 0.5 from +1m until +9m
flap prefix 8.8.8.0/24 every 4m down 1m from +20m until +30m
pathchange origin 15169 every 5m from +30m until +45m
session-drop peer 2 at +45m until +50m
table-resend peer 1 at +52m
EOF

if "$VIGIL" scenario -q "$T/spec" "$T/out" 2>"$T/err"; then
	echo "ok scenario_build"
else
	echo "FAIL scenario_build: $(head -3 "$T/err")"
	exit 1
fi

n_bview=$(ls "$T/out" | grep -c '^bview\.20151023\.1200\.gz$')
n_upd=$(ls "$T/out" | grep -c '^updates\.20151023\.1[23][0-5][05]\.gz$')
if [ "$n_bview" -eq 1 ] && [ "$n_upd" -eq 12 ] && [ -s "$T/out/truth.json" ] &&
	[ "$(ls "$T/out" | wc -l)" -eq 14 ]; then
	echo "ok scenario_files"
else
	echo "FAIL scenario_files: $(ls "$T/out" | tr '\n' ' ')"
fi

bad=0
lines=0
for f in "$T"/out/*.gz; do
	b=$(basename "$f")
	bgpdump -m "$f" >"$T/d" 2>"$T/de"
	brc=$?
	"$VIGIL" dump -m "$f" >"$T/v" 2>"$T/ve"
	vrc=$?
	# bgpdump's only stderr line is its syslog notice
	if [ "$brc" -ne 0 ] || grep -qv 'logging to syslog' "$T/de"; then
		echo "FAIL scenario_bgpdump_reads_$b: exit $brc: $(grep -v 'logging to syslog' "$T/de" | head -2)"
		bad=1
	elif [ "$vrc" -ne 0 ] || [ -s "$T/ve" ]; then
		echo "FAIL scenario_vigil_reads_$b: exit $vrc: $(head -2 "$T/ve")"
		bad=1
	elif ! cmp -s "$T/d" "$T/v"; then
		echo "FAIL scenario_vs_bgpdump_$b: $(diff "$T/d" "$T/v" | grep -c '^[<>]') lines differ"
		diff "$T/d" "$T/v" | head -4
		bad=1
	fi
	lines=$((lines + $(wc -l <"$T/v")))
done
[ "$bad" -eq 0 ] && echo "ok scenario_vs_bgpdump ($lines lines in $(ls "$T"/out/*.gz | wc -l) files)"

# what the events must look like in the dump
"$VIGIL" dump -m "$T"/out/updates.* >"$T/all"
kp_in_outage=$(awk -F'|' '$3=="A" && $6 ~ /^175\.45\.17[6-9]\.0\/24$/ &&
	$2 >= 1445602200 && $2 < 1445604000' "$T/all" | wc -l)
kp_wd=$(awk -F'|' '$3=="W" && $6 ~ /^175\.45\.17[6-9]\.0\/24$/ &&
	$2 >= 1445602200 && $2 < 1445602500' "$T/all" | wc -l)
states=$(awk -F'|' '$3=="STATE" {printf "%s:%s>%s ", $4, $6, $7}' "$T/all")
if [ "$kp_in_outage" -eq 0 ] && [ "$kp_wd" -ge 4 ] &&
	[ "$states" = "2001:db8::2:6>1 2001:db8::2:1>2 2001:db8::2:2>4 2001:db8::2:4>5 2001:db8::2:5>6 " ]; then
	echo "ok scenario_events_in_dump"
else
	echo "FAIL scenario_events_in_dump: KP announced in outage $kp_in_outage, withdrawn $kp_wd, states '$states'"
fi

# same seed, same bytes
"$VIGIL" scenario -q "$T/spec" "$T/again" 2>/dev/null
if (cd "$T/out" && sha256sum -- *) | cmp -s - <(cd "$T/again" && sha256sum -- *); then
	echo "ok scenario_deterministic"
else
	echo "FAIL scenario_deterministic"
fi

# the documented example parses
"$VIGIL" scenario --example >"$T/example"
if "$VIGIL" scenario -n "$T/example" >"$T/ex.out" 2>&1 &&
	[ "$(grep -c '^line ' "$T/ex.out")" -eq 6 ]; then
	echo "ok scenario_example_spec"
else
	echo "FAIL scenario_example_spec: $(head -3 "$T/ex.out")"
fi

# a bad spec is one clear line naming the line
printf 'start 2015-10-23\nsource x\noutage origin 1 from +2h until +1h\n' >"$T/bad"
"$VIGIL" scenario "$T/bad" "$T/none" 2>"$T/bad.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "bad:3: event ends before it starts" "$T/bad.err" &&
	[ ! -e "$T/none" ]; then
	echo "ok scenario_bad_spec"
else
	echo "FAIL scenario_bad_spec: exit $rc: $(head -2 "$T/bad.err")"
fi
