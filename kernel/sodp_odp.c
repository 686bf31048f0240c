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
 * Lock order: mmap_lock (read, for hmm_range_fault and
 * make_device_exclusive) and the rmap locks of reclaim come before the
 * folio lock make_device_exclusive() returns with, which comes before
 * odp->lock.  Nothing allocates memory while holding
 * odp->lock, because reclaim may call the notifier, which needs it.
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

	sodp_count(odp->sdev, SODP_CNT_ODP_INVALIDATIONS);
	sodp_count_add(odp->sdev, SODP_CNT_ODP_PAGES_INVALIDATED, cleared);
	sodp_count_add(odp->sdev, SODP_CNT_ODP_EXCL_REVOKED, excl);
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
		if ((*e & SODP_PTE_VALID) &&
		    (*e & SODP_PTE_PFN_MASK) == (new & SODP_PTE_PFN_MASK))
			new |= *e & (SODP_PTE_DIRTY | SODP_PTE_NOEXCL);
		*e = new;
		if (addr >= need_first && addr < need_end)
			needed++;
		else
			around++;
	}
	sodp_count_add(odp->sdev, SODP_CNT_ODP_PAGES_FAULTED, needed);
	sodp_count_add(odp->sdev, SODP_CNT_ODP_PAGES_AROUND, around);
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

	sodp_count(odp->sdev, SODP_CNT_ODP_FAULTS);
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
		sodp_count(odp->sdev, SODP_CNT_ODP_RETRIES);
		cond_resched();
	}
	/* Never the last put in a QP's work item: leave exit_mmap to others. */
	mmput_async(mm);
	if (err)
		sodp_count(odp->sdev, SODP_CNT_ODP_FAULT_ERRORS);
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
		sodp_count(odp->sdev, SODP_CNT_ODP_EXCL_GRANTED);
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
				sodp_count(odp->sdev,
					   SODP_CNT_ODP_ATOMIC_FALLBACK);
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
	const unsigned long block = SODP_ODP_BLOCK << PAGE_SHIFT;
	unsigned long end = addr + len;
	unsigned long *pfns;
	int err = 0;

	pfns = kmalloc_array(SODP_ODP_BLOCK, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	sodp_count(odp->sdev, SODP_CNT_ODP_PREFETCHES);
	while (addr < end) {
		unsigned long stop = min(ALIGN_DOWN(addr, block) + block, end);

		err = sodp_odp_fault(odp, addr, stop - addr, need, pfns,
				     SODP_ODP_BLOCK);
		if (err)
			break;
		addr = stop;
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
 * sodp_odp_create() - start following [@addr, @addr + @length) of the
 *	calling process
 * @sdev: the device
 * @addr: user address of the region's first byte
 * @length: bytes, not 0
 *
 * Nothing is faulted or pinned: the first access does that.
 *
 * Context: process context, in the registering process.
 * Return: the region, or an ERR_PTR.
 */
struct sodp_odp *sodp_odp_create(struct sodp_dev *sdev, unsigned long addr,
				 u64 length)
{
	struct sodp_odp *odp;
	int err;

	if (!current->mm)
		return ERR_PTR(-EINVAL);
	if (!length || length > TASK_SIZE || addr > TASK_SIZE - length)
		return ERR_PTR(-EFAULT);

	odp = kzalloc(sizeof(*odp), GFP_KERNEL);
	if (!odp)
		return ERR_PTR(-ENOMEM);
	odp->sdev = sdev;
	odp->start = addr & PAGE_MASK;
	odp->end = PAGE_ALIGN(addr + length);
	mutex_init(&odp->lock);
	xa_init(&odp->blocks);
	err = mmu_interval_notifier_insert(&odp->notifier, current->mm,
					   odp->start, odp->end - odp->start,
					   &sodp_odp_notifier_ops);
	if (err) {
		mutex_destroy(&odp->lock);
		kfree(odp);
		return ERR_PTR(err);
	}
	return odp;
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
