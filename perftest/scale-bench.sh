#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# scale-bench.sh: does bandwidth grow with more QPs?  ib_write_bw with one
# QP, with -q N QPs in one process, and N processes of one QP each, on
# sodp and on rxe in the same guest.  Runs inside the guest:
#
#   tools/vm/run.sh -- perftest/scale-bench.sh [OPTIONS]
#
#   --types "sodp rxe"   device types (default both)
#   --topo T             loopback (default) or two-stacks (topo.sh)
#   --qps N              QPs of the -q row and processes of the last (4)
#   --size BYTES         message size (default 65536)
#   --secs S             perftest -D: every run lasts S seconds (default 4),
#                        so that N processes run side by side for all of it
#   --odp                register the buffers with IBV_ACCESS_ON_DEMAND
#   --reps N             rounds (default 3); each runs every row on sodp,
#                        then on rxe; a cell is the median (min-max)
#
# The N-process row is the sum of the processes' BW averages.  "x1" is a
# row's median over the one-QP row's, per type.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd -P)

die() { echo "scale-bench: $*" >&2; exit 2; }
usage() { sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

types="sodp rxe" topo=loopback qps=4 size=65536 secs=4 odp='' reps=3
while [ $# -gt 0 ]; do
	case $1 in
	--types) types=$2; shift ;;
	--topo) topo=$2; shift ;;
	--qps) qps=$2; shift ;;
	--size) size=$2; shift ;;
	--secs) secs=$2; shift ;;
	--odp) odp=--odp ;;
	--reps) reps=$2; shift ;;
	-h|--help) usage ;;
	*) usage 2 >&2 ;;
	esac
	shift
done
case $topo in loopback|two-stacks) ;; *) die "unknown topology '$topo'" ;; esac
[ "${SODP_GUEST:-}" = 1 ] || die "runs inside the guest: tools/vm/run.sh -- perftest/scale-bench.sh"

. "$top/tests/guest/topo.sh"
. "$top/perftest/lib.sh"	# perf_value, perf_cell, perf_stats
TOPO_RUN_TIMEOUT=$((secs * 4 + 60))
outdir=$(mktemp -d /tmp/scale.XXXXXX)
trap 'topo_teardown; rm -rf "$outdir"' EXIT

rows=("1 QP" "-q $qps" "$qps processes")
declare -A val
port=20100
status=0
# run_row ROW OUT: the row's bandwidth in MiB/s, or nothing if a run failed
run_row() {
	local row=$1 out=$2 p pids=() sum=0 v ok=1
	case $row in
	0) perf_exchange b v4 "$port" "$out" ib_write_bw -F -s "$size" -D "$secs" $odp || return 0
	   perf_value "$out.client" bw | cut -d' ' -f1 ;;
	1) perf_exchange b v4 "$port" "$out" ib_write_bw -F -s "$size" -D "$secs" -q "$qps" $odp || return 0
	   perf_value "$out.client" bw | cut -d' ' -f1 ;;
	2) for p in $(seq "$qps"); do
		topo_exchange b v4 $((port + p)) "$out.$p" ib_write_bw -F -s "$size" \
			-D "$secs" $odp > /dev/null 2>&1 &
		pids+=($!)
	   done
	   for p in "${pids[@]}"; do wait "$p" || ok=0; done
	   [ "$ok" = 1 ] || return 0
	   for p in $(seq "$qps"); do
		v=$(perf_value "$out.$p.client" bw | cut -d' ' -f1) || return 0
		sum=$(awk -v a="$sum" -v b="$v" 'BEGIN { print a + b }')
	   done
	   echo "$sum" ;;
	esac
}

for rep in $(seq "$reps"); do
	for t in $types; do
		perf_topo "$topo" "$t" && up=1 || up=0
		for i in "${!rows[@]}"; do
			val[$t,$i,$rep]=FAILED
			[ "$up" = 1 ] || continue
			port=$((port + qps + 1))
			v=$(run_row "$i" "$outdir/$t-$i-$rep")
			[ -n "$v" ] && val[$t,$i,$rep]=$v || status=1
			echo "scale-bench: round $rep: $t ${rows[$i]}: ${val[$t,$i,$rep]} MiB/s" >&2
		done
		topo_teardown
	done
done

echo
echo "ib_write_bw $(fmt_size "$size") -D $secs${odp:+ --odp}, $topo, $(nproc) CPUs, $(uname -r)"
echo "cells: MiB/s, median of $reps rounds (min-max), sodp and rxe alternating; x1: over the 1-QP row"
printf '%-14s' row
for t in $types; do printf ' %24s %6s' "$t" x1; done
echo
for i in "${!rows[@]}"; do
	printf '%-14s' "${rows[$i]}"
	for t in $types; do
		v=() b=()
		for rep in $(seq "$reps"); do v+=("${val[$t,$i,$rep]}") b+=("${val[$t,0,$rep]}"); done
		c=$(perf_cell "${v[@]}") base=$(perf_cell "${b[@]}")
		r=$(awk -v a="${c%% *}" -v b="${base%% *}" 'BEGIN {
			if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b == 0) print "-"
			else printf "%.2f", a / b }')
		printf ' %24s %6s' "$c" "$r"
	done
	echo
done
exit "$status"
