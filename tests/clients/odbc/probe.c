/*
 * probe.c - what ODBC (unixODBC + psqlODBC) returns in the situations of
 * the guide's table 5.2: the SQLSTATE of SQLGetDiagRec().
 *
 *	probe inflight SITUATION HOST	autocommit off; INSERT; SELECT
 *					pg_sleep(60): how the statement ended
 *	probe connect SITUATION HOST	connect and SELECT 1 once
 *	probe loop SITUATION HOST STOP	connect, SELECT 1, disconnect, again,
 *					until the file STOP exists
 *
 * A DSN-less connection string names the driver's file, so no odbcinst.ini
 * is needed.  One JSON line on stdout; "ready" / "ok" / "err CODE" on
 * stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sql.h>
#include <sqlext.h>

#include "../probe_util.h"

#define DRIVER	"odbc"
#define PSQLODBC "/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so"

struct diag {
	char	 state[6];		/* of the first record; "" if none */
	char	 states[64];		/* every record's, comma-separated */
	long	 native;
	char	 msg[512];
};

static void
get_diag(SQLSMALLINT type, SQLHANDLE h, struct diag *d)
{
	SQLCHAR		 state[6], msg[512];
	SQLINTEGER	 native;
	SQLSMALLINT	 len, i;
	size_t		 n;

	memset(d, 0, sizeof(*d));
	for (i = 1; SQL_SUCCEEDED(SQLGetDiagRec(type, h, i, state, &native,
	    msg, sizeof(msg), &len)); i++) {
		n = strlen(d->states);
		snprintf(d->states + n, sizeof(d->states) - n, "%s%s",
		    n ? "," : "", (char *)state);
		if (i == 1) {
			snprintf(d->state, sizeof(d->state), "%s", state);
			snprintf(d->msg, sizeof(d->msg), "%s", msg);
			d->native = native;
		}
	}
	one_line(d->msg);
}

static void
report(const char *situation, const char *failed, const struct diag *d,
    long long t0)
{
	printf("{\"driver\":\"" DRIVER "\",\"situation\":\"%s\",", situation);
	json_str(stdout, "failed", failed);
	putchar(',');
	json_str(stdout, "sqlstate", failed ? d->state : NULL);
	putchar(',');
	json_str(stdout, "sqlstates", failed ? d->states : NULL);
	printf(",\"native_error\":%ld,", failed ? d->native : 0L);
	json_str(stdout, "message", failed ? d->msg : NULL);
	printf(",\"elapsed_ms\":%lld}\n", probe_ms() - t0);
}

/* 0, or -1 with the connection's diagnostics in d. */
static int
connect_to(SQLHENV env, SQLHDBC *dbc, const char *host, struct diag *d)
{
	char		 cs[512];
	SQLRETURN	 rc;

	snprintf(cs, sizeof(cs), "Driver=" PSQLODBC ";Server=%s;Port=5432;"
	    "Database=postgres;Uid=postgres;"
	    "pqopt={connect_timeout=2 application_name=probe-" DRIVER "}",
	    host);
	SQLAllocHandle(SQL_HANDLE_DBC, env, dbc);
	rc = SQLDriverConnect(*dbc, NULL, (SQLCHAR *)cs, SQL_NTS, NULL, 0,
	    NULL, SQL_DRIVER_NOPROMPT);
	if (SQL_SUCCEEDED(rc))
		return 0;
	get_diag(SQL_HANDLE_DBC, *dbc, d);
	SQLFreeHandle(SQL_HANDLE_DBC, *dbc);
	*dbc = SQL_NULL_HDBC;
	return -1;
}

/* Run sql on dbc; 0, or -1 with the statement's diagnostics in d. */
static int
run_sql(SQLHDBC dbc, const char *sql, struct diag *d)
{
	SQLHSTMT	 st;
	SQLRETURN	 rc;

	SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st);
	rc = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
	if (!SQL_SUCCEEDED(rc))
		get_diag(SQL_HANDLE_STMT, st, d);
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	return SQL_SUCCEEDED(rc) ? 0 : -1;
}

static SQLHENV
new_env(void)
{
	SQLHENV	 env;

	SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env);
	SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (void *)SQL_OV_ODBC3, 0);
	return env;
}

static int
run_inflight(const char *situation, const char *host)
{
	SQLHENV		 env = new_env();
	SQLHDBC		 dbc;
	struct diag	 d;
	char		 sql[256];
	long long	 t0;
	int		 r;

	if (connect_to(env, &dbc, host, &d) == -1) {
		fprintf(stderr, "connect: %s %s\n", d.state, d.msg);
		return 1;
	}
	SQLSetConnectAttr(dbc, SQL_ATTR_AUTOCOMMIT,
	    (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0);
	snprintf(sql, sizeof(sql), "INSERT INTO clients_probe (driver, "
	    "situation) VALUES ('" DRIVER "', '%s')", situation);
	if (run_sql(dbc, sql, &d) == -1) {
		fprintf(stderr, "insert: %s %s\n", d.state, d.msg);
		return 1;
	}
	fputs("ready\n", stderr);
	t0 = probe_ms();
	r = run_sql(dbc, "SELECT pg_sleep(60)", &d);
	report(situation, r == -1 ? "statement" : NULL, &d, t0);
	SQLDisconnect(dbc);
	SQLFreeHandle(SQL_HANDLE_DBC, dbc);
	SQLFreeHandle(SQL_HANDLE_ENV, env);
	return 0;
}

static int
run_connect(const char *situation, const char *host)
{
	SQLHENV		 env = new_env();
	SQLHDBC		 dbc;
	struct diag	 d;
	long long	 t0;

	t0 = probe_ms();
	if (connect_to(env, &dbc, host, &d) == -1) {
		report(situation, "connect", &d, t0);
	} else {
		report(situation, run_sql(dbc, "SELECT 1", &d) == -1 ?
		    "statement" : NULL, &d, t0);
		SQLDisconnect(dbc);
		SQLFreeHandle(SQL_HANDLE_DBC, dbc);
	}
	SQLFreeHandle(SQL_HANDLE_ENV, env);
	return 0;
}

static void
loop_once(SQLHENV env, struct tally *t, const char *host)
{
	SQLHDBC		 dbc;
	struct diag	 d;

	if (connect_to(env, &dbc, host, &d) == -1) {
		tally_fail(t, d.state[0] ? d.state : "(empty)", d.msg);
		return;
	}
	if (run_sql(dbc, "SELECT pg_sleep(0.02)", &d) == 0)
		tally_ok(t);
	else
		tally_fail(t, d.state[0] ? d.state : "(empty)", d.msg);
	SQLDisconnect(dbc);
	SQLFreeHandle(SQL_HANDLE_DBC, dbc);
}

static int
run_loop(const char *situation, const char *host, const char *stopfile)
{
	SQLHENV		 env = new_env();
	struct tally	 t;
	long long	 t0;

	memset(&t, 0, sizeof(t));
	t0 = probe_ms();
	while (!stop_requested(stopfile))
		loop_once(env, &t, host);
	printf("{\"driver\":\"" DRIVER "\",\"situation\":\"%s\"", situation);
	tally_json(stdout, &t);
	printf(",\"elapsed_ms\":%lld}\n", probe_ms() - t0);
	SQLFreeHandle(SQL_HANDLE_ENV, env);
	return 0;
}

int
main(int argc, char **argv)
{
	return probe_main(argc, argv);
}
