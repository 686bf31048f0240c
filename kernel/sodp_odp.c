// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: On-Demand Paging regions and explicit ODP MRs.
 *
 * An ODP region pins nothing.  The device keeps its own sparse copy of the
 * part of the process's page table it has used, fills it with
 * hmm_range_fault() and empties it from an mmu_interval_notifier.  An
 * explicit ODP MR is one region over the range it was registered with;
 * an implicit one is many (sodp_odp_implicit.c).
 *
 * Page table.  Blocks of SODP_ODP_BLOCK entries, one unsigned long per
 * page (a pfn and the SODP_PTE_* bits below), keyed by absolute user page
 * number, so an aligned fault window never straddles two blocks.  A block
 * is allocated only when a walk has found a page to put in it, and freed
 * by the invalidation that leaves it empty: the table's size follows the
 * pages the device has mapped now, not the size of the registration nor
 * the addresses anyone has probed.  An empty block can outlive a fault
 * that gave up after allocating it; the next invalidation of its range
 * or the region's end frees it.  Blocks are charged to the registering
 * process's memory cgroup, whichever context faults.
 *
 * Access.  sodp_odp_copy() and sodp_odp_atomic() look pages up under
 * odp->lock and, while they are valid (and writable when the device
 * writes), touch them through kmap_local_page() without dropping the lock:
 * the entry holds no page reference, and the notifier may let the page be
 * freed as soon as the lock is released.  A missing page is faulted, and
 * the fault finishes the access under its own locks (@xfer).
 *
 * Fault.  Never under odp->lock: hmm_range_fault() may run our own
 * notifier, which takes it.  Two walks: the first faults exactly the
 * pages the access needs, the second is a pure snapshot of a window of
 * pages around them that faults nothing.  (One
 * walk of the window with per-page fault requests is not enough: where
 * the page table has no PTE page, hmm_range_fault() faults every page of
 * the hole, wanted or not; and a second walk that still requests faults
 * does the same if MADV_DONTNEED freed the PTE page in between.)  Holes,
 * PROT_NONE or VM_IO/VM_PFNMAP pages in the window come back as per-page
 * errors that are simply not installed.  The result is installed under
 * odp->lock only if no invalidation touched the window since the fault
 * began.  mmap_lock is held from the walk until the pages are installed,
 * and a copy (a READ response, a WRITE packet) is made before it is
 * dropped, so that changes made under mmap_lock held for writing
 * (mprotect()) cannot spoil either in between (sodp_odp_fault(), @xfer;
 * an atomic on a page that cannot be made exclusive is carried the same
 * way).
 * Only valid pages are installed: a hole can be filled by mmap() with no
 * notifier firing, so an absent page is never remembered as absent.
 *
 * Why the window and not the notifier sequence.  The sequence is one per
 * region (per MR, or per implicit child): it moves on every invalidation
 * of any page of it.  Under a steady stream of invalidations of other
 * pages (page migration, reclaim of a neighbour) a fault checked against
 * it would lose every race for as long as the stream lasts, though its
 * own pages never changed.  So each fault registers its window on
 * odp->walks before its first mmu_interval_read_begin(), and the
 * invalidation marks the walks it overlaps stale.  An invalidation whose
 * notifier ran before the registration and whose page table changes are
 * still under way is waited for by mmu_interval_read_begin(); one whose
 * notifier runs later, on the window, marks the walk.  The sequence is
 * still read before each hmm_range_fault(), which checks it itself; an
 * -EBUSY from there is retried at once, the walk being short.
 *
 * Invalidation.  Takes odp->lock (or reports failure when it may not sleep
 * and the lock is busy), advances the notifier sequence, marks the walks
 * in flight on the range stale, marks the pages the device wrote dirty,
 * clears their entries and frees blocks left empty, except the block of
 * a walk in flight that the range does not cover whole: that walk is
 * still valid and installs into it.  The device writes through a kernel
 * mapping, so the CPU's dirty bit never saw those writes; without the
 * mark, a file page would be dropped clean and an anonymous page already
 * in swap would lose them.
 *
 * Atomics.  The target page is made device-exclusive
 * (make_device_exclusive()): the process's PTE is replaced by an entry
 * that faults on any CPU access, and that fault's notifier call revokes
 * our entry before the CPU goes on.  The operation itself is a locked
 * instruction under odp->lock.  Four things keep the conversion from
 * chasing its own tail:
 *  - the page is first restored by a one-page write fault, and the
 *    conversion's one-page walk starts afresh after it: that fault turns a
 *    device-exclusive PTE our table no longer knows about back into a
 *    normal one, breaks CoW of the shared zero page, of a page still
 *    shared after fork and of a KSM page, all of which fire notifiers
 *    that would otherwise make every attempt stale;
 *  - our own conversion (MMU_NOTIFY_EXCLUSIVE with this device as owner)
 *    is not an invalidation: the page stays, only the CPU loses it;
 *  - a racing fault re-installing the same page keeps the EXCL bit.
 *  - mmap_lock is held from that fault until the atomic is done, so that
 *    mprotect() cannot revoke the page in between.
 * What can still spoil an attempt is a real event (a THP split on the
 * first attempt, the CPU touching the page): the atomic tries again, a
 * bounded number of times, then answers "not now" (-EAGAIN, an RNR NAK on
 * the wire), never an access error.  Pages the kernel cannot make
 * exclusive (file, shmem, hugetlb) are faulted writable instead and
 * marked NOEXCL, exactly the page that was faulted, so later atomics do
 * not try again until the entry is invalidated; the atomic is done by
 * that fault, under its mmap_lock, as a copy is; the locked instruction
 * on the page the process has mapped is atomic against the process's own
 * atomics too (odp_atomic_fallbacks counts those).
 *
 * Transient failures.  A fault that keeps losing to invalidations past
 * the time its caller gives it (@until), or that cannot allocate, is
 * reported as -EAGAIN and counted as odp_deferred: the transport retries
 * later (the responder sends an RNR NAK, the requester tries again on its
 * next run).  The responder faults aside (sodp_odp_copy_now() and
 * sodp_odp_fault_access(), see sodp_resp_fault.c) and waits a fraction
 * of an ACK timeout, so that a requester hears an RNR NAK before its
 * timer gives up on the packet; local accesses and prefetch give
 * SODP_ODP_FAULT_PATIENCE.  Only a page the
 * process cannot give at all (no mapping, no permission, exited) is an
 * access error.
 *
 * Locking, outermost first (see sodp_odp_implicit.c for imr->lock):
 *   mmap_lock	read, for hmm_range_fault(), fixup_user_fault() and
 *		make_device_exclusive(), held by a fault from its walk until
 *		its pages are installed and its copy or fallback atomic
 *		is made, and by an atomic from its page's conversion until
 *		it is done; core mm may hold it (and reclaim its rmap
 *		locks) around our invalidate.  Never taken under odp->lock
 *   folio lock	make_device_exclusive() returns with it held
 *   odp->lock	mutex; one region's page table and walks in flight.
 *		Taken by its invalidate
 *		(trylock when that may not sleep).  Nothing allocates memory
 *		under it, because reclaim may call the notifier, which
 *		needs it
 * Counters are atomics, bumped under any of these locks or none.
 */
