// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: the receive queue as the responder sees it: the WQE at its head
 * (or one taken from the QP's SRQ), held in qp->resp while a message
 * fills it, and the scatter of payload into its buffers through the MR
 * access layer.  Shared by RC and UC (sodp_resp.c) and UD
 * (sodp_ud.c).
 *
 * Runs only in the QP's work item: no locks of its own.
 */
#include "sodp.h"

/*
 * Take the receive WQE at the head of the RQ, or from the SRQ.  Return:
 * 0, -EAGAIN if none is posted, -EPROTO if user space corrupted the ring.
 */
int sodp_recvq_get(struct sodp_qp *qp)
{
	struct sodp_resp *resp = &qp->resp;
	u32 posted;
	int err;

	if (resp->have_rwqe)
		return 0;
	if (qp->srq)
		err = sodp_srq_take(qp->srq, &resp->rwqe, resp->rsge);
	else
		err = sodp_rwqe_copy(&qp->rq, qp->rq_cons, qp->max_recv_sge,
				     &resp->rwqe, resp->rsge, &posted);
	if (err)
		return err;
	resp->recv_off = 0;
	resp->have_rwqe = true;
	return 0;
}

/*
 * Scatter SEND payload into the held receive WQE; ODP faults give up at
 * @until (jiffies, see sodp_resp_mr_copy()).  Return: 0, -EMSGSIZE if it does
 * not fit, -EAGAIN if an ODP page cannot be had now (nothing of the
 * packet counts as received: it comes again), -EIO if the receive buffers
 * cannot take it (lkey, rights, bounds, an ODP page).
 */
int sodp_recvq_scatter(struct sodp_qp *qp, const u8 *data, u32 len,
		       unsigned long until)
{
	struct sodp_resp *resp = &qp->resp;
	u32 off = resp->recv_off, start = resp->recv_off, i;
	/* An SRQ's WQEs name memory of the SRQ's PD, not the QP's. */
	u32 pdn = to_sodp_pd(qp->srq ? qp->srq->ibsrq.pd : qp->ibqp.pd)->pdn;

	for (i = 0; i < resp->rwqe.num_sge && len; i++) {
		const struct sodp_sge *sge = &resp->rsge[i];
		struct sodp_mr *mr;
		u32 n;
		int err;

		if (off >= sge->length) {
			off -= sge->length;
			continue;
		}
		n = min(len, sge->length - off);
		mr = sodp_mr_get(qp->sdev, sge->lkey, pdn, sge->addr + off, n,
				 IB_ACCESS_LOCAL_WRITE);
		if (IS_ERR(mr)) {
			err = PTR_ERR(mr);
		} else {
			/* A SEND's length is known at its end only. */
			err = sodp_resp_mr_copy(qp, mr, sge->addr + off,
						(void *)data, n, n, SODP_TO_MR,
						until);
			sodp_mr_put(mr);
		}
		if (err == -EAGAIN) {
			resp->recv_off = start;
			return err;
		}
		if (err)
			return -EIO;
		data += n;
		len -= n;
		resp->recv_off += n;
		off = 0;
	}
	return len ? -EMSGSIZE : 0;
}

/* Complete the held receive WQE with an error, if there is one. */
void sodp_recvq_fail(struct sodp_qp *qp, enum ib_wc_status st)
{
	struct sodp_cqe cqe = {};

	if (!qp->resp.have_rwqe || st == IB_WC_SUCCESS)
		return;
	cqe.wr_id = qp->resp.rwqe.wr_id;
	cqe.status = st;
	cqe.opcode = IB_WC_RECV;
	qp->resp.have_rwqe = false;
	sodp_rq_complete(qp, &cqe, false);
}

/* Bytes the held receive WQE's buffers take, all SGEs together. */
u64 sodp_recvq_capacity(const struct sodp_qp *qp)
{
	u64 total = 0;
	u32 i;

	for (i = 0; i < qp->resp.rwqe.num_sge; i++)
		total += qp->resp.rsge[i].length;
	return total;
}
