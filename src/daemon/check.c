/*
 * check.c - the requests every member answers for one asker (see check.h):
 * pgha validate, pgha events (merged from every node) and pgha keystore
 * copy; and pgha db init, on this node only.
 *
 * The asking node multicasts MSG_CHECK (what = validate, events or
 * keystore copy); every member answers with what it found as JSON lines
 * in MSG_CHECKED for the asker, which hands the whole set to its client
 * once every member that was there when it asked has answered, or when
 * the wait has passed (CHECK_WAIT_MS for validate, EVENTS_WAIT_MS for the
 * others; the silent ones are then named).
 *   validate: `pgha-agent postgresql validate` for the postgresql
 *	resources of the group(s), one at a time, plus the cluster file's
 *	own findings;
 *   events: this node's event log, filtered as events_query() does;
 *   keystore copy: the target writes the keystore file it was sent, at a
 *	path its own cluster file names.
 * Neither message touches the replicated state.
 *
 * db init: only on this node, where the group's disks must be online.
 */
#define PGHA_LOG_TAG	"check"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent.h"
#include "check.h"
#include "events.h"
#include "keystore.h"
#include "log.h"
#include "loop.h"
#include "sendq.h"
#include "util.h"

#define CHECK_WAIT_MS		60000
#define CHECK_AGENT_MS		30000
#define EVENTS_WAIT_MS		5000	/* events, keystore copy: well within
					   pgha's 10 s */

/* One MSG_CHECK being answered here. */
struct job {
	uint32_t		 seq;
	uint32_t		 to;		/* the asker */
	char			*env;		/* extra environment */
	const struct conf_resource *res[256];
	int			 nres, next;
	bool			 cluster;	/* Corosync and fencing too */
	int			 fence_next;	/* next node to ask status */
	char			*text;		/* JSON lines so far */
	struct job		*next_job;
};

/* One validate asked here, waiting for the members' answers. */
struct asked {
	uint32_t		 seq;
	enum check_what		 what;
	int			 limit;		/* events */
	uid_t			 uid;		/* events: who asked */
	uint64_t		 expect;	/* node bits */
	uint64_t		 got;
	struct json_object	*nodes;		/* array */
	struct loop_timer	*timer;
	check_done_cb		 done;
	void			*arg;
	struct asked		*next;
};

static const struct cstate	*cs;
static void			(*send_msg)(struct msg *);	/* multicast */
static const struct conf	*conf;
static const char		*agent_path;
static struct job		*jobs;
static struct asked		*asked;
static uint32_t			 ask_seq;

static bool	asked_orphan(uint32_t, uint32_t);

void
check_init(const struct cstate *c, const char *path,
    void (*send)(struct msg *))
{
	cs = c;
	send_msg = send;
	conf = c->conf;
	agent_path = path;
}

static bool
printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* The group's disks' mount points, space-separated. */
static char *
group_mounts(const struct conf_group *g)
{
	char	*s = xstrdup(""), *t;
	int	 i;

	for (i = 0; i < g->nres; i++) {
		if (g->res[i]->type != RT_DISK)
			continue;
		t = xasprintf("%s%s%s", s, *s ? " " : "",
		    conf_param(g->res[i], "mountpoint"));
		free(s);
		s = t;
	}
	return s;
}

/* The keystores of the group's encrypted disks, blank-separated. */
static char *
group_keystores(const struct conf_group *g)
{
	char		*s = xstrdup(""), *t;
	const char	*enc, *ks;
	int		 i;

	for (i = 0; i < g->nres; i++) {
		if (g->res[i]->type != RT_DISK ||
		    (enc = conf_param(g->res[i], "encrypt")) == NULL ||
		    strcmp(enc, "yes") != 0 ||
		    (ks = conf_param(g->res[i], "keystore")) == NULL)
			continue;
		t = xasprintf("%s%s%s", s, *s ? " " : "", ks);
		free(s);
		s = t;
	}
	return s;
}

/* All of the group's disks online on this node (and at least one). */
static bool
disks_here(const struct conf_group *g, char *why, size_t len)
{
	const struct node_rt	*me = &cs->nodes[cs->local];
	int			 i, n, ndisk = 0;

	for (i = 0; i < g->nres; i++) {
		const struct conf_resource *r = g->res[i];

		if (r->type != RT_DISK)
			continue;
		ndisk++;
		if (me->res[r->index].state == RS_ONLINE)
			continue;
		snprintf(why, len, "%s is %s on %s", r->name,
		    rstate_name(me->res[r->index].state),
		    conf->nodes[cs->local].name);
		for (n = 0; n < conf->nnodes; n++)
			if (cs->nodes[n].res[r->index].state == RS_ONLINE) {
				size_t l = strlen(why);

				snprintf(why + l, len - l, " (online on %s)",
				    conf->nodes[n].name);
				break;
			}
		return false;
	}
	if (ndisk == 0)
		snprintf(why, len, "group %s has no disk resource", g->name);
	return ndisk > 0;
}

