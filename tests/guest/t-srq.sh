# Shared receive queues (srq_ops, tests/guest/c/srq_ops.c): sodp0 looped
# back with pinned, explicit ODP and implicit ODP MRs; then across a veth
# pair in two namespaces (topo_split): sodpA -> sodpB, and rxeA -> sodpB
# (rxe's requester into sodp's SRQ).  Two QPs on one SRQ, RNR with the
# SRQ empty, the limit event, LAST_WQE_REACHED, the refusals, UD on an
# SRQ.
# sodp-test-timeout: 600
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
sodp_reset
trap topo_teardown EXIT
status=0

for mr in pinned odp implicit; do
	"$(cprog srq_ops)" -d sodp0 --mr "$mr" || status=1
done
topo_split_each srq_ops "sodp sodp" "rxe sodp" || status=1
sodp_reset
exit "$status"
