// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mw_ops: memory windows and invalidation, as IBTA and libibverbs define
 * them.  B owns an MR registered with IBV_ACCESS_MW_BIND and a window
 * over part of it, bound through B's own QP; A reaches B's memory only
 * through the window's rkey, and each test ends with the access that must
 * fail (a remote access error ends both QPs).
 *
 *   t1-rdma         type 1 (ibv_bind_mw): WRITE, READ and FETCH_AND_ADD
 *                   inside the window land byte-exact; one byte past its
 *                   end is a remote access error and writes nothing
 *   t1-rights       a window granting REMOTE_READ only refuses a WRITE,
 *                   although the MR below it would not
 *   t1-rebind       rebinding elsewhere: the new key reaches the new range,
 *                   the old key nothing
 *   t1-unbind       a zero-length bind ends the window
 *   t2-local-inv    type 2 (IBV_WR_BIND_MW), then LOCAL_INV on B's QP
 *   t2-send-inv     type 2, ended by A's SEND_WITH_INV: B's receive
 *                   reports IBV_WC_WITH_INV and the key
 *   t2-bound-twice  binding a bound type 2 window fails (MW_BIND_ERR)
 *   t2-dealloc      deallocating a bound window ends it
 *   zero-based      a type 2 window with IBV_ACCESS_ZERO_BASED: addresses
 *                   count from the window's start
 *   bind-no-mw-bind, bind-past-mr, bind-write-readonly-mr
 *                   binds the MR does not allow complete with MW_BIND_ERR
 *   bind-t1-zero-based, bind-t2-empty
 *                   nor may a type 1 window be zero-based, nor a type 2
 *                   window be bound to nothing
 *   dereg-busy      an MR with a window bound refuses ibv_dereg_mr (EBUSY)
 *                   until the window is gone
 *   inv-type1       LOCAL_INV cannot end a type 1 window (an error
 *                   completion)
 *
 * The MR kind (--mr pinned|odp|implicit|all) applies to B's MR too:
 * windows over ODP memory fault like any other access.  Run it looped
 * back on one device, or -d A -D B across two.  B may be rxe, on the
 * tests rxe gets right: rxe lets a WRITE past a window's end through
 * (t1-rdma), its provider refuses zero-based binds, its kernel reports
 * dereg-busy and the refused binds otherwise, and t2-send-inv ends as a
 * SKIP on its wc_flags (see there).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rc_common.h"
#include "rc_runner.h"

#define KiB	1024
#define BUF_LEN	(64 * KiB)
#define WIN_OFF	(8 * KiB)	/* the window, in B's buffer */
#define WIN_LEN	(16 * KiB)
#define RIGHTS	(IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE |	\
		 IBV_ACCESS_REMOTE_ATOMIC)
#define MR_MW	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_MW_BIND)

struct bed {
	struct rc_pair p;
	struct rc_buf la;	/* A's source and sink */
	struct rc_buf rb;	/* B's MR, where the window lies */
	struct ibv_mw *mw;
};

static void bed_init(struct bed *t, struct rc_env *env, int mr_access,
		     enum ibv_mw_type type)
{
	struct rc_cfg cfg;

	rc_cfg_default(&cfg);
	rc_pair_create(&t->p, env, &cfg);
	rc_buf_alloc(&t->la, "A local", t->p.a.pd, BUF_LEN,
		     IBV_ACCESS_LOCAL_WRITE);
	rc_buf_alloc(&t->rb, "B window's MR", t->p.b.pd, BUF_LEN, mr_access);
	rc_buf_fill(&t->la, 0xa11);
	rc_buf_fill(&t->rb, 0xb22);
	t->mw = ibv_alloc_mw(t->p.b.pd, type);
	if (!t->mw && errno == EOPNOTSUPP)
		rc_skip("mw", "%s has no type %d memory windows",
			t->p.b.dev->name, type);
	T_CHECK(t->mw, "ibv_alloc_mw(type %d): %s", type, strerror(errno));
}

static void bed_fini(struct bed *t)
{
	if (t->mw)
		T_OK(ibv_dealloc_mw(t->mw));
	rc_buf_free(&t->la);
	rc_buf_free(&t->rb);
	rc_pair_destroy(&t->p);
}

static struct ibv_mw_bind_info bind_info(const struct rc_buf *b, size_t off,
					 uint64_t len, unsigned int access)
{
	return (struct ibv_mw_bind_info){
		.mr = b->mr, .addr = rc_addr(b, off), .length = len,
		.mw_access_flags = access,
	};
}

