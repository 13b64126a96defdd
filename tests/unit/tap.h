/*
 * tap.h - a tiny TAP producer for the unit tests: ok(), is_int(),
 * is_str(), diag() and done_testing(), which prints the plan and returns
 * the exit status (1 if any assertion failed).  Header-only so that each
 * test program stays one file.
 */
#ifndef PGHA_TAP_H
#define PGHA_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int	tap_count;
static int	tap_failed;

__attribute__((unused, format(printf, 2, 0))) static int
tap_vok(int cond, const char *fmt, va_list ap)
{
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

__attribute__((unused, format(printf, 2, 3))) static int
ok(int cond, const char *fmt, ...)
{
	va_list	ap;
	int	r;

	va_start(ap, fmt);
	r = tap_vok(cond, fmt, ap);
	va_end(ap);
	return r;
}

/* A "# " comment line: TAP consumers show it, never count it. */
__attribute__((unused, format(printf, 1, 2))) static void
diag(const char *fmt, ...)
{
	va_list	ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

__attribute__((unused, format(printf, 3, 4))) static int
is_int(long long got, long long want, const char *fmt, ...)
{
	va_list	ap;
	int	r;

	va_start(ap, fmt);
	r = tap_vok(got == want, fmt, ap);
	va_end(ap);
	if (!r)
		diag("got %lld, want %lld", got, want);
	return r;
}

__attribute__((unused, format(printf, 3, 4))) static int
is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list	ap;
	int	r;

	va_start(ap, fmt);
	r = tap_vok(got != NULL && want != NULL ? strcmp(got, want) == 0 :
	    got == want, fmt, ap);
	va_end(ap);
	if (!r) {
		diag("got:  \"%s\"", got ? got : "(null)");
		diag("want: \"%s\"", want ? want : "(null)");
	}
	return r;
}

/* Print the plan; the test's exit status. */
__attribute__((unused)) static int
done_testing(void)
{
	printf("1..%d\n", tap_count);
	if (tap_failed)
		diag("%d of %d failed", tap_failed, tap_count);
	return tap_failed ? 1 : 0;
}

#endif
