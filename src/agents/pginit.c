/*
 * pginit.c - the postgresql agent's "init" action: create the database
 * cluster on the group's shared disks with initdb, run as the server's
 * user under the operation's deadline, after checking that every path is
 * on a group disk and empty; then append the settings pgha needs to its
 * postgresql.conf.  Nothing is changed when a check fails.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_util.h"
#include "log.h"
#include "pgcheck.h"
#include "pgcheck_int.h"
#include "util.h"

/* ---- init -------------------------------------------------------------- */

/* The disk path is (or will be) created on: its nearest existing part's. */
static int
init_on_disk(const struct chk *c, const char *key, const char *path)
{
	char		buf[PATH_MAX], mounts[1024], *slash;
	struct stat	st;

	snprintf(buf, sizeof(buf), "%s", path);
	while (stat(buf, &st) == -1) {
		if (errno != ENOENT || (slash = strrchr(buf, '/')) == NULL) {
			log_warn("parameter %s: %s", key, buf);
			return -1;
		}
		slash[slash == buf ? 1 : 0] = '\0';
	}
	if (!S_ISDIR(st.st_mode)) {
		log_warnx("parameter %s: %s is not a directory; nothing "
		    "changed", key, buf);
		return -1;
	}
	for (int i = 0; i < c->nmounts; i++) {
		if (c->mounted[i] && c->mdev[i] == st.st_dev) {
			printf("check: %s %s is on group disk %s\n", key,
			    path, c->mnt[i]);
			return 0;
		}
	}
	pgc_mount_list(c, mounts, sizeof(mounts));
	log_warnx("parameter %s: %s is not on any of the group's disks "
	    "(%s); nothing changed", key, path, mounts);
	return -1;
}

/* Entries of a directory besides . and ..; -1 if unreadable. */
static int
dir_count(const char *path)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static int
refuse_nonempty(const char *key, const char *path)
{
	int	n;

	if ((n = dir_count(path)) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("parameter %s: %s", key, path);
		return -1;
	}
	if (n == 0)
		return 0;
	log_warnx("parameter %s: %s exists and is not empty: pgha db init "
	    "does not overwrite a database cluster; nothing changed", key,
	    path);
	return -1;
}

static int
init_check(const struct chk *c)
{
	char	initdb[PATH_MAX + 16], how[PATH_MAX + 16];

	/*
	 * initdb writes postgresql.conf, pg_hba.conf and pg_ident.conf into
	 * the data directory, where this server would not read them, and
	 * pgha cannot write config_dir on the other nodes.  Debian's own
	 * tool makes both halves.
	 */
	if (c->config_dir[0] != '\0') {
		log_warnx("parameter config_dir: the resource keeps its "
		    "configuration in %s, and pgha db init only creates a "
		    "database cluster configured in its data directory; "
		    "nothing changed.  Create it with pg_createcluster -d %s "
		    "--start-conf=disabled VERSION NAME (configuration in "
		    "/etc/postgresql/VERSION/NAME, which config_dir names), "
		    "then copy %s to every node (docs/deploy.md), or unset "
		    "config_dir", c->config_dir, c->data, c->config_dir);
		return OCF_ERR_CONFIGURED;
	}
	if (!c->here) {
		log_warnx("the group's disks are not mounted here by the "
		    "cluster: init runs on the node where the group is "
		    "active; nothing changed");
		return OCF_ERR_GENERIC;
	}
	if (c->nmounts == 0) {
		log_warnx("the group has no disk resource: nothing to "
		    "create the database cluster on");
		return OCF_ERR_CONFIGURED;
	}
	for (int i = 0; i < c->nmounts; i++) {
		if (!c->mounted[i]) {
			log_warnx("group disk %s is not mounted; nothing "
			    "changed", c->mnt[i]);
			return OCF_ERR_GENERIC;
		}
	}
	if (!c->user_ok || c->uid == 0) {
		log_warnx("parameter user: \"%s\" %s", c->user, c->user_ok ?
		    "is root, and initdb does not run as root" :
		    "does not exist");
		return OCF_ERR_CONFIGURED;
	}
	if (!c->bin_ok) {
		log_warnx("bindir: %s; nothing changed", c->bin_err);
		return OCF_ERR_INSTALLED;
	}
	snprintf(initdb, sizeof(initdb), "%s/initdb", c->bindir);
	if (access(initdb, X_OK) == -1) {
		log_warn("%s", initdb);
		return OCF_ERR_INSTALLED;
	}
	pgbindir_how_text(&c->bin, how, sizeof(how));
	if (c->bin.major != 0)
		printf("check: PostgreSQL %d (%s): %s\n", c->bin.major, how,
		    initdb);
	else
		printf("check: %s (bindir %s)\n", initdb, how);
	if (init_on_disk(c, "data", c->data) == -1 ||
	    (c->waldir[0] && init_on_disk(c, "waldir", c->waldir) == -1) ||
	    (c->backup_dir[0] &&
	    init_on_disk(c, "backup_dir", c->backup_dir) == -1))
		return OCF_ERR_CONFIGURED;
	if (refuse_nonempty("data", c->data) == -1 ||
	    (c->waldir[0] && refuse_nonempty("waldir", c->waldir) == -1))
		return OCF_ERR_GENERIC;
	return OCF_SUCCESS;
}

