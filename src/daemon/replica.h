/*
 * replica.h - the replicated state machine: a pure step function.
 *
 * replica_step() applies one input - a delivered message, a change of the
 * process group's membership, a change of quorum, the connection to
 * Corosync made or lost - to the cluster state, and says what follows
 * from it in a struct replica_effects: the events to record, the answer to
 * an operator's request, the messages to multicast, the local actions.  It
 * reads no clock (the wall time is an input field), does no I/O and keeps
 * no globals, so that tests replay it exactly as the daemon ran it
 * (tests/golden/decide/).  The caller (cpg.c) does the effects.
 *
 * Sync rule, when members join (or the membership changes while a sync
 * is pending): every member sends MSG_SYNC holding its cluster facts as
 * they were at that point in the order, their version, and what it knows
 * of the nodes that are not members (or "not synced" if it has nothing),
 * then its MSG_RECORD.  Every node logs the cluster-changing messages
 * delivered after the change.  Once every member's SYNC is in, the synced
 * one with the highest version wins (lowest node id on a tie): every node
 * resets its cluster facts to it, takes its view of non-members, and
 * replays the log, so that all end identical (for an old member this
 * changes nothing; for a joiner it is the hand-over; after a partition
 * heals the side that kept deciding is newer than the side that lost
 * quorum).  Operators' requests delivered during a round are refused on
 * every node alike.  If no member is synced, the cluster is new and starts
 * from the cluster file.  A node whose cluster file hash differs from the
 * winner's refuses to join.
 *
 * The decider is the lowest node id among synced members; it alone sends
 * MSG_DECIDE, and only while its partition is quorate.
 */
#ifndef PGHA_REPLICA_H
#define PGHA_REPLICA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "state.h"
#include "wire.h"

#define REPLICA_MAX_MEMBERS	CONF_MAX_NODES

/* One event for the event log (events_add()). */
struct replica_event {
	uint64_t	wall;
	char		node[NAME_LEN];		/* who saw it */
	char		group[NAME_LEN];	/* "" when none */
	char		object[NAME_LEN + 16];	/* "group db1", "node b" */
	char		from[NAME_LEN];
	char		to[NAME_LEN];
	char		cause[CAUSE_LEN];
};

/* A process that joined the group and is not its node's pghad. */
struct replica_intruder {
	uint32_t	nodeid;
	uint32_t	pid;
	char		why[128];
};

/* A line for the daemon's log. */
struct replica_log {
	int		pri;		/* LOG_DEBUG ... LOG_WARNING */
	char		text[CAUSE_LEN];
};

/* What one step leads to, for the caller to carry out in this order. */
struct replica_effects {
	/* A refusal to join: our cluster file's hash differs (then
	 * nothing else here holds: the caller leaves and exits). */
	bool			 refuse;
	char			 refuse_hash[WIRE_HASH_LEN];
	/* ... the file is the same, but the previous release's members
	 * took our SYNC's hash (this release's) for another file. */
	bool			 refuse_prev;
	struct replica_log	*log;		/* [nlog] */
	int			 nlog, logcap;
	struct replica_event	*ev;		/* [nev] */
	int			 nev, evcap;
	struct replica_intruder	 intr[REPLICA_MAX_MEMBERS * 2];
	int			 nintr;
	/* The outcome of the request applied (a MSG_REQUEST delivered):
	 * code NULL when carried out. */
	bool			 answered;
	const char		*code;		/* static text */
	char			 why[CAUSE_LEN];
	char			 target[NAME_LEN];
	/* Messages to multicast, in order (then this node's record). */
	struct msg		*out;		/* [nout] */
	int			 nout, outcap;
	bool			 send_record;
	bool			 resend_conns;	/* a joiner needs client lists */
	/* Groups managed again: each node probes them afresh. */
	int			*reprobe;	/* [nreprobe] group indexes */
	int			 nreprobe, reprobecap;
	bool			 set_admin;	/* our operator state changed */
	uint32_t		 admin;		/* NF_STOPPED|NF_PAUSED|NF_DRAIN */
};

/* A member of the process group, as Corosync names it. */
struct replica_member {
	uint32_t	nodeid;
	uint32_t	pid;
	bool		nodedown;	/* left: its node left the membership */
};

