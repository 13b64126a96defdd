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

static void	after(struct replica *, uint32_t, struct replica_effects *);

static const char *conf1 =
    "[node node1]\nnodeid = 1\nfence_agent = /usr/sbin/fence_x\n"
    "[group db1]\n"
    "[resource ip]\ngroup = db1\ntype = address\n"
    "address = 198.18.0.100/24\n";

/* Deliver m from nodeid, and what that sends, as the transport would. */
static void
deliver_all(struct replica *rep, uint32_t nodeid, struct msg *m)
{
	struct replica_input	d;
	struct replica_effects	fx;

	memset(&d, 0, sizeof(d));
	d.type = RIN_DELIVER;
	d.nodeid = nodeid;
	d.m = m;
	replica_step(rep, &d, &fx);
	after(rep, nodeid, &fx);
}

/* What a step sends comes straight back: its messages, then our record
 * (cpg.c sends them in that order; a record of this release). */
static void
after(struct replica *rep, uint32_t nodeid, struct replica_effects *fx)
{
	int	i;

	for (i = 0; i < fx->nout; i++)
		deliver_all(rep, nodeid, &fx->out[i]);
	if (fx->send_record) {
		struct msg	rec;

		memset(&rec, 0, sizeof(rec));
		rec.type = MSG_RECORD;
		rec.u.record.flags = RECF_HASH_KEYS;
		deliver_all(rep, nodeid, &rec);
		msg_clear(&rec);
	}
	replica_effects_clear(fx);
}

static void
step(struct replica *rep, struct replica_input *in)
{
	struct replica_effects	fx;

	replica_step(rep, in, &fx);
	after(rep, 1, &fx);
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

/* node's record, of this release or (flags 0) the previous one. */
static void
record_from(struct replica *rep, uint32_t nodeid, uint32_t flags,
    struct replica_effects *fx)
{
	struct replica_input	in;
	struct msg		m;

	memset(&m, 0, sizeof(m));
	m.type = MSG_RECORD;
	m.u.record.flags = flags;
	memset(&in, 0, sizeof(in));
	in.type = RIN_DELIVER;
	in.nodeid = nodeid;
	in.m = &m;
	replica_step(rep, &in, fx);
	msg_clear(&m);
}

/*
 * Rolling upgrade: we (node2, this release) join node1, of this release
 * or of the previous one (its record says, flags; its SYNC carries h).
 * Our SYNC waits for every member's record and carries the hash node1
 * uses; the round ends with both synced.
 */
static void
joiner(const struct conf *c, uint32_t flags, const char *h, const char *what)
{
	struct replica		*rep = replica_new(c, 2, 20);
	struct replica_input	 in;
	struct replica_effects	 fx;
	struct replica_member	 mem[2] = { { 1, 10, false }, { 2, 20, false } };
	struct msg		 m, *mine;

	memset(&in, 0, sizeof(in));
	in.type = RIN_CPG_UP;
	replica_step(rep, &in, &fx);
	replica_effects_clear(&fx);
	memset(&in, 0, sizeof(in));
	in.type = RIN_CONFCHG;
	in.mem = mem;
	in.nmem = 2;
	in.join = &mem[1];
	in.njoin = 1;
	replica_step(rep, &in, &fx);
	ok(sync_out(&fx) == NULL && fx.send_record, "%s: our record goes "
	    "out, our SYNC waits", what);
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
	replica_effects_clear(&fx);
	record_from(rep, 1, flags, &fx);
	ok(sync_out(&fx) == NULL, "%s: node1's SYNC and record in, ours "
	    "still waits for our record", what);
	replica_effects_clear(&fx);
	record_from(rep, 2, RECF_HASH_KEYS, &fx);
	mine = sync_out(&fx);
	if (ok(mine != NULL, "%s: every record in, our SYNC goes out", what))
		is_str(mine->u.sync.hash, h, "%s: with node1's kind of hash",
		    what);
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
		ok(!(rep->cs->nodes[0].flags & RECF_HASH_KEYS) &&
		    !(rep->cs->nodes[1].flags & RECF_HASH_KEYS),
		    "%s: the release flag is not a node state", what);
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
	joiner(c, 0, c->hash_prev, "previous release's node1");
	joiner(c, RECF_HASH_KEYS, c->hash, "this release's node1");
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
