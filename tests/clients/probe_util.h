/*
 * probe_util.h - what the C probes (libpq, ECPG, ODBC) share: a monotonic
 * clock, JSON string output, the stop file and the tally of failure codes
 * of the loop mode.  Header-only: each probe is one program.
 *
 * A probe runs one situation of the guide's section 5.3 and prints ONE
 * JSON line on stdout with what the driver returned; progress goes to
 * stderr ("ready", "ok", "err CODE") so that a test can wait on it.
 */
#ifndef PROBE_UTIL_H
#define PROBE_UTIL_H

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROBE_MAX_CODES	16

static long long
probe_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "key":"value" with JSON escapes; NULL prints null. */
static void
json_str(FILE *f, const char *key, const char *val)
{
	const unsigned char *p;

	fprintf(f, "\"%s\":", key);
	if (val == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (p = (const unsigned char *)val; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static int
stop_requested(const char *stopfile)
{
	return stopfile != NULL && access(stopfile, F_OK) == 0;
}

/* The loop mode's tally: how often each failure code was seen. */
struct tally {
	int	 n;
	char	 code[PROBE_MAX_CODES][48];
	int	 count[PROBE_MAX_CODES];
	char	 example[PROBE_MAX_CODES][256];
	int	 ok, failures, ok_after_last_failure;
};

static void
tally_fail(struct tally *t, const char *code, const char *msg)
{
	int	 i;

	t->failures++;
	t->ok_after_last_failure = 0;
	fprintf(stderr, "err %s\n", code);
	for (i = 0; i < t->n; i++)
		if (strcmp(t->code[i], code) == 0) {
			t->count[i]++;
			return;
		}
	if (t->n == PROBE_MAX_CODES)
		return;
	snprintf(t->code[t->n], sizeof(t->code[0]), "%s", code);
	snprintf(t->example[t->n], sizeof(t->example[0]), "%s",
	    msg ? msg : "");
	t->count[t->n++] = 1;
}

static void
tally_ok(struct tally *t)
{
	t->ok++;
	t->ok_after_last_failure++;
	fputs("ok\n", stderr);
}

/* ,"ok":N,"failures":N,"ok_after_last_failure":N,"codes":{..},"examples":{..} */
static void
tally_json(FILE *f, const struct tally *t)
{
	int	 i;

	fprintf(f, ",\"ok\":%d,\"failures\":%d,\"ok_after_last_failure\":%d,"
	    "\"codes\":{", t->ok, t->failures, t->ok_after_last_failure);
	for (i = 0; i < t->n; i++)
		fprintf(f, "%s\"%s\":%d", i ? "," : "", t->code[i],
		    t->count[i]);
	fputs("},\"examples\":{", f);
	for (i = 0; i < t->n; i++) {
		if (i)
			fputc(',', f);
		json_str(f, t->code[i], t->example[i]);
	}
	fputc('}', f);
}

/* The drivers' messages span lines; one line reads better in JSON. */
static void
one_line(char *s)
{
	size_t	 n;

	if (s == NULL)
		return;
	for (n = 0; s[n] != '\0'; n++)
		if (s[n] == '\n' || s[n] == '\r' || s[n] == '\t')
			s[n] = ' ';
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
}

/* What each C probe defines: one situation, one JSON line on stdout. */
static int	run_inflight(const char *situation, const char *host);
static int	run_connect(const char *situation, const char *host);
static int	run_loop(const char *situation, const char *host,
		    const char *stopfile);

/* The probes' main(): the mode from the command line. */
static int
probe_main(int argc, char **argv)
{
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (argc == 4 && strcmp(argv[1], "inflight") == 0)
		return run_inflight(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "connect") == 0)
		return run_connect(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "loop") == 0)
		return run_loop(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: probe inflight|connect SITUATION HOST\n"
	    "       probe loop SITUATION HOST STOPFILE\n");
	return 2;
}

#endif
