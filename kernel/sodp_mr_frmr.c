// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: fast registration MRs (IB_MR_TYPE_MEM_REG), the way kernel ULPs
 * (NVMe-oF hosts, iSER, NFS over RDMA) hand a peer an rkey for one I/O.
 *
 * The life of one:
 *
 *   ib_alloc_mr()	an MR with room for max_num_sg pages and no key:
 *			invalid, nothing reaches it
 *   ib_map_mr_sg()	the consumer's scatterlist becomes a page list
 *			(sodp_map_mr_sg(); ib_sg_to_pages() sets the iova
 *			and length of the core's ib_mr)
 *   IB_WR_REG_MR	posted on an RC QP; when its turn in the send queue
 *			comes, the requester makes the MR valid with the
 *			key, rights, iova and length the WR carried
 *			(sodp_frmr_register())
 *   IB_WR_LOCAL_INV,	make it invalid again (sodp_frmr_invalidate()); the
 *   SEND_WITH_INV	next registration needs a new key tag
 *			(ib_update_fast_reg_key())
 *
 * Addresses: sodp has no DMA device, so the "DMA addresses" of the
 * scatterlist are kernel virtual addresses (sodp_kverbs.c), and a page
 * list entry is the kernel address of page_size contiguous bytes.  The
 * byte at iova x lies (iova & (page_size - 1)) + (x - iova) bytes into
 * the list.
 *
 * Two page lists: ib_map_mr_sg() fills the one the current registration
 * does not use, because ULPs map the next I/O while the MR is still valid
 * for the last one (iSER, the core's rdma_rw) and only then post
 * LOCAL_INV and REG_MR; the REG_MR switches lists.  So a registration's
 * list never changes while it is valid.
 *
 * The fields a registration sets (mr->key, iova, length, access, which
 * list) change only under sdev->mrs' xa_lock, the lock every key look-up
 * takes, and a registration is refused on a valid MR.  An invalidation
 * takes the key away under that lock, then waits until the accesses that
 * found the key before it have finished (each is one packet's copy, with
 * a reference on the MR): once a LOCAL_INV or SEND_WITH_INV completes,
 * nothing reaches the pages any more, and the ULP may give them back.
 */
#include <linux/delay.h>
#include <linux/log2.h>

#include "sodp.h"

/* The rights a registration may grant; optional bits are dropped. */
#define SODP_FRMR_ACCESS						\
	(IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_READ |		\
	 IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC)

/**
 * struct sodp_frmr_list - one page list
 * @npages: entries ib_map_mr_sg() filled
 * @page_shift: log2 of the bytes behind each entry
 * @pages: kernel addresses, each page aligned but maybe the first
 */
struct sodp_frmr_list {
	u32 npages;
	u32 page_shift;
	u64 *pages;
};

/**
 * struct sodp_frmr - a fast registration MR's page lists
 * @max_pages: entries in each list (ib_alloc_mr()'s max_num_sg)
 * @cur: the list of the current (or last) registration; the other is
 *	ib_map_mr_sg()'s.  Changes under sdev->mrs' xa_lock.
 * @last_key: the key of the last registration, which LOCAL_INV may still
 *	name once the MR is invalid (rxe and siw take that too)
 * @list: the two lists
 */
struct sodp_frmr {
	u32 max_pages;
	u32 cur;
	u32 last_key;
	struct sodp_frmr_list list[2];
};

static const struct sodp_mr_ops sodp_frmr_ops;

/* The kernel address of @len bytes at @iova, if they lie in one page. */
static void *sodp_frmr_kaddr(struct sodp_mr *mr, u64 iova, u32 *len)
{
	const struct sodp_frmr_list *l = &mr->frmr->list[mr->frmr->cur];
	u64 page_size = 1ULL << l->page_shift;
	u64 pos = (mr->iova & (page_size - 1)) + (iova - mr->iova);
	u64 idx = pos >> l->page_shift;
	u64 off = pos & (page_size - 1);

	if (idx >= l->npages)
		return NULL;
	*len = min_t(u64, *len, page_size - off);
	return (void *)(uintptr_t)(l->pages[idx] + off);
}

/* @iova arrives as the "user address": mr->uaddr is mr->iova here. */
static int sodp_frmr_copy(struct sodp_mr *mr, unsigned long iova, void *buf,
			  u32 len, bool to_mr, unsigned long until)
{
	while (len) {
		u32 n = len;
		void *p = sodp_frmr_kaddr(mr, iova, &n);

		if (!p)
			return -ERANGE;
		if (to_mr)
			memcpy(p, buf, n);
		else
			memcpy(buf, p, n);
		buf += n;
		iova += n;
		len -= n;
	}
	return 0;
}

static int sodp_frmr_atomic(struct sodp_mr *mr, unsigned long iova,
			    enum sodp_atomic_op op, u64 compare_add, u64 swap,
			    u64 *orig, unsigned long until)
{
	u32 n = sizeof(u64);
	void *p = sodp_frmr_kaddr(mr, iova, &n);

	/* An aligned word never straddles two entries. */
	if (!p || n != sizeof(u64))
		return -ERANGE;
	*orig = sodp_atomic_do(p, op, compare_add, swap);
	return 0;
}

static void sodp_frmr_free(struct sodp_frmr *fr)
{
	kfree(fr->list[0].pages);
	kfree(fr->list[1].pages);
	kfree(fr);
}

static void sodp_frmr_destroy(struct sodp_mr *mr)
{
	sodp_frmr_free(mr->frmr);
}

static const struct sodp_mr_ops sodp_frmr_ops = {
	.copy = sodp_frmr_copy,
	.atomic = sodp_frmr_atomic,
	.prefetch = sodp_mr_prefetch_present,	/* kernel memory */
	.fill_res = sodp_mr_fill_res_none,
	.destroy = sodp_frmr_destroy,
};

/**
 * sodp_alloc_mr() - ib_alloc_mr(): a fast registration MR
 * @ibpd: a kernel consumer's PD
 * @type: IB_MR_TYPE_MEM_REG; gaps and integrity MRs are not supported
 * @max_num_sg: pages the MR is to map, at most SODP_MAX_FRMR_PAGES
 *
 * Context: process context.
 * Return: the MR, invalid until a REG_MR, or an ERR_PTR (-EOPNOTSUPP,
 * -EINVAL, -ENOMEM).
 */
struct ib_mr *sodp_alloc_mr(struct ib_pd *ibpd, enum ib_mr_type type,
			    u32 max_num_sg)
{
	struct sodp_frmr *fr;
	struct sodp_mr *mr;

	if (type != IB_MR_TYPE_MEM_REG)
		return ERR_PTR(-EOPNOTSUPP);
	if (!max_num_sg || max_num_sg > SODP_MAX_FRMR_PAGES)
		return ERR_PTR(-EINVAL);
	mr = sodp_mr_alloc(ibpd, 0, GFP_KERNEL);
	if (!mr)
		return ERR_PTR(-ENOMEM);
	fr = kzalloc_obj(*fr, GFP_KERNEL);
	if (fr) {
		fr->list[0].pages = kcalloc(max_num_sg, sizeof(u64),
					    GFP_KERNEL);
		fr->list[1].pages = kcalloc(max_num_sg, sizeof(u64),
					    GFP_KERNEL);
	}
	if (!fr || !fr->list[0].pages || !fr->list[1].pages) {
		if (fr)
			sodp_frmr_free(fr);
		kfree(mr);
		return ERR_PTR(-ENOMEM);
	}
	fr->max_pages = max_num_sg;
	mr->frmr = fr;
	mr->ops = &sodp_frmr_ops;
	return sodp_mr_publish(mr, GFP_KERNEL, false);
}

/* The list ib_map_mr_sg() fills: the one no registration uses. */
static struct sodp_frmr_list *sodp_frmr_next(struct sodp_frmr *fr)
{
	return &fr->list[!READ_ONCE(fr->cur)];
}

static int sodp_frmr_set_page(struct ib_mr *ibmr, u64 addr)
{
	struct sodp_frmr *fr = to_sodp_mr(ibmr)->frmr;
	struct sodp_frmr_list *l = sodp_frmr_next(fr);

	if (l->npages == fr->max_pages)
		return -ENOMEM;
	l->pages[l->npages++] = addr;
	return 0;
}

/**
 * sodp_map_mr_sg() - ib_map_mr_sg(): the page list of the next registration
 * @ibmr: an invalid fast registration MR; ibmr->page_size set by the core
 * @sg: the consumer's scatterlist, mapped by ib_dma_map_sg()
 * @sg_nents: entries in @sg
 * @sg_offset: offset into the first entry, or NULL
 *
 * The MR may still be valid for the last I/O: the list it uses is left
 * alone (top of the file).
 *
 * Context: any; not while a REG_MR of this MR is posted and not yet
 * carried out (the caller maps, then posts).
 * Return: the number of @sg entries mapped (ib_sg_to_pages()), or
 * -EINVAL for a page size that is not a power of two of at least 4 KiB.
 */
int sodp_map_mr_sg(struct ib_mr *ibmr, struct scatterlist *sg, int sg_nents,
		   unsigned int *sg_offset)
{
	struct sodp_frmr_list *l = sodp_frmr_next(to_sodp_mr(ibmr)->frmr);

	if (!is_power_of_2(ibmr->page_size) || ibmr->page_size < SZ_4K)
		return -EINVAL;
	l->npages = 0;
	l->page_shift = ilog2(ibmr->page_size);
	return ib_sg_to_pages(ibmr, sg, sg_nents, sg_offset,
			      sodp_frmr_set_page);
}

/*
 * The fast registration MR whose slot @key names, if it is in @qp's PD.
 * Context: sdev->mrs' xa_lock held.
 */
static struct sodp_mr *sodp_frmr_find(struct sodp_qp *qp, u32 key)
{
	struct sodp_mr *mr = xa_load(&qp->sdev->mrs, key >> 8);

	if (!mr || mr->ops != &sodp_frmr_ops ||
	    mr->pdn != to_sodp_pd(qp->ibqp.pd)->pdn)
		return NULL;
	return mr;
}

/**
 * sodp_frmr_register() - carry out a REG_MR WQE
 * @qp: the RC QP of a kernel consumer whose send queue holds it
 * @wqe: our copy of the WQE: rkey is the new key, bind the MR's current
 *	key (for its slot), iova, length and the rights to grant
 *
 * The MR must be invalid (IBTA: a fast registration of a valid MR is an
 * error), in the QP's PD, and the new key must keep its slot; the range
 * must lie in the pages ib_map_mr_sg() gave it, and rights to write
 * remotely need LOCAL_WRITE.
 *
 * Context: the QP's work item.
 * Return: 0, or -EINVAL: the WQE completes with LOC_QP_OP_ERR.
 */
int sodp_frmr_register(struct sodp_qp *qp, const struct sodp_send_wqe *wqe)
{
	const struct sodp_wqe_bind *b = &wqe->bind;
	int access = b->access & ~IB_ACCESS_OPTIONAL;
	struct sodp_dev *sdev = qp->sdev;
	const struct sodp_frmr_list *l;
	struct sodp_frmr *fr;
	struct sodp_mr *mr;
	u64 page_size;
	int err = -EINVAL;

	if ((wqe->rkey >> 8) != (b->mr_lkey >> 8) ||
	    (access & ~SODP_FRMR_ACCESS))
		return -EINVAL;
	if ((access & (IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC)) &&
	    !(access & IB_ACCESS_LOCAL_WRITE))
		return -EINVAL;
	xa_lock(&sdev->mrs);
	mr = sodp_frmr_find(qp, b->mr_lkey);
	if (!mr || mr->key)
		goto out;
	fr = mr->frmr;
	l = sodp_frmr_next(fr);
	page_size = 1ULL << l->page_shift;
	if (!l->npages || !b->length ||
	    b->length > (u64)l->npages * page_size ||
	    (b->addr & (page_size - 1)) + b->length >
		    (u64)l->npages * page_size)
		goto out;
	WRITE_ONCE(fr->cur, !fr->cur);
	mr->iova = b->addr;
	mr->uaddr = b->addr;	/* sodp_frmr_copy() takes the iova */
	mr->length = b->length;
	mr->access = access;
	mr->key = wqe->rkey;
	fr->last_key = wqe->rkey;
	err = 0;
out:
	xa_unlock(&sdev->mrs);
	if (!err)
		sodp_count(sdev, SODP_CNT_FAST_REG);
	return err;
}

/**
 * sodp_frmr_invalidate() - make the fast registration MR @key names invalid
 * @qp: the QP the LOCAL_INV was posted to, or that received the
 *	SEND_WITH_INV
 * @key: the MR's current key, or its last one if it is invalid already
 *
 * A peer's SEND_WITH_INV may end any valid one of the QP's PD, as IBTA
 * allows for MRs (a type 2 window serves only the QP it was bound
 * through: sodp_mw.c).  Returns only when no access through the key is
 * running any more (top of the file).
 *
 * Context: the QP's work item (sleeps).
 * Return: 0, or -EINVAL if @key names no fast registration MR of @qp's
 * PD, or not its current or last key.
 */
int sodp_frmr_invalidate(struct sodp_qp *qp, u32 key)
{
	struct sodp_dev *sdev = qp->sdev;
	struct sodp_mr *mr;
	bool valid;

	xa_lock(&sdev->mrs);
	mr = sodp_frmr_find(qp, key);
	if (!mr || !key || (mr->key != key && mr->frmr->last_key != key) ||
	    !refcount_inc_not_zero(&mr->ref)) {
		xa_unlock(&sdev->mrs);
		return -EINVAL;
	}
	valid = mr->key;
	mr->key = 0;
	xa_unlock(&sdev->mrs);
	/*
	 * Ours and the registration's references are left when the
	 * accesses are done.  Each is one packet's copy into kernel memory:
	 * poll rather than make every access pay for a wake-up.
	 */
	while (valid && refcount_read(&mr->ref) > 2)
		usleep_range(10, 50);
	sodp_mr_put(mr);
	return 0;
}
