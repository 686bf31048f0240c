// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * RDMA atomics on ODP memory, per kind of page under the target word.
 * An atomic needs the page writable and, for sodp, device-exclusive: each
 * kind of page reaches that path in its own state.
 *
 *   anon               fresh anonymous memory, never touched
 *   zero-page          the CPU only read it: the shared zero page is mapped
 *   thp                a PMD-mapped transparent huge page
 *   thp-split-dontneed the same after MADV_DONTNEED of one 4 KiB page of it
 *   thp-split-mprotect the same after mprotect(PROT_READ) of one 4 KiB page
 *   fork-shared        copy-on-write shared with a child that sleeps
 *   ksm                merged by KSM with an identical page of another area
 *   mprotect-cycle     PROT_READ and back to read-write between atomics
 *   numa-hinting       PROT_NONE and back between atomics, as NUMA hinting
 *                      faults leave a page (see t_kind for the real thing)
 *   two-mrs            two explicit ODP MRs over the page, atomics
 *                      alternating between their rkeys
 *   two-mrs-implicit   the same with an explicit and an implicit MR
 *   two-devs           MRs over the page on two sodp devices, atomics
 *                      alternating between them
 *
 * For each: (a) the first FETCH_AND_ADD succeeds and returns what the page
 * held; (b) N RDMA FETCH_AND_ADDs of 2^32 race a CPU thread doing a fixed
 * number of __atomic_fetch_add(1) on the same word, paced to interleave
 * with the RDMA ones: every RDMA result is consistent (its high half counts
 * the RDMA adds before it, its low half the CPU adds, never going back)
 * and the word ends at the exact sum; (c) CMP_AND_SWAP: an equal compare
 * swaps and returns the old value, an unequal one returns the current
 * value and changes nothing, and RDMA compare-and-swap increments racing
 * CPU ones lose nothing.  Then the per-MR counters (exclusive grants,
 * revocations, fallbacks) are printed, and what must not have changed
 * (the fork child's copy, the other KSM area) is checked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "odp_common.h"
#include "odp_kinds.h"

int odp_atomic_n = 2000;	/* RDMA FETCH_AND_ADDs racing the CPU */
const char *odp_other_dev;	/* a third device, for two-devs */

#define CPU_PER_RDMA 10		/* CPU adds per RDMA add in (b) */
#define CAS_RDMA 100		/* RDMA compare-and-swap increments in (c) */
#define CAS_CPU 1000		/* CPU compare-and-swap increments in (c) */

/* One way to the word: a QP pair, a result buffer, an MR over the word. */
struct route {
	struct rc_pair *p;
	struct rc_buf *res;
	struct ibv_mr *mr;
	struct rc_dev *dev;	/* the MR's device, for its counters */
};

struct kbed {
	int kind;
	struct rc_env *env, env2;
	bool has_env2;
	struct rc_pair p, p2;
	bool has_p2;
	struct rc_buf res, res2;
	struct route r[2];
	int nroutes;
	uint8_t *map, *other;	/* the area; KSM's second area */
	size_t len;
	uint64_t *w;
	uint64_t v0;		/* what the word holds before (a) */
	bool cycling;		/* mprotect the word's page between atomics */
	int prot;		/* ... to this (PROT_READ or PROT_NONE), and back */
	pid_t child;
	int to_child, from_child;
	char ksm_saved[3][32];
	bool ksm_set;
	char numa_saved[32];
	long long numa_updates0;
};

/* The PFN of the page at @addr, 0 if not present. */
static uint64_t pfn_of(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	T_CHECK(fd >= 0, "/proc/self/pagemap: %s", strerror(errno));
	T_CHECK(pread(fd, &e, 8, (uintptr_t)addr / PAGE * 8) == 8,
		"pagemap: %s", strerror(errno));
	close(fd);
	return e >> 63 ? e & ((1ULL << 55) - 1) : 0;
}

/* ---- the page cycles: the CPU thread retries through them ---- */

static uint8_t *cycle_lo, *cycle_hi;

/*
 * A CPU access to the word while the main thread has it PROT_READ or
 * PROT_NONE: return and retry the instruction until it is writable again.
 */
static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if ((uint8_t *)si->si_addr >= cycle_lo &&
	    (uint8_t *)si->si_addr < cycle_hi) {
		sched_yield();
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void cycle(struct kbed *b)
{
	uint8_t *pg = (uint8_t *)((uintptr_t)b->w & ~(PAGE - 1));

	if (!b->cycling)
		return;
	T_CHECK(!mprotect(pg, PAGE, b->prot), "mprotect: %s",
		strerror(errno));
	T_CHECK(!mprotect(pg, PAGE, PROT_READ | PROT_WRITE), "mprotect: %s",
		strerror(errno));
}

/* ---- set-up per kind ---- */

static void route_set(struct kbed *b, int i, struct rc_pair *p,
		      struct rc_buf *res, struct ibv_mr *mr, struct rc_dev *d)
{
	b->r[i] = (struct route){ .p = p, .res = res, .mr = mr, .dev = d };
	b->nroutes = i + 1;
}

static void ksm_set(struct kbed *b, const char *file, const char *val,
		    int slot)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", file);
	T_CHECK(rc_read_line(path, b->ksm_saved[slot], sizeof(b->ksm_saved[0])),
		"%s: %s", path, strerror(errno));
	T_CHECK(write_str(path, val), "echo %s > %s: %s", val, path,
		strerror(errno));
}

static void ksm_restore(struct kbed *b)
{
	static const char *const files[3] = { "run", "pages_to_scan",
					       "sleep_millisecs" };
	char path[128];
	int i;

	if (!b->ksm_set)
		return;
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", files[i]);
		write_str(path, b->ksm_saved[i]);
	}
	b->ksm_set = false;
}

