/*
 * local.h - this node's resources: probing at start-up, running start,
 * stop and monitor operations as decide_local_plan() says, and
 * reporting every change as this node's record.
 */
#ifndef PGHA_LOCAL_H
#define PGHA_LOCAL_H

#include "state.h"
#include "wire.h"

/* send_record: multicasts this node's record (or applies it when cut
 * off); record_in_flight: one is sent and not delivered back yet. */
void	local_init(const struct cstate *, const char *agent_path,
	    void (*send_record)(const struct msg *),
	    int (*record_in_flight)(void));
/* Probe every resource; calls done() once all have answered. */
void	local_probe(void (*done)(void));
/* Look again at what to do (coalesced; runs from the loop). */
void	local_kick(void);
/* This node's record as a message (caller msg_clear()s). */
void	local_record(struct msg *);
/* Leaving: take no groups, stop everything; done() when all offline. */
void	local_shutdown(void (*done)(void));
void	local_free(void);
/* Group gi is managed again: probe its resources here afresh. */
void	local_reprobe(int gi);
/* An operator stopped, paused or drained this node (NF_*), or not (0). */
void	local_set_admin(uint32_t flags);

#endif
