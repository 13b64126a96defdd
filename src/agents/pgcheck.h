/*
 * pgcheck.h - the postgresql agent's "validate" and "init" actions: is
 * this node fit to run the resource (pgvalidate.c), and the creation of
 * its database cluster on the group's shared disks (pginit.c); operation
 * guide 3.2.2, 3.2.3.
 *
 * Besides the resource's OCF_RESKEY_* parameters both read
 * PGHA_GROUP_MOUNTS (the group's disk mountpoints, space-separated) and
 * PGHA_GROUP_HERE ("1": the cluster has them mounted here); validate also
 * reads PGHA_CHECK_PATHS ("setting=path ...", local paths that
 * postgresql.conf names, to be checked on this node).
 */
#ifndef PGHA_PGCHECK_H
#define PGHA_PGCHECK_H

/*
 * One JSON object per line on stdout (findings, facts, passed checks);
 * 0 when the checks could run, whatever they found.
 */
int	pgcheck_validate(void);
/* pgha-agent corosync validate (csvalidate.c) */
int	corosync_validate(void);
/* initdb on the group's disks; one line per step on stdout. */
int	pgcheck_init(void);

#endif
