/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sodp: a software RoCEv2 RDMA device with first-class On-Demand Paging.
 *
 * Objects, limits and the helpers every file shares.
 */
#ifndef SODP_H
#define SODP_H

#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <rdma/ib_verbs.h>

#include <rdma/sodp-abi.h>

#define SODP_PORT		1	/* one port per device, like a NIC port */
#define SODP_GID_TABLE_LEN	1024
#define SODP_VENDOR_ID		0xffffff /* no IEEE OUI: a software device */

/* Every object count is bounded; these are the bounds. */
#define SODP_MAX_UCONTEXT	4096
#define SODP_MAX_PD		0x10000
#define SODP_MAX_CQ		0x4000
#define SODP_MAX_CQE		0x3ffff
#define SODP_MAX_QP		0x4000
#define SODP_MAX_QP_WR		0x4000
#define SODP_MAX_SGE		32
#define SODP_MAX_INLINE		512
#define SODP_MAX_PAYLOAD	4096	/* per packet: the largest IB MTU */
/*
 * A loopback burst (sodp_net_alloc_to()) carries at most this much: with
 * its headers and skb_shared_info it fits an order-3 allocation.
 */
#define SODP_LOOP_MAX_PAYLOAD	(32768 - 1024)
#define SODP_MAX_MR		0x10000
#define SODP_MAX_MW		0x10000
#define SODP_MAX_FRMR_PAGES	512	/* pages of one fast registration */
/* Key indices at or above this name windows, below it MRs (sodp_mw.c). */
#define SODP_MW_INDEX_BASE	0x100000
#define SODP_MAX_AH		0x10000
#define SODP_MAX_AH_NUM		0x100000	/* numbers cycle below this */
#define SODP_MAX_RD_ATOMIC	128
#define SODP_MAX_MSG_SIZE	0x80000000U	/* IBTA's limit */
#define SODP_MIN_QPN		16		/* below: special QPs */
#define SODP_MAX_QPN		(SODP_MIN_QPN + SODP_MAX_QP)
#define SODP_MAX_SRQ		0x4000
#define SODP_RX_QUEUE_MAX	8192		/* packets queued per QP */
#define SODP_RX_QUEUE_MAX_BURSTS 256		/* of them loopback bursts */
#define SODP_MAX_MCAST_GRP	8192
#define SODP_MAX_MCAST_QP_ATTACH 56		/* members of one group */
#define SODP_MAX_MCAST_TOTAL_ATTACH \
	(SODP_MAX_MCAST_GRP * SODP_MAX_MCAST_QP_ATTACH)

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
	atomic_t num_cq;
	atomic_t num_qp;
	atomic_t num_ah;
	atomic_t num_srq;
	struct xarray qps;	/* qpn -> struct sodp_qp, RCU-read */
	struct xarray mrs;	/* key >> 8 -> struct sodp_mr, RCU-read */
	struct xarray mws;	/* key >> 8 -> struct sodp_mw (sodp_mw.c) */
	struct xarray ahs;	/* AH number -> struct sodp_av, RCU-read */
	u32 next_qpn;
	u32 next_mr;
	u32 next_mw;
	u32 next_ah;
	struct net_device *rx_ndev;	/* rx handler installed; rtnl */
	int vlan_id;		/* the netdev's VLAN for good, or -1 */
	struct sodp_counters *stats;
	struct mutex mcast_lock;	/* attach/detach; sodp_mcast.c */
	DECLARE_HASHTABLE(mcgs, 8);	/* multicast groups, RCU-read */
	u32 mcast_groups;		/* under mcast_lock */
};

/* Per-device counters, shown by `rdma statistic`; see sodp_stats.c. */
enum sodp_counter {
	SODP_CNT_RX_PKTS,
	SODP_CNT_TX_PKTS,
	SODP_CNT_RX_DROP_MALFORMED,
	SODP_CNT_RX_DROP_ICRC,
	SODP_CNT_RX_DROP_NO_QP,
	SODP_CNT_RX_DROP_QUEUE_FULL,
	SODP_CNT_RX_DROP_STATE,
	SODP_CNT_TX_ERR,
	SODP_CNT_RETRANSMIT,
	SODP_CNT_RNR_NAK_SENT,
	SODP_CNT_RNR_NAK_RCVD,
	SODP_CNT_SEQ_NAK_SENT,
	SODP_CNT_SEQ_NAK_RCVD,
	SODP_CNT_IMPLIED_NAK,
	SODP_CNT_DUP_REQ,
	SODP_CNT_ERR_NAK_SENT,
	SODP_CNT_LOOPBACK_PKTS,
	SODP_CNT_LOOPBACK_BURSTS,
	SODP_CNT_RX_DROP_QKEY,
	SODP_CNT_RX_DROP_NO_RWQE,
	SODP_CNT_RX_DROP_TOO_SMALL,
	SODP_CNT_RX_DROP_ODP,
	SODP_CNT_UD_OVERSIZE,
	SODP_CNT_RX_DROP_NOMEM,
	SODP_CNT_UC_MSG_DROPPED,
	SODP_CNT_RX_DROP_PKEY,
	SODP_CNT_RX_DROP_ADDR,
	SODP_CNT_FAST_REG,
	SODP_CNT_LOCAL_INV,
	SODP_CNT_REMOTE_INV,
	SODP_CNT_ODP_SLOW_FAULTS,	/* device only: sodp_resp_fault.c */
	/* ODP: kept together, FAULTS first and ATOMIC_FALLBACK last */
	SODP_CNT_ODP_FAULTS,
	SODP_CNT_ODP_PAGES_FAULTED,
	SODP_CNT_ODP_PAGES_AROUND,
	SODP_CNT_ODP_FAULT_ERRORS,
	SODP_CNT_ODP_RETRIES,
	SODP_CNT_ODP_INVALIDATIONS,
	SODP_CNT_ODP_PAGES_INVALIDATED,
	SODP_CNT_ODP_PREFETCHES,
	SODP_CNT_ODP_EXCL_GRANTED,
	SODP_CNT_ODP_EXCL_REVOKED,
	SODP_CNT_ODP_EXCL_RETRIES,
	SODP_CNT_ODP_DEFERRED,
	SODP_CNT_ODP_TABLE_BLOCKS,	/* a level, not an event count */
	SODP_CNT_ODP_ATOMIC_FALLBACK,
	SODP_CNT_NUM
};

