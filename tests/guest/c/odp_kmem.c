// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What huge, sparse ODP ranges cost the kernel: an ODP MR has nothing
 * resident and must cost memory for what is mapped, not for what it
 * spans.
 *
 *   kmem-advise-64g    a 64 GiB explicit ODP MR over untouched memory,
 *                      registered and given PREFETCH_NO_FAULT advice over
 *                      all of it
 *   kmem-implicit-64t  an implicit ODP MR on each side, RDMA WRITEs, READs
 *                      and atomics aimed all over a 64 TiB PROT_NONE
 *                      reservation (each fails), local SGEs there, and
 *                      prefetch advice over it (PREFETCH fails,
 *                      NO_FAULT does nothing)
 *
 * Kernel memory is measured from /proc/meminfo before and after (the
 * page cache dropped first, so that its slab does not count): Slab
 * (SReclaimable + SUnreclaim), VmallocUsed, PageTables and KernelStack.
 * Their sum may grow by less than 4 MiB, or the test fails; each is
 * printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "odp_common.h"
#include "odp_kinds.h"

#define TiB (1024 * GiB)
#define KMEM_LIMIT (4 * MiB)

enum { KM_SLAB, KM_SUNRECLAIM, KM_VMALLOC, KM_PAGETABLES, KM_KSTACK, KM_N };
static const char *const km_field[KM_N] = {
	"Slab", "SUnreclaim", "VmallocUsed", "PageTables", "KernelStack",
};

struct kmem {
	long long kb[KM_N];
};

static void kmem_read(struct kmem *m)
{
	char line[256];
	FILE *f;
	int i;

	sync();
	T_CHECK(write_str("/proc/sys/vm/drop_caches", "3"),
		"drop_caches: %s", strerror(errno));
	f = fopen("/proc/meminfo", "r");
	T_CHECK(f, "/proc/meminfo: %s", strerror(errno));
	for (i = 0; i < KM_N; i++)
		m->kb[i] = -1;
	while (fgets(line, sizeof(line), f))
		for (i = 0; i < KM_N; i++) {
			size_t n = strlen(km_field[i]);

			if (!strncmp(line, km_field[i], n) && line[n] == ':')
				m->kb[i] = atoll(line + n + 1);
		}
	fclose(f);
	for (i = 0; i < KM_N; i++)
		T_CHECK(m->kb[i] >= 0, "/proc/meminfo has no %s", km_field[i]);
}

/* Print what grew from @a to @b; return the growth in bytes. */
static long long kmem_delta(const struct kmem *a, const struct kmem *b,
			    const char *what)
{
	long long d[KM_N], sum;
	int i;

	for (i = 0; i < KM_N; i++)
		d[i] = b->kb[i] - a->kb[i];
	sum = d[KM_SLAB] + d[KM_VMALLOC] + d[KM_PAGETABLES] + d[KM_KSTACK];
	rc_note("%s: kernel memory %+lld kB (Slab %+lld kB of which "
		"SUnreclaim %+lld kB, VmallocUsed %+lld kB, PageTables %+lld "
		"kB, KernelStack %+lld kB)", what, sum, d[KM_SLAB],
		d[KM_SUNRECLAIM], d[KM_VMALLOC], d[KM_PAGETABLES],
		d[KM_KSTACK]);
	return sum * 1024;
}

void t_kmem_advise(struct rc_env *env, long arg)
{
	const size_t len = 64 * GiB, step = 2 * GiB;
	struct rc_pair p;
	struct ibv_mr *mr;
	struct ibv_sge sg[32];
	struct kmem m0, m1, m2;
	long long grew;
	uint64_t t0;
	uint8_t *t;
	size_t i;
	int ret;

	(void)arg;
	new_pair(&p, env);
	t = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	T_CHECK(t != MAP_FAILED, "mmap(64 GiB, MAP_NORESERVE): %s",
		strerror(errno));
	T_CHECK(!madvise(t, len, MADV_NOHUGEPAGE), "MADV_NOHUGEPAGE: %s",
		strerror(errno));
	kmem_read(&m0);
	t0 = rc_now_ms();
	mr = reg_odp(p.b.pd, t, len);
	rc_note("registered 64 GiB in %llu ms",
		(unsigned long long)(rc_now_ms() - t0));
	kmem_read(&m1);
	/* SGE lengths are 32 bits: 32 SGEs of 2 GiB */
	for (i = 0; i < len / step; i++)
		sg[i] = (struct ibv_sge){ (uintptr_t)t + i * step, step,
					  mr->lkey };
	t0 = rc_now_ms();
	ret = ibv_advise_mr(p.b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT,
			    IBV_ADVISE_MR_FLAG_FLUSH, sg, len / step);
	T_CHECK(!ret, "PREFETCH_NO_FAULT over 64 GiB: %s", strerror(ret));
	rc_note("PREFETCH_NO_FAULT over 64 GiB in %llu ms",
		(unsigned long long)(rc_now_ms() - t0));
	kmem_read(&m2);
	T_EQ(resident(t, 64 * MiB), 0, "pages resident after NO_FAULT advice "
	     "(first 64 MiB)");
	kmem_delta(&m0, &m1, "registration of 64 GiB");
	kmem_delta(&m1, &m2, "PREFETCH_NO_FAULT over it");
	grew = kmem_delta(&m0, &m2, "both");
	T_CHECK(grew < (long long)KMEM_LIMIT, "a 64 GiB ODP MR with nothing "
		"resident, registered and advised, cost %lld kB of kernel "
		"memory (limit %lu kB)", grew / 1024, KMEM_LIMIT / KiB);
	T_OK(ibv_dereg_mr(mr));
	munmap(t, len);
	rc_pair_destroy(&p);
}

