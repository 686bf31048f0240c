/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * sodp: the kernel <-> provider ABI.
 *
 * Written as a kernel uapi header so that it drops unchanged into
 * rdma-core's kernel-headers/rdma/.  Fixed-size types only, explicit
 * padding, no pointer types (the one user address, in struct
 * sodp_modify_srq_cmd, is an __aligned_u64); every struct size is pinned
 * by a static assertion on both sides (kernel/sodp_abi_check.h and
 * providers/sodp/sodp.c).
 *
 * Versioning: SODP_ABI_VERSION is published as the uverbs ABI version of
 * every sodp device (/sys/class/infiniband_verbs/uverbsN/abi_version).
 * libibverbs refuses to bind a provider whose version range does not include
 * it, and the provider checks it once more in the alloc_ucontext response.
 * Bump it for any incompatible change; append fields (with a comp_mask bit)
 * for compatible ones.
 */
#ifndef SODP_ABI_USER_H
#define SODP_ABI_USER_H

#include <linux/types.h>

#define SODP_ABI_VERSION 1

/* Name prefix the provider claims; see also the hca_type sysfs attribute. */
#define SODP_HCA_TYPE "sodp"

/*
 * Response to IB_USER_VERBS_CMD_GET_CONTEXT.  There is no request struct:
 * the kernel rejects a non-empty one.
 */
struct sodp_alloc_ucontext_resp {
	__u32 abi_version;	/* == SODP_ABI_VERSION */
	__u32 caps;		/* SODP_CAP_*: what this kernel does */
};

/*
 * sodp_alloc_ucontext_resp.caps.  A kernel from before a capability
 * answers 0 for it (the word was reserved and zero), and a provider
 * refuses what the kernel it runs on does not do.
 */
enum {
	SODP_CAP_UD		= 1 << 0,	/* UD QPs, AHs */
	SODP_CAP_SRQ		= 1 << 1,	/* shared receive queues */
	SODP_CAP_MW		= 1 << 2,	/* memory windows, invalidation */
	SODP_CAP_UC		= 1 << 3,	/* UC QPs */
	SODP_CAP_ATOMIC_WRITE	= 1 << 4,	/* RC ATOMIC_WRITE */
	SODP_CAP_FLUSH		= 1 << 5,	/* RC FLUSH, global placement */
	SODP_CAP_SRQ_RESIZE	= 1 << 6,	/* MODIFY_SRQ with IB_SRQ_MAX_WR */
};

/* Response to IB_USER_VERBS_CMD_CREATE_AH: the handle's number. */
struct sodp_create_ah_resp {
	__u32 ah_num;		/* goes into sodp_send_wqe.ah_num */
	__u32 reserved;		/* zero */
};

/* Response to IB_USER_VERBS_CMD_ALLOC_PD: the PD number, for diagnostics. */
struct sodp_alloc_pd_resp {
	__u32 pdn;
	__u32 reserved;		/* zero */
};

/*
 * Rings.  Every queue (send, receive, completion) is one ring in a
 * vmalloc'ed, page-aligned buffer that user space maps with mmap() at the
 * offset the create response gives.  A ring is a struct sodp_ring_hdr
 * followed by num_slots slots of slot_size bytes each, both powers of two.
 *
 * prod and cons are free-running 32-bit counters; slot i lives at
 * SODP_RING_HDR_SIZE + (i & (num_slots - 1)) * slot_size.  Each side writes
 * only its own counter, with release semantics after filling or draining a
 * slot, and reads the other side's with acquire semantics.  The two counters
 * sit on separate cache lines so the writers do not share one.  flags, next
 * to prod, is written by the kernel only when the queue changes state
 * (rarely), so it costs the producer of a send ring nothing in steady state.
 *
 * Capacity: a ring holds num_slots entries (it is full when
 * prod - cons == num_slots; no slot is kept empty).  A CQ ring has
 * num_slots >= the cqe requested, a QP's rings num_slots >= max_send_wr and
 * max_recv_wr, and that is what the kernel reports back as the capacity.
 * A struct sodp_ring_info that is all zero means the queue has no ring; the
 * kernel always creates every ring today, and providers accept the zero
 * form so that a QP without its own receive queue needs no ABI change.
 *
 *   ring          producer            consumer
 *   send (SQ)     provider (post)     kernel, cons moves when a WQE is done
 *   receive (RQ)  provider (post)     kernel, cons moves when a WQE is done
 *   completion    kernel              provider (poll)
 *
 * The kernel copies a WQE out of the ring before it looks at any field and
 * never reads a slot twice, so user space rewriting a posted slot cannot
 * change what the kernel does with it; a counter that moves backwards or
 * past the ring's size moves the QP to the error state.
 */
