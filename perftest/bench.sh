#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# bench.sh: perftest bandwidth and latency on sodp and on the kernel's rxe in
# the same guest, printed as one table with ratios.  Runs inside the guest:
#
#   tools/vm/run.sh -- perftest/bench.sh [OPTIONS]
#
#   --types "sodp rxe"   device types to measure (default both; a type whose
#                        set-up or run fails gets FAILED cells, the rest goes on)
#   --topo T             two-stacks (default): client on device A in the
#                        initial netns, server on device B in ns1, over a veth
#                        pair; loopback: client and server on one device
#   --bw-size BYTES      message size of the bandwidth rows (default 65536)
#   --lat-size BYTES     message size of the latency rows (default 8)
#   --big-size BYTES     size of the extra write_bw row (default 1048576; 0: none)
#   --bw-iters N         iterations per bandwidth run (default 2000)
#   --lat-iters N        iterations per latency run (default 2000)
#   --big-iters N        iterations of the big write_bw row (default 200)
#   --lat-stat S         typical (median, default) or avg: the latency figure
#   --odp                register the buffers with IBV_ACCESS_ON_DEMAND (--odp)
#   --reps N             rounds (default 3): each round sets up and runs every
#                        row on sodp, then on rxe, so the types alternate;
#                        a cell is the median of the rounds (min-max)
#   --rows bw|lat|all    only the bandwidth rows, only the latency rows, or
#                        all (default)
#   --jumbo              veths of MTU 9000 (path MTU 4096) instead of 1500
#                        (1024), for both types
#   --timeout SEC        limit for each run (default 60)
#   --raw DIR            keep every tool's full output in DIR
#
#   perftest/bench.sh --report DIR [OPTIONS]: bandwidth against message size
#   (64 B to 1 MiB), loopback and two stacks, pinned and --odp, as
#   DIR/report.md and a plot, DIR/bw.png: perftest/bench-report.sh, whose
#   options these are.
#
# The table goes to stdout, progress to stderr.  Exit status 0 if every run
# of every requested type succeeded, 1 otherwise (the table is printed anyway).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd -P)

die() { echo "bench: $*" >&2; exit 2; }
usage() { sed -n '3,37p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

[ "${1:-}" = --report ] && { shift; exec "$(dirname "$0")/bench-report.sh" "$@"; }
args="$*"
types="sodp rxe" topo=two-stacks raw='' odp='' reps=3 which=all
bw_size=65536 lat_size=8 big_size=1048576
bw_iters=2000 lat_iters=2000 big_iters=200 lat_stat=typical run_timeout=60
while [ $# -gt 0 ]; do
	case $1 in
	--types) types=$2; shift ;;
	--topo) topo=$2; shift ;;
	--bw-size) bw_size=$2; shift ;;
	--lat-size) lat_size=$2; shift ;;
	--big-size) big_size=$2; shift ;;
	--bw-iters) bw_iters=$2; shift ;;
	--lat-iters) lat_iters=$2; shift ;;
	--big-iters) big_iters=$2; shift ;;
	--lat-stat) lat_stat=$2; shift ;;
	--odp) odp=--odp ;;
	--reps) reps=$2; shift ;;
	--rows) which=$2; shift ;;
	--jumbo) export TOPO_MTU=9000 ;;
	--timeout) run_timeout=$2; shift ;;
	--raw) raw=$2; shift ;;
	-h|--help) usage ;;
	*) usage 2 >&2 ;;
	esac
	shift
done
types=$(echo "$types" | tr ',' ' ')
for t in $types; do
	case $t in sodp|rxe) ;; *) die "unknown type '$t' (sodp, rxe)" ;; esac
done
case $topo in two-stacks|loopback) ;; *) die "unknown topology '$topo'" ;; esac
case $lat_stat in typical|avg) ;; *) die "--lat-stat: typical or avg" ;; esac
case $which in bw|lat|all) ;; *) die "--rows: bw, lat or all" ;; esac
[ "${SODP_GUEST:-}" = 1 ] ||
	die "runs inside the guest: tools/vm/run.sh -- perftest/bench.sh $args"

. "$top/tests/guest/topo.sh"
. "$top/perftest/lib.sh"	# perf_value, fmt_size, now_ms
TOPO_RUN_TIMEOUT=$run_timeout

if [ -n "$raw" ]; then
	mkdir -p "$raw"
	outdir=$(cd "$raw" && pwd)
else
	outdir=$(mktemp -d /tmp/bench.XXXXXX)
fi
cleanup() {
	topo_teardown
	[ -n "$raw" ] || rm -rf "$outdir"
}
trap cleanup EXIT

# Rows: "label tool size iters kind".  Atomics are always 8 bytes.
rows=()
if [ "$which" != lat ]; then
	rows+=(
		"write_bw ib_write_bw $bw_size $bw_iters bw"
		"read_bw ib_read_bw $bw_size $bw_iters bw"
		"send_bw ib_send_bw $bw_size $bw_iters bw"
		"atomic_bw ib_atomic_bw 8 $bw_iters bw"
	)
