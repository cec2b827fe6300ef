# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared functions of the kipc VM runner (run-suite.sh, run-demo.sh,
# mkinitramfs.sh).  Source it from bash after setting VM_DIR to the
# directory holding this file.
#
# The VM is Debian's kernel booted under QEMU/TCG with a busybox initramfs
# whose /init (written by mkinitramfs.sh) loads kipc.ko, runs the payload
# binaries and prints everything on the serial console between markers:
#
#   @@KIPC-BOOT <uname -r> cpus=<n>
#   @@KIPC-RESULT <check> ok|fail [detail]     insmod, devnode, rmmod
#   @@KIPC-BEGIN <bin>                         one per payload binary...
#   ...its output (kselftest TAP)...
#   @@KIPC-END <bin> rc=<n>
#   @@KIPC-LEFTOVER <bin> <pid> <comm> <state> a process outlived <bin>
#   @@KIPC-KMEMLEAK-BEGIN / -END               kmemleak report, if any
#   @@KIPC-DMESG-BEGIN / -END                  the whole kernel log
#   @@KIPC-DONE
#
# vm_parse reads that stream, prints one line per result and writes the
# totals to a file.

VM_REPO=${VM_REPO:-$(cd "$VM_DIR/../.." && pwd)}
VM_BUILD=${KIPC_VM_BUILD:-$VM_REPO/build/vm}
VM_SMP=${KIPC_VM_SMP:-2}
VM_MEM=${KIPC_VM_MEM:-1024M}
VM_KO=${KIPC_KO:-$VM_REPO/module/kipc.ko}
VM_KERNEL=${KIPC_VM_KERNEL:-}
VM_APPEND_EXTRA=${KIPC_VM_APPEND:-}
export VM_REPO VM_BUILD VM_SMP VM_MEM VM_KO VM_KERNEL VM_APPEND_EXTRA

# Kernel log lines that mean the kernel is unhappy (extended regex).
VM_BAD_RE='BUG:|WARNING:|Oops|KASAN|UBSAN|lockdep|possible circular|possible recursive|INFO: task .* blocked|kmemleak: .*suspected memory leak|general protection|Call Trace|RCU stall|rcu: .*detected stall|detected stalls|hung_task|list_add corruption|list_del corruption|refcount_t:|Kernel panic'
# ...except these harmless ones.
VM_OK_RE='RCU lockdep checking is enabled|kmemleak: [0-9]+ new suspected memory leaks|loading out-of-tree module taints kernel|module verification failed: signature and/or required key missing - tainting kernel'

vm_say()
{
	printf '%s\n' "$*"
}

vm_die()
{
	printf '%s: error: %s\n' "${0##*/}" "$*" >&2
	exit 2
}

# vm_need CMD...: fail early, with a hint, when a tool is missing.
vm_need()
{
	local c

	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			vm_die "'$c' not found; run scripts/install-deps.sh"
	done
}

# vm_pick_kernel KO: print the kernel image to boot.  $VM_KERNEL wins;
# otherwise the /boot image whose release matches the module's vermagic,
# otherwise the newest /boot/vmlinuz-*.
vm_pick_kernel()
{
	local ko=$1 rel img

	if [ -n "$VM_KERNEL" ]; then
		[ -r "$VM_KERNEL" ] || vm_die "cannot read kernel $VM_KERNEL"
		printf '%s\n' "$VM_KERNEL"
		return
	fi
	if [ -r "$ko" ] && command -v modinfo >/dev/null 2>&1; then
		rel=$(modinfo -F vermagic "$ko" 2>/dev/null | awk '{print $1}')
		if [ -n "$rel" ] && [ -r "/boot/vmlinuz-$rel" ]; then
			printf '%s\n' "/boot/vmlinuz-$rel"
			return
		fi
		[ -z "$rel" ] ||
			vm_say "warning: no /boot/vmlinuz-$rel for $ko; pass --kernel" >&2
	fi
	# shellcheck disable=SC2012 # plain file names, sorted by version
	img=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
	[ -n "$img" ] || vm_die "no kernel in /boot; pass --kernel PATH"
	[ -r "$img" ] || vm_die "cannot read $img (run as root?)"
	printf '%s\n' "$img"
}

