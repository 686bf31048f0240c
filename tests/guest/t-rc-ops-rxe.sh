# rc_ops from the kernel's rxe (rxeA, the requester) to sodpB across a veth
# pair (topo_split), on the tests whose outcome depends on the MR
# (RC_MR_TESTS in lib.sh): rxe's MRs pinned (rxe's ODP copy misplaces data:
# VM-NOTES "Known defects"), sodp's pinned, explicit ODP and implicit ODP
# (names say sodp's kind: odp:op-send).  rxe's known deviations from the
# specification (listed in rc_ops.c) end as SKIPs, any other wrong outcome
# fails.  Last, RC_V6_4K_TESTS over IPv6 GIDs on 9000-byte netdevs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
sodp_reset
trap topo_teardown EXIT
topo_split rxe sodp || fail "cannot build rxeA <-> sodpB"
status=0

"$(cprog rc_ops)" -d rxeA -D sodpB --mr all --mr-a pinned \
	--known-rxe-deviation -t "$RC_MR_TESTS" || status=1
# SEND with Invalidate of a key that cannot be invalidated, from rxe's
# requester (sodp's: t-rc-ops, t-mw).
"$(cprog rc_ops)" -d rxeA -D sodpB -t err-send-with-inv || status=1
"$(cprog rc_ops)" -d rxeA -D sodpB -t 'err-retry-*' || status=1
topo_teardown
# IPv6 GIDs and a 4096-byte path MTU (9000-byte netdevs), rxe requesting:
# the full suite's (t-rdma-cm and t-ud run IPv6 in the quick one).
if full_suite "rc-ops: IPv6 with a 4096-byte path MTU"; then
	TOPO_MTU=9000 topo_split rxe sodp ||
		fail "cannot build rxeA <-> sodpB with 9000-byte netdevs"
	"$(cprog rc_ops)" -d rxeA -D sodpB --ipv6 --known-rxe-deviation \
		-t "$RC_V6_4K_TESTS" || status=1
	topo_teardown
fi
sodp_reset
exit "$status"
