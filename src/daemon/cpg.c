/*
 * cpg.c - Corosync CPG and quorum: the transport of the replicated
 * state (replica.c), the decider's pass, fencing, requests and status.
 *
 * Each delivered message, membership change and quorum change is handed
 * to replica_step() with the wall time; what it returns (events, the
 * answer to a request, messages to send, local actions) is carried out
 * here.  See replica.h for the sync rule and the decider.
 */
#define PGHA_LOG_TAG "cpg"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <corosync/cpg.h>
#include <corosync/quorum.h>

#include "agent.h"
#include "check.h"
#include "cpg.h"
#include "conntrack.h"
#include "decide.h"
#include "events.h"
#include "fence.h"
#include "intruder.h"
#include "local.h"
#include "log.h"
#include "loop.h"
#include "replica.h"
#include "reqcheck.h"
#include "sendq.h"
#include "status.h"
#include "util.h"

#define GROUP_NAME	"pghad"
#define RECONNECT_MS	1000

static const struct conf	*conf;
static struct replica		*rep;
static struct cstate		*cs;		/* rep->cs */
static cpg_handle_t		 cpg;
static quorum_handle_t		 qh;
static bool			 cpg_ok, q_ok;
static uint32_t			 my_nodeid;
static uint32_t			 my_pid;
static struct loop_timer	*reconnect_timer;
static int			 records_in_flight, decides_in_flight;
static uint64_t			 started_ms;
static struct loop_timer	*join_wait_timer;

/* Requests of ours in flight, answered when delivered back. */
struct pending_req {
	uint32_t		 seq;
	request_done_cb		 done;
	void			*arg;
	struct pending_req	*next;
};
static struct pending_req	*preqs;
static uint32_t			 req_seq;

static void	cpg_connect(void);
static void	after_change(void);
static void	send_msg(struct msg *);
static void	answer_request(uint32_t, const char *, const char *,
		    const char *);

static const char *
local_name(void)
{
	return conf->nodes[cs->local].name;
}

/* Carry out what a step of the state machine led to. */
static void
do_effects(struct replica_effects *fx, uint32_t seq_mine)
{
	char	obj[NAME_LEN + 16];
	int	i;

	for (i = 0; i < fx->nlog; i++)
		switch (fx->log[i].pri) {
		case LOG_DEBUG:
			log_debug("%s", fx->log[i].text);
			break;
		case LOG_INFO:
			log_info("%s", fx->log[i].text);
			break;
		case LOG_NOTICE:
			log_notice("%s", fx->log[i].text);
			break;
		default:
			log_warnx("%s", fx->log[i].text);
			break;
		}
	if (fx->refuse && fx->refuse_prev) {
		/* A guard: replica.c sends the hash the members use. */
		log_warnx("refusing to join: the cluster file %s is the same, "
		    "but a member runs the previous release's pghad, which "
		    "took this node's hash (sha256 %.12s) for another file's "
		    "(%.12s); start pghad again: joining a running cluster, "
		    "it sends the hash the cluster uses", conf->path,
		    conf->hash, fx->refuse_hash);
		snprintf(obj, sizeof(obj), "node %s", local_name());
		events_add(wall_ms(), local_name(), NULL, obj, "joining",
		    "refused", "a member runs the previous release's pghad: "
		    "start pghad again");
		cluster_leave();
		exit(EXIT_CONF_MISMATCH);
	}
	if (fx->refuse) {
		log_warnx("refusing to join: this node's cluster file %s "
		    "differs from the running cluster's (sha256 %.12s here, "
		    "%.12s in the cluster); make the files identical and "
		    "start pghad again", conf->path, conf->hash,
		    fx->refuse_hash);
		snprintf(obj, sizeof(obj), "node %s", local_name());
		events_add(wall_ms(), local_name(), NULL, obj, "joining",
		    "refused", "cluster file differs from the running "
		    "cluster's");
		cluster_leave();
		exit(EXIT_CONF_MISMATCH);
	}
	for (i = 0; i < fx->nintr; i++)
		intruder_joined(GROUP_NAME, fx->intr[i].nodeid,
		    fx->intr[i].pid, fx->intr[i].why);
	for (i = 0; i < fx->nev; i++) {
		const struct replica_event *e = &fx->ev[i];

		events_add(e->wall, e->node, e->group[0] ? e->group : NULL,
		    e->object, e->from, e->to, e->cause);
	}
	if (fx->answered && seq_mine != 0)
		answer_request(seq_mine, fx->code, fx->why, fx->target);
	for (i = 0; i < fx->nreprobe; i++)
		local_reprobe(fx->reprobe[i]);
	if (fx->set_admin)
		local_set_admin(fx->admin);
	if (fx->resend_conns)
		conntrack_resend();
	for (i = 0; i < fx->nout; i++)
		send_msg(&fx->out[i]);
	if (fx->send_record) {
		struct msg rec;

		local_record(&rec);
		records_in_flight++;
		send_msg(&rec);
		msg_clear(&rec);
	}
	replica_effects_clear(fx);
}

