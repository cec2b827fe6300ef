#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# README's two commands on a bare Debian bookworm root, the first time, as
# a new user would run them.  Run as root (make fresh-check):
#
#   1. a minbase root: debootstrap --variant=minbase
#      --include=git,make,ca-certificates bookworm; that bare base (and
#      nothing the project installs) is cached as a tarball in
#      ~/.cache/kipc/rootfs/, keyed by suite and date;
#   2. Debian's standard sources (bookworm, -updates, -security), /proc,
#      /sys, /dev, /dev/pts, /dev/shm, /tmp (tmpfs) and resolv.conf;
#      apt downloads everything itself (no host apt cache);
#   3. git clone of this repository's HEAD (the committed tree, not the
#      work tree) to /root/kipc in the root;
#   4. `make demo`, then `make check`, there, exactly as README writes
#      them; the host's debug kernel tree (tests/vm/build-debug-kernel.sh,
#      keyed by debug.config and linux-source-6.1's version, the same key
#      inside when both have the same version) is bind-mounted read-only
#      into the root's ~/.cache/kipc so it is not rebuilt;
#   5. make install DESTDIR=/tmp/stage, and every file README says
#      `make install` installs is there.
#
# Fails on the first step that fails; always unmounts and removes the
# root (KIPC_FRESH_KEEP=1 keeps it); prints each step's time, then the
# runners' `N passed, N failed` lines last.  Each step's output and the
# VM consoles are kept in build/fresh/ of this repository.
#
# Environment: KIPC_FRESH_DIR (root's parent, default /var/tmp),
# KIPC_FRESH_MIRROR and KIPC_FRESH_SECURITY (the archive and the security
# archive; by default the ones this host's apt sources use for bookworm
# and bookworm-security),
# KIPC_FRESH_DEBUG_KERNEL=0 (do not share the host's debug kernel: the
# root builds its own, which takes long).

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
suite=bookworm

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

