// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * wire_fuzz: hostile RoCEv2 traffic at a live sodp QP.
 *
 *   wire_fuzz -d sodp0 -i veth1 -m MAC [-n PACKETS] [-s SEED]
 *
 * Creates an RC QP on the device with some requests outstanding, then
 * writes frames with an AF_PACKET socket on the veth peer (-i) of the
 * device's netdev (whose MAC is -m): well-formed packets of every RC
 * opcode aimed at that QP with hostile fields (PSNs in and out of the
 * window, rkeys valid, read-only and invented, addresses and lengths
 * inside, across and far outside the MR, ACKs and read responses the QP
 * never asked for), and broken ones (a flipped bit, a wrong ICRC, a
 * truncated frame, IP lengths that lie, IPv6, garbage after UDP).  Every
 * frame is built with the module's own wire-format code
 * (kernel/sodp_pkt.c), so the well-formed ones carry a correct ICRC and
 * get past the checks to the requester, responder and completer.
 *
 * Whenever the QP has gone to the error state (hostile requests are
 * supposed to put it there), it is taken through RESET back to RTS and
 * given new work, so the traffic keeps reaching every stage.
 *
 * Passes if the device's drop counters account for the broken frames
 * (rx_drop_malformed and rx_drop_icrc moved), if an MR registered without
 * remote access is unchanged (its rkey is in the mix), if IPv4 frames to
 * port 4791 with IP options or fragmented (which RoCEv2 never sends) are
 * left to the IP stack (rx_packets does not move), and if afterwards a
 * fresh QP pair on the device moves data byte-exactly.  The guest harness adds
 * the rest: no kernel report in the log, and a clean module unload (no
 * QP, MR or packet left behind).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rc_common.h"
#include "sodp_pkt.h"

#define FRAME_MAX	2048
#define NETDEV_MTU	1500	/* the bed's veths */
#define MR_LEN		65536
#define BOGUS_QPN	0xabcdeU	/* where the QP's own requests go */

static struct {
	const char *ifname;
	uint8_t dmac[6], smac[6];
	long packets;
	unsigned int seed;
} opt = { .packets = 20000 };

static uint64_t rng_state;
/*
 * The PSN the responder expects if everything we sent in order so far was
 * accepted: following it gets multi-packet messages and in-window requests
 * past the sequence check, where the interesting code is.
 */
static uint32_t next_psn;

/* xorshift64*: reproducible from -s on any libc. */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

/* Percent chance. */
static bool chance(unsigned int pct)
{
	return rnd_below(100) < pct;
}

struct target {
	struct rc_dev *dev;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct rc_buf rw, ro;	/* all access; local write only */
	struct rc_pair geom;	/* path MTU and attribute helpers */
	uint8_t ip4[4];		/* the device's IPv4 address */
	uint8_t ip6[16];
	bool have_ip6;
	long resets;
};

static const char *const counter_names[] = {
	"rx_packets", "rx_drop_malformed", "rx_drop_icrc", "rx_drop_no_qp",
	"rx_drop_queue_full", "rx_drop_pkey", "rx_drop_source_addr",
	"rx_drop_qp_state", "error_nak_sent",
	"seq_nak_sent", "duplicate_requests", "rnr_nak_sent",
};
#define NCOUNTERS (sizeof(counter_names) / sizeof(counter_names[0]))

static void read_counters(const char *dev, long long *v)
{
	char path[256];
	size_t i;
	FILE *f;

	for (i = 0; i < NCOUNTERS; i++) {
		snprintf(path, sizeof(path),
			 "/sys/class/infiniband/%s/ports/1/hw_counters/%s",
			 dev, counter_names[i]);
		f = fopen(path, "r");
		T_CHECK(f, "%s: %s", path, strerror(errno));
		T_CHECK(fscanf(f, "%lld", &v[i]) == 1, "%s: unreadable", path);
		fclose(f);
	}
}

static long long counter(const long long *v, const char *name)
{
	size_t i;

	for (i = 0; i < NCOUNTERS; i++)
		if (!strcmp(counter_names[i], name))
			return v[i];
	rc_fail("no counter %s", name);
}

