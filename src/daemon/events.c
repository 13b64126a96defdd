/*
 * events.c - the event log (see events.h).
 */
#define PGHA_LOG_TAG	"control"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"
#include "log.h"
#include "util.h"

#define ROTATE_BYTES	(16 * 1024 * 1024)
#define MAX_SUBS	EVENTS_MAX_FOLLOWERS

static struct json_object	*ring[EVENTS_KEEP];
static unsigned			 ring_n;	/* total ever added */
static char			*path;
static int			 fd = -1;
static struct {
	events_cb	 cb;
	void		*arg;
} subs[MAX_SUBS];

static void
ring_put(struct json_object *ev)
{
	unsigned	slot = ring_n % EVENTS_KEEP;

	if (ring[slot])
		json_object_put(ring[slot]);
	ring[slot] = ev;
	ring_n++;
}

static void
load(void)
{
	FILE	*f;
	char	*line = NULL;
	size_t	 cap = 0;

	if ((f = fopen(path, "r")) == NULL)
		return;
	while (getline(&line, &cap, f) > 0) {
		struct json_object *ev = json_tokener_parse(line);

		if (ev && json_object_is_type(ev, json_type_object))
			ring_put(ev);
		else if (ev)
			json_object_put(ev);
	}
	free(line);
	fclose(f);
}

void
events_init(const char *state_dir)
{
	if (mkdir(state_dir, 0750) < 0 && errno != EEXIST)
		log_warn("events: mkdir %s", state_dir);
	free(path);
	path = xasprintf("%s/events.jsonl", state_dir);
	load();
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		log_warn("events: cannot open %s; events kept in memory only",
		    path);
}

void
events_close(void)
{
	unsigned	i;

	if (fd >= 0)
		close(fd);
	fd = -1;
	for (i = 0; i < EVENTS_KEEP; i++) {
		if (ring[i])
			json_object_put(ring[i]);
		ring[i] = NULL;
	}
	free(path);
	path = NULL;
}

static void
rotate_if_big(void)
{
	struct stat	st;
	char		*old;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < ROTATE_BYTES)
		return;
	old = xasprintf("%s.1", path);
	if (rename(path, old) < 0)
		log_warn("events: rename %s", path);
	free(old);
	close(fd);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

void
events_add(uint64_t wall, const char *node, const char *group,
    const char *object, const char *oldst, const char *newst,
    const char *cause)
{
	struct json_object	*ev = json_object_new_object();
	char			 ts[40];
	const char		*s;
	int			 i;

	fmt_wall(wall, ts, sizeof(ts));
	json_object_object_add(ev, "time", json_object_new_string(ts));
	json_object_object_add(ev, "ms", json_object_new_int64((int64_t)wall));
	json_object_object_add(ev, "node", json_object_new_string(node));
	json_object_object_add(ev, "group",
	    group && *group ? json_object_new_string(group) : NULL);
	json_object_object_add(ev, "object", json_object_new_string(object));
	json_object_object_add(ev, "old", json_object_new_string(oldst));
	json_object_object_add(ev, "new", json_object_new_string(newst));
	json_object_object_add(ev, "cause", json_object_new_string(cause));
	log_notice("%s %s: %s -> %s: %s", node, object, oldst, newst, cause);
	s = json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN);
	if (fd >= 0) {
		char *l = xasprintf("%s\n", s);

		if (write(fd, l, strlen(l)) < 0)
			log_warn("events: write %s", path);
		free(l);
		rotate_if_big();
	}
	ring_put(ev);
	for (i = 0; i < MAX_SUBS; i++)
		if (subs[i].cb)
			subs[i].cb(ev, subs[i].arg);
}

int
events_match(struct json_object *ev, const char *group, const char *node,
    uint64_t since_ms)
{
	struct json_object	*v;

	if (group && *group) {
		if (!json_object_object_get_ex(ev, "group", &v) || v == NULL ||
		    strcmp(json_object_get_string(v), group) != 0)
			return 0;
	}
	if (node && *node) {
		if (!json_object_object_get_ex(ev, "node", &v) ||
		    strcmp(json_object_get_string(v), node) != 0)
			return 0;
	}
	if (since_ms && json_object_object_get_ex(ev, "ms", &v) &&
	    (uint64_t)json_object_get_int64(v) < since_ms)
		return 0;
	return 1;
}

struct json_object *
events_query(const char *group, const char *node, uint64_t since_ms,
    int limit)
{
	struct json_object	*arr = json_object_new_array();
	unsigned		 first, i, n = 0, total;

	first = ring_n > EVENTS_KEEP ? ring_n - EVENTS_KEEP : 0;
	/* Count matches first so that `limit` keeps the newest. */
	for (i = first; i < ring_n; i++)
		if (events_match(ring[i % EVENTS_KEEP], group, node, since_ms))
			n++;
	total = n;
	n = 0;
	for (i = first; i < ring_n; i++) {
		struct json_object *ev = ring[i % EVENTS_KEEP];

		if (!events_match(ev, group, node, since_ms))
			continue;
		if (limit > 0 && total - n++ > (unsigned)limit)
			continue;
		json_object_array_add(arr, json_object_get(ev));
	}
	return arr;
}

int
events_subscribe(events_cb cb, void *arg)
{
	int	i;

	for (i = 0; i < MAX_SUBS; i++)
		if (subs[i].cb == NULL) {
			subs[i].cb = cb;
			subs[i].arg = arg;
			return 0;
		}
	return -1;
}

void
events_unsubscribe(void *arg)
{
	int	i;

	for (i = 0; i < MAX_SUBS; i++)
		if (subs[i].arg == arg)
			subs[i].cb = NULL;
}
