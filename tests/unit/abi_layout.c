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
	EXPECT(offsetof(struct sodp_alloc_ucontext_resp, caps) == 4);
	EXPECT(sizeof(struct sodp_alloc_pd_resp) == 8);
	EXPECT(offsetof(struct sodp_alloc_pd_resp, pdn) == 0);
	EXPECT(offsetof(struct sodp_alloc_pd_resp, reserved) == 4);
	EXPECT(sizeof(struct sodp_ring_hdr) == 128);
	EXPECT(sizeof(struct sodp_sge) == 16);
	EXPECT(sizeof(struct sodp_send_wqe) == 64);
	EXPECT(sizeof(struct sodp_recv_wqe) == 16);
	EXPECT(sizeof(struct sodp_cqe) == 32);
	EXPECT(sizeof(struct sodp_ring_info) == 24);
	EXPECT(sizeof(struct sodp_create_cq_resp) == 24);
	EXPECT(sizeof(struct sodp_create_qp_resp) == 56);
	EXPECT(sizeof(struct sodp_create_ah_resp) == 8);
	EXPECT(sizeof(struct sodp_create_srq_resp) == 24);
	EXPECT(sizeof(struct sodp_modify_srq_cmd) == 8);
	EXPECT(offsetof(struct sodp_ring_hdr, prod) == 0);
	EXPECT(offsetof(struct sodp_ring_hdr, flags) == 4);
	EXPECT(offsetof(struct sodp_ring_hdr, cons) == 64);
	EXPECT(offsetof(struct sodp_send_wqe, opcode) == 8);
	EXPECT(offsetof(struct sodp_send_wqe, num_sge) == 10);
	EXPECT(offsetof(struct sodp_send_wqe, inline_len) == 12);
	EXPECT(offsetof(struct sodp_send_wqe, imm_data) == 16);
	EXPECT(offsetof(struct sodp_send_wqe, rkey) == 20);
	EXPECT(offsetof(struct sodp_send_wqe, remote_addr) == 24);
	EXPECT(offsetof(struct sodp_send_wqe, compare_add) == 32);
	EXPECT(offsetof(struct sodp_send_wqe, swap) == 40);
	EXPECT(offsetof(struct sodp_send_wqe, ah_num) == 48);
	EXPECT(offsetof(struct sodp_send_wqe, remote_qpn) == 52);
	EXPECT(offsetof(struct sodp_send_wqe, remote_qkey) == 56);
	EXPECT(offsetof(struct sodp_recv_wqe, num_sge) == 8);
	EXPECT(offsetof(struct sodp_cqe, status) == 8);
	EXPECT(offsetof(struct sodp_cqe, opcode) == 9);
	EXPECT(offsetof(struct sodp_cqe, wc_flags) == 10);
	EXPECT(offsetof(struct sodp_cqe, byte_len) == 12);
	EXPECT(offsetof(struct sodp_cqe, imm_data) == 16);
	EXPECT(offsetof(struct sodp_cqe, qp_num) == 20);
	EXPECT(offsetof(struct sodp_cqe, src_qp) == 24);
	EXPECT(offsetof(struct sodp_ring_info, num_slots) == 16);
	EXPECT(offsetof(struct sodp_create_qp_resp, rq) == 24);
	EXPECT(offsetof(struct sodp_create_qp_resp, max_inline) == 48);
	EXPECT(SODP_RING_HDR_SIZE == sizeof(struct sodp_ring_hdr));
	/* Every struct must be a multiple of 8: uverbs appends them to
	 * 8-byte aligned core responses. */
	EXPECT(sizeof(struct sodp_alloc_ucontext_resp) % 8 == 0);
	EXPECT(sizeof(struct sodp_alloc_pd_resp) % 8 == 0);
	EXPECT(sizeof(struct sodp_ring_hdr) % 8 == 0);
	EXPECT(sizeof(struct sodp_sge) % 8 == 0);
	EXPECT(sizeof(struct sodp_send_wqe) % 8 == 0);
	EXPECT(sizeof(struct sodp_recv_wqe) % 8 == 0);
	EXPECT(sizeof(struct sodp_cqe) % 8 == 0);
	EXPECT(sizeof(struct sodp_ring_info) % 8 == 0);
	EXPECT(sizeof(struct sodp_create_cq_resp) % 8 == 0);
	EXPECT(sizeof(struct sodp_create_qp_resp) % 8 == 0);
	if (!failures)
		printf("abi_layout: ok\n");
	return failures != 0;
}
