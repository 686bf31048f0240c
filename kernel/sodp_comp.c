// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: the completer: ACKs, NAKs, READ responses and atomic ACKs turn
 * sent WQEs into completions, in order; timeouts and NAKs turn into
 * retransmission (sodp_req.c rewinds).
 *
 * Runs only in the QP's work item (sodp_qp.c): no locks of its own.
 */
#include <linux/jiffies.h>

#include "sodp.h"
#include "sodp_pkt.h"
#include "sodp_trace.h"

/* IBTA table 45: RNR NAK timer field to microseconds. */
static const u32 sodp_rnr_usecs[32] = {
	655360, 10, 20, 30, 40, 60, 80, 120, 160, 240, 320, 480, 640, 960,
	1280, 1920, 2560, 3840, 5120, 7680, 10240, 15360, 20480, 30720,
	40960, 61440, 81920, 122880, 163840, 245760, 327680, 491520,
};

/* Forward progress: the retry budgets start over (IBTA 9.7.5.1). */
static void sodp_comp_progress(struct sodp_qp *qp, u32 psn)
{
	struct sodp_req *req = &qp->req;

	if (sodp_psn_cmp(sodp_psn_add(psn, 1), req->acked_psn) <= 0)
		return;
	req->acked_psn = sodp_psn_add(psn, 1);
	req->retry_left = qp->retry_cnt;
	req->rnr_left = qp->rnr_retry;
	req->rewound = false;
	/* The ACK timer restarts in sodp_comp_rx_done(). */
}

/*
 * Retransmit from head (timeout, sequence NAK, implied NAK), at the cost
 * of one retry; out of retries, head fails with RETRY_EXC.
 */
static void sodp_comp_retry(struct sodp_qp *qp,
			    enum sodp_retry_reason reason)
{
	struct sodp_req *req = &qp->req;

	if (req->need_retry)
		return;
	trace_sodp_retry(qp->ibqp.qp_num, reason,
			 sodp_req_swqe(qp, req->head)->first_psn,
			 req->acked_psn, req->retry_left);
	if (!req->retry_left) {
		sodp_req_fail(qp, req->head, -ETIMEDOUT);
		return;
	}
	req->retry_left--;
	req->need_retry = true;
}

/*
 * The responder is past a READ or atomic whose answer never came: it was
 * lost.  Acted on once per rewind: until something is acknowledged again
 * the resent stream (or the timer) answers the same loss.
 */
static void sodp_comp_implied_nak(struct sodp_qp *qp)
{
	if (qp->req.rewound)
		return;
	sodp_count(qp->sdev, SODP_CNT_IMPLIED_NAK);
	sodp_comp_retry(qp, SODP_RETRY_IMPLIED_NAK);
}

/*
 * Everything up to and including @psn arrived.  Complete the SEND and
 * WRITE WQEs it covers; a READ or atomic it covers that was sent and has
 * no answer means the answer was lost.
 */
static void sodp_comp_ack(struct sodp_qp *qp, u32 psn)
{
	struct sodp_req *req = &qp->req;
	bool lost = false;
	u32 i;

	/* Ignore ACKs for PSNs never sent. */
	if (sodp_psn_cmp(psn, req->sent_psn) >= 0)
		return;
	sodp_comp_progress(qp, psn);
	for (i = req->head; i != req->sent; i++) {
		struct sodp_swqe *swqe = sodp_req_swqe(qp, i);

		if (swqe->state == SODP_SWQE_DONE)
			continue;
		if (sodp_psn_cmp(swqe->last_psn, psn) > 0)
			break;
		if (sodp_wr_is_answered(swqe->wqe.opcode)) {
			lost |= swqe->state == SODP_SWQE_SENT;
			continue;
		}
		swqe->state = SODP_SWQE_DONE;
	}
	if (lost)
		sodp_comp_implied_nak(qp);
}

/* Find the WQE, among those given PSNs, whose range holds @psn. */
static int sodp_comp_find(struct sodp_qp *qp, u32 psn, u32 *idx)
{
	struct sodp_req *req = &qp->req;
	u32 i;

	for (i = req->head; i != req->sent; i++) {
		struct sodp_swqe *swqe = sodp_req_swqe(qp, i);

		if (sodp_wr_is_local(swqe->wqe.opcode))
			continue;	/* no PSN */
		if (sodp_psn_cmp(psn, swqe->first_psn) >= 0 &&
		    sodp_psn_cmp(psn, swqe->last_psn) <= 0) {
			*idx = i;
			return 0;
		}
	}
	return -ENOENT;
}

/* A READ or atomic has its whole answer. */
static void sodp_comp_rd_done(struct sodp_qp *qp, struct sodp_swqe *swqe)
{
	if (swqe->state == SODP_SWQE_SENT)
		qp->req.rd_atomic_out--;
	swqe->state = SODP_SWQE_DONE;
}

