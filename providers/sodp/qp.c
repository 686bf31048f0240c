// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Queue pairs: RC, and UC and UD where the kernel says it does them
 * (SODP_CAP_UC, SODP_CAP_UD), each with its own send ring and either its
 * own receive ring or an SRQ (SODP_CAP_SRQ; the QP's receive ring is then
 * absent).
 * Posting lives in post.c and wr.c; this file creates, queries, modifies
 * and destroys.
 *
 * Capacities: the kernel rounds the requested ones up and describes the
 * rings it made.  What create and query report is what the rings hold:
 * max_send_wr/max_recv_wr are the slot counts, max_*_sge and max_inline_data
 * what the kernel granted, capped by what one slot can carry.
 */
#include <errno.h>
#include <stdlib.h>

#include "sodp.h"
#include "sodp-abi.h"

enum {
	SODP_QP_COMP_MASK = IBV_QP_INIT_ATTR_PD |
			    IBV_QP_INIT_ATTR_CREATE_FLAGS |
			    IBV_QP_INIT_ATTR_SEND_OPS_FLAGS,
	SODP_QP_SEND_OPS = IBV_QP_EX_WITH_RDMA_WRITE |
			   IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM |
			   IBV_QP_EX_WITH_SEND |
			   IBV_QP_EX_WITH_SEND_WITH_IMM |
			   IBV_QP_EX_WITH_RDMA_READ |
			   IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP |
			   IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD,
	/* Where the kernel does them (SODP_CAP_MW). */
	SODP_QP_MW_SEND_OPS = IBV_QP_EX_WITH_BIND_MW |
			      IBV_QP_EX_WITH_LOCAL_INV |
			      IBV_QP_EX_WITH_SEND_WITH_INV,
	/* A datagram is a SEND. */
	SODP_QP_UD_SEND_OPS = IBV_QP_EX_WITH_SEND |
			      IBV_QP_EX_WITH_SEND_WITH_IMM,
	/* UC has no responses: nothing that reads or answers. */
	SODP_QP_UC_SEND_OPS = SODP_QP_UD_SEND_OPS |
			      IBV_QP_EX_WITH_RDMA_WRITE |
			      IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM,
};

static uint64_t sodp_qp_send_ops(uint32_t caps, enum ibv_qp_type type)
{
	if (type == IBV_QPT_UD)
		return SODP_QP_UD_SEND_OPS;
	if (type == IBV_QPT_UC)
		return SODP_QP_UC_SEND_OPS;
	uint64_t ops = SODP_QP_SEND_OPS;

	if (caps & SODP_CAP_MW)
		ops |= SODP_QP_MW_SEND_OPS;
	if (caps & SODP_CAP_ATOMIC_WRITE)
		ops |= IBV_QP_EX_WITH_ATOMIC_WRITE;
	if (caps & SODP_CAP_FLUSH)
		ops |= IBV_QP_EX_WITH_FLUSH;
	return ops;
}

static int sodp_qp_check_attr(struct ibv_context *ibctx,
			      const struct ibv_qp_init_attr_ex *attr)
{
	uint32_t caps = to_sodp_ctx(ibctx)->caps;
	bool ud = attr->qp_type == IBV_QPT_UD && (caps & SODP_CAP_UD);
	bool uc = attr->qp_type == IBV_QPT_UC && (caps & SODP_CAP_UC);

	if (attr->qp_type != IBV_QPT_RC && !ud && !uc)
		return EOPNOTSUPP;
	if (attr->srq && !(caps & SODP_CAP_SRQ))
		return EOPNOTSUPP;
	if (!check_comp_mask(attr->comp_mask, SODP_QP_COMP_MASK))
		return EOPNOTSUPP;
	if ((attr->comp_mask & IBV_QP_INIT_ATTR_CREATE_FLAGS) &&
	    attr->create_flags)
		return EOPNOTSUPP;
	if ((attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS) &&
	    !check_comp_mask(attr->send_ops_flags,
			     sodp_qp_send_ops(caps, attr->qp_type)))
		return EOPNOTSUPP;
	if (!(attr->comp_mask & IBV_QP_INIT_ATTR_PD) || !attr->pd ||
	    !attr->send_cq || !attr->recv_cq)
		return EINVAL;
	return 0;
}

static uint32_t sodp_min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * Derive the limits the posting code enforces from the rings and the
 * kernel's answer.  A send slot holds the WQE header and then either
 * max_send_sge SGEs or max_inline bytes; a receive slot the header and
 * max_recv_sge SGEs.  num_sge is a u16 in the send WQE.
 */
static void sodp_qp_set_caps(struct sodp_qp *qp, const struct ibv_qp_cap *kcap,
			     uint32_t max_inline)
{
	const struct sodp_ring *sq = &qp->sq.ring;
	const struct sodp_ring *rq = &qp->rq.ring;
	uint32_t room;

	room = sq->hdr ? sq->slot_size - sizeof(struct sodp_send_wqe) : 0;
	qp->sq.max_sge = sodp_min_u32(kcap->max_send_sge,
				      room / sizeof(struct sodp_sge));
	qp->sq.max_sge = sodp_min_u32(qp->sq.max_sge, UINT16_MAX);
	qp->sq.max_inline = sodp_min_u32(max_inline, room);

	room = rq->hdr ? rq->slot_size - sizeof(struct sodp_recv_wqe) : 0;
	qp->rq.max_sge = sodp_min_u32(kcap->max_recv_sge,
				      room / sizeof(struct sodp_sge));

	qp->cap = (struct ibv_qp_cap){
		.max_send_wr = sq->num_slots,
		.max_recv_wr = rq->num_slots,
		.max_send_sge = qp->sq.max_sge,
		.max_recv_sge = qp->rq.max_sge,
		.max_inline_data = qp->sq.max_inline,
	};
}

