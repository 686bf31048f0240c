// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: queue pairs: verbs and the state machine.
 *
 * Everything a QP does on the wire runs in its pass (sodp_work.c), taken
 * by its work item or by a run of another QP of the device (sodp_run.c).
 * Softirq context (the rx handler) and timers only queue packets, set
 * event bits and kick it.
 *
 * Verbs that change that state (modify, destroy) first stop every pass
 * (sodp_qp_run_stop(), sodp_run.c), change what they need, and start them
 * again; a kick that arrives meanwhile is lost, so starting kicks again.
 *
 * Locking, outermost first:
 *   qp->mutex            serialises modify/query/destroy against each other
 *   (runs stopped)       excludes the pass
 *   sdev->qps xa_lock    QP look-up by number from any context (irqsave)
 * A pass takes cq->lock (sodp_cq.c) and the MR xarray lock
 * (sodp_mr.c), never the other way round.  qp->sq_lock and qp->rq_lock
 * belong to kernel consumers posting WRs (sodp_kverbs.c) and nest with
 * no other lock.
 */
#include <linux/etherdevice.h>
#include <linux/log2.h>
#include <net/netlink.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_cache.h>
#include <rdma/restrack.h>
#include <rdma/uverbs_ioctl.h>

#include "sodp.h"
#include "sodp_pkt.h"

static void sodp_retry_timer_fn(struct timer_list *t)
{
	struct sodp_qp *qp = timer_container_of(qp, t, retry_timer);

	set_bit(SODP_EV_TIMEOUT, &qp->events);
	sodp_qp_kick(qp);
}

static void sodp_read_timer_fn(struct timer_list *t)
{
	struct sodp_qp *qp = timer_container_of(qp, t, read_timer);

	set_bit(SODP_EV_READ_RESUME, &qp->events);
	sodp_qp_kick(qp);
}

static void sodp_rnr_timer_fn(struct timer_list *t)
{
	struct sodp_qp *qp = timer_container_of(qp, t, rnr_timer);

	set_bit(SODP_EV_RNR_DONE, &qp->events);
	sodp_qp_kick(qp);
}

static int sodp_qp_check_cap(struct ib_qp_cap *cap)
{
	if (cap->max_send_wr > SODP_MAX_QP_WR ||
	    cap->max_recv_wr > SODP_MAX_QP_WR ||
	    cap->max_send_sge > SODP_MAX_SGE ||
	    cap->max_recv_sge > SODP_MAX_SGE ||
	    cap->max_inline_data > SODP_MAX_INLINE)
		return -EINVAL;
	return 0;
}

static int sodp_qp_alloc_queues(struct sodp_qp *qp, struct ib_ucontext *uc,
				struct ib_qp_cap *cap,
				struct sodp_create_qp_resp *resp)
{
	u32 sq_slots = roundup_pow_of_two(max(cap->max_send_wr, 1U));
	u32 rq_slots = roundup_pow_of_two(max(cap->max_recv_wr, 1U));
	u32 sq_payload = max3(cap->max_send_sge * (u32)sizeof(struct sodp_sge),
			      cap->max_inline_data,
			      (u32)sizeof(struct sodp_sge));
	u32 rq_payload = max(cap->max_recv_sge, 1U) * sizeof(struct sodp_sge);
	u32 sq_slot = sodp_slot_size(sizeof(struct sodp_send_wqe), sq_payload);
	u32 rq_slot = sodp_slot_size(sizeof(struct sodp_recv_wqe), rq_payload);
	gfp_t gfp;
	int err;

	err = sodp_ring_create(uc, &qp->sq, sq_slots, sq_slot, &resp->sq);
	if (err)
		return err;
	/* With an SRQ there is no RQ ring: resp->rq stays all zero. */
	if (!qp->srq) {
		err = sodp_ring_create(uc, &qp->rq, rq_slots, rq_slot,
				       &resp->rq);
		if (err)
			goto err_sq;
	}

