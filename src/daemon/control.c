/*
 * control.c - the control socket (see control.h).  Set-up after bgpd's
 * control.c: one request per connection, credentials from SO_PEERCRED
 * and SO_PEERGROUPS, read-only requests for everybody, changes only for
 * root or the configured admin group.
 *
 * The socket is a path in a directory only root may write (an abstract
 * name has no permissions: any local user could take it first).  Local
 * users share it, so each uid but root may hold only so many connections,
 * some are kept for root, and a connection that sends no request in time
 * is closed.
 */
#define PGHA_LOG_TAG	"control"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "check.h"
#include "cpg.h"
#include "control.h"
#include "events.h"
#include "log.h"
#include "loop.h"
#include "util.h"

#define REQ_MAX		(64 * 1024)
#define MAX_CONNS	256	/* in all */
#define ROOT_RESERVE	32	/* of them, for root only */
#define UID_CONNS	16	/* for each other uid */
#define CONN_IDLE_MS	10000	/* to send the request, or read a reply */
#define ACCEPT_PAUSE_MS	100	/* accept out of fds: poll again after */
#define OUT_MAX		(64 * 1024 * 1024)	/* unread, root's */
#define OUT_MAX_USER	(8 * 1024 * 1024)	/* unread, another's */
#define OUT_MAX_UID	(16 * 1024 * 1024)	/* unread, one uid's */
#define FOLLOW_UID	4	/* followers of each uid but root */
#define FOLLOW_ROOT	16	/* followers kept for root */
#define QUERIES_UID	4	/* merged events queries of one uid */
#define QUERY_BURST	10	/* and a token bucket for them: */
#define QUERY_RATE_MS	500	/* one more each 500 ms */
#define QUERY_UIDS	64	/* uids with a bucket at a time */

struct conn {
	int		 fd;
	struct ucred	 cred;
	bool		 admin;		/* root or holds the admin group */
	struct loop_timer *idle;
	char		*in;
	size_t		 inlen;
	char		*out;
	size_t		 outlen, outoff;
	bool		 follow;
	bool		 handled;	/* one request per connection */
	bool		 waiting;	/* for a request to be applied */
	bool		 closing;	/* close once out is written */
	bool		 rdeof;		/* the client sent all it will send */
	bool		 gone;		/* and will read nothing either */
	char		 fgroup[64], fnode[64];
	struct conn	*next;
};

static const struct conf	*conf;
static bool			 have_admin_gid;
static gid_t			 admin_gid;
static int			 lfd = -1;
static struct loop_timer	*accept_pause;	/* out of fds: not polled */
static bool			 accept_starved; /* logged, this episode */
static struct conn		*conns;
static int			 nconns;
static struct {
	bool		 used;
	uid_t		 uid;
	unsigned	 tokens;
	uint64_t	 at;	/* tokens counted up to then */
} buckets[QUERY_UIDS];

static void
conn_free(struct conn *c)
{
	struct conn	**pp;

	for (pp = &conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (c->follow)
		events_unsubscribe(c);
	cluster_request_forget(c);
	check_forget(c);
	loop_timer_cancel(c->idle);
	loop_del_fd(c->fd);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
	nconns--;
}

/* Wait for a request until the client shut its side, for room to write. */
static void
conn_watch(struct conn *c)
{
	loop_mod_fd(c->fd, (c->rdeof ? 0 : EPOLLIN) |
	    (c->outoff < c->outlen ? EPOLLOUT : 0));
}

static void
conn_flush(struct conn *c)
{
	ssize_t	n;

	while (c->outoff < c->outlen) {
		n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_free(c);
			return;
		}
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->outlen) {
		c->outoff = c->outlen = 0;
		if (c->closing) {
			conn_free(c);
			return;
		}
	}
	conn_watch(c);
}

/* Output not yet read by the connections of uid. */
static size_t
uid_unread(uid_t uid)
{
	struct conn	*c;
	size_t		 n = 0;

	for (c = conns; c; c = c->next)
		if (c->cred.uid == uid)
			n += c->outlen - c->outoff;
	return n;
}

