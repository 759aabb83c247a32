# SPDX-License-Identifier: BSD-2-Clause
# Sourced by the regress scripts that replay (run from the repository
# root): D, the shared data; G, its geography folder; GEO, the geography
# every replay test passes (RIR delegations of the APNIC, AFRINIC and
# LACNIC regions, and the AS names); and kp_scenario.
D=$VIGIL_DATA
G=$D/geo
GEO="--geo $G/delegated-apnic-extended-latest --geo $G/delegated-afrinic-extended-latest --geo $G/delegated-lacnic-extended-latest --geo $G/asnames.json.gz"

# kp_scenario SEED CHURN DIR: build into DIR (with DIR.spec beside it) the
# 8-hour, 3-peer scenario on the real 2015 table: CHURN updates a minute,
# AS131279 (North Korea) flapping 01:30-02:30 and withdrawn 03:15-05:46,
# half of AS17557 withdrawn 04:00-05:00, peer 2's session down 06:00-06:20.
# Returns vigil scenario's exit status.
kp_scenario() {
	cat >"$3.spec" <<SPEC
seed $1
start 2015-10-23T00:00:00Z
duration 8h
peers 3
peer-asns 65536,65537,65538
source $D/mrt/ris-bgpdump/input/updates.et-header.2015.gz
churn $2/min
flap origin 131279 every 10m from 2015-10-23T01:30:00Z until 2015-10-23T02:30:00Z
outage origin 131279 from 2015-10-23T03:15:00Z until 2015-10-23T05:46:00Z
outage origin 17557 fraction 0.5 from 2015-10-23T04:00:00Z until 2015-10-23T05:00:00Z
session-drop peer 2 at 2015-10-23T06:00:00Z until 2015-10-23T06:20:00Z
SPEC
	"$VIGIL" scenario -q "$3.spec" "$3"
}
