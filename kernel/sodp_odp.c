// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: On-Demand Paging memory regions.
 *
 * An ODP region pins nothing.  The device keeps its own sparse copy of the
 * part of the process's page table it has used, fills it with
 * hmm_range_fault() and empties it from an mmu_interval_notifier.
 *
 * Page table.  Blocks of SODP_ODP_BLOCK entries, one unsigned long per
 * page (a pfn and the SODP_PTE_* bits below), allocated on the first fault
 * that touches them and freed with the region, so memory grows with the
 * pages used, not with the size of the registration.  Blocks are keyed by
 * absolute user page number, so an aligned fault window never straddles
 * two blocks.
 *
 * Access.  sodp_odp_copy() and sodp_odp_atomic() look pages up under
 * odp->lock and, while they are valid (and writable when the device
 * writes), touch them through kmap_local_page() without dropping the lock:
 * the entry holds no page reference, and the notifier may let the page be
 * freed as soon as the lock is released.  A missing page is faulted, then
 * the access looks again.
 *
 * Fault.  Never under odp->lock: hmm_range_fault() may run our own
 * notifier, which takes it.  Two walks under one notifier sequence: the
 * first faults exactly the pages the access needs, the second takes a
 * snapshot of a window of pages around them, faulting nothing more.  (One
 * walk of the window with per-page fault requests is not enough: where
 * the page table has no PTE page yet, hmm_range_fault() faults every page
 * of the walk, wanted or not.)  Holes, PROT_NONE or VM_IO/VM_PFNMAP pages
 * in the window come back as per-page errors that are simply not
 * installed.  The result is installed under odp->lock only if no
 * invalidation ran since mmu_interval_read_begin().  Only valid pages are
 * installed: a hole can be filled by mmap() with no notifier firing, so an
 * absent page is never remembered as absent.
 *
 * Invalidation.  Takes odp->lock (or reports failure when it may not sleep
 * and the lock is busy), advances the notifier sequence, marks the pages
 * the device wrote dirty, and clears their entries.  The device writes
 * through a kernel mapping, so the CPU's dirty bit never saw those writes;
 * without the mark, a file page would be dropped clean and an anonymous
 * page already in swap would lose them.
 *
 * Atomics.  The target page is made device-exclusive first
 * (make_device_exclusive()): the process's PTE is replaced by an entry
 * that faults on any CPU access, and that fault's notifier call revokes
 * our entry before the CPU goes on.  The operation itself is a locked
 * instruction under odp->lock.  Pages the kernel cannot make exclusive
 * (file, shmem, hugetlb) are faulted writable instead and marked NOEXCL,
 * so later atomics do not try again until the entry is invalidated; the
 * locked instruction on the page the process has mapped is atomic against
 * the process's own atomics too (odp_atomic_fallbacks counts those).
 *
 * Implicit regions.  An implicit MR covers the whole user address space
 * of the registering process.  It has no notifier of its own: it is cut
 * into aligned chunks of SODP_IMR_CHUNK bytes, and each chunk the device
 * uses gets a child, an ordinary region with its own notifier and page
 * table, created by the first access to the chunk (copy, atomic or
 * prefetch) and freed only with the MR.  The children are indexed by
 * chunk number in imr->children, the driver's own index: nothing is ever
 * looked up in the mm.  An access is cut at chunk boundaries and each
 * piece goes to its child as to an explicit region.  A child is made only
 * for a chunk in which the process has a mapping where the access goes,
 * so a peer probing addresses cannot make the driver allocate for address
 * space the process does not use; an access to such a place fails as at a
 * hole of an explicit region.
 *
 * Locking, outermost first:
 *   imr->lock	mutex; creation of an implicit region's children.  Held
 *		across mmap_read_lock() (is anything mapped?) and
 *		mmu_interval_notifier_insert() (which may take mmap_lock for
 *		writing), so it is never taken under mmap_lock, by a
 *		notifier or by reclaim; no access to a page holds it
 *   mmap_lock	read, for hmm_range_fault() and make_device_exclusive();
 *		core mm may hold it (and reclaim its rmap locks) around our
 *		invalidate.  Never taken under odp->lock
 *   folio lock	make_device_exclusive() returns with it held
 *   odp->lock	mutex; one region's page table.  Taken by its invalidate
 *		(trylock when that may not sleep).  Nothing allocates memory
 *		under it, because reclaim may call the notifier, which
 *		needs it
 * Counters are atomics, bumped under any of these locks or none.
 */
