// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Helpers for rc_ops; see rc_common.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "rc_common.h"

struct rc_opts rc_opts = {
	.timeout_ms = 10000,
	.hard_limit_s = 120,
	.mr_force = { -1, -1 },
};

const char *const rc_mr_kind_name[RC_MR_NKINDS] = {
	[RC_MR_PINNED] = "pinned",
	[RC_MR_ODP] = "odp",
	[RC_MR_IMPLICIT] = "implicit",
};

int rc_mr_kind_parse(const char *name)
{
	int k;

	for (k = 0; k < RC_MR_NKINDS; k++)
		if (!strcmp(name, rc_mr_kind_name[k]))
			return k;
	return -1;
}
const char *rc_test_name = "?";
static int result_fd = -1;

void rc_set_result_fd(int fd)
{
	result_fd = fd;
}

/* The reason goes to the parent through result_fd ("F..." or "S..."). */
static void report(char kind, const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	buf[0] = kind;
	n = 1 + snprintf(buf + 1, sizeof(buf) - 1, "%s", prefix);
	if (n < (int)sizeof(buf))
		vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	fflush(stdout);
	if (result_fd >= 0) {
		if (write(result_fd, buf, strlen(buf)) < 0)
			perror("write result");
		/* the verdict is in: EOF tells the parent, even if exit hangs */
		close(result_fd);
		result_fd = -1;
	} else {
		fprintf(stderr, "%s: %s\n", kind == 'S' ? "skip" : "FAIL",
			buf + 1);
	}
}

void rc_fail_at(const char *file, int line, const char *fmt, ...)
{
	char where[128];
	va_list ap;

	snprintf(where, sizeof(where), "[%s:%d] ", file, line);
	va_start(ap, fmt);
	report('F', where, fmt, ap);
	va_end(ap);
	exit(1);
}

void rc_skip(const char *why, const char *fmt, ...)
{
	char prefix[256];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "%s: ", why);
	va_start(ap, fmt);
	report('S', prefix, fmt, ap);
	va_end(ap);
	exit(0);
}

void rc_note(const char *fmt, ...)
{
	va_list ap;

	printf("# %s: ", rc_test_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

uint64_t rc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rc_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- devices ---- */

bool rc_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok;
}

static bool gid_is_v4_mapped(const union ibv_gid *g)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					    0xff, 0xff };

	return !memcmp(g->raw, prefix, sizeof(prefix));
}

/* The devices' contexts, for rc_pd_kind() of PDs no endpoint owns. */
static struct ibv_context *env_ctx[2];

static struct rc_dev *dev_open(const char *name)
{
	struct ibv_device **list;
	struct rc_dev *d;
	char path[256], type[64], addr[INET6_ADDRSTRLEN];
	const char *family = rc_opts.ipv6 ? "IPv6" : "IPv4";
	int i, n;

	d = calloc(1, sizeof(*d));
	T_CHECK(d, "out of memory");
	snprintf(d->name, sizeof(d->name), "%s", name);
	list = ibv_get_device_list(&n);
	T_CHECK(list, "ibv_get_device_list: %s", strerror(errno));
	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			d->ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	T_CHECK(d->ctx, "cannot open device %s: %s", name, strerror(errno));
	T_OK(ibv_query_device_ex(d->ctx, NULL, &d->attr));
	T_OK(ibv_query_port(d->ctx, 1, &d->port));
	T_CHECK(d->port.state == IBV_PORT_ACTIVE, "%s port 1 is not ACTIVE",
		name);

	/*
	 * The RoCEv2 GID that carries the netdev's IPv4 address, or with
	 * --ipv6 its first IPv6 address that is not link-local.
	 */
	d->gid_index = -1;
	for (i = 0; i < d->port.gid_tbl_len && i < 256; i++) {
		snprintf(path, sizeof(path),
			 "/sys/class/infiniband/%s/ports/1/gid_attrs/types/%d",
			 name, i);
		if (!rc_read_line(path, type, sizeof(type)) ||
		    strcmp(type, "RoCE v2"))
			continue;
		if (ibv_query_gid(d->ctx, 1, i, &d->gid) ||
		    gid_is_v4_mapped(&d->gid) != !rc_opts.ipv6 ||
		    (d->gid.raw[0] == 0xfe && (d->gid.raw[1] & 0xc0) == 0x80))
			continue;
		d->gid_index = i;
		break;
	}
	T_CHECK(d->gid_index >= 0, "%s has no RoCE v2 %s GID", name, family);
	if (rc_opts.verbose)
		rc_note("%s: GID %d %s, active MTU %d", name, d->gid_index,
			inet_ntop(AF_INET6, d->gid.raw, addr, sizeof(addr)),
			rc_mtu_bytes(d->port.active_mtu));
	return d;
}

void rc_env_open(struct rc_env *env)
{
	env->dev[0] = dev_open(rc_opts.dev[0]);
	env->dev[1] = rc_opts.dev[1] ? dev_open(rc_opts.dev[1]) : env->dev[0];
	env_ctx[0] = env->dev[0]->ctx;
	env_ctx[1] = env->dev[1]->ctx;
}

