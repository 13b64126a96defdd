/*
 * local.c - this node's resources (see local.h).
 *
 * This node's own facts are kept here (`mine`), changed only by agent
 * results, and broadcast whole as this node's record.  What to do next
 * (start, stop, cancel, check) is asked of decide.c's pure functions
 * (decide_local_plan(), decide_hand_check_due()) against the delivered
 * state and a view of what runs here (local_view()), and only when no
 * record of ours is in flight, so that every step is taken on the same
 * facts the rest of the cluster sees.  This file carries the steps out.
 */
#define PGHA_LOG_TAG	"local"

#include <sys/epoll.h>
#include <sys/syscall.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "conntrack.h"
#include "decide.h"
#include "durable.h"
#include "local.h"
#include "log.h"
#include "loop.h"
#include "util.h"

enum op_kind {
	OK_NONE,
	OK_PROBE,
	OK_START,
	OK_STOP,
	OK_MONITOR,
	OK_REPROBE,	/* the group is managed again: what runs here? */
	OK_HANDPROBE,	/* not wanted here: started by hand meanwhile? */
};

struct lres {
	struct res_rt		 mine;
	struct agent_op		*op;
	enum op_kind		 kind;
	struct loop_timer	*mon_timer;
	bool			 mon_due;
	bool			 cancelling;	/* op killed, not yet reaped */
	bool			 reprobe_due;
	uint64_t		 trans_since;	/* monitor said "transitional" */
	int			 watch_fd;	/* pidfd of watch_pid, or -1 */
	pid_t			 watch_failed;	/* pidfd_open failed for it */
	pid_t			 watch_pid;	/* the agent's "watch_pid=" */
	bool			 recheck;	/* it exited: monitor at once */
};

struct op_ctx {
	int	res;
};

static const struct cstate	*cs;
/* The transport's: send our record; is one sent and not delivered? */
static void			(*send_record)(const struct msg *);
static int			(*record_in_flight)(void);
static const struct conf	*conf;
static const char		*agent_path;
static struct lres		*lr;
static struct op_ctx		*ctx;
static int			 probes_left = -1;
static void			(*probe_done)(void);
static void			(*shutdown_done)(void);
static bool			 shutting_down;
static struct loop_timer	*kick_timer;
static uint32_t			 admin;		/* NF_STOPPED|NF_PAUSED|NF_DRAIN */
static char			*admin_path;

static void	run(void *);
static void	watch_drop(int);

/*
 * An operator's stop or pause of this node outlives pghad and reboots: it
 * is kept in state_dir/node-admin ("stopped", "paused" or "drained").
 */
static void
admin_load(void)
{
	char	 buf[32] = "";
	FILE	*f;

	if ((f = fopen(admin_path, "r")) == NULL) {
		if (errno != ENOENT)
			log_err("%s", admin_path);
		return;
	}
	if (fgets(buf, sizeof(buf), f) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		if (strcmp(buf, "stopped") == 0)
			admin = NF_STOPPED;
		else if (strcmp(buf, "paused") == 0)
			admin = NF_PAUSED;
		else if (strcmp(buf, "drained") == 0)
			admin = NF_PAUSED | NF_DRAIN;
		else
			log_warnx("%s: \"%s\" is not stopped, paused or "
			    "drained: ignored", admin_path, buf);
	}
	fclose(f);
	if (admin)
		log_notice("this node is %s (%s)", buf, admin_path);
}

/* Durable, but off the loop: durable.c's thread does the fsync. */
static void
admin_save(void)
{
	char	line[16];

	if (admin == 0) {
		durable_replace(admin_path, NULL);
		return;
	}
	snprintf(line, sizeof(line), "%s\n", (admin & NF_STOPPED) ?
	    "stopped" : (admin & NF_DRAIN) ? "drained" : "paused");
	durable_replace(admin_path, line);
}

/*
 * Death watch.  An agent whose resource lives as long as one process (the
 * postmaster) names it on its stdout after a start or a good monitor:
 * "watch_pid=N".  pghad holds a pidfd of it, which becomes readable the
 * moment the process exits, and then monitors at once instead of at the
 * next interval: a crashed server is noticed in milliseconds, not in up
 * to monitor_interval.  The monitor still decides what happened.
 */
