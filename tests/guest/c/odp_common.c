// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Helpers of the odp test program; see odp_common.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "odp_common.h"

/* ---- helpers ---- */

/*
 * Anonymous memory in small pages (MADV_NOHUGEPAGE: the tests count
 * pages, and a THP fault would make 512 resident at once).
 */
void *map_anon(size_t len, int extra)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | extra,
		       -1, 0);

	T_CHECK(p != MAP_FAILED, "mmap(%zu, 0x%x): %s", len, extra,
		strerror(errno));
	T_CHECK(!madvise(p, len, MADV_NOHUGEPAGE), "MADV_NOHUGEPAGE: %s",
		strerror(errno));
	return p;
}

/*
 * @len bytes of a new memfd, mapped shared: memory the kernel cannot make
 * device-exclusive.  The mapping keeps the file; no descriptor is left.
 */
void *map_memfd(const char *name, size_t len)
{
	int fd = memfd_create(name, 0);
	void *p;

	T_CHECK(fd >= 0 && !ftruncate(fd, len), "memfd %s: %s", name,
		strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	T_CHECK(p != MAP_FAILED, "mmap(memfd %s): %s", name, strerror(errno));
	close(fd);
	return p;
}

/* A @len mapping whose start is aligned to @align (a power of two). */
void *map_aligned(size_t len, size_t align)
{
	uint8_t *p = map_anon(len + align, 0);
	uintptr_t a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);

	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	munmap((void *)(a + len), (uintptr_t)p + align - a);
	return (void *)a;
}

