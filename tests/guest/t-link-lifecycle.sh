# rdma link add/delete, refusals, and removal when the netdev goes away.
. "$(dirname "$0")/lib.sh"
sodp_reset

rdma link delete sodp0
ibdev_exists sodp0 && fail "sodp0 survived link delete"
rdma link add sodp0 type sodp netdev veth0
ibdev_exists sodp0 || fail "re-add failed"

# One sodp device per netdev; Ethernet only; names must be unique.
expect_fail rdma link add sodpdup type sodp netdev veth0
ibdev_exists sodpdup && fail "duplicate device on veth0"
expect_fail rdma link add sodplo type sodp netdev lo
expect_fail rdma link add sodp0 type sodp netdev veth1
expect_fail rdma link add rxe0 type sodp netdev veth1

# A second device on another netdev.
rdma link add sodp1 type sodp netdev veth1
n=$(grep -l '^sodp$' /sys/class/infiniband/*/hca_type | wc -l)
[ "$n" = 2 ] || fail "expected 2 sodp devices, have $n"

# Deleting the netdev removes the device bound to it.
ip link del veth0		# also removes veth1, and so both devices
wait_for 10 sh -c '! grep -qs "^sodp$" /sys/class/infiniband/*/hca_type' ||
	fail "devices survived netdev removal"
sodp_reset
