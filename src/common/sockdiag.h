/*
 * sockdiag.h - TCP sockets of this network namespace, asked of the kernel
 * through NETLINK_SOCK_DIAG (inet_diag, as ss(8) does) instead of parsed
 * out of /proc/net/tcp{,6}: the kernel filters by state and local address
 * or port, and gives each socket's inode directly.
 *
 * Linked only into the programs that use it (pghad, pgha-agent), with
 * libmnl.
 */
#ifndef PGHA_SOCKDIAG_H
#define PGHA_SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/* Kernel TCP states (include/net/tcp_states.h) as bits of a state mask. */
#define SOCKDIAG_ESTABLISHED	(1U << 1)
#define SOCKDIAG_LISTEN		(1U << 10)

/* One socket of a reply; addresses in network order, ports host order. */
struct sockdiag_sock {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 state;		/* TCP_ESTABLISHED, TCP_LISTEN... */
	struct in6_addr	 local, remote;	/* AF_INET: the first 4 bytes */
	uint16_t	 lport, rport;
	unsigned long	 inode;
};

/*
 * Which local end to ask for: family AF_UNSPEC (any address) or AF_INET /
 * AF_INET6 with addr (an AF_INET filter also matches IPv4-mapped IPv6
 * sockets); port -1 for any.
 */
struct sockdiag_filter {
	int		 family;
	struct in6_addr	 addr;		/* AF_INET: the first 4 bytes */
	int		 port;
};

/* Called for each socket; return 0 to go on, 1 to stop early. */
typedef int	(*sockdiag_cb)(const struct sockdiag_sock *, void *arg);

/*
 * Every TCP socket of family (AF_INET or AF_INET6) in one of the states
 * of the mask whose local end matches filter (NULL: all), one cb() each.
 * 0, or -1 with errno set.
 */
int	sockdiag_tcp(int family, uint32_t states,
	    const struct sockdiag_filter *filter, sockdiag_cb cb, void *arg);

/*
 * The inode of the TCP socket (IPv4 or IPv6) listening on port; 0 if
 * none, -1 with errno set if the kernel could not be asked.
 */
long long sockdiag_listen_inode(uint16_t port);

/*
 * One buffer of a SOCK_DIAG_BY_FAMILY dump reply (exposed for the unit
 * test): cb() for each socket message.  1 if more messages are to come,
 * 0 at the end of the dump (NLMSG_DONE, or cb() asked to stop), -1 with
 * errno set on an error message or a malformed buffer.
 */
int	sockdiag_parse(const void *buf, size_t len, uint32_t seq,
	    uint32_t portid, sockdiag_cb cb, void *arg);

#endif
