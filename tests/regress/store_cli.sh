#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The database commands (vigil events, status, signals, plot) on a small
# database built here with the sqlite3 shell from src/store/schema.sql: a
# North-Korea-like day (4 /24s dark from 16:15 to 01:46, an instability
# episode before, two upstreams), an ongoing Dutch outage, sparse rows for
# one AS.  Checks the outputs, the JSON, the SVG and every exit status,
# and that reading does not wait for a writer's open transaction.
set -u
cd "$(dirname "$0")/../.."
VIGIL=${VIGIL:-build/vigil}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
DB=$T/vigil.db

ok() { echo "ok $1"; }
fail() { echo "FAIL $1${2:+: $2}"; }
# check NAME WANT_RC CMD...: run CMD (stdout in $T/out, stderr in $T/err)
check_rc() {
	local name=$1 want=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name" "exit $rc, wanted $want; $(head -c 300 "$T/err")"
		return 1
	fi
	return 0
}
# has NAME TEXT...: every TEXT is in $T/out (fixed strings)
has() {
	local name=$1; shift
	for s in "$@"; do
		if ! grep -qF -- "$s" "$T/out"; then
			fail "$name" "no '$s' in output"; head -20 "$T/out" | sed 's/^/    /'
			return 1
		fi
	done
	ok "$name"
}

command -v sqlite3 >/dev/null || { fail setup "sqlite3 shell missing (scripts/setup.sh)"; exit 1; }
command -v python3 >/dev/null || { fail setup "python3 missing (scripts/setup.sh)"; exit 1; }

# ---- the database -----------------------------------------------------------
T0=1419206400 # 2014-12-22T00:00Z
{
	cat src/store/schema.sql
	cat <<EOF
INSERT INTO meta VALUES ('schema_version', '1'), ('bin_len', '300'),
                        ('source', 'regress <test> & co');
INSERT INTO entities (id, kind, cc, asn, text, name) VALUES
 (1, 1, 'KP', 0, 'country:KP', 'North Korea'),
 (2, 3, 'KP', 4837, 'upstream:KP:4837', 'AS4837 upstream of North Korea'),
 (3, 3, 'KP', 9002, 'upstream:KP:9002', ''),
 (4, 2, '', 131279, 'asn:131279', 'STAR-KP'),
 (5, 2, '', 4837, 'asn:4837', 'CHINA169-BACKBONE'),
 (6, 1, 'NL', 0, 'country:NL', 'Netherlands');
-- bins every 5 minutes for 36 hours
WITH RECURSIVE b(t) AS (SELECT $T0 UNION ALL SELECT t + 300 FROM b
                        WHERE t + 300 < $T0 + 36 * 3600)
INSERT INTO bins SELECT t, 300 FROM b;
-- KP: 4 /24s, none from 16:15 until 01:45 (the bin of 01:46), baseline
-- after two hours; its upstreams 3 + 1; NL 1000
INSERT INTO signals SELECT 1, bin_start, 300,
  CASE WHEN bin_start >= $T0 + 58500 AND bin_start < $T0 + 92700 THEN 0 ELSE 4 END,
  0,
  CASE WHEN bin_start >= $T0 + 58500 AND bin_start < $T0 + 92700 THEN 0 ELSE 4 END,
  1, 0, CASE WHEN bin_start = $T0 + 58500 THEN 32 ELSE 0 END, 0, 0, 40,
  CASE WHEN bin_start < $T0 + 7200 THEN NULL ELSE 4.0 END,
  CASE WHEN bin_start >= $T0 + 50400 AND bin_start < $T0 + 55800 THEN 9.5 ELSE 0.5 END
  FROM bins;
INSERT INTO signals SELECT 2, bin_start, 300,
  CASE WHEN bin_start >= $T0 + 58500 AND bin_start < $T0 + 92700 THEN 0 ELSE 3 END,
  0, 3, 1, 0, 0, 0, 0, 40, NULL, NULL FROM bins;
INSERT INTO signals SELECT 3, bin_start, 300,
  CASE WHEN bin_start >= $T0 + 54900 AND bin_start < $T0 + 92700 THEN 0 ELSE 1 END,
  0, 1, 1, 0, 0, 0, 0, 40, NULL, NULL FROM bins;
INSERT INTO signals SELECT 6, bin_start, 300,
  CASE WHEN bin_start >= $T0 + 30 * 3600 THEN 700 ELSE 1000 END,
  2000, 50, 9, 1, 1, 0, 0, 40, 1000.0, 1.0 FROM bins;
-- asn:131279 sparse: on the hour, and when it changes
INSERT INTO signals SELECT 4, bin_start, 300,
  CASE WHEN bin_start >= $T0 + 58500 AND bin_start < $T0 + 92700 THEN 0 ELSE 4 END,
  0, 4, 1, 0, 0, 0, 0, 40, 4.0, NULL
  FROM bins WHERE bin_start % 3600 = 0 OR bin_start IN ($T0 + 58500, $T0 + 92700);
INSERT INTO events VALUES
 (1, 1, 1, 2, $T0 + 58500, $T0 + 92760, 1.0, 9.5, 4.0, 0.0, 6),
 (2, 1, 2, 1, $T0 + 50400, $T0 + 55800, 9.5, 12.0, 0.0, 16.0, 2),
 (3, 6, 1, 1, $T0 + 30 * 3600, NULL, 0.3, 1.2, 1000.0, 700.0, 40);
INSERT INTO evidence VALUES
 (1, 0, 'p', '175.45.176.0/24', 131279, 4837, '3356 4837 131279'),
 (1, 1, 'p', '175.45.177.0/24', 131279, 4837, '3356 4837 131279'),
 (1, 2, 'p', '175.45.178.0/24', 131279, 4837, '3356 4837 131279'),
 (1, 3, 'p', '175.45.179.0/24', 131279, 4837, '3356 4837 131279'),
 (1, 4, 'o', '', 131279, 0, ''),
 (1, 5, 'u', '', 4837, 0, ''),
 (2, 0, 'p', '175.45.177.0/24', 131279, 4837, ''),
 (3, 0, 'p', '192.0.2.0/24', 64500, 0, '');
PRAGMA journal_mode = WAL;
EOF
} | sqlite3 "$DB" >/dev/null || { fail setup "sqlite3 could not build the database"; exit 1; }

