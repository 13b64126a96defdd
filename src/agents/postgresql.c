/*
 * postgresql.c - the "postgresql" agent: one PostgreSQL data directory run
 * by the cluster.  Keys: data, port, user, bindir, socket_dir, logfile.
 * The binaries are those pgbindir_find() names: bindir if set, else the
 * major version's that DATA/PG_VERSION says.
 *
 * The postmaster is started directly (no pg_ctl, no shell) with
 * restart_after_crash=off on its command line, so that a crashed server is
 * a failure the cluster handles and no postgresql.conf can turn that off;
 * fsync=on and full_page_writes=on too, so that a commit acknowledged to a
 * client survives a power loss whatever postgresql.conf says.
 * A server is "ours" only if its process runs bindir/postgres with the data
 * directory as its working directory: a postmaster.pid left by a dead node
 * names a pid that may belong to anything in a fresh PID namespace.
 *
 * Connections are made with the effective uid of `user`, so that the
 * default "local all postgres peer" line of pg_hba.conf lets us in.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_util.h"
#include "log.h"
#include "pgbindir.h"
#include "util.h"

#define POLL_MS		10
#define IMMEDIATE_MS	1000	/* an immediate shutdown gets so long */
#define MAX_PROCS	256

struct pg {
	char		 data[PATH_MAX];	/* canonical if it exists */
	bool		 data_exists;
	char		 port[16];
	const char	*user;
	uid_t		 uid;
	gid_t		 gid;
	char		 postgres[PATH_MAX];	/* canonical bindir/postgres */
	const char	*socket_dir;
	const char	*logfile;
	const char	*config_dir;	/* "" when unset */
	bool		 spawned;	/* start ran postgres */
	struct stat	 clf;		/* current_logfiles before it did */
	off_t		 log_size;	/* logfile's size before it did */
};

struct procs {
	const struct pg	*pg;
	pid_t		 pid[MAX_PROCS];
	int		 n;
};

static int
pg_load(struct pg *pg)
{
	const char	*data = agent_param("data");
	const char	*bindir = agent_param("bindir");
	struct pgbindir	 b;
	struct passwd	*pw;
	char		 bin[PATH_MAX + 16], err[2 * PATH_MAX];
	long		 port;

	pg->user = agent_param("user");
	pg->socket_dir = agent_param("socket_dir");
	pg->logfile = agent_param("logfile");
	pg->config_dir = agent_param("config_dir");
	if (data[0] != '/' || pg->socket_dir[0] != '/' ||
	    pg->logfile[0] != '/' ||
	    (bindir[0] != '\0' && bindir[0] != '/') ||
	    (pg->config_dir[0] != '\0' && pg->config_dir[0] != '/')) {
		log_warnx("parameters data, bindir, socket_dir, logfile and "
		    "config_dir must be absolute paths");
		return OCF_ERR_CONFIGURED;
	}
	if (agent_param_int("port", 1, 65535, &port) == -1)
		return OCF_ERR_CONFIGURED;
	snprintf(pg->port, sizeof(pg->port), "%ld", port);
	if ((pw = getpwnam(pg->user)) == NULL) {
		log_warnx("parameter user: no such user \"%s\"", pg->user);
		return OCF_ERR_CONFIGURED;
	}
	pg->uid = pw->pw_uid;
	pg->gid = pw->pw_gid;
	/* Not mounted here (no PG_VERSION): the newest installed, whose
	 * processes cannot run in a data directory that is not there. */
	if (pgbindir_find("", bindir, data, &b, err, sizeof(err)) == -1) {
		log_warnx("bindir: %s", err);
		return OCF_ERR_INSTALLED;
	}
	snprintf(bin, sizeof(bin), "%s/postgres", b.dir);
	if (realpath(bin, pg->postgres) == NULL ||
	    access(pg->postgres, X_OK) == -1) {
		log_warn("%s", bin);
		return OCF_ERR_INSTALLED;
	}
	pg->data_exists = realpath(data, pg->data) != NULL;
	if (!pg->data_exists)
		snprintf(pg->data, sizeof(pg->data), "%s", data);
	return OCF_SUCCESS;
}

