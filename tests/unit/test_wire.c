/*
 * test_wire.c - CPG message encoding and checked decoding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util.h"
#include "wire.h"

static void
write_corpus(const char *name, const struct wbuf *w)
{
	char	 path[256];
	FILE	*f;

	/* Seed the fuzz corpus when asked (make golden-update). */
	if (getenv("PGHA_WRITE_CORPUS") == NULL)
		return;
	snprintf(path, sizeof(path), "tests/fuzz/corpus/wire/%s", name);
	if ((f = fopen(path, "w")) != NULL) {
		fwrite(w->data, 1, w->len, f);
		fclose(f);
	}
}

static void
test_record(void)
{
	struct msg	m, d;
	struct wbuf	w;
	size_t		cut;
	int		bad = 0;

	memset(&m, 0, sizeof(m));
	m.type = MSG_RECORD;
	m.wall = 1795000000123ULL;
	m.u.record.flags = 3;
	m.u.record.nres = 2;
	m.u.record.res = xcalloc(2, sizeof(struct msg_res));
	snprintf(m.u.record.res[0].name, WIRE_NAME_LEN, "db1-disk");
	m.u.record.res[0].state = 2;
	m.u.record.res[1].fail_seq = 7;
	snprintf(m.u.record.res[1].cause, WIRE_CAUSE_LEN, "monitor failed");
	wbuf_init(&w);
	msg_encode(&w, &m);
	write_corpus("record", &w);
	ok(msg_decode(w.data, w.len, &d) == 0, "record decodes");
	is_int(d.type, MSG_RECORD, "type");
	is_int((long long)d.wall, 1795000000123LL, "wall clock");
	is_int(d.u.record.nres, 2, "two resources");
	is_str(d.u.record.res[0].name, "db1-disk", "name");
	is_int(d.u.record.res[1].fail_seq, 7, "fail_seq");
	is_str(d.u.record.res[1].cause, "monitor failed", "cause");
	msg_clear(&d);
	for (cut = 0; cut < w.len; cut++)
		if (msg_decode(w.data, cut, &d) == 0) {
			bad++;
			msg_clear(&d);
		}
	is_int(bad, 0, "every truncation rejected");
	w.data[w.len - 1] ^= 0;
	{
		uint8_t *big = xmalloc(w.len + 1);

		memcpy(big, w.data, w.len);
		big[w.len] = 0;
		ok(msg_decode(big, w.len + 1, &d) < 0,
		    "trailing byte rejected");
		free(big);
	}
	w.data[0] ^= 0xff;
	ok(msg_decode(w.data, w.len, &d) < 0, "bad magic rejected");
	wbuf_free(&w);
	msg_clear(&m);
}

static void
test_sync_decide(void)
{
	struct msg	m, d;
	struct wbuf	w;

	memset(&m, 0, sizeof(m));
	m.type = MSG_SYNC;
	m.u.sync.synced = 1;
	snprintf(m.u.sync.hash, WIRE_HASH_LEN, "%064d", 0);
	m.u.sync.nmembers = 2;
	m.u.sync.members = xcalloc(2, sizeof(uint64_t));
	m.u.sync.members[0] = (1ULL << 32) | 100;
	m.u.sync.members[1] = (2ULL << 32) | 200;
	m.u.sync.ngroups = 1;
	m.u.sync.groups = xcalloc(1, sizeof(struct msg_group));
	snprintf(m.u.sync.groups[0].name, WIRE_NAME_LEN, "db1");
	m.u.sync.groups[0].target = 2;
	m.u.sync.groups[0].nbans = 1;
	m.u.sync.groups[0].bans = xcalloc(1, sizeof(uint32_t));
	m.u.sync.groups[0].bans[0] = 1;
	m.u.sync.groups[0].nfc = 1;
	m.u.sync.groups[0].fc = xcalloc(1, sizeof(struct msg_fc));
	snprintf(m.u.sync.groups[0].fc[0].res, WIRE_NAME_LEN, "db1-pg");
	m.u.sync.groups[0].fc[0].count = 3;
	wbuf_init(&w);
	msg_encode(&w, &m);
	write_corpus("sync", &w);
	ok(msg_decode(w.data, w.len, &d) == 0, "sync decodes");
	is_int(d.u.sync.nmembers, 2, "members");
	is_int((long long)d.u.sync.members[1], (long long)((2ULL << 32) | 200),
	    "member value");
	is_int(d.u.sync.groups[0].target, 2, "group target");
	is_int(d.u.sync.groups[0].bans[0], 1, "ban");
	is_int(d.u.sync.groups[0].fc[0].count, 3, "failcount");
	msg_clear(&d);
	msg_clear(&m);

	/* A count claiming more items than bytes left is refused. */
	memset(&m, 0, sizeof(m));
	m.type = MSG_DECIDE;
	snprintf(m.u.decide.name, WIRE_NAME_LEN, "db1");
	msg_encode(&w, &m);
	write_corpus("decide", &w);
	ok(msg_decode(w.data, w.len, &d) == 0, "decide decodes");
	msg_clear(&d);
	/* nfo: after name(4+3), gen(4), target(4), intent(1), placed(1),
	 * want(8), unmanaged(1), held(1), may_failback(1) */
	w.data[16 + 8 + 7 + 21] = 0xff;
	ok(msg_decode(w.data, w.len, &d) < 0, "huge item count rejected");
	wbuf_free(&w);
}

