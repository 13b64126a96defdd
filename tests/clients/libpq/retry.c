/*
 * retry.c - the retry logic a libpq application needs across a failover
 * or a switch (guide 5.2/5.3): on a connection error, reconnect and run the
 * WHOLE transaction again, until a deadline; never commit twice.
 *
 *	retry HOST TAG STOPFILE [DEADLINE_S]
 *
 * Commits transaction 1, 2, ... (each inserts one row (TAG, n) into
 * clients_retry) until the file STOPFILE exists, then prints one JSON line:
 * {"driver":"libpq","transactions":N,"retries":N,"codes":{...}}.
 * Exit 1 if a transaction could not commit before its deadline.
 *
 * Exactly once: when the connection breaks during COMMIT, the client cannot
 * know whether the commit happened.  So each transaction first looks for
 * its own row: if an earlier attempt did commit, it is not done again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Worth another try: the connection is gone, or the server said it is
 * going away or cannot take connections now (class 08, 57P01-57P03).
 * Anything else is the application's own error.
 */
static int
retryable(PGconn *conn, const PGresult *res)
{
	const char	*st;

	if (PQstatus(conn) != CONNECTION_OK)
		return 1;
	st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return st == NULL || strncmp(st, "08", 2) == 0 ||
	    strcmp(st, "57P01") == 0 || strcmp(st, "57P02") == 0 ||
	    strcmp(st, "57P03") == 0;
}

/* Run one statement; 0 if it succeeded, else *res keeps the failure. */
static int
step(PGconn *conn, const char *sql, int nparams, const char **params,
    PGresult **res)
{
	ExecStatusType	 s;

	PQclear(*res);
	*res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	s = PQresultStatus(*res);
	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : -1;
}

/*
 * The transaction: 1 done, 0 failed (retry), -1 failed for good.
 * It either finds its row (an earlier attempt committed) or inserts it.
 */
static int
transaction(PGconn *conn, const char *tag, long n, char *code, size_t len)
{
	PGresult	*res = NULL;
	char		 num[24];
	const char	*st, *params[2] = { tag, num };
	int		 r = 1;

	snprintf(num, sizeof(num), "%ld", n);
	if (step(conn, "BEGIN", 0, NULL, &res) == -1 ||
	    step(conn, "SELECT 1 FROM clients_retry WHERE driver = $1 AND "
	    "n = $2::int", 2, params, &res) == -1 ||
	    (PQntuples(res) == 0 && step(conn, "INSERT INTO clients_retry "
	    "(driver, n) VALUES ($1, $2::int)", 2, params, &res) == -1) ||
	    step(conn, "COMMIT", 0, NULL, &res) == -1) {
		st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		snprintf(code, len, "%s", st ? st : PQstatus(conn) ==
		    CONNECTION_OK ? "none" : "CONNECTION_BAD");
		r = retryable(conn, res) ? 0 : -1;
		if (r == -1)
			fprintf(stderr, "retry: %s", PQerrorMessage(conn));
	}
	PQclear(res);
	return r;
}

struct codes {
	char	 name[8][24];
	int	 count[8], n;
};

static void
count_code(struct codes *c, const char *code)
{
	int	 i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->name[i], code) == 0) {
			c->count[i]++;
			return;
		}
	if (c->n < 8) {
		snprintf(c->name[c->n], sizeof(c->name[0]), "%s", code);
		c->count[c->n++] = 1;
	}
}

int
main(int argc, char **argv)
{
	char		 conninfo[256], code[24];
	PGconn		*conn = NULL;
	struct codes	 codes;
	long		 n, retries = 0;
	long long	 deadline;
	int		 r, pause_ms, i, deadline_s;

	if (argc < 4) {
		fprintf(stderr, "usage: retry HOST TAG STOPFILE [DEADLINE_S]\n");
		return 2;
	}
	deadline_s = argc > 4 ? atoi(argv[4]) : 30;
	snprintf(conninfo, sizeof(conninfo), "host=%s port=5432 "
	    "dbname=postgres user=postgres connect_timeout=2 "
	    "application_name=retry-libpq", argv[1]);
	memset(&codes, 0, sizeof(codes));
	for (n = 1; access(argv[3], F_OK) != 0; n++) {
		deadline = now_ms() + deadline_s * 1000LL;
		for (pause_ms = 50;; pause_ms = pause_ms < 800 ?
		    pause_ms * 2 : 1000) {
			if (conn == NULL)
				conn = PQconnectdb(conninfo);
			if (PQstatus(conn) != CONNECTION_OK) {
				snprintf(code, sizeof(code), "CONNECTION_BAD");
				r = 0;
			} else if ((r = transaction(conn, argv[2], n, code,
			    sizeof(code))) == 1)
				break;
			if (r == -1 || now_ms() + pause_ms > deadline) {
				fprintf(stderr, "retry: transaction %ld gave up"
				    " (%s)\n", n, code);
				PQfinish(conn);
				return 1;
			}
			/* Drop the connection: a new one finds the new node. */
			count_code(&codes, code);
			retries++;
			PQfinish(conn);
			conn = NULL;
			usleep(pause_ms * 1000);
		}
		usleep(20 * 1000);
	}
	PQfinish(conn);
	printf("{\"driver\":\"libpq\",\"transactions\":%ld,\"retries\":%ld,"
	    "\"codes\":{", n - 1, retries);
	for (i = 0; i < codes.n; i++)
		printf("%s\"%s\":%d", i ? "," : "", codes.name[i],
		    codes.count[i]);
	printf("}}\n");
	return 0;
}
