// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * srq_ops: shared receive queues, as IBTA and libibverbs define them.
 *
 * A is the requester, B receives through an SRQ on B's PD (rc_cfg.srq_b):
 *   shared           two RC QPs on one SRQ: SENDs on both land in its WQEs,
 *                    in the order they were posted, each completion naming
 *                    the QP that received it
 *   rnr              a SEND with the SRQ empty is RNR-NAKed until a WQE is
 *                    posted, then completes
 *   limit            IBV_EVENT_SRQ_LIMIT_REACHED when fewer WQEs than the
 *                    limit are left, once; query shows the limit disarmed
 *   last-wqe         a QP in error raises IBV_EVENT_QP_LAST_WQE_REACHED
 *                    and flushes only the WQE it held: the SRQ's others
 *                    stay for the other QP
 *   resize           IBV_SRQ_MAX_WR with WQEs waiting: they are taken after
 *                    the resize in the order they were posted, the new
 *                    size holds more, a size below the WQEs waiting is
 *                    refused and changes nothing, a limit rides along; a
 *                    MODIFY_SRQ written by hand with a bad ring_info
 *                    address fails with EFAULT and changes nothing
 *   refusals         post_recv on a QP with an SRQ, destroy_srq while a QP
 *                    uses it, a limit above max_wr
 *   ud               a UD QP receives datagrams through an SRQ
 *
 * Run it looped back on one device, or -d A -D B across two.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/sodp-abi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rc_common.h"
#include "rc_runner.h"

#define NWQE	16
#define SLOT	256

static void srq_cfg(struct rc_cfg *cfg)
{
	rc_cfg_default(cfg);
	cfg->srq_b = true;
	cfg->max_recv_wr = NWQE;
	cfg->max_recv_sge = 2;
}

static void srq_post(struct ibv_srq *srq, uint64_t wr_id, struct rc_buf *b,
		     size_t off, uint32_t len)
{
	struct ibv_sge sg = rc_sge(b, off, len);
	struct ibv_recv_wr wr = {
		.wr_id = wr_id, .sg_list = &sg, .num_sge = 1,
	}, *bad;

	T_OK(ibv_post_srq_recv(srq, &wr, &bad));
}

static void send_one(struct rc_ep *e, uint64_t wr_id, struct rc_buf *b,
		     size_t off, uint32_t len)
{
	struct ibv_sge sg = rc_sge(b, off, len);
	struct ibv_send_wr wr;

	rc_wr(&wr, &sg, 1, wr_id, IBV_WR_SEND, IBV_SEND_SIGNALED);
	rc_post_send(e, &wr);
}

/* The next async event of @ctx within @ms, or -1. */
static int next_event(struct ibv_context *ctx, int ms,
		      struct ibv_async_event *ev)
{
	struct pollfd pfd = { .fd = ctx->async_fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	if (ibv_get_async_event(ctx, ev))
		return -1;
	return ev->event_type;
}

/*
 * A second A -> B QP pair on the first one's PDs (B's on @b_pd if not
 * NULL), CQs and SRQ.
 */
static void pair_clone_pd(struct rc_pair *p, struct rc_pair *q,
			  struct ibv_pd *b_pd)
{
	struct ibv_qp_init_attr ia = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 16, .max_send_sge = 2,
			 .max_recv_wr = 16, .max_recv_sge = 2 },
	};

	*q = *p;
	ia.send_cq = p->a.scq;
	ia.recv_cq = p->a.rcq;
	q->a.qp = ibv_create_qp(p->a.pd, &ia);
	T_CHECK(q->a.qp, "second A QP: %s", strerror(errno));
	ia.send_cq = p->b.scq;
	ia.recv_cq = p->b.rcq;
	ia.srq = p->b.srq;
	ia.cap.max_recv_wr = 0;
	ia.cap.max_recv_sge = 0;
	q->b.qp = ibv_create_qp(b_pd ? b_pd : p->b.pd, &ia);
	T_CHECK(q->b.qp, "second B QP on the SRQ: %s", strerror(errno));
	q->a.sq_psn = 0x111;
	q->b.sq_psn = 0x222;
	rc_pair_connect(q);
}

