# rc_ops between two devices whose packets cross a veth pair (vethA in the
# initial namespace, vethB in ns1, RDMA in shared netns mode so that one
# process opens both; tests/guest/topo.sh topo_split), on the tests whose
# outcome depends on the MR (RC_MR_TESTS in lib.sh):
#   sodpA -> sodpB with pinned MRs (ODP kinds: t-rc-ops-odp);
#   rxeA -> sodpB, rxe the requester with pinned MRs (rxe's ODP copy
#       misplaces data: VM-NOTES "Known defects") and sodp's MRs of each
#       kind, pinned, odp and implicit (names say which); the known rxe
#       deviations (rc_ops.c) end as SKIPs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
sodp_reset
trap topo_teardown EXIT

rc=0
topo_split sodp sodp || fail "cannot build sodpA <-> sodpB"
"$(cprog rc_ops)" -d sodpA -D sodpB --mr pinned -t "$RC_MR_TESTS" || rc=1
topo_split rxe sodp || fail "cannot build rxeA <-> sodpB"
"$(cprog rc_ops)" -d rxeA -D sodpB --mr all --mr-a pinned \
	--known-rxe-deviation -t "$RC_MR_TESTS" || rc=1
topo_teardown
sodp_reset
exit "$rc"
