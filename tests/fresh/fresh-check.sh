#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# README's two commands on a bare Debian bookworm root, the first time, as
# a new user would run them.  Run as root (make fresh-check):
#
#   1. a minbase root: debootstrap --variant=minbase
#      --include=git,make,ca-certificates bookworm; that bare base (and
#      nothing the project installs) is cached as a tarball in
#      ~/.cache/kipc/rootfs/, keyed by suite and date
#      (tests/lib/bare-root.sh, shared with tests/deb/deb-check.sh);
#   2. Debian's standard sources (bookworm, -updates, -security, from
#      the archives this host's apt uses), /proc, /sys, /dev, /dev/pts,
#      /dev/shm, /tmp (tmpfs) and resolv.conf; apt downloads everything
#      itself (no host apt cache);
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
# KIPC_ROOT_MIRROR and KIPC_ROOT_SECURITY (the archive and the security
# archive; by default the ones this host's apt sources use for bookworm
# and bookworm-security: tests/lib/bare-root.sh),
# KIPC_FRESH_DEBUG_KERNEL=0 (do not share the host's debug kernel: the
# root builds its own, which takes long).

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)

# shellcheck source=tests/lib/bare-root.sh
. "$repo/tests/lib/bare-root.sh"

bare_init fresh-check "$repo/build/fresh" "${KIPC_FRESH_DIR:-/var/tmp}"

rev=$(git -C "$repo" rev-parse HEAD)
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
	say "note: uncommitted changes are not checked; HEAD is $rev"
fi

cleanup()
{
	local rc=$? f
	# The VM consoles and logs (build/vm/, build/vm-debug/, ...).
	if [ -d "$root/root/kipc/build" ]; then
		(cd "$root/root/kipc/build" && find . -name '*.log' -type f) |
		while read -r f; do
			mkdir -p "$logs/$(dirname "$f")"
			cp "$root/root/kipc/build/$f" "$logs/$f"
		done
	fi
	bare_remove "${KIPC_FRESH_KEEP:-0}"
	if [ $rc -eq 0 ]; then say "passed ($rev)"; else say "FAILED ($rev)"; fi
	say "logs in $logs; the VM runs' results (Debian's kernel, the debug kernel):"
	cat "$logs"/*.log 2>/dev/null | grep -E '^[0-9]+ passed, [0-9]+ failed' || true
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The bare base's setup, and the shared memory QEMU uses.
setup_root()
{
	bare_setup
	mnt "$root/dev/shm" -t tmpfs -o mode=1777 shm
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
	bare_chroot ${CI:+CI=$CI} /bin/bash -c "cd /root/kipc && $1"
}

# What README says `make install` installs: the module (for the kernel
# the root built against), libkipc, its headers and kipc.pc, kipcctl,
# kipc-bench and kipc-bridge, every man page, the udev, modprobe.d and modules-load.d
# files.
check_install()
{
	local s=$root/tmp/stage p=/usr/local missing=0 f ko
	local want=(
		"$p/bin/kipcctl" "$p/bin/kipc-bench" "$p/bin/kipc-bridge"
		"$p/lib/libkipc.so.1" "$p/lib/libkipc.so" "$p/lib/libkipc.a"
		"$p/lib/pkgconfig/kipc.pc" "$p/include/kipc.h"
		"$p/include/kipc-bridge.h" "$p/share/man/man8/kipc-bridge.8"
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
	for f in kipcctl kipc-bench kipc-bridge; do
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

step "bare base (debootstrap)" bare_base
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
