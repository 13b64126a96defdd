/*
 * decide.c - placement, failure accounting and the local start/stop order
 * (see decide.h).  Pure: state in, decision out.
 */
#define PGHA_LOG_TAG "decide"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "util.h"

static int
groups_on(const struct cstate *cs, int n, int except)
{
	uint32_t	id = cs->conf->nodes[n].nodeid;
	int		i, c = 0;

	for (i = 0; i < cs->conf->ngroups; i++)
		if (i != except && cs->groups[i].target == id)
			c++;
	return c;
}

static void
whycat(char *why, size_t len, const char *node, const char *what)
{
	size_t	l;

	if (why == NULL || len == 0)
		return;
	l = strlen(why);
	if (l < len)
		snprintf(why + l, len - l, "%s%s: %s", l ? "; " : "", node,
		    what);
}

static bool
node_usable(const struct cstate *cs, const struct conf_group *g,
    const struct group_rt *gr, int n, char *why, size_t whylen)
{
	const struct node_rt	*nd = &cs->nodes[n];
	const char		*name = cs->conf->nodes[n].name;

	if (!(g->possible_mask & (1ULL << n))) {
		whycat(why, whylen, name, "not one of its possible_owners");
		return false;
	}

	if (!nd->in_cpg) {
		whycat(why, whylen, name, nd->daemon_down ? "pghad down" :
		    "not a member");
		return false;
	}
	if (nd->refused) {
		whycat(why, whylen, name, "cluster file differs");
		return false;
	}
	if (!state_node_eligible(cs, n)) {
		whycat(why, whylen, name, (nd->flags & NF_SHUTTING_DOWN) ?
		    "shutting down" : (nd->flags & NF_STOPPED) ?
		    "cluster service stopped" : (nd->flags & NF_DRAIN) ?
		    "paused and drained" : (nd->flags & NF_PAUSED) ?
		    "paused" : "not ready");
		return false;
	}
	if (gr->banned & (1ULL << n)) {
		whycat(why, whylen, name, "banned after failures");
		return false;
	}
	return true;
}

static int
best_node(const struct cstate *cs, const struct conf_group *g,
    const struct group_rt *gr, int exclude, char *why, size_t whylen)
{
	int			 i, n, best = -1, bestc = 0;
	bool			 tried[CONF_MAX_NODES] = { false };

	if (whylen)
		why[0] = '\0';
	for (i = 0; i < g->npreferred; i++) {
		n = g->preferred[i]->index;
		tried[n] = true;
		if (n == exclude)
			continue;
		if (node_usable(cs, g, gr, n, why, whylen))
			return n;
	}
	for (n = 0; n < cs->conf->nnodes; n++) {
		int c;

		if (tried[n] || n == exclude)
			continue;
		if (!node_usable(cs, g, gr, n, why, whylen))
			continue;
		c = groups_on(cs, n, g->index);
		if (best < 0 || c < bestc) {
			best = n;
			bestc = c;
		}
	}
	return best;
}

bool
decide_node_usable(const struct cstate *cs, const struct conf_group *g,
    int n, char *why, size_t whylen)
{
	return node_usable(cs, g, &cs->groups[g->index], n, why, whylen);
}

int
decide_best_node(const struct cstate *cs, const struct conf_group *g,
    int exclude, char *why, size_t whylen)
{
	return best_node(cs, g, &cs->groups[g->index], exclude, why, whylen);
}

/* Count new failures reported by nodes; fills d->fc. */
static void
count_failures(const struct cstate *cs, const struct conf_group *g,
    struct decision *d)
{
	int	i, n;

	for (i = 0; i < g->nres; i++) {
		int r = g->res[i]->index;

		for (n = 0; n < cs->conf->nnodes; n++) {
			const struct node_rt	*nd = &cs->nodes[n];
			struct fc_rt		 fc = *state_fc(cs, r, n);

			if (!nd->in_cpg || !nd->recorded)
				continue;
			if (nd->res[r].fail_seq > fc.seen_seq) {
				uint32_t p = g->res[i]->restart_period_ms;

				/* Failures are forgotten restart_period
				 * after the last one. */
				if (p && fc.last_ms && cs->now_wall >
				    fc.last_ms + p)
					fc.count = 0;
				fc.count += nd->res[r].fail_seq - fc.seen_seq;
				fc.last_ms = cs->now_wall;
			}
			fc.seen_seq = nd->res[r].fail_seq;
			if (memcmp(&fc, state_fc(cs, r, n), sizeof(fc)) == 0 ||
			    d->nfc >= DECIDE_MAX_FC)
				continue;
			d->fc[d->nfc].res = r;
			d->fc[d->nfc].node = n;
			d->fc[d->nfc].fc = fc;
			d->nfc++;
		}
	}
}

static const struct fc_rt *
new_fc(const struct cstate *cs, const struct decision *d, int r, int n)
{
	int	i;

	for (i = 0; i < d->nfc; i++)
		if (d->fc[i].res == r && d->fc[i].node == n)
			return &d->fc[i].fc;
	return state_fc(cs, r, n);
}

/* A ban older than the group's ban_timeout is lifted, its count reset. */
static void
expire_bans(const struct cstate *cs, const struct conf_group *g,
    struct decision *d)
{
	int	n, i, k;

