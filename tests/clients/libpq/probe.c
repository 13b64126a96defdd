/*
 * probe.c - what libpq (C) returns in the situations of the guide's
 * table 5.4: PQresultStatus(), PQresultErrorField(PG_DIAG_SQLSTATE) and
 * PQstatus().
 *
 *	probe inflight SITUATION HOST	BEGIN; INSERT; SELECT pg_sleep(60):
 *					report how the statement ended
 *	probe connect SITUATION HOST	connect and SELECT 1 once
 *	probe loop SITUATION HOST STOP	connect, SELECT 1, close, again,
 *					until the file STOP exists
 *
 * One JSON line on stdout; "ready" / "ok" / "err CODE" on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "../probe_util.h"

#define DRIVER	"libpq"

static const char *
conn_status_name(ConnStatusType s)
{
	return s == CONNECTION_OK ? "CONNECTION_OK" :
	    s == CONNECTION_BAD ? "CONNECTION_BAD" : "CONNECTION_OTHER";
}

static PGconn *
connect_to(const char *host)
{
	char	 conninfo[256];

	snprintf(conninfo, sizeof(conninfo), "host=%s port=5432 "
	    "dbname=postgres user=postgres connect_timeout=2 "
	    "application_name=probe-" DRIVER, host);
	return PQconnectdb(conninfo);
}

/*
 * Print the JSON line of one statement's or connection's outcome: res is
 * what PQexec() returns (the last result); first, if not NULL, the first
 * error result PQgetResult() handed out before it.
 */
static void
report(const char *situation, PGconn *conn, PGresult *res, PGresult *first,
    long long t0)
{
	char	*msg, *fmsg = NULL;

	msg = strdup(res != NULL ? PQresultErrorMessage(res) :
	    PQerrorMessage(conn));
	one_line(msg);
	printf("{\"driver\":\"" DRIVER "\",\"situation\":\"%s\",", situation);
	json_str(stdout, "result_status", res != NULL ?
	    PQresStatus(PQresultStatus(res)) : NULL);
	putchar(',');
	json_str(stdout, "sqlstate", res != NULL ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL);
	putchar(',');
	json_str(stdout, "conn_status", conn_status_name(PQstatus(conn)));
	putchar(',');
	json_str(stdout, "message", msg);
	if (first != NULL) {
		fmsg = strdup(PQresultErrorMessage(first));
		one_line(fmsg);
		putchar(',');
		json_str(stdout, "first_result_status",
		    PQresStatus(PQresultStatus(first)));
		putchar(',');
		json_str(stdout, "first_sqlstate",
		    PQresultErrorField(first, PG_DIAG_SQLSTATE));
		putchar(',');
		json_str(stdout, "first_message", fmsg);
	}
	printf(",\"elapsed_ms\":%lld}\n", probe_ms() - t0);
	free(msg);
	free(fmsg);
}

/*
 * PQexec() by hand: send, then read every result and keep the last one,
 * as PQexec() does (libpq 14 and later drop the earlier ones).  *first gets
 * the first error result if a later one followed it (caller clears).
 */
static PGresult *
exec_keep_first(PGconn *conn, const char *sql, PGresult **first)
{
	PGresult	*res, *last = NULL;

	*first = NULL;
	if (!PQsendQuery(conn, sql))
		return PQgetResult(conn);
	while ((res = PQgetResult(conn)) != NULL) {
		if (last != NULL && *first == NULL &&
		    PQresultStatus(last) == PGRES_FATAL_ERROR)
			*first = last;
		else
			PQclear(last);
		last = res;
	}
	return last;
}

static int
run_inflight(const char *situation, const char *host)
{
	PGconn		*conn;
	PGresult	*res, *first;
	char		 sql[256];
	long long	 t0;

	conn = connect_to(host);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "connect: %s", PQerrorMessage(conn));
		return 1;
	}
	snprintf(sql, sizeof(sql), "BEGIN; INSERT INTO clients_probe "
	    "(driver, situation) VALUES ('" DRIVER "', '%s')", situation);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "insert: %s", PQerrorMessage(conn));
		return 1;
	}
	PQclear(res);
	fputs("ready\n", stderr);
	t0 = probe_ms();
	res = exec_keep_first(conn, "SELECT pg_sleep(60)", &first);
	report(situation, conn, res, first, t0);
	PQclear(first);
	PQclear(res);
	PQfinish(conn);
	return 0;
}

static int
run_connect(const char *situation, const char *host)
{
	PGconn		*conn;
	PGresult	*res = NULL;
	long long	 t0;

	t0 = probe_ms();
	conn = connect_to(host);
	if (PQstatus(conn) == CONNECTION_OK)
		res = PQexec(conn, "SELECT 1");
	report(situation, conn, res, NULL, t0);
	PQclear(res);
	PQfinish(conn);
	return 0;
}

/* The code of one failed access, as table 5.4 names it. */
static void
loop_once(struct tally *t, const char *host)
{
	PGconn		*conn;
	PGresult	*res;
	char		 code[48], *msg;
	const char	*state;

	conn = connect_to(host);
	if (PQstatus(conn) != CONNECTION_OK) {
		msg = strdup(PQerrorMessage(conn));
		one_line(msg);
		tally_fail(t, "CONNECTION_BAD", msg);
		free(msg);
		PQfinish(conn);
		return;
	}
	res = PQexec(conn, "SELECT pg_sleep(0.02)");
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		tally_ok(t);
	} else {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		snprintf(code, sizeof(code), "%s/%s",
		    PQresStatus(PQresultStatus(res)), state ? state : "NULL");
		msg = strdup(PQresultErrorMessage(res));
		one_line(msg);
		tally_fail(t, code, msg);
		free(msg);
	}
	PQclear(res);
	PQfinish(conn);
}

static int
run_loop(const char *situation, const char *host, const char *stopfile)
{
	struct tally	 t;
	long long	 t0;

	memset(&t, 0, sizeof(t));
	t0 = probe_ms();
	while (!stop_requested(stopfile))
		loop_once(&t, host);
	printf("{\"driver\":\"" DRIVER "\",\"situation\":\"%s\"", situation);
	tally_json(stdout, &t);
	printf(",\"elapsed_ms\":%lld}\n", probe_ms() - t0);
	return 0;
}

int
main(int argc, char **argv)
{
	return probe_main(argc, argv);
}
