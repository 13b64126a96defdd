/*
 * agent.c - runs resource agents (see agent.h).  Child set-up follows
 * keepalived's system_call_script() and Pacemaker's action_launch_child();
 * timeout escalation follows keepalived's child thread handling.
 */
#define PGHA_LOG_TAG	"agent"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "conf_keys.h"
#include "log.h"
#include "loop.h"
#include "util.h"

#define KILL_GRACE_MS	2000
#define MAX_ENV		96
#define OUT_MAX		(96 * 1024)	/* captured stdout, at most */

struct agent_op {
	pid_t			 pid;
	int			 errfd;
	int			 outfd;		/* -1 unless captured */
	char			*out;		/* captured stdout */
	size_t			 outlen;
	char			 tail[4096];
	size_t			 taillen;
	uint64_t		 started;
	uint32_t		 timeout_ms;
	bool			 timed_out;
	bool			 cancelled;
	struct loop_timer	*timer;
	agent_done_cb		 done;
	void			*arg;
	char			 what[160];
	struct agent_op		*next;
};

static struct agent_op	*ops;
static int		 sigfd = -1;

static void
tail_append(struct agent_op *op, const char *buf, size_t n)
{
	size_t	cap = sizeof(op->tail) - 1;

	if (n >= cap) {
		buf += n - cap;
		n = cap;
	}
	if (op->taillen + n > cap) {
		size_t drop = op->taillen + n - cap;

		memmove(op->tail, op->tail + drop, op->taillen - drop);
		op->taillen -= drop;
	}
	memcpy(op->tail + op->taillen, buf, n);
	op->taillen += n;
	op->tail[op->taillen] = '\0';
}

static void
read_stderr(struct agent_op *op)
{
	char	buf[1024];
	ssize_t	n;
	int	reads = 0;

	/* Bounded per wake-up: a chatty agent must not hog the loop. */
	while (op->errfd >= 0 && reads++ < 64) {
		n = read(op->errfd, buf, sizeof(buf));
		if (n > 0) {
			tail_append(op, buf, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		loop_del_fd(op->errfd);
		close(op->errfd);
		op->errfd = -1;
	}
}

/* Captured stdout: kept whole up to OUT_MAX, the rest dropped. */
static void
read_stdout(struct agent_op *op)
{
	char	buf[4096];
	ssize_t	n;
	int	reads = 0;

	while (op->outfd >= 0 && reads++ < 64) {
		n = read(op->outfd, buf, sizeof(buf));
		if (n > 0) {
			size_t k = (size_t)n;

			if (op->outlen + k > OUT_MAX)
				k = OUT_MAX - op->outlen;
			memcpy(op->out + op->outlen, buf, k);
			op->outlen += k;
			op->out[op->outlen] = '\0';
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		loop_del_fd(op->outfd);
		close(op->outfd);
		op->outfd = -1;
	}
}

static void
errfd_cb(int fd, uint32_t events, void *arg)
{
	struct agent_op	*op = arg;

	if (fd == op->outfd)
		read_stdout(op);
	else
		read_stderr(op);
}

static void
op_unlink_free(struct agent_op *op)
{
	struct agent_op	**pp;

	for (pp = &ops; *pp; pp = &(*pp)->next)
		if (*pp == op) {
			*pp = op->next;
			break;
		}
	loop_timer_cancel(op->timer);
	if (op->errfd >= 0) {
		loop_del_fd(op->errfd);
		close(op->errfd);
	}
	if (op->outfd >= 0) {
		loop_del_fd(op->outfd);
		close(op->outfd);
	}
	free(op->out);
	free(op);
}

/*
 * Append line [b, e) to out at *used, control characters as '?': agents
 * repeat what servers and libpq say, and status and events end up on
 * terminals and in other nodes' logs.
 */
static void
put_line(char *out, size_t len, size_t *used, const char *sep,
    const char *b, const char *e)
{
	size_t	n = strlen(sep);

	if (*used + n >= len)
		return;
	memcpy(out + *used, sep, n);
	*used += n;
	for (; b < e && *used + 1 < len; b++)
		out[(*used)++] = (unsigned char)*b < 0x20 || *b == 0x7f ? '?' :
		    *b;
	out[*used] = '\0';
}

/*
 * The last two non-empty lines of the agent's stderr, then, after
 * PGHA_ADMIN_MARK, the last three it marked as for administrators only.
 */
static void
last_lines(const char *s, char *out, size_t len)
{
	const char	*pub[2][2], *adm[3][2], *b, *e, *t, *end = s + strlen(s);
	size_t		 used = 0, al = strlen(AGENT_ERR_ADMIN_LINE);
	int		 np = 0, na = 0, i;

	for (b = s; b < end; b = e + 1) {
		if ((e = memchr(b, '\n', (size_t)(end - b))) == NULL)
			e = end;
		t = e;
		while (t > b && (t[-1] == ' ' || t[-1] == '\r'))
			t--;
		if (t == b)
			continue;
		if ((size_t)(t - b) >= al && strncmp(b, AGENT_ERR_ADMIN_LINE,
		    al) == 0) {
			memmove(adm, adm[1], sizeof(adm[0]) * (na < 3 ? 0 :
			    2));
			i = na < 3 ? na++ : 2;
			adm[i][0] = b + al;
			adm[i][1] = t;
		} else {
			memmove(pub, pub[1], sizeof(pub[0]) * (np < 2 ? 0 :
			    1));
			i = np < 2 ? np++ : 1;
			pub[i][0] = b;
			pub[i][1] = t;
		}
	}
	out[0] = '\0';
	for (i = 0; i < np; i++)
		put_line(out, len, &used, i ? "|" : "", pub[i][0], pub[i][1]);
	for (i = 0; i < na; i++)
		put_line(out, len, &used, i ? "|" : &PGHA_ADMIN_MARK[np ? 0 :
		    1], adm[i][0], adm[i][1]);
}

static void
op_finish(struct agent_op *op, int status)
{
	struct agent_result	res;

	memset(&res, 0, sizeof(res));
	read_stderr(op);
	read_stdout(op);
	res.out = op->out;
	/* Leftovers of the agent's process group go with it. */
	kill(-op->pid, SIGKILL);
	res.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	res.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	res.timed_out = op->timed_out;
	res.duration_ms = now_ms() - op->started;
	last_lines(op->tail, res.tail, sizeof(res.tail));
	log_debug("agent %s: pid %d done in %llu ms, exit %d signal %d%s",
	    op->what, (int)op->pid, (unsigned long long)res.duration_ms,
	    res.exit_code, res.signal, res.timed_out ? " (timed out)" : "");
	res.cancelled = op->cancelled;
	op->done(&res, op->arg);
	op_unlink_free(op);
}

static void
sigchld_cb(int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo	si;
	struct agent_op		*op;
	pid_t			 pid;
	int			 status;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si))
		;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (op = ops; op; op = op->next)
			if (op->pid == pid)
				break;
		if (op)
			op_finish(op, status);
	}
}

