// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: the requester: send WQEs become request packets.
 *
 * WQEs are copied out of the user's SQ ring into a kernel shadow before
 * anything looks at them (sodp_req_fetch()), so a retransmission re-reads
 * our copy, never the ring.  Indices, all free-running u32:
 *
 *   head <= cur <= fetch <= ring prod
 *   head   oldest WQE not yet completed; published as the ring's cons
 *   cur    WQE whose packets are going out (cur_off bytes already sent)
 *   fetch  next slot to copy from the ring
 *
 * Runs only in the QP's work item (sodp_qp.c): no locks of its own.
 */
#include <linux/jiffies.h>

#include "sodp.h"
#include "sodp_pkt.h"

/* PSNs in flight before the requester waits for an ACK. */
#define SODP_MAX_UNACKED	128
/* Ask for an ACK at least this often inside a long message. */
#define SODP_ACKREQ_EVERY	32

static struct sodp_swqe *sodp_swqe_at(struct sodp_qp *qp, u32 idx)
{
	return &qp->swqe[idx & (qp->sq.num_slots - 1)];
}

static void *sodp_shadow_at(struct sodp_qp *qp, u32 idx)
{
	return qp->sq_shadow +
	       (size_t)(idx & (qp->sq.num_slots - 1)) * qp->sq.slot_size;
}

static const struct sodp_sge *sodp_swqe_sges(struct sodp_qp *qp, u32 idx)
{
	return sodp_shadow_at(qp, idx) + sizeof(struct sodp_send_wqe);
}

static bool sodp_op_is_rd_atomic(u8 op)
{
	return op == IB_UVERBS_WR_RDMA_READ ||
	       op == IB_UVERBS_WR_ATOMIC_CMP_AND_SWP ||
	       op == IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD;
}

static bool sodp_op_is_atomic(u8 op)
{
	return op == IB_UVERBS_WR_ATOMIC_CMP_AND_SWP ||
	       op == IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD;
}

/* Check a freshly copied WQE; mark it failed rather than refuse it. */
static void sodp_req_validate(struct sodp_qp *qp, u32 idx)
{
	struct sodp_swqe *swqe = sodp_swqe_at(qp, idx);
	const struct sodp_send_wqe *w = &swqe->wqe;
	const struct sodp_sge *sge = sodp_swqe_sges(qp, idx);
	u64 total = 0;
	u32 i;

	switch (w->opcode) {
	case IB_UVERBS_WR_SEND:
	case IB_UVERBS_WR_SEND_WITH_IMM:
	case IB_UVERBS_WR_RDMA_WRITE:
	case IB_UVERBS_WR_RDMA_WRITE_WITH_IMM:
	case IB_UVERBS_WR_RDMA_READ:
	case IB_UVERBS_WR_ATOMIC_CMP_AND_SWP:
	case IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD:
		break;
	default:
		goto bad;
	}
	if (w->flags & SODP_WQE_INLINE) {
		if (w->inline_len > qp->max_inline ||
		    w->opcode == IB_UVERBS_WR_RDMA_READ ||
		    sodp_op_is_atomic(w->opcode))
			goto bad;
		total = w->inline_len;
	} else {
		if (w->num_sge > qp->max_send_sge)
			goto bad;
		for (i = 0; i < w->num_sge; i++)
			total += sge[i].length;
	}
	if (total > SODP_MAX_MSG_SIZE)
		goto bad;
	if (sodp_op_is_atomic(w->opcode) && (w->num_sge != 1 || total != 8))
		goto bad;
	swqe->length = total;
	return;
bad:
	swqe->status = IB_WC_LOC_QP_OP_ERR;
}

