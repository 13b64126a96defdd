/*
 * sockdiag.c - TCP sockets through NETLINK_SOCK_DIAG (see sockdiag.h).
 *
 * A dump request carries the states wanted (idiag_states) and, for an
 * address or a port, a one-instruction inet_diag bytecode program
 * (INET_DIAG_BC_S_COND: "local end matches, else reject"), so the kernel
 * sends only the sockets asked for.  Every reply message is length-checked
 * by libmnl before it is read.
 */
#include <errno.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>

#include "sockdiag.h"

struct parse_ctx {
	sockdiag_cb	 cb;
	void		*arg;
	bool		 stopped;
};

static int
on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct parse_ctx		*ctx = data;
	const struct inet_diag_msg	*m;
	struct sockdiag_sock		 s;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m)) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return MNL_CB_OK;
	memset(&s, 0, sizeof(s));
	s.family = m->idiag_family;
	s.state = m->idiag_state;
	memcpy(&s.local, m->id.idiag_src, sizeof(s.local));
	memcpy(&s.remote, m->id.idiag_dst, sizeof(s.remote));
	s.lport = ntohs(m->id.idiag_sport);
	s.rport = ntohs(m->id.idiag_dport);
	s.inode = m->idiag_inode;
	if (ctx->cb(&s, ctx->arg) != 0) {
		ctx->stopped = true;
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

int
sockdiag_parse(const void *buf, size_t len, uint32_t seq, uint32_t portid,
    sockdiag_cb cb, void *arg)
{
	struct parse_ctx	 ctx = { .cb = cb, .arg = arg };
	const struct nlmsghdr	*nlh = buf;
	int			 left = len > INT32_MAX ? 0 : (int)len, r;

	/* libmnl would stop silently at a cut message: refuse the buffer. */
	while (mnl_nlmsg_ok(nlh, left))
		nlh = mnl_nlmsg_next(nlh, &left);
	if (left != 0 || len > INT32_MAX) {
		errno = EPROTO;
		return -1;
	}
	/* An NLMSG_ERROR sets errno from its error field. */
	errno = EPROTO;
	r = mnl_cb_run(buf, len, seq, portid, on_msg, &ctx);
	if (r == MNL_CB_ERROR)
		return -1;
	if (r == MNL_CB_STOP || ctx.stopped)
		return 0;
	return 1;
}

/* The bytecode: one S_COND op, its hostcond and address. */
#define BC_MAX	(sizeof(struct inet_diag_bc_op) + \
		    sizeof(struct inet_diag_hostcond) + 16)

static size_t
build_bc(const struct sockdiag_filter *f, unsigned char *bc)
{
	struct inet_diag_bc_op		op = { .code = INET_DIAG_BC_S_COND };
	struct inet_diag_hostcond	cond = { .port = f->port };
	size_t				alen, len;

	alen = f->family == AF_INET ? 4 : f->family == AF_INET6 ? 16 : 0;
	len = sizeof(op) + sizeof(cond) + alen;
	op.yes = (unsigned char)len;		/* the end: accept */
	op.no = (unsigned short)(len + 4);	/* past the end: reject */
	cond.family = (uint8_t)f->family;
	cond.prefix_len = (uint8_t)(alen * 8);
	memcpy(bc, &op, sizeof(op));
	memcpy(bc + sizeof(op), &cond, sizeof(cond));
	memcpy(bc + sizeof(op) + sizeof(cond), &f->addr, alen);
	return len;
}

int
sockdiag_tcp(int family, uint32_t states, const struct sockdiag_filter *f,
    sockdiag_cb cb, void *arg)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket	*nl;
	struct nlmsghdr		*nlh;
	struct inet_diag_req_v2	*req;
	unsigned char		 bc[BC_MAX];
	uint32_t		 seq = 1, portid;
	ssize_t			 n;
	int			 r = -1, saved;

	if ((nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC)) == NULL)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = states;
	if (f != NULL)
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, build_bc(f, bc),
		    bc);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		r = sockdiag_parse(buf, (size_t)n, seq, portid, cb, arg);
		if (r <= 0)
			break;
		r = -1;
	}
	if (n == 0)
		errno = EPROTO;
out:
	saved = errno;
	mnl_socket_close(nl);
	errno = saved;
	return r;
}

struct listen_ctx {
	uint16_t	port;
	long long	inode;
};

static int
on_listen(const struct sockdiag_sock *s, void *arg)
{
	struct listen_ctx	*ctx = arg;

	if (s->lport != ctx->port)
		return 0;
	ctx->inode = (long long)s->inode;
	return 1;
}

long long
sockdiag_listen_inode(uint16_t port)
{
	static const int	 fams[] = { AF_INET, AF_INET6 };
	struct sockdiag_filter	 f = { .family = AF_UNSPEC, .port = port };
	struct listen_ctx	 ctx = { .port = port };
	size_t			 i;

	for (i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		if (sockdiag_tcp(fams[i], SOCKDIAG_LISTEN, &f, on_listen,
		    &ctx) == -1)
			return -1;
		if (ctx.inode != 0)
			return ctx.inode;
	}
	return 0;
}
