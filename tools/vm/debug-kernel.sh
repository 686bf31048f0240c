#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# debug-kernel.sh: build (once, cached) a debug build of the guest's own
# kernel source -- KASAN, lockdep, DEBUG_VM, DEBUG_ATOMIC_SLEEP, KFENCE,
# kmemleak -- and sodp.ko for it.  Debian's kernel has none of these, so
# without this kernel a lock-order inversion, a sleep in atomic context
# or a use-after-free in sodp would go unreported.
#
# The source is Debian's linux-source package of exactly the version the
# guest root boots.  It is built in a root of its own (the kernel's build
# tools are not in the guest root), from a small config: defconfig, QEMU's
# guest options, what the tests need, and the debug options.  About 18
# minutes on two cores; then `run.sh --debug-kernel` boots it.
#
# Prints nothing on success but log lines; the result is
# $SODP_CACHE/debug-<ver>-<key>/ with bzImage, the module tree (mods/) and
# the build tree (build/, the KDIR for sodp.ko).
set -eu
. "$(dirname "$0")/lib.sh"

root=$(guest_root)
[ -e "$root/.sodp-complete" ] || die "no guest root: run tools/sodp-vm image"
dir=$(debug_kernel_dir)
ver=$(debug_kernel_pkgver)
up=${ver%-*}
series=$(echo "$up" | cut -d. -f1,2)

# The root the kernel is built in: the guest's compiler (sodp.ko must be
# built by the compiler that built the kernel) plus the kernel's tools.
kroot=$(debug_build_root)
if [ ! -e "$kroot/.sodp-complete" ]; then
	log "building kernel build root $kroot"
	rm -rf "$kroot.tmp"
	# shellcheck disable=SC2086
	mmdebstrap --variant=minbase --quiet \
		--include="$(echo $SODP_DEBUG_PACKAGES | tr ' ' ',')" \
		--aptopt='APT::Install-Recommends "false"' \
		trixie "$kroot.tmp" "deb $SODP_MIRROR trixie main"
	touch "$kroot.tmp/.sodp-complete"
	rm -rf "$kroot"
	mv "$kroot.tmp" "$kroot"
fi

# An interrupted build resumes: the source is unpacked and configured
# once (.sodp-configured), and make carries on from the objects it left.
if [ ! -e "$dir/.sodp-complete" ] && [ ! -e "$dir/.sodp-configured" ]; then
	# If the guest's kernel was superseded since its root was built, the
	# current source of the same series serves as well: the debug kernel
	# boots with the modules it built, and its release is read from its
	# build tree.
	deb=$(pool_linux_source "$series" "$ver")
	# Older debug kernels are dead weight once this one is wanted.
	rm -rf "$SODP_CACHE"/debug-*
	mkdir -p "$dir/src" "$dir/build"
	log "unpacking linux $up"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO "./usr/src/linux-source-$series.tar.xz" |
		xz -dc | tar -x -C "$dir/src" --strip-components=1
	cp "$SODP_TOP/tools/vm/debug-kernel.config" "$dir/sodp.config"
	in_root "$kroot" sh -c '
		set -e
		cd "$1/src"
		make -s O="$1/build" defconfig kvm_guest.config
		scripts/kconfig/merge_config.sh -m -O "$1/build" \
			"$1/build/.config" "$1/sodp.config" > /dev/null
		make -s O="$1/build" olddefconfig
	' sh "$dir"
	# merge_config.sh only warns; an option the tests depend on that
	# did not stick would make the kernel quietly useless.
	missing=$(grep -E '^CONFIG_[A-Z0-9_]+=[ym]' "$dir/sodp.config" |
		while read -r want; do
			grep -qx "$want" "$dir/build/.config" || echo "$want"
		done)
	[ -z "$missing" ] || die "debug kernel config lost:" $missing
	touch "$dir/.sodp-configured"
fi

if [ ! -e "$dir/.sodp-complete" ]; then
	log "building debug kernel $up (about 18 minutes on 2 cores)"
	start=$(date +%s)
	in_root "$kroot" sh -c '
		set -e
		make -s -C "$1/src" O="$1/build" -j"$(nproc)" bzImage modules
		make -s -C "$1/src" O="$1/build" INSTALL_MOD_PATH="$1/mods" \
			INSTALL_MOD_STRIP=1 modules_install
	' sh "$dir" > "$dir/build.log" 2>&1 ||
		{ tail -n 40 "$dir/build.log" >&2; die "debug kernel build failed (log: $dir/build.log)"; }
	cp "$dir/build/arch/x86/boot/bzImage" "$dir/bzImage"
	touch "$dir/.sodp-complete"
	log "debug kernel $(debug_kernel_release) built in $(( $(date +%s) - start )) s"
fi

kver=$(debug_kernel_release)
log "building sodp.ko for $kver"
in_root "$kroot" make -s -C "$SODP_TOP/kernel" KDIR="$dir/build" \
	O_MOD="$SODP_TOP/build/kernel/$kver" KCFLAGS=-Werror
