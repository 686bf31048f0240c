// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: the requester: send WQEs become request packets.
 *
 * WQEs are copied out of the user's SQ ring into a kernel shadow before
 * anything looks at them (sodp_req_fetch()), so a retransmission re-reads
 * our copy, never the ring.  Indices, all free-running u32:
 *
 *   head <= cur <= fetch,  head <= sent <= fetch <= ring prod
 *   head   oldest WQE not yet completed; published as the ring's cons
 *   cur    WQE whose packets are going out (cur_off bytes already sent)
 *   sent   WQEs before it have been given their PSN range
 *   fetch  next slot to copy from the ring
 *
 * Go-back-N.  A WQE gets its PSN range [first_psn, last_psn] the first
 * time it is transmitted, and keeps it: next_psn is where the range of
 * the WQE at sent will start.  A retransmission (timeout, sequence NAK,
 * implied NAK) rewinds cur to head and walks forward again:
 *  - a DONE WQE is skipped (an ACK or its response arrived since);
 *  - a SEND/WRITE starts again at its first PSN, or after the PSNs the
 *    peer has acknowledged (acked_psn), whichever is later;
 *  - a READ asks for the bytes it still lacks, at the PSN the first of
 *    them has in its range;
 *  - an atomic is sent again with its PSN, and the responder answers a
 *    duplicate from its saved result: it runs once;
 *  - a local operation (BIND_MW, LOCAL_INV, REG_MR) was carried out when its
 *    turn first came and is DONE at once: it takes no PSN (the
 *    completer skips it) and never runs twice.  Its effect
 *    stays if a WQE before it fails later: it then completes as flushed,
 *    as in rxe; a consumer that needs the earlier WQEs acknowledged first
 *    sets IBV_SEND_FENCE, which waits for READs and atomics.
 * So every PSN names the same packet however often it is sent, and the
 * responder's duplicate detection can be trusted.  Responses are taken
 * for any WQE in [head, sent) that is not DONE, including one rewound and
 * not yet sent again.  Each rewind costs one of retry_cnt unless
 * something was acknowledged since the last one (IBTA 9.7.5.1); implied
 * NAKs (a response or ACK past a READ or atomic we have no answer for)
 * and sequence NAKs that arrive while a rewind is still unanswered are
 * not acted on: the resent stream, or the timer, covers them.
 *
 * Errors complete in order.  A WQE found bad (when fetched, while its
 * packets are built, or by a NAK) is marked DONE with its error status;
 * transmission stops there (cur never passes a failed WQE, and a rewind
 * resends only what lies before it).  The WQEs before it finish first,
 * and when it reaches head it completes with its own status and the QP
 * enters the error state, which flushes the rest.
 *
 * Runs only in the QP's work item (sodp_qp.c): no locks of its own.
 */
#include <linux/jiffies.h>

#include "sodp.h"
#include "sodp_pkt.h"
#include "sodp_trace.h"

/*
 * PSNs in flight before the requester waits for an ACK.  Between two QPs
 * of this device nothing is lost on the way and bursts carry 31 MTUs
 * each: 128 PSNs would be four bursts, and the requester would spend
 * most of its time waiting for the responder's work item to run.
 */
#define SODP_MAX_UNACKED	128
#define SODP_MAX_UNACKED_LOOP	1024
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

static bool sodp_op_is_atomic(u8 op)
{
	return op == IB_UVERBS_WR_ATOMIC_CMP_AND_SWP ||
	       op == IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD;
}

/*
 * The requester's one mapping from what went wrong to the status the
 * failed WQE completes with.  Local errors come from the MR access layer
 * or from checking the WQE; remote ones are the responder's NAKs, decoded
 * by sodp_comp_nak(), and the retry budgets running out.
 *
 *   -EINVAL         the WQE itself is malformed (opcode, SGE count,
 *                   length, an atomic that is not 8 bytes), or
 *                   a REG_MR or LOCAL_INV refused             LOC_QP_OP_ERR
 *   -EBADMSG        a response that cannot answer this WQE    BAD_RESP_ERR
 *   -ETIMEDOUT      retry_cnt used up (timeouts, seq NAKs)    RETRY_EXC_ERR
 *   -ENOBUFS        rnr_retry used up (RNR NAKs)              RNR_RETRY_EXC_ERR
 *   -EBADR          NAK: Invalid Request                      REM_INV_REQ_ERR
 *   -EKEYREJECTED   NAK: Remote Access Error                  REM_ACCESS_ERR
 *   -EPERM          a BIND_MW the window or MR refuses        MW_BIND_ERR
 *   -EREMOTEIO      NAK: Remote Operational Error (or a NAK
 *                   code this side does not know)             REM_OP_ERR
 *   anything else   a local SGE's lkey, rights, bounds or ODP
 *                   page that cannot be had                   LOC_PROT_ERR
 *
 * -EAGAIN and -ENOMEM never get here: they mean "send it later".
 */
