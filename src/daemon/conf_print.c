/*
 * conf_print.c - the canonical text of a loaded configuration (pghad -nv,
 * the hash that peers compare): every key from the table in table order,
 * defaults written out, so that the output parses back to the same conf.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
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

static void
print_section(FILE *f, int sect, const char *name, const void *obj)
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
}

void
conf_print(FILE *f, const struct conf *c)
{
	int	i;

	print_section(f, CS_CLUSTER, NULL, c);
	for (i = 0; i < c->nnodes; i++)
		print_section(f, CS_NODE, c->nodes[i].name, &c->nodes[i]);
	for (i = 0; i < c->ngroups; i++)
		print_section(f, CS_GROUP, c->groups[i].name, &c->groups[i]);
	for (i = 0; i < c->nresources; i++)
		print_section(f, CS_RESOURCE, c->resources[i].name,
		    &c->resources[i]);
}
