# Hostile RoCEv2 traffic from the wire: wire_fuzz writes 20000 frames onto
# veth1, the peer of sodp0's veth0, aimed at a live RC QP on sodp0 (every
# RC opcode with hostile fields, unsolicited ACKs and read responses, and
# broken frames: flipped bits, bad ICRCs, truncation, lying IP lengths,
# IPv6 to an IPv4 path, garbage).  Drops must be counted, the device must
# still move data afterwards, and (harness) the kernel log must stay clean
# and the module must unload.  The seed is printed; SODP_FUZZ_SEED repeats
# a run.
. "$(dirname "$0")/lib.sh"
sodp_reset

seed=${SODP_FUZZ_SEED:-$(( $(date +%s) % 1000000 ))}
"$(cprog wire_fuzz)" -d sodp0 -i veth1 -m "$(cat /sys/class/net/veth0/address)" \
	-n "${SODP_FUZZ_PACKETS:-20000}" -s "$seed"
sodp_reset