static enum ib_wc_status sodp_req_wc_status(int err)
{
	switch (err) {
	case -EINVAL:
		return IB_WC_LOC_QP_OP_ERR;
	case -EBADMSG:
		return IB_WC_BAD_RESP_ERR;
	case -ETIMEDOUT:
		return IB_WC_RETRY_EXC_ERR;
	case -ENOBUFS:
		return IB_WC_RNR_RETRY_EXC_ERR;
	case -EBADR:
		return IB_WC_REM_INV_REQ_ERR;
	case -EKEYREJECTED:
		return IB_WC_REM_ACCESS_ERR;
	case -EPERM:
		return IB_WC_MW_BIND_ERR;
	case -EREMOTEIO:
		return IB_WC_REM_OP_ERR;
	default:
		return IB_WC_LOC_PROT_ERR;
	}
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
	case IB_UVERBS_WR_SEND_WITH_INV:
		break;
	case IB_WR_REG_MR:
		/* A kernel consumer's, never in a ring user space fills. */
		if (!qp->sq.kbuf)
			goto bad;
		fallthrough;
	case IB_UVERBS_WR_BIND_MW:
	case IB_UVERBS_WR_LOCAL_INV:
		if (qp->ibqp.qp_type != IB_QPT_RC || w->num_sge ||
		    (w->flags & SODP_WQE_INLINE))
			goto bad;
		return;
	case IB_UVERBS_WR_ATOMIC_WRITE:
	case IB_UVERBS_WR_FLUSH:
		/*
		 * Everything is in the WQE: the 8 bytes to store, or the
		 * range and kind of a flush.  No local memory takes part.
		 */
		if (qp->ibqp.qp_type != IB_QPT_RC || w->num_sge ||
		    (w->flags & SODP_WQE_INLINE) || !qp->max_rd_atomic)
			goto bad;
		if (w->opcode == IB_UVERBS_WR_FLUSH &&
		    (w->flush_len > U32_MAX ||
		     !sodp_flush_valid(w->flush_type, w->flush_level)))
			goto bad;
		swqe->length = 0;
		return;
	default:
		goto bad;
	}
	/*
	 * A datagram is a SEND; UC also WRITEs.  Neither has responder
	 * resources to ask, nor an invalidation opcode on the wire.
	 */
	if (qp->ibqp.qp_type != IB_QPT_RC &&
	    w->opcode != IB_UVERBS_WR_SEND &&
	    w->opcode != IB_UVERBS_WR_SEND_WITH_IMM &&
	    (qp->ibqp.qp_type != IB_QPT_UC ||
	     (w->opcode != IB_UVERBS_WR_RDMA_WRITE &&
	      w->opcode != IB_UVERBS_WR_RDMA_WRITE_WITH_IMM)))
		goto bad;
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
	/* No responder resources asked for: a READ could never go out. */
	if (sodp_wr_is_answered(w->opcode) && !qp->max_rd_atomic)
		goto bad;
	swqe->length = total;
	return;
bad:
	swqe->status = sodp_req_wc_status(-EINVAL);
}

/* Copy newly posted WQEs.  Return: 0, or -EINVAL for a corrupt ring. */
int sodp_req_fetch(struct sodp_qp *qp)
{
	struct sodp_req *req = &qp->req;
	/* pairs with the provider's release of prod: its slots are written */
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
		err = sodp_mr_copy(mr, sge[i].addr + off, buf, n, dir,
				   jiffies + SODP_ODP_FAULT_PATIENCE);
		sodp_mr_put(mr);
		if (err)
			return err;
		buf += n;
		len -= n;
		off = 0;
	}
	return len ? -ERANGE : 0;
}

