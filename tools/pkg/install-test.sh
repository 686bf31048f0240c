#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# install-test.sh [--kernel backports|6.12] [--timeout SEC] [--debs DIR]
# Install sodp's Debian packages on a fresh machine and reboot it: the
# install root (tools/pkg/lib.sh) is copied onto a disk image with the
# .deb files (built by build-debs.sh unless --debs names them) and a test
# unit that runs install-check.sh at each boot, then booted with its own
# kernel and initramfs, systemd as init, and a virtio NIC (eth0).  The
# guest reboots itself once and powers off; its TAP lines come back on
# ttyS1.  Ends with "install-test: N passed, N failed"; fails on any
# failed check, a check that never ran, or a kernel report in the log.
set -eu
. "$(dirname "$0")/../vm/lib.sh"
. "$SODP_TOP/tools/pkg/lib.sh"

kernel=backports timeout=3600 debs=
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--debs) debs=$2; shift ;;
	*) die "install-test: unknown argument $1" ;;
	esac
	shift
done
install_kernel_packages "$kernel" > /dev/null
host_prereqs
command -v mkfs.ext4 > /dev/null || die "install-test: mkfs.ext4 (e2fsprogs) is needed"

if [ -z "$debs" ]; then
	debs=$SODP_TOP/build/pkg
	"$SODP_TOP/tools/pkg/build-debs.sh" "$debs"
fi
ls "$debs"/sodp-dkms_*_all.deb "$debs"/libsodp1_*_amd64.deb > /dev/null ||
	die "install-test: no sodp-dkms and libsodp1 packages in $debs"
root=$(install_root "$kernel")
kver=$(guest_kver "$root")
[ -e "$root/boot/initrd.img-$kver" ] || die "install-test: $root has no initramfs for $kver"

mkdir -p "$SODP_TOP/build/vm"
run=$(mktemp -d "$SODP_TOP/build/vm/install-$(date +%Y%m%d-%H%M%S)-XXXX")
log "install guest: $kernel kernel $kver, run directory $run"

# The disk: the install root as mmdebstrap left it, plus the packages and
# the test unit.  The cached root itself is never booted or changed.
stage=$run/stage
mkdir "$stage"
cp -a "$root/." "$stage/"
rm -f "$stage/.sodp-complete"
mkdir -p "$stage/root/sodp-install/debs"
cp "$debs"/sodp-dkms_*_all.deb "$debs"/libsodp1_*_amd64.deb "$stage/root/sodp-install/debs/"
install -m 755 "$SODP_TOP/tools/pkg/install-check.sh" "$stage/root/sodp-install/check.sh"
cat > "$stage/etc/systemd/system/sodp-install-check.service" <<'UNIT'
[Unit]
Description=sodp install test (install-test.sh's guest half)
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/root/sodp-install/check.sh

[Install]
WantedBy=multi-user.target
UNIT
mkdir -p "$stage/etc/systemd/system/multi-user.target.wants"
ln -s ../sodp-install-check.service \
	"$stage/etc/systemd/system/multi-user.target.wants/sodp-install-check.service"
echo sodp-install > "$stage/etc/hostname"
truncate -s 6G "$run/disk.img"
mkfs.ext4 -q -F -L sodp-root -d "$stage" "$run/disk.img"
rm -rf "$stage"

# No -no-reboot: the guest's own reboot must come back to the same disk.
# panic=-1 turns a panic into a reboot; install-check.sh marks each boot's
# start, so a boot that begins a phase already begun fails the run.  The
# NIC is QEMU's user network, restricted: eth0 exists, nothing leaves.
set +e
timeout -k 10 "$timeout" qemu-system-x86_64 -machine q35,accel=tcg -cpu max \
	-smp 2 -m 4G -nographic -monitor none \
	-kernel "$root/boot/vmlinuz-$kver" -initrd "$root/boot/initrd.img-$kver" \
	-drive "file=$run/disk.img,format=raw,if=virtio,cache=unsafe" \
	-nic user,model=virtio-net-pci,restrict=on \
	-serial "file:$run/console.log" -serial "file:$run/results.raw" \
	-append "console=ttyS0 root=/dev/vda rw net.ifnames=0 panic=-1 loglevel=7 tsc=unstable" \
	< /dev/null > "$run/qemu.out" 2>&1
qrc=$?
set -e
tr -d '\r' < "$run/results.raw" > "$run/results.log"
sed 's/^/    /' "$run/results.log"

passed=$(grep -c '^ok ' "$run/results.log" || true)
failed=$(grep -c '^not ok ' "$run/results.log" || true)
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	log "install guest timed out after ${timeout}s (log: $run/console.log)"
	failed=$((failed + 1))
elif [ "$qrc" != 0 ]; then
	log "qemu exited with $qrc: $(tail -n 3 "$run/qemu.out")"
	failed=$((failed + 1))
fi
if ! grep -q '^# install-check: finished at boot 2$' "$run/results.log"; then
	log "the install check did not reach the end of its second boot (log: $run/console.log)"
	failed=$((failed + 1))
fi
if ! "$SODP_TOP/tools/vm/scan-log" "$run/console.log" > "$run/kernel-reports" 2>&1; then
	log "kernel reported problems (full log: $run/console.log):"
	sed 's/^/    /' "$run/kernel-reports" >&2
	failed=$((failed + 1))
fi
# The disk is kept when something failed: it is the guest as it ended.
[ "$failed" != 0 ] || rm -f "$run/disk.img"
echo "install-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
