#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# UCX and Open MPI over sodp, unchanged (Debian's ucx-utils and
# openmpi-bin in the guest root).  Across a veth pair in two namespaces
# (topo_split): ucx_perftest with its server on B in ns1 and its client on
# A, UCT tests over rc_verbs and ud_verbs and UCP tag matching, RMA and
# rendezvous over RC (UD for wireup) and over UD alone, then with
# UCX_IB_REG_METHODS=odp (UCX registers ODP MRs); then mpi_ring (a message
# ring with every byte checked, MPI_Put/MPI_Get) with Open MPI's UCX PML,
# two ranks on the two devices, with and without ODP.  sodpA -> sodpB,
# then rxeA -> sodpB; rxe reports no packet type in a UD completion's sl,
# so the rxe run turns UCX's check of a datagram's destination GID off
# (UCX_UD_ETH_DGID_CHECK=n; docs/architecture.md).  Commands and results:
# docs/applications.md.  Runs inside the guest:
#
#   tools/vm/run.sh --timeout 1500 -- tests/guest/ucx-apps.sh [--short]
#
# --short (t-ucx in the quick suite, every CI run): four cases, UCT over
# rc_verbs, UCP over UD, rendezvous from ODP memory, an MPI ring; without
# it (t-ucx in the full suite), every case, rxe's UCX against sodp's
# included, ~7 min.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
sodp_reset
trap topo_teardown EXIT
short=0
[ "${1:-}" = --short ] && short=1
status=0 passed=0 failed=0
port=13337
rc_ud="UCX_TLS=rc_verbs,ud_verbs,self"
log=$(mktemp -d)

# A TCP port that is listening in ns1.
listening() { in_ns1 ss -Hltn "sport = :$1" | grep -q .; }
# Port $1 listening, or server $2 gone (no use waiting for it then).
listening_or_gone() { listening "$1" || ! kill -0 "$2"; }

# ucx NAME A B [VAR=VALUE...] -- PERFTEST-ARGS: ucx_perftest's server on
# B (in ns1), its client on A; both must exit 0 and the client print its
# "Final:" line.  A UCT test (-x TL) gets each side's own -d.
ucx() {
	local name=$1 a=$2 b=$3 envs=() uct=0 srv rc=0 src=0
	shift 3
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	case " $* " in *" -x "*) uct=1 ;; esac
	port=$((port + 1))
	# shellcheck disable=SC2046 # -d DEV, or nothing
	in_ns1 env "${envs[@]}" UCX_NET_DEVICES="$b:1" timeout "$(scaled 120)" \
		ucx_perftest -P 0 -p "$port" $([ "$uct" = 1 ] && echo -d "$b:1") \
		"$@" > "$log/srv" 2>&1 &
	srv=$!
	# ucx_perftest listens only once UCX's libraries have loaded and
	# set themselves up: over 10 s on a loaded CI machine under TCG, where
	# the client, knocking first, was refused.  So wait for the port (or
	# the server's end) as long as most of the server's own time limit.
	wait_for 90 listening_or_gone "$port" "$srv" ||
		echo "# ucx: server not listening on $port after $(scaled 90) s" >&2
	# shellcheck disable=SC2046
	env "${envs[@]}" UCX_NET_DEVICES="$a:1" timeout "$(scaled 120)" \
		ucx_perftest -P 0 -p "$port" $([ "$uct" = 1 ] && echo -d "$a:1") \
		"$@" 10.9.2.2 > "$log/cli" 2>&1 || rc=$?
	wait "$srv" || src=$?
	if [ "$rc" = 0 ] && [ "$src" = 0 ] && grep -q '^Final:' "$log/cli"; then
		passed=$((passed + 1))
		echo "ok - $name: $(grep '^Final:' "$log/cli" | tr -s ' ')"
	else
		failed=$((failed + 1)) status=1
		echo "not ok - $name (client exit $rc, server exit $src)"
		tail -n 15 "$log/cli" | sed 's/^/#   client: /'
		tail -n 15 "$log/srv" | sed 's/^/#   server: /'
	fi
}

# The cases only the whole run has.
omitted=0
full() {
	if [ "$short" = 1 ]; then omitted=$((omitted + 1)); else "$@"; fi
}

# Packets device $1 has received (rxe calls the counter rcvd_pkts).
rx_packets() {
	local c=/sys/class/infiniband/$1/ports/1/hw_counters
	cat "$c/rx_packets" 2> /dev/null || cat "$c/rcvd_pkts"
}

