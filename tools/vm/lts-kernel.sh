#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# lts-kernel.sh [--image]
# Trixie's own kernel, the 6.12 LTS that Debian 13 installs by default:
# its headers and kbuild (for build-lts.sh) and, with --image, its kernel
# image and module tree (for a guest booted on it: run.sh --kernel 6.12).
# Prints the directory they are unpacked in; the kernel release
# (6.12.N+deb13-amd64) is in its "release" file.
#
# The packages are whatever trixie's linux-headers-amd64 depends on now,
# from the pool and checked by pool.sh; each is unpacked once, as it would
# be installed, under $SODP_CACHE/lts-<release>.  The module tree is
# indexed with the guest root's depmod, as the package's postinst would.
# The guest root stays as it is: a guest on this kernel gets its module
# tree over the root's /lib/modules, the way the debug kernel's is.
set -eu
. "$(dirname "$0")/lib.sh"

image=0
[ "${1:-}" = --image ] && image=1

root=$(build_root)
[ -e "$root/.sodp-complete" ] || die "no guest root: run tools/sodp-vm image"

# trixie's linux-headers-amd64 -> linux-headers-<release>
idx=$(SODP_SUITES=trixie pool_index trixie binary-amd64/Packages)
dep=$(awk '/^Package: linux-headers-amd64$/ { p = 1 }
	p && /^Depends:/ { print $2; exit }' "$idx")
[ -n "$dep" ] || die "trixie's linux-headers-amd64 names no headers package"
rel=${dep#linux-headers-}
rel=${rel%-amd64}
ver=$(SODP_SUITES=trixie pool_version binary-amd64/Packages "$dep")
dir="$SODP_CACHE/lts-$rel"

# unpack NAME DEB...: unpack the DEBs into $dir unless NAME is done.
unpack() {
	local name=$1 p deb
	shift
	[ -e "$dir/.sodp-$name" ] && return
	mkdir -p "$dir"
	for p in "$@"; do
		deb=$(SODP_SUITES=trixie pool_fetch "l/linux/$p" "$p")
		dpkg-deb -x "$deb" "$dir"
	done
	touch "$dir/.sodp-$name"
}

unpack headers "linux-headers-$rel-amd64_${ver}_amd64.deb" \
	"linux-headers-$rel-common_${ver}_all.deb" \
	"linux-kbuild-${rel}_${ver}_amd64.deb"
echo "$rel-amd64" > "$dir/release"

if [ "$image" = 1 ] && [ ! -e "$dir/.sodp-image" ]; then
	log "fetching trixie's kernel $rel-amd64 ($ver) for the guest"
	unpack image-files "linux-image-$rel-amd64-unsigned_${ver}_amd64.deb"
	[ -e "$dir/boot/vmlinuz-$rel-amd64" ] ||
		die "linux-image-$rel-amd64-unsigned has no boot/vmlinuz-$rel-amd64"
	[ -d "$dir/usr/lib/modules/$rel-amd64/kernel" ] ||
		die "linux-image-$rel-amd64-unsigned has no usr/lib/modules/$rel-amd64"
	# depmod -b looks under BASE/lib/modules or BASE/usr/lib/modules,
	# as the kmod that runs it was built; the link serves both.
	[ -e "$dir/lib" ] || ln -s usr/lib "$dir/lib"
	in_root "$root" depmod -b "$dir" "$rel-amd64"
	[ -s "$dir/usr/lib/modules/$rel-amd64/modules.dep" ] ||
		die "depmod wrote no modules.dep for $rel-amd64"
	touch "$dir/.sodp-image"
fi
echo "$dir"
