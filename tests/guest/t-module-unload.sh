# rmmod with devices present removes them, even with a process using one.
. "$(dirname "$0")/lib.sh"
sodp_reset
rdma link add sodp1 type sodp netdev veth1
rmmod sodp
sh -c '! grep -qs "^sodp$" /sys/class/infiniband/*/hca_type' ||
	fail "devices survived rmmod"
rdma link show | grep -q sodp && fail "rdma link still shows sodp"

# A process with the device open does not pin the module: sodp supports
# disassociation, so unload removes the device under it and the process is
# told with DEVICE_FATAL.
sodp_reset
out=/tmp/hold.out
"$(cprog sodp_verbs)" hold > "$out" 2>&1 &
pid=$!
wait_for 10 grep -q ready "$out" || fail "hold did not start"
rmmod sodp || fail "rmmod refused with a context open"
wait "$pid" || { cat "$out"; fail "holder failed"; }
grep -q 'event local catastrophic error' "$out" || fail "no DEVICE_FATAL: $(cat "$out")"
sodp_reset
