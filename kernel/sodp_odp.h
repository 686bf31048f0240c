/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sodp: On-Demand Paging regions, the half of the MR access layer that
 * finds pages through the process's page tables instead of pinning them.
 * sodp_odp.c has the region (one notifier, one sparse page table) and the
 * explicit ODP MR built on one; sodp_odp_implicit.c builds implicit ODP
 * MRs from many.  See sodp_odp.c for the rules.
 */
#ifndef SODP_ODP_H
#define SODP_ODP_H

#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/xarray.h>

#include "sodp.h"

struct mem_cgroup;

/**
 * struct sodp_odp - the device's view of one ODP region's pages
 * @notifier:	interval notifier over [@start, @end) of the registering mm
 * @lock:	entries in @blocks and @walks; held while the device touches
 *		a page
 * @blocks:	sparse page table: block number -> SODP_ODP_BLOCK entries
 * @walks:	faults in flight (struct sodp_odp_walk), each told by the
 *		invalidations that touch its window
 * @start:	first byte of the first page (user address)
 * @end:	one past the last page
 * @sdev:	the device, for counters and as device-exclusive owner
 * @stats:	the MR's counters (an implicit MR's, for its children)
 * @memcg:	the registering process's memory cgroup, charged for the
 *		page table however the access reached us
 *
 * An explicit ODP MR has one; an implicit MR has one per chunk it has
 * used, its children.
 */
struct sodp_odp {
	struct mmu_interval_notifier notifier;
	struct mutex lock;	/* @blocks and @walks; see above */
	struct xarray blocks;
	struct list_head walks;
	unsigned long start;
	unsigned long end;
	struct sodp_dev *sdev;
	struct sodp_odp_stats *stats;
	struct mem_cgroup *memcg;
};

/* The region's calls, for sodp_odp_implicit.c. */
struct sodp_odp *sodp_odp_alloc(struct sodp_dev *sdev,
				struct sodp_odp_stats *stats,
				struct mem_cgroup *memcg, struct mm_struct *mm,
				unsigned long start, unsigned long end);
void sodp_odp_free(struct sodp_odp *odp);
int sodp_odp_copy(struct sodp_odp *odp, unsigned long addr, void *buf,
		  u32 len, bool to_mr, unsigned long until);
int sodp_odp_copy_now(struct sodp_odp *odp, unsigned long addr, void *buf,
		      u32 len, bool to_mr, u32 *done);
int sodp_odp_fault_access(struct sodp_odp *odp, unsigned long addr, u32 len,
			  enum sodp_odp_need need);
int sodp_odp_atomic(struct sodp_odp *odp, unsigned long addr,
		    enum sodp_atomic_op op, u64 compare_add, u64 swap, u64 *orig,
		    unsigned long until);
int sodp_odp_prefetch(struct sodp_odp *odp, unsigned long addr, u64 len,
		      enum sodp_odp_need need);

#endif /* SODP_ODP_H */
