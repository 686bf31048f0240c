// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uc_ops: Unreliable Connected QPs.  UC is RC without acknowledgements:
 * SEND and RDMA WRITE (with or without immediate) only, a requester that
 * completes a WQE once its last packet is out, and a responder that drops
 * what it cannot take (a lost packet's message, a SEND with no receive
 * posted, a bad rkey) silently and goes on with the next message.
 *
 *   send            SENDs of 0 bytes to 64 KiB over 1 and 2 SGEs, byte-exact
 *   send-imm        SEND with immediate: the immediate arrives
 *   write           RDMA WRITEs of the same sizes, byte-exact; B sees nothing
 *   write-imm       WRITE with immediate: B's receive completes
 *                   IBV_WC_RECV_RDMA_WITH_IMM with the WRITE's length
 *   refused         READ and the atomics cannot be posted on UC (EINVAL)
 *   no-receive      a SEND with no receive posted completes on A and is
 *                   dropped at B; the next one, with a receive, arrives
 *   bad-rkey        a WRITE with a wrong rkey completes on A, writes
 *                   nothing, and B's QP stays in RTS
 *   too-small       a SEND longer than the receive is dropped; the receive
 *                   stays posted and takes the next SEND
 *   sq-error        a SEND with a bad lkey completes LOC_PROT_ERR and puts A
 *                   in SQE: A still receives, and back in RTS it sends
 *   many            1000 SENDs in rounds of 64: the PSNs run on without ACKs
 *   lossy           200 SENDs of 1 to 4 packets, numbered: every one that
 *                   arrives is byte-exact and in order, none twice; run it
 *                   across a link with netem loss (t-uc), where some are lost
 *                   (UC_OPS_EXPECT_LOSS=1: then one must be)
 *
 * Run looped back on one device, or -d A -D B across two; either may be
 * rxe.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "rc_common.h"
#include "rc_runner.h"

#define KiB		1024
#define BUF_LEN		(64 * KiB + 4 * KiB)
#define UC_ACCESS	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE)

struct bed {
	struct rc_pair p;
	struct rc_buf sa;	/* A's source */
	struct rc_buf rb;	/* B's receive buffers and WRITE target */
};

static void bed_init(struct bed *t, struct rc_env *env)
{
	struct rc_cfg cfg;

	rc_cfg_default(&cfg);
	cfg.uc = true;
	cfg.access = UC_ACCESS;
	rc_pair_create(&t->p, env, &cfg);
	rc_buf_alloc(&t->sa, "A source", t->p.a.pd, BUF_LEN,
		     IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&t->rb, "B target", t->p.b.pd, BUF_LEN, UC_ACCESS);
	rc_buf_fill(&t->sa, 0x5c);
	rc_buf_fill(&t->rb, 0xc5);
}

/* The completion of a WR of @e that succeeded, on @cq. */
static void expect_ok(struct ibv_cq *cq, const struct rc_ep *e, uint64_t id,
		      enum ibv_wc_opcode op, long long len, const char *what)
{
	struct rc_want w = rc_ok(e, id, op, len);

	rc_expect(cq, &w, what);
}

static void bed_fini(struct bed *t)
{
	rc_pair_quiet(&t->p, 200);
	rc_buf_free(&t->sa);
	rc_buf_free(&t->rb);
	rc_pair_destroy(&t->p);
}

static size_t test_len(const struct bed *t, int i)
{
	size_t mtu = t->p.mtu_bytes;
	const size_t lens[] = { 0, 1, mtu - 1, mtu, mtu + 1, 3 * mtu + 7,
				64 * KiB };

	return i < (int)(sizeof(lens) / sizeof(lens[0])) ? lens[i] : 0;
}

#define NLENS 7

/* Two SGEs where there are bytes for both, to cross a boundary. */
static int split_sge(struct ibv_sge *sg, const struct rc_buf *b, size_t off,
		     size_t len, size_t first)
{
	if (!len)
		return 0;
	if (len < 2) {
		sg[0] = rc_sge(b, off, len);
		return 1;
	}
	sg[0] = rc_sge(b, off, first);
	sg[1] = rc_sge(b, off + first, len - first);
	return 2;
}

static void post_recv_at(struct bed *t, uint64_t id, size_t off, size_t len)
{
	struct ibv_sge sg[2];
	int n = split_sge(sg, &t->rb, off, len, len / 2);

	rc_post_recv(&t->p.b, id, sg, n);
}

