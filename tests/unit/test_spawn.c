/*
 * test_spawn.c - unit tests of the agents' agent_spawn() (spawn.c): what
 * the child gets (process group, descriptors, directory, ids) and what a
 * deadline does to a child that does not finish, seen from the programs
 * it runs (/proc/self, readlink, pwd, id) and from their wait status.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/agents/agent_util.h"
#include "../../src/common/util.h"
#include "tap.h"

/*
 * Run sp with its stdout into out, lines joined by spaces; what
 * agent_spawn_wait() returns, its status in *status.
 */
static int
run_out(struct agent_spawn *sp, int *status, char *out, size_t len)
{
	int	 pfd[2];
	size_t	 n = 0;
	ssize_t	 r;
	pid_t	 pid;

	out[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC) == -1)
		return -1;
	sp->out = pfd[1];
	pid = agent_spawn(sp);
	close(pfd[1]);
	if (pid == -1) {
		close(pfd[0]);
		return -1;
	}
	while (n < len - 1 && (r = read(pfd[0], out + n, len - 1 - n)) > 0)
		n += (size_t)r;
	while (n > 0 && out[n - 1] == '\n')
		n--;
	out[n] = '\0';
	for (char *p = out; (p = strchr(p, '\n')) != NULL;)
		*p = ' ';
	close(pfd[0]);
	return agent_spawn_wait(pid, sp->pgrp == AGENT_SPAWN_OWN_GROUP, 0,
	    status);
}

/* Field 5 of /proc/PID/stat as the child reads it: its process group. */
static long
pgrp_of_child(enum agent_spawn_pgrp pgrp, pid_t *child)
{
	char	*argv[] = { "/bin/cat", "/proc/self/stat", NULL };
	struct agent_spawn sp = { .argv = argv, .pgrp = pgrp,
		    .in = AGENT_SPAWN_NULL, .err = AGENT_SPAWN_KEEP };
	char	 out[1024], *p;
	long	 pid, ppid, pg;
	int	 status;

	if (run_out(&sp, &status, out, sizeof(out)) == -1 ||
	    (p = strrchr(out, ')')) == NULL ||
	    sscanf(out, "%ld", &pid) != 1 ||
	    sscanf(p + 2, "%*c %ld %ld", &ppid, &pg) != 2)
		return -1;
	*child = (pid_t)pid;
	return pg;
}

static void
test_groups(void)
{
	pid_t	child = 0;
	long	pg;

	pg = pgrp_of_child(AGENT_SPAWN_OWN_GROUP, &child);
	ok(pg == child && child > 0, "own group: the child leads its "
	    "process group (pgrp %ld, pid %d)", pg, (int)child);
	pg = pgrp_of_child(AGENT_SPAWN_OWN_SESSION, &child);
	ok(pg == child && child > 0, "own session: the child leads its "
	    "process group (pgrp %ld, pid %d)", pg, (int)child);
	pg = pgrp_of_child(AGENT_SPAWN_SAME_GROUP, &child);
	ok(pg == getpgrp(), "same group: the child is in ours (pgrp %ld, "
	    "ours %d)", pg, (int)getpgrp());
}

static void
test_descriptors(void)
{
	char	*ls[] = { "/bin/ls", "/proc/self/fd", NULL };
	char	*rl[] = { "/bin/readlink", "/proc/self/fd/0", NULL };
	struct agent_spawn sp = { .argv = ls, .in = AGENT_SPAWN_NULL,
		    .err = AGENT_SPAWN_KEEP };
	char	 out[1024];
	int	 status, fd;

	/* A descriptor of ours without close-on-exec must not leak. */
	fd = dup2(open("/dev/null", O_RDONLY), 57);
	ok(fd == 57, "a descriptor 57 without close-on-exec is open");
	/* ls has 0, 1, 2 and 3 (the directory it lists), nothing else */
	ok(run_out(&sp, &status, out, sizeof(out)) == 0 &&
	    strcmp(out, "0 1 2 3") == 0,
	    "the child has no descriptor of ours: %s", out);
	close(fd);
	sp.argv = rl;
	ok(run_out(&sp, &status, out, sizeof(out)) == 0 &&
	    strcmp(out, "/dev/null") == 0, "stdin is /dev/null: %s", out);
}

