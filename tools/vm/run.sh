#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# run.sh [--no-sodp] [--kernel VER | --debug-kernel] [--timeout SEC] [--shell]
#        [--] CMD...
# Boot a guest on the cached root, run CMD from the repository root, and
# exit with CMD's status; a kernel report in the guest log, a failed sodp
# unload, a setup failure or a timeout turn success into failure.
# --kernel: backports (the root's own kernel, the default), 6.12 (trixie's
# LTS, lts-kernel.sh's, with its own module tree) or a release the root
# has in /boot.
set -eu
. "$(dirname "$0")/lib.sh"

load=1 kver= debug=0 timeout=${SODP_VM_TIMEOUT:-1800} interactive=0
while [ $# -gt 0 ]; do
	case $1 in
	--no-sodp) load=0 ;;
	--kernel) kver=$2; shift ;;
	--debug-kernel) debug=1 ;;
	--timeout) timeout=$2; shift ;;
	--shell) interactive=1 ;;
	--) shift; break ;;
	-*) die "run: unknown option $1" ;;
	*) break ;;
	esac
	shift
done
[ "$interactive" = 1 ] || [ $# -gt 0 ] || die "run: no command given"
case $SODP_TOP in *[[:space:]]*) die "repository path must not contain spaces" ;; esac

root=$(guest_root)
[ -e "$root/.sodp-complete" ] || die "no guest root: run tools/sodp-vm image"
# A kernel that is not the root's brings its own module tree, shared
# read-only over the root's /lib/modules.
mods=
case $kver in backports) kver= ;; esac
if [ "$debug" = 1 ]; then
	# debug-kernel.sh's build
	dbg=$(debug_kernel_dir)
	[ -e "$dbg/.sodp-complete" ] || die "no debug kernel: run tools/vm/debug-kernel.sh"
	kver=$(debug_kernel_release)
	kernel=$dbg/bzImage
	mods=$dbg/mods/lib/modules
	initrd=$("$SODP_TOP/tools/vm/initramfs.sh" "$root" "$kver" "$mods")
elif [ "$kver" = 6.12 ] || [ "$kver" = lts ]; then
	lts=$("$SODP_TOP/tools/vm/lts-kernel.sh" --image)
	kver=$(cat "$lts/release")
	kernel=$lts/boot/vmlinuz-$kver
	mods=$lts/usr/lib/modules
	initrd=$("$SODP_TOP/tools/vm/initramfs.sh" "$root" "$kver" "$mods")
else
	kver=$(guest_kver "$root" "$kver")
	kernel=$root/boot/vmlinuz-$kver
	initrd=$("$SODP_TOP/tools/vm/initramfs.sh" "$root" "$kver")
fi

mkdir -p "$SODP_TOP/build/vm"
run=$(mktemp -d "$SODP_TOP/build/vm/run-$(date +%Y%m%d-%H%M%S)-XXXX")
ln -sfn "$(basename "$run")" "$SODP_TOP/build/vm/last"
# Keep the ten newest runs' logs.
ls -1d "$SODP_TOP"/build/vm/run-* | head -n -10 | xargs -r rm -rf
mkdir "$run/io"
printf '%q ' "$@" > "$run/io/cmd"
printf 'SODP_LOAD=%s\nSODP_INTERACTIVE=%s\nSODP_TEST_TIMEOUT=%s\n' \
	"$load" "$interactive" "${SODP_TEST_TIMEOUT:-300}" > "$run/io/env"

share() { echo "-virtfs local,path=$1,mount_tag=$2,security_model=passthrough,id=$2"; }
# Two NUMA nodes, one socket (one vCPU) and 2 GiB each: move_pages(2)
# between them migrates an ODP region's pages every time it is asked to,
# where one node left t-odp-pressure's migration cases to compaction's
# luck.  One socket each: two cores of one socket on two nodes make the
# kernel WARN at boot (topology_sane()).  Balancing is off (below).
numa=(-object memory-backend-ram,id=mem0,size=2G
	-object memory-backend-ram,id=mem1,size=2G
	-numa node,nodeid=0,cpus=0,memdev=mem0
	-numa node,nodeid=1,cpus=1,memdev=mem1)
