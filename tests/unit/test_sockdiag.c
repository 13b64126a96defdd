/*
 * test_sockdiag.c - reading NETLINK_SOCK_DIAG replies (hand-made buffers:
 * sockets, the end of the dump, errors, cut and short messages), then the
 * kernel's own answer for sockets this test opens on the loopback.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "sockdiag.h"
#include "tap.h"

#define SEQ	7
#define PORTID	4242

struct seen {
	int			n, stop_after;
	struct sockdiag_sock	s[8];
};

static int
collect(const struct sockdiag_sock *s, void *arg)
{
	struct seen	*seen = arg;

	if (seen->n < 8)
		seen->s[seen->n] = *s;
	seen->n++;
	return seen->stop_after && seen->n >= seen->stop_after;
}

/* Append one socket message to buf at *off. */
static void
put_sock(char *buf, size_t *off, int family, int state, const char *src,
    int sport, const char *dst, int dport, unsigned inode)
{
	struct nlmsghdr		*nlh = mnl_nlmsg_put_header(buf + *off);
	struct inet_diag_msg	*m;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = SEQ;
	nlh->nlmsg_pid = PORTID;
	m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->idiag_family = (uint8_t)family;
	m->idiag_state = (uint8_t)state;
	inet_pton(family, src, m->id.idiag_src);
	inet_pton(family, dst, m->id.idiag_dst);
	m->id.idiag_sport = htons((uint16_t)sport);
	m->id.idiag_dport = htons((uint16_t)dport);
	m->idiag_inode = inode;
	*off += nlh->nlmsg_len;
}

static void
put_done(char *buf, size_t *off)
{
	struct nlmsghdr	*nlh = mnl_nlmsg_put_header(buf + *off);

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = SEQ;
	nlh->nlmsg_pid = PORTID;
	mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	*off += nlh->nlmsg_len;
}

static void
put_error(char *buf, size_t *off, int err)
{
	struct nlmsghdr	*nlh = mnl_nlmsg_put_header(buf + *off);
	struct nlmsgerr	*e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = SEQ;
	nlh->nlmsg_pid = PORTID;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -err;
	*off += nlh->nlmsg_len;
}