/* Copy newly posted WQEs.  Return: 0, or -EINVAL for a corrupt ring. */
static int sodp_req_fetch(struct sodp_qp *qp)
{
	struct sodp_req *req = &qp->req;
	u32 prod = smp_load_acquire(&qp->sq.hdr->prod);

	if (prod - req->head > qp->sq.num_slots ||
	    prod - req->fetch > prod - req->head)
		return -EINVAL;
	while (req->fetch != prod) {
		struct sodp_swqe *swqe = sodp_swqe_at(qp, req->fetch);
		void *shadow = sodp_shadow_at(qp, req->fetch);

		memcpy(shadow, sodp_ring_slot(&qp->sq, req->fetch),
		       qp->sq.slot_size);
		memset(swqe, 0, sizeof(*swqe));
		memcpy(&swqe->wqe, shadow, sizeof(swqe->wqe));
		swqe->state = SODP_SWQE_QUEUED;
		swqe->status = IB_WC_SUCCESS;
		sodp_req_validate(qp, req->fetch);
		req->fetch++;
	}
	return 0;
}

/**
 * sodp_req_sge_copy() - move message bytes between a WQE's SGEs and @buf
 * @qp: the QP
 * @idx: the WQE's SQ index
 * @off: offset in the message
 * @buf: kernel buffer
 * @len: bytes
 * @dir: SODP_FROM_MR (gather a request) or SODP_TO_MR (READ/atomic result)
 *
 * Return: 0, or a negative errno from the MR access layer (bad lkey,
 * rights or bounds: a local protection error).
 */
int sodp_req_sge_copy(struct sodp_qp *qp, u32 idx, u32 off, void *buf,
		      u32 len, enum sodp_mr_dir dir)
{
	const struct sodp_swqe *swqe = sodp_swqe_at(qp, idx);
	const struct sodp_sge *sge = sodp_swqe_sges(qp, idx);
	u32 pdn = to_sodp_pd(qp->ibqp.pd)->pdn;
	int access = dir == SODP_TO_MR ? IB_ACCESS_LOCAL_WRITE : 0;
	u32 i;

	for (i = 0; i < swqe->wqe.num_sge && len; i++) {
		struct sodp_mr *mr;
		u32 n;
		int err;

		if (off >= sge[i].length) {
			off -= sge[i].length;
			continue;
		}
		n = min(len, sge[i].length - off);
		mr = sodp_mr_get(qp->sdev, sge[i].lkey, pdn,
				 sge[i].addr + off, n, access);
		if (IS_ERR(mr))
			return PTR_ERR(mr);
		err = sodp_mr_copy(mr, sge[i].addr + off, buf, n, dir);
		sodp_mr_put(mr);
		if (err)
			return err;
		buf += n;
		len -= n;
		off = 0;
	}
	return len ? -ERANGE : 0;
}

/* Fail the WQE at @idx and move the QP to the error state. */
void sodp_req_fail(struct sodp_qp *qp, u32 idx, enum ib_wc_status status)
{
	struct sodp_swqe *swqe = sodp_swqe_at(qp, idx);

	if (swqe->status == IB_WC_SUCCESS)
		swqe->status = status;
	swqe->state = SODP_SWQE_DONE;
	sodp_qp_error(qp);
}

static u8 sodp_req_opcode(u8 wr_op, bool first, bool last)
{
	bool imm = wr_op == IB_UVERBS_WR_SEND_WITH_IMM ||
		   wr_op == IB_UVERBS_WR_RDMA_WRITE_WITH_IMM;

	if (wr_op == IB_UVERBS_WR_SEND || wr_op == IB_UVERBS_WR_SEND_WITH_IMM) {
		if (first && last)
			return imm ? SODP_OP_SEND_ONLY_IMM : SODP_OP_SEND_ONLY;
		if (first)
			return SODP_OP_SEND_FIRST;
		if (last)
			return imm ? SODP_OP_SEND_LAST_IMM : SODP_OP_SEND_LAST;
		return SODP_OP_SEND_MIDDLE;
	}
	if (first && last)
		return imm ? SODP_OP_WRITE_ONLY_IMM : SODP_OP_WRITE_ONLY;
	if (first)
		return SODP_OP_WRITE_FIRST;
	if (last)
		return imm ? SODP_OP_WRITE_LAST_IMM : SODP_OP_WRITE_LAST;
	return SODP_OP_WRITE_MIDDLE;
}

