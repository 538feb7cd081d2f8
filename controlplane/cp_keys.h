/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy's keys in Redis (cp_keys.c): sbc:acl:<trunk> seeded from the configuration once,
 * sbc:acl:* and sbc:limits:* read in full on every (re)connect and again on each keyspace
 * event, handed to the policy engine (cp_policy.h). Runs on the su_root thread.
 */
#ifndef CP_KEYS_H
#define CP_KEYS_H

#include <stdint.h>

#include "sbc_config.h"

/* After cp_policy_init, before cp_redis_start: registers with the Redis client. */
int cp_keys_init(const struct sbc_config *cfg);
void cp_keys_fini(void);
uint64_t cp_keys_replays(void);	/* full reads of every key */

#endif
