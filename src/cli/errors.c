/*
 * errors.c - how pgha reports a failure, one rule for every command
 * (pgha(8), JSON OUTPUT): the message goes to standard error as
 * "pgha: ...", always; with --json, standard output also gets one JSON
 * object, {"ok": false, "error": CODE, "message": TEXT}, the shape of the
 * daemon's own refusals (docs/control-protocol.md), whose CODE gives the
 * exit status.  A refusal from the daemon is printed as it came; any
 * other failure (usage, cannot connect, --wait out of time, ...) gets
 * its object from cli_exit(), built from the first message and the exit
 * status.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "cli.h"

int			 cli_json;
int			 cli_json_out;
static char		*first_msg;
static struct json_object *detail;
static char		*detail_key;

static void __attribute__((format(printf, 1, 0)))
keep(const char *fmt, va_list ap)
{
	char	*m;
	size_t	 n;

	if (vasprintf(&m, fmt, ap) == -1)
		abort();
	n = strlen(m);
	while (n > 0 && m[n - 1] == '\n')
		m[--n] = '\0';
	if (first_msg == NULL)
		first_msg = m;
	else
		free(m);
}

void
cli_verr(const char *fmt, va_list ap)
{
	va_list	ap2;

	va_copy(ap2, ap);
	keep(fmt, ap2);
	va_end(ap2);
	fputs("pgha: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (fmt[0] == '\0' || fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', stderr);
}

void
cli_err(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cli_verr(fmt, ap);
	va_end(ap);
}

void
cli_err_note(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	keep(fmt, ap);
	va_end(ap);
}

void
cli_err_detail(const char *key, struct json_object *o)
{
	json_object_put(detail);
	free(detail_key);
	detail = json_object_get(o);
	detail_key = xstrdup(key);
}

/* The code of a failure pgha found itself, from its exit status. */
static const char *
exit_code_name(int rc)
{
	switch (rc) {
	case EXIT_USAGE:	return "bad-request";
	case EXIT_PERM:		return "permission-denied";
	case EXIT_UNKNOWN:	return "unknown-group";
	case EXIT_NO_QUORUM:	return "no-quorum";
	case EXIT_NODE_DOWN:	return "node-down";
	case EXIT_UNREACHABLE:	return "unreachable";
	case EXIT_NOT_READY:	return "not-ready";
	case EXIT_BUSY:		return "busy";
	case EXIT_TIMEOUT:	return "timeout";
	default:		return "failed";
	}
}

int
cli_exit(int rc)
{
	struct json_object	*o;

	if (cli_json && rc != 0 && !cli_json_out) {
		o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(0));
		json_object_object_add(o, "error",
		    json_object_new_string(exit_code_name(rc)));
		json_object_object_add(o, "message", json_object_new_string(
		    first_msg ? first_msg : "failed"));
		if (detail != NULL)
			json_object_object_add(o, detail_key,
			    json_object_get(detail));
		out_json_print(stdout, o, 1);
		json_object_put(o);
	}
	json_object_put(detail);
	detail = NULL;
	free(detail_key);
	detail_key = NULL;
	free(first_msg);
	first_msg = NULL;
	return rc;
}
