# Transient ODP failures are not errors.  With the module parameter
# odp_defer_every=N, every Nth ODP fault or exclusive conversion answers
# "not now" (-EAGAIN), as an invalidation storm or a failed allocation
# would.  The responder must answer those packets with RNR NAKs and the
# requester retry them, so that data and atomics come out exact, nothing
# gets an error NAK and no QP dies: odp's data tests (loopback, and across
# a veth to a second sodp device) and perftest --odp write/read/atomic
# across the veth run with injection on, and the counters must show the
# deferrals and RNR NAKs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
sodp_reset

param=/sys/module/sodp/parameters/odp_defer_every
[ -w "$param" ] || fail "no $param"
cleanup() { echo 0 > "$param"; topo_teardown 2>/dev/null || true; }
trap cleanup EXIT

# Sum of one hw counter over every sodp device.
total() {
	local sum=0 f
	for f in /sys/class/infiniband/*/ports/1/hw_counters/"$1"; do
		[ -e "$f" ] || continue
		[ "$(cat "${f%/ports/*}/hca_type")" = sodp ] || continue
		sum=$((sum + $(cat "$f")))
	done
	echo "$sum"
}

topo_two_stacks sodp sodp || fail "cannot build two sodp stacks"
d0=$(total odp_deferred) r0=$(total rnr_nak_sent) e0=$(total error_nak_sent)
echo 3 > "$param"

note "odp data tests, loopback on sodp0, every 3rd fault deferred (${SECONDS}s)"
"$(cprog odp)" -d sodp0 -t 'ops,atomic-exclusive'

note "perftest --odp across the veth (sodp -> sodp), every 3rd fault deferred (${SECONDS}s)"
port=19700
for tool in ib_write_bw ib_read_bw ib_atomic_bw; do
	port=$((port + 1))
	sz=(-s 65536)
	[ "$tool" = ib_atomic_bw ] && sz=()
	topo_exchange b v4 "$port" "/tmp/deferred-$tool" "$tool" -F "${sz[@]}" \
		-n 100 --odp ||
		fail "$tool --odp with deferred faults: client $TOPO_CLIENT_RC, server $TOPO_SERVER_RC: $(topo_tool_errors "/tmp/deferred-$tool.client" | head -n 3)"
	note "$tool (${SECONDS}s): $(grep -E '^ *[0-9]+ +[0-9]+' "/tmp/deferred-$tool.client" | tail -n 1)"
done
echo 0 > "$param"

d=$(( $(total odp_deferred) - d0 ))
r=$(( $(total rnr_nak_sent) - r0 ))
e=$(( $(total error_nak_sent) - e0 ))
note "odp_deferred +$d, rnr_nak_sent +$r, error_nak_sent +$e"
[ "$d" -gt 0 ] || fail "no ODP fault was deferred: the injection did not run"
[ "$r" -gt 0 ] || fail "deferred faults sent no RNR NAK"
[ "$e" = 0 ] || fail "deferred faults became error NAKs"
