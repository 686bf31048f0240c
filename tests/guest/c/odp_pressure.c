// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * odp_pressure: RDMA traffic on ODP MRs while the kernel takes the pages
 * away underneath, and the data and atomics must still come out exact.
 *
 *   reclaim    the test process in a memory cgroup whose memory.max is well
 *              below the ODP working set, with swap: every pass over the
 *              region pushes the last one out to swap
 *   oom        the same without swap: the process is OOM-killed with ODP
 *              traffic in flight (the OOM reaper's non-blocking notifier
 *              call, the only one that may take the trylock path)
 *   migration  move_pages(2) to another node (a no-op with one node, and
 *              then reported as such), full compaction, and offlining the
 *              memory blocks that hold the region
 *   pageout    MADV_PAGEOUT / MADV_COLD of the region, in a loop
 *   ksm        MADV_MERGEABLE twins merged by ksmd; device READs of merged
 *              pages, WRITEs that must unmerge (the twin keeps its data),
 *              atomics on merged pages
 *
 * Each case runs WRITE-then-READ passes checked word by word against a
 * pattern of the absolute offset (a misplaced page or packet shows), and
 * RDMA FETCH_ADD / CMP_SWAP on words that a CPU thread hits with
 * __atomic_fetch_add at the same time: the final sums are exact.  Both
 * sides' buffers are ODP MRs.  The per-MR counters (restrack) before and
 * after are printed and must show the event.
 *
 * The cgroup cases need --cgroup DIR: a cgroup v2 directory whose
 * cgroup.subtree_control has +memory; they make (and remove) children of
 * it.  reclaim and pageout need active swap.  Both, and ksm, migration
 * and the memory-block part of it, need root.
 *
 * usage: odp_pressure -d DEV [-D DEV2] [-t PATTERN[,PATTERN...]] [-l] [-v]
 *        [--cgroup DIR] [--mib N] [--limit-mib N] [--seconds N]
 *        [--time-limit S] [--wait S]
 *
 * --wait is the longest wait for one completion (10 s by default).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rc_common.h"
#include "rc_runner.h"

#define KiB 1024UL
#define MiB (1024 * KiB)
#define PAGE 4096UL
#define CHUNK (256 * KiB)	/* bytes per RDMA WRITE/READ */
#define QDEPTH 16		/* of those outstanding */
#define NWORDS 32		/* words hit by atomics */
#define WORDS_LEN (NWORDS * PAGE)	/* one word per page */
#define FA_ADD (1ULL << 32)	/* the device's addends; the CPU adds 1 */
#define CAS_ADD (1ULL << 44)

enum { DATA = 1, ATOM = 2 };	/* what a case runs: test arg bits */

#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE (1 << 1)
#endif

static const char *cg_dir;	/* --cgroup */
static unsigned long ws_mib = 64;	/* the reclaim working set */
static unsigned long limit_mib = 24;	/* its memory.max */
static int run_s = 12;		/* seconds of traffic per threaded case */

/* ---- small helpers ---- */

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	T_CHECK(p != MAP_FAILED, "mmap(%zu): %s", len, strerror(errno));
	/* small pages: a THP would be reclaimed, merged, moved as one */
	T_CHECK(!madvise(p, len, MADV_NOHUGEPAGE), "MADV_NOHUGEPAGE: %s",
		strerror(errno));
	return p;
}

static struct ibv_mr *reg_odp(struct ibv_pd *pd, void *p, size_t len)
{
	struct ibv_mr *mr = ibv_reg_mr(pd, p, len,
				       RC_ACCESS_ALL | IBV_ACCESS_ON_DEMAND);

	T_CHECK(mr, "ibv_reg_mr(%zu bytes, ON_DEMAND): %s", len,
		strerror(errno));
	return mr;
}

static bool write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val);
}

static void must_write(const char *path, const char *val)
{
	T_CHECK(write_file(path, val), "writing '%s' to %s: %s", val, path,
		strerror(errno));
}

static long long read_num(const char *path)
{
	char buf[64];

	T_CHECK(rc_read_line(path, buf, sizeof(buf)), "%s: %s", path,
		strerror(errno));
	return atoll(buf);
}

/* "KEY VALUE" lines (/proc/vmstat, memory.stat, memory.events). */
static long long read_key(const char *path, const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long long v = -1;
	FILE *f = fopen(path, "r");

	T_CHECK(f, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ' ') {
			v = atoll(line + kl + 1);
			break;
		}
	fclose(f);
	return v;
}

static bool swap_active(void)
{
	char line[256];
	int n = 0;
	FILE *f = fopen("/proc/swaps", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n > 1;	/* a header line, then one per swap area */
}

/* Pages swapped out to swap or zswap so far, system-wide. */
static long long swapped_out(void)
{
	long long z = read_key("/proc/vmstat", "zswpout");

	return read_key("/proc/vmstat", "pswpout") + (z > 0 ? z : 0);
}

/* ---- the pattern: one 64-bit word per 8 bytes of absolute offset ---- */

static uint64_t pat(uint32_t seed, size_t off)
{
	uint64_t x = ((uint64_t)seed << 40) ^ (off / 8) ^ 0x9e3779b97f4a7c15ULL;

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* p holds bytes [off, off + len) of the pattern (both multiples of 8). */
static void pat_fill(void *p, size_t len, uint32_t seed, size_t off)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = pat(seed, off + 8 * i);
}

/* The first byte of p that differs from the pattern, or -1. */
static long long pat_find(const void *p, size_t len, uint32_t seed,
			  size_t off)
{
	const uint64_t *w = p;
	size_t i;
	int b;

	for (i = 0; i < len / 8; i++) {
		uint64_t e = pat(seed, off + 8 * i);

		if (w[i] == e)
			continue;
		for (b = 0; b < 8; b++)
			if (((const uint8_t *)&w[i])[b] !=
			    ((const uint8_t *)&e)[b])
				return 8 * i + b;
	}
	return -1;
}

static void pat_check(const void *p, size_t len, uint32_t seed, size_t off,
		      const char *what)
{
	long long at = pat_find(p, len, seed, off);
	size_t bad = 0, i;

	if (at < 0)
		return;
	for (i = at / 8; i < len / 8; i++)
		bad += ((const uint64_t *)p)[i] != pat(seed, off + 8 * i);
	rc_fail("%s: byte %lld (region offset %zu, page %zu) is 0x%02x, "
		"expected 0x%02x; %zu words wrong from there to the end of "
		"%zu bytes", what, at, off + (size_t)at, (off + (size_t)at) / PAGE,
		((const uint8_t *)p)[at],
		(uint8_t)(pat(seed, off + (at & ~7LL)) >> (8 * (at & 7))),
		bad, len);
}

/* ---- page frames (/proc/self/pagemap; PFNs need CAP_SYS_ADMIN) ---- */

#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_PFN ((1ULL << 55) - 1)

static void pagemap(const void *p, size_t npages, uint64_t *out)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	ssize_t n;

	T_CHECK(fd >= 0, "/proc/self/pagemap: %s", strerror(errno));
	n = pread(fd, out, npages * 8, (uintptr_t)p / PAGE * 8);
	close(fd);
	T_CHECK(n == (ssize_t)(npages * 8), "pagemap read: %s",
		strerror(errno));
}

static uint64_t pfn_of(uint64_t pm)
{
	return pm & PM_PRESENT ? pm & PM_PFN : 0;
}

static size_t count_swapped(const void *p, size_t len)
{
	size_t n = len / PAGE, i, c = 0;
	uint64_t *pm = calloc(n, 8);

	T_CHECK(pm, "out of memory");
	pagemap(p, n, pm);
	for (i = 0; i < n; i++)
		c += !!(pm[i] & PM_SWAP);
	free(pm);
	return c;
}

/* ---- counters ---- */

static const char *const cnt_names[] = {
	"odp_faults", "odp_pages_faulted", "odp_fault_around_pages",
	"odp_fault_errors", "odp_retries", "odp_invalidations",
	"odp_pages_invalidated", "odp_exclusive_grants",
	"odp_exclusive_revocations", "odp_atomic_fallbacks", "odp_deferred",
};
#define NCNT ((int)(sizeof(cnt_names) / sizeof(cnt_names[0])))
enum { C_FAULTS, C_PAGES, C_AROUND, C_ERRORS, C_RETRIES, C_INVAL,
       C_PAGES_INVAL, C_GRANTS, C_REVOKED, C_FALLBACKS, C_DEFERRED };

struct snap {
	long long v[NCNT];
};

