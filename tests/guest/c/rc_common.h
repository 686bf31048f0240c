/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Helpers for rc_ops: open RoCEv2 devices, build connected RC QP pairs
 * (loopback on one device, or across two), registered buffers with an
 * "expected image" for byte-exact checks, posting and polling with
 * timeouts, and completion checks.  Every helper fails the current test
 * (rc_fail: prints the reason and exits the test's child process) instead
 * of returning an error.
 */
#ifndef SODP_RC_COMMON_H
#define SODP_RC_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <infiniband/verbs.h>

/*
 * How rc_buf_alloc() and rc_reg() register memory: pinned; explicit ODP
 * (IBV_ACCESS_ON_DEMAND over the buffer); implicit ODP (one MR over the
 * whole address space, ibv_reg_mr(pd, NULL, SIZE_MAX, ON_DEMAND | ...),
 * registered per buffer so that each buffer still has its own key).
 */
enum rc_mr_kind { RC_MR_PINNED, RC_MR_ODP, RC_MR_IMPLICIT, RC_MR_NKINDS };
extern const char *const rc_mr_kind_name[RC_MR_NKINDS];
/* "pinned", "odp" or "implicit" to its kind; -1 if none. */
int rc_mr_kind_parse(const char *name);

struct rc_opts {
	const char *dev[2];	/* dev[1] == NULL: both QPs on dev[0] */
	int mr_kind;		/* enum rc_mr_kind of the running test */
	/*
	 * Per side (0: A's PDs, 1: B's PDs), a kind that overrides mr_kind
	 * for every test, or -1: rxe's ODP is no reference for data, so a
	 * run against rxe keeps rxe's side pinned.
	 */
	int mr_force[2];
	int timeout_ms;		/* longest wait for one completion */
	int hard_limit_s;	/* longest one test may take in all */
	bool rxe_deviations;	/* report known rxe deviations as SKIP */
	bool ipv6;		/* address by the IPv6 RoCE v2 GID, not IPv4 */
	int path_mtu;		/* bytes, at most the ports' MTU; 0: theirs */
	bool verbose;
};
extern struct rc_opts rc_opts;
extern const char *rc_test_name;	/* the test running in this process */

/* Failing and reporting.  rc_fail ends the test (the child process). */
__attribute__((noreturn, format(printf, 3, 4)))
void rc_fail_at(const char *file, int line, const char *fmt, ...);
#define rc_fail(...) rc_fail_at(__FILE__, __LINE__, __VA_ARGS__)
/* A check failed in the way rxe is known to get wrong (see rc_ops.c). */
__attribute__((noreturn, format(printf, 2, 3)))
void rc_skip(const char *why, const char *fmt, ...);
__attribute__((format(printf, 1, 2)))
void rc_note(const char *fmt, ...);
void rc_set_result_fd(int fd);

#define T_CHECK(cond, ...)                                                   \
	do {                                                                 \
		if (!(cond))                                                 \
			rc_fail(__VA_ARGS__);                                \
	} while (0)
#define T_EQ(a, b, what)                                                     \
	do {                                                                 \
		long long _a = (long long)(a), _b = (long long)(b);         \
		if (_a != _b)                                                \
			rc_fail("%s = %lld (0x%llx), expected %lld (0x%llx)", \
				(what), _a, (unsigned long long)_a, _b,       \
				(unsigned long long)_b);                      \
	} while (0)
/* A verb returning 0 or an errno value (or -1 with errno). */
#define T_OK(call)                                                           \
	do {                                                                 \
		int _r = (call);                                             \
		if (_r)                                                      \
			rc_fail("%s failed: %s", #call,                      \
				strerror(_r > 0 ? _r : errno));              \
	} while (0)

/* The first line of a (sysfs) file, without its newline. */
bool rc_read_line(const char *path, char *buf, size_t len);
uint64_t rc_now_ms(void);
void rc_sleep_ms(int ms);

/* ---- devices ---- */
struct rc_dev {
	char name[64];
	struct ibv_context *ctx;
	struct ibv_device_attr_ex attr;
	struct ibv_port_attr port;
	union ibv_gid gid;	/* the RoCEv2 IPv4-mapped GID */
	int gid_index;
	int refs;
};
struct rc_env {
	struct rc_dev *dev[2];	/* dev[1] == dev[0] in loopback mode */
};
void rc_env_open(struct rc_env *env);
void rc_env_close(struct rc_env *env);

/* ---- QP pairs ---- */
struct rc_cfg {
	uint32_t max_send_wr, max_recv_wr;
	uint32_t max_send_sge, max_recv_sge;	/* 0: the device maximum */
	uint32_t max_inline;
	int cqe;
	int sq_sig_all;
	uint8_t timeout, retry_cnt, rnr_retry, min_rnr_timer;
	uint8_t max_rd_atomic;			/* 0: min(16, device) */
	uint32_t psn_a, psn_b;			/* A's and B's send PSNs */
	unsigned int access;			/* qp_access_flags, both QPs */
	bool ext;		/* ibv_create_qp_ex with all send ops */
	bool ext_aw_flush;	/* ... and ATOMIC_WRITE and FLUSH */
	bool cq_ex;		/* ibv_create_cq_ex */
	bool channel;		/* CQs on completion channels */
	bool no_connect;	/* leave both QPs in RESET */
	/*
	 * B's QP receives through an SRQ (rc_ep.srq, on B's PD, of
	 * max_recv_wr WQEs of max_recv_sge SGEs) instead of its own RQ.
	 */
	bool srq_b;
	/*
	 * UC QPs instead of RC: access is REMOTE_WRITE at most, and the
	 * transitions leave out the attributes UC does not take (responder
	 * resources, RNR timer, timeout and retries).
	 */
	bool uc;
};
void rc_cfg_default(struct rc_cfg *cfg);

struct rc_ep {
	const char *name;	/* "A" or "B" */
	struct rc_dev *dev;
	struct ibv_pd *pd;
	struct ibv_comp_channel *ch;
	struct ibv_cq *scq, *rcq;
	struct ibv_cq_ex *scqx, *rcqx;		/* cfg.cq_ex only */
	struct ibv_qp *qp;
	struct ibv_qp_ex *qpx;			/* cfg.ext only */
	struct ibv_srq *srq;			/* cfg.srq_b, B only */
	struct ibv_qp_cap cap;			/* as granted */
	uint32_t sq_psn;
};
struct rc_pair {
	struct rc_ep a, b;	/* A is the requester in most tests */
	struct rc_cfg cfg;
	enum ibv_mtu mtu;
	int mtu_bytes;
};
/* Creates PDs (one per endpoint), CQs, QPs, and connects them (RTS). */
void rc_pair_create(struct rc_pair *p, struct rc_env *env,
		    const struct rc_cfg *cfg);
void rc_pair_connect(struct rc_pair *p);
void rc_qp_to_init(struct rc_ep *e, unsigned int access);
void rc_qp_to_rtr(struct rc_ep *e, const struct rc_ep *peer,
		  const struct rc_pair *p);
void rc_qp_to_rts(struct rc_ep *e, const struct rc_pair *p);
void rc_rtr_attr(struct rc_ep *e, const struct rc_ep *peer,
		 const struct rc_pair *p, struct ibv_qp_attr *attr, int *mask);
void rc_rts_attr(struct rc_ep *e, const struct rc_pair *p,
		 struct ibv_qp_attr *attr, int *mask);
void rc_pair_destroy(struct rc_pair *p);
enum ibv_qp_state rc_qp_state(struct ibv_qp *qp);
/* Wait until the QP reaches STATE (errors are entered asynchronously). */
bool rc_wait_qp_state(struct ibv_qp *qp, enum ibv_qp_state state, int ms);
int rc_mtu_bytes(enum ibv_mtu mtu);

/* ---- buffers ---- */
/*
 * A page-aligned buffer, registered on a PD (mr == NULL if access < 0),
 * and its expected contents: tests update exp wherever they expect the
 * device to write, and rc_buf_verify compares the whole buffer, so bytes
 * written out of place or past the end are caught too.
 */
struct rc_buf {
	uint8_t *p, *exp;
	size_t len;
	struct ibv_mr *mr;
	const char *name;
	size_t map_len;		/* rc_buf_alloc_fenced: p's mapping, 0 else */
};
#define RC_ACCESS_ALL (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |   \
		       IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC)