/* Anonymous small pages at exactly @addr, which must be free. */
void *map_fixed(void *addr, size_t len)
{
	void *p = mmap(addr, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	T_CHECK(p == addr, "mmap(%p, %zu, MAP_FIXED_NOREPLACE): %s", addr,
		len, p == MAP_FAILED ? strerror(errno) : "elsewhere");
	T_CHECK(!madvise(p, len, MADV_NOHUGEPAGE), "MADV_NOHUGEPAGE: %s",
		strerror(errno));
	return p;
}

/* A line "NAME VALUE" of /proc/vmstat; -1 if absent. */
long long vmstat(const char *name)
{
	char line[256];
	size_t n = strlen(name);
	long long v = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	T_CHECK(f, "/proc/vmstat: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ' ')
			v = atoll(line + n + 1);
	fclose(f);
	return v;
}

/* The first line of a sysfs/procfs file into @buf; false if unreadable. */
bool write_str(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs(val, f) >= 0;
	return fclose(f) == 0 && ok;
}

/* "Field:  N kB" of the /proc/self/smaps entry of the VMA holding @addr. */
long long smaps_kb(const void *addr, const char *field)
{
	char line[512];
	size_t n = strlen(field);
	unsigned long lo, hi;
	bool in = false;
	long long v = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	T_CHECK(f, "/proc/self/smaps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		/* VMA lines start with a lower-case hex address, fields not */
		if (strchr("0123456789abcdef", line[0]) &&
		    sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
			continue;
		}
		if (in && !strncmp(line, field, n) && line[n] == ':') {
			v = atoll(line + n + 1);
			break;
		}
	}
	fclose(f);
	return v;
}

/*
 * The premise of a THP test: [@t, @t + @len) was just faulted in with
 * MADV_HUGEPAGE and is PMD-mapped: AnonHugePages of its VMA is at least
 * @len.  THP disabled, or the kernel found no free huge page (it counted
 * a fallback since @fallback0), is a SKIP saying so; no huge page without
 * a fallback is a failure.
 */
void thp_require(const void *t, size_t len, long long fallback0)
{
	char mode[128] = "";
	long long kb = smaps_kb(t, "AnonHugePages");
	long long fb = vmstat("thp_fault_fallback") - fallback0;

	if (kb >= (long long)(len / KiB)) {
		rc_note("AnonHugePages %lld kB: PMD-mapped huge pages", kb);
		return;
	}
	if (!rc_read_line("/sys/kernel/mm/transparent_hugepage/enabled", mode,
		      sizeof(mode)))
		rc_skip("no THP", "/sys/kernel/mm/transparent_hugepage/enabled "
			"is missing (kernel without THP)");
	if (strstr(mode, "[never]"))
		rc_skip("THP disabled", "transparent_hugepage/enabled is '%s'",
			mode);
	if (fb > 0)
		rc_skip("no free huge page", "AnonHugePages %lld kB of %zu "
			"expected, thp_fault_fallback moved by %lld", kb,
			len / KiB, fb);
	rc_fail("THP enabled ('%s') and MADV_HUGEPAGE given, yet AnonHugePages "
		"is %lld kB, expected %zu (no fallback counted)", mode, kb,
		len / KiB);
}

/* @len bytes of PMD-mapped THP at a 2 MiB boundary, zero-filled. */
uint8_t *map_thp(size_t len)
{
	uint8_t *t = map_aligned(len, HUGE);
	long long fb0 = vmstat("thp_fault_fallback");

	T_CHECK(madvise(t, len, MADV_HUGEPAGE) == 0, "MADV_HUGEPAGE: %s",
		strerror(errno));
	memset(t, 0, len);	/* fault in, as huge pages where possible */
	thp_require(t, len, fb0);
	return t;
}

struct ibv_mr *reg_odp(struct ibv_pd *pd, void *p, size_t len)
{
	struct ibv_mr *mr = ibv_reg_mr(pd, p, len,
				       RC_ACCESS_ALL | IBV_ACCESS_ON_DEMAND);

	T_CHECK(mr, "ibv_reg_mr(%zu bytes, ON_DEMAND): %s", len,
		strerror(errno));
	return mr;
}

/* An implicit ODP MR: the whole address space, as rdma-core spells it. */
struct ibv_mr *reg_implicit(struct ibv_pd *pd)
{
	struct ibv_mr *mr = ibv_reg_mr(pd, NULL, SIZE_MAX,
				       RC_ACCESS_ALL | IBV_ACCESS_ON_DEMAND);

	T_CHECK(mr, "ibv_reg_mr(NULL, SIZE_MAX, ON_DEMAND): %s",
		strerror(errno));
	return mr;
}

long long counter(const struct rc_dev *d, const char *name)
{
	char path[256], buf[64];
	FILE *f;

	/* the core caches hw counters for a few milliseconds */
	rc_sleep_ms(30);
	snprintf(path, sizeof(path),
		 "/sys/class/infiniband/%s/ports/1/hw_counters/%s", d->name,
		 name);
	f = fopen(path, "r");
	T_CHECK(f, "%s: %s", path, strerror(errno));
	T_CHECK(fgets(buf, sizeof(buf), f), "%s: empty", path);
	fclose(f);
	return atoll(buf);
}

/* Pages of [p, p + len) mapped in this process (mincore). */
long resident(void *p, size_t len)
{
	static unsigned char vec[65536];
	size_t off, i;
	long n = 0;

	for (off = 0; off < len; off += sizeof(vec) * PAGE) {
		size_t chunk = len - off < sizeof(vec) * PAGE ?
			       len - off : sizeof(vec) * PAGE;

		T_CHECK(!mincore((uint8_t *)p + off, chunk, vec),
			"mincore: %s", strerror(errno));
		for (i = 0; i < (chunk + PAGE - 1) / PAGE; i++)
			n += vec[i] & 1;
	}
	return n;
}

/* The restrack entry of @mr on @d (rc_mr_restrack()). */
void mr_entry(const struct rc_dev *d, const struct ibv_mr *mr,
	      char *obj, size_t len)
{
	rc_mr_restrack(d->name, mr->lkey, obj, len);
}

/* Driver field "drv_@name" of an mr_entry() object; -1 if absent. */
long long mr_cnt(const char *obj, const char *name)
{
	return rc_res_field(obj, name);
}

void fill(void *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		((uint8_t *)p)[i] = rc_pat(seed, i);
}

/* Where p differs from bytes [off, off + len) of the pattern, or -1. */
long long check_off(const void *p, size_t len, uint32_t seed,
			   size_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((const uint8_t *)p)[i] != rc_pat(seed, off + i))
			return i;
	return -1;
}

long long check(const void *p, size_t len, uint32_t seed)
{
	return check_off(p, len, seed, 0);
}

bool all_zero(const void *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((const uint8_t *)p)[i])
			return false;
	return true;
}



/*
 * One RDMA WRITE or READ from A: local [@l, @l + @len) in @lmr, remote
 * @r in @rmr.  Return: its completion status.
 */
enum ibv_wc_status rdma(struct rc_pair *p, enum ibv_wr_opcode op,
			       struct ibv_mr *lmr, void *l, uint32_t len,
			       struct ibv_mr *rmr, void *r)
{
	struct ibv_sge sg = {
		.addr = (uintptr_t)l, .length = len, .lkey = lmr->lkey,
	};
	struct ibv_send_wr wr;
	struct ibv_wc wc;

	rc_wr(&wr, &sg, 1, 0x0d9, op, IBV_SEND_SIGNALED);
	wr.wr.rdma.remote_addr = (uintptr_t)r;
	wr.wr.rdma.rkey = rmr->rkey;
	rc_post_send(&p->a, &wr);
	rc_poll(p->a.scq, &wc, 1, op == IBV_WR_RDMA_READ ? "a READ" :
		"a WRITE");
	return wc.status;
}

void rdma_ok(struct rc_pair *p, enum ibv_wr_opcode op,
		    struct ibv_mr *lmr, void *l, uint32_t len,
		    struct ibv_mr *rmr, void *r, const char *what)
{
	enum ibv_wc_status st = rdma(p, op, lmr, l, len, rmr, r);

