// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: memory windows, and the one look-up of a remote key.
 *
 * A window is an rkey that grants remote rights to part of an MR, bound
 * and unbound through a QP's send queue while the MR stays registered:
 *
 *   type 1   bound with ibv_bind_mw() (the provider posts a BIND_MW WQE);
 *            rebinding replaces the binding, a zero length unbinds; it
 *            cannot be invalidated, nor be zero-based
 *   type 2   bound with an IBV_WR_BIND_MW WQE, only while unbound and to
 *            at least one byte; serves only the QP it was bound through;
 *            unbound by LOCAL_INV or by the peer's SEND_WITH_INV, and when
 *            that QP is destroyed
 *
 * Keys: MR and window keys share one space, (index << 8) | tag.  Window
 * indices start at SODP_MW_INDEX_BASE, so the index alone says which
 * table to look in (sodp_rkey_get()).  A bind gives the window the key the
 * WQE names, which must keep the window's index: the tag is the
 * consumer's (type 2) or the provider's (type 1, ibv_inc_rkey()).
 *
 * Binds and local invalidations run in the requester (sodp_req.c), in
 * send queue order, when the WQE's turn to go out comes; they take no PSN.
 * Remote accesses through a window look it up for every packet, as for an
 * MR, so an unbind ends every access that starts after it.
 *
 * Locking: sdev->mws' xa_lock covers the look-up and every binding field
 * of struct sodp_mw; binding to or unbinding from an MR takes sdev->mrs'
 * xa_lock inside it (sodp_mr_bind_window()).  Both are taken in process
 * context only.  A window found bound under the lock has an MR that
 * cannot be deregistered (it counts the window), so the look-up takes a
 * reference on the MR and drops the lock: the access itself holds no lock.
 */
#include <linux/random.h>
#include <rdma/uverbs_ioctl.h>

#include "sodp.h"

/* What a bind may ask a window to grant; LOCAL_WRITE means nothing here. */
#define SODP_MW_BIND_ACCESS						\
	(IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_READ |		\
	 IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC | IB_ZERO_BASED)

static bool sodp_key_is_mw(u32 key)
{
	return key >> 8 >= SODP_MW_INDEX_BASE;
}

static struct sodp_mw *to_sodp_mw(struct ib_mw *ibmw)
{
	return container_of(ibmw, struct sodp_mw, ibmw);
}

/* Context: sdev->mws' xa_lock held. */
static void sodp_mw_unbind(struct sodp_mw *mw)
{
	if (!mw->mr)
		return;
	sodp_mr_unbind_window(mw->mr);
	if (mw->qp)
		mw->qp->mws_bound--;
	mw->mr = NULL;
	mw->length = 0;
	mw->access = 0;
	mw->qp = NULL;
}

int sodp_alloc_mw(struct ib_mw *ibmw, struct ib_udata *udata)
{
	struct sodp_dev *sdev = to_sodp_dev(ibmw->device);
	struct sodp_mw *mw = to_sodp_mw(ibmw);
	u32 index;
	int err;

	if (ibmw->type != IB_MW_TYPE_1 && ibmw->type != IB_MW_TYPE_2)
		return -EINVAL;
	err = ib_is_udata_in_empty(udata);
	if (err)
		return err;
	mw->pdn = to_sodp_pd(ibmw->pd)->pdn;
	/* Reserve the index: the window is findable only once complete. */
	err = xa_alloc_cyclic(&sdev->mws, &index, NULL,
			      XA_LIMIT(SODP_MW_INDEX_BASE,
				       SODP_MW_INDEX_BASE + SODP_MAX_MW - 1),
			      &sdev->next_mw, GFP_KERNEL_ACCOUNT);
	if (err < 0)
		return err == -EBUSY ? -ENOMEM : err;
	mw->rkey = (index << 8) | (get_random_u32() & 0xff);
	ibmw->rkey = mw->rkey;
	err = ib_respond_empty_udata(udata);
	if (!err)
		err = xa_err(xa_store(&sdev->mws, index, mw, GFP_KERNEL_ACCOUNT));
	if (err)
		xa_erase(&sdev->mws, index);
	return err;
}

