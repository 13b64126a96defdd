/*
 * log.c - logging (see log.h).  Modelled on OpenBSD bgpd's log.c, plus a
 * Corosync-style flight recorder of the most recent lines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int	 log_fg = 1;
static int	 log_verbose;
static const char *log_ident = "pgha";
static log_sink_fn log_sink;

static char	 ring[LOG_RING_LINES][256];
static unsigned	 ring_next;

_Static_assert(PGHA_LOG_ERR_ == LOG_ERR && PGHA_LOG_WARNING_ == LOG_WARNING &&
    PGHA_LOG_NOTICE_ == LOG_NOTICE && PGHA_LOG_INFO_ == LOG_INFO &&
    PGHA_LOG_DEBUG_ == LOG_DEBUG, "log.h's priorities are syslog's");

void
log_init(const char *ident, int foreground, int verbose)
{
	log_ident = ident;
	log_fg = foreground;
	log_verbose = verbose;
	if (!log_fg)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_set_verbose(int v)
{
	log_verbose = v;
}

void
log_set_sink(log_sink_fn fn)
{
	log_sink = fn;
}

static const char *
prio_name(int pri)
{
	switch (pri) {
	case LOG_CRIT:
		return "crit";
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void
vlog(const char *tag, int pri, const char *fmt, va_list ap)
{
	char		 msg[1024], stamp[32];
	struct timespec	 ts;
	struct tm	 tm;
	size_t		 n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* one line each: libpq's messages end in a newline of their own */
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	snprintf(ring[ring_next++ % LOG_RING_LINES], sizeof(ring[0]),
	    "%s.%03ld [%s] %s: %s", stamp, ts.tv_nsec / 1000000, tag,
	    prio_name(pri), msg);
	if (pri == LOG_DEBUG && !log_verbose)
		return;
	if (log_sink != NULL) {
		if (log_sink(tag, pri, msg) == -1) {
			fprintf(stderr, "<%d>[%s] %s\n", pri, tag, msg);
			fflush(stderr);
		}
	} else if (log_fg == LOG_BARE) {
		fprintf(stderr, "%s\n", msg);
		fflush(stderr);
	} else if (log_fg) {
		fprintf(stderr, "%s.%03ld %s[%s] %s: %s\n", stamp,
		    ts.tv_nsec / 1000000, log_ident, tag,
		    prio_name(pri), msg);
		fflush(stderr);
	} else
		syslog(pri, "[%s] %s", tag, msg);
}

static void	logit(const char *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
logit(const char *tag, int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(tag, pri, fmt, ap);
	va_end(ap);
}

static void	vlog_errno(const char *, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

/* "message: strerror(errno)" at pri; errno is kept. */
static void
vlog_errno(const char *tag, int pri, const char *emsg, va_list ap)
{
	char	 buf[1024];
	int	 saved = errno;

	vsnprintf(buf, sizeof(buf), emsg, ap);
	logit(tag, pri, "%s: %s", buf, strerror(saved));
	errno = saved;
}

void
log_tag_err(const char *tag, const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vlog_errno(tag, LOG_ERR, emsg, ap);
	va_end(ap);
}

void
log_tag_warn(const char *tag, const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vlog_errno(tag, LOG_WARNING, emsg, ap);
	va_end(ap);
}

void
log_tag_pri(const char *tag, int pri, const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vlog(tag, pri, emsg, ap);
	va_end(ap);
}

void
log_dump_ring(int fd)
{
	unsigned	i;
	const char	hdr[] = "--- pgha flight recorder (oldest first) ---\n";

	if (write(fd, hdr, sizeof(hdr) - 1) < 0)
		return;
	for (i = 0; i < LOG_RING_LINES; i++) {
		const char *l = ring[(ring_next + i) % LOG_RING_LINES];

		if (l[0] == '\0')
			continue;
		if (write(fd, l, strlen(l)) < 0 || write(fd, "\n", 1) < 0)
			return;
	}
}

void
log_tag_fatal(const char *tag, const char *emsg, ...)
{
	char	 buf[1024];
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, emsg);
	vsnprintf(buf, sizeof(buf), emsg, ap);
	va_end(ap);
	logit(tag, LOG_CRIT, "fatal: %s: %s", buf, strerror(saved));
	exit(1);
}

void
log_tag_fatalx(const char *tag, const char *emsg, ...)
{
	va_list	ap;
	char	buf[1024];

	va_start(ap, emsg);
	vsnprintf(buf, sizeof(buf), emsg, ap);
	va_end(ap);
	logit(tag, LOG_CRIT, "fatal: %s", buf);
	exit(1);
}
