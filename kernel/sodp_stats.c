// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: per-device counters, read by `rdma statistic show link DEV/1`
 * and /sys/class/infiniband/DEV/ports/1/hw_counters/, and the per-MR
 * ODP counters, read by `rdma resource show mr -dd` (restrack's driver
 * table, each name prefixed with "drv_" by the tool).
 */
#include <net/netlink.h>
#include <rdma/restrack.h>

#include "sodp.h"

static const struct rdma_stat_desc sodp_counter_desc[SODP_CNT_NUM] = {
	[SODP_CNT_RX_PKTS].name = "rx_packets",
	[SODP_CNT_TX_PKTS].name = "tx_packets",
	[SODP_CNT_RX_DROP_MALFORMED].name = "rx_drop_malformed",
	[SODP_CNT_RX_DROP_ICRC].name = "rx_drop_icrc",
	[SODP_CNT_RX_DROP_NO_QP].name = "rx_drop_no_qp",
	[SODP_CNT_RX_DROP_QUEUE_FULL].name = "rx_drop_queue_full",
	[SODP_CNT_RX_DROP_STATE].name = "rx_drop_qp_state",
	[SODP_CNT_TX_ERR].name = "tx_errors",
	[SODP_CNT_RETRANSMIT].name = "retransmits",
	[SODP_CNT_RNR_NAK_SENT].name = "rnr_nak_sent",
	[SODP_CNT_RNR_NAK_RCVD].name = "rnr_nak_received",
	[SODP_CNT_SEQ_NAK_SENT].name = "seq_nak_sent",
	[SODP_CNT_SEQ_NAK_RCVD].name = "seq_nak_received",
	[SODP_CNT_IMPLIED_NAK].name = "implied_naks",
	[SODP_CNT_DUP_REQ].name = "duplicate_requests",
	[SODP_CNT_ERR_NAK_SENT].name = "error_nak_sent",
	[SODP_CNT_LOOPBACK_PKTS].name = "loopback_packets",
	[SODP_CNT_LOOPBACK_BURSTS].name = "loopback_bursts",
	[SODP_CNT_RX_DROP_QKEY].name = "rx_drop_qkey",
	[SODP_CNT_RX_DROP_NO_RWQE].name = "rx_drop_no_receive",
	[SODP_CNT_RX_DROP_TOO_SMALL].name = "rx_drop_receive_too_small",
	[SODP_CNT_RX_DROP_ODP].name = "rx_drop_odp_not_ready",
	[SODP_CNT_UD_OVERSIZE].name = "ud_send_oversize",
	[SODP_CNT_RX_DROP_NOMEM].name = "rx_drop_nomem",
	[SODP_CNT_UC_MSG_DROPPED].name = "uc_messages_dropped",
	[SODP_CNT_RX_DROP_PKEY].name = "rx_drop_pkey",
	[SODP_CNT_RX_DROP_ADDR].name = "rx_drop_source_addr",
	[SODP_CNT_FAST_REG].name = "fast_registrations",
	[SODP_CNT_LOCAL_INV].name = "local_invalidations",
	[SODP_CNT_REMOTE_INV].name = "remote_invalidations",
	[SODP_CNT_ODP_SLOW_FAULTS].name = "odp_slow_faults",
	[SODP_CNT_ODP_FAULTS].name = "odp_faults",
	[SODP_CNT_ODP_PAGES_FAULTED].name = "odp_pages_faulted",
	[SODP_CNT_ODP_PAGES_AROUND].name = "odp_fault_around_pages",
	[SODP_CNT_ODP_FAULT_ERRORS].name = "odp_fault_errors",
	[SODP_CNT_ODP_RETRIES].name = "odp_retries",
	[SODP_CNT_ODP_INVALIDATIONS].name = "odp_invalidations",
	[SODP_CNT_ODP_PAGES_INVALIDATED].name = "odp_pages_invalidated",
	[SODP_CNT_ODP_PREFETCHES].name = "odp_prefetches",
	[SODP_CNT_ODP_EXCL_GRANTED].name = "odp_exclusive_grants",
	[SODP_CNT_ODP_EXCL_REVOKED].name = "odp_exclusive_revocations",
	[SODP_CNT_ODP_EXCL_RETRIES].name = "odp_exclusive_retries",
	[SODP_CNT_ODP_DEFERRED].name = "odp_deferred",
	[SODP_CNT_ODP_TABLE_BLOCKS].name = "odp_table_blocks",
	[SODP_CNT_ODP_ATOMIC_FALLBACK].name = "odp_atomic_fallbacks",
};

struct rdma_hw_stats *sodp_alloc_hw_port_stats(struct ib_device *ibdev,
					       u32 port_num)
{
	return rdma_alloc_hw_stats_struct(sodp_counter_desc, SODP_CNT_NUM,
					  RDMA_HW_STATS_DEFAULT_LIFESPAN);
}

int sodp_get_hw_stats(struct ib_device *ibdev, struct rdma_hw_stats *stats,
		      u32 port, int index)
{
	struct sodp_dev *sdev = to_sodp_dev(ibdev);
	int i;

	for (i = 0; i < SODP_CNT_NUM; i++)
		stats->value[i] = atomic64_read(&sdev->stats->c[i]);
	return SODP_CNT_NUM;
}

/**
 * sodp_fill_res_odp() - an ODP MR's counters as restrack's driver table
 * @msg: the netlink message being built
 * @stats: the MR's counters
 * @implicit: the MR is implicit (the whole address space)
 * @children: for an implicit MR, the children it has made so far
 *
 * The per-MR counters have the names of the device's ODP counters.
 *
 * Context: any; takes no lock (the counters are atomics).
 * Return: 0, or -EMSGSIZE with nothing added when the message is full.
 */
int sodp_fill_res_odp(struct sk_buff *msg, const struct sodp_odp_stats *stats,
		      bool implicit, u32 children)
{
	struct nlattr *table = nla_nest_start(msg, RDMA_NLDEV_ATTR_DRIVER);
	int i;

	if (!table)
		return -EMSGSIZE;
	if (rdma_nl_put_driver_string(msg, "odp",
				      implicit ? "implicit" : "explicit"))
		goto err_cancel;
	if (implicit &&
	    rdma_nl_put_driver_u32(msg, "odp_children", children))
		goto err_cancel;
	for (i = 0; i < SODP_CNT_ODP_NUM; i++) {
		const char *name = sodp_counter_desc[SODP_CNT_ODP_FIRST + i].name;

		if (rdma_nl_put_driver_u64(msg, name,
					   atomic64_read(&stats->c[i])))
			goto err_cancel;
	}
	nla_nest_end(msg, table);
	return 0;

err_cancel:
	nla_nest_cancel(msg, table);
	return -EMSGSIZE;
}
