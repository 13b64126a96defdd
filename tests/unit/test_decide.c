/*
 * test_decide.c - the decision engine (decide.c) against hand-built
 * states: placement, failure accounting, blocking, and the local start
 * and stop order.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decide.h"
#include "replica.h"
#include "tap.h"

/* Every node may run a group: each has a fence agent (pgha.conf(5)). */
#define FA	"fence_agent = /usr/sbin/fence_x\n"

static const char *conf2 =
    "[node node1]\nnodeid = 1\n" FA "[node node2]\nnodeid = 2\n" FA
    "[group db1]\npreferred_owners = node1 node2\n"
    "[resource d]\ngroup = db1\ntype = disk\ndevice = /dev/loop9\n"
    "mountpoint = /srv/db1\nfstype = ext4\n"
    "[resource pg]\ngroup = db1\ntype = postgresql\ndata = /srv/db1/data\n"
    "requires = d ip\n%s"
    "[resource ip]\ngroup = db1\ntype = address\n"
    "address = 198.18.0.100/24\nrequires = d\n";

static const char *conf3 =
    "[node a]\nnodeid = 1\n" FA "[node b]\nnodeid = 2\n" FA
    "[node c]\nnodeid = 3\n" FA
    "[group g1]\n[group g2]\n[group g3]\n[group g4]\n";

/* Two nodes, one group with policy keys (extra), an address only. */
static const char *confp =
    "[node node1]\nnodeid = 1\n" FA "[node node2]\nnodeid = 2\n" FA
    "[node node3]\nnodeid = 3\n" FA
    "[group db1]\npreferred_owners = node1 node2\n%s"
    "[resource ip]\ngroup = db1\ntype = address\n"
    "address = 198.18.0.100/24\nrestart_period = 1m\nrestarts = 1\n";

static struct conf *
load(const char *fmt, const char *extra)
{
	char		 buf[4096];
	struct conf	*c;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(buf, sizeof(buf), fmt, extra);
#pragma GCC diagnostic pop
	c = conf_load_buf("test.conf", buf, strlen(buf), stderr);
	if (c == NULL)
		abort();
	return c;
}

static void
up(struct cstate *cs, int n)
{
	cs->nodes[n].in_cpg = cs->nodes[n].synced = true;
	cs->nodes[n].recorded = true;
	cs->nodes[n].unknown = false;	/* its record said what it runs */
}

/* Each test state is a replica's, so that decisions are applied as the
 * daemon applies them (replica.c), not by a copy of that code here. */
static struct replica	*reps[8];

static struct cstate *
fresh(const struct conf *c, int local)
{
	struct replica	*rep;
	struct cstate	*cs;
	int		 n, i;

	rep = replica_new(c, c->nodes[local].nodeid, 1);
	for (i = 0; reps[i] != NULL; i++)
		;
	reps[i] = rep;
	cs = rep->cs;
	for (n = 0; n < c->nnodes; n++)
		up(cs, n);
	cs->local = local;
	cs->quorate = cs->stable = cs->all_recorded = true;
	return cs;
}

static struct replica *
rep_of(const struct cstate *cs)
{
	int	i;

	for (i = 0; reps[i]->cs != cs; i++)
		;
	return reps[i];
}

static void
done(struct cstate *cs)
{
	int	i;

	for (i = 0; reps[i]->cs != cs; i++)
		;
	replica_free(reps[i]);
	for (; i + 1 < 8; i++)
		reps[i] = reps[i + 1];
	reps[7] = NULL;
}

static int
ridx(const struct conf *c, const char *name)
{
	return conf_resource_by_name(c, name)->index;
}

/* The decider's decision, delivered as MSG_DECIDE from the decider. */
static void
apply(struct cstate *cs, const struct decision *d)
{
	struct replica		*rep = rep_of(cs);
	struct replica_effects	 fx;
	struct replica_input	 in;
	struct msg		 m;

	memset(&m, 0, sizeof(m));
	m.type = MSG_DECIDE;
	replica_group_to_msg(rep, d->group, &d->g, &m.u.decide, d->fc,
	    d->nfc);
	memset(&in, 0, sizeof(in));
	in.type = RIN_DELIVER;
	in.nodeid = cs->conf->nodes[0].nodeid;
	in.m = &m;
	replica_step(rep, &in, &fx);
	replica_effects_clear(&fx);
	msg_clear(&m);
}

static void
all_state(struct cstate *cs, int n, int st)
{
	int	r;

	for (r = 0; r < cs->conf->nresources; r++)
		cs->nodes[n].res[r].state = (uint8_t)st;
}

