# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Files from Debian's pool, checked against the archive's signed indexes.
# Sourced by lib.sh, never executed.
#
# The chain of trust is apt's: a suite's InRelease is checked by gpgv with
# the Debian archive keyring, the main/ index named there by the sha256
# InRelease gives it (Sources.xz for source packages, binary-amd64/
# Packages.xz for .debs: Debian lists the architecture-independent ones
# there too, and that is the index apt reads), and the file itself by the
# sha256 its index entry gives it.  A file that passed keeps a .sha256 file
# beside it, so a warm cache is checked without the network.
#
# Debian keeps only the current version of a package in the pool.  A
# version that was superseded since the guest root was built is not there:
# pool_fetch then fails with status 3 and the caller picks the current
# version (pool_version) and says so.

# Searched in this order.  trixie is the guest root's; bookworm is there
# for README's build of the provider on a bookworm host (SODP_ROOT=/),
# whose rdma-core is bookworm's.
SODP_SUITES=${SODP_SUITES:-"trixie trixie-updates trixie-backports bookworm bookworm-updates bookworm-backports"}
SODP_KEYRING=${SODP_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}

# pool_index SUITE KIND: the verified, decompressed main/KIND index of
# SUITE (KIND: source/Sources or binary-amd64/Packages); prints its path.
# An index younger than an hour is taken from the cache as it is.
pool_index() {
	local suite=$1 kind=$2 dir="$SODP_CACHE/index/$1" want got lock
	local idx="$dir/${2//\//_}"

	mkdir -p "$dir"
	# one fetch at a time per suite: worktrees share the cache.  Every
	# caller runs this in a command substitution, whose end (or die)
	# closes the descriptor and so releases the lock.
	exec {lock}> "$dir/.lock"
	flock "$lock"
	if [ -s "$idx" ] && [ -n "$(find "$idx" -mmin -60)" ]; then
		echo "$idx"
		return 0
	fi
	curl -fsSL -o "$dir/InRelease" "$SODP_MIRROR/dists/$suite/InRelease" ||
		die "could not fetch $SODP_MIRROR/dists/$suite/InRelease"
	# --output keeps only the signed text, so nothing unsigned around
	# the signature can slip into what is read next.
	rm -f "$dir/Release"
	gpgv --keyring "$SODP_KEYRING" --output "$dir/Release" \
		"$dir/InRelease" 2> "$dir/gpgv.log" ||
		die "$suite's InRelease does not verify with $SODP_KEYRING: $(grep -v '^gpgv: *using' "$dir/gpgv.log" | tail -n 2 | tr '\n' ' ')"
	want=$(awk -v f="main/$kind.xz" '
		/^SHA256:/ { s = 1; next }
		/^[^ ]/ { s = 0 }
		s && $3 == f { print $1 }' "$dir/Release")
	[ -n "$want" ] || die "$suite's Release names no main/$kind.xz"
	# by its hash, as apt does: a mirror being synced may serve a
	# main/$kind.xz newer or older than the InRelease it served a moment
	# ago, but never another file under the same hash
	curl -fsSL -o "$idx.xz" \
		"$SODP_MIRROR/dists/$suite/main/${kind%/*}/by-hash/SHA256/$want" ||
		die "could not fetch $suite's main/$kind.xz by its hash $want"
	got=$(sha256sum < "$idx.xz" | cut -d' ' -f1)
	[ "$got" = "$want" ] ||
		die "$suite main/$kind.xz: sha256 $got, but its signed Release says $want"
	xz -dc "$idx.xz" > "$idx.tmp" || die "could not decompress $suite main/$kind.xz"
	mv "$idx.tmp" "$idx"
	rm -f "$idx.xz"
	echo "$idx"
}

# pool_kind PATH: the index that lists PATH (a path under pool/main/)
pool_kind() {
	case $1 in
	*_all.deb | *_amd64.deb) echo binary-amd64/Packages ;;
	*.deb) die "pool: only amd64 and architecture-independent .debs are checked: $1" ;;
	*) echo source/Sources ;;
	esac
}

