#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the kipc VM once with -smp 1 and once with -smp 2, run
# tools/kipc-bench in each, and collect its CSV rows from the console.
#
# usage: run-bench.sh [--kernel PATH] [--ko PATH] [--bench PATH]
#                     [--out DIR] [--smp LIST] [--args ARGS]
#                     [--timeout SECS] [--wait-quiet SECS] [-v]
#   --kernel PATH     kernel image (default: the /boot image matching the
#                     module's vermagic; env KIPC_VM_KERNEL)
#   --ko PATH         module (default module/kipc.ko; env KIPC_KO)
#   --bench PATH      the benchmark (default tools/kipc-bench)
#   --out DIR         results (default build/bench): smpN.csv, smpN.meta,
#                     smpN.prof (the profile), smpN/console.log, host.meta
#   --smp LIST        vCPU counts to run, in order (default "1 2")
#   --args ARGS       arguments for kipc-bench (env KIPC_BENCH_ARGS)
#   --timeout SECS    each VM run (default 900; env KIPC_VM_TIMEOUT)
#   --wait-quiet SECS before each boot, wait up to SECS for the host's
#                     1-minute load to drop below 1.5 (default 0; env
#                     KIPC_BENCH_WAIT_QUIET); the load is recorded anyway
#   -v                also show the console outside the benchmark
# Fails when a VM does not come back, the benchmark fails or the kernel
# log shows a problem.  The last line is "bench: ok" or "bench: FAILED".

set -euo pipefail

VM_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$VM_DIR/lib.sh"

QUIET_LOAD=1.5

