/*
 * retry.c - the retry logic an ODBC application needs across a failover or
 * a switch (guide 5.2/5.3): on a connection error, disconnect, reconnect
 * and run the WHOLE transaction again, until a deadline; never commit
 * twice.  unixODBC with psqlODBC, DSN-less.
 *
 *	retry HOST TAG STOPFILE [DEADLINE_S]
 *
 * Commits transaction 1, 2, ... (each inserts one row (TAG, n) into
 * clients_retry) until the file STOPFILE exists, then prints one JSON line:
 * {"driver":"odbc","transactions":N,"retries":N,"codes":{...}}.
 * Exit 1 if a transaction could not commit before its deadline.
 *
 * Exactly once: each transaction first looks for its own row, so a retry
 * after a commit whose answer was lost does not insert it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sql.h>
#include <sqlext.h>

#define PSQLODBC "/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so"

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The SQLSTATE of the handle's first diagnostic record ("" if none). */
static void
sqlstate(SQLSMALLINT type, SQLHANDLE h, char state[6])
{
	SQLINTEGER	 native;
	SQLSMALLINT	 len;
	SQLCHAR		 msg[256];

	state[0] = '\0';
	SQLGetDiagRec(type, h, 1, (SQLCHAR *)state, &native, msg, sizeof(msg),
	    &len);
}

/*
 * Worth another try (table 5.2): connection errors (class 08: 08001,
 * 08S01), the server going away (57P01-57P03), and an empty SQLSTATE.
 */
static int
retryable(const char *st)
{
	return st[0] == '\0' || strncmp(st, "08", 2) == 0 ||
	    strncmp(st, "57P0", 4) == 0;
}

static SQLHDBC
connect_to(SQLHENV env, const char *host, char state[6])
{
	SQLHDBC	 dbc;
	char	 cs[512];

	snprintf(cs, sizeof(cs), "Driver=" PSQLODBC ";Server=%s;Port=5432;"
	    "Database=postgres;Uid=postgres;"
	    "pqopt={connect_timeout=2 application_name=retry-odbc}", host);
	SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc);
	if (SQL_SUCCEEDED(SQLDriverConnect(dbc, NULL, (SQLCHAR *)cs, SQL_NTS,
	    NULL, 0, NULL, SQL_DRIVER_NOPROMPT))) {
		SQLSetConnectAttr(dbc, SQL_ATTR_AUTOCOMMIT,
		    (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0);
		return dbc;
	}
	sqlstate(SQL_HANDLE_DBC, dbc, state);
	SQLFreeHandle(SQL_HANDLE_DBC, dbc);
	return SQL_NULL_HDBC;
}

/* 0 done; -1 failed with its SQLSTATE in state. */
static int
transaction(SQLHDBC dbc, const char *tag, SQLINTEGER n, char state[6])
{
	SQLHSTMT	 st;
	SQLLEN		 taglen = SQL_NTS, nlen = 0, found_len;
	SQLINTEGER	 found = 0;
	SQLRETURN	 rc;

	SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st);
	SQLBindParameter(st, 1, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 32,
	    0, (SQLPOINTER)tag, 0, &taglen);
	SQLBindParameter(st, 2, SQL_PARAM_INPUT, SQL_C_SLONG, SQL_INTEGER, 0,
	    0, &n, 0, &nlen);
	rc = SQLExecDirect(st, (SQLCHAR *)"SELECT count(*) FROM clients_retry "
	    "WHERE driver = ? AND n = ?", SQL_NTS);
	if (SQL_SUCCEEDED(rc) && SQL_SUCCEEDED(rc = SQLFetch(st)))
		rc = SQLGetData(st, 1, SQL_C_SLONG, &found, 0, &found_len);
	if (SQL_SUCCEEDED(rc))
		SQLFreeStmt(st, SQL_CLOSE);
	if (SQL_SUCCEEDED(rc) && found == 0)
		rc = SQLExecDirect(st, (SQLCHAR *)"INSERT INTO clients_retry "
		    "(driver, n) VALUES (?, ?)", SQL_NTS);
	if (!SQL_SUCCEEDED(rc)) {
		sqlstate(SQL_HANDLE_STMT, st, state);
		SQLFreeHandle(SQL_HANDLE_STMT, st);
		return -1;
	}
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	if (!SQL_SUCCEEDED(SQLEndTran(SQL_HANDLE_DBC, dbc, SQL_COMMIT))) {
		sqlstate(SQL_HANDLE_DBC, dbc, state);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	SQLHENV		 env;
	SQLHDBC		 dbc = SQL_NULL_HDBC;
	char		 code[6], names[8][6];
	int		 counts[8], ncodes = 0, i, n, pause_ms, deadline_s;
	long		 retries = 0;
	long long	 deadline;

	if (argc < 4) {
		fprintf(stderr, "usage: retry HOST TAG STOPFILE [DEADLINE_S]\n");
		return 2;
	}
	deadline_s = argc > 4 ? atoi(argv[4]) : 30;
	SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env);
	SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (void *)SQL_OV_ODBC3, 0);
	for (n = 1; access(argv[3], F_OK) != 0; n++) {
		deadline = now_ms() + deadline_s * 1000LL;
		for (pause_ms = 50;; pause_ms = pause_ms < 800 ?
		    pause_ms * 2 : 1000) {
			if (dbc == SQL_NULL_HDBC)
				dbc = connect_to(env, argv[1], code);
			if (dbc != SQL_NULL_HDBC &&
			    transaction(dbc, argv[2], n, code) == 0)
				break;
			if (!retryable(code) || now_ms() + pause_ms > deadline) {
				fprintf(stderr, "retry: transaction %d gave up "
				    "(%s)\n", n, code);
				return 1;
			}
			for (i = 0; i < ncodes && strcmp(names[i], code); i++)
				;
			if (i == ncodes && ncodes < 8) {
				snprintf(names[ncodes], 6, "%s", code);
				counts[ncodes++] = 0;
			}
			if (i < 8)
				counts[i]++;
			retries++;
			/* Drop the broken connection; a new one finds the
			 * new node. */
			if (dbc != SQL_NULL_HDBC) {
				SQLDisconnect(dbc);
				SQLFreeHandle(SQL_HANDLE_DBC, dbc);
				dbc = SQL_NULL_HDBC;
			}
			usleep(pause_ms * 1000);
		}
		usleep(20 * 1000);
	}
	if (dbc != SQL_NULL_HDBC) {
		SQLDisconnect(dbc);
		SQLFreeHandle(SQL_HANDLE_DBC, dbc);
	}
	SQLFreeHandle(SQL_HANDLE_ENV, env);
	printf("{\"driver\":\"odbc\",\"transactions\":%d,\"retries\":%ld,"
	    "\"codes\":{", n - 1, retries);
	for (i = 0; i < ncodes; i++)
		printf("%s\"%s\":%d", i ? "," : "", names[i][0] ? names[i] :
		    "(empty)", counts[i]);
	printf("}}\n");
	return 0;
}
