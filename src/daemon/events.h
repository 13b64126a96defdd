/*
 * events.h - the event log: every state change with its cause.
 *
 * Every node records what it sees delivered (the same totally ordered
 * messages everywhere), so each node's log tells the cluster's story.
 * Kept in memory (the most recent EVENTS_KEEP) and appended as JSON lines
 * to STATE_DIR/events.jsonl, which is read back at start-up: the log
 * survives daemon restarts and node reboots.
 */
#ifndef PGHA_EVENTS_H
#define PGHA_EVENTS_H

#include <stdint.h>

#include <json-c/json.h>

#define EVENTS_KEEP	20000
#define EVENTS_MAX_FOLLOWERS	64

typedef void	(*events_cb)(struct json_object *ev, void *arg);

void	events_init(const char *state_dir);
void	events_close(void);
/* Record one event; group may be NULL or "" when it concerns none. */
void	events_add(uint64_t wall, const char *node, const char *group,
	    const char *object, const char *oldst, const char *newst,
	    const char *cause);
/* A new JSON array of matching events (caller puts). */
struct json_object *events_query(const char *group, const char *node,
	    uint64_t since_ms, int limit);
/* True if ev matches the filters (NULL / 0 = any). */
int	events_match(struct json_object *ev, const char *group,
	    const char *node, uint64_t since_ms);
/* 0, or -1 when all EVENTS_MAX_FOLLOWERS are taken. */
int	events_subscribe(events_cb, void *arg);
void	events_unsubscribe(void *arg);

#endif
