# A process scribbling on its own mmap'd rings: ring_abuse writes bad send
# WQEs (undefined opcode, 65535 SGEs, 4 GiB inline, SGE lengths that wrap,
# an atomic with two SGEs, a slot rewritten while the kernel reads it, pure
# noise), bad receive WQEs, producer counters that overrun or run backwards,
# and garbage in the counters the kernel owns, and rings the doorbell
# itself.  Each must end in an error completion or the error state of that
# QP, never a kernel report; then a fresh QP pair must move data.
. "$(dirname "$0")/lib.sh"
sodp_reset

"$(cprog ring_abuse)" -d sodp0
sodp_reset
