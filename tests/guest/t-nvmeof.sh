# NVMe over Fabrics on RDMA: the kernel's own NVMe host (nvme-rdma) and
# target (nvmet-rdma), unchanged, on sodp0 looped back: the storage users'
# way in, and the one guest test of kernel consumers' fast registration
# (ib_alloc_mr, IB_WR_REG_MR, the peer's SEND_WITH_INV ending the MR; the
# host posts LOCAL_INV only for an I/O the target did not invalidate, and
# nvmet-rdma invalidates every one) and kernel SRQs (nvmet-rdma use_srq=1).
#
# Both ends use &init_net for rdma_cm, so they cannot sit in two network
# namespaces: the host connects to the target's address on the same
# device.  With nvmet_rdma use_srq=1 (and =0): a target exporting a file,
# the host connected through /dev/nvme-fabrics (no nvme-cli needed), then
# O_DIRECT writes of a random pattern in 4 KiB (carried in the command
# capsule), 128 KiB and 1 MiB blocks (the target READs them from the
# host's fast registration MRs) and reads back in 4 KiB and 1 MiB blocks
# (the target WRITEs, then sends the completion with invalidate); the
# block device and the target's file must both hold the pattern.  The
# device's counters must show registrations and invalidations, and with
# use_srq=1 the target must have used an SRQ (nvmet-rdma falls back to
# receive queues quietly, "SRQ requested but not supported").  The full
# suite also runs use_srq=0, and both on rxe0 first, as the reference.
# sodp-test-timeout: 400
. "$(dirname "$0")/lib.sh"

sodp_reset
cfg=/sys/kernel/config/nvmet
nqn=nqn.2026-12.org.sodp:t-nvmeof
work=/tmp/nvmeof
port_id=1
size_mb=16

for m in nvmet nvmet_rdma nvme_rdma; do
	modprobe "$m" 2>/dev/null || skip "no $m module in this kernel"
done
[ -d /sys/kernel/config/nvmet ] || mount -t configfs none /sys/kernel/config ||
	fail "cannot mount configfs"
[ -d "$cfg" ] || fail "nvmet loaded but $cfg is missing"
mkdir -p "$work"

# The controller nvme-rdma made for our subsystem, e.g. nvme0.
_ctrl() {
	local c
	for c in /sys/class/nvme/nvme*; do
		[ -e "$c/subsysnqn" ] || continue
		[ "$(cat "$c/subsysnqn")" = "$nqn" ] && { basename "$c"; return 0; }
	done
	return 1
}

# The block device of namespace 1 of our subsystem, e.g. nvme0n1.
_ns_dev() {
	local b
	for b in /sys/block/nvme*n1; do
		[ -e "$b" ] || continue
		# nvmeXcYn1 is one path of a multipath head: hidden, no node.
		case ${b##*/} in nvme*c*n1) continue ;; esac
		grep -qx "$nqn" "$b/device/subsysnqn" 2>/dev/null ||
			grep -qx "$nqn" "$b/subsystem/subsysnqn" 2>/dev/null ||
			grep -qx "$nqn" "$b/../subsysnqn" 2>/dev/null ||
			continue
		basename "$b"
		return 0
	done
	return 1
}

_no_ctrl() { ! _ctrl; }

# Undo what run() built; each step says what failed.
teardown() {
	local c
	if c=$(_ctrl); then
		echo 1 > "/sys/class/nvme/$c/delete_controller" ||
			fail "cannot delete the host's controller $c"
	fi
	wait_for 20 _no_ctrl || fail "the host's controller did not go away"
	rm -f "$cfg/ports/$port_id/subsystems/$nqn"
	[ ! -d "$cfg/ports/$port_id" ] || rmdir "$cfg/ports/$port_id" ||
		fail "cannot remove the target's port"
	if [ -e "$cfg/subsystems/$nqn/namespaces/1/enable" ]; then
		echo 0 > "$cfg/subsystems/$nqn/namespaces/1/enable" &&
			rmdir "$cfg/subsystems/$nqn/namespaces/1" ||
			fail "cannot remove the target's namespace"
	fi
	[ ! -d "$cfg/subsystems/$nqn" ] || rmdir "$cfg/subsystems/$nqn" ||
		fail "cannot remove the target's subsystem"
	return 0
}
trap 'trap - EXIT; teardown; rm -rf "$work"' EXIT

# counter DEV NAME: a sodp counter; rxe has none of these (0).
counter() {
	case $1 in sodp*) ;; *) echo 0; return ;; esac
	cat "/sys/class/infiniband/$1/ports/1/hw_counters/$2" ||
		fail "$1 has no counter $2"
}

# srqs DEV: the SRQs restrack shows on DEV.
srqs() { rdma resource show srq dev "$1" | grep -c '^dev ' || true; }
rdma resource show srq > /dev/null ||
	fail "this rdma tool cannot show SRQs (rdma resource show srq)"


