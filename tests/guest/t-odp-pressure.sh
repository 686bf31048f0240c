# ODP MRs while the kernel takes their pages away (odp_pressure): RDMA
# WRITE/READ data and RDMA atomics raced by CPU atomics stay exact, and the
# per-MR counters show the invalidations, when the process is squeezed by a
# memory cgroup onto swap, OOM-killed mid-traffic, has its pages migrated
# (move_pages, compaction, memory-block offlining) or paged out, and when
# ksmd merges them.  On sodp0 looped back, then across two network stacks
# (sodpA <-> sodpB over a veth pair, one process driving both).
# sodp-test-timeout: 900
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
sodp_reset

work=$(mktemp -d /tmp/odp-pressure.XXXXXX)
cgroot=/sys/fs/cgroup
cg=$cgroot/sodp-pressure
ksm=/sys/kernel/mm/ksm
mounted_cg=0 loopdev= swapdev=
ksm_saved=
offline_before=$(grep -l offline /sys/devices/system/memory/memory*/state 2>/dev/null || true)

cleanup() {
	local d b
	set +e
	for d in "$cg"/*/; do
		[ -d "$d" ] || continue
		# a test that failed inside its cgroup left a process or two
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p"; done
		rmdir "$d" 2>/dev/null || { sleep 1; rmdir "$d"; }
	done
	[ -d "$cg" ] && rmdir "$cg"
	[ "$mounted_cg" = 1 ] && umount "$cgroot"
	[ -n "$swapdev" ] && swapoff "$swapdev"
	[ -n "$loopdev" ] && losetup -d "$loopdev"
	# KSM: stop ksmd first (the other knobs cannot change while it runs)
	if [ -n "$ksm_saved" ]; then
		echo 0 > "$ksm/run"
		while read -r k v; do
			[ -n "$k" ] && [ -e "$ksm/$k" ] && echo "$v" > "$ksm/$k"
		done <<< "$ksm_saved"
	fi
	# memory blocks the migration test offlined and could not bring back
	for b in $(grep -l offline /sys/devices/system/memory/memory*/state 2>/dev/null); do
		case " $offline_before " in *" $b "*) continue ;; esac
		echo online > "$b" || echo "warning: cannot online $b" >&2
	done
	topo_teardown
	rm -rf "$work"
}
trap cleanup EXIT

# KSM settings, restored at the end whatever happens
if [ -d "$ksm" ]; then
	for k in run pages_to_scan sleep_millisecs smart_scan; do
		[ -e "$ksm/$k" ] && ksm_saved="$ksm_saved$k $(cat "$ksm/$k")
"
	done
fi

# cgroup v2 with the memory controller for the children of $cg
if ! grep -q "^cgroup2 $cgroot " /proc/mounts; then
	mount -t cgroup2 none "$cgroot" || fail "cannot mount cgroup2 on $cgroot"
	mounted_cg=1
fi
grep -qw memory "$cgroot/cgroup.controllers" ||
	fail "no memory controller in $cgroot/cgroup.controllers"
echo +memory > "$cgroot/cgroup.subtree_control"
mkdir -p "$cg"
echo +memory > "$cg/cgroup.subtree_control"

# swap on a loop device backed by a file in /tmp (swapon refuses a file on
# tmpfs itself).  The loop device's I/O is charged to the root cgroup, since
# the io controller is not enabled below it, so swapping out of the test's
# small cgroup does not charge the cgroup again.
modprobe loop 2>/dev/null || true
truncate -s 768M "$work/swap.img"
loopdev=$(losetup -f --show "$work/swap.img")
mkswap -q "$loopdev" > /dev/null || fail "mkswap $loopdev"
swapon "$loopdev" || fail "swapon $loopdev"
swapdev=$loopdev
note "swap: $(tail -n +2 /proc/swaps | tr -s ' ')"
note "zswap: $(cat /sys/module/zswap/parameters/enabled 2>/dev/null || echo absent)," \
	"NUMA nodes: $(ls -d /sys/devices/system/node/node* | wc -l)," \
	"memory block size: $(cat /sys/devices/system/memory/block_size_bytes 2>/dev/null || echo none)"

