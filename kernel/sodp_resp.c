// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: the responder: request packets are checked (PSN, opcode sequence,
 * rights, bounds), carried out through the MR access layer, and answered
 * with ACKs (coalesced), NAKs, READ responses and atomic ACKs.
 *
 * Errors follow the IBTA's RC rules: a PSN gap gets one sequence NAK until
 * the gap closes; every other failed request is answered by
 * sodp_resp_error(), the one place that turns an errno into a NAK, a
 * receive completion status and an asynchronous event: a SEND without a
 * posted receive gets an RNR NAK; bad rkeys, bounds or rights a remote
 * access NAK, malformed requests an invalid request NAK, and both move
 * this QP to the error state too.
 *
 * An ODP page that cannot be had now but may be later (the MR access
 * layer says -EAGAIN: invalidations kept winning, or memory ran out) is
 * not an error: the packet gets an RNR NAK, as a hardware ODP device
 * answers a page fault, and the requester sends it again after the RNR
 * timer, so memory pressure slows a QP down and never kills it.  A READ
 * being answered, which has no RNR NAK, pauses for a tick
 * (qp->read_timer) and goes on where it stopped.  The requester's ACK
 * timer runs meanwhile, so faults are not given all the time they might
 * want: past a fraction of the ACK timeout since the responder last
 * answered anything (sodp_resp_fault_until()), a fault that loses one
 * more race to an invalidation gives up and the packet is answered with
 * the RNR NAK.  Without that, a page migration storm made each packet's
 * fault slow enough that a long WRITE ran the requester out of retries
 * while every fault still succeeded.  A copy's fault that sleeps rather
 * than loses (a page under migration, read from a slow disk) runs aside
 * and is waited for only as long (sodp_resp_fault.c); an atomic's still
 * runs in line.
 *
 * UC has no ACKs and so no NAKs: packets out of sequence, and a request
 * that cannot be carried out (no receive posted, a bad rkey, bounds or
 * rights, an ODP page not to be had now), drop the rest of their message
 * silently and the QP lives on; the next message starts clean with its
 * first packet, whatever its PSN (sodp_resp_uc_rx()).  A receive too short
 * for the message is such a request too; only a fault of the receive WQE
 * itself (its own lkeys, a corrupt queue) completes it in error and moves
 * the QP to the error state, as for RC.
 *
 * Runs only in the QP's work item (sodp_qp.c): no locks of its own.
 */
#include "sodp.h"
#include "sodp_pkt.h"
#include "sodp_trace.h"

/*
 * ACK at least this often during a long burst, even without AckReq (and
 * sooner if the packets are slow: sodp_resp_patience()).
 */
#define SODP_ACK_EVERY	32

/*
 * Bounds of the time a requester is kept waiting for an answer while we
 * work (see sodp_resp_patience()).
 */
#define SODP_RESP_PATIENCE_MIN_MS	10
#define SODP_RESP_PATIENCE_MAX_MS	250

enum sodp_resp_result {
	SODP_RESP_OK,		/* done; the PSN is consumed */
	SODP_RESP_RNR,		/* no receive WQE: RNR NAK sent */
	SODP_RESP_FATAL,	/* NAK sent, QP moving to error */
	SODP_RESP_DROP,		/* UC: the message is dropped */
};

static void sodp_resp_send_aeth(struct sodp_qp *qp, u32 psn, u8 syndrome)
{
	struct sodp_pkt pkt = {
		.opcode = SODP_OP_ACK,
		.psn = psn,
		.syndrome = syndrome,
		.msn = qp->resp.msn,
	};
	struct sk_buff *skb;
	u8 *payload;

	if ((syndrome & SODP_AETH_TYPE_MASK) != SODP_AETH_ACK)
		trace_sodp_nak_sent(qp->ibqp.qp_num, psn, syndrome);
	skb = sodp_net_alloc(qp, &pkt, 0, &payload);
	if (skb)
		sodp_net_send(qp, skb);
	qp->resp.owing = false;
}

/* Send the coalesced ACK, if one is owed. */
void sodp_resp_send_acks(struct sodp_qp *qp)
{
	struct sodp_resp *resp = &qp->resp;

	if (!resp->ack_pending)
		return;
	resp->ack_pending = false;
	resp->since_ack = 0;
	sodp_resp_send_aeth(qp, resp->ack_psn,
			    SODP_AETH_ACK | SODP_AETH_CREDIT_INVALID);
}

/*
 * Check that the MR or window named by @rkey allows @access on
 * [@va, @va + @len).  Nothing is kept: every packet looks its key up again
 * (sodp_resp_copy()), so the responder never holds an MR while it waits
 * for a peer's next packet (only while a fault for one runs,
 * sodp_resp_fault.c), deregistration never waits for a peer that stopped
 * in the middle of a message, and an unbound window serves no packet
 * after the unbind.
 */
static int sodp_resp_check_mr(struct sodp_qp *qp, u32 rkey, u64 va, u32 len,
			      int access)
{
	struct sodp_mr *mr = sodp_rkey_get(qp, rkey, &va, len, access);

	if (IS_ERR(mr))
		return PTR_ERR(mr);
	sodp_mr_put(mr);
	return 0;
}