/* ---- the target QP ---- */

static void find_ip6(struct target *t)
{
	union ibv_gid gid;
	int i;

	for (i = 0; i < t->dev->port.gid_tbl_len; i++) {
		if (ibv_query_gid(t->dev->ctx, 1, i, &gid))
			break;
		/* fd00::/8, as the guest bed configures: not link-local */
		if (gid.raw[0] == 0xfd) {
			memcpy(t->ip6, gid.raw, 16);
			t->have_ip6 = true;
			return;
		}
	}
}

/* Give the QP requests that will be outstanding for a while. */
static void post_requests(struct target *t)
{
	struct ibv_send_wr wr, *bad;
	struct ibv_sge sg;
	int i;

	for (i = 0; i < 6; i++) {
		static const enum ibv_wr_opcode ops[] = {
			IBV_WR_RDMA_WRITE, IBV_WR_RDMA_READ, IBV_WR_SEND,
			IBV_WR_ATOMIC_FETCH_AND_ADD, IBV_WR_RDMA_WRITE_WITH_IMM,
			IBV_WR_ATOMIC_CMP_AND_SWP,
		};

		sg = rc_sge(&t->rw, 0, 3000);
		memset(&wr, 0, sizeof(wr));
		wr.wr_id = i;
		wr.opcode = ops[i];
		wr.sg_list = &sg;
		wr.num_sge = 1;
		wr.send_flags = IBV_SEND_SIGNALED;
		wr.wr.rdma.remote_addr = 0x10000;
		wr.wr.rdma.rkey = 0x1234;
		if (ops[i] == IBV_WR_ATOMIC_FETCH_AND_ADD ||
		    ops[i] == IBV_WR_ATOMIC_CMP_AND_SWP) {
			sg.length = 8;
			wr.wr.atomic.remote_addr = 0x10000;
			wr.wr.atomic.rkey = 0x1234;
			wr.wr.atomic.compare_add = 1;
		}
		if (ibv_post_send(t->qp, &wr, &bad))
			break;
	}
	for (i = 0; i < 8; i++) {
		sg = rc_sge(&t->rw, (size_t)i * 4096, 4096);
		if (ibv_post_recv(t->qp, &(struct ibv_recv_wr){
				.wr_id = 100 + i, .sg_list = &sg, .num_sge = 1 },
				&(struct ibv_recv_wr *){ NULL }))
			break;
	}
}

/* RESET -> INIT -> RTR -> RTS, the path pointing at our own GID. */
static void target_up(struct target *t)
{
	struct rc_ep self = {
		.name = "T", .dev = t->dev, .pd = t->pd, .scq = t->cq,
		.rcq = t->cq, .qp = t->qp,
	};
	struct ibv_qp_attr attr;
	struct ibv_wc wc[16];
	int mask;

	T_OK(ibv_modify_qp(t->qp, &(struct ibv_qp_attr){
			.qp_state = IBV_QPS_RESET }, IBV_QP_STATE));
	while (ibv_poll_cq(t->cq, 16, wc) > 0)
		;
	rc_qp_to_init(&self, RC_ACCESS_ALL);
	self.qp = t->qp;
	rc_rtr_attr(&self, &self, &t->geom, &attr, &mask);
	attr.dest_qp_num = BOGUS_QPN;
	attr.rq_psn = 0;
	T_OK(ibv_modify_qp(t->qp, &attr, mask));
	rc_rts_attr(&self, &t->geom, &attr, &mask);
	attr.sq_psn = 0;
	T_OK(ibv_modify_qp(t->qp, &attr, mask));
	next_psn = 0;
	post_requests(t);
}

