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
static const char *log_tag = "main";

static char	 ring[LOG_RING_LINES][256];
static unsigned	 ring_next;

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
log_set_tag(const char *tag)
{
	log_tag = tag ? tag : "main";
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
vlog(int pri, const char *fmt, va_list ap)
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
	    "%s.%03ld [%s] %s: %s", stamp, ts.tv_nsec / 1000000, log_tag,
	    prio_name(pri), msg);
	if (pri == LOG_DEBUG && !log_verbose)
		return;
	if (log_fg == LOG_BARE) {
		fprintf(stderr, "%s\n", msg);
		fflush(stderr);
	} else if (log_fg) {
		fprintf(stderr, "%s.%03ld %s[%s] %s: %s\n", stamp,
		    ts.tv_nsec / 1000000, log_ident, log_tag,
		    prio_name(pri), msg);
		fflush(stderr);
	} else
		syslog(pri, "[%s] %s", log_tag, msg);
}

static void	logit(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
logit(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *emsg, ...)
{
	char	 buf[1024];
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, emsg);
	vsnprintf(buf, sizeof(buf), emsg, ap);
	va_end(ap);
	logit(LOG_ERR, "%s: %s", buf, strerror(saved));
	errno = saved;
}

#define LOGFN(name, pri)				\
void							\
name(const char *emsg, ...)				\
{							\
	va_list	ap;					\
							\
	va_start(ap, emsg);				\
	vlog(pri, emsg, ap);				\
	va_end(ap);					\
}

LOGFN(log_warnx, LOG_WARNING)
LOGFN(log_notice, LOG_NOTICE)
LOGFN(log_info, LOG_INFO)
LOGFN(log_debug, LOG_DEBUG)

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
fatal(const char *emsg, ...)
{
	char	 buf[1024];
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, emsg);
	vsnprintf(buf, sizeof(buf), emsg, ap);
	va_end(ap);
	logit(LOG_CRIT, "fatal: %s: %s", buf, strerror(saved));
	exit(1);
}

void
fatalx(const char *emsg, ...)
{
	va_list	ap;
	char	buf[1024];

	va_start(ap, emsg);
	vsnprintf(buf, sizeof(buf), emsg, ap);
	va_end(ap);
	logit(LOG_CRIT, "fatal: %s", buf);
	exit(1);
}