/*
 * sodp_resp_patience() - how long a requester may go without an answer
 * @qp: the QP whose responder is answering
 *
 * The requester hears nothing between our answers: an RC requester gives
 * up on a packet after its ACK timeout (retry_cnt times in a row), but on
 * an RNR NAK waits and sends again as often as rnr_retry says, 7 being
 * for ever.  So no request waits unanswered for more than a quarter of an
 * ACK timeout if we can help it: work done by then is acknowledged
 * (sodp_resp_rx()), even if SODP_ACK_EVERY packets have not come yet,
 * and a fault that keeps losing races to invalidations gives up and the
 * packet gets an RNR NAK (sodp_resp_fault_until()).  Our own QP's timeout
 * stands in for the peer's, which we do not know; the two sides of a
 * connection usually set the same.
 *
 * Return: the time in jiffies, counted from resp->owed_since.
 */
static unsigned long sodp_resp_patience(const struct sodp_qp *qp)
{
	u64 ms = div_u64(sodp_ack_timeout_us(qp->timeout), 4 * USEC_PER_MSEC);

	/* timeout 0: no ACK timeout at all; be as patient as we ever are. */
	if (!qp->timeout)
		ms = SODP_RESP_PATIENCE_MAX_MS;
	return msecs_to_jiffies(clamp_t(u64, ms, SODP_RESP_PATIENCE_MIN_MS,
					SODP_RESP_PATIENCE_MAX_MS));
}

/*
 * Keep sodp_resp_patience() in qp->resp.patience, which every request
 * packet reads: once at create_qp and whenever modify_qp sets the
 * timeout.
 */
void sodp_resp_set_patience(struct sodp_qp *qp)
{
	qp->resp.patience = sodp_resp_patience(qp);
}

/*
 * sodp_resp_fault_until() - how long ODP faults for a request may retry
 * @qp: the QP whose responder is carrying the request out
 *
 * Until the requester has waited sodp_resp_patience() since the first
 * request we have not answered yet.  A walk that wins at once is never
 * cut short, however long the requester has waited: it is progress; a
 * fault made aside is waited for a moment past it (sodp_resp_fault.c).
 *
 * Return: the time in jiffies, for sodp_resp_mr_copy() and
 * sodp_mr_atomic().
 */
static unsigned long sodp_resp_fault_until(const struct sodp_qp *qp)
{
	return (qp->resp.owing ? qp->resp.owed_since : jiffies) +
	       qp->resp.patience;
}

/*
 * One packet's bytes to or from the MR named by @rkey; @msg_left bytes of
 * its message start at @va (faults may bring them all in).
 */
static int sodp_resp_copy(struct sodp_qp *qp, u32 rkey, u64 va, void *buf,
			  u32 len, u32 msg_left, int access,
			  enum sodp_mr_dir dir)
{
	struct sodp_mr *mr;
	int err;

	if (!len)
		return 0;
	mr = sodp_rkey_get(qp, rkey, &va, len, access);
	if (IS_ERR(mr))
		return PTR_ERR(mr);
	err = sodp_resp_mr_copy(qp, mr, va, buf, len, msg_left, dir,
				sodp_resp_fault_until(qp));
	sodp_mr_put(mr);
	return err;
}

/* Drop every in-progress message (reset, destroy). */
void sodp_resp_release(struct sodp_qp *qp)
{
	struct sodp_resp *resp = &qp->resp;

	resp->in_send = false;
	resp->in_write = false;
	resp->uc_drop = false;
	resp->have_rwqe = false;
	resp->nak_sent = false;
	resp->rnr_sent = false;
	resp->ack_pending = false;
	resp->rd_cur = NULL;
	resp->rd_paused = false;
	resp->since_ack = 0;
	resp->owing = false;
	resp->msn = 0;
	if (resp->rd_res)
		memset(resp->rd_res, 0, resp->rd_num * sizeof(*resp->rd_res));
}

/* Size the READ/atomic responder resources; called with the work off. */
int sodp_resp_set_rd_atomic(struct sodp_qp *qp, u8 num)
{
	struct sodp_resp *resp = &qp->resp;
	struct sodp_rd_res *res = NULL;

	if (num) {
		res = kcalloc(num, sizeof(*res), GFP_KERNEL_ACCOUNT);
		if (!res)
			return -ENOMEM;
	}
	resp->rd_cur = NULL;
	resp->rd_paused = false;
	kfree(resp->rd_res);
	resp->rd_res = res;
	resp->rd_num = num;
	resp->rd_next = 0;
	qp->max_dest_rd_atomic = num;
	return 0;
}

/* Not now: the requester is to send @psn again after its RNR timer. */
static enum sodp_resp_result sodp_resp_rnr(struct sodp_qp *qp, u32 psn)
{
	sodp_count(qp->sdev, SODP_CNT_RNR_NAK_SENT);
	qp->resp.rnr_sent = true;
	sodp_resp_send_aeth(qp, psn, SODP_AETH_RNR_NAK | qp->min_rnr_timer);
	return SODP_RESP_RNR;
}

/*
 * UC: forget the message in progress and take nothing more until the next
 * one starts.  A receive WQE already taken stays for that next SEND, from
 * its first byte: the dropped message never completes.
 */
static enum sodp_resp_result sodp_resp_uc_drop(struct sodp_qp *qp)
{
	struct sodp_resp *resp = &qp->resp;

	if (!resp->uc_drop)
		sodp_count(qp->sdev, SODP_CNT_UC_MSG_DROPPED);
	resp->uc_drop = true;
	resp->in_send = false;
	resp->in_write = false;
	resp->recv_off = 0;
	return SODP_RESP_DROP;
}

