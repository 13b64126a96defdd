/*
 * cli.h - what the modules of pgha (the command-line tool) share: the
 * parsed command line, exit codes, the output vtable (bgpctl's struct
 * output) and the control-socket client.
 *
 * cmd.c and out_text.c are pure (no I/O but the FILE they are handed) so
 * that tests/unit/test_cli_render.c can drive them without a daemon.
 */
#ifndef PGHA_CLI_H
#define PGHA_CLI_H

#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "util.h"

#ifndef PGHA_VERSION
#error "PGHA_VERSION is set by the Makefile (VERSION)"
#endif

#define CLI_DEFAULT_SOCKET	PGHA_DEFAULT_SOCKET
#define CLI_SOCKET_ENV		"PGHA_SOCKET"
#define CLI_WAIT_DEFAULT_MS	60000
#define CLI_WAIT_MAX_MS		(7 * 86400 * 1000U)
#define CLI_POLL_MS		50
#define CLI_REPLY_MAX		(16 * 1024 * 1024)
#define CLI_REQUEST_TIMEOUT_MS	10000
#define CLI_LIMIT_MAX		10000000L

/* Exit codes: the table in docs/control-protocol.md and pgha(8). */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_PERM = 3,
	EXIT_UNKNOWN = 4,
	EXIT_NO_QUORUM = 5,
	EXIT_NODE_DOWN = 6,
	EXIT_UNREACHABLE = 7,
	EXIT_NOT_READY = 8,
	EXIT_BUSY = 9,
	EXIT_TIMEOUT = 10,
};

enum cmd_id {
	CMD_NONE,		/* only global options (--help, --version) */
	CMD_STATUS,
	CMD_GROUP_ONLINE,
	CMD_GROUP_OFFLINE,
	CMD_GROUP_MOVE,
	CMD_EVENTS,
	CMD_NODE_CONFIRM_DOWN,
	CMD_GROUP_UNMANAGE,
	CMD_GROUP_MANAGE,
	CMD_NODE_STOP,
	CMD_NODE_START,
	CMD_NODE_PAUSE,
	CMD_NODE_RESUME,
	CMD_RES_ONLINE,
	CMD_RES_OFFLINE,
	CMD_VALIDATE,
	CMD_DB_INIT,
};

/* Option flags a command accepts (struct cmd_def.opts). */
#define CO_WAIT		0x01	/* --wait[=S], --no-wait */
#define CO_TO		0x02	/* --to NODE */
#define CO_EVENTS	0x04	/* --follow --group --node --since --limit */
#define CO_FORCE	0x08	/* --force */
#define CO_DRAIN	0x10	/* --drain */

struct cmd_def {
	const char	*name;		/* "group move" */
	const char	*args;		/* positional synopsis: "GROUP" */
	int		 nargs;		/* number of positional arguments */
	int		 opts;		/* CO_* */
	enum cmd_id	 id;
	const char	*help;		/* one paragraph */
};

/* The parsed command line.  Strings borrow argv or the environment. */
struct cli_args {
	const char		*socket;
	int			 json;
	int			 help;		/* print help and exit 0 */
	int			 version;
	const char		*help_prefix;	/* "group": help for a family */
	const struct cmd_def	*cmd;		/* NULL when CMD_NONE */
	const char		*group;		/* positional GROUP, NODE or
						 * RESOURCE */
	const char		*to;		/* move --to */
	int			 wait;
	uint32_t		 wait_ms;
	int			 follow;
	const char		*ev_group;
	const char		*ev_node;
	int			 has_since;
	int64_t			 since_ms;
	long			 limit;		/* 0: none */
	int			 force;
	int			 drain;
	int			 local;		/* events --local */
};

/* cmd.c */
extern const struct cmd_def	cmd_table[];
extern const size_t		cmd_table_len;
int	cmd_parse(int, char **, const char *, int64_t, struct cli_args *,
	    char *, size_t);
int	cmd_parse_time(const char *, int64_t, int64_t *);
struct json_object *cmd_request(const struct cli_args *);
int	cmd_exit_code(const char *);
void	cmd_usage(FILE *);
void	cmd_synopsis(FILE *, const struct cmd_def *);
void	cmd_help(FILE *, const struct cmd_def *);
void	cmd_help_prefix(FILE *, const char *);

