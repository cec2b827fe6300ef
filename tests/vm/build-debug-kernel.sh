#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug kernel (KASAN, lockdep, kmemleak, UBSAN, ...) from
# Debian's linux-source-6.1: tinyconfig plus tests/vm/debug.config.  The
# tree is cached outside the repository, keyed by the fragment's hash, and
# left ready for out-of-tree modules (modules_prepare, Module.symvers).
#
# usage: build-debug-kernel.sh        prints the kernel tree's path last

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug.config
tar=${KSRC_TAR:-/usr/src/linux-source-6.1.tar.xz}
cache=${CACHE:-$HOME/.cache/kipc}
# Keyed by the fragment and the kernel source's package version.
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || true)
key=$( (cat "$frag"; echo "$srcver") | sha256sum | cut -c1-16)
tree=$cache/debug-kernel-$key

if [ -f "$tree/.kipc-ready" ]; then
	echo "$tree"
	exit 0
fi

# One build at a time: a second caller waits for the first one's tree.
mkdir -p "$cache"
exec 9>"$cache/.debug-kernel.lock"
flock 9
if [ -f "$tree/.kipc-ready" ]; then
	echo "$tree"
	exit 0
fi

echo "debug kernel: building in $tree (takes several minutes)" >&2
rm -rf "$tree" "$tree.tmp"
mkdir -p "$tree.tmp"
tar -xJf "$tar" -C "$tree.tmp" --strip-components=1
cd "$tree.tmp"
make -s tinyconfig >&2
scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null
make -s olddefconfig >&2

# Every option the fragment asks for must have survived olddefconfig.
missing=0
while read -r line; do
	case $line in CONFIG_*=*) ;; *) continue ;; esac
	if ! grep -qx "$line" .config; then
		echo "debug kernel: $line did not stick" >&2
		missing=1
	fi
done < "$frag"
[ $missing -eq 0 ] || exit 1

# The kernel's own warnings go to a log, not to CI's output.
if ! make -s -j"$(nproc)" bzImage modules >build.log 2>&1 ||
   ! make -s modules_prepare >>build.log 2>&1; then
	tail -n 40 build.log >&2
	echo "debug kernel: build failed, see $tree.tmp/build.log" >&2
	exit 1
fi
cd - >/dev/null
mv "$tree.tmp" "$tree"
touch "$tree/.kipc-ready"
echo "$tree"
