/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The few kernel facilities the wire-format code (sodp_pkt.c) uses, so that
 * the same source builds in the module and in the host unit tests.  In the
 * kernel this only includes the real headers; the host half supplies
 * look-alikes with the kernel's names and semantics, and is never seen by
 * kbuild.
 */
#ifndef SODP_PKT_ENV_H
#define SODP_PKT_ENV_H

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/bug.h>
#include <linux/crc32.h>
#include <linux/unaligned.h>
#include <asm/byteorder.h>

#else /* !__KERNEL__: host unit tests */

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
/*
 * __be16/32/64 from the uapi header, so that a test program may also use
 * other uapi headers (<linux/if_packet.h>, ...); without sparse they are
 * plain integers.
 */
#include <linux/types.h>

#define cpu_to_be16(x) ((__be16)htobe16(x))
#define cpu_to_be32(x) ((__be32)htobe32(x))
#define cpu_to_be64(x) ((__be64)htobe64(x))
#define be16_to_cpu(x) ((u16)be16toh(x))
#define be32_to_cpu(x) ((u32)be32toh(x))
#define be64_to_cpu(x) ((u64)be64toh(x))

/* The host has no splat to give; the condition is still evaluated. */
#define WARN_ON_ONCE(cond) (!!(cond))

/* Byte-wise, so that no alignment or aliasing assumption is made. */
static inline u16 get_unaligned_be16(const void *p)
{
	const u8 *b = p;

	return (u16)(b[0] << 8 | b[1]);
}

static inline u32 get_unaligned_be32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static inline u64 get_unaligned_be64(const void *p)
{
	const u8 *b = p;

	return (u64)get_unaligned_be32(b) << 32 | get_unaligned_be32(b + 4);
}

static inline u32 get_unaligned_le32(const void *p)
{
	const u8 *b = p;

	return (u32)b[3] << 24 | (u32)b[2] << 16 | (u32)b[1] << 8 | b[0];
}

static inline void put_unaligned_be16(u16 v, void *p)
{
	u8 *b = p;

	b[0] = v >> 8;
	b[1] = v;
}

static inline void put_unaligned_be32(u32 v, void *p)
{
	u8 *b = p;

	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

static inline void put_unaligned_be64(u64 v, void *p)
{
	u8 *b = p;

	put_unaligned_be32(v >> 32, b);
	put_unaligned_be32((u32)v, b + 4);
}

static inline void put_unaligned_le32(u32 v, void *p)
{
	u8 *b = p;

	b[0] = v;
	b[1] = v >> 8;
	b[2] = v >> 16;
	b[3] = v >> 24;
}

/*
 * The kernel's crc32_le(): reflected IEEE 802.3 polynomial, no inversion on
 * entry or exit (callers pass ~0 and invert the result themselves).  A
 * nibble table keeps it short; speed does not matter on the host.
 */
static inline u32 crc32_le(u32 crc, const void *p, size_t len)
{
	static const u32 nib[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
		0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	const u8 *b = p;

	while (len--) {
		crc ^= *b++;
		crc = (crc >> 4) ^ nib[crc & 15];
		crc = (crc >> 4) ^ nib[crc & 15];
	}
	return crc;
}

#endif /* __KERNEL__ */

#endif /* SODP_PKT_ENV_H */