run() {	# run LABEL ARGS...: odp_pressure, dmesg's news on failure
	local label=$1 rc=0 mark
	shift
	mark=$(dmesg | wc -l)
	echo "== odp_pressure $label"
	"$(cprog odp_pressure)" --cgroup "$cg" "$@" || rc=$?
	if [ "$rc" != 0 ]; then
		# without the page dumps of refused memory-block offlines,
		# which are expected here and would push sodp's lines out
		echo "== kernel log during the failed run ($label):"
		dmesg | tail -n +"$((mark + 1))" |
			grep -vE '^\[[ 0-9.]+\] (page:|flags:|raw:|head:|page_type:|page dumped because: unmovable|memory offlining|offlining memory|Offlined Pages)' |
			tail -n 60
	fi
	return "$rc"
}

status=0
# Sizes: a 32 MiB working set in 12 MiB (the program's defaults, 64 in
# 24, take about three times as long under TCG: each page is faulted one
# at a time, its neighbours being in swap).
run "sodp0 loopback" -d sodp0 --mib 32 --limit-mib 12 --seconds 5 || status=1
# The OOM reaper's non-blocking notifier call: did it have to come back?
dmesg | grep -E "oom_reaper|unable to reap" | sed 's/^/  /' || true

# Two stacks in one process: the RDMA netns mode stays shared, so a
# device created in ns1 (on vethB) is visible here too; packets between
# sodpA and sodpB cross the veth pair.
two_stacks() {
	topo_teardown
	[ "$(_topo_netns_mode)" = shared ] || _topo_set_netns_mode shared || return 1
	ip netns add "$TOPO_NS" && in_ns1 ip link set lo up &&
		ip link add vethA type veth peer name vethB netns "$TOPO_NS" &&
		ip addr add 10.9.2.1/24 dev vethA && ip link set vethA up &&
		in_ns1 ip addr add 10.9.2.2/24 dev vethB &&
		in_ns1 ip link set vethB up &&
		rdma link add sodpA type sodp netdev vethA &&
		in_ns1 rdma link add sodpB type sodp netdev vethB || return 1
	wait_for 10 test "$(port_state sodpA)" = ACTIVE || return 1
	wait_for 10 test "$(port_state sodpB)" = ACTIVE || return 1
	# the core fills the GID tables after the port comes up
	wait_for 10 gid_index sodpA v4 || return 1
	wait_for 10 gid_index sodpB v4 || return 1
	ping -q -c 1 -W 5 10.9.2.2 > /dev/null
}
if two_stacks; then
	# the cases where the requester and responder differ: not oom
	# (about the process, not the wire) or cow-atomic; reclaim smaller.
	# 12 MiB, as looped back: the process's fixed charge (its text,
	# thread stacks, two devices' queues) left so little of 8 MiB that
	# the memory cgroup's OOM killer ended reclaim-atomic in 1 of 5
	# runs, and of 10 MiB that it ended reclaim-data once in CI
	# (session 41, 392 KiB of anonymous memory resident). T and L are
	# still twice the limit.
	# --wait 30: in 2 of 5 runs a READ here waited more than 10 s for
	# its completion while a memory block holding T was being offlined
	# (not seen looped back; not explained yet: docs/testing.md).
	run "sodpA -> sodpB across a veth" -d sodpA -D sodpB \
		-t 'reclaim-*,pageout-*,migration-*,ksm-*' --mib 16 \
		--limit-mib 12 --seconds 4 --wait 30 || status=1
else
	echo "FAIL: cannot build the two-stack topology"
	status=1
fi
topo_teardown
sodp_reset
exit "$status"
