/*
 * pgvalidate.c - the postgresql agent's "validate" action: the checks of
 * the operation guide's 3.2.2 and 3.2.3 made on one node.  Some hold
 * wherever the group is (the user, the binaries, the keystores), some only
 * where the group's disks are mounted (the layout on them, the settings in
 * postgresql.conf), some only where they are not (no local copy, the port
 * free).  It changes nothing.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_util.h"
#include "log.h"
#include "keystore.h"
#include "pgcheck.h"
#include "pgcheck_int.h"
#include "sockdiag.h"
#include "util.h"

/* What a path setting names, for "does it exist here". */
enum pkind {
	PK_DIR,
	PK_DIRLIST,		/* comma-separated directories */
	PK_FILE,
	PK_PIDFILE,		/* created by postgres: its directory */
};

static const struct {
	const char	*name;
	enum pkind	 kind;
} path_settings[] = {
	{ "data_directory",		PK_DIR },
	{ "hba_file",			PK_FILE },
	{ "ident_file",			PK_FILE },
	{ "log_directory",		PK_DIR },
	{ "unix_socket_directories",	PK_DIRLIST },
	{ "ssl_cert_file",		PK_FILE },
	{ "ssl_key_file",		PK_FILE },
	{ "ssl_ca_file",		PK_FILE },
	{ "ssl_crl_file",		PK_FILE },
	{ "ssl_crl_dir",		PK_DIR },
	{ "external_pid_file",		PK_PIDFILE },
	{ "include",			PK_FILE },
};

/* ---- checks made whatever PGHA_GROUP_HERE says ------------------------- */

static void
check_user(struct chk *c)
{
	struct json_object	*o = pgc_kind_obj("fact");

	pgc_jstr(o, "name", "user");
	pgc_jstr(o, "user", c->user);
	if (c->user_ok) {
		json_object_object_add(o, "uid", json_object_new_int64(c->uid));
		json_object_object_add(o, "gid", json_object_new_int64(c->gid));
	} else
		json_object_object_add(o, "exists",
		    json_object_new_boolean(false));
	pgc_emit(o);
	if (c->user_ok)
		pgc_passed("user", "user %s exists (uid %d, gid %d)", c->user,
		    (int)c->uid, (int)c->gid);
	else
		pgc_finding(c, "error", "user", NULL, "create the user with the "
		    "same uid and gid as on the other nodes (useradd)",
		    "user %s does not exist on this node", c->user);
}

/*
 * The keystore of one encrypted disk of the group (guide 3.3): on this
 * node's local disk, readable (its fingerprint is a fact, compared
 * across nodes by the caller), and opened by automatic opening here.
 */
static void
check_keystore(struct chk *c, const char *ks)
{
	struct json_object	*o;
	struct ks_key		 key;
	struct stat		 st;
	char			 fpr[KS_FPR_HEX], err[512], fix[PATH_MAX + 96];
	int			 i;

	i = pgc_mount_by_name(c, ks);
	if (i < 0 && stat(ks, &st) == 0)
		for (i = c->nmounts - 1; i >= 0; i--)
			if (c->mounted[i] && c->mdev[i] == st.st_dev)
				break;
	if (i >= 0) {
		pgc_finding(c, "error", "keystore", ks, "keep the keystore on "
		    "each node's local disk, the same path on every node "
		    "(not below a mountpoint of the group)", "keystore %s is "
		    "on the group's shared disk %s: automatic opening is "
		    "bound to one node, and the disk is not there before "
		    "the key opens it", ks, c->mnt[i]);
		return;
	}
	if (ks_fingerprint(ks, fpr, err, sizeof(err)) == -1) {
		snprintf(fix, sizeof(fix), "copy the keystore from a node "
		    "where pgha validate finds it to %s here", ks);
		pgc_finding(c, "error", "keystore", ks, fix, "%s", err);
		return;
	}
	o = pgc_kind_obj("fact");
	pgc_jstr(o, "name", "keystore");
	pgc_jstr(o, "path", ks);
	pgc_jstr(o, "fingerprint", fpr);
	pgc_emit(o);
	pgc_passed("keystore", "keystore %s is on a local disk, master key "
	    "fingerprint %.16s", ks, fpr);
	if (ks_auto_open(ks, &key, err, sizeof(err)) == -1) {
		snprintf(fix, sizeof(fix), "pgha keystore auto-open "
		    "--keystore %s (on this node)", ks);
		pgc_finding(c, "error", "keystore", ks, fix, "automatic opening "
		    "of keystore %s does not work on this node, so the "
		    "encrypted disk cannot come online here: %s", ks, err);
		return;
	}
	ks_key_wipe(&key);
	pgc_passed("keystore", "automatic opening of keystore %s works on this "
	    "node", ks);
}

/* PGHA_GROUP_KEYSTORES: the keystores of the group's encrypted disks. */
static void
check_keystores(struct chk *c)
{
	const char	*env = getenv(AGENT_ENV_GROUP_KEYSTORES);
	char		*buf, *p, *save = NULL;

	if (env == NULL || *env == '\0')
		return;
	buf = xstrdup(env);
	for (p = strtok_r(buf, " \t", &save); p != NULL;
	    p = strtok_r(NULL, " \t", &save))
		check_keystore(c, p);
	free(buf);
}