static void target_create(struct target *t, struct rc_env *env)
{
	struct ibv_qp_init_attr ia = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 64, .max_recv_wr = 64,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct rc_cfg cfg;

	memset(t, 0, sizeof(*t));
	t->dev = env->dev[0];
	rc_cfg_default(&cfg);
	cfg.retry_cnt = 7;
	cfg.rnr_retry = 7;
	cfg.timeout = 12;	/* ~16 ms: requests stay outstanding, retried */
	cfg.max_rd_atomic = 4;
	t->geom.cfg = cfg;
	t->geom.mtu = t->dev->port.active_mtu;
	t->geom.mtu_bytes = rc_mtu_bytes(t->geom.mtu);
	memcpy(t->ip4, t->dev->gid.raw + 12, 4);
	find_ip6(t);

	t->pd = ibv_alloc_pd(t->dev->ctx);
	T_CHECK(t->pd, "ibv_alloc_pd: %s", strerror(errno));
	t->cq = ibv_create_cq(t->dev->ctx, 256, NULL, NULL, 0);
	T_CHECK(t->cq, "ibv_create_cq: %s", strerror(errno));
	ia.send_cq = ia.recv_cq = t->cq;
	t->qp = ibv_create_qp(t->pd, &ia);
	T_CHECK(t->qp, "ibv_create_qp: %s", strerror(errno));
	rc_buf_alloc(&t->rw, "rw", t->pd, MR_LEN, RC_ACCESS_ALL);
	rc_buf_alloc(&t->ro, "ro", t->pd, MR_LEN, IBV_ACCESS_LOCAL_WRITE);
	rc_buf_fill(&t->ro, 77);	/* no remote access may change it */
	target_up(t);
}

static void target_destroy(struct target *t)
{
	T_OK(ibv_destroy_qp(t->qp));
	T_OK(ibv_destroy_cq(t->cq));
	rc_buf_free(&t->rw);
	rc_buf_free(&t->ro);
	T_OK(ibv_dealloc_pd(t->pd));
}

/* ---- frames ---- */

/* An opcode worth sending: mostly RC, some UD and some undefined. */
static uint8_t pick_opcode(void)
{
	static const uint8_t rc_ops[] = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
		0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
		0x14, 0x16, 0x17,
	};

	if (chance(90))
		return rc_ops[rnd_below(sizeof(rc_ops))];
	if (chance(50))
		return chance(50) ? SODP_OP_UD_SEND_ONLY :
				    SODP_OP_UD_SEND_ONLY_IMM;
	return (uint8_t)rnd();
}

static uint32_t pick_psn(void)
{
	if (chance(40))
		return next_psn++ & SODP_PSN_MASK;
	if (chance(50))
		return rnd_below(200);		/* around both windows */
	if (chance(50))
		return (SODP_PSN_MASK + 1 - rnd_below(200)) & SODP_PSN_MASK;
	return rnd() & SODP_PSN_MASK;
}

static uint32_t pick_rkey(const struct target *t)
{
	switch (rnd_below(4)) {
	case 0:
	case 1:
		return t->rw.mr->rkey;
	case 2:
		return t->ro.mr->rkey;
	default:
		return (uint32_t)rnd();
	}
}

static uint64_t pick_va(const struct target *t)
{
	uint64_t base = (uintptr_t)t->rw.p;

	switch (rnd_below(5)) {
	case 0:
	case 1:
		return base + rnd_below(MR_LEN);
	case 2:
		return base + MR_LEN - rnd_below(64);	/* crosses the end */
	case 3:
		return base - rnd_below(4096);		/* before the start */
	default:
		return rnd();
	}
}

static uint32_t pick_len(uint32_t mtu)
{
	switch (rnd_below(5)) {
	case 0:
		return 0;
	case 1:
		return rnd_below(mtu + 1);
	case 2:
		return mtu * (1 + rnd_below(8));
	case 3:
		return rnd_below(MR_LEN + 1);
	default:
		return (uint32_t)rnd();
	}
}

/*
 * One frame into BUF (Ethernet header included); returns its length.
 * KIND says what was done to it, for the per-kind tally.
 */
enum { K_VALID, K_FLIP, K_HDR_FLIP, K_TRUNC, K_IPLEN, K_V6, K_GARBAGE,
       K_NUM };
static const char *const kind_names[K_NUM] = {
	"well-formed", "bit flipped", "header bit flipped, ICRC fixed",
	"truncated", "IP length lies", "IPv6 to an IPv4 path",
	"garbage after UDP",
};

