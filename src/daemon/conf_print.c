/*
 * conf_print.c - the canonical text of a loaded configuration (pghad -nv):
 * every key from the table in table order, defaults written out, so that
 * the output parses back to the same conf.  Also the pieces of the text
 * the cluster file's hash is of (conf.c conf_set_hash()): the keys the
 * file gives, normalised, and the previous release's canonical text.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_keys.h"

/* Print a duration in its largest exact unit. */
void
conf_fmt_dur(char *buf, size_t len, uint32_t ms)
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(buf, len, "%uh", ms / 3600000);
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(buf, len, "%um", ms / 60000);
	else if (ms != 0 && ms % 1000 == 0)
		snprintf(buf, len, "%us", ms / 1000);
	else
		snprintf(buf, len, "%ums", ms);
}

/* Print one key of obj (of section k->sect); unset values are left out. */
static void
print_key(FILE *f, const struct conf_key *k, const void *obj)
{
	const char			*fld = (const char *)obj + k->off;
	const struct conf_group		*g = obj;
	const struct conf_resource	*r = obj;
	char				 dur[32];
	int				 i;

	switch (k->vtype) {
	case CV_NODES: {
		bool			 pos = strcmp(k->name,
					    "possible_owners") == 0;
		struct conf_node	**list = pos ? g->possible :
					    g->preferred;
		int			 nlist = pos ? g->npossible :
					    g->npreferred;

		if (nlist == 0)
			return;
		fprintf(f, "%s =", k->name);
		for (i = 0; i < nlist; i++)
			fprintf(f, " %s", list[i]->name);
		fputc('\n', f);
		return;
	}
	case CV_RESLIST:
		if (r->nrequires == 0)
			return;
		fprintf(f, "%s =", k->name);
		for (i = 0; i < r->nrequires; i++)
			fprintf(f, " %s", r->requires[i]->name);
		fputc('\n', f);
		return;
	case CV_GROUPREF:
		fprintf(f, "%s = %s\n", k->name, r->group->name);
		return;
	case CV_RTYPE:
		fprintf(f, "%s = %s\n", k->name, r->type_name);
		return;
	case CV_BOOL:
		fprintf(f, "%s = %s\n", k->name, *(const bool *)fld ? "yes" :
		    "no");
		return;
	case CV_DUR:
		conf_fmt_dur(dur, sizeof(dur), *(const uint32_t *)fld);
		fprintf(f, "%s = %s\n", k->name, dur);
		return;
	case CV_INT:
		if (k->sect == CS_NODE)
			fprintf(f, "%s = %u\n", k->name,
			    *(const uint32_t *)fld);
		else if ((k->flags & CK_AUTO) && *(const int *)fld < 0)
			fprintf(f, "%s = auto\n", k->name);
		else
			fprintf(f, "%s = %d\n", k->name, *(const int *)fld);
		return;
	default:
		if (*(char *const *)fld != NULL)
			fprintf(f, "%s = %s\n", k->name,
			    *(char *const *)fld);
		return;
	}
}

/*
 * The previous release (7ef9114) wrote this default into its canonical
 * text, so into its hash; since then bindir comes from PG_VERSION.
 */
#define PREV_PG_BINDIR	"/usr/lib/postgresql/15/bin"

static void
print_section(FILE *f, int sect, const char *name, const void *obj,
    bool prev)
{
	const struct conf_resource	*r = obj;
	size_t				 i;
	int				 j;

	if (name != NULL)
		fprintf(f, "\n[%s %s]\n", conf_sect_names[sect], name);
	else
		fprintf(f, "[%s]\n", conf_sect_names[sect]);
	for (i = 0; i < conf_nkeys; i++)
		if ((int)conf_keys[i].sect == sect &&
		    conf_keys[i].rtype == CK_ANY_TYPE)
			print_key(f, &conf_keys[i], obj);
	if (sect != CS_RESOURCE)
		return;
	/* params are in table order already; empty ones cannot be written */
	for (j = 0; j < r->nparams; j++)
		if (r->params[j].value != NULL && *r->params[j].value != '\0')
			fprintf(f, "%s%s = %s\n", r->type == RT_OCF ?
			    CONF_OCF_PARAM : "", r->params[j].key,
			    r->params[j].value);
		else if (prev && r->type == RT_POSTGRESQL &&
		    strcmp(r->params[j].key, "bindir") == 0)
			fprintf(f, "bindir = %s\n", PREV_PG_BINDIR);
}

static void
print_all(FILE *f, const struct conf *c, bool prev)
{
	int	i;

	print_section(f, CS_CLUSTER, NULL, c, prev);
	for (i = 0; i < c->nnodes; i++)
		print_section(f, CS_NODE, c->nodes[i].name, &c->nodes[i],
		    prev);
	for (i = 0; i < c->ngroups; i++)
		print_section(f, CS_GROUP, c->groups[i].name, &c->groups[i],
		    prev);
	for (i = 0; i < c->nresources; i++)
		print_section(f, CS_RESOURCE, c->resources[i].name,
		    &c->resources[i], prev);
}

void
conf_print(FILE *f, const struct conf *c)
{
	print_all(f, c, false);
}

void
conf_print_prev(FILE *f, const struct conf *c)
{
	print_all(f, c, true);
}

/*
 * One key the file gives, as "key = value" with the value as parsed
 * (durations in their largest unit, paths normalised, numbers in
 * decimal, names resolved): the same whatever the defaults of this
 * version.  A type-specific parameter's value is the one given.
 */
void
conf_print_given(FILE *f, int sect, const char *key, const void *obj)
{
	const struct conf_resource	*r = obj;
	const struct conf_key		*k = NULL;
	const char			*v;
	size_t				 i, pl = strlen(CONF_OCF_PARAM);

	if (sect == CS_RESOURCE && r->type == RT_OCF &&
	    strncmp(key, CONF_OCF_PARAM, pl) == 0) {
		if ((v = conf_param(r, key + pl)) != NULL)
			fprintf(f, "%s = %s\n", key, v);
		return;
	}
	for (i = 0; i < conf_nkeys && k == NULL; i++)
		if ((int)conf_keys[i].sect == sect &&
		    strcmp(conf_keys[i].name, key) == 0 &&
		    (conf_keys[i].rtype == CK_ANY_TYPE ||
		    (sect == CS_RESOURCE && conf_keys[i].rtype ==
		    (int)r->type)))
			k = &conf_keys[i];
	if (k == NULL)
		return;		/* cannot be: the file parsed */
	if (k->rtype == CK_ANY_TYPE) {
		print_key(f, k, obj);
		return;
	}
	if ((v = conf_param(r, key)) == NULL)
		return;
	if (k->vtype == CV_INT || k->vtype == CV_PORT)
		fprintf(f, "%s = %lld\n", key, strtoll(v, NULL, 10));
	else
		fprintf(f, "%s = %s\n", key, v);
}
