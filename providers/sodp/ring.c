// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Mapping the kernel's rings; the index helpers are in ring.h. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "ring.h"

static bool sodp_is_pow2(uint32_t x)
{
	return x && !(x & (x - 1));
}

/**
 * sodp_ring_map() - map one ring described by a create response
 * @ibctx: the context whose command fd the offset belongs to
 * @info: the ring as the kernel described it
 * @min_slot_size: the fixed part of one slot (WQE or CQE header)
 * @producer: true if user space produces into this ring (SQ, RQ)
 * @ring: filled on success; all zero (no ring) if @info is all zero
 *
 * A zero-sized @info (num_slots == 0 and mmap_size == 0) means the queue has
 * no ring, which a zero-depth queue may legitimately have; callers that
 * need a ring check ring->hdr.  Anything else that does not describe a ring
 * the ABI allows is the kernel's bug and fails with EPROTO before mapping.
 *
 * Return: 0 or a positive errno.
 */
int sodp_ring_map(struct ibv_context *ibctx, const struct sodp_ring_info *info,
		  size_t min_slot_size, bool producer, struct sodp_ring *ring)
{
	uint64_t need;
	void *map;

	memset(ring, 0, sizeof(*ring));
	if (!info->num_slots && !info->mmap_size)
		return 0;

	if (!sodp_is_pow2(info->num_slots) || !sodp_is_pow2(info->slot_size) ||
	    info->slot_size < min_slot_size)
		return EPROTO;
	need = SODP_RING_HDR_SIZE + (uint64_t)info->num_slots * info->slot_size;
	if (info->mmap_size < need ||
	    (size_t)info->mmap_size != info->mmap_size ||
	    info->mmap_offset > INT64_MAX)
		return EPROTO;

	map = mmap(NULL, info->mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   ibctx->cmd_fd, info->mmap_offset);
	if (map == MAP_FAILED)
		return errno;

	ring->map = map;
	ring->map_size = info->mmap_size;
	ring->hdr = map;
	ring->slots = (uint8_t *)map + SODP_RING_HDR_SIZE;
	ring->num_slots = info->num_slots;
	ring->slot_size = info->slot_size;
	/*
	 * Pick up where the kernel left our counter: zero for a new queue,
	 * wherever a resized CQ's new ring starts.  Nobody writes it
	 * concurrently, so a plain load is enough.
	 */
	ring->idx = producer ? ring->hdr->prod : ring->hdr->cons;
	return 0;
}

/* Undo sodp_ring_map(); a no-op for a queue without a ring. */
void sodp_ring_unmap(struct sodp_ring *ring)
{
	if (ring->map)
		munmap(ring->map, ring->map_size);
	memset(ring, 0, sizeof(*ring));
}
