// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: verbs entry points for the device, its port, user contexts and PDs.
 *
 * Entry points only validate, allocate, publish and unwind.  Attributes are
 * derived from the bound netdev at query time rather than cached, so a
 * change of MTU, carrier or MAC is visible without a notifier of our own.
 *
 * Locking: none of our own here.  PD numbers live in sdev->pd_ids, whose
 * internal spinlock serialises allocation; object counts are atomics.
 */
#include <linux/netdevice.h>
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <net/addrconf.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_mad.h>
#include <rdma/uverbs_ioctl.h>

#include "sodp.h"
#include "sodp_abi_check.h"

/*
 * RoCEv2 only, with MADs on QP1 (the GSI QP, sodp_qp.c) so that the
 * kernel's CM and rdma_cm work over it.
 */
#define SODP_PORT_CAP_FLAGS RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP

/**
 * sodp_dev_init_attrs() - fill the attributes that never change
 * @sdev: a device not yet registered
 * @ndev: the netdev it will be bound to
 *
 * Must run before ib_device_set_netdev(), which checks the port number
 * against phys_port_cnt.
 *
 * Context: process context.
 */
void sodp_dev_init_attrs(struct sodp_dev *sdev, struct net_device *ndev)
{
	struct ib_device *ibdev = &sdev->ibdev;

	/* The node GUID is the EUI-64 of the MAC, as RoCE NICs do it. */
	addrconf_addr_eui48((u8 *)&ibdev->node_guid, ndev->dev_addr);
	ibdev->phys_port_cnt = 1;
	/*
	 * Legacy write() commands the core does not enable by default: the
	 * send doorbell (POST_SEND with no WRs) and arming a CQ.  POLL_CQ
	 * and POST_RECV stay off: user space does both without the kernel.
	 */
	ibdev->uverbs_cmd_mask |= BIT_ULL(IB_USER_VERBS_CMD_POST_SEND) |
				  BIT_ULL(IB_USER_VERBS_CMD_REQ_NOTIFY_CQ);
	ibdev->num_comp_vectors = 1;
	/* A VLAN device keeps its ID; kernel completions report it. */
	sdev->vlan_id = is_vlan_dev(ndev) ? vlan_dev_vlan_id(ndev) : -1;
	ibdev->node_type = RDMA_NODE_IB_CA;
	strscpy(ibdev->node_desc, "sodp", sizeof(ibdev->node_desc));
}

int sodp_query_device(struct ib_device *ibdev, struct ib_device_attr *attr,
		      struct ib_udata *udata)
{
	int err = ib_is_udata_in_empty(udata);

	if (err)
		return err;

