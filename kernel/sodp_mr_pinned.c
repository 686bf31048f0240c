// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: pinned MRs, the kind without IB_ACCESS_ON_DEMAND.
 *
 * Registration pins the range with ib_umem and keeps an array of its
 * pages, so an access is an index into the array and a kmap_local_page();
 * nothing can move the pages until deregistration unpins them.
 */
#include <linux/highmem.h>
#include <rdma/ib_umem.h>

#include "sodp.h"

/* The page holding user address @uaddr and the offset into it. */
static struct page *sodp_pinned_page(struct sodp_mr *mr, unsigned long uaddr,
				     u32 *in_page)
{
	unsigned long off = uaddr - (mr->uaddr & PAGE_MASK);

	*in_page = offset_in_page(off);
	return mr->pages[off >> PAGE_SHIFT];
}

static int sodp_pinned_copy(struct sodp_mr *mr, unsigned long uaddr,
			    void *buf, u32 len, bool to_mr,
			    unsigned long until)
{
	while (len) {
		u32 in_page;
		struct page *page = sodp_pinned_page(mr, uaddr, &in_page);
		u32 n = min_t(u32, len, PAGE_SIZE - in_page);
		void *va = kmap_local_page(page);

		if (to_mr) {
			memcpy(va + in_page, buf, n);
			flush_dcache_page(page);
		} else {
			memcpy(buf, va + in_page, n);
		}
		kunmap_local(va);
		buf += n;
		uaddr += n;
		len -= n;
	}
	return 0;
}

static int sodp_pinned_atomic(struct sodp_mr *mr, unsigned long uaddr,
			      enum sodp_atomic_op op, u64 compare_add,
			      u64 swap, u64 *orig, unsigned long until)
{
	u32 in_page;
	struct page *page = sodp_pinned_page(mr, uaddr, &in_page);
	void *va = kmap_local_page(page);
	atomic64_t *p = va + in_page;

	*orig = sodp_atomic_do(p, op, compare_add, swap);
	kunmap_local(va);
	return 0;
}

static void sodp_pinned_destroy(struct sodp_mr *mr)
{
	kvfree(mr->pages);
	ib_umem_release(mr->umem);
}

static const struct sodp_mr_ops sodp_pinned_ops = {
	.copy = sodp_pinned_copy,
	.atomic = sodp_pinned_atomic,
	.prefetch = sodp_mr_prefetch_present,	/* pinned: always there */
	.fill_res = sodp_mr_fill_res_none,
	.destroy = sodp_pinned_destroy,
};

static int sodp_pinned_fill_pages(struct sodp_mr *mr)
{
	struct sg_page_iter iter;
	unsigned long i = 0;

	mr->npages = ib_umem_num_pages(mr->umem);
	mr->pages = kvmalloc_array(mr->npages, sizeof(*mr->pages),
				   GFP_KERNEL_ACCOUNT);
	if (!mr->pages)
		return -ENOMEM;
	for_each_sgtable_page(&mr->umem->sgt_append.sgt, &iter, 0) {
		if (WARN_ON_ONCE(i >= mr->npages))
			return -EFAULT;
		mr->pages[i++] = sg_page_iter_page(&iter);
	}
	return i == mr->npages ? 0 : -EFAULT;
}

/**
 * sodp_mr_pinned_init() - pin [mr->uaddr, mr->uaddr + mr->length)
 * @mr: the MR being registered
 *
 * Context: process context, in the registering process.
 * Return: 0 with mr->ops set, or ib_umem_get_va()'s error, -ENOMEM.
 */
int sodp_mr_pinned_init(struct sodp_mr *mr)
{
	int err;

	mr->umem = ib_umem_get_va(&mr->sdev->ibdev, mr->uaddr, mr->length,
				  mr->access);
	if (IS_ERR(mr->umem))
		return PTR_ERR(mr->umem);
	/* ib_umem_get_va() keeps the address: pages[0] holds mr->uaddr. */
	if (WARN_ON_ONCE(ib_umem_offset(mr->umem) != offset_in_page(mr->uaddr))) {
		err = -EINVAL;
		goto err_release;
	}
	err = sodp_pinned_fill_pages(mr);
	if (err)
		goto err_free;
	mr->ops = &sodp_pinned_ops;
	return 0;

err_free:
	kvfree(mr->pages);
err_release:
	ib_umem_release(mr->umem);
	return err;
}