static void
text_add(char **text, const char *s)
{
	char	*t = xasprintf("%s%s%s", *text, s,
		    *s && s[strlen(s) - 1] != '\n' ? "\n" : "");

	free(*text);
	*text = t;
}

/* A line of our own in the agent's format. */
static void
text_finding(char **text, const char *res, const char *level,
    const char *msg)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string(
	    strcmp(level, "ok") == 0 ? "ok" : "finding"));
	if (strcmp(level, "ok") != 0)
		json_object_object_add(o, "level",
		    json_object_new_string(level));
	else
		json_object_object_add(o, "check",
		    json_object_new_string("group"));
	if (res != NULL)
		json_object_object_add(o, "resource",
		    json_object_new_string(res));
	json_object_object_add(o, "message", json_object_new_string(msg));
	text_add(text, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void	job_step(struct job *);

/*
 * The cluster file as it is on disk now, perhaps edited since pghad read
 * it: its errors and warnings (fencing, for one) as `pghad -n` says them.
 */
static void
conf_findings(char **text)
{
	char		*buf = NULL, *line, *save = NULL;
	size_t		 len = 0;
	FILE		*f = open_memstream(&buf, &len);
	struct conf	*c;

	if (f == NULL)
		return;
	c = conf_load(conf->path, f);
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		text_finding(text, NULL, strstr(line, ": warning: ") ?
		    "warning" : "error", line);
	conf_free(c);
	free(buf);
}

/*
 * An OCF agent the group needs must be installed on every node that may
 * run it; the cluster file cannot say (the same everywhere), so each node
 * looks at its own.  Those that are get their meta-data asked (job_step).
 */
static void
ocf_findings(struct job *j, const struct conf_group *g)
{
	char	*msg;
	int	 i;

	for (i = 0; i < g->nres; i++) {
		const struct conf_resource *r = g->res[i];

		if (r->type != RT_OCF)
			continue;
		if (access(r->ocf_path, X_OK) == 0) {
			if (j->nres < 256)
				j->res[j->nres++] = r;
			continue;
		}
		msg = xasprintf("%s: %s: %s: install the agent on this node "
		    "(e.g. the resource-agents package), or the group cannot "
		    "start here", r->ocf_type, r->ocf_path, strerror(errno));
		text_finding(&j->text, r->name, "error", msg);
		free(msg);
	}
}

/*
 * The agent's meta-data (pgha-agent ocf checked that it is some): each
 * param.NAME of the resource should be one of its <parameter name=...>,
 * or the agent never reads it (a typo: the agent's default is used).
 */
static void
ocf_meta_done(struct job *j, const struct conf_resource *r,
    const struct agent_result *res)
{
	char	 rs[96], *msg, pat[CONF_NAME_MAX + 32];
	int	 i;

	if (res->timed_out || res->exit_code != 0 || res->out == NULL) {
		agent_result_str(res, rs, sizeof(rs));
		msg = xasprintf("%s meta-data: %s%s%s", r->ocf_type, rs,
		    res->tail[0] ? ": " : "", res->tail);
		text_finding(&j->text, r->name, "error", msg);
		free(msg);
		return;
	}
	for (i = 0; i < r->nparams; i++) {
		snprintf(pat, sizeof(pat), "<parameter name=\"%s\"",
		    r->params[i].key);
		if (strstr(res->out, pat) != NULL)
			continue;
		msg = xasprintf("param.%s: %s has no parameter %s in its "
		    "meta-data: the agent ignores it (a misspelt name?)",
		    r->params[i].key, r->ocf_type, r->params[i].key);
		text_finding(&j->text, r->name, "warning", msg);
		free(msg);
	}
}

static void
job_done(const struct agent_result *res, void *arg)
{
	struct job			*j = arg;
	const struct conf_resource	*r = j->res[j->next - 1];
	char				 rs[96], *msg;

	if (r->type == RT_OCF) {
		ocf_meta_done(j, r, res);
		job_step(j);
		return;
	}
	if (res->out != NULL)
		text_add(&j->text, res->out);
	if (res->timed_out || res->exit_code != 0) {
		agent_result_str(res, rs, sizeof(rs));
		msg = xasprintf("pgha-agent postgresql validate %s%s%s", rs,
		    res->tail[0] ? ": " : "", res->tail);
		text_finding(&j->text, r->name, "error", msg);
		free(msg);
	}
	job_step(j);
}

static void
job_free(struct job *j)
{
	struct job	**pp;

	for (pp = &jobs; *pp; pp = &(*pp)->next_job)
		if (*pp == j) {
			*pp = j->next_job;
			break;
		}
	free(j->env);
	free(j->text);
	free(j);
}

/* MSG_CHECKED for the asker: text (JSON lines) is taken over. */
static void
answer(uint32_t to, uint32_t seq, char *text)
{
	struct msg	r;

	memset(&r, 0, sizeof(r));
	r.type = MSG_CHECKED;
	r.u.checked.seq = seq;
	r.u.checked.to = to;
	snprintf(r.u.checked.hash, sizeof(r.u.checked.hash), "%s",
	    conf->hash);
	r.u.checked.text = text;
	send_msg(&r);
	msg_clear(&r);
}

/* `pgha-agent corosync validate` is done: its findings, or why none. */
static void
cluster_done(const struct agent_result *res, void *arg)
{
	struct job	*j = arg;
	char		 rs[96], *msg;

	if (res->out != NULL)
		text_add(&j->text, res->out);
	if (res->timed_out || res->exit_code != 0) {
		agent_result_str(res, rs, sizeof(rs));
		msg = xasprintf("pgha-agent corosync validate %s%s%s", rs,
		    res->tail[0] ? ": " : "", res->tail);
		text_finding(&j->text, "corosync", "error", msg);
		free(msg);
	}
	job_step(j);
}

/* A fence agent's answer to "status" for the node before fence_next. */
static void
fence_status_done(const struct agent_result *res, void *arg)
{
	struct job		*j = arg;
	const struct conf_node	*n = &conf->nodes[j->fence_next - 1];
	struct json_object	*o = json_object_new_object();
	char			 rs[96];

	agent_result_str(res, rs, sizeof(rs));
	if (!res->timed_out && res->exit_code == 0) {
		char *m = xasprintf("%s's fence agent answers status: on",
		    n->name);

		json_object_object_add(o, "kind", json_object_new_string("ok"));
		json_object_object_add(o, "check",
		    json_object_new_string("fence_agent"));
		json_object_object_add(o, "message", json_object_new_string(m));
		free(m);
	} else {
		char *m = xasprintf(!res->timed_out && res->exit_code == 2 ?
		    "%s's fence agent says %s is off, but it is a node of "
		    "the cluster: check its plug and options" :
		    "%s's fence agent does not answer status from here "
		    "(%s%s%s): if %s is lost it cannot be fenced, and its "
		    "groups wait", n->name, !res->timed_out &&
		    res->exit_code == 2 ? n->name : rs, res->tail[0] ? ": " :
		    "", res->tail, n->name);

		json_object_object_add(o, "kind",
		    json_object_new_string("finding"));
		json_object_object_add(o, "level",
		    json_object_new_string("error"));
		json_object_object_add(o, "resource",
		    json_object_new_string("fencing"));
		json_object_object_add(o, "setting",
		    json_object_new_string("fence_agent"));
		json_object_object_add(o, "path",
		    json_object_new_string(n->fence_agent));
		json_object_object_add(o, "message", json_object_new_string(m));
		json_object_object_add(o, "fix", json_object_new_string(
		    "run the agent by hand with action=status (see "
		    "pgha.conf(5), fence_options)"));
		free(m);
	}
	text_add(&j->text, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	job_step(j);
}

/* The cluster-wide part of validate: Corosync here, then every other
 * node's fence agent, one at a time.  True while one runs. */
static bool
cluster_step(struct job *j)
{
	if (!j->cluster)
		return false;
	if (j->fence_next < 0) {
		j->fence_next = 0;
		if (agent_run_cluster_check(agent_path, CHECK_AGENT_MS,
		    cluster_done, j) != NULL)
			return true;
		text_finding(&j->text, "corosync", "error", "cannot run "
		    "pgha-agent corosync validate");
	}
	while (j->fence_next < conf->nnodes) {
		const struct conf_node *n = &conf->nodes[j->fence_next++];

		if (n->index == cs->local || n->fence_agent == NULL ||
		    !conf->fencing)
			continue;
		if (agent_run_fence(n, "status", fence_status_done, j) != NULL)
			return true;
		text_finding(&j->text, "fencing", "error", "cannot run a "
		    "fence agent");
	}
	j->cluster = false;
	return false;
}

/* Run the next resource's check, or send what was found. */
static void
job_step(struct job *j)
{
	const struct conf_resource	*r;
	char				*env, why[256], *mounts, *ks;

	while (j->next < j->nres) {
		r = j->res[j->next++];
		if (r->type == RT_OCF) {
			if (agent_run_capture(r, agent_path, "meta-data",
			    CHECK_AGENT_MS, NULL, job_done, j) != NULL)
				return;
			text_finding(&j->text, r->name, "error", "cannot run "
			    "pgha-agent");
			continue;
		}
		mounts = group_mounts(r->group);
		ks = group_keystores(r->group);
		env = xasprintf("%s\n" AGENT_ENV_GROUP_MOUNTS "=%s\n"
		    AGENT_ENV_GROUP_HERE "=%d\n" AGENT_ENV_GROUP_KEYSTORES
		    "=%s", j->env, mounts,
		    disks_here(r->group, why, sizeof(why)), ks);
		free(mounts);
		free(ks);
		if (agent_run_capture(r, agent_path, "validate",
		    CHECK_AGENT_MS, env, job_done, j) != NULL) {
			free(env);
			return;
		}
		free(env);
		text_finding(&j->text, r->name, "error", "cannot run "
		    "pgha-agent");
	}
	if (cluster_step(j))
		return;
	if (strlen(j->text) > WIRE_MAX_TEXT - 1)
		j->text[WIRE_MAX_TEXT - 1] = '\0';
	answer(j->to, j->seq, j->text);
	j->text = NULL;
	job_free(j);
}


/* This node's matching events, newest kept if they do not all fit. */
static void
send_events(uint32_t from, const struct msg *m)
{
	struct json_object	*arr;
	size_t			 i, n, total = 0, first = 0;
	char			*text, *p;

	if (asked_orphan(from, m->u.check.seq)) {
		log_debug("events query %u of node %u: not answered, its "
		    "client left", m->u.check.seq, from);
		return;
	}
	/* No room to send it: do not spend the loop building it. */
	if (!sendq_query_admit(WIRE_MAX_TEXT))
		return;
	log_debug("events query %u of node %u: answering", m->u.check.seq,
	    from);
	arr = events_query(m->u.check.group[0] ? m->u.check.group : NULL,
	    m->u.check.node[0] ? m->u.check.node : NULL, m->u.check.since,
	    (int)m->u.check.limit);
	n = json_object_array_length(arr);
	for (i = n; i > 0; i--) {
		size_t l = strlen(json_object_to_json_string_ext(
		    json_object_array_get_idx(arr, i - 1),
		    JSON_C_TO_STRING_PLAIN)) + 1;

		if (total + l >= WIRE_MAX_TEXT)
			break;
		total += l;
		first = i - 1;
	}
	p = text = xmalloc(total + 1);
	*p = '\0';
	for (i = first; i < n && total; i++)
		p += sprintf(p, "%s\n", json_object_to_json_string_ext(
		    json_object_array_get_idx(arr, i),
		    JSON_C_TO_STRING_PLAIN));
	json_object_put(arr);
	answer(from, m->u.check.seq, text);
}

/*
 * pgha keystore copy: a keystore path this node's cluster file names
 * (a disk's keystore, or the default), so that the request cannot write
 * anywhere else as root.
 */
static bool
keystore_path_ok(const char *path)
{
	int	i;

	if (strcmp(path, KS_DEFAULT_PATH) == 0)
		return true;
	for (i = 0; i < conf->nresources; i++) {
		const char *v = conf->resources[i].type == RT_DISK ?
		    conf_param(&conf->resources[i], "keystore") : NULL;

		if (v != NULL && strcmp(v, path) == 0)
			return true;
	}
	return false;
}

static int
unhex(const char *s, unsigned char *out, size_t len)
{
	size_t	i;

	if (strlen(s) != 2 * len)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1 ||
		    strchr("0123456789abcdefABCDEF", s[2 * i]) == NULL ||
		    strchr("0123456789abcdefABCDEF", s[2 * i + 1]) == NULL)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/*
 * The keystore file sent by `pgha keystore copy`, for this node: written
 * in place unless this node has a keystore with another master key (then
 * only with force).  One JSON line says what happened.
 */
static void
keystore_receive(uint32_t from, const struct msg *m)
{
	const char		*me = conf->nodes[cs->local].name;
	const char		*path = m->u.check.paths;
	unsigned char		 buf[KS_FILE_LEN];
	struct ks_header	 h, old = { 0 };
	struct json_object	*o = json_object_new_object();
	char			 err[512] = "", e2[512];
	bool			 target, existed = false;

	target = m->u.check.node[0] ? strcmp(m->u.check.node, me) == 0 :
	    from != conf->nodes[cs->local].nodeid;
	if (!target)
		json_object_object_add(o, "skipped",
		    json_object_new_boolean(1));
	else if (path == NULL || path[0] != '/' || !printable(path))
		snprintf(err, sizeof(err), "the keystore path sent is not an "
		    "absolute path");
	else if (!keystore_path_ok(path))
		snprintf(err, sizeof(err), "%s is not a keystore path of %s "
		    "(a disk's keystore, or %s)", path ? path : "(none)",
		    conf->path, KS_DEFAULT_PATH);
	else if (m->u.check.blob == NULL ||
	    unhex(m->u.check.blob, buf, sizeof(buf)) == -1)
		snprintf(err, sizeof(err), "the keystore sent is not %d "
		    "bytes in hex", KS_FILE_LEN);
	else if (ks_parse("the keystore sent", buf, sizeof(buf), &h, err,
	    sizeof(err)) == 0 && h.kind != KS_KIND_PASS)
		snprintf(err, sizeof(err), "the file sent is an automatic-"
		    "opening file, not a keystore");
	else if (err[0] == '\0') {
		if (access(path, F_OK) == 0) {
			existed = true;
			if (ks_read_header(path, &old, e2, sizeof(e2)) == -1 &&
			    !m->u.check.force)
				snprintf(err, sizeof(err), "%s (--force "
				    "replaces it)", e2);
			else if (strcmp(old.fpr, h.fpr) != 0 &&
			    !m->u.check.force)
				snprintf(err, sizeof(err), "%s holds another "
				    "master key (fingerprint %.16s...): "
				    "--force replaces it", path, old.fpr);
		}
		if (err[0] == '\0' && ks_write_file(path, buf, sizeof(buf),
		    0, err, sizeof(err)) == 0) {
			json_object_object_add(o, "copied",
			    json_object_new_boolean(1));
			json_object_object_add(o, "replaced",
			    json_object_new_boolean(existed));
			json_object_object_add(o, "fingerprint",
			    json_object_new_string(h.fpr));
			json_object_object_add(o, "auto_open",
			    json_object_new_boolean(ks_auto_enabled(path)));
			log_notice("keystore %s written (fingerprint %s), sent "
			    "by node %u", path, h.fpr, from);
		}
	}
	if (json_object_object_get(o, "copied") == NULL)
		json_object_object_add(o, "copied",
		    json_object_new_boolean(0));
	if (err[0] != '\0') {
		json_object_object_add(o, "error", json_object_new_string(err));
		log_warnx("keystore copy from node %u: %s", from, err);
	}
	if (path != NULL && printable(path))
		json_object_object_add(o, "path", json_object_new_string(path));
	answer(from, m->u.check.seq, xasprintf("%s\n",
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)));
	json_object_put(o);
}

static void
job_start(uint32_t from, const struct msg *m)
{
	struct job	*j;

	if (m->u.check.what == CHECK_EVENTS) {
		send_events(from, m);
		return;
	}
	if (m->u.check.what == CHECK_KEYSTORE) {
		keystore_receive(from, m);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	char		 paths[WIRE_MAX_STR + 32];
	int		 gi, i;

	j->seq = m->u.check.seq;
	j->to = from;
	j->text = xstrdup("");
	/* One environment line: nothing else may ride along (a newline
	 * would set another variable for the agent, run as root). */
	snprintf(paths, sizeof(paths), AGENT_ENV_CHECK_PATHS "=%s",
	    printable(m->u.check.paths) ? m->u.check.paths : "");
	j->env = xstrdup(paths);
	/*
	 * In every round: the client reports only the last one (the paths
	 * round, when there is one, replaces the first), so what is checked
	 * once would be lost.
	 */
	conf_findings(&j->text);
	j->cluster = true;
	j->fence_next = -1;
	if (m->u.check.group[0] &&
	    conf_group_by_name(conf, m->u.check.group) == NULL)
		text_finding(&j->text, NULL, "error", "this node's cluster "
		    "file has no such group");
	for (gi = 0; gi < conf->ngroups; gi++) {
		const struct conf_group *g = &conf->groups[gi];

		if (m->u.check.group[0] &&
		    strcmp(g->name, m->u.check.group) != 0)
			continue;
		for (i = 0; i < g->nres && j->nres < 256; i++)
			if (g->res[i]->type == RT_POSTGRESQL)
				j->res[j->nres++] = g->res[i];
		ocf_findings(j, g);	/* every round, as above */
	}
	j->next_job = jobs;
	jobs = j;
	job_step(j);
}

/* --- the asking side ----------------------------------------------- */

static int
ev_cmp(const void *x, const void *y)
{
	struct json_object	*a = *(struct json_object *const *)x;
	struct json_object	*b = *(struct json_object *const *)y;
	struct json_object	*va, *vb;
	int64_t			 ma = 0, mb = 0;

	if (json_object_object_get_ex(a, "ms", &va))
		ma = json_object_get_int64(va);
	if (json_object_object_get_ex(b, "ms", &vb))
		mb = json_object_get_int64(vb);
	if (ma != mb)
		return ma < mb ? -1 : 1;
	return strcmp(json_object_to_json_string(a),
	    json_object_to_json_string(b));
}

/*
 * Every node logs what it saw delivered: the same event is in several
 * logs, byte for byte (the sender's clock and words).  Sorted by time,
 * duplicates dropped, the newest `limit` kept.
 */
static struct json_object *
merge_events(struct json_object *nodes, int limit)
{
	struct json_object	*all = json_object_new_array(), *out, *f;
	size_t			 i, j, n, k = 0, first = 0;
	struct json_object	**v;

	for (i = 0; i < json_object_array_length(nodes); i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(nodes,
		    i), "findings", &f))
			continue;
		for (j = 0; j < json_object_array_length(f); j++)
			json_object_array_add(all, json_object_get(
			    json_object_array_get_idx(f, j)));
	}
	n = json_object_array_length(all);
	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = json_object_array_get_idx(all, i);
	qsort(v, n, sizeof(*v), ev_cmp);
	for (i = 0; i < n; i++)
		if (k == 0 || ev_cmp(&v[k - 1], &v[i]) != 0)
			v[k++] = v[i];
	if (limit > 0 && k > (size_t)limit)
		first = k - (size_t)limit;
	out = json_object_new_array();
	for (i = first; i < k; i++)
		json_object_array_add(out, json_object_get(v[i]));
	free(v);
	json_object_put(all);
	return out;
}

