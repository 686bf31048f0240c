/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sodp: On-Demand Paging regions, the half of the MR access layer that
 * finds pages through the process's page tables instead of pinning them.
 * Only sodp_mr.c calls in here; see sodp_odp.c for the rules.
 */
#ifndef SODP_ODP_H
#define SODP_ODP_H

#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/xarray.h>

struct sodp_dev;
struct sodp_odp_stats;

/**
 * struct sodp_odp - the device's view of one ODP region's pages
 * @notifier:	interval notifier over [@start, @end) of the registering mm
 * @lock:	entries in @blocks; held while the device touches a page
 * @blocks:	sparse page table: block number -> SODP_ODP_BLOCK entries
 * @start:	first byte of the first page (user address)
 * @end:	one past the last page
 * @sdev:	the device, for counters and as device-exclusive owner
 * @stats:	the MR's counters (an implicit MR's, for its children)
 *
 * An explicit ODP MR has one; an implicit MR has one per chunk it has
 * used, its children.
 */
struct sodp_odp {
	struct mmu_interval_notifier notifier;
	struct mutex lock;
	struct xarray blocks;
	unsigned long start;
	unsigned long end;
	struct sodp_dev *sdev;
	struct sodp_odp_stats *stats;
};

/**
 * struct sodp_imr - an implicit ODP region: the whole user address space
 * @lock:	serialises the creation of children; never taken by a
 *		notifier, never held by an access to a page
 * @children:	chunk number -> struct sodp_odp, stored under @lock, loaded
 *		without it
 * @nchildren:	entries in @children, at most SODP_IMR_MAX_CHILDREN
 * @end:	the mm's task_size: every address is below it
 * @mm:		the registering process's mm (mmgrab), where the children's
 *		notifiers go
 * @sdev:	the device
 * @stats:	the MR's counters, shared by all children
 *
 * Children live until the region is destroyed: whoever found one in
 * @children may use it for as long as it holds a reference on the MR.
 */
struct sodp_imr {
	struct mutex lock;		/* creation of children */
	struct xarray children;
	unsigned int nchildren;
	unsigned long end;
	struct mm_struct *mm;
	struct sodp_dev *sdev;
	struct sodp_odp_stats *stats;
};

/* What an access needs from the pages it touches. */
enum sodp_odp_need {
	SODP_ODP_READ,		/* readable */
	SODP_ODP_WRITE,		/* writable; the device will write */
	SODP_ODP_SNAPSHOT,	/* nothing: map what is present, fault nothing */
};

struct sodp_odp *sodp_odp_create(struct sodp_dev *sdev,
				 struct sodp_odp_stats *stats,
				 unsigned long addr, u64 length);
void sodp_odp_destroy(struct sodp_odp *odp);
int sodp_odp_copy(struct sodp_odp *odp, unsigned long addr, void *buf,
		  u32 len, bool to_mr);
int sodp_odp_atomic(struct sodp_odp *odp, unsigned long addr, bool cmp_swap,
		    u64 compare_add, u64 swap, u64 *orig);
int sodp_odp_prefetch(struct sodp_odp *odp, unsigned long addr, u64 len,
		      enum sodp_odp_need need);

struct sodp_imr *sodp_imr_create(struct sodp_dev *sdev,
				 struct sodp_odp_stats *stats);
void sodp_imr_destroy(struct sodp_imr *imr);
int sodp_imr_copy(struct sodp_imr *imr, unsigned long addr, void *buf,
		  u32 len, bool to_mr);
int sodp_imr_atomic(struct sodp_imr *imr, unsigned long addr, bool cmp_swap,
		    u64 compare_add, u64 swap, u64 *orig);
int sodp_imr_prefetch(struct sodp_imr *imr, unsigned long addr, u64 len,
		      enum sodp_odp_need need);

#endif /* SODP_ODP_H */