mirror=${KIPC_FRESH_MIRROR:-$(host_archive "$suite")}
security=${KIPC_FRESH_SECURITY:-$(host_archive "$suite-security")}
cache=${CACHE:-$HOME/.cache/kipc}
basedir=$cache/rootfs
base=$basedir/$suite-minbase-$(date -u +%Y%m%d).tar.gz
parent=${KIPC_FRESH_DIR:-/var/tmp}
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { echo "fresh-check: $*"; }
die() { say "FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, mount, chroot)"
[ -n "$mirror" ] || die "no apt source for $suite here: set KIPC_FRESH_MIRROR"
[ -n "$security" ] ||
	die "no apt source for $suite-security here: set KIPC_FRESH_SECURITY"
command -v debootstrap >/dev/null ||
	die "no debootstrap: scripts/install-deps.sh installs it"

rev=$(git -C "$repo" rev-parse HEAD)
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
	say "note: uncommitted changes are not checked; HEAD is $rev"
fi

root=$(mktemp -d "$parent/kipc-fresh.XXXXXX")
logs=$repo/build/fresh
rm -rf "$logs"
mkdir -p "$logs"
times=()
nstep=0

cleanup()
{
	local rc=$? m f
	# The VM consoles and logs (build/vm/, build/vm-debug/, ...).
	if [ -d "$root/root/kipc/build" ]; then
		(cd "$root/root/kipc/build" && find . -name '*.log' -type f) |
		while read -r f; do
			mkdir -p "$logs/$(dirname "$f")"
			cp "$root/root/kipc/build/$f" "$logs/$f"
		done
	fi
	# Everything mounted under the root, the deepest first.
	for m in $(awk -v r="$root/" 'index($2, r) == 1 { print $2 }' \
		   /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null ||
			echo "fresh-check: could not unmount $m" >&2
	done
	if [ "${KIPC_FRESH_KEEP:-0}" = 1 ]; then
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
	if [ $rc -eq 0 ]; then say "passed ($rev)"; else say "FAILED ($rev)"; fi
	say "logs in $logs; the VM runs' results (Debian's kernel, the debug kernel):"
	cat "$logs"/*.log 2>/dev/null | grep -E '^[0-9]+ passed, [0-9]+ failed' || true
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# step NAME CMD...: run CMD in a subshell with errexit on (so a failing
# command inside a function fails the step), its output also to
# build/fresh/NN-*.log; record how long it took, fail when it fails.
step()
{
	local name=$1 t0 t1 rc=0 log
	shift
	nstep=$((nstep + 1))
	log=$logs/$(printf '%02d' $nstep)-$(echo "$name" | tr -c 'a-z0-9\n' '-' |
		sed 's/--*/-/g; s/-$//').log
	say "== $name ($(date -u +%T))"
	t0=$(date +%s)
	set +e
	(set -e; "$@") > >(tee "$log") 2>&1
	rc=$?
	[ -z "${!:-}" ] || wait "$!" 2>/dev/null
	set -e
	t1=$(date +%s)
	times+=("$(printf '%-34s %4d s  %s' "$name" $((t1 - t0)) \
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
make_base()
{
	if [ -f "$base" ]; then
		say "bare base from the cache: $base"
		tar -xzf "$base" -C "$root"
		return
	fi
	local tmp
	tmp=$(mktemp -d "$parent/kipc-base.XXXXXX")
	if ! debootstrap --variant=minbase --include=git,make,ca-certificates \
	     "$suite" "$tmp" "$mirror" >"$root.debootstrap.log" 2>&1; then
		tail -n 20 "$root.debootstrap.log" >&2
		rm -rf --one-file-system "$tmp" "$root.debootstrap.log"
		return 1
	fi
	rm -f "$root.debootstrap.log"
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
# scripts in a chroot.  Then the kernel file systems QEMU and apt use.
setup_root()
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
	mnt "$root/dev/shm" -t tmpfs -o mode=1777 shm
	mnt "$root/tmp" -t tmpfs -o mode=1777 tmp
}

# The committed tree: a clone of HEAD, checked out detached.
clone_tree()
{
	git clone -q --no-checkout "$repo" "$root/root/kipc"
	git -C "$root/root/kipc" checkout -q --detach "$rev"
	git -C "$root/root/kipc" log --oneline -1
}

# The host's debug kernel tree, under the key the root computes when its
# linux-source-6.1 has the host's version (the root's own key is only
# known after `make demo` installed it; a different one is reported).
share_debug_kernel()
{
	local tree
	tree=$(CACHE=$cache "$repo/tests/vm/build-debug-kernel.sh")
	[ -f "$tree/.kipc-ready" ] || return 1
	mnt "$root/root/.cache/kipc/$(basename "$tree")" --bind -o ro "$tree"
	mount -o remount,bind,ro "$root/root/.cache/kipc/$(basename "$tree")"
	say "debug kernel shared read-only: $tree"
}

# in_root CMD: CMD by bash in the clone, as root with a clean
# environment and no stdin, like a user's login shell.
in_root()
{
	chroot "$root" /usr/bin/env -i HOME=/root PATH="$path" TERM=dumb \
		LANG=C.UTF-8 ${CI:+CI=$CI} \
		/bin/bash -c "cd /root/kipc && $1" </dev/null
}

# What README says `make install` installs: the module (for the kernel
# the root built against), libkipc, its headers and kipc.pc, kipcctl and
# kipc-bench, every man page, the udev, modprobe.d and modules-load.d
# files.
check_install()
{
	local s=$root/tmp/stage p=/usr/local missing=0 f ko
	local want=(
		"$p/bin/kipcctl" "$p/bin/kipc-bench"
		"$p/lib/libkipc.so.0" "$p/lib/libkipc.so" "$p/lib/libkipc.a"
		"$p/lib/pkgconfig/kipc.pc" "$p/include/kipc.h"
		"$p/include/linux/kipc.h" "$p/include/linux/kipc_netlink.h"
		"$p/share/man/man7/kipc.7" "$p/share/man/man8/kipcctl.8"
		/lib/udev/rules.d/60-kipc.rules /lib/modprobe.d/kipc.conf
		/lib/modules-load.d/kipc.conf
	)
	for f in "$root"/root/kipc/man/man3/*.3; do
		want+=("$p/share/man/man3/$(basename "$f")")
	done
	ko=$(cd "$s" && ls -d lib/modules/*/extra/kipc.ko 2>/dev/null | head -n 1)
	want+=("/${ko:-lib/modules/KVER/extra/kipc.ko}")
	for f in "${want[@]}"; do
		if [ ! -e "$s$f" ]; then
			say "not installed: $f"
			missing=1
		fi
	done
	for f in kipcctl kipc-bench; do
		[ -x "$s$p/bin/$f" ] || { say "not executable: $p/bin/$f"; missing=1; }
	done
	[ $missing -eq 0 ] || return 1
	say "installed: all ${#want[@]} files README names (module: /$ko)"
}

# The shared debug kernel is only used when the root's linux-source-6.1
# (installed by `make demo`) has the host's version; say which.
report_debug_key()
{
	local in out
	in=$(in_root "dpkg-query -W -f='\${Version}' linux-source-6.1" || true)
	out=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || true)
	if [ "$in" = "$out" ]; then
		say "linux-source-6.1 $in in the root and on the host: the shared debug kernel is used"
	else
		say "linux-source-6.1 $in in the root, $out on the host: the root builds its own debug kernel"
	fi
}

step "bare base (debootstrap)" make_base
step "root setup and mounts" setup_root
step "git clone HEAD" clone_tree
step "make demo" in_root 'make demo'
report_debug_key
if [ "${KIPC_FRESH_DEBUG_KERNEL:-1}" != 0 ]; then
	step "debug kernel (host cache)" share_debug_kernel
fi
step "make check" in_root 'make check'
step "make install DESTDIR=/tmp/stage" \
	in_root 'make install DESTDIR=/tmp/stage'
step "installed files" check_install
