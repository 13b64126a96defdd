/*
 * tickle.c - make the clients of a lost node fail at once (tickle.h).
 *
 * A client blocked in a statement on a node that lost power has nothing
 * unacknowledged to retransmit: nothing of it ever reaches the new owner,
 * and without keepalives it waits for ever.  Right after the address is
 * added and announced here, each client connection the last owner had
 * (pghad's list, PGHA_TICKLE) gets a TCP ACK from the address that it
 * cannot accept (sequence 0).  Its kernel answers with an ACK of its own,
 * which now reaches this node (the gratuitous ARP moved the address);
 * having no such connection, this node's kernel answers that with a
 * reset, and the client's blocked call fails.  The same trick CTDB uses
 * for Samba clients.  A wrong or stale entry costs one small packet.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_util.h"
#include "log.h"
#include "tickle.h"

#define TICKLE_ROUNDS	3	/* a lost packet must not leave a client */

/* One ACK from ip:lport to client:cport, sequence and ack 0. */
static int
tickle_one(int fd, struct in_addr ip, uint16_t lport, struct in_addr client,
    uint16_t cport)
{
	uint8_t			 seg[32];	/* pseudo header + TCP */
	struct tcphdr		*th = (struct tcphdr *)(seg + 12);
	struct sockaddr_in	 to;

	memset(seg, 0, sizeof(seg));
	memcpy(seg, &ip, 4);
	memcpy(seg + 4, &client, 4);
	seg[9] = IPPROTO_TCP;
	seg[11] = sizeof(*th);
	th->source = htons(lport);
	th->dest = htons(cport);
	th->doff = 5;
	th->ack = 1;
	th->window = htons(1234);
	th->check = htons(agent_csum_fold(agent_csum_add(0, seg,
	    12 + sizeof(*th))));
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr = client;
	return sendto(fd, th, sizeof(*th), 0, (struct sockaddr *)&to,
	    sizeof(to)) == (ssize_t)sizeof(*th) ? 0 : -1;
}

/* "a.b.c.d:port>lport": the client and the local port. */
static int
parse_entry(const char *s, size_t len, struct in_addr *client,
    unsigned *cport, unsigned *lport)
{
	char	buf[64], *colon, *gt;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if ((colon = strchr(buf, ':')) == NULL ||
	    (gt = strchr(colon, '>')) == NULL)
		return -1;
	*colon = *gt = '\0';
	if (inet_pton(AF_INET, buf, client) != 1 ||
	    sscanf(colon + 1, "%u", cport) != 1 ||
	    sscanf(gt + 1, "%u", lport) != 1 || *cport == 0 ||
	    *cport > 65535 || *lport == 0 || *lport > 65535)
		return -1;
	return 0;
}

int
tickle_clients(struct in_addr ip, const char *list)
{
	struct sockaddr_in	 me;
	struct in_addr		 client;
	unsigned		 cport, lport;
	const char		*p;
	size_t			 l;
	int			 fd, round, n = 0, bad = 0;

	if (list == NULL || *list == '\0')
		return 0;
	if ((fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC,
	    IPPROTO_TCP)) == -1) {
		log_warn("tickle: raw socket");
		return -1;
	}
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	me.sin_addr = ip;
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) == -1) {
		log_warn("tickle: bind to %s", inet_ntoa(ip));
		close(fd);
		return -1;
	}
	for (round = 0; round < TICKLE_ROUNDS; round++)
		for (p = list; *p; p += l + (p[l] == ' ')) {
			l = strcspn(p, " ");
			if (parse_entry(p, l, &client, &cport, &lport) == -1) {
				bad += round == 0;
				continue;
			}
			if (tickle_one(fd, ip, (uint16_t)lport, client,
			    (uint16_t)cport) == 0 && round == 0)
				n++;
		}
	close(fd);
	if (bad)
		log_warnx("tickle: %d malformed entries ignored", bad);
	return n;
}