static void
test_dir_and_exec(void)
{
	char	*pwd[] = { "/bin/pwd", NULL };
	char	*bad[] = { "/nonexistent/pgha-test", NULL };
	struct agent_spawn sp = { .argv = pwd, .in = AGENT_SPAWN_NULL,
		    .err = AGENT_SPAWN_KEEP, .dir = "/proc" };
	char	 out[1024];
	int	 status, efd[2];

	ok(run_out(&sp, &status, out, sizeof(out)) == 0 &&
	    strcmp(out, "/proc") == 0, "the child runs in dir: %s", out);

	/* A program that cannot run: 127, and the reason on its stderr. */
	if (pipe2(efd, O_CLOEXEC) == -1)
		return;
	sp.argv = bad;
	sp.dir = NULL;
	sp.err = efd[1];
	ok(run_out(&sp, &status, out, sizeof(out)) == 0 &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 127,
	    "exec failure exits 127");
	close(efd[1]);
	memset(out, 0, sizeof(out));
	if (read(efd[0], out, sizeof(out) - 1) > 0)
		out[strcspn(out, "\n")] = '\0';
	ok(strstr(out, "exec /nonexistent/pgha-test") != NULL,
	    "exec failure is said on stderr: %s", out);
	close(efd[0]);
}

static void
test_user(void)
{
	char	*id[] = { "/usr/bin/id", "-u", NULL };
	struct agent_spawn sp = { .argv = id, .in = AGENT_SPAWN_NULL,
		    .err = AGENT_SPAWN_KEEP, .as_user = true,
		    .uid = 65534, .gid = 65534 };
	char	 out[64];
	int	 status;

	if (getuid() != 0) {
		ok(1, "# SKIP not root: ids not tested");
		return;
	}
	ok(run_out(&sp, &status, out, sizeof(out)) == 0 &&
	    strcmp(out, "65534") == 0, "as_user: the child runs as uid "
	    "65534: %s", out);
}

/* 1 if pid is a live (not zombie) member of process group *arg. */
static int
live_member(pid_t pid, void *arg)
{
	char	 path[64], buf[512], *p, state;
	long	 ppid, pg;
	FILE	*f;
	size_t	 n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%c %ld %ld", &state, &ppid, &pg) != 3)
		return 0;
	return state != 'Z' && pg == *(pid_t *)arg;
}

/*
 * Nothing of process group pg runs any more (waited on: a killed process
 * takes a moment to exit; its zombie is its new parent's to reap).
 */
static bool
group_gone(pid_t pg)
{
	uint64_t	until = now_ms() + 10000;

	while (agent_proc_foreach(live_member, &pg) != 0) {
		if (now_ms() >= until)
			return false;
		agent_sleep_ms(10);
	}
	return true;
}

/* A child that outlives the deadline is stopped; grace: TERM first. */
static void
test_deadline(void)
{
	char	*argv[] = { "/bin/sleep", "600", NULL };
	char	*deaf[] = { "/bin/sh", "-c", "trap '' TERM; /bin/sleep 600",
		    NULL };
	struct agent_spawn sp = { .argv = argv,
		    .pgrp = AGENT_SPAWN_OWN_GROUP, .in = AGENT_SPAWN_NULL,
		    .out = AGENT_SPAWN_NULL, .err = AGENT_SPAWN_KEEP };
	int	 status = 0, r;
	pid_t	 pid;

	setenv("PGHA_TIMEOUT_MS", "300", 1);
	agent_deadline_init(ACT_MONITOR);
	pid = agent_spawn(&sp);
	r = agent_spawn_wait(pid, true, 100, &status);
	ok(r == -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
	    "past the deadline less the grace: SIGTERM (status %#x)",
	    status);
	ok(kill(pid, 0) == -1, "and it is reaped");

	agent_deadline_init(ACT_MONITOR);
	pid = agent_spawn(&sp);
	r = agent_spawn_wait(pid, true, 0, &status);
	ok(r == -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "without a grace: SIGKILL (status %#x)", status);

	/* One that ignores SIGTERM: the grace runs out, then SIGKILL. */
	sp.argv = deaf;
	agent_deadline_init(ACT_MONITOR);
	pid = agent_spawn(&sp);
	r = agent_spawn_wait(pid, true, 100, &status);
	ok(r == -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "SIGTERM ignored: SIGKILL after the grace (status %#x)", status);
	ok(group_gone(pid), "nothing of its process group runs");
}

int
main(void)
{
	/* Ample for the children that finish (hand-run default 10 s). */
	unsetenv("PGHA_TIMEOUT_MS");
	agent_deadline_init(ACT_MONITOR);
	test_groups();
	test_descriptors();
	test_dir_and_exec();
	test_user();
	test_deadline();
	return done_testing();
}
