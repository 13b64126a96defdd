/*
 * test_sendq.c - the multicast queues: state messages go ahead of replies
 * to queries, replies are bounded while they wait and while in Corosync,
 * and a message receivers would reject is never sent.
 */
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "sendq.h"
#include "tap.h"
#include "util.h"

/* Stubs: a timer that the test fires by hand. */
static loop_timer_cb	 timer_cb;
static int		 timer_armed;

struct loop_timer *
loop_timer_add(uint64_t ms, loop_timer_cb cb, void *arg)
{
	timer_cb = cb;
	timer_armed = 1;
	return (struct loop_timer *)&timer_armed;
}

void
loop_timer_cancel(struct loop_timer *t)
{
	if (t != NULL)
		timer_armed = 0;
}

/* What corosync took, in order; the type is in the header. */
static int	sent_types[4096], nsent, busy;
static int	lost_types[4096], nlost;

static int
fake_send(const void *buf, size_t len)
{
	const uint8_t	*p = buf;

	if (busy)
		return 1;
	sent_types[nsent++] = p[8];
	return 0;
}

static void
fake_lost(enum wire_type t, uint32_t seq)
{
	lost_types[nlost++] = (int)t;
}

static void
push(enum wire_type t, size_t body)
{
	struct wbuf	w;
	size_t		i;

	wbuf_init(&w);
	wbuf_begin(&w, t);
	for (i = 0; i < body; i++)
		wbuf_u8(&w, 0);
	wbuf_end(&w);
	sendq_push(&w, t, 0);
}

static void
fire_timer(void)
{
	if (timer_armed) {
		timer_armed = 0;
		timer_cb(NULL);
	}
}

int
main(void)
{
	struct sendq_stats	st;
	int			i, n;

	sendq_init(fake_send, fake_lost);

	/* Three big events replies: one goes, the others wait for it. */
	push(MSG_CHECKED, 200 * 1024);
	push(MSG_CHECKED, 200 * 1024);
	push(MSG_CHECKED, 200 * 1024);
	is_int(nsent, 1, "one reply handed to corosync, two wait");
	push(MSG_RECORD, 100);
	is_int(nsent, 2, "a record is sent at once");
	is_int(sent_types[1], MSG_RECORD, "... ahead of the waiting replies");
	sendq_delivered(MSG_CHECKED, 200 * 1024 + 16);
	is_int(nsent, 3, "our reply delivered back: the next goes");
	is_int(sent_types[2], MSG_CHECKED, "... and it is a reply");

	/* Corosync busy: state queued meanwhile goes first on retry. */
	busy = 1;
	sendq_delivered(MSG_CHECKED, 200 * 1024 + 16);
	ok(timer_armed, "corosync busy: a retry is armed");
	push(MSG_DECIDE, 100);
	push(MSG_SYNC, 100);
	busy = 0;
	fire_timer();
	is_int(sent_types[3], MSG_DECIDE, "retry: the decision first");
	is_int(sent_types[4], MSG_SYNC, "then the sync");
	is_int(sent_types[5], MSG_CHECKED, "then the reply");

	/* A flood of replies: what waits stays bounded, the rest dropped. */
	nlost = 0;
	for (i = 0; i < 200; i++)
		push(MSG_CHECKED, 128 * 1024);
	sendq_stats(&st);
	ok(st.query_queued <= SENDQ_QUERY_QUEUED, "replies waiting: %zu "
	    "bytes, at most %d", st.query_queued, SENDQ_QUERY_QUEUED);
	ok(st.query_inflight <= SENDQ_QUERY_INFLIGHT, "replies in corosync: "
	    "%zu bytes, at most %d", st.query_inflight,
	    SENDQ_QUERY_INFLIGHT);
	ok(nlost > 180 && lost_types[0] == MSG_CHECKED,
	    "the replies beyond are dropped and reported lost (%d)", nlost);
	ok(!sendq_query_admit(WIRE_MAX_TEXT), "a full queue admits no more: "
	    "a reply is not even built");
	ok(sendq_query_admit(0) || st.query_queued == SENDQ_QUERY_QUEUED,
	    "an empty reply still fits");
	n = nsent;
	push(MSG_NODEDOWN, 10);
	is_int(nsent, n + 1, "during the flood a state message goes at once");
	is_int(sent_types[n], MSG_NODEDOWN, "... and is the one sent");
	sendq_stats(&st);
	ok((uint64_t)nlost + 1 == st.query_dropped, "dropped replies counted "
	    "(%d pushed and lost, 1 not built)", nlost);

	/* A message receivers would reject is never sent. */
	n = nsent;
	nlost = 0;
	push(MSG_SYNC, WIRE_MAX_MSG);
	is_int(nsent, n, "an oversized message is not sent");
	is_int(nlost, 1, "... it is reported lost");

	sendq_drop();
	sendq_stats(&st);
	ok(st.query_queued == 0 && st.state_queued == 0 &&
	    st.query_inflight == 0, "dropped: nothing left");
	return done_testing();
}
