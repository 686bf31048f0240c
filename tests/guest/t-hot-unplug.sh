# Removing a device while a process has it open: the process is told
# (DEVICE_FATAL), the removal completes, nothing hangs or leaks.
. "$(dirname "$0")/lib.sh"
sodp_reset

for how in "rdma link delete sodp0" "ip link del veth0"; do
	out=/tmp/hold.out
	"$(cprog sodp_verbs)" hold > "$out" 2>&1 &
	pid=$!
	wait_for 10 grep -q ready "$out" || fail "hold did not start"
	$how
	wait_for 20 sh -c '! test -e /sys/class/infiniband/sodp0' ||
		fail "$how: sodp0 not removed with a context open"
	wait "$pid" || { cat "$out"; fail "$how: holder failed"; }
	grep -q 'event local catastrophic error' "$out" || fail "$how: no DEVICE_FATAL: $(cat "$out")"
	sodp_reset
done