void rc_env_close(struct rc_env *env)
{
	if (env->dev[1] != env->dev[0]) {
		T_OK(ibv_close_device(env->dev[1]->ctx));
		free(env->dev[1]);
	}
	T_OK(ibv_close_device(env->dev[0]->ctx));
	free(env->dev[0]);
	env->dev[0] = env->dev[1] = NULL;
}

int rc_mtu_bytes(enum ibv_mtu mtu)
{
	return 128 << mtu;	/* IBV_MTU_256 == 1 */
}

/* ---- QP pairs ---- */

void rc_cfg_default(struct rc_cfg *cfg)
{
	*cfg = (struct rc_cfg){
		.max_send_wr = 64,
		.max_recv_wr = 64,
		.max_send_sge = 4,
		.max_recv_sge = 4,
		.cqe = 256,
		.timeout = 18,		/* 4.096 us * 2^18 = 1.07 s */
		.retry_cnt = 7,
		.rnr_retry = 7,		/* retry forever */
		.min_rnr_timer = 12,	/* 0.64 ms */
		.psn_a = 0x1a2b3c,
		.psn_b = 0x0c0ffe,
		.access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			  IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC,
	};
}

static uint8_t rd_atomic(const struct rc_pair *p, const struct rc_ep *e)
{
	int max = e->dev->attr.orig_attr.max_qp_rd_atom;

	if (e->dev->attr.orig_attr.max_qp_init_rd_atom < max)
		max = e->dev->attr.orig_attr.max_qp_init_rd_atom;
	if (p->cfg.max_rd_atomic && p->cfg.max_rd_atomic < max)
		max = p->cfg.max_rd_atomic;
	return max > 16 ? 16 : max;
}

/*
 * Which side each endpoint PD belongs to, for rc_pd_kind(): A and B may be
 * on one device (loopback), so the device alone does not tell.
 */
static struct {
	struct ibv_pd *pd;
	int side;
} pd_sides[64];

static void pd_side_set(struct ibv_pd *pd, int side)
{
	const unsigned int n = sizeof(pd_sides) / sizeof(pd_sides[0]);
	unsigned int i, slot = n;

	for (i = 0; i < n; i++) {
		if (pd_sides[i].pd == pd) {
			slot = i;
			break;
		}
		if (!pd_sides[i].pd && slot == n)
			slot = i;
	}
	if (side < 0) {
		if (slot < n && pd_sides[slot].pd == pd)
			pd_sides[slot].pd = NULL;
		return;
	}
	T_CHECK(slot < n, "more than %u QP endpoints at once", n);
	pd_sides[slot].pd = pd;
	pd_sides[slot].side = side;
}

enum rc_mr_kind rc_pd_kind(struct ibv_pd *pd)
{
	unsigned int i;
	int side = -1;

	for (i = 0; i < sizeof(pd_sides) / sizeof(pd_sides[0]); i++)
		if (pd_sides[i].pd == pd)
			side = pd_sides[i].side;
	/* another PD a test made itself: its device says the side */
	if (side < 0)
		side = pd->context == env_ctx[1] && env_ctx[1] != env_ctx[0];
	return rc_opts.mr_force[side] >= 0 ? rc_opts.mr_force[side] :
	       rc_opts.mr_kind;
}

struct ibv_mr *rc_reg(struct ibv_pd *pd, void *p, size_t len, int access)
{
	switch (rc_pd_kind(pd)) {
	case RC_MR_ODP:
		return ibv_reg_mr(pd, p, len, access | IBV_ACCESS_ON_DEMAND);
	case RC_MR_IMPLICIT:
		return ibv_reg_mr(pd, NULL, SIZE_MAX,
				  access | IBV_ACCESS_ON_DEMAND);
	default:
		return ibv_reg_mr(pd, p, len, access);
	}
}