# run DEV IP USE_SRQ: one target, one host, the data checked.
run() {
	local dev=$1 ip=$2 srq=$3 what="$1 use_srq=$3" c b n start msg
	local d0 reg0 rinv0 linv0 reg rinv linv
	start=$(date +%s%N)
	teardown
	# use_srq is read when nvmet-rdma first uses a device: reload it.
	modprobe -r nvmet_rdma || fail "$what: modprobe -r nvmet_rdma"
	modprobe nvmet_rdma use_srq="$srq" || fail "$what: modprobe nvmet_rdma"
	# What the kernel says from here on (never cleared: the harness
	# scans the whole log for reports).
	d0=$(dmesg | wc -l)
	reg0=$(counter "$dev" fast_registrations)
	rinv0=$(counter "$dev" remote_invalidations)
	linv0=$(counter "$dev" local_invalidations)

	truncate -s "$((size_mb * 4))M" "$work/backing"
	mkdir "$cfg/subsystems/$nqn"
	echo 1 > "$cfg/subsystems/$nqn/attr_allow_any_host"
	mkdir "$cfg/subsystems/$nqn/namespaces/1"
	echo -n "$work/backing" > "$cfg/subsystems/$nqn/namespaces/1/device_path"
	echo 1 > "$cfg/subsystems/$nqn/namespaces/1/buffered_io"
	echo 1 > "$cfg/subsystems/$nqn/namespaces/1/enable"
	mkdir "$cfg/ports/$port_id"
	echo rdma > "$cfg/ports/$port_id/addr_trtype"
	echo ipv4 > "$cfg/ports/$port_id/addr_adrfam"
	echo "$ip" > "$cfg/ports/$port_id/addr_traddr"
	echo 4420 > "$cfg/ports/$port_id/addr_trsvcid"
	ln -s "$cfg/subsystems/$nqn" "$cfg/ports/$port_id/subsystems/$nqn"

	echo "transport=rdma,traddr=$ip,trsvcid=4420,nqn=$nqn,nr_io_queues=2" \
		> /dev/nvme-fabrics || {
		dmesg | tail -n +"$((d0 + 1))" | tail -n 15 | sed 's/^/      /'
		fail "$what: the host could not connect"
	}
	wait_for 20 _ns_dev || fail "$what: connected, but no namespace block device"
	b=$(_ns_dev)
	c=$(_ctrl) || fail "$what: no controller"
	[ "$(cat "/sys/class/nvme/$c/transport")" = rdma ] ||
		fail "$what: $c is not an RDMA controller"
	[ "$(blockdev --getsize64 "/dev/$b")" = "$((size_mb * 4 * 1048576))" ] ||
		fail "$what: /dev/$b has the wrong size"

	# Three regions: 4 KiB, 128 KiB and 1 MiB writes.
	head -c "$((size_mb * 3))M" /dev/urandom > "$work/pattern"
	dd if="$work/pattern" of="/dev/$b" bs=4k count=$((size_mb * 256)) \
		oflag=direct status=none || fail "$what: 4 KiB writes"
	dd if="$work/pattern" of="/dev/$b" bs=128k skip=$((size_mb * 8)) \
		seek=$((size_mb * 8)) count=$((size_mb * 8)) oflag=direct status=none ||
		fail "$what: 128 KiB writes"
	dd if="$work/pattern" of="/dev/$b" bs=1M skip=$((size_mb * 2)) \
		seek=$((size_mb * 2)) count="$size_mb" oflag=direct status=none ||
		fail "$what: 1 MiB writes"
	dd if="/dev/$b" of="$work/back4k" bs=4k count=$((size_mb * 3 * 256)) \
		iflag=direct status=none || fail "$what: 4 KiB reads"
	dd if="/dev/$b" of="$work/back1m" bs=1M count=$((size_mb * 3)) \
		iflag=direct status=none || fail "$what: 1 MiB reads"
	cmp -s "$work/pattern" "$work/back4k" || fail "$what: 4 KiB reads differ from what was written"
	cmp -s "$work/pattern" "$work/back1m" || fail "$what: 1 MiB reads differ from what was written"
	cmp -s -n "$((size_mb * 3 * 1048576))" "$work/pattern" "$work/backing" ||
		fail "$what: the target's file differs from what was written"

	if [ "$srq" = 1 ] && dmesg | tail -n +"$((d0 + 1))" |
		grep -q 'SRQ requested but not supported'; then
		fail "$what: nvmet-rdma could not create its SRQs on $dev"
	fi
	n=$(srqs "$dev")
	if [ "$srq" = 1 ] && [ "$n" = 0 ]; then
		fail "$what: no SRQ on $dev while connected (rdma resource show srq)"
	elif [ "$srq" = 0 ] && [ "$n" != 0 ]; then
		fail "$what: $n SRQs on $dev although use_srq=0"
	fi
	if [ "${dev#sodp}" != "$dev" ]; then
		reg=$(( $(counter "$dev" fast_registrations) - reg0 ))
		rinv=$(( $(counter "$dev" remote_invalidations) - rinv0 ))
		linv=$(( $(counter "$dev" local_invalidations) - linv0 ))
		[ "$reg" -gt 0 ] || fail "$what: no fast registration counted"
		[ "$((rinv + linv))" -gt 0 ] || fail "$what: no invalidation counted"
		msg="$reg registrations, $rinv remote and $linv local invalidations"
	else
		msg="the reference"
	fi
	teardown
	note "ok   $what: $((size_mb * 3)) MiB written and read back exact ($msg, $(( ($(date +%s%N) - start) / 1000000 )) ms)"
}

# The quick suite: use_srq=1 alone (fast registration and SRQs both).
if full_suite "nvmeof: rxe0 as the reference, sodp0 without SRQs"; then
	ibdev_exists rxe0 || fail "rxe0 is missing"
	run rxe0 10.9.1.1 0
	run rxe0 10.9.1.1 1
	run sodp0 10.9.0.1 0
fi
run sodp0 10.9.0.1 1
modprobe -r nvme_rdma nvmet_rdma 2>/dev/null || true
echo "PASS"
