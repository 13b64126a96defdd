/*
 * pgcheck_int.h - what the files of the postgresql agent's validate and
 * init share (pgcheck.c, pgconf.c, pgconfdir.c, pgvalidate.c, pginit.c);
 * not for the other agents.
 */
#ifndef PGHA_PGCHECK_INT_H
#define PGHA_PGCHECK_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "pgbindir.h"

struct json_object;

#define MAX_MOUNTS	16
#define CONF_DEPTH	10	/* include nesting, as PostgreSQL's limit */
#define CONF_FILE_MAX	(1024 * 1024)	/* bytes of one configuration file */
#define CONF_LINE_MAX	(64 * 1024)	/* bytes of one of its lines */
#define NOBODY_ID	65534
#define NAME_LEN	64

struct setting {
	char	 name[NAME_LEN];	/* lower case */
	char	*value;
	char	*file;			/* where it was (last) set */
	int	 line;
};

/* postgresql.conf, postgresql.auto.conf and what they include. */
struct pgconf {
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
	const char	*config_dir;	/* "" when unset: data's */
	const char	*bindir;	/* found: bin.dir, or "" if not */
	struct pgbindir	 bin;		/* how it was found */
	bool		 bin_ok;
	char		 bin_err[2 * PATH_MAX]; /* why not, and the fix */
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

/* --- pgcheck.c: output (one JSON object per line on stdout) --- */
void	pgc_jstr(struct json_object *, const char *key, const char *val);
/* Write o as one line and free it. */
void	pgc_emit(struct json_object *o);
/* A new object with "kind": kind (caller emits it). */
struct json_object	*pgc_kind_obj(const char *kind);
/* level "error" or "warning"; path and fix may be NULL. */
void	pgc_finding(struct chk *c, const char *level, const char *setting,
	    const char *path, const char *fix, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
void	pgc_passed(const char *check, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	pgc_fact_local_path(const char *setting, const char *path);

/* --- pgcheck.c: parameters, the group's disks, the server's files --- */
/* The resource's parameters and the group's mounts into c: OCF_* code. */
int	pgc_load(struct chk *c);
void	pgc_free(struct chk *c);
/* Index of the mounted group disk path is on; -1 if none, -2 if no path. */
int	pgc_disk_of(const struct chk *c, const char *path, dev_t *dev);
/* The group mountpoint whose path holds path (by name), or -1. */
int	pgc_mount_by_name(const struct chk *c, const char *path);
/* The group's mountpoints, for a message. */
void	pgc_mount_list(const struct chk *c, char *buf, size_t len);
/*
 * Take (on) or give back the effective ids of the server's user (nobody's
 * if it does not exist) around reading what its configuration names.
 * -1 if they cannot be taken.
 */
int	pgc_as_server_user(const struct chk *c, bool on);
/*
 * A regular file of at most CONF_FILE_MAX bytes opened as the server's
 * user; NULL with errno set (EINVAL: not a regular file, EFBIG: too big),
 * which pgc_user_fopen_err() says in words.
 */
FILE	*pgc_user_fopen(const struct chk *c, const char *path);
const char	*pgc_user_fopen_err(int e);

/* --- pgconfdir.c: config_dir on this node --- */
/* Its owner and modes, what the server reads, a fact of its files' hashes. */
void	pgc_check_config_dir(struct chk *c);

/* --- pgconf.c: postgresql.conf and what it includes --- */
/* Read path (and its includes) into cf; problems become findings. */
int	pgconf_read(struct chk *c, struct pgconf *cf, const char *path,
	    int depth, bool missing_ok);
/* The setting's last value, or NULL. */
const struct setting	*pgconf_get(const struct pgconf *cf,
			    const char *name);
void	pgconf_free(struct pgconf *cf);
/* PostgreSQL's parse_bool: 1 true, 0 false, -1 neither. */
int	pgconf_bool(const char *v);

#endif
