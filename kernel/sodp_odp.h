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

/**
 * struct sodp_odp - the device's view of one ODP region's pages
 * @notifier:	interval notifier over [@start, @end) of the registering mm
 * @lock:	entries in @blocks; held while the device touches a page
 * @blocks:	sparse page table: block number -> SODP_ODP_BLOCK entries
 * @start:	first byte of the first page (user address)
 * @end:	one past the last page
 * @sdev:	the device, for counters and as device-exclusive owner
 */
struct sodp_odp {
	struct mmu_interval_notifier notifier;
	struct mutex lock;
	struct xarray blocks;
	unsigned long start;
	unsigned long end;
	struct sodp_dev *sdev;
};

/* What an access needs from the pages it touches. */
enum sodp_odp_need {
	SODP_ODP_READ,		/* readable */
	SODP_ODP_WRITE,		/* writable; the device will write */
	SODP_ODP_SNAPSHOT,	/* nothing: map what is present, fault nothing */
};

struct sodp_odp *sodp_odp_create(struct sodp_dev *sdev, unsigned long addr,
				 u64 length);
void sodp_odp_destroy(struct sodp_odp *odp);
int sodp_odp_copy(struct sodp_odp *odp, unsigned long addr, void *buf,
		  u32 len, bool to_mr);
int sodp_odp_atomic(struct sodp_odp *odp, unsigned long addr, bool cmp_swap,
		    u64 compare_add, u64 swap, u64 *orig);
int sodp_odp_prefetch(struct sodp_odp *odp, unsigned long addr, u64 len,
		      enum sodp_odp_need need);

#endif /* SODP_ODP_H */
