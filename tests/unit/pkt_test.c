// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Host unit test for the RoCEv2 wire format (kernel/sodp_pkt.c), compiled
 * from the same source as the module.
 *
 * The oracle is the kernel's rxe: the captures in tests/unit/wire/ were
 * taken between two rxe devices, so every header, IP/UDP field and ICRC in
 * them is what a peer produces and expects.  Every packet is parsed,
 * rebuilt byte for byte and re-checksummed; then each capture's own facts
 * (opcode sequences, PSNs, MSNs, RETH/AtomicETH/DETH values) are checked,
 * and every way of damaging a packet that a parser must survive is tried on
 * exact-size heap copies, so that AddressSanitizer turns an out-of-bounds
 * read into a failure.
 *
 * Usage: pkt_test <directory with the .pcap files>
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sodp_pkt.h"
#include "pcap.h"

static unsigned long checks, failures;
static char where[160] = "";

#define MAX_REPORTS 60

static void fail(const char *file, int line, const char *what)
{
	failures++;
	if (failures <= MAX_REPORTS)
		fprintf(stderr, "%s:%d: [%s] %s\n", file, line, where, what);
	else if (failures == MAX_REPORTS + 1)
		fprintf(stderr, "... further failures not shown\n");
}

#define EXPECT(cond)							\
	do {								\
		checks++;						\
		if (!(cond))						\
			fail(__FILE__, __LINE__, #cond);		\
	} while (0)

#define EXPECT_EQ(a, b)							\
	do {								\
		unsigned long long a_ = (a), b_ = (b);			\
		char m_[256];						\
									\
		checks++;						\
		if (a_ != b_) {						\
			snprintf(m_, sizeof(m_),			\
				 "%s == %s: 0x%llx != 0x%llx",		\
				 #a, #b, a_, b_);			\
			fail(__FILE__, __LINE__, m_);			\
		}							\
	} while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		perror("malloc");
		exit(2);
	}
	return p;
}

/* An exact-size heap copy: reading one byte past @n is an ASan error. */
static u8 *dup_bytes(const void *p, size_t n)
{
	u8 *c = xmalloc(n);

	memcpy(c, p, n);
	return c;
}

/* Deterministic pseudo-random numbers (xorshift64*), fixed seed. */
static u64 rng_state = 0x9e3779b97f4a7c15ull;

static u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static u32 rnd_below(u32 n)
{
	return (u32)(rnd() % n);
}

/* ---- CRC, opcode table, PSN and AETH helpers ---------------------------- */

static void test_crc32(void)
{
	static const u8 ones[8] = { 0xff, 0xff, 0xff, 0xff,
				    0xff, 0xff, 0xff, 0xff };

	snprintf(where, sizeof(where), "crc32");
	/* The standard CRC-32 check value. */
	EXPECT_EQ(~crc32_le(~0u, "123456789", 9), 0xcbf43926);
	/* The seed really is the pseudo-LRH of 8 bytes of ones. */
	EXPECT_EQ(crc32_le(~0u, ones, sizeof(ones)), SODP_ICRC_SEED);
}

static void test_opcode_table(void)
{
	static const struct { u8 op; u8 hdr_len; } lens[] = {
		{ SODP_OP_SEND_FIRST, 12 },
		{ SODP_OP_SEND_LAST_IMM, 16 },
		{ SODP_OP_WRITE_FIRST, 28 },
		{ SODP_OP_WRITE_ONLY_IMM, 32 },
		{ SODP_OP_READ_REQ, 28 },
		{ SODP_OP_READ_RESP_FIRST, 16 },
		{ SODP_OP_READ_RESP_MIDDLE, 12 },
		{ SODP_OP_ACK, 16 },
		{ SODP_OP_ATOMIC_ACK, 24 },
		{ SODP_OP_CMP_SWAP, 40 },
		{ SODP_OP_FETCH_ADD, 40 },
		{ SODP_OP_SEND_ONLY_INV, 16 },
		{ SODP_OP_FLUSH, 32 },
		{ SODP_OP_ATOMIC_WRITE, 28 },
		{ SODP_OP_UD_SEND_ONLY, 20 },
		{ SODP_OP_UD_SEND_ONLY_IMM, 24 },
	};
	unsigned int i, nvalid = 0;

	for (i = 0; i < 256; i++) {
		const struct sodp_opcode_info *in = &sodp_opcode_table[i];
		u32 len = SODP_BTH_LEN;
		u16 pos;

		snprintf(where, sizeof(where), "opcode 0x%02x", i);
		if (!in->valid) {
			EXPECT(!in->hdrs && !in->flags && !in->hdr_len &&
			       !in->name);
			continue;
		}
		nvalid++;
		EXPECT(in->name != NULL);
		len += in->hdrs & SODP_HDR_RETH ? SODP_RETH_LEN : 0;
		len += in->hdrs & SODP_HDR_AETH ? SODP_AETH_LEN : 0;
		len += in->hdrs & SODP_HDR_ATMETH ? SODP_ATMETH_LEN : 0;
		len += in->hdrs & SODP_HDR_ATMACK ? SODP_ATMACK_LEN : 0;
		len += in->hdrs & SODP_HDR_IMMDT ? SODP_IMMDT_LEN : 0;
		len += in->hdrs & SODP_HDR_IETH ? SODP_IETH_LEN : 0;
		len += in->hdrs & SODP_HDR_DETH ? SODP_DETH_LEN : 0;
		len += in->hdrs & SODP_HDR_FETH ? SODP_FETH_LEN : 0;
		EXPECT_EQ(in->hdr_len, len);
		EXPECT_EQ(len % 4, 0);
		/* Exactly one direction, one transport class, one position. */
		EXPECT(!(in->flags & SODP_OPF_REQUEST) !=
		       !(in->flags & SODP_OPF_RESPONSE));
		EXPECT_EQ(!!(in->flags & SODP_OPF_RC) +
			  !!(in->flags & SODP_OPF_UC) +
			  !!(in->flags & SODP_OPF_UD), 1);
		EXPECT_EQ(!!(in->flags & SODP_OPF_RC), (i >> 5) == 0);
		EXPECT_EQ(!!(in->flags & SODP_OPF_UC), (i >> 5) == 1);
		EXPECT_EQ(!!(in->flags & SODP_OPF_UD), (i >> 5) == 3);
		/* A UC opcode is its RC twin (SEND, WRITE) on another class. */
		if (in->flags & SODP_OPF_UC) {
			const struct sodp_opcode_info *rc =
				&sodp_opcode_table[i & 0x1f];

			EXPECT(rc->valid && i <= SODP_OP_UC_WRITE_ONLY_IMM);
			EXPECT_EQ(in->hdrs, rc->hdrs);
			EXPECT_EQ(in->flags & ~SODP_OPF_UC,
				  rc->flags & ~SODP_OPF_RC);
		}
		pos = in->flags & (SODP_OPF_FIRST | SODP_OPF_MIDDLE |
				   SODP_OPF_LAST);
		EXPECT(pos == SODP_OPF_FIRST || pos == SODP_OPF_MIDDLE ||
		       pos == SODP_OPF_LAST || pos == SODP_OPF_ONLY);
	}
	snprintf(where, sizeof(where), "opcode table");
	/* RC 0x00-0x14, 0x16, 0x17, 0x1c, 0x1d; UC 0x20-0x2b; UD 0x64, 0x65. */
	EXPECT_EQ(nvalid, 39);
	EXPECT(!sodp_opcode_table[0x15].valid);
	EXPECT(!sodp_opcode_table[0x81].valid);	/* RoCEv2 CNP */
	for (i = 0; i < ARRAY_SIZE(lens); i++)
		EXPECT_EQ(sodp_opcode_table[lens[i].op].hdr_len,
			  lens[i].hdr_len);
	EXPECT(!strcmp(sodp_opcode_table[SODP_OP_WRITE_FIRST].name,
		       "WRITE_FIRST"));
	EXPECT(sodp_opcode_table[SODP_OP_ACK].flags & SODP_OPF_RESPONSE);
	EXPECT(sodp_opcode_table[SODP_OP_READ_REQ].flags & SODP_OPF_REQUEST);
	EXPECT(!(sodp_opcode_table[SODP_OP_READ_REQ].hdrs & SODP_HDR_PAYLOAD));
	EXPECT(sodp_opcode_table[SODP_OP_READ_RESP_MIDDLE].flags &
	       SODP_OPF_MIDDLE);
}