# mpi NAME A B [VAR=VALUE...]: mpi_ring with rank 0 on A, rank 1 on B,
# over RC and UD only (no shared memory), checked to have crossed A.
# One app context whose ranks pick their device: Debian's prterun 5.0.7
# crashes on MPMD command lines ("-np 1 X : -np 1 Y"), with any program.
mpi() {
	local name=$1 a=$2 b=$3 x=() v out rx
	# shellcheck disable=SC2016 # expanded by the rank's shell
	local pick='[ "$OMPI_COMM_WORLD_RANK" = 0 ] && d=$SODP_DEV_A || d=$SODP_DEV_B
		UCX_NET_DEVICES=$d:1 exec "$0" "$@"'
	shift 3
	for v in "$@" "$rc_ud" SODP_DEV_A="$a" SODP_DEV_B="$b"; do
		x+=(-x "$v")
	done
	rx=$(rx_packets "$a")
	if out=$(timeout "$(scaled 300)" mpirun --allow-run-as-root --oversubscribe -np 2 \
		--mca pml ucx --mca osc ucx "${x[@]}" \
		bash -c "$pick" "$(cprog mpi_ring)" 3 2>&1) &&
		grep -q '^mpi_ring: ok' <<< "$out" &&
		[ $(($(rx_packets "$a") - rx)) -gt 1000 ]; then
		passed=$((passed + 1))
		echo "ok - $name: $(grep '^mpi_ring:' <<< "$out"), $(($(rx_packets "$a") - rx)) packets in on $a"
	else
		failed=$((failed + 1)) status=1
		echo "not ok - $name"
		tail -n 20 <<< "$out" | sed 's/^/#   /'
	fi
}

topo_split sodp sodp || fail "cannot build sodpA <-> sodpB"
A=sodpA B=sodpB
full ucx "uct rc_verbs am_lat" $A $B -- -x rc_verbs -t am_lat -n 1000
ucx "uct rc_verbs put_bw 64 KiB" $A $B -- -x rc_verbs -t put_bw -D zcopy -s 65536 -n 200
full ucx "uct rc_verbs get_bw 64 KiB" $A $B -- -x rc_verbs -t get_bw -D zcopy -s 65536 -n 200
full ucx "uct ud_verbs am_lat" $A $B -- -x ud_verbs -t am_lat -n 1000
full ucx "ucp rc tag_lat" $A $B "$rc_ud" -- -t tag_lat -n 1000
full ucx "ucp rc tag_bw 1 MiB (rendezvous)" $A $B "$rc_ud" -- -t tag_bw -s 1048576 -n 50
full ucx "ucp rc put_bw 1 MiB" $A $B "$rc_ud" -- -t ucp_put_bw -s 1048576 -n 50
full ucx "ucp rc get 1 MiB" $A $B "$rc_ud" -- -t ucp_get -s 1048576 -n 50
ucx "ucp ud tag_lat" $A $B UCX_TLS=ud_verbs,self -- -t tag_lat -n 1000
full ucx "ucp ud tag_bw 64 KiB" $A $B UCX_TLS=ud_verbs,self -- -t tag_bw -s 65536 -n 50
ucx "ucp rc odp tag_bw 4 MiB (rendezvous)" $A $B "$rc_ud" UCX_IB_REG_METHODS=odp -- \
	-t tag_bw -s 4194304 -n 20
full ucx "ucp rc odp get 1 MiB" $A $B "$rc_ud" UCX_IB_REG_METHODS=odp -- -t ucp_get -s 1048576 -n 50
mpi "mpi ring sodp<->sodp" $A $B
full mpi "mpi ring sodp<->sodp, odp" $A $B UCX_IB_REG_METHODS=odp
topo_teardown

topo_split rxe sodp || fail "cannot build rxeA <-> sodpB"
A=rxeA
nodgid=UCX_UD_ETH_DGID_CHECK=n
full ucx "rxe->sodp uct rc_verbs put_bw 64 KiB" $A $B -- -x rc_verbs -t put_bw -D zcopy -s 65536 -n 200
full ucx "rxe->sodp ucp rc tag_lat" $A $B "$rc_ud" $nodgid -- -t tag_lat -n 1000
full ucx "rxe->sodp ucp rc tag_bw 1 MiB" $A $B "$rc_ud" $nodgid -- -t tag_bw -s 1048576 -n 50
full ucx "rxe->sodp ucp ud tag_lat" $A $B UCX_TLS=ud_verbs,self $nodgid -- -t tag_lat -n 1000
full mpi "mpi ring rxe<->sodp" $A $B $nodgid
topo_teardown
rm -rf "$log"
sodp_reset
[ "$omitted" = 0 ] ||
	echo "SKIP: ucx-apps --short: $omitted cases left to the whole run (tools/sodp-vm test --full)"
echo "# ucx-apps: $passed passed, $failed failed"
exit "$status"
