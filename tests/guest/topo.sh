# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Topologies for RDMA traffic between two devices, and the client/server
# choreography to run a tool across them.  Sourced (set -eu safe) by guest
# tests and perftest/bench.sh; runs inside the guest.  Device types: rxe, sodp.
#
#   topo_two_stacks A_TYPE B_TYPE
#       vethA (initial netns, 10.9.2.1/24 fd00:2::1/64) <-> vethB (netns ns1,
#       10.9.2.2/24 fd00:2::2/64), device ${A_TYPE}A on vethA, ${B_TYPE}B on
#       vethB, with RDMA devices in exclusive netns mode so that each stack
#       sees only its own device.  Packets really cross the veth pair (tcpdump
#       or tc netem on vethA see them).
#   topo_split A_TYPE B_TYPE
#       the same veths, namespace and devices as topo_two_stacks, but with
#       RDMA devices in shared netns mode, so that one process in the
#       initial namespace opens both ${A_TYPE}A and ${B_TYPE}B and talks
#       between them across the veth pair (rc_ops -d sodpA -D sodpB).  B is
#       created from inside ns1, where its netdev lives.
#   topo_loopback TYPE
#       vethL (10.9.4.1/24 fd00:4::1/64) <-> vethM, device ${TYPE}L on vethL;
#       A and B are the same device, and B's address is its own.
#   TOPO_MTU=BYTES (environment)
#       the veths' MTU for the topologies built while it is set; from 4200
#       up, topo_split also checks that both devices' active MTU is 4096.
#   topo_teardown
#       remove whatever a topology built (also one left by a killed test);
#       safe to call at any time.  Call it before building one.
#
#   Which end lives in ns1: B's, except where this kernel's rxe receives in
#   the initial namespace only (6.12: no per-namespace sockets) and B is an
#   rxe device facing a sodp A; there A's end (vethA, ${A_TYPE}A, side A's
#   processes) moves to ns1 and B's stays in the initial namespace
#   (TOPO_NS_SIDE=a).  The first topology that meets it finds out and is
#   built again that way; on_a/on_b and on_veth_a/on_veth_b follow.
#
# After a successful topo_*: TOPO_KIND (two-stacks|split|loopback), TOPO_NS_SIDE (a|b), TOPO_A_TYPE,
# TOPO_B_TYPE, TOPO_A_DEV, TOPO_B_DEV, TOPO_A_IP4, TOPO_B_IP4, TOPO_A_IP6,
# TOPO_B_IP6, and GID indexes TOPO_A_GID4, TOPO_A_GID6, TOPO_B_GID4,
# TOPO_B_GID6.  on_a/on_b CMD... run CMD on that side (B: inside ns1 for two
# stacks); in_ns1 CMD... runs CMD in ns1; on_veth_a/on_veth_b CMD... run CMD
# where vethA/vethB are (tc netem on both ends).  topo_* return non-zero after
# printing "topo: ..." on failure; they never exit the caller.
#
# Also: gid_index DEV v4|v6 (the RoCE v2 GID index for an address family),
# topo_exchange (a tool's server on one side, its client on the other) and
# topo_tool_errors (a tool's output without its banner, for failure reports).
#
# The standard bed (sodp0 on veth0, rxe0 on veth2) is not touched: a netdev
# carries at most one rxe device, so every topology has its own veths.

TOPO_NS=ns1
TOPO_STATE=/run/sodp-topo
TOPO_RUN_TIMEOUT=${TOPO_RUN_TIMEOUT:-60}	# seconds for each tool run
# Every device and netdev a topology may create, for teardown.
_TOPO_DEVS="rxeA rxeB rxeL sodpA sodpB sodpL"
_TOPO_NETDEVS="vethA vethB vethL"
# "no" once a topology found that rxe receives in the initial namespace only.
_TOPO_RXE_NETNS=/run/sodp-topo-rxe-netns
TOPO_NS_SIDE=b

_topo_err() { echo "topo: $*" >&2; }

