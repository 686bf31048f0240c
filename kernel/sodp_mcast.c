// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: multicast groups of UD QPs (ibv_attach_mcast()).
 *
 * A group is a multicast GID, an IPv4-mapped 224.0.0.0/4 address or an
 * IPv6 ff00::/8 one, and the UD QPs of this device attached to it.  The
 * group's first attach adds its Ethernet address to the netdev's filter
 * and its last detach takes it out again; the stack counts those
 * addresses, so two groups that map to one MAC share it.  Joining the IP
 * group (IGMP, MLD) is left to whoever asked for the group, as it is by
 * rxe and by RoCE NICs: rdma_cm does it when it joins.
 *
 * sodp_net.c delivers a datagram to a group (DQPN 0xFFFFFF) to every
 * member on the device it arrived on, and a datagram this device sends to
 * a group to the members here as well, as a NIC loops multicast back.
 *
 * uverbs names a membership by (GID, LID) and RoCE ignores the LID, so one
 * QP may be attached to a group more than once: each attach is counted
 * and needs its detach, or the core's count of the QP's users (taken on
 * every successful attach) would never return to zero.  The same count
 * means a QP is never destroyed while attached (and uverbs detaches what
 * a dying process left), so destroying a QP has nothing to undo here.
 *
 * Locking: sdev->mcast_lock serialises attach and detach and protects the
 * counts.  The group table and each group's member list are RCU lists:
 * the receive path reads them in softirq without a lock.  Lock order:
 * mcast_lock, then the netdev's address list lock (dev_mc_add()).
 */
#include <linux/jhash.h>
#include <linux/rculist.h>
#include <net/addrconf.h>
#include <net/ip.h>

#include "sodp.h"

/**
 * struct sodp_mcg - a multicast group with members on this device
 * @node:	entry in sdev->mcgs, RCU
 * @mgid:	the group's GID
 * @members:	struct sodp_mca list, RCU
 * @nr_members:	its length, bounded by SODP_MAX_MCAST_QP_ATTACH
 * @rcu:	freed after the readers that might see it
 */
struct sodp_mcg {
	struct hlist_node node;
	union ib_gid mgid;
	struct list_head members;
	unsigned int nr_members;
	struct rcu_head rcu;
};

/* One QP's membership of one group; the QP is found by number. */
struct sodp_mca {
	struct list_head node;
	u32 qpn;
	unsigned int attaches;		/* attaches not yet detached */
	struct rcu_head rcu;
};

static u32 sodp_mcast_hash(const union ib_gid *mgid)
{
	return jhash(mgid->raw, sizeof(mgid->raw), 0);
}

/* Context: mcast_lock or the RCU read lock held. */
static struct sodp_mcg *sodp_mcast_find(struct sodp_dev *sdev,
					const union ib_gid *mgid)
{
	struct sodp_mcg *mcg;

	hash_for_each_possible_rcu(sdev->mcgs, mcg, node, sodp_mcast_hash(mgid),
				   lockdep_is_held(&sdev->mcast_lock))
		if (!memcmp(&mcg->mgid, mgid, sizeof(*mgid)))
			return mcg;
	return NULL;
}

static void sodp_mcast_mac(const union ib_gid *mgid, u8 *mac)
{
	const struct in6_addr *a = (const struct in6_addr *)mgid->raw;

	if (ipv6_addr_v4mapped(a))
		ip_eth_mc_map(a->s6_addr32[3], mac);
	else
		ipv6_eth_mc_map(a, mac);
}

/*
 * Add or remove the group's MAC on the netdev.  The RDMA core holds the
 * netdev until every QP is destroyed, so it is there for both; the NULL
 * check only keeps a broken promise from becoming an oops.
 */
static int sodp_mcast_filter(struct sodp_dev *sdev, const union ib_gid *mgid,
			     bool add)
{
	struct net_device *ndev;
	u8 mac[ETH_ALEN];
	int err = 0;

	ndev = ib_device_get_netdev(&sdev->ibdev, SODP_PORT);
	if (!ndev)
		return add ? -ENODEV : 0;
	sodp_mcast_mac(mgid, mac);
	if (add)
		err = dev_mc_add(ndev, mac);
	else
		dev_mc_del(ndev, mac);
	dev_put(ndev);
	return err;
}

static struct sodp_mca *sodp_mcast_member(struct sodp_mcg *mcg, u32 qpn)
{
	struct sodp_mca *mca;

	list_for_each_entry(mca, &mcg->members, node)
		if (mca->qpn == qpn)
			return mca;
	return NULL;
}

/* Caller holds mcast_lock; @mca is on @mcg's list. */
static void sodp_mcast_remove(struct sodp_dev *sdev, struct sodp_mcg *mcg,
			      struct sodp_mca *mca)
{
	lockdep_assert_held(&sdev->mcast_lock);
	list_del_rcu(&mca->node);
	kfree_rcu(mca, rcu);
	mcg->nr_members--;
	if (mcg->nr_members)
		return;
	hash_del_rcu(&mcg->node);
	sdev->mcast_groups--;
	sodp_mcast_filter(sdev, &mcg->mgid, false);
	kfree_rcu(mcg, rcu);
}

