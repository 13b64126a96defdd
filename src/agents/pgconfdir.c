/*
 * pgconfdir.c - validate's checks of config_dir, the server's
 * configuration directory on each node's own disk (Debian's
 * /etc/postgresql/N/NAME): it exists, it and its files are not writable
 * by anyone but root and the server's user, the server's user can read
 * its postgresql.conf, pg_hba.conf and pg_ident.conf; and a "config_dir"
 * fact with the sha256 of every file in it (a symbolic link: its target),
 * which pgha validate compares across nodes (one node cannot know it holds
 * another's copy).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgcheck_int.h"
#include "util.h"

#define CONFDIR_DEPTH	3	/* conf.d/ and below, as far as this */
/* Files hashed at most: the fact fits in pghad's 96 KiB of agent output. */
#define CONFDIR_FILES	256

struct hashwalk {
	struct chk		*c;
	struct json_object	*files;	/* relative name -> sha256 */
	int			 nfiles;
	int			 nskipped;	/* past CONFDIR_FILES */
	int			 nbad;	/* writable by others */
};

static int
name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
not_dot(const struct dirent *de)
{
	return strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
}

/* Writable by someone other than root and the server's user? */
static void
check_writers(struct hashwalk *w, const char *path, const struct stat *st)
{
	char	fix[PATH_MAX + 64];

	if (st->st_uid != 0 && (!w->c->user_ok || st->st_uid != w->c->uid)) {
		snprintf(fix, sizeof(fix), "chown %s %s", w->c->user, path);
		pgc_finding(w->c, "error", "config_dir", path, fix, "%s is "
		    "owned by uid %u, neither root nor %s: that user can "
		    "change how the server runs and who may connect", path,
		    (unsigned)st->st_uid, w->c->user);
		w->nbad++;
	} else if (st->st_mode & S_IWOTH) {
		snprintf(fix, sizeof(fix), "chmod o-w %s", path);
		pgc_finding(w->c, "error", "config_dir", path, fix, "%s is "
		    "writable by every user: anyone could change how the "
		    "server runs and who may connect", path);
		w->nbad++;
	}
}

/* The sha256 of a regular file of at most CONF_FILE_MAX bytes. */
static int
file_hash(const char *path, char out[65])
{
	char		*buf;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd, r = -1;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1)
		return -1;
	buf = xcalloc(1, CONF_FILE_MAX + 1);
	while (len <= CONF_FILE_MAX && (n = read(fd, buf + len,
	    CONF_FILE_MAX + 1 - len)) > 0)
		len += (size_t)n;
	if (len <= CONF_FILE_MAX) {
		sha256_hex(buf, len, out);
		r = 0;
	}
	free(buf);
	close(fd);
	return r;
}

static void
walk(struct hashwalk *w, const char *dir, const char *rel, int depth)
{
	struct dirent	**de;
	struct stat	  st;
	char		  path[PATH_MAX], name[PATH_MAX], h[65];
	int		  n;

	if ((n = scandir(dir, &de, not_dot, name_cmp)) == -1)
		return;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, de[i]->d_name);
		snprintf(name, sizeof(name), "%s%s%s", rel, *rel ? "/" : "",
		    de[i]->d_name);
		free(de[i]);
		if (lstat(path, &st) == -1)
			continue;
		/*
		 * A link (pg_createcluster -l makes "log") is compared by
		 * where it points: its target may well differ by node.
		 */
		if (S_ISLNK(st.st_mode)) {
			char	link[PATH_MAX];
			ssize_t	ln;

			if (w->nfiles == CONFDIR_FILES) {
				w->nskipped++;
				continue;
			}
			if ((ln = readlink(path, link, sizeof(link) - 1)) == -1)
				continue;
			link[ln] = '\0';
			snprintf(h, sizeof(h), "-> %.61s", link);
			if (ln > 61)
				sha256_hex(link, (size_t)ln, h);
			json_object_object_add(w->files, name,
			    json_object_new_string(h));
			w->nfiles++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			check_writers(w, path, &st);
			if (depth < CONFDIR_DEPTH)
				walk(w, path, name, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (w->nfiles == CONFDIR_FILES) {
			w->nskipped++;
			continue;
		}
		check_writers(w, path, &st);
		if (file_hash(path, h) == -1)
			snprintf(h, sizeof(h), "unreadable");
		json_object_object_add(w->files, name,
		    json_object_new_string(h));
		w->nfiles++;
	}
	free(de);
}

/* The server's user must be able to read the files postgres opens. */
static void
check_readable(struct chk *c, const char *dir, const char *file,
    bool needed)
{
	char	 path[PATH_MAX], fix[PATH_MAX + 128];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((f = pgc_user_fopen(c, path)) != NULL) {
		fclose(f);
		return;
	}
	if (errno == ENOENT && !needed)
		return;
	if (errno == ENOENT)
		snprintf(fix, sizeof(fix), "copy %s from the node where the "
		    "group runs (same owner and mode)", path);
	else
		snprintf(fix, sizeof(fix), "chown %s %s; chmod u+r %s",
		    c->user, path, path);
	pgc_finding(c, "error", "config_dir", path, fix, "%s cannot be read "
	    "by %s (%s): postgres will not start on this node", path,
	    c->user, pgc_user_fopen_err(errno));
}

void
pgc_check_config_dir(struct chk *c)
{
	struct hashwalk		 w = { .c = c };
	struct json_object	*o;
	struct stat		 st;
	char			 fix[2 * PATH_MAX];

	int			 sr = stat(c->config_dir, &st);

	if (sr == -1 || !S_ISDIR(st.st_mode)) {
		snprintf(fix, sizeof(fix), "copy %s from the node where the "
		    "group runs (e.g. with rsync -a), the same on every node",
		    c->config_dir);
		pgc_finding(c, "error", "config_dir", c->config_dir, fix,
		    "config_dir %s on this node: %s; postgres will not "
		    "start here", c->config_dir, sr == -1 ? strerror(errno) :
		    "not a directory");
		return;
	}
	w.files = json_object_new_object();
	check_writers(&w, c->config_dir, &st);
	walk(&w, c->config_dir, "", 1);
	check_readable(c, c->config_dir, "postgresql.conf", true);
	check_readable(c, c->config_dir, "pg_hba.conf", false);
	check_readable(c, c->config_dir, "pg_ident.conf", false);
	if (w.nskipped > 0)
		pgc_finding(c, "warning", "config_dir", c->config_dir, NULL,
		    "config_dir %s holds more than %d files: %d were not "
		    "compared with the other nodes'", c->config_dir,
		    CONFDIR_FILES, w.nskipped);
	if (w.nbad == 0)
		pgc_passed("config_dir", "config_dir %s: %d file%s, none "
		    "writable by others than root and %s", c->config_dir,
		    w.nfiles, w.nfiles == 1 ? "" : "s", c->user);
	o = pgc_kind_obj("fact");
	pgc_jstr(o, "name", "config_dir");
	pgc_jstr(o, "path", c->config_dir);
	json_object_object_add(o, "here", json_object_new_boolean(c->here));
	json_object_object_add(o, "files", w.files);
	pgc_emit(o);
}
