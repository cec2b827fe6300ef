#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the kipc VM and run tools/kipc-demo in it, showing its narration
# as it happens.  The demo runs kipcctl in the VM (/usr/bin/kipcctl).
#
# usage: run-demo.sh [--kernel PATH] [--ko PATH] [--demo PATH]
#                    [--kipcctl PATH] [--timeout SECS] [-v]
#   --kernel PATH   kernel image (default: the /boot image matching the
#                   module's vermagic; env KIPC_VM_KERNEL)
#   --ko PATH       module (default module/kipc.ko; env KIPC_KO)
#   --demo PATH     the demo (default tools/kipc-demo)
#   --kipcctl PATH  the kipcctl the demo runs (default tools/kipcctl)
#   --timeout SECS  the whole VM run (default 600; env KIPC_VM_TIMEOUT)
#   -v              also show the console outside the demo
# Fails when the module does not load or unload, the demo exits non-zero,
# the kernel log shows a problem or the VM does not come back.  The last
# line is "demo: ok" or "demo: FAILED".

set -euo pipefail

VM_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$VM_DIR/lib.sh"

usage()
{
	sed -n '4,19s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

main()
{
	local demo=$VM_REPO/tools/kipc-demo tmo=${KIPC_VM_TIMEOUT:-600}
	local kipcctl=$VM_REPO/tools/kipcctl
	local out=$VM_BUILD/demo kernel qrc summary ok

	while [ $# -gt 0 ]; do
		case $1 in
		--kernel)	VM_KERNEL=${2:?}; shift ;;
		--ko)		VM_KO=${2:?}; shift ;;
		--demo)		demo=${2:?}; shift ;;
		--kipcctl)	kipcctl=${2:?}; shift ;;
		--timeout)	tmo=${2:?}; shift ;;
		-v)		export KIPC_VM_VERBOSE=1 ;;
		*)		usage ;;
		esac
		shift
	done

	vm_need qemu-system-x86_64 timeout cpio gzip
	[ -r "$VM_KO" ] || vm_die "module $VM_KO not found (make module?)"
	[ -x "$demo" ] || vm_die "$demo not found (make -C tools kipc-demo?)"
	[ -x "$kipcctl" ] || vm_die "$kipcctl not found (make -C tools kipcctl?)"

	kernel=$(vm_pick_kernel "$VM_KO")
	# The initramfs gets exactly this kipcctl as /usr/bin/kipcctl, and
	# none of the other tools or examples.
	rm -rf "${out:?}/bin"
	mkdir -p "$out/bin"
	cp "$kipcctl" "$out/bin/kipcctl"
	KIPC_VM_EXTRA_DIRS=$out/bin KIPC_VM_EXTRA_DYN='' \
		"$VM_DIR/mkinitramfs.sh" -o "$out/demo.cpio.gz" -k "$VM_KO" "$demo"
	[ -x "$out/demo.cpio.gz.d/usr/bin/kipcctl" ] ||
		vm_die "$kipcctl: not in the initramfs (not a static binary?)"

	vm_say "vm: booting $kernel (tcg, smp $VM_SMP, $VM_MEM)"
	# Only failures of the checks are listed; the demo speaks for itself.
	VM_T0=$SECONDS
	set +e
	vm_boot "$kernel" "$out/demo.cpio.gz" "$tmo" |
		KIPC_VM_QUIET=1 vm_parse "$out" --echo
	qrc=${PIPESTATUS[0]}
	summary=$(vm_summary "$out" "$qrc")
	ok=$?
	set -e
	# Keep vm_summary's diagnostics, not its count line.
	printf '%s\n' "$summary" | sed '$d'
	if [ "$ok" = 0 ]; then
		vm_say "demo: ok"
	else
		vm_say "demo: FAILED (console: $out/console.log)"
		return 1
	fi
}

main "$@"
