# Killing a process in the middle of RC traffic, then unloading the module:
# rc_ops --stress keeps 1000 WRITEs and a SEND in flight on sodp0 (loopback)
# and is SIGKILLed, so the kernel tears down QPs, CQs and MRs with work
# outstanding; rmmod must then succeed with module and core reference
# counts back at their baseline.  Then the same with rmmod while the traffic
# runs (the process is disassociated and must exit).  After each, a fresh
# insmod, sodp0 and a short transfer work.
# KU_DRIVER=rxe runs the first part against the kernel's rxe (rxe0 on veth2)
# instead, to check this script's logic: rxe cannot be unloaded under a
# live process, so the second part is sodp only.
. "$(dirname "$0")/lib.sh"

rc_ops=$(cprog rc_ops)
if [ "${KU_DRIVER:-sodp}" = rxe ]; then
	dev=rxe0 mod=rdma_rxe
	load() {
		modprobe rdma_rxe
		ibdev_exists rxe0 || rdma link add rxe0 type rxe netdev veth2
		wait_for 10 test "$(port_state rxe0)" = ACTIVE ||
			fail "rxe0 did not become ACTIVE"
	}
else
	dev=sodp0 mod=sodp
	load() { sodp_reset; }
fi
refs() { cat /sys/module/ib_core/refcnt /sys/module/ib_uverbs/refcnt | tr '\n' ' '; }
gone() { [ -z "$(ps -o stat= -p "$1" | grep -v Z)" ]; }	# exited (maybe a zombie)

# stress: start traffic, wait until it flows; sets $pid.
stress() {
	out=/tmp/rc-stress.out
	"$rc_ops" -d "$dev" --stress 120 > "$out" 2>&1 &
	pid=$!
	wait_for 60 grep -q 'stress: running' "$out" ||
		fail "traffic did not start: $(cat "$out")"
	sleep 1		# well into the next round
	! gone "$pid" || fail "rc_ops stopped early: $(cat "$out")"
}

# after: the module is gone and the core's counts are at baseline; reload,
# and a short transfer works.
after() {
	[ ! -d "/sys/module/$mod" ] || fail "$mod still loaded after rmmod"
	[ "$(refs)" = "$base" ] || fail "ib_core/ib_uverbs refcounts $base -> $(refs)"
	load
	"$rc_ops" -d "$dev" -t 'op-send,op-write,op-read,many-outstanding' ||
		fail "transfer after reload failed"
}

load
"$rc_ops" -d "$dev" -t op-send > /dev/null || fail "no traffic before the test"
rmmod "$mod"
base=$(refs)
load

# 1. SIGKILL mid-traffic, then rmmod.
stress
kill -KILL "$pid"
wait_for 20 gone "$pid" || fail "rc_ops did not die after SIGKILL"
wait "$pid" 2>/dev/null || true
note "killed mid-traffic: $(grep -c . "$out") lines of output, last: $(tail -n 1 "$out")"
[ "$(cat "/sys/module/$mod/refcnt")" = 0 ] ||
	fail "$mod refcnt $(cat "/sys/module/$mod/refcnt") after the process died"
rmmod "$mod" || fail "rmmod $mod after killing the process"
after

# 2. rmmod while the traffic runs: the device goes away under the process,
#    which must notice and exit.
if [ "$mod" = sodp ]; then
	stress
	rmmod sodp || fail "rmmod sodp with traffic running"
	wait_for 60 gone "$pid" || fail "rc_ops still running 60 s after rmmod"
	wait "$pid" 2>/dev/null || true
	note "after rmmod under traffic, rc_ops said: $(tail -n 2 "$out" | tr '\n' ' ')"
	after
fi
[ "$mod" != sodp ] || sodp_reset
