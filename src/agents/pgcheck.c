/*
 * pgcheck.c - what the postgresql agent's "validate" and "init" actions
 * share (see pgcheck.h, pgcheck_int.h): the resource's parameters, the
 * group's disks and mountpoints, files opened as the server's user, and
 * validate's output.
 *
 * "On a group disk" means: stat() of the path (symlinks followed) has the
 * st_dev of one of the group's mountpoints, and that mountpoint is a mount
 * point right now.  Data, WAL, tablespaces and backups must all be there,
 * or the node that takes the group over starts on other files (or none).
 *
 * validate never changes anything.  What it finds goes to stdout as JSON,
 * one object per line, for the caller to gather from every node: the
 * "fact" objects (user ids, local paths, the port) are what a single node
 * cannot judge alone.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_util.h"
#include "log.h"
#include "pgcheck_int.h"
#include "util.h"

/* ---- output ----------------------------------------------------------- */

void
pgc_jstr(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, json_object_new_string(val));
}

void
pgc_emit(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
}

struct json_object *
pgc_kind_obj(const char *kind)
{
	struct json_object	*o = json_object_new_object();

	pgc_jstr(o, "kind", kind);
	return o;
}

/* level "error" or "warning"; path and fix may be NULL. */
void
pgc_finding(struct chk *c, const char *level, const char *setting,
    const char *path, const char *fix, const char *fmt, ...)
{
	struct json_object	*o = pgc_kind_obj("finding");
	char			 msg[1024];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(level, "error") == 0)
		c->nerrors++;
	pgc_jstr(o, "level", level);
	pgc_jstr(o, "resource", c->res);
	pgc_jstr(o, "setting", setting);
	if (path != NULL)
		pgc_jstr(o, "path", path);
	pgc_jstr(o, "message", msg);
	if (fix != NULL)
		pgc_jstr(o, "fix", fix);
	pgc_emit(o);
}

void
pgc_passed(const char *check, const char *fmt, ...)
{
	struct json_object	*o = pgc_kind_obj("ok");
	char			 msg[1024];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pgc_jstr(o, "check", check);
	pgc_jstr(o, "message", msg);
	pgc_emit(o);
}

void
pgc_fact_local_path(const char *setting, const char *path)
{
	struct json_object	*o = pgc_kind_obj("fact");

	pgc_jstr(o, "name", "local_path");
	pgc_jstr(o, "setting", setting);
	pgc_jstr(o, "path", path);
	pgc_emit(o);
}

/* ---- parameters and the group's disks --------------------------------- */

static int
need_abs(const char *key, const char *v, bool optional)
{
	if ((optional && v[0] == '\0') || v[0] == '/')
		return 0;
	log_warnx("parameter %s: \"%s\" is not an absolute path", key, v);
	return -1;
}

/* A directory is a mount point if its parent is on another device. */
static bool
is_mountpoint(const char *path, dev_t *dev)
{
	struct stat	st, pst;
	char		parent[PATH_MAX + 4];

	if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode))
		return false;
	*dev = st.st_dev;
	snprintf(parent, sizeof(parent), "%s/..", path);
	if (stat(parent, &pst) == -1)
		return false;
	return pst.st_dev != st.st_dev || pst.st_ino == st.st_ino;
}

static int
load_mounts(struct chk *c)
{
	const char	*env = getenv(AGENT_ENV_GROUP_MOUNTS);
	char		*p, *save = NULL;

	c->mounts_buf = xstrdup(env ? env : "");
	for (p = strtok_r(c->mounts_buf, " \t", &save); p != NULL;
	    p = strtok_r(NULL, " \t", &save)) {
		if (p[0] != '/') {
			log_warnx(AGENT_ENV_GROUP_MOUNTS ": \"%s\" is not an "
			    "absolute path", p);
			return -1;
		}
		if (c->nmounts == MAX_MOUNTS) {
			log_warnx(AGENT_ENV_GROUP_MOUNTS ": more than %d "
			    "mountpoints", MAX_MOUNTS);
			return -1;
		}
		c->mnt[c->nmounts] = p;
		c->mounted[c->nmounts] = is_mountpoint(p,
		    &c->mdev[c->nmounts]);
		c->nmounts++;
	}
	return 0;
}

