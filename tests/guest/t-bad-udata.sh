# Malformed driver data from user space is refused with an error.
. "$(dirname "$0")/lib.sh"
sodp_reset
"$(cprog sodp_verbs)" bad-udata
