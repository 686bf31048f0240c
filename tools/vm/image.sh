#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Build the Debian trixie guest root with mmdebstrap, keyed on its package
# list.  The host's own apt sources are never touched.
set -eu
. "$(dirname "$0")/lib.sh"

host_prereqs
root=$(guest_root)
if [ -e "$root/.sodp-complete" ] && [ "${1:-}" != --force ]; then
	log "root up to date: $root"
	exit 0
fi
mkdir -p "$SODP_CACHE"
tmp="$root.tmp"
rm -rf "$tmp"
log "building guest root $root (a few minutes)"
# shellcheck disable=SC2086
mmdebstrap --variant=minbase --quiet \
	--include="$(echo $SODP_PACKAGES | tr ' ' ',')" \
	--aptopt='APT::Install-Recommends "false"' \
	--customize-hook='echo sodp-guest > "$1/etc/hostname"' \
	--customize-hook='mkdir -p "$1/sodp"' \
	trixie "$tmp" \
	"deb $SODP_MIRROR trixie main" \
	"deb $SODP_MIRROR trixie-backports main" \
	"deb-src $SODP_MIRROR trixie main"
touch "$tmp/.sodp-complete"
rm -rf "$root"
mv "$tmp" "$root"
# Older roots are dead weight once a new one exists.
for old in "$SODP_CACHE"/root-*; do
	[ "$old" = "$root" ] || [ ! -d "$old" ] || rm -rf "$old"
done
log "root ready: $root ($(du -sh "$root" | cut -f1))"
