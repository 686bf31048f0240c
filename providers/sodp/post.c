// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ibv_post_send() and ibv_post_recv().
 *
 * A WQE is written into the slot at the ring's private prod and only
 * becomes the kernel's when prod is published, once per call, so a WR that
 * fails validation leaves nothing behind.  post_recv makes no system call:
 * the responder reads the RQ ring when a message arrives.  post_send rings
 * one doorbell per call that queued anything, after dropping the SQ lock so
 * that other posters do not spin across a system call.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <util/compiler.h>

#include "sodp.h"

enum {
	SODP_SEND_FLAGS = IBV_SEND_FENCE | IBV_SEND_SIGNALED |
			  IBV_SEND_SOLICITED | IBV_SEND_INLINE,
};

/**
 * sodp_sq_doorbell() - tell the kernel the SQ has new WQEs
 * @qp: the QP whose prod was just published
 *
 * The doorbell is the uverbs POST_SEND write() command with no work
 * requests: the core hands the driver's post_send a NULL list, and sodp
 * takes that as "run this QP's requester".  The command is framed as
 * ibv_cmd_post_send() frames it (header, core payload, no driver data);
 * wqe_size must still be at least sizeof(struct ib_uverbs_send_wr), which
 * the kernel checks even when wr_count is zero.
 *
 * Context: any; takes no lock.  Return: 0 or a positive errno.
 */
int sodp_sq_doorbell(struct sodp_qp *qp)
{
	struct ibv_qp *ibqp = &qp->vqp.qp;
	struct ib_uverbs_post_send_resp resp;
	struct ibv_post_send cmd = {
		.hdr = {
			.command = IB_USER_VERBS_CMD_POST_SEND,
			.in_words = sizeof(cmd) / 4,
			.out_words = sizeof(resp) / 4,
		},
		.core_payload = {
			.response = (uintptr_t)&resp,
			.qp_handle = ibqp->handle,
			.wr_count = 0,
			.sge_count = 0,
			.wqe_size = sizeof(struct ib_uverbs_send_wr),
		},
	};

	static_assert(sizeof(cmd) % 4 == 0 && sizeof(resp) % 4 == 0,
		      "write() command lengths are counted in words");

	if (write(ibqp->context->cmd_fd, &cmd, sizeof(cmd)) != sizeof(cmd))
		return errno;
	return 0;
}

/* Copy the payload of an IBV_SEND_INLINE WR behind the WQE header. */
static int sodp_copy_inline(struct sodp_sq *sq, const struct ibv_send_wr *wr,
			    struct sodp_send_wqe *wqe)
{
	uint8_t *dst = (uint8_t *)(wqe + 1);
	uint64_t total = 0;
	int i;

	for (i = 0; i < wr->num_sge; i++)
		total += wr->sg_list[i].length;
	if (total > sq->max_inline)
		return EINVAL;

	for (i = 0; i < wr->num_sge; i++) {
		memcpy(dst, (void *)(uintptr_t)wr->sg_list[i].addr,
		       wr->sg_list[i].length);
		dst += wr->sg_list[i].length;
	}
	wqe->flags |= SODP_WQE_INLINE;
	wqe->inline_len = total;
	return 0;
}

static void sodp_copy_sges(struct sodp_sge *dst, const struct ibv_sge *src,
			   unsigned int num_sge)
{
	unsigned int i;

	for (i = 0; i < num_sge; i++)
		dst[i] = (struct sodp_sge){
			.addr = src[i].addr,
			.length = src[i].length,
			.lkey = src[i].lkey,
		};
}

/*
 * Validate @wr and write it into @wqe, an unpublished slot; a BIND_MW must
 * name a window of @bind_type.  Must hold the SQ lock.  Return: 0 or
 * EINVAL.
 */
static int sodp_build_send(struct sodp_qp *qp, const struct ibv_send_wr *wr,
			   struct sodp_send_wqe *wqe,
			   enum ibv_mw_type bind_type)
{
	struct sodp_sq *sq = &qp->sq;
	bool is_inline = wr->send_flags & IBV_SEND_INLINE;

	if (unlikely(wr->num_sge < 0 || (uint32_t)wr->num_sge > sq->max_sge ||
		     (wr->send_flags & ~SODP_SEND_FLAGS)))
		return EINVAL;

