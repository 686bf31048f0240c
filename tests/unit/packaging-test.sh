#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The packaging's facts agree with each other and with the tree:
# dkms.conf's version is debian/changelog's, its module is the one Kbuild
# builds, and every file Kbuild compiles is a file debian/rules ships.
set -u
top=${1:?path to the source tree}
failures=0
fail() { echo "$*"; failures=$((failures + 1)); }

chver=$(sed -n '1s/^sodp (\([^)]*\)).*/\1/p' "$top/debian/changelog")
dkver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
if [ -z "$chver" ] || [ "$chver" != "$dkver" ]; then
	fail "dkms.conf's PACKAGE_VERSION '$dkver' is not debian/changelog's '$chver'"
fi

mod=$(sed -n 's/^BUILT_MODULE_NAME\[0\]="\(.*\)"$/\1/p' "$top/dkms.conf")
grep -q "^obj-m := $mod.o$" "$top/kernel/Kbuild" ||
	fail "dkms.conf builds '$mod', which kernel/Kbuild's obj-m does not name"

# debian/rules ships kernel/*.c and *.h, Kbuild and Makefile: anything else
# kernel/ needs (a subdirectory, another kind of file) would be missing
# from the DKMS source.
for f in "$top"/kernel/*; do
	case ${f##*/} in
	*.c|*.h|Kbuild|Makefile) ;;
	*) fail "kernel/${f##*/} would not be in sodp-dkms (debian/rules ships *.c, *.h, Kbuild, Makefile)" ;;
	esac
done
# Headers from outside kernel/: only the ABI header, which rules ships.
outside=$(grep -ho '#include <rdma/sodp[^>]*>' "$top"/kernel/*.[ch] | sort -u |
	grep -v '<rdma/sodp-abi.h>')
[ -z "$outside" ] || fail "kernel/ includes $outside, which sodp-dkms does not ship"

[ "$failures" = 0 ] && echo "packaging: all checks passed"
exit "$((failures > 0))"
