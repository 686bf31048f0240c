# The RC data path of sodp0 with pinned MRs, per opcode and per error case:
# rc_ops runs every test on QP pairs in loopback (both QPs on sodp0):
# opcodes, SGE counts, sizes around the MTU and large messages, inline,
# unsignaled WRs, remote and local error completions and flushes, RNR,
# destruction with work outstanding, completion channels, CQ resize,
# extended verbs, 1000 outstanding WRs, PSN wrap, QP state machine.
# Byte-exact data checks, every completion field checked.  (Reference: the
# same program passes on rxe0, see the comment at the top of
# tests/guest/c/rc_ops.c.)  ODP MRs: t-rc-ops-odp; two devices:
# t-rc-ops-two-devs.
. "$(dirname "$0")/lib.sh"
sodp_reset

"$(cprog rc_ops)" -d sodp0 --mr pinned
sodp_reset
