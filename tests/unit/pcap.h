/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A minimal reader for classic pcap files (not pcapng), either byte order,
 * microsecond or nanosecond timestamps.  Each frame is copied into a heap
 * buffer of exactly its captured length, so that AddressSanitizer catches a
 * parser reading even one byte past the frame.
 */
#ifndef SODP_TEST_PCAP_H
#define SODP_TEST_PCAP_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_LINKTYPE_ETHERNET	1

struct pcap_frame {
	uint8_t *data;
	uint32_t len;		/* captured length */
	uint32_t orig_len;	/* length on the wire */
};

struct pcap_file {
	uint32_t linktype;
	uint32_t snaplen;
	unsigned int n;
	struct pcap_frame *frames;
};

static inline uint32_t pcap_u32(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static inline void pcap_free(struct pcap_file *pf)
{
	unsigned int i;

	for (i = 0; i < pf->n; i++)
		free(pf->frames[i].data);
	free(pf->frames);
	memset(pf, 0, sizeof(*pf));
}

/* Returns 0, or -1 with a message on stderr. */
static inline int pcap_load(const char *path, struct pcap_file *pf)
{
	uint8_t hdr[24], rec[16];
	size_t cap = 0;
	int swap;
	uint32_t magic;
	FILE *f;

	memset(pf, 0, sizeof(*pf));
	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	if (fread(hdr, 1, sizeof(hdr), f) != sizeof(hdr))
		goto err_format;
	memcpy(&magic, hdr, 4);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		swap = 0;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swap = 1;
	else
		goto err_format;
	pf->snaplen = pcap_u32(hdr + 16, swap);
	pf->linktype = pcap_u32(hdr + 20, swap) & 0xffff;

	for (;;) {
		struct pcap_frame *fr;
		size_t got = fread(rec, 1, sizeof(rec), f);

		if (got == 0 && feof(f))
			break;
		if (got != sizeof(rec))
			goto err_format;
		if (pf->n == cap) {
			void *nf;

			cap = cap ? 2 * cap : 64;
			nf = realloc(pf->frames, cap * sizeof(*pf->frames));
			if (!nf)
				goto err_format;
			pf->frames = nf;
		}
		fr = &pf->frames[pf->n];
		fr->len = pcap_u32(rec + 8, swap);
		fr->orig_len = pcap_u32(rec + 12, swap);
		if (fr->len > 262144 || fr->len > fr->orig_len)
			goto err_format;
		fr->data = malloc(fr->len ? fr->len : 1);
		if (!fr->data)
			goto err_format;
		pf->n++;
		if (fread(fr->data, 1, fr->len, f) != fr->len)
			goto err_format;
	}
	fclose(f);
	return 0;

err_format:
	fprintf(stderr, "%s: not a readable classic pcap file\n", path);
	fclose(f);
	pcap_free(pf);
	return -1;
}

#endif /* SODP_TEST_PCAP_H */
