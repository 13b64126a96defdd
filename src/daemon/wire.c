/*
 * wire.c - checked encoding and decoding of CPG messages (see wire.h).
 * Integers are little-endian on the wire, whatever the host.
 */
#define PGHA_LOG_TAG	"wire"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "wire.h"

#define HDR_LEN	16

void
wbuf_init(struct wbuf *w)
{
	memset(w, 0, sizeof(*w));
}

void
wbuf_free(struct wbuf *w)
{
	free(w->data);
	memset(w, 0, sizeof(*w));
}

static void
wbuf_put(struct wbuf *w, const void *p, size_t n)
{
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 256;

		while (cap < w->len + n)
			cap *= 2;
		w->data = xreallocarray(w->data, cap, 1);
		w->cap = cap;
	}
	memcpy(w->data + w->len, p, n);
	w->len += n;
}

void
wbuf_u8(struct wbuf *w, uint8_t v)
{
	wbuf_put(w, &v, 1);
}

void
wbuf_u32(struct wbuf *w, uint32_t v)
{
	uint8_t	b[4];
	int	i;

	for (i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	wbuf_put(w, b, 4);
}

void
wbuf_u64(struct wbuf *w, uint64_t v)
{
	wbuf_u32(w, (uint32_t)v);
	wbuf_u32(w, (uint32_t)(v >> 32));
}

void
wbuf_text(struct wbuf *w, const char *s, size_t max)
{
	size_t	n = s ? strlen(s) : 0;

	if (n > max)
		n = max;	/* truncated, never rejected by peers */
	wbuf_u32(w, (uint32_t)n);
	if (n)
		wbuf_put(w, s, n);
}

void
wbuf_str(struct wbuf *w, const char *s)
{
	wbuf_text(w, s, WIRE_MAX_STR);
}

void
wbuf_begin(struct wbuf *w, enum wire_type t)
{
	w->len = 0;
	wbuf_u32(w, WIRE_MAGIC);
	wbuf_u32(w, WIRE_VERSION);
	wbuf_u32(w, (uint32_t)t);
	wbuf_u32(w, 0);
}

void
wbuf_end(struct wbuf *w)
{
	uint32_t	body = (uint32_t)(w->len - HDR_LEN);
	int		i;

	for (i = 0; i < 4; i++)
		w->data[12 + i] = (uint8_t)(body >> (8 * i));
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

int
rbuf_open(struct rbuf *r, const void *msg, size_t len, enum wire_type *t)
{
	const uint8_t	*p = msg;

	memset(r, 0, sizeof(*r));
	if (len < HDR_LEN || len > WIRE_MAX_MSG)
		return -1;
	if (get32(p) != WIRE_MAGIC)
		return -1;
	if (get32(p + 4) < WIRE_VERSION_MIN || get32(p + 4) > WIRE_VERSION)
		return WIRE_E_VERSION;
	if (get32(p + 12) != len - HDR_LEN)
		return -1;
	*t = (enum wire_type)get32(p + 8);
	r->p = p + HDR_LEN;
	r->left = len - HDR_LEN;
	return 0;
}

uint32_t
wire_version(const void *msg, size_t len)
{
	const uint8_t	*p = msg;

	if (len < HDR_LEN || get32(p) != WIRE_MAGIC)
		return 0;
	return get32(p + 4);
}

static const uint8_t *
rbuf_take(struct rbuf *r, size_t n)
{
	const uint8_t	*p;

	if (r->err || r->left < n) {
		r->err = true;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

uint8_t
rbuf_u8(struct rbuf *r)
{
	const uint8_t	*p = rbuf_take(r, 1);

	return p ? p[0] : 0;
}

uint32_t
rbuf_u32(struct rbuf *r)
{
	const uint8_t	*p = rbuf_take(r, 4);

	return p ? get32(p) : 0;
}

uint64_t
rbuf_u64(struct rbuf *r)
{
	uint64_t	lo = rbuf_u32(r);

	return lo | (uint64_t)rbuf_u32(r) << 32;
}

void
rbuf_str(struct rbuf *r, char *dst, size_t dstlen)
{
	uint32_t	 n = rbuf_u32(r);
	const uint8_t	*p;

	dst[0] = '\0';
	if (r->err)
		return;
	if (n >= dstlen || n > WIRE_MAX_STR) {
		r->err = true;
		return;
	}
	if ((p = rbuf_take(r, n)) == NULL)
		return;
	if (memchr(p, '\0', n) != NULL) {
		r->err = true;
		return;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
}

char *
rbuf_strdup(struct rbuf *r, size_t max)
{
	uint32_t	 n = rbuf_u32(r);
	const uint8_t	*p;
	char		*s;

	if (r->err || n > max) {
		r->err = true;
		return xstrdup("");
	}
	if ((p = rbuf_take(r, n)) == NULL)
		return xstrdup("");
	if (memchr(p, '\0', n) != NULL) {
		r->err = true;
		return xstrdup("");
	}
	s = xmalloc(n + 1);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

uint32_t
rbuf_count(struct rbuf *r, size_t min_item)
{
	uint32_t	n = rbuf_u32(r);

	if (r->err)
		return 0;
	if (n > WIRE_MAX_ITEMS || (min_item && n > r->left / min_item)) {
		r->err = true;
		return 0;
	}
	return n;
}

int
rbuf_close(struct rbuf *r)
{
	return (r->err || r->left != 0) ? -1 : 0;
}

static void
enc_group(struct wbuf *w, const struct msg_group *g)
{
	uint32_t	i;

	wbuf_str(w, g->name);
	wbuf_u32(w, g->gen);
	wbuf_u32(w, g->target);
	wbuf_u8(w, g->intent_online);
	wbuf_u8(w, g->placed);
	wbuf_u64(w, g->want);
	wbuf_u8(w, g->unmanaged);
	wbuf_u8(w, g->held);
	wbuf_u8(w, g->may_failback);
	wbuf_u32(w, g->nfo);
	for (i = 0; i < g->nfo && i < WIRE_MAX_FO; i++)
		wbuf_u64(w, g->fo_ms[i]);
	wbuf_u32(w, g->nbans);
	for (i = 0; i < g->nbans; i++) {
		wbuf_u32(w, g->bans[i]);
		wbuf_u64(w, g->ban_ms ? g->ban_ms[i] : 0);
	}
	wbuf_str(w, g->reason);
	wbuf_u32(w, g->nfc);
	for (i = 0; i < g->nfc; i++) {
		wbuf_str(w, g->fc[i].res);
		wbuf_u32(w, g->fc[i].nodeid);
		wbuf_u32(w, g->fc[i].count);
		wbuf_u32(w, g->fc[i].seen);
		wbuf_u64(w, g->fc[i].last_ms);
	}
}

static void
enc_res(struct wbuf *w, uint32_t n, const struct msg_res *res)
{
	uint32_t	i;

	wbuf_u32(w, n);
	for (i = 0; i < n; i++) {
		wbuf_str(w, res[i].name);
		wbuf_u8(w, res[i].state);
		wbuf_u8(w, res[i].flags);
		wbuf_u32(w, res[i].fail_seq);
		wbuf_u64(w, res[i].changed_ms);
		wbuf_str(w, res[i].cause);
		wbuf_str(w, res[i].last_error);
	}
}

void
msg_encode(struct wbuf *w, const struct msg *m)
{
	uint32_t	i;

	wbuf_begin(w, m->type);
	wbuf_u64(w, m->wall);
	switch (m->type) {
	case MSG_RECORD:
		wbuf_u32(w, m->u.record.flags);
		enc_res(w, m->u.record.nres, m->u.record.res);
		break;
	case MSG_SYNC:
		wbuf_u8(w, m->u.sync.synced);
		wbuf_str(w, m->u.sync.hash);
		wbuf_u64(w, m->u.sync.version);
		wbuf_u32(w, m->u.sync.nmembers);
		for (i = 0; i < m->u.sync.nmembers; i++)
			wbuf_u64(w, m->u.sync.members[i]);
		wbuf_u32(w, m->u.sync.ngroups);
		for (i = 0; i < m->u.sync.ngroups; i++)
			enc_group(w, &m->u.sync.groups[i]);
		wbuf_u32(w, m->u.sync.nnodes);
		for (i = 0; i < m->u.sync.nnodes; i++) {
			const struct msg_node *n = &m->u.sync.nodes[i];

			wbuf_u32(w, n->nodeid);
			wbuf_u8(w, n->daemon_down);
			wbuf_u8(w, n->unclean);
			enc_res(w, n->nres, n->res);
		}
		break;
	case MSG_DECIDE:
		enc_group(w, &m->u.decide);
		break;
	case MSG_REQUEST:
		wbuf_u8(w, m->u.request.op);
		wbuf_str(w, m->u.request.group);
		wbuf_str(w, m->u.request.to);
		wbuf_u32(w, m->u.request.uid);
		wbuf_str(w, m->u.request.origin);
		wbuf_u32(w, m->u.request.seq);
		wbuf_u32(w, m->u.request.flags);
		break;
	case MSG_NODEDOWN:
		wbuf_u32(w, m->u.nodedown.nodeid);
		break;
	case MSG_FENCED:
		wbuf_u32(w, m->u.fenced.nodeid);
		wbuf_u8(w, m->u.fenced.ok);
		wbuf_str(w, m->u.fenced.text);
		break;
	case MSG_CHECK:
		wbuf_u32(w, m->u.check.seq);
		wbuf_u8(w, m->u.check.what);
		wbuf_str(w, m->u.check.group);
		wbuf_str(w, m->u.check.paths);
		wbuf_str(w, m->u.check.node);
		wbuf_u64(w, m->u.check.since);
		wbuf_u32(w, m->u.check.limit);
		if (m->u.check.what == CHECK_KEYSTORE) {
			wbuf_str(w, m->u.check.blob);
			wbuf_u8(w, m->u.check.force);
		}
		break;
	case MSG_CONNS:
		wbuf_str(w, m->u.conns.res);
		wbuf_text(w, m->u.conns.text, WIRE_MAX_TEXT);
		break;
	case MSG_CHECKED:
		wbuf_u32(w, m->u.checked.seq);
		wbuf_u32(w, m->u.checked.to);
		wbuf_str(w, m->u.checked.hash);
		wbuf_text(w, m->u.checked.text, WIRE_MAX_TEXT);
		break;
	}
	wbuf_end(w);
}

static void
dec_group(struct rbuf *r, struct msg_group *g)
{
	uint32_t	i;

	rbuf_str(r, g->name, sizeof(g->name));
	g->gen = rbuf_u32(r);
	g->target = rbuf_u32(r);
	g->intent_online = rbuf_u8(r);
	g->placed = rbuf_u8(r);
	g->want = rbuf_u64(r);
	g->unmanaged = rbuf_u8(r);
	g->held = rbuf_u8(r);
	g->may_failback = rbuf_u8(r);
	g->nfo = rbuf_count(r, 8);
	if (g->nfo > WIRE_MAX_FO) {
		r->err = true;
		g->nfo = 0;
	}
	for (i = 0; i < g->nfo; i++)
		g->fo_ms[i] = rbuf_u64(r);
	g->nbans = rbuf_count(r, 12);
	g->bans = xcalloc(g->nbans, sizeof(*g->bans));
	g->ban_ms = xcalloc(g->nbans, sizeof(*g->ban_ms));
	for (i = 0; i < g->nbans; i++) {
		g->bans[i] = rbuf_u32(r);
		g->ban_ms[i] = rbuf_u64(r);
	}
	rbuf_str(r, g->reason, sizeof(g->reason));
	g->nfc = rbuf_count(r, 24);
	g->fc = xcalloc(g->nfc, sizeof(*g->fc));
	for (i = 0; i < g->nfc; i++) {
		rbuf_str(r, g->fc[i].res, sizeof(g->fc[i].res));
		g->fc[i].nodeid = rbuf_u32(r);
		g->fc[i].count = rbuf_u32(r);
		g->fc[i].seen = rbuf_u32(r);
		g->fc[i].last_ms = rbuf_u64(r);
	}
}

static void
free_group(struct msg_group *g)
{
	free(g->bans);
	free(g->ban_ms);
	free(g->fc);
	g->ban_ms = NULL;
	g->bans = NULL;
	g->fc = NULL;
	g->nbans = g->nfc = 0;
}

static struct msg_res *
dec_res(struct rbuf *r, uint32_t *np)
{
	struct msg_res	*res;
	uint32_t	 i, n = rbuf_count(r, 26);

	res = xcalloc(n, sizeof(*res));
	for (i = 0; i < n && !r->err; i++) {
		struct msg_res *x = &res[i];

		rbuf_str(r, x->name, sizeof(x->name));
		x->state = rbuf_u8(r);
		x->flags = rbuf_u8(r);
		x->fail_seq = rbuf_u32(r);
		x->changed_ms = rbuf_u64(r);
		rbuf_str(r, x->cause, sizeof(x->cause));
		rbuf_str(r, x->last_error, sizeof(x->last_error));
	}
	*np = n;
	return res;
}

static void
dec_record(struct rbuf *r, struct msg *m)
{
	m->u.record.flags = rbuf_u32(r);
	m->u.record.res = dec_res(r, &m->u.record.nres);
}

static void
dec_sync(struct rbuf *r, struct msg *m)
{
	uint32_t	i;

	m->u.sync.synced = rbuf_u8(r);
	rbuf_str(r, m->u.sync.hash, sizeof(m->u.sync.hash));
	m->u.sync.version = rbuf_u64(r);
	m->u.sync.nmembers = rbuf_count(r, 8);
	m->u.sync.members = xcalloc(m->u.sync.nmembers, sizeof(uint64_t));
	for (i = 0; i < m->u.sync.nmembers; i++)
		m->u.sync.members[i] = rbuf_u64(r);
	m->u.sync.ngroups = rbuf_count(r, 36);
	m->u.sync.groups = xcalloc(m->u.sync.ngroups,
	    sizeof(struct msg_group));
	for (i = 0; i < m->u.sync.ngroups && !r->err; i++)
		dec_group(r, &m->u.sync.groups[i]);
	m->u.sync.nnodes = rbuf_count(r, 10);
	m->u.sync.nodes = xcalloc(m->u.sync.nnodes, sizeof(struct msg_node));
	for (i = 0; i < m->u.sync.nnodes && !r->err; i++) {
		struct msg_node *n = &m->u.sync.nodes[i];

		n->nodeid = rbuf_u32(r);
		n->daemon_down = rbuf_u8(r);
		n->unclean = rbuf_u8(r);
		n->res = dec_res(r, &n->nres);
	}
}

int
msg_decode(const void *buf, size_t len, struct msg *m)
{
	struct rbuf	r;
	enum wire_type	t;
	int		rc;

	memset(m, 0, sizeof(*m));
	if ((rc = rbuf_open(&r, buf, len, &t)) < 0)
		return rc;
	m->type = t;
	m->wall = rbuf_u64(&r);
	switch (t) {
	case MSG_RECORD:
		dec_record(&r, m);
		break;
	case MSG_SYNC:
		dec_sync(&r, m);
		break;
	case MSG_DECIDE:
		dec_group(&r, &m->u.decide);
		break;
	case MSG_REQUEST:
		m->u.request.op = rbuf_u8(&r);
		rbuf_str(&r, m->u.request.group, sizeof(m->u.request.group));
		rbuf_str(&r, m->u.request.to, sizeof(m->u.request.to));
		m->u.request.uid = rbuf_u32(&r);
		rbuf_str(&r, m->u.request.origin,
		    sizeof(m->u.request.origin));
		m->u.request.seq = rbuf_u32(&r);
		m->u.request.flags = rbuf_u32(&r);
		if (m->u.request.op < REQ_ONLINE ||
		    m->u.request.op >= REQ__MAX)
			r.err = true;
		break;
	case MSG_NODEDOWN:
		m->u.nodedown.nodeid = rbuf_u32(&r);
		break;
	case MSG_FENCED:
		m->u.fenced.nodeid = rbuf_u32(&r);
		m->u.fenced.ok = rbuf_u8(&r);
		rbuf_str(&r, m->u.fenced.text, sizeof(m->u.fenced.text));
		break;
	case MSG_CHECK:
		m->u.check.seq = rbuf_u32(&r);
		m->u.check.what = rbuf_u8(&r);
		rbuf_str(&r, m->u.check.group, sizeof(m->u.check.group));
		m->u.check.paths = rbuf_strdup(&r, WIRE_MAX_STR);
		rbuf_str(&r, m->u.check.node, sizeof(m->u.check.node));
		m->u.check.since = rbuf_u64(&r);
		m->u.check.limit = rbuf_u32(&r);
		if (m->u.check.what == CHECK_KEYSTORE) {
			m->u.check.blob = rbuf_strdup(&r, WIRE_MAX_STR);
			m->u.check.force = rbuf_u8(&r);
		}
		if (m->u.check.what > CHECK_KEYSTORE)
			r.err = true;
		break;
	case MSG_CONNS:
		rbuf_str(&r, m->u.conns.res, sizeof(m->u.conns.res));
		m->u.conns.text = rbuf_strdup(&r, WIRE_MAX_TEXT);
		/*
		 * "ip:port>port ..." goes into a root agent's environment:
		 * nothing else may pass, above all no newline.
		 */
		if (m->u.conns.text[strspn(m->u.conns.text,
		    "0123456789.:> ")] != '\0')
			r.err = true;
		break;
	case MSG_CHECKED:
		m->u.checked.seq = rbuf_u32(&r);
		m->u.checked.to = rbuf_u32(&r);
		rbuf_str(&r, m->u.checked.hash, sizeof(m->u.checked.hash));
		m->u.checked.text = rbuf_strdup(&r, WIRE_MAX_TEXT);
		break;
	default:
		return -1;
	}
	if (rbuf_close(&r) < 0) {
		msg_clear(m);
		return -1;
	}
	return 0;
}

void
msg_clear(struct msg *m)
{
	uint32_t	i;

	switch (m->type) {
	case MSG_RECORD:
		free(m->u.record.res);
		break;
	case MSG_SYNC:
		free(m->u.sync.members);
		for (i = 0; i < m->u.sync.ngroups; i++)
			free_group(&m->u.sync.groups[i]);
		free(m->u.sync.groups);
		for (i = 0; i < m->u.sync.nnodes; i++)
			free(m->u.sync.nodes[i].res);
		free(m->u.sync.nodes);
		break;
	case MSG_DECIDE:
		free_group(&m->u.decide);
		break;
	case MSG_CHECK:
		free(m->u.check.paths);
		free(m->u.check.blob);
		break;
	case MSG_CHECKED:
		free(m->u.checked.text);
		break;
	case MSG_CONNS:
		free(m->u.conns.text);
		break;
	default:
		break;
	}
	memset(m, 0, sizeof(*m));
}
