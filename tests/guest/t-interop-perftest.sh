# perftest ib_send_bw, ib_write_bw, ib_read_bw and ib_atomic_bw between sodp
# and rxe on two network stacks, each side once as server and once as
# client: every operation type crosses the wire both ways and completes.
# Then the same between two sodp devices on two stacks, and on one sodp
# device in loopback.
#
# SODP_INTEROP_PAIRS overrides the pairings as in t-interop-pingpong ("A:B":
# type A in the initial namespace, B in ns1; "loop:T": one device).
#
# perftest does not check data: this catches operations that fail, stall
# or get NAKed between the two implementations.  Data is checked by
# ibv_rc_pingpong -c (t-interop-pingpong, one byte per page) and the C
# verbs program.
#
# About 190 s on Debian's kernel; the debug kernel scales this limit
# (about 1600 s there, so 600 * 4).
# sodp-test-timeout: 900
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
# No sodp_reset: see t-interop-pingpong.

pairs=${SODP_INTEROP_PAIRS:-"rxe:sodp sodp:rxe sodp:sodp loop:sodp"}
# The quick suite runs each mixed pairing with the client in the initial
# namespace only: rxe:sodp has rxe as the requester, sodp:rxe has sodp,
# so every operation still crosses between the two implementations both
# ways.  Swapping the namespaces, sodp:sodp (data between two sodp stacks
# is rc_ops', rc_lossy's and odp's) and the loopback pairing are the full
# suite's.
one_side=0
if [ -z "${SODP_INTEROP_PAIRS:-}" ] &&
   ! full_suite "interop perftest: servers in the initial namespace, sodp:sodp, loop:sodp"; then
	pairs="rxe:sodp sodp:rxe" one_side=1
fi
# The debug kernel (KASAN, lockdep; tools/vm/debug-kernel.sh) moves data
# about ten times slower: the same 500 messages, more time for each run
# (15-100 s there).
TOPO_RUN_TIMEOUT=$(scaled 60) iters=500
out=/tmp/interop-perf
port=18700
failures=
trap topo_teardown EXIT

# run PAIR SERVER_SIDE TOOL ARGS...: one exchange; on failure print both ends.
run() {
	local what="$1 server=$2 $3" pair=$1 side=$2 tool=$3 start rc=0
	shift 3
	port=$((port + 1))
	start=$(date +%s%N)
	# -F: do not fail on the CPU frequency check, meaningless in a guest.
	topo_exchange "$side" v4 "$port" "$out" "$tool" -F "$@" || rc=$?
	if [ "$rc" = 0 ] && ! grep -qE '^ *[0-9]+ +[0-9]+ ' "$out.client"; then
		rc="no result line"
	fi
	if [ "$rc" = 0 ]; then
		note "ok   $what ($(( ($(date +%s%N) - start) / 1000000 )) ms)"
		return 0
	fi
	note "FAIL $what (exit $rc; client $TOPO_CLIENT_RC, server $TOPO_SERVER_RC; 124: timed out)"
	topo_tool_errors "$out.server" | head -n 10 | sed 's/^/      server: /'
	topo_tool_errors "$out.client" | head -n 10 | sed 's/^/      client: /'
	topo_sodp_counters | sed 's/^/      counters /'
	failures="$failures [$what]"
	return 1
}

for pair in $pairs; do
	case $pair in
	loop:*)	topo_loopback "${pair#loop:}" || { failures="$failures [$pair: set-up]"; continue; }
		sides=b ;;
	*:*)	topo_two_stacks "${pair%%:*}" "${pair#*:}" ||
			{ failures="$failures [$pair: set-up]"; continue; }
		# Same type on both ends: one direction already covers it.
		sides="b a"
		[ "${pair%%:*}" != "${pair#*:}" ] && [ "$one_side" = 0 ] || sides=b ;;
	*)	fail "bad pairing '$pair' (want A:B or loop:T)" ;;
	esac
	note "$pair: $TOPO_A_DEV ($TOPO_A_IP4) <-> $TOPO_B_DEV ($TOPO_B_IP4)"
	# Unlike pingpong, keep going after a failure: each tool exercises a
	# different part of the data path.  But a run that timed out means a
	# stalled path: stop the pairing there, so that a hanging
	# implementation cannot push the test past its time limit.
	for s in $sides; do
		# 64 KiB: 64 packets per message at the 1024-byte MTU.  500
		# messages: enough to wrap the 128-deep send queue a few times
		# (sodp's early data path failed posts only after ~100 WRs).
		for t in "ib_send_bw -s 65536" "ib_write_bw -s 65536" \
			 "ib_read_bw -s 65536" "ib_atomic_bw"; do
			# shellcheck disable=SC2086 # $t is a tool and its options
			run "$pair" "$s" $t -n "$iters" && continue
			[ "$TOPO_CLIENT_RC" = 124 ] || [ "$TOPO_SERVER_RC" = 124 ] || continue
			note "     (timed out: rest of $pair skipped)"
			break 2
		done
	done
	topo_teardown
done
[ -z "$failures" ] || fail "failed:$failures"
