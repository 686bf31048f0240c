// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * odp_demo: the device follows the process.  On a loopback RC QP pair
 * (A requester, B responder, one device) B registers 16 pages of fresh
 * memory with IBV_ACCESS_ON_DEMAND, A RDMA-READs them, the process then
 * munmaps the range and maps new memory with new content at the same
 * address (MAP_FIXED), and A READs again: the new content must arrive,
 * through the same MR, with no re-registration.  An RDMA atomic then
 * shows a page made device-exclusive and given back when the CPU touches
 * it.  The MR's own ODP counters (`rdma -dd -j resource show mr`) are
 * printed after each step.  Run by tests/demo.sh; exits 1 if the device
 * ever shows stale data.
 *
 * usage: odp_demo [-d DEV]     (default sodp0)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rc_common.h"

#define PAGE 4096UL
#define NPAGES 16
#define LEN (NPAGES * PAGE)

static const char *const shown[] = {
	"odp_faults", "odp_pages_faulted", "odp_fault_around_pages",
	"odp_invalidations", "odp_pages_invalidated",
	"odp_exclusive_grants", "odp_exclusive_revocations",
	"odp_atomic_fallbacks",
};
#define NSHOWN (sizeof(shown) / sizeof(shown[0]))
static long long last[NSHOWN];

static long long field(const char *obj, const char *name)
{
	long long v = rc_res_field(obj, name);

	T_CHECK(v >= 0, "no drv_%s in the MR's restrack entry: %.300s",
		name, obj);
	return v;
}

/* The MR's counters; a changed one is marked with what it moved by. */
static void show_counters(const char *dev, const struct ibv_mr *mr)
{
	char obj[8192];
	unsigned int i;

	rc_mr_restrack(dev, mr->lkey, obj, sizeof(obj));
	printf("   MR counters:");
	for (i = 0; i < NSHOWN; i++) {
		long long v = field(obj, shown[i]);

		printf("%s %s %lld", i == 4 ? "\n               " : "",
		       shown[i] + 4, v);
		if (v != last[i])
			printf(" (+%lld)", v - last[i]);
		last[i] = v;
	}
	printf("\n");
}

static void step(const char *title)
{
	static int n;

	printf("\n-- %d. %s\n", ++n, title);
}

/* Every page says which mapping it belongs to. */
static void fill(uint8_t *t, const char *what)
{
	unsigned int i;

	for (i = 0; i < NPAGES; i++)
		snprintf((char *)t + i * PAGE, PAGE, "page %2u of the %s", i,
			 what);
}

static void read_all(struct rc_pair *p, struct ibv_mr *lmr, uint8_t *l,
		     struct ibv_mr *rmr, uint8_t *t)
{
	struct ibv_sge sg = {
		.addr = (uintptr_t)l, .length = LEN, .lkey = lmr->lkey,
	};
	struct ibv_send_wr wr;
	struct ibv_wc wc;

	memset(l, 0, LEN);
	rc_wr(&wr, &sg, 1, 1, IBV_WR_RDMA_READ, IBV_SEND_SIGNALED);
	wr.wr.rdma.remote_addr = (uintptr_t)t;
	wr.wr.rdma.rkey = rmr->rkey;
	rc_post_send(&p->a, &wr);
	rc_poll(p->a.scq, &wc, 1, "the READ");
	T_CHECK(wc.status == IBV_WC_SUCCESS, "READ: %s",
		ibv_wc_status_str(wc.status));
}

/* Did all pages of the READ bring @what? */
static void expect(const uint8_t *l, const char *what)
{
	char want[64];
	unsigned int i;

	for (i = 0; i < NPAGES; i++) {
		snprintf(want, sizeof(want), "page %2u of the %s", i, what);
		T_CHECK(!memcmp(l + i * PAGE, want, strlen(want) + 1),
			"page %u read back \"%.40s\", expected \"%s\"", i,
			(const char *)l + i * PAGE, want);
	}
	printf("   READ of %lu KiB brought \"%s\" ... \"%s\": all %d pages "
	       "right\n", LEN / 1024, (const char *)l,
	       (const char *)l + (NPAGES - 1) * PAGE, NPAGES);
}

static long resident(void *t)
{
	unsigned char vec[NPAGES];
	long n = 0;
	int i;

	T_CHECK(!mincore(t, LEN, vec), "mincore: %s", strerror(errno));
	for (i = 0; i < NPAGES; i++)
		n += vec[i] & 1;
	return n;
}