in_ns1() { ip netns exec "$TOPO_NS" "$@"; }
on_veth_a() { if [ "${TOPO_NS_SIDE:-b}" = a ]; then in_ns1 "$@"; else "$@"; fi; }
on_veth_b() { if [ "${TOPO_NS_SIDE:-b}" = a ]; then "$@"; else in_ns1 "$@"; fi; }
on_a() {
	if [ "${TOPO_KIND:-}" = two-stacks ]; then on_veth_a "$@"; else "$@"; fi
}
on_b() {
	if [ "${TOPO_KIND:-}" = two-stacks ]; then on_veth_b "$@"; else "$@"; fi
}
# _topo_on SIDE CMD...: SIDE is a or b.
_topo_on() {
	local side=$1; shift
	if [ "$side" = a ]; then on_a "$@"; else on_b "$@"; fi
}

# gid_index DEV v4|v6: index of DEV's RoCE v2 GID holding its IPv4 address
# (::ffff:a.b.c.d) or its first IPv6 address that is not link-local, as this
# namespace sees DEV.  Builtins only: the table has 1024 entries, and a fork
# per entry costs about a minute under TCG.
gid_index() {
	local port=/sys/class/infiniband/$1/ports/1 fam=$2 n=0 gid type
	while [ -e "$port/gids/$n" ]; do
		read -r gid < "$port/gids/$n" || gid=
		case $gid in
		""|0000:0000:0000:0000:0000:0000:0000:0000) n=$((n + 1)); continue ;;
		esac
		# An empty entry has no type (EINVAL); a used one reads "RoCE v2".
		type=
		read -r type < "$port/gid_attrs/types/$n" 2>/dev/null || true
		if [ "$type" = "RoCE v2" ]; then
			case $fam:$gid in
			v4:0000:0000:0000:0000:0000:ffff:*) echo "$n"; return 0 ;;
			v6:0000:0000:0000:0000:0000:ffff:*|v6:fe80:*) ;;
			v6:*) echo "$n"; return 0 ;;
			esac
		fi
		n=$((n + 1))
	done
	return 1
}

# _topo_ready DEV: wait (in this namespace) until DEV's port is ACTIVE and
# both RoCE v2 GIDs exist (the core fills the GID table asynchronously), then
# print "GID4 GID6".  Run through bash -c in ns1 for side B.
_topo_ready() {
	local dev=$1 state end g4='' g6=''
	end=$(( $(date +%s) + 20 ))
	while :; do
		state=
		read -r _ state < "/sys/class/infiniband/$dev/ports/1/state" 2>/dev/null || true
		if [ "$state" = ACTIVE ]; then
			g4=$(gid_index "$dev" v4) || g4=
			g6=$(gid_index "$dev" v6) || g6=
			[ -z "$g4" ] || [ -z "$g6" ] || break
		fi
		if [ "$(date +%s)" -ge "$end" ]; then
			echo "topo: $dev not ready after 20 s: port '${state:-missing}', GID4 '$g4', GID6 '$g6'" >&2
			return 1
		fi
		sleep 0.2
	done
	echo "$g4 $g6"
}

# _topo_side_ready SIDE DEV: _topo_ready on that side; sets _g4 and _g6.
_topo_side_ready() {
	local out
	out=$(_topo_on "$1" bash -c "$(declare -f gid_index _topo_ready); _topo_ready \"\$1\"" _ "$2") ||
		return 1
	read -r _g4 _g6 <<< "$out"
}

_topo_netns_mode() { rdma system show 2>/dev/null | sed -n 's/.*netns \([a-z]*\).*/\1/p'; }

# _topo_set_netns_mode MODE: the kernel refuses to change the mode (EBUSY)
# while any network namespace other than the initial one exists, and frees a
# deleted namespace asynchronously: retry for a while.
_topo_set_netns_mode() {
	local end
	[ "$(_topo_netns_mode)" != "$1" ] || return 0
	end=$(( $(date +%s) + 5 ))
	until rdma system set netns "$1" 2>/dev/null; do
		[ "$(date +%s)" -lt "$end" ] || break
		sleep 0.2
	done
	[ "$(_topo_netns_mode)" != "$1" ] || return 0
	_topo_err "cannot set RDMA netns mode to $1: the kernel refuses while a" \
		"network namespace other than the initial one exists (ip netns list:" \
		"$(ip netns list | tr '\n' ' '))"
	return 1
}

