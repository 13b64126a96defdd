/*
 * sendq.h - what pghad has to multicast, waiting for Corosync to take it.
 *
 * Two queues: state messages (records, decisions, requests, syncs, client
 * lists), which failover depends on, and replies to queries (pgha
 * validate, events, keystore copy: MSG_CHECK and MSG_CHECKED).  State
 * goes first, always.  Queries are bounded twice: at most
 * SENDQ_QUERY_QUEUED bytes wait here (a new one beyond is dropped and
 * counted; the asker names the silent node when its wait ends), and at
 * most SENDQ_QUERY_INFLIGHT bytes are handed to Corosync and not yet
 * delivered back, so that a state message never waits behind more than
 * that inside Corosync either.
 */
#ifndef PGHA_SENDQ_H
#define PGHA_SENDQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define SENDQ_QUERY_QUEUED	(1024 * 1024)
#define SENDQ_QUERY_INFLIGHT	WIRE_MAX_MSG

/* Hand a message to Corosync: 0 taken, 1 try again later, -1 lost. */
typedef int	(*sendq_send_fn)(const void *, size_t);
/* A message that will never be delivered (type, request seq). */
typedef void	(*sendq_lost_fn)(enum wire_type, uint32_t seq);

void	sendq_init(sendq_send_fn, sendq_lost_fn);
/* Queue an encoded message (w is taken over and left empty); send. */
void	sendq_push(struct wbuf *w, enum wire_type, uint32_t seq);
/*
 * Would a query reply of up to len bytes be queued?  If not it counts as
 * dropped: under a flood, a reply is not even built.
 */
bool	sendq_query_admit(size_t len);
/* Send what may go now. */
void	sendq_flush(void);
/* A message of ours was delivered back (frees query in-flight room). */
void	sendq_delivered(enum wire_type, size_t len);
/* Forget everything queued and in flight (connection to Corosync lost). */
void	sendq_drop(void);

struct sendq_stats {
	size_t		state_queued, query_queued;	/* bytes waiting */
	size_t		query_inflight;			/* bytes */
	uint64_t	query_dropped;			/* messages */
	size_t		query_queued_max;	/* high-water mark, bytes */
};
void	sendq_stats(struct sendq_stats *);

#endif
