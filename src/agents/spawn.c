/*
 * spawn.c - the one way the built-in agents run another program
 * (tune2fs, initdb, postgres): fork, set the child up as keepalived and
 * Pacemaker do (process group, descriptors, signals, ids, directory),
 * exec without a shell; and the wait under the operation's deadline, with
 * a grace for SIGTERM before SIGKILL.  See agent_util.h.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent_util.h"
#include "log.h"

/* Default signal dispositions, empty mask, descriptors above 2 shut. */
static void
child_reset(void)
{
	struct sigaction	sa;
	sigset_t		set;
	int			sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	closefrom(3);
}

/* Make target the child's fd (AGENT_SPAWN_NULL: null's); -1 if not. */
static int
child_dup(int fd, int target, int null)
{
	if (fd == AGENT_SPAWN_KEEP)
		return 0;
	if (fd == AGENT_SPAWN_NULL)
		fd = null;
	return fd == target ? 0 : dup2(fd, target) == -1 ? -1 : 0;
}

/* Become the user sp names; -1 (said why) if we cannot. */
static int
child_ids(const struct agent_spawn *sp)
{
	if (!sp->as_user)
		return 0;
	if ((sp->user != NULL ? initgroups(sp->user, sp->gid) :
	    setgroups(1, &sp->gid)) == -1 || setgid(sp->gid) == -1 ||
	    setuid(sp->uid) == -1) {
		if (sp->user != NULL)
			log_warn("pgha-agent: cannot become %s", sp->user);
		else
			log_warn("pgha-agent: cannot become uid %d",
			    (int)sp->uid);
		return -1;
	}
	return 0;
}

static void __attribute__((noreturn))
child(const struct agent_spawn *sp)
{
	int	null = -1;

	if (sp->pgrp == AGENT_SPAWN_OWN_GROUP)
		(void)setpgid(0, 0);
	else if (sp->pgrp == AGENT_SPAWN_OWN_SESSION)
		(void)setsid();
	if ((sp->in == AGENT_SPAWN_NULL || sp->out == AGENT_SPAWN_NULL ||
	    sp->err == AGENT_SPAWN_NULL) &&
	    (null = open("/dev/null", O_RDWR)) == -1)
		_exit(127);
	if (child_dup(sp->in, 0, null) == -1 ||
	    child_dup(sp->out, 1, null) == -1 ||
	    child_dup(sp->err, 2, null) == -1)
		_exit(127);
	child_reset();
	if (child_ids(sp) == -1)
		_exit(127);
	if (sp->dir != NULL && chdir(sp->dir) == -1) {
		log_warn("pgha-agent: chdir %s", sp->dir);
		_exit(127);
	}
	execv(sp->argv[0], sp->argv);
	log_warn("pgha-agent: exec %s", sp->argv[0]);
	_exit(127);
}

pid_t
agent_spawn(const struct agent_spawn *sp)
{
	pid_t	pid;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0)
		child(sp);
	/* The child may not have yet: a kill of the group must reach it. */
	if (sp->pgrp == AGENT_SPAWN_OWN_GROUP)
		(void)setpgid(pid, pid);
	return pid;
}

int
agent_spawn_wait(pid_t pid, bool group, uint64_t grace_ms, int *status)
{
	uint64_t	until = agent_deadline();
	pid_t		target = group ? -pid : pid;
	bool		gone = false;

	if (agent_wait_child(pid, until - grace_ms, status) == 0)
		return 0;
	if (grace_ms > 0) {
		kill(target, SIGTERM);
		gone = agent_wait_child(pid, until, status) == 0;
	}
	if (!gone) {
		kill(target, SIGKILL);
		waitpid(pid, status, 0);
	}
	if (group)
		kill(-pid, SIGKILL);	/* whatever it left running */
	return -1;
}
