/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * RoCEv2 wire format: IBTA transport headers (BTH and the extension
 * headers of the RC, UC and UD opcodes sodp speaks), the IPv4/IPv6 + UDP
 * encapsulation, the invariant CRC and 24-bit PSN arithmetic.
 *
 * Pure code on byte buffers, with no skb, rdma/ or mm/ dependency, so that
 * the host unit tests (tests/unit/pkt_test.c) run the very same source
 * against packets captured from rxe.  All multi-byte wire fields are
 * big-endian and accessed with get/put_unaligned_be*(): a packet may start
 * at any offset in a frame.
 */
#ifndef SODP_PKT_H
#define SODP_PKT_H

#include "sodp_pkt_env.h"

#define SODP_UDP_PORT		4791

#define SODP_BTH_LEN		12
#define SODP_RETH_LEN		16
#define SODP_AETH_LEN		4
#define SODP_ATMETH_LEN		28
#define SODP_ATMACK_LEN		8
#define SODP_IMMDT_LEN		4
#define SODP_IETH_LEN		4
#define SODP_DETH_LEN		8
#define SODP_FETH_LEN		4
#define SODP_ICRC_LEN		4

#define SODP_PSN_MASK		0xffffff
#define SODP_QPN_MASK		0xffffff
#define SODP_MSN_MASK		0xffffff

/*
 * IBTA opcodes: transport class in the top 3 bits (RC 0b000, UC 0b001,
 * UD 0b011), operation in the low 5.  Only RC, UC and UD are spoken; every
 * other value (RD, XRC, the RoCEv2 CNP 0x81) is unknown to
 * sodp_pkt_parse().
 */
enum sodp_opcode {
	SODP_OP_SEND_FIRST		= 0x00,
	SODP_OP_SEND_MIDDLE		= 0x01,
	SODP_OP_SEND_LAST		= 0x02,
	SODP_OP_SEND_LAST_IMM		= 0x03,
	SODP_OP_SEND_ONLY		= 0x04,
	SODP_OP_SEND_ONLY_IMM		= 0x05,
	SODP_OP_WRITE_FIRST		= 0x06,
	SODP_OP_WRITE_MIDDLE		= 0x07,
	SODP_OP_WRITE_LAST		= 0x08,
	SODP_OP_WRITE_LAST_IMM		= 0x09,
	SODP_OP_WRITE_ONLY		= 0x0a,
	SODP_OP_WRITE_ONLY_IMM		= 0x0b,
	SODP_OP_READ_REQ		= 0x0c,
	SODP_OP_READ_RESP_FIRST		= 0x0d,
	SODP_OP_READ_RESP_MIDDLE	= 0x0e,
	SODP_OP_READ_RESP_LAST		= 0x0f,
	SODP_OP_READ_RESP_ONLY		= 0x10,
	SODP_OP_ACK			= 0x11,
	SODP_OP_ATOMIC_ACK		= 0x12,
	SODP_OP_CMP_SWAP		= 0x13,
	SODP_OP_FETCH_ADD		= 0x14,
	/* 0x15 is reserved */
	SODP_OP_SEND_LAST_INV		= 0x16,
	SODP_OP_SEND_ONLY_INV		= 0x17,
	SODP_OP_FLUSH			= 0x1c,
	SODP_OP_ATOMIC_WRITE		= 0x1d,
	/* UC: the RC SEND and WRITE opcodes with the UC transport bits. */
	SODP_OP_UC			= 0x20,
	SODP_OP_UC_SEND_FIRST		= 0x20,
	SODP_OP_UC_SEND_MIDDLE		= 0x21,
	SODP_OP_UC_SEND_LAST		= 0x22,
	SODP_OP_UC_SEND_LAST_IMM	= 0x23,
	SODP_OP_UC_SEND_ONLY		= 0x24,
	SODP_OP_UC_SEND_ONLY_IMM	= 0x25,
	SODP_OP_UC_WRITE_FIRST		= 0x26,
	SODP_OP_UC_WRITE_MIDDLE		= 0x27,
	SODP_OP_UC_WRITE_LAST		= 0x28,
	SODP_OP_UC_WRITE_LAST_IMM	= 0x29,
	SODP_OP_UC_WRITE_ONLY		= 0x2a,
	SODP_OP_UC_WRITE_ONLY_IMM	= 0x2b,
	SODP_OP_UD_SEND_ONLY		= 0x64,
	SODP_OP_UD_SEND_ONLY_IMM	= 0x65,
};

