# A C program against the stock libibverbs opens sodp0, queries it,
# allocates PDs, and gets clean errors for what is not implemented.
. "$(dirname "$0")/lib.sh"
sodp_reset
"$(cprog sodp_verbs)" basic
"$(cprog sodp_verbs)" pd-cycle 500