	/* A user QP's memory is charged to its process's memory cgroup. */
	gfp = uc ? GFP_KERNEL_ACCOUNT : GFP_KERNEL;
	qp->swqe = kvcalloc(sq_slots, sizeof(*qp->swqe), gfp);
	qp->sq_shadow = kvcalloc(sq_slots, sq_slot, gfp);
	if (!qp->swqe || !qp->sq_shadow) {
		err = -ENOMEM;
		goto err_shadow;
	}

	/* Report what the slots really hold: at least what was asked. */
	sq_payload = sq_slot - sizeof(struct sodp_send_wqe);
	rq_payload = rq_slot - sizeof(struct sodp_recv_wqe);
	qp->max_send_sge = min_t(u32, sq_payload / sizeof(struct sodp_sge),
				 SODP_MAX_SGE);
	/* An SRQ's WQEs are the SRQ's to bound (srq->max_sge). */
	qp->max_recv_sge = qp->srq ? 0 :
			   min_t(u32, rq_payload / sizeof(struct sodp_sge),
				 SODP_MAX_SGE);
	qp->max_inline = min_t(u32, sq_payload, SODP_MAX_INLINE);
	cap->max_send_wr = sq_slots;
	cap->max_recv_wr = qp->srq ? 0 : rq_slots;
	cap->max_send_sge = qp->max_send_sge;
	cap->max_recv_sge = qp->max_recv_sge;
	cap->max_inline_data = qp->max_inline;
	resp->max_inline = qp->max_inline;
	return 0;

err_shadow:
	kvfree(qp->swqe);
	kvfree(qp->sq_shadow);
	sodp_ring_destroy(&qp->rq);
err_sq:
	sodp_ring_destroy(&qp->sq);
	return err;
}

static void sodp_qp_free_queues(struct sodp_qp *qp)
{
	kvfree(qp->swqe);
	kvfree(qp->sq_shadow);
	sodp_ring_destroy(&qp->rq);
	sodp_ring_destroy(&qp->sq);
}

/*
 * Reserve the QP's number: QP1 for the GSI QP (one per device: sodp has
 * one port), the next free one of the normal range otherwise.  The entry
 * reads as NULL until sodp_create_qp() stores the QP.
 */
static int sodp_qp_reserve_qpn(struct sodp_dev *sdev, enum ib_qp_type type,
			       u32 *qpn)
{
	int err;

	if (type == IB_QPT_GSI) {
		*qpn = 1;
		err = xa_insert_irq(&sdev->qps, 1, NULL, GFP_KERNEL);
		return err == -EBUSY ? -EEXIST : err;
	}
	err = xa_alloc_cyclic_irq(&sdev->qps, qpn, NULL,
				  XA_LIMIT(SODP_MIN_QPN, IB_MULTICAST_QPN - 1),
				  &sdev->next_qpn, GFP_KERNEL);
	if (err < 0)
		return err == -EBUSY ? -ENOMEM : err;
	return 0;
}

/*
 * A user process's QP (udata: rings it maps) or a kernel consumer's (no
 * udata: rings it posts to through sodp_kverbs.c).  Only a kernel
 * consumer, the MAD layer, creates the GSI QP; it is a UD QP with the
 * number 1 everywhere else.
 */