struct sodp_counters {
	atomic64_t c[SODP_CNT_NUM];
};

/*
 * The ODP counters, a contiguous run of enum sodp_counter, are also kept
 * per MR (DESIGN rule 10) and shown through restrack (sodp_stats.c).
 */
#define SODP_CNT_ODP_FIRST	SODP_CNT_ODP_FAULTS
#define SODP_CNT_ODP_NUM	(SODP_CNT_ODP_ATOMIC_FALLBACK + 1 - \
				 SODP_CNT_ODP_FIRST)

/*
 * Per-MR ODP counters.  Atomics rather than counts under a lock: one MR's
 * events come from every QP work item using it, from notifier calls on
 * any CPU, and, for an implicit MR, from children that each have their
 * own lock, so no one lock covers them all; and restrack reads them
 * without stopping anything.
 */
struct sodp_odp_stats {
	atomic64_t c[SODP_CNT_ODP_NUM];
};

static inline void sodp_count(struct sodp_dev *sdev, enum sodp_counter c)
{
	atomic64_inc(&sdev->stats->c[c]);
}

static inline void sodp_count_add(struct sodp_dev *sdev, enum sodp_counter c,
				  u64 n)
{
	if (n)
		atomic64_add(n, &sdev->stats->c[c]);
}

/* An ODP event: counted for the device and for the MR it happened on. */
static inline void sodp_count_odp(struct sodp_dev *sdev,
				  struct sodp_odp_stats *mr_stats,
				  enum sodp_counter c, u64 n)
{
	if (!n)
		return;
	atomic64_add(n, &sdev->stats->c[c]);
	atomic64_add(n, &mr_stats->c[c - SODP_CNT_ODP_FIRST]);
}

/* Lower a level (SODP_CNT_ODP_TABLE_BLOCKS) raised by sodp_count_odp(). */
static inline void sodp_uncount_odp(struct sodp_dev *sdev,
				    struct sodp_odp_stats *mr_stats,
				    enum sodp_counter c, u64 n)
{
	if (!n)
		return;
	atomic64_sub(n, &sdev->stats->c[c]);
	atomic64_sub(n, &mr_stats->c[c - SODP_CNT_ODP_FIRST]);
}

struct sodp_ucontext {
	struct ib_ucontext ibuc;
};

/*
 * A ring shared with user space (see sodp-abi.h).  The memory belongs to
 * the mmap entry and is freed by sodp_mmap_free() once the object dropped
 * the entry; pages still mapped by a process live on until it unmaps them.
 */
struct sodp_mmap_entry {
	struct rdma_user_mmap_entry rdma;
	void *buf;
	size_t size;
};

struct sodp_ring {
	struct sodp_ring_hdr *hdr;
	void *slots;
	u32 num_slots;
	u32 slot_size;
	struct sodp_mmap_entry *entry;	/* a user ring's owner */
	void *kbuf;			/* a kernel consumer's ring (owned) */
};

/* Slot size for a header plus @payload bytes: a power of two. */
static inline u32 sodp_slot_size(u32 hdr, u32 payload)
{
	return roundup_pow_of_two(hdr + payload);
}

static inline void *sodp_ring_slot(const struct sodp_ring *r, u32 idx)
{
	return r->slots + (size_t)(idx & (r->num_slots - 1)) * r->slot_size;
}

struct sodp_cq {
	struct ib_cq ibcq;
	spinlock_t lock;	/* ring, prod, notify */
	spinlock_t poll_lock;	/* a kernel CQ's consumer (sodp_kverbs.c) */
	struct sodp_ring ring;
	u32 prod;		/* our copy; the ring's may be scribbled on */
	u8 notify;		/* IB_CQ_NEXT_COMP / IB_CQ_SOLICITED armed */
	bool overflowed;
};

/* What an access needs from the pages it touches (ODP MRs). */
enum sodp_odp_need {
	SODP_ODP_READ,		/* readable */
	SODP_ODP_WRITE,		/* writable; the device will write */
	SODP_ODP_SNAPSHOT,	/* nothing: map what is present, fault nothing */
	/*
	 * as SNAPSHOT, once, and not at all if mmap_lock is not free now
	 * (sodp_odp_copy_now())
	 */
	SODP_ODP_PEEK,
};

struct page_pool;
struct sodp_mr;
struct sodp_odp;
struct sodp_imr;

/*
 * How long an ODP fault with no deadline of its own (a local access,
 * prefetch) goes on retrying walks that invalidations keep spoiling,
 * before it reports "not now" (-EAGAIN).
 */
#define SODP_ODP_FAULT_PATIENCE	HZ