/* Column widths kept across a followed event stream. */
struct ev_cols {
	int	stream;		/* following: JSON as one line per object */
	int	node;
	int	object;
	int	old;
	int	new;
};

/* What a --wait ended with, for the final line. */
struct wait_result {
	const char	*group;
	const char	*old_owner;	/* owner before the request, or NULL */
	uint64_t	 elapsed_ms;
	int		 goal_offline;
	int		 was_failed;	/* failed before the request */
};

/* bgpctl-style output vtable: out_text.c and out_json.c. */
struct output {
	void	(*status)(FILE *, struct json_object *);
	void	(*events)(FILE *, struct json_object *, struct ev_cols *);
	void	(*event)(FILE *, struct json_object *, struct ev_cols *);
	void	(*requested)(FILE *, const struct cli_args *,
		    struct json_object *);
	void	(*wait_done)(FILE *, struct json_object *,
		    const struct wait_result *);
};
extern const struct output	out_text;
extern const struct output	out_json;

/* out_text.c helpers used by wait.c */
const char	*out_jstr(struct json_object *, const char *);
struct json_object *out_jarray(struct json_object *, const char *);
size_t		 out_jlen(struct json_object *);
void		 out_text_wait_failed(FILE *, struct json_object *,
		    const struct wait_result *);
void		 out_text_progress(FILE *, struct json_object *, uint64_t);
void		 out_text_fmt_local(int64_t, char *, size_t);

/* out_json.c: a pretty-printed object is a command's whole result (sets
 * cli_json_out); compact lines are a stream, after which a failure still
 * gets its error object. */
void	out_json_print(FILE *, struct json_object *, int);

/* errors.c: every failure, one rule (pgha(8), JSON OUTPUT). */
extern int	cli_json;	/* --json was given */
extern int	cli_json_out;	/* a JSON result is on stdout already */
/* "pgha: MSG" on stderr; the first message is the --json error's. */
void	cli_err(const char *, ...) __attribute__((format(printf, 1, 2)));
void	cli_verr(const char *, va_list) __attribute__((format(printf, 1, 0)));
/* Keep a message for the --json error without printing it. */
void	cli_err_note(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Add KEY: object to the --json error object (takes a reference). */
void	cli_err_detail(const char *, struct json_object *);
/* With --json, rc != 0 and no result printed: the error object.  Gives rc. */
int	cli_exit(int);

/* ctl_client.c: functions returning int give 0 or an exit code. */
#define CTL_INTR	(-1)	/* ctl_read: SIGINT or SIGTERM arrived */
struct ctl_conn;
int	ctl_open(const char *, struct json_object *, struct ctl_conn **);
int	ctl_read(struct ctl_conn *, uint64_t, struct json_object **);
void	ctl_close(struct ctl_conn *);
int	ctl_call(const char *, struct json_object *, struct json_object **);
int	ctl_check(struct json_object *);
void	ctl_catch_signals(void);

/* validate.c */
int	validate_run(const struct cli_args *);
int	validate_db_init(const struct cli_args *);

/* wait.c */
#define WAIT_FAILED_GRACE_MS	2000
int	wait_group(const struct cli_args *, const struct output *,
	    const char *, struct wait_result *, uint64_t);
/* node stop / pause --drain: until no group is active on the node. */
int	wait_node(const struct cli_args *, uint64_t t0);
/* resource online / offline: until the resource is so. */
int	wait_resource(const struct cli_args *, uint64_t t0);
struct json_object *wait_find_group(struct json_object *, const char *);

/* pgha.c: the position of the command's first word, after pgha's global
 * options (those before it; -s/--socket takes a value). */
int	cli_first_word(int, char **);

/* keystore_cmd.c: `pgha keystore ...`, parsed there. */
int	keystore_cmd_index(int, char **);
int	keystore_main(int, char **, int);
void	keystore_usage(FILE *);

/* setup.c: `pgha cluster setup ...`, parsed there. */
int	setup_cmd_index(int, char **);
int	setup_main(int, char **, int);
void	setup_usage(FILE *);

#endif