static void pair_clone(struct rc_pair *p, struct rc_pair *q)
{
	pair_clone_pd(p, q, NULL);
}

/* Both of a clone's QPs; the rest belongs to the original. */
static void pair_clone_destroy(struct rc_pair *q)
{
	T_OK(ibv_destroy_qp(q->a.qp));
	T_OK(ibv_destroy_qp(q->b.qp));
}

static void t_shared(struct rc_env *env, long arg)
{
	struct rc_pair p, q;
	struct rc_cfg cfg;
	struct rc_buf src, dst;
	struct ibv_wc wc;
	int i, from_p = 0, from_q = 0;

	(void)arg;
	srq_cfg(&cfg);
	rc_pair_create(&p, env, &cfg);
	pair_clone(&p, &q);
	rc_buf_alloc(&src, "A source", p.a.pd, NWQE * SLOT,
		     IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&dst, "B's SRQ buffers", p.b.pd, NWQE * SLOT,
		     IBV_ACCESS_LOCAL_WRITE);
	rc_buf_fill(&src, 31);
	rc_buf_fill(&dst, 32);
	for (i = 0; i < NWQE; i++)
		srq_post(p.b.srq, 0x100 + i, &dst, i * SLOT, SLOT);

	/* Alternate the QPs; each SEND takes the SRQ's next WQE. */
	for (i = 0; i < NWQE; i++) {
		struct rc_ep *a = i & 1 ? &q.a : &p.a;
		struct rc_ep *b = i & 1 ? &q.b : &p.b;

		send_one(a, i, &src, i * SLOT, 100 + i);
		rc_poll(p.a.scq, &wc, 1, "a SEND's completion");
		T_EQ(wc.status, IBV_WC_SUCCESS, "SEND status");
		rc_poll(p.b.rcq, &wc, 1, "a receive from the SRQ");
		T_EQ(wc.status, IBV_WC_SUCCESS, "receive status");
		T_EQ(wc.wr_id, 0x100 + i, "the SRQ WQE taken (in order)");
		T_EQ(wc.qp_num, b->qp->qp_num, "the QP that received");
		T_EQ(wc.byte_len, 100 + i, "byte_len");
		T_EQ(wc.opcode, IBV_WC_RECV, "opcode");
		rc_buf_expect(&dst, i * SLOT, src.p + i * SLOT, 100 + i);
		if (i & 1)
			from_q++;
		else
			from_p++;
	}
	rc_buf_verify(&dst);
	rc_note("%d SENDs on one QP, %d on the other, one SRQ", from_p,
		from_q);

	/* Both QPs at once: their work items take from the SRQ in parallel. */
	{
		struct ibv_wc wcs[2 * NWQE];
		bool seen[NWQE] = {};
		int n;

		for (i = 0; i < NWQE; i++)
			srq_post(p.b.srq, 0x180 + i, &dst, i * SLOT, SLOT);
		for (i = 0; i < NWQE / 2; i++) {
			send_one(&p.a, 0x10 + i, &src, 0, 16);
			send_one(&q.a, 0x20 + i, &src, 0, 16);
		}
		rc_poll(p.b.rcq, wcs, NWQE, "the burst's receives");
		for (i = 0; i < NWQE; i++) {
			T_EQ(wcs[i].status, IBV_WC_SUCCESS, "receive status");
			n = (int)wcs[i].wr_id - 0x180;
			T_CHECK(n >= 0 && n < NWQE && !seen[n],
				"receive wr_id 0x%llx twice or unknown",
				(unsigned long long)wcs[i].wr_id);
			seen[n] = true;
		}
		rc_poll(p.a.scq, wcs, NWQE, "the burst's SENDs");
		for (i = 0; i < NWQE; i++)
			T_EQ(wcs[i].status, IBV_WC_SUCCESS, "SEND status");
		rc_expect_none(p.b.rcq, 200, "B's receive CQ after the burst");
	}
	rc_buf_free(&src);
	rc_buf_free(&dst);
	pair_clone_destroy(&q);
	rc_pair_destroy(&p);
}