static void expect_bind(struct rc_ep *e, uint64_t id,
			enum ibv_wc_status st, const char *what)
{
	struct rc_want w = st == IBV_WC_SUCCESS ?
			   rc_ok(e, id, IBV_WC_BIND_MW, RC_ANY) :
			   rc_err(e, id, st);

	rc_expect(e->scq, &w, what);
}

/* A type 1 bind with ibv_bind_mw(); the window's key is then mw->rkey. */
static void bind1(struct bed *t, size_t off, uint64_t len, unsigned int access,
		  enum ibv_wc_status st)
{
	struct ibv_mw_bind mb = {
		.wr_id = 0xb1, .send_flags = IBV_SEND_SIGNALED,
		.bind_info = bind_info(&t->rb, off, len, access),
	};
	uint32_t old = t->mw->rkey;

	T_OK(ibv_bind_mw(t->p.b.qp, t->mw, &mb));
	T_CHECK(t->mw->rkey != old && (t->mw->rkey >> 8) == (old >> 8),
		"ibv_bind_mw gave key 0x%x after 0x%x", t->mw->rkey, old);
	expect_bind(&t->p.b, 0xb1, st, "type 1 bind");
}

/* A type 2 bind posted on B's QP.  Return: the key it gives. */
static uint32_t bind2(struct bed *t, uint32_t rkey, size_t off, uint64_t len,
		      unsigned int access, enum ibv_wc_status st)
{
	struct ibv_send_wr wr = {
		.wr_id = 0xb2, .opcode = IBV_WR_BIND_MW,
		.send_flags = IBV_SEND_SIGNALED,
		.bind_mw = {
			.mw = t->mw, .rkey = rkey,
			.bind_info = bind_info(&t->rb, off, len, access),
		},
	};

	rc_post_send(&t->p.b, &wr);
	expect_bind(&t->p.b, 0xb2, st, "type 2 bind");
	return rkey;
}

/*
 * A bed whose type 2 window is bound over [WIN_OFF, WIN_OFF + WIN_LEN)
 * with @access.  Return: the window's key.
 */
static uint32_t bed_init_bound2(struct bed *t, struct rc_env *env,
				unsigned int access)
{
	bed_init(t, env, MR_MW, IBV_MW_TYPE_2);
	return bind2(t, ibv_inc_rkey(t->mw->rkey), WIN_OFF, WIN_LEN, access,
		     IBV_WC_SUCCESS);
}

/*
 * An RDMA WRITE or READ of @len bytes between A's buffer at @loff and B's
 * address @va through @rkey.  On success the bytes must have moved (B's
 * buffer offset @roff is where @va lands); on failure nothing moved.
 */
static void rdma(struct bed *t, enum ibv_wr_opcode op, uint32_t rkey,
		 uint64_t va, size_t roff, size_t loff, uint32_t len,
		 enum ibv_wc_status st)
{
	struct ibv_sge sg = rc_sge(&t->la, loff, len);
	struct ibv_send_wr wr;
	struct rc_want w;
	char what[96];

	snprintf(what, sizeof(what), "%s of %u bytes at 0x%llx, key 0x%x",
		 op == IBV_WR_RDMA_WRITE ? "WRITE" : "READ", len,
		 (unsigned long long)va, rkey);
	rc_wr(&wr, &sg, 1, 0xa0, op, IBV_SEND_SIGNALED);
	wr.wr.rdma.remote_addr = va;
	wr.wr.rdma.rkey = rkey;
	rc_post_send(&t->p.a, &wr);
	w = st == IBV_WC_SUCCESS ?
	    rc_ok(&t->p.a, 0xa0, op == IBV_WR_RDMA_WRITE ? IBV_WC_RDMA_WRITE :
		  IBV_WC_RDMA_READ, op == IBV_WR_RDMA_WRITE ? RC_ANY : len) :
	    rc_err(&t->p.a, 0xa0, st);
	rc_expect(t->p.a.scq, &w, what);
	if (st == IBV_WC_SUCCESS && op == IBV_WR_RDMA_WRITE)
		rc_buf_expect(&t->rb, roff, t->la.p + loff, len);
	if (st == IBV_WC_SUCCESS && op == IBV_WR_RDMA_READ)
		rc_buf_expect(&t->la, loff, t->rb.p + roff, len);
	rc_buf_verify(&t->rb);
	rc_buf_verify(&t->la);
}

