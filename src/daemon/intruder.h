/*
 * intruder.h - processes in our CPG group that are not the pghad their
 * node registered: remembered so that each is logged when it joins, on
 * its first message and when it leaves, with its node id and pid.
 */
#ifndef PGHA_INTRUDER_H
#define PGHA_INTRUDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A process joined that is not its node's pghad (why says whose is). */
void	intruder_joined(const char *group, uint32_t nodeid, uint32_t pid,
	    const char *why);
/* A message from a process that is not its node's pghad: logged once. */
void	intruder_msg(uint32_t nodeid, uint32_t pid, size_t len);
/* A process left: true (and logged) if it was an intruder. */
bool	intruder_left(const char *group, uint32_t nodeid, uint32_t pid);
/* Forget them all (our connection to Corosync is gone). */
void	intruder_clear(void);

#endif
