// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * memcpy_bw: the CPU's own copy bandwidth in the guest, the yardstick for
 * same-device RDMA (issue 13: loopback ib_write_bw against memcpy of the
 * same message size).  One thread copies SIZE bytes between two buffers
 * it has already touched, back and forth, for at least a second, and
 * prints
 *
 *   result mibps=N size=SIZE copies=N
 *
 * Usage: memcpy_bw [-s SIZE] [-t SECONDS]
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t size = 65536;
	double secs = 1.0, t0, t;
	unsigned long copies = 0, sum = 0;
	unsigned char *a, *b;
	int opt;

	while ((opt = getopt(argc, argv, "s:t:")) != -1) {
		switch (opt) {
		case 's':
			size = strtoul(optarg, NULL, 0);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr, "usage: %s [-s SIZE] [-t SECONDS]\n",
				argv[0]);
			return 2;
		}
	}
	if (!size || secs <= 0) {
		fprintf(stderr, "memcpy_bw: size and time must be positive\n");
		return 2;
	}
	a = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	b = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	if (!a || !b) {
		perror("aligned_alloc");
		return 1;
	}
	memset(a, 0x5a, size);
	memset(b, 0xa5, size);
	/* Warm: the first copies fault nothing in, but fill the caches. */
	memcpy(b, a, size);
	memcpy(a, b, size);

	t0 = now_s();
	do {
		for (int i = 0; i < 64; i++) {
			if (copies++ & 1)
				memcpy(a, b, size);
			else
				memcpy(b, a, size);
		}
		/* Read what was written, so that no copy can be left out. */
		sum += a[copies % size] + b[(copies * 7) % size];
		t = now_s() - t0;
	} while (t < secs);
	printf("result mibps=%.1f size=%zu copies=%lu check=%lu\n",
	       copies * (double)size / t / (1 << 20), size, copies, sum);
	free(a);
	free(b);
	return 0;
}