/*
 * A QP in another PD than its SRQ: the SRQ's WQEs name memory of the
 * SRQ's PD, and that is where the data goes.
 */
static void t_other_pd(struct rc_env *env, long arg)
{
	struct rc_pair p, q;
	struct rc_cfg cfg;
	struct rc_buf src, dst;
	struct ibv_pd *qp_pd;
	struct ibv_wc wc;

	(void)arg;
	srq_cfg(&cfg);
	rc_pair_create(&p, env, &cfg);
	qp_pd = ibv_alloc_pd(p.b.dev->ctx);
	T_CHECK(qp_pd, "alloc PD: %s", strerror(errno));
	pair_clone_pd(&p, &q, qp_pd);
	rc_buf_alloc(&src, "A source", p.a.pd, SLOT, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&dst, "buffer in the SRQ's PD", p.b.pd, SLOT,
		     IBV_ACCESS_LOCAL_WRITE);
	rc_buf_fill(&src, 37);
	rc_buf_fill(&dst, 38);
	srq_post(p.b.srq, 0x250, &dst, 0, SLOT);
	send_one(&q.a, 0x251, &src, 0, 77);
	rc_poll(p.b.rcq, &wc, 1, "the receive");
	T_EQ(wc.status, IBV_WC_SUCCESS, "receive status (SRQ's PD)");
	T_EQ(wc.qp_num, q.b.qp->qp_num, "the receiving QP");
	rc_poll(p.a.scq, &wc, 1, "the SEND");
	T_EQ(wc.status, IBV_WC_SUCCESS, "SEND status");
	rc_buf_expect(&dst, 0, src.p, 77);
	rc_buf_verify(&dst);
	rc_buf_free(&src);
	rc_buf_free(&dst);
	pair_clone_destroy(&q);
	T_OK(ibv_dealloc_pd(qp_pd));
	rc_pair_destroy(&p);
}

static void t_rnr(struct rc_env *env, long arg)
{
	struct rc_pair p;
	struct rc_cfg cfg;
	struct rc_buf src, dst;
	struct ibv_wc wc;

	(void)arg;
	srq_cfg(&cfg);
	rc_pair_create(&p, env, &cfg);
	rc_buf_alloc(&src, "A source", p.a.pd, SLOT, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&dst, "B's SRQ buffer", p.b.pd, SLOT,
		     IBV_ACCESS_LOCAL_WRITE);
	rc_buf_fill(&src, 33);
	rc_buf_fill(&dst, 34);
	send_one(&p.a, 1, &src, 0, 64);
	/* rnr_retry 7 retries for ever: nothing completes meanwhile. */
	rc_expect_none(p.a.scq, 300, "A's send CQ with the SRQ empty");
	srq_post(p.b.srq, 0x200, &dst, 0, SLOT);
	rc_poll(p.a.scq, &wc, 1, "the SEND after the WQE came");
	T_EQ(wc.status, IBV_WC_SUCCESS, "SEND status");
	rc_poll(p.b.rcq, &wc, 1, "the receive");
	T_EQ(wc.status, IBV_WC_SUCCESS, "receive status");
	T_EQ(wc.wr_id, 0x200, "receive wr_id");
	rc_buf_expect(&dst, 0, src.p, 64);
	rc_buf_verify(&dst);
	rc_buf_free(&src);
	rc_buf_free(&dst);
	rc_pair_destroy(&p);
}

