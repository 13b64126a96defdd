/*
 * conf.c - reads the cluster definition (see conf.h, pgha.conf(5)).
 *
 * Owns the line lexer, the checks and the hash; the key table is
 * conf_keys.c and the canonical printer conf_print.c.  Parsing is two
 * passes: the lexer turns the text into raw sections of key/value lines,
 * then the builder checks every value against the table and resolves
 * names.  Every error is kept and they are written sorted by line at the
 * end; one error rejects the whole file, as a half-understood HA
 * configuration is worse than none.
 */
#define PGHA_LOG_TAG	"config"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "conf_keys.h"
#include "util.h"
#include "wire.h"

#define LINE_MAX_LEN	1024
#define SUN_PATH_MAX	107		/* sizeof(sun_path) - 1 */
#define IFNAME_MAX	15		/* IFNAMSIZ - 1 */
#define NAME_RULE	"is not a valid name (letters, digits, \"_\", \".\", " \
			"\"-\", at most 63, starting with a letter or digit)"

/* One "key = value" line as read. */
struct raw_kv {
	char	*key;
	char	*val;
	int	 line;
};

/* One section as read; bad ones swallow their lines silently. */
struct raw_sect {
	int		 kind;		/* CS_*, or -1 */
	char		*name;		/* NULL for [cluster] */
	char		*label;		/* "[node a]", for messages */
	int		 line;
	bool		 bad;
	struct raw_kv	*kv;
	int		 nkv;
};

struct perr {
	int	 line;
	int	 seq;
	bool	 warning;	/* reported; does not reject the file */
	char	*msg;
};

struct parser {
	const char	*fname;
	struct perr	*errs;
	int		 nerrs;		/* errors (not warnings) */
	int		 ndiag;		/* and warnings too */
	struct raw_sect	*sects;
	int		 nsects;
	struct conf	*conf;
	/* raw section of each node, group, resource of conf */
	struct raw_sect	**rnode, **rgroup, **rres;
};