static void
asked_finish(struct asked *a)
{
	struct asked		**pp;
	struct json_object	*o = json_object_new_object();
	struct json_object	*missing = json_object_new_array();
	int			 n;

	for (pp = &asked; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	loop_timer_cancel(a->timer);
	for (n = 0; n < conf->nnodes; n++)
		if (!(a->got & (1ULL << n)))
			json_object_array_add(missing, json_object_new_string(
			    conf->nodes[n].name));
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "config_hash",
	    json_object_new_string(conf->hash));
	if (a->what == CHECK_EVENTS) {
		json_object_object_add(o, "events", merge_events(a->nodes,
		    a->limit));
		json_object_put(a->nodes);
		json_object_object_add(o, "missing_nodes", missing);
	} else {
		json_object_object_add(o, "nodes", a->nodes);
		json_object_object_add(o, "not_checked", missing);
	}
	if (a->done)
		a->done(a->arg, o);
	json_object_put(o);
	free(a);
}

int
check_events_inflight(uid_t uid)
{
	struct asked	*a;
	int		 n = 0;

	for (a = asked; a; a = a->next)
		n += a->what == CHECK_EVENTS && a->uid == uid;
	return n;
}

/* One of ours whose client left (check_forget): nobody to answer. */
static bool
asked_orphan(uint32_t from, uint32_t seq)
{
	struct asked	*a;

	if (from != conf->nodes[cs->local].nodeid)
		return false;
	for (a = asked; a; a = a->next)
		if (a->seq == seq)
			return a->done == NULL;
	return true;	/* finished or forgotten */
}

