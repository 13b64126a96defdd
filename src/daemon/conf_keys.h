/*
 * conf_keys.h - the one table that declares every configuration key
 * (Redis config.c style): its section, value type, default, bounds and a
 * one-line doc.  The table is conf_keys.c; conf.c parses and fills
 * defaults from it, conf_print.c prints from it; the unit test checks
 * that man/pgha.conf.5 documents every entry.
 */
#ifndef PGHA_CONF_KEYS_H
#define PGHA_CONF_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

enum conf_sect {
	CS_CLUSTER,
	CS_NODE,
	CS_GROUP,
	CS_RESOURCE,
};

enum conf_vtype {
	CV_NAME,	/* [A-Za-z0-9][A-Za-z0-9_.-]{0,62} */
	CV_STR,		/* any non-empty text */
	CV_PATH,	/* absolute path */
	CV_SOCKET,	/* "@abstract" or absolute path, fits sun_path */
	CV_WORD,	/* [a-z0-9]+ */
	CV_CIDR,	/* IPv4 a.b.c.d/len */
	CV_IFNAME,	/* network interface name */
	CV_INT,		/* decimal integer within [min, max] */
	CV_PORT,	/* CV_INT, 1..65535, said as a port number */
	CV_BOOL,	/* yes | no */
	CV_DUR,		/* duration within [min, max] milliseconds */
	CV_NODES,	/* list of node names */
	CV_RESLIST,	/* list of resource names */
	CV_GROUPREF,	/* a group name */
	CV_RTYPE,	/* disk | address | postgresql | service | ocf:P:A */
	CV_KVLIST,	/* key=value words: [a-z0-9_-]+=[^ ]+ */
	CV_FAILBACK,	/* no | immediate | HH:MM-HH:MM */
};

#define CK_REQUIRED	0x01	/* no default: must be given */
#define CK_PARAM	0x02	/* type-specific: lands in params[] */
#define CK_DATALOG	0x04	/* default is <data>/pgha-server.log */
#define CK_AUTO		0x08	/* CV_INT that also takes "auto" (-1) */

#define CK_ANY_TYPE	(-1)

struct conf_key {
	const char	*name;
	enum conf_sect	 sect;
	int		 rtype;		/* RT_*, or CK_ANY_TYPE */
	enum conf_vtype	 vtype;
	int		 flags;
	size_t		 off;		/* field in the section's struct */
	const char	*def;		/* text default; NULL: none or unset */
	const char	*tdef[RT_NTYPES]; /* per resource type, if def is NULL */
	int64_t		 min, max;
	const char	*doc;
};

extern const struct conf_key	conf_keys[];
extern const size_t		conf_nkeys;
/* "cluster", "node", ... by enum conf_sect; "disk", ... by RT_* */
extern const char *const	conf_sect_names[];
extern const size_t		conf_nsect_names;
extern const char *const	conf_rtype_names[];
extern const size_t		conf_nrtype_names;

/* A duration in its largest exact unit ("90s", "15m", "250ms"). */
void	conf_fmt_dur(char *buf, size_t len, uint32_t ms);

#endif