static void
binary_passed(const struct chk *c, const char *path)
{
	switch (c->bin.how) {
	case PGB_CONFIGURED:
		pgc_passed("bindir", "%s is executable (bindir configured)",
		    path);
		break;
	case PGB_PG_VERSION:
		pgc_passed("bindir", "PostgreSQL %d (%s): %s is executable",
		    c->bin.major, c->bin.file, path);
		if (c->here)
			pgc_fact_local_path("bindir", path);
		break;
	case PGB_NEWEST:
		pgc_passed("bindir", "PostgreSQL %d, the newest installed (no "
		    "%s/PG_VERSION here): %s is executable", c->bin.major,
		    c->data, path);
		break;
	}
}

/*
 * The server's binaries, as the agent finds them (pgbindir.c).  Found
 * from PG_VERSION where the group runs, the version is a fact for the
 * other nodes: round 2 checks there that the same binary is installed
 * (check_env_paths), or a failover would find no server to start.
 */
static void
check_binary(struct chk *c)
{
	char	path[PATH_MAX + 16];

	if (!c->bin_ok) {
		pgc_finding(c, "error", "bindir", c->bin.file[0] != '\0' ?
		    c->bin.file : NULL, "install the PostgreSQL server the "
		    "message names (postgresql-N), or set bindir", "%s",
		    c->bin_err);
		return;
	}
	snprintf(path, sizeof(path), "%s/postgres", c->bindir);
	if (access(path, X_OK) == 0) {
		binary_passed(c, path);
		return;
	}
	pgc_finding(c, "error", "bindir", path, "install the PostgreSQL server "
	    "(postgresql-NN) or correct bindir", "%s is not executable "
	    "here (%s)", path, strerror(errno));
}

/* A directory the agent creates itself at start: it, or its parent. */
static void
check_creatable(struct chk *c, const char *key, const char *path, bool dir)
{
	char		parent[PATH_MAX], fix[PATH_MAX + 32], *slash;
	struct stat	st;

	snprintf(parent, sizeof(parent), "%s", path);
	if ((slash = strrchr(parent, '/')) != NULL)
		*slash = '\0';
	if (parent[0] == '\0')
		snprintf(parent, sizeof(parent), "/");
	if (dir && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		pgc_passed(key, "%s exists", path);
		return;
	}
	if (stat(parent, &st) == 0 && S_ISDIR(st.st_mode)) {
		pgc_passed(key, "%s can be created (%s exists)", path, parent);
		return;
	}
	snprintf(fix, sizeof(fix), "mkdir -p %s", parent);
	pgc_finding(c, "error", key, path, fix, "neither %s nor its directory "
	    "%s exists on this node", path, parent);
}

static enum pkind
setting_kind(const char *setting)
{
	for (size_t i = 0; i < nitems(path_settings); i++) {
		if (strcmp(path_settings[i].name, setting) == 0)
			return path_settings[i].kind;
	}
	return PK_DIR;
}

/* The path that must exist for a setting's path to work here. */
static void
needed_path(enum pkind kind, const char *path, char *buf, size_t len)
{
	char	*slash;

	snprintf(buf, len, "%s", path);
	if (kind == PK_PIDFILE && (slash = strrchr(buf, '/')) != NULL)
		*(slash == buf ? slash + 1 : slash) = '\0';
}

static bool
path_exists(enum pkind kind, const char *path)
{
	struct stat	st;

	if (stat(path, &st) == -1)
		return false;
	return kind == PK_FILE ? !S_ISDIR(st.st_mode) : S_ISDIR(st.st_mode);
}

static void
missing_fix(const struct chk *c, enum pkind kind, const char *path,
    char *fix, size_t len)
{
	if (kind == PK_FILE)
		snprintf(fix, len, "copy %s from the node where the group "
		    "runs (same owner and mode)", path);
	else
		snprintf(fix, len, "mkdir -p %s && chown %s: %s", path,
		    c->user, path);
}

/* The server binary that runs the data directory where the group runs. */
static void
check_env_binary(struct chk *c, const char *path)
{
	char	fix[PATH_MAX + 96];
	int	major;

	if (access(path, X_OK) == 0) {
		pgc_passed("local_path", "%s (the version of the data "
		    "directory) is installed on this node", path);
		return;
	}
	/* PGBINDIR_LIBDIR/N/bin/postgres names the package. */
	if (sscanf(path, PGBINDIR_LIBDIR "/%d/bin/postgres", &major) == 1)
		snprintf(fix, sizeof(fix), "install postgresql-%d on this "
		    "node (apt-get install postgresql-%d)", major, major);
	else
		snprintf(fix, sizeof(fix), "install the PostgreSQL server "
		    "that provides %s on this node", path);
	pgc_finding(c, "error", "bindir", path, fix, "%s (the version of the "
	    "data directory where the group runs) is not installed on this "
	    "node: the group could not start here after a failover", path);
}

/* PGHA_CHECK_PATHS: local paths the group's node uses, checked here. */
static void
check_env_paths(struct chk *c)
{
	const char	*env = getenv(AGENT_ENV_CHECK_PATHS);
	char		*buf, *p, *eq, *save = NULL;
	char		 need[PATH_MAX], fix[3 * PATH_MAX];
	enum pkind	 kind;

	buf = xstrdup(env ? env : "");
	for (p = strtok_r(buf, " \t", &save); p != NULL;
	    p = strtok_r(NULL, " \t", &save)) {
		if ((eq = strchr(p, '=')) == NULL || eq[1] != '/') {
			log_warnx(AGENT_ENV_CHECK_PATHS ": \"%s\" is not "
			    "setting=/path; ignored", p);
			continue;
		}
		*eq = '\0';
		if (strcmp(p, "bindir") == 0) {
			check_env_binary(c, eq + 1);
			continue;
		}
		kind = setting_kind(p);
		needed_path(kind, eq + 1, need, sizeof(need));
		if (path_exists(kind, need)) {
			pgc_passed("local_path", "%s %s exists on this node", p,
			    need);
			continue;
		}
		missing_fix(c, kind, need, fix, sizeof(fix));
		pgc_finding(c, "error", p, need, fix, "%s %s (set in the "
		    "server's configuration where the group runs) does not "
		    "exist on this node", p, need);
	}
	free(buf);
}

