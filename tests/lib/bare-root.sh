# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# A bare Debian root for tests/fresh/fresh-check.sh and
# tests/deb/deb-check.sh; sourced by both (bash, set -euo pipefail, run
# as root).  It gives:
#
#   host_archive SUITE   the URI this host's apt sources use for SUITE;
#   bare_init NAME LOGS PARENT
#                        say/die with "NAME: ", the checks (root,
#                        debootstrap, an archive), $mirror, $security,
#                        the step logs' directory $logs=LOGS (emptied)
#                        and $root, a new empty directory in PARENT
#                        (also $suite, $cache, $base, $path);
#   step NAME CMD...     a timed step, its output also in LOGS/NN-name.log;
#   bare_base            the bare base into $root: debootstrap
#                        --variant=minbase --include=git,make,ca-certificates
#                        $suite, cached as a tarball in ~/.cache/kipc/rootfs/
#                        keyed by suite and date (the bare base only:
#                        nothing installed later is cached; older
#                        tarballs of the suite go);
#   bare_setup           Debian's sources ($suite, -updates, -security),
#                        a policy-rc.d that starts no service, the host's
#                        resolv.conf, /proc, /sys, /dev, /dev/pts, /tmp;
#   mnt DST ARGS...      mount ARGS on DST, made when missing;
#   bare_chroot ARGS...  env -i ARGS in the root (HOME, PATH, TERM, LANG
#                        set), no stdin;
#   bare_remove KEEP     unmount everything under $root (from
#                        /proc/mounts, the deepest first) and remove it,
#                        unless KEEP is 1; then the step times.
#
# Environment: KIPC_ROOT_MIRROR and KIPC_ROOT_SECURITY, the archive and
# the security archive the root uses; by default the ones this host's apt
# sources (sources.list, sources.list.d/*.list and deb822 *.sources) use
# for bookworm and bookworm-security.  No archive is named here.

suite=bookworm
cache=${CACHE:-$HOME/.cache/kipc}
basedir=$cache/rootfs
base=$basedir/$suite-minbase-$(date -u +%Y%m%d).tar.gz
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
times=()
nstep=0

# host_archive SUITE: the URI this host's apt sources (one-line or deb822)
# fetch SUITE's main component from; nothing when none does.
host_archive()
{
	local want=$1

	{
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
			2>/dev/null | awk -v s="$want" '
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) while ($i !~ /\]$/) i++
				if ($i ~ /^\[/ || $i ~ /\]$/) i++
				if ($(i + 1) == s) print $i
			}'
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$want" '
			function flush() {
				if (deb && suite) print uri
				deb = 0; suite = 0; uri = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^Types:/ { deb = $0 ~ /[ \t]deb([ \t]|$)/ }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) suite = 1 }
			END { flush() }'
	} | head -n 1
}

# bare_init NAME LOGS PARENT: see the header.
bare_init()
{
	bare_name=$1
	logs=$2
	parent=$3
	say() { echo "$bare_name: $*"; }
	die() { say "FAILED: $*" >&2; exit 1; }

	[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, mount, chroot)"
	command -v debootstrap >/dev/null ||
		die "no debootstrap: scripts/install-deps.sh installs it"
	mirror=${KIPC_ROOT_MIRROR:-$(host_archive "$suite")}
	security=${KIPC_ROOT_SECURITY:-$(host_archive "$suite-security")}
	[ -n "$mirror" ] ||
		die "no apt source for $suite here: set KIPC_ROOT_MIRROR"
	[ -n "$security" ] ||
		die "no apt source for $suite-security here: set KIPC_ROOT_SECURITY"
	rm -rf "$logs"
	mkdir -p "$logs"
	root=$(mktemp -d "$parent/kipc-$bare_name.XXXXXX")
}

