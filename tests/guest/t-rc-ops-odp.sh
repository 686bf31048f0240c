# rc_ops with On-Demand Paging MRs: explicit ODP (IBV_ACCESS_ON_DEMAND over
# each buffer) and implicit ODP (one MR over the whole address space per
# buffer; its bounds are those of the mapping), on the tests whose outcome
# depends on the MR (RC_MR_TESTS in lib.sh: data path of every opcode,
# bounds, rights, deregistration under traffic, many in flight, both
# directions), on sodp0 looped back and between sodpA and sodpB across a
# veth pair (topo_split).  Names say the kind: odp:op-send,
# implicit:op-send.  The whole list with every kind: rc_ops --mr all.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
sodp_reset
trap topo_teardown EXIT

rc=0
"$(cprog rc_ops)" -d sodp0 --mr odp,implicit -t "$RC_MR_TESTS" || rc=1
topo_split sodp sodp || fail "cannot build sodpA <-> sodpB"
"$(cprog rc_ops)" -d sodpA -D sodpB --mr odp,implicit -t "$RC_MR_TESTS" || rc=1
topo_teardown
sodp_reset
exit "$rc"