#include <linux/hmm.h>
#include <linux/highmem.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/rmap.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "sodp_odp.h"
#include "sodp_trace.h"

/* One entry per page: the pfn and what the device may do with it. */
#define SODP_PTE_VALID		BIT(BITS_PER_LONG - 1)
#define SODP_PTE_WRITE		BIT(BITS_PER_LONG - 2)
#define SODP_PTE_DIRTY		BIT(BITS_PER_LONG - 3)	/* device wrote it */
#define SODP_PTE_EXCL		BIT(BITS_PER_LONG - 4)	/* device-exclusive */
#define SODP_PTE_NOEXCL		BIT(BITS_PER_LONG - 5)	/* cannot be */
#define SODP_PTE_PFN_MASK	(BIT(BITS_PER_LONG - 8) - 1)

#define SODP_ODP_BLOCK_SHIFT	9
#define SODP_ODP_BLOCK		BIT(SODP_ODP_BLOCK_SHIFT)

/*
 * Pages walked by one fault on the data path: a power of two that divides
 * SODP_ODP_BLOCK.  Prefetch walks whole blocks.
 */
#define SODP_ODP_WINDOW		16

/*
 * An access that finds its pages gone again right after faulting them
 * (an invalidation won each race), or an atomic whose page keeps being
 * taken back, gives up after this many rounds in a row rather than spin:
 * the access is deferred (-EAGAIN) and the transport retries it later.
 */
#define SODP_ODP_MAX_STALLS	16

static_assert(SODP_ODP_BLOCK % SODP_ODP_WINDOW == 0);

/*
 * Fault injection for the tests of the "not now" path: every Nth ODP
 * fault (0: none) reports -EAGAIN without walking, as an invalidation
 * storm or an allocation failure would.
 */
static unsigned int odp_defer_every;
module_param(odp_defer_every, uint, 0644);
MODULE_PARM_DESC(odp_defer_every,
		 "testing: every Nth ODP fault is deferred as if it lost to invalidations (0: never)");
static atomic_t sodp_odp_faults_seen = ATOMIC_INIT(0);

/*
 * Whether an RDMA atomic on ODP memory may make its page device-exclusive.
 * A kernel without CONFIG_DEVICE_PRIVATE has no such entries (Debian's
 * 6.12): there it reads N and cannot be set.  Elsewhere it can be set to
 * N, and every ODP atomic then takes the fallback as on such a kernel,
 * so that path and the tests' expectations for it run on any kernel.
 */
static bool odp_exclusive = IS_ENABLED(CONFIG_DEVICE_PRIVATE);

static int sodp_odp_exclusive_set(const char *val,
				  const struct kernel_param *kp)
{
	bool on;
	int err;

	err = kstrtobool(val, &on);
	if (err)
		return err;
	if (on && !IS_ENABLED(CONFIG_DEVICE_PRIVATE))
		return -EOPNOTSUPP;
	WRITE_ONCE(*(bool *)kp->arg, on);
	return 0;
}

static const struct kernel_param_ops sodp_odp_exclusive_ops = {
	.set = sodp_odp_exclusive_set,
	.get = param_get_bool,
};
module_param_cb(odp_exclusive, &sodp_odp_exclusive_ops, &odp_exclusive, 0644);
MODULE_PARM_DESC(odp_exclusive,
		 "RDMA atomics on ODP memory make pages device-exclusive (N: every one takes the fallback; always N without CONFIG_DEVICE_PRIVATE)");

static bool sodp_odp_inject_defer(void)
{
	unsigned int every = READ_ONCE(odp_defer_every);

	return every &&
	       (unsigned int)atomic_inc_return(&sodp_odp_faults_seen) % every == 0;
}

/* Count an ODP event for the device and for the region's MR. */
static void sodp_odp_count(struct sodp_odp *odp, enum sodp_counter c, u64 n)
{
	sodp_count_odp(odp->sdev, odp->stats, c, n);
}

static unsigned long sodp_odp_block_key(unsigned long addr)
{
	return addr >> (PAGE_SHIFT + SODP_ODP_BLOCK_SHIFT);
}

static unsigned long *sodp_odp_entry(struct sodp_odp *odp, unsigned long addr)
{
	unsigned long pgn = addr >> PAGE_SHIFT;
	unsigned long *blk = xa_load(&odp->blocks, sodp_odp_block_key(addr));

	return blk ? &blk[pgn & (SODP_ODP_BLOCK - 1)] : NULL;
}

static struct page *sodp_odp_page(unsigned long entry)
{
	return pfn_to_page(entry & SODP_PTE_PFN_MASK);
}

/*
 * A fault in flight on [start, end), on odp->walks; @stale is set by an
 * invalidation of any of its pages.  Lives on the faulting stack.  The
 * window never straddles a block.
 */
struct sodp_odp_walk {
	struct list_head node;
	unsigned long start;
	unsigned long end;
	bool stale;
};

static void sodp_odp_walk_start(struct sodp_odp *odp,
				struct sodp_odp_walk *walk,
				unsigned long start, unsigned long end)
{
	walk->start = start;
	walk->end = end;
	walk->stale = false;
	mutex_lock(&odp->lock);
	list_add(&walk->node, &odp->walks);
	mutex_unlock(&odp->lock);
}

/*
 * Did an invalidation touch the walk's pages since it started, or since
 * the last call?  Caller holds odp->lock.  A stale walk starts over as a
 * fresh one: it is still registered, so whatever runs from here on is
 * seen.
 */
static bool sodp_odp_walk_stale(struct sodp_odp *odp,
				struct sodp_odp_walk *walk)
{
	bool stale = walk->stale;

	lockdep_assert_held(&odp->lock);
	walk->stale = false;
	return stale;
}