static long long self_ksm_merging(void)
{
	char buf[64];

	if (!rc_read_line("/proc/self/ksm_merging_pages", buf, sizeof(buf)))
		return -1;
	return atoll(buf);
}

/* Two identical 8-page areas, merged by ksmd; the word in the first. */
static void setup_ksm(struct kbed *b)
{
	const size_t n = 8 * PAGE;
	char buf[64];
	uint64_t t0;
	size_t i;
	long long m = 0;

	if (access("/sys/kernel/mm/ksm/run", W_OK))
		rc_skip("no KSM", "/sys/kernel/mm/ksm/run: %s", strerror(errno));
	b->map = map_anon(n, 0);
	b->other = map_anon(n, 0);
	b->len = n;
	for (i = 0; i < n / PAGE; i++) {
		/* each page its own content, so pages of one area do not merge */
		fill(b->map + i * PAGE, PAGE, 0x4b5 + i);
		fill(b->other + i * PAGE, PAGE, 0x4b5 + i);
	}
	b->w = (uint64_t *)(b->map + 5 * PAGE + 64);
	*b->w = 0;
	*(uint64_t *)(b->other + 5 * PAGE + 64) = 0;
	T_CHECK(!madvise(b->map, n, MADV_MERGEABLE) &&
		!madvise(b->other, n, MADV_MERGEABLE), "MADV_MERGEABLE: %s",
		strerror(errno));
	b->ksm_set = true;
	ksm_set(b, "pages_to_scan", "10000", 1);
	ksm_set(b, "sleep_millisecs", "0", 2);
	ksm_set(b, "run", "1", 0);
	t0 = rc_now_ms();
	while (pfn_of(b->w) != pfn_of(b->other + 5 * PAGE)) {
		if (rc_now_ms() - t0 > 30000) {
			rc_read_line("/sys/kernel/mm/ksm/pages_sharing", buf,
				 sizeof(buf));
			ksm_restore(b);
			rc_fail("ksmd did not merge the two areas in 30 s "
				"(pages_sharing %s, this process's "
				"ksm_merging_pages %lld)", buf,
				self_ksm_merging());
		}
		rc_sleep_ms(100);
	}
	m = self_ksm_merging();
	rc_read_line("/sys/kernel/mm/ksm/pages_sharing", buf, sizeof(buf));
	rc_note("KSM merged the word's page after %llu ms (pages_sharing %s, "
		"ksm_merging_pages %lld)",
		(unsigned long long)(rc_now_ms() - t0), buf, m);
	/* stop ksmd: what follows must not be merged again under the test */
	write_str("/sys/kernel/mm/ksm/run", "0");
}

