# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# cpu-load.sh SECONDS: keep both vCPUs busy for SECONDS with CPU hogs and
# sodp traffic between two stacks over a veth with netem on it, then stop.
# The load of tools/vm/boot-flake.sh, which counts how often the TCG guest
# itself dies under it; not a test of its own (no t- prefix).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

secs=${1:-20}
trap 'topo_teardown; kill $(jobs -p) 2>/dev/null || true' EXIT
topo_two_stacks sodp sodp || fail "could not build the two-stack topology"
tc qdisc add dev vethA root netem delay 1ms reorder 25% 50% loss 2% duplicate 1%
for _ in 1 2; do
	timeout "$secs" sh -c 'while :; do :; done' &
done
TOPO_RUN_TIMEOUT=$((secs + 60))
topo_exchange b v4 18999 /tmp/cpu-load ib_write_bw -F -s 65536 -D "$secs" ||
	fail "ib_write_bw under load failed: $(topo_tool_errors /tmp/cpu-load.client | head -n 3)"
wait
note "loaded for $secs s: $(grep -E '^ *[0-9]+ +[0-9]+ ' /tmp/cpu-load.client | tail -n 1)"
