# Connection management through QP1 (the GSI QP and the kernel's CM):
# rdma-core's and perftest's librdmacm programs, unchanged, each as a
# server on one side and a client on the other:
#   rping -V (RDMA READ/WRITE/SEND, the data verified), ucmatose (RC,
#   SEND/RECV) and udaddy (UD through rdma_cm's address handles), each
#   over IPv4 and IPv6; rdma_server/rdma_client (the rdma_cm verbs helpers);
#   ib_write_bw -R and ib_send_lat -R (perftest over rdma_cm).
# Pairings: sodp looped back on one device, sodp<->sodp across two network
# stacks, and rxe<->sodp with each as the passive side.
#
# rxe is always side A (the initial namespace): an rxe device moved into
# another namespace cannot create its QP1 again ("rxe_create_qp: returned
# err = -22 ... Couldn't create ib_mad QP1" on Debian's 7.3 kernel), so rxe
# in ns1 cannot take part in rdma_cm at all.  SODP_CM_PAIRS overrides the
# pairings ("A:B" as in t-interop-pingpong, "loop:T").
# sodp-test-timeout: 600
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

pairs=${SODP_CM_PAIRS:-"loop:sodp sodp:sodp rxe:sodp"}
# The quick suite: sodp<->sodp with the server in ns1 only, rxe<->sodp
# with each as the passive side over IPv4, and no loopback pairing (the
# unplug case below still runs rping looped back).
one_side=0
if [ -z "${SODP_CM_PAIRS:-}" ] &&
   ! full_suite "rdma_cm: loop:sodp, sodp:sodp with the server in the initial namespace, IPv6 with rxe"; then
	pairs="sodp:sodp rxe:sodp" one_side=1
fi
limit=$(scaled 40)	# seconds for one client or server run
out=/tmp/rdma-cm
port=20000
failures=
trap topo_teardown EXIT

# _listening SIDE PORT: an rdma_cm ID listens on PORT there.
_listening() {
	_topo_on "$1" rdma resource show cm_id 2>/dev/null |
		grep -q "state LISTEN .*:$2 "
}