static struct sodp_qp *sodp_qp_create(struct ibv_context *ibctx,
				      struct ibv_qp_init_attr_ex *attr)
{
	struct sodp_cmd_create_qp_resp resp = {};
	struct sodp_cmd_create_qp cmd = {};
	struct ibv_qp_init_attr_ex kattr;
	struct sodp_qp *qp;
	int err;

	err = sodp_qp_check_attr(ibctx, attr);
	if (err)
		goto err_out;

	qp = calloc(1, sizeof(*qp));
	if (!qp) {
		err = ENOMEM;
		goto err_out;
	}
	err = pthread_spin_init(&qp->sq.lock, PTHREAD_PROCESS_PRIVATE);
	if (err)
		goto err_free;
	err = pthread_spin_init(&qp->rq.lock, PTHREAD_PROCESS_PRIVATE);
	if (err)
		goto err_sq_lock;

	/* The kernel needs none of the provider-only attributes. */
	kattr = *attr;
	kattr.comp_mask = IBV_QP_INIT_ATTR_PD;
	err = ibv_cmd_create_qp_ex2(ibctx, &qp->vqp, &kattr, &cmd.ibv_cmd,
				    sizeof(cmd), &resp.ibv_resp, sizeof(resp));
	if (err)
		goto err_rq_lock;

	err = sodp_ring_map(ibctx, &resp.sq, sizeof(struct sodp_send_wqe), true,
			    &qp->sq.ring);
	if (err)
		goto err_destroy;
	err = sodp_ring_map(ibctx, &resp.rq, sizeof(struct sodp_recv_wqe), true,
			    &qp->rq.ring);
	if (err)
		goto err_unmap_sq;

	sodp_qp_set_caps(qp, &kattr.cap, resp.max_inline);
	attr->cap = qp->cap;
	qp->sq_sig_all = attr->sq_sig_all;
	qp->sq.ud = attr->qp_type == IBV_QPT_UD;
	qp->sq.uc = attr->qp_type == IBV_QPT_UC;
	qp->rc_caps = attr->qp_type == IBV_QPT_RC ?
		      to_sodp_ctx(ibctx)->caps : 0;
	return qp;

err_unmap_sq:
	sodp_ring_unmap(&qp->sq.ring);
err_destroy:
	ibv_cmd_destroy_qp(&qp->vqp.qp);
err_rq_lock:
	pthread_spin_destroy(&qp->rq.lock);
err_sq_lock:
	pthread_spin_destroy(&qp->sq.lock);
err_free:
	free(qp);
err_out:
	errno = err;
	return NULL;
}

struct ibv_qp *sodp_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr)
{
	struct ibv_qp_init_attr_ex attr_ex = {
		.qp_context = attr->qp_context,
		.send_cq = attr->send_cq,
		.recv_cq = attr->recv_cq,
		.srq = attr->srq,
		.cap = attr->cap,
		.qp_type = attr->qp_type,
		.sq_sig_all = attr->sq_sig_all,
		.comp_mask = IBV_QP_INIT_ATTR_PD,
		.pd = pd,
	};
	struct sodp_qp *qp;

	qp = sodp_qp_create(pd->context, &attr_ex);
	if (!qp)
		return NULL;
	attr->cap = attr_ex.cap;
	return &qp->vqp.qp;
}

struct ibv_qp *sodp_create_qp_ex(struct ibv_context *ibctx,
				 struct ibv_qp_init_attr_ex *attr)
{
	struct sodp_qp *qp;

	qp = sodp_qp_create(ibctx, attr);
	if (!qp)
		return NULL;
	if (attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS)
		sodp_qp_init_wr_ops(qp);
	return &qp->vqp.qp;
}

int sodp_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		   int attr_mask)
{
	struct ibv_modify_qp cmd = {};

	return ibv_cmd_modify_qp(ibqp, attr, attr_mask, &cmd, sizeof(cmd));
}

int sodp_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int attr_mask,
		  struct ibv_qp_init_attr *init_attr)
{
	struct sodp_qp *qp = to_sodp_qp(ibqp);
	struct ibv_query_qp cmd = {};
	int err;

	err = ibv_cmd_query_qp(ibqp, attr, attr_mask, init_attr, &cmd,
			       sizeof(cmd));
	if (err)
		return err;
	/* Report the limits posting enforces, as create did. */
	attr->cap = qp->cap;
	init_attr->cap = qp->cap;
	return 0;
}

int sodp_destroy_qp(struct ibv_qp *ibqp)
{
	struct sodp_qp *qp = to_sodp_qp(ibqp);
	int err;

	err = ibv_cmd_destroy_qp(ibqp);
	if (err)
		return err;
	sodp_ring_unmap(&qp->rq.ring);
	sodp_ring_unmap(&qp->sq.ring);
	pthread_spin_destroy(&qp->rq.lock);
	pthread_spin_destroy(&qp->sq.lock);
	free(qp);
	return 0;
}