/* The child keeps the pages copy-on-write shared until told to check. */
static void setup_fork(struct kbed *b)
{
	int to_child[2], from_child[2];
	uint64_t pfn;
	char c;

	b->len = 16 * PAGE;
	b->map = map_anon(b->len, 0);
	b->w = (uint64_t *)(b->map + 5 * PAGE + 64);
	memset(b->map, 0x33, b->len);
	*b->w = 1000;
	T_CHECK(!pipe(to_child) && !pipe(from_child), "pipe");
	b->child = fork();
	T_CHECK(b->child >= 0, "fork: %s", strerror(errno));
	if (!b->child) {
		uint64_t mine = pfn_of(b->w);

		/* gone with the test, whatever happens to it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(to_child[1]);
		close(from_child[0]);
		if (write(from_child[1], &mine, 8) != 8 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(3);
		/* the child's copy must be untouched by the parent's atomics */
		_exit(*(volatile uint64_t *)b->w == 1000 ? 0 : 1);
	}
	close(to_child[0]);
	close(from_child[1]);
	b->to_child = to_child[1];
	b->from_child = from_child[0];
	T_CHECK(read(b->from_child, &pfn, 8) == 8, "the child did not start");
	T_CHECK(pfn && pfn == pfn_of(b->w), "after fork the word's page is "
		"not shared (PFN 0x%llx in the child, 0x%llx in the parent)",
		(unsigned long long)pfn, (unsigned long long)pfn_of(b->w));
}

static void finish_fork(struct kbed *b)
{
	int status;

	T_CHECK(write(b->to_child, "c", 1) == 1, "pipe");
	T_CHECK(waitpid(b->child, &status, 0) == b->child, "waitpid");
	b->child = 0;
	T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		"the fork child's copy of the word changed (status 0x%x)",
		status);
}

static void setup_numa(struct kbed *b)
{
	char nodes[64] = "";

	b->len = 16 * PAGE;
	b->map = map_anon(b->len, 0);
	b->w = (uint64_t *)(b->map + 5 * PAGE + 64);
	b->cycling = true;
	b->prot = PROT_NONE;
	rc_read_line("/sys/devices/system/node/online", nodes, sizeof(nodes));
	b->numa_updates0 = vmstat("numa_pte_updates");
	if (rc_read_line("/proc/sys/kernel/numa_balancing", b->numa_saved,
		     sizeof(b->numa_saved))) {
		/* let the kernel add real hinting faults where it will */
		write_str("/proc/sys/kernel/numa_balancing", "1");
		rc_note("numa_balancing was %s, on for the test; online nodes "
			"'%s'; hinting faults also simulated with "
			"mprotect(PROT_NONE) and back", b->numa_saved, nodes);
	} else {
		rc_note("no /proc/sys/kernel/numa_balancing (online nodes '%s'):"
			" hinting faults simulated with mprotect(PROT_NONE) "
			"and back", nodes);
	}
}