# run WHAT SIDE SERVER_CMD CLIENT_CMD [LISTEN_PORT]: the server on SIDE,
# the client on the other; "@PORT" in a command is replaced by this run's
# port, and the client starts once the server listens there (or on
# LISTEN_PORT, for a program whose port is fixed).  Both must exit 0.
run() {
	local what=$1 sside=$2 scmd=${3//@PORT/$((port + 1))}
	local ccmd=${4//@PORT/$((port + 1))} cside=b spid rc=0 src=0 end start
	local lport=${5:-$((port + 1))}
	local -a pfx=()
	port=$((port + 1))
	# Not through _topo_on: $! must be the server (as topo_exchange).
	if [ "$sside" = b ]; then
		cside=a
		[ "$TOPO_KIND" != two-stacks ] || pfx=(ip netns exec "$TOPO_NS")
	fi
	start=$(date +%s%N)
	# shellcheck disable=SC2086 # the commands are word lists
	"${pfx[@]}" timeout "$limit" $scmd > "$out.server" 2>&1 < /dev/null &
	spid=$!
	end=$(( $(date +%s) + $(scaled 20) ))
	until _listening "$sside" "$lport"; do
		if ! kill -0 "$spid" 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; then
			rc=listen
			break
		fi
		sleep 0.2
	done
	if [ "$rc" = 0 ]; then
		# shellcheck disable=SC2086
		_topo_on "$cside" timeout "$limit" $ccmd > "$out.client" 2>&1 < /dev/null || rc=$?
	fi
	[ "$rc" = 0 ] || { sleep 1; kill "$spid" 2>/dev/null || true; }
	wait "$spid" || src=$?
	if [ "$rc" = 0 ] && [ "$src" = 0 ]; then
		note "ok   $what ($(( ($(date +%s%N) - start) / 1000000 )) ms)"
		return 0
	fi
	note "FAIL $what (client exit $rc, server $src; 124: timed out)"
	tail -n 8 "$out.server" | sed 's/^/      server: /'
	[ "$rc" = listen ] || tail -n 8 "$out.client" | sed 's/^/      client: /'
	topo_sodp_counters | sed 's/^/      /'
	failures="$failures [$what]"
	return 1
}

# every_tool PAIR SIDE: each program with its server on SIDE.  Fails only
# if the first (rping over IPv4) does: connection management does not work
# between the two at all then, and every other run would wait for its
# time limit.
every_tool() {
	local pair=$1 side=$2 s4 s6 sdev cdev v6=1
	if [ "$side" = a ]; then
		s4=$TOPO_A_IP4 s6=$TOPO_A_IP6 sdev=$TOPO_A_DEV cdev=$TOPO_B_DEV
	else
		s4=$TOPO_B_IP4 s6=$TOPO_B_IP6 sdev=$TOPO_B_DEV cdev=$TOPO_A_DEV
	fi
	local w="$pair server=$sdev"
	run "$w rping v4" "$side" "rping -s -a $s4 -p @PORT -C 20 -S 4000 -V" \
		"rping -c -a $s4 -p @PORT -C 20 -S 4000 -V" || return 1
	# IPv6 once per run in the quick suite: on sodp<->sodp.
	[ "$one_side" = 0 ] || [ "$pair" = sodp:sodp ] || v6=0
	[ "$v6" = 0 ] ||
	run "$w rping v6" "$side" "rping -s -a $s6 -p @PORT -C 20 -V" \
		"rping -c -a $s6 -p @PORT -C 20 -V"
	run "$w ucmatose" "$side" "ucmatose -b $s4 -p @PORT -C 20 -S 2000" \
		"ucmatose -s $s4 -p @PORT -C 20 -S 2000"
	[ "$v6" = 0 ] ||
	run "$w ucmatose v6" "$side" "ucmatose -b $s6 -p @PORT -C 20 -S 2000" \
		"ucmatose -s $s6 -p @PORT -C 20 -S 2000"
	# udaddy's -p is the port space; its port is always 7174.
	run "$w udaddy" "$side" "udaddy -b $s4 -C 20 -S 500" \
		"udaddy -s $s4 -C 20 -S 500" 7174
	[ "$v6" = 0 ] ||
	run "$w udaddy v6" "$side" "udaddy -b $s6 -C 20 -S 500" \
		"udaddy -s $s6 -C 20 -S 500" 7174
	run "$w rdma_server/client" "$side" "rdma_server -s $s4 -p @PORT" \
		"rdma_client -s $s4 -p @PORT"
	run "$w ib_write_bw -R" "$side" \
		"ib_write_bw -R -d $sdev -p @PORT -s 65536 -n 200 -F" \
		"ib_write_bw -R -d $cdev -p @PORT -s 65536 -n 200 -F $s4"
	run "$w ib_send_lat -R" "$side" \
		"ib_send_lat -R -d $sdev -p @PORT -s 1024 -n 200 -F" \
		"ib_send_lat -R -d $cdev -p @PORT -s 1024 -n 200 -F $s4"
	return 0
}

for pair in $pairs; do
	topo_teardown
	case $pair in
	loop:*)	topo_loopback "${pair#loop:}" || { failures="$failures [$pair: set-up]"; continue; }
		sides=a ;;
	*:*)	topo_two_stacks "${pair%%:*}" "${pair#*:}" ||
			{ failures="$failures [$pair: set-up]"; continue; }
		sides="b a"
		[ "$one_side" = 0 ] || [ "${pair%%:*}" != "${pair#*:}" ] || sides=b ;;
	*)	fail "bad pairing '$pair' (want A:B or loop:T)" ;;
	esac
	note "$pair: $TOPO_A_DEV ($TOPO_A_IP4 $TOPO_A_IP6) <-> $TOPO_B_DEV ($TOPO_B_IP4 $TOPO_B_IP6)"
	for s in $sides; do
		every_tool "$pair" "$s" || break
	done
done

# Unplug with connections up: the device goes while rping runs looped back
# over it (its QP1, the CM's state, both user contexts).  Both processes
# must end, and the device must go, within the time limit.
unplug() {
	local spid cpid end
	topo_teardown
	topo_loopback sodp || { failures="$failures [unplug: set-up]"; return; }
	rping -s -a "$TOPO_A_IP4" -p 20999 -C 1000000 > "$out.server" 2>&1 < /dev/null &
	spid=$!
	end=$(( $(date +%s) + $(scaled 20) ))
	until _listening a 20999 || [ "$(date +%s)" -ge "$end" ]; do sleep 0.2; done
	rping -c -a "$TOPO_A_IP4" -p 20999 -C 1000000 > "$out.client" 2>&1 < /dev/null &
	cpid=$!
	sleep "$(scaled 3)"
	kill -0 "$cpid" 2>/dev/null ||
		{ failures="$failures [unplug: rping ended before the unplug]"; return; }
	timeout "$limit" rdma link delete "$TOPO_A_DEV" ||
		failures="$failures [unplug: link delete failed or hung]"
	end=$(( $(date +%s) + $(scaled 20) ))
	while kill -0 "$spid" 2>/dev/null || kill -0 "$cpid" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$end" ]; then
			failures="$failures [unplug: rping still running]"
			kill -9 "$spid" "$cpid" 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
	wait "$spid" "$cpid" 2>/dev/null || true
	! ibdev_exists "$TOPO_A_DEV" || failures="$failures [unplug: device still there]"
	note "unplug with rping connected: done"
}
unplug

[ -z "$failures" ] || fail "failed:$failures"
