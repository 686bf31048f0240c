// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: the QP's pass, where everything a QP does on the wire runs.
 *
 * A pass runs in process context and may sleep (an ODP page may have to
 * be faulted); it is taken by the QP's work item, qp->work, on the unbound
 * sodp workqueue, or by the run of another QP of this device that queued
 * packets on it, and never twice at once (sodp_run.c), so requester,
 * responder and completer share their state without locks.  The rx
 * handler and the timers only queue packets, set event bits and kick it.
 *
 * A pass shares the QP among the roles, each with a budget of its own, so
 * that none starves another:
 *  1. responses to our requests (qp->ack_queue: ACKs, NAKs, READ
 *     responses, atomic ACKs) go to the completer first: they retire
 *     WQEs, stop the ACK timer and open the send window, and a peer
 *     serving us a long READ must not be waiting on our own traffic;
 *  2. a READ the peer asked for sends up to SODP_READ_BUDGET responses;
 *  3. the peer's requests (qp->rx_queue) go to the responder, but not
 *     while a READ is being answered: what a later request causes (an
 *     ACK, a NAK, more responses) must leave after the READ's responses,
 *     in PSN order.  Only a duplicate of that READ is taken at once
 *     (sodp_work_read_dups());
 *  4. the requester sends new and retransmitted packets.
 * Whatever is left over kicks the QP again.  In the error state
 * nothing is sent (sodp_net_alloc() refuses), packets are dropped, the
 * responder forgets what it was doing and the run flushes the queues.
 *
 * Locks: the only one this file takes is qp->rx_queue's own, with
 * interrupts off as skb_queue_tail() takes it, to look through the queue
 * for duplicates (sodp_work_read_dups()); nothing is taken under it and
 * nothing sleeps under it.
 */
#include "sodp.h"
#include "sodp_pkt.h"

#define SODP_ACK_BUDGET		64	/* responses taken per run */
#define SODP_READ_BUDGET	32	/* READ responses sent per run */
#define SODP_REQ_BUDGET		64	/* requests taken per run */
#define SODP_SEND_BUDGET	64	/* request packets sent per run */

/*
 * Validate the packet's addressing and dispatch it to its role.
 * Return: false if it is to be offered again later (sodp_comp_rx()).
 */
static bool sodp_work_rx_one(struct sodp_qp *qp, struct sk_buff *skb)
{
	struct sodp_dev *sdev = qp->sdev;
	const struct sodp_opcode_info *info;
	struct sodp_pkt pkt;
	struct sodp_l3 l3;
	u32 bth_off, bth_len;
	const u8 *payload;

	if (sodp_l3_parse(skb->data, skb->len, &l3, &bth_off, &bth_len) ||
	    sodp_pkt_parse(skb->data + bth_off, bth_len, &pkt)) {
		sodp_count(sdev, SODP_CNT_RX_DROP_MALFORMED);
		return true;
	}
	/*
	 * Unsealed when it never left this device (sodp_net_send_to()),
	 * and then perhaps a burst of several PSNs (sodp_net_burst_len()).
	 */
	if (skb->pkt_type == PACKET_LOOPBACK) {
		pkt.nseg = max_t(u16, sodp_skb_cb(skb)->nseg, 1);
	} else if (!sodp_icrc_ok(skb->data, bth_off + bth_len)) {
		sodp_count(sdev, SODP_CNT_RX_DROP_ICRC);
		return true;
	}
	if ((pkt.pkey & 0x7fff) != 0x7fff) {
		sodp_count(sdev, SODP_CNT_RX_DROP_PKEY);
		return true;
	}
	info = &sodp_opcode_table[pkt.opcode];
	payload = skb->data + bth_off + pkt.payload_off;
	if (!sodp_qp_connected(qp)) {
		if (!(info->flags & SODP_OPF_UD))
			sodp_count(sdev, SODP_CNT_RX_DROP_MALFORMED);
		else if (qp->state == IB_QPS_RTR || qp->state == IB_QPS_RTS ||
			 qp->state == IB_QPS_SQE)
			sodp_ud_rx(qp, &pkt, skb->data, l3.ipv6, payload);
		else
			sodp_count(sdev, SODP_CNT_RX_DROP_STATE);
		return true;
	}
	/* An RC or UC QP talks to one peer: the one its path names. */
	if (!qp->path.valid || l3.ipv6 != qp->path.ipv6 ||
	    memcmp(l3.saddr, qp->path.ipv6 ? qp->path.dgid.raw :
		   qp->path.dgid.raw + 12, qp->path.ipv6 ? 16 : 4)) {
		sodp_count(sdev, SODP_CNT_RX_DROP_ADDR);
		return true;
	}
	if (qp->ibqp.qp_type == IB_QPT_UC) {
		/* Requests only: UC has no ACKs and no responses. */
		if (!(info->flags & SODP_OPF_UC))
			sodp_count(sdev, SODP_CNT_RX_DROP_MALFORMED);
		else if (qp->state == IB_QPS_RTR || qp->state == IB_QPS_RTS ||
			 qp->state == IB_QPS_SQE)
			sodp_resp_uc_rx(qp, &pkt, payload);
		else
			sodp_count(sdev, SODP_CNT_RX_DROP_STATE);
		return true;
	}
	if (!(info->flags & SODP_OPF_RC)) {
		sodp_count(sdev, SODP_CNT_RX_DROP_MALFORMED);
		return true;
	}
	if (info->flags & SODP_OPF_RESPONSE) {
		if (qp->state == IB_QPS_RTS)
			return sodp_comp_rx(qp, &pkt, payload);
		sodp_count(sdev, SODP_CNT_RX_DROP_STATE);
	} else {
		if (qp->state == IB_QPS_RTR || qp->state == IB_QPS_RTS)
			sodp_resp_rx(qp, &pkt, payload);
		else
			sodp_count(sdev, SODP_CNT_RX_DROP_STATE);
	}
	return true;
}