int sodp_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		   struct ib_udata *udata)
{
	struct sodp_dev *sdev = to_sodp_dev(ibqp->device);
	struct sodp_qp *qp = to_sodp_qp(ibqp);
	struct sodp_create_qp_resp resp = {};
	struct ib_ucontext *uc = NULL;
	u32 qpn;
	int err;

	if ((init->qp_type != IB_QPT_RC && init->qp_type != IB_QPT_UC &&
	     init->qp_type != IB_QPT_UD &&
	     (init->qp_type != IB_QPT_GSI || udata)) || init->create_flags)
		return -EOPNOTSUPP;
	if (init->qp_type == IB_QPT_GSI && init->port_num != SODP_PORT)
		return -EINVAL;
	err = ib_is_udata_in_empty(udata);
	if (err)
		return err;
	if (init->srq) {
		/* The receive capabilities are the SRQ's. */
		init->cap.max_recv_wr = 0;
		init->cap.max_recv_sge = 0;
	}
	err = sodp_qp_check_cap(&init->cap);
	if (err)
		return err;
	if (atomic_inc_return(&sdev->num_qp) > SODP_MAX_QP) {
		err = -ENOMEM;
		goto err_count;
	}

	if (udata)
		uc = rdma_udata_to_uverbs_attr_bundle(udata)->context;
	qp->sdev = sdev;
	qp->scq = to_sodp_cq(init->send_cq);
	qp->rcq = to_sodp_cq(init->recv_cq);
	qp->srq = init->srq ? to_sodp_srq(init->srq) : NULL;
	qp->sig_all = init->sq_sig_type == IB_SIGNAL_ALL_WR;
	qp->state = IB_QPS_RESET;
	qp->path_mtu = IB_MTU_1024;
	qp->mtu = 1024;
	refcount_set(&qp->ref, 1);
	init_completion(&qp->released);
	mutex_init(&qp->mutex);
	spin_lock_init(&qp->sq_lock);
	spin_lock_init(&qp->rq_lock);
	INIT_WORK(&qp->work, sodp_qp_work);
	sodp_resp_fault_init(qp);
	sodp_resp_set_patience(qp);
	skb_queue_head_init(&qp->rx_queue);
	skb_queue_head_init(&qp->ack_queue);
	timer_setup(&qp->retry_timer, sodp_retry_timer_fn, 0);
	timer_setup(&qp->rnr_timer, sodp_rnr_timer_fn, 0);
	timer_setup(&qp->read_timer, sodp_read_timer_fn, 0);

	err = sodp_qp_alloc_queues(qp, uc, &init->cap, &resp);
	if (err)
		goto err_count;

	/* Reserve a number; publish the QP only once it can take packets. */
	err = sodp_qp_reserve_qpn(sdev, init->qp_type, &qpn);
	if (err)
		goto err_queues;
	ibqp->qp_num = qpn;

	if (udata) {
		err = ib_respond_udata(udata, resp);
		if (err)
			goto err_qpn;
	}
	xa_store_irq(&sdev->qps, qpn, qp, GFP_KERNEL);
	return 0;

err_qpn:
	xa_erase_irq(&sdev->qps, qpn);
err_queues:
	sodp_qp_free_queues(qp);
err_count:
	atomic_dec(&sdev->num_qp);
	mutex_destroy(&qp->mutex);
	return err;
}

/* Fill qp->path from an address vector sodp_path_check() took. */
static int sodp_qp_set_path(struct sodp_qp *qp, struct rdma_ah_attr *ah)
{
	int err;

	err = sodp_path_init(qp->sdev, &qp->path, ah);
	if (err)
		return err;
	/* The copy holds the source GID attribute the path points to. */
	rdma_destroy_ah_attr(&qp->ah_attr);
	rdma_copy_ah_attr(&qp->ah_attr, ah);
	qp->path.sgid_attr = qp->ah_attr.grh.sgid_attr;
	return 0;
}

