/*
 * sim.h - a simulated pgha cluster for the golden decide scenarios
 * (decide_run.c) and the replica fuzzer (tests/fuzz/fuzz_replica.c):
 * every node's real replica_step() and decide_plan(), with Corosync,
 * local.c and the fence agents stood in for (see decide/README).
 */
#ifndef PGHA_SIM_H
#define PGHA_SIM_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>

#include "conf.h"

/* Where the simulation says what happens (NULL: nowhere). */
extern FILE	*sim_out;
/* Set: a bad command longjmp()s here with 1; unset: it exits 2. */
extern jmp_buf	*sim_jmp;
/* For error messages: the scenario's file and line. */
extern const char *sim_path;
extern int	 sim_line;

/* A cluster of the nodes of c (borrowed), corosync up everywhere, no
 * pghad running, at 2026-01-05 10:00 UTC. */
void	 sim_init(struct conf *c);
void	 sim_free(void);
/* One command line (decide/README); it is cut up in place.  Then the
 * cluster runs until nothing more happens, unless it ends with "&". */
void	 sim_command(char *line);
/* Whether node n's corosync runs (it is up), whether its pghad does,
 * whether the decider by asked for n to be fenced. */
bool	 sim_node_up(int n);
bool	 sim_node_daemon(int n);
bool	 sim_fence_asked(int by, int n);
/* The corosync partition node n is in. */
int	 sim_node_part(int n);
/* The wall clock as HH:MM:SS. */
const char *sim_clock(void);
/* NULL if the invariants hold now, else which one failed:
 *  - every plan is a function of the state and the inputs (computed
 *    twice: the same),
 *  - a decision moves a group only to a node that may take it,
 *  - never two nodes run (any resource of) the same group, but by hand,
 *  - the synced members of a partition hold the same cluster facts. */
const char *sim_check(void);

#endif
