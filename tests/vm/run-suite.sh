#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the kipc kselftests in a QEMU/TCG guest running Debian's kernel.
#
# usage: run-suite.sh [--kernel PATH] [--ko PATH] [--tests "NAMES"]
#                     [--timeout SECS] [--bin-timeout SECS] [-v] [-q]
#   --kernel PATH      kernel image (default: the /boot image matching the
#                      module's vermagic; env KIPC_VM_KERNEL)
#   --ko PATH          module (default module/kipc.ko; env KIPC_KO)
#   --tests "NAMES"    test binaries to run, in order: kipc_queue_test,
#                      queue or a path (default: every executable
#                      tests/kipc_*_test; env KIPC_VM_TESTS)
#   --timeout SECS     the whole VM run (default 2400; env KIPC_VM_TIMEOUT)
#   --bin-timeout SECS each binary inside the VM (default 1200: the bridge
#                      test takes 250 to 450 s on one TCG machine)
#   -v                 also show the console outside the tests
#   -q                 do not list passing tests
# Environment: KIPC_VM_SMP (2), KIPC_VM_MEM (1024M), KIPC_VM_BUILD
# (build/vm), KIPC_VM_APPEND (extra kernel command line),
# KIPC_VM_TESTDIR (where test binaries are looked up, default tests/).
#
# Every kselftest result is a test: "ok" passes, "ok ... # SKIP reason"
# is skipped, "not ok" fails.  A skip is never a pass, and needs a
# reason: "# SKIP" without one (the harness's "unknown"), "# XFAIL", and
# a binary that exits 4 (KSFT_SKIP) without a "1..0 # SKIP reason" plan
# fail (the convention: tests/lib/kt_harness.h, KT_SKIP).  A binary that
# exits non-zero without a "not ok" line, or reports fewer tests than it
# planned, is one failure.
# insmod, /dev/kipc (devnode), rmmod and a clean kernel log (kernel-log)
# are tests too; a VM that does not come back is one more failure.
# The last line is "N passed, N failed[, N skipped]"; the exit status is
# non-zero if anything failed.  The console is kept in build/vm/console.log.

set -euo pipefail

VM_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$VM_DIR/lib.sh"

usage()
{
	sed -n '4,32s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

# find_tests DIR NAMES: print the test binaries to run, one per line.
find_tests()
{
	local dir=$1 names=$2 n f

	if [ -z "$names" ]; then
		for f in "$dir"/kipc_*_test; do
			[ -f "$f" ] && [ -x "$f" ] && printf '%s\n' "$f"
		done
		return 0
	fi
	for n in $names; do
		case $n in
		*/*)		f=$n ;;
		kipc_*_test)	f=$dir/$n ;;
		*)		f=$dir/kipc_${n}_test ;;
		esac
		[ -x "$f" ] || vm_die "no test binary $f (make tests?)"
		printf '%s\n' "$f"
	done
}

main()
{
	local tests=${KIPC_VM_TESTS:-} tmo=${KIPC_VM_TIMEOUT:-2400}
	local bin_tmo=1200 testdir=${KIPC_VM_TESTDIR:-$VM_REPO/tests}
	local kernel initrd start qrc
	local -a bins

	while [ $# -gt 0 ]; do
		case $1 in
		--kernel)	VM_KERNEL=${2:?}; shift ;;
		--ko)		VM_KO=${2:?}; shift ;;
		--tests)	tests=${2:?}; shift ;;
		--timeout)	tmo=${2:?}; shift ;;
		--bin-timeout)	bin_tmo=${2:?}; shift ;;
		-v)		export KIPC_VM_VERBOSE=1 ;;
		-q)		export KIPC_VM_QUIET=1 ;;
		*)		usage ;;
		esac
		shift
	done

	vm_need qemu-system-x86_64 timeout cpio gzip
	[ -r "$VM_KO" ] || vm_die "module $VM_KO not found (make module?)"
	mapfile -t bins < <(find_tests "$testdir" "$tests")
	if [ "${#bins[@]}" = 0 ]; then
		vm_say "warning: no test binaries in $testdir; checking load/unload only"
	fi

	kernel=$(vm_pick_kernel "$VM_KO")
	initrd=$VM_BUILD/suite.cpio.gz
	mkdir -p "$VM_BUILD"
	"$VM_DIR/mkinitramfs.sh" -o "$initrd" -k "$VM_KO" -t "$bin_tmo" \
		${bins[@]+"${bins[@]}"}

	vm_say "vm: booting $kernel (tcg, smp $VM_SMP, $VM_MEM, timeout ${tmo}s)"
	start=$(date +%s)
	VM_T0=$SECONDS
	set +e
	vm_boot "$kernel" "$initrd" "$tmo" | vm_parse "$VM_BUILD"
	qrc=${PIPESTATUS[0]}
	set -e
	vm_say "vm: finished in $(($(date +%s) - start))s, console in $VM_BUILD/console.log"
	vm_summary "$VM_BUILD" "$qrc"
}

main "$@"
