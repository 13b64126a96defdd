/*
 * out_text.c - pgha's human output: aligned tables for status, one line
 * per event, and the lines that end a --wait.  Pure: a JSON reply and a
 * FILE in, text out (no clock, no socket), so golden files in
 * tests/golden/cli/ pin the format.  Fields missing from a reply print as
 * "-" rather than failing: a newer daemon may drop or rename one.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "cli.h"

#define MAXCOLS	6

struct cols {
	int	n;
	int	w[MAXCOLS];
};

/* A field as text: strings as they are, null or missing as "-". */
const char *
out_jstr(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || v == NULL)
		return "-";
	return json_object_get_string(v);
}

/* The array field key of o, or NULL. */
struct json_object *
out_jarray(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_array))
		return v;
	return NULL;
}

static int
jtrue(struct json_object *o, const char *key)
{
	struct json_object	*v;

	return json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v);
}

/* Length of an array from out_jarray() (0 for NULL). */
size_t
out_jlen(struct json_object *arr)
{
	return arr ? json_object_array_length(arr) : 0;
}

static void
cols_fit(struct cols *c, const char *const *cells)
{
	int	i, l;

	for (i = 0; i < c->n; i++)
		if ((l = (int)strlen(cells[i])) > c->w[i])
			c->w[i] = l;
}

static void
cols_print(FILE *f, const struct cols *c, const char *indent,
    const char *const *cells)
{
	int	i;

	fputs(indent, f);
	for (i = 0; i < c->n - 1; i++)
		fprintf(f, "%-*s  ", c->w[i], cells[i]);
	fprintf(f, "%s\n", cells[c->n - 1]);
}

/* Local time with milliseconds: "2026-11-25 14:20:00.123". */
void
out_text_fmt_local(int64_t ms, char *buf, size_t len)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;
	char		tmp[32];

	localtime_r(&t, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03d", tmp, (int)(ms % 1000));
}

/* Failure counts {"node1": 2, "node2": 0} as "node1:2", or "0". */
static void
fmt_failcount(struct json_object *r, char *buf, size_t len)
{
	struct json_object	*fc;
	size_t			 used = 0;

	buf[0] = '\0';
	if (!json_object_object_get_ex(r, "failcount", &fc) || fc == NULL) {
		snprintf(buf, len, "-");
		return;
	}
	if (!json_object_is_type(fc, json_type_object)) {
		snprintf(buf, len, "%s", json_object_get_string(fc));
		return;
	}
	json_object_object_foreach(fc, node, val) {
		if (json_object_get_int64(val) == 0 || used >= len)
			continue;
		used += snprintf(buf + used, len - used, "%s%s:%s",
		    used ? "," : "", node, json_object_get_string(val));
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "0");
}

static void
status_header(FILE *f, struct json_object *st)
{
	struct json_object	*q;
	const char		*quorum = "-";

	if (json_object_object_get_ex(st, "quorate", &q) &&
	    json_object_is_type(q, json_type_boolean))
		quorum = json_object_get_boolean(q) ? "yes" : "no";
	fprintf(f, "cluster:  %s\n", out_jstr(st, "cluster"));
	fprintf(f, "node:     %s\n", out_jstr(st, "local_node"));
	fprintf(f, "quorum:   %s\n", quorum);
	fprintf(f, "decider:  %s\n", out_jstr(st, "decider"));
}

static void
status_nodes(FILE *f, struct json_object *nodes)
{
	static const char *const hdr[] = { "NAME", "ID", "STATE" };
	struct cols		 c = { 3, { 0 } };
	struct json_object	*n, *loc;
	const char		*cells[3], *mark;
	size_t			 i, pass;

	fputs("\nNodes:\n", f);
	if (out_jlen(nodes) == 0) {
		fputs("  none\n", f);
		return;
	}
	cols_fit(&c, hdr);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			cols_print(f, &c, "  ", hdr);
		for (i = 0; i < out_jlen(nodes); i++) {
			n = json_object_array_get_idx(nodes, i);
			mark = json_object_object_get_ex(n, "local", &loc) &&
			    json_object_get_boolean(loc) ? "* " : "  ";
			cells[0] = out_jstr(n, "name");
			cells[1] = out_jstr(n, "id");
			cells[2] = jtrue(n, "drain") ? "paused, drained" :
			    out_jstr(n, "state");
			if (pass == 0)
				cols_fit(&c, cells);
			else
				cols_print(f, &c, mark, cells);
		}
	}
	fputs("(* local node)\n", f);
}

