/*
 * pgcheck.c - the postgresql agent's "validate" and "init" actions (see
 * pgcheck.h): the checks of the operation guide's 3.2.2 and 3.2.3 made on
 * one node, and the creation of the database cluster on the group's
 * shared disks.
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
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_util.h"
#include "keystore.h"
#include "pgcheck.h"
#include "util.h"

#define MAX_MOUNTS	16
#define CONF_DEPTH	10	/* include nesting, as PostgreSQL's limit */
#define CONF_FILE_MAX	(1024 * 1024)	/* bytes of one configuration file */
#define CONF_LINE_MAX	(64 * 1024)	/* bytes of one of its lines */
#define NOBODY_ID	65534
#define NAME_LEN	64

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

struct setting {
	char	 name[NAME_LEN];	/* lower case */
	char	*value;
	char	*file;			/* where it was (last) set */
	int	 line;
};

/* postgresql.conf, postgresql.auto.conf and what they include. */
struct conf {
	struct setting	*v;
	size_t		 n;
	char		**incl;		/* included files, canonical */
	size_t		 nincl;
};

struct chk {
	const char	*res;
	const char	*data;		/* as configured */
	const char	*waldir;	/* "" when unset */
	const char	*backup_dir;	/* "" when unset */
	const char	*bindir;
	const char	*socket_dir;
	const char	*logfile;
	const char	*user;
	long		 port;
	bool		 here;
	bool		 user_ok;
	uid_t		 uid;
	gid_t		 gid;
	int		 nmounts;
	char		*mnt[MAX_MOUNTS];
	dev_t		 mdev[MAX_MOUNTS];
	bool		 mounted[MAX_MOUNTS];
	char		*mounts_buf;
	int		 nerrors;
};

/* ---- output ----------------------------------------------------------- */

static void
jstr(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, json_object_new_string(val));
}

static void
emit(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
}

static struct json_object *
kind_obj(const char *kind)
{
	struct json_object	*o = json_object_new_object();

	jstr(o, "kind", kind);
	return o;
}

/* level "error" or "warning"; path and fix may be NULL. */
static void __attribute__((format(printf, 6, 7)))
finding(struct chk *c, const char *level, const char *setting,
    const char *path, const char *fix, const char *fmt, ...)
{
	struct json_object	*o = kind_obj("finding");
	char			 msg[1024];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(level, "error") == 0)
		c->nerrors++;
	jstr(o, "level", level);
	jstr(o, "resource", c->res);
	jstr(o, "setting", setting);
	if (path != NULL)
		jstr(o, "path", path);
	jstr(o, "message", msg);
	if (fix != NULL)
		jstr(o, "fix", fix);
	emit(o);
}

static void __attribute__((format(printf, 2, 3)))
passed(const char *check, const char *fmt, ...)
{
	struct json_object	*o = kind_obj("ok");
	char			 msg[1024];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jstr(o, "check", check);
	jstr(o, "message", msg);
	emit(o);
}

static void
fact_local_path(const char *setting, const char *path)
{
	struct json_object	*o = kind_obj("fact");

	jstr(o, "name", "local_path");
	jstr(o, "setting", setting);
	jstr(o, "path", path);
	emit(o);
}

/* ---- parameters and the group's disks --------------------------------- */