	memset(attr, 0, sizeof(*attr));
	attr->vendor_id = SODP_VENDOR_ID;
	attr->sys_image_guid = ibdev->node_guid;
	attr->page_size_cap = PAGE_SIZE;
	attr->max_pd = SODP_MAX_PD;
	attr->max_pkeys = 1;
	/*
	 * `rdma link delete` may remove the device.  ODP MRs, explicit
	 * ranges and implicit ones over the whole address space, serve
	 * every RC operation on both sides: see sodp_odp.c.
	 */
	attr->kernel_cap_flags = IBK_ALLOW_USER_UNREG | IBK_ON_DEMAND_PAGING;
	attr->odp_caps.general_caps = IB_ODP_SUPPORT | IB_ODP_SUPPORT_IMPLICIT;
	attr->odp_caps.per_transport_caps.rc_odp_caps =
		IB_ODP_SUPPORT_SEND | IB_ODP_SUPPORT_RECV |
		IB_ODP_SUPPORT_WRITE | IB_ODP_SUPPORT_READ |
		IB_ODP_SUPPORT_ATOMIC | IB_ODP_SUPPORT_SRQ_RECV;
	/* Datagrams go through the same MR layer as RC SENDs. */
	attr->odp_caps.per_transport_caps.ud_odp_caps =
		IB_ODP_SUPPORT_SEND | IB_ODP_SUPPORT_RECV |
		IB_ODP_SUPPORT_SRQ_RECV;
	attr->device_cap_flags = IB_DEVICE_RC_RNR_NAK_GEN |
				 IB_DEVICE_PORT_ACTIVE_EVENT |
				 IB_DEVICE_SYS_IMAGE_GUID |
				 IB_DEVICE_MEM_WINDOW |
				 IB_DEVICE_MEM_WINDOW_TYPE_2B |
				 IB_DEVICE_ATOMIC_WRITE |
				 IB_DEVICE_FLUSH_GLOBAL |
				 IB_DEVICE_MEM_MGT_EXTENSIONS |
				 IB_DEVICE_SRQ_RESIZE;
	/* Fast registration, LOCAL_INV, SEND_WITH_INV: sodp_mr_frmr.c. */
	attr->max_fast_reg_page_list_len = SODP_MAX_FRMR_PAGES;
	attr->max_mr_size = U64_MAX;
	attr->max_qp = SODP_MAX_QP;
	attr->max_qp_wr = SODP_MAX_QP_WR;
	attr->max_send_sge = SODP_MAX_SGE;
	attr->max_recv_sge = SODP_MAX_SGE;
	attr->max_sge_rd = SODP_MAX_SGE;
	attr->max_cq = SODP_MAX_CQ;
	attr->max_cqe = SODP_MAX_CQE;
	attr->max_mr = SODP_MAX_MR;
	attr->max_mw = SODP_MAX_MW;
	attr->max_ah = SODP_MAX_AH;
	attr->max_srq = SODP_MAX_SRQ;
	attr->max_srq_wr = SODP_MAX_QP_WR;
	attr->max_srq_sge = SODP_MAX_SGE;
	attr->max_mcast_grp = SODP_MAX_MCAST_GRP;
	attr->max_mcast_qp_attach = SODP_MAX_MCAST_QP_ATTACH;
	attr->max_total_mcast_qp_attach = SODP_MAX_MCAST_TOTAL_ATTACH;
	attr->max_qp_rd_atom = SODP_MAX_RD_ATOMIC;
	attr->max_qp_init_rd_atom = SODP_MAX_RD_ATOMIC;
	attr->max_res_rd_atom = SODP_MAX_RD_ATOMIC * SODP_MAX_QP;
	/* Atomics are locked CPU instructions on the page: see sodp_mr.c. */
	attr->atomic_cap = IB_ATOMIC_GLOB;
	attr->local_ca_ack_delay = 15;
	attr->max_pkeys = 1;
	return ib_respond_empty_udata(udata);
}

int sodp_query_port(struct ib_device *ibdev, u32 port_num,
		    struct ib_port_attr *attr)
{
	struct net_device *ndev;

	/*
	 * The core zeroes *attr before calling us.  The CM talks through
	 * the GSI QP.
	 */
	attr->port_cap_flags = IB_PORT_CM_SUP;
	attr->gid_tbl_len = SODP_GID_TABLE_LEN;
	attr->pkey_tbl_len = 1;
	attr->max_mtu = IB_MTU_4096;
	attr->ip_gids = true;
	attr->max_msg_sz = SODP_MAX_MSG_SIZE;

	ndev = ib_device_get_netdev(ibdev, port_num);
	if (!ndev) {
		attr->state = IB_PORT_DOWN;
		attr->phys_state = IB_PORT_PHYS_STATE_DISABLED;
		attr->active_mtu = IB_MTU_256;
		return 0;
	}

	attr->state = ib_get_curr_port_state(ndev);
	attr->phys_state = attr->state == IB_PORT_ACTIVE ?
			   IB_PORT_PHYS_STATE_LINK_UP :
			   IB_PORT_PHYS_STATE_DISABLED;
	attr->active_mtu = iboe_get_mtu(READ_ONCE(ndev->mtu));
	dev_put(ndev);