	if (g->ban_timeout_ms == 0)
		return;
	for (n = 0; n < cs->conf->nnodes; n++) {
		if (!(d->g.banned & (1ULL << n)) ||
		    cs->now_wall < d->g.ban_ms[n] + g->ban_timeout_ms)
			continue;
		d->g.banned &= ~(1ULL << n);
		d->g.ban_ms[n] = 0;
		for (i = 0; i < g->nres; i++) {
			struct fc_rt fc = *state_fc(cs, g->res[i]->index, n);

			if (fc.count == 0)
				continue;
			for (k = 0; k < d->nfc; k++)
				if (d->fc[k].res == g->res[i]->index &&
				    d->fc[k].node == n)
					break;
			if (k == d->nfc) {
				if (d->nfc >= DECIDE_MAX_FC)
					continue;
				d->fc[d->nfc].res = g->res[i]->index;
				d->fc[d->nfc].node = n;
				d->fc[d->nfc].fc = fc;
				d->nfc++;
			}
			d->fc[k].fc.count = 0;
		}
	}
}

/* Ban the target if a resource failed there more than it may restart. */
static void
ban_failed_target(const struct cstate *cs, const struct conf_group *g,
    struct decision *d, int t)
{
	int	i;

	for (i = 0; i < g->nres; i++) {
		const struct conf_resource	*r = g->res[i];
		const struct fc_rt		*fc = new_fc(cs, d, r->index, t);

		if (fc->count <= (uint32_t)r->restarts)
			continue;
		d->g.banned |= 1ULL << t;
		d->g.ban_ms[t] = cs->now_wall;
		snprintf(d->g.reason, sizeof(d->g.reason),
		    "%s failed on %s (%u failure%s, restarts = %d): %s",
		    r->name, cs->conf->nodes[t].name, fc->count,
		    fc->count == 1 ? "" : "s", r->restarts,
		    cs->nodes[t].res[r->index].last_error);
		return;
	}
}

/* A member has yet to probe a resource of g (it was managed again). */
static bool
probing(const struct cstate *cs, const struct conf_group *g)
{
	int	i, n;

	for (n = 0; n < cs->conf->nnodes; n++)
		for (i = 0; i < g->nres && cs->nodes[n].in_cpg; i++)
			if (cs->nodes[n].res[g->res[i]->index].state ==
			    RS_UNKNOWN)
				return true;
	return false;
}

/*
 * A Corosync member of this partition whose pghad has not said what it
 * runs (node_rt.unknown): it may run any group.  Startup fencing: fenced
 * if it can be, and until then, or until its pghad joins or it leaves the
 * membership (and MSG_NODEDOWN makes it a lost node), no group that is
 * not known to run on a live node is placed.
 */
static bool
unknown_member(const struct cstate *cs, int n)
{
	const struct node_rt	*nd = &cs->nodes[n];

	return n != cs->local && !nd->in_cpg && nd->unknown && !nd->unclean &&
	    (nd->cs_member || nd->member_since != 0);
}

/* Can the decider fence node n? */
static bool
may_fence(const struct cstate *cs, int n)
{
	return cs->conf->fencing && cs->conf->nodes[n].fence_agent != NULL;
}

/* Does the group run on a node whose pghad is in the cluster? */
static bool
runs_live(const struct cstate *cs, const struct conf_group *g)
{
	int	n;

	for (n = 0; n < cs->conf->nnodes; n++)
		if (cs->nodes[n].in_cpg && !cs->nodes[n].daemon_down &&
		    state_group_active_on(cs, g, n))
			return true;
	return false;
}

/*
 * Is some group meant to run while it runs on no live node?  Only then is
 * an unknown member in the way: a member whose pghad is merely slow to
 * start (a restart of every pghad, node by node) is not fenced while every
 * group that should run already runs where pghad sees it.
 */
static bool
unknown_in_the_way(const struct cstate *cs)
{
	int	gi;

	for (gi = 0; gi < cs->conf->ngroups; gi++)
		if (cs->groups[gi].intent_online &&
		    !runs_live(cs, &cs->conf->groups[gi]))
			return true;
	return false;
}

static bool
unknown_blocks(const struct cstate *cs, const struct conf_group *g,
    char *why, size_t len)
{
	int	n;

	if (runs_live(cs, g))
		return false;
	for (n = 0; n < cs->conf->nnodes; n++) {
		const char *name = cs->conf->nodes[n].name;

		if (!(g->possible_mask & (1ULL << n)))
			continue;	/* it cannot run g */
		/* (Fencing is on: every node that may run g has a fence
		 * agent.) */
		if (state_node_unseen(cs, n)) {
			snprintf(why, len, "held: %s has not been seen since "
			    "the cluster started and may run groups; waiting "
			    "until it is fenced, or joins (or is confirmed "
			    "down: pgha node confirm-down %s)", name, name);
			return true;
		}
		if (!unknown_member(cs, n))
			continue;
		if (may_fence(cs, n))
			snprintf(why, len, "held: %s is a member whose pghad "
			    "never joined: it may run groups; waiting until "
			    "it is fenced (or its pghad joins)", name);
		else
			snprintf(why, len, "held: %s is a Corosync member "
			    "without pghad, which may run groups; start "
			    "pghad on %s, or power it off (or stop its "
			    "corosync)", name, name);
		return true;
	}
	return false;
}

