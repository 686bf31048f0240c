/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef SODP_PROVIDER_H
#define SODP_PROVIDER_H

#include <stdint.h>
#include <infiniband/driver.h>

struct sodp_device {
	struct verbs_device vdev;
};

struct sodp_context {
	struct verbs_context vctx;
};

static inline struct sodp_context *to_sodp_ctx(struct ibv_context *ibctx)
{
	return container_of(ibctx, struct sodp_context, vctx.context);
}

#endif /* SODP_PROVIDER_H */
