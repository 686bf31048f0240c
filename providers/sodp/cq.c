// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Completion queues.  The kernel writes struct sodp_cqe into a ring mapped
 * here; ibv_poll_cq() and the extended-CQ iterator read it without entering
 * the kernel.  Only creation, resize, destruction and arming are commands.
 *
 * Capacity: a ring holds num_slots entries (free-running counters waste no
 * slot), so that is what cq->cqe reports, at least what was asked for.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <util/compiler.h>

#include "sodp.h"
#include "sodp-abi.h"

/* The ibv_wc fields a CQE fills; SLID and DLID bits read as zero. */
enum {
	SODP_CQ_WC_FLAGS = IBV_WC_STANDARD_FLAGS,
};

static inline void sodp_cq_lock(struct sodp_cq *cq)
{
	if (!cq->single_threaded)
		pthread_spin_lock(&cq->lock);
}

static inline void sodp_cq_unlock(struct sodp_cq *cq)
{
	if (!cq->single_threaded)
		pthread_spin_unlock(&cq->lock);
}

static void sodp_cqe_to_wc(const struct sodp_cqe *cqe, struct ibv_wc *wc)
{
	*wc = (struct ibv_wc){
		.wr_id = cqe->wr_id,
		.status = cqe->status,
		.opcode = cqe->opcode,
		.vendor_err = cqe->vendor_err,
		.byte_len = cqe->byte_len,
		.imm_data = cqe->imm_data,
		.qp_num = cqe->qp_num,
		.src_qp = cqe->src_qp,
		.wc_flags = cqe->wc_flags,
		.sl = cqe->sl,
	};
}

int sodp_poll_cq(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc)
{
	struct sodp_cq *cq = to_sodp_cq(ibcq);
	struct sodp_ring *ring = &cq->ring;
	uint32_t avail;
	int n;

	sodp_cq_lock(cq);
	if (unlikely(!ring->hdr)) {
		sodp_cq_unlock(cq);
		return -EIO;
	}
	avail = sodp_ring_avail(ring);
	for (n = 0; n < num_entries && avail; n++, avail--) {
		sodp_cqe_to_wc(sodp_ring_slot(ring, ring->idx), &wc[n]);
		ring->idx++;
	}
	if (n)
		sodp_ring_release(ring);
	sodp_cq_unlock(cq);
	return n;
}

/*
 * Extended CQ.  The current CQE is copied out of the ring, so its slot is
 * ours no longer than the copy takes; cons is published once per batch, in
 * end_poll.  Must hold the CQ lock.
 */
static int sodp_cq_next(struct sodp_cq *cq)
{
	struct sodp_ring *ring = &cq->ring;

	if (!sodp_ring_avail(ring))
		return ENOENT;
	cq->cur = *(struct sodp_cqe *)sodp_ring_slot(ring, ring->idx);
	ring->idx++;
	cq->vcq.cq_ex.wr_id = cq->cur.wr_id;
	cq->vcq.cq_ex.status = cq->cur.status;
	return 0;
}

static int sodp_start_poll(struct ibv_cq_ex *ibcqx,
			   struct ibv_poll_cq_attr *attr)
{
	struct sodp_cq *cq = to_sodp_cq_ex(ibcqx);
	int err;

	if (unlikely(attr->comp_mask))
		return EINVAL;
	sodp_cq_lock(cq);
	err = unlikely(!cq->ring.hdr) ? EIO : sodp_cq_next(cq);
	/* On error the caller will not call end_poll. */
	if (err)
		sodp_cq_unlock(cq);
	return err;
}

static int sodp_next_poll(struct ibv_cq_ex *ibcqx)
{
	return sodp_cq_next(to_sodp_cq_ex(ibcqx));
}

static void sodp_end_poll(struct ibv_cq_ex *ibcqx)
{
	struct sodp_cq *cq = to_sodp_cq_ex(ibcqx);

	sodp_ring_release(&cq->ring);
	sodp_cq_unlock(cq);
}

static enum ibv_wc_opcode sodp_read_opcode(struct ibv_cq_ex *ibcqx)
{
	return to_sodp_cq_ex(ibcqx)->cur.opcode;
}