/**
 * sodp_resp_error() - answer a request that cannot be carried out
 * @qp: the QP
 * @psn: the request's PSN
 * @err: what went wrong, a negative errno (below)
 * @its_rwqe: a receive WQE held now belongs to this request (false while
 *	a READ is answered: the receive is a later SEND's)
 *
 * The responder's one mapping from an error to what the requester is told
 * (the AETH), how a held receive WQE completes and which asynchronous
 * event the consumer gets.  Checks here and the MR access layer report
 * with an errno:
 *
 *   -EAGAIN        not now: no receive posted, or an ODP page that may
 *                  be had later: RNR NAK, and the QP lives on
 *   -EINVAL        malformed: opcode sequence, payload against the MTU
 *                  or the length, a misaligned atomic, no responder
 *                  resources: Invalid Request NAK, LOC_LEN_ERR, REQ_ERR
 *   -EMSGSIZE      a SEND longer than its receive: the same
 *   -EKEYREJECTED  SEND with Invalidate of a key that names no type 2
 *                  window bound through this QP: Invalid Request NAK,
 *                  REM_INV_REQ_ERR, REQ_ERR
 *   -EPROTO        the receive queue is corrupt: Remote Operational
 *                  Error NAK, LOC_QP_OP_ERR, QP_FATAL
 *   -EIO           the receive WQE's own buffers (lkey, rights, bounds,
 *                  an ODP page that cannot be had): Remote Operational
 *                  Error NAK, LOC_PROT_ERR, ACCESS_ERR
 *   anything else  the request's rkey, PD, bounds or rights (the MR's or
 *                  the QP's), or an ODP page that cannot be had: Remote
 *                  Access Error NAK, LOC_PROT_ERR, ACCESS_ERR
 *
 * All but -EAGAIN move the QP to the error state.  UC sends no NAK: only
 * -EPROTO and -EIO (a corrupt receive queue, the receive WQE's own lkeys)
 * complete it in error and move the QP to the error state; anything else,
 * a receive too short for the message included, drops the message
 * (sodp_resp_uc_drop()), as rxe does for a UC QP without an SRQ.
 */
static enum sodp_resp_result sodp_resp_error(struct sodp_qp *qp, u32 psn,
					     int err, bool its_rwqe)
{
	enum ib_event_type ev = IB_EVENT_QP_ACCESS_ERR;
	enum ib_wc_status st = IB_WC_LOC_PROT_ERR;
	u8 nak = SODP_NAK_REM_ACCESS;

	if (qp->ibqp.qp_type == IB_QPT_UC && err != -EPROTO && err != -EIO)
		return sodp_resp_uc_drop(qp);
	switch (err) {
	case -EAGAIN:
		return sodp_resp_rnr(qp, psn);
	case -EINVAL:
	case -EMSGSIZE:
		nak = SODP_NAK_INV_REQ;
		st = IB_WC_LOC_LEN_ERR;
		ev = IB_EVENT_QP_REQ_ERR;
		break;
	case -EKEYREJECTED:
		nak = SODP_NAK_INV_REQ;
		st = IB_WC_REM_INV_REQ_ERR;
		ev = IB_EVENT_QP_REQ_ERR;
		break;
	case -EPROTO:
		nak = SODP_NAK_REM_OP;
		st = IB_WC_LOC_QP_OP_ERR;
		ev = IB_EVENT_QP_FATAL;
		break;
	case -EIO:
		nak = SODP_NAK_REM_OP;
		break;
	}
	if (qp->ibqp.qp_type == IB_QPT_RC) {
		sodp_count(qp->sdev, SODP_CNT_ERR_NAK_SENT);
		sodp_resp_send_aeth(qp, psn, SODP_AETH_NAK | nak);
	}
	if (its_rwqe)
		sodp_recvq_fail(qp, st);
	sodp_qp_event(qp, ev);
	sodp_qp_error(qp);
	return SODP_RESP_FATAL;
}

static enum sodp_resp_result sodp_resp_finish_recv(struct sodp_qp *qp,
						   const struct sodp_pkt *pkt,
						   u8 opcode, u32 byte_len)
{
	const struct sodp_opcode_info *info = &sodp_opcode_table[pkt->opcode];
	struct sodp_cqe cqe = {};

	cqe.wr_id = qp->resp.rwqe.wr_id;
	cqe.status = IB_WC_SUCCESS;
	cqe.opcode = opcode;
	cqe.byte_len = byte_len;
	if (info->hdrs & SODP_HDR_IMMDT) {
		cqe.imm_data = pkt->imm;
		cqe.wc_flags = SODP_CQE_WITH_IMM;
	}
	if (info->hdrs & SODP_HDR_IETH) {
		cqe.invalidated_rkey = pkt->inv_rkey;
		cqe.wc_flags = SODP_CQE_WITH_INV;
	}
	qp->resp.have_rwqe = false;
	if (sodp_rq_complete(qp, &cqe, pkt->se))
		return SODP_RESP_FATAL;
	return SODP_RESP_OK;
}

