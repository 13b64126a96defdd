/*
 * main.c - pgha-agent: "pgha-agent TYPE ACTION", the built-in resource
 * agents (disk, address, postgresql) behind one OCF-style interface.
 * Parses the command line, sets the deadline and dispatches.
 *
 * "validate" and "init" exist for postgresql only and are not members of
 * enum agent_action: the start/stop/monitor switches of the other agents
 * need not know them.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "agent_util.h"
#include "log.h"
#include "pgcheck.h"

static const struct {
	const char	*name;
	int		(*fn)(enum agent_action);
} types[] = {
	{ "disk",	disk_main },
	{ "address",	address_main },
	{ "postgresql",	postgresql_main },
};

static int
usage(void)
{
	log_warnx("usage: pgha-agent disk|address|postgresql "
	    "start|stop|monitor, or pgha-agent postgresql validate|init");
	return OCF_ERR_ARGS;
}

/* Checks run like a monitor; initdb takes as long as a start. */
static int
pg_extra(const char *type, const char *action)
{
	bool	validate = strcmp(action, "validate") == 0;

	if (strcmp(type, "postgresql") != 0)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	agent_deadline_init(validate ? ACT_MONITOR : ACT_START);
	return validate ? pgcheck_validate() : pgcheck_init();
}

int
main(int argc, char *argv[])
{
	enum agent_action	act;
	size_t			i;

	/* pghad shows the last lines of our stderr as they are */
	log_init("pgha-agent", LOG_BARE, 0);
	if (argc != 3)
		return usage();
	if (strcmp(argv[2], "validate") == 0 || strcmp(argv[2], "init") == 0)
		return pg_extra(argv[1], argv[2]);
	if (strcmp(argv[2], "start") == 0)
		act = ACT_START;
	else if (strcmp(argv[2], "stop") == 0)
		act = ACT_STOP;
	else if (strcmp(argv[2], "monitor") == 0)
		act = ACT_MONITOR;
	else
		return usage();
	/* A closed stderr pipe must not kill us halfway through a stop. */
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	agent_deadline_init(act);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(argv[1], types[i].name) == 0)
			return types[i].fn(act);
	}
	return usage();
}
