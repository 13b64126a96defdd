/*
 * agent_util.h - what the built-in resource agents share: parameters from
 * the environment, the operation's deadline, failure lines on stderr,
 * /proc scanning, and running other programs (spawn.c).
 *
 * What pghad passes and expects back (exit codes, environment, stdout
 * keys) is agent_proto.h.  pghad keeps the last lines of stderr, so each
 * failure ends with its most useful line.
 */
#ifndef PGHA_AGENT_UTIL_H
#define PGHA_AGENT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent_proto.h"

enum agent_action {
	ACT_START,
	ACT_STOP,
	ACT_MONITOR,
};

int	disk_main(enum agent_action);
int	address_main(enum agent_action);
int	postgresql_main(enum agent_action);
int	service_main(enum agent_action);
int	ocf_main(enum agent_action);
/* pgha-agent ocf meta-data | validate-all */
int	ocf_extra(const char *action);

/* OCF_RESKEY_<key>, or "" when unset.  Borrows the environment. */
const char	*agent_param(const char *key);
/* Parse a decimal parameter within [min, max]; -1 and a message if bad. */
int		 agent_param_int(const char *key, long min, long max,
		    long *out);

/*
 * Failures are said with log.c's log_warnx() (log_warn() appends
 * strerror(errno)): one line each on stderr, the message alone.
 */

/*
 * The operation's own deadline: PGHA_TIMEOUT_MS (or a default per action)
 * less a margin, so that the agent gives up and says why before pghad
 * has to kill it.
 */
void		 agent_deadline_init(enum agent_action);
uint64_t	 agent_deadline(void);		/* CLOCK_MONOTONIC ms */
uint64_t	 agent_remaining_ms(void);	/* 0 once past it */
void		 agent_sleep_ms(unsigned);

/* readlink() that NUL-terminates; -1 on error or truncation. */
int	agent_readlink(const char *path, char *buf, size_t len);
/* path is dir itself or below it (both canonical). */
bool	agent_path_under(const char *path, const char *dir);

/*
 * Call fn(pid, arg) for each process in /proc but ourselves; stops early
 * when fn returns non-zero and returns that value.
 */
int	agent_proc_foreach(int (*fn)(pid_t, void *), void *arg);
/* /proc/PID/comm into buf ("?" if gone). */
void	agent_proc_comm(pid_t, char *buf, size_t len);

/* Wait for child pid until deadline; 0 and *status, or -1 on timeout. */
int	agent_wait_child(pid_t, uint64_t deadline, int *status);

/*
 * Another program run by an agent (spawn.c): argv[0] an absolute path,
 * no shell.  The child gets default signal dispositions, an empty mask,
 * descriptors 0-2 as asked and no others, the ids of the user asked, and
 * the directory asked; what it cannot set up it says on its stderr, and
 * it exits 127.
 */
enum agent_spawn_pgrp {
	AGENT_SPAWN_SAME_GROUP,		/* ours */
	AGENT_SPAWN_OWN_GROUP,		/* killed with its children */
	AGENT_SPAWN_OWN_SESSION,	/* it outlives us (a server) */
};
#define AGENT_SPAWN_KEEP	(-1)	/* the descriptor stays ours */
#define AGENT_SPAWN_NULL	(-2)	/* /dev/null */

struct agent_spawn {
	char *const		*argv;
	enum agent_spawn_pgrp	 pgrp;
	int			 in, out, err;	/* fd, KEEP or NULL */
	/*
	 * as_user: become uid/gid, with user's groups (initgroups) when user
	 * is not NULL, else with gid alone.
	 */
	bool			 as_user;
	const char		*user;
	uid_t			 uid;
	gid_t			 gid;
	const char		*dir;		/* NULL: stay */
};

/* Start it: its pid, or -1 (errno set) if fork failed. */
pid_t	agent_spawn(const struct agent_spawn *);
/*
 * Wait for a child of agent_spawn() until the operation's deadline less
 * grace_ms; then SIGTERM (its group's, if group) and wait out the grace;
 * then SIGKILL and reap.  With group, whatever is left of its group is
 * killed too.  0 and *status if it exited in time, -1 if stopped.
 */
int	agent_spawn_wait(pid_t, bool group, uint64_t grace_ms, int *status);

/* The Internet checksum (RFC 1071): add bytes (big-endian words), fold. */
uint32_t	agent_csum_add(uint32_t sum, const void *p, size_t n);
uint16_t	agent_csum_fold(uint32_t sum);

/*
 * Copy the last n lines of a file to stderr, each after AGENT_ERR_ADMIN_LINE
 * (for administrators only), the file opened as agent_open_safe() does.
 */
void	agent_tail_file(const char *path, int n, uid_t uid, gid_t gid);

/*
 * Open a regular file that lies in a directory someone other than root
 * may write (a data directory, a mount point, a log directory): never
 * through a symbolic link, never a FIFO or device, never a file with other
 * hard links.  If every directory on the way is root's and writable by
 * root only, the file is opened as root; otherwise with the effective ids
 * of uid/gid (the server's user), so a planted link or swapped directory
 * gains its planter nothing.  *as_root says which (may be NULL).  flags
 * get O_NOFOLLOW, O_NONBLOCK and O_CLOEXEC added.  -1 with errno set and
 * the reason on stderr.
 */
int	agent_open_safe(const char *path, int flags, mode_t mode, uid_t uid,
	    gid_t gid, bool *as_root);

#endif
