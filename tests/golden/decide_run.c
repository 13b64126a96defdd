/*
 * decide_run.c - replays a golden decide scenario (tests/golden/decide/)
 * through a simulated cluster (sim.c): every node's real replica_step()
 * and decide_plan(); prints what happens in a readable form, and any
 * invariant of sim_check() that breaks.
 *
 * Usage: golden_decide FILE.scn   (output, and errors, on stdout; the
 * daemon's log lines are dropped)
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "sim.h"
#include "util.h"

static struct conf	*conf;

static void	fail(const char *, ...)
		    __attribute__((noreturn, format(printf, 1, 2)));

static void
fail(const char *fmt, ...)
{
	va_list	ap;

	printf("error: %s:%d: ", sim_path, sim_line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	exit(2);
}

/* The cluster file: "conf" ... "end" at the top of the scenario. */
static void
read_conf(FILE *f)
{
	char	*text = NULL, line[1024];
	size_t	 len = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		sim_line++;
		if (strcmp(line, "end\n") == 0) {
			conf = conf_load_buf(sim_path, text ? text : "", len,
			    stdout);
			free(text);
			if (conf == NULL)
				fail("the cluster file does not load");
			return;
		}
		text = xreallocarray(text, len + strlen(line) + 1, 1);
		memcpy(text + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	fail("conf without end");
}

/* conf FILE: a cluster file shared by scenarios (relative to theirs). */
static void
load_conf(const char *path)
{
	FILE	*f;
	char	*text;
	long	 len;

	if ((f = fopen(path, "r")) == NULL)
		fail("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = xcalloc((size_t)len + 1, 1);
	if (fread(text, 1, (size_t)len, f) != (size_t)len)
		fail("cannot read %s", path);
	fclose(f);
	conf = conf_load_buf(path, text, (size_t)len, stdout);
	free(text);
	if (conf == NULL)
		fail("%s does not load", path);
}

int
main(int argc, char **argv)
{
	FILE		*f;
	char		 line[1024];
	const char	*bad;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE.scn\n", argv[0]);
		return 2;
	}
	sim_path = argv[1];
	if ((f = fopen(sim_path, "r")) == NULL) {
		perror(sim_path);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sim_out = stdout;
	/* The daemon's log lines are not the scenario's output. */
	if (freopen("/dev/null", "w", stderr) == NULL)
		return 2;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t l = strlen(line);

		sim_line++;
		while (l > 0 && isspace((unsigned char)line[l - 1]))
			line[--l] = '\0';
		if (l == 0 || line[0] == '#') {
			if (l)
				printf("%s\n", line);
			continue;
		}
		if (strcmp(line, "conf") == 0 ||
		    strncmp(line, "conf ", 5) == 0) {
			if (conf != NULL)
				fail("a second conf");
			if (line[4] == ' ')
				load_conf(line + 5);
			else
				read_conf(f);
			printf("%s\n", line);
			sim_init(conf);
			continue;
		}
		if (conf == NULL)
			fail("the scenario starts with conf ... end");
		printf("> %s\n", line);
		sim_command(line);
		if ((bad = sim_check()) != NULL)
			printf("  INVARIANT BROKEN: %s\n", bad);
		printf("  [%s]\n", sim_clock());
	}
	fclose(f);
	sim_free();
	conf_free(conf);
	return 0;
}
