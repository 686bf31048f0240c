# On-Demand Paging MRs on sodp0 (loopback QP pairs): odp checks that
# registration pins and faults nothing, that faults cover what the device
# touches (fault-around only snapshots neighbours), and that the device
# follows munmap/mmap, holes in an MR, mprotect, MADV_DONTNEED, fork
# (copy-on-write), THP, hugetlb, shared file mappings on tmpfs and ext4,
# invalidations racing traffic, and processes exiting with ODP MRs; RDMA
# and CPU atomics on one word lose no update; ibv_advise_mr prefetches;
# implicit ODP MRs work across 1 GiB chunk boundaries; the per-MR counters
# in `rdma -dd -j resource show mr` move as they should; RDMA atomics on
# every kind of page (fresh, zero page, THP and split THP, fork-shared,
# KSM-merged, mprotect-cycled, NUMA-hinting, two MRs, two devices) work and
# race CPU atomics exactly; huge sparse ODP ranges cost no kernel memory.
# Here on sodp0 looped back (sodpL on vethL is the second device for
# atomic-kind-two-devs); across two devices: t-odp-two-devs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/odp-bed.sh"
sodp_reset

odp_bed_setup
topo_loopback sodp || fail "cannot create sodpL"

"$(cprog odp)" -d sodp0 -X sodpL --file-dir "$odp_work/mnt"
topo_teardown
sodp_reset
