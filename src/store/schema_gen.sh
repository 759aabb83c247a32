#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Regenerate src/store/schema.c from src/store/schema.sql (the readable
# source of the schema).  Run from anywhere; tests/unit/store_test.c checks
# that the two agree.
set -eu
d=$(dirname "$0")
{
	printf '/* SPDX-License-Identifier: BSD-2-Clause */\n'
	printf '/*\n'
	printf ' * The database schema as a C string: generated from schema.sql by\n'
	printf ' * schema_gen.sh; edit schema.sql and run the script, never this file.\n'
	printf ' */\n'
	printf '#include "store/store_impl.h"\n\n'
	printf 'const char store_schema_sql[] =\n'
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g' \
	    -e 's/^/    "/' -e 's/$/\\n"/' "$d/schema.sql"
	printf '    ;\n'
} >"$d/schema.c.tmp"
mv "$d/schema.c.tmp" "$d/schema.c"
