/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Allowlist tables, owned by the main lcore. Besides the two LPM banks it keeps, off the fast
 * path, each trunk's current prefix list and a hash of prefix -> owning trunk, so a replace is
 * turned into the minimal diff (deletes + adds) and a prefix cannot silently change trunks.
 */
#include "dp_acl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

struct prefix_key {
	uint8_t family, depth, pad[2];
	uint8_t addr[16];
};

struct trunk_set {
	struct sbc_prefix *v;
	uint32_t n;
	uint32_t n4, n6;	/* read by the telemetry thread */
};

struct dp_acl {
	struct dp_acl_bank bank[2];
	struct dp_acl_bank *active;	/* what workers read; swapped with release order */
	struct rte_rcu_qsbr *qsv;
	struct rte_hash *owner;		/* prefix_key -> (trunk << 32 | epoch) */
	uint32_t epoch;
	uint32_t cap4, cap6, used4, used6;
	struct trunk_set trunks[SBC_MAX_TRUNKS];
};

static struct prefix_key key_of(const struct sbc_prefix *p)
{
	struct prefix_key k;

	memset(&k, 0, sizeof(k));
	k.family = p->family;
	k.depth = p->depth;
	memcpy(k.addr, p->addr, 16);
	return k;
}

struct dp_acl *dp_acl_create(const struct sbc_config *cfg, struct rte_rcu_qsbr *qsv, int socket)
{
	struct dp_acl *acl = rte_zmalloc_socket("dp_acl", sizeof(*acl), RTE_CACHE_LINE_SIZE, socket);
	char name[RTE_HASH_NAMESIZE];

	if (acl == NULL)
		return NULL;
	acl->qsv = qsv;
	acl->cap4 = cfg->acl_v4_rules;
	acl->cap6 = cfg->acl_v6_rules;
	for (int b = 0; b < 2; b++) {
		struct rte_lpm_config c4 = { .max_rules = cfg->acl_v4_rules,
					     .number_tbl8s = cfg->acl_v4_tbl8 };
		struct rte_lpm6_config c6 = { .max_rules = cfg->acl_v6_rules,
					      .number_tbl8s = cfg->acl_v6_tbl8 };

		snprintf(name, sizeof(name), "sbc_acl4_%d", b);
		acl->bank[b].v4 = rte_lpm_create(name, socket, &c4);
		snprintf(name, sizeof(name), "sbc_acl6_%d", b);
		acl->bank[b].v6 = rte_lpm6_create(name, socket, &c6);
		if (acl->bank[b].v4 == NULL || acl->bank[b].v6 == NULL)
			goto fail;
	}
	struct rte_hash_parameters hp = {
		.name = "sbc_acl_owner",
		.entries = cfg->acl_v4_rules + cfg->acl_v6_rules,
		.key_len = sizeof(struct prefix_key),
		.hash_func = rte_jhash,
		.socket_id = socket,
	};
	acl->owner = rte_hash_create(&hp);
	if (acl->owner == NULL)
		goto fail;
	acl->active = &acl->bank[0];
	return acl;
fail:
	dp_acl_free(acl);
	return NULL;
}

void dp_acl_free(struct dp_acl *acl)
{
	if (acl == NULL)
		return;
	for (int b = 0; b < 2; b++) {
		rte_lpm_free(acl->bank[b].v4);
		rte_lpm6_free(acl->bank[b].v6);
	}
	rte_hash_free(acl->owner);
	for (unsigned int t = 0; t < SBC_MAX_TRUNKS; t++)
		free(acl->trunks[t].v);
	rte_free(acl);
}

const struct dp_acl_bank *dp_acl_reader(const struct dp_acl *acl)
{
	return __atomic_load_n(&acl->active, __ATOMIC_ACQUIRE);
}

