/*
 * cmd.c - pgha's command table, command-line parsing, TIME parsing and
 * request building.  Pure: argv and the clock value in, a struct
 * cli_args or an error message out, so bad arguments are refused before
 * the daemon is contacted and the unit test can drive every case.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "cli.h"

#define NAME_MAX_LEN	63	/* conf.h: CONF_NAME_MAX */
#define SUN_PATH_MAX	107	/* sizeof(sun_path) - 1 */

const struct cmd_def cmd_table[] = {
	{ "status", "", 0, 0, CMD_STATUS,
	  "Show the cluster: quorum, nodes, groups and their resources." },
	{ "group online", "GROUP", 1, CO_WAIT, CMD_GROUP_ONLINE,
	  "Set the group's intent to online (clearing its failed state and\n"
	  "bans); the cluster places it on the best node." },
	{ "group offline", "GROUP", 1, CO_WAIT, CMD_GROUP_OFFLINE,
	  "Set the group's intent to offline; the cluster stops it." },
	{ "group move", "GROUP", 1, CO_WAIT | CO_TO, CMD_GROUP_MOVE,
	  "Move the group to NODE, or without --to to the best possible\n"
	  "node other than its current owner." },
	{ "events", "", 0, CO_EVENTS, CMD_EVENTS,
	  "Show the cluster's event log: every state change with its cause." },
	{ "node confirm-down", "NODE", 1, 0, CMD_NODE_CONFIRM_DOWN,
	  "Vouch that NODE is down (powered off, or its services stopped by\n"
	  "hand) when it cannot be fenced: its groups may then start on\n"
	  "other nodes.  Wrong, this starts a second copy of the group." },
	{ "group unmanage", "GROUP", 1, 0, CMD_GROUP_UNMANAGE,
	  "Suspend monitoring and recovery of the group: its resources stay\n"
	  "as they are, and an operator may stop and start them by hand\n"
	  "(pg_ctl) without causing a failover." },
	{ "group manage", "GROUP", 1, 0, CMD_GROUP_MANAGE,
	  "Resume monitoring and recovery: every node probes the group's\n"
	  "resources and the cluster adopts what it finds running." },
	{ "node stop", "NODE", 1, CO_WAIT | CO_FORCE, CMD_NODE_STOP,
	  "Stop the cluster service on NODE: its groups move to other nodes\n"
	  "first, then it runs nothing and takes nothing until 'node start'\n"
	  "(kept across pghad restarts and reboots).  A group that could go\n"
	  "nowhere else makes this fail, unless --force, which takes such\n"
	  "groups offline." },
	{ "node start", "NODE", 1, 0, CMD_NODE_START,
	  "Start the cluster service on NODE again: it may take groups.\n"
	  "Nothing moves back to it unless a group's failback asks so." },
	{ "node pause", "NODE", 1, CO_WAIT | CO_DRAIN, CMD_NODE_PAUSE,
	  "Pause NODE: it stays a member and keeps what it runs, but takes\n"
	  "no group.  --drain moves its groups to other nodes first." },
	{ "node resume", "NODE", 1, 0, CMD_NODE_RESUME,
	  "Resume a paused NODE: it may take groups again." },
	{ "resource online", "RESOURCE", 1, CO_WAIT, CMD_RES_ONLINE,
	  "Bring RESOURCE and what it requires online, e.g. only the disk of\n"
	  "an offline group for recovery by hand; the rest stays offline." },
	{ "resource offline", "RESOURCE", 1, CO_WAIT, CMD_RES_OFFLINE,
	  "Take RESOURCE and what requires it offline; the rest of the group\n"
	  "stays online." },
	{ "validate", "[GROUP]", 1, 0, CMD_VALIDATE,
	  "Check on every node what failover needs (guide 3.2.3): data, WAL,\n"
	  "tablespaces and backups on the group's shared disks, the paths\n"
	  "postgresql.conf names valid everywhere, the port free where the\n"
	  "group does not run, restart_after_crash off, the same server user\n"
	  "and cluster file everywhere.  Each finding names the node, setting,\n"
	  "path and fix; exit 1 if any is an error." },
	{ "db init", "GROUP", 1, 0, CMD_DB_INIT,
	  "Create the group's database cluster on its shared disks (initdb\n"
	  "with data, waldir and backup_dir as configured, settings for\n"
	  "cluster operation written), on this node, where the group's disks\n"
	  "must be online ('pgha resource online DISK' first)." },
};
const size_t cmd_table_len = nitems(cmd_table);