static int sodp_qp_check_attr(struct sodp_qp *qp, struct ib_qp_attr *attr,
			      int mask)
{
	if ((mask & IB_QP_PORT) && attr->port_num != SODP_PORT)
		return -EINVAL;
	if ((mask & IB_QP_PKEY_INDEX) && attr->pkey_index != 0)
		return -EINVAL;
	/*
	 * Only the remote-access bits mean anything for a QP, but consumers
	 * commonly pass their MRs' flags (pyverbs' ODP tests add
	 * IB_ACCESS_ON_DEMAND, others HUGETLB or RELAXED_ORDERING), and
	 * rxe and mlx5 accept them.  Valid MR flags are kept (query returns
	 * what was set) and ignored; unknown bits are refused.
	 */
	if ((mask & IB_QP_ACCESS_FLAGS) &&
	    (attr->qp_access_flags & ~IB_ACCESS_SUPPORTED))
		return -EINVAL;
	if ((mask & IB_QP_PATH_MTU) &&
	    (attr->path_mtu < IB_MTU_256 || attr->path_mtu > IB_MTU_4096))
		return -EINVAL;
	if ((mask & IB_QP_DEST_QPN) && attr->dest_qp_num > SODP_QPN_MASK)
		return -EINVAL;
	if ((mask & IB_QP_MAX_QP_RD_ATOMIC) &&
	    attr->max_rd_atomic > SODP_MAX_RD_ATOMIC)
		return -EINVAL;
	if ((mask & IB_QP_MAX_DEST_RD_ATOMIC) &&
	    attr->max_dest_rd_atomic > SODP_MAX_RD_ATOMIC)
		return -EINVAL;
	if ((mask & IB_QP_TIMEOUT) && attr->timeout > 31)
		return -EINVAL;
	if ((mask & IB_QP_RETRY_CNT) && attr->retry_cnt > 7)
		return -EINVAL;
	if ((mask & IB_QP_RNR_RETRY) && attr->rnr_retry > 7)
		return -EINVAL;
	if ((mask & IB_QP_MIN_RNR_TIMER) && attr->min_rnr_timer > 31)
		return -EINVAL;
	if (mask & (IB_QP_ALT_PATH | IB_QP_PATH_MIG_STATE |
		    IB_QP_EN_SQD_ASYNC_NOTIFY | IB_QP_RATE_LIMIT))
		return -EOPNOTSUPP;
	if ((mask & IB_QP_AV) && sodp_path_check(&attr->ah_attr))
		return -EINVAL;
	/* RC is unicast: a group is a destination for datagrams only. */
	if ((mask & IB_QP_AV) &&
	    rdma_is_multicast_addr((struct in6_addr *)
				   rdma_ah_read_grh(&attr->ah_attr)->dgid.raw))
		return -EINVAL;
	return 0;
}

/* Forget all transport state and every posted WQE, without completions. */
static void sodp_qp_reset(struct sodp_qp *qp)
{
	u32 sq_prod = READ_ONCE(qp->sq.hdr->prod);
	u32 rq_prod = qp->srq ? 0 : READ_ONCE(qp->rq.hdr->prod);

	timer_delete_sync(&qp->retry_timer);
	timer_delete_sync(&qp->rnr_timer);
	timer_delete_sync(&qp->read_timer);
	skb_queue_purge(&qp->rx_queue);
	skb_queue_purge(&qp->ack_queue);
	sodp_resp_release(qp);
	memset(&qp->req, 0, sizeof(qp->req));
	qp->req.fetch = sq_prod;
	qp->req.head = sq_prod;
	qp->req.cur = sq_prod;
	qp->req.sent = sq_prod;
	/* Both rings empty: pairs with the provider's acquire of cons. */
	smp_store_release(&qp->sq.hdr->cons, sq_prod);
	qp->rq_cons = rq_prod;
	if (!qp->srq)	/* as for the SQ */
		smp_store_release(&qp->rq.hdr->cons, rq_prod);
	qp->last_wqe_sent = false;
	qp->events = 0;
}

