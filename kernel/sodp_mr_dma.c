// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: DMA MRs, the kind a kernel consumer's PD gets from the core
 * (ib_alloc_pd() asks get_dma_mr() for the PD's local_dma_lkey).
 *
 * sodp has no DMA device, so the core's ib_dma_map_*() return kernel
 * virtual addresses: the MR covers every address (iova 0, length
 * U64_MAX) and an access is a memcpy() at the address itself.  Only local
 * access is granted (sodp_get_dma_mr()): an rkey to all of kernel memory
 * (IB_PD_UNSAFE_GLOBAL_RKEY) is refused, so no packet from the wire ever
 * reaches this kind, and its lkey works only for QPs of the kernel PD it
 * was made for (sodp_mr_get() checks the PD).
 */
#include "sodp.h"

static int sodp_dma_copy(struct sodp_mr *mr, unsigned long addr, void *buf,
			 u32 len, bool to_mr, unsigned long until)
{
	if (to_mr)
		memcpy((void *)addr, buf, len);
	else
		memcpy(buf, (void *)addr, len);
	return 0;
}

/* Unreachable: sodp_mr_get() refuses REMOTE_ATOMIC, which it lacks. */
static int sodp_dma_atomic(struct sodp_mr *mr, unsigned long addr,
			   enum sodp_atomic_op op, u64 compare_add, u64 swap,
			   u64 *orig, unsigned long until)
{
	return -EACCES;
}

static void sodp_dma_destroy(struct sodp_mr *mr)
{
}

static const struct sodp_mr_ops sodp_dma_ops = {
	.copy = sodp_dma_copy,
	.atomic = sodp_dma_atomic,
	.prefetch = sodp_mr_prefetch_present,	/* kernel memory */
	.fill_res = sodp_mr_fill_res_none,
	.destroy = sodp_dma_destroy,
};

/**
 * sodp_mr_dma_init() - make @mr a DMA MR over all kernel addresses
 * @mr: the MR being created, local access only
 *
 * Return: 0 with mr->ops set, or -EOPNOTSUPP for remote access rights.
 */
int sodp_mr_dma_init(struct sodp_mr *mr)
{
	if (mr->access & ~IB_ACCESS_LOCAL_WRITE)
		return -EOPNOTSUPP;
	mr->uaddr = 0;
	mr->iova = 0;
	mr->length = U64_MAX;
	mr->ops = &sodp_dma_ops;
	return 0;
}