static void test_psn(void)
{
	snprintf(where, sizeof(where), "psn");
	EXPECT_EQ(sodp_psn_add(0xffffff, 1), 0);
	EXPECT_EQ(sodp_psn_add(0xfffffe, 3), 1);
	EXPECT_EQ(sodp_psn_add(5, 0), 5);
	EXPECT_EQ(sodp_psn_add(0, 0xffffff), 0xffffff);
	EXPECT_EQ(sodp_psn_add(0x800000, 0x800000), 0);
	EXPECT_EQ(sodp_psn_add(0x123456, 0x1000000), 0x123456);

	EXPECT(sodp_psn_cmp(7, 7) == 0);
	EXPECT(sodp_psn_cmp(0xffffff, 0xffffff) == 0);
	EXPECT(sodp_psn_cmp(5, 3) > 0);
	EXPECT(sodp_psn_cmp(3, 5) < 0);
	/* Across the wrap: 0 comes after 0xffffff. */
	EXPECT(sodp_psn_cmp(0, 0xffffff) > 0);
	EXPECT(sodp_psn_cmp(0xffffff, 0) < 0);
	EXPECT(sodp_psn_cmp(2, 0xfffffe) > 0);
	EXPECT(sodp_psn_cmp(0xfffff0, 0x10) < 0);
	/* Half the circle: up to 2^23 - 1 ahead is "after". */
	EXPECT(sodp_psn_cmp(0x7fffff, 0) > 0);
	EXPECT(sodp_psn_cmp(0x800000, 0) < 0);
	EXPECT(sodp_psn_cmp(0, 0x7fffff) < 0);
	EXPECT(sodp_psn_cmp(0x400000, 0xc00001) > 0);
	/* Bits above the 24 are ignored. */
	EXPECT(sodp_psn_cmp(0x01000005, 5) == 0);
	EXPECT(sodp_psn_cmp(sodp_psn_add(0xfffffa, 10), 0xfffffa) > 0);
}

static void test_aeth_helpers(void)
{
	snprintf(where, sizeof(where), "aeth");
	EXPECT_EQ(sodp_aeth_syndrome(SODP_AETH_ACK, SODP_AETH_CREDIT_INVALID),
		  0x1f);
	EXPECT_EQ(sodp_aeth_syndrome(SODP_AETH_NAK, SODP_NAK_REM_ACCESS),
		  0x62);
	EXPECT_EQ(sodp_aeth_syndrome(SODP_AETH_RNR_NAK, 0x0e), 0x2e);
	EXPECT_EQ(sodp_aeth_type(0x63), SODP_AETH_NAK);
	EXPECT_EQ(sodp_aeth_value(0x63), SODP_NAK_REM_OP);
	EXPECT_EQ(sodp_aeth_type(0x1f), SODP_AETH_ACK);
	EXPECT_EQ(sodp_pad_len(0), 0);
	EXPECT_EQ(sodp_pad_len(1), 3);
	EXPECT_EQ(sodp_pad_len(2), 2);
	EXPECT_EQ(sodp_pad_len(3), 1);
	EXPECT_EQ(sodp_pad_len(1024), 0);
}

/* ---- one packet --------------------------------------------------------- */

struct view {
	const u8 *frame;
	u32 frame_len;
	const u8 *ip;
	u32 ip_len;		/* from the IP header to the end of the frame */
	u32 l2_type;		/* ethertype */
	struct sodp_l3 l3;
	u32 bth_off, bth_len;
	struct sodp_pkt pkt;
	bool ok;
};

static u32 pkt_len(const struct view *v)
{
	return v->bth_off + v->bth_len;
}

static const u8 *bth_of(const struct view *v)
{
	return v->ip + v->bth_off;
}

/* Ethernet II, optionally one 802.1Q tag. */
static int l2_parse(const u8 *f, u32 len, u32 *off, u32 *type)
{
	u32 o = 12;

	if (len < 14)
		return -1;
	*type = get_unaligned_be16(f + o);
	if (*type == 0x8100) {
		if (len < 18)
			return -1;
		o += 4;
		*type = get_unaligned_be16(f + o);
	}
	*off = o + 2;
	return 0;
}

static void decode(const u8 *frame, u32 len, struct view *v)
{
	u32 off;

	memset(v, 0, sizeof(*v));
	v->frame = frame;
	v->frame_len = len;
	if (l2_parse(frame, len, &off, &v->l2_type))
		return;
	v->ip = frame + off;
	v->ip_len = len - off;
	if (sodp_l3_parse(v->ip, v->ip_len, &v->l3, &v->bth_off, &v->bth_len))
		return;
	if (sodp_pkt_parse(bth_of(v), v->bth_len, &v->pkt))
		return;
	v->ok = true;
}

/* Bits of the byte at @i (from the IP header) that the ICRC ignores. */
static u8 icrc_masked_bits(bool ipv6, u32 i)
{
	u32 udp = ipv6 ? SODP_IPV6_HDR_LEN : SODP_IPV4_HDR_LEN;

	if (ipv6 && i == 0)
		return 0x0f;		/* traffic class, high nibble */
	if (ipv6 && (i == 1 || i == 2 || i == 3 || i == 7))
		return 0xff;		/* traffic class, flow label, hops */
	if (!ipv6 && (i == 1 || i == 8 || i == 10 || i == 11))
		return 0xff;		/* TOS, TTL, header checksum */
	if (i == udp + 6 || i == udp + 7)
		return 0xff;		/* UDP checksum */
	if (i == udp + SODP_UDP_HDR_LEN + 4)
		return 0xff;		/* BTH resv8a */
	return 0;
}

/*
 * Flip every bit of every header byte, a few payload and pad bytes and the
 * ICRC itself: the ICRC must notice exactly the unmasked ones.
 */
