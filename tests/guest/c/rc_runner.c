// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Running guest C tests: each test in its own child process with a hard
 * time limit, TAP output, and a parent that tells a failed test, a hung
 * test and a process hung in exit (the kernel tearing down what it left)
 * apart.  Used by rc_ops and odp.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rc_common.h"
#include "rc_runner.h"

bool rc_selected(const char *name, const char *patterns)
{
	char buf[1024], *tok, *save;
	bool any = false, hit = false;

	if (!patterns)
		return true;
	snprintf(buf, sizeof(buf), "%s", patterns);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (tok[0] == '!') {
			if (!fnmatch(tok + 1, name, 0))
				return false;
			continue;
		}
		any = true;
		hit |= !fnmatch(tok, name, 0);
	}
	return hit || !any;
}

static int child_result_fd = -1;
void (*rc_test_before)(const struct rc_test *t);

static void on_alarm(int sig)
{
	static const char msg[] = "Ftest exceeded its hard time limit";

	(void)sig;
	if (write(child_result_fd, msg, sizeof(msg) - 1) < 0)
		_exit(4);
	close(child_result_fd);
	_exit(3);
}

/* Where a process is: "state D in sodp_dereg_mr" (from /proc). */
static void proc_where(pid_t pid, char *buf, size_t len)
{
	char path[64], stat[512] = "", wchan[128] = "?";
	char *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r"))) {
		if (!fgets(stat, sizeof(stat), f))
			stat[0] = 0;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	if ((f = fopen(path, "r"))) {
		if (!fgets(wchan, sizeof(wchan), f))
			snprintf(wchan, sizeof(wchan), "?");
		fclose(f);
	}
	p = strrchr(stat, ')');
	snprintf(buf, len, "state %c in %s", p && p[1] && p[2] ? p[2] : '?',
		 wchan);
}

/*
 * Run one test in a child process.  The child sends "P" (passed), "F..."
 * (failed, with the reason) or "S..." (skipped) and closes the pipe before
 * it exits, so a process that then hangs in exit -- the kernel tearing
 * down the QPs, MRs and CQs it left -- is told apart from a hung test.
 */
static int run_one(const struct rc_test *t, void (*after)(void), char *why,
		   size_t len)
{
	int fds[2], status = 0, r;
	ssize_t n, got = 0;
	uint64_t end;
	char where[192];
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (pipe(fds))
		return snprintf(why, len, "pipe: %s", strerror(errno)), RC_T_FAIL;
	pid = fork();
	if (pid < 0)
		return snprintf(why, len, "fork: %s", strerror(errno)), RC_T_FAIL;
	if (!pid) {
		struct rc_env env;

		close(fds[0]);
		child_result_fd = fds[1];
		rc_set_result_fd(fds[1]);
		rc_test_name = t->name;
		if (rc_test_before)
			rc_test_before(t);
		signal(SIGALRM, on_alarm);
		alarm(rc_opts.hard_limit_s);
		rc_env_open(&env);
		t->fn(&env, t->arg);
		rc_env_close(&env);
		if (after)
			after();
		fflush(stdout);
		if (write(fds[1], "P", 1) != 1)
			_exit(5);
		close(fds[1]);
		exit(0);
	}
	close(fds[1]);
	/* the verdict, until EOF; a test stuck for good is abandoned */
	end = rc_now_ms() + (rc_opts.hard_limit_s + 10) * 1000ULL;
	while (got < (ssize_t)len - 1) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };

		r = poll(&pfd, 1, 1000);
		if (r > 0) {
			n = read(fds[0], why + got, len - 1 - got);
			if (n <= 0)
				break;
			got += n;
		} else if (rc_now_ms() > end) {
			proc_where(pid, where, sizeof(where));
			kill(pid, SIGKILL);
			close(fds[0]);
			snprintf(why, len, "no verdict after %d s, test process "
				 "%s (killed)", rc_opts.hard_limit_s + 10, where);
			return RC_T_FAIL;
		}
	}
	why[got] = 0;
	close(fds[0]);
	/* then the process must go away */
	end = rc_now_ms() + 60000;
	while (!(r = waitpid(pid, &status, WNOHANG)) && rc_now_ms() < end)
		usleep(10000);
	if (r != pid) {
		char verdict[640];

		proc_where(pid, where, sizeof(where));
		kill(pid, SIGKILL);
		snprintf(verdict, sizeof(verdict), "%.600s",
			 got && why[0] != 'P' ? why + 1 : "the test itself passed");
		snprintf(why, len, "%s; then the process did not exit within "
			 "60 s, %s (kernel teardown of its resources hangs)",
			 verdict, where);
		return RC_T_FAIL;
	}
	if (WIFSIGNALED(status)) {
		char tmp[1024];

		snprintf(tmp, sizeof(tmp), "%.900s", got ? why + 1 : "");
		snprintf(why, len, "killed by signal %d (%s)%s%.900s",
			 WTERMSIG(status), strsignal(WTERMSIG(status)),
			 got ? " after: " : "", tmp);
		return RC_T_FAIL;
	}
	if (got && why[0] == 'S' && WEXITSTATUS(status) == 0) {
		memmove(why, why + 1, got);
		return RC_T_SKIP;
	}
	if (got && why[0] == 'P' && WEXITSTATUS(status) == 0)
		return RC_T_PASS;
	if (got && why[0] == 'F') {
		memmove(why, why + 1, got);
		return RC_T_FAIL;
	}
	snprintf(why, len, "exit status %d without a verdict",
		 WEXITSTATUS(status));
	return RC_T_FAIL;
}

