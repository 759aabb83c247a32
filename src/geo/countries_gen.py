#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
#
# Writes src/geo/countries.c, vigil's static table of country names, from
# Debian's iso-codes package (/usr/share/iso-codes/json/iso_3166-1.json).
# Run once by hand when iso-codes changes; the generated file is committed,
# so building vigil needs neither Python nor iso-codes:
#
#     python3 src/geo/countries_gen.py > src/geo/countries.c
#
# The name is ISO's common_name where it has one ("North Korea", "Iran"),
# else its short name ("Germany", "Congo, The Democratic Republic of the").
# The non-ISO codes the RIRs and geolocation databases use are added from
# EXTRA below.  Non-ASCII characters become octal escapes.
import json
import subprocess
import sys

SRC = "/usr/share/iso-codes/json/iso_3166-1.json"

EXTRA = {
    "AP": "Asia/Pacific Region",  # RIR code (delegated-format.txt)
    "EU": "European Union",       # RIR code (delegated-format.txt)
    "UK": "United Kingdom",       # RIR variant of GB (delegated-format.txt)
    "XK": "Kosovo",               # user-assigned, used by RIPE and MaxMind
}


def c_string(s):
    out = []
    for b in s.encode("utf-8"):
        if b == 0x22 or b == 0x5C:
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append("\\%03o" % b)
    return '"' + "".join(out) + '"'


def main():
    with open(SRC, encoding="utf-8") as f:
        data = json.load(f)["3166-1"]
    names = {e["alpha_2"]: e.get("common_name", e["name"]) for e in data}
    for code, name in EXTRA.items():
        names.setdefault(code, name)
    try:
        ver = subprocess.run(["dpkg-query", "-W", "-f=${Version}",
                              "iso-codes"], capture_output=True,
                             text=True).stdout.strip()
    except OSError:
        ver = "unknown"
    w = sys.stdout.write
    w("/* SPDX-License-Identifier: BSD-2-Clause */\n")
    w("/*\n")
    w(" * Country names for vigil's reports: ISO 3166-1 alpha-2 code to\n")
    w(" * English short name.  GENERATED FILE, do not edit: made by\n")
    w(" * `python3 src/geo/countries_gen.py > src/geo/countries.c` from\n")
    w(" * Debian's iso-codes %s (%s),\n" % (ver or "unknown",
                                            "iso_3166-1.json"))
    w(" * using ISO's common name where it has one, plus the non-ISO\n")
    w(" * codes AP, EU, UK and XK that RIRs and geolocation data use.\n")
    w(" * %d entries, sorted by code for binary search.\n" % len(names))
    w(" */\n")
    w('#include "vigil/geo.h"\n\n')
    w("static const struct {\n\tgeo_cc cc;\n\tconst char *name;\n}"
      " countries[] = {\n")
    for code in sorted(names):
        w("    {GEO_CC('%s', '%s'), %s},\n" % (code[0], code[1],
                                               c_string(names[code])))
    w("};\n\n")
    w("const char *\n")
    w("geo_country_name(geo_cc cc)\n")
    w("{\n")
    w("\tsize_t lo = 0, hi = sizeof(countries) / sizeof(countries[0]);\n")
    w("\n")
    w("\twhile (lo < hi) {\n")
    w("\t\tsize_t mid = lo + (hi - lo) / 2;\n")
    w("\t\tif (countries[mid].cc < cc)\n")
    w("\t\t\tlo = mid + 1;\n")
    w("\t\telse\n")
    w("\t\t\thi = mid;\n")
    w("\t}\n")
    w("\tif (lo < sizeof(countries) / sizeof(countries[0]) &&\n")
    w("\t    countries[lo].cc == cc && cc)\n")
    w("\t\treturn countries[lo].name;\n")
    w("\treturn NULL;\n")
    w("}\n")


if __name__ == "__main__":
    main()
