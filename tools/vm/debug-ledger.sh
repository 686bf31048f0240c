#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# debug-ledger.sh: what the debug kernel has shown about the code as it is.
#
# The whole guest suite takes longer on the debug kernel than one sitting
# allows, so it is run in parts.  A part proves something about the whole
# only if the code under test did not change between parts.  Every
# `sodp-vm debug-test` run appends its results here, keyed by a code id:
# a hash of the tracked files under kernel/, include/ and providers/ as
# they are in the working tree, and of the debug kernel's build.  Tests
# and harness changes are recorded beside it but do not change the id.
#
#   code-id                  print the id of the working tree's code
#   stamp                    print what record needs to know about the
#                            code, taken before a run starts
#   record MODE RC OUTPUT STAMP
#                            append the results of one debug-test run
#   status [--all]           every guest test's latest result at this code
#                            id, what remains and how long it took last
#   plan SECONDS             =NAME arguments for tests not yet passed at
#                            this code id that fit in SECONDS (by their
#                            last debug-kernel time, longest first)
#
# The ledger is $SODP_DEBUG_LEDGER (default docs/debug-ledger.tsv, kept in
# the repository as the record of what ran), tab-separated: date, code id,
# tests id, commit, guest root, mode (quick or full), test, result,
# seconds.  Lines from before the ledger existed carry the code id
# "pre-ledger".  A run that ended with a kernel report, a kmemleak leak, a
# timeout or a dead guest cannot say which test caused it: every test of
# that run is recorded "tainted", never "passed".
set -eu
. "$(dirname "$0")/lib.sh"

ledger=${SODP_DEBUG_LEDGER:-$SODP_TOP/docs/debug-ledger.tsv}
# A test with no debug-kernel time yet is planned as this long.
unknown_secs=1200

tree_hash() {
	git -C "$SODP_TOP" ls-files -z -- "$@" |
		(cd "$SODP_TOP" && xargs -0 -r sha256sum) | sha256sum | cut -c1-12
}

code_id() {
	{ tree_hash kernel include providers
	  basename "$(debug_kernel_dir)"; } | sha256sum | cut -c1-12
}

tests_id() {
	tree_hash tests tools
}

