#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# odp-bench.sh: On-Demand Paging benchmarks, sodp beside the kernel's rxe in
# one guest.  Runs inside the guest:
#
#   tools/vm/run.sh -- perftest/odp-bench.sh [OPTIONS]
#
#   --types "sodp rxe"   device types (default both): sodp0 and rxe0 of the
#                        standard bed, each looped back on itself
#   --reps N             runs per cell (default 3): the cell is the median,
#                        with the spread (min-max) across runs; sodp and
#                        rxe runs alternate
#   --iters N            perftest iterations, 64 KiB messages (default 2000)
#   --total BYTES        bytes written per first-touch run (default 128M)
#   --only a,b,c,d,e     just these sections (default all)
#   --timeout SEC        limit for each run (default 120)
#   --raw DIR            keep every run's output in DIR
#
# Sections (what each row measures: docs/benchmarks.md, "ODP"):
#   (a) warm bandwidth, perftest ib_write_bw/ib_read_bw/ib_atomic_bw with
#       pinned buffers and with --odp, beside the CPU's own memcpy of the
#       same 64 KiB (tests/guest/c/memcpy_bw.c)
#   (b) first-touch fault throughput: RDMA WRITE into a fresh ODP mmap,
#       4 KiB pages and THP, beside the CPU's own copy into such a mapping
#   (c) invalidation cost: munmap / MADV_DONTNEED of a device-mapped 2 MiB
#       range under an ODP MR, and of the same range with no MR
#   (d) prefetch: ibv_advise_mr(PREFETCH_WRITE) before a first-touch run
#   (e) implicit vs explicit ODP MR bandwidth
# (b)-(e) are tests/guest/c/odp_bench.c.  The tables go to stdout,
# progress to stderr.  Exit status 0 if no run failed (n/a cells, which
# the device cannot do, are not failures), 1 otherwise.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd -P)

die() { echo "odp-bench: $*" >&2; exit 2; }
usage() { sed -n '3,31p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

args="$*"
types="sodp rxe" reps=3 iters=2000 total=128M only=a,b,c,d,e run_timeout=120 raw=''
while [ $# -gt 0 ]; do
	case $1 in
	--types) types=$2; shift ;;
	--reps) reps=$2; shift ;;
	--iters) iters=$2; shift ;;
	--total) total=$2; shift ;;
	--only) only=$2; shift ;;
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
[ "${SODP_GUEST:-}" = 1 ] ||
	die "runs inside the guest: tools/vm/run.sh -- perftest/odp-bench.sh $args"

. "$top/tests/guest/topo.sh"
. "$top/perftest/lib.sh"
TOPO_RUN_TIMEOUT=$run_timeout
prog=$SODP_REPO/build/tests/odp_bench
[ -x "$prog" ] || die "$prog missing: tools/sodp-vm build"

if [ -n "$raw" ]; then
	mkdir -p "$raw"
	outdir=$(cd "$raw" && pwd)
else
	outdir=$(mktemp -d /tmp/odp-bench.XXXXXX)
	trap 'rm -rf "$outdir"' EXIT
fi

declare -A dev_of=([sodp]=sodp0 [rxe]=rxe0)
declare -A R NOTE
status=0
port=19700
start_all=$(now_ms)
want() { case ",$only," in *",$1,"*) return 0 ;; esac; return 1; }

# Results: R[KEY,TYPE,REP,FIELD] = value; R[KEY,TYPE,REP,na] and
# R[KEY,TYPE,REP,fail] mark n/a and failed runs; NOTE[KEY,TYPE] says why.

# _fail KEY TYPE REP OUT WHAT: record a failed run and show why.
_fail() {
	R[$1,$2,$3,fail]=1
	NOTE[$1,$2]="FAILED: $5"
	status=1
	echo "odp-bench: $1 $2 run $3: FAILED ($5):" >&2
	topo_tool_errors "$4" | head -n 6 | sed 's/^/    /' >&2
}

