/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The B2BUA's trunk keys in Redis (cp_trunk_keys.c): sbc:route:<trunk> (a LIST overriding the
 * configured route, read on every (re)connect and keyspace event) and sbc:state:<trunk> (a HASH
 * of health, options_misses, calls_out, last_code, written as they change). Runs on the
 * su_root thread.
 */
#ifndef CP_TRUNK_KEYS_H
#define CP_TRUNK_KEYS_H

#include "sbc_config.h"

struct su_root_s;

/* Before cp_redis_start (registers a listener), after cp_route_init. */
int cp_trunk_keys_init(struct su_root_s *root, const struct sbc_config *cfg);
void cp_trunk_keys_stop(void);	/* before the su_root goes: its timer */
void cp_trunk_keys_fini(void);
/* cp_route's change hook: a trunk's state is to be written (coalesced, at most every 50 ms). */
void cp_trunk_keys_changed(unsigned int trunk);

#endif
