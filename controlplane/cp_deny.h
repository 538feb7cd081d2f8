/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The denylist's keys (cp_deny.c): Redis sbc:deny:<ip> (a STRING with a TTL: its value the
 * reason, its TTL how long) mirrored into the data plane's deny table. A keyspace event
 * re-reads that key (set, renewed, deleted, expired); every Redis (re)connect and every data
 * plane (re)start replays the whole set from Redis inside SYNC_BEGIN/END, so the data plane
 * lifts what Redis no longer holds. Runs on the su_root thread.
 */
#ifndef CP_DENY_H
#define CP_DENY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbc_channel.h"

/* Before cp_redis_start: registers with the Redis client. */
int cp_deny_init(void);
/* The data plane (re)started or we (re)attached: replay the set from Redis. */
void cp_deny_dp_reset(void);

/* "sbc:deny:<ip>" -> entry (family, address); IPv4-mapped IPv6 is taken as IPv4. 0 or -EINVAL.
 * Exposed for the unit tests. */
int cp_deny_parse_key(const char *key, size_t len, struct sbc_deny_entry *e);

#endif
