// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: UD queue pairs: one packet per message, to whichever address
 * handle the WQE names; no PSN window, no ACKs, no timer, no retries.
 *
 * Send.  WQEs are fetched, checked and completed in order by the
 * requester's code (sodp_req.c); a WQE is done as soon as its packet is
 * with the netdev, or looped back.  The handle is looked up when the
 * packet is built, as rxe does: a WQE whose handle was destroyed before
 * that fails.  A message longer than the port's MTU is not sent and
 * completes successfully (IBTA C10-93.1.1; rxe does the same), counted as
 * ud_send_oversize.  A handle that does not exist or belongs to another
 * PD, or an SGE the MR layer refuses, completes the WQE with an error and
 * moves the QP to the Send Queue Error state: the receive side goes on,
 * later sends are flushed until the consumer moves the QP back to RTS.
 *
 * Receive.  A packet with the wrong Q_Key is dropped and counted
 * (rx_drop_qkey); so is one with no receive posted (rx_drop_no_receive)
 * or longer than the posted buffers, which must also take the 40-byte GRH
 * image in front of the payload (rx_drop_receive_too_small): the receive
 * stays posted for the next.  The GRH image is the packet's IPv6 header,
 * or for IPv4 20 zero bytes and the IPv4 header, which is what
 * ibv_init_ah_from_wc() and the kernel's ib_init_ah_attr_from_wc() read
 * back.  An ODP receive buffer that cannot be faulted now drops the
 * datagram too (rx_drop_odp_not_ready: UD has no RNR); the fault it
 * started leaves the page there for the next one.
 *
 * Runs only in the QP's work item: no locks of its own.
 */
#include <rdma/ib_addr.h>
#include <rdma/ib_cache.h>

#include "sodp.h"
#include "sodp_pkt.h"

/*
 * The port's active MTU, which a datagram may not exceed: at most 4096.
 * 0 if the source address or its netdev is gone, or the netdev's MTU is
 * below the smallest IB MTU: nothing can be sent then.
 */
static u32 sodp_ud_mtu(const struct sodp_path *path)
{
	struct net_device *ndev;
	enum ib_mtu mtu = 0;

	rcu_read_lock();
	ndev = rdma_read_gid_attr_ndev_rcu(path->sgid_attr);
	if (!IS_ERR(ndev))
		mtu = iboe_get_mtu(ndev->mtu);
	rcu_read_unlock();
	return mtu ? ib_mtu_enum_to_int(mtu) : 0;
}

/* The Q_Key a WQE's datagram carries: with the MSB set, the QP's own. */
static u32 sodp_ud_qkey(const struct sodp_qp *qp, u32 wqe_qkey)
{
	return wqe_qkey & 0x80000000 ? qp->qkey : wqe_qkey;
}

/* Build and send the datagram of the WQE at @idx.  Return: 0 or -errno. */
static int sodp_ud_send_one(struct sodp_qp *qp, u32 idx)
{
	const struct sodp_swqe *swqe = sodp_req_swqe(qp, idx);
	const struct sodp_send_wqe *w = &swqe->wqe;
	struct sodp_pkt pkt = {};
	struct sodp_av *av;
	struct sk_buff *skb;
	u8 *payload;
	u32 mtu;
	int err;

	if (w->remote_qpn > SODP_QPN_MASK)
		return -EINVAL;
	av = sodp_av_get(qp->sdev, w->ah_num, to_sodp_pd(qp->ibqp.pd)->pdn);
	if (!av)
		return -EINVAL;
	err = 0;
	mtu = sodp_ud_mtu(&av->path);
	if (!mtu) {
		/* Lost, as on a link that is down: UD does not say. */
		sodp_count(qp->sdev, SODP_CNT_TX_ERR);
		goto out;
	}
	if (swqe->length > mtu) {
		sodp_count(qp->sdev, SODP_CNT_UD_OVERSIZE);
		goto out;
	}
	pkt.opcode = w->opcode == IB_UVERBS_WR_SEND_WITH_IMM ?
		     SODP_OP_UD_SEND_ONLY_IMM : SODP_OP_UD_SEND_ONLY;
	pkt.se = w->flags & SODP_WQE_SOLICITED;
	pkt.psn = qp->req.psn;
	pkt.dqpn = w->remote_qpn;
	pkt.qkey = sodp_ud_qkey(qp, w->remote_qkey);
	pkt.sqpn = qp->ibqp.qp_num;
	pkt.imm = w->imm_data;

	skb = sodp_net_alloc_to(qp, &av->path,
				sodp_path_sport(&av->path, qp->ibqp.qp_num,
						w->remote_qpn),
				&pkt, swqe->length, &payload);
	if (!skb) {
		err = -ENOMEM;
		goto out;
	}
	err = sodp_req_gather(qp, idx, 0, payload, swqe->length);
	if (err) {
		kfree_skb(skb);
		goto out;
	}
	sodp_net_send_to(qp, &av->path, skb);
	qp->req.psn = sodp_psn_add(qp->req.psn, 1);
	qp->req.next_psn = qp->req.psn;	/* what query_qp reports */
out:
	sodp_av_put(av);
	return err;
}