/**
 * struct sodp_mr_ops - what one kind of MR does with its memory
 * @copy:	move @len bytes between user address @uaddr and @buf
 * @atomic:	an 8-byte atomic at the 8-byte aligned user address @uaddr
 *		(@until for both: see sodp_mr_copy())
 * @copy_now:	as @copy, but only as far as the pages are there without a
 *		fault: -ENODATA at the first that needs one, with @done
 *		the bytes copied before it.  NULL for kinds whose memory
 *		is always there: @copy never faults
 * @fault:	fault in what @copy of the same bytes would, without copying,
 *		as @need says (SODP_ODP_READ or _WRITE; NULL with @copy_now)
 * @prefetch:	make [@uaddr, @uaddr + @len) present ahead of use
 * @fill_res:	the kind's part of `rdma resource show mr -dd`
 * @destroy:	release what the kind's init took
 *
 * sodp_mr.c checks keys, rights and bounds and translates iovas to user
 * addresses before it calls these; they never see an access outside the
 * MR.  Pinned MRs are in sodp_mr_pinned.c, explicit ODP MRs in
 * sodp_odp.c, implicit ODP MRs in sodp_odp_implicit.c.
 */
/* What an 8-byte atomic does with the word (sodp_mr_atomic()). */
enum sodp_atomic_op {
	SODP_ATOMIC_FETCH_ADD,	/* += compare_add */
	SODP_ATOMIC_CMP_SWAP,	/* = swap if it was compare_add */
	SODP_ATOMIC_STORE,	/* = swap: ATOMIC_WRITE */
};

/*
 * The operation as one locked CPU instruction, so that it is atomic
 * against CPU atomics on the word too.  Return: the value before.
 */
static inline u64 sodp_atomic_do(atomic64_t *p, enum sodp_atomic_op op,
				 u64 compare_add, u64 swap)
{
	switch (op) {
	case SODP_ATOMIC_CMP_SWAP:
		return atomic64_cmpxchg(p, compare_add, swap);
	case SODP_ATOMIC_STORE:
		return atomic64_xchg(p, swap);
	default:
		return atomic64_fetch_add(compare_add, p);
	}
}

struct sodp_mr_ops {
	int (*copy)(struct sodp_mr *mr, unsigned long uaddr, void *buf,
		    u32 len, bool to_mr, unsigned long until);
	int (*copy_now)(struct sodp_mr *mr, unsigned long uaddr, void *buf,
			u32 len, bool to_mr, u32 *done);
	int (*fault)(struct sodp_mr *mr, unsigned long uaddr, u32 len,
		     enum sodp_odp_need need);
	int (*atomic)(struct sodp_mr *mr, unsigned long uaddr,
		      enum sodp_atomic_op op, u64 compare_add, u64 swap,
		      u64 *orig, unsigned long until);
	int (*prefetch)(struct sodp_mr *mr, unsigned long uaddr, u64 len,
			enum sodp_odp_need need);
	int (*fill_res)(struct sk_buff *msg, struct sodp_mr *mr);
	void (*destroy)(struct sodp_mr *mr);
};

/*
 * The MR access layer's object.  Only the MR access layer (sodp_mr*.c,
 * sodp_odp*.c) looks inside; the transport passes (mr, iova, length) and
 * gets bytes or an error.
 */
struct sodp_mr {
	struct ib_mr ibmr;
	struct sodp_dev *sdev;
	const struct sodp_mr_ops *ops;
	union {
		struct {			/* pinned */
			struct ib_umem *umem;
			struct page **pages;
			unsigned long npages;
		};
		struct sodp_odp *odp;		/* explicit ODP */
		struct sodp_imr *imr;		/* implicit ODP */
		struct sodp_frmr *frmr;		/* fast registration */
	};
	struct sodp_odp_stats odp_stats;	/* both kinds of ODP MR */
	u64 uaddr;		/* user address of the byte at iova */
	u64 iova;
	u64 length;		/* implicit: the user address space */
	int access;
	u32 pdn;
	/*
	 * The key the device answers to, under sdev->mrs' xa_lock; 0 (no
	 * key is) while a fast registration MR is invalid.  ibmr.lkey is
	 * the consumer's: ib_update_fast_reg_key() changes it before the
	 * registration that makes it valid has run.
	 */
	u32 key;
	u32 num_mw;		/* windows bound to it; sdev->mrs' xa_lock */
	refcount_t ref;
	struct completion released;
};

/**
 * struct sodp_mw - a memory window (sodp_mw.c)
 * @ibmw: the core's object, which the core allocates and frees
 * @rkey: the key it answers to now: its index and the tag of its last bind
 * @pdn: its PD
 * @mr: the MR it is bound to (counted in mr->num_mw), or NULL if unbound
 * @addr: first byte of the binding, in the MR's iova space
 * @length: bytes bound
 * @access: IB_ACCESS_* rights the binding grants (and IB_ZERO_BASED)
 * @qp: type 2: the QP it was bound through, the only one it serves
 *	(sodp_mw_qp_gone() unbinds the window before that QP is freed)
 *
 * All but @ibmw and @pdn change only under sdev->mws' xa_lock.
 */
struct sodp_mw {
	struct ib_mw ibmw;
	u32 rkey;
	u32 pdn;
	struct sodp_mr *mr;
	u64 addr;
	u64 length;
	int access;
	struct sodp_qp *qp;
};

/*
 * Work requests the responder answers with a response of their own (READ
 * responses, an atomic ACK), each holding one of its responder resources
 * (max_rd_atomic): READ and the atomics, and ATOMIC_WRITE and FLUSH, which
 * are answered by an empty READ response.
 */
static inline bool sodp_wr_is_answered(u8 op)
{
	return op == IB_UVERBS_WR_RDMA_READ ||
	       op == IB_UVERBS_WR_ATOMIC_CMP_AND_SWP ||
	       op == IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD ||
	       op == IB_UVERBS_WR_ATOMIC_WRITE ||
	       op == IB_UVERBS_WR_FLUSH;
}

