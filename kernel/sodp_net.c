// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: packets in and out of the netdev.
 *
 * Receive: sodp claims its netdev's RoCEv2 traffic with an rx handler, the
 * way a RoCE NIC steers it to the RDMA engine before the IP stack sees it.
 * rxe instead opens a UDP socket on port 4791; a second socket on that port
 * in the same namespace cannot coexist with it, and the rx handler lets
 * sodp and rxe live side by side on different netdevs of one stack.  The
 * handler only finds the destination QP and queues the packet; checks
 * (ICRC, headers, addressing) run in the QP's work item.
 *
 * Transmit: packets are built whole (IP, UDP, BTH..., payload, ICRC) and
 * sent with dev_queue_xmit() to the MAC the core resolved for the QP's
 * path; a path whose destination GID is one of our own never touches the
 * netdev and is handed straight to our receive function, unsealed (no
 * ICRC: nothing on the way can corrupt it), and a datagram
 * to a multicast group goes to the netdev and to the group's members
 * here (sodp_mcast.c).
 *
 * Locking: the rx handler runs under RCU in softirq context; installing
 * and removing it (sodp_net_attach/detach) run under rtnl, which also
 * protects sdev->rx_ndev.
 */
#include <linux/etherdevice.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_cache.h>

#include "sodp.h"
#include "sodp_pkt.h"

/* Is this an IP/UDP packet to port 4791?  Pulls the headers it reads. */
static bool sodp_is_roce(struct sk_buff *skb)
{
	unsigned int l4;

	if (skb->protocol == htons(ETH_P_IP)) {
		const struct iphdr *iph;

		if (!pskb_may_pull(skb, sizeof(*iph)))
			return false;
		iph = ip_hdr(skb);
		/*
		 * RoCEv2 packets carry no IP options and are never
		 * fragmented; anything else on port 4791 is the stack's.
		 */
		if (iph->protocol != IPPROTO_UDP || iph->ihl != 5 ||
		    ip_is_fragment(iph))
			return false;
		l4 = sizeof(*iph);
	} else if (skb->protocol == htons(ETH_P_IPV6)) {
		if (!pskb_may_pull(skb, sizeof(struct ipv6hdr)))
			return false;
		if (ipv6_hdr(skb)->nexthdr != IPPROTO_UDP)
			return false;
		l4 = sizeof(struct ipv6hdr);
	} else {
		return false;
	}
	if (!pskb_may_pull(skb, l4 + sizeof(struct udphdr)))
		return false;
	return ((struct udphdr *)(skb->data + l4))->dest ==
		htons(SODP_UDP_PORT);
}

static rx_handler_result_t sodp_rx_handler(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct sodp_dev *sdev = rcu_dereference(skb->dev->rx_handler_data);

	/*
	 * Never PACKET_LOOPBACK: that mark is how the work item knows a
	 * packet of our own that was not sealed (sodp_net_send_to()).
	 */
	if ((skb->pkt_type != PACKET_HOST &&
	     skb->pkt_type != PACKET_MULTICAST) || !sodp_is_roce(skb))
		return RX_HANDLER_PASS;

	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb) {
		sodp_count(sdev, SODP_CNT_RX_DROP_NOMEM);
		return RX_HANDLER_CONSUMED;
	}
	if (skb_linearize(skb)) {
		sodp_count(sdev, SODP_CNT_RX_DROP_NOMEM);
		kfree_skb(skb);
		return RX_HANDLER_CONSUMED;
	}
	sodp_net_rcv(sdev, skb);
	return RX_HANDLER_CONSUMED;
}

/*
 * Queue @skb on @qp for its work item.  Responses to our requests must not
 * wait behind the peer's requests, so they have a queue of their own.
 * @from: the QP whose run sent the packet without it leaving the device
 * (which then runs @qp, sodp_qp_kick_after()), or NULL.
 */
