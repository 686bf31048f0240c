// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: module init, the "sodp" rdma link type, and device lifetime.
 *
 * A device is created by `rdma link add NAME type sodp netdev DEV` and goes
 * away by exactly one of three roads, which may race:
 *   - `rdma link delete NAME` (the core unregisters it: IBK_ALLOW_USER_UNREG),
 *   - the netdev being unregistered (our notifier queues the unregistration),
 *   - module unload (sodp_remove_all_devices()).
 * All three end in the core's unregistration, which is fenced by the core's
 * own per-device lock and calls sodp_dealloc_driver() exactly once; that is
 * the only place a device leaves sodp_devices.  The core frees the memory.
 *
 * Locking, outermost first:
 *   rtnl_lock          held by the netdev core around our notifier; taken by
 *                      sodp_add_device() only to publish a device, so that a
 *                      netdev unregistration either sees it or is seen by it
 *   sodp_devices_lock  mutex; protects sodp_devices.  Never held across a
 *                      call into the RDMA core: unregistration calls back
 *                      into sodp_dealloc_driver(), which takes it.
 */
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/if_arp.h>
#include <rdma/rdma_netlink.h>

#include "sodp.h"

static DEFINE_MUTEX(sodp_devices_lock);
static LIST_HEAD(sodp_devices);	/* registered sodp devices */

static ssize_t parent_show(struct device *device,
			   struct device_attribute *attr, char *buf)
{
	struct ib_device *ibdev = rdma_device_to_ibdev(device);
	struct net_device *ndev = ib_device_get_netdev(ibdev, SODP_PORT);
	ssize_t len;

	if (!ndev)
		return -ENODEV;
	len = sysfs_emit(buf, "%s\n", ndev->name);
	dev_put(ndev);
	return len;
}
static DEVICE_ATTR_RO(parent);

static ssize_t hca_type_show(struct device *device,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", SODP_HCA_TYPE);
}
static DEVICE_ATTR_RO(hca_type);

static struct attribute *sodp_dev_attrs[] = {
	&dev_attr_hca_type.attr,
	&dev_attr_parent.attr,
	NULL,
};

/* See sodp_add_device(). */
static struct lock_class_key sodp_qps_lock_key;
static struct lock_class_key sodp_ahs_lock_key;
static struct lock_class_key sodp_mws_lock_key;

static const struct attribute_group sodp_dev_attr_group = {
	.attrs = sodp_dev_attrs,
};

/* Called once by the core during unregistration; the core frees sdev. */
static void sodp_dealloc_driver(struct ib_device *ibdev)
{
	struct sodp_dev *sdev = to_sodp_dev(ibdev);

	mutex_lock(&sodp_devices_lock);
	list_del_init(&sdev->list);
	mutex_unlock(&sodp_devices_lock);

	rtnl_lock();
	sodp_net_detach(sdev);
	rtnl_unlock();

	WARN_ON(!xa_empty(&sdev->pd_ids));
	WARN_ON(!xa_empty(&sdev->qps));
	WARN_ON(!xa_empty(&sdev->mrs));
	WARN_ON(!xa_empty(&sdev->mws));
	WARN_ON(!xa_empty(&sdev->ahs));
	WARN_ON(!hash_empty(sdev->mcgs));
	mutex_destroy(&sdev->mcast_lock);
	xa_destroy(&sdev->ahs);
	xa_destroy(&sdev->pd_ids);
	xa_destroy(&sdev->qps);
	xa_destroy(&sdev->mrs);
	xa_destroy(&sdev->mws);
	kfree(sdev->stats);
}

