# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# RDMA atomics on ODP memory with no device-exclusive entries, as on a
# kernel without CONFIG_DEVICE_PRIVATE (Debian's 6.12): with sodp's
# odp_exclusive parameter off, every such atomic takes the fallback, an
# atomic instruction on the page under the fault's locks.  The atomic
# cases of odp (racing the CPU, a CPU read between atomics, an mprotect
# storm on anonymous and shared memory, the per-MR counters) and of
# odp_kinds (every kind of page, racing CPU atomics), and odp_pressure's
# copy-on-write and KSM atomics, with the expectations for that path:
# exact words and sums, no grant and no revocation, one fallback per
# atomic.  On a kernel that has no device-exclusive entries at all the
# parameter is off already, and this is the same run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/odp-bed.sh"
sodp_reset

param=/sys/module/sodp/parameters/odp_exclusive
[ -r "$param" ] || fail "no $param"
was=$(cat "$param")
restore() { [ "$was" = N ] || echo Y > "$param"; }
odp_bed_setup
trap 'restore; odp_bed_cleanup' EXIT
if [ "$was" = Y ]; then
	echo N > "$param" || fail "cannot turn $param off"
	[ "$(cat "$param")" = N ] || fail "$param still reads $(cat "$param")"
fi
topo_loopback sodp || fail "cannot create sodpL"

note "odp's atomic cases, odp_exclusive off (${SECONDS}s)"
"$(cprog odp)" -d sodp0 -t 'atomic-vs-cpu,atomic-exclusive,storm,storm-shmem,mr-counters'
# Each kind of page, and the pressure cases: the data checks are the
# same on both paths (t-odp-atomic-kinds, t-odp-pressure).
if full_suite "odp_exclusive off: every atomic-kind-*, odp_pressure's cow-atomic-* and ksm-atomic"; then
	note "odp's atomic-kind cases, odp_exclusive off (${SECONDS}s)"
	"$(cprog odp)" -d sodp0 -X sodpL -t 'atomic-kind-*'
	note "odp_pressure's copy-on-write and KSM atomics, odp_exclusive off (${SECONDS}s)"
	"$(cprog odp_pressure)" -d sodp0 -t 'cow-atomic-*,ksm-atomic'
fi
topo_teardown
sodp_reset
