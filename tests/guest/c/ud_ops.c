// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ud_ops: UD queue pairs and address handles, from A (on -d) to B (on -D,
 * or the same device), each test in a process of its own:
 *
 *   ud_ops -d DEV [-D DEV2] [--mr pinned|odp|implicit] [--ipv6]
 *          [-t PATTERNS] [-l]
 *
 * Byte-exact payloads behind the 40-byte GRH image; the image itself
 * (the IPv4 header with both addresses, what ibv_init_ah_from_wc() reads);
 * completion fields (byte_len, src_qp, IBV_WC_GRH, immediate data, on sodp
 * sl: the RoCE v2 packet type); a
 * reply through an AH made from the received completion; the Q_Key check;
 * messages past the MTU (sent as nothing, completed successfully); no
 * receive posted and a receive too small (the datagram is dropped, the
 * receive stays for the next); an AH of another PD; 256 datagrams with 64
 * in flight; the ibv_wr_* API; multicast groups.  Counters are checked on
 * sodp devices.  --ipv6 addresses by IPv6 GIDs (the GRH image is then the
 * IPv6 header).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rc_common.h"
#include "rc_runner.h"

#define UD_QKEY		0x11111111
#define GRH_LEN		40
#define NSLOTS		64

struct ud_ep {
	const char *name;
	struct rc_dev *dev;
	struct ibv_pd *pd;
	struct ibv_cq *scq, *rcq;
	struct ibv_qp *qp;
	struct ibv_qp_ex *qpx;
	struct ibv_ah *ah;		/* to the other endpoint */
};

struct ud_pair {
	struct ud_ep a, b;
	uint32_t mtu;			/* the smaller active MTU, bytes */
};

static bool is_sodp(const struct rc_dev *d)
{
	return !strncmp(d->name, "sodp", 4);
}

static void ud_qp_up(struct ud_ep *e, bool ex)
{
	struct ibv_qp_init_attr_ex init = {
		.send_cq = e->scq,
		.recv_cq = e->rcq,
		.cap = {
			.max_send_wr = NSLOTS,
			.max_recv_wr = NSLOTS,
			.max_send_sge = 2,
			.max_recv_sge = 2,
		},
		.qp_type = IBV_QPT_UD,
		.comp_mask = IBV_QP_INIT_ATTR_PD,
		.pd = e->pd,
	};
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_INIT,
		.pkey_index = 0,
		.port_num = 1,
		.qkey = UD_QKEY,
	};

	if (ex) {
		init.comp_mask |= IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
		init.send_ops_flags = IBV_QP_EX_WITH_SEND |
				      IBV_QP_EX_WITH_SEND_WITH_IMM;
	}
	e->qp = ibv_create_qp_ex(e->dev->ctx, &init);
	T_CHECK(e->qp, "%s: create UD QP: %s", e->name, strerror(errno));
	if (ex) {
		e->qpx = ibv_qp_to_qp_ex(e->qp);
		T_CHECK(e->qpx, "%s: ibv_qp_to_qp_ex", e->name);
	}
	T_OK(ibv_modify_qp(e->qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			   IBV_QP_PORT | IBV_QP_QKEY));
	attr.qp_state = IBV_QPS_RTR;
	T_OK(ibv_modify_qp(e->qp, &attr, IBV_QP_STATE));
	attr.qp_state = IBV_QPS_RTS;
	attr.sq_psn = 0x123;
	T_OK(ibv_modify_qp(e->qp, &attr, IBV_QP_STATE | IBV_QP_SQ_PSN));
}

/* An AH on @pd from @from's GID to @dgid (what @to_name names). */
static struct ibv_ah *ud_ah_gid(struct ibv_pd *pd, const struct rc_dev *from,
				const union ibv_gid *dgid, const char *to_name)
{
	struct ibv_ah_attr attr = {
		.is_global = 1,
		.port_num = 1,
		.grh = {
			.dgid = *dgid,
			.sgid_index = from->gid_index,
			.hop_limit = 64,
		},
	};
	struct ibv_ah *ah = ibv_create_ah(pd, &attr);

	T_CHECK(ah, "create AH %s -> %s: %s", from->name, to_name,
		strerror(errno));
	return ah;
}

/* An AH on @pd to @to's RoCEv2 GID. */
static struct ibv_ah *ud_ah(struct ibv_pd *pd, const struct rc_dev *from,
			    const struct rc_dev *to)
{
	return ud_ah_gid(pd, from, &to->gid, to->name);
}

static void ud_ep_init(struct ud_ep *e, const char *name, struct rc_dev *d,
		       bool ex)
{
	e->name = name;
	e->dev = d;
	e->pd = ibv_alloc_pd(d->ctx);
	T_CHECK(e->pd, "%s: alloc PD: %s", name, strerror(errno));
	e->scq = ibv_create_cq(d->ctx, 2 * NSLOTS, NULL, NULL, 0);
	e->rcq = ibv_create_cq(d->ctx, 2 * NSLOTS, NULL, NULL, 0);
	T_CHECK(e->scq && e->rcq, "%s: create CQs: %s", name, strerror(errno));
	ud_qp_up(e, ex);
}

