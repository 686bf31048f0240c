// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: completion queues.
 *
 * The kernel is the only producer of a CQ ring.  A user CQ's consumer is
 * user space (ibv_poll_cq() never enters the kernel); a kernel CQ's is
 * sodp_poll_cq() (sodp_kverbs.c) on a ring of the same layout.  Several
 * QPs' work items may complete into one CQ at once, so producers
 * serialise on cq->lock.
 *
 * Locking: cq->lock protects the ring's producer side, our copy of prod
 * and the notify flags (sodp_cq_lock()).  A kernel consumer may arm its
 * CQ (req_notify_cq) from softirq or hard interrupt context, the way
 * ib_cq's IB_POLL_SOFTIRQ mode does, so a kernel CQ's lock is taken with
 * interrupts off and has a lockdep class of its own; a user CQ's is only
 * ever taken in process context, where a resize copies a whole ring under
 * it, and interrupts stay on.  The completion handler is called after the
 * lock is dropped.  cq->poll_lock, a kernel CQ's consumer side, is
 * independent: producer and consumer only meet at the ring's counters.
 */
#include <linux/log2.h>
#include <rdma/uverbs_ioctl.h>

#include "sodp.h"

static struct lock_class_key sodp_kernel_cq_lock_key;

static void sodp_cq_lock(struct sodp_cq *cq, unsigned long *flags)
	__acquires(&cq->lock)
{
	*flags = 0;
	if (cq->ring.kbuf)
		spin_lock_irqsave(&cq->lock, *flags);
	else
		spin_lock(&cq->lock);
}

static void sodp_cq_unlock(struct sodp_cq *cq, unsigned long flags)
	__releases(&cq->lock)
{
	if (cq->ring.kbuf)
		spin_unlock_irqrestore(&cq->lock, flags);
	else
		spin_unlock(&cq->lock);
}

/*
 * A ring is whole pages (it is mapped into user space, or vmalloc'ed), the
 * first shared with its header: a CQ of fewer slots than fill that page
 * would save no memory.  Handing them out lets a consumer that asked for a
 * tiny CQ absorb the completions of a few more WRs than it counted on (a
 * resize down, racing the completions of sends already posted, is the
 * usual way to get there) instead of losing the QP to an overrun.
 */
#define SODP_CQ_MIN_SLOTS \
	rounddown_pow_of_two((PAGE_SIZE - SODP_RING_HDR_SIZE) / \
			     sizeof(struct sodp_cqe))

static u32 sodp_cq_slots(unsigned int cqe)
{
	return roundup_pow_of_two(max_t(unsigned int, cqe, SODP_CQ_MIN_SLOTS));
}

/* What user and kernel CQs share; @uc is NULL for a kernel CQ. */
static int sodp_cq_init(struct sodp_cq *cq, const struct ib_cq_init_attr *attr,
			struct ib_ucontext *uc, struct sodp_create_cq_resp *resp)
{
	struct sodp_dev *sdev = to_sodp_dev(cq->ibcq.device);
	int err;

	if (attr->flags)
		return -EOPNOTSUPP;
	if (!attr->cqe || attr->cqe > SODP_MAX_CQE)
		return -EINVAL;
	if (atomic_inc_return(&sdev->num_cq) > SODP_MAX_CQ) {
		err = -ENOMEM;
		goto err_count;
	}

	spin_lock_init(&cq->lock);
	spin_lock_init(&cq->poll_lock);
	err = sodp_ring_create(uc, &cq->ring, sodp_cq_slots(attr->cqe),
			       sizeof(struct sodp_cqe), &resp->cq);
	if (err)
		goto err_count;
	if (!uc)
		lockdep_set_class(&cq->lock, &sodp_kernel_cq_lock_key);
	cq->ibcq.cqe = cq->ring.num_slots;
	return 0;

err_count:
	atomic_dec(&sdev->num_cq);
	return err;
}

int sodp_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		   struct uverbs_attr_bundle *attrs)
{
	struct ib_udata *udata = &attrs->driver_udata;
	struct sodp_cq *cq = to_sodp_cq(ibcq);
	struct sodp_create_cq_resp resp = {};
	int err;

	err = ib_is_udata_in_empty(udata);
	if (err)
		return err;
	err = sodp_cq_init(cq, attr, attrs->context, &resp);
	if (err)
		return err;
	err = ib_respond_udata(udata, resp);
	if (err)
		sodp_destroy_cq(ibcq, udata);
	return err;
}

/* A CQ of a kernel consumer (ib_alloc_cq()); the core passes no attrs. */
int sodp_create_kernel_cq(struct ib_cq *ibcq,
			  const struct ib_cq_init_attr *attr,
			  struct uverbs_attr_bundle *attrs)
{
	struct sodp_create_cq_resp unused;

	return sodp_cq_init(to_sodp_cq(ibcq), attr, NULL, &unused);
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

	/* Only user CQs resize: process context, interrupts on. */
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
	unsigned long irqflags;
	int ret = 0;

	sodp_cq_lock(cq, &irqflags);
	if ((flags & IB_CQ_SOLICITED_MASK) == IB_CQ_NEXT_COMP)
		cq->notify = IB_CQ_NEXT_COMP;
	else if (cq->notify != IB_CQ_NEXT_COMP)
		cq->notify = IB_CQ_SOLICITED;
	if ((flags & IB_CQ_REPORT_MISSED_EVENTS) &&
	    cq->prod != READ_ONCE(cq->ring.hdr->cons))
		ret = 1;
	sodp_cq_unlock(cq, irqflags);
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
	unsigned long flags;
	struct ib_event ev;
	bool notify = false;
	u32 cons;

	sodp_cq_lock(cq, &flags);
	cons = READ_ONCE(cq->ring.hdr->cons);
	if (cq->overflowed || cq->prod - cons >= cq->ring.num_slots) {
		bool first = !cq->overflowed;

		cq->overflowed = true;
		sodp_cq_unlock(cq, flags);
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
	sodp_cq_unlock(cq, flags);

	if (notify && cq->ibcq.comp_handler)
		cq->ibcq.comp_handler(&cq->ibcq, cq->ibcq.cq_context);
	return 0;
}