void
agent_init(void)
{
	sigset_t	mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		fatal("sigprocmask");
	if ((sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		fatal("signalfd");
	if (loop_add_fd(sigfd, EPOLLIN, sigchld_cb, NULL) < 0)
		fatal("loop_add_fd");
}

static void
kill_cb(void *arg)
{
	struct agent_op	*op = arg;

	op->timer = NULL;
	log_warnx("agent %s (pid %d) ignored SIGTERM: SIGKILL", op->what,
	    (int)op->pid);
	kill(-op->pid, SIGKILL);
	kill(op->pid, SIGKILL);
}

static void
timeout_cb(void *arg)
{
	struct agent_op	*op = arg;
	int		 status;

	op->timer = NULL;
	/*
	 * pghad itself may have been stopped (SIGSTOP, a stalled host)
	 * while the agent ran: when it resumes, the deadline and the
	 * agent's exit are both due, and the timer may come first.  An
	 * agent that has exited did not hang: take its answer.
	 */
	if (waitpid(op->pid, &status, WNOHANG) == op->pid) {
		log_info("agent %s (pid %d) had exited when its deadline "
		    "came (pghad was held up): taking its result",
		    op->what, (int)op->pid);
		op_finish(op, status);
		return;
	}
	op->timed_out = true;
	log_warnx("agent %s (pid %d) timed out after %u ms: SIGTERM",
	    op->what, (int)op->pid, op->timeout_ms);
	kill(-op->pid, SIGTERM);
	op->timer = loop_timer_add(KILL_GRACE_MS, kill_cb, op);
}

/* In the child: a clean process, then exec; never returns. */
static void
child_exec(char *const argv[], char *const env[], int infd, int errw,
    int outw)
{
	sigset_t	mask;
	int		i, fd;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&mask);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	for (i = 1; i < NSIG; i++)
		signal(i, SIG_DFL);
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(infd >= 0 ? infd : fd, 0);
		dup2(outw >= 0 ? outw : fd, 1);
	}
	dup2(errw, 2);
	close_range(3, ~0U, 0);
	execve(argv[0], argv, env);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(5);
}