#include <linux/hmm.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/rmap.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "sodp.h"
#include "sodp_odp.h"

/* One entry per page: the pfn and what the device may do with it. */
#define SODP_PTE_VALID		BIT(BITS_PER_LONG - 1)
#define SODP_PTE_WRITE		BIT(BITS_PER_LONG - 2)
#define SODP_PTE_DIRTY		BIT(BITS_PER_LONG - 3)	/* device wrote it */
#define SODP_PTE_EXCL		BIT(BITS_PER_LONG - 4)	/* device-exclusive */
#define SODP_PTE_NOEXCL		BIT(BITS_PER_LONG - 5)	/* cannot be */
#define SODP_PTE_PFN_MASK	(BIT(BITS_PER_LONG - 8) - 1)

#define SODP_ODP_BLOCK_SHIFT	9
#define SODP_ODP_BLOCK		(1UL << SODP_ODP_BLOCK_SHIFT)

/*
 * Pages walked by one fault on the data path: a power of two that divides
 * SODP_ODP_BLOCK.  Prefetch walks whole blocks.
 */
#define SODP_ODP_WINDOW		16

/*
 * An access that finds its pages gone again right after faulting them
 * (an invalidation won each race) gives up after this many faults in a
 * row rather than spin: the work request fails with an access error.
 */
#define SODP_ODP_MAX_STALLS	16

static_assert(SODP_ODP_BLOCK % SODP_ODP_WINDOW == 0);

/*
 * Implicit regions are cut into 1 GiB chunks, a child region each:
 *  - every child is a node in the mm's interval tree, walked by every
 *    invalidation of the process, and a notifier call for every one that
 *    overlaps it: large chunks keep both few (64 for a 64 GiB working
 *    set), where 2 MiB chunks would make thousands;
 *  - an invalidation takes the lock of the one child it hits, and its
 *    cost follows the pages the device mapped there (the sparse table),
 *    not the chunk size, so a large chunk costs little;
 *  - 1 GiB is the PUD size on x86-64 (and arm64 with 4 KiB pages): no
 *    huge page, transparent or hugetlb, straddles two children, and a
 *    packet (4 KiB at most) crosses at most one boundary.
 */
#define SODP_IMR_CHUNK_SHIFT	30
#define SODP_IMR_CHUNK		(1UL << SODP_IMR_CHUNK_SHIFT)

static_assert(SODP_IMR_CHUNK % (SODP_ODP_BLOCK << PAGE_SHIFT) == 0);

/*
 * Children of one implicit MR: 64 TiB worth of chunks, about 200 bytes
 * each plus their page tables.  Chunks get a child only where the process
 * has a mapping, so only a process with mappings spread over more than
 * 64 TiB reaches this; its further accesses fail rather than grow the
 * kernel's memory without end.
 */
#define SODP_IMR_MAX_CHILDREN	(1U << 16)

/* Count an ODP event for the device and for the region's MR. */
static void sodp_odp_count(struct sodp_odp *odp, enum sodp_counter c, u64 n)
{
	sodp_count_odp(odp->sdev, odp->stats, c, n);
}

static unsigned long *sodp_odp_entry(struct sodp_odp *odp, unsigned long addr)
{
	unsigned long pgn = addr >> PAGE_SHIFT;
	unsigned long *blk = xa_load(&odp->blocks, pgn >> SODP_ODP_BLOCK_SHIFT);

	return blk ? &blk[pgn & (SODP_ODP_BLOCK - 1)] : NULL;
}

static struct page *sodp_odp_page(unsigned long entry)
{
	return pfn_to_page(entry & SODP_PTE_PFN_MASK);
}