/* Extension headers an opcode carries, and whether it may carry payload. */
enum {
	SODP_HDR_RETH		= 1 << 0,
	SODP_HDR_AETH		= 1 << 1,
	SODP_HDR_ATMETH		= 1 << 2,
	SODP_HDR_ATMACK		= 1 << 3,
	SODP_HDR_IMMDT		= 1 << 4,
	SODP_HDR_IETH		= 1 << 5,
	SODP_HDR_DETH		= 1 << 6,
	SODP_HDR_PAYLOAD	= 1 << 7,
	SODP_HDR_FETH		= 1 << 8,
};

/*
 * Where an opcode sits in a message and what kind of operation it belongs
 * to.  Every opcode has a position: single-packet operations (READ request,
 * atomics, ACK, ATOMIC ACK, UD sends) are ONLY, so "starts a message" is
 * always (flags & SODP_OPF_FIRST) and "ends one" (flags & SODP_OPF_LAST).
 * A plain ACK/NAK is RESPONSE with none of SEND/WRITE/READ/ATOMIC.
 */
enum {
	SODP_OPF_FIRST		= 1 << 0,
	SODP_OPF_MIDDLE		= 1 << 1,
	SODP_OPF_LAST		= 1 << 2,
	SODP_OPF_ONLY		= SODP_OPF_FIRST | SODP_OPF_LAST,
	SODP_OPF_REQUEST	= 1 << 3,	/* requester -> responder */
	SODP_OPF_RESPONSE	= 1 << 4,	/* ACKs, read responses */
	SODP_OPF_SEND		= 1 << 5,
	SODP_OPF_WRITE		= 1 << 6,
	SODP_OPF_READ		= 1 << 7,
	SODP_OPF_ATOMIC		= 1 << 8,
	SODP_OPF_RC		= 1 << 9,
	SODP_OPF_UD		= 1 << 10,
	SODP_OPF_UC		= 1 << 11,
	SODP_OPF_FLUSH		= 1 << 12,
	SODP_OPF_ATOMIC_WRITE	= 1 << 13,	/* an 8-byte store, answered */
	/*
	 * Requests answered by responses of their own (not by ACKs), each
	 * holding a responder resource; a duplicate gets the answer again.
	 */
	SODP_OPF_ANSWERED	= SODP_OPF_READ | SODP_OPF_ATOMIC |
				  SODP_OPF_ATOMIC_WRITE | SODP_OPF_FLUSH,
};

struct sodp_opcode_info {
	bool valid;
	u16 hdrs;		/* SODP_HDR_* */
	u16 flags;		/* SODP_OPF_* */
	u8 hdr_len;		/* BTH + extension headers */
	const char *name;
};

/* Indexed by opcode; entries not listed above have .valid == false. */
extern const struct sodp_opcode_info sodp_opcode_table[256];

/*
 * Parsed transport headers of one packet (everything after UDP), in CPU
 * byte order except @imm.  Only the fields of the headers the opcode
 * carries are meaningful; sodp_pkt_parse() zeroes the rest.
 *
 * Atomic operands use the verbs names (struct ib_atomic_wr), not the wire
 * field names, so that requester and responder never branch on the opcode
 * to find them:
 *   CMP_SWAP:  compare_add = Compare Data, swap = Swap Data
 *   FETCH_ADD: compare_add = Add Data (the wire's Swap/Add field),
 *              swap = the Compare Data field, which the responder ignores
 *              and a requester sends as 0; kept only so that parse and
 *              build are exact inverses.
 */
struct sodp_pkt {
	/* BTH */
	u8 opcode;
	bool se;
	bool migreq;
	u8 pad;			/* 0..3 bytes between payload and ICRC */
	u8 tver;
	u16 pkey;
	u32 dqpn;
	bool ackreq;
	u32 psn;
	/* RETH; va and rkey also carry the AtomicETH address */
	u64 va;
	u32 rkey;
	u32 dma_len;
	/* AETH */
	u8 syndrome;
	u32 msn;
	/* AtomicETH */
	u64 swap;
	u64 compare_add;
	/* AtomicAckETH */
	u64 orig;
	/* ImmDt: opaque to the transport, so kept as on the wire */
	__be32 imm;
	/* IETH */
	u32 inv_rkey;
	/* DETH */
	u32 qkey;
	u32 sqpn;
	/* FETH: placement type (IB_FLUSH_GLOBAL...) and selectivity level */
	u8 flush_type;
	u8 flush_level;

	u32 payload_off;	/* from the start of the BTH */
	u32 payload_len;	/* excluding pad and ICRC */
	/*
	 * PSNs the packet stands for: 1, except for a loopback burst, which
	 * never leaves the device and carries several path MTUs of one
	 * message (sodp_net_alloc_to()).  Not on the wire.
	 */
	u16 nseg;
};