/* Something that forbids moving the group: say why, or return false. */
static bool
group_blocked(const struct cstate *cs, const struct conf_group *g,
    char *why, size_t len)
{
	int	i, n;

	for (n = 0; n < cs->conf->nnodes; n++) {
		const struct node_rt *nd = &cs->nodes[n];
		bool may_run;

		for (i = 0; i < g->nres; i++) {
			int r = g->res[i]->index;

			if (nd->res[r].state == RS_STOP_FAILED) {
				snprintf(why, len, "%s could not be stopped "
				    "on %s: it stays there until an operator "
				    "clears it", g->res[i]->name,
				    cs->conf->nodes[n].name);
				return true;
			}
		}
		/* (Nothing known of what it runs: it may run this, if it
		 * is a possible owner.) */
		may_run = (nd->unknown && (g->possible_mask & (1ULL << n))) ||
		    state_group_active_on(cs, g, n);

		if (nd->daemon_down && may_run) {
			snprintf(why, len, "pghad on %s is down while the "
			    "group may still run there: left in place",
			    cs->conf->nodes[n].name);
			return true;
		}
		if (nd->unclean && may_run) {
			snprintf(why, len, "%s was lost while it may still "
			    "run the group: waiting until it is fenced (or "
			    "confirmed down: pgha node confirm-down %s)",
			    cs->conf->nodes[n].name, cs->conf->nodes[n].name);
			return true;
		}
	}
	return unknown_blocks(cs, g, why, len);
}

/* Is this reason one of group_blocked()'s?  Once the block is gone, it
 * no longer says why the group is where it is. */
static bool
blocked_reason(const char *reason)
{
	return strstr(reason, " is down while the group may still run "
	    "there: left in place") != NULL ||
	    strstr(reason, " was lost while it may still run the group: "
	    "waiting until it is fenced") != NULL ||
	    strncmp(reason, "held: ", 6) == 0 ||
	    strstr(reason, " could not be stopped on ") != NULL;
}

/* Where the group runs now, if that node may keep it. */
static int
adoptable_owner(const struct cstate *cs, const struct conf_group *g,
    const struct group_rt *gr)
{
	int	n, i;

	for (n = 0; n < cs->conf->nnodes; n++) {
		if (!state_group_active_on(cs, g, n) ||
		    !state_node_may_keep(cs, n) || (gr->banned & (1ULL << n)))
			continue;
		for (i = 0; i < g->nres; i++)
			if (cs->nodes[n].res[g->res[i]->index].state ==
			    RS_FAILED)
				break;
		if (i == g->nres)
			return n;
	}
	return -1;
}

/* Position of node n in g's preferred owners, or npreferred. */
static int
pref_pos(const struct conf_group *g, int n)
{
	int	i;

	for (i = 0; i < g->npreferred; i++)
		if (g->preferred[i]->index == n)
			return i;
	return g->npreferred;
}

/* Minutes after local midnight, for failback windows (the time zone is
 * the decider's input, never read here). */
static int
local_minutes(const struct cstate *cs, uint64_t wall)
{
	int64_t	s = (int64_t)(wall / 1000) + cs->tz_offset_s;

	return (int)(((s / 60) % 1440 + 1440) % 1440);
}

static bool
in_window(const struct cstate *cs, const struct conf_group *g, uint64_t wall)
{
	int	m = local_minutes(cs, wall);

	if (g->failback == FB_IMMEDIATE)
		return true;
	if (g->failback_from_min < g->failback_to_min)
		return m >= g->failback_from_min && m < g->failback_to_min;
	return m >= g->failback_from_min || m < g->failback_to_min;
}

/* A better preferred owner the group should go back to now, or -1. */
static int
failback_node(const struct cstate *cs, const struct conf_group *g,
    const struct group_rt *gr, int t)
{
	int	i, n;

	if (g->failback == FB_NO || !gr->may_failback)
		return -1;
	for (i = 0; i < pref_pos(g, t) && i < g->npreferred; i++) {
		n = g->preferred[i]->index;
		if (node_usable(cs, g, gr, n, NULL, 0))
			return in_window(cs, g, cs->now_wall) ? n : -1;
	}
	return -1;
}

/* Was leaving node t planned (stop, drain, shutdown), not a failure? */
static bool
planned_leave(const struct cstate *cs, const struct group_rt *gr, int t)
{
	const struct node_rt	*nd = &cs->nodes[t];

	return nd->in_cpg && !nd->daemon_down && !nd->unclean &&
	    (nd->flags & NF_LEAVING) && !(gr->banned & (1ULL << t));
}

/* Forget failovers older than the period; true if one more is allowed. */
static bool
failover_allowed(const struct cstate *cs, const struct conf_group *g,
    struct group_rt *gr)
{
	uint32_t	i, k = 0;
	int		max = conf_failover_threshold(cs->conf, g);

	for (i = 0; i < gr->nfo; i++)
		if (gr->fo_ms[i] + g->failover_period_ms > cs->now_wall)
			gr->fo_ms[k++] = gr->fo_ms[i];
	gr->nfo = k;
	return (int)gr->nfo < max;
}

