// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * verbs_support: what a device does not do, it refuses cleanly, and it
 * advertises nothing it does not do.  Each test in a process of its own:
 *
 *   verbs_support -d DEV [-t PATTERNS] [-l]
 *
 * For sodp: XRC, raw packet QPs, persistent FLUSH, device memory,
 * counters, work queues, thread domains, dma-buf MRs, CQ moderation and
 * ECE fail with EOPNOTSUPP; work requests with opcodes sodp does not carry
 * fail with EINVAL and post nothing; the capability flags hold exactly the
 * ones that other tests show working (RNR NAKs: rc_ops' rnr; port events:
 * t-port-state; memory windows of both types: mw_ops; the system image
 * GUID: below).  Against
 * another device (rxe) the tests of what it does support are skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <rdma/ib_user_verbs.h>

#include "rc_common.h"
#include "rc_runner.h"

static bool is_sodp(const struct rc_dev *d)
{
	return !strncmp(d->name, "sodp", 4);
}

static void need_sodp(const struct rc_dev *d, const char *what)
{
	if (!is_sodp(d))
		rc_skip(d->name, "%s: the expectations here are sodp's", what);
}

/* A verb that returned NULL must have said EOPNOTSUPP. */
#define T_UNSUPPORTED(obj, what)                                             \
	do {                                                                 \
		int e_ = errno;                                              \
		T_CHECK(!(obj), "%s succeeded", what);                       \
		T_CHECK(e_ == EOPNOTSUPP, "%s: errno %d (%s), not "          \
			"EOPNOTSUPP", what, e_, strerror(e_));               \
	} while (0)

/* A PD and a CQ of 8 entries on @d. */
static void pd_cq(struct rc_dev *d, struct ibv_pd **pd, struct ibv_cq **cq)
{
	*pd = ibv_alloc_pd(d->ctx);
	*cq = ibv_create_cq(d->ctx, 8, NULL, NULL, 0);
	T_CHECK(*pd && *cq, "PD and CQ: %s", strerror(errno));
}

static void pd_cq_free(struct ibv_pd *pd, struct ibv_cq *cq)
{
	T_OK(ibv_destroy_cq(cq));
	T_OK(ibv_dealloc_pd(pd));
}

static struct ibv_qp *create_qp_type(struct ibv_pd *pd, struct ibv_cq *cq,
				     enum ibv_qp_type type)
{
	struct ibv_qp_init_attr init = {
		.send_cq = cq,
		.recv_cq = cq,
		.cap = { .max_send_wr = 4, .max_recv_wr = 4,
			 .max_send_sge = 1, .max_recv_sge = 1 },
		.qp_type = type,
	};

	errno = 0;
	return ibv_create_qp(pd, &init);
}

/* Capability flags: only what works, and nothing sodp lacks. */
static void t_caps(struct rc_env *env, long arg)
{
	const struct rc_dev *d = env->dev[0];
	const uint64_t shown = IBV_DEVICE_RC_RNR_NAK_GEN |
			       IBV_DEVICE_PORT_ACTIVE_EVENT |
			       IBV_DEVICE_SYS_IMAGE_GUID |
			       IBV_DEVICE_MEM_WINDOW |
			       IBV_DEVICE_MEM_WINDOW_TYPE_2B |
			       /* kernel consumers' fast registration: t-nvmeof */
			       IBV_DEVICE_MEM_MGT_EXTENSIONS |
			       /* srq_ops' resize */
			       IBV_DEVICE_SRQ_RESIZE;
	uint64_t flags = d->attr.orig_attr.device_cap_flags;
	uint64_t ex = d->attr.device_cap_flags_ex;

	(void)arg;
	need_sodp(d, "capability flags");
	T_CHECK(!(flags & ~shown), "device_cap_flags 0x%llx claims 0x%llx "
		"beyond RNR_NAK_GEN, PORT_ACTIVE_EVENT, SYS_IMAGE_GUID, "
		"MEM_WINDOW, MEM_WINDOW_TYPE_2B, MEM_MGT_EXTENSIONS, SRQ_RESIZE",
		(unsigned long long)flags, (unsigned long long)(flags & ~shown));
	T_EQ(flags, shown, "device_cap_flags");
	/*
	 * The extended word repeats the 32 bits and adds global FLUSH and
	 * ATOMIC_WRITE (rc_ops' flush-* and atomic-write-*), not persistent
	 * FLUSH: sodp has no persistent memory.
	 */
	T_EQ(ex, shown | IB_UVERBS_DEVICE_FLUSH_GLOBAL |
		 IB_UVERBS_DEVICE_ATOMIC_WRITE, "device_cap_flags_ex");
	T_CHECK(d->attr.orig_attr.sys_image_guid != 0, "system image GUID 0");
	T_EQ(d->attr.orig_attr.sys_image_guid, d->attr.orig_attr.node_guid,
	     "system image GUID (one device per system image)");
	T_EQ(d->attr.tso_caps.max_tso, 0, "max_tso");
	T_EQ(d->attr.rss_caps.max_rwq_indirection_tables, 0,
	     "RSS indirection tables");
	T_EQ(d->attr.max_wq_type_rq, 0, "max_wq_type_rq");
	T_EQ(d->attr.tm_caps.max_num_tags, 0, "tag matching tags");
	T_EQ(d->attr.max_dm_size, 0, "max_dm_size");
	T_EQ(d->attr.xrc_odp_caps, 0, "XRC ODP caps");
	T_EQ(d->attr.odp_caps.per_transport_caps.uc_odp_caps, 0,
	     "UC ODP caps");
	T_EQ(d->attr.pci_atomic_caps.fetch_add, 0, "PCI atomic caps");
}

