/*
 * test_replica.c - the replicated state machine (replica.c) on its own:
 * what it keeps between inputs.  Its behaviour in a cluster is replayed
 * by the golden decide scenarios (tests/golden/decide/).
 */
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "replica.h"
#include "tap.h"

static const char *conf1 =
    "[node node1]\nnodeid = 1\nfence_agent = /usr/sbin/fence_x\n"
    "[group db1]\n"
    "[resource ip]\ngroup = db1\ntype = address\n"
    "address = 198.18.0.100/24\n";

static void
step(struct replica *rep, struct replica_input *in)
{
	struct replica_effects	fx;
	int			i;

	replica_step(rep, in, &fx);
	/* What the transport would multicast comes straight back. */
	for (i = 0; i < fx.nout; i++) {
		struct replica_input	d;
		struct replica_effects	fx2;

		memset(&d, 0, sizeof(d));
		d.type = RIN_DELIVER;
		d.nodeid = 1;
		d.m = &fx.out[i];
		replica_step(rep, &d, &fx2);
		replica_effects_clear(&fx2);
	}
	replica_effects_clear(&fx);
}

int
main(void)
{
	struct conf		*c;
	struct replica		*rep;
	struct replica_input	 in;
	struct replica_member	 me = { 1, 100, false };
	int			 i;

	c = conf_load_buf("test.conf", conf1, strlen(conf1), stderr);
	if (c == NULL)
		abort();
	rep = replica_new(c, 1, 100);
	memset(&in, 0, sizeof(in));
	in.type = RIN_CPG_UP;
	step(rep, &in);
	memset(&in, 0, sizeof(in));
	in.type = RIN_QUORUM;
	in.quorate = true;
	step(rep, &in);
	memset(&in, 0, sizeof(in));
	in.type = RIN_CONFCHG;
	in.mem = in.join = &me;
	in.nmem = in.njoin = 1;
	step(rep, &in);
	ok(rep->cs->stable, "a one-node cluster syncs with itself");
	for (i = 0; i < 100; i++) {
		struct msg	m;

		memset(&m, 0, sizeof(m));
		m.type = MSG_REQUEST;
		m.u.request.op = i % 2 ? REQ_ONLINE : REQ_OFFLINE;
		snprintf(m.u.request.group, sizeof(m.u.request.group), "db1");
		memset(&in, 0, sizeof(in));
		in.type = RIN_DELIVER;
		in.nodeid = 1;
		in.m = &m;
		step(rep, &in);
		msg_clear(&m);
	}
	is_int(replica_log_len(rep), 0, "no message kept once the sync round is "
	    "over (100 requests applied)");
	replica_free(rep);
	conf_free(c);
	return done_testing();
}
