# The atomic-kind matrix of t-odp-atomic-kinds (RDMA atomics on ODP memory
# per kind of page under the word) with the requester on sodpA and the ODP
# memory behind sodpB, across a veth pair (topo_split); the second device
# over the page is sodpA looped back.  1000 RDMA atomics race the CPU per
# kind instead of 2000, to fit the time limit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/odp-bed.sh"
sodp_reset
odp_bed_setup
topo_split sodp sodp || fail "cannot build sodpA <-> sodpB"

"$(cprog odp)" -d sodpA -D sodpB -t 'atomic-kind-*' --atomic-n 1000
topo_teardown
sodp_reset
