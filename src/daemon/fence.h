/*
 * fence.h - fencing: how pghad reads a fence agent's answers
 * (fence-agents' contract: which actions its metadata declares, what
 * status means; pure functions), and running the agents (off, then
 * metadata and status to confirm it) for the nodes the decider's plan
 * names, each outcome multicast as MSG_FENCED.
 */
#ifndef PGHA_FENCE_H
#define PGHA_FENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "wire.h"

/* What a status action's exit code says (fence-agents: 0 on, 2 off). */
enum fence_power {
	FENCE_POWER_ON,
	FENCE_POWER_OFF,
	FENCE_POWER_UNKNOWN	/* 1 (error) or anything else */
};

/* Does the metadata XML (may be NULL) declare <action name="status"/>? */
bool		 fence_meta_has_status(const char *xml);
enum fence_power fence_status_power(int exit_code);

/* send: multicasts a message; again: look at the plan again (a retry is
 * due). */
void		 fence_init(const struct conf *, void (*send)(struct msg *),
		    void (*again)(void));
/* Fence the nodes of fence (bit per node index; new attempts only if
 * may_start); let go of the others. */
void		 fence_run(uint64_t fence, bool may_start);

#endif