static void send_one(struct bed *t, uint64_t id, size_t soff, size_t len,
		     bool imm)
{
	struct ibv_sge sg[2];
	int n = split_sge(sg, &t->sa, soff, len, len / 3 ? len / 3 : 1);
	struct ibv_send_wr wr;

	rc_wr(&wr, sg, n, id, imm ? IBV_WR_SEND_WITH_IMM : IBV_WR_SEND,
	      IBV_SEND_SIGNALED);
	if (imm)
		wr.imm_data = htonl(0x1d000000 | (uint32_t)id);
	rc_post_send(&t->p.a, &wr);
}

static void t_send(struct rc_env *env, long imm)
{
	struct bed t;
	struct rc_want w;
	int i;

	bed_init(&t, env);
	for (i = 0; i < NLENS; i++) {
		size_t len = test_len(&t, i), soff = 13 * i;
		char what[64];

		snprintf(what, sizeof(what), "SEND%s of %zu bytes",
			 imm ? " with immediate" : "", len);
		post_recv_at(&t, 0x100 + i, 0, BUF_LEN);
		send_one(&t, 0x200 + i, soff, len, imm);
		expect_ok(t.p.a.scq, &t.p.a, 0x200 + i, IBV_WC_SEND,
			  RC_ANY, what);
		w = rc_ok(&t.p.b, 0x100 + i, IBV_WC_RECV, len);
		if (imm) {
			w.imm = 1;
			w.imm_data = htonl(0x1d000000 | (0x200 + i));
		}
		rc_expect(t.p.b.rcq, &w, what);
		rc_buf_expect(&t.rb, 0, t.sa.p + soff, len);
		rc_buf_verify(&t.rb);
	}
	bed_fini(&t);
}

static void write_one(struct bed *t, uint64_t id, size_t soff, size_t roff,
		      size_t len, uint32_t rkey, bool imm)
{
	struct ibv_sge sg = rc_sge(&t->sa, soff, len);
	struct ibv_send_wr wr;

	rc_wr(&wr, &sg, len ? 1 : 0, id,
	      imm ? IBV_WR_RDMA_WRITE_WITH_IMM : IBV_WR_RDMA_WRITE,
	      IBV_SEND_SIGNALED);
	wr.wr.rdma.remote_addr = rc_addr(&t->rb, roff);
	wr.wr.rdma.rkey = rkey;
	if (imm)
		wr.imm_data = htonl(0x3e000000 | (uint32_t)id);
	rc_post_send(&t->p.a, &wr);
}

static void t_write(struct rc_env *env, long imm)
{
	struct bed t;
	struct rc_want w;
	int i;

	bed_init(&t, env);
	for (i = 0; i < NLENS; i++) {
		size_t len = test_len(&t, i), soff = 7 * i, roff = 11 * i;
		char what[64];

		snprintf(what, sizeof(what), "WRITE%s of %zu bytes",
			 imm ? " with immediate" : "", len);
		if (imm)
			rc_post_recv(&t.p.b, 0x300 + i, NULL, 0);
		write_one(&t, 0x400 + i, soff, roff, len, t.rb.mr->rkey, imm);
		expect_ok(t.p.a.scq, &t.p.a, 0x400 + i, IBV_WC_RDMA_WRITE,
			  RC_ANY, what);
		if (!imm)
			rc_expect_none(t.p.b.rcq, 50, "B, after a plain WRITE");
		if (imm) {
			w = rc_ok(&t.p.b, 0x300 + i, IBV_WC_RECV_RDMA_WITH_IMM,
				  len);
			w.imm = 1;
			w.imm_data = htonl(0x3e000000 | (0x400 + i));
			rc_expect(t.p.b.rcq, &w, what);
		} else {
			/* A WRITE arrives when the next SEND does: use one. */
			post_recv_at(&t, 0x500 + i, BUF_LEN - 64, 64);
			send_one(&t, 0x600 + i, 0, 8, false);
			expect_ok(t.p.a.scq, &t.p.a, 0x600 + i, IBV_WC_SEND,
				  RC_ANY, what);
			expect_ok(t.p.b.rcq, &t.p.b, 0x500 + i, IBV_WC_RECV,
				  8, what);
			rc_buf_expect(&t.rb, BUF_LEN - 64, t.sa.p, 8);
		}
		rc_buf_expect(&t.rb, roff, t.sa.p + soff, len);
		rc_buf_verify(&t.rb);
	}
	bed_fini(&t);
}