static enum sodp_resp_result sodp_resp_send(struct sodp_qp *qp,
					    const struct sodp_pkt *pkt,
					    const u8 *payload)
{
	const struct sodp_opcode_info *info = &sodp_opcode_table[pkt->opcode];
	struct sodp_resp *resp = &qp->resp;
	int err;

	err = sodp_recvq_get(qp);
	if (err)
		return sodp_resp_error(qp, pkt->psn, err, true);
	err = sodp_recvq_scatter(qp, payload, pkt->payload_len,
				 sodp_resp_fault_until(qp));
	if (err)
		return sodp_resp_error(qp, pkt->psn, err, true);
	resp->in_send = !(info->flags & SODP_OPF_LAST);
	if (resp->in_send)
		return SODP_RESP_OK;
	/*
	 * SEND with Invalidate: the window is unbound, or the fast
	 * registration MR made invalid, before the receive completes.  A
	 * key that cannot be invalidated here (an ibv_reg_mr() MR's, a type
	 * 1 window's, another QP's window) fails the receive with
	 * REM_INV_REQ_ERR and the QP goes to error, as in rxe; unlike rxe,
	 * the requester is told with an invalid request NAK instead of
	 * retrying until RETRY_EXC.
	 */
	if ((info->hdrs & SODP_HDR_IETH) &&
	    sodp_key_invalidate(qp, pkt->inv_rkey, true))
		return sodp_resp_error(qp, pkt->psn, -EKEYREJECTED, true);
	return sodp_resp_finish_recv(qp, pkt, IB_WC_RECV,
				     resp->recv_off);
}

static enum sodp_resp_result sodp_resp_write(struct sodp_qp *qp,
					     const struct sodp_pkt *pkt,
					     const u8 *payload)
{
	const struct sodp_opcode_info *info = &sodp_opcode_table[pkt->opcode];
	struct sodp_resp *resp = &qp->resp;
	bool last = info->flags & SODP_OPF_LAST;
	int err;

	/* Every packet: modify_qp may take the right away mid-message. */
	if (!(qp->access & IB_ACCESS_REMOTE_WRITE))
		return sodp_resp_error(qp, pkt->psn, -EACCES, true);
	if (info->flags & SODP_OPF_FIRST) {
		if (pkt->dma_len > SODP_MAX_MSG_SIZE)
			return sodp_resp_error(qp, pkt->psn, -EINVAL, true);
		/* A zero-length WRITE names no memory: its rkey is not checked. */
		err = pkt->dma_len ?
		      sodp_resp_check_mr(qp, pkt->rkey, pkt->va, pkt->dma_len,
					 IB_ACCESS_REMOTE_WRITE) : 0;
		if (err)
			return sodp_resp_error(qp, pkt->psn, err, true);
		resp->write_rkey = pkt->rkey;
		resp->write_va = pkt->va;
		resp->write_left = pkt->dma_len;
		resp->write_total = pkt->dma_len;
	}
	if (pkt->payload_len > resp->write_left ||
	    (last && pkt->payload_len != resp->write_left))
		return sodp_resp_error(qp, pkt->psn, -EINVAL, true);

	/* WRITE with immediate consumes a receive: make sure there is one. */
	if (info->hdrs & SODP_HDR_IMMDT) {
		err = sodp_recvq_get(qp);
		if (err)
			return sodp_resp_error(qp, pkt->psn, err, true);
	}
	err = sodp_resp_copy(qp, resp->write_rkey, resp->write_va,
			     (void *)payload, pkt->payload_len,
			     resp->write_left, IB_ACCESS_REMOTE_WRITE,
			     SODP_TO_MR);
	if (err)
		return sodp_resp_error(qp, pkt->psn, err, true);
	resp->write_va += pkt->payload_len;
	resp->write_left -= pkt->payload_len;
	resp->in_write = !last;
	if (!last)
		return SODP_RESP_OK;
	if (info->hdrs & SODP_HDR_IMMDT)
		return sodp_resp_finish_recv(qp, pkt,
					     IB_WC_RECV_RDMA_WITH_IMM,
					     resp->write_total);
	return SODP_RESP_OK;
}

static struct sodp_rd_res *sodp_resp_new_res(struct sodp_qp *qp)
{
	struct sodp_resp *resp = &qp->resp;
	struct sodp_rd_res *res = &resp->rd_res[resp->rd_next];

	resp->rd_next = (resp->rd_next + 1) % resp->rd_num;
	memset(res, 0, sizeof(*res));
	return res;
}

static void sodp_resp_trace_read(struct sodp_qp *qp, enum sodp_read_step step)
{
	trace_sodp_read_resp(qp->ibqp.qp_num, step, qp->resp.rd_psn,
			     qp->resp.rd_left,
			     skb_queue_len_lockless(&qp->rx_queue));
}

/*
 * Start sending READ responses for [va, va + len) from @psn: a new READ,
 * or (@step SODP_READ_REPLAY) the part of one a duplicate asks for again.
 */
static int sodp_resp_start_read(struct sodp_qp *qp, struct sodp_rd_res *res,
				u32 psn, u64 va, u32 len,
				enum sodp_read_step step)
{
	struct sodp_resp *resp = &qp->resp;
	int err;

	if (len) {
		err = sodp_resp_check_mr(qp, res->rkey, va, len,
					 IB_ACCESS_REMOTE_READ);
		if (err)
			return err;
	}
	/* Responses acknowledge what came before: send a pending ACK first. */
	sodp_resp_send_acks(qp);
	resp->rd_cur = res;
	resp->rd_psn = psn;
	resp->rd_va = va;
	resp->rd_left = len;
	resp->rd_first = true;
	resp->rd_paused = false;
	sodp_resp_trace_read(qp, step);
	return 0;
}

