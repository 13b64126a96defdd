/*
 * cpg_intruder.c - pgha-cpgintruder: a process that is not pghad joins
 * Corosync's process group "pghad" on a lab node, as any root process
 * there could.
 *
 *	pgha-cpgintruder [-o GROUP]
 *
 * It joins, waits until its own join is delivered, then with -o sends a
 * well-formed MSG_REQUEST taking GROUP offline and waits until that
 * message is delivered back (so every member has it in the total order),
 * then leaves the group and waits until its leave is delivered.  It
 * prints "joined nodeid=N pid=P", "sent" and "left" as it goes.
 * Exit 0, or 1 on a corosync error.
 */
#include <err.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corosync/cpg.h>

#include "wire.h"

static uint32_t	my_nodeid, my_pid;
static bool	in_group, got_own;

static void
deliver_cb(cpg_handle_t h, const struct cpg_name *name, uint32_t nodeid,
    uint32_t pid, void *buf, size_t len)
{
	if (nodeid == my_nodeid && pid == my_pid)
		got_own = true;
}

static void
confchg_cb(cpg_handle_t h, const struct cpg_name *name,
    const struct cpg_address *mem, size_t nmem,
    const struct cpg_address *left, size_t nleft,
    const struct cpg_address *join, size_t njoin)
{
	size_t	i;

	in_group = false;
	for (i = 0; i < nmem; i++)
		if (mem[i].nodeid == my_nodeid && mem[i].pid == my_pid)
			in_group = true;
}

static cpg_callbacks_t callbacks = { deliver_cb, confchg_cb };

/* Dispatch until *flag == want; give up after 30 s without progress. */
static void
dispatch_until(cpg_handle_t h, bool *flag, bool want)
{
	struct pollfd	pfd = { .events = POLLIN };

	if (cpg_fd_get(h, &pfd.fd) != CS_OK)
		errx(1, "cpg_fd_get failed");
	while (*flag != want) {
		if (poll(&pfd, 1, 30000) != 1)
			errx(1, "nothing from corosync for 30 s");
		if (cpg_dispatch(h, CS_DISPATCH_ALL) != CS_OK)
			errx(1, "cpg_dispatch failed");
	}
}

int
main(int argc, char **argv)
{
	cpg_handle_t	 h;
	struct cpg_name	 gn;
	struct msg	 m;
	struct wbuf	 w;
	struct iovec	 iov;
	const char	*group = NULL;
	int		 c;

	while ((c = getopt(argc, argv, "o:")) != -1) {
		if (c != 'o') {
			fprintf(stderr, "usage: pgha-cpgintruder [-o GROUP]\n");
			return 2;
		}
		group = optarg;
	}
	if (cpg_initialize(&h, &callbacks) != CS_OK)
		errx(1, "cpg_initialize failed");
	if (cpg_local_get(h, &my_nodeid) != CS_OK)
		errx(1, "cpg_local_get failed");
	my_pid = (uint32_t)getpid();
	snprintf(gn.value, sizeof(gn.value), "pghad");
	gn.length = (uint32_t)strlen(gn.value);
	if (cpg_join(h, &gn) != CS_OK)
		errx(1, "cpg_join failed");
	dispatch_until(h, &in_group, true);
	printf("joined nodeid=%u pid=%u\n", my_nodeid, my_pid);
	fflush(stdout);
	if (group != NULL) {
		memset(&m, 0, sizeof(m));
		m.type = MSG_REQUEST;
		m.u.request.op = REQ_OFFLINE;
		snprintf(m.u.request.group, sizeof(m.u.request.group), "%s",
		    group);
		snprintf(m.u.request.origin, sizeof(m.u.request.origin),
		    "intruder");
		wbuf_init(&w);
		msg_encode(&w, &m);
		iov.iov_base = w.data;
		iov.iov_len = w.len;
		while ((c = cpg_mcast_joined(h, CPG_TYPE_AGREED, &iov, 1)) ==
		    CS_ERR_TRY_AGAIN)
			usleep(10000);
		if (c != CS_OK)
			errx(1, "cpg_mcast_joined: error %d", c);
		wbuf_free(&w);
		dispatch_until(h, &got_own, true);
		printf("sent\n");
		fflush(stdout);
	}
	if (cpg_leave(h, &gn) != CS_OK)
		errx(1, "cpg_leave failed");
	dispatch_until(h, &in_group, false);
	printf("left\n");
	cpg_finalize(h);
	return 0;
}
