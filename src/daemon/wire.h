/*
 * wire.h - the messages pghad nodes exchange through Corosync CPG.
 *
 * Every message starts with a fixed header (magic, version, type, body
 * length).  Bodies are sequences of length-checked fields written with
 * wbuf_* and read with rbuf_*; a reader never trusts a size from the
 * wire: every read is checked against what is left, and a message that
 * does not decode exactly is rejected whole (counted, logged, ignored).
 * Objects are named (group and resource names), never indexed, so a
 * message stays meaningful to a node whose cluster file differs.
 */
#ifndef PGHA_WIRE_H
#define PGHA_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_MAGIC	0x50474841u	/* "PGHA" */
/*
 * The version this pghad sends, and the oldest it reads.  A rolling
 * upgrade runs two releases side by side: a change of format bumps
 * WIRE_VERSION, and this release must still read (and, with members of
 * the previous release, send) the format of WIRE_VERSION_MIN.  Version 2
 * is the format of every release since 7ef9114.
 */
#define WIRE_VERSION	2
#define WIRE_VERSION_MIN 2
#define WIRE_MAX_MSG	(256 * 1024)
#define WIRE_MAX_STR	4096
#define WIRE_MAX_ITEMS	4096

enum wire_type {
	MSG_SYNC = 1,	/* after a membership change: hash + cluster state */
	MSG_RECORD = 2,	/* a node's own facts: its resources' states */
	MSG_DECIDE = 3,	/* the decider's placement of one group */
	MSG_REQUEST = 4,	/* an operator's request, applied by all */
	MSG_NODEDOWN = 5,	/* decider: a daemon-down node left corosync */
	MSG_FENCED = 6,		/* decider: outcome of fencing a node */
	MSG_CHECK = 7,		/* pgha validate: every node, check yourself */
	MSG_CHECKED = 8,	/* a node's findings, for the asking node */
	MSG_CONNS = 9,		/* clients connected to an access point */
};

struct wbuf {
	uint8_t	*data;
	size_t	 len;
	size_t	 cap;
};

struct rbuf {
	const uint8_t	*p;
	size_t		 left;
	bool		 err;	/* sticky: any failed read sets it */
};

void	wbuf_init(struct wbuf *);
void	wbuf_free(struct wbuf *);
void	wbuf_u8(struct wbuf *, uint8_t);
void	wbuf_u32(struct wbuf *, uint32_t);
void	wbuf_u64(struct wbuf *, uint64_t);
void	wbuf_str(struct wbuf *, const char *);	/* NULL written as "" */
/* The same, up to max bytes (wbuf_str: WIRE_MAX_STR). */
void	wbuf_text(struct wbuf *, const char *, size_t max);
/* Start a message: header with a length patched by wbuf_end(). */
void	wbuf_begin(struct wbuf *, enum wire_type);
void	wbuf_end(struct wbuf *);

/* Check the header of a whole message; on success rb covers the body.
 * -1 if malformed, WIRE_E_VERSION if of a version this pghad cannot read. */
#define WIRE_E_VERSION	(-2)
int	rbuf_open(struct rbuf *, const void *, size_t, enum wire_type *);
/* The version a message's header says, 0 if it has no header. */
uint32_t wire_version(const void *, size_t);
uint8_t	rbuf_u8(struct rbuf *);
uint32_t rbuf_u32(struct rbuf *);
uint64_t rbuf_u64(struct rbuf *);
/* Copy a string into dst (size dstlen); rejects NULs and overlong. */
void	rbuf_str(struct rbuf *, char *dst, size_t dstlen);
/* A string of at most max bytes, allocated (never NULL). */
char	*rbuf_strdup(struct rbuf *, size_t max);
/* A count of items that follow, each at least min_item bytes. */
uint32_t rbuf_count(struct rbuf *, size_t min_item);
/* 0 if everything read cleanly and nothing is left over. */
int	rbuf_close(struct rbuf *);

/* Decoded messages: values, never pointers into the wire buffer. */
#define WIRE_NAME_LEN	64
#define WIRE_CAUSE_LEN	512
#define WIRE_HASH_LEN	65
#define WIRE_MAX_FO	64	/* failover times kept per group */
#define WIRE_MAX_TEXT	(128 * 1024)	/* MSG_CHECKED findings */

/*
 * MSG_RECORD flags: the node's (NF_*, state.h), and this one of the
 * wire's: the sender compares the hash of the keys its cluster file
 * gives (conf.c); a record without it is of the release before (7ef9114).
 */
#define RECF_HASH_KEYS	0x80000000u

/* msg_res.flags */
#define RF_BY_HAND	0x01	/* running, but not started by pgha */
#define RF_FOUND	0x02	/* found running when pghad started */
#define RF_NO_RECORD	0x04	/* in a SYNC's view of a node: nothing is
				 * known of what it runs (node_rt.unknown) */

struct msg_res {
	char		name[WIRE_NAME_LEN];
	uint8_t		state;
	uint8_t		flags;		/* RF_* */
	uint32_t	fail_seq;
	uint64_t	changed_ms;
	char		cause[WIRE_CAUSE_LEN];
	char		last_error[WIRE_CAUSE_LEN];
};

