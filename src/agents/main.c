/*
 * main.c - pgha-agent: "pgha-agent TYPE ACTION", the built-in resource
 * agents (disk, address, postgresql) behind one OCF-style interface.
 * Parses the command line, sets the deadline and dispatches.
 *
 * "validate" and "init" exist for postgresql only and are not members of
 * enum agent_action: the start/stop/monitor switches of the other agents
 * need not know them.
 */
#include <getopt.h>
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
	{ "service",	service_main },
	{ "ocf",	ocf_main },
};

#ifndef PGHA_VERSION
#error "PGHA_VERSION is set by the Makefile (VERSION)"
#endif

static const struct option long_opts[] = {
	{ "help",	no_argument,	NULL, 'h' },
	{ "version",	no_argument,	NULL, 'V' },
	{ NULL,		0,		NULL, 0 },
};

static int
help(void)
{
	printf("usage: pgha-agent TYPE ACTION\n"
	    "       pgha-agent postgresql validate|init\n"
	    "       pgha-agent corosync validate\n"
	    "       pgha-agent ocf meta-data|validate-all\n"
	    "       pgha-agent --help | --version\n"
	    "Runs one operation of a built-in resource agent, as pghad does;\n"
	    "its parameters come from OCF_RESKEY_* in the environment.\n"
	    "  TYPE            disk, address, postgresql, service or ocf\n"
	    "                  (ocf: the agent in PGHA_OCF_AGENT)\n"
	    "  ACTION          start, stop or monitor\n"
	    "  -h, --help      print this help and exit\n"
	    "  -V, --version   print the version and exit\n");
	return 0;
}

static int
usage(void)
{
	log_warnx("usage: pgha-agent disk|address|postgresql|service|ocf "
	    "start|stop|monitor, pgha-agent postgresql validate|init, "
	    "pgha-agent ocf meta-data|validate-all, or pgha-agent corosync "
	    "validate");
	return OCF_ERR_ARGS;
}

/* Checks run like a monitor; initdb takes as long as a start. */
static int
pg_extra(const char *type, const char *action)
{
	bool	validate = strcmp(action, "validate") == 0;

	if (strcmp(type, "corosync") == 0 && validate) {
		agent_deadline_init(ACT_MONITOR);
		return corosync_validate();
	}
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
	int			ch;

	/* pghad shows the last lines of our stderr as they are */
	log_init("pgha-agent", LOG_BARE, 0);
	/* "+": options only before TYPE, as OCF callers never pass any. */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+hV", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return help();
		case 'V':
			printf("pgha-agent %s\n", PGHA_VERSION);
			return 0;
		default:
			log_warnx("unknown option '%s'", argv[optind - 1]);
			return usage();
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc != 3)
		return usage();
	if (strcmp(argv[2], "validate") == 0 || strcmp(argv[2], "init") == 0)
		return pg_extra(argv[1], argv[2]);
	if (strcmp(argv[1], "ocf") == 0 && (strcmp(argv[2], "meta-data") ==
	    0 || strcmp(argv[2], "validate-all") == 0)) {
		signal(SIGPIPE, SIG_IGN);
		agent_deadline_init(ACT_MONITOR);
		return ocf_extra(argv[2]);
	}
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