static void
test_request(void)
{
	struct msg	m, d;
	struct wbuf	w;

	memset(&m, 0, sizeof(m));
	m.type = MSG_REQUEST;
	m.u.request.op = REQ_MOVE;
	snprintf(m.u.request.group, WIRE_NAME_LEN, "db1");
	snprintf(m.u.request.to, WIRE_NAME_LEN, "node2");
	wbuf_init(&w);
	msg_encode(&w, &m);
	write_corpus("request", &w);
	ok(msg_decode(w.data, w.len, &d) == 0, "request decodes");
	is_str(d.u.request.to, "node2", "to");
	msg_clear(&d);
	w.data[16 + 8] = REQ__MAX;
	ok(msg_decode(w.data, w.len, &d) < 0, "unknown request op rejected");
	w.data[16 + 8] = REQ_MOVE;
	/* A NUL inside a string is refused. */
	w.data[16 + 8 + 1 + 4 + 1] = 0;
	ok(msg_decode(w.data, w.len, &d) < 0, "NUL inside a name rejected");
	wbuf_free(&w);
}

static void
test_fenced(void)
{
	struct msg	m, d;
	struct wbuf	w;

	memset(&m, 0, sizeof(m));
	m.type = MSG_FENCED;
	m.u.fenced.nodeid = 2;
	m.u.fenced.ok = 1;
	snprintf(m.u.fenced.text, WIRE_CAUSE_LEN, "fenced: powered off");
	wbuf_init(&w);
	msg_encode(&w, &m);
	write_corpus("fenced", &w);
	ok(msg_decode(w.data, w.len, &d) == 0, "fenced decodes");
	is_int(d.u.fenced.nodeid, 2, "fenced node");
	is_int(d.u.fenced.ok, 1, "fenced ok");
	is_str(d.u.fenced.text, "fenced: powered off", "fenced text");
	msg_clear(&d);

	memset(&m, 0, sizeof(m));
	m.type = MSG_REQUEST;
	m.u.request.op = REQ_CONFIRM_DOWN;
	snprintf(m.u.request.to, WIRE_NAME_LEN, "node1");
	msg_encode(&w, &m);
	write_corpus("confirm", &w);
	ok(msg_decode(w.data, w.len, &d) == 0, "confirm-down request decodes");
	is_int(d.u.request.op, REQ_CONFIRM_DOWN, "op");
	msg_clear(&d);
	wbuf_free(&w);
}

