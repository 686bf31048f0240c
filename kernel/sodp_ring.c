// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: rings shared with user space, and the one reader of receive WQEs
 * from them (RQ and SRQ rings share a layout).
 *
 * A ring is vmalloc() memory handed to user space through an
 * rdma_user_mmap_entry.  The entry owns the buffer: destroying the object
 * removes the entry, and the core calls sodp_mmap_free() when the last
 * reference (insertion or an mmap() in progress) is gone.  A process that
 * still maps the ring keeps its pages: vm_insert_page() took a page
 * reference for every page it mapped, so vfree() cannot pull them away.
 *
 * Not vmalloc_user() and remap_vmalloc_range(): vmalloc_user() takes no
 * gfp flags, and a ring is memory a process asks for, charged to its
 * memory cgroup (GFP_KERNEL_ACCOUNT) like the rest of its verbs objects.
 *
 * Kernel consumers (ib_mad's QP1, rdma_cm users; sodp_kverbs.c) get rings
 * of the same layout that nobody maps: the work items produce and consume
 * them exactly as they do user rings, and only the other end (post and
 * poll) is kernel code instead of the provider.  Such a ring has no mmap
 * entry and owns its buffer (ring->kbuf).
 */
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>

#include "sodp.h"

/* A ring for a kernel consumer: nothing to publish. */
static int sodp_ring_create_kernel(struct sodp_ring *ring, u32 num_slots,
				   u32 slot_size, size_t size)
{
	void *buf = vzalloc(size);

	if (!buf)
		return -ENOMEM;
	ring->hdr = buf;
	ring->slots = buf + SODP_RING_HDR_SIZE;
	ring->num_slots = num_slots;
	ring->slot_size = slot_size;
	ring->entry = NULL;
	ring->kbuf = buf;
	return 0;
}

/**
 * sodp_ring_create() - allocate a ring and publish it for mmap()
 * @ibuc: the user context the ring is mapped through; NULL for a ring of
 *	a kernel consumer, which is not published (@info stays all zero)
 * @ring: filled in on success
 * @num_slots: a power of two
 * @slot_size: a power of two
 * @info: filled in for the create response
 *
 * Return: 0 or a negative errno.
 */
int sodp_ring_create(struct ib_ucontext *ibuc, struct sodp_ring *ring,
		     u32 num_slots, u32 slot_size, struct sodp_ring_info *info)
{
	struct sodp_mmap_entry *entry;
	size_t size;
	int err;

	if (!is_power_of_2(num_slots) || !is_power_of_2(slot_size))
		return -EINVAL;
	size = PAGE_ALIGN(SODP_RING_HDR_SIZE + (size_t)num_slots * slot_size);
	memset(info, 0, sizeof(*info));
	if (!ibuc)
		return sodp_ring_create_kernel(ring, num_slots, slot_size, size);

	entry = kzalloc_obj(*entry, GFP_KERNEL_ACCOUNT);
	if (!entry)
		return -ENOMEM;
	entry->buf = __vmalloc(size, GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!entry->buf) {
		kfree(entry);
		return -ENOMEM;
	}
	entry->size = size;

	err = rdma_user_mmap_entry_insert(ibuc, &entry->rdma, size);
	if (err) {
		vfree(entry->buf);
		kfree(entry);
		return err;
	}

	ring->hdr = entry->buf;
	ring->slots = entry->buf + SODP_RING_HDR_SIZE;
	ring->num_slots = num_slots;
	ring->slot_size = slot_size;
	ring->entry = entry;

	info->mmap_offset = rdma_user_mmap_get_offset(&entry->rdma);
	info->mmap_size = size;
	info->num_slots = num_slots;
	info->slot_size = slot_size;
	return 0;
}

/* The caller has stopped touching the ring. */
void sodp_ring_destroy(struct sodp_ring *ring)
{
	if (ring->kbuf) {
		vfree(ring->kbuf);
		ring->kbuf = NULL;
	} else if (ring->entry) {
		rdma_user_mmap_entry_remove(&ring->entry->rdma);
	} else {
		return;
	}
	ring->entry = NULL;
	ring->hdr = NULL;
	ring->slots = NULL;
}

/* Map all of @entry's pages into @vma, which is exactly its size. */
static int sodp_mmap_pages(struct vm_area_struct *vma,
			   struct sodp_mmap_entry *entry)
{
	size_t off;
	int err;

	for (off = 0; off < entry->size; off += PAGE_SIZE) {
		err = vm_insert_page(vma, vma->vm_start + off,
				     vmalloc_to_page(entry->buf + off));
		if (err)
			return err;
	}
	/* As remap_vmalloc_range(): no mremap() growth, no core dumps. */
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	return 0;
}

int sodp_mmap(struct ib_ucontext *ibuc, struct vm_area_struct *vma)
{
	struct rdma_user_mmap_entry *rdma_entry;
	struct sodp_mmap_entry *entry;
	int err = -EINVAL;

	rdma_entry = rdma_user_mmap_entry_get(ibuc, vma);
	if (!rdma_entry)
		return -EINVAL;
	entry = container_of(rdma_entry, struct sodp_mmap_entry, rdma);
	if (vma->vm_end - vma->vm_start == entry->size)
		err = sodp_mmap_pages(vma, entry);
	rdma_user_mmap_entry_put(rdma_entry);
	return err;
}

void sodp_mmap_free(struct rdma_user_mmap_entry *rdma_entry)
{
	struct sodp_mmap_entry *entry =
		container_of(rdma_entry, struct sodp_mmap_entry, rdma);

	vfree(entry->buf);
	kfree(entry);
}

/**
 * sodp_rwqe_copy() - copy out the receive WQE at @cons of an RQ or SRQ ring
 * @ring: the ring, produced by user space
 * @cons: the kernel's consumer index
 * @max_sge: the most SGEs a WQE of this ring may have
 * @wqe: filled with the WQE's header
 * @sge: filled with its SGEs
 * @posted: set to the number of WQEs posted and not yet taken
 *
 * Return: 0, -EAGAIN if none is posted, -EPROTO if user space corrupted
 * the ring.
 */
int sodp_rwqe_copy(const struct sodp_ring *ring, u32 cons, u32 max_sge,
		   struct sodp_recv_wqe *wqe, struct sodp_sge *sge, u32 *posted)
{
	const void *slot;

	/* Pairs with the provider's release of prod after filling slots. */
	*posted = smp_load_acquire(&ring->hdr->prod) - cons;
	if (!*posted)
		return -EAGAIN;
	if (*posted > ring->num_slots)
		return -EPROTO;
	slot = sodp_ring_slot(ring, cons);
	memcpy(wqe, slot, sizeof(*wqe));
	if (wqe->num_sge > max_sge)
		return -EPROTO;
	memcpy(sge, slot + sizeof(*wqe), wqe->num_sge * sizeof(*sge));
	return 0;
}
