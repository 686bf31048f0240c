# ODP faults that sleep far longer than the requester's ACK timeout: B's
# ODP memory is a mapping of a block device whose reads take 0.8 s
# (device-mapper's delay target), A's QP gives up after a quarter second
# without an answer.  WRITE, SEND and WRITE with immediate must succeed
# with exact data, B answering with RNR NAKs while its fault sleeps aside
# (odp_slow): looped back on sodp0 with explicit and implicit ODP MRs, and
# from sodpA to sodpB across a veth pair.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
sodp_reset

note "looped back on sodp0, explicit ODP (${SECONDS}s)"
"$(cprog odp_slow)" -d sodp0 --mr odp
note "looped back on sodp0, implicit ODP (${SECONDS}s)"
"$(cprog odp_slow)" -d sodp0 --mr implicit

topo_split sodp sodp || fail "cannot build sodpA <-> sodpB"
note "sodpA -> sodpB across a veth, explicit ODP (${SECONDS}s)"
"$(cprog odp_slow)" -d sodpA -D sodpB --mr odp
topo_teardown
sodp_reset