static void t_refused(struct rc_env *env, long arg)
{
	const enum ibv_wr_opcode ops[] = {
		IBV_WR_RDMA_READ, IBV_WR_ATOMIC_CMP_AND_SWP,
		IBV_WR_ATOMIC_FETCH_AND_ADD,
	};
	struct ibv_send_wr wr, *bad;
	struct ibv_sge sg;
	struct bed t;
	unsigned int i;
	int err;

	(void)arg;
	bed_init(&t, env);
	if (strncmp(t.p.a.dev->name, "sodp", 4))
		rc_skip("rxe", "%s: rxe's provider posts a READ on a UC QP",
			t.p.a.dev->name);
	sg = rc_sge(&t.sa, 0, 8);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		rc_wr(&wr, &sg, 1, 0x700 + i, ops[i], IBV_SEND_SIGNALED);
		wr.wr.rdma.remote_addr = rc_addr(&t.rb, 0);
		wr.wr.rdma.rkey = t.rb.mr->rkey;
		if (ops[i] != IBV_WR_RDMA_READ) {
			wr.wr.atomic.remote_addr = rc_addr(&t.rb, 0);
			wr.wr.atomic.rkey = t.rb.mr->rkey;
		}
		bad = NULL;
		err = ibv_post_send(t.p.a.qp, &wr, &bad);
		T_CHECK(err == EINVAL && bad == &wr,
			"opcode %d on a UC QP: ibv_post_send gave %d (%s), "
			"want EINVAL at the WR", ops[i], err, strerror(err));
	}
	/* Nothing was posted: the next SEND is the first completion. */
	post_recv_at(&t, 0x710, 0, 64);
	send_one(&t, 0x720, 0, 64, false);
	expect_ok(t.p.a.scq, &t.p.a, 0x720, IBV_WC_SEND,
		  RC_ANY, "SEND after the refused WRs");
	expect_ok(t.p.b.rcq, &t.p.b, 0x710, IBV_WC_RECV,
		  64, "SEND after the refused WRs");
	rc_buf_expect(&t.rb, 0, t.sa.p, 64);
	rc_buf_verify(&t.rb);
	bed_fini(&t);
}

/* B's uc_messages_dropped, or -1 if B is not sodp. */
static long long b_dropped(const struct bed *t)
{
	if (strncmp(t->p.b.dev->name, "sodp", 4))
		return -1;
	return rc_hw_counter(t->p.b.dev->name, "uc_messages_dropped");
}

static void expect_dropped(const struct bed *t, long long before,
			   const char *what)
{
	long long now = b_dropped(t);

	if (before < 0)
		return;
	T_CHECK(now == before + 1, "%s: uc_messages_dropped %lld -> %lld, "
		"want one more", what, before, now);
}

static void t_no_receive(struct rc_env *env, long arg)
{
	struct bed t;
	long long before;
	size_t len;

	(void)arg;
	bed_init(&t, env);
	len = 2 * t.p.mtu_bytes + 5;
	before = b_dropped(&t);
	send_one(&t, 0x800, 0, len, false);
	expect_ok(t.p.a.scq, &t.p.a, 0x800, IBV_WC_SEND,
		  RC_ANY, "SEND with no receive posted");
	rc_expect_none(t.p.b.rcq, 300, "B, after a SEND it had no receive for");
	expect_dropped(&t, before, "SEND with no receive posted");
	T_EQ(rc_qp_state(t.p.b.qp), IBV_QPS_RTS, "B's state after the drop");

	post_recv_at(&t, 0x810, 0, BUF_LEN);
	send_one(&t, 0x820, 100, len, false);
	expect_ok(t.p.a.scq, &t.p.a, 0x820, IBV_WC_SEND,
		  RC_ANY, "the next SEND");
	expect_ok(t.p.b.rcq, &t.p.b, 0x810, IBV_WC_RECV,
		  len, "the next SEND");
	rc_buf_expect(&t.rb, 0, t.sa.p + 100, len);
	rc_buf_verify(&t.rb);
	bed_fini(&t);
}

