// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: verbs for kernel consumers: posting work requests and polling
 * completions.
 *
 * The RDMA core's MAD layer (QP1, which the CM and rdma_cm need) and
 * kernel ULPs call these.  A kernel consumer's QP and CQ have rings of the
 * same layout as a user process's (sodp_ring.c), in memory nobody maps:
 * these functions are the kernel's version of what the provider does in
 * user space, so the work items (sodp_work.c) cannot tell the two apart
 * and the data path has one implementation.
 *
 * Addresses: sodp registers with no DMA device, so the core's
 * ib_dma_map_*() hand out kernel virtual addresses (virtual DMA, as for
 * rxe and siw), and an SGE's addr is a kernel address in the PD's DMA MR
 * (sodp_mr_dma.c).
 *
 * Locking: qp->sq_lock, qp->rq_lock and srq->post_lock serialise kernel
 * posters (any context, interrupts off); cq->poll_lock serialises kernel
 * pollers.  None of them nests with another sodp lock: the consumer side
 * of a ring meets the work item only at the ring's counters.
 */
#include <rdma/ib_verbs.h>

#include "sodp.h"

/* Without virtual DMA the core would map kernel buffers for a NULL device. */
#if !IS_ENABLED(CONFIG_INFINIBAND_VIRT_DMA)
#error "sodp needs CONFIG_INFINIBAND_VIRT_DMA (a kernel without HIGHMEM)"
#endif

/*
 * The send flags sodp carries, and what they become in a WQE.  A QP that
 * signals every WR is the completer's business (sodp_req.c), not the WQE's.
 */
static u8 sodp_kwqe_flags(int send_flags)
{
	u8 flags = 0;

	if (send_flags & IB_SEND_SIGNALED)
		flags |= SODP_WQE_SIGNALED;
	if (send_flags & IB_SEND_SOLICITED)
		flags |= SODP_WQE_SOLICITED;
	if (send_flags & IB_SEND_FENCE)
		flags |= SODP_WQE_FENCE;
	return flags;
}

#define SODP_KSEND_FLAGS \
	(IB_SEND_SIGNALED | IB_SEND_SOLICITED | IB_SEND_FENCE | IB_SEND_INLINE)

/* A WR's SGEs as a WQE carries them. */
static void sodp_kcopy_sges(struct sodp_sge *dst, const struct ib_sge *src,
			    int num_sge)
{
	int i;

	for (i = 0; i < num_sge; i++) {
		dst[i].addr = src[i].addr;
		dst[i].length = src[i].length;
		dst[i].lkey = src[i].lkey;
	}
}

/* The payload of an IB_SEND_INLINE WR, copied behind the header. */
static int sodp_kcopy_inline(struct sodp_qp *qp, const struct ib_send_wr *wr,
			     struct sodp_send_wqe *w)
{
	u8 *dst = (u8 *)(w + 1);
	u64 total = 0;
	int i;

	for (i = 0; i < wr->num_sge; i++)
		total += wr->sg_list[i].length;
	if (total > qp->max_inline)
		return -EINVAL;
	for (i = 0; i < wr->num_sge; i++) {
		memcpy(dst, (void *)(uintptr_t)wr->sg_list[i].addr,
		       wr->sg_list[i].length);
		dst += wr->sg_list[i].length;
	}
	w->flags |= SODP_WQE_INLINE;
	w->inline_len = total;
	return 0;
}

/*
 * Write @wr into @w, a slot not yet published.  The work item checks the
 * WQE again when it fetches it, as it does a user one; what is checked
 * here is what only the WR shows (its kind, its AH).
 */
static int sodp_kbuild_send(struct sodp_qp *qp, const struct ib_send_wr *wr,
			    struct sodp_send_wqe *w)
{
	bool ud = !sodp_qp_connected(qp);

	if (wr->num_sge < 0 || wr->num_sge > qp->max_send_sge ||
	    (wr->send_flags & ~SODP_KSEND_FLAGS))
		return -EINVAL;
	/* UC has no responses: nothing that reads, answers or invalidates. */
	if (qp->ibqp.qp_type == IB_QPT_UC && wr->opcode != IB_WR_SEND &&
	    wr->opcode != IB_WR_SEND_WITH_IMM &&
	    wr->opcode != IB_WR_RDMA_WRITE &&
	    wr->opcode != IB_WR_RDMA_WRITE_WITH_IMM)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->wr_id = wr->wr_id;
	w->opcode = wr->opcode;	/* IB_WR_* are the IB_UVERBS_WR_* numbers */
	w->flags = sodp_kwqe_flags(wr->send_flags);

