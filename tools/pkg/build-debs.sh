#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# build-debs.sh [OUTDIR]
# Build sodp-dkms and libsodp1 from this checkout (its tracked and new
# files, as they are now) with dpkg-buildpackage, in the package build
# root (tools/pkg/lib.sh), and copy the two .deb files to OUTDIR (default
# build/pkg).  rdma-core's source, of the release installed in that root,
# comes from Debian's pool checked against its signed index, and is
# unpacked where debian/rules looks for it.
set -eu
. "$(dirname "$0")/../vm/lib.sh"
. "$SODP_TOP/tools/pkg/lib.sh"

out=${1:-$SODP_TOP/build/pkg}
host_prereqs
root=$(pkg_build_root)

# shellcheck disable=SC2016 # dpkg-query's own ${...}
ver=$(chroot "$root" dpkg-query -W -f '${source:Version}' libibverbs-dev)
up=${ver#*:}
up=${up%-*}
rc=0
tarball=$(pool_fetch "r/rdma-core/rdma-core_$up.orig.tar.gz" "rdma-core $up source") || rc=$?
[ "$rc" = 0 ] || die "rdma-core $up's source: not in Debian's pool any more; rebuild $root (remove it) to get the current release"

version=$(sed -n '1s/^sodp (\([^)]*\)).*/\1/p' "$SODP_TOP/debian/changelog")
[ -n "$version" ] || die "debian/changelog: no version on its first line"
mkdir -p "$SODP_CACHE"
work=$(mktemp -d "$SODP_CACHE/pkg-work-XXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sodp-$version/rdma-core"
# The checkout as it stands, without build products or other ignored files.
git -C "$SODP_TOP" ls-files -z --cached --others --exclude-standard |
	(cd "$SODP_TOP" && tar --null -T - -cf - --ignore-failed-read) |
	tar -xf - -C "$work/sodp-$version"
tar -xzf "$tarball" -C "$work/sodp-$version/rdma-core" --strip-components=1

log "building sodp-dkms and libsodp1 $version against rdma-core $up"
# shellcheck disable=SC2016 # $1 is the inner shell's
if ! in_root "$root" sh -c 'cd "$1" && dpkg-buildpackage -b -us -uc' \
		sh "$work/sodp-$version" > "$work/build.log" 2>&1; then
	tail -n 40 "$work/build.log" >&2
	cp "$work/build.log" "$SODP_CACHE/pkg-build.log"
	die "dpkg-buildpackage failed (log: $SODP_CACHE/pkg-build.log)"
fi
mkdir -p "$out"
rm -f "$out"/*.deb
cp "$work"/sodp-dkms_"${version}"_all.deb "$work"/libsodp1_"${version}"_*.deb "$out/"
log "packages: $(cd "$out" && echo *.deb)"
