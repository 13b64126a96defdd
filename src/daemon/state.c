/*
 * state.c - runtime state container and the read-only questions asked of
 * it (see state.h).  Changing it is replica.c's job, from delivered
 * messages only.
 */
#define PGHA_LOG_TAG	"replica"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "state.h"
#include "util.h"

static const char *rstate_names[RS__MAX] = {
	[RS_OFFLINE] = "offline",
	[RS_STARTING] = "starting",
	[RS_ONLINE] = "online",
	[RS_STOPPING] = "stopping",
	[RS_FAILED] = "failed",
	[RS_STOP_FAILED] = "stop-failed",
	[RS_UNKNOWN] = "unknown",
};

const char *
rstate_name(int s)
{
	if (s < 0 || s >= RS__MAX)
		return "invalid";
	return rstate_names[s];
}

void
state_res_to_msg(const struct res_rt *r, const char *name, struct msg_res *x)
{
	snprintf(x->name, sizeof(x->name), "%s", name);
	x->state = r->state;
	x->flags = r->flags;
	x->fail_seq = r->fail_seq;
	x->changed_ms = r->changed_ms;
	snprintf(x->cause, sizeof(x->cause), "%s", r->cause);
	snprintf(x->last_error, sizeof(x->last_error), "%s", r->last_error);
}

void
state_res_from_msg(struct res_rt *r, const struct msg_res *x)
{
	r->state = x->state;
	r->flags = x->flags;
	r->fail_seq = x->fail_seq;
	r->changed_ms = x->changed_ms;
	snprintf(r->cause, sizeof(r->cause), "%s", x->cause);
	snprintf(r->last_error, sizeof(r->last_error), "%s", x->last_error);
}

struct cstate *
state_new(const struct conf *conf)
{
	struct cstate	*cs = xcalloc(1, sizeof(*cs));
	int		 i;

	cs->conf = conf;
	cs->local = -1;
	cs->nodes = xcalloc((size_t)conf->nnodes, sizeof(*cs->nodes));
	for (i = 0; i < conf->nnodes; i++) {
		cs->nodes[i].res = xcalloc((size_t)conf->nresources,
		    sizeof(struct res_rt));
		cs->nodes[i].unknown = true;
	}
	cs->groups = xcalloc((size_t)conf->ngroups, sizeof(*cs->groups));
	cs->fc = xcalloc((size_t)conf->nresources * (size_t)conf->nnodes,
	    sizeof(*cs->fc));
	state_reset_cluster(cs);
	return cs;
}

void
state_free(struct cstate *cs)
{
	int	i;

	if (cs == NULL)
		return;
	for (i = 0; i < cs->conf->nnodes; i++)
		free(cs->nodes[i].res);
	free(cs->nodes);
	free(cs->groups);
	free(cs->fc);
	free(cs);
}

void
state_reset_cluster(struct cstate *cs)
{
	int	i;

	for (i = 0; i < cs->conf->ngroups; i++) {
		memset(&cs->groups[i], 0, sizeof(cs->groups[i]));
		cs->groups[i].intent_online = cs->conf->groups[i].autostart;
		cs->groups[i].want = cs->groups[i].intent_online ?
		    state_want_all(&cs->conf->groups[i]) : 0;
	}
	memset(cs->fc, 0, (size_t)cs->conf->nresources *
	    (size_t)cs->conf->nnodes * sizeof(*cs->fc));
	cs->version = 0;
}

int
state_node_idx(const struct cstate *cs, uint32_t nodeid)
{
	int	i;

	for (i = 0; i < cs->conf->nnodes; i++)
		if (cs->conf->nodes[i].nodeid == nodeid)
			return i;
	return -1;
}

bool
state_node_may_keep(const struct cstate *cs, int n)
{
	const struct node_rt	*nd = &cs->nodes[n];

	return nd->in_cpg && nd->synced && nd->recorded && !nd->refused &&
	    !nd->daemon_down && !(nd->flags & NF_LEAVING);
}

/*
 * A node of the cluster file that nobody here has seen since this cluster
 * started: not in corosync's membership since we started, and no member
 * knows what it runs (a new cluster: every pghad started again, and this
 * node is cut off, powered off or slow to boot).  It may run any group;
 * with fencing on it is fenced before a group that runs nowhere starts,
 * as Pacemaker's startup fencing does.  With fencing = no it is taken as
 * down, as every lost node is.
 */
bool
state_node_unseen(const struct cstate *cs, int n)
{
	const struct node_rt	*nd = &cs->nodes[n];

	return n != cs->local && cs->conf->fencing && !nd->in_cpg &&
	    nd->unknown && !nd->unclean && !nd->daemon_down &&
	    !nd->cs_member && nd->member_since == 0 &&
	    state_node_may_run_some(cs, n);
}