static void
asked_timeout(void *arg)
{
	struct asked	*a = arg;

	a->timer = NULL;
	asked_finish(a);
}

/* The JSON lines of one node's answer, as an array of objects. */
static struct json_object *
parse_lines(const char *text)
{
	struct json_object	*arr = json_object_new_array(), *o;
	const char		*p = text;
	char			*line;
	size_t			 l;

	for (; *p; p += l + (p[l] == '\n')) {
		l = strcspn(p, "\n");
		if (l == 0)
			continue;
		line = xasprintf("%.*s", (int)l, p);
		if ((o = json_tokener_parse(line)) != NULL &&
		    json_object_is_type(o, json_type_object))
			json_object_array_add(arr, o);
		else {
			json_object_put(o);
			o = json_object_new_object();
			json_object_object_add(o, "kind",
			    json_object_new_string("output"));
			json_object_object_add(o, "message",
			    json_object_new_string(line));
			json_object_array_add(arr, o);
		}
		free(line);
	}
	return arr;
}

static void
asked_answer(uint32_t from, const struct msg *m)
{
	struct asked		*a;
	struct json_object	*o;
	int			 n = state_node_idx(cs, from);

	for (a = asked; a; a = a->next)
		if (a->seq == m->u.checked.seq)
			break;
	if (a == NULL || n < 0 || (a->got & (1ULL << n)))
		return;
	a->got |= 1ULL << n;
	o = json_object_new_object();
	json_object_object_add(o, "node",
	    json_object_new_string(conf->nodes[n].name));
	json_object_object_add(o, "config_hash",
	    json_object_new_string(m->u.checked.hash));
	json_object_object_add(o, "findings", parse_lines(m->u.checked.text));
	json_object_array_add(a->nodes, o);
	if ((a->got & a->expect) == a->expect)
		asked_finish(a);
}