int sodp_pkt_parse(const void *bth, u32 len, struct sodp_pkt *pkt);
u32 sodp_pkt_build(void *buf, const struct sodp_pkt *pkt);

/* Bytes of pad that make a payload of @payload_len end on a 4-byte word. */
static inline u8 sodp_pad_len(u32 payload_len)
{
	return -payload_len & 3;
}

/* L3/L4: the IPv4 or IPv6 header and the UDP header in front of the BTH. */
#define SODP_IPV4_HDR_LEN	20
#define SODP_IPV6_HDR_LEN	40
#define SODP_UDP_HDR_LEN	8

struct sodp_l3 {
	bool ipv6;
	/* IPv4 addresses take the first 4 bytes */
	u8 saddr[16], daddr[16];
	u8 tos;			/* IPv4 TOS / IPv6 traffic class */
	u8 ttl;			/* IPv4 TTL / IPv6 hop limit */
	u32 flow_label;		/* IPv6 only, 20 bits */
	u16 ip_id;		/* IPv4 only */
	u16 sport;		/* UDP source; dport is SODP_UDP_PORT */
};

u32 sodp_l3_build(void *buf, const struct sodp_l3 *l3, u32 udp_payload_len);
int sodp_l3_parse(const void *buf, u32 len, struct sodp_l3 *l3,
		  u32 *bth_off, u32 *bth_len);

/*
 * ICRC.  sodp_icrc_set()/sodp_icrc_ok() take a contiguous packet.  A packet
 * whose payload is scattered (skb frags) is covered piecewise:
 *
 *	crc = sodp_icrc_hdr(iphdr);		// IP + UDP + BTH, masked
 *	crc = sodp_icrc_update(crc, p, n);	// extension headers,
 *	...					// payload, pad, in order
 *	sodp_icrc_store(crc, icrc_location);
 *
 * SODP_ICRC_SEED is the CRC-32 state after the 8 bytes of 0xff that stand
 * for the LRH a RoCEv2 packet does not have (crc32_le(~0, ff x 8)); starting
 * from it saves hashing them for every packet.
 */
#define SODP_ICRC_SEED		0xdebb20e3

u32 sodp_icrc_hdr(const void *iphdr);
void sodp_icrc_set(void *iphdr, u32 len);
bool sodp_icrc_ok(const void *iphdr, u32 len);

static inline u32 sodp_icrc_update(u32 crc, const void *p, u32 len)
{
	return crc32_le(crc, p, len);
}

/* The ICRC goes on the wire least significant byte first, like an FCS. */
static inline void sodp_icrc_store(u32 crc, void *icrc)
{
	put_unaligned_le32(~crc, icrc);
}

/* 24-bit PSN arithmetic. */
static inline u32 sodp_psn_add(u32 psn, u32 n)
{
	return (psn + n) & SODP_PSN_MASK;
}

/*
 * Serial-number order on the 24-bit PSN circle: the sign of a - b taken as
 * a 24-bit two's complement number, so a PSN up to 2^23 - 1 ahead compares
 * greater even across the wrap.
 */
static inline int sodp_psn_cmp(u32 a, u32 b)
{
	return (s32)((a - b) << 8);
}

/*
 * AETH syndrome: 3-bit type, 5-bit value.  ACK carries the credit count
 * (SODP_AETH_CREDIT_INVALID when end-to-end credits are not used, as rxe
 * and sodp do), RNR NAK the encoded timer, NAK one of SODP_NAK_*.
 */
enum {
	SODP_AETH_ACK		= 0x00,
	SODP_AETH_RNR_NAK	= 0x20,
	SODP_AETH_NAK		= 0x60,
	SODP_AETH_TYPE_MASK	= 0xe0,
	SODP_AETH_VALUE_MASK	= 0x1f,
};

enum {
	SODP_NAK_PSN_SEQ	= 0,
	SODP_NAK_INV_REQ	= 1,
	SODP_NAK_REM_ACCESS	= 2,
	SODP_NAK_REM_OP		= 3,
	SODP_NAK_INV_RD		= 4,
};

#define SODP_AETH_CREDIT_INVALID 0x1f

static inline u8 sodp_aeth_type(u8 syndrome)
{
	return syndrome & SODP_AETH_TYPE_MASK;
}

static inline u8 sodp_aeth_value(u8 syndrome)
{
	return syndrome & SODP_AETH_VALUE_MASK;
}

static inline u8 sodp_aeth_syndrome(u8 type, u8 value)
{
	return (type & SODP_AETH_TYPE_MASK) | (value & SODP_AETH_VALUE_MASK);
}

#endif /* SODP_PKT_H */