# _topo_need_type TYPE: the link type's module is loaded.
_topo_need_type() {
	case $1 in
	rxe)	[ -d /sys/module/rdma_rxe ] || modprobe rdma_rxe || {
			_topo_err "cannot load rdma_rxe"; return 1; } ;;
	sodp)	[ -d /sys/module/sodp ] && return 0
		[ -e "${SODP_KO:-}" ] || { _topo_err "sodp is not loaded and no sodp.ko (SODP_KO='${SODP_KO:-}')"; return 1; }
		insmod "$SODP_KO" || { _topo_err "insmod $SODP_KO failed"; return 1; } ;;
	*)	_topo_err "unknown device type '$1' (rxe or sodp)"; return 1 ;;
	esac
}

# _topo_veth A B IP4 IP6 [NS]: a veth pair, A in the initial namespace with
# IP4/IP6, B up (moved to NS when given: the caller addresses it there).
_topo_veth() {
	ip link add "$1" type veth peer name "$2" || { _topo_err "ip link add $1"; return 1; }
	if [ -n "${TOPO_MTU:-}" ]; then
		ip link set "$1" mtu "$TOPO_MTU" && ip link set "$2" mtu "$TOPO_MTU" ||
			{ _topo_err "setting MTU $TOPO_MTU on $1/$2"; return 1; }
	fi
	if [ -n "${5:-}" ]; then
		ip link set "$2" netns "$5" || { _topo_err "moving $2 to $5"; return 1; }
	fi
	# nodad: the addresses are usable at once, not after ~2 s of DAD.
	ip addr add "$3" dev "$1" && ip -6 addr add "$4" dev "$1" nodad &&
		ip link set "$1" up || { _topo_err "configuring $1"; return 1; }
	[ -n "${5:-}" ] || ip link set "$2" up || { _topo_err "setting $2 up"; return 1; }
}

# _topo_add_dev TYPE NAME NETDEV [NS]: create the device and leave it in the
# netdev's namespace.  The link request is sent from inside NS (the netdev
# is only visible there).  A driver may register the device in the netdev's
# namespace (sodp: ib_alloc_device_with_net) or in the initial one (rxe):
# in the latter case move it, which needs exclusive mode and the driver's
# disassociate_ucontext.
# _topo_rxe_receives NS: whether an rxe device in NS can receive.  rxe
# without per-namespace sockets (6.12's) opens UDP port 4791 in the
# initial namespace only, so a device of it in NS would never see a packet
# and every peer's request would time out.  Sets TOPO_RXE_NO_NETNS=1 when
# it cannot, for tests that skip such pairings.
TOPO_RXE_NO_NETNS=0
_topo_rxe_receives() {
	ip netns exec "$1" cat /proc/net/udp /proc/net/udp6 2>/dev/null |
		awk '$2 ~ /:12B7$/ { found = 1 } END { exit !found }' && return 0
	TOPO_RXE_NO_NETNS=1
	_topo_err "rxe in $1 has no UDP socket on port 4791 there: this kernel's rxe receives in the initial namespace only"
	return 1
}

_topo_add_dev() {
	local type=$1 name=$2 ndev=$3 ns=${4:-}
	_topo_need_type "$type" || return 1
	if [ -z "$ns" ]; then
		rdma link add "$name" type "$type" netdev "$ndev" ||
			{ _topo_err "rdma link add $name type $type netdev $ndev failed"; return 1; }
		return 0
	fi
	ip netns exec "$ns" rdma link add "$name" type "$type" netdev "$ndev" ||
		{ _topo_err "rdma link add $name type $type netdev $ndev failed (in $ns)"; return 1; }
	[ "$type" != rxe ] || _topo_rxe_receives "$ns" || return 1
	ip netns exec "$ns" test -e "/sys/class/infiniband/$name" && return 0
	if [ ! -e "/sys/class/infiniband/$name" ]; then
		_topo_err "$name was created but is visible in no namespace"
		return 1
	fi
	rdma dev set "$name" netns "$ns" || {
		_topo_err "$type device $name registered in the initial namespace and cannot" \
			"move to $ns (rdma dev set $name netns $ns failed; a driver needs" \
			"disassociate_ucontext for that, and the mode must be exclusive)"
		return 1
	}
	ip netns exec "$ns" test -e "/sys/class/infiniband/$name" ||
		{ _topo_err "$name moved but is not visible in $ns"; return 1; }
}