static void
group_cells(struct json_object *g, const char **cells)
{
	cells[0] = out_jstr(g, "name");
	cells[1] = out_jstr(g, "state");
	cells[2] = out_jstr(g, "owner");
	cells[3] = out_jstr(g, "target");
	cells[4] = out_jstr(g, "intent");
}

/* NODE, and the other nodes where it was started by hand: "node1 +node2
 * by hand".  buf holds the text when there are such nodes. */
static const char *
node_cell(struct json_object *r, char *buf, size_t len)
{
	struct json_object	*a, *o;
	size_t			 i, used;

	if (!json_object_object_get_ex(r, "also_by_hand", &a) ||
	    out_jlen(a) == 0)
		return out_jstr(r, "node");
	used = snprintf(buf, len, "%s", out_jstr(r, "node"));
	for (i = 0; i < out_jlen(a) && used < len; i++) {
		o = json_object_array_get_idx(a, i);
		used += snprintf(buf + used, len - used, " +%s",
		    json_object_get_string(o));
	}
	if (used < len)
		snprintf(buf + used, len - used, " by hand");
	return buf;
}

static void
res_cells(struct json_object *r, const char **cells, char *fc, size_t fclen)
{
	cells[0] = out_jstr(r, "name");
	cells[1] = out_jstr(r, "type");
	cells[2] = jtrue(r, "by_hand") ? "online, by hand" :
	    out_jstr(r, "state");
	/* fc holds the failcount first, the node cell after it */
	fmt_failcount(r, fc, fclen / 2);
	cells[3] = node_cell(r, fc + fclen / 2, fclen - fclen / 2);
	cells[4] = fc;
}

/* Widths over every group and every resource, so all rows line up. */
static void
groups_fit(struct json_object *groups, struct cols *gc, struct cols *rc)
{
	static const char *const ghdr[] = { "GROUP", "STATE", "OWNER",
	    "TARGET", "INTENT" };
	static const char *const rhdr[] = { "RESOURCE", "TYPE", "STATE",
	    "NODE", "FAILCOUNT" };
	struct json_object	*g, *res;
	const char		*cells[5];
	char			 fc[512];
	size_t			 i, j;

	cols_fit(gc, ghdr);
	cols_fit(rc, rhdr);
	for (i = 0; i < out_jlen(groups); i++) {
		g = json_object_array_get_idx(groups, i);
		group_cells(g, cells);
		cols_fit(gc, cells);
		res = out_jarray(g, "resources");
		for (j = 0; j < out_jlen(res); j++) {
			res_cells(json_object_array_get_idx(res, j), cells,
			    fc, sizeof(fc));
			cols_fit(rc, cells);
		}
	}
}

static void
group_print(FILE *f, struct json_object *g, const struct cols *rc)
{
	static const char *const rhdr[] = { "RESOURCE", "TYPE", "STATE",
	    "NODE", "FAILCOUNT" };
	struct json_object	*res, *r, *le;
	const char		*cells[5];
	char			 fc[512];
	size_t			 j;

	res = out_jarray(g, "resources");
	if (out_jlen(res) > 0)
		cols_print(f, rc, "    ", rhdr);
	for (j = 0; j < out_jlen(res); j++) {
		r = json_object_array_get_idx(res, j);
		res_cells(r, cells, fc, sizeof(fc));
		cols_print(f, rc, "    ", cells);
		if (json_object_object_get_ex(r, "last_error", &le) &&
		    le != NULL)
			fprintf(f, "      last error: %s\n",
			    json_object_get_string(le));
	}
	fprintf(f, "    reason: %s\n", out_jstr(g, "reason"));
}