/* One SEND or WRITE packet of the WQE at cur.  Return: 0 or -errno. */
static int sodp_req_send_data(struct sodp_qp *qp, struct sodp_swqe *swqe)
{
	struct sodp_req *req = &qp->req;
	const struct sodp_send_wqe *w = &swqe->wqe;
	u32 off = req->cur_off;
	u32 n = min(swqe->length - off, qp->mtu);
	bool first = off == 0, last = off + n == swqe->length;
	struct sodp_pkt pkt = {};
	struct sk_buff *skb;
	u8 *payload;
	int err;

	pkt.opcode = sodp_req_opcode(w->opcode, first, last);
	pkt.psn = req->psn;
	if (first)
		swqe->first_psn = req->psn;
	pkt.ackreq = last ||
		((req->psn - swqe->first_psn) % SODP_ACKREQ_EVERY) ==
		SODP_ACKREQ_EVERY - 1;
	pkt.se = last && (w->flags & SODP_WQE_SOLICITED);
	if (first && (sodp_opcode_table[pkt.opcode].hdrs & SODP_HDR_RETH)) {
		pkt.va = w->remote_addr;
		pkt.rkey = w->rkey;
		pkt.dma_len = swqe->length;
	}
	pkt.imm = w->imm_data;

	skb = sodp_net_alloc(qp, &pkt, n, &payload);
	if (!skb)
		return -ENOMEM;
	if (w->flags & SODP_WQE_INLINE) {
		memcpy(payload, sodp_shadow_at(qp, req->cur) +
		       sizeof(struct sodp_send_wqe) + off, n);
	} else {
		err = sodp_req_sge_copy(qp, req->cur, off, payload, n,
					SODP_FROM_MR);
		if (err) {
			kfree_skb(skb);
			return err;
		}
	}
	sodp_net_send(qp, skb);

	req->psn = sodp_psn_add(req->psn, 1);
	req->cur_off += n;
	if (last) {
		swqe->last_psn = pkt.psn;
		swqe->state = SODP_SWQE_SENT;
		req->cur++;
		req->cur_off = 0;
	}
	return 0;
}

/* A READ or atomic request: one packet.  Return: 0 or -ENOMEM. */
static int sodp_req_send_rd_atomic(struct sodp_qp *qp, struct sodp_swqe *swqe)
{
	struct sodp_req *req = &qp->req;
	const struct sodp_send_wqe *w = &swqe->wqe;
	struct sodp_pkt pkt = {};
	struct sk_buff *skb;
	u8 *payload;

	pkt.psn = req->psn;
	pkt.ackreq = true;
	pkt.rkey = w->rkey;
	if (w->opcode == IB_UVERBS_WR_RDMA_READ) {
		u32 left = swqe->length - swqe->done_bytes;

		pkt.opcode = SODP_OP_READ_REQ;
		pkt.va = w->remote_addr + swqe->done_bytes;
		pkt.dma_len = left;
		if (!swqe->done_bytes)
			swqe->first_psn = req->psn;
		swqe->last_psn = sodp_psn_add(req->psn,
			max_t(u32, DIV_ROUND_UP(left, qp->mtu), 1) - 1);
	} else {
		pkt.opcode = w->opcode == IB_UVERBS_WR_ATOMIC_CMP_AND_SWP ?
			     SODP_OP_CMP_SWAP : SODP_OP_FETCH_ADD;
		pkt.va = w->remote_addr;
		pkt.compare_add = w->compare_add;
		pkt.swap = w->swap;
		swqe->first_psn = req->psn;
		swqe->last_psn = req->psn;
	}
	skb = sodp_net_alloc(qp, &pkt, 0, &payload);
	if (!skb)
		return -ENOMEM;
	sodp_net_send(qp, skb);

	req->psn = sodp_psn_add(swqe->last_psn, 1);
	req->rd_atomic_out++;
	swqe->state = SODP_SWQE_SENT;
	req->cur++;
	req->cur_off = 0;
	return 0;
}