static void
test_placement(void)
{
	struct conf	*c = load(conf2, "");
	struct cstate	*cs = fresh(c, 0);
	struct decision	 d;

	is_int(decide_group(cs, 0, &d), 1, "fresh cluster: a decision");
	is_int(d.g.target, 1, "fresh cluster: first preferred owner");
	apply(cs, &d);
	is_int(decide_group(cs, 0, &d), 0, "stable once placed");

	cs->nodes[0].in_cpg = false;
	is_int(decide_group(cs, 0, &d), 1, "owner left: a decision");
	is_int(d.g.target, 2, "owner left: next preferred owner");
	ok(strstr(d.g.reason, "failover from node1 to node2") != NULL,
	    "reason names the failover: %s", d.g.reason);
	apply(cs, &d);
	up(cs, 0);
	is_int(decide_group(cs, 0, &d), 0, "no failback when node1 returns");
	done(cs);

	cs = fresh(c, 0);
	all_state(cs, 1, RS_ONLINE);
	decide_group(cs, 0, &d);
	is_int(d.g.target, 2, "adopts the node where it already runs");
	ok(strstr(d.g.reason, "already active on node2") != NULL,
	    "reason: %s", d.g.reason);
	done(cs);

	cs = fresh(c, 0);
	cs->groups[0].intent_online = false;
	decide_group(cs, 0, &d);
	ok(d.g.placed && d.g.target == 0, "offline intent: placed nowhere");
	cs->groups[0].target = 1;
	decide_group(cs, 0, &d);
	is_int(d.g.target, 0, "offline intent: unplaced");
	done(cs);

	cs = fresh(c, 0);
	cs->nodes[0].in_cpg = cs->nodes[1].in_cpg = false;
	decide_group(cs, 0, &d);
	is_int(d.g.target, 0, "no eligible node: unplaced");
	ok(strstr(d.g.reason, "no node can run it") != NULL &&
	    strstr(d.g.reason, "node2: not a member") != NULL,
	    "reason says why each node was passed over: %s", d.g.reason);
	apply(cs, &d);
	is_int(decide_group(cs, 0, &d), 0, "and that is stable");
	done(cs);
	conf_free(c);
}

static void
test_failures(void)
{
	struct conf	*c = load(conf2, "");
	struct cstate	*cs = fresh(c, 0);
	struct decision	 d;
	int		 pg = ridx(c, "pg");

	decide_group(cs, 0, &d);
	apply(cs, &d);
	all_state(cs, 0, RS_ONLINE);
	cs->nodes[0].res[pg].state = RS_FAILED;
	cs->nodes[0].res[pg].fail_seq = 1;
	snprintf(cs->nodes[0].res[pg].last_error, CAUSE_LEN,
	    "monitor failed: exit 7");
	is_int(decide_group(cs, 0, &d), 1, "failure: a decision");
	is_int(d.g.target, 2, "restarts = 0: fails over at once");
	ok(d.g.banned & 1, "failed node banned");
	ok(strstr(d.g.reason, "pg failed on node1") != NULL &&
	    strstr(d.g.reason, "monitor failed: exit 7") != NULL,
	    "reason carries the failure: %s", d.g.reason);
	apply(cs, &d);
	is_int(state_fc(cs, pg, 0)->count, 1, "failure counted once");
	is_int(decide_group(cs, 0, &d), 0, "counted failure not recounted");

	/* Bans end after the group's ban_timeout (10m by default). */
	cs->now_wall = d.g.ban_ms[0] + 10 * 60 * 1000 - 1;
	is_int(decide_group(cs, 0, &d), 0, "ban holds until ban_timeout");
	cs->now_wall += 1;
	is_int(decide_group(cs, 0, &d), 1, "ban_timeout passed: a decision");
	ok(!(d.g.banned & 1), "node1 no longer banned");
	ok(d.nfc == 1 && d.fc[0].fc.count == 0, "its failure count reset");
	is_int(d.g.target, 2, "the group stays where it runs");
	cs->now_wall = 0;

	/* Now node2 fails too: nowhere left. */
	all_state(cs, 1, RS_ONLINE);
	cs->nodes[1].res[pg].state = RS_FAILED;
	cs->nodes[1].res[pg].fail_seq = 1;
	decide_group(cs, 0, &d);
	is_int(d.g.target, 0, "both nodes failed: group failed");
	ok(strstr(d.g.reason, "banned") != NULL, "reason: %s", d.g.reason);
	done(cs);
	conf_free(c);

	c = load(conf2, "restarts = 1\n");
	cs = fresh(c, 0);
	pg = ridx(c, "pg");
	decide_group(cs, 0, &d);
	apply(cs, &d);
	all_state(cs, 0, RS_ONLINE);
	cs->nodes[0].res[pg].state = RS_FAILED;
	cs->nodes[0].res[pg].fail_seq = 1;
	decide_group(cs, 0, &d);
	is_int(d.g.target, 1, "restarts = 1: first failure restarts here");
	apply(cs, &d);
	cs->nodes[0].res[pg].fail_seq = 2;
	decide_group(cs, 0, &d);
	is_int(d.g.target, 2, "restarts = 1: second failure fails over");
	done(cs);
	conf_free(c);
}