static void mr_snap(const char *dev, const struct ibv_mr *mr, struct snap *s)
{
	char obj[4096];
	int i;

	rc_mr_restrack(dev, mr->lkey, obj, sizeof(obj));
	for (i = 0; i < NCNT; i++) {
		s->v[i] = rc_res_field(obj, cnt_names[i]);
		T_CHECK(s->v[i] >= 0, "MR 0x%x on %s has no drv_%s: %.400s",
			mr->lkey, dev, cnt_names[i], obj);
	}
}

/* Print "name before -> after" for every counter; return the deltas. */
static struct snap snap_report(const char *what, const struct snap *a,
			       const struct snap *b)
{
	char line[1024];
	struct snap d;
	int i, n = 0;

	for (i = 0; i < NCNT; i++) {
		d.v[i] = b->v[i] - a->v[i];
		n += snprintf(line + n, sizeof(line) - n, "%s%s %lld->%lld",
			      i ? ", " : "", cnt_names[i] + 4, a->v[i],
			      b->v[i]);
	}
	rc_note("%s: %s", what, line);
	return d;
}

/*
 * Where the atomics on T went: device-exclusive grants (and, when the
 * case takes pages away, revocations) when sodp makes pages exclusive;
 * with its odp_exclusive parameter off (always, without
 * CONFIG_DEVICE_PRIVATE), fallbacks and neither grant nor revocation.
 */
static void check_atomic_path(const struct snap *d, bool revoked)
{
	if (rc_odp_exclusive()) {
		T_CHECK(d->v[C_GRANTS] > 0 && (!revoked || d->v[C_REVOKED] > 0),
			"atomics: %lld exclusive grants, %lld revocations",
			d->v[C_GRANTS], d->v[C_REVOKED]);
		return;
	}
	T_CHECK(d->v[C_GRANTS] == 0 && d->v[C_REVOKED] == 0 &&
		d->v[C_FALLBACKS] > 0, "atomics with odp_exclusive off: %lld "
		"exclusive grants, %lld revocations, %lld fallbacks",
		d->v[C_GRANTS], d->v[C_REVOKED], d->v[C_FALLBACKS]);
}

/* ---- one case's QP pair, regions and failure reports ---- */

/*
 * A (requester, dev[0]) moves data between its local region L and the
 * responder B's region T (dev[1]); T ends with a page per atomic word.
 */
struct ctx {
	struct rc_env *env;
	struct rc_pair p;
	const char *adev, *bdev;
	uint8_t *t, *l;
	size_t tlen, dlen, llen;	/* dlen: T's data part */
	struct ibv_mr *tmr, *lmr;
	uint64_t *words[NWORDS];	/* in T, after the data part */
	uint64_t *res;			/* atomic results, in L's tail */
};

static void ctx_init(struct ctx *c, struct rc_env *env, size_t dlen,
		     size_t llen)
{
	struct rc_cfg cfg;
	int i;

	memset(c, 0, sizeof(*c));
	c->env = env;
	rc_cfg_default(&cfg);
	rc_pair_create(&c->p, env, &cfg);
	c->adev = env->dev[0]->name;
	c->bdev = env->dev[1]->name;
	c->dlen = dlen;
	c->tlen = dlen + WORDS_LEN;
	c->llen = llen + PAGE;
	c->t = map_anon(c->tlen);
	c->l = map_anon(c->llen);
	c->tmr = reg_odp(c->p.b.pd, c->t, c->tlen);
	c->lmr = reg_odp(c->p.a.pd, c->l, c->llen);
	for (i = 0; i < NWORDS; i++)	/* odd offsets inside each page */
		c->words[i] = (uint64_t *)(c->t + dlen + i * PAGE +
					   (i * 520) % (PAGE - 8) / 8 * 8);
	c->res = (uint64_t *)(c->l + llen);
}

static void ctx_free(struct ctx *c)
{
	T_OK(ibv_dereg_mr(c->tmr));
	T_OK(ibv_dereg_mr(c->lmr));
	munmap(c->t, c->tlen);
	munmap(c->l, c->llen);
	rc_pair_destroy(&c->p);
}