enum replica_in_type {
	RIN_DELIVER,	/* a message delivered in the total order */
	RIN_CONFCHG,	/* the process group's membership changed */
	RIN_QUORUM,	/* the quorum service's news */
	RIN_CPG_UP,	/* connected to the process group service */
	RIN_CPG_DOWN,	/* lost the connection to it: cut off */
};

struct replica_input {
	enum replica_in_type		 type;
	uint64_t			 wall;		/* wall clock, ms */
	/* RIN_DELIVER: from nodeid; m is taken over (left empty). */
	uint32_t			 nodeid;
	struct msg			*m;
	/* RIN_CONFCHG: members now, those that left, those that joined. */
	const struct replica_member	*mem, *left, *join;
	size_t				 nmem, nleft, njoin;
	/* RIN_QUORUM: quorate, and with has_list the corosync members. */
	bool				 quorate;
	bool				 has_list;
	const uint32_t			*qlist;
	size_t				 nqlist;
};

struct logged;

/* The state machine: the cluster state and the sync round's. */
struct replica {
	const struct conf	*conf;		/* borrows */
	struct cstate		*cs;		/* owns */
	uint32_t		 my_nodeid;
	uint32_t		 my_pid;
	uint64_t		 join_wall;	/* when we joined, wall */
	bool			 cpg_ok;	/* connected to the group */
	bool			 q_quorate;	/* corosync's quorum */
	bool			 joined;	/* saw our own join */
	uint64_t		 members[REPLICA_MAX_MEMBERS];	/* id<<32|pid */
	int			 nmembers;
	bool			 round_pending;
	bool			 round_seen[CONF_MAX_NODES];
	struct msg		 round_msg[CONF_MAX_NODES];	/* SYNCs */
	char			 cluster_hash[WIRE_HASH_LEN];
	/*
	 * Rolling upgrade: members of the previous release send and compare
	 * conf->hash_prev; their records lack RECF_HASH_KEYS (peer_prev).
	 * Our SYNC, made when the round starts (sync_msg), goes out once
	 * every member's record of this round is in (rec_round;
	 * sync_deferred while not), with the previous release's hash if a
	 * member is of it: every member decides alike, on the same records
	 * in the same order.
	 */
	bool			 peer_prev[CONF_MAX_NODES];
	bool			 rec_round[CONF_MAX_NODES];
	bool			 sync_deferred;
	struct msg		 sync_msg;
	struct logged		*elog, **elog_tail;
	struct replica_effects	*fx;		/* during a step only */
	uint64_t		 wall;		/* the input's, during a step */
};

/* A new state machine for node nodeid (pid: our process). Caller frees. */
struct replica	*replica_new(const struct conf *, uint32_t nodeid,
		    uint32_t pid);
void		 replica_free(struct replica *);
/* Apply one input; fx is cleared first (caller replica_effects_clear()s). */
void		 replica_step(struct replica *, const struct replica_input *,
		    struct replica_effects *fx);
void		 replica_effects_clear(struct replica_effects *);

/* True if pid is the process node nodeid registered in the group. */
bool		 replica_registered(const struct replica *, uint32_t nodeid,
		    uint32_t pid);
/* The decider: the lowest synced member's node id, or 0. */
uint32_t	 replica_decider_id(const struct replica *);
/* True if every member has sent its record since it joined. */
bool		 replica_all_recorded(const struct replica *);
/* Messages kept to replay at the end of the sync round. */
int		 replica_log_len(const struct replica *);
/* Why a node still in corosync's membership cannot be confirmed down. */
void		 replica_member_refusal(const char *name, char *buf,
		    size_t len);
/* The wire form of group gi's cluster record gr, with the failure
 * counts fcu[nfcu] (NULL: all of the group's). Caller msg_group_clear()s
 * through msg_clear() of the message holding it. */
struct fc_update;
void		 replica_group_to_msg(const struct replica *, int gi,
		    const struct group_rt *gr, struct msg_group *x,
		    const struct fc_update *fcu, int nfcu);
/* A member's state as its operator set it: "stopped", "paused", ... */
const char	*replica_admin_name(uint32_t flags);

#endif
