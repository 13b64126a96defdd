/*
 * control.h - the control socket of pghad (docs/control-protocol.md).
 * Only control.c touches the unix socket.
 */
#ifndef PGHA_CONTROL_H
#define PGHA_CONTROL_H

#include <stdio.h>

#include "conf.h"

/* What control needs of the cluster file, resolved now: 0, or -1 (errf). */
int	control_conf_check(const struct conf *, FILE *errf);
/* Listen on conf->socket; exits with EXIT_SOCKET if it cannot. */
void	control_init(const struct conf *);
void	control_close(void);

#endif