static const char *qp_state_str(struct ibv_qp *qp)
{
	static const char *const names[] = {
		"RESET", "INIT", "RTR", "RTS", "SQD", "SQE", "ERR",
	};
	enum ibv_qp_state s = rc_qp_state(qp);

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* What a helper thread of the running case has to add to a failure. */
static void (*fail_extra)(char *buf, size_t len);

/* The state of everything after a failed operation, then fail. */
__attribute__((noreturn, format(printf, 2, 3)))
static void ctx_fail(struct ctx *c, const char *fmt, ...)
{
	static const char *const dev_cnt[] = {
		"odp_fault_errors", "odp_retries", "error_nak_sent",
		"rnr_nak_sent", "rnr_nak_received", "retransmits",
	};
	char msg[512], devs[512], extra[400] = "";
	struct snap t;
	size_t i, n = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A QP that died of retries: where is the peer's work item stuck? */
	rc_stall_dump("a failed operation");
	for (i = 0; i < sizeof(dev_cnt) / sizeof(dev_cnt[0]); i++)
		n += snprintf(devs + n, sizeof(devs) - n, " %s %lld",
			      dev_cnt[i], rc_hw_counter(c->bdev, dev_cnt[i]));
	if (fail_extra)
		fail_extra(extra, sizeof(extra));
	mr_snap(c->bdev, c->tmr, &t);
	rc_fail("%s; QP A %s, QP B %s; %s:%s; T's MR: faults %lld, retries "
		"%lld, fault_errors %lld, invalidations %lld (%lld pages), "
		"exclusive grants %lld, revocations %lld, fallbacks %lld%s%s",
		msg, qp_state_str(c->p.a.qp), qp_state_str(c->p.b.qp), c->bdev,
		devs, t.v[C_FAULTS], t.v[C_RETRIES], t.v[C_ERRORS],
		t.v[C_INVAL], t.v[C_PAGES_INVAL], t.v[C_GRANTS], t.v[C_REVOKED],
		t.v[C_FALLBACKS], *extra ? "; " : "", extra);
}

/*
 * RDMA WRITE (L -> T) or READ (T -> L) of [toff, toff + len) of T
 * from/to [loff, ...) of L, in CHUNK pieces, QDEPTH at a time.
 */
static void xfer(struct ctx *c, enum ibv_wr_opcode op, size_t loff,
		 size_t toff, size_t len)
{
	size_t n = (len + CHUNK - 1) / CHUNK, posted = 0, done = 0;
	struct ibv_wc wc[QDEPTH];
	int i, got;

	while (done < n) {
		while (posted < n && posted - done < QDEPTH) {
			size_t o = posted * CHUNK;
			struct ibv_sge sg = {
				.addr = (uintptr_t)c->l + loff + o,
				.length = len - o < CHUNK ? len - o : CHUNK,
				.lkey = c->lmr->lkey,
			};
			struct ibv_send_wr wr;

			rc_wr(&wr, &sg, 1, posted, op, IBV_SEND_SIGNALED);
			wr.wr.rdma.remote_addr = (uintptr_t)c->t + toff + o;
			wr.wr.rdma.rkey = c->tmr->rkey;
			rc_post_send(&c->p.a, &wr);
			posted++;
		}
		got = (int)(posted - done);
		rc_poll(c->p.a.scq, wc, got, op == IBV_WR_RDMA_READ ?
			"RDMA READs" : "RDMA WRITEs");
		for (i = 0; i < got; i++)
			if (wc[i].status != IBV_WC_SUCCESS)
				ctx_fail(c, "RDMA %s of %lu bytes at T+%llu "
					 "(of %zu at T+%zu): %s (vendor_err "
					 "0x%x)", op == IBV_WR_RDMA_READ ?
					 "READ" : "WRITE", CHUNK,
					 (unsigned long long)(toff + wc[i].wr_id *
							      CHUNK), len,
					 toff, ibv_wc_status_str(wc[i].status),
					 wc[i].vendor_err);
		done = posted;
	}
}

/*
 * One pass over T's data part with seed @seed, window by window through
 * L: the CPU writes L, the device WRITEs it to T, READs it back into L
 * (zeroed first), and the CPU checks every word.
 */
static void pass_write_read(struct ctx *c, uint32_t seed, const char *what)
{
	size_t win = c->llen - PAGE, off, n;
	char msg[160];

	for (off = 0; off < c->dlen; off += win) {
		n = c->dlen - off < win ? c->dlen - off : win;
		pat_fill(c->l, n, seed, off);
		xfer(c, IBV_WR_RDMA_WRITE, 0, off, n);
		memset(c->l, 0, n);
		xfer(c, IBV_WR_RDMA_READ, 0, off, n);
		snprintf(msg, sizeof(msg), "%s: READ back of T+%zu", what, off);
		pat_check(c->l, n, seed, off, msg);
	}
}

/* Device READs of T's data part, checked against what the CPU wrote. */
static void pass_read(struct ctx *c, uint32_t seed, const char *what)
{
	size_t win = c->llen - PAGE, off, n;
	char msg[160];

	for (off = 0; off < c->dlen; off += win) {
		n = c->dlen - off < win ? c->dlen - off : win;
		memset(c->l, 0, n);
		xfer(c, IBV_WR_RDMA_READ, 0, off, n);
		snprintf(msg, sizeof(msg), "%s: device READ of T+%zu", what,
			 off);
		pat_check(c->l, n, seed, off, msg);
	}
}

/* Device WRITEs of the whole data part, not read back. */
static void pass_write(struct ctx *c, uint32_t seed)
{
	size_t win = c->llen - PAGE, off, n;

	for (off = 0; off < c->dlen; off += win) {
		n = c->dlen - off < win ? c->dlen - off : win;
		pat_fill(c->l, n, seed, off);
		xfer(c, IBV_WR_RDMA_WRITE, 0, off, n);
	}
}

/* ---- atomics: the device's FETCH_ADD / CMP_SWAP and a CPU adder ---- */

struct atoms {
	uint64_t init[NWORDS];	/* before anything */
	uint64_t last[NWORDS];	/* the value after our last operation */
	long nfa[NWORDS], ncas[NWORDS], ncas_miss[NWORDS];
	long cpu[NWORDS];	/* the CPU adder's adds (read after join) */
	int nwords;
	int cpu_words;		/* words 0..cpu_words-1 are raced */
	volatile bool stop;
	pthread_t th;
	struct ctx *c;
};

static void *cpu_adder(void *arg)
{
	struct atoms *at = arg;
	int i = 0;

	while (!at->stop) {
		__atomic_fetch_add(at->c->words[i], 1, __ATOMIC_SEQ_CST);
		at->cpu[i]++;
		i = (i + 1) % at->cpu_words;
	}
	return NULL;
}

/* Set the words to @base + i and start the CPU adder on the first half. */
static void atoms_start(struct atoms *at, struct ctx *c, int nwords,
			bool keep_values)
{
	int i;

	memset(at, 0, sizeof(*at));
	at->c = c;
	at->nwords = nwords;
	at->cpu_words = nwords / 2;
	for (i = 0; i < nwords; i++) {
		if (!keep_values)
			*c->words[i] = 1000 * (uint64_t)i;
		at->init[i] = at->last[i] = *c->words[i];
	}
	T_CHECK(!pthread_create(&at->th, NULL, cpu_adder, at),
		"pthread_create: %s", strerror(errno));
}

/*
 * @rounds rounds of one device atomic per word (alternately FETCH_ADD and
 * CMP_SWAP), all words in flight at once.  Every value the device returns
 * must be at least what the word held after our previous operation on
 * it: nobody subtracts, so anything less is a lost update.
 */
static void atoms_rounds(struct atoms *at, int rounds)
{
	struct ctx *c = at->c;
	struct ibv_wc wc[NWORDS];
	int r, i;

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < at->nwords; i++) {
			bool cas = (r + i) & 1;
			struct ibv_sge sg = {
				.addr = (uintptr_t)&c->res[i], .length = 8,
				.lkey = c->lmr->lkey,
			};
			struct ibv_send_wr wr;

			c->res[i] = ~0ULL;
			rc_wr(&wr, &sg, 1, i, cas ? IBV_WR_ATOMIC_CMP_AND_SWP :
			      IBV_WR_ATOMIC_FETCH_AND_ADD, IBV_SEND_SIGNALED);
			wr.wr.atomic.remote_addr = (uintptr_t)c->words[i];
			wr.wr.atomic.rkey = c->tmr->rkey;
			wr.wr.atomic.compare_add = cas ? at->last[i] : FA_ADD;
			wr.wr.atomic.swap = at->last[i] + CAS_ADD;
			rc_post_send(&c->p.a, &wr);
		}
		rc_poll(c->p.a.scq, wc, at->nwords, "atomics");
		for (i = 0; i < at->nwords; i++) {
			int w = wc[i].wr_id;
			bool cas = (r + w) & 1;
			uint64_t orig = c->res[w];

			if (wc[i].status != IBV_WC_SUCCESS)
				ctx_fail(c, "%s on word %d (T+%zu), round %d: "
					 "%s (vendor_err 0x%x)",
					 cas ? "CMP_SWAP" : "FETCH_ADD", w,
					 (size_t)((uint8_t *)c->words[w] -
						  c->t), r,
					 ibv_wc_status_str(wc[i].status),
					 wc[i].vendor_err);
			if ((int64_t)(orig - at->last[w]) < 0)
				ctx_fail(c, "%s on word %d returned 0x%llx, "
					 "below 0x%llx it held after our last "
					 "operation: an update was lost",
					 cas ? "CMP_SWAP" : "FETCH_ADD", w,
					 (unsigned long long)orig,
					 (unsigned long long)at->last[w]);
			if (!cas) {
				at->nfa[w]++;
				at->last[w] = orig + FA_ADD;
			} else if (orig == at->last[w]) {
				at->ncas[w]++;
				at->last[w] = orig + CAS_ADD;
			} else {
				at->ncas_miss[w]++;
				at->last[w] = orig;
			}
		}
	}
}

/* Stop the CPU adder; every word holds exactly what was added. */
static void atoms_finish(struct atoms *at, const char *what)
{
	long fa = 0, cas = 0, miss = 0, cpu = 0;
	int i;

	at->stop = true;
	pthread_join(at->th, NULL);
	for (i = 0; i < at->nwords; i++) {
		uint64_t want = at->init[i] + at->cpu[i] +
				at->nfa[i] * FA_ADD + at->ncas[i] * CAS_ADD;

		if (*at->c->words[i] != want)
			ctx_fail(at->c, "%s: word %d is 0x%llx, expected "
				 "0x%llx (%ld CPU adds, %ld FETCH_ADDs, %ld "
				 "CMP_SWAPs that swapped)", what, i,
				 (unsigned long long)*at->c->words[i],
				 (unsigned long long)want, at->cpu[i],
				 at->nfa[i], at->ncas[i]);
		fa += at->nfa[i];
		cas += at->ncas[i];
		miss += at->ncas_miss[i];
		cpu += at->cpu[i];
	}
	rc_note("%s: words exact: %ld FETCH_ADDs, %ld CMP_SWAPs swapped, %ld "
		"missed (raced), %ld CPU adds on %d of %d words", what, fa,
		cas, miss, cpu, at->cpu_words, at->nwords);
	T_CHECK(cas > 0, "%s: no CMP_SWAP ever swapped", what);
	T_CHECK(cpu > 0, "%s: the CPU adder never ran", what);
}

/* ---- cgroups ---- */

struct cgroup {
	char path[512];
};

static void cg_need(void)
{
	char path[600];

	if (!cg_dir)
		rc_skip("no --cgroup", "needs a cgroup v2 directory with "
			"+memory in its cgroup.subtree_control");
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg_dir);
	{
		char buf[256];

		T_CHECK(rc_read_line(path, buf, sizeof(buf)), "%s: %s", path,
			strerror(errno));
		T_CHECK(strstr(buf, "memory"), "%s has no memory controller "
			"(\"%s\")", path, buf);
	}
}

/* A child cgroup NAME of --cgroup with memory.max and memory.swap.max. */
static void cg_make(struct cgroup *cg, const char *name, unsigned long max,
		    const char *swap_max)
{
	char path[600], val[32];

	snprintf(cg->path, sizeof(cg->path), "%s/%s", cg_dir, name);
	T_CHECK(!mkdir(cg->path, 0755) || errno == EEXIST, "mkdir %s: %s",
		cg->path, strerror(errno));
	snprintf(path, sizeof(path), "%s/memory.max", cg->path);
	snprintf(val, sizeof(val), "%lu", max);
	must_write(path, val);
	snprintf(path, sizeof(path), "%s/memory.swap.max", cg->path);
	must_write(path, swap_max);
}

static void cg_enter(const struct cgroup *cg, pid_t pid)
{
	char path[600], val[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg->path);
	snprintf(val, sizeof(val), "%d", (int)pid);
	must_write(path, val);
}

