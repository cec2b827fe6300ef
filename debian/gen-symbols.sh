#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Write libkipc's dpkg symbols file from its version script, so the two
# cannot drift:  debian/gen-symbols.sh lib/libkipc.map lib/Makefile
#
# Each global symbol of a node KIPC_X.Y gets "SYMBOL@KIPC_X.Y X.Y" (X.Y is
# the first upstream version that has it: the node's name), and each node
# its own "KIPC_X.Y@KIPC_X.Y X.Y" line, as dpkg-gensymbols lists it.  The
# library is libkipc.so.SOVERSION of lib/Makefile in package
# libkipcSOVERSION.  dpkg-gensymbols (DPKG_GENSYMBOLS_CHECK_LEVEL=4 in
# debian/rules) fails the build if the built library exports anything
# else.

set -eu

map=${1:?usage: gen-symbols.sh MAP LIB_MAKEFILE}
mk=${2:?usage: gen-symbols.sh MAP LIB_MAKEFILE}

so=$(sed -n 's/^SOVERSION[[:space:]]*:=[[:space:]]*//p' "$mk")
[ -n "$so" ] || { echo "gen-symbols: no SOVERSION in $mk" >&2; exit 1; }

# Not a pipe into sort: sh has no pipefail, and awk's failure must count.
syms=$(awk '
	# A node opens with "NAME {" and closes with "} [PARENT];".
	/^[A-Za-z_][A-Za-z0-9_.]*[[:space:]]*\{/ {
		node = $1; sub(/\{.*/, "", node)
		ver = node; sub(/^[^_]*_/, "", ver)
		if (ver == node || ver !~ /^[0-9]+(\.[0-9]+)*$/) {
			print "gen-symbols: node " node ": not NAME_X.Y" > "/dev/stderr"
			exit 1
		}
		print " " node "@" node " " ver
		global = 1
		next
	}
	/^[[:space:]]*\}/ { node = ""; next }
	/global:/ { global = 1; next }
	/local:/ { global = 0; next }
	node != "" && global && /^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*;/ {
		sym = $1; sub(/;.*/, "", sym)
		print " " sym "@" node " " ver
	}
' "$map")
[ -n "$syms" ] || { echo "gen-symbols: no symbols in $map" >&2; exit 1; }

echo "libkipc.so.$so libkipc$so #MINVER#"
echo "* Build-Depends-Package: libkipc-dev"
printf '%s\n' "$syms" | LC_ALL=C sort
