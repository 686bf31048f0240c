// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Shared receive queues.  An SRQ is a receive ring like a QP's (see
 * sodp-abi.h), mapped at create; ibv_post_srq_recv() writes WQEs into it
 * without a system call, and the kernel's QPs take them as messages need
 * them.  Resizing (IBV_SRQ_MAX_WR, SODP_CAP_SRQ_RESIZE) gets a new ring
 * from the kernel, the WQEs not taken yet at its front, and maps it in
 * place of the old one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sodp.h"
#include "sodp-abi.h"

struct ibv_srq *sodp_create_srq(struct ibv_pd *pd,
				struct ibv_srq_init_attr *attr)
{
	struct sodp_cmd_create_srq_resp resp = {};
	struct sodp_cmd_create_srq cmd = {};
	struct ibv_context *ibctx = pd->context;
	struct sodp_srq *srq;
	int err;

	if (!(to_sodp_ctx(ibctx)->caps & SODP_CAP_SRQ)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	srq = calloc(1, sizeof(*srq));
	if (!srq) {
		errno = ENOMEM;
		return NULL;
	}
	err = pthread_spin_init(&srq->rq.lock, PTHREAD_PROCESS_PRIVATE);
	if (err)
		goto err_free;
	err = ibv_cmd_create_srq(pd, &srq->ibsrq, attr, &cmd.ibv_cmd,
				 sizeof(cmd), &resp.ibv_resp, sizeof(resp));
	if (err)
		goto err_lock;
	err = sodp_ring_map(ibctx, &resp.rq, sizeof(struct sodp_recv_wqe),
			    true, &srq->rq.ring);
	if (err)
		goto err_destroy;
	if (!srq->rq.ring.hdr) {
		err = EPROTO;	/* an SRQ without a ring is the kernel's bug */
		goto err_destroy;
	}
	srq->rq.max_sge = (srq->rq.ring.slot_size -
			   sizeof(struct sodp_recv_wqe)) /
			  sizeof(struct sodp_sge);
	if (srq->rq.max_sge > attr->attr.max_sge)
		srq->rq.max_sge = attr->attr.max_sge;
	return &srq->ibsrq;

err_destroy:
	ibv_cmd_destroy_srq(&srq->ibsrq);
err_lock:
	pthread_spin_destroy(&srq->rq.lock);
err_free:
	free(srq);
	errno = err;
	return NULL;
}

/*
 * Posting waits on the ring's lock while the kernel moves the WQEs and we
 * map the new ring: nothing is posted into the old one after the kernel
 * has copied it.
 */
static int sodp_resize_srq(struct sodp_srq *srq, struct ibv_srq_attr *attr,
			   int attr_mask)
{
	struct sodp_cmd_modify_srq cmd = {};
	struct sodp_ring_info info = {};
	struct sodp_ring ring;
	int err;

	cmd.ring_info = (uintptr_t)&info;
	pthread_spin_lock(&srq->rq.lock);
	err = ibv_cmd_modify_srq(&srq->ibsrq, attr, attr_mask, &cmd.ibv_cmd,
				 sizeof(cmd));
	if (!err) {
		err = sodp_ring_map(srq->ibsrq.context, &info,
				    sizeof(struct sodp_recv_wqe), true, &ring);
		if (!err && (!ring.hdr || ring.slot_size !=
					  srq->rq.ring.slot_size)) {
			sodp_ring_unmap(&ring);
			err = EPROTO;
		}
		/*
		 * The kernel reads only the new ring now.  Without it, every
		 * later post fails (no ring, no space), and the owner must
		 * destroy the SRQ.
		 */
		sodp_ring_unmap(&srq->rq.ring);
		if (!err)
			srq->rq.ring = ring;
	}
	pthread_spin_unlock(&srq->rq.lock);
	return err;
}

int sodp_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr,
		    int attr_mask)
{
	struct sodp_srq *srq = to_sodp_srq(ibsrq);
	struct ibv_modify_srq cmd = {};

	if (attr_mask & ~(IBV_SRQ_LIMIT | IBV_SRQ_MAX_WR))
		return EINVAL;
	if (attr_mask & IBV_SRQ_MAX_WR) {
		if (!(to_sodp_ctx(ibsrq->context)->caps & SODP_CAP_SRQ_RESIZE))
			return EOPNOTSUPP;
		return sodp_resize_srq(srq, attr, attr_mask);
	}
	return ibv_cmd_modify_srq(ibsrq, attr, attr_mask, &cmd, sizeof(cmd));
}

int sodp_query_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr)
{
	struct ibv_query_srq cmd = {};

	return ibv_cmd_query_srq(ibsrq, attr, &cmd, sizeof(cmd));
}

int sodp_destroy_srq(struct ibv_srq *ibsrq)
{
	struct sodp_srq *srq = to_sodp_srq(ibsrq);
	int err;

	err = ibv_cmd_destroy_srq(ibsrq);
	if (err)
		return err;
	sodp_ring_unmap(&srq->rq.ring);
	pthread_spin_destroy(&srq->rq.lock);
	free(srq);
	return 0;
}

int sodp_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
		       struct ibv_recv_wr **bad_wr)
{
	bool posted;

	/* The QPs look at the ring when a message needs a WQE: no doorbell. */
	return sodp_rq_post(&to_sodp_srq(ibsrq)->rq, wr, bad_wr, &posted);
}