/*
 * The guest runner's per-test limit, SODP_TEST_TIMEOUT (300 s; the debug
 * kernel's lane sets 1200 because KASAN and lockdep under TCG run several
 * times slower), stretches this program's waits by the same factor.  They
 * are never shortened: a limit is for a stuck test, not a slow one.
 */
static void scale_limits(void)
{
	const char *env = getenv("SODP_TEST_TIMEOUT");
	long t = env ? strtol(env, NULL, 10) : 0;

	if (t <= 300 || t > 100000)
		return;
	rc_opts.timeout_ms = (int)((long long)rc_opts.timeout_ms * t / 300);
	rc_opts.hard_limit_s = (int)((long long)rc_opts.hard_limit_s * t / 300);
}

int rc_run_tests(const char *prog, const struct rc_test *tests, int ntests,
		 const char *patterns, void (*after)(void))
{
	int i, n = 0, npass = 0, nfail = 0, nskip = 0;
	char why[1024], failed[2048] = "";
	uint64_t t0;

	for (i = 0; i < ntests; i++)
		n += rc_selected(tests[i].name, patterns);
	if (!n) {
		fprintf(stderr, "%s: no test matches %s\n", prog, patterns);
		return 2;
	}
	printf("# %s on %s%s%s\n1..%d\n", prog, rc_opts.dev[0],
	       rc_opts.dev[1] ? " -> " : " (loopback)",
	       rc_opts.dev[1] ? rc_opts.dev[1] : "", n);
	scale_limits();
	t0 = rc_now_ms();
	for (i = 0, n = 0; i < ntests; i++) {
		uint64_t ts = rc_now_ms();
		int r;

		if (!rc_selected(tests[i].name, patterns))
			continue;
		n++;
		r = run_one(&tests[i], after, why, sizeof(why));
		if (r == RC_T_PASS)
			printf("ok %d - %s (%.1f s)\n", n, tests[i].name,
			       (rc_now_ms() - ts) / 1000.0);
		else if (r == RC_T_SKIP)
			printf("ok %d - %s # SKIP %s\n", n, tests[i].name, why);
		else {
			size_t used = strlen(failed);

			printf("not ok %d - %s (%.1f s): %s\n", n,
			       tests[i].name, (rc_now_ms() - ts) / 1000.0,
			       why);
			snprintf(failed + used, sizeof(failed) - used,
				 "#   %s: %.300s\n", tests[i].name, why);
		}
		npass += r == RC_T_PASS;
		nfail += r == RC_T_FAIL;
		nskip += r == RC_T_SKIP;
	}
	/*
	 * The failures again, next to the summary: a long run's output is
	 * often seen only by its tail (CI keeps the last lines), and the
	 * case that failed is the one thing that must survive that.
	 */
	if (nfail)
		printf("# failed:\n%s", failed);
	printf("# %d passed, %d failed, %d skipped in %.1f s\n", npass, nfail,
	       nskip, (rc_now_ms() - t0) / 1000.0);
	return nfail ? 1 : 0;
}

static void rc_main_usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s -d DEV [-D DEV2] [--mr KIND] [--ipv6] "
		"[-t PATTERNS] [-l] [-v]\n", prog);
}

int rc_main(const char *prog, int argc, char **argv,
	    const struct rc_test *tests, int ntests)
{
	static const struct option lopts[] = {
		{ "mr", required_argument, NULL, 'M' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *patterns = NULL;
	int c, i;

	while ((c = getopt_long(argc, argv, "d:D:t:lvh", lopts, NULL)) != -1) {
		switch (c) {
		case 'd': rc_opts.dev[0] = optarg; break;
		case 'D': rc_opts.dev[1] = optarg; break;
		case 't': patterns = optarg; break;
		case 'l':
			for (i = 0; i < ntests; i++)
				printf("%s\n", tests[i].name);
			return 0;
		case 'v': rc_opts.verbose = true; break;
		case '6': rc_opts.ipv6 = true; break;
		case 'M':
			rc_opts.mr_kind = rc_mr_kind_parse(optarg);
			if (rc_opts.mr_kind < 0) {
				rc_main_usage(stderr, prog);
				return 2;
			}
			break;
		case 'h': rc_main_usage(stdout, prog); return 0;
		default: rc_main_usage(stderr, prog); return 2;
		}
	}
	if (!rc_opts.dev[0] || optind != argc) {
		rc_main_usage(stderr, prog);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# memory: %s MRs%s\n", rc_mr_kind_name[rc_opts.mr_kind],
	       rc_opts.ipv6 ? ", IPv6 GIDs" : "");
	return rc_run_tests(prog, tests, ntests, patterns, NULL);
}