/* pid runs our postgres binary in our data directory (zombies do not). */
static bool
pid_is_server(const struct pg *pg, pid_t pid)
{
	char	path[64], buf[PATH_MAX];

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (agent_readlink(path, buf, sizeof(buf)) == -1 ||
	    strcmp(buf, pg->postgres) != 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
	return agent_readlink(path, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, pg->data) == 0;
}

/* First line of a lock file as a pid; 0 if absent or unreadable. */
static pid_t
lockfile_pid(const char *path)
{
	char	buf[32];
	int	fd;
	ssize_t	n;
	long	pid;

	/* The server's user may put anything there: no link, no waiting. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	/* A standalone backend writes -pid. */
	if (pid < 0)
		pid = -pid;
	return pid > 0 && pid <= INT_MAX ? (pid_t)pid : 0;
}

/* The running postmaster's pid, or 0 (no file, or a stale one). */
static pid_t
postmaster_pid(const struct pg *pg, bool *stale)
{
	char	path[PATH_MAX + 32];
	pid_t	pid;

	*stale = false;
	if (!pg->data_exists)
		return 0;
	snprintf(path, sizeof(path), "%s/postmaster.pid", pg->data);
	if (access(path, F_OK) == -1)
		return 0;
	pid = lockfile_pid(path);
	if (pid != 0 && pid_is_server(pg, pid))
		return pid;
	*stale = true;
	return 0;
}

static int
procs_add(pid_t pid, void *arg)
{
	struct procs	*p = arg;

	if (p->n < MAX_PROCS && pid_is_server(p->pg, pid))
		p->pid[p->n++] = pid;
	return 0;
}

/* Every process of this server: the postmaster, backends, orphans. */
static void
procs_find(const struct pg *pg, struct procs *p)
{
	p->pg = pg;
	p->n = 0;
	agent_proc_foreach(procs_add, p);
}

static void
procs_report(const struct procs *p, const char *what)
{
	char	line[1024];
	size_t	used;

	used = snprintf(line, sizeof(line), "%s", what);
	for (int i = 0; i < p->n && used < sizeof(line); i++)
		used += snprintf(line + used, sizeof(line) - used, " %d",
		    (int)p->pid[i]);
	log_warnx("%s", line);
}

/* Effective ids of the server's user around connect (peer auth). */
static void
as_user(const struct pg *pg, bool on)
{
	if (getuid() != 0)
		return;
	/* A failure shows as a refused connection; say why beside it. */
	if (on) {
		if (setegid(pg->gid) == -1 || seteuid(pg->uid) == -1)
			log_warn("cannot act as uid %d", (int)pg->uid);
	} else {
		if (seteuid(0) == -1 || setegid(0) == -1)
			log_warn("cannot act as root again");
	}
}

static void
conn_params(const struct pg *pg, const char **kw, const char **val,
    char *opts, size_t optslen, uint64_t stmt_ms)
{
	static const char *const keys[] = { "host", "port", "dbname", "user",
	    "connect_timeout", "application_name", "options", NULL };

	snprintf(opts, optslen, "-c statement_timeout=%llu",
	    (unsigned long long)(stmt_ms > 0 ? stmt_ms : 1));
	for (int i = 0; keys[i] != NULL; i++)
		kw[i] = keys[i];
	val[0] = pg->socket_dir;
	val[1] = pg->port;
	val[2] = "postgres";
	val[3] = pg->user;
	val[4] = "2";
	val[5] = "pgha-agent";
	val[6] = opts;
	val[7] = NULL;
	kw[7] = NULL;
}

/* Wait until fd is ready for events or until; 1 ready, 0 timed out. */
static int
wait_fd(int fd, short events, uint64_t until)
{
	struct pollfd	pfd = { .fd = fd, .events = events };
	uint64_t	now;
	int		r;

	for (;;) {
		if ((now = now_ms()) >= until)
			return 0;
		r = poll(&pfd, 1, (int)(until - now));
		if (r > 0)
			return 1;
		if (r == -1 && errno != EINTR)
			return 1;	/* let libpq see the error */
	}
}

/*
 * Connect without blocking past until (libpq's connect_timeout cannot go
 * below 2 s).  0 connected, -1 refused (message in conn), -2 timed out.
 * *connp is always set (NULL only on OOM); caller PQfinish()es it.
 */
static int
pg_connect(const struct pg *pg, uint64_t until, uint64_t stmt_ms,
    PGconn **connp)
{
	const char		*kw[8], *val[8];
	char			 opts[64];
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	int			 r = -2;

	conn_params(pg, kw, val, opts, sizeof(opts), stmt_ms);
	as_user(pg, true);
	*connp = PQconnectStartParams(kw, val, 0);
	while (*connp != NULL && PQstatus(*connp) != CONNECTION_BAD) {
		if (st == PGRES_POLLING_OK || st == PGRES_POLLING_FAILED)
			break;
		if (!wait_fd(PQsocket(*connp), st == PGRES_POLLING_READING ?
		    POLLIN : POLLOUT, until))
			goto out;
		st = PQconnectPoll(*connp);
	}
	r = *connp != NULL && PQstatus(*connp) == CONNECTION_OK ? 0 : -1;
out:
	as_user(pg, false);
	return r;
}

/*
 * Run sql without blocking past until.  0 success, -1 failure with the
 * SQLSTATE in state[6] ("" if none) and the message on stderr unless
 * quiet, -2 timed out.
 */
static int
pg_query(PGconn *conn, const char *sql, uint64_t until, char state[6],
    bool quiet)
{
	PGresult	*res;
	int		 r = 0;
	const char	*s;

	state[0] = '\0';
	if (!PQsendQuery(conn, sql))
		goto fail;
	while (PQflush(conn) == 1) {
		if (!wait_fd(PQsocket(conn), POLLOUT, until))
			return -2;
	}
	while (PQisBusy(conn)) {
		if (!wait_fd(PQsocket(conn), POLLIN, until))
			return -2;
		if (!PQconsumeInput(conn))
			goto fail;
	}
	while ((res = PQgetResult(conn)) != NULL) {
		ExecStatusType	est = PQresultStatus(res);

		if (est != PGRES_TUPLES_OK && est != PGRES_COMMAND_OK &&
		    r == 0) {
			r = -1;
			s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			snprintf(state, 6, "%s", s ? s : "");
			if (!quiet)
				log_warnx("%s: %s", sql,
				    PQresultErrorMessage(res));
		}
		PQclear(res);
	}
	return r;
fail:
	if (!quiet)
		log_warnx("%s: %s", sql, PQerrorMessage(conn));
	return -1;
}

static PGPing
pg_ping(const struct pg *pg)
{
	const char	*kw[8], *val[8];
	char		 opts[64];
	PGPing		 r;

	conn_params(pg, kw, val, opts, sizeof(opts), 1000);
	as_user(pg, true);
	r = PQpingParams(kw, val, 0);
	as_user(pg, false);
	return r;
}

/*
 * Tell pghad which process the server lives in: it watches it (pidfd) and
 * monitors the moment it exits (pgha-agent(8), "watch_pid").
 */
static void
watch(pid_t pid)
{
	printf(AGENT_OUT_WATCH_PID "%d\n", (int)pid);
	fflush(stdout);
}

static int
pg_monitor(const struct pg *pg)
{
	PGconn	*conn;
	bool	 stale;
	char	 state[6];
	pid_t	 pid;
	int	 r;

	if ((pid = postmaster_pid(pg, &stale)) == 0)
		return OCF_NOT_RUNNING;
	r = pg_connect(pg, agent_deadline(), agent_remaining_ms(), &conn);
	if (r == -1) {
		/* libpq keeps the SQLSTATE of a refused connection to itself;
		 * PQping maps 57P03 (cannot connect now) to REJECT. */
		log_warnx("connect: %s", conn ? PQerrorMessage(conn) : "OOM");
		PQfinish(conn);
		if (pg_ping(pg) != PQPING_REJECT)
			return OCF_ERR_GENERIC;
		log_warnx("postgres is starting up, shutting down or in "
		    "recovery (SQLSTATE 57P03)");
		return AGENT_TRANSITIONAL;
	}
	if (r == 0)
		r = pg_query(conn, "SELECT 1", agent_deadline(), state, false);
	PQfinish(conn);
	if (r == -2) {
		log_warnx("postgres on %s port %s did not answer in time",
		    pg->socket_dir, pg->port);
		return OCF_ERR_GENERIC;
	}
	if (r == -1 && (strcmp(state, "57P03") == 0 ||
	    strcmp(state, "57P01") == 0))
		return AGENT_TRANSITIONAL;
	if (r != 0)
		return OCF_ERR_GENERIC;
	watch(pid);
	return OCF_SUCCESS;
}

/*
 * Start the postmaster: its own session, the server's user, the log as
 * stdout and stderr, in the data directory.  Its pid, or -1 if fork failed.
 *
 * restart_after_crash=off: a crashed server is pghad's to restart or move.
 * fsync=on: without it a commit is acknowledged before its WAL is on disk,
 * and the next owner of the disk starts without it after a power loss (or
 * with a corrupted cluster).  full_page_writes=on: a page half written
 * when the power went cannot be repaired from the WAL otherwise.  The
 * command line wins over postgresql.conf, postgresql.auto.conf and ALTER
 * SYSTEM, so only a server started by hand can run without them.
 * recovery_init_sync_method=syncfs (PostgreSQL 14 and later): after a
 * crash or power loss the server first makes sure everything in the data
 * directory is on disk; with the default (fsync) it opens and fsyncs every
 * file one by one, about 200 ms for a small fresh database here and
 * seconds for a bigger one, before recovery starts.  syncfs(2) does the
 * same once per file system; the group's disks hold the server's files
 * (and perhaps its backups, whose dirty pages it then flushes too).
 *
 * With config_dir (Debian's layout) the server starts as pg_ctlcluster
 * starts it: -D names the configuration directory, so postgresql.conf,
 * and pg_hba.conf and pg_ident.conf unless it names others, are read
 * there; data_directory on the command line wins over the one in that
 * postgresql.conf, so the server runs on the resource's data whatever
 * the file says (validate reports a difference).
 */
static pid_t
server_spawn(const struct pg *pg, int logfd, int major)
{
	char	*argv[24];
	char	 sockopt[PATH_MAX + 32], dataopt[PATH_MAX + 32];
	int	 n = 0;
	struct agent_spawn sp = { .argv = argv,
			    .pgrp = AGENT_SPAWN_OWN_SESSION,
			    .in = AGENT_SPAWN_NULL, .out = logfd, .err = logfd,
			    .as_user = true, .user = pg->user, .uid = pg->uid,
			    .gid = pg->gid, .dir = pg->data };

	snprintf(sockopt, sizeof(sockopt), "unix_socket_directories=%s",
	    pg->socket_dir);
	snprintf(dataopt, sizeof(dataopt), "data_directory=%s", pg->data);
	argv[n++] = (char *)pg->postgres;
	argv[n++] = "-D";
	if (pg->config_dir[0] != '\0') {
		argv[n++] = (char *)pg->config_dir;
		argv[n++] = "-c";
		argv[n++] = dataopt;
	} else
		argv[n++] = (char *)pg->data;
	argv[n++] = "-p";
	argv[n++] = (char *)pg->port;
	argv[n++] = "-c";
	argv[n++] = "restart_after_crash=off";
	argv[n++] = "-c";
	argv[n++] = "fsync=on";
	argv[n++] = "-c";
	argv[n++] = "full_page_writes=on";
	argv[n++] = "-c";
	argv[n++] = sockopt;
	if (major >= 14) {
		argv[n++] = "-c";
		argv[n++] = "recovery_init_sync_method=syncfs";
	}
	argv[n] = NULL;
	return agent_spawn(&sp);
}

/* Leftovers a dead server (or node) can leave that would stop a start. */
static int
clear_stale(const struct pg *pg, bool stale)
{
	char	path[PATH_MAX + 64];
	char	exe[PATH_MAX], link[64];
	pid_t	pid;

	snprintf(path, sizeof(path), "%s/postmaster.pid", pg->data);
	if (stale && unlink(path) == -1 && errno != ENOENT) {
		log_warn("remove stale %s", path);
		return -1;
	}
	/* The socket lock: stale unless a live postgres holds it. */
	snprintf(path, sizeof(path), "%s/.s.PGSQL.%s.lock", pg->socket_dir,
	    pg->port);
	if ((pid = lockfile_pid(path)) == 0)
		return 0;
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	if (agent_readlink(link, exe, sizeof(exe)) == 0 &&
	    strcmp(exe, pg->postgres) == 0)
		return 0;	/* another live server: postgres will say so */
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/.s.PGSQL.%s", pg->socket_dir,
	    pg->port);
	(void)unlink(path);
	return 0;
}

