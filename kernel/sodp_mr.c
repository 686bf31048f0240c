// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: the MR access layer.
 *
 * Everything the transport reads from or writes to user memory goes
 * through here as (MR, iova, length); nothing else knows how an MR finds
 * its pages.  The transport sees four calls, sodp_mr_get(),
 * sodp_mr_copy(), sodp_mr_atomic() and sodp_mr_put(), whatever the kind
 * of MR, and the responder two more, sodp_mr_copy_now() and
 * sodp_mr_fault(), to make its faults aside (sodp_resp_fault.c).  This
 * file does what is common to every kind (keys, rights, bounds, the
 * iova -> user address translation, lifetime) and leaves the memory to
 * the kind's struct sodp_mr_ops:
 *
 *   pinned		sodp_mr_pinned.c: ib_umem, a page array filled at
 *			registration
 *   explicit ODP	sodp_odp.c: nothing pinned, pages found through the
 *			process's page tables at each access
 *   implicit ODP	sodp_odp_implicit.c: the same over the whole user
 *			address space (start 0, length U64_MAX)
 *   DMA		sodp_mr_dma.c: a kernel consumer's PD's local_dma_lkey,
 *			over kernel virtual addresses
 *   fast reg.	sodp_mr_frmr.c: a kernel consumer's page list, given
 *			a key and rights by a REG_MR work request
 *
 * Bounds: every access is checked against [iova, iova + length) of the
 * MR (sodp_mr_in_bounds()).  For an implicit MR, iova is 0 and length is
 * the process's address space limit (mm->task_size), not the U64_MAX it
 * was registered with: any key works with any address the process could
 * map, and nothing above.
 *
 * Keys: lkey == rkey == (index << 8) | tag, where index is the MR's slot in
 * sdev->mrs and tag changes on every registration, so a stale key that
 * happens to name a reused slot still fails.  Look-ups compare mr->key,
 * the key the device answers to now: a fast registration MR's changes
 * with each REG_MR and is 0 (none) while the MR is invalid.
 *
 * Lifetime: the registration holds one reference; every user (a work item
 * in the middle of one access, or of a fault made for one) holds another,
 * taken under the xarray lock so that once sodp_dereg_mr() has erased the
 * entry no new one can appear.
 * Deregistration then waits for the users to finish.
 *
 * Windows: a memory window (sodp_mw.c) bound to an MR counts in
 * mr->num_mw, under the same lock as the look-up, and an MR with windows
 * bound refuses deregistration with -EBUSY, as rxe does; when a process
 * exits, uverbs goes on destroying what it can and so retries the MR once
 * its windows are gone.  A bound window can therefore always reach its
 * MR.
 *
 * Locking: sdev->mrs' xa_lock (process context only) around look-ups and
 * num_mw.  It nests inside sdev->mws' xa_lock (sodp_mw.c).
 */
#include <linux/random.h>
#include <rdma/uverbs_ioctl.h>

#include "sodp.h"

/* HUGETLB is a hint that the range is huge pages; any page size works. */
#define SODP_MR_SUPPORTED_ACCESS					\
	(IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE |		\
	 IB_ACCESS_REMOTE_READ | IB_ACCESS_REMOTE_ATOMIC |		\
	 IB_ACCESS_ON_DEMAND | IB_ACCESS_HUGETLB | IB_ACCESS_OPTIONAL |	\
	 IB_ACCESS_MW_BIND | IB_ACCESS_FLUSH_GLOBAL)

/* Is [@iova, @iova + @len) inside the MR?  The one bounds check. */
static bool sodp_mr_in_bounds(const struct sodp_mr *mr, u64 iova, u64 len)
{
	return iova >= mr->iova && len <= mr->length &&
	       iova - mr->iova <= mr->length - len;
}

/* The user address of the byte at @iova.  The one translation. */
static unsigned long sodp_mr_uaddr(const struct sodp_mr *mr, u64 iova)
{
	return mr->uaddr + (iova - mr->iova);
}

/* The kind of MR a registration asks for. */
static int sodp_mr_init_kind(struct sodp_mr *mr)
{
	if (!(mr->access & IB_ACCESS_ON_DEMAND))
		return sodp_mr_pinned_init(mr);
	/*
	 * Implicit ODP: user addresses are the iovas, as rdma-core
	 * registers it (ibv_reg_mr(pd, NULL, SIZE_MAX, ...)).
	 */
	if (!mr->uaddr && mr->length == U64_MAX)
		return mr->iova ? -EINVAL : sodp_imr_mr_init(mr);
	return sodp_odp_mr_init(mr);
}