	switch (wr->opcode) {
	case IB_WR_SEND:
		break;
	case IB_WR_SEND_WITH_IMM:
		w->imm_data = wr->ex.imm_data;
		break;
	case IB_WR_SEND_WITH_INV:
		/* The peer's key: an NVMe-oF target ends a host's FRMR. */
		if (ud)
			return -EINVAL;
		w->invalidate_rkey = wr->ex.invalidate_rkey;
		break;
	case IB_WR_RDMA_WRITE_WITH_IMM:
		w->imm_data = wr->ex.imm_data;
		fallthrough;
	case IB_WR_RDMA_WRITE:
	case IB_WR_RDMA_READ:
		if (ud)
			return -EINVAL;
		w->rkey = rdma_wr(wr)->rkey;
		w->remote_addr = rdma_wr(wr)->remote_addr;
		break;
	case IB_WR_ATOMIC_CMP_AND_SWP:
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		if (ud || wr->num_sge != 1 || wr->sg_list[0].length != 8)
			return -EINVAL;
		w->rkey = atomic_wr(wr)->rkey;
		w->remote_addr = atomic_wr(wr)->remote_addr;
		w->compare_add = atomic_wr(wr)->compare_add;
		if (wr->opcode == IB_WR_ATOMIC_CMP_AND_SWP)
			w->swap = atomic_wr(wr)->swap;
		break;
	case IB_WR_LOCAL_INV:
		if (ud)
			return -EINVAL;
		w->invalidate_rkey = wr->ex.invalidate_rkey;
		break;
	case IB_WR_REG_MR:
		/*
		 * What the registration is to be, as the WR and the MR say
		 * it now: ib_map_mr_sg() set the MR's iova and length.  The
		 * page list stays in the MR (sodp_mr_frmr.c).
		 */
		if (ud)
			return -EINVAL;
		w->rkey = reg_wr(wr)->key;
		w->bind.mr_lkey = reg_wr(wr)->mr->lkey;
		w->bind.addr = reg_wr(wr)->mr->iova;
		w->bind.length = reg_wr(wr)->mr->length;
		w->bind.access = reg_wr(wr)->access;
		break;
	default:
		/* A kernel consumer cannot get a memory window to bind. */
		return -EINVAL;
	}

	if (ud) {
		if (!ud_wr(wr)->ah)
			return -EINVAL;
		w->ah_num = to_sodp_ah(ud_wr(wr)->ah)->num;
		w->remote_qpn = ud_wr(wr)->remote_qpn;
		w->remote_qkey = ud_wr(wr)->remote_qkey;
	}

	if (wr->send_flags & IB_SEND_INLINE) {
		if (wr->opcode == IB_WR_RDMA_READ ||
		    wr->opcode == IB_WR_ATOMIC_CMP_AND_SWP ||
		    wr->opcode == IB_WR_ATOMIC_FETCH_AND_ADD)
			return -EINVAL;
		return sodp_kcopy_inline(qp, wr, w);
	}
	sodp_kcopy_sges((struct sodp_sge *)(w + 1), wr->sg_list, wr->num_sge);
	w->num_sge = wr->num_sge;
	return 0;
}

/**
 * sodp_kpost_send() - ib_post_send() on a kernel consumer's QP
 * @qp: the QP
 * @wr: the list
 * @bad_wr: set to the first WR not posted
 *
 * As the provider does for a user QP (providers/sodp/post.c): sends wait
 * for RTS, and a QP the device moved to SQE or ERR takes WRs and flushes
 * them.
 *
 * Context: any.
 * Return: 0, -EINVAL for a WR sodp cannot take or a QP not yet in RTS,
 * -ENOMEM when the SQ is full.
 */
int sodp_kpost_send(struct sodp_qp *qp, const struct ib_send_wr *wr,
		    const struct ib_send_wr **bad_wr)
{
	struct sodp_ring *sq = &qp->sq;
	unsigned long flags;
	u32 prod, start;
	int err = 0;

	if (READ_ONCE(qp->state) < IB_QPS_RTS) {
		*bad_wr = wr;
		return -EINVAL;
	}
	spin_lock_irqsave(&qp->sq_lock, flags);
	prod = sq->hdr->prod;	/* ours alone: nobody else writes it */
	start = prod;
	for (; wr; wr = wr->next) {
		/* Pairs with the work item's release once a slot is done. */
		if (prod - smp_load_acquire(&sq->hdr->cons) >= sq->num_slots) {
			err = -ENOMEM;
			break;
		}
		err = sodp_kbuild_send(qp, wr, sodp_ring_slot(sq, prod));
		if (err)
			break;
		prod++;
	}
	if (prod != start) {
		/* The slots must be visible before the producer index. */
		smp_store_release(&sq->hdr->prod, prod);
	}
	spin_unlock_irqrestore(&qp->sq_lock, flags);

	if (err)
		*bad_wr = wr;
	if (prod != start)
		sodp_qp_kick(qp);
	return err;
}

