/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Minimal assertion helpers for the guest test programs. */
#ifndef SODP_TEST_CHECK_H
#define SODP_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s: ",         \
				__FILE__, __LINE__, #cond);                  \
			fprintf(stderr, __VA_ARGS__);                        \
			fprintf(stderr, " (errno %d %s)\n", errno,           \
				strerror(errno));                            \
			exit(1);                                             \
		}                                                            \
	} while (0)

#define CHECK_EQ(a, b)                                                       \
	CHECK((a) == (b), "%s = %lld, expected %lld", #a, (long long)(a),    \
	      (long long)(b))

#endif
