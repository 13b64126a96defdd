/*
 * writer.c - pgha-writer: the lab's probe of what a client sees.
 *
 * It commits one row at a fixed interval through the access point, in
 * autocommit, and logs every outcome, so that a test can tell how long the
 * service was unavailable (the longest gap between two acknowledged
 * commits) and whether any acknowledged commit was lost by a failover.
 *
 * Log (one line per outcome, nothing else):
 *	<wall ms> ok <id> <monotonic ms>
 *	<wall ms> err <SQLSTATE|CONN> <message on one line>
 * A connection attempt is given up after -a ms (default 250; 0: libpq's
 * blocking connect with connect_timeout=2) and retried at the next tick.
 * Ids grow by one per attempt, also for failed ones: after an error the
 * fate of that row is unknown, and the next row must not collide with it.
 *
 * Report (stdout, key=value per line) at the end of a run or with --verify:
 *	acked lost longest_gap_ms gap_start gap_end errors sqlstates
 * Exit: 0 nothing lost, 1 acknowledged rows are missing, 3 the table could
 * not be read, 2 usage.
 */
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "util.h"

#define VERIFY_CONNECT_S	20	/* the final check retries so long */
#define CODE_LEN		16

struct rec {
	uint64_t	wall;
	uint64_t	mono;		/* 0 if the log had none */
	int64_t		id;		/* ok only */
	int		ok;
	char		code[CODE_LEN];	/* err only */
};

struct run {
	const char	*conninfo;
	const char	*table;
	const char	*logpath;
	const char	*writer;
	uint32_t	 interval_ms;
	uint32_t	 attempt_ms;	/* connection attempt deadline, 0: none */
	uint32_t	 duration_s;	/* 0: until a signal */
	FILE		*log;
	PGconn		*conn;
	struct rec	*recs;
	size_t		 nrecs, caprecs;
};

static volatile sig_atomic_t stop_requested;

/*
 * A server that shuts down sends FATAL 57P01 to idle sessions; libpq hands
 * such an unsolicited error to the notice receiver, and the next statement
 * then fails as a plain lost connection.  What a client learns is that
 * SQLSTATE, so keep it for the failure that follows.
 */
static char pending_code[CODE_LEN];

static void
on_signal(int sig)
{
	stop_requested = 1;
}

static void
rec_add(struct run *r, const struct rec *rec)
{
	if (r->nrecs == r->caprecs) {
		r->caprecs = r->caprecs ? r->caprecs * 2 : 1024;
		r->recs = xreallocarray(r->recs, r->caprecs, sizeof(*rec));
	}
	r->recs[r->nrecs++] = *rec;
}

/* libpq messages span lines; the log wants one line per outcome. */
static void
one_line(const char *in, char *out, size_t len)
{
	size_t	i;

	for (i = 0; in != NULL && in[i] != '\0' && i + 1 < len; i++)
		out[i] = (in[i] == '\n' || in[i] == '\r') ? ' ' : in[i];
	out[i] = '\0';
	while (i > 0 && out[i - 1] == ' ')
		out[--i] = '\0';
}

static void
log_err(struct run *r, const char *code, const char *msg)
{
	struct rec	rec;
	char		line[512];

	memset(&rec, 0, sizeof(rec));
	rec.wall = wall_ms();
	rec.mono = now_ms();
	snprintf(rec.code, sizeof(rec.code), "%s", code);
	rec_add(r, &rec);
	one_line(msg, line, sizeof(line));
	fprintf(r->log, "%" PRIu64 " err %s %s\n", rec.wall, rec.code, line);
	fflush(r->log);
}

static void
log_ok(struct run *r, int64_t id)
{
	struct rec	rec;

	memset(&rec, 0, sizeof(rec));
	rec.mono = now_ms();
	rec.wall = wall_ms();
	rec.id = id;
	rec.ok = 1;
	rec_add(r, &rec);
	fprintf(r->log, "%" PRIu64 " ok %" PRId64 " %" PRIu64 "\n", rec.wall,
	    id, rec.mono);
	fflush(r->log);
}