static void check_icrc_coverage(const struct view *v)
{
	u32 n = pkt_len(v), hdr_end = v->bth_off + v->pkt.payload_off;
	u32 body = v->pkt.payload_len + v->pkt.pad;
	u32 extra[8], nextra = 0, i, k;
	u8 *m = dup_bytes(v->ip, n);
	int bit;

	if (body) {
		extra[nextra++] = hdr_end;
		extra[nextra++] = hdr_end + body / 2;
		extra[nextra++] = hdr_end + body - 1;
	}
	for (k = 0; k < SODP_ICRC_LEN; k++)
		extra[nextra++] = n - SODP_ICRC_LEN + k;

	for (i = 0; i < hdr_end + nextra; i++) {
		u32 at = i < hdr_end ? i : extra[i - hdr_end];
		u8 masked = at < hdr_end ? icrc_masked_bits(v->l3.ipv6, at) : 0;

		for (bit = 0; bit < 8; bit++) {
			bool want = masked & (1u << bit);

			m[at] ^= 1u << bit;
			checks++;
			if (sodp_icrc_ok(m, n) != want) {
				char msg[96];

				snprintf(msg, sizeof(msg),
					 "byte %u bit %d: icrc_ok should be %d",
					 at, bit, want);
				fail(__FILE__, __LINE__, msg);
			}
			m[at] ^= 1u << bit;
		}
	}
	/* Any value in every masked field at once. */
	for (i = 0; i < hdr_end; i++)
		m[i] ^= icrc_masked_bits(v->l3.ipv6, i) & 0x5a;
	EXPECT(sodp_icrc_ok(m, n));
	free(m);
}

/* Rebuild IP/UDP, BTH and extension headers, then the ICRC, from parsed. */
static void check_rebuild(const struct view *v)
{
	const struct sodp_opcode_info *info =
		&sodp_opcode_table[v->pkt.opcode];
	u32 n = pkt_len(v), hl, ll, split, crc;
	u8 *hb = xmalloc(info->hdr_len);
	u8 *lb = xmalloc(v->bth_off);
	u8 *whole = xmalloc(n);
	u8 icrc[SODP_ICRC_LEN];

	hl = sodp_pkt_build(hb, &v->pkt);
	EXPECT_EQ(hl, info->hdr_len);
	EXPECT(hl == info->hdr_len && !memcmp(hb, bth_of(v), hl));

	/*
	 * No exception is needed: rxe sets DF, no options, TOS 0 and the IPv4
	 * ID we pass back in, and a zero UDP checksum for both families.
	 */
	ll = sodp_l3_build(lb, &v->l3, v->bth_len);
	EXPECT_EQ(ll, v->bth_off);
	EXPECT(ll == v->bth_off && !memcmp(lb, v->ip, ll));

	/* Whole packet: headers, the captured payload and pad, new ICRC. */
	memset(whole, 0, n);
	ll = sodp_l3_build(whole, &v->l3, v->bth_len);
	if (ll == v->bth_off) {
		hl = sodp_pkt_build(whole + ll, &v->pkt);
		memcpy(whole + ll + hl, v->ip + ll + hl,
		       v->pkt.payload_len + v->pkt.pad);
		sodp_icrc_set(whole, n);
		EXPECT(!memcmp(whole, v->ip, n));
	}

	/* Piecewise, as for a packet whose payload sits in page frags. */
	hl = SODP_BTH_LEN + (v->bth_off);
	split = hl + rnd_below(n - SODP_ICRC_LEN - hl + 1);
	crc = sodp_icrc_hdr(v->ip);
	crc = sodp_icrc_update(crc, v->ip + hl, split - hl);
	crc = sodp_icrc_update(crc, v->ip + split, n - SODP_ICRC_LEN - split);
	sodp_icrc_store(crc, icrc);
	EXPECT(!memcmp(icrc, v->ip + n - SODP_ICRC_LEN, SODP_ICRC_LEN));

	free(whole);
	free(lb);
	free(hb);
}

/* Every shorter frame is rejected at L3; shorter BTH buffers are handled. */
static void check_truncation(const struct view *v)
{
	const struct sodp_opcode_info *info =
		&sodp_opcode_table[v->pkt.opcode];
	u32 n = pkt_len(v), l, off, blen, hdr_len = info->hdr_len;
	struct sodp_l3 l3;
	struct sodp_pkt p;

	for (l = 0; l < n; l++) {
		u8 *c = dup_bytes(v->ip, l);

		EXPECT(sodp_l3_parse(c, l, &l3, &off, &blen) < 0);
		EXPECT(!sodp_icrc_ok(c, l));
		free(c);
	}
	/* Trailing bytes after the IP packet (Ethernet padding) are fine. */
	for (l = n + 1; l <= n + 8; l++) {
		u8 *c = xmalloc(l);

		memcpy(c, v->ip, n);
		memset(c + n, 0, l - n);
		EXPECT(sodp_l3_parse(c, l, &l3, &off, &blen) == 0 &&
		       off == v->bth_off && blen == v->bth_len);
		free(c);
	}

	for (l = 0; l < v->bth_len; l++) {
		u8 *c = dup_bytes(bth_of(v), l);
		int err = sodp_pkt_parse(c, l, &p);
		bool may_parse = (info->hdrs & SODP_HDR_PAYLOAD) && l % 4 == 0 &&
				 l >= hdr_len + SODP_ICRC_LEN + v->pkt.pad;

		if (may_parse) {
			/* Still a well-formed packet, with less payload. */
			EXPECT(err == 0 &&
			       p.payload_len == l - hdr_len -
						SODP_ICRC_LEN - v->pkt.pad);
		} else {
			EXPECT(err < 0);
		}
		free(c);
	}
	/* A longer buffer is more payload, or an error if there is none. */
	{
		u8 *c = xmalloc(v->bth_len + 4);
		int err;

		memcpy(c, bth_of(v), v->bth_len);
		memset(c + v->bth_len, 0, 4);
		err = sodp_pkt_parse(c, v->bth_len + 4, &p);
		if (info->hdrs & SODP_HDR_PAYLOAD)
			EXPECT(err == 0 &&
			       p.payload_len == v->pkt.payload_len + 4);
		else
			EXPECT_EQ(err, -EBADMSG);
		free(c);
	}
}

static int parse_copy(const u8 *bth, u32 len, struct sodp_pkt *p)
{
	u8 *c = dup_bytes(bth, len);
	int err = sodp_pkt_parse(c, len, p);

	free(c);
	return err;
}

/* Damaged transport headers of a captured packet. */
static void check_bad_bth(const struct view *v)
{
	const struct sodp_opcode_info *info =
		&sodp_opcode_table[v->pkt.opcode];
	u32 len = v->bth_len;
	u8 *c = dup_bytes(bth_of(v), len);
	struct sodp_pkt p;
	unsigned int op, tver, pad;

	for (tver = 1; tver < 16; tver++) {
		c[1] = (bth_of(v)[1] & ~0x0f) | tver;
		EXPECT_EQ(parse_copy(c, len, &p), -EINVAL);
	}
	c[1] = bth_of(v)[1];

	for (op = 0; op < 256; op++) {
		int err;

		c[0] = op;
		err = parse_copy(c, len, &p);
		if (!sodp_opcode_table[op].valid) {
			EXPECT_EQ(err, -EINVAL);
		} else if (!err) {
			/* Another opcode that happens to fit: consistent. */
			EXPECT_EQ(p.payload_off + p.payload_len + p.pad +
				  SODP_ICRC_LEN, len);
		}
	}
	c[0] = bth_of(v)[0];

	for (pad = 1; pad < 4; pad++) {
		int err;

		c[1] = (bth_of(v)[1] & ~0x30) | pad << 4;
		err = parse_copy(c, len, &p);
		if (!(info->hdrs & SODP_HDR_PAYLOAD) ||
		    !(info->flags & SODP_OPF_LAST))
			EXPECT_EQ(err, -EINVAL);
		else if (pad > v->pkt.payload_len + v->pkt.pad)
			EXPECT_EQ(err, -EBADMSG);
		else
			EXPECT(err == 0 && p.pad == pad &&
			       p.payload_len + pad ==
			       v->pkt.payload_len + v->pkt.pad);
	}
	free(c);
}

