/*
 * wait.c - pgha's --wait: after the daemon took a group request, poll
 * status every CLI_POLL_MS until the group is where it was asked to be,
 * has failed, or the time is up.  Polling status (not a subscription)
 * keeps the protocol to one request per connection and sees the same
 * state an operator would.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "cli.h"

/* The group named name in a status reply (borrowed), or NULL. */
struct json_object *
wait_find_group(struct json_object *st, const char *name)
{
	struct json_object	*groups = out_jarray(st, "groups"), *g;
	size_t			 i;

	for (i = 0; i < out_jlen(groups); i++) {
		g = json_object_array_get_idx(groups, i);
		if (strcmp(out_jstr(g, "name"), name) == 0)
			return g;
	}
	return NULL;
}

/* The first resource of group g whose field key is val, or NULL. */
static struct json_object *
resource_where(struct json_object *g, const char *key, const char *val)
{
	struct json_object	*res = out_jarray(g, "resources"), *r;
	size_t			 i;

	for (i = 0; i < out_jlen(res); i++) {
		r = json_object_array_get_idx(res, i);
		if (strcmp(out_jstr(r, key), val) == 0)
			return r;
	}
	return NULL;
}

/* Is g where the request wanted it?  target NULL: its own target. */
static int
reached(struct json_object *g, int offline, const char *target)
{
	const char	*owner = out_jstr(g, "owner");

	if (offline)
		return strcmp(out_jstr(g, "state"), "offline") == 0;
	if (target == NULL)
		target = out_jstr(g, "target");
	return strcmp(out_jstr(g, "state"), "online") == 0 &&
	    strcmp(owner, "-") != 0 && strcmp(owner, target) == 0;
}

/*
 * pghad answers a request once it has multicast it, before the cluster
 * applies it: a group failed before the request can still show "failed"
 * in the first polls.  That old failure counts only once the request
 * has had WAIT_FAILED_GRACE_MS to take effect and the group was never
 * seen in another state meanwhile.
 */
static int
is_new_failure(struct json_object *g, struct wait_result *w)
{
	if (strcmp(out_jstr(g, "state"), "failed") != 0) {
		w->was_failed = 0;
		return 0;
	}
	return !w->was_failed || w->elapsed_ms >= WAIT_FAILED_GRACE_MS;
}

static void
pause_poll(uint64_t deadline)
{
	struct timespec	ts;
	uint64_t	now = now_ms(), ms = CLI_POLL_MS;

	if (now < deadline && deadline - now < ms)
		ms = deadline - now;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)ms * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* One status poll: 0 with *stp set, -1 to retry, or an exit code. */
static int
poll_status(const char *sock, struct json_object **stp)
{
	struct json_object	*req, *st, *code;
	const char		*c;
	int			 r;

	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("status"));
	r = ctl_call(sock, req, &st);
	json_object_put(req);
	if (r != 0)
		return r;
	/* A daemon briefly busy or re-joining: keep polling. */
	if (json_object_object_get_ex(st, "error", &code) &&
	    (c = json_object_get_string(code)) != NULL &&
	    (strcmp(c, "not-ready") == 0 || strcmp(c, "busy") == 0)) {
		json_object_put(st);
		return -1;
	}
	if ((r = ctl_check(st)) != 0) {
		json_object_put(st);
		return r;
	}
	*stp = st;
	return 0;
}

static void
progress(struct json_object *g, uint64_t elapsed, char **last)
{
	char	*key;

	if (!isatty(STDERR_FILENO))
		return;
	key = xasprintf("%s/%s/%s", out_jstr(g, "state"), out_jstr(g, "owner"),
	    out_jstr(g, "target"));
	if (*last == NULL || strcmp(*last, key) != 0) {
		out_text_progress(stderr, g, elapsed);
		free(*last);
		*last = key;
	} else
		free(key);
}