static void
test_blocking(void)
{
	struct conf	*c = load(conf2, "");
	struct cstate	*cs = fresh(c, 0);
	struct decision	 d;

	decide_group(cs, 0, &d);
	apply(cs, &d);
	all_state(cs, 0, RS_ONLINE);
	cs->nodes[0].res[ridx(c, "d")].state = RS_STOP_FAILED;
	cs->nodes[0].in_cpg = false;
	decide_group(cs, 0, &d);
	is_int(d.g.target, 1, "stop-failed: the group is not moved");
	ok(strstr(d.g.reason, "could not be stopped") != NULL, "reason: %s",
	    d.g.reason);
	done(cs);

	cs = fresh(c, 1);
	decide_group(cs, 0, &d);
	apply(cs, &d);
	all_state(cs, 0, RS_ONLINE);
	cs->nodes[0].in_cpg = false;
	cs->nodes[0].daemon_down = true;
	decide_group(cs, 0, &d);
	is_int(d.g.target, 1, "owner's pghad down: left in place");
	cs->nodes[0].daemon_down = false;
	cs->nodes[0].unclean = true;
	decide_group(cs, 0, &d);
	is_int(d.g.target, 1, "owner lost, not yet fenced: left in place");
	ok(strstr(d.g.reason, "waiting until it is fenced") != NULL,
	    "reason: %s", d.g.reason);
	cs->nodes[0].unclean = false;
	all_state(cs, 0, RS_OFFLINE);
	decide_group(cs, 0, &d);
	is_int(d.g.target, 2, "once fenced (facts cleared): fails over");
	done(cs);
	conf_free(c);
}

static void
test_fewest(void)
{
	struct conf	*c = load(conf3, "");
	struct cstate	*cs = fresh(c, 0);
	struct decision	 d;
	int		 gi, count[4] = { 0 };

	for (gi = 0; gi < 4; gi++) {
		decide_group(cs, gi, &d);
		apply(cs, &d);
		count[d.g.target]++;
	}
	ok(count[1] == 2 && count[2] == 1 && count[3] == 1,
	    "4 groups on 3 nodes: 2/1/1 (got %d/%d/%d)", count[1], count[2],
	    count[3]);
	is_int(decide_best_node(cs, &c->groups[0], 0, NULL, 0), 1,
	    "best other node for g1 (on a): b, fewest groups then lowest id");
	done(cs);
	conf_free(c);
}

static void
test_local(void)
{
	struct conf		*c = load(conf2, "");
	struct cstate		*cs = fresh(c, 0);
	struct decision		 d;
	struct local_step	 st;
	int			 dk = ridx(c, "d"), ip = ridx(c, "ip");
	int			 pg = ridx(c, "pg");

	decide_group(cs, 0, &d);
	apply(cs, &d);
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_START && st.res == dk, "start: disk first");
	cs->nodes[0].res[dk].state = RS_ONLINE;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_START && st.res == ip, "then the address");
	cs->nodes[0].res[ip].state = RS_ONLINE;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_START && st.res == pg, "then the server");
	cs->nodes[0].res[pg].state = RS_ONLINE;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_NONE, "all online: nothing to do");

	cs->nodes[1].res[dk].state = RS_ONLINE;
	cs->nodes[0].res[pg].state = RS_OFFLINE;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_NONE, "active on the other node: wait");
	cs->nodes[1].res[dk].state = RS_OFFLINE;
	cs->nodes[0].res[pg].state = RS_ONLINE;

	cs->groups[0].target = 2;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_STOP && st.res == pg, "stop: the server first");
	cs->nodes[0].res[pg].state = RS_OFFLINE;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_STOP && st.res == ip, "then the address");
	cs->nodes[0].res[ip].state = RS_OFFLINE;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_STOP && st.res == dk, "then the disk");

	cs->groups[0].target = 1;
	all_state(cs, 0, RS_ONLINE);
	cs->nodes[0].res[dk].state = RS_FAILED;
	cs->nodes[0].res[dk].fail_seq = 1;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_NONE, "failure not yet counted: wait for the decider");
	state_fc(cs, dk, 0)->seen_seq = 1;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_STOP && st.res == pg,
	    "failed disk: what requires it stops first");

	all_state(cs, 0, RS_ONLINE);
	cs->quorate = false;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_STOP && st.res == pg, "no quorum: stop, in order");
	cs->quorate = true;
	cs->stable = false;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_NONE, "not synced yet: touch nothing");
	done(cs);
	conf_free(c);
}

