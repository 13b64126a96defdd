/*
 * cpg.h - membership, quorum and the replicated state, through
 * Corosync CPG and the quorum service.  Only cpg.c includes Corosync
 * headers.
 */
#ifndef PGHA_CPG_H
#define PGHA_CPG_H

#include <json-c/json.h>

#include "conf.h"
#include "state.h"
#include "wire.h"

/* pghad exit codes (pghad.8). */
#define EXIT_CONFIG		2
#define EXIT_COROSYNC		3
#define EXIT_CONF_MISMATCH	4
#define EXIT_SOCKET		5
#define EXIT_NOT_IN_CONFIG	6
#define EXIT_LOCKED		7	/* another pghad holds the state dir */

/* Connect to corosync; learn our node id; returns the state (borrowed). */
struct cstate	*cluster_init(const struct conf *);
/* Join the process group (after the probe). */
void		 cluster_join(void);
/* Broadcast this node's record (or apply it locally when cut off). */
void		 cluster_send_record(const struct msg *rec);
/* Multicast a message that is not part of the replicated state. */
void		 cluster_send_msg(struct msg *);
/* True while a record of ours is sent but not delivered back. */
int		 cluster_record_in_flight(void);
/* Leave the group and close connections. */
void		 cluster_leave(void);

/*
 * An operator's request.  Checked here first: -1 with an error code and
 * message if it cannot be taken.  Otherwise it is multicast and 0 is
 * returned; done(arg, ...) is called once every node has applied it
 * (code NULL: carried out, target = the node chosen for a move) or it was
 * refused then (code and msg say why).
 */
typedef void	(*request_done_cb)(void *arg, const char *code,
		    const char *msg, const char *target);
int		 cluster_request(enum req_op, const char *group, const char *to,
		    uint32_t flags, unsigned uid, const char **code, char *msg, size_t len,
		    request_done_cb done, void *arg);
/* The requester went away: never call its done(). */
void		 cluster_request_forget(void *arg);
/* A new status object (caller puts). */
struct json_object *cluster_status(void);

#endif
