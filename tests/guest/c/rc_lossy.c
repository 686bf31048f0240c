// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rc_lossy: RC traffic whose every byte and every atomic result is
 * checked, meant for a link that loses, reorders and duplicates packets
 * (tests/guest/t-rc-lossy.sh puts tc netem on both ends of the veth pair
 * between -d DEV and -D DEV2).  Many requests are outstanding at once, so
 * that a loss is recovered by go-back-N in the middle of a stream, not
 * only by the timer at its end:
 *
 *   write           WRITEs of mixed sizes (1 B to 64 KiB), 32 in flight
 *   read            multi-packet READs, max_rd_atomic (16) in flight
 *   send            SENDs of mixed sizes into posted receives, in order
 *   fetch-add       4 QPs FETCH_ADD 1 to one word: the final value is the
 *                   number of adds, and every value from 0 to that number
 *                   minus one was fetched exactly once
 *   cmp-swap        4 QPs each CMP_SWP their own word from k to k + 1,
 *                   16 in flight: every one must find k (an atomic run
 *                   twice would find k + 1)
 *   mixed           WRITE, READ, SEND and FETCH_ADD interleaved on one QP
 *
 * --soak SECONDS runs rounds of WRITEs, READs back and FETCH_ADDs for that
 * long, and between rounds has the kernel take the pages away:
 * munmap + mmap at the same address, MADV_DONTNEED, fork with the child
 * writing, mprotect read-only and back, the CPU rewriting the source;
 * every byte and every fetched value is checked (tools/sodp-vm soak).
 *
 * A is the requester (-d), B the responder (-D).  --mr KIND registers
 * both sides' memory pinned, as explicit ODP or implicit ODP; a side on
 * an rxe device stays pinned (rxe's ODP is no reference for data).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rc_common.h"
#include "rc_runner.h"

#define ROUNDS		4		/* of each test's traffic */
#define BUF_LEN		(1u << 20)
#define WRITE_DEPTH	32
#define READ_LEN	(16u << 10)	/* 16 packets at MTU 1024 */
#define SEND_MAX	(8u << 10)
#define SEND_COUNT	64
#define ATOMIC_QPS	4
#define ADDS_PER_QP	200
#define SWAPS_PER_QP	100

static void lossy_cfg(struct rc_cfg *cfg)
{
	rc_cfg_default(cfg);
	cfg->max_send_wr = 128;
	cfg->max_recv_wr = 128;
	cfg->cqe = 512;
	/*
	 * 4.096 us * 2^14 = 67 ms, perftest's default: recovery is meant to
	 * come from sequence and implied NAKs, the timer is the last resort.
	 */
	cfg->timeout = 14;
	cfg->max_rd_atomic = 16;
}

/* Wait for N successful completions on CQ; check each. */
static void wait_ok(struct rc_ep *e, struct ibv_cq *cq, int n,
		    const char *what)
{
	struct ibv_wc wc[64];

	while (n > 0) {
		int k = n < 64 ? n : 64, i;

		rc_poll(cq, wc, k, what);
		for (i = 0; i < k; i++)
			T_CHECK(wc[i].status == IBV_WC_SUCCESS &&
				wc[i].qp_num == e->qp->qp_num,
				"%s: completion %llu on QP 0x%x: %s", what,
				(unsigned long long)wc[i].wr_id, wc[i].qp_num,
				ibv_wc_status_str(wc[i].status));
		n -= k;
	}
}

static void post_rdma(struct rc_ep *e, enum ibv_wr_opcode op,
		      struct rc_buf *local, size_t loff, struct rc_buf *remote,
		      size_t roff, uint32_t len, uint64_t wr_id)
{
	struct ibv_sge sg = rc_sge(local, loff, len);
	struct ibv_send_wr wr;

	rc_wr(&wr, &sg, 1, wr_id, op, IBV_SEND_SIGNALED);
	wr.wr.rdma.remote_addr = rc_addr(remote, roff);
	wr.wr.rdma.rkey = remote->mr->rkey;
	rc_post_send(e, &wr);
}

static void post_atomic(struct rc_ep *e, enum ibv_wr_opcode op,
			struct rc_buf *local, size_t loff, uint64_t raddr,
			uint32_t rkey, uint64_t compare_add, uint64_t swap,
			uint64_t wr_id)
{
	struct ibv_sge sg = rc_sge(local, loff, 8);
	struct ibv_send_wr wr;

	rc_wr(&wr, &sg, 1, wr_id, op, IBV_SEND_SIGNALED);
	wr.wr.atomic.remote_addr = raddr;
	wr.wr.atomic.rkey = rkey;
	wr.wr.atomic.compare_add = compare_add;
	wr.wr.atomic.swap = swap;
	rc_post_send(e, &wr);
}

/* Sizes that cover 1 packet, several, and partial last packets. */
static uint32_t mixed_len(unsigned int i, uint32_t max)
{
	static const uint32_t lens[] = { 1, 100, 1024, 1500, 4000, 8192,
					 16385, 65536 };
	uint32_t l = lens[i % (sizeof(lens) / sizeof(lens[0]))];

	return l < max ? l : max;
}

static void t_write(struct rc_env *env, long arg)
{
	struct rc_pair p;
	struct rc_cfg cfg;
	struct rc_buf src, dst;
	int round;

	(void)arg;
	lossy_cfg(&cfg);
	rc_pair_create(&p, env, &cfg);
	rc_buf_alloc(&src, "A.src", p.a.pd, BUF_LEN, RC_ACCESS_ALL);
	rc_buf_alloc(&dst, "B.dst", p.b.pd, BUF_LEN, RC_ACCESS_ALL);
	for (round = 0; round < ROUNDS; round++) {
		size_t off = 0;
		unsigned int i = 0, out = 0;

		rc_buf_fill(&src, 100 + round);
		while (off < BUF_LEN) {
			uint32_t len = mixed_len(i + round, BUF_LEN - off);

			if (out == WRITE_DEPTH) {
				wait_ok(&p.a, p.a.scq, 1, "WRITE");
				out--;
			}
			post_rdma(&p.a, IBV_WR_RDMA_WRITE, &src, off, &dst,
				  off, len, i++);
			rc_buf_expect(&dst, off, src.p + off, len);
			off += len;
			out++;
		}
		wait_ok(&p.a, p.a.scq, out, "WRITE");
		rc_buf_verify(&dst);
	}
	rc_pair_quiet(&p, 50);
	rc_buf_free(&src);
	rc_buf_free(&dst);
	rc_pair_destroy(&p);
}

static void t_read(struct rc_env *env, long arg)
{
	struct rc_pair p;
	struct rc_cfg cfg;
	struct rc_buf src, dst;
	int round;

	(void)arg;
	lossy_cfg(&cfg);
	rc_pair_create(&p, env, &cfg);
	rc_buf_alloc(&src, "B.src", p.b.pd, BUF_LEN, RC_ACCESS_ALL);
	rc_buf_alloc(&dst, "A.dst", p.a.pd, BUF_LEN, RC_ACCESS_ALL);
	for (round = 0; round < ROUNDS; round++) {
		unsigned int i, n = BUF_LEN / READ_LEN, out = 0;

		rc_buf_fill(&src, 200 + round);
		for (i = 0; i < n; i++) {
			/* Every other READ is one byte short: a partial last packet. */
			uint32_t len = READ_LEN - (i & 1);
			size_t off = (size_t)i * READ_LEN;

			if (out == cfg.max_rd_atomic) {
				wait_ok(&p.a, p.a.scq, 1, "READ");
				out--;
			}
			post_rdma(&p.a, IBV_WR_RDMA_READ, &dst, off, &src, off,
				  len, i);
			rc_buf_expect(&dst, off, src.p + off, len);
			out++;
		}
		wait_ok(&p.a, p.a.scq, out, "READ");
		rc_buf_verify(&dst);
	}
	rc_pair_quiet(&p, 50);
	rc_buf_free(&src);
	rc_buf_free(&dst);
	rc_pair_destroy(&p);
}

static void t_send(struct rc_env *env, long arg)
{
	struct rc_pair p;
	struct rc_cfg cfg;
	struct rc_buf src, dst;
	int round;

	(void)arg;
	lossy_cfg(&cfg);
	rc_pair_create(&p, env, &cfg);
	rc_buf_alloc(&src, "A.src", p.a.pd, SEND_COUNT * SEND_MAX,
		     RC_ACCESS_ALL);
	rc_buf_alloc(&dst, "B.dst", p.b.pd, SEND_COUNT * SEND_MAX,
		     RC_ACCESS_ALL);
	for (round = 0; round < ROUNDS; round++) {
		struct ibv_wc wc[SEND_COUNT];
		unsigned int i;

		rc_buf_fill(&src, 300 + round);
		for (i = 0; i < SEND_COUNT; i++) {
			struct ibv_sge sg = rc_sge(&dst, (size_t)i * SEND_MAX,
						   SEND_MAX);

			rc_post_recv(&p.b, 1000 + i, &sg, 1);
		}
		for (i = 0; i < SEND_COUNT; i++) {
			uint32_t len = mixed_len(i + round, SEND_MAX);
			size_t off = (size_t)i * SEND_MAX;
			struct ibv_sge sg = rc_sge(&src, off, len);
			struct ibv_send_wr wr;

			rc_wr(&wr, &sg, 1, i, IBV_WR_SEND, IBV_SEND_SIGNALED);
			rc_post_send(&p.a, &wr);
			rc_buf_expect(&dst, off, src.p + off, len);
		}
		wait_ok(&p.a, p.a.scq, SEND_COUNT, "SEND");
		rc_poll(p.b.rcq, wc, SEND_COUNT, "receive");
		/* In order, each exactly once, each its own length. */
		for (i = 0; i < SEND_COUNT; i++)
			rc_check_wc(&wc[i], &(struct rc_want){
				.wr_id = 1000 + i, .status = IBV_WC_SUCCESS,
				.opcode = IBV_WC_RECV,
				.byte_len = mixed_len(i + round, SEND_MAX),
				.qp_num = p.b.qp->qp_num }, "receive");
		rc_buf_verify(&dst);
	}
	rc_pair_quiet(&p, 50);
	rc_buf_free(&src);
	rc_buf_free(&dst);
	rc_pair_destroy(&p);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * ATOMIC_QPS pairs; B's memory is one buffer registered on every B PD.
 * FETCH_ADD: all on word 0.  CMP_SWP: pair q on word q.
 */
static void t_atomic(struct rc_env *env, long cmp_swap)
{
	const int per_qp = cmp_swap ? SWAPS_PER_QP : ADDS_PER_QP;
	struct rc_pair p[ATOMIC_QPS];
	struct ibv_mr *tmr[ATOMIC_QPS];
	struct rc_buf target, res[ATOMIC_QPS];
	uint64_t *seen, *word, start;
	struct rc_cfg cfg;
	int q, i, posted[ATOMIC_QPS] = {}, done[ATOMIC_QPS] = {}, left;

	lossy_cfg(&cfg);
	for (q = 0; q < ATOMIC_QPS; q++)
		rc_pair_create(&p[q], env, &cfg);
	rc_buf_alloc(&target, "B.words", p[0].b.pd, 4096, RC_ACCESS_ALL);
	memset(target.p, 0, target.len);
	word = (uint64_t *)target.p;
	tmr[0] = target.mr;
	for (q = 1; q < ATOMIC_QPS; q++) {
		tmr[q] = rc_reg(p[q].b.pd, target.p, target.len, RC_ACCESS_ALL);
		T_CHECK(tmr[q], "registering B's words on PD %d: %s", q,
			strerror(errno));
	}
	for (q = 0; q < ATOMIC_QPS; q++) {
		rc_buf_alloc(&res[q], "A.results", p[q].a.pd, per_qp * 8,
			     RC_ACCESS_ALL);
		memset(res[q].p, 0xee, res[q].len);
	}

	/*
	 * Keep max_rd_atomic in flight on every QP until all are done,
	 * within ten times the usual wait for one completion.
	 */
	left = ATOMIC_QPS * per_qp;
	start = rc_now_ms();
	while (left) {
		for (q = 0; q < ATOMIC_QPS; q++) {
			struct ibv_wc wc[16];
			int n;

			while (posted[q] < per_qp &&
			       posted[q] - done[q] < cfg.max_rd_atomic) {
				i = posted[q]++;
				if (cmp_swap)
					post_atomic(&p[q].a,
						    IBV_WR_ATOMIC_CMP_AND_SWP,
						    &res[q], i * 8,
						    (uintptr_t)&word[q], tmr[q]->rkey,
						    i, i + 1, i);
				else
					post_atomic(&p[q].a,
						    IBV_WR_ATOMIC_FETCH_AND_ADD,
						    &res[q], i * 8,
						    (uintptr_t)word, tmr[q]->rkey,
						    1, 0, i);
			}
			n = ibv_poll_cq(p[q].a.scq, 16, wc);
			T_CHECK(n >= 0, "ibv_poll_cq: %d", n);
			for (i = 0; i < n; i++) {
				T_CHECK(wc[i].status == IBV_WC_SUCCESS &&
					wc[i].wr_id == (uint64_t)done[q],
					"QP %d: atomic %d completed as %llu: %s",
					q, done[q],
					(unsigned long long)wc[i].wr_id,
					ibv_wc_status_str(wc[i].status));
				done[q]++;
				left--;
			}
		}
		T_CHECK(rc_now_ms() - start < 10ull * rc_opts.timeout_ms,
			"atomics: %d of %d still outstanding", left,
			ATOMIC_QPS * per_qp);
	}

	if (cmp_swap) {
		for (q = 0; q < ATOMIC_QPS; q++) {
			const uint64_t *r = (const uint64_t *)res[q].p;

			T_EQ(word[q], per_qp, "final value of a CMP_SWP word");
			for (i = 0; i < per_qp; i++)
				T_CHECK(r[i] == (uint64_t)i,
					"QP %d: CMP_SWP %d found %llu, expected %d (run twice?)",
					q, i, (unsigned long long)r[i], i);
		}
		rc_note("%d CMP_SWPs on %d QPs, each found its value once",
			ATOMIC_QPS * per_qp, ATOMIC_QPS);
	} else {
		T_EQ(word[0], ATOMIC_QPS * per_qp,
		     "final value of the FETCH_ADD word");
		seen = calloc(ATOMIC_QPS * per_qp, sizeof(*seen));
		T_CHECK(seen, "out of memory");
		for (q = 0; q < ATOMIC_QPS; q++)
			memcpy(seen + q * per_qp, res[q].p, per_qp * 8);
		qsort(seen, ATOMIC_QPS * per_qp, sizeof(*seen), cmp_u64);
		for (i = 0; i < ATOMIC_QPS * per_qp; i++)
			T_CHECK(seen[i] == (uint64_t)i,
				"fetched values: %d-th smallest is %llu (a value fetched twice or never)",
				i, (unsigned long long)seen[i]);
		free(seen);
		rc_note("%d FETCH_ADDs from %d QPs: final value exact, each value fetched once",
			ATOMIC_QPS * per_qp, ATOMIC_QPS);
	}
	for (q = 0; q < ATOMIC_QPS; q++) {
		rc_pair_quiet(&p[q], 20);
		rc_buf_free(&res[q]);
	}
	for (q = 1; q < ATOMIC_QPS; q++)
		ibv_dereg_mr(tmr[q]);
	rc_buf_free(&target);
	for (q = 0; q < ATOMIC_QPS; q++)
		rc_pair_destroy(&p[q]);
}

/* One QP, everything interleaved, with ordering between the kinds. */
static void t_mixed(struct rc_env *env, long arg)
{
	struct rc_pair p;
	struct rc_cfg cfg;
	struct rc_buf a, b, sum, res;
	const int n = 96;
	int i, sends = 0;

	(void)arg;
	lossy_cfg(&cfg);
	rc_pair_create(&p, env, &cfg);
	rc_buf_alloc(&a, "A.buf", p.a.pd, BUF_LEN, RC_ACCESS_ALL);
	rc_buf_alloc(&b, "B.buf", p.b.pd, BUF_LEN, RC_ACCESS_ALL);
	rc_buf_alloc(&sum, "B.sum", p.b.pd, 4096, RC_ACCESS_ALL);
	rc_buf_alloc(&res, "A.fetched", p.a.pd, n * 8, RC_ACCESS_ALL);
	memset(sum.p, 0, sum.len);
	for (i = 0; i < n; i++)
		if (i % 4 == 2) {
			struct ibv_sge sg = rc_sge(&b, BUF_LEN / 2 +
						   (size_t)i * 4096, 4096);

			rc_post_recv(&p.b, i, &sg, 1);
		}
	/*
	 * Slot i of the first half of A goes to B (WRITE or SEND); slot i
	 * of the first half of B comes back into the second half of A
	 * (READ); every fourth is a FETCH_ADD.
	 */
	for (i = 0; i < n; i++) {
		size_t off = (size_t)i * 4096;
		uint32_t len = 1 + (i * 997) % 4096;
		struct ibv_sge sg;
		struct ibv_send_wr wr;

		switch (i % 4) {
		case 0:
			post_rdma(&p.a, IBV_WR_RDMA_WRITE, &a, off, &b, off,
				  len, i);
			rc_buf_expect(&b, off, a.p + off, len);
			break;
		case 1:
			post_rdma(&p.a, IBV_WR_RDMA_READ, &a, BUF_LEN / 2 + off,
				  &b, off, len, i);
			rc_buf_expect(&a, BUF_LEN / 2 + off, b.p + off, len);
			break;
		case 2:
			sg = rc_sge(&a, off, len);
			rc_wr(&wr, &sg, 1, i, IBV_WR_SEND, IBV_SEND_SIGNALED);
			rc_post_send(&p.a, &wr);
			rc_buf_expect(&b, BUF_LEN / 2 + off, a.p + off, len);
			sends++;
			break;
		default:
			post_atomic(&p.a, IBV_WR_ATOMIC_FETCH_AND_ADD, &res,
				    i * 8, rc_addr(&sum, 0), sum.mr->rkey,
				    i, 0, i);
			break;
		}
		/* Keep the SQ (128) from overflowing: drain in batches. */
		if (i % 32 == 31)
			wait_ok(&p.a, p.a.scq, 32, "mixed");
	}
	wait_ok(&p.a, p.a.scq, n % 32, "mixed");
	{
		struct ibv_wc wc[96];

		rc_poll(p.b.rcq, wc, sends, "receive");
	}
	rc_buf_verify(&b);
	/* The READs' data was B's before any WRITE of this run touched it. */
	rc_buf_verify(&a);
	{
		uint64_t total = 0, *r = (uint64_t *)res.p, expect = 0;

		for (i = 3; i < n; i += 4) {
			T_EQ(r[i], expect, "FETCH_ADD result (in order)");
			expect += i;
		}
		total = *(uint64_t *)sum.p;
		T_EQ(total, expect, "final FETCH_ADD sum");
	}
	rc_pair_quiet(&p, 50);
	rc_buf_free(&a);
	rc_buf_free(&b);
	rc_buf_free(&sum);
	rc_buf_free(&res);
	rc_pair_destroy(&p);
}

/* ---- soak: mixed traffic while the kernel keeps moving the pages ---- */

#define SOAK_LEN	(512u << 10)

struct soak_mem {
	uint8_t *p;		/* mmap()ed, so that it can be remapped */
	uint8_t *exp;		/* what it must hold */
	struct ibv_mr *mr;
};

static void soak_map(struct soak_mem *m, bool fixed)
{
	void *p = mmap(fixed ? m->p : NULL, SOAK_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | (fixed ? MAP_FIXED : 0),
		       -1, 0);

	T_CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
	m->p = p;
}

static void soak_fill(struct soak_mem *m, uint32_t seed)
{
	size_t i;

	for (i = 0; i < SOAK_LEN; i++)
		m->p[i] = m->exp[i] = rc_pat(seed, i);
}

/*
 * What the kernel does to the pages between two rounds of traffic: each
 * leaves the memory with known contents, and every one invalidates the
 * device's view of some of it.
 */
static const char *soak_churn(struct soak_mem *src, struct soak_mem *dst,
			      unsigned int round)
{
	pid_t pid;

	switch (round % 5) {
	case 0:	/* a new mapping at the same address, new contents */
		T_CHECK(!munmap(src->p, SOAK_LEN), "munmap: %s", strerror(errno));
		soak_map(src, true);
		soak_fill(src, 7000 + round);
		return "munmap+mmap";
	case 1:	/* dropped pages read back as zeroes */
		T_CHECK(!madvise(dst->p, SOAK_LEN, MADV_DONTNEED),
			"madvise: %s", strerror(errno));
		memset(dst->exp, 0, SOAK_LEN);
		return "MADV_DONTNEED";
	case 2:	/* a child shares the pages; our writes break CoW */
		pid = fork();
		T_CHECK(pid >= 0, "fork: %s", strerror(errno));
		if (!pid) {
			memset(src->p, 0x5a, SOAK_LEN);	/* its own copies */
			_exit(0);
		}
		T_CHECK(waitpid(pid, NULL, 0) == pid, "waitpid");
		soak_fill(src, 7000 + round);
		return "fork";
	case 3:	/* read-only for a moment: the device's write right goes */
		T_CHECK(!mprotect(dst->p, SOAK_LEN, PROT_READ) &&
			!mprotect(dst->p, SOAK_LEN, PROT_READ | PROT_WRITE),
			"mprotect: %s", strerror(errno));
		return "mprotect";
	default: /* the CPU rewrites what the device will read */
		soak_fill(src, 7000 + round);
		return "rewrite";
	}
}

static int soak(int seconds)
{
	struct soak_mem src = {}, dst = {}, back = {};
	struct rc_env env;
	struct rc_pair p;
	struct rc_cfg cfg;
	struct rc_buf words, fetched;
	uint64_t end, adds = 0, bytes = 0;
	unsigned int round = 0, kinds[5] = {};
	struct soak_mem *all[3] = { &src, &dst, &back };
	struct ibv_pd *pds[3];
	int i;

	rc_test_name = "soak";
	rc_env_open(&env);
	lossy_cfg(&cfg);
	rc_pair_create(&p, &env, &cfg);
	pds[0] = p.a.pd;
	pds[1] = p.b.pd;
	pds[2] = p.a.pd;
	for (i = 0; i < 3; i++) {
		all[i]->exp = malloc(SOAK_LEN);
		T_CHECK(all[i]->exp, "out of memory");
		soak_map(all[i], false);
		soak_fill(all[i], 6000 + i);
		all[i]->mr = rc_reg(pds[i], all[i]->p, SOAK_LEN, RC_ACCESS_ALL);
		T_CHECK(all[i]->mr, "ibv_reg_mr: %s", strerror(errno));
	}
	rc_buf_alloc(&words, "B.words", p.b.pd, 4096, RC_ACCESS_ALL);
	memset(words.p, 0, words.len);
	rc_buf_alloc(&fetched, "A.fetched", p.a.pd, 64 * 8, RC_ACCESS_ALL);

	end = rc_now_ms() + (uint64_t)seconds * 1000;
	while (rc_now_ms() < end) {
		uint64_t *fw = (uint64_t *)fetched.p;
		unsigned int n = 0, out = 0, k;
		size_t off;

		soak_churn(&src, &dst, round);
		kinds[round % 5]++;
		/* WRITE src to dst, mixed sizes, 32 in flight */
		for (off = 0; off < SOAK_LEN; n++) {
			uint32_t len = mixed_len(n + round, SOAK_LEN - off);
			struct ibv_sge sg = { (uintptr_t)src.p + off, len,
					      src.mr->lkey };
			struct ibv_send_wr wr;

			if (out == WRITE_DEPTH) {
				wait_ok(&p.a, p.a.scq, 1, "soak WRITE");
				out--;
			}
			rc_wr(&wr, &sg, 1, n, IBV_WR_RDMA_WRITE,
			      IBV_SEND_SIGNALED);
			wr.wr.rdma.remote_addr = (uintptr_t)dst.p + off;
			wr.wr.rdma.rkey = dst.mr->rkey;
			rc_post_send(&p.a, &wr);
			memcpy(dst.exp + off, src.exp + off, len);
			off += len;
			out++;
		}
		wait_ok(&p.a, p.a.scq, out, "soak WRITE");
		T_CHECK(!memcmp(dst.p, dst.exp, SOAK_LEN),
			"round %u: B differs from what A wrote", round);
		/* READ it all back, 16 outstanding, and 64 FETCH_ADDs */
		out = 0;
		for (k = 0; k < SOAK_LEN / READ_LEN; k++) {
			struct ibv_sge sg = { (uintptr_t)back.p + k * READ_LEN,
					      READ_LEN, back.mr->lkey };
			struct ibv_send_wr wr;

			if (out == cfg.max_rd_atomic) {
				wait_ok(&p.a, p.a.scq, 1, "soak READ");
				out--;
			}
			rc_wr(&wr, &sg, 1, k, IBV_WR_RDMA_READ,
			      IBV_SEND_SIGNALED);
			wr.wr.rdma.remote_addr = (uintptr_t)dst.p + k * READ_LEN;
			wr.wr.rdma.rkey = dst.mr->rkey;
			rc_post_send(&p.a, &wr);
			out++;
		}
		wait_ok(&p.a, p.a.scq, out, "soak READ");
		T_CHECK(!memcmp(back.p, dst.exp, SOAK_LEN),
			"round %u: what A read back differs from B", round);
		for (k = 0; k < 64; k++) {
			if (k >= cfg.max_rd_atomic)
				wait_ok(&p.a, p.a.scq, 1, "soak FETCH_ADD");
			post_atomic(&p.a, IBV_WR_ATOMIC_FETCH_AND_ADD, &fetched,
				    k * 8, rc_addr(&words, 0), words.mr->rkey,
				    1, 0, k);
		}
		wait_ok(&p.a, p.a.scq, cfg.max_rd_atomic, "soak FETCH_ADD");
		for (k = 0; k < 64; k++)
			T_EQ(fw[k], adds + k, "FETCH_ADD result (in order)");
		adds += 64;
		T_EQ(*(uint64_t *)words.p, adds, "FETCH_ADD word");
		bytes += 2 * SOAK_LEN;
		round++;
	}
	printf("soak: %u rounds in %d s, %llu MiB moved and checked, %llu FETCH_ADDs exact; "
	       "churn: %u munmap+mmap, %u MADV_DONTNEED, %u fork, %u mprotect, %u rewrite\n",
	       round, seconds, (unsigned long long)(bytes >> 20),
	       (unsigned long long)adds, kinds[0], kinds[1], kinds[2],
	       kinds[3], kinds[4]);
	rc_pair_quiet(&p, 50);
	for (i = 0; i < 3; i++) {
		T_OK(ibv_dereg_mr(all[i]->mr));
		munmap(all[i]->p, SOAK_LEN);
		free(all[i]->exp);
	}
	rc_buf_free(&words);
	rc_buf_free(&fetched);
	rc_pair_destroy(&p);
	rc_env_close(&env);
	return round ? 0 : 1;
}

static const struct rc_test tests[] = {
	{ "write", t_write, 0 },
	{ "read", t_read, 0 },
	{ "send", t_send, 0 },
	{ "fetch-add", t_atomic, 0 },
	{ "cmp-swap", t_atomic, 1 },
	{ "mixed", t_mixed, 0 },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: rc_lossy -d DEV -D DEV2 [-t PATTERN[,...]] "
		"[--mr pinned|odp|implicit] [--timeout SEC]\n"
		"       rc_lossy -d DEV -D DEV2 --mr KIND --soak SECONDS\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "mr", required_argument, NULL, 'M' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "soak", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *patterns = NULL, *mr = "pinned";
	int c, side, soak_s = -1;

	rc_opts.timeout_ms = 60000;
	while ((c = getopt_long(argc, argv, "d:D:t:vh", lopts, NULL)) != -1) {
		switch (c) {
		case 'd': rc_opts.dev[0] = optarg; break;
		case 'D': rc_opts.dev[1] = optarg; break;
		case 't': patterns = optarg; break;
		case 'v': rc_opts.verbose = true; break;
		case 'M': mr = optarg; break;
		case 'T': rc_opts.timeout_ms = atoi(optarg) * 1000; break;
		case 'S': soak_s = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	rc_opts.mr_kind = rc_mr_kind_parse(mr);
	if (!rc_opts.dev[0] || !rc_opts.dev[1] || optind != argc ||
	    rc_opts.mr_kind < 0 || rc_opts.timeout_ms <= 0) {
		usage(stderr);
		return 2;
	}
	for (side = 0; side < 2; side++)
		if (!strncmp(rc_opts.dev[side], "rxe", 3))
			rc_opts.mr_force[side] = RC_MR_PINNED;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# rc_lossy %s -> %s, MRs: A %s, B %s\n", rc_opts.dev[0],
	       rc_opts.dev[1],
	       rc_mr_kind_name[rc_opts.mr_force[0] >= 0 ? rc_opts.mr_force[0] :
			       rc_opts.mr_kind],
	       rc_mr_kind_name[rc_opts.mr_force[1] >= 0 ? rc_opts.mr_force[1] :
			       rc_opts.mr_kind]);
	if (soak_s >= 0)
		return soak(soak_s);
	return rc_run_tests("rc_lossy", tests,
			    sizeof(tests) / sizeof(tests[0]), patterns, NULL);
}