static void ipv4_fix_csum(u8 *ip)
{
	u32 sum = 0;
	int i;

	ip[10] = ip[11] = 0;
	for (i = 0; i < SODP_IPV4_HDR_LEN; i += 2)
		sum += get_unaligned_be16(ip + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put_unaligned_be16((u16)~sum, ip + 10);
}

enum l3_damage {
	D_VERSION, D_IHL, D_CSUM, D_MF, D_FRAG_OFF, D_PROTO, D_DPORT,
	D_IP_LEN_LONG, D_IP_LEN_SHORT, D_UDP_LEN_LONG, D_UDP_LEN_SHORT,
	D_UDP_LEN_TINY, D_NR
};

/* Damaged IP/UDP headers; IPv4 checksums are fixed up unless D_CSUM. */
static void check_bad_l3(const struct view *v)
{
	static const char *const names[D_NR] = {
		"version", "ihl", "csum", "mf", "frag_off", "proto", "dport",
		"ip_len_long", "ip_len_short", "udp_len_long",
		"udp_len_short", "udp_len_tiny",
	};
	u32 n = pkt_len(v), udp = v->bth_off - SODP_UDP_HDR_LEN;
	bool v6 = v->l3.ipv6;
	char saved[sizeof(where)];
	int d;

	memcpy(saved, where, sizeof(saved));
	for (d = 0; d < D_NR; d++) {
		u8 *c = dup_bytes(v->ip, n);
		u32 off, blen, iplen_at = v6 ? 4 : 2;
		struct sodp_l3 l3;
		int want = -EBADMSG, err;

		switch (d) {
		case D_VERSION:
			c[0] = (c[0] & 0x0f) | (v6 ? 0x40 : 0x60);
			/* Now a header of the other family: some check fails */
			want = 1;
			break;
		case D_IHL:
			if (v6)
				goto next;
			c[0] = 0x46;
			want = -EINVAL;
			break;
		case D_CSUM:
			if (v6)
				goto next;
			c[10] ^= 0x01;
			break;
		case D_MF:
			if (v6)
				goto next;
			c[6] |= 0x20;
			want = -EINVAL;
			break;
		case D_FRAG_OFF:
			if (v6)
				goto next;
			c[7] |= 0x01;
			want = -EINVAL;
			break;
		case D_PROTO:
			c[v6 ? 6 : 9] = 6;	/* TCP */
			want = -EINVAL;
			break;
		case D_DPORT:
			put_unaligned_be16(4790, c + udp + 2);
			want = -EINVAL;
			break;
		case D_IP_LEN_LONG:
			put_unaligned_be16(get_unaligned_be16(c + iplen_at) + 4,
					   c + iplen_at);
			break;
		case D_IP_LEN_SHORT:
			put_unaligned_be16(get_unaligned_be16(c + iplen_at) - 4,
					   c + iplen_at);
			break;
		case D_UDP_LEN_LONG:
			put_unaligned_be16(get_unaligned_be16(c + udp + 4) + 1,
					   c + udp + 4);
			break;
		case D_UDP_LEN_SHORT:
			put_unaligned_be16(get_unaligned_be16(c + udp + 4) - 4,
					   c + udp + 4);
			break;
		case D_UDP_LEN_TINY:
			/* IP and UDP agree, but no room for BTH + ICRC. */
			put_unaligned_be16(SODP_UDP_HDR_LEN + 12, c + udp + 4);
			put_unaligned_be16((v6 ? 0 : SODP_IPV4_HDR_LEN) +
					   SODP_UDP_HDR_LEN + 12,
					   c + iplen_at);
			break;
		}
		if (!v6 && d != D_CSUM)
			ipv4_fix_csum(c);
		snprintf(where, sizeof(where), "%.100s l3 damage %s", saved,
			 names[d]);
		err = sodp_l3_parse(c, n, &l3, &off, &blen);
		if (want == 1)
			EXPECT(err < 0);
		else
			EXPECT_EQ(err, want);
next:
		free(c);
	}
	memcpy(where, saved, sizeof(where));
}

static void check_packet(const struct view *v)
{
	const struct sodp_opcode_info *info;

	EXPECT(v->ok);
	if (!v->ok)
		return;
	info = &sodp_opcode_table[v->pkt.opcode];
	EXPECT_EQ(v->l2_type, v->l3.ipv6 ? 0x86dd : 0x0800);
	EXPECT(pkt_len(v) <= v->ip_len);
	EXPECT_EQ(v->pkt.payload_off, info->hdr_len);
	EXPECT_EQ(v->pkt.payload_off + v->pkt.payload_len + v->pkt.pad +
		  SODP_ICRC_LEN, v->bth_len);
	EXPECT(sodp_icrc_ok(v->ip, pkt_len(v)));

	/* What rxe puts in IP and UDP, in every capture. */
	EXPECT_EQ(v->l3.tos, 0);
	EXPECT_EQ(v->l3.ttl, 64);
	EXPECT_EQ(v->l3.flow_label, 0);
	EXPECT(v->l3.sport >= 0xc000);
	EXPECT_EQ(get_unaligned_be16(v->ip + v->bth_off - 2), 0);
	if (!v->l3.ipv6)
		EXPECT_EQ(get_unaligned_be16(v->ip + 6), 0x4000);   /* DF */
	/* rxe: no end-to-end credits, no APM, full-member default P_Key. */
	EXPECT_EQ(v->pkt.pkey, 0xffff);
	EXPECT(!v->pkt.migreq);
	EXPECT(!v->pkt.se);
	if (info->hdrs & SODP_HDR_AETH)
		EXPECT_EQ(v->pkt.syndrome,
			  SODP_AETH_ACK | SODP_AETH_CREDIT_INVALID);

	check_icrc_coverage(v);
	check_rebuild(v);
	check_truncation(v);
	check_bad_bth(v);
	check_bad_l3(v);
}

/* ---- per-capture facts -------------------------------------------------- */

struct capture {
	const char *file;
	unsigned int npkts;
	void (*facts)(const struct view *v, unsigned int n);
};

#define OPC(i)	(v[i].pkt.opcode)
#define P(i)	(v[i].pkt)

static bool same_ip4(const u8 *a, u32 addr)
{
	return get_unaligned_be32(a) == addr;
}

/* Messages of @nmsg request packets each, then one ACK per message. */
static void facts_acks(const struct view *v, unsigned int first_ack,
		       unsigned int nmsg, unsigned int per_msg,
		       unsigned int first_req)
{
	unsigned int m;

	for (m = 0; m < nmsg; m++) {
		const struct view *last = &v[first_req + m * per_msg +
					     per_msg - 1];
		const struct view *ack = &v[first_ack + m];

		EXPECT_EQ(ack->pkt.opcode, SODP_OP_ACK);
		/* Only the message's last packet asked for an ACK. */
		EXPECT_EQ(ack->pkt.psn, last->pkt.psn);
		EXPECT_EQ(ack->pkt.msn, m + 1);
		EXPECT(!ack->pkt.ackreq);
		EXPECT(!memcmp(ack->l3.saddr, last->l3.daddr, 16));
		EXPECT_EQ(ack->l3.sport, last->l3.sport);
	}
}

static void facts_send(const struct view *v, unsigned int n)
{
	static const u8 ops[] = { SODP_OP_SEND_FIRST, SODP_OP_SEND_MIDDLE,
				  SODP_OP_SEND_LAST, SODP_OP_ACK };
	static const u32 lens[] = { 1024, 1024, 952, 0 };
	u32 msn[2] = { 0, 0 };
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int k = i % 4, dir;

		EXPECT_EQ(OPC(i), ops[k]);
		EXPECT_EQ(P(i).payload_len, lens[k]);
		EXPECT_EQ(P(i).ackreq, k == 2);
		EXPECT_EQ(P(i).dqpn, 0x11);
		if (k == 1 || k == 2)
			EXPECT_EQ(P(i).psn, sodp_psn_add(P(i - 1).psn, 1));
		if (k == 3) {
			EXPECT_EQ(P(i).psn, P(i - 1).psn);
			dir = same_ip4(v[i].l3.saddr, 0x0a090001);
			EXPECT_EQ(P(i).msn, ++msn[dir]);
		}
		/* 3000 bytes = 1024 + 1024 + 952: no pad anywhere. */
		EXPECT_EQ(P(i).pad, 0);
	}
	/* One connection: both directions use the same UDP source port. */
	for (i = 1; i < n; i++)
		EXPECT_EQ(v[i].l3.sport, v[0].l3.sport);
	/* The ping-pong alternates direction message by message. */
	EXPECT(same_ip4(v[0].l3.saddr, 0x0a090001));
	EXPECT(same_ip4(v[4].l3.saddr, 0x0a090002));
	/* A's second message continues A's PSN sequence. */
	EXPECT_EQ(P(8).psn, sodp_psn_add(P(2).psn, 1));
	EXPECT_EQ(msn[0], 3);
	EXPECT_EQ(msn[1], 3);
}

