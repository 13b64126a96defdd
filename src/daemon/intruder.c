/*
 * intruder.c - remembering the processes that joined our CPG group in a
 * pghad's name (see intruder.h).  cpg.c decides who is one.
 */
#define PGHA_LOG_TAG	"cpg"

#include <stdbool.h>

#include "intruder.h"
#include "log.h"

#define MAX_INTRUDERS	16

static struct intruder {
	uint32_t	nodeid, pid;
	bool		msg_logged;
} intruders[MAX_INTRUDERS];
static int	nintruders;

static struct intruder *
find(uint32_t nodeid, uint32_t pid)
{
	int	i;

	for (i = 0; i < nintruders; i++)
		if (intruders[i].nodeid == nodeid && intruders[i].pid == pid)
			return &intruders[i];
	return NULL;
}

void
intruder_joined(const char *group, uint32_t nodeid, uint32_t pid,
    const char *why)
{
	if (find(nodeid, pid) != NULL)
		return;
	log_warnx("intruder in CPG group %s: node %u pid %u joined, but %s: "
	    "its messages are ignored", group, nodeid, pid, why);
	/* Beyond the table an intruder is still ignored, only logged more. */
	if (nintruders < MAX_INTRUDERS)
		intruders[nintruders++] = (struct intruder){ nodeid, pid,
		    false };
}

void
intruder_msg(uint32_t nodeid, uint32_t pid, size_t len)
{
	struct intruder	*x = find(nodeid, pid);

	if (x != NULL && x->msg_logged)
		return;
	log_warnx("message (%zu bytes) from node %u pid %u, not the "
	    "registered pghad of its node (an intruder): ignored", len,
	    nodeid, pid);
	if (x != NULL)
		x->msg_logged = true;
}

bool
intruder_left(const char *group, uint32_t nodeid, uint32_t pid)
{
	struct intruder	*x = find(nodeid, pid);

	if (x == NULL)
		return false;
	log_warnx("intruder node %u pid %u left CPG group %s: nothing "
	    "changes", nodeid, pid, group);
	*x = intruders[--nintruders];
	return true;
}

void
intruder_clear(void)
{
	nintruders = 0;
}
