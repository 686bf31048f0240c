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
rdma -dd resource show qp 2>&1 | head -n 40
echo "== stall dump: counters"
counters
sleep 2
echo "== stall dump: counters 2 s later"
counters
echo "== stall dump: blocked tasks (sysrq w)"
mark=$(dmesg | wc -l)
echo w > /proc/sysrq-trigger 2>/dev/null
sleep 1
dmesg | tail -n +"$((mark + 1))" | head -n 120
