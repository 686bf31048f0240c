# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# What the odp program needs around it, for t-odp and t-odp-two-devs:
# hugetlb pages, a small ext4 file system on a loop device (file-backed
# mappings), and KSM and NUMA-balancing settings put back afterwards (the
# atomic-kind tests change them and restore them themselves, unless they
# fail half-way).  Sourced after lib.sh and topo.sh; odp_bed_setup saves
# the settings and installs an EXIT trap that undoes everything and also
# tears down a topology; odp_bed_files adds the huge pages and the file
# system (about a minute under TCG on a busy host: only for the tests that
# use them).

odp_bed_setup() {
	odp_work=$(mktemp -d /tmp/odp.XXXXXX)
	odp_ksm=
	for f in run pages_to_scan sleep_millisecs; do
		[ -r "/sys/kernel/mm/ksm/$f" ] &&
			odp_ksm="$odp_ksm $f=$(cat "/sys/kernel/mm/ksm/$f")"
	done
	odp_numa=$(cat /proc/sys/kernel/numa_balancing 2>/dev/null || true)
	trap odp_bed_cleanup EXIT
}

odp_bed_files() {
	echo 8 > /proc/sys/vm/nr_hugepages
	[ "$(cat /proc/sys/vm/nr_hugepages)" -ge 2 ] ||
		fail "could not reserve huge pages"
	modprobe loop 2>/dev/null || true
	truncate -s 32M "$odp_work/ext4.img"
	mkfs.ext4 -q -F "$odp_work/ext4.img"
	odp_loopdev=$(losetup -f --show "$odp_work/ext4.img")
	mkdir "$odp_work/mnt"
	mount -t ext4 "$odp_loopdev" "$odp_work/mnt"
}

odp_bed_cleanup() {
	local kv
	topo_teardown
	[ ! -d "$odp_work/mnt" ] || umount "$odp_work/mnt" 2>/dev/null || true
	[ -z "${odp_loopdev:-}" ] || losetup -d "$odp_loopdev" 2>/dev/null || true
	rm -rf "$odp_work"
	echo 0 > /proc/sys/vm/nr_hugepages
	for kv in $odp_ksm; do
		echo "${kv#*=}" > "/sys/kernel/mm/ksm/${kv%%=*}" || true
	done
	[ -z "$odp_numa" ] || echo "$odp_numa" > /proc/sys/kernel/numa_balancing || true
}
