// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Shared receive queues.  An SRQ is a receive ring like a QP's (see
 * sodp-abi.h), mapped at create; ibv_post_srq_recv() writes WQEs into it
 * without a system call, and the kernel's QPs take them as messages need
 * them.  Resizing (IBV_SRQ_MAX_WR) is refused: the mapping has the
 * create size.
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

int sodp_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr,
		    int attr_mask)
{
	struct ibv_modify_srq cmd = {};

	if (attr_mask & ~IBV_SRQ_LIMIT)
		return EOPNOTSUPP;
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
