/*
 * corosync_conf.c - the text of the files `pgha cluster setup` writes:
 * corosync.conf with the timings docs/deploy.md recommends, and the
 * cluster-file skeleton.  Pure: a checked struct cs_spec in, text out, so
 * that tests/unit/test_corosync_conf.c can hold every variant against a
 * golden file and setup.c does only the I/O.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"
#include "corosync_conf.h"

/* Text into a growing buffer: open_memstream, aborting on OOM. */
struct text {
	FILE	*f;
	char	*buf;
	size_t	 len;
};

static void
text_open(struct text *t)
{
	t->buf = NULL;
	t->len = 0;
	if ((t->f = open_memstream(&t->buf, &t->len)) == NULL)
		abort();
}

static char *
text_close(struct text *t)
{
	if (ferror(t->f) || fclose(t->f) != 0)
		abort();
	return t->buf;
}

/* pgha.conf(5): 1..63 of letters, digits, '_', '.', '-', alnum first. */
int
cs_name_ok(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > CS_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (isalnum((unsigned char)s[i]))
			continue;
		if (i == 0 || (s[i] != '_' && s[i] != '.' && s[i] != '-'))
			return 0;
	}
	return 1;
}

/* A DNS name (RFC 1123 labels) or an IP literal, for the witness. */
static int
host_ok(const char *s)
{
	unsigned char	b[16];
	size_t		i, n = strlen(s), label = 0;

	if (inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1)
		return 1;
	if (n == 0 || n > CS_HOST_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) &&
		    (s[i] != '-' || label == 0))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && s[n - 1] != '-';
}

/* One address of a node: an IPv4 or IPv6 literal, its family in *fam. */
static int
addr_parse(const char *s, size_t n, char *out, int *fam)
{
	unsigned char	b[16];

	if (n == 0 || n > CS_ADDR_MAX)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	if (inet_pton(AF_INET, out, b) == 1)
		*fam = AF_INET;
	else if (inet_pton(AF_INET6, out, b) == 1)
		*fam = AF_INET6;
	else
		return -1;
	return 0;
}

/* "NODE=ADDR[,ADDR]...": one node of the spec. */
static int
node_parse(const char *arg, struct cs_node *nd, char *err, size_t len)
{
	const char	*eq = strchr(arg, '='), *p, *e;
	size_t		 nl;

	if (eq == NULL)
		return errf(err, len, "'%s': a node is NODE=ADDRESS[,ADDRESS]"
		    "... (e.g. node1=10.0.0.11,10.1.0.11)", arg);
	nl = (size_t)(eq - arg);
	if (nl > CS_NAME_MAX)
		nl = CS_NAME_MAX + 1;
	snprintf(nd->name, sizeof(nd->name), "%.*s", (int)nl, arg);
	if (nl > CS_NAME_MAX || !cs_name_ok(nd->name))
		return errf(err, len, "'%s': invalid node name '%.*s': 1 to %d "
		    "letters, digits, '_', '.' and '-', starting with a letter "
		    "or digit", arg, (int)(eq - arg), arg, CS_NAME_MAX);
	nd->naddr = 0;
	for (p = eq + 1;; p = e + 1) {
		e = p + strcspn(p, ",");
		if (nd->naddr == CS_MAX_LINKS)
			return errf(err, len, "'%s': more than %d addresses: "
			    "corosync (knet) has at most %d links", arg,
			    CS_MAX_LINKS, CS_MAX_LINKS);
		if (addr_parse(p, (size_t)(e - p), nd->addr[nd->naddr],
		    &nd->family[nd->naddr]) == -1)
			return errf(err, len, "'%s': bad address '%.*s': give "
			    "an IPv4 or IPv6 address (not a host name: "
			    "corosync must not depend on name resolution)",
			    arg, (int)(e - p), p);
		nd->naddr++;
		if (*e == '\0')
			break;
	}
	return 0;
}

