/*
 * ocf.c - "pgha-agent ocf ACTION": runs an OCF resource agent (one of the
 * resource-agents package's, /usr/lib/ocf/resource.d/PROVIDER/AGENT) for
 * a resource of type ocf:PROVIDER:AGENT.
 *
 * pghad passes the OCF environment (OCF_ROOT, OCF_RESOURCE_INSTANCE,
 * OCF_RESOURCE_PROVIDER, OCF_RESOURCE_TYPE, OCF_RESKEY_<param> for each
 * param.NAME, OCF_RESKEY_CRM_meta_timeout) and the agent's path in
 * PGHA_OCF_AGENT.  This wrapper is between them for what pghad should not
 * have to know of OCF:
 *   - an agent that is not installed on this node: said with its path;
 *     a probe (monitor) or a stop then answer "not running" (nothing can
 *     run from an agent that is not there), a start fails;
 *   - start runs validate-all first (an agent without it, exit 3, is let
 *     through);
 *   - the agent runs in a process group of its own, so that a daemon it
 *     leaves in its group outlives the operation (pghad kills what is left
 *     of ours), under this operation's deadline;
 *   - exit codes: OCF's 0-7 as they are (but a monitor's 5, not
 *     installed, is 7: nothing of it can run here); 8 and 9 (promoted) and
 *     anything else are failures, said as such: pgha has no promotable
 *     resources.
 *   - /run/resource-agents (HA_RSCTMP) is made if it is missing.
 * meta-data prints the agent's XML on stdout after checking that it is
 * one (a <resource-agent> element with a <parameters> list), for pgha
 * validate and for operators.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_util.h"
#include "log.h"

#define OCF_ERR_UNIMPLEMENTED	3
#define OCF_ERR_PERM		4
#define OCF_RUNNING_MASTER	8
#define OCF_FAILED_MASTER	9
#define META_MAX		(256 * 1024)
#define OCF_RSCTMP		"/run/resource-agents"

static const char *
ocf_rc_name(int rc)
{
	static const char *const names[] = {
		"success", "generic error", "invalid arguments",
		"unimplemented", "insufficient privileges", "not installed",
		"not configured", "not running", "running as promoted",
		"failed as promoted",
	};

	return rc >= 0 && rc < (int)(sizeof(names) / sizeof(names[0])) ?
	    names[rc] : "not an OCF exit code";
}

/* The agent's path, checked; NULL (said why) if it cannot be run here. */
static const char *
ocf_agent(void)
{
	const char	*path = getenv(AGENT_ENV_OCF_AGENT);
	const char	*type = getenv(AGENT_ENV_TYPE);
	const char	*prov = getenv(AGENT_ENV_PROVIDER);
	struct stat	 st;

	if (path == NULL || path[0] != '/') {
		log_warnx("%s is not set: pghad runs pgha-agent ocf with the "
		    "agent's path in it", AGENT_ENV_OCF_AGENT);
		return NULL;
	}
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
	    access(path, X_OK) == -1) {
		log_warnx("OCF agent ocf:%s:%s is not installed on this node: "
		    "%s %s (install the package that ships it, e.g. "
		    "resource-agents)", prov ? prov : "?", type ? type : "?",
		    path, errno == ENOENT ? "does not exist" :
		    !S_ISREG(st.st_mode) ? "is not a regular file" :
		    "is not executable");
		return NULL;
	}
	return path;
}

/*
 * Run `agent action` in its own process group until the deadline; its
 * stdout goes to out (a descriptor: ours for meta-data, our stderr for
 * the others, so pghad shows what it says).  Its exit code, or
 * OCF_ERR_GENERIC (said why) if it timed out or was killed.
 */
static int
run_agent(const char *path, const char *action, int out)
{
	char *const		argv[] = { (char *)path, (char *)action, NULL };
	struct agent_spawn	sp = {
		.argv = argv, .pgrp = AGENT_SPAWN_OWN_GROUP,
		.in = AGENT_SPAWN_NULL, .out = out, .err = AGENT_SPAWN_KEEP,
	};
	uint64_t		grace;
	pid_t			pid;
	int			status;

	if ((pid = agent_spawn(&sp)) == -1) {
		log_warn("%s %s: fork", path, action);
		return OCF_ERR_GENERIC;
	}
	/* A tenth of what is left for SIGTERM, at most 2 s. */
	grace = agent_remaining_ms() / 10;
	if (grace > 2000)
		grace = 2000;
	if (agent_spawn_wait(pid, true, grace, &status) == -1) {
		log_warnx("%s %s: still running at the operation's deadline "
		    "(%s): killed", path, action, getenv(AGENT_ENV_TIMEOUT_MS) ?
		    "its timeout less a margin" : "default timeout");
		return OCF_ERR_GENERIC;
	}
	if (WIFSIGNALED(status)) {
		log_warnx("%s %s: killed by signal %d", path, action,
		    WTERMSIG(status));
		return OCF_ERR_GENERIC;
	}
	return WEXITSTATUS(status);
}

