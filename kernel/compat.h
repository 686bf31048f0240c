/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one place that knows which kernel sodp is built against.  sodp is
 * written for the newest kernel's interfaces (7.3); for Debian 13's 6.12
 * LTS this file supplies each interface 6.12 lacks.  Kernels between the
 * two have not been built or run, and older ones lack more than a shim can
 * give: the build stops on them rather than guess.
 *
 * Included at the end of sodp.h: some shims wrap sodp's own functions.
 */
#ifndef SODP_COMPAT_H
#define SODP_COMPAT_H

#include <linux/slab.h>
#include <linux/version.h>

/*
 * kzalloc_obj(): the allocation's size taken from the pointer it is
 * assigned to.  Older 6.12.y releases have none: the same with sizeof.
 */
#ifndef kzalloc_obj
#define kzalloc_obj(P, gfp)	kzalloc(sizeof(P), gfp)
#endif

/* Older than 6.12: docs/architecture.md, "Kernels" (bookworm's 6.1 tried). */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0) || \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0) && \
	 LINUX_VERSION_CODE < KERNEL_VERSION(7, 3, 0))
#error "sodp builds on 6.12 LTS and on 7.3 or later; this kernel is neither"
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
#define SODP_COMPAT_6_12 1

#include <linux/mm.h>
#include <linux/rmap.h>
#include <rdma/ib_umem.h>
#include <rdma/uverbs_ioctl.h>

/* sodp's handlers by 7.3's rules; 6.12's ops table takes the wrappers below. */
int sodp_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		   struct uverbs_attr_bundle *attrs);
int sodp_create_kernel_cq(struct ib_cq *ibcq,
			  const struct ib_cq_init_attr *attr,
			  struct uverbs_attr_bundle *attrs);
int sodp_resize_cq(struct ib_cq *ibcq, unsigned int cqe,
		   struct ib_udata *udata);

/*
 * 6.12 has one create_cq for both: attrs is NULL for a kernel CQ, which
 * 7.3 sends to create_cq while user CQs go to create_user_cq.
 */
static inline int sodp_compat_create_cq(struct ib_cq *ibcq,
					const struct ib_cq_init_attr *attr,
					struct uverbs_attr_bundle *attrs)
{
	return attrs ? sodp_create_cq(ibcq, attr, attrs) :
		       sodp_create_kernel_cq(ibcq, attr, NULL);
}

/*
 * 6.12's resize_cq is also reached from ib_resize_cq() with no udata (7.3
 * has resize_user_cq only), and takes a signed count uverbs does not check.
 */
static inline int sodp_compat_resize_cq(struct ib_cq *ibcq, int cqe,
					struct ib_udata *udata)
{
	if (!udata)
		return -EOPNOTSUPP;
	if (cqe <= 0)
		return -EINVAL;
	return sodp_resize_cq(ibcq, cqe, udata);
}

/* 6.12's reg_user_mr has no DMA handle (struct ib_dmah is 7.x's). */
static inline struct ib_mr *
sodp_compat_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length, u64 iova,
			int access, struct ib_udata *udata)
{
	return sodp_reg_user_mr(ibpd, start, length, iova, access, NULL, udata);
}

#define SODP_CQ_MR_OPS							\
	.create_cq = sodp_compat_create_cq,				\
	.resize_cq = sodp_compat_resize_cq,				\
	.reg_user_mr = sodp_compat_reg_user_mr

/* The udata helpers 7.x added, with the same results. */
static inline int ib_is_udata_in_empty(struct ib_udata *udata)
{
	int r;

	if (!udata || !udata->inlen)
		return 0;
	r = check_zeroed_user(udata->inbuf, udata->inlen);
	if (r < 0)
		return r;
	return r ? 0 : -EOPNOTSUPP;
}

static inline int sodp_compat_respond_udata(struct ib_udata *udata,
					    const void *src, size_t len)
{
	size_t n;

	if (!udata || !udata->outlen)
		return 0;
	n = min(len, udata->outlen);
	if (copy_to_user(udata->outbuf, src, n))
		return -EFAULT;
	if (udata->outlen > n &&
	    clear_user(udata->outbuf + n, udata->outlen - n))
		return -EFAULT;
	return 0;
}

#define ib_respond_udata(udata, rep)					\
	sodp_compat_respond_udata(udata, &(rep), sizeof(rep))

static inline int ib_respond_empty_udata(struct ib_udata *udata)
{
	if (udata && udata->outlen && clear_user(udata->outbuf, udata->outlen))
		return -EFAULT;
	return 0;
}

/* 6.12's ib_umem_get() already keeps the address's offset in the page. */
#define ib_umem_get_va(dev, addr, size, access)				\
	ib_umem_get(dev, addr, size, access)

/*
 * 6.12 allocates every device in init_net; what the device's namespace
 * changes there (the rdma tool's view in exclusive netns mode) is noted in
 * docs/architecture.md.
 */
#define ib_alloc_device_with_net(drv_struct, member, net)		\
	({ (void)(net); ib_alloc_device(drv_struct, member); })