static void t_t1_rdma(struct rc_env *env, long arg)
{
	struct ibv_sge sg;
	struct ibv_send_wr wr;
	struct rc_want w;
	struct bed t;
	uint64_t orig, sum;

	(void)arg;
	bed_init(&t, env, MR_MW, IBV_MW_TYPE_1);
	bind1(&t, WIN_OFF, WIN_LEN, RIGHTS, IBV_WC_SUCCESS);
	rdma(&t, IBV_WR_RDMA_WRITE, t.mw->rkey, rc_addr(&t.rb, WIN_OFF + 100),
	     WIN_OFF + 100, 0, 5000, IBV_WC_SUCCESS);
	rdma(&t, IBV_WR_RDMA_READ, t.mw->rkey, rc_addr(&t.rb, WIN_OFF),
	     WIN_OFF, 8 * KiB, WIN_LEN, IBV_WC_SUCCESS);

	/* FETCH_AND_ADD on the window's last word. */
	memcpy(&orig, t.rb.p + WIN_OFF + WIN_LEN - 8, 8);
	sg = rc_sge(&t.la, 0, 8);
	rc_wr(&wr, &sg, 1, 0xfa, IBV_WR_ATOMIC_FETCH_AND_ADD,
	      IBV_SEND_SIGNALED);
	wr.wr.atomic.remote_addr = rc_addr(&t.rb, WIN_OFF + WIN_LEN - 8);
	wr.wr.atomic.rkey = t.mw->rkey;
	wr.wr.atomic.compare_add = 0x1001;
	rc_post_send(&t.p.a, &wr);
	rc_expect(t.p.a.scq, (w = rc_ok(&t.p.a, 0xfa, IBV_WC_FETCH_ADD, 8), &w),
		  "FETCH_AND_ADD through the window");
	sum = orig + 0x1001;
	rc_buf_expect(&t.la, 0, &orig, 8);
	rc_buf_expect(&t.rb, WIN_OFF + WIN_LEN - 8, &sum, 8);
	rc_buf_verify(&t.rb);
	rc_buf_verify(&t.la);

	/* Past the window (inside the MR): refused, nothing written. */
	rdma(&t, IBV_WR_RDMA_WRITE, t.mw->rkey,
	     rc_addr(&t.rb, WIN_OFF + WIN_LEN - 4), WIN_OFF + WIN_LEN - 4, 0,
	     5, IBV_WC_REM_ACCESS_ERR);
	bed_fini(&t);
}

static void t_t1_rights(struct rc_env *env, long arg)
{
	struct bed t;

	(void)arg;
	bed_init(&t, env, MR_MW | IBV_ACCESS_REMOTE_WRITE, IBV_MW_TYPE_1);
	bind1(&t, WIN_OFF, WIN_LEN, IBV_ACCESS_REMOTE_READ, IBV_WC_SUCCESS);
	rdma(&t, IBV_WR_RDMA_READ, t.mw->rkey, rc_addr(&t.rb, WIN_OFF),
	     WIN_OFF, 0, 4 * KiB, IBV_WC_SUCCESS);
	rdma(&t, IBV_WR_RDMA_WRITE, t.mw->rkey, rc_addr(&t.rb, WIN_OFF),
	     WIN_OFF, 0, 64, IBV_WC_REM_ACCESS_ERR);
	bed_fini(&t);
}

static void t_t1_rebind(struct rc_env *env, long arg)
{
	const size_t off2 = WIN_OFF + WIN_LEN;
	uint32_t k1;
	struct bed t;

	(void)arg;
	bed_init(&t, env, MR_MW, IBV_MW_TYPE_1);
	bind1(&t, WIN_OFF, 4 * KiB, RIGHTS, IBV_WC_SUCCESS);
	k1 = t.mw->rkey;
	rdma(&t, IBV_WR_RDMA_WRITE, k1, rc_addr(&t.rb, WIN_OFF), WIN_OFF, 0,
	     4 * KiB, IBV_WC_SUCCESS);
	bind1(&t, off2, 4 * KiB, RIGHTS, IBV_WC_SUCCESS);
	rdma(&t, IBV_WR_RDMA_WRITE, t.mw->rkey, rc_addr(&t.rb, off2), off2,
	     4 * KiB, 4 * KiB, IBV_WC_SUCCESS);
	rdma(&t, IBV_WR_RDMA_WRITE, k1, rc_addr(&t.rb, WIN_OFF), WIN_OFF, 0,
	     64, IBV_WC_REM_ACCESS_ERR);
	bed_fini(&t);
}

