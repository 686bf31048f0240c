// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory windows.  The kernel owns them: it picks the first key, checks
 * and carries out binds and invalidations in send queue order, and looks
 * windows up for remote accesses.  The provider allocates and frees them,
 * and turns ibv_bind_mw() (type 1) into a BIND_MW WQE with the next key,
 * as ibv_bind_mw(3) has the provider choose it.  Type 2 windows are bound
 * with IBV_WR_BIND_MW work requests, whose key the consumer chooses
 * (post.c, wr.c).
 */
#include <errno.h>
#include <stdlib.h>

#include "sodp.h"
#include "sodp-abi.h"

struct ibv_mw *sodp_alloc_mw(struct ibv_pd *pd, enum ibv_mw_type type)
{
	struct ib_uverbs_alloc_mw_resp resp;
	struct ibv_alloc_mw cmd;
	struct ibv_mw *mw;
	int err;

	if (!(to_sodp_ctx(pd->context)->caps & SODP_CAP_MW)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	mw = calloc(1, sizeof(*mw));
	if (!mw) {
		errno = ENOMEM;
		return NULL;
	}
	err = ibv_cmd_alloc_mw(pd, type, mw, &cmd, sizeof(cmd), &resp,
			       sizeof(resp));
	if (err) {
		free(mw);
		errno = err;
		return NULL;
	}
	return mw;
}

int sodp_dealloc_mw(struct ibv_mw *mw)
{
	int err = ibv_cmd_dealloc_mw(mw);

	if (err)
		return err;
	free(mw);
	return 0;
}

/*
 * ibv_bind_mw(): a type 1 bind through @qp's send queue.  The window's
 * new key is visible in mw->rkey once the WR is posted; it serves remote
 * accesses once the bind completes.
 */
int sodp_bind_mw(struct ibv_qp *qp, struct ibv_mw *mw,
		 struct ibv_mw_bind *mw_bind)
{
	struct ibv_send_wr *bad_wr;
	struct ibv_send_wr wr = {
		.wr_id = mw_bind->wr_id,
		.opcode = IBV_WR_BIND_MW,
		.send_flags = mw_bind->send_flags,
		.bind_mw = {
			.mw = mw,
			.rkey = ibv_inc_rkey(mw->rkey),
			.bind_info = mw_bind->bind_info,
		},
	};
	int err;

	if (mw->type != IBV_MW_TYPE_1 || mw->pd != qp->pd)
		return EINVAL;
	err = sodp_post_send_bind(qp, &wr, &bad_wr, IBV_MW_TYPE_1);
	if (err)
		return err;
	mw->rkey = wr.bind_mw.rkey;
	return 0;
}
