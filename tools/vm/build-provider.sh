#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Build libsodp-rdmav34.so inside an rdma-core source tree of exactly the
# version installed in the guest root.  The source comes from Debian's pool
# at build time and is cached under $SODP_CACHE; it is never committed.
# Our provider and ABI header are copied into that tree on every build.
set -eu
. "$(dirname "$0")/lib.sh"

root=$(build_root)
[ "$root" = / ] || [ -e "$root/.sodp-complete" ] || die "no guest root: run tools/sodp-vm image"
ver=${RDMA_CORE_VERSION:-$(chroot "$root" dpkg-query -W -f '${source:Version}' libibverbs1)}
up=${ver#*:}
up=${up%-*}
rc=0
tarball=$(pool_fetch "r/rdma-core/rdma-core_$up.orig.tar.gz" "rdma-core $up source") || rc=$?
if [ "$rc" = 3 ]; then
	# The root was built before Debian moved on: build against the
	# current source, and say what that means for the provider.
	cur=$(pool_version source/Sources rdma-core)
	[ -n "$cur" ] || die "rdma-core: no version of its source in $SODP_SUITES"
	cur=${cur#*:}
	cur=${cur%-*}
	log "rdma-core $up's source is no longer in Debian's pool; building the provider from rdma-core $cur instead." \
		"The guest root has $ver: libibverbs refuses a provider built for another private ABI," \
		"so if it does, rebuild the root (remove $(build_root); tools/sodp-vm image)."
	up=$cur
	tarball=$(pool_fetch "r/rdma-core/rdma-core_$up.orig.tar.gz" "rdma-core $up source")
elif [ "$rc" != 0 ]; then
	exit "$rc"
fi
tree="$SODP_CACHE/rdma-core-$up"

# Teach a pristine tree about the sodp provider, once.
if [ ! -e "$tree/.sodp-patched" ]; then
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$tree.tmp"
	tar -xzf "$tarball" -C "$tree.tmp" --strip-components=1
	sed -i 's|^\(\s*\)rdma/siw-abi.h$|&\n\1rdma/sodp-abi.h|' \
		"$tree.tmp/kernel-headers/CMakeLists.txt"
	sed -i 's|^add_subdirectory(providers/siw)$|&\nadd_subdirectory(providers/sodp)|' \
		"$tree.tmp/CMakeLists.txt"
	[ "$(grep -c sodp-abi.h "$tree.tmp/kernel-headers/CMakeLists.txt")" = 2 ] &&
		grep -q 'providers/sodp' "$tree.tmp/CMakeLists.txt" ||
		die "rdma-core $up: could not add the sodp provider to its CMake files"
	mkdir -p "$tree.tmp/providers/sodp"
	touch "$tree.tmp/.sodp-patched"
	mv "$tree.tmp" "$tree"
fi

# Copy only what changed, so ninja rebuilds only what it must.
sync_file() {
	cmp -s "$1" "$2" || cp "$1" "$2"
}
sync_file "$SODP_TOP/include/rdma/sodp-abi.h" "$tree/kernel-headers/rdma/sodp-abi.h"
for f in "$SODP_TOP"/providers/sodp/*; do
	sync_file "$f" "$tree/providers/sodp/$(basename "$f")"
done

# One build directory per guest root: its compiler and libraries.
build="$tree/build-$(root_name "$root")"
if [ ! -e "$build/build.ninja" ]; then
	log "configuring rdma-core $up"
	rm -rf "$build"
	in_root "$root" cmake -S "$tree" -B "$build" -GNinja \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DENABLE_WERROR=1 \
		-DENABLE_RESOLVE_NEIGH=0 -DNO_MAN_PAGES=1 -DNO_PYVERBS=1 \
		> "$build.log" 2>&1 || { cat "$build.log" >&2; rm -rf "$build"; die "rdma-core configure failed"; }
fi
log "building libsodp against rdma-core $up"
in_root "$root" ninja -C "$build" sodp-rdmav34 > "$build.log" 2>&1 ||
	{ cat "$build.log" >&2; die "provider build failed"; }
mkdir -p "$SODP_TOP/build/provider"
cp "$build/lib/libsodp-rdmav34.so" "$SODP_TOP/build/provider/"
