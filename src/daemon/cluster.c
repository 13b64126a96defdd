/*
 * cluster.c - Corosync CPG and quorum, and the replicated state.
 *
 * Every change to the state comes from a delivered CPG message, applied in
 * the same total order on every node.  Node facts come from each node's
 * MSG_RECORD; cluster facts from MSG_DECIDE (the decider), MSG_REQUEST
 * (operators) and MSG_NODEDOWN.
 *
 * Sync rule, when members join (or the membership changes while a sync
 * is pending): every member sends MSG_SYNC holding its cluster facts as
 * they were at that point in the order, their version, and what it knows
 * of the nodes that are not members (or "not synced" if it has nothing),
 * then its MSG_RECORD.  Every node logs the cluster-changing messages
 * delivered after the change.  Once every member's SYNC is in, the synced
 * one with the highest version wins (lowest node id on a tie): every node
 * resets its cluster facts to it, takes its view of non-members, and
 * replays the log, so that all end identical (for an old member this
 * changes nothing; for a joiner it is the hand-over; after a partition
 * heals the side that kept deciding is newer than the side that lost
 * quorum).  Operators' requests delivered during a round are refused on
 * every node alike.  If no member is synced, the cluster is new and starts
 * from the cluster file.  A node whose cluster file hash differs from the
 * winner's refuses to join.
 *
 * The decider is the lowest node id among synced members; it alone sends
 * MSG_DECIDE, and only while its partition is quorate.
 */
#define PGHA_LOG_TAG	"cpg"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <corosync/cpg.h>
#include <corosync/quorum.h>

#include "agent.h"
#include "check.h"
#include "cluster.h"
#include "conntrack.h"
#include "decide.h"
#include "events.h"
#include "fence.h"
#include "intruder.h"
#include "local.h"
#include "log.h"
#include "loop.h"
#include "sendq.h"
#include "util.h"

#define GROUP_NAME	"pghad"
#define MAX_MEMBERS	CONF_MAX_NODES
#define RECONNECT_MS	1000
/*
 * At start-up, how long the decider waits for the pghad of every corosync
 * member before placing groups that are placed nowhere yet: so that a
 * cluster whose daemons start a second apart still starts its groups on
 * their preferred owners.
 */
#define JOIN_WAIT_MS	10000

struct logged {
	uint32_t	 nodeid;
	struct msg	 m;
	struct logged	*next;
};

static const struct conf	*conf;
static struct cstate		*cs;
static cpg_handle_t		 cpg;
static quorum_handle_t		 qh;
static bool			 cpg_ok, q_ok, joined;
static uint32_t			 my_nodeid;
static uint32_t			 my_pid;
static struct loop_timer	*reconnect_timer;
static int			 records_in_flight, decides_in_flight;
static uint64_t			 started_ms;
static uint64_t			 join_wall;	/* when we joined, wall */
static struct loop_timer	*join_wait_timer;

/* Current CPG membership and the sync round. */
static uint64_t			 members[MAX_MEMBERS];
static int			 nmembers;
static bool			 round_pending;
static bool			 round_seen[CONF_MAX_NODES];
static struct msg		 round_msg[CONF_MAX_NODES];	/* SYNCs */
static char			 cluster_hash[WIRE_HASH_LEN];
static struct logged		*elog, **elog_tail = &elog;

/* Requests of ours in flight, answered when delivered back. */
struct pending_req {
	uint32_t		 seq;
	request_done_cb		 done;
	void			*arg;
	struct pending_req	*next;
};
static struct pending_req	*preqs;
static uint32_t			 req_seq;
/* Outcome of the last request applied. */
static char			 req_why[CAUSE_LEN], req_target[NAME_LEN];
static const char		*req_code;

static bool			 q_quorate;

static void	cpg_connect(void);
static void	after_change(void);
static void	send_msg(struct msg *);

/* "resource db1-pg": a short-lived name for an event's object. */
static const char *
objname(const char *kind, const char *name)
{
	static char	buf[4][160];
	static int	i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s %s", kind, name);
	return buf[i];
}

static void
update_quorate(void)
{
	bool	was = cs->quorate;

	cs->quorate = q_quorate && cpg_ok;
	if (was != cs->quorate)
		events_add(wall_ms(), conf->nodes[cs->local].name, NULL,
		    objname("node", conf->nodes[cs->local].name),
		    was ? "quorate" : "not-quorate",
		    cs->quorate ? "quorate" : "not-quorate",
		    cs->quorate ? "partition has quorum" :
		    "no quorum (or no corosync): stopping local resources");
}

static const char *
node_name(uint32_t nodeid)
{
	const struct conf_node	*n = conf_node_by_id(conf, nodeid);

	return n ? n->name : "?";
}

/* A member's state as its operator set it. */
static const char *
node_admin_name(uint32_t f)
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
local_name(void)
{
	return conf->nodes[cs->local].name;
}

/* --- sending -------------------------------------------------------- */

static void	cluster_apply_record_local(const struct msg *);
static void	answer_request(uint32_t, const char *, const char *,
		    const char *);

/* A message that will never be delivered: undo what waits for it. */
static void
message_lost(enum wire_type type, uint32_t seq)
{
	switch (type) {
	case MSG_RECORD:
		if (records_in_flight > 0)
			records_in_flight--;
		break;
	case MSG_DECIDE:
	case MSG_NODEDOWN:
		if (decides_in_flight > 0)
			decides_in_flight--;
		break;
	case MSG_REQUEST:
		answer_request(seq, "failed", "corosync did not take the "
		    "request", "");
		break;
	default:
		break;
	}
}

/* sendq's way to corosync. */
static int
mcast(const void *buf, size_t len)
{
	struct iovec	iov = { (void *)buf, len };
	cs_error_t	err;

	if (!cpg_ok)
		return -1;
	err = cpg_mcast_joined(cpg, CPG_TYPE_AGREED, &iov, 1);
	if (err == CS_ERR_TRY_AGAIN)
		return 1;
	if (err != CS_OK) {
		log_warnx("cpg_mcast_joined: error %d; message lost", err);
		return -1;
	}
	return 0;
}

void
cluster_send_msg(struct msg *m)
{
	send_msg(m);
}

static void
send_msg(struct msg *m)
{
	struct wbuf	w;

	m->wall = wall_ms();
	wbuf_init(&w);
	msg_encode(&w, m);
	sendq_push(&w, m->type, m->type == MSG_REQUEST ?
	    m->u.request.seq : 0);
}

void
cluster_send_record(const struct msg *rec)
{
	struct msg	m = *rec;

	if (!cpg_ok || !joined) {
		/* Cut off from the cluster: our facts are only ours. */
		m.wall = wall_ms();
		cluster_apply_record_local(&m);
		return;
	}
	records_in_flight++;
	send_msg(&m);
}

int
cluster_record_in_flight(void)
{
	return records_in_flight > 0;
}

/* --- applying messages ---------------------------------------------- */

static void
clear_node_facts(int n)
{
	int	r;

	for (r = 0; r < conf->nresources; r++) {
		cs->nodes[n].res[r].state = RS_OFFLINE;
		cs->nodes[n].res[r].fail_seq = 0;
	}
	cs->nodes[n].flags = 0;
}

static void
apply_record(uint32_t nodeid, const struct msg *m, bool log_events)
{
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
		    (x->changed_ms >= join_wall || n == cs->local))
			events_add(m->wall ? m->wall : wall_ms(),
			    conf->nodes[n].name, r->group->name,
			    objname("resource", r->name),
			    rstate_name(rt->state), rstate_name(x->state),
			    x->cause);
		state_res_from_msg(rt, x);
	}
	/* A node back from a restart or reboot in an operator's state. */
	if (log_events && !cs->nodes[n].recorded &&
	    (m->u.record.flags & (NF_STOPPED | NF_PAUSED)))
		events_add(m->wall ? m->wall : wall_ms(), conf->nodes[n].name,
		    NULL, objname("node", conf->nodes[n].name), "joining",
		    node_admin_name(m->u.record.flags), "as an operator left "
		    "it (kept in its state_dir/node-admin)");
	cs->nodes[n].flags = m->u.record.flags;
	cs->nodes[n].recorded = true;
}

