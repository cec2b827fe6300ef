#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Turn the results of tests/vm/run-bench.sh into the benchmark report:
# a markdown report with the ratio of every goal, the tables, one CSV of
# all rows and a PNG plot (gnuplot).
#
# usage: bench-report.sh [IN [OUT]]
#   IN   run-bench.sh's directory (default build/bench): smp1.csv,
#        smp2.csv, smp*.meta, host.meta
#   OUT  where to write (default docs/bench): report.md, results.csv,
#        bench.png
#
# Ratios are taken within one VM run (one -smp value): absolute times
# under QEMU/TCG mean little.  An anchor is "distorted" at -smp 2 when its
# result there is more than DISTORT (5) times worse than its own -smp 1
# result: that is the TCG wakeup artifact (pipe and Unix-socket round
# trips of ~5 ms), not the mechanism.  A distorted anchor is left out of
# "best of" and a goal measured against one is never counted as met.

set -euo pipefail

IN=${1:-build/bench}
OUT=${2:-docs/bench}
DISTORT=5

die()
{
	printf 'bench-report: error: %s\n' "$*" >&2
	exit 2
}

meta()
{
	sed -n "s/^$1=//p" "$2" 2>/dev/null | head -n 1
}

[ -s "$IN/smp1.csv" ] || [ -s "$IN/smp2.csv" ] || die "no results in $IN (run tests/vm/run-bench.sh)"
command -v gnuplot >/dev/null || die "gnuplot not found; run scripts/install-deps.sh"
mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One CSV of everything, with the header.
{
	echo "cpus,case,mech,size,param,metric,value"
	for f in "$IN"/smp*.csv; do
		[ -s "$f" ] && cat "$f"
	done
} >"$OUT/results.csv"

