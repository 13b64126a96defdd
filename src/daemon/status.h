/*
 * status.h - the cluster's status as JSON, from a const state.
 */
#ifndef PGHA_STATUS_H
#define PGHA_STATUS_H

#include <stdint.h>

#include <json-c/json.h>

#include "state.h"

/* A new status object (caller puts); decider: its node id, or 0. */
struct json_object *status_json(const struct cstate *, uint32_t decider);

#endif
