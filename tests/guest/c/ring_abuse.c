// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ring_abuse: a process scribbling on its own sodp rings.
 *
 *   ring_abuse -d sodp0 [-t PATTERN] [-s SEED]
 *
 * The send, receive and completion rings are shared memory: the kernel
 * must survive anything user space writes there, and turn it into an error
 * completion or the error state of that one QP or CQ, never a crash, a
 * hang, a kernel report or a leak.  This program finds its rings the way
 * any process could (the uverbs mappings in /proc/self/maps, told apart by
 * the wr_ids it posted), writes bad WQEs and bad counters behind the
 * provider's back, and rings the doorbell itself (the uverbs POST_SEND
 * command with no work requests, as the provider does).
 *
 * Each case runs on a fresh loopback QP pair and checks what the kernel
 * made of it; after all of them a fresh pair must move data byte-exactly.
 * The harness adds: no kernel report, and sodp unloads.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/sodp-abi.h>

#include "rc_common.h"

#define MAGIC_SQ	0x5344505351ULL	/* "SDPSQ" */
#define MAGIC_RQ	0x5344505251ULL	/* "SDPRQ" */

/* One ring as this process sees it. */
struct ring {
	uint8_t *base;
	size_t len;
	uint32_t slot_size, num_slots;
};

static struct sodp_ring_hdr *hdr(const struct ring *r)
{
	return (struct sodp_ring_hdr *)r->base;
}

static void *slot(const struct ring *r, uint32_t i)
{
	return r->base + SODP_RING_HDR_SIZE +
	       (size_t)(i & (r->num_slots - 1)) * r->slot_size;
}

/*
 * The uverbs mapping whose slot 0 holds wr_id MAGIC: the caller posted
 * exactly one WQE with it on a fresh queue.  Its geometry comes from the
 * QP's capabilities (num_slots = max_*_wr, a power of two).
 */
static void find_ring(struct ring *r, uint64_t magic, uint32_t num_slots)
{
	char line[512], path[256];
	unsigned long lo, hi;
	FILE *f = fopen("/proc/self/maps", "r");

	T_CHECK(f, "/proc/self/maps: %s", strerror(errno));
	memset(r, 0, sizeof(*r));
	while (fgets(line, sizeof(line), f)) {
		uint64_t wr_id;

		path[0] = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %255s", &lo, &hi,
			   path) < 2 || !strstr(path, "/dev/infiniband/uverbs"))
			continue;
		if (hi - lo < SODP_RING_HDR_SIZE + sizeof(wr_id))
			continue;
		memcpy(&wr_id, (uint8_t *)lo + SODP_RING_HDR_SIZE,
		       sizeof(wr_id));
		if (wr_id != magic)
			continue;
		r->base = (uint8_t *)lo;
		r->len = hi - lo;
		r->num_slots = num_slots;
		r->slot_size = (r->len - SODP_RING_HDR_SIZE) / num_slots;
		/* slots are powers of two; the mapping is page-rounded */
		while (r->slot_size & (r->slot_size - 1))
			r->slot_size &= r->slot_size - 1;
		break;
	}
	fclose(f);
	T_CHECK(r->base, "no uverbs mapping holds wr_id 0x%llx",
		(unsigned long long)magic);
}

/* The provider's doorbell, rung by hand. */
static int doorbell(struct ibv_qp *qp)
{
	struct ib_uverbs_post_send_resp resp;
	struct {
		struct ib_uverbs_cmd_hdr hdr;
		struct ib_uverbs_post_send cmd;
	} req = {
		.hdr = {
			.command = IB_USER_VERBS_CMD_POST_SEND,
			.in_words = sizeof(req) / 4,
			.out_words = sizeof(resp) / 4,
		},
		.cmd = {
			.response = (uintptr_t)&resp,
			.qp_handle = qp->handle,
			.wqe_size = sizeof(struct ib_uverbs_send_wr),
		},
	};

	return write(qp->context->cmd_fd, &req, sizeof(req)) == sizeof(req) ?
	       0 : errno;
}

/*
 * A pair with one completed WRITE from A (wr_id MAGIC_SQ, so A's SQ ring
 * can be found) and one receive posted on B (MAGIC_RQ).
 */
