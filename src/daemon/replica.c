/*
 * replica.c - the replicated state machine (see replica.h for the sync
 * rule): every change to the cluster state comes from one input applied
 * here, in the same total order on every node.  Node facts come from each
 * node's MSG_RECORD; cluster facts from MSG_DECIDE (the decider),
 * MSG_REQUEST (operators), MSG_NODEDOWN and MSG_FENCED.
 *
 * Pure: no clock reads, no I/O, no globals; what the step leads to,
 * log lines included, is returned in struct replica_effects.
 */
#define PGHA_LOG_TAG "replica"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "decide.h"
#include "replica.h"
#include "util.h"

struct logged {
	uint32_t	 nodeid;
	struct msg	 m;
	struct logged	*next;
};

/* --- effects -------------------------------------------------------- */

static void
fx_event(struct replica_effects *fx, uint64_t wall, const char *by,
    const char *group, const char *kind, const char *name, const char *from,
    const char *to, const char *cause)
{
	struct replica_event	*e;

	if (fx->nev == fx->evcap) {
		fx->evcap = fx->evcap ? fx->evcap * 2 : 8;
		fx->ev = xreallocarray(fx->ev, (size_t)fx->evcap,
		    sizeof(*fx->ev));
	}
	e = &fx->ev[fx->nev++];
	memset(e, 0, sizeof(*e));
	e->wall = wall;
	snprintf(e->node, sizeof(e->node), "%s", by);
	snprintf(e->group, sizeof(e->group), "%s", group ? group : "");
	snprintf(e->object, sizeof(e->object), "%s %s", kind, name);
	snprintf(e->from, sizeof(e->from), "%s", from);
	snprintf(e->to, sizeof(e->to), "%s", to);
	snprintf(e->cause, sizeof(e->cause), "%s", cause);
}

static void	fx_log(struct replica_effects *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* A line for the daemon's log, at syslog priority pri. */
static void
fx_log(struct replica_effects *fx, int pri, const char *fmt, ...)
{
	struct replica_log	*l;
	va_list			 ap;

	if (fx->nlog == fx->logcap) {
		fx->logcap = fx->logcap ? fx->logcap * 2 : 4;
		fx->log = xreallocarray(fx->log, (size_t)fx->logcap,
		    sizeof(*fx->log));
	}
	l = &fx->log[fx->nlog++];
	l->pri = pri;
	va_start(ap, fmt);
	vsnprintf(l->text, sizeof(l->text), fmt, ap);
	va_end(ap);
}

/* Takes m over (it is left empty). */
static void
fx_send(struct replica_effects *fx, struct msg *m)
{
	if (fx->nout == fx->outcap) {
		fx->outcap = fx->outcap ? fx->outcap * 2 : 4;
		fx->out = xreallocarray(fx->out, (size_t)fx->outcap,
		    sizeof(*fx->out));
	}
	fx->out[fx->nout++] = *m;
	memset(m, 0, sizeof(*m));
}

static void
fx_reprobe(struct replica_effects *fx, int gi)
{
	if (fx->nreprobe == fx->reprobecap) {
		fx->reprobecap = fx->reprobecap ? fx->reprobecap * 2 : 4;
		fx->reprobe = xreallocarray(fx->reprobe,
		    (size_t)fx->reprobecap, sizeof(*fx->reprobe));
	}
	fx->reprobe[fx->nreprobe++] = gi;
}

void
replica_effects_clear(struct replica_effects *fx)
{
	int	i;

	for (i = 0; i < fx->nout; i++)
		msg_clear(&fx->out[i]);
	free(fx->out);
	free(fx->ev);
	free(fx->log);
	free(fx->reprobe);
	memset(fx, 0, sizeof(*fx));
}

/* --- helpers -------------------------------------------------------- */

static const char *
node_name(struct replica *rep, uint32_t nodeid)
{
	const struct conf	*conf = rep->conf;
	const struct conf_node	*n = conf_node_by_id(conf, nodeid);

	return n ? n->name : "?";
}

/* A member's state as its operator set it. */
const char *
replica_admin_name(uint32_t f)
{
	if (f & NF_STOPPED)
		return "stopped";
	if (f & NF_DRAIN)
		return "paused (drained)";
	if (f & NF_PAUSED)
		return "paused";
	return "online";
}

static const char *
local_name(struct replica *rep)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;

	return conf->nodes[cs->local].name;
}

/* --- applying messages ---------------------------------------------- */

static void
clear_node_facts(struct replica *rep, int n)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	int	r;

	for (r = 0; r < conf->nresources; r++) {
		cs->nodes[n].res[r].state = RS_OFFLINE;
		cs->nodes[n].res[r].fail_seq = 0;
	}
	cs->nodes[n].flags = 0;
	cs->nodes[n].unknown = false;
}

static void
apply_record(struct replica *rep, uint32_t nodeid, const struct msg *m,
    bool log_events)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	int		n = state_node_idx(cs, nodeid);
	uint32_t	i;

	/* A refused node's facts count too: what runs there runs. */
	if (n < 0)
		return;
	for (i = 0; i < m->u.record.nres; i++) {
		const struct msg_res		*x = &m->u.record.res[i];
		const struct conf_resource	*r;
		struct res_rt			*rt;

		if ((r = conf_resource_by_name(conf, x->name)) == NULL ||
		    x->state >= RS__MAX)
			continue;
		rt = &cs->nodes[n].res[r->index];
		/* A change from before we joined is in the others' logs. */
		if (log_events && rt->state != x->state &&
		    (x->changed_ms >= rep->join_wall || n == cs->local))
			fx_event(rep->fx, m->wall ? m->wall : rep->wall,
			    conf->nodes[n].name, r->group->name,
			    "resource", r->name,
			    rstate_name(rt->state), rstate_name(x->state),
			    x->cause);
		state_res_from_msg(rt, x);
	}
	/* A node back from a restart or reboot in an operator's state. */
	if (log_events && !cs->nodes[n].recorded &&
	    (m->u.record.flags & (NF_STOPPED | NF_PAUSED)))
		fx_event(rep->fx, m->wall ? m->wall : rep->wall,
		    conf->nodes[n].name,
		    NULL, "node", conf->nodes[n].name, "joining",
		    replica_admin_name(m->u.record.flags),
		    "as an operator left "
		    "it (kept in its state_dir/node-admin)");
	cs->nodes[n].flags = m->u.record.flags;
	cs->nodes[n].recorded = true;
	cs->nodes[n].unknown = false;
}

enum ag_mode {
	AG_SYNC,	/* from a snapshot: taken as it is */
	AG_DECIDE,	/* a decision: only if nothing changed since */
	AG_DECIDE_QUIET,	/* the same, replayed: no events */
};

/*
 * A decision is computed from one generation of the group's record; if an
 * operator's request (or another decision) was applied in between, it is
 * stale and dropped on every node alike: the decider decides again.
 */
