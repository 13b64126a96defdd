/*
 * fuzz_conf.c - libFuzzer harness of the configuration parser.
 *
 * Any input must be parsed or rejected without a crash, a leak or a read
 * past its length.  An accepted input must print to a canonical text that
 * parses again to the same text; that text (which gives every key) hashes
 * the same when printed again; and its groups must hold every resource
 * once, each after what it requires.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char *
print_str(const struct conf *c, size_t *len)
{
	char	*buf = NULL;
	FILE	*f = open_memstream(&buf, len);

	if (f == NULL)
		abort();
	conf_print(f, c);
	if (fclose(f) != 0)
		abort();
	return buf;
}

/* Every resource in exactly one group, after all it requires. */
static void
check_order(const struct conf *c)
{
	char	*pos = calloc(c->nresources + 1, 1);
	int	 g, i, j, total = 0;

	if (pos == NULL)
		abort();
	for (g = 0; g < c->ngroups; g++) {
		for (i = 0; i < c->groups[g].nres; i++) {
			const struct conf_resource *r = c->groups[g].res[i];

			if (pos[r->index] || r->group != &c->groups[g])
				abort();
			for (j = 0; j < r->nrequires; j++)
				if (!pos[r->requires[j]->index])
					abort();
			pos[r->index] = 1;
			total++;
		}
	}
	if (total != c->nresources)
		abort();
	free(pos);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	*a, *b, *c;
	char		*ta, *tb;
	size_t		 la, lb;

	a = conf_load_buf("fuzz.conf", (const char *)data, size, NULL);
	if (a == NULL)
		return 0;
	check_order(a);
	ta = print_str(a, &la);
	b = conf_load_buf("printed.conf", ta, la, stderr);
	if (b == NULL)
		abort();	/* the canonical form must parse */
	tb = print_str(b, &lb);
	if (la != lb || memcmp(ta, tb, la) != 0)
		abort();
	/* The hash is of the keys given: the printed form gives them all. */
	if ((c = conf_load_buf("printed.conf", tb, lb, stderr)) == NULL ||
	    strcmp(b->hash, c->hash) != 0 ||
	    strcmp(a->hash_prev, b->hash_prev) != 0)
		abort();
	free(ta);
	free(tb);
	conf_free(a);
	conf_free(b);
	conf_free(c);
	return 0;
}