struct bed {
	struct rc_pair p;
	struct rc_buf src, dst;
	struct ring sq, rq;
	uint32_t sq_prod, rq_prod;	/* where the provider left them */
};

static void bed_up(struct bed *b, struct rc_env *env)
{
	struct ibv_send_wr wr;
	struct ibv_sge sg, rsg;
	struct rc_cfg cfg;

	rc_cfg_default(&cfg);
	cfg.max_send_wr = 16;
	cfg.max_recv_wr = 16;
	cfg.timeout = 12;
	cfg.retry_cnt = 1;
	rc_pair_create(&b->p, env, &cfg);
	rc_buf_alloc(&b->src, "src", b->p.a.pd, 65536, RC_ACCESS_ALL);
	rc_buf_alloc(&b->dst, "dst", b->p.b.pd, 65536, RC_ACCESS_ALL);
	rc_buf_fill(&b->src, 1);
	rc_buf_fill(&b->dst, 2);

	sg = rc_sge(&b->src, 0, 4096);
	rc_wr(&wr, &sg, 1, MAGIC_SQ, IBV_WR_RDMA_WRITE, IBV_SEND_SIGNALED);
	wr.wr.rdma.remote_addr = rc_addr(&b->dst, 0);
	wr.wr.rdma.rkey = b->dst.mr->rkey;
	rc_post_send(&b->p.a, &wr);
	rc_expect(b->p.a.scq, &(struct rc_want){ .wr_id = MAGIC_SQ,
		  .status = IBV_WC_SUCCESS, .opcode = IBV_WC_RDMA_WRITE,
		  .byte_len = RC_ANY, .qp_num = b->p.a.qp->qp_num }, "WRITE");
	rc_buf_expect(&b->dst, 0, b->src.p, 4096);
	rsg = rc_sge(&b->dst, 8192, 4096);
	rc_post_recv(&b->p.b, MAGIC_RQ, &rsg, 1);

	find_ring(&b->sq, MAGIC_SQ, b->p.a.cap.max_send_wr);
	find_ring(&b->rq, MAGIC_RQ, b->p.b.cap.max_recv_wr);
	b->sq_prod = hdr(&b->sq)->prod;
	b->rq_prod = hdr(&b->rq)->prod;
	T_EQ(b->sq_prod, 1, "SQ prod after one WRITE");
	T_EQ(b->rq_prod, 1, "RQ prod after one receive");
}

static void bed_down(struct bed *b)
{
	rc_buf_free(&b->src);
	rc_buf_free(&b->dst);
	rc_pair_destroy(&b->p);
}

/* Publish N hand-written SQ slots (already filled) and ring the doorbell. */
static int sq_publish(struct bed *b, uint32_t n)
{
	__atomic_store_n(&hdr(&b->sq)->prod, b->sq_prod + n, __ATOMIC_RELEASE);
	return doorbell(b->p.a.qp);
}

static struct sodp_send_wqe *sq_next(struct bed *b, uint32_t k)
{
	struct sodp_send_wqe *w = slot(&b->sq, b->sq_prod + k);

	memset(w, 0, b->sq.slot_size);
	w->wr_id = 0x100 + k;
	w->flags = SODP_WQE_SIGNALED;
	return w;
}

/* A's next completion is wr_id with STATUS, and A is then in ERR. */
static void expect_local_error(struct bed *b, uint64_t wr_id,
			       enum ibv_wc_status status, const char *what)
{
	rc_expect(b->p.a.scq, &(struct rc_want){ .wr_id = wr_id,
		  .status = status, .opcode = RC_ANY, .byte_len = RC_ANY,
		  .qp_num = b->p.a.qp->qp_num }, what);
	T_CHECK(rc_wait_qp_state(b->p.a.qp, IBV_QPS_ERR, rc_opts.timeout_ms),
		"%s: A did not enter ERR", what);
}

/* ---- the cases ---- */

static void case_bad_opcode(struct bed *b)
{
	struct sodp_send_wqe *w = sq_next(b, 0);

	w->opcode = 0xee;
	T_OK(sq_publish(b, 1));
	expect_local_error(b, 0x100, IBV_WC_LOC_QP_OP_ERR, "opcode 0xee");
}

