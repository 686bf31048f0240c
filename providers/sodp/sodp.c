// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libsodp: the rdma-core provider for sodp devices.
 *
 * Matching: sodp registers with RDMA_DRIVER_UNKNOWN (it has no upstream
 * driver id), so the provider recognises its devices by the "hca_type"
 * sysfs attribute the kernel module publishes, whatever the user named them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sodp.h"
#include "sodp-abi.h"

static_assert(sizeof(struct sodp_alloc_ucontext_resp) == 8, "ABI drift");
static_assert(sizeof(struct sodp_alloc_pd_resp) == 8, "ABI drift");
static_assert(sizeof(struct sodp_ring_hdr) == 128, "ABI drift");
static_assert(sizeof(struct sodp_sge) == 16, "ABI drift");
static_assert(sizeof(struct sodp_send_wqe) == 64, "ABI drift");
static_assert(sizeof(struct sodp_recv_wqe) == 16, "ABI drift");
static_assert(sizeof(struct sodp_cqe) == 32, "ABI drift");
static_assert(sizeof(struct sodp_ring_info) == 24, "ABI drift");
static_assert(sizeof(struct sodp_create_cq_resp) == 24, "ABI drift");
static_assert(sizeof(struct sodp_create_qp_resp) == 56, "ABI drift");
static_assert(sizeof(struct sodp_create_ah_resp) == 8, "ABI drift");
static_assert(sizeof(struct sodp_create_srq_resp) == 24, "ABI drift");
static_assert(sizeof(struct sodp_modify_srq_cmd) == 8, "ABI drift");
static_assert(SODP_RING_HDR_SIZE == sizeof(struct sodp_ring_hdr), "ABI drift");
static_assert(offsetof(struct sodp_ring_hdr, cons) == 64, "ABI drift");

/* Two enums with the same numbers, compared without -Wenum-compare. */
#define SODP_SAME(a, b) ((int)(a) == (int)(b))

/* The WQE opcode is written from enum ibv_wr_opcode unchanged... */
static_assert(SODP_SAME(IBV_WR_RDMA_WRITE, IB_UVERBS_WR_RDMA_WRITE) &&
	      SODP_SAME(IBV_WR_RDMA_WRITE_WITH_IMM,
			IB_UVERBS_WR_RDMA_WRITE_WITH_IMM) &&
	      SODP_SAME(IBV_WR_SEND, IB_UVERBS_WR_SEND) &&
	      SODP_SAME(IBV_WR_SEND_WITH_IMM, IB_UVERBS_WR_SEND_WITH_IMM) &&
	      SODP_SAME(IBV_WR_RDMA_READ, IB_UVERBS_WR_RDMA_READ) &&
	      SODP_SAME(IBV_WR_ATOMIC_CMP_AND_SWP,
			IB_UVERBS_WR_ATOMIC_CMP_AND_SWP) &&
	      SODP_SAME(IBV_WR_ATOMIC_FETCH_AND_ADD,
			IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD) &&
	      SODP_SAME(IBV_WR_LOCAL_INV, IB_UVERBS_WR_LOCAL_INV) &&
	      SODP_SAME(IBV_WR_BIND_MW, IB_UVERBS_WR_BIND_MW) &&
	      SODP_SAME(IBV_WR_SEND_WITH_INV, IB_UVERBS_WR_SEND_WITH_INV),
	      "send opcodes");
/* ...and the CQE's opcode and flags are read as ibv_wc's. */
static_assert(SODP_SAME(IBV_WC_SEND, IB_UVERBS_WC_SEND) &&
	      SODP_SAME(IBV_WC_RDMA_WRITE, IB_UVERBS_WC_RDMA_WRITE) &&
	      SODP_SAME(IBV_WC_RDMA_READ, IB_UVERBS_WC_RDMA_READ) &&
	      SODP_SAME(IBV_WC_COMP_SWAP, IB_UVERBS_WC_COMP_SWAP) &&
	      SODP_SAME(IBV_WC_FETCH_ADD, IB_UVERBS_WC_FETCH_ADD) &&
	      SODP_SAME(IBV_WC_BIND_MW, IB_UVERBS_WC_BIND_MW) &&
	      SODP_SAME(IBV_WC_LOCAL_INV, IB_UVERBS_WC_LOCAL_INV) &&
	      IBV_WC_RECV == 128 && IBV_WC_RECV_RDMA_WITH_IMM == 129,
	      "completion opcodes");
static_assert(SODP_SAME(SODP_CQE_GRH, IBV_WC_GRH) &&
	      SODP_SAME(SODP_CQE_WITH_IMM, IBV_WC_WITH_IMM) &&
	      SODP_SAME(SODP_CQE_WITH_INV, IBV_WC_WITH_INV), "completion flags");

static int sodp_query_device(struct ibv_context *ibctx,
			     const struct ibv_query_device_ex_input *input,
			     struct ibv_device_attr_ex *attr, size_t attr_size)
{
	struct ib_uverbs_ex_query_device_resp resp;
	size_t resp_size = sizeof(resp);

	return ibv_cmd_query_device_any(ibctx, input, attr, attr_size, &resp,
					&resp_size);
}

static int sodp_query_port(struct ibv_context *ibctx, uint8_t port,
			   struct ibv_port_attr *attr)
{
	struct ibv_query_port cmd = {};

	return ibv_cmd_query_port(ibctx, port, attr, &cmd, sizeof(cmd));
}

