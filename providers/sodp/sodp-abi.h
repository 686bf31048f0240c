/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The uverbs commands sodp extends, over the kernel's <rdma/sodp-abi.h>. */
#ifndef SODP_PROVIDER_ABI_H
#define SODP_PROVIDER_ABI_H

#include <infiniband/kern-abi.h>
#include <rdma/sodp-abi.h>
#include <kernel-abi/sodp-abi.h>

DECLARE_DRV_CMD(sodp_cmd_alloc_context, IB_USER_VERBS_CMD_GET_CONTEXT,
		empty, sodp_alloc_ucontext_resp);
DECLARE_DRV_CMD(sodp_cmd_alloc_pd, IB_USER_VERBS_CMD_ALLOC_PD,
		empty, sodp_alloc_pd_resp);
DECLARE_DRV_CMD(sodp_cmd_create_cq, IB_USER_VERBS_EX_CMD_CREATE_CQ,
		empty, sodp_create_cq_resp);
DECLARE_DRV_CMD(sodp_cmd_resize_cq, IB_USER_VERBS_CMD_RESIZE_CQ,
		empty, sodp_create_cq_resp);
DECLARE_DRV_CMD(sodp_cmd_create_qp, IB_USER_VERBS_EX_CMD_CREATE_QP,
		empty, sodp_create_qp_resp);
DECLARE_DRV_CMD(sodp_cmd_create_ah, IB_USER_VERBS_CMD_CREATE_AH,
		empty, sodp_create_ah_resp);
DECLARE_DRV_CMD(sodp_cmd_create_srq, IB_USER_VERBS_CMD_CREATE_SRQ,
		empty, sodp_create_srq_resp);
DECLARE_DRV_CMD(sodp_cmd_modify_srq, IB_USER_VERBS_CMD_MODIFY_SRQ,
		sodp_modify_srq_cmd, empty);

#endif /* SODP_PROVIDER_ABI_H */
