#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Build sodp.ko (W=1, warnings are errors) against trixie's own kernel, the
# 6.12 LTS, as well as the guest root's: a compile check of kernel/compat.h.
#
# The headers are Debian's current linux-headers-<ver>-amd64 (whatever
# trixie's linux-headers-amd64 depends on now), its -common half and
# linux-kbuild-<ver>, as lts-kernel.sh unpacks them.  They are laid over
# the guest root's /usr/src and /usr/lib in a private mount namespace, so
# the root itself, and its key, stay as they are; the root's gcc-14 is trixie's, the
# compiler that built that kernel.
#
# Objects go to build/kernel/<release>/ (6.12's kbuild has no MO=, so the
# sources are copied there first), where a guest booted on 6.12
# (run.sh --kernel 6.12) loads it from.
set -eu
. "$(dirname "$0")/lib.sh"

root=$(build_root)
[ -e "$root/.sodp-complete" ] || die "no guest root: run tools/sodp-vm image"

hdir=$("$SODP_TOP/tools/vm/lts-kernel.sh")
rel=$(cat "$hdir/release")
rel=${rel%-amd64}

out="$SODP_TOP/build/kernel/$rel-amd64"
rm -rf "$out"
mkdir -p "$out"
cp "$SODP_TOP"/kernel/Kbuild "$SODP_TOP"/kernel/Makefile \
	"$SODP_TOP"/kernel/*.[ch] "$out/"
mkdir -p "$SODP_TOP/build/include"
rm -rf "$SODP_TOP/build/include/rdma"
cp -r "$SODP_TOP/include/rdma" "$SODP_TOP/build/include/"

log "building sodp.ko for $rel-amd64 (trixie's LTS)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unshare --mount --propagation private -- sh -c '
	root=$1 top=$2 hdir=$3 work=$4 out=$5 kdir=$6
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	mkdir -p "$work/u1" "$work/w1" "$work/u2" "$work/w2"
	mount -t overlay overlay -o "lowerdir=$hdir/usr/src:$root/usr/src,upperdir=$work/u1,workdir=$work/w1" "$root/usr/src"
	mount -t overlay overlay -o "lowerdir=$hdir/usr/lib:$root/usr/lib,upperdir=$work/u2,workdir=$work/w2" "$root/usr/lib"
	mkdir -p "$root$top"
	mount --bind "$top" "$root$top"
	exec chroot "$root" make -s -C "$kdir" M="$out" W=1 KCFLAGS=-Werror \
		ccflags-y=-I"$top/build/include" modules
' sh "$root" "$SODP_TOP" "$hdir" "$work" "$out" \
	"/usr/src/linux-headers-$rel-amd64"
[ -e "$out/sodp.ko" ] || die "no sodp.ko for $rel-amd64"
log "built $out/sodp.ko"