static long long cg_key(const struct cgroup *cg, const char *file,
			const char *key)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", cg->path, file);
	return read_key(path, key);
}

static long long cg_num(const struct cgroup *cg, const char *file)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", cg->path, file);
	return read_num(path);
}

/*
 * Remove CG once it is empty: a process killed in it leaves it populated
 * until its exit is complete, which closing its RDMA device can stretch.
 */
static void cg_remove(const struct cgroup *cg)
{
	uint64_t end = rc_now_ms() + 10000;
	long long populated;

	while ((populated = cg_key(cg, "cgroup.events", "populated")) > 0 &&
	       rc_now_ms() < end)
		rc_sleep_ms(100);
	T_CHECK(!rmdir(cg->path), "rmdir %s: %s (cgroup.events: populated "
		"%lld)", cg->path, strerror(errno), populated);
}

/* Back to --cgroup's parent (the hierarchy's root), and remove CG. */
static void cg_leave(const struct cgroup *cg)
{
	char path[600], dir[512], val[32];

	snprintf(dir, sizeof(dir), "%s", cg_dir);
	snprintf(path, sizeof(path), "%s/cgroup.procs", dirname(dir));
	snprintf(val, sizeof(val), "%d", (int)getpid());
	must_write(path, val);
	cg_remove(cg);
}

/* ---- a thread that keeps touching memory (reclaim pressure) ---- */

struct ballast {
	uint8_t *p;
	size_t len;
	long passes;
	volatile bool stop;
	pthread_t th;
};

static void *ballast_run(void *arg)
{
	struct ballast *b = arg;
	size_t off;

	while (!b->stop) {
		for (off = 0; off < b->len && !b->stop; off += PAGE)
			b->p[off]++;
		b->passes++;
	}
	return NULL;
}

static void ballast_start(struct ballast *b, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->len = len;
	b->p = map_anon(len);
	T_CHECK(!pthread_create(&b->th, NULL, ballast_run, b),
		"pthread_create: %s", strerror(errno));
}

static void ballast_stop(struct ballast *b)
{
	b->stop = true;
	pthread_join(b->th, NULL);
	munmap(b->p, b->len);
}

/* ---- reclaim ---- */

/*
 * The process lives in a cgroup with memory.max well below its ODP
 * working set (default 64 MiB of T plus 8 MiB of L, 24 MiB max) and swap:
 * the CPU's fill, the device's READs and WRITEs and the CPU's final check
 * each sweep T, so every page is swapped out and back between uses.  The
 * device's WRITEs must survive being swapped (the device wrote through a
 * kernel mapping; only the notifier's dirtying tells reclaim to write the
 * page out), and atomics on words whose pages are being reclaimed, raced
 * by a CPU adder, must come out exact.
 */
static void t_reclaim(struct rc_env *env, long arg)
{
	struct cgroup cg;
	struct ctx c;
	struct snap s0, s1, d;
	struct atoms at;
	struct ballast bl;
	long long sw0, sw;
	size_t swapped;
	uint64_t t0 = rc_now_ms();

	cg_need();
	if (!swap_active())
		rc_skip("no swap", "/proc/swaps lists no active swap area");
	cg_make(&cg, rc_test_name, limit_mib * MiB, "max");
	cg_enter(&cg, getpid());
	rc_note("in %s: memory.max %lu MiB, T %lu MiB + L 8 MiB, both ODP",
		cg.path, limit_mib, ws_mib);

	ctx_init(&c, env, ws_mib * MiB, 8 * MiB);
	mr_snap(c.bdev, c.tmr, &s0);
	sw0 = swapped_out();

	pat_fill(c.t, c.tlen, 1, 0);
	swapped = count_swapped(c.t, c.tlen);
	rc_note("CPU filled T: %zu of %zu pages of T in swap now (%.1f s)",
		swapped, c.tlen / PAGE, (rc_now_ms() - t0) / 1000.0);
	T_CHECK(swapped > 0, "nothing of T went to swap: memory.max does not "
		"bite (memory.current %lld)", cg_num(&cg, "memory.current"));

	if (arg & DATA) {
		/* the CPU's bytes, swapped out, faulted back by the device */
		pass_read(&c, 1, "CPU fill, swapped, device READ");
		/* the device's bytes, swapped out, read by device and CPU */
		pass_write(&c, 10);
		swapped = count_swapped(c.t, c.dlen);
		rc_note("device wrote T: %zu pages of T in swap (%.1f s)",
			swapped, (rc_now_ms() - t0) / 1000.0);
		T_CHECK(swapped > 0, "nothing the device wrote went to swap");
		pass_read(&c, 10, "device WRITE, swapped, device READ");
		pat_check(c.t, c.dlen, 10, 0, "device WRITE, swapped, CPU read");
		rc_note("data passes done (%.1f s)", (rc_now_ms() - t0) / 1000.0);
	}
	if (arg & ATOM) {
		/* atomics on pages that a ballast keeps pushing out */
		ballast_start(&bl, ws_mib * MiB / 2);
		atoms_start(&at, &c, NWORDS, false);
		atoms_rounds(&at, 150);
		atoms_finish(&at, "atomics under reclaim");
		ballast_stop(&bl);
		rc_note("ballast: %ld passes over %lu MiB (%.1f s)", bl.passes,
			ws_mib / 2, (rc_now_ms() - t0) / 1000.0);
		pat_check(c.t, c.dlen, arg & DATA ? 10 : 1, 0,
			  "T's data after the atomics");
	}

	sw = swapped_out() - sw0;
	mr_snap(c.bdev, c.tmr, &s1);
	d = snap_report("T's MR", &s0, &s1);
	rc_note("%lld pages swapped out system-wide; cgroup: memory.events "
		"max %lld oom_kill %lld, memory.swap.current %lld",
		sw, cg_key(&cg, "memory.events", "max"),
		cg_key(&cg, "memory.events", "oom_kill"),
		cg_num(&cg, "memory.swap.current"));
	T_CHECK(sw > 0, "no page was swapped out");
	T_CHECK(d.v[C_INVAL] > 0 && d.v[C_PAGES_INVAL] > 0,
		"reclaim invalidated nothing of T (%lld calls, %lld pages)",
		d.v[C_INVAL], d.v[C_PAGES_INVAL]);
	if (arg & DATA)
		T_CHECK(d.v[C_PAGES_INVAL] >= (long long)(c.dlen / PAGE),
			"only %lld pages of T invalidated; T has %zu and was "
			"swapped out whole several times", d.v[C_PAGES_INVAL],
			c.dlen / PAGE);
	if (arg & ATOM)
		check_atomic_path(&d, true);
	T_EQ(d.v[C_ERRORS], 0, "fault errors on T");
	T_EQ(cg_key(&cg, "memory.events", "oom_kill"), 0, "OOM kills");

	ctx_free(&c);
	cg_leave(&cg);
}

/* ---- oom ---- */

/*
 * The victim: ODP traffic sweeping an ever larger part of T, in a cgroup
 * without swap, until the OOM killer ends it.  Completion errors on the
 * way are printed (a fault that cannot be had while the cgroup is out of
 * memory may fail the operation) and the traffic stops; the victim then
 * keeps touching memory to be killed.
 */
static void oom_victim(const struct cgroup *cg)
{
	struct rc_env env;
	struct ctx c;
	size_t off, touch = 0;
	int i;

	rc_set_result_fd(-1);	/* not the runner's child: report to stderr */
	/*
	 * Completions slow to a crawl as the cgroup fills (every page the
	 * device writes waits for reclaim that finds less and less), and
	 * the end is the OOM kill: the victim never gives up by itself, the
	 * parent's limit judges a real stall and dumps it from outside the
	 * cgroup (a dump run from here would keep the cgroup populated).
	 */
	rc_opts.timeout_ms = 10 * 60 * 1000;
	unsetenv("RC_STALL_CMD");
	cg_enter(cg, getpid());
	rc_env_open(&env);
	ctx_init(&c, &env, 4 * ws_mib * MiB, 1 * MiB);
	pat_fill(c.l, 1 * MiB, 7, 0);
	for (i = 0;; i++) {
		struct ibv_wc wc[QDEPTH];
		size_t o = (size_t)i * QDEPTH * CHUNK % c.dlen;
		int k;

		for (k = 0; k < QDEPTH; k++) {
			struct ibv_sge sg = {
				.addr = (uintptr_t)c.l + k % 4 * CHUNK,
				.length = CHUNK, .lkey = c.lmr->lkey,
			};
			struct ibv_send_wr wr;

			rc_wr(&wr, &sg, 1, k, IBV_WR_RDMA_WRITE,
			      IBV_SEND_SIGNALED);
			wr.wr.rdma.remote_addr = (uintptr_t)c.t + o + k * CHUNK;
			wr.wr.rdma.rkey = c.tmr->rkey;
			rc_post_send(&c.p.a, &wr);
		}
		rc_poll(c.p.a.scq, wc, QDEPTH, "victim's WRITEs");
		for (k = 0; k < QDEPTH; k++)
			if (wc[k].status != IBV_WC_SUCCESS)
				break;
		if (k < QDEPTH) {
			fprintf(stderr, "victim: WRITE at T+%zu: %s before the "
				"OOM kill\n", o + wc[k].wr_id * CHUNK,
				ibv_wc_status_str(wc[k].status));
			break;
		}
		/* and the CPU's share, so the cgroup fills either way */
		for (off = 0; off < 4 * PAGE; off += PAGE, touch += PAGE)
			c.t[touch % c.dlen] = 1;
	}
	for (;;)
		for (off = 0; off < c.dlen; off += PAGE)
			c.t[off] = 2;
}

