/*
 * agent_proto.h - the contract between pghad and pgha-agent, in one place:
 * what pghad passes (argv, environment), what the agent answers (exit code,
 * key=value lines on stdout, lines on stderr).  Both sides include this
 * file; neither spells these names on its own.  pgha-agent(8) documents
 * the same for people.
 *
 * pghad runs "pgha-agent TYPE ACTION" with no shell, in its own process
 * group, with the environment below and nothing else; OCF agents get the
 * same environment, so the OCF names are the standard ones.  TYPE is a
 * built-in type, "service", or "ocf" for type = ocf:PROVIDER:AGENT
 * (pgha-agent ocf runs the agent: src/agents/ocf.c).
 */
#ifndef PGHA_AGENT_PROTO_H
#define PGHA_AGENT_PROTO_H

/* Exit codes: OCF's, plus our "transitional, not a failure". */
#define OCF_SUCCESS		0
#define OCF_ERR_GENERIC		1
#define OCF_ERR_ARGS		2
#define OCF_ERR_INSTALLED	5
#define OCF_ERR_CONFIGURED	6
#define OCF_NOT_RUNNING		7
#define AGENT_TRANSITIONAL	100

/* The OCF environment. */
#define AGENT_ENV_OCF_ROOT	"OCF_ROOT"
#define AGENT_ENV_OCF_MAJOR	"OCF_RA_VERSION_MAJOR"
#define AGENT_ENV_OCF_MINOR	"OCF_RA_VERSION_MINOR"
/* the resource's name; its type; OCF_RESKEY_<key> for each parameter */
#define AGENT_ENV_INSTANCE	"OCF_RESOURCE_INSTANCE"
#define AGENT_ENV_TYPE		"OCF_RESOURCE_TYPE"
#define AGENT_ENV_PARAM		"OCF_RESKEY_"
/* OCF agents: the provider (heartbeat, ...); the operation's timeout */
#define AGENT_ENV_PROVIDER	"OCF_RESOURCE_PROVIDER"
#define AGENT_ENV_META_TIMEOUT	"OCF_RESKEY_CRM_meta_timeout"

/*
 * Ours.  Every variable an extra line of pghad's may set starts with
 * AGENT_ENV_PREFIX (pghad refuses any other: the agent runs as root).
 */
#define AGENT_ENV_PREFIX	"PGHA_"
/* The operation's timeout in ms: the agent stops trying a bit before. */
#define AGENT_ENV_TIMEOUT_MS	"PGHA_TIMEOUT_MS"
/* pgha-agent ocf: the OCF agent's path (OCF_ROOT/resource.d/PROV/AGENT) */
#define AGENT_ENV_OCF_AGENT	"PGHA_OCF_AGENT"
/* stop: AGENT_STOP_IMMEDIATE when there is no time for a clean stop */
#define AGENT_ENV_STOP_MODE	"PGHA_STOP_MODE"
#define AGENT_STOP_IMMEDIATE	"immediate"
/* address start: "ip:port>ip:port ..." clients of the last owner */
#define AGENT_ENV_TICKLE	"PGHA_TICKLE"
/* postgresql validate/init: the group's mount points, space-separated */
#define AGENT_ENV_GROUP_MOUNTS	"PGHA_GROUP_MOUNTS"
/* postgresql validate/init: 1 if the group's disks are online here */
#define AGENT_ENV_GROUP_HERE	"PGHA_GROUP_HERE"
/* postgresql validate: the keystores of the group's encrypted disks */
#define AGENT_ENV_GROUP_KEYSTORES "PGHA_GROUP_KEYSTORES"
/* postgresql validate: "setting=/path ..." to check as the server */
#define AGENT_ENV_CHECK_PATHS	"PGHA_CHECK_PATHS"

/*
 * stdout: after a start or a good monitor, the process whose exit ends
 * the resource (the postmaster), so that pghad watches it with a pidfd.
 */
#define AGENT_OUT_WATCH_PID	"watch_pid="

/*
 * stderr: pghad keeps the last lines for the result.  A line that starts
 * with AGENT_ERR_ADMIN_LINE is for administrators only (a server's log);
 * pghad keeps it after PGHA_ADMIN_MARK (util.h), which the control socket
 * cuts for anyone else.
 */
#define AGENT_ERR_ADMIN_LINE	"pgha-admin-only: "

#endif
