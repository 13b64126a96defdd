/*
 * state.h - the cluster's runtime state as every node holds it.
 *
 * Two kinds of facts:
 *  - node facts (struct node_rt, struct res_rt): what runs on a node.
 *    Only that node changes them; it broadcasts its whole record
 *    (MSG_RECORD) after each change and after each membership change.
 *  - cluster facts (struct group_rt, failure counts): where each group
 *    should run, the operator's intent, bans.  Changed only by totally
 *    ordered messages (MSG_DECIDE from the decider, MSG_REQUEST from an
 *    operator) that every node applies in the same order, and handed to
 *    joiners in MSG_SYNC (see replica.h for the sync rule).
 */
#ifndef PGHA_STATE_H
#define PGHA_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "wire.h"

_Static_assert(WIRE_MAX_FO >= CONF_MAX_THRESHOLD,
    "a group keeps the times of as many failovers as it may make");

#define CAUSE_LEN	512
#define NAME_LEN	64

enum rstate {
	RS_OFFLINE = 0,
	RS_STARTING,
	RS_ONLINE,
	RS_STOPPING,
	RS_FAILED,
	RS_STOP_FAILED,
	RS_UNKNOWN,
	RS__MAX
};

struct res_rt {
	uint8_t		state;		/* enum rstate */
	uint8_t		flags;		/* RF_* (wire.h) */
	uint32_t	fail_seq;	/* failures of it on this node, ever */
	uint64_t	changed_ms;	/* wall clock of the last change */
	char		cause[CAUSE_LEN];	/* why it is in this state */
	char		last_error[CAUSE_LEN];	/* latest failure, or "" */
};

enum node_flag {
	NF_PROBED = 0x01,	/* its record holds probe results */
	NF_SHUTTING_DOWN = 0x02,	/* its daemon is leaving: take no groups */
	NF_STOPPED = 0x04,	/* cluster service stopped by an operator */
	NF_PAUSED = 0x08,	/* paused: keeps its groups, takes no new ones */
	NF_DRAIN = 0x10,	/* paused with drain: keeps none */
};
/* Flags under which a node gives up the groups it runs. */
#define NF_LEAVING	(NF_SHUTTING_DOWN | NF_STOPPED | NF_DRAIN)

struct node_rt {
	bool		in_cpg;		/* its pghad is in the process group */
	bool		daemon_down;	/* pghad died, node still up: facts stale */
	bool		unclean;	/* lost while it may run a group: fence */
	bool		synced;		/* took part in a completed sync */
	bool		recorded;	/* sent a record since it joined */
	bool		refused;	/* its cluster file differs */
	bool		cs_member;	/* in corosync's membership (local view) */
	uint64_t	member_since;	/* wall clock it became one (local) */
	/* Nothing is known of what it runs: no record from its pghad has
	 * reached this cluster since its facts began (a new cluster, or
	 * the pghad left before its first record), and it was not fenced,
	 * confirmed down or lost since.  Such a node may run anything. */
	bool		unknown;
	uint32_t	cpg_pid;
	uint32_t	flags;		/* enum node_flag, from its record */
	struct res_rt	*res;		/* [conf->nresources] */
};

struct fc_rt {
	uint32_t	count;		/* failures counted against the node */
	uint32_t	seen_seq;	/* the node's fail_seq already counted */
	uint64_t	last_ms;	/* wall clock of the last failure counted */
};

struct group_rt {
	uint32_t	gen;		/* bumped by each change applied */
	uint32_t	target;		/* nodeid where it should run, 0: none */
	bool		intent_online;
	bool		placed;		/* the decider has placed it */
	uint64_t	want;		/* resources (bit per position in the
					 * group) that should run; all when
					 * online, none when offline */
	bool		unmanaged;	/* no monitoring, no recovery */
	bool		held;		/* failover threshold reached: stays
					 * failed until an operator acts */
	bool		may_failback;	/* left its node by failover or a node
					 * stop, not by an operator's move */
	uint32_t	nfo;		/* failovers remembered, oldest first */
	uint64_t	fo_ms[WIRE_MAX_FO];
	uint64_t	banned;		/* bit per node index */
	uint64_t	ban_ms[CONF_MAX_NODES];	/* wall clock of each ban */
	char		reason[CAUSE_LEN];	/* why target is what it is */
};

struct cstate {
	const struct conf	*conf;		/* borrows */
	struct node_rt		*nodes;		/* [conf->nnodes] */
	struct group_rt		*groups;	/* [conf->ngroups] */
	struct fc_rt		*fc;		/* [nresources * nnodes] */
	int			 local;		/* index of this node */
	bool			 quorate;	/* this node's partition */
	bool			 stable;	/* sync round complete */
	bool			 all_recorded;	/* every member sent its record */
	uint64_t		 now_wall;	/* the decider's clock, for bans */
	int32_t			 tz_offset_s;	/* its time zone, seconds east
						 * of UTC, for failback windows */
	uint64_t		 version;	/* of the cluster facts */
};

struct cstate	*state_new(const struct conf *);	/* caller frees */
void		 state_free(struct cstate *);
/* Cluster facts back to their start (every group unplaced). */
void		 state_reset_cluster(struct cstate *);

/* One resource's facts to and from a record on the wire. */
void		 state_res_to_msg(const struct res_rt *, const char *name,
		    struct msg_res *);
void		 state_res_from_msg(struct res_rt *, const struct msg_res *);

const char	*rstate_name(int);

static inline struct fc_rt *
state_fc(const struct cstate *cs, int res, int node)
{
	return &cs->fc[res * cs->conf->nnodes + node];
}

/* Node index for a nodeid, -1 if not in the cluster file. */
int		 state_node_idx(const struct cstate *, uint32_t nodeid);
/* A node nobody here has seen since the cluster started, with fencing on:
 * it may run anything until it is fenced or joins (state.c). */
bool		 state_node_unseen(const struct cstate *, int node);
/* Is node n a possible owner of some group? */
bool		 state_node_may_run_some(const struct cstate *, int node);
/* True if a node may be given groups. */
bool		 state_node_eligible(const struct cstate *, int node);
/* True if a node may keep the groups it runs (paused nodes may). */
bool		 state_node_may_keep(const struct cstate *, int node);
/* Every resource of the group (bit per position in g->res). */
uint64_t	 state_want_all(const struct conf_group *);
/* Is the resource at position i of its group wanted? */
bool		 state_wanted(const struct cstate *, const struct conf_group *,
		    int i);
/* True if any resource of g is not offline on node. */
bool		 state_group_active_on(const struct cstate *,
		    const struct conf_group *, int node);
/* Index of the node where g is active (first), or -1. */
int		 state_group_owner(const struct cstate *,
		    const struct conf_group *);
/* Summary state of a group for display: "online", "failed", ... */
const char	*state_group_summary(const struct cstate *,
		    const struct conf_group *);

#endif
