/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * sodp: the kernel <-> provider ABI.
 *
 * Written as a kernel uapi header so that it drops unchanged into
 * rdma-core's kernel-headers/rdma/.  Fixed-size types only, explicit
 * padding, no pointers; every struct size is pinned by a static assertion on
 * both sides (kernel/sodp_abi_check.h and providers/sodp/sodp.c).
 *
 * Versioning: SODP_ABI_VERSION is published as the uverbs ABI version of
 * every sodp device (/sys/class/infiniband_verbs/uverbsN/abi_version).
 * libibverbs refuses to bind a provider whose version range does not include
 * it, and the provider checks it once more in the alloc_ucontext response.
 * Bump it for any incompatible change; append fields (with a comp_mask bit)
 * for compatible ones.
 */
#ifndef SODP_ABI_USER_H
#define SODP_ABI_USER_H

#include <linux/types.h>

#define SODP_ABI_VERSION 1

/* Name prefix the provider claims; see also the hca_type sysfs attribute. */
#define SODP_HCA_TYPE "sodp"

/*
 * Response to IB_USER_VERBS_CMD_GET_CONTEXT.  There is no request struct:
 * the kernel rejects a non-empty one.
 */
struct sodp_alloc_ucontext_resp {
	__u32 abi_version;	/* == SODP_ABI_VERSION */
	__u32 reserved;		/* zero */
};

/* Response to IB_USER_VERBS_CMD_ALLOC_PD: the PD number, for diagnostics. */
struct sodp_alloc_pd_resp {
	__u32 pdn;
	__u32 reserved;		/* zero */
};

#endif /* SODP_ABI_USER_H */