static int
need_abs(const char *key, const char *v, bool optional)
{
	if ((optional && v[0] == '\0') || v[0] == '/')
		return 0;
	agent_err("parameter %s: \"%s\" is not an absolute path", key, v);
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
			agent_err(AGENT_ENV_GROUP_MOUNTS ": \"%s\" is not an "
			    "absolute path", p);
			return -1;
		}
		if (c->nmounts == MAX_MOUNTS) {
			agent_err(AGENT_ENV_GROUP_MOUNTS ": more than %d "
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

static int
chk_load(struct chk *c)
{
	const char	*here = getenv(AGENT_ENV_GROUP_HERE);
	const char	*res = getenv(AGENT_ENV_INSTANCE);
	struct passwd	*pw;

	memset(c, 0, sizeof(*c));
	c->res = res ? res : "";
	c->data = agent_param("data");
	c->waldir = agent_param("waldir");
	c->backup_dir = agent_param("backup_dir");
	c->bindir = agent_param("bindir");
	c->socket_dir = agent_param("socket_dir");
	c->logfile = agent_param("logfile");
	c->user = agent_param("user");
	if (need_abs("data", c->data, false) == -1 ||
	    need_abs("bindir", c->bindir, false) == -1 ||
	    need_abs("socket_dir", c->socket_dir, false) == -1 ||
	    need_abs("logfile", c->logfile, true) == -1 ||
	    need_abs("waldir", c->waldir, true) == -1 ||
	    need_abs("backup_dir", c->backup_dir, true) == -1 ||
	    agent_param_int("port", 1, 65535, &c->port) == -1)
		return -1;
	if (c->user[0] == '\0') {
		agent_err("parameter user is empty");
		return -1;
	}
	if (here == NULL || (strcmp(here, "1") != 0 && strcmp(here, "0"))) {
		agent_err(AGENT_ENV_GROUP_HERE " must be 1 or 0");
		return -1;
	}
	c->here = here[0] == '1';
	if ((pw = getpwnam(c->user)) != NULL) {
		c->user_ok = true;
		c->uid = pw->pw_uid;
		c->gid = pw->pw_gid;
	}
	return load_mounts(c);
}

static void
chk_free(struct chk *c)
{
	free(c->mounts_buf);
}

/* Index of the mounted group disk path is on; -1 if none, -2 if no path. */
static int
disk_of(const struct chk *c, const char *path, dev_t *dev)
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
static int
mount_by_name(const struct chk *c, const char *path)
{
	int	best = -1;

	for (int i = 0; i < c->nmounts; i++) {
		if (agent_path_under(path, c->mnt[i]) && (best == -1 ||
		    strlen(c->mnt[i]) > strlen(c->mnt[best])))
			best = i;
	}
	return best;
}

static void
mount_list(const struct chk *c, char *buf, size_t len)
{
	size_t	used = 0;

	buf[0] = '\0';
	for (int i = 0; i < c->nmounts && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s",
		    i ? " " : "", c->mnt[i]);
	if (c->nmounts == 0)
		snprintf(buf, len, "(none)");
}

/* ---- postgresql.conf -------------------------------------------------- */

static void
conf_set(struct conf *cf, const char *name, const char *value,
    const char *file, int line)
{
	struct setting	*s = NULL;
	char		 lname[NAME_LEN];
	size_t		 i;

	for (i = 0; name[i] != '\0' && i < sizeof(lname) - 1; i++)
		lname[i] = (char)tolower((unsigned char)name[i]);
	lname[i] = '\0';
	for (i = 0; i < cf->n && s == NULL; i++) {
		if (strcmp(cf->v[i].name, lname) == 0)
			s = &cf->v[i];
	}
	if (s == NULL) {
		cf->v = xreallocarray(cf->v, cf->n + 1, sizeof(*cf->v));
		s = &cf->v[cf->n++];
		snprintf(s->name, sizeof(s->name), "%s", lname);
	} else {
		free(s->value);
		free(s->file);
	}
	s->value = xstrdup(value);
	s->file = xstrdup(file);
	s->line = line;
}

static const struct setting *
conf_get(const struct conf *cf, const char *name)
{
	for (size_t i = 0; i < cf->n; i++) {
		if (strcmp(cf->v[i].name, name) == 0)
			return &cf->v[i];
	}
	return NULL;
}

static void
conf_free(struct conf *cf)
{
	for (size_t i = 0; i < cf->n; i++) {
		free(cf->v[i].value);
		free(cf->v[i].file);
	}
	for (size_t i = 0; i < cf->nincl; i++)
		free(cf->incl[i]);
	free(cf->v);
	free(cf->incl);
}

/* A quoted value: '' and backslash escapes; -1 if unterminated. */
static int
parse_quoted(const char **sp, char *val, size_t vlen)
{
	const char	*s = *sp + 1;
	size_t		 n = 0;

	for (;;) {
		if (*s == '\0' || *s == '\n')
			return -1;
		if (*s == '\'' && s[1] == '\'')
			s++;
		else if (*s == '\'')
			break;
		else if (*s == '\\' && s[1] != '\0')
			s++;
		if (n < vlen - 1)
			val[n++] = *s;
		s++;
	}
	val[n] = '\0';
	*sp = s + 1;
	return 0;
}

/*
 * "name [=] value [# comment]", as PostgreSQL's guc-file.l reads it
 * (good enough for names and paths).  1 a setting, 0 nothing, -1 bad.
 */
static int
parse_line(const char *s, char *name, size_t nlen, char *val, size_t vlen)
{
	size_t	n = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	while (isalnum((unsigned char)*s) || *s == '_' || *s == '.') {
		if (n < nlen - 1)
			name[n++] = *s;
		s++;
	}
	name[n] = '\0';
	if (n == 0)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '=')
		s++;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\'') {
		if (parse_quoted(&s, val, vlen) == -1)
			return -1;
	} else {
		n = 0;
		while (*s != '\0' && *s != '#' && !isspace((unsigned char)*s)) {
			if (n < vlen - 1)
				val[n++] = *s;
			s++;
		}
		val[n] = '\0';
		if (n == 0)
			return -1;
	}
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0' || *s == '#' ? 1 : -1;
}

static int	conf_read(struct chk *, struct conf *, const char *, int, bool);

/*
 * Effective ids of the server's user (nobody's if it does not exist)
 * around reading what its configuration names: root must not read a
 * root-only file for it, and show its lines.  -1 if they cannot be taken.
 */