/* Arm the retransmission timer if anything is in flight. */
void sodp_req_arm_timer(struct sodp_qp *qp, bool restart)
{
	unsigned long t;

	if (!qp->timeout || qp->req.psn == qp->req.acked_psn) {
		timer_delete(&qp->retry_timer);
		return;
	}
	if (!restart && timer_pending(&qp->retry_timer))
		return;
	/* 4.096 us * 2^timeout, and never so short that TCG trips it. */
	t = usecs_to_jiffies((4096ULL << qp->timeout) / 1000);
	mod_timer(&qp->retry_timer, jiffies + max(t, msecs_to_jiffies(20)));
}

/*
 * Go back to the oldest unacknowledged WQE and resend from the first PSN
 * not known to have arrived (IBTA 9.7.4.1.5 "go back N").
 */
static void sodp_req_rewind(struct sodp_qp *qp)
{
	struct sodp_req *req = &qp->req;
	struct sodp_swqe *swqe;
	u32 i;

	req->need_retry = false;
	if (req->head == req->cur && !req->cur_off)
		return;	/* nothing went out */
	sodp_count(qp->sdev, SODP_CNT_RETRANSMIT);

	for (i = req->head; i != req->cur; i++) {
		swqe = sodp_swqe_at(qp, i);
		if (swqe->state == SODP_SWQE_SENT)
			swqe->state = SODP_SWQE_QUEUED;
	}
	req->rd_atomic_out = 0;
	req->cur = req->head;
	req->cur_off = 0;
	swqe = sodp_swqe_at(qp, req->head);
	if (swqe->wqe.opcode == IB_UVERBS_WR_RDMA_READ) {
		req->psn = sodp_psn_add(swqe->first_psn,
					swqe->done_bytes / qp->mtu);
	} else if (sodp_op_is_atomic(swqe->wqe.opcode)) {
		req->psn = swqe->first_psn;
	} else if (sodp_psn_cmp(req->acked_psn, swqe->first_psn) > 0) {
		/* Part of the message is acknowledged: resume after it. */
		req->cur_off = (req->acked_psn - swqe->first_psn) &
			       SODP_PSN_MASK;
		req->cur_off *= qp->mtu;
		req->psn = req->acked_psn;
	} else {
		req->psn = swqe->first_psn;
	}
}

/**
 * sodp_req_run() - send what the SQ holds, within the window
 * @qp: the QP, in RTS
 * @budget: packets this run may still send; decremented
 *
 * Return: true if it stopped for lack of budget, or for something it may
 * have next time (an skb, an ODP page): it wants to run again.
 */
bool sodp_req_run(struct sodp_qp *qp, int *budget)
{
	struct sodp_req *req = &qp->req;
	bool stalled = false;
	int err = 0;

	if (sodp_req_fetch(qp)) {
		sodp_qp_event(qp, IB_EVENT_QP_FATAL);
		sodp_qp_error(qp);
		return false;
	}
	if (req->rnr_wait)
		return false;
	if (req->need_retry)
		sodp_req_rewind(qp);

	while (req->cur != req->fetch) {
		struct sodp_swqe *swqe = sodp_swqe_at(qp, req->cur);
		u8 op = swqe->wqe.opcode;

		if (*budget <= 0)
			break;
		/*
		 * A WQE found bad when fetched or while its packets were
		 * built completes, with its error, in order: only once
		 * every WQE before it has.  Until then nothing more is sent;
		 * the earlier ones finish with their ACKs (or their retries
		 * run out and the error is theirs).
		 */
		if (swqe->status != IB_WC_SUCCESS) {
			if (req->head == req->cur)
				sodp_req_fail(qp, req->cur, swqe->status);
			return false;
		}
		if (sodp_psn_cmp(req->psn, sodp_psn_add(req->acked_psn,
					SODP_MAX_UNACKED)) >= 0)
			break;
		if ((swqe->wqe.flags & SODP_WQE_FENCE) && req->rd_atomic_out &&
		    !req->cur_off)
			break;
		if (sodp_op_is_rd_atomic(op)) {
			if (req->rd_atomic_out >= max_t(u8, qp->max_rd_atomic, 1))
				break;
			err = sodp_req_send_rd_atomic(qp, swqe);
		} else {
			err = sodp_req_send_data(qp, swqe);
		}
		/*
		 * No skb, or an ODP page to be had later: try again on the
		 * next run, which the caller schedules.
		 */
		if (err == -ENOMEM || err == -EAGAIN) {
			stalled = true;
			break;
		}
		if (err) {
			/* Bad lkey, rights or bounds, or an ODP page that
			 * cannot be had at all: complete in order (above). */
			swqe->status = IB_WC_LOC_PROT_ERR;
			continue;
		}
		(*budget)--;
	}
	sodp_req_arm_timer(qp, false);
	return stalled || (req->cur != req->fetch && *budget <= 0);
}