/**
 * sodp_ud_run() - send what a UD QP's SQ holds
 * @qp: the QP, in RTS
 * @budget: packets this run may still send; decremented
 *
 * Return: true if it wants to run again (out of budget, or an skb or an
 * ODP page to be had next time).
 */
bool sodp_ud_run(struct sodp_qp *qp, int *budget)
{
	struct sodp_req *req = &qp->req;
	bool stalled = false;

	if (sodp_req_fetch(qp)) {
		sodp_qp_event(qp, IB_EVENT_QP_FATAL);
		sodp_qp_error(qp);
		return false;
	}
	while (req->cur != req->fetch && *budget > 0) {
		struct sodp_swqe *swqe = sodp_req_swqe(qp, req->cur);
		int err;

		/* Found bad when fetched (the status is set). */
		if (swqe->status != IB_WC_SUCCESS) {
			sodp_req_fail(qp, req->cur, -EINVAL);
			break;
		}
		err = sodp_ud_send_one(qp, req->cur);
		if (sodp_req_stop(qp, err, &stalled))
			break;
		swqe->state = SODP_SWQE_DONE;
		req->cur++;
		(*budget)--;
	}
	sodp_req_retire(qp);
	return stalled || (req->cur != req->fetch && *budget <= 0);
}

/* Scatter the GRH image of the packet whose L3 header is at @l3. */
static int sodp_ud_scatter_grh(struct sodp_qp *qp, const u8 *l3, bool ipv6)
{
	u8 grh[IB_GRH_BYTES] = {};

	if (ipv6)
		memcpy(grh, l3, SODP_IPV6_HDR_LEN);
	else
		memcpy(grh + IB_GRH_BYTES - SODP_IPV4_HDR_LEN, l3,
		       SODP_IPV4_HDR_LEN);
	return sodp_recvq_scatter(qp, grh, sizeof(grh),
				  jiffies + SODP_ODP_FAULT_PATIENCE);
}

/**
 * sodp_ud_rx() - a datagram for this UD QP
 * @qp: the QP, in RTR or RTS
 * @pkt: the parsed transport headers
 * @l3: the packet's IPv4 or IPv6 header (no options: sodp_l3_parse())
 * @ipv6: which of the two
 * @payload: the payload, pkt->payload_len bytes
 */
void sodp_ud_rx(struct sodp_qp *qp, const struct sodp_pkt *pkt,
		const u8 *l3, bool ipv6, const u8 *payload)
{
	const struct sodp_opcode_info *info = &sodp_opcode_table[pkt->opcode];
	struct sodp_resp *resp = &qp->resp;
	struct sodp_cqe cqe = {};
	u32 len = IB_GRH_BYTES + pkt->payload_len;
	int err;

	if (pkt->qkey != qp->qkey) {
		sodp_count(qp->sdev, SODP_CNT_RX_DROP_QKEY);
		return;
	}
	err = sodp_recvq_get(qp);
	if (err == -EAGAIN) {
		sodp_count(qp->sdev, SODP_CNT_RX_DROP_NO_RWQE);
		return;
	}
	if (err) {
		/* The RQ ring is corrupt: nothing in it can be trusted. */
		sodp_qp_event(qp, IB_EVENT_QP_FATAL);
		sodp_qp_error(qp);
		return;
	}
	if (len > sodp_recvq_capacity(qp)) {
		/* The receive stays posted for the next datagram. */
		sodp_count(qp->sdev, SODP_CNT_RX_DROP_TOO_SMALL);
		return;
	}
	err = sodp_ud_scatter_grh(qp, l3, ipv6);
	if (!err)
		err = sodp_recvq_scatter(qp, payload, pkt->payload_len,
					 jiffies + SODP_ODP_FAULT_PATIENCE);
	if (err == -EAGAIN) {
		/* An ODP page not to be had now: no RNR on UD, so drop. */
		resp->recv_off = 0;	/* the GRH image went in already */
		sodp_count(qp->sdev, SODP_CNT_RX_DROP_ODP);
		return;
	}

	cqe.wr_id = resp->rwqe.wr_id;
	cqe.opcode = IB_WC_RECV;
	if (err) {
		cqe.status = IB_WC_LOC_PROT_ERR;
	} else {
		cqe.status = IB_WC_SUCCESS;
		cqe.byte_len = len;
		cqe.src_qp = pkt->sqpn;
		cqe.wc_flags = SODP_CQE_GRH;
		cqe.sl = ipv6 ? SODP_CQE_SL_ROCE_V2_IPV6 :
				SODP_CQE_SL_ROCE_V2_IPV4;
		if (info->hdrs & SODP_HDR_IMMDT) {
			cqe.imm_data = pkt->imm;
			cqe.wc_flags |= SODP_CQE_WITH_IMM;
		}
	}
	resp->have_rwqe = false;
	/* If the CQ overflowed, the QP is in error already. */
	if (sodp_rq_complete(qp, &cqe, pkt->se))
		return;
	if (err) {
		sodp_qp_event(qp, IB_EVENT_QP_ACCESS_ERR);
		sodp_qp_error(qp);
	}
}
