#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Run every guest test (tests/guest/t-*.sh) in this guest, each from the
# standard bed and under a time limit, and print TAP-style lines and a
# summary.  Runs inside the guest (tools/sodp-vm run -- tests/guest/run-tests.sh).
# Exit status: 0 if all passed.  Arguments: optional name filters.
set -u
here=$(cd "$(dirname "$0")" && pwd)
pass=0 failed=0 n=0
failures=
for t in "$here"/t-*.sh; do
	name=$(basename "$t" .sh)
	if [ $# -gt 0 ]; then
		match=0
		for f in "$@"; do case $name in *"$f"*) match=1 ;; esac; done
		[ "$match" = 1 ] || continue
	fi
	n=$((n + 1))
	start=$(date +%s%N)
	# A test may ask for more time than the default with a
	# "# timeout: SEC" line; the larger of the two applies.
	limit=${SODP_TEST_TIMEOUT:-300}
	own=$(sed -n 's/^# timeout: \([0-9]\+\)$/\1/p' "$t" | head -n 1)
	[ -z "$own" ] || [ "$own" -le "$limit" ] || limit=$own
	timeout -k 5 "$limit" bash "$t" > "/tmp/$name.log" 2>&1
	rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	if [ "$rc" = 0 ]; then
		pass=$((pass + 1))
		echo "ok $n - $name (${ms} ms)"
	else
		failed=$((failed + 1))
		failures="$failures $name"
		echo "not ok $n - $name (exit $rc, ${ms} ms)"
		sed 's/^/#   /' "/tmp/$name.log"
	fi
done
[ "$n" -gt 0 ] || { echo "no guest tests matched"; exit 1; }
echo "guest: $pass passed, $failed failed${failures:+ (failed:$failures)}"
[ "$failed" = 0 ]