static void ep_create(struct rc_pair *p, struct rc_ep *e, struct rc_dev *dev,
		      const char *name)
{
	const struct rc_cfg *cfg = &p->cfg;
	struct ibv_context *ctx = dev->ctx;
	struct ibv_qp_init_attr_ex ia = {};
	uint32_t max_sge = dev->attr.orig_attr.max_sge;

	e->name = name;
	e->dev = dev;
	e->pd = ibv_alloc_pd(ctx);
	T_CHECK(e->pd, "%s: ibv_alloc_pd: %s", name, strerror(errno));
	pd_side_set(e->pd, name[0] == 'B');
	if (cfg->channel) {
		e->ch = ibv_create_comp_channel(ctx);
		T_CHECK(e->ch, "%s: ibv_create_comp_channel: %s", name,
			strerror(errno));
	}
	if (cfg->cq_ex) {
		struct ibv_cq_init_attr_ex ca = {
			.cqe = cfg->cqe,
			.channel = e->ch,
			.wc_flags = IBV_WC_EX_WITH_BYTE_LEN |
				    IBV_WC_EX_WITH_IMM |
				    IBV_WC_EX_WITH_QP_NUM |
				    IBV_WC_EX_WITH_SRC_QP,
		};

		e->scqx = ibv_create_cq_ex(ctx, &ca);
		T_CHECK(e->scqx, "%s: ibv_create_cq_ex: %s", name,
			strerror(errno));
		e->rcqx = ibv_create_cq_ex(ctx, &ca);
		T_CHECK(e->rcqx, "%s: ibv_create_cq_ex: %s", name,
			strerror(errno));
		e->scq = ibv_cq_ex_to_cq(e->scqx);
		e->rcq = ibv_cq_ex_to_cq(e->rcqx);
	} else {
		e->scq = ibv_create_cq(ctx, cfg->cqe, e, e->ch, 0);
		T_CHECK(e->scq, "%s: ibv_create_cq(%d): %s", name, cfg->cqe,
			strerror(errno));
		e->rcq = ibv_create_cq(ctx, cfg->cqe, e, e->ch, 0);
		T_CHECK(e->rcq, "%s: ibv_create_cq(%d): %s", name, cfg->cqe,
			strerror(errno));
	}
	T_CHECK(e->scq->cqe >= cfg->cqe, "%s: CQ has %d entries, asked %d",
		name, e->scq->cqe, cfg->cqe);

	ia.qp_context = e;
	ia.send_cq = e->scq;
	ia.recv_cq = e->rcq;
	ia.qp_type = cfg->uc ? IBV_QPT_UC : IBV_QPT_RC;
	ia.sq_sig_all = cfg->sq_sig_all;
	ia.cap.max_send_wr = cfg->max_send_wr;
	ia.cap.max_recv_wr = cfg->max_recv_wr;
	ia.cap.max_send_sge = cfg->max_send_sge ? cfg->max_send_sge : max_sge;
	ia.cap.max_recv_sge = cfg->max_recv_sge ? cfg->max_recv_sge : max_sge;
	ia.cap.max_inline_data = cfg->max_inline;
	if (cfg->srq_b && name[0] == 'B') {
		struct ibv_srq_init_attr sa = {
			.attr = {
				.max_wr = cfg->max_recv_wr,
				.max_sge = ia.cap.max_recv_sge,
			},
		};

		e->srq = ibv_create_srq(e->pd, &sa);
		T_CHECK(e->srq, "%s: ibv_create_srq(%u, %u): %s", name,
			sa.attr.max_wr, sa.attr.max_sge, strerror(errno));
		ia.srq = e->srq;
		ia.cap.max_recv_wr = 0;
		ia.cap.max_recv_sge = 0;
	}
	if (cfg->ext) {
		ia.comp_mask = IBV_QP_INIT_ATTR_PD |
			       IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
		ia.pd = e->pd;
		ia.send_ops_flags = IBV_QP_EX_WITH_SEND |
				    IBV_QP_EX_WITH_SEND_WITH_IMM |
				    IBV_QP_EX_WITH_RDMA_WRITE |
				    IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM;
		if (!cfg->uc)
			ia.send_ops_flags |=
				IBV_QP_EX_WITH_RDMA_READ |
				IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP |
				IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD;
		if (cfg->ext_aw_flush)
			ia.send_ops_flags |= IBV_QP_EX_WITH_ATOMIC_WRITE |
					     IBV_QP_EX_WITH_FLUSH;
		e->qp = ibv_create_qp_ex(ctx, &ia);
		T_CHECK(e->qp, "%s: ibv_create_qp_ex: %s", name,
			strerror(errno));
		e->qpx = ibv_qp_to_qp_ex(e->qp);
		T_CHECK(e->qpx, "%s: ibv_qp_to_qp_ex", name);
	} else {
		struct ibv_qp_init_attr ia1 = {
			.qp_context = ia.qp_context,
			.send_cq = ia.send_cq,
			.recv_cq = ia.recv_cq,
			.srq = ia.srq,
			.cap = ia.cap,
			.qp_type = ia.qp_type,
			.sq_sig_all = ia.sq_sig_all,
		};

		e->qp = ibv_create_qp(e->pd, &ia1);
		T_CHECK(e->qp, "%s: ibv_create_qp(wr %u/%u sge %u/%u inline %u): %s",
			name, ia1.cap.max_send_wr, ia1.cap.max_recv_wr,
			ia1.cap.max_send_sge, ia1.cap.max_recv_sge,
			ia1.cap.max_inline_data, strerror(errno));
		ia.cap = ia1.cap;
	}
	/* The granted capabilities are at least what was asked for. */
	T_CHECK(ia.cap.max_send_wr >= cfg->max_send_wr &&
		(e->srq || ia.cap.max_recv_wr >= cfg->max_recv_wr) &&
		ia.cap.max_send_sge >= (cfg->max_send_sge ?: max_sge) &&
		(e->srq || ia.cap.max_recv_sge >= (cfg->max_recv_sge ?:
						   max_sge)) &&
		ia.cap.max_inline_data >= cfg->max_inline,
		"%s: granted caps wr %u/%u sge %u/%u inline %u below request",
		name, ia.cap.max_send_wr, ia.cap.max_recv_wr,
		ia.cap.max_send_sge, ia.cap.max_recv_sge,
		ia.cap.max_inline_data);
	e->cap = ia.cap;
	T_EQ(rc_qp_state(e->qp), IBV_QPS_RESET, "state of a new QP");
}

