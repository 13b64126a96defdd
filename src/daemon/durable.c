/*
 * durable.c - small files replaced durably off the event loop (see
 * durable.h).
 *
 * The thread starts with the first change (so it inherits the signal mask
 * pghad set up: signals stay with the loop's signalfd) and is stopped and
 * joined at exit.  A mutex guards the queue and the error list; the loop
 * holds it only to swap pointers.
 */
#define PGHA_LOG_TAG	"durable"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "durable.h"
#include "log.h"
#include "loop.h"
#include "util.h"

struct job {
	char		*path;
	char		*data;		/* NULL: remove */
	struct job	*next;
};

struct failure {
	char		*msg;
	struct failure	*next;
};

static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 work_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t	 idle_cv = PTHREAD_COND_INITIALIZER;
static struct job	*queue;		/* waiting, one per path */
static struct failure	*failures;	/* not yet logged */
static bool		 busy, stopping, started, exit_hooked;
static pthread_t	 thread;
static int		 efd = -1;	/* the thread -> the loop: failures */

/* The thread: one failure, for the loop to log (mu held). */
static void
fail(const struct job *j, const char *what)
{
	struct failure	*f = xcalloc(1, sizeof(*f)), **pp;
	uint64_t	 one = 1;

	f->msg = xasprintf("%s: %s: %s", j->path, what, strerror(errno));
	for (pp = &failures; *pp; pp = &(*pp)->next)
		;
	*pp = f;
	/* If the counter is full, the loop has yet to look anyway. */
	if (efd >= 0)
		(void)!write(efd, &one, sizeof(one));
}

static int
fsync_dir(const char *path)
{
	char	*copy = xstrdup(path);
	int	 fd, r = -1;

	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1) {
		r = fsync(fd);
		close(fd);
	}
	free(copy);
	return r;
}

/* The thread: write, fsync, rename, fsync the directory; or remove. */
static const char *
run_job(const struct job *j)
{
	char	*tmp;
	size_t	 len, off = 0;
	ssize_t	 n;
	int	 fd;

	if (j->data == NULL) {
		if (unlink(j->path) == -1 && errno != ENOENT)
			return "cannot remove";
		return fsync_dir(j->path) == -1 ? "removed, but syncing its "
		    "directory failed" : NULL;
	}
	tmp = xasprintf("%s.tmp", j->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1) {
		free(tmp);
		return "cannot create its temporary file";
	}
	len = strlen(j->data);
	while (off < len) {
		if ((n = write(fd, j->data + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	if (off < len || fsync(fd) == -1) {
		close(fd);
		free(tmp);
		return "cannot write its temporary file";
	}
	close(fd);
	if (rename(tmp, j->path) == -1) {
		free(tmp);
		return "cannot rename its temporary file over it";
	}
	free(tmp);
	return fsync_dir(j->path) == -1 ? "written, but syncing its "
	    "directory failed" : NULL;
}

static void
job_free(struct job *j)
{
	free(j->path);
	free(j->data);
	free(j);
}

static void *
worker(void *arg)
{
	struct job	*j;
	const char	*why;

	pthread_mutex_lock(&mu);
	for (;;) {
		while (queue == NULL && !stopping)
			pthread_cond_wait(&work_cv, &mu);
		if ((j = queue) == NULL)
			break;		/* stopping, nothing left */
		queue = j->next;
		busy = true;
		pthread_mutex_unlock(&mu);
		why = run_job(j);
		pthread_mutex_lock(&mu);
		if (why != NULL)
			fail(j, why);
		job_free(j);
		busy = false;
		if (queue == NULL)
			pthread_cond_broadcast(&idle_cv);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* The failures the thread reported, logged by the loop. */
static int
log_failures(void)
{
	struct failure	*f, *next;
	int		 n = 0;

	pthread_mutex_lock(&mu);
	f = failures;
	failures = NULL;
	pthread_mutex_unlock(&mu);
	for (; f; f = next) {
		next = f->next;
		log_errx("%s", f->msg);
		free(f->msg);
		free(f);
		n++;
	}
	return n;
}

static void
efd_cb(int fd, uint32_t events, void *arg)
{
	uint64_t	n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("durable: eventfd");
	log_failures();
}

static void
stop_thread(void)
{
	if (!started)
		return;
	pthread_mutex_lock(&mu);
	stopping = true;
	pthread_cond_broadcast(&work_cv);
	pthread_mutex_unlock(&mu);
	pthread_join(thread, NULL);
	started = false;
	log_failures();
	if (efd >= 0) {
		loop_del_fd(efd);
		close(efd);
		efd = -1;
	}
}

/* false if there is no thread (then the caller writes in place). */
static bool
start_thread(void)
{
	int	e;

	if (efd == -1) {
		efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (efd == -1 ||
		    loop_add_fd(efd, EPOLLIN, efd_cb, NULL) == -1)
			log_warn("durable: eventfd: write failures are "
			    "logged at exit only");
	}
	stopping = false;
	if ((e = pthread_create(&thread, NULL, worker, NULL)) != 0) {
		errno = e;
		log_warn("durable: no writer thread: writing in the event "
		    "loop");
		return false;
	}
	started = true;
	if (!exit_hooked)
		atexit(stop_thread);
	exit_hooked = true;
	return true;
}

void
durable_replace(const char *path, const char *data)
{
	struct job	*j, **pp;
	const char	*why;

	if (!started && !start_thread()) {
		struct job	now = { .path = (char *)path,
				    .data = (char *)data };

		if ((why = run_job(&now)) != NULL)
			log_err("%s: %s", path, why);
		return;
	}
	pthread_mutex_lock(&mu);
	for (pp = &queue; *pp && strcmp((*pp)->path, path) != 0;
	    pp = &(*pp)->next)
		;
	if ((j = *pp) == NULL) {
		j = *pp = xcalloc(1, sizeof(*j));
		j->path = xstrdup(path);
	}
	free(j->data);
	j->data = data ? xstrdup(data) : NULL;
	pthread_cond_signal(&work_cv);
	pthread_mutex_unlock(&mu);
}

int
durable_flush(void)
{
	if (started) {
		pthread_mutex_lock(&mu);
		while (queue != NULL || busy)
			pthread_cond_wait(&idle_cv, &mu);
		pthread_mutex_unlock(&mu);
	}
	return log_failures();
}
