// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Address handles, for UD QPs.  The kernel keeps the address (it resolves
 * the destination MAC itself) and answers with a number, which a UD send
 * WQE carries; the provider keeps only that number.
 */
#include <errno.h>
#include <stdlib.h>

#include "sodp.h"
#include "sodp-abi.h"

struct ibv_ah *sodp_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr)
{
	struct sodp_cmd_create_ah_resp resp = {};
	struct sodp_ah *ah;
	int err;

	if (!(to_sodp_ctx(pd->context)->caps & SODP_CAP_UD)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	ah = calloc(1, sizeof(*ah));
	if (!ah) {
		errno = ENOMEM;
		return NULL;
	}
	err = ibv_cmd_create_ah(pd, &ah->ibah, attr, &resp.ibv_resp,
				sizeof(resp));
	if (err) {
		free(ah);
		errno = err;
		return NULL;
	}
	ah->num = resp.ah_num;
	return &ah->ibah;
}

int sodp_destroy_ah(struct ibv_ah *ibah)
{
	int err = ibv_cmd_destroy_ah(ibah);

	if (err)
		return err;
	free(to_sodp_ah(ibah));
	return 0;
}