/* Is any MR of process @pid left in restrack? */
static bool mrs_of(pid_t pid)
{
	char cmd[128], buf[4096];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "rdma resource show mr pid %d 2>&1",
		 (int)pid);
	f = popen(cmd, "r");
	T_CHECK(f, "popen: %s", strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	pclose(f);
	return strstr(buf, "mrn") != NULL;
}

/*
 * A process with ODP traffic in flight is OOM-killed in a cgroup without
 * swap.  The OOM reaper unmaps its memory with a non-blocking notifier
 * call (the one caller that may find odp->lock taken and must be told to
 * come back), exit tears the rest down: the process must die, its MRs go,
 * and the device works for everyone else after.
 */
static void t_oom(struct rc_env *env, long arg)
{
	struct cgroup cg;
	struct rc_pair p;
	struct rc_cfg cfg;
	long long inv0, pinv0, kills;
	uint64_t end;
	pid_t pid;
	int st = 0, r;

	(void)arg;
	cg_need();
	cg_make(&cg, "oom", limit_mib * MiB, "0");
	inv0 = rc_hw_counter(env->dev[1]->name, "odp_invalidations");
	pinv0 = rc_hw_counter(env->dev[1]->name, "odp_pages_invalidated");
	fflush(stdout);
	pid = fork();
	T_CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		oom_victim(&cg);
		_exit(99);
	}
	end = rc_now_ms() + 60000;
	while (!(r = waitpid(pid, &st, WNOHANG)) && rc_now_ms() < end)
		rc_sleep_ms(50);
	if (!r) {
		char path[64], wchan[128] = "?";

		snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
		rc_read_line(path, wchan, sizeof(wchan));
		rc_stall_dump("the victim, alive after 60 s,");
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		rc_fail("the victim was not OOM-killed within 60 s (in %s; "
			"memory.events oom_kill %lld)", wchan,
			cg_key(&cg, "memory.events", "oom_kill"));
	}
	kills = cg_key(&cg, "memory.events", "oom_kill");
	T_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		"the victim ended with status 0x%x, not SIGKILL (oom_kill %lld)",
		st, kills);
	T_CHECK(kills >= 1, "the victim was killed, but memory.events says "
		"oom_kill %lld", kills);
	rc_note("victim OOM-killed (oom_kill %lld); device: %lld "
		"invalidations, %lld pages invalidated since it started",
		kills, rc_hw_counter(env->dev[1]->name, "odp_invalidations") -
		inv0, rc_hw_counter(env->dev[1]->name,
				    "odp_pages_invalidated") - pinv0);
	T_CHECK(rc_hw_counter(env->dev[1]->name, "odp_invalidations") > inv0,
		"the victim's exit invalidated nothing");
	end = rc_now_ms() + 30000;
	while (mrs_of(pid) && rc_now_ms() < end)
		rc_sleep_ms(200);
	T_CHECK(!mrs_of(pid), "the victim's MRs are still there 30 s after "
		"it died");
	cg_remove(&cg);

	rc_cfg_default(&cfg);
	rc_pair_create(&p, env, &cfg);
	rc_healthy_transfer(&p, "after the OOM kill");
	rc_pair_destroy(&p);
}

/* ---- migration ---- */

static int numa_nodes(void)
{
	char path[64];
	int n = 0;

	for (;;) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d",
			 n);
		if (access(path, F_OK))
			return n ? n : 1;
		n++;
	}
}

/*
 * A write to a sysfs file that may block for long, cut off after @ms.
 * Done by a shell started with posix_spawn(), not by a fork() of this
 * process: fork() copies the page tables of every buffer under test and
 * fails with ENOMEM when the memory being offlined is what it needs.
 * Return: 0, the write's errno (from the shell's status), ETIMEDOUT.
 */
static int write_with_timeout(const char *path, const char *val, int ms)
{
	uint64_t end = rc_now_ms() + ms;
	char script[512];
	char *argv[] = { "sh", "-c", script, NULL };
	int st = 0, r, err;
	pid_t pid;

	/* sh reports a failed redirection write as status 1; errno is lost */
	snprintf(script, sizeof(script), "echo %s > %s", val, path);
	err = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
	T_CHECK(!err, "posix_spawn: %s", strerror(err));
	while (!(r = waitpid(pid, &st, WNOHANG)) && rc_now_ms() < end)
		rc_sleep_ms(20);
	if (!r) {
		kill(pid, SIGKILL);	/* offline_pages() gives up on a signal */
		waitpid(pid, &st, 0);
		return ETIMEDOUT;
	}
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : EBUSY;
}

struct mover {
	struct ctx *c;
	volatile bool stop;
	pthread_t th;
	int nodes;
	long steps[3];		/* move_pages, compaction, offline */
	long moved[3];		/* pages whose frame changed, per way */
	long mp_done;		/* pages move_pages reported on a new node */
	long off_ok, off_busy;	/* memory blocks offlined / refused */
	long refused[64];	/* blocks not to try again (each refusal */
	int nrefused;		/* dumps a page to the kernel log) */
	int last_err;
};

static struct mover *the_mover;

static void mover_extra(char *buf, size_t len)
{
	struct mover *m = the_mover;

	snprintf(buf, len, "mover so far: %ld move_pages calls (%ld frames "
		 "changed), %ld compactions (%ld), %ld offline rounds (%ld; "
		 "%ld blocks offlined, %ld refused)", m->steps[0], m->moved[0],
		 m->steps[1], m->moved[1], m->steps[2], m->moved[2], m->off_ok,
		 m->off_busy);
}

static void frames(struct ctx *c, uint64_t *out)
{
	size_t i, n = c->tlen / PAGE;

	pagemap(c->t, n, out);
	for (i = 0; i < n; i++)
		out[i] = pfn_of(out[i]);
}

/* Offline and online again every memory block holding a page of T. */
static void offline_blocks(struct mover *m, const uint64_t *pfn, size_t n)
{
	char path[128], buf[64];
	unsigned long long bsz;
	long last = -1;
	size_t i;
	int tried = 0, j;

	if (!rc_read_line("/sys/devices/system/memory/block_size_bytes", buf,
		      sizeof(buf)))
		return;
	bsz = strtoull(buf, NULL, 16);
	if (!bsz)
		return;
	for (i = 0; i < n && !m->stop; i++) {
		long blk;
		int err;

		if (!pfn[i])
			continue;
		blk = pfn[i] * PAGE / bsz;
		if (blk == last)
			continue;
		last = blk;
		for (j = 0; j < m->nrefused && m->refused[j] != blk; j++)
			;
		if (j < m->nrefused)
			continue;
		if (tried++ == 2)	/* a few blocks per step: it is slow */
			break;
		snprintf(path, sizeof(path),
			 "/sys/devices/system/memory/memory%ld/state", blk);
		err = write_with_timeout(path, "offline", 3000);
		if (err) {
			m->off_busy++;
			m->last_err = err;
			if (m->nrefused < 64)
				m->refused[m->nrefused++] = blk;
			continue;
		}
		m->off_ok++;
		/* a block left offline would shrink the guest for good */
		err = write_with_timeout(path, "online", 10000);
		if (err)
			err = write_with_timeout(path, "online", 10000);
		if (err) {
			fprintf(stderr, "memory block %ld stays offline: %s\n",
				blk, strerror(err));
			m->last_err = err;
		}
	}
}