static void perr(struct parser *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void pwarn(struct parser *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void pdiag(struct parser *, int, bool, const char *, va_list)
    __attribute__((format(printf, 4, 0)));

static void
pdiag(struct parser *p, int line, bool warning, const char *fmt, va_list ap)
{
	struct perr	*e;
	char		*msg;

	if (vasprintf(&msg, fmt, ap) == -1)
		abort();
	p->errs = xreallocarray(p->errs, p->ndiag + 1, sizeof(*p->errs));
	e = &p->errs[p->ndiag];
	e->line = line;
	e->seq = p->ndiag++;
	e->warning = warning;
	e->msg = msg;
	if (!warning)
		p->nerrs++;
}

static void
perr(struct parser *p, int line, const char *fmt, ...)
{
	va_list		 ap;

	va_start(ap, fmt);
	pdiag(p, line, false, fmt, ap);
	va_end(ap);
}

/* What is allowed but risky: said, with what it risks; the file loads. */
static void
pwarn(struct parser *p, int line, const char *fmt, ...)
{
	va_list		 ap;

	va_start(ap, fmt);
	pdiag(p, line, true, fmt, ap);
	va_end(ap);
}

static int
perr_cmp(const void *a, const void *b)
{
	const struct perr	*x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Write the errors and warnings sorted by line (stable), then free them. */
static void
perr_flush(struct parser *p, FILE *errf)
{
	int	i;

	if (p->ndiag == 0)
		return;		/* p->errs is NULL */
	qsort(p->errs, p->ndiag, sizeof(*p->errs), perr_cmp);
	for (i = 0; i < p->ndiag; i++) {
		if (errf != NULL)
			fprintf(errf, "%s:%d: %s%s\n", p->fname,
			    p->errs[i].line, p->errs[i].warning ?
			    "warning: " : "", p->errs[i].msg);
		free(p->errs[i].msg);
	}
	free(p->errs);
	p->errs = NULL;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
valid_name(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > CONF_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char	c = s[i];
		bool	alnum = (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

/* Copy [s, e) with surrounding blanks stripped. */
static char *
strip_dup(const char *s, const char *e)
{
	char	*r;

	while (s < e && is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		e--;
	r = xmalloc(e - s + 1);
	memcpy(r, s, e - s);
	r[e - s] = '\0';
	return r;
}

static struct raw_sect *
cur_sect(struct parser *p)
{
	return p->nsects ? &p->sects[p->nsects - 1] : NULL;
}

static struct raw_sect *
find_sect(struct parser *p, int kind, const char *name, int upto)
{
	int	i;

	for (i = 0; i < upto; i++) {
		struct raw_sect	*s = &p->sects[i];

		if (s->kind == kind && !s->bad &&
		    (name == NULL ? s->name == NULL :
		    s->name != NULL && strcmp(s->name, name) == 0))
			return s;
	}
	return NULL;
}

static int
sect_kind(const char *kind)
{
	size_t	i;

	for (i = 0; i < conf_nsect_names; i++)
		if (strcmp(kind, conf_sect_names[i]) == 0)
			return (int)i;
	return -1;
}

/* Check a "[kind name]" header (inner text); false if unusable. */
static bool
check_header(struct parser *p, struct raw_sect *s, const char *kind,
    int line)
{
	struct raw_sect	*dup;

	s->kind = sect_kind(kind);
	if (s->kind == -1) {
		perr(p, line, "unknown section kind \"%s\" (cluster, node, "
		    "group or resource)", kind);
		return false;
	}
	if (s->kind == CS_CLUSTER && s->name != NULL) {
		perr(p, line, "[cluster] takes no name");
		return false;
	}
	if (s->kind != CS_CLUSTER && s->name == NULL) {
		perr(p, line, "[%s] needs a name", kind);
		return false;
	}
	if (s->name != NULL && !valid_name(s->name)) {
		perr(p, line, "[%s] \"%s\" %s", kind, s->name, NAME_RULE);
		return false;
	}
	dup = find_sect(p, s->kind, s->name, p->nsects - 1);
	if (dup != NULL) {
		perr(p, line, "%s duplicate section (first at line %d)",
		    dup->label, dup->line);
		return false;
	}
	return true;
}

static void
lex_section(struct parser *p, const char *s, const char *e, int line)
{
	struct raw_sect	*rs;
	const char	*in = s + 1, *ie = e - 1, *sp;
	char		*kind;

	p->sects = xreallocarray(p->sects, p->nsects + 1, sizeof(*p->sects));
	rs = &p->sects[p->nsects++];
	memset(rs, 0, sizeof(*rs));
	rs->line = line;
	rs->kind = -1;
	while (in < ie && is_blank(*in))
		in++;
	for (sp = in; sp < ie && !is_blank(*sp); sp++)
		;
	kind = strip_dup(in, sp);
	rs->name = strip_dup(sp, ie);
	if (*rs->name == '\0') {
		free(rs->name);
		rs->name = NULL;
	}
	rs->bad = !check_header(p, rs, kind, line);
	if (rs->name != NULL)
		rs->label = xasprintf("[%s %s]", kind, rs->name);
	else
		rs->label = xasprintf("[%s]", kind);
	free(kind);
}

static void
lex_kv(struct parser *p, const char *s, const char *e, const char *eq,
    int line)
{
	struct raw_sect	*rs = cur_sect(p);
	char		*key = strip_dup(s, eq);
	struct raw_kv	*kv;
	int		 i;

	if (*key == '\0') {
		perr(p, line, "syntax error: no key before \"=\"");
		free(key);
		return;
	}
	if (rs == NULL) {
		perr(p, line, "key \"%s\" outside of a section", key);
		free(key);
		return;
	}
	for (i = 0; i < rs->nkv && !rs->bad; i++) {
		if (strcmp(rs->kv[i].key, key) == 0) {
			perr(p, line, "%s duplicate key \"%s\" (first at "
			    "line %d)", rs->label, key, rs->kv[i].line);
			free(key);
			return;
		}
	}
	rs->kv = xreallocarray(rs->kv, rs->nkv + 1, sizeof(*rs->kv));
	kv = &rs->kv[rs->nkv++];
	kv->key = key;
	kv->val = strip_dup(eq + 1, e);
	kv->line = line;
}

/* One line, [s, e), without its newline. */
static void
lex_line(struct parser *p, const char *s, const char *e, int line)
{
	const char	*c, *eq;

	for (c = s; c < e; c++) {
		unsigned char	u = (unsigned char)*c;

		if ((u < 0x20 && u != '\t') || u == 0x7f) {
			perr(p, line, "control character 0x%02x in line", u);
			return;
		}
	}
	if (e - s > LINE_MAX_LEN) {
		perr(p, line, "line longer than %d bytes", LINE_MAX_LEN);
		return;
	}
	while (s < e && is_blank(*s))
		s++;
	if (s < e && *s == '#')
		return;
	/*
	 * A "#" after a blank starts a comment to the end of the line, as in
	 * postgresql.conf; one with no blank before it ("password=a#b") is
	 * part of the value.  Cut here, once, so that no key can take words
	 * from a comment.
	 */
	for (c = s + 1; c < e; c++) {
		if (*c == '#' && is_blank(c[-1])) {
			e = c;
			break;
		}
	}
	while (e > s && is_blank(e[-1]))
		e--;
	if (s == e)
		return;
	if (*s == '[' && e[-1] == ']' && e - s >= 2) {
		lex_section(p, s, e, line);
		return;
	}
	eq = memchr(s, '=', e - s);
	if (eq == NULL || *s == '[') {
		perr(p, line, "syntax error: expected \"[section]\", "
		    "\"key = value\" or \"# comment\"");
		return;
	}
	lex_kv(p, s, e, eq, line);
}

static void
lex(struct parser *p, const char *buf, size_t len)
{
	const char	*s = buf, *end = buf + len, *nl;
	int		 line = 1;

	while (s < end) {
		nl = memchr(s, '\n', end - s);
		if (nl == NULL)
			nl = end;
		lex_line(p, s, nl, line++);
		s = nl + 1;
	}
}

/* --- values ------------------------------------------------------------ */

static bool
parse_int(const char *s, int64_t *out)
{
	int64_t	v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
		if (v > 0x7fffffff)
			return false;
	}
	*out = v;
	return true;
}

static bool
valid_cidr(const char *s)
{
	const char	*slash = strchr(s, '/');
	char		 addr[INET_ADDRSTRLEN];
	struct in_addr	 in;
	int64_t		 plen;

	if (slash == NULL || slash - s >= (ptrdiff_t)sizeof(addr))
		return false;
	memcpy(addr, s, slash - s);
	addr[slash - s] = '\0';
	if (inet_pton(AF_INET, addr, &in) != 1)
		return false;
	return parse_int(slash + 1, &plen) && plen >= 1 && plen <= 32 &&
	    strlen(slash + 1) <= 2;
}

static bool
valid_word(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static bool
valid_ifname(const char *s)
{
	size_t	n = strlen(s);

	if (n > IFNAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s != '\0'; s++)
		if (*s == '/' || *s == ':' || is_blank(*s))
			return false;
	return true;
}

static bool
valid_socket(const char *s)
{
	return strlen(s) <= SUN_PATH_MAX && s[0] == '/' && s[1] != '\0' &&
	    s[strlen(s) - 1] != '/';
}


static int
check_num(struct parser *p, const char *label, const struct conf_key *k,
    const char *v, int line, int64_t *num)
{
	uint32_t	ms;
	char		lo[32], hi[32];

	if (k->vtype == CV_DUR) {
		conf_fmt_dur(lo, sizeof(lo), (uint32_t)k->min);
		conf_fmt_dur(hi, sizeof(hi), (uint32_t)k->max);
		if (parse_duration_ms(v, &ms) == -1) {
			perr(p, line, "%s %s: \"%s\" is not a duration (e.g. "
			    "500ms, 2s, 1m)", label, k->name, v);
			return -1;
		}
		if (ms < k->min || ms > k->max) {
			perr(p, line, "%s %s: \"%s\" is out of range (%s-%s)",
			    label, k->name, v, lo, hi);
			return -1;
		}
		*num = ms;
		return 0;
	}
	if (!parse_int(v, num) || *num < k->min || *num > k->max) {
		perr(p, line, "%s %s: \"%s\" is not %s (%lld-%lld)%s", label,
		    k->name, v, k->vtype == CV_PORT ? "a port number" :
		    "an integer", (long long)k->min, (long long)k->max,
		    (k->flags & CK_AUTO) ? " or auto" : "");
		return -1;
	}
	return 0;
}

/* "k=v k=v": each word a key of [a-z0-9_-]+, "=", a non-empty value. */
static bool
valid_kvlist(const char *v)
{
	const char	*p = v;
	size_t		 klen;

	while (*p) {
		klen = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_-");
		if (klen == 0 || p[klen] != '=' || p[klen + 1] == '\0' ||
		    p[klen + 1] == ' ')
			return false;
		p += klen + 1;
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
	return p != v;
}

/* Checks a scalar value; numbers land in *num.  0 or -1 (reported). */
static int
hhmm(const char *s, int *min)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return -1;
	*min = ((s[0] - '0') * 10 + s[1] - '0') * 60 + (s[3] - '0') * 10 +
	    s[4] - '0';
	if (s[0] > '2' || (s[0] == '2' && s[1] > '3') || s[3] > '5')
		return -1;
	return 0;
}

/* "no", "immediate" or "HH:MM-HH:MM" (from != to). */
static int
parse_failback(const char *v, enum failback *fb, int *from, int *to)
{
	int	a, b;

	if (strcmp(v, "no") == 0 || strcmp(v, "immediate") == 0) {
		if (fb != NULL)
			*fb = v[0] == 'n' ? FB_NO : FB_IMMEDIATE;
		return 0;
	}
	if (strlen(v) != 11 || v[5] != '-' || hhmm(v, &a) == -1 ||
	    hhmm(v + 6, &b) == -1 || a == b)
		return -1;
	if (fb != NULL) {
		*fb = FB_WINDOW;
		*from = a;
		*to = b;
	}
	return 0;
}

/*
 * Paths are normalised before they are checked: "//" becomes "/" and a
 * trailing "/" goes, so two spellings of one place compare equal (and
 * -nv prints the normal form).  "." and ".." are refused rather than
 * resolved: "/srv/db1/../etc" is what the agents would open as root.
 */
static void
path_normalise(char *v)
{
	char	*r, *w;

	if (v[0] != '/')
		return;
	for (r = w = v; *r != '\0'; r++)
		if (*r != '/' || w == v || w[-1] != '/')
			*w++ = *r;
	if (w > v + 1 && w[-1] == '/')
		w--;
	*w = '\0';
}

/* Why a normalised path is refused, or NULL. */
static const char *
path_problem(const char *v)
{
	const char	*c;
	size_t		 l;

	if (v[0] != '/')
		return "is not an absolute path";
	for (c = v; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "contains a control character";
	for (c = v + 1; *c != '\0'; c += l + (c[l] == '/')) {
		l = strcspn(c, "/");
		if ((l == 1 && c[0] == '.') ||
		    (l == 2 && c[0] == '.' && c[1] == '.'))
			return "has a \".\" or \"..\" component (write the "
			    "path without them)";
	}
	return NULL;
}

static int
check_value(struct parser *p, const char *label, const struct conf_key *k,
    const char *v, int line, int64_t *num)
{
	const char	*what = NULL;

	switch (k->vtype) {
	case CV_NAME:
		if (!valid_name(v))
			what = NAME_RULE;
		break;
	case CV_PATH:
		what = path_problem(v);
		break;
	case CV_SOCKET:
		if (v[0] == '@')
			what = "is an abstract socket name: those have no "
			    "permissions, any local user could take it first "
			    "and receive root's requests; use a path such as "
			    "/run/pgha/pgha.sock";
		else if (!valid_socket(v))
			what = "is not an absolute path to a socket (at most "
			    "107 bytes)";
		break;
	case CV_WORD:
		if (!valid_word(v))
			what = "is not a file system type ([a-z0-9]+)";
		break;
	case CV_CIDR:
		if (!valid_cidr(v))
			what = "is not an IPv4 address with a prefix length "
			    "(a.b.c.d/1-32)";
		break;
	case CV_IFNAME:
		if (!valid_ifname(v))
			what = "is not an interface name (at most 15 bytes, "
			    "no \"/\", \":\" or blanks)";
		break;
	case CV_KVLIST:
		if (!valid_kvlist(v))
			what = "is not a list of key=value pairs (keys "
			    "[a-z0-9_-]+, no blanks in values)";
		break;
	case CV_BOOL:
		if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0)
			*num = v[0] == 'y';
		else
			what = "is not yes or no";
		break;
	case CV_FAILBACK:
		if (parse_failback(v, NULL, NULL, NULL) == -1)
			what = "is not no, immediate or a daily window "
			    "HH:MM-HH:MM";
		break;
	case CV_INT:
		if ((k->flags & CK_AUTO) && strcmp(v, "auto") == 0) {
			*num = -1;
			return 0;
		}
		return check_num(p, label, k, v, line, num);
	case CV_PORT:
	case CV_DUR:
		return check_num(p, label, k, v, line, num);
	default:
		break;
	}
	if (what != NULL) {
		perr(p, line, "%s %s: \"%s\" %s", label, k->name, v, what);
		return -1;
	}
	return 0;
}

/*
 * The key of that name for a section (and resource type, if rtype >= 0:
 * two types may each have a key of the same name, e.g. user); a key of
 * another type if none fits, for the message.
 */
static const struct conf_key *
find_key(int sect, int rtype, const char *name)
{
	const struct conf_key	*other = NULL;
	size_t			 i;

	for (i = 0; i < conf_nkeys; i++) {
		if ((int)conf_keys[i].sect != sect ||
		    strcmp(conf_keys[i].name, name) != 0)
			continue;
		if (rtype < 0 || conf_keys[i].rtype == CK_ANY_TYPE ||
		    conf_keys[i].rtype == rtype)
			return &conf_keys[i];
		if (other == NULL)
			other = &conf_keys[i];
	}
	return other;
}

static const struct raw_kv *
find_kv(const struct raw_sect *s, const char *key)
{
	int	i;

	for (i = 0; i < s->nkv; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			return &s->kv[i];
	return NULL;
}

/* Store a checked scalar into the struct field the table names. */
static void
store_field(const struct conf_key *k, void *obj, const char *v,
    int64_t num)
{
	char	*f = (char *)obj + k->off;

	switch (k->vtype) {
	case CV_BOOL:
		*(bool *)f = num != 0;
		break;
	case CV_DUR:
		*(uint32_t *)f = (uint32_t)num;
		break;
	case CV_INT:
		if (k->sect == CS_NODE)
			*(uint32_t *)f = (uint32_t)num;
		else
			*(int *)f = (int)num;
		break;
	default:
		free(*(char **)f);
		*(char **)f = xstrdup(v);
		break;
	}
}

/*
 * Set the scalar keys of a section in obj: given values first, then
 * defaults for the others.  rtype limits resource keys to those of any
 * type (CK_ANY_TYPE) - parameters are done by set_params().
 */
static void
set_scalars(struct parser *p, const struct raw_sect *s, void *obj,
    int rtype)
{
	const struct raw_kv	*kv;
	const struct conf_key	*k;
	int64_t			 num = 0;
	size_t			 i;

	for (i = 0; i < conf_nkeys; i++) {
		k = &conf_keys[i];
		if ((int)k->sect != s->kind || k->rtype != CK_ANY_TYPE ||
		    k->vtype == CV_NODES || k->vtype == CV_RESLIST ||
		    k->vtype == CV_GROUPREF || k->vtype == CV_RTYPE)
			continue;
		kv = find_kv(s, k->name);
		if (kv != NULL && k->vtype == CV_PATH)
			path_normalise(kv->val);
		if (kv != NULL) {
			if (*kv->val == '\0')
				perr(p, kv->line, "%s %s: empty value",
				    s->label, k->name);
			else if (check_value(p, s->label, k, kv->val,
			    kv->line, &num) == 0)
				store_field(k, obj, kv->val, num);
			continue;
		}
		if (k->flags & CK_REQUIRED)
			perr(p, s->line, "%s lacks required key \"%s\"",
			    s->label, k->name);
		else if (k->def != NULL || (rtype >= 0 && k->tdef[rtype])) {
			const char *d = k->def ? k->def : k->tdef[rtype];

			if (check_value(p, s->label, k, d, s->line, &num) != 0)
				abort();	/* the table is wrong */
			store_field(k, obj, d, num);
		}
	}
}

/* Keys given that the table does not know for this section (and type). */
static void
check_unknown(struct parser *p, const struct raw_sect *s, int rtype)
{
	const struct conf_key	*k;
	int			 i;

	for (i = 0; i < s->nkv; i++) {
		if (s->kind == CS_RESOURCE && strncmp(s->kv[i].key,
		    CONF_OCF_PARAM, strlen(CONF_OCF_PARAM)) == 0) {
			if (rtype >= 0 && rtype != RT_OCF)
				perr(p, s->kv[i].line, "%s key \"%s\": "
				    "param.NAME keys are for OCF resource "
				    "agents (type = ocf:PROVIDER:AGENT), not "
				    "type %s", s->label, s->kv[i].key,
				    conf_rtype_names[rtype]);
			continue;	/* RT_OCF: set_ocf_params() */
		}
		k = find_key(s->kind, rtype, s->kv[i].key);
		if (k == NULL)
			perr(p, s->kv[i].line, "%s unknown key \"%s\"",
			    s->label, s->kv[i].key);
		else if (rtype >= 0 && k->rtype != CK_ANY_TYPE &&
		    k->rtype != rtype)
			perr(p, s->kv[i].line, "%s key \"%s\" is not valid "
			    "for type %s (it belongs to type %s)", s->label,
			    k->name, conf_rtype_names[rtype],
			    conf_rtype_names[k->rtype]);
	}
}

/* --- sections ---------------------------------------------------------- */

static int
count_kind(struct parser *p, int kind)
{
	int	i, n = 0;

	for (i = 0; i < p->nsects; i++)
		if (p->sects[i].kind == kind && !p->sects[i].bad)
			n++;
	return n;
}

static void
build_cluster(struct parser *p)
{
	struct raw_sect	 none, *s = find_sect(p, CS_CLUSTER, NULL, p->nsects);

	if (s == NULL) {
		memset(&none, 0, sizeof(none));
		none.kind = CS_CLUSTER;
		none.label = "[cluster]";
		none.line = 1;
		s = &none;
	}
	set_scalars(p, s, p->conf, CK_ANY_TYPE);
	check_unknown(p, s, CK_ANY_TYPE);
}

static void
build_nodes(struct parser *p)
{
	struct conf		*c = p->conf;
	struct conf_node	*n;
	const struct conf_node	*o;
	int			 i, j;

	c->nodes = xcalloc(count_kind(p, CS_NODE), sizeof(*c->nodes));
	p->rnode = xcalloc(count_kind(p, CS_NODE), sizeof(*p->rnode));
	for (i = 0; i < p->nsects; i++) {
		struct raw_sect	*s = &p->sects[i];

		if (s->kind != CS_NODE || s->bad)
			continue;
		if (c->nnodes == CONF_MAX_NODES)
			perr(p, s->line, "%s too many nodes (at most %d)",
			    s->label, CONF_MAX_NODES);
		n = &c->nodes[c->nnodes];
		n->name = xstrdup(s->name);
		n->line = s->line;
		n->index = c->nnodes;
		p->rnode[c->nnodes++] = s;
		set_scalars(p, s, n, CK_ANY_TYPE);
		check_unknown(p, s, CK_ANY_TYPE);
		for (j = 0; j < n->index && n->nodeid != 0; j++) {
			o = &c->nodes[j];
			if (o->nodeid == n->nodeid)
				perr(p, find_kv(s, "nodeid")->line, "%s nodeid:"
				    " \"%u\" is already used by [node %s]",
				    s->label, n->nodeid, o->name);
		}
	}
	if (c->nnodes == 0)
		perr(p, 1, "no [node] section: at least one node is "
		    "required");
}

/*
 * fence_options keys that pghad sets itself.  Fence agents read stdin
 * line by line and keep the last value of a key, after pghad's own.
 */
static const struct {
	const char	*key;
	const char	*why;
} fence_own_keys[] = {
	{ "action", "pghad sets action= itself, and the agent keeps the "
	    "last value: action=status would make every fence a status "
	    "query that powers nothing off and still succeeds" },
	{ "option", "it is the fence agents' old name for action, which "
	    "pghad sets itself: option=status would make every fence a "
	    "status query that powers nothing off and still succeeds" },
	{ "plug", "pghad sets plug= to the node's name itself, and the agent "
	    "keeps the last value: another node would be powered off" },
	{ "port", "it is the fence agents' old name for plug, which pghad "
	    "sets to the node's name: another node would be powered off" },
	{ "nodename", "the fence agents take it for the node to act on "
	    "(plug), which pghad sets to the node's name: another node "
	    "would be powered off" },
};

static void
check_fence_options(struct parser *p, const struct raw_sect *s,
    const struct conf_node *n)
{
	const char	*w = n->fence_options;
	size_t		 klen, i;

	for (; w != NULL && *w; w += strspn(w, " ")) {
		klen = strcspn(w, "=");
		for (i = 0; i < nitems(fence_own_keys); i++)
			if (strlen(fence_own_keys[i].key) == klen &&
			    strncmp(w, fence_own_keys[i].key, klen) == 0)
				perr(p, find_kv(s, "fence_options")->line,
				    "%s fence_options: \"%s\" may not be set: "
				    "%s; remove it", s->label,
				    fence_own_keys[i].key,
				    fence_own_keys[i].why);
		w += strcspn(w, " ");
	}
}

/*
 * A node that may run a group needs a fence agent when fencing is on:
 * without one, its groups wait for an operator whenever it is lost.
 * A node may run every group whose possible_owners are empty or name it
 * (preferred_owners only orders them).
 */
static void
check_fencing(struct parser *p)
{
	const struct conf	*c = p->conf;
	const struct raw_sect	*cl = find_sect(p, CS_CLUSTER, NULL,
				    p->nsects);
	const struct raw_kv	*kv = cl ? find_kv(cl, "fencing") : NULL;
	int			 i;

	for (i = 0; i < c->nnodes; i++)
		check_fence_options(p, p->rnode[i], &c->nodes[i]);
	if (c->ngroups == 0)
		return;
	if (!c->fencing) {
		pwarn(p, kv ? kv->line : 1, "[cluster] fencing = no: a node "
		    "lost while it may run a group is not powered off before "
		    "the group starts elsewhere; if it was only cut off or "
		    "frozen, its database server still writes while another "
		    "starts on the same data (two writers).  Set fencing = "
		    "yes and a fence_agent for every node, unless something "
		    "else makes sure a lost node has stopped");
		return;
	}
	for (i = 0; i < c->nnodes; i++) {
		const struct conf_node *n = &c->nodes[i];
		int g;

		for (g = 0; g < c->ngroups; g++)
			if (c->groups[g].possible_mask & (1ULL << i))
				break;
		if (n->fence_agent != NULL || g == c->ngroups)
			continue;
		perr(p, n->line, "[node %s] has no fence_agent, but fencing "
		    "is on (%s) and it may run [group %s]: if %s were lost, "
		    "its groups would stay down until an operator ran pgha "
		    "node confirm-down %s.  Set fence_agent (and "
		    "fence_options) for %s, or fencing = no in [cluster] if "
		    "something else makes sure a lost node has stopped",
		    n->name, kv ? "fencing = yes" : "the default",
		    c->groups[g].name, n->name, n->name, n->name);
	}
}

/*
 * Split a list value into names; report bad names and repeats.  Returns
 * a NULL-terminated array of pointers into a copy held in *store.
 */
static char **
split_list(struct parser *p, const struct raw_sect *s, const struct raw_kv
    *kv, char **store, int *n)
{
	char	**v = NULL, *t, *save = NULL;
	int	  i;

	*n = 0;
	*store = xstrdup(kv->val);
	for (t = strtok_r(*store, " \t", &save); t != NULL;
	    t = strtok_r(NULL, " \t", &save)) {
		if (!valid_name(t)) {
			perr(p, kv->line, "%s %s: \"%s\" is not a valid name",
			    s->label, kv->key, t);
			continue;
		}
		for (i = 0; i < *n && strcmp(v[i], t) != 0; i++)
			;
		if (i < *n) {
			perr(p, kv->line, "%s %s: \"%s\" is listed twice",
			    s->label, kv->key, t);
			continue;
		}
		v = xreallocarray(v, *n + 2, sizeof(*v));
		v[(*n)++] = t;
		v[*n] = NULL;
	}
	return v;
}

/* A list of nodes (preferred_owners, possible_owners) into *list. */
static void
node_list(struct parser *p, const struct raw_sect *s, const char *key,
    struct conf_node ***list, int *nlist)
{
	const struct raw_kv	*kv = find_kv(s, key);
	const struct conf_node	*n;
	char			**names, *store;
	int			  i, cnt;

	if (kv == NULL)
		return;
	if (*kv->val == '\0') {
		perr(p, kv->line, "%s %s: empty value", s->label, key);
		return;
	}
	names = split_list(p, s, kv, &store, &cnt);
	*list = xcalloc(cnt, sizeof(**list));
	for (i = 0; i < cnt; i++) {
		n = conf_node_by_name(p->conf, names[i]);
		if (n == NULL)
			perr(p, kv->line, "%s %s: no node \"%s\"", s->label,
			    key, names[i]);
		else
			(*list)[(*nlist)++] = (struct conf_node *)n;
	}
	free(names);
	free(store);
}

static void
group_owners(struct parser *p, const struct raw_sect *s,
    struct conf_group *g)
{
	int	i;

	node_list(p, s, "preferred_owners", &g->preferred, &g->npreferred);
	node_list(p, s, "possible_owners", &g->possible, &g->npossible);
	if (g->npossible == 0)
		g->possible_mask = p->conf->nnodes >= 64 ? ~0ULL :
		    (1ULL << p->conf->nnodes) - 1;
	for (i = 0; i < g->npossible; i++)
		g->possible_mask |= 1ULL << g->possible[i]->index;
	p->conf->run_mask |= g->possible_mask;
	for (i = 0; i < g->npreferred && g->npossible; i++)
		if (!(g->possible_mask & (1ULL << g->preferred[i]->index)))
			perr(p, find_kv(s, "preferred_owners")->line, "%s "
			    "preferred_owners: %s is not one of its "
			    "possible_owners: add it there, or remove it "
			    "here", s->label, g->preferred[i]->name);
}

static void
build_groups(struct parser *p)
{
	struct conf		*c = p->conf;
	struct conf_group	*g;
	int			 i;

	c->groups = xcalloc(count_kind(p, CS_GROUP), sizeof(*c->groups));
	p->rgroup = xcalloc(count_kind(p, CS_GROUP), sizeof(*p->rgroup));
	for (i = 0; i < p->nsects; i++) {
		struct raw_sect	*s = &p->sects[i];

		if (s->kind != CS_GROUP || s->bad)
			continue;
		g = &c->groups[c->ngroups];
		g->name = xstrdup(s->name);
		g->line = s->line;
		g->index = c->ngroups;
		p->rgroup[c->ngroups++] = s;
		g->failover_threshold = -1;
		set_scalars(p, s, g, CK_ANY_TYPE);
		if (g->failback_text != NULL)
			(void)parse_failback(g->failback_text, &g->failback,
			    &g->failback_from_min, &g->failback_to_min);
		check_unknown(p, s, CK_ANY_TYPE);
		group_owners(p, s, g);
	}
}

/* --- resources --------------------------------------------------------- */

/*
 * "ocf:PROVIDER:AGENT": the agent is OCF_ROOT/resource.d/PROVIDER/AGENT.
 * Whether it is installed is not checked here: the file is the same on
 * every node, the agent may be on some only (pgha-agent says so when it
 * runs there, and pgha validate asks every node).
 */
static int
res_ocf_type(struct parser *p, const struct raw_kv *kv,
    struct conf_resource *r)
{
	const char	*prov = kv->val + 4, *colon = strchr(prov, ':');
	char		*pv, *ag;

	if (colon == NULL) {
		perr(p, kv->line, "[resource %s] type: \"%s\" is not "
		    "ocf:PROVIDER:AGENT (e.g. ocf:heartbeat:Dummy)", r->name,
		    kv->val);
		return -1;
	}
	pv = xasprintf("%.*s", (int)(colon - prov), prov);
	ag = xstrdup(colon + 1);
	if (!valid_name(pv) || !valid_name(ag)) {
		perr(p, kv->line, "[resource %s] type: \"%s\": the provider "
		    "and the agent must each be a name (letters, digits, "
		    "\"_\", \".\", \"-\", at most 63, starting with a letter "
		    "or digit)", r->name, kv->val);
		free(pv);
		free(ag);
		return -1;
	}
	r->ocf_type = xstrdup(kv->val);
	r->ocf_provider = pv;
	r->ocf_agent = ag;
	r->ocf_path = xasprintf("%s/resource.d/%s/%s", CONF_OCF_ROOT, pv, ag);
	return RT_OCF;
}

static int
res_type(struct parser *p, const struct raw_sect *s, struct conf_resource *r)
{
	const struct raw_kv	*kv = find_kv(s, "type");
	size_t			 i;

	if (kv == NULL) {
		perr(p, s->line, "%s lacks required key \"type\"", s->label);
		return -1;
	}
	if (strncmp(kv->val, "ocf:", 4) == 0)
		return res_ocf_type(p, kv, r);
	for (i = 0; i < conf_nrtype_names; i++)
		if (i != RT_OCF && strcmp(kv->val, conf_rtype_names[i]) == 0)
			return (int)i;
	if (*kv->val == '\0')
		perr(p, kv->line, "%s type: empty value", s->label);
	else
		perr(p, kv->line, "%s type: \"%s\" is not a resource type "
		    "(disk, address, postgresql, service or ocf:PROVIDER:AGENT)",
		    s->label, kv->val);
	return -1;
}

static void
res_group(struct parser *p, const struct raw_sect *s,
    struct conf_resource *r)
{
	const struct raw_kv	*kv = find_kv(s, "group");

	if (kv == NULL)
		perr(p, s->line, "%s lacks required key \"group\"", s->label);
	else if (*kv->val == '\0')
		perr(p, kv->line, "%s group: empty value", s->label);
	else {
		r->group = (struct conf_group *)conf_group_by_name(p->conf,
		    kv->val);
		if (r->group == NULL)
			perr(p, kv->line, "%s group: no group \"%s\"",
			    s->label, kv->val);
	}
}

/* One type-specific parameter: the value given, the default, or error. */
static void
set_param(struct parser *p, const struct raw_sect *s,
    struct conf_resource *r, const struct conf_key *k)
{
	const struct raw_kv	*kv = find_kv(s, k->name);
	struct conf_param	*pa = &r->params[r->nparams++];
	const char		*data;
	int64_t			 num;

	pa->key = xstrdup(k->name);
	if (kv != NULL && k->vtype == CV_PATH)
		path_normalise(kv->val);
	if (kv != NULL && *kv->val == '\0')
		perr(p, kv->line, "%s %s: empty value", s->label, k->name);
	else if (kv != NULL) {
		if (check_value(p, s->label, k, kv->val, kv->line, &num) == 0)
			pa->value = xstrdup(kv->val);
	} else if (k->flags & CK_REQUIRED)
		perr(p, s->line, "%s (type %s) lacks required key \"%s\"",
		    s->label, r->type_name, k->name);
	else if (k->flags & CK_DATALOG) {
		if ((data = conf_param(r, "data")) != NULL)
			pa->value = xasprintf("%s/pgha-server.log", data);
	} else
		pa->value = xstrdup(k->def);
}

/*
 * An OCF parameter's name, as OCF_RESKEY_<name> takes it: a shell
 * variable's name.  CRM_meta_* are what the caller sets (the timeout).
 */
static const char *
ocf_param_problem(const char *name)
{
	const char	*c;

	if (*name == '\0' || strlen(name) > CONF_NAME_MAX ||
	    isdigit((unsigned char)*name))
		return "is not a parameter name (letters, digits and \"_\", "
		    "at most 63, not starting with a digit)";
	for (c = name; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			return "is not a parameter name (letters, digits and "
			    "\"_\", at most 63, not starting with a digit)";
	if (strncmp(name, "CRM_meta_", 9) == 0)
		return "is a name of the caller's (pghad sets "
		    "CRM_meta_timeout) and may not be set";
	return NULL;
}

/* RT_OCF: each param.NAME = value, in file order. */
static void
set_ocf_params(struct parser *p, const struct raw_sect *s,
    struct conf_resource *r)
{
	size_t		 pl = strlen(CONF_OCF_PARAM);
	const char	*why;
	int		 i;

	r->params = xcalloc((size_t)s->nkv, sizeof(*r->params));
	for (i = 0; i < s->nkv; i++) {
		const struct raw_kv *kv = &s->kv[i];

		if (strncmp(kv->key, CONF_OCF_PARAM, pl) != 0)
			continue;
		if ((why = ocf_param_problem(kv->key + pl)) != NULL) {
			perr(p, kv->line, "%s %s: \"%s\" %s", s->label,
			    kv->key, kv->key + pl, why);
			continue;
		}
		if (*kv->val == '\0') {
			perr(p, kv->line, "%s %s: empty value (leave the key "
			    "out for the agent's default)", s->label, kv->key);
			continue;
		}
		if (r->nparams == CONF_MAX_OCF_PARAMS) {
			perr(p, kv->line, "%s %s: more than %d param.NAME "
			    "keys", s->label, kv->key, CONF_MAX_OCF_PARAMS);
			continue;
		}
		r->params[r->nparams].key = xstrdup(kv->key + pl);
		r->params[r->nparams++].value = xstrdup(kv->val);
	}
}

static void
set_params(struct parser *p, const struct raw_sect *s,
    struct conf_resource *r)
{
	size_t	i, n = 0;

	if (r->type == RT_OCF) {
		set_ocf_params(p, s, r);
		return;
	}

	for (i = 0; i < conf_nkeys; i++)
		if (conf_keys[i].rtype == (int)r->type)
			n++;
	r->params = xcalloc(n, sizeof(*r->params));
	for (i = 0; i < conf_nkeys; i++)
		if (conf_keys[i].rtype == (int)r->type)
			set_param(p, s, r, &conf_keys[i]);
}

static void
build_resources(struct parser *p)
{
	struct conf		*c = p->conf;
	struct conf_resource	*r;
	int			 i, t;

	c->resources = xcalloc(count_kind(p, CS_RESOURCE),
	    sizeof(*c->resources));
	p->rres = xcalloc(count_kind(p, CS_RESOURCE), sizeof(*p->rres));
	for (i = 0; i < p->nsects; i++) {
		struct raw_sect	*s = &p->sects[i];

		if (s->kind != CS_RESOURCE || s->bad)
			continue;
		r = &c->resources[c->nresources];
		r->name = xstrdup(s->name);
		r->line = s->line;
		r->index = c->nresources;
		p->rres[c->nresources++] = s;
		res_group(p, s, r);
		t = res_type(p, s, r);
		set_scalars(p, s, r, t);
		check_unknown(p, s, t);
		if (t < 0)
			continue;
		r->type = (enum res_type)t;
		r->type_name = t == RT_OCF ? r->ocf_type : conf_rtype_names[t];
		set_params(p, s, r);
	}
}

static void
res_requires(struct parser *p, const struct raw_sect *s,
    struct conf_resource *r)
{
	const struct raw_kv		*kv = find_kv(s, "requires");
	const struct conf_resource	*o;
	char				**names, *store;
	int				  i, cnt;

	if (kv == NULL)
		return;
	if (*kv->val == '\0') {
		perr(p, kv->line, "%s requires: empty value", s->label);
		return;
	}
	names = split_list(p, s, kv, &store, &cnt);
	r->requires = xcalloc(cnt, sizeof(*r->requires));
	for (i = 0; i < cnt; i++) {
		o = conf_resource_by_name(p->conf, names[i]);
		if (o == NULL)
			perr(p, kv->line, "%s requires: no resource \"%s\"",
			    s->label, names[i]);
		else if (o == r)
			perr(p, kv->line, "%s requires: \"%s\" is the resource"
			    " itself", s->label, names[i]);
		else if (o->group != r->group && o->group && r->group)
			perr(p, kv->line, "%s requires: \"%s\" is in group %s,"
			    " not %s", s->label, names[i], o->group->name,
			    r->group->name);
		else
			r->requires[r->nrequires++] =
			    (struct conf_resource *)o;
	}
	free(names);
	free(store);
}

/* Report the cycle stack[from..n-1] starting at its first resource. */
static void
report_cycle(struct parser *p, struct conf_resource **stack, int from,
    int n)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&buf, &len);
	int	 i, min = from, k;

	if (f == NULL)
		abort();
	for (i = from; i < n; i++)
		if (stack[i]->index < stack[min]->index)
			min = i;
	for (i = 0; i <= n - from; i++) {
		k = from + (min - from + i) % (n - from);
		fprintf(f, "%s%s", i ? " -> " : "", stack[k]->name);
	}
	if (fclose(f) != 0)
		abort();
	perr(p, stack[min]->line, "[resource %s] cycle in requires: %s",
	    stack[min]->name, buf);
	free(buf);
}

/* Depth-first search; colour 0 unseen, 1 on the stack, 2 done. */
static bool
dfs_cycle(struct parser *p, struct conf_resource *r, char *colour,
    struct conf_resource **stack, int depth)
{
	bool	found = false;
	int	i, j;

	colour[r->index] = 1;
	stack[depth] = r;
	for (i = 0; i < r->nrequires; i++) {
		struct conf_resource	*o = r->requires[i];

		if (colour[o->index] == 1) {
			for (j = 0; stack[j] != o; j++)
				;
			report_cycle(p, stack, j, depth + 1);
			found = true;
		} else if (colour[o->index] == 0)
			found |= dfs_cycle(p, o, colour, stack, depth + 1);
	}
	colour[r->index] = 2;
	return found;
}

static bool
find_cycles(struct parser *p)
{
	struct conf		*c = p->conf;
	char			*colour = xcalloc(c->nresources, 1);
	struct conf_resource	**stack = xcalloc(c->nresources,
				    sizeof(*stack));
	bool			 found = false;
	int			 i;

	for (i = 0; i < c->nresources; i++)
		if (colour[i] == 0)
			found |= dfs_cycle(p, &c->resources[i], colour, stack,
			    0);
	free(colour);
	free(stack);
	return found;
}

static bool
all_placed(const struct conf_resource *r, const bool *placed)
{
	int	i;

	for (i = 0; i < r->nrequires; i++)
		if (!placed[r->requires[i]->index])
			return false;
	return true;
}

/* Start order: each resource after what it requires, else file order. */
static void
group_order(struct conf *c, struct conf_group *g, bool *placed)
{
	int	i, n = 0;

	for (i = 0; i < c->nresources; i++)
		if (c->resources[i].group == g)
			n++;
	g->res = xcalloc(n, sizeof(*g->res));
	while (g->nres < n) {
		for (i = 0; i < c->nresources; i++) {
			struct conf_resource	*r = &c->resources[i];

			if (r->group == g && !placed[i] &&
			    all_placed(r, placed))
				break;
		}
		if (i == c->nresources)
			abort();	/* a cycle got past find_cycles() */
		placed[i] = true;
		c->resources[i].gpos = g->nres;
		g->res[g->nres++] = &c->resources[i];
	}
}

/* The same device, mount point, data directory or address twice. */
static void
cross_check_one(struct parser *p, const struct conf_resource *r,
    const char *key)
{
	const struct conf	*c = p->conf;
	const char		*v = conf_param(r, key), *w;
	size_t			 vl;
	int			 i;

	if (v == NULL)
		return;
	/* an address counts without its prefix length */
	vl = r->type == RT_ADDRESS ? strcspn(v, "/") : strlen(v) + 1;
	for (i = 0; i < r->index; i++) {
		const struct conf_resource	*o = &c->resources[i];

		if (o->type_name == NULL || o->type != r->type ||
		    (w = conf_param(o, key)) == NULL)
			continue;
		if (strncmp(v, w, vl) == 0 && (r->type != RT_ADDRESS ||
		    w[vl] == '/')) {
			perr(p, find_kv(p->rres[r->index], key) ?
			    find_kv(p->rres[r->index], key)->line : r->line,
			    "[resource %s] %s: \"%s\" is already used by "
			    "[resource %s]", r->name, key, v, o->name);
			return;
		}
	}
}

/* encrypted_dirs: relative directories without "..", each once. */
static bool
valid_reldirs(const char *v, const char **why)
{
	const char	*w, *o, *c;
	size_t		 l, ol;

	for (w = v + strspn(v, " \t"); *w; w += l, w += strspn(w, " \t")) {
		l = strcspn(w, " \t");
		*why = "is not a list of directories relative to the mount "
		    "point (no leading \"/\", no \".\" or \"..\" parts)";
		if (w[0] == '/' || w[l - 1] == '/')
			return false;
		for (c = w; c < w + l; c += strcspn(c, "/") + 1) {
			size_t cl = strcspn(c, "/");

			if (cl > (size_t)(w + l - c))
				cl = w + l - c;
			if (cl == 0 || (cl == 1 && c[0] == '.') ||
			    (cl == 2 && c[0] == '.' && c[1] == '.'))
				return false;
		}
		*why = "names a directory twice, or one inside another";
		for (o = v + strspn(v, " \t"); o < w; o += ol,
		    o += strspn(o, " \t")) {
			ol = strcspn(o, " \t");
			if ((ol <= l && strncmp(o, w, ol) == 0 &&
			    (ol == l || w[ol] == '/')) ||
			    (l < ol && strncmp(o, w, l) == 0 && o[l] == '/'))
				return false;
		}
	}
	return true;
}

/*
 * An encrypted disk: a file system fscrypt supports, directories that
 * stay on the disk, and a keystore that is not on any disk of the
 * cluster (guide 3.3: it must be local to each node).
 */
static void
check_encrypt(struct parser *p, const struct conf_resource *r)
{
	const struct raw_sect	*s = p->rres[r->index];
	const struct raw_kv	*kv;
	const char		*dirs = conf_param(r, "encrypted_dirs");
	const char		*ks = conf_param(r, "keystore");
	const char		*fs = conf_param(r, "fstype"), *mp, *why;
	int			 i;

	if (dirs != NULL && !valid_reldirs(dirs, &why)) {
		kv = find_kv(s, "encrypted_dirs");
		perr(p, kv ? kv->line : r->line, "[resource %s] "
		    "encrypted_dirs: \"%s\" %s", r->name, dirs, why);
	}
	if (conf_param(r, "encrypt") == NULL ||
	    strcmp(conf_param(r, "encrypt"), "yes") != 0)
		return;
	if (fs != NULL && strcmp(fs, "ext4") != 0 && strcmp(fs, "f2fs") != 0)
		perr(p, find_kv(s, "encrypt")->line, "[resource %s] encrypt: "
		    "fstype %s has no file-system encryption (use ext4 or "
		    "f2fs)", r->name, fs);
	for (i = 0; ks != NULL && i < p->conf->nresources; i++) {
		const struct conf_resource *o = &p->conf->resources[i];

		size_t ml;

		if (o->type_name == NULL || o->type != RT_DISK ||
		    (mp = conf_param(o, "mountpoint")) == NULL)
			continue;
		for (ml = strlen(mp); ml > 1 && mp[ml - 1] == '/'; ml--)
			;
		if (ml <= 1 || strncmp(ks, mp, ml) != 0 || ks[ml] != '/')
			continue;
		kv = find_kv(s, "keystore");
		perr(p, kv ? kv->line : r->line, "[resource %s] keystore: "
		    "\"%s\" is on the shared disk of [resource %s] (%s): "
		    "keep it on each node's local disk", r->name, ks,
		    o->name, mp);
		break;
	}
}

/* The line of key in r's section, or the section's own line. */
static int
key_line(struct parser *p, const struct conf_resource *r, const char *key)
{
	const struct raw_kv	*kv = find_kv(p->rres[r->index], key);

	return kv != NULL ? kv->line : r->line;
}

/* Mounting over / hides the whole system, and unmounting takes it. */
static void
check_mountpoint(struct parser *p, const struct conf_resource *r)
{
	const char	*mp = conf_param(r, "mountpoint");

	if (mp != NULL && strcmp(mp, "/") == 0)
		perr(p, key_line(p, r, "mountpoint"), "[resource %s] "
		    "mountpoint: \"/\" is the root file system: mount the "
		    "shared disk on a directory of its own, e.g. /srv/%s",
		    r->name, r->group ? r->group->name : "db");
}

/*
 * A server's data directory (and its WAL and backup directories, if set)
 * lies on a disk of its group, strictly below the mount point: otherwise
 * the node that takes the group over starts from another copy, or from
 * none.  Paths are normalised, so a prefix test is exact.
 */
static void
check_on_disk(struct parser *p, const struct conf_resource *r)
{
	static const char *const keys[] = { "data", "waldir", "backup_dir" };
	const struct conf	*c = p->conf;
	char			 mps[256];
	size_t			 used = 0;
	int			 ndisks = 0;

	mps[0] = '\0';
	for (int i = 0; i < c->nresources; i++) {
		const struct conf_resource *o = &c->resources[i];
		const char *mp;

		if (o->type_name == NULL || o->type != RT_DISK ||
		    o->group != r->group || r->group == NULL)
			continue;
		ndisks++;
		if ((mp = conf_param(o, "mountpoint")) == NULL)
			return;		/* already an error */
		if (used < sizeof(mps))
			used += snprintf(mps + used, sizeof(mps) - used,
			    "%s%s", used ? ", " : "", mp);
	}
	if (r->group != NULL && ndisks == 0) {
		perr(p, r->line, "[resource %s] group %s has no disk "
		    "resource: a postgresql resource keeps its data on a "
		    "disk of its group (add a [resource] with type = disk "
		    "and group = %s)", r->name, r->group->name,
		    r->group->name);
		return;
	}
	for (size_t k = 0; k < nitems(keys); k++) {
		const char	*v = conf_param(r, keys[k]);
		bool		 on = false;

		if (v == NULL || v[0] == '\0' || r->group == NULL)
			continue;
		for (int i = 0; i < c->nresources && !on; i++) {
			const struct conf_resource *o = &c->resources[i];
			const char *mp;
			size_t ml;

			if (o->type_name == NULL || o->type != RT_DISK ||
			    o->group != r->group ||
			    (mp = conf_param(o, "mountpoint")) == NULL)
				continue;
			ml = strcmp(mp, "/") == 0 ? 0 : strlen(mp);
			on = strncmp(v, mp, ml) == 0 && v[ml] == '/' &&
			    v[ml + 1] != '\0';
		}
		if (!on)
			perr(p, key_line(p, r, keys[k]), "[resource %s] %s: "
			    "\"%s\" is not below a mount point of a disk of "
			    "group %s (%s): put it on the group's shared disk",
			    r->name, keys[k], v, r->group->name, mps);
	}
}

/*
 * config_dir is each node's own copy of the server's configuration (as
 * Debian keeps it in /etc/postgresql/N/NAME): on a shared disk it would
 * be one copy, seen only where that disk is mounted.
 */
static void
check_config_dir(struct parser *p, const struct conf_resource *r)
{
	const struct conf	*c = p->conf;
	const char		*v = conf_param(r, "config_dir");

	if (v == NULL || v[0] == '\0')
		return;
	for (int i = 0; i < c->nresources; i++) {
		const struct conf_resource *o = &c->resources[i];
		const char *mp;
		size_t ml;

		if (o->type_name == NULL || o->type != RT_DISK ||
		    (mp = conf_param(o, "mountpoint")) == NULL)
			continue;
		ml = strcmp(mp, "/") == 0 ? 0 : strlen(mp);
		if (strncmp(v, mp, ml) != 0 || (v[ml] != '/' && v[ml] != '\0'))
			continue;
		perr(p, key_line(p, r, "config_dir"), "[resource %s] "
		    "config_dir: \"%s\" is on the shared disk of resource %s "
		    "(%s): config_dir is each node's own copy, e.g. "
		    "/etc/postgresql/15/main; to keep the configuration in "
		    "the data directory, leave config_dir unset", r->name, v,
		    o->name, mp);
		return;
	}
}

/*
 * A service is watched and stopped through its pidfile, or through its
 * own monitor and stop commands: without either, pgha could neither tell
 * that it runs nor stop it.
 */
static void
check_service(struct parser *p, const struct conf_resource *r)
{
	const char	*pf = conf_param(r, "pidfile");
	const char	*mon = conf_param(r, "monitor");
	const char	*stop = conf_param(r, "stop");

	if (pf == NULL || mon == NULL || stop == NULL || *pf != '\0')
		return;
	if (*mon == '\0')
		perr(p, r->line, "[resource %s] (type service) has neither "
		    "pidfile nor monitor: pgha could not tell whether it "
		    "runs; set pidfile = the file the program writes its "
		    "process id in, or monitor = a command that exits 0 "
		    "while it works", r->name);
	if (*stop == '\0')
		perr(p, r->line, "[resource %s] (type service) has neither "
		    "pidfile nor stop: pgha could not stop it; set pidfile "
		    "(stopped with SIGTERM, then SIGKILL) or stop = a command "
		    "that stops it", r->name);
}

static void
cross_check(struct parser *p)
{
	const struct conf	*c = p->conf;
	int			 i;

	for (i = 0; i < c->nresources; i++) {
		const struct conf_resource	*r = &c->resources[i];

		if (r->type_name == NULL)
			continue;
		switch (r->type) {
		case RT_DISK:
			cross_check_one(p, r, "device");
			cross_check_one(p, r, "mountpoint");
			check_mountpoint(p, r);
			check_encrypt(p, r);
			break;
		case RT_ADDRESS:
			cross_check_one(p, r, "address");
			break;
		case RT_POSTGRESQL:
			cross_check_one(p, r, "data");
			check_on_disk(p, r);
			check_config_dir(p, r);
			break;
		case RT_SERVICE:
			check_service(p, r);
			break;
		case RT_OCF:
			break;
		}
	}
}

static void
link_resources(struct parser *p)
{
	struct conf	*c = p->conf;
	bool		*placed;
	int		 i;

	for (i = 0; i < c->nresources; i++)
		res_requires(p, p->rres[i], &c->resources[i]);
	cross_check(p);
	for (i = 0; i < c->ngroups; i++) {
		int j, n = 0;

		for (j = 0; j < c->nresources; j++)
			if (c->resources[j].group == &c->groups[i])
				n++;
		if (n > CONF_MAX_GROUP_RES)
			perr(p, c->groups[i].line, "[group %s] has %d "
			    "resources (at most %d)", c->groups[i].name, n,
			    CONF_MAX_GROUP_RES);
	}
	/* after any error a requires may cross groups: no order then */
	if (find_cycles(p) || p->nerrs > 0)
		return;
	placed = xcalloc(c->nresources, sizeof(*placed));
	for (i = 0; i < c->ngroups; i++)
		group_order(c, &c->groups[i], placed);
	free(placed);
}

/* --- the state must fit in one CPG message ----------------------------- */

/*
 * Worst-case encoded sizes, field by field as wire.c writes them: names
 * as the file spells them, every cause, error and reason at its longest.
 * test_msgsize encodes these worst cases and checks they decode.
 */
#define W_HDR		(16 + 8)	/* header, sender's wall clock */
#define W_STR(s)	(4 + strlen(s))
#define W_CAUSE		(4 + WIRE_CAUSE_LEN - 1)
#define W_RES(name)	(W_STR(name) + 1 + 1 + 4 + 8 + 2 * W_CAUSE)
#define W_FC(name)	(W_STR(name) + 4 + 4 + 4 + 8)

/*
 * A node's facts (MSG_RECORD) and the state a joiner is handed (MSG_SYNC:
 * every group with its failure counts, every other node's facts) each go
 * in one message; receivers drop one larger than WIRE_MAX_MSG or with
 * more than WIRE_MAX_ITEMS in a list, which would leave the cluster
 * unable to sync.  So a file whose worst case is larger is refused, at
 * the resource that crosses the limit.  (A MSG_DECIDE holds one group:
 * at most CONF_MAX_GROUP_RES x CONF_MAX_NODES failure counts, far below.)
 */
static void
check_msg_size(struct parser *p)
{
	const struct conf	*c = p->conf;
	size_t			 nn = (size_t)c->nnodes, sync, record, worst;
	int			 i;

	sync = W_HDR + 1 + 4 + (WIRE_HASH_LEN - 1) + 8 +
	    4 + 8 * (size_t)CONF_MAX_NODES + 4 + 4 + (nn - 1) * (4 + 6 + 4);
	for (i = 0; i < c->ngroups; i++)
		sync += W_STR(c->groups[i].name) + 4 + 4 + 1 + 1 + 8 + 1 +
		    1 + 1 + 4 + 8 * WIRE_MAX_FO + 4 + 12 * nn + W_CAUSE + 4;
	record = W_HDR + 4 + 4;
	for (i = 0; i < c->nresources; i++) {
		const struct conf_resource *r = &c->resources[i];

		sync += (nn - 1) * W_RES(r->name) + nn * W_FC(r->name);
		record += W_RES(r->name);
		worst = sync > record ? sync : record;
		if (worst <= WIRE_MAX_MSG && i < WIRE_MAX_ITEMS)
			continue;
		perr(p, r->line, "[resource %s] makes the cluster too big "
		    "for the messages nodes exchange: with %d nodes and %d "
		    "resources the state handed to a joining node may take "
		    "%zu bytes (at most %d, and %d resources); use fewer "
		    "resources, fewer nodes or shorter names", r->name,
		    c->nnodes, i + 1, worst, WIRE_MAX_MSG, WIRE_MAX_ITEMS);
		return;
	}
}

/* --- load, free -------------------------------------------------------- */

static void
parser_free(struct parser *p)
{
	int	i, j;

	for (i = 0; i < p->nsects; i++) {
		struct raw_sect	*s = &p->sects[i];

		for (j = 0; j < s->nkv; j++) {
			free(s->kv[j].key);
			free(s->kv[j].val);
		}
		free(s->kv);
		free(s->name);
		free(s->label);
	}
	free(p->sects);
	free(p->rnode);
	free(p->rgroup);
	free(p->rres);
}

static int
cmp_kv_key(const void *a, const void *b)
{
	return strcmp(((const struct raw_kv *)a)->key,
	    ((const struct raw_kv *)b)->key);
}

/* A section of the hashed text: its header, then its keys by name. */
static void
hash_sect(FILE *f, const struct raw_sect *s, int sect, const char *name,
    const void *obj)
{
	struct raw_kv	*kv;
	int		 i;

	if (name != NULL)
		fprintf(f, "[%s %s]\n", conf_sect_names[sect], name);
	else
		fprintf(f, "[%s]\n", conf_sect_names[sect]);
	if (s == NULL || s->nkv == 0)
		return;
	kv = xcalloc((size_t)s->nkv, sizeof(*kv));
	memcpy(kv, s->kv, sizeof(*kv) * (size_t)s->nkv);
	qsort(kv, (size_t)s->nkv, sizeof(*kv), cmp_kv_key);
	for (i = 0; i < s->nkv; i++)
		conf_print_given(f, sect, kv[i].key, obj);
	free(kv);
}

static void
hash_text(void (*print)(FILE *, const struct conf *), const struct conf *c,
    char *out)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		abort();
	print(f, c);
	if (fclose(f) != 0)
		abort();
	sha256_hex(buf, len, out);
	free(buf);
}

/* The parser's raw sections, for hash_given(). */
static const struct parser	*hash_parser;

static void
hash_given(FILE *f, const struct conf *c)
{
	const struct parser	*p = hash_parser;
	int			 i;

	fputs("pgha cluster file, keys given, v1\n", f);
	hash_sect(f, find_sect((struct parser *)p, CS_CLUSTER, NULL,
	    p->nsects), CS_CLUSTER, NULL, c);
	for (i = 0; i < c->nnodes; i++)
		hash_sect(f, p->rnode[i], CS_NODE, c->nodes[i].name,
		    &c->nodes[i]);
	for (i = 0; i < c->ngroups; i++)
		hash_sect(f, p->rgroup[i], CS_GROUP, c->groups[i].name,
		    &c->groups[i]);
	for (i = 0; i < c->nresources; i++)
		hash_sect(f, p->rres[i], CS_RESOURCE, c->resources[i].name,
		    &c->resources[i]);
}

/*
 * The hash peers compare to tell that their cluster files are the same.
 * It is of what the file says: the keys it gives, each section's sorted
 * by name, values as parsed (so comments, blanks, the order of keys and
 * the spelling of a duration do not count), never of this version's
 * defaults.  A default a later release adds or changes then leaves the
 * hash alone, and a node of that release can join this one's cluster.
 * The price: a key given with its default value is a change (it is one
 * for a release whose default differs).  hash_prev is of the canonical
 * text of the previous release (7ef9114), defaults included: a node of
 * that release sends it, and it is taken as the same file.
 */
static void
conf_set_hash(struct conf *c, const struct parser *p)
{
	hash_parser = p;
	hash_text(hash_given, c, c->hash);
	hash_parser = NULL;
	hash_text(conf_print_prev, c, c->hash_prev);
}

bool
conf_hash_same(const struct conf *c, const char *h)
{
	return strcmp(h, c->hash) == 0 || strcmp(h, c->hash_prev) == 0;
}

struct conf *
conf_load_buf(const char *name, const char *buf, size_t len, FILE *errf)
{
	struct parser	 p;
	struct conf	*c;

	memset(&p, 0, sizeof(p));
	p.fname = name;
	c = p.conf = xcalloc(1, sizeof(*c));
	c->path = xstrdup(name);
	lex(&p, buf, len);
	build_cluster(&p);
	build_nodes(&p);
	build_groups(&p);
	check_fencing(&p);
	build_resources(&p);
	link_resources(&p);
	if (p.nerrs == 0 && c->nnodes > 0)
		check_msg_size(&p);
	if (p.nerrs == 0)
		conf_set_hash(c, &p);
	parser_free(&p);
	if (p.nerrs > 0) {
		perr_flush(&p, errf);
		conf_free(c);
		return NULL;
	}
	perr_flush(&p, errf);	/* the warnings */
	return c;
}

/*
 * A fence_options key that holds a secret itself (password=, passwd=,
 * community=, token=, an identity or key), not a program that prints one
 * (password_script=).  Its name into key, or false.
 */
static bool
fence_secret(const char *opts, char *key, size_t len)
{
	static const char *const words[] = {
		"pass", "secret", "token", "community", "identity", "key",
	};
	const char	*p = opts, *eq;
	size_t		 n, i;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if ((eq = memchr(p, '=', n)) != NULL &&
		    !((size_t)(eq - p) > 7 && memcmp(eq - 7, "_script", 7) == 0))
			for (i = 0; i < nitems(words); i++)
				if (memmem(p, (size_t)(eq - p), words[i],
				    strlen(words[i])) != NULL) {
					snprintf(key, len, "%.*s",
					    (int)(eq - p), p);
					return true;
				}
		p += n;
	}
	return false;
}

/*
 * pghad runs the programs this file names (agents, fence agents) as root:
 * only root (or whoever runs us, for pghad -n) may own or write it, and
 * nobody else may read it if it holds fence secrets.  0, or -1 (errf).
 */
static void	ferr(FILE *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* fprintf to errf unless it is NULL (a caller that wants no messages). */
static void
ferr(FILE *errf, const char *fmt, ...)
{
	va_list	ap;

	if (errf == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(errf, fmt, ap);
	va_end(ap);
}

static int
check_file_mode(const char *path, const struct stat *st,
    const struct conf *c, FILE *errf)
{
	unsigned	mode = (unsigned)(st->st_mode & 07777);
	char		key[64];
	bool		grp = st->st_gid != 0;
	int		i;

	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		ferr(errf, "%s: owned by uid %u: pghad runs the programs "
		    "it names as root, so only root may own it: chown root "
		    "%s\n", path, (unsigned)st->st_uid, path);
		return -1;
	}
	if ((st->st_mode & S_IWOTH) || (grp && (st->st_mode & S_IWGRP))) {
		ferr(errf, "%s: mode %04o, group %u: writable by others; "
		    "pghad runs the programs it names as root: chmod go-w "
		    "%s\n", path, mode, (unsigned)st->st_gid, path);
		return -1;
	}
	if (!(st->st_mode & S_IROTH) && !(grp && (st->st_mode & S_IRGRP)))
		return 0;
	for (i = 0; i < c->nnodes; i++)
		if (c->nodes[i].fence_options != NULL &&
		    fence_secret(c->nodes[i].fence_options, key, sizeof(key))) {
			ferr(errf, "%s: mode %04o, group %u: readable by "
			    "others, and [node %s] fence_options holds a "
			    "secret (%s=): chown root:root %s; chmod 600 %s\n",
			    path, mode, (unsigned)st->st_gid,
			    c->nodes[i].name, key, path, path);
			return -1;
		}
	return 0;
}

struct conf *
conf_load(const char *path, FILE *errf)
{
	FILE		*f;
	char		*buf = NULL;
	size_t		 len = 0, cap = 0, n;
	struct conf	*c;
	struct stat	 st;

	if ((f = fopen(path, "re")) == NULL || fstat(fileno(f), &st) == -1) {
		if (errf != NULL)
			fprintf(errf, "%s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 8192;
			buf = xreallocarray(buf, cap, 1);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		if (errf != NULL)
			fprintf(errf, "%s: read error\n", path);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	c = conf_load_buf(path, buf, len, errf);
	free(buf);
	if (c != NULL && check_file_mode(path, &st, c, errf) == -1) {
		conf_free(c);
		return NULL;
	}
	return c;
}

void
conf_free(struct conf *c)
{
	int	i, j;

	if (c == NULL)
		return;
	free(c->path);
	free(c->cluster_name);
	free(c->socket);
	free(c->admin_group);
	free(c->state_dir);
	free(c->agent_path);
	for (i = 0; i < c->nnodes; i++) {
		free(c->nodes[i].name);
		free(c->nodes[i].fence_agent);
		free(c->nodes[i].fence_options);
	}
	free(c->nodes);
	for (i = 0; i < c->ngroups; i++) {
		free(c->groups[i].name);
		free(c->groups[i].preferred);
		free(c->groups[i].possible);
		free(c->groups[i].failback_text);
		free(c->groups[i].res);
	}
	free(c->groups);
	for (i = 0; i < c->nresources; i++) {
		struct conf_resource	*r = &c->resources[i];

		free(r->name);
		free(r->requires);
		free(r->ocf_type);
		free(r->ocf_provider);
		free(r->ocf_agent);
		free(r->ocf_path);
		for (j = 0; j < r->nparams; j++) {
			free(r->params[j].key);
			free(r->params[j].value);
		}
		free(r->params);
	}
	free(c->resources);
	free(c);
}


/* --- lookups ----------------------------------------------------------- */

const struct conf_node *
conf_node_by_name(const struct conf *c, const char *name)
{
	int	i;

	for (i = 0; i < c->nnodes; i++)
		if (strcmp(c->nodes[i].name, name) == 0)
			return &c->nodes[i];
	return NULL;
}

const struct conf_node *
conf_node_by_id(const struct conf *c, uint32_t id)
{
	int	i;

	for (i = 0; i < c->nnodes; i++)
		if (c->nodes[i].nodeid == id)
			return &c->nodes[i];
	return NULL;
}

const struct conf_group *
conf_group_by_name(const struct conf *c, const char *name)
{
	int	i;

	for (i = 0; i < c->ngroups; i++)
		if (strcmp(c->groups[i].name, name) == 0)
			return &c->groups[i];
	return NULL;
}

const struct conf_resource *
conf_resource_by_name(const struct conf *c, const char *name)
{
	int	i;

	for (i = 0; i < c->nresources; i++)
		if (strcmp(c->resources[i].name, name) == 0)
			return &c->resources[i];
	return NULL;
}

const char *
conf_param(const struct conf_resource *r, const char *key)
{
	int	i;

	for (i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].key, key) == 0)
			return r->params[i].value;
	return NULL;
}

int
conf_failover_threshold(const struct conf *c, const struct conf_group *g)
{
	if (g->failover_threshold >= 0)
		return g->failover_threshold;
	return c->nnodes > 1 ? c->nnodes - 1 : 0;
}
