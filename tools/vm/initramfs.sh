#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# initramfs.sh ROOT KVER [MODDIR]
# Build (or reuse) the first-stage initramfs for kernel KVER: static
# busybox, the 9p modules (from MODDIR, default ROOT/lib/modules) unless
# the kernel has them built in, and initramfs-init.  Prints its path.
set -eu
. "$(dirname "$0")/lib.sh"
root=$1 kver=$2 moddir=${3:-$1/lib/modules}

key=$(cat "$SODP_TOP/tools/vm/initramfs-init" "$0" | sha256sum | cut -c1-12)
img="$SODP_CACHE/initramfs-$kver-$(basename "$root")-$key.gz"
if [ ! -e "$img" ]; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	mkdir -p "$work"/{bin,dev,lib,proc,sys,newroot}
	cp /bin/busybox "$work/bin/busybox"
	for m in fs/netfs/netfs net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p; do
		src="$moddir/$kver/kernel/$m.ko"
		if grep -qx "kernel/$m.ko" "$moddir/$kver/modules.builtin"; then
			continue
		elif [ -e "$src.xz" ]; then
			xz -dc "$src.xz" > "$work/lib/$(basename "$m").ko"
		else
			cp "$src" "$work/lib/"
		fi
	done
	cp "$SODP_TOP/tools/vm/initramfs-init" "$work/init"
	(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) > "$img.tmp"
	mv "$img.tmp" "$img"
fi
echo "$img"
