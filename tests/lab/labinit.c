/*
 * labinit.c - PID 1 of a lab node (tests/lab/lab).
 *
 * A lab node is a network namespace plus mount, PID, UTS and IPC namespaces
 * created by `unshare -m -p -u -i -f --mount-proc`; this program is what
 * unshare runs in them.  It makes the node look like a freshly booted host:
 * its own hostname, private tmpfs on the paths where daemons keep runtime
 * state (/run, /tmp, /dev/shm, /var/lib/corosync, /var/log/corosync), and
 * the node's persistent /var/lib/pgha bind-mounted from a per-node host
 * directory, so pghad's event log survives a power loss.
 *
 * Then it does what an init must: reap every orphan at once.  A PID 1 that
 * reaps late leaves zombies that any check by pid takes for live processes.
 * SIGKILL from the host is the lab's power loss: the kernel then kills every
 * process of the PID namespace.  SIGTERM is an orderly shutdown: TERM to
 * everything, wait up to 5 s, then KILL.
 *
 * usage: pgha-labinit NAME [NODEDIR]
 *	NODEDIR defaults to /var/tmp/pgha-lab/NAME.  When the node is set up,
 *	NODEDIR/labinit.ready is written; the lab script waits for it.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SHUTDOWN_GRACE_S	5

static const char *tmpfs_dirs[] = {
	"/run", "/tmp", "/dev/shm", "/var/lib/corosync", "/var/log/corosync",
};

static void
mkdir_p(const char *path, mode_t mode)
{
	char	 buf[4096];
	char	*p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		errx(1, "path too long: %s", path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) == -1 && errno != EEXIST)
			err(1, "mkdir %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		err(1, "mkdir %s", buf);
}

/*
 * Debian's PostgreSQL puts its socket in /var/run/postgresql, which a host
 * gets from tmpfiles.d at boot; our /run is a fresh tmpfs, so do the same.
 */
static void
make_run_postgresql(void)
{
	struct passwd	*pw;

	if ((pw = getpwnam("postgres")) == NULL)
		return;
	mkdir_p("/run/postgresql", 02775);
	if (chown("/run/postgresql", pw->pw_uid, pw->pw_gid) == -1)
		err(1, "chown /run/postgresql");
	if (chmod("/run/postgresql", 02775) == -1)
		err(1, "chmod /run/postgresql");
}

static void
setup_node(const char *name, const char *nodedir)
{
	char	 persist[4096], ready[4096];
	size_t	 i;
	int	 fd;

	if (sethostname(name, strlen(name)) == -1)
		err(1, "sethostname %s", name);
	/* unshare --propagation private did this; do not rely on it. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		err(1, "make / private");
	for (i = 0; i < sizeof(tmpfs_dirs) / sizeof(tmpfs_dirs[0]); i++) {
		mkdir_p(tmpfs_dirs[i], 0755);
		if (mount("tmpfs", tmpfs_dirs[i], "tmpfs", MS_NOSUID | MS_NODEV,
		    "mode=0755") == -1)
			err(1, "mount tmpfs on %s", tmpfs_dirs[i]);
	}
	if (chmod("/tmp", 01777) == -1 || chmod("/dev/shm", 01777) == -1)
		err(1, "chmod tmp dirs");
	make_run_postgresql();

	if (snprintf(persist, sizeof(persist), "%s/var-lib-pgha",
	    nodedir) >= (int)sizeof(persist))
		errx(1, "node dir too long");
	mkdir_p(persist, 0700);
	mkdir_p("/var/lib/pgha", 0700);
	if (mount(persist, "/var/lib/pgha", NULL, MS_BIND, NULL) == -1)
		err(1, "bind %s on /var/lib/pgha", persist);

	if (snprintf(ready, sizeof(ready), "%s/labinit.ready",
	    nodedir) >= (int)sizeof(ready))
		errx(1, "node dir too long");
	if ((fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		err(1, "open %s", ready);
	dprintf(fd, "%s\n", name);
	close(fd);
}

/* Reap every child that has exited; 1 if no child is left. */
static int
reap_all(void)
{
	pid_t	pid;

	for (;;) {
		pid = waitpid(-1, NULL, WNOHANG);
		if (pid > 0)
			continue;
		if (pid == -1 && errno == EINTR)
			continue;
		return pid == -1 && errno == ECHILD;
	}
}

static void __attribute__((noreturn))
shutdown_node(const sigset_t *set)
{
	struct timespec	 deadline, now, left;
	siginfo_t	 si;

	/* In a PID namespace kill(-1) from its init spares only the init. */
	kill(-1, SIGTERM);
	kill(-1, SIGCONT);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += SHUTDOWN_GRACE_S;
	while (!reap_all()) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > deadline.tv_sec || (now.tv_sec ==
		    deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)) {
			kill(-1, SIGKILL);
			reap_all();
			break;
		}
		left.tv_sec = deadline.tv_sec - now.tv_sec;
		left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		(void)sigtimedwait(set, &si, &left);
	}
	exit(0);
}

int
main(int argc, char *argv[])
{
	sigset_t	 all;
	siginfo_t	 si;
	char		 defdir[1024];
	const char	*nodedir;
	int		 sig;

	if (argc < 2 || argc > 3)
		errx(2, "usage: pgha-labinit NAME [NODEDIR]");
	/* Block first: a SIGTERM during set-up must not be lost. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	if (getpid() != 1)
		warnx("not PID 1 of a PID namespace (pid %d)", (int)getpid());
	if (argc == 3)
		nodedir = argv[2];
	else {
		if (snprintf(defdir, sizeof(defdir), "/var/tmp/pgha-lab/%s",
		    argv[1]) >= (int)sizeof(defdir))
			errx(1, "name too long");
		nodedir = defdir;
	}
	setup_node(argv[1], nodedir);
	/* The lab's caller may have left pipes open to us. */
	closefrom(3);

	for (;;) {
		sig = sigwaitinfo(&all, &si);
		if (sig == -1)
			continue;
		if (sig == SIGCHLD)
			reap_all();
		else if (sig == SIGTERM || sig == SIGINT)
			shutdown_node(&all);
	}
}
