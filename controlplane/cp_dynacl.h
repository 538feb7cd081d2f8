/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dynamic allowlist entries of a trunk (registrar bindings, a carrier's resolved addresses),
 * added to what sbc:acl:<trunk> wants, owned by the control plane, pushed to the data plane
 * through the policy engine. Runs on the su_root thread.
 */
#ifndef CP_DYNACL_H
#define CP_DYNACL_H

#include <stdint.h>

struct sbc_prefix;
struct cp_trunk;
struct su_root_s;

/* addr: a /32 or /128 (or any prefix); ttl_s 0 = until deleted. Refcounted per (trunk, addr):
 * two bindings from one source add it twice, need two dels; the entry lasts until the later
 * of their TTLs. Returns 0 or -errno. */
int cp_dynacl_add(struct cp_trunk *t, const struct sbc_prefix *addr, uint32_t ttl_s);
int cp_dynacl_del(struct cp_trunk *t, const struct sbc_prefix *addr);
/* A refreshed binding: the entry lasts at least ttl_s more (an entry without TTL keeps none).
 * -ENOENT when there is no such entry. */
int cp_dynacl_renew(struct cp_trunk *t, const struct sbc_prefix *addr, uint32_t ttl_s);
/* Remove every entry whose TTL ran out by now_s (cp_dynacl_now's clock), whatever its
 * refcount: the owner's delete may never come (a missed or late Redis expiry, a lost state).
 * Called each second by the registrar's timer. Returns how many went. */
unsigned int cp_dynacl_expire(uint64_t now_s);
uint64_t cp_dynacl_now(void);	/* CLOCK_MONOTONIC seconds */

#endif