	*wqe = (struct sodp_send_wqe){
		.wr_id = wr->wr_id,
		.opcode = wr->opcode,
		.flags = sodp_wqe_flags(wr->send_flags, qp->sq_sig_all),
	};

	if (unlikely(sq->uc && wr->opcode != IBV_WR_SEND &&
		     wr->opcode != IBV_WR_SEND_WITH_IMM &&
		     wr->opcode != IBV_WR_RDMA_WRITE &&
		     wr->opcode != IBV_WR_RDMA_WRITE_WITH_IMM))
		return EINVAL;
	if (sq->ud) {
		if (unlikely(!wr->wr.ud.ah ||
			     (wr->opcode != IBV_WR_SEND &&
			      wr->opcode != IBV_WR_SEND_WITH_IMM)))
			return EINVAL;
		wqe->ah_num = to_sodp_ah(wr->wr.ud.ah)->num;
		wqe->remote_qpn = wr->wr.ud.remote_qpn;
		wqe->remote_qkey = wr->wr.ud.remote_qkey;
	}

	switch (wr->opcode) {
	case IBV_WR_SEND:
		break;
	case IBV_WR_SEND_WITH_IMM:
		wqe->imm_data = wr->imm_data;
		break;
	case IBV_WR_SEND_WITH_INV:
		if (!(qp->rc_caps & SODP_CAP_MW))
			return EINVAL;
		wqe->invalidate_rkey = wr->invalidate_rkey;
		break;
	/* Local operations: no data, so no SGEs and nothing inline. */
	case IBV_WR_LOCAL_INV:
		if (!(qp->rc_caps & SODP_CAP_MW))
			return EINVAL;
		wqe->invalidate_rkey = wr->invalidate_rkey;
		return 0;
	case IBV_WR_BIND_MW:
		if (!(qp->rc_caps & SODP_CAP_MW))
			return EINVAL;
		return sodp_fill_bind(wqe, wr->bind_mw.mw, bind_type,
				      wr->bind_mw.rkey, &wr->bind_mw.bind_info);
	case IBV_WR_RDMA_WRITE_WITH_IMM:
		wqe->imm_data = wr->imm_data;
		SWITCH_FALLTHROUGH;
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_READ:
		wqe->rkey = wr->wr.rdma.rkey;
		wqe->remote_addr = wr->wr.rdma.remote_addr;
		break;
	case IBV_WR_ATOMIC_CMP_AND_SWP:
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		if (wr->num_sge != 1 ||
		    wr->sg_list[0].length != sizeof(uint64_t))
			return EINVAL;
		wqe->rkey = wr->wr.atomic.rkey;
		wqe->remote_addr = wr->wr.atomic.remote_addr;
		wqe->compare_add = wr->wr.atomic.compare_add;
		if (wr->opcode == IBV_WR_ATOMIC_CMP_AND_SWP)
			wqe->swap = wr->wr.atomic.swap;
		break;
	default:
		return EINVAL;
	}

	if (is_inline) {
		if (!sodp_opcode_takes_inline(wr->opcode))
			return EINVAL;
		return sodp_copy_inline(sq, wr, wqe);
	}
	sodp_copy_sges((struct sodp_sge *)(wqe + 1), wr->sg_list, wr->num_sge);
	wqe->num_sge = wr->num_sge;
	return 0;
}

int sodp_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
		   struct ibv_send_wr **bad_wr)
{
	/* Type 1 windows are bound with ibv_bind_mw() only (mw.c). */
	return sodp_post_send_bind(ibqp, wr, bad_wr, IBV_MW_TYPE_2);
}

/* ibv_post_send(), binding windows of @bind_type. */
int sodp_post_send_bind(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
			struct ibv_send_wr **bad_wr, enum ibv_mw_type bind_type)
{
	struct sodp_qp *qp = to_sodp_qp(ibqp);
	struct sodp_sq *sq = &qp->sq;
	struct ibv_send_wr *first = wr;
	uint32_t start, space = 0;
	bool posted;
	int err = 0;

