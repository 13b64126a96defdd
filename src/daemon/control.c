/*
 * control.c - the control socket (see control.h).  Set-up after bgpd's
 * control.c: one request per connection, credentials from SO_PEERCRED,
 * read-only requests for everybody, changes only for root or the
 * configured admin group.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <grp.h>
#include <pwd.h>
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
#include "cluster.h"
#include "control.h"
#include "events.h"
#include "log.h"
#include "loop.h"
#include "util.h"

#define REQ_MAX		(64 * 1024)
#define MAX_CONNS	128

struct conn {
	int		 fd;
	struct ucred	 cred;
	char		*in;
	size_t		 inlen;
	char		*out;
	size_t		 outlen, outoff;
	bool		 follow;
	bool		 handled;	/* one request per connection */
	bool		 waiting;	/* for a request to be applied */
	bool		 closing;	/* close once out is written */
	char		 fgroup[64], fnode[64];
	struct conn	*next;
};

static const struct conf	*conf;
static int			 lfd = -1;
static struct conn		*conns;
static int			 nconns;

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
	loop_del_fd(c->fd);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
	nconns--;
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
		loop_mod_fd(c->fd, EPOLLIN);
	} else
		loop_mod_fd(c->fd, EPOLLIN | EPOLLOUT);
}

static bool	may_change(const struct ucred *);

static void
conn_send(struct conn *c, struct json_object *o)
{
	const char	*s = json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PLAIN);
	char		*r = NULL;
	size_t		 n;

	/* Server log lines in causes are for administrators only. */
	if (strstr(s, PGHA_ADMIN_MARK) != NULL && !may_change(&c->cred))
		s = r = admin_redact(s);
	n = strlen(s);
	if (c->outlen + n + 1 > 64 * 1024 * 1024) {
		/* A follower that does not read: drop it. */
		c->closing = true;
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
    __attribute__((format(printf, 3, 4)));

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

static bool
may_change(const struct ucred *cr)
{
	struct group	*gr;
	struct passwd	*pw;
	gid_t		 groups[256];
	int		 n = (int)nitems(groups), i;

	if (cr->uid == 0)
		return true;
	if (conf->admin_group == NULL ||
	    (gr = getgrnam(conf->admin_group)) == NULL)
		return false;
	if (cr->gid == gr->gr_gid)
		return true;
	if ((pw = getpwuid(cr->uid)) == NULL ||
	    getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (groups[i] == gr->gr_gid)
			return true;
	return false;
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
	/* Merged from every member, unless following or asked for ours. */
	if (!jget_bool(req, "follow") && !jget_bool(req, "local") &&
	    check_events(g, n, since > 0 ? (uint64_t)since : 0, limit,
	    check_reply, c) == 0) {
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
		events_subscribe(follow_cb, c);
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

	if (!may_change(&c->cred)) {
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
	if (may_change(&c->cred))
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
	n = read(fd, buf, sizeof(buf));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_free(c);
		return;
	}
	if (n < 0 || c->closing || c->follow || c->handled)
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
		handle(c, c->in);
	}
}

static void
accept_cb(int fd, uint32_t events, void *arg)
{
	struct conn	*c;
	socklen_t	 len;
	int		 cfd;

	cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (nconns >= MAX_CONNS) {
		log_warnx("control: too many connections");
		close(cfd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = cfd;
	len = sizeof(c->cred);
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) < 0) {
		close(cfd);
		free(c);
		return;
	}
	if (loop_add_fd(cfd, EPOLLIN, conn_cb, c) < 0) {
		close(cfd);
		free(c);
		return;
	}
	c->next = conns;
	conns = c;
	nconns++;
}

void
control_init(const struct conf *cf)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	const char		*name = cf->socket;

	conf = cf;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (name[0] == '@') {
		/* Abstract: belongs to this network namespace. */
		snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1, "%s",
		    name + 1);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		    strlen(name + 1));
	} else {
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", name);
		unlink(name);
		len = sizeof(sun);
	}
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, len) < 0 ||
	    listen(lfd, 16) < 0) {
		log_warn("control socket %s", name);
		exit(EXIT_SOCKET);
	}
	if (name[0] != '@')
		chmod(name, 0666);	/* everyone may read; SO_PEERCRED */
	loop_add_fd(lfd, EPOLLIN, accept_cb, NULL);
	log_info("control socket %s", name);
}

void
control_close(void)
{
	while (conns)
		conn_free(conns);
	if (lfd >= 0) {
		loop_del_fd(lfd);
		close(lfd);
	}
	lfd = -1;
}