# run_perftest KEY TYPE REP TOOL ARGS...: one loopback perftest run; the
# value is BW average, or for ib_atomic_bw the message rate in K ops/s
# (8-byte atomics round to 0.00 MiB/s when the host is busy).
run_perftest() {
	local key=$1 t=$2 rep=$3 tool=$4 out v rs kind=bw
	shift 4
	[ "$tool" != ib_atomic_bw ] || kind=rate
	out=$outdir/$key-$t-$rep
	port=$((port + 1))
	rs=$(now_ms)
	if ! perf_bed_loopback "${dev_of[$t]}"; then
		_fail "$key" "$t" "$rep" /dev/null "${dev_of[$t]} not ready"
		return
	fi
	if perf_exchange b v4 "$port" "$out" "$tool" -F "$@" &&
		v=$(perf_value "$out.client" "$kind"); then
		[ "$kind" = bw ] || v="$(awk -v m="${v%% *}" 'BEGIN { printf "%.1f", m * 1000 }') Kops/s"
		R[$key,$t,$rep,v]=${v%% *}
		echo "odp-bench: $key $t run $rep: $v ($(( $(now_ms) - rs )) ms)" >&2
	else
		cat "$out.server" >> "$out.client" 2>/dev/null || true
		_fail "$key" "$t" "$rep" "$out.client" \
			"client exit $TOPO_CLIENT_RC, server exit $TOPO_SERVER_RC"
	fi
}

# run_memcpy KEY TYPE REP: the CPU's own memcpy of 64 KiB (memcpy_bw),
# the yardstick for same-device bandwidth; no device is used, so the two
# columns are two samples of the same thing, taken between their runs.
run_memcpy() {
	local key=$1 t=$2 rep=$3 out v
	out=$outdir/$key-$t-$rep.out
	if timeout "$run_timeout" "$SODP_REPO/build/tests/memcpy_bw" -s 65536 \
		> "$out" 2>&1 &&
		v=$(sed -n 's/^result mibps=\([0-9.]*\) .*/\1/p' "$out") &&
		[ -n "$v" ]; then
		R[$key,$t,$rep,v]=$v
		echo "odp-bench: $key $t run $rep: $v MiB/s" >&2
	else
		_fail "$key" "$t" "$rep" "$out" "memcpy_bw"
	fi
}

# run_c KEY TYPE REP ARGS...: one odp_bench run; its "result K=V ..." line
# fills R[KEY,TYPE,REP,K].
run_c() {
	local key=$1 t=$2 rep=$3 out line kv rc=0 rs
	shift 3
	out=$outdir/$key-$t-$rep.out
	rs=$(now_ms)
	timeout "$run_timeout" "$prog" -d "${dev_of[$t]}" "$@" > "$out" 2>&1 || rc=$?
	line=$(grep -E '^(result|n/a) ' "$out" | tail -n 1) || true
	if [ "$rc" = 0 ] && [ "${line%% *}" = n/a ]; then
		R[$key,$t,$rep,na]=1
		NOTE[$key,$t]="n/a: ${line#n/a }"
		echo "odp-bench: $key $t: n/a: ${line#n/a }" >&2
	elif [ "$rc" = 0 ] && [ "${line%% *}" = result ]; then
		for kv in ${line#result }; do R[$key,$t,$rep,${kv%%=*}]=${kv#*=}; done
		echo "odp-bench: $key $t run $rep: ${line#result } ($(( $(now_ms) - rs )) ms)" >&2
	else
		_fail "$key" "$t" "$rep" "$out" "odp_bench -d ${dev_of[$t]} $* exit $rc"
	fi
}

# measure KEY RUNNER ARGS...: REPS rounds, each type once per round
# (sodp, rxe, sodp, rxe, ...).  A type that says n/a is not asked again.
measure() {
	local key=$1 runner=$2 rep t
	shift 2
	for rep in $(seq "$reps"); do
		for t in $types; do
			[ -z "${R[$key,$t,1,na]:-}" ] || continue
			"$runner" "$key" "$t" "$rep" "$@"
		done
	done
}

# cell KEY TYPE FIELD: "median (min-max)" over the runs, or n/a / FAILED.
cell() {
	local key=$1 t=$2 f=$3 rep v=()
	[ -z "${R[$key,$t,1,na]:-}" ] || { echo n/a; return; }
	for rep in $(seq "$reps"); do
		[ -z "${R[$key,$t,$rep,fail]:-}" ] || { echo FAILED; return; }
		v+=("${R[$key,$t,$rep,$f]:-FAILED}")
	done
	perf_cell "${v[@]}"
}
# med KEY TYPE FIELD: the median alone (empty if there is none).
med() {
	local c
	c=$(cell "$@")
	case $c in [0-9]*) echo "${c%% *}" ;; esac
}
# ratio A B: A/B to two places, or "-".
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || a == 0 || b == 0) print "-"
		else printf "%.2f", a / b }'
}