static void *mover_run(void *arg)
{
	struct mover *m = arg;
	struct ctx *c = m->c;
	size_t n = c->tlen / PAGE, i;
	uint64_t *a = calloc(n, 8), *b = calloc(n, 8);
	void **pages = calloc(n, sizeof(void *));
	int *nodes = calloc(n, sizeof(int)), *status = calloc(n, sizeof(int));
	int step = 0;

	if (!a || !b || !pages || !nodes || !status) {
		m->last_err = ENOMEM;
		return NULL;
	}
	for (i = 0; i < n; i++)
		pages[i] = c->t + i * PAGE;
	while (!m->stop) {
		int way = step++ % 3;

		frames(c, a);
		if (way == 0) {
			int to = (step / 3) % m->nodes;

			for (i = 0; i < n; i++)
				nodes[i] = to;
			if (syscall(SYS_move_pages, 0, n, pages, nodes, status,
				    MPOL_MF_MOVE) < 0)
				m->last_err = errno;
			for (i = 0; i < n; i++)
				m->mp_done += status[i] == to &&
					      m->nodes > 1;
		} else if (way == 1) {
			if (!write_file("/proc/sys/vm/compact_memory", "1"))
				m->last_err = errno;
		} else {
			offline_blocks(m, a, n);
		}
		m->steps[way]++;
		frames(c, b);
		for (i = 0; i < n; i++)
			m->moved[way] += a[i] && b[i] && a[i] != b[i];
		rc_sleep_ms(50);
	}
	free(a);
	free(b);
	free(pages);
	free(nodes);
	free(status);
	return NULL;
}

/*
 * The kernel moves T's pages to new frames while WRITE/READ passes and
 * raced atomics run: move_pages(2) to the other node (one node: to the
 * same node, which the kernel skips, counted as such), full compaction,
 * and offlining (then onlining) the memory blocks that hold T.  Frames
 * are compared before and after each step in /proc/self/pagemap.
 */
static void t_migration(struct rc_env *env, long arg)
{
	struct mover m = {};
	struct ctx c;
	struct snap s0, s1, d;
	struct atoms at;
	uint64_t end;
	long total;
	int rounds = 0;

	T_CHECK(geteuid() == 0, "needs root (PFNs in pagemap, compaction)");
	ctx_init(&c, env, 4 * MiB, 1 * MiB);
	pat_fill(c.t, c.dlen, 3, 0);
	pass_read(&c, 3, "before moving");
	mr_snap(c.bdev, c.tmr, &s0);

	m.c = &c;
	m.nodes = numa_nodes();
	the_mover = &m;
	fail_extra = mover_extra;
	if (arg & ATOM)
		atoms_start(&at, &c, NWORDS, false);
	T_CHECK(!pthread_create(&m.th, NULL, mover_run, &m),
		"pthread_create: %s", strerror(errno));
	end = rc_now_ms() + run_s * 1000ULL;
	while (rounds < 2 || rc_now_ms() < end) {
		if (arg & DATA)
			pass_write_read(&c, 100 + rounds, "while pages move");
		if (arg & ATOM)
			atoms_rounds(&at, 20);
		rounds++;
	}
	m.stop = true;
	pthread_join(m.th, NULL);
	fail_extra = NULL;
	if (arg & ATOM)
		atoms_finish(&at, "atomics while pages move");
	pat_check(c.t, c.dlen, arg & DATA ? 100 + rounds - 1 : 3, 0,
		  "T after moving");

	mr_snap(c.bdev, c.tmr, &s1);
	d = snap_report("T's MR", &s0, &s1);
	total = m.moved[0] + m.moved[1] + m.moved[2];
	rc_note("%d passes; %d NUMA node(s); frames changed: move_pages %ld "
		"(%ld calls, %ld pages reported on the target node%s), "
		"compaction %ld (%ld runs), memory-block offline %ld (%ld "
		"blocks offlined, %ld refused); last error: %s", rounds,
		m.nodes, m.moved[0], m.steps[0], m.mp_done,
		m.nodes == 1 ? ": one node, move_pages to the same node is "
		"a no-op" : "", m.moved[1], m.steps[1], m.moved[2], m.off_ok,
		m.off_busy, m.last_err ? strerror(m.last_err) : "none");
	/*
	 * On a one-node guest only compaction and offlining can move pages,
	 * and neither is bound to pick T's (offlining is often refused,
	 * device-exclusive pages are hard to migrate): a run that moved
	 * nothing checked the data and atomics but not migration.  It is a
	 * skip, shown with its reason, not a pass.
	 */
	if (!total)
		rc_skip("premise not met", "no page of T changed frame in %d "
			"passes: nothing was migrated (data and atomics were "
			"exact)", rounds);
	T_CHECK(m.nodes == 1 || m.moved[0] > 0, "move_pages between %d "
		"nodes moved no page of T", m.nodes);
	T_CHECK(d.v[C_INVAL] > 0 && d.v[C_PAGES_INVAL] > 0,
		"%ld pages migrated but T's MR saw %lld invalidations, %lld "
		"pages", total, d.v[C_INVAL], d.v[C_PAGES_INVAL]);
	if (arg & ATOM)
		check_atomic_path(&d, true);
	T_EQ(d.v[C_ERRORS], 0, "fault errors on T");
	ctx_free(&c);
}

/* ---- pageout ---- */

struct pager {
	struct ctx *c;
	volatile bool stop;
	pthread_t th;
	long calls, errs;
	int last_err;
};

static void *pager_run(void *arg)
{
	struct pager *pg = arg;
	struct ctx *c = pg->c;
	size_t half = c->tlen / 2 / PAGE * PAGE;

	while (!pg->stop) {
		/* the second half cold first, the way kswapd would age it */
		if (madvise(c->t + half, c->tlen - half, MADV_COLD) ||
		    madvise(c->t, c->tlen, MADV_PAGEOUT)) {
			pg->errs++;
			pg->last_err = errno;
		}
		pg->calls++;
		rc_sleep_ms(20);
	}
	return NULL;
}

/*
 * A thread keeps paging T out (MADV_COLD, MADV_PAGEOUT) to swap while
 * WRITE/READ passes and raced atomics run on it.
 */
static void t_pageout(struct rc_env *env, long arg)
{
	struct pager pg = {};
	struct ctx c;
	struct snap s0, s1, d;
	struct atoms at;
	long long sw0, sw;
	size_t swapped, max_swapped = 0;
	uint64_t end;
	int rounds = 0;

	if (!swap_active())
		rc_skip("no swap", "/proc/swaps lists no active swap area");
	ctx_init(&c, env, 4 * MiB, 1 * MiB);
	pat_fill(c.t, c.dlen, 5, 0);
	mr_snap(c.bdev, c.tmr, &s0);
	sw0 = swapped_out();
	pg.c = &c;
	if (arg & ATOM)
		atoms_start(&at, &c, NWORDS, false);
	T_CHECK(!pthread_create(&pg.th, NULL, pager_run, &pg),
		"pthread_create: %s", strerror(errno));
	end = rc_now_ms() + run_s * 1000ULL;
	while (rounds < 2 || rc_now_ms() < end) {
		swapped = count_swapped(c.t, c.tlen);
		if (swapped > max_swapped)
			max_swapped = swapped;
		if (arg & DATA) {
			pass_read(&c, rounds ? 200 + rounds - 1 : 5,
				  "paged out, device READ");
			pass_write_read(&c, 200 + rounds, "while paged out");
		}
		if (arg & ATOM)
			atoms_rounds(&at, 20);
		rounds++;
	}
	pg.stop = true;
	pthread_join(pg.th, NULL);
	if (arg & ATOM)
		atoms_finish(&at, "atomics while paged out");
	pat_check(c.t, c.dlen, arg & DATA ? 200 + rounds - 1 : 5, 0,
		  "T after paging out");

	sw = swapped_out() - sw0;
	mr_snap(c.bdev, c.tmr, &s1);
	d = snap_report("T's MR", &s0, &s1);
	rc_note("%d passes, %ld madvise rounds (%ld failed, %s); at most %zu "
		"of %zu pages of T seen in swap; %lld pages swapped out "
		"system-wide", rounds, pg.calls, pg.errs,
		pg.last_err ? strerror(pg.last_err) : "no error", max_swapped,
		c.tlen / PAGE, sw);
	T_EQ(pg.errs, 0, "failed madvise calls");
	T_CHECK(sw > 0 && max_swapped > 0, "nothing went to swap");
	T_CHECK(d.v[C_INVAL] > 0 && d.v[C_PAGES_INVAL] > 0,
		"paging out invalidated nothing of T (%lld calls, %lld pages)",
		d.v[C_INVAL], d.v[C_PAGES_INVAL]);
	if (arg & ATOM)
		check_atomic_path(&d, true);
	T_EQ(d.v[C_ERRORS], 0, "fault errors on T");
	ctx_free(&c);
}