static void sodp_net_queue(struct sodp_dev *sdev, struct sodp_qp *qp,
			   struct sk_buff *skb, u8 opcode,
			   struct sodp_qp *from)
{
	u32 limit = SODP_RX_QUEUE_MAX;
	struct sk_buff_head *queue;

	/*
	 * A burst holds up to 31 KiB: fewer of them are queued, so that a
	 * queue of bursts takes no more memory than one of MTU packets.
	 */
	if (skb->pkt_type == PACKET_LOOPBACK && sodp_skb_cb(skb)->nseg > 1)
		limit = SODP_RX_QUEUE_MAX_BURSTS;
	queue = sodp_opcode_table[opcode].flags & SODP_OPF_RESPONSE ?
		&qp->ack_queue : &qp->rx_queue;
	if (skb_queue_len(queue) >= limit) {
		sodp_count(sdev, SODP_CNT_RX_DROP_QUEUE_FULL);
		kfree_skb(skb);
		return;
	}
	skb_queue_tail(queue, skb);
	if (from)
		sodp_qp_kick_after(from, qp);
	else
		sodp_qp_kick(qp);
}

/* Is the packet's destination a multicast address (IPv4 224/4, IPv6 ff/8)? */
static bool sodp_net_dst_mcast(const struct sodp_l3 *l3)
{
	if (l3->ipv6)
		return l3->daddr[0] == 0xff;
	return ipv4_is_multicast(get_unaligned((const __be32 *)l3->daddr));
}

/*
 * A datagram to a multicast group: every member on this device gets it,
 * the last the packet itself and the others a clone (the work items only
 * read a packet, so they can share its data).
 */
static void sodp_net_rcv_group(struct sodp_dev *sdev, struct sk_buff *skb,
			       const struct sodp_l3 *l3, u8 opcode)
{
	u32 qpns[SODP_MAX_MCAST_QP_ATTACH];
	struct sodp_qp *qp, *next = NULL;
	unsigned int i, n;
	struct sk_buff *clone;
	union ib_gid mgid;

	if (l3->ipv6)
		memcpy(mgid.raw, l3->daddr, sizeof(mgid.raw));
	else
		ipv6_addr_set_v4mapped(get_unaligned((const __be32 *)l3->daddr),
				       (struct in6_addr *)mgid.raw);
	n = sodp_mcast_members(sdev, &mgid, qpns);
	for (i = 0; i < n; i++) {
		qp = sodp_qp_get(sdev, qpns[i]);
		if (!qp)
			continue;
		if (next) {
			clone = skb_clone(skb, GFP_ATOMIC);
			if (clone)
				sodp_net_queue(sdev, next, clone, opcode, NULL);
			else
				sodp_count(sdev, SODP_CNT_RX_DROP_NOMEM);
			sodp_qp_put(next);
		}
		next = qp;
	}
	if (!next) {
		sodp_count(sdev, SODP_CNT_RX_DROP_NO_QP);
		kfree_skb(skb);
		return;
	}
	sodp_net_queue(sdev, next, skb, opcode, NULL);
	sodp_qp_put(next);
}

/*
 * Queue a RoCEv2 packet on its QP.  @from: the QP whose run sent it from
 * this device, or NULL (see sodp_net_queue()).
 */
static void sodp_net_rcv_from(struct sodp_dev *sdev, struct sk_buff *skb,
			      struct sodp_qp *from)
{
	bool to_group_qpn;
	struct sodp_qp *qp;
	struct sodp_l3 l3;
	u32 bth_off, bth_len, qpn;
	u8 opcode;