static const struct ib_device_ops sodp_dev_ops = {
	.owner = THIS_MODULE,
	.driver_id = RDMA_DRIVER_UNKNOWN,
	.uverbs_abi_ver = SODP_ABI_VERSION,

	.advise_mr = sodp_advise_mr,
	.alloc_hw_port_stats = sodp_alloc_hw_port_stats,
	.alloc_mr = sodp_alloc_mr,
	.alloc_mw = sodp_alloc_mw,
	.alloc_pd = sodp_alloc_pd,
	.alloc_ucontext = sodp_alloc_ucontext,
	.attach_mcast = sodp_attach_mcast,
	.create_ah = sodp_create_ah,
	.create_qp = sodp_create_qp,
	.create_srq = sodp_create_srq,
	.create_user_ah = sodp_create_ah,
	.dealloc_driver = sodp_dealloc_driver,
	.dealloc_mw = sodp_dealloc_mw,
	.dealloc_pd = sodp_dealloc_pd,
	.dealloc_ucontext = sodp_dealloc_ucontext,
	.dereg_mr = sodp_dereg_mr,
	.destroy_ah = sodp_destroy_ah,
	.destroy_cq = sodp_destroy_cq,
	.destroy_qp = sodp_destroy_qp,
	.destroy_srq = sodp_destroy_srq,
	.detach_mcast = sodp_detach_mcast,
	.device_group = &sodp_dev_attr_group,
	.disassociate_ucontext = sodp_disassociate_ucontext,
	.fill_res_mr_entry = sodp_fill_res_mr_entry,
	.fill_res_qp_entry = sodp_fill_res_qp_entry,
	.get_dma_mr = sodp_get_dma_mr,
	.get_hw_stats = sodp_get_hw_stats,
	.get_link_layer = sodp_get_link_layer,
	.get_port_immutable = sodp_get_port_immutable,
	.mmap = sodp_mmap,
	.mmap_free = sodp_mmap_free,
	.map_mr_sg = sodp_map_mr_sg,
	.modify_qp = sodp_modify_qp,
	.modify_srq = sodp_modify_srq,
	.poll_cq = sodp_poll_cq,
	.post_recv = sodp_post_recv,
	.post_send = sodp_post_send,
	.post_srq_recv = sodp_post_srq_recv,
	.query_device = sodp_query_device,
	.query_ah = sodp_query_ah,
	.query_pkey = sodp_query_pkey,
	.query_port = sodp_query_port,
	.query_qp = sodp_query_qp,
	.query_srq = sodp_query_srq,
	.req_notify_cq = sodp_req_notify_cq,
	SODP_CQ_MR_OPS,

	INIT_RDMA_OBJ_SIZE(ib_ah, sodp_ah, ibah),
	INIT_RDMA_OBJ_SIZE(ib_cq, sodp_cq, ibcq),
	INIT_RDMA_OBJ_SIZE(ib_mw, sodp_mw, ibmw),
	INIT_RDMA_OBJ_SIZE(ib_pd, sodp_pd, ibpd),
	INIT_RDMA_OBJ_SIZE(ib_qp, sodp_qp, ibqp),
	INIT_RDMA_OBJ_SIZE(ib_srq, sodp_srq, ibsrq),
	INIT_RDMA_OBJ_SIZE(ib_ucontext, sodp_ucontext, ibuc),
};

/* Caller holds sodp_devices_lock. */
static struct sodp_dev *sodp_find_by_netdev(struct net_device *ndev)
{
	struct sodp_dev *sdev;
	u32 port;

	lockdep_assert_held(&sodp_devices_lock);
	list_for_each_entry(sdev, &sodp_devices, list)
		if (sdev->rx_ndev == ndev ||
		    !ib_query_netdev_port(&sdev->ibdev, ndev, &port))
			return sdev;
	return NULL;
}

/*
 * Make a registered device visible to the notifier, unless its netdev is
 * already on its way out or already carries a sodp device.
 */
static int sodp_publish_device(struct sodp_dev *sdev, struct net_device *ndev)
{
	int err = 0;

	rtnl_lock();
	mutex_lock(&sodp_devices_lock);
	if (ndev->reg_state != NETREG_REGISTERED)
		err = -ENODEV;
	else if (sodp_find_by_netdev(ndev))
		err = -EEXIST;
	else
		err = sodp_net_attach(sdev, ndev);
	if (!err)
		list_add_tail(&sdev->list, &sodp_devices);
	mutex_unlock(&sodp_devices_lock);
	rtnl_unlock();
	return err;
}

