// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp_verbs MODE [DEV]: verbs-level checks of a sodp device through the
 * stock libibverbs and the sodp provider.  Exit 0 on success.
 *
 *   basic       open, query device/port/GIDs, allocate and free PDs, and
 *               check that verbs sodp does not implement yet say so
 *   bad-udata   a raw ALLOC_PD command with non-zero driver data is refused
 *   port-events wait for PORT_ERR then PORT_ACTIVE (the caller toggles the
 *               carrier after this prints "ready")
 *   hold        keep a context and a PD open until the device is removed:
 *               expects IBV_EVENT_DEVICE_FATAL, then closes cleanly
 *   pd-cycle N  allocate and free N PDs
 */
#include <arpa/inet.h>
#include <poll.h>
#include <unistd.h>
#include <infiniband/verbs.h>
#include <rdma/ib_user_verbs.h>

#include "check.h"

static struct ibv_context *open_dev(const char *name)
{
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	int i, n;

	list = ibv_get_device_list(&n);
	CHECK(list, "ibv_get_device_list");
	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	CHECK(ctx, "open %s", name);
	return ctx;
}

static void check_basic(struct ibv_context *ctx)
{
	struct ibv_device_attr_ex dattr;
	struct ibv_port_attr pattr;
	union ibv_gid gid;
	struct ibv_pd *pd[8];
	struct ibv_cq *cq;
	int i, v4_gid = 0;

	CHECK_EQ(ibv_query_device_ex(ctx, NULL, &dattr), 0);
	CHECK_EQ(dattr.orig_attr.phys_port_cnt, 1);
	CHECK_EQ(dattr.orig_attr.vendor_id, 0xffffff);
	CHECK(dattr.orig_attr.node_guid != 0, "node GUID is zero");
	CHECK(dattr.orig_attr.max_pd >= 1024, "max_pd %d", dattr.orig_attr.max_pd);
	CHECK(dattr.orig_attr.max_qp >= 1024, "max_qp %d", dattr.orig_attr.max_qp);
	CHECK(dattr.orig_attr.max_cq >= 1024, "max_cq %d", dattr.orig_attr.max_cq);
	CHECK(dattr.orig_attr.max_mr >= 1024, "max_mr %d", dattr.orig_attr.max_mr);
	CHECK(dattr.orig_attr.max_qp_wr >= 4096, "max_qp_wr %d",
	      dattr.orig_attr.max_qp_wr);
	CHECK(dattr.orig_attr.atomic_cap != IBV_ATOMIC_NONE, "no atomics");
	/* SRQs, UD address handles, multicast: the limits sodp enforces. */
	CHECK_EQ(dattr.orig_attr.max_srq, 16384);
	CHECK_EQ(dattr.orig_attr.max_srq_wr, 16384);
	CHECK_EQ(dattr.orig_attr.max_srq_sge, 32);
	CHECK_EQ(dattr.orig_attr.max_ah, 65536);
	CHECK_EQ(dattr.orig_attr.max_mcast_grp, 8192);
	CHECK_EQ(dattr.orig_attr.max_mcast_qp_attach, 56);
	CHECK_EQ(dattr.orig_attr.max_total_mcast_qp_attach, 8192 * 56);

	CHECK_EQ(ibv_query_port(ctx, 1, &pattr), 0);
	CHECK_EQ(pattr.state, IBV_PORT_ACTIVE);
	CHECK_EQ(pattr.link_layer, IBV_LINK_LAYER_ETHERNET);
	CHECK_EQ(pattr.max_mtu, IBV_MTU_4096);
	CHECK_EQ(pattr.active_mtu, IBV_MTU_1024);	/* 1500-byte netdev */
	CHECK(pattr.gid_tbl_len >= 16, "gid_tbl_len %d", pattr.gid_tbl_len);
	CHECK_EQ(ibv_query_port(ctx, 2, &pattr) != 0, 1);

	/* The core derives RoCEv2 GIDs from veth0's addresses. */
	for (i = 0; i < 8; i++) {
		if (ibv_query_gid(ctx, 1, i, &gid))
			continue;
		if (!memcmp(gid.raw, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\x09\x00\x01", 16))
			v4_gid = 1;
	}
	CHECK(v4_gid, "no ::ffff:10.9.0.1 GID");

	for (i = 0; i < 8; i++) {
		pd[i] = ibv_alloc_pd(ctx);
		CHECK(pd[i], "alloc_pd %d", i);
	}
	for (i = 0; i < 8; i++)
		CHECK_EQ(ibv_dealloc_pd(pd[i]), 0);

	/* CQ limits: zero and too many entries are refused cleanly. */
	errno = 0;
	cq = ibv_create_cq(ctx, 0, NULL, NULL, 0);
	CHECK(!cq && errno == EINVAL, "create_cq(0): %p errno %d", cq, errno);
	cq = ibv_create_cq(ctx, dattr.orig_attr.max_cqe + 1, NULL, NULL, 0);
	CHECK(!cq && errno == EINVAL, "create_cq(max+1): %p errno %d", cq, errno);
	cq = ibv_create_cq(ctx, 16, NULL, NULL, 0);
	CHECK(cq, "create_cq(16)");
	CHECK(cq->cqe >= 16, "cqe %d", cq->cqe);
	CHECK_EQ(ibv_destroy_cq(cq), 0);
}

/* A legacy write() ALLOC_PD carrying non-zero driver data must be refused. */
static void check_bad_udata(struct ibv_context *ctx)
{
	struct {
		struct ib_uverbs_cmd_hdr hdr;
		struct ib_uverbs_alloc_pd cmd;
		__u64 junk[2];
	} req = {};
	struct ib_uverbs_alloc_pd_resp resp[4] = {};
	ssize_t ret;

	req.hdr.command = IB_USER_VERBS_CMD_ALLOC_PD;
	req.hdr.in_words = sizeof(req) / 4;
	req.hdr.out_words = sizeof(resp) / 4;
	req.cmd.response = (uintptr_t)resp;
	req.junk[0] = 0xdeadbeef;
	ret = write(ctx->cmd_fd, &req, sizeof(req));
	CHECK(ret < 0, "bad ALLOC_PD accepted");
	CHECK(errno == EINVAL || errno == EOPNOTSUPP, "bad ALLOC_PD errno");

	/* The same command without the junk works. */
	req.junk[0] = 0;
	ret = write(ctx->cmd_fd, &req, sizeof(req));
	CHECK(ret == sizeof(req), "clean ALLOC_PD");
}

static int wait_event(struct ibv_context *ctx, enum ibv_event_type want,
		      int timeout_ms)
{
	struct ibv_async_event ev;
	struct pollfd pfd = { .fd = ctx->async_fd, .events = POLLIN };

	for (;;) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -1;
		CHECK_EQ(ibv_get_async_event(ctx, &ev), 0);
		printf("event %s\n", ibv_event_type_str(ev.event_type));
		fflush(stdout);
		ibv_ack_async_event(&ev);
		if (ev.event_type == want)
			return 0;
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "basic";
	const char *dev = getenv("SODP_DEV") ? getenv("SODP_DEV") : "sodp0";
	struct ibv_context *ctx = open_dev(dev);
	struct ibv_pd *pd;
	int i, n;

	if (!strcmp(mode, "basic")) {
		check_basic(ctx);
	} else if (!strcmp(mode, "bad-udata")) {
		check_bad_udata(ctx);
	} else if (!strcmp(mode, "port-events")) {
		printf("ready\n");
		fflush(stdout);
		CHECK_EQ(wait_event(ctx, IBV_EVENT_PORT_ERR, 20000), 0);
		CHECK_EQ(wait_event(ctx, IBV_EVENT_PORT_ACTIVE, 20000), 0);
	} else if (!strcmp(mode, "hold")) {
		pd = ibv_alloc_pd(ctx);
		CHECK(pd, "alloc_pd");
		printf("ready\n");
		fflush(stdout);
		CHECK_EQ(wait_event(ctx, IBV_EVENT_DEVICE_FATAL, 60000), 0);
		/* The kernel objects are gone; user-space teardown still works. */
		ibv_dealloc_pd(pd);
	} else if (!strcmp(mode, "pd-cycle")) {
		n = argc > 2 ? atoi(argv[2]) : 100;
		for (i = 0; i < n; i++) {
			pd = ibv_alloc_pd(ctx);
			CHECK(pd, "alloc_pd %d", i);
			CHECK_EQ(ibv_dealloc_pd(pd), 0);
		}
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	CHECK_EQ(ibv_close_device(ctx), 0);
	printf("%s: ok\n", mode);
	return 0;
}