# ---- events -----------------------------------------------------------------
if check_rc events_table 0 "$VIGIL" events --db "$DB"; then
	has events_table "START" "EVIDENCE" \
	    "2014-12-22T16:15Z  2014-12-23T01:46Z  9h31m" "country:KP" \
	    "North Korea" "critical" "100%" \
	    "4 prefixes, origin AS131279, upstream AS4837" \
	    "ongoing" "6h00m+" "z 9.5"
	# newest first: NL (day 2, 06:00), KP outage, KP instability
	[ "$(awk 'NR>1 {print $4}' "$T/out" | tr '\n' ' ')" = "country:NL country:KP country:KP " ] &&
		ok events_order || fail events_order "$(cat "$T/out")"
fi
if check_rc events_evidence 0 "$VIGIL" events --db "$DB" --entity KP -v --kind outage; then
	has events_evidence "prefix   175.45.179.0/24    origin AS131279 via AS4837  path 3356 4837 131279" \
	    "upstream AS4837"
fi
if check_rc events_json 0 "$VIGIL" events --db "$DB" --json; then
	python3 - "$T/out" <<'EOF' && ok events_json || fail events_json
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert len(ev) == 3, ev
kp = [e for e in ev if e["id"] == 1][0]
assert kp["entity"] == "country:KP" and kp["name"] == "North Korea"
assert kp["kind"] == "outage" and kp["level"] == "critical"
assert kp["start_time"] == "2014-12-22T16:15Z" and kp["duration"] == 34260
assert len(kp["evidence"]) == 6 and kp["evidence"][0]["prefix"] == "175.45.176.0/24"
assert kp["evidence"][0]["path"] == "3356 4837 131279"
nl = [e for e in ev if e["id"] == 3][0]
assert nl["end"] is None and nl["end_time"] is None and nl["duration"] is None
assert nl["n_evidence"] == 1 and nl["n_evidence_total"] == 40
EOF
fi
count() { # count NAME WANT ARGS...: number of JSON lines
	local name=$1 want=$2; shift 2
	if check_rc "$name" 0 "$VIGIL" events --db "$DB" --json "$@"; then
		local n; n=$(wc -l <"$T/out")
		[ "$n" -eq "$want" ] && ok "$name" || fail "$name" "$n events, wanted $want"
	fi
}
count events_open 1 --open
count events_kind 1 --kind instability
count events_level 1 --level critical
count events_entity_tree 2 --entity country:KP
count events_entity_exact 2 --entity KP --exact
count events_entity_nl 1 --entity NL
count events_since 2 --since 2014-12-23T01:00Z
count events_until 1 --until 2014-12-22T15:00Z
count events_window 1 --since 2014-12-22T15:00 --until 2014-12-22T16:00
count events_limit 2 --limit 2
count events_offset 1 --limit 2 --offset 2
count events_none 0 --until 2014-01-01
if check_rc events_none_table 0 "$VIGIL" events --db "$DB" --until 2014-01-01; then
	has events_none_table "no matching events"