void rc_pair_create(struct rc_pair *p, struct rc_env *env,
		    const struct rc_cfg *cfg)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	p->mtu = env->dev[0]->port.active_mtu;
	if (env->dev[1]->port.active_mtu < p->mtu)
		p->mtu = env->dev[1]->port.active_mtu;
	/* --mtu: a smaller path MTU than the ports', never a larger one. */
	while (rc_opts.path_mtu && rc_mtu_bytes(p->mtu) > rc_opts.path_mtu &&
	       p->mtu > IBV_MTU_256)
		p->mtu--;
	p->mtu_bytes = rc_mtu_bytes(p->mtu);
	ep_create(p, &p->a, env->dev[0], "A");
	ep_create(p, &p->b, env->dev[1], "B");
	p->a.sq_psn = cfg->psn_a;
	p->b.sq_psn = cfg->psn_b;
	if (!cfg->no_connect)
		rc_pair_connect(p);
}

void rc_qp_to_init(struct rc_ep *e, unsigned int access)
{
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_INIT,
		.pkey_index = 0,
		.port_num = 1,
		.qp_access_flags = access,
	};

	T_OK(ibv_modify_qp(e->qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			   IBV_QP_PORT | IBV_QP_ACCESS_FLAGS));
}

void rc_rtr_attr(struct rc_ep *e, const struct rc_ep *peer,
		 const struct rc_pair *p, struct ibv_qp_attr *attr, int *mask)
{
	memset(attr, 0, sizeof(*attr));
	attr->qp_state = IBV_QPS_RTR;
	attr->path_mtu = p->mtu;
	attr->dest_qp_num = peer->qp->qp_num;
	attr->rq_psn = peer->sq_psn;
	attr->max_dest_rd_atomic = rd_atomic(p, e);
	attr->min_rnr_timer = p->cfg.min_rnr_timer;
	attr->ah_attr.is_global = 1;
	attr->ah_attr.grh.dgid = peer->dev->gid;
	attr->ah_attr.grh.sgid_index = e->dev->gid_index;
	attr->ah_attr.grh.hop_limit = 64;
	attr->ah_attr.port_num = 1;
	*mask = IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
		IBV_QP_RQ_PSN;
	if (!p->cfg.uc)
		*mask |= IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
}

void rc_rts_attr(struct rc_ep *e, const struct rc_pair *p,
		 struct ibv_qp_attr *attr, int *mask)
{
	memset(attr, 0, sizeof(*attr));
	attr->qp_state = IBV_QPS_RTS;
	attr->sq_psn = e->sq_psn;
	attr->timeout = p->cfg.timeout;
	attr->retry_cnt = p->cfg.retry_cnt;
	attr->rnr_retry = p->cfg.rnr_retry;
	attr->max_rd_atomic = rd_atomic(p, e);
	*mask = IBV_QP_STATE | IBV_QP_SQ_PSN;
	if (!p->cfg.uc)
		*mask |= IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			 IBV_QP_MAX_QP_RD_ATOMIC;
}

void rc_qp_to_rtr(struct rc_ep *e, const struct rc_ep *peer,
		  const struct rc_pair *p)
{
	struct ibv_qp_attr attr;
	int mask;

	rc_rtr_attr(e, peer, p, &attr, &mask);
	T_OK(ibv_modify_qp(e->qp, &attr, mask));
}

void rc_qp_to_rts(struct rc_ep *e, const struct rc_pair *p)
{
	struct ibv_qp_attr attr;
	int mask;

	rc_rts_attr(e, p, &attr, &mask);
	T_OK(ibv_modify_qp(e->qp, &attr, mask));
}

void rc_pair_connect(struct rc_pair *p)
{
	rc_qp_to_init(&p->a, p->cfg.access);
	rc_qp_to_init(&p->b, p->cfg.access);
	rc_qp_to_rtr(&p->a, &p->b, p);
	rc_qp_to_rtr(&p->b, &p->a, p);
	rc_qp_to_rts(&p->a, p);
	rc_qp_to_rts(&p->b, p);
}

static void ep_destroy(struct rc_ep *e)
{
	if (e->qp)
		T_OK(ibv_destroy_qp(e->qp));
	if (e->srq)
		T_OK(ibv_destroy_srq(e->srq));
	if (e->scq)
		T_OK(ibv_destroy_cq(e->scq));
	if (e->rcq)
		T_OK(ibv_destroy_cq(e->rcq));
	if (e->ch)
		T_OK(ibv_destroy_comp_channel(e->ch));
	if (e->pd) {
		pd_side_set(e->pd, -1);
		T_OK(ibv_dealloc_pd(e->pd));
	}
	memset(e, 0, sizeof(*e));
}

void rc_pair_destroy(struct rc_pair *p)
{
	/* QPs first: a CQ cannot go while a QP uses it. */
	if (p->a.qp)
		T_OK(ibv_destroy_qp(p->a.qp));
	if (p->b.qp)
		T_OK(ibv_destroy_qp(p->b.qp));
	p->a.qp = p->b.qp = NULL;
	ep_destroy(&p->a);
	ep_destroy(&p->b);
}