usage()
{
	sed -n '4,25s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

load1()
{
	cut -d' ' -f1 /proc/loadavg
}

# wait_quiet SECS: wait (up to SECS) for the 1-minute load to be quiet.
wait_quiet()
{
	local secs=$1 t0=$SECONDS

	while awk -v l="$(load1)" -v q="$QUIET_LOAD" 'BEGIN { exit !(l >= q) }'; do
		if [ $((SECONDS - t0)) -ge "$secs" ]; then
			[ "$secs" = 0 ] ||
				vm_say "bench: host load $(load1) after ${secs}s of waiting; going on"
			return 0
		fi
		sleep 10
	done
}

# run_one SMP: boot, run, collect; returns 0 when everything passed.
run_one()
{
	local smp=$1 out=$2/smp$1 kernel=$3 initrd=$4 tmo=$5
	local qrc summary ok load_before load_after

	mkdir -p "$out"
	wait_quiet "$WAIT_QUIET"
	load_before=$(cut -d' ' -f1-3 /proc/loadavg)
	vm_say "vm: booting $kernel (tcg, smp $smp, $VM_MEM); host load $load_before"
	VM_SMP=$smp
	VM_T0=$SECONDS
	set +e
	vm_boot "$kernel" "$initrd" "$tmo" |
		KIPC_VM_QUIET=1 vm_parse "$out" --echo |
		grep --line-buffered -v -e '@@CSV,' -e '@@META ' -e '@@PROF '
	qrc=${PIPESTATUS[0]}
	summary=$(vm_summary "$out" "$qrc")
	ok=$?
	set -e
	load_after=$(cut -d' ' -f1-3 /proc/loadavg)
	printf '%s\n' "$summary" | sed '$d'

	# The profile's lines, for docs/bench/analysis.md.
	sed -n 's/\r$//; s/^.*@@PROF //p' "$out/console.log" >"$2/smp$smp.prof" || true
	# The rows, without the header kipc-bench prints first.
	sed -n 's/\r$//; s/^.*@@CSV,//p' "$out/console.log" |
		grep -v '^cpus,' >"$2/smp$smp.csv" || true
	{
		sed -n 's/\r$//; s/^.*@@META //p' "$out/console.log" | head -n 1
		echo "smp=$smp"
		echo "load_before=$load_before"
		echo "load_after=$load_after"
		echo "seconds=$((SECONDS - VM_T0))"
	} >"$2/smp$smp.meta"
	if ! grep -q '@@BENCH-GUEST-DONE' "$out/console.log"; then
		vm_say "FAIL  kipc-bench did not finish (smp $smp)"
		ok=1
	fi
	vm_say "bench: smp $smp: $(wc -l <"$2/smp$smp.csv") rows in $((SECONDS - VM_T0))s"
	return "$ok"
}

main()
{
	local bench=$VM_REPO/tools/kipc-bench out=$VM_REPO/build/bench
	local smps="1 2" args=${KIPC_BENCH_ARGS:-} tmo=${KIPC_VM_TIMEOUT:-900}
	local kernel wrapper smp fail=0

	WAIT_QUIET=${KIPC_BENCH_WAIT_QUIET:-0}
	while [ $# -gt 0 ]; do
		case $1 in
		--kernel)	VM_KERNEL=${2:?}; shift ;;
		--ko)		VM_KO=${2:?}; shift ;;
		--bench)	bench=${2:?}; shift ;;
		--out)		out=${2:?}; shift ;;
		--smp)		smps=${2:?}; shift ;;
		--args)		args=${2?}; shift ;;
		--timeout)	tmo=${2:?}; shift ;;
		--wait-quiet)	WAIT_QUIET=${2:?}; shift ;;
		-v)		export KIPC_VM_VERBOSE=1 ;;
		*)		usage ;;
		esac
		shift
	done

	vm_need qemu-system-x86_64 timeout cpio gzip
	[ -r "$VM_KO" ] || vm_die "module $VM_KO not found (make module?)"
	[ -x "$bench" ] || vm_die "$bench not found (make -C tools kipc-bench?)"

	kernel=$(vm_pick_kernel "$VM_KO")
	# Under TCG with 2 vCPUs the guest marks the TSC unstable and falls
	# back to the HPET, which makes every clock_gettime() an emulated
	# MMIO read of several microseconds.  QEMU's TSC follows the host's
	# and is consistent across vCPUs: let the guest use it, so the vDSO
	# reads the clock without a syscall.  KIPC_VM_APPEND overrides.
	VM_APPEND_EXTRA=${KIPC_VM_APPEND-tsc=reliable}
	rm -rf "$out"
	mkdir -p "$out"

	# The payload: bench-guest.sh (kipc-bench, the outside peers and the
	# profile) with the benchmark's arguments in front.
	wrapper=$out/kipc-bench-run
	{
		echo '#!/bin/sh'
		printf 'KIPC_BENCH_ARGS=%q\n' "$args"
		sed 1d "$VM_DIR/bench-guest.sh"
	} >"$wrapper"
	chmod 755 "$wrapper"
	mkdir -p "$out/bin"
	cp "$bench" "$out/bin/kipc-bench"
	# The benchmark goes in /usr/bin (not every tool: only it); perf and
	# rt-tests' pmqtest, dynamically linked, with the libraries they need;
	# the bridge benchmark's programs and script (bench-bridge.sh).
	KIPC_VM_EXTRA_DIRS=$out/bin \
	KIPC_VM_EXTRA_DYN="$(command -v perf || true) $(command -v pmqtest || true) /usr/sbin/nats-server $VM_REPO/tools/kipc-bridge:/usr/bin/kipc-bridge $VM_REPO/tools/kipc-bench-bridge:/usr/bin/kipc-bench-bridge $VM_DIR/bench-bridge.sh:/usr/bin/bench-bridge.sh" \
		"$VM_DIR/mkinitramfs.sh" \
		-o "$out/bench.cpio.gz" -k "$VM_KO" -t "$tmo" "$wrapper"

	{
		echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "qemu=$(qemu-system-x86_64 --version | head -n 1)"
		echo "host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
		echo "host_cpus=$(nproc)"
		echo "host_kernel=$(uname -r)"
		echo "vm_kernel_image=$kernel"
		echo "vm_mem=$VM_MEM"
		echo "bench_args=$args"
	} >"$out/host.meta"

	for smp in $smps; do
		run_one "$smp" "$out" "$kernel" "$out/bench.cpio.gz" "$tmo" ||
			fail=1
	done
	if [ "$fail" = 0 ]; then
		vm_say "bench: ok (results in $out)"
	else
		vm_say "bench: FAILED (consoles in $out/smp*/console.log)"
		return 1
	fi
}

main "$@"
