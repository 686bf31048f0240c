#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Run every guest test (tests/guest/t-*.sh) in this guest, each from the
# standard bed and under a time limit, and print TAP-style lines and a
# summary.  Runs inside the guest (tools/sodp-vm run -- tests/guest/run-tests.sh).
# Exit status: 0 if all passed.  Arguments: --full first for the full suite
# (every case; without it, the cases the tests mark full_suite() are left
# out and counted as skipped checks), then optional name filters: a test
# runs if its name contains one, or equals one given as =NAME.
#
# Skips are counted, never folded into the passes.  A test that cannot run
# here exits 77 after printing "SKIP: why" ("ok N - name # SKIP why").  A
# passing test that left out some of its checks says so in its output, as
# "SKIP: why" lines or TAP "ok N - check # SKIP why" lines (rc_runner);
# each is listed as "# skipped check in NAME: ..." and counted.
set -u
SODP_FULL=0
[ "${1:-}" = --full ] && { SODP_FULL=1; shift; }
export SODP_FULL
here=$(cd "$(dirname "$0")" && pwd)
pass=0 failed=0 skipped=0 n=0
failures=
for t in "$here"/t-*.sh; do
	name=$(basename "$t" .sh)
	if [ $# -gt 0 ]; then
		match=0
		for f in "$@"; do
			case $f in
			=*) [ "$name" = "${f#=}" ] && match=1 ;;
			*) case $name in *"$f"*) match=1 ;; esac ;;
			esac
		done
		[ "$match" = 1 ] || continue
	fi
	n=$((n + 1))
	start=$(date +%s%N)
	# A test may ask for more than the default 300 s with a
	# "# sodp-test-timeout: SEC" line (SEC as on Debian's kernel); a longer
	# SODP_TEST_TIMEOUT (the debug kernel's 1200) stretches every limit
	# alike, as scaled() in lib.sh does a test's own waits.
	want=$(sed -n 's/^# sodp-test-timeout: *\([0-9]*\).*/\1/p' "$t" | head -n 1)
	[ -n "$want" ] && [ "$want" -gt 300 ] || want=300
	limit=$(( want * ${SODP_TEST_TIMEOUT:-300} / 300 ))
	timeout -k 5 "$limit" bash "$t" > "/tmp/$name.log" 2>&1
	rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	if [ "$rc" = 77 ]; then
		skipped=$((skipped + 1))
		why=$(sed -n 's/^SKIP: //p' "/tmp/$name.log" | tail -n 1)
		echo "ok $n - $name # SKIP ${why:-no reason given} (${ms} ms)"
	elif [ "$rc" = 0 ]; then
		pass=$((pass + 1))
		echo "ok $n - $name (${ms} ms)"
		checks=$(sed -n -e 's/^SKIP: //p' \
			-e 's/^ok [0-9]* - \(.*\) # SKIP \(.*\)/\1: \2/p' \
			"/tmp/$name.log")
		if [ -n "$checks" ]; then
			skipped=$((skipped + $(echo "$checks" | wc -l)))
			echo "$checks" | sed "s/^/# skipped check in $name: /"
		fi
	else
		failed=$((failed + 1))
		failures="$failures $name"
		echo "not ok $n - $name (exit $rc, ${ms} ms)"
		sed 's/^/#   /' "/tmp/$name.log"
	fi
done
[ "$n" -gt 0 ] || { echo "no guest tests matched"; exit 1; }
echo "guest: $pass passed, $failed failed, $skipped skipped${failures:+ (failed:$failures)}"
[ "$failed" = 0 ]
