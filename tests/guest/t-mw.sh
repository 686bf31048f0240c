# Memory windows and invalidation (mw_ops, tests/guest/c/mw_ops.c): type 1
# and type 2 windows, bind, rebind, unbind, LOCAL_INV, SEND_WITH_INV,
# zero-based windows, the binds an MR refuses, dereg of a bound MR.
# sodp0 looped back with pinned, explicit ODP and implicit ODP MRs under
# the windows; then across a veth pair in two namespaces (topo_split):
# sodpA -> sodpB (ODP windows too), rxeA -> sodpB (rxe's requester into
# sodp's windows), and sodpA -> rxeB on the tests whose outcome IBTA fixes
# (sodp's requester, SEND_WITH_INV included, against rxe's windows;
# mw_ops.c says which and why).
# sodp-test-timeout: 600
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
sodp_reset
trap topo_teardown EXIT
status=0

# The quick suite leaves out ODP looped back and explicit ODP across the
# veth: implicit ODP still runs across it.
mrs="pinned" splits=("sodp sodp --mr implicit -t t1-rdma,t2-send-inv,zero-based")
if full_suite "mw: ODP looped back, explicit ODP across the veth"; then
	mrs="pinned odp implicit"
	splits+=("sodp sodp --mr odp -t t1-rdma,t2-send-inv,zero-based")
fi
for mr in $mrs; do
	"$(cprog mw_ops)" -d sodp0 --mr "$mr" || status=1
done
topo_split_each mw_ops "sodp sodp" "${splits[@]}" \
	"rxe sodp" \
	"sodp rxe -t t1-rights,t1-rebind,t1-unbind,t2-local-inv,t2-send-inv,t2-dealloc" ||
	status=1
sodp_reset
exit "$status"
