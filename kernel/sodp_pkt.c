// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * RoCEv2 wire format: the opcode table, transport header parse and build,
 * IPv4/IPv6 + UDP encapsulation and the invariant CRC (IBTA Vol. 1 ch. 9
 * and Annex A17).
 *
 * Everything here works on plain byte buffers and is also compiled into the
 * host unit tests, which check it against packets captured from rxe.  The
 * parsers treat their input as hostile: every length is checked before the
 * bytes it covers are read, and nothing is read past @len.
 *
 * Errors: -EBADMSG when lengths or checksums do not add up (a truncated or
 * corrupted packet), -EINVAL when a field holds a value sodp does not accept
 * (unknown opcode or transport version, not UDP/4791, a fragment).
 */

#include "sodp_pkt.h"

#define HDRS_LEN(h)							\
	(SODP_BTH_LEN +							\
	 (((h) & SODP_HDR_RETH) ? SODP_RETH_LEN : 0) +			\
	 (((h) & SODP_HDR_AETH) ? SODP_AETH_LEN : 0) +			\
	 (((h) & SODP_HDR_ATMETH) ? SODP_ATMETH_LEN : 0) +		\
	 (((h) & SODP_HDR_ATMACK) ? SODP_ATMACK_LEN : 0) +		\
	 (((h) & SODP_HDR_IMMDT) ? SODP_IMMDT_LEN : 0) +		\
	 (((h) & SODP_HDR_IETH) ? SODP_IETH_LEN : 0) +			\
	 (((h) & SODP_HDR_DETH) ? SODP_DETH_LEN : 0) +			\
	 (((h) & SODP_HDR_FETH) ? SODP_FETH_LEN : 0))

#define OP(op, hdrs_, kind_, pos_)					\
	[SODP_OP_##op] = {						\
		.valid = true,						\
		.hdrs = (hdrs_),					\
		.flags = (kind_) | SODP_OPF_##pos_,			\
		.hdr_len = HDRS_LEN(hdrs_),				\
		.name = #op,						\
	}

/* Short names, for the table only. */
#define PL		SODP_HDR_PAYLOAD
#define RETH		SODP_HDR_RETH
#define AETH		SODP_HDR_AETH
#define ATMETH		SODP_HDR_ATMETH
#define ATMACK		SODP_HDR_ATMACK
#define IMM		SODP_HDR_IMMDT
#define IETH		SODP_HDR_IETH
#define DETH		SODP_HDR_DETH
#define FETH		SODP_HDR_FETH
#define RC_REQ		(SODP_OPF_REQUEST | SODP_OPF_RC)
#define RC_SEND		(RC_REQ | SODP_OPF_SEND)
#define RC_WRITE	(RC_REQ | SODP_OPF_WRITE)
#define RC_READ		(RC_REQ | SODP_OPF_READ)
#define RC_ATOMIC	(RC_REQ | SODP_OPF_ATOMIC)
#define RC_FLUSH	(RC_REQ | SODP_OPF_FLUSH)
#define RC_ATMWRITE	(RC_REQ | SODP_OPF_ATOMIC_WRITE)
#define RC_ACK		(SODP_OPF_RESPONSE | SODP_OPF_RC)
#define RC_RDRESP	(RC_ACK | SODP_OPF_READ)
#define RC_ATMACK	(RC_ACK | SODP_OPF_ATOMIC)
#define UD_SEND		(SODP_OPF_REQUEST | SODP_OPF_UD | SODP_OPF_SEND)
#define UC_SEND		(SODP_OPF_REQUEST | SODP_OPF_UC | SODP_OPF_SEND)
#define UC_WRITE	(SODP_OPF_REQUEST | SODP_OPF_UC | SODP_OPF_WRITE)

