#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# bench-report.sh: bandwidth against message size on sodp and on the
# kernel's rxe, as a Markdown table and a PNG plot.  Runs inside the guest
# (perftest/bench.sh --report DIR calls it):
#
#   tools/vm/run.sh --timeout 7200 -- perftest/bench.sh --report DIR [OPTIONS]
#
#   --reps N             rounds (default 3); a cell is the median of the
#                        rounds (min-max)
#   --iters N            iterations per message size (perftest -n, default 100)
#   --ops "write read send"      operations (ib_OP_bw), each a plot panel
#   --topos "loopback two-stacks"
#   --mems "pinned odp"  how the buffers are registered (odp: --odp)
#   --types "sodp rxe"
#   --jumbo              veths of MTU 9000 (path MTU 4096) instead of 1500
#   --timeout SEC        limit for each perftest run (default 600)
#
# Every run is perftest's -a (2 B to 8 MiB); the report keeps 64 B to 1 MiB.
# Order: for each round, each topology, each type (so sodp and rxe
# alternate), each registration and operation.  Writes DIR/samples.tsv
# (every value), DIR/report.md (the tables), DIR/bw.png (the plot, drawn
# by gnuplot from what perftest/bench-report.py writes) and DIR/raw/
# (every tool's output).  Exit status 1 if any run failed; the report is
# written anyway, failed cells saying so.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd -P)

die() { echo "bench-report: $*" >&2; exit 2; }
usage() { sed -n '3,24p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

[ $# -ge 1 ] || usage 2 >&2
dir=$1; shift
reps=3 iters=100 ops="write read send" topos="loopback two-stacks"
mems="pinned odp" types="sodp rxe" run_timeout=600
while [ $# -gt 0 ]; do
	case $1 in
	--reps) reps=$2; shift ;;
	--iters) iters=$2; shift ;;
	--ops) ops=$2; shift ;;
	--topos) topos=$2; shift ;;
	--mems) mems=$2; shift ;;
	--types) types=$2; shift ;;
	--jumbo) export TOPO_MTU=9000 ;;
	--timeout) run_timeout=$2; shift ;;
	-h|--help) usage ;;
	*) usage 2 >&2 ;;
	esac
	shift
done
for o in $ops; do
	case $o in write|read|send) ;; *) die "unknown operation '$o'" ;; esac
done
for t in $topos; do
	case $t in loopback|two-stacks) ;; *) die "unknown topology '$t'" ;; esac
done
for m in $mems; do
	case $m in pinned|odp) ;; *) die "unknown registration '$m'" ;; esac
done
for t in $types; do
	case $t in sodp|rxe) ;; *) die "unknown type '$t'" ;; esac
done
[ "${SODP_GUEST:-}" = 1 ] ||
	die "runs inside the guest: tools/vm/run.sh -- perftest/bench.sh --report $dir"
command -v gnuplot >/dev/null || die "gnuplot is not installed (the guest root has gnuplot-nox)"

. "$top/tests/guest/topo.sh"
. "$top/perftest/lib.sh"	# perf_sizes, now_ms
TOPO_RUN_TIMEOUT=$run_timeout

mkdir -p "$dir/raw"
dir=$(cd "$dir" && pwd)
trap topo_teardown EXIT
samples=$dir/samples.tsv
printf 'topo\tmem\top\ttype\tround\tsize\tvalue\tunit\n' > "$samples"
mtu=
port=19700
status=0
start=$(now_ms)
for rep in $(seq "$reps"); do
for topo in $topos; do
for t in $types; do
	echo "bench-report: round $rep: $t, $topo: setting up" >&2
	perf_topo "$topo" "$t" && up=1 || up=0
	[ "$up" = 1 ] || { echo "bench-report: $t $topo: set-up FAILED" >&2; status=1; }
	for mem in $mems; do
	for op in $ops; do
		[ "$up" = 1 ] || { printf '%s\t%s\t%s\t%s\t%s\t-\tFAILED\t-\n' \
			"$topo" "$mem" "$op" "$t" "$rep" >> "$samples"; continue; }
		port=$((port + 1))
		out=$dir/raw/$topo-$mem-$op-$t-$rep
		odp=()
		[ "$mem" = odp ] && odp=(--odp)
		rs=$(now_ms)
		# Server on B, client on A; -F: the CPU-frequency check
		# means nothing in a guest.
		if perf_exchange b v4 "$port" "$out" "ib_${op}_bw" -F -a \
			-n "$iters" "${odp[@]}" &&
		   perf_sizes "$out.client" > "$out.sizes"; then
			[ -n "$mtu" ] || mtu=$(sed -n 's/^ *Mtu *: *\([0-9]*\).*/\1/p' "$out.client")
			awk -v p="$topo	$mem	$op	$t	$rep" '{ print p "\t" $1 "\t" $2 "\t" $3 }' \
				"$out.sizes" >> "$samples"
			echo "bench-report: round $rep: $t $topo $mem $op: $(wc -l < "$out.sizes") sizes in $(( ($(now_ms) - rs) / 1000 )) s" >&2
		else
			status=1
			printf '%s\t%s\t%s\t%s\t%s\t-\tFAILED\t-\n' \
				"$topo" "$mem" "$op" "$t" "$rep" >> "$samples"
			echo "bench-report: round $rep: $t $topo $mem $op: FAILED (client exit $TOPO_CLIENT_RC, server exit $TOPO_SERVER_RC)" >&2
			topo_tool_errors "$out.client" | head -n 4 | sed 's/^/    client: /' >&2
		fi
	done
	done
	topo_teardown
done
done
done

title="perftest $(dpkg-query -W -f='${Version}' perftest 2>/dev/null), $(uname -r), path MTU ${mtu:-?}, -n $iters per size, median of $reps rounds"
python3 "$top/perftest/bench-report.py" --title "$title" \
	--elapsed "$(( ($(now_ms) - start) / 1000 ))" "$dir" || status=1
gnuplot "$dir/plot/bw.gp" || status=1
echo "bench-report: $dir/report.md, $dir/bw.png" >&2
exit "$status"
