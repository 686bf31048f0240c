#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# check-rdma-core-tree.sh TREE
# Fail, saying why, unless TREE is the rdma-core source of the release
# whose libibverbs is installed: a provider built from another release's
# source may not match the private interface that libibverbs loads it by.
set -eu
tree=$1
die() { echo "check-rdma-core-tree: $*" >&2; exit 1; }

[ -f "$tree/CMakeLists.txt" ] ||
	die "no rdma-core source in $tree (tools/pkg/build-debs.sh puts the installed release's there)"
have=$(sed -n 's/^set(PACKAGE_VERSION "\([^"]*\)")$/\1/p' "$tree/CMakeLists.txt")
[ -n "$have" ] || die "$tree/CMakeLists.txt names no PACKAGE_VERSION: not an rdma-core tree?"
want=$(dpkg-query -W -f '${source:Upstream-Version}' libibverbs-dev 2>/dev/null) ||
	die "libibverbs-dev is not installed"
[ "$have" = "$want" ] ||
	die "$tree is rdma-core $have, but the installed libibverbs is $want: use $want's source"
echo "check-rdma-core-tree: rdma-core $have, as installed"