/**
 * sodp_req_gather() - the bytes [@off, @off + @len) of a WQE's message
 * @qp: the QP
 * @idx: the WQE's SQ index
 * @off: offset in the message
 * @buf: where they go
 * @len: bytes
 *
 * From the WQE's inline payload (our copy of the slot) or through its
 * SGEs (sodp_req_sge_copy()).
 *
 * Return: 0, or a negative errno from the MR access layer.
 */
int sodp_req_gather(struct sodp_qp *qp, u32 idx, u32 off, void *buf, u32 len)
{
	const struct sodp_swqe *swqe = sodp_swqe_at(qp, idx);

	if (swqe->wqe.flags & SODP_WQE_INLINE) {
		memcpy(buf, sodp_shadow_at(qp, idx) +
		       sizeof(struct sodp_send_wqe) + off, len);
		return 0;
	}
	return sodp_req_sge_copy(qp, idx, off, buf, len, SODP_FROM_MR);
}

/**
 * sodp_req_fail() - end the WQE at @idx with an error, in order
 * @qp: the QP
 * @idx: SQ index in [head, fetch)
 * @err: what went wrong, a negative errno (sodp_req_wc_status()); the
 *	WQE keeps the status of an earlier failure
 *
 * Nothing at or after @idx is sent any more.  The WQEs before it go on to
 * their own completions (retransmitted if need be); when @idx reaches
 * head, sodp_req_retire() completes it and moves the QP to the error
 * state.
 */
void sodp_req_fail(struct sodp_qp *qp, u32 idx, int err)
{
	struct sodp_req *req = &qp->req;
	struct sodp_swqe *swqe = sodp_swqe_at(qp, idx);

	if (swqe->status == IB_WC_SUCCESS)
		swqe->status = sodp_req_wc_status(err);
	if (swqe->state == SODP_SWQE_SENT &&
	    sodp_wr_is_answered(swqe->wqe.opcode))
		req->rd_atomic_out--;
	swqe->state = SODP_SWQE_DONE;
	/* Transmission stops at the first failed WQE. */
	if (idx - req->head < req->cur - req->head) {
		req->cur = idx;
		req->cur_off = 0;
	}
	sodp_req_retire(qp);
}

