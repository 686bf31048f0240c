# sodp0 is visible to the stock tools: rdma, ibv_devices, ibv_devinfo, sysfs.
. "$(dirname "$0")/lib.sh"
sodp_reset

rdma link show sodp0/1 | grep -q 'state ACTIVE physical_state LINK_UP netdev veth0' ||
	fail "rdma link: $(rdma link show sodp0/1)"
ibv_devices | grep -qw sodp0 || fail "ibv_devices does not list sodp0"
info=$(ibv_devinfo -v -d sodp0)
echo "$info" | grep -q 'state:.*PORT_ACTIVE' || fail "not PORT_ACTIVE"
echo "$info" | grep -q 'link_layer:.*Ethernet' || fail "not Ethernet"
echo "$info" | grep -q 'active_mtu:.*1024' || fail "active_mtu"
echo "$info" | grep -q '::ffff:10.9.0.1, RoCE v2' || fail "no IPv4 RoCEv2 GID"
echo "$info" | grep -q 'fd00::1, RoCE v2' || fail "no IPv6 RoCEv2 GID"
[ "$(cat /sys/class/infiniband/sodp0/hca_type)" = sodp ] || fail hca_type
[ "$(cat /sys/class/infiniband/sodp0/parent)" = veth0 ] || fail parent

# Node GUID: EUI-64 of veth0's MAC (ff:fe inserted, U/L bit flipped).
mac=$(cat /sys/class/net/veth0/address)
IFS=: read -r m0 m1 m2 m3 m4 m5 <<< "$mac"
want=$(printf '%02x%s:%sff:fe%s:%s%s' $((0x$m0 ^ 2)) "$m1" "$m2" "$m3" "$m4" "$m5")
[ "$(cat /sys/class/infiniband/sodp0/node_guid)" = "$want" ] ||
	fail "node_guid $(cat /sys/class/infiniband/sodp0/node_guid) != $want"