static u8 sodp_wc_opcode(u8 wr_op)
{
	switch (wr_op) {
	case IB_UVERBS_WR_RDMA_WRITE:
	case IB_UVERBS_WR_RDMA_WRITE_WITH_IMM:
		return IB_UVERBS_WC_RDMA_WRITE;
	case IB_UVERBS_WR_RDMA_READ:
		return IB_UVERBS_WC_RDMA_READ;
	case IB_UVERBS_WR_ATOMIC_CMP_AND_SWP:
		return IB_UVERBS_WC_COMP_SWAP;
	case IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD:
		return IB_UVERBS_WC_FETCH_ADD;
	default:
		return IB_UVERBS_WC_SEND;
	}
}

/* Complete the WQE at head.  Return: false if the CQ overflowed. */
static bool sodp_req_complete_head(struct sodp_qp *qp, enum ib_wc_status st)
{
	struct sodp_req *req = &qp->req;
	struct sodp_swqe *swqe = sodp_swqe_at(qp, req->head);
	bool ok = true;

	/*
	 * Free the slot before the CQE appears: a poller that sees the
	 * completion may post into the slot at once.
	 */
	req->head++;
	smp_store_release(&qp->sq.hdr->cons, req->head);
	if (st != IB_WC_SUCCESS || qp->sig_all ||
	    (swqe->wqe.flags & SODP_WQE_SIGNALED)) {
		struct sodp_cqe cqe = {
			.wr_id = swqe->wqe.wr_id,
			.status = st,
			.opcode = sodp_wc_opcode(swqe->wqe.opcode),
			.byte_len = swqe->length,
			.qp_num = qp->ibqp.qp_num,
		};

		ok = !sodp_cq_post(qp->scq, &cqe, false);
	}
	return ok;
}

/* Complete finished WQEs in order (called by the completer). */
void sodp_req_retire(struct sodp_qp *qp)
{
	struct sodp_req *req = &qp->req;

	while (req->head != req->cur) {
		struct sodp_swqe *swqe = sodp_swqe_at(qp, req->head);

		if (swqe->state != SODP_SWQE_DONE ||
		    swqe->status != IB_WC_SUCCESS)
			break;
		if (!sodp_req_complete_head(qp, IB_WC_SUCCESS)) {
			sodp_qp_error(qp);
			return;
		}
	}
}

/* In the error state: complete everything posted, in order. */
void sodp_req_flush(struct sodp_qp *qp)
{
	struct sodp_req *req = &qp->req;

	if (sodp_req_fetch(qp))
		return;	/* a corrupt ring: nothing in it can be trusted */
	while (req->head != req->fetch) {
		struct sodp_swqe *swqe = sodp_swqe_at(qp, req->head);
		enum ib_wc_status st = swqe->status;

		if (st == IB_WC_SUCCESS && swqe->state != SODP_SWQE_DONE)
			st = IB_WC_WR_FLUSH_ERR;
		if (!sodp_req_complete_head(qp, st))
			break;
	}
	req->cur = req->head;
	req->cur_off = 0;
}

struct sodp_swqe *sodp_req_swqe(struct sodp_qp *qp, u32 idx)
{
	return sodp_swqe_at(qp, idx);
}
