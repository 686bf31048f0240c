/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one place that knows which kernel sodp is built against.  sodp is
 * written for the newest kernel's interfaces; for an older kernel this
 * file supplies each missing one, keyed on the interface itself (a macro
 * it defines, or LINUX_VERSION_CODE where there is none), never on a
 * distribution.
 */
#ifndef SODP_COMPAT_H
#define SODP_COMPAT_H

#include <linux/slab.h>

/*
 * kzalloc_obj(): the allocation's size taken from the pointer it is
 * assigned to.  6.12 has none: the same with sizeof.
 */
#ifndef kzalloc_obj
#define kzalloc_obj(P, gfp)	kzalloc(sizeof(P), gfp)
#endif

#endif /* SODP_COMPAT_H */
