#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Regenerate src/http/openapi.c from src/http/openapi.json (the readable,
# hand-written OpenAPI 3 description of the API that `vigil serve` embeds
# and serves at /api/v1/openapi.json).  Run from anywhere;
# tests/unit/http_test.c checks that the two agree.
set -eu
d=$(dirname "$0")
{
	printf '/* SPDX-License-Identifier: BSD-2-Clause */\n'
	printf '/*\n'
	printf ' * The OpenAPI document as a C string: generated from openapi.json by\n'
	printf ' * openapi_gen.sh; edit openapi.json and run the script, never this file.\n'
	printf ' */\n'
	printf '#include "http/http_impl.h"\n\n'
	printf 'const char http_openapi_json[] =\n'
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g' \
	    -e 's/^/    "/' -e 's/$/\\n"/' "$d/openapi.json"
	printf '    ;\n'
} >"$d/openapi.c.tmp"
mv "$d/openapi.c.tmp" "$d/openapi.c"