/* ---- ksm ---- */

#define KSM "/sys/kernel/mm/ksm/"

static const char *const ksm_knobs[] = {
	"run", "pages_to_scan", "sleep_millisecs", "smart_scan",
};
#define NKNOBS ((int)(sizeof(ksm_knobs) / sizeof(ksm_knobs[0])))

struct ksm_saved {
	char v[NKNOBS][32];
	bool have[NKNOBS];
};

static void ksm_save(struct ksm_saved *s)
{
	char path[128];
	int i;

	for (i = 0; i < NKNOBS; i++) {
		snprintf(path, sizeof(path), KSM "%s", ksm_knobs[i]);
		s->have[i] = rc_read_line(path, s->v[i], sizeof(s->v[i]));
	}
}

static void ksm_restore(const struct ksm_saved *s)
{
	char path[128];
	int i;

	/* run first: the others may not change while ksmd runs */
	for (i = 0; i < NKNOBS; i++) {
		if (!s->have[i])
			continue;
		snprintf(path, sizeof(path), KSM "%s", ksm_knobs[i]);
		if (!write_file(path, s->v[i]))
			rc_note("could not restore %s to %s: %s", path,
				s->v[i], strerror(errno));
	}
}

static void ksm_set(const char *knob, const char *val, bool optional)
{
	char path[128];

	snprintf(path, sizeof(path), KSM "%s", knob);
	if (optional && access(path, F_OK))
		return;
	must_write(path, val);
}

/* Pages i of @x and @y that share one frame. */
static size_t ksm_shared(const uint8_t *x, const uint8_t *y, size_t n,
			 bool *merged)
{
	uint64_t *a = calloc(n, 8), *b = calloc(n, 8);
	size_t i, c = 0;

	T_CHECK(a && b, "out of memory");
	pagemap(x, n, a);
	pagemap(y, n, b);
	for (i = 0; i < n; i++) {
		bool m = pfn_of(a[i]) && pfn_of(a[i]) == pfn_of(b[i]);

		if (merged)
			merged[i] = m;
		c += m;
	}
	free(a);
	free(b);
	return c;
}

/*
 * Twins X and Y (MADV_MERGEABLE, the same pattern).  The device first
 * writes X (the same bytes) so it holds writable entries, then ksmd
 * merges X's pages with Y's: those entries must go.  Then, on merged
 * pages: device READs of X and of Y (which must not unmerge anything);
 * 104-byte device WRITEs into the middle of X's pages (must unmerge: Y
 * keeps its bytes, and X the rest of its page); atomics on X's merged
 * pages, half of them raced by a CPU adder.  Y never changes.
 */
static void t_ksm(struct rc_env *env, long arg)
{
	const size_t npg = 256, len = npg * PAGE, woff = 1000, wlen = 104;
	struct ksm_saved saved;
	struct rc_cfg cfg;
	struct snap s0, s1, s2, d;
	struct ibv_mr *xmr, *ymr;
	uint8_t *x, *y;
	bool *merged;
	size_t n, i, nw = 0, nx = 0, *wpg;
	uint64_t end;
	struct ctx c;
	struct atoms at;

	if (access(KSM "run", W_OK))
		rc_skip("no KSM", KSM "run is not writable: %s",
			strerror(errno));
	/* the usual ctx, its T being X (its atomic words placed below) */
	memset(&c, 0, sizeof(c));
	c.env = env;
	rc_cfg_default(&cfg);
	rc_pair_create(&c.p, env, &cfg);
	c.adev = env->dev[0]->name;
	c.bdev = env->dev[1]->name;
	c.tlen = c.dlen = len;
	c.llen = len + PAGE;
	x = c.t = map_anon(len);
	y = map_anon(len);
	c.l = map_anon(c.llen);
	c.res = (uint64_t *)(c.l + len);
	merged = calloc(npg, sizeof(bool));
	wpg = calloc(npg, sizeof(size_t));
	T_CHECK(merged && wpg, "out of memory");
	T_CHECK(!madvise(x, len, MADV_MERGEABLE) &&
		!madvise(y, len, MADV_MERGEABLE), "MADV_MERGEABLE: %s",
		strerror(errno));
	pat_fill(x, len, 9, 0);
	pat_fill(y, len, 9, 0);
	xmr = c.tmr = reg_odp(c.p.b.pd, x, len);
	ymr = reg_odp(c.p.b.pd, y, len);
	c.lmr = reg_odp(c.p.a.pd, c.l, c.llen);

	pass_write_read(&c, 9, "X before merging");
	mr_snap(c.bdev, xmr, &s0);

	ksm_save(&saved);
	ksm_set("run", "0", false);
	ksm_set("smart_scan", "0", true);	/* every page, every scan */
	ksm_set("pages_to_scan", "10000", false);
	ksm_set("sleep_millisecs", "0", false);
	ksm_set("run", "1", false);
	end = rc_now_ms() + 60000;
	while (ksm_shared(x, y, npg, NULL) < npg / 2 && rc_now_ms() < end)
		rc_sleep_ms(200);
	/* stop ksmd: what is merged stays merged, nothing new merges */
	ksm_set("run", "0", false);
	n = ksm_shared(x, y, npg, merged);
	rc_note("%zu of %zu page pairs merged (pages_sharing %lld, "
		"full_scans %lld)", n, npg, read_num(KSM "pages_sharing"),
		read_num(KSM "full_scans"));
	if (n < npg / 2) {
		ksm_restore(&saved);
		rc_fail("ksmd merged %zu of %zu page pairs in 60 s", n, npg);
	}
	T_CHECK(read_num(KSM "pages_sharing") > 0, "pages_sharing is 0 with "
		"%zu pairs sharing a frame", n);
	mr_snap(c.bdev, xmr, &s1);
	d = snap_report("X's MR, merging", &s0, &s1);
	T_CHECK(d.v[C_INVAL] > 0 && d.v[C_PAGES_INVAL] > 0,
		"merging X's pages invalidated nothing (%lld calls, %lld "
		"pages)", d.v[C_INVAL], d.v[C_PAGES_INVAL]);

	/* device READs of merged pages, through both twins' MRs */
	pass_read(&c, 9, "X merged");
	c.t = y;
	c.tmr = ymr;
	pass_read(&c, 9, "Y merged");
	c.t = x;
	c.tmr = xmr;
	T_EQ(ksm_shared(x, y, npg, NULL), n, "pairs still merged after "
	     "device READs");

	/* merged pages alternate: a WRITE into one, an atomic on the next */
	pat_fill(c.l, wlen, 77, 0);
	for (i = 0; i < npg; i++) {
		struct ibv_sge sg = {
			.addr = (uintptr_t)c.l, .length = wlen,
			.lkey = c.lmr->lkey,
		};
		struct ibv_send_wr wr;
		struct ibv_wc wc;

		if (!merged[i])
			continue;
		if (!(arg & DATA) && nw >= NWORDS)
			break;
		if (arg & ATOM && nw < NWORDS && (nx > nw || !(arg & DATA))) {
			c.words[nw] = (uint64_t *)(x + i * PAGE + 8 * (nw + 3));
			nw++;
			continue;
		}
		rc_wr(&wr, &sg, 1, i, IBV_WR_RDMA_WRITE, IBV_SEND_SIGNALED);
		wr.wr.rdma.remote_addr = (uintptr_t)x + i * PAGE + woff;
		wr.wr.rdma.rkey = xmr->rkey;
		rc_post_send(&c.p.a, &wr);
		rc_poll(c.p.a.scq, &wc, 1, "a WRITE into a merged page");
		if (wc.status != IBV_WC_SUCCESS)
			ctx_fail(&c, "WRITE into merged page %zu: %s (vendor_err "
				 "0x%x)", i, ibv_wc_status_str(wc.status),
				 wc.vendor_err);
		wpg[nx++] = i;
	}
	if (arg & ATOM)
		T_CHECK(nw >= 4, "only %zu merged pages for atomics", nw);
	for (i = 0; i < nx; i++) {
		uint8_t *pg = x + wpg[i] * PAGE;
		char what[96];

		snprintf(what, sizeof(what), "X page %zu after a WRITE into it",
			 wpg[i]);
		pat_check(pg, woff, 9, wpg[i] * PAGE, what);
		pat_check(pg + woff, wlen, 77, 0, what);
		pat_check(pg + woff + wlen, PAGE - woff - wlen, 9,
			  wpg[i] * PAGE + woff + wlen, what);
	}
	pat_check(y, len, 9, 0, "Y (the twin) after WRITEs into X");
	if (arg & DATA)
		rc_note("%zu device WRITEs into merged pages of X; Y unchanged",
			nx);

	if (arg & ATOM) {
		/* atomics on merged pages, the first half raced by the CPU */
		atoms_start(&at, &c, nw, true);
		atoms_rounds(&at, 60);
		atoms_finish(&at, "atomics on merged pages");
		pat_check(y, len, 9, 0, "Y (the twin) after atomics on X");
	}
	c.t = y;
	c.tmr = ymr;
	pass_read(&c, 9, "Y by the device after everything");
	c.t = x;
	c.tmr = xmr;
	T_EQ(ksm_shared(x, y, npg, NULL), n - nx - nw,
	     "pairs still merged after WRITEs and atomics into X");

	mr_snap(c.bdev, xmr, &s2);
	d = snap_report("X's MR, WRITEs and atomics on merged pages", &s1,
			&s2);
	T_CHECK(d.v[C_PAGES_INVAL] >= (long long)(nx + nw), "%lld pages "
		"invalidated for %zu pages unmerged", d.v[C_PAGES_INVAL],
		nx + nw);
	if (arg & ATOM)
		check_atomic_path(&d, false);
	else
		T_EQ(d.v[C_FALLBACKS], 0, "fallback atomics without atomics");
	if ((arg & ATOM) && rc_odp_exclusive())
		T_EQ(d.v[C_FALLBACKS], 0, "fallback atomics on (unmerged) "
		     "anonymous pages");
	T_EQ(s2.v[C_ERRORS], 0, "fault errors on X");
	ksm_restore(&saved);

	T_OK(ibv_dereg_mr(ymr));
	munmap(y, len);
	free(merged);
	free(wpg);
	ctx_free(&c);
}

