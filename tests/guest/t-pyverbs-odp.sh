# rdma-core's own ODP tests (pyverbs tests.test_odp, from python3-pyverbs)
# on sodp0 and on rxe0 in the same guest: sodp0 must have no failure, no
# error and no crash, and pass at least rxe0's count plus 4 (sodp also
# does ibv_advise_mr prefetch and implicit ODP, which rxe skips).  Each
# test's traffic runs 10 times instead of 100; still ~7.5 min under TCG
# (python start-up and resource set-up dominate, not traffic).  Huge pages
# are reserved for the huge-page tests and released.
# sodp-test-timeout: 900
. "$(dirname "$0")/lib.sh"
sodp_reset
ibdev_exists rxe0 || fail "rxe0 missing (guest-init creates it)"

MORE_THAN_RXE=4
work=$(mktemp -d /tmp/pyverbs-odp.XXXXXX)
trap 'rm -rf "$work"' EXIT

# pyverbs.sh reserves huge pages and restores the old count itself; its own
# exit status is not the verdict (rxe0's results are only a yardstick).
PYVERBS_WORK=$work "$(dirname "$0")/pyverbs.sh" --compare sodp0,rxe0 --jobs 2 \
	--iters 10 --timeout 400 --skips test_odp || true
[ "$(cat /proc/sys/vm/nr_hugepages)" = 0 ] ||
	note "nr_hugepages is $(cat /proc/sys/vm/nr_hugepages) after the run"

# count DEV STATUS: how many tests of test_odp ended with STATUS on DEV.
count() { grep -c "^$2	" "$work/$1/test_odp.log" || true; }
rc_of() { cat "$work/$1/test_odp.rc"; }

s_ok=$(count sodp0 ok) r_ok=$(count rxe0 ok)
s_bad=$(( $(count sodp0 fail) + $(count sodp0 error) ))
echo "test_odp passed: sodp0 $s_ok, rxe0 $r_ok (sodp0 must reach $((r_ok + MORE_THAN_RXE)))"
# sodp0's skips are checks left out: run-tests.sh counts and lists them.
awk -F'\t' '$1 == "skip" { sub(/^tests\./, "", $2); print "SKIP: " $2 " on sodp0: " $3 }' \
	"$work/sodp0/test_odp.log"

case $(rc_of sodp0) in
0|1) ;;
*) tail -n 30 "$work/sodp0/test_odp.out"
   fail "test_odp on sodp0 died (exit $(rc_of sodp0)) in $(awk -F'\t' \
	'$1 == "start" { t = $2 } $1 != "start" { t = "" } END { print t }' \
	"$work/sodp0/test_odp.log")" ;;
esac
case $(rc_of rxe0) in
0|1) ;;
*) fail "test_odp on rxe0 died (exit $(rc_of rxe0)): no yardstick" ;;
esac
# rxe0 is the yardstick, unless this kernel's rxe has no ODP at all (6.12:
# rxe's ODP is newer): then pyverbs skips each of its ODP tests with "No
# ODP caps", and the yardstick is a skipped check, not a broken set-up.
r_noodp=$(grep -c '^skip	.*No ODP caps' "$work/rxe0/test_odp.log" || true)
r_other=$(grep -v -c -e '^skip	.*No ODP caps' -e '^skip	.*Create XRCD' \
	-e '^start	' "$work/rxe0/test_odp.log" || true)
if [ "$r_ok" = 0 ] && [ "$r_noodp" -gt 0 ] && [ "$r_other" = 0 ]; then
	echo "SKIP: rxe0 as the yardstick: this kernel's rxe has no ODP capabilities ($r_noodp test_odp tests skipped on it with 'No ODP caps')"
else
	[ "$r_ok" -gt 0 ] || fail "no test passed on rxe0: the set-up is broken"
fi
if [ "$s_bad" -gt 0 ]; then
	grep -B2 -A30 '^ERROR:\|^FAIL:' "$work/sodp0/test_odp.out" | head -n 120
	fail "$s_bad test_odp tests failed on sodp0"
fi
[ "$s_ok" -ge $((r_ok + MORE_THAN_RXE)) ] ||
	fail "sodp0 passed $s_ok, fewer than rxe0's $r_ok + $MORE_THAN_RXE"
