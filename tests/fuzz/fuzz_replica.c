/*
 * fuzz_replica.c - random sequences of inputs (pghad starts, kills,
 * crashes, partitions and heals (with the quorum news before or after
 * the process group's), operators' requests, failures, fencing outcomes,
 * time) fed to a simulated cluster running the real replica_step() and
 * decide_plan() on every node (tests/golden/sim.c); after each step the
 * invariants of sim_check() must hold: the plan a function of state and
 * input only, a group planned only on a node that may take it, never two
 * nodes running a group, the members of a partition agreeing.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../golden/sim.h"
#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAX_STEPS	48

static const char *cluster =
    "[node node1]\nnodeid = 1\nfence_agent = /usr/sbin/fence_x\n"
    "[node node2]\nnodeid = 2\nfence_agent = /usr/sbin/fence_x\n"
    "[node node3]\nnodeid = 3\nfence_agent = /usr/sbin/fence_x\n"
    "[group db1]\npreferred_owners = node1 node2\nfailback = immediate\n"
    "[resource db1-disk]\ngroup = db1\ntype = disk\n"
    "device = /dev/loop9\nmountpoint = /srv/db1\nfstype = ext4\n"
    "[resource db1-ip]\ngroup = db1\ntype = address\n"
    "address = 198.18.0.100/24\nrequires = db1-disk\n"
    "[resource db1-pg]\ngroup = db1\ntype = postgresql\n"
    "data = /srv/db1/data\nrequires = db1-disk db1-ip\nrestarts = 1\n"
    "[group g2]\nfailover_threshold = 1\npossible_owners = node2 node3\n"
    "[resource g2-ip]\ngroup = g2\ntype = address\n"
    "address = 198.18.0.101/24\n";

static const char *nodes[] = { "node1", "node2", "node3" };
static const char *groups[] = { "db1", "g2" };
static const char *res[] = { "db1-disk", "db1-ip", "db1-pg", "g2-ip" };
/* An operator's request: its words, then what it names. */
static const struct {
	const char	*words;
	int		 kind;		/* 0: group, 1: node, 2: resource */
} reqs[] = {
	{ "online", 0 }, { "offline", 0 }, { "move", 0 },
	{ "unmanage", 0 }, { "manage", 0 },
	{ "node-stop", 1 }, { "node-start", 1 }, { "node-pause", 1 },
	{ "node-resume", 1 }, { "res-online", 2 }, { "res-offline", 2 },
};
/* What may follow: a move's node, --force, --drain. */
static const char *tails[] = { "", " node1", " node2", " node3", " force",
	" drain" };

static struct conf	*conf;

/* One command from the bytes at *p; "" when they make none. */
static void
command(const uint8_t **p, const uint8_t *end, char *buf, size_t len)
{
	uint8_t	op, a, b;
	int	n, k, i;

	buf[0] = '\0';
	if (end - *p < 3) {
		*p = end;
		return;
	}
	op = (*p)[0] % 12;
	a = (*p)[1];
	b = (*p)[2];
	*p += 3;
	n = a % 3;
	switch (op) {
	case 0:
		if (sim_node_up(n) && !sim_node_daemon(n))
			snprintf(buf, len, "start %s", nodes[n]);
		break;
	case 1:
		if (sim_node_daemon(n))
			snprintf(buf, len, "kill %s", nodes[n]);
		break;
	case 2:
		if (sim_node_up(n))
			snprintf(buf, len, "crash %s", nodes[n]);
		break;
	case 3:
		if (!sim_node_up(n))
			snprintf(buf, len, "boot %s", nodes[n]);
		break;
	case 4:
		/* b's bits: each node's side. */
		snprintf(buf, len, "partition");
		for (k = 0; k < 2; k++) {
			if (k)
				strncat(buf, " /", len - strlen(buf) - 1);
			for (i = 0; i < 3; i++)
				if (((b >> i) & 1) == k) {
					strncat(buf, " ", len - strlen(buf) - 1);
					strncat(buf, nodes[i],
					    len - strlen(buf) - 1);
				}
		}
		/* b's bit 3: the quorum news before the confchg. */
		if (b & 0x08)
			strncat(buf, " quorum-first", len - strlen(buf) - 1);
		break;
	case 5:
		snprintf(buf, len, "heal%s", b & 1 ? " quorum-first" : "");
		break;
	case 6:
	case 7: {
		int		 r = b % (int)(sizeof(reqs) / sizeof(reqs[0]));
		const char	*what = reqs[r].kind == 0 ? groups[(a >> 2) % 2] :
		    reqs[r].kind == 1 ? nodes[(a >> 2) % 3] :
		    res[(a >> 2) % 4];

		if (!sim_node_daemon(n))
			break;
		snprintf(buf, len, "%s %s %s %s%s", op == 6 ? "request" :
		    "request-unchecked", nodes[n], reqs[r].words, what,
		    tails[(b >> 4) % 6]);
		break;
	}
	case 8:
		snprintf(buf, len, "fail %s %s", nodes[n], res[b % 4]);
		break;
	case 9:
		snprintf(buf, len, "%s %s %s", b & 0x80 ? "fixed" : "breaks",
		    nodes[n], res[b % 4]);
		break;
	case 10:
		for (k = 0; k < 3; k++)
			if (sim_fence_asked(k, n))
				break;
		if (k < 3)
			snprintf(buf, len, "fenced %s %s %s", nodes[k],
			    nodes[n], b & 1 ? "ok" : "failed");
		break;
	default:
		snprintf(buf, len, "wait %us", 1u + b * 30u);
		break;
	}
}

/* A command the simulation finds bad (a move's node after --force, say)
 * is skipped. */
static void
run(char *line)
{
	jmp_buf	jb;

	sim_jmp = &jb;
	if (setjmp(jb) == 0)
		sim_command(line);
	sim_jmp = NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const uint8_t	*p = data, *end = data + len;
	char		 line[256], copy[256];
	const char	*bad;
	int		 steps;

	if (conf == NULL) {
		conf = conf_load_buf("fuzz.conf", cluster, strlen(cluster),
		    stdout);
		if (conf == NULL)
			abort();
	}
	/* PGHA_FUZZ_TRACE=1: every command and what it led to, on stdout,
	 * in the golden scenarios' form. */
	sim_out = getenv("PGHA_FUZZ_TRACE") ? stdout : NULL;
	sim_init(conf);
	for (steps = 0; steps < MAX_STEPS && p < end; steps++) {
		command(&p, end, line, sizeof(line));
		if (line[0] == '\0')
			continue;
		snprintf(copy, sizeof(copy), "%s", line);
		if (sim_out != NULL)
			fprintf(sim_out, "> %s\n", line);
		run(copy);
		if ((bad = sim_check()) != NULL) {
			fprintf(stdout, "invariant broken after \"%s\": %s\n",
			    line, bad);
			fflush(stdout);
			abort();
		}
	}
	sim_free();
	return 0;
}