/* ---- the layout on the group's disks (PGHA_GROUP_HERE=1) -------------- */

/* Where data, WAL, tablespaces and backups are: st_dev, 0 if unknown. */
struct layout {
	char	data[PATH_MAX];		/* canonical */
	dev_t	data_dev;
	dev_t	wal_dev;
	dev_t	backup_dev;
	dev_t	tblspc_dev[64];
	char	tblspc[64][NAME_LEN];
	int	ntblspc;
};

/*
 * The block device behind dev (from sysfs, which names it as the kernel
 * does) into buf; -1 when it has none (not a block device's file system).
 */
static int
dev_path(dev_t dev, char *buf, size_t len)
{
	char	path[64], line[256];
	FILE	*f;
	int	r = -1;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent",
	    major(dev), minor(dev));
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (r == -1 && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "DEVNAME=", 8) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (snprintf(buf, len, "/dev/%s", line + 8) < (int)len)
			r = 0;
	}
	fclose(f);
	return r;
}

#define EXT4_SB_OFFSET		1024
#define EXT4_SB_MAGIC		0xEF53
#define EXT4_INCOMPAT_MMP	0x0100

/*
 * ext4 without multi-mount protection: nothing but pgha keeps a second
 * host from mounting the disk (a mount by hand on the standby, a node
 * that wakes from a freeze).  Other file systems are not looked at.
 */