void
check_deliver(uint32_t from, const struct msg *m)
{
	if (m->type == MSG_CHECK)
		job_start(from, m);
	else if (m->type == MSG_CHECKED &&
	    m->u.checked.to == conf->nodes[cs->local].nodeid)
		asked_answer(from, m);
}

/* Multicast m (seq filled in) and wait for every member's answer. */
static void
ask_all(struct msg *m, enum check_what what, int limit, check_done_cb done,
    void *arg)
{
	struct asked	*a;
	int		 n;

	a = xcalloc(1, sizeof(*a));
	a->seq = ++ask_seq;
	a->what = what;
	a->limit = limit;
	a->done = done;
	a->arg = arg;
	a->nodes = json_object_new_array();
	for (n = 0; n < conf->nnodes; n++)
		if (cs->nodes[n].in_cpg)
			a->expect |= 1ULL << n;
	a->timer = loop_timer_add(what == CHECK_VALIDATE ? CHECK_WAIT_MS :
	    EVENTS_WAIT_MS, asked_timeout, a);
	a->next = asked;
	asked = a;
	m->type = MSG_CHECK;
	m->u.check.seq = a->seq;
	m->u.check.what = (uint8_t)what;
	send_msg(m);
	msg_clear(m);
}

int
check_validate(const char *group, const char *paths, check_done_cb done,
    void *arg, char *err, size_t len)
{
	struct msg	m;

	if (group && *group && conf_group_by_name(conf, group) == NULL) {
		snprintf(err, len, "no group named \"%s\" in %s", group,
		    conf->path);
		return -1;
	}
	if (paths && strlen(paths) >= WIRE_MAX_STR) {
		snprintf(err, len, "check_paths: too long");
		return -1;
	}
	if (paths && !printable(paths)) {
		snprintf(err, len, "check_paths: control characters");
		return -1;
	}
	memset(&m, 0, sizeof(m));
	snprintf(m.u.check.group, sizeof(m.u.check.group), "%s",
	    group ? group : "");
	m.u.check.paths = xstrdup(paths ? paths : "");
	ask_all(&m, CHECK_VALIDATE, 0, done, arg);
	return 0;
}