/* After a failed operation, fresh QPs; keeps the MRs. */
static void expect_fail_renew(struct rc_pair *p, enum ibv_wc_status st,
			      enum ibv_wc_status want, const char *what,
			      size_t at)
{
	T_CHECK(st == want, "%s at +%zu GiB of the reservation: %s, expected "
		"%s", what, at / GiB, ibv_wc_status_str(st),
		ibv_wc_status_str(want));
	renew_qps(p);
}

void t_kmem_implicit(struct rc_env *env, long arg)
{
	const int ntouch = 24;
	struct rc_pair p;
	struct rc_buf loc, rem;
	struct ibv_mr *am, *bm;
	struct ibv_sge sg[64];
	struct kmem m0, m1;
	char obj[4096];
	size_t len, gap, at, piece;
	long long grew;
	uint8_t *r = MAP_FAILED;
	int i, ret;

	(void)arg;
	/* 64 TiB, or the largest power of two below it that can be had */
	for (len = 64 * TiB; len >= GiB; len /= 2) {
		r = mmap(NULL, len, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (r != MAP_FAILED)
			break;
	}
	T_CHECK(r != MAP_FAILED, "cannot reserve even 1 GiB PROT_NONE: %s",
		strerror(errno));
	if (len != 64 * TiB)
		rc_note("64 TiB could not be reserved: using %zu GiB",
			len / GiB);
	else
		rc_note("reserved 64 TiB PROT_NONE at %p", (void *)r);
	new_pair(&p, env);
	rc_buf_alloc(&loc, "local", p.a.pd, PAGE, RC_ACCESS_ALL);
	rc_buf_alloc(&rem, "remote", p.b.pd, PAGE, RC_ACCESS_ALL);
	kmem_read(&m0);
	am = reg_implicit(p.a.pd);
	bm = reg_implicit(p.b.pd);
	gap = len / ntouch;
	for (i = 0; i < ntouch; i++) {
		/* a different 1 GiB chunk each time, at an odd offset */
		at = (size_t)i * gap + (size_t)i * 7 * PAGE + 100;
		switch (i % 4) {
		case 0:
			expect_fail_renew(&p, rdma(&p, IBV_WR_RDMA_WRITE,
				loc.mr, loc.p, 64, bm, r + at),
				IBV_WC_REM_ACCESS_ERR, "RDMA WRITE", at);
			break;
		case 1:
			expect_fail_renew(&p, rdma(&p, IBV_WR_RDMA_READ,
				loc.mr, loc.p, 3000, bm, r + at),
				IBV_WC_REM_ACCESS_ERR, "RDMA READ", at);
			break;
		case 2:
			expect_fail_renew(&p, atomic_st(&p, false, loc.mr,
				(uint64_t *)loc.p, bm,
				(uint64_t *)(r + (at & ~7UL)), 1, 0),
				IBV_WC_REM_ACCESS_ERR, "FETCH_AND_ADD", at);
			break;
		default:
			/* a local SGE there, through A's implicit MR */
			expect_fail_renew(&p, rdma(&p, IBV_WR_RDMA_WRITE, am,
				r + at, 64, rem.mr, rem.p),
				IBV_WC_LOC_PROT_ERR, "a WRITE from", at);
			break;
		}
	}
	/* advice: faulting PROT_NONE fails; NO_FAULT maps nothing */
	piece = len / 64 < 2 * GiB ? len / 64 - PAGE : 2 * GiB - PAGE;
	for (i = 0; i < 64; i++)
		sg[i] = (struct ibv_sge){ (uintptr_t)r + i * (len / 64) + PAGE,
					  piece, bm->lkey };
	ret = ibv_advise_mr(p.b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH,
			    IBV_ADVISE_MR_FLAG_FLUSH, sg, 1);
	T_CHECK(ret == EFAULT, "PREFETCH of PROT_NONE memory: %s, expected "
		"EFAULT", strerror(ret));
	ret = ibv_advise_mr(p.b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
			    IBV_ADVISE_MR_FLAG_FLUSH, sg + 1, 1);
	T_CHECK(ret == EFAULT, "PREFETCH_WRITE of PROT_NONE memory: %s, "
		"expected EFAULT", strerror(ret));
	ret = ibv_advise_mr(p.b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT,
			    IBV_ADVISE_MR_FLAG_FLUSH, sg, 64);
	T_CHECK(!ret, "PREFETCH_NO_FAULT of 64 x 2 GiB of PROT_NONE memory: "
		"%s", strerror(ret));
	kmem_read(&m1);
	mr_entry(env->dev[1], bm, obj, sizeof(obj));
	rc_note("B's implicit MR: %lld children, %lld fault errors",
		mr_cnt(obj, "odp_children"), mr_cnt(obj, "odp_fault_errors"));
	rc_healthy_transfer(&p, "after the failed accesses");
	grew = kmem_delta(&m0, &m1, "implicit MRs touched all over the "
			  "reservation");
	T_CHECK(grew < (long long)KMEM_LIMIT, "implicit ODP MRs touched over "
		"a %zu GiB PROT_NONE reservation cost %lld kB of kernel memory "
		"(limit %lu kB)", len / GiB, grew / 1024, KMEM_LIMIT / KiB);
	T_OK(ibv_dereg_mr(am));
	T_OK(ibv_dereg_mr(bm));
	rc_buf_free(&loc);
	rc_buf_free(&rem);
	rc_pair_destroy(&p);
	munmap(r, len);
}