static void
test_check(void)
{
	struct msg	m, d;
	struct wbuf	w;
	char		*big;

	memset(&m, 0, sizeof(m));
	m.type = MSG_CHECK;
	m.u.check.seq = 7;
	m.u.check.what = CHECK_EVENTS;
	snprintf(m.u.check.group, WIRE_NAME_LEN, "db1");
	snprintf(m.u.check.node, WIRE_NAME_LEN, "node2");
	m.u.check.since = 1795000000000ULL;
	m.u.check.limit = 50;
	m.u.check.paths = xstrdup("log_directory=/var/log/pg");
	wbuf_init(&w);
	msg_encode(&w, &m);
	write_corpus("check", &w);
	ok(msg_decode(w.data, w.len, &d) == 0, "check decodes");
	ok(d.u.check.seq == 7 && d.u.check.what == CHECK_EVENTS &&
	    d.u.check.limit == 50 && d.u.check.since == 1795000000000ULL,
	    "check fields");
	is_str(d.u.check.paths, "log_directory=/var/log/pg", "check paths");
	is_str(d.u.check.node, "node2", "check node");
	msg_clear(&d);
	w.data[16 + 8 + 4] = 9;
	ok(msg_decode(w.data, w.len, &d) < 0, "unknown check kind rejected");
	msg_clear(&m);

	/* pgha keystore copy: the file (hex) and force ride along. */
	memset(&m, 0, sizeof(m));
	m.type = MSG_CHECK;
	m.u.check.seq = 8;
	m.u.check.what = CHECK_KEYSTORE;
	snprintf(m.u.check.node, WIRE_NAME_LEN, "node2");
	m.u.check.paths = xstrdup("/etc/pgha/keystore");
	m.u.check.blob = xstrdup("50474841");
	m.u.check.force = 1;
	msg_encode(&w, &m);
	write_corpus("check-keystore", &w);
	ok(msg_decode(w.data, w.len, &d) == 0, "keystore copy decodes");
	ok(d.u.check.what == CHECK_KEYSTORE && d.u.check.force == 1,
	    "keystore copy fields");
	is_str(d.u.check.blob, "50474841", "keystore copy file");
	is_str(d.u.check.paths, "/etc/pgha/keystore", "keystore copy path");
	msg_clear(&d);
	ok(msg_decode(w.data, w.len - 1, &d) < 0,
	    "keystore copy without its force byte rejected");
	msg_clear(&d);
	msg_clear(&m);

	memset(&m, 0, sizeof(m));
	m.type = MSG_CHECKED;
	m.u.checked.seq = 7;
	m.u.checked.to = 1;
	snprintf(m.u.checked.hash, WIRE_HASH_LEN, "ab12");
	m.u.checked.text = xstrdup("{\"kind\":\"ok\"}\n");
	msg_encode(&w, &m);
	write_corpus("checked", &w);
	ok(msg_decode(w.data, w.len, &d) == 0, "checked decodes");
	is_str(d.u.checked.text, "{\"kind\":\"ok\"}\n", "checked text");
	msg_clear(&d);
	msg_clear(&m);

	memset(&m, 0, sizeof(m));
	m.type = MSG_CONNS;
	snprintf(m.u.conns.res, WIRE_NAME_LEN, "db1-ip");
	m.u.conns.text = xstrdup("198.18.0.2:40000>5432 198.18.0.3:51234>5432");
	msg_encode(&w, &m);
	write_corpus("conns", &w);
	ok(msg_decode(w.data, w.len, &d) == 0, "conns decodes");
	is_str(d.u.conns.res, "db1-ip", "conns resource");
	is_str(d.u.conns.text, "198.18.0.2:40000>5432 198.18.0.3:51234>5432",
	    "conns list");
	msg_clear(&d);
	msg_clear(&m);

	/* Findings over WIRE_MAX_TEXT are cut there by the sender. */
	memset(&m, 0, sizeof(m));
	m.type = MSG_CHECKED;
	big = xmalloc(WIRE_MAX_TEXT + 2);
	memset(big, 'x', WIRE_MAX_TEXT + 1);
	big[WIRE_MAX_TEXT + 1] = '\0';
	m.u.checked.text = big;
	msg_encode(&w, &m);
	ok(msg_decode(w.data, w.len, &d) == 0 &&
	    strlen(d.u.checked.text) == WIRE_MAX_TEXT,
	    "overlong findings cut at WIRE_MAX_TEXT");
	msg_clear(&d);
	/* and a peer's longer text is refused */
	w.data[16 + 8 + 4 + 4 + 4] = 0xff;	/* hash length */
	ok(msg_decode(w.data, w.len, &d) < 0, "bad length rejected");
	msg_clear(&m);
	wbuf_free(&w);
}

/*
 * MSG_CONNS text becomes PGHA_TICKLE= in a root agent's environment: only
 * what a connection list holds may pass, never a newline that would add
 * a variable (LD_PRELOAD) or any other control character.
 */