/*
 * The kernel's IB_WR_REG_MR (0x20; no IBV_WR_* number) naming A's own MR
 * with a new key: fast registration is for kernel consumers' MRs, and a
 * user ring carrying it fails; the MR keeps its key.
 */
static void case_kernel_reg_mr(struct bed *b)
{
	struct sodp_send_wqe *w = sq_next(b, 0);
	struct ibv_mr *mr = b->src.mr;

	w->opcode = 0x20;
	w->rkey = (mr->lkey & ~0xffu) | ((mr->lkey + 1) & 0xff);
	w->bind.mr_lkey = mr->lkey;
	w->bind.addr = (uintptr_t)mr->addr;
	w->bind.length = mr->length;
	w->bind.access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE;
	T_OK(sq_publish(b, 1));
	expect_local_error(b, 0x100, IBV_WC_LOC_QP_OP_ERR,
			   "the kernel's REG_MR opcode");
}

static void case_huge_num_sge(struct bed *b)
{
	struct sodp_send_wqe *w = sq_next(b, 0);

	w->opcode = IBV_WR_RDMA_WRITE;
	w->num_sge = 0xffff;
	w->rkey = b->dst.mr->rkey;
	w->remote_addr = rc_addr(&b->dst, 0);
	T_OK(sq_publish(b, 1));
	expect_local_error(b, 0x100, IBV_WC_LOC_QP_OP_ERR, "num_sge 65535");
}

static void case_huge_inline(struct bed *b)
{
	struct sodp_send_wqe *w = sq_next(b, 0);

	w->opcode = IBV_WR_SEND;
	w->flags |= SODP_WQE_INLINE;
	w->inline_len = 0xffffffff;
	T_OK(sq_publish(b, 1));
	expect_local_error(b, 0x100, IBV_WC_LOC_QP_OP_ERR, "inline 4 GiB");
}

static void case_sge_overflow(struct bed *b)
{
	struct sodp_send_wqe *w = sq_next(b, 0);
	struct sodp_sge *sg = (struct sodp_sge *)(w + 1);

	/* two SGEs whose lengths wrap 32 bits to 4096 */
	w->opcode = IBV_WR_RDMA_WRITE;
	w->num_sge = 2;
	w->rkey = b->dst.mr->rkey;
	w->remote_addr = rc_addr(&b->dst, 0);
	sg[0] = (struct sodp_sge){ rc_addr(&b->src, 0), 0xfffff000u,
				   b->src.mr->lkey };
	sg[1] = (struct sodp_sge){ rc_addr(&b->src, 0), 0x2000u,
				   b->src.mr->lkey };
	T_OK(sq_publish(b, 1));
	/* 4 GiB + 4 KiB in all: more than a message may carry */
	expect_local_error(b, 0x100, IBV_WC_LOC_QP_OP_ERR,
			   "SGE lengths wrapping");
}

static void case_atomic_two_sges(struct bed *b)
{
	struct sodp_send_wqe *w = sq_next(b, 0);
	struct sodp_sge *sg = (struct sodp_sge *)(w + 1);

	w->opcode = IBV_WR_ATOMIC_FETCH_AND_ADD;
	w->num_sge = 2;
	w->rkey = b->dst.mr->rkey;
	w->remote_addr = rc_addr(&b->dst, 0);
	sg[0] = (struct sodp_sge){ rc_addr(&b->src, 0), 4, b->src.mr->lkey };
	sg[1] = (struct sodp_sge){ rc_addr(&b->src, 8), 4, b->src.mr->lkey };
	T_OK(sq_publish(b, 1));
	expect_local_error(b, 0x100, IBV_WC_LOC_QP_OP_ERR, "atomic, 2 SGEs");
}

/* prod far past the ring's size: the QP goes to ERR. */
static void case_prod_overrun(struct bed *b)
{
	__atomic_store_n(&hdr(&b->sq)->prod, b->sq_prod + b->sq.num_slots + 5,
			 __ATOMIC_RELEASE);
	doorbell(b->p.a.qp);
	T_CHECK(rc_wait_qp_state(b->p.a.qp, IBV_QPS_ERR, rc_opts.timeout_ms),
		"prod overrun: A did not enter ERR");
}

