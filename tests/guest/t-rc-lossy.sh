# RC across a veth pair that loses, reorders and duplicates packets (tc
# netem on both ends), with every byte and every atomic result checked
# (rc_lossy): sodpA <-> sodpB with pinned and ODP MRs, and sodp against
# rxe in both directions.  The impairment is the issue's worst case, all
# at once: 1 ms delay, 25% of packets reordered, 2% lost, 1% duplicated.
# The full suite (or SODP_LOSSY_FULL=1) also runs each impairment on its
# own, and more pairings (docs/testing.md).
# sodp-test-timeout: 1200
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
sodp_reset
trap topo_teardown EXIT
modprobe sch_netem 2>/dev/null || true

ALL="delay 1ms reorder 25% 50% loss 2% duplicate 1%"
status=0

# impair NETEM-ARGS: the same netem qdisc on vethA and vethB.
impair() {
	on_veth_a tc qdisc replace dev vethA root netem "$@" &&
		on_veth_b tc qdisc replace dev vethB root netem "$@"
}

# lossy A_TYPE B_TYPE IMPAIRMENT MR [TESTS]: one rc_lossy run.
lossy() {
	local a=$1 b=$2 imp=$3 mr=$4 tests=${5:-}
	echo "== rc_lossy ${a}A -> ${b}B, $mr MRs, netem $imp"
	topo_split "$a" "$b" || {
		# Two rxe devices need one of them in ns1 (topo.sh).
		if [ "$TOPO_RXE_NO_NETNS" = 1 ]; then
			echo "SKIP: rc-lossy ${a}A -> ${b}B: this kernel's rxe receives in the initial namespace only"
			topo_teardown
			return
		fi
		echo "FAIL: cannot build ${a}A <-> ${b}B"; status=1; return
	}
	# shellcheck disable=SC2086
	impair $imp || { echo "FAIL: tc netem $imp"; status=1; return; }
	local before
	before=$(snapshot "${a}A" "${b}B")
	"$(cprog rc_lossy)" -d "${a}A" -D "${b}B" --mr "$mr" ${tests:+-t "$tests"} || status=1
	echo "# counters: $(counters_since "$before" "${a}A" "${b}B")"
	topo_teardown
}

# Recovery counters of the sodp devices among A and B, for the log.
snapshot() {
	local d c
	for d in "$@"; do
		case $d in sodp*) ;; *) continue ;; esac
		for c in retransmits implied_naks seq_nak_sent seq_nak_received duplicate_requests rnr_nak_sent; do
			echo "$d.$c=$(cat "/sys/class/infiniband/$d/ports/1/hw_counters/$c" 2>/dev/null || echo 0)"
		done
	done
}
counters_since() {
	local before=$1 now kv k v b
	shift
	now=$(snapshot "$@")
	for kv in $now; do
		k=${kv%%=*} v=${kv#*=}
		b=$(echo "$before" | sed -n "s/^$k=//p")
		[ "$v" != "${b:-0}" ] && printf '%s +%s ' "$k" "$((v - ${b:-0}))"
	done
}

# rxe as the requester under this impairment loses its own way in
# "mixed" (READs, atomics and SENDs interleaved on one QP): between two rxe
# devices it completes FETCH_ADDs without writing their results, flushes
# WQEs and trips WARN_ON_ONCE in rxe_completer (COMPST_ERROR with a
# successful status) when a reordered ACK overtakes a READ's last
# response.  That WARN would fail the run, so rxe requesters skip it.
RXE_REQ_SKIP='!mixed'
RXE_REQ_WHY="mixed with rxe as the requester (rxe <-> rxe fails it too: results not written, WARN in rxe_completer; docs/testing.md)"

# sodp<->sodp on pinned MRs: the full suite (the same data path as ODP
# once the pages are there, and sodp<->rxe runs pinned).
! full_suite "rc-lossy: sodpA -> sodpB on pinned MRs" ||
	lossy sodp sodp "$ALL" pinned
lossy sodp sodp "$ALL" odp
lossy sodp rxe "$ALL" pinned
echo "SKIP: $RXE_REQ_WHY"
lossy rxe sodp "$ALL" pinned "$RXE_REQ_SKIP"
if [ "${SODP_LOSSY_FULL:-0}" = 1 ] ||
   full_suite "rc-lossy: each impairment alone, implicit ODP, rxe->sodp on ODP, rxe<->rxe"; then
	lossy sodp sodp "loss 2%" pinned
	lossy sodp sodp "delay 1ms reorder 25% 50%" pinned
	lossy sodp sodp "duplicate 1%" pinned
	lossy sodp sodp "$ALL" implicit
	lossy rxe sodp "$ALL" odp "$RXE_REQ_SKIP"
	lossy rxe rxe "$ALL" pinned "$RXE_REQ_SKIP"
fi
sodp_reset
exit "$status"
