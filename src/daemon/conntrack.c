/*
 * conntrack.c - who is connected to each access point (see conntrack.h).
 *
 * A client blocked in a statement sends nothing while it waits: when the
 * node that serves it loses power, nothing of the client's ever reaches
 * the new owner, and without keepalives it waits for ever.  So the node
 * where an address resource is online reads its established TCP
 * connections to that address from /proc/net/tcp every CONNTRACK_MS and
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

#include "cluster.h"
#include "conntrack.h"
#include "log.h"
#include "loop.h"
#include "util.h"

#define CONNTRACK_MS	500
#define TCP_ESTABLISHED	1
#define TICKLE_ENV_MAX	(120 * 1024)

static struct cstate		*cs;
static const struct conf	*conf;
static char			**known;	/* [nresources]: latest list */
static char			**sent;		/* [nresources]: ours, sent */
static struct loop_timer	*timer;

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

/*
 * Established connections to ip, sorted, as "client:port>localport ...".
 * /proc/net/tcp lists each as "sl local rem st ...", addresses as
 * host-order hex ("0100A8C0:1538" is 192.168.0.1:5432).
 */
static char *
scan(struct in_addr ip)
{
	FILE		*f = fopen("/proc/net/tcp", "r");
	char		 line[256], **items = NULL, *out, *p;
	unsigned	 la, lp, ra, rp, st;
	size_t		 n = 0, cap = 0, len = 1, i;
	struct in_addr	 rem;

	if (f == NULL)
		return xstrdup("");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, " %*u: %x:%x %x:%x %x", &la, &lp, &ra, &rp,
		    &st) != 5 || st != TCP_ESTABLISHED || la != ip.s_addr)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			items = xreallocarray(items, cap, sizeof(*items));
		}
		rem.s_addr = ra;
		items[n] = xasprintf("%s:%u>%u", inet_ntoa(rem), rp, lp);
		len += strlen(items[n++]) + 1;
	}
	fclose(f);
	if (n > 1)
		qsort(items, n, sizeof(*items), cmp_str);
	p = out = xmalloc(len);
	*p = '\0';
	for (i = 0; i < n; i++) {
		p += sprintf(p, "%s%s", i ? " " : "", items[i]);
		free(items[i]);
	}
	free(items);
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
		cluster_send_msg(&m);
		msg_clear(&m);
	}
}

void
conntrack_init(struct cstate *c)
{
	cs = c;
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
	return xasprintf("PGHA_TICKLE=%.*s", (int)len, k);
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