/* Does argv[i..] start with the words of name?  Returns words matched. */
static int
match_words(const char *name, int argc, char **argv, int i)
{
	const char	*p = name;
	size_t		 wl;
	int		 n = 0;

	while (*p != '\0') {
		wl = strcspn(p, " ");
		if (i + n >= argc || strlen(argv[i + n]) != wl ||
		    strncmp(argv[i + n], p, wl) != 0)
			return 0;
		n++;
		p += wl;
		p += strspn(p, " ");
	}
	return n;
}

/* Is word the first word of a multi-word command ("group")? */
static int
is_family(const char *word)
{
	size_t	i, wl = strlen(word);

	for (i = 0; i < cmd_table_len; i++)
		if (strncmp(cmd_table[i].name, word, wl) == 0 &&
		    cmd_table[i].name[wl] == ' ')
			return 1;
	return 0;
}

static int
check_name(const char *what, const char *s, char *err, size_t len)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN)
		return errf(err, len, "invalid %s name '%s': must be 1 to %d "
		    "characters", what, s, NAME_MAX_LEN);
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '.' && s[i] != '-')
			return errf(err, len, "invalid %s name '%s': only "
			    "letters, digits, '_', '.' and '-'", what, s);
	if (!isalnum((unsigned char)s[0]))
		return errf(err, len, "invalid %s name '%s': must start with "
		    "a letter or digit", what, s);
	return 0;
}

static int
check_socket(const char *s, char *err, size_t len)
{
	if (s[0] == '\0')
		return errf(err, len, "empty socket name");
	if (s[0] == '@')
		return errf(err, len, "socket '%s': abstract socket names are "
		    "refused (any local user may take one first and receive "
		    "your requests); give the path pghad listens on, "
		    "default %s", s, CLI_DEFAULT_SOCKET);
	if (s[0] != '/')
		return errf(err, len, "socket '%s': not an absolute path", s);
	if (strlen(s) > SUN_PATH_MAX)
		return errf(err, len, "socket name too long (max %d): '%s'",
		    SUN_PATH_MAX, s);
	return 0;
}

/*
 * "--opt=value" or "--opt value".  Returns 1 and sets *val if argv[*i] is
 * opt, 0 if it is not, -1 when the value is missing.
 */
static int
opt_value(const char *opt, int argc, char **argv, int *i, const char **val)
{
	size_t	ol = strlen(opt);

	if (strncmp(argv[*i], opt, ol) != 0)
		return 0;
	if (argv[*i][ol] == '=') {
		*val = argv[*i] + ol + 1;
		return 1;
	}
	if (argv[*i][ol] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

static int
parse_wait(const char *v, struct cli_args *a, char *err, size_t len)
{
	char	*end;
	double	 s;

	errno = 0;
	s = strtod(v, &end);
	if (errno != 0 || end == v || *end != '\0' || !isfinite(s) ||
	    s <= 0 || s * 1000 > CLI_WAIT_MAX_MS)
		return errf(err, len, "bad --wait value '%s': seconds, more "
		    "than 0 and at most %u (use --no-wait not to wait)", v,
		    CLI_WAIT_MAX_MS / 1000);
	a->wait = 1;
	a->wait_ms = (uint32_t)(s * 1000 + 0.5);
	if (a->wait_ms == 0)
		a->wait_ms = 1;
	return 0;
}

static int
parse_limit(const char *v, struct cli_args *a, char *err, size_t len)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 1 ||
	    n > CLI_LIMIT_MAX)
		return errf(err, len, "bad --limit value '%s': a number from "
		    "1 to %ld", v, CLI_LIMIT_MAX);
	a->limit = n;
	return 0;
}

static int
name_value(int r, const char *what, const char *v, const char **dst,
    char *err, size_t len)
{
	if (r < 0)
		return -1;
	if (check_name(what, v, err, len) == -1)
		return -1;
	*dst = v;
	return 1;
}

/* --wait, --wait=S, --no-wait: 1 if consumed, 0 if not ours, -1. */
static int
wait_option(const char *arg, struct cli_args *a, char *err, size_t len)
{
	if (strcmp(arg, "--wait") == 0)
		a->wait = 1;
	else if (strncmp(arg, "--wait=", 7) == 0)
		return parse_wait(arg + 7, a, err, len) == 0 ? 1 : -1;
	else if (strcmp(arg, "--no-wait") == 0)
		a->wait = 0;
	else
		return 0;
	return 1;
}