static void t_t1_unbind(struct rc_env *env, long arg)
{
	struct bed t;

	(void)arg;
	bed_init(&t, env, MR_MW, IBV_MW_TYPE_1);
	bind1(&t, WIN_OFF, WIN_LEN, RIGHTS, IBV_WC_SUCCESS);
	rdma(&t, IBV_WR_RDMA_WRITE, t.mw->rkey, rc_addr(&t.rb, WIN_OFF),
	     WIN_OFF, 0, 64, IBV_WC_SUCCESS);
	bind1(&t, WIN_OFF, 0, 0, IBV_WC_SUCCESS);
	rdma(&t, IBV_WR_RDMA_WRITE, t.mw->rkey, rc_addr(&t.rb, WIN_OFF),
	     WIN_OFF, 0, 64, IBV_WC_REM_ACCESS_ERR);
	bed_fini(&t);
}

static void t_t2_local_inv(struct rc_env *env, long arg)
{
	struct ibv_send_wr wr;
	struct rc_want w;
	struct bed t;
	uint32_t k;

	(void)arg;
	k = bed_init_bound2(&t, env, RIGHTS);
	rdma(&t, IBV_WR_RDMA_WRITE, k, rc_addr(&t.rb, WIN_OFF), WIN_OFF, 0,
	     3000, IBV_WC_SUCCESS);
	rc_wr(&wr, NULL, 0, 0xb3, IBV_WR_LOCAL_INV, IBV_SEND_SIGNALED);
	wr.invalidate_rkey = k;
	rc_post_send(&t.p.b, &wr);
	rc_expect(t.p.b.scq,
		  (w = rc_ok(&t.p.b, 0xb3, IBV_WC_LOCAL_INV, RC_ANY), &w),
		  "LOCAL_INV");
	rdma(&t, IBV_WR_RDMA_WRITE, k, rc_addr(&t.rb, WIN_OFF), WIN_OFF, 0,
	     64, IBV_WC_REM_ACCESS_ERR);
	bed_fini(&t);
}

static void t_t2_send_inv(struct rc_env *env, long arg)
{
	struct rc_buf rx;
	struct ibv_sge sg, rsg;
	struct ibv_send_wr wr;
	struct ibv_wc wc;
	struct rc_want w;
	unsigned int rxe_flags = 0;
	char b_name[64];
	struct bed t;
	uint32_t k;

	(void)arg;
	bed_init(&t, env, MR_MW, IBV_MW_TYPE_2);
	snprintf(b_name, sizeof(b_name), "%s", t.p.b.dev->name);
	rc_buf_alloc(&rx, "B receive", t.p.b.pd, 4 * KiB,
		     IBV_ACCESS_LOCAL_WRITE);
	k = bind2(&t, ibv_inc_rkey(ibv_inc_rkey(t.mw->rkey)), WIN_OFF,
		  WIN_LEN, RIGHTS, IBV_WC_SUCCESS);
	rdma(&t, IBV_WR_RDMA_READ, k, rc_addr(&t.rb, WIN_OFF), WIN_OFF, 0,
	     WIN_LEN, IBV_WC_SUCCESS);

	rsg = rc_sge(&rx, 0, 4 * KiB);
	rc_post_recv(&t.p.b, 0xb4, &rsg, 1);
	sg = rc_sge(&t.la, 0, 1500);
	rc_wr(&wr, &sg, 1, 0xa4, IBV_WR_SEND_WITH_INV, IBV_SEND_SIGNALED);
	wr.invalidate_rkey = k;
	rc_post_send(&t.p.a, &wr);
	rc_expect(t.p.a.scq, (w = rc_ok(&t.p.a, 0xa4, IBV_WC_SEND, RC_ANY), &w),
		  "SEND_WITH_INV");
	rc_poll(t.p.b.rcq, &wc, 1, "receive of a SEND_WITH_INV");
	T_EQ(wc.status, IBV_WC_SUCCESS, "its status");
	T_EQ(wc.opcode, IBV_WC_RECV, "its opcode");
	T_EQ(wc.byte_len, 1500, "its byte_len");
	/*
	 * rxe hands user space the kernel's IB_WC_WITH_INVALIDATE (1 << 2,
	 * which is IBV_WC_IP_CSUM_OK there), not IBV_WC_WITH_INV (1 << 3):
	 * the rest is checked, and the test then ends as a SKIP.
	 */
	if (!strncmp(b_name, "rxe", 3) &&
	    (wc.wc_flags & (IBV_WC_WITH_INV | IBV_WC_IP_CSUM_OK)) ==
	    IBV_WC_IP_CSUM_OK)
		rxe_flags = wc.wc_flags;
	else
		T_CHECK(wc.wc_flags & IBV_WC_WITH_INV,
			"no IBV_WC_WITH_INV in wc_flags 0x%x", wc.wc_flags);
	T_CHECK(!(wc.wc_flags & IBV_WC_WITH_IMM), "IBV_WC_WITH_IMM set");
	T_EQ(wc.invalidated_rkey, k, "its invalidated_rkey");
	rc_buf_expect(&rx, 0, t.la.p, 1500);
	rc_buf_verify(&rx);

	rdma(&t, IBV_WR_RDMA_READ, k, rc_addr(&t.rb, WIN_OFF), WIN_OFF, 0,
	     64, IBV_WC_REM_ACCESS_ERR);
	rc_buf_free(&rx);
	bed_fini(&t);
	if (rxe_flags)
		rc_skip("rxe", "%s reports a SEND_WITH_INV receive with "
			"wc_flags 0x%x, not IBV_WC_WITH_INV", b_name,
			rxe_flags);
}