int
check_keystore_copy(const char *node, const char *path, const char *hex,
    bool force, check_done_cb done, void *arg, char *err, size_t len)
{
	const struct conf_node	*cn = NULL;
	struct msg		 m;

	if (node && *node && (cn = conf_node_by_name(conf, node)) == NULL) {
		snprintf(err, len, "no node named \"%s\" in %s", node,
		    conf->path);
		return -1;
	}
	if (cn != NULL && !cs->nodes[cn - conf->nodes].in_cpg) {
		snprintf(err, len, "%s is not a member now: its pghad must run "
		    "to receive the keystore", node);
		return -1;
	}
	if (path == NULL || path[0] != '/' || strlen(path) >= WIRE_MAX_STR ||
	    !printable(path) || hex == NULL ||
	    strlen(hex) != 2 * KS_FILE_LEN) {
		snprintf(err, len, "bad keystore copy request");
		return -1;
	}
	memset(&m, 0, sizeof(m));
	snprintf(m.u.check.node, sizeof(m.u.check.node), "%s",
	    node ? node : "");
	m.u.check.paths = xstrdup(path);
	m.u.check.blob = xstrdup(hex);
	m.u.check.force = force;
	ask_all(&m, CHECK_KEYSTORE, 0, done, arg);
	return 0;
}