enum ibv_qp_state rc_qp_state(struct ibv_qp *qp)
{
	struct ibv_qp_attr attr;
	struct ibv_qp_init_attr ia;

	T_OK(ibv_query_qp(qp, &attr, IBV_QP_STATE, &ia));
	return attr.qp_state;
}

bool rc_wait_qp_state(struct ibv_qp *qp, enum ibv_qp_state state, int ms)
{
	uint64_t end = rc_now_ms() + ms;

	do {
		if (rc_qp_state(qp) == state)
			return true;
		rc_sleep_ms(5);
	} while (rc_now_ms() < end);
	return rc_qp_state(qp) == state;
}

/* ---- buffers ---- */

uint8_t rc_pat(uint32_t seed, size_t i)
{
	/* Not periodic in powers of two, so misplaced pages/packets show. */
	uint32_t x = (uint32_t)i * 0x9e3779b1u ^ (seed * 0x85ebca6bu) ^
		     (uint32_t)(i >> 32);

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return x >> 24;
}

void rc_buf_alloc(struct rc_buf *b, const char *name, struct ibv_pd *pd,
		  size_t len, int access)
{
	static uint32_t seed = 0x5eed;

	memset(b, 0, sizeof(*b));
	b->name = name;
	b->len = len;
	seed += 7919;	/* every buffer its own pattern */
	T_CHECK(!posix_memalign((void **)&b->p, 4096, len) &&
		!posix_memalign((void **)&b->exp, 4096, len),
		"%s: cannot allocate %zu bytes", name, len);
	rc_buf_fill(b, seed);
	if (access >= 0) {
		b->mr = rc_reg(pd, b->p, len, access);
		T_CHECK(b->mr, "%s: ibv_reg_mr(%zu, 0x%x) %s: %s", name, len,
			access, rc_mr_kind_name[rc_pd_kind(pd)],
			strerror(errno));
	}
}

void rc_buf_alloc_fenced(struct rc_buf *b, const char *name,
			 struct ibv_pd *pd, size_t len, int access)
{
	const size_t page = 4096;
	uint8_t *m;

	T_CHECK(len && !(len % page), "%s: fenced length %zu", name, len);
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->len = len;
	m = mmap(NULL, len + 2 * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_CHECK(m != MAP_FAILED, "%s: mmap: %s", name, strerror(errno));
	T_CHECK(!munmap(m, page) && !munmap(m + page + len, page),
		"%s: munmap: %s", name, strerror(errno));
	b->p = m + page;
	b->map_len = len;
	T_CHECK(!posix_memalign((void **)&b->exp, page, len),
		"%s: cannot allocate %zu bytes", name, len);
	rc_buf_fill(b, 0xfe9ce);
	if (access >= 0) {
		b->mr = rc_reg(pd, b->p, len, access);
		T_CHECK(b->mr, "%s: ibv_reg_mr(%zu, 0x%x) %s: %s", name, len,
			access, rc_mr_kind_name[rc_pd_kind(pd)],
			strerror(errno));
	}
}

void rc_buf_free(struct rc_buf *b)
{
	if (b->mr)
		T_OK(ibv_dereg_mr(b->mr));
	if (b->map_len)
		munmap(b->p, b->map_len);
	else
		free(b->p);
	free(b->exp);
	memset(b, 0, sizeof(*b));
}

void rc_buf_fill(struct rc_buf *b, uint32_t seed)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		b->p[i] = rc_pat(seed, i);
	memcpy(b->exp, b->p, b->len);
}

void rc_buf_expect(struct rc_buf *b, size_t off, const void *src, size_t len)
{
	T_CHECK(off + len <= b->len, "%s: expect past the end", b->name);
	memcpy(b->exp + off, src, len);
}

void rc_buf_verify(const struct rc_buf *b)
{
	size_t i, first = 0, last = 0, n = 0;

	if (!memcmp(b->p, b->exp, b->len))
		return;
	for (i = 0; i < b->len; i++) {
		if (b->p[i] == b->exp[i])
			continue;
		if (!n++)
			first = i;
		last = i;
	}
	rc_fail("%s: %zu of %zu bytes wrong, offsets %zu..%zu; at %zu: 0x%02x, "
		"expected 0x%02x", b->name, n, b->len, first, last, first,
		b->p[first], b->exp[first]);
}

struct ibv_sge rc_sge(const struct rc_buf *b, size_t off, uint32_t len)
{
	return (struct ibv_sge){
		.addr = (uintptr_t)b->p + off,
		.length = len,
		.lkey = b->mr ? b->mr->lkey : 0,
	};
}

uint64_t rc_addr(const struct rc_buf *b, size_t off)
{
	return (uintptr_t)b->p + off;
}

/* ---- posting ---- */

void rc_wr(struct ibv_send_wr *wr, struct ibv_sge *sg, int nsge,
	   uint64_t wr_id, enum ibv_wr_opcode op, unsigned int flags)
{
	memset(wr, 0, sizeof(*wr));
	wr->wr_id = wr_id;
	wr->sg_list = sg;
	wr->num_sge = nsge;
	wr->opcode = op;
	wr->send_flags = flags;
}