/* ---- atomics that must break copy-on-write ---- */

/*
 * One FETCH_ADD from A on @w (in T), which must succeed and return @old.
 */
static void one_fetch_add(struct ctx *c, uint64_t *w, uint64_t old,
			  const char *what)
{
	struct ibv_sge sg = {
		.addr = (uintptr_t)c->res, .length = 8, .lkey = c->lmr->lkey,
	};
	struct ibv_send_wr wr;
	struct ibv_wc wc;

	rc_wr(&wr, &sg, 1, 0xa7, IBV_WR_ATOMIC_FETCH_AND_ADD,
	      IBV_SEND_SIGNALED);
	wr.wr.atomic.remote_addr = (uintptr_t)w;
	wr.wr.atomic.rkey = c->tmr->rkey;
	wr.wr.atomic.compare_add = 5;
	rc_post_send(&c->p.a, &wr);
	rc_poll(c->p.a.scq, &wc, 1, what);
	if (wc.status != IBV_WC_SUCCESS)
		ctx_fail(c, "%s: FETCH_ADD: %s (vendor_err 0x%x)", what,
			 ibv_wc_status_str(wc.status), wc.vendor_err);
	T_EQ(*c->res, old, "the value FETCH_ADD returned");
	T_EQ(*w, old + 5, "the word after FETCH_ADD");
}

/*
 * An RDMA atomic on a page that is mapped but not writable, so that
 * making it device-exclusive has to break copy-on-write first (the
 * kernel replaces the page, and tells the notifier): the shared zero
 * page after a device READ (arg 0) or a CPU read (1) of untouched
 * memory, and a page shared with a child after fork (2).  KSM pages are
 * the same case (see ksm).
 */
static void t_cow_atomic(struct rc_env *env, long arg)
{
	struct snap s0, s1, d;
	struct ctx c;
	uint64_t *w;
	int fds[2], st;
	pid_t pid = 0;
	char ok;

	ctx_init(&c, env, 4 * PAGE, PAGE);
	w = (uint64_t *)(c.t + PAGE + 64);
	mr_snap(c.bdev, c.tmr, &s0);
	if (arg == 0) {
		xfer(&c, IBV_WR_RDMA_READ, 0, PAGE, 64);
		T_CHECK(c.l[0] == 0, "READ of untouched memory gave 0x%02x",
			c.l[0]);
		one_fetch_add(&c, w, 0, "atomic on the zero page (device READ)");
	} else if (arg == 1) {
		T_EQ(*(volatile uint64_t *)w, 0, "untouched memory");
		one_fetch_add(&c, w, 0, "atomic on the zero page (CPU read)");
	} else {
		*w = 1234;
		one_fetch_add(&c, w, 1234, "atomic before fork");
		T_CHECK(!pipe(fds), "pipe: %s", strerror(errno));
		fflush(stdout);
		pid = fork();
		T_CHECK(pid >= 0, "fork: %s", strerror(errno));
		if (!pid) {	/* the child keeps its copy: 1239 */
			close(fds[1]);
			while (read(fds[0], &ok, 1) < 0 && errno == EINTR)
				;
			_exit(*w == 1239 ? 0 : 1);
		}
		close(fds[0]);
		one_fetch_add(&c, w, 1239, "atomic on a page shared with a "
			      "child after fork");
		close(fds[1]);
		T_CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s",
			strerror(errno));
		T_CHECK(WIFEXITED(st) && !WEXITSTATUS(st), "the child's copy "
			"of the word changed (status 0x%x)", st);
	}
	mr_snap(c.bdev, c.tmr, &s1);
	d = snap_report("T's MR", &s0, &s1);
	check_atomic_path(&d, false);
	ctx_free(&c);
}

static const struct rc_test tests[] = {
	{ "reclaim-data", t_reclaim, DATA },
	{ "reclaim-atomic", t_reclaim, ATOM },
	{ "pageout-data", t_pageout, DATA },
	{ "pageout-atomic", t_pageout, ATOM },
	{ "migration-data", t_migration, DATA },
	{ "migration-atomic", t_migration, ATOM },
	{ "ksm-data", t_ksm, DATA },
	{ "ksm-atomic", t_ksm, ATOM },
	{ "oom", t_oom, 0 },
	{ "cow-atomic-zero-dev", t_cow_atomic, 0 },
	{ "cow-atomic-zero-cpu", t_cow_atomic, 1 },
	{ "cow-atomic-fork", t_cow_atomic, 2 },
};
#define NTESTS ((int)(sizeof(tests) / sizeof(tests[0])))

static void usage(FILE *f)
{
	fprintf(f, "usage: odp_pressure -d DEV [-D DEV2] [-t PATTERN[,...]] "
		"[-l] [-v] [--cgroup DIR] [--mib N] [--limit-mib N] "
		"[--seconds N] [--time-limit S] [--wait S]\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "cgroup", required_argument, NULL, 'C' },
		{ "mib", required_argument, NULL, 'M' },
		{ "limit-mib", required_argument, NULL, 'L' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "time-limit", required_argument, NULL, 'H' },
		{ "wait", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *patterns = NULL;
	bool list = false;
	int c, i;

	rc_opts.hard_limit_s = 240;
	while ((c = getopt_long(argc, argv, "d:D:t:lvh", lopts, NULL)) != -1) {
		switch (c) {
		case 'd': rc_opts.dev[0] = optarg; break;
		case 'D': rc_opts.dev[1] = optarg; break;
		case 't': patterns = optarg; break;
		case 'l': list = true; break;
		case 'v': rc_opts.verbose = true; break;
		case 'C': cg_dir = optarg; break;
		case 'M': ws_mib = strtoul(optarg, NULL, 0); break;
		case 'L': limit_mib = strtoul(optarg, NULL, 0); break;
		case 'S': run_s = atoi(optarg); break;
		case 'H': rc_opts.hard_limit_s = atoi(optarg); break;
		case 'W': rc_opts.timeout_ms = atoi(optarg) * 1000; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (list) {
		for (i = 0; i < NTESTS; i++)
			if (rc_selected(tests[i].name, patterns))
				printf("%s\n", tests[i].name);
		return 0;
	}
	if (!rc_opts.dev[0] || optind != argc || !ws_mib || !limit_mib) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	return rc_run_tests("odp_pressure", tests, NTESTS, patterns, NULL);
}
