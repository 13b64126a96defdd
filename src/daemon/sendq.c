/*
 * sendq.c - the multicast queues (see sendq.h): state ahead of replies
 * to queries, queries bounded.  No Corosync here: the caller's send
 * function hands a message over.
 */
#define PGHA_LOG_TAG	"cpg"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "sendq.h"
#include "util.h"

#define RETRY_MS	10

struct pending {
	struct wbuf	 w;
	enum wire_type	 type;
	uint32_t	 seq;		/* of a request */
	struct pending	*next;
};

struct queue {
	struct pending	*head, **tail;
	size_t		 bytes;
};

static struct queue		 stateq = { NULL, &stateq.head, 0 };
static struct queue		 queryq = { NULL, &queryq.head, 0 };
static size_t			 inflight, queued_max;
static uint64_t			 dropped;
static struct loop_timer	*retry_timer;
static sendq_send_fn		 send_fn;
static sendq_lost_fn		 lost_fn;

static bool
is_query(enum wire_type t)
{
	return t == MSG_CHECK || t == MSG_CHECKED;
}

void
sendq_init(sendq_send_fn s, sendq_lost_fn l)
{
	send_fn = s;
	lost_fn = l;
}

static struct pending *
q_pop(struct queue *q)
{
	struct pending	*p = q->head;

	if ((q->head = p->next) == NULL)
		q->tail = &q->head;
	q->bytes -= p->w.len;
	return p;
}

static void
q_free(struct pending *p)
{
	wbuf_free(&p->w);
	free(p);
}

static void
retry_cb(void *arg)
{
	retry_timer = NULL;
	sendq_flush();
}

/* 0 sent or lost (p is done with), 1 to try again later. */
static int
send_one(struct pending *p)
{
	int	rc = send_fn(p->w.data, p->w.len);

	if (rc == 1)
		return 1;
	if (rc < 0)
		lost_fn(p->type, p->seq);
	else if (is_query(p->type))
		inflight += p->w.len;
	return 0;
}

void
sendq_flush(void)
{
	struct queue	*q;

	if (retry_timer != NULL)
		return;
	for (;;) {
		if (stateq.head != NULL)
			q = &stateq;
		else if (queryq.head != NULL &&
		    inflight + queryq.head->w.len <= SENDQ_QUERY_INFLIGHT)
			q = &queryq;
		else
			return;	/* queries resume as ours come back */
		if (send_one(q->head) == 1) {
			retry_timer = loop_timer_add(RETRY_MS, retry_cb, NULL);
			return;
		}
		q_free(q_pop(q));
	}
}

bool
sendq_query_admit(size_t len)
{
	if (queryq.bytes + len <= SENDQ_QUERY_QUEUED)
		return true;
	if (dropped++ % 100 == 0)
		log_warnx("reply to a query not sent: %zu bytes of replies "
		    "already wait for corosync (%llu dropped so far)",
		    queryq.bytes, (unsigned long long)dropped);
	return false;
}

void
sendq_push(struct wbuf *w, enum wire_type t, uint32_t seq)
{
	struct queue	*q = is_query(t) ? &queryq : &stateq;
	struct pending	*p;

	if (w->len > WIRE_MAX_MSG) {
		/* Receivers would drop it as malformed: say so here. */
		log_warnx("message of type %d is %zu bytes, more than the %d "
		    "a node accepts: not sent", t, w->len, WIRE_MAX_MSG);
		wbuf_free(w);
		lost_fn(t, seq);
		return;
	}
	if (q == &queryq && !sendq_query_admit(w->len)) {
		wbuf_free(w);
		lost_fn(t, seq);
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->w = *w;
	memset(w, 0, sizeof(*w));
	p->type = t;
	p->seq = seq;
	*q->tail = p;
	q->tail = &p->next;
	q->bytes += p->w.len;
	if (queryq.bytes > queued_max)
		queued_max = queryq.bytes;
	sendq_flush();
}

void
sendq_delivered(enum wire_type t, size_t len)
{
	if (!is_query(t))
		return;
	inflight = inflight > len ? inflight - len : 0;
	sendq_flush();
}

static void
q_drop(struct queue *q)
{
	while (q->head != NULL)
		q_free(q_pop(q));
}

void
sendq_drop(void)
{
	q_drop(&stateq);
	q_drop(&queryq);
	inflight = 0;
	loop_timer_cancel(retry_timer);
	retry_timer = NULL;
}

void
sendq_stats(struct sendq_stats *s)
{
	s->state_queued = stateq.bytes;
	s->query_queued = queryq.bytes;
	s->query_inflight = inflight;
	s->query_dropped = dropped;
	s->query_queued_max = queued_max;
}