static void
notice_receiver(void *arg, const PGresult *res)
{
	const char	*sev, *state;

	sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (sev != NULL && state != NULL && (strcmp(sev, "FATAL") == 0 ||
	    strcmp(sev, "PANIC") == 0))
		snprintf(pending_code, sizeof(pending_code), "%s", state);
}

/*
 * connect_timeout=2 unless the caller's conninfo says otherwise.  With
 * attempt_ms, a connection attempt that has not completed in that time is
 * given up and the next one starts at the next tick: a SYN sent to the
 * dead owner of the access point would otherwise wait for the kernel's
 * retransmission (1 s, then 2 s, ...) after the address has moved.
 */
static PGconn *
connect_db(const char *conninfo, uint32_t attempt_ms)
{
	const char		*keys[] = { "connect_timeout", "dbname", NULL };
	const char		*vals[] = { "2", conninfo, NULL };
	PGconn			*conn;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	uint64_t		 until = now_ms() + attempt_ms;
	struct pollfd		 pfd;

	pending_code[0] = '\0';
	if (attempt_ms == 0)
		conn = PQconnectdbParams(keys, vals, 1);
	else if ((conn = PQconnectStartParams(keys, vals, 1)) != NULL &&
	    PQstatus(conn) != CONNECTION_BAD) {
		while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
			uint64_t now = now_ms();

			pfd.fd = PQsocket(conn);
			pfd.events = st == PGRES_POLLING_READING ? POLLIN :
			    POLLOUT;
			if (now >= until || poll(&pfd, 1,
			    (int)(until - now)) == 0) {
				PQfinish(conn);
				return NULL;	/* gave up this attempt */
			}
			st = PQconnectPoll(conn);
		}
	}
	if (conn != NULL) {
		PQsetNoticeReceiver(conn, notice_receiver, NULL);
		PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
	}
	return conn;
}

/*
 * When the server's FATAL is followed by the connection closing, libpq 15
 * builds the failed result from its message text alone and the SQLSTATE
 * field is lost; in verbose mode the text still carries it:
 * "FATAL:  57P01: terminating connection ...".
 */
static int
sqlstate_in_text(const char *msg, char code[CODE_LEN])
{
	static const char	*sev[] = {
		"FATAL:  ", "PANIC:  ", "ERROR:  "
	};
	const char		*p;
	size_t			 i, j;

	for (i = 0; i < nitems(sev); i++) {
		if ((p = strstr(msg, sev[i])) == NULL)
			continue;
		p += strlen(sev[i]);
		for (j = 0; j < 5; j++)
			if (!((p[j] >= '0' && p[j] <= '9') ||
			    (p[j] >= 'A' && p[j] <= 'Z')))
				break;
		if (j == 5 && p[5] == ':') {
			memcpy(code, p, 5);
			code[5] = '\0';
			return 1;
		}
	}
	return 0;
}

/* Run sql; on failure fill code (SQLSTATE or CONN) and return NULL. */
static PGresult *
exec_sql(PGconn *conn, const char *sql, int nparams, const char **params,
    char code[CODE_LEN])
{
	PGresult	*res;
	const char	*state;
	char		 text_code[CODE_LEN];

	res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (res != NULL && (PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK))
		return res;
	state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (state == NULL && pending_code[0] != '\0')
		state = pending_code;
	if (state == NULL && sqlstate_in_text(PQerrorMessage(conn),
	    text_code))
		state = text_code;
	snprintf(code, CODE_LEN, "%s", state ? state : "CONN");
	PQclear(res);
	return NULL;
}

/* The quoted table name, or NULL (caller frees with PQfreemem). */
static char *
quoted_table(PGconn *conn, const char *table)
{
	return PQescapeIdentifier(conn, table, strlen(table));
}