/* 1: the completer.  Return: true if responses are left for next time. */
static bool sodp_work_responses(struct sodp_qp *qp)
{
	int budget = SODP_ACK_BUDGET;
	struct sk_buff *skb;
	bool more;

	while (budget-- > 0 && (skb = skb_dequeue(&qp->ack_queue))) {
		if (!sodp_work_rx_one(qp, skb)) {
			/* A local ODP page to be had later: keep the order. */
			skb_queue_head(&qp->ack_queue, skb);
			more = true;
			goto out;
		}
		consume_skb(skb);
	}
	more = !skb_queue_empty(&qp->ack_queue);
out:
	sodp_comp_rx_done(qp);
	return more;
}

/*
 * A duplicate of the READ being answered, sent by a requester whose ACK
 * timer ran out, says from where it wants the responses again.  Taken in
 * turn, it would wait for the whole READ to be answered and then have it
 * answered once more from its point, and every further timeout would add
 * another pass: under an ODP invalidation storm, where responses pause
 * often, the requests behind the READ (an atomic) went unanswered for
 * seconds and the requester ran out of retries.  So such duplicates are
 * taken out of the queue now and move the READ being answered to their
 * point.  The search stops at a duplicate of anything earlier than that
 * READ: its answer must leave first, in order.  It is repeated only when
 * packets came in since the last search (resp.dup_seen), and looks at no
 * more than SODP_REQ_BUDGET packets, in place under the queue's lock (a
 * header parse each, nothing that sleeps), so that the queue's length
 * stays true for its limit (sodp_net_queue()) and for the counters.
 */
static void sodp_work_read_dups(struct sodp_qp *qp)
{
	struct sk_buff_head *q = &qp->rx_queue;
	struct sk_buff *skb, *tmp;
	struct sk_buff_head dups;
	int seen = 0;

	if (skb_queue_len_lockless(q) == qp->resp.dup_seen)
		return;
	__skb_queue_head_init(&dups);
	spin_lock_irq(&q->lock);
	skb_queue_walk_safe(q, skb, tmp) {
		enum sodp_read_dup dup;
		u32 bth_off, bth_len;
		struct sodp_pkt pkt;
		struct sodp_l3 l3;

		if (++seen > SODP_REQ_BUDGET)
			break;
		if (sodp_l3_parse(skb->data, skb->len, &l3, &bth_off,
				  &bth_len) ||
		    sodp_pkt_parse(skb->data + bth_off, bth_len, &pkt))
			continue;	/* dropped and counted in turn */
		dup = sodp_resp_read_dup(qp, &pkt);
		if (dup == SODP_DUP_EARLIER)
			break;
		if (dup == SODP_DUP_OF_CUR) {
			__skb_unlink(skb, q);
			__skb_queue_tail(&dups, skb);
		}
	}
	qp->resp.dup_seen = skb_queue_len(q);
	spin_unlock_irq(&q->lock);

	/* In arrival order: the last one says where the responses go on. */
	while ((skb = __skb_dequeue(&dups))) {
		sodp_work_rx_one(qp, skb);
		consume_skb(skb);
	}
}