/*
 * Write receive WRs into @rq, a kernel RQ or SRQ ring whose producer the
 * caller holds (qp->rq_lock, srq->post_lock), and publish them.  Stops at
 * the first WR that does not fit: @*wr is left pointing at it.
 * Return: 0, -EINVAL (too many SGEs) or -ENOMEM (the ring is full); the
 * number of WRs posted in @*posted.
 */
static int sodp_kpost_rwqes(struct sodp_ring *rq, u32 max_sge,
			    const struct ib_recv_wr **wr, u32 *posted)
{
	u32 prod = rq->hdr->prod;	/* ours alone: the lock holder's */
	u32 start = prod;
	int err = 0;

	for (; *wr; *wr = (*wr)->next) {
		const struct ib_recv_wr *r = *wr;
		struct sodp_recv_wqe *w;

		if (r->num_sge < 0 || r->num_sge > max_sge) {
			err = -EINVAL;
			break;
		}
		/* Pairs with the work item's release once a slot is taken. */
		if (prod - smp_load_acquire(&rq->hdr->cons) >= rq->num_slots) {
			err = -ENOMEM;
			break;
		}
		w = sodp_ring_slot(rq, prod);
		w->wr_id = r->wr_id;
		w->num_sge = r->num_sge;
		w->reserved = 0;
		sodp_kcopy_sges((struct sodp_sge *)(w + 1), r->sg_list,
				r->num_sge);
		prod++;
	}
	if (prod != start) {
		/* The slots must be visible before the producer index. */
		smp_store_release(&rq->hdr->prod, prod);
	}
	*posted = prod - start;
	return err;
}

/**
 * sodp_post_recv() - ib_post_recv() on a kernel consumer's QP
 * @ibqp: the QP
 * @wr: the list
 * @bad_wr: set to the first WR not posted
 *
 * Context: any.
 * Return: 0, -EINVAL (a user QP, one with an SRQ or in RESET, too many
 * SGEs), -ENOMEM when the RQ is full.
 */
int sodp_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		   const struct ib_recv_wr **bad_wr)
{
	struct sodp_qp *qp = to_sodp_qp(ibqp);
	unsigned long flags;
	u32 posted;
	int err;

	/* A user QP's receives are posted by the provider, in its ring. */
	if (!qp->rq.kbuf || READ_ONCE(qp->state) == IB_QPS_RESET) {
		*bad_wr = wr;
		return -EINVAL;
	}
	spin_lock_irqsave(&qp->rq_lock, flags);
	err = sodp_kpost_rwqes(&qp->rq, qp->max_recv_sge, &wr, &posted);
	spin_unlock_irqrestore(&qp->rq_lock, flags);

	if (err)
		*bad_wr = wr;
	/* In ERR nothing takes receives: the work item flushes them. */
	if (posted) {
		/*
		 * Orders our prod store before the state load, against the
		 * state store, full barrier, prod load of
		 * sodp_qp_publish_state(): one side sees the other, so a
		 * receive posted as the QP enters ERR is flushed.
		 */
		smp_mb();
		if (READ_ONCE(qp->state) == IB_QPS_ERR)
			sodp_qp_kick(qp);
	}
	return err;
}

/**
 * sodp_post_srq_recv() - ib_post_srq_recv() on a kernel consumer's SRQ
 * @ibsrq: the SRQ
 * @wr: the list
 * @bad_wr: set to the first WR not posted
 *
 * Nothing is woken: a QP that found the SRQ empty answered an RNR NAK,
 * and the peer's retry finds the new WQEs, as with a user SRQ, which is
 * filled without a system call.
 *
 * Context: any.
 * Return: 0, -EINVAL (a user SRQ, too many SGEs), -ENOMEM when the SRQ is
 * full.
 */
