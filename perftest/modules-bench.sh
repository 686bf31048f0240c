#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# modules-bench.sh: the same perftest rows on several builds of sodp.ko in
# one guest boot, so that a change is measured before and after on the
# same machine, kernel and perftest.  Runs inside the guest:
#
#   tools/vm/run.sh -- perftest/modules-bench.sh [OPTIONS] LABEL=KO...
#
#   LABEL=KO         a module to measure, and its column's name (KO as the
#                    guest sees it: $SODP_REPO/build/... for one built by
#                    tools/vm/build-module-at.sh)
#   --reps N         runs per cell (default 3): median (min-max); the
#                    modules take turns within each round
#   --iters N        perftest iterations (default 2000)
#   --ops "LIST"     of write read send atomic (default "write read send")
#   --odp            buffers registered with IBV_ACCESS_ON_DEMAND
#   --topo T         loopback (default: client and server on sodp0) or
#                    two-stacks (bench.sh's: two sodp devices, one in ns1,
#                    over a veth pair)
#
# Every run reloads the module and makes sodp0 on veth0 again, then runs
# perftest -s 64KiB (atomics 8 B) on the topology asked for.  Only
# sodp is measured: the columns are the modules.  rxe and the guest's
# memcpy are odp-bench.sh's.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd -P)

die() { echo "modules-bench: $*" >&2; exit 2; }
usage() { sed -n '3,25p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

reps=3 iters=2000 ops="write read send" odp='' topo=loopback mods=()
while [ $# -gt 0 ]; do
	case $1 in
	--reps) reps=$2; shift ;;
	--iters) iters=$2; shift ;;
	--ops) ops=$2; shift ;;
	--odp) odp=--odp ;;
	--topo) topo=$2; shift ;;
	-h|--help) usage ;;
	*=*) mods+=("$1") ;;
	*) usage 2 >&2 ;;
	esac
	shift
done
[ ${#mods[@]} -gt 0 ] || usage 2 >&2
case $topo in loopback|two-stacks) ;; *) die "--topo: loopback or two-stacks" ;; esac
[ "${SODP_GUEST:-}" = 1 ] || die "runs inside the guest: tools/vm/run.sh -- perftest/modules-bench.sh"
for m in "${mods[@]}"; do
	[ -r "${m#*=}" ] || die "no module ${m#*=}"
done

. "$top/tests/guest/lib.sh"
. "$top/tests/guest/topo.sh"
. "$top/perftest/lib.sh"
TOPO_RUN_TIMEOUT=300
work=$(mktemp -d /tmp/modules-bench.XXXXXX)
declare -A V
status=0 port=19800

# load KO: sodp from KO, sodp0 on veth0 and ACTIVE.
load() {
	rdma link delete sodp0 2> /dev/null || true
	rmmod sodp 2> /dev/null || true
	[ ! -d /sys/module/sodp ] || die "sodp cannot be unloaded"
	insmod "$1" || die "insmod $1"
	rdma link add sodp0 type sodp netdev veth0 || die "rdma link add sodp0"
	wait_for 10 test "$(port_state sodp0)" = ACTIVE || die "sodp0 not ACTIVE"
}

for rep in $(seq "$reps"); do
	for m in "${mods[@]}"; do
		label=${m%%=*}
		load "${m#*=}"
		[ "$topo" = loopback ] || perf_topo "$topo" sodp ||
			die "cannot build the $topo topology"
		for op in $ops; do
			sz=(-s 65536) kind=bw
			[ "$op" = atomic ] && sz=() kind=rate
			out=$work/$label-$op-$rep
			port=$((port + 1))
			[ "$topo" != loopback ] || perf_bed_loopback sodp0 ||
				die "sodp0 not ready"
			# shellcheck disable=SC2086 # $odp is empty or one option
			if perf_exchange b v4 "$port" "$out" "ib_${op}_bw" -F \
				"${sz[@]}" -n "$iters" $odp &&
				v=$(perf_value "$out.client" "$kind"); then
				v=${v%% *}
				[ "$kind" = bw ] || v=$(awk -v m="$v" 'BEGIN { printf "%.1f", m * 1000 }')
			else
				v=FAILED status=1
			fi
			V[$label,$op,$rep]=$v
			echo "modules-bench: $label $op run $rep: $v" >&2
		done
		[ "$topo" = loopback ] || topo_teardown
	done
done
# Leave the bed as the harness made it: sodp from the build tree.
load "$SODP_KO"

mem=pinned
[ -z "$odp" ] || mem=odp
echo
echo "sodp.ko builds, $topo, perftest $(dpkg-query -W -f='${Version}' perftest 2>/dev/null), $(uname -r), $mem buffers"
echo "cells: median of $reps runs (min-max); MiB/s (atomic: K ops/s); 64 KiB messages, -n $iters"
line=$(printf '%-8s' op)
for m in "${mods[@]}"; do line="$line $(printf '%-26s' "${m%%=*}")"; done
echo "$line"
for op in $ops; do
	line=$(printf '%-8s' "$op")
	for m in "${mods[@]}"; do
		vals=()
		for rep in $(seq "$reps"); do vals+=("${V[${m%%=*},$op,$rep]}"); done
		line="$line $(printf '%-26s' "$(perf_cell "${vals[@]}")")"
	done
	echo "$line"
done
rm -rf "$work"
exit "$status"
