/*
 * agent.h - resource operations as child processes with timeouts.
 *
 * Only agent.c forks.  An operation runs `AGENT TYPE ACTION` with OCF-style
 * environment (OCF_RESKEY_<key> per parameter) in its own process group.
 * On timeout the group gets SIGTERM, then SIGKILL after a grace period.
 * The daemon never blocks on it: completion arrives through the loop.
 */
#ifndef PGHA_AGENT_H
#define PGHA_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "agent_proto.h"
#include "conf.h"

struct agent_result {
	int		exit_code;	/* -1 if killed by a signal */
	int		signal;
	bool		timed_out;
	bool		cancelled;
	uint64_t	duration_ms;
	char		tail[1024];	/* last lines of its stderr */
	const char	*out;		/* agent_run_capture: its stdout */
};

struct agent_op;
typedef void	(*agent_done_cb)(const struct agent_result *, void *arg);

/* Set up SIGCHLD handling (signalfd). */
void	agent_init(void);
/*
 * Start `action` of resource r.  done is called exactly once, from the
 * loop, once the child is reaped (also after agent_cancel()).  extra_env, if
 * not NULL, is more NAME=value lines for the agent's environment, separated
 * by newlines.  Returns NULL and logs if the child could not be started.
 */
struct agent_op	*agent_run(const struct conf_resource *r, const char *path,
		    const char *action, uint32_t timeout_ms,
		    const char *extra_env, agent_done_cb done, void *arg);
/* The same, with the agent's stdout (up to 96 KiB) in result.out. */
struct agent_op	*agent_run_capture(const struct conf_resource *r,
		    const char *path, const char *action, uint32_t timeout_ms,
		    const char *extra_env, agent_done_cb done, void *arg);
/*
 * Run node n's fence agent with `action` ("off", "metadata", "status"):
 * the agent reads action=, plug=<node name> and its fence_options, one
 * key=value per line, on its standard input.  Same completion rules as
 * agent_run(); metadata's stdout is in result.out.
 */
/* `PATH corosync validate`: pgha validate's checks of Corosync, whose
 * findings (JSON lines) are the result's out. */
struct agent_op	*agent_run_cluster_check(const char *path,
		    uint32_t timeout_ms, agent_done_cb done, void *arg);
struct agent_op	*agent_run_fence(const struct conf_node *n,
		    const char *action, agent_done_cb done, void *arg);
/*
 * Kill the op's process group.  Its callback is still called, once the
 * child is reaped, with `cancelled` set: until then the operation may
 * still have effects (a mount(2) in progress completes).
 */
void	agent_cancel(struct agent_op *);
/* One-line description of a result: "exit 7", "timed out after 5000 ms" */
void	agent_result_str(const struct agent_result *, char *, size_t);

#endif