/* mkdir -p: parents root's (0755), path itself the user's with mode. */
static int
make_dir(const struct chk *c, const char *path, mode_t mode)
{
	char	buf[PATH_MAX], *p;
	int	fd;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == 0)
			printf("mkdir: created %s (root, 0755)\n", buf);
		else if (errno != EEXIST) {
			log_warn("mkdir %s", buf);
			return -1;
		}
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", buf);
		return -1;
	}
	/* Never through a link planted where the directory should be. */
	if ((fd = open(buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOTDIR || errno == ELOOP)
			log_warnx("%s is a symbolic link or not a directory: "
			    "refused (remove it)", buf);
		else
			log_warn("%s", buf);
		return -1;
	}
	if (fchown(fd, c->uid, c->gid) == -1 || fchmod(fd, mode) == -1) {
		log_warn("%s", buf);
		close(fd);
		return -1;
	}
	close(fd);
	printf("mkdir: %s owned by %s, mode %04o\n", buf, c->user,
	    (unsigned)mode);
	return 0;
}

/*
 * Wait for initdb until the deadline less a grace in which SIGTERM lets
 * it remove what it created; then SIGKILL.  0 exited, -1 timed out.  Its
 * own process group: a timeout kills its postgres too.
 */
static int
initdb_wait(pid_t pid, int *status)
{
	uint64_t	grace = agent_remaining_ms() / 5;

	if (grace > 2000)
		grace = 2000;
	return agent_spawn_wait(pid, true, grace, status);
}

static int
run_initdb(const struct chk *c)
{
	char		 initdb[PATH_MAX + 16];
	char		 log[] = "/tmp/pgha-initdb.XXXXXX";
	char		*argv[16];
	struct agent_spawn sp = { .argv = argv, .pgrp = AGENT_SPAWN_OWN_GROUP,
			    .in = AGENT_SPAWN_NULL, .as_user = true,
			    .user = c->user, .uid = c->uid, .gid = c->gid,
			    .dir = "/" };
	int		 n = 0, fd, status, r = -1;
	uint64_t	 t0 = now_ms();
	pid_t		 pid;

	snprintf(initdb, sizeof(initdb), "%s/initdb", c->bindir);
	argv[n++] = initdb;
	argv[n++] = "-D";
	argv[n++] = (char *)c->data;
	if (c->waldir[0] != '\0') {
		argv[n++] = "--waldir";
		argv[n++] = (char *)c->waldir;
	}
	argv[n++] = "-E";
	argv[n++] = "UTF8";
	argv[n++] = "--auth-local=peer";
	argv[n++] = "--auth-host=scram-sha-256";
	/* a page the disk lost or tore is an error, not wrong data */
	argv[n++] = "--data-checksums";
	argv[n++] = "--no-instructions";	/* they would say pg_ctl */
	argv[n] = NULL;
	if ((fd = mkstemp(log)) == -1) {
		log_warn("mkstemp %s", log);
		return -1;
	}
	printf("initdb: running %s -D %s%s%s as %s\n", initdb, c->data,
	    c->waldir[0] ? " --waldir " : "", c->waldir, c->user);
	fflush(stdout);
	sp.out = sp.err = fd;
	if ((pid = agent_spawn(&sp)) == -1)
		log_warn("fork");
	else if (initdb_wait(pid, &status) == -1)
		log_warnx("initdb did not finish within the timeout (%llu "
		    "ms) and was stopped; empty %s%s%s before trying again; "
		    "its last lines:", (unsigned long long)(now_ms() - t0),
		    c->data, c->waldir[0] ? " and " : "", c->waldir);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		log_warnx("initdb failed (%s %d); its last lines:",
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) :
		    WTERMSIG(status));
	else {
		printf("initdb: done in %llu ms\n",
		    (unsigned long long)(now_ms() - t0));
		r = 0;
	}
	if (r == -1 && pid > 0)
		agent_tail_file(log, 5, 0, 0);
	close(fd);
	unlink(log);
	return r;
}

