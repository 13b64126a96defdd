/*
 * conf_keys.c - the key table (see conf_keys.h): every key of the cluster
 * file with its section, type, default, bounds and one-line doc, and the
 * names of sections and resource types.  conf.c parses from it,
 * conf_print.c prints from it, and test_conf checks pgha.conf(5) against
 * it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "conf_keys.h"
#include "keystore.h"
#include "util.h"

#define DUR_MAX_MS	86400000	/* 24h */
#define RES(f)	offsetof(struct conf_resource, f)

const struct conf_key conf_keys[] = {
	{ "name", CS_CLUSTER, CK_ANY_TYPE, CV_NAME, 0,
	    offsetof(struct conf, cluster_name), "pgha", { 0 }, 0, 0,
	    "cluster name, the same on every node" },
	{ "socket", CS_CLUSTER, CK_ANY_TYPE, CV_SOCKET, 0,
	    offsetof(struct conf, socket), PGHA_DEFAULT_SOCKET, { 0 }, 0, 0,
	    "control socket: an absolute path in a root-only directory" },
	{ "admin_group", CS_CLUSTER, CK_ANY_TYPE, CV_NAME, 0,
	    offsetof(struct conf, admin_group), NULL, { 0 }, 0, 0,
	    "unix group allowed to change the cluster (unset: root only)" },
	{ "state_dir", CS_CLUSTER, CK_ANY_TYPE, CV_PATH, 0,
	    offsetof(struct conf, state_dir), "/var/lib/pgha", { 0 }, 0, 0,
	    "directory for the daemon's state and event log" },
	{ "agent_path", CS_CLUSTER, CK_ANY_TYPE, CV_PATH, 0,
	    offsetof(struct conf, agent_path), NULL, { 0 }, 0, 0,
	    "pgha-agent (unset: next to pghad, else the installed one)" },
	{ "fencing", CS_CLUSTER, CK_ANY_TYPE, CV_BOOL, 0,
	    offsetof(struct conf, fencing), "yes", { 0 }, 0, 0,
	    "fence a node lost while it may run a group before moving it" },

	{ "nodeid", CS_NODE, CK_ANY_TYPE, CV_INT, CK_REQUIRED,
	    offsetof(struct conf_node, nodeid), NULL, { 0 }, 1,
	    CONF_MAX_NODEID, "corosync node id, unique" },
	{ "fence_agent", CS_NODE, CK_ANY_TYPE, CV_PATH, 0,
	    offsetof(struct conf_node, fence_agent), NULL, { 0 }, 0, 0,
	    "fence-agent program that powers this node off (unset: none)" },
	{ "fence_options", CS_NODE, CK_ANY_TYPE, CV_KVLIST, 0,
	    offsetof(struct conf_node, fence_options), NULL, { 0 }, 0, 0,
	    "key=value pairs for the fence agent, besides action and plug" },
	{ "fence_timeout", CS_NODE, CK_ANY_TYPE, CV_DUR, 0,
	    offsetof(struct conf_node, fence_timeout_ms), "1m", { 0 }, 1000,
	    86400000, "how long one fencing attempt may take" },

	{ "preferred_owners", CS_GROUP, CK_ANY_TYPE, CV_NODES, 0, 0, NULL,
	    { 0 }, 0, 0, "nodes to run the group on, best first (any)" },
	{ "possible_owners", CS_GROUP, CK_ANY_TYPE, CV_NODES, 0, 0, NULL,
	    { 0 }, 0, 0, "the only nodes that may run the group (any)" },
	{ "autostart", CS_GROUP, CK_ANY_TYPE, CV_BOOL, 0,
	    offsetof(struct conf_group, autostart), "yes", { 0 }, 0, 0,
	    "bring the group online when the cluster forms" },
	{ "ban_timeout", CS_GROUP, CK_ANY_TYPE, CV_DUR, 0,
	    offsetof(struct conf_group, ban_timeout_ms), "10m", { 0 }, 0,
	    604800000, "how long a node that failed the group is passed over "
	    "(0: until an operator clears it)" },
	{ "failover_threshold", CS_GROUP, CK_ANY_TYPE, CV_INT, CK_AUTO,
	    offsetof(struct conf_group, failover_threshold), "auto", { 0 },
	    0, CONF_MAX_THRESHOLD, "failovers allowed in failover_period before the group "
	    "stays failed (auto: nodes less one)" },
	{ "failover_period", CS_GROUP, CK_ANY_TYPE, CV_DUR, 0,
	    offsetof(struct conf_group, failover_period_ms), "6h", { 0 },
	    60000, 604800000, "window in which failovers are counted" },
	{ "failback", CS_GROUP, CK_ANY_TYPE, CV_FAILBACK, 0,
	    offsetof(struct conf_group, failback_text), "no", { 0 }, 0, 0,
	    "move back to a returning preferred owner: no, immediate, or "
	    "HH:MM-HH:MM (daily window, local time)" },

	{ "group", CS_RESOURCE, CK_ANY_TYPE, CV_GROUPREF, CK_REQUIRED, 0,
	    NULL, { 0 }, 0, 0, "the group the resource belongs to" },
	{ "type", CS_RESOURCE, CK_ANY_TYPE, CV_RTYPE, CK_REQUIRED, 0, NULL,
	    { 0 }, 0, 0, "disk, address, postgresql, service, or "
	    "ocf:PROVIDER:AGENT (an OCF resource agent)" },
	{ "requires", CS_RESOURCE, CK_ANY_TYPE, CV_RESLIST, 0, 0, NULL,
	    { 0 }, 0, 0, "resources of the same group started before it" },
	{ "monitor_interval", CS_RESOURCE, CK_ANY_TYPE, CV_DUR, 0,
	    RES(monitor_interval_ms), NULL,
	    { "5s", "2s", "500ms", "10s", "10s" }, 100,
	    DUR_MAX_MS, "time between two monitor operations" },
	{ "monitor_timeout", CS_RESOURCE, CK_ANY_TYPE, CV_DUR, 0,
	    RES(monitor_timeout_ms), NULL,
	    { "10s", "5s", "2s", "20s", "20s" }, 1000,
	    DUR_MAX_MS, "time a monitor operation may take" },
	{ "start_timeout", CS_RESOURCE, CK_ANY_TYPE, CV_DUR, 0,
	    RES(start_timeout_ms), NULL,
	    { "60s", "10s", "120s", "60s", "60s" }, 1000,
	    DUR_MAX_MS, "time a start operation may take" },
	{ "stop_timeout", CS_RESOURCE, CK_ANY_TYPE, CV_DUR, 0,
	    RES(stop_timeout_ms), NULL,
	    { "60s", "10s", "60s", "60s", "60s" }, 1000,
	    DUR_MAX_MS, "time a stop operation may take" },
	{ "restarts", CS_RESOURCE, CK_ANY_TYPE, CV_INT, 0, RES(restarts),
	    "0", { 0 }, 0, 100, "local restarts before failing over" },
	{ "restart_period", CS_RESOURCE, CK_ANY_TYPE, CV_DUR, 0,
	    RES(restart_period_ms), "15m", { 0 }, 0, 604800000,
	    "a failure is forgotten this long after the last one "
	    "(0: never)" },

	{ "device", CS_RESOURCE, RT_DISK, CV_PATH, CK_REQUIRED | CK_PARAM,
	    0, NULL, { 0 }, 0, 0, "block device to mount" },
	{ "mountpoint", CS_RESOURCE, RT_DISK, CV_PATH,
	    CK_REQUIRED | CK_PARAM, 0, NULL, { 0 }, 0, 0,
	    "where to mount it" },
	{ "fstype", CS_RESOURCE, RT_DISK, CV_WORD, CK_REQUIRED | CK_PARAM,
	    0, NULL, { 0 }, 0, 0, "file system type, e.g. ext4" },
	{ "options", CS_RESOURCE, RT_DISK, CV_STR, CK_PARAM, 0, "", { 0 },
	    0, 0, "mount options, e.g. noatime" },
	{ "encrypt", CS_RESOURCE, RT_DISK, CV_BOOL, CK_PARAM, 0, "no", { 0 },
	    0, 0, "encrypt encrypted_dirs with the keystore's master key "
	    "(fscrypt v2; ext4 with the encrypt feature, or f2fs)" },
	{ "keystore", CS_RESOURCE, RT_DISK, CV_PATH, CK_PARAM, 0,
	    KS_DEFAULT_PATH, { 0 }, 0, 0, "keystore holding the master "
	    "key, on a local disk, the same path on every node" },
	{ "encrypted_dirs", CS_RESOURCE, RT_DISK, CV_STR, CK_PARAM, 0,
	    "data", { 0 }, 0, 0, "directories encrypted when encrypt = yes, "
	    "relative to the mount point" },

	{ "address", CS_RESOURCE, RT_ADDRESS, CV_CIDR,
	    CK_REQUIRED | CK_PARAM, 0, NULL, { 0 }, 0, 0,
	    "IPv4 address and prefix length, a.b.c.d/len" },
	{ "interface", CS_RESOURCE, RT_ADDRESS, CV_IFNAME, CK_PARAM, 0, "",
	    { 0 }, 0, 0, "interface to add it to (unset: found by subnet)" },
	{ "arp_count", CS_RESOURCE, RT_ADDRESS, CV_INT, CK_PARAM, 0, "3",
	    { 0 }, 0, 20, "gratuitous ARP replies sent when it is added" },

	{ "start", CS_RESOURCE, RT_SERVICE, CV_STR, CK_REQUIRED | CK_PARAM,
	    0, NULL, { 0 }, 0, 0, "shell command that starts the service "
	    "and returns once it runs (in the background)" },
	{ "stop", CS_RESOURCE, RT_SERVICE, CV_STR, CK_PARAM, 0, "", { 0 },
	    0, 0, "shell command that stops it (unset: SIGTERM to the "
	    "pidfile's process, SIGKILL at stop_timeout)" },
	{ "monitor", CS_RESOURCE, RT_SERVICE, CV_STR, CK_PARAM, 0, "",
	    { 0 }, 0, 0, "shell command that exits 0 while the service "
	    "works (unset: the pidfile's process is alive)" },
	{ "user", CS_RESOURCE, RT_SERVICE, CV_NAME, CK_PARAM, 0, "root",
	    { 0 }, 0, 0, "system user that runs the commands" },
	{ "pidfile", CS_RESOURCE, RT_SERVICE, CV_PATH, CK_PARAM, 0, "",
	    { 0 }, 0, 0, "file in which the service writes its process id "
	    "(unset: none; then monitor and stop are required)" },

	{ "data", CS_RESOURCE, RT_POSTGRESQL, CV_PATH,
	    CK_REQUIRED | CK_PARAM, 0, NULL, { 0 }, 0, 0,
	    "data directory" },
	{ "port", CS_RESOURCE, RT_POSTGRESQL, CV_PORT, CK_PARAM, 0, "5432",
	    { 0 }, 1, 65535, "TCP port" },
	{ "user", CS_RESOURCE, RT_POSTGRESQL, CV_NAME, CK_PARAM, 0,
	    "postgres", { 0 }, 0, 0, "system user that runs the server" },
	{ "bindir", CS_RESOURCE, RT_POSTGRESQL, CV_PATH, CK_PARAM, 0, "",
	    { 0 }, 0, 0, "directory of postgres and initdb (unset: "
	    "/usr/lib/postgresql/N/bin, N from DATA/PG_VERSION)" },
	{ "socket_dir", CS_RESOURCE, RT_POSTGRESQL, CV_PATH, CK_PARAM, 0,
	    "/run/postgresql", { 0 }, 0, 0, "unix socket directory" },
	{ "waldir", CS_RESOURCE, RT_POSTGRESQL, CV_PATH, CK_PARAM, 0, "",
	    { 0 }, 0, 0, "WAL directory on a shared disk of the group "
	    "(unset: DATA/pg_wal)" },
	{ "backup_dir", CS_RESOURCE, RT_POSTGRESQL, CV_PATH, CK_PARAM, 0,
	    "", { 0 }, 0, 0, "backup directory on a shared disk of the "
	    "group (unset: none)" },
	{ "config_dir", CS_RESOURCE, RT_POSTGRESQL, CV_PATH, CK_PARAM, 0,
	    "", { 0 }, 0, 0, "directory of postgresql.conf, pg_hba.conf "
	    "and pg_ident.conf on each node's own disk, the same on every "
	    "node (unset: the data directory)" },
	{ "logfile", CS_RESOURCE, RT_POSTGRESQL, CV_PATH,
	    CK_PARAM | CK_DATALOG, 0, NULL, { 0 }, 0, 0,
	    "server log (default: DATA/pgha-server.log)" },
};
const size_t	conf_nkeys = nitems(conf_keys);

const char *const conf_sect_names[] = {
	"cluster", "node", "group", "resource"
};
const size_t	conf_nsect_names = nitems(conf_sect_names);
const char *const conf_rtype_names[] = {
	"disk", "address", "postgresql", "service", "ocf"
};
const size_t	conf_nrtype_names = nitems(conf_rtype_names);
_Static_assert(nitems(conf_rtype_names) == RT_NTYPES,
    "one name per enum res_type");
