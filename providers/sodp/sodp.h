/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef SODP_PROVIDER_H
#define SODP_PROVIDER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <infiniband/driver.h>
#include <rdma/sodp-abi.h>

#include "ring.h"

struct sodp_device {
	struct verbs_device vdev;
};

struct sodp_context {
	struct verbs_context vctx;
	uint32_t caps;			/* SODP_CAP_*, from the kernel */
};

struct sodp_ah {
	struct ibv_ah ibah;
	uint32_t num;			/* the kernel's name for it */
};

struct sodp_cq {
	struct verbs_cq vcq;
	/* protects ring and cur; not taken when single_threaded */
	pthread_spinlock_t lock;
	struct sodp_ring ring;		/* no ring: a resize lost its mapping */
	struct sodp_cqe cur;		/* extended CQ: the current completion */
	bool single_threaded;
};

struct sodp_sq {
	/* protects ring and the wr_* state; held from wr_start to complete */
	pthread_spinlock_t lock;
	struct sodp_ring ring;
	uint32_t max_sge;		/* what fits the slot and the kernel takes */
	uint32_t max_inline;
	bool ud;			/* the QP is UD: sends only, with an AH */
	bool uc;			/* the QP is UC: sends and writes */
	/* ibv_wr_* state, valid between wr_start and wr_complete/wr_abort */
	struct sodp_send_wqe *wr_cur;	/* WQE the setters apply to, or NULL */
	uint32_t wr_start_idx;		/* ring.idx at wr_start */
	uint32_t wr_space;		/* slots known free without a cons load */
	int wr_err;			/* first error since wr_start */
};

struct sodp_rq {
	pthread_spinlock_t lock;	/* protects ring */
	struct sodp_ring ring;
	uint32_t max_sge;
};

struct sodp_srq {
	struct ibv_srq ibsrq;
	struct sodp_rq rq;
};

static inline struct sodp_srq *to_sodp_srq(struct ibv_srq *ibsrq)
{
	return container_of(ibsrq, struct sodp_srq, ibsrq);
}

struct sodp_qp {
	struct verbs_qp vqp;
	struct sodp_sq sq;
	struct sodp_rq rq;
	struct ibv_qp_cap cap;		/* as create reported it */
	bool sq_sig_all;
	/*
	 * The kernel's SODP_CAP_* on an RC QP, 0 on the others: the RC-only
	 * operations it may carry (windows and invalidation, ATOMIC_WRITE,
	 * FLUSH).
	 */
	uint32_t rc_caps;
};

static inline struct sodp_context *to_sodp_ctx(struct ibv_context *ibctx)
{
	return container_of(ibctx, struct sodp_context, vctx.context);
}

static inline struct sodp_ah *to_sodp_ah(struct ibv_ah *ibah)
{
	return container_of(ibah, struct sodp_ah, ibah);
}

static inline struct sodp_cq *to_sodp_cq(struct ibv_cq *ibcq)
{
	return container_of(ibcq, struct sodp_cq, vcq.cq);
}

static inline struct sodp_cq *to_sodp_cq_ex(struct ibv_cq_ex *ibcqx)
{
	return container_of(ibcqx, struct sodp_cq, vcq.cq_ex);
}

static inline struct sodp_qp *to_sodp_qp(struct ibv_qp *ibqp)
{
	return container_of(ibqp, struct sodp_qp, vqp.qp);
}

static inline struct sodp_qp *to_sodp_qp_ex(struct ibv_qp_ex *ibqpx)
{
	return container_of(ibqpx, struct sodp_qp, vqp.qp_ex);
}

/* The send flags a WQE carries; sq_sig_all signals every WQE. */
static inline uint8_t sodp_wqe_flags(unsigned int send_flags, bool sig_all)
{
	uint8_t flags = 0;

	if (sig_all || (send_flags & IBV_SEND_SIGNALED))
		flags |= SODP_WQE_SIGNALED;
	if (send_flags & IBV_SEND_SOLICITED)
		flags |= SODP_WQE_SOLICITED;
	if (send_flags & IBV_SEND_FENCE)
		flags |= SODP_WQE_FENCE;
	return flags;
}