void rc_post_send(struct rc_ep *e, struct ibv_send_wr *wr)
{
	struct ibv_send_wr *bad = NULL;
	int ret = ibv_post_send(e->qp, wr, &bad);

	T_CHECK(!ret, "%s: ibv_post_send(wr_id 0x%llx): %s (bad_wr wr_id 0x%llx)",
		e->name, (unsigned long long)wr->wr_id,
		strerror(ret > 0 ? ret : errno),
		bad ? (unsigned long long)bad->wr_id : 0ULL);
}

void rc_post_recv(struct rc_ep *e, uint64_t wr_id, struct ibv_sge *sg,
		  int nsge)
{
	struct ibv_recv_wr wr = {
		.wr_id = wr_id, .sg_list = sg, .num_sge = nsge,
	}, *bad;
	int ret = ibv_post_recv(e->qp, &wr, &bad);

	T_CHECK(!ret, "%s: ibv_post_recv(wr_id 0x%llx): %s", e->name,
		(unsigned long long)wr_id, strerror(ret > 0 ? ret : errno));
}

/* ---- completions ---- */

static const char *wc_str(const struct ibv_wc *wc)
{
	static char buf[256];

	snprintf(buf, sizeof(buf),
		 "{wr_id 0x%llx status %d (%s) opcode %d byte_len %u qp 0x%x "
		 "flags 0x%x imm 0x%x}", (unsigned long long)wc->wr_id,
		 wc->status, ibv_wc_status_str(wc->status), wc->opcode,
		 wc->byte_len, wc->qp_num, wc->wc_flags, ntohl(wc->imm_data));
	return buf;
}

/*
 * A stall (or a QP that died of it) is best explained while the QPs
 * still exist: RC_STALL_CMD, if set, is run (sh -c) before the test
 * fails, e.g. to dump the devices' QPs and counters, the kernel stacks,
 * the trace buffer or the blocked tasks.
 */
void rc_stall_dump(const char *what)
{
	const char *cmd = getenv("RC_STALL_CMD");

	if (!cmd || !*cmd)
		return;
	rc_note("%s: running RC_STALL_CMD", what);
	fflush(stdout);
	if (system(cmd))
		rc_note("RC_STALL_CMD did not succeed");
}

void rc_poll(struct ibv_cq *cq, struct ibv_wc *wc, int n, const char *what)
{
	uint64_t end = rc_now_ms() + rc_opts.timeout_ms;
	int got = 0, spins = 0, r;

	while (got < n) {
		r = ibv_poll_cq(cq, n - got, wc + got);
		T_CHECK(r >= 0, "%s: ibv_poll_cq returned %d", what, r);
		got += r;
		if (r) {
			/* the limit is for one completion, not for all n */
			end = rc_now_ms() + rc_opts.timeout_ms;
			continue;
		}
		if (rc_now_ms() > end) {
			char why[160];

			snprintf(why, sizeof(why), "%s stalled", what);
			rc_stall_dump(why);
			rc_fail("%s: no completion for %d ms, with %d of %d "
				"in", what, rc_opts.timeout_ms, got, n);
		}
		if (++spins > 100)
			usleep(50);
	}
}

void rc_check_wc(const struct ibv_wc *wc, const struct rc_want *w,
		 const char *what)
{
	bool has_imm = wc->wc_flags & IBV_WC_WITH_IMM;

	T_CHECK(wc->status == w->status && wc->wr_id == w->wr_id,
		"%s: got %s, expected wr_id 0x%llx status %s", what, wc_str(wc),
		(unsigned long long)w->wr_id, ibv_wc_status_str(w->status));
	T_CHECK(wc->qp_num == w->qp_num, "%s: qp_num 0x%x, expected 0x%x in %s",
		what, wc->qp_num, w->qp_num, wc_str(wc));
	if (w->opcode != RC_ANY)
		T_CHECK(wc->opcode == w->opcode,
			"%s: opcode %d, expected %lld in %s", what, wc->opcode,
			w->opcode, wc_str(wc));
	if (w->byte_len != RC_ANY)
		T_CHECK(wc->byte_len == w->byte_len,
			"%s: byte_len %u, expected %lld in %s", what,
			wc->byte_len, w->byte_len, wc_str(wc));
	if (w->imm == 0)
		T_CHECK(!has_imm, "%s: IBV_WC_WITH_IMM set in %s", what,
			wc_str(wc));
	if (w->imm == 1) {
		T_CHECK(has_imm, "%s: IBV_WC_WITH_IMM missing in %s", what,
			wc_str(wc));
		T_CHECK(wc->imm_data == w->imm_data,
			"%s: imm_data 0x%x, expected 0x%x (network order "
			"0x%x) in %s", what, wc->imm_data, w->imm_data,
			ntohl(w->imm_data), wc_str(wc));
	}
}

