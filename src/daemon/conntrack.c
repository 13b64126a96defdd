/*
 * conntrack.c - who is connected to each access point (see conntrack.h).
 *
 * A client blocked in a statement sends nothing while it waits: when the
 * node that serves it loses power, nothing of the client's ever reaches
 * the new owner, and without keepalives it waits for ever.  So the node
 * where an address resource is online asks the kernel for its established
 * TCP connections to that address (sockdiag.h) every CONNTRACK_MS and
 * multicasts the list when it changes.  Every node keeps the latest list
 * per address; the node that starts the address next hands it to the
 * agent, which "tickles" each client (an ACK it cannot accept: the client
 * answers with its own ACK, which now reaches the new owner, whose kernel
 * answers with a reset), so the client gets an error right after the
 * takeover.  Nothing here decides anything: a stale or partial list only
 * costs a client its wait.
 */
#define PGHA_LOG_TAG	"conntrack"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_proto.h"
#include "conntrack.h"
#include "log.h"
#include "loop.h"
#include "sockdiag.h"
#include "util.h"

#define CONNTRACK_MS	500
#define TICKLE_ENV_MAX	(120 * 1024)

static const struct cstate	*cs;
static void			(*send_msg)(struct msg *);	/* multicast */
static const struct conf	*conf;
static char			**known;	/* [nresources]: latest list */
static char			**sent;		/* [nresources]: ours, sent */
static struct loop_timer	*timer;
static bool			 scan_failed;	/* logged once */

/* The resource's IPv4 address (the part of "a.b.c.d/len" before "/"). */
static int
res_ip(const struct conf_resource *r, struct in_addr *ip)
{
	const char	*v = conf_param(r, "address");
	char		 buf[32];

	if (v == NULL)
		return -1;
	snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(v, "/"), v);
	return inet_pton(AF_INET, buf, ip) == 1 ? 0 : -1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct conns {
	char	**items;
	size_t	  n, cap, len;
};

static int
add_conn(const struct sockdiag_sock *so, void *arg)
{
	struct conns	*c = arg;
	struct in_addr	 rem;

	memcpy(&rem, so->remote.s6_addr, sizeof(rem));
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->items = xreallocarray(c->items, c->cap, sizeof(*c->items));
	}
	c->items[c->n] = xasprintf("%s:%u>%u", inet_ntoa(rem), so->rport,
	    so->lport);
	c->len += strlen(c->items[c->n++]) + 1;
	return 0;
}

/*
 * Established connections to ip, sorted, as "client:port>localport ...".
 * The kernel filters by state and local address; it still walks its whole
 * table of connections for each request (as for /proc/net/tcp), so this
 * asks once, for IPv4 sockets: PostgreSQL's IPv4 clients reach its IPv4
 * socket (it listens IPV6_V6ONLY).
 */
static char *
scan(struct in_addr ip)
{
	struct sockdiag_filter	 f = { .family = AF_INET, .port = -1 };
	struct conns		 c = { .len = 1 };
	char			*out, *p;
	size_t			 i;

	memcpy(&f.addr, &ip, sizeof(ip));
	if (sockdiag_tcp(AF_INET, SOCKDIAG_ESTABLISHED, &f, add_conn,
	    &c) == -1) {
		/* Once, not every CONNTRACK_MS, until it works again. */
		if (!scan_failed)
			log_warn("cannot list the clients of %s",
			    inet_ntoa(ip));
		scan_failed = true;
	} else
		scan_failed = false;
	if (c.n > 1)
		qsort(c.items, c.n, sizeof(*c.items), cmp_str);
	p = out = xmalloc(c.len);
	*p = '\0';
	for (i = 0; i < c.n; i++) {
		p += sprintf(p, "%s%s", i ? " " : "", c.items[i]);
		free(c.items[i]);
	}
	free(c.items);
	return out;
}

static void
tick(void *arg)
{
	const struct node_rt	*me = &cs->nodes[cs->local];
	struct in_addr		 ip;
	struct msg		 m;
	char			*now;
	int			 r;

	timer = loop_timer_add(CONNTRACK_MS, tick, NULL);
	if (!me->in_cpg)
		return;
	for (r = 0; r < conf->nresources; r++) {
		const struct conf_resource *res = &conf->resources[r];

		if (res->type != RT_ADDRESS ||
		    me->res[r].state != RS_ONLINE || res_ip(res, &ip) == -1)
			continue;
		now = scan(ip);
		if (sent[r] != NULL && strcmp(now, sent[r]) == 0) {
			free(now);
			continue;
		}
		free(sent[r]);
		sent[r] = now;
		memset(&m, 0, sizeof(m));
		m.type = MSG_CONNS;
		snprintf(m.u.conns.res, sizeof(m.u.conns.res), "%s",
		    res->name);
		m.u.conns.text = xstrdup(now);
		send_msg(&m);
		msg_clear(&m);
	}
}

void
conntrack_init(const struct cstate *c, void (*send)(struct msg *))
{
	cs = c;
	send_msg = send;
	conf = c->conf;
	known = xcalloc((size_t)conf->nresources, sizeof(*known));
	sent = xcalloc((size_t)conf->nresources, sizeof(*sent));
	timer = loop_timer_add(CONNTRACK_MS, tick, NULL);
}

void
conntrack_free(void)
{
	int	r;

	if (known == NULL)
		return;
	loop_timer_cancel(timer);
	timer = NULL;
	for (r = 0; r < conf->nresources; r++) {
		free(known[r]);
		free(sent[r]);
	}
	free(known);
	free(sent);
	known = sent = NULL;
}

void
conntrack_resend(void)
{
	int	r;

	if (sent == NULL)
		return;
	for (r = 0; r < conf->nresources; r++) {
		free(sent[r]);
		sent[r] = NULL;
	}
	loop_timer_cancel(timer);
	timer = loop_timer_add(0, tick, NULL);
}

void
conntrack_deliver(uint32_t from, const struct msg *m)
{
	const struct conf_resource	*r;

	if ((r = conf_resource_by_name(conf, m->u.conns.res)) == NULL ||
	    r->type != RT_ADDRESS)
		return;
	free(known[r->index]);
	known[r->index] = xstrdup(m->u.conns.text);
	log_debug("conntrack: %s on node %u: %s", r->name, from,
	    *m->u.conns.text ? m->u.conns.text : "no client");
	/* A new owner reports afresh from its own first scan. */
	if (from != conf->nodes[cs->local].nodeid) {
		free(sent[r->index]);
		sent[r->index] = NULL;
	}
}

char *
conntrack_env(const struct conf_resource *r)
{
	const char	*k;
	size_t		 len;

	if (known == NULL || (k = known[r->index]) == NULL || *k == '\0')
		return NULL;
	/* One environment string may not exceed 128 KiB (execve). */
	len = strlen(k);
	if (len > TICKLE_ENV_MAX) {
		len = TICKLE_ENV_MAX;
		while (len > 0 && k[len] != ' ')
			len--;
	}
	return xasprintf(AGENT_ENV_TICKLE "=%.*s", (int)len, k);
}

int
conntrack_count(const struct conf_resource *r)
{
	const char	*p;
	int		 n = 0;

	if (known == NULL || (p = known[r->index]) == NULL)
		return 0;
	for (; *p; p += strcspn(p, " "), p += *p == ' ')
		n++;
	return n;
}
