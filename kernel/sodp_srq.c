// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: shared receive queues.
 *
 * An SRQ is an RQ ring (the same slots as a QP's) that user space fills
 * with ibv_post_srq_recv(), without a system call, or a kernel consumer
 * with ib_post_srq_recv() (sodp_kverbs.c), and that the work item of
 * every QP attached to it takes WQEs from.  A QP takes a WQE only when
 * a message needs one and keeps it (qp->resp.rwqe) until the message
 * completes or the QP fails, so the ring's consumer moves at the take, not
 * at the completion: the slot is free for user space again at once.
 *
 * The limit (IB_SRQ_LIMIT) is checked at every take: when fewer WQEs than
 * the limit are left, IB_EVENT_SRQ_LIMIT_REACHED is raised once and the
 * limit disarmed, until modify_srq arms it again.  A ring whose producer
 * moved backwards or past its size raises IB_EVENT_SRQ_ERR once and gives
 * no more WQEs.
 *
 * Resizing (IB_SRQ_MAX_WR, user SRQs only) makes a new ring and moves the
 * WQEs not taken yet to its front, in order, under srq->lock, so that a
 * QP takes either from the old ring or from the new one; the provider
 * posts nothing meanwhile (its own lock) and maps the new ring when we
 * return.  A kernel consumer's SRQ is not resized: its posters may run in
 * interrupt context, and holding their lock around srq->lock would make
 * an interrupt-safe lock wait for one that is not.
 *
 * Locking: srq->lock protects rq, cons, limit and broken: the QPs' work
 * items take WQEs in parallel.  It is only taken in process context, and
 * nothing is taken inside it; the event handlers run after it is
 * released.  srq->post_lock serialises a kernel consumer's posters (any
 * context, interrupts off) and nests with nothing: producer and consumer
 * meet only at the ring's counters.
 */
#include <rdma/uverbs_ioctl.h>

#include "sodp.h"

static void sodp_srq_event(struct sodp_srq *srq, enum ib_event_type type)
{
	struct ib_event ev = {
		.device = srq->ibsrq.device,
		.element.srq = &srq->ibsrq,
		.event = type,
	};

	if (srq->ibsrq.event_handler)
		srq->ibsrq.event_handler(&ev, srq->ibsrq.srq_context);
}

/**
 * sodp_srq_take() - take the receive WQE at the head of an SRQ
 * @srq: the SRQ
 * @wqe: filled with the WQE's header
 * @sge: filled with its SGEs, at most SODP_MAX_SGE
 *
 * Context: a QP's work item.
 * Return: 0, -EAGAIN if none is posted, -EPROTO if user space corrupted
 * the ring (now or before).
 */
int sodp_srq_take(struct sodp_srq *srq, struct sodp_recv_wqe *wqe,
		  struct sodp_sge *sge)
{
	enum ib_event_type event = 0;
	u32 left;
	int err;

	spin_lock(&srq->lock);
	if (srq->broken) {
		err = -EPROTO;
	} else {
		err = sodp_rwqe_copy(&srq->rq, srq->cons, srq->max_sge, wqe,
				     sge, &left);
		if (err == -EPROTO) {
			srq->broken = true;
			event = IB_EVENT_SRQ_ERR;
		}
	}
	if (!err) {
		srq->cons++;
		/* Copied out: the slot is user space's again. */
		smp_store_release(&srq->rq.hdr->cons, srq->cons);
		if (srq->limit && left - 1 < srq->limit) {
			srq->limit = 0;
			event = IB_EVENT_SRQ_LIMIT_REACHED;
		}
	}
	spin_unlock(&srq->lock);
	if (event)
		sodp_srq_event(srq, event);
	return err;
}

int sodp_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		    struct ib_udata *udata)
{
	struct sodp_dev *sdev = to_sodp_dev(ibsrq->device);
	struct sodp_srq *srq = to_sodp_srq(ibsrq);
	struct ib_srq_attr *attr = &init->attr;
	struct sodp_create_srq_resp resp = {};
	struct ib_ucontext *uc = NULL;
	u32 slots, slot_size;
	int err;

	if (init->srq_type != IB_SRQT_BASIC)
		return -EOPNOTSUPP;
	/* A kernel consumer's ring is kernel memory nobody maps. */
	if (udata) {
		err = ib_is_udata_in_empty(udata);
		if (err)
			return err;
		uc = rdma_udata_to_uverbs_attr_bundle(udata)->context;
	}
	if (!attr->max_wr || attr->max_wr > SODP_MAX_QP_WR ||
	    !attr->max_sge || attr->max_sge > SODP_MAX_SGE)
		return -EINVAL;
	if (atomic_inc_return(&sdev->num_srq) > SODP_MAX_SRQ) {
		err = -ENOMEM;
		goto err_count;
	}

	slots = roundup_pow_of_two(attr->max_wr);
	slot_size = sodp_slot_size(sizeof(struct sodp_recv_wqe),
				   attr->max_sge * sizeof(struct sodp_sge));
	err = sodp_ring_create(uc, &srq->rq, slots, slot_size, &resp.rq);
	if (err)
		goto err_count;
	srq->sdev = sdev;
	spin_lock_init(&srq->lock);
	spin_lock_init(&srq->post_lock);
	srq->max_sge = min_t(u32, (slot_size - sizeof(struct sodp_recv_wqe)) /
				  sizeof(struct sodp_sge), SODP_MAX_SGE);
	/* srq->limit stays 0: srq_limit means nothing at create. */
	attr->max_wr = slots;
	attr->max_sge = srq->max_sge;

	if (udata) {
		err = ib_respond_udata(udata, resp);
		if (err)
			goto err_ring;
	}
	return 0;

err_ring:
	sodp_ring_destroy(&srq->rq);
err_count:
	atomic_dec(&sdev->num_srq);
	return err;
}

