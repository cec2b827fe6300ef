#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages, end to end (make deb-check; run as root):
#
#   1. make deb: the five packages in build/deb/, lintian clean;
#   2. a bare bookworm root: debootstrap --variant=minbase
#      --include=git,make,ca-certificates, cached in ~/.cache/kipc/rootfs/
#      keyed by suite and date (tests/lib/bare-root.sh, the same tarball
#      as tests/fresh/fresh-check.sh), with Debian's sources (from the
#      archives this host's apt uses), /proc, /sys, /dev, /tmp; apt
#      downloads what it needs itself;
#   3. the packages' dependencies, gcc, pkgconf, dkms and
#      linux-headers-amd64 (and the headers of the kernel in the host's
#      /boot that the VM boots, when that is another one), depmod's
#      indexes for each (what linux-image's postinst leaves), then a list
#      of every file in the root;
#   4. libkipc1, libkipc-dev and kipc-tools with apt; a program from
#      outside the tree (tests/pkgconfig/kipc_pkgconfig_test.c) built with
#      nothing but `pkg-config --cflags --libs kipc` (and --static for
#      the VM), linked against libkipc.so.1 and run (no /dev/kipc here:
#      it must load libkipc and skip); kipcctl and kipc-bridge run;
#   5. kipc-dkms with apt: dkms status says kipc/VERSION is installed for
#      every kernel with headers, and each kipc.ko's vermagic is that
#      kernel's;
#   6. dpkg --purge of the five: none of the files dpkg listed for them,
#      nor the modules DKMS built, is left, and the root's file list is
#      the one of step 3 again (but for dkms's own module signing key,
#      /var/lib/dkms/mok.*, which dkms makes at its first build and keeps);
#   7. the VM (tests/vm/run-suite.sh) boots the host's /boot kernel with
#      the kipc.ko DKMS built for it, the packaged (dynamic) kipcctl as
#      /usr/bin/kipcctl (with its libraries), and runs the static program
#      of step 4 (create, send, receive) and tests/kipc_kipcctl_test
#      (kipcctl list, create, send, recv, rm, ...).
#
# Fails on the first step that fails; always unmounts and removes the
# root (KIPC_DEB_KEEP=1 keeps it); prints each step's time and the VM's
# `N passed, N failed` line last.  Logs and the VM console are kept in
# build/deb-check/.
#
# Environment: KIPC_DEB_DIR (the root's parent, default /var/tmp),
# KIPC_ROOT_MIRROR and KIPC_ROOT_SECURITY (the archive and the security
# archive; by default the ones this host's apt sources use for bookworm
# and bookworm-security: tests/lib/bare-root.sh),
# KIPC_DEB_VM=0 (skip step 7).

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
debs=$repo/build/deb
out=$repo/build/deb-check

# shellcheck source=tests/lib/bare-root.sh
. "$repo/tests/lib/bare-root.sh"

bare_init deb-check "$out" "${KIPC_DEB_DIR:-/var/tmp}"

version=$(sed -n 's/^VERSION[[:space:]]*:=[[:space:]]*//p' "$repo/lib/Makefile")
soversion=$(sed -n 's/^SOVERSION[[:space:]]*:=[[:space:]]*//p' "$repo/lib/Makefile")
pkgs="kipc-dkms kipc-tools kipc-bridge libkipc-dev libkipc$soversion"

