/*
 * corosync_conf.h - the files `pgha cluster setup` writes, made by pure
 * functions: a cluster's name, nodes, addresses and witness in, the text
 * of corosync.conf and of the cluster-file skeleton out (corosync_conf.c).
 * tests/unit/test_corosync_conf.c checks them against golden files.
 */
#ifndef PGHA_COROSYNC_CONF_H
#define PGHA_COROSYNC_CONF_H

#include <stddef.h>

#define CS_NAME_MAX	63	/* conf.h: CONF_NAME_MAX */
#define CS_MAX_NODES	32	/* conf.h: CONF_MAX_NODES */
#define CS_MAX_LINKS	8	/* knet: KNET_MAX_LINK */
#define CS_ADDR_MAX	45	/* INET6_ADDRSTRLEN - 1 */
#define CS_HOST_MAX	253	/* a DNS name */
#define CS_KEYFILE	"/etc/corosync/authkey"

struct cs_node {
	char	name[CS_NAME_MAX + 1];
	char	addr[CS_MAX_LINKS][CS_ADDR_MAX + 1];
	int	family[CS_MAX_LINKS];	/* AF_INET or AF_INET6 */
	int	naddr;
	unsigned nodeid;		/* 1..n in command-line order */
};

struct cs_spec {
	char		 cluster[CS_NAME_MAX + 1];
	struct cs_node	 nodes[CS_MAX_NODES];
	int		 nnodes;
	int		 nlinks;	/* every node has this many addresses */
	char		 witness[CS_HOST_MAX + 1];	/* "" without */
	const char	*keyfile;	/* NULL: CS_KEYFILE */
};

/*
 * Build spec from the cluster name, the NODE=ADDR[,ADDR]... arguments and
 * the witness (NULL for none).  Checks everything corosync and pgha would
 * refuse later: names, addresses (IPv4 or IPv6 literals), duplicates, the
 * same number of links on every node and one address family per link,
 * at most CS_MAX_NODES nodes and CS_MAX_LINKS links.  Returns 0, or -1
 * with a message naming the argument and the fix in err.
 */
int	cs_spec_build(struct cs_spec *, const char *cluster, char **nodes,
	    int nnodes, const char *witness, char *err, size_t len);
/* Whether s is a valid node, cluster or group name (pgha.conf(5)). */
int	cs_name_ok(const char *s);
/* The token timeout (ms) the spec's corosync.conf sets (docs/deploy.md). */
unsigned cs_token_ms(const struct cs_spec *);
/* The text of corosync.conf.  Caller frees. */
char	*cs_corosync_conf(const struct cs_spec *);
/* The text of the cluster-file skeleton /etc/pgha/pgha.conf.  Caller frees. */
char	*cs_pgha_conf(const struct cs_spec *);

#endif