/* Inline payload is only meaningful for operations that carry data out. */
static inline bool sodp_opcode_takes_inline(unsigned int opcode)
{
	return opcode == IBV_WR_SEND || opcode == IBV_WR_SEND_WITH_IMM ||
	       opcode == IBV_WR_SEND_WITH_INV || opcode == IBV_WR_RDMA_WRITE ||
	       opcode == IBV_WR_RDMA_WRITE_WITH_IMM;
}

/*
 * An atomic moves one 64-bit word; its single local SGE receives the original
 * value, so it must be exactly 8 bytes.
 */
static inline bool sodp_atomic_sge_ok(const struct sodp_send_wqe *wqe)
{
	const struct sodp_sge *sge = (const struct sodp_sge *)(wqe + 1);

	return !(wqe->flags & SODP_WQE_INLINE) && wqe->num_sge == 1 &&
	       sge->length == sizeof(uint64_t);
}

/* ah.c */
struct ibv_ah *sodp_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr);
int sodp_destroy_ah(struct ibv_ah *ibah);

/* mr.c */
struct ibv_mr *sodp_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
			   uint64_t hca_va, int access);
int sodp_dereg_mr(struct verbs_mr *vmr);
int sodp_advise_mr(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
		   uint32_t flags, struct ibv_sge *sg_list, uint32_t num_sge);

/* mw.c */
struct ibv_mw *sodp_alloc_mw(struct ibv_pd *pd, enum ibv_mw_type type);
int sodp_dealloc_mw(struct ibv_mw *mw);
int sodp_bind_mw(struct ibv_qp *qp, struct ibv_mw *mw,
		 struct ibv_mw_bind *mw_bind);
int sodp_post_send_bind(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
			struct ibv_send_wr **bad_wr, enum ibv_mw_type bind_type);

/*
 * Fill a BIND_MW WQE for a window of type @type: 1 from ibv_bind_mw(), 2
 * from a work request.  The new key must keep the window's index: the
 * kernel finds the window by it.  Return: 0 or EINVAL.
 */
static inline int sodp_fill_bind(struct sodp_send_wqe *wqe,
				 const struct ibv_mw *mw, enum ibv_mw_type type,
				 uint32_t rkey,
				 const struct ibv_mw_bind_info *info)
{
	if (!mw || mw->type != type || (rkey >> 8) != (mw->rkey >> 8) ||
	    (info->length && !info->mr))
		return EINVAL;
	wqe->rkey = rkey;
	wqe->bind.addr = info->addr;
	wqe->bind.length = info->length;
	wqe->bind.mr_lkey = info->mr ? info->mr->lkey : 0;
	wqe->bind.access = info->mw_access_flags;
	return 0;
}

/* cq.c */
struct ibv_cq *sodp_create_cq(struct ibv_context *ibctx, int cqe,
			      struct ibv_comp_channel *channel,
			      int comp_vector);
struct ibv_cq_ex *sodp_create_cq_ex(struct ibv_context *ibctx,
				    struct ibv_cq_init_attr_ex *attr);
int sodp_poll_cq(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc);
int sodp_resize_cq(struct ibv_cq *ibcq, int cqe);
int sodp_destroy_cq(struct ibv_cq *ibcq);

/* qp.c */
struct ibv_qp *sodp_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr);
struct ibv_qp *sodp_create_qp_ex(struct ibv_context *ibctx,
				 struct ibv_qp_init_attr_ex *attr);
int sodp_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		   int attr_mask);
int sodp_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int attr_mask,
		  struct ibv_qp_init_attr *init_attr);
int sodp_destroy_qp(struct ibv_qp *ibqp);

/* post.c */
int sodp_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
		   struct ibv_send_wr **bad_wr);
int sodp_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
		   struct ibv_recv_wr **bad_wr);
int sodp_sq_doorbell(struct sodp_qp *qp);
int sodp_rq_post(struct sodp_rq *rq, struct ibv_recv_wr *wr,
		 struct ibv_recv_wr **bad_wr, bool *posted);

/* srq.c */
struct ibv_srq *sodp_create_srq(struct ibv_pd *pd,
				struct ibv_srq_init_attr *attr);
int sodp_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr,
		    int attr_mask);
int sodp_query_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr);
int sodp_destroy_srq(struct ibv_srq *ibsrq);
int sodp_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
		       struct ibv_recv_wr **bad_wr);

/* wr.c */
void sodp_qp_init_wr_ops(struct sodp_qp *qp);

#endif /* SODP_PROVIDER_H */
