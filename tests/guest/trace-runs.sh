#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# trace-runs.sh: run a test program several times with sodp's trace events
# on, and say per run what the transport did; print the trace of a run
# that failed.  For explaining a failure that shows only now and then, or
# only on the debug kernel:
#
#   tools/vm/run.sh [--debug-kernel] -- tests/guest/trace-runs.sh \
#           [-n RUNS] PROGRAM [ARGS...]
#   e.g. ... tests/guest/trace-runs.sh -n 4 odp -d sodp0 -t storm
#   --split: sodpA and sodpB across a veth pair instead (topo_split, as
#   t-odp-two-devs), e.g. --split -n 20 odp -d sodpA -D sodpB -t storm
#
# PROGRAM is a test program built by tools/sodp-vm build (build/tests/) or
# a command.  Each run prints its result, its time, the READ responder's
# steps (start, replay, pause, done, fail: sodp_read_resp) and the
# requester's retransmissions; a failed run's trace goes to
# /tmp/trace-runs.N, and its last lines (without READ pauses) to stdout.
# sodp0 on veth0 is set up as for the tests.  Exit status: 1 if any run
# failed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

runs=4 split=0
while :; do
	case "${1:-}" in
	-n) runs=$2; shift 2 ;;
	--split) split=1; shift ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: trace-runs.sh [-n RUNS] PROGRAM [ARGS...]" >&2; exit 2; }
prog=$1; shift
[ -x "$(cprog "$prog")" ] && prog=$(cprog "$prog")

sodp_reset
if [ "$split" = 1 ]; then
	topo_split sodp sodp || { echo "cannot build sodpA <-> sodpB" >&2; exit 1; }
	trap 'topo_teardown' EXIT
fi
t=/sys/kernel/tracing
[ -e "$t/trace" ] || mount -t tracefs nodev "$t"
echo 16384 > "$t/buffer_size_kb"
for e in sodp_retry sodp_rewind sodp_nak_sent sodp_nak_recv sodp_read_resp; do
	echo 1 > "$t/events/sodp/$e/enable"
done
trap 'echo 0 > "$t/events/sodp/enable"; [ "$split" = 0 ] || topo_teardown' EXIT

failed=0
for i in $(seq 1 "$runs"); do
	echo > "$t/trace"
	start=$(date +%s%N)
	if "$prog" "$@"; then r=ok; else r=FAILED; failed=$((failed + 1)); fi
	echo "== run $i: $r in $(( ($(date +%s%N) - start) / 1000000 )) ms;" \
		"READ responder: $(awk '/sodp_read_resp:/ {
				for (i = 1; i < NF; i++)
					if ($i ~ /^qpn=/) { n[$(i + 1)]++; break } }
			END { for (k in n) printf "%s=%d ", k, n[k] }' "$t/trace")" \
		"retransmissions: $(grep -c 'sodp_retry:' "$t/trace" || true)"
	if [ "$r" = FAILED ]; then
		cp "$t/trace" "/tmp/trace-runs.$i"
		grep -v 'sodp_read_resp:.* pause ' "$t/trace" | tail -n 150
	fi
done
echo "== counters"
if [ "$split" = 1 ]; then
	rdma statistic show link sodpA/1
	rdma statistic show link sodpB/1
else
	rdma statistic show link sodp0/1
fi
echo "trace-runs: $((runs - failed)) of $runs runs passed"
[ "$failed" = 0 ]