void dp_acl_counts(const struct dp_acl *acl, uint32_t trunk, uint32_t *v4, uint32_t *v6)
{
	*v4 = __atomic_load_n(&acl->trunks[trunk].n4, __ATOMIC_RELAXED);
	*v6 = __atomic_load_n(&acl->trunks[trunk].n6, __ATOMIC_RELAXED);
}

static int bank_add(struct dp_acl_bank *b, const struct sbc_prefix *p, uint32_t trunk)
{
	if (p->family == SBC_AF_V4) {
		uint32_t ip = ((uint32_t)p->addr[0] << 24) | ((uint32_t)p->addr[1] << 16) |
			      ((uint32_t)p->addr[2] << 8) | p->addr[3];
		return rte_lpm_add(b->v4, ip, p->depth, trunk);
	}
	return rte_lpm6_add(b->v6, p->addr, p->depth, trunk);
}

static int bank_del(struct dp_acl_bank *b, const struct sbc_prefix *p)
{
	if (p->family == SBC_AF_V4) {
		uint32_t ip = ((uint32_t)p->addr[0] << 24) | ((uint32_t)p->addr[1] << 16) |
			      ((uint32_t)p->addr[2] << 8) | p->addr[3];
		return rte_lpm_delete(b->v4, ip, p->depth);
	}
	return rte_lpm6_delete(b->v6, p->addr, p->depth);
}

/*
 * Apply dels then adds to one bank. On failure undo what was done, so the bank is back to the
 * state it had (both banks stay identical), and return the error.
 */
static int bank_apply(struct dp_acl_bank *b, uint32_t trunk, const struct sbc_prefix *const *dels,
		      uint32_t nd, const struct sbc_prefix *const *adds, uint32_t na)
{
	uint32_t i, j;
	int rc = 0;

	for (i = 0; i < nd; i++)
		if ((rc = bank_del(b, dels[i])) != 0)
			goto undo_dels;
	for (j = 0; j < na; j++)
		if ((rc = bank_add(b, adds[j], trunk)) != 0)
			goto undo_adds;
	return 0;
undo_adds:
	while (j-- > 0)
		bank_del(b, adds[j]);
undo_dels:
	while (i-- > 0)
		bank_add(b, dels[i], trunk);
	return rc;
}