static void setup(struct kbed *b, struct rc_env *env, int kind)
{
	struct rc_cfg cfg;
	long long split0;
	volatile uint8_t sink = 0;
	size_t i;

	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->env = env;
	b->child = 0;
	new_pair(&b->p, env);
	rc_buf_alloc(&b->res, "result", b->p.a.pd, PAGE, RC_ACCESS_ALL);
	switch (kind) {
	case AK_THP:
	case AK_THP_SPLIT_DONTNEED:
	case AK_THP_SPLIT_MPROTECT:
		b->len = HUGE;
		b->map = map_thp(HUGE);
		b->w = (uint64_t *)(b->map + HUGE / 2 + 64);
		if (kind == AK_THP)
			break;
		split0 = vmstat("thp_split_pmd");
		if (kind == AK_THP_SPLIT_DONTNEED)
			T_CHECK(!madvise(b->map + 3 * PAGE, PAGE,
					 MADV_DONTNEED), "madvise: %s",
				strerror(errno));
		else
			T_CHECK(!mprotect(b->map + 3 * PAGE, PAGE, PROT_READ),
				"mprotect: %s", strerror(errno));
		T_CHECK(vmstat("thp_split_pmd") > split0, "the huge page was "
			"not split (thp_split_pmd did not move)");
		rc_note("split: AnonHugePages of the word's VMA now %lld kB",
			smaps_kb(b->w, "AnonHugePages"));
		break;
	case AK_FORK:
		setup_fork(b);
		break;
	case AK_KSM:
		setup_ksm(b);
		break;
	case AK_NUMA:
		setup_numa(b);
		break;
	default:
		b->len = 16 * PAGE;
		b->map = map_anon(b->len, 0);
		b->w = (uint64_t *)(b->map + 5 * PAGE + 64);
		/*
		 * anon stays untouched and zero-page is only read; the
		 * others start from private pages the CPU has written, so
		 * that only their own kind is under test
		 */
		if (kind != AK_ANON && kind != AK_ZERO)
			memset(b->map, 0, b->len);
		break;
	}
	if (kind == AK_ZERO) {
		uint64_t z0, z1;

		for (i = 0; i < b->len; i += PAGE)
			sink += b->map[i];
		(void)sink;
		z0 = pfn_of(b->map + 5 * PAGE);
		z1 = pfn_of(b->map + 9 * PAGE);
		T_CHECK(z0 && z0 == z1, "reading did not map the zero page "
			"(PFNs 0x%llx, 0x%llx)", (unsigned long long)z0,
			(unsigned long long)z1);
	}
	if (kind == AK_MPROTECT) {
		b->cycling = true;
		b->prot = PROT_READ;
	}
	b->v0 = kind == AK_ANON ? 0 : *(volatile uint64_t *)b->w;
	if (kind == AK_ANON)
		T_EQ(resident(b->map + 5 * PAGE, PAGE), 0,
		     "resident pages where the fresh word is");

	/* routes */
	route_set(b, 0, &b->p, &b->res, reg_odp(b->p.b.pd, b->map, b->len),
		  env->dev[1]);
	if (kind == AK_TWO_MRS)
		route_set(b, 1, &b->p, &b->res,
			  reg_odp(b->p.b.pd, b->map + 4 * PAGE, 4 * PAGE),
			  env->dev[1]);
	if (kind == AK_TWO_MRS_IMPLICIT)
		route_set(b, 1, &b->p, &b->res, reg_implicit(b->p.b.pd),
			  env->dev[1]);
	if (kind == AK_TWO_DEVS) {
		/*
		 * The second device: -X DEV, or with two devices already
		 * (-D), the requester's device looped back.
		 */
		if (odp_other_dev) {
			const char *d0 = rc_opts.dev[0], *d1 = rc_opts.dev[1];

			rc_opts.dev[0] = odp_other_dev;
			rc_opts.dev[1] = NULL;
			rc_env_open(&b->env2);
			rc_opts.dev[0] = d0;
			rc_opts.dev[1] = d1;
			b->has_env2 = true;
		} else if (env->dev[1] != env->dev[0]) {
			b->env2.dev[0] = b->env2.dev[1] = env->dev[0];
		} else {
			rc_skip("one device", "two-devs needs a second sodp "
				"device: -X DEV, or -D DEV");
		}
		rc_cfg_default(&cfg);
		rc_pair_create(&b->p2, &b->env2, &cfg);
		b->has_p2 = true;
		rc_buf_alloc(&b->res2, "result 2", b->p2.a.pd, PAGE,
			     RC_ACCESS_ALL);
		route_set(b, 1, &b->p2, &b->res2,
			  reg_odp(b->p2.b.pd, b->map, b->len),
			  b->env2.dev[1]);
		rc_note("routes: %s -> %s and %s -> %s", env->dev[0]->name,
			env->dev[1]->name, b->env2.dev[0]->name,
			b->env2.dev[1]->name);
	}
	if (b->cycling) {
		struct sigaction sa = { .sa_sigaction = on_segv,
					.sa_flags = SA_SIGINFO | SA_NODEFER };

		cycle_lo = (uint8_t *)((uintptr_t)b->w & ~(PAGE - 1));
		cycle_hi = cycle_lo + PAGE;
		T_CHECK(!sigaction(SIGSEGV, &sa, NULL), "sigaction");
	}
}

