// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: implicit ODP MRs, over the whole user address space of the
 * registering process (ibv_reg_mr(pd, NULL, SIZE_MAX, ON_DEMAND)).
 *
 * An implicit MR has no notifier of its own: it is cut into aligned
 * chunks of SODP_IMR_CHUNK bytes, and each chunk the device uses gets a
 * child, an ordinary region (sodp_odp.c) with its own notifier and page
 * table, created by the first access to the chunk (copy, atomic or
 * prefetch) and freed only with the MR.  The children are indexed by
 * chunk number in imr->children, the driver's own index: nothing is ever
 * looked up in the mm.  An access is cut at chunk boundaries and each
 * piece goes to its child as to an explicit region.
 *
 * A child is made only for a chunk in which the process has an accessible
 * mapping where the access goes (not PROT_NONE, not VM_IO/VM_PFNMAP), so
 * neither a peer probing addresses nor a large PROT_NONE reservation (as
 * JVMs, Go and V8 make) can make the driver allocate for address space
 * the process does not use; an access to such a place fails as at a hole
 * of an explicit region.
 *
 * Locking: imr->lock (mutex) serialises the creation of children.  It is
 * held across mmap_read_lock() (is anything mapped?) and
 * mmu_interval_notifier_insert() (which may take mmap_lock for writing),
 * so it is taken outside mmap_lock, never by a notifier or by reclaim,
 * and no access to a page holds it.  Then the region's own locks
 * (sodp_odp.c).
 */
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "sodp_odp.h"

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
#define SODP_IMR_CHUNK		BIT(SODP_IMR_CHUNK_SHIFT)

/*
 * Children of one implicit MR: 64 TiB worth of chunks, about 250 bytes
 * each plus their page tables.  Chunks get a child only where the process
 * has an accessible mapping, so only a process with mappings spread over
 * more than 64 TiB reaches this; its further accesses fail rather than
 * grow the kernel's memory without end.
 */
#define SODP_IMR_MAX_CHILDREN	0x10000U

/**
 * struct sodp_imr - an implicit ODP region: the whole user address space
 * @lock:	serialises the creation of children
 * @children:	chunk number -> struct sodp_odp, stored under @lock, loaded
 *		without it
 * @nchildren:	entries in @children, at most SODP_IMR_MAX_CHILDREN
 * @end:	the mm's task_size: every address is below it
 * @mm:		the registering process's mm (mmgrab), where the children's
 *		notifiers go
 * @memcg:	its memory cgroup, charged for the children and their tables
 * @mr:		the MR, for the device and the counters
 *
 * Children live until the region is destroyed: whoever found one in
 * @children may use it for as long as it holds a reference on the MR.
 */
struct sodp_imr {
	struct mutex lock;	/* one child created at a time */
	struct xarray children;
	unsigned int nchildren;
	unsigned long end;
	struct mm_struct *mm;
	struct mem_cgroup *memcg;
	struct sodp_mr *mr;
};

static void sodp_imr_count(struct sodp_imr *imr, enum sodp_counter c)
{
	sodp_count_odp(imr->mr->sdev, &imr->mr->odp_stats, c, 1);
}

/*
 * Does the process have a mapping in [@addr, @addr + @len) that the
 * device could ever reach?  Caller holds mmap_lock.
 */
static bool sodp_imr_accessible(struct mm_struct *mm, unsigned long addr,
				unsigned long len)
{
	unsigned long end = addr + len;
	struct vm_area_struct *vma;

	for (vma = find_vma(mm, addr); vma && vma->vm_start < end;
	     vma = find_vma(mm, vma->vm_end)) {
		if ((vma->vm_flags & (VM_READ | VM_WRITE)) &&
		    !(vma->vm_flags & (VM_IO | VM_PFNMAP)))
			return true;
	}
	return false;
}

/*
 * Make the child of the chunk holding @addr, about to be accessed at
 * [@addr, @addr + @len), inside the chunk.  Caller holds imr->lock and
 * found no child.
 *
 * Return: the child, or an ERR_PTR: -ENOENT if the process has nothing
 * accessible mapped in [@addr, @addr + @len) (and no child is made),
 * -EFAULT if it has exited, -ENOSPC at SODP_IMR_MAX_CHILDREN, -ENOMEM.
 */
