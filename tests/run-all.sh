#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The whole sodp test suite, from a fresh machine: host unit tests, the
# guest harness's own tests, then every guest test in one guest boot.
# Ends with "N passed, N failed, N skipped" (skips listed with their
# reasons above it); exits non-zero on any failure.
# --full: every case of every guest test (tests/guest/run-tests.sh --full);
# without it, the quick suite CI runs.
# --kernel backports|6.12: the guest tests' kernel (default backports, the
# guest root's own).  The other kernel gets sodp built for it and the ODP
# and RC tests ($other_tests) in a guest of its own: the second-kernel lane.
set -u
full= kernel=backports
while [ $# -gt 0 ]; do
	case $1 in
	--full) full=--full ;;
	--kernel) kernel=${2:-}; shift ;;
	*) echo "usage: run-all.sh [--full] [--kernel backports|6.12]" >&2; exit 2 ;;
	esac
	shift
done
case $kernel in
backports) other=6.12 ;;
6.12) other=backports ;;
*) echo "run-all.sh: --kernel is backports or 6.12, not '$kernel'" >&2; exit 2 ;;
esac
other_tests="=t-odp =t-odp-fallback =t-rc-ops =t-rc-ops-odp"
top=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$top"
vm=tools/sodp-vm
pass=0 failed=0 skipped=0 failures=

result() {	# result NAME STATUS
	if [ "$2" = 0 ]; then
		pass=$((pass + 1)); echo "PASS $1"
	else
		failed=$((failed + 1)); failures="$failures $1"; echo "FAIL $1"
	fi
}

# Set-up is not a test: if the image or the build fails, stop here.
$vm image || { echo "0 passed, 1 failed (image)"; exit 1; }
tools/vm/build.sh || { echo "0 passed, 1 failed (build)"; exit 1; }

echo "== host unit tests"
host_build=build/host
cmake -S . -B "$host_build" -DCMAKE_BUILD_TYPE=Debug > "$host_build.log" 2>&1 &&
	cmake --build "$host_build" >> "$host_build.log" 2>&1
rc=$?
[ "$rc" = 0 ] || cat "$host_build.log"
result host-build "$rc"
if [ "$rc" = 0 ]; then
	while read -r name; do
		ctest --test-dir "$host_build" -R "^$name\$" --output-on-failure > "$host_build/$name.log" 2>&1
		rc=$?
		[ "$rc" = 0 ] || cat "$host_build/$name.log"
		result "unit/$name" "$rc"
	done < <(ctest --test-dir "$host_build" -N | sed -n 's/^ *Test *#[0-9]*: //p')
fi

echo "== lint"
tools/vm/lint.sh > build/lint.log 2>&1
rc=$?
[ "$rc" = 0 ] || cat build/lint.log
result lint/kernel "$rc"

echo "== trixie's 6.12"
tools/vm/build-lts.sh > build/build-lts.log 2>&1
rc=$?
[ "$rc" = 0 ] || cat build/build-lts.log
result build/lts-6.12 "$rc"

echo "== guest harness"
out=$(tools/vm/run.sh -- sh -c 'echo hello-from-guest; exit 3' 2>&1)
rc=$?
[ "$rc" = 3 ] && echo "$out" | grep -q hello-from-guest
result harness/exit-status-and-output $?

tools/vm/run.sh -- false > /dev/null 2>&1
[ $? != 0 ]
result harness/false-fails $?

out=$(tools/vm/run.sh -- sh -c 'echo "WARNING: CPU: 0 PID: 1 at sodp harness self-test" > /dev/kmsg' 2>&1)
rc=$?
[ "$rc" != 0 ] && echo "$out" | grep -q 'kernel reported problems'
result harness/kernel-warning-fails $?

out=$(tools/vm/run.sh --timeout 15 -- sleep 600 2>&1)
rc=$?
[ "$rc" != 0 ] && echo "$out" | grep -q 'timed out'
result harness/hung-guest-killed $?

# A guest that dies before guest-init gets exactly one more boot, then fails.
out=$(SODP_VM_APPEND="rdinit=/no-such-init" tools/vm/run.sh --timeout 120 -- true 2>&1)
rc=$?
[ "$rc" != 0 ] && [ "$(echo "$out" | grep -c 'booting once more')" = 1 ]
result harness/early-panic-rebooted-once $?