/* Make sure the block holding @addr exists.  Called without odp->lock. */
static int sodp_odp_block_alloc(struct sodp_odp *odp, unsigned long addr)
{
	unsigned long key = addr >> (PAGE_SHIFT + SODP_ODP_BLOCK_SHIFT);
	unsigned long *blk, *old;

	if (xa_load(&odp->blocks, key))
		return 0;
	blk = kcalloc(SODP_ODP_BLOCK, sizeof(*blk), GFP_KERNEL);
	if (!blk)
		return -ENOMEM;
	old = xa_cmpxchg(&odp->blocks, key, NULL, blk, GFP_KERNEL);
	if (old) {
		/* Another work item won the race, or the xarray failed. */
		kfree(blk);
		return xa_is_err(old) ? xa_err(old) : 0;
	}
	return 0;
}

/*
 * Clear the entries of [@start, @end), marking the pages the device wrote
 * dirty.  The caller holds odp->lock, so an invalidation of these pages
 * has not finished and they are still mapped: folio_mark_dirty() without
 * the folio lock is safe.  Return: entries cleared.
 */
static unsigned long sodp_odp_clear(struct sodp_odp *odp, unsigned long start,
				    unsigned long end, unsigned long *excl)
{
	unsigned long first = start >> PAGE_SHIFT;
	unsigned long last = (end - 1) >> PAGE_SHIFT;
	unsigned long key, *blk, cleared = 0;

	lockdep_assert_held(&odp->lock);
	xa_for_each_range(&odp->blocks, key, blk,
			  first >> SODP_ODP_BLOCK_SHIFT,
			  last >> SODP_ODP_BLOCK_SHIFT) {
		unsigned long pgn = max(first, key << SODP_ODP_BLOCK_SHIFT);
		unsigned long stop = min(last,
				((key + 1) << SODP_ODP_BLOCK_SHIFT) - 1);

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
	}
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
	cleared = start < end ? sodp_odp_clear(odp, start, end, &excl) : 0;
	mutex_unlock(&odp->lock);

	sodp_odp_count(odp, SODP_CNT_ODP_INVALIDATIONS, 1);
	sodp_odp_count(odp, SODP_CNT_ODP_PAGES_INVALIDATED, cleared);
	sodp_odp_count(odp, SODP_CNT_ODP_EXCL_REVOKED, excl);
	return true;
}

static const struct mmu_interval_notifier_ops sodp_odp_notifier_ops = {
	.invalidate = sodp_odp_invalidate,
};

/*
 * Install what hmm_range_fault() found for [@start, @start + @npages
 * pages).  Caller holds odp->lock and has checked the sequence.
 */
static void sodp_odp_install(struct sodp_odp *odp, unsigned long start,
			     const unsigned long *pfns, unsigned long npages,
			     unsigned long need_first, unsigned long need_end)
{
	unsigned long i, needed = 0, around = 0;

	lockdep_assert_held(&odp->lock);
	for (i = 0; i < npages; i++) {
		unsigned long addr = start + (i << PAGE_SHIFT);
		unsigned long *e = sodp_odp_entry(odp, addr);
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
		 * and it still cannot be made exclusive if it could not.
		 */
		same = (*e & SODP_PTE_VALID) &&
		       (*e & SODP_PTE_PFN_MASK) == (new & SODP_PTE_PFN_MASK);
		if (same)
			new |= *e & (SODP_PTE_DIRTY | SODP_PTE_NOEXCL);
		*e = new;
		/* A neighbour the table already had is not a new mapping. */
		if (addr >= need_first && addr < need_end)
			needed++;
		else if (!same)
			around++;
	}
	sodp_odp_count(odp, SODP_CNT_ODP_PAGES_FAULTED, needed);
	sodp_odp_count(odp, SODP_CNT_ODP_PAGES_AROUND, around);
}

/**
 * sodp_odp_fault() - bring the pages of an access into the device's table
 * @odp: the region
 * @addr: first byte the access needs, inside the region
 * @len: bytes it needs (may run past the window: the caller comes back)
 * @need: what the needed pages must allow
 * @pfns: scratch array of @window entries
 * @window: pages walked, a power of two dividing SODP_ODP_BLOCK
 *
 * Walks the @window-aligned window holding @addr, clipped to the region.
 *
 * Context: process context, odp->lock not held.
 * Return: 0 (the needed pages of the window were installed, though an
 * invalidation may already have removed them again), -EFAULT or -EPERM if
 * a needed page cannot be had (no mapping, no permission, the process has
 * exited), -EBUSY if invalidations kept winning for a second, -ENOMEM.
 */
