/*
 * durable.h - small files replaced durably off the event loop.
 *
 * fsync(2) may take seconds on a busy or failing disk, and the loop must
 * not wait for it (a stalled loop delays failover).  As Redis' bio.c
 * does, one background thread does the blocking part: write a temporary
 * file, fsync it, rename it over the file, fsync the directory.  The loop
 * only queues the new content and returns; for each path the latest
 * content queued wins.  The thread never logs: its errors reach the loop
 * through an eventfd and are logged there.
 */
#ifndef PGHA_DURABLE_H
#define PGHA_DURABLE_H

/*
 * Replace path's content with data (copied), or remove path when data is
 * NULL, in the background.  Returns at once.
 */
void	durable_replace(const char *path, const char *data);
/*
 * Wait until every queued change is on disk (at exit; blocks).  Logs and
 * returns the number of changes that failed since the last call.
 */
int	durable_flush(void);

#endif