static void t_limit(struct rc_env *env, long arg)
{
	struct ibv_srq_attr sa = { .srq_limit = 4 };
	struct ibv_async_event ev;
	struct rc_pair p;
	struct rc_cfg cfg;
	struct rc_buf src, dst;
	struct ibv_wc wc, wcs[6];
	int i, type;

	(void)arg;
	srq_cfg(&cfg);
	rc_pair_create(&p, env, &cfg);
	rc_buf_alloc(&src, "A source", p.a.pd, SLOT, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&dst, "B's SRQ buffers", p.b.pd, 8 * SLOT,
		     IBV_ACCESS_LOCAL_WRITE);
	for (i = 0; i < 8; i++)
		srq_post(p.b.srq, i, &dst, i * SLOT, SLOT);
	T_OK(ibv_modify_srq(p.b.srq, &sa, IBV_SRQ_LIMIT));
	memset(&sa, 0, sizeof(sa));
	T_OK(ibv_query_srq(p.b.srq, &sa));
	T_EQ(sa.srq_limit, 4, "srq_limit after modify");

	/* 8 -> 4 left: not below the limit yet. */
	for (i = 0; i < 4; i++) {
		send_one(&p.a, i, &src, 0, 8);
		rc_poll(p.b.rcq, &wc, 1, "a receive");
		T_EQ(wc.status, IBV_WC_SUCCESS, "receive status");
	}
	type = next_event(p.b.dev->ctx, 200, &ev);
	T_CHECK(type < 0, "event %d (%s) with 4 WQEs left, limit 4", type,
		type < 0 ? "" : ibv_event_type_str(type));
	if (type >= 0)
		ibv_ack_async_event(&ev);
	/* 3 left: below */
	send_one(&p.a, 4, &src, 0, 8);
	rc_poll(p.b.rcq, &wc, 1, "the fifth receive");
	type = next_event(p.b.dev->ctx, 5000, &ev);
	T_EQ(type, IBV_EVENT_SRQ_LIMIT_REACHED, "the event below the limit");
	T_CHECK(ev.element.srq == p.b.srq, "the event names another SRQ");
	ibv_ack_async_event(&ev);
	T_OK(ibv_query_srq(p.b.srq, &sa));
	T_EQ(sa.srq_limit, 0, "srq_limit after the event (disarmed)");
	/* disarmed: no second event */
	send_one(&p.a, 5, &src, 0, 8);
	rc_poll(p.b.rcq, &wc, 1, "the sixth receive");
	type = next_event(p.b.dev->ctx, 200, &ev);
	T_CHECK(type < 0, "a second event (%d) while disarmed", type);
	rc_poll(p.a.scq, wcs, 6, "the SENDs' completions");
	for (i = 0; i < 6; i++)
		T_EQ(wcs[i].status, IBV_WC_SUCCESS, "SEND status");
	rc_buf_free(&src);
	rc_buf_free(&dst);
	rc_pair_destroy(&p);
}

static void t_last_wqe(struct rc_env *env, long arg)
{
	struct ibv_qp_attr attr = { .qp_state = IBV_QPS_ERR };
	struct ibv_async_event ev;
	struct rc_pair p, q;
	struct rc_cfg cfg;
	struct rc_buf src, dst;
	struct ibv_wc wc;
	int type;

	(void)arg;
	srq_cfg(&cfg);
	rc_pair_create(&p, env, &cfg);
	pair_clone(&p, &q);
	rc_buf_alloc(&src, "A source", p.a.pd, SLOT, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&dst, "B's SRQ buffers", p.b.pd, 4 * SLOT,
		     IBV_ACCESS_LOCAL_WRITE);
	rc_buf_fill(&src, 35);
	srq_post(p.b.srq, 0x300, &dst, 0, SLOT);
	srq_post(p.b.srq, 0x301, &dst, SLOT, SLOT);

	T_OK(ibv_modify_qp(p.b.qp, &attr, IBV_QP_STATE));
	type = next_event(p.b.dev->ctx, 5000, &ev);
	T_EQ(type, IBV_EVENT_QP_LAST_WQE_REACHED, "the event after ERR");
	T_CHECK(ev.element.qp == p.b.qp, "the event names another QP");
	ibv_ack_async_event(&ev);
	/* B held no WQE: nothing flushed, both still the SRQ's */
	rc_expect_none(p.b.rcq, 200, "B's receive CQ after ERR");

	send_one(&q.a, 7, &src, 0, 50);
	rc_poll(p.b.rcq, &wc, 1, "the other QP's receive");
	T_EQ(wc.status, IBV_WC_SUCCESS, "receive status");
	T_EQ(wc.wr_id, 0x300, "the SRQ's first WQE");
	T_EQ(wc.qp_num, q.b.qp->qp_num, "the receiving QP");
	rc_poll(p.a.scq, &wc, 1, "the SEND on the other QP");
	T_EQ(wc.status, IBV_WC_SUCCESS, "SEND status");
	rc_buf_free(&src);
	rc_buf_free(&dst);
	pair_clone_destroy(&q);
	rc_pair_destroy(&p);
}