	T_CHECK(st == IBV_WC_SUCCESS, "%s: %s", what, ibv_wc_status_str(st));
}

void rdma_fails(struct rc_pair *p, enum ibv_wr_opcode op,
		       struct ibv_mr *lmr, void *l, uint32_t len,
		       struct ibv_mr *rmr, void *r, enum ibv_wc_status want,
		       const char *what)
{
	enum ibv_wc_status st = rdma(p, op, lmr, l, len, rmr, r);

	T_CHECK(st == want, "%s: %s, expected %s", what,
		ibv_wc_status_str(st), ibv_wc_status_str(want));
	T_CHECK(rc_wait_qp_state(p->a.qp, IBV_QPS_ERR, 2000),
		"%s: A's QP did not enter the error state", what);
}

/* One atomic from A into @r, result into @l.  Return: its status. */
enum ibv_wc_status atomic_st(struct rc_pair *p, bool cas,
				    struct ibv_mr *lmr, uint64_t *l,
				    struct ibv_mr *rmr, uint64_t *r,
				    uint64_t compare_add, uint64_t swap)
{
	struct ibv_sge sg = {
		.addr = (uintptr_t)l, .length = 8, .lkey = lmr->lkey,
	};
	struct ibv_send_wr wr;
	struct ibv_wc wc;

	rc_wr(&wr, &sg, 1, 0xa7, cas ? IBV_WR_ATOMIC_CMP_AND_SWP :
	      IBV_WR_ATOMIC_FETCH_AND_ADD, IBV_SEND_SIGNALED);
	wr.wr.atomic.remote_addr = (uintptr_t)r;
	wr.wr.atomic.rkey = rmr->rkey;
	wr.wr.atomic.compare_add = compare_add;
	wr.wr.atomic.swap = swap;
	rc_post_send(&p->a, &wr);
	rc_poll(p->a.scq, &wc, 1, "an atomic");
	return wc.status;
}

uint64_t atomic_op(struct rc_pair *p, bool cas, struct ibv_mr *lmr,
			  uint64_t *l, struct ibv_mr *rmr, uint64_t *r,
			  uint64_t compare_add, uint64_t swap)
{
	enum ibv_wc_status st = atomic_st(p, cas, lmr, l, rmr, r,
					  compare_add, swap);

	T_CHECK(st == IBV_WC_SUCCESS, "atomic: %s", ibv_wc_status_str(st));
	return *l;
}

void new_pair(struct rc_pair *p, struct rc_env *env)
{
	struct rc_cfg cfg;

	rc_cfg_default(&cfg);
	rc_pair_create(p, env, &cfg);
}

/* A new RC QP for endpoint @e of @p, on e's PD and CQs, in RESET. */
void new_qp(const struct rc_pair *p, struct rc_ep *e)
{
	struct ibv_qp_init_attr ia = {
		.qp_context = e,
		.send_cq = e->scq,
		.recv_cq = e->rcq,
		.cap = {
			.max_send_wr = p->cfg.max_send_wr,
			.max_recv_wr = p->cfg.max_recv_wr,
			.max_send_sge = p->cfg.max_send_sge,
			.max_recv_sge = p->cfg.max_recv_sge,
		},
		.qp_type = IBV_QPT_RC,
	};

	e->qp = ibv_create_qp(e->pd, &ia);
	T_CHECK(e->qp, "%s: ibv_create_qp: %s", e->name, strerror(errno));
	e->cap = ia.cap;
	e->sq_psn = (e->sq_psn + 0x1000) & 0xffffff;
}

/*
 * Replace the pair's QPs by fresh ones, connected, on the same PDs and
 * CQs: MRs registered on the PDs stay, as after a QP went to error.
 */
void renew_qps(struct rc_pair *p)
{
	struct rc_ep *eps[2] = { &p->a, &p->b };
	struct ibv_wc wc;
	int i;

	for (i = 0; i < 2; i++) {
		T_OK(ibv_destroy_qp(eps[i]->qp));
		while (ibv_poll_cq(eps[i]->scq, 1, &wc) > 0)
			;
		while (ibv_poll_cq(eps[i]->rcq, 1, &wc) > 0)
			;
		new_qp(p, eps[i]);
	}
	rc_pair_connect(p);
}

/*
 * A second connected pair @q on @p's PDs and CQs (so on its MRs too);
 * destroy with twin_destroy().
 */
void twin_qps(const struct rc_pair *p, struct rc_pair *q)
{
	*q = *p;
	new_qp(q, &q->a);
	new_qp(q, &q->b);
	rc_pair_connect(q);
}

void twin_destroy(struct rc_pair *q)
{
	T_OK(ibv_destroy_qp(q->a.qp));
	T_OK(ibv_destroy_qp(q->b.qp));
}

