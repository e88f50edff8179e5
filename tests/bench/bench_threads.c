/*
 * bench_threads.c - a sampling profile of what threads are doing, from
 * /proc, without attaching to them.
 *
 *   bench_threads INTERVAL_MS SECONDS PID...
 *
 * Every INTERVAL_MS, for SECONDS or until SIGTERM/SIGINT, reads each
 * thread's scheduler state (/proc/PID/task/TID/stat: R running or
 * runnable, S sleeping, D uninterruptible I/O) and the system call it is
 * blocked in (/proc/PID/task/TID/syscall), then prints per thread the
 * share of samples in each (state, call):
 *
 *   PID/TID (comm) STATE CALL PERCENT
 *
 * For ferry and a server process this tells CPU-bound from waiting on the
 * peer (poll/recvfrom/epoll_wait on a socket), on the other thread
 * (futex), or on the disk (fdatasync, D).  Threads asleep in one call
 * in at least 98% of the samples (idle) are left out.  Needs to run as
 * root or as the threads' owner (the syscall file).
 *
 * Exit: 0, 2 usage.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_KEYS 4096

struct key {
	char id[48];	/* "pid/tid" */
	char comm[32];
	char state;
	long call;	/* -1 running, -2 unknown */
	long n;
};

static struct key keys[MAX_KEYS];
static int nkeys;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *call_name(long nr)
{
	/* x86_64 numbers of the calls a waiting thread is usually in */
	switch (nr) {
	case -1: return "(running)";
	case -2: return "?";
	case 0: return "read";
	case 1: return "write";
	case 7: return "poll";
	case 17: return "pread64";
	case 18: return "pwrite64";
	case 23: return "select";
	case 35: return "nanosleep";
	case 44: return "sendto";
	case 45: return "recvfrom";
	case 46: return "sendmsg";
	case 47: return "recvmsg";
	case 74: return "fsync";
	case 75: return "fdatasync";
	case 202: return "futex";
	case 230: return "clock_nanosleep";
	case 232: return "epoll_wait";
	case 270: return "pselect6";
	case 271: return "ppoll";
	case 281: return "epoll_pwait";
	case 296: return "pwritev";
	case 426: return "io_uring_enter";
	default: return NULL;
	}
}

static void count(const char *id, const char *comm, char state, long call)
{
	for (int i = 0; i < nkeys; i++)
		if (keys[i].state == state && keys[i].call == call &&
		    strcmp(keys[i].id, id) == 0) {
			keys[i].n++;
			return;
		}
	if (nkeys == MAX_KEYS)
		return;
	snprintf(keys[nkeys].id, sizeof(keys[0].id), "%s", id);
	snprintf(keys[nkeys].comm, sizeof(keys[0].comm), "%s", comm);
	keys[nkeys].state = state;
	keys[nkeys].call = call;
	keys[nkeys].n = 1;
	nkeys++;
}

static void sample_thread(long pid, long tid)
{
	char path[96], buf[512], comm[32] = "?", id[48];
	char state = '?';
	long call = -2;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/stat", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f)) {
		char *open = strchr(buf, '('), *close = strrchr(buf, ')');

		if (open && close && close > open) {
			size_t n = (size_t)(close - open - 1);

			if (n >= sizeof(comm))
				n = sizeof(comm) - 1;
			memcpy(comm, open + 1, n);
			comm[n] = '\0';
			if (close[1] == ' ')
				state = close[2];
		}
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/syscall", pid,
		 tid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			call = strncmp(buf, "running", 7) == 0
				       ? -1 : strtol(buf, NULL, 10);
		fclose(f);
	}
	snprintf(id, sizeof(id), "%ld/%ld", pid, tid);
	count(id, comm, state, call);
}

static int by_id_then_count(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c)
		return c;
	return (y->n > x->n) - (y->n < x->n);
}

int main(int argc, char **argv)
{
	struct timespec next, end;
	long interval_ms;

	if (argc < 4) {
		fprintf(stderr, "usage: bench_threads INTERVAL_MS SECONDS "
			"PID...\n");
		return 2;
	}
	interval_ms = atol(argv[1]);
	if (interval_ms < 1)
		interval_ms = 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	clock_gettime(CLOCK_MONOTONIC, &next);
	end = next;
	end.tv_sec += atol(argv[2]);
	while (!stop) {
		for (int a = 3; a < argc; a++) {
			long pid = strtol(argv[a], NULL, 10);
			char path[64];
			DIR *d;
			struct dirent *de;

			snprintf(path, sizeof(path), "/proc/%ld/task", pid);
			d = opendir(path);
			if (!d)
				continue;
			while ((de = readdir(d)))
				if (de->d_name[0] != '.')
					sample_thread(pid, strtol(de->d_name,
								  NULL, 10));
			closedir(d);
		}
		next.tv_nsec += interval_ms * 1000000L;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		if (next.tv_sec > end.tv_sec ||
		    (next.tv_sec == end.tv_sec && next.tv_nsec >= end.tv_nsec))
			break;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	qsort(keys, (size_t)nkeys, sizeof(keys[0]), by_id_then_count);
	for (int i = 0; i < nkeys;) {
		long total = 0;
		int j;

		for (j = i; j < nkeys && strcmp(keys[j].id, keys[i].id) == 0;
		     j++)
			total += keys[j].n;
		/* an idle thread (one sleeping call nearly always): left out */
		if (keys[i].state == 'S' &&
		    100 * keys[i].n >= 98 * total) {
			i = j;
			continue;
		}
		for (; i < j; i++) {
			const char *name = call_name(keys[i].call);
			double pct = 100.0 * (double)keys[i].n / (double)total;

			if (pct < 1.0)
				continue;
			if (name)
				printf("%-14s %-16s %c %-16s %5.1f%%\n",
				       keys[i].id, keys[i].comm, keys[i].state,
				       name, pct);
			else
				printf("%-14s %-16s %c syscall %-8ld %5.1f%%\n",
				       keys[i].id, keys[i].comm, keys[i].state,
				       keys[i].call, pct);
		}
	}
	return 0;
}