/* Header sets per the BTH opcode table of IBTA Vol. 1 ch. 9. */
const struct sodp_opcode_info sodp_opcode_table[256] = {
	OP(SEND_FIRST,        PL,               RC_SEND,    FIRST),
	OP(SEND_MIDDLE,       PL,               RC_SEND,    MIDDLE),
	OP(SEND_LAST,         PL,               RC_SEND,    LAST),
	OP(SEND_LAST_IMM,     PL | IMM,         RC_SEND,    LAST),
	OP(SEND_ONLY,         PL,               RC_SEND,    ONLY),
	OP(SEND_ONLY_IMM,     PL | IMM,         RC_SEND,    ONLY),
	OP(WRITE_FIRST,       PL | RETH,        RC_WRITE,   FIRST),
	OP(WRITE_MIDDLE,      PL,               RC_WRITE,   MIDDLE),
	OP(WRITE_LAST,        PL,               RC_WRITE,   LAST),
	OP(WRITE_LAST_IMM,    PL | IMM,         RC_WRITE,   LAST),
	OP(WRITE_ONLY,        PL | RETH,        RC_WRITE,   ONLY),
	OP(WRITE_ONLY_IMM,    PL | RETH | IMM,  RC_WRITE,   ONLY),
	OP(READ_REQ,          RETH,             RC_READ,    ONLY),
	OP(READ_RESP_FIRST,   PL | AETH,        RC_RDRESP,  FIRST),
	OP(READ_RESP_MIDDLE,  PL,               RC_RDRESP,  MIDDLE),
	OP(READ_RESP_LAST,    PL | AETH,        RC_RDRESP,  LAST),
	OP(READ_RESP_ONLY,    PL | AETH,        RC_RDRESP,  ONLY),
	OP(ACK,               AETH,             RC_ACK,     ONLY),
	OP(ATOMIC_ACK,        AETH | ATMACK,    RC_ATMACK,  ONLY),
	OP(CMP_SWAP,          ATMETH,           RC_ATOMIC,  ONLY),
	OP(FETCH_ADD,         ATMETH,           RC_ATOMIC,  ONLY),
	OP(SEND_LAST_INV,     PL | IETH,        RC_SEND,    LAST),
	OP(SEND_ONLY_INV,     PL | IETH,        RC_SEND,    ONLY),
	OP(FLUSH,             FETH | RETH,      RC_FLUSH,   ONLY),
	OP(ATOMIC_WRITE,      PL | RETH,        RC_ATMWRITE, ONLY),
	OP(UC_SEND_FIRST,     PL,               UC_SEND,    FIRST),
	OP(UC_SEND_MIDDLE,    PL,               UC_SEND,    MIDDLE),
	OP(UC_SEND_LAST,      PL,               UC_SEND,    LAST),
	OP(UC_SEND_LAST_IMM,  PL | IMM,         UC_SEND,    LAST),
	OP(UC_SEND_ONLY,      PL,               UC_SEND,    ONLY),
	OP(UC_SEND_ONLY_IMM,  PL | IMM,         UC_SEND,    ONLY),
	OP(UC_WRITE_FIRST,    PL | RETH,        UC_WRITE,   FIRST),
	OP(UC_WRITE_MIDDLE,   PL,               UC_WRITE,   MIDDLE),
	OP(UC_WRITE_LAST,     PL,               UC_WRITE,   LAST),
	OP(UC_WRITE_LAST_IMM, PL | IMM,         UC_WRITE,   LAST),
	OP(UC_WRITE_ONLY,     PL | RETH,        UC_WRITE,   ONLY),
	OP(UC_WRITE_ONLY_IMM, PL | RETH | IMM,  UC_WRITE,   ONLY),
	OP(UD_SEND_ONLY,      PL | DETH,        UD_SEND,    ONLY),
	OP(UD_SEND_ONLY_IMM,  PL | DETH | IMM,  UD_SEND,    ONLY),
};

#undef PL
#undef RETH
#undef AETH
#undef ATMETH
#undef ATMACK
#undef IMM
#undef IETH
#undef DETH
#undef FETH
#undef RC_REQ
#undef RC_SEND
#undef RC_WRITE
#undef RC_READ
#undef RC_ATOMIC
#undef RC_FLUSH
#undef RC_ATMWRITE
#undef RC_ACK
#undef RC_RDRESP
#undef RC_ATMACK
#undef UD_SEND
#undef UC_SEND
#undef UC_WRITE
#undef OP
#undef HDRS_LEN

