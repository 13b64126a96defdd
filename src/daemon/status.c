/*
 * status.c - the cluster's status as JSON (pgha status), rendered from a
 * const view of the replicated state.
 */
#define PGHA_LOG_TAG "control"
#include <json-c/json.h>

#include "conntrack.h"
#include "status.h"

static const char *
node_name(const struct conf *conf, uint32_t nodeid)
{
	const struct conf_node	*n = conf_node_by_id(conf, nodeid);

	return n ? n->name : "?";
}

static const char *
node_state(const struct cstate *cs, int n)
{
	const struct node_rt	*nd = &cs->nodes[n];

	if (nd->refused)
		return "refused";
	if (nd->in_cpg && (!nd->synced || !nd->recorded))
		return "joining";
	if (nd->in_cpg && (nd->flags & NF_SHUTTING_DOWN))
		return "leaving";
	if (nd->in_cpg)
		return nd->flags & NF_STOPPED ? "stopped" :
		    nd->flags & NF_PAUSED ? "paused" : "online";
	if (nd->daemon_down)
		return "daemon-down";
	if (nd->unclean)
		return "unclean";
	/* Nothing known of what it runs, and it holds groups that run
	 * nowhere (decide.c, startup fencing). */
	if (nd->unknown && (nd->cs_member || state_node_unseen(cs, n)))
		return "unknown";
	return "offline";
}

static struct json_object *
jstr_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

/* Other nodes where it runs, started by hand: a second writer. */
static struct json_object *
also_by_hand_json(const struct cstate *cs, const struct conf_resource *r,
    int where)
{
	const struct conf	*conf = cs->conf;
	struct json_object	*a = json_object_new_array();
	int			 n;

	for (n = 0; n < conf->nnodes; n++) {
		const struct res_rt *rt = &cs->nodes[n].res[r->index];

		if (n != where && rt->state != RS_OFFLINE &&
		    (rt->flags & RF_BY_HAND))
			json_object_array_add(a,
			    json_object_new_string(conf->nodes[n].name));
	}
	return a;
}

static struct json_object *
resource_json(const struct cstate *cs, const struct conf_resource *r)
{
	const struct conf	*conf = cs->conf;
	struct json_object	*o = json_object_new_object();
	struct json_object	*fc = json_object_new_object();
	int			 n, where = -1, st = RS_OFFLINE;
	int			 err_st = RS_OFFLINE;
	uint64_t		 err_ms = 0;
	const char		*err = NULL;

	for (n = 0; n < conf->nnodes; n++) {
		const struct res_rt *rt = &cs->nodes[n].res[r->index];

		json_object_object_add(fc, conf->nodes[n].name,
		    json_object_new_int((int)state_fc(cs, r->index,
		    n)->count));
		/* The latest failure: a failed node's, else the newest. */
		if (rt->last_error[0] && (err == NULL ||
		    rt->state == RS_FAILED || rt->state == RS_STOP_FAILED ||
		    (err_st != RS_FAILED && err_st != RS_STOP_FAILED &&
		    rt->changed_ms > err_ms))) {
			err = rt->last_error;
			err_ms = rt->changed_ms;
			err_st = rt->state;
		}
		if (rt->state != RS_OFFLINE && (where < 0 ||
		    conf->nodes[n].nodeid == cs->groups[r->group->index]
		    .target)) {
			where = n;
			st = rt->state;
		}
	}
	if (where >= 0 && (cs->nodes[where].daemon_down ||
	    cs->nodes[where].unclean))
		st = RS_UNKNOWN;
	json_object_object_add(o, "wanted", json_object_new_boolean(
	    state_wanted(cs, r->group, r->gpos)));
	json_object_object_add(o, "by_hand", json_object_new_boolean(
	    where >= 0 && (cs->nodes[where].res[r->index].flags &
	    RF_BY_HAND)));
	json_object_object_add(o, "also_by_hand", also_by_hand_json(cs, r, where));
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "type",
	    json_object_new_string(r->type_name));
	json_object_object_add(o, "state",
	    json_object_new_string(rstate_name(st)));
	json_object_object_add(o, "node",
	    where >= 0 ? json_object_new_string(conf->nodes[where].name) :
	    NULL);
	json_object_object_add(o, "failcount", fc);
	if (r->type == RT_ADDRESS)
		json_object_object_add(o, "clients",
		    json_object_new_int(conntrack_count(r)));
	json_object_object_add(o, "last_error", jstr_or_null(err));
	return o;
}

static struct json_object *
group_json(const struct cstate *cs, const struct conf_group *g)
{
	const struct conf	*conf = cs->conf;
	struct json_object	*o = json_object_new_object();
	struct json_object	*res = json_object_new_array();
	const struct group_rt	*gr = &cs->groups[g->index];
	int			 owner = state_group_owner(cs, g), i;

	json_object_object_add(o, "name", json_object_new_string(g->name));
	json_object_object_add(o, "state",
	    json_object_new_string(state_group_summary(cs, g)));
	json_object_object_add(o, "owner", owner >= 0 ?
	    json_object_new_string(conf->nodes[owner].name) : NULL);
	json_object_object_add(o, "target", gr->target ?
	    json_object_new_string(node_name(conf, gr->target)) : NULL);
	json_object_object_add(o, "intent", json_object_new_string(
	    !gr->intent_online ? "offline" : gr->want == state_want_all(g) ?
	    "online" : "partial"));
	json_object_object_add(o, "managed",
	    json_object_new_boolean(!gr->unmanaged));
	json_object_object_add(o, "failovers",
	    json_object_new_int((int)gr->nfo));
	json_object_object_add(o, "reason", jstr_or_null(gr->reason));
	for (i = 0; i < g->nres; i++)
		json_object_array_add(res, resource_json(cs, g->res[i]));
	json_object_object_add(o, "resources", res);
	return o;
}

struct json_object *
status_json(const struct cstate *cs, uint32_t dec)
{
	const struct conf	*conf = cs->conf;
	struct json_object	*o = json_object_new_object();
	struct json_object	*nodes = json_object_new_array();
	struct json_object	*groups = json_object_new_array();
	int			 i;

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "version",
	    json_object_new_string(PGHA_VERSION));
	json_object_object_add(o, "cluster",
	    json_object_new_string(conf->cluster_name));
	json_object_object_add(o, "local_node",
	    json_object_new_string(conf->nodes[cs->local].name));
	json_object_object_add(o, "quorate",
	    json_object_new_boolean(cs->quorate));
	json_object_object_add(o, "decider",
	    dec ? json_object_new_string(node_name(conf, dec)) : NULL);
	json_object_object_add(o, "config_hash",
	    json_object_new_string(conf->hash));
	for (i = 0; i < conf->nnodes; i++) {
		struct json_object *n = json_object_new_object();

		json_object_object_add(n, "name",
		    json_object_new_string(conf->nodes[i].name));
		json_object_object_add(n, "id",
		    json_object_new_int((int)conf->nodes[i].nodeid));
		json_object_object_add(n, "state",
		    json_object_new_string(node_state(cs, i)));
		json_object_object_add(n, "local",
		    json_object_new_boolean(i == cs->local));
		json_object_object_add(n, "drain", json_object_new_boolean(
		    cs->nodes[i].in_cpg && (cs->nodes[i].flags & NF_DRAIN)));
		json_object_array_add(nodes, n);
	}
	json_object_object_add(o, "nodes", nodes);
	for (i = 0; i < conf->ngroups; i++)
		json_object_array_add(groups, group_json(cs, &conf->groups[i]));
	json_object_object_add(o, "groups", groups);
	return o;
}