/* Across nodes: names, addresses, link counts and families. */
static int
nodes_check(const struct cs_spec *s, char *err, size_t len)
{
	const struct cs_node	*a, *b;
	int			 i, j, k, l;

	for (i = 0; i < s->nnodes; i++) {
		a = &s->nodes[i];
		if (a->naddr != s->nlinks)
			return errf(err, len, "node %s has %d address%s, node "
			    "%s %d: give every node one address per link",
			    a->name, a->naddr, a->naddr == 1 ? "" : "es",
			    s->nodes[0].name, s->nlinks);
		for (k = 0; k < a->naddr; k++)
			if (a->family[k] != s->nodes[0].family[k])
				return errf(err, len, "node %s: link %d "
				    "address %s is not of the family of node "
				    "%s's (%s): one family per link", a->name,
				    k, a->addr[k], s->nodes[0].name,
				    s->nodes[0].addr[k]);
		for (j = 0; j < i; j++) {
			b = &s->nodes[j];
			if (strcmp(a->name, b->name) == 0)
				return errf(err, len, "node %s is given twice",
				    a->name);
			for (k = 0; k < a->naddr; k++)
				for (l = 0; l < b->naddr; l++)
					if (strcmp(a->addr[k],
					    b->addr[l]) == 0)
						return errf(err, len, "address "
						    "%s is given to nodes %s "
						    "and %s", a->addr[k],
						    b->name, a->name);
		}
		for (k = 0; k < a->naddr; k++)
			for (l = 0; l < k; l++)
				if (strcmp(a->addr[k], a->addr[l]) == 0)
					return errf(err, len, "node %s: "
					    "address %s is given twice: each "
					    "link needs its own", a->name,
					    a->addr[k]);
	}
	return 0;
}

int
cs_spec_build(struct cs_spec *s, const char *cluster, char **nodes,
    int nnodes, const char *witness, char *err, size_t len)
{
	int	i, k;

	memset(s, 0, sizeof(*s));
	if (strlen(cluster) > CS_NAME_MAX || !cs_name_ok(cluster))
		return errf(err, len, "invalid cluster name '%s': 1 to %d "
		    "letters, digits, '_', '.' and '-', starting with a letter "
		    "or digit", cluster, CS_NAME_MAX);
	snprintf(s->cluster, sizeof(s->cluster), "%s", cluster);
	if (nnodes < 2)
		return errf(err, len, "give at least 2 nodes, "
		    "NODE=ADDRESS[,ADDRESS]... each: a group fails over only "
		    "to another node");
	if (nnodes > CS_MAX_NODES)
		return errf(err, len, "%d nodes: pgha runs at most %d",
		    nnodes, CS_MAX_NODES);
	for (i = 0; i < nnodes; i++) {
		if (node_parse(nodes[i], &s->nodes[i], err, len) == -1)
			return -1;
		s->nodes[i].nodeid = (unsigned)i + 1;
	}
	s->nnodes = nnodes;
	s->nlinks = s->nodes[0].naddr;
	if (nodes_check(s, err, len) == -1)
		return -1;
	if (witness == NULL)
		return 0;
	if (!host_ok(witness))
		return errf(err, len, "--witness '%s': not an IP address or "
		    "a host name", witness);
	for (i = 0; i < nnodes; i++)
		for (k = 0; k < s->nlinks; k++)
			if (strcmp(witness, s->nodes[i].addr[k]) == 0)
				return errf(err, len, "--witness %s is node "
				    "%s's address: the witness must be a third "
				    "machine", witness, s->nodes[i].name);
	snprintf(s->witness, sizeof(s->witness), "%s", witness);
	return 0;
}

/*
 * docs/deploy.md, "Failover speed": 300 ms with one link (a lost node is
 * seen after about 0.65 s); 1000 ms with two or more, where knet must
 * declare a dead link down well before the token is lost and a loaded
 * machine answered pings late at 300.
 */
unsigned
cs_token_ms(const struct cs_spec *s)
{
	return s->nlinks == 1 ? 300 : 1000;
}

static void
totem(FILE *f, const struct cs_spec *s)
{
	unsigned	token = cs_token_ms(s);
	int		k;

	fprintf(f, "totem {\n\tversion: 2\n\tcluster_name: %s\n"
	    "\ttransport: knet\n\tcrypto_cipher: aes256\n"
	    "\tcrypto_hash: sha256\n\tkeyfile: %s\n\ttoken: %u\n",
	    s->cluster, s->keyfile ? s->keyfile : CS_KEYFILE, token);
	fputs("\t# Not token + 650 ms per node past two: a LAN passes the\n"
	    "\t# token around a handful of nodes in well under a millisecond.\n"
	    "\ttoken_coefficient: 0\n", f);
	for (k = 0; k < s->nlinks; k++) {
		fprintf(f, "\tinterface {\n\t\tlinknumber: %d\n", k);
		if (s->nlinks == 1) {
			if (k == 0)
				fputs("\t\t# One link: let the token, not a "
				    "late ping answer, decide\n\t\t# that a "
				    "node is gone.\n", f);
			fprintf(f, "\t\tknet_ping_interval: %u\n"
			    "\t\tknet_ping_timeout: %u\n", token / 4,
			    token * 2);
		} else {
			if (k == 0)
				fputs("\t\t# Several links: a dead link is "
				    "declared down well before the\n\t\t# "
				    "token is lost, so traffic moves to "
				    "another link.\n", f);
			fprintf(f, "\t\tknet_ping_interval: %u\n"
			    "\t\tknet_ping_timeout: %u\n", token / 10,
			    token / 4);
		}
		fputs("\t}\n", f);
	}
	fputs("}\n", f);
}