/* pgha has no promotable resources: 8, 9 and non-OCF codes fail. */
static int
ocf_result(const char *path, const char *action, int rc)
{
	if (rc >= OCF_SUCCESS && rc <= OCF_NOT_RUNNING) {
		if (rc != OCF_SUCCESS && rc != OCF_NOT_RUNNING)
			log_warnx("%s %s: exit %d (%s)", path, action, rc,
			    ocf_rc_name(rc));
		return rc;
	}
	log_warnx("%s %s: exit %d (%s): %s", path, action, rc,
	    ocf_rc_name(rc), rc == OCF_RUNNING_MASTER ||
	    rc == OCF_FAILED_MASTER ? "promotable (master/slave) resources "
	    "are not supported by pgha" : "taken as a failure");
	return OCF_ERR_GENERIC;
}

/*
 * The agents keep their state files in HA_RSCTMP, /run/resource-agents,
 * which resource-agents' tmpfiles.d entry makes at boot; a host whose
 * /run was not set up by systemd-tmpfiles (a container) lacks it.
 */
static void
rsctmp(void)
{
	if (mkdir(OCF_RSCTMP, 01755) == 0)
		(void)chmod(OCF_RSCTMP, 01755);		/* past the umask */
	else if (errno != EEXIST)
		log_warn("mkdir %s", OCF_RSCTMP);
}

int
ocf_main(enum agent_action act)
{
	const char	*path = ocf_agent();
	int		 rc;

	rsctmp();

	/* Nothing can run from an agent that is not there: a stop is done. */
	if (path == NULL)
		return act == ACT_START ? OCF_ERR_INSTALLED : act == ACT_STOP ?
		    OCF_SUCCESS : OCF_NOT_RUNNING;
	switch (act) {
	case ACT_START:
		rc = run_agent(path, "validate-all", 2);
		if (rc != OCF_SUCCESS && rc != OCF_ERR_UNIMPLEMENTED) {
			log_warnx("%s validate-all: exit %d (%s): not started",
			    path, rc, ocf_rc_name(rc));
			return rc >= OCF_ERR_GENERIC &&
			    rc <= OCF_ERR_CONFIGURED ? rc : OCF_ERR_GENERIC;
		}
		return ocf_result(path, "start", run_agent(path, "start", 2));
	case ACT_STOP:
		return ocf_result(path, "stop", run_agent(path, "stop", 2));
	case ACT_MONITOR:
		/*
		 * 5, what the agent needs is not installed here (anything's
		 * binfile): nothing of it can run, as Pacemaker takes a
		 * probe's 5.  A start here fails on it.
		 */
		rc = ocf_result(path, "monitor", run_agent(path, "monitor",
		    2));
		return rc == OCF_ERR_INSTALLED ? OCF_NOT_RUNNING : rc;
	}
	return OCF_ERR_ARGS;
}

/* Read all of fd (at most META_MAX) into a new string. */
static char *
slurp(int fd)
{
	char	*buf = malloc(META_MAX + 1);
	size_t	 len = 0;
	ssize_t	 n;

	if (buf == NULL)
		return NULL;
	while (len < META_MAX && (n = read(fd, buf + len, META_MAX - len)) !=
	    0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

/*
 * "meta-data": the agent's XML on stdout once it looks like OCF
 * meta-data: a <resource-agent ...> element holding <parameters> and
 * <actions>.  This is no XML parser; it catches an agent that answers
 * with a usage text or nothing.  "validate-all": the agent's own.
 */
int
ocf_extra(const char *action)
{
	const char	*path = ocf_agent();
	char		*xml;
	FILE		*tmp;
	int		 rc;

	if (path == NULL)
		return OCF_ERR_INSTALLED;
	if (strcmp(action, "validate-all") == 0)
		return ocf_result(path, action, run_agent(path, action, 2));
	if ((tmp = tmpfile()) == NULL) {
		log_warn("meta-data: tmpfile");
		return OCF_ERR_GENERIC;
	}
	rc = run_agent(path, "meta-data", fileno(tmp));
	rewind(tmp);
	xml = slurp(fileno(tmp));
	fclose(tmp);
	if (rc != OCF_SUCCESS || xml == NULL) {
		free(xml);
		return ocf_result(path, "meta-data", rc == OCF_SUCCESS ?
		    OCF_ERR_GENERIC : rc);
	}
	if (strstr(xml, "<resource-agent") == NULL ||
	    strstr(xml, "</resource-agent>") == NULL ||
	    strstr(xml, "<parameters") == NULL ||
	    strstr(xml, "<actions") == NULL) {
		log_warnx("%s meta-data: its output is not OCF meta-data (no "
		    "<resource-agent> element with <parameters> and "
		    "<actions>)", path);
		free(xml);
		return OCF_ERR_GENERIC;
	}
	fputs(xml, stdout);
	free(xml);
	return OCF_SUCCESS;
}