bool
state_node_may_run_some(const struct cstate *cs, int n)
{
	return (cs->conf->run_mask & (1ULL << n)) != 0;
}

bool
state_node_eligible(const struct cstate *cs, int n)
{
	return state_node_may_keep(cs, n) &&
	    !(cs->nodes[n].flags & NF_PAUSED);
}

uint64_t
state_want_all(const struct conf_group *g)
{
	return g->nres >= 64 ? ~0ULL : (1ULL << g->nres) - 1;
}

bool
state_wanted(const struct cstate *cs, const struct conf_group *g, int i)
{
	return (cs->groups[g->index].want >> i) & 1;
}

bool
state_group_active_on(const struct cstate *cs, const struct conf_group *g,
    int n)
{
	int	i;

	for (i = 0; i < g->nres; i++)
		if (cs->nodes[n].res[g->res[i]->index].state != RS_OFFLINE)
			return true;
	return false;
}

int
state_group_owner(const struct cstate *cs, const struct conf_group *g)
{
	const struct group_rt	*gr = &cs->groups[g->index];
	int			 n, first = -1;

	for (n = 0; n < cs->conf->nnodes; n++) {
		if (!state_group_active_on(cs, g, n))
			continue;
		if (cs->conf->nodes[n].nodeid == gr->target)
			return n;
		if (first < 0)
			first = n;
	}
	return first;
}

/* Some resource of g runs on node n, not by hand. */
static bool
managed_on(const struct cstate *cs, const struct conf_group *g, int n)
{
	int	i;

	for (i = 0; i < g->nres; i++) {
		const struct res_rt *x = &cs->nodes[n].res[g->res[i]->index];

		if (x->state != RS_OFFLINE && !(x->flags & RF_BY_HAND))
			return true;
	}
	return false;
}

static int
count_on(const struct cstate *cs, const struct conf_group *g, int n, int st)
{
	int	i, c = 0;

	for (i = 0; i < g->nres; i++)
		if (cs->nodes[n].res[g->res[i]->index].state == st)
			c++;
	return c;
}

/* Every wanted resource online on n, and nothing else but by hand. */
static bool
wanted_online(const struct cstate *cs, const struct conf_group *g, int n)
{
	int	i;

	for (i = 0; i < g->nres; i++) {
		const struct res_rt *x = &cs->nodes[n].res[g->res[i]->index];

		if (state_wanted(cs, g, i) ? x->state != RS_ONLINE :
		    (x->state != RS_OFFLINE && !(x->flags & RF_BY_HAND)))
			return false;
	}
	return true;
}

const char *
state_group_summary(const struct cstate *cs, const struct conf_group *g)
{
	const struct group_rt	*gr = &cs->groups[g->index];
	int			 n, owner = state_group_owner(cs, g);
	int			 tgt = gr->target ?
				    state_node_idx(cs, gr->target) : -1;

	for (n = 0; n < cs->conf->nnodes; n++)
		if (count_on(cs, g, n, RS_STOP_FAILED))
			return "failed";
	if (gr->unmanaged)
		return "unmanaged";
	/* Its owner's facts are stale: pghad down, or lost and not fenced. */
	if (owner >= 0 && (cs->nodes[owner].daemon_down ||
	    cs->nodes[owner].unclean))
		return "unknown";
	if (owner < 0) {
		if (!gr->intent_online)
			return "offline";
		/* A member whose pghad never said what it runs, or a node
		 * never seen, may run it: held (decide.c, startup
		 * fencing). */
		for (n = 0; n < cs->conf->nnodes; n++)
			if (tgt < 0 && n != cs->local &&
			    (g->possible_mask & (1ULL << n)) &&
			    ((cs->nodes[n].cs_member && !cs->nodes[n].in_cpg &&
			    cs->nodes[n].unknown) || state_node_unseen(cs, n)))
				return "unknown";
		/* Placed nowhere by the decider: no node can run it. */
		if (tgt < 0 && gr->placed)
			return "failed";
		return "starting";
	}
	if (owner != tgt)
		return tgt < 0 ? "stopping" : "moving";
	/* (What runs by hand elsewhere is shown on its resources.) */
	for (n = 0; n < cs->conf->nnodes; n++)
		if (n != owner && managed_on(cs, g, n))
			return "moving";
	if (count_on(cs, g, owner, RS_ONLINE) == g->nres)
		return "online";
	if (wanted_online(cs, g, owner))
		return "partial";
	if (count_on(cs, g, owner, RS_FAILED))
		return "failed";
	if (count_on(cs, g, owner, RS_STOPPING))
		return "stopping";
	return "starting";
}