/*
 * Start @walk afresh now that mmap_lock is held: an invalidation that
 * marked it before then is forgotten, and one of the region not over yet
 * (one under mmap_lock held for writing is) is waited out by
 * mmu_interval_read_begin(), which may sleep under mmap_lock as amdgpu's
 * does: no invalidation under way needs mmap_lock.  Return: the notifier
 * sequence, for hmm_range_fault()'s own check only.
 */
static unsigned long sodp_odp_walk_restart(struct sodp_odp *odp,
					   struct sodp_odp_walk *walk)
{
	mmap_assert_locked(odp->notifier.mm);
	mutex_lock(&odp->lock);
	walk->stale = false;
	mutex_unlock(&odp->lock);
	return mmu_interval_read_begin(&odp->notifier);
}

static void sodp_odp_walk_end(struct sodp_odp *odp,
			      struct sodp_odp_walk *walk, bool locked)
{
	if (!locked)
		mutex_lock(&odp->lock);
	list_del(&walk->node);
	if (!locked)
		mutex_unlock(&odp->lock);
}

/*
 * Will a walk in flight install into block @key?  Only one that is not
 * stale: the others start over, and allocate again if they find pages.
 * Caller holds odp->lock and has marked the walks it invalidates.
 */
static bool sodp_odp_block_wanted(struct sodp_odp *odp, unsigned long key)
{
	struct sodp_odp_walk *walk;

	lockdep_assert_held(&odp->lock);
	list_for_each_entry(walk, &odp->walks, node)
		if (sodp_odp_block_key(walk->start) == key && !walk->stale)
			return true;
	return false;
}

/*
 * Make sure the block holding @addr exists.  Called without odp->lock by
 * a walk in flight on it: only an invalidation frees a block, and it
 * leaves the block of a walk it did not make stale.
 */
static int sodp_odp_block_alloc(struct sodp_odp *odp, unsigned long addr)
{
	unsigned long key = sodp_odp_block_key(addr);
	struct mem_cgroup *old_memcg;
	unsigned long *blk, *old;

	if (xa_load(&odp->blocks, key))
		return 0;
	old_memcg = set_active_memcg(odp->memcg);
	blk = kcalloc(SODP_ODP_BLOCK, sizeof(*blk), GFP_KERNEL_ACCOUNT);
	if (!blk) {
		set_active_memcg(old_memcg);
		return -ENOMEM;
	}
	old = xa_cmpxchg(&odp->blocks, key, NULL, blk, GFP_KERNEL_ACCOUNT);
	set_active_memcg(old_memcg);
	if (old) {
		/* Another work item won the race, or the xarray failed. */
		kfree(blk);
		return xa_is_err(old) ? xa_err(old) : 0;
	}
	sodp_odp_count(odp, SODP_CNT_ODP_TABLE_BLOCKS, 1);
	return 0;
}

static bool sodp_odp_block_empty(const unsigned long *blk)
{
	unsigned long i;

	for (i = 0; i < SODP_ODP_BLOCK; i++)
		if (blk[i] & SODP_PTE_VALID)
			return false;
	return true;
}

/*
 * Clear the entries of [@start, @end), marking the pages the device wrote
 * dirty, and free the blocks left empty.  The caller holds odp->lock, so
 * an invalidation of these pages has not finished and they are still
 * mapped: folio_mark_dirty() without the folio lock is safe.
 * Return: entries cleared.
 */
static unsigned long sodp_odp_clear(struct sodp_odp *odp, unsigned long start,
				    unsigned long end, unsigned long *excl)
{
	unsigned long first = start >> PAGE_SHIFT;
	unsigned long last = (end - 1) >> PAGE_SHIFT;
	unsigned long key, *blk, cleared = 0, freed = 0;

	lockdep_assert_held(&odp->lock);
	xa_for_each_range(&odp->blocks, key, blk,
			  first >> SODP_ODP_BLOCK_SHIFT,
			  last >> SODP_ODP_BLOCK_SHIFT) {
		unsigned long base = key << SODP_ODP_BLOCK_SHIFT;
		unsigned long pgn = max(first, base);
		unsigned long stop = min(last, base + SODP_ODP_BLOCK - 1);
		bool whole = pgn == base && stop == base + SODP_ODP_BLOCK - 1;

		for (; pgn <= stop; pgn++) {
			unsigned long *e = &blk[pgn & (SODP_ODP_BLOCK - 1)];

			if (!(*e & SODP_PTE_VALID))
				continue;
			if (*e & SODP_PTE_DIRTY)
				folio_mark_dirty(page_folio(sodp_odp_page(*e)));
			if (*e & SODP_PTE_EXCL)
				(*excl)++;
			*e = 0;
			cleared++;
		}
		/*
		 * Frees nothing it needs to allocate: safe in reclaim.  A
		 * range over the whole block made every walk in it stale.
		 */
		if (whole || (sodp_odp_block_empty(blk) &&
			      !sodp_odp_block_wanted(odp, key))) {
			xa_erase(&odp->blocks, key);
			kfree(blk);
			freed++;
		}
	}
	sodp_uncount_odp(odp->sdev, odp->stats, SODP_CNT_ODP_TABLE_BLOCKS,
			 freed);
	return cleared;
}

static bool sodp_odp_invalidate(struct mmu_interval_notifier *mni,
				const struct mmu_notifier_range *range,
				unsigned long cur_seq)
{
	struct sodp_odp *odp = container_of(mni, struct sodp_odp, notifier);
	unsigned long start = max(range->start, odp->start);
	unsigned long end = min(range->end, odp->end);
	unsigned long cleared, excl = 0;
	struct sodp_odp_walk *walk;

	/*
	 * Our own make_device_exclusive(): the page stays the same, only the
	 * CPU loses its mapping.  Every other event, including the CPU's
	 * fault that ends exclusivity (owner NULL), revokes.
	 */
	if (range->event == MMU_NOTIFY_EXCLUSIVE && range->owner == odp->sdev)
		return true;

	if (mmu_notifier_range_blockable(range))
		mutex_lock(&odp->lock);
	else if (!mutex_trylock(&odp->lock))
		return false;
	mmu_interval_set_seq(mni, cur_seq);
	list_for_each_entry(walk, &odp->walks, node)
		if (walk->start < end && start < walk->end)
			walk->stale = true;
	cleared = start < end ? sodp_odp_clear(odp, start, end, &excl) : 0;
	mutex_unlock(&odp->lock);

	trace_sodp_odp_inval(start, end, range->event, cleared, excl);
	sodp_odp_count(odp, SODP_CNT_ODP_INVALIDATIONS, 1);
	sodp_odp_count(odp, SODP_CNT_ODP_PAGES_INVALIDATED, cleared);
	sodp_odp_count(odp, SODP_CNT_ODP_EXCL_REVOKED, excl);
	return true;
}