static uint32_t sodp_read_vendor_err(struct ibv_cq_ex *ibcqx)
{
	return to_sodp_cq_ex(ibcqx)->cur.vendor_err;
}

static uint32_t sodp_read_byte_len(struct ibv_cq_ex *ibcqx)
{
	return to_sodp_cq_ex(ibcqx)->cur.byte_len;
}

static __be32 sodp_read_imm_data(struct ibv_cq_ex *ibcqx)
{
	return to_sodp_cq_ex(ibcqx)->cur.imm_data;
}

static uint32_t sodp_read_qp_num(struct ibv_cq_ex *ibcqx)
{
	return to_sodp_cq_ex(ibcqx)->cur.qp_num;
}

static uint32_t sodp_read_src_qp(struct ibv_cq_ex *ibcqx)
{
	return to_sodp_cq_ex(ibcqx)->cur.src_qp;
}

static unsigned int sodp_read_wc_flags(struct ibv_cq_ex *ibcqx)
{
	return to_sodp_cq_ex(ibcqx)->cur.wc_flags;
}

/* RoCE has no LIDs: the field reads as zero, as in ibv_wc. */
static uint32_t sodp_read_slid(struct ibv_cq_ex *ibcqx)
{
	return 0;
}

/* No SL either: a UD receive's says how it came (SODP_CQE_SL_*). */
static uint8_t sodp_read_sl(struct ibv_cq_ex *ibcqx)
{
	return to_sodp_cq_ex(ibcqx)->cur.sl;
}

static uint8_t sodp_read_dlid_path_bits(struct ibv_cq_ex *ibcqx)
{
	return 0;
}

static void sodp_cq_init_ex_ops(struct sodp_cq *cq)
{
	struct ibv_cq_ex *cqx = &cq->vcq.cq_ex;

	cqx->start_poll = sodp_start_poll;
	cqx->next_poll = sodp_next_poll;
	cqx->end_poll = sodp_end_poll;
	cqx->read_opcode = sodp_read_opcode;
	cqx->read_vendor_err = sodp_read_vendor_err;
	cqx->read_byte_len = sodp_read_byte_len;
	cqx->read_imm_data = sodp_read_imm_data;
	cqx->read_qp_num = sodp_read_qp_num;
	cqx->read_src_qp = sodp_read_src_qp;
	cqx->read_wc_flags = sodp_read_wc_flags;
	cqx->read_slid = sodp_read_slid;
	cqx->read_sl = sodp_read_sl;
	cqx->read_dlid_path_bits = sodp_read_dlid_path_bits;
}

static int sodp_cq_check_attr(const struct ibv_cq_init_attr_ex *attr)
{
	/* No parent domain; no timestamps, VLAN, flow tag or TM info. */
	if (!check_comp_mask(attr->comp_mask, IBV_CQ_INIT_ATTR_MASK_FLAGS) ||
	    !check_comp_mask(attr->wc_flags, SODP_CQ_WC_FLAGS))
		return EOPNOTSUPP;
	/* The kernel never overwrites unpolled CQEs, so no IGNORE_OVERRUN. */
	if ((attr->comp_mask & IBV_CQ_INIT_ATTR_MASK_FLAGS) &&
	    !check_comp_mask(attr->flags, IBV_CREATE_CQ_ATTR_SINGLE_THREADED))
		return EOPNOTSUPP;
	return 0;
}

static struct sodp_cq *sodp_cq_create(struct ibv_context *ibctx,
				      struct ibv_cq_init_attr_ex *attr)
{
	struct sodp_cmd_create_cq_resp resp = {};
	struct sodp_cmd_create_cq cmd = {};
	struct sodp_cq *cq;
	int err;

	err = sodp_cq_check_attr(attr);
	if (err)
		goto err_out;