/*
 * BTH layout (IBTA 9.2): opcode | SE M PadCnt(2) TVer(4) | P_Key(16) |
 * resv8a | DestQP(24) | A resv7 | PSN(24).
 */
#define BTH_SE		0x80
#define BTH_MIG		0x40
#define BTH_PAD_SHIFT	4
#define BTH_PAD_MASK	0x3
#define BTH_TVER_MASK	0xf
#define BTH_ACKREQ	0x80000000u
#define BTH_RESV8A	4		/* offset of the resv8a byte */

/*
 * FETH (IBTA annex A19, FLUSH): reserved(26) | SelectivityLevel(2) |
 * PlacementType(4).
 */
#define FETH_PLT_MASK	0xf
#define FETH_SEL_SHIFT	4
#define FETH_SEL_MASK	0x3

/* An atomic names its operands differently on the wire and in verbs. */
static bool sodp_atomic_is_cswap(u8 opcode)
{
	return opcode == SODP_OP_CMP_SWAP;
}

/**
 * sodp_pkt_parse() - parse and validate the transport headers of a packet
 * @bth: the BTH, first byte of the UDP payload
 * @len: bytes from @bth through the end of the ICRC
 * @pkt: filled with the header fields, payload offset and length
 *
 * Checks everything that can be checked without QP state: a known RC, UC or
 * UD opcode, transport version 0, a length that holds the opcode's headers,
 * its pad and the ICRC and is a whole number of 4-byte words (every header
 * and the padded payload are), no payload or pad on an opcode that carries
 * none, and pad only on the packet that ends a message (first and middle
 * packets carry a whole PMTU, a multiple of 4).  Whether the payload fits
 * the path MTU, PSN order and key checks are the transport's business.  The
 * ICRC is not checked here: see sodp_icrc_ok().
 *
 * Context: any.
 * Return: 0, or -EBADMSG for a length that does not add up, -EINVAL for an
 * unknown opcode, a bad transport version or a misplaced pad.  On error
 * @pkt holds no meaningful value.
 */