qemu=(qemu-system-x86_64 -machine q35,accel=tcg -cpu max -smp 2,sockets=2,cores=1,threads=1 -m 4G "${numa[@]}"
	-nographic -no-reboot -monitor none
	-kernel "$kernel" -initrd "$initrd"
	$(share "$root" host) $(share "$run/io" io) $(share "$SODP_TOP" repo)
	-nic none)
# No automatic NUMA balancing: it unmaps pages at random moments, and the
# ODP tests count faults and invalidations exactly.
append="panic=-1 loglevel=7 tsc=unstable numa_balancing=disable sodp_repo=$SODP_TOP ${SODP_VM_APPEND:-}"
if [ -n "$mods" ]; then
	qemu+=($(share "$mods" mods))
	append="$append sodp_mods=1"
fi

if [ "$interactive" = 1 ]; then
	"${qemu[@]}" -serial mon:stdio -serial null \
		-append "console=ttyS0 $append" || true
	exit 0
fi

# ttyS0: the kernel console, into a file; ttyS1: CMD's output, to stdout.
boot() {
	set +e
	timeout -k 10 "$timeout" "${qemu[@]}" \
		-serial "file:$run/console.log" -serial stdio \
		-append "console=ttyS0 $append" < /dev/null | stdbuf -oL tr -d '\r'
	qrc=${PIPESTATUS[0]}
	set -e
}
boot
# TCG occasionally kills the stock kernel in early boot (an int3 oops in
# sched_clock, seen about once in fifty boots), before the initramfs has
# handed over to guest-init.  Nothing of ours has run then -- no module,
# no command -- so one fresh boot is fair; a failure after that counts.
if [ ! -e "$run/io/booted" ] && [ "$qrc" != 124 ] && [ "$qrc" != 137 ] &&
		grep -q 'Kernel panic\|Oops' "$run/console.log"; then
	mv "$run/console.log" "$run/console-early-panic.log"
	log "guest kernel panicked in early boot, before anything of sodp ran;" \
		"booting once more (log: $run/console-early-panic.log)"
	boot
fi

rc=
[ -e "$run/io/status" ] && rc=$(cat "$run/io/status")
fail=0
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	log "guest timed out after ${timeout}s and was killed (log: $run/console.log)"
	fail=1
elif [ -e "$run/io/setup-error" ]; then
	log "guest $(cat "$run/io/setup-error")"
	fail=1
elif [ -z "$rc" ]; then
	log "guest died before CMD finished (qemu status $qrc); last kernel lines:"
	tail -n 30 "$run/console.log" >&2
	fail=1
fi
if [ -e "$run/io/unload" ] && [ "$(cat "$run/io/unload")" != ok ]; then
	log "unloading sodp failed: $(cat "$run/io/unload")"
	fail=1
fi
# A leak is ours when sodp is in its allocation trace, or when the trace
# has a module address with no symbol (the module is gone: sodp was
# unloaded).  Other reports are shown, not counted.
if [ -s "$run/io/kmemleak" ] && grep -q 'unreferenced object' "$run/io/kmemleak"; then
	if grep -Eq '\[sodp\]|sodp_|^ +(\[<[0-9a-f]+>\] )?0xffffffffc[0-9a-f]+$' \
		"$run/io/kmemleak"; then
		log "kmemleak found sodp leaks (full report: $run/io/kmemleak):"
		fail=1
	else
		log "kmemleak reported objects outside sodp (not counted):"
	fi
	grep -A12 'unreferenced object' "$run/io/kmemleak" | head -n 60 | sed 's/^/    /' >&2
fi
if ! "$SODP_TOP/tools/vm/scan-log" "$run/console.log" ${rc:+"$run/io/dmesg"} \
		> "$run/kernel-reports" 2>&1; then
	log "kernel reported problems (full log: $run/console.log):"
	sed 's/^/    /' "$run/kernel-reports" >&2
	fail=1
fi
[ "$fail" = 0 ] || exit "$([ -n "$rc" ] && [ "$rc" != 0 ] && echo "$rc" || echo 125)"
exit "$rc"