/* The server's user may create its socket and lock file in st. */
static bool
user_can_write(const struct pg *pg, const struct stat *st)
{
	if (st->st_uid == pg->uid)
		return (st->st_mode & S_IWUSR) != 0;
	if (st->st_gid == pg->gid)
		return (st->st_mode & S_IWGRP) != 0;
	return (st->st_mode & S_IWOTH) != 0;
}

/*
 * Only a directory made here is given to the server's user: an existing
 * one (/tmp, PostgreSQL's own default; a link planted under a directory
 * the server's user writes) is used as it is if the server can write it,
 * and refused with the fix otherwise.  Never through a link.
 */
static int
socket_dir_ready(const struct pg *pg)
{
	const char	*d = pg->socket_dir;
	struct stat	 st;
	bool		 made;
	int		 fd, r = -1;

	made = mkdir(d, 02775) == 0;
	if (!made && errno != EEXIST) {
		log_warn("mkdir %s", d);
		return -1;
	}
	if ((fd = open(d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno == ELOOP || errno == ENOTDIR)
			log_warnx("socket_dir %s is a symbolic link or not a "
			    "directory: refused, nothing changed (make it a "
			    "directory, or set socket_dir to one)", d);
		else
			log_warn("socket_dir %s", d);
		return -1;
	}
	if (fstat(fd, &st) == -1)
		log_warn("socket_dir %s", d);
	else if (made && st.st_uid == 0) {
		if (fchown(fd, pg->uid, pg->gid) == -1 ||
		    fchmod(fd, 02775) == -1)
			log_warn("socket_dir %s", d);
		else
			r = 0;
	} else if (!user_can_write(pg, &st))
		log_warnx("socket_dir %s (owner uid %d, mode %04o) is not "
		    "writable by %s, and pgha changes only a directory it "
		    "creates: chown %s: %s && chmod 2775 %s, or set socket_dir "
		    "to another directory", d, (int)st.st_uid,
		    (unsigned)(st.st_mode & 07777), pg->user, pg->user, d, d);
	else
		r = 0;
	close(fd);
	return r;
}

static int
prepare_dirs(const struct pg *pg, int *logfd)
{
	struct stat	st;
	bool		as_root;

	if (socket_dir_ready(pg) == -1)
		return -1;
	/* Mostly in the data directory, which the server's user writes. */
	*logfd = agent_open_safe(pg->logfile, O_WRONLY | O_APPEND | O_CREAT,
	    0640, pg->uid, pg->gid, &as_root);
	if (*logfd == -1)
		return -1;
	/* The server's log belongs to the server's user (a root-only
	 * directory: nobody else can have put this file there). */
	if (as_root && fstat(*logfd, &st) == 0 && st.st_uid == 0 &&
	    pg->uid != 0 && fchown(*logfd, pg->uid, pg->gid) == -1)
		log_warn("%s: chown to uid %d", pg->logfile, (int)pg->uid);
	return 0;
}

/* DATA/current_logfiles as it is now; st_ino 0 if there is none. */
static void
clf_stat(const struct pg *pg, struct stat *st)
{
	char	path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/current_logfiles", pg->data);
	if (lstat(path, st) == -1)
		memset(st, 0, sizeof(*st));
}

/*
 * The server's log to show: logfile has what postgres says before its
 * logging collector starts (pgha db init turns it on), which is most
 * start failures (a bad setting, a port in use); once the collector of
 * this start has renamed a new DATA/current_logfiles into place, what
 * follows (recovery, a failed startup process) is in the file it names.
 * A server found running: its collector's file, if any.
 */
static const char *
server_log(const struct pg *pg, char *buf, size_t len)
{
	char		path[PATH_MAX + 32], line[PATH_MAX + 16], *p;
	struct stat	st;
	ssize_t		n;
	int		fd;

	clf_stat(pg, &st);
	if (st.st_ino == 0 || (pg->spawned && st.st_ino == pg->clf.st_ino &&
	    st.st_mtim.tv_sec == pg->clf.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == pg->clf.st_mtim.tv_nsec))
		return pg->logfile;
	snprintf(path, sizeof(path), "%s/current_logfiles", pg->data);
	if ((fd = agent_open_safe(path, O_RDONLY, 0, pg->uid, pg->gid,
	    NULL)) == -1)
		return pg->logfile;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return pg->logfile;
	line[n] = '\0';
	if (strncmp(line, "stderr ", 7) != 0 ||
	    (p = strchr(line, '\n')) == NULL)
		return pg->logfile;
	*p = '\0';
	p = line + 7;
	if (p[0] == '/')
		snprintf(buf, len, "%s", p);
	else
		snprintf(buf, len, "%s/%s", pg->data, p);
	return buf;
}

/*
 * The last lines of a log from offset from on (what this start wrote;
 * all of the tail if it wrote nothing there), as pghad keeps three for
 * administrators: a failed startup process says why (FATAL) three lines
 * before the last, so the last FATAL or PANIC line, then the last two.
 * Not the FATAL of a connection refused while the server starts or stops
 * (our own pings make them): that is no reason.
 */
static void
tail_log(const struct pg *pg, const char *path, off_t from)
{
	char		 buf[8192], *line[16], *p, *nl;
	int		 fd, n = 0, k, fatal = -1;
	ssize_t		 len;
	off_t		 size, at;

	if ((fd = agent_open_safe(path, O_RDONLY, 0, pg->uid, pg->gid,
	    NULL)) == -1)
		return;
	size = lseek(fd, 0, SEEK_END);
	at = size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0;
	if (from > at && from < size)
		at = from;
	len = pread(fd, buf, sizeof(buf) - 1, at);
	close(fd);
	if (len <= 0)
		return;
	buf[len] = '\0';
	for (p = buf; *p != '\0'; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = p + strlen(p);
		if (*p != '\0')
			line[n++ % 16] = p;
	}
	k = n < 16 ? n : 16;
	for (int i = n - k; i < n - 2; i++) {
		p = line[i % 16];
		if ((strstr(p, "FATAL:  ") != NULL ||
		    strstr(p, "PANIC:  ") != NULL) &&
		    strstr(p, ":  the database system is ") == NULL)
			fatal = i;
	}
	if (fatal >= 0)
		log_warnx("%s%s", AGENT_ERR_ADMIN_LINE, line[fatal % 16]);
	for (int i = n - (fatal >= 0 ? 2 : 3); i < n; i++) {
		if (i >= n - k)
			log_warnx("%s%s", AGENT_ERR_ADMIN_LINE, line[i % 16]);
	}
}

/* The logfile from where this start began writing; a collector's all. */
static off_t
log_from(const struct pg *pg, const char *path)
{
	return path == pg->logfile && pg->spawned ? pg->log_size : 0;
}

static void
report_exit(const struct pg *pg, pid_t pid, int status)
{
	char		 buf[PATH_MAX + 64];
	const char	*log = server_log(pg, buf, sizeof(buf));

	if (WIFEXITED(status))
		log_warnx("postgres (pid %d) exited with status %d during "
		    "start; last lines of %s:", (int)pid, WEXITSTATUS(status),
		    log);
	else
		log_warnx("postgres (pid %d) died of signal %d during start; "
		    "last lines of %s:", (int)pid, WTERMSIG(status), log);
	tail_log(pg, log, log_from(pg, log));
}

/*
 * Poll until the server accepts connections.  child: the postmaster is
 * our child (we just forked it), so its exit is seen with waitpid().
 */
static int
wait_ready(const struct pg *pg, pid_t pid, bool child)
{
	uint64_t	 t0 = now_ms();
	int		 status;
	PGPing		 ping;
	char		 buf[PATH_MAX + 64];
	const char	*log;

	for (;;) {
		if (child && waitpid(pid, &status, WNOHANG) == pid) {
			report_exit(pg, pid, status);
			return OCF_ERR_GENERIC;
		}
		if (!child && !pid_is_server(pg, pid)) {
			log = server_log(pg, buf, sizeof(buf));
			log_warnx("postgres (pid %d) exited during start; last "
			    "lines of %s:", (int)pid, log);
			tail_log(pg, log, log_from(pg, log));
			return OCF_ERR_GENERIC;
		}
		ping = pg_ping(pg);
		if (ping == PQPING_OK) {
			watch(pid);
			return OCF_SUCCESS;
		}
		if (ping == PQPING_NO_ATTEMPT) {
			log_warnx("postgres: bad connection parameters");
			return OCF_ERR_CONFIGURED;
		}
		if (agent_remaining_ms() == 0)
			break;
		agent_sleep_ms(POLL_MS);
	}
	log = server_log(pg, buf, sizeof(buf));
	log_warnx("postgres (pid %d) did not accept connections within %llu "
	    "ms; last lines of %s:", (int)pid,
	    (unsigned long long)(now_ms() - t0), log);
	tail_log(pg, log, log_from(pg, log));
	return OCF_ERR_GENERIC;
}

static int
pg_start(struct pg *pg)
{
	char		path[PATH_MAX + 16];
	struct stat	st;
	bool		stale;
	pid_t		pid;
	int		logfd, major, fd;
	FILE		*f;

	if (!pg->data_exists) {
		errno = ENOENT;
		log_warn("data directory %s", pg->data);
		return OCF_ERR_GENERIC;
	}
	snprintf(path, sizeof(path), "%s/PG_VERSION", pg->data);
	/* The server's user's file: no link followed, no FIFO waited on. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1 || (f = fdopen(fd, "r")) == NULL) {
		log_warn("%s: not a data directory", path);
		if (fd != -1)
			close(fd);
		return OCF_ERR_GENERIC;
	}
	if (fscanf(f, "%d", &major) != 1)
		major = 0;
	fclose(f);
	if ((pid = postmaster_pid(pg, &stale)) != 0)
		return wait_ready(pg, pid, false);
	if (clear_stale(pg, stale) == -1 || prepare_dirs(pg, &logfd) == -1)
		return OCF_ERR_GENERIC;
	clf_stat(pg, &pg->clf);
	pg->log_size = fstat(logfd, &st) == 0 ? st.st_size : 0;
	pg->spawned = true;
	if ((pid = server_spawn(pg, logfd, major)) == -1) {
		log_warn("fork");
		close(logfd);
		return OCF_ERR_GENERIC;
	}
	close(logfd);
	return wait_ready(pg, pid, true);
}

/* Signal every process of the server; 0 once none is left. */
static int
kill_all_until(const struct pg *pg, int sig, uint64_t until)
{
	struct procs	p;

	for (;;) {
		procs_find(pg, &p);
		if (p.n == 0)
			return 0;
		for (int i = 0; i < p.n; i++)
			kill(p.pid[i], sig);
		if (now_ms() >= until)
			break;
		agent_sleep_ms(POLL_MS);
	}
	procs_report(&p, "postgres processes still there:");
	return -1;
}

static bool
wait_gone(const struct pg *pg, pid_t pid, uint64_t until)
{
	while (pid_is_server(pg, pid)) {
		if (now_ms() >= until)
			return false;
		agent_sleep_ms(POLL_MS);
	}
	return true;
}

/* CHECKPOINT first: the shutdown checkpoint then has little to write. */
static void
checkpoint(const struct pg *pg, uint64_t budget)
{
	PGconn	*conn;
	char	 state[6];

	if (pg_connect(pg, now_ms() + budget, budget, &conn) == 0)
		(void)pg_query(conn, "CHECKPOINT", now_ms() + budget, state,
		    true);
	PQfinish(conn);
}

/* State 'T' (stopped) in /proc/PID/stat. */
static bool
process_stopped(pid_t pid)
{
	char	path[64], buf[512], *p;
	FILE	*f;
	bool	stopped = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fgets(buf, sizeof(buf), f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL && p[1] == ' ')
		stopped = p[2] == 'T' || p[2] == 't';
	fclose(f);
	return stopped;
}

/*
 * Quorum lost (another node may soon own the disk) or the server failed
 * (it did not answer): no checkpoint, no waiting for clients.  SIGQUIT to
 * the postmaster and SIGCONT to every process of the server, since a
 * stopped backend would hold its SIGQUIT until the postmaster's SIGKILL 5 s
 * later; what is left after a second is killed.
 */
static int
stop_immediate(const struct pg *pg, pid_t pid)
{
	struct procs	p;
	uint64_t	wait = agent_remaining_ms() / 2;

	kill(pid, SIGQUIT);
	procs_find(pg, &p);
	for (int i = 0; i < p.n; i++)
		kill(p.pid[i], SIGCONT);
	(void)wait_gone(pg, pid, now_ms() + (wait < IMMEDIATE_MS ? wait :
	    IMMEDIATE_MS));
	return kill_all_until(pg, SIGKILL, agent_deadline()) == 0 ?
	    OCF_SUCCESS : OCF_ERR_GENERIC;
}

static int
pg_stop(const struct pg *pg)
{
	uint64_t	 rest;
	bool		 stale;
	pid_t		 pid;
	const char	*mode;

	if ((pid = postmaster_pid(pg, &stale)) == 0) {
		/* Orphaned backends of a killed postmaster still hold the
		 * data directory (and the disk). */
		return kill_all_until(pg, SIGKILL, agent_deadline()) == 0 ?
		    OCF_SUCCESS : OCF_ERR_GENERIC;
	}
	mode = getenv(AGENT_ENV_STOP_MODE);
	if (mode && strcmp(mode, AGENT_STOP_IMMEDIATE) == 0)
		return stop_immediate(pg, pid);
	/* A stopped (SIGSTOP) postmaster would sit on every signal. */
	if (process_stopped(pid)) {
		log_warnx("postgres (pid %d) is stopped (SIGSTOP): "
		    "immediate shutdown", (int)pid);
		return stop_immediate(pg, pid);
	}
	checkpoint(pg, agent_remaining_ms() * 2 / 5);
	/* Of what is left: half for a fast shutdown (clients get 57P01),
	 * a quarter for an immediate one, the last quarter for SIGKILL. */
	rest = agent_remaining_ms();
	kill(pid, SIGINT);
	if (!wait_gone(pg, pid, now_ms() + rest / 2)) {
		log_warnx("postgres (pid %d) ignored a fast shutdown; "
		    "immediate shutdown", (int)pid);
		kill(pid, SIGQUIT);
		(void)wait_gone(pg, pid, now_ms() + rest / 4);
	}
	if (kill_all_until(pg, SIGKILL, agent_deadline()) == -1)
		return OCF_ERR_GENERIC;
	return OCF_SUCCESS;
}

int
postgresql_main(enum agent_action act)
{
	struct pg	pg;
	int		r;

	memset(&pg, 0, sizeof(pg));
	if ((r = pg_load(&pg)) != OCF_SUCCESS)
		return r;
	switch (act) {
	case ACT_START:
		return pg_start(&pg);
	case ACT_STOP:
		return pg_stop(&pg);
	case ACT_MONITOR:
		return pg_monitor(&pg);
	}
	return OCF_ERR_ARGS;
}