static void
check_mmp(struct chk *c, const char *mnt, dev_t dev)
{
	unsigned char	sb[0x64];
	char		path[PATH_MAX], fix[PATH_MAX + 128];
	int		fd;
	ssize_t		n;

	if (dev_path(dev, path, sizeof(path)) == -1 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = pread(fd, sb, sizeof(sb), EXT4_SB_OFFSET);
	close(fd);
	if (n != (ssize_t)sizeof(sb) ||
	    (sb[0x38] | sb[0x39] << 8) != EXT4_SB_MAGIC)
		return;
	if ((sb[0x60] | sb[0x61] << 8) & EXT4_INCOMPAT_MMP) {
		pgc_passed("mmp", "group disk %s (%s) has ext4 multi-mount "
		    "protection", mnt, path);
		return;
	}
	snprintf(fix, sizeof(fix), "with the group offline: tune2fs -O mmp "
	    "-E mmp_update_interval=1 %s (see docs/deploy.md)", path);
	pgc_finding(c, "warning", "mountpoint", mnt, fix, "group disk %s (%s) "
	    "has no ext4 multi-mount protection: nothing but pgha keeps "
	    "another host from mounting it while it is in use here", mnt,
	    path);
}

static void
check_mounted(struct chk *c)
{
	char	fix[PATH_MAX + 64];

	for (int i = 0; i < c->nmounts; i++) {
		if (c->mounted[i]) {
			pgc_passed("mount", "group disk %s is mounted",
			    c->mnt[i]);
			check_mmp(c, c->mnt[i], c->mdev[i]);
			continue;
		}
		snprintf(fix, sizeof(fix), "pgha resource online for the "
		    "disk resource of %s", c->mnt[i]);
		pgc_finding(c, "error", "mountpoint", c->mnt[i], fix,
		    "%s is not a mount point, though the group's disks are "
		    "said to be mounted here", c->mnt[i]);
	}
	if (c->nmounts == 0)
		pgc_finding(c, "error", "mountpoint", NULL, "add a disk resource "
		    "to the group and make the postgresql resource require "
		    "it", "the group has no disk resource: the data would "
		    "not follow the group to another node");
}

/*
 * path lies on a mounted group disk; an error naming key otherwise.
 * Returns its st_dev, 0 when it is missing or elsewhere.
 */
static dev_t
on_disk(struct chk *c, const char *key, const char *path, const char *what)
{
	char	mounts[1024], fix[2048];
	dev_t	dev = 0;
	int	i;

	pgc_mount_list(c, mounts, sizeof(mounts));
	if ((i = pgc_disk_of(c, path, &dev)) >= 0) {
		pgc_passed(key, "%s %s is on group disk %s", what, path,
		    c->mnt[i]);
		return dev;
	}
	if (i == -2) {
		pgc_finding(c, "error", key, path, "create it on a group disk "
		    "(pgha db init for a new cluster) or correct the "
		    "parameter", "%s %s does not exist (%s)", what, path,
		    strerror(errno));
		return 0;
	}
	snprintf(fix, sizeof(fix), "move %s onto one of the group's disks "
	    "(%s) and point %s there", path, mounts, key);
	pgc_finding(c, "error", key, path, fix, "%s %s is not on any of the "
	    "group's disks: another node taking the group over would not "
	    "see it", what, path);
	return 0;
}

static int
read_first_line(const struct chk *c, const char *path, char *buf,
    size_t len)
{
	FILE	*f;
	int	 r = -1;

	if ((f = pgc_user_fopen(c, path)) == NULL)
		return -1;
	if (fgets(buf, (int)len, f) != NULL) {
		buf[strcspn(buf, "\r\n")] = '\0';
		r = 0;
	}
	fclose(f);
	return r;
}

/*
 * Run argv (no shell) as the server's user (nobody if it does not exist)
 * and read its stdout until the deadline.
 */
static int
run_capture(const struct chk *c, char *const argv[], char *out, size_t len)
{
	struct agent_spawn	 sp = { .argv = argv,
				    .pgrp = AGENT_SPAWN_SAME_GROUP,
				    .in = AGENT_SPAWN_KEEP, .err = AGENT_SPAWN_KEEP,
				    .uid = c->user_ok ? c->uid : NOBODY_ID,
				    .gid = c->user_ok ? c->gid : NOBODY_ID };
	int	 pfd[2], status;
	size_t	 n = 0;
	ssize_t	 r;
	pid_t	 pid;

	sp.as_user = getuid() == 0 && sp.uid != 0;
	if (pipe2(pfd, O_CLOEXEC) == -1)
		return -1;
	sp.out = pfd[1];
	if ((pid = agent_spawn(&sp)) == -1) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd	p = { .fd = pfd[0], .events = POLLIN };
		uint64_t	left = agent_remaining_ms();

		if (left == 0 || poll(&p, 1, (int)left) <= 0 ||
		    (r = read(pfd[0], out + n, len - 1 - n)) <= 0 ||
		    (n += (size_t)r) == len - 1)
			break;
	}
	out[n] = '\0';
	close(pfd[0]);
	if (agent_spawn_wait(pid, false, 0, &status) == -1)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* PG_VERSION against "postgres (PostgreSQL) 15.4 ..." */
static void
check_version(struct chk *c, const struct layout *l)
{
	char	 bin[PATH_MAX], file[PATH_MAX + 16], ver[64], out[256];
	char	*argv[] = { bin, "--version", NULL }, *p, fix[PATH_MAX + 64];

	snprintf(bin, sizeof(bin), "%s/postgres", c->bindir);
	snprintf(file, sizeof(file), "%s/PG_VERSION", l->data);
	if (read_first_line(c, file, ver, sizeof(ver)) == -1) {
		pgc_finding(c, "error", "data", file, "pgha db init creates a "
		    "database cluster", "%s cannot be read (%s): %s is not "
		    "a database cluster", file, pgc_user_fopen_err(errno),
		    l->data);
		return;
	}
	if (!c->bin_ok)
		return;		/* said by check_binary */
	if (run_capture(c, argv, out, sizeof(out)) == -1 ||
	    (p = strstr(out, ") ")) == NULL) {
		pgc_finding(c, "error", "bindir", bin, NULL, "%s --version "
		    "failed: the server's version cannot be compared with "
		    "PG_VERSION %s", bin, ver);
		return;
	}
	p += 2;
	if (strncmp(p, ver, strlen(ver)) == 0 &&
	    !isdigit((unsigned char)p[strlen(ver)])) {
		pgc_passed("version", "PG_VERSION %s matches %s", ver, bin);
		return;
	}
	p[strcspn(p, " \n")] = '\0';
	snprintf(fix, sizeof(fix), "set bindir to the binaries of "
	    "PostgreSQL %s, or unset it (pgha then runs %s/%s/bin)", ver,
	    PGBINDIR_LIBDIR, ver);
	pgc_finding(c, "error", "bindir", bin, fix, "the data directory is "
	    "PostgreSQL %s but %s is version %s", ver, bin, p);
}

static void
check_data(struct chk *c, struct layout *l)
{
	struct stat	st;
	char		fix[PATH_MAX + 64];

	l->data_dev = on_disk(c, "data", c->data, "data directory");
	if (realpath(c->data, l->data) == NULL) {
		snprintf(l->data, sizeof(l->data), "%s", c->data);
		return;
	}
	if (stat(l->data, &st) == -1)
		return;
	if (!c->user_ok)
		;	/* said by check_user */
	else if (st.st_uid != c->uid) {
		snprintf(fix, sizeof(fix), "chown -R %s: %s", c->user,
		    l->data);
		pgc_finding(c, "error", "data", l->data, fix, "%s is owned by "
		    "uid %d, not by %s (uid %d): postgres will not start",
		    l->data, (int)st.st_uid, c->user, (int)c->uid);
	} else
		pgc_passed("data_owner", "%s is owned by %s", l->data, c->user);
	check_version(c, l);
}

static void
check_wal(struct chk *c, struct layout *l)
{
	char	wal[PATH_MAX + 16], real[PATH_MAX], want[PATH_MAX];
	char	fix[3 * PATH_MAX];

	snprintf(wal, sizeof(wal), "%s/pg_wal", l->data);
	if (realpath(wal, real) == NULL) {
		pgc_finding(c, "error", "waldir", wal, NULL, "%s cannot be "
		    "resolved (%s): no WAL directory", wal, strerror(errno));
		return;
	}
	l->wal_dev = on_disk(c, "waldir", real, "WAL directory");
	if (c->waldir[0] != '\0') {
		if (realpath(c->waldir, want) == NULL)
			snprintf(want, sizeof(want), "%s", c->waldir);
		if (strcmp(want, real) != 0) {
			snprintf(fix, sizeof(fix), "set waldir = %s in the "
			    "resource, or move the WAL to %s and make %s a "
			    "symbolic link to it", real, c->waldir, wal);
			pgc_finding(c, "error", "waldir", real, fix, "pg_wal is "
			    "%s but the resource's waldir is %s", real,
			    c->waldir);
		} else
			pgc_passed("waldir", "pg_wal is waldir %s", real);
	}
	if (l->data_dev != 0 && l->data_dev == l->wal_dev) {
		snprintf(fix, sizeof(fix), "put the WAL on another disk of "
		    "the group (initdb --waldir, or move %s there and "
		    "symlink it) and set waldir", wal);
		pgc_finding(c, "warning", "waldir", real, fix, "data directory "
		    "and WAL are on the same disk; separate disks spread "
		    "the I/O load");
	}
}

static void
check_tablespaces(struct chk *c, struct layout *l)
{
	char		 dir[PATH_MAX + 16], link[2 * PATH_MAX];
	char		 real[PATH_MAX], key[NAME_LEN + 16];
	struct dirent	*de;
	DIR		*d;

	snprintf(dir, sizeof(dir), "%s/pg_tblspc", l->data);
	if ((d = opendir(dir)) == NULL)
		return;		/* no cluster: said by check_version */
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		snprintf(key, sizeof(key), "tablespace %s", de->d_name);
		if (realpath(link, real) == NULL)
			snprintf(real, sizeof(real), "%s", link);
		if (l->ntblspc == (int)nitems(l->tblspc_dev))
			break;
		l->tblspc_dev[l->ntblspc] = on_disk(c, "tablespace", real,
		    key);
		snprintf(l->tblspc[l->ntblspc++], NAME_LEN, "%s",
		    de->d_name);
	}
	closedir(d);
}

