/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* RDMA atomics on ODP memory per kind of page: see odp_kinds.c. */
#ifndef SODP_ODP_KINDS_H
#define SODP_ODP_KINDS_H

struct rc_env;

enum {
	AK_ANON, AK_ZERO, AK_THP, AK_THP_SPLIT_DONTNEED,
	AK_THP_SPLIT_MPROTECT, AK_FORK, AK_KSM, AK_MPROTECT, AK_NUMA,
	AK_TWO_MRS, AK_TWO_MRS_IMPLICIT, AK_TWO_DEVS, AK_NKINDS
};

extern int odp_atomic_n;		/* --atomic-n */
extern const char *odp_other_dev;	/* -X */

const char *odp_kind_name(int kind);
/* One kind (the test's arg), all three checks. */
void t_kind(struct rc_env *env, long kind);

/* odp_kmem.c: kernel memory cost of huge sparse ODP ranges. */
void t_kmem_advise(struct rc_env *env, long arg);
void t_kmem_implicit(struct rc_env *env, long arg);

#endif
