// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory registration.  Nothing of it is the provider's business: the kernel
 * validates the access flags (ODP included) and returns the keys, and it
 * does the prefetching ibv_advise_mr() asks for.  An implicit ODP MR,
 * ibv_reg_mr(pd, NULL, SIZE_MAX, ... | IBV_ACCESS_ON_DEMAND), needs nothing
 * either: ibv_cmd_reg_mr() sends it as start 0, length UINT64_MAX, iova 0,
 * which the kernel takes for the whole address space.
 */
#include <errno.h>
#include <stdlib.h>

#include "sodp.h"

struct ibv_mr *sodp_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
			   uint64_t hca_va, int access)
{
	struct ib_uverbs_reg_mr_resp resp;
	struct ibv_reg_mr cmd;
	struct verbs_mr *vmr;
	int err;

	vmr = calloc(1, sizeof(*vmr));
	if (!vmr) {
		errno = ENOMEM;
		return NULL;
	}
	err = ibv_cmd_reg_mr(pd, addr, length, hca_va, access, vmr, &cmd,
			     sizeof(cmd), &resp, sizeof(resp));
	if (err) {
		free(vmr);
		errno = err;
		return NULL;
	}
	return &vmr->ibv_mr;
}

int sodp_dereg_mr(struct verbs_mr *vmr)
{
	int err = ibv_cmd_dereg_mr(vmr);

	if (err)
		return err;
	free(vmr);
	return 0;
}

int sodp_advise_mr(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
		   uint32_t flags, struct ibv_sge *sg_list, uint32_t num_sge)
{
	return ibv_cmd_advise_mr(pd, advice, flags, sg_list, num_sge);
}