static void ud_pair_create(struct ud_pair *p, struct rc_env *env, bool ex)
{
	ud_ep_init(&p->a, "A", env->dev[0], ex);
	ud_ep_init(&p->b, "B", env->dev[1], ex);
	p->a.ah = ud_ah(p->a.pd, env->dev[0], env->dev[1]);
	p->b.ah = ud_ah(p->b.pd, env->dev[1], env->dev[0]);
	p->mtu = rc_mtu_bytes(env->dev[0]->port.active_mtu);
	if ((uint32_t)rc_mtu_bytes(env->dev[1]->port.active_mtu) < p->mtu)
		p->mtu = rc_mtu_bytes(env->dev[1]->port.active_mtu);
}

static void ud_ep_destroy(struct ud_ep *e)
{
	T_OK(ibv_destroy_ah(e->ah));
	T_OK(ibv_destroy_qp(e->qp));
	T_OK(ibv_destroy_cq(e->scq));
	T_OK(ibv_destroy_cq(e->rcq));
	T_OK(ibv_dealloc_pd(e->pd));
}

static void ud_pair_destroy(struct ud_pair *p)
{
	ud_ep_destroy(&p->a);
	ud_ep_destroy(&p->b);
}

static void ud_post_recv(struct ud_ep *e, uint64_t wr_id, struct rc_buf *b,
			 size_t off, uint32_t len)
{
	struct ibv_sge sg = rc_sge(b, off, len);
	struct ibv_recv_wr wr = {
		.wr_id = wr_id, .sg_list = &sg, .num_sge = 1,
	}, *bad;

	T_OK(ibv_post_recv(e->qp, &wr, &bad));
}

static void ud_send(struct ud_ep *e, struct ibv_ah *ah, uint32_t qpn,
		    uint32_t qkey, uint64_t wr_id, struct rc_buf *b,
		    size_t off, uint32_t len, const uint32_t *imm)
{
	struct ibv_sge sg = rc_sge(b, off, len);
	struct ibv_send_wr wr = {
		.wr_id = wr_id,
		.sg_list = &sg,
		.num_sge = len ? 1 : 0,
		.opcode = imm ? IBV_WR_SEND_WITH_IMM : IBV_WR_SEND,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.ud = { .ah = ah, .remote_qpn = qpn, .remote_qkey = qkey },
	}, *bad;

	if (imm)
		wr.imm_data = htonl(*imm);
	T_OK(ibv_post_send(e->qp, &wr, &bad));
}

/*
 * The sender's completion is fine.  Its IBV_WC_WITH_IMM is not looked at:
 * immediate data means something on the receive side only, and rxe sets
 * the flag on the send completion of a SEND_WITH_IMM.
 */
static void ud_sent(struct ud_ep *e, uint64_t wr_id)
{
	struct ibv_wc wc;

	rc_poll(e->scq, &wc, 1, "the datagram's send completion");
	T_EQ(wc.status, IBV_WC_SUCCESS, "send status");
	T_EQ(wc.wr_id, wr_id, "send wr_id");
	T_EQ(wc.opcode, IBV_WC_SEND, "send opcode");
	T_EQ(wc.qp_num, e->qp->qp_num, "send qp_num");
	if (is_sodp(e->dev))
		T_EQ(wc.wc_flags & IBV_WC_WITH_IMM, 0,
		     "IBV_WC_WITH_IMM on a send completion");
}

/* B received a datagram of @len payload bytes from @from. */
static void ud_received(struct ud_ep *e, const struct ud_ep *from,
			uint64_t wr_id, uint32_t len, const uint32_t *imm,
			struct ibv_wc *wc)
{
	rc_poll(e->rcq, wc, 1, "a datagram");
	T_EQ(wc->status, IBV_WC_SUCCESS, "receive status");
	T_EQ(wc->wr_id, wr_id, "receive wr_id");
	T_EQ(wc->opcode, IBV_WC_RECV, "receive opcode");
	T_EQ(wc->byte_len, GRH_LEN + len, "byte_len (GRH image + payload)");
	T_EQ(wc->qp_num, e->qp->qp_num, "qp_num");
	T_EQ(wc->src_qp, from->qp->qp_num, "src_qp");
	T_CHECK(wc->wc_flags & IBV_WC_GRH, "no IBV_WC_GRH on a datagram");
	T_EQ(!!(wc->wc_flags & IBV_WC_WITH_IMM), !!imm, "IBV_WC_WITH_IMM");
	if (imm)
		T_EQ(ntohl(wc->imm_data), *imm, "immediate data");
	/* sodp: the RoCE v2 packet type, as mlx5 reports it (UCX reads it). */
	if (is_sodp(e->dev))
		T_EQ(wc->sl, rc_opts.ipv6 ? 0x9 : 0xa, "sl (RoCE v2 packet type)");
}

static bool gid_v4(const union ibv_gid *g)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(g->raw, prefix, sizeof(prefix));
}