int sodp_post_srq_recv(struct ib_srq *ibsrq, const struct ib_recv_wr *wr,
		       const struct ib_recv_wr **bad_wr)
{
	struct sodp_srq *srq = to_sodp_srq(ibsrq);
	unsigned long flags;
	u32 posted;
	int err;

	/* A user SRQ's receives are posted by the provider, in its ring. */
	if (!srq->rq.kbuf) {
		*bad_wr = wr;
		return -EINVAL;
	}
	spin_lock_irqsave(&srq->post_lock, flags);
	err = sodp_kpost_rwqes(&srq->rq, srq->max_sge, &wr, &posted);
	spin_unlock_irqrestore(&srq->post_lock, flags);
	if (err)
		*bad_wr = wr;
	return err;
}

/* One CQE as a work completion; false if its QP is gone. */
static bool sodp_cqe_to_wc(struct sodp_cq *cq, const struct sodp_cqe *cqe,
			   struct ib_wc *wc)
{
	struct sodp_dev *sdev = to_sodp_dev(cq->ibcq.device);
	struct sodp_qp *qp;

	/*
	 * A CQE names its QP by number.  A consumer destroys a QP only after
	 * it stopped caring for its completions (ib_drain_qp() or the like),
	 * as with rxe, so one whose QP is no longer found, or is a later QP
	 * with the same number on other CQs, has no one to go to.
	 */
	rcu_read_lock();
	qp = xa_load(&sdev->qps, cqe->qp_num);
	rcu_read_unlock();
	if (!qp || (qp->ibqp.send_cq != &cq->ibcq &&
		    qp->ibqp.recv_cq != &cq->ibcq))
		return false;

	memset(wc, 0, sizeof(*wc));
	wc->wr_id = cqe->wr_id;
	wc->status = cqe->status;
	wc->opcode = cqe->opcode;
	wc->vendor_err = cqe->vendor_err;
	wc->byte_len = cqe->byte_len;
	wc->qp = &qp->ibqp;
	wc->ex.imm_data = cqe->imm_data;
	wc->src_qp = cqe->src_qp;
	if (cqe->wc_flags & SODP_CQE_GRH)
		wc->wc_flags |= IB_WC_GRH;
	if (cqe->wc_flags & SODP_CQE_WITH_IMM)
		wc->wc_flags |= IB_WC_WITH_IMM;
	if (cqe->wc_flags & SODP_CQE_WITH_INV)
		wc->wc_flags |= IB_WC_WITH_INVALIDATE;
	/*
	 * No network header type: the core reads it from the GRH image in
	 * front of the datagram (IPv4 header checksum, else IPv6), which is
	 * what sodp_ud.c writes there.  The VLAN, which the core needs to
	 * find the GID a datagram came to, is the bound netdev's.
	 */
	if ((cqe->wc_flags & SODP_CQE_GRH) && sdev->vlan_id >= 0) {
		wc->vlan_id = sdev->vlan_id;
		wc->wc_flags |= IB_WC_WITH_VLAN;
	}
	wc->pkey_index = 0;
	wc->port_num = SODP_PORT;
	return true;
}

/**
 * sodp_poll_cq() - ib_poll_cq() on a kernel consumer's CQ
 * @ibcq: the CQ
 * @num_entries: room in @wc
 * @wc: filled with up to @num_entries completions
 *
 * Context: any (ib_cq polls from softirq in IB_POLL_SOFTIRQ mode).
 * Return: the number of completions, or -EINVAL for a user CQ.
 */
int sodp_poll_cq(struct ib_cq *ibcq, int num_entries, struct ib_wc *wc)
{
	struct sodp_cq *cq = to_sodp_cq(ibcq);
	struct sodp_ring *ring = &cq->ring;
	unsigned long flags;
	u32 cons, prod;
	int n = 0;

	/* A user CQ's consumer is the process: never take its CQEs. */
	if (!ring->kbuf)
		return -EINVAL;
	spin_lock_irqsave(&cq->poll_lock, flags);
	cons = ring->hdr->cons;
	/* Pairs with the release in sodp_cq_post(). */
	prod = smp_load_acquire(&ring->hdr->prod);
	while (n < num_entries && cons != prod) {
		if (sodp_cqe_to_wc(cq, sodp_ring_slot(ring, cons), &wc[n]))
			n++;
		cons++;
	}
	/* The slots are read before the producer may reuse them. */
	smp_store_release(&ring->hdr->cons, cons);
	spin_unlock_irqrestore(&cq->poll_lock, flags);
	return n;
}