static void
test_conns_chars(void)
{
	static const char *const bad[] = {
		"198.18.0.2:40000>5432\nLD_PRELOAD=/tmp/x.so",
		"198.18.0.2:40000>5432\tx",
		"198.18.0.2:40000>5432\r",
		"LD_PRELOAD=/tmp/x.so",
		"198.18.0.2:40000>5432;id",
		"198.18.0.2:40000>5432\x7f",
	};
	struct msg	m, d;
	struct wbuf	w;
	size_t		i;

	wbuf_init(&w);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.type = MSG_CONNS;
		snprintf(m.u.conns.res, WIRE_NAME_LEN, "db1-ip");
		m.u.conns.text = xstrdup(bad[i]);
		msg_encode(&w, &m);
		if (i == 0)
			write_corpus("conns-newline", &w);
		ok(msg_decode(w.data, w.len, &d) < 0,
		    "conns with a character no connection list has is "
		    "rejected (case %zu)", i);
		msg_clear(&d);
		msg_clear(&m);
	}
	memset(&m, 0, sizeof(m));
	m.type = MSG_CONNS;
	snprintf(m.u.conns.res, WIRE_NAME_LEN, "db1-ip");
	m.u.conns.text = xstrdup("");
	msg_encode(&w, &m);
	ok(msg_decode(w.data, w.len, &d) == 0, "an empty conns list decodes");
	msg_clear(&d);
	msg_clear(&m);
	wbuf_free(&w);
}

/* Every entry of an agent's environment: NAME=VALUE, nothing else. */
static void
test_env_entry(void)
{
	ok(env_entry_ok("PGHA_TICKLE=198.18.0.2:1>5432", "PGHA_"),
	    "env: a PGHA_ variable passes");
	ok(env_entry_ok("OCF_RESKEY_data=/srv/db1/data", NULL),
	    "env: any name without a prefix asked");
	ok(!env_entry_ok("LD_PRELOAD=/tmp/x.so", "PGHA_"),
	    "env: an extra variable must start with PGHA_");
	ok(!env_entry_ok("PGHA_X=a\tb", "PGHA_"), "env: a tab is refused");
	ok(!env_entry_ok("PGHA_X=a\rb", NULL), "env: a CR is refused");
	ok(!env_entry_ok("PGHA_X=a\nLD_PRELOAD=x", NULL),
	    "env: a newline is refused");
	ok(!env_entry_ok("PGHA_X=a\x7f", NULL), "env: DEL is refused");
	ok(!env_entry_ok("=x", NULL), "env: an empty name is refused");
	ok(!env_entry_ok("PGHA X=x", NULL), "env: a space in the name");
	ok(!env_entry_ok("PGHA_X", NULL), "env: no '='");
	ok(env_entry_ok("PGHA_X=", NULL), "env: an empty value passes");
	ok(env_entry_ok("OCF_RESKEY_options=noatime,nodiratime  x=y", NULL),
	    "env: '=' and blanks in a value pass");
}

/* A header's version word, little-endian at offset 4. */
static void
set_version(struct wbuf *w, uint32_t v)
{
	int	i;

	for (i = 0; i < 4; i++)
		w->data[4 + i] = (uint8_t)(v >> (8 * i));
}

/*
 * The version gate: WIRE_VERSION_MIN..WIRE_VERSION decode; another
 * version is told apart from a malformed message, for pghad to say
 * which release the peer runs.
 */
static void
test_version(void)
{
	struct msg	m, d;
	struct wbuf	w;

	memset(&m, 0, sizeof(m));
	m.type = MSG_NODEDOWN;
	m.u.nodedown.nodeid = 3;
	wbuf_init(&w);
	msg_encode(&w, &m);
	is_int(wire_version(w.data, w.len), WIRE_VERSION,
	    "version: sent as WIRE_VERSION");
	ok(msg_decode(w.data, w.len, &d) == 0, "version: ours decodes");
	msg_clear(&d);
	set_version(&w, WIRE_VERSION_MIN);
	ok(msg_decode(w.data, w.len, &d) == 0, "version: the oldest read "
	    "(%d) decodes", WIRE_VERSION_MIN);
	msg_clear(&d);
	set_version(&w, WIRE_VERSION + 1);
	is_int(msg_decode(w.data, w.len, &d), WIRE_E_VERSION,
	    "version: a newer one is refused as a version");
	is_int(wire_version(w.data, w.len), WIRE_VERSION + 1,
	    "version: and said");
	set_version(&w, WIRE_VERSION_MIN - 1);
	is_int(msg_decode(w.data, w.len, &d), WIRE_E_VERSION,
	    "version: an older one is refused as a version");
	w.data[0] ^= 0xff;
	is_int(msg_decode(w.data, w.len, &d), -1,
	    "version: bad magic is malformed, whatever the version");
	is_int(wire_version(w.data, w.len), 0, "version: none without magic");
	is_int(wire_version(w.data, 3), 0, "version: none in 3 bytes");
	wbuf_free(&w);
}

int
main(void)
{
	test_conns_chars();
	test_env_entry();
	test_check();
	test_fenced();
	test_record();
	test_sync_decide();
	test_request();
	test_version();
	return done_testing();
}
