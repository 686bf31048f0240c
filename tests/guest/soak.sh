#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# soak.sh [MINUTES]: mixed RC traffic for MINUTES (default 10) across a
# veth pair with netem loss, reordering and duplication on both ends,
# with ODP MRs whose pages the kernel keeps taking away between rounds
# (munmap + mmap, MADV_DONTNEED, fork, mprotect, CPU rewrites): rc_lossy
# --soak, sodpA -> sodpB, every byte and every fetched value checked.
# Runs inside the guest (tools/sodp-vm soak); not part of the suite.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
minutes=${1:-10}
sodp_reset
trap topo_teardown EXIT
modprobe sch_netem 2>/dev/null || true
topo_split sodp sodp || fail "cannot build sodpA <-> sodpB"
netem="delay 1ms reorder 25% 50% loss 2% duplicate 1%"
# shellcheck disable=SC2086
tc qdisc replace dev vethA root netem $netem &&
	in_ns1 tc qdisc replace dev vethB root netem $netem || fail "tc netem"
echo "soak: $minutes min, sodpA -> sodpB, explicit ODP MRs, netem $netem"
rc=0
"$(cprog rc_lossy)" -d sodpA -D sodpB --mr odp --soak $((minutes * 60)) || rc=$?
for d in sodpA sodpB; do
	printf 'soak: %s:' "$d"
	for c in retransmits implied_naks seq_nak_received seq_nak_sent \
		 duplicate_requests rnr_nak_sent odp_faults odp_invalidations \
		 odp_exclusive_grants odp_deferred; do
		printf ' %s=%s' "$c" "$(cat "/sys/class/infiniband/$d/ports/1/hw_counters/$c")"
	done
	echo
done
echo "soak: $([ "$rc" = 0 ] && echo 1 || echo 0) passed, $([ "$rc" = 0 ] && echo 0 || echo 1) failed"
exit "$rc"
