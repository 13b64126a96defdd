/*
 * address.c - the "address" agent: an IPv4 address that moves with its
 * group (the client access point).  Keys: address (a.b.c.d/len),
 * interface (empty: the one whose subnet holds the address), arp_count.
 *
 * The address is added and removed with rtnetlink on a plain socket, and
 * announced with gratuitous ARP on an AF_PACKET socket, so that clients
 * and routers update their caches at once instead of after minutes.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/if_ether.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_util.h"
#include "log.h"
#include "tickle.h"
#include "rstguard.h"
#include "util.h"

#define ARP_INTERVAL_MS	200
/* How long a released address's connections are refused (rstguard.c). */
#define RST_WINDOW_MS	10000

struct addr {
	struct in_addr	 ip;
	int		 plen;
	char		 cidr[64];
	char		 ifname[IF_NAMESIZE];
	long		 arp_count;
};

/* RFC 5227 announcement: sender = target = the address. */
struct garp {
	struct arphdr	 h;
	uint8_t		 sha[ETH_ALEN];
	uint8_t		 spa[4];
	uint8_t		 tha[ETH_ALEN];
	uint8_t		 tpa[4];
} __attribute__((packed));

static int
addr_load(struct addr *a)
{
	const char	*s = agent_param("address"), *ifn;
	char		 ip[64], *slash, *end;
	long		 plen;

	snprintf(a->cidr, sizeof(a->cidr), "%s", s);
	snprintf(ip, sizeof(ip), "%s", s);
	if ((slash = strchr(ip, '/')) == NULL)
		goto bad;
	*slash++ = '\0';
	plen = strtol(slash, &end, 10);
	if (*slash == '\0' || *end != '\0' || plen < 1 || plen > 32 ||
	    inet_pton(AF_INET, ip, &a->ip) != 1)
		goto bad;
	a->plen = (int)plen;
	ifn = agent_param("interface");
	if (strlen(ifn) >= sizeof(a->ifname)) {
		log_warnx("parameter interface: \"%s\" is too long", ifn);
		return OCF_ERR_CONFIGURED;
	}
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifn);
	if (agent_param_int("arp_count", 0, 100, &a->arp_count) == -1)
		return OCF_ERR_CONFIGURED;
	return OCF_SUCCESS;
bad:
	log_warnx("parameter address: \"%s\" is not a.b.c.d/len", s);
	return OCF_ERR_CONFIGURED;
}

/* Where the address is assigned now: 1 and its interface, or 0. */
static int
addr_find(const struct addr *a, char *ifname, int *plen)
{
	struct ifaddrs	*ifs, *i;
	int		 found = 0;

	if (getifaddrs(&ifs) == -1)
		return 0;
	for (i = ifs; i != NULL && !found; i = i->ifa_next) {
		const struct sockaddr_in *sin = (void *)i->ifa_addr;

		if (sin == NULL || sin->sin_family != AF_INET ||
		    sin->sin_addr.s_addr != a->ip.s_addr)
			continue;
		found = 1;
		snprintf(ifname, IF_NAMESIZE, "%s", i->ifa_name);
		if (i->ifa_netmask != NULL) {
			sin = (void *)i->ifa_netmask;
			*plen = __builtin_popcount(sin->sin_addr.s_addr);
		}
	}
	freeifaddrs(ifs);
	return found;
}