static void
apply_group(struct replica *rep, const struct msg_group *x, uint64_t wall,
    const char *by,
    enum ag_mode mode)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	const struct conf_group	*g = conf_group_by_name(conf, x->name);
	struct group_rt		*gr;
	uint32_t		 i;
	bool			 log_events = mode == AG_DECIDE;

	if (g == NULL)
		return;
	gr = &cs->groups[g->index];
	if (mode != AG_SYNC && x->gen != gr->gen) {
		fx_log(rep->fx, LOG_DEBUG, "decision for %s based on "
		    "generation %u, now %u: dropped", g->name, x->gen,
		    gr->gen);
		return;
	}
	gr->gen = mode == AG_SYNC ? x->gen : gr->gen + 1;
	if (log_events && (gr->target != x->target ||
	    gr->intent_online != x->intent_online))
		fx_event(rep->fx, wall, by, g->name,
		    "group", g->name,
		    gr->target ? node_name(rep, gr->target) : "none",
		    x->target ? node_name(rep, x->target) : "none", x->reason);
	gr->target = x->target;
	gr->intent_online = x->intent_online;
	gr->placed = x->placed;
	gr->want = x->want;
	gr->unmanaged = x->unmanaged;
	gr->held = x->held;
	gr->may_failback = x->may_failback;
	gr->nfo = x->nfo <= WIRE_MAX_FO ? x->nfo : 0;
	memcpy(gr->fo_ms, x->fo_ms, gr->nfo * sizeof(gr->fo_ms[0]));
	snprintf(gr->reason, sizeof(gr->reason), "%s", x->reason);
	gr->banned = 0;
	for (i = 0; i < x->nbans; i++) {
		int n = state_node_idx(cs, x->bans[i]);

		if (n >= 0) {
			gr->banned |= 1ULL << n;
			gr->ban_ms[n] = x->ban_ms ? x->ban_ms[i] : 0;
		}
	}
	for (i = 0; i < x->nfc; i++) {
		const struct conf_resource	*r;
		int				 n;

		r = conf_resource_by_name(conf, x->fc[i].res);
		n = state_node_idx(cs, x->fc[i].nodeid);
		if (r == NULL || n < 0)
			continue;
		state_fc(cs, r->index, n)->count = x->fc[i].count;
		state_fc(cs, r->index, n)->seen_seq = x->fc[i].seen;
		state_fc(cs, r->index, n)->last_ms = x->fc[i].last_ms;
	}
}

/* Build the wire form of a group's cluster record. */
void
replica_group_to_msg(const struct replica *rep, int gi,
    const struct group_rt *gr, struct msg_group *x,
    const struct fc_update *fcu, int nfcu)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	const struct conf_group	*g = &conf->groups[gi];
	int			 n, i;

	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", g->name);
	x->gen = gr->gen;
	x->target = gr->target;
	x->intent_online = gr->intent_online;
	x->placed = gr->placed;
	x->want = gr->want;
	x->unmanaged = gr->unmanaged;
	x->held = gr->held;
	x->may_failback = gr->may_failback;
	x->nfo = gr->nfo;
	memcpy(x->fo_ms, gr->fo_ms, sizeof(x->fo_ms));
	snprintf(x->reason, sizeof(x->reason), "%s", gr->reason);
	x->bans = xcalloc((size_t)conf->nnodes, sizeof(uint32_t));
	x->ban_ms = xcalloc((size_t)conf->nnodes, sizeof(uint64_t));
	for (n = 0; n < conf->nnodes; n++)
		if (gr->banned & (1ULL << n)) {
			x->ban_ms[x->nbans] = gr->ban_ms[n];
			x->bans[x->nbans++] = conf->nodes[n].nodeid;
		}
	if (fcu) {
		x->fc = xcalloc((size_t)nfcu, sizeof(*x->fc));
		for (i = 0; i < nfcu; i++, x->nfc++) {
			snprintf(x->fc[i].res, sizeof(x->fc[i].res), "%s",
			    conf->resources[fcu[i].res].name);
			x->fc[i].nodeid = conf->nodes[fcu[i].node].nodeid;
			x->fc[i].count = fcu[i].fc.count;
			x->fc[i].seen = fcu[i].fc.seen_seq;
			x->fc[i].last_ms = fcu[i].fc.last_ms;
		}
		return;
	}
	x->fc = xcalloc((size_t)(g->nres * conf->nnodes), sizeof(*x->fc));
	for (i = 0; i < g->nres; i++)
		for (n = 0; n < conf->nnodes; n++, x->nfc++) {
			const struct fc_rt *fc = state_fc(cs, g->res[i]->index,
			    n);

			snprintf(x->fc[x->nfc].res, sizeof(x->fc[0].res), "%s",
			    g->res[i]->name);
			x->fc[x->nfc].nodeid = conf->nodes[n].nodeid;
			x->fc[x->nfc].count = fc->count;
			x->fc[x->nfc].seen = fc->seen_seq;
			x->fc[x->nfc].last_ms = fc->last_ms;
		}
}

static void	view_goes_stale(struct replica *, int);
static void	request_confirm_down(struct replica *, uint32_t,
		    const struct msg *);
static void	node_cleared(struct replica *, int, uint64_t, const char *,
		    const char *);

static void
request_refused(struct replica *rep, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
request_refused(struct replica *rep, const char *code, const char *fmt, ...)
{
	va_list	ap;

	rep->fx->code = code;
	va_start(ap, fmt);
	vsnprintf(rep->fx->why, sizeof(rep->fx->why), fmt, ap);
	va_end(ap);
}

static bool	refuse_if_by_hand(struct replica *, const struct conf_group *,
		    uint64_t);

static void
request_move(struct replica *rep, const struct conf_group *g,
    const struct msg *m,
    const char *who, bool log_events)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	struct group_rt	*gr = &cs->groups[g->index];
	char		 why[CAUSE_LEN / 2];
	int		 n, owner = state_group_owner(cs, g);
	uint32_t	 old = gr->target;
	int		 r;
	const char	*code = "failed";

	if (refuse_if_by_hand(rep, g, state_want_all(g)))
		return;
	if (m->u.request.to[0]) {
		const struct conf_node *cn;

		cn = conf_node_by_name(conf, m->u.request.to);
		n = cn ? cn->index : -1;
		if (n >= 0 && (!state_node_eligible(cs, n) ||
		    !(g->possible_mask & (1ULL << n)))) {
			/* Why it cannot, as the request's pre-check says. */
			if (!cs->nodes[n].in_cpg)
				code = "node-down";
			why[0] = '\0';
			(void)decide_node_usable(cs, g, n, why, sizeof(why));
			n = -1;
		} else if (n < 0) {
			/* Names are checked again here: files may differ. */
			request_refused(rep, "unknown-node", "no node named "
			    "\"%s\"", m->u.request.to);
			return;
		} else {
			/* Named by an operator: its failures are forgiven. */
			gr->banned &= ~(1ULL << n);
			for (r = 0; r < g->nres; r++)
				state_fc(cs, g->res[r]->index, n)->count = 0;
		}
	} else
		n = decide_best_node(cs, g, owner, why, sizeof(why));
	if (n < 0) {
		request_refused(rep, code, "cannot move %s%s %s", g->name,
		    m->u.request.to[0] ? " to" : ":", why);
		if (log_events)
			fx_event(rep->fx, m->wall, who, g->name,
			    "group", g->name, "move",
			    "refused", why);
		return;
	}
	snprintf(rep->fx->target, sizeof(rep->fx->target), "%s",
	    conf->nodes[n].name);
	if (!gr->intent_online)
		gr->want = state_want_all(g);
	gr->intent_online = true;
	gr->held = false;
	gr->may_failback = false;	/* put there on purpose */
	gr->target = conf->nodes[n].nodeid;
	snprintf(gr->reason, sizeof(gr->reason), "moved to %s by an "
	    "operator (uid %u on %s)", conf->nodes[n].name,
	    m->u.request.uid, m->u.request.origin);
	if (log_events)
		fx_event(rep->fx, m->wall, who, g->name,
		    "group", g->name,
		    old ? node_name(rep, old) : "none", conf->nodes[n].name,
		    gr->reason);
}

