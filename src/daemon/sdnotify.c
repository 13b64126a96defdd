/*
 * sdnotify.c - pghad under systemd (see sdnotify.h).
 *
 * Readiness: systemd starts what depends on pghad, and `systemctl start`
 * returns, once READY=1 arrives.  It is sent when this node has joined
 * the cluster as `pgha status` shows it ("online": in the process group,
 * synced, its record delivered) - and the record is sent only after the
 * probe, so a node that is READY has told the cluster what runs on it.
 * Quorum is not waited for: the first node of a cluster would otherwise
 * time out its start while it waits for the others; STATUS says it.
 *
 * The watchdog keep-alive is a timer of the event loop itself, so a loop
 * stuck in a callback stops the pings and systemd restarts pghad (which
 * adopts what runs).  systemd arms the watchdog only after READY=1, so the
 * blocking wait for corosync at start-up does not need pings.
 *
 * The journal: sd_journal_send() rather than "<N>" prefixes on stderr,
 * because a prefix carries the priority only, while the subsystem wants
 * to be a field (journalctl PGHA_SUBSYSTEM=cpg); a line the journal does
 * not take falls back to stderr with the prefix (log.c).
 */
#define PGHA_LOG_TAG	"systemd"
#define SD_JOURNAL_SUPPRESS_LOCATION	/* every CODE_LINE would be ours */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "loop.h"
#include "sdnotify.h"
#include "util.h"

#define STATUS_LEN	256

static enum sdn_phase		 phase = SDN_COROSYNC;
static const struct cstate	*cs;
static bool			 ready_sent;
static bool			 send_failed;
static char			 last_status[STATUS_LEN];
static uint64_t			 watchdog_ms;
static const char		*journal_ident = "pghad";

/* --- the STATUS text (pure) ------------------------------------------ */

