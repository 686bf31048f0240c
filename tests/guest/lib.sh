# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Helpers for guest tests.  Sourced by each test; runs inside the guest.
set -eu

# A C test that waits in vain for a completion runs this before failing.
RC_STALL_CMD=${RC_STALL_CMD:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/stall-dump.sh}
export RC_STALL_CMD

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "  $*"; }
skip() { echo "SKIP: $*"; exit 77; }	# the whole test cannot run here

# full_suite WHAT: whether the cases named WHAT run.  The quick suite (every
# CI run) leaves some out to stay within CI's time; the full suite
# (run-tests.sh --full, i.e. tools/sodp-vm test --full) runs everything.  A
# case left out is not passed in silence: it prints a SKIP line, which
# run-tests.sh counts as a skipped check of this test.
full_suite() {
	[ "${SODP_FULL:-0}" = 1 ] && return 0
	echo "SKIP: $*: in the full suite only (tools/sodp-vm test --full)"
	return 1
}

# expect_fail CMD...: CMD must exit non-zero.
expect_fail() {
	if "$@" >/dev/null 2>&1; then fail "expected failure: $*"; fi
}

# scaled SECONDS: SECONDS stretched as SODP_TEST_TIMEOUT is beyond its
# default 300 (four times under the debug kernel's 1200): for waits and
# per-run limits measured on Debian's kernel.
scaled() { echo $(( $1 * ${SODP_TEST_TIMEOUT:-300} / 300 )); }

# wait_for SECONDS CMD...: poll until CMD succeeds.
wait_for() {
	local t; t=$(scaled "$1"); shift
	[ "$t" -ge 1 ] || t=1
	local end=$(( $(date +%s) + t ))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}

ibdev_exists() { [ -e "/sys/class/infiniband/$1" ]; }
port_state() { cut -d' ' -f2 < "/sys/class/infiniband/$1/ports/1/state"; }

# Bring the bed back to the standard state: sodp loaded, sodp0 on veth0,
# veth0/veth1 present and up.  Tests start from here.
sodp_reset() {
	if ! ip link show veth0 >/dev/null 2>&1; then
		ip link add veth0 type veth peer name veth1
		ip addr add 10.9.0.1/24 dev veth0
		ip -6 addr add fd00::1/64 dev veth0 nodad
	fi
	ip link set veth0 mtu 1500 up
	ip link set veth1 mtu 1500 up
	[ -d /sys/module/sodp ] || insmod "$SODP_KO"
	for d in /sys/class/infiniband/*; do
		[ -e "$d/hca_type" ] || continue
		[ "$(cat "$d/hca_type")" = sodp ] || continue
		n=$(basename "$d")
		[ "$n" = sodp0 ] || rdma link delete "$n"
	done
	ibdev_exists sodp0 || rdma link add sodp0 type sodp netdev veth0
	wait_for 10 test "$(port_state sodp0)" = ACTIVE ||
		fail "sodp0 did not become ACTIVE"
}

# A C test program built by tools/sodp-vm build.
cprog() { echo "$SODP_REPO/build/tests/$1"; }

# The rc_ops tests whose outcome depends on how memory is registered, run
# for the ODP MR kinds and across devices where the whole list would take
# too long under TCG: every opcode's data path on the target, a scatter
# list, sizes around the MTU, 4 MiB, every bound of an MR (past the end,
# before the start, local SGEs) and its access rights and PD, a read-only
# local MR, MRs deregistered under traffic, 1000 WRITEs in flight, both
# directions at once, posts raced against the end of a run.
RC_MR_TESTS="op-send,op-write-imm,op-read,op-cmp-swap,op-fetch-add,op-atomic-write,op-flush,sge-read,size-write,large-read,err-write-past-mr-end,err-atomic-past-mr-end,err-write-before-mr,err-read-no-remote-read,err-write-rkey-other-pd,err-read-sge-past-mr-end,err-read-into-readonly-mr,dereg-busy-remote-mr,dereg-busy-local-mr,many-outstanding,bidir,post-race"
# What rc_ops runs over IPv6 GIDs with a 4096-byte path MTU (t-rc-ops-two-devs,
# t-rc-ops-rxe): every opcode, sizes around MTU multiples, a 4 MiB READ.
RC_V6_4K_TESTS="op-*,size-write,size-read,large-read"