/**
 * sodp_attach_mcast() - attach a UD QP to a multicast group
 * @ibqp: the QP; the core checked it is UD and @gid is a multicast GID
 * @gid: the group
 * @lid: unused on RoCE
 *
 * Attaching a QP that is already a member only counts the attach.
 *
 * Context: process context, may sleep.
 * Return: 0, -ENOMEM when a device limit (groups, members of a group) is
 * reached or memory is short, -ENODEV if the netdev is gone.
 */
int sodp_attach_mcast(struct ib_qp *ibqp, union ib_gid *gid, u16 lid)
{
	struct sodp_qp *qp = to_sodp_qp(ibqp);
	struct sodp_dev *sdev = qp->sdev;
	struct sodp_mcg *mcg, *new_mcg = NULL;
	struct sodp_mca *mca;
	int err;

	mutex_lock(&sdev->mcast_lock);
	mcg = sodp_mcast_find(sdev, gid);
	mca = mcg ? sodp_mcast_member(mcg, qp->ibqp.qp_num) : NULL;
	if (mca) {
		mca->attaches++;
		err = 0;
		goto out;
	}
	/* No total limit: groups times members is max_total_mcast_qp_attach. */
	err = -ENOMEM;
	if ((mcg && mcg->nr_members >= SODP_MAX_MCAST_QP_ATTACH) ||
	    (!mcg && sdev->mcast_groups >= SODP_MAX_MCAST_GRP))
		goto out;
	mca = kzalloc_obj(*mca, GFP_KERNEL_ACCOUNT);
	if (!mca)
		goto out;
	mca->qpn = qp->ibqp.qp_num;
	mca->attaches = 1;

	if (!mcg) {
		new_mcg = kzalloc_obj(*new_mcg, GFP_KERNEL_ACCOUNT);
		if (!new_mcg)
			goto err_free_mca;
		new_mcg->mgid = *gid;
		INIT_LIST_HEAD(&new_mcg->members);
		err = sodp_mcast_filter(sdev, gid, true);
		if (err)
			goto err_free_mcg;
		mcg = new_mcg;
	}
	list_add_tail_rcu(&mca->node, &mcg->members);
	mcg->nr_members++;
	if (new_mcg) {
		/* Published last: a reader finds it with its first member. */
		hash_add_rcu(sdev->mcgs, &new_mcg->node, sodp_mcast_hash(gid));
		sdev->mcast_groups++;
	}
	mutex_unlock(&sdev->mcast_lock);
	return 0;

err_free_mcg:
	kfree(new_mcg);
err_free_mca:
	kfree(mca);
out:
	mutex_unlock(&sdev->mcast_lock);
	return err;
}

/**
 * sodp_detach_mcast() - detach a UD QP from a multicast group
 * @ibqp: the QP
 * @gid: the group
 * @lid: unused on RoCE
 *
 * Undoes one attach; the QP leaves the group with the last.
 *
 * Context: process context, may sleep.
 * Return: 0, or -EINVAL if the QP is not a member of the group.
 */
int sodp_detach_mcast(struct ib_qp *ibqp, union ib_gid *gid, u16 lid)
{
	struct sodp_qp *qp = to_sodp_qp(ibqp);
	struct sodp_dev *sdev = qp->sdev;
	struct sodp_mcg *mcg;
	struct sodp_mca *mca = NULL;

	mutex_lock(&sdev->mcast_lock);
	mcg = sodp_mcast_find(sdev, gid);
	if (mcg)
		mca = sodp_mcast_member(mcg, qp->ibqp.qp_num);
	if (mca && !--mca->attaches)
		sodp_mcast_remove(sdev, mcg, mca);
	mutex_unlock(&sdev->mcast_lock);
	return mca ? 0 : -EINVAL;
}

/**
 * sodp_mcast_members() - the QP numbers attached to a group
 * @sdev: the device
 * @mgid: the group
 * @qpns: filled with up to SODP_MAX_MCAST_QP_ATTACH numbers
 *
 * Context: any; takes the RCU read lock.  A QP attached or detached while
 * this runs may or may not be in the answer, so a datagram that arrived
 * before a detach returned may still be received after it: UD promises
 * no more.
 * Return: how many were filled in; 0 if the group has no member here.
 */
unsigned int sodp_mcast_members(struct sodp_dev *sdev,
				const union ib_gid *mgid, u32 *qpns)
{
	struct sodp_mcg *mcg;
	struct sodp_mca *mca;
	unsigned int n = 0;

	rcu_read_lock();
	mcg = sodp_mcast_find(sdev, mgid);
	if (mcg) {
		list_for_each_entry_rcu(mca, &mcg->members, node) {
			if (n == SODP_MAX_MCAST_QP_ATTACH)
				break;
			qpns[n++] = mca->qpn;
		}
	}
	rcu_read_unlock();
	return n;
}

/**
 * sodp_mcast_has_members() - does a group have members on this device?
 * @sdev: the device
 * @mgid: the group
 *
 * Context: any; takes the RCU read lock.
 */
bool sodp_mcast_has_members(struct sodp_dev *sdev, const union ib_gid *mgid)
{
	bool found;

	rcu_read_lock();
	found = sodp_mcast_find(sdev, mgid);
	rcu_read_unlock();
	return found;
}
