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

#endif
