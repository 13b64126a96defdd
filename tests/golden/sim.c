/*
 * sim.c - a simulated pgha cluster (see sim.h and decide/README).
 *
 * Corosync is stood in for by a membership, quorum (more than half the
 * nodes) and one total order of messages per partition, every message
 * encoded and decoded by wire.c; each node's local.c by its next step
 * from decide_local_plan(), done at once (a start succeeds unless the
 * scenario broke the resource there, or runs until cancelled if the
 * scenario made it hang); the decider's adapter by sending
 * its plan's messages and printing the nodes to fence, whose outcome is
 * the scenario's to give.  Time is the scenario's: nothing here reads a
 * clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "decide.h"
#include "replica.h"
#include "reqcheck.h"
#include "sim.h"
#include "state.h"
#include "util.h"
#include "wire.h"

#define MAXQ		4096
#define MAX_ROUNDS	500
#define BASE_PID	1000

struct qmsg {
	int		 from;		/* node index */
	int		 part;		/* partition it was sent in */
	struct wbuf	 w;
	uint32_t	 seq;		/* a request's */
};

struct simnode {
	bool		 cs_up;		/* corosync runs (the node is up) */
	bool		 daemon;	/* pghad runs */
	int		 part;		/* corosync partition */
	uint32_t	 pid;
	struct replica	*rep;
	uint64_t	 started;	/* wall, when pghad started */
	struct res_rt	*facts;		/* what runs here: [nresources] */
	bool		*broken;	/* starts fail: [nresources] */
	bool		*hangs;		/* starts hang: [nresources] */
	bool		*running;	/* a start in flight: [nresources] */
	uint32_t	 admin;		/* NF_STOPPED|NF_PAUSED|NF_DRAIN */
	uint64_t	 fence_said;	/* nodes "fence" was printed for */
};

FILE			*sim_out;
jmp_buf			*sim_jmp;
const char		*sim_path = "-";
int			 sim_line;
static const char	*violation;	/* the first invariant broken */

static struct conf	*conf;
static struct simnode	 sn[CONF_MAX_NODES];
static struct qmsg	 q[MAXQ];
static int		 qhead, qtail;
static uint64_t		 now = 1767607200000ULL;	/* 2026-01-05 10:00Z */
static int32_t		 tz;
static int		 watch;		/* or the first node whose pghad runs */
static uint32_t		 req_seq;

static void	die(const char *, ...)
		    __attribute__((noreturn, format(printf, 1, 2)));

static void
die(const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (sim_jmp != NULL)
		longjmp(*sim_jmp, 1);
	fflush(stdout);
	printf("error: %s:%d: %s\n", sim_path, sim_line, buf);
	exit(2);
}

