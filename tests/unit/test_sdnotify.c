/*
 * test_sdnotify.c - what pghad tells systemd: the STATUS text for each
 * phase and state, READY only once the node is joined as `pgha status`
 * shows it, and JOURNAL_STREAM matched against stderr's device and inode.
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "sdnotify.h"
#include "state.h"
#include "tap.h"

#define FA	"fence_agent = /usr/sbin/fence_x\n"

static const char *conf3 =
    "[node node1]\nnodeid = 1\n" FA "[node node2]\nnodeid = 2\n" FA
    "[node node3]\nnodeid = 3\n" FA
    "[group db1]\n[group db2]\n"
    "[resource ip1]\ngroup = db1\ntype = address\n"
    "address = 198.18.0.100/24\n"
    "[resource ip2]\ngroup = db2\ntype = address\n"
    "address = 198.18.0.101/24\n";

/* Describe cs in ph; the text in buf, the result as the return. */
static bool
desc(const struct cstate *cs, enum sdn_phase ph, char *buf)
{
	return sdnotify_describe(cs, ph, buf, 256);
}

static void
test_phases(struct cstate *cs)
{
	char	buf[256];

	ok(!desc(NULL, SDN_COROSYNC, buf) &&
	    strcmp(buf, "waiting for corosync") == 0,
	    "before corosync: not ready, %s", buf);
	ok(!desc(cs, SDN_PROBING, buf) &&
	    strcmp(buf, "probing local resources") == 0,
	    "probing: not ready, %s", buf);
	/* The probe is done and cluster_join() called: not in the group yet. */
	ok(!desc(cs, SDN_JOINING, buf) && strcmp(buf, "joining the cluster: "
	    "waiting for corosync's process group") == 0,
	    "joining, not in the group: not ready, %s", buf);
	cs->nodes[cs->local].in_cpg = true;
	ok(!desc(cs, SDN_JOINING, buf) && strcmp(buf, "joining the cluster: "
	    "waiting for the state sync") == 0,
	    "in the group, not synced: not ready, %s", buf);
	cs->nodes[cs->local].synced = true;
	ok(!desc(cs, SDN_JOINING, buf) && strcmp(buf, "joining the cluster: "
	    "sending this node's probe results") == 0,
	    "synced, record not delivered: not ready, %s", buf);
	cs->nodes[cs->local].recorded = true;
	ok(desc(cs, SDN_JOINING, buf) && strcmp(buf, "waiting for quorum; "
	    "running no group; 1 member") == 0,
	    "joined: ready even without quorum, %s", buf);
	cs->nodes[cs->local].refused = true;
	ok(!desc(cs, SDN_JOINING, buf) && strstr(buf, "refused: this node's "
	    "cluster file differs") == buf, "refused: not ready, %s", buf);
	cs->nodes[cs->local].refused = false;
}

static void
test_running(struct cstate *cs)
{
	char	buf[256];

	cs->quorate = true;
	cs->nodes[0].in_cpg = cs->nodes[2].in_cpg = true;
	cs->nodes[cs->local].res[0].state = RS_ONLINE;	/* ip1: db1 */
	ok(desc(cs, SDN_JOINING, buf) && strcmp(buf, "quorate; running db1; "
	    "3 members") == 0, "running: %s", buf);
	cs->nodes[cs->local].res[1].state = RS_STARTING;	/* ip2: db2 */
	cs->nodes[2].in_cpg = false;
	ok(desc(cs, SDN_JOINING, buf) && strcmp(buf, "quorate; running db1 "
	    "db2; 2 members") == 0, "a group starting counts: %s", buf);
	cs->nodes[cs->local].flags |= NF_PAUSED;
	ok(desc(cs, SDN_JOINING, buf) && strcmp(buf, "quorate; node paused; "
	    "running db1 db2; 2 members") == 0, "paused: %s", buf);
	cs->nodes[cs->local].flags = NF_PROBED | NF_STOPPED;
	ok(desc(cs, SDN_JOINING, buf) && strcmp(buf, "quorate; node stopped "
	    "by an operator; running db1 db2; 2 members") == 0,
	    "stopped by an operator: still ready, %s", buf);
	ok(!desc(cs, SDN_STOPPING, buf) && strcmp(buf, "stopping: moving "
	    "groups away; running db1 db2") == 0,
	    "stopping: not ready, %s", buf);
	cs->nodes[cs->local].res[0].state = RS_OFFLINE;
	cs->nodes[cs->local].res[1].state = RS_OFFLINE;
	ok(!desc(cs, SDN_STOPPING, buf) && strcmp(buf, "stopping: moving "
	    "groups away; running no group") == 0,
	    "stopping, all gone: %s", buf);
	ok(!desc(NULL, SDN_STOPPING, buf) &&
	    strcmp(buf, "stopping: moving groups away") == 0,
	    "stopping before the state exists: %s", buf);
}

static void
test_short_buffer(const struct cstate *cs)
{
	char	buf[8];

	memset(buf, 'x', sizeof(buf));
	sdnotify_describe(cs, SDN_PROBING, buf, sizeof(buf));
	ok(strcmp(buf, "probing") == 0, "a short buffer is cut, terminated: "
	    "%s", buf);
}

static void
test_stream(void)
{
	ok(sdnotify_stream_is("2049:123456", 2049, 123456),
	    "JOURNAL_STREAM naming stderr's dev:inode matches");
	ok(!sdnotify_stream_is("2049:123457", 2049, 123456),
	    "another inode does not");
	ok(!sdnotify_stream_is("2050:123456", 2049, 123456),
	    "another device does not");
	ok(!sdnotify_stream_is(NULL, 2049, 123456), "unset does not");
	ok(!sdnotify_stream_is("", 2049, 123456), "empty does not");
	ok(!sdnotify_stream_is("2049:123456x", 2049, 123456),
	    "trailing garbage does not");
	ok(!sdnotify_stream_is("2049", 2049, 123456), "no inode does not");
}

int
main(void)
{
	struct conf	*c;
	struct cstate	*cs;

	c = conf_load_buf("test.conf", conf3, strlen(conf3), stderr);
	if (c == NULL)
		abort();
	cs = state_new(c);
	cs->local = 1;
	test_phases(cs);
	test_running(cs);
	test_short_buffer(cs);
	test_stream();
	state_free(cs);
	conf_free(c);
	return done_testing();
}