static const struct mmu_interval_notifier_ops sodp_odp_notifier_ops = {
	.invalidate = sodp_odp_invalidate,
};

/*
 * Install what the snapshot found for [@start, @start + @npages pages);
 * the needed pages, [@need_first, @need_end), also get @set.  Caller
 * holds odp->lock, has found the walk not stale, and made the block of
 * every valid page.
 */
static void sodp_odp_install(struct sodp_odp *odp, unsigned long start,
			     const unsigned long *pfns, unsigned long npages,
			     unsigned long need_first, unsigned long need_end,
			     unsigned long set)
{
	unsigned long i, needed = 0, around = 0;

	lockdep_assert_held(&odp->lock);
	for (i = 0; i < npages; i++) {
		unsigned long addr = start + (i << PAGE_SHIFT);
		unsigned long *e = sodp_odp_entry(odp, addr);
		bool need = addr >= need_first && addr < need_end;
		unsigned long new;
		bool same;

		if (!(pfns[i] & HMM_PFN_VALID) || WARN_ON_ONCE(!e))
			continue;
		new = page_to_pfn(hmm_pfn_to_page(pfns[i])) | SODP_PTE_VALID;
		if (pfns[i] & HMM_PFN_WRITE)
			new |= SODP_PTE_WRITE;
		/*
		 * Still the same page: no invalidation ran in between, so
		 * the device's earlier writes to it are not yet accounted,
		 * it is still exclusive if it was (our own conversion
		 * makes no walk stale, so a snapshot taken before it can
		 * land after it), and it still cannot be if it could not.
		 */
		same = (*e & SODP_PTE_VALID) &&
		       (*e & SODP_PTE_PFN_MASK) == (new & SODP_PTE_PFN_MASK);
		if (same)
			new |= *e & (SODP_PTE_DIRTY | SODP_PTE_EXCL |
				     SODP_PTE_NOEXCL);
		if (need)
			new |= set;
		*e = new;
		/* A neighbour the table already had is not a new mapping. */
		if (need)
			needed++;
		else if (!same)
			around++;
	}
	sodp_odp_count(odp, SODP_CNT_ODP_PAGES_FAULTED, needed);
	sodp_odp_count(odp, SODP_CNT_ODP_PAGES_AROUND, around);
}

/* Make the block of the window if the snapshot found anything for it. */
static int sodp_odp_block_for(struct sodp_odp *odp, unsigned long first,
			      const unsigned long *pfns, unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++)
		if (pfns[i] & HMM_PFN_VALID)
			return sodp_odp_block_alloc(odp, first);
	return 0;
}

/* "Not now" from the mm is "try again later" for the transport. */
static int sodp_odp_transient(int err)
{
	return err == -EBUSY || err == -ENOMEM ? -EAGAIN : err;
}

/*
 * An atomic to carry out as soon as its page is made exclusive, or made
 * writable when it cannot be exclusive.
 */
struct sodp_odp_amo {
	unsigned long addr;	/* the word, not its page */
	enum sodp_atomic_op op;
	u64 compare_add;
	u64 swap;
	u64 *orig;
	bool done;
};

/*
 * The atomic itself, if the entry allows it now.  Caller holds odp->lock.
 * Return: true if done.
 */
static bool sodp_odp_atomic_present(struct sodp_odp *odp, unsigned long addr,
				    enum sodp_atomic_op op, u64 compare_add,
				    u64 swap, u64 *orig)
{
	const unsigned long want = SODP_PTE_VALID | SODP_PTE_WRITE;
	unsigned long *e = sodp_odp_entry(odp, addr);
	atomic64_t *p;
	void *va;

	lockdep_assert_held(&odp->lock);
	if (!e || (*e & want) != want ||
	    !(*e & (SODP_PTE_EXCL | SODP_PTE_NOEXCL)))
		return false;
	va = kmap_local_page(sodp_odp_page(*e));
	p = va + offset_in_page(addr);
	*orig = sodp_atomic_do(p, op, compare_add, swap);
	kunmap_local(va);
	*e |= SODP_PTE_DIRTY;
	if (*e & SODP_PTE_NOEXCL)
		sodp_odp_count(odp, SODP_CNT_ODP_ATOMIC_FALLBACK, 1);
	return true;
}

/* @amo, if its entry allows it now.  Caller holds odp->lock. */
static void sodp_odp_amo_try(struct sodp_odp *odp, struct sodp_odp_amo *amo)
{
	amo->done = sodp_odp_atomic_present(odp, amo->addr, amo->op,
					    amo->compare_add, amo->swap,
					    amo->orig);
}

/*
 * What to do with the pages of a fault under the same locks as the fault
 * that installed them: with @amo, the atomic on a page that cannot be made
 * exclusive (sodp_odp_atomic(); the other fields are unused); without, a
 * copy (sodp_odp_copy(); @done is what could be copied).
 */
struct sodp_odp_xfer {
	struct sodp_odp_amo *amo;
	unsigned long addr;
	void *buf;
	u32 len;
	u32 done;
	bool to_mr;
};

/*
 * Copy the front of an access whose pages are usable now.  Caller holds
 * odp->lock.  Return: bytes copied.
 */
static u32 sodp_odp_copy_present(struct sodp_odp *odp, unsigned long addr,
				 void *buf, u32 len, bool to_mr)
{
	unsigned long want = SODP_PTE_VALID | (to_mr ? SODP_PTE_WRITE : 0);
	u32 done = 0;

	lockdep_assert_held(&odp->lock);
	while (done < len) {
		unsigned long *e = sodp_odp_entry(odp, addr + done);
		u32 in_page = offset_in_page(addr + done);
		u32 n = min_t(u32, len - done, PAGE_SIZE - in_page);
		struct page *page;
		void *va;

		if (!e || (*e & want) != want)
			break;
		page = sodp_odp_page(*e);
		va = kmap_local_page(page);
		if (to_mr) {
			memcpy(va + in_page, buf + done, n);
			flush_dcache_page(page);
			*e |= SODP_PTE_DIRTY;
		} else {
			memcpy(buf + done, va + in_page, n);
		}
		kunmap_local(va);
		done += n;
	}
	return done;
}