static void
failover_note(const struct cstate *cs, struct group_rt *gr)
{
	if (gr->nfo == WIRE_MAX_FO) {
		memmove(gr->fo_ms, gr->fo_ms + 1,
		    (WIRE_MAX_FO - 1) * sizeof(gr->fo_ms[0]));
		gr->nfo--;
	}
	gr->fo_ms[gr->nfo++] = cs->now_wall;
}

/* Keep the group on t, or fail it back to a better preferred owner. */
static void
keep_or_failback(const struct cstate *cs, const struct conf_group *g,
    struct decision *d, int t)
{
	int	n = failback_node(cs, g, &d->g, t);

	if (t == (g->npreferred ? g->preferred[0]->index : -1))
		d->g.may_failback = false;
	if (n < 0) {
		if (blocked_reason(d->g.reason))
			snprintf(d->g.reason, sizeof(d->g.reason), "kept on "
			    "%s: it may run the group again",
			    cs->conf->nodes[t].name);
		return;
	}
	snprintf(d->g.reason, sizeof(d->g.reason), "failback from %s to %s "
	    "(failback = %s)", cs->conf->nodes[t].name,
	    cs->conf->nodes[n].name, g->failback_text);
	d->g.target = cs->conf->nodes[n].nodeid;
	d->g.may_failback = false;
}

static void
no_node(const struct cstate *cs, struct decision *d, int t, const char *why)
{
	/* d->g.reason holds the latest failure, if there was one. */
	if (d->g.target != 0 || d->g.reason[0] == '\0' ||
	    strncmp(d->g.reason, "no node can run it", 18) != 0) {
		char last[CAUSE_LEN / 2];

		snprintf(last, sizeof(last), "%s", d->g.reason);
		snprintf(d->g.reason, sizeof(d->g.reason),
		    "no node can run it (%s)%s%s", why,
		    t >= 0 ? "; last: " : "", t >= 0 ? last : "");
	}
	d->g.target = 0;
}

/* The failover threshold is reached: failed until an operator acts. */
static void
hold(const struct cstate *cs, const struct conf_group *g, struct decision *d,
    const char *last)
{
	char	prev[CAUSE_LEN / 2];

	snprintf(prev, sizeof(prev), "%s", last);
	snprintf(d->g.reason, sizeof(d->g.reason), "failover threshold "
	    "reached (%u failovers in %u min, failover_threshold = %d): the "
	    "group stays failed until an operator brings it online; last: %s",
	    d->g.nfo, g->failover_period_ms / 60000,
	    conf_failover_threshold(cs->conf, g), prev);
	d->g.target = 0;
	d->g.held = true;
}

/* Leave t for n: a failover (counted, maybe refused) or a planned move. */
static bool
move_away(const struct cstate *cs, const struct conf_group *g,
    struct decision *d, int t, int n, const char *why)
{
	char	prev[CAUSE_LEN / 2];
	bool	planned = planned_leave(cs, &d->g, t);

	if (planned) {
		uint32_t f = cs->nodes[t].flags;

		snprintf(prev, sizeof(prev), "%s %s", cs->conf->nodes[t].name,
		    (f & NF_STOPPED) ? "stopped its cluster service" :
		    (f & NF_DRAIN) ? "is paused and drained" :
		    "is shutting down");
	} else if (d->g.banned & (1ULL << t))
		snprintf(prev, sizeof(prev), "%s", d->g.reason);
	else {
		prev[0] = '\0';
		if (node_usable(cs, g, &d->g, t, prev, sizeof(prev)))
			snprintf(prev, sizeof(prev), "%s", why);
	}
	if (!planned && !failover_allowed(cs, g, &d->g)) {
		hold(cs, g, d, prev);
		return false;
	}
	if (!planned)
		failover_note(cs, &d->g);
	d->g.may_failback = true;
	snprintf(d->g.reason, sizeof(d->g.reason), "%s from %s to %s: %s",
	    planned ? "moved" : "failover", cs->conf->nodes[t].name,
	    cs->conf->nodes[n].name, prev);
	return true;
}

static void
place(const struct cstate *cs, const struct conf_group *g, struct decision *d)
{
	char	why[CAUSE_LEN / 2];
	int	t = d->g.target ? state_node_idx(cs, d->g.target) : -1;
	int	n;

	if (!d->g.intent_online) {
		/* The operator's request said why (who, --force, which
		 * resource): that stays the reason. */
		d->g.target = 0;
		return;
	}
	if (d->g.held) {
		d->g.target = 0;	/* until an operator brings it online */
		return;
	}
	/* Placed afresh (online, manage): where it runs, if it may. */
	n = cs->groups[g->index].placed ? -1 : adoptable_owner(cs, g, &d->g);
	if (n < 0 && t >= 0 && state_node_may_keep(cs, t) &&
	    !(d->g.banned & (1ULL << t))) {
		keep_or_failback(cs, g, d, t);
		return;
	}
	if (n >= 0 || (n = adoptable_owner(cs, g, &d->g)) >= 0) {
		snprintf(d->g.reason, sizeof(d->g.reason),
		    "already active on %s", cs->conf->nodes[n].name);
	} else if ((n = best_node(cs, g, &d->g, -1, why, sizeof(why))) < 0) {
		no_node(cs, d, t, why);
		/*
		 * Failed with nowhere to go: a failover all the same, so that
		 * bans running out do not restart it past the threshold.
		 */
		if (t >= 0 && !planned_leave(cs, &d->g, t)) {
			if (failover_allowed(cs, g, &d->g))
				failover_note(cs, &d->g);
			else
				hold(cs, g, d, d->g.reason);
		}
		return;
	} else if (t >= 0) {
		if (!move_away(cs, g, d, t, n, why))
			return;
	} else
		snprintf(d->g.reason, sizeof(d->g.reason), "placed on %s",
		    cs->conf->nodes[n].name);
	d->g.target = cs->conf->nodes[n].nodeid;
}

