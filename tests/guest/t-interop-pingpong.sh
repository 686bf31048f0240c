# ibv_rc_pingpong -c between sodp and rxe both ways, sodp to sodp across two
# network stacks, and sodp loopback: SEND/RECV of 4096 and 10000 bytes (more
# than one 1024-byte MTU packet) over the IPv4 RoCE v2 GID, 4096 over IPv6.
#
# SODP_INTEROP_PAIRS overrides the pairings: "A:B" is device type A in the
# initial namespace and B in ns1 (each side is server once), "loop:T" is one
# T device talking to itself.  SODP_INTEROP_PAIRS="rxe:rxe loop:rxe" checks
# the test itself against rxe alone.
#
# -c makes both ends check the received buffer, but ibv_rc_pingpong only
# checks one byte per page: byte-exact data checks are the C program's job.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
# No sodp_reset: the standard bed is not used (topologies have their own
# veths), and the test must also run with rxe alone (run.sh --no-sodp).

pairs=${SODP_INTEROP_PAIRS:-"rxe:sodp sodp:rxe sodp:sodp loop:sodp"}
# The quick suite: sodp against rxe, with the server in ns1 only (rxe:sodp
# and sodp:rxe still put each implementation on each end).  sodp:sodp
# across two stacks and looped back are checked byte for byte by rc_ops
# (t-rc-ops-two-devs, t-rc-ops) in the quick suite too.
one_side=0
if [ -z "${SODP_INTEROP_PAIRS:-}" ] &&
   ! full_suite "interop pingpong: servers in the initial namespace, sodp:sodp, loop:sodp"; then
	pairs="rxe:sodp sodp:rxe" one_side=1
fi
# 16-20 s a run on the debug kernel; under a second on Debian's.
TOPO_RUN_TIMEOUT=$(scaled 20)
out=/tmp/interop-pp
port=18600
failures=
trap topo_teardown EXIT

# run PAIR SERVER_SIDE FAM SIZE: one exchange; on failure print both ends.
run() {
	local what="$1 server=$2 $3 size=$4" start rc=0
	port=$((port + 1))
	start=$(date +%s%N)
	topo_exchange "$2" "$3" "$port" "$out" ibv_rc_pingpong -c -n 100 -s "$4" || rc=$?
	if [ "$rc" = 0 ]; then
		note "ok   $what ($(( ($(date +%s%N) - start) / 1000000 )) ms)"
		return 0
	fi
	note "FAIL $what (client exit $TOPO_CLIENT_RC, server $TOPO_SERVER_RC; 124: timed out)"
	topo_tool_errors "$out.server" | head -n 10 | sed 's/^/      server: /'
	topo_tool_errors "$out.client" | head -n 10 | sed 's/^/      client: /'
	failures="$failures [$what]"
	return 1
}

for pair in $pairs; do
	case $pair in
	loop:*)	topo_loopback "${pair#loop:}" || { failures="$failures [$pair: set-up]"; continue; }
		sides=b ;;	# one device: "the other side" is itself
	*:*)	topo_two_stacks "${pair%%:*}" "${pair#*:}" ||
			{ failures="$failures [$pair: set-up]"; continue; }
		sides="b a"
		[ "$one_side" = 0 ] || sides=b ;;
	*)	fail "bad pairing '$pair' (want A:B or loop:T)" ;;
	esac
	note "$pair: $TOPO_A_DEV ($TOPO_A_IP4, GIDs $TOPO_A_GID4/$TOPO_A_GID6)" \
		"<-> $TOPO_B_DEV ($TOPO_B_IP4, GIDs $TOPO_B_GID4/$TOPO_B_GID6)"
	# Stop a pairing at its first failure: the rest would fail the same
	# way, each after a timeout, and the test has a time limit.
	ok=1
	for s in $sides; do
		[ "$ok" = 1 ] || break
		for size in 4096 10000; do
			run "$pair" "$s" v4 "$size" || { ok=0; break; }
		done
	done
	[ "$ok" = 1 ] && run "$pair" b v6 4096 || true
	[ "$ok" = 1 ] || note "     (rest of $pair skipped)"
	topo_teardown
done
[ -z "$failures" ] || fail "failed:$failures"