void rc_expect(struct ibv_cq *cq, const struct rc_want *want,
	       const char *what)
{
	struct ibv_wc wc;

	rc_poll(cq, &wc, 1, what);
	rc_check_wc(&wc, want, what);
}

void rc_expect_none(struct ibv_cq *cq, int ms, const char *what)
{
	uint64_t end = rc_now_ms() + ms;
	struct ibv_wc wc;
	int r;

	do {
		r = ibv_poll_cq(cq, 1, &wc);
		T_CHECK(r >= 0, "%s: ibv_poll_cq returned %d", what, r);
		T_CHECK(r == 0, "%s: unexpected completion %s", what,
			wc_str(&wc));
		usleep(1000);
	} while (rc_now_ms() < end);
}

void rc_pair_quiet(struct rc_pair *p, int ms)
{
	rc_expect_none(p->a.scq, ms, "A send CQ (stray completion)");
	rc_expect_none(p->a.rcq, 0, "A recv CQ (stray completion)");
	rc_expect_none(p->b.scq, 0, "B send CQ (stray completion)");
	rc_expect_none(p->b.rcq, 0, "B recv CQ (stray completion)");
}

static void read_ex(struct ibv_cq_ex *cq, struct ibv_wc *wc)
{
	memset(wc, 0, sizeof(*wc));
	wc->wr_id = cq->wr_id;
	wc->status = cq->status;
	wc->opcode = ibv_wc_read_opcode(cq);
	wc->byte_len = ibv_wc_read_byte_len(cq);
	wc->wc_flags = ibv_wc_read_wc_flags(cq);
	if (wc->wc_flags & IBV_WC_WITH_IMM)
		wc->imm_data = ibv_wc_read_imm_data(cq);
	wc->qp_num = ibv_wc_read_qp_num(cq);
	wc->src_qp = ibv_wc_read_src_qp(cq);
}

void rc_poll_ex(struct ibv_cq_ex *cq, struct ibv_wc *wc, int n,
		const char *what)
{
	uint64_t end = rc_now_ms() + rc_opts.timeout_ms;
	struct ibv_poll_cq_attr attr = {};
	int got = 0, r;

	while (got < n) {
		r = ibv_start_poll(cq, &attr);
		if (r == ENOENT) {
			if (rc_now_ms() > end)
				rc_fail("%s: no completion for %d ms, with %d "
					"of %d in", what, rc_opts.timeout_ms,
					got, n);
			usleep(50);
			continue;
		}
		T_CHECK(!r, "%s: ibv_start_poll: %d", what, r);
		end = rc_now_ms() + rc_opts.timeout_ms;
		do {
			T_CHECK(got < n, "%s: more than %d completions", what,
				n);
			read_ex(cq, &wc[got++]);
			r = ibv_next_poll(cq);
		} while (!r);
		ibv_end_poll(cq);
		T_CHECK(r == ENOENT, "%s: ibv_next_poll: %d", what, r);
	}
}

struct rc_want rc_ok(const struct rc_ep *e, uint64_t wr_id,
		     enum ibv_wc_opcode op, long long byte_len)
{
	/*
	 * IBV_WC_WITH_IMM is defined for receive completions only (rxe and
	 * mlx5 also set it on the requester's completion of an _IMM WR).
	 */
	return (struct rc_want){
		.wr_id = wr_id, .status = IBV_WC_SUCCESS, .opcode = op,
		.byte_len = byte_len, .qp_num = e->qp->qp_num,
		.imm = op & IBV_WC_RECV ? 0 : -1,
	};
}

struct rc_want rc_err(const struct rc_ep *e, uint64_t wr_id,
		      enum ibv_wc_status status)
{
	/* Only status, wr_id and qp_num are defined for errors. */
	return (struct rc_want){
		.wr_id = wr_id, .status = status, .opcode = RC_ANY,
		.byte_len = RC_ANY, .qp_num = e->qp->qp_num, .imm = -1,
	};
}