/* prod moved backwards past what was completed. */
static void case_prod_backwards(struct bed *b)
{
	__atomic_store_n(&hdr(&b->sq)->prod, b->sq_prod - 3, __ATOMIC_RELEASE);
	doorbell(b->p.a.qp);
	T_CHECK(rc_wait_qp_state(b->p.a.qp, IBV_QPS_ERR, rc_opts.timeout_ms),
		"prod backwards: A did not enter ERR");
}

/*
 * The kernel owns cons and never reads it back: garbage there changes
 * nothing, and the kernel's next update puts the right value back.
 */
static void case_cons_scribbled(struct bed *b)
{
	struct sodp_send_wqe *w = sq_next(b, 0);
	struct sodp_sge *sg = (struct sodp_sge *)(w + 1);
	struct rc_want want;

	hdr(&b->sq)->cons = 0xdeadbeef;
	w->opcode = IBV_WR_RDMA_WRITE;
	w->num_sge = 1;
	w->rkey = b->dst.mr->rkey;
	w->remote_addr = rc_addr(&b->dst, 4096);
	sg[0] = (struct sodp_sge){ rc_addr(&b->src, 4096), 4096,
				   b->src.mr->lkey };
	T_OK(sq_publish(b, 1));
	want = rc_ok(&b->p.a, 0x100, IBV_WC_RDMA_WRITE, RC_ANY);
	rc_expect(b->p.a.scq, &want, "WRITE after cons scribbled");
	T_EQ(__atomic_load_n(&hdr(&b->sq)->cons, __ATOMIC_ACQUIRE),
	     b->sq_prod + 1, "SQ cons after the kernel's next update");
	rc_buf_expect(&b->dst, 4096, b->src.p + 4096, 4096);
	rc_buf_verify(&b->dst);
}

/* A slot rewritten after the doorbell: either version, never a mix. */
static void case_rewrite_after_post(struct bed *b)
{
	struct sodp_send_wqe *w = sq_next(b, 0);
	struct sodp_sge *sg = (struct sodp_sge *)(w + 1);
	struct ibv_wc wc;
	int i;

	w->opcode = IBV_WR_RDMA_WRITE;
	w->num_sge = 1;
	w->rkey = b->dst.mr->rkey;
	w->remote_addr = rc_addr(&b->dst, 0);
	sg[0] = (struct sodp_sge){ rc_addr(&b->src, 0), 4096,
				   b->src.mr->lkey };
	T_OK(sq_publish(b, 1));
	for (i = 0; i < 1000; i++) {
		w->num_sge = (uint16_t)(i * 7919);
		sg[0].length = (uint32_t)i * 104729u;
		w->opcode = (uint8_t)i;
	}
	/* whichever version the kernel copied, it completes */
	rc_poll(b->p.a.scq, &wc, 1, "slot rewritten");
	T_EQ(wc.wr_id, 0x100, "wr_id of the rewritten slot");
}

/* Receive WQE with an impossible SGE count, then a SEND arrives. */
static void case_recv_huge_num_sge(struct bed *b)
{
	struct sodp_recv_wqe *r;
	struct ibv_send_wr wr;
	struct ibv_sge sg;
	struct ibv_wc wc;

	/* consume the MAGIC_RQ receive first, with a good SEND */
	sg = rc_sge(&b->src, 0, 64);
	rc_wr(&wr, &sg, 1, 1, IBV_WR_SEND, IBV_SEND_SIGNALED);
	rc_post_send(&b->p.a, &wr);
	rc_poll(b->p.b.rcq, &wc, 1, "first receive");
	rc_poll(b->p.a.scq, &wc, 1, "first SEND");

	r = slot(&b->rq, b->rq_prod);
	memset(r, 0, b->rq.slot_size);
	r->wr_id = 0x200;
	r->num_sge = 0x7fffffff;
	__atomic_store_n(&hdr(&b->rq)->prod, b->rq_prod + 1, __ATOMIC_RELEASE);
	rc_wr(&wr, &sg, 1, 2, IBV_WR_SEND, IBV_SEND_SIGNALED);
	rc_post_send(&b->p.a, &wr);
	rc_poll(b->p.b.rcq, &wc, 1, "bad receive");
	T_EQ(wc.wr_id, 0x200, "bad receive wr_id");
	T_CHECK(wc.status != IBV_WC_SUCCESS, "a receive with 2^31 SGEs "
		"completed successfully");
	rc_poll(b->p.a.scq, &wc, 1, "SEND into the bad receive");
	T_CHECK(wc.status != IBV_WC_SUCCESS, "SEND into a bad receive "
		"completed successfully");
}

