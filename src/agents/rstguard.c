/*
 * rstguard.c - after an address is released, refuse at once the
 * connections that still reach this node for it.
 *
 * Between the moment the old owner removes the access point and the moment
 * the new owner announces it, a client's SYN for it reaches the old node
 * (the client's ARP cache still points there) and is dropped: the client
 * then waits for its SYN retransmission, a full second, before it tries
 * the new owner.  This guard answers such SYNs with a TCP reset in the
 * address's name, so the client's connect fails with "connection refused"
 * at once and it retries, reaching the new owner as soon as that one has
 * sent its gratuitous ARP.  It never accepts a connection and never
 * answers ARP: the address is not assigned here.  It ends when the window
 * has passed, or at once when the address is assigned here again.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent_util.h"
#include "rstguard.h"
#include "util.h"

#define POLL_MS		50
/* How long an armed guard waits for the address to go before it gives up. */
#define RELEASE_WAIT_MS	5000

/* Classic BPF: IPv4 to ip, TCP, SYN without ACK.  ip in host order. */
static int
attach_filter(int fd, uint32_t ip)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 9),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 30),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ip, 0, 7),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 5),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
		BPF_STMT(BPF_LD | BPF_B | BPF_IND, 14 + 13),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x02, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog	prog = { .len = nitems(code), .filter = code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog));
}

/* True if ip is assigned on this node (bind succeeds only then). */
static bool
ip_is_local(struct in_addr ip)
{
	struct sockaddr_in	sin;
	int			fd, r;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return true;	/* cannot tell: do not answer */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = ip;
	r = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	return r == 0;
}

/*
 * Answer one SYN frame (len bytes) for ip with RST|ACK; -1 if it is not
 * exactly that (the filter is checked again here: never answer anything
 * else in the address's name).
 */
static int
answer(int fd, unsigned ifindex, const uint8_t *mac, struct in_addr ip,
    const uint8_t *f, size_t len)
{
	uint8_t			 out[14 + 20 + 20];
	struct iphdr		*ih = (struct iphdr *)(out + 14);
	struct tcphdr		*th = (struct tcphdr *)(out + 34);
	const struct iphdr	*sih;
	const struct tcphdr	*sth;
	struct sockaddr_ll	 sll;
	size_t			 ihl;
	uint32_t		 sum;
	uint8_t			 pseudo[12];

	if (len < 14 + 20)
		return -1;
	sih = (const struct iphdr *)(f + 14);
	ihl = (size_t)sih->ihl * 4;
	if (f[12] != 0x08 || f[13] != 0x00 || sih->version != 4 ||
	    ihl < 20 || len < 14 + ihl + 20 ||
	    sih->protocol != IPPROTO_TCP || sih->daddr != ip.s_addr ||
	    (ntohs(sih->frag_off) & 0x1fff) != 0)
		return -1;
	sth = (const struct tcphdr *)(f + 14 + ihl);
	if (!sth->syn || sth->ack || sth->rst)
		return -1;
	memset(out, 0, sizeof(out));
	memcpy(out, f + 6, ETH_ALEN);		/* to the sender */
	memcpy(out + 6, mac, ETH_ALEN);
	out[12] = 0x08;
	ih->version = 4;
	ih->ihl = 5;
	ih->tot_len = htons(40);
	ih->frag_off = htons(IP_DF);
	ih->ttl = 64;
	ih->protocol = IPPROTO_TCP;
	ih->saddr = sih->daddr;
	ih->daddr = sih->saddr;
	ih->check = htons(agent_csum_fold(agent_csum_add(0, ih, 20)));
	th->source = sth->dest;
	th->dest = sth->source;
	th->ack_seq = htonl(ntohl(sth->seq) + 1);
	th->doff = 5;
	th->rst = 1;
	th->ack = 1;
	memcpy(pseudo, &ih->saddr, 4);
	memcpy(pseudo + 4, &ih->daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	pseudo[10] = 0;
	pseudo[11] = 20;
	sum = agent_csum_add(agent_csum_add(0, pseudo, 12), th, 20);
	th->check = htons(agent_csum_fold(sum));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = (int)ifindex;
	sll.sll_halen = ETH_ALEN;
	memcpy(sll.sll_addr, out, ETH_ALEN);
	return sendto(fd, out, sizeof(out), 0, (struct sockaddr *)&sll,
	    sizeof(sll)) == (ssize_t)sizeof(out) ? 0 : -1;
}

static void
guard_loop(int fd, struct in_addr ip, unsigned ifindex, const uint8_t *mac,
    uint32_t window_ms)
{
	uint64_t		end = now_ms() + RELEASE_WAIT_MS;
	uint8_t			buf[2048];
	struct pollfd		pfd = { .fd = fd, .events = POLLIN };
	struct sockaddr_ll	from;
	socklen_t		fl;
	ssize_t			n;
	bool			released = false;

	/*
	 * Armed before the address is removed, so that no SYN falls between
	 * the removal and the guard: until then the kernel answers.
	 */
	while (now_ms() < end) {
		if (ip_is_local(ip)) {
			if (released)
				return;	/* assigned here again */
		} else if (!released) {
			released = true;
			end = now_ms() + window_ms;
		}
		if (poll(&pfd, 1, released ? POLL_MS : 1) <= 0)
			continue;
		for (;;) {
			fl = sizeof(from);
			n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
			    (struct sockaddr *)&from, &fl);
			if (n <= 0)
				break;
			/* Only frames sent to this node, not flooded ones. */
			if (from.sll_pkttype != PACKET_HOST)
				continue;
			if (ip_is_local(ip)) {
				if (released)
					return;
				continue;	/* the kernel answers it */
			}
			released = true;
			(void)answer(fd, ifindex, mac, ip, buf, (size_t)n);
		}
	}
}

void
rst_guard_start(struct in_addr ip, const char *ifname, unsigned ifindex,
    uint32_t window_ms)
{
	struct sockaddr_ll	sll;
	struct ifreq		ifr;
	uint8_t			mac[ETH_ALEN];
	pid_t			pid;
	int			fd, status, null;

	if ((fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC,
	    htons(ETH_P_IP))) == -1)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = (int)ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1 ||
	    attach_filter(fd, ntohl(ip.s_addr)) == -1 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1) {
		close(fd);
		return;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	if ((pid = fork()) == 0) {
		setsid();
		if (fork() == 0) {
			if ((null = open("/dev/null", O_RDWR)) != -1) {
				dup2(null, 0);
				dup2(null, 1);
				dup2(null, 2);
			}
			guard_loop(fd, ip, ifindex, mac, window_ms);
			_exit(0);
		}
		_exit(0);
	}
	if (pid > 0)
		(void)waitpid(pid, &status, 0);
	close(fd);
}