static void t_t2_bound_twice(struct rc_env *env, long arg)
{
	struct bed t;
	uint32_t k;

	(void)arg;
	k = bed_init_bound2(&t, env, RIGHTS);
	bind2(&t, ibv_inc_rkey(k), WIN_OFF, 4 * KiB, RIGHTS,
	      IBV_WC_MW_BIND_ERR);
	bed_fini(&t);
}

static void t_t2_dealloc(struct rc_env *env, long arg)
{
	struct bed t;
	uint32_t k;

	(void)arg;
	k = bed_init_bound2(&t, env, RIGHTS);
	rdma(&t, IBV_WR_RDMA_WRITE, k, rc_addr(&t.rb, WIN_OFF), WIN_OFF, 0,
	     64, IBV_WC_SUCCESS);
	T_OK(ibv_dealloc_mw(t.mw));
	t.mw = NULL;
	rdma(&t, IBV_WR_RDMA_WRITE, k, rc_addr(&t.rb, WIN_OFF), WIN_OFF, 0,
	     64, IBV_WC_REM_ACCESS_ERR);
	bed_fini(&t);
}

static void t_zero_based(struct rc_env *env, long arg)
{
	struct bed t;
	uint32_t k;

	(void)arg;
	k = bed_init_bound2(&t, env, RIGHTS | IBV_ACCESS_ZERO_BASED);
	rdma(&t, IBV_WR_RDMA_WRITE, k, 100, WIN_OFF + 100, 0, 2000,
	     IBV_WC_SUCCESS);
	rdma(&t, IBV_WR_RDMA_READ, k, 0, WIN_OFF, 4 * KiB, WIN_LEN,
	     IBV_WC_SUCCESS);
	rdma(&t, IBV_WR_RDMA_WRITE, k, WIN_LEN, WIN_OFF + WIN_LEN, 0, 1,
	     IBV_WC_REM_ACCESS_ERR);
	bed_fini(&t);
}

enum {
	BAD_NO_MW_BIND, BAD_PAST_MR, BAD_WRITE_READONLY, BAD_T1_ZERO_BASED,
	BAD_T2_EMPTY,
};