fi
if [ "$which" != bw ]; then
	rows+=(
		"write_lat ib_write_lat $lat_size $lat_iters lat"
		"read_lat ib_read_lat $lat_size $lat_iters lat"
		"send_lat ib_send_lat $lat_size $lat_iters lat"
		"atomic_lat ib_atomic_lat 8 $lat_iters lat"
	)
fi
[ "$big_size" = 0 ] || [ "$which" = lat ] ||
	rows+=("write_bw ib_write_bw $big_size $big_iters bw")

declare -A val unit
mtu=
port=19500
status=0
start_all=$(now_ms)
for rep in $(seq "$reps"); do
for t in $types; do
	ts=$(now_ms)
	echo "bench: $t: round $rep: setting up $topo" >&2
	perf_topo "$topo" "$t" && up=1 || up=0
	[ "$up" = 1 ] || { echo "bench: $t: set-up FAILED, no runs" >&2; status=1; }
	for i in "${!rows[@]}"; do
		read -r label tool size iters kind <<< "${rows[$i]}"
		val[$t,$i,$rep]=FAILED
		[ "$up" = 1 ] || continue
		port=$((port + 1))
		out=$outdir/$t-$label-$size-$rep
		sz=(-s "$size")
		[ "$tool" = ib_atomic_bw ] || [ "$tool" = ib_atomic_lat ] && sz=()
		rs=$(now_ms)
		# Server on B (ns1 for two stacks), client on A.  -F: perftest's
		# CPU-frequency check means nothing in a guest.
		# shellcheck disable=SC2086 # $odp is empty or one option
		if perf_exchange b v4 "$port" "$out" "$tool" -F "${sz[@]}" -n "$iters" $odp &&
			v=$(perf_value "$out.client" "$kind" "$lat_stat"); then
			read -r "val[$t,$i,$rep]" "unit[$i]" <<< "$v"
			[ -n "$mtu" ] || mtu=$(sed -n 's/^ *Mtu *: *\([0-9]*\).*/\1/p' "$out.client")
			echo "bench: $t $label $(fmt_size "$size") round $rep: ${val[$t,$i,$rep]} ${unit[$i]} ($(( $(now_ms) - rs )) ms)" >&2
		else
			status=1
			echo "bench: $t $label $(fmt_size "$size"): FAILED (client exit $TOPO_CLIENT_RC," \
				"server exit $TOPO_SERVER_RC):" >&2
			topo_tool_errors "$out.client" | head -n 4 | sed 's/^/    client: /' >&2
			topo_tool_errors "$out.server" | head -n 4 | sed 's/^/    server: /' >&2
		fi
	done
	topo_teardown
	echo "bench: $t: round $rep done in $(( ($(now_ms) - ts) / 1000 )) s" >&2
done
done

# cell TYPE ROW: "median (min-max)" over the rounds, or FAILED.
cell() {
	local r v=()
	for r in $(seq "$reps"); do v+=("${val[$1,$2,$r]}"); done
	perf_cell "${v[@]}"
}

# The table: columns in the order sodp, rxe; a ratio when both were run.
cols=
for t in sodp rxe; do case " $types " in *" $t "*) cols="$cols $t" ;; esac; done
both=0
case $cols in " sodp rxe") both=1 ;; esac
echo
echo "perftest $(dpkg-query -W -f='${Version}' perftest 2>/dev/null), $(uname -r), path MTU ${mtu:-?}${odp:+, ODP buffers}"
if [ "$topo" = two-stacks ]; then
	echo "topology two-stacks: client on device A (initial netns) -> server on device B (ns1), veth, RoCE v2 IPv4"
else
	echo "topology loopback: client and server on one device"
fi
echo "bw rows: BW average (higher is better); lat rows: t_$lat_stat (lower is better)"
echo "cells: median of $reps rounds (min-max); each round runs every row on sodp, then on rxe"
[ "$both" = 0 ] || echo "ratio > 1 means sodp is better: bw rows sodp/rxe, lat rows rxe/sodp, of the medians"
echo
line=$(printf '%-11s %7s %6s' test size iters)
for t in $cols; do line="$line $(printf '%26s' "$t")"; done
line="$line $(printf ' %-8s' unit)"
[ "$both" = 0 ] || line="$line $(printf '%6s' ratio)"
echo "$line"
for i in "${!rows[@]}"; do
	read -r label tool size iters kind <<< "${rows[$i]}"
	line=$(printf '%-11s %7s %6s' "$label" "$(fmt_size "$size")" "$iters")
	for t in $cols; do line="$line $(printf '%26s' "$(cell "$t" "$i")")"; done
	line="$line $(printf ' %-8s' "${unit[$i]:-}")"
	if [ "$both" = 1 ]; then
		sm=$(cell sodp "$i") xm=$(cell rxe "$i")
		r=$(awk -v s="${sm%% *}" -v x="${xm%% *}" -v k="$kind" 'BEGIN {
			if (s !~ /^[0-9.]+$/ || x !~ /^[0-9.]+$/ || s == 0 || x == 0) { print "-"; exit }
			printf "%.2f", k == "bw" ? s / x : x / s }')
		line="$line $(printf '%6s' "$r")"
	fi
	echo "$line"
done
echo
echo "total: $(( ($(now_ms) - start_all) / 1000 )) s${raw:+; raw output in $outdir}"
exit "$status"