static int
events_option(int argc, char **argv, int *i, int64_t now,
    struct cli_args *a, char *err, size_t len)
{
	const char	*v = NULL;
	int		 r;

	if (strcmp(argv[*i], "--follow") == 0 || strcmp(argv[*i], "-f") == 0)
		return a->follow = 1;
	if (strcmp(argv[*i], "--local") == 0)
		return a->local = 1;
	if ((r = opt_value("--group", argc, argv, i, &v)) != 0)
		return name_value(r, "group", v, &a->ev_group, err, len);
	if ((r = opt_value("--node", argc, argv, i, &v)) != 0)
		return name_value(r, "node", v, &a->ev_node, err, len);
	if ((r = opt_value("--limit", argc, argv, i, &v)) != 0)
		return r < 0 ? -1 : parse_limit(v, a, err, len) == 0 ? 1 : -1;
	if ((r = opt_value("--since", argc, argv, i, &v)) == 0)
		return 0;
	if (r < 0)
		return -1;
	if (cmd_parse_time(v, now, &a->since_ms) == -1)
		return errf(err, len, "bad --since value '%s': use an ISO 8601 "
		    "time like 2026-11-25T13:00:00 or an age like 10m, 2h, 1d",
		    v);
	a->has_since = 1;
	return 1;
}

/* One option of the command's own: 1 if consumed, -1 on error. */
static int
cmd_option(int argc, char **argv, int *i, int64_t now, struct cli_args *a,
    char *err, size_t len)
{
	const char	*v = NULL;
	int		 opts = a->cmd->opts, r;

	if (strcmp(argv[*i], "--json") == 0)
		return a->json = 1;
	if ((opts & CO_WAIT) && (r = wait_option(argv[*i], a, err, len)) != 0)
		return r;
	if ((opts & CO_FORCE) && strcmp(argv[*i], "--force") == 0)
		return a->force = 1;
	if ((opts & CO_DRAIN) && strcmp(argv[*i], "--drain") == 0)
		return a->drain = 1;
	if ((opts & CO_TO) && (r = opt_value("--to", argc, argv, i, &v)) != 0)
		return name_value(r, "node", v, &a->to, err, len);
	if ((opts & CO_EVENTS) &&
	    (r = events_option(argc, argv, i, now, a, err, len)) != 0)
		return r;
	return errf(err, len, "%s: unknown option '%s'", a->cmd->name,
	    argv[*i]);
}

static int
cmd_args(int argc, char **argv, int i, int64_t now, struct cli_args *a,
    char *err, size_t len)
{
	const char	*name = a->cmd->name;
	int		 npos = 0, r, opts_done = 0;

	for (; i < argc; i++) {
		const char *arg = argv[i];

		if (!opts_done && (strcmp(arg, "-h") == 0 ||
		    strcmp(arg, "--help") == 0)) {
			a->help = 1;
			return 0;
		}
		if (!opts_done && strcmp(arg, "--") == 0) {
			opts_done = 1;
			continue;
		}
		if (!opts_done && arg[0] == '-' && arg[1] != '\0') {
			if ((r = cmd_option(argc, argv, &i, now, a, err,
			    len)) < 0) {
				if (err[0] == '\0')
					errf(err, len, "%s: option '%s' needs "
					    "a value", name, arg);
				return -1;
			}
			continue;
		}
		if (npos >= a->cmd->nargs)
			return errf(err, len, "%s: unexpected argument '%s'",
			    name, arg);
		if (check_name(strcmp(a->cmd->args, "NODE") == 0 ? "node" :
		    strcmp(a->cmd->args, "RESOURCE") == 0 ? "resource" :
		    "group", arg, err, len) == -1)
			return -1;
		a->group = arg;
		npos++;
	}
	if (npos < a->cmd->nargs && a->cmd->args[0] != '[')
		return errf(err, len, "%s: missing %s", name, a->cmd->args);
	return 0;
}