static size_t build_frame(const struct target *t, uint8_t *buf, int *kindp)
{
	const struct sodp_opcode_info *info;
	uint32_t mtu = t->geom.mtu_bytes, plen = 0, bth_len, n, l3len;
	struct ether_header *eh = (struct ether_header *)buf;
	uint8_t *ip = buf + sizeof(*eh);
	struct sodp_pkt pkt = { 0 };
	struct sodp_l3 l3 = { 0 };
	uint8_t raw_op;
	int kind, i;

	kind = chance(55) ? K_VALID : (int)(1 + rnd_below(K_NUM - 1));
	if (kind == K_V6 && !t->have_ip6)
		kind = K_VALID;
	*kindp = kind;

	memcpy(eh->ether_dhost, opt.dmac, 6);
	memcpy(eh->ether_shost, opt.smac, 6);
	l3.ipv6 = kind == K_V6;
	eh->ether_type = htons(l3.ipv6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP);
	if (l3.ipv6) {
		memcpy(l3.saddr, t->ip6, 16);
		memcpy(l3.daddr, t->ip6, 16);
	} else {
		memcpy(l3.saddr, t->ip4, 4);
		memcpy(l3.daddr, t->ip4, 4);
	}
	l3.ttl = 64;
	l3.ip_id = (uint16_t)rnd();
	l3.sport = 49152 + rnd_below(16384);

	raw_op = pick_opcode();
	/* an undefined opcode goes out as a SEND ONLY with its number */
	pkt.opcode = sodp_opcode_table[raw_op].valid ? raw_op :
						      SODP_OP_SEND_ONLY;
	info = &sodp_opcode_table[pkt.opcode];
	pkt.se = chance(10);
	pkt.tver = chance(98) ? 0 : (uint8_t)rnd_below(16);
	pkt.pkey = chance(98) ? 0xffff : (uint16_t)rnd();
	pkt.dqpn = chance(95) ? t->qp->qp_num :
		   (chance(50) ? (uint32_t)rnd() & SODP_QPN_MASK : 1);
	pkt.ackreq = chance(50);
	pkt.psn = pick_psn();
	pkt.va = pick_va(t);
	pkt.rkey = pick_rkey(t);
	pkt.dma_len = pick_len(mtu);
	pkt.syndrome = chance(60) ? 0 : (uint8_t)rnd();	/* ACK or not */
	pkt.msn = rnd_below(16);
	pkt.compare_add = rnd();
	pkt.swap = rnd();
	pkt.orig = rnd();
	pkt.imm = (uint32_t)rnd();
	pkt.inv_rkey = pick_rkey(t);
	pkt.qkey = (uint32_t)rnd();
	pkt.sqpn = (uint32_t)rnd() & SODP_QPN_MASK;
	/* up to the path MTU mostly, else up to what the veth carries */
	if (info->hdrs & SODP_HDR_PAYLOAD)
		plen = chance(80) ? rnd_below(mtu + 1) :
		       rnd_below(NETDEV_MTU - SODP_IPV6_HDR_LEN -
				 SODP_UDP_HDR_LEN - info->hdr_len -
				 3 - SODP_ICRC_LEN + 1);
	pkt.pad = sodp_pad_len(plen);
	pkt.payload_len = plen;

	bth_len = info->hdr_len + plen + pkt.pad + SODP_ICRC_LEN;
	l3len = sodp_l3_build(ip, &l3, bth_len);
	n = sodp_pkt_build(ip + l3len, &pkt);
	for (i = 0; i < (int)(plen + pkt.pad); i++)
		ip[l3len + n + i] = (uint8_t)rnd();
	n = l3len + bth_len;
	ip[l3len] = raw_op;
	sodp_icrc_set(ip, n);

	switch (kind) {
	case K_FLIP:		/* anywhere: IP, UDP, BTH, payload, ICRC */
		i = rnd_below(n);
		ip[i] ^= 1 << rnd_below(8);
		break;
	case K_HDR_FLIP:	/* transport headers, with a good ICRC */
		i = l3len + rnd_below(info->hdr_len);
		ip[i] ^= 1 << rnd_below(8);
		sodp_icrc_set(ip, n);
		break;
	case K_TRUNC:
		n = rnd_below(n);
		break;
	case K_IPLEN: {
		uint16_t lie = (uint16_t)(chance(50) ? n + 1 + rnd_below(64) :
						       rnd_below(n));
		uint32_t sum = 0;

		ip[2] = lie >> 8;
		ip[3] = lie & 0xff;
		ip[10] = ip[11] = 0;
		for (i = 0; i < 20; i += 2)
			sum += ip[i] << 8 | ip[i + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		ip[10] = ~sum >> 8;
		ip[11] = ~sum & 0xff;
		break;
	}
	case K_GARBAGE:
		for (i = l3len; i < (int)n; i++)
			ip[i] = (uint8_t)rnd();
		break;
	default:
		break;
	}
	return sizeof(*eh) + n;
}

/* The IPv4 header checksum of @ip, whose header is ihl words long. */
static void ip4_csum(uint8_t *ip)
{
	unsigned int hlen = (ip[0] & 0xf) * 4, i;
	uint32_t sum = 0;

	ip[10] = ip[11] = 0;
	for (i = 0; i < hlen; i += 2)
		sum += ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = ~sum >> 8;
	ip[11] = ~sum & 0xff;
}

/*
 * IPv4 frames to port 4791 that RoCEv2 never sends -- with IP options, a
 * first fragment (MF), a later fragment (an offset) -- belong to the IP
 * stack, not to sodp: each is a well-formed request to the QP otherwise.
 * Return: frames sent.
 */
static long send_not_ours(const struct target *t, int fd)
{
	uint8_t frame[FRAME_MAX + 64];
	uint8_t *ip = frame + sizeof(struct ether_header);
	long sent = 0;
	int kind, i;
	size_t len, iplen;

	for (i = 0; i < 90; i++) {
		do
			len = build_frame(t, frame, &kind);
		while (kind != K_VALID);
		iplen = len - sizeof(struct ether_header);
		switch (i % 3) {
		case 0:	/* four bytes of options: NOP, NOP, NOP, end */
			memmove(ip + 24, ip + 20, iplen - 20);
			memcpy(ip + 20, "\x01\x01\x01\x00", 4);
			ip[0] = 0x46;
			iplen += 4;
			len += 4;
			ip[2] = iplen >> 8;
			ip[3] = iplen & 0xff;
			break;
		case 1:	/* the first fragment of a larger datagram */
			ip[6] = 0x20;
			ip[7] = 0;
			break;
		default: /* a later fragment, 1024 bytes in */
			ip[6] = 0;
			ip[7] = 1024 / 8;
			break;
		}
		ip4_csum(ip);
		if (send(fd, frame, len, 0) < 0 && errno != ENOBUFS)
			rc_fail("send: %s", strerror(errno));
		sent++;
	}
	return sent;
}

static int open_tx(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr = { 0 };
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	T_CHECK(fd >= 0, "AF_PACKET socket: %s", strerror(errno));
	sll.sll_ifindex = if_nametoindex(opt.ifname);
	T_CHECK(sll.sll_ifindex, "%s: %s", opt.ifname, strerror(errno));
	T_CHECK(!bind(fd, (struct sockaddr *)&sll, sizeof(sll)),
		"bind %s: %s", opt.ifname, strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", opt.ifname);
	T_CHECK(!ioctl(fd, SIOCGIFHWADDR, &ifr), "SIOCGIFHWADDR: %s",
		strerror(errno));
	memcpy(opt.smac, ifr.ifr_hwaddr.sa_data, 6);
	return fd;
}

static bool parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5]) != 6)
		return false;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return true;
}

