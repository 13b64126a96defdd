/*
 * decide.h - the decision engine: pure functions of the replicated state.
 *
 * Nothing here reads a clock, does I/O or keeps globals, so that every
 * decision can be replayed in tests (tests/unit/test_decide.c) exactly as
 * the daemon made it.
 */
#ifndef PGHA_DECIDE_H
#define PGHA_DECIDE_H

#include "state.h"

#define DECIDE_MAX_FC	256

struct fc_update {
	int		res;	/* resource index */
	int		node;	/* node index */
	struct fc_rt	fc;
};

/* What the decider broadcasts for one group (MSG_DECIDE). */
struct decision {
	int			group;
	struct group_rt		g;	/* the group's new cluster record */
	int			nfc;
	struct fc_update	fc[DECIDE_MAX_FC];
};

/*
 * Placement of group gi.  Returns 1 and fills d when the group's cluster
 * record must change, 0 when it stays as it is.
 */
int	decide_group(const struct cstate *, int gi, struct decision *d);

/*
 * The best node for group g, not counting node `exclude` (-1: none):
 * eligible and not banned; preferred owners in order, then the node with
 * the fewest groups, then the lowest node id.  Returns the node index or
 * -1 and, in why, the reason each node was passed over.
 */
int	decide_best_node(const struct cstate *, const struct conf_group *,
	    int exclude, char *why, size_t whylen);

/*
 * Node n is to stop or drain: the first group (index) that runs or should
 * run there and could go nowhere else, with why in why; -1 if none.
 */
int	decide_stop_check(const struct cstate *, int n, char *why,
	    size_t len);
/*
 * The resource at position pos of g and what it requires (up), or what
 * requires it (!up): bits per position in g->res.
 */
uint64_t decide_res_closure(const struct conf_group *, int pos, bool up);
/* Position of a resource in mask running by hand somewhere (its node in
 * *node), or -1. */
int	decide_hand_running(const struct cstate *, const struct conf_group *,
	    uint64_t mask, int *node);
/* Wall clock at which time alone changes a decision (a ban ends, a
 * failback window opens), or 0. */
uint64_t decide_wake_at(const struct cstate *);

/*
 * At start-up, how long the decider waits for the pghad of every corosync
 * member before placing groups that are placed nowhere yet: so that a
 * cluster whose daemons start a second apart still starts its groups on
 * their preferred owners.
 */
#define DECIDE_JOIN_WAIT_MS	10000

/* What the decider's plan needs besides the state. */
struct decide_input {
	uint64_t	now_wall;	/* wall clock, ms */
	int32_t		tz_offset_s;	/* local time: seconds east of UTC */
	uint64_t	uptime_ms;	/* since pghad started */
	bool		decider;	/* this node is the decider */
	bool		connected;	/* to the process group */
	bool		in_flight;	/* decisions of ours not delivered */
};

/* The whole plan of the decider, from one state and one input. */
struct plan {
	uint64_t	 fence;		/* bit per node index: to fence */
	bool		 fence_may_start;	/* new attempts, not only going
						 * on with the started ones */
	bool		 decided;	/* the placement pass ran */
	uint32_t	 nodedown[CONF_MAX_NODES];	/* MSG_NODEDOWN ids */
	int		 nnodedown;
	struct decision	*dec;		/* [ndec]: MSG_DECIDE, in order */
	int		 ndec;
	uint64_t	 join_wait_ms;	/* waiting for members: look again
					 * in this many ms; 0: not waiting */
	uint64_t	 wake_at;	/* see decide_wake_at() */
};

/*
 * Every group placed in one pass (the groups placed earlier in the pass
 * count where they go, for the fewest-groups rule), the nodes to fence and
 * the node-down marks to send.  Pure.  Caller decide_plan_clear()s.
 */
void	decide_plan(const struct cstate *, const struct decide_input *,
	    struct plan *);
void	decide_plan_clear(struct plan *);
/* May node n run something (what is not offline there, or an unmanaged
 * group placed there)? */
bool	decide_node_active(const struct cstate *, int n);
/* Node n is gone: must it be fenced (true: unclean) before its groups
 * move, or is it simply offline? */
bool	decide_gone_unclean(const struct cstate *, int n);

/* May node n run group g now?  If not, why (appended to why). */
bool	decide_node_usable(const struct cstate *, const struct conf_group *,
	    int n, char *why, size_t whylen);

enum local_op {
	LOP_NONE = 0,
	LOP_START,
	LOP_STOP,
};

struct local_step {
	enum local_op	 op;
	int		 res;		/* resource index */
	const char	*why;		/* static text */
};

/*
 * What this node (cs->local) should do next for group gi, given that no
 * operation of that group is running here.
 */
void	decide_local_next(const struct cstate *, int gi, struct local_step *);

/* What runs here on one resource, as local.c (the executor) knows it. */
enum local_run {
	LRUN_NONE = 0,
	LRUN_PROBE,	/* a probe or re-probe runs, or a re-probe is due */
	LRUN_START,
	LRUN_STOP,
	LRUN_MONITOR,	/* a monitor, or a check for a server run by hand */
};

struct local_res {
	enum local_run	 run;
	bool		 cancelling;	/* killed, not yet reaped */
	uint8_t		 state;		/* RS_*, this node's own record */
	uint32_t	 flags;		/* RF_*, this node's own record */
};

/* What local.c is to do for a group now. */
enum local_act {
	LACT_NONE = 0,	/* nothing, or wait for what runs */
	LACT_CANCEL,	/* cancel the ops in plan.cancel, then look again */
	LACT_RUN,	/* carry out plan.step */
};

struct local_plan {
	enum local_act	 act;
	struct local_step step;		/* decide_local_next()'s */
	bool		 immediate;	/* a stop: at once, no checkpoint */
	uint64_t	 cancel;	/* bit per position in g->res */
	const char	*cancel_why;	/* static text */
};

/*
 * The local step of group gi, given what already runs here for it (lr:
 * one per position in g->res): the start or stop to run now (side by side
 * with independent ones of the same kind), the starts to cancel (a stop
 * overtakes the start of its resource; losing quorum cancels them all),
 * the monitors to cancel first, and whether a stop is immediate (no
 * quorum, or it or what it requires failed here).  Pure.
 */
void	decide_local_plan(const struct cstate *, int gi,
	    const struct local_res *lr, struct local_plan *);

/*
 * Is a start, stop or probe running in g (lr as above), or an op being
 * cancelled (killed but not yet reaped: a start killed in mount(2) may
 * still complete)?  Then no monitor starts either.
 */
bool	decide_local_busy(const struct conf_group *, const struct local_res *lr);

/* Group g is active on a node other than this one (state_group_owner). */
bool	decide_owned_elsewhere(const struct cstate *, const struct conf_group *);

/*
 * Should resource position i of g, not brought online here, be checked
 * now and then for a server or disk started by hand (lr as above)?
 */
bool	decide_hand_check_due(const struct cstate *, const struct conf_group *,
	    int i, const struct local_res *lr);

#endif