int sodp_dealloc_mw(struct ib_mw *ibmw)
{
	struct sodp_dev *sdev = to_sodp_dev(ibmw->device);
	struct sodp_mw *mw = to_sodp_mw(ibmw);

	xa_lock(&sdev->mws);
	__xa_erase(&sdev->mws, mw->rkey >> 8);
	sodp_mw_unbind(mw);
	xa_unlock(&sdev->mws);
	return 0;
}

/**
 * sodp_mw_bind() - carry out a BIND_MW WQE
 * @qp: the RC QP whose send queue holds it
 * @wqe: our copy of the WQE; wqe->rkey is the key the window gets
 *
 * The window must be in the QP's PD; a type 2 window must be unbound and
 * get at least one byte, a type 1 window cannot be zero-based (IBTA
 * o10-36.2.2, as rxe); the MR must allow the binding
 * (sodp_mr_bind_window()).  A zero length unbinds a type 1 window.
 *
 * Context: the QP's work item.
 * Return: 0, or -EPERM: the WQE completes with MW_BIND_ERR.
 */
int sodp_mw_bind(struct sodp_qp *qp, const struct sodp_send_wqe *wqe)
{
	const struct sodp_wqe_bind *b = &wqe->bind;
	struct sodp_dev *sdev = qp->sdev;
	u32 pdn = to_sodp_pd(qp->ibqp.pd)->pdn;
	struct sodp_mr *mr = NULL;
	struct sodp_mw *mw;
	int err = -EPERM;

	if (!sodp_key_is_mw(wqe->rkey) || (b->access & ~SODP_MW_BIND_ACCESS))
		return -EPERM;
	xa_lock(&sdev->mws);
	mw = xa_load(&sdev->mws, wqe->rkey >> 8);
	if (!mw || mw->pdn != pdn)
		goto out;
	if (mw->ibmw.type == IB_MW_TYPE_2 && (mw->mr || !b->length))
		goto out;
	if (mw->ibmw.type == IB_MW_TYPE_1 && (b->access & IB_ZERO_BASED))
		goto out;
	if (b->length) {
		mr = sodp_mr_bind_window(sdev, b->mr_lkey, pdn, b->addr,
					 b->length, b->access);
		if (IS_ERR(mr))
			goto out;
	}
	sodp_mw_unbind(mw);
	if (mr) {
		mw->mr = mr;
		mw->addr = b->addr;
		mw->length = b->length;
		mw->access = b->access & ~IB_ACCESS_LOCAL_WRITE;
		if (mw->ibmw.type == IB_MW_TYPE_2) {
			mw->qp = qp;
			qp->mws_bound++;
		}
	}
	mw->rkey = wqe->rkey;
	err = 0;
out:
	xa_unlock(&sdev->mws);
	return err;
}

/*
 * sodp_mw_invalidate() - unbind the type 2 window @rkey names
 * @qp: the QP the LOCAL_INV was posted to, or that received the
 *	SEND_WITH_INV
 * @rkey: the window's current key
 * @remote: a peer's SEND_WITH_INV: the window must have been bound
 *	through @qp
 *
 * Return: 0, or -EINVAL if @rkey names no bound type 2 window that @qp
 * may invalidate.
 */
static int sodp_mw_invalidate(struct sodp_qp *qp, u32 rkey, bool remote)
{
	struct sodp_dev *sdev = qp->sdev;
	struct sodp_mw *mw;
	int err = -EINVAL;

	xa_lock(&sdev->mws);
	mw = xa_load(&sdev->mws, rkey >> 8);
	if (!mw || mw->rkey != rkey || mw->ibmw.type != IB_MW_TYPE_2 ||
	    !mw->mr || mw->pdn != to_sodp_pd(qp->ibqp.pd)->pdn)
		goto out;
	if (remote && mw->qp != qp)
		goto out;
	sodp_mw_unbind(mw);
	err = 0;
out:
	xa_unlock(&sdev->mws);
	return err;
}

/**
 * sodp_key_invalidate() - LOCAL_INV, or a peer's SEND_WITH_INV, of @key
 * @qp: the QP the LOCAL_INV was posted to, or that received the
 *	SEND_WITH_INV
 * @key: a type 2 window's rkey, or a fast registration MR's key
 * @remote: a peer's SEND_WITH_INV
 *
 * Keys of ibv_reg_mr() and DMA MRs, and type 1 windows' keys, cannot be
 * invalidated.
 *
 * Context: the QP's work item.
 * Return: 0, or -EINVAL if @key names nothing @qp may invalidate.
 */