/* An address independent of the disk; the server requires both. */
static const char *confi =
    "[node node1]\nnodeid = 1\n" FA "[node node2]\nnodeid = 2\n" FA
    "[group db1]\npreferred_owners = node1 node2\n"
    "[resource d]\ngroup = db1\ntype = disk\ndevice = /dev/loop9\n"
    "mountpoint = /srv/db1\nfstype = ext4\n"
    "[resource ip]\ngroup = db1\ntype = address\n"
    "address = 198.18.0.100/24\n"
    "[resource pg]\ngroup = db1\ntype = postgresql\n"
    "data = /srv/db1/data\nrequires = d ip\n%s";

/*
 * An address that does not require the disk: both start as soon as the
 * group runs here (the executor runs them side by side), the server after
 * both; after the server both stop, and one already stopping is not
 * picked again.
 */
static void
test_independent(void)
{
	struct conf		*c = load(confi, "");
	struct cstate		*cs = fresh(c, 0);
	struct decision		 d;
	struct local_step	 st;
	int			 dk = ridx(c, "d"), ip = ridx(c, "ip");
	int			 pg = ridx(c, "pg");

	decide_group(cs, 0, &d);
	apply(cs, &d);
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_START && st.res == dk, "start: the disk");
	cs->nodes[0].res[dk].state = RS_STARTING;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_START && st.res == ip,
	    "the address while the disk starts (independent)");
	cs->nodes[0].res[ip].state = RS_STARTING;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_NONE, "the server waits for both");
	cs->nodes[0].res[dk].state = RS_ONLINE;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_NONE, "... still for the address");
	cs->nodes[0].res[ip].state = RS_ONLINE;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_START && st.res == pg, "then the server");
	cs->nodes[0].res[pg].state = RS_ONLINE;

	cs->groups[0].target = 2;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_STOP && st.res == pg, "stop: the server first");
	cs->nodes[0].res[pg].state = RS_STOPPING;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_NONE, "nothing else while it stops");
	cs->nodes[0].res[pg].state = RS_OFFLINE;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_STOP && st.res == ip, "then the address");
	cs->nodes[0].res[ip].state = RS_STOPPING;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_STOP && st.res == dk,
	    "and the disk while the address stops");
	done(cs);
	conf_free(c);
}

/* Position of resource index r in group 0. */
static int
gpos(const struct conf *c, int r)
{
	int	i;

	for (i = 0; i < c->groups[0].nres; i++)
		if (c->groups[0].res[i]->index == r)
			return i;
	abort();
}

/* What runs here for group 0: nothing but what the record says. */
static void
view(const struct cstate *cs, struct local_res *v)
{
	const struct conf_group	*g = &cs->conf->groups[0];
	int			 i;

	memset(v, 0, sizeof(*v) * CONF_MAX_GROUP_RES);
	for (i = 0; i < g->nres; i++) {
		v[i].state = cs->nodes[cs->local].res[g->res[i]->index].state;
		v[i].flags = cs->nodes[cs->local].res[g->res[i]->index].flags;
	}
}

/*
 * decide_local_plan(): what runs here already decides whether the next
 * step runs now, waits, or first cancels something.
 */