static void t_bad_rkey(struct rc_env *env, long arg)
{
	struct bed t;
	struct rc_want w;
	long long before;
	size_t len;

	(void)arg;
	bed_init(&t, env);
	len = 3 * t.p.mtu_bytes;
	before = b_dropped(&t);
	write_one(&t, 0x900, 0, 0, len, t.rb.mr->rkey ^ 0x5a5a00, false);
	expect_ok(t.p.a.scq, &t.p.a, 0x900, IBV_WC_RDMA_WRITE,
		  RC_ANY, "WRITE with a bad rkey");
	rc_sleep_ms(200);
	rc_buf_verify(&t.rb);	/* nothing written */
	expect_dropped(&t, before, "WRITE with a bad rkey");
	T_EQ(rc_qp_state(t.p.b.qp), IBV_QPS_RTS, "B's state after the drop");
	T_EQ(rc_qp_state(t.p.a.qp), IBV_QPS_RTS, "A's state after the drop");

	/* The receive first: UC drops a WRITE_IMM that finds none. */
	rc_post_recv(&t.p.b, 0x920, NULL, 0);
	write_one(&t, 0x910, 0, 0, len, t.rb.mr->rkey, true);
	expect_ok(t.p.a.scq, &t.p.a, 0x910, IBV_WC_RDMA_WRITE,
		  RC_ANY, "the next WRITE");
	w = rc_ok(&t.p.b, 0x920, IBV_WC_RECV_RDMA_WITH_IMM, len);
	w.imm = 1;
	w.imm_data = htonl(0x3e000000 | 0x910);
	rc_expect(t.p.b.rcq, &w, "the next WRITE");
	rc_buf_expect(&t.rb, 0, t.sa.p, len);
	rc_buf_verify(&t.rb);
	bed_fini(&t);
}

static void t_too_small(struct rc_env *env, long arg)
{
	struct bed t;
	long long before;

	(void)arg;
	bed_init(&t, env);
	if (strncmp(t.p.b.dev->name, "sodp", 4))
		rc_skip("rxe", "%s: rxe completes the short receive with "
			"LOC_QP_OP_ERR, sodp drops the message "
			"(docs/architecture.md)", t.p.b.dev->name);
	before = b_dropped(&t);
	post_recv_at(&t, 0xa00, 0, 100);
	send_one(&t, 0xa10, 0, 2 * t.p.mtu_bytes, false);
	expect_ok(t.p.a.scq, &t.p.a, 0xa10, IBV_WC_SEND,
		  RC_ANY, "SEND longer than the receive");
	rc_expect_none(t.p.b.rcq, 300, "B, after a SEND too long for it");
	expect_dropped(&t, before, "SEND longer than the receive");
	T_EQ(rc_qp_state(t.p.b.qp), IBV_QPS_RTS, "B's state after the drop");

	/* The same receive takes the next SEND, from its first byte. */
	send_one(&t, 0xa20, 500, 50, false);
	expect_ok(t.p.a.scq, &t.p.a, 0xa20, IBV_WC_SEND,
		  RC_ANY, "the next SEND");
	expect_ok(t.p.b.rcq, &t.p.b, 0xa00, IBV_WC_RECV,
		  50, "the next SEND, into the receive still posted");
	rc_buf_expect(&t.rb, 0, t.sa.p + 500, 50);
	/* The dropped SEND's bytes may be in the receive: not checked. */
	memcpy(t.rb.exp + 50, t.rb.p + 50, 50);
	rc_buf_verify(&t.rb);
	bed_fini(&t);
}

/*
 * IBTA: a UC send that fails puts the QP in Send Queue Error, not Error:
 * its receive side goes on, and modify_qp takes it back to RTS.
 */
