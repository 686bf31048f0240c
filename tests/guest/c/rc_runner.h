/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Running guest C tests, one child process each: see rc_runner.c. */
#ifndef SODP_RC_RUNNER_H
#define SODP_RC_RUNNER_H

#include <stdbool.h>

struct rc_env;

struct rc_test {
	const char *name;
	void (*fn)(struct rc_env *env, long arg);
	long arg;
};

enum { RC_T_PASS, RC_T_FAIL, RC_T_SKIP };

/*
 * Does NAME match one of the comma-separated fnmatch PATTERNS (or are
 * there none), and none of the PATTERNS that start with '!'?
 */
bool rc_selected(const char *name, const char *patterns);
/*
 * Run the selected tests, printing TAP and a "# N passed, N failed, N
 * skipped" line; AFTER (may be NULL) runs in each test's process after a
 * test that passed.  Return: the exit status (0, 1 on a failure, 2 if no
 * test matched).  rc_test_before, if set, runs in each test's process
 * before the test.
 */
int rc_run_tests(const char *prog, const struct rc_test *tests, int ntests,
		 const char *patterns, void (*after)(void));
extern void (*rc_test_before)(const struct rc_test *t);
/*
 * The whole main() of a test program with the common options only:
 * -d DEV [-D DEV2] [--mr KIND] [-t PATTERNS] [-l] [-v].
 */
int rc_main(const char *prog, int argc, char **argv,
	    const struct rc_test *tests, int ntests);

#endif
