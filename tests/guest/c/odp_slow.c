// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * odp_slow: ODP pages whose fault sleeps far longer than the requester's
 * ACK timeout, and requests to them that must still succeed.
 *
 * B's ODP MR covers a MAP_SHARED mapping of a block device whose reads
 * take DELAY_MS (0.8 s, often more than once per fault) (device-mapper's "delay" target over its "zero" target,
 * set up through the device-mapper ioctls: no dmsetup in the guest).  A
 * device WRITE to a page not yet read needs that read first, so the
 * responder's fault sleeps DELAY_MS, while A's QP has an ACK timeout of
 * 33.5 ms and retry_cnt 7: a quarter of a second without an answer fails
 * it with RETRY_EXC.  The responder must keep answering meanwhile (RNR NAKs while
 * the fault goes on aside, kernel/sodp_resp_fault.c), so the request
 * succeeds once the page is read, with the right bytes, and B's
 * odp_slow_faults and rnr_nak_sent counters show how.
 *
 *   cpu         the bed: the CPU's first read of an unread page is slow
 *   write       a 16 KiB RDMA WRITE to unread pages of the mapping
 *   send        an 8 KiB SEND into a receive buffer on unread pages
 *   write-imm   a 4 KiB WRITE with immediate to unread pages: data and the
 *               receive's completion
 *
 * Run looped back on one device, or -d A -D B across two (sodp only: rxe's
 * responder faults in line).  Needs the dm-mod, dm-zero and dm-delay
 * modules (SKIP without them).  --mr odp or implicit chooses B's MR kind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "rc_common.h"
#include "rc_runner.h"

#define KiB		1024
#define MiB		(1024 * KiB)
#define DELAY_MS	800
#define DEV_LEN		(16 * MiB)
/* Far apart, so that one case's readahead does not read the next's. */
#define WRITE_OFF	(1 * MiB)
#define SEND_OFF	(6 * MiB)
#define IMM_OFF		(11 * MiB)
#define CPU_OFF		(14 * MiB)

/* ---- device-mapper through its ioctls ---- */

struct dm_msg {
	struct dm_ioctl io;
	char data[1024];
};

static void dm_msg_init(struct dm_msg *m, const char *name)
{
	memset(m, 0, sizeof(*m));
	m->io.version[0] = DM_VERSION_MAJOR;
	m->io.data_size = sizeof(*m);
	m->io.data_start = sizeof(m->io);
	snprintf(m->io.name, sizeof(m->io.name), "%s", name);
}

/* Return: 0 or -errno. */
static int dm_call(int ctl, unsigned long cmd, struct dm_msg *m)
{
	return ioctl(ctl, cmd, m) ? -errno : 0;
}

/*
 * Create NAME with one target TYPE PARAMS over DEV_LEN bytes, active.
 * Return: its dev_t.
 */
static dev_t dm_create(int ctl, const char *name, const char *type,
		       const char *params)
{
	struct dm_target_spec *spec;
	struct dm_msg m;
	dev_t dev;
	int err;

	dm_msg_init(&m, name);
	err = dm_call(ctl, DM_DEV_CREATE, &m);
	T_CHECK(!err, "DM_DEV_CREATE %s: %s", name, strerror(-err));
	dev = (dev_t)m.io.dev;

	dm_msg_init(&m, name);
	m.io.target_count = 1;
	spec = (struct dm_target_spec *)m.data;
	spec->sector_start = 0;
	spec->length = DEV_LEN / 512;
	snprintf(spec->target_type, sizeof(spec->target_type), "%s", type);
	/* The parameters follow the spec; @next is unused for one target. */
	snprintf((char *)(spec + 1), sizeof(m.data) - sizeof(*spec), "%s",
		 params);
	err = dm_call(ctl, DM_TABLE_LOAD, &m);
	T_CHECK(!err, "DM_TABLE_LOAD %s %s: %s", name, type, strerror(-err));

	dm_msg_init(&m, name);	/* no DM_SUSPEND_FLAG: resume, go live */
	err = dm_call(ctl, DM_DEV_SUSPEND, &m);
	T_CHECK(!err, "resuming %s: %s", name, strerror(-err));
	return dev;
}