/*
 * 2 and 3: the responder.  Requests are taken only while no READ is
 * being answered.  Return: true if work is left for next time.
 */
static bool sodp_work_requests(struct sodp_qp *qp)
{
	int read_budget = SODP_READ_BUDGET;
	int budget = SODP_REQ_BUDGET;
	struct sk_buff *skb;
	bool more = false;

	for (;;) {
		if (sodp_resp_busy(qp)) {
			sodp_work_read_dups(qp);
			/* Paused: the read timer runs us again. */
			if (sodp_resp_paused(qp))
				return false;
			more |= sodp_resp_continue(qp, &read_budget);
			if (sodp_resp_busy(qp))
				return !sodp_resp_paused(qp);
		}
		if (budget-- <= 0)
			break;
		skb = skb_dequeue(&qp->rx_queue);
		if (!skb)
			break;
		qp->resp.dup_seen = 0;
		/* The responder never asks for a packet back. */
		sodp_work_rx_one(qp, skb);
		consume_skb(skb);
	}
	return more || !skb_queue_empty(&qp->rx_queue);
}

/*
 * With an SRQ, only the receive WQE the QP took is the QP's to flush; the
 * rest belong to the SRQ and stay.  The consumer learns that this QP will
 * take no more from IB_EVENT_QP_LAST_WQE_REACHED, raised once per entry
 * into the error state.
 */
static void sodp_work_flush_srq(struct sodp_qp *qp)
{
	sodp_recvq_fail(qp, IB_WC_WR_FLUSH_ERR);
	if (!qp->last_wqe_sent) {
		qp->last_wqe_sent = true;
		sodp_qp_event(qp, IB_EVENT_QP_LAST_WQE_REACHED);
	}
}

/*
 * In the error state: complete every posted WQE with a flush error.
 * Runs before sodp_resp_release(), which forgets a held receive WQE.
 */
static void sodp_work_flush(struct sodp_qp *qp)
{
	struct sodp_cqe cqe;
	u32 prod;

	sodp_req_flush(qp);
	if (qp->srq) {
		sodp_work_flush_srq(qp);
		return;
	}

	/* pairs with the provider's release of prod: its slots are written */
	prod = smp_load_acquire(&qp->rq.hdr->prod);
	if (prod - qp->rq_cons > qp->rq.num_slots)
		prod = qp->rq_cons;	/* scribbled on: nothing to trust */
	while (qp->rq_cons != prod) {
		const struct sodp_recv_wqe *slot =
			sodp_ring_slot(&qp->rq, qp->rq_cons);

		memset(&cqe, 0, sizeof(cqe));
		cqe.wr_id = READ_ONCE(slot->wr_id);
		cqe.status = IB_WC_WR_FLUSH_ERR;
		cqe.opcode = IB_WC_RECV;
		if (sodp_rq_complete(qp, &cqe, false))
			break;
	}
}

void sodp_qp_pass(struct sodp_qp *qp)
{
	int send_budget = SODP_SEND_BUDGET;
	bool more = false;

	if (test_and_clear_bit(SODP_EV_RNR_DONE, &qp->events))
		sodp_comp_rnr_done(qp);
	if (test_and_clear_bit(SODP_EV_READ_RESUME, &qp->events))
		sodp_resp_resume(qp);

	more |= sodp_work_responses(qp);
	/*
	 * After the responses: a response that was queued when the timer
	 * fired answers it (sodp_comp_rx_done() drops the timeout then).
	 */
	if (test_and_clear_bit(SODP_EV_TIMEOUT, &qp->events) &&
	    qp->state == IB_QPS_RTS)
		sodp_comp_timeout(qp);
	more |= sodp_work_requests(qp);
	sodp_resp_send_acks(qp);
	if (qp->state == IB_QPS_RTS && sodp_qp_connected(qp))
		more |= sodp_req_run(qp, &send_budget);
	else if (qp->state == IB_QPS_RTS)
		more |= sodp_ud_run(qp, &send_budget);
	if (qp->state == IB_QPS_SQE)
		sodp_req_flush(qp);	/* the receive side goes on */
	if (qp->state == IB_QPS_ERR) {
		sodp_work_flush(qp);
		sodp_resp_release(qp);
	}

	if (more || !skb_queue_empty(&qp->ack_queue) ||
	    !skb_queue_empty(&qp->rx_queue))
		sodp_qp_kick(qp);
}