/* A value as a quoted postgresql.conf string. */
static void
conf_quote(const char *in, char *out, size_t len)
{
	size_t	n = 0;

	out[n++] = '\'';
	for (; *in != '\0' && n < len - 3; in++) {
		if (*in == '\'' || *in == '\\')
			out[n++] = *in;
		out[n++] = *in;
	}
	out[n++] = '\'';
	out[n] = '\0';
}

/*
 * The server's own log.  Without the collector everything the server
 * says goes to the agent's logfile on the shared disk, which nothing
 * rotates.  With it, the collector writes DATA/log/postgresql-Mon.log
 * and so on, one file a weekday, truncated when that day comes round
 * again: at most a week of logs, in the data directory so that they move
 * with the group and the node that takes over writes the same files.
 * log_rotation_size = 0: PostgreSQL truncates only on a rotation by time,
 * so a size cap would only reopen the same weekday's file and append; it
 * would bound nothing.  The logfile keeps what is said before the
 * collector starts (a bad setting, a port in use: most failed starts).
 */
static const char log_conf[] =
    "# The server's log: one file a weekday in DATA/log, a week kept (the\n"
    "# pgha logfile gets only what is said before the collector starts).\n"
    "logging_collector = on\n"
    "log_directory = 'log'\n"
    "log_filename = 'postgresql-%a.log'\n"
    "log_truncate_on_rotation = on\n"
    "log_rotation_age = 1d\n"
    "log_rotation_size = 0\n";

/* initdb in PG 15 has no -c: the settings cluster operation needs. */
static int
append_conf(const struct chk *c)
{
	char	 path[PATH_MAX + 32], sock[2 * PATH_MAX + 4];
	FILE	*f;
	int	 fd, r;

	snprintf(path, sizeof(path), "%s/postgresql.conf", c->data);
	conf_quote(c->socket_dir, sock, sizeof(sock));
	/* initdb ran as the user, who owns the directory and the file. */
	if ((fd = agent_open_safe(path, O_WRONLY | O_APPEND, 0, c->uid,
	    c->gid, NULL)) == -1)
		return -1;
	if ((f = fdopen(fd, "a")) == NULL) {
		log_warn("open %s", path);
		close(fd);
		return -1;
	}
	fprintf(f, "\n# written by pgha db init: settings for cluster "
	    "operation\n"
	    "# A crashed server is a failure the cluster handles, never an "
	    "in-place\n# restart (pgha also passes it on the command "
	    "line).\n"
	    "restart_after_crash = off\n"
	    "port = %ld\n"
	    "listen_addresses = '*'\n"
	    "unix_socket_directories = %s\n"
	    "%s", c->port, sock, log_conf);
	if (c->backup_dir[0] != '\0')
		fprintf(f, "# base backups and archived WAL go to %s "
		    "(pgha backup_dir), on a group disk\n", c->backup_dir);
	r = fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;
	if (fclose(f) != 0 || r == -1) {
		log_warn("write %s", path);
		return -1;
	}
	printf("wrote %s: restart_after_crash = off, port = %ld, "
	    "listen_addresses = '*', unix_socket_directories = %s, "
	    "logging_collector = on (the server's log: %s/log, one file a "
	    "weekday)\n", path,
	    c->port, sock, c->data);
	return 0;
}

static int
init_make(const struct chk *c)
{
	struct stat	st;

	if (make_dir(c, c->data, 0700) == -1 ||
	    (c->waldir[0] && make_dir(c, c->waldir, 0700) == -1))
		return OCF_ERR_GENERIC;
	fflush(stdout);
	if (run_initdb(c) == -1 || append_conf(c) == -1)
		return OCF_ERR_GENERIC;
	if (c->backup_dir[0] == '\0')
		return OCF_SUCCESS;
	if (stat(c->backup_dir, &st) == 0 && (st.st_uid != 0 ||
	    !S_ISDIR(st.st_mode) || dir_count(c->backup_dir) != 0)) {
		printf("backup_dir: %s exists, left as it is\n",
		    c->backup_dir);
		return OCF_SUCCESS;
	}
	/* Empty and root's: as the disk agent makes an encrypted dir. */
	return make_dir(c, c->backup_dir, 0700) == 0 ? OCF_SUCCESS :
	    OCF_ERR_GENERIC;
}

int
pgcheck_init(void)
{
	struct chk	c;
	int		r = OCF_ERR_CONFIGURED;

	if (pgc_load(&c) == 0 && (r = init_check(&c)) == OCF_SUCCESS)
		r = init_make(&c);
	fflush(stdout);
	pgc_free(&c);
	return r;
}