/*
 * A READ response, or the empty one that answers ATOMIC_WRITE and FLUSH.
 * Return: false to be given the packet again later (see sodp_comp_rx()).
 */
static bool sodp_comp_read_resp(struct sodp_qp *qp, const struct sodp_pkt *pkt,
				const u8 *payload)
{
	const struct sodp_opcode_info *info = &sodp_opcode_table[pkt->opcode];
	struct sodp_swqe *swqe;
	u32 idx, expect, left, full;
	bool last;
	int err;

	if (sodp_comp_find(qp, pkt->psn, &idx))
		return true;	/* duplicate or stray */
	swqe = sodp_req_swqe(qp, idx);
	/* Answers a READ even if rewound and not yet asked for again. */
	if ((swqe->wqe.opcode != IB_UVERBS_WR_RDMA_READ &&
	     swqe->wqe.opcode != IB_UVERBS_WR_ATOMIC_WRITE &&
	     swqe->wqe.opcode != IB_UVERBS_WR_FLUSH) ||
	    swqe->state == SODP_SWQE_DONE)
		return true;
	/* A response implies every earlier request arrived. */
	if (sodp_psn_cmp(swqe->first_psn, qp->req.acked_psn) > 0)
		sodp_comp_ack(qp, sodp_psn_add(swqe->first_psn, -1));

	expect = sodp_psn_add(swqe->first_psn, swqe->done_bytes / qp->mtu);
	if (pkt->psn != expect) {
		/* One went missing (a duplicate, if behind: ignored). */
		if (sodp_psn_cmp(pkt->psn, expect) > 0 &&
		    swqe->state == SODP_SWQE_SENT)
			sodp_comp_implied_nak(qp);
		return true;
	}
	left = swqe->length - swqe->done_bytes;
	last = info->flags & SODP_OPF_LAST;
	/*
	 * One MTU for each PSN the response stands for (a loopback burst
	 * stands for several, sodp_net_burst_len()), less on the last one
	 * but never nothing on a burst's last PSN.
	 */
	full = pkt->nseg * qp->mtu;
	if (pkt->payload_len > full || pkt->payload_len > left ||
	    (last && pkt->payload_len != left) ||
	    (!last && pkt->payload_len != full) ||
	    (pkt->nseg > 1 && (pkt->payload_len <= full - qp->mtu ||
			       swqe->wqe.opcode != IB_UVERBS_WR_RDMA_READ))) {
		sodp_req_fail(qp, idx, -EBADMSG);
		return true;
	}
	err = sodp_req_sge_copy(qp, idx, swqe->done_bytes, (void *)payload,
				pkt->payload_len, SODP_TO_MR);
	if (err == -EAGAIN)
		return false;
	if (err) {
		sodp_req_fail(qp, idx, err);
		return true;
	}
	swqe->done_bytes += pkt->payload_len;
	sodp_comp_progress(qp, sodp_psn_add(pkt->psn, pkt->nseg - 1));
	if (last)
		sodp_comp_rd_done(qp, swqe);
	return true;
}

/* Return: false to be given the packet again later (see sodp_comp_rx()). */
static bool sodp_comp_atomic_ack(struct sodp_qp *qp,
				 const struct sodp_pkt *pkt)
{
	struct sodp_swqe *swqe;
	u64 orig = pkt->orig;
	u32 idx;
	int err;

	if (sodp_comp_find(qp, pkt->psn, &idx))
		return true;
	swqe = sodp_req_swqe(qp, idx);
	if (swqe->state == SODP_SWQE_DONE ||
	    (swqe->wqe.opcode != IB_UVERBS_WR_ATOMIC_CMP_AND_SWP &&
	     swqe->wqe.opcode != IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD))
		return true;
	if (sodp_psn_cmp(swqe->first_psn, qp->req.acked_psn) > 0)
		sodp_comp_ack(qp, sodp_psn_add(swqe->first_psn, -1));
	err = sodp_req_sge_copy(qp, idx, 0, &orig, sizeof(orig), SODP_TO_MR);
	if (err == -EAGAIN)
		return false;
	if (err) {
		sodp_req_fail(qp, idx, err);
		return true;
	}
	sodp_comp_progress(qp, pkt->psn);
	sodp_comp_rd_done(qp, swqe);
	return true;
}

