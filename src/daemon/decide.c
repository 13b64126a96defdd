/*
 * decide.c - placement, failure accounting and the local start/stop order
 * (see decide.h).  Pure: state in, decision out.
 */
#include <stdio.h>
#include <string.h>

#include "decide.h"

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
node_usable(const struct cstate *cs, const struct group_rt *gr, int n,
    char *why, size_t whylen)
{
	const struct node_rt	*nd = &cs->nodes[n];
	const char		*name = cs->conf->nodes[n].name;

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
		    "shutting down" : "not ready");
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
		if (node_usable(cs, gr, n, why, whylen))
			return n;
	}
	for (n = 0; n < cs->conf->nnodes; n++) {
		int c;

		if (tried[n] || n == exclude)
			continue;
		if (!node_usable(cs, gr, n, why, whylen))
			continue;
		c = groups_on(cs, n, g->index);
		if (best < 0 || c < bestc) {
			best = n;
			bestc = c;
		}
	}
	return best;
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
			if (nd->res[r].fail_seq > fc.seen_seq)
				fc.count += nd->res[r].fail_seq - fc.seen_seq;
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

/* Something that forbids moving the group: say why, or return false. */
static bool
group_blocked(const struct cstate *cs, const struct conf_group *g,
    char *why, size_t len)
{
	int	i, n;

	for (n = 0; n < cs->conf->nnodes; n++) {
		const struct node_rt *nd = &cs->nodes[n];

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
		if (nd->daemon_down && state_group_active_on(cs, g, n)) {
			snprintf(why, len, "pghad on %s is down while the "
			    "group may still run there: left in place",
			    cs->conf->nodes[n].name);
			return true;
		}
		if (nd->unclean && state_group_active_on(cs, g, n)) {
			snprintf(why, len, "%s was lost while it may still "
			    "run the group: waiting until it is fenced (or "
			    "confirmed down: pgha node confirm-down %s)",
			    cs->conf->nodes[n].name, cs->conf->nodes[n].name);
			return true;
		}
	}
	return false;
}

/* Where the group runs now, if that node may keep it. */
static int
adoptable_owner(const struct cstate *cs, const struct conf_group *g,
    const struct group_rt *gr)
{
	int	n, i;

	for (n = 0; n < cs->conf->nnodes; n++) {
		if (!state_group_active_on(cs, g, n) ||
		    !state_node_eligible(cs, n) || (gr->banned & (1ULL << n)))
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

static void
place(const struct cstate *cs, const struct conf_group *g, struct decision *d)
{
	char	why[CAUSE_LEN / 2];
	int	t = d->g.target ? state_node_idx(cs, d->g.target) : -1;
	int	n;

	if (!d->g.intent_online) {
		if (d->g.target != 0)
			snprintf(d->g.reason, sizeof(d->g.reason),
			    "taken offline by an operator");
		d->g.target = 0;
		return;
	}
	if (t >= 0 && state_node_eligible(cs, t) &&
	    !(d->g.banned & (1ULL << t)))
		return;
	if ((n = adoptable_owner(cs, g, &d->g)) >= 0) {
		snprintf(d->g.reason, sizeof(d->g.reason),
		    "already active on %s", cs->conf->nodes[n].name);
	} else if ((n = best_node(cs, g, &d->g, -1, why, sizeof(why))) < 0) {
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
		return;
	} else if (t >= 0) {
		char prev[CAUSE_LEN / 2];

		snprintf(prev, sizeof(prev), "%s", d->g.reason);
		snprintf(d->g.reason, sizeof(d->g.reason),
		    "failover from %s to %s: %s", cs->conf->nodes[t].name,
		    cs->conf->nodes[n].name, (d->g.banned & (1ULL << t)) ?
		    prev : why);
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
	d->g.placed = true;
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

/* Stop, last first, one of the resources for which `pick` holds. */
static bool
next_stop(const struct cstate *cs, const struct conf_group *g,
    const bool *pick, struct local_step *st)
{
	const struct node_rt	*me = &cs->nodes[cs->local];
	int			 i;

	for (i = g->nres - 1; i >= 0; i--) {
		int s = me->res[g->res[i]->index].state;

		if (!pick[i] || s == RS_OFFLINE || s == RS_STOP_FAILED)
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
	    !(me->flags & NF_SHUTTING_DOWN);
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
	if (!next_stop(cs, g, pick, st))
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
	bool			 all[256], online;
	int			 i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < 256; i++)
		all[i] = true;
	if (!cs->quorate) {
		st->why = "no quorum: stopping everything";
		next_stop(cs, g, all, st);
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
		next_stop(cs, g, all, st);
		return;
	}
	if (active_elsewhere(cs, g))
		return;	/* wait until the other node has stopped it */
	/* What another member runs is known only from its record. */
	if (!cs->all_recorded)
		return;
	for (i = 0; i < g->nres; i++) {
		const struct conf_resource	*r = g->res[i];
		int				 j;

		if (me->res[r->index].state != RS_OFFLINE)
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