static void
test_local_plan(void)
{
	struct conf		*c = load(confi, "");
	struct cstate		*cs = fresh(c, 0);
	struct decision		 d;
	struct local_res	 v[CONF_MAX_GROUP_RES];
	struct local_plan	 p;
	int			 dk = ridx(c, "d"), ip = ridx(c, "ip");
	int			 pg = ridx(c, "pg");
	int			 pd = gpos(c, dk), pp = gpos(c, pg);

	decide_group(cs, 0, &d);
	apply(cs, &d);
	view(cs, v);
	decide_local_plan(cs, 0, v, &p);
	ok(p.act == LACT_RUN && p.step.op == LOP_START && p.step.res == dk &&
	    p.cancel == 0, "nothing runs: start the disk now");

	cs->nodes[0].res[dk].state = RS_STARTING;
	view(cs, v);
	v[pd].run = LRUN_START;
	decide_local_plan(cs, 0, v, &p);
	ok(p.act == LACT_RUN && p.step.op == LOP_START && p.step.res == ip,
	    "the address starts beside the disk's start");

	v[pd].run = LRUN_PROBE;
	decide_local_plan(cs, 0, v, &p);
	ok(p.act == LACT_NONE && p.cancel == 0,
	    "a probe runs: the address waits, nothing cancelled");
	v[pd].run = LRUN_START;
	v[pd].cancelling = true;
	decide_local_plan(cs, 0, v, &p);
	ok(p.act == LACT_NONE && p.cancel == 0,
	    "an op being cancelled: the address waits");
	v[pd].cancelling = false;

	/* Monitors make way. */
	cs->nodes[0].res[dk].state = RS_ONLINE;
	view(cs, v);
	v[pd].run = LRUN_MONITOR;
	decide_local_plan(cs, 0, v, &p);
	ok(p.act == LACT_CANCEL && p.cancel == (1ULL << pd) &&
	    p.cancel_why != NULL && p.step.res == ip,
	    "the disk's monitor is cancelled before the address starts");
	ok(!decide_local_busy(&c->groups[0], v),
	    "a monitor alone: not busy");
	v[pd].cancelling = true;
	ok(decide_local_busy(&c->groups[0], v),
	    "a monitor being cancelled: busy");
	v[pd].cancelling = false;

	/* A stop overtakes the start of its own resource. */
	cs->nodes[0].res[dk].state = RS_STARTING;
	cs->groups[0].target = 2;
	view(cs, v);
	v[pd].run = LRUN_START;
	decide_local_plan(cs, 0, v, &p);
	ok(p.act == LACT_CANCEL && p.step.op == LOP_STOP &&
	    p.step.res == dk && p.cancel == (1ULL << pd) &&
	    p.cancel_why == p.step.why,
	    "moved away while the disk starts: its start is cancelled");
	v[pd].cancelling = true;
	decide_local_plan(cs, 0, v, &p);
	ok(p.act == LACT_NONE && p.cancel == 0,
	    "... once, then wait until it is reaped");

	/* But not the start of another resource, while quorate. */
	cs->nodes[0].res[ip].state = RS_ONLINE;
	view(cs, v);
	v[pd].run = LRUN_START;
	decide_local_plan(cs, 0, v, &p);
	ok(p.step.op == LOP_STOP && p.step.res == ip &&
	    p.act == LACT_NONE && p.cancel == 0,
	    "stop the address: the disk's start is let finish");
	cs->quorate = false;
	decide_local_plan(cs, 0, v, &p);
	ok(p.step.op == LOP_STOP && p.step.res == ip &&
	    p.act == LACT_CANCEL && p.cancel == (1ULL << pd),
	    "no quorum: the disk's start is cancelled too");

	/* Immediate stops. */
	all_state(cs, 0, RS_ONLINE);
	view(cs, v);
	decide_local_plan(cs, 0, v, &p);
	ok(p.act == LACT_RUN && p.step.op == LOP_STOP && p.step.res == pg &&
	    p.immediate, "no quorum: the stop is immediate");
	cs->quorate = true;
	decide_local_plan(cs, 0, v, &p);
	ok(p.act == LACT_RUN && p.step.op == LOP_STOP && p.step.res == pg &&
	    !p.immediate, "quorate, nothing failed: a clean stop");
	v[pd].state = RS_FAILED;
	decide_local_plan(cs, 0, v, &p);
	ok(p.act == LACT_RUN && p.step.res == pg && p.immediate,
	    "the disk under the server failed here: immediate");
	v[pd].state = RS_ONLINE;
	v[pp].state = RS_FAILED;
	decide_local_plan(cs, 0, v, &p);
	ok(p.act == LACT_RUN && p.step.res == pg && p.immediate,
	    "the server itself failed here: immediate");
	v[pp].state = RS_ONLINE;
	cs->groups[0].target = 1;
	decide_local_plan(cs, 0, v, &p);
	ok(p.act == LACT_NONE && p.step.op == LOP_NONE,
	    "all online where it runs: nothing");
	done(cs);
	conf_free(c);
}

