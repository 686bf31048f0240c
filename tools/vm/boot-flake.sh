#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# boot-flake.sh [--debug-kernel] [BOOTS] [LOAD_SECONDS]
#
# How often does the TCG guest itself die?  Boots the standard guest BOOTS
# times (default 100); each boot loads sodp, keeps both vCPUs busy for
# LOAD_SECONDS (default 20: CPU hogs plus sodp traffic over a veth with
# netem on it, the load that used to bring out the "Oops: int3" in
# scheduler and clock code) and exits.  Counts, per boot: a clean run, an
# early-boot panic that run.sh's single retry absorbed, and a failed run,
# with the first kernel report line of each failure.  Prints one summary
# line and exits non-zero if any run failed.  --debug-kernel boots the
# debug kernel (tools/vm/debug-kernel.sh) instead, with four times the
# time limit: how often its early-boot KASAN report comes back, say.
#
# Run it alone on the host: it is a measurement (docs/testing.md,
# "Guest stability").
set -u
. "$(dirname "$0")/lib.sh"

kernel=() scale=1
if [ "${1:-}" = --debug-kernel ]; then
	kernel=(--debug-kernel) scale=4
	shift
fi
boots=${1:-100} load=${2:-20}
ok=0 retried=0 failed=0 start=$(date +%s)
for i in $(seq 1 "$boots"); do
	"$SODP_TOP/tools/vm/run.sh" "${kernel[@]}" \
		--timeout $(( (load + 240) * scale )) -- \
		bash tests/guest/cpu-load.sh "$load" > /dev/null 2>&1
	rc=$?
	run=$SODP_TOP/build/vm/$(readlink "$SODP_TOP/build/vm/last")
	what=ok
	if [ -e "$run/console-early-panic.log" ]; then
		retried=$((retried + 1))
		# Not "panic": the command line says panic=-1.
		what="ok after an early-boot retry: $(grep -m1 -E \
			'Oops|BUG:|WARNING:|Kernel panic' \
			"$run/console-early-panic.log")"
	fi
	if [ "$rc" != 0 ]; then
		failed=$((failed + 1))
		what="FAILED (rc $rc): $(grep -m1 -E \
			'Oops|BUG:|WARNING:|Kernel panic' \
			"$run/console.log" 2>/dev/null)"
	else
		ok=$((ok + 1))
	fi
	echo "boot $i/$boots: $what"
done
echo "boot-flake: $boots boots in $(( $(date +%s) - start )) s:" \
	"$ok clean, $retried needed the early-boot retry, $failed failed"
[ "$failed" = 0 ]
