#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The bridge benchmark, run in the bench VM by bench-guest.sh (busybox
# sh): two machines (IPC + network + UTS namespaces) joined by a veth
# pair, nats-server with JetStream (store on tmpfs) in A, and 64-byte
# messages from A to B three ways, each ROUNDS times:
#   kq-local     a kipc queue within A (the direct reference);
#   kipc-bridge  A's queue -> kipc-bridge export -> JetStream ->
#                kipc-bridge import -> B's queue;
#   nats-pubsub  a plain NATS subject, published in A, subscribed in B.
# Each round: a burst of N (throughput), drained, then M paced GAP us
# apart (one-way latency, p50).  tools/kipc-bench-bridge prints the rows:
#   @@CSV,<cpus>,bridge,<mech>,64,,msgs_per_s_r<round>,<value>
#   @@CSV,<cpus>,bridge,<mech>,64,,p50_us_r<round>,<value>
# Environment: KIPC_BENCH_BRIDGE_N (10000), _M (300), _GAP_US (2000),
# _ROUNDS (3).  Without the programs it says so and does nothing; a
# failure is exit status 1 ("@@BRIDGE failed: ..." on the console).

N=${KIPC_BENCH_BRIDGE_N:-10000}
M=${KIPC_BENCH_BRIDGE_M:-300}
GAP=${KIPC_BENCH_BRIDGE_GAP_US:-2000}
ROUNDS=${KIPC_BENCH_BRIDGE_ROUNDS:-3}
BB=/usr/bin/kipc-bench-bridge
KB=/usr/bin/kipc-bridge
NATS=/usr/sbin/nats-server
D=/tmp/bench-bridge
URL=nats://10.92.0.1:4222

for p in $BB $KB $NATS; do
	if [ ! -x "$p" ]; then
		echo "@@BRIDGE skipped: no $p in the image"
		exit 0
	fi
done

pids=""
cleanup()
{
	# shellcheck disable=SC2086 # a list of pids
	[ -n "$pids" ] && kill $pids 2>/dev/null
	sleep 1
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null
	wait 2>/dev/null
}

fail()
{
	echo "@@BRIDGE failed: $*"
	for f in "$D"/*.log; do
		[ -s "$f" ] && sed "s|^|@@BRIDGE $(basename "$f"): |" "$f" | tail -n 20
	done
	cleanup
	exit 1
}

# machine: a holder process in new namespaces; prints its pid.
machine()
{
	# not on our stdout: $(machine) would wait for the holder to end
	unshare -i -n -u sleep 1000000 >/dev/null 2>&1 </dev/null &
	p=$!
	i=0
	while [ "$(readlink /proc/$p/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.05
	done
	echo $p
}

rm -rf $D
mkdir -p $D
if [ ! -d /sys/module/veth ]; then
	insmod "/lib/modules/$(uname -r)/kernel/drivers/net/veth.ko" 2>/dev/null
fi
pa=$(machine) || fail "no namespaces"
pb=$(machine) || fail "no namespaces"
pids="$pa $pb"
# What goes to the background is started with nsenter itself, not these
# functions: $! of a backgrounded function is a subshell, and killing it
# would leave the program running.
inA() { nsenter -t "$pa" -i -n -u "$@"; }
inB() { nsenter -t "$pb" -i -n -u "$@"; }
inA hostname bench-a
inB hostname bench-b
# busybox's ip cannot name the peer: in A's fresh namespace it is veth0.
inA ip link add bb0 type veth || fail "no veth"
inA ip link set veth0 netns "$pb" || fail "veth0 to B"
inA ip addr add 10.92.0.1/24 dev bb0
inA ip link set bb0 up
inA ip link set lo up
inB ip addr add 10.92.0.2/24 dev veth0
inB ip link set veth0 up
inB ip link set lo up

cat >$D/nats.conf <<EOF
listen: 0.0.0.0:4222
jetstream {
  store_dir: "$D/js"
  max_memory_store: 64MB
  max_file_store: 256MB
}
EOF
nsenter -t "$pa" -i -n -u $NATS -c $D/nats.conf >$D/nats.log 2>&1 &
pids="$pids $!"
inB $BB wait-nats $URL 60 2>>$D/bench.log || fail "nats-server not up"

# round MECH R SENDER... -- RECEIVER...: one round, the receiver first:
# a burst of N (throughput), then, once it has drained, M paced messages
# (latency), so no paced message waits behind the burst.
round()
{
	mech=$1 r=$2 snd="" rcv=""
	shift 2
	while [ "$1" != "--" ]; do snd="$snd $1"; shift; done
	shift
	rcv="$*"
	for nm in "$N 0" "0 $M"; do
		rm -f $D/ready
		# shellcheck disable=SC2086 # argument lists
		$rcv $nm "$mech" "$r" $D/ready 2>>$D/bench.log &
		rp=$!
		i=0
		while [ ! -e $D/ready ]; do
			i=$((i + 1))
			[ $i -gt 600 ] && fail "$mech: the receiver did not start"
			sleep 0.05
		done
		# shellcheck disable=SC2086
		$snd $nm $GAP 2>>$D/bench.log || fail "$mech round $r: send"
		wait $rp || fail "$mech round $r: receive"
	done
}

inA $BB mkq qlocal 2>>$D/bench.log || fail "mkq qlocal"
r=0
while [ $r -lt "$ROUNDS" ]; do
	round kq-local $r inA $BB send qlocal -- inA $BB recv qlocal
	r=$((r + 1))
done

inA $BB mkq qa 2>>$D/bench.log || fail "mkq qa"
inB $BB mkq qb 2>>$D/bench.log || fail "mkq qb"
nsenter -t "$pa" -i -n -u $KB export qa --server $URL --stream BENCH --subject bench.q \
	--id bench-a.qa --stats $D/export.json >$D/export.log 2>&1 &
pids="$pids $!"
i=0
until grep -Eq '"connected": ?true' $D/export.json 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 300 ] && fail "the exporter did not connect"
	sleep 0.1
done
nsenter -t "$pb" -i -n -u $KB import qb --server $URL --stream BENCH --subject bench.q \
	--durable bench --stats $D/import.json >$D/import.log 2>&1 &
pids="$pids $!"
r=0
while [ $r -lt "$ROUNDS" ]; do
	round kipc-bridge $r inA $BB send qa -- inB $BB recv qb
	r=$((r + 1))
done

r=0
while [ $r -lt "$ROUNDS" ]; do
	round nats-pubsub $r inA $BB send --nats $URL bench.plain -- \
		inB $BB recv --nats $URL bench.plain
	r=$((r + 1))
done
echo "@@BRIDGE stats: $(cat $D/export.json) $(cat $D/import.json)"
cleanup
exit 0
