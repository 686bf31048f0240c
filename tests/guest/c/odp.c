// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * odp: On-Demand Paging MRs on an RC QP pair (A requester, B responder, on
 * one device looped back or on two), checked against what the process does to its
 * own memory meanwhile: nothing pinned at registration, faults only where
 * the device touches, and the device always sees the page the process
 * sees after munmap/mmap, mprotect, madvise, fork (copy-on-write), THP,
 * hugetlb and shared file mappings.  RDMA atomics and CPU atomics on one
 * word lose no update.  ibv_advise_mr prefetches.  Implicit ODP MRs (the
 * whole address space) do all of it across chunk boundaries.
 *
 * Device counters come from /sys/class/infiniband/DEV/ports/1/hw_counters,
 * per-MR counters from restrack (`rdma -dd -j resource show mr`).
 *
 * RDMA atomics per kind of page under the word (atomic-kind-*, in
 * odp_kinds.c) and the kernel memory that huge sparse ODP ranges cost
 * (kmem-*, in odp_kmem.c).
 *
 * usage: odp -d DEV [-D DEV2] [-X DEV3] [-t PATTERN[,PATTERN...]] [-l] [-v]
 *            [--file-dir DIR] [--atomic-n N]
 *
 * -D DEV2: B (the responder, whose memory is the ODP memory in most tests)
 * on another device, so that requests and responses cross a real link.
 * -X DEV3: a third device for atomic-kind-two-devs in loopback (with -D,
 * the test uses A's device as the second one).  --atomic-n: RDMA atomics
 * racing the CPU per kind (default 2000).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "odp_common.h"
#include "odp_kinds.h"
#include "rc_runner.h"


static const char *file_dir;	/* a disk file system, for file mappings */

/* ---- tests ---- */

/* The device says it does ODP for every RC operation. */
static void t_caps(struct rc_env *env, long arg)
{
	const struct ibv_odp_caps *c = &env->dev[0]->attr.odp_caps;
	const uint32_t rc = IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_RECV |
			    IBV_ODP_SUPPORT_WRITE | IBV_ODP_SUPPORT_READ |
			    IBV_ODP_SUPPORT_ATOMIC;

	(void)arg;
	T_CHECK(c->general_caps & IBV_ODP_SUPPORT,
		"general_caps 0x%llx lacks IBV_ODP_SUPPORT",
		(unsigned long long)c->general_caps);
	T_CHECK((c->per_transport_caps.rc_odp_caps & rc) == rc,
		"rc_odp_caps 0x%x, expected at least 0x%x",
		c->per_transport_caps.rc_odp_caps, rc);
	counter(env->dev[1], "odp_faults");

	/* implicit ODP (the whole address space) is offered, and works */
	{
		struct ibv_pd *pd = ibv_alloc_pd(env->dev[0]->ctx);
		struct ibv_mr *mr;

		T_CHECK(pd, "ibv_alloc_pd: %s", strerror(errno));
		T_CHECK(c->general_caps & IBV_ODP_SUPPORT_IMPLICIT,
			"general_caps 0x%llx lacks IBV_ODP_SUPPORT_IMPLICIT",
			(unsigned long long)c->general_caps);
		mr = ibv_reg_mr(pd, NULL, SIZE_MAX,
				IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND);
		T_CHECK(mr, "implicit ODP MR: %s", strerror(errno));
		T_CHECK(!mr->addr && mr->length == SIZE_MAX,
			"implicit MR addr %p length 0x%zx", mr->addr,
			mr->length);
		T_OK(ibv_dereg_mr(mr));
		/* its iovas are the addresses: another iova is refused */
		mr = ibv_reg_mr_iova(pd, NULL, SIZE_MAX, 1ULL << 20,
				     IBV_ACCESS_LOCAL_WRITE |
				     IBV_ACCESS_ON_DEMAND);
		T_CHECK(!mr && errno == EINVAL, "implicit ODP MR at iova "
			"1 MiB: %s, expected EINVAL", mr ? "registered" :
			strerror(errno));
		/* ... and an ODP range past the address space is refused */
		mr = ibv_reg_mr(pd, (void *)(UINTPTR_MAX - 2 * PAGE + 1),
				PAGE, IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_ON_DEMAND);
		T_CHECK(!mr && errno == EFAULT, "ODP MR at the top of the "
			"address space: %s, expected EFAULT", mr ?
			"registered" : strerror(errno));
		T_OK(ibv_dealloc_pd(pd));
	}
}

/*
 * Registration pins and faults nothing; a WRITE faults the pages it
 * writes, not the neighbours it snapshots.  A 4 GiB registration of
 * untouched memory costs nothing.
 */
static void t_lazy(struct rc_env *env, long arg)
{
	const size_t len = 4096 * MiB;
	struct rc_pair p;
	struct rc_buf src;
	struct ibv_mr *mr;
	long rss0, rss1, rss2;
	long long f0, pf0, pf1, ar0, ar1;
	uint8_t *t;

	(void)arg;
	new_pair(&p, env);
	rc_buf_alloc(&src, "source", p.a.pd, 64 * KiB, RC_ACCESS_ALL);
	/* aligned, so that fault windows (16 pages) line up with tests */
	t = map_aligned(len, HUGE);
	T_CHECK(!madvise(t, len, MADV_NOHUGEPAGE), "MADV_NOHUGEPAGE");
	rss0 = resident(t, len);
	mr = reg_odp(p.b.pd, t, len);
	rss1 = resident(t, len);
	T_CHECK(rss0 == 0 && rss1 == 0,
		"registering 4 GiB made %ld pages resident", rss1 - rss0);

	f0 = counter(env->dev[1], "odp_faults");
	pf0 = counter(env->dev[1], "odp_pages_faulted");
	/* 8 KiB into the middle, not page aligned: touches 3 pages */
	rdma_ok(&p, IBV_WR_RDMA_WRITE, src.mr, src.p, 8 * KiB, mr,
		t + 2048 * MiB + 100, "WRITE into untouched ODP memory");
	rss2 = resident(t, len);
	T_CHECK(rss2 == 3, "an 8 KiB WRITE over 3 pages made %ld pages "
		"resident", rss2);
	T_CHECK(!memcmp(t + 2048 * MiB + 100, src.p, 8 * KiB),
		"the process does not see what was written");
	pf1 = counter(env->dev[1], "odp_pages_faulted");
	T_CHECK(counter(env->dev[1], "odp_faults") > f0, "no fault counted");
	T_CHECK(pf1 - pf0 == 3, "odp_pages_faulted moved by %lld, expected 3",
		pf1 - pf0);

	/* neighbours the CPU made present are mapped as a snapshot */
	memset(t + 1024 * MiB, 1, 16 * PAGE);
	ar0 = counter(env->dev[1], "odp_fault_around_pages");
	rdma_ok(&p, IBV_WR_RDMA_WRITE, src.mr, src.p, 64, mr,
		t + 1024 * MiB + 5 * PAGE, "WRITE next to present pages");
	ar1 = counter(env->dev[1], "odp_fault_around_pages");
	T_CHECK(ar1 - ar0 == 15, "odp_fault_around_pages moved by %lld, "
		"expected 15 (the rest of the 16-page window)", ar1 - ar0);
	/* ... so the next access in the window needs no fault */
	f0 = counter(env->dev[1], "odp_faults");
	rdma_ok(&p, IBV_WR_RDMA_READ, src.mr, src.p, 4 * PAGE, mr,
		t + 1024 * MiB + 9 * PAGE, "READ of fault-around pages");
	T_EQ(counter(env->dev[1], "odp_faults") - f0, 0,
	     "faults for pages already mapped by fault-around");

	T_OK(ibv_dereg_mr(mr));
	munmap(t, len);
	rc_buf_free(&src);
	rc_pair_destroy(&p);
}

/*
 * Every operation with ODP memory on both sides: WRITE, READ, SEND/RECV
 * (with 4 SGEs, not page aligned, crossing pages), atomics, 1 MiB
 * messages.
 */
static void t_ops(struct rc_env *env, long arg)
{
	const size_t len = 4 * MiB;
	struct rc_pair p;
	struct ibv_mr *am, *bm;
	struct ibv_send_wr wr;
	struct ibv_sge sg[4], rsg[4];
	struct ibv_wc wc;
	uint8_t *a, *b;
	uint64_t *word;
	int i;

	(void)arg;
	new_pair(&p, env);
	a = map_anon(len, 0);
	b = map_anon(len, 0);
	am = reg_odp(p.a.pd, a, len);
	bm = reg_odp(p.b.pd, b, len);

	fill(a, MiB, 1);
	rdma_ok(&p, IBV_WR_RDMA_WRITE, am, a, MiB, bm, b + 333,
		"1 MiB WRITE, ODP to ODP");
	T_PATTERN(b + 333, MiB, 1, "WRITE target");

	fill(b + 2 * MiB, MiB, 2);
	rdma_ok(&p, IBV_WR_RDMA_READ, am, a + MiB + 7, MiB, bm, b + 2 * MiB,
		"1 MiB READ, ODP to ODP");
	T_PATTERN(a + MiB + 7, MiB, 2, "READ target");

	/* SEND from 4 scattered pieces into 4 scattered receive pieces */
	fill(a + 3 * MiB, 64 * KiB, 3);
	for (i = 0; i < 4; i++) {
		sg[i] = (struct ibv_sge){
			.addr = (uintptr_t)(a + 3 * MiB + i * 16 * KiB),
			.length = 16 * KiB, .lkey = am->lkey,
		};
		rsg[i] = (struct ibv_sge){
			.addr = (uintptr_t)(b + 3 * MiB + i * 100 * KiB + 11),
			.length = 16 * KiB, .lkey = bm->lkey,
		};
	}
	rc_post_recv(&p.b, 0x5ec, rsg, 4);
	rc_wr(&wr, sg, 4, 0x5e1, IBV_WR_SEND, IBV_SEND_SIGNALED);
	rc_post_send(&p.a, &wr);
	rc_poll(p.a.scq, &wc, 1, "the SEND");
	T_CHECK(wc.status == IBV_WC_SUCCESS, "SEND: %s",
		ibv_wc_status_str(wc.status));
	rc_poll(p.b.rcq, &wc, 1, "the receive");
	T_CHECK(wc.status == IBV_WC_SUCCESS && wc.byte_len == 64 * KiB,
		"receive: %s, %u bytes", ibv_wc_status_str(wc.status),
		wc.byte_len);
	for (i = 0; i < 4; i++)
		T_CHECK(!memcmp(b + 3 * MiB + i * 100 * KiB + 11,
				a + 3 * MiB + i * 16 * KiB, 16 * KiB),
			"receive piece %d differs", i);

	/* atomics on an untouched ODP word, result into untouched ODP */
	word = (uint64_t *)(b + len - PAGE);
	T_EQ(atomic_op(&p, false, am, (uint64_t *)(a + len - 64), bm, word,
		       5, 0), 0, "fetch-and-add on a fresh page returned");
	T_EQ(atomic_op(&p, true, am, (uint64_t *)(a + len - 64), bm, word,
		       5, 77), 5, "compare-and-swap returned");
	T_EQ(*word, 77, "the word after the atomics");

	T_OK(ibv_dereg_mr(am));
	T_OK(ibv_dereg_mr(bm));
	munmap(a, len);
	munmap(b, len);
	rc_pair_destroy(&p);
}

struct adder {
	uint64_t *word;
	long n;			/* adds done */
	volatile bool go, stop;
};

/* Adds 1 until told to stop, for as long as the RDMA side runs. */
static void *cpu_adder(void *arg)
{
	struct adder *ad = arg;

	while (!ad->go)
		;
	while (!ad->stop) {
		__atomic_fetch_add(ad->word, 1, __ATOMIC_SEQ_CST);
		ad->n++;
	}
	return NULL;
}

/* RDMA and CPU fetch-and-adds on the same ODP word lose nothing. */
static void t_atomic_vs_cpu(struct rc_env *env, long arg)
{
	const long nrdma = 3000;
	const uint64_t big = 1ULL << 32;
	struct adder ad = {};
	struct rc_pair p;
	struct rc_buf res;
	struct ibv_mr *mr;
	long long g0, r0, fb0;
	pthread_t th;
	uint8_t *t;
	long i;

	(void)arg;
	new_pair(&p, env);
	rc_buf_alloc(&res, "result", p.a.pd, PAGE, RC_ACCESS_ALL);
	t = map_anon(16 * PAGE, 0);
	mr = reg_odp(p.b.pd, t, 16 * PAGE);
	ad.word = (uint64_t *)(t + 5 * PAGE + 64);
	g0 = counter(env->dev[1], "odp_exclusive_grants");
	r0 = counter(env->dev[1], "odp_exclusive_revocations");
	fb0 = counter(env->dev[1], "odp_atomic_fallbacks");
	T_CHECK(!pthread_create(&th, NULL, cpu_adder, &ad), "pthread_create");
	ad.go = true;
	for (i = 0; i < nrdma; i++)
		atomic_op(&p, false, res.mr, (uint64_t *)res.p, mr, ad.word,
			  big, 0);
	ad.stop = true;
	pthread_join(th, NULL);
	rc_note("%d RDMA and %ld CPU fetch-and-adds", (int)nrdma, ad.n);
	T_CHECK(ad.n > 1000, "the CPU thread hardly ran (%ld adds)", ad.n);
	T_EQ(*ad.word, ad.n + nrdma * big, "the word after both adders");
	g0 = counter(env->dev[1], "odp_exclusive_grants") - g0;
	r0 = counter(env->dev[1], "odp_exclusive_revocations") - r0;
	fb0 = counter(env->dev[1], "odp_atomic_fallbacks") - fb0;
	rc_note("%lld exclusive grants, %lld revocations, %lld fallbacks",
		g0, r0, fb0);
	if (rc_odp_exclusive()) {
		T_CHECK(g0 > 0 && r0 > 0, "the page went device-exclusive "
			"%lld times and was revoked %lld times: expected both",
			g0, r0);
		T_EQ(fb0, 0, "fallback atomics on anonymous memory");
	} else {
		/* no device-exclusive entries: each atomic falls back once */
		T_EQ(g0 + r0, 0, "grants and revocations, odp_exclusive off");
		T_EQ(fb0, nrdma, "fallback atomics, odp_exclusive off");
	}
	T_OK(ibv_dereg_mr(mr));
	munmap(t, 16 * PAGE);
	rc_buf_free(&res);
	rc_pair_destroy(&p);
}

/*
 * Device-exclusive: the first RDMA atomic makes the page exclusive, later
 * ones reuse it; a CPU read ends it (and sees the result); the next RDMA
 * atomic takes it again.  Pages that cannot be exclusive (shared memory)
 * fall back, still exact.
 */
static void t_atomic_excl(struct rc_env *env, long arg)
{
	struct rc_pair p;
	struct rc_buf res;
	struct ibv_mr *mr;
	long long g0, r0, fb0;
	volatile uint64_t *w;
	bool excl = rc_odp_exclusive();
	uint8_t *t;
	int i;

	(void)arg;
	new_pair(&p, env);
	rc_buf_alloc(&res, "result", p.a.pd, PAGE, RC_ACCESS_ALL);
	t = map_anon(4 * PAGE, 0);
	mr = reg_odp(p.b.pd, t, 4 * PAGE);
	w = (uint64_t *)(t + PAGE + 8);

	/*
	 * With odp_exclusive off, no grant and no revocation: every atomic
	 * is a fallback, and the CPU's read of the word ends nothing.
	 */
	g0 = counter(env->dev[1], "odp_exclusive_grants");
	r0 = counter(env->dev[1], "odp_exclusive_revocations");
	fb0 = counter(env->dev[1], "odp_atomic_fallbacks");
	for (i = 0; i < 10; i++)
		atomic_op(&p, false, res.mr, (uint64_t *)res.p, mr,
			  (uint64_t *)w, 3, 0);
	T_EQ(counter(env->dev[1], "odp_exclusive_grants") - g0, excl ? 1 : 0,
	     "grants for 10 atomics on one page");
	T_EQ(counter(env->dev[1], "odp_exclusive_revocations") - r0, 0,
	     "revocations before the CPU touched the page");
	T_EQ(*w, 30, "the word, read by the CPU");
	T_EQ(counter(env->dev[1], "odp_exclusive_revocations") - r0,
	     excl ? 1 : 0, "revocations after the CPU read the word");
	T_EQ(atomic_op(&p, true, res.mr, (uint64_t *)res.p, mr,
		       (uint64_t *)w, 30, 99), 30, "compare-and-swap returned");
	T_EQ(counter(env->dev[1], "odp_exclusive_grants") - g0, excl ? 2 : 0,
	     "grants after the CPU's touch");
	*w += 1;
	T_EQ(atomic_op(&p, false, res.mr, (uint64_t *)res.p, mr,
		       (uint64_t *)w, 0, 0), 100, "fetch-and-add returned");
	T_EQ(counter(env->dev[1], "odp_atomic_fallbacks") - fb0, excl ? 0 : 12,
	     "fallback atomics on anonymous memory");
	T_OK(ibv_dereg_mr(mr));
	munmap(t, 4 * PAGE);

	/* shared memory cannot be device-exclusive: the fallback */
	t = map_memfd("sodp-odp-atomic", PAGE);
	mr = reg_odp(p.b.pd, t, PAGE);
	fb0 = counter(env->dev[1], "odp_atomic_fallbacks");
	for (i = 0; i < 10; i++)
		atomic_op(&p, false, res.mr, (uint64_t *)res.p, mr,
			  (uint64_t *)t, 7, 0);
	T_EQ(*(uint64_t *)t, 70, "the shared word");
	T_EQ(counter(env->dev[1], "odp_atomic_fallbacks") - fb0, 10,
	     "fallback atomics on shared memory");
	T_OK(ibv_dereg_mr(mr));
	munmap(t, PAGE);

	rc_buf_free(&res);
	rc_pair_destroy(&p);
}

/* munmap and a new mapping at the same address: the device follows. */
static void t_remap(struct rc_env *env, long arg)
{
	const size_t len = 64 * PAGE;
	struct rc_pair p;
	struct rc_buf src;
	struct ibv_mr *mr;
	long long inv0;
	uint8_t *t;

	(void)arg;
	new_pair(&p, env);
	rc_buf_alloc(&src, "source", p.a.pd, len, RC_ACCESS_ALL);
	t = map_anon(len, 0);
	mr = reg_odp(p.b.pd, t, len);
	fill(src.p, len, 10);
	rdma_ok(&p, IBV_WR_RDMA_WRITE, src.mr, src.p, len, mr, t,
		"WRITE before the remap");
	T_PATTERN(t, len, 10, "before the remap");

	inv0 = counter(env->dev[1], "odp_invalidations");
	T_CHECK(munmap(t, len) == 0, "munmap");
	T_CHECK(mmap(t, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == t,
		"mmap at the old address: %s", strerror(errno));
	T_CHECK(counter(env->dev[1], "odp_invalidations") > inv0,
		"munmap invalidated nothing");
	fill(t, len, 11);
	rdma_ok(&p, IBV_WR_RDMA_READ, src.mr, src.p, len, mr, t,
		"READ after the remap");
	T_PATTERN(src.p, len, 11, "READ of the new mapping (stale page?)");
	fill(src.p, len, 12);
	rdma_ok(&p, IBV_WR_RDMA_WRITE, src.mr, src.p, len, mr, t,
		"WRITE after the remap");
	T_PATTERN(t, len, 12, "the new mapping after a WRITE");

	T_OK(ibv_dereg_mr(mr));
	munmap(t, len);
	rc_buf_free(&src);
	rc_pair_destroy(&p);
}

/*
 * A hole in the middle of an ODP MR: accesses next to it work (fault-around
 * walks across it), an access into it fails with the IBTA error on that QP
 * only, and once the hole is mapped it works (nothing negative cached).
 * Arg 0: the hole is remote (REM_ACCESS_ERR); 1: local (LOC_PROT_ERR).
 */
static void t_hole(struct rc_env *env, long arg)
{
	const size_t len = 32 * PAGE;
	bool local = arg;
	struct rc_pair p, other;
	struct rc_buf buf;
	struct ibv_mr *mr;
	struct ibv_pd *pd;
	uint8_t *t, *hole;

	new_pair(&p, env);
	new_pair(&other, env);
	pd = local ? p.a.pd : p.b.pd;
	rc_buf_alloc(&buf, "peer", local ? p.b.pd : p.a.pd, len,
		     RC_ACCESS_ALL);
	t = map_anon(len, 0);
	memset(t, 0x5a, len);
	hole = t + 8 * PAGE;
	T_CHECK(munmap(hole, 2 * PAGE) == 0, "munmap");
	mr = reg_odp(pd, t, len);

#define ACCESS(q, off, n) (local ? rdma(q, IBV_WR_RDMA_WRITE, mr, t + (off), n, \
				 buf.mr, buf.p) :                      \
			    rdma(q, IBV_WR_RDMA_WRITE, buf.mr, buf.p, n, mr,   \
				 t + (off)))
	T_EQ(ACCESS(&p, 7 * PAGE, PAGE), IBV_WC_SUCCESS,
	     "access to the page before the hole");
	T_EQ(ACCESS(&p, 10 * PAGE, PAGE), IBV_WC_SUCCESS,
	     "access to the page after the hole");
	T_EQ(ACCESS(&p, 7 * PAGE + 100, PAGE),
	     local ? IBV_WC_LOC_PROT_ERR : IBV_WC_REM_ACCESS_ERR,
	     "access running into the hole");
	T_CHECK(rc_wait_qp_state(p.a.qp, IBV_QPS_ERR, 2000),
		"A's QP did not enter the error state");
	rc_healthy_transfer(&other, "another QP pair meanwhile");

	T_CHECK(mmap(hole, 2 * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == hole,
		"mmap into the hole: %s", strerror(errno));
	T_OK(ibv_dereg_mr(mr));
	rc_buf_free(&buf);
	rc_pair_destroy(&p);
	new_pair(&p, env);
	mr = reg_odp(local ? p.a.pd : p.b.pd, t, len);
	rc_buf_alloc(&buf, "peer", local ? p.b.pd : p.a.pd, len,
		     RC_ACCESS_ALL);
	T_EQ(ACCESS(&p, 7 * PAGE + 100, PAGE), IBV_WC_SUCCESS,
	     "the same access once the hole is mapped");
#undef ACCESS

	T_OK(ibv_dereg_mr(mr));
	munmap(t, len);
	rc_buf_free(&buf);
	rc_pair_destroy(&p);
	rc_pair_destroy(&other);
}

/* mprotect: a read-only page takes READs, refuses WRITEs; back to RW. */
static void t_mprotect(struct rc_env *env, long arg)
{
	const size_t len = 16 * PAGE;
	struct rc_pair p;
	struct rc_buf buf;
	struct ibv_mr *mr;
	uint8_t *t;

	(void)arg;
	new_pair(&p, env);
	rc_buf_alloc(&buf, "peer", p.a.pd, len, RC_ACCESS_ALL);
	t = map_anon(len, 0);
	mr = reg_odp(p.b.pd, t, len);
	fill(buf.p, len, 20);
	rdma_ok(&p, IBV_WR_RDMA_WRITE, buf.mr, buf.p, len, mr, t,
		"WRITE while read-write");
	T_CHECK(mprotect(t, len, PROT_READ) == 0, "mprotect");
	rdma_ok(&p, IBV_WR_RDMA_READ, buf.mr, buf.p, len, mr, t,
		"READ while read-only");
	T_PATTERN(buf.p, len, 20, "READ while read-only");
	rdma_fails(&p, IBV_WR_RDMA_WRITE, buf.mr, buf.p, 64, mr, t + PAGE,
		   IBV_WC_REM_ACCESS_ERR, "WRITE while read-only");
	T_PATTERN(t, len, 20, "read-only memory after a refused WRITE");
	T_CHECK(mprotect(t, len, PROT_READ | PROT_WRITE) == 0, "mprotect");
	T_OK(ibv_dereg_mr(mr));
	rc_buf_free(&buf);
	rc_pair_destroy(&p);
	new_pair(&p, env);
	mr = reg_odp(p.b.pd, t, len);
	rc_buf_alloc(&buf, "peer", p.a.pd, len, RC_ACCESS_ALL);
	fill(buf.p, len, 21);
	rdma_ok(&p, IBV_WR_RDMA_WRITE, buf.mr, buf.p, len, mr, t,
		"WRITE once read-write again");
	T_PATTERN(t, len, 21, "after mprotect back to read-write");

	T_OK(ibv_dereg_mr(mr));
	munmap(t, len);
	rc_buf_free(&buf);
	rc_pair_destroy(&p);
}

/* MADV_DONTNEED drops the pages: the device reads zeros, as the CPU does. */
static void t_dontneed(struct rc_env *env, long arg)
{
	const size_t len = 64 * PAGE;
	struct rc_pair p;
	struct rc_buf buf;
	struct ibv_mr *mr;
	uint8_t *t;

	(void)arg;
	new_pair(&p, env);
	rc_buf_alloc(&buf, "peer", p.a.pd, len, RC_ACCESS_ALL);
	t = map_anon(len, 0);
	mr = reg_odp(p.b.pd, t, len);
	fill(buf.p, len, 30);
	rdma_ok(&p, IBV_WR_RDMA_WRITE, buf.mr, buf.p, len, mr, t, "WRITE");
	T_PATTERN(t, len, 30, "after the WRITE");
	T_CHECK(madvise(t + 16 * PAGE, 32 * PAGE, MADV_DONTNEED) == 0,
		"madvise");
	rdma_ok(&p, IBV_WR_RDMA_READ, buf.mr, buf.p, len, mr, t, "READ");
	T_PATTERN(buf.p, 16 * PAGE, 30, "READ of the kept pages");
	T_CHECK(all_zero(buf.p + 16 * PAGE, 32 * PAGE),
		"READ of dropped pages returned old data, not zeros");
	T_CHECK(check_off(buf.p + 48 * PAGE, 16 * PAGE, 30, 48 * PAGE) < 0,
		"READ of the kept tail differs");
	T_CHECK(all_zero(t + 16 * PAGE, 32 * PAGE), "the CPU sees old data");

	T_OK(ibv_dereg_mr(mr));
	munmap(t, len);
	rc_buf_free(&buf);
	rc_pair_destroy(&p);
}

/*
 * fork: the parent's pages become copy-on-write.  The device must keep
 * using the parent's pages: a CPU write in the parent (which copies the
 * page) is what the device then reads, and a device write lands in the
 * parent, never in the child.
 */
static void t_fork(struct rc_env *env, long arg)
{
	const size_t len = 8 * PAGE;
	int to_child[2], to_parent[2], status;
	struct rc_pair p;
	struct rc_buf buf;
	struct ibv_mr *mr;
	uint8_t *t, c;
	pid_t pid;

	(void)arg;
	new_pair(&p, env);
	rc_buf_alloc(&buf, "peer", p.a.pd, len, RC_ACCESS_ALL);
	t = map_anon(len, 0);
	mr = reg_odp(p.b.pd, t, len);
	fill(buf.p, len, 40);
	rdma_ok(&p, IBV_WR_RDMA_WRITE, buf.mr, buf.p, len, mr, t,
		"WRITE before fork");

	T_CHECK(!pipe(to_child) && !pipe(to_parent), "pipe");
	pid = fork();
	T_CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		/* the child sees the pre-fork data, whatever the parent does */
		int bad = check(t, len, 40) >= 0;

		if (write(to_parent[1], "r", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(3);
		bad |= (check(t, len, 40) >= 0) << 1;
		_exit(bad);
	}
	T_CHECK(read(to_parent[0], &c, 1) == 1, "child did not start");

	/* the parent writes page 0 with the CPU: COW copies it */
	fill(t, PAGE, 41);
	rdma_ok(&p, IBV_WR_RDMA_READ, buf.mr, buf.p, PAGE, mr, t,
		"READ after the parent's copy-on-write");
	T_PATTERN(buf.p, PAGE, 41, "READ of the parent's written page");
	/* the device writes page 1 (still shared with the child) */
	fill(buf.p + PAGE, PAGE, 42);
	rdma_ok(&p, IBV_WR_RDMA_WRITE, buf.mr, buf.p + PAGE, PAGE, mr,
		t + PAGE, "WRITE to a page shared with the child");
	T_PATTERN(t + PAGE, PAGE, 42, "the parent's page after the WRITE");

	T_CHECK(write(to_child[1], "g", 1) == 1, "pipe");
	T_CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		"the child saw its memory change (status 0x%x: bit 1 = after "
		"the parent's CPU and device writes)", status);

	T_OK(ibv_dereg_mr(mr));
	munmap(t, len);
	rc_buf_free(&buf);
	rc_pair_destroy(&p);
}

/*
 * Transparent huge pages: whole 2 MiB pages (they must really be THPs:
 * AnonHugePages), and splitting one (thp_split_pmd must move).
 */
static void t_thp(struct rc_env *env, long arg)
{
	const size_t len = 2 * HUGE;
	struct rc_pair p;
	struct rc_buf buf;
	struct ibv_mr *mr;
	long long split0;
	uint8_t *t;

	(void)arg;
	new_pair(&p, env);
	rc_buf_alloc(&buf, "peer", p.a.pd, len, RC_ACCESS_ALL);
	t = map_thp(len);
	mr = reg_odp(p.b.pd, t, len);
	fill(buf.p, len, 50);
	rdma_ok(&p, IBV_WR_RDMA_WRITE, buf.mr, buf.p, len, mr, t,
		"WRITE over two huge pages");
	T_PATTERN(t, len, 50, "huge pages after the WRITE");
	rc_note("AnonHugePages after the WRITE: %lld kB",
		smaps_kb(t, "AnonHugePages"));
	/* drop the middle of the first huge page: it is split */
	split0 = vmstat("thp_split_pmd");
	T_CHECK(madvise(t + HUGE / 2, HUGE / 2, MADV_DONTNEED) == 0,
		"madvise");
	T_CHECK(vmstat("thp_split_pmd") > split0, "MADV_DONTNEED of half a "
		"huge page split no PMD (thp_split_pmd did not move)");
	rdma_ok(&p, IBV_WR_RDMA_READ, buf.mr, buf.p, len, mr, t,
		"READ after the split");
	T_PATTERN(buf.p, HUGE / 2, 50, "before the dropped range");
	T_CHECK(all_zero(buf.p + HUGE / 2, HUGE / 2),
		"READ of dropped huge-page memory returned old data");
	T_CHECK(check_off(buf.p + HUGE, HUGE, 50, HUGE) < 0,
		"READ of the second huge page differs");

	T_OK(ibv_dereg_mr(mr));
	munmap(t, len);
	rc_buf_free(&buf);
	rc_pair_destroy(&p);
}

/* hugetlbfs pages (the test script reserves some). */
static void t_hugetlb(struct rc_env *env, long arg)
{
	const size_t len = 2 * HUGE;
	struct rc_pair p;
	struct rc_buf buf;
	struct ibv_mr *mr;
	uint8_t *t;

	(void)arg;
	new_pair(&p, env);
	rc_buf_alloc(&buf, "peer", p.a.pd, len, RC_ACCESS_ALL);
	t = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	T_CHECK(t != MAP_FAILED, "mmap(MAP_HUGETLB): %s (are huge pages "
		"reserved? /proc/sys/vm/nr_hugepages)", strerror(errno));
	mr = reg_odp(p.b.pd, t, len);
	fill(buf.p, len, 60);
	rdma_ok(&p, IBV_WR_RDMA_WRITE, buf.mr, buf.p + 100, len - 200, mr,
		t + 100, "WRITE into hugetlb pages");
	T_CHECK(!memcmp(t + 100, buf.p + 100, len - 200),
		"hugetlb memory after the WRITE");
	fill(t, len, 61);
	rdma_ok(&p, IBV_WR_RDMA_READ, buf.mr, buf.p, len, mr, t,
		"READ of hugetlb pages");
	T_PATTERN(buf.p, len, 61, "READ of hugetlb pages");

	T_OK(ibv_dereg_mr(mr));
	munmap(t, len);
	rc_buf_free(&buf);
	rc_pair_destroy(&p);
}

/*
 * A shared file mapping: what the device writes reaches the file (read
 * back with pread after munmap, sync and dropping the page cache), and
 * what is written to the file is what the device reads.
 * Arg 0: /dev/shm (tmpfs); 1: --file-dir (a disk file system).
 */
static void t_file(struct rc_env *env, long arg)
{
	const size_t len = 256 * KiB;
	struct rc_pair p;
	struct rc_buf buf;
	struct ibv_mr *mr;
	char path[512];
	uint8_t *t, *back;
	int fd;

	T_CHECK(arg == 0 || file_dir, "no --file-dir given");
	snprintf(path, sizeof(path), "%s/sodp-odp-%d",
		 arg ? file_dir : "/dev/shm", (int)getpid());
	new_pair(&p, env);
	rc_buf_alloc(&buf, "peer", p.a.pd, len, RC_ACCESS_ALL);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	T_CHECK(fd >= 0, "%s: %s", path, strerror(errno));
	unlink(path);
	T_CHECK(ftruncate(fd, len) == 0, "ftruncate");
	t = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	T_CHECK(t != MAP_FAILED, "mmap(%s): %s", path, strerror(errno));
	mr = reg_odp(p.b.pd, t, len);

	fill(buf.p, len, 70);
	rdma_ok(&p, IBV_WR_RDMA_WRITE, buf.mr, buf.p, len, mr, t,
		"WRITE into a shared file mapping");
	T_OK(ibv_dereg_mr(mr));
	T_CHECK(munmap(t, len) == 0, "munmap");
	sync();
	{
		int dc = open("/proc/sys/vm/drop_caches", O_WRONLY);

		T_CHECK(dc >= 0 && write(dc, "3", 1) == 1,
			"drop_caches: %s", strerror(errno));
		close(dc);
	}
	back = malloc(len);
	T_CHECK(back && pread(fd, back, len, 0) == (ssize_t)len, "pread");
	T_PATTERN(back, len, 70, "the file after the device's WRITE");

	fill(back, len, 71);
	T_CHECK(pwrite(fd, back, len, 0) == (ssize_t)len, "pwrite");
	t = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	T_CHECK(t != MAP_FAILED, "mmap again: %s", strerror(errno));
	mr = reg_odp(p.b.pd, t, len);
	rdma_ok(&p, IBV_WR_RDMA_READ, buf.mr, buf.p, len, mr, t,
		"READ of a shared file mapping");
	T_PATTERN(buf.p, len, 71, "READ of what pwrite wrote");

	T_OK(ibv_dereg_mr(mr));
	munmap(t, len);
	close(fd);
	free(back);
	rc_buf_free(&buf);
	rc_pair_destroy(&p);
}

/* ibv_advise_mr: prefetch faults ahead, NO_FAULT only maps what is there. */
static void t_prefetch(struct rc_env *env, long arg)
{
	const size_t len = 256 * PAGE;
	struct rc_pair p;
	struct rc_buf buf;
	struct ibv_mr *mr;
	struct ibv_sge sg;
	long long f0, pre0;
	long rss0, rss1;
	uint8_t *t;
	int ret;

	(void)arg;
	new_pair(&p, env);
	rc_buf_alloc(&buf, "peer", p.a.pd, len, RC_ACCESS_ALL);
	t = map_anon(len, 0);
	mr = reg_odp(p.b.pd, t, len);

	sg = (struct ibv_sge){ (uintptr_t)t, 64 * PAGE, mr->lkey };
	ret = ibv_advise_mr(p.b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT,
			    IBV_ADVISE_MR_FLAG_FLUSH, &sg, 1);
	T_CHECK(!ret, "PREFETCH_NO_FAULT: %s", strerror(ret));
	rss0 = resident(t, len);
	T_CHECK(rss0 == 0, "PREFETCH_NO_FAULT made %ld pages resident", rss0);

	pre0 = counter(env->dev[1], "odp_prefetches");
	sg = (struct ibv_sge){ (uintptr_t)t + 64 * PAGE, 128 * PAGE,
			       mr->lkey };
	ret = ibv_advise_mr(p.b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
			    IBV_ADVISE_MR_FLAG_FLUSH, &sg, 1);
	T_CHECK(!ret, "PREFETCH_WRITE: %s", strerror(ret));
	rss1 = resident(t, len);
	T_CHECK(rss1 == 128, "PREFETCH_WRITE of 128 pages made %ld "
		"resident", rss1);
	T_CHECK(counter(env->dev[1], "odp_prefetches") > pre0,
		"odp_prefetches did not move");

	f0 = counter(env->dev[1], "odp_faults");
	fill(buf.p, 128 * PAGE, 80);
	rdma_ok(&p, IBV_WR_RDMA_WRITE, buf.mr, buf.p, 128 * PAGE, mr,
		t + 64 * PAGE, "WRITE into prefetched pages");
	T_EQ(counter(env->dev[1], "odp_faults") - f0, 0,
	     "faults for a WRITE into prefetched pages");
	T_PATTERN(t + 64 * PAGE, 128 * PAGE, 80, "prefetched pages");

	/* errors: a wrong lkey, a range outside the MR, another PD */
	sg = (struct ibv_sge){ (uintptr_t)t, PAGE, mr->lkey ^ 0x100 };
	ret = ibv_advise_mr(p.b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0, &sg, 1);
	T_CHECK(ret == EINVAL, "a wrong lkey: %s, expected EINVAL",
		strerror(ret));
	sg = (struct ibv_sge){ (uintptr_t)t + len - PAGE, 2 * PAGE,
			       mr->lkey };
	ret = ibv_advise_mr(p.b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0, &sg, 1);
	T_CHECK(ret == EINVAL, "a range past the MR: %s, expected EINVAL",
		strerror(ret));
	sg = (struct ibv_sge){ (uintptr_t)t, PAGE, mr->lkey };
	ret = ibv_advise_mr(p.a.pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0, &sg, 1);
	T_CHECK(ret == EINVAL, "another PD's MR: %s, expected EINVAL",
		strerror(ret));
	/* a prefetch of unmapped memory fails, and harms nothing */
	T_CHECK(munmap(t + 200 * PAGE, PAGE) == 0, "munmap");
	sg = (struct ibv_sge){ (uintptr_t)t + 199 * PAGE, 3 * PAGE,
			       mr->lkey };
	ret = ibv_advise_mr(p.b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH,
			    IBV_ADVISE_MR_FLAG_FLUSH, &sg, 1);
	T_CHECK(ret == EFAULT, "prefetch over a hole: %s, expected EFAULT",
		strerror(ret));
	rc_healthy_transfer(&p, "the pair after the advice errors");

	T_OK(ibv_dereg_mr(mr));
	munmap(t, len);
	rc_buf_free(&buf);
	rc_pair_destroy(&p);
}

/* A thread working on a memory area until told to stop. */
struct mem_thread {
	uint8_t *t;
	size_t len;
	volatile bool stop;
	long rounds;
};

static void *churner(void *arg)
{
	struct mem_thread *c = arg;
	size_t off = 0;

	while (!c->stop) {
		madvise(c->t + off, 8 * PAGE, MADV_DONTNEED);
		c->t[(off + 3 * PAGE) % c->len] = 1;	/* fault one back */
		off = (off + 5 * PAGE) % (c->len - 8 * PAGE);
		c->rounds++;
	}
	return NULL;
}

/*
 * Invalidations racing the device: a thread drops and re-faults pages of
 * the target while WRITEs and READs run into it.  Every operation must
 * complete successfully (a dropped page is faulted again); afterwards a
 * WRITE over everything is seen exactly.
 */
static void t_churn(struct rc_env *env, long arg)
{
	const size_t len = 256 * PAGE;
	struct mem_thread c = { .len = len };
	struct rc_pair p;
	struct rc_buf buf;
	struct ibv_mr *mr;
	long long inv0, inv1;
	pthread_t th;
	int i;

	(void)arg;
	new_pair(&p, env);
	rc_buf_alloc(&buf, "peer", p.a.pd, len, RC_ACCESS_ALL);
	c.t = map_anon(len, 0);
	mr = reg_odp(p.b.pd, c.t, len);
	inv0 = counter(env->dev[1], "odp_invalidations");
	T_CHECK(!pthread_create(&th, NULL, churner, &c), "pthread_create");
	for (i = 0; i < 300; i++) {
		size_t off = (size_t)(i * 7919 % 200) * PAGE + i % 64;

		rdma_ok(&p, i % 3 ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ,
			buf.mr, buf.p, 16 * PAGE, mr, c.t + off,
			"an operation under churn");
	}
	c.stop = true;
	pthread_join(th, NULL);
	inv1 = counter(env->dev[1], "odp_invalidations");
	rc_note("%ld madvise rounds, %lld invalidations", c.rounds,
		inv1 - inv0);
	T_CHECK(inv1 - inv0 > 10, "only %lld invalidations under churn",
		inv1 - inv0);
	fill(buf.p, len, 90);
	rdma_ok(&p, IBV_WR_RDMA_WRITE, buf.mr, buf.p, len, mr, c.t,
		"the final WRITE");
	T_PATTERN(c.t, len, 90, "after the churn");

	T_OK(ibv_dereg_mr(mr));
	munmap(c.t, len);
	rc_buf_free(&buf);
	rc_pair_destroy(&p);
}

/*
 * Fires invalidations over the whole target without taking any right
 * away: PROT_EXEC on and off, so every fault of the device that a round
 * overlaps is spoiled and must walk again, while the data stays.
 */
static void *storm(void *arg)
{
	struct mem_thread *st = arg;

	while (!st->stop) {
		mprotect(st->t, st->len, PROT_READ | PROT_WRITE | PROT_EXEC);
		mprotect(st->t, st->len, PROT_READ | PROT_WRITE);
		st->rounds++;
	}
	return NULL;
}

/*
 * An invalidation storm under long messages with a short ACK timeout
 * (timeout 14, 67 ms: perftest's; retry_cnt 7).  B's faults keep losing
 * races, but the requester must never run out of retries: the responder
 * answers RNR NAKs (rnr_retry 7: for ever) before A's timer would expire,
 * instead of faulting for as long as the faults need.  1 MiB WRITEs, READs
 * of what was written and fetch-and-adds, for a number of rounds: every
 * operation succeeds, data and sums are exact, and no error NAK is sent.
 * @shared: the target is a shared memfd mapping, which cannot be made
 * device-exclusive: every fetch-and-add takes the fallback (a writable
 * entry and a locked instruction), which must make progress under the
 * storm as the exclusive conversion does.
 */
static void t_storm(struct rc_env *env, long shared)
{
	const size_t len = 4 * MiB, msg = MiB;
	struct mem_thread st = { .len = len };
	long long rnr0, ret0, err0, def0, fb0, inv0, inv, rtx0;
	struct rc_pair p;
	struct rc_cfg cfg;
	struct rc_buf buf;
	struct ibv_mr *mr;
	uint64_t *word;
	pthread_t th;
	int round, i;

	rc_cfg_default(&cfg);
	cfg.timeout = 14;
	cfg.retry_cnt = 7;
	cfg.rnr_retry = 7;
	rc_pair_create(&p, env, &cfg);
	rc_buf_alloc(&buf, "peer", p.a.pd, msg, RC_ACCESS_ALL);
	st.t = shared ? map_memfd("sodp-odp-storm", len) : map_anon(len, 0);
	mr = reg_odp(p.b.pd, st.t, len);
	word = (uint64_t *)(st.t + len - PAGE);
	rnr0 = counter(env->dev[1], "rnr_nak_sent");
	err0 = counter(env->dev[1], "error_nak_sent");
	ret0 = counter(env->dev[1], "odp_retries");
	def0 = counter(env->dev[1], "odp_deferred");
	fb0 = counter(env->dev[1], "odp_atomic_fallbacks");
	inv0 = counter(env->dev[1], "odp_invalidations");
	rtx0 = counter(env->dev[0], "retransmits");
	T_CHECK(!pthread_create(&th, NULL, storm, &st), "pthread_create");
	for (round = 0; round < 6; round++) {
		size_t off = (size_t)round * 512 * KiB + round * 8;

		fill(buf.p, msg, 200 + round);
		rdma_ok(&p, IBV_WR_RDMA_WRITE, buf.mr, buf.p, msg, mr,
			st.t + off, "a 1 MiB WRITE under the storm");
		memset(buf.p, 0, msg);
		rdma_ok(&p, IBV_WR_RDMA_READ, buf.mr, buf.p, msg, mr,
			st.t + off, "a 1 MiB READ under the storm");
		T_PATTERN(buf.p, msg, 200 + round, "READ back under the storm");
		for (i = 0; i < 20; i++)
			atomic_op(&p, false, buf.mr, (uint64_t *)buf.p, mr,
				  word, 3, 0);
	}
	st.stop = true;
	pthread_join(th, NULL);
	inv = counter(env->dev[1], "odp_invalidations") - inv0;
	T_EQ(*word, 6 * 20 * 3, "the word after the fetch-and-adds");
	rc_note("%ld mprotect rounds; B: odp_invalidations +%lld, odp_retries "
		"+%lld, odp_deferred +%lld, rnr_nak_sent +%lld, "
		"odp_atomic_fallbacks +%lld; A: retransmits +%lld",
		st.rounds, inv, counter(env->dev[1], "odp_retries") - ret0,
		counter(env->dev[1], "odp_deferred") - def0,
		counter(env->dev[1], "rnr_nak_sent") - rnr0,
		counter(env->dev[1], "odp_atomic_fallbacks") - fb0,
		counter(env->dev[0], "retransmits") - rtx0);
	T_EQ(counter(env->dev[1], "error_nak_sent") - err0, 0,
	     "error NAKs sent under the storm");
	/* Each fetch-and-add ran once, on the path its memory allows. */
	T_EQ(counter(env->dev[1], "odp_atomic_fallbacks") - fb0,
	     shared || !rc_odp_exclusive() ? 6 * 20 : 0,
	     "fallback atomics under the storm");
	T_CHECK(st.rounds > 10, "only %ld mprotect rounds: no storm",
		st.rounds);
	/* The storm reached the MR: mprotect() did not just fail. */
	T_CHECK(inv > 10, "only %lld invalidations under the storm", inv);

	T_OK(ibv_dereg_mr(mr));
	munmap(st.t, len);
	rc_buf_free(&buf);
	rc_pair_destroy(&p);
}

/*
 * A process that exits with ODP MRs registered and traffic into them: its
 * address space goes first (every entry invalidated), then its verbs
 * objects.  Nothing may hang or leak; the device goes on.
 */
static void t_exit(struct rc_env *env, long arg)
{
	struct rc_pair other;
	int status, i;
	pid_t pid;

	(void)arg;
	for (i = 0; i < 3; i++) {
		pid = fork();
		T_CHECK(pid >= 0, "fork: %s", strerror(errno));
		if (!pid) {
			struct rc_env cenv;
			struct rc_pair p;
			struct ibv_mr *am, *bm;
			struct ibv_send_wr wr;
			struct ibv_sge sg;
			uint8_t *a = map_anon(MiB, 0), *b = map_anon(MiB, 0);

			rc_env_open(&cenv);
			new_pair(&p, &cenv);
			am = reg_odp(p.a.pd, a, MiB);
			bm = reg_odp(p.b.pd, b, MiB);
			sg = (struct ibv_sge){ (uintptr_t)a, 64 * KiB,
					       am->lkey };
			rc_wr(&wr, &sg, 1, 1, IBV_WR_RDMA_WRITE, 0);
			wr.wr.rdma.remote_addr = (uintptr_t)b;
			wr.wr.rdma.rkey = bm->rkey;
			for (int k = 0; k < 8; k++)
				rc_post_send(&p.a, &wr);
			_exit(0);	/* with everything still registered */
		}
		T_CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
		T_CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
			"child status 0x%x", status);
	}
	new_pair(&other, env);
	rc_healthy_transfer(&other, "a pair after the exits");
	rc_pair_destroy(&other);
}


