// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The ibv_wr_* work request API of an extended QP.
 *
 * wr_start takes the SQ lock and remembers prod; each builder claims the
 * next slot and advances the private prod at once, and the setters fill
 * the WQE the last builder claimed.  Nothing is visible to the kernel until
 * wr_complete publishes prod (one release-store) and rings one doorbell;
 * wr_abort, or any error on the way, rolls the private prod back to where
 * wr_start found it.  The builders cannot fail, so the first error is kept
 * in sq->wr_err, later builders and setters do nothing, and wr_complete
 * returns it.
 */
#include <errno.h>
#include <string.h>

#include <util/compiler.h>

#include "sodp.h"

enum {
	/* IBV_SEND_INLINE is implied by the setter used, so it is ignored. */
	SODP_WR_FLAGS = IBV_SEND_FENCE | IBV_SEND_SIGNALED |
			IBV_SEND_SOLICITED | IBV_SEND_INLINE,
};

static void sodp_wr_set_err(struct sodp_sq *sq, int err)
{
	if (!sq->wr_err)
		sq->wr_err = err;
	sq->wr_cur = NULL;
}

/* Checks a WQE can only pass once all its setters have run. */
static void sodp_wr_finish(struct sodp_sq *sq)
{
	struct sodp_send_wqe *wqe = sq->wr_cur;

	if (!wqe)
		return;
	/* A datagram without wr_set_ud_addr has nowhere to go. */
	if (sq->ud && !wqe->ah_num)
		sodp_wr_set_err(sq, EINVAL);
	if ((wqe->opcode == IBV_WR_ATOMIC_CMP_AND_SWP ||
	     wqe->opcode == IBV_WR_ATOMIC_FETCH_AND_ADD) &&
	    !sodp_atomic_sge_ok(wqe))
		sodp_wr_set_err(sq, EINVAL);
	sq->wr_cur = NULL;
}

/* Claim the next slot for a WQE of @opcode.  Return: it, or NULL. */
static struct sodp_send_wqe *sodp_wr_new(struct ibv_qp_ex *ibqpx,
					 uint8_t opcode)
{
	struct sodp_qp *qp = to_sodp_qp_ex(ibqpx);
	struct sodp_sq *sq = &qp->sq;
	struct sodp_send_wqe *wqe;

	sodp_wr_finish(sq);
	if (unlikely(sq->wr_err))
		return NULL;
	if (unlikely(ibqpx->wr_flags & ~SODP_WR_FLAGS)) {
		sodp_wr_set_err(sq, EINVAL);
		return NULL;
	}
	/*
	 * UD carries sends only, UC sends and writes; the other builders
	 * are there for RC.
	 */
	if (unlikely((sq->ud || sq->uc) && opcode != IBV_WR_SEND &&
		     opcode != IBV_WR_SEND_WITH_IMM &&
		     (sq->ud || (opcode != IBV_WR_RDMA_WRITE &&
				 opcode != IBV_WR_RDMA_WRITE_WITH_IMM)))) {
		sodp_wr_set_err(sq, EINVAL);
		return NULL;
	}
	if (!sq->wr_space) {
		sq->wr_space = sodp_ring_space(&sq->ring);
		if (unlikely(!sq->wr_space)) {
			sodp_wr_set_err(sq, ENOMEM);
			return NULL;
		}
	}

	wqe = sodp_ring_slot(&sq->ring, sq->ring.idx);
	*wqe = (struct sodp_send_wqe){
		.wr_id = ibqpx->wr_id,
		.opcode = opcode,
		.flags = sodp_wqe_flags(ibqpx->wr_flags, qp->sq_sig_all),
	};
	sq->ring.idx++;
	sq->wr_space--;
	sq->wr_cur = wqe;
	return wqe;
}

static void sodp_wr_start(struct ibv_qp_ex *ibqpx)
{
	struct sodp_sq *sq = &to_sodp_qp_ex(ibqpx)->sq;

	pthread_spin_lock(&sq->lock);
	sq->wr_start_idx = sq->ring.idx;
	sq->wr_space = 0;
	sq->wr_cur = NULL;
	sq->wr_err = 0;
	/* Not in RTS yet: wr_complete fails as ibv_post_send does. */
	if (unlikely(ibqpx->qp_base.state < IBV_QPS_RTS))
		sq->wr_err = EINVAL;
}

