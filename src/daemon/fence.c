/*
 * fence.c - reading a fence agent's answers (see fence.h).
 *
 * fence-agents programs declare their actions in their metadata, one
 * <action name="..."/> element each, and answer status with exit 0 (on),
 * 2 (off) or 1 (error).  A fence counts only once status says off, when
 * the agent has a status action: an agent's off exiting 0 is its own
 * claim, not a fact.
 */
#define PGHA_LOG_TAG	"fence"

#include <stdbool.h>
#include <string.h>

#include "fence.h"

/* The value of attribute `name` in the tag [s, e), or NULL; *len set. */
static const char *
tag_attr(const char *s, const char *e, const char *name, size_t *len)
{
	size_t		 nl = strlen(name);
	const char	*p, *q;
	char		 quote;

	for (p = s; p + nl < e; p++) {
		if (strncmp(p, name, nl) != 0 || (p > s && p[-1] != ' ' &&
		    p[-1] != '\t' && p[-1] != '\n' && p[-1] != '\r'))
			continue;
		q = p + nl;
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if (q >= e || *q != '=')
			continue;
		q++;
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if (q >= e || (*q != '"' && *q != '\''))
			continue;
		quote = *q++;
		for (p = q; p < e && *p != quote; p++)
			;
		if (p >= e)
			return NULL;
		*len = (size_t)(p - q);
		return q;
	}
	return NULL;
}

bool
fence_meta_has_status(const char *xml)
{
	const char	*p, *e, *v;
	size_t		 len;

	if (xml == NULL)
		return false;
	for (p = xml; (p = strstr(p, "<action")) != NULL;) {
		p += strlen("<action");
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			continue;	/* <actions>, <actionfoo> */
		if ((e = strchr(p, '>')) == NULL)
			return false;
		v = tag_attr(p, e, "name", &len);
		if (v != NULL && len == 6 && strncmp(v, "status", 6) == 0)
			return true;
		p = e;
	}
	return false;
}

enum fence_power
fence_status_power(int exit_code)
{
	switch (exit_code) {
	case 0:
		return FENCE_POWER_ON;
	case 2:
		return FENCE_POWER_OFF;
	default:
		return FENCE_POWER_UNKNOWN;
	}
}