static void t_sq_error(struct rc_env *env, long arg)
{
	struct ibv_qp_attr attr = { .qp_state = IBV_QPS_RTS };
	struct ibv_send_wr wr;
	struct ibv_sge sg;
	struct rc_want w;
	struct bed t;

	(void)arg;
	bed_init(&t, env);
	if (strncmp(t.p.a.dev->name, "sodp", 4))
		rc_skip("rxe", "%s: rxe moves a UC QP whose send failed "
			"to ERR, not SQE", t.p.a.dev->name);
	sg = rc_sge(&t.sa, 0, 64);
	sg.lkey ^= 0x5a5a00;
	rc_wr(&wr, &sg, 1, 0xb00, IBV_WR_SEND, IBV_SEND_SIGNALED);
	rc_post_send(&t.p.a, &wr);
	rc_expect(t.p.a.scq, (w = rc_err(&t.p.a, 0xb00, IBV_WC_LOC_PROT_ERR),
			      &w), "SEND with a bad lkey");
	T_CHECK(rc_wait_qp_state(t.p.a.qp, IBV_QPS_SQE, 2000),
		"A not in SQE after its send failed (state %d)",
		rc_qp_state(t.p.a.qp));
	rc_expect_none(t.p.b.rcq, 100, "B, after A's failed SEND");

	/* A still receives: B -> A. */
	sg = rc_sge(&t.sa, 1024, 100);
	rc_post_recv(&t.p.a, 0xb10, &sg, 1);
	sg = rc_sge(&t.rb, 2048, 100);
	rc_wr(&wr, &sg, 1, 0xb20, IBV_WR_SEND, IBV_SEND_SIGNALED);
	rc_post_send(&t.p.b, &wr);
	expect_ok(t.p.b.scq, &t.p.b, 0xb20, IBV_WC_SEND,
		  RC_ANY, "B's SEND to A in SQE");
	expect_ok(t.p.a.rcq, &t.p.a, 0xb10, IBV_WC_RECV,
		  100, "A's receive in SQE");
	rc_buf_expect(&t.sa, 1024, t.rb.p + 2048, 100);
	rc_buf_verify(&t.sa);

	/* Back to RTS, A sends again. */
	T_OK(ibv_modify_qp(t.p.a.qp, &attr, IBV_QP_STATE));
	post_recv_at(&t, 0xb30, 0, 64);
	send_one(&t, 0xb40, 0, 64, false);
	expect_ok(t.p.a.scq, &t.p.a, 0xb40, IBV_WC_SEND,
		  RC_ANY, "A's SEND back in RTS");
	expect_ok(t.p.b.rcq, &t.p.b, 0xb30, IBV_WC_RECV,
		  64, "A's SEND back in RTS");
	rc_buf_expect(&t.rb, 0, t.sa.p, 64);
	rc_buf_verify(&t.rb);
	bed_fini(&t);
}

#define ROUND	64
#define SLOT	512

static void t_many(struct rc_env *env, long arg)
{
	struct ibv_wc wc[ROUND];
	struct bed t;
	int r, i;

	(void)arg;
	bed_init(&t, env);
	for (r = 0; r < 1000 / ROUND + 1; r++) {
		int n = r == 1000 / ROUND ? 1000 % ROUND : ROUND;

		rc_buf_fill(&t.sa, 0x100 + r);
		for (i = 0; i < n; i++)
			post_recv_at(&t, i, i * SLOT, SLOT);
		for (i = 0; i < n; i++)
			send_one(&t, i, i * SLOT, SLOT - i, false);
		rc_poll(t.p.a.scq, wc, n, "a round of SENDs");
		for (i = 0; i < n; i++) {
			struct rc_want w = rc_ok(&t.p.a, i, IBV_WC_SEND,
						 RC_ANY);

			rc_check_wc(&wc[i], &w, "SEND");
		}
		rc_poll(t.p.b.rcq, wc, n, "a round of receives");
		for (i = 0; i < n; i++) {
			struct rc_want w = rc_ok(&t.p.b, i, IBV_WC_RECV,
						 SLOT - i);

			rc_check_wc(&wc[i], &w, "receive");
			rc_buf_expect(&t.rb, i * SLOT, t.sa.p + i * SLOT,
				      SLOT - i);
		}
		rc_buf_verify(&t.rb);
	}
	bed_fini(&t);
}

#define LOSSY_N		200
#define LOSSY_RX	16

/* Message k's length: 1 to 4 packets, room for its number. */
static size_t lossy_len(size_t mtu, int k)
{
	return (k % 4) * mtu + sizeof(k) + k % 97;
}