/* RQ prod overrun, then a SEND: B goes to ERR, A gets an error. */
static void case_rq_overrun(struct bed *b)
{
	struct ibv_send_wr wr;
	struct ibv_sge sg;
	struct ibv_wc wc;

	__atomic_store_n(&hdr(&b->rq)->prod, b->rq_prod + 1000,
			 __ATOMIC_RELEASE);
	sg = rc_sge(&b->src, 0, 64);
	rc_wr(&wr, &sg, 1, 1, IBV_WR_SEND, IBV_SEND_SIGNALED);
	rc_post_send(&b->p.a, &wr);
	rc_poll(b->p.a.scq, &wc, 1, "SEND into an overrun RQ");
	T_CHECK(wc.status != IBV_WC_SUCCESS, "SEND into an overrun RQ "
		"completed successfully");
	T_CHECK(rc_wait_qp_state(b->p.b.qp, IBV_QPS_ERR, rc_opts.timeout_ms),
		"RQ overrun: B did not enter ERR");
}

/* Random bytes over every SQ slot and random prods, doorbell each time. */
static void case_sq_noise(struct bed *b)
{
	uint64_t x = 0x243f6a8885a308d3ULL;
	size_t i;
	int round;

	for (round = 0; round < 200; round++) {
		uint8_t *p = b->sq.base + SODP_RING_HDR_SIZE;

		for (i = 0; i < (size_t)b->sq.num_slots * b->sq.slot_size; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p[i] = (uint8_t)x;
		}
		__atomic_store_n(&hdr(&b->sq)->prod,
				 round % 3 ? b->sq_prod + (uint32_t)(x % 20) :
					     (uint32_t)x, __ATOMIC_RELEASE);
		doorbell(b->p.a.qp);
	}
	/* whatever happened, the QP must be destroyable and the CQ drainable */
	rc_sleep_ms(200);
	while (ibv_poll_cq(b->p.a.scq, 1, &(struct ibv_wc){ 0 }) > 0)
		;
}

/* An IBV_EVENT_CQ_ERR for CQ arrives (other events are acknowledged). */
static bool wait_cq_err(struct ibv_context *ctx, struct ibv_cq *cq)
{
	uint64_t end = rc_now_ms() + rc_opts.timeout_ms;
	struct ibv_async_event ev;
	struct pollfd pfd = { .fd = ctx->async_fd, .events = POLLIN };
	bool found = false;
	int flags = fcntl(ctx->async_fd, F_GETFL);

	fcntl(ctx->async_fd, F_SETFL, flags | O_NONBLOCK);
	while (!found && rc_now_ms() < end) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		while (!ibv_get_async_event(ctx, &ev)) {
			found |= ev.event_type == IBV_EVENT_CQ_ERR &&
				 ev.element.cq == cq;
			ibv_ack_async_event(&ev);
		}
	}
	fcntl(ctx->async_fd, F_SETFL, flags);
	return found;
}

