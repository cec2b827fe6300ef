#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing kipc needs on Debian bookworm (root).
# Idempotent: packages already installed are left alone, and the package
# lists are only refreshed when something is missing.

set -eu

PKGS="
	build-essential
	linux-headers-amd64
	linux-image-amd64
	linux-source-6.1
	qemu-system-x86
	busybox-static
	cpio
	kmod
	libnl-genl-3-dev
	libnl-route-3-dev
	libjson-c-dev
	libnats-dev
	nats-server
	sparse
	flex
	bison
	bc
	libelf-dev
	libssl-dev
	gnuplot-nox
	linux-perf
	rt-tests
	dkms
	groff-base
	man-db
	pkg-config
	trinity
	debhelper
	dh-dkms
	lintian
	debootstrap
"

# Print the packages of $PKGS that are not installed, space-separated.
missing_pkgs()
{
	for p in $PKGS; do
		if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		     grep -q '^install ok installed$'; then
			printf '%s ' "$p"
		fi
	done
}

main()
{
	missing=$(missing_pkgs)
	if [ -z "$missing" ]; then
		echo "install-deps: all packages present"
		return 0
	fi

	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing: $missing" >&2
		echo "install-deps: run as root to install them" >&2
		return 1
	fi

	export DEBIAN_FRONTEND=noninteractive
	echo "install-deps: installing: $missing"
	# Wait for another apt (unattended-upgrades, a second job) instead
	# of failing on its lock.
	set -- -o DPkg::Lock::Timeout=600
	apt-get "$@" update -q
	# shellcheck disable=SC2086 # word splitting of the list is wanted
	apt-get "$@" install -y -q --no-install-recommends $missing
}

main "$@"