/*
 * Holds the mmap_lock for writing again and again (mprotect of many
 * small pages), so that a work item making an implicit MR's child waits
 * for it, holding the MR's child lock, while another QP's work item
 * reaches the same chunk: the race the child lock is for.
 */
static void *staller(void *arg)
{
	struct mem_thread *st = arg;

	while (!st->stop) {
		mprotect(st->t, st->len, PROT_READ);
		mprotect(st->t, st->len, PROT_READ | PROT_WRITE);
		st->rounds++;
	}
	return NULL;
}

/*
 * Implicit ODP MRs on both sides, one key each for the whole address
 * space.  B's targets lie in 1 GiB chunks 0 and 2 (more than a chunk
 * apart), across the 2|3 boundary and in chunk 14 (reached first by an
 * atomic); A's buffer lies across the 4|5 boundary.  WRITE, READ, SEND
 * and atomics, data checked; each MR made exactly the children it used
 * (restrack), also when two QPs reach a new chunk at once (chunks 6-13).
 * Accesses to unmapped addresses (in the unused chunk 1, in a hole of a
 * used one, past the address space) fail as a hole of an explicit MR does
 * and make no child; fresh QPs on the same PDs then work.  ibv_advise_mr;
 * munmap and mmap at a touched address; dereg with children.
 */