static int sodp_qp_apply(struct sodp_qp *qp, struct ib_qp_attr *attr,
			 int mask, enum ib_qp_state new_state)
{
	int err;

	if (mask & IB_QP_AV) {
		err = sodp_qp_set_path(qp, &attr->ah_attr);
		if (err)
			return err;
	}
	if (mask & IB_QP_MAX_DEST_RD_ATOMIC) {
		err = sodp_resp_set_rd_atomic(qp, attr->max_dest_rd_atomic);
		if (err)
			return err;
	}
	if (mask & IB_QP_ACCESS_FLAGS)
		qp->access = attr->qp_access_flags;
	if (mask & IB_QP_PATH_MTU) {
		qp->path_mtu = attr->path_mtu;
		qp->mtu = ib_mtu_enum_to_int(attr->path_mtu);
	}
	if (mask & IB_QP_DEST_QPN)
		qp->dest_qpn = attr->dest_qp_num;
	if (mask & IB_QP_RQ_PSN) {
		qp->rq_psn = attr->rq_psn & SODP_PSN_MASK;
		qp->resp.epsn = qp->rq_psn;
	}
	if (mask & IB_QP_SQ_PSN) {
		qp->sq_psn = attr->sq_psn & SODP_PSN_MASK;
		qp->req.psn = qp->sq_psn;
		qp->req.next_psn = qp->sq_psn;
		qp->req.sent_psn = qp->sq_psn;
		qp->req.acked_psn = qp->sq_psn;
	}
	if (mask & IB_QP_QKEY)
		qp->qkey = attr->qkey;
	if (mask & IB_QP_TIMEOUT) {
		qp->timeout = attr->timeout;
		sodp_resp_set_patience(qp);
	}
	if (mask & IB_QP_RETRY_CNT) {
		qp->retry_cnt = attr->retry_cnt;
		qp->req.retry_left = attr->retry_cnt;
	}
	if (mask & IB_QP_RNR_RETRY) {
		qp->rnr_retry = attr->rnr_retry;
		qp->req.rnr_left = attr->rnr_retry;
	}
	if (mask & IB_QP_MIN_RNR_TIMER)
		qp->min_rnr_timer = attr->min_rnr_timer;
	if (mask & IB_QP_MAX_QP_RD_ATOMIC)
		qp->max_rd_atomic = attr->max_rd_atomic;

	if (qp->path.valid && (mask & (IB_QP_AV | IB_QP_DEST_QPN)))
		qp->path.sport = sodp_path_sport(&qp->path, qp->ibqp.qp_num,
						 qp->dest_qpn);

	if (new_state == IB_QPS_RESET)
		sodp_qp_reset(qp);
	WRITE_ONCE(qp->state, new_state);
	sodp_qp_publish_state(qp);
	return 0;
}

int sodp_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		   struct ib_udata *udata)
{
	struct sodp_qp *qp = to_sodp_qp(ibqp);
	enum ib_qp_state cur, new, seen;
	int err;

	err = ib_is_udata_in_empty(udata);
	if (err)
		return err;
	if (mask & ~IB_QP_ATTR_STANDARD_BITS)
		return -EOPNOTSUPP;

	mutex_lock(&qp->mutex);
	seen = READ_ONCE(qp->state);
	cur = (mask & IB_QP_CUR_STATE) ? attr->cur_qp_state : seen;
	new = (mask & IB_QP_STATE) ? attr->qp_state : cur;
	err = -EINVAL;
	if (cur != seen && !(cur == IB_QPS_SQE && seen == IB_QPS_ERR))
		goto out;
	if (!ib_modify_qp_is_ok(cur, new, ibqp->qp_type, mask))
		goto out;
	/* SQE is entered only by an error (sodp_qp_sq_error()), SQD never. */
	if (new == IB_QPS_SQD || (new == IB_QPS_SQE && cur != IB_QPS_SQE)) {
		err = -EOPNOTSUPP;
		goto out;
	}
	err = sodp_qp_check_attr(qp, attr, mask);
	if (err)
		goto out;
	/* An RC or UC QP needs its peer's address by RTR; UD has none. */
	if (sodp_qp_connected(qp) && new == IB_QPS_RTR &&
	    !qp->path.valid && !(mask & IB_QP_AV)) {
		err = -EINVAL;
		goto out;
	}

	sodp_qp_run_stop(qp);
	/*
	 * A pass may have moved the QP to ERR or SQE since the checks
	 * above; only RESET and ERR are reachable from anywhere.
	 */
	if (qp->state != seen && new != IB_QPS_RESET && new != IB_QPS_ERR)
		err = -EINVAL;
	else
		err = sodp_qp_apply(qp, attr, mask, new);
	sodp_qp_run_start(qp);
out:
	mutex_unlock(&qp->mutex);
	return err;
}

