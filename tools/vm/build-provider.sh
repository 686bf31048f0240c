#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Build libsodp-rdmav34.so inside an rdma-core source tree of exactly the
# version installed in the guest root.  The source comes from Debian's pool
# at build time and is cached under $SODP_CACHE; it is never committed.
# Our provider and ABI header are copied into that tree on every build
# (tools/pkg/rdma-core-add-sodp.sh, which debian/rules uses too).
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

# A pristine tree, unpacked once; the provider is added to it (and
# brought up to date) on every build.  (.sodp-patched: a tree unpacked
# by this script's older self, which patched it in place.)
if [ ! -e "$tree/.sodp-unpacked" ] && [ ! -e "$tree/.sodp-patched" ]; then
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$tree.tmp"
	tar -xzf "$tarball" -C "$tree.tmp" --strip-components=1
	touch "$tree.tmp/.sodp-unpacked"
	mv "$tree.tmp" "$tree"
fi
"$SODP_TOP/tools/pkg/rdma-core-add-sodp.sh" "$tree" "$SODP_TOP"

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