fi
check_rc events_unknown_entity 1 "$VIGIL" events --db "$DB" --entity ZZ &&
	grep -q "country:ZZ is not in" "$T/err" && ok events_unknown_entity
check_rc events_bad_kind 2 "$VIGIL" events --db "$DB" --kind bogus && ok events_bad_kind
check_rc events_bad_time 2 "$VIGIL" events --db "$DB" --since yesterday &&
	grep -q "is not a time" "$T/err" && ok events_bad_time
check_rc events_missing_db 2 "$VIGIL" events --db "$T/nope.db" &&
	grep -q "nope.db" "$T/err" && ok events_missing_db
printf 'not a database at all, not even close............................................................' >"$T/junk.db"
check_rc events_junk_db 2 "$VIGIL" events --db "$T/junk.db" && ok events_junk_db

# ---- status -----------------------------------------------------------------
if check_rc status_outage 0 "$VIGIL" status KP --db "$DB" --at 2014-12-22T20:00Z; then
	has status_outage "country:KP  North Korea" \
	    "OUTAGE critical since 2014-12-22T16:15Z (3h45m), depth 100%" \
	    "0 /24s of a baseline of 4 (0%)" \
	    "last change  2014-12-22T16:15Z: 4 -> 0 /24s" \
	    "#1 country:KP outage critical" "AS4837      CHINA169-BACKBONE" \
	    "AS9002      -"
fi
if check_rc status_now 0 "$VIGIL" status country:KP --db "$DB"; then
	has status_now "at           2014-12-23T11:55Z" "state        normal" \
	    "4 /24s of a baseline of 4 (100%)" "open events  none"
fi
if check_rc status_unstable 0 "$VIGIL" status KP --db "$DB" --at 2014-12-22T14:30Z; then
	has status_unstable "UNSTABLE (warning) since 2014-12-22T14:00Z" "instability score 9.5"
fi
if check_rc status_sparse 0 "$VIGIL" status asn:131279 --db "$DB" --at 2014-12-22T10:20Z; then
	has status_sparse "as of        2014-12-22T10:00Z" "activity     none in this bin"
fi
if check_rc status_json 0 "$VIGIL" status KP --db "$DB" --at 2014-12-22T20:00Z --json; then
	python3 - "$T/out" <<'EOF' && ok status_json || fail status_json
import json, sys
s = json.load(open(sys.argv[1]))
assert s["state"] == "outage" and s["v4_units"] == 0 and s["baseline"] == 4
assert s["open_events"][0]["id"] == 1 and len(s["open_events"][0]["evidence"]) == 6
assert [u["asn"] for u in s["upstreams"]] == [4837, 9002], s["upstreams"]
assert s["upstreams"][0]["name"] == "CHINA169-BACKBONE"
assert s["last_change"]["from"] == 4 and s["last_change"]["to"] == 0
EOF
fi
check_rc status_unknown 1 "$VIGIL" status country:ZZ --db "$DB" && ok status_unknown
check_rc status_before_data 1 "$VIGIL" status KP --db "$DB" --at 2014-01-01 && ok status_before_data
check_rc status_no_entity 2 "$VIGIL" status --db "$DB" && ok status_no_entity

# ---- signals ----------------------------------------------------------------
if check_rc signals_csv 0 "$VIGIL" signals KP --db "$DB" --from 2014-12-22T16:00Z --until 2014-12-22T16:30Z --format csv; then
	[ "$(wc -l <"$T/out")" -eq 8 ] &&
		has signals_csv "time,bin_start,bin_len,v4_units,v6_units,prefixes,origins" \
		    "2014-12-22T16:10Z,1419264600,300,4,0,4,1,0,0,0,0,40,4,0.5" \
		    "2014-12-22T16:15Z,1419264900,300,0,0,0,1,0,32,0,0,40,4,0.5" ||
		fail signals_csv "$(wc -l <"$T/out") lines, wanted 8"
fi
if check_rc signals_nan 0 "$VIGIL" signals KP --db "$DB" --from 2014-12-22 --until 2014-12-22T00:05Z --format csv; then
	has signals_nan "2014-12-22T00:00Z,1419206400,300,4,0,4,1,0,0,0,0,40,,0.5"
fi
if check_rc signals_table 0 "$VIGIL" signals KP --db "$DB" --from 2014-12-22T16:10Z --until 2014-12-22T16:15Z; then
	has signals_table "TIME" "BASE" "2014-12-22T16:15Z        0"