static void
status_groups(FILE *f, struct json_object *groups)
{
	static const char *const ghdr[] = { "GROUP", "STATE", "OWNER",
	    "TARGET", "INTENT" };
	struct cols		 gc = { 5, { 0 } }, rc = { 5, { 0 } };
	struct json_object	*g;
	const char		*cells[5];
	size_t			 i;

	fputs("\nGroups:\n", f);
	if (out_jlen(groups) == 0) {
		fputs("  none\n", f);
		return;
	}
	groups_fit(groups, &gc, &rc);
	cols_print(f, &gc, "  ", ghdr);
	for (i = 0; i < out_jlen(groups); i++) {
		g = json_object_array_get_idx(groups, i);
		group_cells(g, cells);
		cols_print(f, &gc, "  ", cells);
		group_print(f, g, &rc);
	}
}

static void
text_status(FILE *f, struct json_object *st)
{
	status_header(f, st);
	status_nodes(f, out_jarray(st, "nodes"));
	status_groups(f, out_jarray(st, "groups"));
}

static int
imax(int a, int b)
{
	return a > b ? a : b;
}

static void
event_fit(struct json_object *ev, struct ev_cols *c)
{
	c->node = imax(c->node, (int)strlen(out_jstr(ev, "node")));
	c->object = imax(c->object, (int)strlen(out_jstr(ev, "object")));
	c->old = imax(c->old, (int)strlen(out_jstr(ev, "old")));
	c->new = imax(c->new, (int)strlen(out_jstr(ev, "new")));
}

static void
event_line(FILE *f, struct json_object *ev, struct ev_cols *c)
{
	struct json_object	*ms;
	char			 when[64];

	if (json_object_object_get_ex(ev, "ms", &ms) &&
	    json_object_is_type(ms, json_type_int))
		out_text_fmt_local(json_object_get_int64(ms), when,
		    sizeof(when));
	else
		snprintf(when, sizeof(when), "%s", out_jstr(ev, "time"));
	event_fit(ev, c);
	fprintf(f, "%s  %-*s  %-*s  %*s -> %-*s  %s\n", when,
	    c->node, out_jstr(ev, "node"), c->object, out_jstr(ev, "object"),
	    c->old, out_jstr(ev, "old"), c->new, out_jstr(ev, "new"),
	    out_jstr(ev, "cause"));
}

static void
text_events(FILE *f, struct json_object *reply, struct ev_cols *c)
{
	struct json_object	*evs = out_jarray(reply, "events");
	size_t			 i;

	for (i = 0; i < out_jlen(evs); i++)
		event_fit(json_object_array_get_idx(evs, i), c);
	for (i = 0; i < out_jlen(evs); i++)
		event_line(f, json_object_array_get_idx(evs, i), c);
}

/* One line of a followed stream: {"event": {...}}. */
static void
text_event(FILE *f, struct json_object *line, struct ev_cols *c)
{
	struct json_object	*ev;

	if (json_object_object_get_ex(line, "event", &ev))
		event_line(f, ev, c);
}