/* QP types sodp does not implement. */
static void t_qp_types(struct rc_env *env, long arg)
{
	static const struct {
		enum ibv_qp_type type;
		const char *name;
	} types[] = {
		{ IBV_QPT_RAW_PACKET, "RAW_PACKET" },
		{ IBV_QPT_XRC_SEND, "XRC_SEND" },
		{ IBV_QPT_DRIVER, "DRIVER" },
	};
	struct rc_dev *d = env->dev[0];
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	char what[64];
	size_t i;

	(void)arg;
	need_sodp(d, "QP types");
	pd_cq(d, &pd, &cq);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		snprintf(what, sizeof(what), "create a %s QP", types[i].name);
		qp = create_qp_type(pd, cq, types[i].type);
		T_UNSUPPORTED(qp, what);
	}
	pd_cq_free(pd, cq);
}

/* XRC domains, device memory, counters, TDs, WQs; a window of no type. */
static void t_objects(struct rc_env *env, long arg)
{
	struct rc_dev *d = env->dev[0];
	struct ibv_xrcd_init_attr xattr = {
		.comp_mask = IBV_XRCD_INIT_ATTR_FD | IBV_XRCD_INIT_ATTR_OFLAGS,
		.fd = -1,
		.oflags = O_CREAT,
	};
	struct ibv_alloc_dm_attr dmattr = { .length = 4096 };
	struct ibv_counters_init_attr cattr = {};
	struct ibv_td_init_attr tdattr = {};
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_wq_init_attr wqattr;
	void *obj;

	(void)arg;
	need_sodp(d, "objects");
	pd_cq(d, &pd, &cq);

	errno = 0;
	obj = ibv_open_xrcd(d->ctx, &xattr);
	T_UNSUPPORTED(obj, "ibv_open_xrcd");
	errno = 0;
	obj = ibv_alloc_mw(pd, (enum ibv_mw_type)3);
	T_CHECK(!obj && errno == EINVAL, "ibv_alloc_mw type 3: %s",
		obj ? "allocated" : strerror(errno));
	errno = 0;
	obj = ibv_alloc_dm(d->ctx, &dmattr);
	T_UNSUPPORTED(obj, "ibv_alloc_dm");
	errno = 0;
	obj = ibv_create_counters(d->ctx, &cattr);
	T_UNSUPPORTED(obj, "ibv_create_counters");
	errno = 0;
	obj = ibv_alloc_td(d->ctx, &tdattr);
	T_UNSUPPORTED(obj, "ibv_alloc_td");
	memset(&wqattr, 0, sizeof(wqattr));
	wqattr.wq_type = IBV_WQT_RQ;
	wqattr.max_wr = 4;
	wqattr.max_sge = 1;
	wqattr.pd = pd;
	wqattr.cq = cq;
	errno = 0;
	obj = ibv_create_wq(d->ctx, &wqattr);
	T_UNSUPPORTED(obj, "ibv_create_wq");
	errno = 0;
	obj = ibv_reg_dmabuf_mr(pd, 0, 4096, 0, 0, IBV_ACCESS_LOCAL_WRITE);
	T_UNSUPPORTED(obj, "ibv_reg_dmabuf_mr");
	pd_cq_free(pd, cq);
}