int sodp_pkt_parse(const void *bth, u32 len, struct sodp_pkt *pkt)
{
	const struct sodp_opcode_info *info;
	const u8 *p = bth;
	const u8 *q;
	u32 hdr_len, avail;
	u8 b1;

	memset(pkt, 0, sizeof(*pkt));
	pkt->nseg = 1;
	if (len < SODP_BTH_LEN + SODP_ICRC_LEN)
		return -EBADMSG;

	info = &sodp_opcode_table[p[0]];
	if (!info->valid)
		return -EINVAL;
	b1 = p[1];
	pkt->opcode = p[0];
	pkt->se = b1 & BTH_SE;
	pkt->migreq = b1 & BTH_MIG;
	pkt->pad = (b1 >> BTH_PAD_SHIFT) & BTH_PAD_MASK;
	pkt->tver = b1 & BTH_TVER_MASK;
	/* Only version 0 exists; a packet of any other is not ours to read. */
	if (pkt->tver)
		return -EINVAL;
	pkt->pkey = get_unaligned_be16(p + 2);
	pkt->dqpn = get_unaligned_be32(p + 4) & SODP_QPN_MASK;
	pkt->ackreq = get_unaligned_be32(p + 8) & BTH_ACKREQ;
	pkt->psn = get_unaligned_be32(p + 8) & SODP_PSN_MASK;

	hdr_len = info->hdr_len;
	if (len < hdr_len + SODP_ICRC_LEN || len % 4)
		return -EBADMSG;
	/* What is left is payload and pad. */
	avail = len - hdr_len - SODP_ICRC_LEN;
	if (!(info->hdrs & SODP_HDR_PAYLOAD)) {
		if (pkt->pad)
			return -EINVAL;
		if (avail)
			return -EBADMSG;
	} else {
		if (pkt->pad && !(info->flags & SODP_OPF_LAST))
			return -EINVAL;
		if (pkt->pad > avail)
			return -EBADMSG;
	}

	/* Extension headers follow the BTH in this order (IBTA 9.2). */
	q = p + SODP_BTH_LEN;
	if (info->hdrs & SODP_HDR_DETH) {
		pkt->qkey = get_unaligned_be32(q);
		pkt->sqpn = get_unaligned_be32(q + 4) & SODP_QPN_MASK;
		q += SODP_DETH_LEN;
	}
	if (info->hdrs & SODP_HDR_FETH) {
		u32 feth = get_unaligned_be32(q);

		pkt->flush_type = feth & FETH_PLT_MASK;
		pkt->flush_level = (feth >> FETH_SEL_SHIFT) & FETH_SEL_MASK;
		q += SODP_FETH_LEN;
	}
	if (info->hdrs & SODP_HDR_RETH) {
		pkt->va = get_unaligned_be64(q);
		pkt->rkey = get_unaligned_be32(q + 8);
		pkt->dma_len = get_unaligned_be32(q + 12);
		q += SODP_RETH_LEN;
	}
	if (info->hdrs & SODP_HDR_ATMETH) {
		u64 swap_add = get_unaligned_be64(q + 12);
		u64 cmp = get_unaligned_be64(q + 20);

		pkt->va = get_unaligned_be64(q);
		pkt->rkey = get_unaligned_be32(q + 8);
		if (sodp_atomic_is_cswap(pkt->opcode)) {
			pkt->swap = swap_add;
			pkt->compare_add = cmp;
		} else {
			pkt->compare_add = swap_add;
			pkt->swap = cmp;
		}
		q += SODP_ATMETH_LEN;
	}
	if (info->hdrs & SODP_HDR_AETH) {
		u32 aeth = get_unaligned_be32(q);

		pkt->syndrome = aeth >> 24;
		pkt->msn = aeth & SODP_MSN_MASK;
		q += SODP_AETH_LEN;
	}
	if (info->hdrs & SODP_HDR_ATMACK) {
		pkt->orig = get_unaligned_be64(q);
		q += SODP_ATMACK_LEN;
	}
	if (info->hdrs & SODP_HDR_IMMDT) {
		memcpy(&pkt->imm, q, SODP_IMMDT_LEN);
		q += SODP_IMMDT_LEN;
	}
	if (info->hdrs & SODP_HDR_IETH) {
		pkt->inv_rkey = get_unaligned_be32(q);
		q += SODP_IETH_LEN;
	}

	pkt->payload_off = info->hdr_len;
	pkt->payload_len = avail - pkt->pad;
	return 0;
}

/**
 * sodp_pkt_build() - write the BTH and the extension headers of a packet
 * @buf: where the BTH goes; room for sodp_opcode_table[op].hdr_len bytes
 * @pkt: the header fields; only those of pkt->opcode's headers are read
 *
 * Writes exactly the inverse of sodp_pkt_parse(): pkt->pad goes into the
 * BTH as given (the caller appends that many pad bytes after the payload);
 * reserved fields, including resv8a, are written as zero.  Values wider
 * than their field (PSN, QPNs, MSN, pad, tver) are truncated to it.
 *
 * Context: any.
 * Return: bytes written, the opcode's hdr_len; 0 for an opcode missing from
 * sodp_opcode_table, which is a bug in the caller.
 */