void rc_buf_alloc(struct rc_buf *b, const char *name, struct ibv_pd *pd,
		  size_t len, int access);
/*
 * The same, but p is an mmap of LEN bytes (a multiple of the page size)
 * with unmapped pages right before and after it: an implicit ODP MR has
 * no end, so its "past the end" is where the mapping ends.
 */
void rc_buf_alloc_fenced(struct rc_buf *b, const char *name,
			 struct ibv_pd *pd, size_t len, int access);
void rc_buf_free(struct rc_buf *b);
/* The MR kind used for memory registered on PD (see rc_opts). */
enum rc_mr_kind rc_pd_kind(struct ibv_pd *pd);
/* Register [p, p + len) on PD as rc_pd_kind(pd) says (access as given). */
struct ibv_mr *rc_reg(struct ibv_pd *pd, void *p, size_t len, int access);
/* Fill p and exp with the pattern SEED (byte i = rc_pat(seed, i)). */
void rc_buf_fill(struct rc_buf *b, uint32_t seed);
/* exp[off..off+len) = src (what the device should write there). */
void rc_buf_expect(struct rc_buf *b, size_t off, const void *src, size_t len);
void rc_buf_verify(const struct rc_buf *b);
uint8_t rc_pat(uint32_t seed, size_t i);
struct ibv_sge rc_sge(const struct rc_buf *b, size_t off, uint32_t len);
uint64_t rc_addr(const struct rc_buf *b, size_t off);

