/*
 * test_cli_render.c - unit test (TAP) for pgha's pure parts: command-line
 * parsing (cmd.c), --since TIME parsing, request building, exit-code
 * mapping, and the text renderer (out_text.c) against the golden files
 * tests/golden/cli/NAME.json -> NAME.txt.  "-update" rewrites the .txt
 * files from the current renderer.  Runs with TZ=UTC so local times are
 * the same on every machine.
 */
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "slurp.h"
#include "../../src/cli/cli.h"

#define NOW	((int64_t)1795612800000LL)	/* 2026-11-25T13:20:00Z */

static int	ntest, nfail, update;

static void	ok(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
ok(int cond, const char *fmt, ...)
{
	va_list	ap;

	printf("%sok %d - ", cond ? "" : "not ", ++ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		nfail++;
}

/* Parse a blank-separated command line. */
static int
parse(const char *line, struct cli_args *a, char *err, size_t len)
{
	static char	 buf[512];
	static char	*argv[32];
	int		 argc = 0;
	char		*p, *save = NULL;

	snprintf(buf, sizeof(buf), "pgha %s", line);
	for (p = strtok_r(buf, " ", &save); p && argc < 31;
	    p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	argv[argc] = NULL;
	return cmd_parse(argc, argv, NULL, NOW, a, err, len);
}

static void
test_parse_ok(void)
{
	struct cli_args	a;
	char		err[256];

	ok(parse("status", &a, err, sizeof(err)) == 0 && a.cmd &&
	    a.cmd->id == CMD_STATUS && !a.json &&
	    strcmp(a.socket, "/run/pgha/pgha.sock") == 0, "status, default socket");
	ok(parse("-s /run/p.sock --json status", &a, err, sizeof(err)) == 0 &&
	    a.json && strcmp(a.socket, "/run/p.sock") == 0, "-s PATH --json");
	ok(parse("-s/x.sock status --json", &a, err, sizeof(err)) == 0 &&
	    a.json && strcmp(a.socket, "/x.sock") == 0,
	    "-s/x.sock, --json after the command");
	ok(parse("group move db1 --to node2", &a, err, sizeof(err)) == 0 &&
	    a.cmd->id == CMD_GROUP_MOVE && strcmp(a.group, "db1") == 0 &&
	    strcmp(a.to, "node2") == 0 && a.wait && a.wait_ms == 60000,
	    "group move --to, waits 60 s by default");
	ok(parse("group online --wait=2.5 db1", &a, err, sizeof(err)) == 0 &&
	    a.wait && a.wait_ms == 2500, "--wait=2.5 before GROUP");
	ok(parse("group offline db1 --no-wait", &a, err, sizeof(err)) == 0 &&
	    !a.wait, "--no-wait");
	ok(parse("group move --help", &a, err, sizeof(err)) == 0 && a.help &&
	    a.cmd->id == CMD_GROUP_MOVE, "per-command --help");
	ok(parse("group --help", &a, err, sizeof(err)) == 0 && a.help &&
	    a.cmd == NULL && strcmp(a.help_prefix, "group") == 0,
	    "family --help");
	ok(parse("--version", &a, err, sizeof(err)) == 0 && a.version,
	    "--version");
	ok(parse("events -f --group db1 --node=node2 --since 10m --limit 5",
	    &a, err, sizeof(err)) == 0 && a.follow &&
	    strcmp(a.ev_group, "db1") == 0 && strcmp(a.ev_node, "node2") == 0 &&
	    a.has_since && a.since_ms == NOW - 600000 && a.limit == 5,
	    "events with every filter");
}

/* A usage error whose message names the bad argument. */
static void
bad(const char *line, const char *needle)
{
	struct cli_args	a;
	char		err[256];
	int		r;

	r = parse(line, &a, err, sizeof(err));
	ok(r == -1 && strstr(err, needle) != NULL, "refused '%s': %s", line,
	    r == -1 ? err : "(accepted)");
}

static void
test_parse_bad(void)
{
	bad("", "no command");
	bad("frobnicate", "'frobnicate'");
	bad("group", "missing subcommand");
	bad("group explode db1", "'group explode'");
	bad("group online", "missing GROUP");
	bad("group online db1 db2", "'db2'");
	bad("group online db1 --to node2", "'--to'");
	bad("group move db1 --to", "'--to' needs a value");
	bad("group move db1 --wait=0", "'0'");
	bad("group move db1 --wait=x", "'x'");
	bad("group move db1 --wait=1e9", "'1e9'");
	bad("group move db1 --to no/de", "'no/de'");
	bad("group online -db1", "'-db1'");
	bad("events --since yesterday", "'yesterday'");
	bad("events --limit 0", "'0'");
	bad("events --limit 5x", "'5x'");
	bad("status --follow", "'--follow'");
	bad("-x status", "'-x'");
	bad("--socket= status", "empty socket");
	bad("-s @pgha.ctl status", "abstract socket names are refused");
	bad("-s@x status", "abstract socket names are refused");
	bad("-s x.sock status", "'x.sock': not an absolute path");
	bad("-s", "'-s' needs a value");
	bad("node stop", "missing NODE");
	bad("node stop no/de", "invalid node name 'no/de'");
	bad("node start node1 --force", "'--force'");
	bad("node pause node1 --force", "'--force'");
	bad("resource online", "missing RESOURCE");
	bad("resource online r/1", "invalid resource name");
	bad("validate db1 db2", "'db2'");
	bad("db init", "missing GROUP");
	bad("group manage db1 --wait", "'--wait'");
}

static void
time_is(const char *s, int64_t want)
{
	int64_t	got = 0;
	int	r = cmd_parse_time(s, NOW, &got);

	ok(r == 0 && got == want, "time '%s' = %lld (got %lld)", s,
	    (long long)want, r == 0 ? (long long)got : -1LL);
}

static void
test_time(void)
{
	static const char *const rejects[] = { "", "10", "10x", "-5m",
	    "2026-13-01", "2026-02-30", "2026-11-25T25:00", "2026-11-25T13",
	    "2026-11-25T13:00:00+2", "2026-11-25T13:00:00Zjunk",
	    "1969-12-31", "100000d", "2026-11-25T13:00:00." };
	int64_t	t;
	size_t	i;

	time_is("2026-11-25T13:00:00", NOW - 1200000);
	time_is("2026-11-25 13:00", NOW - 1200000);
	time_is("2026-11-25T13:20:00.123Z", NOW + 123);
	time_is("2026-11-25T14:20:00+01:00", NOW);
	time_is("2026-11-25T08:20:00-0500", NOW);
	time_is("2026-11-25", NOW - 13 * 3600000LL - 1200000);
	time_is("10m", NOW - 600000);
	time_is("2h", NOW - 7200000);
	time_is("1d", NOW - 86400000);
	time_is("1.5h", NOW - 5400000);
	time_is("500ms", NOW - 500);
	time_is("now", NOW);
	for (i = 0; i < nitems(rejects); i++)
		ok(cmd_parse_time(rejects[i], NOW, &t) == -1,
		    "time '%s' refused", rejects[i]);
}

static void
request_is(const char *line, const char *want)
{
	struct cli_args		 a;
	struct json_object	*o;
	char			 err[256];
	const char		*got = "(parse failed)";

	o = NULL;
	if (parse(line, &a, err, sizeof(err)) == 0) {
		o = cmd_request(&a);
		got = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	}
	ok(strcmp(got, want) == 0, "request for '%s': %s", line, got);
	json_object_put(o);
}

static void
test_request(void)
{
	request_is("status", "{\"cmd\":\"status\"}");
	request_is("group online db1",
	    "{\"cmd\":\"group-online\",\"group\":\"db1\"}");
	request_is("group offline db1 --no-wait",
	    "{\"cmd\":\"group-offline\",\"group\":\"db1\"}");
	request_is("group move db1",
	    "{\"cmd\":\"group-move\",\"group\":\"db1\"}");
	request_is("group move db1 --to n2",
	    "{\"cmd\":\"group-move\",\"group\":\"db1\",\"to\":\"n2\"}");
	request_is("events", "{\"cmd\":\"events\",\"follow\":false}");
	request_is("events --local", "{\"cmd\":\"events\",\"follow\":false,"
	    "\"local\":true}");
	request_is("node stop n2 --force", "{\"cmd\":\"node-stop\",\"force\":"
	    "true,\"node\":\"n2\"}");
	request_is("node pause n2 --drain", "{\"cmd\":\"node-pause\",\"drain\":"
	    "true,\"node\":\"n2\"}");
	request_is("node resume n2", "{\"cmd\":\"node-resume\",\"node\":"
	    "\"n2\"}");
	request_is("resource online db1-disk", "{\"cmd\":\"resource-online\","
	    "\"resource\":\"db1-disk\"}");
	request_is("group unmanage db1", "{\"cmd\":\"group-unmanage\","
	    "\"group\":\"db1\"}");
	request_is("validate", "{\"cmd\":\"validate\"}");
	request_is("validate db1", "{\"cmd\":\"validate\",\"group\":"
	    "\"db1\"}");
	request_is("db init db1", "{\"cmd\":\"db-init\",\"group\":"
	    "\"db1\"}");
	request_is("events --follow --node n1 --group g --since 1s "
	    "--limit 9", "{\"cmd\":\"events\",\"follow\":true,\"group\":"
	    "\"g\",\"node\":\"n1\",\"since_ms\":1795612799000,\"limit\":9}");
	ok(cmd_exit_code("permission-denied") == 3 &&
	    cmd_exit_code("unknown-group") == 4 &&
	    cmd_exit_code("unknown-node") == 4 &&
	    cmd_exit_code("unknown-resource") == 4 &&
	    cmd_exit_code("no-quorum") == 5 &&
	    cmd_exit_code("node-down") == 6 &&
	    cmd_exit_code("not-ready") == 8 && cmd_exit_code("busy") == 9 &&
	    cmd_exit_code("failed") == 1 && cmd_exit_code("bad-request") == 2 &&
	    cmd_exit_code("by-hand") == 1 &&
	    cmd_exit_code("some-new-code") == 1 && cmd_exit_code(NULL) == 1,
	    "daemon error codes map to the documented exit codes");
}

typedef void	 render_fn(FILE *, struct json_object *);

static void
render_status(FILE *f, struct json_object *o)
{
	out_text.status(f, o);
}

static void
render_events(FILE *f, struct json_object *o)
{
	struct ev_cols	c = { .stream = 0 };

	out_text.events(f, o, &c);
}

/* Render o to a malloc'ed string. */
static char *
render(render_fn *fn, struct json_object *o)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		abort();
	fn(f, o);
	fclose(f);
	return buf;
}

/* tests/golden/cli, found from this binary (BUILD/tests/test_x). */
static char *
golden_dir(void)
{
	char	 exe[PATH_MAX], *p;
	ssize_t	 n;
	int	 i;

	if (getenv("PGHA_GOLDEN_DIR") != NULL)
		return xstrdup(getenv("PGHA_GOLDEN_DIR"));
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1)
		return xstrdup("tests/golden/cli");
	exe[n] = '\0';
	for (i = 0; i < 3 && (p = strrchr(exe, '/')) != NULL; i++)
		*p = '\0';
	return xasprintf("%s/tests/golden/cli", exe);
}

static void
golden_one(const char *dir, const char *name)
{
	struct json_object	*o;
	render_fn		*fn;
	char			*in, *outp, *got, *want;
	FILE			*f;

	fn = strncmp(name, "events", 6) == 0 ? render_events : render_status;
	in = xasprintf("%s/%s", dir, name);
	outp = xasprintf("%.*s.txt", (int)(strlen(in) - 5), in);
	o = json_object_from_file(in);
	got = o ? render(fn, o) : xstrdup("(unreadable JSON)\n");
	if (update && (f = fopen(outp, "w")) != NULL) {
		fputs(got, f);
		fclose(f);
	}
	want = slurp(outp);
	ok(want != NULL && strcmp(got, want) == 0, "golden %s", name);
	if (want == NULL || strcmp(got, want) != 0)
		printf("# got:\n%s# want (%s):\n%s", got, outp,
		    want ? want : "(missing)\n");
	json_object_put(o);
	free(in);
	free(outp);
	free(got);
	free(want);
}

static void
test_golden(void)
{
	struct dirent	**ents;
	char		 *dir = golden_dir();
	int		  n, i, found = 0;
	size_t		  l;

	n = scandir(dir, &ents, NULL, alphasort);
	for (i = 0; i < n; i++) {
		l = strlen(ents[i]->d_name);
		if (l > 5 && strcmp(ents[i]->d_name + l - 5, ".json") == 0) {
			golden_one(dir, ents[i]->d_name);
			found++;
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	ok(found >= 4, "found %d golden files in %s", found, dir);
	free(dir);
}

static void
test_wait_lines(void)
{
	struct json_object	*g;
	struct wait_result	 w = { "db1", "node1", 430, 0, 0 };
	const char		*want;
	char			*buf = NULL;
	size_t			 len = 0;
	FILE			*f;

	g = json_tokener_parse("{\"name\":\"db1\",\"state\":\"online\","
	    "\"owner\":\"node2\",\"reason\":\"no eligible node\","
	    "\"resources\":[{\"name\":\"db1-pg\",\"type\":\"postgresql\","
	    "\"state\":\"failed\",\"node\":\"node2\","
	    "\"last_error\":\"exit 1\"},{\"name\":\"db1-disk\",\"type\":"
	    "\"disk\",\"state\":\"online\",\"node\":\"node2\","
	    "\"last_error\":null}]}");
	f = open_memstream(&buf, &len);
	out_text.wait_done(f, g, &w);
	w.old_owner = NULL;
	out_text.wait_done(f, g, &w);
	w.goal_offline = 1;
	w.old_owner = "node2";
	out_text.wait_done(f, g, &w);
	out_text_wait_failed(f, g, &w);
	fclose(f);
	want = "db1: online on node2 (moved from node1 in 0.43 s)\n"
	    "db1: online on node2 (started in 0.43 s)\n"
	    "db1: offline (stopped on node2 in 0.43 s)\n"
	    "pgha: db1: failed after 0.43 s: no eligible node\n"
	    "pgha: db1-pg (postgresql, failed on node2): exit 1\n";
	ok(strcmp(buf, want) == 0, "wait result lines");
	if (strcmp(buf, want) != 0)
		printf("# got:\n%s# want:\n%s", buf, want);
	free(buf);
	json_object_put(g);
}

int
main(int argc, char *argv[])
{
	update = argc > 1 && strcmp(argv[1], "-update") == 0;
	setenv("TZ", "UTC", 1);
	tzset();
	test_parse_ok();
	test_parse_bad();
	test_time();
	test_request();
	test_golden();
	test_wait_lines();
	printf("1..%d\n", ntest);
	return nfail ? 1 : 0;
}