/* sodp_mr_ops.prefetch of the kinds whose memory is always present. */
int sodp_mr_prefetch_present(struct sodp_mr *mr, unsigned long uaddr,
			     u64 len, enum sodp_odp_need need)
{
	return 0;
}

/* sodp_mr_ops.fill_res of the kinds with nothing to add to restrack. */
int sodp_mr_fill_res_none(struct sk_buff *msg, struct sodp_mr *mr)
{
	return 0;
}

/* A new MR with its registration's reference and no kind yet. */
struct sodp_mr *sodp_mr_alloc(struct ib_pd *ibpd, int access, gfp_t gfp)
{
	struct sodp_mr *mr = kzalloc(sizeof(*mr), gfp);

	if (!mr)
		return NULL;
	mr->sdev = to_sodp_dev(ibpd->device);
	mr->access = access;
	mr->pdn = to_sodp_pd(ibpd)->pdn;
	refcount_set(&mr->ref, 1);
	init_completion(&mr->released);
	return mr;
}

/*
 * Give an initialised MR its key and make it findable; on failure undo
 * the kind's init and free the MR.  @valid: it answers to its key at
 * once; a fast registration MR answers to none until a REG_MR
 * (sodp_mr_frmr.c).
 */
struct ib_mr *sodp_mr_publish(struct sodp_mr *mr, gfp_t gfp, bool valid)
{
	struct sodp_dev *sdev = mr->sdev;
	u32 index, key;
	int err;

	err = xa_alloc_cyclic(&sdev->mrs, &index, mr,
			      XA_LIMIT(1, SODP_MAX_MR), &sdev->next_mr, gfp);
	if (err < 0) {
		mr->ops->destroy(mr);
		kfree(mr);
		return ERR_PTR(err == -EBUSY ? -ENOMEM : err);
	}
	key = (index << 8) | (get_random_u32() & 0xff);
	mr->ibmr.lkey = key;
	mr->ibmr.rkey = key;
	mr->ibmr.page_size = PAGE_SIZE;
	if (valid) {
		xa_lock(&sdev->mrs);
		mr->key = key;
		xa_unlock(&sdev->mrs);
	}
	return &mr->ibmr;
}

struct ib_mr *sodp_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
			       u64 iova, int access, struct ib_dmah *dmah,
			       struct ib_udata *udata)
{
	struct sodp_mr *mr;
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

	mr = sodp_mr_alloc(ibpd, access, GFP_KERNEL_ACCOUNT);
	if (!mr)
		return ERR_PTR(-ENOMEM);
	mr->uaddr = start;
	mr->iova = iova;
	mr->length = length;
	err = sodp_mr_init_kind(mr);
	if (err) {
		kfree(mr);
		return ERR_PTR(err);
	}
	return sodp_mr_publish(mr, GFP_KERNEL_ACCOUNT, true);
}

/**
 * sodp_get_dma_mr() - the MR behind a kernel PD's local_dma_lkey
 * @ibpd: a kernel consumer's PD
 * @access: IB_ACCESS_LOCAL_WRITE; remote rights are refused
 *
 * Context: process context.
 * Return: the MR, or an ERR_PTR (-EOPNOTSUPP, -ENOMEM).
 */
struct ib_mr *sodp_get_dma_mr(struct ib_pd *ibpd, int access)
{
	struct sodp_mr *mr;
	int err;

	mr = sodp_mr_alloc(ibpd, access, GFP_KERNEL);
	if (!mr)
		return ERR_PTR(-ENOMEM);
	err = sodp_mr_dma_init(mr);
	if (err) {
		kfree(mr);
		return ERR_PTR(err);
	}
	return sodp_mr_publish(mr, GFP_KERNEL, true);
}