#define SODP_RING_HDR_SIZE	128

/*
 * sodp_ring_hdr.flags, written by the kernel only.
 *
 * SODP_RING_F_QP_ERR, in a QP's RQ ring: the QP is in the error state.
 * Posting a receive makes no system call, so the kernel cannot see one
 * posted in that state; after publishing prod, the provider reads flags
 * (with a full barrier between the two) and, if this is set, rings the
 * send doorbell, on which the kernel flushes the receive.
 */
#define SODP_RING_F_QP_ERR	0x1U

struct sodp_ring_hdr {
	__u32 prod;
	__u32 flags;
	__u32 reserved0[14];
	__u32 cons;
	__u32 reserved1[15];
};

/* A scatter/gather element as it sits in a WQE. */
struct sodp_sge {
	__aligned_u64 addr;
	__u32 length;
	__u32 lkey;
};

/* sodp_send_wqe.flags */
enum {
	SODP_WQE_SIGNALED	= 1 << 0,	/* IBV_SEND_SIGNALED */
	SODP_WQE_SOLICITED	= 1 << 1,	/* IBV_SEND_SOLICITED */
	SODP_WQE_INLINE		= 1 << 2,	/* payload follows the header */
	SODP_WQE_FENCE		= 1 << 3,	/* IBV_SEND_FENCE */
};

/*
 * IB_UVERBS_WR_BIND_MW: the binding a window is to get.  The window is the
 * one whose rkey has the index (rkey >> 8) of sodp_send_wqe.rkey, which is
 * the key it answers to from then on.
 */
struct sodp_wqe_bind {
	__aligned_u64 addr;	/* first byte, in the MR's iova space */
	__aligned_u64 length;	/* 0: (type 1) unbind */
	__u32 mr_lkey;		/* the MR the window lies in */
	__u32 access;		/* IB_UVERBS_ACCESS_* the window grants */
};

/*
 * Send WQE.  opcode is an enum ib_uverbs_wr_opcode (the same numbers as
 * enum ibv_wr_opcode).  The header is followed by num_sge struct sodp_sge,
 * or, with SODP_WQE_INLINE, by inline_len bytes of payload.  BIND_MW and
 * LOCAL_INV carry neither.
 */
struct sodp_send_wqe {
	__aligned_u64 wr_id;
	__u8 opcode;
	__u8 flags;
	__u16 num_sge;
	__u32 inline_len;
	union {
		__be32 imm_data;	/* WITH_IMM: network order */
		__u32 invalidate_rkey;	/* SEND_WITH_INV, LOCAL_INV */
	};
	__u32 rkey;		/* RDMA, atomics; BIND_MW: the new rkey */
	union {
		struct {
			__aligned_u64 remote_addr;
			union {
				/* CAS: compare; FAA: add */
				__aligned_u64 compare_add;
				/* ATOMIC_WRITE: the 8 bytes, as in memory */
				__aligned_u64 atomic_write;
				/* FLUSH: bytes from remote_addr */
				__aligned_u64 flush_len;
			};
			union {
				__aligned_u64 swap;	/* CAS: swap value */
				struct {
					/* FLUSH: IB_FLUSH_GLOBAL... */
					__u8 flush_type;
					/* FLUSH: IB_FLUSH_RANGE, _MR */
					__u8 flush_level;
					__u8 flush_reserved[6];	/* zero */
				};
			};
			__u32 ah_num;		/* UD: the destination's handle */
			__u32 remote_qpn;	/* UD: the destination QP */
			__u32 remote_qkey;	/* UD: MSB set: the QP's own */
			__u32 reserved;		/* zero */
		};
		struct sodp_wqe_bind bind;	/* BIND_MW */
	};
};