/*
 * IB_SRQ_MAX_WR: a ring of at least @max_wr slots takes the place of the
 * old one, with the WQEs posted and not taken yet moved to its front.
 * @limit is the limit to arm with it (IB_SRQ_LIMIT in the same call), or
 * -1 to leave the armed one; both are checked against the new size
 * before anything changes.
 */
static int sodp_srq_resize(struct sodp_srq *srq, struct ib_udata *udata,
			   u32 max_wr, s64 limit,
			   struct sodp_ring_info __user *uinfo)
{
	struct ib_ucontext *uc = rdma_udata_to_uverbs_attr_bundle(udata)->context;
	struct sodp_ring_info info;
	struct sodp_ring old, new;
	u32 slots, prod, pending, i;
	int err;

	if (!max_wr || max_wr > SODP_MAX_QP_WR)
		return -EINVAL;
	slots = roundup_pow_of_two(max_wr);
	if (limit > slots)
		return -EINVAL;
	err = sodp_ring_create(uc, &new, slots, srq->rq.slot_size, &info);
	if (err)
		return err;
	/* Before the move: once it is done, there is no going back. */
	if (copy_to_user(uinfo, &info, sizeof(info))) {
		err = -EFAULT;
		goto err_ring;
	}

	spin_lock(&srq->lock);
	prod = READ_ONCE(srq->rq.hdr->prod);
	pending = prod - srq->cons;
	if (srq->broken || pending > srq->rq.num_slots) {
		err = -EINVAL;	/* user space corrupted the ring */
		goto err_unlock;
	}
	if (pending > slots || (limit < 0 && srq->limit > slots)) {
		err = -EINVAL;	/* IBTA o10-17: fewer than are waiting */
		goto err_unlock;
	}
	for (i = 0; i < pending; i++)
		memcpy(sodp_ring_slot(&new, i),
		       sodp_ring_slot(&srq->rq, srq->cons + i),
		       srq->rq.slot_size);
	new.hdr->prod = pending;
	new.hdr->cons = 0;
	old = srq->rq;
	srq->rq = new;
	srq->cons = 0;
	if (limit >= 0)
		srq->limit = limit;
	spin_unlock(&srq->lock);
	/* User space unmaps it when we return; the entry goes with that. */
	sodp_ring_destroy(&old);
	return 0;

err_unlock:
	spin_unlock(&srq->lock);
err_ring:
	sodp_ring_destroy(&new);
	return err;
}

int sodp_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		    enum ib_srq_attr_mask mask, struct ib_udata *udata)
{
	struct sodp_srq *srq = to_sodp_srq(ibsrq);
	struct sodp_modify_srq_cmd cmd = {};
	s64 limit = -1;		/* not a u32 ternary: -1 must stay -1 */
	int err;

	if (udata && udata->inlen) {
		size_t n = min_t(size_t, udata->inlen, sizeof(cmd));

		if (udata->inlen > sizeof(cmd) &&
		    !ib_is_udata_cleared(udata, sizeof(cmd),
					 udata->inlen - sizeof(cmd)))
			return -EOPNOTSUPP;
		if (ib_copy_from_udata(&cmd, udata, n))
			return -EFAULT;
	}
	if (mask & ~(IB_SRQ_LIMIT | IB_SRQ_MAX_WR))
		return -EINVAL;
	if (mask & IB_SRQ_LIMIT)
		limit = attr->srq_limit;
	if (mask & IB_SRQ_MAX_WR) {
		/* A kernel consumer's SRQ, or a provider that cannot remap. */
		if (!udata || !cmd.ring_info)
			return -EOPNOTSUPP;
		return sodp_srq_resize(srq, udata, attr->max_wr, limit,
				       u64_to_user_ptr(cmd.ring_info));
	}
	if (!(mask & IB_SRQ_LIMIT))
		return 0;
	spin_lock(&srq->lock);
	if (attr->srq_limit > srq->rq.num_slots) {
		err = -EINVAL;
	} else {
		srq->limit = attr->srq_limit;
		err = 0;
	}
	spin_unlock(&srq->lock);
	return err;
}

int sodp_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr)
{
	struct sodp_srq *srq = to_sodp_srq(ibsrq);

	attr->max_sge = srq->max_sge;
	spin_lock(&srq->lock);
	attr->max_wr = srq->rq.num_slots;
	attr->srq_limit = srq->limit;
	spin_unlock(&srq->lock);
	return 0;
}

/* The core refuses this while a QP is attached (ib_srq.usecnt). */
int sodp_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata)
{
	struct sodp_srq *srq = to_sodp_srq(ibsrq);

	sodp_ring_destroy(&srq->rq);
	atomic_dec(&srq->sdev->num_srq);
	return 0;
}