/* The one interface with an address whose subnet holds ours. */
static int
iface_by_subnet(const struct addr *a, char *ifname)
{
	struct ifaddrs	*ifs, *i;
	int		 n = 0;

	if (getifaddrs(&ifs) == -1) {
		log_warn("getifaddrs");
		return -1;
	}
	for (i = ifs; i != NULL; i = i->ifa_next) {
		const struct sockaddr_in *sin = (void *)i->ifa_addr;
		const struct sockaddr_in *msk = (void *)i->ifa_netmask;

		if (sin == NULL || msk == NULL || sin->sin_family != AF_INET ||
		    ((sin->sin_addr.s_addr ^ a->ip.s_addr) &
		    msk->sin_addr.s_addr) != 0)
			continue;
		if (n > 0 && strcmp(ifname, i->ifa_name) == 0)
			continue;
		if (n++ > 0) {
			log_warnx("%s: both %s and %s hold its subnet; set "
			    "interface", a->cidr, ifname, i->ifa_name);
			break;
		}
		snprintf(ifname, IF_NAMESIZE, "%s", i->ifa_name);
	}
	freeifaddrs(ifs);
	if (n == 0)
		log_warnx("%s: no interface holds an address in its subnet; "
		    "set interface", a->cidr);
	return n == 1 ? 0 : -1;
}

static void
nl_attr(struct nlmsghdr *nh, int type, const void *data, size_t len)
{
	struct rtattr	*rta;

	rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* RTM_NEWADDR / RTM_DELADDR; 0 or a negative errno from the kernel. */
static int
nl_addr(int type, int flags, unsigned ifindex, struct in_addr ip, int plen)
{
	struct {
		struct nlmsghdr		nh;
		struct ifaddrmsg	ifa;
		char			attrs[64];
	} req;
	struct sockaddr_nl	 sa = { .nl_family = AF_NETLINK };
	struct timeval		 tv = { 2, 0 };
	char			 buf[4096];
	struct nlmsghdr		*h = (struct nlmsghdr *)buf;
	ssize_t			 n;
	int			 fd, r = -EPROTO;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	req.nh.nlmsg_seq = 1;
	req.ifa.ifa_family = AF_INET;
	req.ifa.ifa_prefixlen = plen;
	req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	req.ifa.ifa_index = ifindex;
	nl_attr(&req.nh, IFA_LOCAL, &ip, sizeof(ip));
	nl_attr(&req.nh, IFA_ADDRESS, &ip, sizeof(ip));
	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) == -1)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) == -1)
		r = -errno;
	else if ((n = recv(fd, buf, sizeof(buf), 0)) == -1)
		r = -errno;
	else if (NLMSG_OK(h, (size_t)n) && h->nlmsg_type == NLMSG_ERROR)
		r = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	close(fd);
	return r;
}

/* A packet socket and the frame to send on ifindex; -1 if none can be. */
static int
garp_open(const char *ifname, struct in_addr ip, struct garp *g)
{
	struct ifreq	ifr;
	int		fd;

	if ((fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC,
	    htons(ETH_P_ARP))) == -1) {
		log_warn("gratuitous ARP: socket");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1 ||
	    ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		close(fd);
		return -1;	/* no link layer to announce on (lo, tun) */
	}
	memset(g, 0, sizeof(*g));
	g->h.ar_hrd = htons(ARPHRD_ETHER);
	g->h.ar_pro = htons(ETH_P_IP);
	g->h.ar_hln = ETH_ALEN;
	g->h.ar_pln = 4;
	g->h.ar_op = htons(ARPOP_REQUEST);
	memcpy(g->sha, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	memcpy(g->spa, &ip, 4);
	memcpy(g->tpa, &ip, 4);
	return fd;
}

static int
garp_send(int fd, unsigned ifindex, const struct garp *g)
{
	struct sockaddr_ll	sll;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = (int)ifindex;
	sll.sll_halen = ETH_ALEN;
	memset(sll.sll_addr, 0xff, ETH_ALEN);
	return sendto(fd, g, sizeof(*g), 0, (struct sockaddr *)&sll,
	    sizeof(sll)) == (ssize_t)sizeof(*g) ? 0 : -1;
}

/*
 * The grandchild, in a session of its own so that pghad's kill of our
 * process group after we return does not cut the announcements short.
 * It stops early if the address goes away (a quick stop after start).
 */
