/*
 * conntrack.h - the clients of each access point, tracked where it is
 * online and kept on every node, so that the next owner can make clients
 * blocked on a lost node fail at once (tickle ACKs, see pgha-agent(8)).
 */
#ifndef PGHA_CONNTRACK_H
#define PGHA_CONNTRACK_H

#include "state.h"
#include "wire.h"

/* send: multicasts a message to the process group. */
void	conntrack_init(const struct cstate *, void (*send)(struct msg *));
void	conntrack_free(void);
/* MSG_CONNS from node `from`. */
void	conntrack_deliver(uint32_t from, const struct msg *);
/* A node joined: send our lists again at once, changed or not. */
void	conntrack_resend(void);
/* "PGHA_TICKLE=..." for the start of address r, or NULL (caller frees). */
char	*conntrack_env(const struct conf_resource *r);
/* Client connections last reported for address r. */
int	 conntrack_count(const struct conf_resource *r);

#endif
