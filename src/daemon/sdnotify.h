/*
 * sdnotify.h - pghad under systemd (Type=notify): READY, STATUS and
 * STOPPING through sd_notify(3), the watchdog keep-alive from the event
 * loop, and the journal as the log's sink when stderr is the journal.
 * Without NOTIFY_SOCKET, WATCHDOG_USEC or JOURNAL_STREAM each part does
 * nothing: pghad started by hand or by the lab behaves as before.
 */
#ifndef PGHA_SDNOTIFY_H
#define PGHA_SDNOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "state.h"

/* Where start-up or shutdown is; after SDN_JOINING the state says. */
enum sdn_phase {
	SDN_COROSYNC,	/* waiting for corosync (cluster_init) */
	SDN_PROBING,	/* probing the local resources */
	SDN_JOINING,	/* joining the process group, then running */
	SDN_STOPPING,	/* stop signal: groups move away */
};

/*
 * Log to the journal (sd_journal_send: PRIORITY, PGHA_SUBSYSTEM,
 * SYSLOG_IDENTIFIER=ident) if stderr is the journal's stream; after
 * log_init().  ident is borrowed (a string literal).
 */
void	sdnotify_journal_init(const char *ident);
/* Say the phase now (STATUS=; STOPPING=1 for SDN_STOPPING). */
void	sdnotify_phase(enum sdn_phase);
/*
 * From the event loop from now on: the watchdog keep-alive at half of
 * systemd's interval, and after each pass of the loop the STATUS that cs
 * (borrowed) gives, with READY=1 once this node is joined.
 */
void	sdnotify_start(const struct cstate *cs);

/*
 * The STATUS text for cs in phase ph into buf; true if this node counts
 * as started: it joined the cluster, as `pgha status` shows it (in the
 * process group, synced and its record delivered, which holds its probe
 * results).  Pure: for tests.
 */
bool	sdnotify_describe(const struct cstate *cs, enum sdn_phase ph,
	    char *buf, size_t len);
/*
 * True if JOURNAL_STREAM's value js ("DEV:INODE", as systemd.exec(5)
 * says) names the file dev/ino (stderr's).  Pure: for tests.
 */
bool	sdnotify_stream_is(const char *js, dev_t dev, ino_t ino);

#endif
