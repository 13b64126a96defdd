/*
 * log.h - logging for pghad and pgha-agent (bgpd's API).
 *
 * In the foreground lines go to stderr, otherwise to syslog, or to a sink
 * (pghad's journal writer) when one is set.  Every line
 * carries the subsystem tag of the file that logged it, as Corosync's do:
 * a file names its subsystem with
 *
 *	#define PGHA_LOG_TAG "fence"
 *
 * before its first #include, and the log functions below are macros that
 * pass that tag ("main" in a file that does not define one).  Recent lines
 * (debug included) are kept in a ring buffer, dumped by log_dump_ring() on
 * SIGUSR2 or on a crash.
 */
#ifndef PGHA_LOG_H
#define PGHA_LOG_H

#include <stdarg.h>

#ifndef PGHA_LOG_TAG
#define PGHA_LOG_TAG	"main"
#endif

#define LOG_RING_LINES	512

/*
 * foreground: 0 syslog, 1 stderr with time, ident, tag and level, or
 * LOG_BARE: stderr, the message alone (pgha-agent: pghad shows the last
 * lines of its stderr to the user as they are).
 */
#define LOG_BARE	2
void	log_init(const char *ident, int foreground, int verbose);
void	log_set_verbose(int);
void	log_dump_ring(int fd);

/*
 * A sink that takes every line (debug ones only when verbose) instead of
 * stderr or syslog: pghad's journal writer (sdnotify.c).  tag and msg are
 * borrowed for the call; pri is syslog's.  A sink that returns -1 has
 * lost the line: it goes to stderr with the "<pri>" prefix that systemd
 * reads on a stream connected to the journal.  NULL: no sink.  log.c
 * does not link libsystemd: the programs that do not need it stay free
 * of it.
 */
typedef int	(*log_sink_fn)(const char *tag, int pri, const char *msg);
void	log_set_sink(log_sink_fn);

/*
 * The functions behind the macros; tag is borrowed (a string literal).
 * log_err: an error (LOG_ERR) with strerror(errno) appended;
 * log_warn: a warning (LOG_WARNING) with strerror(errno) appended;
 * log_warnx: a warning without errno; fatal/fatalx log at LOG_CRIT and
 * exit(1).
 */
void	log_tag_err(const char *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_tag_warn(const char *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_tag_pri(const char *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	vlog(const char *, int, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));
void	log_tag_fatal(const char *, const char *, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));
void	log_tag_fatalx(const char *, const char *, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));

/* syslog.h's priorities, without making every file include syslog.h */
#define PGHA_LOG_ERR_	3
#define PGHA_LOG_WARNING_ 4
#define PGHA_LOG_NOTICE_ 5
#define PGHA_LOG_INFO_	6
#define PGHA_LOG_DEBUG_	7

#define log_err(...)	log_tag_err(PGHA_LOG_TAG, __VA_ARGS__)
#define log_warn(...)	log_tag_warn(PGHA_LOG_TAG, __VA_ARGS__)
#define log_warnx(...)	log_tag_pri(PGHA_LOG_TAG, PGHA_LOG_WARNING_, \
			    __VA_ARGS__)
#define log_errx(...)	log_tag_pri(PGHA_LOG_TAG, PGHA_LOG_ERR_, __VA_ARGS__)
#define log_notice(...)	log_tag_pri(PGHA_LOG_TAG, PGHA_LOG_NOTICE_, \
			    __VA_ARGS__)
#define log_info(...)	log_tag_pri(PGHA_LOG_TAG, PGHA_LOG_INFO_, __VA_ARGS__)
#define log_debug(...)	log_tag_pri(PGHA_LOG_TAG, PGHA_LOG_DEBUG_, \
			    __VA_ARGS__)
#define fatal(...)	log_tag_fatal(PGHA_LOG_TAG, __VA_ARGS__)
#define fatalx(...)	log_tag_fatalx(PGHA_LOG_TAG, __VA_ARGS__)

#endif