/* decide_hand_check_due(): when a resource is checked for a hand start. */
static void
test_hand_check(void)
{
	struct conf		*c = load(confi, "");
	struct cstate		*cs = fresh(c, 0);
	const struct conf_group	*g = &c->groups[0];
	struct decision		 d;
	struct local_res	 v[CONF_MAX_GROUP_RES];
	int			 dk = ridx(c, "d"), ip = ridx(c, "ip");
	int			 pd = gpos(c, dk), pi = gpos(c, ip);
	int			 pp = gpos(c, ridx(c, "pg"));

	decide_group(cs, 0, &d);
	apply(cs, &d);
	/* Runs on node2: its disk mounted here is a second writer. */
	cs->groups[0].target = 2;
	all_state(cs, 1, RS_ONLINE);
	view(cs, v);
	ok(decide_owned_elsewhere(cs, g), "owned by node2");
	ok(decide_hand_check_due(cs, g, pd, v),
	    "owned elsewhere: the disk here is checked");
	ok(!decide_hand_check_due(cs, g, pi, v),
	    "... the address not, while nothing runs here by hand");
	v[pd].flags |= RF_BY_HAND;
	v[pd].state = RS_ONLINE;
	ok(decide_hand_check_due(cs, g, pi, v),
	    "... but once the disk is found here by hand");
	ok(decide_hand_check_due(cs, g, pd, v),
	    "the one found by hand: until it is seen stopped");
	cs->quorate = false;
	ok(!decide_hand_check_due(cs, g, pd, v), "no quorum: no checks");
	cs->quorate = true;
	cs->groups[0].unmanaged = true;
	ok(!decide_hand_check_due(cs, g, pd, v), "unmanaged: no checks");
	cs->groups[0].unmanaged = false;

	/* Runs here in part: the server offline by an operator. */
	cs->groups[0].target = 1;
	all_state(cs, 1, RS_OFFLINE);
	all_state(cs, 0, RS_ONLINE);
	cs->nodes[0].res[ridx(c, "pg")].state = RS_OFFLINE;
	cs->groups[0].want &= ~(1ULL << pp);
	view(cs, v);
	ok(!decide_owned_elsewhere(cs, g), "owned here");
	ok(decide_hand_check_due(cs, g, pp, v),
	    "the server taken offline is checked while the rest runs");
	ok(!decide_hand_check_due(cs, g, pd, v),
	    "the disk, online, is monitored, not checked");
	done(cs);
	conf_free(c);
}

/* Node n fails its group's resource: the decider sees and places. */
static void
fail_on(struct cstate *cs, int n, struct decision *d)
{
	cs->nodes[n].res[0].state = RS_FAILED;
	cs->nodes[n].res[0].fail_seq++;
	decide_group(cs, 0, d);
	apply(cs, d);
}

static void
test_threshold(void)
{
	struct conf	*c = load(confp, "failover_threshold = 2\n"
			    "failover_period = 1h\n");
	struct cstate	*cs = fresh(c, 0);
	struct decision	 d;

	cs->now_wall = 1000000;
	decide_group(cs, 0, &d);
	apply(cs, &d);
	is_int(conf_failover_threshold(c, &c->groups[0]), 2, "threshold 2");
	cs->nodes[0].in_cpg = false;		/* node1 lost */
	decide_group(cs, 0, &d);
	apply(cs, &d);
	is_int(d.g.target, 2, "1st failover: node2");
	is_int(d.g.nfo, 1, "one failover counted");
	up(cs, 0);
	cs->now_wall += 60000;
	cs->nodes[1].in_cpg = false;		/* node2 lost */
	decide_group(cs, 0, &d);
	apply(cs, &d);
	is_int(d.g.target, 1, "2nd failover: node1 (threshold 2)");
	up(cs, 1);
	cs->now_wall += 60000;
	cs->nodes[0].in_cpg = false;
	decide_group(cs, 0, &d);
	apply(cs, &d);
	is_int(d.g.target, 0, "3rd failover in the period: stays failed");
	ok(strstr(d.g.reason, "failover threshold reached") != NULL,
	    "reason: %s", d.g.reason);
	ok(strcmp(state_group_summary(cs, &c->groups[0]), "failed") == 0,
	    "shown as failed");
	up(cs, 0);
	decide_group(cs, 0, &d);
	apply(cs, &d);
	is_int(d.g.target, 0, "held: not placed again when node1 is back");
	cs->now_wall += 3600000;	/* an hour later */
	decide_group(cs, 0, &d);
	apply(cs, &d);
	ok(d.g.target == 0 && d.g.nfo == 0, "still held after the period, "
	    "old failovers forgotten (target %u, %u kept)", d.g.target,
	    d.g.nfo);
	cs->groups[0].held = false;	/* pgha group online */
	cs->groups[0].placed = false;
	decide_group(cs, 0, &d);
	ok(d.g.target != 0, "placed once an operator brings it online");
	done(cs);
	conf_free(c);

	c = load(confp, "");
	is_int(conf_failover_threshold(c, &c->groups[0]), 2,
	    "auto: nodes less one");
	conf_free(c);

	/* Two nodes (auto: 1), both banned: held, not retried later. */
	c = load(conf2, "");
	cs = fresh(c, 0);
	cs->now_wall = 1000000;
	decide_group(cs, 0, &d);
	apply(cs, &d);
	fail_on(cs, 0, &d);
	is_int(d.g.target, 2, "2 nodes: failover to node2");
	cs->nodes[0].res[0].state = RS_OFFLINE;
	fail_on(cs, 1, &d);
	ok(d.g.target == 0 && d.g.held, "node2 fails too, node1 banned: "
	    "held (%s)", d.g.reason);
	ok(strstr(d.g.reason, "failover threshold reached") != NULL,
	    "reason says so");
	cs->nodes[1].res[0].state = RS_OFFLINE;
	cs->now_wall += 11 * 60000;	/* the bans run out */
	decide_group(cs, 0, &d);
	is_int(d.g.target, 0, "bans over: still held");
	done(cs);
	conf_free(c);
}