static pid_t
watch_pid_of(const char *out)
{
	const char	*p;
	long		 v;
	char		*end;

	for (p = out; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, AGENT_OUT_WATCH_PID,
		    strlen(AGENT_OUT_WATCH_PID)) != 0)
			continue;
		errno = 0;
		v = strtol(p + strlen(AGENT_OUT_WATCH_PID), &end, 10);
		if (errno == 0 && v > 1 && v < (1L << 22) &&
		    (*end == '\n' || *end == '\0'))
			return (pid_t)v;
	}
	return 0;
}

static void
watch_drop(int r)
{
	struct lres	*l = &lr[r];

	if (l->watch_fd >= 0) {
		loop_del_fd(l->watch_fd);
		close(l->watch_fd);
	}
	l->watch_fd = -1;
	l->watch_pid = 0;
}

/* Monitor r as soon as nothing else runs on it. */
static void
recheck_now(int r)
{
	struct lres	*l = &lr[r];

	l->recheck = true;
	loop_timer_cancel(l->mon_timer);
	l->mon_timer = NULL;
	l->mon_due = true;
	local_kick();
}

static void
watch_cb(int fd, uint32_t events, void *arg)
{
	struct op_ctx	*c = arg;

	log_notice("%s: process %d exited: monitoring now",
	    conf->resources[c->res].name, (int)lr[c->res].watch_pid);
	watch_drop(c->res);
	recheck_now(c->res);
}