static void
group_event(struct replica *rep, const struct msg *m, const char *who,
    const struct conf_group *g,
    const char *from, const char *to, bool log_events)
{
	struct cstate		*cs = rep->cs;

	if (log_events)
		fx_event(rep->fx, m->wall, who, g->name, "group", g->name,
		    from, to, cs->groups[g->index].reason);
}

/* A server started by hand blocks bringing what it is part of online. */
static bool
refuse_if_by_hand(struct replica *rep, const struct conf_group *g,
    uint64_t mask)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	const struct conf_resource	*r;
	const char			*data;
	int				 i, n;

	if ((i = decide_hand_running(cs, g, mask, &n)) < 0)
		return false;
	r = g->res[i];
	data = conf_param(r, "data");
	request_refused(rep, "by-hand", "%s is running on %s outside pgha's "
	    "control (started by hand%s%s); stop it by hand first%s%s%s "
	    "(pgha notices it has stopped within %u ms)", r->name,
	    conf->nodes[n].name, data ? " on " : "", data ? data : "",
	    data ? " (pg_ctl stop -D " : "", data ? data : "",
	    data ? ")" : "", r->monitor_interval_ms);
	return true;
}

/* An operator's online: failures, bans and the threshold's hold go. */
static void
forgive(struct replica *rep, const struct conf_group *g)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	struct group_rt	*gr = &cs->groups[g->index];
	int		 i, n;

	gr->banned = 0;
	gr->nfo = 0;
	gr->held = false;
	for (i = 0; i < g->nres; i++)
		for (n = 0; n < conf->nnodes; n++)
			state_fc(cs, g->res[i]->index, n)->count = 0;
}

static void
request_online(struct replica *rep, const struct conf_group *g,
    const struct msg *m,
    const char *who, bool log_events)
{
	struct cstate		*cs = rep->cs;
	struct group_rt	*gr = &cs->groups[g->index];

	if (refuse_if_by_hand(rep, g, state_want_all(g)))
		return;
	gr->gen++;
	gr->intent_online = true;
	gr->want = state_want_all(g);
	gr->placed = false;	/* for the decider to place afresh */
	forgive(rep, g);
	snprintf(gr->reason, sizeof(gr->reason), "brought online by "
	    "an operator (uid %u on %s)", m->u.request.uid,
	    m->u.request.origin);
	group_event(rep, m, who, g, "intent", "online", log_events);
}

static void
request_manage(struct replica *rep, const struct conf_group *g,
    const struct msg *m,
    const char *who, bool log_events)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	struct group_rt	*gr = &cs->groups[g->index];
	bool		 on = m->u.request.op == REQ_MANAGE;
	int		 i, n;

	if (gr->unmanaged == !on)
		return;		/* already so */
	gr->gen++;
	gr->unmanaged = !on;
	if (on)
		gr->placed = false;	/* placed afresh where it is found */
	snprintf(gr->reason, sizeof(gr->reason), on ? "managed again by an "
	    "operator (uid %u on %s): every node probes its resources" :
	    "unmanaged by an operator (uid %u on %s): no monitoring or "
	    "recovery until it is managed again", m->u.request.uid,
	    m->u.request.origin);
	group_event(rep, m, who, g, on ? "unmanaged" : "managed",
	    on ? "managed" : "unmanaged", log_events);
	if (!on)
		return;
	/* Until each member has probed, nobody knows what runs where. */
	for (n = 0; n < conf->nnodes; n++)
		for (i = 0; i < g->nres && cs->nodes[n].in_cpg; i++)
			cs->nodes[n].res[g->res[i]->index].state = RS_UNKNOWN;
	fx_reprobe(rep->fx, g->index);
}

static void
request_resource(struct replica *rep, const struct msg *m, const char *who,
    bool log_events)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	const struct conf_resource	*r;
	const struct conf_group		*g;
	struct group_rt			*gr;
	bool				 up = m->u.request.op == REQ_RES_ONLINE;
	uint64_t			 mask;

	if ((r = conf_resource_by_name(conf, m->u.request.to)) == NULL) {
		request_refused(rep, "unknown-resource",
		    "no resource named \"%s\"",
		    m->u.request.to);
		return;
	}
	g = r->group;
	gr = &cs->groups[g->index];
	mask = decide_res_closure(g, r->gpos, up);
	if (up && refuse_if_by_hand(rep, g, mask))
		return;
	gr->gen++;
	if (up) {
		if (!gr->intent_online || gr->target == 0)
			gr->placed = false;
		forgive(rep, g);
		gr->want |= mask;
	} else
		gr->want &= ~mask;
	gr->intent_online = gr->want != 0;
	snprintf(gr->reason, sizeof(gr->reason), "%s%s brought %s by an "
	    "operator (uid %u on %s)", r->name, mask != (1ULL << r->gpos) ?
	    (up ? " and what it requires" : " and what requires it") : "",
	    up ? "online" : "offline", m->u.request.uid,
	    m->u.request.origin);
	if (log_events)
		fx_event(rep->fx, m->wall, who, g->name, "resource", r->name,
		    "intent", up ? "online" : "offline", gr->reason);
}

/* Groups that can go nowhere else when node n stops: offline (--force). */
static void
force_offline(struct replica *rep, int n, const struct msg *m, const char *who,
    bool log_events)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	char	why[CAUSE_LEN / 2];
	int	gi;

	while ((gi = decide_stop_check(cs, n, why, sizeof(why))) >= 0) {
		struct group_rt *gr = &cs->groups[gi];

		if (gr->unmanaged)
			break;	/* refused before: cannot happen */
		gr->gen++;
		gr->intent_online = false;
		gr->want = 0;
		snprintf(gr->reason, sizeof(gr->reason), "taken offline: "
		    "node %s stopped with --force by an operator (uid %u on "
		    "%s) and no other node can run it (%s)",
		    conf->nodes[n].name, m->u.request.uid,
		    m->u.request.origin, why);
		group_event(rep, m, who, &conf->groups[gi], "intent", "offline",
		    log_events);
	}
}

static const char *const node_op_names[] = {
	[REQ_NODE_STOP] = "stop", [REQ_NODE_START] = "start",
	[REQ_NODE_PAUSE] = "pause", [REQ_NODE_RESUME] = "resume",
};

