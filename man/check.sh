#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check kipc's man pages (make man-check).
#
# usage: man/check.sh [MAP]
#   MAP  the library's version script (default lib/libkipc.map)
#
# - every global symbol of MAP has man/man3/SYMBOL.3, either a page or a
#   ".so man3/OTHER.3" link to the page that documents it with siblings;
#   a linked page names SYMBOL in its NAME section;
# - every page renders with groff -man -ww -z (all warnings) and prints
#   nothing; pages that are not links have NAME, SYNOPSIS (sections 1, 3
#   and 8), DESCRIPTION and SEE ALSO, and section 3 pages also RETURN
#   VALUE and ERRORS;
# - every kipc page a SEE ALSO or .so names exists;
# - every command of kipcctl's --help synopsis has its .SS in kipcctl(8).
# Prints one line per problem and exits 1 if there was any.

set -u

cd "$(dirname "$0")" || exit 2
MAP=${1:-../lib/libkipc.map}
case $MAP in /*) ;; *) MAP=$OLDPWD/$MAP ;; esac
[ -r "$MAP" ] || { echo "man-check: cannot read $MAP" >&2; exit 2; }
command -v groff >/dev/null || { echo "man-check: no groff (install groff-base)" >&2; exit 2; }

# man(1) complains on stderr about a locale that is not installed.
export LC_ALL=C.UTF-8
unset MANPAGER PAGER

bad=0
problem()
{
	echo "man-check: $*"
	bad=1
}

# The global symbols of the version script: names between "global:" and
# "local:" of every node.
symbols=$(awk '/global:/ { g = 1; next } /local:/ { g = 0 }
	g && /^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*;/ { gsub(/[;[:space:]]/, ""); print }' "$MAP" |
	sort -u)
[ -n "$symbols" ] || problem "no global symbols in $MAP"

# so_target PAGE: the page a ".so" link points to, or nothing.
so_target()
{
	sed -n '1{s/^\.so[[:space:]]\{1,\}//p;q}' "$1"
}

for sym in $symbols; do
	page=man3/$sym.3
	if [ ! -f "$page" ]; then
		problem "$sym: no $page"
		continue
	fi
	target=$(so_target "$page")
	[ -n "$target" ] || target=$page
	if [ ! -f "$target" ]; then
		problem "$page: .so target $target is missing"
		continue
	fi
	# The NAME section (up to the next .SH) must mention the symbol.
	if ! sed -n '/^\.SH NAME/,/^\.SH /p' "$target" | grep -qw -- "$sym"; then
		problem "$target: NAME does not list $sym"
	fi
done

for page in man1/*.1 man3/*.3 man7/*.7 man8/*.8; do
	[ -f "$page" ] || continue
	sect=${page##*.}
	target=$(so_target "$page")
	if [ -n "$target" ]; then
		[ -f "$target" ] || problem "$page: .so target $target is missing"
		continue
	fi

	# groff from this directory, so .so requests resolve as man does.
	# A first line '\" t asks for tbl, as man(1) honours it.
	pre=
	head -n 1 "$page" | grep -q "^'\\\\\" t" && pre=-t
	out=$(groff $pre -man -Tutf8 -ww -z "$page" 2>&1)
	[ -z "$out" ] || problem "$page: groff: $(echo "$out" | head -n 5)"
	# man(1)'s own check, where man-db is installed.
	if command -v man >/dev/null; then
		out=$(MANWIDTH=80 man --warnings=w -l "$page" 2>&1 >/dev/null)
		[ -z "$out" ] || problem "$page: man: $(echo "$out" | head -n 5)"
	fi

	grep -q '^\.TH ' "$page" || problem "$page: no .TH"
	want="NAME DESCRIPTION"
	case $sect in
	3) want="$want SYNOPSIS \"RETURN VALUE\" ERRORS \"SEE ALSO\"" ;;
	1|8) want="$want SYNOPSIS \"SEE ALSO\"" ;;
	*) want="$want \"SEE ALSO\"" ;;
	esac
	eval "set -- $want"
	for s in "$@"; do
		grep -Eq "^\.SH \"?$s\"?\$" "$page" || problem "$page: no $s section"
	done

	# Every kipc page referred to exists.
	for ref in $(grep -Eo '^\.BR +kipc[A-Za-z0-9_-]* +\([0-9]\)' "$page" |
		     sed -E 's/^\.BR +([^ ]+) +\(([0-9])\)/\1.\2/'); do
		ref_sect=${ref##*.}
		[ -f "man$ref_sect/$ref" ] || problem "$page: refers to missing $ref"
	done
done

# kipcctl --help is the synopsis of kipcctl(8), the manual: every command
# the synopsis lists (tools/kipcctl.c, kctl_synopsis) has its section here.
ctl_src=../tools/kipcctl.c
if [ -r "$ctl_src" ]; then
	cmds=$(sed -n '/kctl_synopsis\[\] = {/,/^};/s/^[[:space:]]*{ "\([a-z]*\)",.*/\1/p' "$ctl_src")
	[ -n "$cmds" ] || problem "$ctl_src: no kctl_synopsis commands found"
	for cmd in $cmds; do
		grep -q "^\.SS $cmd\( \|\$\)" man8/kipcctl.8 ||
			problem "man8/kipcctl.8: no section for kipcctl $cmd"
	done
fi

if [ "$bad" = 0 ]; then
	n=$(ls man1/*.1 man3/*.3 man7/*.7 man8/*.8 2>/dev/null | wc -l)
	echo "man-check: $(echo "$symbols" | wc -l) symbols documented, $n pages render cleanly"
fi
exit $bad