static void
test_planned(void)
{
	struct conf	*c = load(confp, "failover_threshold = 0\n");
	struct cstate	*cs = fresh(c, 0);
	struct decision	 d;
	char		 why[256];

	decide_group(cs, 0, &d);
	apply(cs, &d);
	all_state(cs, 0, RS_ONLINE);
	is_int(decide_stop_check(cs, 0, why, sizeof(why)), -1,
	    "node1 may stop: node2 can take db1");
	cs->nodes[0].flags |= NF_STOPPED;
	decide_group(cs, 0, &d);
	apply(cs, &d);
	is_int(d.g.target, 2, "node stop moves the group (threshold 0)");
	is_int(d.g.nfo, 0, "a planned move is not a failover");
	ok(strstr(d.g.reason, "node1 stopped its cluster service") != NULL,
	    "reason: %s", d.g.reason);
	all_state(cs, 0, RS_OFFLINE);
	all_state(cs, 1, RS_ONLINE);
	cs->nodes[1].flags |= NF_PAUSED;
	is_int(decide_group(cs, 0, &d), 0, "a paused node keeps its group");
	cs->nodes[2].flags |= NF_STOPPED;
	ok(decide_stop_check(cs, 1, why, sizeof(why)) == 0,
	    "node2 may not stop: node1 and node3 stopped (%s)", why);
	cs->nodes[1].flags |= NF_DRAIN;
	decide_group(cs, 0, &d);
	is_int(d.g.target, 0, "drained, nowhere to go: no node");
	cs->nodes[0].flags = 0;
	decide_group(cs, 0, &d);
	is_int(d.g.target, 1, "drain moves it to node1 once started");
	done(cs);
	conf_free(c);
}

static void
test_failback(void)
{
	struct conf	*c = load(confp, "failback = immediate\n");
	struct cstate	*cs = fresh(c, 0);
	struct decision	 d;

	decide_group(cs, 0, &d);
	apply(cs, &d);
	cs->nodes[0].in_cpg = false;
	decide_group(cs, 0, &d);
	apply(cs, &d);
	is_int(d.g.target, 2, "failover to node2");
	cs->nodes[0].flags = NF_STOPPED;
	up(cs, 0);
	is_int(decide_group(cs, 0, &d), 0, "node1 stopped: stays");
	cs->nodes[0].flags = 0;
	decide_group(cs, 0, &d);
	apply(cs, &d);
	is_int(d.g.target, 1, "failback = immediate: back to node1");
	ok(strstr(d.g.reason, "failback from node2 to node1") != NULL,
	    "reason: %s", d.g.reason);
	cs->groups[0].target = 2;	/* as if moved by an operator */
	cs->groups[0].may_failback = false;
	is_int(decide_group(cs, 0, &d), 0, "an operator's move stays");
	done(cs);
	conf_free(c);

	setenv("TZ", "UTC", 1);
	tzset();
	c = load(confp, "failback = 22:00-02:00\n");
	cs = fresh(c, 0);
	cs->now_wall = 12 * 3600000ULL;		/* 12:00 UTC */
	decide_group(cs, 0, &d);
	apply(cs, &d);
	cs->nodes[0].in_cpg = false;
	decide_group(cs, 0, &d);
	apply(cs, &d);
	up(cs, 0);
	is_int(decide_group(cs, 0, &d), 0, "outside the window: stays");
	ok(decide_wake_at(cs) == 22 * 3600000ULL,
	    "wakes at 22:00 (%llu)", (unsigned long long)decide_wake_at(cs));
	cs->now_wall = 23 * 3600000ULL;
	decide_group(cs, 0, &d);
	is_int(d.g.target, 1, "inside the window (23:00): fails back");
	cs->now_wall = 24 * 3600000ULL + 3600000;	/* 01:00 next day */
	decide_group(cs, 0, &d);
	is_int(d.g.target, 1, "window across midnight (01:00)");
	done(cs);
	conf_free(c);
}

