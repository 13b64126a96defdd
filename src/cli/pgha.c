/*
 * pgha.c - main() of pgha, the command-line tool: parse the command line
 * (cmd.c), run the command against the local pghad over the control
 * socket (ctl_client.c) and print the reply as text or JSON.  One
 * handler per kind of command; the exit code policy is in pgha(8).
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "cli.h"

static int
do_status(const struct cli_args *a, const struct output *out)
{
	struct json_object	*req, *reply;
	int			 r;

	req = cmd_request(a);
	r = ctl_call(a->socket, req, &reply);
	json_object_put(req);
	if (r == 0 && (r = ctl_check(reply)) == 0)
		out->status(stdout, reply);
	json_object_put(reply);
	return r;
}

/*
 * The group's owner and failed state before a waited-for request, for
 * the final line ("moved from node1") and to tell an old failure from a
 * new one.  Leaves w alone if the daemon did not say (the request itself
 * will report why); returns 0 or an exit code.
 */
static int
state_before(const struct cli_args *a, struct wait_result *w)
{
	struct json_object	*req, *st, *g, *o;
	int			 rc;

	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("status"));
	rc = ctl_call(a->socket, req, &st);
	json_object_put(req);
	if (rc != 0)
		return rc;
	if ((g = wait_find_group(st, a->group)) != NULL) {
		if (json_object_object_get_ex(g, "owner", &o) &&
		    json_object_is_type(o, json_type_string))
			w->old_owner = xstrdup(json_object_get_string(o));
		w->was_failed = strcmp(out_jstr(g, "state"), "failed") == 0;
	}
	json_object_put(st);
	return 0;
}

static int
do_group(const struct cli_args *a, const struct output *out)
{
	struct wait_result	 w = { a->group, NULL, 0, 0, 0 };
	struct json_object	*req, *reply = NULL, *t;
	const char		*target = NULL;
	uint64_t		 t0;
	int			 r = 0;
	int			 wait = a->wait &&
				    a->cmd->id != CMD_NODE_CONFIRM_DOWN;

	if (wait && (r = state_before(a, &w)) != 0)
		return r;
	req = cmd_request(a);
	t0 = now_ms();
	r = ctl_call(a->socket, req, &reply);
	json_object_put(req);
	if (r == 0 && (r = ctl_check(reply)) == 0) {
		if (a->cmd->id == CMD_GROUP_MOVE &&
		    json_object_object_get_ex(reply, "target", &t) &&
		    json_object_is_type(t, json_type_string))
			target = json_object_get_string(t);
		if (!wait)
			out->requested(stdout, a, reply);
		else
			r = wait_group(a, out, target, &w, t0);
	}
	json_object_put(reply);
	free((char *)w.old_owner);
	return r;
}

/*
 * A request, then with --wait: node stop or drain until the node runs
 * nothing, resource online/offline until it is so.
 */
static int
do_simple(const struct cli_args *a, const struct output *out)
{
	struct json_object	*req, *reply = NULL;
	uint64_t		 t0 = now_ms();
	int			 r;

	req = cmd_request(a);
	r = ctl_call(a->socket, req, &reply);
	json_object_put(req);
	if (r == 0 && (r = ctl_check(reply)) == 0) {
		if (!a->wait || !(a->cmd->opts & CO_WAIT) ||
		    (a->cmd->id == CMD_NODE_PAUSE && !a->drain))
			out->requested(stdout, a, reply);
		else if (a->cmd->id == CMD_NODE_STOP ||
		    a->cmd->id == CMD_NODE_PAUSE)
			r = wait_node(a, t0);
		else
			r = wait_resource(a, t0);
	}
	json_object_put(reply);
	return r;
}

/* --follow: history, then one event per line until SIGINT (exit 0). */
static int
follow_events(const struct cli_args *a, const struct output *out,
    struct json_object *req)
{
	struct ev_cols		 cols = { .stream = 1 };
	struct ctl_conn		*c;
	struct json_object	*line = NULL;
	int			 r;

