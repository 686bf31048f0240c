// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mpi_ring: a token and a payload go around the ranks, and every rank
 * checks every byte it receives.  Then one-sided: each rank puts a block
 * into its right neighbour's window and reads its left neighbour's back.
 * Run with the UCX PML (mpirun --mca pml ucx) over sodp: the ring's
 * messages go eager and rendezvous (sizes from 8 bytes to 4 MiB), which
 * UCX turns into RDMA SENDs, WRITEs and READs.
 *
 *   mpi_ring [ROUNDS]
 *
 * Prints "mpi_ring: ok" on rank 0 and exits 0, or names the first wrong
 * byte and exits 1.
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t pat(int round, size_t len, size_t i)
{
	return (uint8_t)(i * 131 + len * 7 + round * 29 + 1);
}

static int check(const uint8_t *buf, size_t len, int round, int rank,
		 const char *what)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] != pat(round, len, i)) {
			fprintf(stderr, "mpi_ring: rank %d, %s of %zu bytes, "
				"round %d: byte %zu is 0x%02x, not 0x%02x\n",
				rank, what, len, round, i, buf[i],
				pat(round, len, i));
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 8, 4096, 65536, 1 << 20, 4 << 20 };
	const size_t win_len = 1 << 20;
	int rounds = argc > 1 ? atoi(argv[1]) : 3;
	int rank, nranks, right, left, bad = 0, round;
	uint8_t *buf, *win_mem;
	MPI_Win win;
	size_t s, i;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &nranks);
	right = (rank + 1) % nranks;
	left = (rank + nranks - 1) % nranks;
	buf = malloc(4 << 20);
	if (!buf)
		MPI_Abort(MPI_COMM_WORLD, 2);

	/* Two-sided: rank 0 starts each message, the others pass it on. */
	for (round = 0; round < rounds; round++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t len = sizes[s];

			if (rank == 0) {
				for (i = 0; i < len; i++)
					buf[i] = pat(round, len, i);
				MPI_Send(buf, len, MPI_BYTE, right, 1,
					 MPI_COMM_WORLD);
				memset(buf, 0, len);
				MPI_Recv(buf, len, MPI_BYTE, left, 1,
					 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			} else {
				memset(buf, 0, len);
				MPI_Recv(buf, len, MPI_BYTE, left, 1,
					 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
				bad |= check(buf, len, round, rank, "message");
				MPI_Send(buf, len, MPI_BYTE, right, 1,
					 MPI_COMM_WORLD);
			}
			if (rank == 0)
				bad |= check(buf, len, round, rank,
					     "message back");
		}
	}

	/* One-sided: put into the right neighbour, get from the left. */
	MPI_Win_allocate(win_len, 1, MPI_INFO_NULL, MPI_COMM_WORLD, &win_mem,
			 &win);
	memset(win_mem, 0, win_len);
	for (i = 0; i < win_len; i++)
		buf[i] = pat(rank, win_len, i);
	MPI_Win_fence(0, win);
	MPI_Put(buf, win_len, MPI_BYTE, right, 0, win_len, MPI_BYTE, win);
	MPI_Win_fence(0, win);
	bad |= check(win_mem, win_len, left, rank, "MPI_Put target");
	memset(buf, 0, win_len);
	MPI_Get(buf, win_len, MPI_BYTE, left, 0, win_len, MPI_BYTE, win);
	MPI_Win_fence(0, win);
	/* The left neighbour's window holds what its own left put. */
	bad |= check(buf, win_len, (left + nranks - 1) % nranks, rank,
		     "MPI_Get result");
	MPI_Win_free(&win);

	MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	if (rank == 0)
		printf("mpi_ring: %s (%d ranks, %d rounds)\n",
		       bad ? "FAILED" : "ok", nranks, rounds);
	free(buf);
	MPI_Finalize();
	return bad;
}
