// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: an address vector (struct rdma_ah_attr) becomes what every packet
 * header needs (struct sodp_path): for an RC QP at RTR and for an address
 * handle, which may be created where sleeping is not allowed.  Nothing
 * here sleeps or takes a reference; the caller holds the source GID
 * attribute for as long as the path is used.
 */
#include <linux/etherdevice.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_cache.h>

#include "sodp.h"

/**
 * sodp_path_check() - can sodp send to this address vector?
 * @ah: the address vector
 *
 * RoCEv2 only: a GRH, a "RoCE v2" source GID, and a destination of the
 * same family as the source.
 *
 * Return: 0 or -EINVAL.
 */
int sodp_path_check(const struct rdma_ah_attr *ah)
{
	const struct ib_global_route *grh;

	if (!(rdma_ah_get_ah_flags(ah) & IB_AH_GRH))
		return -EINVAL;
	grh = rdma_ah_read_grh(ah);
	if (!grh->sgid_attr ||
	    grh->sgid_attr->gid_type != IB_GID_TYPE_ROCE_UDP_ENCAP)
		return -EINVAL;
	if (ipv6_addr_v4mapped((const struct in6_addr *)grh->dgid.raw) !=
	    ipv6_addr_v4mapped((const struct in6_addr *)
			       grh->sgid_attr->gid.raw))
		return -EINVAL;
	return 0;
}

/*
 * The UDP source port of packets from QP @lqpn to QP @rqpn on @p: from the
 * address's flow label, or one derived from the two QP numbers (so that
 * ECMP spreads QPs, as the RDMA core's helpers intend).
 */
u16 sodp_path_sport(const struct sodp_path *p, u32 lqpn, u32 rqpn)
{
	u32 fl = p->flow_label ?: rdma_calc_flow_label(lqpn, rqpn);

	return rdma_flow_label_to_udp_sport(fl);
}

/**
 * sodp_path_init() - fill @p from an address vector sodp_path_check() took
 * @sdev: the device
 * @p: the path; its sgid_attr is the caller's (a reference it holds)
 * @ah: the address vector
 *
 * The UDP source port is left to the caller: an RC QP derives it from its
 * QP numbers once, UD per packet from the destination QP.
 *
 * Context: any; takes the RCU read lock.
 * Return: 0, or a negative errno if the source GID lost its netdev.
 */
int sodp_path_init(struct sodp_dev *sdev, struct sodp_path *p,
		   const struct rdma_ah_attr *ah)
{
	const struct ib_global_route *grh = rdma_ah_read_grh(ah);
	const struct ib_gid_attr *mine;
	struct net_device *ndev;

	rcu_read_lock();
	ndev = rdma_read_gid_attr_ndev_rcu(grh->sgid_attr);
	rcu_read_unlock();
	if (IS_ERR(ndev))
		return PTR_ERR(ndev);

	p->sgid = grh->sgid_attr->gid;
	p->dgid = grh->dgid;
	p->ipv6 = !ipv6_addr_v4mapped((struct in6_addr *)p->sgid.raw);
	ether_addr_copy(p->dmac, ah->roce.dmac);
	p->tclass = grh->traffic_class;
	p->hop_limit = grh->hop_limit;
	p->flow_label = grh->flow_label;
	p->mcast = rdma_is_multicast_addr((struct in6_addr *)p->dgid.raw);

	mine = rdma_find_gid_by_port(&sdev->ibdev, &p->dgid,
				     IB_GID_TYPE_ROCE_UDP_ENCAP, SODP_PORT,
				     NULL);
	p->loopback = !IS_ERR(mine);
	if (!IS_ERR(mine))
		rdma_put_gid_attr(mine);
	p->valid = true;
	return 0;
}
