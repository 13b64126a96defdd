/*
 * test_pgbindir.c - unit tests of pgbindir_find() (src/agents/pgbindir.c)
 * against a scratch tree: ROOT/usr/lib/postgresql/N/bin with fake
 * postgres and initdb programs, and a data directory whose PG_VERSION
 * each case writes.  What is checked is what an operator reads: the
 * directory found, or a message naming the file and the fix.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/agents/pgbindir.h"
#include "tap.h"

static char	root[PATH_MAX];
static char	data[PATH_MAX + 16];
static char	pgv[PATH_MAX + 32];

static void
mkdir_p(const char *path)
{
	char	buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		(void)mkdir(buf, 0755);
		*p = '/';
	}
	(void)mkdir(buf, 0755);
}

static void
write_file(const char *path, const char *text, size_t len, mode_t mode)
{
	int	fd;

	(void)unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) == -1 ||
	    write(fd, text, len) != (ssize_t)len) {
		perror(path);
		exit(2);
	}
	close(fd);
}

/* ROOT/usr/lib/postgresql/V/bin with the given programs. */
static void
install(const char *v, bool postgres, bool initdb)
{
	char	dir[PATH_MAX], f[PATH_MAX + 16];

	snprintf(dir, sizeof(dir), "%s%s/%s/bin", root, PGBINDIR_LIBDIR, v);
	mkdir_p(dir);
	snprintf(f, sizeof(f), "%s/psql", dir);
	write_file(f, "#!/bin/sh\n", 10, 0755);
	if (postgres) {
		snprintf(f, sizeof(f), "%s/postgres", dir);
		write_file(f, "#!/bin/sh\n", 10, 0755);
	}
	if (initdb) {
		snprintf(f, sizeof(f), "%s/initdb", dir);
		write_file(f, "#!/bin/sh\n", 10, 0755);
	}
}