static void	reply_error(struct conn *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Queue o.  Unread output is bounded: 64 MiB for root, for anybody else
 * 8 MiB a connection and 16 MiB a uid.  A follower over it is dropped; a
 * reply over it is replaced by an error saying so.
 */
static void
conn_send(struct conn *c, struct json_object *o)
{
	const char	*s = json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PLAIN);
	char		*r = NULL;
	size_t		 n, unread = c->outlen - c->outoff;
	size_t		 max = c->cred.uid == 0 ? OUT_MAX : OUT_MAX_USER;

	/* Server log lines in causes are for administrators only. */
	if (strstr(s, PGHA_ADMIN_MARK) != NULL && !c->admin)
		s = r = admin_redact(s);
	n = strlen(s);

	if (unread + n + 1 > max || (c->cred.uid != 0 &&
	    uid_unread(c->cred.uid) + n + 1 > OUT_MAX_UID)) {
		c->closing = true;
		if (c->follow) {
			log_info("control: dropping a follower of uid %u (pid "
			    "%d) that does not read", (unsigned)c->cred.uid,
			    (int)c->cred.pid);
			free(r);
			return;
		}
		if (n < 4096) {	/* the error itself: no room at all */
			free(r);
			return;
		}
		reply_error(c, "too-large", "the reply (%zu bytes) exceeds "
		    "the output a user other than root may have unread (%d "
		    "MiB a connection, %d MiB a user): ask for less "
		    "(--limit, --since) or as root", n, OUT_MAX_USER >> 20,
		    OUT_MAX_UID >> 20);
		free(r);
		return;
	}
	c->out = xreallocarray(c->out, c->outlen + n + 1, 1);
	memcpy(c->out + c->outlen, s, n);
	c->out[c->outlen + n] = '\n';
	c->outlen += n + 1;
	free(r);
}

static void
reply_error(struct conn *c, const char *code, const char *fmt, ...)
{
	struct json_object	*o = json_object_new_object();
	char			 msg[512];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(code));
	json_object_object_add(o, "message", json_object_new_string(msg));
	conn_send(c, o);
	json_object_put(o);
}

/*
 * The groups the peer's process held when it connected (SO_PEERGROUPS),
 * not what the user database says of its user: the kernel's view, as
 * for file access.  A process that dropped the group may not change
 * anything; one given it (setpriv, newgrp, sg) may.  No NSS lookup here.
 */
static bool
peer_is_admin(int fd, const struct ucred *cr)
{
	gid_t		 buf[64], *g = buf;
	socklen_t	 len = sizeof(buf);
	size_t		 i, n;
	bool		 r = false;

	if (cr->uid == 0)
		return true;
	if (!have_admin_gid)
		return false;
	if (cr->gid == admin_gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == -1) {
		if (errno != ERANGE)
			return false;
		g = xmalloc(len);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == -1) {
			free(g);
			return false;
		}
	}
	n = len / sizeof(gid_t);
	for (i = 0; i < n && !r; i++)
		r = g[i] == admin_gid;
	if (g != buf)
		free(g);
	return r;
}

