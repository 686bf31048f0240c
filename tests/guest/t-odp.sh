# On-Demand Paging MRs on sodp0 (loopback QP pairs): odp checks that
# registration pins and faults nothing, that faults cover what the device
# touches (fault-around only snapshots neighbours), and that the device
# follows munmap/mmap, holes in an MR, mprotect, MADV_DONTNEED, fork
# (copy-on-write), THP (really PMD-mapped, and split), hugetlb, shared file
# mappings on tmpfs and ext4, invalidations racing traffic, and processes
# exiting with ODP MRs; RDMA and CPU atomics on one word lose no update;
# ibv_advise_mr prefetches; implicit ODP MRs work across 1 GiB chunk
# boundaries; the per-MR counters in `rdma -dd -j resource show mr` move as
# they should; a 64 GiB ODP MR advised with PREFETCH_NO_FAULT and implicit
# MRs aimed all over a 64 TiB PROT_NONE reservation cost under 4 MiB of
# kernel memory (kmem-*).  Across two devices: t-odp-two-devs; atomics per
# kind of page: t-odp-atomic-kinds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/odp-bed.sh"
sodp_reset
odp_bed_setup
odp_bed_files

"$(cprog odp)" -d sodp0 --file-dir "$odp_work/mnt" -t '!atomic-kind-*'
sodp_reset
