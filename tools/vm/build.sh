#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Build sodp.ko (W=1, warnings are errors) for every kernel in the guest
# root, and the rdma-core provider against the root's exact rdma-core.
set -eu
. "$(dirname "$0")/lib.sh"

root=$(build_root)
[ "$root" = / ] || [ -e "$root/.sodp-complete" ] || die "no guest root: run tools/sodp-vm image"

for kver in $(ls "$root/lib/modules"); do
	[ -d "$root/lib/modules/$kver/build" ] || continue
	log "building sodp.ko for $kver"
	in_root "$root" make -s -C "$SODP_TOP/kernel" \
		KDIR="/lib/modules/$kver/build" \
		O_MOD="$SODP_TOP/build/kernel/$kver" KCFLAGS=-Werror
done
# The debug kernel, once built, gets a fresh sodp.ko too.
if [ "$root" != / ] && [ -e "$(debug_kernel_dir)/.sodp-complete" ]; then
	"$SODP_TOP/tools/vm/debug-kernel.sh"
fi
"$SODP_TOP/tools/vm/build-provider.sh"

log "building guest test programs"
mkdir -p "$SODP_TOP/build/tests"
in_root "$root" make -s -C "$SODP_TOP/tests/guest/c" OUT="$SODP_TOP/build/tests"
