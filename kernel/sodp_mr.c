// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: the MR access layer.
 *
 * Everything the transport reads from or writes to user memory goes
 * through here as (MR, iova, length); nothing else knows how an MR finds
 * its pages.  Today every MR is pinned (ib_umem); On-Demand Paging MRs
 * slot in behind the same four calls: sodp_mr_get(), sodp_mr_copy(),
 * sodp_mr_atomic() and sodp_mr_put().
 *
 * Keys: lkey == rkey == (index << 8) | tag, where index is the MR's slot in
 * sdev->mrs and tag changes on every registration, so a stale key that
 * happens to name a reused slot still fails.
 *
 * Lifetime: the registration holds one reference; every user (a work item
 * in the middle of one access) holds another, taken under the xarray lock
 * so that once sodp_dereg_mr() has erased the entry no new one can appear.
 * Deregistration then waits for the users to finish.
 *
 * Locking: sdev->mrs' xa_lock (process context only) around look-ups.
 */
#include <linux/highmem.h>
#include <linux/random.h>
#include <rdma/ib_umem.h>
#include <rdma/uverbs_ioctl.h>

#include "sodp.h"

#define SODP_MR_SUPPORTED_ACCESS					\
	(IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE |		\
	 IB_ACCESS_REMOTE_READ | IB_ACCESS_REMOTE_ATOMIC |		\
	 IB_ACCESS_OPTIONAL)

static int sodp_mr_fill_pages(struct sodp_mr *mr)
{
	struct sg_page_iter iter;
	unsigned long i = 0;

	mr->npages = ib_umem_num_pages(mr->umem);
	mr->pages = kvmalloc_array(mr->npages, sizeof(*mr->pages),
				   GFP_KERNEL);
	if (!mr->pages)
		return -ENOMEM;
	for_each_sgtable_page(&mr->umem->sgt_append.sgt, &iter, 0) {
		if (WARN_ON_ONCE(i >= mr->npages))
			return -EFAULT;
		mr->pages[i++] = sg_page_iter_page(&iter);
	}
	if (i != mr->npages)
		return -EFAULT;
	return 0;
}

struct ib_mr *sodp_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
			       u64 iova, int access, struct ib_dmah *dmah,
			       struct ib_udata *udata)
{
	struct sodp_dev *sdev = to_sodp_dev(ibpd->device);
	struct sodp_mr *mr;
	u32 index, key;
	int err;

	if (dmah)
		return ERR_PTR(-EOPNOTSUPP);
	if (access & ~SODP_MR_SUPPORTED_ACCESS)
		return ERR_PTR(-EOPNOTSUPP);
	if (!length || length > U64_MAX - iova)
		return ERR_PTR(-EINVAL);
	err = ib_is_udata_in_empty(udata);
	if (err)
		return ERR_PTR(err);

	mr = kzalloc(sizeof(*mr), GFP_KERNEL);
	if (!mr)
		return ERR_PTR(-ENOMEM);
	mr->sdev = sdev;
	mr->iova = iova;
	mr->length = length;
	mr->access = access;
	mr->pdn = to_sodp_pd(ibpd)->pdn;
	refcount_set(&mr->ref, 1);
	init_completion(&mr->released);

	mr->umem = ib_umem_get_va(&sdev->ibdev, start, length, access);
	if (IS_ERR(mr->umem)) {
		err = PTR_ERR(mr->umem);
		goto err_free;
	}
	mr->page_off = ib_umem_offset(mr->umem);
	err = sodp_mr_fill_pages(mr);
	if (err)
		goto err_umem;

	err = xa_alloc_cyclic(&sdev->mrs, &index, mr,
			      XA_LIMIT(1, SODP_MAX_MR), &sdev->next_mr,
			      GFP_KERNEL);
	if (err < 0)
		goto err_pages;
	key = (index << 8) | (get_random_u32() & 0xff);
	mr->ibmr.lkey = key;
	mr->ibmr.rkey = key;
	mr->ibmr.page_size = PAGE_SIZE;
	return &mr->ibmr;

err_pages:
	kvfree(mr->pages);
err_umem:
	ib_umem_release(mr->umem);
err_free:
	kfree(mr);
	return ERR_PTR(err == -EBUSY ? -ENOMEM : err);
}

int sodp_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata)
{
	struct sodp_mr *mr = to_sodp_mr(ibmr);

	xa_erase(&mr->sdev->mrs, ibmr->lkey >> 8);
	if (!refcount_dec_and_test(&mr->ref))
		wait_for_completion(&mr->released);
	kvfree(mr->pages);
	ib_umem_release(mr->umem);
	kfree(mr);
	return 0;
}