int sodp_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		  struct ib_qp_init_attr *init)
{
	struct sodp_qp *qp = to_sodp_qp(ibqp);

	memset(attr, 0, sizeof(*attr));
	memset(init, 0, sizeof(*init));
	mutex_lock(&qp->mutex);
	attr->qp_state = READ_ONCE(qp->state);
	attr->cur_qp_state = attr->qp_state;
	attr->path_mtu = qp->path_mtu;
	attr->path_mig_state = IB_MIG_MIGRATED;
	attr->qkey = qp->qkey;
	attr->rq_psn = qp->resp.epsn;
	attr->sq_psn = qp->req.next_psn;
	attr->dest_qp_num = qp->dest_qpn;
	attr->qp_access_flags = qp->access;
	attr->cap.max_send_wr = qp->sq.num_slots;
	attr->cap.max_recv_wr = qp->rq.num_slots;
	attr->cap.max_send_sge = qp->max_send_sge;
	attr->cap.max_recv_sge = qp->max_recv_sge;
	attr->cap.max_inline_data = qp->max_inline;
	/* A plain copy: the caller does not release a GID reference. */
	if (qp->path.valid) {
		attr->ah_attr = qp->ah_attr;
		attr->ah_attr.grh.sgid_attr = NULL;
	}
	attr->pkey_index = 0;
	attr->port_num = SODP_PORT;
	attr->max_rd_atomic = qp->max_rd_atomic;
	attr->max_dest_rd_atomic = qp->max_dest_rd_atomic;
	attr->min_rnr_timer = qp->min_rnr_timer;
	attr->timeout = qp->timeout;
	attr->retry_cnt = qp->retry_cnt;
	attr->rnr_retry = qp->rnr_retry;
	mutex_unlock(&qp->mutex);

	init->qp_type = qp->ibqp.qp_type;
	init->send_cq = qp->ibqp.send_cq;
	init->recv_cq = qp->ibqp.recv_cq;
	init->srq = qp->ibqp.srq;
	init->cap = attr->cap;
	init->sq_sig_type = qp->sig_all ? IB_SIGNAL_ALL_WR : IB_SIGNAL_REQ_WR;
	return 0;
}

/*
 * Where the requester and the responder stand, for reading a stall from
 * outside (tests/guest/stall-dump.sh): the SQ indices and PSNs, whether
 * the requester waits for an RNR timer or means to rewind, which timers
 * are armed, what is queued for the work item and whether it is queued
 * itself.  The work item owns these fields and takes no lock for them, so
 * this is a snapshot read while it may run: each value is read once
 * (READ_ONCE: a word or less, written whole) and may be a moment old,
 * which is all a diagnostic needs.  The path is stable: the caller holds
 * qp->mutex, which modify takes to change it.
 */