static void t_refusals(struct rc_env *env, long arg)
{
	struct ibv_srq_attr sa = {};
	struct ibv_recv_wr rwr = { .wr_id = 1 }, *bad = NULL;
	struct rc_pair p;
	struct rc_cfg cfg;
	int r;

	(void)arg;
	srq_cfg(&cfg);
	rc_pair_create(&p, env, &cfg);
	r = ibv_post_recv(p.b.qp, &rwr, &bad);
	T_CHECK(r && bad == &rwr, "post_recv on a QP with an SRQ: %d", r);
	r = ibv_destroy_srq(p.b.srq);
	T_EQ(r, EBUSY, "destroy_srq with a QP on it");
	T_OK(ibv_query_srq(p.b.srq, &sa));
	T_CHECK(sa.max_wr >= NWQE, "max_wr %u below %u", sa.max_wr, NWQE);
	sa.srq_limit = sa.max_wr + 1;
	r = ibv_modify_srq(p.b.srq, &sa, IBV_SRQ_LIMIT);
	T_EQ(r, EINVAL, "a limit above max_wr");
	rc_pair_destroy(&p);
}

/*
 * @n SENDs from A, each of SLOT bytes from @src's slot i, must complete
 * into B's WQEs @first_id, @first_id + 1, ... in that order, each slot of
 * @dst (by wr_id) holding what was sent.
 */
static void sends_land(struct rc_pair *p, struct rc_buf *src,
		       struct rc_buf *dst, int n, uint64_t first_id)
{
	struct ibv_wc wc;
	int i;

	for (i = 0; i < n; i++) {
		send_one(&p->a, i, src, (size_t)i * SLOT, SLOT);
		rc_poll(p->b.rcq, &wc, 1, "a receive through the SRQ");
		T_EQ(wc.status, IBV_WC_SUCCESS, "receive status");
		T_EQ(wc.wr_id, first_id + i, "the WQE taken (posting order)");
		T_EQ(wc.byte_len, SLOT, "bytes received");
		rc_poll(p->a.scq, &wc, 1, "the SEND");
		T_EQ(wc.status, IBV_WC_SUCCESS, "SEND status");
		T_CHECK(!memcmp((uint8_t *)dst->p +
				(size_t)(first_id + i - 0x100) * SLOT,
				(uint8_t *)src->p + (size_t)i * SLOT, SLOT),
			"the data of receive %#llx",
			(unsigned long long)(first_id + i));
	}
}

/*
 * MODIFY_SRQ with IB_SRQ_MAX_WR as a process could write it without the
 * provider, the new ring's description to go to @ring_info.  Return: 0
 * or the errno of the write.
 */
static int raw_resize(struct ibv_srq *srq, uint32_t max_wr, uint64_t ring_info)
{
	struct {
		struct ib_uverbs_cmd_hdr hdr;
		struct ib_uverbs_modify_srq cmd;
		struct sodp_modify_srq_cmd drv;
	} req = {
		.hdr = {
			.command = IB_USER_VERBS_CMD_MODIFY_SRQ,
			.in_words = sizeof(req) / 4,
		},
		.cmd = {
			.srq_handle = srq->handle,
			.attr_mask = IBV_SRQ_MAX_WR,
			.max_wr = max_wr,
		},
		.drv = { .ring_info = ring_info },
	};

	return write(srq->context->cmd_fd, &req, sizeof(req)) == sizeof(req) ?
	       0 : errno;
}

static const char ro_text[64] = "the new ring's description may not land here";