static void
test_parse(void)
{
	static char	 buf[4096] __attribute__((aligned(4)));
	struct seen	 seen = { 0 };
	size_t		 off = 0, one;
	char		 a[INET6_ADDRSTRLEN];
	int		 r;

	put_sock(buf, &off, AF_INET, 1, "198.18.0.100", 5432, "198.18.0.2",
	    40001, 1234);
	one = off;
	put_sock(buf, &off, AF_INET6, 10, "::", 5432, "::", 0, 99);
	put_done(buf, &off);
	r = sockdiag_parse(buf, off, SEQ, PORTID, collect, &seen);
	is_int(r, 0, "a dump ending with NLMSG_DONE: 0 (the end)");
	is_int(seen.n, 2, "two sockets");
	is_int(seen.s[0].family, AF_INET, "first: IPv4");
	is_int(seen.s[0].state, 1, "first: established");
	inet_ntop(AF_INET, &seen.s[0].local, a, sizeof(a));
	is_str(a, "198.18.0.100", "first: local address");
	inet_ntop(AF_INET, &seen.s[0].remote, a, sizeof(a));
	is_str(a, "198.18.0.2", "first: remote address");
	is_int(seen.s[0].lport, 5432, "first: local port, host order");
	is_int(seen.s[0].rport, 40001, "first: remote port, host order");
	is_int((long long)seen.s[0].inode, 1234, "first: inode");
	is_int(seen.s[1].family, AF_INET6, "second: IPv6");
	is_int(seen.s[1].state, 10, "second: listening");
	is_int((long long)seen.s[1].inode, 99, "second: inode");

	memset(&seen, 0, sizeof(seen));
	r = sockdiag_parse(buf, one, SEQ, PORTID, collect, &seen);
	is_int(r, 1, "a part of a dump without NLMSG_DONE: 1 (more to come)");
	is_int(seen.n, 1, "its one socket");

	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 1;
	r = sockdiag_parse(buf, off, SEQ, PORTID, collect, &seen);
	ok(r == 0 && seen.n == 1, "the callback stops the walk: 0, one call");

	memset(&seen, 0, sizeof(seen));
	errno = 0;
	r = sockdiag_parse(buf, one - 8, SEQ, PORTID, collect, &seen);
	ok(r == -1 && errno == EPROTO && seen.n == 0,
	    "a cut message: -1, EPROTO, no socket read");

	off = 0;
	put_error(buf, &off, EINVAL);
	errno = 0;
	r = sockdiag_parse(buf, off, SEQ, PORTID, collect, &seen);
	ok(r == -1 && errno == EINVAL, "NLMSG_ERROR: -1 with its errno");

	off = 0;
	put_sock(buf, &off, AF_INET, 1, "198.18.0.100", 5432, "198.18.0.2",
	    40001, 1234);
	((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)MNL_NLMSG_HDRLEN + 8;
	off = MNL_NLMSG_HDRLEN + 8;
	memset(&seen, 0, sizeof(seen));
	errno = 0;
	r = sockdiag_parse(buf, off, SEQ, PORTID, collect, &seen);
	ok(r == -1 && errno == EPROTO && seen.n == 0,
	    "a socket message shorter than inet_diag_msg: -1, EPROTO");

	off = 0;
	put_sock(buf, &off, AF_INET, 1, "198.18.0.100", 5432, "198.18.0.2",
	    40001, 1234);
	((struct nlmsghdr *)buf)->nlmsg_seq = SEQ + 1;
	errno = 0;
	r = sockdiag_parse(buf, off, SEQ, PORTID, collect, &seen);
	ok(r == -1 && errno == EPROTO, "a reply to another request: -1");
}

/* The kernel's answer for a listener and a connection on 127.0.0.1. */
static void
test_kernel(void)
{
	struct sockaddr_in	sin = { .sin_family = AF_INET };
	struct sockdiag_filter	f = { .family = AF_INET, .port = -1 };
	socklen_t		sl = sizeof(sin);
	struct seen		seen = { 0 };
	struct stat		st;
	int			lfd, cfd, afd, i, found = 0;
	uint16_t		port, cport;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 4) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &sl) < 0 ||
	    fstat(lfd, &st) < 0)
		abort();
	port = ntohs(sin.sin_port);
	is_int(sockdiag_listen_inode(port), (long long)st.st_ino,
	    "the inode of the socket listening on port %u", port);

	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&sin,
	    sizeof(sin)) < 0 || (afd = accept(lfd, NULL, NULL)) < 0)
		abort();
	sl = sizeof(sin);
	if (getsockname(cfd, (struct sockaddr *)&sin, &sl) < 0 ||
	    fstat(afd, &st) < 0)
		abort();
	cport = ntohs(sin.sin_port);
	inet_pton(AF_INET, "127.0.0.1", &f.addr);
	f.port = port;
	is_int(sockdiag_tcp(AF_INET, SOCKDIAG_ESTABLISHED, &f, collect,
	    &seen), 0, "established to 127.0.0.1:%u asked", port);
	for (i = 0; i < seen.n && i < 8; i++)
		if (seen.s[i].rport == cport && seen.s[i].lport == port &&
		    seen.s[i].inode == st.st_ino)
			found++;
	is_int(found, 1, "the accepted connection is there, from port %u",
	    cport);
	for (i = 0; i < seen.n && i < 8; i++)
		if (seen.s[i].lport != port || seen.s[i].state != 1)
			found = 0;
	is_int(found, 1, "and only connections to that port, established");

	memset(&seen, 0, sizeof(seen));
	inet_pton(AF_INET, "127.0.0.2", &f.addr);
	is_int(sockdiag_tcp(AF_INET, SOCKDIAG_ESTABLISHED, &f, collect,
	    &seen), 0, "established to 127.0.0.2:%u asked", port);
	is_int(seen.n, 0, "none: the kernel filtered by local address");
	close(afd);
	close(cfd);
	close(lfd);
	is_int(sockdiag_listen_inode(port), 0,
	    "no socket listens on port %u once closed", port);
}

int
main(void)
{
	test_parse();
	test_kernel();
	return done_testing();
}
