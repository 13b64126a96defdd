/*
 * fence.c - reading a fence agent's answers, and running the agents
 * for the decider (see fence.h).
 *
 * fence-agents programs declare their actions in their metadata, one
 * <action name="..."/> element each, and answer status with exit 0 (on),
 * 2 (off) or 1 (error).  A fence counts only once status says off, when
 * the agent has a status action: an agent's off exiting 0 is its own
 * claim, not a fact.
 */
#define PGHA_LOG_TAG "fence"
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "fence.h"
#include "log.h"
#include "loop.h"
#include "state.h"

/* The value of attribute `name` in the tag [s, e), or NULL; *len set. */
static const char *
tag_attr(const char *s, const char *e, const char *name, size_t *len)
{
	size_t		 nl = strlen(name);
	const char	*p, *q;
	char		 quote;

	for (p = s; p + nl < e; p++) {
		if (strncmp(p, name, nl) != 0 || (p > s && p[-1] != ' ' &&
		    p[-1] != '\t' && p[-1] != '\n' && p[-1] != '\r'))
			continue;
		q = p + nl;
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if (q >= e || *q != '=')
			continue;
		q++;
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if (q >= e || (*q != '"' && *q != '\''))
			continue;
		quote = *q++;
		for (p = q; p < e && *p != quote; p++)
			;
		if (p >= e)
			return NULL;
		*len = (size_t)(p - q);
		return q;
	}
	return NULL;
}

bool
fence_meta_has_status(const char *xml)
{
	const char	*p, *e, *v;
	size_t		 len;

	if (xml == NULL)
		return false;
	for (p = xml; (p = strstr(p, "<action")) != NULL;) {
		p += strlen("<action");
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			continue;	/* <actions>, <actionfoo> */
		if ((e = strchr(p, '>')) == NULL)
			return false;
		v = tag_attr(p, e, "name", &len);
		if (v != NULL && len == 6 && strncmp(v, "status", 6) == 0)
			return true;
		p = e;
	}
	return false;
}

enum fence_power
fence_status_power(int exit_code)
{
	switch (exit_code) {
	case 0:
		return FENCE_POWER_ON;
	case 2:
		return FENCE_POWER_OFF;
	default:
		return FENCE_POWER_UNKNOWN;
	}
}

/* --- running the agents: the decider's fencing ----------------------- */

static const struct conf	*conf;
static void			(*send_msg)(struct msg *);
static void			(*kick)(void);

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
	kick();
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

void
fence_run(uint64_t fence, bool may_start)
{
	int	n;

	for (n = 0; n < conf->nnodes; n++) {
		struct fence_st		*f = &fst[n];
		const struct conf_node	*cn = &conf->nodes[n];

		f->node = n;
		if (!(fence & (1ULL << n))) {
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

void
fence_init(const struct conf *c, void (*send)(struct msg *),
    void (*again)(void))
{
	conf = c;
	send_msg = send;
	kick = again;
}