u32 sodp_pkt_build(void *buf, const struct sodp_pkt *pkt)
{
	const struct sodp_opcode_info *info = &sodp_opcode_table[pkt->opcode];
	u8 *p = buf;
	u8 *q;

	if (WARN_ON_ONCE(!info->valid))
		return 0;

	p[0] = pkt->opcode;
	p[1] = (pkt->se ? BTH_SE : 0) | (pkt->migreq ? BTH_MIG : 0) |
	       (pkt->pad & BTH_PAD_MASK) << BTH_PAD_SHIFT |
	       (pkt->tver & BTH_TVER_MASK);
	put_unaligned_be16(pkt->pkey, p + 2);
	put_unaligned_be32(pkt->dqpn & SODP_QPN_MASK, p + 4);
	put_unaligned_be32((pkt->ackreq ? BTH_ACKREQ : 0) |
			   (pkt->psn & SODP_PSN_MASK), p + 8);

	q = p + SODP_BTH_LEN;
	if (info->hdrs & SODP_HDR_DETH) {
		put_unaligned_be32(pkt->qkey, q);
		put_unaligned_be32(pkt->sqpn & SODP_QPN_MASK, q + 4);
		q += SODP_DETH_LEN;
	}
	if (info->hdrs & SODP_HDR_FETH) {
		put_unaligned_be32((pkt->flush_level & FETH_SEL_MASK) <<
				   FETH_SEL_SHIFT |
				   (pkt->flush_type & FETH_PLT_MASK), q);
		q += SODP_FETH_LEN;
	}
	if (info->hdrs & SODP_HDR_RETH) {
		put_unaligned_be64(pkt->va, q);
		put_unaligned_be32(pkt->rkey, q + 8);
		put_unaligned_be32(pkt->dma_len, q + 12);
		q += SODP_RETH_LEN;
	}
	if (info->hdrs & SODP_HDR_ATMETH) {
		bool cswap = sodp_atomic_is_cswap(pkt->opcode);

		put_unaligned_be64(pkt->va, q);
		put_unaligned_be32(pkt->rkey, q + 8);
		put_unaligned_be64(cswap ? pkt->swap : pkt->compare_add,
				   q + 12);
		put_unaligned_be64(cswap ? pkt->compare_add : pkt->swap,
				   q + 20);
		q += SODP_ATMETH_LEN;
	}
	if (info->hdrs & SODP_HDR_AETH) {
		put_unaligned_be32((u32)pkt->syndrome << 24 |
				   (pkt->msn & SODP_MSN_MASK), q);
		q += SODP_AETH_LEN;
	}
	if (info->hdrs & SODP_HDR_ATMACK) {
		put_unaligned_be64(pkt->orig, q);
		q += SODP_ATMACK_LEN;
	}
	if (info->hdrs & SODP_HDR_IMMDT) {
		memcpy(q, &pkt->imm, SODP_IMMDT_LEN);
		q += SODP_IMMDT_LEN;
	}
	if (info->hdrs & SODP_HDR_IETH) {
		put_unaligned_be32(pkt->inv_rkey, q);
		q += SODP_IETH_LEN;
	}
	return q - p;
}

/* IPv4 (RFC 791) and IPv6 (RFC 8200) fields sodp reads or writes. */
#define IPPROTO_UDP_NR		17
#define IPV4_DF			0x4000
#define IPV4_MF			0x2000
#define IPV4_FRAG_OFF_MASK	0x1fff