# vm_boot KERNEL INITRD TIMEOUT: boot the VM; its serial console is this
# function's stdout.  Returns QEMU's status (124 when it timed out).
vm_boot()
{
	local kernel=$1 initrd=$2 tmo=$3
	local append="console=ttyS0,115200 loglevel=4 panic=-1 rdinit=/init"

	# Errors and worse reach the console live; /init dumps the whole
	# log at the end, so make it big enough to hold a noisy run.
	append="$append log_buf_len=8M mitigations=off $VM_APPEND_EXTRA"
	# -no-reboot: a panic (panic=-1) or poweroff ends QEMU at once.
	# stdin is /dev/null: CI has none, and QEMU must not read a tty.
	timeout -k 10 "$tmo" qemu-system-x86_64 \
		-accel tcg -smp "$VM_SMP" -m "$VM_MEM" \
		-nographic -no-reboot -nic none \
		-kernel "$kernel" -initrd "$initrd" \
		-append "$append" </dev/null 2>&1
}

# vm_result STATUS NAME [DETAIL]: print and count one result.
# STATUS is PASS, FAIL or SKIP.  Uses the parser's counters.
vm_result()
{
	local st=$1 name=$2 detail=${3:-}

	case $st in
	PASS) p_pass=$((p_pass + 1)) ;;
	FAIL) p_fail=$((p_fail + 1)) ;;
	SKIP) p_skip=$((p_skip + 1)) ;;
	esac
	if [ "$p_quiet" = 1 ] && [ "$st" = PASS ]; then
		return 0
	fi
	if [ -n "$detail" ]; then
		printf '%-4s  %s (%s)\n' "$st" "$name" "$detail"
	else
		printf '%-4s  %s\n' "$st" "$name"
	fi
}

# Print the lines buffered for the failing test case, indented.
vm_flush_context()
{
	local l

	# With --echo the lines were shown already.
	[ -n "$p_echo" ] && p_ctx=()
	for l in "${p_ctx[@]}"; do
		printf '        | %s\n' "$l"
	done
	p_ctx=()
}

# Called at @@KIPC-END: turn a binary's exit status into results.
vm_end_binary()
{
	local bin=$1 rc=$2 detail

	if [ "$rc" != 0 ] && [ "$p_bin_fail" = 0 ]; then
		if [ "$rc" = 4 ] && [ "$p_bin_results" = 0 ] &&
		   [ -n "$p_plan_skip" ]; then
			vm_result SKIP "$bin" "$p_plan_skip"
		elif [ "$rc" = 4 ] && [ "$p_bin_results" = 0 ]; then
			vm_result FAIL "$bin" "exit status 4 (KSFT_SKIP) without a reason (no \"1..0 # SKIP reason\")"
		else
			vm_flush_context
			case $rc in
			137) detail="exit status 137: SIGKILL, the time limit?" ;;
			1[2-9][0-9]) detail="exit status $rc: signal $((rc - 128))" ;;
			*) detail="exit status $rc" ;;
			esac
			vm_result FAIL "$bin" "$detail$p_bail"
		fi
	elif [ "$p_plan" -gt "$p_bin_results" ] && [ "$p_bin_fail" = 0 ]; then
		vm_flush_context
		vm_result FAIL "$bin" "planned $p_plan tests, $p_bin_results reported"
	elif [ "$rc" = 0 ] && [ "$p_bin_results" = 0 ]; then
		# Not a TAP program (the demo): its exit status is the result.
		vm_result PASS "$bin"
	fi
	p_ctx=()
}