/* Carry out @x, under mmap_lock and odp->lock, right after its fault. */
static void sodp_odp_xfer_use(struct sodp_odp *odp, struct sodp_odp_xfer *x)
{
	mmap_assert_locked(odp->notifier.mm);
	if (x->amo)
		sodp_odp_amo_try(odp, x->amo);
	else
		x->done = sodp_odp_copy_present(odp, x->addr, x->buf, x->len,
						x->to_mr);
}

/**
 * sodp_odp_fault() - bring the pages of an access into the device's table
 * @odp: the region
 * @addr: first byte the access needs, inside the region
 * @len: bytes it needs (may run past the window: the caller comes back)
 * @need: what the needed pages must allow
 * @set: SODP_PTE_* bits to give the needed pages as they are installed
 * @pfns: scratch array of @window entries
 * @window: pages walked, a power of two dividing SODP_ODP_BLOCK
 * @until: jiffies after which a walk that an invalidation spoiled is not
 *	tried again: the fault gives up with -EAGAIN
 * @xfer: a copy or atomic to make as soon as the pages are installed, or
 *	NULL
 *
 * Walks the @window-aligned window holding @addr, clipped to the region.
 *
 * mmap_lock is held from the walk until the pages are installed and
 * @xfer is done, so that no change made under mmap_lock held for
 * writing (mprotect()) can come between them.  Before, a process that
 * called mprotect() in a loop over the region spoiled nearly every walk
 * and every copy after it: on a slow (debug) kernel a 1 MiB READ under
 * such a storm went hundreds of milliseconds without one response and its
 * requester ran out of retries.  Invalidations that do not hold mmap_lock
 * for writing (reclaim, migration, MADV_DONTNEED, munmap() once it has
 * downgraded the lock) can still spoil a walk.  The price: the walk's
 * mmu_interval_read_begin() then waits for invalidations of the process
 * still under way with mmap_lock held for reading, and a writer queued
 * behind us holds up the process's other readers meanwhile.
 *
 * Context: process context, odp->lock not held.
 * Return: 0 (the needed pages of the window were installed, though an
 * invalidation may already have removed them again), -EFAULT or -EPERM if
 * a needed page cannot be had (no mapping, no permission, the process has
 * exited), -EAGAIN if invalidations kept winning until @until or memory
 * ran out.  @xfer was carried out only on 0 (how far: @xfer->done, or
 * @xfer->amo->done).
 */
static int sodp_odp_fault(struct sodp_odp *odp, unsigned long addr,
			  unsigned long len, enum sodp_odp_need need,
			  unsigned long set, unsigned long *pfns,
			  unsigned long window, unsigned long until,
			  struct sodp_odp_xfer *xfer)
{
	struct mm_struct *mm = odp->notifier.mm;
	unsigned long win = window << PAGE_SHIFT;
	unsigned long first = max(ALIGN_DOWN(addr, win), odp->start);
	unsigned long end = min(ALIGN_DOWN(addr, win) + win, odp->end);
	unsigned long need_first = addr & PAGE_MASK;
	unsigned long need_end = min(PAGE_ALIGN(addr + len), end);
	unsigned long npages = (end - first) >> PAGE_SHIFT;
	unsigned long req = 0;
	struct hmm_range exact = {
		.notifier = &odp->notifier,
		.start = need_first,
		.end = need_end,
		.hmm_pfns = pfns,
	};
	/* A pure snapshot: default_flags and pfn_flags_mask both 0. */
	struct hmm_range snap = {
		.notifier = &odp->notifier,
		.start = first,
		.end = end,
		.hmm_pfns = pfns,
	};
	struct sodp_odp_walk walk;
	int err;

	if (need == SODP_ODP_READ || need == SODP_ODP_WRITE)
		req = HMM_PFN_REQ_FAULT;
	if (need == SODP_ODP_WRITE)
		req |= HMM_PFN_REQ_WRITE;
	exact.default_flags = req;

	/* A peek is part of a copy, not a fault: not injected nor counted. */
	if (need != SODP_ODP_PEEK && sodp_odp_inject_defer())
		return -EAGAIN;
	if (!mmget_not_zero(mm))
		return -EFAULT;

	if (need != SODP_ODP_PEEK)
		sodp_odp_count(odp, SODP_CNT_ODP_FAULTS, 1);
	/* Registered first: see "Why the window" at the top of the file. */
	sodp_odp_walk_start(odp, &walk, first, end);
	for (;;) {
		if (need != SODP_ODP_PEEK) {
			mmap_read_lock(mm);
		} else if (!mmap_read_trylock(mm)) {
			err = -EBUSY;
			break;
		}
		snap.notifier_seq = sodp_odp_walk_restart(odp, &walk);
		exact.notifier_seq = snap.notifier_seq;
		err = req ? hmm_range_fault(&exact) : 0;
		if (!err)
			err = hmm_range_fault(&snap);
		if (!err)
			err = sodp_odp_block_for(odp, first, pfns, npages);
		if (!err) {
			mutex_lock(&odp->lock);
			if (!sodp_odp_walk_stale(odp, &walk)) {
				sodp_odp_install(odp, first, pfns, npages,
						 need_first, need_end, set);
				if (xfer)
					sodp_odp_xfer_use(odp, xfer);
				sodp_odp_walk_end(odp, &walk, true);
				mutex_unlock(&odp->lock);
				mmap_read_unlock(mm);
				goto out;
			}
			mutex_unlock(&odp->lock);
			err = -EBUSY;
		}
		mmap_read_unlock(mm);
		if (err != -EBUSY || need == SODP_ODP_PEEK)
			break;
		if (time_after(jiffies, until))
			break;
		sodp_odp_count(odp, SODP_CNT_ODP_RETRIES, 1);
		cond_resched();
	}
	sodp_odp_walk_end(odp, &walk, false);
out:
	/* Never the last put in a QP's work item: leave exit_mmap to others. */
	mmput_async(mm);
	trace_sodp_odp_fault(odp->start, addr, len, need, err);
	err = sodp_odp_transient(err);
	/*
	 * Only a refusal is an error: -EAGAIN sends the access round again
	 * (an RNR NAK, a later retry) and odp_deferred counts that.
	 */
	if (err && err != -EAGAIN && need != SODP_ODP_PEEK)
		sodp_odp_count(odp, SODP_CNT_ODP_FAULT_ERRORS, 1);
	return err;
}

