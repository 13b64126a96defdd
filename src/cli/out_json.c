/*
 * out_json.c - pgha's --json output: the daemon's reply as it came, so
 * scripts see exactly the fields the protocol documents.  Single replies
 * are printed pretty; a followed event stream is printed one compact
 * object per line (JSON Lines), so each line can be parsed on arrival.
 * json-c keeps the daemon's key order, which keeps the output stable.
 */
#include <stdio.h>

#include "cli.h"

#define FLAGS_PRETTY	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
			 JSON_C_TO_STRING_NOSLASHESCAPE)
#define FLAGS_LINE	(JSON_C_TO_STRING_PLAIN | \
			 JSON_C_TO_STRING_NOSLASHESCAPE)

void
out_json_print(FILE *f, struct json_object *o, int pretty)
{
	fprintf(f, "%s\n", json_object_to_json_string_ext(o,
	    pretty ? FLAGS_PRETTY : FLAGS_LINE));
	if (pretty && f == stdout)
		cli_json_out = 1;
}

static void
json_status(FILE *f, struct json_object *reply)
{
	out_json_print(f, reply, 1);
}

static void
json_events(FILE *f, struct json_object *reply, struct ev_cols *c)
{
	out_json_print(f, reply, !c->stream);
}

static void
json_event(FILE *f, struct json_object *line, struct ev_cols *c)
{
	(void)c;
	out_json_print(f, line, 0);
}

static void
json_requested(FILE *f, const struct cli_args *a, struct json_object *reply)
{
	(void)a;
	out_json_print(f, reply, 1);
}

/* After --wait: the group's final object from status. */
static void
json_wait_done(FILE *f, struct json_object *g, const struct wait_result *w)
{
	(void)w;
	out_json_print(f, g, 1);
}

const struct output out_json = {
	.status = json_status,
	.events = json_events,
	.event = json_event,
	.requested = json_requested,
	.wait_done = json_wait_done,
};