	/*
	 * Sends wait for RTS: in RESET, INIT and RTR posting is an
	 * immediate error (the state table of IBTA 10.3.1).  The state is the one the process
	 * last set; one the device moved the QP to (ERR, SQE) takes WRs and
	 * flushes them.
	 */
	if (unlikely(ibqp->state < IBV_QPS_RTS)) {
		*bad_wr = wr;
		return EINVAL;
	}
	pthread_spin_lock(&sq->lock);
	start = sq->ring.idx;
	for (; wr; wr = wr->next) {
		if (!space) {
			space = sodp_ring_space(&sq->ring);
			if (unlikely(!space)) {
				err = ENOMEM;
				break;
			}
		}
		err = sodp_build_send(qp, wr,
				      sodp_ring_slot(&sq->ring, sq->ring.idx),
				      bind_type);
		if (unlikely(err))
			break;
		sq->ring.idx++;
		space--;
	}
	posted = sq->ring.idx != start;
	if (posted)
		sodp_ring_publish(&sq->ring);
	pthread_spin_unlock(&sq->lock);

	if (err)
		*bad_wr = wr;
	if (posted) {
		int db_err = sodp_sq_doorbell(qp);

		/*
		 * The kernel only fails the doorbell for a QP it cannot run
		 * at all (gone, device disassociated), so none of this call's
		 * WRs will execute.
		 */
		if (unlikely(db_err) && !err) {
			err = db_err;
			*bad_wr = first;
		}
	}
	return err;
}

/**
 * sodp_rq_post() - write receive WRs into a receive ring (a QP's or an SRQ's)
 * @rq: the queue
 * @wr: the list
 * @bad_wr: set to the first WR not posted, if one is not
 * @posted: set if any WR was
 *
 * Return: 0 or a positive errno.
 */
int sodp_rq_post(struct sodp_rq *rq, struct ibv_recv_wr *wr,
		 struct ibv_recv_wr **bad_wr, bool *posted)
{
	struct sodp_recv_wqe *wqe;
	uint32_t start, space = 0;
	int err = 0;

	pthread_spin_lock(&rq->lock);
	start = rq->ring.idx;
	for (; wr; wr = wr->next) {
		if (unlikely(wr->num_sge < 0 ||
			     (uint32_t)wr->num_sge > rq->max_sge)) {
			err = EINVAL;
			break;
		}
		if (!space) {
			space = sodp_ring_space(&rq->ring);
			if (unlikely(!space)) {
				err = ENOMEM;
				break;
			}
		}
		wqe = sodp_ring_slot(&rq->ring, rq->ring.idx);
		*wqe = (struct sodp_recv_wqe){
			.wr_id = wr->wr_id,
			.num_sge = wr->num_sge,
		};
		sodp_copy_sges((struct sodp_sge *)(wqe + 1), wr->sg_list,
			       wr->num_sge);
		rq->ring.idx++;
		space--;
	}
	*posted = rq->ring.idx != start;
	if (*posted)
		sodp_ring_publish(&rq->ring);
	pthread_spin_unlock(&rq->lock);

	if (err)
		*bad_wr = wr;
	return err;
}

int sodp_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
		   struct ibv_recv_wr **bad_wr)
{
	struct sodp_rq *rq = &to_sodp_qp(ibqp)->rq;
	bool posted;
	int err;

	/*
	 * A QP with an SRQ has no receive ring of its own, and one in RESET
	 * takes no receives (IBTA C10-97.2.1; the state is the one the
	 * process last set).
	 */
	if (unlikely(!rq->ring.hdr || ibqp->state == IBV_QPS_RESET)) {
		*bad_wr = wr;
		return EINVAL;
	}
	err = sodp_rq_post(rq, wr, bad_wr, &posted);

	/*
	 * A QP in the error state flushes receives only when the kernel
	 * looks: ring the doorbell then (SODP_RING_F_QP_ERR).  The fence
	 * orders our prod store before the flag load, against the kernel's
	 * flag store and prod load.
	 */
	if (posted) {
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load_explicit(
			    (_Atomic uint32_t *)&rq->ring.hdr->flags,
			    memory_order_relaxed) & SODP_RING_F_QP_ERR)
			sodp_sq_doorbell(to_sodp_qp(ibqp));
	}
	return err;
}