/* Take the receives that completed, check them, post them again. */
static void lossy_drain(struct bed *t, size_t slot, int sent, int *last,
			int *got, int wait_ms)
{
	size_t mtu = t->p.mtu_bytes;
	uint64_t end = rc_now_ms() + wait_ms;
	struct ibv_wc wc;
	int n, m;

	for (;;) {
		uint8_t *dst;
		size_t j;

		n = ibv_poll_cq(t->p.b.rcq, 1, &wc);
		T_CHECK(n >= 0, "ibv_poll_cq: %d", n);
		if (!n) {
			if (rc_now_ms() >= end)
				return;
			rc_sleep_ms(1);
			continue;
		}
		T_CHECK(wc.status == IBV_WC_SUCCESS, "receive %llu: %s",
			(unsigned long long)wc.wr_id,
			ibv_wc_status_str(wc.status));
		dst = t->rb.p + wc.wr_id * slot;
		memcpy(&m, dst, sizeof(m));
		T_CHECK(m > *last && m < sent,
			"message %d after %d (of %d sent): out of order or "
			"twice", m, *last, sent);
		T_EQ(wc.byte_len, lossy_len(mtu, m),
		     "byte_len of the message received");
		for (j = sizeof(m); j < wc.byte_len; j++)
			T_CHECK(dst[j] == rc_pat(m, j),
				"message %d byte %zu: 0x%02x, want 0x%02x", m,
				j, dst[j], rc_pat(m, j));
		*last = m;
		(*got)++;
		post_recv_at(t, wc.wr_id, wc.wr_id * slot, slot);
		end = rc_now_ms();	/* one came: take the rest, no wait */
	}
}

/*
 * Numbered SENDs: message k is 1 to 4 packets long, its first bytes are
 * k, and the rest the pattern of seed k.  Every receive that completes
 * must hold a whole message, exactly, in increasing k.  Across a link that
 * loses packets some messages never arrive; one that reorders or
 * duplicates them may deliver a message late or twice, as IBTA's UC
 * allows (a message's first packet is taken whatever its PSN), so the
 * test wants loss only.
 */
static void t_lossy(struct rc_env *env, long arg)
{
	int k, got = 0, last = -1;
	size_t mtu, slot, i;
	struct bed t;

	(void)arg;
	bed_init(&t, env);
	mtu = t.p.mtu_bytes;
	slot = 4 * mtu;
	T_CHECK(slot * LOSSY_RX <= BUF_LEN, "buffer too small for %d slots",
		LOSSY_RX);
	for (k = 0; k < LOSSY_RX; k++)
		post_recv_at(&t, k, k * slot, slot);
	for (k = 0; k < LOSSY_N; k++) {
		size_t len = lossy_len(mtu, k);
		uint8_t *src = t.sa.p + (k % LOSSY_RX) * slot;

		for (i = 0; i < len; i++)
			src[i] = rc_pat(k, i);
		memcpy(src, &k, sizeof(k));
		send_one(&t, k, (k % LOSSY_RX) * slot, len, false);
		expect_ok(t.p.a.scq, &t.p.a, k, IBV_WC_SEND,
			  RC_ANY, "numbered SEND");
		/* Its receive, or up to 20 ms: a lost one never comes. */
		lossy_drain(&t, slot, k + 1, &last, &got, 20);
	}
	lossy_drain(&t, slot, LOSSY_N, &last, &got, 500);
	rc_note("%d of %d messages arrived, each exact and in order", got,
		LOSSY_N);
	T_CHECK(got > LOSSY_N / 2, "only %d of %d messages arrived", got,
		LOSSY_N);
	/* About one in eight is lost at 5%: none lost means no loss at all. */
	if (getenv("UC_OPS_EXPECT_LOSS"))
		T_CHECK(got < LOSSY_N, "all %d messages arrived: is netem on "
			"the link?", LOSSY_N);
	/* What arrived was checked above; the buffers are not compared. */
	memcpy(t.rb.exp, t.rb.p, t.rb.len);
	memcpy(t.sa.exp, t.sa.p, t.sa.len);
	bed_fini(&t);
}

static const struct rc_test tests[] = {
	{ "send", t_send, 0 },
	{ "send-imm", t_send, 1 },
	{ "write", t_write, 0 },
	{ "write-imm", t_write, 1 },
	{ "refused", t_refused, 0 },
	{ "no-receive", t_no_receive, 0 },
	{ "bad-rkey", t_bad_rkey, 0 },
	{ "too-small", t_too_small, 0 },
	{ "sq-error", t_sq_error, 0 },
	{ "many", t_many, 0 },
	{ "lossy", t_lossy, 0 },
};

int main(int argc, char **argv)
{
	return rc_main("uc_ops", argc, argv, tests,
		       sizeof(tests) / sizeof(tests[0]));
}