/* One input through the state machine, and its effects. */
static void
step(struct replica_input *in, uint32_t seq_mine)
{
	struct replica_effects	fx;

	in->wall = wall_ms();
	replica_step(rep, in, &fx);
	do_effects(&fx, seq_mine);
}

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
	/* Which release we are: replica.c, for the SYNC's hash. */
	if (m->type == MSG_RECORD)
		m->u.record.flags |= RECF_HASH_KEYS;
	wbuf_init(&w);
	msg_encode(&w, m);
	sendq_push(&w, m->type, m->type == MSG_REQUEST ?
	    m->u.request.seq : 0);
}

void
cluster_send_record(const struct msg *rec)
{
	struct msg	m = *rec;

	if (!cpg_ok || !rep->joined) {
		/* Cut off from the cluster: our facts are only ours. */
		struct replica_input in = { .type = RIN_DELIVER,
		    .nodeid = my_nodeid, .m = &m };

		m.wall = wall_ms();
		step(&in, 0);
		after_change();
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

static bool
i_am_decider(void)
{
	return replica_decider_id(rep) == my_nodeid;
}

static void
join_wait_cb(void *arg)
{
	join_wait_timer = NULL;
	after_change();
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
wake_timer_arm(uint64_t next)
{
	loop_timer_cancel(wake_timer);
	wake_timer = NULL;
	if (next != 0)
		wake_timer = loop_timer_add(next > cs->now_wall ?
		    next - cs->now_wall : 0, wake_timer_cb, NULL);
}

/* Seconds east of UTC here at wall: the decider's time zone input. */
static int32_t
tz_offset(uint64_t wall)
{
	time_t		t = (time_t)(wall / 1000);
	struct tm	tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (int32_t)tm.tm_gmtoff;
}

/* The decider's plan for the state as it is now, carried out. */
static void
decide_all(void)
{
	struct decide_input	 in;
	struct plan		 p;
	struct msg		 m;
	int			 i;

	memset(&in, 0, sizeof(in));
	in.now_wall = wall_ms();
	in.tz_offset_s = tz_offset(in.now_wall);
	in.uptime_ms = now_ms() - started_ms;
	in.decider = i_am_decider();
	in.connected = cpg_ok;
	in.in_flight = decides_in_flight > 0;
	/* What local.c's decide_local_next() reads too. */
	cs->all_recorded = replica_all_recorded(rep);
	cs->now_wall = in.now_wall;
	cs->tz_offset_s = in.tz_offset_s;
	decide_plan(cs, &in, &p);
	fence_run(p.fence, p.fence_may_start);
	if (!p.decided) {
		decide_plan_clear(&p);
		return;
	}
	for (i = 0; i < p.nnodedown; i++) {
		memset(&m, 0, sizeof(m));
		m.type = MSG_NODEDOWN;
		m.u.nodedown.nodeid = p.nodedown[i];
		decides_in_flight++;
		send_msg(&m);
	}
	if (p.join_wait_ms && join_wait_timer == NULL)
		join_wait_timer = loop_timer_add(p.join_wait_ms, join_wait_cb,
		    NULL);
	for (i = 0; i < p.ndec; i++) {
		memset(&m, 0, sizeof(m));
		m.type = MSG_DECIDE;
		replica_group_to_msg(rep, p.dec[i].group, &p.dec[i].g,
		    &m.u.decide, p.dec[i].fc, p.dec[i].nfc);
		decides_in_flight++;
		send_msg(&m);
		msg_clear(&m);
	}
	wake_timer_arm(p.wake_at);
	decide_plan_clear(&p);
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

/*
 * A peer whose messages are of a wire version this pghad cannot read: a
 * release too old or too new for a rolling upgrade.  Said once per
 * process (each of its messages is ignored), since the sync round waits
 * for it and nothing else would say why this node does not join.
 */
static void
version_refused(uint32_t nodeid, uint32_t pid, uint32_t version)
{
	static uint64_t		 told[CONF_MAX_NODES];
	static int		 ntold;
	const struct conf_node	*n = conf_node_by_id(conf, nodeid);
	uint64_t		 who = (uint64_t)nodeid << 32 | pid;
	int			 i;

	for (i = 0; i < ntold; i++)
		if (told[i] == who)
			return;
	if (ntold < CONF_MAX_NODES)
		told[ntold++] = who;
	else
		told[pid % CONF_MAX_NODES] = who;
	log_warnx("node %s (id %u, pid %u) speaks wire version %u, this pghad "
	    "%d..%d: its messages are ignored and it cannot join; run "
	    "releases at most one apart (upgrade %s)", n ? n->name : "?",
	    nodeid, pid, version, WIRE_VERSION_MIN, WIRE_VERSION,
	    version < WIRE_VERSION_MIN ? "that node" : "this node");
}

static void
deliver_cb(cpg_handle_t h, const struct cpg_name *name, uint32_t nodeid,
    uint32_t pid, void *buf, size_t len)
{
	struct replica_input	 in;
	struct msg		 m;
	bool			 mine = nodeid == my_nodeid && pid == my_pid;
	uint32_t		 seq_mine = 0;
	int			 rc;

	if (!mine && !replica_registered(rep, nodeid, pid)) {
		intruder_msg(nodeid, pid, len);
		return;
	}
	if ((rc = msg_decode(buf, len, &m)) < 0) {
		if (mine)	/* frees what it took of the query room */
			sendq_delivered(MSG_CHECKED, len);
		if (rc == WIRE_E_VERSION)
			version_refused(nodeid, pid, wire_version(buf, len));
		else
			log_warnx("malformed message (%zu bytes) from node %u "
			    "pid %u: ignored", len, nodeid, pid);
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
		break;
	case MSG_RECORD:
		if (mine && records_in_flight > 0)
			records_in_flight--;
		break;
	default:
		if (mine && decides_in_flight > 0 &&
		    (m.type == MSG_DECIDE || m.type == MSG_NODEDOWN))
			decides_in_flight--;
		if (mine && m.type == MSG_REQUEST)
			seq_mine = m.u.request.seq;
		break;
	}
	memset(&in, 0, sizeof(in));
	in.type = RIN_DELIVER;
	in.nodeid = nodeid;
	in.m = &m;
	step(&in, seq_mine);
	msg_clear(&m);
	after_change();
}

static void
to_members(const struct cpg_address *a, size_t n, struct replica_member *out)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		out[i].nodeid = a[i].nodeid;
		out[i].pid = a[i].pid;
		out[i].nodedown = a[i].reason == CPG_REASON_NODEDOWN;
	}
}

static void
confchg_cb(cpg_handle_t h, const struct cpg_name *name,
    const struct cpg_address *mem, size_t nmem,
    const struct cpg_address *left, size_t nleft,
    const struct cpg_address *join, size_t njoin)
{
	struct replica_member	*m, *l, *j;
	struct replica_input	 in;
	size_t			 i, nl = 0;

	m = xcalloc(nmem + 1, sizeof(*m));
	l = xcalloc(nleft + 1, sizeof(*l));
	j = xcalloc(njoin + 1, sizeof(*j));
	to_members(mem, nmem, m);
	to_members(join, njoin, j);
	/* Intruders leaving are the intruder module's, not the state's. */
	for (i = 0; i < nleft; i++)
		if (!intruder_left(GROUP_NAME, left[i].nodeid, left[i].pid))
			to_members(&left[i], 1, &l[nl++]);
	memset(&in, 0, sizeof(in));
	in.type = RIN_CONFCHG;
	in.mem = m;
	in.nmem = nmem;
	in.left = l;
	in.nleft = nl;
	in.join = j;
	in.njoin = njoin;
	step(&in, 0);
	free(m);
	free(l);
	free(j);
	after_change();
}

static void
cpg_fd_cb(int fd, uint32_t events, void *arg)
{
	struct replica_input	in;
	cs_error_t		err = cpg_dispatch(cpg, CS_DISPATCH_ALL);

	if (err == CS_OK || err == CS_ERR_TRY_AGAIN)
		return;
	log_warnx("lost the connection to corosync (cpg error %d): "
	    "stopping local resources", err);
	loop_del_fd(fd);
	cpg_finalize(cpg);
	cpg_ok = false;
	memset(&in, 0, sizeof(in));
	in.type = RIN_CPG_DOWN;
	step(&in, 0);
	/* Rejoining, we are a joiner: nothing of the old view is current. */
	sendq_drop();
	intruder_clear();
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
	struct replica_input	in;

	memset(&in, 0, sizeof(in));
	in.type = RIN_QUORUM;
	in.quorate = quorate != 0;
	in.has_list = true;
	in.qlist = list;
	in.nqlist = n;
	step(&in, 0);
	after_change();
}

static void
quorum_fd_cb(int fd, uint32_t events, void *arg)
{
	struct replica_input	in;
	cs_error_t		err = quorum_dispatch(qh, CS_DISPATCH_ALL);

	if (err == CS_OK || err == CS_ERR_TRY_AGAIN)
		return;
	log_warnx("lost the quorum service (error %d)", err);
	loop_del_fd(fd);
	quorum_finalize(qh);
	q_ok = false;
	memset(&in, 0, sizeof(in));
	in.type = RIN_QUORUM;
	in.quorate = false;
	step(&in, 0);
	if (reconnect_timer == NULL)
		reconnect_timer = loop_timer_add(RECONNECT_MS,
		    (loop_timer_cb)cpg_connect, NULL);
	after_change();
}

static int
quorum_connect(void)
{
	quorum_model_v0_data_t	md;
	struct replica_input	in;
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
	loop_add_fd(fd, EPOLLIN, quorum_fd_cb, NULL);
	q_ok = true;
	memset(&in, 0, sizeof(in));
	in.type = RIN_QUORUM;
	in.quorate = q != 0;
	step(&in, 0);
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
	struct replica_input	in;
	struct cpg_name		gn;
	int			fd;
	cs_error_t		err;

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
	memset(&in, 0, sizeof(in));
	in.type = RIN_CPG_UP;
	step(&in, 0);
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
	if (conf_node_by_id(conf, my_nodeid) == NULL) {
		log_warnx("this node's corosync node id %u is not in %s",
		    my_nodeid, conf->path);
		exit(EXIT_NOT_IN_CONFIG);
	}
	my_pid = (uint32_t)getpid();
	rep = replica_new(conf, my_nodeid, my_pid);
	fence_init(conf, send_msg, after_change);
	cs = rep->cs;
	if (quorum_connect() < 0) {
		log_warnx("cannot reach corosync's quorum service");
		exit(EXIT_COROSYNC);
	}
	return cs;
}

void
cluster_join(void)
{
	rep->join_wall = wall_ms();
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
	fail_requests("pghad is leaving the cluster");
	fence_run(0, false);
}

/* --- requests and status -------------------------------------------- */

int
cluster_request(enum req_op op, const char *group, const char *to,
    uint32_t flags, unsigned uid, const char **code, char *msg, size_t len,
    request_done_cb done, void *arg)
{
	const struct conf_group	*g = NULL;
	struct msg		 m;
	struct pending_req	*p;

	if (reqcheck(cs, cpg_ok && rep->joined, op, group, to, code, msg,
	    len) == -1)
		return -1;
	group = group ? group : "";
	to = to ? to : "";
	if (reqcheck_op_on_group(op))
		g = conf_group_by_name(conf, group);
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

struct json_object *
cluster_status(void)
{
	return status_json(cs, replica_decider_id(rep));
}