static void
watch_set(int r, const struct agent_result *res)
{
	struct lres	*l = &lr[r];
	pid_t		 pid = watch_pid_of(res->out);
	int		 fd;

	if (pid == 0 || (pid == l->watch_pid && l->watch_fd >= 0) ||
	    pid == l->watch_failed)
		return;
	watch_drop(r);
	if ((fd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1) {
		if (errno == ESRCH)	/* gone already */
			recheck_now(r);
		else {	/* once per process: monitors still see it */
			log_warn("%s: cannot watch process %d",
			    conf->resources[r].name, (int)pid);
			l->watch_failed = pid;
		}
		return;
	}
	if (loop_add_fd(fd, EPOLLIN, watch_cb, &ctx[r]) == -1) {
		close(fd);
		return;
	}
	l->watch_fd = fd;
	l->watch_pid = pid;
}

void
local_init(const struct cstate *c, const char *path,
    void (*send_rec)(const struct msg *), int (*rec_in_flight)(void))
{
	int	i;

	cs = c;
	send_record = send_rec;
	record_in_flight = rec_in_flight;
	conf = c->conf;
	agent_path = path;
	lr = xcalloc((size_t)conf->nresources, sizeof(*lr));
	ctx = xcalloc((size_t)conf->nresources, sizeof(*ctx));
	for (i = 0; i < conf->nresources; i++) {
		ctx[i].res = i;
		lr[i].watch_fd = -1;
	}
	admin_path = xasprintf("%s/node-admin", conf->state_dir);
	admin_load();
}

void
local_free(void)
{
	int	i;

	if (lr == NULL)
		return;
	for (i = 0; i < conf->nresources; i++) {
		loop_timer_cancel(lr[i].mon_timer);
		watch_drop(i);
	}
	loop_timer_cancel(kick_timer);
	durable_flush();	/* the admin state on disk before we go */
	free(lr);
	free(ctx);
	free(admin_path);
	admin_path = NULL;
	lr = NULL;
	ctx = NULL;
}

void
local_record(struct msg *m)
{
	int	i;

	memset(m, 0, sizeof(*m));
	m->type = MSG_RECORD;
	m->u.record.flags = (probes_left == 0 ? NF_PROBED : 0) |
	    (shutting_down ? NF_SHUTTING_DOWN : 0) | admin;
	m->u.record.nres = (uint32_t)conf->nresources;
	m->u.record.res = xcalloc((size_t)conf->nresources,
	    sizeof(struct msg_res));
	for (i = 0; i < conf->nresources; i++)
		state_res_to_msg(&lr[i].mine, conf->resources[i].name,
		    &m->u.record.res[i]);
}

static void
publish(void)
{
	struct msg	m;

	local_record(&m);
	send_record(&m);
	msg_clear(&m);
}

static void
set_state(int r, int st, const char *cause, bool failure)
{
	struct res_rt	*x = &lr[r].mine;

	x->state = (uint8_t)st;
	x->changed_ms = wall_ms();
	if (st != RS_ONLINE) {
		watch_drop(r);
		lr[r].recheck = false;
	}
	snprintf(x->cause, sizeof(x->cause), "%s", cause);
	if (failure) {
		x->fail_seq++;
		snprintf(x->last_error, sizeof(x->last_error), "%s", cause);
	}
}

void
local_kick(void)
{
	if (kick_timer == NULL && lr != NULL)
		kick_timer = loop_timer_add(0, run, NULL);
}

static void
mon_cb(void *arg)
{
	struct op_ctx	*c = arg;

	lr[c->res].mon_timer = NULL;
	lr[c->res].mon_due = true;
	local_kick();
}

static void
mon_schedule(int r)
{
	loop_timer_cancel(lr[r].mon_timer);
	lr[r].mon_due = lr[r].recheck;	/* died while a monitor ran */
	lr[r].mon_timer = loop_timer_add(
	    conf->resources[r].monitor_interval_ms, mon_cb, &ctx[r]);
}

static void
describe(const struct agent_result *res, const char *what, char *buf,
    size_t len)
{
	char	rs[96];

	agent_result_str(res, rs, sizeof(rs));
	snprintf(buf, len, "%s %s%s%s", what, rs, res->tail[0] ? ": " : "",
	    res->tail);
}

static void	publish(void);

/* Outcome of a probe asked for by `manage` or of a by-hand check. */
static void
probe_result(int r, enum op_kind kind, const struct agent_result *res)
{
	struct lres	*l = &lr[r];
	bool		 up = !res->timed_out && !res->cancelled &&
			    (res->exit_code == OCF_SUCCESS ||
			    res->exit_code == AGENT_TRANSITIONAL);
	bool		 down = !res->timed_out && !res->cancelled &&
			    res->exit_code == OCF_NOT_RUNNING;
	char		 cause[CAUSE_LEN];

	l->cancelling = false;
	if (kind == OK_REPROBE) {
		if (res->cancelled) {
			l->reprobe_due = true;
		} else if (up || down) {
			l->mine.flags = 0;
			set_state(r, up ? RS_ONLINE : RS_OFFLINE, up ?
			    "found running when the group was managed again" :
			    "not running when the group was managed again",
			    false);
		} else {
			describe(res, "probe failed:", cause, sizeof(cause));
			set_state(r, RS_FAILED, cause, false);
		}
		if (l->mine.state == RS_ONLINE) {
			mon_schedule(r);
			watch_set(r, res);
		}
		publish();
	} else if (up && l->mine.state == RS_OFFLINE) {
		l->mine.flags |= RF_BY_HAND;
		set_state(r, RS_ONLINE, decide_owned_elsewhere(cs,
		    conf->resources[r].group) ?
		    "found running on a node that does not own the group, "
		    "started outside pgha (by hand): a second writer of the "
		    "shared disk, stop it here" :
		    "found running, started outside pgha "
		    "(by hand): left alone while it is not brought online",
		    false);
		publish();
	} else if (down && (l->mine.flags & RF_BY_HAND)) {
		l->mine.flags &= ~RF_BY_HAND;
		set_state(r, RS_OFFLINE, "the server started by hand is no "
		    "longer running", false);
		publish();
	}
	local_kick();
}

static void
op_done(const struct agent_result *res, void *arg)
{
	struct op_ctx			*c = arg;
	struct lres			*l = &lr[c->res];
	const struct conf_resource	*r = &conf->resources[c->res];
	enum op_kind			 kind = l->kind;
	char				 cause[CAUSE_LEN];
	bool				 ok = !res->timed_out &&
					    res->exit_code == OCF_SUCCESS;

	l->op = NULL;
	l->kind = OK_NONE;
	if (kind == OK_REPROBE || kind == OK_HANDPROBE) {
		probe_result(c->res, kind, res);
		return;
	}
	if (kind == OK_MONITOR && cs->groups[r->group->index].unmanaged) {
		local_kick();	/* an operator may be stopping it by hand */
		return;
	}
	if (res->cancelled) {
		l->cancelling = false;
		if (kind == OK_MONITOR)
			l->mon_due = true;
		local_kick();
		return;
	}
	switch (kind) {
	case OK_PROBE:
		if (ok || res->exit_code == AGENT_TRANSITIONAL) {
			set_state(c->res, RS_ONLINE, "found running when "
			    "pghad started", false);
			lr[c->res].mine.flags |= RF_FOUND;
		} else if (!res->timed_out &&
		    res->exit_code == OCF_NOT_RUNNING)
			set_state(c->res, RS_OFFLINE, "not running when "
			    "pghad started", false);
		else {
			describe(res, "probe failed:", cause, sizeof(cause));
			set_state(c->res, RS_FAILED, cause, false);
		}
		if (lr[c->res].mine.state == RS_ONLINE) {
			mon_schedule(c->res);
			watch_set(c->res, res);
		}
		log_notice("probe %s: %s", r->name,
		    rstate_name(lr[c->res].mine.state));
		if (--probes_left == 0 && probe_done)
			probe_done();
		return;
	case OK_START:
		if (ok) {
			snprintf(cause, sizeof(cause), "start succeeded in "
			    "%llu ms", (unsigned long long)res->duration_ms);
			set_state(c->res, RS_ONLINE, cause, false);
			mon_schedule(c->res);
			watch_set(c->res, res);
		} else {
			describe(res, "start failed:", cause, sizeof(cause));
			set_state(c->res, RS_FAILED, cause, true);
		}
		break;
	case OK_STOP:
		if (ok) {
			snprintf(cause, sizeof(cause), "stopped in %llu ms",
			    (unsigned long long)res->duration_ms);
			set_state(c->res, RS_OFFLINE, cause, false);
		} else {
			describe(res, "stop failed:", cause, sizeof(cause));
			set_state(c->res, RS_STOP_FAILED, cause, true);
		}
		break;
	case OK_MONITOR:
		if (ok) {
			l->trans_since = 0;
			mon_schedule(c->res);
			watch_set(c->res, res);
			local_kick();
			return;
		}
		if (!res->timed_out && res->exit_code == AGENT_TRANSITIONAL) {
			/* Starting up or shutting down: fine for a while. */
			if (l->trans_since == 0)
				l->trans_since = now_ms();
			if (now_ms() - l->trans_since < r->start_timeout_ms) {
				mon_schedule(c->res);
				local_kick();
				return;
			}
			snprintf(cause, sizeof(cause), "monitor failed: not "
			    "accepting connections for %llu ms (starting up "
			    "or shutting down for longer than start_timeout)",
			    (unsigned long long)(now_ms() - l->trans_since));
			l->trans_since = 0;
			set_state(c->res, RS_FAILED, cause, true);
			break;
		}
		l->trans_since = 0;
		describe(res, "monitor failed:", cause, sizeof(cause));
		set_state(c->res, RS_FAILED, cause, true);
		break;
	case OK_NONE:
	case OK_REPROBE:
	case OK_HANDPROBE:
		return;
	}
	publish();
	local_kick();
}

static bool
launch(int r, enum op_kind kind, const char *action, uint32_t timeout,
    bool immediate)
{
	struct lres	*l = &lr[r];
	const char	*extra = NULL;
	char		*tickle = NULL;

	if (l->op != NULL) {	/* one operation per resource at a time */
		log_warnx("%s: %s while an operation runs: not started",
		    conf->resources[r].name, action);
		return false;
	}
	/* decide_local_plan() says when a stop is immediate. */
	if (kind == OK_STOP && immediate)
		extra = AGENT_ENV_STOP_MODE "=" AGENT_STOP_IMMEDIATE;
	/* Clients of the address's last owner: make them fail at once. */
	if (kind == OK_START && conf->resources[r].type == RT_ADDRESS)
		extra = tickle = conntrack_env(&conf->resources[r]);
	/* Its stdout may name the process to watch (watch_pid=). */
	if ((conf->resources[r].type == RT_POSTGRESQL ||
	    conf->resources[r].type == RT_SERVICE) && kind != OK_STOP)
		l->op = agent_run_capture(&conf->resources[r], agent_path,
		    action, timeout, extra, op_done, &ctx[r]);
	else
		l->op = agent_run(&conf->resources[r], agent_path, action,
		    timeout, extra, op_done, &ctx[r]);
	free(tickle);
	if (l->op == NULL)
		return false;
	l->kind = kind;
	return true;
}

void
local_probe(void (*done)(void))
{
	int	i;

	probe_done = done;
	probes_left = conf->nresources;
	if (probes_left == 0) {
		done();
		return;
	}
	for (i = 0; i < conf->nresources; i++) {
		const struct conf_resource *r = &conf->resources[i];

		set_state(i, RS_UNKNOWN, "probing", false);
		if (!launch(i, OK_PROBE, "monitor", r->monitor_timeout_ms,
		    false))
			fatalx("cannot run the agent for %s", r->name);
	}
}

/* What runs here for g, for decide.c: one per position in g->res. */
static void
local_view(const struct conf_group *g, struct local_res *v)
{
	int	i;

	for (i = 0; i < g->nres; i++) {
		const struct lres	*l = &lr[g->res[i]->index];

		memset(&v[i], 0, sizeof(v[i]));
		v[i].cancelling = l->cancelling;
		v[i].state = l->mine.state;
		v[i].flags = l->mine.flags;
		switch (l->kind) {
		case OK_PROBE:
		case OK_REPROBE:
			v[i].run = LRUN_PROBE;
			break;
		case OK_START:
			v[i].run = LRUN_START;
			break;
		case OK_STOP:
			v[i].run = LRUN_STOP;
			break;
		case OK_MONITOR:
		case OK_HANDPROBE:
			v[i].run = LRUN_MONITOR;
			break;
		case OK_NONE:
			v[i].run = LRUN_NONE;
			break;
		}
		if (l->reprobe_due)
			v[i].run = LRUN_PROBE;
	}
}

static void
cancel_op(struct lres *l)
{
	if (l->op == NULL || l->cancelling)
		return;
	agent_cancel(l->op);
	l->cancelling = true;
}

/*
 * Once synced: a resource found running at start-up that the group does
 * not want here while it runs in part (an operator's server, started by
 * hand during maintenance) is by hand, left alone.  Otherwise the mark
 * goes.  True if a record had to go out first.
 */
static bool
settle_found(const struct conf_group *g)
{
	const struct group_rt	*gr = &cs->groups[g->index];
	bool			 changed = false;
	int			 i;

	if (!cs->stable || !cs->nodes[cs->local].synced || gr->unmanaged ||
	    (gr->intent_online && !gr->placed))
		return false;
	for (i = 0; i < g->nres; i++) {
		struct res_rt *x = &lr[g->res[i]->index].mine;

		if (!(x->flags & RF_FOUND))
			continue;
		x->flags &= ~RF_FOUND;
		if (gr->want != 0 && !state_wanted(cs, g, i) &&
		    gr->target == conf->nodes[cs->local].nodeid) {
			x->flags |= RF_BY_HAND;
			snprintf(x->cause, sizeof(x->cause), "found running "
			    "when pghad started, not brought online: started "
			    "by hand, left alone");
		}
		changed = true;
	}
	if (changed)
		publish();
	return changed;
}

static void
step_group(int gi)
{
	const struct conf_group		*g = &conf->groups[gi];
	const struct conf_resource	*r;
	struct local_res		 v[CONF_MAX_GROUP_RES];
	struct local_plan		 p;
	const struct local_step		*st = &p.step;
	int				 i;

	if (settle_found(g))
		return;		/* again once our record is delivered */
	local_view(g, v);
	decide_local_plan(cs, gi, v, &p);
	if (p.act == LACT_CANCEL) {
		for (i = 0; i < g->nres; i++) {
			if (!(p.cancel & (1ULL << i)))
				continue;
			if (v[i].run == LRUN_START)
				log_notice("cancelling the start of %s: %s",
				    g->res[i]->name, p.cancel_why);
			cancel_op(&lr[g->res[i]->index]);
		}
		return;		/* again once they are reaped */
	}
	if (p.act != LACT_RUN)
		return;
	r = &conf->resources[st->res];
	loop_timer_cancel(lr[st->res].mon_timer);
	lr[st->res].mon_timer = NULL;
	if (st->op == LOP_START) {
		log_notice("starting %s: %s", r->name, st->why);
		set_state(st->res, RS_STARTING, st->why, false);
		if (!launch(st->res, OK_START, "start", r->start_timeout_ms,
		    false))
			set_state(st->res, RS_FAILED, "cannot run its agent",
			    true);
	} else {
		log_notice("stopping %s: %s", r->name, st->why);
		set_state(st->res, RS_STOPPING, st->why, false);
		if (!launch(st->res, OK_STOP, "stop", r->stop_timeout_ms,
		    p.immediate))
			set_state(st->res, RS_STOP_FAILED,
			    "cannot run its agent", true);
	}
	publish();
}

static void
monitor_one(const struct conf_group *g, int i, const struct local_res *v)
{
	int		 r = g->res[i]->index;
	struct lres	*l = &lr[r];
	uint32_t	 t = conf->resources[r].monitor_timeout_ms;

	if (l->reprobe_due) {
		l->reprobe_due = false;
		if (!launch(r, OK_REPROBE, "monitor", t, false))
			l->reprobe_due = true;
		return;
	}
	if (cs->groups[g->index].unmanaged)
		return;
	if (decide_hand_check_due(cs, g, i, v)) {
		if (l->mon_due) {
			l->mon_due = false;
			if (!launch(r, OK_HANDPROBE, "monitor", t, false))
				mon_schedule(r);
		} else if (l->mon_timer == NULL)
			mon_schedule(r);
		return;
	}
	if (!l->mon_due)
		return;
	l->mon_due = false;
	if (l->mine.state == RS_ONLINE && !(l->mine.flags & RF_BY_HAND)) {
		l->recheck = false;
		if (!launch(r, OK_MONITOR, "monitor", t, false))
			mon_schedule(r);	/* try again later */
	}
}

static void
monitor_group(const struct conf_group *g)
{
	struct local_res	v[CONF_MAX_GROUP_RES];
	int			i;

	for (i = 0; i < g->nres; i++) {
		struct lres *l = &lr[g->res[i]->index];

		local_view(g, v);	/* again: what the last one launched */
		if (l->op != NULL || (!l->reprobe_due &&
		    decide_local_busy(g, v)))
			continue;
		monitor_one(g, i, v);
	}
}

void
local_reprobe(int gi)
{
	const struct conf_group	*g = &conf->groups[gi];
	int			 i;

	for (i = 0; i < g->nres; i++) {
		struct lres *l = &lr[g->res[i]->index];

		cancel_op(l);
		loop_timer_cancel(l->mon_timer);
		l->mon_timer = NULL;
		l->mon_due = false;
		l->reprobe_due = true;
		set_state(g->res[i]->index, RS_UNKNOWN, "probing: the group "
		    "is managed again", false);
	}
	if (probes_left == 0)
		publish();
	local_kick();
}

void
local_set_admin(uint32_t flags)
{
	if (flags == admin)
		return;
	admin = flags;
	admin_save();
	if (probes_left == 0)
		publish();
	local_kick();
}

/* Nothing left to stop (an unmanaged group's resources stay as they are). */
static bool
all_offline(void)
{
	int	i;

	for (i = 0; i < conf->nresources; i++)
		if (lr[i].mine.state != RS_OFFLINE &&
		    lr[i].mine.state != RS_STOP_FAILED &&
		    !cs->groups[conf->resources[i].group->index].unmanaged)
			return false;
	return true;
}

static void
run(void *arg)
{
	int	gi;

	kick_timer = NULL;
	if (probes_left != 0)
		return;
	for (gi = 0; gi < conf->ngroups; gi++) {
		if (!record_in_flight())
			step_group(gi);
		monitor_group(&conf->groups[gi]);
	}
	if (shutting_down && shutdown_done && all_offline() &&
	    !record_in_flight()) {
		void (*d)(void) = shutdown_done;

		shutdown_done = NULL;
		d();
	}
}

void
local_shutdown(void (*done)(void))
{
	shutting_down = true;
	shutdown_done = done;
	if (probes_left == 0)
		publish();
	local_kick();
}