void rc_healthy_transfer(struct rc_pair *p, const char *what)
{
	struct rc_buf sa, rb;
	struct ibv_send_wr wr;
	struct ibv_sge sg, rsg;
	struct rc_want w;
	uint32_t len = 3 * p->mtu_bytes + 5;
	char msg[128];

	snprintf(msg, sizeof(msg), "%s: healthy transfer", what);
	rc_buf_alloc(&sa, "healthy A buffer", p->a.pd, 2 * len, RC_ACCESS_ALL);
	rc_buf_alloc(&rb, "healthy B buffer", p->b.pd, 4 * len, RC_ACCESS_ALL);
	rc_buf_fill(&sa, 0xa1);
	rc_buf_fill(&rb, 0xb1);

	/* SEND A -> B */
	rsg = rc_sge(&rb, 1, len + 16);
	rc_post_recv(&p->b, 0x4e1, &rsg, 1);
	sg = rc_sge(&sa, 0, len);
	rc_wr(&wr, &sg, 1, 0x4e2, IBV_WR_SEND, IBV_SEND_SIGNALED);
	rc_post_send(&p->a, &wr);
	rc_expect(p->a.scq, (w = rc_ok(&p->a, 0x4e2, IBV_WC_SEND, RC_ANY), &w),
		  msg);
	rc_expect(p->b.rcq, (w = rc_ok(&p->b, 0x4e1, IBV_WC_RECV, len), &w),
		  msg);
	rc_buf_expect(&rb, 1, sa.p, len);

	/* WRITE A -> B */
	sg = rc_sge(&sa, 3, len);
	rc_wr(&wr, &sg, 1, 0x4e3, IBV_WR_RDMA_WRITE, IBV_SEND_SIGNALED);
	wr.wr.rdma.remote_addr = rc_addr(&rb, 2 * len);
	wr.wr.rdma.rkey = rb.mr->rkey;
	rc_post_send(&p->a, &wr);
	rc_expect(p->a.scq,
		  (w = rc_ok(&p->a, 0x4e3, IBV_WC_RDMA_WRITE, RC_ANY), &w), msg);
	rc_buf_expect(&rb, 2 * len, sa.p + 3, len);
	rc_buf_verify(&rb);

	/* READ B -> A */
	sg = rc_sge(&sa, len, len - 1);
	rc_wr(&wr, &sg, 1, 0x4e4, IBV_WR_RDMA_READ, IBV_SEND_SIGNALED);
	wr.wr.rdma.remote_addr = rc_addr(&rb, 7);
	wr.wr.rdma.rkey = rb.mr->rkey;
	rc_post_send(&p->a, &wr);
	rc_expect(p->a.scq,
		  (w = rc_ok(&p->a, 0x4e4, IBV_WC_RDMA_READ, len - 1), &w), msg);
	rc_buf_expect(&sa, len, rb.p + 7, len - 1);
	rc_buf_verify(&sa);
	rc_buf_verify(&rb);
	rc_buf_free(&sa);
	rc_buf_free(&rb);
}

/* ---- counters ---- */

long long rc_hw_counter(const char *dev, const char *name)
{
	char path[256], buf[64];

	/* the core caches hw counters for a few milliseconds */
	rc_sleep_ms(30);
	snprintf(path, sizeof(path),
		 "/sys/class/infiniband/%s/ports/1/hw_counters/%s", dev, name);
	T_CHECK(rc_read_line(path, buf, sizeof(buf)), "%s: %s", path,
		strerror(errno));
	return atoll(buf);
}

bool rc_odp_exclusive(void)
{
	static const char path[] = "/sys/module/sodp/parameters/odp_exclusive";
	char buf[8];

	T_CHECK(rc_read_line(path, buf, sizeof(buf)), "%s: %s", path,
		strerror(errno));
	T_CHECK(!strcmp(buf, "Y") || !strcmp(buf, "N"), "%s reads '%s'",
		path, buf);
	return buf[0] == 'Y';
}

/* Find the object on @dev holding @key in `rdma -dd -j resource show @res`. */
static void rc_restrack(const char *res, const char *dev, const char *key,
			char *obj, size_t len)
{
	static char out[1 << 20];
	const char *p, *q;
	char ifname[96];
	size_t n = 0, r;
	char cmd[96];
	int st;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "rdma -dd -j resource show %s 2>&1", res);
	f = popen(cmd, "r");
	T_CHECK(f, "popen(rdma): %s", strerror(errno));
	while (n < sizeof(out) - 1 &&
	       (r = fread(out + n, 1, sizeof(out) - 1 - n, f)) > 0)
		n += r;
	out[n] = 0;
	st = pclose(f);
	T_CHECK(st == 0, "%s: status 0x%x: %.300s", cmd, st, out);
	snprintf(ifname, sizeof(ifname), "\"ifname\":\"%s\"", dev);
	for (p = strchr(out, '{'); p; p = strchr(q, '{')) {
		bool in_str = false;

		/* the closing brace, outside strings (comm may hold one) */
		for (q = p + 1; *q && (in_str || *q != '}'); q++) {
			if (in_str && *q == '\\' && q[1])
				q++;
			else if (*q == '"')
				in_str = !in_str;
		}
		T_CHECK(*q, "rdma printed an unterminated object: %.300s", p);
		if ((size_t)(q - p) + 2 > len)
			continue;
		memcpy(obj, p, q - p + 1);
		obj[q - p + 1] = 0;
		if (strstr(obj, key) && strstr(obj, ifname))
			return;
	}
	rc_fail("%s of %s not in `rdma -dd -j resource show %s`: %.500s",
		key, dev, res, out);
}

void rc_mr_restrack(const char *dev, uint32_t lkey, char *obj, size_t len)
{
	char key[64];

	snprintf(key, sizeof(key), "\"lkey\":\"%x\"", lkey);
	rc_restrack("mr", dev, key, obj, len);
}

void rc_qp_restrack(const char *dev, uint32_t qpn, char *obj, size_t len)
{
	char key[64];

	snprintf(key, sizeof(key), "\"lqpn\":%u,", qpn);
	rc_restrack("qp", dev, key, obj, len);
}

long long rc_res_field(const char *obj, const char *name)
{
	char key[96];
	const char *p;

	snprintf(key, sizeof(key), "\"drv_%s\":", name);
	p = strstr(obj, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}