/* ---- posting ---- */
void rc_post_send(struct rc_ep *e, struct ibv_send_wr *wr);
void rc_post_recv(struct rc_ep *e, uint64_t wr_id, struct ibv_sge *sg,
		  int nsge);
/* One work request; sg/nsge may be NULL/0. */
void rc_wr(struct ibv_send_wr *wr, struct ibv_sge *sg, int nsge,
	   uint64_t wr_id, enum ibv_wr_opcode op, unsigned int flags);

/* ---- completions ---- */
/* What a completion must look like; fields set to RC_ANY are not checked. */
#define RC_ANY (-1LL)
struct rc_want {
	uint64_t wr_id;
	enum ibv_wc_status status;
	long long opcode;	/* enum ibv_wc_opcode or RC_ANY */
	long long byte_len;	/* or RC_ANY */
	uint32_t qp_num;
	int imm;		/* 0: no IBV_WC_WITH_IMM; 1: with imm_data */
	uint32_t imm_data;	/* raw (network order), as posted */
};
/* Wait for exactly N completions on CQ (more are left for later). */
void rc_poll(struct ibv_cq *cq, struct ibv_wc *wc, int n, const char *what);
/* Run RC_STALL_CMD, if set, saying @what stalled or failed. */
void rc_stall_dump(const char *what);
/* Poll one completion and check it against WANT. */
void rc_expect(struct ibv_cq *cq, const struct rc_want *want,
	       const char *what);
void rc_check_wc(const struct ibv_wc *wc, const struct rc_want *want,
		 const char *what);
/* Nothing arrives on CQ within MS milliseconds. */
void rc_expect_none(struct ibv_cq *cq, int ms, const char *what);
/* No stray completions on any CQ of the pair. */
void rc_pair_quiet(struct rc_pair *p, int ms);
/* Extended CQs: wait for N completions via start/next/end_poll. */
void rc_poll_ex(struct ibv_cq_ex *cq, struct ibv_wc *wc, int n,
		const char *what);

/* Shorthands for the completions of the common cases. */
struct rc_want rc_ok(const struct rc_ep *e, uint64_t wr_id,
		     enum ibv_wc_opcode op, long long byte_len);
struct rc_want rc_err(const struct rc_ep *e, uint64_t wr_id,
		      enum ibv_wc_status status);

/* A healthy SEND + WRITE + READ round on P, fully checked. */
void rc_healthy_transfer(struct rc_pair *p, const char *what);

/* ---- counters ---- */
/*
 * Port counter NAME of device DEV (hw_counters in sysfs); the test fails
 * if it cannot be read.
 */
long long rc_hw_counter(const char *dev, const char *name);
/*
 * Whether sodp makes pages device-exclusive for RDMA atomics on ODP memory
 * (its odp_exclusive parameter; never without CONFIG_DEVICE_PRIVATE).
 * When it does not, every such atomic is a fallback, and the tests expect
 * that instead.  The test fails if the parameter cannot be read.
 */
bool rc_odp_exclusive(void);
/*
 * The restrack entry of the MR with LKEY (the QP numbered QPN) on DEV, as
 * `rdma -dd -j resource show mr` (`... qp`) prints it: one flat JSON
 * object, the driver's table as "drv_NAME" fields, copied into OBJ; the
 * test fails if it is not there.
 */
void rc_mr_restrack(const char *dev, uint32_t lkey, char *obj, size_t len);
void rc_qp_restrack(const char *dev, uint32_t qpn, char *obj, size_t len);
/* Driver field "drv_NAME" of such an object; -1 if absent. */
long long rc_res_field(const char *obj, const char *name);

#endif