# guest_tests LOG LABEL RC: count LOG's tests into the totals; a run that
# failed with no failed test (kernel report, unload failure), or that ran
# nothing, is a failure of LABEL/run or LABEL/ran-nothing.
guest_tests() {
	local log=$1 label=$2 rc=$3 n_ok n_bad
	n_ok=$(grep '^ok ' "$log" | grep -vc ' # SKIP ')
	n_bad=$(grep -c '^not ok ' "$log")
	pass=$((pass + n_ok))
	failed=$((failed + n_bad))
	# Whole tests skipped, and checks a passing test left out (run-tests.sh).
	skipped=$((skipped + $(grep -c -e '^ok .* # SKIP ' -e '^# skipped check in ' "$log")))
	[ "$n_bad" = 0 ] || failures="$failures $(sed -n "s|^not ok [0-9]* - \([^ ]*\).*|$label/\1|p" "$log" | tr '\n' ' ')"
	if [ "$rc" != 0 ] && [ "$n_bad" = 0 ]; then
		result "$label/run" "$rc"
	elif [ "$n_ok" = 0 ] && [ "$n_bad" = 0 ]; then
		result "$label/ran-nothing" 1
	fi
}

echo "== guest tests ($kernel)"
# Per-allocation-site object counts in the kmalloc caches, for leak checks.
limit=3600
[ -z "$full" ] || limit=7200
SODP_VM_APPEND="slub_debug=U,kmalloc-*" tools/vm/run.sh --kernel "$kernel" \
	--timeout "$limit" -- tests/guest/run-tests.sh $full |
	tee build/guest-tests.log
guest_tests build/guest-tests.log guest "${PIPESTATUS[0]}"

echo "== the ODP and RC tests on the other kernel ($other)"
SODP_VM_APPEND="slub_debug=U,kmalloc-*" tools/vm/run.sh --kernel "$other" \
	--timeout 1800 -- tests/guest/run-tests.sh $full $other_tests |
	tee build/guest-tests-other.log
guest_tests build/guest-tests-other.log "guest-$other" "${PIPESTATUS[0]}"

if [ "$skipped" -gt 0 ]; then
	echo "skipped, with the reason:"
	for log in build/guest-tests.log build/guest-tests-other.log; do
		tag=
		[ "$log" = build/guest-tests.log ] || tag="($other) "
		grep -e '^ok .* # SKIP ' -e '^# skipped check in ' "$log" |
			sed -e "s/^ok [0-9]* - /  $tag/" \
			    -e "s/^# skipped check in /  $tag/"
	done
fi
# CI keeps only the head and the tail of a long output (about the last 20
# lines): repeat, next to the summary, each failed guest test's last lines
# and then, last and short, its failing checks: the inner programs' "not
# ok" lines and "# failed:" lists, FAIL and Bail out lines, time-outs.
# Summaries that count no failure ("# 12 passed, 0 failed") are left out:
# they once filled the excerpt and pushed out the one line that mattered.
awk -v other="$other" '
	function report(i) {
		print "  -- last lines of " name ":"
		for (i = (n > 6 ? n - 6 : 0); i < n; i++)
			print "  " tail[i % 6]
		print "why " name " failed:"
		for (i = 0; i < nwhy; i++)
			print "  " why[i]
		if (nwhy == 0)
			print "  (no failing check named: see its last lines)"
		inlog = 0
	}
	/^not ok / { name = (FILENAME ~ /other/ ? "(" other ") " : "") $5; n = 0; nwhy = 0; infailed = 0; inlog = 1; next }
	inlog && /^#   / {
		line = substr($0, 5)
		tail[n++ % 6] = line
		if (line ~ /(^|[^0-9])0 failed/) { infailed = 0; next }
		if (line ~ /^# failed:/) { infailed = 1; next }
		if ((infailed && line ~ /^#   /) ||
		    line ~ /(^|[# ])not ok |(^|[^a-z_])(FAIL|Bail out|timed out)/) {
			if (nwhy < 10)
				why[nwhy++] = line
		} else {
			infailed = 0
		}
		next
	}
	inlog { report() }
	END { if (inlog) report() }' build/guest-tests.log build/guest-tests-other.log |
	cut -c1-300
[ -z "$failures" ] || echo "failed:$failures"
echo "$pass passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