/*
 * A FLUSH's placement type (a non-empty set of IB_FLUSH_GLOBAL and
 * IB_FLUSH_PERSISTENT) and selectivity level, as both ends check them.
 */
static inline bool sodp_flush_valid(u8 type, u8 level)
{
	return type && !(type & ~(IB_FLUSH_GLOBAL | IB_FLUSH_PERSISTENT)) &&
	       level <= IB_FLUSH_MR;
}

/*
 * Work requests that send nothing: the requester carries them out.
 * IB_WR_REG_MR is the kernel's alone (sodp_kverbs.c); it is not an
 * IB_UVERBS_WR_* number, and a user ring's WQE carrying it is refused.
 */
static inline bool sodp_wr_is_local(u8 op)
{
	return op == IB_UVERBS_WR_BIND_MW || op == IB_UVERBS_WR_LOCAL_INV ||
	       op == IB_WR_REG_MR;
}

/* Kernel-private state of one send WQE (shadow of a ring slot). */
struct sodp_swqe {
	struct sodp_send_wqe wqe;	/* copied header, validated */
	u32 length;			/* total payload bytes */
	u32 first_psn;			/* set once, on first transmission */
	u32 last_psn;			/* ditto: the range never moves */
	u32 done_bytes;			/* READ: response bytes placed */
	u8 state;			/* enum sodp_swqe_state */
	u8 status;			/* ib_wc_status for the CQE */
	u64 atomic_orig;
};

enum sodp_swqe_state {
	SODP_SWQE_QUEUED,	/* to be sent, or sent again after a rewind */
	SODP_SWQE_SENT,		/* every packet sent, awaiting ACK/response */
	SODP_SWQE_DONE,		/* complete; waiting to be retired in order */
};

/*
 * Dynamic debug about one QP (enable with
 * echo 'module sodp +p' > /sys/kernel/debug/dynamic_debug/control);
 * the events of the data path are trace events (sodp_trace.h).
 */