/* The group reached an end (or time ran out): report, give the exit. */
static int
finish(const struct cli_args *a, const struct output *out,
    struct json_object *g, const struct wait_result *w, int rc,
    const char *target)
{
	if (a->json && rc == 0)
		out_json_print(stdout, g, 1);
	else if (a->json)	/* the group goes into the error object */
		cli_err_detail("group", g);
	else if (rc == 0)
		out->wait_done(stdout, g, w);
	if (rc == EXIT_FAILED) {
		cli_err_note("%s: failed after %.2f s: %s", w->group,
		    w->elapsed_ms / 1000.0, out_jstr(g, "reason"));
		out_text_wait_failed(stderr, g, w);
	}
	else if (rc == EXIT_TIMEOUT)
		cli_err("%s: not %s%s%s after %.1f s (now %s, "
		    "owner %s, target %s)\n", w->group,
		    w->goal_offline ? "offline" : "online",
		    target ? " on " : "", target ? target : "",
		    w->elapsed_ms / 1000.0, out_jstr(g, "state"),
		    out_jstr(g, "owner"), out_jstr(g, "target"));
	return rc;
}

/*
 * Wait for a->group to be offline, or online on target (NULL: on the
 * group's own target).  wp holds the group's owner and failed flag from
 * before the request, t0 the now_ms() the request was sent.  Returns the
 * exit code.
 */
int
wait_group(const struct cli_args *a, const struct output *out,
    const char *target, struct wait_result *wp, uint64_t t0)
{
	struct wait_result	 w = *wp;
	struct json_object	*st = NULL, *g;
	uint64_t		 deadline = t0 + a->wait_ms;
	char			*last = NULL;
	int			 r, rc, saw_target = 0;

	w.goal_offline = a->cmd->id == CMD_GROUP_OFFLINE;
	for (;; json_object_put(st), st = NULL, pause_poll(deadline)) {
		if ((r = poll_status(a->socket, &st)) > 0)
			break;
		w.elapsed_ms = now_ms() - t0;
		if (r == 0 && (g = wait_find_group(st, a->group)) == NULL) {
			cli_err("%s: no longer in the cluster's "
			    "status\n", a->group);
			r = EXIT_UNKNOWN;
			break;
		}
		rc = -1;
		if (r == 0 && target != NULL &&
		    strcmp(out_jstr(g, "target"), target) == 0)
			saw_target = 1;
		if (r == 0 && reached(g, w.goal_offline, target))
			rc = 0;
		else if (r == 0 && saw_target &&
		    strcmp(out_jstr(g, "target"), target) != 0) {
			/* Accepted, then placed elsewhere: the start there
			 * failed (or the node went away). */
			if (a->json)
				cli_err_detail("group", g);
			const char *now = out_jstr(g, "target");

			cli_err("%s: did not come online on %s; "
			    "%s%s%s (pgha events --group %s says why)\n",
			    w.group, target, strcmp(now, "-") == 0 ?
			    "it has no node to run on now" : "the cluster "
			    "placed it on ", strcmp(now, "-") == 0 ? "" : now,
			    strcmp(now, "-") == 0 ? "" : " instead", w.group);
			r = EXIT_FAILED;
			break;
		}
		else if (r == 0 && is_new_failure(g, &w))
			rc = EXIT_FAILED;
		else if (r == 0 && now_ms() >= deadline)
			rc = EXIT_TIMEOUT;
		else if (r == 0)
			progress(g, w.elapsed_ms, &last);
		else if (now_ms() >= deadline) {
			cli_err("%s: timed out: pghad not "
			    "ready\n", a->group);
			r = EXIT_TIMEOUT;
			break;
		}
		if (rc >= 0) {
			r = finish(a, out, g, &w, rc, target);
			break;
		}
	}
	json_object_put(st);
	free(last);
	return r;
}

/* Groups still active on node, as "db1 db2" in buf; 0 when none. */
static int
active_on(struct json_object *st, const char *node, char *buf, size_t len)
{
	struct json_object	*groups = out_jarray(st, "groups"), *g;
	size_t			 i, used = 0;
	int			 n = 0;

	buf[0] = '\0';
	for (i = 0; i < out_jlen(groups); i++) {
		g = json_object_array_get_idx(groups, i);
		if (resource_where(g, "node", node) == NULL)
			continue;
		n++;
		if (used < len)
			used += snprintf(buf + used, len - used, "%s%s",
			    used ? " " : "", out_jstr(g, "name"));
	}
	return n;
}