int
decide_group(const struct cstate *cs, int gi, struct decision *d)
{
	const struct conf_group	*g = &cs->conf->groups[gi];
	const struct group_rt	*cur = &cs->groups[gi];
	char			 why[CAUSE_LEN];
	int			 t;

	memset(d, 0, sizeof(*d));
	d->group = gi;
	d->g = *cur;
	if (cur->unmanaged || probing(cs, g))
		return 0;	/* by hand for now, or not yet known */
	d->g.placed = true;
	(void)failover_allowed(cs, g, &d->g);	/* forgets old failovers */
	count_failures(cs, g, d);
	expire_bans(cs, g, d);
	if (group_blocked(cs, g, why, sizeof(why))) {
		snprintf(d->g.reason, sizeof(d->g.reason), "%s", why);
	} else {
		t = cur->target ? state_node_idx(cs, cur->target) : -1;
		if (t >= 0)
			ban_failed_target(cs, g, d, t);
		place(cs, g, d);
	}
	return d->nfc > 0 || memcmp(&d->g, cur, sizeof(*cur)) != 0;
}

/* Does resource a require b, directly or not? */
static bool
requires_rec(const struct conf_resource *a, const struct conf_resource *b,
    int depth)
{
	int	i;

	if (depth > 64)
		return false;
	for (i = 0; i < a->nrequires; i++)
		if (a->requires[i] == b ||
		    requires_rec(a->requires[i], b, depth + 1))
			return true;
	return false;
}

/* No resource of g active here requires r. */
static bool
dependents_offline(const struct cstate *cs, const struct conf_group *g,
    const struct conf_resource *r)
{
	const struct node_rt	*me = &cs->nodes[cs->local];
	int			 i;

	for (i = 0; i < g->nres; i++)
		if (g->res[i] != r && me->res[g->res[i]->index].state !=
		    RS_OFFLINE && requires_rec(g->res[i], r, 0))
			return false;
	return true;
}

/*
 * Stop, last first, one of the resources for which `pick` holds.  A server
 * an operator started by hand is left alone unless hand_too (no quorum).
 */
static bool
next_stop(const struct cstate *cs, const struct conf_group *g,
    const bool *pick, bool hand_too, struct local_step *st)
{
	const struct node_rt	*me = &cs->nodes[cs->local];
	int			 i;

	for (i = g->nres - 1; i >= 0; i--) {
		const struct res_rt *x = &me->res[g->res[i]->index];

		if (!pick[i] || x->state == RS_OFFLINE ||
		    x->state == RS_STOP_FAILED || x->state == RS_STOPPING)
			continue;	/* (a stop already runs on it) */
		if ((x->flags & RF_BY_HAND) && !hand_too)
			continue;
		if (!dependents_offline(cs, g, g->res[i]))
			continue;
		st->op = LOP_STOP;
		st->res = g->res[i]->index;
		return true;
	}
	return false;
}

static bool
want_online(const struct cstate *cs, const struct conf_group *g)
{
	const struct node_rt	*me = &cs->nodes[cs->local];
	const struct group_rt	*gr = &cs->groups[g->index];

	return cs->quorate && me->synced && gr->intent_online &&
	    gr->target == cs->conf->nodes[cs->local].nodeid &&
	    !(me->flags & NF_LEAVING);
}

/* Failed resources here, and what requires them, once counted. */
static bool
cleanup_failed(const struct cstate *cs, const struct conf_group *g,
    bool online, struct local_step *st)
{
	const struct node_rt	*me = &cs->nodes[cs->local];
	bool			 pick[256] = { false }, any = false;
	int			 i, j;

	for (i = 0; i < g->nres && i < 256; i++) {
		int r = g->res[i]->index;

		if (me->res[r].state != RS_FAILED)
			continue;
		/* Let the decider count it first: it may move the group. */
		if (online && state_fc(cs, r, cs->local)->seen_seq <
		    me->res[r].fail_seq)
			return true;
		pick[i] = any = true;
		for (j = 0; j < g->nres && j < 256; j++)
			if (requires_rec(g->res[j], g->res[i], 0))
				pick[j] = true;
	}
	if (!any)
		return false;
	if (!next_stop(cs, g, pick, false, st))
		st->why = "waiting for a failed resource to be cleared";
	else
		st->why = "cleaning up a failed resource";
	return true;
}

static bool
active_elsewhere(const struct cstate *cs, const struct conf_group *g)
{
	int	n;

	for (n = 0; n < cs->conf->nnodes; n++)
		if (n != cs->local && state_group_active_on(cs, g, n))
			return true;
	return false;
}