static void t_implicit(struct rc_env *env, long arg)
{
	const size_t alen = MiB, zlen = 512 * KiB;
	struct rc_pair p, q;
	struct ibv_mr *am, *bm;
	struct ibv_send_wr wr;
	struct ibv_sge sg[2], rsg[2];
	struct ibv_wc wc;
	char obj[4096];
	uint8_t *base, *x, *y, *z, *l, *a1, *hole, *msg;
	uint64_t *xw, *yw, *zw, *res;
	long long inv0;
	void *resv;
	struct mem_thread st = {};
	pthread_t th;
	int ret, round, i, nchild;

	(void)arg;
	new_pair(&p, env);
	/* 15 GiB of address space at a 1 GiB boundary, given back at once */
	resv = mmap(NULL, 16 * GiB, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	T_CHECK(resv != MAP_FAILED, "mmap(16 GiB): %s", strerror(errno));
	base = (uint8_t *)(((uintptr_t)resv + GiB - 1) & ~(uintptr_t)(GiB - 1));
	T_CHECK(!munmap(resv, 16 * GiB), "munmap: %s", strerror(errno));
	x = map_fixed(base + 64 * KiB, alen);			/* chunk 0 */
	y = map_fixed(base + 2 * GiB + 128 * KiB, alen);	/* chunk 2 */
	z = map_fixed(base + 3 * GiB - zlen / 2, zlen);		/* 2 | 3 */
	l = map_fixed(base + 5 * GiB - zlen / 2, zlen);		/* 4 | 5 */
	a1 = map_fixed(base + 14 * GiB, PAGE);			/* chunk 14 */
	hole = base + GiB + 5 * PAGE;		/* chunk 1: nothing there */

	am = reg_implicit(p.a.pd);
	bm = reg_implicit(p.b.pd);
	mr_entry(env->dev[1], bm, obj, sizeof(obj));
	T_CHECK(strstr(obj, "\"drv_odp\":\"implicit\""),
		"B's MR is not shown as implicit: %s", obj);
	T_EQ(mr_cnt(obj, "odp_children"), 0, "children of a new implicit MR");

	/* WRITE and READ, local and remote memory through implicit keys */
	fill(l, zlen, 100);
	rdma_ok(&p, IBV_WR_RDMA_WRITE, am, l, 64 * KiB, bm, x + 100,
		"WRITE into chunk 0");
	T_CHECK(!memcmp(x + 100, l, 64 * KiB), "chunk 0 after the WRITE");
	rdma_ok(&p, IBV_WR_RDMA_WRITE, am, l + 1000, 64 * KiB, bm, y + 3,
		"WRITE into chunk 2");
	T_CHECK(!memcmp(y + 3, l + 1000, 64 * KiB), "chunk 2 after the WRITE");
	/* odd offsets: some packet straddles each boundary */
	rdma_ok(&p, IBV_WR_RDMA_WRITE, am, l + 37, zlen - 200, bm, z + 100,
		"WRITE from across a chunk boundary to across another");
	T_CHECK(!memcmp(z + 100, l + 37, zlen - 200),
		"across the 2|3 boundary after the WRITE");
	fill(z, zlen, 101);
	rdma_ok(&p, IBV_WR_RDMA_READ, am, l + 11, zlen - 200, bm, z + 150,
		"READ from across a chunk boundary to across another");
	T_CHECK(!memcmp(l + 11, z + 150, zlen - 200),
		"across the 4|5 boundary after the READ");

	/*
	 * SEND: both pieces of A's message and B's second receive piece
	 * cross a boundary.
	 */
	fill(l, zlen, 102);
	sg[0] = (struct ibv_sge){ (uintptr_t)(l + zlen / 2 - 20 * KiB + 5),
				  32 * KiB, am->lkey };
	sg[1] = (struct ibv_sge){ (uintptr_t)(l + 16), 8 * KiB, am->lkey };
	rsg[0] = (struct ibv_sge){ (uintptr_t)(y + 300 * KiB), 10 * KiB,
				   bm->lkey };
	rsg[1] = (struct ibv_sge){ (uintptr_t)(z + zlen / 2 - 15 * KiB + 7),
				   64 * KiB, bm->lkey };
	rc_post_recv(&p.b, 0x1e1, rsg, 2);
	rc_wr(&wr, sg, 2, 0x1e2, IBV_WR_SEND, IBV_SEND_SIGNALED);
	rc_post_send(&p.a, &wr);
	rc_poll(p.a.scq, &wc, 1, "the SEND");
	T_CHECK(wc.status == IBV_WC_SUCCESS, "SEND: %s",
		ibv_wc_status_str(wc.status));
	rc_poll(p.b.rcq, &wc, 1, "the receive");
	T_CHECK(wc.status == IBV_WC_SUCCESS && wc.byte_len == 40 * KiB,
		"receive: %s, %u bytes", ibv_wc_status_str(wc.status),
		wc.byte_len);
	msg = malloc(40 * KiB);
	T_CHECK(msg, "malloc");
	memcpy(msg, l + zlen / 2 - 20 * KiB + 5, 32 * KiB);
	memcpy(msg + 32 * KiB, l + 16, 8 * KiB);
	T_CHECK(!memcmp(y + 300 * KiB, msg, 10 * KiB),
		"first receive piece differs");
	T_CHECK(!memcmp(z + zlen / 2 - 15 * KiB + 7, msg + 10 * KiB,
			30 * KiB),
		"second receive piece (across the 2|3 boundary) differs");
	free(msg);

	/*
	 * atomics: fresh pages in chunks 0 and 2, the last word of chunk 2,
	 * and chunk 14, which nothing else reaches
	 */
	res = (uint64_t *)(l + zlen / 2 + 64);
	xw = (uint64_t *)(x + alen - PAGE + 8);
	yw = (uint64_t *)(y + alen - 2 * PAGE);
	zw = (uint64_t *)(z + zlen / 2 - 8);
	T_EQ(atomic_op(&p, false, am, res, bm, xw, 5, 0), 0,
	     "fetch-and-add in chunk 0 returned");
	T_EQ(atomic_op(&p, true, am, res, bm, xw, 5, 77), 5,
	     "compare-and-swap in chunk 0 returned");
	T_EQ(*xw, 77, "the chunk 0 word after the atomics");
	T_EQ(atomic_op(&p, false, am, res, bm, yw, 7, 0), 0,
	     "fetch-and-add in chunk 2 returned");
	T_EQ(*yw, 7, "the chunk 2 word after the atomic");
	*zw = 1000;
	T_EQ(atomic_op(&p, false, am, res, bm, zw, 1, 0), 1000,
	     "fetch-and-add on the last word of chunk 2 returned");
	T_EQ(*zw, 1001, "the last word of chunk 2 after the atomic");
	T_EQ(atomic_op(&p, true, am, res, bm, (uint64_t *)(a1 + 64), 0, 3),
	     0, "compare-and-swap in chunk 14 returned");
	T_EQ(*(uint64_t *)(a1 + 64), 3, "the chunk 14 word after the atomic");

	/* children: one per chunk used, made by copies and atomics alike */
	mr_entry(env->dev[1], bm, obj, sizeof(obj));
	nchild = 4;
	T_EQ(mr_cnt(obj, "odp_children"), nchild, "children of B's MR "
	     "(chunks 0, 2, 3, 14)");
	mr_entry(env->dev[0], am, obj, sizeof(obj));
	T_EQ(mr_cnt(obj, "odp_children"), 2, "children of A's MR (chunks 4, "
	     "5)");

	/*
	 * Two QPs whose WRITEs first reach a new chunk at the same time (the
	 * QPs' work items run concurrently, and the mmap_lock is busy): one
	 * child each round.
	 */
	twin_qps(&p, &q);
	fill(l, zlen, 106);
	st.len = 64 * MiB;
	st.t = map_anon(st.len, 0);
	memset(st.t, 1, st.len);
	T_CHECK(!pthread_create(&th, NULL, staller, &st), "pthread_create");
	for (round = 0; round < 8; round++) {
		uint8_t *c = map_fixed(base + (6 + round) * GiB, 256 * KiB);
		struct rc_pair *pp[2] = { &p, &q };

		for (i = 0; i < 8; i++) {
			sg[0] = (struct ibv_sge){ (uintptr_t)(l + i * 16 * KiB),
						  16 * KiB, am->lkey };
			rc_wr(&wr, sg, 1, i, IBV_WR_RDMA_WRITE,
			      IBV_SEND_SIGNALED);
			wr.wr.rdma.remote_addr = (uintptr_t)(c + i * 16 * KiB);
			wr.wr.rdma.rkey = bm->rkey;
			rc_post_send(&pp[i & 1]->a, &wr);
		}
		/* the twin shares A's send CQ */
		for (i = 0; i < 8; i++) {
			rc_poll(p.a.scq, &wc, 1, "a concurrent WRITE");
			T_CHECK(wc.status == IBV_WC_SUCCESS,
				"concurrent WRITE %d: %s", (int)wc.wr_id,
				ibv_wc_status_str(wc.status));
		}
		T_CHECK(!memcmp(c, l, 128 * KiB),
			"a new chunk after concurrent WRITEs");
		mr_entry(env->dev[1], bm, obj, sizeof(obj));
		T_EQ(mr_cnt(obj, "odp_children"), ++nchild,
		     "children of B's MR after two QPs reached a new chunk");
		munmap(c, 256 * KiB);
	}
	st.stop = true;
	pthread_join(th, NULL);
	rc_note("%ld mprotect rounds meanwhile", st.rounds);
	munmap(st.t, st.len);
	twin_destroy(&q);

	/* ibv_advise_mr: exact residency; nothing mapped: EFAULT or nothing */
	T_EQ(resident(x + 512 * KiB, 16 * PAGE), 0, "resident before advice");
	sg[0] = (struct ibv_sge){ (uintptr_t)(x + 512 * KiB), 16 * PAGE,
				  bm->lkey };
	ret = ibv_advise_mr(p.b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
			    IBV_ADVISE_MR_FLAG_FLUSH, sg, 1);
	T_CHECK(!ret, "PREFETCH_WRITE on an implicit MR: %s", strerror(ret));
	T_EQ(resident(x + 512 * KiB, 16 * PAGE), 16,
	     "pages resident after PREFETCH_WRITE of 16");
	sg[0] = (struct ibv_sge){ (uintptr_t)hole, 4 * PAGE, bm->lkey };
	ret = ibv_advise_mr(p.b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH,
			    IBV_ADVISE_MR_FLAG_FLUSH, sg, 1);
	T_CHECK(ret == EFAULT, "PREFETCH of unmapped memory: %s, expected "
		"EFAULT", strerror(ret));
	ret = ibv_advise_mr(p.b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT,
			    IBV_ADVISE_MR_FLAG_FLUSH, sg, 1);
	T_CHECK(!ret, "PREFETCH_NO_FAULT of unmapped memory: %s",
		strerror(ret));
	mr_entry(env->dev[1], bm, obj, sizeof(obj));
	T_EQ(mr_cnt(obj, "odp_prefetches"), 3, "prefetches counted on B's MR");
	T_EQ(mr_cnt(obj, "odp_children"), nchild,
	     "children after advice on an unused chunk");

	/* unmapped addresses: the IBTA error on that QP, no child made */
	rdma_fails(&p, IBV_WR_RDMA_WRITE, am, l, 64, bm, hole,
		   IBV_WC_REM_ACCESS_ERR, "WRITE into an unused chunk");
	mr_entry(env->dev[1], bm, obj, sizeof(obj));
	T_EQ(mr_cnt(obj, "odp_children"), nchild,
	     "children after a WRITE into an unused chunk");
	renew_qps(&p);
	T_EQ(atomic_st(&p, false, am, res, bm,
		       (uint64_t *)(x + alen + 4 * PAGE), 1, 0),
	     IBV_WC_REM_ACCESS_ERR, "atomic into a hole of chunk 0");
	T_CHECK(rc_wait_qp_state(p.a.qp, IBV_QPS_ERR, 2000),
		"A's QP did not enter the error state after the atomic");
	renew_qps(&p);
	rdma_fails(&p, IBV_WR_RDMA_WRITE, am, hole, 64, bm, x,
		   IBV_WC_LOC_PROT_ERR, "WRITE from an unused chunk");
	renew_qps(&p);
	rdma_fails(&p, IBV_WR_RDMA_WRITE, am, l, 64, bm,
		   (void *)(uintptr_t)(1ULL << 57), IBV_WC_REM_ACCESS_ERR,
		   "WRITE past the address space");
	renew_qps(&p);
	rc_healthy_transfer(&p, "fresh QPs on the same PDs");
	fill(l, zlen, 103);
	rdma_ok(&p, IBV_WR_RDMA_WRITE, am, l + 3, zlen - 64, bm, z + 5,
		"implicit WRITE on fresh QPs");
	T_CHECK(!memcmp(z + 5, l + 3, zlen - 64),
		"across the 2|3 boundary on fresh QPs");

	/* munmap and a new mapping at a touched address */
	mr_entry(env->dev[1], bm, obj, sizeof(obj));
	inv0 = mr_cnt(obj, "odp_invalidations");
	T_CHECK(!munmap(y, alen), "munmap: %s", strerror(errno));
	T_CHECK(map_fixed(y, alen) == y, "mmap at the old address");
	mr_entry(env->dev[1], bm, obj, sizeof(obj));
	T_CHECK(mr_cnt(obj, "odp_invalidations") > inv0,
		"munmap of a used area invalidated nothing on B's MR");
	fill(y, zlen, 104);
	rdma_ok(&p, IBV_WR_RDMA_READ, am, l, zlen, bm, y,
		"READ after the remap");
	T_PATTERN(l, zlen, 104, "READ of the new mapping (stale page?)");
	fill(l, zlen, 105);
	rdma_ok(&p, IBV_WR_RDMA_WRITE, am, l, zlen, bm, y + 1,
		"WRITE after the remap");
	T_CHECK(!memcmp(y + 1, l, zlen), "the new mapping after a WRITE");

	/* deregistration with children */
	T_OK(ibv_dereg_mr(am));
	T_OK(ibv_dereg_mr(bm));
	munmap(x, alen);
	munmap(y, alen);
	munmap(z, zlen);
	munmap(l, zlen);
	munmap(a1, PAGE);
	rc_pair_destroy(&p);
}

/* Every counter fresh ODP MRs show in restrack, all of them zero. */
static void expect_zero_counters(const char *obj, const char *what)
{
	static const char *const names[] = {
		"odp_faults", "odp_pages_faulted", "odp_fault_around_pages",
		"odp_fault_errors", "odp_retries", "odp_invalidations",
		"odp_pages_invalidated", "odp_prefetches",
		"odp_exclusive_grants", "odp_exclusive_revocations",
		"odp_atomic_fallbacks",
	};
	char buf[128];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(buf, sizeof(buf), "%s: %s", what, names[i]);
		T_EQ(mr_cnt(obj, names[i]), 0, buf);
	}
}

