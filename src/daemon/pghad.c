/*
 * pghad.c - the pgha node daemon: options, set-up, signals, shutdown.
 *
 * Start-up order matters: the cluster file is checked, corosync is
 * reached, then every resource is probed (is it already running here?)
 * before this node joins the process group, so that the cluster never
 * decides anything about this node without knowing what runs on it.
 */
#define PGHA_LOG_TAG	"main"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "agent.h"
#include "check.h"
#include "cpg.h"
#include "conntrack.h"
#include "conf.h"
#include "control.h"
#include "events.h"
#include "local.h"
#include "log.h"
#include "loop.h"
#include "sdnotify.h"
#include "util.h"

#define DEFAULT_CONF	"/etc/pgha/pgha.conf"

static struct conf	*conf;
static char		*agent_path;
static bool		 stopping;

#ifndef PGHA_VERSION
#error "PGHA_VERSION is set by the Makefile (VERSION)"
#endif

static const struct option long_opts[] = {
	{ "foreground",	no_argument,		NULL, 'd' },
	{ "file",	required_argument,	NULL, 'f' },
	{ "check",	no_argument,		NULL, 'n' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 },
};

/* --help: on stdout, exit 0; a wrong command line: on stderr, exit 2. */
static void __attribute__((noreturn))
usage(int help)
{
	fprintf(help ? stdout : stderr,
	    "usage: pghad [-dnv] [-f FILE]\n"
	    "       pghad --help | --version\n"
	    "  -d, --foreground  stay in the foreground, log to stderr\n"
	    "  -f, --file FILE   cluster file (default %s)\n"
	    "  -n, --check       check the cluster file and exit\n"
	    "  -v, --verbose     verbose; with -n print the canonical file\n"
	    "  -h, --help        print this help and exit\n"
	    "  -V, --version     print the version and exit\n",
	    DEFAULT_CONF);
	exit(help ? 0 : EXIT_CONFIG);
}

#ifndef PGHA_AGENTDIR
#error "PGHA_AGENTDIR is set by the Makefile (AGENTDIR)"
#endif

/*
 * Without agent_path in the cluster file: the pgha-agent next to pghad
 * (the build tree, where the lab and the tests run), else the installed
 * one in AGENTDIR (an installed pghad is in sbin, its agent is not: it is
 * no command for a user's PATH).  No environment variable is needed.
 */
static char *
default_agent_path(void)
{
	char	buf[PATH_MAX];
	char	*p;
	ssize_t	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n > 0) {
		buf[n] = '\0';
		p = xasprintf("%s/pgha-agent", dirname(buf));
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return xstrdup(PGHA_AGENTDIR "/pgha-agent");
}

static void
shutdown_done(void)
{
	log_notice("every local resource is offline: leaving the cluster");
	cluster_leave();
	loop_stop();
}

static void
signal_cb(int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo	si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (stopping) {
				log_warnx("second stop signal: leaving now, "
				    "resources as they are");
				cluster_leave();
				exit(0);
			}
			stopping = true;
			log_notice("stop signal: moving groups away and "
			    "stopping local resources");
			sdnotify_phase(SDN_STOPPING);
			local_shutdown(shutdown_done);
			break;
		case SIGUSR2:
			log_dump_ring(STDERR_FILENO);
			break;
		case SIGHUP:
			/*
			 * Every node must apply a new cluster file at the
			 * same point of the replicated state; until that
			 * exists, say so rather than drop the signal.
			 */
			log_warnx("SIGHUP: reload is not supported; restart "
			    "pghad on every node to change the cluster file");
			break;
		default:
			break;
		}
	}
}

static void
signals_init(void)
{
	sigset_t	mask;
	int		fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		fatal("sigprocmask");
	if ((fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		fatal("signalfd");
	loop_add_fd(fd, EPOLLIN, signal_cb, NULL);
}

static void
crash_handler(int sig)
{
	log_dump_ring(STDERR_FILENO);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* One pghad per node: a second one would join with the same node id. */
static void
lock_state_dir(const char *dir)
{
	char	*path = xasprintf("%s/pghad.lock", dir);
	int	 fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		log_err("%s: another pghad runs on this node?", path);
		exit(EXIT_LOCKED);
	}
	free(path);	/* fd stays open: the lock lives as long as we do */
}

static void
probed(void)
{
	log_notice("probe complete: joining the cluster");
	sdnotify_phase(SDN_JOINING);
	cluster_join();
	local_kick();
}

int
main(int argc, char *argv[])
{
	const char	*file = DEFAULT_CONF;
	struct cstate	*cs;
	int		 ch, fg = 0, check = 0, verbose = 0;

	while ((ch = getopt_long(argc, argv, "df:nvhV", long_opts, NULL))
	    != -1) {
		switch (ch) {
		case 'h':
			usage(1);
		case 'V':
			printf("pghad %s\n", PGHA_VERSION);
			exit(0);
		case 'd':
			fg = 1;
			break;
		case 'f':
			file = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage(0);
		}
	}
	if (optind != argc)
		usage(0);
	if ((conf = conf_load(file, stderr)) == NULL)
		exit(check ? 1 : EXIT_CONFIG);
	if (check) {
		if (verbose)
			conf_print(stdout, conf);
		else
			fprintf(stderr, "%s: configuration OK\n", file);
		conf_free(conf);
		return 0;
	}
	/* Not for -n: the file may be checked where the group is not. */
	if (control_conf_check(conf, stderr) == -1)
		exit(EXIT_CONFIG);
	log_init("pghad", fg, verbose);
	sdnotify_journal_init("pghad");
	signal(SIGSEGV, crash_handler);
	signal(SIGABRT, crash_handler);
	agent_path = conf->agent_path ? xstrdup(conf->agent_path) :
	    default_agent_path();
	if (access(agent_path, X_OK) < 0) {
		log_err("resource agent %s", agent_path);
		exit(EXIT_CONFIG);
	}
	loop_init();
	signals_init();
	agent_init();
	events_init(conf->state_dir);
	lock_state_dir(conf->state_dir);
	sdnotify_phase(SDN_COROSYNC);
	cs = cluster_init(conf);
	log_notice("pghad starting on %s: cluster %s, %d group(s), cluster "
	    "file sha256 %.12s", conf->nodes[cs->local].name,
	    conf->cluster_name, conf->ngroups, conf->hash);
	control_init(conf);
	/* The services get a const view and the transport's send. */
	local_init(cs, agent_path, cluster_send_record,
	    cluster_record_in_flight);
	check_init(cs, agent_path, cluster_send_msg);
	conntrack_init(cs, cluster_send_msg);
	sdnotify_start(cs);
	sdnotify_phase(SDN_PROBING);
	local_probe(probed);
	loop_run();
	control_close();
	local_free();
	conntrack_free();
	events_close();
	state_free(cs);
	conf_free(conf);
	free(agent_path);
	log_notice("pghad stopped");
	return 0;
}