static enum sodp_resp_result sodp_resp_read(struct sodp_qp *qp,
					    const struct sodp_pkt *pkt)
{
	struct sodp_rd_res *res;
	u32 npkts;
	int err;

	if (!(qp->access & IB_ACCESS_REMOTE_READ))
		return sodp_resp_error(qp, pkt->psn, -EACCES, true);
	if (!qp->resp.rd_num || pkt->dma_len > SODP_MAX_MSG_SIZE)
		return sodp_resp_error(qp, pkt->psn, -EINVAL, true);
	npkts = max_t(u32, DIV_ROUND_UP(pkt->dma_len, qp->mtu), 1);
	res = sodp_resp_new_res(qp);
	res->opcode = SODP_OP_READ_REQ;
	res->psn = pkt->psn;
	res->last_psn = sodp_psn_add(pkt->psn, npkts - 1);
	res->va = pkt->va;
	res->rkey = pkt->rkey;
	res->length = pkt->dma_len;
	err = sodp_resp_start_read(qp, res, pkt->psn, pkt->va, pkt->dma_len,
				   SODP_READ_START);
	if (err)
		return sodp_resp_error(qp, pkt->psn, err, true);
	res->valid = true;
	/* The READ takes one PSN per response packet. */
	qp->resp.epsn = res->last_psn;
	return SODP_RESP_OK;
}

/*
 * The one-packet answer to an atomic (an atomic ACK with the value before)
 * or to an ATOMIC_WRITE or FLUSH (an empty READ response).
 */
static void sodp_resp_send_answer(struct sodp_qp *qp, u8 req_opcode, u32 psn,
				  u64 orig)
{
	struct sodp_pkt pkt = {
		.opcode = sodp_opcode_table[req_opcode].flags & SODP_OPF_ATOMIC ?
			  SODP_OP_ATOMIC_ACK : SODP_OP_READ_RESP_ONLY,
		.psn = psn,
		.syndrome = SODP_AETH_ACK | SODP_AETH_CREDIT_INVALID,
		.msn = qp->resp.msn,
		.orig = orig,
	};
	struct sk_buff *skb;
	u8 *payload;

	skb = sodp_net_alloc(qp, &pkt, 0, &payload);
	if (skb)
		sodp_net_send(qp, skb);
	qp->resp.owing = false;
}

/*
 * A one-packet request carried out: remember its answer, so that a
 * duplicate gets it again without the request running twice, and send it.
 */
static enum sodp_resp_result sodp_resp_answered(struct sodp_qp *qp,
						const struct sodp_pkt *pkt,
						u64 orig)
{
	struct sodp_rd_res *res = sodp_resp_new_res(qp);

	res->opcode = pkt->opcode;
	res->psn = pkt->psn;
	res->last_psn = pkt->psn;
	res->atomic_orig = orig;
	res->valid = true;
	/* Our own ACKs so far are implied by this answer. */
	sodp_resp_send_acks(qp);
	qp->resp.msn = (qp->resp.msn + 1) & SODP_MSN_MASK;
	sodp_resp_send_answer(qp, pkt->opcode, pkt->psn, orig);
	return SODP_RESP_OK;
}

static enum sodp_resp_result sodp_resp_atomic(struct sodp_qp *qp,
					      const struct sodp_pkt *pkt)
{
	struct sodp_mr *mr;
	u64 va = pkt->va;
	u64 orig;
	int err;

	if (!(qp->access & IB_ACCESS_REMOTE_ATOMIC))
		return sodp_resp_error(qp, pkt->psn, -EACCES, true);
	if (!qp->resp.rd_num || (pkt->va & 7))
		return sodp_resp_error(qp, pkt->psn, -EINVAL, true);
	mr = sodp_rkey_get(qp, pkt->rkey, &va, 8, IB_ACCESS_REMOTE_ATOMIC);
	if (IS_ERR(mr))
		return sodp_resp_error(qp, pkt->psn, PTR_ERR(mr), true);
	err = sodp_mr_atomic(mr, va, pkt->opcode == SODP_OP_CMP_SWAP ?
			     SODP_ATOMIC_CMP_SWAP : SODP_ATOMIC_FETCH_ADD,
			     pkt->compare_add, pkt->swap, &orig,
			     sodp_resp_fault_until(qp));
	sodp_mr_put(mr);
	/*
	 * -EINVAL: a target misaligned in user memory (iova and address
	 * may differ), a malformed request.
	 */
	if (err)
		return sodp_resp_error(qp, pkt->psn, err, true);
	return sodp_resp_answered(qp, pkt, orig);
}

/*
 * ATOMIC_WRITE (IBTA annex A19): the 8 payload bytes stored in one locked
 * instruction, so that no CPU or device ever sees half of them.  It needs
 * remote write rights and takes a responder resource, like an atomic.
 */
static enum sodp_resp_result sodp_resp_atomic_write(struct sodp_qp *qp,
						    const struct sodp_pkt *pkt,
						    const u8 *payload)
{
	struct sodp_mr *mr;
	u64 va = pkt->va;
	u64 value, orig;
	int err;

	if (!(qp->access & IB_ACCESS_REMOTE_WRITE))
		return sodp_resp_error(qp, pkt->psn, -EACCES, true);
	if (!qp->resp.rd_num || (pkt->va & 7) ||
	    pkt->dma_len != sizeof(value) || pkt->payload_len != sizeof(value))
		return sodp_resp_error(qp, pkt->psn, -EINVAL, true);
	mr = sodp_rkey_get(qp, pkt->rkey, &va, sizeof(value),
			   IB_ACCESS_REMOTE_WRITE);
	if (IS_ERR(mr))
		return sodp_resp_error(qp, pkt->psn, PTR_ERR(mr), true);
	/* Bytes as they are to lie in memory: no byte order to apply. */
	memcpy(&value, payload, sizeof(value));
	err = sodp_mr_atomic(mr, va, SODP_ATOMIC_STORE, 0, value, &orig,
			     sodp_resp_fault_until(qp));
	sodp_mr_put(mr);
	if (err)
		return sodp_resp_error(qp, pkt->psn, err, true);
	return sodp_resp_answered(qp, pkt, 0);
}