static void
request_node(struct replica *rep, uint32_t nodeid, const struct msg *m,
    bool log_events)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	const struct conf_node	*cn = conf_node_by_name(conf, m->u.request.to);
	const char		*who = node_name(rep, nodeid), *op;
	struct node_rt		*nd;
	uint32_t		 f, old;
	char			 why[CAUSE_LEN / 2], cause[CAUSE_LEN];
	int			 gi;

	op = node_op_names[m->u.request.op];
	if (cn == NULL) {
		request_refused(rep, "unknown-node", "no node named \"%s\"",
		    m->u.request.to);
		return;
	}
	nd = &cs->nodes[cn->index];
	if (!nd->in_cpg || nd->daemon_down || !nd->recorded) {
		request_refused(rep, "node-down",
		    "cannot %s %s: its pghad is not "
		    "running (pghad keeps a node's stopped or paused state "
		    "across restarts; start pghad there first)", op,
		    cn->name);
		return;
	}
	old = f = nd->flags;
	switch (m->u.request.op) {
	case REQ_NODE_STOP:
		f = (f | NF_STOPPED) & ~(uint32_t)(NF_PAUSED | NF_DRAIN);
		break;
	case REQ_NODE_START:
		f &= ~(uint32_t)NF_STOPPED;
		break;
	case REQ_NODE_PAUSE:
		f |= NF_PAUSED | ((m->u.request.flags & REQF_DRAIN) ?
		    NF_DRAIN : 0);
		break;
	default:
		f &= ~(uint32_t)(NF_PAUSED | NF_DRAIN);
		break;
	}
	if ((f & NF_LEAVING) && !(old & NF_LEAVING) &&
	    (gi = decide_stop_check(cs, cn->index, why, sizeof(why))) >= 0) {
		if (m->u.request.op != REQ_NODE_STOP ||
		    !(m->u.request.flags & REQF_FORCE) ||
		    cs->groups[gi].unmanaged) {
			/* --force leaves an unmanaged group alone: no hint. */
			request_refused(rep, "failed", "cannot %s %s: group %s "
			    "could go nowhere else (%s)%s", op, cn->name,
			    conf->groups[gi].name, why,
			    m->u.request.op == REQ_NODE_STOP &&
			    !cs->groups[gi].unmanaged ? "; --force "
			    "takes such groups offline" : "");
			return;
		}
		force_offline(rep, cn->index, m, who, log_events);
	}
	nd->flags = f;
	/* Decisions computed before this are stale. */
	for (gi = 0; gi < conf->ngroups; gi++)
		cs->groups[gi].gen++;
	snprintf(rep->fx->target, sizeof(rep->fx->target), "%s", cn->name);
	snprintf(cause, sizeof(cause), "%s by an operator (uid %u on %s)",
	    m->u.request.op == REQ_NODE_STOP ? "cluster service stopped" :
	    m->u.request.op == REQ_NODE_START ? "cluster service started" :
	    m->u.request.op == REQ_NODE_RESUME ? "resumed" :
	    (f & NF_DRAIN) ? "paused and drained" : "paused",
	    m->u.request.uid, m->u.request.origin);
	if (log_events && f != old)
		fx_event(rep->fx, m->wall, who, NULL, "node", cn->name,
		    replica_admin_name(old), replica_admin_name(f), cause);
	if (cn->index == cs->local) {
		rep->fx->set_admin = true;
		rep->fx->admin = f & (NF_STOPPED | NF_PAUSED | NF_DRAIN);
	}
}

static void
apply_group_request(struct replica *rep, uint32_t nodeid, const struct msg *m,
    bool log_events)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	const struct conf_group	*g;
	struct group_rt		*gr;
	const char		*who = node_name(rep, nodeid);

	if ((g = conf_group_by_name(conf, m->u.request.group)) == NULL) {
		request_refused(rep, "unknown-group", "no group named \"%s\"",
		    m->u.request.group);
		return;
	}
	gr = &cs->groups[g->index];
	switch (m->u.request.op) {
	case REQ_ONLINE:
		request_online(rep, g, m, who, log_events);
		break;
	case REQ_OFFLINE:
		gr->gen++;	/* decisions computed before this are stale */
		gr->intent_online = false;
		gr->want = 0;
		snprintf(gr->reason, sizeof(gr->reason), "taken offline by "
		    "an operator (uid %u on %s)", m->u.request.uid,
		    m->u.request.origin);
		group_event(rep, m, who, g, "intent", "offline", log_events);
		break;
	case REQ_MOVE:
		gr->gen++;
		request_move(rep, g, m, who, log_events);
		break;
	case REQ_UNMANAGE:
	case REQ_MANAGE:
		request_manage(rep, g, m, who, log_events);
		break;
	default:
		break;
	}
}

static void
apply_request(struct replica *rep, uint32_t nodeid, const struct msg *m,
    bool log_events)
{
	if (rep->round_pending) {
		/*
		 * Known to every node at the same point: a request applied
		 * in the middle of a sync could not give the same result on
		 * a joiner as on the others.
		 */
		request_refused(rep, "busy",
		    "the cluster is synchronising after a "
		    "membership change: try again");
		return;
	}
	rep->fx->code = NULL;
	rep->fx->why[0] = rep->fx->target[0] = '\0';
	switch (m->u.request.op) {
	case REQ_CONFIRM_DOWN:
		request_confirm_down(rep, nodeid, m);
		break;
	case REQ_NODE_STOP:
	case REQ_NODE_START:
	case REQ_NODE_PAUSE:
	case REQ_NODE_RESUME:
		request_node(rep, nodeid, m, log_events);
		break;
	case REQ_RES_ONLINE:
	case REQ_RES_OFFLINE:
		request_resource(rep, m, node_name(rep, nodeid), log_events);
		break;
	default:
		apply_group_request(rep, nodeid, m, log_events);
		break;
	}
}

/* Why a node still in corosync's membership cannot be confirmed down. */
void
replica_member_refusal(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "cannot confirm %s down: it is still a Corosync "
	    "member (its pghad is down, but the node runs and so may its "
	    "database server); start pghad on %s, or power %s off (or stop "
	    "its corosync) and confirm again", name, name, name);
}

static void
request_confirm_down(struct replica *rep, uint32_t nodeid, const struct msg *m)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	const struct conf_node	*cn = conf_node_by_name(conf, m->u.request.to);
	struct node_rt		*nd;
	char			 why[CAUSE_LEN];

	rep->fx->code = NULL;
	rep->fx->why[0] = rep->fx->target[0] = '\0';
	if (cn == NULL) {
		request_refused(rep, "unknown-node", "no node named \"%s\"",
		    m->u.request.to);
		return;
	}
	nd = &cs->nodes[cn->index];
	if (nd->in_cpg) {
		request_refused(rep, "failed", "%s is an active member of the "
		    "cluster: it is not down", cn->name);
		return;
	}
	if (!nd->unclean && !nd->daemon_down && !nd->unknown) {
		request_refused(rep, "failed",
		    "%s needs no confirmation: it is "
		    "offline and known to run nothing", cn->name);
		return;
	}
	/*
	 * Its pghad left but its corosync had not, as every node recorded
	 * it: the node runs, and so may its server.  Cleared only by
	 * MSG_NODEDOWN once corosync loses it (then fenced or confirmed).
	 */
	if (nd->daemon_down) {
		replica_member_refusal(cn->name, why, sizeof(why));
		request_refused(rep, "failed", "%s", why);
		return;
	}
	snprintf(why, sizeof(why), "confirmed down by an operator (uid %u "
	    "on %s): its groups may now start elsewhere", m->u.request.uid,
	    m->u.request.origin);
	node_cleared(rep, cn->index, m->wall, node_name(rep, nodeid), why);
}

/*
 * Node n is gone: if it may still run something and fencing is on, keep
 * its facts and mark it unclean (its groups wait for the fence);
 * otherwise it is simply offline.
 */
static void
node_gone(struct replica *rep, int n, uint64_t wall, const char *by,
    const char *oldst,
    const char *why)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	struct node_rt	*nd = &cs->nodes[n];
	char		 cause[CAUSE_LEN];

	nd->daemon_down = false;
	if (decide_gone_unclean(cs, n)) {
		nd->unclean = true;
		snprintf(cause, sizeof(cause), "%s while it may still run a "
		    "group: it must be fenced before the group moves", why);
		if (by != NULL)
			fx_event(rep->fx, wall, by, NULL, "node",
			    conf->nodes[n].name, oldst, "unclean", cause);
		return;
	}
	nd->unclean = false;
	clear_node_facts(rep, n);
	if (by != NULL)
		fx_event(rep->fx, wall, by, NULL, "node",
		    conf->nodes[n].name, oldst, "offline", why);
}