	return ib_get_eth_speed(ibdev, port_num, &attr->active_speed,
				&attr->active_width);
}

int sodp_query_pkey(struct ib_device *ibdev, u32 port_num, u16 index,
		    u16 *pkey)
{
	if (index > 0)
		return -EINVAL;

	*pkey = IB_DEFAULT_PKEY_FULL;
	return 0;
}

int sodp_get_port_immutable(struct ib_device *ibdev, u32 port_num,
			    struct ib_port_immutable *immutable)
{
	immutable->core_cap_flags = SODP_PORT_CAP_FLAGS;
	immutable->pkey_tbl_len = 1;
	immutable->gid_tbl_len = SODP_GID_TABLE_LEN;
	immutable->max_mad_size = IB_MGMT_MAD_SIZE;
	return 0;
}

enum rdma_link_layer sodp_get_link_layer(struct ib_device *ibdev,
					 u32 port_num)
{
	return IB_LINK_LAYER_ETHERNET;
}

int sodp_alloc_ucontext(struct ib_ucontext *ibuc, struct ib_udata *udata)
{
	struct sodp_dev *sdev = to_sodp_dev(ibuc->device);
	struct sodp_alloc_ucontext_resp resp = {
		.abi_version = SODP_ABI_VERSION,
		.caps = SODP_CAP_UD | SODP_CAP_SRQ | SODP_CAP_MW |
			SODP_CAP_UC | SODP_CAP_ATOMIC_WRITE | SODP_CAP_FLUSH |
			SODP_CAP_SRQ_RESIZE,
	};
	int err;

	err = ib_is_udata_in_empty(udata);
	if (err)
		return err;

	if (atomic_inc_return(&sdev->num_ucontext) > SODP_MAX_UCONTEXT) {
		sodp_dbg_dev(sdev, "too many user contexts\n");
		err = -ENOMEM;
		goto err_uncount;
	}

	err = ib_respond_udata(udata, resp);
	if (err)
		goto err_uncount;
	return 0;

err_uncount:
	atomic_dec(&sdev->num_ucontext);
	return err;
}

void sodp_dealloc_ucontext(struct ib_ucontext *ibuc)
{
	atomic_dec(&to_sodp_dev(ibuc->device)->num_ucontext);
}

int sodp_alloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	struct sodp_dev *sdev = to_sodp_dev(ibpd->device);
	struct sodp_pd *pd = to_sodp_pd(ibpd);
	struct sodp_alloc_pd_resp resp = {};
	int err;

	err = ib_is_udata_in_empty(udata);
	if (err)
		return err;

	/* PD numbers start at 1 so that 0 never names a live PD. */
	err = xa_alloc(&sdev->pd_ids, &pd->pdn, pd,
		       XA_LIMIT(1, SODP_MAX_PD), GFP_KERNEL);
	if (err == -EBUSY)
		err = -ENOMEM;	/* out of PD numbers: a resource limit */
	if (err)
		return err;

	if (!udata)
		return 0;	/* a kernel consumer's */
	resp.pdn = pd->pdn;
	err = ib_respond_udata(udata, resp);
	if (err)
		goto err_erase_pdn;
	return 0;

err_erase_pdn:
	xa_erase(&sdev->pd_ids, pd->pdn);
	return err;
}

int sodp_dealloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	struct sodp_pd *pd = to_sodp_pd(ibpd);

	xa_erase(&to_sodp_dev(ibpd->device)->pd_ids, pd->pdn);
	return 0;
}

/*
 * Hot unplug with user contexts open (link delete, netdev removal): the
 * core destroys every object of the context through the verbs above and
 * revokes rdma_user_mmap_entry mappings itself.  sodp keeps no per-context
 * state outside those objects, so nothing is left to detach here; having the
 * op is what lets the core finish the removal without waiting for every
 * process to close the device.
 */
void sodp_disassociate_ucontext(struct ib_ucontext *ibuc)
{
}