static int sodp_wr_complete(struct ibv_qp_ex *ibqpx)
{
	struct sodp_qp *qp = to_sodp_qp_ex(ibqpx);
	struct sodp_sq *sq = &qp->sq;
	bool posted;
	int err;

	sodp_wr_finish(sq);
	err = sq->wr_err;
	if (unlikely(err))
		sq->ring.idx = sq->wr_start_idx;
	posted = sq->ring.idx != sq->wr_start_idx;
	if (posted)
		sodp_ring_publish(&sq->ring);
	pthread_spin_unlock(&sq->lock);

	if (posted)
		err = sodp_sq_doorbell(qp);
	return err;
}

static void sodp_wr_abort(struct ibv_qp_ex *ibqpx)
{
	struct sodp_sq *sq = &to_sodp_qp_ex(ibqpx)->sq;

	sq->ring.idx = sq->wr_start_idx;
	sq->wr_cur = NULL;
	pthread_spin_unlock(&sq->lock);
}

static void sodp_wr_send(struct ibv_qp_ex *ibqpx)
{
	sodp_wr_new(ibqpx, IBV_WR_SEND);
}

/*
 * A WQE of an RC operation the kernel may lack (SODP_CAP_MW for windows
 * and invalidation, SODP_CAP_ATOMIC_WRITE, SODP_CAP_FLUSH).
 */
static struct sodp_send_wqe *sodp_wr_new_if(struct ibv_qp_ex *ibqpx,
					    uint8_t opcode, uint32_t cap)
{
	struct sodp_qp *qp = to_sodp_qp_ex(ibqpx);

	if (unlikely(!(qp->rc_caps & cap))) {
		sodp_wr_finish(&qp->sq);
		sodp_wr_set_err(&qp->sq, EINVAL);
		return NULL;
	}
	return sodp_wr_new(ibqpx, opcode);
}

/* A WQE for windows and invalidation, on a QP that has them. */
static struct sodp_send_wqe *sodp_wr_new_mw(struct ibv_qp_ex *ibqpx,
					    uint8_t opcode)
{
	return sodp_wr_new_if(ibqpx, opcode, SODP_CAP_MW);
}

static void sodp_wr_send_inv(struct ibv_qp_ex *ibqpx, uint32_t invalidate_rkey)
{
	struct sodp_send_wqe *wqe = sodp_wr_new_mw(ibqpx, IBV_WR_SEND_WITH_INV);

	if (wqe)
		wqe->invalidate_rkey = invalidate_rkey;
}

static void sodp_wr_local_inv(struct ibv_qp_ex *ibqpx,
			      uint32_t invalidate_rkey)
{
	struct sodp_send_wqe *wqe = sodp_wr_new_mw(ibqpx, IBV_WR_LOCAL_INV);

	if (wqe)
		wqe->invalidate_rkey = invalidate_rkey;
}

/* Type 2 only: type 1 windows are bound with ibv_bind_mw(). */
static void sodp_wr_bind_mw(struct ibv_qp_ex *ibqpx, struct ibv_mw *mw,
			    uint32_t rkey,
			    const struct ibv_mw_bind_info *bind_info)
{
	struct sodp_qp *qp = to_sodp_qp_ex(ibqpx);
	struct sodp_send_wqe *wqe = sodp_wr_new_mw(ibqpx, IBV_WR_BIND_MW);

	if (wqe && sodp_fill_bind(wqe, mw, IBV_MW_TYPE_2, rkey, bind_info))
		sodp_wr_set_err(&qp->sq, EINVAL);
}

static void sodp_wr_send_imm(struct ibv_qp_ex *ibqpx, __be32 imm_data)
{
	struct sodp_send_wqe *wqe = sodp_wr_new(ibqpx, IBV_WR_SEND_WITH_IMM);

	if (wqe)
		wqe->imm_data = imm_data;
}

static void sodp_wr_rdma(struct ibv_qp_ex *ibqpx, uint8_t opcode,
			 uint32_t rkey, uint64_t remote_addr, __be32 imm_data)
{
	struct sodp_send_wqe *wqe = sodp_wr_new(ibqpx, opcode);

	if (!wqe)
		return;
	wqe->rkey = rkey;
	wqe->remote_addr = remote_addr;
	wqe->imm_data = imm_data;
}