_topo_save() {	# remember what teardown must undo, across processes
	mkdir -p "$TOPO_STATE"
	echo "$2" > "$TOPO_STATE/$1"
}

topo_two_stacks() { _topo_build two-stacks "$@"; }
topo_split() { _topo_build split "$@"; }

# _topo_build KIND A_TYPE B_TYPE: topo_two_stacks or topo_split, with B's
# end in ns1, or A's when B must stay in the initial namespace (an rxe
# that receives nowhere else, found out by the first attempt).
_topo_build() {
	local kind=$1 a=$2 b=$3 side=b
	if [ "$b" = rxe ] && [ "$a" != rxe ] &&
	   [ "$(cat "$_TOPO_RXE_NETNS" 2>/dev/null)" = no ]; then
		side=a
	fi
	TOPO_RXE_NO_NETNS=0
	_topo_build_side "$kind" "$a" "$b" "$side" && return 0
	[ "$TOPO_RXE_NO_NETNS" = 1 ] && [ "$side" = b ] && [ "$a" != rxe ] ||
		return 1
	echo no > "$_TOPO_RXE_NETNS"
	_topo_err "building it again with ${a}A in $TOPO_NS and ${b}B in the initial namespace"
	_topo_build_side "$kind" "$a" "$b" a
}

# _topo_build_side KIND A_TYPE B_TYPE NS_SIDE
_topo_build_side() {
	local kind=$1 a=$2 b=$3 mode _g4 _g6 here there hip4 hip6 tip4 tip6
	topo_teardown
	TOPO_KIND='' TOPO_NS_SIDE=$4 TOPO_A_TYPE=$a TOPO_B_TYPE=$b TOPO_A_DEV=${a}A TOPO_B_DEV=${b}B
	TOPO_A_IP4=10.9.2.1 TOPO_B_IP4=10.9.2.2 TOPO_A_IP6=fd00:2::1 TOPO_B_IP6=fd00:2::2

	# Exclusive mode for two stacks (each sees only its own device),
	# shared for a split (one process opens both).  First: the switch is
	# refused once ns1 exists.
	mode=$(_topo_netns_mode)
	[ -e "$TOPO_STATE/netns-mode" ] || _topo_save netns-mode "${mode:-shared}"
	if [ "$kind" = two-stacks ]; then
		_topo_set_netns_mode exclusive || return 1
	else
		_topo_set_netns_mode shared || return 1
	fi
	ip netns add "$TOPO_NS" || { _topo_err "ip netns add $TOPO_NS"; return 1; }
	in_ns1 ip link set lo up
	# here: the side in the initial namespace; there: the side in ns1.
	if [ "$TOPO_NS_SIDE" = b ]; then here=A there=B; else here=B there=A; fi
	eval "hip4=\$TOPO_${here}_IP4 hip6=\$TOPO_${here}_IP6"
	eval "tip4=\$TOPO_${there}_IP4 tip6=\$TOPO_${there}_IP6"
	_topo_veth "veth$here" "veth$there" "$hip4/24" "$hip6/64" "$TOPO_NS" || return 1
	in_ns1 sh -c "ip addr add $tip4/24 dev veth$there &&
		ip -6 addr add $tip6/64 dev veth$there nodad && ip link set veth$there up" ||
		{ _topo_err "configuring veth$there in $TOPO_NS"; return 1; }

	if [ "$kind" = two-stacks ]; then
		if [ "$TOPO_NS_SIDE" = b ]; then
			_topo_add_dev "$a" "$TOPO_A_DEV" vethA || return 1
			_topo_add_dev "$b" "$TOPO_B_DEV" vethB "$TOPO_NS" || return 1
		else
			_topo_add_dev "$a" "$TOPO_A_DEV" vethA "$TOPO_NS" || return 1
			_topo_add_dev "$b" "$TOPO_B_DEV" vethB || return 1
		fi
		TOPO_KIND=two-stacks
		_topo_side_ready a "$TOPO_A_DEV" || return 1
		TOPO_A_GID4=$_g4 TOPO_A_GID6=$_g6
		_topo_side_ready b "$TOPO_B_DEV" || return 1
		TOPO_B_GID4=$_g4 TOPO_B_GID6=$_g6
	else
		# The device on ns1's end is created from inside ns1, where its
		# netdev lives; shared mode shows both devices here, with B's GIDs.
		if [ "$TOPO_NS_SIDE" = b ]; then
			_topo_add_dev "$a" "$TOPO_A_DEV" vethA || return 1
			_topo_split_dev_in_ns1 "$b" "$TOPO_B_DEV" vethB || return 1
		else
			_topo_split_dev_in_ns1 "$a" "$TOPO_A_DEV" vethA || return 1
			_topo_add_dev "$b" "$TOPO_B_DEV" vethB || return 1
		fi
		TOPO_KIND=split
		_topo_side_ready a "$TOPO_A_DEV" || return 1
		TOPO_A_GID4=$_g4 TOPO_A_GID6=$_g6
		_topo_side_ready a "$TOPO_B_DEV" || return 1
		TOPO_B_GID4=$_g4 TOPO_B_GID6=$_g6
	fi
	# Resolve neighbours both ways now, so the first RDMA packets are not
	# dropped waiting for ARP/ND (a ~1 s retransmission stall otherwise).
	on_veth_a ping -q -c 1 -W 5 "$TOPO_B_IP4" > /dev/null &&
		on_veth_a ping -q -6 -c 1 -W 5 "$TOPO_B_IP6" > /dev/null &&
		on_veth_b ping -q -c 1 -W 5 "$TOPO_A_IP4" > /dev/null &&
		on_veth_b ping -q -6 -c 1 -W 5 "$TOPO_A_IP6" > /dev/null ||
		{ _topo_err "no IP connectivity across vethA-vethB"; return 1; }
	if [ "$kind" = split ]; then
		_topo_check_mtu "$TOPO_A_DEV" && _topo_check_mtu "$TOPO_B_DEV" || return 1
	fi
	export TOPO_KIND TOPO_NS_SIDE TOPO_A_TYPE TOPO_B_TYPE TOPO_A_DEV TOPO_B_DEV \
		TOPO_A_IP4 TOPO_B_IP4 TOPO_A_IP6 TOPO_B_IP6 \
		TOPO_A_GID4 TOPO_A_GID6 TOPO_B_GID4 TOPO_B_GID6
}