static int sodp_odp_fault(struct sodp_odp *odp, unsigned long addr,
			  unsigned long len, enum sodp_odp_need need,
			  unsigned long *pfns, unsigned long window)
{
	struct mm_struct *mm = odp->notifier.mm;
	unsigned long win = window << PAGE_SHIFT;
	unsigned long first = max(ALIGN_DOWN(addr, win), odp->start);
	unsigned long end = min(ALIGN_DOWN(addr, win) + win, odp->end);
	unsigned long need_first = addr & PAGE_MASK;
	unsigned long need_end = min(PAGE_ALIGN(addr + len), end);
	unsigned long npages = (end - first) >> PAGE_SHIFT;
	unsigned long req = 0, timeout, i;
	struct hmm_range exact = {
		.notifier = &odp->notifier,
		.start = need_first,
		.end = need_end,
		.hmm_pfns = pfns,
	};
	struct hmm_range range = {
		.notifier = &odp->notifier,
		.start = first,
		.end = end,
		.hmm_pfns = pfns,
		.pfn_flags_mask = HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE,
	};
	int err;

	if (need != SODP_ODP_SNAPSHOT)
		req = HMM_PFN_REQ_FAULT;
	if (need == SODP_ODP_WRITE)
		req |= HMM_PFN_REQ_WRITE;
	exact.default_flags = req;

	err = sodp_odp_block_alloc(odp, first);
	if (err)
		return err;
	if (!mmget_not_zero(mm))
		return -EFAULT;

	sodp_odp_count(odp, SODP_CNT_ODP_FAULTS, 1);
	timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	for (;;) {
		range.notifier_seq = mmu_interval_read_begin(&odp->notifier);
		exact.notifier_seq = range.notifier_seq;
		mmap_read_lock(mm);
		err = req ? hmm_range_fault(&exact) : 0;
		if (!err) {
			/* the requests again: the first walk overwrote them */
			for (i = 0; i < npages; i++) {
				unsigned long a = first + (i << PAGE_SHIFT);

				pfns[i] = a >= need_first && a < need_end ?
					  req : 0;
			}
			err = hmm_range_fault(&range);
		}
		mmap_read_unlock(mm);
		if (!err) {
			mutex_lock(&odp->lock);
			if (!mmu_interval_read_retry(&odp->notifier,
						     range.notifier_seq)) {
				sodp_odp_install(odp, first, pfns, npages,
						 need_first, need_end);
				mutex_unlock(&odp->lock);
				break;
			}
			mutex_unlock(&odp->lock);
			err = -EBUSY;
		}
		if (err != -EBUSY)
			break;
		if (time_after(jiffies, timeout))
			break;
		sodp_odp_count(odp, SODP_CNT_ODP_RETRIES, 1);
		cond_resched();
	}
	/* Never the last put in a QP's work item: leave exit_mmap to others. */
	mmput_async(mm);
	if (err)
		sodp_odp_count(odp, SODP_CNT_ODP_FAULT_ERRORS, 1);
	return err;
}

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

/**
 * sodp_odp_copy() - copy between an ODP region and a kernel buffer
 * @odp: the region
 * @addr: user address of the first byte, inside the region
 * @buf: kernel buffer
 * @len: bytes, inside the region
 * @to_mr: true to write the region, false to read it
 *
 * Context: process context (a QP work item), no locks held.
 * Return: 0, or an error from sodp_odp_fault(): the access fails.
 */
int sodp_odp_copy(struct sodp_odp *odp, unsigned long addr, void *buf,
		  u32 len, bool to_mr)
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
		if (n)
			stalls = 0;
		else if (++stalls > SODP_ODP_MAX_STALLS)
			return -EBUSY;
		err = sodp_odp_fault(odp, addr, len,
				     to_mr ? SODP_ODP_WRITE : SODP_ODP_READ,
				     pfns, SODP_ODP_WINDOW);
		if (err)
			return err;
	}
}

/*
 * Make the page at @addr device-exclusive and install it.
 * Return: 0 (installed, though it may already be revoked again), -EBUSY
 * if an invalidation won, or make_device_exclusive()'s error: the page
 * cannot be made exclusive (not anonymous, hugetlb, not writable, not
 * mapped), and the caller falls back.
 */
