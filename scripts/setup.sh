#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Install what vigil needs to build, test and benchmark on Debian 12, from
# Debian's packages only.  Idempotent: does nothing when all is present.
set -eu
pkgs=(
	build-essential pkg-config
	zlib1g-dev libisal-dev libbz2-dev libzstd-dev liblzma-dev
	libsqlite3-dev sqlite3 libmaxminddb-dev
	clang libclang-rt-14-dev libfuzzer-14-dev
	bgpdump bzip2 lbzip2 zstd xz-utils gzip time hyperfine python3 libxml2-utils
	libevent-dev libmicrohttpd-dev libcurl4-openssl-dev
	bird2 frr gobgpd openbgpd exabgp netcat-openbsd iproute2 valgrind
	chromium wrk
)
# node and npm are on the machines we run on; Debian's otherwise
command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	# the routers are test peers that the tests start themselves: keep
	# their packages from starting system daemons (on port 179 of every
	# address) while they install
	own_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
		$SUDO chmod +x /usr/sbin/policy-rc.d
		own_policy=1
	fi
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	[ -z "$own_policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d
fi
# The dashboard's libraries (vendored into build/web by make) and the
# browser test's driver, from the npm registry, as pinned in
# web/package-lock.json.
if [ ! -d "$(dirname "$0")/../web/node_modules" ]; then
	echo "setup: npm ci in web/" >&2
	(cd "$(dirname "$0")/../web" && npm ci --no-audit --no-fund --loglevel=error)
fi