struct msg_fc {
	char		res[WIRE_NAME_LEN];
	uint32_t	nodeid;
	uint32_t	count;
	uint32_t	seen;
	uint64_t	last_ms;	/* wall clock of the last failure */
};

struct msg_group {
	char		 name[WIRE_NAME_LEN];
	uint32_t	 gen;		/* DECIDE: the generation it is based on */
	uint32_t	 target;
	uint8_t		 intent_online;
	uint8_t		 placed;
	uint64_t	 want;		/* bit per resource of the group */
	uint8_t		 unmanaged;
	uint8_t		 held;
	uint8_t		 may_failback;
	uint32_t	 nfo;
	uint64_t	 fo_ms[WIRE_MAX_FO];	/* recent failovers */
	uint32_t	 nbans;
	uint32_t	*bans;		/* nodeids */
	uint64_t	*ban_ms;	/* when each was banned */
	char		 reason[WIRE_CAUSE_LEN];
	uint32_t	 nfc;
	struct msg_fc	*fc;
};

/* A node's facts as the SYNC sender knows them (non-members only). */
struct msg_node {
	uint32_t	 nodeid;
	uint8_t		 daemon_down;
	uint8_t		 unclean;
	uint32_t	 nres;
	struct msg_res	*res;
};

enum req_op {
	REQ_ONLINE = 1,
	REQ_OFFLINE = 2,
	REQ_MOVE = 3,
	REQ_CONFIRM_DOWN = 4,	/* `to` names a node an operator vouches for */
	REQ_NODE_STOP = 5,	/* `to`: the node; flags: REQF_FORCE */
	REQ_NODE_START = 6,
	REQ_NODE_PAUSE = 7,	/* flags: REQF_DRAIN */
	REQ_NODE_RESUME = 8,
	REQ_RES_ONLINE = 9,	/* `to`: the resource (and what it requires) */
	REQ_RES_OFFLINE = 10,	/* `to`: the resource (and what requires it) */
	REQ_UNMANAGE = 11,
	REQ_MANAGE = 12,
	REQ__MAX
};

/* What MSG_CHECK asks of every member. */
enum check_what {
	CHECK_VALIDATE = 0,	/* pgha-agent postgresql validate */
	CHECK_EVENTS = 1,	/* its event log, filtered */
	CHECK_KEYSTORE = 2,	/* pgha keystore copy: write this keystore */
};

#define REQF_FORCE	0x01
#define REQF_DRAIN	0x02

struct msg {
	enum wire_type	 type;
	uint64_t	 wall;		/* sender's clock, for the event log */
	union {
		struct {
			uint32_t	 flags;
			uint32_t	 nres;
			struct msg_res	*res;
		} record;
		struct {
			uint8_t		 synced;
			char		 hash[WIRE_HASH_LEN];
			uint64_t	 version;	/* of the cluster facts */
			uint32_t	 nmembers;
			uint64_t	*members;	/* nodeid << 32 | pid */
			uint32_t	 ngroups;
			struct msg_group *groups;
			uint32_t	 nnodes;
			struct msg_node	*nodes;
		} sync;
		struct msg_group decide;
		struct {
			uint8_t		op;		/* enum req_op */
			char		group[WIRE_NAME_LEN];
			char		to[WIRE_NAME_LEN];	/* "" = best */
			uint32_t	uid;
			char		origin[WIRE_NAME_LEN];
			uint32_t	seq;	/* the sender's, for its reply */
			uint32_t	flags;	/* REQF_* */
		} request;
		struct {
			uint32_t	nodeid;
		} nodedown;
		struct {
			uint32_t	nodeid;
			uint8_t		ok;
			char		text[WIRE_CAUSE_LEN];
		} fenced;
		struct {
			uint32_t	seq;	/* the asker's */
			uint8_t		what;	/* enum check_what */
			char		group[WIRE_NAME_LEN];	/* "" = all */
			char		*paths;	/* "setting=path ...";
						   keystore: its path */
			char		node[WIRE_NAME_LEN];	/* events;
						   keystore: "" = all */
			uint64_t	since;	/* events */
			uint32_t	limit;	/* events */
			char		*blob;	/* keystore: file, in hex */
			uint8_t		force;	/* keystore: replace another */
		} check;
		struct {
			char		res[WIRE_NAME_LEN];	/* address */
			char		*text;	/* "ip:port>port ..." */
		} conns;
		struct {
			uint32_t	seq;
			uint32_t	to;	/* the asker's nodeid */
			char		hash[WIRE_HASH_LEN];
			char		*text;	/* JSON lines */
		} checked;
	} u;
};

/* Whole message to bytes; w is reset first. */
void	msg_encode(struct wbuf *w, const struct msg *m);
/* Bytes to a message: 0, or -1 if malformed, or WIRE_E_VERSION if of
 * another version (m is then left empty). */
int	msg_decode(const void *buf, size_t len, struct msg *m);
/* Free what msg_decode allocated (NULL-safe, idempotent). */
void	msg_clear(struct msg *m);

#endif
