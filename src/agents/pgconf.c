/*
 * pgconf.c - the postgresql.conf reader for validate: the server's
 * settings as PostgreSQL would read them (postgresql.conf, then
 * postgresql.auto.conf, with include, include_if_exists and include_dir),
 * each file opened as the server's user.  What cannot be read, or would
 * stop the server, becomes a finding.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "agent_util.h"
#include "pgcheck_int.h"
#include "util.h"

/* ---- postgresql.conf -------------------------------------------------- */

static void
conf_set(struct pgconf *cf, const char *name, const char *value,
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

const struct setting *
pgconf_get(const struct pgconf *cf, const char *name)
{
	for (size_t i = 0; i < cf->n; i++) {
		if (strcmp(cf->v[i].name, name) == 0)
			return &cf->v[i];
	}
	return NULL;
}

void
pgconf_free(struct pgconf *cf)
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
conf_read_dir(struct chk *c, struct pgconf *cf, const char *dir, int depth)
{
	struct dirent	**de;
	char		  path[PATH_MAX];
	int		  n;

	if (pgc_as_server_user(c, true) == -1)
		n = -1;
	else {
		n = scandir(dir, &de, inc_filter, inc_cmp);
		pgc_as_server_user(c, false);
	}
	if (n == -1) {
		pgc_finding(c, "error", "include_dir", dir, NULL,
		    "include_dir %s cannot be read by %s (%s); postgres will "
		    "not start", dir, c->user, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, de[i]->d_name);
		(void)pgconf_read(c, cf, path, depth + 1, false);
		free(de[i]);
	}
	free(de);
}

/* include, include_if_exists, include_dir: relative to the includer. */
static bool
conf_include(struct chk *c, struct pgconf *cf, const char *file,
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
		(void)pgconf_read(c, cf, path, depth + 1,
		    strcasecmp(name, "include_if_exists") == 0);
	return true;
}

/* Read one file into cf; later settings replace earlier ones. */
int
pgconf_read(struct chk *c, struct pgconf *cf, const char *path, int depth,
    bool missing_ok)
{
	char	*line = NULL, name[NAME_LEN], val[PATH_MAX];
	size_t	 cap = 0, total = 0;
	ssize_t	 len;
	int	 lineno = 0, r;
	FILE	*f;

	if (depth > CONF_DEPTH) {
		pgc_finding(c, "error", "include", path, NULL, "includes nested "
		    "deeper than %d levels at %s", CONF_DEPTH, path);
		return -1;
	}
	if ((f = pgc_user_fopen(c, path)) == NULL) {
		if (missing_ok && errno == ENOENT)
			return 0;
		pgc_finding(c, "error", depth ? "include" : "config_file", path,
		    NULL, "%s cannot be read by %s (%s); postgres will not "
		    "start", path, c->user, pgc_user_fopen_err(errno));
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
			pgc_finding(c, "error", "config_file", path, NULL,
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
			pgc_finding(c, "error", "config_file", path, fix,
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
int
pgconf_bool(const char *v)
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

