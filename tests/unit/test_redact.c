/*
 * test_redact.c - admin_redact(): what non-administrators see of causes
 * that carry a server's log lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util.h"

static void
redacts(const char *in, const char *want, const char *what)
{
	char	*got = admin_redact(in);

	is_str(got, want, "%s", what);
	free(got);
}

int
main(void)
{
	redacts("{\"cause\":\"start failed: exit 1\"}",
	    "{\"cause\":\"start failed: exit 1\"}", "no mark: unchanged");
	redacts("{\"cause\":\"exit 1: postgres exited" PGHA_ADMIN_MARK
	    "FATAL: secret \\\"x\\\" here\",\"n\":1}",
	    "{\"cause\":\"exit 1: postgres exited" PGHA_ADMIN_MARK
	    PGHA_ADMIN_WITHHELD "\",\"n\":1}",
	    "cut to the string's end, past escaped quotes");
	redacts("[\"a" PGHA_ADMIN_MARK "s1\\\\\",\"b" PGHA_ADMIN_MARK
	    "s2\",\"c\"]",
	    "[\"a" PGHA_ADMIN_MARK PGHA_ADMIN_WITHHELD "\",\"b"
	    PGHA_ADMIN_MARK PGHA_ADMIN_WITHHELD "\",\"c\"]",
	    "two strings, an escaped backslash before a quote");
	redacts("\"x" PGHA_ADMIN_MARK "unterminated",
	    "\"x" PGHA_ADMIN_MARK PGHA_ADMIN_WITHHELD,
	    "a string without its end: cut to the end");
	redacts(PGHA_ADMIN_MARK PGHA_ADMIN_MARK PGHA_ADMIN_MARK,
	    PGHA_ADMIN_MARK PGHA_ADMIN_WITHHELD,
	    "marks back to back (the output bound holds)");
	return done_testing();
}