/* Guide 3.2.2: backups apart from the data, in case a file system breaks. */
static void
check_backup(struct chk *c, struct layout *l)
{
	char	fix[PATH_MAX + 128];

	if (c->backup_dir[0] == '\0')
		return;
	l->backup_dev = on_disk(c, "backup_dir", c->backup_dir,
	    "backup directory");
	if (l->backup_dev == 0)
		return;
	snprintf(fix, sizeof(fix), "add a disk resource to the group and "
	    "set backup_dir to a directory on it (not on the disk of %s)",
	    c->data);
	if (l->backup_dev == l->data_dev)
		pgc_finding(c, "warning", "backup_dir", c->backup_dir, fix,
		    "backup directory and data directory are on the same "
		    "disk: a corrupted file system would take both");
	for (int i = 0; i < l->ntblspc; i++) {
		if (l->tblspc_dev[i] == l->backup_dev)
			pgc_finding(c, "warning", "backup_dir", c->backup_dir,
			    fix, "backup directory and tablespace %s are on "
			    "the same disk: a corrupted file system would "
			    "take both", l->tblspc[i]);
	}
}

/* ---- settings in postgresql.conf (PGHA_GROUP_HERE=1) ------------------ */

static void
check_restart_after_crash(struct chk *c, const struct pgconf *cf,
    const char *main_file)
{
	const struct setting	*s = pgconf_get(cf, "restart_after_crash");
	char			 fix[PATH_MAX + 64];
	const char		*file;

	file = s != NULL ? s->file : main_file;
	snprintf(fix, sizeof(fix), "set restart_after_crash = off in %s",
	    file);
	if (s != NULL && pgconf_bool(s->value) == 0) {
		pgc_passed("restart_after_crash", "restart_after_crash is off");
		return;
	}
	if (s == NULL) {
		pgc_finding(c, "warning", "restart_after_crash", NULL, fix,
		    "restart_after_crash is not set and defaults to on; "
		    "pgha starts the server with it off, but one started by "
		    "hand would restart in place after a crash");
		return;
	}
	pgc_finding(c, "error", "restart_after_crash", s->file, fix,
	    "%s:%d: restart_after_crash = %s: a crashed server must be a "
	    "failure the cluster handles (pgha forces it off on the "
	    "command line anyway, pg_ctl by hand would not)", s->file,
	    s->line, s->value);
}

/*
 * Durability: a commit acknowledged to a client must survive a power loss
 * of its node.  fsync and full_page_writes off lose or tear what the next
 * owner reads; pgha forces both on on the command line, a server started
 * by hand would run without them.  synchronous_commit = off acknowledges
 * a commit before its WAL is flushed, and pgha cannot force it (a client
 * may SET it), so the file must not.
 */
static void
check_flush_setting(struct chk *c, const struct pgconf *cf, const char *name,
    bool forced)
{
	const struct setting	*s = pgconf_get(cf, name);
	char			 fix[PATH_MAX + 64];

	if (s == NULL || pgconf_bool(s->value) != 0)
		return;
	snprintf(fix, sizeof(fix), "set %s = on in %s (or remove it)", name,
	    s->file);
	if (forced)
		pgc_finding(c, "error", name, s->file, fix, "%s:%d: %s = %s: "
		    "after a power loss, commits acknowledged to clients "
		    "are lost or the database is corrupted (pgha forces it "
		    "on on the command line, pg_ctl by hand would not)",
		    s->file, s->line, name, s->value);
	else
		pgc_finding(c, "error", name, s->file, fix, "%s:%d: %s = %s: "
		    "a commit is acknowledged before its WAL is on disk, so "
		    "a power loss or failover loses the last commits "
		    "clients were told were done", s->file, s->line, name,
		    s->value);
}

/* fdatasync, Linux's default, is what the lab's power-loss test checks. */
static void
check_wal_sync_method(struct chk *c, const struct pgconf *cf)
{
	const struct setting	*s = pgconf_get(cf, "wal_sync_method");
	char			 fix[PATH_MAX + 128];

	if (s == NULL || strcasecmp(s->value, "fdatasync") == 0)
		return;
	snprintf(fix, sizeof(fix), "remove wal_sync_method from %s (the "
	    "default is fdatasync), or check %s with pg_test_fsync on the "
	    "group's disk", s->file, s->value);
	pgc_finding(c, "warning", "wal_sync_method", s->file, fix, "%s:%d: "
	    "wal_sync_method = %s: not the default (fdatasync); a method "
	    "the disk does not honour loses acknowledged commits on a "
	    "power loss", s->file, s->line, s->value);
}

