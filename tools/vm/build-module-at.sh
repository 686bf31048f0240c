#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# build-module-at.sh COMMIT LABEL: build sodp.ko as it was at COMMIT, for
# the guest root's kernel, into build/modules/LABEL/sodp.ko, so that
# perftest/modules-bench.sh can measure it beside today's in one guest
# boot.  Only kernel/ and include/ of COMMIT are used (git archive); the
# provider and tests stay today's, so COMMIT must speak today's ABI.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# = 2 ] || die "usage: build-module-at.sh COMMIT LABEL"
commit=$1 label=$2
case $label in ''|*[!A-Za-z0-9._-]*) die "LABEL: letters, digits, . _ -" ;; esac
root=$(build_root)
[ -e "$root/.sodp-complete" ] || die "no guest root: run tools/sodp-vm image"
kver=$(guest_kver "$root")
out=$SODP_TOP/build/modules/$label
rm -rf "$out"
mkdir -p "$out/src"
git -C "$SODP_TOP" archive "$commit" kernel include | tar -x -C "$out/src"
log "building sodp.ko at $(git -C "$SODP_TOP" rev-parse --short "$commit") ($label) for $kver"
in_root "$root" make -s -C "$out/src/kernel" KDIR="/lib/modules/$kver/build" \
	O_MOD="$out/obj" modules
cp "$out/obj/sodp.ko" "$out/sodp.ko" 2> /dev/null ||
	cp "$out/src/kernel/sodp.ko" "$out/sodp.ko"
log "built $out/sodp.ko"