static void sodp_wr_rdma_write(struct ibv_qp_ex *ibqpx, uint32_t rkey,
			       uint64_t remote_addr)
{
	sodp_wr_rdma(ibqpx, IBV_WR_RDMA_WRITE, rkey, remote_addr, 0);
}

static void sodp_wr_rdma_write_imm(struct ibv_qp_ex *ibqpx, uint32_t rkey,
				   uint64_t remote_addr, __be32 imm_data)
{
	sodp_wr_rdma(ibqpx, IBV_WR_RDMA_WRITE_WITH_IMM, rkey, remote_addr,
		     imm_data);
}

static void sodp_wr_rdma_read(struct ibv_qp_ex *ibqpx, uint32_t rkey,
			      uint64_t remote_addr)
{
	sodp_wr_rdma(ibqpx, IBV_WR_RDMA_READ, rkey, remote_addr, 0);
}

static void sodp_wr_atomic(struct ibv_qp_ex *ibqpx, uint8_t opcode,
			   uint32_t rkey, uint64_t remote_addr,
			   uint64_t compare_add, uint64_t swap)
{
	struct sodp_send_wqe *wqe = sodp_wr_new(ibqpx, opcode);

	if (!wqe)
		return;
	wqe->rkey = rkey;
	wqe->remote_addr = remote_addr;
	wqe->compare_add = compare_add;
	wqe->swap = swap;
}

/* The 8 bytes travel in the WQE: no data setter follows. */
static void sodp_wr_atomic_write(struct ibv_qp_ex *ibqpx, uint32_t rkey,
				 uint64_t remote_addr, const void *atomic_wr)
{
	struct sodp_send_wqe *wqe;

	wqe = sodp_wr_new_if(ibqpx, IBV_WR_ATOMIC_WRITE, SODP_CAP_ATOMIC_WRITE);
	if (!wqe)
		return;
	wqe->rkey = rkey;
	wqe->remote_addr = remote_addr;
	memcpy(&wqe->atomic_write, atomic_wr, sizeof(wqe->atomic_write));
}

static void sodp_wr_flush(struct ibv_qp_ex *ibqpx, uint32_t rkey,
			  uint64_t remote_addr, size_t len, uint8_t type,
			  uint8_t level)
{
	struct sodp_send_wqe *wqe;

	wqe = sodp_wr_new_if(ibqpx, IBV_WR_FLUSH, SODP_CAP_FLUSH);
	if (!wqe)
		return;
	wqe->rkey = rkey;
	wqe->remote_addr = remote_addr;
	wqe->flush_len = len;
	wqe->flush_type = type;
	wqe->flush_level = level;
}

static void sodp_wr_atomic_cmp_swp(struct ibv_qp_ex *ibqpx, uint32_t rkey,
				   uint64_t remote_addr, uint64_t compare,
				   uint64_t swap)
{
	sodp_wr_atomic(ibqpx, IBV_WR_ATOMIC_CMP_AND_SWP, rkey, remote_addr,
		       compare, swap);
}

static void sodp_wr_atomic_fetch_add(struct ibv_qp_ex *ibqpx, uint32_t rkey,
				     uint64_t remote_addr, uint64_t add)
{
	sodp_wr_atomic(ibqpx, IBV_WR_ATOMIC_FETCH_AND_ADD, rkey, remote_addr,
		       add, 0);
}

/*
 * Data setters.  Each replaces whatever data the current WQE had, so only
 * the last setter called counts.
 */
static void sodp_wr_set_sge_list(struct ibv_qp_ex *ibqpx, size_t num_sge,
				 const struct ibv_sge *sg_list)
{
	struct sodp_sq *sq = &to_sodp_qp_ex(ibqpx)->sq;
	struct sodp_send_wqe *wqe = sq->wr_cur;
	struct sodp_sge *sge;
	size_t i;

	if (!wqe)
		return;
	if (unlikely(num_sge > sq->max_sge)) {
		sodp_wr_set_err(sq, EINVAL);
		return;
	}
	sge = (struct sodp_sge *)(wqe + 1);
	for (i = 0; i < num_sge; i++)
		sge[i] = (struct sodp_sge){
			.addr = sg_list[i].addr,
			.length = sg_list[i].length,
			.lkey = sg_list[i].lkey,
		};
	wqe->flags &= ~SODP_WQE_INLINE;
	wqe->inline_len = 0;
	wqe->num_sge = num_sge;
}