cleanup()
{
	local rc=$?

	bare_remove "${KIPC_DEB_KEEP:-0}"
	if [ $rc -eq 0 ]; then say "passed"; else say "FAILED"; fi
	say "logs in $out"
	grep -hE '^[0-9]+ passed, [0-9]+ failed' "$out"/*.log 2>/dev/null || true
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# in_root CMD: CMD by bash in the root, clean environment, no stdin.
in_root()
{
	bare_chroot DEBIAN_FRONTEND=noninteractive /bin/bash -ec "$1"
}

build_debs()
{
	make -C "$repo" deb
	ls -l "$debs"/*.deb
}

# The bare base's setup, and the packages where apt reads them.
setup_root()
{
	bare_setup
	mkdir -p "$root/tmp/debs"
	cp "$debs"/*.deb "$root/tmp/debs/"
	rm -f "$root"/tmp/debs/*-dbgsym_*.deb
	# readable by apt's _apt user
	chmod 755 "$root/tmp/debs"
	chmod 644 "$root"/tmp/debs/*.deb
}

# The host kernel the VM boots: the newest Debian one in /boot.
vm_kver()
{
	# shellcheck disable=SC2012 # plain file names, sorted by version
	ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n 1 |
		sed 's|^/boot/vmlinuz-||'
}

# Everything the five packages need (their Depends, first alternatives,
# without versions and without each other), what the outside program and
# DKMS need, and the kernel headers.
install_deps()
{
	local deps d kver extra=
	deps=$(for d in "$root"/tmp/debs/*.deb; do dpkg-deb -f "$d" Depends; done |
		tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' |
		grep -v '^$' | sort -u |
		grep -vxE "$(echo "$pkgs" | tr ' ' '|')" | tr '\n' ' ')
	kver=$(vm_kver)
	[ -z "$kver" ] || extra=linux-headers-$kver
	say "dependencies: $deps"
	in_root "apt-get update -q && apt-get install -y -q --no-install-recommends \
		$deps gcc libc6-dev pkgconf dkms linux-headers-amd64 $extra"
	# What linux-image's postinst leaves on a real system, and DKMS
	# updates: depmod's indexes of each kernel (there is no image here).
	in_root 'for k in /lib/modules/*; do depmod "${k##*/}"; done; ls /lib/modules'
}

# Every file, directory and link of the root but the ones that change
# by themselves (apt's and dpkg's state, logs, caches) and DKMS's module
# signing key, which dkms makes at its first build and keeps on purpose
# (it is dkms's, for Secure Boot's MOK list, not kipc-dkms's).
snapshot()
{
	(cd "$root" && find . -xdev \
		\( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp \
		   -o -path ./run -o -path ./var/cache -o -path ./var/log \
		   -o -path ./var/lib/dpkg -o -path ./var/lib/apt \) -prune \
		-o -print | LC_ALL=C sort |
		grep -vxE '\./var/lib/dkms/mok\.(key|pub)') >"$1"
	wc -l <"$1"
}

install_lib_tools()
{
	in_root "apt-get install -y -q --no-install-recommends \
		/tmp/debs/libkipc${soversion}_*.deb /tmp/debs/libkipc-dev_*.deb \
		/tmp/debs/kipc-tools_*.deb /tmp/debs/kipc-bridge_*.deb"
	in_root "dpkg -l libkipc$soversion libkipc-dev kipc-tools kipc-bridge | tail -n 4"
}

# tests/pkgconfig/kipc_pkgconfig_test.c, copied out of the tree, built
# with pkg-config only.
outside_program()
{
	mkdir -p "$root/tmp/outside"
	cp "$repo/tests/pkgconfig/kipc_pkgconfig_test.c" "$root/tmp/outside/prog.c"
	# shellcheck disable=SC2016 # expanded in the root
	in_root 'cd /tmp/outside &&
		echo "pkg-config --cflags --libs kipc: $(pkg-config --cflags --libs kipc)" &&
		gcc -O2 -Wall -Wextra -Werror -o prog prog.c $(pkg-config --cflags --libs kipc) &&
		gcc -O2 -Wall -Wextra -Werror -static -o prog-static prog.c \
			$(pkg-config --static --cflags --libs kipc) &&
		readelf -d prog | grep "NEEDED.*\[libkipc\.so\.'"$soversion"'\]" &&
		readelf -W --dyn-syms prog | grep -m1 "kipc_send@KIPC_" &&
		! readelf -l prog-static | grep -q "program interpreter" &&
		ldd prog | grep libkipc &&
		rc=0; ./prog || rc=$?; echo "prog (no /dev/kipc here): exit $rc";
		[ $rc = 4 ]'
	cp "$root/tmp/outside/prog-static" "$out/kipc_deb_outside_test"
	in_root 'kipc-bridge --help >/dev/null && echo "kipc-bridge --help: ok" &&
		ldd /usr/bin/kipc-bridge | grep -E "libnats|libjson-c"'
	in_root 'kipcctl help >/dev/null && echo "kipcctl help: ok" &&
		ldd /usr/bin/kipcctl | grep -E "libnl|libc\.so"'
}

