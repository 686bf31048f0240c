#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# lossy-bench.sh: perftest bandwidth over a link that loses, reorders and
# duplicates packets, sodp beside rxe in one guest.  Runs inside the guest:
#
#   tools/vm/run.sh --timeout 3600 -- perftest/lossy-bench.sh [OPTIONS]
#
#   --pairs "A:B ..."  requester:responder device types across two network
#                      stacks (default "sodp:sodp rxe:rxe sodp:rxe rxe:sodp")
#   --tools "T ..."    which of write read send atomic (default: all four)
#   --netem "ARGS"     the impairment, on both veth ends (default
#                      "delay 1ms reorder 25% 50% loss 2% duplicate 1%")
#   --reps N           runs per cell (default 3): median (min-max); the
#                      pairings alternate within each repetition
#   --iters N          perftest iterations (default 300)
#   --timeout SEC      limit for each run (default 120)
#
# Tools: ib_write_bw, ib_read_bw -o 16 and ib_send_bw with 64 KiB
# messages (in the unit perftest reports), ib_atomic_bw (K ops/s).  A run
# that fails or times out is a FAILED cell; exit status 1 if any did.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd -P)
. "$top/tests/guest/topo.sh"
. "$top/perftest/lib.sh"

pairs="sodp:sodp rxe:rxe sodp:rxe rxe:sodp"
tools="write read send atomic"
netem="delay 1ms reorder 25% 50% loss 2% duplicate 1%"
reps=3 iters=300
TOPO_RUN_TIMEOUT=120
while [ $# -gt 0 ]; do
	case $1 in
	--pairs) pairs=$2; shift ;;
	--tools) tools=$2; shift ;;
	--netem) netem=$2; shift ;;
	--reps) reps=$2; shift ;;
	--iters) iters=$2; shift ;;
	--timeout) TOPO_RUN_TIMEOUT=$2; shift ;;
	*) echo "lossy-bench: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
modprobe sch_netem 2>/dev/null || true
trap topo_teardown EXIT

for t in $tools; do
	case $t in write|read|send|atomic) ;;
	*) echo "lossy-bench: unknown tool $t" >&2; exit 2 ;;
	esac
done
declare -A cell
out=/tmp/lossy-bench port=19700 failed=0 bw_unit=MiB/sec

tool_args() {
	case $1 in
	write) echo "ib_write_bw -s 65536" ;;
	read) echo "ib_read_bw -s 65536 -o 16" ;;
	send) echo "ib_send_bw -s 65536" ;;
	atomic) echo "ib_atomic_bw" ;;
	esac
}

one() {	# one PAIR TOOL: append a value (or FAILED) to the cell
	local pair=$1 t=$2 v u start
	port=$((port + 1))
	start=$(now_ms)
	# shellcheck disable=SC2046 # the tool and its options
	if perf_exchange b v4 "$port" "$out" $(tool_args "$t") -F -n "$iters"; then
		if [ "$t" = atomic ]; then
			v=$(perf_value "$out.client" rate | awk '{ printf "%.2f", $1 * 1000 }')
		else
			read -r v u <<< "$(perf_value "$out.client" bw)" || true
			[ -z "${u:-}" ] || bw_unit=$u
		fi
	fi
	[ -n "${v:-}" ] || { v=FAILED; failed=1; }
	echo "lossy-bench: $pair $t: $v ($(( $(now_ms) - start )) ms)" >&2
	cell[$pair.$t]="${cell[$pair.$t]:-} $v"
}

for _ in $(seq 1 "$reps"); do
	for pair in $pairs; do
		# The server (b) is the responder: perftest's client requests.
		topo_two_stacks "${pair%%:*}" "${pair#*:}" >&2 || {
			for t in $tools; do cell[$pair.$t]="${cell[$pair.$t]:-} FAILED"; done
			failed=1; continue; }
		# shellcheck disable=SC2086
		tc qdisc replace dev vethA root netem $netem &&
			in_ns1 tc qdisc replace dev vethB root netem $netem
		for t in $tools; do one "$pair" "$t"; done
		topo_teardown
	done
done

echo "perftest over a lossy link: netem $netem on both veth ends"
echo "two network stacks, A = requester (perftest client), B = responder"
echo "cells: median of $reps runs (min-max); $iters iterations, 64 KiB in $bw_unit (atomics: 8 B, K ops/s)"
printf '%-12s' "tool"
for pair in $pairs; do printf '%-26s' "$pair"; done
echo
for t in $tools; do
	printf '%-12s' "$t"
	# shellcheck disable=SC2086
	for pair in $pairs; do printf '%-26s' "$(perf_cell ${cell[$pair.$t]})"; done
	echo
done
exit "$failed"