/* pg_controldata says whether initdb made the cluster with checksums. */
static void
check_data_checksums(struct chk *c, const char *data)
{
	char	 bin[PATH_MAX], out[4096], fix[2 * PATH_MAX + 96];
	char	*argv[] = { bin, "-D", (char *)data, NULL }, *p;

	if (!c->bin_ok)
		return;		/* said by check_binary */
	snprintf(bin, sizeof(bin), "%s/pg_controldata", c->bindir);
	if (run_capture(c, argv, out, sizeof(out)) == -1 ||
	    (p = strstr(out, "Data page checksum version:")) == NULL)
		return;		/* unreadable or translated: nothing to say */
	p += strlen("Data page checksum version:");
	p += strspn(p, " \t");
	if (*p != '0') {
		pgc_passed("data_checksums", "data checksums are on");
		return;
	}
	snprintf(fix, sizeof(fix), "with the group offline and the disk "
	    "mounted: %s/pg_checksums --enable -D %s", c->bindir, data);
	pgc_finding(c, "warning", "data_checksums", data, fix, "data checksums "
	    "are off in %s: a page the disk lost or tore is read back "
	    "without an error", data);
}

static void
check_durability(struct chk *c, const struct pgconf *cf, const char *data)
{
	int	before = c->nerrors;

	check_flush_setting(c, cf, "fsync", true);
	check_flush_setting(c, cf, "full_page_writes", true);
	check_flush_setting(c, cf, "synchronous_commit", false);
	if (c->nerrors == before)
		pgc_passed("durability", "fsync, full_page_writes and "
		    "synchronous_commit are not off");
	check_wal_sync_method(c, cf);
	check_data_checksums(c, data);
}

static void
check_port_setting(struct chk *c, const struct pgconf *cf)
{
	const struct setting	*s = pgconf_get(cf, "port");
	char			 fix[PATH_MAX + 64];

	if (s == NULL) {
		pgc_passed("port_setting", "postgresql.conf sets no port; pgha "
		    "starts the server with -p %ld", c->port);
		return;
	}
	if (strtol(s->value, NULL, 10) == c->port) {
		pgc_passed("port_setting", "postgresql.conf agrees with port %ld",
		    c->port);
		return;
	}
	snprintf(fix, sizeof(fix), "set port = %ld in %s", c->port, s->file);
	pgc_finding(c, "warning", "port", s->file, fix, "%s:%d: port = %s but "
	    "the resource's port is %ld: pgha starts the server on %ld, "
	    "pg_ctl by hand would use %s", s->file, s->line, s->value,
	    c->port, c->port, s->value);
}

/* data_directory in the config would run the server on other files. */
static void
check_data_directory(struct chk *c, const char *path, const char *data)
{
	char	real[PATH_MAX];

	if (realpath(path, real) == NULL || strcmp(real, data) == 0)
		return;
	pgc_finding(c, "error", "data_directory", path, "remove data_directory "
	    "from postgresql.conf", "data_directory = %s: the server would "
	    "use %s instead of the data directory %s", path, path, data);
}

/* One absolute path a setting names: here, and on a group disk or not. */
static void
check_conf_path(struct chk *c, const char *setting, const char *path,
    const struct layout *l)
{
	enum pkind	kind = setting_kind(setting);
	char		need[PATH_MAX], fix[3 * PATH_MAX];
	int		i;

	needed_path(kind, path, need, sizeof(need));
	if (!path_exists(kind, need)) {
		missing_fix(c, kind, need, fix, sizeof(fix));
		/* pgha passes its own socket_dir on the command line */
		pgc_finding(c, kind == PK_DIRLIST ? "warning" : "error", setting,
		    need, fix, "%s %s does not exist%s", setting, need,
		    kind == PK_DIRLIST ? " (pgha starts the server with "
		    "socket_dir instead; pg_ctl by hand would fail)" :
		    ": postgres will fail to use it");
		return;
	}
	if (strcmp(setting, "data_directory") == 0)
		check_data_directory(c, path, l->data);
	if ((i = pgc_disk_of(c, need, NULL)) >= 0) {
		pgc_passed("conf_path", "%s %s is on group disk %s", setting, need,
		    c->mnt[i]);
		return;
	}
	/* Every node needs its own copy: the caller checks the others. */
	pgc_fact_local_path(setting, need);
	pgc_passed("conf_path", "%s %s exists here (a local path: to be checked "
	    "on every node)", setting, need);
}

/* unix_socket_directories: comma-separated, maybe double-quoted. */
static void
check_dirlist(struct chk *c, const char *setting, const char *val,
    const struct layout *l)
{
	char	*buf = xstrdup(val), *p, *save = NULL, *e;

	for (p = strtok_r(buf, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*p) || *p == '"')
			p++;
		e = p + strlen(p);
		while (e > p && (isspace((unsigned char)e[-1]) ||
		    e[-1] == '"'))
			*--e = '\0';
		/*
		 * '@' is Linux's abstract namespace, relative is in DATA,
		 * and socket_dir the agent creates at start on each node.
		 */
		if (p[0] == '/' && strcmp(p, c->socket_dir) != 0)
			check_conf_path(c, setting, p, l);
	}
	free(buf);
}

/*
 * With config_dir the command line's data_directory wins (as with
 * pg_ctlcluster), but pg_ctlcluster or Debian's postgresql@ unit would
 * start a server on the file's, perhaps a stale copy.
 */