#define sodp_dbg_qp(qp, fmt, ...)					\
	do {								\
		const struct sodp_qp *_dqp = (qp);			\
									\
		ibdev_dbg(_dqp->ibqp.device, "qp 0x%x state %d: " fmt,	\
			  _dqp->ibqp.qp_num, READ_ONCE(_dqp->state),	\
			  ##__VA_ARGS__);				\
	} while (0)

/* Why the requester retransmits (trace event sodp_retry). */
enum sodp_retry_reason {
	SODP_RETRY_TIMEOUT,
	SODP_RETRY_SEQ_NAK,
	SODP_RETRY_IMPLIED_NAK,
};

/* What the responder did with a READ (trace event sodp_read_resp). */
enum sodp_read_step {
	SODP_READ_START,	/* a new READ: responses start */
	SODP_READ_REPLAY,	/* a duplicate: responses go on from there */
	SODP_READ_PAUSE,	/* an ODP page not to be had now: wait a tick */
	SODP_READ_DONE,		/* the last response went out */
	SODP_READ_FAIL,		/* the rest is answered by a NAK */
};

/*
 * Requester and completer state; touched only by the QP's work item.
 * The SQ indices and PSNs, and what a rewind does to them, are described
 * at the top of sodp_req.c.
 */
struct sodp_req {
	u32 fetch;		/* next SQ index to copy from the ring */
	u32 head;		/* oldest WQE not yet retired (ring cons) */
	u32 cur;		/* WQE being transmitted */
	u32 cur_off;		/* bytes of cur already sent */
	u32 sent;		/* WQEs before this have their PSNs */
	u32 psn;		/* next PSN to transmit */
	u32 next_psn;		/* first PSN of the WQE at sent */
	u32 sent_psn;		/* one past the highest PSN transmitted */
	u32 acked_psn;		/* every PSN before this is acknowledged */
	u32 rd_atomic_out;	/* READ/atomic WQEs SENT, not answered */
	u8 retry_left;
	u8 rnr_left;
	bool need_retry;	/* timeout or NAK: rewind to head */
	bool rewound;		/* rewound, and no progress since */
	bool rnr_wait;		/* RNR timer running */
	bool heard;		/* a response came in during this run */
};

/* Saved READ/ATOMIC requests, to answer duplicates (IBTA 9.7.5.1.2). */
struct sodp_rd_res {
	u8 opcode;
	bool valid;
	u32 psn;
	u32 last_psn;
	u64 va;
	u32 rkey;
	u32 length;
	u64 atomic_orig;
};

enum sodp_mr_dir { SODP_TO_MR, SODP_FROM_MR };

/*
 * The responder's ODP fault in flight (sodp_resp_fault.c).  The QP's work
 * item sets @mr (referenced), @iova, @len, @ahead and @need before it
 * queues the fault, and reads @err after @done; the fault's work item
 * reads those, sets @err and drops @mr in between.  @busy is the QP's.
 */
struct sodp_resp_fault {
	struct work_struct work;
	struct completion done;
	struct sodp_mr *mr;
	u64 iova;
	u32 len;
	u32 ahead;		/* bytes after @len to bring in, errors ignored */
	enum sodp_odp_need need;
	int err;
	bool busy;		/* queued, its result not taken yet */
};

struct sodp_resp {
	u32 epsn;		/* expected PSN */
	u32 msn;
	bool in_send;		/* a multi-packet SEND is in progress */
	bool in_write;		/* a multi-packet WRITE is in progress */
	bool uc_drop;		/* UC: drop until a message starts */
	bool nak_sent;		/* PSN sequence NAK outstanding */
	bool rnr_sent;		/* RNR NAK outstanding: drop the rest */
	bool ack_pending;
	u32 ack_psn;		/* PSN the pending ACK acknowledges */
	bool have_rwqe;		/* rwqe holds the RQ head */
	struct sodp_recv_wqe rwqe;
	struct sodp_sge rsge[SODP_MAX_SGE];
	u32 recv_off;		/* bytes of rwqe filled */
	u64 write_va;
	u32 write_left;
	u32 write_total;
	u32 write_rkey;		/* looked up again for every packet */
	u32 rd_next;		/* next slot of rd_res to use */
	struct sodp_rd_res *rd_res;	/* max_dest_rd_atomic entries */
	u32 rd_num;
	struct sodp_rd_res *rd_cur;	/* READ whose responses are going out */
	u32 rd_psn;		/* next response PSN */
	u64 rd_va;		/* next response byte */
	u32 rd_left;		/* bytes still to send */
	bool rd_first;		/* next response is the first */
	bool rd_paused;		/* an ODP page not to be had now: wait */
	/* rx_queue's length when last searched for duplicates of the READ */
	u32 dup_seen;
	u32 since_ack;		/* packets accepted since the last ACK */
	bool owing;		/* a request taken since we last answered */
	unsigned long owed_since;	/* jiffies when that one was taken */
	unsigned long patience;	/* sodp_resp_set_patience() */
	struct sodp_resp_fault fault;
};

/* Addressing fixed at RTR; everything a packet header needs. */
struct sodp_path {
	bool valid;
	bool ipv6;
	bool loopback;		/* destination GID is one of ours */
	bool mcast;		/* destination GID is a multicast group */
	u8 dmac[ETH_ALEN];
	union ib_gid sgid;
	union ib_gid dgid;
	u8 tclass;
	u8 hop_limit;
	u32 flow_label;
	u16 sport;
	const struct ib_gid_attr *sgid_attr;	/* held: keeps the netdev */
};

/*
 * An address handle's address (sodp_ah.c), apart from the ib_ah so that a
 * UD packet being built can hold it past destroy_ah.
 */
struct sodp_av {
	refcount_t ref;
	struct rcu_head rcu;
	u32 pdn;
	struct sodp_path path;	/* holds its sgid_attr */
};

struct sodp_ah {
	struct ib_ah ibah;
	struct sodp_av *av;
	u32 num;
	struct rdma_ah_attr attr;	/* as given, for query_ah */
};

static inline struct sodp_ah *to_sodp_ah(struct ib_ah *ibah)
{
	return container_of(ibah, struct sodp_ah, ibah);
}

/*
 * A shared receive queue (sodp_srq.c): an RQ ring that the work items of
 * every QP attached to it take WQEs from, in parallel.
 */
struct sodp_srq {
	struct ib_srq ibsrq;
	struct sodp_dev *sdev;
	spinlock_t lock;	/* cons, limit; taken in the QPs' work items */
	spinlock_t post_lock;	/* kernel consumers' posters, any context */
	struct sodp_ring rq;
	u32 cons;		/* kernel copy of the ring's consumer */
	u32 max_sge;
	u32 limit;		/* armed while non-zero (IB_SRQ_LIMIT) */
	bool broken;		/* user space corrupted the ring */
};

static inline struct sodp_srq *to_sodp_srq(struct ib_srq *ibsrq)
{
	return container_of(ibsrq, struct sodp_srq, ibsrq);
}

struct sodp_qp {
	struct ib_qp ibqp;
	struct sodp_dev *sdev;
	refcount_t ref;
	struct completion released;
	struct mutex mutex;		/* modify/query/destroy */
	unsigned long events;		/* SODP_EV_* bits, from timers */
	enum ib_qp_state state;		/* written with work disabled or by it */
	struct sodp_cq *scq;
	struct sodp_cq *rcq;
	struct sodp_ring sq;
	struct sodp_ring rq;		/* none (hdr NULL) with an SRQ */
	spinlock_t sq_lock;		/* kernel consumers' posting */
	u32 mws_bound;			/* type 2 windows; sdev->mws' xa_lock */
	spinlock_t rq_lock;		/* (sodp_kverbs.c) */
	struct sodp_srq *srq;
	bool last_wqe_sent;		/* IB_EVENT_QP_LAST_WQE_REACHED raised */
	struct sodp_swqe *swqe;		/* sq.num_slots shadows */
	void *sq_shadow;		/* sq.num_slots copied slots */
	u32 rq_cons;			/* kernel copy of the RQ consumer */
	u32 max_inline;
	u32 max_send_sge;
	u32 max_recv_sge;
	bool sig_all;

	/* attributes (ib_qp_attr) */
	u32 qkey;			/* UD */
	u32 dest_qpn;
	enum ib_mtu path_mtu;
	u32 mtu;
	int access;
	u8 timeout;
	u8 retry_cnt;
	u8 rnr_retry;
	u8 min_rnr_timer;
	u8 max_rd_atomic;
	u8 max_dest_rd_atomic;
	u32 sq_psn;
	u32 rq_psn;
	struct rdma_ah_attr ah_attr;	/* as given, for query_qp */
	struct sodp_path path;

	struct work_struct work;
	unsigned long run;		/* who runs the pass (sodp_run.c) */
	struct sodp_qp *run_next;	/* to run after this pass; referenced */
	u32 posted_epsn;	/* resp.epsn at the last doorbell: a hint */
	struct page_pool *burst_pool;	/* loopback bursts' heads, or NULL */
	struct sk_buff_head rx_queue;	/* the peer's requests */
	struct sk_buff_head ack_queue;	/* responses to our requests */
	struct timer_list retry_timer;
	struct timer_list rnr_timer;
	struct timer_list read_timer;	/* resumes a paused READ response */
	struct sodp_req req;
	struct sodp_resp resp;
};

/* qp->run: who runs the QP's pass (sodp_run.c) */
enum {
	SODP_RUN_ACTIVE,	/* a pass is running or about to */
	SODP_RUN_AGAIN,		/* something was queued: take another pass */
	SODP_RUN_OFF,		/* stopped by modify or destroy */
};

enum {
	SODP_EV_TIMEOUT,	/* retry timer expired */
	SODP_EV_RNR_DONE,	/* RNR wait is over */
	SODP_EV_READ_RESUME,	/* a paused READ response may go on */
};

static inline struct sodp_cq *to_sodp_cq(struct ib_cq *ibcq)
{
	return container_of(ibcq, struct sodp_cq, ibcq);
}

static inline struct sodp_qp *to_sodp_qp(struct ib_qp *ibqp)
{
	return container_of(ibqp, struct sodp_qp, ibqp);
}

/* RC and UC QPs talk to one peer, named by the path given at RTR. */
static inline bool sodp_qp_connected(const struct sodp_qp *qp)
{
	return qp->ibqp.qp_type == IB_QPT_RC || qp->ibqp.qp_type == IB_QPT_UC;
}

static inline struct sodp_mr *to_sodp_mr(struct ib_mr *ibmr)
{
	return container_of(ibmr, struct sodp_mr, ibmr);
}

static inline struct sodp_ucontext *to_sodp_uctx(struct ib_ucontext *ibuc)
{
	return container_of(ibuc, struct sodp_ucontext, ibuc);
}

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
int sodp_mmap(struct ib_ucontext *ibuc, struct vm_area_struct *vma);
void sodp_mmap_free(struct rdma_user_mmap_entry *rdma_entry);

/* sodp_ring.c */
int sodp_ring_create(struct ib_ucontext *ibuc, struct sodp_ring *ring,
		     u32 num_slots, u32 slot_size,
		     struct sodp_ring_info *info);
void sodp_ring_destroy(struct sodp_ring *ring);
int sodp_rwqe_copy(const struct sodp_ring *ring, u32 cons, u32 max_sge,
		   struct sodp_recv_wqe *wqe, struct sodp_sge *sge, u32 *posted);

/* sodp_cq.c */
int sodp_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		   struct uverbs_attr_bundle *attrs);
int sodp_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata);
int sodp_resize_cq(struct ib_cq *ibcq, unsigned int cqe,
		   struct ib_udata *udata);