int sodp_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata)
{
	struct sodp_mr *mr = to_sodp_mr(ibmr);
	struct sodp_dev *sdev = mr->sdev;

	xa_lock(&sdev->mrs);
	if (mr->num_mw) {
		xa_unlock(&sdev->mrs);
		return -EBUSY;
	}
	__xa_erase(&sdev->mrs, ibmr->lkey >> 8);
	xa_unlock(&sdev->mrs);
	if (!refcount_dec_and_test(&mr->ref))
		wait_for_completion(&mr->released);
	mr->ops->destroy(mr);
	kfree(mr);
	return 0;
}

/**
 * sodp_fill_res_mr_entry() - restrack's driver table for one MR
 * @msg: the netlink message being built
 * @ibmr: the MR; restrack holds it, so deregistration waits for us
 *
 * `rdma resource show mr -dd` shows what the MR's kind has to say (an
 * ODP MR's counters, sodp_stats.c).
 *
 * Context: process context (a netlink dump).
 * Return: 0, or -EMSGSIZE when the message is full.
 */
int sodp_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr)
{
	struct sodp_mr *mr = to_sodp_mr(ibmr);

	return mr->ops->fill_res(msg, mr);
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
	struct sodp_mr *mr = sodp_mr_get_whole(sdev, key, pdn, access);

	if (IS_ERR(mr) || sodp_mr_in_bounds(mr, iova, length))
		return mr;
	sodp_mr_put(mr);
	return ERR_PTR(-ERANGE);
}

/**
 * sodp_mr_get_whole() - look up and check an MR for an access to all of it
 * @sdev: the device
 * @key: lkey or rkey
 * @pdn: the PD the accessing QP belongs to
 * @access: IB_ACCESS_* rights the access needs
 *
 * For a FLUSH of a whole MR, which names no address range.
 *
 * Return: a referenced MR, or ERR_PTR(-ENOENT) or ERR_PTR(-EACCES) as
 * sodp_mr_get() gives.
 */
struct sodp_mr *sodp_mr_get_whole(struct sodp_dev *sdev, u32 key, u32 pdn,
				  int access)
{
	struct sodp_mr *mr;
	int err = 0;

	/*
	 * All under the lock: a fast registration MR's key and rights
	 * change under it (sodp_mr_frmr.c).
	 */
	xa_lock(&sdev->mrs);
	mr = xa_load(&sdev->mrs, key >> 8);
	if (!mr || mr->key != key || mr->pdn != pdn)
		err = -ENOENT;
	else if ((mr->access & access) != access)
		err = -EACCES;
	else if (!refcount_inc_not_zero(&mr->ref))
		err = -ENOENT;
	xa_unlock(&sdev->mrs);
	return err ? ERR_PTR(err) : mr;
}

/**
 * sodp_mr_bind_window() - let a memory window lie in an MR
 * @sdev: the device
 * @lkey: the MR's key
 * @pdn: the PD of the window and of the QP binding it
 * @iova: first byte of the window
 * @length: bytes
 * @access: IB_ACCESS_* rights the window is to grant
 *
 * The MR must be in the same PD and allow binding, and local writes too
 * if the window grants remote writes or atomics; the range must lie
 * inside it.
 *
 * Context: sdev->mws' xa_lock held.
 * Return: the MR, with num_mw raised (drop it with
 * sodp_mr_unbind_window()), or an ERR_PTR(-EPERM).
 */
struct sodp_mr *sodp_mr_bind_window(struct sodp_dev *sdev, u32 lkey, u32 pdn,
				    u64 iova, u64 length, int access)
{
	int need = IB_ACCESS_MW_BIND;
	struct sodp_mr *mr;

	if (access & (IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC))
		need |= IB_ACCESS_LOCAL_WRITE;
	xa_lock(&sdev->mrs);
	mr = xa_load(&sdev->mrs, lkey >> 8);
	if (!mr || mr->key != lkey || mr->pdn != pdn ||
	    (mr->access & need) != need ||
	    !sodp_mr_in_bounds(mr, iova, length)) {
		xa_unlock(&sdev->mrs);
		return ERR_PTR(-EPERM);
	}
	mr->num_mw++;
	xa_unlock(&sdev->mrs);
	return mr;
}

/* A window bound to @mr no longer is.  Context: sdev->mws' xa_lock held. */
void sodp_mr_unbind_window(struct sodp_mr *mr)
{
	xa_lock(&mr->sdev->mrs);
	mr->num_mw--;
	xa_unlock(&mr->sdev->mrs);
}