/**
 * sodp_odp_copy() - copy between an ODP region and a kernel buffer
 * @odp: the region
 * @addr: user address of the first byte, inside the region
 * @buf: kernel buffer
 * @len: bytes, inside the region
 * @to_mr: true to write the region, false to read it
 * @until: jiffies after which faults that lose races give up (-EAGAIN)
 *
 * Context: process context (a QP work item), no locks held.
 * Return: 0, -EAGAIN (not now: try the access again later), or an error
 * from sodp_odp_fault(): the access fails.
 */
int sodp_odp_copy(struct sodp_odp *odp, unsigned long addr, void *buf,
		  u32 len, bool to_mr, unsigned long until)
{
	unsigned long pfns[SODP_ODP_WINDOW];
	unsigned int stalls = 0;
	int err;

	for (;;) {
		u32 n;

		mutex_lock(&odp->lock);
		n = sodp_odp_copy_present(odp, addr, buf, len, to_mr);
		mutex_unlock(&odp->lock);
		addr += n;
		buf += n;
		len -= n;
		if (!len)
			return 0;
		stalls = n ? 0 : stalls + 1;
		if (stalls > SODP_ODP_MAX_STALLS) {
			err = -EAGAIN;
		} else {
			struct sodp_odp_xfer xfer = {
				.addr = addr,
				.buf = buf,
				.len = len,
				.to_mr = to_mr,
			};

			err = sodp_odp_fault(odp, addr, len,
					     to_mr ? SODP_ODP_WRITE :
						     SODP_ODP_READ,
					     0, pfns, SODP_ODP_WINDOW, until,
					     &xfer);
			addr += xfer.done;
			buf += xfer.done;
			len -= xfer.done;
			if (xfer.done)
				stalls = 0;
			if (!err && !len)
				return 0;
		}
		if (err == -EAGAIN)
			sodp_odp_count(odp, SODP_CNT_ODP_DEFERRED, 1);
		if (err)
			return err;
	}
}

/**
 * sodp_odp_copy_now() - copy between a region and a kernel buffer, no fault
 * @odp: the region
 * @addr: user address of the first byte, inside the region
 * @buf: kernel buffer
 * @len: bytes, inside the region
 * @to_mr: true to write the region, false to read it
 * @done: bytes copied, all of @len or those before the first page that
 *	needs a fault
 *
 * For a caller that must not sleep on the process's memory (the
 * responder, whose requester is waiting for an answer).  Pages in the
 * device's table are copied at once.  At the first one that is not, the
 * window holding it is peeked at (SODP_ODP_PEEK): what the process has
 * present there (a THP's pages, ones it wrote itself, pages an mprotect()
 * storm keeps taking from the table but not from the process) is mapped
 * and copied in one go under mmap_lock, as a fault's copy is, if
 * mmap_lock can be had at once.  A peek faults nothing and waits for no
 * page; it may wait for an invalidation under way (as every walk does)
 * and allocate a block of the table.
 *
 * Context: process context, no locks held.
 * Return: 0, or -ENODATA if a page needs a fault (sodp_odp_fault_access()).
 */
int sodp_odp_copy_now(struct sodp_odp *odp, unsigned long addr, void *buf,
		      u32 len, bool to_mr, u32 *done)
{
	unsigned long pfns[SODP_ODP_WINDOW];
	struct sodp_odp_xfer xfer = { .to_mr = to_mr };

	mutex_lock(&odp->lock);
	*done = sodp_odp_copy_present(odp, addr, buf, len, to_mr);
	mutex_unlock(&odp->lock);
	if (*done == len)
		return 0;
	xfer.addr = addr + *done;
	xfer.buf = buf + *done;
	xfer.len = len - *done;
	if (!sodp_odp_fault(odp, xfer.addr, xfer.len, SODP_ODP_PEEK, 0, pfns,
			    SODP_ODP_WINDOW, jiffies, &xfer))
		*done += xfer.done;
	return *done == len ? 0 : -ENODATA;
}

/*
 * Fault in (or snapshot) [@addr, @addr + @len) of @odp, a @window at a
 * time (a power of two dividing SODP_ODP_BLOCK); @pfns has room for
 * @window entries.
 */