static u8 sodp_req_rc_opcode(u8 wr_op, bool first, bool last)
{
	bool imm = wr_op == IB_UVERBS_WR_SEND_WITH_IMM ||
		   wr_op == IB_UVERBS_WR_RDMA_WRITE_WITH_IMM;
	bool inv = wr_op == IB_UVERBS_WR_SEND_WITH_INV;

	if (wr_op == IB_UVERBS_WR_SEND || wr_op == IB_UVERBS_WR_SEND_WITH_IMM ||
	    inv) {
		if (first && last)
			return inv ? SODP_OP_SEND_ONLY_INV :
			       imm ? SODP_OP_SEND_ONLY_IMM : SODP_OP_SEND_ONLY;
		if (first)
			return SODP_OP_SEND_FIRST;
		if (last)
			return inv ? SODP_OP_SEND_LAST_INV :
			       imm ? SODP_OP_SEND_LAST_IMM : SODP_OP_SEND_LAST;
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

/* The wire opcode of one SEND or WRITE packet: UC's are RC's + 0x20. */
static u8 sodp_req_opcode(struct sodp_qp *qp, u8 wr_op, bool first, bool last)
{
	u8 op = sodp_req_rc_opcode(wr_op, first, last);

	return qp->ibqp.qp_type == IB_QPT_UC ? op | SODP_OP_UC : op;
}

/* Packets a WQE's PSN range holds: READ responses, or request packets. */
static u32 sodp_req_npsn(struct sodp_qp *qp, const struct sodp_swqe *swqe)
{
	/* One request, one response: the atomics, ATOMIC_WRITE and FLUSH. */
	if (sodp_wr_is_answered(swqe->wqe.opcode) &&
	    swqe->wqe.opcode != IB_UVERBS_WR_RDMA_READ)
		return 1;
	return max_t(u32, DIV_ROUND_UP(swqe->length, qp->mtu), 1);
}

/*
 * Put the transmission at the right PSN for the WQE at cur: give it its
 * range if it never had one, or find where it resumes after a rewind or
 * an acknowledgment (see the top of the file).
 */
static void sodp_req_place(struct sodp_qp *qp, struct sodp_swqe *swqe)
{
	struct sodp_req *req = &qp->req;
	u32 done;

	if (req->cur == req->sent) {
		swqe->first_psn = req->next_psn;
		swqe->last_psn = sodp_psn_add(swqe->first_psn,
					      sodp_req_npsn(qp, swqe) - 1);
		req->next_psn = sodp_psn_add(swqe->last_psn, 1);
		req->sent++;
		req->psn = swqe->first_psn;
		req->cur_off = 0;
		return;
	}
	switch (swqe->wqe.opcode) {
	case IB_UVERBS_WR_RDMA_READ:
		req->psn = sodp_psn_add(swqe->first_psn,
					swqe->done_bytes / qp->mtu);
		return;
	case IB_UVERBS_WR_ATOMIC_CMP_AND_SWP:
	case IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD:
	case IB_UVERBS_WR_ATOMIC_WRITE:
	case IB_UVERBS_WR_FLUSH:
		req->psn = swqe->first_psn;
		return;
	}
	if (!req->cur_off)
		req->psn = swqe->first_psn;
	/* The peer has more of this message than we are about to send. */
	if (sodp_psn_cmp(req->acked_psn, req->psn) > 0 &&
	    sodp_psn_cmp(req->acked_psn, swqe->last_psn) <= 0) {
		done = (req->acked_psn - swqe->first_psn) & SODP_PSN_MASK;
		req->cur_off = done * qp->mtu;
		req->psn = req->acked_psn;
	}
}

/* Note a transmission up to @last (a PSN) for the ACK timer. */
static void sodp_req_sent_to(struct sodp_req *req, u32 last)
{
	if (sodp_psn_cmp(sodp_psn_add(last, 1), req->sent_psn) > 0)
		req->sent_psn = sodp_psn_add(last, 1);
}

/*
 * The packet of the WQE at cur that carries @n bytes from cur_off: its
 * headers filled in @pkt, the skb allocated (NULL if out of memory).
 */
static struct sk_buff *sodp_req_data_skb(struct sodp_qp *qp,
					 const struct sodp_swqe *swqe, u32 n,
					 struct sodp_pkt *pkt, u8 **payload)
{
	const struct sodp_send_wqe *w = &swqe->wqe;
	struct sodp_req *req = &qp->req;
	u32 off = req->cur_off;
	bool first = off == 0, last = off + n == swqe->length;
	u32 rel = (req->psn - swqe->first_psn) & SODP_PSN_MASK;
	u32 nseg = sodp_net_nseg(qp, n);

	memset(pkt, 0, sizeof(*pkt));
	pkt->opcode = sodp_req_opcode(qp, w->opcode, first, last);
	pkt->psn = req->psn;
	/* On the last packet, and on any that reaches a 32nd PSN. */
	pkt->ackreq = qp->ibqp.qp_type == IB_QPT_RC &&
		(last || (rel + nseg) / SODP_ACKREQ_EVERY !=
			 rel / SODP_ACKREQ_EVERY);
	pkt->se = last && (w->flags & SODP_WQE_SOLICITED);
	if (first && (sodp_opcode_table[pkt->opcode].hdrs & SODP_HDR_RETH)) {
		pkt->va = w->remote_addr;
		pkt->rkey = w->rkey;
		pkt->dma_len = swqe->length;
	}
	pkt->imm = w->imm_data;
	pkt->inv_rkey = w->invalidate_rkey;
	return sodp_net_alloc(qp, pkt, n, payload);
}

/*
 * The next SEND or WRITE packet of the WQE at cur: one MTU, or on a
 * loopback path a burst as long as the send window allows (@room PSNs).
 * Return: 0 or -errno.
 */
static int sodp_req_send_data(struct sodp_qp *qp, struct sodp_swqe *swqe,
			      u32 room)
{
	struct sodp_req *req = &qp->req;
	u32 off = req->cur_off;
	u32 n = sodp_net_burst_len(qp, swqe->length - off, room);
	struct sodp_pkt pkt;
	struct sk_buff *skb;
	u8 *payload;
	int err;

	skb = sodp_req_data_skb(qp, swqe, n, &pkt, &payload);
	/* No order-3 pages for a burst just now: one MTU will do. */
	if (!skb && n > qp->mtu) {
		n = qp->mtu;
		skb = sodp_req_data_skb(qp, swqe, n, &pkt, &payload);
	}
	if (!skb)
		return -ENOMEM;
	err = sodp_req_gather(qp, req->cur, off, payload, n);
	if (err) {
		kfree_skb(skb);
		return err;
	}
	sodp_net_send(qp, skb);
	sodp_req_sent_to(req, sodp_psn_add(pkt.psn, pkt.nseg - 1));

	req->psn = sodp_psn_add(req->psn, pkt.nseg);
	req->cur_off += n;
	/*
	 * UC: nothing will be acknowledged.  A packet out is as good as
	 * acknowledged for the send window, and a message out is done.
	 */
	if (qp->ibqp.qp_type == IB_QPT_UC)
		req->acked_psn = req->psn;
	if (off + n == swqe->length) {
		swqe->state = qp->ibqp.qp_type == IB_QPT_UC ?
			      SODP_SWQE_DONE : SODP_SWQE_SENT;
		req->cur++;
		req->cur_off = 0;
	}
	return 0;
}

/*
 * A READ, atomic, ATOMIC_WRITE or FLUSH request: one packet.  A READ asks
 * for what it still lacks, at that byte's PSN.  Return: 0 or -ENOMEM.
 */
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
	pkt.va = w->remote_addr;
	switch (w->opcode) {
	case IB_UVERBS_WR_RDMA_READ:
		pkt.opcode = SODP_OP_READ_REQ;
		pkt.va = w->remote_addr + swqe->done_bytes;
		pkt.dma_len = swqe->length - swqe->done_bytes;
		break;
	case IB_UVERBS_WR_ATOMIC_WRITE:
		pkt.opcode = SODP_OP_ATOMIC_WRITE;
		pkt.dma_len = sizeof(w->atomic_write);
		break;
	case IB_UVERBS_WR_FLUSH:
		pkt.opcode = SODP_OP_FLUSH;
		pkt.dma_len = w->flush_len;
		pkt.flush_type = w->flush_type;
		pkt.flush_level = w->flush_level;
		break;
	default:
		pkt.opcode = w->opcode == IB_UVERBS_WR_ATOMIC_CMP_AND_SWP ?
			     SODP_OP_CMP_SWAP : SODP_OP_FETCH_ADD;
		pkt.compare_add = w->compare_add;
		pkt.swap = w->swap;
		break;
	}
	skb = sodp_net_alloc(qp, &pkt,
			     pkt.opcode == SODP_OP_ATOMIC_WRITE ?
			     sizeof(w->atomic_write) : 0, &payload);
	if (!skb)
		return -ENOMEM;
	/* The bytes as they are to lie in memory: no byte order to apply. */
	if (pkt.opcode == SODP_OP_ATOMIC_WRITE)
		memcpy(payload, &w->atomic_write, sizeof(w->atomic_write));
	sodp_net_send(qp, skb);
	sodp_req_sent_to(req, swqe->last_psn);

	req->psn = sodp_psn_add(swqe->last_psn, 1);
	req->rd_atomic_out++;
	swqe->state = SODP_SWQE_SENT;
	req->cur++;
	req->cur_off = 0;
	return 0;
}

/*
 * Carry out the local operation at cur (top of the file).  Return: 0, or
 * -EPERM (a bind refused) or -EINVAL (a registration refused, nothing to
 * invalidate) to fail it.
 */
static int sodp_req_local(struct sodp_qp *qp, struct sodp_swqe *swqe)
{
	struct sodp_req *req = &qp->req;
	int err;

	switch (swqe->wqe.opcode) {
	case IB_UVERBS_WR_BIND_MW:
		err = sodp_mw_bind(qp, &swqe->wqe);
		break;
	case IB_WR_REG_MR:
		err = sodp_frmr_register(qp, &swqe->wqe);
		break;
	default:
		err = sodp_key_invalidate(qp, swqe->wqe.invalidate_rkey, false);
		break;
	}
	if (err)
		return err;
	/*
	 * No PSN range: the completer skips local operations by opcode.
	 * first_psn only says where in the stream it ran (traces).
	 */
	if (req->cur == req->sent) {
		swqe->first_psn = req->next_psn;
		req->sent++;
	}
	swqe->state = SODP_SWQE_DONE;
	req->cur++;
	req->cur_off = 0;
	return 0;
}

/* Never so short that a slow (TCG) host trips it. */
#define SODP_ACK_TIMEOUT_MIN_US	(20 * USEC_PER_MSEC)

/**
 * sodp_ack_timeout_us() - the local ACK timeout a QP's timeout field names
 * @timeout: the 5-bit field of ibv_modify_qp()
 *
 * IBTA 9.7.6.1.3: 4.096 us * 2^timeout, 0 for no timer.  Computed in 64
 * bits (2^31 of them is about 2.4 hours) and never below 20 ms.
 *
 * Return: microseconds, 0 for no timer.
 */
u64 sodp_ack_timeout_us(u8 timeout)
{
	if (!timeout)
		return 0;
	return max_t(u64, div_u64(4096ULL << timeout, NSEC_PER_USEC),
		     SODP_ACK_TIMEOUT_MIN_US);
}

static unsigned long sodp_req_timeout_jiffies(struct sodp_qp *qp)
{
	u64 j = nsecs_to_jiffies64(sodp_ack_timeout_us(qp->timeout) *
				   NSEC_PER_USEC);

	return min_t(u64, j, MAX_JIFFY_OFFSET);
}

/**
 * sodp_req_awaiting() - is the peer to answer something we sent?
 * @qp: the QP
 *
 * A PSN sent and not acknowledged, or a READ or atomic sent and not
 * answered (an ACK for a later PSN covers its PSN, not its answer).  The
 * ACK timeout measures the peer, so it runs only while this holds, as a
 * hardware requester's transport timer does, and not while a long message
 * is still being sent: an ODP source page that migration keeps taking
 * away can hold our own next packet up for seconds with everything before
 * it acknowledged, and each such second must not cost one of retry_cnt.
 *
 * Return: true if the retransmission timer should run.
 */
bool sodp_req_awaiting(struct sodp_qp *qp)
{
	struct sodp_req *req = &qp->req;

	if (req->head == req->sent)
		return false;
	return req->rd_atomic_out ||
	       sodp_psn_cmp(req->acked_psn, req->sent_psn) < 0;
}

/* Arm the retransmission timer while sodp_req_awaiting() says so. */
void sodp_req_arm_timer(struct sodp_qp *qp, bool restart)
{
	/* UC waits for nothing: a WQE is done once its last packet is out. */
	if (!qp->timeout || !sodp_req_awaiting(qp) ||
	    qp->ibqp.qp_type != IB_QPT_RC) {
		timer_delete(&qp->retry_timer);
		return;
	}
	if (!restart && timer_pending(&qp->retry_timer))
		return;
	mod_timer(&qp->retry_timer, jiffies + sodp_req_timeout_jiffies(qp));
}

/* Go back to head and send again what has no answer (top of the file). */
static void sodp_req_rewind(struct sodp_qp *qp)
{
	struct sodp_req *req = &qp->req;
	u32 i;

	req->need_retry = false;
	if (req->head == req->sent)
		return;	/* nothing went out */
	sodp_count(qp->sdev, SODP_CNT_RETRANSMIT);
	trace_sodp_rewind(qp->ibqp.qp_num, req->sent - req->head,
			  sodp_swqe_at(qp, req->head)->first_psn,
			  req->next_psn);
	for (i = req->head; i != req->cur; i++) {
		struct sodp_swqe *swqe = sodp_swqe_at(qp, i);

		if (swqe->state != SODP_SWQE_SENT)
			continue;
		swqe->state = SODP_SWQE_QUEUED;
		if (sodp_wr_is_answered(swqe->wqe.opcode))
			req->rd_atomic_out--;
	}
	req->cur = req->head;
	req->cur_off = 0;
	req->rewound = true;
}

/**
 * sodp_req_stop() - what a failed attempt to send the WQE at cur means
 * @qp: the QP
 * @err: the attempt's result
 * @stalled: set if the run is to be tried again
 *
 * No skb, or an ODP page to be had later: stop, and the caller schedules
 * another run.  Anything else (a bad lkey, rights or bounds, an ODP page
 * that cannot be had at all, a WQE that names no address handle) fails
 * the WQE, in order.
 *
 * Return: true if the send loop stops here.
 */
bool sodp_req_stop(struct sodp_qp *qp, int err, bool *stalled)
{
	if (err == -ENOMEM || err == -EAGAIN) {
		*stalled = true;
		return true;
	}
	if (err) {
		sodp_req_fail(qp, qp->req.cur, err);
		return true;
	}
	return false;
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

	while (req->cur != req->fetch && *budget > 0) {
		struct sodp_swqe *swqe = sodp_swqe_at(qp, req->cur);
		u8 op = swqe->wqe.opcode;
		u32 window_end, room;

		if (swqe->state == SODP_SWQE_DONE) {
			/* Transmission stops at the first failed WQE. */
			if (swqe->status != IB_WC_SUCCESS)
				break;
			/* Answered since it was sent: nothing to resend. */
			req->cur++;
			req->cur_off = 0;
			continue;
		}
		/* Found bad when fetched (the status is set): fail in order. */
		if (swqe->status != IB_WC_SUCCESS) {
			sodp_req_fail(qp, req->cur, -EINVAL);
			break;
		}
		if (sodp_wr_is_local(op)) {
			if ((swqe->wqe.flags & SODP_WQE_FENCE) &&
			    req->rd_atomic_out)
				break;
			err = sodp_req_local(qp, swqe);
			if (sodp_req_stop(qp, err, &stalled))
				break;
			continue;
		}
		sodp_req_place(qp, swqe);
		window_end = sodp_psn_add(req->acked_psn, qp->path.loopback ?
					  SODP_MAX_UNACKED_LOOP :
					  SODP_MAX_UNACKED);
		if (sodp_psn_cmp(req->psn, window_end) >= 0)
			break;
		if ((swqe->wqe.flags & SODP_WQE_FENCE) && req->rd_atomic_out &&
		    !req->cur_off)
			break;
		room = (window_end - req->psn) & SODP_PSN_MASK;
		if (sodp_wr_is_answered(op)) {
			if (req->rd_atomic_out >= qp->max_rd_atomic)
				break;
			err = sodp_req_send_rd_atomic(qp, swqe);
		} else {
			err = sodp_req_send_data(qp, swqe, room);
		}
		if (sodp_req_stop(qp, err, &stalled))
			break;
		(*budget)--;
	}
	/* DONE WQEs skipped above may now retire. */
	sodp_req_retire(qp);
	if (qp->state == IB_QPS_RTS)
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
	case IB_UVERBS_WR_BIND_MW:
		return IB_UVERBS_WC_BIND_MW;
	case IB_UVERBS_WR_LOCAL_INV:
		return IB_UVERBS_WC_LOCAL_INV;
	case IB_WR_REG_MR:
		/* A user ring's REG_MR fails: its opcode means nothing. */
		return IB_WC_REG_MR;
	case IB_UVERBS_WR_ATOMIC_WRITE:
		return IB_UVERBS_WC_ATOMIC_WRITE;
	case IB_UVERBS_WR_FLUSH:
		return IB_UVERBS_WC_FLUSH;
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
	/* the provider reads cons with acquire before reusing the slot */
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

/*
 * Complete finished WQEs in order.  A failed one completes with its own
 * status and moves the QP to the error state; the flush does the rest.
 */
void sodp_req_retire(struct sodp_qp *qp)
{
	struct sodp_req *req = &qp->req;

	while (req->head != req->fetch) {
		struct sodp_swqe *swqe = sodp_swqe_at(qp, req->head);
		enum ib_wc_status st = swqe->status;

		if (swqe->state != SODP_SWQE_DONE)
			break;
		/* Keep head <= cur, sent. */
		if (req->cur == req->head) {
			req->cur++;
			req->cur_off = 0;
		}
		if (req->sent == req->head)
			req->sent++;
		if (!sodp_req_complete_head(qp, st)) {
			sodp_qp_error(qp);	/* the CQ overflowed */
			return;
		}
		if (st != IB_WC_SUCCESS) {
			/*
			 * IBTA: RC goes to Error; UC and UD to Send Queue
			 * Error, where receiving goes on.
			 */
			if (qp->ibqp.qp_type == IB_QPT_RC)
				sodp_qp_error(qp);
			else
				sodp_qp_sq_error(qp);
			return;
		}
	}
}

/*
 * In the error state: complete everything posted, in order, as flushed.
 * The WQE that failed, if one did, completed with its status already.
 */
void sodp_req_flush(struct sodp_qp *qp)
{
	struct sodp_req *req = &qp->req;

	if (sodp_req_fetch(qp))
		return;	/* a corrupt ring: nothing in it can be trusted */
	while (req->head != req->fetch)
		if (!sodp_req_complete_head(qp, IB_WC_WR_FLUSH_ERR))
			break;
	req->cur = req->head;
	req->sent = req->head;
	req->cur_off = 0;
	req->rd_atomic_out = 0;
}

struct sodp_swqe *sodp_req_swqe(struct sodp_qp *qp, u32 idx)
{
	return sodp_swqe_at(qp, idx);
}
