#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# vigil's main job on real data: the North Korea outage of 22-23 December
# 2014, replayed.  The routing table is a real RIPE RIS full-table session
# (2015, the one in ../shared/data that carries North Korea's four /24s via
# 2914 1239 4837 131279), cloned to 12 collector peers by `vigil scenario`
# and dated to December 2014, with the scripted history: hours of flapping
# ("a steady beat of routing instability"), then all four /24s withdrawn
# 22 Dec 16:15 UTC and back 23 Dec 01:46 UTC, over ordinary background
# churn, a collector session drop and a table re-send.  `vigil replay`
# must find it with no hint; the report, the entity's status, the event
# list and a plot follow.  Work files go to ./demo/.
set -eu
cd "$(dirname "$0")/.."
DATA=${VIGIL_DATA:-$(cd .. && pwd)/shared/data}
V=./build/vigil
OUT=demo
mkdir -p "$OUT"
G=$DATA/geo
cat >"$OUT/kp-2014.spec" <<SPEC
# The North Korea outage of December 2014, on a real 2015 table.
seed 2014
start 2014-12-22T00:00:00Z
duration 36h
peers 12
peer-asns 65536,65537,65538,65539,65540,65541,65542,65543,65544,65545,65546,65547
source $DATA/mrt/ris-bgpdump/input/updates.et-header.2015.gz
churn 300/min
flap origin 131279 every 10m down 2m from 2014-12-22T09:00:00Z until 2014-12-22T13:00:00Z
outage origin 131279 from 2014-12-22T16:15:00Z until 2014-12-23T01:46:00Z
session-drop peer 4 at 2014-12-22T20:00:00Z until 2014-12-22T20:20:00Z
table-resend peer 7 at 2014-12-23T05:00:00Z
SPEC
echo "== building the scenario (12 peers x 577k real routes, 36 h of updates)"
rm -rf "$OUT/kp-2014"
$V scenario -q "$OUT/kp-2014.spec" "$OUT/kp-2014"
echo "== vigil replay"
$V replay --db "$OUT/kp-2014.db" \
	--geo "$G/delegated-apnic-extended-latest" --geo "$G/delegated-afrinic-extended-latest" \
	--geo "$G/delegated-lacnic-extended-latest" --geo "$G/asnames.json.gz" \
	"$OUT"/kp-2014/*.gz
echo "== vigil status country:KP at 2014-12-22T20:00Z"
$V status country:KP --at 2014-12-22T20:00Z --db "$OUT/kp-2014.db"
echo "== vigil events --entity country:KP"
$V events --entity country:KP --db "$OUT/kp-2014.db"
$V plot country:KP --from 2014-12-22T00:00Z --until 2014-12-23T12:00Z \
	-o "$OUT/kp-2014.svg" --db "$OUT/kp-2014.db"
echo "== plot written to $OUT/kp-2014.svg"
echo "== to look at it in a browser (dashboard, API): $V serve --db $OUT/kp-2014.db"
echo "   then open http://127.0.0.1:8080/#/entity/country:KP"