static void teardown(struct kbed *b)
{
	int i;

	for (i = 0; i < b->nroutes; i++)
		T_OK(ibv_dereg_mr(b->r[i].mr));
	if (b->has_p2) {
		rc_buf_free(&b->res2);
		rc_pair_destroy(&b->p2);
	}
	if (b->has_env2)
		rc_env_close(&b->env2);
	rc_buf_free(&b->res);
	rc_pair_destroy(&b->p);
	munmap(b->map, b->len);
	if (b->other)
		munmap(b->other, b->len);
}

/* ---- the three checks ---- */

static enum ibv_wc_status kat(struct kbed *b, int route, bool cas,
			      uint64_t compare_add, uint64_t swap,
			      uint64_t *ret)
{
	struct route *r = &b->r[route % b->nroutes];
	enum ibv_wc_status st;

	st = atomic_st(r->p, cas, r->res->mr, (uint64_t *)r->res->p, r->mr,
		       b->w, compare_add, swap);
	*ret = *(uint64_t *)r->res->p;
	return st;
}

struct pacer {
	uint64_t *w;
	long n;			/* operations to do */
	volatile long done;	/* RDMA operations done so far */
	long per;		/* CPU operations per RDMA one */
	bool cas;
	volatile bool go;
	long did;
};

/*
 * The CPU side: N adds (or compare-and-swap increments), never more than
 * @per ahead of the RDMA side, so both interleave all the way through
 * even though the CPU is much faster.
 */
static void *cpu_side(void *arg)
{
	struct pacer *pc = arg;
	long i;

	while (!pc->go)
		;
	for (i = 0; i < pc->n; i++) {
		while (i >= (pc->done + 1) * pc->per)
			sched_yield();
		if (pc->cas) {
			uint64_t v = __atomic_load_n(pc->w, __ATOMIC_RELAXED);

			while (!__atomic_compare_exchange_n(pc->w, &v, v + 1,
							    false,
							    __ATOMIC_SEQ_CST,
							    __ATOMIC_RELAXED))
				;
		} else {
			__atomic_fetch_add(pc->w, 1, __ATOMIC_SEQ_CST);
		}
		pc->did++;
	}
	return NULL;
}

static const char *const kind_name[AK_NKINDS] = {
	[AK_ANON] = "anon", [AK_ZERO] = "zero-page", [AK_THP] = "thp",
	[AK_THP_SPLIT_DONTNEED] = "thp-split-dontneed",
	[AK_THP_SPLIT_MPROTECT] = "thp-split-mprotect",
	[AK_FORK] = "fork-shared", [AK_KSM] = "ksm",
	[AK_MPROTECT] = "mprotect-cycle", [AK_NUMA] = "numa-hinting",
	[AK_TWO_MRS] = "two-mrs", [AK_TWO_MRS_IMPLICIT] = "two-mrs-implicit",
	[AK_TWO_DEVS] = "two-devs",
};

