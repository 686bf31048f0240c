# The RC data path of sodp0 with pinned MRs, per opcode and per error case:
# rc_ops runs every test on QP pairs in loopback (both QPs on sodp0):
# opcodes, SGE counts, sizes around the MTU and large messages, inline,
# unsignaled WRs, remote and local error completions and flushes, RNR,
# destruction with work outstanding, completion channels, CQ resize,
# extended verbs, 1000 outstanding WRs, PSN wrap, QP state machine.
# Byte-exact data checks, every completion field checked.  (Reference: the
# same program passes on rxe0, see the comment at the top of
# tests/guest/c/rc_ops.c.)  ODP MRs: t-rc-ops-odp; two devices:
# t-rc-ops-two-devs.
#
# Loopback QP pairs send SENDs, WRITEs and READ responses in bursts of up
# to 31 path MTUs (docs/datapath.md): the data tests run again at path
# MTU 256 (124 MTUs a burst, the send window cutting them) and 4096 (7,
# on a device over a 9000-byte veth), and each run must have sent bursts
# (loopback_bursts), so that a burst path that was never taken cannot pass.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
sodp_reset

bursts() { cat "/sys/class/infiniband/$1/ports/1/hw_counters/loopback_bursts"; }
# The tests whose data or PSNs a burst carries.
burst_tests='op-send*,op-write*,op-read,sge-*,size-*,large-*,unsignaled'
burst_tests="$burst_tests,err-write-right-revoked,err-recv-too-small*"
burst_tests="$burst_tests,rnr-retry,many-outstanding,psn-wrap,bidir"
burst_tests="$burst_tests,destroy-busy*,dereg-busy-*"

b0=$(bursts sodp0)
"$(cprog rc_ops)" -d sodp0 --mr pinned
[ "$(bursts sodp0)" -gt "$b0" ] || fail "rc_ops sent no loopback burst on sodp0"

note "path MTU 256 (${SECONDS}s)"
b0=$(bursts sodp0)
"$(cprog rc_ops)" -d sodp0 --mr pinned --mtu 256 -t "$burst_tests"
[ "$(bursts sodp0)" -gt "$b0" ] || fail "no loopback burst at path MTU 256"

note "path MTU 4096 (${SECONDS}s)"
trap topo_teardown EXIT
TOPO_MTU=9000 topo_loopback sodp || fail "cannot create sodpL on a 9000-byte veth"
mtu=$(ibv_devinfo -d sodpL | awk '/active_mtu/ { print $2; exit }')
[ "$mtu" = 4096 ] || fail "sodpL's active MTU is $mtu, not 4096"
"$(cprog rc_ops)" -d sodpL --mr pinned -t "$burst_tests"
[ "$(bursts sodpL)" -gt 0 ] || fail "no loopback burst at path MTU 4096"
topo_teardown
trap - EXIT
sodp_reset
