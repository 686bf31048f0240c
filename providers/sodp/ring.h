/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The rings of <rdma/sodp-abi.h> as user space sees them.
 *
 * Who orders what.  Every ring has two free-running u32 counters in its
 * header; each side writes only its own and reads the other's:
 *
 *   SQ, RQ (we produce)   fill slot(prod), ..., then release-store prod;
 *                         acquire-load cons before reusing a slot, so the
 *                         kernel is done reading a slot before we rewrite it.
 *   CQ (we consume)       acquire-load prod, then read the slots before it;
 *                         release-store cons once they are copied out, so
 *                         our reads are done before the kernel rewrites them.
 *
 * Why C11 acquire/release and not udma_to_device_barrier() and friends: the
 * "device" is the sodp kernel module running on a CPU of the same coherent
 * machine, pairing these accesses with smp_load_acquire() and
 * smp_store_release() on the same two words.  That is CPU-to-CPU ordering,
 * which acquire/release expresses exactly (plain moves on x86); the udma
 * barriers order against DMA and would only add fences.  The doorbell
 * write() that follows a release-store needs no barrier of its own: the
 * kernel acquire-loads prod after it, whichever CPU it runs on.
 *
 * Our own counter is kept in ring->idx and only stored to the shared
 * header; it is read from there once, when the ring is mapped.  The ABI
 * says the kernel never writes the provider's counter, so there is nothing
 * to read back later.
 *
 * Locking: none of the helpers below locks.  Each ring belongs to one queue
 * (struct sodp_sq, sodp_rq, sodp_cq) and its lock must be held, except for a
 * CQ created single-threaded.
 */
#ifndef SODP_RING_H
#define SODP_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>
#include <rdma/sodp-abi.h>

struct sodp_ring {
	void *map;			/* NULL: this queue has no ring */
	size_t map_size;
	struct sodp_ring_hdr *hdr;	/* == map */
	uint8_t *slots;
	uint32_t num_slots;		/* power of two */
	uint32_t slot_size;		/* power of two */
	uint32_t idx;			/* ours: prod (SQ, RQ) or cons (CQ) */
};

/* ring.c */
int sodp_ring_map(struct ibv_context *ibctx, const struct sodp_ring_info *info,
		  size_t min_slot_size, bool producer, struct sodp_ring *ring);
void sodp_ring_unmap(struct sodp_ring *ring);

static inline uint32_t sodp_load_acquire(uint32_t *counter)
{
	return atomic_load_explicit((_Atomic(uint32_t) *)counter,
				    memory_order_acquire);
}

static inline void sodp_store_release(uint32_t *counter, uint32_t val)
{
	atomic_store_explicit((_Atomic(uint32_t) *)counter, val,
			      memory_order_release);
}

/* The slot of free-running index @idx. */
static inline void *sodp_ring_slot(const struct sodp_ring *ring, uint32_t idx)
{
	return ring->slots + (size_t)(idx & (ring->num_slots - 1)) *
			     ring->slot_size;
}

/*
 * Producer: how many slots may be filled now.  prod - cons is the number
 * in flight even across the 2^32 wrap; a value beyond num_slots (a broken
 * cons) reads as a full ring.  Must hold the queue's lock.
 */
static inline uint32_t sodp_ring_space(const struct sodp_ring *ring)
{
	uint32_t used;

	if (!ring->hdr)
		return 0;
	used = ring->idx - sodp_load_acquire(&ring->hdr->cons);
	return used < ring->num_slots ? ring->num_slots - used : 0;
}

/* Producer: hand every slot before ring->idx to the kernel. */
static inline void sodp_ring_publish(struct sodp_ring *ring)
{
	sodp_store_release(&ring->hdr->prod, ring->idx);
}

/* Consumer: how many filled slots start at ring->idx.  Must hold the lock. */
static inline uint32_t sodp_ring_avail(const struct sodp_ring *ring)
{
	if (!ring->hdr)
		return 0;
	return sodp_load_acquire(&ring->hdr->prod) - ring->idx;
}

/* Consumer: give every slot before ring->idx back to the kernel. */
static inline void sodp_ring_release(struct sodp_ring *ring)
{
	sodp_store_release(&ring->hdr->cons, ring->idx);
}

#endif /* SODP_RING_H */
