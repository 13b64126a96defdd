/*
 * reqcheck.h - an operator's request checked on the node that takes it,
 * before it is multicast: names the cluster file does not know, a node
 * not joined or without quorum, and what the state already refuses.  The
 * same request is checked again where it is applied (replica.c), in the
 * total order, since the state may change in between.
 */
#ifndef PGHA_REQCHECK_H
#define PGHA_REQCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "state.h"
#include "wire.h"

/*
 * 0 if the request may be sent; -1 with an error code (static text) and
 * msg if not.  joined: this node is in the process group (and saw its
 * own join).  group and to may be NULL.
 */
int	reqcheck(const struct cstate *, bool joined, enum req_op,
	    const char *group, const char *to, const char **code, char *msg,
	    size_t len);
/* True if op names a group (online, offline, move, (un)manage). */
bool	reqcheck_op_on_group(enum req_op);

#endif