# VM facts from the first run that has them.
kernel='?' clocksource='?'
for f in "$IN"/smp*.meta; do
	[ -r "$f" ] || continue
	line=$(head -n 1 "$f")
	for kv in $line; do
		case $kv in
		kernel=*) kernel=${kv#kernel=} ;;
		clocksource=*) clocksource=${kv#clocksource=} ;;
		esac
	done
	break
done
host=$IN/host.meta
date_run=$(meta date "$host")
qemu=$(meta qemu "$host")
loads=''
for f in "$IN"/smp*.meta; do
	[ -r "$f" ] || continue
	loads="$loads -smp $(meta smp "$f"): $(meta load_before "$f") before, $(meta load_after "$f") after ($(meta seconds "$f")s);"
done

# The analysis: goals, distortion, tables, and the plot's data files.
awk -F, -v D="$DISTORT" -v T="$tmp" '
function v(c, cs, m, s, p, k) { return (c SUBSEP cs SUBSEP m SUBSEP s SUBSEP p SUBSEP k) in R ? R[c, cs, m, s, p, k] : "" }
function has(x) { return x != "" }
function f2(x) { return has(x) ? sprintf("%.2f", x) : "—" }
function fus(x) { return has(x) ? (x >= 100 ? sprintf("%.0f", x) : sprintf("%.1f", x)) : "—" }
function fk(x) { return has(x) ? (x >= 1e6 ? sprintf("%.2fM", x / 1e6) : x >= 1e3 ? sprintf("%.1fk", x / 1e3) : sprintf("%.0f", x)) : "—" }
function fmib(x) { return has(x) ? sprintf("%.1f", x / 1048576) : "—" }
function szl(s) { return s >= 1048576 ? (s / 1048576) " MiB" : s >= 1024 ? (s / 1024) " KiB" : s " B" }
# pingpong p50 of m at size s is distorted at cpus c?
function ppdist(m, s, c,   a, b) {
	if (c != 2) return 0
	a = v(1, "pingpong", m, s, "", "p50_us"); b = v(2, "pingpong", m, s, "", "p50_us")
	return has(a) && has(b) && b > D * a
}
function stdist(m, s, c,   a, b) {
	if (c != 2) return 0
	a = v(1, "stream", m, s, 1, "msgs_per_s"); b = v(2, "stream", m, s, 1, "msgs_per_s")
	return has(a) && has(b) && b * D < a
}
# goal row: name, target text, and per cpus ratio/verdict
# the range of a ratio over the rounds: best and worst pairing of min/max
function rng(c, cs, km, am, s, p, k,   k0, k1, a0, a1) {
	k0 = v(c, cs, km, s, p, k "_min"); k1 = v(c, cs, km, s, p, k "_max")
	a0 = v(c, cs, am, s, p, k "_min"); a1 = v(c, cs, am, s, p, k "_max")
	if (!has(k0) || !has(k1) || !has(a0) || !has(a1) || a0 <= 0 || a1 <= 0) return ""
	return sprintf("%.2f–%.2f", k0 / a1, k1 / a0)
}
# goal: one row; dist says the anchor the ratio is taken against is distorted
function goal(id, text, target, cmp, c, ratio, note, dist,   verdict, margin) {
	if (!has(ratio)) { verdict = "no data"; margin = "" }
	else if (dist) { verdict = "not counted (anchor distorted)"; margin = "" }
	else if (cmp == "le") { verdict = (ratio <= target) ? "**met**" : "**missed**"; margin = ratio > 0 ? target / ratio : "" }
	else { verdict = (ratio >= target) ? "**met**" : "**missed**"; margin = target > 0 ? ratio / target : "" }
	G[id, c] = (has(ratio) ? f2(ratio) : "—") (cmp == "ms" ? " ms" : "×") " " verdict (note != "" ? " (" note ")" : "")
	GT[id] = text
	GM[id, c] = margin
	if (!(id in GSEEN)) { GSEEN[id] = 1; GORD[++NG] = id }
}
NR > 1 {
	R[$1, $2, $3, $4, $5, $6] = $7
	C[$1] = 1
	if ($2 == "pingpong") { PPM[$3] = 1; SZ[$4] = 1 }
	if ($2 == "stream") STM[$3] = 1
	if ($2 == "scale") SCM[$3] = 1
}
END {
	npp = split("kq kring kring-zc kregion kevent pipe uds pmq sysv futex eventfd", ppo, " ")
	nst = split("kq kq-b64 kring kring-zc pipe uds pmq sysv", sto, " ")
	nsz = split("64 4096 65536 1048576", szo, " ")
	nanch = split("pipe pmq uds", anch, " ")
	ncpu = 0
	for (c = 1; c <= 2; c++) if (c in C) cpus[++ncpu] = c

	for (i = 1; i <= ncpu; i++) {
		c = cpus[i]
		# G1: queue ping-pong 64 B vs the best undistorted of pipe/mq/uds
		best = ""; bname = ""; excl = ""
		for (j = 1; j <= nanch; j++) {
			a = v(c, "pingpong", anch[j], 64, "", "p50_us")
			if (!has(a)) continue
			if (ppdist(anch[j], 64, c)) { excl = excl (excl != "" ? ", " : "") anch[j]; continue }
			if (best == "" || a < best) { best = a; bname = anch[j] }
		}
		k = v(c, "pingpong", "kq", 64, "", "p50_us")
		note = "vs " bname (excl != "" ? "; " excl " distorted, left out" : "")
		r = bname != "" ? rng(c, "pingpong", "kq", bname, 64, "", "p50_us") : ""
		if (r != "") note = note "; rounds " r
		goal(1, "queue ping-pong 64 B p50 vs best of pipe / POSIX mq / UDS", 1.0, "le", c,
		     has(k) && has(best) ? k / best : "", note, best == "" && excl != "")
		# G2: queue streaming 64 B, batches of 64, vs POSIX mq msgs/s
		k = v(c, "stream", "kq-b64", 64, 1, "msgs_per_s"); a = v(c, "stream", "pmq", 64, 1, "msgs_per_s")
		r = rng(c, "stream", "kq-b64", "pmq", 64, 1, "msgs_per_s")
		goal(2, "queue streaming 64 B in batches of 64 vs POSIX mq, msgs/s", 5, "ge", c,
		     has(k) && has(a) ? k / a : "", stdist("pmq", 64, c) ? "POSIX mq distorted" : (r != "" ? "rounds " r : ""), stdist("pmq", 64, c))
		# G3: ring streaming 64 B vs POSIX mq msgs/s
		k = v(c, "stream", "kring", 64, 1, "msgs_per_s")
		r = rng(c, "stream", "kring", "pmq", 64, 1, "msgs_per_s")
		goal(3, "ring streaming 64 B (copy) vs POSIX mq, msgs/s", 20, "ge", c,
		     has(k) && has(a) ? k / a : "", stdist("pmq", 64, c) ? "POSIX mq distorted" : (r != "" ? "rounds " r : ""), stdist("pmq", 64, c))
		k = v(c, "stream", "kring-zc", 64, 1, "msgs_per_s")
		r = rng(c, "stream", "kring-zc", "pmq", 64, 1, "msgs_per_s")
		goal("3b", "ring streaming 64 B (zero-copy) vs POSIX mq, msgs/s", 20, "ge", c,
		     has(k) && has(a) ? k / a : "", stdist("pmq", 64, c) ? "POSIX mq distorted" : (r != "" ? "rounds " r : ""), stdist("pmq", 64, c))
		# G4: ring 1 MiB zero-copy vs pipe bytes/s
		k = v(c, "stream", "kring-zc", 1048576, 1, "bytes_per_s"); a = v(c, "stream", "pipe", 1048576, 1, "bytes_per_s")
		r = rng(c, "stream", "kring-zc", "pipe", 1048576, 1, "bytes_per_s")
		goal(4, "ring 1 MiB zero-copy vs pipe, bytes/s", 3, "ge", c,
		     has(k) && has(a) ? k / a : "", stdist("pipe", 1048576, c) ? "pipe distorted" : (r != "" ? "rounds " r : ""), stdist("pipe", 1048576, c))
		# G5: selective receive at depth 10,000 vs depth 0
		k = v(c, "select", "kq", 64, 10000, "p50_us"); a = v(c, "select", "kq", 64, 0, "p50_us")
		s1 = v(c, "select", "sysv", 64, 10000, "p50_us"); s0 = v(c, "select", "sysv", 64, 0, "p50_us")
		goal(5, "selective receive p50, depth 10,000 vs depth 0", 2, "le", c,
		     has(k) && has(a) ? k / a : "", has(s1) && has(s0) ? sprintf("SysV msgrcv: %.1f×", s1 / s0) : "", 0)
		# G6: region wait/wake ping-pong vs raw futex
		k = v(c, "pingpong", "kregion", 64, "", "p50_us"); a = v(c, "pingpong", "futex", 64, "", "p50_us")
		r = rng(c, "pingpong", "kregion", "futex", 64, "", "p50_us")
		goal(6, "region wait/wake ping-pong 64 B p50 vs raw futex", 1.2, "le", c,
		     has(k) && has(a) ? k / a : "", ppdist("futex", 64, c) ? "futex distorted" : (r != "" ? "rounds " r : ""), ppdist("futex", 64, c))
		# G7: owner death
		k = v(c, "death", "kq", 64, "10000x64", "last_ms_max")
		goal(7, "owner death: all 64 waiters woken (worst run)", 10, "ms", c, k, "", 0)
		if (has(k)) { G[7, c] = sprintf("%.2f ms %s", k, k <= 10 ? "**met**" : "**missed**"); GM[7, c] = k > 0 ? 10 / k : "" }
	}

	# ---- goals table
	f = T "/goals.md"
	printf "| goal | target |" > f
	for (i = 1; i <= ncpu; i++) printf " -smp %d |", cpus[i] > f
	printf "\n|---|---|" > f
	for (i = 1; i <= ncpu; i++) printf "---|" > f
	printf "\n" > f
	tg[1] = "≤ 1.0×"; tg[2] = "≥ 5×"; tg[3] = "≥ 20×"; tg["3b"] = "(≥ 20×, not a goal)"; tg[4] = "≥ 3×"; tg[5] = "≤ 2×"; tg[6] = "≤ 1.2×"; tg[7] = "≤ 10 ms"
	for (g = 1; g <= NG; g++) {
		id = GORD[g]
		printf "| %s | %s |", GT[id], tg[id] > f
		for (i = 1; i <= ncpu; i++) printf " %s |", G[id, cpus[i]] > f
		printf "\n" > f
	}
	close(f)

	# ---- plot data: goal margins (>= 1 met)
	f = T "/margin.dat"
	lab[1] = "queue pp"; lab[2] = "queue batch"; lab[3] = "ring stream"; lab[4] = "ring 1MiB zc"; lab[5] = "select 10k"; lab[6] = "region/futex"; lab[7] = "owner death"
	for (g = 1; g <= 7; g++) {
		printf "\"%s\"", lab[g] > f
		for (c = 1; c <= 2; c++) printf " %s", (has(GM[g, c]) ? GM[g, c] : "NaN") > f
		printf "\n" > f
	}
	close(f)

	# ---- distortion table (ping-pong 64 B)
	f = T "/distort.md"
	printf "| mechanism | p50 -smp 1 (µs) | p50 -smp 2 (µs) | -smp 2 / -smp 1 | verdict |\n|---|---:|---:|---:|---|\n" > f
	for (j = 1; j <= npp; j++) {
		m = ppo[j]; a = v(1, "pingpong", m, 64, "", "p50_us"); b = v(2, "pingpong", m, 64, "", "p50_us")
		if (!has(a) && !has(b)) continue
		r = has(a) && has(b) && a > 0 ? b / a : ""
		verdict = !has(r) ? "—" : r > D ? "**distorted** (TCG wakeup artifact)" : "ok"
		printf "| %s | %s | %s | %s | %s |\n", m, fus(a), fus(b), f2(r), verdict > f
	}
	close(f)

	# ---- per-cpus tables
	for (i = 1; i <= ncpu; i++) {
		c = cpus[i]
		f = T "/pp" c ".md"
		printf "| mechanism |" > f
		for (k = 1; k <= nsz; k++) printf " %s p50 / p99 (µs) |", szl(szo[k]) > f
		printf " vcsw / rt (64 B) |\n|---|" > f
		for (k = 1; k <= nsz; k++) printf "---:|" > f
		printf "---:|\n" > f
		for (j = 1; j <= npp; j++) {
			m = ppo[j]
			if (!has(v(c, "pingpong", m, 64, "", "p50_us"))) continue
			printf "| %s%s |", m, (ppdist(m, 64, c) ? " ⚠" : "") > f
			for (k = 1; k <= nsz; k++)
				printf " %s / %s |", fus(v(c, "pingpong", m, szo[k], "", "p50_us")), fus(v(c, "pingpong", m, szo[k], "", "p99_us")) > f
			printf " %s |\n", f2(v(c, "pingpong", m, 64, "", "vcsw_per_op")) > f
		}
		close(f)

		f = T "/st" c ".md"
		printf "| mechanism |" > f
		for (k = 1; k <= nsz; k++) printf " %s msgs/s (MiB/s) |", szl(szo[k]) > f
		printf " vcsw / msg (64 B) |\n|---|" > f
		for (k = 1; k <= nsz; k++) printf "---:|" > f
		printf "---:|\n" > f
		for (j = 1; j <= nst; j++) {
			m = sto[j]
			if (!has(v(c, "stream", m, 64, 1, "msgs_per_s"))) continue
			printf "| %s%s |", m, (stdist(m, 64, c) ? " ⚠" : "") > f
			for (k = 1; k <= nsz; k++)
				printf " %s (%s) |", fk(v(c, "stream", m, szo[k], 1, "msgs_per_s")), fmib(v(c, "stream", m, szo[k], 1, "bytes_per_s")) > f
			printf " %s |\n", sprintf("%.3f", v(c, "stream", m, 64, 1, "vcsw_per_msg")) > f
		}
		close(f)

		f = T "/sc" c ".md"
		printf "| mechanism | 1 producer | 2 producers | 4 producers | 4 / 1 |\n|---|---:|---:|---:|---:|\n" > f
		for (j = 1; j <= nst; j++) {
			m = sto[j]
			a = v(c, "scale", m, 64, 1, "msgs_per_s"); b = v(c, "scale", m, 64, 4, "msgs_per_s")
			if (!has(a)) continue
			printf "| %s | %s | %s | %s | %s |\n", m, fk(a), fk(v(c, "scale", m, 64, 2, "msgs_per_s")), fk(b), (has(b) && a > 0 ? f2(b / a) : "—") > f
		}
		close(f)

		f = T "/sel" c ".md"
		printf "| mechanism | depth 0 p50 / p99 (µs) | depth 100 | depth 10,000 | 10,000 / 0 (p50) |\n|---|---:|---:|---:|---:|\n" > f
		split("kq sysv", sm, " ")
		for (j = 1; j <= 2; j++) {
			m = sm[j]; a = v(c, "select", m, 64, 0, "p50_us"); b = v(c, "select", m, 64, 10000, "p50_us")
			if (!has(a)) continue
			printf "| %s | %s / %s | %s / %s | %s / %s | %s |\n", (m == "kq" ? "kipc queue, EQ 2" : "SysV msgrcv(type 2)"),
				fus(a), fus(v(c, "select", m, 64, 0, "p99_us")),
				fus(v(c, "select", m, 64, 100, "p50_us")), fus(v(c, "select", m, 64, 100, "p99_us")),
				fus(b), fus(v(c, "select", m, 64, 10000, "p99_us")), (has(b) && a > 0 ? f2(b / a) : "—") > f
		}
		close(f)

		f = T "/od" c ".md"
		P = "10000x64"
		printf "| mechanism | first waiter (ms) | last waiter, median (ms) | last waiter, worst (ms) | closing the last handle (ms) |\n|---|---:|---:|---:|---:|\n" > f
		printf "| kipc queue, kill -9 of the owner | %s | %s | %s | %s |\n", f2(v(c, "death", "kq", 64, P, "first_ms")),
			f2(v(c, "death", "kq", 64, P, "last_ms_p50")), f2(v(c, "death", "kq", 64, P, "last_ms_max")), f2(v(c, "death", "kq", 64, P, "close_ms")) > f
		printf "| (floor) a plain child, kill -9 until waitpid() returns | — | %s | — | — |\n", f2(v(c, "death", "exit", 0, "plain", "exit_ms_p50")) > f
		w = v(c, "death", "sysv", 64, P, "woken_by_death")
		printf "| SysV, kill -9 of the owner | %s of 64 woken after 100 ms | — | — | — |\n", (has(w) ? w : "—") > f
		printf "| SysV, IPC_RMID by hand afterwards | %s | — | %s | — |\n", f2(v(c, "death", "sysv", 64, P, "rmid_first_ms")), f2(v(c, "death", "sysv", 64, P, "rmid_last_ms")) > f
		close(f)
	}

	# ---- plot data: one file per panel, columns smp1 smp2
	f = T "/pp64.dat"
	for (j = 1; j <= npp; j++) {
		m = ppo[j]; a = v(1, "pingpong", m, 64, "", "p50_us"); b = v(2, "pingpong", m, 64, "", "p50_us")
		if (has(a) || has(b)) printf "%s %s %s\n", m, (has(a) ? a : "NaN"), (has(b) ? b : "NaN") > f
	}
	close(f)
	f = T "/st64.dat"; g = T "/st1m.dat"
	for (j = 1; j <= nst; j++) {
		m = sto[j]
		a = v(1, "stream", m, 64, 1, "msgs_per_s"); b = v(2, "stream", m, 64, 1, "msgs_per_s")
		if (has(a) || has(b)) printf "%s %s %s\n", m, (has(a) ? a : "NaN"), (has(b) ? b : "NaN") > f
		a = v(1, "stream", m, 1048576, 1, "bytes_per_s"); b = v(2, "stream", m, 1048576, 1, "bytes_per_s")
		if (has(a) || has(b)) printf "%s %s %s\n", m, (has(a) ? a / 1048576 : "NaN"), (has(b) ? b / 1048576 : "NaN") > g
	}
	close(f); close(g)
}' "$OUT/results.csv"

# ---- the plot (only the -smp columns that have data)
plotcmd()
{
	local dat=$1 sep='' c col=2

	for c in 1 2; do
		if [ -s "$IN/smp$c.csv" ]; then
			printf '%s"%s" using %d:xtic(1) title "-smp %d"' "$sep" "$dat" "$col" "$c"
			sep=', '
		fi
		col=$((col + 1))
	done
	echo
}

gnuplot <<EOF
set terminal pngcairo size 1400,1000 font "DejaVu Sans,10" noenhanced
set output "$OUT/bench.png"
set multiplot layout 2,2 title "kipc-bench under QEMU/TCG, $kernel, $date_run (compare within one -smp value)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top left
set xtics rotate by -35
set logscale y
set title "ping-pong round trip, 64 B: p50 (µs, lower is better)"
plot $(plotcmd "$tmp/pp64.dat")
set title "streaming, 64 B: messages/s (higher is better)"
plot $(plotcmd "$tmp/st64.dat")
set title "streaming, 1 MiB: MiB/s (higher is better)"
plot $(plotcmd "$tmp/st1m.dat")
set title "goals: margin (ratio / goal, >= 1 is met)"
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb "red" front
plot $(plotcmd "$tmp/margin.dat")
unset multiplot
EOF

# ---- the report
# A warning when a run started with the host's 1-minute load at 1.5 or more.
noisy()
{
	local f l

	for f in "$IN"/smp*.meta; do
		[ -r "$f" ] || continue
		l=$(meta load_before "$f" | cut -d' ' -f1)
		if awk -v l="${l:-0}" 'BEGIN { exit !(l >= 1.5) }'; then
			printf '%s\n' "**The host was not quiet (1-minute load $l or more before a run, against a wish of < 1.5): expect wide ranges between rounds and between runs.**"
			return
		fi
	done
}

bench_args()
{
	local a

	a=$(meta bench_args "$host")
	if [ -n "$a" ]; then
		printf '\x60%s\x60' "$a"
	else
		printf 'the defaults'
	fi
}

meta_rounds()
{
	awk -F, '$2 == "meta" && $3 == "rounds" { print $7; exit }' "$OUT/results.csv"
}

section()
{
	local f=$tmp/$1$2.md

	[ -s "$f" ] || return 0
	printf '\n%s\n\n' "$3"
	cat "$f"
}

{
	cat <<EOF
# kipc-bench report

Run on **$date_run**, VM kernel **$kernel** (clocksource $clocksource),
**$qemu**, \`-accel tcg\`, $(meta vm_mem "$host") of memory. Host:
$(meta host_cpu "$host"), $(meta host_cpus "$host") CPUs, shared with other
work; 1-minute load:$loads
Benchmark arguments: $(bench_args).
$(noisy)

Regenerate with \`make bench\` (tests/vm/run-bench.sh boots the VM with
\`-smp 1\` and \`-smp 2\`, tools/kipc-bench runs in each, and
scripts/bench-report.sh writes this page, [results.csv](results.csv) and
[bench.png](bench.png)).

**Read ratios within one column, never absolute times across machines:**
under QEMU/TCG a syscall, a context switch and a cache miss cost nothing
like they do on hardware, and the host is shared.

![kipc-bench](bench.png)
$( [ -r "$OUT/analysis.md" ] && printf '\n%s\n' "Why goals are missed, the profiles, and the fixes proposed with before/after ratios: [analysis.md](analysis.md).")

## Goals

Each ratio compares two mechanisms measured in the same VM run: the
ratio of their medians over the rounds, with, where there are rounds,
the range the ratio spans between the most and the least favourable
pairing of the two mechanisms' best and worst rounds.

EOF
	cat "$tmp/goals.md"
	cat <<EOF

## Which anchors an artifact distorts

With \`-smp 2\` under TCG, some wakeups take about a scheduler tick: a
round trip costs milliseconds instead of tens of microseconds. A
mechanism whose \`-smp 2\` p50 is more than ${DISTORT}× its own \`-smp 1\`
p50 is marked distorted (⚠ in the tables below); a distorted anchor is
left out of "best of" and a goal against it is never counted as a win.
kipc's own mechanisms are checked the same way.

EOF
	cat "$tmp/distort.md"
	for c in 1 2; do
		[ -s "$tmp/pp$c.md" ] || continue
		printf '\n## -smp %s\n' "$c"
		section pp "$c" "### Ping-pong round trip (request and reply of the same size; p50 / p99 in µs; vcsw/rt = the client's voluntary context switches per round trip)"
		section st "$c" "### One-way streaming (one producer process, the consumer in another; vcsw/msg = the consumer's voluntary context switches per message)"
		section sc "$c" "### Scaling: 64 B, 1, 2 and 4 producer processes into one consumer (msgs/s)"
		section sel "$c" "### Selective receive: one type-2 message behind N type-1 messages, time of one receive"
		section od "$c" "### Owner death: 10,000 messages queued, 64 receiver threads blocked on a type nobody sends"
	done
	cat <<EOF

## How it is measured

- Every mechanism blocks in the kernel when it must wait: no variant
  spins or polls in userspace (kipc's rings included: a side announces
  itself in the ring header and sleeps in \`kipc_wait\` at once). The
  kernel's own optimistic spinning on a contended \`struct mutex\` (kipc's
  queue lock, the pipe mutex) is the only spinning, as in any kernel
  path. The vcsw columns show the sleeps: a blocking round trip has
  about one voluntary context switch on the client's side.
- Rounds: the host is shared and its load changes by the second, so
  ping-pong, streaming and scaling run in $(meta_rounds) rounds, every
  mechanism once per round, interleaved; each figure is the median over
  the rounds. The VM boots with \`tsc=reliable\` so that
  \`clock_gettime\` reads the TSC in the vDSO (under TCG the guest
  otherwise falls back to the HPET, an emulated MMIO read per call).
- Round trips: the parent sends a request, a child process echoes it;
  \`CLOCK_MONOTONIC\` around each round trip, after ${KB_WARMUP:-20} warm-up
  round trips, for a fixed time (at least 150 samples, fewer only for the
  slowest 1 MiB cases, never fewer than 30); p50 and p99.
- Streaming: a child produces for a fixed time, then sends an end mark;
  the parent consumes and is timed from the start signal to the end mark.
  Every queue-like mechanism gets the same buffering: up to 256 messages
  and up to 4 MiB (256 × 64 B, 256 × 4 KiB, 64 × 64 KiB, 4 × 1 MiB); the
  pipe gets that many bytes (\`F_SETPIPE_SZ\`), the Unix socket that many
  datagrams (\`max_dgram_qlen\`, \`SO_SNDBUFFORCE\`), POSIX and SysV queues
  that many messages (their limits are raised in the VM).
- Payloads: the first 8 bytes carry a sequence stamp that the receiver
  checks. Copy mechanisms send from and receive into user buffers.
  Zero-copy ring: the producer writes the payload into the reserved slot
  (one copy), the consumer checks the stamp in place. The wait/wake
  mechanisms (kipc region, kipc event, futex, eventfd) carry the payload
  in a slot of shared memory, one copy per direction, as futex+shm users
  do; a raw futex waiter and a kipc region waiter use the same protocol
  (the waker always calls wake).
- Selective receive: the queue holds N messages of type 1 and then one of
  type 2; the receive of type 2 is timed (kipc \`KIPC_SEL_EQ\`, SysV
  \`msgrcv(type 2)\`), over and over.
- Owner death: a child owns a queue with 10,000 messages; 64 threads of
  the parent block receiving a type nobody sends; the child is killed with
  SIGKILL; the time runs from \`kill()\` to the return (\`-EPIPE\`) of the
  last waiter, over several runs. SysV has no owner: its waiters sleep on
  after the owner is killed, until someone removes the queue by hand.
EOF
} >"$OUT/report.md"

echo "bench-report: wrote $OUT/report.md, $OUT/results.csv, $OUT/bench.png"