/*
 * Fork and exec argv with env; stdin_data (may be NULL) is what the child
 * reads on its standard input.  The op is tracked until reaped.
 */
static struct agent_op *
spawn(char *const argv[], char *const env[], const char *stdin_data,
    uint32_t timeout_ms, agent_done_cb done, void *arg, const char *what,
    bool capture)
{
	struct agent_op	*op;
	int		 p[2], in[2] = { -1, -1 }, o[2] = { -1, -1 };
	pid_t		 pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		log_err("%s: pipe", what);
		return NULL;
	}
	if (capture && pipe2(o, O_CLOEXEC) < 0) {
		log_err("%s: pipe", what);
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	/* Small enough for the pipe's buffer: written before the fork. */
	if (stdin_data && (pipe2(in, O_CLOEXEC) < 0 ||
	    write(in[1], stdin_data, strlen(stdin_data)) < 0)) {
		log_err("%s: stdin pipe", what);
		close(p[0]);
		close(p[1]);
		if (in[0] >= 0) {
			close(in[0]);
			close(in[1]);
		}
		return NULL;
	}
	if (in[1] >= 0) {
		close(in[1]);
		in[1] = -1;
	}
	if ((pid = fork()) < 0) {
		log_err("%s: fork", what);
		close(p[0]);
		close(p[1]);
		if (in[0] >= 0)
			close(in[0]);
		if (o[0] >= 0) {
			close(o[0]);
			close(o[1]);
		}
		return NULL;
	}
	if (pid == 0)
		child_exec(argv, env, in[0], p[1], o[1]);
	setpgid(pid, pid);	/* also in the child: no race on kill(-pid) */
	close(p[1]);
	if (o[1] >= 0)
		close(o[1]);
	if (in[0] >= 0)
		close(in[0]);
	op = xcalloc(1, sizeof(*op));
	op->pid = pid;
	op->errfd = p[0];
	op->outfd = o[0];
	fcntl(op->errfd, F_SETFL, O_NONBLOCK);
	if (op->outfd >= 0) {
		fcntl(op->outfd, F_SETFL, O_NONBLOCK);
		op->out = xcalloc(1, OUT_MAX + 1);
		if (loop_add_fd(op->outfd, EPOLLIN, errfd_cb, op) < 0)
			log_warn("agent %s: cannot watch stdout", what);
	}
	op->started = now_ms();
	op->timeout_ms = timeout_ms;
	op->done = done;
	op->arg = arg;
	snprintf(op->what, sizeof(op->what), "%s", what);
	op->timer = loop_timer_add(timeout_ms, timeout_cb, op);
	if (loop_add_fd(op->errfd, EPOLLIN, errfd_cb, op) < 0)
		log_warn("agent %s: cannot watch stderr", op->what);
	op->next = ops;
	ops = op;
	log_debug("agent %s: pid %d started", op->what, (int)pid);
	return op;
}

static void
free_strv(char **v)
{
	int	i;

	for (i = 0; v[i]; i++)
		free(v[i]);
}

