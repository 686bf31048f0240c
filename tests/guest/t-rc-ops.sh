# The RC data path of sodp0, per opcode and per error case, with each kind
# of MR: rc_ops runs every test on QP pairs in loopback (both QPs on sodp0)
# three times, with pinned MRs, explicit ODP MRs and implicit ODP MRs
# (test names say which: pinned:op-send, odp:op-send, implicit:op-send):
# opcodes, SGE counts, sizes around the MTU and large messages, inline,
# unsignaled WRs, remote and local error completions and flushes, RNR,
# destruction with work outstanding, completion channels, CQ resize,
# extended verbs, 1000 outstanding WRs, PSN wrap, QP state machine.
# Byte-exact data checks, every completion field checked.  (Reference: the
# same program passes on rxe0 with pinned MRs, see the comment at the top
# of tests/guest/c/rc_ops.c.)  Across two devices: t-rc-ops-two-devs.
. "$(dirname "$0")/lib.sh"
sodp_reset

"$(cprog rc_ops)" -d sodp0 --mr all
sodp_reset