static void
pg_version(const char *text)
{
	(void)unlink(pgv);
	(void)rmdir(pgv);
	if (text != NULL)
		write_file(pgv, text, strlen(text), 0600);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static const char *
bin(const char *v)
{
	static char	buf[PATH_MAX + 32];

	snprintf(buf, sizeof(buf), "%s%s/%s/bin", root, PGBINDIR_LIBDIR, v);
	return buf;
}

/* Run the lookup; its return value, the message in err. */
static int
find(const char *configured, struct pgbindir *b, char *err, size_t len)
{
	return pgbindir_find(root, configured, data, b, err, len);
}

static bool
has(const char *s, const char *what)
{
	if (strstr(s, what) != NULL)
		return true;
	diag("\"%s\" not in: %s", what, s);
	return false;
}

static void
test_from_pg_version(void)
{
	struct pgbindir	b;
	char		err[1024];

	pg_version("15\n");
	ok(find("", &b, err, sizeof(err)) == 0, "PG_VERSION \"15\\n\": found");
	is_str(b.dir, bin("15"), "... /usr/lib/postgresql/15/bin");
	is_int(b.major, 15, "... major 15");
	is_int(b.how, PGB_PG_VERSION, "... from PG_VERSION");
	is_str(b.file, pgv, "... which names the file read");

	pg_version("16");
	ok(find("", &b, err, sizeof(err)) == 0 &&
	    strcmp(b.dir, bin("16")) == 0,
	    "PG_VERSION \"16\" without a newline: 16/bin, not the newest");
}

/* Read as root: not another file of the disk linked in as PG_VERSION. */
static void
test_hard_link(void)
{
	struct pgbindir	b;
	char		err[1024], other[PATH_MAX + 16];

	snprintf(other, sizeof(other), "%s/other", data);
	write_file(other, "secret\n", 7, 0600);
	if (link(other, pgv) == -1)
		perror(pgv);
	ok(find("", &b, err, sizeof(err)) == -1 && has(err, pgv) &&
	    has(err, "one link") && strstr(err, "secret") == NULL,
	    "PG_VERSION hard-linked to another file: refused, unread");
	(void)unlink(pgv);
	(void)unlink(other);
}

static void
test_bad_pg_version(void)
{
	struct pgbindir	b;
	char		err[1024];

	pg_version("9.6\n");
	ok(find("", &b, err, sizeof(err)) == -1, "PG_VERSION 9.6: refused");
	ok(has(err, pgv) && has(err, "PostgreSQL 9.6") &&
	    has(err, "pg_upgradecluster"), "... naming the file, the "
	    "version and the fix");

	pg_version("12\n");
	ok(find("", &b, err, sizeof(err)) == -1 && has(err, "PostgreSQL 12")
	    && has(err, "13 and later"), "PG_VERSION 12: refused, 13 and "
	    "later said");

	pg_version("fifteen\n");
	ok(find("", &b, err, sizeof(err)) == -1 && has(err, pgv) &&
	    has(err, "\"fifteen\"") && has(err, "not a PostgreSQL major"),
	    "garbage: refused, naming the file and what it holds");

	pg_version("15\001\n");
	ok(find("", &b, err, sizeof(err)) == -1 && has(err, "\"15?\""),
	    "a control byte is not echoed");

	pg_version("");
	ok(find("", &b, err, sizeof(err)) == -1 && has(err, "\"\""),
	    "an empty PG_VERSION: refused");

	pg_version("150000000000000000000000\n");
	ok(find("", &b, err, sizeof(err)) == -1 && has(err, pgv) &&
	    has(err, "too long"), "too long: refused");

	pg_version("1500\n");
	ok(find("", &b, err, sizeof(err)) == -1 && has(err, "\"1500\""),
	    "four digits: refused");

	pg_version(NULL);
	if (mkdir(pgv, 0755) == -1)
		perror(pgv);
	ok(find("", &b, err, sizeof(err)) == -1 && has(err, pgv) &&
	    has(err, "not a regular file"), "PG_VERSION a directory: refused");
	(void)rmdir(pgv);

	test_hard_link();
	if (symlink("/etc/hostname", pgv) == -1)
		perror(pgv);
	ok(find("", &b, err, sizeof(err)) == -1 && has(err, pgv) &&
	    has(err, "cannot be read"), "PG_VERSION a symbolic link: not "
	    "followed");
	(void)unlink(pgv);
}

static void
test_not_installed(void)
{
	struct pgbindir	b;
	char		err[1024], want[PATH_MAX + 64];

	pg_version("17\n");
	ok(find("", &b, err, sizeof(err)) == -1,
	    "PG_VERSION 17 with only psql of 17 installed: an error");
	snprintf(want, sizeof(want), "%s/postgres", bin("17"));
	ok(has(err, pgv) && has(err, want) &&
	    has(err, "install postgresql-17"),
	    "... naming PG_VERSION, the missing binary and postgresql-17");
	pg_version("14\n");
	ok(find("", &b, err, sizeof(err)) == -1 &&
	    has(err, "install postgresql-14"),
	    "PG_VERSION 14, nothing of 14: install postgresql-14");
}

static void
test_configured(void)
{
	struct pgbindir	b;
	char		err[1024];

	pg_version("garbage\n");
	ok(find("/opt/pg/bin/", &b, err, sizeof(err)) == 0,
	    "configured bindir wins over a bad PG_VERSION");
	is_str(b.dir, "/opt/pg/bin", "... as configured, without the /");
	is_int(b.how, PGB_CONFIGURED, "... said to be configured");
	pg_version("17\n");
	ok(find("/usr/lib/postgresql/15/bin", &b, err, sizeof(err)) == 0 &&
	    strcmp(b.dir, "/usr/lib/postgresql/15/bin") == 0,
	    "configured bindir wins over PG_VERSION 17");
}

static void
test_newest(void)
{
	struct pgbindir	b;
	char		err[1024], d2[PATH_MAX + 16];

	pg_version(NULL);
	ok(find("", &b, err, sizeof(err)) == 0, "no PG_VERSION: found");
	is_str(b.dir, bin("16"), "... the newest with postgres and initdb "
	    "(16; 17 has psql only, 9.6 and 12 are too old)");
	is_int(b.how, PGB_NEWEST, "... said to be the newest");
	is_int(b.major, 16, "... major 16");
	is_str(b.file, "", "... no file read");

	install("17", true, false);
	ok(find("", &b, err, sizeof(err)) == 0 &&
	    strcmp(b.dir, bin("16")) == 0, "17 without initdb: still 16");
	install("17", true, true);
	ok(find("", &b, err, sizeof(err)) == 0 &&
	    strcmp(b.dir, bin("17")) == 0, "17 with initdb: 17");

	/* The disk not mounted: no data directory at all. */
	snprintf(d2, sizeof(d2), "%s", data);
	snprintf(data, sizeof(data), "%s/nodisk/data", root);
	ok(find("", &b, err, sizeof(err)) == 0 && b.how == PGB_NEWEST,
	    "no data directory: the newest");
	snprintf(data, sizeof(data), "%s", d2);
}

static void
test_none_installed(void)
{
	struct pgbindir	b;
	char		err[1024], lib[PATH_MAX + 32];

	snprintf(lib, sizeof(lib), "%s/usr", root);
	(void)nftw(lib, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	pg_version(NULL);
	ok(find("", &b, err, sizeof(err)) == -1, "nothing installed, no "
	    "PG_VERSION: an error");
	ok(has(err, pgv) && has(err, "apt-get install postgresql-") &&
	    has(err, "set bindir"), "... naming PG_VERSION and the fix");
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");

	snprintf(root, sizeof(root), "%s/pgha-bindir.XXXXXX",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(root) == NULL) {
		perror(root);
		return 2;
	}
	snprintf(data, sizeof(data), "%s/srv/data", root);
	snprintf(pgv, sizeof(pgv), "%s/PG_VERSION", data);
	mkdir_p(data);
	install("9.6", true, true);
	install("12", true, true);
	install("15", true, true);
	install("16", true, true);
	install("17", false, false);

	test_from_pg_version();
	test_bad_pg_version();
	test_not_installed();
	test_configured();
	test_newest();
	test_none_installed();

	(void)nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
