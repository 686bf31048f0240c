#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# What explains a stall, printed while the stalled QPs still exist: run by
# the C tests (rc_poll(), through RC_STALL_CMD, which lib.sh sets) just
# before they fail on a completion that never came.  Prints every QP's
# state, each RDMA device's non-zero counters twice two seconds apart
# (moving or stuck?) and the kernel's list of blocked tasks.
counters() {
	local d
	for d in /sys/class/infiniband/*; do
		[ -d "$d/ports/1/hw_counters" ] || continue
		echo "  ${d##*/}: $(grep -H . "$d"/ports/1/hw_counters/* 2>/dev/null |
			grep -v ':0$' | sed 's|.*/||' | tr '\n' ' ')"
	done
}

echo "== stall dump: QPs"
rdma -dd resource show qp 2>&1 | head -n 150
echo "== stall dump: counters"
counters
sleep 2
echo "== stall dump: counters 2 s later"
counters
# Tasks inside sodp's code right now (a QP work item that does not come
# back shows where it waits, blocked or not), then the blocked ones.
echo "== stall dump: kernel stacks in sodp"
for st in /proc/[0-9]*/stack; do
	s=$(cat "$st" 2>/dev/null) || continue
	case $s in *sodp_*) ;; *) continue ;; esac
	p=${st%/stack}
	echo "  ${p#/proc/} $(cat "$p/comm" 2>/dev/null) state $(awk '{print $3}' "$p/stat" 2>/dev/null):"
	echo "$s" | sed 's/^/    /'
done
echo "== stall dump: blocked tasks (sysrq w)"
mark=$(dmesg | wc -l)
echo w > /proc/sysrq-trigger 2>/dev/null
sleep 1
dmesg | tail -n +"$((mark + 1))" | head -n 120
# sodp's tracepoints, if someone turned them on before the run
# (echo 1 > /sys/kernel/tracing/events/sodp/sodp_rewind/enable, ...)
t=/sys/kernel/tracing
if grep -q '^sodp:' "$t/set_event" 2>/dev/null; then
	echo "== stall dump: the last sodp trace events ($(tr '\n' ' ' < "$t/set_event"))"
	tail -n 80 "$t/trace"
fi
