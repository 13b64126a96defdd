/*
 * util.c - see util.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "util.h"

static void
oom(void)
{
	/* A half-working HA daemon is worse than a dead one. */
	fputs("pgha: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void	*p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void	*p = calloc(n ? n : 1, sz ? sz : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t sz)
{
	if (sz && n > SIZE_MAX / sz)
		oom();
	p = realloc(p, n && sz ? n * sz : 1);
	if (p == NULL)
		oom();
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p = strdup(s);

	if (p == NULL)
		oom();
	return p;
}

int
errf(char *err, size_t len, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	va_end(ap);
	return p;
}

uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t
wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
fmt_wall(uint64_t ms, char *buf, size_t len)
{
	time_t		t = ms / 1000;
	struct tm	tm;
	char		tmp[32];

	gmtime_r(&t, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03uZ", tmp, (unsigned)(ms % 1000));
}

int
parse_duration_ms(const char *s, uint32_t *out)
{
	unsigned long long	 v = 0, mult;
	const char		*p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > 0xffffffffULL)
			return -1;
		p++;
	}
	if (strcmp(p, "ms") == 0)
		mult = 1;
	else if (strcmp(p, "s") == 0)
		mult = 1000;
	else if (strcmp(p, "m") == 0 || strcmp(p, "min") == 0)
		mult = 60000;
	else if (strcmp(p, "h") == 0)
		mult = 3600000;
	else
		return -1;
	if (v * mult > 0xffffffffULL)
		return -1;
	*out = (uint32_t)(v * mult);
	return 0;
}

void
hex_encode(const void *data, size_t n, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	const unsigned char	*b = data;
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

void
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		abort();
	hex_encode(md, 32, out);
}

/*
 * A directory is trusted when it is a real directory (not a symbolic
 * link) owned by root or by us that nobody else may write, and each of
 * its ancestors is owned by root or by us and either writable by nobody
 * else or sticky (others may add entries there, but not rename ours).
 * Group write by group 0 is root's.  Whoever else can write there can
 * replace a socket or file we are about to trust.
 */
static int
dir_check_one(const char *path, int last, char *why, size_t len)
{
	struct stat	st;
	uid_t		me = geteuid();
	int		wothers;

	if ((last ? lstat(path, &st) : stat(path, &st)) == -1)
		return errf(why, len, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return errf(why, len, "%s is not a directory", path);
	if (st.st_uid != 0 && st.st_uid != me)
		return errf(why, len, "directory %s is owned by uid %u, not "
		    "root", path, (unsigned)st.st_uid);
	wothers = (st.st_mode & S_IWOTH) ||
	    ((st.st_mode & S_IWGRP) && st.st_gid != 0);
	if (wothers && (last || !(st.st_mode & S_ISVTX)))
		return errf(why, len, "directory %s (mode %04o, group %u) "
		    "may be written by others", path,
		    (unsigned)(st.st_mode & 07777), (unsigned)st.st_gid);
	return 0;
}

int
dir_trusted(const char *dir, char *why, size_t len)
{
	char	buf[4096];
	size_t	i, n = strlen(dir);

	if (dir[0] != '/')
		return errf(why, len, "%s is not an absolute path", dir);
	if (n >= sizeof(buf))
		return errf(why, len, "%.64s...: path too long", dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (dir_check_one("/", n == 1, why, len) == -1)
		return -1;
	for (i = 1; i <= n; i++) {
		if (i < n && dir[i] != '/')
			continue;
		if (dir[i - 1] == '/')
			continue;	/* "//" */
		memcpy(buf, dir, i);
		buf[i] = '\0';
		if (dir_check_one(buf, i == n, why, len) == -1)
			return -1;
	}
	return 0;
}

int
path_dirname(const char *path, char *out, size_t len)
{
	const char	*slash = strrchr(path, '/');
	size_t		 n;

	if (slash == NULL)
		return snprintf(out, len, ".") >= (int)len ? -1 : 0;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= len)
		return -1;
	memcpy(out, path, n);
	out[n] = '\0';
	return 0;
}

char *
admin_redact(const char *json)
{
	size_t		 ml = strlen(PGHA_ADMIN_MARK), wl;
	const char	*p = json, *m;
	char		*out, *w;

	wl = strlen(PGHA_ADMIN_WITHHELD);
	/* Each cut replaces at least the mark's length with wl bytes. */
	out = w = xmalloc(strlen(json) / ml * wl + strlen(json) + 1);
	while ((m = strstr(p, PGHA_ADMIN_MARK)) != NULL) {
		memcpy(w, p, (size_t)(m - p) + ml);
		w += (m - p) + ml;
		memcpy(w, PGHA_ADMIN_WITHHELD, wl);
		w += wl;
		/* on to the string's closing quote, past escapes */
		for (p = m + ml; *p != '\0' && *p != '"'; p++)
			if (*p == '\\' && p[1] != '\0')
				p++;
	}
	strcpy(w, p);
	return out;
}

bool
env_entry_ok(const char *e, const char *prefix)
{
	size_t	n = strspn(e, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789_");

	if (n == 0 || e[n] != '=')
		return false;
	if (prefix != NULL && strncmp(e, prefix, strlen(prefix)) != 0)
		return false;
	for (e += n + 1; *e; e++)
		if ((unsigned char)*e < 0x20 || *e == 0x7f)
			return false;
	return true;
}
