/*
 * fence.h - how pghad reads a fence agent's answers (fence-agents'
 * contract): which actions its metadata declares, what status means.
 * Pure functions; cluster.c runs the agents (through agent.c).
 */
#ifndef PGHA_FENCE_H
#define PGHA_FENCE_H

#include <stdbool.h>

/* What a status action's exit code says (fence-agents: 0 on, 2 off). */
enum fence_power {
	FENCE_POWER_ON,
	FENCE_POWER_OFF,
	FENCE_POWER_UNKNOWN	/* 1 (error) or anything else */
};

/* Does the metadata XML (may be NULL) declare <action name="status"/>? */
bool		 fence_meta_has_status(const char *xml);
enum fence_power fence_status_power(int exit_code);

#endif