/**
 * sodp_add_device() - create and register a sodp device on a netdev
 * @ibdev_name: name requested by the user ("sodp%d" style allowed)
 * @ndev: an Ethernet netdev; the caller holds a reference for the call
 *
 * Context: process context, may sleep; no locks held.
 * Return: 0, or a negative errno with nothing left behind.
 */
int sodp_add_device(const char *ibdev_name, struct net_device *ndev)
{
	struct sodp_dev *sdev;
	int err;

	if (ndev->type != ARPHRD_ETHER)
		return -EINVAL;

	sdev = ib_alloc_device_with_net(sodp_dev, ibdev, dev_net(ndev));
	if (!sdev)
		return -ENOMEM;
	INIT_LIST_HEAD(&sdev->list);
	xa_init_flags(&sdev->pd_ids, XA_FLAGS_ALLOC);
	xa_init_flags(&sdev->qps, XA_FLAGS_ALLOC | XA_FLAGS_LOCK_IRQ);
	/*
	 * xa_init_flags() gives every xarray initialised in this file one
	 * lockdep class, and the QP index alone is locked from softirq:
	 * without a class of its own, lockdep takes the PD index's plain
	 * spin_lock in process context for an inversion.
	 */
	lockdep_set_class(&sdev->qps.xa_lock, &sodp_qps_lock_key);
	xa_init_flags(&sdev->mrs, XA_FLAGS_ALLOC1);
	/* Binding takes the MR index's lock inside the window index's. */
	xa_init_flags(&sdev->mws, XA_FLAGS_ALLOC);
	lockdep_set_class(&sdev->mws.xa_lock, &sodp_mws_lock_key);
	/* Locked with interrupts off, maybe inside a caller's irq lock. */
	xa_init_flags(&sdev->ahs, XA_FLAGS_ALLOC1 | XA_FLAGS_LOCK_IRQ);
	lockdep_set_class(&sdev->ahs.xa_lock, &sodp_ahs_lock_key);
	atomic_set(&sdev->num_ucontext, 0);
	mutex_init(&sdev->mcast_lock);
	hash_init(sdev->mcgs);
	sdev->stats = kzalloc_obj(*sdev->stats, GFP_KERNEL);
	if (!sdev->stats) {
		err = -ENOMEM;
		goto err_dealloc;
	}
	ib_set_device_ops(&sdev->ibdev, &sodp_dev_ops);
	sodp_dev_init_attrs(sdev, ndev);

	err = ib_device_set_netdev(&sdev->ibdev, ndev, SODP_PORT);
	if (err)
		goto err_dealloc;

	err = ib_register_device(&sdev->ibdev, ibdev_name, NULL);
	if (err)
		goto err_dealloc;

	err = sodp_publish_device(sdev, ndev);
	if (err) {
		/* Registered: the core owns it now and frees it. */
		ib_unregister_device(&sdev->ibdev);
		return err;
	}
	return 0;

err_dealloc:
	/* Calls sodp_dealloc_driver(), which frees what we allocated. */
	ib_dealloc_device(&sdev->ibdev);
	return err;
}

/**
 * sodp_remove_all_devices() - unregister every sodp device
 *
 * Context: module unload, after the link type is gone, so nothing can add a
 * device concurrently.  Removals racing with us (link delete, netdev
 * unregister) are fenced by the core: ib_unregister_device() returns only
 * once the device is unregistered, whoever started it.
 */