	sodp_count(sdev, SODP_CNT_RX_PKTS);
	if (sodp_l3_parse(skb->data, skb->len, &l3, &bth_off, &bth_len) ||
	    bth_len < SODP_BTH_LEN + SODP_ICRC_LEN) {
		sodp_count(sdev, SODP_CNT_RX_DROP_MALFORMED);
		goto drop;
	}
	qpn = get_unaligned_be32(skb->data + bth_off + 4) & SODP_QPN_MASK;
	opcode = skb->data[bth_off];
	/*
	 * A group's packets are datagrams to QP 0xFFFFFF, and only they go
	 * to that number: anything else naming a group, or that number, is
	 * malformed.
	 */
	to_group_qpn = qpn == IB_MULTICAST_QPN;
	if (sodp_net_dst_mcast(&l3) != to_group_qpn ||
	    (to_group_qpn && !(sodp_opcode_table[opcode].flags & SODP_OPF_UD))) {
		sodp_count(sdev, SODP_CNT_RX_DROP_MALFORMED);
		goto drop;
	}
	if (to_group_qpn) {
		sodp_net_rcv_group(sdev, skb, &l3, opcode);
		return;
	}
	qp = sodp_qp_get(sdev, qpn);
	if (!qp) {
		sodp_count(sdev, SODP_CNT_RX_DROP_NO_QP);
		goto drop;
	}
	sodp_net_queue(sdev, qp, skb, opcode, from);
	sodp_qp_put(qp);
	return;
drop:
	kfree_skb(skb);
}

/**
 * sodp_net_rcv() - queue a RoCEv2 packet on its QP
 * @sdev: the device it arrived on
 * @skb: linear, data at the IP header; consumed
 *
 * Context: any (softirq from the netdev, process from loopback).
 */
void sodp_net_rcv(struct sodp_dev *sdev, struct sk_buff *skb)
{
	sodp_net_rcv_from(sdev, skb, NULL);
}

/**
 * sodp_net_burst_len() - payload bytes the next packet of a message carries
 * @qp: the sending RC or UC QP
 * @left: bytes of the message still to send
 * @max_segs: PSNs the caller can give the packet (its send window)
 *
 * On the wire a packet carries one path MTU.  Between two QPs of this
 * device, where nothing is on the wire, it may be a burst: several path
 * MTUs of the message in one skb, standing for as many PSNs (pkt->nseg),
 * so that a 64 KiB message is three skbs built, queued and parsed rather
 * than 64.  The transport treats a burst as that many packets arriving
 * together and taken together: PSNs, ACKs, RNR NAKs and retransmission
 * work as they do on the wire, at burst boundaries.
 *
 * Return: the bytes; sodp_net_alloc() makes pkt->nseg from them.
 */
u32 sodp_net_burst_len(const struct sodp_qp *qp, u32 left, u32 max_segs)
{
	u32 segs;

	if (!qp->path.loopback || left <= qp->mtu)
		return min(left, qp->mtu);
	segs = min(SODP_LOOP_MAX_PAYLOAD / qp->mtu, max(max_segs, 1U));
	return min(left, segs * qp->mtu);
}

/**
 * sodp_net_alloc_to() - allocate and fill a packet's headers
 * @qp: the sending QP
 * @path: where the packet goes (the QP's for RC, a handle's for UD)
 * @sport: its UDP source port
 * @pkt: transport header fields, dqpn and nseg (0 counts as 1) included;
 *	 pad is filled in here
 * @payload_len: payload bytes the caller will write: at most one MTU, or
 *	 SODP_LOOP_MAX_PAYLOAD for a burst (nseg > 1, loopback paths only)
 * @payload: set to where they go
 *
 * The caller writes the payload and passes the skb to sodp_net_send_to()
 * with the same @path, which adds the ICRC (left zero for a loopback
 * packet, which is not sealed).  A burst's skb comes from the QP's pool
 * (sodp_burst.c), without retrying hard for its order-3 pages: the caller
 * falls back to one MTU.
 *
 * Context: process context.
 * Return: the skb, or NULL if out of memory or the QP is in error.
 */
