# rc_ops on sodp0 looped back with On-Demand Paging MRs: explicit ODP
# (IBV_ACCESS_ON_DEMAND over each buffer) and implicit ODP (one MR over the
# whole address space per buffer; its bounds are those of the mapping), on
# the tests whose outcome depends on the MR (RC_MR_TESTS in lib.sh: the
# data path of every opcode, bounds, rights, deregistration under traffic,
# many in flight, both directions).  Names say the kind: odp:op-send,
# implicit:op-send.  Every test with every kind: rc_ops -d sodp0 --mr all.
. "$(dirname "$0")/lib.sh"
sodp_reset

"$(cprog rc_ops)" -d sodp0 --mr odp,implicit -t "$RC_MR_TESTS"
sodp_reset