int main(int argc, char **argv)
{
	const char *dev = "sodp0";
	struct rc_env env;
	struct rc_pair p;
	struct rc_cfg cfg;
	struct rc_buf loc;
	struct ibv_mr *mr;
	struct ibv_sge sg;
	struct ibv_send_wr wr;
	struct ibv_wc wc;
	volatile uint64_t *word;
	bool excl;
	uint64_t *res;
	uint8_t *t, *t2;
	int c;

	while ((c = getopt(argc, argv, "d:")) != -1) {
		if (c != 'd') {
			fprintf(stderr, "usage: %s [-d DEV]\n", argv[0]);
			return 2;
		}
		dev = optarg;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc_opts.dev[0] = dev;
	rc_env_open(&env);
	rc_cfg_default(&cfg);
	rc_pair_create(&p, &env, &cfg);
	/* A's side is ordinary pinned memory: the story is B's MR. */
	rc_buf_alloc(&loc, "local", p.a.pd, LEN, RC_ACCESS_ALL);

	step("Register 16 fresh pages on B as an ODP MR (ibv_reg_mr with "
	     "IBV_ACCESS_ON_DEMAND)");
	/* small pages, so that the counts are per 4 KiB page */
	t = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_CHECK(t != MAP_FAILED, "mmap: %s", strerror(errno));
	T_CHECK(!madvise(t, LEN, MADV_NOHUGEPAGE), "madvise: %s",
		strerror(errno));
	mr = ibv_reg_mr(p.b.pd, t, LEN, RC_ACCESS_ALL | IBV_ACCESS_ON_DEMAND);
	T_CHECK(mr, "ibv_reg_mr(ON_DEMAND): %s", strerror(errno));
	printf("   %s: MR rkey 0x%x over %p, %d pages; resident: %ld "
	       "(nothing pinned, nothing faulted)\n", dev, mr->rkey,
	       (void *)t, NPAGES, resident(t));
	show_counters(dev, mr);

	step("The CPU writes \"first mapping\" into each page; A RDMA-READs "
	     "all 16");
	fill(t, "first mapping");
	read_all(&p, loc.mr, loc.p, mr, t);
	expect(loc.p, "first mapping");
	show_counters(dev, mr);

	step("munmap the range, mmap new memory at the same address "
	     "(MAP_FIXED), write \"second mapping\"");
	T_CHECK(!munmap(t, LEN), "munmap: %s", strerror(errno));
	t2 = mmap(t, LEN, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	T_CHECK(t2 == t, "mmap(MAP_FIXED): %s", strerror(errno));
	T_CHECK(!madvise(t, LEN, MADV_NOHUGEPAGE), "madvise: %s",
		strerror(errno));
	fill(t, "second mapping");
	printf("   no re-registration: the same MR, rkey 0x%x\n", mr->rkey);
	show_counters(dev, mr);

	step("A RDMA-READs again through the same MR");
	read_all(&p, loc.mr, loc.p, mr, t);
	expect(loc.p, "second mapping");
	show_counters(dev, mr);

	step("An RDMA fetch-and-add on page 0, then the CPU reads the word");
	word = (volatile uint64_t *)(t + 64);
	*word = 1000;
	res = (uint64_t *)loc.p;
	sg = (struct ibv_sge){
		.addr = (uintptr_t)res, .length = 8, .lkey = loc.mr->lkey,
	};
	rc_wr(&wr, &sg, 1, 2, IBV_WR_ATOMIC_FETCH_AND_ADD, IBV_SEND_SIGNALED);
	wr.wr.atomic.remote_addr = (uintptr_t)word;
	wr.wr.atomic.rkey = mr->rkey;
	wr.wr.atomic.compare_add = 234;
	rc_post_send(&p.a, &wr);
	rc_poll(p.a.scq, &wc, 1, "the atomic");
	T_CHECK(wc.status == IBV_WC_SUCCESS, "atomic: %s",
		ibv_wc_status_str(wc.status));
	T_EQ(*res, 1000, "the fetch-and-add's original value");
	excl = rc_odp_exclusive();
	if (excl)
		printf("   device added 234 to 1000 on a device-exclusive page\n");
	else
		printf("   device added 234 to 1000 by the fallback (no "
		       "device-exclusive entries here)\n");
	show_counters(dev, mr);
	/* the CPU's access faults and takes the page back */
	T_EQ(*word, 1234, "the word the CPU reads after the atomic");
	printf("   CPU reads %llu%s\n", (unsigned long long)*word,
	       excl ? ": its access took the page back" : "");
	show_counters(dev, mr);

	printf("\n   `rdma -dd resource show mr` for this MR:\n");
	fflush(stdout);
	{
		char cmd[256];

		/* its line and the indented lines of its driver table */
		snprintf(cmd, sizeof(cmd),
			 "rdma -dd resource show mr | awk '/ lkey 0x%x / "
			 "{ p = 1; print \"     \" $0; next } /^[^ ]/ { p = 0 } "
			 "p { print \"     \" $0 }'", mr->lkey);
		T_CHECK(system(cmd) == 0, "%s failed", cmd);
	}

	T_OK(ibv_dereg_mr(mr));
	munmap(t, LEN);
	rc_buf_free(&loc);
	rc_pair_destroy(&p);
	rc_env_close(&env);
	printf("\nodp_demo: ok\n");
	return 0;
}