static void
apply_nodedown(struct replica *rep, uint32_t from, const struct msg *m,
    bool log_events)
{
	struct cstate		*cs = rep->cs;
	int	n = state_node_idx(cs, m->u.nodedown.nodeid);

	if (n < 0 || cs->nodes[n].in_cpg || (!cs->nodes[n].daemon_down &&
	    (!cs->nodes[n].unknown || cs->nodes[n].unclean)))
		return;
	if (cs->nodes[n].daemon_down)
		node_gone(rep, n, m->wall, log_events ? node_name(rep, from) :
		    NULL, "daemon-down", "left corosync's membership while "
		    "its pghad was down");
	else
		node_gone(rep, n, m->wall, log_events ? node_name(rep, from) :
		    NULL, "unknown", "left corosync's membership before its "
		    "pghad said what it runs");
}

/* The decider's fencing outcome, or an operator's word for a node. */
static void
node_cleared(struct replica *rep, int n, uint64_t wall, const char *by,
    const char *why)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	struct node_rt	*nd = &cs->nodes[n];

	if (by != NULL)
		fx_event(rep->fx, wall, by, NULL, "node",
		    conf->nodes[n].name, nd->unclean ? "unclean" :
		    nd->daemon_down ? "daemon-down" : "unknown", "offline",
		    why);
	nd->unclean = nd->daemon_down = false;
	clear_node_facts(rep, n);
}

static void
apply_fenced(struct replica *rep, uint32_t from, const struct msg *m,
    bool log_events)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	int	n = state_node_idx(cs, m->u.fenced.nodeid);

	/* Unclean, or a member whose pghad never said what it runs. */
	if (n < 0 || cs->nodes[n].in_cpg || (!cs->nodes[n].unclean &&
	    !cs->nodes[n].unknown))
		return;
	if (m->u.fenced.ok)
		node_cleared(rep, n, m->wall, log_events ? node_name(rep,
		    from) : NULL,
		    m->u.fenced.text);
	else if (log_events)
		fx_event(rep->fx, m->wall, node_name(rep, from), NULL,
		    "node", conf->nodes[n].name, cs->nodes[n].unclean ?
		    "unclean" : "unknown", cs->nodes[n].unclean ? "unclean" :
		    "unknown", m->u.fenced.text);
}

static void
apply_cluster_msg(struct replica *rep, uint32_t nodeid, const struct msg *m,
    bool log_events)
{
	struct cstate		*cs = rep->cs;

	/*
	 * A partition without quorum changes no cluster fact, and so keeps
	 * its version: when it merges again, the side that had quorum wins
	 * the sync (round_check()).  Every member of the partition knows
	 * quorum at the same point, so all refuse alike.
	 */
	if (!cs->quorate) {
		if (m->type == MSG_REQUEST)
			request_refused(rep, "no-quorum", "%s's partition has "
			    "no quorum: the request was not applied",
			    node_name(rep, nodeid));
		return;
	}
	cs->version++;
	switch (m->type) {
	case MSG_DECIDE:
		apply_group(rep, &m->u.decide, m->wall, node_name(rep, nodeid),
		    log_events ? AG_DECIDE : AG_DECIDE_QUIET);
		break;
	case MSG_REQUEST:
		apply_request(rep, nodeid, m, log_events);
		break;
	case MSG_NODEDOWN:
		apply_nodedown(rep, nodeid, m, log_events);
		break;
	case MSG_FENCED:
		apply_fenced(rep, nodeid, m, log_events);
		break;
	default:
		break;
	}
}

static void
elog_clear(struct replica *rep)
{
	struct logged	*l;

	while ((l = rep->elog) != NULL) {
		rep->elog = l->next;
		msg_clear(&l->m);
		free(l);
	}
	rep->elog_tail = &rep->elog;
}

static void
elog_add(struct replica *rep, uint32_t nodeid, struct msg *m)
{
	struct logged	*l = xcalloc(1, sizeof(*l));

	l->nodeid = nodeid;
	l->m = *m;		/* takes ownership */
	memset(m, 0, sizeof(*m));
	*rep->elog_tail = l;
	rep->elog_tail = &l->next;
}

int
replica_log_len(const struct replica *rep)
{
	const struct logged	*l;
	int			 n = 0;

	for (l = rep->elog; l != NULL; l = l->next)
		n++;
	return n;
}

/* --- sync ----------------------------------------------------------- */

static void	send_sync(struct replica *, bool);

static void
refuse_self(struct replica *rep, const char *theirs)
{
	const struct conf	*conf = rep->conf;

	(void)conf;
	rep->fx->refuse = true;
	snprintf(rep->fx->refuse_hash, sizeof(rep->fx->refuse_hash), "%s",
	    theirs);
}

static bool
members_match(struct replica *rep, const struct msg *m)
{
	int	i;

	if ((int)m->u.sync.nmembers != rep->nmembers)
		return false;
	for (i = 0; i < rep->nmembers; i++)
		if (m->u.sync.members[i] != rep->members[i])
			return false;
	return true;
}

static void
round_clear(struct replica *rep)
{
	int	n;

	for (n = 0; n < CONF_MAX_NODES; n++) {
		if (rep->round_seen[n])
			msg_clear(&rep->round_msg[n]);
		rep->round_seen[n] = false;
	}
}

/* The winner's view of a node that is not a member now. */
static void
apply_node_facts(struct replica *rep, const struct msg_node *x)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	int		n = state_node_idx(cs, x->nodeid);
	struct node_rt	*nd;
	uint32_t	i;

	if (n < 0 || cs->nodes[n].in_cpg)
		return;
	nd = &cs->nodes[n];
	clear_node_facts(rep, n);
	nd->daemon_down = x->daemon_down;
	nd->unclean = x->unclean;
	for (i = 0; i < x->nres; i++) {
		const struct conf_resource *r = conf_resource_by_name(conf,
		    x->res[i].name);

		if (r == NULL || x->res[i].state >= RS__MAX)
			continue;
		state_res_from_msg(&nd->res[r->index], &x->res[i]);
		if (x->res[i].flags & RF_NO_RECORD) {
			nd->res[r->index].flags &= (uint8_t)~RF_NO_RECORD;
			nd->unknown = true;
		}
	}
}

/* Does a SYNC's entry say nothing is known of what the node runs? */
static bool
node_msg_unknown(const struct msg_node *x)
{
	uint32_t	i;

	for (i = 0; i < x->nres; i++)
		if (x->res[i].flags & RF_NO_RECORD)
			return true;
	return false;
}

/*
 * The winner may hold a non-member as unknown because it lost quorum
 * since it last heard from it, while another synced member kept quorum
 * all along and so still knows what it runs (view_goes_stale()): that
 * member's view holds, the lowest node id first.  Without this, a node
 * long fenced and down would be fenced again whenever the side that lost
 * quorum wins a sync on a tie of versions.
 */
static void
fresher_node_facts(struct replica *rep, int w)
{
	struct cstate	*cs = rep->cs;
	int		 k, n;
	uint32_t	 i;

	for (k = 0; k < CONF_MAX_NODES; k++) {
		const struct msg *m = &rep->round_msg[k];

		if (k == w || !rep->round_seen[k] || !m->u.sync.synced ||
		    strcmp(m->u.sync.hash, rep->round_msg[w].u.sync.hash) != 0)
			continue;
		for (i = 0; i < m->u.sync.nnodes; i++) {
			n = state_node_idx(cs, m->u.sync.nodes[i].nodeid);
			if (n >= 0 && cs->nodes[n].unknown &&
			    !node_msg_unknown(&m->u.sync.nodes[i]))
				apply_node_facts(rep, &m->u.sync.nodes[i]);
		}
	}
}

/*
 * Every member's SYNC is in: the winner (-1: a new cluster) sets the
 * cluster facts and what is known of non-members; then what was delivered
 * since the membership change is applied again on top.
 */