# A line inside a payload binary's section.
vm_parse_tap()
{
	local line=$1 name reason

	if [[ $line =~ ^#\ +RUN\ +([^ ]+)\ \.\.\. ]]; then
		p_case=${BASH_REMATCH[1]}
		p_ctx=()
	elif [[ $line =~ ^1\.\.([0-9]+)\ *#\ *[Ss][Kk][Ii][Pp]\ *(.*)$ ]]; then
		# "1..0 # SKIP reason": the whole binary skips.
		p_plan=${BASH_REMATCH[1]}
		p_plan_skip=${BASH_REMATCH[2]%% }
	elif [[ $line =~ ^1\.\.([0-9]+) ]]; then
		p_plan=${BASH_REMATCH[1]}
	elif [[ $line =~ ^ok\ ([0-9]+)\ *(.*)\ #\ *[Ss][Kk][Ii][Pp]\ *(.*)$ ]] ||
	     [[ $line =~ ^ok\ ([0-9]+)\ *()#\ *[Ss][Kk][Ii][Pp]\ *(.*)$ ]]; then
		# 6.1's harness prints "ok N # SKIP reason", without the name,
		# and "unknown" for the reason of a test process that exited
		# with the skip status (255) without a SKIP(): not a skip.
		name=${BASH_REMATCH[2]:-${p_case:-#${BASH_REMATCH[1]}}}
		reason=${BASH_REMATCH[3]%% }
		p_bin_results=$((p_bin_results + 1))
		if [ -z "$reason" ] || [ "$reason" = unknown ]; then
			p_bin_fail=$((p_bin_fail + 1))
			vm_flush_context
			vm_result FAIL "$p_bin: $name" "skipped without a reason"
		else
			vm_result SKIP "$p_bin: $name" "$reason"
		fi
		p_case='' p_ctx=()
	elif [[ $line =~ ^ok\ ([0-9]+)\ *(.*)$ ]]; then
		name=${BASH_REMATCH[2]}
		case $name in
		"#"* | "")	# "ok N # XFAIL ...": the name is the RUN line's
			name="${p_case:-#${BASH_REMATCH[1]}} $name" ;;
		*)	name=${name%% # *} ;;
		esac
		name=${name% }
		p_bin_results=$((p_bin_results + 1))
		if [[ $name =~ \#\ *[Xx][Ff][Aa][Ii][Ll] ]]; then
			# kselftest's "expected failure": kipc has none, and a
			# failure is never a pass.
			p_bin_fail=$((p_bin_fail + 1))
			vm_flush_context
			vm_result FAIL "$p_bin: $name" "XFAIL is a failure here"
		else
			vm_result PASS "$p_bin: $name"
		fi
		p_case='' p_ctx=()
	elif [[ $line =~ ^not\ ok\ ([0-9]+)\ *(.*)$ ]]; then
		name=${BASH_REMATCH[2]}
		[[ $name == "# "* || -z $name ]] && name="${p_case:-#${BASH_REMATCH[1]}} ${name}"
		p_bin_results=$((p_bin_results + 1))
		p_bin_fail=$((p_bin_fail + 1))
		vm_flush_context
		vm_result FAIL "$p_bin: ${name% }"
		p_case=
	else
		[[ $line == "Bail out!"* ]] && p_bail="; $line"
		# Keep the last lines of the running case for a failure report.
		p_ctx+=("$line")
		if [ "${#p_ctx[@]}" -gt 20 ]; then
			p_ctx=("${p_ctx[@]:1}")
		fi
	fi
}

# vm_check_log FILE LABEL: report the bad lines of a kernel log; returns
# 1 if there were any.
vm_check_log()
{
	local file=$1 label=$2 bad

	bad=$(grep -E "$VM_BAD_RE" "$file" | grep -Ev "$VM_OK_RE" || true)
	if [ -z "$bad" ]; then
		return 0
	fi
	vm_say "$label:"
	printf '%s\n' "$bad" | head -n 60 | sed 's/^/        | /'
	return 1
}

# vm_check_kmemleak FILE: fail on any leak report, except objects the
# boot CPU allocated in start_kernel() itself, before any other task ran:
# comm "swapper/0", pid 0, start_kernel in the backtrace, and nothing of
# an interrupt, softirq, RCU callback, timer or the idle loop (pid 0 runs
# those too, and kipc's could be among them) nor any module symbol.  Those
# cannot be kipc's or the tests'.  The debug kernel has some that the
# baseline /init takes before insmod does not always catch: ACPI's
# kmem_cache structs from acpi_ut_create_caches() (acpi_early_init()).
# kmemleak reports an object only once its contents did not change
# between two scans, and a cache's struct changes while caches are
# created (its list neighbours), so some are first reported after the
# baseline.  Every other report fails the run; the boot's ones are counted
# in a note.
vm_check_kmemleak()
{
	local file=$1 n nboot

	rm -f "$file.fail"
	[ -s "$file" ] || return 0
	awk -v out="$file.fail" '
		/^unreferenced object/ { if (blk != "") flush(); blk = $0 "\n"; next }
		{ blk = blk $0 "\n" }
		function flush() {
			if (blk ~ /comm "swapper\/0", pid 0,/ &&
			    blk ~ /\] start_kernel\+/ &&
			    blk !~ /irq|softirq|rcu|timer|do_idle|cpu_startup_entry| \[[a-z0-9_]+\]\n/) nb++
			else { printf "%s", blk > out; nf++ }
			blk = ""
		}
		END { if (blk != "") flush(); printf "%d %d\n", nf, nb }
	' "$file" >"$file.count"
	read -r n nboot <"$file.count"
	if [ "${nboot:-0}" -gt 0 ]; then
		vm_say "note: kmemleak reports $nboot object(s) allocated at boot by pid 0, not counted (see $file)"
	fi
	[ "${n:-0}" -gt 0 ] || return 0
	vm_say "kmemleak: $n leak(s):"
	head -n 60 "$file.fail" | sed 's/^/        | /'
	return 1
}

# vm_parse OUTDIR [--echo]: read the console on stdin, print results as
# they come, save the console to OUTDIR/console.log, the kernel log to
# OUTDIR/dmesg.log, and write "pass fail skip done" to OUTDIR/totals.
# With --echo, every payload output line is shown too (the demo).
vm_parse()
{
	local out=$1 p_echo=${2:-} line sect=none rc st name detail
	local dmesg=$out/dmesg.log kml=$out/kmemleak.log
	local p_pass=0 p_fail=0 p_skip=0 p_done=0 p_quiet=${KIPC_VM_QUIET:-0}
	local p_bin='' p_case='' p_plan=0 p_bin_results=0 p_bin_fail=0 p_bail='' p_plan_skip=''
	local -a p_ctx=()

	: >"$out/console.log"
	: >"$dmesg"
	: >"$kml"
	while IFS= read -r line; do
		line=${line%$'\r'}
		printf '%s\n' "$line" >>"$out/console.log"
		case $sect in
		dmesg)
			if [[ $line == *"@@KIPC-DMESG-END"* ]]; then
				sect=none
			else
				printf '%s\n' "$line" >>"$dmesg"
			fi
			continue
			;;
		kmemleak)
			if [[ $line == *"@@KIPC-KMEMLEAK-END"* ]]; then
				sect=none
			else
				printf '%s\n' "$line" >>"$kml"
			fi
			continue
			;;
		esac

		if [ "$sect" = leftover ] && [[ $line == *"@@KIPC-"* ]]; then
			sect=none
		fi
		case $line in
		*"@@KIPC-BOOT "*)
			vm_say "vm: booted in $((SECONDS - ${VM_T0:-0}))s, ${line#*@@KIPC-BOOT }"
			;;
		*"@@KIPC-RESULT "*)
			read -r name st detail <<<"${line#*@@KIPC-RESULT }"
			if [ "$st" = ok ]; then
				vm_result PASS "$name"
			else
				vm_result FAIL "$name" "$detail"
			fi
			;;
		*"@@KIPC-BEGIN "*)
			p_bin=${line#*@@KIPC-BEGIN }
			p_case='' p_plan=0 p_bin_results=0 p_bin_fail=0 p_bail=''
			p_plan_skip=''
			p_ctx=()
			sect=bin
			[ -n "$p_echo" ] || vm_say "----  $p_bin"
			;;
		*"@@KIPC-END "*)
			rc=${line##*rc=}
			vm_end_binary "$p_bin" "$rc"
			sect=none
			;;
		*"@@KIPC-LEFTOVER "*)
			read -r name detail <<<"${line#*@@KIPC-LEFTOVER }"
			vm_result FAIL "$name: process left running" "$detail"
			sect=leftover	# its kernel stack follows
			;;
		*"@@KIPC-KMEMLEAK-BEGIN"*)
			sect=kmemleak
			;;
		*"@@KIPC-DMESG-BEGIN"*)
			sect=dmesg
			;;
		*"@@KIPC-DONE"*)
			p_done=1
			;;
		*)
			if [ "$sect" = bin ]; then
				[ -z "$p_echo" ] || printf '%s\n' "$line"
				vm_parse_tap "$line"
			elif [ "$sect" = leftover ]; then
				printf '        | %s\n' "$line"
			elif [ "${KIPC_VM_VERBOSE:-0}" = 1 ]; then
				printf '%s\n' "$line"
			fi
			;;
		esac
	done

	if [ "$sect" = bin ] && [ -n "$p_bin" ]; then
		vm_flush_context
		vm_result FAIL "$p_bin" "did not finish"
	fi
	if [ "$p_done" = 1 ]; then
		if vm_check_log "$dmesg" "kernel log (full: $dmesg)" &&
		   vm_check_kmemleak "$kml"; then
			vm_result PASS "kernel-log"
		else
			vm_result FAIL "kernel-log"
		fi
	else
		# No clean dump: show what the console caught, as a hint.
		vm_check_log "$out/console.log" "console shows" || true
	fi
	printf '%s %s %s %s\n' "$p_pass" "$p_fail" "$p_skip" "$p_done" \
		>"$out/totals"
}

# vm_summary OUTDIR QEMU_RC: print the final line, return 0 or 1.
vm_summary()
{
	local out=$1 qrc=$2 pass=0 fail=0 skip=0 fin=0 line

	if [ -r "$out/totals" ]; then
		read -r pass fail skip fin <"$out/totals"
	fi
	if [ "$fin" != 1 ]; then
		if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
			vm_say "FAIL  vm: did not come back (timed out; console: $out/console.log)"
		else
			vm_say "FAIL  vm: did not come back (qemu status $qrc; console: $out/console.log)"
		fi
		fail=$((fail + 1))
	fi
	line="$pass passed, $fail failed"
	[ "$skip" = 0 ] || line="$line, $skip skipped"
	vm_say "$line"
	[ "$fail" = 0 ]
}