static void facts_write(const struct view *v, unsigned int n)
{
	static const u8 ops[] = { SODP_OP_WRITE_FIRST, SODP_OP_WRITE_MIDDLE,
				  SODP_OP_WRITE_MIDDLE, SODP_OP_WRITE_MIDDLE,
				  SODP_OP_WRITE_LAST };
	unsigned int i;
	u32 total = 0;

	EXPECT_EQ(n, 30);
	for (i = 0; i < 25; i++) {
		unsigned int k = i % 5;

		EXPECT_EQ(OPC(i), ops[k]);
		EXPECT_EQ(P(i).payload_len, k == 4 ? 904 : 1024);
		EXPECT_EQ(P(i).ackreq, k == 4);
		if (i)	/* one PSN sequence across all five messages */
			EXPECT_EQ(P(i).psn, sodp_psn_add(P(i - 1).psn, 1));
		if (k == 0) {
			EXPECT_EQ(P(i).dma_len, 5000);
			EXPECT_EQ(P(i).rkey, 0x499);
			EXPECT_EQ(P(i).va, 0x0000564674fb1388ull);
		}
		total += P(i).payload_len;
	}
	EXPECT_EQ(P(0).psn, 0xa3f85e);
	EXPECT_EQ(total, 5 * 5000);
	facts_acks(v, 25, 5, 5, 0);
}

static void facts_read(const struct view *v, unsigned int n)
{
	static const u8 ops[] = { SODP_OP_READ_RESP_FIRST,
				  SODP_OP_READ_RESP_MIDDLE,
				  SODP_OP_READ_RESP_MIDDLE,
				  SODP_OP_READ_RESP_MIDDLE,
				  SODP_OP_READ_RESP_LAST };
	unsigned int m, k;

	EXPECT_EQ(n, 30);
	for (m = 0; m < 5; m++) {
		u32 total = 0;

		EXPECT_EQ(OPC(m), SODP_OP_READ_REQ);
		EXPECT_EQ(P(m).dma_len, 5000);
		EXPECT_EQ(P(m).rkey, 0x534);
		EXPECT_EQ(P(m).va, 0x0000555a9d38f388ull);
		EXPECT_EQ(P(m).payload_len, 0);
		EXPECT(P(m).ackreq);
		/* A read request consumes one PSN per response packet. */
		if (m)
			EXPECT_EQ(P(m).psn, sodp_psn_add(P(m - 1).psn, 5));

		for (k = 0; k < 5; k++) {
			unsigned int i = 5 + m * 5 + k;

			EXPECT_EQ(OPC(i), ops[k]);
			EXPECT_EQ(P(i).psn, sodp_psn_add(P(m).psn, k));
			EXPECT_EQ(P(i).payload_len, k == 4 ? 904 : 1024);
			EXPECT(!P(i).ackreq);
			EXPECT_EQ(v[i].l3.sport, v[m].l3.sport);
			/* AETH on first and last only, MSN = messages done. */
			if (k == 0 || k == 4)
				EXPECT_EQ(P(i).msn, m + 1);
			total += P(i).payload_len;
		}
		EXPECT_EQ(total, 5000);
	}
	EXPECT_EQ(P(0).psn, 0x9c2845);
}

static void facts_atomic(const struct view *v, unsigned int n)
{
	unsigned int i;

	EXPECT_EQ(n, 32);
	for (i = 0; i < 8; i++) {
		const struct sodp_pkt *fa = &P(i), *fack = &P(8 + i);
		const struct sodp_pkt *cs = &P(16 + i), *cack = &P(24 + i);

		EXPECT_EQ(fa->opcode, SODP_OP_FETCH_ADD);
		EXPECT_EQ(fa->compare_add, 1);	/* the addend */
		EXPECT_EQ(fa->swap, 0);		/* Compare Data, unused */
		EXPECT_EQ(fa->rkey, 0x6f3);
		EXPECT_EQ(fa->va, 0x0000561d78578000ull + 0x40 * i);
		EXPECT(fa->ackreq);
		EXPECT_EQ(fa->psn, sodp_psn_add(0x40db66, i));

		EXPECT_EQ(fack->opcode, SODP_OP_ATOMIC_ACK);
		EXPECT_EQ(fack->psn, fa->psn);
		EXPECT_EQ(v[8 + i].l3.sport, v[i].l3.sport);
		EXPECT_EQ(v[24 + i].l3.sport, v[16 + i].l3.sport);
		EXPECT_EQ(fack->msn, i + 1);
		EXPECT(!fack->ackreq);

		EXPECT_EQ(cs->opcode, SODP_OP_CMP_SWAP);
		EXPECT_EQ(cs->compare_add, 0);
		EXPECT_EQ(cs->swap, 0);
		EXPECT_EQ(cs->rkey, 0x74f);
		EXPECT_EQ(cs->va, 0x0000559208187000ull + 0x40 * i);
		EXPECT_EQ(cs->psn, sodp_psn_add(0xa33e8b, i));

		EXPECT_EQ(cack->opcode, SODP_OP_ATOMIC_ACK);
		EXPECT_EQ(cack->psn, cs->psn);
		EXPECT_EQ(cack->msn, i + 1);
	}
	/* The original values: whatever the target buffer held. */
	EXPECT_EQ(P(8).orig, 0x2a28570c410e96d4ull);
	EXPECT_EQ(P(15).orig, 0x5012908eb49f1e27ull);
	EXPECT_EQ(P(24).orig, 0x227628d630e5d8feull);
	EXPECT_EQ(P(31).orig, 0x61da9d756a8856f0ull);
}

