/*
 * log.h - logging for pghad and pgha-agent (bgpd's API).
 *
 * In the foreground lines go to stderr, otherwise to syslog.  Every line
 * carries a subsystem tag.  Recent lines (debug included) are kept in a
 * ring buffer, dumped by log_dump_ring() on SIGUSR2 or on a crash.
 */
#ifndef PGHA_LOG_H
#define PGHA_LOG_H

#include <stdarg.h>

#define LOG_RING_LINES	512

/*
 * foreground: 0 syslog, 1 stderr with time, ident, tag and level, or
 * LOG_BARE: stderr, the message alone (pgha-agent: pghad shows the last
 * lines of its stderr to the user as they are).
 */
#define LOG_BARE	2
void	log_init(const char *ident, int foreground, int verbose);
void	log_set_verbose(int);
void	log_set_tag(const char *);	/* borrows; subsystem of next lines */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	vlog(int, const char *, va_list) __attribute__((format(printf, 2, 0)));
void	fatal(const char *, ...) __attribute__((noreturn, format(printf, 1, 2)));
void	fatalx(const char *, ...) __attribute__((noreturn, format(printf, 1, 2)));
void	log_dump_ring(int fd);

#endif