/*
 * Per-MR ODP counters in restrack (`rdma -dd -j resource show mr`): a
 * new MR shows zeros; a WRITE over 3 untouched pages counts 3 pages
 * faulted on that MR and nothing on another; MADV_DONTNEED counts them
 * invalidated; a prefetch, an exclusive grant and its revocation, a
 * failed fault and fallback atomics each land on their own MR; an
 * implicit MR counts for all its children; a pinned MR shows none.
 */
static void t_mr_counters(struct rc_env *env, long arg)
{
	const size_t len = 64 * PAGE;
	struct rc_pair p;
	struct rc_buf src;
	struct ibv_mr *mr, *other, *fmr, *im;
	struct ibv_sge sg;
	char obj[4096];
	uint8_t *t, *u, *f, *v;
	volatile uint64_t *w;
	long long faults;
	int ret, i;
	bool excl;

	(void)arg;
	new_pair(&p, env);
	rc_buf_alloc(&src, "source", p.a.pd, 64 * KiB, RC_ACCESS_ALL);
	mr_entry(env->dev[0], src.mr, obj, sizeof(obj));
	T_CHECK(!strstr(obj, "\"drv_odp"), "a pinned MR shows ODP counters: "
		"%s", obj);

	t = map_aligned(len, 16 * PAGE);	/* fault windows line up */
	u = map_anon(len, 0);
	mr = reg_odp(p.b.pd, t, len);
	other = reg_odp(p.b.pd, u, len);
	mr_entry(env->dev[1], mr, obj, sizeof(obj));
	T_CHECK(strstr(obj, "\"drv_odp\":\"explicit\""),
		"an explicit ODP MR is not shown as one: %s", obj);
	T_EQ(mr_cnt(obj, "odp_children"), -1, "children of an explicit MR "
	     "(none shown)");
	expect_zero_counters(obj, "a new MR");

	/* 8 KiB, not page aligned, into untouched memory: 3 pages */
	rdma_ok(&p, IBV_WR_RDMA_WRITE, src.mr, src.p, 8 * KiB, mr,
		t + 16 * PAGE + 100, "WRITE over 3 untouched pages");
	mr_entry(env->dev[1], mr, obj, sizeof(obj));
	T_EQ(mr_cnt(obj, "odp_pages_faulted"), 3,
	     "pages faulted by a WRITE over 3 pages");
	faults = mr_cnt(obj, "odp_faults");
	T_CHECK(faults >= 1 && faults <= 3, "%lld faults for 3 pages "
		"(one per packet that found its page absent)", faults);
	T_EQ(mr_cnt(obj, "odp_fault_around_pages"), 0,
	     "fault-around pages where no neighbour is present");
	T_EQ(mr_cnt(obj, "odp_fault_errors"), 0, "fault errors");
	T_EQ(mr_cnt(obj, "odp_pages_invalidated"), 0, "pages invalidated");
	mr_entry(env->dev[1], other, obj, sizeof(obj));
	expect_zero_counters(obj, "the other MR");

	/* the CPU drops them: the 3 entries go */
	T_CHECK(!madvise(t + 16 * PAGE, 4 * PAGE, MADV_DONTNEED),
		"madvise: %s", strerror(errno));
	mr_entry(env->dev[1], mr, obj, sizeof(obj));
	T_CHECK(mr_cnt(obj, "odp_invalidations") >= 1,
		"MADV_DONTNEED of mapped pages counted no invalidation");
	T_EQ(mr_cnt(obj, "odp_pages_invalidated"), 3,
	     "pages invalidated by MADV_DONTNEED");

	/* a prefetch of 8 pages */
	sg = (struct ibv_sge){ (uintptr_t)(t + 32 * PAGE), 8 * PAGE,
			       mr->lkey };
	ret = ibv_advise_mr(p.b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
			    IBV_ADVISE_MR_FLAG_FLUSH, &sg, 1);
	T_CHECK(!ret, "PREFETCH_WRITE: %s", strerror(ret));
	mr_entry(env->dev[1], mr, obj, sizeof(obj));
	T_EQ(mr_cnt(obj, "odp_prefetches"), 1, "prefetches");
	T_EQ(mr_cnt(obj, "odp_pages_faulted"), 3 + 8,
	     "pages faulted after a prefetch of 8");

	/*
	 * An atomic takes a page exclusive; the CPU's read revokes it.
	 * With odp_exclusive off, the atomic is a fallback instead.
	 */
	excl = rc_odp_exclusive();
	w = (uint64_t *)(t + 48 * PAGE);
	atomic_op(&p, false, src.mr, (uint64_t *)src.p, mr, (uint64_t *)w,
		  9, 0);
	mr_entry(env->dev[1], mr, obj, sizeof(obj));
	T_EQ(mr_cnt(obj, "odp_exclusive_grants"), excl ? 1 : 0,
	     "exclusive grants");
	T_EQ(mr_cnt(obj, "odp_exclusive_revocations"), 0,
	     "revocations before the CPU touched the page");
	T_EQ(*w, 9, "the word, read by the CPU");
	mr_entry(env->dev[1], mr, obj, sizeof(obj));
	T_EQ(mr_cnt(obj, "odp_exclusive_revocations"), excl ? 1 : 0,
	     "revocations after the CPU read the word");

	/* a fault that fails: a hole in the MR */
	T_CHECK(!munmap(t + 60 * PAGE, PAGE), "munmap: %s", strerror(errno));
	rdma_fails(&p, IBV_WR_RDMA_WRITE, src.mr, src.p, 64, mr,
		   t + 60 * PAGE, IBV_WC_REM_ACCESS_ERR, "WRITE into a hole");
	mr_entry(env->dev[1], mr, obj, sizeof(obj));
	T_EQ(mr_cnt(obj, "odp_fault_errors"), 1, "fault errors after a WRITE "
	     "into a hole");
	renew_qps(&p);

	/* atomics on shared memory fall back, counted on that MR only */
	f = map_memfd("sodp-odp-counters", PAGE);
	fmr = reg_odp(p.b.pd, f, PAGE);
	for (i = 0; i < 3; i++)
		atomic_op(&p, false, src.mr, (uint64_t *)src.p, fmr,
			  (uint64_t *)f, 1, 0);
	mr_entry(env->dev[1], fmr, obj, sizeof(obj));
	T_EQ(mr_cnt(obj, "odp_atomic_fallbacks"), 3,
	     "fallback atomics on the shared-memory MR");
	T_EQ(mr_cnt(obj, "odp_exclusive_grants"), 0,
	     "exclusive grants on the shared-memory MR");
	mr_entry(env->dev[1], mr, obj, sizeof(obj));
	T_EQ(mr_cnt(obj, "odp_atomic_fallbacks"), excl ? 0 : 1,
	     "fallback atomics on the anonymous-memory MR");
	T_CHECK(mr_cnt(obj, "odp_retries") >= 0, "no odp_retries shown");

	/* an implicit MR: its children's events are counted in it */
	v = map_aligned(16 * PAGE, 16 * PAGE);
	im = reg_implicit(p.b.pd);
	mr_entry(env->dev[1], im, obj, sizeof(obj));
	expect_zero_counters(obj, "a new implicit MR");
	rdma_ok(&p, IBV_WR_RDMA_WRITE, src.mr, src.p, 8 * KiB, im,
		v + 4 * PAGE + 100, "WRITE over 3 pages of an implicit MR");
	T_CHECK(!madvise(v, 16 * PAGE, MADV_DONTNEED), "madvise: %s",
		strerror(errno));
	mr_entry(env->dev[1], im, obj, sizeof(obj));
	T_EQ(mr_cnt(obj, "odp_children"), 1, "children after one WRITE");
	T_EQ(mr_cnt(obj, "odp_pages_faulted"), 3,
	     "pages faulted on the implicit MR");
	T_EQ(mr_cnt(obj, "odp_pages_invalidated"), 3,
	     "pages invalidated on the implicit MR");

	T_OK(ibv_dereg_mr(im));
	T_OK(ibv_dereg_mr(fmr));
	T_OK(ibv_dereg_mr(other));
	T_OK(ibv_dereg_mr(mr));
	munmap(v, 16 * PAGE);
	munmap(f, PAGE);
	munmap(t, len);
	munmap(u, len);
	rc_buf_free(&src);
	rc_pair_destroy(&p);
}