static void facts_write_inline(const struct view *v, unsigned int n)
{
	unsigned int i;

	EXPECT_EQ(n, 10);
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(OPC(i), SODP_OP_WRITE_ONLY);
		EXPECT_EQ(P(i).dma_len, 64);
		EXPECT_EQ(P(i).payload_len, 64);
		EXPECT_EQ(P(i).rkey, 0x82d);
		EXPECT_EQ(P(i).va, 0x000055e94a3b7000ull + 0x40 * i);
		EXPECT(P(i).ackreq);
		EXPECT_EQ(P(i).psn, sodp_psn_add(0x1acf4e, i));
	}
	facts_acks(v, 5, 5, 1, 0);
}

static void facts_ipv6(const struct view *v, unsigned int n)
{
	static const u8 a[16] = { 0xfd, [15] = 1 }, b[16] = { 0xfd, [15] = 2 };
	unsigned int i;

	EXPECT_EQ(n, 15);
	for (i = 0; i < n; i++) {
		EXPECT(v[i].l3.ipv6);
		EXPECT_EQ(v[i].l3.ttl, 64);
		EXPECT_EQ(v[i].l3.flow_label, 0);
		EXPECT_EQ(v[i].bth_off, 48);
		EXPECT(!memcmp(v[i].l3.saddr, i < 10 ? a : b, 16));
		EXPECT(!memcmp(v[i].l3.daddr, i < 10 ? b : a, 16));
	}
	for (i = 0; i < 10; i += 2) {
		EXPECT_EQ(OPC(i), SODP_OP_WRITE_FIRST);
		EXPECT_EQ(P(i).dma_len, 2000);
		EXPECT_EQ(P(i).payload_len, 1024);
		EXPECT_EQ(OPC(i + 1), SODP_OP_WRITE_LAST);
		EXPECT_EQ(P(i + 1).payload_len, 976);
		EXPECT_EQ(P(i + 1).psn, sodp_psn_add(P(i).psn, 1));
		EXPECT(P(i + 1).ackreq && !P(i).ackreq);
	}
	facts_acks(v, 10, 5, 2, 0);
}

static void facts_ud(const struct view *v, unsigned int n)
{
	unsigned int i;

	EXPECT_EQ(n, 5);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(OPC(i), SODP_OP_UD_SEND_ONLY);
		EXPECT_EQ(P(i).qkey, 0x11111111);
		EXPECT_EQ(P(i).sqpn, 0x18);
		EXPECT_EQ(P(i).dqpn, 0x18);
		EXPECT_EQ(P(i).payload_len, 1000);
		EXPECT(!P(i).ackreq);
		EXPECT_EQ(P(i).psn, sodp_psn_add(0x51124c, i));
	}
}

static const struct capture captures[] = {
	{ "rc_send_ipv4_3000B.pcap", 24, facts_send },
	{ "rc_write_ipv4_5000B.pcap", 30, facts_write },
	{ "rc_read_ipv4_5000B.pcap", 30, facts_read },
	{ "rc_atomic_fadd_cswap_ipv4.pcap", 32, facts_atomic },
	{ "rc_write_inline_64B.pcap", 10, facts_write_inline },
	{ "rc_write_ipv6_2000B.pcap", 15, facts_ipv6 },
	{ "ud_send_ipv4_1000B.pcap", 5, facts_ud },
};

static unsigned int total_pkts;

static void test_capture(const char *dir, const struct capture *cap)
{
	struct pcap_file pf;
	struct view *v;
	char path[512];
	unsigned int i;

	snprintf(where, sizeof(where), "%s", cap->file);
	snprintf(path, sizeof(path), "%s/%s", dir, cap->file);
	checks++;
	if (pcap_load(path, &pf)) {
		fail(__FILE__, __LINE__, "cannot load capture");
		return;
	}
	EXPECT_EQ(pf.linktype, PCAP_LINKTYPE_ETHERNET);
	EXPECT_EQ(pf.n, cap->npkts);

	v = calloc(pf.n ? pf.n : 1, sizeof(*v));
	for (i = 0; i < pf.n; i++) {
		snprintf(where, sizeof(where), "%s #%u", cap->file, i);
		EXPECT_EQ(pf.frames[i].len, pf.frames[i].orig_len);
		decode(pf.frames[i].data, pf.frames[i].len, &v[i]);
		check_packet(&v[i]);
		total_pkts++;
	}
	snprintf(where, sizeof(where), "%s facts", cap->file);
	for (i = 0; i < pf.n; i++)
		if (!v[i].ok)
			break;
	if (i == pf.n && pf.n == cap->npkts)
		cap->facts(v, pf.n);
	else
		fail(__FILE__, __LINE__, "facts skipped: bad packets");

	free(v);
	pcap_free(&pf);
}

/* ---- synthetic packets: every opcode, both families -------------------- */

static void fill_fields(struct sodp_pkt *p, u8 op)
{
	const struct sodp_opcode_info *info = &sodp_opcode_table[op];

	memset(p, 0, sizeof(*p));
	p->opcode = op;
	p->se = rnd() & 1;
	p->migreq = rnd() & 1;
	p->pkey = rnd();
	p->dqpn = rnd() & SODP_QPN_MASK;
	p->ackreq = rnd() & 1;
	p->psn = rnd() & SODP_PSN_MASK;
	if (info->hdrs & (SODP_HDR_RETH | SODP_HDR_ATMETH)) {
		p->va = rnd();
		p->rkey = rnd();
	}
	if (info->hdrs & SODP_HDR_RETH)
		p->dma_len = rnd();
	if (info->hdrs & SODP_HDR_ATMETH) {
		p->swap = rnd();
		p->compare_add = rnd();
	}
	if (info->hdrs & SODP_HDR_AETH) {
		p->syndrome = rnd();
		p->msn = rnd() & SODP_MSN_MASK;
	}
	if (info->hdrs & SODP_HDR_ATMACK)
		p->orig = rnd();
	if (info->hdrs & SODP_HDR_IMMDT)
		p->imm = rnd();
	if (info->hdrs & SODP_HDR_IETH)
		p->inv_rkey = rnd();
	if (info->hdrs & SODP_HDR_DETH) {
		p->qkey = rnd();
		p->sqpn = rnd() & SODP_QPN_MASK;
	}
	if (info->hdrs & SODP_HDR_FETH) {
		p->flush_type = rnd() & 0xf;
		p->flush_level = rnd() & 0x3;
	}
}

static bool pkt_equal(const struct sodp_pkt *a, const struct sodp_pkt *b)
{
	return a->opcode == b->opcode && a->se == b->se &&
	       a->migreq == b->migreq && a->pad == b->pad &&
	       a->tver == b->tver && a->pkey == b->pkey &&
	       a->dqpn == b->dqpn && a->ackreq == b->ackreq &&
	       a->psn == b->psn && a->va == b->va && a->rkey == b->rkey &&
	       a->dma_len == b->dma_len && a->syndrome == b->syndrome &&
	       a->msn == b->msn && a->swap == b->swap &&
	       a->compare_add == b->compare_add && a->orig == b->orig &&
	       a->imm == b->imm && a->inv_rkey == b->inv_rkey &&
	       a->qkey == b->qkey && a->sqpn == b->sqpn &&
	       a->flush_type == b->flush_type &&
	       a->flush_level == b->flush_level &&
	       a->payload_off == b->payload_off &&
	       a->payload_len == b->payload_len;
}