/* The CQ's cons is the provider's: garbage there must not hurt. */
static void case_cq_cons_scribbled(struct bed *b)
{
	struct ibv_send_wr wr;
	struct ring cq;
	struct ibv_sge sg;
	char line[512], path[256];
	unsigned long lo, hi;
	FILE *f;
	int i;

	/* A's send CQ holds one completion (MAGIC_SQ), already polled. */
	f = fopen("/proc/self/maps", "r");
	T_CHECK(f, "maps");
	memset(&cq, 0, sizeof(cq));
	while (fgets(line, sizeof(line), f)) {
		struct sodp_cqe c;

		path[0] = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %255s", &lo, &hi,
			   path) < 2 || !strstr(path, "/dev/infiniband/uverbs"))
			continue;
		memcpy(&c, (uint8_t *)lo + SODP_RING_HDR_SIZE, sizeof(c));
		if (c.wr_id == MAGIC_SQ && c.qp_num == b->p.a.qp->qp_num &&
		    c.opcode == IBV_WC_RDMA_WRITE) {
			cq.base = (uint8_t *)lo;
			break;
		}
	}
	fclose(f);
	T_CHECK(cq.base, "A's send CQ ring not found");
	hdr(&cq)->cons = 0x80000000u;
	for (i = 0; i < 4; i++) {
		sg = rc_sge(&b->src, 0, 64);
		rc_wr(&wr, &sg, 1, 10 + i, IBV_WR_RDMA_WRITE,
		      IBV_SEND_SIGNALED);
		wr.wr.rdma.remote_addr = rc_addr(&b->dst, 0);
		wr.wr.rdma.rkey = b->dst.mr->rkey;
		if (ibv_post_send(b->p.a.qp, &wr, &(struct ibv_send_wr *){ 0 }))
			break;
	}
	/* the kernel sees a CQ it cannot trust: CQ error, A to ERR */
	T_CHECK(wait_cq_err(b->p.a.dev->ctx, b->p.a.scq),
		"no IBV_EVENT_CQ_ERR for a CQ whose cons is garbage");
	T_CHECK(rc_wait_qp_state(b->p.a.qp, IBV_QPS_ERR, rc_opts.timeout_ms),
		"CQ overflow: A did not enter ERR");
}

static const struct {
	const char *name;
	void (*fn)(struct bed *b);
} cases[] = {
	{ "sq-bad-opcode", case_bad_opcode },
	{ "sq-kernel-reg-mr", case_kernel_reg_mr },
	{ "sq-huge-num-sge", case_huge_num_sge },
	{ "sq-huge-inline", case_huge_inline },
	{ "sq-sge-length-wrap", case_sge_overflow },
	{ "sq-atomic-two-sges", case_atomic_two_sges },
	{ "sq-prod-overrun", case_prod_overrun },
	{ "sq-prod-backwards", case_prod_backwards },
	{ "sq-cons-scribbled", case_cons_scribbled },
	{ "sq-rewrite-after-post", case_rewrite_after_post },
	{ "rq-huge-num-sge", case_recv_huge_num_sge },
	{ "rq-prod-overrun", case_rq_overrun },
	{ "sq-noise", case_sq_noise },
	{ "cq-cons-scribbled", case_cq_cons_scribbled },
};

int main(int argc, char **argv)
{
	const char *pattern = "*";
	struct rc_pair pair;
	struct rc_cfg cfg;
	struct rc_env env;
	size_t i, ran = 0;
	int c;

	while ((c = getopt(argc, argv, "d:t:")) != -1) {
		switch (c) {
		case 'd': rc_opts.dev[0] = optarg; break;
		case 't': pattern = optarg; break;
		default:
			fprintf(stderr, "usage: ring_abuse -d DEV [-t PATTERN]\n");
			return 2;
		}
	}
	if (!rc_opts.dev[0]) {
		fprintf(stderr, "usage: ring_abuse -d DEV [-t PATTERN]\n");
		return 2;
	}
	rc_env_open(&env);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bed b;

		if (fnmatch(pattern, cases[i].name, 0))
			continue;
		rc_test_name = cases[i].name;
		printf("ring_abuse: %s\n", cases[i].name);
		fflush(stdout);
		bed_up(&b, &env);
		cases[i].fn(&b);
		bed_down(&b);
		ran++;
	}
	T_CHECK(ran, "no case matches %s", pattern);

	rc_test_name = "after";
	rc_cfg_default(&cfg);
	rc_pair_create(&pair, &env, &cfg);
	rc_healthy_transfer(&pair, "after the abuse");
	rc_pair_destroy(&pair);
	rc_env_close(&env);
	printf("ring_abuse: ok, %zu cases; the device still moves data\n", ran);
	return 0;
}
