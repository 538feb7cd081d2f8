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
 * two bindings from one source add it twice, need two dels. Returns 0 or -errno. */
int cp_dynacl_add(struct cp_trunk *t, const struct sbc_prefix *addr, uint32_t ttl_s);
int cp_dynacl_del(struct cp_trunk *t, const struct sbc_prefix *addr);

#endif