static void
finish_round(struct replica *rep, int w, const char *hash)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	const struct msg	*m = w >= 0 ? &rep->round_msg[w] : NULL;
	struct logged		*l;
	uint32_t		 i;
	int			 k;

	snprintf(rep->cluster_hash, sizeof(rep->cluster_hash), "%s", hash);
	if (!conf_hash_same(conf, hash)) {
		refuse_self(rep, hash);
		return;
	}
	/* Same file, but a previous release's winner compares exactly. */
	if (rep->round_seen[cs->local] && strcmp(hash,
	    rep->round_msg[cs->local].u.sync.hash) != 0) {
		refuse_self(rep, hash);
		rep->fx->refuse_prev = true;
		return;
	}
	state_reset_cluster(cs);
	if (m != NULL) {
		for (i = 0; i < m->u.sync.ngroups; i++)
			apply_group(rep, &m->u.sync.groups[i], m->wall, NULL,
			    AG_SYNC);
		cs->version = m->u.sync.version;
		for (i = 0; i < m->u.sync.nnodes; i++)
			apply_node_facts(rep, &m->u.sync.nodes[i]);
		fresher_node_facts(rep, w);
	}
	for (k = 0; k < rep->nmembers; k++) {
		int n = state_node_idx(cs, (uint32_t)(rep->members[k] >> 32));

		if (n < 0)
			continue;
		if (rep->round_seen[n] && strcmp(rep->round_msg[n].u.sync.hash,
		    hash) != 0) {
			if (!cs->nodes[n].refused)
				fx_log(rep->fx, LOG_WARNING, "node %s has a "
				    "different cluster file: ignored",
				    conf->nodes[n].name);
			cs->nodes[n].refused = true;
			continue;
		}
		cs->nodes[n].synced = true;
	}
	/* Replayed as first applied: requests in the round were refused. */
	for (l = rep->elog; l; l = l->next)
		apply_cluster_msg(rep, l->nodeid, &l->m, false);
	rep->round_pending = false;
	elog_clear(rep);
	cs->stable = true;
	fx_log(rep->fx, LOG_INFO, "sync complete: %d member(s), state from "
	    "%s (version %llu), cluster file sha256 %.12s%s", rep->nmembers,
	    w >= 0 ? conf->nodes[w].name : "the cluster file",
	    (unsigned long long)cs->version, hash,
	    strcmp(hash, conf->hash) != 0 ? " (the previous release's "
	    "hash: a member runs the previous pghad)" : "");
	round_clear(rep);
}

/*
 * Once every member's SYNC is in, the synced one with the newest cluster
 * facts wins (lowest node id on a tie): after a partition heals, the side
 * that kept deciding is newer than the side that lost quorum, which
 * decided nothing.  If none is synced, the cluster is new.
 */
static void
round_check(struct replica *rep)
{
	struct cstate		*cs = rep->cs;
	int	i, k, best = -1;

	if (!rep->round_pending)
		return;
	for (i = 0; i < rep->nmembers; i++) {
		k = state_node_idx(cs, (uint32_t)(rep->members[i] >> 32));
		if (k >= 0 && !rep->round_seen[k])
			return;
	}
	for (i = 0; i < rep->nmembers; i++) {
		k = state_node_idx(cs, (uint32_t)(rep->members[i] >> 32));
		if (k < 0 || !rep->round_msg[k].u.sync.synced)
			continue;
		if (best < 0 || rep->round_msg[k].u.sync.version >
		    rep->round_msg[best].u.sync.version)
			best = k;
	}
	if (best >= 0) {
		finish_round(rep, best, rep->round_msg[best].u.sync.hash);
		return;
	}
	fx_log(rep->fx, LOG_NOTICE, "new cluster: no member holds cluster "
	    "state; starting from the cluster file");
	for (i = 0; i < rep->nmembers; i++) {
		k = state_node_idx(cs, (uint32_t)(rep->members[i] >> 32));
		if (k >= 0) {
			finish_round(rep, -1, rep->round_msg[k].u.sync.hash);
			return;
		}
	}
}

/*
 * The hash our SYNC carries: the previous release's while a member of it
 * is with us (it compares hashes exactly), else this release's.
 */
static const char *
sync_hash(const struct replica *rep)
{
	const struct cstate	*cs = rep->cs;
	int			 n;

	for (n = 0; n < rep->conf->nnodes; n++)
		if (n != cs->local && cs->nodes[n].in_cpg && rep->peer_prev[n])
			return rep->conf->hash_prev;
	return rep->conf->hash;
}

/* Is a member's record of this round still due? */
static bool
sync_waits(const struct replica *rep)
{
	const struct cstate	*cs = rep->cs;
	int			 n;

	for (n = 0; n < rep->conf->nnodes; n++)
		if (cs->nodes[n].in_cpg && !rep->rec_round[n])
			return true;
	return false;
}

/*
 * A record delivered: which release its sender is (the flag is the
 * wire's, not a node state), and our SYNC if it waited for this one.
 */
static void
record_seen(struct replica *rep, uint32_t nodeid, struct msg *m)
{
	struct cstate	*cs = rep->cs;
	int		 n = state_node_idx(cs, nodeid);

	if (n < 0)
		return;
	rep->peer_prev[n] = !(m->u.record.flags & RECF_HASH_KEYS);
	m->u.record.flags &= ~(uint32_t)RECF_HASH_KEYS;
	rep->rec_round[n] = true;
	if (rep->sync_deferred && rep->round_pending && !sync_waits(rep)) {
		snprintf(rep->sync_msg.u.sync.hash,
		    sizeof(rep->sync_msg.u.sync.hash), "%s", sync_hash(rep));
		rep->sync_deferred = false;
		fx_send(rep->fx, &rep->sync_msg);
	}
}

/* Takes m over (it is left empty). */
static void
apply_sync(struct replica *rep, uint32_t nodeid, struct msg *m)
{
	struct cstate		*cs = rep->cs;
	int	n = state_node_idx(cs, nodeid);

	if (!rep->round_pending || n < 0 || !members_match(rep, m))
		return;
	if (rep->round_seen[n])
		msg_clear(&rep->round_msg[n]);
	rep->round_msg[n] = *m;
	memset(m, 0, sizeof(*m));
	rep->round_seen[n] = true;
	round_check(rep);
}

static void
node_to_msg(struct replica *rep, int n, struct msg_node *x)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	const struct node_rt	*nd = &cs->nodes[n];
	int			 r;

	x->nodeid = conf->nodes[n].nodeid;
	x->daemon_down = nd->daemon_down;
	x->unclean = nd->unclean;
	x->nres = (uint32_t)conf->nresources;
	x->res = xcalloc((size_t)conf->nresources, sizeof(struct msg_res));
	for (r = 0; r < conf->nresources; r++) {
		state_res_to_msg(&nd->res[r], conf->resources[r].name,
		    &x->res[r]);
		if (nd->unknown)
			x->res[r].flags |= RF_NO_RECORD;
	}
}

/*
 * Our SYNC as the state is now, the point of the order where the round
 * starts, kept until every member's record is in (record_seen()).
 */
