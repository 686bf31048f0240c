// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: buffers for loopback bursts (sodp_net_burst_len()).
 *
 * A burst carries up to 31 KiB of a message from one QP of this device to
 * another.  Allocated afresh, each would be zeroed first (init_on_alloc,
 * which Debian's kernels turn on): in a loopback ib_write_bw, clearing
 * the new pages took more CPU time than the two copies of the data
 * (perftest/profile.sh).  So a QP that sends bursts takes their heads
 * from a page_pool of its own, and an skb freed by the receiving QP gives
 * its head back to that pool (skb_mark_for_recycle()).  A recycled head
 * is not cleared again: everything the receiver reads of it (headers,
 * payload, pad and the zeroed ICRC) is written before the skb is sent.
 *
 * The pool is the QP's, and only its work item allocates from it, as
 * page_pool requires of its allocation side (one context at a time).
 * It holds what the QP had in flight at its peak, which the loopback send
 * window bounds for requests (1024 PSNs: 34 bursts at MTU 1024, 147 at
 * 4096) and the peer's queue bound (SODP_RX_QUEUE_MAX_BURSTS) for READ
 * responses.  page_pool_destroy() at
 * destroy_qp lets bursts still queued on the peer come back and be freed
 * later.
 */
#include <net/page_pool/helpers.h>

#include "sodp.h"

/* Order-3 pages: 32 KiB, SODP_LOOP_MAX_PAYLOAD with headers and shinfo. */
#define SODP_BURST_ORDER	3
#define SODP_BURST_BYTES	(PAGE_SIZE << SODP_BURST_ORDER)
/* Heads the pool keeps for reuse beyond its allocation cache. */
#define SODP_BURST_POOL_SIZE	64

/*
 * The QP's pool, made on its first burst.  One node for the pool's life:
 * with NUMA_NO_NODE, page_pool prefers the node of the CPU allocating and
 * frees rather than reuses a page from another one, and the work item is
 * unbound, so on two nodes half the bursts would be fresh (cleared) pages
 * again.
 */
static struct page_pool *sodp_burst_pool_create(struct sodp_qp *qp)
{
	struct page_pool_params pp = {
		.order = SODP_BURST_ORDER,
		.pool_size = SODP_BURST_POOL_SIZE,
		.nid = numa_mem_id(),
	};
	struct page_pool *pool = page_pool_create(&pp);

	if (IS_ERR(pool))
		return NULL;
	qp->burst_pool = pool;
	return pool;
}

/**
 * sodp_burst_skb() - an empty linear skb for a loopback burst
 * @qp: the sending QP; called from its work item only
 * @size: bytes of headroom and data the caller will use
 *
 * Context: process context (the QP's work item).
 * Return: the skb, or NULL if there is no memory for it now (the caller
 * then sends one MTU instead).
 */
struct sk_buff *sodp_burst_skb(struct sodp_qp *qp, u32 size)
{
	struct page_pool *pool;
	struct sk_buff *skb;
	struct page *page;

	if (WARN_ON_ONCE(SKB_DATA_ALIGN(size) +
			 SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) >
			 SODP_BURST_BYTES))
		return NULL;
	pool = qp->burst_pool ?: sodp_burst_pool_create(qp);
	if (!pool)
		return NULL;
	page = page_pool_alloc_pages(pool, GFP_KERNEL | __GFP_NORETRY |
				     __GFP_NOWARN);
	if (!page)
		return NULL;
	skb = build_skb(page_address(page), SODP_BURST_BYTES);
	if (!skb) {
		page_pool_put_full_page(pool, page, false);
		return NULL;
	}
	skb_mark_for_recycle(skb);
	return skb;
}

/*
 * destroy_qp, with the work item disabled: no burst is allocated any
 * more.  Heads still in flight return to the pool, which frees them.
 */
void sodp_burst_pool_destroy(struct sodp_qp *qp)
{
	if (!qp->burst_pool)
		return;
	page_pool_destroy(qp->burst_pool);
	qp->burst_pool = NULL;
}
