#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# run-tests.sh counts what it is given right: a pass, a whole-test skip
# (exit 77), a pass that left checks out ("SKIP:" and TAP "# SKIP" lines),
# a failure.  Runs on the host against a copy of run-tests.sh beside
# made-up tests.  Usage: run-tests-count-test.sh PATH/TO/run-tests.sh
set -u
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$1" "$dir/run-tests.sh"
printf 'exit 0\n' > "$dir/t-a-pass.sh"
printf 'echo "SKIP: no widget here"\nexit 77\n' > "$dir/t-b-skip.sh"
printf 'echo "SKIP: half of it"\necho "ok 3 - pinned:x # SKIP known deviation"\necho "ok 4 - pinned:y"\nexit 0\n' \
	> "$dir/t-c-partial.sh"
printf 'echo "ok 1 - z # SKIP not counted: the test failed"\nexit 1\n' > "$dir/t-d-fail.sh"
out=$(bash "$dir/run-tests.sh")
rc=$?
bad=0
expect() {	# expect LINE: LINE must be in the output, exactly
	grep -qxF -- "$1" <<< "$out" || { echo "missing: $1"; bad=1; }
}
expect "ok 2 - t-b-skip # SKIP no widget here ($(sed -n 's/.*# SKIP no widget here (\([0-9]*\) ms)/\1/p' <<< "$out") ms)"
expect "# skipped check in t-c-partial: half of it"
expect "# skipped check in t-c-partial: pinned:x: known deviation"
expect "guest: 2 passed, 1 failed, 3 skipped (failed: t-d-fail)"
[ "$rc" != 0 ] || { echo "exit status 0 with a failure"; bad=1; }
grep -q '^ok 1 - t-a-pass (' <<< "$out" || { echo "t-a-pass not ok"; bad=1; }
[ "$bad" = 0 ] || { echo "--- output:"; echo "$out"; exit 1; }
# filters: a part of a name, or =NAME for that name alone
printf 'exit 0\n' > "$dir/t-a-pass-more.sh"
out=$(bash "$dir/run-tests.sh" =t-a-pass)
grep -q '^guest: 1 passed, 0 failed, 0 skipped' <<< "$out" ||
	{ echo "=t-a-pass ran more than t-a-pass:"; echo "$out"; exit 1; }
out=$(bash "$dir/run-tests.sh" t-a-pass)
grep -q '^guest: 2 passed, 0 failed, 0 skipped' <<< "$out" ||
	{ echo "t-a-pass did not run both:"; echo "$out"; exit 1; }
echo "run-tests.sh counts passes, skips and failures right, and filters"
