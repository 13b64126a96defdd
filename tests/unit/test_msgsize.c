/*
 * test_msgsize.c - a cluster file that pghad -n accepts never makes a CPG
 * message that receivers reject.
 *
 * For cluster files of growing size (nodes x resources), every file the
 * parser accepts has its worst-case state encoded: a MSG_SYNC naming every
 * other node as a non-member with every resource at its longest cause and
 * last error, every group with every failure count, ban and failover
 * time; a MSG_RECORD and a MSG_DECIDE likewise.  Each must decode.  The
 * first file past the limit must be rejected with a message that says
 * what to change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "tap.h"
#include "util.h"
#include "wire.h"

/* Longest names the grammar allows (63 bytes). */
static void
longname(char *buf, size_t len, const char *kind, int i)
{
	snprintf(buf, len, "%s%d-%s", kind, i,
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	buf[63] = '\0';
}

/* nnodes nodes, nres address resources spread over groups of 64. */
static char *
make_conf(int nnodes, int nres)
{
	char	*buf = NULL, name[80], gname[80];
	size_t	 len = 0;
	FILE	*f = open_memstream(&buf, &len);
	int	 i;

	for (i = 0; i < nnodes; i++) {
		longname(name, sizeof(name), "n", i);
		fprintf(f, "[node %s]\nnodeid = %d\n"
		    "fence_agent = /usr/sbin/fence_ipmilan\n", name, i + 1);
	}
	for (i = 0; i < (nres + CONF_MAX_GROUP_RES - 1) / CONF_MAX_GROUP_RES;
	    i++) {
		longname(gname, sizeof(gname), "g", i);
		fprintf(f, "[group %s]\n", gname);
	}
	for (i = 0; i < nres; i++) {
		longname(name, sizeof(name), "r", i);
		longname(gname, sizeof(gname), "g", i / CONF_MAX_GROUP_RES);
		fprintf(f, "[resource %s]\ngroup = %s\ntype = address\n"
		    "address = 198.18.%d.%d/32\ninterface = eth0\n", name,
		    gname, 1 + i / 250, 1 + i % 250);
	}
	fclose(f);
	return buf;
}

static void
fill(char *dst, size_t len)
{
	memset(dst, 'e', len - 1);
	dst[len - 1] = '\0';
}

static void
worst_res(const struct conf *c, struct msg_res *res)
{
	int	r;

	for (r = 0; r < c->nresources; r++) {
		snprintf(res[r].name, sizeof(res[r].name), "%s",
		    c->resources[r].name);
		res[r].state = 1;
		res[r].flags = 0xff;
		res[r].fail_seq = ~0u;
		res[r].changed_ms = ~0ull;
		fill(res[r].cause, sizeof(res[r].cause));
		fill(res[r].last_error, sizeof(res[r].last_error));
	}
}

static void
worst_group(const struct conf *c, const struct conf_group *g,
    struct msg_group *x)
{
	int	i, n;

	snprintf(x->name, sizeof(x->name), "%s", g->name);
	x->nfo = WIRE_MAX_FO;
	x->nbans = (uint32_t)c->nnodes;
	x->bans = xcalloc((size_t)c->nnodes, sizeof(*x->bans));
	x->ban_ms = xcalloc((size_t)c->nnodes, sizeof(*x->ban_ms));
	fill(x->reason, sizeof(x->reason));
	x->fc = xcalloc((size_t)(g->nres * c->nnodes), sizeof(*x->fc));
	for (i = 0; i < g->nres; i++)
		for (n = 0; n < c->nnodes; n++, x->nfc++)
			snprintf(x->fc[x->nfc].res, sizeof(x->fc[0].res), "%s",
			    g->res[i]->name);
}

/* Encode m, decode it again; the encoded length or 0 if rejected. */
static size_t
roundtrip(const struct msg *m)
{
	struct wbuf	w;
	struct msg	d;
	size_t		len;

	wbuf_init(&w);
	msg_encode(&w, m);
	len = w.len;
	if (msg_decode(w.data, w.len, &d) < 0)
		len = 0;
	else
		msg_clear(&d);
	wbuf_free(&w);
	return len;
}

/* 1 if every worst-case message of c decodes. */
static int
check_conf(const struct conf *c, size_t *biggest)
{
	struct msg	m;
	size_t		len;
	int		i, good = 1;

	*biggest = 0;
	memset(&m, 0, sizeof(m));
	m.type = MSG_SYNC;
	m.u.sync.synced = 1;
	fill(m.u.sync.hash, sizeof(m.u.sync.hash));
	m.u.sync.nmembers = CONF_MAX_NODES;
	m.u.sync.members = xcalloc(CONF_MAX_NODES, sizeof(uint64_t));
	m.u.sync.ngroups = (uint32_t)c->ngroups;
	m.u.sync.groups = xcalloc((size_t)c->ngroups, sizeof(struct msg_group));
	for (i = 0; i < c->ngroups; i++)
		worst_group(c, &c->groups[i], &m.u.sync.groups[i]);
	/* The sender is a member; every other node is not. */
	m.u.sync.nnodes = (uint32_t)c->nnodes - 1;
	m.u.sync.nodes = xcalloc((size_t)c->nnodes, sizeof(struct msg_node));
	for (i = 0; i < c->nnodes - 1; i++) {
		m.u.sync.nodes[i].nodeid = c->nodes[i + 1].nodeid;
		m.u.sync.nodes[i].nres = (uint32_t)c->nresources;
		m.u.sync.nodes[i].res = xcalloc((size_t)c->nresources + 1,
		    sizeof(struct msg_res));
		worst_res(c, m.u.sync.nodes[i].res);
	}
	if ((len = roundtrip(&m)) == 0)
		good = 0;
	*biggest = len;
	/* A decide of the biggest group. */
	for (i = 0; i < c->ngroups; i++) {
		struct msg	d;

		memset(&d, 0, sizeof(d));
		d.type = MSG_DECIDE;
		d.u.decide = m.u.sync.groups[i];
		if (roundtrip(&d) == 0)
			good = 0;
	}
	msg_clear(&m);
	memset(&m, 0, sizeof(m));
	m.type = MSG_RECORD;
	m.u.record.nres = (uint32_t)c->nresources;
	m.u.record.res = xcalloc((size_t)c->nresources + 1,
	    sizeof(struct msg_res));
	worst_res(c, m.u.record.res);
	if ((len = roundtrip(&m)) == 0)
		good = 0;
	if (len > *biggest)
		*biggest = len;
	msg_clear(&m);
	return good;
}

/*
 * For nnodes nodes, add resources one at a time until the parser
 * refuses; every accepted file must have decodable worst cases, and the
 * refusal must name the limit.
 */
static void
test_nodes(int nnodes, int maxres)
{
	char		*text, *err = NULL;
	size_t		 errlen = 0, biggest = 0, last = 0;
	struct conf	*c;
	FILE		*ef;
	int		 nres, bad = 0, accepted = 0;

	for (nres = 1; nres <= maxres; nres++) {
		text = make_conf(nnodes, nres);
		free(err);
		err = NULL;
		ef = open_memstream(&err, &errlen);
		c = conf_load_buf("big.conf", text, strlen(text), ef);
		fclose(ef);
		free(text);
		if (c == NULL)
			break;
		accepted = nres;
		if (!check_conf(c, &biggest)) {
			if (bad++ == 0)
				diag("%d nodes, %d resources: accepted, but "
				    "a worst-case message of it is rejected",
				    nnodes, nres);
		}
		last = biggest;
		conf_free(c);
	}
	ok(bad == 0, "%d nodes: every accepted file (up to %d resources) "
	    "has worst-case messages that decode", nnodes, accepted);
	ok(nres <= maxres, "%d nodes: %d resources are refused", nnodes,
	    nres);
	ok(err != NULL && strstr(err, "big.conf:") != NULL &&
	    strstr(err, "bytes") != NULL &&
	    strstr(err, "fewer") != NULL,
	    "%d nodes: the refusal names the file, the size and the fix",
	    nnodes);
	if (err != NULL && *err)
		diag("%.*s", (int)strcspn(err, "\n"), err);
	/* The limit is not needlessly low: the last accepted is close. */
	ok(last > (size_t)(WIRE_MAX_MSG - nnodes * 1300), "%d nodes: the largest accepted file's state takes "
	    "%zu of %d bytes", nnodes, last, WIRE_MAX_MSG);
	free(err);
}

int
main(void)
{
	test_nodes(2, 400);
	test_nodes(3, 400);
	test_nodes(CONF_MAX_NODES, 100);
	return done_testing();
}