static int sodp_odp_make_exclusive(struct sodp_odp *odp, unsigned long addr)
{
	struct mm_struct *mm = odp->notifier.mm;
	struct folio *folio;
	struct page *page;
	unsigned long seq;
	int err = 0;

	err = sodp_odp_block_alloc(odp, addr);
	if (err)
		return err;
	if (!mmget_not_zero(mm))
		return -EFAULT;
	seq = mmu_interval_read_begin(&odp->notifier);
	mmap_read_lock(mm);
	page = make_device_exclusive(mm, addr & PAGE_MASK, odp->sdev, &folio);
	mmap_read_unlock(mm);
	if (IS_ERR(page)) {
		err = PTR_ERR(page);
		goto out;
	}
	mutex_lock(&odp->lock);
	if (mmu_interval_read_retry(&odp->notifier, seq)) {
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
	}
	mutex_unlock(&odp->lock);
	/* The exclusive entry in the page table keeps the page now. */
	folio_unlock(folio);
	folio_put(folio);
out:
	mmput_async(mm);
	return err;
}

/**
 * sodp_odp_atomic() - an 8-byte atomic on an ODP region
 * @odp: the region
 * @addr: user address, 8-byte aligned, inside the region
 * @cmp_swap: compare-and-swap if true, fetch-and-add if false
 * @compare_add: the compare value, or the addend
 * @swap: the swap value
 * @orig: the value before the operation
 *
 * Runs on a device-exclusive page, or on a page that cannot be one (see
 * the top of the file), under odp->lock.
 *
 * Context: process context, no locks held.
 * Return: 0, or an error from sodp_odp_fault().
 */
int sodp_odp_atomic(struct sodp_odp *odp, unsigned long addr, bool cmp_swap,
		    u64 compare_add, u64 swap, u64 *orig)
{
	unsigned long pfns[SODP_ODP_WINDOW];
	unsigned int stalls;
	int err;

	for (stalls = 0; stalls <= SODP_ODP_MAX_STALLS; stalls++) {
		const unsigned long want = SODP_PTE_VALID | SODP_PTE_WRITE;
		unsigned long *e;

		mutex_lock(&odp->lock);
		e = sodp_odp_entry(odp, addr);
		if (e && (*e & want) == want &&
		    (*e & (SODP_PTE_EXCL | SODP_PTE_NOEXCL))) {
			void *va = kmap_local_page(sodp_odp_page(*e));
			atomic64_t *p = va + offset_in_page(addr);

			if (cmp_swap)
				*orig = atomic64_cmpxchg(p, compare_add, swap);
			else
				*orig = atomic64_fetch_add(compare_add, p);
			kunmap_local(va);
			*e |= SODP_PTE_DIRTY;
			if (*e & SODP_PTE_NOEXCL)
				sodp_odp_count(odp,
					       SODP_CNT_ODP_ATOMIC_FALLBACK, 1);
			mutex_unlock(&odp->lock);
			return 0;
		}
		mutex_unlock(&odp->lock);

		err = sodp_odp_make_exclusive(odp, addr);
		if (!err || err == -EBUSY)
			continue;
		/* Not possible for this page: a plain writable entry. */
		err = sodp_odp_fault(odp, addr, sizeof(u64), SODP_ODP_WRITE,
				     pfns, SODP_ODP_WINDOW);
		if (err)
			return err;
		mutex_lock(&odp->lock);
		e = sodp_odp_entry(odp, addr);
		if (e && (*e & want) == want)
			*e |= SODP_PTE_NOEXCL;
		mutex_unlock(&odp->lock);
	}
	return -EBUSY;
}

/*
 * Fault in (or snapshot) [@addr, @addr + @len) of @odp, a block at a time.
 * @pfns has room for SODP_ODP_BLOCK entries.
 */
