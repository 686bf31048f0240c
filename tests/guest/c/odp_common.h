/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Helpers shared by the odp test program's files (odp.c, odp_kinds.c,
 * odp_kmem.c): mappings, ODP registrations, counters (device and per-MR
 * through restrack), data patterns, single RDMA operations and atomics
 * with their completion status, QP pairs.  Like rc_common's helpers, they
 * fail the running test instead of returning errors.
 */
#ifndef SODP_ODP_COMMON_H
#define SODP_ODP_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#include "rc_common.h"

#define KiB 1024UL
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)
#define PAGE 4096UL
#define HUGE (2 * MiB)

void *map_anon(size_t len, int extra);
void *map_memfd(const char *name, size_t len);
void *map_aligned(size_t len, size_t align);
void *map_fixed(void *addr, size_t len);
long long vmstat(const char *name);
bool write_str(const char *path, const char *val);
long long smaps_kb(const void *addr, const char *field);
void thp_require(const void *t, size_t len, long long fallback0);
uint8_t *map_thp(size_t len);
struct ibv_mr *reg_odp(struct ibv_pd *pd, void *p, size_t len);
struct ibv_mr *reg_implicit(struct ibv_pd *pd);
long long counter(const struct rc_dev *d, const char *name);
long resident(void *p, size_t len);
void mr_entry(const struct rc_dev *d, const struct ibv_mr *mr, char *obj,
	      size_t len);
long long mr_cnt(const char *obj, const char *name);
void fill(void *p, size_t len, uint32_t seed);
long long check_off(const void *p, size_t len, uint32_t seed, size_t off);
long long check(const void *p, size_t len, uint32_t seed);
bool all_zero(const void *p, size_t len);
enum ibv_wc_status rdma(struct rc_pair *p, enum ibv_wr_opcode op,
			struct ibv_mr *lmr, void *l, uint32_t len,
			struct ibv_mr *rmr, void *r);
void rdma_ok(struct rc_pair *p, enum ibv_wr_opcode op, struct ibv_mr *lmr,
	     void *l, uint32_t len, struct ibv_mr *rmr, void *r,
	     const char *what);
void rdma_fails(struct rc_pair *p, enum ibv_wr_opcode op, struct ibv_mr *lmr,
		void *l, uint32_t len, struct ibv_mr *rmr, void *r,
		enum ibv_wc_status want, const char *what);
enum ibv_wc_status atomic_st(struct rc_pair *p, bool cas, struct ibv_mr *lmr,
			     uint64_t *l, struct ibv_mr *rmr, uint64_t *r,
			     uint64_t compare_add, uint64_t swap);
uint64_t atomic_op(struct rc_pair *p, bool cas, struct ibv_mr *lmr, uint64_t *l,
		   struct ibv_mr *rmr, uint64_t *r, uint64_t compare_add,
		   uint64_t swap);
void new_pair(struct rc_pair *p, struct rc_env *env);
void new_qp(const struct rc_pair *p, struct rc_ep *e);
void renew_qps(struct rc_pair *p);
void twin_qps(const struct rc_pair *p, struct rc_pair *q);
void twin_destroy(struct rc_pair *q);

/* Bytes [0, len) of p are the pattern SEED, or the test fails. */
#define T_PATTERN(p, len, seed, what)                                        \
	do {                                                                 \
		long long _at = check((p), (len), (seed));                   \
		if (_at >= 0)                                                \
			rc_fail("%s: byte %lld differs (0x%02x, expected "   \
				"0x%02x)", (what), _at,                      \
				((const uint8_t *)(p))[_at],                 \
				rc_pat((seed), _at));                        \
	} while (0)

#endif
