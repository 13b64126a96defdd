/*
 * slurp.h - read a whole file in a unit test (header only).
 */
#ifndef PGHA_SLURP_H
#define PGHA_SLURP_H

#include <stdio.h>
#include <stdlib.h>

/* A whole file, NUL-terminated, to free(); NULL if it cannot be read. */
__attribute__((unused)) static char *
slurp(const char *path)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) < 0 ||
	    (buf = calloc(1, (size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	rewind(f);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

#endif