static void dm_remove(int ctl, const char *name)
{
	struct dm_msg m;
	int i, err = 0;

	/* The last close of the device may still be flushing it. */
	for (i = 0; i < 50; i++) {
		dm_msg_init(&m, name);
		err = dm_call(ctl, DM_DEV_REMOVE, &m);
		if (err != -EBUSY)
			break;
		rc_sleep_ms(100);
	}
	if (err && err != -ENXIO)
		rc_note("removing %s: %s", name, strerror(-err));
}

/* ---- the slow mapping ---- */

struct slow {
	int ctl;
	char zero[64], delay[64];
	char node[80];
	int fd;
	uint8_t *p;
};

static int slow_ctl(void)
{
	int ctl;

	if (system("modprobe -q dm-mod && modprobe -q dm-zero && "
		   "modprobe -q dm-delay"))
		rc_skip("no device-mapper", "dm-mod, dm-zero or dm-delay cannot be loaded");
	ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (ctl < 0 && errno == ENOENT) {
		/* No devtmpfs node: make it (misc major 10). */
		char minor[32];

		if (!rc_read_line("/sys/class/misc/device-mapper/dev", minor,
				  sizeof(minor)))
			rc_skip("no device-mapper", "no /dev/mapper/control");
		mkdir("/dev/mapper", 0755);
		T_CHECK(!mknod("/dev/mapper/control", S_IFCHR | 0600,
			       makedev(10, atoi(strchr(minor, ':') + 1))),
			"mknod /dev/mapper/control: %s", strerror(errno));
		ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	}
	T_CHECK(ctl >= 0, "/dev/mapper/control: %s", strerror(errno));
	return ctl;
}

/* A DEV_LEN mapping whose every first read takes DELAY_MS. */
static void slow_open(struct slow *s)
{
	char params[128];
	dev_t zero, delay;

	s->ctl = slow_ctl();
	snprintf(s->zero, sizeof(s->zero), "odp-slow-zero-%d", getpid());
	snprintf(s->delay, sizeof(s->delay), "odp-slow-%d", getpid());
	zero = dm_create(s->ctl, s->zero, "zero", "");
	/* Reads wait DELAY_MS, writes (the page cache's writeback) do not. */
	snprintf(params, sizeof(params), "%u:%u 0 %d %u:%u 0 0",
		 major(zero), minor(zero), DELAY_MS, major(zero), minor(zero));
	delay = dm_create(s->ctl, s->delay, "delay", params);

	snprintf(s->node, sizeof(s->node), "/tmp/%s", s->delay);
	unlink(s->node);
	T_CHECK(!mknod(s->node, S_IFBLK | 0600, delay), "mknod %s: %s",
		s->node, strerror(errno));
	s->fd = open(s->node, O_RDWR | O_CLOEXEC);
	T_CHECK(s->fd >= 0, "open %s: %s", s->node, strerror(errno));
	s->p = mmap(NULL, DEV_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd,
		    0);
	T_CHECK(s->p != MAP_FAILED, "mmap %s: %s", s->node, strerror(errno));
}

static void slow_close(struct slow *s)
{
	munmap(s->p, DEV_LEN);
	close(s->fd);
	unlink(s->node);
	dm_remove(s->ctl, s->delay);
	dm_remove(s->ctl, s->zero);
	close(s->ctl);
}

/* ---- the cases ---- */

struct bed {
	struct rc_pair p;
	struct slow s;
	struct rc_buf src;	/* A's source, pinned or as --mr says */
	struct ibv_mr *mr;	/* B's, over the whole slow mapping */
	const char *bdev;	/* B's device, whose counters tell */
	long long slow0, rnr0, errnak0;
};