int sodp_key_invalidate(struct sodp_qp *qp, u32 key, bool remote)
{
	int err;

	if (sodp_key_is_mw(key))
		err = sodp_mw_invalidate(qp, key, remote);
	else
		err = sodp_frmr_invalidate(qp, key);
	if (!err)
		sodp_count(qp->sdev, remote ? SODP_CNT_REMOTE_INV :
					      SODP_CNT_LOCAL_INV);
	return err;
}

/*
 * @qp is being destroyed: the type 2 windows bound through it serve no
 * one any more.  Only a QP that bound some pays for the walk.
 */
void sodp_mw_qp_gone(struct sodp_qp *qp)
{
	struct sodp_dev *sdev = qp->sdev;
	struct sodp_mw *mw;
	unsigned long index;

	xa_lock(&sdev->mws);
	xa_for_each(&sdev->mws, index, mw) {
		if (!qp->mws_bound)
			break;
		if (mw->qp == qp)
			sodp_mw_unbind(mw);
	}
	xa_unlock(&sdev->mws);
}

/* Find the MR and the iova behind [*@va, *@va + @length) of a window. */
static struct sodp_mr *sodp_mw_get(struct sodp_qp *qp, u32 rkey, u64 *va,
				   u64 length, int access)
{
	struct sodp_dev *sdev = qp->sdev;
	struct sodp_mr *mr = ERR_PTR(-ENOENT);
	struct sodp_mw *mw;
	u64 off;

	xa_lock(&sdev->mws);
	mw = xa_load(&sdev->mws, rkey >> 8);
	if (!mw || mw->rkey != rkey || !mw->mr ||
	    mw->pdn != to_sodp_pd(qp->ibqp.pd)->pdn)
		goto out;
	if (mw->ibmw.type == IB_MW_TYPE_2 && mw->qp != qp)
		goto out;
	mr = ERR_PTR(-EACCES);
	if ((mw->access & access) != access)
		goto out;
	mr = ERR_PTR(-ERANGE);
	if (mw->access & IB_ZERO_BASED)
		off = *va;
	else if (*va >= mw->addr)
		off = *va - mw->addr;
	else
		goto out;
	if (length > mw->length || off > mw->length - length)
		goto out;
	*va = mw->addr + off;
	mr = mw->mr;
	sodp_mr_hold(mr);
out:
	xa_unlock(&sdev->mws);
	return mr;
}

/**
 * sodp_rkey_get() - the MR a remote access through @rkey reaches
 * @qp: the QP the request came to
 * @rkey: an MR's or a window's key
 * @va: in: the request's address; out: the iova in the MR (it differs
 *	only for a zero-based window)
 * @length: bytes accessed
 * @access: IB_ACCESS_REMOTE_* rights the access needs
 *
 * Return: a referenced MR (release with sodp_mr_put()), or an ERR_PTR as
 * sodp_mr_get() gives: -ENOENT, -EACCES or -ERANGE.
 */
struct sodp_mr *sodp_rkey_get(struct sodp_qp *qp, u32 rkey, u64 *va,
			      u64 length, int access)
{
	if (sodp_key_is_mw(rkey))
		return sodp_mw_get(qp, rkey, va, length, access);
	return sodp_mr_get(qp->sdev, rkey, to_sodp_pd(qp->ibqp.pd)->pdn, *va,
			   length, access);
}

/**
 * sodp_rkey_get_whole() - the MR a FLUSH of a whole MR through @rkey names
 * @qp: the QP the request came to
 * @rkey: the MR's key
 * @access: the IB_ACCESS_FLUSH_* rights the flush needs
 *
 * Windows grant remote reads, writes and atomics, never flushes: a
 * window's key gets -EACCES.
 *
 * Return: a referenced MR, or an ERR_PTR as sodp_mr_get_whole() gives.
 */
struct sodp_mr *sodp_rkey_get_whole(struct sodp_qp *qp, u32 rkey, int access)
{
	if (sodp_key_is_mw(rkey))
		return ERR_PTR(-EACCES);
	return sodp_mr_get_whole(qp->sdev, rkey, to_sodp_pd(qp->ibqp.pd)->pdn,
				 access);
}