/* Extended QPs asking for send ops sodp does not carry; CQ moderation. */
static void t_ops(struct rc_env *env, long arg)
{
	static const struct {
		uint64_t op;
		const char *name;
	} ops[] = {
		{ IBV_QP_EX_WITH_TSO, "TSO" },
	};
	struct rc_dev *d = env->dev[0];
	struct ibv_qp_init_attr_ex init;
	struct ibv_cq_moderation_caps *mod = &d->attr.cq_mod_caps;
	struct ibv_modify_cq_attr cqattr = {
		.attr_mask = IBV_CQ_ATTR_MODERATE,
		.moderate = { .cq_count = 4, .cq_period = 10 },
	};
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	char what[64];
	size_t i;

	(void)arg;
	need_sodp(d, "send ops");
	pd_cq(d, &pd, &cq);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		memset(&init, 0, sizeof(init));
		init.send_cq = init.recv_cq = cq;
		init.cap.max_send_wr = init.cap.max_recv_wr = 4;
		init.cap.max_send_sge = init.cap.max_recv_sge = 1;
		init.qp_type = IBV_QPT_RC;
		init.comp_mask = IBV_QP_INIT_ATTR_PD |
				 IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
		init.pd = pd;
		init.send_ops_flags = IBV_QP_EX_WITH_SEND | ops[i].op;
		snprintf(what, sizeof(what), "an RC QP with %s", ops[i].name);
		errno = 0;
		qp = ibv_create_qp_ex(d->ctx, &init);
		T_UNSUPPORTED(qp, what);
	}
	T_EQ(mod->max_cq_count, 0, "CQ moderation count");
	T_EQ(ibv_modify_cq(cq, &cqattr), EOPNOTSUPP, "ibv_modify_cq");
	pd_cq_free(pd, cq);
}

/*
 * ibv_post_send with an opcode sodp does not carry there (ATOMIC_WRITE and
 * FLUSH go through ibv_wr_*, which give their operands): EINVAL, *bad_wr at
 * the WR, and nothing posted (the SQ stays empty: no completion comes,
 * and a SEND after it is the first completion).
 */
static void t_post_opcodes(struct rc_env *env, long arg)
{
	static const struct {
		enum ibv_wr_opcode op;
		const char *name;
	} ops[] = {
		{ IBV_WR_TSO, "TSO" },
		{ IBV_WR_DRIVER1, "DRIVER1" },
		{ IBV_WR_ATOMIC_WRITE, "ATOMIC_WRITE" },
		{ IBV_WR_FLUSH, "FLUSH" },
		{ (enum ibv_wr_opcode)77, "opcode 77" },
	};
	struct rc_pair p;
	struct rc_cfg cfg;
	struct rc_buf a, b;
	struct ibv_send_wr wr, *bad;
	struct ibv_recv_wr rwr, *rbad;
	struct ibv_sge sa, sb;
	struct ibv_wc wc;
	size_t i;
	int ret;

	(void)arg;
	need_sodp(env->dev[0], "opcodes");
	rc_cfg_default(&cfg);
	rc_pair_create(&p, env, &cfg);
	rc_buf_alloc(&a, "A", p.a.pd, 4096, RC_ACCESS_ALL);
	rc_buf_alloc(&b, "B", p.b.pd, 4096, RC_ACCESS_ALL);
	rc_buf_fill(&a, 1);
	rc_buf_fill(&b, 2);
	sa = rc_sge(&a, 0, 64);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		memset(&wr, 0, sizeof(wr));
		wr.wr_id = 0x900 + i;
		wr.sg_list = &sa;
		wr.num_sge = 1;
		wr.opcode = ops[i].op;
		wr.send_flags = IBV_SEND_SIGNALED;
		wr.wr.rdma.remote_addr = rc_addr(&b, 0);
		wr.wr.rdma.rkey = b.mr->rkey;
		bad = NULL;
		ret = ibv_post_send(p.a.qp, &wr, &bad);
		T_CHECK(ret == EINVAL, "posting %s: %d (%s), not EINVAL",
			ops[i].name, ret, strerror(ret));
		T_CHECK(bad == &wr, "posting %s: bad_wr not the WR",
			ops[i].name);
	}
	sb = rc_sge(&b, 0, 64);
	memset(&rwr, 0, sizeof(rwr));
	rwr.wr_id = 0x950;
	rwr.sg_list = &sb;
	rwr.num_sge = 1;
	T_OK(ibv_post_recv(p.b.qp, &rwr, &rbad));
	memset(&wr, 0, sizeof(wr));
	wr.wr_id = 0x951;
	wr.sg_list = &sa;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = IBV_SEND_SIGNALED;
	T_OK(ibv_post_send(p.a.qp, &wr, &bad));
	rc_poll(p.a.scq, &wc, 1, "the SEND after the refused WRs");
	T_EQ(wc.wr_id, 0x951, "first completion (nothing refused was posted)");
	T_EQ(wc.status, IBV_WC_SUCCESS, "SEND status");
	rc_poll(p.b.rcq, &wc, 1, "B's receive");
	T_EQ(wc.status, IBV_WC_SUCCESS, "receive status");
	rc_buf_expect(&b, 0, a.p, 64);
	rc_buf_verify(&b);
	rc_buf_free(&a);
	rc_buf_free(&b);
	rc_pair_destroy(&p);
}

static const struct rc_test tests[] = {
	{ "caps", t_caps, 0 },
	{ "qp-types", t_qp_types, 0 },
	{ "objects", t_objects, 0 },
	{ "send-ops", t_ops, 0 },
	{ "post-opcodes", t_post_opcodes, 0 },
};

int main(int argc, char **argv)
{
	return rc_main("verbs_support", argc, argv, tests,
		       sizeof(tests) / sizeof(tests[0]));
}