static const char *
jget_str(struct json_object *req, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(req, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void
follow_cb(struct json_object *ev, void *arg)
{
	struct conn		*c = arg;
	struct json_object	*o;

	if (!events_match(ev, c->fgroup, c->fnode, 0))
		return;
	o = json_object_new_object();
	json_object_object_add(o, "event", json_object_get(ev));
	conn_send(c, o);
	json_object_put(o);
	conn_flush(c);
}

static bool
jget_bool(struct json_object *req, const char *key)
{
	struct json_object	*v;

	return json_object_object_get_ex(req, key, &v) &&
	    json_object_get_boolean(v);
}

/* validate or db init finished: the reply as the check module gave it. */
static void
check_reply(void *arg, struct json_object *reply)
{
	struct conn	*c = arg;

	c->waiting = false;
	c->closing = true;
	conn_send(c, reply);
	conn_flush(c);
}

/* Refill bucket i up to now. */
static void
bucket_fill(size_t i, uint64_t now)
{
	uint64_t	add = (now - buckets[i].at) / QUERY_RATE_MS;

	if (buckets[i].tokens + add >= QUERY_BURST) {
		buckets[i].tokens = QUERY_BURST;
		buckets[i].at = now;
	} else {
		buckets[i].tokens += (unsigned)add;
		buckets[i].at += add * QUERY_RATE_MS;
	}
}

/*
 * Take a token from uid's bucket for a merged events query: each asks
 * every member for up to 128 KiB, so a loop of them (even one at a time)
 * makes every node build and multicast without pause.  A burst of
 * QUERY_BURST, then one each QUERY_RATE_MS.  A full bucket is the same
 * as none: a slot goes to another uid if unused or full, else the one
 * longest untouched is taken (only with QUERY_UIDS uids limited at once,
 * and then its uid starts afresh).
 */
static int
bucket_rank(size_t i)	/* which slot to give another uid: lowest */
{
	return !buckets[i].used ? 0 : buckets[i].tokens == QUERY_BURST ? 1 : 2;
}

static bool
query_token(uid_t uid)
{
	uint64_t	 now = now_ms();
	size_t		 i, pick = 0;

	for (i = 0; i < nitems(buckets); i++) {
		if (buckets[i].used)
			bucket_fill(i, now);
		if (buckets[i].used && buckets[i].uid == uid)
			break;
		if (bucket_rank(i) < bucket_rank(pick) || (bucket_rank(i) ==
		    bucket_rank(pick) && buckets[i].at < buckets[pick].at))
			pick = i;
	}
	if (i == nitems(buckets)) {
		i = pick;
		buckets[i].used = true;
		buckets[i].uid = uid;
		buckets[i].tokens = QUERY_BURST;
		buckets[i].at = now;
	}
	if (buckets[i].tokens == 0)
		return false;
	buckets[i].tokens--;
	return true;
}

/*
 * Whether an events request of c must wait: followers are 64 in all, 16
 * of them root's, 4 for each other uid; each uid but root may have 4
 * merged queries in flight.  If so, c was told why.
 */
static bool
events_refused(struct conn *c, bool follow)
{
	struct conn	*o;
	int		 all = 0, mine = 0, max;
	const char	*what;

	for (o = conns; o; o = o->next) {
		if (!follow || !o->follow)
			continue;
		all++;
		mine += o->cred.uid == c->cred.uid;
	}
	if (!follow)	/* those whose client left count too */
		mine = check_events_inflight(c->cred.uid);
	if (follow && all >= EVENTS_MAX_FOLLOWERS) {
		max = EVENTS_MAX_FOLLOWERS;
		what = "followers in all";
	} else if (c->cred.uid == 0)
		return false;
	else if (follow && all >= EVENTS_MAX_FOLLOWERS - FOLLOW_ROOT) {
		max = EVENTS_MAX_FOLLOWERS - FOLLOW_ROOT;
		what = "followers of users other than root";
	} else if (follow && mine >= FOLLOW_UID) {
		max = FOLLOW_UID;
		what = "followers of one user";
	} else if (!follow && mine >= QUERIES_UID) {
		max = QUERIES_UID;
		what = "events queries in flight of one user";
	} else
		return false;
	reply_error(c, "busy", "pghad is busy: at most %d %s (uid %u); try "
	    "again later", max, what, (unsigned)c->cred.uid);
	return true;
}

static void
do_events(struct conn *c, struct json_object *req)
{
	struct json_object	*o = json_object_new_object(), *v;
	const char		*g = jget_str(req, "group");
	const char		*n = jget_str(req, "node");
	int64_t			 since = 0;
	int			 limit = 0;

	if (json_object_object_get_ex(req, "since_ms", &v))
		since = json_object_get_int64(v);
	if (json_object_object_get_ex(req, "limit", &v))
		limit = json_object_get_int(v);
	if (c->gone && !jget_bool(req, "follow")) {
		/* Sent and left at once (a flood does): ask nobody. */
		log_debug("control: events query of uid %u (pid %d) not "
		    "asked: its client left", (unsigned)c->cred.uid,
		    (int)c->cred.pid);
		json_object_put(o);
		return;
	}
	if (events_refused(c, jget_bool(req, "follow"))) {
		json_object_put(o);
		return;
	}
	/* Merged from every member, unless following or asked for ours. */
	if (!jget_bool(req, "follow") && !jget_bool(req, "local") &&
	    c->cred.uid != 0 && !query_token(c->cred.uid)) {
		reply_error(c, "busy", "pghad is busy: at most %d events "
		    "queries at once, then %d a second, of one user (uid %u); "
		    "try again later", QUERY_BURST, 1000 / QUERY_RATE_MS,
		    (unsigned)c->cred.uid);
		json_object_put(o);
		return;
	}
	if (!jget_bool(req, "follow") && !jget_bool(req, "local") &&
	    check_events(g, n, since > 0 ? (uint64_t)since : 0, limit,
	    c->cred.uid, check_reply, c) == 0) {
		json_object_put(o);
		c->waiting = true;
		c->closing = false;
		return;
	}
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "events", events_query(g, n,
	    since > 0 ? (uint64_t)since : 0, limit));
	conn_send(c, o);
	json_object_put(o);
	if (json_object_object_get_ex(req, "follow", &v) &&
	    json_object_get_boolean(v)) {
		snprintf(c->fgroup, sizeof(c->fgroup), "%s", g ? g : "");
		snprintf(c->fnode, sizeof(c->fnode), "%s", n ? n : "");
		c->follow = true;
		c->closing = false;
		if (events_subscribe(follow_cb, c) == -1)
			abort();	/* events_refused() counted the slots */
		return;
	}
	c->closing = true;
}

/* A request of this connection was applied (or refused) cluster-wide. */
static void
change_done(void *arg, const char *code, const char *msg, const char *target)
{
	struct conn		*c = arg;
	struct json_object	*o;

	c->waiting = false;
	c->closing = true;
	if (code) {
		reply_error(c, code, "%s", msg);
		conn_flush(c);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	if (target && *target)
		json_object_object_add(o, "target",
		    json_object_new_string(target));
	conn_send(c, o);
	json_object_put(o);
	conn_flush(c);
}

/* The object a request names: "group", "node" or "resource". */
static int
request_args(struct conn *c, enum req_op op, struct json_object *req,
    const char **g, const char **to, uint32_t *flags)
{
	const char	*key = "group";

	*flags = (jget_bool(req, "force") ? REQF_FORCE : 0) |
	    (jget_bool(req, "drain") ? REQF_DRAIN : 0);
	switch (op) {
	case REQ_CONFIRM_DOWN:
	case REQ_NODE_STOP:
	case REQ_NODE_START:
	case REQ_NODE_PAUSE:
	case REQ_NODE_RESUME:
		key = "node";
		*to = jget_str(req, key);
		break;
	case REQ_RES_ONLINE:
	case REQ_RES_OFFLINE:
		key = "resource";
		*to = jget_str(req, key);
		break;
	default:
		*g = jget_str(req, key);
		*to = jget_str(req, "to");
		break;
	}
	if ((*g == NULL && *to == NULL) || (*g == NULL &&
	    strcmp(key, "group") == 0)) {
		reply_error(c, "bad-request", "request lacks \"%s\"", key);
		return -1;
	}
	return 0;
}

static const struct {
	const char	*cmd;
	enum req_op	 op;
} change_cmds[] = {
	{ "group-online", REQ_ONLINE },
	{ "group-offline", REQ_OFFLINE },
	{ "group-move", REQ_MOVE },
	{ "group-unmanage", REQ_UNMANAGE },
	{ "group-manage", REQ_MANAGE },
	{ "node-confirm-down", REQ_CONFIRM_DOWN },
	{ "node-stop", REQ_NODE_STOP },
	{ "node-start", REQ_NODE_START },
	{ "node-pause", REQ_NODE_PAUSE },
	{ "node-resume", REQ_NODE_RESUME },
	{ "resource-online", REQ_RES_ONLINE },
	{ "resource-offline", REQ_RES_OFFLINE },
};

static void
do_change(struct conn *c, enum req_op op, struct json_object *req)
{
	const char		*g = NULL, *to = NULL;
	const char		*code = NULL;
	char			 msg[512];
	uint32_t		 flags = 0;

	if (!c->admin) {
		log_notice("control: uid %u (pid %d) may not change the "
		    "cluster", (unsigned)c->cred.uid, (int)c->cred.pid);
		reply_error(c, "permission-denied", "permission denied: only "
		    "root%s%s may change the cluster",
		    conf->admin_group ? " or members of group " : "",
		    conf->admin_group ? conf->admin_group : "");
		return;
	}
	if (request_args(c, op, req, &g, &to, &flags) == -1)
		return;
	if (cluster_request(op, g, to, flags, (unsigned)c->cred.uid, &code,
	    msg, sizeof(msg), change_done, c) < 0) {
		reply_error(c, code, "%s", msg);
		return;
	}
	log_notice("control: uid %u asked %s %s%s%s",
	    (unsigned)c->cred.uid, jget_str(req, "cmd"), g ? g : "",
	    g && to && *to ? " " : "", to ? to : "");
	c->waiting = true;
	c->closing = false;
}

static bool
may_change_or_reply(struct conn *c)
{
	if (c->admin)
		return true;
	reply_error(c, "permission-denied", "permission denied: only "
	    "root%s%s may do this", conf->admin_group ? " or members of "
	    "group " : "", conf->admin_group ? conf->admin_group : "");
	return false;
}

static void
do_check(struct conn *c, struct json_object *req, bool init)
{
	const char	*g = jget_str(req, "group"), *code = "bad-request";
	const char	*paths = jget_str(req, "check_paths");
	char		 msg[512];
	int		 r;

	if (!may_change_or_reply(c))
		return;
	if (init && g == NULL) {
		reply_error(c, "bad-request", "request lacks \"group\"");
		return;
	}
	if (init)
		r = check_db_init(g, check_reply, c, &code, msg, sizeof(msg));
	else if ((r = check_validate(g, paths, check_reply, c, msg,
	    sizeof(msg))) == -1)
		code = strncmp(msg, "no group", 8) == 0 ? "unknown-group" :
		    "bad-request";
	if (r == -1) {
		reply_error(c, code, "%s", msg);
		return;
	}
	log_notice("control: uid %u asked %s%s%s", (unsigned)c->cred.uid,
	    init ? "db init" : "validate", g ? " " : "", g ? g : "");
	c->waiting = true;
	c->closing = false;
}

/* pgha keystore copy: root only (it writes a root-only file elsewhere). */
static void
do_keystore_copy(struct conn *c, struct json_object *req)
{
	const char	*node = jget_str(req, "node");
	const char	*path = jget_str(req, "path");
	const char	*hex = jget_str(req, "keystore");
	char		 msg[512];

	if (c->cred.uid != 0) {
		reply_error(c, "permission-denied", "permission denied: only "
		    "root may copy the keystore");
		return;
	}
	if (check_keystore_copy(node, path, hex, jget_bool(req, "force"),
	    check_reply, c, msg, sizeof(msg)) == -1) {
		reply_error(c, strncmp(msg, "no node", 7) == 0 ?
		    "unknown-node" : strstr(msg, "not a member") ?
		    "node-down" : "bad-request", "%s", msg);
		return;
	}
	log_notice("control: uid 0 asked keystore copy of %s to %s",
	    path, node && *node ? node : "every other member");
	c->waiting = true;
	c->closing = false;
}

static void
handle(struct conn *c, const char *line)
{
	struct json_object	*req = json_tokener_parse(line), *st;
	const char		*cmd;

	c->closing = true;
	if (req == NULL || !json_object_is_type(req, json_type_object)) {
		reply_error(c, "bad-request", "the request is not a JSON "
		    "object");
		goto out;
	}
	if ((cmd = jget_str(req, "cmd")) == NULL)
		reply_error(c, "bad-request", "request lacks \"cmd\"");
	else if (strcmp(cmd, "status") == 0) {
		st = cluster_status();
		conn_send(c, st);
		json_object_put(st);
	} else if (strcmp(cmd, "events") == 0)
		do_events(c, req);
	else if (strcmp(cmd, "validate") == 0)
		do_check(c, req, false);
	else if (strcmp(cmd, "db-init") == 0)
		do_check(c, req, true);
	else if (strcmp(cmd, "keystore-copy") == 0)
		do_keystore_copy(c, req);
	else {
		size_t i;

		for (i = 0; i < nitems(change_cmds); i++)
			if (strcmp(cmd, change_cmds[i].cmd) == 0)
				break;
		if (i < nitems(change_cmds))
			do_change(c, change_cmds[i].op, req);
		else
			reply_error(c, "bad-request", "unknown command "
			    "\"%.64s\"", cmd);
	}
out:
	if (req)
		json_object_put(req);
	if (!c->waiting)
		conn_flush(c);
}

/*
 * End of file from the client: it will send nothing more (nc -N, socat
 * and scripts shut their write side once the request is out), but it
 * may still read: the request, ended by the end of file if it had no
 * newline, is answered; then the connection closes.  Only a client that
 * closed both sides (EPOLLHUP on a unix socket) is gone.
 */
static void
conn_eof(struct conn *c, uint32_t events)
{
	if ((events & (EPOLLHUP | EPOLLERR)) || (!c->handled &&
	    c->inlen == 0)) {
		conn_free(c);
		return;
	}
	c->rdeof = true;
	conn_watch(c);
	if (!c->handled && !c->closing) {
		c->handled = true;
		handle(c, c->in);
	}
}

static void
conn_cb(int fd, uint32_t events, void *arg)
{
	struct conn	*c = arg;
	char		 buf[4096], *nl;
	ssize_t		 n;

	if (events & EPOLLOUT) {
		conn_flush(c);
		return;
	}
	if (c->rdeof) {		/* nothing to read: woken by EPOLLHUP */
		conn_free(c);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		conn_free(c);
		return;
	}
	if (n == 0) {
		conn_eof(c, events);
		return;
	}
	if (c->closing || c->follow || c->handled)
		return;
	if (c->inlen + (size_t)n > REQ_MAX) {
		reply_error(c, "bad-request", "request larger than %d bytes",
		    REQ_MAX);
		c->closing = true;
		conn_flush(c);
		return;
	}
	c->in = xreallocarray(c->in, c->inlen + (size_t)n + 1, 1);
	memcpy(c->in + c->inlen, buf, (size_t)n);
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	if ((nl = memchr(c->in, '\n', c->inlen)) != NULL) {
		*nl = '\0';
		c->handled = true;
		/* Closed already: nobody will read what a query finds. */
		c->gone = (events & EPOLLHUP) != 0;
		handle(c, c->in);
	}
}

/*
 * Nothing for CONN_IDLE_MS: a request not sent, or a reply not read.  A
 * follower and a request being applied are not idle.
 */
static void
idle_cb(void *arg)
{
	struct conn	*c = arg;

	c->idle = NULL;
	if (c->follow || c->waiting) {
		c->idle = loop_timer_add(CONN_IDLE_MS, idle_cb, c);
		return;
	}
	log_debug("control: closing an idle connection of uid %u (pid %d)",
	    (unsigned)c->cred.uid, (int)c->cred.pid);
	conn_free(c);
}

/* Why a new connection of uid may not be kept, or NULL. */
static const char *
over_limit(uid_t uid, int *max)
{
	struct conn	*c;
	int		 n = 0;

	if (nconns >= MAX_CONNS) {
		*max = MAX_CONNS;
		return "connections in all";
	}
	if (uid == 0)
		return NULL;
	if (nconns >= MAX_CONNS - ROOT_RESERVE) {
		*max = MAX_CONNS - ROOT_RESERVE;
		return "connections of users other than root";
	}
	for (c = conns; c; c = c->next)
		if (c->cred.uid == uid)
			n++;
	*max = UID_CONNS;
	return n >= UID_CONNS ? "connections of one user" : NULL;
}

/* Tell a refused client why, if its socket takes it now; then close. */
static void
refuse(int fd, const struct ucred *cr, const char *what, int max)
{
	static uint64_t	 last_log;
	char		 msg[256];
	int		 n;

	n = snprintf(msg, sizeof(msg), "{\"ok\":false,\"error\":\"busy\","
	    "\"message\":\"pghad is busy: at most %d %s (uid %u); try again "
	    "later\"}\n", max, what, (unsigned)cr->uid);
	(void)send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	if (now_ms() - last_log >= 10000) {	/* not a log flood either */
		last_log = now_ms();
		log_warnx("control: refusing connections of uid %u (pid %d): "
		    "at most %d %s", (unsigned)cr->uid, (int)cr->pid, max,
		    what);
	}
}

static void	accept_cb(int, uint32_t, void *);

static void
accept_resume(void *arg)
{
	accept_pause = NULL;
	if (loop_add_fd(lfd, EPOLLIN, accept_cb, NULL) == -1)
		fatal("control socket: cannot poll it again");
}

/*
 * accept failed for want of a descriptor or memory: the connection stays
 * in the backlog and the socket stays readable, so polling it again at
 * once would spin the loop until something else frees a descriptor.
 * Stop polling it for ACCEPT_PAUSE_MS instead; say so once per episode.
 */
static void
accept_full(void)
{
	if (!accept_starved)
		log_warn("control: accept: not accepting connections for "
		    "%d ms at a time until resources are free",
		    ACCEPT_PAUSE_MS);
	accept_starved = true;
	loop_del_fd(lfd);
	accept_pause = loop_timer_add(ACCEPT_PAUSE_MS, accept_resume, NULL);
}

static void
accept_cb(int fd, uint32_t events, void *arg)
{
	struct conn	*c;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	const char	*why;
	int		 cfd, max;

	cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			accept_full();
		return;
	}
	if (accept_starved) {
		accept_starved = false;
		log_notice("control: accepting connections again");
	}
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		close(cfd);
		return;
	}
	if ((why = over_limit(cred.uid, &max)) != NULL) {
		refuse(cfd, &cred, why, max);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = cfd;
	c->cred = cred;
	c->admin = peer_is_admin(cfd, &cred);
	if (loop_add_fd(cfd, EPOLLIN, conn_cb, c) < 0) {
		close(cfd);
		free(c);
		return;
	}
	c->idle = loop_timer_add(CONN_IDLE_MS, idle_cb, c);
	c->next = conns;
	conns = c;
	nconns++;
}

/*
 * Resolve admin_group once, when pghad starts (not for pghad -n): no NSS
 * lookup while serving requests.  0, or -1 with the error on errf.
 */
int
control_conf_check(const struct conf *cf, FILE *errf)
{
	struct group	*gr;

	have_admin_gid = false;
	if (cf->admin_group == NULL)
		return 0;
	errno = 0;
	if ((gr = getgrnam(cf->admin_group)) == NULL) {
		fprintf(errf, "%s: [cluster] admin_group: no group \"%s\" on "
		    "this node%s%s: create it (groupadd %s) or remove the "
		    "key\n", cf->path, cf->admin_group, errno ? ": " : "",
		    errno ? strerror(errno) : "", cf->admin_group);
		return -1;
	}
	admin_gid = gr->gr_gid;
	have_admin_gid = true;
	return 0;
}

/*
 * The socket's directory: made root's, mode 0755, if missing; refused if
 * anybody but root may write it or any directory above (then they could
 * put their own socket in its place).
 */
static void
socket_dir(const char *name)
{
	char	dir[108], why[512];

	if (path_dirname(name, dir, sizeof(dir)) == -1)
		fatalx("control socket %s: path too long", name);
	if (mkdir(dir, 0755) == 0)
		log_info("made directory %s for the control socket", dir);
	else if (errno != EEXIST) {
		log_err("control socket %s: cannot make %s", name, dir);
		exit(EXIT_SOCKET);
	}
	if (dir_trusted(dir, why, sizeof(why)) == -1) {
		log_warnx("control socket %s: refused: %s; only root may write "
		    "there (chown root %s; chmod 755 %s), or set [cluster] "
		    "socket to a path under a root-only directory such as "
		    "/run/pgha", name, why, dir, dir);
		exit(EXIT_SOCKET);
	}
}

/* A socket left by an earlier pghad goes; anything else stays: refuse. */
static void
socket_stale(const char *name)
{
	struct stat	st;

	if (lstat(name, &st) == -1) {
		if (errno == ENOENT)
			return;
		log_err("control socket %s", name);
		exit(EXIT_SOCKET);
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_errx("control socket %s: refused: something else than a "
		    "socket is there (mode %06o): remove it", name,
		    (unsigned)st.st_mode);
		exit(EXIT_SOCKET);
	}
	if (unlink(name) == -1) {
		log_err("control socket %s: removing the old one", name);
		exit(EXIT_SOCKET);
	}
}

void
control_init(const struct conf *cf)
{
	struct sockaddr_un	sun;
	const char		*name = cf->socket;
	mode_t			old;

	conf = cf;
	if (name[0] != '/')	/* conf.c refuses it: a broken invariant */
		fatalx("control socket %s: not an absolute path", name);
	socket_dir(name);
	socket_stale(name);	/* pghad.lock: no other pghad uses it */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", name);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	old = umask(0111);	/* 0666: everyone may ask; SO_PEERCRED */
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(lfd, 128) < 0) {
		log_err("control socket %s", name);
		exit(EXIT_SOCKET);
	}
	umask(old);
	loop_add_fd(lfd, EPOLLIN, accept_cb, NULL);
	log_info("control socket %s", name);
}

void
control_close(void)
{
	while (conns)
		conn_free(conns);
	loop_timer_cancel(accept_pause);
	accept_pause = NULL;
	if (lfd >= 0) {
		loop_del_fd(lfd);
		close(lfd);
	}
	lfd = -1;
}
