/*
 * bench_sample.c - record what a query returns, at a fixed period.
 *
 *   bench_sample DRIVER CONN QUERY INTERVAL_MS SECONDS OUTFILE
 *
 * Runs QUERY every INTERVAL_MS on one connection for SECONDS (or until
 * SIGTERM/SIGINT) and appends every row it returns to OUTFILE as one line,
 * its columns joined by '|' (NULL as empty).  profile.sh samples the wait
 * events of the server processes working for ferry or for the peer with
 * it (pg_stat_activity, information_schema.PROCESSLIST) and counts them:
 * a sampling profile of where those connections spend their time (CPU,
 * I/O, lock, or waiting for the client).
 *
 * Exit: 0 done, 2 usage or no connection.
 */
#include <signal.h>

#include "bench_db.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void put_field(FILE *out, const char *v, bool first)
{
	if (!first)
		fputc('|', out);
	for (; v && *v; v++)
		fputc(*v == '\n' || *v == '|' ? ' ' : *v, out);
}

static void sample(struct bdb *d, const char *sql, FILE *out)
{
	if (d->is_pg) {
		PGresult *r = PQexec(d->pg, sql);

		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			for (int i = 0; i < PQntuples(r); i++) {
				for (int j = 0; j < PQnfields(r); j++)
					put_field(out, PQgetisnull(r, i, j)
							       ? NULL
							       : PQgetvalue(r, i, j),
						  j == 0);
				fputc('\n', out);
			}
		PQclear(r);
		return;
	}
	if (mysql_query(d->my, sql) == 0) {
		MYSQL_RES *r = mysql_store_result(d->my);
		MYSQL_ROW row;

		if (!r)
			return;
		while ((row = mysql_fetch_row(r))) {
			for (unsigned j = 0; j < mysql_num_fields(r); j++)
				put_field(out, row[j], j == 0);
			fputc('\n', out);
		}
		mysql_free_result(r);
	}
}

int main(int argc, char **argv)
{
	struct bdb d;
	struct timespec next;
	long interval_ms;
	int64_t end;
	FILE *out;

	if (argc != 7) {
		fprintf(stderr, "usage: bench_sample pg|my CONN QUERY "
			"INTERVAL_MS SECONDS OUTFILE\n");
		return 2;
	}
	interval_ms = atol(argv[4]);
	if (interval_ms < 1)
		interval_ms = 1;
	end = bench_now_ns() + (int64_t)atoll(argv[5]) * 1000000000;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (bdb_connect(&d, argv[1], argv[2])) {
		fprintf(stderr, "bench_sample: connect: %s\n", d.err);
		return 2;
	}
	out = fopen(argv[6], "a");
	if (!out) {
		fprintf(stderr, "bench_sample: %s: %s\n", argv[6],
			strerror(errno));
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop && bench_now_ns() < end) {
		sample(&d, argv[3], out);
		next.tv_nsec += interval_ms * 1000000L;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	fclose(out);
	bdb_close(&d);
	return 0;
}
