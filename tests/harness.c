/*
 * harness.c - runs the registered tests, each in a forked child.
 */
#include "harness.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TESTS 512

static struct {
	const char *name;
	harness_fn fn;
} tests[MAX_TESTS];
static int ntests;
static char tmpdir[PATH_MAX];
static char bindir[PATH_MAX];

void harness_register(const char *name, harness_fn fn)
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "harness: too many tests\n");
		abort();
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	ntests++;
}

void harness_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	exit(1);
}

const char *harness_tmpdir(void)
{
	return tmpdir;
}

const char *harness_bindir(void)
{
	return bindir;
}

const char *harness_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v)
		harness_fail(__FILE__, __LINE__,
			     "environment variable %s is not set (run this "
			     "test through tests/run.sh, which starts the "
			     "servers)", name);
	return v;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_one(int i, int timeout_s)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	double t0 = now_s();
	int status = 0, passed;
	pid_t pid, w;

	snprintf(tmpdir, sizeof(tmpdir), "%s/ferry-test.XXXXXX", base);
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "harness: mkdtemp: %s\n", strerror(errno));
		return 0;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		/* own process group, so a timeout kills helpers too */
		setpgid(0, 0);
		alarm((unsigned)timeout_s);
		signal(SIGALRM, SIG_DFL);
		tests[i].fn();
		fflush(NULL);
		exit(0);
	}
	if (pid < 0) {
		fprintf(stderr, "harness: fork: %s\n", strerror(errno));
		return 0;
	}
	do
		w = waitpid(pid, &status, 0);
	while (w < 0 && errno == EINTR);
	kill(-pid, SIGKILL);	/* stray helpers of the test */
	passed = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (passed) {
		printf("ok   %s (%.2fs)\n", tests[i].name, now_s() - t0);
	} else if (WIFSIGNALED(status)) {
		printf("FAIL %s: killed by signal %d%s\n", tests[i].name,
		       WTERMSIG(status),
		       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
	} else {
		printf("FAIL %s\n", tests[i].name);
	}
	fflush(stdout);
	if (passed || !getenv("HARNESS_KEEP"))
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	else
		printf("     kept %s\n", tmpdir);
	return passed;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	const char *prog = strrchr(argv[0], '/');
	const char *t = getenv("HARNESS_TIMEOUT");
	int timeout_s = t ? atoi(t) : 600;
	int pass = 0, fail = 0;
	char *slash;

	snprintf(bindir, sizeof(bindir), "%s", argv[0]);
	slash = strrchr(bindir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(bindir, sizeof(bindir), ".");
	/* the test programs live in <build>/tests/<kind>/: point at <build>/tests */
	slash = strrchr(bindir, '/');
	if (slash)
		*slash = '\0';
	prog = prog ? prog + 1 : argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < ntests; i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		if (run_one(i, timeout_s > 0 ? timeout_s : 600))
			pass++;
		else
			fail++;
	}
	printf("# %s: %d passed, %d failed\n", prog, pass, fail);
	return fail ? 1 : 0;
}
