# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
# The package lane's roots, sourced after tools/vm/lib.sh.  Neither is the
# guest root of the test suite, so neither changes that root's key:
#   the package build root  builds the .deb files (debian/control's
#                           Build-Depends, and nothing of sodp's harness);
#   an install root         a machine as a user of sodp has it before
#                           installing sodp: systemd, a Debian kernel with
#                           its headers, rdma-core, perftest and DKMS.  The
#                           guest that boots it reaches no network (QEMU's
#                           restricted user NIC), so what `apt install
#                           ./*.deb` would download (dkms and the compiler)
#                           is there already.

SODP_PKG_BUILD_PACKAGES="
	build-essential debhelper dh-dkms cmake ninja-build pkg-config python3
	libibverbs-dev
"
SODP_INSTALL_PACKAGES="
	systemd-sysv udev kmod iproute2 procps initramfs-tools
	rdma-core ibverbs-utils perftest dkms
"

# The kernel an install root boots: backports (the suite's kernel) or 6.12
# (Debian 13's own LTS kernel).
install_kernel_packages() {
	case $1 in
	backports) echo "linux-image-amd64/trixie-backports linux-headers-amd64/trixie-backports" ;;
	6.12) echo "linux-image-amd64/trixie linux-headers-amd64/trixie" ;;
	*) die "unknown kernel '$1': backports or 6.12" ;;
	esac
}

# pkg_root NAME PACKAGES: the path of the root NAME-KEY holding PACKAGES,
# built with mmdebstrap the first time.  Older roots of NAME are removed.
pkg_root() {
	local name=$1 pkgs=$2 key root old
	key=$({ echo "$pkgs"; declare -f pkg_root_build; } | sha256sum | cut -c1-12)
	root=$SODP_CACHE/$name-$key
	if [ ! -e "$root/.sodp-complete" ]; then
		mkdir -p "$SODP_CACHE"
		# image.sh's lock: worktrees share the cache.
		( flock 9; pkg_root_build "$root" "$pkgs" ) 9> "$SODP_CACHE/.image.lock" >&2 ||
			exit 1
		for old in "$SODP_CACHE/$name"-*; do
			[ "$old" = "$root" ] || [ ! -d "$old" ] || rm -rf "$old"
		done
	fi
	echo "$root"
}

pkg_root_build() {
	local root=$1 pkgs=$2
	[ ! -e "$root/.sodp-complete" ] || return 0
	log "building $(basename "$root") (a few minutes)"
	rm -rf "$root.tmp"
	# shellcheck disable=SC2086
	mmdebstrap --variant=minbase --quiet \
		--include="$(echo $pkgs | tr ' ' ',')" \
		--aptopt='APT::Install-Recommends "false"' \
		trixie "$root.tmp" \
		"deb $SODP_MIRROR trixie main" \
		"deb $SODP_MIRROR trixie-backports main" || die "mmdebstrap failed for $root"
	touch "$root.tmp/.sodp-complete"
	mv "$root.tmp" "$root"
}

pkg_build_root() { pkg_root pkgbuild "$SODP_PKG_BUILD_PACKAGES"; }
install_root() { pkg_root "install-$1" "$SODP_INSTALL_PACKAGES $(install_kernel_packages "$1")"; }
