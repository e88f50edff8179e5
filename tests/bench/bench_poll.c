/*
 * bench_poll.c - sample one integer on a database at a fixed period.
 *
 *   bench_poll DRIVER CONN QUERY UNTIL INTERVAL_MS TIMEOUT_S OUTFILE [PID]
 *
 * Runs QUERY (its first column of the first row as an integer; NULL or no
 * row = 0, an error = -1, e.g. a table that does not exist yet) every
 * INTERVAL_MS on one connection, until the value is >= UNTIL.  OUTFILE
 * gets one line per sample whose value differs from the previous one:
 *
 *   T_PREV T_CUR VALUE
 *
 * T_CUR is the wall clock (ns) just before this sample's query was sent,
 * T_PREV that of the sample before it (the value changed somewhere in
 * between).  The first line is written and flushed as soon as the first
 * sample is in, so a caller can wait for it before it starts the work it
 * measures.  On success stdout gets "T_CUR VALUE" of the sample that
 * reached UNTIL.
 *
 * Exit: 0 reached, 1 TIMEOUT_S passed, 3 process PID went away first
 * (e.g. the daemon under test died), 2 usage or no connection.
 */
#include "bench_db.h"

static bool pid_alive(long pid)
{
	char path[64], st = 0;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	/* "pid (comm) S ...": a zombie has exited */
	n = fscanf(f, "%*d (%*[^)]) %c", &st);
	fclose(f);
	return n == 1 && st != 'Z';
}

static void sleep_until(struct timespec *next, long interval_ms)
{
	struct timespec now;

	next->tv_nsec += interval_ms * 1000000L;
	while (next->tv_nsec >= 1000000000L) {
		next->tv_nsec -= 1000000000L;
		next->tv_sec++;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > next->tv_sec ||
	    (now.tv_sec == next->tv_sec && now.tv_nsec >= next->tv_nsec)) {
		*next = now;	/* behind: no burst to catch up */
		return;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) ==
	       EINTR)
		;
}

int main(int argc, char **argv)
{
	struct bdb d;
	long long until;
	long interval_ms, watch = 0;
	int64_t deadline, prev_t = 0, last_val = INT64_MIN;
	struct timespec next;
	FILE *out;

	if (argc != 8 && argc != 9) {
		fprintf(stderr, "usage: bench_poll pg|my CONN QUERY UNTIL "
			"INTERVAL_MS TIMEOUT_S OUTFILE [PID]\n");
		return 2;
	}
	until = atoll(argv[4]);
	interval_ms = atol(argv[5]);
	if (interval_ms < 1)
		interval_ms = 1;
	deadline = bench_now_ns() + (int64_t)atoll(argv[6]) * 1000000000;
	if (argc == 9)
		watch = atol(argv[8]);
	if (bdb_connect(&d, argv[1], argv[2])) {
		fprintf(stderr, "bench_poll: connect: %s\n", d.err);
		return 2;
	}
	out = fopen(argv[7], "w");
	if (!out) {
		fprintf(stderr, "bench_poll: %s: %s\n", argv[7],
			strerror(errno));
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		int64_t t = bench_now_ns(), v;

		if (bdb_query(&d, argv[3], &v)) {
			v = -1;
			if (!bdb_ok(&d)) {
				char drv[3] = { d.is_pg ? 'p' : 'm',
						d.is_pg ? 'g' : 'y', 0 };

				bdb_close(&d);
				if (bdb_connect(&d, drv, argv[2]))
					fprintf(stderr, "bench_poll: "
						"reconnect: %s\n", d.err);
			}
		}
		if (v != last_val) {
			fprintf(out, "%" PRId64 " %" PRId64 " %" PRId64 "\n",
				prev_t ? prev_t : t, t, v);
			fflush(out);
			last_val = v;
		}
		prev_t = t;
		if (v >= until) {
			printf("%" PRId64 " %" PRId64 "\n", t, v);
			break;
		}
		if (t > deadline) {
			fprintf(stderr, "bench_poll: timed out at value %"
				PRId64 " (want %lld): %s\n", v, until,
				argv[3]);
			fclose(out);
			return 1;
		}
		if (watch && !pid_alive(watch)) {
			fprintf(stderr, "bench_poll: process %ld is gone "
				"(value %" PRId64 ", want %lld)\n", watch, v,
				until);
			fclose(out);
			return 3;
		}
		sleep_until(&next, interval_ms);
	}
	fclose(out);
	bdb_close(&d);
	return 0;
}
