/*
 * check.h - pgha validate (every node checks its own view of a group's
 * PostgreSQL set-up, guide 3.2.3) and pgha db init (initdb on the group's
 * shared disks, from the node where they are online).
 */
#ifndef PGHA_CHECK_H
#define PGHA_CHECK_H

#include <json-c/json.h>

#include "state.h"
#include "wire.h"

/* The reply object (borrowed: the callee takes a reference to keep it). */
typedef void	(*check_done_cb)(void *arg, struct json_object *reply);

/* send: multicasts a message to the process group. */
void	check_init(const struct cstate *, const char *agent_path,
	    void (*send)(struct msg *));
/* MSG_CHECK and MSG_CHECKED from node `from`. */
void	check_deliver(uint32_t from, const struct msg *);
/* A member left: stop waiting for it. */
void	check_members_changed(void);
/*
 * Ask every member to validate group (NULL or "": all groups), with
 * "setting=path ..." paths each must also find; done() gets
 * {"ok": true, "nodes": [{"node", "config_hash", "findings": [...]}],
 * "not_checked": [...]}.  -1 and err if the request is bad.
 */
int	check_validate(const char *group, const char *paths,
	    check_done_cb done, void *arg, char *err, size_t len);
/*
 * Every member's event log, filtered as events_query() does, merged:
 * done() gets {"ok": true, "events": [...], "missing_nodes": [...]}.
 * -1 when this node is not in the process group (nobody to ask).
 */
int	check_events(const char *group, const char *node, uint64_t since,
	    int limit, uid_t uid, check_done_cb done, void *arg);
/*
 * Merged events queries of uid not yet answered, those whose client left
 * included: every member still answers them, so they count until then.
 */
int	check_events_inflight(uid_t uid);
/*
 * initdb for group's postgresql resource here; -1 with code and err at
 * once if the group's disks are not online on this node.  done() gets
 * {"ok": bool, "output": "...", ["error", "message"]}.
 */
int	check_db_init(const char *group, check_done_cb done, void *arg,
	    const char **code, char *err, size_t len);
/*
 * pgha keystore copy: node (NULL or "": every other member) writes the
 * keystore file (hex of its KS_FILE_LEN bytes) at path, which its cluster
 * file must name; another master key there is replaced only with force.
 * done() gets {"ok": true, "nodes": [{"node", "config_hash", "findings":
 * [{"copied", "skipped"|"error"|"fingerprint", "auto_open", "path"}]}],
 * "not_checked": [...]}.  -1 and err if the request is bad.
 */
int	check_keystore_copy(const char *node, const char *path,
	    const char *hex, bool force, check_done_cb done, void *arg,
	    char *err, size_t len);
/* The requester went away: never call its done(). */
void	check_forget(void *arg);

#endif