static void
quorum(FILE *f, const struct cs_spec *s)
{
	fputs("quorum {\n\tprovider: corosync_votequorum\n", f);
	if (s->witness[0] == '\0') {
		if (s->nnodes == 2)
			fputs("\ttwo_node: 1\n", f);
		fputs("}\n", f);
		return;
	}
	/*
	 * No two_node with a witness: its vote decides.  timeout 1000: the
	 * survivor of a two-node partition gets the vote 1 s after the loss
	 * instead of 10 (docs/deploy.md).  ffsplit is for even node counts;
	 * with an odd count lms (last man standing) is corosync's choice.
	 */
	fprintf(f, "\tdevice {\n\t\tmodel: net\n\t\tvotes: 1\n"
	    "\t\ttimeout: 1000\n\t\tnet {\n\t\t\thost: %s\n"
	    "\t\t\talgorithm: %s\n\t\t\ttls: required\n\t\t}\n\t}\n}\n",
	    s->witness, s->nnodes % 2 == 0 ? "ffsplit" : "lms");
}

char *
cs_corosync_conf(const struct cs_spec *s)
{
	struct text	t;
	int		i, k;

	text_open(&t);
	fprintf(t.f, "# corosync.conf of pgha cluster %s, written by "
	    "'pgha cluster setup':\n# the same on every node "
	    "(docs/deploy.md says why each timing).\n", s->cluster);
	totem(t.f, s);
	fputs("nodelist {\n", t.f);
	for (i = 0; i < s->nnodes; i++) {
		fprintf(t.f, "\tnode {\n\t\tname: %s\n\t\tnodeid: %u\n",
		    s->nodes[i].name, s->nodes[i].nodeid);
		for (k = 0; k < s->nodes[i].naddr; k++)
			fprintf(t.f, "\t\tring%d_addr: %s\n", k,
			    s->nodes[i].addr[k]);
		fputs("\t}\n", t.f);
	}
	fputs("}\n", t.f);
	quorum(t.f, s);
	fputs("logging {\n\tto_syslog: yes\n\tto_logfile: yes\n"
	    "\tlogfile: /var/log/corosync/corosync.log\n\ttimestamp: on\n"
	    "}\n", t.f);
	return text_close(&t);
}

char *
cs_pgha_conf(const struct cs_spec *s)
{
	struct text	t;
	int		i;

	text_open(&t);
	fprintf(t.f, "# The cluster file of pgha cluster %s (pgha.conf(5)), "
	    "written by\n# 'pgha cluster setup': the same on every node.  "
	    "Give each node its\n# fence agent, add the groups, then copy it "
	    "to every node.\n\n[cluster]\nname = %s\n", s->cluster,
	    s->cluster);
	for (i = 0; i < s->nnodes; i++)
		fprintf(t.f, "\n[node %s]\nnodeid = %u\n"
		    "# fence_agent = /usr/sbin/fence_ipmilan\n"
		    "# fence_options = ip=BMC-OF-%s username=admin "
		    "password_script=/etc/pgha/ipmi-pass lanplus=1\n",
		    s->nodes[i].name, s->nodes[i].nodeid, s->nodes[i].name);
	fputs("\n# A group: its shared disk, its access point and its "
	    "server, brought\n# online in that order (docs/operations.md).\n"
	    "#\n# [group db1]\n# preferred_owners =", t.f);
	for (i = 0; i < s->nnodes; i++)
		fprintf(t.f, " %s", s->nodes[i].name);
	fputs("\n#\n# [resource db1-disk]\n# group = db1\n# type = disk\n"
	    "# device = /dev/disk/by-id/wwn-0x5000c500a1b2c3d4\n"
	    "# mountpoint = /srv/db1\n# fstype = ext4\n#\n"
	    "# [resource db1-ip]\n# group = db1\n# type = address\n"
	    "# address = 192.0.2.100/24\n# requires = db1-disk\n#\n"
	    "# [resource db1-pg]\n# group = db1\n# type = postgresql\n"
	    "# data = /srv/db1/data\n# port = 5432\n"
	    "# requires = db1-disk db1-ip\n", t.f);
	return text_close(&t);
}
