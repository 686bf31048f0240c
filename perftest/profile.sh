#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# profile.sh: where the CPU goes while perftest runs on sodp (or rxe), as a
# flame graph (SVG), folded stacks and a text summary per case.  Runs
# inside the guest:
#
#   tools/vm/run.sh --timeout 1800 -- perftest/profile.sh [OPTIONS]
#
#   --type T         sodp (default) or rxe
#   --topo T         loopback (default: client and server on one device)
#                    or two-stacks (two devices over a veth, server in ns1)
#   --odp            buffers registered with IBV_ACCESS_ON_DEMAND
#   --ops "LIST"     of write read send atomic (default all four)
#   --size BYTES     message size (default 65536; atomics are 8 bytes)
#   --iters N        iterations per run (default 20000: the traffic, not
#                    the set-up, should fill the recording)
#   --freq HZ        samples per second per CPU (default 499)
#   --out DIR        where the results go (default build/profile: under the
#                    repository, so they outlive the guest)
#   --min-px PX      leave frames narrower than PX pixels out of the SVG
#                    (default 0.1; docs/profile/ uses 1, for smaller files)
#
# The guest is TCG: no PMU, so samples come from the cpu-clock software
# event, and their shares are of emulated time (docs/performance.md).
# sodp is loaded from the build tree, where perf does not look for module
# symbols, so the module's symbols are copied from /proc/kallsyms while it
# is loaded and flamegraph.py names sodp's frames from them.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd -P)

die() { echo "profile: $*" >&2; exit 2; }
usage() { sed -n '3,27p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

type=sodp topo=loopback odp='' ops="write read send atomic"
size=65536 iters=20000 freq=499 out=$top/build/profile min_px=0.1
while [ $# -gt 0 ]; do
	case $1 in
	--type) type=$2; shift ;;
	--topo) topo=$2; shift ;;
	--odp) odp=--odp ;;
	--ops) ops=$2; shift ;;
	--size) size=$2; shift ;;
	--iters) iters=$2; shift ;;
	--freq) freq=$2; shift ;;
	--out) out=$2; shift ;;
	--min-px) min_px=$2; shift ;;
	-h|--help) usage ;;
	*) usage 2 >&2 ;;
	esac
	shift
done
case $type in sodp|rxe) ;; *) die "--type: sodp or rxe" ;; esac
case $topo in two-stacks|loopback) ;; *) die "unknown topology '$topo'" ;; esac
[ "${SODP_GUEST:-}" = 1 ] || die "runs inside the guest: tools/vm/run.sh -- perftest/profile.sh"
command -v perf > /dev/null || die "no perf in the guest root (linux-perf)"

. "$top/tests/guest/topo.sh"
. "$top/perftest/lib.sh"
TOPO_RUN_TIMEOUT=600
mkdir -p "$out"
work=$(mktemp -d /tmp/profile.XXXXXX)	# tmpfs: never perf.data on 9p
trap 'topo_teardown; rm -rf "$work"' EXIT

if [ "$topo" = two-stacks ]; then
	topo_two_stacks "$type" "$type" || die "cannot set up two stacks"
else
	topo_loopback "$type" || die "cannot set up a loopback device"
fi
grep '\[sodp\]' /proc/kallsyms > "$work/kallsyms" || true
mem=pinned
[ -z "$odp" ] || mem=odp
port=19700 status=0
for op in $ops; do
	case $op in write|read|send|atomic) ;; *) die "unknown op '$op'" ;; esac
	tool=ib_${op}_bw
	sz=(-s "$size")
	[ "$op" = atomic ] && sz=()
	name=$op-$topo-$mem-$type
	port=$((port + 1))
	# perf starts disabled and is switched on through its control FIFO:
	# under TCG it takes seconds to start (it records every process's
	# maps first), and a fixed sleep let the traffic run before it.
	rm -f "$work/ctl" "$work/ack"
	mkfifo "$work/ctl" "$work/ack"
	perf record -a -g -e cpu-clock -F "$freq" -N -B -q -D -1 \
		--control "fifo:$work/ctl,$work/ack" \
		-o "$work/$name.data" 2> "$work/$name.perf-err" &
	ppid=$!
	echo enable > "$work/ctl"
	read -r _ < "$work/ack"
	# shellcheck disable=SC2086 # $odp is empty or one option
	if perf_exchange b v4 "$port" "$work/$name" "$tool" -F "${sz[@]}" \
		-n "$iters" $odp; then
		bw=$(perf_value "$work/$name.client" bw typical || echo '?')
	else
		bw=FAILED status=1
	fi
	echo disable > "$work/ctl"
	read -r _ < "$work/ack"
	kill -TERM "$ppid"
	wait "$ppid" || true
	sub="$tool ${sz[*]:+$size B, }$iters iters, $topo, $mem, $type: $bw;"
	sub="$sub cpu-clock ${freq} Hz, $(uname -r), TCG (shares of emulated time)"
	perf script -F comm,tid,ip,sym,dso -i "$work/$name.data" 2> /dev/null |
		python3 "$top/perftest/flamegraph.py" --title "$name" \
			--subtitle "$sub" --kallsyms "$work/kallsyms" \
			--min-px "$min_px" \
			--folded "$out/$name.folded" --svg "$out/$name.svg" \
			--summary "$out/$name.txt" || status=1
	echo "== $name: $bw"
	head -n 25 "$out/$name.txt" 2> /dev/null || true
done
exit "$status"
