/*
 * pgbindir.h - which PostgreSQL binaries run a data directory: a
 * configured bindir, else Debian's /usr/lib/postgresql/N/bin with N
 * from DATA/PG_VERSION, else (no database cluster yet, as before
 * pgha db init) the newest installed server.  Every user of bindir in
 * the postgresql agent (start, stop, monitor, validate, init) asks here.
 */
#ifndef PGHA_PGBINDIR_H
#define PGHA_PGBINDIR_H

#include <limits.h>
#include <stddef.h>

/* The oldest major version the lookup accepts (13 to 17 are meant). */
#define PGBINDIR_MIN_MAJOR	13
/* Where Debian installs each major version's server, below the root. */
#define PGBINDIR_LIBDIR		"/usr/lib/postgresql"

enum pgbindir_how {
	PGB_CONFIGURED,		/* the resource's bindir */
	PGB_PG_VERSION,		/* N from DATA/PG_VERSION */
	PGB_NEWEST,		/* no PG_VERSION: newest installed */
};

struct pgbindir {
	char			dir[PATH_MAX];	/* no trailing / */
	enum pgbindir_how	how;
	int			major;		/* 0: configured */
	char			file[PATH_MAX];	/* PG_VERSION read, or "" */
};

/*
 * Find the bindir.  root prefixes PGBINDIR_LIBDIR ("" on a real system,
 * a scratch tree in tests); configured is the bindir parameter ("" when
 * unset) and wins; data is the data directory.  A PG_VERSION that exists
 * but is not a supported major version, or names one that is not
 * installed, is an error: no guess at another version's binaries.
 * 0 and *out filled, or -1 and a message in err naming the file and the
 * fix (nothing else changed).
 */
int	pgbindir_find(const char *root, const char *configured,
	    const char *data, struct pgbindir *out, char *err, size_t errlen);

/* "configured", "from /srv/db1/data/PG_VERSION" or "newest installed". */
const char	*pgbindir_how_text(const struct pgbindir *b, char *buf,
		    size_t len);

#endif
