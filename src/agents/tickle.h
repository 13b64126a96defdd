/*
 * tickle.h - tickle ACKs for the clients of an address that moved here.
 */
#ifndef PGHA_TICKLE_H
#define PGHA_TICKLE_H

#include <netinet/in.h>

/*
 * Send, from ip, a tickle ACK to each connection of list
 * ("client:port>localport ..."), a few times over.  Returns the number
 * of connections tickled, or -1 if no raw socket could be had.
 */
int	tickle_clients(struct in_addr ip, const char *list);

#endif