# _topo_split_dev_in_ns1 TYPE NAME NETDEV: a split's device on ns1's end.
_topo_split_dev_in_ns1() {
	_topo_need_type "$1" || return 1
	in_ns1 rdma link add "$2" type "$1" netdev "$3" ||
		{ _topo_err "rdma link add $2 type $1 netdev $3 failed (in $TOPO_NS)"; return 1; }
	[ "$1" != rxe ] || _topo_rxe_receives "$TOPO_NS"
}

# _topo_check_mtu DEV: with TOPO_MTU of 4200 or more (room for a 4096-byte
# payload and RoCEv2's headers), DEV's active MTU must be 4096, or the
# tests meant for 4 KiB packets would quietly run with smaller ones.
_topo_check_mtu() {
	local got
	[ "${TOPO_MTU:-0}" -ge 4200 ] || return 0
	got=$(ibv_devinfo -d "$1" 2>/dev/null | sed -n 's/^[[:space:]]*active_mtu:[[:space:]]*\([0-9]*\).*/\1/p')
	[ "$got" = 4096 ] && return 0
	_topo_err "$1: active MTU '${got:-unknown}' on a ${TOPO_MTU}-byte netdev, not 4096"
	return 1
}

# topo_split_each PROG "A B [ARGS]"...: for each pair of device types,
# build topo_split A B and run the test program PROG from A's device to
# B's (cprog PROG -d AA -D BB ARGS).  TOPO_MTU, if set, is the veths' MTU.
# Return: 1 if a run failed; a topology that cannot be built ends the test
# (fail).
topo_split_each() {
	local prog=$1 pair a b args st=0
	shift
	for pair in "$@"; do
		read -r a b args <<< "$pair"
		topo_split "$a" "$b" || fail "cannot build ${a}A <-> ${b}B"
		# shellcheck disable=SC2086 # ARGS are options: split on purpose
		"$(cprog "$prog")" -d "${a}A" -D "${b}B" $args || st=1
		topo_teardown
	done
	return "$st"
}