static struct sodp_odp *sodp_imr_add_child(struct sodp_imr *imr,
					   unsigned long addr,
					   unsigned long len)
{
	unsigned long idx = addr >> SODP_IMR_CHUNK_SHIFT;
	unsigned long start = idx << SODP_IMR_CHUNK_SHIFT;
	unsigned long end = min(start + SODP_IMR_CHUNK, imr->end);
	struct mem_cgroup *old_memcg;
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
	mapped = sodp_imr_accessible(imr->mm, addr, len);
	mmap_read_unlock(imr->mm);
	if (!mapped) {
		err = -ENOENT;
		goto err_mmput;
	}

	/* Charged to the registering process, whoever asks. */
	old_memcg = set_active_memcg(imr->memcg);
	/* Reserved first, so that publishing the child cannot fail. */
	err = xa_reserve(&imr->children, idx, GFP_KERNEL_ACCOUNT);
	if (err) {
		set_active_memcg(old_memcg);
		goto err_mmput;
	}
	child = sodp_odp_alloc(imr->mr->sdev, &imr->mr->odp_stats,
			       imr->memcg, imr->mm, start, end);
	set_active_memcg(old_memcg);
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
 * has exited, -ENOSPC, -EAGAIN (no memory now).
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
	if (PTR_ERR_OR_ZERO(child) == -ENOMEM)
		return ERR_PTR(-EAGAIN);
	if (PTR_ERR_OR_ZERO(child) != -ENOENT)
		return child;

	/* Counted as sodp_odp_fault() counts a walk that meets a hole. */
	sodp_imr_count(imr, SODP_CNT_ODP_FAULTS);
	if (need == SODP_ODP_SNAPSHOT)
		return NULL;
	sodp_imr_count(imr, SODP_CNT_ODP_FAULT_ERRORS);
	return ERR_PTR(-EFAULT);
}

/* Bytes from @addr to the end of its chunk. */
static unsigned long sodp_imr_chunk_left(unsigned long addr)
{
	return SODP_IMR_CHUNK - (addr & (SODP_IMR_CHUNK - 1));
}

/*
 * Cut at chunk boundaries; each piece is copied by its child as by an
 * explicit region.  The first piece that cannot be copied ends the copy
 * with its error, the pieces before it done, as when an explicit region's
 * copy meets a hole.
 */
