/*
 * loop.h - the daemon's one-threaded event loop: epoll for fds, a list of
 * one-shot timers on CLOCK_MONOTONIC.  Callbacks must return quickly.
 */
#ifndef PGHA_LOOP_H
#define PGHA_LOOP_H

#include <stdint.h>

typedef void	(*loop_fd_cb)(int fd, uint32_t events, void *arg);
typedef void	(*loop_timer_cb)(void *arg);

struct loop_timer;

void	loop_init(void);
int	loop_add_fd(int fd, uint32_t events, loop_fd_cb, void *arg);
int	loop_mod_fd(int fd, uint32_t events);
void	loop_del_fd(int fd);
/* One-shot timer after ms; returns a handle for loop_timer_cancel(). */
struct loop_timer *loop_timer_add(uint64_t ms, loop_timer_cb, void *arg);
void	loop_timer_cancel(struct loop_timer *);	/* NULL-safe */
/*
 * cb runs after each pass of the loop (its fds and due timers), once
 * what they changed is in place: for work that looks at the result, such
 * as telling systemd what pghad is doing.  One; NULL: none.
 */
void	loop_set_after(void (*cb)(void));
/* Run until loop_stop(). */
void	loop_run(void);
void	loop_stop(void);

#endif