static void fill_l3(struct sodp_l3 *l3, bool ipv6)
{
	unsigned int i;

	memset(l3, 0, sizeof(*l3));
	l3->ipv6 = ipv6;
	for (i = 0; i < (ipv6 ? 16u : 4u); i++) {
		l3->saddr[i] = rnd();
		l3->daddr[i] = rnd();
	}
	l3->tos = rnd();
	l3->ttl = rnd();
	if (ipv6)
		l3->flow_label = rnd() & 0xfffff;
	else
		l3->ip_id = rnd();
	l3->sport = 0xc000 | rnd();
}

static void test_synthetic(void)
{
	static const u32 any_len[] = { 0, 1, 2, 3, 4, 5, 7, 64, 1021, 4096 };
	static const u32 full_len[] = { 0, 4, 256, 1024 };
	unsigned int op, fam, li;

	for (op = 0; op < 256; op++) {
		const struct sodp_opcode_info *info = &sodp_opcode_table[op];
		bool has_pl = info->hdrs & SODP_HDR_PAYLOAD;
		bool last = info->flags & SODP_OPF_LAST;
		const u32 *lens = last ? any_len : full_len;
		unsigned int nlens = !has_pl ? 1 :
				     last ? ARRAY_SIZE(any_len) :
					    ARRAY_SIZE(full_len);

		if (!info->valid)
			continue;
		for (fam = 0; fam < 2; fam++) {
			for (li = 0; li < nlens; li++) {
				u32 plen = has_pl ? lens[li] : 0;
				struct sodp_pkt want, got;
				struct sodp_l3 l3w, l3g;
				u32 ipoff = fam ? 48 : 28, n, i, off, blen;
				u8 *buf;

				snprintf(where, sizeof(where),
					 "synthetic %s ipv%d len %u",
					 info->name, fam ? 6 : 4, plen);
				fill_fields(&want, op);
				want.pad = sodp_pad_len(plen);
				want.payload_off = info->hdr_len;
				want.payload_len = plen;
				fill_l3(&l3w, fam);
				n = ipoff + info->hdr_len + plen + want.pad +
				    SODP_ICRC_LEN;
				buf = xmalloc(n);
				EXPECT_EQ(sodp_l3_build(buf, &l3w, n - ipoff),
					  ipoff);
				EXPECT_EQ(sodp_pkt_build(buf + ipoff, &want),
					  info->hdr_len);
				for (i = ipoff + info->hdr_len;
				     i < n - SODP_ICRC_LEN; i++)
					buf[i] = i < n - SODP_ICRC_LEN -
						 want.pad ? rnd() : 0;
				sodp_icrc_set(buf, n);

				EXPECT_EQ(sodp_l3_parse(buf, n, &l3g, &off,
							&blen), 0);
				EXPECT_EQ(off, ipoff);
				EXPECT_EQ(blen, n - ipoff);
				EXPECT(!memcmp(&l3g.saddr, &l3w.saddr, 16) &&
				       !memcmp(&l3g.daddr, &l3w.daddr, 16) &&
				       l3g.tos == l3w.tos &&
				       l3g.ttl == l3w.ttl &&
				       l3g.flow_label == l3w.flow_label &&
				       l3g.ip_id == l3w.ip_id &&
				       l3g.sport == l3w.sport &&
				       l3g.ipv6 == l3w.ipv6);
				EXPECT_EQ(sodp_pkt_parse(buf + ipoff,
							 n - ipoff, &got), 0);
				EXPECT(pkt_equal(&got, &want));
				EXPECT(sodp_icrc_ok(buf, n));
				buf[n - SODP_ICRC_LEN - 1 - want.pad] ^= 0x80;
				EXPECT(!sodp_icrc_ok(buf, n));
				free(buf);
			}
		}
	}
}

/* Byte-exact layouts, written out from IBTA's header diagrams. */
static void test_layouts(void)
{
	struct sodp_pkt p;
	u8 b[64];

	snprintf(where, sizeof(where), "layout WRITE_ONLY_IMM");
	memset(&p, 0, sizeof(p));
	p.opcode = SODP_OP_WRITE_ONLY_IMM;
	p.se = true;
	p.pad = 2;
	p.pkey = 0x8001;
	p.dqpn = 0xabcdef;
	p.ackreq = true;
	p.psn = 0x123456;
	p.va = 0x0102030405060708ull;
	p.rkey = 0x11223344;
	p.dma_len = 0x00010000;
	p.imm = cpu_to_be32(0xdeadbeef);
	{
		static const u8 want[32] = {
			0x0b, 0xa0, 0x80, 0x01, 0x00, 0xab, 0xcd, 0xef,
			0x80, 0x12, 0x34, 0x56,
			1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x22, 0x33, 0x44,
			0x00, 0x01, 0x00, 0x00,
			0xde, 0xad, 0xbe, 0xef,
		};

		EXPECT_EQ(sodp_pkt_build(b, &p), 32);
		EXPECT(!memcmp(b, want, 32));
	}

	snprintf(where, sizeof(where), "layout CMP_SWAP / FETCH_ADD");
	memset(&p, 0, sizeof(p));
	p.opcode = SODP_OP_CMP_SWAP;
	p.va = 0x1000;
	p.rkey = 0x77;
	p.swap = 0xaaaaaaaaaaaaaaaaull;
	p.compare_add = 0xccccccccccccccccull;
	EXPECT_EQ(sodp_pkt_build(b, &p), 40);
	/* Swap Data first, Compare Data second. */
	EXPECT_EQ(get_unaligned_be64(b + 24), p.swap);
	EXPECT_EQ(get_unaligned_be64(b + 32), p.compare_add);
	p.opcode = SODP_OP_FETCH_ADD;
	p.swap = 0;
	EXPECT_EQ(sodp_pkt_build(b, &p), 40);
	/* The addend goes in the Swap (or Add) Data field. */
	EXPECT_EQ(get_unaligned_be64(b + 24), p.compare_add);
	EXPECT_EQ(get_unaligned_be64(b + 32), 0);

	snprintf(where, sizeof(where), "layout UD_SEND_ONLY_IMM");
	memset(&p, 0, sizeof(p));
	p.opcode = SODP_OP_UD_SEND_ONLY_IMM;
	p.dqpn = 0x01;
	p.qkey = 0x80010000;
	p.sqpn = 0x123456;
	p.imm = cpu_to_be32(0x01020304);
	{
		static const u8 want[24] = {
			0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
			0x00, 0x00, 0x00, 0x00,
			0x80, 0x01, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56,
			0x01, 0x02, 0x03, 0x04,
		};

		EXPECT_EQ(sodp_pkt_build(b, &p), 24);
		EXPECT(!memcmp(b, want, 24));
	}

	snprintf(where, sizeof(where), "layout SEND_ONLY_INV / NAK");
	memset(&p, 0, sizeof(p));
	p.opcode = SODP_OP_SEND_ONLY_INV;
	p.inv_rkey = 0xfeedf00d;
	EXPECT_EQ(sodp_pkt_build(b, &p), 16);
	EXPECT_EQ(get_unaligned_be32(b + 12), 0xfeedf00d);
	p.opcode = SODP_OP_ACK;
	p.syndrome = sodp_aeth_syndrome(SODP_AETH_NAK, SODP_NAK_INV_REQ);
	p.msn = 0x1abcdef;	/* wider than 24 bits: truncated */
	EXPECT_EQ(sodp_pkt_build(b, &p), 16);
	EXPECT_EQ(get_unaligned_be32(b + 12), 0x61abcdef);

	snprintf(where, sizeof(where), "build guards");
	memset(&p, 0, sizeof(p));
	p.opcode = 0x15;
	EXPECT_EQ(sodp_pkt_build(b, &p), 0);
	{
		struct sodp_l3 l3;

		memset(&l3, 0, sizeof(l3));
		EXPECT_EQ(sodp_l3_build(b, &l3, 0xffff), 0);
		EXPECT_EQ(sodp_l3_build(b, &l3, 0xffff - 28), 28);
		l3.ipv6 = true;
		EXPECT_EQ(sodp_l3_build(b, &l3, 64), 48);
		/* IPv6 UDP checksum 0, like rxe. */
		EXPECT_EQ(get_unaligned_be16(b + 46), 0);
	}
}