/*
 * FLUSH (IBTA annex A19): make what earlier requests wrote to a range or
 * to a whole MR visible at the placement the FETH names.  The MR needs the
 * matching IB_ACCESS_FLUSH_* right: sodp registers FLUSH_GLOBAL only (it
 * has no persistent memory), so a persistent flush is a remote access
 * error.  Earlier requests were carried out by this work item in PSN order
 * with plain CPU stores, so global visibility is a store barrier away.
 */
static enum sodp_resp_result sodp_resp_flush(struct sodp_qp *qp,
					     const struct sodp_pkt *pkt)
{
	int access = 0;
	struct sodp_mr *mr;
	u64 va = pkt->va;

	if (!qp->resp.rd_num ||
	    !sodp_flush_valid(pkt->flush_type, pkt->flush_level))
		return sodp_resp_error(qp, pkt->psn, -EINVAL, true);
	if (pkt->flush_type & IB_FLUSH_GLOBAL)
		access |= IB_ACCESS_FLUSH_GLOBAL;
	if (pkt->flush_type & IB_FLUSH_PERSISTENT)
		access |= IB_ACCESS_FLUSH_PERSISTENT;
	if (pkt->flush_level == IB_FLUSH_MR)
		mr = sodp_rkey_get_whole(qp, pkt->rkey, access);
	else
		mr = sodp_rkey_get(qp, pkt->rkey, &va, pkt->dma_len, access);
	if (IS_ERR(mr))
		return sodp_resp_error(qp, pkt->psn, PTR_ERR(mr), true);
	sodp_mr_put(mr);
	wmb();	/* the stores of earlier requests, before the response */
	return sodp_resp_answered(qp, pkt, 0);
}

/* Answer again a request @res remembers, of which @pkt is a duplicate. */
static void sodp_resp_replay(struct sodp_qp *qp, struct sodp_rd_res *res,
			     const struct sodp_pkt *pkt)
{
	int err;

	if (pkt->opcode == SODP_OP_READ_REQ) {
		if (res->opcode != SODP_OP_READ_REQ)
			return;
		/* A restarted READ: serve the part it asks for. */
		if (pkt->va < res->va || pkt->dma_len > res->length ||
		    pkt->va - res->va > res->length - pkt->dma_len)
			return;
		/* The key may have gone since: a NAK, not silence. */
		err = sodp_resp_start_read(qp, res, pkt->psn, pkt->va,
					   pkt->dma_len, SODP_READ_REPLAY);
		if (err)
			sodp_resp_error(qp, pkt->psn, err, false);
		return;
	}
	/* Carried out once: only the answer is sent again. */
	if (res->opcode == pkt->opcode && res->psn == pkt->psn)
		sodp_resp_send_answer(qp, pkt->opcode, pkt->psn,
				      res->atomic_orig);
}

/* A request we have seen before (IBTA 9.9.4.1): answer it again. */
static void sodp_resp_duplicate(struct sodp_qp *qp, const struct sodp_pkt *pkt)
{
	u16 f = sodp_opcode_table[pkt->opcode].flags;
	struct sodp_resp *resp = &qp->resp;
	u32 i;

	sodp_count(qp->sdev, SODP_CNT_DUP_REQ);
	if (f & SODP_OPF_ANSWERED) {
		for (i = 0; i < resp->rd_num; i++) {
			struct sodp_rd_res *res = &resp->rd_res[i];

			if (res->valid &&
			    sodp_psn_cmp(pkt->psn, res->psn) >= 0 &&
			    sodp_psn_cmp(pkt->psn, res->last_psn) <= 0) {
				sodp_resp_replay(qp, res, pkt);
				return;
			}
		}
		return;
	}
	/* SEND/WRITE: re-acknowledge everything received so far. */
	resp->ack_pending = true;
	resp->ack_psn = sodp_psn_add(resp->epsn, -1);
}

static bool sodp_resp_seq_ok(struct sodp_qp *qp, const struct sodp_pkt *pkt)
{
	u16 f = sodp_opcode_table[pkt->opcode].flags;

	if (qp->resp.in_send)
		return (f & SODP_OPF_SEND) && !(f & SODP_OPF_FIRST);
	if (qp->resp.in_write)
		return (f & SODP_OPF_WRITE) && !(f & SODP_OPF_FIRST);
	return f & SODP_OPF_FIRST;
}

/*
 * Does the payload fit the opcode and the path MTU?  A FIRST or MIDDLE
 * packet carries exactly one MTU for each PSN it stands for, a LAST or
 * ONLY one at most that, and a burst's last PSN is not empty.  Only SENDs
 * and WRITEs come in bursts (sodp_net_burst_len()).
 */
static bool sodp_resp_len_ok(const struct sodp_qp *qp,
			     const struct sodp_pkt *pkt)
{
	u32 flags = sodp_opcode_table[pkt->opcode].flags;
	u32 full = pkt->nseg * qp->mtu;

	if (pkt->nseg > 1 && !(flags & (SODP_OPF_SEND | SODP_OPF_WRITE)))
		return false;
	if (pkt->payload_len > full)
		return false;
	if ((flags & (SODP_OPF_FIRST | SODP_OPF_MIDDLE)) &&
	    !(flags & SODP_OPF_LAST))
		return pkt->payload_len == full;
	return pkt->nseg == 1 || pkt->payload_len > full - qp->mtu;
}