suite_tests() {
	local t
	for t in "$SODP_TOP"/tests/guest/t-*.sh; do
		t=${t##*/}
		echo "${t%.sh}"
	done
}

# The code is identified before the run: an edit made while a run goes on
# must not be credited with its results.
stamp() {
	local commit
	commit=$(git -C "$SODP_TOP" rev-parse --short=12 HEAD)
	git -C "$SODP_TOP" diff --quiet HEAD -- kernel include providers tests tools ||
		commit="$commit+dirty"
	echo "$(code_id) $(tests_id) $commit $(basename "$(guest_root)")"
}

record() {
	local mode=$1 rc=$2 out=$3 id tid commit root verdict now
	[ -r "$out" ] || die "ledger: no run output $out"
	read -r id tid commit root < "$4" || die "ledger: no stamp in $4"
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	# run.sh prints these when the run as a whole failed, whatever the
	# tests said: the test to blame is unknown.
	verdict=
	if grep -Eq '^sodp-vm: (kernel reported problems|kmemleak found sodp leaks|guest timed out|guest died|unloading sodp failed|guest .*setup)' "$out"; then
		verdict=tainted
	fi
	# One ledger line: test, result, seconds.
	emit() {
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$now" "$id" \
			"$tid" "$commit" "$root" "$mode" "$1" "$2" "$3"
	}
	mkdir -p "$(dirname "$ledger")"
	sed -n -E \
		-e 's/^ok [0-9]+ - (t-[a-z0-9-]+) # SKIP .* \(([0-9]+) ms\)$/\1 skipped \2/p' \
		-e 's/^ok [0-9]+ - (t-[a-z0-9-]+) \(([0-9]+) ms\)$/\1 passed \2/p' \
		-e 's/^not ok [0-9]+ - (t-[a-z0-9-]+) \(exit [0-9]+, ([0-9]+) ms\)$/\1 failed \2/p' \
		"$out" |
	while read -r name result ms; do
		[ -n "$verdict" ] && [ "$result" = passed ] && result=$verdict
		emit "$name" "$result" $(( ms / 1000 ))
	done >> "$ledger"
	# A run that printed no test line (the guest died at boot) is still
	# a run: say so rather than record nothing.
	if ! grep -Eq '^(not )?ok [0-9]+ - t-' "$out"; then
		emit "(run)" "no-tests-rc$rc" 0 >> "$ledger"
	fi
}

# latest RESULT SECONDS of each test at code id $1 (quick mode), one per line.
latest_at() {
	[ -e "$ledger" ] || return 0
	awk -F'\t' -v id="$1" '$2 == id && $6 == "quick" { r[$7] = $8 " " $9 " " $1 " " $4 }
		END { for (t in r) print t, r[t] }' "$ledger"
}

# last known debug-kernel time of each test, at any code id.
last_secs() {
	[ -e "$ledger" ] || return 0
	awk -F'\t' '$6 == "quick" && ($8 == "passed" || $8 == "failed") { s[$7] = $9 }
		END { for (t in s) print t, s[t] }' "$ledger"
}

status() {
	local id all=${1:-} t line res secs when commit passed=0 total=0 left=0 est
	id=$(code_id)
	declare -A got last
	while read -r t line; do got[$t]=$line; done < <(latest_at "$id")
	while read -r t secs; do last[$t]=$secs; done < <(last_secs)
	echo "code id $id ($(basename "$(debug_kernel_dir)")), ledger $ledger"
	printf '%-30s %-9s %6s  %s\n' test result secs "run of"
	for t in $(suite_tests); do
		total=$((total + 1))
		if [ -n "${got[$t]:-}" ]; then
			read -r res secs when commit <<< "${got[$t]}"
		else
			res="not-run" secs=${last[$t]:-?} when='' commit=''
		fi
		if [ "$res" = passed ]; then
			passed=$((passed + 1))
		else
			est=${last[$t]:-$unknown_secs}
			left=$((left + est))
		fi
		if [ "$all" = --all ] || [ "$res" != passed ]; then
			printf '%-30s %-9s %6s  %s\n' "$t" "$res" "$secs" "${when:+$when $commit}"
		fi
	done
	echo "$passed of $total passed on the debug kernel at code id $id;" \
		"the rest took about $left s at their last runs"
}

plan() {
	local budget=$1 id t secs res used=0 picked=
	id=$(code_id)
	declare -A got last
	while read -r t res _; do got[$t]=$res; done < <(latest_at "$id")
	while read -r t secs; do last[$t]=$secs; done < <(last_secs)
	# Longest first, so that the long tests are not left for last.
	while read -r secs t; do
		[ "${got[$t]:-}" = passed ] && continue
		[ $((used + secs)) -le "$budget" ] || continue
		used=$((used + secs))
		picked="$picked =$t"
	done < <(for t in $(suite_tests); do
			echo "${last[$t]:-$unknown_secs} $t"
		done | sort -rn)
	[ -n "$picked" ] || die "ledger: nothing left to run at code id $id within $budget s"
	echo "${picked# }"
	log "ledger: planned about $used s of $budget s"
}

cmd=${1:-status}
[ $# -gt 0 ] && shift
case $cmd in
code-id) code_id ;;
stamp) stamp ;;
record) [ $# = 4 ] || die "usage: debug-ledger.sh record MODE RC OUTPUT STAMP"
	record "$@" ;;
status) status "$@" ;;
plan) [ $# = 1 ] || die "usage: debug-ledger.sh plan SECONDS"
	plan "$1" ;;
*) die "debug-ledger.sh: unknown command $cmd" ;;
esac