fi
if check_rc signals_json 0 "$VIGIL" signals country:NL --db "$DB" -f json --from 2014-12-23T05:55 --until 2014-12-23T06:00; then
	python3 - "$T/out" <<'EOF' && ok signals_json || fail signals_json
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert [x["v4_units"] for x in r] == [1000, 700], r
assert r[0]["entity"] == "country:NL" and r[0]["baseline"] == 1000
EOF
fi
if check_rc signals_default_range 0 "$VIGIL" signals KP --db "$DB" -f csv; then
	[ "$(wc -l <"$T/out")" -eq 289 ] && ok signals_default_range ||
		fail signals_default_range "$(wc -l <"$T/out") lines, wanted 289"
fi
if check_rc signals_sparse 0 "$VIGIL" signals asn:131279 --db "$DB" -f csv --from 2014-12-22T10:00Z --until 2014-12-22T11:00Z; then
	[ "$(wc -l <"$T/out")" -eq 3 ] && ok signals_sparse ||
		fail signals_sparse "$(wc -l <"$T/out") lines, wanted 3"
fi
if check_rc signals_fill 0 "$VIGIL" signals asn:131279 --db "$DB" -f csv --fill --from 2014-12-22T10:30Z --until 2014-12-22T11:00Z; then
	[ "$(wc -l <"$T/out")" -eq 8 ] &&
		has signals_fill "2014-12-22T10:30Z,1419244200,300,4,0,4,1,0,0,0,0,40,4," ||
		fail signals_fill "$(wc -l <"$T/out") lines, wanted 8"
fi
check_rc signals_empty 1 "$VIGIL" signals KP --db "$DB" --from 2020-01-01 --until 2020-01-02 &&
	grep -q "database covers 2014-12-22T00:00Z to 2014-12-23T11:55Z" "$T/err" && ok signals_empty
check_rc signals_bad_format 2 "$VIGIL" signals KP --db "$DB" -f xml && ok signals_bad_format
check_rc signals_bad_range 2 "$VIGIL" signals KP --db "$DB" --from 2014-12-23 --until 2014-12-22 && ok signals_bad_range

# ---- plot -------------------------------------------------------------------
if check_rc plot_kp 0 "$VIGIL" plot KP --db "$DB" --from 2014-12-22T06:00Z --until 2014-12-23T08:00Z -o "$T/kp.svg"; then
	cp "$T/kp.svg" "$T/out"
	has plot_kp '<svg xmlns="http://www.w3.org/2000/svg"' 'class="outage critical"' \
	    'via AS4837 (CHINA169-BACKBONE)' 'via AS9002' 'North Korea' \
	    '>16:15</text>' '>01:46</text>' 'class="instability"' \
	    'data: vigil.db (regress &lt;test&gt; &amp; co)'
	python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$T/kp.svg" &&
		ok plot_kp_xml || fail plot_kp_xml "not well-formed XML"
	if command -v xmllint >/dev/null; then
		xmllint --noout "$T/kp.svg" && ok plot_kp_xmllint || fail plot_kp_xmllint
	fi
fi
if check_rc plot_stdout 0 "$VIGIL" plot asn:131279 --db "$DB" -o - --from 2014-12-22 --until 2014-12-23; then
	has plot_stdout '</svg>' 'STAR-KP'
fi
check_rc plot_no_output 2 "$VIGIL" plot KP --db "$DB" && ok plot_no_output
check_rc plot_empty 1 "$VIGIL" plot KP --db "$DB" --from 2020-01-01 -o "$T/none.svg" &&
	[ ! -e "$T/none.svg" ] && ok plot_empty
check_rc plot_unknown 1 "$VIGIL" plot asn:1 --db "$DB" -o "$T/x.svg" && ok plot_unknown

# ---- help -------------------------------------------------------------------
for c in events status signals plot; do
	check_rc "help_$c" 0 "$VIGIL" "$c" --help &&
		grep -q "^usage: vigil $c" "$T/out" && grep -q "Exit status" "$T/out" &&
		ok "help_$c"
done
check_rc help_via_help 0 "$VIGIL" help plot && grep -q "^usage: vigil plot" "$T/out" && ok help_via_help

# ---- a reader does not wait for a writer ------------------------------------
printf 'BEGIN IMMEDIATE;\nINSERT INTO meta VALUES ('"'"'writer'"'"', '"'"'busy'"'"');\n.shell sleep 3\nCOMMIT;\n' |
	sqlite3 "$DB" >/dev/null 2>&1 &
writer=$!
sleep 0.5
start=$(date +%s%N)
if check_rc reader_during_write 0 "$VIGIL" events --db "$DB" --entity KP; then
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -lt 2000 ] && ok reader_during_write ||
		fail reader_during_write "took ${ms} ms: waited for the writer"
fi
wait "$writer"
check_rc reader_after_write 0 sqlite3 "$DB" "SELECT value FROM meta WHERE key = 'writer'" &&
	has reader_after_write busy