static int sodp_odp_fault_range(struct sodp_odp *odp, unsigned long addr,
				unsigned long len, enum sodp_odp_need need,
				unsigned long *pfns)
{
	const unsigned long block = SODP_ODP_BLOCK << PAGE_SHIFT;
	unsigned long end = addr + len;
	int err;

	while (addr < end) {
		unsigned long stop = min(ALIGN_DOWN(addr, block) + block, end);

		err = sodp_odp_fault(odp, addr, stop - addr, need, pfns,
				     SODP_ODP_BLOCK);
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
 * sodp_odp_prefetch() - fault in (or snapshot) a range ahead of use
 * @odp: the region
 * @addr: first byte, inside the region
 * @len: bytes, inside the region
 * @need: SODP_ODP_READ, SODP_ODP_WRITE, or SODP_ODP_SNAPSHOT to map only
 *	what is present without faulting
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
	sodp_odp_count(odp, SODP_CNT_ODP_PREFETCHES, 1);
	err = sodp_odp_fault_range(odp, addr, len, need, pfns);
	kfree(pfns);
	return err;
}

/*
 * A region following [@start, @end) of @mm; the caller holds a reference
 * on @mm's users (mmu_interval_notifier_insert() needs a live mm).
 */
static struct sodp_odp *sodp_odp_alloc(struct sodp_dev *sdev,
				       struct sodp_odp_stats *stats,
				       struct mm_struct *mm,
				       unsigned long start, unsigned long end)
{
	struct sodp_odp *odp;
	int err;

	odp = kzalloc(sizeof(*odp), GFP_KERNEL);
	if (!odp)
		return ERR_PTR(-ENOMEM);
	odp->sdev = sdev;
	odp->stats = stats;
	odp->start = start;
	odp->end = end;
	mutex_init(&odp->lock);
	xa_init(&odp->blocks);
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
 * sodp_odp_create() - start following [@addr, @addr + @length) of the
 *	calling process
 * @sdev: the device
 * @stats: the MR's counters; must outlive the region
 * @addr: user address of the region's first byte
 * @length: bytes, not 0
 *
 * Nothing is faulted or pinned: the first access does that.
 *
 * Context: process context, in the registering process.
 * Return: the region, or an ERR_PTR.
 */
struct sodp_odp *sodp_odp_create(struct sodp_dev *sdev,
				 struct sodp_odp_stats *stats,
				 unsigned long addr, u64 length)
{
	if (!current->mm)
		return ERR_PTR(-EINVAL);
	if (!length || length > TASK_SIZE || addr > TASK_SIZE - length)
		return ERR_PTR(-EFAULT);

	return sodp_odp_alloc(sdev, stats, current->mm, addr & PAGE_MASK,
			      PAGE_ALIGN(addr + length));
}

/**
 * sodp_odp_destroy() - stop following a region and free its table
 * @odp: the region; no access to it may be running or start
 *
 * Context: process context.
 */
void sodp_odp_destroy(struct sodp_odp *odp)
{
	unsigned long key, *blk, excl = 0;

	/* Account the device's writes while the pages are still mapped. */
	mutex_lock(&odp->lock);
	sodp_odp_clear(odp, odp->start, odp->end, &excl);
	mutex_unlock(&odp->lock);
	/* Waits for invalidations running on other CPUs. */
	mmu_interval_notifier_remove(&odp->notifier);

	xa_for_each(&odp->blocks, key, blk)
		kfree(blk);
	xa_destroy(&odp->blocks);
	mutex_destroy(&odp->lock);
	kfree(odp);
}

/*
 * Make the child of the chunk holding @addr, about to be accessed at
 * [@addr, @addr + @len), inside the chunk.  Caller holds imr->lock and
 * found no child.
 *
 * Return: the child, or an ERR_PTR: -ENOENT if the process has nothing
 * mapped in [@addr, @addr + @len) (and no child is made), -EFAULT if it
 * has exited, -ENOSPC at SODP_IMR_MAX_CHILDREN, -ENOMEM.
 */
static struct sodp_odp *sodp_imr_add_child(struct sodp_imr *imr,
					   unsigned long addr,
					   unsigned long len)
{
	unsigned long idx = addr >> SODP_IMR_CHUNK_SHIFT;
	unsigned long start = idx << SODP_IMR_CHUNK_SHIFT;
	unsigned long end = min(start + SODP_IMR_CHUNK, imr->end);
	struct sodp_odp *child;
	bool mapped;
	int err;

	lockdep_assert_held(&imr->lock);
	if (imr->nchildren >= SODP_IMR_MAX_CHILDREN)
		return ERR_PTR(-ENOSPC);
	/*
	 * mmu_interval_notifier_insert() needs a live mm.  Dropped with
	 * mmput_async(): never the last put in a QP's work item, leave
	 * exit_mmap to others.
	 */
	if (!mmget_not_zero(imr->mm))
		return ERR_PTR(-EFAULT);
	mmap_read_lock(imr->mm);
	mapped = find_vma_intersection(imr->mm, addr, addr + len);
	mmap_read_unlock(imr->mm);
	if (!mapped) {
		err = -ENOENT;
		goto err_mmput;
	}

	/* Reserved first, so that publishing the child cannot fail. */
	err = xa_reserve(&imr->children, idx, GFP_KERNEL);
	if (err)
		goto err_mmput;
	child = sodp_odp_alloc(imr->sdev, imr->stats, imr->mm, start, end);
	if (IS_ERR(child)) {
		err = PTR_ERR(child);
		goto err_release;
	}
	xa_store(&imr->children, idx, child, GFP_KERNEL);
	WRITE_ONCE(imr->nchildren, imr->nchildren + 1);
	mmput_async(imr->mm);
	return child;

err_release:
	xa_release(&imr->children, idx);
err_mmput:
	mmput_async(imr->mm);
	return ERR_PTR(err);
}

/*
 * The child of the chunk holding @addr, made if there is none yet.
 * [@addr, @addr + @len) is inside the chunk and is what the caller is
 * about to access for @need.
 *
 * Return: the child; NULL for a SODP_ODP_SNAPSHOT where nothing is
 * mapped; or an ERR_PTR: -EFAULT where nothing is mapped (as
 * hmm_range_fault() says of a hole in an explicit region) or the process
 * has exited, -ENOSPC, -ENOMEM.
 */
static struct sodp_odp *sodp_imr_child(struct sodp_imr *imr,
				       unsigned long addr, unsigned long len,
				       enum sodp_odp_need need)
{
	unsigned long idx = addr >> SODP_IMR_CHUNK_SHIFT;
	struct sodp_odp *child;

	/* Children stay until the MR goes, and the caller holds the MR. */
	child = xa_load(&imr->children, idx);
	if (child)
		return child;

	mutex_lock(&imr->lock);
	/* Another QP may have made it while we waited for the lock. */
	child = xa_load(&imr->children, idx);
	if (!child)
		child = sodp_imr_add_child(imr, addr, len);
	mutex_unlock(&imr->lock);
	if (PTR_ERR_OR_ZERO(child) != -ENOENT)
		return child;

	/* Counted as sodp_odp_fault() counts a walk that meets a hole. */
	sodp_count_odp(imr->sdev, imr->stats, SODP_CNT_ODP_FAULTS, 1);
	if (need == SODP_ODP_SNAPSHOT)
		return NULL;
	sodp_count_odp(imr->sdev, imr->stats, SODP_CNT_ODP_FAULT_ERRORS, 1);
	return ERR_PTR(-EFAULT);
}

/* Bytes from @addr to the end of its chunk. */
static unsigned long sodp_imr_chunk_left(unsigned long addr)
{
	return SODP_IMR_CHUNK - (addr & (SODP_IMR_CHUNK - 1));
}

/**
 * sodp_imr_copy() - copy between an implicit region and a kernel buffer
 * @imr: the region
 * @addr: user address of the first byte, below imr->end
 * @buf: kernel buffer
 * @len: bytes, ending at or below imr->end
 * @to_mr: true to write the region, false to read it
 *
 * Cut at chunk boundaries; each piece is copied by its child as by an
 * explicit region.  The first piece that cannot be copied ends the copy
 * with its error, the pieces before it done, as when an explicit
 * region's copy meets a hole.
 *
 * Context: process context (a QP work item), no locks held.
 * Return: 0, or an error from sodp_imr_child() or sodp_odp_copy().
 */
int sodp_imr_copy(struct sodp_imr *imr, unsigned long addr, void *buf,
		  u32 len, bool to_mr)
{
	enum sodp_odp_need need = to_mr ? SODP_ODP_WRITE : SODP_ODP_READ;

	while (len) {
		u32 n = min_t(unsigned long, len, sodp_imr_chunk_left(addr));
		struct sodp_odp *child;
		int err;

		child = sodp_imr_child(imr, addr, n, need);
		if (IS_ERR(child))
			return PTR_ERR(child);
		err = sodp_odp_copy(child, addr, buf, n, to_mr);
		if (err)
			return err;
		addr += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/**
 * sodp_imr_atomic() - an 8-byte atomic on an implicit region
 * @imr: the region
 * @addr: user address, 8-byte aligned (so inside one chunk), below
 *	imr->end
 * @cmp_swap: compare-and-swap if true, fetch-and-add if false
 * @compare_add: the compare value, or the addend
 * @swap: the swap value
 * @orig: the value before the operation
 *
 * Context: process context, no locks held.
 * Return: 0, or an error from sodp_imr_child() or sodp_odp_atomic().
 */
int sodp_imr_atomic(struct sodp_imr *imr, unsigned long addr, bool cmp_swap,
		    u64 compare_add, u64 swap, u64 *orig)
{
	struct sodp_odp *child;

	child = sodp_imr_child(imr, addr, sizeof(u64), SODP_ODP_WRITE);
	if (IS_ERR(child))
		return PTR_ERR(child);
	return sodp_odp_atomic(child, addr, cmp_swap, compare_add, swap, orig);
}

/**
 * sodp_imr_prefetch() - fault in (or snapshot) a range of an implicit
 *	region ahead of use
 * @imr: the region
 * @addr: first byte, below imr->end
 * @len: bytes, ending at or below imr->end
 * @need: as for sodp_odp_prefetch()
 *
 * Makes the children the range needs.  A chunk with nothing mapped in the
 * range fails a fault (-EFAULT, as a hole does) and is skipped by a
 * snapshot.
 *
 * Context: process context (the advising process), no locks held.
 * Return: 0, -EINTR on a fatal signal, or an error from sodp_imr_child()
 * or sodp_odp_fault().
 */
int sodp_imr_prefetch(struct sodp_imr *imr, unsigned long addr, u64 len,
		      enum sodp_odp_need need)
{
	unsigned long end = addr + len;
	unsigned long *pfns;
	int err = 0;

	pfns = kmalloc_array(SODP_ODP_BLOCK, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	sodp_count_odp(imr->sdev, imr->stats, SODP_CNT_ODP_PREFETCHES, 1);
	while (addr < end) {
		unsigned long n = min(end - addr, sodp_imr_chunk_left(addr));
		struct sodp_odp *child;

		child = sodp_imr_child(imr, addr, n, need);
		if (IS_ERR(child)) {
			err = PTR_ERR(child);
			break;
		}
		if (child) {
			err = sodp_odp_fault_range(child, addr, n, need, pfns);
			if (err)
				break;
		}
		addr += n;
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		cond_resched();
	}
	kfree(pfns);
	return err;
}

/**
 * sodp_imr_create() - an implicit region over the calling process's
 *	address space
 * @sdev: the device
 * @stats: the MR's counters; must outlive the region
 *
 * Makes no child and inserts no notifier: the first access to each chunk
 * does.
 *
 * Context: process context, in the registering process.
 * Return: the region, or an ERR_PTR.
 */
struct sodp_imr *sodp_imr_create(struct sodp_dev *sdev,
				 struct sodp_odp_stats *stats)
{
	struct sodp_imr *imr;

	if (!current->mm)
		return ERR_PTR(-EINVAL);
	imr = kzalloc(sizeof(*imr), GFP_KERNEL);
	if (!imr)
		return ERR_PTR(-ENOMEM);
	mutex_init(&imr->lock);
	xa_init(&imr->children);
	imr->sdev = sdev;
	imr->stats = stats;
	/* The process's own limit: a compat task's is 4 GiB. */
	imr->end = current->mm->task_size;
	imr->mm = current->mm;
	mmgrab(imr->mm);
	return imr;
}

/**
 * sodp_imr_destroy() - free an implicit region and all its children
 * @imr: the region; no access to it may be running or start
 *
 * Context: process context.
 */
void sodp_imr_destroy(struct sodp_imr *imr)
{
	struct sodp_odp *child;
	unsigned long idx;

	xa_for_each(&imr->children, idx, child) {
		sodp_odp_destroy(child);
		cond_resched();
	}
	xa_destroy(&imr->children);
	mmdrop(imr->mm);
	mutex_destroy(&imr->lock);
	kfree(imr);
}