static int sodp_imr_copy(struct sodp_mr *mr, unsigned long addr, void *buf,
			 u32 len, bool to_mr, unsigned long until)
{
	enum sodp_odp_need need = to_mr ? SODP_ODP_WRITE : SODP_ODP_READ;

	while (len) {
		u32 n = min_t(unsigned long, len, sodp_imr_chunk_left(addr));
		struct sodp_odp *child;
		int err;

		child = sodp_imr_child(mr->imr, addr, n, need);
		if (IS_ERR(child))
			return PTR_ERR(child);
		err = sodp_odp_copy(child, addr, buf, n, to_mr, until);
		if (err)
			return err;
		addr += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * As sodp_imr_copy() with sodp_odp_copy_now(), but a chunk without a
 * child yet is a page that needs a fault: making the child waits for
 * imr->lock and mmap_lock.
 */
static int sodp_imr_copy_now(struct sodp_mr *mr, unsigned long addr,
			     void *buf, u32 len, bool to_mr, u32 *done)
{
	*done = 0;
	while (len) {
		u32 n = min_t(unsigned long, len, sodp_imr_chunk_left(addr));
		struct sodp_odp *child;
		u32 part;
		int err;

		/* Children stay until the MR goes, and the caller holds it. */
		child = xa_load(&mr->imr->children,
				addr >> SODP_IMR_CHUNK_SHIFT);
		if (!child)
			return -ENODATA;
		err = sodp_odp_copy_now(child, addr, buf, n, to_mr, &part);
		*done += part;
		if (err)
			return err;
		addr += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Makes the children the copy will need, and faults as they would. */
static int sodp_imr_fault(struct sodp_mr *mr, unsigned long addr, u32 len,
			  enum sodp_odp_need need)
{
	while (len) {
		u32 n = min_t(unsigned long, len, sodp_imr_chunk_left(addr));
		struct sodp_odp *child;
		int err;

		child = sodp_imr_child(mr->imr, addr, n, need);
		if (IS_ERR(child))
			return PTR_ERR(child);
		err = sodp_odp_fault_access(child, addr, n, need);
		if (err)
			return err;
		addr += n;
		len -= n;
	}
	return 0;
}

/* 8-byte aligned, so inside one chunk. */
static int sodp_imr_atomic(struct sodp_mr *mr, unsigned long addr,
			   enum sodp_atomic_op op, u64 compare_add, u64 swap,
			   u64 *orig, unsigned long until)
{
	struct sodp_odp *child;

	child = sodp_imr_child(mr->imr, addr, sizeof(u64), SODP_ODP_WRITE);
	if (IS_ERR(child))
		return PTR_ERR(child);
	return sodp_odp_atomic(child, addr, op, compare_add, swap, orig,
			       until);
}

/*
 * Makes the children the range needs.  A chunk with nothing accessible
 * mapped in the range fails a fault (-EFAULT, as a hole does) and is
 * skipped by a snapshot.
 */
static int sodp_imr_prefetch(struct sodp_mr *mr, unsigned long addr, u64 len,
			     enum sodp_odp_need need)
{
	struct sodp_imr *imr = mr->imr;
	unsigned long end = addr + len;
	int err = 0;

	sodp_imr_count(imr, SODP_CNT_ODP_PREFETCHES);
	while (addr < end) {
		unsigned long n = min(end - addr, sodp_imr_chunk_left(addr));
		struct sodp_odp *child;

		child = sodp_imr_child(imr, addr, n, need);
		if (IS_ERR(child))
			return PTR_ERR(child);
		if (child) {
			err = sodp_odp_prefetch(child, addr, n, need);
			if (err)
				return err;
		}
		addr += n;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

static int sodp_imr_fill_res(struct sk_buff *msg, struct sodp_mr *mr)
{
	return sodp_fill_res_odp(msg, &mr->odp_stats, true,
				 READ_ONCE(mr->imr->nchildren));
}

static void sodp_imr_destroy(struct sodp_mr *mr)
{
	struct sodp_imr *imr = mr->imr;
	struct sodp_odp *child;
	unsigned long idx;

	xa_for_each(&imr->children, idx, child) {
		sodp_odp_free(child);
		cond_resched();
	}
	xa_destroy(&imr->children);
	mem_cgroup_put(imr->memcg);
	mmdrop(imr->mm);
	mutex_destroy(&imr->lock);
	kfree(imr);
}

static const struct sodp_mr_ops sodp_imr_ops = {
	.copy = sodp_imr_copy,
	.copy_now = sodp_imr_copy_now,
	.fault = sodp_imr_fault,
	.atomic = sodp_imr_atomic,
	.prefetch = sodp_imr_prefetch,
	.fill_res = sodp_imr_fill_res,
	.destroy = sodp_imr_destroy,
};

/**
 * sodp_imr_mr_init() - an implicit ODP MR over the calling process's
 *	address space
 * @mr: the MR being registered (start 0, length U64_MAX, iova 0)
 *
 * Makes no child and inserts no notifier: the first access to each chunk
 * does.  The MR's length becomes the process's address space limit, so
 * the common bounds check keeps every access below it.
 *
 * Context: process context, in the registering process.
 * Return: 0 with mr->ops set, or a negative errno.
 */
int sodp_imr_mr_init(struct sodp_mr *mr)
{
	struct sodp_imr *imr;

	if (!current->mm)
		return -EINVAL;
	imr = kzalloc_obj(*imr, GFP_KERNEL_ACCOUNT);
	if (!imr)
		return -ENOMEM;
	mutex_init(&imr->lock);
	xa_init(&imr->children);
	imr->mr = mr;
	/* The process's own limit: a compat task's is 4 GiB. */
	imr->end = current->mm->task_size;
	imr->mm = current->mm;
	mmgrab(imr->mm);
	imr->memcg = get_mem_cgroup_from_mm(imr->mm);
	mr->imr = imr;
	mr->length = imr->end;
	mr->ops = &sodp_imr_ops;
	return 0;
}