int
pgc_load(struct chk *c)
{
	const char	*here = getenv(AGENT_ENV_GROUP_HERE);
	const char	*res = getenv(AGENT_ENV_INSTANCE);
	struct passwd	*pw;

	memset(c, 0, sizeof(*c));
	c->res = res ? res : "";
	c->data = agent_param("data");
	c->waldir = agent_param("waldir");
	c->backup_dir = agent_param("backup_dir");
	c->config_dir = agent_param("config_dir");
	c->bindir = agent_param("bindir");	/* until found */
	c->socket_dir = agent_param("socket_dir");
	c->logfile = agent_param("logfile");
	c->user = agent_param("user");
	if (need_abs("data", c->data, false) == -1 ||
	    need_abs("bindir", c->bindir, true) == -1 ||
	    need_abs("socket_dir", c->socket_dir, false) == -1 ||
	    need_abs("logfile", c->logfile, true) == -1 ||
	    need_abs("waldir", c->waldir, true) == -1 ||
	    need_abs("backup_dir", c->backup_dir, true) == -1 ||
	    need_abs("config_dir", c->config_dir, true) == -1 ||
	    agent_param_int("port", 1, 65535, &c->port) == -1)
		return -1;
	if (c->user[0] == '\0') {
		log_warnx("parameter user is empty");
		return -1;
	}
	if (here == NULL || (strcmp(here, "1") != 0 && strcmp(here, "0"))) {
		log_warnx(AGENT_ENV_GROUP_HERE " must be 1 or 0");
		return -1;
	}
	c->here = here[0] == '1';
	/* A lookup that fails is validate's finding and init's refusal. */
	c->bin_ok = pgbindir_find("", c->bindir, c->data, &c->bin,
	    c->bin_err, sizeof(c->bin_err)) == 0;
	c->bindir = c->bin_ok ? c->bin.dir : "";
	if ((pw = getpwnam(c->user)) != NULL) {
		c->user_ok = true;
		c->uid = pw->pw_uid;
		c->gid = pw->pw_gid;
	}
	return load_mounts(c);
}

void
pgc_free(struct chk *c)
{
	free(c->mounts_buf);
}

/* Index of the mounted group disk path is on; -1 if none, -2 if no path. */
int
pgc_disk_of(const struct chk *c, const char *path, dev_t *dev)
{
	struct stat	st;

	if (stat(path, &st) == -1)
		return -2;
	if (dev != NULL)
		*dev = st.st_dev;
	for (int i = 0; i < c->nmounts; i++) {
		if (c->mounted[i] && c->mdev[i] == st.st_dev)
			return i;
	}
	return -1;
}

/* The group mountpoint whose path holds path (by name), or -1. */
int
pgc_mount_by_name(const struct chk *c, const char *path)
{
	int	best = -1;

	for (int i = 0; i < c->nmounts; i++) {
		if (agent_path_under(path, c->mnt[i]) && (best == -1 ||
		    strlen(c->mnt[i]) > strlen(c->mnt[best])))
			best = i;
	}
	return best;
}

void
pgc_mount_list(const struct chk *c, char *buf, size_t len)
{
	size_t	used = 0;

	buf[0] = '\0';
	for (int i = 0; i < c->nmounts && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s",
		    i ? " " : "", c->mnt[i]);
	if (c->nmounts == 0)
		snprintf(buf, len, "(none)");
}

/*
 * Effective ids of the server's user (nobody's if it does not exist)
 * around reading what its configuration names: root must not read a
 * root-only file for it, and show its lines.  -1 if they cannot be taken.
 */
int
pgc_as_server_user(const struct chk *c, bool on)
{
	uid_t	uid = c->user_ok ? c->uid : NOBODY_ID;
	gid_t	gid = c->user_ok ? c->gid : NOBODY_ID;

	if (getuid() != 0 || uid == 0)
		return 0;
	if (on)
		return setgroups(1, &gid) == -1 || setegid(gid) == -1 ||
		    seteuid(uid) == -1 ? -1 : 0;
	if (seteuid(0) == -1 || setegid(0) == -1 || setgroups(0, NULL) == -1)
		abort();	/* going on with the wrong ids */
	return 0;
}

/*
 * Open a file of the server's configuration as its user: a regular file
 * of at most CONF_FILE_MAX bytes (a FIFO would hang validate, /dev/zero
 * exhaust its memory).  NULL with errno set; EINVAL: not a regular file,
 * EFBIG: too big.
 */
FILE *
pgc_user_fopen(const struct chk *c, const char *path)
{
	struct stat	 st;
	FILE		*f;
	int		 fd, e;

	if (pgc_as_server_user(c, true) == -1)
		return NULL;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	e = errno;
	pgc_as_server_user(c, false);
	if (fd == -1) {
		errno = e;
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > CONF_FILE_MAX) {
		e = !S_ISREG(st.st_mode) ? EINVAL : EFBIG;
		close(fd);
		errno = e;
		return NULL;
	}
	if ((f = fdopen(fd, "r")) == NULL)
		close(fd);
	return f;
}

const char *
pgc_user_fopen_err(int e)
{
	static char	buf[128];

	if (e == EINVAL)
		return "not a regular file";
	if (e == EFBIG) {
		snprintf(buf, sizeof(buf), "larger than %d bytes",
		    CONF_FILE_MAX);
		return buf;
	}
	return strerror(e);
}

