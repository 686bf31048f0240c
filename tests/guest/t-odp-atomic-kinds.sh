# RDMA atomics on ODP memory for each kind of page under the target word
# (odp atomic-kind-*, tests/guest/c/odp_kinds.c): fresh anonymous, the zero
# page, a PMD-mapped THP and one split by MADV_DONTNEED or mprotect of a
# 4 KiB page, copy-on-write shared with a forked child, KSM-merged,
# mprotect-cycled, NUMA-hinting (PROT_NONE) cycled, two ODP MRs (explicit
# and explicit, explicit and implicit) and two devices over the page.
# Each: the first FETCH_AND_ADD works; RDMA FETCH_AND_ADDs racing CPU
# atomics on the word give consistent results and the exact sum; CMP_AND_SWAP
# is consistent, also racing the CPU; per-MR exclusive grants, revocations
# and fallbacks are printed.  Here on sodp0 looped back (sodpL on vethL is
# the second device); across a veth pair: t-odp-atomic-kinds-two-devs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/odp-bed.sh"
sodp_reset
odp_bed_setup
topo_loopback sodp || fail "cannot create sodpL"

"$(cprog odp)" -d sodp0 -X sodpL -t 'atomic-kind-*'
topo_teardown
sodp_reset