/*
 * The GRH image of a datagram from @from to @to.  IPv4: 20 bytes sodp
 * leaves zero (rxe too), then the IPv4 header; IPv6: the IPv6 header.
 */
static void ud_check_grh(const uint8_t *grh, const union ibv_gid *from,
			 const union ibv_gid *to)
{
	const uint8_t *ip = grh + 20;

	if (!gid_v4(from)) {
		T_EQ(grh[0] >> 4, 6, "IP version in the GRH image");
		T_EQ(grh[6], 17, "next header (UDP) in the GRH image");
		T_CHECK(!memcmp(grh + 8, from->raw, 16),
			"source address in the GRH image is not the sender's");
		T_CHECK(!memcmp(grh + 24, to->raw, 16),
			"destination address in the GRH image is wrong");
		return;
	}
	T_EQ(ip[0] >> 4, 4, "IP version in the GRH image");
	T_EQ(ip[0] & 0xf, 5, "IPv4 header length in the GRH image");
	T_EQ(ip[9], 17, "IP protocol (UDP) in the GRH image");
	T_CHECK(!memcmp(ip + 12, from->raw + 12, 4),
		"source address in the GRH image is not the sender's");
	T_CHECK(!memcmp(ip + 16, to->raw + 12, 4),
		"destination address in the GRH image is wrong");
}

/* Sizes 0, 1, 100, the MTU; then a reply through ibv_create_ah_from_wc. */
static void t_send(struct rc_env *env, long imm_test)
{
	struct ud_pair p;
	struct rc_buf sa, rb;
	struct ibv_wc wc;
	uint32_t lens[4], imm = 0xfeed0000;
	struct ibv_ah *reply;
	int i;

	ud_pair_create(&p, env, false);
	lens[0] = 0;
	lens[1] = 1;
	lens[2] = 100;
	lens[3] = p.mtu;
	rc_buf_alloc(&sa, "A source", p.a.pd, 2 * p.mtu, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&rb, "B receive", p.b.pd, 4 * (GRH_LEN + p.mtu),
		     IBV_ACCESS_LOCAL_WRITE);
	rc_buf_fill(&sa, 7);
	rc_buf_fill(&rb, 8);
	for (i = 0; i < 4; i++) {
		size_t off = i * (GRH_LEN + p.mtu);

		ud_post_recv(&p.b, 0x100 + i, &rb, off, GRH_LEN + p.mtu);
		imm = 0xfeed0000 + i;
		ud_send(&p.a, p.a.ah, p.b.qp->qp_num, UD_QKEY, 0x200 + i, &sa,
			i, lens[i], imm_test ? &imm : NULL);
		ud_sent(&p.a, 0x200 + i);
		ud_received(&p.b, &p.a, 0x100 + i, lens[i],
			    imm_test ? &imm : NULL, &wc);
		ud_check_grh(rb.p + off, &env->dev[0]->gid, &env->dev[1]->gid);
		/* The image is the device's to write; the payload is exact. */
		rc_buf_expect(&rb, off, rb.p + off, GRH_LEN);
		rc_buf_expect(&rb, off + GRH_LEN, sa.p + i, lens[i]);
	}
	rc_buf_verify(&rb);

	/* Answer the last datagram the way a server does. */
	reply = ibv_create_ah_from_wc(p.b.pd, &wc,
				      (struct ibv_grh *)(rb.p + 3 *
							 (GRH_LEN + p.mtu)),
				      1);
	T_CHECK(reply, "ibv_create_ah_from_wc: %s", strerror(errno));
	rc_buf_fill(&sa, 9);
	ud_post_recv(&p.a, 0x300, &sa, 0, GRH_LEN + 64);
	ud_send(&p.b, reply, wc.src_qp, UD_QKEY, 0x301, &rb, GRH_LEN, 64,
		NULL);
	ud_sent(&p.b, 0x301);
	ud_received(&p.a, &p.b, 0x300, 64, NULL, &wc);
	ud_check_grh(sa.p, &env->dev[1]->gid, &env->dev[0]->gid);
	T_OK(ibv_destroy_ah(reply));
	rc_buf_free(&sa);
	rc_buf_free(&rb);
	ud_pair_destroy(&p);
}

/*
 * What B drops, each time counted on a sodp B, with its receive kept:
 * arg 0, the wrong Q_Key; arg 1, no receive posted; arg 2, a receive
 * too small for image and payload.  A's send completes either way, and
 * a fitting datagram afterwards lands in the receive that stayed.
 */