/* Poll status until done(st) says 1 (-1: failed); the exit code. */
static int
wait_until(const struct cli_args *a, uint64_t t0,
    int (*done)(const struct cli_args *, struct json_object *, char *,
    size_t))
{
	struct json_object	*st = NULL;
	uint64_t		 deadline = t0 + a->wait_ms;
	char			 what[512];
	int			 r, d;

	for (;; json_object_put(st), st = NULL, pause_poll(deadline)) {
		if ((r = poll_status(a->socket, &st)) > 0)
			return r;
		if (r == 0 && (d = done(a, st, what, sizeof(what))) < 0) {
			cli_err("%s\n", what);
			json_object_put(st);
			return EXIT_FAILED;
		}
		if (r == 0 && d > 0) {
			if (a->json)
				out_json_print(stdout, st, 1);
			else
				printf("%s: %s in %.2f s\n", a->group, what,
				    (now_ms() - t0) / 1000.0);
			json_object_put(st);
			return 0;
		}
		if (now_ms() >= deadline) {
			cli_err("%s: timed out after %.1f s: "
			    "%s\n", a->group, (now_ms() - t0) / 1000.0,
			    r == 0 ? what : "pghad not ready");
			json_object_put(st);
			return EXIT_TIMEOUT;
		}
	}
}

/* Groups still changing (starting, stopping, moving), listed in buf. */
static int
settling(struct json_object *st, char *buf, size_t len)
{
	struct json_object	*groups = out_jarray(st, "groups"), *g;
	const char		*state;
	size_t			 i, used = 0;
	int			 n = 0;

	buf[0] = '\0';
	for (i = 0; i < out_jlen(groups); i++) {
		g = json_object_array_get_idx(groups, i);
		state = out_jstr(g, "state");
		if (strcmp(state, "starting") && strcmp(state, "stopping") &&
		    strcmp(state, "moving"))
			continue;
		n++;
		if (used < len)
			used += snprintf(buf + used, len - used, "%s%s %s",
			    used ? ", " : "", out_jstr(g, "name"), state);
	}
	return n;
}

static int
node_done(const struct cli_args *a, struct json_object *st, char *what,
    size_t len)
{
	char	groups[256];

	if (active_on(st, a->group, groups, sizeof(groups)) > 0) {
		snprintf(what, len, "still running %s", groups);
		return 0;
	}
	/* Its groups have left; wait until they are up where they went. */
	if (settling(st, groups, sizeof(groups)) > 0) {
		snprintf(what, len, "runs no group; %s", groups);
		return 0;
	}
	snprintf(what, len, a->cmd->id == CMD_NODE_STOP ?
	    "cluster service stopped, runs no group" :
	    "paused and drained, runs no group");
	return 1;
}

static int
resource_done(const struct cli_args *a, struct json_object *st, char *what,
    size_t len)
{
	struct json_object	*groups = out_jarray(st, "groups"), *g, *r;
	const char		*want = a->cmd->id == CMD_RES_ONLINE ?
				    "online" : "offline";
	size_t			 i;

	snprintf(what, len, "not in the cluster's status");
	for (i = 0; i < out_jlen(groups); i++) {
		g = json_object_array_get_idx(groups, i);
		if ((r = resource_where(g, "name", a->group)) == NULL)
			continue;
		snprintf(what, len, "%s%s%s", out_jstr(r, "state"),
		    strcmp(out_jstr(r, "node"), "-") ? " on " : "",
		    strcmp(out_jstr(r, "node"), "-") ? out_jstr(r, "node") : "");
		if (strcmp(out_jstr(r, "state"), want) == 0)
			return 1;
		/* Failed since the request (online clears failures). */
		if (a->cmd->id == CMD_RES_ONLINE &&
		    strcmp(out_jstr(g, "state"), "failed") == 0) {
			snprintf(what, len, "%s failed: %s", a->group,
			    out_jstr(g, "reason"));
			return -1;
		}
		return 0;
	}
	return 0;
}

int
wait_node(const struct cli_args *a, uint64_t t0)
{
	return wait_until(a, t0, node_done);
}

int
wait_resource(const struct cli_args *a, uint64_t t0)
{
	return wait_until(a, t0, resource_done);
}