static void
send_sync(struct replica *rep, bool synced)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	struct msg	m;
	int		i;

	memset(&m, 0, sizeof(m));
	m.type = MSG_SYNC;
	m.u.sync.synced = synced;
	m.u.sync.version = cs->version;
	m.u.sync.nmembers = (uint32_t)rep->nmembers;
	m.u.sync.members = xcalloc((size_t)rep->nmembers, sizeof(uint64_t));
	memcpy(m.u.sync.members, rep->members,
	    sizeof(uint64_t) * rep->nmembers);
	if (m.u.sync.synced) {
		m.u.sync.ngroups = (uint32_t)conf->ngroups;
		m.u.sync.groups = xcalloc((size_t)conf->ngroups,
		    sizeof(struct msg_group));
		for (i = 0; i < conf->ngroups; i++)
			replica_group_to_msg(rep, i, &cs->groups[i],
			    &m.u.sync.groups[i],
			    NULL, 0);
		/* What we know of the nodes that are not members now. */
		m.u.sync.nodes = xcalloc((size_t)conf->nnodes,
		    sizeof(struct msg_node));
		for (i = 0; i < conf->nnodes; i++)
			if (!cs->nodes[i].in_cpg)
				node_to_msg(rep, i, &m.u.sync.nodes[
				    m.u.sync.nnodes++]);
	}
	msg_clear(&rep->sync_msg);
	rep->sync_msg = m;
	rep->sync_deferred = true;
}

/* --- membership ----------------------------------------------------- */

uint32_t
replica_decider_id(const struct replica *rep)
{
	const struct conf	*conf = rep->conf;
	const struct cstate	*cs = rep->cs;
	int			 i;

	for (i = 0; i < rep->nmembers; i++) {
		int n = state_node_idx(cs, (uint32_t)(rep->members[i] >> 32));

		if (n >= 0 && cs->nodes[n].synced && !cs->nodes[n].refused)
			return conf->nodes[n].nodeid;
	}
	return 0;
}

bool
replica_all_recorded(const struct replica *rep)
{
	const struct cstate	*cs = rep->cs;
	int			 i;

	for (i = 0; i < rep->nmembers; i++) {
		int n = state_node_idx(cs, (uint32_t)(rep->members[i] >> 32));

		if (n >= 0 && !cs->nodes[n].refused && !cs->nodes[n].recorded)
			return false;
	}
	return true;
}

bool
replica_registered(const struct replica *rep, uint32_t nodeid, uint32_t pid)
{
	const struct cstate	*cs = rep->cs;
	int			 n = state_node_idx(cs, nodeid);

	return n >= 0 && cs->nodes[n].in_cpg && cs->nodes[n].cpg_pid == pid;
}

static void
intruder(struct replica *rep, uint32_t nodeid, uint32_t pid, const char *why)
{
	struct replica_effects	*fx = rep->fx;

	if (fx->nintr >= (int)(sizeof(fx->intr) / sizeof(fx->intr[0])))
		return;
	fx->intr[fx->nintr].nodeid = nodeid;
	fx->intr[fx->nintr].pid = pid;
	snprintf(fx->intr[fx->nintr].why, sizeof(fx->intr[0].why), "%s", why);
	fx->nintr++;
}

/*
 * Whether a process of node n that is in the group now may be taken as
 * its pghad: on our own node only we are; elsewhere the first one wins,
 * and a second one while the first is still a member is an intruder.
 */
static bool
may_register(struct replica *rep, int n, uint32_t pid,
    const struct replica_member *mem, size_t nmem)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	char			 why[128];
	size_t			 k;

	if (n == cs->local) {
		if (pid == rep->my_pid)
			return true;
		snprintf(why, sizeof(why), "this node's pghad is pid %u",
		    rep->my_pid);
		intruder(rep, conf->nodes[n].nodeid, pid, why);
		return false;
	}
	if (!cs->nodes[n].in_cpg || cs->nodes[n].cpg_pid == pid)
		return true;
	for (k = 0; k < nmem; k++)
		if (mem[k].nodeid == conf->nodes[n].nodeid &&
		    mem[k].pid == cs->nodes[n].cpg_pid)
			break;
	if (k == nmem)
		return true;	/* the old one is gone: a restart */
	snprintf(why, sizeof(why), "the pghad of node %s is pid %u",
	    conf->nodes[n].name, cs->nodes[n].cpg_pid);
	intruder(rep, conf->nodes[n].nodeid, pid, why);
	return false;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
member_left(struct replica *rep, const struct replica_member *a)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	int			 n = state_node_idx(cs, a->nodeid);
	struct node_rt		*nd;
	bool			 active;
	const char		*why, *was;

	if (n < 0 || a->pid == 0)
		return;
	nd = &cs->nodes[n];
	if (!nd->in_cpg || nd->cpg_pid != a->pid)
		return;
	was = replica_admin_name(nd->flags);
	nd->in_cpg = false;
	nd->synced = nd->recorded = false;
	rep->peer_prev[n] = false;
	active = decide_node_active(cs, n);
	if (a->nodedown || !active) {
		why = a->nodedown ?
		    "left corosync's membership (down, cut off or frozen)" :
		    "its pghad left the cluster with nothing running";
		node_gone(rep, n, rep->wall, local_name(rep), was, why);
	} else {
		nd->daemon_down = true;
		fx_event(rep->fx, rep->wall, local_name(rep), NULL, "node",
		    conf->nodes[n].name, was, "daemon-down", "its pghad is "
		    "gone but the node is still a member: what it runs is left "
		    "in place");
	}
	nd->refused = false;
	/* Gone while we have no quorum: see view_goes_stale(). */
	if (!cs->quorate)
		view_goes_stale(rep, n);
}

/* The registered members, sorted: what SYNC messages name. */
static void
members_set(struct replica *rep)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	int			 n;

	rep->nmembers = 0;
	for (n = 0; n < conf->nnodes && rep->nmembers < REPLICA_MAX_MEMBERS;
	    n++)
		if (cs->nodes[n].in_cpg)
			rep->members[rep->nmembers++] =
			    (uint64_t)conf->nodes[n].nodeid << 32 |
			    cs->nodes[n].cpg_pid;
	qsort(rep->members, (size_t)rep->nmembers, sizeof(uint64_t), cmp_u64);
}

/* Node n is in the group now as pid: facts from before do not hold. */
static void
member_in(struct cstate *cs, int n, uint32_t pid)
{
	cs->nodes[n].in_cpg = true;
	cs->nodes[n].cpg_pid = pid;
	cs->nodes[n].synced = cs->nodes[n].recorded = false;
	cs->nodes[n].daemon_down = cs->nodes[n].refused = false;
	/* Back before it was fenced: its record will say what runs. */
	cs->nodes[n].unclean = false;
}

/* Those that left (intruders already taken out), then those that joined. */
static size_t
members_joined(struct replica *rep, const struct replica_input *in)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	size_t			 i, njoined = 0;

	for (i = 0; i < in->nleft; i++)
		member_left(rep, &in->left[i]);
	for (i = 0; i < in->njoin; i++) {
		const struct replica_member	*j = &in->join[i];
		int				 n = state_node_idx(cs,
		    j->nodeid);

		if (n < 0) {
			fx_log(rep->fx, LOG_WARNING, "node id %u joined but "
			    "is not in %s: ignored", j->nodeid, conf->path);
			continue;
		}
		if (!may_register(rep, n, j->pid, in->mem, in->nmem))
			continue;
		njoined++;
		if (j->nodeid == rep->my_nodeid && j->pid == rep->my_pid)
			rep->joined = true;
		member_in(cs, n, j->pid);
		rep->peer_prev[n] = false;
		if (n != cs->local)
			fx_event(rep->fx, rep->wall, local_name(rep), NULL,
			    "node", conf->nodes[n].name, "offline", "joining",
			    "its pghad joined");
	}
	return njoined;
}