static void t_resize(struct rc_env *env, long arg)
{
	const int big = 4 * NWQE;
	struct ibv_async_event ev;
	struct ibv_srq_attr sa = {};
	struct rc_buf src, dst;
	struct rc_pair p;
	struct rc_cfg cfg;
	int i, r;

	(void)arg;
	srq_cfg(&cfg);
	rc_pair_create(&p, env, &cfg);
	T_CHECK(env->dev[1]->attr.orig_attr.device_cap_flags &
		IBV_DEVICE_SRQ_RESIZE, "the device does not claim SRQ_RESIZE");
	rc_buf_alloc(&src, "A source", p.a.pd, 2 * big * SLOT,
		     IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&dst, "B's SRQ buffers", p.b.pd, 2 * big * SLOT,
		     IBV_ACCESS_LOCAL_WRITE);
	rc_buf_fill(&src, 41);
	rc_buf_fill(&dst, 42);

	/* 10 waiting, 3 taken: 7 move to the new ring, behind 3 taken. */
	for (i = 0; i < 10; i++)
		srq_post(p.b.srq, 0x100 + i, &dst, i * SLOT, SLOT);
	sends_land(&p, &src, &dst, 3, 0x100);
	sa.max_wr = big;
	sa.srq_limit = 2;
	T_OK(ibv_modify_srq(p.b.srq, &sa, IBV_SRQ_MAX_WR | IBV_SRQ_LIMIT));
	T_OK(ibv_query_srq(p.b.srq, &sa));
	T_CHECK(sa.max_wr >= (uint32_t)big, "max_wr %u after resizing to %d",
		sa.max_wr, big);
	T_EQ(sa.srq_limit, 2, "the limit set with the resize");
	/* more than the old ring held, on top of the 7 */
	for (i = 10; i < 10 + big - 7; i++)
		srq_post(p.b.srq, 0x100 + i, &dst, i * SLOT, SLOT);
	sends_land(&p, &src, &dst, big, 0x103);
	/* the ring ran dry past the limit: the event, once */
	T_EQ(next_event(p.b.dev->ctx, 5000, &ev), IBV_EVENT_SRQ_LIMIT_REACHED,
	     "the event after the limit set with the resize");
	T_CHECK(ev.element.srq == p.b.srq, "the event names another SRQ");
	ibv_ack_async_event(&ev);

	/* Smaller than what waits: refused, nothing lost. */
	for (i = 0; i < 8; i++)
		srq_post(p.b.srq, 0x100 + i, &dst, i * SLOT, SLOT);
	sa.max_wr = 4;
	r = ibv_modify_srq(p.b.srq, &sa, IBV_SRQ_MAX_WR);
	T_EQ(r, EINVAL, "resizing to 4 with 8 WQEs waiting");
	T_OK(ibv_query_srq(p.b.srq, &sa));
	T_CHECK(sa.max_wr >= (uint32_t)big, "max_wr %u after a refused resize",
		sa.max_wr);
	sends_land(&p, &src, &dst, 8, 0x100);

	/* Empty: down to 4 slots, which then work. */
	sa.max_wr = 4;
	T_OK(ibv_modify_srq(p.b.srq, &sa, IBV_SRQ_MAX_WR));
	T_OK(ibv_query_srq(p.b.srq, &sa));
	T_CHECK(sa.max_wr >= 4 && sa.max_wr < (uint32_t)big,
		"max_wr %u after shrinking to 4", sa.max_wr);
	for (i = 0; i < 4; i++)
		srq_post(p.b.srq, 0x100 + i, &dst, i * SLOT, SLOT);
	sends_land(&p, &src, &dst, 4, 0x100);
	sa.max_wr = 0;
	r = ibv_modify_srq(p.b.srq, &sa, IBV_SRQ_MAX_WR);
	T_EQ(r, EINVAL, "resizing to 0");

	/* Nowhere to write the new ring's description: nothing changes. */
	T_EQ(raw_resize(p.b.srq, big, 8), EFAULT,
	     "MODIFY_SRQ with ring_info at address 8");
	T_EQ(raw_resize(p.b.srq, big, (uintptr_t)ro_text), EFAULT,
	     "MODIFY_SRQ with ring_info in read-only memory");
	T_OK(ibv_query_srq(p.b.srq, &sa));
	T_CHECK(sa.max_wr < (uint32_t)big, "max_wr %u after refused resizes",
		sa.max_wr);
	for (i = 0; i < 4; i++)
		srq_post(p.b.srq, 0x100 + i, &dst, i * SLOT, SLOT);
	sends_land(&p, &src, &dst, 4, 0x100);

	rc_buf_free(&src);
	rc_buf_free(&dst);
	rc_pair_destroy(&p);
}

