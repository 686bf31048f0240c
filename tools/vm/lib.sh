# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shared settings for the sodp guest harness.  Sourced, never executed.

SODP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
SODP_CACHE=${SODP_CACHE:-${HOME:-/root}/.cache/sodp}
SODP_MIRROR=${SODP_MIRROR:-http://deb.debian.org/debian}

# Everything the guest root needs.  Changing this list (or image.sh) changes
# the image key below, so the next `image` builds a fresh root.
SODP_PACKAGES="
	linux-image-amd64/trixie-backports linux-headers-amd64/trixie-backports
	linux-perf/trixie-backports
	gcc libc6-dev make kmod iproute2 iputils-ping procps e2fsprogs ca-certificates
	rdma-core ibverbs-utils rdmacm-utils perftest infiniband-diags
	libibverbs-dev librdmacm-dev python3-pyverbs
	cmake ninja-build pkg-config python3 dpkg-dev xz-utils
	sparse tcpdump strace psmisc gdb
	numactl util-linux mount gnuplot-nox
	ucx-utils libucx-dev openmpi-bin libopenmpi-dev
"

die() { echo "sodp-vm: $*" >&2; exit 1; }
log() { echo "sodp-vm: $*" >&2; }

# Debian pool downloads checked against the signed indexes: pool_fetch
. "$SODP_TOP/tools/vm/pool.sh"

# Install the host tools the harness itself needs, and nothing else.
host_prereqs() {
	local want="" cmd pkg
	for pair in mmdebstrap:mmdebstrap qemu-system-x86_64:qemu-system-x86 \
		    cpio:cpio busybox:busybox-static xz:xz-utils curl:curl gpgv:gpgv cmake:cmake gcc:gcc make:make \
		    python3:python3; do
		cmd=${pair%%:*} pkg=${pair#*:}
		command -v "$cmd" >/dev/null 2>&1 || want="$want $pkg"
	done
	# busybox-static is what the initramfs needs; a dynamic busybox will not do.
	[ -e /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || want="$want busybox-static"
	# pool.sh checks Debian's InRelease files with the archive keyring
	[ -e "$SODP_KEYRING" ] || want="$want debian-archive-keyring"
	[ -n "$want" ] || return 0
	[ "$(id -u)" = 0 ] || die "need root to install:$want"
	log "installing host packages:$want"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $want >/dev/null
}

# image.sh under a lock: several checkouts (git worktrees) share one cache,
# and two image builds at once would delete each other's half-built root.
image_locked() {
	mkdir -p "$SODP_CACHE"
	flock "$SODP_CACHE/.image.lock" "$SODP_TOP/tools/vm/image.sh" "$@"
}

image_key() {
	{ echo "$SODP_PACKAGES"; cat "$SODP_TOP/tools/vm/image.sh"; } |
		sha256sum | cut -c1-12
}

# The cached guest root.  image.sh creates and deletes it; nothing else does.
guest_root() { echo "$SODP_CACHE/root-$(image_key)"; }
# The root to build in: the guest root, or SODP_ROOT (`/` builds for the
# machine itself, with its own compiler and rdma-core).  Never deleted.
build_root() { echo "${SODP_ROOT:-$(guest_root)}"; }
root_name() { [ "$1" = / ] && echo host || basename "$1"; }

# The kernel the guest boots.  Default: the newest one in the root.
guest_kver() {
	local root=$1 want=${2:-}
	if [ -n "$want" ]; then
		[ -e "$root/boot/vmlinuz-$want" ] || die "no kernel $want in $root"
		echo "$want"
		return
	fi
	ls "$root"/boot/vmlinuz-* 2>/dev/null | sed 's|.*/vmlinuz-||' | sort -V | tail -n 1
}

# Run a command inside the root with /proc, /dev, the repository (at the
# same absolute path) and the cache mounted; mounts vanish with the namespace.
in_root() {
	local root=$1; shift
	if [ "$root" = / ]; then
		"$@"
		return
	fi
	unshare --mount --propagation private -- sh -c '
		root=$1 top=$2 cache=$3; shift 3
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		mkdir -p "$root$top" "$root$cache"
		mount --bind "$top" "$root$top"
		mount --bind "$cache" "$root$cache"
		cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
		exec chroot "$root" "$@"
	' sh "$root" "$SODP_TOP" "$SODP_CACHE" "$@"
}

# The debug kernel (debug-kernel.sh): the kernel's build tools, in a root
# of their own so the guest root's key does not change.
SODP_DEBUG_PACKAGES="
	gcc libc6-dev make bc bison flex libelf-dev libssl-dev
	perl python3 cpio kmod xz-utils
"
debug_build_root() {
	echo "$SODP_CACHE/kroot-$(echo "$SODP_DEBUG_PACKAGES" | sha256sum | cut -c1-12)"
}
# Debian version of the kernel the guest root boots: its source is built.
debug_kernel_pkgver() {
	local root kver
	root=$(guest_root)
	kver=$(guest_kver "$root")
	chroot "$root" dpkg-query -W -f '${Version}' "linux-image-$kver"
}
# Keyed on what the kernel is built from and how: bump the recipe number
# when debug-kernel.sh changes the way it configures or builds.
SODP_DEBUG_RECIPE=1
debug_kernel_dir() {
	local key ver
	key=$({ echo "$SODP_DEBUG_PACKAGES $SODP_DEBUG_RECIPE"
		cat "$SODP_TOP/tools/vm/debug-kernel.config"; } |
		sha256sum | cut -c1-12)
	ver=$(debug_kernel_pkgver)
	echo "$SODP_CACHE/debug-${ver//[~+]/_}-$key"
}
debug_kernel_release() { cat "$(debug_kernel_dir)/build/include/config/kernel.release"; }
