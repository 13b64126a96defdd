/*
 * test_log.c - every line carries the subsystem tag of the file that
 * logged it, in the flight recorder and on stderr.
 */
#define PGHA_LOG_TAG	"fence"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

/* Everything written to fd by fn(), as a string (caller frees). */
static char *
capture(int fd, void (*fn)(void))
{
	FILE	*f = tmpfile();
	int	 saved = dup(fd);
	long	 n;
	char	*s;

	if (f == NULL || saved < 0)
		abort();
	fflush(stderr);
	dup2(fileno(f), fd);
	fn();
	fflush(stderr);
	dup2(saved, fd);
	close(saved);
	n = ftell(f);
	s = calloc(1, (size_t)n + 1);
	rewind(f);
	if (s == NULL || fread(s, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	return s;
}

static void
say_notice(void)
{
	log_notice("node %d fenced", 2);
}

static void
say_warn(void)
{
	errno = ENOENT;
	log_warn("open %s", "x");
}

static void
say_err(void)
{
	errno = EMFILE;
	log_err("accept");
}

static void
dump_ring(void)
{
	log_dump_ring(STDERR_FILENO);
}

/* The journal sink's view of the last line, and what it answers. */
static char	sunk[512];
static int	sink_answer;

static int
sink(const char *tag, int pri, const char *msg)
{
	snprintf(sunk, sizeof(sunk), "%d %s %s", pri, tag, msg);
	return sink_answer;
}

static void
say_debug(void)
{
	log_debug("a debug line");
}

/* A line of stderr: "HH:MM:SS.mmm pghad[tag] level: text". */
static int
line_is(const char *out, const char *want)
{
	const char	*p = strchr(out, ' ');

	return strlen(out) > 13 && out[2] == ':' && out[5] == ':' &&
	    out[8] == '.' && p == out + 12 && strcmp(p + 1, want) == 0;
}

int
main(void)
{
	char	*out;

	log_init("pghad", 1, 0);
	out = capture(STDERR_FILENO, say_notice);
	ok(line_is(out, "pghad[fence] notice: node 2 fenced\n"),
	    "stderr line tagged [fence]: %s", out);
	free(out);

	out = capture(STDERR_FILENO, say_warn);
	ok(line_is(out, "pghad[fence] warning: open x: No such file or "
	    "directory\n"), "log_warn: a warning, with errno: %s", out);
	free(out);

	out = capture(STDERR_FILENO, say_err);
	ok(line_is(out, "pghad[fence] error: accept: Too many open files\n"),
	    "log_err: an error, with errno: %s", out);
	free(out);

	out = capture(STDERR_FILENO, dump_ring);
	ok(strstr(out, " [fence] notice: node 2 fenced\n") != NULL,
	    "flight recorder line tagged [fence]");
	free(out);

	/* A sink (the journal) takes the line with its priority and tag. */
	log_set_sink(sink);
	out = capture(STDERR_FILENO, say_notice);
	is_str(sunk, "5 fence node 2 fenced", "the sink gets priority, tag "
	    "and message");
	is_str(out, "", "and nothing goes to stderr");
	free(out);
	sunk[0] = '\0';
	out = capture(STDERR_FILENO, say_debug);
	is_str(sunk, "", "debug lines reach the sink only when verbose");
	free(out);
	/* The journal refused it: stderr with systemd's priority prefix. */
	sink_answer = -1;
	out = capture(STDERR_FILENO, say_err);
	is_str(sunk, "3 fence accept: Too many open files",
	    "log_err: priority 3 (LOG_ERR)");
	is_str(out, "<3>[fence] accept: Too many open files\n",
	    "a line the sink lost: stderr with the <N> prefix");
	free(out);
	out = capture(STDERR_FILENO, say_warn);
	is_str(out, "<4>[fence] open x: No such file or directory\n",
	    "log_warn: <4> (LOG_WARNING)");
	free(out);
	log_set_sink(NULL);
	out = capture(STDERR_FILENO, say_notice);
	ok(line_is(out, "pghad[fence] notice: node 2 fenced\n"),
	    "no sink: stderr as before: %s", out);
	free(out);
	return done_testing();
}
