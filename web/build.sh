#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Assemble the dashboard into OUT (make passes $(BUILD)/web): our sources from
# web/src and, from web/node_modules (installed by `npm ci`, which
# scripts/setup.sh runs), the few library files the pages load.  Nothing is
# fetched at page load: every file the dashboard needs is in OUT.
set -eu
cd "$(dirname "$0")"
OUT=$1
NM=node_modules
if [ ! -d "$NM/uplot" ] || [ ! -d "$NM/d3-geo" ]; then
	echo "web/build.sh: web/node_modules is missing or incomplete; run scripts/setup.sh (it runs npm ci in web/)" >&2
	exit 1
fi
rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp/vendor"
cp src/* "$OUT.tmp/"
cp "$NM/uplot/dist/uPlot.iife.min.js" "$NM/uplot/dist/uPlot.min.css" \
   "$NM/d3-array/dist/d3-array.min.js" "$NM/d3-geo/dist/d3-geo.min.js" \
   "$NM/topojson-client/dist/topojson-client.min.js" \
   "$NM/world-atlas/countries-110m.json" "$OUT.tmp/vendor/"
cp "$NM/i18n-iso-countries/codes.json" "$OUT.tmp/vendor/iso3166.json"
for p in uplot d3-array d3-geo topojson-client world-atlas i18n-iso-countries; do
	cp "$NM/$p/LICENSE" "$OUT.tmp/vendor/LICENSE.$p"
done
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