struct sk_buff *sodp_net_alloc_to(struct sodp_qp *qp,
				  const struct sodp_path *path, u16 sport,
				  struct sodp_pkt *pkt, u32 payload_len,
				  u8 **payload)
{
	u32 l3_len = (path->ipv6 ? SODP_IPV6_HDR_LEN : SODP_IPV4_HDR_LEN) +
		     SODP_UDP_HDR_LEN;
	u32 tp_len = sodp_opcode_table[pkt->opcode].hdr_len;
	u32 total;
	struct sodp_l3 l3 = {};
	struct sk_buff *skb;
	bool burst;
	u8 *p;

	/* Nothing leaves a QP in the error state: only the flush runs. */
	if (READ_ONCE(qp->state) == IB_QPS_ERR)
		return NULL;
	pkt->pad = sodp_pad_len(payload_len);
	pkt->tver = 0;
	pkt->pkey = 0xffff;
	total = l3_len + tp_len + payload_len + pkt->pad + SODP_ICRC_LEN;

	/* Callers cut messages to the MTU, or to bursts on loopback only. */
	burst = pkt->nseg > 1;
	if (WARN_ON_ONCE(payload_len > (burst ? SODP_LOOP_MAX_PAYLOAD :
					SODP_MAX_PAYLOAD)) ||
	    WARN_ON_ONCE(burst && !path->loopback))
		return NULL;
	if (!burst)
		pkt->nseg = 1;
	if (sodp_fail_skb(total))
		return NULL;
	skb = burst ? sodp_burst_skb(qp, LL_MAX_HEADER + total) :
		      alloc_skb(LL_MAX_HEADER + total, GFP_KERNEL);
	if (!skb)
		return NULL;
	sodp_skb_cb(skb)->nseg = pkt->nseg;
	skb_reserve(skb, LL_MAX_HEADER);
	skb_reset_network_header(skb);
	p = skb_put(skb, total);

	l3.ipv6 = path->ipv6;
	if (path->ipv6) {
		memcpy(l3.saddr, path->sgid.raw, 16);
		memcpy(l3.daddr, path->dgid.raw, 16);
	} else {
		memcpy(l3.saddr, path->sgid.raw + 12, 4);
		memcpy(l3.daddr, path->dgid.raw + 12, 4);
	}
	l3.tos = path->tclass;
	l3.ttl = path->hop_limit;
	l3.flow_label = path->flow_label;
	l3.sport = sport;
	l3.ip_id = 0;
	if (WARN_ON_ONCE(!sodp_l3_build(p, &l3, tp_len + payload_len +
					 pkt->pad + SODP_ICRC_LEN))) {
		kfree_skb(skb);
		return NULL;
	}
	sodp_pkt_build(p + l3_len, pkt);
	*payload = p + l3_len + tp_len;
	/* The ICRC too: a loopback packet is never sealed (send_to). */
	memset(*payload + payload_len, 0, pkt->pad + SODP_ICRC_LEN);
	skb->protocol = htons(path->ipv6 ? ETH_P_IPV6 : ETH_P_IP);
	return skb;
}

/*
 * An RC or UC QP's packet, to its peer: sodp_net_alloc_to() on its path.
 * More than one path MTU of payload makes it a burst of that many PSNs.
 */
struct sk_buff *sodp_net_alloc(struct sodp_qp *qp, struct sodp_pkt *pkt,
			       u32 payload_len, u8 **payload)
{
	pkt->dqpn = qp->dest_qpn;
	pkt->nseg = sodp_net_nseg(qp, payload_len);
	return sodp_net_alloc_to(qp, &qp->path, qp->path.sport, pkt,
				 payload_len, payload);
}

/*
 * A datagram to a group also reaches the group's members on the sending
 * device, as a NIC loops multicast back: a clone, which shares the sealed
 * packet (the Ethernet header the original takes next goes into headroom
 * the clone does not read, and the receive path only reads).  A datagram
 * to the group's address but not to QP 0xFFFFFF is dropped here as
 * malformed, as it is by every other receiver.
 */
static void sodp_net_loop_group(struct sodp_dev *sdev,
				const struct sodp_path *path,
				struct sk_buff *skb)
{
	struct sk_buff *clone;