static void	say(const char *, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list	ap;

	if (sim_out == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(sim_out, fmt, ap);
	va_end(ap);
}

static int
node_arg(const char *name)
{
	const struct conf_node	*n;

	if (name == NULL || (n = conf_node_by_name(conf, name)) == NULL)
		die("no node named \"%s\"", name ? name : "");
	return n->index;
}

static const char *
nname(int n)
{
	return conf->nodes[n].name;
}

/* --- printing ------------------------------------------------------- */

static const char *
clock_str(uint64_t wall)
{
	static char	buf[32];
	time_t		t = (time_t)(wall / 1000);
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	return buf;
}

static int
watched(void)
{
	int	n;

	if (sn[watch].daemon)
		return watch;
	for (n = 0; n < conf->nnodes; n++)
		if (sn[n].daemon)
			return n;
	return watch;
}

static void
print_effects(int n, const struct replica_effects *fx, uint32_t seq)
{
	int	i;

	if (n == watched())
		for (i = 0; i < fx->nev; i++) {
			const struct replica_event *e = &fx->ev[i];

			say("  event %s: %s: %s -> %s (%s)\n", e->node,
			    e->object, e->from, e->to, e->cause);
		}
	if (fx->answered && seq != 0) {
		if (fx->code == NULL)
			say("  answer to %s: done%s%s\n", nname(n),
			    fx->target[0] ? ", target " : "", fx->target);
		else
			say("  answer to %s: %s: %s\n", nname(n), fx->code,
			    fx->why);
	}
	for (i = 0; i < fx->nintr; i++)
		say("  %s: intruder node %u pid %u: %s\n", nname(n),
		    fx->intr[i].nodeid, fx->intr[i].pid, fx->intr[i].why);
	if (fx->refuse)
		say("  %s: refuses to join: cluster file differs\n",
		    nname(n));
}

/* --- the bus -------------------------------------------------------- */

static void
send_from(int n, const struct msg *m, uint32_t seq)
{
	struct qmsg	*x;

	if (qtail - qhead >= MAXQ)
		die("message queue full");
	x = &q[qtail++ % MAXQ];
	x->from = n;
	x->part = sn[n].part;
	x->seq = seq;
	wbuf_init(&x->w);
	msg_encode(&x->w, m);
}

static void
record_msg(int n, struct msg *m)
{
	int	i;

	memset(m, 0, sizeof(*m));
	m->type = MSG_RECORD;
	m->wall = now;
	m->u.record.flags = NF_PROBED | sn[n].admin;
	m->u.record.nres = (uint32_t)conf->nresources;
	m->u.record.res = xcalloc((size_t)conf->nresources,
	    sizeof(struct msg_res));
	for (i = 0; i < conf->nresources; i++)
		state_res_to_msg(&sn[n].facts[i], conf->resources[i].name,
		    &m->u.record.res[i]);
}

static void
publish(int n)
{
	struct msg	m;

	record_msg(n, &m);
	send_from(n, &m, 0);
	msg_clear(&m);
}

static void	do_effects(int n, struct replica_effects *fx, uint32_t seq);

static void
step(int n, struct replica_input *in, uint32_t seq)
{
	struct replica_effects	fx;

	in->wall = now;
	replica_step(sn[n].rep, in, &fx);
	do_effects(n, &fx, seq);
}

static void
do_effects(int n, struct replica_effects *fx, uint32_t seq)
{
	int	i;

	print_effects(n, fx, seq);
	if (fx->refuse) {
		sn[n].daemon = false;
		replica_effects_clear(fx);
		return;
	}
	if (fx->set_admin) {
		sn[n].admin = fx->admin;
		/* local.c publishes its new state in its next record */
	}
	for (i = 0; i < fx->nout; i++) {
		fx->out[i].wall = now;
		send_from(n, &fx->out[i], 0);
	}
	/* local.c probes a group managed again (here: as it is) and
	 * publishes what it found. */
	if (fx->send_record || fx->set_admin || fx->nreprobe > 0)
		publish(n);
	replica_effects_clear(fx);
}

/* Deliver one message to every pghad of the sender's partition. */
static void
deliver_one(struct qmsg *x)
{
	int	n;

	for (n = 0; n < conf->nnodes; n++) {
		struct replica_input	in;
		struct msg		m;

		if (!sn[n].daemon || sn[n].part != x->part || !sn[n].cs_up)
			continue;
		if (!replica_registered(sn[n].rep, conf->nodes[x->from].nodeid,
		    sn[x->from].pid))
			continue;
		if (msg_decode(x->w.data, x->w.len, &m) < 0)
			die("a message did not decode");
		memset(&in, 0, sizeof(in));
		in.type = RIN_DELIVER;
		in.nodeid = conf->nodes[x->from].nodeid;
		in.m = &m;
		step(n, &in, n == x->from ? x->seq : 0);
		msg_clear(&m);
	}
	wbuf_free(&x->w);
}

static bool
flush(void)
{
	bool	any = false;

	while (qhead < qtail) {
		deliver_one(&q[qhead++ % MAXQ]);
		any = true;
	}
	return any;
}

/* --- the decider and the locals ------------------------------------- */

static void
refresh(int n)
{
	struct cstate	*cs = sn[n].rep->cs;

	cs->all_recorded = replica_all_recorded(sn[n].rep);
	cs->now_wall = now;
	cs->tz_offset_s = tz;
}

static void
broken(const char *what)
{
	if (violation == NULL)
		violation = what;
}

/* The plan again from the same state and input is the same; a group is
 * moved only to a node that may take it. */
static void
check_plan(const struct cstate *cs, const struct decide_input *in,
    const struct plan *p)
{
	struct plan	p2;
	int		i;

	decide_plan(cs, in, &p2);
	if (p2.fence != p->fence || p2.decided != p->decided ||
	    p2.nnodedown != p->nnodedown || p2.ndec != p->ndec ||
	    p2.join_wait_ms != p->join_wait_ms ||
	    p2.wake_at != p->wake_at ||
	    memcmp(p2.nodedown, p->nodedown, sizeof(p->nodedown)) != 0 ||
	    (p->ndec && memcmp(p2.dec, p->dec,
	    (size_t)p->ndec * sizeof(*p->dec)) != 0))
		broken("the same state and input gave another plan");
	decide_plan_clear(&p2);
	for (i = 0; i < p->ndec; i++) {
		const struct decision	*d = &p->dec[i];
		int			 t = state_node_idx(cs, d->g.target);

		if (d->g.target == 0 ||
		    d->g.target == cs->groups[d->group].target)
			continue;
		if (t < 0 || !state_node_eligible(cs, t) ||
		    (d->g.banned & (1ULL << t)) ||
		    !(cs->conf->groups[d->group].possible_mask & (1ULL << t)))
			broken("a group was planned on a node that may not "
			    "take it");
	}
}

static bool
decide_on(int n)
{
	struct replica		*rep = sn[n].rep;
	struct decide_input	 in;
	struct plan		 p;
	struct msg		 m;
	bool			 any = false;
	int			 i;

	refresh(n);
	memset(&in, 0, sizeof(in));
	in.now_wall = now;
	in.tz_offset_s = tz;
	in.uptime_ms = now - sn[n].started;
	in.decider = replica_decider_id(rep) == conf->nodes[n].nodeid;
	in.connected = true;
	decide_plan(rep->cs, &in, &p);
	check_plan(rep->cs, &in, &p);
	for (i = 0; i < conf->nnodes; i++) {
		uint64_t bit = 1ULL << i;

		if ((p.fence & bit) && p.fence_may_start &&
		    !(sn[n].fence_said & bit))
			say("  %s fences %s%s\n", nname(n), nname(i),
			    conf->nodes[i].fence_agent ? "" :
			    " (no fence_agent: waits for confirm-down)");
		if (p.fence & bit) {
			if (p.fence_may_start)
				sn[n].fence_said |= bit;
		} else
			sn[n].fence_said &= ~bit;
	}
	for (i = 0; i < p.nnodedown; i++) {
		memset(&m, 0, sizeof(m));
		m.type = MSG_NODEDOWN;
		m.wall = now;
		m.u.nodedown.nodeid = p.nodedown[i];
		send_from(n, &m, 0);
		any = true;
	}
	for (i = 0; i < p.ndec; i++) {
		memset(&m, 0, sizeof(m));
		m.type = MSG_DECIDE;
		m.wall = now;
		replica_group_to_msg(rep, p.dec[i].group, &p.dec[i].g,
		    &m.u.decide, p.dec[i].fc, p.dec[i].nfc);
		send_from(n, &m, 0);
		msg_clear(&m);
		any = true;
	}
	decide_plan_clear(&p);
	return any;
}

/* One step of node n's local.c for each group; true if it did any. */
static bool
local_on(int n)
{
	struct cstate	*cs = sn[n].rep->cs;
	bool		 any = false, acted = false;
	int		 gi;

	refresh(n);
	for (gi = 0; gi < conf->ngroups; gi++) {
		const struct conf_group	*g = &conf->groups[gi];
		struct local_res	 v[CONF_MAX_GROUP_RES];
		struct local_plan	 p;
		const struct local_step	*st = &p.step;
		struct res_rt		*x;
		int			 i;

		memset(v, 0, sizeof(v));
		for (i = 0; i < g->nres; i++) {
			int r = g->res[i]->index;

			v[i].run = sn[n].running[r] ? LRUN_START : LRUN_NONE;
			v[i].state = sn[n].facts[r].state;
			v[i].flags = sn[n].facts[r].flags;
		}
		decide_local_plan(cs, gi, v, &p);
		if (p.act == LACT_CANCEL) {
			/* Killed and reaped at once; it stays "starting". */
			for (i = 0; i < g->nres; i++) {
				int r = g->res[i]->index;

				if (!(p.cancel & (1ULL << i)) ||
				    !sn[n].running[r])
					continue;
				sn[n].running[r] = false;
				say("  %s: cancel the start of %s (%s)\n",
				    nname(n), conf->resources[r].name,
				    p.cancel_why);
				acted = true;
			}
			continue;
		}
		if (p.act != LACT_RUN)
			continue;
		x = &sn[n].facts[st->res];
		/* Not yet delivered back: local.c waits for its record. */
		if (cs->nodes[cs->local].res[st->res].state != x->state)
			continue;
		x->changed_ms = now;
		if (st->op == LOP_START && sn[n].hangs[st->res]) {
			x->state = RS_STARTING;
			sn[n].running[st->res] = true;
			snprintf(x->cause, sizeof(x->cause), "%s", st->why);
		} else if (st->op == LOP_START && sn[n].broken[st->res]) {
			x->state = RS_FAILED;
			x->fail_seq++;
			snprintf(x->cause, sizeof(x->cause), "start failed");
			snprintf(x->last_error, sizeof(x->last_error),
			    "start failed");
		} else {
			x->state = st->op == LOP_START ? RS_ONLINE :
			    RS_OFFLINE;
			snprintf(x->cause, sizeof(x->cause), "%s", st->why);
		}
		say("  %s: %s %s (%s)%s\n", nname(n),
		    st->op == LOP_START ? "start" : "stop",
		    conf->resources[st->res].name, st->why,
		    x->state == RS_FAILED ? ": fails" :
		    x->state == RS_STARTING ? ": hangs" : "");
		any = true;
	}
	if (any)
		publish(n);
	return any || acted;
}

/* Run until nothing more happens: messages, then decisions, then the
 * locals' steps. */
static void
settle(void)
{
	int	round, n;
	bool	any;

	for (round = 0; round < MAX_ROUNDS; round++) {
		any = flush();
		for (n = 0; n < conf->nnodes && !any; n++)
			if (sn[n].daemon && sn[n].cs_up)
				any = decide_on(n);
		for (n = 0; n < conf->nnodes && !any; n++)
			if (sn[n].daemon && sn[n].cs_up)
				any = local_on(n);
		if (!any)
			return;
	}
	say("  (did not settle in %d rounds)\n", MAX_ROUNDS);
}

/* --- membership ----------------------------------------------------- */

static void
member(struct replica_member *m, int n, bool nodedown)
{
	m->nodeid = conf->nodes[n].nodeid;
	m->pid = sn[n].pid;
	m->nodedown = nodedown;
}

/* Quorum: more than half the nodes (votes) in the partition. */
static void
quorum_all(void)
{
	int	n, k;

	for (n = 0; n < conf->nnodes; n++) {
		struct replica_input	in;
		uint32_t		list[CONF_MAX_NODES];
		size_t			nl = 0;

		if (!sn[n].daemon || !sn[n].cs_up)
			continue;
		for (k = 0; k < conf->nnodes; k++)
			if (sn[k].cs_up && sn[k].part == sn[n].part)
				list[nl++] = conf->nodes[k].nodeid;
		memset(&in, 0, sizeof(in));
		in.type = RIN_QUORUM;
		in.quorate = nl * 2 > (size_t)conf->nnodes;
		in.has_list = true;
		in.qlist = list;
		in.nqlist = nl;
		step(n, &in, 0);
	}
}

/*
 * The process group of every partition changed: left[n] says node n's
 * pghad left (1: its process, 2: its node), joined[n] that it joined.
 */
static void
confchg_all(const int *left, const bool *joined)
{
	int	n, k;

	for (n = 0; n < conf->nnodes; n++) {
		struct replica_member	mem[CONF_MAX_NODES],
					lm[CONF_MAX_NODES],
					jm[CONF_MAX_NODES];
		struct replica_input	in;
		size_t			nm = 0, nl = 0, nj = 0;

		if (!sn[n].daemon || !sn[n].cs_up)
			continue;
		for (k = 0; k < conf->nnodes; k++) {
			bool same = sn[k].part == sn[n].part;

			if (sn[k].daemon && sn[k].cs_up && same)
				member(&mem[nm++], k, false);
			if (left[k] && (k != n))
				member(&lm[nl++], k, left[k] == 2);
			if (joined[k] && sn[k].daemon && sn[k].cs_up && same)
				member(&jm[nj++], k, false);
		}
		memset(&in, 0, sizeof(in));
		in.type = RIN_CONFCHG;
		in.mem = mem;
		in.nmem = nm;
		in.left = lm;
		in.nleft = nl;
		in.join = jm;
		in.njoin = nj;
		step(n, &in, 0);
	}
}

static void
start_daemon(int n)
{
	struct replica_input	in;

	if (!sn[n].cs_up)
		die("%s is down: boot it first", nname(n));
	if (sn[n].daemon)
		die("pghad already runs on %s", nname(n));
	sn[n].rep = replica_new(conf, conf->nodes[n].nodeid, sn[n].pid);
	sn[n].rep->join_wall = now;
	sn[n].daemon = true;
	sn[n].started = now;
	sn[n].fence_said = 0;
	memset(&in, 0, sizeof(in));
	in.type = RIN_CPG_UP;
	step(n, &in, 0);
}

/* --- commands ------------------------------------------------------- */

static char	*argv_[32];
static int	 argc_;
static bool	 settle_after;

static void
cmd_start(void)
{
	int	left[CONF_MAX_NODES] = { 0 };
	bool	joined[CONF_MAX_NODES] = { false };
	int	i, n;

	flush();
	for (i = 1; i < argc_; i++) {
		n = node_arg(argv_[i]);
		start_daemon(n);
		joined[n] = true;
	}
	quorum_all();
	confchg_all(left, joined);
}

static void
cmd_kill(void)
{
	int	left[CONF_MAX_NODES] = { 0 };
	bool	joined[CONF_MAX_NODES] = { false };
	int	n = node_arg(argc_ > 1 ? argv_[1] : NULL);

	flush();
	if (!sn[n].daemon)
		die("pghad does not run on %s", nname(n));
	replica_free(sn[n].rep);
	sn[n].rep = NULL;
	sn[n].daemon = false;
	/* Its agents are orphans now: no start of it is in flight. */
	memset(sn[n].running, 0, (size_t)conf->nresources * sizeof(bool));
	left[n] = 1;
	confchg_all(left, joined);
	sn[n].pid++;	/* a new pghad is a new process */
}

/* The node is lost (power off, crash): corosync too. */
static void
cmd_crash(void)
{
	int	left[CONF_MAX_NODES] = { 0 };
	bool	joined[CONF_MAX_NODES] = { false };
	int	n = node_arg(argc_ > 1 ? argv_[1] : NULL), r;

	flush();
	if (sn[n].daemon) {
		replica_free(sn[n].rep);
		sn[n].rep = NULL;
		sn[n].daemon = false;
		left[n] = 2;
	}
	sn[n].cs_up = false;
	for (r = 0; r < conf->nresources; r++) {
		memset(&sn[n].facts[r], 0, sizeof(sn[n].facts[r]));
		sn[n].running[r] = false;
	}
	sn[n].admin = 0;
	quorum_all();
	confchg_all(left, joined);
	sn[n].pid++;
}

static void
cmd_boot(void)
{
	int	n = node_arg(argc_ > 1 ? argv_[1] : NULL), k;

	flush();
	sn[n].cs_up = true;
	/* It joins the corosync ring of the others (the first up node's). */
	sn[n].part = 0;
	for (k = 0; k < conf->nnodes; k++)
		if (k != n && sn[k].cs_up) {
			sn[n].part = sn[k].part;
			break;
		}
	quorum_all();
}

/*
 * A trailing "quorum-first": the quorum service's news reaches every
 * pghad before the process group's (Corosync gives no order between
 * the two); by default the process group's comes first.
 */
static bool
quorum_first(void)
{
	if (argc_ > 1 && strcmp(argv_[argc_ - 1], "quorum-first") == 0) {
		argv_[--argc_] = NULL;
		return true;
	}
	return false;
}

/* partition a b / c: corosync's rings become these sides: each node
 * loses those now on another side, and is joined by those that come
 * from another. */
static void
cmd_partition(void)
{
	int	left[CONF_MAX_NODES] = { 0 };
	bool	joined[CONF_MAX_NODES] = { false };
	int	side = 0, i, n;
	int	newpart[CONF_MAX_NODES], oldpart[CONF_MAX_NODES];
	bool	qfirst = quorum_first();

	flush();
	for (n = 0; n < conf->nnodes; n++)
		newpart[n] = -1;
	for (i = 1; i < argc_; i++) {
		if (strcmp(argv_[i], "/") == 0) {
			side++;
			continue;
		}
		newpart[node_arg(argv_[i])] = side;
	}
	for (n = 0; n < conf->nnodes; n++)
		if (newpart[n] < 0)
			die("partition: %s is on no side", nname(n));
	/* Each node sees those now on the other side leave; what it sends
	 * then goes to its new side only. */
	for (n = 0; n < conf->nnodes; n++) {
		oldpart[n] = sn[n].part;
		sn[n].part = newpart[n];
	}
	if (qfirst)
		quorum_all();
	for (n = 0; n < conf->nnodes; n++) {
		struct replica_member	mem[CONF_MAX_NODES],
					lm[CONF_MAX_NODES],
					jm[CONF_MAX_NODES];
		struct replica_input	in;
		size_t			nm = 0, nl = 0, nj = 0;
		int			k;

		(void)left;
		(void)joined;
		if (!sn[n].daemon || !sn[n].cs_up)
			continue;
		for (k = 0; k < conf->nnodes; k++) {
			if (!sn[k].daemon || !sn[k].cs_up)
				continue;
			if (newpart[k] == newpart[n]) {
				member(&mem[nm++], k, false);
				/* From another side before: it joins. */
				if (oldpart[k] != oldpart[n])
					member(&jm[nj++], k, false);
			} else if (oldpart[k] == oldpart[n])
				member(&lm[nl++], k, true);
		}
		memset(&in, 0, sizeof(in));
		in.type = RIN_CONFCHG;
		in.mem = mem;
		in.nmem = nm;
		in.left = lm;
		in.nleft = nl;
		in.join = jm;
		in.njoin = nj;
		step(n, &in, 0);
	}
	if (!qfirst)
		quorum_all();
}

/* heal: every partition merges; the others' pghads join. */
static void
cmd_heal(void)
{
	int	n, oldpart[CONF_MAX_NODES];
	bool	qfirst = quorum_first();

	flush();
	for (n = 0; n < conf->nnodes; n++) {
		oldpart[n] = sn[n].part;
		sn[n].part = 0;
	}
	if (qfirst)
		quorum_all();
	for (n = 0; n < conf->nnodes; n++) {
		struct replica_member	mem[CONF_MAX_NODES],
					jm[CONF_MAX_NODES];
		struct replica_input	in;
		size_t			nm = 0, nj = 0;
		int			k;

		if (!sn[n].daemon || !sn[n].cs_up)
			continue;
		for (k = 0; k < conf->nnodes; k++) {
			if (!sn[k].daemon || !sn[k].cs_up)
				continue;
			member(&mem[nm++], k, false);
			if (oldpart[k] != oldpart[n])
				member(&jm[nj++], k, false);
		}
		memset(&in, 0, sizeof(in));
		in.type = RIN_CONFCHG;
		in.mem = mem;
		in.nmem = nm;
		in.join = jm;
		in.njoin = nj;
		step(n, &in, 0);
	}
	if (!qfirst)
		quorum_all();
}

static const struct {
	const char	*name;
	enum req_op	 op;
	int		 argkind;	/* 0: group, 1: node, 2: resource,
					 * 3: group [node] */
} reqs[] = {
	{ "online", REQ_ONLINE, 0 },
	{ "offline", REQ_OFFLINE, 0 },
	{ "move", REQ_MOVE, 3 },
	{ "unmanage", REQ_UNMANAGE, 0 },
	{ "manage", REQ_MANAGE, 0 },
	{ "confirm-down", REQ_CONFIRM_DOWN, 1 },
	{ "node-stop", REQ_NODE_STOP, 1 },
	{ "node-start", REQ_NODE_START, 1 },
	{ "node-pause", REQ_NODE_PAUSE, 1 },
	{ "node-resume", REQ_NODE_RESUME, 1 },
	{ "res-online", REQ_RES_ONLINE, 2 },
	{ "res-offline", REQ_RES_OFFLINE, 2 },
};

/* request FROM OP ARG [ARG] [force] [drain] */
static void
cmd_request(void)
{
	struct msg	 m;
	const char	*code;
	char		 why[CAUSE_LEN];
	int		 from, i, k;

	if (argc_ < 4)
		die("%s FROM OP ARG...", argv_[0]);
	from = node_arg(argv_[1]);
	if (!sn[from].daemon)
		die("pghad does not run on %s", nname(from));
	for (k = 0; k < (int)(sizeof(reqs) / sizeof(reqs[0])); k++)
		if (strcmp(reqs[k].name, argv_[2]) == 0)
			break;
	if (k == (int)(sizeof(reqs) / sizeof(reqs[0])))
		die("no request \"%s\"", argv_[2]);
	memset(&m, 0, sizeof(m));
	m.type = MSG_REQUEST;
	m.wall = now;
	m.u.request.op = (uint8_t)reqs[k].op;
	if (reqs[k].argkind == 0 || reqs[k].argkind == 3)
		snprintf(m.u.request.group, sizeof(m.u.request.group), "%s",
		    argv_[3]);
	else
		snprintf(m.u.request.to, sizeof(m.u.request.to), "%s",
		    argv_[3]);
	for (i = 4; i < argc_; i++) {
		if (strcmp(argv_[i], "force") == 0)
			m.u.request.flags |= REQF_FORCE;
		else if (strcmp(argv_[i], "drain") == 0)
			m.u.request.flags |= REQF_DRAIN;
		else if (reqs[k].argkind == 3)
			snprintf(m.u.request.to, sizeof(m.u.request.to), "%s",
			    argv_[i]);
		else
			die("unexpected \"%s\"", argv_[i]);
	}
	snprintf(m.u.request.origin, sizeof(m.u.request.origin), "%s",
	    nname(from));
	/* As control.c does: checked where it is taken, then sent
	 * (request-unchecked: it passed its check on a view since gone). */
	if (strcmp(argv_[0], "request") == 0 && reqcheck(sn[from].rep->cs, sn[from].rep->joined, reqs[k].op,
	    m.u.request.group, m.u.request.to, &code, why,
	    sizeof(why)) == -1) {
		say("  refused on %s: %s: %s\n", nname(from), code, why);
		return;
	}
	m.u.request.seq = ++req_seq;
	send_from(from, &m, m.u.request.seq);
}

static int
res_arg(const char *name)
{
	const struct conf_resource	*r;

	if (name == NULL || (r = conf_resource_by_name(conf, name)) == NULL)
		die("no resource named \"%s\"", name ? name : "");
	return r->index;
}

/* fail NODE RES: the monitor finds it failed. */
static void
cmd_fail(void)
{
	int		 n = node_arg(argc_ > 1 ? argv_[1] : NULL);
	int		 r = res_arg(argc_ > 2 ? argv_[2] : NULL);
	struct res_rt	*x = &sn[n].facts[r];

	flush();
	if (x->state != RS_ONLINE)
		die("%s is not online on %s", argv_[2], nname(n));
	x->state = RS_FAILED;
	x->fail_seq++;
	x->changed_ms = now;
	snprintf(x->cause, sizeof(x->cause), "monitor failed");
	snprintf(x->last_error, sizeof(x->last_error), "monitor failed");
	if (sn[n].daemon)
		publish(n);
}

/* by-hand NODE RES: an operator started it by hand there. */
static void
cmd_by_hand(void)
{
	int		 n = node_arg(argc_ > 1 ? argv_[1] : NULL);
	int		 r = res_arg(argc_ > 2 ? argv_[2] : NULL);
	struct res_rt	*x = &sn[n].facts[r];

	flush();
	x->state = RS_ONLINE;
	x->flags |= RF_BY_HAND;
	x->changed_ms = now;
	snprintf(x->cause, sizeof(x->cause), "started by hand");
	if (sn[n].daemon)
		publish(n);
}

/* stop-by-hand NODE RES */
static void
cmd_stop_by_hand(void)
{
	int		 n = node_arg(argc_ > 1 ? argv_[1] : NULL);
	int		 r = res_arg(argc_ > 2 ? argv_[2] : NULL);
	struct res_rt	*x = &sn[n].facts[r];

	flush();
	x->state = RS_OFFLINE;
	x->flags = 0;
	x->changed_ms = now;
	snprintf(x->cause, sizeof(x->cause), "stopped by hand");
	if (sn[n].daemon)
		publish(n);
}

/* fenced BY NODE ok|failed: the decider's fencing outcome. */
static void
cmd_fenced(void)
{
	struct msg	m;
	int		by = node_arg(argc_ > 1 ? argv_[1] : NULL);
	int		n = node_arg(argc_ > 2 ? argv_[2] : NULL);
	bool		ok;

	if (argc_ != 4)
		die("fenced BY NODE ok|failed");
	ok = strcmp(argv_[3], "ok") == 0;
	memset(&m, 0, sizeof(m));
	m.type = MSG_FENCED;
	m.wall = now;
	m.u.fenced.nodeid = conf->nodes[n].nodeid;
	m.u.fenced.ok = ok;
	snprintf(m.u.fenced.text, sizeof(m.u.fenced.text), ok ?
	    "fenced: %s off" : "fencing failed: %s off: exit 1",
	    conf->nodes[n].fence_agent ? conf->nodes[n].fence_agent :
	    "(none)");
	send_from(by, &m, 0);
	if (ok) {	/* it is off: nothing runs there */
		int r;

		if (sn[n].daemon) {	/* cut off from us, still running */
			replica_free(sn[n].rep);
			sn[n].rep = NULL;
			sn[n].daemon = false;
			sn[n].pid++;
		}
		sn[n].cs_up = false;
		for (r = 0; r < conf->nresources; r++) {
			memset(&sn[n].facts[r], 0, sizeof(sn[n].facts[r]));
			sn[n].running[r] = false;
		}
	}
}

static uint64_t
duration(const char *s)
{
	char		*end;
	unsigned long	 v = strtoul(s, &end, 10);

	if (end == s)
		die("bad duration \"%s\"", s);
	if (strcmp(end, "ms") == 0)
		return v;
	if (strcmp(end, "s") == 0 || *end == '\0')
		return v * 1000;
	if (strcmp(end, "m") == 0)
		return v * 60000;
	if (strcmp(end, "h") == 0)
		return v * 3600000;
	die("bad duration \"%s\"", s);
	return 0;
}

/* time HH:MM (UTC, on the scenario's day) */
static void
cmd_time(void)
{
	unsigned	h, mi;
	uint64_t	day = now - now % 86400000ULL;

	if (argc_ != 2 || sscanf(argv_[1], "%u:%u", &h, &mi) != 2)
		die("time HH:MM");
	now = day + (uint64_t)(h * 60 + mi) * 60000;
}

static void
cmd_tz(void)
{
	int	h, mi = 0;

	if (argc_ != 2 || sscanf(argv_[1], "%d:%d", &h, &mi) < 1)
		die("tz +HH[:MM]");
	tz = h * 3600 + (h < 0 ? -mi : mi) * 60;
}

static void
show(void)
{
	struct cstate	*cs;
	int		 gi, n, i, w = watched();

	if (!sn[w].daemon)
		die("show: pghad runs nowhere");
	cs = sn[w].rep->cs;
	say("  as %s sees it: %s%s\n", nname(w),
	    cs->quorate ? "quorate" : "not quorate",
	    cs->stable ? "" : ", syncing");
	refresh(w);
	if (decide_wake_at(cs) != 0)
		say("  the decider looks again at %s\n",
		    clock_str(decide_wake_at(cs)));
	for (n = 0; n < conf->nnodes; n++) {
		const struct node_rt *nd = &cs->nodes[n];

		say("  node %s: %s%s%s%s\n", nname(n),
		    nd->in_cpg ? "member" : nd->daemon_down ? "daemon-down" :
		    nd->unclean ? "unclean" : "offline",
		    nd->in_cpg ? ", " : "",
		    nd->in_cpg ? replica_admin_name(nd->flags) : "",
		    nd->refused ? ", refused" : "");
	}
	for (gi = 0; gi < conf->ngroups; gi++) {
		const struct conf_group	*g = &conf->groups[gi];
		const struct group_rt	*gr = &cs->groups[gi];
		const struct conf_node	*t = conf_node_by_id(conf, gr->target);

		say("  group %s: %s, target %s%s%s%s\n", g->name,
		    state_group_summary(cs, g), t ? t->name : "none",
		    gr->intent_online ? "" : ", intent offline",
		    gr->unmanaged ? ", unmanaged" : "",
		    gr->held ? ", held" : "");
		for (n = 0; n < conf->nnodes; n++) {
			char	line[512];
			size_t	l = 0;

			if (!state_group_active_on(cs, g, n))
				continue;
			line[0] = '\0';
			for (i = 0; i < g->nres; i++)
				l += (size_t)snprintf(line + l,
				    sizeof(line) - l, " %s=%s",
				    g->res[i]->name, rstate_name(
				    cs->nodes[n].res[g->res[i]->index].state));
			say("    on %s:%s\n", nname(n), line);
		}
		if (gr->banned) {
			say("    banned:");
			for (n = 0; n < conf->nnodes; n++)
				if (gr->banned & (1ULL << n))
					say(" %s", nname(n));
			say("\n");
		}
		say("    reason: %s\n", gr->reason);
	}
}

static void
run_cmd(void)
{
	const char	*c = argv_[0];

	if (strcmp(c, "start") == 0)
		cmd_start();
	else if (strcmp(c, "kill") == 0)
		cmd_kill();
	else if (strcmp(c, "crash") == 0)
		cmd_crash();
	else if (strcmp(c, "boot") == 0)
		cmd_boot();
	else if (strcmp(c, "partition") == 0)
		cmd_partition();
	else if (strcmp(c, "heal") == 0)
		cmd_heal();
	else if (strcmp(c, "request") == 0 ||
	    strcmp(c, "request-unchecked") == 0)
		cmd_request();
	else if (strcmp(c, "fail") == 0)
		cmd_fail();
	else if (strcmp(c, "by-hand") == 0)
		cmd_by_hand();
	else if (strcmp(c, "stop-by-hand") == 0)
		cmd_stop_by_hand();
	else if (strcmp(c, "breaks") == 0 || strcmp(c, "fixed") == 0 ||
	    strcmp(c, "hangs") == 0) {
		struct simnode	*x = &sn[node_arg(argc_ > 1 ? argv_[1] : NULL)];
		int		 r = res_arg(argc_ > 2 ? argv_[2] : NULL);

		x->broken[r] = c[0] == 'b';
		x->hangs[r] = c[0] == 'h';
	}
	else if (strcmp(c, "fenced") == 0)
		cmd_fenced();
	else if (strcmp(c, "wait") == 0)
		now += duration(argc_ > 1 ? argv_[1] : "");
	else if (strcmp(c, "time") == 0)
		cmd_time();
	else if (strcmp(c, "tz") == 0)
		cmd_tz();
	else if (strcmp(c, "watch") == 0)
		watch = node_arg(argc_ > 1 ? argv_[1] : NULL);
	else if (strcmp(c, "show") == 0)
		;
	else
		die("unknown command \"%s\"", c);
	if (settle_after)
		settle();
	if (strcmp(c, "show") == 0)
		show();
}

static void
split(char *line)
{
	char	*p = line, *t;

	argc_ = 0;
	while ((t = strsep(&p, " \t")) != NULL)
		if (*t && argc_ < (int)(sizeof(argv_) / sizeof(argv_[0])))
			argv_[argc_++] = t;
}

void
sim_command(char *line)
{
	split(line);
	/* A trailing "&": the next command comes before anything of this
	 * one is delivered. */
	settle_after = !(argc_ > 1 && strcmp(argv_[argc_ - 1], "&") == 0);
	if (!settle_after)
		argc_--;
	if (argc_ > 0)
		run_cmd();
}

bool
sim_node_up(int n)
{
	return sn[n].cs_up;
}

bool
sim_node_daemon(int n)
{
	return sn[n].daemon;
}

int
sim_node_part(int n)
{
	return sn[n].part;
}

bool
sim_fence_asked(int by, int n)
{
	return sn[by].daemon && (sn[by].fence_said & (1ULL << n));
}

const char *
sim_clock(void)
{
	return clock_str(now);
}

void
sim_init(struct conf *c)
{
	int	n;

	conf = c;
	memset(sn, 0, sizeof(sn));
	qhead = qtail = 0;
	now = 1767607200000ULL;		/* 2026-01-05 10:00Z */
	tz = 0;
	watch = 0;
	req_seq = 0;
	violation = NULL;
	for (n = 0; n < conf->nnodes; n++) {
		sn[n].cs_up = true;
		sn[n].pid = BASE_PID + conf->nodes[n].nodeid;
		sn[n].facts = xcalloc((size_t)conf->nresources,
		    sizeof(struct res_rt));
		sn[n].broken = xcalloc((size_t)conf->nresources,
		    sizeof(bool));
		sn[n].hangs = xcalloc((size_t)conf->nresources,
		    sizeof(bool));
		sn[n].running = xcalloc((size_t)conf->nresources,
		    sizeof(bool));
	}
}

void
sim_free(void)
{
	int	n;

	while (qhead < qtail)
		wbuf_free(&q[qhead++ % MAXQ].w);
	for (n = 0; conf != NULL && n < conf->nnodes; n++) {
		replica_free(sn[n].rep);
		free(sn[n].facts);
		free(sn[n].broken);
		free(sn[n].hangs);
		free(sn[n].running);
	}
	memset(sn, 0, sizeof(sn));
	conf = NULL;
}

/* Never two nodes run the same group (what runs by hand aside). */
static void
check_owners(void)
{
	int	gi, n, i;

	for (gi = 0; gi < conf->ngroups; gi++) {
		const struct conf_group	*g = &conf->groups[gi];
		int			 owners = 0;

		for (n = 0; n < conf->nnodes; n++) {
			if (!sn[n].cs_up)
				continue;	/* powered off */
			for (i = 0; i < g->nres; i++) {
				const struct res_rt *x =
				    &sn[n].facts[g->res[i]->index];

				if (x->state != RS_OFFLINE &&
				    !(x->flags & RF_BY_HAND))
					break;
			}
			if (i < g->nres)
				owners++;
		}
		if (owners > 1)
			broken("two nodes run the same group");
	}
}

/* The synced members of one partition hold the same cluster facts. */
static void
check_agree(void)
{
	int	a, b, gi;

	for (a = 0; a < conf->nnodes; a++)
		for (b = a + 1; b < conf->nnodes; b++) {
			const struct cstate *x, *y;

			if (!sn[a].daemon || !sn[b].daemon ||
			    sn[a].part != sn[b].part ||
			    !sn[a].cs_up || !sn[b].cs_up)
				continue;
			x = sn[a].rep->cs;
			y = sn[b].rep->cs;
			if (!x->stable || !y->stable ||
			    !x->nodes[x->local].synced ||
			    !y->nodes[y->local].synced)
				continue;
			for (gi = 0; gi < conf->ngroups; gi++)
				if (x->groups[gi].target !=
				    y->groups[gi].target ||
				    x->groups[gi].gen != y->groups[gi].gen ||
				    x->groups[gi].intent_online !=
				    y->groups[gi].intent_online)
					broken("two members of a partition "
					    "hold different cluster facts");
		}
}

const char *
sim_check(void)
{
	if (qhead == qtail) {
		check_owners();
		check_agree();
	}
	return violation;
}