# pool_sha256 PATH: the sha256 that a suite's signed index gives the file
# pool/main/PATH; prints nothing if no suite lists it.
pool_sha256() {
	local path="pool/main/$1" kind suite idx sum
	kind=$(pool_kind "$1") || exit 1
	for suite in $SODP_SUITES; do
		idx=$(pool_index "$suite" "$kind") || exit 1
		if [ "$kind" = source/Sources ]; then
			# Directory: comes after Checksums-Sha256: in a stanza
			sum=$(awk -v want="$path" '
				/^$/ { if (dir) for (f in s) if (dir "/" f == want) print s[f]
				       delete s; dir = ""; c = 0; next }
				/^Directory:/ { dir = $2; c = 0; next }
				/^Checksums-Sha256:/ { c = 1; next }
				/^[^ ]/ { c = 0; next }
				c { s[$3] = $1 }
				END { if (dir) for (f in s) if (dir "/" f == want) print s[f] }
			' "$idx" | head -n 1)
		else
			sum=$(awk -v want="$path" '
				/^$/ { if (fn == want) print sha; fn = sha = ""; next }
				/^Filename:/ { fn = $2 }
				/^SHA256:/ { sha = $2 }
				END { if (fn == want) print sha }' "$idx" | head -n 1)
		fi
		[ -n "$sum" ] && { echo "$sum"; return 0; }
	done
	return 0
}

# pool_version KIND PACKAGE: the highest version of PACKAGE (a source
# package for source/Sources, a binary one for binary-amd64/Packages) that
# the suites list now; prints nothing if none does.
pool_version() {
	local kind=$1 pkg=$2 suite idx v best=
	for suite in $SODP_SUITES; do
		idx=$(pool_index "$suite" "$kind") || exit 1
		while read -r v; do
			if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
				best=$v
			fi
		done < <(awk -v p="$pkg" '
			/^Package:/ { cur = $2 }
			/^Version:/ && cur == p { print $2 }' "$idx")
	done
	echo "$best"
}

# pool_fetch PATH WHAT: pool/main/PATH, downloaded once into
# $SODP_CACHE/src and checked as above; prints where it is.  Status 3 if
# no suite lists PATH any more (the caller may fall back to pool_version).
pool_fetch() {
	local file want got
	file="$SODP_CACHE/src/$(basename "$1")"
	if [ -e "$file" ] && [ -e "$file.sha256" ] &&
	   [ "$(sha256sum < "$file" | cut -d' ' -f1)" = "$(cat "$file.sha256")" ]; then
		echo "$file"
		return 0
	fi
	want=$(pool_sha256 "$1") || exit 1
	if [ -z "$want" ]; then
		log "pool/main/$1 ($2) is in none of $SODP_SUITES now: superseded"
		return 3
	fi
	mkdir -p "$SODP_CACHE/src"
	if [ -e "$file" ]; then
		log "checking the cached $2 against Debian's signed index"
	else
		log "fetching $2 from Debian"
		curl -fsSL -o "$file.tmp.$$" "$SODP_MIRROR/pool/main/$1" ||
			die "could not fetch $SODP_MIRROR/pool/main/$1"
		mv "$file.tmp.$$" "$file"
	fi
	got=$(sha256sum < "$file" | cut -d' ' -f1)
	if [ "$got" != "$want" ]; then
		rm -f "$file" "$file.sha256"
		die "pool/main/$1: sha256 $got, but Debian's signed index says $want (file removed)"
	fi
	echo "$want" > "$file.sha256"
	echo "$file"
}

# pool_linux_source SERIES VERSION: Debian's linux-source-SERIES .deb of
# VERSION, or, if that was superseded since the guest root was built, of
# the current version of the same series (said on stderr); prints its
# path, whose name carries the version taken.
pool_linux_source() {
	local series=$1 ver=$2 deb rc=0

	deb=$(pool_fetch "l/linux/linux-source-${series}_${ver}_all.deb" \
		"linux-source-$series $ver") || rc=$?
	if [ "$rc" = 3 ]; then
		ver=$(pool_version binary-amd64/Packages "linux-source-$series")
		[ -n "$ver" ] || die "linux-source-$series: in none of $SODP_SUITES now; rebuild the guest root (tools/sodp-vm image) for a current kernel"
		log "linux-source-$series $2 is no longer in Debian's pool: taking $ver, the current one"
		deb=$(pool_fetch "l/linux/linux-source-${series}_${ver}_all.deb" \
			"linux-source-$series $ver") || exit 1
	elif [ "$rc" != 0 ]; then
		exit "$rc"
	fi
	echo "$deb"
}
