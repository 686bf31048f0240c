# odp (see t-odp) with the requester on sodpA and the responder, whose
# memory is the ODP memory in most tests, on sodpB: requests and responses
# cross a veth pair (vethA in the initial namespace, vethB in ns1, RDMA in
# shared netns mode; tests/guest/topo.sh topo_split).  Every test but the
# capability check, the kernel-memory ones (the device makes no
# difference there) and the atomic-kind matrix (t-odp-atomic-kinds).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/odp-bed.sh"
sodp_reset
odp_bed_setup
odp_bed_files
topo_split sodp sodp || fail "cannot build sodpA <-> sodpB"

"$(cprog odp)" -d sodpA -D sodpB --file-dir "$odp_work/mnt" \
	-t "${SODP_ODP_TWO_DEVS_TESTS:-!caps,!kmem-*,!atomic-kind-*}"
topo_teardown
sodp_reset
