// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: completion queues.
 *
 * The kernel is the only producer of a CQ ring and user space the only
 * consumer; ibv_poll_cq() never enters the kernel.  Several QPs' work items
 * may complete into one CQ at once, so producers serialise on cq->lock.
 *
 * Locking: cq->lock (spinlock, taken from process context only) protects
 * the ring, our copy of prod and the notify flags.  The completion handler
 * is called after the lock is dropped.
 */
#include <linux/log2.h>
#include <rdma/uverbs_ioctl.h>

#include "sodp.h"

static u32 sodp_cq_slots(unsigned int cqe)
{
	return roundup_pow_of_two(max_t(unsigned int, cqe, 1));
}

int sodp_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		   struct uverbs_attr_bundle *attrs)
{
	struct sodp_dev *sdev = to_sodp_dev(ibcq->device);
	struct ib_udata *udata = &attrs->driver_udata;
	struct sodp_cq *cq = to_sodp_cq(ibcq);
	struct sodp_create_cq_resp resp = {};
	int err;

	if (attr->flags)
		return -EOPNOTSUPP;
	if (!attr->cqe || attr->cqe > SODP_MAX_CQE)
		return -EINVAL;
	err = ib_is_udata_in_empty(udata);
	if (err)
		return err;
	if (atomic_inc_return(&sdev->num_cq) > SODP_MAX_CQ) {
		err = -ENOMEM;
		goto err_count;
	}

	spin_lock_init(&cq->lock);
	err = sodp_ring_create(attrs->context, &cq->ring,
			       sodp_cq_slots(attr->cqe),
			       sizeof(struct sodp_cqe), &resp.cq);
	if (err)
		goto err_count;
	ibcq->cqe = cq->ring.num_slots;

	err = ib_respond_udata(udata, resp);
	if (err)
		goto err_ring;
	return 0;

err_ring:
	sodp_ring_destroy(&cq->ring);
err_count:
	atomic_dec(&sdev->num_cq);
	return err;
}

/* The core guarantees no QP uses the CQ any more. */
int sodp_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata)
{
	struct sodp_cq *cq = to_sodp_cq(ibcq);

	sodp_ring_destroy(&cq->ring);
	atomic_dec(&to_sodp_dev(ibcq->device)->num_cq);
	return 0;
}

/*
 * Move the completions user space has not polled yet into a new ring, in
 * order.  User space does not poll while it resizes (libibverbs holds the
 * CQ), but QPs may keep completing into it, hence the lock.
 */
int sodp_resize_cq(struct ib_cq *ibcq, unsigned int cqe,
		   struct ib_udata *udata)
{
	struct sodp_cq *cq = to_sodp_cq(ibcq);
	struct sodp_create_cq_resp resp = {};
	struct sodp_ring old, new;
	u32 cons, pending, i;
	int err;

	if (!cqe || cqe > SODP_MAX_CQE)
		return -EINVAL;
	err = ib_is_udata_in_empty(udata);
	if (err)
		return err;
	err = sodp_ring_create(rdma_udata_to_uverbs_attr_bundle(udata)->context,
			       &new,
			       sodp_cq_slots(cqe), sizeof(struct sodp_cqe),
			       &resp.cq);
	if (err)
		return err;

	spin_lock(&cq->lock);
	cons = READ_ONCE(cq->ring.hdr->cons);
	pending = cq->prod - cons;
	if (pending > cq->ring.num_slots || pending > new.num_slots) {
		spin_unlock(&cq->lock);
		sodp_ring_destroy(&new);
		return -EINVAL;
	}
	for (i = 0; i < pending; i++)
		memcpy(sodp_ring_slot(&new, i),
		       sodp_ring_slot(&cq->ring, cons + i),
		       sizeof(struct sodp_cqe));
	new.hdr->prod = pending;
	new.hdr->cons = 0;
	old = cq->ring;
	cq->ring = new;
	cq->prod = pending;
	ibcq->cqe = new.num_slots;
	spin_unlock(&cq->lock);

	err = ib_respond_udata(udata, resp);
	/*
	 * The old ring is gone either way: the CQEs live in the new one, and
	 * a failed copy-out leaves user space with a CQ it must destroy.
	 */
	sodp_ring_destroy(&old);
	return err;
}

int sodp_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags)
{
	struct sodp_cq *cq = to_sodp_cq(ibcq);
	int ret = 0;

	spin_lock(&cq->lock);
	if ((flags & IB_CQ_SOLICITED_MASK) == IB_CQ_NEXT_COMP)
		cq->notify = IB_CQ_NEXT_COMP;
	else if (cq->notify != IB_CQ_NEXT_COMP)
		cq->notify = IB_CQ_SOLICITED;
	if ((flags & IB_CQ_REPORT_MISSED_EVENTS) &&
	    cq->prod != READ_ONCE(cq->ring.hdr->cons))
		ret = 1;
	spin_unlock(&cq->lock);
	return ret;
}

/**
 * sodp_cq_post() - write one completion
 * @cq: the CQ
 * @cqe: the completion
 * @solicited: the completion is for a solicited message
 *
 * Context: process context (a QP work item or a verb).
 * Return: 0, or -EOVERFLOW when the ring is full: the completion is lost,
 * the CQ is in error and the caller must move its QP to the error state.
 */
int sodp_cq_post(struct sodp_cq *cq, const struct sodp_cqe *cqe,
		 bool solicited)
{
	struct ib_event ev;
	bool notify = false;
	u32 cons;

	spin_lock(&cq->lock);
	cons = READ_ONCE(cq->ring.hdr->cons);
	if (cq->overflowed || cq->prod - cons >= cq->ring.num_slots) {
		bool first = !cq->overflowed;

		cq->overflowed = true;
		spin_unlock(&cq->lock);
		if (first && cq->ibcq.event_handler) {
			ev.device = cq->ibcq.device;
			ev.element.cq = &cq->ibcq;
			ev.event = IB_EVENT_CQ_ERR;
			cq->ibcq.event_handler(&ev, cq->ibcq.cq_context);
		}
		return -EOVERFLOW;
	}
	memcpy(sodp_ring_slot(&cq->ring, cq->prod), cqe, sizeof(*cqe));
	cq->prod++;
	/* The CQE must be visible before the new producer index. */
	smp_store_release(&cq->ring.hdr->prod, cq->prod);
	if (cq->notify == IB_CQ_NEXT_COMP ||
	    (cq->notify == IB_CQ_SOLICITED && solicited)) {
		cq->notify = 0;
		notify = true;
	}
	spin_unlock(&cq->lock);

	if (notify && cq->ibcq.comp_handler)
		cq->ibcq.comp_handler(&cq->ibcq, cq->ibcq.cq_context);
	return 0;
}
