# rdma-core's own test suite (pyverbs, from python3-pyverbs): every
# vendor-neutral module on sodp0, one process per module (pyverbs.sh),
# test_odp aside (t-pyverbs-odp runs it on sodp0 and rxe0 side by side).
# No module's process may die, and no test may fail or error on sodp0
# unless rxe0 fails or errors in it too: each sodp0 failure is run again,
# alone, on rxe0 in the same guest; one that rxe0 fails too is a counted
# skip with both reasons (a pyverbs or kernel matter, not sodp's), one
# that rxe0 passes fails this test.  sodp0's skips are listed, one line per
# reason with its count.  The side-by-side table of the whole suite on both
# devices is pyverbs.sh --compare (docs/testing.md): too long for every run.
# Two module processes at a time (the guest has two vCPUs).
# sodp-test-timeout: 1500
. "$(dirname "$0")/lib.sh"
sodp_reset
ibdev_exists rxe0 || fail "rxe0 missing (guest-init creates it)"

here=$(dirname "$0")
work=$(mktemp -d /tmp/pyverbs-all.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Every module pyverbs.sh runs by default (the vendor-neutral ones), less
# test_odp.  Its exit status is not the verdict: failures are looked at
# one by one below.
PYVERBS_WORK=$work/sodp "$here/pyverbs.sh" --dev sodp0 --iters 10 --jobs 2 \
	--timeout 400 --quiet --skip-module test_odp > "$work/table" 2>&1 || true
mods=$(ls "$work/sodp/sodp0/" 2>/dev/null | sed -n 's/\.rc$//p')
cat "$work/table"
[ -n "$mods" ] || fail "pyverbs.sh ran no module"

died=0
for m in $mods; do
	rc=$(cat "$work/sodp/sodp0/$m.rc" 2>/dev/null || echo missing)
	case $rc in
	0|1) ;;
	*)
		died=$((died + 1))
		echo "FAIL: $m: the process on sodp0 ended with $rc in" \
			"$(awk -F'\t' '$1 == "start" { t = $2 } $1 != "start" { t = "" } END { print t }' \
				"$work/sodp/sodp0/$m.log")"
		tail -n 25 "$work/sodp/sodp0/$m.out" | sed 's/^/    | /'
		;;
	esac
done

# Each test that failed or errored on sodp0, again on rxe0 alone.
bad=0
cat "$work"/sodp/sodp0/*.log | awk -F'\t' '$1 == "fail" || $1 == "error" || $1 == "upass"' > "$work/sodp-bad"
while IFS=$'\t' read -r what id why; do
	mod=${id#tests.}; mod=${mod%%.*}
	name=${id##*.}
	PYVERBS_WORK=$work/rxe-$name "$here/pyverbs.sh" --dev rxe0 --iters 10 \
		--timeout 400 --quiet -k "$name" "$mod" > /dev/null 2>&1 || true
	rxe=$(awk -F'\t' -v id="$id" '$2 == id && $1 != "start" { print $1 "\t" $3 }' \
		"$work/rxe-$name/rxe0/$mod.log" 2>/dev/null | tail -n 1)
	case ${rxe%%$'\t'*} in
	fail|error)
		echo "SKIP: pyverbs ${id#tests.}: fails on rxe0 too: sodp0 $what: $why; rxe0 ${rxe%%$'\t'*}: ${rxe#*$'\t'}"
		;;
	*)
		bad=$((bad + 1))
		echo "FAIL: pyverbs ${id#tests.}: sodp0 $what: $why (rxe0: ${rxe:-not run})"
		grep -A30 "^\(ERROR\|FAIL\): ${name} " "$work/sodp/sodp0/$mod.out" | head -n 40 | sed 's/^/    | /'
		;;
	esac
done < "$work/sodp-bad"

# sodp0's skips: one line per reason, with the count and a test it hit.
cat "$work"/sodp/sodp0/*.log | awk -F'\t' '$1 == "skip" {
		n[$3]++; if (!($3 in ex)) { ex[$3] = $2; sub(/^tests\./, "", ex[$3]) }
	} END { for (r in n) printf "SKIP: pyverbs on sodp0: %d test(s), e.g. %s: %s\n", n[r], ex[r], r }' |
	sort

# pyverbs.sh's own totals line: "pyverbs sodp0: N ok, N failed, ..."
totals=$(grep '^pyverbs sodp0: ' "$work/table")
echo "$(echo $mods | wc -w) modules; $totals"
ok=$(echo "$totals" | sed -n 's/^pyverbs sodp0: \([0-9]*\) ok.*/\1/p')
[ "${ok:-0}" -gt 0 ] || fail "no pyverbs test passed on sodp0: the set-up is broken"
[ "$died" = 0 ] || fail "$died pyverbs module process(es) died on sodp0"
[ "$bad" = 0 ] || fail "$bad pyverbs test(s) failed on sodp0 and pass on rxe0"