static int
global_args(int argc, char **argv, int *ip, struct cli_args *a,
    char *err, size_t len)
{
	const char	*v;
	int		 i, r;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--json") == 0)
			a->json = 1;
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			a->help = 1;
		else if (strcmp(argv[i], "--version") == 0)
			a->version = 1;
		else if (strncmp(argv[i], "-s", 2) == 0 && argv[i][2] != '\0')
			a->socket = argv[i] + 2;
		else if ((r = opt_value("-s", argc, argv, &i, &v)) ||
		    (r = opt_value("--socket", argc, argv, &i, &v))) {
			if (r < 0)
				return errf(err, len, "option '%s' needs a "
				    "value", argv[i]);
			a->socket = v;
		} else
			return errf(err, len, "unknown option '%s'", argv[i]);
	}
	*ip = i;
	return check_socket(a->socket, err, len);
}

/*
 * Parse argv.  env_socket is $PGHA_SOCKET (or NULL), now the wall clock in
 * ms (for relative --since).  Returns 0, or -1 with a message in err.
 */
int
cmd_parse(int argc, char **argv, const char *env_socket, int64_t now,
    struct cli_args *a, char *err, size_t len)
{
	size_t	k;
	int	i = 0, n;

	memset(a, 0, sizeof(*a));
	err[0] = '\0';
	a->socket = env_socket && env_socket[0] ? env_socket :
	    CLI_DEFAULT_SOCKET;
	a->wait = 1;
	a->wait_ms = CLI_WAIT_DEFAULT_MS;
	if (global_args(argc, argv, &i, a, err, len) == -1)
		return -1;
	if (i >= argc) {
		if (a->help || a->version)
			return 0;
		return errf(err, len, "no command given");
	}
	for (k = 0; k < cmd_table_len; k++) {
		if ((n = match_words(cmd_table[k].name, argc, argv, i)) > 0) {
			a->cmd = &cmd_table[k];
			return cmd_args(argc, argv, i + n, now, a, err, len);
		}
	}
	if (!is_family(argv[i]))
		return errf(err, len, "unknown command '%s'", argv[i]);
	if (i + 1 >= argc || strcmp(argv[i + 1], "-h") == 0 ||
	    strcmp(argv[i + 1], "--help") == 0) {
		a->help_prefix = argv[i];
		if (a->help || i + 1 < argc)
			return a->help = 1, 0;
		return errf(err, len, "%s: missing subcommand", argv[i]);
	}
	a->help_prefix = argv[i];
	return errf(err, len, "unknown command '%s %s'", argv[i], argv[i + 1]);
}

/* Exactly n digits into *out. */
static int
scan_digits(const char **p, int n, int *out)
{
	int	v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	*out = v;
	return 0;
}

/* "10m", "2h", "1d", "1.5h", "500ms": an age before now. */
static int
parse_age(const char *s, int64_t now, int64_t *out)
{
	static const struct {
		const char	*unit;
		double		 ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "min", 60000 },
		{ "h", 3600000 }, { "d", 86400000 }, { "w", 604800000 },
	};
	char	*end;
	double	 v;
	size_t	 k;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || !isfinite(v))
		return -1;
	for (k = 0; k < nitems(units); k++) {
		if (strcmp(end, units[k].unit) != 0)
			continue;
		v *= units[k].ms;
		if (v > (double)now)
			return -1;
		*out = now - (int64_t)v;
		return 0;
	}
	return -1;
}

/* [T| ]HH:MM[:SS[.fff]] after the date; zero fields when absent. */
static int
parse_clock(const char **pp, struct tm *tm, int *msec)
{
	const char	*p = *pp;
	int		 scale = 100;

	if (*p != 'T' && *p != 't' && *p != ' ')
		return 0;
	p++;
	if (scan_digits(&p, 2, &tm->tm_hour) == -1 || *p++ != ':' ||
	    scan_digits(&p, 2, &tm->tm_min) == -1)
		return -1;
	if (*p == ':') {
		p++;
		if (scan_digits(&p, 2, &tm->tm_sec) == -1)
			return -1;
		if (*p == '.' || *p == ',') {
			if (!isdigit((unsigned char)*++p))
				return -1;
			for (; isdigit((unsigned char)*p); p++, scale /= 10)
				*msec += (*p - '0') * scale;
		}
	}
	if (tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60)
		return -1;
	*pp = p;
	return 0;
}

/* "Z", "+HH:MM", "+HHMM", "-HH": *off in seconds east; 1 if present. */
static int
parse_zone(const char *p, long *off)
{
	int	sign, h, m = 0;

	if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0) {
		*off = 0;
		return 1;
	}
	if (*p == '\0')
		return 0;
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if (scan_digits(&p, 2, &h) == -1)
		return -1;
	if (*p == ':')
		p++;
	if (*p != '\0' && scan_digits(&p, 2, &m) == -1)
		return -1;
	if (*p != '\0' || h > 23 || m > 59)
		return -1;
	*off = sign * (h * 3600L + m * 60L);
	return 1;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|+HH:MM]; local time without zone. */