/* Receive WQE: the header, then num_sge struct sodp_sge. */
struct sodp_recv_wqe {
	__aligned_u64 wr_id;
	__u32 num_sge;
	__u32 reserved;
};

/* sodp_cqe.wc_flags: the IBV_WC_* flag values */
enum {
	SODP_CQE_GRH		= 1 << 0,
	SODP_CQE_WITH_IMM	= 1 << 1,
	SODP_CQE_WITH_INV	= 1 << 3,
};

/*
 * sodp_cqe.sl of a UD receive.  No service level travels in a RoCE v2
 * packet, so the field says what carried the datagram, encoded as mlx5
 * CQEs do: bit 3, a UDP header (RoCE v2); bits 2:0, the L3 header (1 IPv6,
 * 2 IPv4).  UCX's ud transports read it to find the destination GID in the
 * GRH image.  Zero on every other completion.
 */
enum {
	SODP_CQE_SL_ROCE_V2_IPV6	= 0x9,
	SODP_CQE_SL_ROCE_V2_IPV4	= 0xa,
};

/*
 * Completion.  status is an enum ibv_wc_status and opcode an
 * enum ibv_wc_opcode: the kernel's ib_wc_status and ib_wc_opcode use the
 * same numbers (IBV_WC_RECV = 128, IBV_WC_RECV_RDMA_WITH_IMM = 129).
 */
struct sodp_cqe {
	__aligned_u64 wr_id;
	__u8 status;
	__u8 opcode;
	__u8 wc_flags;
	__u8 sl;		/* UD receives: SODP_CQE_SL_* */
	__u32 byte_len;
	union {
		__be32 imm_data;	/* SODP_CQE_WITH_IMM */
		__u32 invalidated_rkey;	/* SODP_CQE_WITH_INV */
	};
	__u32 qp_num;
	__u32 src_qp;
	__u32 vendor_err;
};

/* Where a ring is and what it looks like; part of several responses. */
struct sodp_ring_info {
	__aligned_u64 mmap_offset;	/* pass to mmap() on the context fd */
	__aligned_u64 mmap_size;	/* bytes to map */
	__u32 num_slots;
	__u32 slot_size;
};

/* Response to CREATE_CQ and RESIZE_CQ. */
struct sodp_create_cq_resp {
	struct sodp_ring_info cq;
};

/*
 * Response to CREATE_QP.  The SQ slot holds struct sodp_send_wqe plus
 * max(max_send_sge sges, max_inline bytes); the RQ slot holds
 * struct sodp_recv_wqe plus max_recv_sge sges.
 */
struct sodp_create_qp_resp {
	struct sodp_ring_info sq;
	struct sodp_ring_info rq;
	__u32 max_inline;
	__u32 reserved;
};

/*
 * Response to CREATE_SRQ.  The ring is an RQ ring (struct sodp_recv_wqe
 * plus max_sge sges per slot) that every QP attached to the SRQ takes
 * from; cons moves when a QP takes a WQE, not when it completes.  A QP
 * created with an SRQ has no RQ ring of its own (its rq ring_info in
 * struct sodp_create_qp_resp is all zero).
 */
struct sodp_create_srq_resp {
	struct sodp_ring_info rq;
};

/*
 * Request of MODIFY_SRQ; an empty one (a provider from before
 * SODP_CAP_SRQ_RESIZE) is read as ring_info 0.  With IB_SRQ_MAX_WR the
 * kernel makes a new ring of the same slot size, moves the WQEs posted and
 * not yet taken to its front in order (prod = their number, cons = 0),
 * and writes the new ring's struct sodp_ring_info to the user address
 * ring_info, since MODIFY_SRQ has no response buffer.  The provider posts
 * nothing while it resizes; on success it maps the new ring and unmaps
 * the old one, whose slots the kernel no longer reads.  Fewer slots than
 * the WQEs waiting in the ring fail with EINVAL and change nothing.
 */
struct sodp_modify_srq_cmd {
	__aligned_u64 ring_info;	/* user address, or 0: no resize */
};

#endif /* SODP_ABI_USER_H */