/**
 * sodp_mr_get() - look up and check an MR for one access
 * @sdev: the device
 * @key: lkey or rkey
 * @pdn: the PD the accessing QP belongs to
 * @iova: first byte accessed
 * @length: bytes accessed
 * @access: IB_ACCESS_* rights the access needs (0: local read)
 *
 * Return: a referenced MR (release with sodp_mr_put()), or an ERR_PTR:
 * -ENOENT for an unknown key or another PD's MR, -EACCES for missing
 * rights, -ERANGE for an access outside the region.
 */
struct sodp_mr *sodp_mr_get(struct sodp_dev *sdev, u32 key, u32 pdn,
			    u64 iova, u64 length, int access)
{
	struct sodp_mr *mr;

	xa_lock(&sdev->mrs);
	mr = xa_load(&sdev->mrs, key >> 8);
	if (!mr || mr->ibmr.lkey != key || !refcount_inc_not_zero(&mr->ref))
		mr = NULL;
	xa_unlock(&sdev->mrs);
	if (!mr)
		return ERR_PTR(-ENOENT);

	if (mr->pdn != pdn) {
		sodp_mr_put(mr);
		return ERR_PTR(-ENOENT);
	}
	if ((mr->access & access) != access) {
		sodp_mr_put(mr);
		return ERR_PTR(-EACCES);
	}
	if (iova < mr->iova || length > mr->length ||
	    iova - mr->iova > mr->length - length) {
		sodp_mr_put(mr);
		return ERR_PTR(-ERANGE);
	}
	return mr;
}

void sodp_mr_put(struct sodp_mr *mr)
{
	if (refcount_dec_and_test(&mr->ref))
		complete(&mr->released);
}

/**
 * sodp_mr_copy() - copy between an MR and a kernel buffer
 * @mr: a referenced MR, already checked for [@iova, @iova + @len)
 * @iova: first byte in the MR
 * @buf: kernel buffer
 * @len: bytes
 * @dir: SODP_TO_MR or SODP_FROM_MR
 *
 * Return: 0, or -ERANGE if the range is not inside the MR.
 */
int sodp_mr_copy(struct sodp_mr *mr, u64 iova, void *buf, u32 len,
		 enum sodp_mr_dir dir)
{
	u64 off;

	if (!len)
		return 0;
	if (iova < mr->iova || len > mr->length ||
	    iova - mr->iova > mr->length - len)
		return -ERANGE;
	off = iova - mr->iova + mr->page_off;
	while (len) {
		struct page *page = mr->pages[off >> PAGE_SHIFT];
		u32 in_page = off & ~PAGE_MASK;
		u32 chunk = min_t(u32, len, PAGE_SIZE - in_page);
		void *va = kmap_local_page(page);

		if (dir == SODP_TO_MR) {
			memcpy(va + in_page, buf, chunk);
			flush_dcache_page(page);
		} else {
			memcpy(buf, va + in_page, chunk);
		}
		kunmap_local(va);
		buf += chunk;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

/**
 * sodp_mr_atomic() - an 8-byte atomic on MR memory
 * @mr: a referenced MR, checked for REMOTE_ATOMIC on [@iova, @iova + 8)
 * @iova: 8-byte aligned address
 * @cmp_swap: compare-and-swap if true, fetch-and-add if false
 * @compare_add: the compare value, or the addend
 * @swap: the swap value
 * @orig: the value before the operation
 *
 * The operation is a locked CPU instruction on the page, so it is atomic
 * against CPU atomics on the same word as well as against other RDMA
 * atomics (IB_ATOMIC_GLOB).
 *
 * Return: 0, -EINVAL if misaligned, -ERANGE if outside the MR.
 */
int sodp_mr_atomic(struct sodp_mr *mr, u64 iova, bool cmp_swap,
		   u64 compare_add, u64 swap, u64 *orig)
{
	u64 off;
	void *va;
	atomic64_t *p;

	if (iova & 7)
		return -EINVAL;
	if (iova < mr->iova || mr->length < 8 || iova - mr->iova > mr->length - 8)
		return -ERANGE;
	off = iova - mr->iova + mr->page_off;
	if (off & 7)	/* iova and the user address may differ in alignment */
		return -EINVAL;
	va = kmap_local_page(mr->pages[off >> PAGE_SHIFT]);
	p = va + (off & ~PAGE_MASK);
	if (cmp_swap)
		*orig = atomic64_cmpxchg(p, compare_add, swap);
	else
		*orig = atomic64_fetch_add(compare_add, p);
	kunmap_local(va);
	return 0;
}