int dp_acl_replace(struct dp_acl *acl, uint32_t trunk, const struct sbc_prefix *set, uint32_t n,
		   char *err, size_t errlen)
{
	struct trunk_set *ts = &acl->trunks[trunk];
	const struct sbc_prefix **adds = NULL, **dels = NULL;
	struct sbc_prefix *copy = NULL;
	uint32_t na = 0, nd = 0, n4 = 0, n6 = 0;
	struct dp_acl_bank *standby;
	char p[SBC_CIDR_STRLEN];
	uint64_t epoch;
	int rc;

	if (trunk >= SBC_MAX_TRUNKS)
		return -EINVAL;
	adds = malloc((n + 1) * sizeof(*adds));
	dels = malloc((ts->n + 1) * sizeof(*dels));
	copy = malloc((n + 1) * sizeof(*copy));
	if (adds == NULL || dels == NULL || copy == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	epoch = ++acl->epoch;

	/* Mark what stays, collect what is new; refuse prefixes owned by another trunk. */
	for (uint32_t i = 0; i < n; i++) {
		struct prefix_key k = key_of(&set[i]);
		void *data;

		if (set[i].family == SBC_AF_V4)
			n4++;
		else
			n6++;
		if (rte_hash_lookup_data(acl->owner, &k, &data) >= 0) {
			uint64_t d = (uint64_t)(uintptr_t)data;

			if ((d >> 32) != trunk) {
				rc = -EEXIST;
				snprintf(err, errlen, "%s already belongs to trunk id %u",
					 sbc_prefix_format(&set[i], p, sizeof(p)),
					 (unsigned int)(d >> 32));
				goto out;
			}
			if ((uint32_t)d == (uint32_t)epoch) {
				rc = -EINVAL;
				snprintf(err, errlen, "%s is listed twice",
					 sbc_prefix_format(&set[i], p, sizeof(p)));
				goto out;
			}
			rte_hash_add_key_data(acl->owner, &k,
					      (void *)(uintptr_t)(((uint64_t)trunk << 32) | epoch));
		} else {
			adds[na++] = &set[i];
		}
	}
	for (uint32_t i = 0; i < ts->n; i++) {
		struct prefix_key k = key_of(&ts->v[i]);
		void *data;

		if (rte_hash_lookup_data(acl->owner, &k, &data) >= 0 &&
		    (uint32_t)(uintptr_t)data != (uint32_t)epoch)
			dels[nd++] = &ts->v[i];
	}
	if (acl->used4 - ts->n4 + n4 > acl->cap4 || acl->used6 - ts->n6 + n6 > acl->cap6) {
		rc = -ENOSPC;
		snprintf(err, errlen,
			 "%u IPv4 / %u IPv6 prefixes do not fit: capacity is %u / %u "
			 "([dataplane] acl_v4_rules, acl_v6_rules); the old set stays",
			 n4, n6, acl->cap4 - (acl->used4 - ts->n4), acl->cap6 - (acl->used6 - ts->n6));
		goto out;
	}
	/* Adds not yet in the owner hash: check duplicates within the new set itself. */
	for (uint32_t i = 0; i < na; i++) {
		struct prefix_key k = key_of(adds[i]);

		if (rte_hash_lookup(acl->owner, &k) >= 0) {
			rc = -EINVAL;
			snprintf(err, errlen, "%s is listed twice",
				 sbc_prefix_format(adds[i], p, sizeof(p)));
			goto undo_owner;
		}
		if (rte_hash_add_key_data(acl->owner, &k,
					  (void *)(uintptr_t)(((uint64_t)trunk << 32) | epoch)) < 0) {
			rc = -ENOSPC;
			snprintf(err, errlen, "prefix index full");
			na = i;
			goto undo_owner;
		}
	}

	standby = acl->active == &acl->bank[0] ? &acl->bank[1] : &acl->bank[0];
	rc = bank_apply(standby, trunk, dels, nd, adds, na);
	if (rc != 0) {
		snprintf(err, errlen,
			 "the LPM table has no room (%s); raise [dataplane] acl_v4_tbl8/acl_v6_tbl8; "
			 "the old set stays", strerror(-rc));
		goto undo_owner;
	}
	/* Publish, wait until no worker can still be reading the old bank, then catch it up. */
	__atomic_store_n(&acl->active, standby, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(acl->qsv, RTE_QSBR_THRID_INVALID);
	standby = standby == &acl->bank[0] ? &acl->bank[1] : &acl->bank[0];
	rc = bank_apply(standby, trunk, dels, nd, adds, na);
	if (rc != 0) {
		/* Same operations on an identical table cannot fail differently; if they do, the
		 * banks disagree, which must never go unnoticed. */
		rte_panic("allowlist banks diverged: %s\n", strerror(-rc));
	}
	for (uint32_t i = 0; i < nd; i++) {
		struct prefix_key k = key_of(dels[i]);

		rte_hash_del_key(acl->owner, &k);
	}
	memcpy(copy, set, n * sizeof(*copy));
	free(ts->v);
	ts->v = copy;
	copy = NULL;
	ts->n = n;
	acl->used4 = acl->used4 - ts->n4 + n4;
	acl->used6 = acl->used6 - ts->n6 + n6;
	__atomic_store_n(&ts->n4, n4, __ATOMIC_RELAXED);
	__atomic_store_n(&ts->n6, n6, __ATOMIC_RELAXED);
	rc = 0;
	goto out;

undo_owner:
	for (uint32_t i = 0; i < na; i++) {
		struct prefix_key k = key_of(adds[i]);

		rte_hash_del_key(acl->owner, &k);
	}
out:
	free(adds);
	free(dels);
	free(copy);
	return rc;
}
