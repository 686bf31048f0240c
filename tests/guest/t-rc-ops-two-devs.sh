# rc_ops from sodpA to sodpB, whose packets cross a veth pair (vethA in the
# initial namespace, vethB in ns1, RDMA in shared netns mode so that one
# process opens both; tests/guest/topo.sh topo_split), with pinned,
# explicit ODP and implicit ODP MRs on both sides (names say which:
# pinned:op-send, odp:op-send, implicit:op-send), on the tests whose
# outcome depends on the MR (RC_MR_TESTS in lib.sh).  Against rxe:
# t-rc-ops-rxe.  Then the retry tests, whose WRITEs cross the veth too, and
# RC_V6_4K_TESTS over IPv6 GIDs on 9000-byte netdevs (4096-byte path MTU).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
sodp_reset
trap topo_teardown EXIT
topo_split sodp sodp || fail "cannot build sodpA <-> sodpB"

status=0

"$(cprog rc_ops)" -d sodpA -D sodpB --mr all -t "$RC_MR_TESTS" || status=1
# No answer at all: the peer's QP is in ERR and drops what comes in.
"$(cprog rc_ops)" -d sodpA -D sodpB -t 'err-retry-*' || status=1
topo_teardown
# IPv6 GIDs and a 4096-byte path MTU (9000-byte netdevs): every opcode,
# sizes around MTU multiples, a 4 MiB READ.  The full suite's (t-rdma-cm
# and t-ud run IPv6 in the quick one).
if full_suite "rc-ops: IPv6 with a 4096-byte path MTU"; then
	TOPO_MTU=9000 topo_split sodp sodp ||
		fail "cannot build sodpA <-> sodpB with 9000-byte netdevs"
	"$(cprog rc_ops)" -d sodpA -D sodpB --ipv6 -t "$RC_V6_4K_TESTS" ||
		status=1
	topo_teardown
fi
sodp_reset
exit "$status"