static void
test_restart_period(void)
{
	struct conf	*c = load(confp, "failover_threshold = 10\n");
	struct cstate	*cs = fresh(c, 0);
	struct decision	 d;

	cs->now_wall = 1000000;
	decide_group(cs, 0, &d);
	apply(cs, &d);
	fail_on(cs, 0, &d);
	is_int(d.g.target, 1, "1st failure, restarts = 1: stays");
	cs->nodes[0].res[0].state = RS_ONLINE;
	cs->now_wall += 61000;		/* over restart_period */
	fail_on(cs, 0, &d);
	is_int(d.g.target, 1, "a failure after restart_period: count 1");
	is_int(state_fc(cs, 0, 0)->count, 1, "count restarted");
	cs->nodes[0].res[0].state = RS_ONLINE;
	cs->now_wall += 1000;
	fail_on(cs, 0, &d);
	is_int(d.g.target, 2, "2nd failure within the period: failover");
	done(cs);
	conf_free(c);
}

static void
test_want(void)
{
	struct conf		*c = load(conf2, "");
	struct cstate		*cs = fresh(c, 0);
	struct decision		 d;
	struct local_step	 st;
	const struct conf_group	*g = &c->groups[0];
	int			 dk = ridx(c, "d"), pg = ridx(c, "pg");
	int			 pos_d, pos_pg, hn;

	for (pos_d = 0; g->res[pos_d]->index != dk; pos_d++)
		;
	for (pos_pg = 0; g->res[pos_pg]->index != pg; pos_pg++)
		;
	cs->groups[0].want = decide_res_closure(g, pos_d, true);
	is_int((int)cs->groups[0].want, 1 << pos_d, "disk requires nothing");
	ok(decide_res_closure(g, pos_pg, true) == state_want_all(g),
	    "the server requires everything");
	ok(decide_res_closure(g, pos_d, false) == state_want_all(g),
	    "everything requires the disk");
	decide_group(cs, 0, &d);
	apply(cs, &d);
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_START && st.res == dk, "only the disk: started");
	cs->nodes[0].res[dk].state = RS_ONLINE;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_NONE, "nothing else starts");
	ok(strcmp(state_group_summary(cs, g), "partial") == 0, "partial");
	cs->nodes[0].res[pg].state = RS_ONLINE;
	cs->nodes[0].res[pg].flags = RF_BY_HAND;
	is_int(decide_hand_running(cs, g, state_want_all(g), &hn), pos_pg,
	    "a server started by hand is found");
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_NONE, "a server started by hand is left alone");
	cs->groups[0].want = 0;
	cs->groups[0].intent_online = false;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_NONE, "offline: the disk waits for the hand server");
	cs->quorate = false;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_STOP && st.res == pg, "no quorum: stopped anyway");
	cs->quorate = true;
	cs->groups[0].unmanaged = true;
	cs->groups[0].intent_online = true;
	cs->nodes[0].res[pg].state = RS_OFFLINE;
	decide_local_next(cs, 0, &st);
	ok(st.op == LOP_NONE, "unmanaged: nothing started or stopped");
	is_int(decide_group(cs, 0, &d), 0, "unmanaged: no decision");
	/* Managed again: the operator restarted it by hand on node2. */
	cs->groups[0].unmanaged = false;
	cs->groups[0].placed = false;
	cs->groups[0].want = state_want_all(g);
	all_state(cs, 0, RS_OFFLINE);
	all_state(cs, 1, RS_ONLINE);
	decide_group(cs, 0, &d);
	is_int(d.g.target, 2, "managed: adopted where it runs (node2)");
	done(cs);
	conf_free(c);
}

int
main(void)
{
	test_placement();
	test_failures();
	test_blocking();
	test_fewest();
	test_local();
	test_independent();
	test_local_plan();
	test_hand_check();
	test_threshold();
	test_planned();
	test_failback();
	test_restart_period();
	test_want();
	return done_testing();
}