cols=
for t in sodp rxe; do case " $types " in *" $t "*) cols="$cols $t" ;; esac; done
both=0
[ "$cols" != " sodp rxe" ] || both=1

# header TITLE RATIO_LABEL
header() {
	local line t
	echo
	echo "$1"
	line=$(printf '%-34s %-6s' row unit)
	for t in $cols; do line="$line $(printf '%-26s' "$t")"; done
	[ "$both" = 0 ] || line="$line $2"
	echo "$line"
}
# row LABEL UNIT KEY FIELD hi|lo|-: one table line; the ratio says how
# much better sodp is (sodp/rxe when higher is better, rxe/sodp when lower
# is; none for -).
row() {
	local label=$1 unit=$2 key=$3 f=$4 dir=$5 line t r
	line=$(printf '%-34s %-6s' "$label" "$unit")
	for t in $cols; do line="$line $(printf '%-26s' "$(cell "$key" "$t" "$f")")"; done
	if [ "$both" = 1 ]; then
		if [ "$dir" = - ]; then
			r=
		elif [ "$dir" = hi ]; then
			r=$(ratio "$(med "$key" sodp "$f")" "$(med "$key" rxe "$f")")
		else
			r=$(ratio "$(med "$key" rxe "$f")" "$(med "$key" sodp "$f")")
		fi
		line="$line $r"
	fi
	echo "$line"
}
# ratio_row LABEL KEY_A KEY_B FIELD: per type, median(A)/median(B).
ratio_row() {
	local line t
	line=$(printf '%-34s %-6s' "$1" "")
	for t in $cols; do
		line="$line $(printf '%-26s' "$(ratio "$(med "$2" "$t" "$4")" "$(med "$3" "$t" "$4")")")"
	done
	echo "$line"
}
notes() {
	local k t
	for k in "$@"; do
		for t in $cols; do
			[ -z "${NOTE[$k,$t]:-}" ] || echo "  $k, $t: ${NOTE[$k,$t]}"
		done
	done
}

# ---- the runs ----
if want a; then
	measure a-memcpy run_memcpy
	for op in write read atomic; do
		sz=(-s 65536)
		[ "$op" = atomic ] && sz=()
		measure "a-$op-pinned" run_perftest "ib_${op}_bw" "${sz[@]}" -n "$iters"
		measure "a-$op-odp" run_perftest "ib_${op}_bw" "${sz[@]}" -n "$iters" --odp
	done
fi
# (d) compares against (b)'s 4 KiB runs: those run for either section.
if want b || want d; then
	measure b-4k run_c first-touch --pages 4k --total "$total"
fi
if want b; then
	measure b-thp run_c first-touch --pages thp --total "$total"
	# The CPU's own first touch of the same fresh mapping, no device.
	measure b-4k-cpu run_c first-touch --pages 4k --cpu --total "$total"
	measure b-thp-cpu run_c first-touch --pages thp --cpu --total "$total"
fi
if want d; then
	measure d-prefetch run_c first-touch --pages 4k --prefetch --total "$total"
fi
if want c; then
	for op in munmap dontneed; do
		measure "c-$op-none" run_c inval --op "$op" --mr none
		measure "c-$op-odp" run_c inval --op "$op" --mr odp
	done
fi
if want e; then
	for op in write read; do
		for mr in explicit implicit; do
			measure "e-$op-$mr" run_c bw --op "$op" --mr "$mr"
		done
	done
fi