static void
confchg(struct replica *rep, const struct replica_input *in)
{
	const struct conf	*conf = rep->conf;
	struct cstate		*cs = rep->cs;
	const struct replica_member *mem = in->mem;
	size_t			 i, k, nmem = in->nmem, njoined;

	njoined = members_joined(rep, in);
	/* A joiner has none of our client lists: they go out again. */
	if (njoined > 0)
		rep->fx->resend_conns = true;
	/* Members we joined alongside: known from the member list only. */
	for (i = 0; i < nmem; i++) {
		int n = state_node_idx(cs, mem[i].nodeid);

		if (n < 0 || (cs->nodes[n].in_cpg &&
		    cs->nodes[n].cpg_pid == mem[i].pid) ||
		    !may_register(rep, n, mem[i].pid, mem, nmem))
			continue;
		member_in(cs, n, mem[i].pid);
		rep->peer_prev[n] = false;
	}
	/* Gone while we were cut off from corosync: left unseen. */
	for (i = 0; i < (size_t)conf->nnodes; i++) {
		struct replica_member	a;

		if (!cs->nodes[i].in_cpg)
			continue;
		for (k = 0; k < nmem; k++)
			if (mem[k].nodeid == conf->nodes[i].nodeid &&
			    mem[k].pid == cs->nodes[i].cpg_pid)
				break;
		if (k < nmem)
			continue;
		memset(&a, 0, sizeof(a));
		a.nodeid = conf->nodes[i].nodeid;
		a.pid = cs->nodes[i].cpg_pid;
		member_left(rep, &a);
	}
	members_set(rep);
	fx_log(rep->fx, LOG_INFO, "membership: %d member(s), %zu left, %zu "
	    "joined", rep->nmembers, in->nleft, in->njoin);
	/*
	 * A join starts a sync round; so does any change while one is
	 * pending, since the SYNCs of the old round name the old members.
	 */
	if (rep->joined && (njoined > 0 || rep->round_pending)) {
		bool synced = cs->nodes[cs->local].synced;

		elog_clear(rep);
		round_clear(rep);
		rep->round_pending = true;
		cs->stable = false;
		/* The SYNC waits for every member's record (its release);
		 * ours goes out now, each member's at a change like this. */
		memset(rep->rec_round, 0, sizeof(rep->rec_round));
		send_sync(rep, synced);
		rep->fx->send_record = true;
	}
}

/* --- quorum and the connection -------------------------------------- */

/*
 * What we know of a node is only as good as the last time we heard from
 * it while quorate together with it (Pacemaker's rule).  Once our
 * partition has no quorum, a quorate partition without us may form and
 * change anything on the nodes that are not with us: give them groups,
 * move groups off them.  So from then on each of them may run anything
 * (node_rt.unknown, as at startup) until its pghad's record says what it
 * runs, or it is fenced or confirmed down.  Its other facts (unclean,
 * daemon down) are kept.  Every member of the partition applies this at
 * the same point of its inputs, and SYNC hands it on (RF_NO_RECORD).
 */
static void
view_goes_stale(struct replica *rep, int n)
{
	struct cstate	*cs = rep->cs;

	if (n == cs->local || cs->nodes[n].in_cpg || cs->nodes[n].unknown)
		return;
	cs->nodes[n].unknown = true;
	fx_log(rep->fx, LOG_INFO, "node %s: what it runs is unknown from "
	    "now on (not with us while we have no quorum)",
	    rep->conf->nodes[n].name);
}

static void
update_quorate(struct replica *rep)
{
	struct cstate	*cs = rep->cs;
	bool		 was = cs->quorate;
	int		 n;

	cs->quorate = rep->q_quorate && rep->cpg_ok;
	if (was && !cs->quorate)
		for (n = 0; n < rep->conf->nnodes; n++)
			view_goes_stale(rep, n);
	if (was != cs->quorate)
		fx_event(rep->fx, rep->wall, local_name(rep), NULL, "node",
		    local_name(rep), was ? "quorate" : "not-quorate",
		    cs->quorate ? "quorate" : "not-quorate",
		    cs->quorate ? "partition has quorum" :
		    "no quorum (or no corosync): stopping local resources");
}

static void
quorum(struct replica *rep, const struct replica_input *in)
{
	struct cstate	*cs = rep->cs;
	size_t		 i;
	int		 k;

	if (in->has_list) {
		bool	was[CONF_MAX_NODES];

		for (k = 0; k < rep->conf->nnodes; k++) {
			was[k] = cs->nodes[k].cs_member;
			cs->nodes[k].cs_member = false;
		}
		for (i = 0; i < in->nqlist; i++)
			if ((k = state_node_idx(cs, in->qlist[i])) >= 0)
				cs->nodes[k].cs_member = true;
		for (k = 0; k < rep->conf->nnodes; k++)
			if (cs->nodes[k].cs_member && !was[k])
				cs->nodes[k].member_since = rep->wall;
	}
	rep->q_quorate = in->quorate;
	update_quorate(rep);
}

/* Cut off from corosync: rejoining, we are a joiner. */
static void
cut_off(struct replica *rep)
{
	struct cstate	*cs = rep->cs;
	int		 n;

	fx_event(rep->fx, rep->wall, local_name(rep), NULL, "node",
	    local_name(rep), "online", "cut-off",
	    "lost the connection to corosync");
	rep->cpg_ok = rep->joined = false;
	rep->sync_deferred = false;
	msg_clear(&rep->sync_msg);
	cs->stable = false;
	elog_clear(rep);
	round_clear(rep);
	rep->round_pending = false;
	for (n = 0; n < rep->conf->nnodes; n++) {
		cs->nodes[n].in_cpg = false;
		cs->nodes[n].synced = cs->nodes[n].recorded = false;
	}
	/* Nobody is with us now: every other node's facts may go stale. */
	update_quorate(rep);
	for (n = 0; n < rep->conf->nnodes; n++)
		view_goes_stale(rep, n);
}

static void
deliver(struct replica *rep, uint32_t nodeid, struct msg *m)
{
	switch (m->type) {
	case MSG_SYNC:
		apply_sync(rep, nodeid, m);
		break;
	case MSG_RECORD:
		record_seen(rep, nodeid, m);
		apply_record(rep, nodeid, m, true);
		break;
	default:
		apply_cluster_msg(rep, nodeid, m, true);
		if (m->type == MSG_REQUEST)
			rep->fx->answered = true;
		/* Replayed when the round ends; outside one, never. */
		if (rep->round_pending)
			elog_add(rep, nodeid, m);
		break;
	}
}

/* --- the step ------------------------------------------------------- */

struct replica *
replica_new(const struct conf *conf, uint32_t nodeid, uint32_t pid)
{
	struct replica		*rep = xcalloc(1, sizeof(*rep));
	const struct conf_node	*me = conf_node_by_id(conf, nodeid);

	rep->conf = conf;
	rep->cs = state_new(conf);
	rep->cs->local = me ? me->index : 0;
	rep->my_nodeid = nodeid;
	rep->my_pid = pid;
	rep->elog_tail = &rep->elog;
	return rep;
}

void
replica_free(struct replica *rep)
{
	if (rep == NULL)
		return;
	elog_clear(rep);
	round_clear(rep);
	msg_clear(&rep->sync_msg);
	state_free(rep->cs);
	free(rep);
}

void
replica_step(struct replica *rep, const struct replica_input *in,
    struct replica_effects *fx)
{
	memset(fx, 0, sizeof(*fx));
	rep->fx = fx;
	rep->wall = in->wall;
	switch (in->type) {
	case RIN_DELIVER:
		deliver(rep, in->nodeid, in->m);
		break;
	case RIN_CONFCHG:
		confchg(rep, in);
		break;
	case RIN_QUORUM:
		quorum(rep, in);
		break;
	case RIN_CPG_UP:
		rep->cpg_ok = true;
		update_quorate(rep);
		break;
	case RIN_CPG_DOWN:
		cut_off(rep);
		break;
	}
	rep->fx = NULL;
}