static int sodp_odp_fault_range(struct sodp_odp *odp, unsigned long addr,
				unsigned long len, enum sodp_odp_need need,
				unsigned long *pfns, unsigned long window)
{
	const unsigned long win = window << PAGE_SHIFT;
	unsigned long end = addr + len;
	int err;

	while (addr < end) {
		unsigned long stop = min(ALIGN_DOWN(addr, win) + win, end);

		err = sodp_odp_fault(odp, addr, stop - addr, need, 0, pfns,
				     window, jiffies + SODP_ODP_FAULT_PATIENCE,
				     NULL);
		if (err)
			return err;
		addr = stop;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/**
 * sodp_odp_fault_access() - fault in what a copy would, without copying
 * @odp: the region
 * @addr: user address of the first byte, inside the region
 * @len: bytes, inside the region
 * @need: SODP_ODP_READ or SODP_ODP_WRITE, for what the copy will do
 *
 * The same windows as sodp_odp_copy() walks, for a copy to be made
 * afterwards with sodp_odp_copy_now(); an invalidation may of course take
 * the pages back in between, and the copy then asks again.
 *
 * Context: process context (a work item of its own, see
 * sodp_resp_fault.c), no locks held.
 * Return: 0, -EAGAIN (not now), or an error from sodp_odp_fault().
 */
int sodp_odp_fault_access(struct sodp_odp *odp, unsigned long addr, u32 len,
			  enum sodp_odp_need need)
{
	unsigned long pfns[SODP_ODP_WINDOW];
	int err;

	err = sodp_odp_fault_range(odp, addr, len, need, pfns,
				   SODP_ODP_WINDOW);
	if (err == -EAGAIN)
		sodp_odp_count(odp, SODP_CNT_ODP_DEFERRED, 1);
	return err;
}

/*
 * Make the page at @addr device-exclusive, install it and carry out @amo
 * on it (@amo->done says whether it was).
 *
 * mmap_lock is held from the restoring fault until the atomic is done, so
 * that no change made under mmap_lock held for writing (mprotect()) can
 * come between the conversion and the atomic: under an mprotect()
 * loop over the page, nearly every conversion was revoked before the
 * atomic could use it, and on a debug kernel atomics went through a dozen
 * RNR NAKs each.
 *
 * Return: 0 (installed, though it may already be revoked again), -EBUSY
 * if an invalidation won, -EOPNOTSUPP if the kernel cannot make this page
 * exclusive (not anonymous, hugetlb, ...: the caller falls back), or the
 * restoring fault's error: the process cannot write the page at all
 * (-EFAULT) or not now (-ENOMEM).
 */
static int sodp_odp_make_exclusive(struct sodp_odp *odp, unsigned long addr,
				   struct sodp_odp_amo *amo)
{
	struct mm_struct *mm = odp->notifier.mm;
	struct sodp_odp_walk walk;
	struct folio *folio;
	struct page *page;
	int err;

	addr &= PAGE_MASK;
	if (sodp_odp_inject_defer())
		return -EAGAIN;
	if (!mmget_not_zero(mm))
		return -EFAULT;
	/* As a fault does, one page wide: the top of the file. */
	sodp_odp_walk_start(odp, &walk, addr, addr + PAGE_SIZE);
	mmap_read_lock(mm);
	/*
	 * Restore the page first: a write fault ends a device-exclusive
	 * entry our table lost track of and breaks CoW (zero page, fork,
	 * KSM), each of which fires a notifier.  Done by
	 * make_device_exclusive() itself, they would make every attempt
	 * stale; done here, they are over before the walk starts afresh.
	 */
	err = fixup_user_fault(mm, addr, FAULT_FLAG_WRITE, NULL);
	if (err)
		goto out_unlock;
	sodp_odp_walk_restart(odp, &walk);
	err = sodp_odp_block_alloc(odp, addr);
	if (err)
		goto out_unlock;
	page = make_device_exclusive(mm, addr, odp->sdev, &folio);
	if (IS_ERR(page)) {
		/* The process can write the page: only exclusivity failed. */
		err = PTR_ERR(page) == -EBUSY ? -EBUSY : -EOPNOTSUPP;
		goto out_unlock;
	}
	mutex_lock(&odp->lock);
	if (sodp_odp_walk_stale(odp, &walk)) {
		err = -EBUSY;
	} else {
		unsigned long *e = sodp_odp_entry(odp, addr);
		unsigned long keep = 0;

		if ((*e & SODP_PTE_VALID) &&
		    (*e & SODP_PTE_PFN_MASK) == page_to_pfn(page))
			keep = *e & SODP_PTE_DIRTY;
		*e = page_to_pfn(page) | SODP_PTE_VALID | SODP_PTE_WRITE |
		     SODP_PTE_EXCL | keep;
		sodp_odp_count(odp, SODP_CNT_ODP_EXCL_GRANTED, 1);
		mmap_assert_locked(mm);
		sodp_odp_amo_try(odp, amo);
	}
	sodp_odp_walk_end(odp, &walk, true);
	mutex_unlock(&odp->lock);
	mmap_read_unlock(mm);
	/* The exclusive entry in the page table keeps the page now. */
	folio_unlock(folio);
	folio_put(folio);
	goto out;
out_unlock:
	mmap_read_unlock(mm);
	sodp_odp_walk_end(odp, &walk, false);
out:
	mmput_async(mm);
	trace_sodp_odp_excl(addr, err);
	return err;
}

/**
 * sodp_odp_atomic() - an 8-byte atomic on an ODP region
 * @odp: the region
 * @addr: user address, 8-byte aligned, inside the region
 * @op: what to do with the word (enum sodp_atomic_op)
 * @compare_add: the compare value, or the addend
 * @swap: the swap value, or the value to store
 * @orig: the value before the operation
 * @until: jiffies after which a page that keeps being taken back is given
 *	up for now (-EAGAIN)
 *
 * Runs on a device-exclusive page, or on a page that cannot be one (see
 * the top of the file), under odp->lock.
 *
 * Context: process context, no locks held.
 * Return: 0, -EAGAIN (not now: try again later), or the error of a page
 * the process cannot give (-EFAULT, -EPERM).
 */
int sodp_odp_atomic(struct sodp_odp *odp, unsigned long addr,
		    enum sodp_atomic_op op, u64 compare_add, u64 swap, u64 *orig,
		    unsigned long until)
{
	struct sodp_odp_amo amo = {
		.addr = addr,
		.op = op,
		.compare_add = compare_add,
		.swap = swap,
		.orig = orig,
	};
	unsigned long pfns[SODP_ODP_WINDOW];
	unsigned int round;
	bool lost = false;
	int err = 0;

	for (round = 0; round <= SODP_ODP_MAX_STALLS; round++) {
		mutex_lock(&odp->lock);
		sodp_odp_amo_try(odp, &amo);
		mutex_unlock(&odp->lock);
		if (amo.done)
			return 0;
		/* Granted (or not) last round, and gone again already. */
		if (lost)
			sodp_odp_count(odp, SODP_CNT_ODP_EXCL_RETRIES, 1);

		if (lost && time_after(jiffies, until))
			break;
		/*
		 * With odp_exclusive off, straight to the fallback: no
		 * restoring fault and walk that can only end in -EOPNOTSUPP.
		 */
		err = READ_ONCE(odp_exclusive) ?
		      sodp_odp_make_exclusive(odp, addr, &amo) : -EOPNOTSUPP;
		if (!err && amo.done)
			return 0;
		lost = !err || err == -EBUSY;
		if (lost)
			continue;
		if (err == -EOPNOTSUPP) {
			/*
			 * Not possible for this page: a plain writable entry
			 * that says so, on the page the fault found, and the
			 * atomic on it before mmap_lock is dropped, as a copy
			 * is, so that an mprotect() loop cannot take every
			 * entry away before the next round uses it.
			 */
			struct sodp_odp_xfer use = { .amo = &amo };

			err = sodp_odp_fault(odp, addr, sizeof(u64),
					     SODP_ODP_WRITE, SODP_PTE_NOEXCL,
					     pfns, SODP_ODP_WINDOW, until, &use);
			if (!err && amo.done)
				return 0;
		}
		err = sodp_odp_transient(err);
		if (err)
			break;
	}
	if (!err || err == -EBUSY)
		err = -EAGAIN;	/* every round lost a race */
	if (err == -EAGAIN)
		sodp_odp_count(odp, SODP_CNT_ODP_DEFERRED, 1);
	return err;
}

/**
 * sodp_odp_prefetch() - fault in (or snapshot) a range ahead of use
 * @odp: the region
 * @addr: first byte, inside the region
 * @len: bytes, inside the region
 * @need: SODP_ODP_READ, SODP_ODP_WRITE, or SODP_ODP_SNAPSHOT to map only
 *	what is present without faulting
 *
 * The MR's prefetch op counts the ibv_advise_mr() call, once however many
 * regions it covers.
 *
 * Context: process context (the advising process), no locks held.
 * Return: 0, -EINTR on a fatal signal, or an error from sodp_odp_fault().
 */
int sodp_odp_prefetch(struct sodp_odp *odp, unsigned long addr, u64 len,
		      enum sodp_odp_need need)
{
	unsigned long *pfns;
	int err;

	pfns = kmalloc_array(SODP_ODP_BLOCK, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	err = sodp_odp_fault_range(odp, addr, len, need, pfns, SODP_ODP_BLOCK);
	kfree(pfns);
	return err;
}

/**
 * sodp_odp_alloc() - a region following [@start, @end) of @mm
 * @sdev: the device
 * @stats: the MR's counters; must outlive the region
 * @memcg: the cgroup charged for the region's page table (referenced by
 *	the caller for as long as the region lives), or NULL
 * @mm: the process; the caller holds a reference on its users
 *	(mmu_interval_notifier_insert() needs a live mm)
 * @start: page-aligned first byte
 * @end: page-aligned end
 *
 * Nothing is faulted or pinned: the first access does that.
 *
 * Return: the region, or an ERR_PTR.
 */
struct sodp_odp *sodp_odp_alloc(struct sodp_dev *sdev,
				struct sodp_odp_stats *stats,
				struct mem_cgroup *memcg, struct mm_struct *mm,
				unsigned long start, unsigned long end)
{
	struct sodp_odp *odp;
	int err;

	odp = kzalloc_obj(*odp, GFP_KERNEL_ACCOUNT);
	if (!odp)
		return ERR_PTR(-ENOMEM);
	odp->sdev = sdev;
	odp->stats = stats;
	odp->memcg = memcg;
	odp->start = start;
	odp->end = end;
	mutex_init(&odp->lock);
	xa_init(&odp->blocks);
	INIT_LIST_HEAD(&odp->walks);
	err = mmu_interval_notifier_insert(&odp->notifier, mm, start,
					   end - start, &sodp_odp_notifier_ops);
	if (err) {
		mutex_destroy(&odp->lock);
		kfree(odp);
		return ERR_PTR(err);
	}
	return odp;
}

/**
 * sodp_odp_free() - stop following a region and free its table
 * @odp: the region; no access to it may be running or start
 *
 * Context: process context.
 */
void sodp_odp_free(struct sodp_odp *odp)
{
	unsigned long excl = 0;

	/* Account the device's writes while the pages are still mapped. */
	mutex_lock(&odp->lock);
	sodp_odp_clear(odp, odp->start, odp->end, &excl);
	mutex_unlock(&odp->lock);
	/* Waits for invalidations running on other CPUs. */
	mmu_interval_notifier_remove(&odp->notifier);

	/* The clear above freed every block: each one it visited. */
	WARN_ON_ONCE(!xa_empty(&odp->blocks));
	WARN_ON_ONCE(!list_empty(&odp->walks));
	xa_destroy(&odp->blocks);
	mutex_destroy(&odp->lock);
	kfree(odp);
}

/* ---- explicit ODP MRs: one region over the registered range ---- */

static int sodp_odp_mr_copy(struct sodp_mr *mr, unsigned long uaddr,
			    void *buf, u32 len, bool to_mr,
			    unsigned long until)
{
	return sodp_odp_copy(mr->odp, uaddr, buf, len, to_mr, until);
}

static int sodp_odp_mr_copy_now(struct sodp_mr *mr, unsigned long uaddr,
				void *buf, u32 len, bool to_mr, u32 *done)
{
	return sodp_odp_copy_now(mr->odp, uaddr, buf, len, to_mr, done);
}

static int sodp_odp_mr_fault(struct sodp_mr *mr, unsigned long uaddr,
			     u32 len, enum sodp_odp_need need)
{
	return sodp_odp_fault_access(mr->odp, uaddr, len, need);
}

static int sodp_odp_mr_atomic(struct sodp_mr *mr, unsigned long uaddr,
			      enum sodp_atomic_op op, u64 compare_add,
			      u64 swap, u64 *orig, unsigned long until)
{
	return sodp_odp_atomic(mr->odp, uaddr, op, compare_add, swap,
			       orig, until);
}

static int sodp_odp_mr_prefetch(struct sodp_mr *mr, unsigned long uaddr,
				u64 len, enum sodp_odp_need need)
{
	sodp_odp_count(mr->odp, SODP_CNT_ODP_PREFETCHES, 1);
	return sodp_odp_prefetch(mr->odp, uaddr, len, need);
}

static int sodp_odp_mr_fill_res(struct sk_buff *msg, struct sodp_mr *mr)
{
	return sodp_fill_res_odp(msg, &mr->odp_stats, false, 0);
}

static void sodp_odp_mr_destroy(struct sodp_mr *mr)
{
	struct mem_cgroup *memcg = mr->odp->memcg;

	sodp_odp_free(mr->odp);
	mem_cgroup_put(memcg);
}

static const struct sodp_mr_ops sodp_odp_mr_ops = {
	.copy = sodp_odp_mr_copy,
	.copy_now = sodp_odp_mr_copy_now,
	.fault = sodp_odp_mr_fault,
	.atomic = sodp_odp_mr_atomic,
	.prefetch = sodp_odp_mr_prefetch,
	.fill_res = sodp_odp_mr_fill_res,
	.destroy = sodp_odp_mr_destroy,
};

/**
 * sodp_odp_mr_init() - start following [mr->uaddr, mr->uaddr +
 *	mr->length) of the calling process
 * @mr: the MR being registered
 *
 * Context: process context, in the registering process.
 * Return: 0 with mr->ops set, or a negative errno.
 */
int sodp_odp_mr_init(struct sodp_mr *mr)
{
	struct mem_cgroup *memcg;
	struct sodp_odp *odp;

	if (!current->mm)
		return -EINVAL;
	if (mr->length > TASK_SIZE || mr->uaddr > TASK_SIZE - mr->length)
		return -EFAULT;
	memcg = get_mem_cgroup_from_mm(current->mm);
	odp = sodp_odp_alloc(mr->sdev, &mr->odp_stats, memcg, current->mm,
			     mr->uaddr & PAGE_MASK,
			     PAGE_ALIGN(mr->uaddr + mr->length));
	if (IS_ERR(odp)) {
		mem_cgroup_put(memcg);
		return PTR_ERR(odp);
	}
	mr->odp = odp;
	mr->ops = &sodp_odp_mr_ops;
	return 0;
}