/**
 * sodp_resp_rx() - handle one request packet
 * @qp: the QP, in RTR or RTS
 * @pkt: parsed and checked headers
 * @payload: pkt->payload_len bytes
 */
void sodp_resp_rx(struct sodp_qp *qp, const struct sodp_pkt *pkt,
		  const u8 *payload)
{
	const struct sodp_opcode_info *info = &sodp_opcode_table[pkt->opcode];
	struct sodp_resp *resp = &qp->resp;
	enum sodp_resp_result res;
	int cmp = sodp_psn_cmp(pkt->psn, resp->epsn);

	if (cmp > 0) {
		/*
		 * A gap: say so once, then wait for the resend.  After an
		 * RNR NAK the gap is expected (the rest of the message was
		 * already in flight) and the requester is rewinding anyway.
		 */
		if (!resp->nak_sent && !resp->rnr_sent) {
			sodp_count(qp->sdev, SODP_CNT_SEQ_NAK_SENT);
			sodp_resp_send_acks(qp);
			sodp_resp_send_aeth(qp, resp->epsn,
					    SODP_AETH_NAK | SODP_NAK_PSN_SEQ);
			resp->nak_sent = true;
		}
		return;
	}
	if (cmp < 0) {
		sodp_resp_duplicate(qp, pkt);
		return;
	}
	resp->nak_sent = false;
	resp->rnr_sent = false;
	if (!resp->owing) {
		resp->owing = true;
		resp->owed_since = jiffies;
	}

	if (!sodp_resp_seq_ok(qp, pkt) || !sodp_resp_len_ok(qp, pkt)) {
		sodp_resp_error(qp, pkt->psn, -EINVAL, true);
		return;
	}

	if (info->flags & SODP_OPF_SEND)
		res = sodp_resp_send(qp, pkt, payload);
	else if (info->flags & SODP_OPF_WRITE)
		res = sodp_resp_write(qp, pkt, payload);
	else if (info->flags & SODP_OPF_READ)
		res = sodp_resp_read(qp, pkt);
	else if (info->flags & SODP_OPF_ATOMIC)
		res = sodp_resp_atomic(qp, pkt);
	else if (info->flags & SODP_OPF_ATOMIC_WRITE)
		res = sodp_resp_atomic_write(qp, pkt, payload);
	else if (info->flags & SODP_OPF_FLUSH)
		res = sodp_resp_flush(qp, pkt);
	else
		res = sodp_resp_error(qp, pkt->psn, -EINVAL, true);
	if (res != SODP_RESP_OK)
		return;

	resp->epsn = sodp_psn_add(resp->epsn, pkt->nseg);
	if (info->flags & SODP_OPF_ANSWERED)
		return;		/* answered by responses, not ACKs */
	if (info->flags & SODP_OPF_LAST)
		resp->msn = (resp->msn + 1) & SODP_MSN_MASK;
	resp->ack_pending = true;
	resp->ack_psn = sodp_psn_add(pkt->psn, pkt->nseg - 1);
	resp->since_ack += pkt->nseg;
	/*
	 * Each packet of a long WRITE into ODP memory under an
	 * invalidation storm may need a fault of its own, some of them
	 * slow: SODP_ACK_EVERY packets took longer than the requester's
	 * ACK timeout, which it then spent, over and over, on work we had
	 * done.  The time since the first unacknowledged request bounds
	 * the wait as well as the count does.
	 */
	if (resp->since_ack >= SODP_ACK_EVERY ||
	    time_after_eq(jiffies, resp->owed_since + resp->patience))
		sodp_resp_send_acks(qp);
}

/**
 * sodp_resp_uc_rx() - handle one UC request packet
 * @qp: the UC QP, in RTR or RTS
 * @pkt: parsed and checked headers
 * @payload: pkt->payload_len bytes
 *
 * A packet that is not the one expected (a PSN gap: packets were lost) or
 * does not continue the message in progress drops that message.  A
 * packet that starts a message is taken whatever its PSN, and the
 * expected PSN follows it: UC resynchronises on message boundaries.
 */
void sodp_resp_uc_rx(struct sodp_qp *qp, const struct sodp_pkt *pkt,
		     const u8 *payload)
{
	const struct sodp_opcode_info *info = &sodp_opcode_table[pkt->opcode];
	struct sodp_resp *resp = &qp->resp;
	bool starts = info->flags & SODP_OPF_FIRST;
	enum sodp_resp_result res;

	if (pkt->psn != resp->epsn || resp->uc_drop ||
	    !sodp_resp_seq_ok(qp, pkt)) {
		if (!starts) {
			sodp_resp_uc_drop(qp);
			return;
		}
		/* A new message: the one in progress, if any, is lost. */
		if (resp->in_send || resp->in_write)
			sodp_resp_uc_drop(qp);
		resp->in_send = false;
		resp->in_write = false;
		resp->recv_off = 0;
		resp->uc_drop = false;
		resp->epsn = pkt->psn;
	}
	if (!sodp_resp_len_ok(qp, pkt)) {
		sodp_resp_uc_drop(qp);
		return;
	}
	if (info->flags & SODP_OPF_SEND)
		res = sodp_resp_send(qp, pkt, payload);
	else
		res = sodp_resp_write(qp, pkt, payload);
	if (res == SODP_RESP_OK)
		resp->epsn = sodp_psn_add(resp->epsn, pkt->nseg);
}

bool sodp_resp_busy(struct sodp_qp *qp)
{
	return qp->resp.rd_cur;
}