void
decide_local_next(const struct cstate *cs, int gi, struct local_step *st)
{
	const struct conf_group	*g = &cs->conf->groups[gi];
	const struct node_rt	*me = &cs->nodes[cs->local];
	bool			 all[256], unwanted[256], online;
	char			 why[CAUSE_LEN];
	int			 i;

	memset(st, 0, sizeof(*st));
	if (cs->groups[gi].unmanaged)
		return;		/* an operator runs it by hand for now */
	for (i = 0; i < 256; i++) {
		all[i] = true;
		unwanted[i] = i < g->nres && !state_wanted(cs, g, i);
	}
	if (!cs->quorate) {
		st->why = "no quorum: stopping everything";
		next_stop(cs, g, all, true, st);
		return;
	}
	if (!me->synced || !cs->stable)
		return;
	/* Not yet placed by the decider: leave everything as it is. */
	if (!cs->groups[gi].placed && cs->groups[gi].intent_online)
		return;
	online = want_online(cs, g);
	if (cleanup_failed(cs, g, online, st))
		return;
	if (!online) {
		st->why = "the group should not run here";
		next_stop(cs, g, all, false, st);
		return;
	}
	if (next_stop(cs, g, unwanted, false, st)) {
		st->why = "taken offline by an operator";
		return;
	}
	if (active_elsewhere(cs, g))
		return;	/* wait until the other node has stopped it */
	/* What another member runs is known only from its record. */
	if (!cs->all_recorded)
		return;
	/*
	 * Nor is it known on a member whose pghad has not said what it
	 * runs: the target may come from facts that went stale (a sync
	 * from a side that had lost quorum), so start nothing there is not
	 * already running until it is fenced or its record comes, as the
	 * decider waits to place (unknown_blocks()).
	 */
	if (unknown_blocks(cs, g, why, sizeof(why)))
		return;
	for (i = 0; i < g->nres; i++) {
		const struct conf_resource	*r = g->res[i];
		int				 j;

		if (me->res[r->index].state != RS_OFFLINE ||
		    !state_wanted(cs, g, i))
			continue;
		for (j = 0; j < r->nrequires; j++)
			if (me->res[r->requires[j]->index].state != RS_ONLINE)
				break;
		if (j < r->nrequires)
			continue;
		st->op = LOP_START;
		st->res = r->index;
		st->why = "the group runs here";
		return;
	}
}

/* Position of resource r in g, or -1. */
static int
res_pos(const struct conf_group *g, const struct conf_resource *r)
{
	int	i;

	for (i = 0; i < g->nres; i++)
		if (g->res[i] == r)
			return i;
	return -1;
}

/*
 * Did r, or something it requires, fail here (this node's own record)?
 * Then r is stopped at once: a server on a failed disk gets no CHECKPOINT
 * either.
 */
static bool
failed_below(const struct conf_group *g, const struct conf_resource *r,
    const struct local_res *lr, int depth)
{
	int	i = res_pos(g, r), j;

	if (i < 0 || depth > 64)
		return false;
	if (lr[i].state == RS_FAILED)
		return true;
	for (j = 0; j < r->nrequires; j++)
		if (failed_below(g, r->requires[j], lr, depth + 1))
			return true;
	return false;
}

bool
decide_local_busy(const struct conf_group *g, const struct local_res *lr)
{
	int	i;

	for (i = 0; i < g->nres; i++)
		if (lr[i].cancelling || lr[i].run == LRUN_START ||
		    lr[i].run == LRUN_STOP || lr[i].run == LRUN_PROBE)
			return true;
	return false;
}

/*
 * Can the step (at position pos) run next to what already runs in g?
 * Only next to steps of its kind alone: the decider picked it because what
 * it requires is online (what requires it is offline), so they are
 * independent of each other.
 */
static bool
local_joins(const struct conf_group *g, const struct local_res *lr, int pos,
    enum local_run run)
{
	int	i;

	if (lr[pos].run != LRUN_NONE || lr[pos].cancelling)
		return false;
	for (i = 0; i < g->nres; i++)
		if (lr[i].cancelling || lr[i].run == LRUN_PROBE ||
		    (lr[i].run != LRUN_NONE && lr[i].run != run &&
		    lr[i].run != LRUN_MONITOR))
			return false;
	return true;
}

void
decide_local_plan(const struct cstate *cs, int gi, const struct local_res *lr,
    struct local_plan *p)
{
	const struct conf_group	*g = &cs->conf->groups[gi];
	enum local_run		 run;
	int			 i, pos;

	memset(p, 0, sizeof(*p));
	decide_local_next(cs, gi, &p->step);
	if (p->step.op == LOP_NONE)
		return;
	run = p->step.op == LOP_START ? LRUN_START : LRUN_STOP;
	pos = res_pos(g, &cs->conf->resources[p->step.res]);
	if (decide_local_busy(g, lr) && !local_joins(g, lr, pos, run)) {
		/*
		 * A stop overtakes the start of the same resource: the start
		 * is killed, and once it is reaped the resource (still
		 * "starting") is stopped.  The starts of other resources are
		 * let finish (the decider stops them next if it must), but
		 * for a quorum loss, which stops everything at once: a start
		 * killed in passing would stay "starting" with nothing left
		 * to stop or start it.
		 */
		for (i = 0; run == LRUN_STOP && i < g->nres; i++) {
			if (lr[i].run != LRUN_START || lr[i].cancelling ||
			    (i != pos && cs->quorate))
				continue;
			p->cancel |= 1ULL << i;
		}
		if (p->cancel != 0) {
			p->act = LACT_CANCEL;
			p->cancel_why = p->step.why;
		}
		return;
	}
	/* Monitors make way for a start or stop. */
	for (i = 0; i < g->nres; i++)
		if (lr[i].run == LRUN_MONITOR)
			p->cancel |= 1ULL << i;
	if (p->cancel != 0) {
		p->act = LACT_CANCEL;
		p->cancel_why = "making way for a start or stop";
		return;
	}
	p->act = LACT_RUN;
	/*
	 * Without quorum another node may soon take over: stop at once.  A
	 * failed resource too: it did not answer, so no checkpoint, no fast
	 * shutdown waiting on it, and its crash recovery is the next start's.
	 */
	p->immediate = run == LRUN_STOP &&
	    (!cs->quorate || failed_below(g, g->res[pos], lr, 0));
}

