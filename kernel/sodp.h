/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sodp: a software RoCEv2 RDMA device with first-class On-Demand Paging.
 *
 * Objects, limits and the helpers every file shares.
 */
#ifndef SODP_H
#define SODP_H

#include <linux/list.h>
#include <linux/xarray.h>
#include <rdma/ib_verbs.h>

#include <rdma/sodp-abi.h>

#define SODP_PORT		1	/* one port per device, like a NIC port */
#define SODP_GID_TABLE_LEN	1024
#define SODP_VENDOR_ID		0xffffff /* no IEEE OUI: a software device */

/* Every object count is bounded; these are the bounds. */
#define SODP_MAX_UCONTEXT	4096
#define SODP_MAX_PD		(1 << 16)

/**
 * struct sodp_dev - one sodp RDMA device, bound to one Ethernet netdev
 * @ibdev:	the core device; first member, freed by the RDMA core
 * @list:	entry in the module's device list (sodp_main.c)
 * @pd_ids:	PD numbers in use, allocated with a limit of SODP_MAX_PD
 * @num_ucontext: open user contexts, bounded by SODP_MAX_UCONTEXT
 *
 * The netdev is not cached here: the core keeps it (ib_device_set_netdev())
 * and ib_device_get_netdev() hands out a counted reference, so there is no
 * second copy whose lifetime could drift from the core's.
 */
struct sodp_dev {
	struct ib_device ibdev;
	struct list_head list;
	struct xarray pd_ids;
	atomic_t num_ucontext;
};

struct sodp_ucontext {
	struct ib_ucontext ibuc;
};

struct sodp_pd {
	struct ib_pd ibpd;
	u32 pdn;
};

static inline struct sodp_dev *to_sodp_dev(struct ib_device *ibdev)
{
	return container_of(ibdev, struct sodp_dev, ibdev);
}

static inline struct sodp_pd *to_sodp_pd(struct ib_pd *ibpd)
{
	return container_of(ibpd, struct sodp_pd, ibpd);
}

#define sodp_dbg_dev(sdev, fmt, ...) \
	ibdev_dbg(&(sdev)->ibdev, "%s: " fmt, __func__, ##__VA_ARGS__)

/* sodp_main.c */
int sodp_add_device(const char *ibdev_name, struct net_device *ndev);
void sodp_remove_all_devices(void);

/* sodp_verbs.c */
void sodp_dev_init_attrs(struct sodp_dev *sdev, struct net_device *ndev);
int sodp_query_device(struct ib_device *ibdev, struct ib_device_attr *attr,
		      struct ib_udata *udata);
int sodp_query_port(struct ib_device *ibdev, u32 port_num,
		    struct ib_port_attr *attr);
int sodp_query_pkey(struct ib_device *ibdev, u32 port_num, u16 index,
		    u16 *pkey);
int sodp_get_port_immutable(struct ib_device *ibdev, u32 port_num,
			    struct ib_port_immutable *immutable);
enum rdma_link_layer sodp_get_link_layer(struct ib_device *ibdev,
					 u32 port_num);
int sodp_alloc_ucontext(struct ib_ucontext *ibuc, struct ib_udata *udata);
void sodp_dealloc_ucontext(struct ib_ucontext *ibuc);
void sodp_disassociate_ucontext(struct ib_ucontext *ibuc);
int sodp_alloc_pd(struct ib_pd *ibpd, struct ib_udata *udata);
int sodp_dealloc_pd(struct ib_pd *ibpd, struct ib_udata *udata);

#endif /* SODP_H */
