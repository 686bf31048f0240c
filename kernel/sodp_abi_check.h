/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Pin the ABI struct sizes.  The provider asserts the same numbers; a change
 * here without a matching change there fails one of the two builds.
 */
#ifndef SODP_ABI_CHECK_H
#define SODP_ABI_CHECK_H

#include <linux/build_bug.h>
#include <rdma/sodp-abi.h>

static_assert(sizeof(struct sodp_alloc_ucontext_resp) == 8);
static_assert(sizeof(struct sodp_alloc_pd_resp) == 8);
static_assert(sizeof(struct sodp_ring_hdr) == 128);
static_assert(sizeof(struct sodp_sge) == 16);
static_assert(sizeof(struct sodp_send_wqe) == 64);
static_assert(sizeof(struct sodp_recv_wqe) == 16);
static_assert(sizeof(struct sodp_cqe) == 32);
static_assert(sizeof(struct sodp_ring_info) == 24);
static_assert(sizeof(struct sodp_create_cq_resp) == 24);
static_assert(sizeof(struct sodp_create_qp_resp) == 56);
static_assert(sizeof(struct sodp_create_ah_resp) == 8);
static_assert(sizeof(struct sodp_create_srq_resp) == 24);
static_assert(sizeof(struct sodp_modify_srq_cmd) == 8);
static_assert(sizeof(struct sodp_ring_hdr) == SODP_RING_HDR_SIZE);

#endif /* SODP_ABI_CHECK_H */
