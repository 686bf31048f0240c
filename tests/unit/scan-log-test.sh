#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# tools/vm/scan-log must flag every kind of kernel report and nothing else.
set -u
scan=${1:?path to scan-log}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0

expect() {	# expect 0|1 LINE: scan-log's status on a log holding LINE
	printf '[    1.000000] ordinary line\n[    2.000000] %s\n' "$2" > "$dir/log"
	"$scan" "$dir/log" > /dev/null
	local rc=$?
	if [ "$rc" != "$1" ]; then
		echo "scan-log returned $rc, expected $1, for: $2"
		failures=$((failures + 1))
	fi
}

# Reports that must fail a run.
expect 1 'WARNING: CPU: 1 PID: 231 at drivers/infiniband/core/device.c:1234 foo+0x10/0x20'
expect 1 'BUG: kernel NULL pointer dereference, address: 0000000000000008'
expect 1 'BUG: KASAN: slab-use-after-free in sodp_x+0x1/0x2'
expect 1 'Oops: general protection fault, probably for non-canonical address'
expect 1 'kernel BUG at mm/hmm.c:100!'
expect 1 'refcount_t: underflow; use-after-free.'
expect 1 'WARNING: possible circular locking dependency detected'
expect 1 'WARNING: inconsistent lock state'
expect 1 'INFO: task kworker/0:1:42 blocked for more than 120 seconds.'
expect 1 'rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:'
expect 1 'Kernel panic - not syncing: Fatal exception'
expect 1 'list_del corruption. prev->next should be ffff888003a1b2c0'
expect 1 'UBSAN: array-index-out-of-bounds in drivers/x.c:1:2'
# Ordinary lines that merely mention the words must not.
expect 0 'sodp: loading out-of-tree module taints kernel.'
expect 0 'sodp: module verification failed: signature and/or required key missing - tainting kernel'
expect 0 'lockdep: fixing up alternatives.'
expect 0 'infiniband sodp0: set active'
expect 0 'ACPI: _OSC evaluation for CPUs failed, trying _PDC'

[ "$failures" = 0 ] && echo "scan-log: ok"
[ "$failures" = 0 ]