/* Append to buf (always terminated; cut where it is full). */
static void	add(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
add(char *buf, size_t len, const char *fmt, ...)
{
	size_t	n = strlen(buf);
	va_list	ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* "running db1 db2" or "running no group": what is active here. */
static void
add_running(const struct cstate *s, char *buf, size_t len)
{
	const struct conf	*conf = s->conf;
	int			 i, n = 0;

	add(buf, len, "running");
	for (i = 0; i < conf->ngroups; i++)
		if (state_group_active_on(s, &conf->groups[i], s->local)) {
			add(buf, len, " %s", conf->groups[i].name);
			n++;
		}
	if (n == 0)
		add(buf, len, " no group");
}

static bool
joined(const struct cstate *s)
{
	const struct node_rt	*nd = &s->nodes[s->local];

	return nd->in_cpg && nd->synced && nd->recorded && !nd->refused;
}

static void
describe_joining(const struct cstate *s, char *buf, size_t len)
{
	const struct node_rt	*nd = &s->nodes[s->local];

	if (nd->refused)
		add(buf, len, "refused: this node's cluster file differs "
		    "from the running cluster's");
	else if (!nd->in_cpg)
		add(buf, len, "joining the cluster: waiting for corosync's "
		    "process group");
	else if (!nd->synced)
		add(buf, len, "joining the cluster: waiting for the state "
		    "sync");
	else
		add(buf, len, "joining the cluster: sending this node's "
		    "probe results");
}

static void
describe_running(const struct cstate *s, char *buf, size_t len)
{
	uint32_t	f = s->nodes[s->local].flags;
	int		i, members = 0;

	for (i = 0; i < s->conf->nnodes; i++)
		if (s->nodes[i].in_cpg)
			members++;
	add(buf, len, "%s; ", s->quorate ? "quorate" : "waiting for quorum");
	if (f & NF_STOPPED)
		add(buf, len, "node stopped by an operator; ");
	else if (f & NF_DRAIN)
		add(buf, len, "node paused and drained; ");
	else if (f & NF_PAUSED)
		add(buf, len, "node paused; ");
	add_running(s, buf, len);
	add(buf, len, "; %d member%s", members, members == 1 ? "" : "s");
}

bool
sdnotify_describe(const struct cstate *s, enum sdn_phase ph, char *buf,
    size_t len)
{
	if (len == 0)
		return false;
	buf[0] = '\0';
	switch (ph) {
	case SDN_COROSYNC:
		add(buf, len, "waiting for corosync");
		return false;
	case SDN_PROBING:
		add(buf, len, "probing local resources");
		return false;
	case SDN_STOPPING:
		add(buf, len, "stopping: moving groups away");
		if (s != NULL) {
			add(buf, len, "; ");
			add_running(s, buf, len);
		}
		return false;
	case SDN_JOINING:
		break;
	}
	if (s == NULL || !joined(s)) {
		if (s != NULL)
			describe_joining(s, buf, len);
		else
			add(buf, len, "joining the cluster");
		return false;
	}
	describe_running(s, buf, len);
	return true;
}

bool
sdnotify_stream_is(const char *js, dev_t dev, ino_t ino)
{
	unsigned long long	d, i;
	int			n = -1;

	if (js == NULL || sscanf(js, "%llu:%llu%n", &d, &i, &n) != 2 ||
	    js[n] != '\0')
		return false;
	return d == (unsigned long long)dev && i == (unsigned long long)ino;
}

/* --- sd_notify ------------------------------------------------------ */

/* Send state; once, say that systemd is not reachable. */
static int
notify(const char *state)
{
	int	r = sd_notify(0, state);

	if (r < 0 && !send_failed) {
		send_failed = true;
		log_warnx("cannot tell systemd \"%.40s\" through "
		    "NOTIFY_SOCKET: %s", state, strerror(-r));
	}
	return r;
}

/* Tell systemd what changed since the last time. */
static void
update(void)
{
	char	text[STATUS_LEN], *msg;
	bool	ready = sdnotify_describe(cs, phase, text, sizeof(text));

	if (ready && !ready_sent) {
		ready_sent = true;
		msg = xasprintf("READY=1\nSTATUS=%s", text);
		if (notify(msg) > 0)
			log_info("joined the cluster: told systemd pghad is "
			    "ready");
		free(msg);
	} else if (strcmp(text, last_status) != 0) {
		msg = xasprintf("STATUS=%s", text);
		notify(msg);
		free(msg);
	}
	snprintf(last_status, sizeof(last_status), "%s", text);
}

void
sdnotify_phase(enum sdn_phase ph)
{
	char	text[STATUS_LEN], *msg;

	phase = ph;
	if (ph != SDN_STOPPING) {
		update();
		return;
	}
	/* STOPPING=1 first, with its reason in the same datagram. */
	sdnotify_describe(cs, ph, text, sizeof(text));
	msg = xasprintf("STOPPING=1\nSTATUS=%s", text);
	notify(msg);
	free(msg);
	snprintf(last_status, sizeof(last_status), "%s", text);
}

static void
watchdog_cb(void *arg)
{
	notify("WATCHDOG=1");
	loop_timer_add(watchdog_ms, watchdog_cb, NULL);
}

void
sdnotify_start(const struct cstate *s)
{
	uint64_t	usec = 0;

	cs = s;
	/* Not started by systemd: nothing to say after each pass. */
	if (getenv("NOTIFY_SOCKET") != NULL)
		loop_set_after(update);
	/* 0: WATCHDOG_PID names another process (not started by systemd
	 * as its main process), or no watchdog. */
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	watchdog_ms = usec / 2000 > 0 ? usec / 2000 : 1;
	log_info("systemd watchdog every %" PRIu64 " ms: keep-alive every "
	    "%" PRIu64 " ms from the event loop", usec / 1000, watchdog_ms);
	watchdog_cb(NULL);
}

/* --- the journal ---------------------------------------------------- */

static int
journal_sink(const char *tag, int pri, const char *msg)
{
	/* The tag stays in MESSAGE too: journalctl shows MESSAGE alone. */
	return sd_journal_send("MESSAGE=[%s] %s", tag, msg,
	    "PRIORITY=%d", pri,
	    "PGHA_SUBSYSTEM=%s", tag,
	    "SYSLOG_IDENTIFIER=%s", journal_ident,
	    NULL) < 0 ? -1 : 0;
}

void
sdnotify_journal_init(const char *ident)
{
	struct stat	st;

	if (fstat(STDERR_FILENO, &st) < 0 ||
	    !sdnotify_stream_is(getenv("JOURNAL_STREAM"), st.st_dev,
	    st.st_ino))
		return;
	journal_ident = ident;
	log_set_sink(journal_sink);
}
