/*
 * loop.c - epoll event loop with timers (see loop.h).  Modelled on Redis'
 * ae.c, with one backend.  A callback that runs longer than 200 ms is
 * reported: a stalled loop delays failover.
 */
#define PGHA_LOG_TAG	"loop"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "util.h"

#define MAX_FDS		1024
#define STALL_MS	200

struct fd_entry {
	loop_fd_cb	 cb;
	void		*arg;
	bool		 used;
};

struct loop_timer {
	uint64_t		 when;
	loop_timer_cb		 cb;
	void			*arg;
	struct loop_timer	*next;
};

static int		 epfd = -1;
static struct fd_entry	 fds[MAX_FDS];
static struct loop_timer *timers;	/* sorted by when */
static bool		 stopping;
static void		(*after_cb)(void);

void
loop_init(void)
{
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		fatal("epoll_create1");
}

int
loop_add_fd(int fd, uint32_t events, loop_fd_cb cb, void *arg)
{
	struct epoll_event	ev = { .events = events, .data.fd = fd };

	if (fd < 0 || fd >= MAX_FDS) {
		errno = EMFILE;
		return -1;
	}
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	fds[fd].cb = cb;
	fds[fd].arg = arg;
	fds[fd].used = true;
	return 0;
}

int
loop_mod_fd(int fd, uint32_t events)
{
	struct epoll_event	ev = { .events = events, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

void
loop_del_fd(int fd)
{
	if (fd < 0 || fd >= MAX_FDS || !fds[fd].used)
		return;
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	fds[fd].used = false;
}

struct loop_timer *
loop_timer_add(uint64_t ms, loop_timer_cb cb, void *arg)
{
	struct loop_timer	*t = xcalloc(1, sizeof(*t)), **pp;

	t->when = now_ms() + ms;
	t->cb = cb;
	t->arg = arg;
	for (pp = &timers; *pp && (*pp)->when <= t->when; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	return t;
}

void
loop_timer_cancel(struct loop_timer *t)
{
	struct loop_timer	**pp;

	if (t == NULL)
		return;
	for (pp = &timers; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			free(t);
			return;
		}
}

static void
run_timers(void)
{
	uint64_t		 now = now_ms();
	struct loop_timer	*t;

	while ((t = timers) != NULL && t->when <= now) {
		loop_timer_cb	 cb = t->cb;
		void		*arg = t->arg;

		timers = t->next;
		free(t);
		cb(arg);
	}
}

static void
check_stall(uint64_t start, const char *what)
{
	uint64_t	d = now_ms() - start;

	if (d > STALL_MS)
		log_warnx("event loop stalled %llu ms in %s",
		    (unsigned long long)d, what);
}

void
loop_set_after(void (*cb)(void))
{
	after_cb = cb;
}

void
loop_run(void)
{
	struct epoll_event	evs[64];
	int			n, i, timeout;

	while (!stopping) {
		timeout = -1;
		if (timers) {
			uint64_t now = now_ms();

			timeout = timers->when <= now ? 0 :
			    (int)(timers->when - now);
		}
		n = epoll_wait(epfd, evs, (int)nitems(evs), timeout);
		if (n < 0 && errno != EINTR)
			fatal("epoll_wait");
		for (i = 0; i < n; i++) {
			int		fd = evs[i].data.fd;
			uint64_t	start = now_ms();

			if (fd < 0 || fd >= MAX_FDS || !fds[fd].used)
				continue;
			fds[fd].cb(fd, evs[i].events, fds[fd].arg);
			check_stall(start, "an fd callback");
		}
		run_timers();
		if (after_cb != NULL)
			after_cb();
	}
}

void
loop_stop(void)
{
	stopping = true;
}