bool
decide_owned_elsewhere(const struct cstate *cs, const struct conf_group *g)
{
	int	o = state_group_owner(cs, g);

	return o >= 0 && o != cs->local;
}

static bool
hand_in_group(const struct conf_group *g, const struct local_res *lr)
{
	int	k;

	for (k = 0; k < g->nres; k++)
		if (lr[k].flags & RF_BY_HAND)
			return true;
	return false;
}

/*
 * Where a group runs in part (some resources brought offline by an
 * operator), the others are checked now and then: a server started by
 * hand on the shared disk is noted, so that nothing is started over it.
 * Where the group runs on another node, its disk mounted here by hand (or
 * the server started on it) is a second writer: the disks are checked,
 * and once one is found here, the rest of the group too.
 */
bool
decide_hand_check_due(const struct cstate *cs, const struct conf_group *g,
    int i, const struct local_res *lr)
{
	const struct group_rt	*gr = &cs->groups[g->index];
	int			 k;

	if (gr->unmanaged || !cs->quorate ||
	    (lr[i].state != RS_OFFLINE && !(lr[i].flags & RF_BY_HAND)))
		return false;
	if (lr[i].flags & RF_BY_HAND)
		return true;	/* until it is seen stopped */
	if (decide_owned_elsewhere(cs, g))
		return g->res[i]->type == RT_DISK || hand_in_group(g, lr);
	if (state_wanted(cs, g, i))
		return false;
	for (k = 0; k < g->nres; k++)
		if (state_wanted(cs, g, k) && lr[k].state == RS_ONLINE)
			return true;
	return false;
}

int
decide_stop_check(const struct cstate *cs, int n, char *why, size_t len)
{
	const struct conf	*c = cs->conf;
	int			 gi;

	for (gi = 0; gi < c->ngroups; gi++) {
		const struct conf_group	*g = &c->groups[gi];
		const struct group_rt	*gr = &cs->groups[gi];

		if (gr->unmanaged && (gr->target == c->nodes[n].nodeid ||
		    state_group_active_on(cs, g, n))) {
			snprintf(why, len, "it is unmanaged: pgha group manage "
			    "%s first", g->name);
			return gi;
		}
		if (!gr->intent_online || gr->unmanaged)
			continue;
		if (gr->target != c->nodes[n].nodeid &&
		    !state_group_active_on(cs, g, n))
			continue;
		if (best_node(cs, g, gr, n, why, len) < 0)
			return gi;
	}
	return -1;
}

uint64_t
decide_res_closure(const struct conf_group *g, int pos, bool up)
{
	uint64_t	mask = 1ULL << pos;
	int		i;

	for (i = 0; i < g->nres && i < 64; i++) {
		if (up && requires_rec(g->res[pos], g->res[i], 0))
			mask |= 1ULL << i;
		if (!up && requires_rec(g->res[i], g->res[pos], 0))
			mask |= 1ULL << i;
	}
	return mask;
}

int
decide_hand_running(const struct cstate *cs, const struct conf_group *g,
    uint64_t mask, int *node)
{
	int	i, n;

	for (i = 0; i < g->nres && i < 64; i++) {
		if (!((mask >> i) & 1))
			continue;
		for (n = 0; n < cs->conf->nnodes; n++)
			if (cs->nodes[n].res[g->res[i]->index].flags &
			    RF_BY_HAND && cs->nodes[n].res[g->res[i]->index]
			    .state != RS_OFFLINE) {
				*node = n;
				return i;
			}
	}
	return -1;
}

uint64_t
decide_wake_at(const struct cstate *cs)
{
	const struct conf	*c = cs->conf;
	uint64_t		 next = 0, end;
	int			 gi, n;

	for (gi = 0; gi < c->ngroups; gi++) {
		const struct conf_group	*g = &c->groups[gi];
		const struct group_rt	*gr = &cs->groups[gi];

		for (n = 0; n < c->nnodes && g->ban_timeout_ms; n++) {
			if (!(gr->banned & (1ULL << n)))
				continue;
			end = gr->ban_ms[n] + g->ban_timeout_ms;
			if (next == 0 || end < next)
				next = end;
		}
		if (g->failback == FB_WINDOW && gr->may_failback &&
		    !in_window(cs, g, cs->now_wall)) {
			int m = local_minutes(cs, cs->now_wall);
			int d = (g->failback_from_min - m + 1440) % 1440;

			end = cs->now_wall - cs->now_wall % 60000 +
			    (uint64_t)(d ? d : 1440) * 60000;
			if (next == 0 || end < next)
				next = end;
		}
	}
	return next;
}