int sodp_create_kernel_cq(struct ib_cq *ibcq,
			  const struct ib_cq_init_attr *attr,
			  struct uverbs_attr_bundle *attrs);
int sodp_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags);
int sodp_cq_post(struct sodp_cq *cq, const struct sodp_cqe *cqe,
		 bool solicited);

struct ib_dmah;	/* 7.x only; named here for 6.12 (compat.h) */

/* sodp_mr.c: the MR access layer */
struct ib_mr *sodp_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
			       u64 iova, int access, struct ib_dmah *dmah,
			       struct ib_udata *udata);
struct ib_mr *sodp_get_dma_mr(struct ib_pd *ibpd, int access);
int sodp_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata);
struct sodp_mr *sodp_mr_get(struct sodp_dev *sdev, u32 key, u32 pdn,
			    u64 iova, u64 length, int access);
struct sodp_mr *sodp_mr_get_whole(struct sodp_dev *sdev, u32 key, u32 pdn,
				  int access);
void sodp_mr_put(struct sodp_mr *mr);
struct sodp_mr *sodp_mr_bind_window(struct sodp_dev *sdev, u32 lkey, u32 pdn,
				    u64 iova, u64 length, int access);
void sodp_mr_unbind_window(struct sodp_mr *mr);
void sodp_mr_hold(struct sodp_mr *mr);

int sodp_alloc_mw(struct ib_mw *ibmw, struct ib_udata *udata);
int sodp_dealloc_mw(struct ib_mw *ibmw);
int sodp_mw_bind(struct sodp_qp *qp, const struct sodp_send_wqe *wqe);
int sodp_key_invalidate(struct sodp_qp *qp, u32 key, bool remote);
void sodp_mw_qp_gone(struct sodp_qp *qp);
struct sodp_mr *sodp_rkey_get(struct sodp_qp *qp, u32 rkey, u64 *va,
			      u64 length, int access);
struct sodp_mr *sodp_rkey_get_whole(struct sodp_qp *qp, u32 rkey, int access);
int sodp_advise_mr(struct ib_pd *ibpd, enum ib_uverbs_advise_mr_advice advice,
		   u32 flags, struct ib_sge *sg_list, u32 num_sge,
		   struct uverbs_attr_bundle *attrs);
int sodp_mr_copy(struct sodp_mr *mr, u64 iova, void *buf, u32 len,
		 enum sodp_mr_dir dir, unsigned long until);
int sodp_mr_atomic(struct sodp_mr *mr, u64 iova, enum sodp_atomic_op op,
		   u64 compare_add, u64 swap, u64 *orig, unsigned long until);
int sodp_mr_copy_now(struct sodp_mr *mr, u64 iova, void *buf, u32 len,
		     enum sodp_mr_dir dir, u32 *done);
int sodp_mr_fault(struct sodp_mr *mr, u64 iova, u32 len, u32 ahead,
		  enum sodp_odp_need need);