static int
parse_iso(const char *s, int64_t *out)
{
	struct tm	 tm, chk;
	const char	*p = s;
	time_t		 t;
	long		 off = 0;
	int		 msec = 0, zoned;

	memset(&tm, 0, sizeof(tm));
	if (scan_digits(&p, 4, &tm.tm_year) == -1 || *p++ != '-' ||
	    scan_digits(&p, 2, &tm.tm_mon) == -1 || *p++ != '-' ||
	    scan_digits(&p, 2, &tm.tm_mday) == -1)
		return -1;
	if (parse_clock(&p, &tm, &msec) == -1 ||
	    (zoned = parse_zone(p, &off)) == -1)
		return -1;
	if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
	    tm.tm_mday < 1)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	chk = tm;
	t = zoned ? timegm(&tm) - off : mktime(&tm);
	/* mktime/timegm normalise 2026-02-31 to March: refuse it. */
	if (t == (time_t)-1 || tm.tm_mday != chk.tm_mday ||
	    tm.tm_mon != chk.tm_mon)
		return -1;
	*out = (int64_t)t * 1000 + msec;
	return 0;
}

/*
 * --since TIME: an ISO 8601 time (local time unless it has a zone) or an
 * age such as 10m, 2h, 1d.  now is the wall clock in ms.  Sets *out to ms
 * since the epoch; 0 on success, -1 if malformed.
 */
int
cmd_parse_time(const char *s, int64_t now, int64_t *out)
{
	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (parse_age(s, now, out) == 0)
		return 0;
	return parse_iso(s, out);
}

/* The request object for a parsed command line; caller frees. */
struct json_object *
cmd_request(const struct cli_args *a)
{
	static const char *const names[] = {
		[CMD_STATUS] = "status",
		[CMD_GROUP_ONLINE] = "group-online",
		[CMD_GROUP_OFFLINE] = "group-offline",
		[CMD_GROUP_MOVE] = "group-move",
		[CMD_EVENTS] = "events",
		[CMD_NODE_CONFIRM_DOWN] = "node-confirm-down",
		[CMD_GROUP_UNMANAGE] = "group-unmanage",
		[CMD_GROUP_MANAGE] = "group-manage",
		[CMD_NODE_STOP] = "node-stop",
		[CMD_NODE_START] = "node-start",
		[CMD_NODE_PAUSE] = "node-pause",
		[CMD_NODE_RESUME] = "node-resume",
		[CMD_RES_ONLINE] = "resource-online",
		[CMD_RES_OFFLINE] = "resource-offline",
		[CMD_VALIDATE] = "validate",
		[CMD_DB_INIT] = "db-init",
	};
	struct json_object	*o;
	enum cmd_id		 id = a->cmd->id;
	const char		*key = strcmp(a->cmd->args, "NODE") == 0 ?
				    "node" : strcmp(a->cmd->args,
				    "RESOURCE") == 0 ? "resource" : NULL;

	o = json_object_new_object();
	json_object_object_add(o, "cmd", json_object_new_string(names[id]));
	if (a->force)
		json_object_object_add(o, "force",
		    json_object_new_boolean(1));
	if (a->drain)
		json_object_object_add(o, "drain",
		    json_object_new_boolean(1));
	if (key != NULL) {
		json_object_object_add(o, key,
		    json_object_new_string(a->group));
		return o;
	}
	if (a->group != NULL)
		json_object_object_add(o, "group",
		    json_object_new_string(a->group));
	if (id == CMD_GROUP_MOVE && a->to != NULL)
		json_object_object_add(o, "to", json_object_new_string(a->to));
	if (id != CMD_EVENTS)
		return o;
	json_object_object_add(o, "follow", json_object_new_boolean(a->follow));
	if (a->local)
		json_object_object_add(o, "local", json_object_new_boolean(1));
	if (a->ev_group != NULL)
		json_object_object_add(o, "group",
		    json_object_new_string(a->ev_group));
	if (a->ev_node != NULL)
		json_object_object_add(o, "node",
		    json_object_new_string(a->ev_node));
	if (a->has_since)
		json_object_object_add(o, "since_ms",
		    json_object_new_int64(a->since_ms));
	if (a->limit > 0)
		json_object_object_add(o, "limit",
		    json_object_new_int64(a->limit));
	return o;
}