	if (!sodp_mcast_has_members(sdev, &path->dgid))
		return;
	clone = skb_clone(skb, GFP_KERNEL);
	if (!clone) {
		sodp_count(sdev, SODP_CNT_RX_DROP_NOMEM);
		return;
	}
	sodp_count(sdev, SODP_CNT_LOOPBACK_PKTS);
	local_bh_disable();
	sodp_net_rcv(sdev, clone);
	local_bh_enable();
}

/**
 * sodp_net_send_to() - send a packet, sealed with its ICRC unless looped back
 * @qp: the sending QP
 * @path: the path the packet was built for
 * @skb: from sodp_net_alloc_to(), payload written; consumed
 *
 * A packet to a QP of this device leaves the receiving QP for @qp's run
 * to take on once its pass is over (sodp_qp_kick_after()).
 *
 * Context: @qp's run (sodp_work.c), process context.
 */
void sodp_net_send_to(struct sodp_qp *qp, const struct sodp_path *path,
		      struct sk_buff *skb)
{
	struct sodp_dev *sdev = qp->sdev;
	struct net_device *ndev;

	sodp_count(sdev, SODP_CNT_TX_PKTS);

	if (path->loopback) {
		/*
		 * The packet never leaves this device, so nothing can corrupt
		 * it on the way: it is sent without an ICRC and received
		 * without a check (computing and checking it was a fifth of
		 * loopback's CPU time).  The mark cannot come from outside:
		 * the netdev's receive handler takes only PACKET_HOST and
		 * PACKET_MULTICAST.
		 */
		skb->pkt_type = PACKET_LOOPBACK;
		sodp_count(sdev, SODP_CNT_LOOPBACK_PKTS);
		if (sodp_skb_cb(skb)->nseg > 1)
			sodp_count(sdev, SODP_CNT_LOOPBACK_BURSTS);
		local_bh_disable();
		sodp_net_rcv_from(sdev, skb, qp);
		local_bh_enable();
		return;
	}
	sodp_icrc_set(skb->data, skb->len);
	if (path->mcast)
		sodp_net_loop_group(sdev, path, skb);

	rcu_read_lock();
	ndev = rdma_read_gid_attr_ndev_rcu(path->sgid_attr);
	if (IS_ERR(ndev) || !(ndev->flags & IFF_UP)) {
		rcu_read_unlock();
		sodp_count(sdev, SODP_CNT_TX_ERR);
		kfree_skb(skb);
		return;
	}
	skb->dev = ndev;
	if (dev_hard_header(skb, ndev, ntohs(skb->protocol), path->dmac,
			    ndev->dev_addr, skb->len) < 0) {
		rcu_read_unlock();
		sodp_count(sdev, SODP_CNT_TX_ERR);
		kfree_skb(skb);
		return;
	}
	skb_reset_mac_header(skb);
	if (dev_queue_xmit(skb))
		sodp_count(sdev, SODP_CNT_TX_ERR);
	rcu_read_unlock();
}

void sodp_net_send(struct sodp_qp *qp, struct sk_buff *skb)
{
	sodp_net_send_to(qp, &qp->path, skb);
}

/**
 * sodp_net_attach() - start receiving RoCEv2 packets from @ndev
 * @sdev: the device
 * @ndev: its netdev
 *
 * Context: rtnl held.
 * Return: 0, or -EBUSY if @ndev already has an rx handler (a bridge or
 * bond port, or another soft RDMA device).
 */
int sodp_net_attach(struct sodp_dev *sdev, struct net_device *ndev)
{
	int err;

	ASSERT_RTNL();
	err = netdev_rx_handler_register(ndev, sodp_rx_handler, sdev);
	if (err)
		return err;
	sdev->rx_ndev = ndev;
	return 0;
}

/* Context: rtnl held.  After this returns no rx handler call is running. */
void sodp_net_detach(struct sodp_dev *sdev)
{
	ASSERT_RTNL();
	if (!sdev->rx_ndev)
		return;
	netdev_rx_handler_unregister(sdev->rx_ndev);
	sdev->rx_ndev = NULL;
}