int sodp_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr);
/* The kinds of MR; each sets mr->ops when it succeeds. */
int sodp_mr_pinned_init(struct sodp_mr *mr);
int sodp_odp_mr_init(struct sodp_mr *mr);
int sodp_imr_mr_init(struct sodp_mr *mr);
int sodp_mr_dma_init(struct sodp_mr *mr);
/* sodp_mr_frmr.c: fast registration MRs of kernel consumers */
struct ib_mr *sodp_alloc_mr(struct ib_pd *ibpd, enum ib_mr_type type,
			    u32 max_num_sg);
int sodp_map_mr_sg(struct ib_mr *ibmr, struct scatterlist *sg, int sg_nents,
		   unsigned int *sg_offset);
int sodp_frmr_register(struct sodp_qp *qp, const struct sodp_send_wqe *wqe);
int sodp_frmr_invalidate(struct sodp_qp *qp, u32 key);
struct ib_mr *sodp_mr_publish(struct sodp_mr *mr, gfp_t gfp, bool valid);
struct sodp_mr *sodp_mr_alloc(struct ib_pd *ibpd, int access, gfp_t gfp);
/* Ops the kinds share. */
int sodp_mr_prefetch_present(struct sodp_mr *mr, unsigned long uaddr,
			     u64 len, enum sodp_odp_need need);
int sodp_mr_fill_res_none(struct sk_buff *msg, struct sodp_mr *mr);

struct sodp_pkt;

/* sodp_resp_fault.c */
extern struct workqueue_struct *sodp_odp_fault_wq;
void sodp_resp_fault_init(struct sodp_qp *qp);
void sodp_resp_fault_stop(struct sodp_qp *qp);
int sodp_resp_mr_copy(struct sodp_qp *qp, struct sodp_mr *mr, u64 iova,
		      void *buf, u32 len, u32 msg_left, enum sodp_mr_dir dir,
		      unsigned long until);

/* sodp_recvq.c */
int sodp_recvq_get(struct sodp_qp *qp);
int sodp_recvq_scatter(struct sodp_qp *qp, const u8 *data, u32 len,
		       unsigned long until);
u64 sodp_recvq_capacity(const struct sodp_qp *qp);
void sodp_recvq_fail(struct sodp_qp *qp, enum ib_wc_status st);

/* sodp_mcast.c */
int sodp_attach_mcast(struct ib_qp *ibqp, union ib_gid *gid, u16 lid);
int sodp_detach_mcast(struct ib_qp *ibqp, union ib_gid *gid, u16 lid);
unsigned int sodp_mcast_members(struct sodp_dev *sdev,
				const union ib_gid *mgid, u32 *qpns);
bool sodp_mcast_has_members(struct sodp_dev *sdev, const union ib_gid *mgid);

/* sodp_srq.c */
int sodp_srq_take(struct sodp_srq *srq, struct sodp_recv_wqe *wqe,
		  struct sodp_sge *sge);
int sodp_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		    struct ib_udata *udata);
int sodp_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		    enum ib_srq_attr_mask mask, struct ib_udata *udata);
int sodp_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr);
int sodp_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata);

/* sodp_ud.c */
bool sodp_ud_run(struct sodp_qp *qp, int *budget);
void sodp_ud_rx(struct sodp_qp *qp, const struct sodp_pkt *pkt,
		const u8 *l3, bool ipv6, const u8 *payload);

/* sodp_path.c */
int sodp_path_check(const struct rdma_ah_attr *ah);
u16 sodp_path_sport(const struct sodp_path *p, u32 lqpn, u32 rqpn);
int sodp_path_init(struct sodp_dev *sdev, struct sodp_path *p,
		   const struct rdma_ah_attr *ah);

/* sodp_ah.c */
int sodp_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init,
		   struct ib_udata *udata);
int sodp_query_ah(struct ib_ah *ibah, struct rdma_ah_attr *attr);
int sodp_destroy_ah(struct ib_ah *ibah, u32 flags);
struct sodp_av *sodp_av_get(struct sodp_dev *sdev, u32 num, u32 pdn);
void sodp_av_put(struct sodp_av *av);

/* sodp_qp.c */
int sodp_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		   struct ib_udata *udata);
int sodp_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		   struct ib_udata *udata);
int sodp_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		  struct ib_qp_init_attr *init);
int sodp_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata);
int sodp_fill_res_qp_entry(struct sk_buff *msg, struct ib_qp *ibqp);
int sodp_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		   const struct ib_send_wr **bad_wr);

/* sodp_kverbs.c: kernel consumers */
int sodp_kpost_send(struct sodp_qp *qp, const struct ib_send_wr *wr,
		    const struct ib_send_wr **bad_wr);
int sodp_post_srq_recv(struct ib_srq *ibsrq, const struct ib_recv_wr *wr,
		       const struct ib_recv_wr **bad_wr);
int sodp_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		   const struct ib_recv_wr **bad_wr);
int sodp_poll_cq(struct ib_cq *ibcq, int num_entries, struct ib_wc *wc);

/* sodp_qp_state.c */
extern struct workqueue_struct *sodp_wq;
struct sodp_qp *sodp_qp_get(struct sodp_dev *sdev, u32 qpn);
void sodp_qp_put(struct sodp_qp *qp);
void sodp_qp_kick(struct sodp_qp *qp);
void sodp_qp_kick_posted(struct sodp_qp *qp);
void sodp_qp_kick_after(struct sodp_qp *from, struct sodp_qp *qp);
void sodp_qp_publish_state(struct sodp_qp *qp);
void sodp_qp_error(struct sodp_qp *qp);
void sodp_qp_event(struct sodp_qp *qp, enum ib_event_type type);
void sodp_qp_sq_error(struct sodp_qp *qp);
int sodp_rq_complete(struct sodp_qp *qp, struct sodp_cqe *cqe,
		     bool solicited);

/* sodp_work.c */
void sodp_qp_pass(struct sodp_qp *qp);