const char *odp_kind_name(int kind)
{
	return kind_name[kind];
}

static void print_counters(struct kbed *b)
{
	char obj[4096];
	int i;

	for (i = 0; i < b->nroutes; i++) {
		mr_entry(b->r[i].dev, b->r[i].mr, obj, sizeof(obj));
		rc_note("%s MR %d (%s): exclusive grants %lld, revocations "
			"%lld, fallbacks %lld, faults %lld, invalidations %lld",
			kind_name[b->kind], i, b->r[i].dev->name,
			mr_cnt(obj, "odp_exclusive_grants"),
			mr_cnt(obj, "odp_exclusive_revocations"),
			mr_cnt(obj, "odp_atomic_fallbacks"),
			mr_cnt(obj, "odp_faults"),
			mr_cnt(obj, "odp_invalidations"));
	}
}

void t_kind(struct rc_env *env, long kind)
{
	const long n = odp_atomic_n;
	struct pacer pc = {};
	struct kbed b;
	enum ibv_wc_status st;
	uint64_t v, r, prev_lo = 0, guess;
	pthread_t th;
	long i, ok;

	setup(&b, env, kind);

	/* (a) the first FETCH_AND_ADD, on the page as the kind left it */
	cycle(&b);
	st = kat(&b, 0, false, 1, 0, &r);
	T_CHECK(st == IBV_WC_SUCCESS, "(a) the first FETCH_AND_ADD on a %s "
		"page: %s", kind_name[kind], ibv_wc_status_str(st));
	T_EQ(r, b.v0, "(a) the first FETCH_AND_ADD returned");
	if (b.nroutes > 1) {
		st = kat(&b, 1, false, 1, 0, &r);
		T_CHECK(st == IBV_WC_SUCCESS, "(a) the first FETCH_AND_ADD "
			"through the second %s: %s", kind == AK_TWO_DEVS ?
			"device" : "MR", ibv_wc_status_str(st));
		T_EQ(r, b.v0 + 1, "(a) the first FETCH_AND_ADD through the "
		     "second route returned");
	}
	v = *(volatile uint64_t *)b.w;
	T_EQ(v, b.v0 + b.nroutes, "(a) the word read by the CPU");

	/* (b) RDMA adds of 2^32 racing CPU adds of 1 */
	pc.w = b.w;
	pc.n = n * CPU_PER_RDMA;
	pc.per = CPU_PER_RDMA;
	T_CHECK(!pthread_create(&th, NULL, cpu_side, &pc), "pthread_create");
	pc.go = true;
	for (i = 0; i < n; i++) {
		if (i % 16 == 15)
			cycle(&b);
		st = kat(&b, i, false, 1ULL << 32, 0, &r);
		if (st != IBV_WC_SUCCESS) {
			pc.done = n;	/* release the CPU side */
			pthread_join(th, NULL);
			rc_fail("(b) RDMA FETCH_AND_ADD %ld of %ld (route %ld) "
				"racing the CPU: %s", i, n, i % b.nroutes,
				ibv_wc_status_str(st));
		}
		/* high half: RDMA adds before it; low half: CPU adds */
		T_CHECK((r >> 32) == (v >> 32) + (uint64_t)i &&
			(uint32_t)r >= (uint32_t)v &&
			(uint32_t)r >= prev_lo &&
			(uint32_t)r - (uint32_t)v <= (uint64_t)pc.n,
			"(b) RDMA FETCH_AND_ADD %ld returned 0x%llx: not "
			"consistent with 0x%llx at the start, %ld RDMA adds of "
			"2^32 before it and CPU adds only growing (last low "
			"half 0x%llx)", i, (unsigned long long)r,
			(unsigned long long)v, i, (unsigned long long)prev_lo);
		prev_lo = (uint32_t)r;
		pc.done = i + 1;
	}
	pthread_join(th, NULL);
	T_EQ(pc.did, pc.n, "(b) CPU adds done");
	T_EQ(*(volatile uint64_t *)b.w, v + ((uint64_t)n << 32) + pc.n,
	     "(b) the word after both sides");
	v = *(volatile uint64_t *)b.w;

	/* (c) compare-and-swap: equal, unequal, then racing the CPU */
	cycle(&b);
	st = kat(&b, 0, true, v, v + 5, &r);
	T_CHECK(st == IBV_WC_SUCCESS, "(c) CMP_AND_SWAP: %s",
		ibv_wc_status_str(st));
	T_EQ(r, v, "(c) CMP_AND_SWAP with an equal compare returned");
	T_EQ(*(volatile uint64_t *)b.w, v + 5, "(c) the word after a "
	     "CMP_AND_SWAP with an equal compare");
	st = kat(&b, 1, true, v, 7, &r);
	T_CHECK(st == IBV_WC_SUCCESS, "(c) CMP_AND_SWAP: %s",
		ibv_wc_status_str(st));
	T_EQ(r, v + 5, "(c) CMP_AND_SWAP with an unequal compare returned");
	T_EQ(*(volatile uint64_t *)b.w, v + 5, "(c) the word after a "
	     "CMP_AND_SWAP with an unequal compare");
	v += 5;
	memset(&pc, 0, sizeof(pc));
	pc.w = b.w;
	pc.n = CAS_CPU;
	pc.per = CAS_CPU / CAS_RDMA;
	pc.cas = true;
	T_CHECK(!pthread_create(&th, NULL, cpu_side, &pc), "pthread_create");
	pc.go = true;
	guess = v;
	for (i = 0, ok = 0; ok < CAS_RDMA; i++) {
		if (i % 16 == 15)
			cycle(&b);
		st = kat(&b, i, true, guess, guess + 1, &r);
		if (st != IBV_WC_SUCCESS) {
			pc.done = CAS_RDMA;
			pthread_join(th, NULL);
			rc_fail("(c) RDMA CMP_AND_SWAP %ld racing the CPU: %s",
				i, ibv_wc_status_str(st));
		}
		T_CHECK(r >= v && r <= v + ok + pc.n, "(c) RDMA CMP_AND_SWAP "
			"returned 0x%llx, outside what the word can have held "
			"(0x%llx + %ld + up to %ld)", (unsigned long long)r,
			(unsigned long long)v, ok, pc.n);
		if (r == guess) {
			ok++;
			guess = r + 1;
			pc.done = ok;
		} else {
			guess = r;
		}
	}
	pthread_join(th, NULL);
	rc_note("%s: %ld RDMA FETCH_AND_ADDs racing %ld CPU adds, %ld RDMA "
		"CMP_AND_SWAPs (%ld swapped) racing %ld CPU ones",
		kind_name[kind], n, n * CPU_PER_RDMA, i, ok, pc.did);
	T_EQ(*(volatile uint64_t *)b.w, v + CAS_RDMA + CAS_CPU,
	     "(c) the word after compare-and-swap increments on both sides");

	print_counters(&b);
	if (kind == AK_FORK)
		finish_fork(&b);
	if (kind == AK_KSM) {
		T_CHECK(*(uint64_t *)(b.other + 5 * PAGE + 64) == 0 &&
			check_off(b.other + 5 * PAGE + 128, PAGE - 128,
				  0x4b5 + 5, 128) < 0,
			"the other KSM area changed: the device wrote into the "
			"merged page");
		ksm_restore(&b);
	}
	if (kind == AK_NUMA) {
		rc_note("numa_pte_updates moved by %lld",
			vmstat("numa_pte_updates") - b.numa_updates0);
		if (b.numa_saved[0])
			write_str("/proc/sys/kernel/numa_balancing",
				  b.numa_saved);
	}
	if (b.cycling)
		signal(SIGSEGV, SIG_DFL);
	teardown(&b);
}
