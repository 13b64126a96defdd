/*
 * conf.h - the cluster definition: one text file, the same on every node.
 *
 * conf_load() parses a whole file into a new struct conf or rejects it
 * whole: every error is reported as "file:line: message" and NULL is
 * returned.  There are no silent defaults for bad values.  The parsed tree
 * is immutable.  pghad loads it once, at start-up: there is no reload (a
 * changed file needs pghad restarted on every node, see pgha.conf(5)).
 *
 * Grammar (see man/pgha.conf.5):
 *
 *	# comment                     (whole line; also after whitespace)
 *	[cluster]                     exactly one, optional (defaults apply)
 *	key = value
 *	[node NAME]                   one per node
 *	[group NAME]
 *	[resource NAME]
 *
 * Values run to the end of the line, surrounding blanks stripped; list
 * values (preferred_owners, requires) are separated by blanks.  Names are
 * [A-Za-z0-9_.-]{1,63} and start with a letter or digit; node, group and
 * resource names share no namespace with each other but must be unique
 * within their kind.
 */
#ifndef PGHA_CONF_H
#define PGHA_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_NAME_MAX	63
#define CONF_MAX_NODES	32	/* node ids are 1..CONF_MAX_NODEID */
#define CONF_MAX_NODEID	65535
#define CONF_MAX_GROUP_RES 64	/* resources in one group */
#define CONF_MAX_THRESHOLD 64	/* failover_threshold (times kept) */

enum res_type {
	RT_DISK,
	RT_ADDRESS,
	RT_POSTGRESQL,
	RT_SERVICE,	/* any program: start, stop, monitor commands */
	RT_OCF,		/* an OCF resource agent: type = ocf:PROVIDER:AGENT */
};
#define RT_NTYPES	5

/* Where OCF resource agents live: OCF_ROOT/resource.d/PROVIDER/AGENT. */
#define CONF_OCF_ROOT	"/usr/lib/ocf"
/* An OCF resource's parameter NAME is written "param.NAME = value". */
#define CONF_OCF_PARAM	"param."
/* param.NAME keys of one resource (each is a variable of the agent's) */
#define CONF_MAX_OCF_PARAMS 32

/*
 * A type-specific parameter, passed to the agent as OCF_RESKEY_<key>.
 * For RT_OCF they are the param.NAME keys, in file order.
 */
struct conf_param {
	char	*key;
	char	*value;
};

struct conf_node {
	char		*name;
	uint32_t	 nodeid;	/* corosync nodeid */
	int		 index;		/* position in conf->nodes */
	int		 line;
	char		*fence_agent;	/* fence-agent program, or NULL */
	char		*fence_options;	/* "k=v k=v", or NULL */
	uint32_t	 fence_timeout_ms;
};

struct conf_group;

struct conf_resource {
	char			*name;
	int			 index;		/* position in conf->resources */
	int			 line;
	struct conf_group	*group;		/* borrows */
	int			 gpos;		/* position in group->res */
	enum res_type		 type;
	const char		*type_name;	/* "disk", ... (static), or
						   ocf_type */
	/* RT_OCF: "ocf:PROVIDER:AGENT", its parts and the agent's path */
	char			*ocf_type;
	char			*ocf_provider;
	char			*ocf_agent;
	char			*ocf_path;
	/* Resources this one requires (same group), as given. */
	struct conf_resource	**requires;	/* borrows the targets */
	int			 nrequires;
	/* Type-specific parameters, all of them, defaults filled in. */
	struct conf_param	*params;
	int			 nparams;
	uint32_t		 monitor_interval_ms;
	uint32_t		 monitor_timeout_ms;
	uint32_t		 start_timeout_ms;
	uint32_t		 stop_timeout_ms;
	int			 restarts;	/* local restarts before failover */
	uint32_t		 restart_period_ms; /* failures older: forgotten */
};

enum failback {
	FB_NO,		/* never: a group stays where it is */
	FB_IMMEDIATE,	/* as soon as a better preferred owner is back */
	FB_WINDOW,	/* only between from_min and to_min, local time */
};

struct conf_group {
	char			*name;
	int			 index;		/* position in conf->groups */
	int			 line;
	/* Preferred owners in order; may be empty (any node). */
	struct conf_node	**preferred;	/* borrows */
	int			 npreferred;
	/* The only nodes that may run it (MSCS's possible owners); empty:
	 * any node.  possible_mask has a bit per node index, all set when
	 * the list is empty. */
	struct conf_node	**possible;	/* borrows */
	int			 npossible;
	uint64_t		 possible_mask;
	bool			 autostart;	/* online when the cluster forms */
	uint32_t		 ban_timeout_ms; /* 0: bans last until cleared */
	/* At most this many failovers in failover_period_ms; then it stays
	 * failed.  -1 ("auto"): the number of nodes less one. */
	int			 failover_threshold;
	uint32_t		 failover_period_ms;
	char			*failback_text;	/* as written */
	enum failback		 failback;
	int			 failback_from_min;	/* FB_WINDOW: minutes */
	int			 failback_to_min;	/* after local midnight */
	/* Its resources in start order (requires first, then file order). */
	struct conf_resource	**res;		/* borrows */
	int			 nres;
};

struct conf {
	char			*path;
	char			*cluster_name;
	char			*socket;	/* "@name" abstract, or a path */
	char			*admin_group;	/* may change; NULL: root only */
	char			*state_dir;	/* events log, etc. */
	char			*agent_path;	/* pgha-agent binary */
	bool			 fencing;	/* fence lost nodes first */
	/* What peers compare (conf.c conf_set_hash()): sha256 of the keys
	 * the file gives; and of the previous release's canonical text, so
	 * that a node of that release is taken as having the same file. */
	char			 hash[65];
	char			 hash_prev[65];
	struct conf_node	*nodes;
	int			 nnodes;
	struct conf_group	*groups;
	int			 ngroups;
	uint64_t		 run_mask;	/* nodes some group may run on
						 * (possible_owners) */
	struct conf_resource	*resources;	/* in file order */
	int			 nresources;
};

/*
 * Parse path.  On any error write every "path:line: message" to errf and
 * return NULL.  Caller frees the result with conf_free().
 */
struct conf	*conf_load(const char *path, FILE *errf);
/* Same, from a buffer (fuzzing, tests); name is used in messages. */
struct conf	*conf_load_buf(const char *name, const char *buf, size_t len,
		    FILE *errf);
void		 conf_free(struct conf *);	/* NULL-safe */
/* Canonical form: re-parses to an identical tree (every default
 * written out: its hash is that of a file that sets every key). */
void		 conf_print(FILE *, const struct conf *);
/* The canonical form as the previous release (7ef9114) printed it. */
void		 conf_print_prev(FILE *, const struct conf *);
/* One key a file gives, sect's enum conf_sect, value as parsed. */
void		 conf_print_given(FILE *, int sect, const char *key,
		    const void *obj);
/* Is h the hash of this file, in this scheme or the previous one? */
bool		 conf_hash_same(const struct conf *, const char *h);

const struct conf_node		*conf_node_by_name(const struct conf *,
				    const char *);
const struct conf_node		*conf_node_by_id(const struct conf *,
				    uint32_t);
const struct conf_group		*conf_group_by_name(const struct conf *,
				    const char *);
const struct conf_resource	*conf_resource_by_name(const struct conf *,
				    const char *);
/* The group's failover threshold with "auto" resolved. */
int		 conf_failover_threshold(const struct conf *,
		    const struct conf_group *);
/* Value of a type-specific parameter, or NULL. */
const char	*conf_param(const struct conf_resource *, const char *key);

#endif
