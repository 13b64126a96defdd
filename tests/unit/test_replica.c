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

static const char *conf2 =
    "[cluster]\nfencing = no\n"
    "[node node1]\nnodeid = 1\n[node node2]\nnodeid = 2\n"
    "[group db1]\n"
    "[resource ip]\ngroup = db1\ntype = address\n"
    "address = 198.18.0.100/24\n";

/* The SYNC among fx's messages, or NULL. */
static struct msg *
sync_out(struct replica_effects *fx)
{
	int	i;

	for (i = 0; i < fx->nout; i++)
		if (fx->out[i].type == MSG_SYNC)
			return &fx->out[i];
	return NULL;
}

/*
 * Rolling upgrade: we (node2, this release) join node1, which was there
 * before us and sends hash h (this release's or the previous one's).  Our
 * SYNC waits for node1's and carries the hash node1 uses; the round ends
 * with both synced.
 */
static void
joiner(const struct conf *c, const char *h, const char *what)
{
	struct replica		*rep = replica_new(c, 2, 20);
	struct replica_input	 in;
	struct replica_effects	 fx;
	struct replica_member	 mem[2] = { { 1, 10, false }, { 2, 20, false } };
	struct msg		 m, *mine;

	memset(&in, 0, sizeof(in));
	in.type = RIN_CPG_UP;
	step(rep, &in);
	memset(&in, 0, sizeof(in));
	in.type = RIN_CONFCHG;
	in.mem = mem;
	in.nmem = 2;
	in.join = &mem[1];
	in.njoin = 1;
	replica_step(rep, &in, &fx);
	ok(sync_out(&fx) == NULL, "%s: the joiner's SYNC waits for node1's",
	    what);
	replica_effects_clear(&fx);

	memset(&m, 0, sizeof(m));
	m.type = MSG_SYNC;
	m.u.sync.synced = 1;
	m.u.sync.version = 7;
	snprintf(m.u.sync.hash, sizeof(m.u.sync.hash), "%s", h);
	m.u.sync.nmembers = 2;
	m.u.sync.members = calloc(2, sizeof(uint64_t));
	m.u.sync.members[0] = (uint64_t)1 << 32 | 10;
	m.u.sync.members[1] = (uint64_t)2 << 32 | 20;
	memset(&in, 0, sizeof(in));
	in.type = RIN_DELIVER;
	in.nodeid = 1;
	in.m = &m;
	replica_step(rep, &in, &fx);
	msg_clear(&m);
	mine = sync_out(&fx);
	if (ok(mine != NULL, "%s: node1's SYNC in, ours goes out", what))
		is_str(mine->u.sync.hash, h, "%s: with node1's hash", what);
	if (mine != NULL) {
		struct replica_effects	fx2;

		m = *mine;
		memset(mine, 0, sizeof(*mine));
		memset(&in, 0, sizeof(in));
		in.type = RIN_DELIVER;
		in.nodeid = 2;
		in.m = &m;
		replica_step(rep, &in, &fx2);
		ok(!fx2.refuse && rep->cs->stable && rep->cs->nodes[0].synced &&
		    rep->cs->nodes[1].synced, "%s: both synced, no refusal",
		    what);
		replica_effects_clear(&fx2);
		msg_clear(&m);
	}
	replica_effects_clear(&fx);
	replica_free(rep);
}

static void
test_upgrade(void)
{
	struct conf	*c = conf_load_buf("test2.conf", conf2, strlen(conf2),
			    NULL);

	if (!ok(c != NULL, "conf2 parses"))
		return;
	joiner(c, c->hash_prev, "previous release's node1");
	joiner(c, c->hash, "this release's node1");
	conf_free(c);
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
	test_upgrade();
	return done_testing();
}
