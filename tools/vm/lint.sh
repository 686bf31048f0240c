#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Kernel-style lint of sodp: `make -C kernel check`, that is checkpatch
# --strict and sparse, both of which must print nothing.
#
# checkpatch.pl is not in Debian's kernel headers; it comes from the
# linux-source package of the guest kernel's series (Debian's pool, checked
# by pool.sh), of which only scripts/checkpatch.pl and the two word lists
# beside it are kept, under $SODP_CACHE/checkpatch-<version>.  It runs on
# the host (perl is not in the minimal guest root).
#
# sparse: trixie's 0.6.4 cannot parse __typeof_unqual__, which the kernel's
# headers use since 6.1x, so kbuild would only say it is "not up to date".
# The newest sparse source in Debian (sid's, from the pool, checked against
# sid's signed index) is built in the guest root once, under
# $SODP_CACHE/sparse-<version>, and run there by kbuild against the guest
# kernel's headers.
set -eu
. "$(dirname "$0")/lib.sh"

root=$(build_root)
[ "$root" = / ] || [ -e "$root/.sodp-complete" ] || die "no guest root: run tools/sodp-vm image"
command -v perl > /dev/null || die "checkpatch needs perl on the host"

kver=$(guest_kver "$root")
ver=$(chroot "$root" dpkg-query -W -f '${Version}' "linux-image-$kver")
series=$(echo "${ver%-*}" | cut -d. -f1,2)

deb=$(pool_linux_source "$series" "$ver")
ver=$(basename "$deb" _all.deb)
ver=${ver#"linux-source-${series}_"}

cpdir="$SODP_CACHE/checkpatch-${ver//[~+]/_}"
if [ ! -e "$cpdir/.sodp-complete" ]; then
	log "extracting checkpatch.pl from linux-source-$series $ver"
	rm -rf "$cpdir"
	mkdir -p "$cpdir"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO "./usr/src/linux-source-$series.tar.xz" |
		xz -dc | tar -x -C "$cpdir" --strip-components=1 \
			--wildcards '*/scripts/checkpatch.pl' \
			'*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
	[ -x "$cpdir/scripts/checkpatch.pl" ] ||
		die "no scripts/checkpatch.pl in linux-source-$series $ver"
	touch "$cpdir/.sodp-complete"
fi

log "checkpatch --strict (linux-source-$series $ver)"
make -s -C "$SODP_TOP/kernel" checkpatch CHECKPATCH="$cpdir/scripts/checkpatch.pl"

spver=$(SODP_SUITES=sid pool_version source/Sources sparse)
[ -n "$spver" ] || die "no sparse source in Debian's sid"
spup=${spver%-*}
spdir="$SODP_CACHE/sparse-${spver//[~+]/_}"
if [ ! -x "$spdir/sparse" ]; then
	tgz=$(SODP_SUITES=sid pool_fetch "s/sparse/sparse_$spup.orig.tar.gz" \
		"sparse $spup source")
	log "building sparse $spup in the guest root"
	rm -rf "$spdir" "$spdir.tmp"
	mkdir -p "$spdir.tmp"
	tar -xzf "$tgz" -C "$spdir.tmp" --strip-components=1
	in_root "$root" make -s -C "$spdir.tmp" -j"$(nproc)" sparse \
		HAVE_LIBXML=no HAVE_SQLITE=no HAVE_GTK=no HAVE_LLVM=no
	mv "$spdir.tmp" "$spdir"
fi
# kbuild's own test that a sparse is recent enough (scripts/checker-valid.sh)
# is missing from Debian's headers package, so kbuild would refuse any
# sparse: the same test is made here, and kernel/Makefile's sparse target
# then tells kbuild to check (KBUILD_CHECKSRC=2) without its test.
in_root "$root" sh -c '
	f=$(mktemp --suffix=.c)
	printf "static inline int u(const int *q)\n{\n\t__typeof_unqual__(*q) v = *q;\n\treturn v;\n}\n" > "$f"
	out=$("$1" "$f" 2>&1)
	rm -f "$f"
	[ -z "$out" ] || { echo "$out"; exit 1; }
' sh "$spdir/sparse" || die "sparse $spup cannot parse the kernel's headers"

log "sparse $spup against $kver"
in_root "$root" make -s -C "$SODP_TOP/kernel" sparse \
	KDIR="/lib/modules/$kver/build" SPARSE="$spdir/sparse" \
	O_MOD="$SODP_TOP/build/sparse/$kver"
log "lint clean"
