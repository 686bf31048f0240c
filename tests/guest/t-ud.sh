# UD QPs and address handles (ud_ops, tests/guest/c/ud_ops.c): sodp0 looped
# back with pinned MRs; then across a veth pair in two namespaces
# (topo_split), over IPv4 on 1500-byte netdevs: sodpA -> sodpB with
# implicit ODP, and against rxe in both directions.  Datagrams byte-exact
# behind their GRH image, replies through ibv_create_ah_from_wc, Q_Key and
# receive drops, oversize sends, the controlled Q_Key, the Send Queue Error
# state, a destroyed handle, multicast groups.
#
# Then over IPv6 on 9000-byte netdevs (4 KiB datagrams), the tests whose
# outcome the address family and the MTU can change (V6_TESTS): sodpA ->
# sodpB with explicit ODP and rxe in both directions.  What the IPv4 runs
# already showed as an rxe SKIP is not run again there (multicast to rxe,
# the controlled Q_Key from rxe, an RC QP of rxe's).
# sodp-test-timeout: 600
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
sodp_reset
trap topo_teardown EXIT
status=0

"$(cprog ud_ops)" -d sodp0 --mr pinned || status=1
topo_split_each ud_ops "sodp sodp --mr implicit" "sodp rxe" "rxe sodp" ||
	status=1
V6_TESTS="send*,oversize,many"
# The quick suite runs IPv6 between two sodp devices only.
v6=("sodp sodp --ipv6 --mr odp -t $V6_TESTS,mcast*")
if full_suite "ud: IPv6 against rxe"; then
	v6+=("sodp rxe --ipv6 -t $V6_TESTS" "rxe sodp --ipv6 -t $V6_TESTS,mcast,mcast-exit")
fi
TOPO_MTU=9000 topo_split_each ud_ops "${v6[@]}" || status=1
sodp_reset
exit "$status"