static int sodp_qp_fill_transport(struct sk_buff *msg, struct sodp_qp *qp)
{
	const struct sodp_req *req = &qp->req;
	const struct sodp_resp *resp = &qp->resp;
	const struct sodp_path *path = &qp->path;
	char peer[48] = "", source[48] = "";

	if (!sodp_qp_connected(qp))
		return 0;
	/* The addresses a packet from the peer must carry, swapped. */
	if (path->valid && path->ipv6) {
		snprintf(peer, sizeof(peer), "%pI6c", path->dgid.raw);
		snprintf(source, sizeof(source), "%pI6c", path->sgid.raw);
	} else if (path->valid) {
		snprintf(peer, sizeof(peer), "%pI4", path->dgid.raw + 12);
		snprintf(source, sizeof(source), "%pI4", path->sgid.raw + 12);
	}
	if (rdma_nl_put_driver_string(msg, "source", source) ||
	    rdma_nl_put_driver_string(msg, "peer", peer) ||
	    rdma_nl_put_driver_u32(msg, "sq_head", READ_ONCE(req->head)) ||
	    rdma_nl_put_driver_u32(msg, "sq_cur", READ_ONCE(req->cur)) ||
	    rdma_nl_put_driver_u32(msg, "sq_sent", READ_ONCE(req->sent)) ||
	    rdma_nl_put_driver_u32(msg, "sq_fetch", READ_ONCE(req->fetch)) ||
	    rdma_nl_put_driver_u32_hex(msg, "next_psn", READ_ONCE(req->psn)) ||
	    rdma_nl_put_driver_u32_hex(msg, "sent_psn",
				       READ_ONCE(req->sent_psn)) ||
	    rdma_nl_put_driver_u32_hex(msg, "acked_psn",
				       READ_ONCE(req->acked_psn)) ||
	    rdma_nl_put_driver_u32(msg, "rd_atomic_out",
				   READ_ONCE(req->rd_atomic_out)) ||
	    rdma_nl_put_driver_u32(msg, "retry_left",
				   READ_ONCE(req->retry_left)) ||
	    rdma_nl_put_driver_u32(msg, "rnr_left", READ_ONCE(req->rnr_left)) ||
	    rdma_nl_put_driver_u32(msg, "rnr_wait", READ_ONCE(req->rnr_wait)) ||
	    rdma_nl_put_driver_u32(msg, "need_retry",
				   READ_ONCE(req->need_retry)) ||
	    rdma_nl_put_driver_u32(msg, "rewound", READ_ONCE(req->rewound)) ||
	    rdma_nl_put_driver_u32(msg, "retry_timer_armed",
				   timer_pending(&qp->retry_timer)) ||
	    rdma_nl_put_driver_u32(msg, "rnr_timer_armed",
				   timer_pending(&qp->rnr_timer)) ||
	    rdma_nl_put_driver_u32_hex(msg, "events", READ_ONCE(qp->events)) ||
	    rdma_nl_put_driver_u32(msg, "work_queued",
				   work_pending(&qp->work)) ||
	    rdma_nl_put_driver_u32(msg, "ack_queue",
				   skb_queue_len_lockless(&qp->ack_queue)) ||
	    rdma_nl_put_driver_u32(msg, "rx_queue",
				   skb_queue_len_lockless(&qp->rx_queue)) ||
	    rdma_nl_put_driver_u32_hex(msg, "resp_epsn",
				       READ_ONCE(resp->epsn)) ||
	    rdma_nl_put_driver_u32(msg, "resp_read_busy",
				   !!READ_ONCE(resp->rd_cur)) ||
	    rdma_nl_put_driver_u32(msg, "resp_read_paused",
				   READ_ONCE(resp->rd_paused)) ||
	    rdma_nl_put_driver_u32(msg, "resp_ack_pending",
				   READ_ONCE(resp->ack_pending)) ||
	    rdma_nl_put_driver_u32(msg, "resp_rnr_sent",
				   READ_ONCE(resp->rnr_sent)) ||
	    rdma_nl_put_driver_u32(msg, "resp_nak_sent",
				   READ_ONCE(resp->nak_sent)))
		return -EMSGSIZE;
	return 0;
}