static void sodp_wr_set_sge(struct ibv_qp_ex *ibqpx, uint32_t lkey,
			    uint64_t addr, uint32_t length)
{
	const struct ibv_sge sge = {
		.addr = addr,
		.length = length,
		.lkey = lkey,
	};

	sodp_wr_set_sge_list(ibqpx, 1, &sge);
}

static void sodp_wr_set_inline_data_list(struct ibv_qp_ex *ibqpx,
					 size_t num_buf,
					 const struct ibv_data_buf *buf_list)
{
	struct sodp_sq *sq = &to_sodp_qp_ex(ibqpx)->sq;
	struct sodp_send_wqe *wqe = sq->wr_cur;
	size_t i, total = 0;
	uint8_t *dst;

	if (!wqe)
		return;
	if (unlikely(!sodp_opcode_takes_inline(wqe->opcode))) {
		sodp_wr_set_err(sq, EINVAL);
		return;
	}
	/* Compare each length before adding it: the sum cannot wrap. */
	for (i = 0; i < num_buf; i++) {
		if (unlikely(buf_list[i].length > sq->max_inline - total)) {
			sodp_wr_set_err(sq, EINVAL);
			return;
		}
		total += buf_list[i].length;
	}

	dst = (uint8_t *)(wqe + 1);
	for (i = 0; i < num_buf; i++) {
		memcpy(dst, buf_list[i].addr, buf_list[i].length);
		dst += buf_list[i].length;
	}
	wqe->flags |= SODP_WQE_INLINE;
	wqe->inline_len = total;
	wqe->num_sge = 0;
}

static void sodp_wr_set_inline_data(struct ibv_qp_ex *ibqpx, void *addr,
				    size_t length)
{
	const struct ibv_data_buf buf = {
		.addr = addr,
		.length = length,
	};

	sodp_wr_set_inline_data_list(ibqpx, 1, &buf);
}

/* UD: where the WQE just built goes. */
static void sodp_wr_set_ud_addr(struct ibv_qp_ex *ibqpx, struct ibv_ah *ah,
				uint32_t remote_qpn, uint32_t remote_qkey)
{
	struct sodp_sq *sq = &to_sodp_qp_ex(ibqpx)->sq;
	struct sodp_send_wqe *wqe = sq->wr_cur;

	if (unlikely(!wqe || !ah)) {
		sodp_wr_set_err(sq, EINVAL);
		return;
	}
	wqe->ah_num = to_sodp_ah(ah)->num;
	wqe->remote_qpn = remote_qpn;
	wqe->remote_qkey = remote_qkey;
}

/*
 * Install the builders and setters.  All supported ones are installed
 * whatever send_ops_flags asked for; create refused flags beyond them.
 */
void sodp_qp_init_wr_ops(struct sodp_qp *qp)
{
	struct ibv_qp_ex *qpx = &qp->vqp.qp_ex;

	qpx->wr_start = sodp_wr_start;
	qpx->wr_complete = sodp_wr_complete;
	qpx->wr_abort = sodp_wr_abort;

	qpx->wr_send = sodp_wr_send;
	qpx->wr_send_imm = sodp_wr_send_imm;
	qpx->wr_send_inv = sodp_wr_send_inv;
	qpx->wr_local_inv = sodp_wr_local_inv;
	qpx->wr_bind_mw = sodp_wr_bind_mw;
	if (qp->vqp.qp.qp_type == IBV_QPT_UD)
		qpx->wr_set_ud_addr = sodp_wr_set_ud_addr;
	qpx->wr_rdma_write = sodp_wr_rdma_write;
	qpx->wr_rdma_write_imm = sodp_wr_rdma_write_imm;
	qpx->wr_rdma_read = sodp_wr_rdma_read;
	qpx->wr_atomic_cmp_swp = sodp_wr_atomic_cmp_swp;
	qpx->wr_atomic_fetch_add = sodp_wr_atomic_fetch_add;
	qpx->wr_atomic_write = sodp_wr_atomic_write;
	qpx->wr_flush = sodp_wr_flush;

	qpx->wr_set_sge = sodp_wr_set_sge;
	qpx->wr_set_sge_list = sodp_wr_set_sge_list;
	qpx->wr_set_inline_data = sodp_wr_set_inline_data;
	qpx->wr_set_inline_data_list = sodp_wr_set_inline_data_list;

	qp->vqp.comp_mask |= VERBS_QP_EX;
}