/**
 * sodp_resp_read_dup() - does @pkt ask again for the READ being answered?
 * @qp: the QP
 * @pkt: a request's headers, not yet checked further
 *
 * Return: SODP_DUP_OF_CUR for a duplicate READ request that falls in the
 * READ being answered; SODP_DUP_EARLIER for any duplicate of an earlier
 * request, whose answer must leave first; SODP_DUP_NO otherwise.
 */
enum sodp_read_dup sodp_resp_read_dup(struct sodp_qp *qp,
				      const struct sodp_pkt *pkt)
{
	struct sodp_rd_res *cur = qp->resp.rd_cur;

	if (!cur || sodp_psn_cmp(pkt->psn, qp->resp.epsn) >= 0)
		return SODP_DUP_NO;
	if (sodp_psn_cmp(pkt->psn, cur->psn) < 0)
		return SODP_DUP_EARLIER;
	if (pkt->opcode != SODP_OP_READ_REQ ||
	    sodp_psn_cmp(pkt->psn, cur->last_psn) > 0)
		return SODP_DUP_NO;
	return SODP_DUP_OF_CUR;
}

/* The READ being answered waits for qp->read_timer (sodp_resp_continue()). */
bool sodp_resp_paused(struct sodp_qp *qp)
{
	return qp->resp.rd_cur && qp->resp.rd_paused;
}

/* qp->read_timer fired: the paused READ may go on. */
void sodp_resp_resume(struct sodp_qp *qp)
{
	qp->resp.rd_paused = false;
}

static u8 sodp_read_resp_opcode(bool first, bool last)
{
	if (first && last)
		return SODP_OP_READ_RESP_ONLY;
	if (first)
		return SODP_OP_READ_RESP_FIRST;
	return last ? SODP_OP_READ_RESP_LAST : SODP_OP_READ_RESP_MIDDLE;
}

/*
 * The READ response carrying the next @n bytes, headers filled in @pkt
 * (NULL if out of memory).  The last one carries the MSN the READ ends.
 */
static struct sk_buff *sodp_resp_read_skb(struct sodp_qp *qp, u32 n,
					  struct sodp_pkt *pkt, u8 **payload)
{
	struct sodp_resp *resp = &qp->resp;
	bool last = n == resp->rd_left;

	memset(pkt, 0, sizeof(*pkt));
	pkt->opcode = sodp_read_resp_opcode(resp->rd_first, last);
	pkt->psn = resp->rd_psn;
	pkt->syndrome = SODP_AETH_ACK | SODP_AETH_CREDIT_INVALID;
	pkt->msn = last ? (resp->msn + 1) & SODP_MSN_MASK : resp->msn;
	return sodp_net_alloc(qp, pkt, n, payload);
}

/**
 * sodp_resp_continue() - send more READ responses
 * @qp: the QP, with a READ in progress
 * @budget: packets this run may still send; decremented
 *
 * Return: true if responses remain.
 */
bool sodp_resp_continue(struct sodp_qp *qp, int *budget)
{
	struct sodp_resp *resp = &qp->resp;

	while (resp->rd_cur && *budget > 0) {
		/* Responses have no window: a burst is as long as it can be. */
		u32 n = sodp_net_burst_len(qp, resp->rd_left, U32_MAX);
		struct sodp_pkt pkt;
		struct sk_buff *skb;
		u8 *payload;
		bool last;
		int err;

		skb = sodp_resp_read_skb(qp, n, &pkt, &payload);
		/* No order-3 pages for a burst just now: one MTU will do. */
		if (!skb && n > qp->mtu) {
			n = qp->mtu;
			skb = sodp_resp_read_skb(qp, n, &pkt, &payload);
		}
		if (!skb)
			return true;
		last = n == resp->rd_left;
		/* As for WRITE: the QP's right is checked per packet. */
		if (!(qp->access & IB_ACCESS_REMOTE_READ))
			err = -EACCES;
		else
			err = sodp_resp_copy(qp, resp->rd_cur->rkey,
					     resp->rd_va, payload, n,
					     resp->rd_left,
					     IB_ACCESS_REMOTE_READ,
					     SODP_FROM_MR);
		if (err == -EAGAIN) {
			/*
			 * An ODP page to be had later (memory ran out, or
			 * invalidations kept winning): pause for a tick
			 * rather than fault again at once, and let the work
			 * item serve everything else meanwhile.
			 * A READ has no RNR NAK; a tick is shorter than the
			 * ACK timeouts requesters use (sodp's: 20 ms at
			 * least).
			 */
			kfree_skb(skb);
			resp->rd_paused = true;
			sodp_resp_trace_read(qp, SODP_READ_PAUSE);
			mod_timer(&qp->read_timer, jiffies + 1);
			return true;
		}
		if (err) {
			/*
			 * The MR was deregistered since the request, or an
			 * ODP page cannot be had at all.
			 */
			kfree_skb(skb);
			sodp_resp_trace_read(qp, SODP_READ_FAIL);
			sodp_resp_error(qp, resp->rd_psn, err, false);
			resp->rd_cur = NULL;
			return false;
		}
		sodp_net_send(qp, skb);
		resp->owing = false;
		(*budget)--;
		if (last)
			resp->msn = (resp->msn + 1) & SODP_MSN_MASK;
		resp->rd_psn = sodp_psn_add(resp->rd_psn, pkt.nseg);
		resp->rd_va += n;
		resp->rd_left -= n;
		resp->rd_first = false;
		if (last) {
			resp->rd_cur = NULL;
			sodp_resp_trace_read(qp, SODP_READ_DONE);
		}
	}
	return resp->rd_cur;
}
