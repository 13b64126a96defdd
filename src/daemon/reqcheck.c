/*
 * reqcheck.c - an operator's request checked before it is sent (see
 * reqcheck.h).  Reads the state, changes nothing.
 */
#define PGHA_LOG_TAG "control"
#include <stdio.h>

#include "decide.h"
#include "replica.h"
#include "reqcheck.h"

bool
reqcheck_op_on_group(enum req_op op)
{
	return op == REQ_ONLINE || op == REQ_OFFLINE || op == REQ_MOVE ||
	    op == REQ_UNMANAGE || op == REQ_MANAGE;
}

static bool
op_on_node(enum req_op op)
{
	return op == REQ_CONFIRM_DOWN || op == REQ_NODE_STOP ||
	    op == REQ_NODE_START || op == REQ_NODE_PAUSE ||
	    op == REQ_NODE_RESUME;
}

/* Names in a request that this node's cluster file does not know. */
static int
request_names(const struct conf *conf, enum req_op op, const char *group,
    const char *to, const char **code, char *msg, size_t len)
{
	if (reqcheck_op_on_group(op) &&
	    conf_group_by_name(conf, group) == NULL) {
		*code = "unknown-group";
		snprintf(msg, len, "no group named \"%s\" in %s", group,
		    conf->path);
		return -1;
	}
	if ((op_on_node(op) || (op == REQ_MOVE && *to)) &&
	    conf_node_by_name(conf, to) == NULL) {
		*code = "unknown-node";
		snprintf(msg, len, "no node named \"%s\" in %s", to,
		    conf->path);
		return -1;
	}
	if ((op == REQ_RES_ONLINE || op == REQ_RES_OFFLINE) &&
	    conf_resource_by_name(conf, to) == NULL) {
		*code = "unknown-resource";
		snprintf(msg, len, "no resource named \"%s\" in %s", to,
		    conf->path);
		return -1;
	}
	return 0;
}

int
reqcheck(const struct cstate *cs, bool joined, enum req_op op,
    const char *group, const char *to, const char **code, char *msg,
    size_t len)
{
	const struct conf	*conf = cs->conf;
	const struct conf_group	*g = NULL;
	const struct conf_node	*n = NULL;
	char			 why[CAUSE_LEN / 2];

	group = group ? group : "";
	to = to ? to : "";
	if (request_names(conf, op, group, to, code, msg, len) == -1)
		return -1;
	if (reqcheck_op_on_group(op))
		g = conf_group_by_name(conf, group);
	if (op_on_node(op) || op == REQ_MOVE)
		n = conf_node_by_name(conf, to);
	if (!joined || !cs->stable) {
		*code = "not-ready";
		snprintf(msg, len, "pghad on %s has not joined the cluster "
		    "yet", conf->nodes[cs->local].name);
		return -1;
	}
	if (!cs->quorate) {
		*code = "no-quorum";
		snprintf(msg, len, "%s's partition has no quorum: nothing can "
		    "be changed from here", conf->nodes[cs->local].name);
		return -1;
	}
	if (op == REQ_CONFIRM_DOWN) {
		if (cs->nodes[n->index].in_cpg) {
			*code = "failed";
			snprintf(msg, len, "%s is an active member of the "
			    "cluster: it is not down", n->name);
			return -1;
		}
		/* Corosync's view here, fresher than the replicated one. */
		if (cs->nodes[n->index].cs_member) {
			*code = "failed";
			replica_member_refusal(n->name, msg, len);
			return -1;
		}
	}
	if (op == REQ_MOVE) {
		if (n && (!state_node_eligible(cs, n->index) ||
		    !(g->possible_mask & (1ULL << n->index)))) {
			*code = cs->nodes[n->index].in_cpg ? "failed" :
			    "node-down";
			why[0] = '\0';
			(void)decide_node_usable(cs, g, n->index, why,
			    sizeof(why));
			snprintf(msg, len, "cannot move %s to %s", g->name,
			    why);
			return -1;
		}
		/* Without a node the best one is chosen when applied. */
		if (!n && decide_best_node(cs, g, state_group_owner(cs, g),
		    why, sizeof(why)) < 0) {
			*code = "failed";
			snprintf(msg, len, "no other node can take %s: %s",
			    g->name, why);
			return -1;
		}
	}
	return 0;
}