/* A UD QP on the SRQ: datagrams land behind their GRH image. */
static void t_ud(struct rc_env *env, long arg)
{
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_INIT, .port_num = 1, .qkey = 0x4242,
	};
	struct ibv_ah_attr aa = {
		.is_global = 1, .port_num = 1,
		.grh = { .hop_limit = 64 },
	};
	struct ibv_qp_init_attr ia = {
		.qp_type = IBV_QPT_UD,
		.cap = { .max_send_wr = 4, .max_send_sge = 1 },
	};
	struct ibv_srq_init_attr sia = {
		.attr = { .max_wr = 4, .max_sge = 1 },
	};
	struct ibv_async_event ev;
	struct ibv_pd *pa, *pb;
	struct ibv_cq *cqa, *cqb;
	struct ibv_qp *qa, *qb, *qb2;
	struct ibv_srq *srq;
	struct ibv_ah *ah;
	struct rc_buf src, dst;
	struct ibv_sge sg;
	struct ibv_send_wr wr, *bad;
	struct ibv_wc wc;
	int i;

	(void)arg;
	pa = ibv_alloc_pd(env->dev[0]->ctx);
	pb = ibv_alloc_pd(env->dev[1]->ctx);
	T_CHECK(pa && pb, "alloc PDs: %s", strerror(errno));
	cqa = ibv_create_cq(env->dev[0]->ctx, 16, NULL, NULL, 0);
	cqb = ibv_create_cq(env->dev[1]->ctx, 16, NULL, NULL, 0);
	T_CHECK(cqa && cqb, "create CQs: %s", strerror(errno));
	srq = ibv_create_srq(pb, &sia);
	T_CHECK(srq, "create SRQ: %s", strerror(errno));
	ia.send_cq = ia.recv_cq = cqa;
	ia.cap.max_recv_wr = 4;
	ia.cap.max_recv_sge = 1;
	qa = ibv_create_qp(pa, &ia);
	ia.send_cq = ia.recv_cq = cqb;
	ia.srq = srq;
	ia.cap.max_recv_wr = 0;
	ia.cap.max_recv_sge = 0;
	qb = ibv_create_qp(pb, &ia);
	T_CHECK(qa && qb, "create UD QPs: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		struct ibv_qp *qp = i ? qb : qa;

		attr.qp_state = IBV_QPS_INIT;
		T_OK(ibv_modify_qp(qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
				   IBV_QP_PORT | IBV_QP_QKEY));
		attr.qp_state = IBV_QPS_RTR;
		T_OK(ibv_modify_qp(qp, &attr, IBV_QP_STATE));
		attr.qp_state = IBV_QPS_RTS;
		T_OK(ibv_modify_qp(qp, &attr, IBV_QP_STATE | IBV_QP_SQ_PSN));
	}
	aa.grh.dgid = env->dev[1]->gid;
	aa.grh.sgid_index = env->dev[0]->gid_index;
	ah = ibv_create_ah(pa, &aa);
	T_CHECK(ah, "create AH: %s", strerror(errno));
	rc_buf_alloc(&src, "A source", pa, 4096, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&dst, "B's SRQ buffer", pb, 4096,
		     IBV_ACCESS_LOCAL_WRITE);
	rc_buf_fill(&src, 36);
	srq_post(srq, 0x500, &dst, 0, 40 + 200);
	sg = rc_sge(&src, 0, 200);
	rc_wr(&wr, &sg, 1, 0x501, IBV_WR_SEND, IBV_SEND_SIGNALED);
	wr.wr.ud.ah = ah;
	wr.wr.ud.remote_qpn = qb->qp_num;
	wr.wr.ud.remote_qkey = 0x4242;
	T_OK(ibv_post_send(qa, &wr, &bad));
	rc_poll(cqa, &wc, 1, "the datagram's send");
	T_EQ(wc.status, IBV_WC_SUCCESS, "send status");
	rc_poll(cqb, &wc, 1, "the datagram, through the SRQ");
	T_EQ(wc.status, IBV_WC_SUCCESS, "receive status");
	T_EQ(wc.wr_id, 0x500, "receive wr_id");
	T_EQ(wc.qp_num, qb->qp_num, "receive qp_num");
	T_EQ(wc.src_qp, qa->qp_num, "receive src_qp");
	T_EQ(wc.byte_len, 40 + 200, "byte_len (GRH image + payload)");
	T_CHECK(!memcmp(dst.p + 40, src.p, 200), "payload differs");

	/*
	 * A datagram too big for the next WQE is dropped and B keeps that
	 * WQE; in ERR, B flushes exactly it, raises LAST_WQE_REACHED, and
	 * the SRQ's next WQE is left for another QP.
	 */
	srq_post(srq, 0x510, &dst, 0, 40 + 50);
	srq_post(srq, 0x511, &dst, 1024, 40 + 200);
	wr.wr_id = 0x502;
	T_OK(ibv_post_send(qa, &wr, &bad));
	rc_poll(cqa, &wc, 1, "the too-big datagram's send");
	rc_expect_none(cqb, 300, "B's CQ after the too-big datagram");
	attr.qp_state = IBV_QPS_ERR;
	T_OK(ibv_modify_qp(qb, &attr, IBV_QP_STATE));
	rc_poll(cqb, &wc, 1, "the WQE B held, flushed");
	T_EQ(wc.status, IBV_WC_WR_FLUSH_ERR, "status of the held WQE");
	T_EQ(wc.wr_id, 0x510, "wr_id of the held WQE");
	if (next_event(env->dev[1]->ctx, 5000, &ev) !=
	    IBV_EVENT_QP_LAST_WQE_REACHED)
		rc_fail("no LAST_WQE_REACHED after the flush");
	T_CHECK(ev.element.qp == qb, "the event names another QP");
	ibv_ack_async_event(&ev);
	rc_expect_none(cqb, 200, "B's CQ after the flush");
	ia.send_cq = ia.recv_cq = cqb;
	qb2 = ibv_create_qp(pb, &ia);
	T_CHECK(qb2, "second UD QP on the SRQ: %s", strerror(errno));
	attr.qp_state = IBV_QPS_INIT;
	T_OK(ibv_modify_qp(qb2, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			   IBV_QP_PORT | IBV_QP_QKEY));
	attr.qp_state = IBV_QPS_RTR;
	T_OK(ibv_modify_qp(qb2, &attr, IBV_QP_STATE));
	wr.wr_id = 0x503;
	wr.wr.ud.remote_qpn = qb2->qp_num;
	T_OK(ibv_post_send(qa, &wr, &bad));
	rc_poll(cqa, &wc, 1, "the datagram to the second QP");
	rc_poll(cqb, &wc, 1, "the second QP's receive");
	T_EQ(wc.status, IBV_WC_SUCCESS, "its status");
	T_EQ(wc.wr_id, 0x511, "the SRQ's WQE after the held one");
	T_EQ(wc.qp_num, qb2->qp_num, "its qp_num");

	rc_buf_free(&src);
	rc_buf_free(&dst);
	T_OK(ibv_destroy_ah(ah));
	T_OK(ibv_destroy_qp(qa));
	T_OK(ibv_destroy_qp(qb));
	T_OK(ibv_destroy_qp(qb2));
	T_OK(ibv_destroy_srq(srq));
	T_OK(ibv_destroy_cq(cqa));
	T_OK(ibv_destroy_cq(cqb));
	T_OK(ibv_dealloc_pd(pa));
	T_OK(ibv_dealloc_pd(pb));
}

static const struct rc_test tests[] = {
	{ "shared", t_shared, 0 },
	{ "other-pd", t_other_pd, 0 },
	{ "rnr", t_rnr, 0 },
	{ "limit", t_limit, 0 },
	{ "last-wqe", t_last_wqe, 0 },
	{ "resize", t_resize, 0 },
	{ "refusals", t_refusals, 0 },
	{ "ud", t_ud, 0 },
};

int main(int argc, char **argv)
{
	return rc_main("srq_ops", argc, argv, tests,
		       sizeof(tests) / sizeof(tests[0]));
}