# ---- the tables ----
first=${cols# } first=${first%% *}
mtu=$(ibv_devinfo -d "${dev_of[$first]}" 2>/dev/null | awk '/active_mtu/ { print $2; exit }') || true
echo
echo "ODP benchmarks: perftest $(dpkg-query -W -f='${Version}' perftest 2>/dev/null), $(uname -r)"
echo "devices:$(for t in $cols; do printf ' %s' "${dev_of[$t]}"; done), each in loopback (requester and responder on one device)"
echo "cells: median of $reps runs (min-max across runs); runs alternate between the devices"
[ "$both" = 0 ] || echo "last column: how much better sodp is (sodp/rxe for rates, rxe/sodp for times)"
if want a; then
	header "(a) warm bandwidth, perftest -s 64KiB -n $iters (atomics: 8 B, in K ops/s), pinned vs --odp buffers" sodp/rxe
	for op in write read atomic; do
		u=MiB/s
		[ "$op" != atomic ] || u=Kops/s
		row "${op}_bw pinned" $u "a-$op-pinned" v hi
		row "${op}_bw --odp" $u "a-$op-odp" v hi
		ratio_row "  odp/pinned" "a-$op-odp" "a-$op-pinned" v
	done
	row "memcpy 64 KiB (CPU, no device)" MiB/s a-memcpy v -
	for op in write read; do
		ratio_row "  ${op}_bw --odp / memcpy" "a-$op-odp" a-memcpy v
	done
	notes a-memcpy a-write-pinned a-write-odp a-read-pinned a-read-odp a-atomic-pinned a-atomic-odp
fi
if want b; then
	header "(b) first touch: RDMA WRITE of $total in 64 KiB messages into a fresh ODP mmap" sodp/rxe
	row "4 KiB pages" MiB/s b-4k mibps hi
	row "THP (MADV_HUGEPAGE, 2 MiB aligned)" MiB/s b-thp mibps hi
	row "  of the region in huge pages" % b-thp thp_pct -
	row "4 KiB pages, CPU alone (no MR)" MiB/s b-4k-cpu mibps -
	row "THP, CPU alone (no MR)" MiB/s b-thp-cpu mibps -
	ratio_row "  device/CPU, 4 KiB pages" b-4k b-4k-cpu mibps
	ratio_row "  device/CPU, THP" b-thp b-thp-cpu mibps
	notes b-4k b-thp b-4k-cpu b-thp-cpu
fi
if want c; then
	header "(c) invalidation: 2 MiB of 4 KiB pages, all present (median of 15 per run)" rxe/sodp
	row "munmap, no MR" us c-munmap-none us lo
	row "munmap, ODP MR, device-mapped" us c-munmap-odp us lo
	row "MADV_DONTNEED, no MR" us c-dontneed-none us lo
	row "MADV_DONTNEED, ODP MR, dev-mapped" us c-dontneed-odp us lo
	notes c-munmap-none c-munmap-odp c-dontneed-none c-dontneed-odp
fi
if want d; then
	header "(d) prefetch: first-touch WRITE of $total, 4 KiB pages, with and without ibv_advise_mr(PREFETCH_WRITE)" ratio
	row "no prefetch: first completion" us b-4k first_us lo
	row "no prefetch: all writes" ms b-4k write_ms lo
	row "prefetch: ibv_advise_mr" ms d-prefetch advise_ms lo
	row "prefetch: then first completion" us d-prefetch first_us lo
	row "prefetch: then all writes" ms d-prefetch write_ms lo
	notes b-4k d-prefetch
fi
if want e; then
	header "(e) warm bandwidth into an ODP MR over 8 MiB, 64 KiB messages, 64 MiB timed" sodp/rxe
	for op in write read; do
		row "$op, explicit ODP MR" MiB/s "e-$op-explicit" mibps hi
		row "$op, implicit ODP MR" MiB/s "e-$op-implicit" mibps hi
	done
	notes e-write-explicit e-write-implicit e-read-explicit e-read-implicit
fi
echo
echo "path MTU ${mtu:-?}; total: $(( ($(now_ms) - start_all) / 1000 )) s${raw:+; raw output in $outdir}"
exit "$status"