static void
check_confdir_data(struct chk *c, const struct pgconf *cf, const char *data)
{
	const struct setting	*s = pgconf_get(cf, "data_directory");
	char			 real[PATH_MAX], fix[2 * PATH_MAX + 64];

	if (s == NULL) {
		snprintf(fix, sizeof(fix), "add data_directory = '%s' to "
		    "%s/postgresql.conf", c->data, c->config_dir);
		pgc_finding(c, "warning", "data_directory", c->config_dir, fix,
		    "%s/postgresql.conf sets no data_directory: pgha starts "
		    "the server on %s, pg_ctlcluster by hand would fail",
		    c->config_dir, c->data);
		return;
	}
	if (realpath(s->value, real) != NULL && strcmp(real, data) == 0) {
		pgc_passed("data_directory", "data_directory in %s is the "
		    "resource's data %s", s->file, c->data);
		return;
	}
	snprintf(fix, sizeof(fix), "set data_directory = '%s' in %s", c->data,
	    s->file);
	pgc_finding(c, "error", "data_directory", s->file, fix, "%s:%d: "
	    "data_directory = %s but the resource's data is %s: pgha starts "
	    "the server on %s, pg_ctlcluster or the postgresql@ unit would "
	    "use %s", s->file, s->line, s->value, c->data, c->data,
	    s->value);
}

/* The files a config_dir server reads there unless postgresql.conf says. */
static void
check_confdir_files(struct chk *c, const struct pgconf *cf, const char *data)
{
	static const char *const f[][2] = { { "hba_file", "pg_hba.conf" },
	    { "ident_file", "pg_ident.conf" } };
	char	path[PATH_MAX], fix[2 * PATH_MAX + 64];

	for (size_t i = 0; i < nitems(f); i++) {
		if (pgconf_get(cf, f[i][0]) != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", c->config_dir, f[i][1]);
		if (access(path, F_OK) == 0)
			continue;
		snprintf(fix, sizeof(fix), "put %s in %s on every node, or set "
		    "%s in %s/postgresql.conf", f[i][1], c->config_dir,
		    f[i][0], c->config_dir);
		pgc_finding(c, "error", f[i][0], path, fix, "%s does not exist "
		    "and %s/postgresql.conf sets no %s: postgres will not "
		    "start", path, c->config_dir, f[i][0]);
	}
	snprintf(path, sizeof(path), "%s/postgresql.conf", data);
	if (access(path, F_OK) == 0) {
		snprintf(fix, sizeof(fix), "move %s and the data directory's "
		    "pg_hba.conf and pg_ident.conf out of the way", path);
		pgc_finding(c, "warning", "config_dir", path, fix, "%s is not "
		    "read: with config_dir the server reads %s/postgresql.conf "
		    "instead; an edit of this one would change nothing",
		    path, c->config_dir);
	}
}

static void
check_conf_paths(struct chk *c, const struct pgconf *cf, const struct layout *l)
{
	const struct setting	*s;

	for (size_t i = 0; i < nitems(path_settings); i++) {
		if ((s = pgconf_get(cf, path_settings[i].name)) == NULL ||
		    s->value[0] == '\0')
			continue;
		if (c->config_dir[0] != '\0' &&
		    strcmp(s->name, "data_directory") == 0)
			continue;	/* check_confdir_data() */
		if (path_settings[i].kind == PK_DIRLIST)
			check_dirlist(c, s->name, s->value, l);
		else if (s->value[0] == '/')
			check_conf_path(c, s->name, s->value, l);
	}
	for (size_t i = 0; i < cf->nincl; i++)
		check_conf_path(c, "include", cf->incl[i], l);
}

static void
check_conf(struct chk *c, const struct layout *l)
{
	struct pgconf	cf;
	char		path[PATH_MAX + 32], main_file[PATH_MAX + 32];

	memset(&cf, 0, sizeof(cf));
	/* The server's: config_dir's postgresql.conf, data's auto.conf. */
	snprintf(main_file, sizeof(main_file), "%s/postgresql.conf",
	    c->config_dir[0] != '\0' ? c->config_dir : l->data);
	if (pgconf_read(c, &cf, main_file, 0, false) == 0) {
		snprintf(path, sizeof(path), "%s/postgresql.auto.conf",
		    l->data);
		(void)pgconf_read(c, &cf, path, 0, true);
		check_restart_after_crash(c, &cf, main_file);
		check_durability(c, &cf, l->data);
		check_port_setting(c, &cf);
		if (c->config_dir[0] != '\0') {
			check_confdir_data(c, &cf, l->data);
			check_confdir_files(c, &cf, l->data);
		}
		check_conf_paths(c, &cf, l);
	}
	pgconf_free(&cf);
}

/* ---- a node where the group is not active (PGHA_GROUP_HERE=0) --------- */

static void
check_mountpoints_here(struct chk *c)
{
	struct stat	st;
	char		fix[PATH_MAX + 64];
	int		i;

	for (i = 0; i < c->nmounts; i++) {
		if (c->mounted[i]) {
			snprintf(fix, sizeof(fix), "umount %s (and find out "
			    "who mounted it)", c->mnt[i]);
			pgc_finding(c, "error", "mountpoint", c->mnt[i], fix,
			    "%s is mounted on this node although the group "
			    "is not active here: two nodes writing one file "
			    "system corrupt it", c->mnt[i]);
		} else if (stat(c->mnt[i], &st) == 0 && S_ISDIR(st.st_mode))
			pgc_passed("mountpoint", "mountpoint %s exists and is "
			    "free", c->mnt[i]);
		else {
			snprintf(fix, sizeof(fix), "mkdir -p %s", c->mnt[i]);
			pgc_finding(c, "warning", "mountpoint", c->mnt[i], fix,
			    "mountpoint %s does not exist here (the disk "
			    "resource creates it at start)", c->mnt[i]);
		}
	}
	if ((i = pgc_mount_by_name(c, c->data)) == -1) {
		pgc_finding(c, "error", "data", c->data, "set data to a directory "
		    "below one of the group's mountpoints", "data directory "
		    "%s is below none of the group's mountpoints", c->data);
		return;
	}
	pgc_passed("data_mountpoint", "data directory %s is below mountpoint %s",
	    c->data, c->mnt[i]);
}

/* A data directory seen here is a copy outside the cluster's disks. */
static void
check_no_local_copy(struct chk *c)
{
	struct stat	st;
	char		fix[PATH_MAX + 64];
	int		i = pgc_mount_by_name(c, c->data);

	if (stat(c->data, &st) == -1) {
		pgc_passed("no_local_copy", "no data directory %s on this node "
		    "while the disks are elsewhere", c->data);
		return;
	}
	if (i >= 0 && c->mounted[i])
		return;		/* said by check_mountpoints_here */
	snprintf(fix, sizeof(fix), "move %s out of the way (it is not the "
	    "group's data)", c->data);
	pgc_finding(c, "warning", "data", c->data, fix, "%s exists on this "
	    "node's own file system while the group's disks are not "
	    "mounted here: a stale local copy that could be started by "
	    "mistake", c->data);
}

struct sockowner {
	unsigned long	inode;
	pid_t		pid;
};

static int
sock_owner(pid_t pid, void *arg)
{
	struct sockowner	*so = arg;
	char			 dir[64], path[320], link[64], want[64];
	struct dirent		*de;
	DIR			*d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	snprintf(want, sizeof(want), "socket:[%lu]", so->inode);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && so->pid == 0) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (agent_readlink(path, link, sizeof(link)) == 0 &&
		    strcmp(link, want) == 0)
			so->pid = pid;
	}
	closedir(d);
	return so->pid != 0;
}

