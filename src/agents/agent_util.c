/*
 * agent_util.c - helpers shared by the built-in agents (see agent_util.h).
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent_util.h"
#include "log.h"
#include "util.h"

/* Defaults when pghad did not pass PGHA_TIMEOUT_MS (a hand run). */
#define DEFAULT_START_MS	60000
#define DEFAULT_STOP_MS		60000
#define DEFAULT_MONITOR_MS	10000

static uint64_t	 deadline;

const char *
agent_param(const char *key)
{
	char		 name[128];
	const char	*v;

	snprintf(name, sizeof(name), AGENT_ENV_PARAM "%s", key);
	v = getenv(name);
	return v ? v : "";
}

int
agent_param_int(const char *key, long min, long max, long *out)
{
	const char	*s = agent_param(key);
	char		*end;
	long		 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		log_warnx("parameter %s: \"%s\" is not a number in %ld..%ld",
		    key, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

void
agent_deadline_init(enum agent_action act)
{
	const char	*s = getenv(AGENT_ENV_TIMEOUT_MS);
	uint64_t	 ms, margin;
	char		*end;

	ms = act == ACT_MONITOR ? DEFAULT_MONITOR_MS :
	    act == ACT_START ? DEFAULT_START_MS : DEFAULT_STOP_MS;
	if (s != NULL && *s != '\0') {
		unsigned long long v = strtoull(s, &end, 10);

		if (*end == '\0' && v > 0 && v < 24ULL * 3600 * 1000)
			ms = v;
	}
	/* Leave pghad a tenth (at most 1 s) to see our answer. */
	margin = ms / 10;
	if (margin > 1000)
		margin = 1000;
	deadline = now_ms() + ms - margin;
}

uint64_t
agent_deadline(void)
{
	return deadline;
}

uint64_t
agent_remaining_ms(void)
{
	uint64_t	now = now_ms();

	return now >= deadline ? 0 : deadline - now;
}

void
agent_sleep_ms(unsigned ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
agent_readlink(const char *path, char *buf, size_t len)
{
	ssize_t	n;

	n = readlink(path, buf, len);
	if (n < 0)
		return -1;
	if ((size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

bool
agent_path_under(const char *path, const char *dir)
{
	size_t	n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/' || path[n] == ' ');
}

int
agent_proc_foreach(int (*fn)(pid_t, void *), void *arg)
{
	DIR		*d;
	struct dirent	*de;
	pid_t		 self = getpid();
	int		 r = 0;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while (r == 0 && (de = readdir(d)) != NULL) {
		char	*end;
		long	 pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 0 || pid == self)
			continue;
		r = fn((pid_t)pid, arg);
	}
	closedir(d);
	return r;
}

void
agent_proc_comm(pid_t pid, char *buf, size_t len)
{
	char	path[64];
	int	fd;
	ssize_t	n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	snprintf(buf, len, "?");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0) {
		snprintf(buf, len, "?");
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int
agent_wait_child(pid_t pid, uint64_t until, int *status)
{
	for (;;) {
		pid_t	r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r == -1 && errno != EINTR)
			return 0;	/* not ours any more: treat as gone */
		if (now_ms() >= until)
			return -1;
		agent_sleep_ms(10);
	}
}

void
agent_tail_file(const char *path, int n, uid_t uid, gid_t gid)
{
	char	 buf[8192];
	int	 fd, lines = 0;
	off_t	 size, from;
	ssize_t	 len, i;

	if ((fd = agent_open_safe(path, O_RDONLY, 0, uid, gid, NULL)) == -1)
		return;
	size = lseek(fd, 0, SEEK_END);
	from = size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 :
	    0;
	len = pread(fd, buf, sizeof(buf) - 1, from);
	close(fd);
	if (len <= 0)
		return;
	buf[len] = '\0';
	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	for (i = len - 1; i >= 0; i--) {
		if (buf[i] == '\n' && ++lines == n)
			break;
	}
	/* A server's log is for administrators only (pghad keeps it so). */
	for (char *l = buf + i + 1, *nl; l != NULL; l = nl) {
		if ((nl = strchr(l, '\n')) != NULL)
			*nl++ = '\0';
		log_warnx("%s%s", AGENT_ERR_ADMIN_LINE, l);
	}
}

uint32_t
agent_csum_add(uint32_t sum, const void *p, size_t n)
{
	const uint8_t	*b = p;
	size_t		 i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)(b[n - 1] << 8);
	return sum;
}

uint16_t
agent_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Root's and writable by root only (sticky too if last is false). */
static bool
dir_root_only(const struct stat *st, bool last)
{
	if (st->st_uid != 0)
		return false;
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return true;
	/* In a sticky directory only root may replace root's entries. */
	return !last && (st->st_mode & S_ISVTX) != 0;
}

/*
 * Walk the canonical parent of path from / without following links;
 * return its fd and whether every directory on the way is trusted.
 */
static int
open_parent(const char *path, char *base, size_t baselen, bool *trusted)
{
	char		 dir[PATH_MAX], canon[PATH_MAX], *slash, *comp, *save;
	struct stat	 st;
	int		 fd, next;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash[1] == '\0') {
		errno = EINVAL;
		return -1;
	}
	snprintf(base, baselen, "%s", slash + 1);
	slash[slash == dir ? 1 : 0] = '\0';
	if (realpath(dir, canon) == NULL)
		return -1;
	if ((fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	*trusted = true;
	comp = strtok_r(canon, "/", &save);
	for (;;) {
		if (fstat(fd, &st) == -1) {
			close(fd);
			return -1;
		}
		if (!dir_root_only(&st, comp == NULL))
			*trusted = false;
		if (comp == NULL)
			return fd;
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		close(fd);
		if (next == -1)
			return -1;	/* swapped for a link meanwhile */
		fd = next;
		comp = strtok_r(NULL, "/", &save);
	}
}

/* Effective ids of uid/gid (only gid as group) or back to root. */
static int
become(bool user, uid_t uid, gid_t gid)
{
	if (user)
		return setgroups(1, &gid) == -1 || setegid(gid) == -1 ||
		    seteuid(uid) == -1 ? -1 : 0;
	return seteuid(0) == -1 || setegid(0) == -1 ||
	    setgroups(0, NULL) == -1 ? -1 : 0;
}

int
agent_open_safe(const char *path, int flags, mode_t mode, uid_t uid,
    gid_t gid, bool *as_root)
{
	char		 base[NAME_MAX + 1];
	struct stat	 st;
	bool		 trusted = false, drop;
	int		 dfd, fd, e;

	if ((dfd = open_parent(path, base, sizeof(base), &trusted)) == -1) {
		log_warn("%s: cannot open its directory (no link followed "
		    "on the way)", path);
		return -1;
	}
	drop = !trusted && geteuid() == 0 && uid != 0;
	if (drop && become(true, uid, gid) == -1) {
		log_warn("%s: cannot become uid %d", path, (int)uid);
		close(dfd);
		return -1;
	}
	fd = openat(dfd, base, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	    mode);
	e = errno;
	if (drop && become(false, 0, 0) == -1)
		abort();	/* we would go on with the wrong ids */
	close(dfd);
	if (fd == -1) {
		errno = e;
		if (e == ELOOP)
			log_warnx("%s is a symbolic link: refused (remove it; "
			    "pgha opens this file itself)", path);
		else
			log_warn("open %s%s", path, drop ?
			    " (as the server's user)" : "");
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1) {
		log_warnx("%s is not a regular file with a single link: "
		    "refused (remove it; pgha opens this file itself)", path);
		close(fd);
		errno = EINVAL;
		return -1;
	}
	/* O_NONBLOCK was for a FIFO's open only. */
	if ((e = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, e & ~O_NONBLOCK);
	if (as_root != NULL)
		*as_root = !drop;
	return fd;
}