bool
decide_node_active(const struct cstate *cs, int n)
{
	const struct conf	*c = cs->conf;
	int			 r, gi;

	if (cs->nodes[n].unknown)
		return true;	/* nothing known: anything may run there */
	for (r = 0; r < c->nresources; r++)
		if (cs->nodes[n].res[r].state != RS_OFFLINE)
			return true;
	/* Unmanaged: facts are not kept up, an operator may have started
	 * it by hand where it should run.  Assume it runs there. */
	for (gi = 0; gi < c->ngroups; gi++)
		if (cs->groups[gi].unmanaged &&
		    cs->groups[gi].target == c->nodes[n].nodeid)
			return true;
	return false;
}

bool
decide_gone_unclean(const struct cstate *cs, int n)
{
	return cs->conf->fencing && decide_node_active(cs, n);
}

/*
 * A corosync member whose pghad has not joined yet, while starting up or
 * (one whose pghad never said what it runs) since it became a member: how
 * long to wait still, or 0.
 */
static uint64_t
join_wait(const struct cstate *cs, const struct decide_input *in)
{
	uint64_t	wait = 0, w;
	int		n;

	for (n = 0; n < cs->conf->nnodes; n++) {
		const struct node_rt *nd = &cs->nodes[n];

		/* Unseen: as long as a member's pghad has to join. */
		if (state_node_unseen(cs, n) &&
		    in->uptime_ms < DECIDE_JOIN_WAIT_MS &&
		    (w = DECIDE_JOIN_WAIT_MS - in->uptime_ms) > wait)
			wait = w;
		if (n == cs->local || !nd->cs_member || nd->in_cpg)
			continue;
		if (!nd->daemon_down && in->uptime_ms < DECIDE_JOIN_WAIT_MS &&
		    (w = DECIDE_JOIN_WAIT_MS - in->uptime_ms) > wait)
			wait = w;
		if (nd->unknown && nd->member_since + DECIDE_JOIN_WAIT_MS >
		    in->now_wall && (w = nd->member_since +
		    DECIDE_JOIN_WAIT_MS - in->now_wall) > wait)
			wait = w;
	}
	return wait;
}

void
decide_plan(const struct cstate *cs, const struct decide_input *in,
    struct plan *p)
{
	const struct conf	*c = cs->conf;
	struct cstate		 w = *cs;	/* this pass's working copy */
	int			 gi, n;

	memset(p, 0, sizeof(*p));
	/* As the quorate decider: fence every unclean node that is gone
	 * (new attempts only while the state is stable). */
	if (cs->quorate && in->connected && in->decider)
		for (n = 0; n < c->nnodes; n++)
			if (cs->nodes[n].unclean && !cs->nodes[n].in_cpg)
				p->fence |= 1ULL << n;
	p->fence_may_start = cs->stable;
	w.now_wall = in->now_wall;
	w.tz_offset_s = in->tz_offset_s;
	if (!cs->stable || !cs->quorate || !in->connected || in->in_flight ||
	    !in->decider || !cs->all_recorded)
		return;
	p->decided = true;
	/* Gone from corosync's membership while its pghad was down, or
	 * before its pghad said what it runs (a member since we started):
	 * a lost node. */
	for (n = 0; n < c->nnodes; n++)
		if (!cs->nodes[n].cs_member && !cs->nodes[n].in_cpg &&
		    (cs->nodes[n].daemon_down || (cs->nodes[n].unknown &&
		    !cs->nodes[n].unclean && cs->nodes[n].member_since != 0)))
			p->nodedown[p->nnodedown++] = c->nodes[n].nodeid;
	p->join_wait_ms = join_wait(cs, in);
	/* Startup fencing of unknown members and unseen nodes, once they
	 * had the join wait to come, and only when a group that should run
	 * is held by them. */
	if (p->join_wait_ms == 0 && unknown_in_the_way(cs))
		for (n = 0; n < c->nnodes; n++)
			if ((unknown_member(cs, n) || state_node_unseen(cs, n)) &&
			    may_fence(cs, n) && state_node_may_run_some(cs, n))
				p->fence |= 1ULL << n;
	w.groups = xcalloc((size_t)c->ngroups, sizeof(*w.groups));
	memcpy(w.groups, cs->groups, (size_t)c->ngroups * sizeof(*w.groups));
	p->dec = xcalloc((size_t)c->ngroups + 1, sizeof(*p->dec));
	for (gi = 0; gi < c->ngroups; gi++) {
		struct decision *d = &p->dec[p->ndec];

		if (p->join_wait_ms && !cs->groups[gi].placed)
			continue;
		if (!decide_group(&w, gi, d))
			continue;
		/*
		 * The groups decided later in this pass count this one where
		 * it goes (fewest groups first); the state itself changes
		 * only when the decision is delivered.
		 */
		w.groups[gi].target = d->g.target;
		p->ndec++;
	}
	free(w.groups);
	w.groups = cs->groups;
	p->wake_at = decide_wake_at(&w);
}

void
decide_plan_clear(struct plan *p)
{
	free(p->dec);
	memset(p, 0, sizeof(*p));
}
