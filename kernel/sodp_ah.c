// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: address handles.
 *
 * The core frees an ib_ah as soon as destroy_ah returns, but a UD WQE
 * names its handle by number and is sent later, by the QP's work item.
 * So the address lives apart, in a refcounted struct sodp_av found by
 * number in sdev->ahs: destroy_ah takes the number away and drops the
 * handle's reference, and a packet being built holds one of its own.  The
 * last reference lets go of the source GID attribute at once (which keeps
 * the netdev; the core must see it released before the device goes) and
 * frees the memory after an RCU grace period, since look-ups are RCU.
 *
 * The CM creates and destroys handles under a spinlock: without
 * RDMA_CREATE_AH_SLEEPABLE / RDMA_DESTROY_AH_SLEEPABLE nothing here
 * sleeps or allocates with GFP_KERNEL.
 *
 * Locking: sdev->ahs's xa_lock (irqsave), around numbers only; it nests
 * inside whatever lock the caller holds and takes none itself.
 */
#include <rdma/ib_cache.h>
#include <rdma/uverbs_ioctl.h>

#include "sodp.h"

/* Drop a reference from sodp_av_get() or the handle's own.  Context: any. */
void sodp_av_put(struct sodp_av *av)
{
	if (!refcount_dec_and_test(&av->ref))
		return;
	/* Safe in any context: the core defers the release to a work item. */
	rdma_put_gid_attr(av->path.sgid_attr);
	kfree_rcu(av, rcu);
}

/**
 * sodp_av_get() - the address of handle @num, for one packet
 * @sdev: the device
 * @num: the handle's number, from the WQE
 * @pdn: the sending QP's PD: a handle of another PD is not found
 *
 * Context: any.
 * Return: the AV with a reference (sodp_av_put() it), or NULL.
 */
struct sodp_av *sodp_av_get(struct sodp_dev *sdev, u32 num, u32 pdn)
{
	struct sodp_av *av;

	rcu_read_lock();
	av = xa_load(&sdev->ahs, num);
	if (av && (av->pdn != pdn || !refcount_inc_not_zero(&av->ref)))
		av = NULL;
	rcu_read_unlock();
	return av;
}

static int sodp_ah_init(struct sodp_ah *ah, struct rdma_ah_init_attr *init,
			gfp_t gfp)
{
	struct sodp_dev *sdev = to_sodp_dev(ah->ibah.device);
	struct rdma_ah_attr *attr = init->ah_attr;
	struct sodp_av *av;
	int err;

	if (attr->type != RDMA_AH_ATTR_TYPE_ROCE ||
	    rdma_ah_get_port_num(attr) != SODP_PORT || sodp_path_check(attr))
		return -EINVAL;
	if (atomic_inc_return(&sdev->num_ah) > SODP_MAX_AH) {
		err = -ENOMEM;
		goto err_count;
	}
	av = kzalloc(sizeof(*av), gfp);
	if (!av) {
		err = -ENOMEM;
		goto err_count;
	}
	err = sodp_path_init(sdev, &av->path, attr);
	if (err)
		goto err_free;
	av->path.sgid_attr = attr->grh.sgid_attr;
	rdma_hold_gid_attr(av->path.sgid_attr);
	av->pdn = to_sodp_pd(ah->ibah.pd)->pdn;
	refcount_set(&av->ref, 1);

	if (gfpflags_allow_blocking(gfp)) {
		err = xa_alloc_cyclic_irq(&sdev->ahs, &ah->num, av,
					  XA_LIMIT(1, SODP_MAX_AH_NUM),
					  &sdev->next_ah, gfp);
	} else {
		unsigned long irqflags;

		/* The caller may hold a lock with interrupts off. */
		xa_lock_irqsave(&sdev->ahs, irqflags);
		err = __xa_alloc_cyclic(&sdev->ahs, &ah->num, av,
					XA_LIMIT(1, SODP_MAX_AH_NUM),
					&sdev->next_ah, gfp);
		xa_unlock_irqrestore(&sdev->ahs, irqflags);
	}
	if (err < 0)
		goto err_put;
	ah->av = av;
	/* A plain copy for query_ah: the core holds the GID attribute. */
	ah->attr = *attr;
	ah->attr.grh.sgid_attr = NULL;
	return 0;

err_put:
	rdma_put_gid_attr(av->path.sgid_attr);
err_free:
	kfree(av);
err_count:
	atomic_dec(&sdev->num_ah);
	return err == -EBUSY ? -ENOMEM : err;
}

int sodp_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init,
		   struct ib_udata *udata)
{
	struct sodp_ah *ah = to_sodp_ah(ibah);
	struct sodp_create_ah_resp resp = {};
	int err;

	if (!udata)
		return sodp_ah_init(ah, init,
				    init->flags & RDMA_CREATE_AH_SLEEPABLE ?
				    GFP_KERNEL : GFP_ATOMIC);

	err = ib_is_udata_in_empty(udata);
	if (err)
		return err;
	err = sodp_ah_init(ah, init, GFP_KERNEL_ACCOUNT);
	if (err)
		return err;
	resp.ah_num = ah->num;
	err = ib_respond_udata(udata, resp);
	if (err)
		sodp_destroy_ah(ibah, RDMA_DESTROY_AH_SLEEPABLE);
	return err;
}

int sodp_query_ah(struct ib_ah *ibah, struct rdma_ah_attr *attr)
{
	*attr = to_sodp_ah(ibah)->attr;
	return 0;
}

/*
 * Context: any.  Nothing here sleeps, so RDMA_DESTROY_AH_SLEEPABLE in
 * @flags changes nothing.
 */
int sodp_destroy_ah(struct ib_ah *ibah, u32 flags)
{
	struct sodp_ah *ah = to_sodp_ah(ibah);
	struct sodp_dev *sdev = to_sodp_dev(ibah->device);
	unsigned long irqflags;

	xa_lock_irqsave(&sdev->ahs, irqflags);
	__xa_erase(&sdev->ahs, ah->num);
	xa_unlock_irqrestore(&sdev->ahs, irqflags);
	sodp_av_put(ah->av);
	atomic_dec(&sdev->num_ah);
	return 0;
}
