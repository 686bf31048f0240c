# A C program against the stock libibverbs opens sodp0, queries it,
# allocates PDs, and gets clean errors for what is not implemented
# (sodp_verbs); then verbs_support: every verb, QP type, send op and
# opcode sodp does not implement fails with EOPNOTSUPP (EINVAL for a work
# request) and posts nothing, and the capability flags claim nothing more.
. "$(dirname "$0")/lib.sh"
sodp_reset
"$(cprog sodp_verbs)" basic
"$(cprog sodp_verbs)" pd-cycle 500
"$(cprog verbs_support)" -d sodp0
