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

#endif /* SODP_ABI_CHECK_H */
