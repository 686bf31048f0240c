#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# rdma-core-add-sodp.sh TREE SODP_SRC
# Make the rdma-core source tree TREE build the sodp provider: the
# provider's files and the kernel ABI header are copied in from SODP_SRC
# (only those that changed, so ninja rebuilds only what it must), and
# rdma-core's CMake files learn of both once.  A provider cannot be built
# outside such a tree: libibverbs' provider interface is not packaged.
# Used by tools/vm/build-provider.sh and by debian/rules.
set -eu
tree=$1 src=$2

die() { echo "rdma-core-add-sodp: $*" >&2; exit 1; }
[ -f "$tree/providers/siw/CMakeLists.txt" ] || die "$tree is not an rdma-core source tree"

if ! grep -q '^add_subdirectory(providers/sodp)$' "$tree/CMakeLists.txt"; then
	# Next to siw, the other software provider, in both lists.
	sed -i 's|^\(\s*\)rdma/siw-abi.h$|&\n\1rdma/sodp-abi.h|' \
		"$tree/kernel-headers/CMakeLists.txt"
	sed -i 's|^add_subdirectory(providers/siw)$|&\nadd_subdirectory(providers/sodp)|' \
		"$tree/CMakeLists.txt"
	if [ "$(grep -c sodp-abi.h "$tree/kernel-headers/CMakeLists.txt")" != 2 ] ||
	   ! grep -q '^add_subdirectory(providers/sodp)$' "$tree/CMakeLists.txt"; then
		die "could not add the sodp provider to $tree's CMake files"
	fi
fi

sync_file() {
	cmp -s "$1" "$2" || cp "$1" "$2"
}
mkdir -p "$tree/providers/sodp"
sync_file "$src/include/rdma/sodp-abi.h" "$tree/kernel-headers/rdma/sodp-abi.h"
for f in "$src"/providers/sodp/*; do
	sync_file "$f" "$tree/providers/sodp/${f##*/}"
done