topo_loopback() {
	local t=$1 _g4 _g6
	topo_teardown
	TOPO_KIND='' TOPO_A_TYPE=$t TOPO_B_TYPE=$t TOPO_A_DEV=${t}L TOPO_B_DEV=${t}L
	TOPO_A_IP4=10.9.4.1 TOPO_B_IP4=10.9.4.1 TOPO_A_IP6=fd00:4::1 TOPO_B_IP6=fd00:4::1
	_topo_veth vethL vethM "$TOPO_A_IP4/24" "$TOPO_A_IP6/64" || return 1
	_topo_add_dev "$t" "$TOPO_A_DEV" vethL || return 1
	TOPO_KIND=loopback
	_topo_side_ready a "$TOPO_A_DEV" || return 1
	TOPO_A_GID4=$_g4 TOPO_A_GID6=$_g6 TOPO_B_GID4=$_g4 TOPO_B_GID6=$_g6
	export TOPO_KIND TOPO_A_TYPE TOPO_B_TYPE TOPO_A_DEV TOPO_B_DEV TOPO_A_IP4 TOPO_B_IP4 \
		TOPO_A_IP6 TOPO_B_IP6 TOPO_A_GID4 TOPO_A_GID6 TOPO_B_GID4 TOPO_B_GID6
}

# Never fails: it undoes what exists and warns about what it cannot.
# Devices go first, each deleted where it is visible, while their netdevs
# still exist: deleting ns1 or a veth first makes the drivers remove the
# devices asynchronously, racing with the deletes here.
topo_teardown() {
	local d pid ns=0
	[ -e "/run/netns/$TOPO_NS" ] && ns=1
	if [ "$ns" = 1 ]; then
		# Processes left in ns1 (a server whose client died) hold contexts
		# on its device; they are ours, end them by pid.
		for pid in $(ip netns pids "$TOPO_NS" 2>/dev/null); do
			kill "$pid" 2>/dev/null || true
		done
		for d in $_TOPO_DEVS; do
			in_ns1 test -e "/sys/class/infiniband/$d" 2>/dev/null || continue
			in_ns1 rdma link delete "$d" 2>/dev/null ||
				! in_ns1 test -e "/sys/class/infiniband/$d" ||
				_topo_err "warning: cannot delete $d in $TOPO_NS"
		done
	fi
	for d in $_TOPO_DEVS; do
		[ -e "/sys/class/infiniband/$d" ] || continue
		rdma link delete "$d" 2>/dev/null || [ ! -e "/sys/class/infiniband/$d" ] ||
			_topo_err "warning: cannot delete $d"
	done
	if [ "$ns" = 1 ]; then
		ip netns del "$TOPO_NS" || _topo_err "warning: ip netns del $TOPO_NS failed"
	fi
	for d in $_TOPO_NETDEVS; do
		ip link show "$d" > /dev/null 2>&1 || continue
		ip link del "$d" 2>/dev/null || ! ip link show "$d" > /dev/null 2>&1 ||
			_topo_err "warning: cannot delete $d"
	done
	if [ -e "$TOPO_STATE/netns-mode" ]; then
		_topo_set_netns_mode "$(cat "$TOPO_STATE/netns-mode")" &&
			rm -f "$TOPO_STATE/netns-mode" || true
	fi
	TOPO_KIND= TOPO_NS_SIDE=b
	return 0
}

# _topo_listening SIDE PORT: a TCP socket listens on PORT on that side.
_topo_listening() {
	[ -n "$(_topo_on "$1" ss -Hltn "sport = :$2" 2>/dev/null)" ]
}