static struct ibv_pd *sodp_alloc_pd(struct ibv_context *ibctx)
{
	/* The response's pdn is for diagnostics (strace); nothing keeps it. */
	struct sodp_cmd_alloc_pd_resp resp = {};
	struct ibv_alloc_pd cmd = {};
	struct ibv_pd *pd;
	int err;

	pd = calloc(1, sizeof(*pd));
	if (!pd) {
		errno = ENOMEM;
		return NULL;
	}
	err = ibv_cmd_alloc_pd(ibctx, pd, &cmd, sizeof(cmd), &resp.ibv_resp,
			       sizeof(resp));
	if (err) {
		free(pd);
		errno = err;
		return NULL;
	}
	return pd;
}

static int sodp_dealloc_pd(struct ibv_pd *ibpd)
{
	int err = ibv_cmd_dealloc_pd(ibpd);

	if (err)
		return err;
	free(ibpd);
	return 0;
}

static void sodp_free_context(struct ibv_context *ibctx)
{
	struct sodp_context *ctx = to_sodp_ctx(ibctx);

	verbs_uninit_context(&ctx->vctx);
	free(ctx);
}

static const struct verbs_context_ops sodp_ctx_ops = {
	.advise_mr = sodp_advise_mr,
	.alloc_mw = sodp_alloc_mw,
	.alloc_pd = sodp_alloc_pd,
	/* The kernel keeps the groups; an older one answers EOPNOTSUPP. */
	.attach_mcast = ibv_cmd_attach_mcast,
	.bind_mw = sodp_bind_mw,
	.create_ah = sodp_create_ah,
	.create_cq = sodp_create_cq,
	.create_cq_ex = sodp_create_cq_ex,
	.create_qp = sodp_create_qp,
	.create_qp_ex = sodp_create_qp_ex,
	.create_srq = sodp_create_srq,
	.dealloc_mw = sodp_dealloc_mw,
	.dealloc_pd = sodp_dealloc_pd,
	.destroy_ah = sodp_destroy_ah,
	.dereg_mr = sodp_dereg_mr,
	.destroy_cq = sodp_destroy_cq,
	.destroy_qp = sodp_destroy_qp,
	.destroy_srq = sodp_destroy_srq,
	.detach_mcast = ibv_cmd_detach_mcast,
	.free_context = sodp_free_context,
	.modify_qp = sodp_modify_qp,
	.modify_srq = sodp_modify_srq,
	.poll_cq = sodp_poll_cq,
	.post_recv = sodp_post_recv,
	.post_send = sodp_post_send,
	.post_srq_recv = sodp_post_srq_recv,
	.query_device_ex = sodp_query_device,
	.query_port = sodp_query_port,
	.query_qp = sodp_query_qp,
	.query_srq = sodp_query_srq,
	.reg_mr = sodp_reg_mr,
	.req_notify_cq = ibv_cmd_req_notify_cq,
	.resize_cq = sodp_resize_cq,
};

static struct verbs_context *sodp_alloc_context(struct ibv_device *ibdev,
						int cmd_fd, void *private_data)
{
	struct sodp_cmd_alloc_context_resp resp = {};
	struct ibv_get_context cmd = {};
	struct sodp_context *ctx;

	ctx = verbs_init_and_alloc_context(ibdev, cmd_fd, ctx, vctx,
					   RDMA_DRIVER_UNKNOWN);
	if (!ctx)
		return NULL;

	if (ibv_cmd_get_context(&ctx->vctx, &cmd, sizeof(cmd),
				&resp.ibv_resp, sizeof(resp)))
		goto err_uninit;

	/* The kernel's abi_version in sysfs already matched; this guards
	 * against a response layout that disagrees with it. */
	if (resp.abi_version != SODP_ABI_VERSION) {
		verbs_err(&ctx->vctx,
			  "sodp: kernel ABI %u, provider ABI %u\n",
			  resp.abi_version, SODP_ABI_VERSION);
		errno = EPROTO;
		goto err_uninit;
	}

	/* 0 from a kernel older than the capabilities: RC only. */
	ctx->caps = resp.caps;
	verbs_set_ops(&ctx->vctx, &sodp_ctx_ops);
	return &ctx->vctx;

err_uninit:
	verbs_uninit_context(&ctx->vctx);
	free(ctx);
	return NULL;
}

static bool sodp_match_device(struct verbs_sysfs_dev *sysfs_dev)
{
	char hca_type[16];

	if (ibv_read_ibdev_sysfs_file(hca_type, sizeof(hca_type), sysfs_dev,
				      "hca_type") <= 0)
		return false;
	return strcmp(hca_type, SODP_HCA_TYPE) == 0;
}

static struct verbs_device *sodp_device_alloc(struct verbs_sysfs_dev *unused)
{
	struct sodp_device *dev = calloc(1, sizeof(*dev));

	return dev ? &dev->vdev : NULL;
}

static void sodp_device_free(struct verbs_device *vdev)
{
	free(container_of(vdev, struct sodp_device, vdev));
}

static const struct verbs_device_ops sodp_dev_ops = {
	.name = "sodp",
	.match_min_abi_version = SODP_ABI_VERSION,
	.match_max_abi_version = SODP_ABI_VERSION,
	.match_device = sodp_match_device,
	.alloc_device = sodp_device_alloc,
	.uninit_device = sodp_device_free,
	.alloc_context = sodp_alloc_context,
};

PROVIDER_DRIVER(sodp, sodp_dev_ops);