static void
text_requested(FILE *f, const struct cli_args *a, struct json_object *reply)
{
	switch (a->cmd->id) {
	case CMD_GROUP_ONLINE:
		fprintf(f, "%s: online requested\n", a->group);
		break;
	case CMD_GROUP_OFFLINE:
		fprintf(f, "%s: offline requested\n", a->group);
		break;
	case CMD_GROUP_MOVE:
		fprintf(f, "%s: move to %s requested\n", a->group,
		    out_jstr(reply, "target"));
		break;
	case CMD_NODE_CONFIRM_DOWN:
		fprintf(f, "%s: confirmed down; its groups may start "
		    "elsewhere\n", a->group);
		break;
	case CMD_GROUP_UNMANAGE:
		fprintf(f, "%s: unmanaged: no monitoring or recovery until "
		    "'pgha group manage %s'\n", a->group, a->group);
		break;
	case CMD_GROUP_MANAGE:
		fprintf(f, "%s: managed again: probing every node\n",
		    a->group);
		break;
	case CMD_NODE_STOP:
		fprintf(f, "%s: cluster service stop requested\n", a->group);
		break;
	case CMD_NODE_START:
		fprintf(f, "%s: cluster service started\n", a->group);
		break;
	case CMD_NODE_PAUSE:
		fprintf(f, "%s: paused%s\n", a->group, a->drain ?
		    "; draining its groups" : "");
		break;
	case CMD_NODE_RESUME:
		fprintf(f, "%s: resumed\n", a->group);
		break;
	case CMD_RES_ONLINE:
	case CMD_RES_OFFLINE:
		fprintf(f, "%s: %s requested\n", a->group,
		    a->cmd->id == CMD_RES_ONLINE ? "online" : "offline");
		break;
	default:
		break;
	}
}

static void
text_wait_done(FILE *f, struct json_object *g, const struct wait_result *w)
{
	const char	*owner = out_jstr(g, "owner");
	double		 secs = w->elapsed_ms / 1000.0;

	if (w->goal_offline) {
		if (w->old_owner != NULL)
			fprintf(f, "%s: offline (stopped on %s in %.2f s)\n",
			    w->group, w->old_owner, secs);
		else
			fprintf(f, "%s: offline (in %.2f s)\n", w->group, secs);
	} else if (w->old_owner == NULL)
		fprintf(f, "%s: online on %s (started in %.2f s)\n", w->group,
		    owner, secs);
	else if (strcmp(w->old_owner, owner) != 0)
		fprintf(f, "%s: online on %s (moved from %s in %.2f s)\n",
		    w->group, owner, w->old_owner, secs);
	else
		fprintf(f, "%s: online on %s (in %.2f s)\n", w->group, owner,
		    secs);
}

static void
failed_res(FILE *f, struct json_object *r)
{
	const char	*node = out_jstr(r, "node");
	int		 on = strcmp(node, "-") != 0;

	fprintf(f, "pgha: %s (%s, %s%s%s): %s\n", out_jstr(r, "name"),
	    out_jstr(r, "type"), out_jstr(r, "state"), on ? " on " : "",
	    on ? node : "", out_jstr(r, "last_error"));
}

/* Why a waited-for group failed: its reason and its failed resources. */
void
out_text_wait_failed(FILE *f, struct json_object *g,
    const struct wait_result *w)
{
	struct json_object	*res = out_jarray(g, "resources"), *r;
	const char		*st;
	size_t			 i;
	int			 shown = 0, pass;

	fprintf(f, "pgha: %s: failed after %.2f s: %s\n", w->group,
	    w->elapsed_ms / 1000.0, out_jstr(g, "reason"));
	/* Failed resources first; failing that, any with an error. */
	for (pass = 0; pass < 2 && !shown; pass++) {
		for (i = 0; i < out_jlen(res); i++) {
			r = json_object_array_get_idx(res, i);
			st = out_jstr(r, "state");
			if (pass == 0 && strcmp(st, "failed") != 0 &&
			    strcmp(st, "stop-failed") != 0)
				continue;
			if (pass == 1 && strcmp(out_jstr(r, "last_error"),
			    "-") == 0)
				continue;
			failed_res(f, r);
			shown++;
		}
	}
}

void
out_text_progress(FILE *f, struct json_object *g, uint64_t elapsed_ms)
{
	fprintf(f, "pgha: %6.2f s  %s: %s, owner %s, target %s\n",
	    elapsed_ms / 1000.0, out_jstr(g, "name"), out_jstr(g, "state"),
	    out_jstr(g, "owner"), out_jstr(g, "target"));
}

const struct output out_text = {
	.status = text_status,
	.events = text_events,
	.event = text_event,
	.requested = text_requested,
	.wait_done = text_wait_done,
};