/* RFC 1071 Internet checksum of a header with its checksum field zeroed. */
static u16 sodp_ipv4_csum(const u8 *h)
{
	u32 sum = 0;
	int i;

	for (i = 0; i < SODP_IPV4_HDR_LEN; i += 2)
		sum += get_unaligned_be16(h + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}

/**
 * sodp_l3_build() - write the IP and UDP headers of a RoCEv2 packet
 * @buf: room for SODP_IPV6_HDR_LEN or SODP_IPV4_HDR_LEN, plus
 *       SODP_UDP_HDR_LEN bytes
 * @l3: addresses, TOS/TTL (IPv4) or traffic class/hop limit/flow label
 *      (IPv6), IPv4 ID and UDP source port
 * @udp_payload_len: bytes from the BTH through the ICRC
 *
 * IPv4 is written with DF set (RoCE messages are segmented to the path MTU
 * by the transport, never fragmented by IP), no options and the header
 * checksum filled in.  The UDP checksum is 0 for both families: the ICRC
 * already covers everything the checksum would, RoCEv2 (IBTA Annex A17)
 * allows it, and it is what rxe sends, also over IPv6, as a UDP tunnel may
 * (RFC 6935/6936).
 *
 * Context: any.
 * Return: header bytes written (offset of the BTH from @buf), or 0 when
 * @udp_payload_len does not fit the 16-bit length fields.
 */
u32 sodp_l3_build(void *buf, const struct sodp_l3 *l3, u32 udp_payload_len)
{
	u32 udp_len = SODP_UDP_HDR_LEN + udp_payload_len;
	u8 *p = buf;
	u8 *udp;

	if (udp_payload_len > 0xffff - SODP_UDP_HDR_LEN - SODP_IPV4_HDR_LEN)
		return 0;

	if (l3->ipv6) {
		put_unaligned_be32(6u << 28 | (u32)l3->tos << 20 |
				   (l3->flow_label & 0xfffff), p);
		put_unaligned_be16(udp_len, p + 4);
		p[6] = IPPROTO_UDP_NR;
		p[7] = l3->ttl;
		memcpy(p + 8, l3->saddr, 16);
		memcpy(p + 24, l3->daddr, 16);
		udp = p + SODP_IPV6_HDR_LEN;
	} else {
		p[0] = 0x45;	/* version 4, 5 words: no options */
		p[1] = l3->tos;
		put_unaligned_be16(SODP_IPV4_HDR_LEN + udp_len, p + 2);
		put_unaligned_be16(l3->ip_id, p + 4);
		put_unaligned_be16(IPV4_DF, p + 6);
		p[8] = l3->ttl;
		p[9] = IPPROTO_UDP_NR;
		put_unaligned_be16(0, p + 10);
		memcpy(p + 12, l3->saddr, 4);
		memcpy(p + 16, l3->daddr, 4);
		put_unaligned_be16(sodp_ipv4_csum(p), p + 10);
		udp = p + SODP_IPV4_HDR_LEN;
	}

	put_unaligned_be16(l3->sport, udp);
	put_unaligned_be16(SODP_UDP_PORT, udp + 2);
	put_unaligned_be16(udp_len, udp + 4);
	put_unaligned_be16(0, udp + 6);
	return udp + SODP_UDP_HDR_LEN - p;
}

/* The UDP header and what it says about the RoCEv2 packet behind it. */
static int sodp_udp_parse(const u8 *udp, u32 ip_payload_len,
			  struct sodp_l3 *l3, u32 *bth_len)
{
	u32 udp_len;

	if (ip_payload_len < SODP_UDP_HDR_LEN)
		return -EBADMSG;
	udp_len = get_unaligned_be16(udp + 4);
	if (udp_len != ip_payload_len)
		return -EBADMSG;
	if (get_unaligned_be16(udp + 2) != SODP_UDP_PORT)
		return -EINVAL;
	if (udp_len < SODP_UDP_HDR_LEN + SODP_BTH_LEN + SODP_ICRC_LEN)
		return -EBADMSG;
	/*
	 * A non-zero UDP checksum is not verified: everything it covers
	 * (addresses, protocol, length, ports, payload) is also covered by
	 * the ICRC, a stronger code that the receiver checks anyway.
	 */
	l3->sport = get_unaligned_be16(udp);
	*bth_len = udp_len - SODP_UDP_HDR_LEN;
	return 0;
}

static int sodp_ipv4_parse(const u8 *p, u32 len, struct sodp_l3 *l3,
			   u32 *bth_len)
{
	u32 tot_len;
	u16 frag;

	if (len < SODP_IPV4_HDR_LEN)
		return -EBADMSG;
	/*
	 * RoCEv2 senders use no IP options, and the ICRC masking (A17)
	 * is defined on the 20-byte header.
	 */
	if ((p[0] & 0xf) != SODP_IPV4_HDR_LEN / 4)
		return -EINVAL;
	if (sodp_ipv4_csum(p) != 0)
		return -EBADMSG;
	tot_len = get_unaligned_be16(p + 2);
	/* A longer frame is fine: Ethernet pads short frames to 60 bytes. */
	if (tot_len < SODP_IPV4_HDR_LEN || tot_len > len)
		return -EBADMSG;
	/* A fragment carries only part of a packet and part of its ICRC. */
	frag = get_unaligned_be16(p + 6);
	if (frag & (IPV4_MF | IPV4_FRAG_OFF_MASK))
		return -EINVAL;
	if (p[9] != IPPROTO_UDP_NR)
		return -EINVAL;

	memset(l3, 0, sizeof(*l3));
	l3->tos = p[1];
	l3->ip_id = get_unaligned_be16(p + 4);
	l3->ttl = p[8];
	memcpy(l3->saddr, p + 12, 4);
	memcpy(l3->daddr, p + 16, 4);
	return sodp_udp_parse(p + SODP_IPV4_HDR_LEN,
			      tot_len - SODP_IPV4_HDR_LEN, l3, bth_len);
}

static int sodp_ipv6_parse(const u8 *p, u32 len, struct sodp_l3 *l3,
			   u32 *bth_len)
{
	u32 vtf, plen;

	if (len < SODP_IPV6_HDR_LEN)
		return -EBADMSG;
	plen = get_unaligned_be16(p + 4);
	if (plen > len - SODP_IPV6_HDR_LEN)
		return -EBADMSG;
	/* Extension headers are not used by RoCEv2 senders. */
	if (p[6] != IPPROTO_UDP_NR)
		return -EINVAL;

	vtf = get_unaligned_be32(p);
	memset(l3, 0, sizeof(*l3));
	l3->ipv6 = true;
	l3->tos = vtf >> 20;
	l3->flow_label = vtf & 0xfffff;
	l3->ttl = p[7];
	memcpy(l3->saddr, p + 8, 16);
	memcpy(l3->daddr, p + 24, 16);
	return sodp_udp_parse(p + SODP_IPV6_HDR_LEN, plen, l3, bth_len);
}

/**
 * sodp_l3_parse() - validate the IP and UDP headers of a RoCEv2 packet
 * @buf: the IPv4 or IPv6 header
 * @len: bytes from @buf to the end of the frame data; may exceed the IP
 *       length by the Ethernet padding of a short frame
 * @l3: filled with the header fields
 * @bth_off: set to the offset of the BTH from @buf
 * @bth_len: set to the bytes from the BTH through the ICRC
 *
 * Accepts an unfragmented IPv4 packet without options and with a good
 * header checksum, or an IPv6 packet without extension headers, carrying
 * UDP to port 4791 whose length agrees with the IP length and leaves room
 * for at least a BTH and an ICRC.
 *
 * Context: any.
 * Return: 0, or -EBADMSG for inconsistent lengths or a bad IPv4 checksum,
 * -EINVAL for anything that is not RoCEv2 (IP version, options, fragment,
 * protocol, port).
 */
int sodp_l3_parse(const void *buf, u32 len, struct sodp_l3 *l3,
		  u32 *bth_off, u32 *bth_len)
{
	const u8 *p = buf;
	int err;

	if (len < 1)
		return -EBADMSG;
	switch (p[0] >> 4) {
	case 4:
		err = sodp_ipv4_parse(p, len, l3, bth_len);
		*bth_off = SODP_IPV4_HDR_LEN + SODP_UDP_HDR_LEN;
		break;
	case 6:
		err = sodp_ipv6_parse(p, len, l3, bth_len);
		*bth_off = SODP_IPV6_HDR_LEN + SODP_UDP_HDR_LEN;
		break;
	default:
		err = -EINVAL;
		break;
	}
	return err;
}

/*
 * Length of the IP + UDP + BTH headers that sodp_icrc_hdr() hashes.  IPv4
 * has no options: sodp_l3_parse() only accepts such packets.
 */
static u32 sodp_icrc_hdr_len(const u8 *ip)
{
	return ((ip[0] >> 4) == 6 ? SODP_IPV6_HDR_LEN : SODP_IPV4_HDR_LEN) +
	       SODP_UDP_HDR_LEN + SODP_BTH_LEN;
}

/**
 * sodp_icrc_hdr() - start the ICRC of a packet: its IP, UDP and BTH headers
 * @iphdr: the IPv4 (no options) or IPv6 header, followed by UDP and BTH
 *
 * The ICRC (IBTA Annex A17) is the Ethernet CRC-32 over the whole packet from
 * an imaginary LRH of 8 bytes of 0xff through the pad, with every field a
 * router or switch may rewrite replaced by ones: IPv4 TOS, TTL and header
 * checksum, IPv6 traffic class, flow label and hop limit, the UDP checksum
 * and the BTH resv8a byte.  The headers are copied to mask them, so the
 * packet itself is left untouched.
 *
 * Context: any.
 * Return: the running CRC, to be continued with sodp_icrc_update() from the
 * first byte after the BTH.
 */
u32 sodp_icrc_hdr(const void *iphdr)
{
	u8 h[SODP_IPV6_HDR_LEN + SODP_UDP_HDR_LEN + SODP_BTH_LEN];
	const u8 *ip = iphdr;
	u32 n = sodp_icrc_hdr_len(ip);
	u8 *udp;

	memcpy(h, ip, n);
	if ((ip[0] >> 4) == 6) {
		h[0] |= 0x0f;		/* traffic class, high nibble */
		h[1] = 0xff;		/* traffic class, flow label */
		h[2] = 0xff;
		h[3] = 0xff;
		h[7] = 0xff;		/* hop limit */
		udp = h + SODP_IPV6_HDR_LEN;
	} else {
		h[1] = 0xff;		/* TOS */
		h[8] = 0xff;		/* TTL */
		h[10] = 0xff;		/* header checksum */
		h[11] = 0xff;
		udp = h + SODP_IPV4_HDR_LEN;
	}
	udp[6] = 0xff;			/* UDP checksum */
	udp[7] = 0xff;
	udp[SODP_UDP_HDR_LEN + BTH_RESV8A] = 0xff;

	return crc32_le(SODP_ICRC_SEED, h, n);
}

/* The CRC over [iphdr, iphdr + len - ICRC), or false if len is too short. */
static bool sodp_icrc_calc(const u8 *ip, u32 len, u32 *crc)
{
	u32 hl;

	if (len < SODP_IPV4_HDR_LEN + SODP_UDP_HDR_LEN + SODP_BTH_LEN +
		  SODP_ICRC_LEN)
		return false;
	hl = sodp_icrc_hdr_len(ip);
	if (len < hl + SODP_ICRC_LEN)
		return false;
	*crc = sodp_icrc_update(sodp_icrc_hdr(ip), ip + hl,
				len - hl - SODP_ICRC_LEN);
	return true;
}

/**
 * sodp_icrc_set() - compute and store the ICRC of a contiguous packet
 * @iphdr: the IP header; UDP, BTH, extension headers, payload and pad follow
 * @len: bytes from @iphdr through the end of the ICRC
 *
 * The ICRC is written in the last 4 bytes.
 *
 * Context: any.
 */
void sodp_icrc_set(void *iphdr, u32 len)
{
	u32 crc;

	if (WARN_ON_ONCE(!sodp_icrc_calc(iphdr, len, &crc)))
		return;
	sodp_icrc_store(crc, (u8 *)iphdr + len - SODP_ICRC_LEN);
}

/**
 * sodp_icrc_ok() - check the ICRC of a contiguous packet
 * @iphdr: the IP header, as accepted by sodp_l3_parse()
 * @len: bytes from @iphdr through the end of the ICRC (bth_off + bth_len)
 *
 * Context: any.
 * Return: true if the ICRC in the last 4 bytes matches the packet.
 */
bool sodp_icrc_ok(const void *iphdr, u32 len)
{
	const u8 *ip = iphdr;
	u32 crc;

	if (!sodp_icrc_calc(ip, len, &crc))
		return false;
	return get_unaligned_le32(ip + len - SODP_ICRC_LEN) == ~crc;
}