static void bed_init(struct bed *t, struct rc_env *env)
{
	struct rc_cfg cfg;

	if (rc_opts.mr_kind == RC_MR_PINNED)
		rc_skip("needs ODP", "a pinned MR reads every page at registration");
	slow_open(&t->s);
	rc_cfg_default(&cfg);
	cfg.timeout = 13;	/* 33.5 ms, 8 tries: 268 ms */
	cfg.retry_cnt = 7;
	cfg.rnr_retry = 7;	/* RNR NAKs for as long as it takes */
	rc_pair_create(&t->p, env, &cfg);
	rc_buf_alloc(&t->src, "A source", t->p.a.pd, 64 * KiB,
		     IBV_ACCESS_LOCAL_WRITE);
	rc_buf_fill(&t->src, 0x5105);
	t->mr = rc_reg(t->p.b.pd, t->s.p, DEV_LEN,
		       IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	t->bdev = t->p.b.dev->name;
	t->slow0 = rc_hw_counter(t->bdev, "odp_slow_faults");
	t->rnr0 = rc_hw_counter(t->bdev, "rnr_nak_sent");
	t->errnak0 = rc_hw_counter(t->bdev, "error_nak_sent");
}

static void bed_fini(struct bed *t)
{
	ibv_dereg_mr(t->mr);
	rc_buf_free(&t->src);
	rc_pair_destroy(&t->p);
	slow_close(&t->s);
}

/* A's request at START took at least one slow read, and B said so. */
static void bed_check_slow(struct bed *t, uint64_t start, const char *what)
{
	uint64_t ms = rc_now_ms() - start;
	long long slow = rc_hw_counter(t->bdev, "odp_slow_faults") - t->slow0;
	long long rnr = rc_hw_counter(t->bdev, "rnr_nak_sent") - t->rnr0;
	long long errnak = rc_hw_counter(t->bdev, "error_nak_sent") -
			   t->errnak0;

	rc_note("%s: %llu ms; B: odp_slow_faults +%lld, rnr_nak_sent +%lld",
		what, (unsigned long long)ms, slow, rnr);
	/* Else the page was there already and nothing was tested. */
	T_CHECK(ms >= DELAY_MS * 9 / 10, "%s took %llu ms: no slow read",
		what, (unsigned long long)ms);
	T_CHECK(slow > 0, "%s: B never stopped waiting for its fault", what);
	T_CHECK(rnr > 0, "%s: B sent no RNR NAK while its fault slept", what);
	T_EQ(errnak, 0, "B's error NAKs");
}

static void check_bytes(const uint8_t *got, const uint8_t *want, size_t len,
			const char *what)
{
	size_t i;

	for (i = 0; i < len; i++)
		T_CHECK(got[i] == want[i], "%s: byte %zu is %#x, want %#x",
			what, i, got[i], want[i]);
}

/*
 * The bed itself: the CPU's first read of an unread page takes DELAY_MS,
 * and the pages read with it (the kernel's read-around) do not.
 */
static void t_cpu(struct rc_env *env, long arg)
{
	volatile uint8_t *p;
	uint64_t t0, t1, t2;
	struct slow s;

	(void)env;
	(void)arg;
	slow_open(&s);
	p = s.p + CPU_OFF;
	t0 = rc_now_ms();
	(void)p[0];
	t1 = rc_now_ms();
	(void)p[4096];
	(void)p[60 * KiB];
	t2 = rc_now_ms();
	rc_note("first page %llu ms, two more %llu ms",
		(unsigned long long)(t1 - t0), (unsigned long long)(t2 - t1));
	T_CHECK(t1 - t0 >= DELAY_MS * 9 / 10,
		"an unread page took %llu ms, not the device's %d",
		(unsigned long long)(t1 - t0), DELAY_MS);
	slow_close(&s);
}

/* WRITE (with immediate if @imm) from A to unread pages of B's mapping. */
static void t_write(struct rc_env *env, long imm)
{
	size_t off = imm ? IMM_OFF : WRITE_OFF;
	uint32_t len = imm ? 4 * KiB : 16 * KiB;
	struct ibv_send_wr wr;
	struct ibv_sge sg;
	struct rc_want w;
	struct bed t;
	uint64_t start;

	bed_init(&t, env);
	if (imm)
		rc_post_recv(&t.p.b, 0x1111, NULL, 0);
	sg = rc_sge(&t.src, 0, len);
	rc_wr(&wr, &sg, 1, 0x2222,
	      imm ? IBV_WR_RDMA_WRITE_WITH_IMM : IBV_WR_RDMA_WRITE,
	      IBV_SEND_SIGNALED);
	wr.wr.rdma.remote_addr = (uintptr_t)t.s.p + off;
	wr.wr.rdma.rkey = t.mr->rkey;
	wr.imm_data = htonl(0x51051051);
	start = rc_now_ms();
	rc_post_send(&t.p.a, &wr);
	rc_expect(t.p.a.scq, &(struct rc_want){
			  .wr_id = 0x2222, .status = IBV_WC_SUCCESS,
			  .opcode = IBV_WC_RDMA_WRITE, .byte_len = RC_ANY,
			  .qp_num = t.p.a.qp->qp_num, .imm = -1 },
		  "A's WRITE to slow pages");
	if (imm) {
		w = rc_ok(&t.p.b, 0x1111, IBV_WC_RECV_RDMA_WITH_IMM, len);
		w.imm = 1;
		w.imm_data = htonl(0x51051051);
		rc_expect(t.p.b.rcq, &w, "B's receive of the WRITE's immediate");
	}
	bed_check_slow(&t, start, imm ? "WRITE with immediate" : "WRITE");
	check_bytes(t.s.p + off, t.src.p, len, "B's slow pages");
	bed_fini(&t);
}

/* SEND from A into a receive buffer on unread pages of B's mapping. */
static void t_send(struct rc_env *env, long arg)
{
	uint32_t len = 8 * KiB;
	struct ibv_send_wr wr;
	struct ibv_sge sg, rsg;
	struct bed t;
	uint64_t start;

	(void)arg;
	bed_init(&t, env);
	rsg = (struct ibv_sge){ .addr = (uintptr_t)t.s.p + SEND_OFF,
				.length = len, .lkey = t.mr->lkey };
	rc_post_recv(&t.p.b, 0x3333, &rsg, 1);
	sg = rc_sge(&t.src, 0, len);
	rc_wr(&wr, &sg, 1, 0x4444, IBV_WR_SEND, IBV_SEND_SIGNALED);
	start = rc_now_ms();
	rc_post_send(&t.p.a, &wr);
	rc_expect(t.p.a.scq, &(struct rc_want){
			  .wr_id = 0x4444, .status = IBV_WC_SUCCESS,
			  .opcode = IBV_WC_SEND, .byte_len = RC_ANY,
			  .qp_num = t.p.a.qp->qp_num, .imm = -1 },
		  "A's SEND into slow pages");
	rc_expect(t.p.b.rcq, &(struct rc_want){
			  .wr_id = 0x3333, .status = IBV_WC_SUCCESS,
			  .opcode = IBV_WC_RECV, .byte_len = len,
			  .qp_num = t.p.b.qp->qp_num, .imm = 0 },
		  "B's receive on slow pages");
	bed_check_slow(&t, start, "SEND");
	check_bytes(t.s.p + SEND_OFF, t.src.p, len, "B's slow receive buffer");
	bed_fini(&t);
}

static const struct rc_test tests[] = {
	{ "cpu", t_cpu, 0 },
	{ "write", t_write, 0 },
	{ "send", t_send, 0 },
	{ "write-imm", t_write, 1 },
};

int main(int argc, char **argv)
{
	return rc_main("odp_slow", argc, argv, tests,
		       sizeof(tests) / sizeof(tests[0]));
}