	ctl_catch_signals();
	if ((r = ctl_open(a->socket, req, &c)) != 0)
		return r;
	r = ctl_read(c, now_ms() + CLI_REQUEST_TIMEOUT_MS, &line);
	if (r == 0 && (r = ctl_check(line)) == 0)
		out->events(stdout, line, &cols);
	while (r == 0) {
		fflush(stdout);
		json_object_put(line);
		line = NULL;
		if ((r = ctl_read(c, 0, &line)) == 0)
			out->event(stdout, line, &cols);
	}
	json_object_put(line);
	ctl_close(c);
	return r == CTL_INTR ? 0 : r;
}

static int
do_events(const struct cli_args *a, const struct output *out)
{
	struct ev_cols		 cols = { .stream = 0 };
	struct json_object	*req, *reply = NULL;
	int			 r;

	req = cmd_request(a);
	if (a->follow) {
		r = follow_events(a, out, req);
		json_object_put(req);
		return r;
	}
	r = ctl_call(a->socket, req, &reply);
	json_object_put(req);
	if (r == 0 && (r = ctl_check(reply)) == 0)
		out->events(stdout, reply, &cols);
	json_object_put(reply);
	return r;
}

static int
usage_error(const struct cli_args *a, const char *err)
{
	cli_err("%s\n", err);
	if (a->cmd != NULL) {
		fputs("usage: pgha [-s SOCKET] [--json] ", stderr);
		cmd_synopsis(stderr, a->cmd);
		fprintf(stderr, "\nRun 'pgha %s --help' for details.\n",
		    a->cmd->name);
	} else if (a->help_prefix != NULL)
		cmd_help_prefix(stderr, a->help_prefix);
	else {
		cmd_usage(stderr);
		keystore_usage(stderr);
		setup_usage(stderr);
	}
	return EXIT_USAGE;
}

static int
run(const struct cli_args *a)
{
	const struct output	*out = a->json ? &out_json : &out_text;

	switch (a->cmd->id) {
	case CMD_STATUS:
		return do_status(a, out);
	case CMD_GROUP_ONLINE:
	case CMD_GROUP_OFFLINE:
	case CMD_GROUP_MOVE:
	case CMD_NODE_CONFIRM_DOWN:
		return do_group(a, out);
	case CMD_GROUP_UNMANAGE:
	case CMD_GROUP_MANAGE:
	case CMD_NODE_STOP:
	case CMD_NODE_START:
	case CMD_NODE_PAUSE:
	case CMD_NODE_RESUME:
	case CMD_RES_ONLINE:
	case CMD_RES_OFFLINE:
		return do_simple(a, out);
	case CMD_VALIDATE:
		return validate_run(a);
	case CMD_DB_INIT:
		return validate_db_init(a);
	case CMD_EVENTS:
		return do_events(a, out);
	case CMD_NONE:
		break;
	}
	return EXIT_USAGE;
}

/*
 * --json anywhere before "--": so that a command line refused before its
 * --json is reached still gets its JSON error.
 */
static int
wants_json(int argc, char **argv)
{
	int	i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			return 1;
	return 0;
}

int
cli_first_word(int argc, char **argv)
{
	int	i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "-s") == 0 ||
		    strcmp(argv[i], "--socket") == 0)
			i++;
	}
	return i;
}

int
main(int argc, char *argv[])
{
	struct cli_args	 a;
	char		 err[512];
	int		 rc;

	cli_json = wants_json(argc, argv);
	if ((rc = keystore_cmd_index(argc, argv)) > 0)
		return cli_exit(keystore_main(argc, argv, rc));
	if ((rc = setup_cmd_index(argc, argv)) > 0)
		return cli_exit(setup_main(argc, argv, rc));
	if (cmd_parse(argc, argv, getenv(CLI_SOCKET_ENV), (int64_t)wall_ms(),
	    &a, err, sizeof(err)) == -1)
		return cli_exit(usage_error(&a, err));
	if (a.version) {
		printf("pgha %s\n", PGHA_VERSION);
		return EXIT_OK;
	}
	if (a.help) {
		if (a.cmd != NULL)
			cmd_help(stdout, a.cmd);
		else if (a.help_prefix != NULL)
			cmd_help_prefix(stdout, a.help_prefix);
		else {
			cmd_usage(stdout);
			keystore_usage(stdout);
			setup_usage(stdout);
		}
		return EXIT_OK;
	}
	rc = cli_exit(run(&a));
	if (fflush(stdout) == EOF || ferror(stdout)) {
		cli_err("error writing output\n");
		return rc ? rc : EXIT_FAILED;
	}
	return rc;
}