	cq = calloc(1, sizeof(*cq));
	if (!cq) {
		err = ENOMEM;
		goto err_out;
	}
	err = pthread_spin_init(&cq->lock, PTHREAD_PROCESS_PRIVATE);
	if (err)
		goto err_free;
	cq->single_threaded =
		(attr->comp_mask & IBV_CQ_INIT_ATTR_MASK_FLAGS) &&
		(attr->flags & IBV_CREATE_CQ_ATTR_SINGLE_THREADED);

	err = ibv_cmd_create_cq_ex(ibctx, attr, &cq->vcq, &cmd.ibv_cmd,
				   sizeof(cmd), &resp.ibv_resp, sizeof(resp), 0);
	if (err)
		goto err_lock;

	err = sodp_ring_map(ibctx, &resp.cq, sizeof(struct sodp_cqe), false,
			    &cq->ring);
	if (!err && (!cq->ring.hdr || cq->ring.num_slots < attr->cqe))
		err = EPROTO;
	if (err)
		goto err_destroy;

	cq->vcq.cq.cqe = cq->ring.num_slots > INT_MAX ? INT_MAX :
						       cq->ring.num_slots;
	sodp_cq_init_ex_ops(cq);
	return cq;

err_destroy:
	sodp_ring_unmap(&cq->ring);
	ibv_cmd_destroy_cq(&cq->vcq.cq);
err_lock:
	pthread_spin_destroy(&cq->lock);
err_free:
	free(cq);
err_out:
	errno = err;
	return NULL;
}

struct ibv_cq *sodp_create_cq(struct ibv_context *ibctx, int cqe,
			      struct ibv_comp_channel *channel,
			      int comp_vector)
{
	struct ibv_cq_init_attr_ex attr = {
		.cqe = cqe,
		.channel = channel,
		.comp_vector = comp_vector,
	};
	struct sodp_cq *cq;

	if (cqe < 0 || comp_vector < 0) {
		errno = EINVAL;
		return NULL;
	}
	cq = sodp_cq_create(ibctx, &attr);
	return cq ? &cq->vcq.cq : NULL;
}

struct ibv_cq_ex *sodp_create_cq_ex(struct ibv_context *ibctx,
				    struct ibv_cq_init_attr_ex *attr)
{
	struct sodp_cq *cq = sodp_cq_create(ibctx, attr);

	return cq ? &cq->vcq.cq_ex : NULL;
}

/*
 * The kernel moves the CQEs not yet polled into a new ring, reading our
 * cons from the old one, and answers with the new ring.  The lock keeps
 * pollers off both rings until the new one is mapped.  If that mapping
 * fails, the kernel already writes the new ring: the CQ has no ring left
 * and polling it fails with EIO until it is destroyed.
 */
int sodp_resize_cq(struct ibv_cq *ibcq, int cqe)
{
	struct sodp_cmd_resize_cq_resp resp = {};
	struct sodp_cmd_resize_cq cmd = {};
	struct sodp_cq *cq = to_sodp_cq(ibcq);
	struct sodp_ring ring;
	int err;

	if (cqe < 0)
		return EINVAL;

	sodp_cq_lock(cq);
	err = ibv_cmd_resize_cq(ibcq, cqe, &cmd.ibv_cmd, sizeof(cmd),
				&resp.ibv_resp, sizeof(resp));
	if (err)
		goto out;

	err = sodp_ring_map(ibcq->context, &resp.cq, sizeof(struct sodp_cqe),
			    false, &ring);
	if (!err && !ring.hdr)
		err = EPROTO;
	sodp_ring_unmap(&cq->ring);
	if (err) {
		sodp_ring_unmap(&ring);
		ibcq->cqe = 0;
		goto out;
	}
	cq->ring = ring;
	ibcq->cqe = ring.num_slots > INT_MAX ? INT_MAX : ring.num_slots;
out:
	sodp_cq_unlock(cq);
	return err;
}

int sodp_destroy_cq(struct ibv_cq *ibcq)
{
	struct sodp_cq *cq = to_sodp_cq(ibcq);
	int err;

	err = ibv_cmd_destroy_cq(ibcq);
	if (err)
		return err;
	sodp_ring_unmap(&cq->ring);
	pthread_spin_destroy(&cq->lock);
	free(cq);
	return 0;
}
