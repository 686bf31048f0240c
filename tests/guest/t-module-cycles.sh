# 20 cycles (10 in the quick suite) of insmod / two devices / verbs use /
# rmmod leave no trace: module and core reference counts return to their
# baseline, and no kernel allocation site holds more live objects than
# before.  Needs a guest booted with slub_debug=U,kmalloc-*
# (tests/run-all.sh does that): SLUB then counts
# live objects per allocation site in the kmalloc caches, where device,
# context and PD objects live.  That is exact where /proc/slabinfo's totals
# move in per-CPU slab chunks.
# About 140 s on Debian's kernel; on the debug kernel 20 cycles took more
# than 1200 s (300 s x 4), so the limit is 600 s x 4 there.
# sodp-test-timeout: 600
. "$(dirname "$0")/lib.sh"
sodp_reset
rmmod sodp

ls /sys/kernel/debug/slab/*/alloc_traces > /dev/null 2>&1 ||
	fail "no SLUB allocation traces: boot the guest with SODP_VM_APPEND='slub_debug=U,kmalloc-*'"

# Not counted: reading alloc_traces itself (__debugfs_file_get; on 6.12,
# debugfs_file_get, which allocates on a file's first open), the
# guest's 9p root filesystem caching dentries (v9fs_*), its netfs read
# queues (netfs_*: +209 in kmalloc-512 over 20 cycles on the debug kernel,
# where each cycle reads sodp.ko through 9p; sodp never calls netfs) and
# its transport (p9_*, p9pdu_*, virtqueue_*, want_pages_array: +63 to +12
# over 10 cycles on the debug kernel, from the programs each cycle runs
# off the 9p root), and the slab allocator's own per-CPU sheaves (__pcs_*,
# and kmem_cache_free where the debug build inlines their refill into the
# free path: +104 in kmalloc-32), which grow with allocation traffic of
# any kind and are not owned by a caller.
live_by_site() {	# "cache|function count" for every kmalloc allocation site
	for f in /sys/kernel/debug/slab/kmalloc-*/alloc_traces; do
		c=$(basename "$(dirname "$f")")
		awk -v c="$c" '/^ *[0-9]+ [^ ]/ { split($2, fn, "+"); n[c "|" fn[1]] += $1 }
			END { for (k in n) print k, n[k] }' "$f"
	done | grep -v -e '|__debugfs_file_get ' -e '|debugfs_file_get ' -e '|v9fs_' -e '|netfs_' -e '|__pcs_' \
		-e '|p9_' -e '|p9pdu_' -e '|virtqueue_' -e '|want_pages_array ' \
		-e '|kmem_cache_free ' | sort
}
refs() { cat /sys/module/ib_core/refcnt /sys/module/ib_uverbs/refcnt | tr '\n' ' '; }
# Freed objects SLUB still counts as allocated: those in the per-CPU
# sheaves, and on a KASAN kernel those in KASAN's quarantine, which holds
# freed memory back (up to 1/32 of RAM) to catch use-after-free and is
# drained only when full.  kmem_cache_shrink() empties both for a cache,
# so each count is taken after shrinking every kmalloc cache.
settle() {
	sync; echo 3 > /proc/sys/vm/drop_caches
	for f in /sys/kernel/slab/kmalloc-*/shrink; do echo 1 > "$f"; done
}

cycle() {
	insmod "$SODP_KO"
	rdma link add sodp0 type sodp netdev veth0
	rdma link add sodp1 type sodp netdev veth1
	ibv_devinfo -d sodp0 > /dev/null
	"$(cprog sodp_verbs)" pd-cycle 20 > /dev/null
	"$(cprog sodp_verbs)" basic > /dev/null
	SODP_DEV=sodp1 "$(cprog sodp_verbs)" pd-cycle 20 > /dev/null
	[ "$(cat /sys/module/sodp/refcnt)" = 0 ] || fail "sodp refcnt $(cat /sys/module/sodp/refcnt)"
	rdma link delete sodp1
	rmmod sodp
}

# The quick suite: 10 cycles.  A leak of one object per cycle then adds 10
# at its site, still above the noise measured below.
cycles=10
! full_suite "module cycles: cycles 11 to 20" || cycles=20

# Load the module and run the program from /tmp: read through the 9p root
# each cycle, they showed up on the debug kernel as 9p transport buffers
# (virtqueue_add_split, +19 over 20 cycles), which are not sodp's.
cp "$SODP_KO" /tmp/sodp-cycles.ko
cp "$(cprog sodp_verbs)" /tmp/sodp-cycles-verbs
SODP_KO=/tmp/sodp-cycles.ko
cprog() { echo /tmp/sodp-cycles-verbs; }

cycle				# warm caches first
settle
base_refs=$(refs)
live_by_site > /tmp/live.before
for i in $(seq "$cycles"); do cycle; done
[ ! -d /sys/module/sodp ] || fail "module still loaded"

# A leak of one object per cycle adds one per cycle at its site; 30 clean
# cycles were measured to move no site by more than 4 (debugfs, kworker
# creation), so a site that grew by 8 or by half the cycles is reported.
limit=$(( cycles / 2 > 8 ? cycles / 2 : 8 ))
grown() {
	settle
	live_by_site > /tmp/live.after
	join -a2 -e0 -o 0,1.2,2.2 /tmp/live.before /tmp/live.after |
		awk -v l="$limit" '$3 - $2 >= l { print "  +" $3 - $2, $1 }' > /tmp/live.grown
	[ -s /tmp/live.grown ]
}
# The last device's release finishes after rmmod returns: ib_uverbs frees
# a device's API tables (uapi_merge_def, uapi_add_get_elm) when the last
# reference to its uverbs device goes, which on the debug kernel was seen
# still pending a second later.  So look again for a while before calling
# growth a leak; a leak never shrinks, so waiting cannot hide one.
# Counted in looks, not seconds: one look at every site took minutes on
# the debug kernel.
looks=1
while grown || [ "$(refs)" != "$base_refs" ]; do
	# each look said aloud: on the debug kernel one takes minutes, and
	# a run cut off by its time limit should still show what grew
	note "look $looks: core refcounts $(refs) (baseline $base_refs), grown:" \
		"$(tr '\n' ';' < /tmp/live.grown)"
	[ "$looks" -lt 10 ] || break
	sleep 2
	looks=$((looks + 1))
done
[ "$(refs)" = "$base_refs" ] || fail "core refcounts $base_refs -> $(refs)"
note "allocation sites: $(wc -l < /tmp/live.after); grown by $limit or more: $(wc -l < /tmp/live.grown) (look $looks)"
[ ! -s /tmp/live.grown ] || fail "live objects grew over $cycles cycles:
$(cat /tmp/live.grown)"
sodp_reset
