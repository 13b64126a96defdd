/*
 * ctl_client.c - pgha's side of the control socket (docs/control-
 * protocol.md): connect to a path, check that root listens there, send
 * one JSON request line, read JSON reply lines with a size bound and a
 * deadline.
 * Every failure is printed here, once, through cli_err() (errors.c), and
 * turned into the exit code the caller returns.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "cli.h"

#define CTL_BUF_INIT	65536

struct ctl_conn {
	int		 fd;
	char		*sock;
	char		*buf;
	size_t		 len;
	size_t		 cap;
	int		 nlines;	/* lines read so far */
};

static volatile sig_atomic_t	 interrupted;
static sigset_t			 wait_mask;	/* mask while in ppoll */
static int			 catching;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/*
 * SIGINT/SIGTERM end a followed stream cleanly (exit 0).  They stay
 * blocked except inside ppoll(), so one arriving between two reads is
 * not lost.
 */
void
ctl_catch_signals(void)
{
	struct sigaction	sa;
	sigset_t		block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	catching = 1;
}

static void
sock_addr(const char *name, struct sockaddr_un *sun, socklen_t *len)
{
	size_t	n = strlen(name);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, name, n);	/* cmd.c checked the length */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

/* Why connect() failed, in words an operator can act on. */
static int
connect_error(const char *name, int err)
{
	const char	*why;

	if (err == ECONNREFUSED)
		why = "connection refused: a stale socket, pghad is not "
		    "running";
	else if (err == ENOENT)
		why = "no such socket: pghad is not running, or uses "
		    "another socket (-s, PGHA_SOCKET)";
	else if (err == EAGAIN || err == EINPROGRESS || err == ETIMEDOUT)
		why = "pghad is running but does not accept connections";
	else
		why = strerror(err);
	cli_err("cannot reach pghad at %s: %s\n", name, why);
	return EXIT_UNREACHABLE;
}

/*
 * Before anything is sent: the socket's directory must be one only root
 * (or we) may write, and the listener must run as root (or as us).
 * Otherwise a local user may have put their own socket there to receive
 * our requests (a confirm-down, a keystore) and answer them.
 */
static int
sock_dir_check(const char *sock)
{
	char		dir[PATH_MAX], why[512];
	struct stat	st;

	if (path_dirname(sock, dir, sizeof(dir)) == 0 && stat(dir, &st) == -1 &&
	    errno == ENOENT)
		return 0;	/* connect() says "no such socket" */
	if (path_dirname(sock, dir, sizeof(dir)) == -1 ||
	    dir_trusted(dir, why, sizeof(why)) == -1) {
		cli_err("refusing the socket %s: %s: another "
		    "user could have put a socket there; use one in a "
		    "directory only root may write (pghad's default is "
		    "%s)\n", sock, dir[0] ? why : "bad path",
		    CLI_DEFAULT_SOCKET);
		return EXIT_UNREACHABLE;
	}
	return 0;
}

static int
peer_check(struct ctl_conn *c)
{
	struct ucred	cr;
	socklen_t	len = sizeof(cr);

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1) {
		cli_err("%s: SO_PEERCRED: %s\n", c->sock,
		    strerror(errno));
		return EXIT_UNREACHABLE;
	}
	if (cr.uid != 0 && cr.uid != geteuid()) {
		cli_err("refusing the socket %s: its listener "
		    "(pid %d) runs as uid %u, not root: it is not pghad; "
		    "nothing was sent\n", c->sock, (int)cr.pid,
		    (unsigned)cr.uid);
		return EXIT_UNREACHABLE;
	}
	return 0;
}

/*
 * pghad closed the connection before taking the request: it may have said
 * why first (too many connections: "busy").  That reply's exit code, or
 * 0 if there is none.
 */