/* The port a netdev is attached to: sodp devices have one. */
static inline int ib_query_netdev_port(struct ib_device *ibdev,
				       struct net_device *ndev, u32 *port)
{
	struct net_device *cur = ib_device_get_netdev(ibdev, 1);
	int err = cur == ndev ? 0 : -ENOENT;

	if (cur)
		dev_put(cur);
	if (!err)
		*port = 1;
	return err;
}

static inline enum ib_port_state
ib_get_curr_port_state(struct net_device *ndev)
{
	return netif_running(ndev) && netif_carrier_ok(ndev) ?
		IB_PORT_ACTIVE : IB_PORT_DOWN;
}

/*
 * 6.12's core sends no port event when the netdev's link changes (7.3's
 * does, from its own notifier): sodp's notifier sends them itself, on
 * every UP, DOWN and CHANGE, where 7.3 sends one per change of state, so
 * a consumer may see the same state twice.  The caller holds a reference
 * on the device: the event is work queued on it.
 */
#define SODP_CORE_SENDS_PORT_EVENTS	false

static inline void sodp_compat_port_event(struct ib_device *ibdev,
					  struct net_device *ndev,
					  unsigned long event)
{
	struct ib_event ev = { .device = ibdev, .element.port_num = 1 };

	if (event != NETDEV_UP && event != NETDEV_DOWN &&
	    event != NETDEV_CHANGE)
		return;
	ev.event = ib_get_curr_port_state(ndev) == IB_PORT_ACTIVE ?
		   IB_EVENT_PORT_ACTIVE : IB_EVENT_PORT_ERR;
	ib_dispatch_event(&ev);
}

#define timer_container_of(var, t, field) from_timer(var, t, field)

#else /* 7.3 or later */

#define SODP_CORE_SENDS_PORT_EVENTS	true

static inline void sodp_compat_port_event(struct ib_device *ibdev,
					  struct net_device *ndev,
					  unsigned long event)
{
}

#define SODP_CQ_MR_OPS							\
	.create_cq = sodp_create_kernel_cq,				\
	.create_user_cq = sodp_create_cq,				\
	.resize_user_cq = sodp_resize_cq,				\
	.reg_user_mr = sodp_reg_user_mr

#endif

/*
 * Device-exclusive entries exist only with CONFIG_DEVICE_PRIVATE, which
 * Debian's 6.12 kernel leaves out: there every atomic on ODP memory takes
 * the fallback (docs/odp.md), an atomic instruction on the page under the
 * fault's locks, exact against the CPU's atomics but not exclusive.
 */
#if !IS_ENABLED(CONFIG_DEVICE_PRIVATE)
static inline struct page *
sodp_compat_no_device_exclusive(struct mm_struct *mm, unsigned long addr,
				void *owner, struct folio **foliop)
{
	return ERR_PTR(-EOPNOTSUPP);
}

#define make_device_exclusive(mm, addr, owner, foliop)			\
	sodp_compat_no_device_exclusive(mm, addr, owner, foliop)

#elif defined(SODP_COMPAT_6_12)
/*
 * make_device_exclusive() by 6.12's make_device_exclusive_range(), which
 * differs in three ways.  It does not refuse pages that are not anonymous
 * (7.3 answers -EOPNOTSUPP), so mappings that are not anonymous are
 * refused here first: they take the fallback, a private file mapping's
 * copied pages too, which 7.3 would make exclusive.  And it reports
 * every failure as a NULL page, a lost folio lock as well as a page that
 * cannot be exclusive: that is answered -EBUSY, which the caller retries
 * within its limit.  And it fails every page of a large folio, which is
 * refused first too.
 */
static inline struct page *
sodp_compat_make_device_exclusive(struct mm_struct *mm, unsigned long addr,
				  void *owner, struct folio **foliop)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);
	struct page *page = NULL;
	struct folio *folio;
	bool can;
	int n;

	if (!vma || !vma_is_anonymous(vma) || is_vm_hugetlb_page(vma))
		return ERR_PTR(-EOPNOTSUPP);
	/*
	 * 6.12 answers NULL for every page of a large folio (a THP, even
	 * once its PMD is split), so -EBUSY would retry forever: such a
	 * page is refused before trying.  A folio that becomes large in
	 * between costs one -EBUSY, and the retry is refused here.
	 */
	n = get_user_pages_remote(mm, addr, 1, FOLL_GET | FOLL_WRITE, &page,
				  NULL);
	if (n < 0)
		return ERR_PTR(n);
	if (n != 1)
		return ERR_PTR(-EBUSY);
	folio = page_folio(page);
	can = folio_test_anon(folio) && !folio_test_large(folio);
	folio_put(folio);
	if (!can)
		return ERR_PTR(-EOPNOTSUPP);
	page = NULL;
	n = make_device_exclusive_range(mm, addr, addr + PAGE_SIZE, &page,
					owner);
	if (n < 0)
		return ERR_PTR(n);
	if (!n || !page)
		return ERR_PTR(-EBUSY);
	*foliop = page_folio(page);
	return page;
}

#define make_device_exclusive(mm, addr, owner, foliop)			\
	sodp_compat_make_device_exclusive(mm, addr, owner, foliop)
#endif

#endif /* SODP_COMPAT_H */
