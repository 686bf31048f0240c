# The port follows the netdev: carrier, admin state, MTU, and async events.
. "$(dirname "$0")/lib.sh"
sodp_reset

ip link set veth1 down		# peer down: veth0 loses carrier
wait_for 10 test "$(port_state sodp0)" = DOWN || fail "no DOWN on carrier loss"
ibv_devinfo -d sodp0 | grep -q 'PORT_DOWN' || fail "ibv_devinfo not PORT_DOWN"
ip link set veth1 up
wait_for 10 test "$(port_state sodp0)" = ACTIVE || fail "no ACTIVE on carrier"

ip link set veth0 down
wait_for 10 test "$(port_state sodp0)" = DOWN || fail "no DOWN on admin down"
ip link set veth0 up
wait_for 10 test "$(port_state sodp0)" = ACTIVE || fail "no ACTIVE on admin up"

ip link set veth0 mtu 9000
ibv_devinfo -d sodp0 | grep -q 'active_mtu:.*4096' || fail "mtu 9000 -> 4096"
ip link set veth0 mtu 1500
ibv_devinfo -d sodp0 | grep -q 'active_mtu:.*1024' || fail "mtu 1500 -> 1024"

# Async events reach a verbs consumer.
out=/tmp/port-events.out
"$(cprog sodp_verbs)" port-events > "$out" 2>&1 &
pid=$!
wait_for 10 grep -q ready "$out" || fail "port-events did not start"
ip link set veth1 down
sleep 1
ip link set veth1 up
wait "$pid" || { cat "$out"; fail "port events not delivered"; }
grep -q 'event port error' "$out" && grep -q 'event port active' "$out" ||
	fail "events: $(cat "$out")"