static int
early_reply(struct ctl_conn *c)
{
	struct json_object	*o;
	char			 buf[4096];
	ssize_t			 n;
	int			 r;

	if ((n = recv(c->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if ((o = json_tokener_parse(buf)) == NULL)
		return 0;
	r = json_object_is_type(o, json_type_object) ? ctl_check(o) : 0;
	json_object_put(o);
	return r;
}

static int
send_all(struct ctl_conn *c, const char *p, size_t n)
{
	ssize_t	w;
	int	r;

	while (n > 0) {
		if ((w = send(c->fd, p, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			if ((errno == EPIPE || errno == ECONNRESET) &&
			    (r = early_reply(c)) != 0)
				return r;
			cli_err("sending to pghad at %s: %s\n",
			    c->sock, errno == EAGAIN ? "timed out" :
			    strerror(errno));
			return EXIT_UNREACHABLE;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Connect and send req; on success *cp is the connection. */
int
ctl_open(const char *sock, struct json_object *req, struct ctl_conn **cp)
{
	struct ctl_conn		*c;
	struct sockaddr_un	 sun;
	struct timeval		 tv = { CLI_REQUEST_TIMEOUT_MS / 1000, 0 };
	socklen_t		 len;
	const char		*line;
	int			 r;

	if ((r = sock_dir_check(sock)) != 0)
		return r;
	c = xcalloc(1, sizeof(*c));
	c->sock = xstrdup(sock);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		cli_err("socket: %s\n", strerror(errno));
		ctl_close(c);
		return EXIT_FAILED;
	}
	/* Bounds connect() on a full backlog and send() alike. */
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	sock_addr(sock, &sun, &len);
	while ((r = connect(c->fd, (struct sockaddr *)&sun, len)) == -1 &&
	    errno == EINTR)
		;
	if (r == -1) {
		r = connect_error(sock, errno);
		ctl_close(c);
		return r;
	}
	if ((r = peer_check(c)) != 0) {
		ctl_close(c);
		return r;
	}
	line = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if ((r = send_all(c, line, strlen(line))) != 0 ||
	    (r = send_all(c, "\n", 1)) != 0) {
		ctl_close(c);
		return r;
	}
	*cp = c;
	return 0;
}

void
ctl_close(struct ctl_conn *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	free(c->sock);
	free(c->buf);
	free(c);
}

/* Parse one complete line (NUL-terminated in place) into an object. */
static int
parse_line(struct ctl_conn *c, char *line, size_t n, struct json_object **out)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	enum json_tokener_error	 jerr;
	size_t			 used;

	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, line, (int)n);
	jerr = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL || jerr != json_tokener_success ||
	    line[used + strspn(line + used, " \t\r")] != '\0' ||
	    !json_object_is_type(o, json_type_object)) {
		cli_err("malformed reply from pghad at %s: %s\n",
		    c->sock, o == NULL || jerr != json_tokener_success ?
		    json_tokener_error_desc(jerr) : "not one JSON object");
		json_object_put(o);
		return EXIT_FAILED;
	}
	*out = o;
	return 0;
}

/* Take a full line out of the buffer if there is one: 1, 0, or -exit. */
static int
take_line(struct ctl_conn *c, struct json_object **out)
{
	char	*nl;
	size_t	 n;
	int	 r;

	if (c->len == 0 || (nl = memchr(c->buf, '\n', c->len)) == NULL)
		return 0;
	*nl = '\0';
	n = (size_t)(nl - c->buf);
	if (memchr(c->buf, '\0', n) != NULL) {
		cli_err("malformed reply from pghad at %s: "
		    "NUL byte\n", c->sock);
		return -EXIT_FAILED;
	}
	r = parse_line(c, c->buf, n, out);
	c->nlines++;
	c->len -= n + 1;
	memmove(c->buf, nl + 1, c->len);
	return r == 0 ? 1 : -r;
}

/* Wait for data until deadline (now_ms(); 0: none): 0, CTL_INTR or exit. */
static int
wait_readable(struct ctl_conn *c, uint64_t deadline)
{
	struct pollfd	 pfd = { c->fd, POLLIN, 0 };
	struct timespec	 ts, *tsp = NULL;
	uint64_t	 now;
	int		 r;

	for (;;) {
		if (catching && interrupted)
			return CTL_INTR;
		if (deadline != 0) {
			if ((now = now_ms()) >= deadline) {
				cli_err("no reply from pghad at "
				    "%s within %d s\n", c->sock,
				    CLI_REQUEST_TIMEOUT_MS / 1000);
				return EXIT_UNREACHABLE;
			}
			ts.tv_sec = (deadline - now) / 1000;
			ts.tv_nsec = (long)((deadline - now) % 1000) * 1000000;
			tsp = &ts;
		}
		r = ppoll(&pfd, 1, tsp, catching ? &wait_mask : NULL);
		if (r > 0)
			return 0;
		if (r == -1 && errno != EINTR) {
			cli_err("poll: %s\n", strerror(errno));
			return EXIT_FAILED;
		}
	}
}

static int
fill(struct ctl_conn *c)
{
	ssize_t	n;

	if (c->len == c->cap) {
		if (c->cap >= CLI_REPLY_MAX) {
			cli_err("reply from pghad at %s exceeds "
			    "%d MiB\n", c->sock, CLI_REPLY_MAX >> 20);
			return EXIT_FAILED;
		}
		c->cap = c->cap ? c->cap * 2 : CTL_BUF_INIT;
		c->buf = xreallocarray(c->buf, c->cap + 1, 1);
	}
	while ((n = read(c->fd, c->buf + c->len, c->cap - c->len)) == -1 &&
	    errno == EINTR)
		;
	if (n > 0) {
		c->len += (size_t)n;
		return 0;
	}
	if (n == 0 && c->len == 0)
		cli_err("pghad at %s closed the connection%s\n",
		    c->sock, c->nlines ? "" : " without a reply");
	else if (n == 0)
		cli_err("malformed reply from pghad at %s: "
		    "truncated\n", c->sock);
	else
		cli_err("reading from pghad at %s: %s\n",
		    c->sock, strerror(errno));
	return n == 0 && c->len != 0 ? EXIT_FAILED : EXIT_UNREACHABLE;
}

/*
 * Read the next JSON line (caller frees *out).  deadline is a now_ms()
 * value, 0 for none.  Returns 0, CTL_INTR, or an exit code (printed).
 */
int
ctl_read(struct ctl_conn *c, uint64_t deadline, struct json_object **out)
{
	int	r;

	for (;;) {
		if ((r = take_line(c, out)) != 0)
			return r > 0 ? 0 : -r;
		if ((r = wait_readable(c, deadline)) != 0)
			return r;
		if ((r = fill(c)) != 0)
			return r;
	}
}

/* One request, one reply within CLI_REQUEST_TIMEOUT_MS; caller frees. */
int
ctl_call(const char *sock, struct json_object *req, struct json_object **out)
{
	struct ctl_conn	*c;
	int		 r;

	*out = NULL;
	if ((r = ctl_open(sock, req, &c)) != 0)
		return r;
	r = ctl_read(c, now_ms() + CLI_REQUEST_TIMEOUT_MS, out);
	ctl_close(c);
	return r;
}

/* 0 if reply is {"ok": true, ...}; else print its message, give exit. */
int
ctl_check(struct json_object *reply)
{
	struct json_object	*ok, *code, *msg;

	if (!json_object_object_get_ex(reply, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		cli_err("malformed reply from pghad: no \"ok\" "
		    "field\n");
		return EXIT_FAILED;
	}
	if (json_object_get_boolean(ok))
		return 0;
	if (cli_json)	/* --json: the refusal as the daemon said it */
		out_json_print(stdout, reply, 1);
	if (!json_object_object_get_ex(reply, "error", &code))
		code = NULL;
	if (!json_object_object_get_ex(reply, "message", &msg) || msg == NULL)
		msg = code;
	cli_err("%s\n", msg ? json_object_get_string(msg) :
	    "request failed (no error code in reply)");
	return cmd_exit_code(code ? json_object_get_string(code) : NULL);
}