/* Create the table if needed; the next id after any earlier run's rows. */
static int
prepare_table(struct run *r, int64_t *next_id)
{
	PGresult	*res;
	char		*qt, *sql;
	char		 code[CODE_LEN];

	if ((qt = quoted_table(r->conn, r->table)) == NULL)
		return -1;
	sql = xasprintf("CREATE TABLE IF NOT EXISTS %s (id bigint PRIMARY "
	    "KEY, at timestamptz NOT NULL DEFAULT now(), writer text)", qt);
	res = exec_sql(r->conn, sql, 0, NULL, code);
	free(sql);
	if (res == NULL) {
		log_err(r, code, PQerrorMessage(r->conn));
		PQfreemem(qt);
		return -1;
	}
	PQclear(res);
	sql = xasprintf("SELECT coalesce(max(id), 0) + 1 FROM %s", qt);
	PQfreemem(qt);
	res = exec_sql(r->conn, sql, 0, NULL, code);
	free(sql);
	if (res == NULL) {
		log_err(r, code, PQerrorMessage(r->conn));
		return -1;
	}
	if (*next_id < strtoll(PQgetvalue(res, 0, 0), NULL, 10))
		*next_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

static void
drop_conn(struct run *r)
{
	PQfinish(r->conn);
	r->conn = NULL;
}

/* One attempt: connect if needed, then insert row id. */
static void
attempt(struct run *r, int64_t *next_id)
{
	PGresult	*res;
	const char	*params[2];
	char		 idbuf[32], code[CODE_LEN], *qt, *sql;

	if (r->conn == NULL) {
		r->conn = connect_db(r->conninfo, r->attempt_ms);
		if (r->conn == NULL) {
			char msg[64];

			snprintf(msg, sizeof(msg), "connection attempt given "
			    "up after %u ms", r->attempt_ms);
			log_err(r, "CONN", msg);
			return;
		}
		if (PQstatus(r->conn) != CONNECTION_OK) {
			log_err(r, "CONN", PQerrorMessage(r->conn));
			drop_conn(r);
			return;
		}
		if (prepare_table(r, next_id) == -1) {
			drop_conn(r);
			return;
		}
	}
	if ((qt = quoted_table(r->conn, r->table)) == NULL) {
		log_err(r, "CONN", PQerrorMessage(r->conn));
		drop_conn(r);
		return;
	}
	sql = xasprintf("INSERT INTO %s (id, writer) VALUES ($1, $2)", qt);
	PQfreemem(qt);
	snprintf(idbuf, sizeof(idbuf), "%" PRId64, *next_id);
	params[0] = idbuf;
	params[1] = r->writer;
	res = exec_sql(r->conn, sql, 2, params, code);
	free(sql);
	if (res == NULL) {
		log_err(r, code, PQerrorMessage(r->conn));
		drop_conn(r);
	} else {
		log_ok(r, *next_id);
		PQclear(res);
	}
	(*next_id)++;
}

static void
sleep_until(uint64_t mono_ms)
{
	struct timespec	ts;

	ts.tv_sec = mono_ms / 1000;
	ts.tv_nsec = (mono_ms % 1000) * 1000000;
	/* EINTR: a stop signal; the loop checks for it. */
	(void)clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static void
write_loop(struct run *r)
{
	uint64_t	start, next, end;
	int64_t		next_id = 1;

	start = next = now_ms();
	end = r->duration_s ? start + (uint64_t)r->duration_s * 1000 : 0;
	while (!stop_requested && (end == 0 || now_ms() < end)) {
		attempt(r, &next_id);
		next += r->interval_ms;
		/* Behind schedule (a slow commit): no burst to catch up. */
		if (next < now_ms())
			next = now_ms() + r->interval_ms;
		if (!stop_requested)
			sleep_until(next);
	}
	if (r->conn != NULL)
		drop_conn(r);
}

static int
parse_line(const char *line, struct rec *rec)
{
	char		word[16], code[CODE_LEN];
	uint64_t	wall, mono = 0;
	int64_t		id;
	int		n;

	memset(rec, 0, sizeof(*rec));
	if (sscanf(line, "%" SCNu64 " %15s", &wall, word) != 2)
		return -1;
	rec->wall = wall;
	if (strcmp(word, "ok") == 0) {
		n = sscanf(line, "%*u ok %" SCNd64 " %" SCNu64, &id, &mono);
		if (n < 1)
			return -1;
		rec->ok = 1;
		rec->id = id;
		rec->mono = n == 2 ? mono : 0;
		return 0;
	}
	if (strcmp(word, "err") == 0 &&
	    sscanf(line, "%*u err %15s", code) == 1) {
		snprintf(rec->code, sizeof(rec->code), "%s", code);
		return 0;
	}
	return -1;
}

static void
read_log(struct run *r)
{
	FILE		*f;
	char		*line = NULL;
	size_t		 cap = 0;
	struct rec	 rec;
	int		 lineno = 0;

	if ((f = fopen(r->logpath, "r")) == NULL)
		err(3, "%s", r->logpath);
	while (getline(&line, &cap, f) != -1) {
		lineno++;
		if (parse_line(line, &rec) == -1)
			errx(3, "%s:%d: not a writer log line", r->logpath,
			    lineno);
		rec_add(r, &rec);
	}
	free(line);
	fclose(f);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* All ids in the table, sorted; -1 if it cannot be read in time. */
static int
read_ids(struct run *r, int64_t **ids, size_t *nids)
{
	PGresult	*res = NULL;
	PGconn		*conn;
	uint64_t	 deadline = now_ms() + VERIFY_CONNECT_S * 1000;
	char		*qt, *sql, code[CODE_LEN];
	int		 i;

	for (;;) {
		conn = connect_db(r->conninfo, 0);
		if (PQstatus(conn) == CONNECTION_OK &&
		    (qt = quoted_table(conn, r->table)) != NULL) {
			sql = xasprintf("SELECT id FROM %s", qt);
			PQfreemem(qt);
			res = exec_sql(conn, sql, 0, NULL, code);
			free(sql);
			if (res != NULL)
				break;
		}
		fprintf(stderr, "pgha-writer: verify: %s",
		    PQerrorMessage(conn));
		PQfinish(conn);
		if (now_ms() >= deadline)
			return -1;
		sleep_until(now_ms() + 200);
	}
	*nids = PQntuples(res);
	*ids = xcalloc(*nids ? *nids : 1, sizeof(**ids));
	for (i = 0; i < PQntuples(res); i++)
		(*ids)[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
	qsort(*ids, *nids, sizeof(**ids), cmp_i64);
	PQclear(res);
	PQfinish(conn);
	return 0;
}

/* "57P01:3,CONN:5" in order of first appearance. */
static void
print_sqlstates(const struct run *r)
{
	char	(*codes)[CODE_LEN];
	size_t	*counts, ncodes = 0, i, j;

	codes = xcalloc(r->nrecs + 1, sizeof(*codes));
	counts = xcalloc(r->nrecs + 1, sizeof(*counts));
	for (i = 0; i < r->nrecs; i++) {
		if (r->recs[i].ok)
			continue;
		for (j = 0; j < ncodes; j++)
			if (strcmp(codes[j], r->recs[i].code) == 0)
				break;
		if (j == ncodes)
			memcpy(codes[ncodes++], r->recs[i].code, CODE_LEN);
		counts[j]++;
	}
	printf("sqlstates=");
	for (j = 0; j < ncodes; j++)
		printf("%s%s:%zu", j ? "," : "", codes[j], counts[j]);
	printf("\n");
	free(codes);
	free(counts);
}

static void
print_gap(const struct run *r, size_t *acked, size_t *errors)
{
	const struct rec	*prev = NULL, *p;
	uint64_t		 gap, best = 0, best_start = 0, best_end = 0;
	size_t			 i;

	*acked = *errors = 0;
	for (i = 0; i < r->nrecs; i++) {
		p = &r->recs[i];
		if (!p->ok) {
			(*errors)++;
			continue;
		}
		(*acked)++;
		if (prev != NULL) {
			/* Monotonic when the log has it: wall time may step. */
			gap = p->mono && prev->mono ? p->mono - prev->mono :
			    p->wall - prev->wall;
			if (gap > best) {
				best = gap;
				best_start = prev->wall;
				best_end = p->wall;
			}
		}
		prev = p;
	}
	printf("acked=%zu\n", *acked);
	printf("longest_gap_ms=%" PRIu64 "\ngap_start=%" PRIu64 "\n"
	    "gap_end=%" PRIu64 "\n", best, best_start, best_end);
}

static int
report(struct run *r)
{
	int64_t	*ids = NULL;
	size_t	 nids = 0, acked, errors, lost = 0, i;
	int	 readable;

	print_gap(r, &acked, &errors);
	readable = read_ids(r, &ids, &nids) == 0;
	for (i = 0; readable && i < r->nrecs; i++)
		if (r->recs[i].ok && bsearch(&r->recs[i].id, ids, nids,
		    sizeof(*ids), cmp_i64) == NULL)
			lost++;
	if (readable)
		printf("lost=%zu\nrows=%zu\n", lost, nids);
	else
		printf("lost=unknown\n");
	printf("errors=%zu\n", errors);
	print_sqlstates(r);
	free(ids);
	if (!readable)
		return 3;
	return lost ? 1 : 0;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: pgha-writer -c CONNINFO [-i INTERVAL_MS] "
	    "[-a ATTEMPT_MS] "
	    "[-d DURATION_S] [-o LOG] [-t TABLE] [-w NAME]\n"
	    "       pgha-writer --verify -c CONNINFO -o LOG [-t TABLE]\n");
	exit(2);
}

static uint32_t
num_arg(const char *s, uint32_t min, uint32_t max)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < min || v > max)
		errx(2, "bad number: %s (%u..%u)", s, min, max);
	return v;
}

static int
parse_args(int argc, char *argv[], struct run *r)
{
	static const struct option longopts[] = {
		{ "verify", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int	c, verify = 0;

	while ((c = getopt_long(argc, argv, "a:c:i:d:o:t:w:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'a': r->attempt_ms = num_arg(optarg, 0, 60000); break;
		case 'c': r->conninfo = optarg; break;
		case 'i': r->interval_ms = num_arg(optarg, 1, 60000); break;
		case 'd': r->duration_s = num_arg(optarg, 0, 86400 * 7); break;
		case 'o': r->logpath = optarg; break;
		case 't': r->table = optarg; break;
		case 'w': r->writer = optarg; break;
		case 'V': verify = 1; break;
		default: usage();
		}
	}
	if (optind != argc || r->conninfo == NULL ||
	    (verify && r->logpath == NULL))
		usage();
	return verify;
}

int
main(int argc, char *argv[])
{
	struct run		r;
	struct sigaction	sa;
	char			name[64];

	memset(&r, 0, sizeof(r));
	r.interval_ms = 10;
	r.attempt_ms = 250;
	r.table = "pgha_writer";
	if (parse_args(argc, argv, &r)) {
		int rc;

		read_log(&r);
		rc = report(&r);
		free(r.recs);
		return rc;
	}
	snprintf(name, sizeof(name), "pgha-writer:%d", (int)getpid());
	if (r.writer == NULL)
		r.writer = name;
	r.log = stdout;
	if (r.logpath != NULL && (r.log = fopen(r.logpath, "w")) == NULL)
		err(2, "%s", r.logpath);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: end the sleep */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	write_loop(&r);
	if (r.log != stdout)
		fclose(r.log);
	else
		r.log = NULL;
	{
		int rc = report(&r);

		free(r.recs);
		return rc;
	}
}
