/*
 * util.h - allocation that aborts on OOM, monotonic time, small helpers.
 * No daemon state lives here.
 */
#ifndef PGHA_UTIL_H
#define PGHA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
/* The message into err (if err and len), for "return errf(...)": -1. */
int	errf(char *err, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

uint64_t	now_ms(void);		/* CLOCK_MONOTONIC, milliseconds */
uint64_t	wall_ms(void);		/* CLOCK_REALTIME, milliseconds */
void		fmt_wall(uint64_t ms, char *buf, size_t len); /* ISO 8601 UTC */

/* "500ms", "2s", "1m": 0 on success, -1 if malformed or out of range. */
int	parse_duration_ms(const char *, uint32_t *);
/* SHA-256 as 64 lowercase hex chars + NUL into out[65]. */
void	sha256_hex(const void *, size_t, char out[65]);
/* n bytes as 2n lowercase hex digits and a NUL: out holds 2n + 1. */
void	hex_encode(const void *, size_t n, char *out);
/*
 * Whether only root (or this process's user) can change what directory
 * dir holds: 0, or -1 with the reason in why.  See util.c.
 */
int	dir_trusted(const char *dir, char *why, size_t len);
/* The directory part of path into out ("/" for "/x"); -1 if too long. */
int	path_dirname(const char *path, char *out, size_t len);

/* The control socket when the cluster file names none (pghad and pgha). */
#define PGHA_DEFAULT_SOCKET	"/run/pgha/pgha.sock"

/*
 * A line an agent marks for administrators only (AGENT_ERR_ADMIN_LINE,
 * agent_proto.h): pghad keeps it after PGHA_ADMIN_MARK in the result, and
 * the control socket cuts the text from the mark on for anyone else.
 */
#define PGHA_ADMIN_MARK	" [admins only] "
#define PGHA_ADMIN_WITHHELD	"(withheld: for administrators only)"

/*
 * json (JSON text) with every string cut after PGHA_ADMIN_MARK, where
 * PGHA_ADMIN_WITHHELD then stands: a new string, caller frees.
 */
char	*admin_redact(const char *json);
/*
 * An environment entry for a child: NAME=VALUE, NAME of [A-Za-z0-9_]
 * (starting with prefix unless NULL), VALUE without control characters.
 */
bool	env_entry_ok(const char *entry, const char *prefix);

#endif