static void
cluster_apply_record_local(const struct msg *m)
{
	apply_record(my_nodeid, m, true);
	after_change();
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
apply_group(const struct msg_group *x, uint64_t wall, const char *by,
    enum ag_mode mode)
{
	const struct conf_group	*g = conf_group_by_name(conf, x->name);
	struct group_rt		*gr;
	uint32_t		 i;
	bool			 log_events = mode == AG_DECIDE;

	if (g == NULL)
		return;
	gr = &cs->groups[g->index];
	if (mode != AG_SYNC && x->gen != gr->gen) {
		log_debug("decision for %s based on generation %u, now %u: "
		    "dropped", g->name, x->gen, gr->gen);
		return;
	}
	gr->gen = mode == AG_SYNC ? x->gen : gr->gen + 1;
	if (log_events && (gr->target != x->target ||
	    gr->intent_online != x->intent_online))
		events_add(wall, by, g->name,
		    objname("group", g->name),
		    gr->target ? node_name(gr->target) : "none",
		    x->target ? node_name(x->target) : "none", x->reason);
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
static void
group_to_msg(int gi, const struct group_rt *gr, struct msg_group *x,
    const struct fc_update *fcu, int nfcu)
{
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

static void	request_confirm_down(uint32_t, const struct msg *);
static void	node_cleared(int, uint64_t, const char *, const char *);

static void
request_refused(const char *code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
request_refused(const char *code, const char *fmt, ...)
{
	va_list	ap;

	req_code = code;
	va_start(ap, fmt);
	vsnprintf(req_why, sizeof(req_why), fmt, ap);
	va_end(ap);
}

static bool	refuse_if_by_hand(const struct conf_group *, uint64_t);

static void
request_move(const struct conf_group *g, const struct msg *m,
    const char *who, bool log_events)
{
	struct group_rt	*gr = &cs->groups[g->index];
	char		 why[CAUSE_LEN / 2];
	int		 n, owner = state_group_owner(cs, g);
	uint32_t	 old = gr->target;
	int		 r;

	if (refuse_if_by_hand(g, state_want_all(g)))
		return;
	if (m->u.request.to[0]) {
		const struct conf_node *cn;

		cn = conf_node_by_name(conf, m->u.request.to);
		n = cn ? cn->index : -1;
		if (n < 0 || !state_node_eligible(cs, n))
			n = -1;
		else {
			/* Named by an operator: its failures are forgiven. */
			gr->banned &= ~(1ULL << n);
			for (r = 0; r < g->nres; r++)
				state_fc(cs, g->res[r]->index, n)->count = 0;
		}
		snprintf(why, sizeof(why), "%s is not an active member",
		    m->u.request.to);
	} else
		n = decide_best_node(cs, g, owner, why, sizeof(why));
	if (n < 0) {
		request_refused(m->u.request.to[0] ? "node-down" : "failed",
		    "cannot move %s: %s", g->name, why);
		if (log_events)
			events_add(m->wall, who, g->name,
			    objname("group", g->name), "move",
			    "refused", why);
		return;
	}
	snprintf(req_target, sizeof(req_target), "%s", conf->nodes[n].name);
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
		events_add(m->wall, who, g->name,
		    objname("group", g->name),
		    old ? node_name(old) : "none", conf->nodes[n].name,
		    gr->reason);
}

static void
group_event(const struct msg *m, const char *who, const struct conf_group *g,
    const char *from, const char *to, bool log_events)
{
	if (log_events)
		events_add(m->wall, who, g->name, objname("group", g->name),
		    from, to, cs->groups[g->index].reason);
}

/* A server started by hand blocks bringing what it is part of online. */
static bool
refuse_if_by_hand(const struct conf_group *g, uint64_t mask)
{
	const struct conf_resource	*r;
	const char			*data;
	int				 i, n;

	if ((i = decide_hand_running(cs, g, mask, &n)) < 0)
		return false;
	r = g->res[i];
	data = conf_param(r, "data");
	request_refused("by-hand", "%s is running on %s outside pgha's "
	    "control (started by hand%s%s); stop it by hand first%s%s%s "
	    "(pgha notices it has stopped within %u ms)", r->name,
	    conf->nodes[n].name, data ? " on " : "", data ? data : "",
	    data ? " (pg_ctl stop -D " : "", data ? data : "",
	    data ? ")" : "", r->monitor_interval_ms);
	return true;
}

/* An operator's online: failures, bans and the threshold's hold go. */
static void
forgive(const struct conf_group *g)
{
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
request_online(const struct conf_group *g, const struct msg *m,
    const char *who, bool log_events)
{
	struct group_rt	*gr = &cs->groups[g->index];

	if (refuse_if_by_hand(g, state_want_all(g)))
		return;
	gr->gen++;
	gr->intent_online = true;
	gr->want = state_want_all(g);
	gr->placed = false;	/* for the decider to place afresh */
	forgive(g);
	snprintf(gr->reason, sizeof(gr->reason), "brought online by "
	    "an operator (uid %u on %s)", m->u.request.uid,
	    m->u.request.origin);
	group_event(m, who, g, "intent", "online", log_events);
}

static void
request_manage(const struct conf_group *g, const struct msg *m,
    const char *who, bool log_events)
{
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
	group_event(m, who, g, on ? "unmanaged" : "managed",
	    on ? "managed" : "unmanaged", log_events);
	if (!on)
		return;
	/* Until each member has probed, nobody knows what runs where. */
	for (n = 0; n < conf->nnodes; n++)
		for (i = 0; i < g->nres && cs->nodes[n].in_cpg; i++)
			cs->nodes[n].res[g->res[i]->index].state = RS_UNKNOWN;
	local_reprobe(g->index);
}

static void
request_resource(const struct msg *m, const char *who, bool log_events)
{
	const struct conf_resource	*r;
	const struct conf_group		*g;
	struct group_rt			*gr;
	bool				 up = m->u.request.op == REQ_RES_ONLINE;
	uint64_t			 mask;

	if ((r = conf_resource_by_name(conf, m->u.request.to)) == NULL) {
		request_refused("unknown-resource", "no resource named \"%s\"",
		    m->u.request.to);
		return;
	}
	g = r->group;
	gr = &cs->groups[g->index];
	mask = decide_res_closure(g, r->gpos, up);
	if (up && refuse_if_by_hand(g, mask))
		return;
	gr->gen++;
	if (up) {
		if (!gr->intent_online || gr->target == 0)
			gr->placed = false;
		forgive(g);
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
		events_add(m->wall, who, g->name, objname("resource", r->name),
		    "intent", up ? "online" : "offline", gr->reason);
}

/* Groups that can go nowhere else when node n stops: offline (--force). */
static void
force_offline(int n, const struct msg *m, const char *who, bool log_events)
{
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
		group_event(m, who, &conf->groups[gi], "intent", "offline",
		    log_events);
	}
}

static const char *const node_op_names[] = {
	[REQ_NODE_STOP] = "stop", [REQ_NODE_START] = "start",
	[REQ_NODE_PAUSE] = "pause", [REQ_NODE_RESUME] = "resume",
};

static void
request_node(uint32_t nodeid, const struct msg *m, bool log_events)
{
	const struct conf_node	*cn = conf_node_by_name(conf, m->u.request.to);
	const char		*who = node_name(nodeid), *op;
	struct node_rt		*nd;
	uint32_t		 f, old;
	char			 why[CAUSE_LEN / 2], cause[CAUSE_LEN];
	int			 gi;

	op = node_op_names[m->u.request.op];
	if (cn == NULL) {
		request_refused("unknown-node", "no node named \"%s\"",
		    m->u.request.to);
		return;
	}
	nd = &cs->nodes[cn->index];
	if (!nd->in_cpg || nd->daemon_down || !nd->recorded) {
		request_refused("node-down", "cannot %s %s: its pghad is not "
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
			request_refused("failed", "cannot %s %s: group %s "
			    "could go nowhere else (%s)%s", op, cn->name,
			    conf->groups[gi].name, why,
			    m->u.request.op == REQ_NODE_STOP ? "; --force "
			    "takes such groups offline" : "");
			return;
		}
		force_offline(cn->index, m, who, log_events);
	}
	nd->flags = f;
	/* Decisions computed before this are stale. */
	for (gi = 0; gi < conf->ngroups; gi++)
		cs->groups[gi].gen++;
	snprintf(req_target, sizeof(req_target), "%s", cn->name);
	snprintf(cause, sizeof(cause), "%s by an operator (uid %u on %s)",
	    m->u.request.op == REQ_NODE_STOP ? "cluster service stopped" :
	    m->u.request.op == REQ_NODE_START ? "cluster service started" :
	    m->u.request.op == REQ_NODE_RESUME ? "resumed" :
	    (f & NF_DRAIN) ? "paused and drained" : "paused",
	    m->u.request.uid, m->u.request.origin);
	if (log_events && f != old)
		events_add(m->wall, who, NULL, objname("node", cn->name),
		    node_admin_name(old), node_admin_name(f), cause);
	if (cn->index == cs->local)
		local_set_admin(f & (NF_STOPPED | NF_PAUSED | NF_DRAIN));
}

static void
apply_group_request(uint32_t nodeid, const struct msg *m, bool log_events)
{
	const struct conf_group	*g;
	struct group_rt		*gr;
	const char		*who = node_name(nodeid);

	if ((g = conf_group_by_name(conf, m->u.request.group)) == NULL) {
		request_refused("unknown-group", "no group named \"%s\"",
		    m->u.request.group);
		return;
	}
	gr = &cs->groups[g->index];
	switch (m->u.request.op) {
	case REQ_ONLINE:
		request_online(g, m, who, log_events);
		break;
	case REQ_OFFLINE:
		gr->gen++;	/* decisions computed before this are stale */
		gr->intent_online = false;
		gr->want = 0;
		snprintf(gr->reason, sizeof(gr->reason), "taken offline by "
		    "an operator (uid %u on %s)", m->u.request.uid,
		    m->u.request.origin);
		group_event(m, who, g, "intent", "offline", log_events);
		break;
	case REQ_MOVE:
		gr->gen++;
		request_move(g, m, who, log_events);
		break;
	case REQ_UNMANAGE:
	case REQ_MANAGE:
		request_manage(g, m, who, log_events);
		break;
	default:
		break;
	}
}

static void
apply_request(uint32_t nodeid, const struct msg *m, bool log_events)
{
	if (round_pending) {
		/*
		 * Known to every node at the same point: a request applied
		 * in the middle of a sync could not give the same result on
		 * a joiner as on the others.
		 */
		request_refused("busy", "the cluster is synchronising after a "
		    "membership change: try again");
		return;
	}
	req_code = NULL;
	req_why[0] = req_target[0] = '\0';
	switch (m->u.request.op) {
	case REQ_CONFIRM_DOWN:
		request_confirm_down(nodeid, m);
		break;
	case REQ_NODE_STOP:
	case REQ_NODE_START:
	case REQ_NODE_PAUSE:
	case REQ_NODE_RESUME:
		request_node(nodeid, m, log_events);
		break;
	case REQ_RES_ONLINE:
	case REQ_RES_OFFLINE:
		request_resource(m, node_name(nodeid), log_events);
		break;
	default:
		apply_group_request(nodeid, m, log_events);
		break;
	}
}

/* Why a node still in corosync's membership cannot be confirmed down. */
static void
member_refusal(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "cannot confirm %s down: it is still a Corosync "
	    "member (its pghad is down, but the node runs and so may its "
	    "database server); start pghad on %s, or power %s off (or stop "
	    "its corosync) and confirm again", name, name, name);
}

static void
request_confirm_down(uint32_t nodeid, const struct msg *m)
{
	const struct conf_node	*cn = conf_node_by_name(conf, m->u.request.to);
	struct node_rt		*nd;
	char			 why[CAUSE_LEN];

	req_code = NULL;
	req_why[0] = req_target[0] = '\0';
	if (cn == NULL) {
		request_refused("unknown-node", "no node named \"%s\"",
		    m->u.request.to);
		return;
	}
	nd = &cs->nodes[cn->index];
	if (nd->in_cpg) {
		request_refused("failed", "%s is an active member of the "
		    "cluster: it is not down", cn->name);
		return;
	}
	if (!nd->unclean && !nd->daemon_down) {
		request_refused("failed", "%s needs no confirmation: it is "
		    "offline and known to run nothing", cn->name);
		return;
	}
	/*
	 * Its pghad left but its corosync had not, as every node recorded
	 * it: the node runs, and so may its server.  Cleared only by
	 * MSG_NODEDOWN once corosync loses it (then fenced or confirmed).
	 */
	if (nd->daemon_down) {
		member_refusal(cn->name, why, sizeof(why));
		request_refused("failed", "%s", why);
		return;
	}
	snprintf(why, sizeof(why), "confirmed down by an operator (uid %u "
	    "on %s): its groups may now start elsewhere", m->u.request.uid,
	    m->u.request.origin);
	node_cleared(cn->index, m->wall, node_name(nodeid), why);
}

static bool
node_active(int n)
{
	int	r, gi;

	for (r = 0; r < conf->nresources; r++)
		if (cs->nodes[n].res[r].state != RS_OFFLINE)
			return true;
	/* Unmanaged: facts are not kept up, an operator may have started
	 * it by hand where it should run.  Assume it runs there. */
	for (gi = 0; gi < conf->ngroups; gi++)
		if (cs->groups[gi].unmanaged &&
		    cs->groups[gi].target == conf->nodes[n].nodeid)
			return true;
	return false;
}

/*
 * Node n is gone: if it may still run something and fencing is on, keep
 * its facts and mark it unclean (its groups wait for the fence);
 * otherwise it is simply offline.
 */
static void
node_gone(int n, uint64_t wall, const char *by, const char *oldst,
    const char *why)
{
	struct node_rt	*nd = &cs->nodes[n];
	char		 cause[CAUSE_LEN];

	nd->daemon_down = false;
	if (conf->fencing && node_active(n)) {
		nd->unclean = true;
		snprintf(cause, sizeof(cause), "%s while it may still run a "
		    "group: it must be fenced before the group moves", why);
		if (by != NULL)
			events_add(wall, by, NULL, objname("node",
			    conf->nodes[n].name), oldst, "unclean", cause);
		return;
	}
	nd->unclean = false;
	clear_node_facts(n);
	if (by != NULL)
		events_add(wall, by, NULL, objname("node",
		    conf->nodes[n].name), oldst, "offline", why);
}

static void
apply_nodedown(uint32_t from, const struct msg *m, bool log_events)
{
	int	n = state_node_idx(cs, m->u.nodedown.nodeid);

	if (n < 0 || cs->nodes[n].in_cpg || !cs->nodes[n].daemon_down)
		return;
	node_gone(n, m->wall, log_events ? node_name(from) : NULL,
	    "daemon-down", "left corosync's membership while its pghad "
	    "was down");
}

/* The decider's fencing outcome, or an operator's word for a node. */
static void
node_cleared(int n, uint64_t wall, const char *by, const char *why)
{
	struct node_rt	*nd = &cs->nodes[n];

	if (by != NULL)
		events_add(wall, by, NULL, objname("node",
		    conf->nodes[n].name), nd->unclean ? "unclean" :
		    "daemon-down", "offline", why);
	nd->unclean = nd->daemon_down = false;
	clear_node_facts(n);
}

static void
apply_fenced(uint32_t from, const struct msg *m, bool log_events)
{
	int	n = state_node_idx(cs, m->u.fenced.nodeid);

	if (n < 0 || cs->nodes[n].in_cpg || !cs->nodes[n].unclean)
		return;
	if (m->u.fenced.ok)
		node_cleared(n, m->wall, log_events ? node_name(from) : NULL,
		    m->u.fenced.text);
	else if (log_events)
		events_add(m->wall, node_name(from), NULL,
		    objname("node", conf->nodes[n].name), "unclean",
		    "unclean", m->u.fenced.text);
}

static void
apply_cluster_msg(uint32_t nodeid, const struct msg *m, bool log_events)
{
	cs->version++;
	switch (m->type) {
	case MSG_DECIDE:
		apply_group(&m->u.decide, m->wall, node_name(nodeid),
		    log_events ? AG_DECIDE : AG_DECIDE_QUIET);
		break;
	case MSG_REQUEST:
		apply_request(nodeid, m, log_events);
		break;
	case MSG_NODEDOWN:
		apply_nodedown(nodeid, m, log_events);
		break;
	case MSG_FENCED:
		apply_fenced(nodeid, m, log_events);
		break;
	default:
		break;
	}
}

static void
elog_clear(void)
{
	struct logged	*l;

	while ((l = elog) != NULL) {
		elog = l->next;
		msg_clear(&l->m);
		free(l);
	}
	elog_tail = &elog;
}

static void
elog_add(uint32_t nodeid, struct msg *m)
{
	struct logged	*l = xcalloc(1, sizeof(*l));

	l->nodeid = nodeid;
	l->m = *m;		/* takes ownership */
	memset(m, 0, sizeof(*m));
	*elog_tail = l;
	elog_tail = &l->next;
}

/* --- sync ----------------------------------------------------------- */

static void
refuse_self(const char *theirs)
{
	log_warnx("refusing to join: this node's cluster file %s differs "
	    "from the running cluster's (sha256 %.12s here, %.12s in the "
	    "cluster); make the files identical and start pghad again",
	    conf->path, conf->hash, theirs);
	events_add(wall_ms(), local_name(), NULL,
	    objname("node", local_name()), "joining", "refused",
	    "cluster file differs from the running cluster's");
	cluster_leave();
	exit(EXIT_CONF_MISMATCH);
}

static bool
members_match(const struct msg *m)
{
	int	i;

	if ((int)m->u.sync.nmembers != nmembers)
		return false;
	for (i = 0; i < nmembers; i++)
		if (m->u.sync.members[i] != members[i])
			return false;
	return true;
}

static void
round_clear(void)
{
	int	n;

	for (n = 0; n < CONF_MAX_NODES; n++) {
		if (round_seen[n])
			msg_clear(&round_msg[n]);
		round_seen[n] = false;
	}
}

/* The winner's view of a node that is not a member now. */
static void
apply_node_facts(const struct msg_node *x)
{
	int		n = state_node_idx(cs, x->nodeid);
	struct node_rt	*nd;
	uint32_t	i;

	if (n < 0 || cs->nodes[n].in_cpg)
		return;
	nd = &cs->nodes[n];
	clear_node_facts(n);
	nd->daemon_down = x->daemon_down;
	nd->unclean = x->unclean;
	for (i = 0; i < x->nres; i++) {
		const struct conf_resource *r = conf_resource_by_name(conf,
		    x->res[i].name);

		if (r == NULL || x->res[i].state >= RS__MAX)
			continue;
		state_res_from_msg(&nd->res[r->index], &x->res[i]);
	}
}

/*
 * Every member's SYNC is in: the winner (-1: a new cluster) sets the
 * cluster facts and what is known of non-members; then what was delivered
 * since the membership change is applied again on top.
 */
static void
finish_round(int w, const char *hash)
{
	const struct msg	*m = w >= 0 ? &round_msg[w] : NULL;
	struct logged		*l;
	uint32_t		 i;
	int			 k;

	snprintf(cluster_hash, sizeof(cluster_hash), "%s", hash);
	if (strcmp(hash, conf->hash) != 0)
		refuse_self(hash);
	state_reset_cluster(cs);
	if (m != NULL) {
		for (i = 0; i < m->u.sync.ngroups; i++)
			apply_group(&m->u.sync.groups[i], m->wall, NULL,
			    AG_SYNC);
		cs->version = m->u.sync.version;
		for (i = 0; i < m->u.sync.nnodes; i++)
			apply_node_facts(&m->u.sync.nodes[i]);
	}
	for (k = 0; k < nmembers; k++) {
		int n = state_node_idx(cs, (uint32_t)(members[k] >> 32));

		if (n < 0)
			continue;
		if (round_seen[n] && strcmp(round_msg[n].u.sync.hash,
		    hash) != 0) {
			if (!cs->nodes[n].refused)
				log_warnx("node %s has a different cluster "
				    "file: ignored", conf->nodes[n].name);
			cs->nodes[n].refused = true;
			continue;
		}
		cs->nodes[n].synced = true;
	}
	/* Replayed as first applied: requests in the round were refused. */
	for (l = elog; l; l = l->next)
		apply_cluster_msg(l->nodeid, &l->m, false);
	round_pending = false;
	cs->stable = true;
	log_info("sync complete: %d member(s), state from %s (version "
	    "%llu), cluster file sha256 %.12s", nmembers,
	    w >= 0 ? conf->nodes[w].name : "the cluster file",
	    (unsigned long long)cs->version, hash);
	round_clear();
}

/*
 * Once every member's SYNC is in, the synced one with the newest cluster
 * facts wins (lowest node id on a tie): after a partition heals, the side
 * that kept deciding is newer than the side that lost quorum, which
 * decided nothing.  If none is synced, the cluster is new.
 */
static void
round_check(void)
{
	int	i, k, best = -1;

	if (!round_pending)
		return;
	for (i = 0; i < nmembers; i++) {
		k = state_node_idx(cs, (uint32_t)(members[i] >> 32));
		if (k >= 0 && !round_seen[k])
			return;
	}
	for (i = 0; i < nmembers; i++) {
		k = state_node_idx(cs, (uint32_t)(members[i] >> 32));
		if (k < 0 || !round_msg[k].u.sync.synced)
			continue;
		if (best < 0 || round_msg[k].u.sync.version >
		    round_msg[best].u.sync.version)
			best = k;
	}
	if (best >= 0) {
		finish_round(best, round_msg[best].u.sync.hash);
		return;
	}
	log_notice("new cluster: no member holds cluster state; starting "
	    "from the cluster file");
	for (i = 0; i < nmembers; i++) {
		k = state_node_idx(cs, (uint32_t)(members[i] >> 32));
		if (k >= 0) {
			finish_round(-1, round_msg[k].u.sync.hash);
			return;
		}
	}
}

/* Takes m over (it is left empty). */
static void
apply_sync(uint32_t nodeid, struct msg *m)
{
	int	n = state_node_idx(cs, nodeid);

	if (!round_pending || n < 0 || !members_match(m))
		return;
	if (round_seen[n])
		msg_clear(&round_msg[n]);
	round_msg[n] = *m;
	memset(m, 0, sizeof(*m));
	round_seen[n] = true;
	round_check();
}

static void
node_to_msg(int n, struct msg_node *x)
{
	const struct node_rt	*nd = &cs->nodes[n];
	int			 r;

	x->nodeid = conf->nodes[n].nodeid;
	x->daemon_down = nd->daemon_down;
	x->unclean = nd->unclean;
	x->nres = (uint32_t)conf->nresources;
	x->res = xcalloc((size_t)conf->nresources, sizeof(struct msg_res));
	for (r = 0; r < conf->nresources; r++)
		state_res_to_msg(&nd->res[r], conf->resources[r].name,
		    &x->res[r]);
}

static void
send_sync(bool synced)
{
	struct msg	m;
	int		i;

	memset(&m, 0, sizeof(m));
	m.type = MSG_SYNC;
	m.u.sync.synced = synced;
	snprintf(m.u.sync.hash, sizeof(m.u.sync.hash), "%s", conf->hash);
	m.u.sync.version = cs->version;
	m.u.sync.nmembers = (uint32_t)nmembers;
	m.u.sync.members = xcalloc((size_t)nmembers, sizeof(uint64_t));
	memcpy(m.u.sync.members, members, sizeof(uint64_t) * nmembers);
	if (m.u.sync.synced) {
		m.u.sync.ngroups = (uint32_t)conf->ngroups;
		m.u.sync.groups = xcalloc((size_t)conf->ngroups,
		    sizeof(struct msg_group));
		for (i = 0; i < conf->ngroups; i++)
			group_to_msg(i, &cs->groups[i], &m.u.sync.groups[i],
			    NULL, 0);
		/* What we know of the nodes that are not members now. */
		m.u.sync.nodes = xcalloc((size_t)conf->nnodes,
		    sizeof(struct msg_node));
		for (i = 0; i < conf->nnodes; i++)
			if (!cs->nodes[i].in_cpg)
				node_to_msg(i, &m.u.sync.nodes[
				    m.u.sync.nnodes++]);
	}
	send_msg(&m);
	msg_clear(&m);
}

/* --- the decider ---------------------------------------------------- */

static uint32_t
decider_id(void)
{
	int	i;

	for (i = 0; i < nmembers; i++) {
		int n = state_node_idx(cs, (uint32_t)(members[i] >> 32));

		if (n >= 0 && cs->nodes[n].synced && !cs->nodes[n].refused)
			return conf->nodes[n].nodeid;
	}
	return 0;
}

static bool
i_am_decider(void)
{
	return decider_id() == my_nodeid;
}

static bool
all_recorded(void)
{
	int	i;

	for (i = 0; i < nmembers; i++) {
		int n = state_node_idx(cs, (uint32_t)(members[i] >> 32));

		if (n >= 0 && !cs->nodes[n].refused && !cs->nodes[n].recorded)
			return false;
	}
	return true;
}

/* --- fencing (the decider's job) ------------------------------------ */

struct fence_st {
	struct agent_op		*op;
	struct loop_timer	*retry;
	int			 attempts;
	bool			 noted;		/* "no fence agent" said */
	bool			 sent_ok;	/* success sent, not delivered */
	int			 node;
	uint64_t		 off_ms;	/* how long off took */
};
static struct fence_st		 fst[CONF_MAX_NODES];

static void
fence_send(int n, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fence_send(int n, bool ok, const char *fmt, ...)
{
	struct msg	m;
	va_list		ap;

	memset(&m, 0, sizeof(m));
	m.type = MSG_FENCED;
	m.u.fenced.nodeid = conf->nodes[n].nodeid;
	m.u.fenced.ok = ok;
	va_start(ap, fmt);
	vsnprintf(m.u.fenced.text, sizeof(m.u.fenced.text), fmt, ap);
	va_end(ap);
	send_msg(&m);
}

static void
fence_retry_cb(void *arg)
{
	struct fence_st	*f = arg;

	f->retry = NULL;
	after_change();
}

/* This attempt did not fence the node (why: what went wrong): retry. */
static void
fence_failed(struct fence_st *f, const char *why)
{
	const char	*name = conf->nodes[f->node].name;
	uint32_t	 backoff;

	backoff = 5000u << (f->attempts < 4 ? f->attempts - 1 : 3);
	log_warnx("fencing %s failed (%s): retry in %u s", name, why,
	    backoff / 1000);
	fence_send(f->node, false, "fencing failed, attempt %d: %s %s; "
	    "retry in %u s (or: pgha node confirm-down %s)", f->attempts,
	    conf->nodes[f->node].fence_agent, why, backoff / 1000, name);
	f->retry = loop_timer_add(backoff, fence_retry_cb, f);
}

static void
fence_succeeded(struct fence_st *f, const char *how)
{
	const char	*agent = conf->nodes[f->node].fence_agent;

	log_notice("fenced %s: %s (%s)", conf->nodes[f->node].name, agent,
	    how);
	fence_send(f->node, true, "fenced: %s %s", agent, how);
	f->attempts = 0;
	f->sent_ok = true;
}

/* A result as "exit 1: <its stderr tail>" for an event. */
static void
fence_result_str(const struct agent_result *res, char *buf, size_t len)
{
	char	rs[96];

	agent_result_str(res, rs, sizeof(rs));
	snprintf(buf, len, "%s%s%s", rs, res->tail[0] ? ": " : "",
	    res->tail);
}

/* Only fence-agents' status exit 2 (off) makes the off a fence. */
static void
fence_status_done(const struct agent_result *res, void *arg)
{
	struct fence_st	*f = arg;
	char		 rs[CAUSE_LEN / 2], why[CAUSE_LEN / 2];

	if (res->cancelled)
		return;
	f->op = NULL;
	fence_result_str(res, rs, sizeof(rs));
	switch (res->timed_out ? FENCE_POWER_UNKNOWN :
	    fence_status_power(res->exit_code)) {
	case FENCE_POWER_OFF:
		snprintf(why, sizeof(why), "powered it off in %llu ms, and "
		    "status confirms it is off",
		    (unsigned long long)f->off_ms);
		fence_succeeded(f, why);
		return;
	case FENCE_POWER_ON:
		fence_failed(f, "said off succeeded (exit 0), but status "
		    "says it is still on (exit 0): not fenced");
		return;
	default:
		snprintf(why, sizeof(why), "said off succeeded, but status "
		    "failed (%s): cannot tell it is off", rs);
		fence_failed(f, why);
		return;
	}
}

/* Whether the agent has a status to confirm the off with. */
static void
fence_meta_done(const struct agent_result *res, void *arg)
{
	struct fence_st		*f = arg;
	const struct conf_node	*cn = &conf->nodes[f->node];
	char			 why[CAUSE_LEN / 2];

	if (res->cancelled)
		return;
	f->op = NULL;
	if (!res->timed_out && res->exit_code == 0 &&
	    fence_meta_has_status(res->out)) {
		f->op = agent_run_fence(cn, "status", fence_status_done, f);
		if (f->op == NULL)
			fence_failed(f, "said off succeeded, but its status "
			    "could not be run");
		return;
	}
	snprintf(why, sizeof(why), "powered it off in %llu ms; trusted on "
	    "its exit code: its metadata lists no status action to confirm "
	    "it", (unsigned long long)f->off_ms);
	fence_succeeded(f, why);
}

static void
fence_done(const struct agent_result *res, void *arg)
{
	struct fence_st		*f = arg;
	const struct conf_node	*cn = &conf->nodes[f->node];
	char			 rs[CAUSE_LEN / 2];

	if (res->cancelled)
		return;		/* fence_cancel() let go of it already */
	f->op = NULL;
	if (!res->timed_out && res->exit_code == 0) {
		/* Its claim; a status that follows is the fact. */
		f->off_ms = res->duration_ms;
		f->op = agent_run_fence(cn, "metadata", fence_meta_done, f);
		if (f->op == NULL)
			fence_failed(f, "said off succeeded, but its metadata "
			    "could not be run");
		return;
	}
	fence_result_str(res, rs, sizeof(rs));
	fence_failed(f, rs);
}

static void
fence_cancel(struct fence_st *f)
{
	agent_cancel(f->op);
	f->op = NULL;
	loop_timer_cancel(f->retry);
	f->retry = NULL;
	f->attempts = 0;
	f->noted = false;
	f->sent_ok = false;
}

/*
 * As the quorate decider: fence every unclean node (new attempts only
 * while the state is stable); otherwise fence nothing.
 */
static void
fence_check(bool decider, bool may_start)
{
	int	n;

	for (n = 0; n < conf->nnodes; n++) {
		struct fence_st		*f = &fst[n];
		const struct conf_node	*cn = &conf->nodes[n];

		f->node = n;
		if (!decider || !cs->nodes[n].unclean || cs->nodes[n].in_cpg) {
			if (f->op || f->retry)
				log_info("fencing of %s no longer needed here",
				    cn->name);
			fence_cancel(f);
			continue;
		}
		if (f->op || f->retry || f->sent_ok || !may_start)
			continue;
		if (cn->fence_agent == NULL) {
			if (!f->noted)
				fence_send(n, false, "%s has no fence_agent: "
				    "its groups stay down until an operator "
				    "runs: pgha node confirm-down %s",
				    cn->name, cn->name);
			f->noted = true;
			continue;
		}
		f->attempts++;
		log_notice("fencing %s (attempt %d): %s action=off", cn->name,
		    f->attempts, cn->fence_agent);
		f->op = agent_run_fence(cn, "off", fence_done, f);
		if (f->op == NULL)
			f->retry = loop_timer_add(5000, fence_retry_cb, f);
	}
}

static void
join_wait_cb(void *arg)
{
	join_wait_timer = NULL;
	after_change();
}

/* A corosync member whose pghad has not joined yet, while starting up. */
static bool
waiting_for_members(void)
{
	uint64_t	age = now_ms() - started_ms;
	int		n;

	if (age >= JOIN_WAIT_MS)
		return false;
	for (n = 0; n < conf->nnodes; n++) {
		const struct node_rt *nd = &cs->nodes[n];

		if (n == cs->local || !nd->cs_member || nd->in_cpg ||
		    nd->daemon_down)
			continue;
		if (join_wait_timer == NULL)
			join_wait_timer = loop_timer_add(JOIN_WAIT_MS - age,
			    join_wait_cb, NULL);
		return true;
	}
	return false;
}

static struct loop_timer	*wake_timer;

static void
wake_timer_cb(void *arg)
{
	wake_timer = NULL;
	after_change();
}

/* What time alone changes (a ban ends, a failback window opens). */
static void
wake_timer_arm(void)
{
	uint64_t	next = decide_wake_at(cs);

	loop_timer_cancel(wake_timer);
	wake_timer = NULL;
	if (next != 0)
		wake_timer = loop_timer_add(next > cs->now_wall ?
		    next - cs->now_wall : 0, wake_timer_cb, NULL);
}

static void
decide_all(void)
{
	struct decision	*d;
	struct msg	 m;
	uint32_t	*targets;
	int		 gi, n;
	bool		 wait_members;

	fence_check(cs->quorate && cpg_ok && i_am_decider(), cs->stable);
	cs->all_recorded = all_recorded();
	cs->now_wall = wall_ms();
	if (!cs->stable || !cs->quorate || !cpg_ok || decides_in_flight ||
	    !i_am_decider() || !cs->all_recorded)
		return;
	for (n = 0; n < conf->nnodes; n++) {
		if (!cs->nodes[n].daemon_down || cs->nodes[n].cs_member)
			continue;
		memset(&m, 0, sizeof(m));
		m.type = MSG_NODEDOWN;
		m.u.nodedown.nodeid = conf->nodes[n].nodeid;
		decides_in_flight++;
		send_msg(&m);
	}
	wait_members = waiting_for_members();
	d = xmalloc(sizeof(*d));
	targets = xcalloc((size_t)conf->ngroups, sizeof(*targets));
	for (gi = 0; gi < conf->ngroups; gi++)
		targets[gi] = cs->groups[gi].target;
	for (gi = 0; gi < conf->ngroups; gi++) {
		if (wait_members && !cs->groups[gi].placed)
			continue;
		if (!decide_group(cs, gi, d))
			continue;
		/*
		 * The groups decided later in this pass count this one where
		 * it goes (fewest groups first); the state itself changes
		 * only when the decision is delivered.
		 */
		cs->groups[gi].target = d->g.target;
		memset(&m, 0, sizeof(m));
		m.type = MSG_DECIDE;
		group_to_msg(gi, &d->g, &m.u.decide, d->fc, d->nfc);
		decides_in_flight++;
		send_msg(&m);
		msg_clear(&m);
	}
	for (gi = 0; gi < conf->ngroups; gi++)
		cs->groups[gi].target = targets[gi];
	free(targets);
	free(d);
	wake_timer_arm();
}

static void
after_change(void)
{
	check_members_changed();
	decide_all();
	local_kick();
}

/* --- CPG callbacks -------------------------------------------------- */

/* Give the requester of our request seq its answer. */
static void
answer_request(uint32_t seq, const char *code, const char *why,
    const char *target)
{
	struct pending_req	**pp, *p;

	for (pp = &preqs; (p = *pp) != NULL; pp = &p->next)
		if (p->seq == seq) {
			*pp = p->next;
			p->done(p->arg, code, why, target);
			free(p);
			return;
		}
}

/* Requests that can no longer be delivered fail. */
static void
fail_requests(const char *why)
{
	struct pending_req	*p;

	while ((p = preqs) != NULL) {
		preqs = p->next;
		p->done(p->arg, "failed", why, "");
		free(p);
	}
}

void
cluster_request_forget(void *arg)
{
	struct pending_req	**pp, *p;

	for (pp = &preqs; (p = *pp) != NULL;)
		if (p->arg == arg) {
			*pp = p->next;
			free(p);
		} else
			pp = &p->next;
}

/* --- who may speak: the registered pghad of each node ---------------- */

/* True if pid is the process node nodeid registered in the group. */
static bool
registered(uint32_t nodeid, uint32_t pid)
{
	int	n = state_node_idx(cs, nodeid);

	return n >= 0 && cs->nodes[n].in_cpg && cs->nodes[n].cpg_pid == pid;
}

/*
 * Whether a process of node n that is in the group now may be taken as
 * its pghad: on our own node only we are; elsewhere the first one wins,
 * and a second one while the first is still a member is an intruder.
 */
static bool
may_register(int n, uint32_t pid, const struct cpg_address *mem,
    size_t nmem)
{
	char	why[128];
	size_t	k;

	if (n == cs->local) {
		if (pid == my_pid)
			return true;
		snprintf(why, sizeof(why), "this node's pghad is pid %u",
		    my_pid);
		intruder_joined(GROUP_NAME, conf->nodes[n].nodeid, pid, why);
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
	intruder_joined(GROUP_NAME, conf->nodes[n].nodeid, pid, why);
	return false;
}

static void
deliver_cb(cpg_handle_t h, const struct cpg_name *name, uint32_t nodeid,
    uint32_t pid, void *buf, size_t len)
{
	struct msg	m;
	bool		mine = nodeid == my_nodeid && pid == my_pid;

	if (!mine && !registered(nodeid, pid)) {
		intruder_msg(nodeid, pid, len);
		return;
	}
	if (msg_decode(buf, len, &m) < 0) {
		if (mine)	/* frees what it took of the query room */
			sendq_delivered(MSG_CHECKED, len);
		log_warnx("malformed message (%zu bytes) from node %u pid %u: "
		    "ignored", len, nodeid, pid);
		return;
	}
	if (mine)
		sendq_delivered(m.type, len);
	switch (m.type) {
	case MSG_CHECK:
	case MSG_CHECKED:
		check_deliver(nodeid, &m);
		msg_clear(&m);
		return;
	case MSG_CONNS:
		conntrack_deliver(nodeid, &m);
		msg_clear(&m);
		return;
	case MSG_SYNC:
		apply_sync(nodeid, &m);
		break;
	case MSG_RECORD:
		if (mine && records_in_flight > 0)
			records_in_flight--;
		apply_record(nodeid, &m, true);
		break;
	default:
		if (mine && decides_in_flight > 0 &&
		    (m.type == MSG_DECIDE || m.type == MSG_NODEDOWN))
			decides_in_flight--;
		apply_cluster_msg(nodeid, &m, true);
		if (mine && m.type == MSG_REQUEST)
			answer_request(m.u.request.seq, req_code, req_why,
			    req_target);
		elog_add(nodeid, &m);
		break;
	}
	msg_clear(&m);
	after_change();
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
member_left(const struct cpg_address *a)
{
	int		 n = state_node_idx(cs, a->nodeid);
	struct node_rt	*nd;
	bool		 active;
	const char	*why, *was;

	if (n < 0 || a->pid == 0)
		return;
	nd = &cs->nodes[n];
	if (!nd->in_cpg || nd->cpg_pid != a->pid)
		return;
	was = node_admin_name(nd->flags);
	nd->in_cpg = false;
	nd->synced = nd->recorded = false;
	active = node_active(n);
	if (a->reason == CPG_REASON_NODEDOWN || !active) {
		why = a->reason == CPG_REASON_NODEDOWN ?
		    "left corosync's membership (down, cut off or frozen)" :
		    "its pghad left the cluster with nothing running";
		node_gone(n, wall_ms(), local_name(), was, why);
	} else {
		nd->daemon_down = true;
		events_add(wall_ms(), local_name(), NULL,
		    objname("node", conf->nodes[n].name), was,
		    "daemon-down", "its pghad is gone but the node is still "
		    "a member: what it runs is left in place");
	}
	nd->refused = false;
}

/* The registered members, sorted: what SYNC messages name. */
static void
members_set(void)
{
	int	n;

	nmembers = 0;
	for (n = 0; n < conf->nnodes && nmembers < MAX_MEMBERS; n++)
		if (cs->nodes[n].in_cpg)
			members[nmembers++] = (uint64_t)conf->nodes[n].nodeid
			    << 32 | cs->nodes[n].cpg_pid;
	qsort(members, (size_t)nmembers, sizeof(uint64_t), cmp_u64);
}

static void
confchg_cb(cpg_handle_t h, const struct cpg_name *name,
    const struct cpg_address *mem, size_t nmem,
    const struct cpg_address *left, size_t nleft,
    const struct cpg_address *join, size_t njoin)
{
	size_t	i, njoined = 0;

	for (i = 0; i < nleft; i++)
		if (!intruder_left(GROUP_NAME, left[i].nodeid, left[i].pid))
			member_left(&left[i]);
	for (i = 0; i < njoin; i++) {
		int n = state_node_idx(cs, join[i].nodeid);

		if (n < 0) {
			log_warnx("node id %u joined but is not in %s: "
			    "ignored", join[i].nodeid, conf->path);
			continue;
		}
		if (!may_register(n, join[i].pid, mem, nmem))
			continue;
		njoined++;
		if (join[i].nodeid == my_nodeid && join[i].pid == my_pid)
			joined = true;
		cs->nodes[n].in_cpg = true;
		cs->nodes[n].cpg_pid = join[i].pid;
		cs->nodes[n].synced = cs->nodes[n].recorded = false;
		cs->nodes[n].daemon_down = cs->nodes[n].refused = false;
		/* Back before it was fenced: its record will say what runs. */
		cs->nodes[n].unclean = false;
		if (n != cs->local)
			events_add(wall_ms(), local_name(), NULL,
			    objname("node", conf->nodes[n].name),
			    "offline", "joining", "its pghad joined");
	}
	/* A joiner has none of our client lists: they go out again. */
	if (njoined > 0)
		conntrack_resend();
	/* Members we joined alongside: known from the member list only. */
	for (i = 0; i < nmem; i++) {
		int n = state_node_idx(cs, mem[i].nodeid);

		if (n < 0 || (cs->nodes[n].in_cpg &&
		    cs->nodes[n].cpg_pid == mem[i].pid) ||
		    !may_register(n, mem[i].pid, mem, nmem))
			continue;
		cs->nodes[n].in_cpg = true;
		cs->nodes[n].cpg_pid = mem[i].pid;
		cs->nodes[n].synced = cs->nodes[n].recorded = false;
		cs->nodes[n].daemon_down = cs->nodes[n].refused = false;
		cs->nodes[n].unclean = false;
	}
	/* Gone while we were cut off from corosync: left unseen. */
	for (i = 0; i < (size_t)conf->nnodes; i++) {
		struct cpg_address	a;
		size_t			k;

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
		a.reason = CPG_REASON_PROCDOWN;
		member_left(&a);
	}
	members_set();
	log_info("membership: %d member(s), %zu left, %zu joined", nmembers,
	    nleft, njoin);
	/*
	 * A join starts a sync round; so does any change while one is
	 * pending, since the SYNCs of the old round name the old members.
	 */
	if (joined && (njoined > 0 || round_pending)) {
		bool synced = cs->nodes[cs->local].synced;

		elog_clear();
		round_clear();
		round_pending = true;
		cs->stable = false;
		send_sync(synced);
		{
			struct msg rec;

			local_record(&rec);
			records_in_flight++;
			send_msg(&rec);
			msg_clear(&rec);
		}
	}
	after_change();
}

static void
cpg_fd_cb(int fd, uint32_t events, void *arg)
{
	cs_error_t	err = cpg_dispatch(cpg, CS_DISPATCH_ALL);

	if (err == CS_OK || err == CS_ERR_TRY_AGAIN)
		return;
	log_warnx("lost the connection to corosync (cpg error %d): "
	    "stopping local resources", err);
	events_add(wall_ms(), local_name(), NULL,
	    objname("node", local_name()), "online", "cut-off",
	    "lost the connection to corosync");
	loop_del_fd(fd);
	cpg_finalize(cpg);
	cpg_ok = joined = false;
	update_quorate();
	cs->stable = false;
	/* Rejoining, we are a joiner: nothing of the old view is current. */
	sendq_drop();
	intruder_clear();
	elog_clear();
	round_clear();
	round_pending = false;
	for (int n = 0; n < conf->nnodes; n++) {
		cs->nodes[n].in_cpg = false;
		cs->nodes[n].synced = cs->nodes[n].recorded = false;
	}
	records_in_flight = decides_in_flight = 0;
	fail_requests("lost the connection to corosync before the request "
	    "was delivered");
	if (reconnect_timer == NULL)
		reconnect_timer = loop_timer_add(RECONNECT_MS,
		    (loop_timer_cb)cpg_connect, NULL);
	after_change();
}

/* --- quorum --------------------------------------------------------- */

static void
quorum_cb(quorum_handle_t h, uint32_t quorate, uint64_t ring_seq,
    uint32_t n, uint32_t *list)
{
	uint32_t	i;
	int		k;

	for (k = 0; k < conf->nnodes; k++)
		cs->nodes[k].cs_member = false;
	for (i = 0; i < n; i++)
		if ((k = state_node_idx(cs, list[i])) >= 0)
			cs->nodes[k].cs_member = true;
	q_quorate = quorate != 0;
	update_quorate();
	after_change();
}

static void
quorum_fd_cb(int fd, uint32_t events, void *arg)
{
	cs_error_t	err = quorum_dispatch(qh, CS_DISPATCH_ALL);

	if (err == CS_OK || err == CS_ERR_TRY_AGAIN)
		return;
	log_warnx("lost the quorum service (error %d)", err);
	loop_del_fd(fd);
	quorum_finalize(qh);
	q_ok = false;
	q_quorate = false;
	update_quorate();
	if (reconnect_timer == NULL)
		reconnect_timer = loop_timer_add(RECONNECT_MS,
		    (loop_timer_cb)cpg_connect, NULL);
	after_change();
}

static int
quorum_connect(void)
{
	quorum_model_v0_data_t	md;
	uint32_t		qtype;
	int			fd, q = 0;

	memset(&md, 0, sizeof(md));
	md.model = QUORUM_MODEL_V0;
	md.quorum_notify_fn = quorum_cb;
	if (quorum_model_initialize(&qh, QUORUM_MODEL_V0,
	    (quorum_model_data_t *)&md, &qtype, NULL) != CS_OK)
		return -1;
	if (quorum_getquorate(qh, &q) != CS_OK ||
	    quorum_trackstart(qh, CS_TRACK_CHANGES | CS_TRACK_CURRENT) !=
	    CS_OK || quorum_fd_get(qh, &fd) != CS_OK) {
		quorum_finalize(qh);
		return -1;
	}
	q_quorate = q != 0;
	loop_add_fd(fd, EPOLLIN, quorum_fd_cb, NULL);
	q_ok = true;
	update_quorate();
	return 0;
}

/* --- connection ----------------------------------------------------- */

static cpg_model_v1_data_t cpg_model = {
	.model = CPG_MODEL_V1,
	.cpg_deliver_fn = deliver_cb,
	.cpg_confchg_fn = confchg_cb,
	.flags = 0,
};

static int
cpg_open(void)
{
	struct cpg_name	gn;
	int		fd;
	cs_error_t	err;

	if (cpg_model_initialize(&cpg, CPG_MODEL_V1,
	    (cpg_model_data_t *)&cpg_model, NULL) != CS_OK)
		return -1;
	if (cpg_local_get(cpg, &my_nodeid) != CS_OK ||
	    cpg_fd_get(cpg, &fd) != CS_OK) {
		cpg_finalize(cpg);
		return -1;
	}
	my_pid = (uint32_t)getpid();
	memset(&gn, 0, sizeof(gn));
	snprintf(gn.value, sizeof(gn.value), "%s", GROUP_NAME);
	gn.length = (uint32_t)strlen(GROUP_NAME);
	err = cpg_join(cpg, &gn);
	if (err != CS_OK) {
		log_warnx("cpg_join: error %d", err);
		cpg_finalize(cpg);
		return -1;
	}
	loop_add_fd(fd, EPOLLIN, cpg_fd_cb, NULL);
	cpg_ok = true;
	update_quorate();
	return 0;
}

static void
cpg_connect(void)
{
	reconnect_timer = NULL;
	if (!q_ok && quorum_connect() < 0) {
		reconnect_timer = loop_timer_add(RECONNECT_MS,
		    (loop_timer_cb)cpg_connect, NULL);
		return;
	}
	if (cpg_ok)
		return;
	if (cpg_open() < 0) {
		log_warnx("cannot reach corosync's process group service; "
		    "retrying");
		reconnect_timer = loop_timer_add(RECONNECT_MS,
		    (loop_timer_cb)cpg_connect, NULL);
		return;
	}
	log_notice("joined corosync's process group %s as node %s (id %u)",
	    GROUP_NAME, local_name(), my_nodeid);
	after_change();
}

struct cstate *
cluster_init(const struct conf *c)
{
	const struct conf_node	*me;
	struct cstate		*st;
	int			 tries;

	conf = c;
	started_ms = now_ms();
	sendq_init(mcast, message_lost);
	for (tries = 0;; tries++) {
		if (cpg_model_initialize(&cpg, CPG_MODEL_V1,
		    (cpg_model_data_t *)&cpg_model, NULL) == CS_OK &&
		    cpg_local_get(cpg, &my_nodeid) == CS_OK)
			break;
		if (tries == 0)
			log_warnx("corosync is not running here; waiting");
		if (tries >= 600)
			exit(EXIT_COROSYNC);
		usleep(100 * 1000);	/* start-up only: nothing to serve */
	}
	cpg_finalize(cpg);
	if ((me = conf_node_by_id(conf, my_nodeid)) == NULL) {
		log_warnx("this node's corosync node id %u is not in %s",
		    my_nodeid, conf->path);
		exit(EXIT_NOT_IN_CONFIG);
	}
	st = state_new(conf);
	st->local = me->index;
	cs = st;
	if (quorum_connect() < 0) {
		log_warnx("cannot reach corosync's quorum service");
		exit(EXIT_COROSYNC);
	}
	cs = st;
	return st;
}

void
cluster_join(void)
{
	join_wall = wall_ms();
	cpg_connect();
}

void
cluster_leave(void)
{
	struct cpg_name	gn;

	if (cpg_ok) {
		memset(&gn, 0, sizeof(gn));
		snprintf(gn.value, sizeof(gn.value), "%s", GROUP_NAME);
		gn.length = (uint32_t)strlen(GROUP_NAME);
		sendq_flush();
		cpg_leave(cpg, &gn);
		cpg_finalize(cpg);
		cpg_ok = false;
	}
	if (q_ok) {
		quorum_finalize(qh);
		q_ok = false;
	}
	elog_clear();
	fail_requests("pghad is leaving the cluster");
	fence_check(false, false);
}

/* --- requests and status -------------------------------------------- */

static bool
op_on_group(enum req_op op)
{
	return op == REQ_ONLINE || op == REQ_OFFLINE || op == REQ_MOVE ||
	    op == REQ_UNMANAGE || op == REQ_MANAGE;
}

static bool
op_on_node(enum req_op op)
{
	return op == REQ_CONFIRM_DOWN || op == REQ_NODE_STOP ||
	    op == REQ_NODE_START || op == REQ_NODE_PAUSE ||
	    op == REQ_NODE_RESUME;
}

/* Names in a request that this node's cluster file does not know. */
static int
request_names(enum req_op op, const char *group, const char *to,
    const char **code, char *msg, size_t len)
{
	if (op_on_group(op) && conf_group_by_name(conf, group) == NULL) {
		*code = "unknown-group";
		snprintf(msg, len, "no group named \"%s\" in %s", group,
		    conf->path);
		return -1;
	}
	if ((op_on_node(op) || (op == REQ_MOVE && *to)) &&
	    conf_node_by_name(conf, to) == NULL) {
		*code = "unknown-node";
		snprintf(msg, len, "no node named \"%s\" in %s", to,
		    conf->path);
		return -1;
	}
	if ((op == REQ_RES_ONLINE || op == REQ_RES_OFFLINE) &&
	    conf_resource_by_name(conf, to) == NULL) {
		*code = "unknown-resource";
		snprintf(msg, len, "no resource named \"%s\" in %s", to,
		    conf->path);
		return -1;
	}
	return 0;
}

int
cluster_request(enum req_op op, const char *group, const char *to,
    uint32_t flags, unsigned uid, const char **code, char *msg, size_t len,
    request_done_cb done, void *arg)
{
	const struct conf_group	*g = NULL;
	const struct conf_node	*n = NULL;
	struct msg		 m;
	char			 why[CAUSE_LEN / 2];
	struct pending_req	*p;

	group = group ? group : "";
	to = to ? to : "";
	if (request_names(op, group, to, code, msg, len) == -1)
		return -1;
	if (op_on_group(op))
		g = conf_group_by_name(conf, group);
	if (op_on_node(op) || op == REQ_MOVE)
		n = conf_node_by_name(conf, to);
	if (!cpg_ok || !joined || !cs->stable) {
		*code = "not-ready";
		snprintf(msg, len, "pghad on %s has not joined the cluster "
		    "yet", local_name());
		return -1;
	}
	if (!cs->quorate) {
		*code = "no-quorum";
		snprintf(msg, len, "%s's partition has no quorum: nothing can "
		    "be changed from here", local_name());
		return -1;
	}
	if (op == REQ_CONFIRM_DOWN) {
		if (cs->nodes[n->index].in_cpg) {
			*code = "failed";
			snprintf(msg, len, "%s is an active member of the "
			    "cluster: it is not down", n->name);
			return -1;
		}
		/* Corosync's view here, fresher than the replicated one. */
		if (cs->nodes[n->index].cs_member) {
			*code = "failed";
			member_refusal(n->name, msg, len);
			return -1;
		}
	}
	if (op == REQ_MOVE) {
		if (n && !state_node_eligible(cs, n->index)) {
			*code = cs->nodes[n->index].in_cpg ? "failed" :
			    "node-down";
			why[0] = '\0';
			(void)decide_node_usable(cs, g, n->index, why,
			    sizeof(why));
			snprintf(msg, len, "cannot move %s to %s", g->name,
			    why);
			return -1;
		}
		/* Without a node the best one is chosen when applied. */
		if (!n && decide_best_node(cs, g, state_group_owner(cs, g),
		    why, sizeof(why)) < 0) {
			*code = "failed";
			snprintf(msg, len, "no other node can take %s: %s",
			    g->name, why);
			return -1;
		}
	}
	memset(&m, 0, sizeof(m));
	m.type = MSG_REQUEST;
	m.u.request.op = (uint8_t)op;
	snprintf(m.u.request.group, sizeof(m.u.request.group), "%s",
	    g ? g->name : "");
	snprintf(m.u.request.to, sizeof(m.u.request.to), "%s", to);
	m.u.request.flags = flags;
	m.u.request.uid = uid;
	snprintf(m.u.request.origin, sizeof(m.u.request.origin), "%s",
	    local_name());
	m.u.request.seq = ++req_seq;
	p = xcalloc(1, sizeof(*p));
	p->seq = m.u.request.seq;
	p->done = done;
	p->arg = arg;
	p->next = preqs;
	preqs = p;
	send_msg(&m);
	return 0;
}

static const char *
node_state(int n)
{
	const struct node_rt	*nd = &cs->nodes[n];

	if (nd->refused)
		return "refused";
	if (nd->in_cpg && (!nd->synced || !nd->recorded))
		return "joining";
	if (nd->in_cpg && (nd->flags & NF_SHUTTING_DOWN))
		return "leaving";
	if (nd->in_cpg)
		return nd->flags & NF_STOPPED ? "stopped" :
		    nd->flags & NF_PAUSED ? "paused" : "online";
	if (nd->daemon_down)
		return "daemon-down";
	if (nd->unclean)
		return "unclean";
	return "offline";
}

static struct json_object *
jstr_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

/* Other nodes where it runs, started by hand: a second writer. */
static struct json_object *
also_by_hand_json(const struct conf_resource *r, int where)
{
	struct json_object	*a = json_object_new_array();
	int			 n;

	for (n = 0; n < conf->nnodes; n++) {
		const struct res_rt *rt = &cs->nodes[n].res[r->index];

		if (n != where && rt->state != RS_OFFLINE &&
		    (rt->flags & RF_BY_HAND))
			json_object_array_add(a,
			    json_object_new_string(conf->nodes[n].name));
	}
	return a;
}

static struct json_object *
resource_json(const struct conf_resource *r)
{
	struct json_object	*o = json_object_new_object();
	struct json_object	*fc = json_object_new_object();
	int			 n, where = -1, st = RS_OFFLINE;
	int			 err_st = RS_OFFLINE;
	uint64_t		 err_ms = 0;
	const char		*err = NULL;

	for (n = 0; n < conf->nnodes; n++) {
		const struct res_rt *rt = &cs->nodes[n].res[r->index];

		json_object_object_add(fc, conf->nodes[n].name,
		    json_object_new_int((int)state_fc(cs, r->index,
		    n)->count));
		/* The latest failure: a failed node's, else the newest. */
		if (rt->last_error[0] && (err == NULL ||
		    rt->state == RS_FAILED || rt->state == RS_STOP_FAILED ||
		    (err_st != RS_FAILED && err_st != RS_STOP_FAILED &&
		    rt->changed_ms > err_ms))) {
			err = rt->last_error;
			err_ms = rt->changed_ms;
			err_st = rt->state;
		}
		if (rt->state != RS_OFFLINE && (where < 0 ||
		    conf->nodes[n].nodeid == cs->groups[r->group->index]
		    .target)) {
			where = n;
			st = rt->state;
		}
	}
	if (where >= 0 && (cs->nodes[where].daemon_down ||
	    cs->nodes[where].unclean))
		st = RS_UNKNOWN;
	json_object_object_add(o, "wanted", json_object_new_boolean(
	    state_wanted(cs, r->group, r->gpos)));
	json_object_object_add(o, "by_hand", json_object_new_boolean(
	    where >= 0 && (cs->nodes[where].res[r->index].flags &
	    RF_BY_HAND)));
	json_object_object_add(o, "also_by_hand", also_by_hand_json(r, where));
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "type",
	    json_object_new_string(r->type_name));
	json_object_object_add(o, "state",
	    json_object_new_string(rstate_name(st)));
	json_object_object_add(o, "node",
	    where >= 0 ? json_object_new_string(conf->nodes[where].name) :
	    NULL);
	json_object_object_add(o, "failcount", fc);
	if (r->type == RT_ADDRESS)
		json_object_object_add(o, "clients",
		    json_object_new_int(conntrack_count(r)));
	json_object_object_add(o, "last_error", jstr_or_null(err));
	return o;
}

static struct json_object *
group_json(const struct conf_group *g)
{
	struct json_object	*o = json_object_new_object();
	struct json_object	*res = json_object_new_array();
	const struct group_rt	*gr = &cs->groups[g->index];
	int			 owner = state_group_owner(cs, g), i;

	json_object_object_add(o, "name", json_object_new_string(g->name));
	json_object_object_add(o, "state",
	    json_object_new_string(state_group_summary(cs, g)));
	json_object_object_add(o, "owner", owner >= 0 ?
	    json_object_new_string(conf->nodes[owner].name) : NULL);
	json_object_object_add(o, "target", gr->target ?
	    json_object_new_string(node_name(gr->target)) : NULL);
	json_object_object_add(o, "intent", json_object_new_string(
	    !gr->intent_online ? "offline" : gr->want == state_want_all(g) ?
	    "online" : "partial"));
	json_object_object_add(o, "managed",
	    json_object_new_boolean(!gr->unmanaged));
	json_object_object_add(o, "failovers",
	    json_object_new_int((int)gr->nfo));
	json_object_object_add(o, "reason", jstr_or_null(gr->reason));
	for (i = 0; i < g->nres; i++)
		json_object_array_add(res, resource_json(g->res[i]));
	json_object_object_add(o, "resources", res);
	return o;
}

struct json_object *
cluster_status(void)
{
	struct json_object	*o = json_object_new_object();
	struct json_object	*nodes = json_object_new_array();
	struct json_object	*groups = json_object_new_array();
	uint32_t		 dec = decider_id();
	int			 i;

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "cluster",
	    json_object_new_string(conf->cluster_name));
	json_object_object_add(o, "local_node",
	    json_object_new_string(local_name()));
	json_object_object_add(o, "quorate",
	    json_object_new_boolean(cs->quorate));
	json_object_object_add(o, "decider",
	    dec ? json_object_new_string(node_name(dec)) : NULL);
	json_object_object_add(o, "config_hash",
	    json_object_new_string(conf->hash));
	for (i = 0; i < conf->nnodes; i++) {
		struct json_object *n = json_object_new_object();

		json_object_object_add(n, "name",
		    json_object_new_string(conf->nodes[i].name));
		json_object_object_add(n, "id",
		    json_object_new_int((int)conf->nodes[i].nodeid));
		json_object_object_add(n, "state",
		    json_object_new_string(node_state(i)));
		json_object_object_add(n, "local",
		    json_object_new_boolean(i == cs->local));
		json_object_object_add(n, "drain", json_object_new_boolean(
		    cs->nodes[i].in_cpg && (cs->nodes[i].flags & NF_DRAIN)));
		json_object_array_add(nodes, n);
	}
	json_object_object_add(o, "nodes", nodes);
	for (i = 0; i < conf->ngroups; i++)
		json_object_array_add(groups, group_json(&conf->groups[i]));
	json_object_object_add(o, "groups", groups);
	return o;
}