# step NAME CMD...: run CMD in a subshell with errexit on (so a failing
# command inside a function fails the step), its output also to
# LOGS/NN-name.log (lower case); record how long it took, fail when it
# fails.
step()
{
	local name=$1 t0 t1 rc=0 log
	shift
	nstep=$((nstep + 1))
	log=$logs/$(printf '%02d' $nstep)-$(echo "$name" | tr '[:upper:]' '[:lower:]' |
		tr -c 'a-z0-9\n' '-' | sed 's/--*/-/g; s/-$//').log
	say "== $name ($(date -u +%T))"
	t0=$(date +%s)
	set +e
	(set -e; "$@") > >(tee "$log") 2>&1
	rc=$?
	[ -z "${!:-}" ] || wait "$!" 2>/dev/null
	set -e
	t1=$(date +%s)
	times+=("$(printf '%-40s %4d s  %s' "$name" $((t1 - t0)) \
		"$([ $rc -eq 0 ] && echo ok || echo "FAILED ($rc)")")")
	[ $rc -eq 0 ] || die "$name (exit $rc)"
}

mnt()
{
	local dst=$1
	shift
	[ -e "$dst" ] || mkdir -p "$dst"
	mount "$@" "$dst"
}

# The bare base, cached by suite and date; older ones of the suite go.
# debootstrap's output is kept in LOGS/debootstrap.log.
bare_base()
{
	if [ -f "$base" ]; then
		say "bare base from the cache: $base"
		tar -xzf "$base" -C "$root"
		return
	fi
	local tmp
	tmp=$(mktemp -d "$parent/kipc-base.XXXXXX")
	if ! debootstrap --variant=minbase --include=git,make,ca-certificates \
	     "$suite" "$tmp" "$mirror" >"$logs/debootstrap.log" 2>&1; then
		tail -n 20 "$logs/debootstrap.log" >&2
		rm -rf --one-file-system "$tmp"
		return 1
	fi
	# debootstrap's own downloads: installed already, not worth caching.
	rm -f "$tmp"/var/cache/apt/archives/*.deb
	mkdir -p "$basedir"
	rm -f "$basedir/$suite"-minbase-*.tar.gz
	tar -czf "$base.tmp" -C "$tmp" .
	mv "$base.tmp" "$base"
	rm -rf --one-file-system "$tmp"
	tar -xzf "$base" -C "$root"
	say "bare base cached: $base"
}

# What a Debian install has and a debootstrap root lacks: the updates
# and security suites, a resolver, no services started by package
# scripts in a chroot.  Then the kernel file systems apt (and QEMU) use.
bare_setup()
{
	cat >"$root/etc/apt/sources.list" <<-EOF
	deb $mirror $suite main
	deb $mirror $suite-updates main
	deb $security $suite-security main
	EOF
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	touch "$root/etc/resolv.conf"
	mnt "$root/etc/resolv.conf" --bind /etc/resolv.conf
	mnt "$root/proc" -t proc proc
	mnt "$root/sys" -t sysfs sysfs
	mnt "$root/dev" --bind /dev
	mnt "$root/dev/pts" --bind /dev/pts
	mnt "$root/tmp" -t tmpfs -o mode=1777 tmp
}

# bare_chroot ARGS...: env -i ARGS in the root, with a login shell's
# HOME, PATH, TERM and LANG, and no stdin.
bare_chroot()
{
	chroot "$root" /usr/bin/env -i HOME=/root PATH="$path" TERM=dumb \
		LANG=C.UTF-8 "$@" </dev/null
}

# bare_remove KEEP: everything mounted under the root, the deepest
# first, unmounted; the root removed (kept when KEEP is 1, or when
# something is still mounted); the step times.
bare_remove()
{
	local m

	for m in $(awk -v r="$root/" 'index($2, r) == 1 { print $2 }' \
		   /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null ||
			echo "$bare_name: could not unmount $m" >&2
	done
	if [ "$1" = 1 ]; then
		say "root kept in $root"
	elif ! grep -q " $root/" /proc/mounts; then
		rm -rf --one-file-system "$root"
	else
		say "something is still mounted under $root: not removed" >&2
	fi
	if [ ${#times[@]} -gt 0 ]; then
		say "step times:"
		printf '  %s\n' "${times[@]}"
	fi
}