int
check_events(const char *group, const char *node, uint64_t since, int limit,
    uid_t uid, check_done_cb done, void *arg)
{
	struct msg	m;

	if (!cs->nodes[cs->local].in_cpg)
		return -1;	/* not in the cluster: this node's log only */
	memset(&m, 0, sizeof(m));
	snprintf(m.u.check.group, sizeof(m.u.check.group), "%s",
	    group ? group : "");
	snprintf(m.u.check.node, sizeof(m.u.check.node), "%s",
	    node ? node : "");
	m.u.check.since = since;
	m.u.check.limit = limit > 0 ? (uint32_t)limit : 0;
	m.u.check.paths = xstrdup("");
	ask_all(&m, CHECK_EVENTS, limit, done, arg);
	asked->uid = uid;	/* ask_all() put it first */
	return 0;
}

/* --- db init ---------------------------------------------------------- */

struct dbinit {
	check_done_cb	 done;
	void		*arg;
	struct dbinit	*next;
};

static struct dbinit	*dbinits;

static void
dbinit_done(const struct agent_result *res, void *arg)
{
	struct dbinit		*d = arg;
	struct json_object	*o = json_object_new_object();
	char			 rs[96];
	bool			 ok = !res->timed_out && res->exit_code == 0;

	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	if (!ok) {
		agent_result_str(res, rs, sizeof(rs));
		json_object_object_add(o, "error",
		    json_object_new_string("failed"));
		json_object_object_add(o, "message", json_object_new_string(
		    res->tail[0] ? res->tail : rs));
	}
	json_object_object_add(o, "output",
	    json_object_new_string(res->out ? res->out : ""));
	if (d->done)
		d->done(d->arg, o);
	json_object_put(o);
	for (struct dbinit **pp = &dbinits; *pp; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	free(d);
}

int
check_db_init(const char *group, check_done_cb done, void *arg,
    const char **code, char *err, size_t len)
{
	const struct conf_group		*g = conf_group_by_name(conf, group);
	const struct conf_resource	*pg = NULL;
	struct dbinit			*d;
	char				 why[256], *mounts, *env;
	int				 i;

	*code = "failed";
	if (g == NULL) {
		*code = "unknown-group";
		snprintf(err, len, "no group named \"%s\" in %s", group,
		    conf->path);
		return -1;
	}
	for (i = 0; i < g->nres; i++)
		if (g->res[i]->type == RT_POSTGRESQL && pg == NULL)
			pg = g->res[i];
	if (pg == NULL) {
		snprintf(err, len, "group %s has no postgresql resource",
		    g->name);
		return -1;
	}
	if (!disks_here(g, why, sizeof(why))) {
		snprintf(err, len, "the disks of %s are not online on this "
		    "node: %s; run pgha db init where they are, or bring them "
		    "online here (pgha resource online DISK)", g->name, why);
		return -1;
	}
	d = xcalloc(1, sizeof(*d));
	d->done = done;
	d->arg = arg;
	mounts = group_mounts(g);
	env = xasprintf(AGENT_ENV_GROUP_MOUNTS "=%s\n" AGENT_ENV_GROUP_HERE
	    "=1", mounts);
	free(mounts);
	if (agent_run_capture(pg, agent_path, "init", pg->start_timeout_ms,
	    env, dbinit_done, d) == NULL) {
		free(env);
		free(d);
		snprintf(err, len, "cannot run %s", agent_path);
		return -1;
	}
	free(env);
	d->next = dbinits;
	dbinits = d;
	log_notice("db init %s: running initdb for %s", g->name, pg->name);
	return 0;
}

void
check_forget(void *arg)
{
	struct asked	*a, **pp;
	struct dbinit	*d;

	/* Its client left: nothing to merge nor wait for (late answers
	 * find no seq and are dropped).  An events query stays, told
	 * nothing, until the members' answers it cost are in: it still
	 * counts for its uid (check_events_inflight). */
	for (pp = &asked; (a = *pp) != NULL; ) {
		if (a->arg != arg) {
			pp = &a->next;
			continue;
		}
		if (a->what == CHECK_EVENTS) {
			a->done = NULL;
			a->arg = NULL;
			pp = &a->next;
			continue;
		}
		*pp = a->next;
		loop_timer_cancel(a->timer);
		json_object_put(a->nodes);
		free(a);
	}
	/* An init runs on to its end; its answer goes nowhere. */
	for (d = dbinits; d; d = d->next)
		if (d->arg == arg)
			d->done = NULL;
}

void
check_members_changed(void)
{
	struct asked	*a, *next;
	int		 n;

	for (a = asked; a; a = next) {
		next = a->next;
		for (n = 0; n < conf->nnodes; n++)
			if (!cs->nodes[n].in_cpg)
				a->expect &= ~(1ULL << n);
		if ((a->got & a->expect) == a->expect)
			asked_finish(a);
	}
}
