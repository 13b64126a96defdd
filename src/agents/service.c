/*
 * service.c - the service agent: any program, given as shell commands.
 *
 * Parameters (OCF_RESKEY_*, see pgha.conf(5)): start (required), stop,
 * monitor, user (default root), pidfile.  Each command runs through
 * /bin/sh -c as user, in a process group of its own, with "/" as its
 * directory, under the operation's deadline; its output goes to our
 * stderr, which pghad shows.
 *
 *   start	the start command; it must return once the program runs in
 *		the background (a daemon's -d, or "prog >log 2>&1 &").  Then
 *		wait, until the deadline, for the pidfile's process (and
 *		for the monitor command to exit 0).  The program's
 *		executable is kept in RUN_DIR/NAME.exe.
 *   monitor	with a pidfile: its process lives (not a zombie) and runs
 *		the executable it ran when started (a pid reused by another
 *		program is "not running"); then the monitor command, if
 *		any: exit 0 is running, anything else a failure.  Without a
 *		pidfile: the monitor command, 0 running, else not running.
 *		Running with a pidfile: "watch_pid=PID" on stdout, so that
 *		pghad sees the process exit at once.
 *   stop	the stop command, if any; then, with a pidfile, SIGTERM to
 *		the process if it still runs and SIGKILL at the deadline
 *		less a margin.  Without a pidfile, the monitor command must
 *		then say it does not run.
 * A systemd unit is not a variant here: pghad's nodes in the lab do not
 * run systemd; use start = systemctl start UNIT, stop = systemctl stop
 * UNIT, monitor = systemctl is-active --quiet UNIT.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_util.h"
#include "log.h"

#define RUN_DIR		"/run/pgha-service"
#define POLL_MS		100
#define KILL_MARGIN_MS	1000

struct svc {
	const char	*name;
	const char	*start, *stop, *monitor, *pidfile;
	struct passwd	 pw;
	char		 pwbuf[1024];
};

static int
svc_load(struct svc *s)
{
	struct passwd	*res = NULL;
	const char	*user = agent_param("user");
	const char	*inst = getenv(AGENT_ENV_INSTANCE);

	s->name = inst != NULL && *inst != '\0' && strchr(inst, '/') == NULL ?
	    inst : NULL;
	s->start = agent_param("start");
	s->stop = agent_param("stop");
	s->monitor = agent_param("monitor");
	s->pidfile = agent_param("pidfile");
	if (s->name == NULL || *s->start == '\0') {
		log_warnx("%s or parameter start is not set: pghad passes "
		    "them", AGENT_ENV_INSTANCE);
		return OCF_ERR_CONFIGURED;
	}
	if (*user == '\0')
		user = "root";
	if (getpwnam_r(user, &s->pw, s->pwbuf, sizeof(s->pwbuf), &res) != 0 ||
	    res == NULL) {
		log_warnx("user: no system user \"%s\" on this node", user);
		return OCF_ERR_INSTALLED;
	}
	return OCF_SUCCESS;
}

/*
 * Run cmd through the shell as the service's user, wait until the
 * deadline less margin_ms.  Its exit code; -1 (said) if it did not end.
 */
static int
run_cmd(const struct svc *s, const char *what, const char *cmd,
    uint64_t margin_ms)
{
	char *const		argv[] = { (char *)"/bin/sh", (char *)"-c",
				    (char *)cmd, NULL };
	struct agent_spawn	sp = {
		.argv = argv, .pgrp = AGENT_SPAWN_OWN_GROUP,
		.in = AGENT_SPAWN_NULL, .out = 2, .err = AGENT_SPAWN_KEEP,
		.as_user = true, .user = s->pw.pw_name, .uid = s->pw.pw_uid,
		.gid = s->pw.pw_gid, .dir = "/",
	};
	uint64_t		grace = 1000;
	pid_t			pid;
	int			status;

	if ((pid = agent_spawn(&sp)) == -1) {
		log_warn("%s command: fork", what);
		return -1;
	}
	if (agent_remaining_ms() <= margin_ms + grace)
		grace = 0;
	if (agent_spawn_wait(pid, true, grace + margin_ms, &status) == -1) {
		log_warnx("%s command still running at the operation's "
		    "deadline: killed (%s)", what, cmd);
		return -1;
	}
	if (WIFSIGNALED(status)) {
		log_warnx("%s command killed by signal %d (%s)", what,
		    WTERMSIG(status), cmd);
		return -1;
	}
	return WEXITSTATUS(status);
}

