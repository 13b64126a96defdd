/*
 * rstguard.h - refuse at once the connections that reach a released
 * address (see rstguard.c).
 */
#ifndef PGHA_RSTGUARD_H
#define PGHA_RSTGUARD_H

#include <netinet/in.h>
#include <stdint.h>

/*
 * Detach a guard for ip on ifname; call it before removing the address.
 * It answers from the removal on, for window_ms; returns at once.
 */
void	rst_guard_start(struct in_addr ip, const char *ifname,
	    unsigned ifindex, uint32_t window_ms);

#endif