/**
 * sodp_fill_res_qp_entry() - restrack's driver table for one QP
 * @msg: the netlink message being built
 * @ibqp: the QP
 *
 * What the core does not show and a stall under loss is read against
 * (`rdma -dd resource show qp`): the local ACK timeout the QP's timeout
 * field works out to, the two retry budgets as set, and a snapshot of the
 * transport (sodp_qp_fill_transport()).
 *
 * Context: process; takes qp->mutex.
 * Return: 0, or -EMSGSIZE with nothing added when the message is full.
 */
int sodp_fill_res_qp_entry(struct sk_buff *msg, struct ib_qp *ibqp)
{
	struct sodp_qp *qp = to_sodp_qp(ibqp);
	u8 timeout, retry_cnt, rnr_retry;
	struct nlattr *table;

	mutex_lock(&qp->mutex);
	timeout = qp->timeout;
	retry_cnt = qp->retry_cnt;
	rnr_retry = qp->rnr_retry;

	table = nla_nest_start(msg, RDMA_NLDEV_ATTR_DRIVER);
	if (!table)
		goto full;
	/*
	 * In ms and 32 bits: `rdma -j` prints driver values as a C int, and
	 * 2^31 ACK timeouts in us would not survive that.
	 */
	if (rdma_nl_put_driver_u32(msg, "ack_timeout_ms",
				   div_u64(sodp_ack_timeout_us(timeout),
					   USEC_PER_MSEC)) ||
	    rdma_nl_put_driver_u32(msg, "retry_cnt", retry_cnt) ||
	    rdma_nl_put_driver_u32(msg, "rnr_retry", rnr_retry) ||
	    sodp_qp_fill_transport(msg, qp)) {
		nla_nest_cancel(msg, table);
		goto full;
	}
	nla_nest_end(msg, table);
	mutex_unlock(&qp->mutex);
	return 0;
full:
	mutex_unlock(&qp->mutex);
	return -EMSGSIZE;
}

int sodp_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata)
{
	struct sodp_qp *qp = to_sodp_qp(ibqp);
	struct sodp_dev *sdev = qp->sdev;

	/* No new references from the rx path, then wait for the old ones. */
	xa_erase_irq(&sdev->qps, ibqp->qp_num);
	sodp_qp_put(qp);
	wait_for_completion(&qp->released);

	sodp_qp_run_stop(qp);
	sodp_resp_fault_stop(qp);
	/* No bind runs any more: unbind the type 2 windows bound through us. */
	sodp_mw_qp_gone(qp);
	timer_shutdown_sync(&qp->retry_timer);
	timer_shutdown_sync(&qp->rnr_timer);
	timer_shutdown_sync(&qp->read_timer);
	skb_queue_purge(&qp->rx_queue);
	skb_queue_purge(&qp->ack_queue);
	sodp_burst_pool_destroy(qp);
	sodp_resp_release(qp);
	sodp_resp_set_rd_atomic(qp, 0);
	rdma_destroy_ah_attr(&qp->ah_attr);
	sodp_qp_free_queues(qp);
	mutex_destroy(&qp->mutex);
	atomic_dec(&sdev->num_qp);
	return 0;
}

/*
 * A kernel consumer posts a list (sodp_kverbs.c).  For a user QP this is
 * the doorbell: the provider wrote WQEs into the SQ ring and calls
 * POST_SEND with an empty list; uverbs' own list is refused, since the
 * ring is the provider's to fill.
 */
int sodp_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		   const struct ib_send_wr **bad_wr)
{
	struct sodp_qp *qp = to_sodp_qp(ibqp);

	if (qp->sq.kbuf)
		return sodp_kpost_send(qp, wr, bad_wr);
	if (wr) {
		*bad_wr = wr;
		return -EOPNOTSUPP;
	}
	switch (READ_ONCE(qp->state)) {
	case IB_QPS_RTS:
	case IB_QPS_SQE:
	case IB_QPS_ERR:
		sodp_qp_kick_posted(qp);
		return 0;
	default:
		/* Posting is allowed from INIT on; sending starts at RTS. */
		return 0;
	}
}