static int
as_server_user(const struct chk *c, bool on)
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
static FILE *
user_fopen(const struct chk *c, const char *path)
{
	struct stat	 st;
	FILE		*f;
	int		 fd, e;

	if (as_server_user(c, true) == -1)
		return NULL;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	e = errno;
	as_server_user(c, false);
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

static const char *
user_fopen_err(int e)
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

static int
inc_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
inc_filter(const struct dirent *de)
{
	size_t	n = strlen(de->d_name);

	return de->d_name[0] != '.' && n > 5 &&
	    strcmp(de->d_name + n - 5, ".conf") == 0;
}

/* include_dir: its *.conf files in name order, as PostgreSQL does. */
static void
conf_read_dir(struct chk *c, struct conf *cf, const char *dir, int depth)
{
	struct dirent	**de;
	char		  path[PATH_MAX];
	int		  n;

	if (as_server_user(c, true) == -1)
		n = -1;
	else {
		n = scandir(dir, &de, inc_filter, inc_cmp);
		as_server_user(c, false);
	}
	if (n == -1) {
		finding(c, "error", "include_dir", dir, NULL,
		    "include_dir %s cannot be read by %s (%s); postgres will "
		    "not start", dir, c->user, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, de[i]->d_name);
		(void)conf_read(c, cf, path, depth + 1, false);
		free(de[i]);
	}
	free(de);
}

/* include, include_if_exists, include_dir: relative to the includer. */
static bool
conf_include(struct chk *c, struct conf *cf, const char *file,
    const char *name, const char *val, int depth)
{
	char	path[PATH_MAX], dir[PATH_MAX], *slash;

	if (strcasecmp(name, "include") != 0 &&
	    strcasecmp(name, "include_if_exists") != 0 &&
	    strcasecmp(name, "include_dir") != 0)
		return false;
	snprintf(dir, sizeof(dir), "%s", file);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (val[0] == '/')
		snprintf(path, sizeof(path), "%s", val);
	else
		snprintf(path, sizeof(path), "%s/%s", dir, val);
	if (strcasecmp(name, "include_dir") == 0)
		conf_read_dir(c, cf, path, depth);
	else
		(void)conf_read(c, cf, path, depth + 1,
		    strcasecmp(name, "include_if_exists") == 0);
	return true;
}

/* Read one file into cf; later settings replace earlier ones. */
static int
conf_read(struct chk *c, struct conf *cf, const char *path, int depth,
    bool missing_ok)
{
	char	*line = NULL, name[NAME_LEN], val[PATH_MAX];
	size_t	 cap = 0, total = 0;
	ssize_t	 len;
	int	 lineno = 0, r;
	FILE	*f;

	if (depth > CONF_DEPTH) {
		finding(c, "error", "include", path, NULL, "includes nested "
		    "deeper than %d levels at %s", CONF_DEPTH, path);
		return -1;
	}
	if ((f = user_fopen(c, path)) == NULL) {
		if (missing_ok && errno == ENOENT)
			return 0;
		finding(c, "error", depth ? "include" : "config_file", path,
		    NULL, "%s cannot be read by %s (%s); postgres will not "
		    "start", path, c->user, user_fopen_err(errno));
		return -1;
	}
	if (depth > 0) {
		cf->incl = xreallocarray(cf->incl, cf->nincl + 1,
		    sizeof(*cf->incl));
		cf->incl[cf->nincl++] = xstrdup(path);
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		/* The file may have grown since its size was checked. */
		if (len > CONF_LINE_MAX || (total += (size_t)len) >
		    CONF_FILE_MAX) {
			finding(c, "error", "config_file", path, NULL,
			    "%s:%d: line longer than %d bytes, or file larger "
			    "than %d: not read further", path, lineno,
			    CONF_LINE_MAX, CONF_FILE_MAX);
			break;
		}
		if ((r = parse_line(line, name, sizeof(name), val,
		    sizeof(val))) == 0)
			continue;
		if (r == -1) {
			char fix[PATH_MAX + 64];

			snprintf(fix, sizeof(fix), "correct line %d of %s",
			    lineno, path);
			finding(c, "error", "config_file", path, fix,
			    "%s:%d: syntax error; postgres will not start",
			    path, lineno);
		} else if (!conf_include(c, cf, path, name, val, depth))
			conf_set(cf, name, val, path, lineno);
	}
	free(line);
	fclose(f);
	return 0;
}

/* PostgreSQL's parse_bool: 1 true, 0 false, -1 neither. */
static int
pg_bool(const char *v)
{
	size_t	n = strlen(v);

	if (n == 0)
		return -1;
	if (strcmp(v, "1") == 0)
		return 1;
	if (strcmp(v, "0") == 0)
		return 0;
	if (strncasecmp(v, "true", n) == 0 || strncasecmp(v, "yes", n) == 0)
		return 1;
	if (strncasecmp(v, "false", n) == 0 || strncasecmp(v, "no", n) == 0)
		return 0;
	if (n >= 2 && strncasecmp(v, "on", n) == 0)
		return 1;
	if (n >= 2 && strncasecmp(v, "off", n) == 0)
		return 0;
	return -1;
}

/* ---- checks made whatever PGHA_GROUP_HERE says ------------------------- */

static void
check_user(struct chk *c)
{
	struct json_object	*o = kind_obj("fact");

	jstr(o, "name", "user");
	jstr(o, "user", c->user);
	if (c->user_ok) {
		json_object_object_add(o, "uid", json_object_new_int64(c->uid));
		json_object_object_add(o, "gid", json_object_new_int64(c->gid));
	} else
		json_object_object_add(o, "exists",
		    json_object_new_boolean(false));
	emit(o);
	if (c->user_ok)
		passed("user", "user %s exists (uid %d, gid %d)", c->user,
		    (int)c->uid, (int)c->gid);
	else
		finding(c, "error", "user", NULL, "create the user with the "
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

	i = mount_by_name(c, ks);
	if (i < 0 && stat(ks, &st) == 0)
		for (i = c->nmounts - 1; i >= 0; i--)
			if (c->mounted[i] && c->mdev[i] == st.st_dev)
				break;
	if (i >= 0) {
		finding(c, "error", "keystore", ks, "keep the keystore on "
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
		finding(c, "error", "keystore", ks, fix, "%s", err);
		return;
	}
	o = kind_obj("fact");
	jstr(o, "name", "keystore");
	jstr(o, "path", ks);
	jstr(o, "fingerprint", fpr);
	emit(o);
	passed("keystore", "keystore %s is on a local disk, master key "
	    "fingerprint %.16s", ks, fpr);
	if (ks_auto_open(ks, &key, err, sizeof(err)) == -1) {
		snprintf(fix, sizeof(fix), "pgha keystore auto-open "
		    "--keystore %s (on this node)", ks);
		finding(c, "error", "keystore", ks, fix, "automatic opening "
		    "of keystore %s does not work on this node, so the "
		    "encrypted disk cannot come online here: %s", ks, err);
		return;
	}
	ks_key_wipe(&key);
	passed("keystore", "automatic opening of keystore %s works on this "
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
check_binary(struct chk *c)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/postgres", c->bindir);
	if (access(path, X_OK) == 0) {
		passed("bindir", "%s is executable", path);
		return;
	}
	finding(c, "error", "bindir", path, "install the PostgreSQL server "
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
		passed(key, "%s exists", path);
		return;
	}
	if (stat(parent, &st) == 0 && S_ISDIR(st.st_mode)) {
		passed(key, "%s can be created (%s exists)", path, parent);
		return;
	}
	snprintf(fix, sizeof(fix), "mkdir -p %s", parent);
	finding(c, "error", key, path, fix, "neither %s nor its directory "
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
			agent_err(AGENT_ENV_CHECK_PATHS ": \"%s\" is not "
			    "setting=/path; ignored", p);
			continue;
		}
		*eq = '\0';
		kind = setting_kind(p);
		needed_path(kind, eq + 1, need, sizeof(need));
		if (path_exists(kind, need)) {
			passed("local_path", "%s %s exists on this node", p,
			    need);
			continue;
		}
		missing_fix(c, kind, need, fix, sizeof(fix));
		finding(c, "error", p, need, fix, "%s %s (set in the "
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
		passed("mmp", "group disk %s (%s) has ext4 multi-mount "
		    "protection", mnt, path);
		return;
	}
	snprintf(fix, sizeof(fix), "with the group offline: tune2fs -O mmp "
	    "-E mmp_update_interval=1 %s (see docs/deploy.md)", path);
	finding(c, "warning", "mountpoint", mnt, fix, "group disk %s (%s) "
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
			passed("mount", "group disk %s is mounted",
			    c->mnt[i]);
			check_mmp(c, c->mnt[i], c->mdev[i]);
			continue;
		}
		snprintf(fix, sizeof(fix), "pgha resource online for the "
		    "disk resource of %s", c->mnt[i]);
		finding(c, "error", "mountpoint", c->mnt[i], fix,
		    "%s is not a mount point, though the group's disks are "
		    "said to be mounted here", c->mnt[i]);
	}
	if (c->nmounts == 0)
		finding(c, "error", "mountpoint", NULL, "add a disk resource "
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

	mount_list(c, mounts, sizeof(mounts));
	if ((i = disk_of(c, path, &dev)) >= 0) {
		passed(key, "%s %s is on group disk %s", what, path,
		    c->mnt[i]);
		return dev;
	}
	if (i == -2) {
		finding(c, "error", key, path, "create it on a group disk "
		    "(pgha db init for a new cluster) or correct the "
		    "parameter", "%s %s does not exist (%s)", what, path,
		    strerror(errno));
		return 0;
	}
	snprintf(fix, sizeof(fix), "move %s onto one of the group's disks "
	    "(%s) and point %s there", path, mounts, key);
	finding(c, "error", key, path, fix, "%s %s is not on any of the "
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

	if ((f = user_fopen(c, path)) == NULL)
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
	uid_t	 uid = c->user_ok ? c->uid : NOBODY_ID;
	gid_t	 gid = c->user_ok ? c->gid : NOBODY_ID;
	int	 pfd[2], status;
	size_t	 n = 0;
	ssize_t	 r;
	pid_t	 pid;

	if (pipe2(pfd, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(pfd[1], 1) == -1)
			_exit(127);
		agent_child_reset();
		if (getuid() == 0 && uid != 0 && (setgroups(1, &gid) == -1 ||
		    setgid(gid) == -1 || setuid(uid) == -1))
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
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
	if (agent_wait_child(pid, agent_deadline(), &status) == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
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
		finding(c, "error", "data", file, "pgha db init creates a "
		    "database cluster", "%s cannot be read (%s): %s is not "
		    "a database cluster", file, user_fopen_err(errno),
		    l->data);
		return;
	}
	if (run_capture(c, argv, out, sizeof(out)) == -1 ||
	    (p = strstr(out, ") ")) == NULL) {
		finding(c, "error", "bindir", bin, NULL, "%s --version "
		    "failed: the server's version cannot be compared with "
		    "PG_VERSION %s", bin, ver);
		return;
	}
	p += 2;
	if (strncmp(p, ver, strlen(ver)) == 0 &&
	    !isdigit((unsigned char)p[strlen(ver)])) {
		passed("version", "PG_VERSION %s matches %s", ver, bin);
		return;
	}
	p[strcspn(p, " \n")] = '\0';
	snprintf(fix, sizeof(fix), "set bindir to the binaries of "
	    "PostgreSQL %s (/usr/lib/postgresql/%s/bin)", ver, ver);
	finding(c, "error", "bindir", bin, fix, "the data directory is "
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
		finding(c, "error", "data", l->data, fix, "%s is owned by "
		    "uid %d, not by %s (uid %d): postgres will not start",
		    l->data, (int)st.st_uid, c->user, (int)c->uid);
	} else
		passed("data_owner", "%s is owned by %s", l->data, c->user);
	check_version(c, l);
}

static void
check_wal(struct chk *c, struct layout *l)
{
	char	wal[PATH_MAX + 16], real[PATH_MAX], want[PATH_MAX];
	char	fix[3 * PATH_MAX];

	snprintf(wal, sizeof(wal), "%s/pg_wal", l->data);
	if (realpath(wal, real) == NULL) {
		finding(c, "error", "waldir", wal, NULL, "%s cannot be "
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
			finding(c, "error", "waldir", real, fix, "pg_wal is "
			    "%s but the resource's waldir is %s", real,
			    c->waldir);
		} else
			passed("waldir", "pg_wal is waldir %s", real);
	}
	if (l->data_dev != 0 && l->data_dev == l->wal_dev) {
		snprintf(fix, sizeof(fix), "put the WAL on another disk of "
		    "the group (initdb --waldir, or move %s there and "
		    "symlink it) and set waldir", wal);
		finding(c, "warning", "waldir", real, fix, "data directory "
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
		finding(c, "warning", "backup_dir", c->backup_dir, fix,
		    "backup directory and data directory are on the same "
		    "disk: a corrupted file system would take both");
	for (int i = 0; i < l->ntblspc; i++) {
		if (l->tblspc_dev[i] == l->backup_dev)
			finding(c, "warning", "backup_dir", c->backup_dir,
			    fix, "backup directory and tablespace %s are on "
			    "the same disk: a corrupted file system would "
			    "take both", l->tblspc[i]);
	}
}

/* ---- settings in postgresql.conf (PGHA_GROUP_HERE=1) ------------------ */

static void
check_restart_after_crash(struct chk *c, const struct conf *cf)
{
	const struct setting	*s = conf_get(cf, "restart_after_crash");
	char			 fix[PATH_MAX + 64];
	const char		*file;

	file = s != NULL ? s->file : "DATA/postgresql.conf";
	snprintf(fix, sizeof(fix), "set restart_after_crash = off in %s",
	    file);
	if (s != NULL && pg_bool(s->value) == 0) {
		passed("restart_after_crash", "restart_after_crash is off");
		return;
	}
	if (s == NULL) {
		finding(c, "warning", "restart_after_crash", NULL, fix,
		    "restart_after_crash is not set and defaults to on; "
		    "pgha starts the server with it off, but one started by "
		    "hand would restart in place after a crash");
		return;
	}
	finding(c, "error", "restart_after_crash", s->file, fix,
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
check_flush_setting(struct chk *c, const struct conf *cf, const char *name,
    bool forced)
{
	const struct setting	*s = conf_get(cf, name);
	char			 fix[PATH_MAX + 64];

	if (s == NULL || pg_bool(s->value) != 0)
		return;
	snprintf(fix, sizeof(fix), "set %s = on in %s (or remove it)", name,
	    s->file);
	if (forced)
		finding(c, "error", name, s->file, fix, "%s:%d: %s = %s: "
		    "after a power loss, commits acknowledged to clients "
		    "are lost or the database is corrupted (pgha forces it "
		    "on on the command line, pg_ctl by hand would not)",
		    s->file, s->line, name, s->value);
	else
		finding(c, "error", name, s->file, fix, "%s:%d: %s = %s: "
		    "a commit is acknowledged before its WAL is on disk, so "
		    "a power loss or failover loses the last commits "
		    "clients were told were done", s->file, s->line, name,
		    s->value);
}

/* fdatasync, Linux's default, is what the lab's power-loss test checks. */
static void
check_wal_sync_method(struct chk *c, const struct conf *cf)
{
	const struct setting	*s = conf_get(cf, "wal_sync_method");
	char			 fix[PATH_MAX + 128];

	if (s == NULL || strcasecmp(s->value, "fdatasync") == 0)
		return;
	snprintf(fix, sizeof(fix), "remove wal_sync_method from %s (the "
	    "default is fdatasync), or check %s with pg_test_fsync on the "
	    "group's disk", s->file, s->value);
	finding(c, "warning", "wal_sync_method", s->file, fix, "%s:%d: "
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

	snprintf(bin, sizeof(bin), "%s/pg_controldata", c->bindir);
	if (run_capture(c, argv, out, sizeof(out)) == -1 ||
	    (p = strstr(out, "Data page checksum version:")) == NULL)
		return;		/* unreadable or translated: nothing to say */
	p += strlen("Data page checksum version:");
	p += strspn(p, " \t");
	if (*p != '0') {
		passed("data_checksums", "data checksums are on");
		return;
	}
	snprintf(fix, sizeof(fix), "with the group offline and the disk "
	    "mounted: %s/pg_checksums --enable -D %s", c->bindir, data);
	finding(c, "warning", "data_checksums", data, fix, "data checksums "
	    "are off in %s: a page the disk lost or tore is read back "
	    "without an error", data);
}

static void
check_durability(struct chk *c, const struct conf *cf, const char *data)
{
	int	before = c->nerrors;

	check_flush_setting(c, cf, "fsync", true);
	check_flush_setting(c, cf, "full_page_writes", true);
	check_flush_setting(c, cf, "synchronous_commit", false);
	if (c->nerrors == before)
		passed("durability", "fsync, full_page_writes and "
		    "synchronous_commit are not off");
	check_wal_sync_method(c, cf);
	check_data_checksums(c, data);
}

static void
check_port_setting(struct chk *c, const struct conf *cf)
{
	const struct setting	*s = conf_get(cf, "port");
	char			 fix[PATH_MAX + 64];

	if (s == NULL) {
		passed("port_setting", "postgresql.conf sets no port; pgha "
		    "starts the server with -p %ld", c->port);
		return;
	}
	if (strtol(s->value, NULL, 10) == c->port) {
		passed("port_setting", "postgresql.conf agrees with port %ld",
		    c->port);
		return;
	}
	snprintf(fix, sizeof(fix), "set port = %ld in %s", c->port, s->file);
	finding(c, "warning", "port", s->file, fix, "%s:%d: port = %s but "
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
	finding(c, "error", "data_directory", path, "remove data_directory "
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
		finding(c, kind == PK_DIRLIST ? "warning" : "error", setting,
		    need, fix, "%s %s does not exist%s", setting, need,
		    kind == PK_DIRLIST ? " (pgha starts the server with "
		    "socket_dir instead; pg_ctl by hand would fail)" :
		    ": postgres will fail to use it");
		return;
	}
	if (strcmp(setting, "data_directory") == 0)
		check_data_directory(c, path, l->data);
	if ((i = disk_of(c, need, NULL)) >= 0) {
		passed("conf_path", "%s %s is on group disk %s", setting, need,
		    c->mnt[i]);
		return;
	}
	/* Every node needs its own copy: the caller checks the others. */
	fact_local_path(setting, need);
	passed("conf_path", "%s %s exists here (a local path: to be checked "
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

static void
check_conf_paths(struct chk *c, const struct conf *cf, const struct layout *l)
{
	const struct setting	*s;

	for (size_t i = 0; i < nitems(path_settings); i++) {
		if ((s = conf_get(cf, path_settings[i].name)) == NULL ||
		    s->value[0] == '\0')
			continue;
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
	struct conf	cf;
	char		path[PATH_MAX + 32];

	memset(&cf, 0, sizeof(cf));
	snprintf(path, sizeof(path), "%s/postgresql.conf", l->data);
	if (conf_read(c, &cf, path, 0, false) == 0) {
		snprintf(path, sizeof(path), "%s/postgresql.auto.conf",
		    l->data);
		(void)conf_read(c, &cf, path, 0, true);
		check_restart_after_crash(c, &cf);
		check_durability(c, &cf, l->data);
		check_port_setting(c, &cf);
		check_conf_paths(c, &cf, l);
	}
	conf_free(&cf);
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
			finding(c, "error", "mountpoint", c->mnt[i], fix,
			    "%s is mounted on this node although the group "
			    "is not active here: two nodes writing one file "
			    "system corrupt it", c->mnt[i]);
		} else if (stat(c->mnt[i], &st) == 0 && S_ISDIR(st.st_mode))
			passed("mountpoint", "mountpoint %s exists and is "
			    "free", c->mnt[i]);
		else {
			snprintf(fix, sizeof(fix), "mkdir -p %s", c->mnt[i]);
			finding(c, "warning", "mountpoint", c->mnt[i], fix,
			    "mountpoint %s does not exist here (the disk "
			    "resource creates it at start)", c->mnt[i]);
		}
	}
	if ((i = mount_by_name(c, c->data)) == -1) {
		finding(c, "error", "data", c->data, "set data to a directory "
		    "below one of the group's mountpoints", "data directory "
		    "%s is below none of the group's mountpoints", c->data);
		return;
	}
	passed("data_mountpoint", "data directory %s is below mountpoint %s",
	    c->data, c->mnt[i]);
}

/* A data directory seen here is a copy outside the cluster's disks. */
static void
check_no_local_copy(struct chk *c)
{
	struct stat	st;
	char		fix[PATH_MAX + 64];
	int		i = mount_by_name(c, c->data);

	if (stat(c->data, &st) == -1) {
		passed("no_local_copy", "no data directory %s on this node "
		    "while the disks are elsewhere", c->data);
		return;
	}
	if (i >= 0 && c->mounted[i])
		return;		/* said by check_mountpoints_here */
	snprintf(fix, sizeof(fix), "move %s out of the way (it is not the "
	    "group's data)", c->data);
	finding(c, "warning", "data", c->data, fix, "%s exists on this "
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

/* The inode of a TCP socket listening on port, from /proc/net/tcp{,6}. */
static unsigned long
listen_inode(long port)
{
	static const char *const files[] = { "/proc/net/tcp",
	    "/proc/net/tcp6" };
	char		 line[512];
	unsigned int	 lport, st;
	unsigned long	 inode;
	FILE		*f;

	for (size_t i = 0; i < nitems(files); i++) {
		if ((f = fopen(files[i], "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			if (sscanf(line, " %*s %*[0-9A-Fa-f]:%x %*s %x %*s "
			    "%*s %*s %*u %*u %lu", &lport, &st, &inode) == 3 &&
			    lport == port && st == 0x0A) {
				fclose(f);
				return inode;
			}
		}
		fclose(f);
	}
	return 0;
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
	struct json_object	*o = kind_obj("fact");
	struct sockowner	 so = { 0, 0 };
	char			 who[128] = "", comm[64], fix[256];
	int			 freep = port_free(c->port);

	jstr(o, "name", "port");
	json_object_object_add(o, "port", json_object_new_int64(c->port));
	json_object_object_add(o, "free", json_object_new_boolean(freep));
	emit(o);
	if (freep) {
		passed("port", "TCP port %ld is free on this node", c->port);
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
	finding(c, "error", "port", NULL, fix, "TCP port %ld is in use on "
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

	if (chk_load(&c) == -1) {
		chk_free(&c);
		return OCF_ERR_CONFIGURED;
	}
	check_user(&c);
	check_binary(&c);
	check_keystores(&c);
	check_creatable(&c, "socket_dir", c.socket_dir, true);
	/* A log on the shared disk is checked where the disk is. */
	if (c.logfile[0] != '\0' && (c.here ||
	    mount_by_name(&c, c.logfile) < 0))
		check_creatable(&c, "logfile", c.logfile, false);
	if (c.here)
		validate_here(&c);
	else {
		check_mountpoints_here(&c);
		check_port_free(&c);
		check_no_local_copy(&c);
	}
	check_env_paths(&c);
	chk_free(&c);
	return OCF_SUCCESS;
}

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
			agent_errno("parameter %s: %s", key, buf);
			return -1;
		}
		slash[slash == buf ? 1 : 0] = '\0';
	}
	if (!S_ISDIR(st.st_mode)) {
		agent_err("parameter %s: %s is not a directory; nothing "
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
	mount_list(c, mounts, sizeof(mounts));
	agent_err("parameter %s: %s is not on any of the group's disks "
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
		agent_errno("parameter %s: %s", key, path);
		return -1;
	}
	if (n == 0)
		return 0;
	agent_err("parameter %s: %s exists and is not empty: pgha db init "
	    "does not overwrite a database cluster; nothing changed", key,
	    path);
	return -1;
}

static int
init_check(const struct chk *c)
{
	char	initdb[PATH_MAX];

	if (!c->here) {
		agent_err("the group's disks are not mounted here by the "
		    "cluster: init runs on the node where the group is "
		    "active; nothing changed");
		return OCF_ERR_GENERIC;
	}
	if (c->nmounts == 0) {
		agent_err("the group has no disk resource: nothing to "
		    "create the database cluster on");
		return OCF_ERR_CONFIGURED;
	}
	for (int i = 0; i < c->nmounts; i++) {
		if (!c->mounted[i]) {
			agent_err("group disk %s is not mounted; nothing "
			    "changed", c->mnt[i]);
			return OCF_ERR_GENERIC;
		}
	}
	if (!c->user_ok || c->uid == 0) {
		agent_err("parameter user: \"%s\" %s", c->user, c->user_ok ?
		    "is root, and initdb does not run as root" :
		    "does not exist");
		return OCF_ERR_CONFIGURED;
	}
	snprintf(initdb, sizeof(initdb), "%s/initdb", c->bindir);
	if (access(initdb, X_OK) == -1) {
		agent_errno("%s", initdb);
		return OCF_ERR_INSTALLED;
	}
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
			agent_errno("mkdir %s", buf);
			return -1;
		}
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST) {
		agent_errno("mkdir %s", buf);
		return -1;
	}
	/* Never through a link planted where the directory should be. */
	if ((fd = open(buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOTDIR || errno == ELOOP)
			agent_err("%s is a symbolic link or not a directory: "
			    "refused (remove it)", buf);
		else
			agent_errno("%s", buf);
		return -1;
	}
	if (fchown(fd, c->uid, c->gid) == -1 || fchmod(fd, mode) == -1) {
		agent_errno("%s", buf);
		close(fd);
		return -1;
	}
	close(fd);
	printf("mkdir: %s owned by %s, mode %04o\n", buf, c->user,
	    (unsigned)mode);
	return 0;
}

/* The child: own process group (so a timeout kills its postgres too). */
static void
initdb_exec(const struct chk *c, char *const argv[], int logfd)
{
	int	null;

	setpgid(0, 0);
	if ((null = open("/dev/null", O_RDONLY)) == -1 || dup2(null, 0) == -1 ||
	    dup2(logfd, 1) == -1 || dup2(logfd, 2) == -1)
		_exit(127);
	agent_child_reset();
	if (initgroups(c->user, c->gid) == -1 || setgid(c->gid) == -1 ||
	    setuid(c->uid) == -1) {
		dprintf(2, "pgha-agent: cannot become %s: %s\n", c->user,
		    strerror(errno));
		_exit(127);
	}
	if (chdir("/") == -1)
		_exit(127);
	execv(argv[0], argv);
	dprintf(2, "pgha-agent: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/*
 * Wait for initdb until the deadline less a grace in which SIGTERM lets
 * it remove what it created; then SIGKILL.  0 exited, -1 timed out.
 */
static int
initdb_wait(pid_t pid, int *status)
{
	uint64_t	grace = agent_remaining_ms() / 5;

	if (grace > 2000)
		grace = 2000;
	(void)setpgid(pid, pid);	/* the child may not have yet */
	if (agent_wait_child(pid, agent_deadline() - grace, status) == 0)
		return 0;
	kill(-pid, SIGTERM);
	if (agent_wait_child(pid, agent_deadline(), status) == -1) {
		kill(-pid, SIGKILL);
		waitpid(pid, status, 0);
	}
	kill(-pid, SIGKILL);	/* whatever initdb left running */
	return -1;
}

static int
run_initdb(const struct chk *c)
{
	char		 initdb[PATH_MAX], log[] = "/tmp/pgha-initdb.XXXXXX";
	char		*argv[16];
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
		agent_errno("mkstemp %s", log);
		return -1;
	}
	printf("initdb: running %s -D %s%s%s as %s\n", initdb, c->data,
	    c->waldir[0] ? " --waldir " : "", c->waldir, c->user);
	fflush(stdout);
	if ((pid = fork()) == -1)
		agent_errno("fork");
	else if (pid == 0)
		initdb_exec(c, argv, fd);
	else if (initdb_wait(pid, &status) == -1)
		agent_err("initdb did not finish within the timeout (%llu "
		    "ms) and was stopped; empty %s%s%s before trying again; "
		    "its last lines:", (unsigned long long)(now_ms() - t0),
		    c->data, c->waldir[0] ? " and " : "", c->waldir);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		agent_err("initdb failed (%s %d); its last lines:",
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
		agent_errno("open %s", path);
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
	    "unix_socket_directories = %s\n", c->port, sock);
	if (c->backup_dir[0] != '\0')
		fprintf(f, "# base backups and archived WAL go to %s "
		    "(pgha backup_dir), on a group disk\n", c->backup_dir);
	r = fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;
	if (fclose(f) != 0 || r == -1) {
		agent_errno("write %s", path);
		return -1;
	}
	printf("wrote %s: restart_after_crash = off, port = %ld, "
	    "listen_addresses = '*', unix_socket_directories = %s\n", path,
	    c->port, sock);
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

	if (chk_load(&c) == 0 && (r = init_check(&c)) == OCF_SUCCESS)
		r = init_make(&c);
	fflush(stdout);
	chk_free(&c);
	return r;
}