static const struct rc_test tests[] = {
	{ "caps", t_caps, 0 },
	{ "lazy", t_lazy, 0 },
	{ "ops", t_ops, 0 },
	{ "atomic-vs-cpu", t_atomic_vs_cpu, 0 },
	{ "atomic-exclusive", t_atomic_excl, 0 },
	{ "remap", t_remap, 0 },
	{ "hole-remote", t_hole, 0 },
	{ "hole-local", t_hole, 1 },
	{ "mprotect", t_mprotect, 0 },
	{ "dontneed", t_dontneed, 0 },
	{ "fork-cow", t_fork, 0 },
	{ "thp", t_thp, 0 },
	{ "hugetlb", t_hugetlb, 0 },
	{ "file-shm", t_file, 0 },
	{ "file-disk", t_file, 1 },
	{ "prefetch", t_prefetch, 0 },
	{ "churn", t_churn, 0 },
	{ "storm", t_storm, 0 },
	{ "storm-shmem", t_storm, 1 },
	{ "exit", t_exit, 0 },
	{ "implicit", t_implicit, 0 },
	{ "mr-counters", t_mr_counters, 0 },
	{ "atomic-kind-anon", t_kind, AK_ANON },
	{ "atomic-kind-zero-page", t_kind, AK_ZERO },
	{ "atomic-kind-thp", t_kind, AK_THP },
	{ "atomic-kind-thp-split-dontneed", t_kind, AK_THP_SPLIT_DONTNEED },
	{ "atomic-kind-thp-split-mprotect", t_kind, AK_THP_SPLIT_MPROTECT },
	{ "atomic-kind-fork-shared", t_kind, AK_FORK },
	{ "atomic-kind-ksm", t_kind, AK_KSM },
	{ "atomic-kind-mprotect-cycle", t_kind, AK_MPROTECT },
	{ "atomic-kind-numa-hinting", t_kind, AK_NUMA },
	{ "atomic-kind-two-mrs", t_kind, AK_TWO_MRS },
	{ "atomic-kind-two-mrs-implicit", t_kind, AK_TWO_MRS_IMPLICIT },
	{ "atomic-kind-two-devs", t_kind, AK_TWO_DEVS },
	{ "kmem-advise-64g", t_kmem_advise, 0 },
	{ "kmem-implicit-64t", t_kmem_implicit, 0 },
};
#define NTESTS ((int)(sizeof(tests) / sizeof(tests[0])))

static void usage(FILE *f)
{
	fprintf(f, "usage: odp -d DEV [-D DEV2] [-X DEV3] [-t PATTERN[,PATTERN...]]"
		" [-l] [-v]\n           [--file-dir DIR] [--atomic-n N]\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "file-dir", required_argument, NULL, 'F' },
		{ "atomic-n", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *patterns = NULL;
	bool list = false;
	int c, i;

	while ((c = getopt_long(argc, argv, "d:D:X:t:lvh", lopts, NULL)) != -1) {
		switch (c) {
		case 'd': rc_opts.dev[0] = optarg; break;
		case 'D': rc_opts.dev[1] = optarg; break;
		case 'X': odp_other_dev = optarg; break;
		case 't': patterns = optarg; break;
		case 'l': list = true; break;
		case 'v': rc_opts.verbose = true; break;
		case 'F': file_dir = optarg; break;
		case 'N': odp_atomic_n = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (list) {
		for (i = 0; i < NTESTS; i++)
			if (rc_selected(tests[i].name, patterns))
				printf("%s\n", tests[i].name);
		return 0;
	}
	if (!rc_opts.dev[0] || optind != argc || odp_atomic_n < 1) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	return rc_run_tests("odp", tests, NTESTS, patterns, NULL);
}