static void
garp_background(const struct addr *a, const char *ifname, unsigned ifindex,
    const struct garp *g, int fd)
{
	char	cur[IF_NAMESIZE];
	int	null, plen;

	if ((null = open("/dev/null", O_RDWR)) != -1) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);	/* pghad's stderr pipe must see EOF now */
		if (null > 2)
			close(null);
	}
	for (long i = 1; i < a->arp_count; i++) {
		agent_sleep_ms(ARP_INTERVAL_MS);
		if (!addr_find(a, cur, &plen) || strcmp(cur, ifname) != 0)
			break;
		(void)garp_send(fd, ifindex, g);
	}
	_exit(0);
}

static void
garp_announce(const struct addr *a, const char *ifname, unsigned ifindex)
{
	struct garp	g;
	pid_t		pid = -1;
	int		fd, status;

	if (a->arp_count == 0 || (fd = garp_open(ifname, a->ip, &g)) == -1)
		return;
	if (garp_send(fd, ifindex, &g) == -1)
		log_warn("gratuitous ARP for %s on %s", a->cidr, ifname);
	if (a->arp_count > 1 && (pid = fork()) == 0) {
		setsid();
		if (fork() == 0)
			garp_background(a, ifname, ifindex, &g, fd);
		_exit(0);
	}
	if (pid > 0)
		(void)waitpid(pid, &status, 0);
	close(fd);
}

static int
address_start(const struct addr *a)
{
	char		ifname[IF_NAMESIZE];
	unsigned	ifindex;
	int		plen, r;

	if (addr_find(a, ifname, &plen))
		goto announce;
	if (a->ifname[0] != '\0')
		snprintf(ifname, sizeof(ifname), "%s", a->ifname);
	else if (iface_by_subnet(a, ifname) == -1)
		return OCF_ERR_GENERIC;
	if ((ifindex = if_nametoindex(ifname)) == 0) {
		log_warn("interface %s", ifname);
		return OCF_ERR_GENERIC;
	}
	r = nl_addr(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, a->ip,
	    a->plen);
	if (r < 0 && r != -EEXIST) {
		log_warnx("add %s to %s: %s", a->cidr, ifname, strerror(-r));
		return OCF_ERR_GENERIC;
	}
announce:
	if ((ifindex = if_nametoindex(ifname)) != 0)
		garp_announce(a, ifname, ifindex);
	/* Clients the last owner had: reset them now, not never. */
	if ((r = tickle_clients(a->ip, getenv(AGENT_ENV_TICKLE))) > 0)
		printf("tickled %d client connection%s\n", r, r == 1 ? "" :
		    "s");
	return OCF_SUCCESS;
}

static int
address_stop(const struct addr *a)
{
	char		ifname[IF_NAMESIZE];
	unsigned	ifindex;
	int		plen = a->plen, r;

	if (!addr_find(a, ifname, &plen))
		return OCF_SUCCESS;
	if ((ifindex = if_nametoindex(ifname)) == 0)
		return OCF_SUCCESS;	/* the interface just went away */
	rst_guard_start(a->ip, ifname, ifindex, RST_WINDOW_MS);
	r = nl_addr(RTM_DELADDR, 0, ifindex, a->ip, plen);
	if (r < 0 && r != -EADDRNOTAVAIL && r != -ENODEV) {
		log_warnx("delete %s from %s: %s", a->cidr, ifname,
		    strerror(-r));
		return OCF_ERR_GENERIC;
	}
	return OCF_SUCCESS;
}

int
address_main(enum agent_action act)
{
	struct addr	a;
	char		ifname[IF_NAMESIZE];
	int		plen, r;

	memset(&a, 0, sizeof(a));
	if ((r = addr_load(&a)) != OCF_SUCCESS)
		return r;
	switch (act) {
	case ACT_START:
		return address_start(&a);
	case ACT_STOP:
		return address_stop(&a);
	case ACT_MONITOR:
		return addr_find(&a, ifname, &plen) ? OCF_SUCCESS :
		    OCF_NOT_RUNNING;
	}
	return OCF_ERR_ARGS;
}
