# rc_ops between two devices whose packets cross a veth pair (vethA in the
# initial namespace, vethB in ns1, RDMA in shared netns mode so that one
# process opens both; tests/guest/topo.sh topo_split):
#   sodpA -> sodpB, every test with pinned, explicit ODP and implicit ODP
#       MRs on both sides (names say which: odp:op-send);
#   rxeA -> sodpB, rxe as the requester with pinned MRs (rxe's ODP copy
#       misplaces data, VM-NOTES "Known defects") and sodp's MRs of each
#       kind, on the data and error tests that tell interoperation apart
#       (SODP_RC_RXE_TESTS); the known rxe deviations end as SKIPs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
trap topo_teardown EXIT

rc=0
topo_split sodp sodp || fail "cannot build sodpA <-> sodpB"
"$(cprog rc_ops)" -d sodpA -D sodpB --mr all || rc=1

rxe_tests=${SODP_RC_RXE_TESTS:-"op-*,sge-*,size-*,large-write,large-read,err-*-bad-rkey,err-*-past-mr-end,err-write-before-mr,err-*-no-remote-*,err-recv-too-small*,dereg-busy-remote-mr,many-outstanding,bidir"}
topo_split rxe sodp || fail "cannot build rxeA <-> sodpB"
"$(cprog rc_ops)" -d rxeA -D sodpB --mr all --mr-a pinned \
	--known-rxe-deviation -t "$rxe_tests" || rc=1
topo_teardown
exit "$rc"