static void sodp_comp_nak(struct sodp_qp *qp, const struct sodp_pkt *pkt)
{
	struct sodp_req *req = &qp->req;
	u8 type = pkt->syndrome & SODP_AETH_TYPE_MASK;
	u8 code = pkt->syndrome & ~SODP_AETH_TYPE_MASK;
	u32 idx;
	int err;

	trace_sodp_nak_recv(qp->ibqp.qp_num, pkt->psn, pkt->syndrome);
	if (sodp_psn_cmp(pkt->psn, req->sent_psn) >= 0 ||
	    sodp_psn_cmp(pkt->psn, req->acked_psn) < 0)
		return;	/* stale */
	/* The NAK'd PSN is the first one that did not take effect. */
	sodp_comp_ack(qp, sodp_psn_add(pkt->psn, -1));
	if (sodp_comp_find(qp, pkt->psn, &idx))
		return;

	if (type == SODP_AETH_RNR_NAK) {
		sodp_count(qp->sdev, SODP_CNT_RNR_NAK_RCVD);
		if (qp->rnr_retry != 7) {
			if (!req->rnr_left) {
				sodp_req_fail(qp, idx, -ENOBUFS);
				return;
			}
			req->rnr_left--;
		}
		req->need_retry = true;
		req->rnr_wait = true;
		timer_delete(&qp->retry_timer);
		mod_timer(&qp->rnr_timer, jiffies +
			  usecs_to_jiffies(sodp_rnr_usecs[code & 31]));
		return;
	}
	if (type != SODP_AETH_NAK)
		return;
	switch (code) {
	case SODP_NAK_PSN_SEQ:
		sodp_count(qp->sdev, SODP_CNT_SEQ_NAK_RCVD);
		/* The RNR NAK's rewind, or one still unanswered, covers it. */
		if (req->rnr_wait || req->rewound)
			return;
		sodp_comp_retry(qp, SODP_RETRY_SEQ_NAK);
		return;
	/* The NAK's code, as sodp_req_wc_status() knows it. */
	case SODP_NAK_INV_REQ:
		err = -EBADR;
		break;
	case SODP_NAK_REM_ACCESS:
		err = -EKEYREJECTED;
		break;
	default:
		err = -EREMOTEIO;
		break;
	}
	sodp_req_fail(qp, idx, err);
}

/**
 * sodp_comp_rx() - handle one response packet
 * @qp: the QP, in RTS
 * @pkt: parsed and checked headers
 * @payload: pkt->payload_len bytes
 *
 * A READ response or atomic result whose local ODP page cannot be had
 * now is not taken: the caller keeps the packet and offers it again on a
 * later run.  Dropping it instead would make the requester ask for the
 * rest of the READ again while the responder is still sending it, and
 * each response of that stream would set off another rewind.
 *
 * Return: false if the packet is to be offered again later.
 */
bool sodp_comp_rx(struct sodp_qp *qp, const struct sodp_pkt *pkt,
		  const u8 *payload)
{
	bool taken = true;

	qp->req.heard = true;

	switch (pkt->opcode) {
	case SODP_OP_ACK:
		if ((pkt->syndrome & SODP_AETH_TYPE_MASK) == SODP_AETH_ACK)
			sodp_comp_ack(qp, pkt->psn);
		else
			sodp_comp_nak(qp, pkt);
		break;
	case SODP_OP_ATOMIC_ACK:
		taken = sodp_comp_atomic_ack(qp, pkt);
		break;
	default:
		taken = sodp_comp_read_resp(qp, pkt, payload);
		break;
	}
	sodp_req_retire(qp);
	if (qp->req.need_retry || qp->req.cur != qp->req.fetch)
		sodp_qp_kick(qp);
	return taken;
}

/**
 * sodp_comp_rx_done() - after a run's responses: restart the ACK timer
 * @qp: the QP
 *
 * Any response, even one for a WQE long retired, shows the peer is
 * working through what we sent: after a rewind it may first serve every
 * duplicate READ it was sent, and on a slow host that took longer than
 * retry_cnt timeouts (RETRY_EXC with nothing lost).  So the timer
 * restarts, once per run rather than once per packet, and the retry
 * budget does not; with nothing left outstanding the timer stops.  An RNR
 * NAK stopped it for the RNR wait; the resend arms it again.  A timeout
 * that fired before or while this run took the responses (they may wait
 * in the queue behind a slow run, and an ODP fault while copying one can
 * take a while) is stale: the peer was heard.  The work item looks at the
 * timeout only after the responses, so dropping it here is enough.
 */
void sodp_comp_rx_done(struct sodp_qp *qp)
{
	if (!qp->req.heard)
		return;
	qp->req.heard = false;
	clear_bit(SODP_EV_TIMEOUT, &qp->events);
	if (qp->state == IB_QPS_RTS && !qp->req.rnr_wait)
		sodp_req_arm_timer(qp, true);
}

/* The retransmission timer fired with WQEs still unanswered. */
void sodp_comp_timeout(struct sodp_qp *qp)
{
	struct sodp_req *req = &qp->req;

	if (!sodp_req_awaiting(qp) || req->rnr_wait)
		return;
	sodp_comp_retry(qp, SODP_RETRY_TIMEOUT);
}

void sodp_comp_rnr_done(struct sodp_qp *qp)
{
	qp->req.rnr_wait = false;
}
