// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The ABI header stands alone as a uapi header (compiled here with only
 * <linux/types.h>, strict C99 and -Wpadded) and its layout is what both the
 * kernel and the provider assert.  Offsets are checked here because a size
 * check alone misses two swapped fields.
 */
#include <stddef.h>
#include <stdio.h>
#include <rdma/sodp-abi.h>

static int failures;

#define EXPECT(cond)                                                        \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,  \
				#cond);                                     \
			failures++;                                         \
		}                                                           \
	} while (0)

int main(void)
{
	EXPECT(SODP_ABI_VERSION == 1);
	EXPECT(sizeof(struct sodp_alloc_ucontext_resp) == 8);
	EXPECT(offsetof(struct sodp_alloc_ucontext_resp, abi_version) == 0);
	EXPECT(offsetof(struct sodp_alloc_ucontext_resp, reserved) == 4);
	EXPECT(sizeof(struct sodp_alloc_pd_resp) == 8);
	EXPECT(offsetof(struct sodp_alloc_pd_resp, pdn) == 0);
	EXPECT(offsetof(struct sodp_alloc_pd_resp, reserved) == 4);
	/* Every struct must be a multiple of 8: uverbs appends them to
	 * 8-byte aligned core responses. */
	EXPECT(sizeof(struct sodp_alloc_ucontext_resp) % 8 == 0);
	EXPECT(sizeof(struct sodp_alloc_pd_resp) % 8 == 0);
	if (!failures)
		printf("abi_layout: ok\n");
	return failures != 0;
}