static void
exe_path(const struct svc *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.exe", RUN_DIR, s->name);
}

/* The pidfile's process id; 0 if there is none or it is not a number. */
static pid_t
read_pid(const struct svc *s)
{
	char	 buf[32];
	long	 v;
	char	*end;
	ssize_t	 n;
	int	 fd;

	/* Read as root, but never through a link the user planted. */
	if ((fd = open(s->pidfile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\0' && *end != '\n') ||
	    v <= 1 || v >= (1L << 22))
		return 0;
	return (pid_t)v;
}

/* The process lives and is no zombie. */
static bool
pid_alive(pid_t pid)
{
	char	 path[64], buf[512], *p;
	FILE	*f;
	bool	 alive = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	if (fgets(buf, sizeof(buf), f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL && p[1] == ' ')
		alive = p[2] != 'Z' && p[2] != 'X';
	fclose(f);
	return alive;
}

/*
 * The pidfile's process if it runs the service's program: alive, and
 * its executable the one kept at start (if kept).  0 otherwise.
 */
static pid_t
svc_pid(const struct svc *s, bool say)
{
	char	 exe[4096], kept[4096] = "", kp[512], link[64];
	pid_t	 pid = read_pid(s);
	FILE	*f;

	if (pid == 0 || !pid_alive(pid)) {
		if (say)
			log_warnx("%s: %s", s->pidfile, pid == 0 ? "no process "
			    "id in it (or no such file)" : "its process is "
			    "gone");
		return 0;
	}
	exe_path(s, kp, sizeof(kp));
	if ((f = fopen(kp, "re")) != NULL) {
		if (fgets(kept, sizeof(kept), f) == NULL)
			kept[0] = '\0';
		kept[strcspn(kept, "\n")] = '\0';
		fclose(f);
	}
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	if (kept[0] != '\0' && agent_readlink(link, exe, sizeof(exe)) == 0 &&
	    strcmp(exe, kept) != 0) {
		if (say)
			log_warnx("%s: process %d runs %s, not the service's "
			    "%s (its pid was reused)", s->pidfile, (int)pid,
			    exe, kept);
		return 0;
	}
	return pid;
}

/* Keep the executable of the service's process, for svc_pid(). */
static void
keep_exe(const struct svc *s, pid_t pid)
{
	char	 exe[4096], kp[512], link[64];
	FILE	*f;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	if (agent_readlink(link, exe, sizeof(exe)) == -1)
		return;
	if (mkdir(RUN_DIR, 0700) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", RUN_DIR);
		return;
	}
	exe_path(s, kp, sizeof(kp));
	if ((f = fopen(kp, "we")) == NULL) {
		log_warn("%s", kp);
		return;
	}
	fprintf(f, "%s\n", exe);
	fclose(f);
}

static void
forget_exe(const struct svc *s)
{
	char	kp[512];

	exe_path(s, kp, sizeof(kp));
	(void)unlink(kp);
}

static int
svc_monitor(const struct svc *s, bool say)
{
	pid_t	pid = 0;
	int	rc;

	if (*s->pidfile != '\0' && (pid = svc_pid(s, say)) == 0)
		return OCF_NOT_RUNNING;
	if (*s->monitor != '\0') {
		rc = run_cmd(s, "monitor", s->monitor, 0);
		if (rc != 0) {
			if (say)
				log_warnx("monitor command exited %d (%s)", rc,
				    s->monitor);
			return pid != 0 ? OCF_ERR_GENERIC : OCF_NOT_RUNNING;
		}
	}
	if (pid != 0)
		printf(AGENT_OUT_WATCH_PID "%d\n", (int)pid);
	return OCF_SUCCESS;
}

static int
svc_start(const struct svc *s)
{
	pid_t	pid;
	int	rc;

	if (svc_monitor(s, false) == OCF_SUCCESS)
		return OCF_SUCCESS;	/* printed watch_pid= */
	forget_exe(s);
	/*
	 * A pidfile left by a process that died (a crash, a kill -9) makes
	 * many programs refuse to start ("another instance running?").
	 */
	if (*s->pidfile != '\0' && svc_pid(s, false) == 0 &&
	    unlink(s->pidfile) == 0)
		log_info("start: removed %s, left by a process that is gone",
		    s->pidfile);
	if ((rc = run_cmd(s, "start", s->start, 0)) != 0) {
		if (rc > 0)
			log_warnx("start command exited %d (%s)", rc,
			    s->start);
		return OCF_ERR_GENERIC;
	}
	/* Up once its pidfile names a live process and it answers. */
	while (*s->pidfile != '\0' && (pid = svc_pid(s, false)) == 0) {
		if (agent_remaining_ms() == 0) {
			(void)svc_pid(s, true);
			log_warnx("start: the start command returned, but "
			    "no process runs from %s", s->pidfile);
			return OCF_ERR_GENERIC;
		}
		agent_sleep_ms(POLL_MS);
	}
	if (*s->pidfile != '\0')
		keep_exe(s, pid);
	for (;;) {
		rc = svc_monitor(s, false);
		if (rc == OCF_SUCCESS)
			return OCF_SUCCESS;
		if (agent_remaining_ms() <= POLL_MS) {
			(void)svc_monitor(s, true);
			log_warnx("start: started, but not working by the "
			    "deadline");
			return OCF_ERR_GENERIC;
		}
		agent_sleep_ms(POLL_MS);
	}
}

static int
svc_stop(const struct svc *s)
{
	pid_t	pid;
	bool	termed = false;
	int	rc;

	if (*s->stop != '\0' && svc_monitor(s, false) != OCF_NOT_RUNNING &&
	    (rc = run_cmd(s, "stop", s->stop, KILL_MARGIN_MS)) != 0 &&
	    rc > 0)
		log_warnx("stop command exited %d (%s)", rc, s->stop);
	/* Without a pidfile: until the monitor command says it is gone. */
	while (*s->pidfile == '\0') {
		if (svc_monitor(s, false) == OCF_NOT_RUNNING)
			return OCF_SUCCESS;
		if (agent_remaining_ms() <= POLL_MS) {
			log_warnx("stop: the monitor command still says it "
			    "runs (%s)", s->monitor);
			return OCF_ERR_GENERIC;
		}
		agent_sleep_ms(POLL_MS);
	}
	/* SIGTERM now (no stop command) or after it; SIGKILL at the end. */
	while ((pid = svc_pid(s, false)) != 0) {
		if (agent_remaining_ms() <= KILL_MARGIN_MS) {
			log_warnx("stop: process %d did not end on SIGTERM "
			    "by the deadline: SIGKILL", (int)pid);
			kill(pid, SIGKILL);
			agent_sleep_ms(POLL_MS);
			if (svc_pid(s, false) != 0)
				return OCF_ERR_GENERIC;
			break;
		}
		if (!termed) {
			kill(pid, SIGTERM);
			termed = true;
		}
		agent_sleep_ms(POLL_MS / 2);
	}
	forget_exe(s);
	return OCF_SUCCESS;
}

int
service_main(enum agent_action act)
{
	struct svc	s;
	int		rc;

	memset(&s, 0, sizeof(s));
	/*
	 * No such user here: nothing was started as it, so a probe finds
	 * the service not running and a stop is done; a start fails.
	 */
	if ((rc = svc_load(&s)) != OCF_SUCCESS)
		return act == ACT_START || rc != OCF_ERR_INSTALLED ? rc :
		    act == ACT_STOP ? OCF_SUCCESS : OCF_NOT_RUNNING;
	switch (act) {
	case ACT_START:
		return svc_start(&s);
	case ACT_STOP:
		return svc_stop(&s);
	case ACT_MONITOR:
		return svc_monitor(&s, true);
	}
	return OCF_ERR_ARGS;
}
