# On-Demand Paging MRs on sodp0 (loopback QP pairs): odp checks that
# registration pins and faults nothing, that faults cover what the device
# touches (fault-around only snapshots neighbours), and that the device
# follows munmap/mmap, holes in an MR, mprotect, MADV_DONTNEED, fork
# (copy-on-write), THP, hugetlb, shared file mappings on tmpfs and ext4,
# invalidations racing traffic, and processes exiting with ODP MRs; RDMA
# and CPU atomics on one word lose no update; ibv_advise_mr prefetches;
# implicit ODP MRs work across 1 GiB chunk boundaries; the per-MR counters
# in `rdma -dd -j resource show mr` move as they should.
. "$(dirname "$0")/lib.sh"
sodp_reset

# hugetlb pages for the hugetlb test
echo 8 > /proc/sys/vm/nr_hugepages
[ "$(cat /proc/sys/vm/nr_hugepages)" -ge 2 ] ||
	fail "could not reserve huge pages"

# a small ext4 file system on a loop device, for file-backed mappings
work=$(mktemp -d /tmp/odp.XXXXXX)
cleanup() {
	umount "$work/mnt" 2>/dev/null || true
	[ -z "${loopdev:-}" ] || losetup -d "$loopdev" 2>/dev/null || true
	rm -rf "$work"
	echo 0 > /proc/sys/vm/nr_hugepages
}
trap cleanup EXIT
modprobe loop 2>/dev/null || true
truncate -s 32M "$work/ext4.img"
mkfs.ext4 -q -F "$work/ext4.img"
loopdev=$(losetup -f --show "$work/ext4.img")
mkdir "$work/mnt"
mount -t ext4 "$loopdev" "$work/mnt"

"$(cprog odp)" -d sodp0 --file-dir "$work/mnt"
sodp_reset
