#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The demo, run inside the guest by `tools/sodp-vm demo` (about a minute of
# guest time): sodp0 next to the kernel's rxe0; perftest with ODP buffers on
# both, each looped back on itself; sodp0's ODP counters moving; and a
# program whose ODP MR follows it through munmap and mmap
# (tests/guest/c/odp_demo.c).  Exit status 0 iff every step worked.
set -eu -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd -P)
. "$top/tests/guest/topo.sh"
. "$top/perftest/lib.sh"	# perf_value, perf_bed_loopback
[ "${SODP_GUEST:-}" = 1 ] || { echo "demo: runs in the guest: tools/sodp-vm demo" >&2; exit 2; }

bold() { printf '\033[1m%s\033[0m\n' "$*"; }
step() { echo; bold "== $* =="; }
cmd() { printf '$ %s\n' "$*"; "$@"; }
work=$(mktemp -d /tmp/demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

# odp_counters DEV: "name value" lines of DEV's ODP counters.
odp_counters() {
	rdma statistic show link "$1/1" | tr -s ' \n' '\n\n' |
		awk 'p && /^odp_/ { n = $0; getline; print n, $0 } /^link$/ { p = 1 }' | sort
}

step "1. Two RDMA devices: sodp0 (this project) and rxe0 (the kernel's soft-RoCE)"
cmd rdma link show
cmd ibv_devices

odp_counters sodp0 > "$work/before"

step "2. perftest with ODP buffers (--odp): each device talks to itself (loopback)"
echo "   server and client on one device; 64 KiB messages x 500 (atomics: 8 B x 500, K ops/s)"
printf '   %-12s %12s %12s %10s\n' test sodp0 rxe0 sodp/rxe
# Only sodp's failures fail the demo: rxe's ODP data path has known
# defects (docs/odp.md, VM-NOTES) and sometimes fails a run.
port=19400 failed=0
for op in write read atomic; do
	declare -A bw=()
	for dev in sodp0 rxe0; do
		port=$((port + 1))
		sz=(-s 65536) kind=bw
		# 8-byte atomics: the message rate, in K ops/s
		[ "$op" = atomic ] && sz=() kind=rate
		bw[$dev]=FAILED
		if perf_bed_loopback "$dev" &&
			topo_exchange b v4 "$port" "$work/$op-$dev" "ib_${op}_bw" -F \
				"${sz[@]}" -n 500 --odp &&
			v=$(perf_value "$work/$op-$dev.client" "$kind"); then
			bw[$dev]=${v%% *} unit=${v#* }
			[ "$kind" = bw ] || bw[$dev]=$(awk -v m="${v%% *}" 'BEGIN { printf "%.1f", m * 1000 }') unit="K ops/s"
		else
			[ "$dev" = rxe0 ] || failed=1
			echo "   ib_${op}_bw --odp on $dev failed:" >&2
			topo_tool_errors "$work/$op-$dev.client" | head -n 4 | sed 's/^/     /' >&2
		fi
	done
	r=$(awk -v s="${bw[sodp0]}" -v x="${bw[rxe0]}" 'BEGIN {
		if (s !~ /^[0-9.]+$/ || x !~ /^[0-9.]+$/ || x == 0) print "-"
		else printf "%.2f", s / x }')
	printf '   %-12s %12s %12s %10s   %s\n' "ib_${op}_bw" "${bw[sodp0]}" \
		"${bw[rxe0]}" "$r" "${unit:-}"
	[ "${bw[rxe0]}" != FAILED ] || rxe_failed=1
done
[ -z "${rxe_failed:-}" ] ||
	echo "   (an rxe0 run failed: rxe's ODP data path has known defects; not counted as a demo failure)"
echo "   (perftest checks no data: odp_demo below and tests/guest/t-odp.sh do)"

step "3. sodp0's ODP counters across those runs (rdma statistic show link sodp0/1)"
odp_counters sodp0 > "$work/after"
printf '   %-28s %10s %10s\n' counter before after
join "$work/before" "$work/after" | while read -r n b a; do
	case $n in
	odp_faults|odp_pages_faulted|odp_fault_around_pages|odp_invalidations|\
	odp_pages_invalidated|odp_exclusive_grants|odp_exclusive_revocations|\
	odp_atomic_fallbacks|odp_fault_errors)
		printf '   %-28s %10s %10s%s\n' "$n" "$b" "$a" \
			"$([ "$a" = "$b" ] || echo "   +$((a - b))")" ;;
	esac
done
echo "   (perftest registered its buffers without pinning anything; the device"
echo "   faulted in the pages it touched, 16-page windows at a time (fault-around),"
if [ "$(cat /sys/module/sodp/parameters/odp_exclusive 2>/dev/null)" = N ]; then
	echo "   and did the atomics on the target page itself: this kernel has no"
	echo "   device-exclusive entries, so every atomic took the fallback)"
else
	echo "   and made the atomics' target page device-exclusive)"
fi

step "4. The device follows the process: munmap + mmap under a live ODP MR (odp_demo)"
"$SODP_REPO/build/tests/odp_demo" -d sodp0 | sed 's/^/   /' || failed=1

echo
if [ "$failed" = 0 ]; then bold "demo: every step worked"; else bold "demo: a step FAILED (above)"; fi
exit "$failed"