# kipc-dkms: DKMS builds and installs kipc.ko for every kernel with
# headers in the root (the postinst, dh_dkms's).
install_dkms()
{
	local k ko n=0
	in_root "apt-get install -y -q --no-install-recommends /tmp/debs/kipc-dkms_*.deb"
	in_root 'dkms status'
	for k in "$root"/lib/modules/*; do
		k=${k##*/}
		[ -e "$root/lib/modules/$k/build/Makefile" ] || continue
		in_root "dkms status -m kipc -v $version -k $k" | grep -q ': installed' ||
			{ say "dkms: kipc/$version not installed for $k"; return 1; }
		ko=$(find "$root/lib/modules/$k/updates/dkms" -name 'kipc.ko*' 2>/dev/null |
			head -n 1)
		[ -n "$ko" ] || { say "no kipc.ko in /lib/modules/$k/updates/dkms"; return 1; }
		in_root "modinfo -F vermagic ${ko#"$root"}" | tee "$out/vermagic" |
			grep -q "^$k " ||
			{ say "$ko: vermagic $(cat "$out/vermagic"), not $k"; return 1; }
		say "kernel $k: ${ko#"$root"}, vermagic $(cat "$out/vermagic")"
		if [ "$k" = "$(vm_kver)" ]; then
			case $ko in
			*.xz) xz -dc "$ko" >"$out/kipc.ko" ;;
			*) cp "$ko" "$out/kipc.ko" ;;
			esac
			cp "$root/usr/bin/kipcctl" "$out/kipcctl"
		fi
		n=$((n + 1))
	done
	[ $n -gt 0 ] || { say "no kernel with headers in the root"; return 1; }
	in_root 'find /usr/src/kipc-* -type f | sort'
}

# dpkg's file lists, saved before the purge.
purge_all()
{
	local p f left=0
	for p in $pkgs; do
		in_root "dpkg-query -L $p" >"$out/files-$p.list"
	done
	find "$root"/lib/modules -name 'kipc.ko*' | sed "s|^$root||" >"$out/files-dkms.list"
	in_root "dpkg --purge $pkgs"
	for p in $pkgs dkms; do
		while read -r f; do
			[ -n "$f" ] && [ "$f" != /. ] || continue
			# Directories other packages own too (or /lib, a link to
			# usr/lib) stay, as dpkg does; the file lists of the
			# whole root are compared next.
			if [ -d "$root$f" ]; then
				continue
			fi
			if [ -e "$root$f" ] || [ -L "$root$f" ]; then
				say "left after purge: $f ($p)"
				left=1
			fi
		done <"$out/files-$p.list"
	done
	[ ! -e "$root/var/lib/dkms/kipc" ] ||
		{ say "left after purge: /var/lib/dkms/kipc"; left=1; }
	[ $left -eq 0 ]
	say "none of the $(cat "$out"/files-*.list | wc -l) listed files is left"
}

compare_snapshots()
{
	snapshot "$out/after.list"
	if ! diff -u "$out/before.list" "$out/after.list"; then
		say "the root differs from before the packages were installed"
		return 1
	fi
	say "the root's file list is the one before the install"
}

vm_smoke()
{
	# In a fresh clone (CI) nothing is built yet: the test links
	# libkipc.a and includes the kselftest harness.
	[ -f "$repo/tests/kipc_kipcctl_test" ] || {
		make -C "$repo" lib ksft-headers
		make -C "$repo/tests" kipc_kipcctl_test
	}
	KIPC_VM_BUILD=$out/vm KIPC_VM_EXTRA_DIRS='' \
	KIPC_VM_EXTRA_DYN="$out/kipcctl:/usr/bin/kipcctl" \
		"$repo/tests/vm/run-suite.sh" --ko "$out/kipc.ko" \
		--tests "$out/kipc_deb_outside_test kipc_kipcctl_test"
}

step "make deb (build, lintian)" build_debs
step "bare base (debootstrap)" bare_base
step "root setup and mounts" setup_root
step "dependencies and kernel headers" install_deps
step "file list before" snapshot "$out/before.list"
step "install libkipc, -dev, kipc-tools, kipc-bridge" install_lib_tools
step "outside program with pkg-config" outside_program
step "install kipc-dkms (DKMS build)" install_dkms
step "dpkg --purge all five" purge_all
step "file list after = before" compare_snapshots
if [ "${KIPC_DEB_VM:-1}" != 0 ]; then
	step "VM smoke test with the DKMS kipc.ko" vm_smoke
fi