static void t_dropped(struct rc_env *env, long arg)
{
	static const char *const counter[] = {
		"rx_drop_qkey", "rx_drop_no_receive",
		"rx_drop_receive_too_small",
	};
	struct ud_pair p;
	struct rc_buf sa, rb;
	struct ibv_wc wc;
	long long before = 0;

	ud_pair_create(&p, env, false);
	rc_buf_alloc(&sa, "A source", p.a.pd, 4096, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&rb, "B receive", p.b.pd, 4096, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_fill(&sa, 11);
	rc_buf_fill(&rb, 12);
	if (is_sodp(env->dev[1]))
		before = rc_hw_counter(env->dev[1]->name, counter[arg]);
	if (arg != 1)
		ud_post_recv(&p.b, 0x400, &rb, 0, GRH_LEN + (arg == 2 ? 10 : 200));
	ud_send(&p.a, p.a.ah, p.b.qp->qp_num, arg == 0 ? UD_QKEY + 1 : UD_QKEY,
		0x401, &sa, 0, 100, NULL);
	ud_sent(&p.a, 0x401);
	rc_expect_none(p.b.rcq, 300, "B's receive CQ after a dropped datagram");
	if (is_sodp(env->dev[1]))
		T_CHECK(rc_hw_counter(env->dev[1]->name, counter[arg]) > before,
			"%s did not move", counter[arg]);
	if (arg == 1)
		ud_post_recv(&p.b, 0x400, &rb, 0, GRH_LEN + 200);
	ud_send(&p.a, p.a.ah, p.b.qp->qp_num, UD_QKEY, 0x402, &sa, 0, 10,
		NULL);
	ud_sent(&p.a, 0x402);
	ud_received(&p.b, &p.a, 0x400, 10, NULL, &wc);
	rc_buf_expect(&rb, 0, rb.p, GRH_LEN);
	rc_buf_expect(&rb, GRH_LEN, sa.p, 10);
	rc_buf_verify(&rb);
	rc_buf_free(&sa);
	rc_buf_free(&rb);
	ud_pair_destroy(&p);
}

/*
 * A WQE's Q_Key with the high bit set stands for the sending QP's own
 * (IBTA's controlled Q_Key): B, whose Q_Key is A's, takes the datagram.
 */
static void t_qkey_own(struct rc_env *env, long arg)
{
	struct ud_pair p;
	struct rc_buf sa, rb;
	struct ibv_wc wc;

	(void)arg;
	if (!is_sodp(env->dev[0]))
		rc_skip("rxe", "rxe sends a WQE's Q_Key as it is, high bit or not");
	ud_pair_create(&p, env, false);
	rc_buf_alloc(&sa, "A source", p.a.pd, 4096, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&rb, "B receive", p.b.pd, 4096, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_fill(&sa, 23);
	ud_post_recv(&p.b, 0x800, &rb, 0, GRH_LEN + 64);
	ud_send(&p.a, p.a.ah, p.b.qp->qp_num, 0x80000000u | 0x1234, 0x801,
		&sa, 0, 64, NULL);
	ud_sent(&p.a, 0x801);
	ud_received(&p.b, &p.a, 0x800, 64, NULL, &wc);
	T_CHECK(!memcmp(rb.p + GRH_LEN, sa.p, 64), "payload differs");
	rc_buf_free(&sa);
	rc_buf_free(&rb);
	ud_pair_destroy(&p);
}

/* Past the MTU: nothing goes out, the send completes successfully. */
static void t_oversize(struct rc_env *env, long arg)
{
	struct ud_pair p;
	struct rc_buf sa, rb;
	long long before = 0;

	(void)arg;
	ud_pair_create(&p, env, false);
	rc_buf_alloc(&sa, "A source", p.a.pd, 2 * p.mtu, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&rb, "B receive", p.b.pd, 2 * p.mtu + GRH_LEN,
		     IBV_ACCESS_LOCAL_WRITE);
	if (is_sodp(env->dev[0]))
		before = rc_hw_counter(env->dev[0]->name, "ud_send_oversize");
	ud_post_recv(&p.b, 0x500, &rb, 0, rb.len);
	ud_send(&p.a, p.a.ah, p.b.qp->qp_num, UD_QKEY, 0x501, &sa, 0,
		p.mtu + 1, NULL);
	ud_sent(&p.a, 0x501);
	rc_expect_none(p.b.rcq, 300, "B's receive CQ after a datagram > MTU");
	if (is_sodp(env->dev[0]))
		T_EQ(rc_hw_counter(env->dev[0]->name, "ud_send_oversize"),
		     before + 1, "ud_send_oversize");
	rc_buf_verify(&rb);
	rc_buf_free(&sa);
	rc_buf_free(&rb);
	ud_pair_destroy(&p);
}

/*
 * One 10-byte datagram from @from to @to, received into @dst (receive
 * wr_id @id, send wr_id @id + 1) and compared with @src's bytes.
 */
static void ud_one_way(struct ud_ep *from, struct ud_ep *to, uint64_t id,
		       struct rc_buf *src, struct rc_buf *dst, const char *what)
{
	struct ibv_wc wc;

	rc_buf_fill(src, (uint32_t)id);
	ud_post_recv(to, id, dst, 0, GRH_LEN + 10);
	ud_send(from, from->ah, to->qp->qp_num, UD_QKEY, id + 1, src, 0, 10,
		NULL);
	ud_sent(from, id + 1);
	ud_received(to, from, id, 10, NULL, &wc);
	T_CHECK(!memcmp(dst->p + GRH_LEN, src->p, 10), "%s: payload differs",
		what);
}

/*
 * An AH of another PD is not the QP's to use: the WQE fails and the QP
 * goes to the Send Queue Error state (IBTA 10.3.1): sends posted then are
 * flushed, datagrams are still received, and back in RTS it sends again.
 */
static void t_foreign_ah(struct rc_env *env, long arg)
{
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_RTS, .cur_qp_state = IBV_QPS_SQE,
	};
	struct ud_pair p;
	struct rc_buf sa, sb, ra, rb;
	struct ibv_pd *other;
	struct ibv_ah *ah;
	struct ibv_wc wc;

	(void)arg;
	ud_pair_create(&p, env, false);
	other = ibv_alloc_pd(env->dev[0]->ctx);
	T_CHECK(other, "alloc PD: %s", strerror(errno));
	ah = ud_ah(other, env->dev[0], env->dev[1]);
	rc_buf_alloc(&sa, "A source", p.a.pd, 4096, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&sb, "B source", p.b.pd, 4096, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&ra, "A receive", p.a.pd, 4096, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&rb, "B receive", p.b.pd, 4096, IBV_ACCESS_LOCAL_WRITE);
	ud_send(&p.a, ah, p.b.qp->qp_num, UD_QKEY, 0x601, &sa, 0, 10, NULL);
	rc_poll(p.a.scq, &wc, 1, "a send through another PD's AH");
	T_CHECK(wc.status != IBV_WC_SUCCESS,
		"a send through another PD's AH succeeded");
	rc_note("completed with %s", ibv_wc_status_str(wc.status));
	rc_expect_none(p.b.rcq, 200, "B's receive CQ");
	T_OK(ibv_destroy_ah(ah));
	T_OK(ibv_dealloc_pd(other));
	if (!is_sodp(p.a.dev)) {
		/* rxe moves a UD QP to ERR on a send error */
		rc_note("%s's QP is in state %d after it", p.a.dev->name,
			rc_qp_state(p.a.qp));
		goto out;
	}

	T_EQ(rc_qp_state(p.a.qp), IBV_QPS_SQE, "A's state after the error");
	ud_send(&p.a, p.a.ah, p.b.qp->qp_num, UD_QKEY, 0x602, &sa, 0, 10,
		NULL);
	rc_poll(p.a.scq, &wc, 1, "a send posted in SQE");
	T_EQ(wc.status, IBV_WC_WR_FLUSH_ERR, "a send posted in SQE");
	T_EQ(wc.wr_id, 0x602, "its wr_id");
	rc_expect_none(p.b.rcq, 200, "B's receive CQ");

	ud_one_way(&p.b, &p.a, 0x603, &sb, &ra, "B -> A with A in SQE");
	T_OK(ibv_modify_qp(p.a.qp, &attr, IBV_QP_STATE | IBV_QP_CUR_STATE));
	T_EQ(rc_qp_state(p.a.qp), IBV_QPS_RTS, "A's state after SQE -> RTS");
	ud_one_way(&p.a, &p.b, 0x605, &sa, &rb, "A -> B after SQE -> RTS");
out:
	rc_buf_free(&sa);
	rc_buf_free(&sb);
	rc_buf_free(&ra);
	rc_buf_free(&rb);
	ud_pair_destroy(&p);
}

/* 256 datagrams of 1..256 bytes, 64 in flight, each exact and in order. */
static void t_many(struct rc_env *env, long arg)
{
	enum { N = 256, SLOT = GRH_LEN + 256 };
	struct ud_pair p;
	struct rc_buf sa, rb;
	struct ibv_wc wc;
	int sent = 0, got = 0;

	(void)arg;
	ud_pair_create(&p, env, false);
	rc_buf_alloc(&sa, "A source", p.a.pd, N + 256, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&rb, "B receive", p.b.pd, NSLOTS * SLOT,
		     IBV_ACCESS_LOCAL_WRITE);
	rc_buf_fill(&sa, 13);
	for (; sent < NSLOTS; sent++)
		ud_post_recv(&p.b, sent, &rb, (sent % NSLOTS) * SLOT, SLOT);
	sent = 0;
	while (got < N) {
		while (sent < N && sent - got < NSLOTS) {
			ud_send(&p.a, p.a.ah, p.b.qp->qp_num, UD_QKEY, sent,
				&sa, sent, 1 + sent % 256, NULL);
			sent++;
		}
		ud_received(&p.b, &p.a, got, 1 + got % 256, NULL, &wc);
		T_CHECK(!memcmp(rb.p + (got % NSLOTS) * SLOT + GRH_LEN,
				sa.p + got, 1 + got % 256),
			"datagram %d: payload differs", got);
		ud_sent(&p.a, got);
		if (got + NSLOTS < N)
			ud_post_recv(&p.b, got + NSLOTS, &rb,
				     (got % NSLOTS) * SLOT, SLOT);
		got++;
	}
	rc_buf_free(&sa);
	rc_buf_free(&rb);
	ud_pair_destroy(&p);
}

/*
 * A handle destroyed while 64 WQEs still name it: every WQE completes,
 * those sent before the destroy successfully and any after it with an
 * error (then the rest flushed), and B receives no more than were sent.
 */
static void t_destroy_ah_busy(struct rc_env *env, long arg)
{
	struct ud_pair p;
	struct rc_buf sa, rb;
	struct ibv_wc wc[NSLOTS];
	struct ibv_ah *ah;
	int i, ok = 0, got = 0;
	uint64_t quiet;

	(void)arg;
	ud_pair_create(&p, env, false);
	rc_buf_alloc(&sa, "A source", p.a.pd, 4096, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&rb, "B receive", p.b.pd, NSLOTS * (GRH_LEN + 64),
		     IBV_ACCESS_LOCAL_WRITE);
	for (i = 0; i < NSLOTS; i++)
		ud_post_recv(&p.b, i, &rb, i * (GRH_LEN + 64), GRH_LEN + 64);
	ah = ud_ah(p.a.pd, env->dev[0], env->dev[1]);
	for (i = 0; i < NSLOTS; i++)
		ud_send(&p.a, ah, p.b.qp->qp_num, UD_QKEY, i, &sa, i, 64,
			NULL);
	T_OK(ibv_destroy_ah(ah));
	rc_poll(p.a.scq, wc, NSLOTS, "sends through a destroyed handle");
	for (i = 0; i < NSLOTS; i++) {
		T_EQ(wc[i].wr_id, i, "completion order");
		if (wc[i].status == IBV_WC_SUCCESS) {
			T_CHECK(ok == i, "WQE %d succeeded after WQE %d failed "
				"(%s)", i, ok, ibv_wc_status_str(wc[ok].status));
			ok++;
		}
	}
	rc_note("%d of %d sent before the destroy; then %s", ok, NSLOTS,
		ok < NSLOTS ? ibv_wc_status_str(wc[ok].status) : "nothing");
	/* what B gets, until a second passes with nothing new */
	for (quiet = rc_now_ms() + 1000; rc_now_ms() < quiet;) {
		if (ibv_poll_cq(p.b.rcq, 1, wc) != 1) {
			usleep(1000);
			continue;
		}
		T_EQ(wc[0].status, IBV_WC_SUCCESS, "B's receive status");
		got++;
		quiet = rc_now_ms() + 1000;
	}
	T_CHECK(got <= ok, "B received %d datagrams, %d were sent", got, ok);
	rc_buf_free(&sa);
	rc_buf_free(&rb);
	ud_pair_destroy(&p);
}

/* A group of the GID family in use: 239.10.0.1 or ff0e::d051. */
static void ud_group_gid(const struct rc_dev *d, union ibv_gid *mgid)
{
	memset(mgid, 0, sizeof(*mgid));
	if (gid_v4(&d->gid)) {
		mgid->raw[10] = mgid->raw[11] = 0xff;
		mgid->raw[12] = 239;
		mgid->raw[13] = 10;
		mgid->raw[15] = 1;
	} else {
		mgid->raw[0] = 0xff;
		mgid->raw[1] = 0x0e;
		mgid->raw[14] = 0xd0;
		mgid->raw[15] = 0x51;
	}
}

/* A sends @len bytes to the group; the send completes. */
static void ud_send_group(struct ud_pair *p, struct ibv_ah *gah,
			  uint64_t wr_id, struct rc_buf *sa, uint32_t len)
{
	ud_send(&p->a, gah, 0xffffff, UD_QKEY, wr_id, sa, wr_id & 0xff, len,
		NULL);
	ud_sent(&p->a, wr_id);
}

/* @e received A's datagram to the group, exact, in @rb at @off. */
static void ud_group_received(struct ud_ep *e, struct ud_pair *p,
			      uint64_t wr_id, struct rc_buf *rb, size_t off,
			      const union ibv_gid *mgid, struct rc_buf *sa,
			      size_t sa_off, uint32_t len)
{
	struct ibv_wc wc;

	ud_received(e, &p->a, wr_id, len, NULL, &wc);
	ud_check_grh(rb->p + off, &p->a.dev->gid, mgid);
	rc_buf_expect(rb, off, rb->p + off, GRH_LEN);
	rc_buf_expect(rb, off + GRH_LEN, sa->p + sa_off, len);
}

/*
 * Multicast: B and B2, two UD QPs on B's device, attach to a group and A
 * sends to it (QPN 0xFFFFFF).  Each member gets the datagram once, with
 * the group as the GRH image's destination, B2 though attached twice
 * (two LIDs) and still after one detach; a detached QP gets nothing more;
 * a datagram to the group's address but B's own QP number is dropped
 * (rx_drop_malformed); once the group has no member on B's device its
 * datagrams are dropped (rx_drop_no_qp; the counters when they cross a
 * link).  Detaching once too often fails with EINVAL, attaching a unicast
 * GID with EINVAL, and destroying a member with EBUSY.  Looped back, the device delivers its own datagrams
 * to its members, as a NIC's multicast loopback does.
 */
static void t_mcast(struct rc_env *env, long arg)
{
	const size_t slot = GRH_LEN + 256;
	struct ud_pair p;
	struct ud_ep b2;
	struct rc_buf sa, rb, rb2;
	union ibv_gid mgid;
	struct ibv_ah *gah;
	long long before = 0;
	bool crossed = env->dev[0] != env->dev[1];

	(void)arg;
	if (!is_sodp(env->dev[1]))
		rc_skip("rxe", "rxe takes a group's datagrams only from an IP "
			"group joined on its netdev: rdma_cm joins it, "
			"ibv_attach_mcast alone does not");
	ud_pair_create(&p, env, false);
	ud_ep_init(&b2, "B2", env->dev[1], false);
	b2.ah = ud_ah(b2.pd, env->dev[1], env->dev[0]);
	ud_group_gid(env->dev[0], &mgid);
	gah = ud_ah_gid(p.a.pd, env->dev[0], &mgid, "the group");
	rc_buf_alloc(&sa, "A source", p.a.pd, 4096, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&rb, "B receive", p.b.pd, 8192, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_fill(&sa, 17);
	rc_buf_fill(&rb, 18);
	/* B2's PD is its own: its receives need an MR there. */
	rc_buf_alloc(&rb2, "B2 receive", b2.pd, 4096, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_fill(&rb2, 19);

	T_EQ(ibv_attach_mcast(p.b.qp, &env->dev[1]->gid, 0), EINVAL,
	     "attaching a unicast GID");
	T_OK(ibv_attach_mcast(p.b.qp, &mgid, 0));
	/* uverbs keeps (GID, LID) pairs, RoCE ignores the LID: two attaches. */
	T_OK(ibv_attach_mcast(b2.qp, &mgid, 0));
	T_OK(ibv_attach_mcast(b2.qp, &mgid, 1));

	/* Both members, once each. */
	ud_post_recv(&p.b, 0x800, &rb, 0, slot);
	ud_post_recv(&b2, 0x810, &rb2, 0, slot);
	ud_post_recv(&b2, 0x811, &rb2, slot, slot);
	ud_send_group(&p, gah, 0x820, &sa, 200);
	ud_group_received(&p.b, &p, 0x800, &rb, 0, &mgid, &sa, 0x20, 200);
	ud_group_received(&b2, &p, 0x810, &rb2, 0, &mgid, &sa, 0x20, 200);
	rc_expect_none(b2.rcq, 300, "B2 (attached twice) after one datagram");

	/* One of B2's two attaches undone: still a member. */
	T_OK(ibv_detach_mcast(b2.qp, &mgid, 0));
	ud_post_recv(&p.b, 0x801, &rb, slot, slot);
	ud_send_group(&p, gah, 0x821, &sa, 33);
	ud_group_received(&p.b, &p, 0x801, &rb, slot, &mgid, &sa, 0x21, 33);
	ud_group_received(&b2, &p, 0x811, &rb2, slot, &mgid, &sa, 0x21, 33);

	/* B2 leaves; B still gets the group's datagrams. */
	T_OK(ibv_detach_mcast(b2.qp, &mgid, 1));
	T_EQ(ibv_detach_mcast(b2.qp, &mgid, 1), EINVAL,
	     "detaching a QP that is not a member");
	ud_post_recv(&b2, 0x812, &rb2, 2 * slot, slot);
	ud_post_recv(&p.b, 0x803, &rb, 3 * slot, slot);
	ud_send_group(&p, gah, 0x824, &sa, 66);
	ud_group_received(&p.b, &p, 0x803, &rb, 3 * slot, &mgid, &sa, 0x24,
			  66);
	rc_expect_none(b2.rcq, 300, "B2's receive CQ after it left the group");

	/* Only QP 0xFFFFFF names a group: B's own number does not reach it. */
	if (crossed)
		before = rc_hw_counter(env->dev[1]->name, "rx_drop_malformed");
	ud_post_recv(&p.b, 0x804, &rb, 4 * slot, slot);
	ud_send(&p.a, gah, p.b.qp->qp_num, UD_QKEY, 0x825, &sa, 0x25, 77,
		NULL);
	ud_sent(&p.a, 0x825);
	rc_expect_none(p.b.rcq, 300, "B's receive CQ after a datagram to the "
		       "group's address but B's QP number");
	if (crossed)
		T_CHECK(rc_hw_counter(env->dev[1]->name, "rx_drop_malformed") >
			before, "rx_drop_malformed did not move for a "
			"group's packet to a QP number other than 0xFFFFFF");

	/* A member cannot be destroyed; then B leaves too. */
	T_EQ(ibv_destroy_qp(p.b.qp), EBUSY, "destroying a group member");
	T_OK(ibv_detach_mcast(p.b.qp, &mgid, 0));
	if (crossed)
		before = rc_hw_counter(env->dev[1]->name, "rx_drop_no_qp");
	ud_send_group(&p, gah, 0x822, &sa, 44);
	rc_expect_none(p.b.rcq, 300, "B's receive CQ after it left the group");
	rc_expect_none(b2.rcq, 300, "B2's receive CQ with no member left");
	if (crossed)
		T_CHECK(rc_hw_counter(env->dev[1]->name, "rx_drop_no_qp") >
			before, "rx_drop_no_qp did not move for a datagram "
			"to a group without members");

	/* The receives that stayed still work for unicast. */
	ud_send(&p.a, p.a.ah, p.b.qp->qp_num, UD_QKEY, 0x823, &sa, 0x23, 55,
		NULL);
	ud_sent(&p.a, 0x823);
	ud_group_received(&p.b, &p, 0x804, &rb, 4 * slot, &p.b.dev->gid, &sa,
			  0x23, 55);
	rc_buf_verify(&rb);
	rc_buf_verify(&rb2);
	T_OK(ibv_destroy_ah(gah));
	rc_buf_free(&sa);
	rc_buf_free(&rb);
	rc_buf_free(&rb2);
	ud_ep_destroy(&b2);
	ud_pair_destroy(&p);
}

/* An RC QP's destination cannot be a group: modify to RTR says EINVAL. */
static void t_mcast_rc(struct rc_env *env, long arg)
{
	struct ibv_qp_attr attr;
	struct rc_pair rp;
	struct rc_cfg cfg;
	union ibv_gid mgid;
	int mask;

	(void)arg;
	if (!is_sodp(env->dev[0]))
		rc_skip("rxe", "what rxe does with a multicast RC destination "
			"is not looked at here");
	rc_cfg_default(&cfg);
	cfg.no_connect = true;
	rc_pair_create(&rp, env, &cfg);
	rc_qp_to_init(&rp.a, 0);
	rc_rtr_attr(&rp.a, &rp.b, &rp, &attr, &mask);
	ud_group_gid(env->dev[0], &mgid);
	attr.ah_attr.grh.dgid = mgid;
	T_EQ(ibv_modify_qp(rp.a.qp, &attr, mask), EINVAL,
	     "RC QP to RTR with a multicast destination");
	rc_pair_destroy(&rp);
}

/*
 * A process that ends with its QP still in a group: the core detaches
 * it, and the device must let the group go (the device's removal at the
 * end of t-ud warns about any group left, kmemleak sees a leak).
 */
static void t_mcast_exit(struct rc_env *env, long arg)
{
	struct ud_pair p;
	union ibv_gid mgid;

	(void)arg;
	ud_pair_create(&p, env, false);
	ud_group_gid(env->dev[0], &mgid);
	T_OK(ibv_attach_mcast(p.b.qp, &mgid, 0));
}

/* The same datagram through ibv_wr_send and ibv_wr_set_ud_addr. */
static void t_wr_api(struct rc_env *env, long arg)
{
	struct ud_pair p;
	struct rc_buf sa, rb;
	struct ibv_wc wc;
	uint32_t imm = 0xabcd;

	(void)arg;
	ud_pair_create(&p, env, true);
	rc_buf_alloc(&sa, "A source", p.a.pd, 4096, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&rb, "B receive", p.b.pd, 4096, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_fill(&sa, 15);
	rc_buf_fill(&rb, 16);
	ud_post_recv(&p.b, 0x700, &rb, 0, GRH_LEN + 300);
	ibv_wr_start(p.a.qpx);
	p.a.qpx->wr_id = 0x701;
	p.a.qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_send_imm(p.a.qpx, htonl(imm));
	ibv_wr_set_ud_addr(p.a.qpx, p.a.ah, p.b.qp->qp_num, UD_QKEY);
	ibv_wr_set_sge(p.a.qpx, sa.mr->lkey, rc_addr(&sa, 5), 300);
	T_OK(ibv_wr_complete(p.a.qpx));
	ud_sent(&p.a, 0x701);
	ud_received(&p.b, &p.a, 0x700, 300, &imm, &wc);
	rc_buf_expect(&rb, 0, rb.p, GRH_LEN);
	rc_buf_expect(&rb, GRH_LEN, sa.p + 5, 300);
	rc_buf_verify(&rb);
	rc_buf_free(&sa);
	rc_buf_free(&rb);
	ud_pair_destroy(&p);
}

static const struct rc_test tests[] = {
	{ "send", t_send, 0 },
	{ "send-imm", t_send, 1 },
	{ "drop-qkey", t_dropped, 0 },
	{ "drop-no-receive", t_dropped, 1 },
	{ "drop-receive-too-small", t_dropped, 2 },
	{ "oversize", t_oversize, 0 },
	{ "foreign-ah", t_foreign_ah, 0 },
	{ "qkey-own", t_qkey_own, 0 },
	{ "many", t_many, 0 },
	{ "destroy-ah-busy", t_destroy_ah_busy, 0 },
	{ "wr-api", t_wr_api, 0 },
	{ "mcast", t_mcast, 0 },
	{ "mcast-exit", t_mcast_exit, 0 },
	{ "mcast-rc", t_mcast_rc, 0 },
};

int main(int argc, char **argv)
{
	return rc_main("ud_ops", argc, argv, tests,
		       sizeof(tests) / sizeof(tests[0]));
}