static void t_bind_bad(struct rc_env *env, long how)
{
	int access = how == BAD_NO_MW_BIND ? IBV_ACCESS_LOCAL_WRITE :
		     how == BAD_WRITE_READONLY ? IBV_ACCESS_MW_BIND : MR_MW;
	struct bed t;

	bed_init(&t, env, access,
		 how == BAD_T2_EMPTY ? IBV_MW_TYPE_2 : IBV_MW_TYPE_1);
	if (how == BAD_T2_EMPTY)
		bind2(&t, ibv_inc_rkey(t.mw->rkey), WIN_OFF, 0, RIGHTS,
		      IBV_WC_MW_BIND_ERR);
	else if (how == BAD_T1_ZERO_BASED)
		bind1(&t, WIN_OFF, WIN_LEN, RIGHTS | IBV_ACCESS_ZERO_BASED,
		      IBV_WC_MW_BIND_ERR);
	/* An implicit MR ends where the address space does. */
	else if (how == BAD_PAST_MR && rc_pd_kind(t.p.b.pd) == RC_MR_IMPLICIT)
		bind1(&t, (1ULL << 62) - rc_addr(&t.rb, 0), 4 * KiB, RIGHTS,
		      IBV_WC_MW_BIND_ERR);
	else if (how == BAD_PAST_MR)
		bind1(&t, BUF_LEN - 4 * KiB, 4 * KiB + 1, RIGHTS,
		      IBV_WC_MW_BIND_ERR);
	else
		bind1(&t, WIN_OFF, WIN_LEN, RIGHTS, IBV_WC_MW_BIND_ERR);
	T_CHECK(rc_wait_qp_state(t.p.b.qp, IBV_QPS_ERR, rc_opts.timeout_ms),
		"B's QP not in the error state after a failed bind");
	bed_fini(&t);
}

static void t_dereg_busy(struct rc_env *env, long arg)
{
	struct bed t;
	int ret;

	(void)arg;
	bed_init(&t, env, MR_MW, IBV_MW_TYPE_1);
	bind1(&t, WIN_OFF, WIN_LEN, RIGHTS, IBV_WC_SUCCESS);
	ret = ibv_dereg_mr(t.rb.mr);
	T_EQ(ret, EBUSY, "ibv_dereg_mr of an MR with a window bound");
	rdma(&t, IBV_WR_RDMA_WRITE, t.mw->rkey, rc_addr(&t.rb, WIN_OFF),
	     WIN_OFF, 0, 64, IBV_WC_SUCCESS);
	T_OK(ibv_dealloc_mw(t.mw));
	t.mw = NULL;
	T_OK(ibv_dereg_mr(t.rb.mr));
	t.rb.mr = NULL;
	bed_fini(&t);
}

static void t_inv_type1(struct rc_env *env, long arg)
{
	struct ibv_send_wr wr;
	struct ibv_wc wc;
	struct bed t;

	(void)arg;
	bed_init(&t, env, MR_MW, IBV_MW_TYPE_1);
	bind1(&t, WIN_OFF, WIN_LEN, RIGHTS, IBV_WC_SUCCESS);
	rc_wr(&wr, NULL, 0, 0xb5, IBV_WR_LOCAL_INV, IBV_SEND_SIGNALED);
	wr.invalidate_rkey = t.mw->rkey;
	rc_post_send(&t.p.b, &wr);
	rc_poll(t.p.b.scq, &wc, 1, "LOCAL_INV of a type 1 window");
	T_CHECK(wc.status != IBV_WC_SUCCESS,
		"LOCAL_INV ended a type 1 window");
	T_EQ(wc.wr_id, 0xb5, "its wr_id");
	bed_fini(&t);
}

static const struct rc_test tests[] = {
	{ "t1-rdma", t_t1_rdma, 0 },
	{ "t1-rights", t_t1_rights, 0 },
	{ "t1-rebind", t_t1_rebind, 0 },
	{ "t1-unbind", t_t1_unbind, 0 },
	{ "t2-local-inv", t_t2_local_inv, 0 },
	{ "t2-send-inv", t_t2_send_inv, 0 },
	{ "t2-bound-twice", t_t2_bound_twice, 0 },
	{ "t2-dealloc", t_t2_dealloc, 0 },
	{ "zero-based", t_zero_based, 0 },
	{ "bind-no-mw-bind", t_bind_bad, BAD_NO_MW_BIND },
	{ "bind-past-mr", t_bind_bad, BAD_PAST_MR },
	{ "bind-write-readonly-mr", t_bind_bad, BAD_WRITE_READONLY },
	{ "bind-t1-zero-based", t_bind_bad, BAD_T1_ZERO_BASED },
	{ "bind-t2-empty", t_bind_bad, BAD_T2_EMPTY },
	{ "dereg-busy", t_dereg_busy, 0 },
	{ "inv-type1", t_inv_type1, 0 },
};

int main(int argc, char **argv)
{
	return rc_main("mw_ops", argc, argv, tests,
		       sizeof(tests) / sizeof(tests[0]));
}
