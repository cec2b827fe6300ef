#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The payload of tests/vm/run-bench.sh, run by the VM's /init:
# kipc-bench itself, then, in the same VM, the outside peers (Debian's
# rt-tests and linux-perf's own benchmarks, written by nobody here) and
# a profile of the queue's basic path (perf stat counts and a perf
# record).  run-bench.sh writes the line KIPC_BENCH_ARGS=... first.
# Output: "@@CSV," rows (kipc-bench's format) and "@@PROF " lines.

cpus=$(grep -c '^processor' /proc/cpuinfo)
export HOME=/tmp

# kipc-bench first: its figures are the report's.
# shellcheck disable=SC2086 # a list of arguments
/usr/bin/kipc-bench $KIPC_BENCH_ARGS
rc=$?

csv()
{
	echo "@@CSV,$cpus,$1"
}

# perf bench sched pipe: two processes, a 4-byte round trip through two
# pipes, mean usecs per round trip; kipc-bench's pipe ping-pong beside.
if command -v perf >/dev/null; then
	for r in 0 1 2; do
		us=$(perf bench sched pipe -l 4000 2>&1 |
			awk '/usecs\/op/ { print $1 }')
		[ -n "$us" ] && csv "peer,perf-sched-pipe,4,,mean_us_r$r,$us"
	done
fi

# rt-tests pmqtest: two threads, a POSIX mq message every 200 us, the
# one-way latency from send to the receiver's return (min/avg/max, us).
if command -v pmqtest >/dev/null; then
	for r in 0 1 2; do
		pmqtest -q -l 1000 -i 200 -t 1 2>/dev/null |
			awk -v c="$cpus" -v r="$r" '/->/ {
				gsub(",", "")
				for (i = 1; i <= NF; i++) {
					if ($i == "Min") mn = $(i + 1)
					if ($i == "Avg") av = $(i + 1)
					if ($i == "Max") mx = $(i + 1)
				}
				printf "@@CSV,%s,peer,pmqtest,8,,min_us_r%s,%s\n", c, r, mn
				printf "@@CSV,%s,peer,pmqtest,8,,avg_us_r%s,%s\n", c, r, av
				printf "@@CSV,%s,peer,pmqtest,8,,max_us_r%s,%s\n", c, r, mx
			}'
	done
fi

# The profile: counts per operation, and where the time goes; at -smp 1
# only: with 2 vCPUs under TCG, perf stat's tracepoints hung the guest
# (soft lockup in perf on CPU 0 while CPU 1's timers stopped firing).
if [ "$cpus" != 1 ]; then
	echo "@@PROF skipped: the profile runs at -smp 1 only"
elif command -v perf >/dev/null; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
	mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	echo 0 >/proc/sys/kernel/kptr_restrict
	ev=task-clock,context-switches,cpu-migrations,page-faults
	ev=$ev,raw_syscalls:sys_enter,sched:sched_wakeup,sched:sched_switch
	ev=$ev,kmem:kmalloc,kmem:kmem_cache_alloc,kmem:kfree
	ev=$ev,kmem:kmem_cache_free,kmem:mm_page_alloc
	ev=$ev,lock:contention_begin
	# label, kipc-bench arguments
	stat()
	{
		l=$1
		shift
		perf stat -x, -o "/tmp/stat.$l" -e "$ev" -- \
			/usr/bin/kipc-bench "$@" >"/tmp/out.$l" 2>/dev/null
		sed "s/^/@@PROF $l stat,/" "/tmp/stat.$l"
		sed -n "s/^@@CSV,[0-9]*,/@@PROF $l csv,/p" "/tmp/out.$l" |
			grep -e ',pairs,' -e ',iters,' -e ',msgs,' -e 'ns_per_op' -e 'p50_us,'
	}
	stat self-kq -c self -m kq -r 1 -t 1
	stat self-sysv -c self -m sysv -r 1 -t 1
	stat pp-kq -c pingpong -m kq -s 64 -r 1 -t 1
	stat pp-sysv -c pingpong -m sysv -s 64 -r 1 -t 1
	stat st-kring -c stream -m kring -s 64 -r 1 -t 1
	perf record -N -q -g -e cpu-clock -o /tmp/self.data -- \
		/usr/bin/kipc-bench -c self -m kq -r 1 -t 2 >/dev/null 2>&1
	perf report -i /tmp/self.data --stdio --children --sort sym \
		-g none --percent-limit 0.7 2>/dev/null | grep -v '^$' |
		sed 's/^/@@PROF self-kq children /'
	perf report -i /tmp/self.data --stdio --no-children --sort sym \
		-g none --percent-limit 0.7 2>/dev/null | grep -v '^$' |
		sed 's/^/@@PROF self-kq self /'
	# ping-pong, kipc and SysV: where a round trip's time goes
	for m in kq sysv; do
		perf record -N -q -g -e cpu-clock -o "/tmp/pp-$m.data" -- \
			/usr/bin/kipc-bench -c pingpong -m "$m" -s 64 -r 1 -t 2 \
			>/dev/null 2>&1
		perf report -i "/tmp/pp-$m.data" --stdio --no-children \
			--sort sym -g none --percent-limit 0.7 2>/dev/null |
			grep -v '^$' | sed "s/^/@@PROF pp-$m self /"
	done
	perf record -N -q -g -e cpu-clock -o /tmp/ring.data -- \
		/usr/bin/kipc-bench -c stream -m kring -s 64 -r 1 -t 2 >/dev/null 2>&1
	perf report -i /tmp/ring.data --stdio --no-children --sort sym \
		-g none --percent-limit 0.7 2>/dev/null | grep -v '^$' |
		sed 's/^/@@PROF st-kring self /'
fi
timeout 240 /usr/bin/bench-bridge.sh || rc=1
echo "@@BENCH-GUEST-DONE"
exit $rc