# topo_exchange SERVER_SIDE FAM PORT OUT TOOL ARGS...
# Run TOOL (ibv_*_pingpong or perftest's ib_*) as a server on SERVER_SIDE
# (a|b) and as a client on the other side, each on its side's device and
# RoCE v2 GID of family FAM (v4|v6), with ARGS on both.  The out-of-band TCP
# exchange always goes to the server's IPv4 address on PORT (use a new port
# per run: a port in TIME_WAIT can make the next server's bind fail).
# Output: OUT.server and OUT.client.  Each run is limited to
# TOPO_RUN_TIMEOUT seconds.  Returns 0 iff both ends exit 0; their exit
# statuses are left in TOPO_CLIENT_RC and TOPO_SERVER_RC (124: timed out).
topo_exchange() {
	local sside=$1 fam=$2 port=$3 out=$4 tool=$5 cside sdev cdev sgid cgid saddr gflag spid rc src end
	local -a pfx
	shift 5
	case $fam in v4|v6) ;; *) _topo_err "topo_exchange: family '$fam'"; return 1 ;; esac
	case $tool in ibv_*) gflag=-g ;; *) gflag=-x ;; esac	# pingpong: -g; perftest: -x
	if [ "$sside" = a ]; then
		cside=b sdev=$TOPO_A_DEV cdev=$TOPO_B_DEV saddr=$TOPO_A_IP4
		if [ "$fam" = v4 ]; then sgid=$TOPO_A_GID4 cgid=$TOPO_B_GID4; else sgid=$TOPO_A_GID6 cgid=$TOPO_B_GID6; fi
	else
		cside=a sdev=$TOPO_B_DEV cdev=$TOPO_A_DEV saddr=$TOPO_B_IP4
		if [ "$fam" = v4 ]; then sgid=$TOPO_B_GID4 cgid=$TOPO_A_GID4; else sgid=$TOPO_B_GID6 cgid=$TOPO_A_GID6; fi
	fi
	# Not through _topo_on: $! must be the server itself (ip netns exec
	# execs timeout, which passes a kill on to the tool), not a subshell.
	pfx=()
	# Two stacks: the server's side is the one in ns1 when it is
	# TOPO_NS_SIDE (b, or a when rxe can only receive in init_net).
	if [ "$TOPO_KIND" = two-stacks ] && [ "$sside" = "$TOPO_NS_SIDE" ]; then
		pfx=(ip netns exec "$TOPO_NS")
	fi
	"${pfx[@]}" timeout "$TOPO_RUN_TIMEOUT" "$tool" -d "$sdev" "$gflag" "$sgid" \
		-p "$port" "$@" > "$out.server" 2>&1 < /dev/null &
	spid=$!
	# Start the client only once the server listens: a client that finds
	# no listener gives up at once.
	end=$(( $(date +%s) + 20 ))
	until _topo_listening "$sside" "$port"; do
		if ! kill -0 "$spid" 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; then
			echo "topo: $tool server on $sdev did not listen on port $port" > "$out.client"
			kill "$spid" 2>/dev/null || true
			src=0
			wait "$spid" 2>/dev/null || src=$?
			TOPO_CLIENT_RC=none TOPO_SERVER_RC=$src
			return 1
		fi
		sleep 0.1
	done
	rc=0
	_topo_on "$cside" timeout "$TOPO_RUN_TIMEOUT" "$tool" -d "$cdev" "$gflag" "$cgid" \
		-p "$port" "$@" "$saddr" > "$out.client" 2>&1 < /dev/null || rc=$?
	# A failed client can leave the server waiting for ever; give it a
	# moment to notice, then end it.
	if [ "$rc" != 0 ]; then
		sleep 1
		kill "$spid" 2>/dev/null || true
	fi
	src=0
	wait "$spid" || src=$?
	TOPO_CLIENT_RC=$rc TOPO_SERVER_RC=$src
	[ "$rc" = 0 ] && [ "$src" = 0 ]
}

# topo_sodp_counters: the non-zero counters of the topology's sodp devices
# (rdma statistic), one line per device, to show why a run failed: rx
# drops, retransmissions, NAKs.
topo_sodp_counters() {
	local d
	for d in "$TOPO_A_DEV" "$TOPO_B_DEV"; do
		case $d in sodp*) ;; *) continue ;; esac
		rdma statistic show link "$d/1" 2>/dev/null |
			awk '{ out = $2 ":"
			       for (i = 3; i < NF; i += 2)
				       if ($(i + 1) != 0) out = out " " $i "=" $(i + 1)
			       print out }'
	done
}

# topo_tool_errors FILE: what a tool's output says beyond perftest's banner
# (settings, addresses, GIDs, rules, result header), to show on failure.
# Settings have a blank before their colon, error messages do not.
topo_tool_errors() {
	grep -v -E -e '^ *[A-Za-z][^:]*[[:space:]]: ' -e 'PCIe relax order' \
		-e 'inline feature' -e '^-+$' -e '^ *(local|remote) address' \
		-e '^ *GID: ' -e '^\*+$' -e 'Waiting for client' -e '^ *#bytes' \
		-e ' Test *$' -e '^ *$' "$1" || true
}