static void usage(void)
{
	fprintf(stderr, "usage: wire_fuzz -d DEV -i PEER_IF -m DEV_MAC "
		"[-n PACKETS] [-s SEED]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long long before[NCOUNTERS], after[NCOUNTERS];
	long long other_before[NCOUNTERS], other_after[NCOUNTERS];
	long sent[K_NUM] = { 0 }, n;
	uint8_t frame[FRAME_MAX + 64];
	struct rc_pair pair;
	struct rc_cfg cfg;
	struct rc_env env;
	struct target t;
	bool have_mac = false;
	int c, fd, kind;
	size_t i, len;

	opt.seed = (unsigned int)getpid();
	while ((c = getopt(argc, argv, "d:i:m:n:s:")) != -1) {
		switch (c) {
		case 'd': rc_opts.dev[0] = optarg; break;
		case 'i': opt.ifname = optarg; break;
		case 'm': have_mac = parse_mac(optarg, opt.dmac); break;
		case 'n': opt.packets = atol(optarg); break;
		case 's': opt.seed = (unsigned int)strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (!rc_opts.dev[0] || !opt.ifname || !have_mac || opt.packets <= 0)
		usage();
	rng_state = 0x9e3779b97f4a7c15ULL ^ opt.seed;
	rc_test_name = "wire_fuzz";
	printf("wire_fuzz: %ld frames at %s through %s, seed %u\n",
	       opt.packets, rc_opts.dev[0], opt.ifname, opt.seed);

	rc_env_open(&env);
	fd = open_tx();
	target_create(&t, &env);
	read_counters(rc_opts.dev[0], before);

	for (n = 0; n < opt.packets; n++) {
		len = build_frame(&t, frame, &kind);
		if (len < sizeof(struct ether_header))
			len = sizeof(struct ether_header);
		if (send(fd, frame, len, 0) < 0 && errno != ENOBUFS)
			rc_fail("send: %s", strerror(errno));
		sent[kind]++;
		/* Every 256 frames: let the QP catch up, revive it if dead. */
		if (n % 256 == 255) {
			struct ibv_wc wc[16];

			rc_sleep_ms(2);
			while (ibv_poll_cq(t.cq, 16, wc) > 0)
				;
			if (rc_qp_state(t.qp) == IBV_QPS_ERR) {
				target_up(&t);
				t.resets++;
			}
		}
	}
	rc_sleep_ms(500);	/* the tail of the queue */
	read_counters(rc_opts.dev[0], after);
	rc_buf_verify(&t.ro);

	/* Not ours: the rx handler must leave them to the stack. */
	read_counters(rc_opts.dev[0], other_before);
	n = send_not_ours(&t, fd);
	rc_sleep_ms(300);
	read_counters(rc_opts.dev[0], other_after);
	printf("  sent %ld IPv4 frames to port 4791 with options or as fragments: "
	       "sodp took %lld\n", n, counter(other_after, "rx_packets") -
	       counter(other_before, "rx_packets"));
	T_EQ(counter(other_after, "rx_packets") -
	     counter(other_before, "rx_packets"), 0,
	     "IPv4 frames with options or fragments claimed by sodp");
	target_destroy(&t);
	close(fd);

	for (c = 0; c < K_NUM; c++)
		printf("  sent %-32s %ld\n", kind_names[c], sent[c]);
	printf("  QP revived from ERR %ld times\n", t.resets);
	for (i = 0; i < NCOUNTERS; i++)
		printf("  %-20s +%lld\n", counter_names[i],
		       after[i] - before[i]);

	T_CHECK(counter(after, "rx_packets") > counter(before, "rx_packets"),
		"no frame reached the device");
	T_CHECK(counter(after, "rx_drop_icrc") > counter(before, "rx_drop_icrc"),
		"frames with a broken ICRC were not counted as dropped");
	T_CHECK(counter(after, "rx_drop_malformed") >
		counter(before, "rx_drop_malformed"),
		"malformed frames were not counted as dropped");
	T_CHECK(counter(after, "error_nak_sent") >
		counter(before, "error_nak_sent"),
		"hostile requests drew no error NAK");

	/* The device must still work. */
	rc_cfg_default(&cfg);
	rc_pair_create(&pair, &env, &cfg);
	rc_healthy_transfer(&pair, "after the fuzz");
	rc_pair_destroy(&pair);
	rc_env_close(&env);
	printf("wire_fuzz: ok, the device survived and still moves data\n");
	return 0;
}
