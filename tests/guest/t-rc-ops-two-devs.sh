# rc_ops from sodpA to sodpB, whose packets cross a veth pair (vethA in the
# initial namespace, vethB in ns1, RDMA in shared netns mode so that one
# process opens both; tests/guest/topo.sh topo_split), with pinned,
# explicit ODP and implicit ODP MRs on both sides (names say which:
# pinned:op-send, odp:op-send, implicit:op-send), on the tests whose
# outcome depends on the MR (RC_MR_TESTS in lib.sh).  Against rxe:
# t-rc-ops-rxe.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
sodp_reset
trap topo_teardown EXIT
topo_split sodp sodp || fail "cannot build sodpA <-> sodpB"

"$(cprog rc_ops)" -d sodpA -D sodpB --mr all -t "$RC_MR_TESTS"
topo_teardown
sodp_reset