/* The inode of a TCP socket listening on port, asked of the kernel. */
static unsigned long
listen_inode(long port)
{
	long long	 inode = sockdiag_listen_inode((uint16_t)port);

	return inode > 0 ? (unsigned long)inode : 0;
}

/* Would postgres (listen_addresses '*') get the port: 1 yes, 0 no. */
static int
port_free(long port)
{
	struct sockaddr_in	sin = { .sin_family = AF_INET };
	struct sockaddr_in6	sin6 = { .sin6_family = AF_INET6 };
	int			fd, on = 1, r = 1;

	sin.sin_port = htons((uint16_t)port);
	sin6.sin6_port = htons((uint16_t)port);
	sin6.sin6_addr = in6addr_any;
	/* postgres sets SO_REUSEADDR too: TIME_WAIT does not count */
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
		    errno == EADDRINUSE)
			r = 0;
		close(fd);
	}
	if (r && (fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) !=
	    -1) {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on));
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    sizeof(on));
		if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1 &&
		    errno == EADDRINUSE)
			r = 0;
		close(fd);
	}
	return r;
}

static void
check_port_free(struct chk *c)
{
	struct json_object	*o = pgc_kind_obj("fact");
	struct sockowner	 so = { 0, 0 };
	char			 who[128] = "", comm[64], fix[256];
	int			 freep = port_free(c->port);

	pgc_jstr(o, "name", "port");
	json_object_object_add(o, "port", json_object_new_int64(c->port));
	json_object_object_add(o, "free", json_object_new_boolean(freep));
	pgc_emit(o);
	if (freep) {
		pgc_passed("port", "TCP port %ld is free on this node", c->port);
		return;
	}
	if ((so.inode = listen_inode(c->port)) != 0 &&
	    agent_proc_foreach(sock_owner, &so) != 0) {
		agent_proc_comm(so.pid, comm, sizeof(comm));
		snprintf(who, sizeof(who), " by pid %d (%s)", (int)so.pid,
		    comm);
	}
	snprintf(fix, sizeof(fix), "stop what listens on port %ld here, or "
	    "give the resource another port", c->port);
	pgc_finding(c, "error", "port", NULL, fix, "TCP port %ld is in use on "
	    "this node%s: postgres could not listen on it after a "
	    "failover", c->port, who);
}

/* ---- validate ---------------------------------------------------------- */

static void
validate_here(struct chk *c)
{
	struct layout	l;

	memset(&l, 0, sizeof(l));
	check_mounted(c);
	check_data(c, &l);
	if (l.data_dev == 0 && access(l.data, F_OK) == -1)
		return;		/* nothing more to look at */
	check_wal(c, &l);
	check_tablespaces(c, &l);
	check_backup(c, &l);
	check_conf(c, &l);
}

int
pgcheck_validate(void)
{
	struct chk	c;

	if (pgc_load(&c) == -1) {
		pgc_free(&c);
		return OCF_ERR_CONFIGURED;
	}
	check_user(&c);
	check_binary(&c);
	check_keystores(&c);
	if (c.config_dir[0] != '\0')
		pgc_check_config_dir(&c);
	check_creatable(&c, "socket_dir", c.socket_dir, true);
	/* A log on the shared disk is checked where the disk is. */
	if (c.logfile[0] != '\0' && (c.here ||
	    pgc_mount_by_name(&c, c.logfile) < 0))
		check_creatable(&c, "logfile", c.logfile, false);
	if (c.here)
		validate_here(&c);
	else {
		check_mountpoints_here(&c);
		check_port_free(&c);
		check_no_local_copy(&c);
	}
	check_env_paths(&c);
	pgc_free(&c);
	return OCF_SUCCESS;
}

