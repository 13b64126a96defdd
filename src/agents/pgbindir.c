/*
 * pgbindir.c - the lookup of the server's binaries (see pgbindir.h).
 * No logging and no globals: what it finds or why not is in its
 * arguments, so the unit test runs it against a scratch tree.
 *
 * Debian installs each major version side by side (postgresql-15 in
 * /usr/lib/postgresql/15/bin, postgresql-16 in .../16/bin) and a data
 * directory can only be run by the major version that made it, which
 * initdb writes to PG_VERSION; so the data directory says which binaries
 * to use, and a cluster file need not change when the server is upgraded
 * with pg_upgradecluster.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgbindir.h"

/* "15\n" is what initdb writes; anything this long is not a version. */
#define VERSION_FILE_MAX	16
#define MAJOR_MAX		999

static bool
all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* dir/name is there and executable. */
static bool
has_exec(const char *dir, const char *name)
{
	char	path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, X_OK) == 0;
}

/*
 * Read the major version from file.  1 and *major, 0 when there is no
 * such file (or no such directory), -1 and err.
 */
static int
read_major(const char *file, int *major, char *err, size_t errlen)
{
	char		buf[VERSION_FILE_MAX + 1], *dot;
	struct stat	st;
	ssize_t		n;
	size_t		len;
	int		fd;

	/* The server's user's file: no link followed, no FIFO waited on. */
	if ((fd = open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		snprintf(err, errlen, "%s cannot be read (%s): fix its owner "
		    "and mode, or set bindir", file, strerror(errno));
		return -1;
	}
	/* Read as root, and shown when it is not a version: not another
	 * file of the disk linked here by the server's user. */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1) {
		close(fd);
		snprintf(err, errlen, "%s is not a regular file%s: it is not "
		    "a database cluster's PG_VERSION; set bindir", file,
		    S_ISREG(st.st_mode) ? " with one link" : "");
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || n > VERSION_FILE_MAX - 1) {
		snprintf(err, errlen, "%s is %s: not a PostgreSQL major "
		    "version as initdb writes it (e.g. \"15\"); set bindir",
		    file, n < 0 ? "unreadable" : "too long");
		return -1;
	}
	buf[n] = '\0';
	len = (size_t)n;
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	dot = strchr(buf, '.');
	if (dot != NULL && all_digits(buf, (size_t)(dot - buf)) &&
	    all_digits(dot + 1, strlen(dot + 1))) {
		snprintf(err, errlen, "%s says PostgreSQL %s: pgha runs "
		    "PostgreSQL %d and later; upgrade the database cluster "
		    "(pg_upgradecluster) first", file, buf,
		    PGBINDIR_MIN_MAJOR);
		return -1;
	}
	if (!all_digits(buf, len) || len > 3) {
		/* The file is the server's user's: show it, not its bytes. */
		for (size_t i = 0; i < len; i++) {
			if (!isprint((unsigned char)buf[i]))
				buf[i] = '?';
		}
		snprintf(err, errlen, "%s holds \"%s\", not a PostgreSQL "
		    "major version (e.g. \"15\"); restore it or set bindir",
		    file, buf);
		return -1;
	}
	*major = atoi(buf);
	if (*major < PGBINDIR_MIN_MAJOR) {
		snprintf(err, errlen, "%s says PostgreSQL %d: pgha runs "
		    "PostgreSQL %d and later; upgrade the database cluster "
		    "(pg_upgradecluster) first", file, *major,
		    PGBINDIR_MIN_MAJOR);
		return -1;
	}
	return 1;
}

/* The newest libdir/N/bin with postgres and initdb; its N, or 0. */
static int
newest(const char *libdir, char *dir, size_t len)
{
	struct dirent	*de;
	DIR		*d;
	char		 bin[PATH_MAX];
	int		 best = 0, v;

	if ((d = opendir(libdir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (!all_digits(de->d_name, strlen(de->d_name)) ||
		    strlen(de->d_name) > 3)
			continue;
		v = atoi(de->d_name);
		if (v < PGBINDIR_MIN_MAJOR || v <= best)
			continue;
		snprintf(bin, sizeof(bin), "%s/%d/bin", libdir, v);
		if (has_exec(bin, "postgres") && has_exec(bin, "initdb")) {
			best = v;
			snprintf(dir, len, "%s", bin);
		}
	}
	closedir(d);
	return best;
}

int
pgbindir_find(const char *root, const char *configured, const char *data,
    struct pgbindir *out, char *err, size_t errlen)
{
	char	libdir[PATH_MAX];
	size_t	len;
	int	r;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (configured != NULL && configured[0] != '\0') {
		snprintf(out->dir, sizeof(out->dir), "%s", configured);
		len = strlen(out->dir);
		while (len > 1 && out->dir[len - 1] == '/')
			out->dir[--len] = '\0';
		out->how = PGB_CONFIGURED;
		return 0;
	}
	snprintf(libdir, sizeof(libdir), "%s" PGBINDIR_LIBDIR, root);
	snprintf(out->file, sizeof(out->file), "%s/PG_VERSION", data);
	if ((r = read_major(out->file, &out->major, err, errlen)) == -1)
		return -1;
	if (r == 1) {
		out->how = PGB_PG_VERSION;
		snprintf(out->dir, sizeof(out->dir), "%s/%d/bin", libdir,
		    out->major);
		if (has_exec(out->dir, "postgres"))
			return 0;
		snprintf(err, errlen, "%s says PostgreSQL %d, but %s/postgres "
		    "is not installed on this node: install postgresql-%d "
		    "(apt-get install postgresql-%d), or set bindir",
		    out->file, out->major, out->dir, out->major, out->major);
		return -1;
	}
	out->file[0] = '\0';
	out->how = PGB_NEWEST;
	if ((out->major = newest(libdir, out->dir, sizeof(out->dir))) != 0)
		return 0;
	snprintf(err, errlen, "%s/PG_VERSION does not exist (no database "
	    "cluster yet) and no PostgreSQL server %d or later is installed "
	    "in %s: install one (apt-get install postgresql-15, or 13 to 17), "
	    "or set bindir", data, PGBINDIR_MIN_MAJOR, libdir);
	return -1;
}

const char *
pgbindir_how_text(const struct pgbindir *b, char *buf, size_t len)
{
	switch (b->how) {
	case PGB_CONFIGURED:
		snprintf(buf, len, "configured");
		break;
	case PGB_PG_VERSION:
		snprintf(buf, len, "from %s", b->file);
		break;
	case PGB_NEWEST:
		snprintf(buf, len, "newest installed");
		break;
	}
	return buf;
}