/* The exit code for a daemon error code (docs/control-protocol.md). */
int
cmd_exit_code(const char *code)
{
	static const struct {
		const char	*code;
		int		 exit;
	} map[] = {
		{ "bad-request", EXIT_USAGE },
		{ "permission-denied", EXIT_PERM },
		{ "unknown-group", EXIT_UNKNOWN },
		{ "unknown-node", EXIT_UNKNOWN },
		{ "unknown-resource", EXIT_UNKNOWN },
		{ "no-quorum", EXIT_NO_QUORUM },
		{ "node-down", EXIT_NODE_DOWN },
		{ "not-ready", EXIT_NOT_READY },
		{ "busy", EXIT_BUSY },
		{ "failed", EXIT_FAILED },
		{ "by-hand", EXIT_FAILED },
	};
	size_t	k;

	for (k = 0; code != NULL && k < nitems(map); k++)
		if (strcmp(map[k].code, code) == 0)
			return map[k].exit;
	/* A code newer than this pgha: a failure all the same. */
	return EXIT_FAILED;
}

void
cmd_synopsis(FILE *f, const struct cmd_def *c)
{
	fprintf(f, "%s%s%s", c->name, c->args[0] ? " " : "", c->args);
	if (c->opts & CO_TO)
		fputs(" [--to NODE]", f);
	if (c->opts & CO_FORCE)
		fputs(" [--force]", f);
	if (c->opts & CO_DRAIN)
		fputs(" [--drain]", f);
	if (c->opts & CO_WAIT)
		fputs(" [--wait[=SECONDS] | --no-wait]", f);
	if (c->opts & CO_EVENTS)
		fputs(" [--follow] [--group GROUP] [--node NODE] "
		    "[--since TIME] [--limit N] [--local]", f);
}

void
cmd_usage(FILE *f)
{
	size_t	k;

	fputs("usage: pgha [-s SOCKET] [--json] COMMAND [ARGUMENTS]\n"
	    "       pgha --help | --version\n\ncommands:\n", f);
	for (k = 0; k < cmd_table_len; k++) {
		fputs("  ", f);
		cmd_synopsis(f, &cmd_table[k]);
		fputc('\n', f);
	}
	fputs("\nRun 'pgha COMMAND --help' for a command's details; "
	    "see pgha(8).\n", f);
}

void
cmd_help(FILE *f, const struct cmd_def *c)
{
	fputs("usage: pgha [-s SOCKET] [--json] ", f);
	cmd_synopsis(f, c);
	fprintf(f, "\n\n%s\n", c->help);
	if (c->opts & CO_TO)
		fputs("\n  --to NODE         move to NODE (default: the best "
		    "other node)", f);
	if (c->opts & CO_FORCE)
		fputs("\n  --force           take groups that could go nowhere "
		    "else offline", f);
	if (c->opts & CO_DRAIN)
		fputs("\n  --drain           move the node's groups away first",
		    f);
	if (c->opts & CO_WAIT)
		fputs("\n  --wait[=SECONDS]  wait until done (the default; "
		    "60 s)\n  --no-wait         return once the daemon took "
		    "the request", f);
	if (c->opts & CO_EVENTS)
		fputs("\n  -f, --follow      keep printing new events until "
		    "interrupted\n  --group GROUP     only events about GROUP "
		    "or its resources\n  --node NODE       only events from "
		    "NODE\n  --since TIME      from TIME: 2026-11-25T13:00:00 "
		    "(local), ...Z, or 10m, 2h, 1d ago\n  --limit N         "
		    "at most N events of history\n  --local           only "
		    "this node's log (default: every member's, merged)", f);
	fputs("\n  --json            print the daemon's JSON reply\n", f);
}

/* Help for a command family ("pgha group --help"). */
void
cmd_help_prefix(FILE *f, const char *prefix)
{
	size_t	k, pl = strlen(prefix);

	fputs("usage:\n", f);
	for (k = 0; k < cmd_table_len; k++) {
		if (strncmp(cmd_table[k].name, prefix, pl) != 0 ||
		    cmd_table[k].name[pl] != ' ')
			continue;
		fputs("  pgha ", f);
		cmd_synopsis(f, &cmd_table[k]);
		fputc('\n', f);
	}
}