static struct agent_op *
run_res(const struct conf_resource *r, const char *path, const char *action,
    uint32_t timeout_ms, const char *extra_env, agent_done_cb done, void *arg,
    bool capture)
{
	struct agent_op	*op;
	char		*env[MAX_ENV], what[160];
	char		*argv[4] = { (char *)path,
			    (char *)conf_rtype_names[r->type], (char *)action,
			    NULL };
	int		 ne = 0, nfixed, i;

	env[ne++] = xstrdup("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	env[ne++] = xstrdup("LANG=C");
	env[ne++] = xstrdup(AGENT_ENV_OCF_ROOT "=/usr/lib/ocf");
	env[ne++] = xstrdup(AGENT_ENV_OCF_MAJOR "=1");
	env[ne++] = xstrdup(AGENT_ENV_OCF_MINOR "=1");
	env[ne++] = xasprintf(AGENT_ENV_INSTANCE "=%s", r->name);
	env[ne++] = xasprintf(AGENT_ENV_TIMEOUT_MS "=%u", timeout_ms);
	if (r->type == RT_OCF) {
		/* pgha-agent ocf runs the agent (see agent_proto.h) */
		env[ne++] = xasprintf(AGENT_ENV_TYPE "=%s", r->ocf_agent);
		env[ne++] = xasprintf(AGENT_ENV_PROVIDER "=%s",
		    r->ocf_provider);
		env[ne++] = xasprintf(AGENT_ENV_OCF_AGENT "=%s", r->ocf_path);
		env[ne++] = xasprintf(AGENT_ENV_META_TIMEOUT "=%u",
		    timeout_ms);
	} else
		env[ne++] = xasprintf(AGENT_ENV_TYPE "=%s", r->type_name);
	for (i = 0; i < r->nparams && ne < MAX_ENV / 2; i++)
		env[ne++] = xasprintf(AGENT_ENV_PARAM "%s=%s", r->params[i].key,
		    r->params[i].value);
	/* After the parameters: getenv() finds the first, so these can
	 * never stand in for one. */
	nfixed = ne;
	while (extra_env && *extra_env && ne < MAX_ENV - 1) {
		size_t l = strcspn(extra_env, "\n");

		env[ne++] = xasprintf("%.*s", (int)l, extra_env);
		extra_env += l + (extra_env[l] == '\n');
	}
	env[ne] = NULL;
	snprintf(what, sizeof(what), "%s %s", r->name, action);
	/*
	 * The agent runs as root: a value with a control character (one a
	 * peer smuggled in) or an extra that is not one of ours (a newline
	 * turned into LD_PRELOAD=) must never reach it.
	 */
	for (i = 0; i < ne; i++)
		if (!env_entry_ok(env[i], i >= nfixed ?
		    AGENT_ENV_PREFIX : NULL)) {
			log_warnx("%s: not run: its environment entry "
			    "\"%.*s\" holds a control character or is not "
			    "a PGHA_ variable", what,
			    (int)strcspn(env[i], "="), env[i]);
			free_strv(env);
			errno = EINVAL;
			return NULL;
		}
	op = spawn(argv, env, NULL, timeout_ms, done, arg, what, capture);
	free_strv(env);
	return op;
}

struct agent_op *
agent_run(const struct conf_resource *r, const char *path, const char *action,
    uint32_t timeout_ms, const char *extra_env, agent_done_cb done, void *arg)
{
	return run_res(r, path, action, timeout_ms, extra_env, done, arg,
	    false);
}

struct agent_op *
agent_run_capture(const struct conf_resource *r, const char *path,
    const char *action, uint32_t timeout_ms, const char *extra_env,
    agent_done_cb done, void *arg)
{
	return run_res(r, path, action, timeout_ms, extra_env, done, arg,
	    true);
}

struct agent_op *
agent_run_fence(const struct conf_node *n, const char *action,
    agent_done_cb done, void *arg)
{
	struct agent_op	*op;
	char		*env[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
			    (char *)"LANG=C", NULL };
	char		*argv[2] = { n->fence_agent, NULL };
	char		*in, *opts = NULL, what[160], *p;

	/* One key=value per line, as the fence-agents programs read it. */
	if (n->fence_options) {
		opts = xstrdup(n->fence_options);
		for (p = opts; *p; p++)
			if (*p == ' ')
				*p = '\n';
	}
	in = xasprintf("action=%s\nplug=%s\n%s%s", action, n->name,
	    opts ? opts : "", opts ? "\n" : "");
	snprintf(what, sizeof(what), "fence %s %s", n->name, action);
	/* Only metadata's answer is read (which actions it has). */
	op = spawn(argv, env, in, n->fence_timeout_ms, done, arg, what,
	    strcmp(action, "metadata") == 0);
	free(in);
	free(opts);
	return op;
}

void
agent_cancel(struct agent_op *op)
{
	if (op == NULL)
		return;
	op->cancelled = true;
	kill(-op->pid, SIGKILL);
	kill(op->pid, SIGKILL);
}

void
agent_result_str(const struct agent_result *r, char *buf, size_t len)
{
	if (r->timed_out)
		snprintf(buf, len, "timed out after %llu ms",
		    (unsigned long long)r->duration_ms);
	else if (r->signal)
		snprintf(buf, len, "killed by signal %d", r->signal);
	else
		snprintf(buf, len, "exit %d", r->exit_code);
}

struct agent_op *
agent_run_cluster_check(const char *path, uint32_t timeout_ms,
    agent_done_cb done, void *arg)
{
	char	*env[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		    (char *)"LANG=C", NULL };
	char	*argv[4] = { (char *)path, (char *)"corosync",
		    (char *)"validate", NULL };

	return spawn(argv, env, NULL, timeout_ms, done, arg,
	    "corosync validate", true);
}
