// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: fault injection for error paths that tests cannot reach otherwise
 * (Documentation/fault-injection/fault-injection.rst).
 *
 * /sys/kernel/debug/fail_sodp_skb/ makes the allocation of outgoing
 * packets fail as its knobs say (probability, interval, times, ...): the
 * requester must then try again by itself, even with nothing in flight
 * to bring it back.  Built only with CONFIG_FAULT_INJECTION_DEBUG_FS,
 * which Debian's kernel lacks and the debug kernel has.
 */
#include <linux/debugfs.h>
#include <linux/fault-inject.h>

#include "sodp.h"

static DECLARE_FAULT_ATTR(sodp_fail_skb_attr);
static struct dentry *sodp_fault_dir;

bool sodp_fail_skb(size_t size)
{
	return should_fail(&sodp_fail_skb_attr, size);
}

void sodp_fault_init(void)
{
	struct dentry *dir;

	dir = fault_create_debugfs_attr("fail_sodp_skb", NULL,
					&sodp_fail_skb_attr);
	/* A test knob only: sodp works the same without it. */
	if (!IS_ERR(dir))
		sodp_fault_dir = dir;
}

void sodp_fault_exit(void)
{
	debugfs_remove_recursive(sodp_fault_dir);
}