void sodp_remove_all_devices(void)
{
	struct sodp_dev *sdev;

	for (;;) {
		mutex_lock(&sodp_devices_lock);
		sdev = list_first_entry_or_null(&sodp_devices, struct sodp_dev,
						list);
		if (sdev)
			get_device(&sdev->ibdev.dev);	/* keep memory alive */
		mutex_unlock(&sodp_devices_lock);
		if (!sdev)
			break;
		ib_unregister_device(&sdev->ibdev);
		put_device(&sdev->ibdev.dev);
	}
}

/*
 * Port state events (ACTIVE/ERR) are dispatched by the RDMA core's own netdev
 * notifier where it has one (compat.h), and attributes are read from the
 * netdev on every query, so the only event sodp must act on is the netdev
 * going away.
 */
static int sodp_netdev_event(struct notifier_block *nb, unsigned long event,
			     void *ptr)
{
	struct net_device *ndev = netdev_notifier_info_to_dev(ptr);
	struct sodp_dev *sdev;

	if (event != NETDEV_UNREGISTER) {
		if (SODP_CORE_SENDS_PORT_EVENTS)
			return NOTIFY_DONE;
		mutex_lock(&sodp_devices_lock);
		sdev = sodp_find_by_netdev(ndev);
		/* the event is work on the device: not once it is going */
		if (sdev && !ib_device_try_get(&sdev->ibdev))
			sdev = NULL;
		mutex_unlock(&sodp_devices_lock);
		if (sdev) {
			sodp_compat_port_event(&sdev->ibdev, ndev, event);
			ib_device_put(&sdev->ibdev);
		}
		return NOTIFY_DONE;
	}

	mutex_lock(&sodp_devices_lock);
	sdev = sodp_find_by_netdev(ndev);
	/* The rx handler must go before the netdev does (rtnl is held). */
	if (sdev)
		sodp_net_detach(sdev);
	/* A failed try_get means its unregistration is already under way. */
	if (sdev && ib_device_try_get(&sdev->ibdev)) {
		ib_unregister_device_queued(&sdev->ibdev);
		ib_device_put(&sdev->ibdev);
	}
	mutex_unlock(&sodp_devices_lock);
	return NOTIFY_OK;
}

static struct notifier_block sodp_netdev_nb = {
	.notifier_call = sodp_netdev_event,
};

static struct rdma_link_ops sodp_link_ops = {
	.type = "sodp",
	.newlink = sodp_add_device,
};

static int __init sodp_init(void)
{
	int err;

	/*
	 * Unbound: QPs' work items run on any CPU, each one never
	 * concurrently with itself.
	 */
	sodp_wq = alloc_workqueue("sodp", WQ_UNBOUND, 0);
	if (!sodp_wq)
		return -ENOMEM;
	/*
	 * The responder's ODP faults (sodp_resp_fault.c), apart from the
	 * QP work items that wait for them.
	 */
	sodp_odp_fault_wq = alloc_workqueue("sodp_odp_fault", WQ_UNBOUND, 0);
	if (!sodp_odp_fault_wq) {
		err = -ENOMEM;
		goto err_wq;
	}
	err = register_netdevice_notifier(&sodp_netdev_nb);
	if (err)
		goto err_fault_wq;
	sodp_fault_init();
	rdma_link_register(&sodp_link_ops);
	return 0;

err_fault_wq:
	destroy_workqueue(sodp_odp_fault_wq);
err_wq:
	destroy_workqueue(sodp_wq);
	return err;
}

static void __exit sodp_exit(void)
{
	rdma_link_unregister(&sodp_link_ops);
	sodp_remove_all_devices();
	unregister_netdevice_notifier(&sodp_netdev_nb);
	destroy_workqueue(sodp_odp_fault_wq);
	destroy_workqueue(sodp_wq);
	sodp_fault_exit();
}

module_init(sodp_init);
module_exit(sodp_exit);

MODULE_DESCRIPTION("sodp: software RoCEv2 device with On-Demand Paging");
MODULE_LICENSE("Dual BSD/GPL");
MODULE_ALIAS_RDMA_LINK("sodp");
