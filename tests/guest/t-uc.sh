# UC QPs.  uc_ops (tests/guest/c/uc_ops.c): sodp0 looped back, then across
# a veth pair in two namespaces (topo_split): sodpA -> sodpB and against
# rxe both ways, every byte checked; its lossy test again with 5% of the
# packets lost on both veth ends (messages lost whole, never torn, never
# twice).  Then rdma-core's and perftest's programs, unchanged, between
# two stacks: ibv_uc_pingpong -c (the data checked) and ib_send_bw /
# ib_write_bw -c UC, sodp against rxe with each as the server, and
# sodp<->sodp.
# sodp-test-timeout: 600
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
sodp_reset
trap topo_teardown EXIT
modprobe sch_netem 2>/dev/null || true
status=0
failures=

# The quick suite: sodp against rxe both ways (sodp<->sodp is looped back
# here and lossy below), the lossy test between two sodp devices, and the
# unchanged programs with rxe's side as the server.
splits=("sodp rxe" "rxe sodp") lossy=("sodp sodp") pairs=sodp:rxe sides=b full=0
if full_suite "uc: uc_ops sodpA -> sodpB, lossy against rxe, ib_send_bw, programs with sodp as the server and sodp<->sodp"; then
	full=1
	splits=("sodp sodp" "${splits[@]}")
	lossy+=("sodp rxe" "rxe sodp")
	pairs="sodp:rxe sodp:sodp" sides="b a"
fi

"$(cprog uc_ops)" -d sodp0 || status=1
topo_split_each uc_ops "${splits[@]}" || status=1

for pair in "${lossy[@]}"; do
	read -r a b <<< "$pair"
	echo "== uc_ops lossy ${a}A -> ${b}B, netem loss 5%"
	topo_split "$a" "$b" || fail "cannot build ${a}A <-> ${b}B"
	if on_veth_a tc qdisc replace dev vethA root netem loss 5% &&
	   on_veth_b tc qdisc replace dev vethB root netem loss 5%; then
		UC_OPS_EXPECT_LOSS=1 "$(cprog uc_ops)" -d "${a}A" -D "${b}B" \
			-t lossy || status=1
	else
		echo "FAIL: tc netem loss 5%"
		status=1
	fi
	topo_teardown
done

TOPO_RUN_TIMEOUT=$(scaled 60)
out=/tmp/uc-tools
port=18800
run() {	# run SIDE TOOL ARGS...
	local what="$TOPO_A_DEV<->$TOPO_B_DEV server=$1 $2"
	port=$((port + 1))
	if topo_exchange "$1" v4 "$port" "$out" "${@:2}"; then
		note "ok   $what"
		return 0
	fi
	note "FAIL $what (client $TOPO_CLIENT_RC, server $TOPO_SERVER_RC; 124: timed out)"
	topo_tool_errors "$out.server" | head -n 10 | sed 's/^/      server: /'
	topo_tool_errors "$out.client" | head -n 10 | sed 's/^/      client: /'
	failures="$failures [$what]"
}
for pair in $pairs; do
	topo_two_stacks "${pair%%:*}" "${pair#*:}" ||
		{ failures="$failures [$pair: set-up]"; continue; }
	s_here=$sides
	[ "$pair" != sodp:sodp ] || s_here=b
	for s in $s_here; do
		run "$s" ibv_uc_pingpong -c -n 100 -s 4096
		[ "$full" = 0 ] || run "$s" ib_send_bw -F -c UC -s 65536 -n 200
		run "$s" ib_write_bw -F -c UC -s 65536 -n 200
	done
	topo_teardown
done
[ -z "$failures" ] || { echo "FAIL:$failures"; status=1; }
sodp_reset
exit "$status"