/* Hand-made transport headers at the edges of the pad and length rules. */
static void test_bad_bth_edges(void)
{
	struct sodp_pkt p, q;
	u8 b[64];
	u32 hl;

	snprintf(where, sizeof(where), "bth edges");
	memset(&p, 0, sizeof(p));
	p.opcode = SODP_OP_SEND_ONLY;
	p.dqpn = 0x123456;
	p.pad = 1;
	/* Pad but no byte for it: payload length would go negative. */
	hl = sodp_pkt_build(b, &p);
	EXPECT_EQ(parse_copy(b, hl + SODP_ICRC_LEN, &q), -EBADMSG);
	/* A zero-length SEND is fine; with 4 bytes, pad 1 leaves 3. */
	p.pad = 0;
	sodp_pkt_build(b, &p);
	EXPECT(parse_copy(b, hl + SODP_ICRC_LEN, &q) == 0 &&
	       q.payload_len == 0);
	p.pad = 1;
	sodp_pkt_build(b, &p);
	EXPECT(parse_copy(b, hl + 4 + SODP_ICRC_LEN, &q) == 0 &&
	       q.payload_len == 3 && q.pad == 1);
	/* Pad on a packet that does not end a message, or has no payload. */
	p.opcode = SODP_OP_SEND_MIDDLE;
	sodp_pkt_build(b, &p);
	EXPECT_EQ(parse_copy(b, hl + 4 + SODP_ICRC_LEN, &q), -EINVAL);
	p.opcode = SODP_OP_READ_REQ;
	hl = sodp_pkt_build(b, &p);
	EXPECT_EQ(parse_copy(b, hl + SODP_ICRC_LEN, &q), -EINVAL);
	p.pad = 0;
	hl = sodp_pkt_build(b, &p);
	EXPECT_EQ(parse_copy(b, hl + SODP_ICRC_LEN, &q), 0);
	EXPECT_EQ(parse_copy(b, hl + 4 + SODP_ICRC_LEN, &q), -EBADMSG);
	EXPECT_EQ(parse_copy(b, hl + SODP_ICRC_LEN - 4, &q), -EBADMSG);
	EXPECT_EQ(parse_copy(b, 0, &q), -EBADMSG);

	/* Reserved bits (resv8a, resv7, DETH's byte) are ignored on input. */
	memset(&p, 0, sizeof(p));
	p.opcode = SODP_OP_UD_SEND_ONLY;
	p.dqpn = 0xabcdef;
	p.psn = 0x345678;
	p.sqpn = 0x000002;
	p.qkey = 0x11111111;
	hl = sodp_pkt_build(b, &p);
	b[4] = 0xff;
	b[8] |= 0x7f;
	b[16] = 0xff;
	EXPECT(parse_copy(b, hl + SODP_ICRC_LEN, &q) == 0 &&
	       q.dqpn == 0xabcdef && q.psn == 0x345678 && !q.ackreq &&
	       q.sqpn == 2 && q.qkey == 0x11111111);
}

/* ---- fuzzing ------------------------------------------------------------ */

/* Random BTH buffers: no crash, and build() inverts a successful parse. */
static void test_fuzz_bth(void)
{
	unsigned int it;

	snprintf(where, sizeof(where), "fuzz bth");
	for (it = 0; it < 200000; it++) {
		u32 len = rnd_below(96), i;
		u8 *c = xmalloc(len);
		struct sodp_pkt p;
		u8 out[64];

		for (i = 0; i < len; i++)
			c[i] = rnd();
		if (len && (rnd() & 1))
			c[0] = rnd_below(0x18);
		if (len > 1 && (rnd() & 1))
			c[1] &= 0xf0;	/* tver 0 */
		if (sodp_pkt_parse(c, len, &p) == 0) {
			u32 hl = sodp_pkt_build(out, &p);

			EXPECT_EQ(p.payload_off + p.payload_len + p.pad +
				  SODP_ICRC_LEN, len);
			/* Fields stay within their wire widths. */
			EXPECT(p.dqpn <= SODP_QPN_MASK &&
			       p.sqpn <= SODP_QPN_MASK &&
			       p.psn <= SODP_PSN_MASK &&
			       p.msn <= SODP_MSN_MASK && p.pad <= 3 &&
			       p.tver == 0);
			/* Reserved bits are not kept: resv8a, resv7, DETH. */
			c[4] = 0;
			c[8] &= 0x80;
			if (sodp_opcode_table[c[0]].hdrs & SODP_HDR_DETH)
				c[16] = 0;
			EXPECT(hl == p.payload_off && !memcmp(out, c, hl));
		}
		free(c);
	}
}

/* Random damage to real packets: the parsers must never over-read. */
static void test_fuzz_frames(const char *dir)
{
	struct pcap_file pf;
	char path[512];
	unsigned int it;

	snprintf(where, sizeof(where), "fuzz frames");
	snprintf(path, sizeof(path), "%s/%s", dir, captures[3].file);
	if (pcap_load(path, &pf))
		return;	/* already reported by test_capture() */
	for (it = 0; it < 20000 && pf.n; it++) {
		const struct pcap_frame *fr = &pf.frames[rnd_below(pf.n)];
		u32 len = fr->len - 14, off, blen, k;
		u8 *c;
		struct sodp_l3 l3;
		struct sodp_pkt p;

		if (rnd() & 1)
			len = rnd_below(len + 1);
		c = dup_bytes(fr->data + 14, len);
		for (k = rnd_below(4); k && len; k--)
			c[rnd_below(len)] ^= 1u << rnd_below(8);
		if (sodp_l3_parse(c, len, &l3, &off, &blen) == 0) {
			EXPECT(off + blen <= len);
			if (sodp_pkt_parse(c + off, blen, &p) == 0)
				EXPECT(off + p.payload_off + p.payload_len <=
				       len);
			sodp_icrc_ok(c, off + blen);
		}
		free(c);
	}
	pcap_free(&pf);
}

int main(int argc, char **argv)
{
	unsigned int i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s <pcap directory>\n", argv[0]);
		return 2;
	}
	test_crc32();
	test_opcode_table();
	test_psn();
	test_aeth_helpers();
	for (i = 0; i < ARRAY_SIZE(captures); i++)
		test_capture(argv[1], &captures[i]);
	test_synthetic();
	test_layouts();
	test_bad_bth_edges();
	test_fuzz_bth();
	test_fuzz_frames(argv[1]);

	printf("pkt_test: %lu checks, %lu failed; %u packets from %zu captures\n",
	       checks, failures, total_pkts, ARRAY_SIZE(captures));
	return failures ? 1 : 0;
}
