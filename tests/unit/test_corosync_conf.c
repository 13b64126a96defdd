/*
 * test_corosync_conf.c - the files `pgha cluster setup` writes
 * (src/cli/corosync_conf.c): corosync.conf for 2 nodes on 1 and 2 links,
 * 3 nodes, 2 nodes with a witness, and the cluster-file skeleton, each
 * against its golden file in tests/golden/corosync/ (PGHA_GOLDEN_UPDATE=1
 * rewrites them); every refusal of bad input, naming the argument; the
 * skeleton accepted by pghad's own parser; and, where corosync is
 * installed, each corosync.conf accepted by `corosync -t` (with the
 * addresses moved to this machine's loopback, which -t insists on).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "conf.h"
#include "util.h"
#include "slurp.h"
#include "../../src/cli/corosync_conf.h"

#define COROSYNC	"/usr/sbin/corosync"

static void
golden(const char *name, const char *got)
{
	const char	*top = getenv("PGHA_TOP");
	char		*path, *want;
	FILE		*f;

	path = xasprintf("%s/tests/golden/corosync/%s", top ? top : ".",
	    name);
	if (getenv("PGHA_GOLDEN_UPDATE") != NULL &&
	    (f = fopen(path, "w")) != NULL) {
		fputs(got, f);
		fclose(f);
	}
	want = slurp(path);
	if (!ok(want != NULL && strcmp(got, want) == 0, "%s as golden", name))
		diag("got:\n%s", got);
	free(want);
	free(path);
}

static int
build(struct cs_spec *s, const char *cluster, const char *witness,
    char *err, size_t len, ...)
{
	char	*nodes[CS_MAX_NODES + 2];
	int	 n = 0;
	va_list	 ap;

	va_start(ap, len);
	while (n < (int)nitems(nodes) &&
	    (nodes[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	return cs_spec_build(s, cluster, nodes, n, witness, err, len);
}

/* corosync -t on conf with every address on loopback, node1 local. */
static void
corosync_test(const char *name, struct cs_spec *s)
{
	char	 dir[] = "/tmp/pgha-cs-XXXXXX", *key, *conf, *text, *cmd;
	FILE	*f;
	int	 i, k, rc;

	if (access(COROSYNC, X_OK) != 0 || geteuid() != 0) {
		ok(1, "# SKIP %s: corosync -t needs %s and root", name,
		    COROSYNC);
		return;
	}
	if (mkdtemp(dir) == NULL) {
		ok(0, "%s: mkdtemp: %s", name, strerror(errno));
		return;
	}
	for (i = 0; i < s->nnodes; i++)
		for (k = 0; k < s->nlinks; k++)
			snprintf(s->nodes[i].addr[k], sizeof(s->nodes[i].addr[k]),
			    "127.0.%d.%d", k, i + 1);
	key = xasprintf("%s/authkey", dir);
	conf = xasprintf("%s/corosync.conf", dir);
	s->keyfile = key;
	text = cs_corosync_conf(s);
	if ((f = fopen(key, "w")) != NULL) {
		for (i = 0; i < 256; i++)
			fputc(i, f);
		fclose(f);
	}
	chmod(key, 0400);
	if ((f = fopen(conf, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
	cmd = xasprintf("%s -t -c %s >%s/out 2>&1", COROSYNC, conf, dir);
	rc = system(cmd);
	free(cmd);
	if (!ok(rc == 0, "%s: corosync -t accepts it", name)) {
		cmd = xasprintf("%s/out", dir);
		free(text);
		text = slurp(cmd);
		diag("%s", text ? text : "");
		free(cmd);
	}
	cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	free(cmd);
	free(text);
	free(key);
	free(conf);
}

static void
variant(const char *name, const char *witness, ...)
{
	struct cs_spec	 s;
	char		*nodes[CS_MAX_NODES], err[512] = "", *text, *g;
	int		 n = 0;
	va_list		 ap;

	va_start(ap, witness);
	while ((nodes[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	if (!ok(cs_spec_build(&s, "db", nodes, n, witness, err,
	    sizeof(err)) == 0, "%s: accepted", name))
		diag("%s", err);
	text = cs_corosync_conf(&s);
	g = xasprintf("%s.conf", name);
	golden(g, text);
	free(g);
	free(text);
	corosync_test(name, &s);
}

/* bad input: refused, the message holds want (the argument named). */
static void
refused(const char *what, const char *want, const char *cluster,
    const char *witness, ...)
{
	struct cs_spec	 s;
	char		*nodes[CS_MAX_NODES + 2], err[512] = "";
	int		 n = 0, r;
	va_list		 ap;

	va_start(ap, witness);
	while ((nodes[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	r = cs_spec_build(&s, cluster, nodes, n, witness, err, sizeof(err));
	if (!ok(r == -1 && strstr(err, want) != NULL, "refused: %s", what))
		diag("r=%d err=%s (want '%s')", r, err, want);
}

static void
too_many(void)
{
	struct cs_spec	 s;
	char		*nodes[CS_MAX_NODES + 1], err[512] = "";
	int		 i, r;

	for (i = 0; i < CS_MAX_NODES + 1; i++)
		nodes[i] = xasprintf("n%d=10.0.%d.%d", i, i / 200, i % 200 + 1);
	r = cs_spec_build(&s, "db", nodes, CS_MAX_NODES, NULL, err,
	    sizeof(err));
	ok(r == 0, "%d nodes accepted", CS_MAX_NODES);
	r = cs_spec_build(&s, "db", nodes, CS_MAX_NODES + 1, NULL, err,
	    sizeof(err));
	if (!ok(r == -1 && strstr(err, "33 nodes") != NULL,
	    "refused: %d nodes", CS_MAX_NODES + 1))
		diag("%s", err);
	for (i = 0; i < CS_MAX_NODES + 1; i++)
		free(nodes[i]);
}

static void
skeleton(void)
{
	struct cs_spec	 s;
	struct conf	*c;
	char		 err[512];
	char		*text;

	build(&s, "db", NULL, err, sizeof(err), "node1=10.0.0.11",
	    "node2=10.0.0.12", "node3=10.0.0.13", NULL);
	text = cs_pgha_conf(&s);
	golden("pgha.conf", text);
	c = conf_load_buf("pgha.conf", text, strlen(text), stderr);
	ok(c != NULL, "skeleton: pghad's parser accepts it");
	if (c != NULL) {
		ok(conf_node_by_name(c, "node3") != NULL &&
		    conf_node_by_name(c, "node3")->nodeid == 3,
		    "skeleton: node3 has nodeid 3");
		ok(strcmp(c->cluster_name, "db") == 0, "skeleton: cluster db");
	}
	conf_free(c);
	free(text);
}

int
main(void)
{
	variant("2nodes-1link", NULL, "node1=10.0.0.11", "node2=10.0.0.12",
	    NULL);
	variant("2nodes-2links", NULL, "node1=10.0.0.11,10.1.0.11",
	    "node2=10.0.0.12,10.1.0.12", NULL);
	variant("3nodes", NULL, "node1=10.0.0.11", "node2=10.0.0.12",
	    "node3=10.0.0.13", NULL);
	variant("2nodes-witness", "10.0.0.3", "node1=10.0.0.11",
	    "node2=10.0.0.12", NULL);
	variant("3nodes-witness-ipv6", "qnetd.example.com", "a=fd00::11",
	    "b=fd00::12", "c=fd00::13", NULL);
	skeleton();

	refused("duplicate node", "node node1 is given twice", "db", NULL,
	    "node1=10.0.0.11", "node1=10.0.0.12", NULL);
	refused("duplicate address", "address 10.0.0.11 is given to nodes "
	    "node1 and node2", "db", NULL, "node1=10.0.0.11",
	    "node2=10.0.0.11", NULL);
	refused("bad address", "'node2=10.0.0.300': bad address "
	    "'10.0.0.300'", "db", NULL, "node1=10.0.0.11",
	    "node2=10.0.0.300", NULL);
	refused("host name as address", "bad address 'db2.example.com'",
	    "db", NULL, "node1=10.0.0.11", "node2=db2.example.com", NULL);
	refused("empty address", "bad address ''", "db", NULL,
	    "node1=10.0.0.11,", "node2=10.0.0.12", NULL);
	refused("no =", "'node2': a node is NODE=ADDRESS", "db", NULL,
	    "node1=10.0.0.11", "node2", NULL);
	refused("bad node name", "invalid node name '-x'", "db", NULL,
	    "node1=10.0.0.11", "-x=10.0.0.12", NULL);
	refused("node name with /", "invalid node name 'a/b'", "db", NULL,
	    "node1=10.0.0.11", "a/b=10.0.0.12", NULL);
	refused("bad cluster name", "invalid cluster name 'my db'",
	    "my db", NULL, "node1=10.0.0.11", "node2=10.0.0.12", NULL);
	refused("one node", "give at least 2 nodes", "db", NULL,
	    "node1=10.0.0.11", NULL);
	refused("9 links", "more than 8 addresses", "db", NULL,
	    "node1=10.0.0.1,10.0.1.1,10.0.2.1,10.0.3.1,10.0.4.1,10.0.5.1,"
	    "10.0.6.1,10.0.7.1,10.0.8.1", "node2=10.0.0.2", NULL);
	refused("links differ", "node node2 has 1 address, node node1 2",
	    "db", NULL, "node1=10.0.0.11,10.1.0.11", "node2=10.0.0.12",
	    NULL);
	refused("family differs", "node node2: link 0 address fd00::12",
	    "db", NULL, "node1=10.0.0.11", "node2=fd00::12", NULL);
	refused("same address twice on a node", "node node1: address "
	    "10.0.0.11 is given twice", "db", NULL,
	    "node1=10.0.0.11,10.0.0.11", "node2=10.0.0.12,10.1.0.12", NULL);
	refused("bad witness", "--witness 'bad host!'", "db", "bad host!",
	    "node1=10.0.0.11", "node2=10.0.0.12", NULL);
	refused("witness is a node", "--witness 10.0.0.12 is node node2's",
	    "db", "10.0.0.12", "node1=10.0.0.11", "node2=10.0.0.12", NULL);
	too_many();
	return done_testing();
}