/* sodp_run.c */
void sodp_qp_work(struct work_struct *work);
void sodp_qp_run_stop(struct sodp_qp *qp);
void sodp_qp_run_start(struct sodp_qp *qp);

/* sodp_burst.c */
struct sk_buff *sodp_burst_skb(struct sodp_qp *qp, u32 size);
void sodp_burst_pool_destroy(struct sodp_qp *qp);

/* sodp_net.c */

/*
 * What a loopback packet carries besides its bytes (skb->cb).  Read only
 * for PACKET_LOOPBACK skbs, which sodp_net_send_to() alone makes: the cb
 * of a packet from the netdev is the stack's.
 */
struct sodp_skb_cb {
	u16 nseg;		/* PSNs it stands for (struct sodp_pkt) */
};

static inline struct sodp_skb_cb *sodp_skb_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct sodp_skb_cb) > sizeof(skb->cb));
	return (struct sodp_skb_cb *)skb->cb;
}

int sodp_net_attach(struct sodp_dev *sdev, struct net_device *ndev);
void sodp_net_detach(struct sodp_dev *sdev);
void sodp_net_rcv(struct sodp_dev *sdev, struct sk_buff *skb);
struct sk_buff *sodp_net_alloc(struct sodp_qp *qp, struct sodp_pkt *pkt,
			       u32 payload_len, u8 **payload);
u32 sodp_net_burst_len(const struct sodp_qp *qp, u32 left, u32 max_segs);

/* PSNs a packet of an RC or UC QP with @len payload bytes stands for. */
static inline u16 sodp_net_nseg(const struct sodp_qp *qp, u32 len)
{
	return max_t(u32, DIV_ROUND_UP(len, qp->mtu), 1);
}

struct sk_buff *sodp_net_alloc_to(struct sodp_qp *qp,
				  const struct sodp_path *path, u16 sport,
				  struct sodp_pkt *pkt, u32 payload_len,
				  u8 **payload);
void sodp_net_send_to(struct sodp_qp *qp, const struct sodp_path *path,
		      struct sk_buff *skb);
void sodp_net_send(struct sodp_qp *qp, struct sk_buff *skb);

/* sodp_req.c, sodp_resp.c, sodp_comp.c: run only from the QP work item */
bool sodp_req_run(struct sodp_qp *qp, int *budget);
void sodp_req_flush(struct sodp_qp *qp);
void sodp_req_retire(struct sodp_qp *qp);
void sodp_req_fail(struct sodp_qp *qp, u32 idx, int err);
bool sodp_req_stop(struct sodp_qp *qp, int err, bool *stalled);
u64 sodp_ack_timeout_us(u8 timeout);
bool sodp_req_awaiting(struct sodp_qp *qp);
void sodp_req_arm_timer(struct sodp_qp *qp, bool restart);
struct sodp_swqe *sodp_req_swqe(struct sodp_qp *qp, u32 idx);
int sodp_req_fetch(struct sodp_qp *qp);
int sodp_req_gather(struct sodp_qp *qp, u32 idx, u32 off, void *buf,
		    u32 len);
int sodp_req_sge_copy(struct sodp_qp *qp, u32 idx, u32 off, void *buf,
		      u32 len, enum sodp_mr_dir dir);
void sodp_resp_rx(struct sodp_qp *qp, const struct sodp_pkt *pkt,
		  const u8 *payload);
void sodp_resp_uc_rx(struct sodp_qp *qp, const struct sodp_pkt *pkt,
		     const u8 *payload);
bool sodp_resp_busy(struct sodp_qp *qp);
void sodp_resp_set_patience(struct sodp_qp *qp);
/* What a queued request is to the READ being answered (sodp_work.c). */
enum sodp_read_dup {
	SODP_DUP_NO,		/* not a duplicate of it: waits its turn */
	SODP_DUP_OF_CUR,	/* a duplicate of it: taken at once */
	SODP_DUP_EARLIER,	/* a duplicate of an earlier request */
};

enum sodp_read_dup sodp_resp_read_dup(struct sodp_qp *qp,
				      const struct sodp_pkt *pkt);
bool sodp_resp_paused(struct sodp_qp *qp);
void sodp_resp_resume(struct sodp_qp *qp);
bool sodp_resp_continue(struct sodp_qp *qp, int *budget);
void sodp_resp_send_acks(struct sodp_qp *qp);
void sodp_resp_release(struct sodp_qp *qp);
int sodp_resp_set_rd_atomic(struct sodp_qp *qp, u8 num);
bool sodp_comp_rx(struct sodp_qp *qp, const struct sodp_pkt *pkt,
		  const u8 *payload);
void sodp_comp_rx_done(struct sodp_qp *qp);
void sodp_comp_timeout(struct sodp_qp *qp);
void sodp_comp_rnr_done(struct sodp_qp *qp);

/* sodp_fault.c */
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
bool sodp_fail_skb(size_t size);
void sodp_fault_init(void);
void sodp_fault_exit(void);
#else
static inline bool sodp_fail_skb(size_t size) { return false; }
static inline void sodp_fault_init(void) { }
static inline void sodp_fault_exit(void) { }
#endif

/* sodp_stats.c */
struct rdma_hw_stats *sodp_alloc_hw_port_stats(struct ib_device *ibdev,
					       u32 port_num);
int sodp_get_hw_stats(struct ib_device *ibdev, struct rdma_hw_stats *stats,
		      u32 port, int index);
int sodp_fill_res_odp(struct sk_buff *msg, const struct sodp_odp_stats *stats,
		      bool implicit, u32 children);

#include "compat.h"

#endif /* SODP_H */