/*
 * Another user of an MR that cannot be going away: one a window is bound
 * to, looked at under sdev->mws' xa_lock, or one the caller holds a
 * reference on already.  Release with sodp_mr_put().
 */
void sodp_mr_hold(struct sodp_mr *mr)
{
	refcount_inc(&mr->ref);
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
 * @until: for an ODP MR, jiffies after which a fault that invalidations
 *	keep spoiling gives up with -EAGAIN (jiffies +
 *	SODP_ODP_FAULT_PATIENCE when the caller has no deadline of its own)
 *
 * Context: process context (ODP MRs may fault), no locks held.
 * Return: 0, -ERANGE if the range is not inside the MR, or for an ODP MR
 * -EAGAIN if a page cannot be had now but may be later (the caller
 * retries the access later: an RNR NAK on the wire) or another error if
 * it cannot be had at all (see sodp_odp.c).
 */
int sodp_mr_copy(struct sodp_mr *mr, u64 iova, void *buf, u32 len,
		 enum sodp_mr_dir dir, unsigned long until)
{
	if (!len)
		return 0;
	if (!sodp_mr_in_bounds(mr, iova, len))
		return -ERANGE;
	return mr->ops->copy(mr, sodp_mr_uaddr(mr, iova), buf, len,
			     dir == SODP_TO_MR, until);
}

/**
 * sodp_mr_copy_now() - sodp_mr_copy(), but never waiting for a fault
 * @mr: a referenced MR, already checked for [@iova, @iova + @len)
 * @iova: first byte in the MR
 * @buf: kernel buffer
 * @len: bytes
 * @dir: SODP_TO_MR or SODP_FROM_MR
 * @done: bytes copied before the first page that needs a fault (0 on any
 *	other error)
 *
 * For the responder, which hands faults to a work item of their own
 * (sodp_resp_fault.c) so as to go on answering its requester meanwhile.
 *
 * Context: process context, no locks held.
 * Return: as sodp_mr_copy(), or -ENODATA if a page of an ODP MR needs a
 * fault first (sodp_mr_fault() from @iova + @done on).
 */
int sodp_mr_copy_now(struct sodp_mr *mr, u64 iova, void *buf, u32 len,
		     enum sodp_mr_dir dir, u32 *done)
{
	unsigned long uaddr;
	int err;

	*done = 0;
	if (!len)
		return 0;
	if (!sodp_mr_in_bounds(mr, iova, len))
		return -ERANGE;
	uaddr = sodp_mr_uaddr(mr, iova);
	if (mr->ops->copy_now)
		return mr->ops->copy_now(mr, uaddr, buf, len,
					 dir == SODP_TO_MR, done);
	err = mr->ops->copy(mr, uaddr, buf, len, dir == SODP_TO_MR, jiffies);
	if (!err)
		*done = len;
	return err;
}

/**
 * sodp_mr_fault() - fault in what sodp_mr_copy_now() found missing
 * @mr: a referenced MR; @iova must be in it
 * @iova: first byte in the MR
 * @len: bytes the copy needs
 * @ahead: bytes after those that a later copy will need: faulted in the
 *	same walks, but their errors are left to that copy
 * @need: SODP_ODP_WRITE or SODP_ODP_READ, as the copy will be
 *
 * Bytes past the end of the MR are left out.
 *
 * Context: process context, no locks held; may sleep for as long as the
 * process's memory takes (a page being migrated, read from disk, ...).
 * Return: 0, -ERANGE if @iova is not in the MR, or for an ODP MR -EAGAIN
 * (not now) or the error of a page the copy needs that cannot be had.
 */
int sodp_mr_fault(struct sodp_mr *mr, u64 iova, u32 len, u32 ahead,
		  enum sodp_odp_need need)
{
	unsigned long uaddr;
	u64 left;

	if (!len || !mr->ops->fault)
		return 0;
	if (!sodp_mr_in_bounds(mr, iova, 1))
		return -ERANGE;
	left = mr->length - (iova - mr->iova);
	uaddr = sodp_mr_uaddr(mr, iova);
	/*
	 * One fault for both; only if it fails, one for the needed bytes
	 * alone, whose result is the answer (the pages faulted before the
	 * failure are found at once).
	 */
	if (ahead && left > len &&
	    !mr->ops->fault(mr, uaddr, min_t(u64, (u64)len + ahead, left),
			    need))
		return 0;
	return mr->ops->fault(mr, uaddr, min_t(u64, len, left), need);
}

/**
 * sodp_mr_atomic() - an 8-byte atomic on MR memory
 * @mr: a referenced MR, checked for REMOTE_ATOMIC (REMOTE_WRITE for a
 *	store) on [@iova, @iova + 8)
 * @iova: 8-byte aligned address
 * @op: what to do with the word (enum sodp_atomic_op)
 * @compare_add: the compare value, or the addend
 * @swap: the swap value, or the value to store
 * @orig: the value before the operation
 * @until: as for sodp_mr_copy()
 *
 * Every kind performs the operation as a locked CPU instruction on the
 * page the process has mapped there, so it is atomic against CPU atomics
 * on the same word as well as against other RDMA atomics
 * (IB_ATOMIC_GLOB).
 *
 * Context: process context (ODP MRs may fault), no locks held.
 * Return: 0, -EINVAL if misaligned, -ERANGE if outside the MR, or for an
 * ODP MR -EAGAIN (try again later) or the error of a page that cannot be
 * had.
 */
int sodp_mr_atomic(struct sodp_mr *mr, u64 iova, enum sodp_atomic_op op,
		   u64 compare_add, u64 swap, u64 *orig, unsigned long until)
{
	unsigned long uaddr;

	if (iova & 7)
		return -EINVAL;
	if (!sodp_mr_in_bounds(mr, iova, 8))
		return -ERANGE;
	uaddr = sodp_mr_uaddr(mr, iova);
	if (uaddr & 7)
		return -EINVAL;	/* iova and the user address may differ */
	return mr->ops->atomic(mr, uaddr, op, compare_add, swap, orig, until);
}

/**
 * sodp_advise_mr() - ibv_advise_mr(): prefetch pages of ODP MRs
 * @ibpd: the PD the MRs must belong to
 * @advice: PREFETCH (readable), PREFETCH_WRITE (writable), or
 *	PREFETCH_NO_FAULT (map what is present, fault nothing)
 * @flags: 0 or IB_UVERBS_ADVISE_MR_FLAG_FLUSH
 * @sg_list: ranges, each named by an lkey
 * @num_sge: entries in @sg_list
 * @attrs: unused
 *
 * The work is always done before returning, so FLUSH (wait for it) costs
 * nothing extra.  Ranges of pinned MRs are already present: nothing to do.
 *
 * Context: process context, in the advising process.
 * Return: 0, -EOPNOTSUPP for an unknown advice or flag, -EINVAL for a
 * range that no MR of this PD covers with the rights the advice needs,
 * or the fault's error (-EFAULT, -EPERM, -EAGAIN, ...) if a page cannot
 * be had.
 */
int sodp_advise_mr(struct ib_pd *ibpd, enum ib_uverbs_advise_mr_advice advice,
		   u32 flags, struct ib_sge *sg_list, u32 num_sge,
		   struct uverbs_attr_bundle *attrs)
{
	struct sodp_dev *sdev = to_sodp_dev(ibpd->device);
	u32 pdn = to_sodp_pd(ibpd)->pdn;
	enum sodp_odp_need need;
	int access = 0;
	u32 i;

	switch (advice) {
	case IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH:
		need = SODP_ODP_READ;
		break;
	case IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE:
		need = SODP_ODP_WRITE;
		access = IB_ACCESS_LOCAL_WRITE;
		break;
	case IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT:
		need = SODP_ODP_SNAPSHOT;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (flags & ~IB_UVERBS_ADVISE_MR_FLAG_FLUSH)
		return -EOPNOTSUPP;

	for (i = 0; i < num_sge; i++) {
		struct sodp_mr *mr;
		int err;

		if (!sg_list[i].length)
			continue;
		mr = sodp_mr_get(sdev, sg_list[i].lkey, pdn, sg_list[i].addr,
				 sg_list[i].length, access);
		if (IS_ERR(mr))
			return -EINVAL;
		/* Called through (*...): <linux/prefetch.h> has a prefetch(). */
		err = (*mr->ops->prefetch)(mr,
					   sodp_mr_uaddr(mr, sg_list[i].addr),
					   sg_list[i].length, need);
		sodp_mr_put(mr);
		if (err)
			return err;
	}
	return 0;
}
