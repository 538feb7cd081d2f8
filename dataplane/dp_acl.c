/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Allowlist tables, owned by the main lcore. Besides the two LPM banks it keeps, off the fast
 * path: a hash of prefix -> rule slot (so a change becomes the minimal diff and a prefix cannot
 * silently change trunks), per slot its prefix, trunk and place in the trunk's list, and free
 * slot stacks. Slots are twice the rule capacity so a full replace can hold the old and the new
 * set at once while workers still read the old one.
 */
#include "dp_acl.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "dp.h"
#include "dp_grow.h"
#include "sbc_channel.h"

struct prefix_key {
	uint8_t family, depth, pad[2];
	uint8_t addr[16];
};

struct trunk_set {
	uint32_t *slots;	/* this trunk's rules, in no particular order */
	uint32_t n, cap;
	uint32_t n4, n6;	/* read by the telemetry thread */
};

struct dp_acl {
	struct dp_acl_bank bank[2];
	struct dp_acl_bank *active;	/* what workers read; swapped with release order */
	struct rte_rcu_qsbr *qsv;
	struct rte_hash *owner;		/* prefix_key -> slot */
	uint32_t cap4, cap6, used4, used6;
	uint32_t slots6, n_slots;	/* IPv6 slots [0, slots6), IPv4 [slots6, n_slots) */
	uint32_t *slot_trunk;		/* read by workers */
	struct sbc_prefix *slot_prefix;
	uint32_t *slot_pos;		/* index in its trunk's slots[] */
	uint32_t *slot_mark;		/* per-operation marks */
	uint32_t mark;
	uint32_t *free4, n_free4, *free6, n_free6;
	uint64_t *hits[DP_MAX_WORKERS];
	unsigned int n_hits;
	pthread_mutex_t lock;		/* trunk lists vs. the telemetry thread */
	uint64_t visible_ns;
	struct trunk_set trunks[SBC_MAX_TRUNKS];
};

const uint32_t *dp_acl_slot_trunk;

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
	struct dp_acl *acl;
	char name[RTE_HASH_NAMESIZE];
	uint64_t slots = 2ull * cfg->acl_v6_rules + 2ull * cfg->acl_v4_rules;

	/* slots are next hops: below DP_ACL_NO_RULE, the largest the 4-byte format holds */
	if (slots >= DP_ACL_NO_RULE) {
		fprintf(stderr, "%s: acl_v4_rules + acl_v6_rules too large\n", cfg->path);
		rte_errno = EINVAL;
		return NULL;
	}
	acl = rte_zmalloc_socket("dp_acl", sizeof(*acl), RTE_CACHE_LINE_SIZE, socket);
	if (acl == NULL)
		return NULL;
	pthread_mutex_init(&acl->lock, NULL);
	acl->qsv = qsv;
	acl->cap4 = cfg->acl_v4_rules;
	acl->cap6 = cfg->acl_v6_rules;
	acl->slots6 = 2 * cfg->acl_v6_rules;
	acl->n_slots = (uint32_t)slots;
	for (int b = 0; b < 2; b++) {
		struct rte_fib_conf c4 = { .type = RTE_FIB_DIR24_8, .default_nh = DP_ACL_NO_RULE,
					   .max_routes = (int)cfg->acl_v4_rules,
					   .dir24_8 = { .nh_sz = RTE_FIB_DIR24_8_4B,
							.num_tbl8 = cfg->acl_v4_tbl8 } };
		struct rte_fib6_conf c6 = { .type = RTE_FIB6_TRIE, .default_nh = DP_ACL_NO_RULE,
					    .max_routes = (int)cfg->acl_v6_rules,
					    .trie = { .nh_sz = RTE_FIB6_TRIE_4B,
						      .num_tbl8 = cfg->acl_v6_tbl8 } };

		snprintf(name, sizeof(name), "sbc_acl4_%d", b);
		acl->bank[b].v4 = rte_fib_create(name, socket, &c4);
		snprintf(name, sizeof(name), "sbc_acl6_%d", b);
		acl->bank[b].v6 = rte_fib6_create(name, socket, &c6);
		acl->bank[b].any4 = rte_zmalloc_socket("sbc_acl_any4",
						       DP_ACL_ANY4_WORDS * sizeof(uint64_t),
						       RTE_CACHE_LINE_SIZE, socket);
		if (acl->bank[b].v4 == NULL || acl->bank[b].v6 == NULL ||
		    acl->bank[b].any4 == NULL)
			goto fail;
	}
	struct rte_hash_parameters hp = {
		.name = "sbc_acl_owner",
		.entries = 2 * (cfg->acl_v4_rules + cfg->acl_v6_rules),
		.key_len = sizeof(struct prefix_key),
		.hash_func = rte_jhash,
		.socket_id = socket,
	};
	acl->owner = rte_hash_create(&hp);
	acl->slot_trunk = rte_zmalloc_socket("sbc_slot_trunk", slots * sizeof(uint32_t),
					     RTE_CACHE_LINE_SIZE, socket);
	acl->slot_prefix = calloc(slots, sizeof(*acl->slot_prefix));
	acl->slot_pos = calloc(slots, sizeof(uint32_t));
	acl->slot_mark = calloc(slots, sizeof(uint32_t));
	acl->free6 = malloc(acl->slots6 * sizeof(uint32_t) + 1);
	acl->free4 = malloc((slots - acl->slots6) * sizeof(uint32_t) + 1);
	if (acl->owner == NULL || acl->slot_trunk == NULL || acl->slot_prefix == NULL ||
	    acl->slot_pos == NULL || acl->slot_mark == NULL || acl->free6 == NULL ||
	    acl->free4 == NULL)
		goto fail;
	/* stacks: lowest slot on top */
	for (uint32_t s = acl->slots6; s-- > 0;)
		acl->free6[acl->n_free6++] = s;
	for (uint32_t s = acl->n_slots; s-- > acl->slots6;)
		acl->free4[acl->n_free4++] = s;
	acl->active = &acl->bank[0];
	dp_acl_slot_trunk = acl->slot_trunk;
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
		rte_fib_free(acl->bank[b].v4);
		rte_fib6_free(acl->bank[b].v6);
		rte_free(acl->bank[b].any4);
	}
	rte_hash_free(acl->owner);
	rte_free(acl->slot_trunk);
	free(acl->slot_prefix);
	free(acl->slot_pos);
	free(acl->slot_mark);
	free(acl->free4);
	free(acl->free6);
	for (unsigned int t = 0; t < SBC_MAX_TRUNKS; t++)
		free(acl->trunks[t].slots);
	pthread_mutex_destroy(&acl->lock);
	rte_free(acl);
}

uint64_t dp_acl_visible_ns(const struct dp_acl *acl)
{
	return acl->visible_ns;
}

uint32_t dp_acl_slots(const struct dp_acl *acl)
{
	return acl->n_slots;
}

void dp_acl_set_hits(struct dp_acl *acl, unsigned int worker, uint64_t *hits)
{
	acl->hits[worker] = hits;
	if (worker + 1 > acl->n_hits)
		acl->n_hits = worker + 1;
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

static uint32_t v4_of(const struct sbc_prefix *p)
{
	return ((uint32_t)p->addr[0] << 24) | ((uint32_t)p->addr[1] << 16) |
	       ((uint32_t)p->addr[2] << 8) | p->addr[3];
}

/* Set the bits of the /24s an IPv4 prefix covers (its own /24 for /24 and longer). */
static void any4_set(uint64_t *any4, const struct sbc_prefix *p)
{
	uint32_t first = v4_of(p) >> 8, n = p->depth >= 24 ? 1 : 1u << (24 - p->depth);

	first &= ~(n - 1);	/* (the address is the prefix's first already) */
	if (n < 64) {	/* n bits, aligned to n: inside one word */
		any4[first >> 6] |= ((1ull << n) - 1) << (first & 63);
		return;
	}
	memset(&any4[first >> 6], 0xff, n / 8);	/* n / 64 whole words */
}

/* The /24 bitmap of a bank no worker reads made anew from the prefixes of every trunk (the
 * bank holds them all: called once the trunk lists have the change), when deletions since the
 * last time reach an eighth of the IPv4 set, plus 256. */
static void any4_refresh(struct dp_acl *acl, struct dp_acl_bank *b)
{
	if (b->stale4 < 256 + acl->used4 / 8)
		return;
	memset(b->any4, 0, DP_ACL_ANY4_WORDS * sizeof(uint64_t));
	for (uint32_t t = 0; t < SBC_MAX_TRUNKS; t++)
		for (uint32_t i = 0; i < acl->trunks[t].n; i++) {
			const struct sbc_prefix *p = &acl->slot_prefix[acl->trunks[t].slots[i]];

			if (p->family == SBC_AF_V4)
				any4_set(b->any4, p);
		}
	b->stale4 = 0;
}

static int bank_add(struct dp_acl_bank *b, const struct sbc_prefix *p, uint32_t slot)
{
	if (p->family == SBC_AF_V4) {
		int rc = rte_fib_add(b->v4, v4_of(p), p->depth, slot);

		if (rc == 0)
			any4_set(b->any4, p);
		return rc;
	}
	return rte_fib6_add(b->v6, p->addr, p->depth, slot);
}

static int bank_del(struct dp_acl_bank *b, const struct sbc_prefix *p)
{
	if (p->family == SBC_AF_V4) {
		int rc = rte_fib_delete(b->v4, v4_of(p), p->depth);

		b->stale4 += rc == 0;	/* its bits stay until the bitmap is made anew */
		return rc;
	}
	return rte_fib6_delete(b->v6, p->addr, p->depth);
}

/*
 * Apply dels then adds (both lists of slots) to one bank. On failure undo what was done, so
 * the bank is back to the state it had (both banks stay identical), and return the error.
 */
static int bank_apply(struct dp_acl *acl, struct dp_acl_bank *b, const uint32_t *dels,
		      uint32_t nd, const uint32_t *adds, uint32_t na)
{
	uint32_t i, j;
	int rc = 0;

	for (i = 0; i < nd; i++)
		if ((rc = bank_del(b, &acl->slot_prefix[dels[i]])) != 0)
			goto undo_dels;
	for (j = 0; j < na; j++)
		if ((rc = bank_add(b, &acl->slot_prefix[adds[j]], adds[j])) != 0)
			goto undo_adds;
	return 0;
undo_adds:
	while (j-- > 0)
		bank_del(b, &acl->slot_prefix[adds[j]]);
undo_dels:
	while (i-- > 0)
		bank_add(b, &acl->slot_prefix[dels[i]], dels[i]);
	return rc;
}

/* A change being prepared: new slots taken, slots to drop marked. */
struct change {
	uint32_t trunk;
	uint32_t *adds, na;
	uint32_t *dels, nd;
	uint32_t add4, add6, del4, del6;
	uint32_t keep, drop;	/* mark values of this operation */
};

static void slot_free(struct dp_acl *acl, uint32_t s)
{
	if (s < acl->slots6)
		acl->free6[acl->n_free6++] = s;
	else
		acl->free4[acl->n_free4++] = s;
}

/*
 * Look p up for the change: already the trunk's (mark it kept, or cancel its deletion), another
 * trunk's (-EEXIST), or new (take a slot and index it). Duplicates in the input are harmless.
 */
static int change_add(struct dp_acl *acl, struct change *c, const struct sbc_prefix *p, char *err,
		      size_t errlen)
{
	struct prefix_key k = key_of(p);
	char txt[SBC_CIDR_STRLEN];
	void *data;
	uint32_t s;

	if (rte_hash_lookup_data(acl->owner, &k, &data) >= 0) {
		s = (uint32_t)(uintptr_t)data;
		if (acl->slot_trunk[s] != c->trunk) {
			snprintf(err, errlen, "%s already belongs to trunk %s",
				 sbc_prefix_format(p, txt, sizeof(txt)),
				 dp.cfg.trunks[acl->slot_trunk[s]].name);
			return -EEXIST;
		}
		acl->slot_mark[s] = c->keep;	/* kept, or a deletion cancelled */
		return 0;
	}
	if (p->family == SBC_AF_V4 ? acl->n_free4 == 0 : acl->n_free6 == 0) {
		snprintf(err, errlen, "no free rule slot for %s",
			 sbc_prefix_format(p, txt, sizeof(txt)));
		return -ENOSPC;
	}
	s = p->family == SBC_AF_V4 ? acl->free4[--acl->n_free4] : acl->free6[--acl->n_free6];
	if (rte_hash_add_key_data(acl->owner, &k, (void *)(uintptr_t)s) < 0) {
		slot_free(acl, s);
		snprintf(err, errlen, "prefix index full");
		return -ENOSPC;
	}
	acl->slot_prefix[s] = *p;
	acl->slot_trunk[s] = c->trunk;	/* no bank refers to s yet: workers cannot see it */
	acl->slot_mark[s] = c->keep;
	for (unsigned int w = 0; w < acl->n_hits; w++)
		__atomic_store_n(&acl->hits[w][s], 0, __ATOMIC_RELAXED);
	c->adds[c->na++] = s;
	if (p->family == SBC_AF_V4)
		c->add4++;
	else
		c->add6++;
	return 0;
}

/* Give back what change_add took. */
static void change_abort(struct dp_acl *acl, struct change *c)
{
	for (uint32_t i = 0; i < c->na; i++) {
		struct prefix_key k = key_of(&acl->slot_prefix[c->adds[i]]);

		rte_hash_del_key(acl->owner, &k);
		slot_free(acl, c->adds[i]);
	}
}

/* Collect the trunk's slots marked drop as deletions. */
static void change_collect_dels(struct dp_acl *acl, struct change *c)
{
	const struct trunk_set *ts = &acl->trunks[c->trunk];

	for (uint32_t i = 0; i < ts->n; i++) {
		uint32_t s = ts->slots[i];

		if (acl->slot_mark[s] != c->drop)
			continue;
		c->dels[c->nd++] = s;
		if (s < acl->slots6)
			c->del6++;
		else
			c->del4++;
	}
}

static int trunk_reserve(struct trunk_set *ts, uint32_t n)
{
	void *v;

	if (dp_grow(ts->slots, &ts->cap, n, sizeof(*ts->slots), 16, &v) != 0)
		return -ENOMEM;
	ts->slots = v;
	return 0;
}

/* Make the change visible: both banks, then the bookkeeping. */
static int change_commit(struct dp_acl *acl, struct change *c, char *err, size_t errlen)
{
	struct trunk_set *ts = &acl->trunks[c->trunk];
	struct dp_acl_bank *standby;
	int rc;

	if (acl->used4 + c->add4 - c->del4 > acl->cap4 ||
	    acl->used6 + c->add6 - c->del6 > acl->cap6) {
		snprintf(err, errlen,
			 "the set would hold %u IPv4 / %u IPv6 prefixes of all trunks; capacity is "
			 "%u / %u ([dataplane] acl_v4_rules, acl_v6_rules); the old set stays",
			 acl->used4 + c->add4 - c->del4, acl->used6 + c->add6 - c->del6, acl->cap4,
			 acl->cap6);
		return -ENOSPC;
	}
	if (trunk_reserve(ts, ts->n + c->na) != 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (c->na == 0 && c->nd == 0) {
		acl->visible_ns = sbc_now_ns();	/* nothing to change: in force already */
		return 0;
	}
	standby = acl->active == &acl->bank[0] ? &acl->bank[1] : &acl->bank[0];
	rc = bank_apply(acl, standby, c->dels, c->nd, c->adds, c->na);
	if (rc != 0) {
		snprintf(err, errlen,
			 "the FIB table has no room (%s); raise [dataplane] acl_v4_tbl8 / acl_v6_tbl8; "
			 "the old set stays", strerror(-rc));
		return -ENOSPC;
	}
	/* Publish, wait until no worker can still be reading the old bank, then catch it up. */
	__atomic_store_n(&acl->active, standby, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(acl->qsv, RTE_QSBR_THRID_INVALID);
	acl->visible_ns = sbc_now_ns();
	standby = standby == &acl->bank[0] ? &acl->bank[1] : &acl->bank[0];
	rc = bank_apply(acl, standby, c->dels, c->nd, c->adds, c->na);
	if (rc != 0)	/* same operations on an identical table: a divergence is a bug */
		rte_panic("allowlist banks diverged: %s\n", strerror(-rc));

	pthread_mutex_lock(&acl->lock);
	for (uint32_t i = 0; i < c->nd; i++) {
		uint32_t s = c->dels[i], pos = acl->slot_pos[s], last = ts->slots[--ts->n];

		ts->slots[pos] = last;
		acl->slot_pos[last] = pos;
	}
	for (uint32_t i = 0; i < c->na; i++) {
		acl->slot_pos[c->adds[i]] = ts->n;
		ts->slots[ts->n++] = c->adds[i];
	}
	pthread_mutex_unlock(&acl->lock);
	/* no bank refers to the deleted slots any more, and no worker is still in a lookup */
	for (uint32_t i = 0; i < c->nd; i++) {
		struct prefix_key k = key_of(&acl->slot_prefix[c->dels[i]]);

		rte_hash_del_key(acl->owner, &k);
		slot_free(acl, c->dels[i]);
	}
	acl->used4 = acl->used4 + c->add4 - c->del4;
	acl->used6 = acl->used6 + c->add6 - c->del6;
	any4_refresh(acl, standby);	/* (the bank the workers have left) */
	__atomic_store_n(&ts->n4, ts->n4 + c->add4 - c->del4, __ATOMIC_RELAXED);
	__atomic_store_n(&ts->n6, ts->n6 + c->add6 - c->del6, __ATOMIC_RELAXED);
	return 0;
}

static int change_begin(struct dp_acl *acl, struct change *c, uint32_t trunk, uint32_t max_adds,
			uint32_t max_dels)
{
	memset(c, 0, sizeof(*c));
	c->trunk = trunk;
	c->adds = malloc((max_adds + 1) * sizeof(uint32_t));
	c->dels = malloc((max_dels + 1) * sizeof(uint32_t));
	/* two fresh mark values; wrap-around is harmless because marks are set before use */
	c->keep = ++acl->mark;
	c->drop = ++acl->mark;
	if (c->adds == NULL || c->dels == NULL) {
		free(c->adds);
		free(c->dels);
		return -ENOMEM;
	}
	return 0;
}

static void change_end(struct change *c)
{
	free(c->adds);
	free(c->dels);
}

/* Take adds[0..na), collect what is marked drop, commit; undo everything on failure. */
static int change_run(struct dp_acl *acl, struct change *c, const struct sbc_prefix *adds,
		      uint32_t na, char *err, size_t errlen)
{
	int rc = 0;

	for (uint32_t i = 0; i < na && rc == 0; i++)
		rc = change_add(acl, c, &adds[i], err, errlen);
	if (rc == 0) {
		change_collect_dels(acl, c);
		rc = change_commit(acl, c, err, errlen);
	}
	if (rc != 0)
		change_abort(acl, c);
	change_end(c);
	return rc;
}

int dp_acl_replace(struct dp_acl *acl, uint32_t trunk, const struct sbc_prefix *set, uint32_t n,
		   char *err, size_t errlen)
{
	struct trunk_set *ts;
	uint32_t n4 = 0, n6;
	struct change c;

	if (trunk >= SBC_MAX_TRUNKS)
		return -EINVAL;
	ts = &acl->trunks[trunk];
	for (uint32_t i = 0; i < n; i++)
		n4 += set[i].family == SBC_AF_V4;
	n6 = n - n4;
	if (acl->used4 - ts->n4 + n4 > acl->cap4 || acl->used6 - ts->n6 + n6 > acl->cap6) {
		snprintf(err, errlen,
			 "%u IPv4 / %u IPv6 prefixes do not fit: room for %u / %u "
			 "([dataplane] acl_v4_rules, acl_v6_rules); the old set stays",
			 n4, n6, acl->cap4 - (acl->used4 - ts->n4), acl->cap6 - (acl->used6 - ts->n6));
		return -ENOSPC;
	}
	if (change_begin(acl, &c, trunk, n, ts->n) != 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* everything the trunk has is dropped unless the new set keeps it */
	for (uint32_t i = 0; i < ts->n; i++)
		acl->slot_mark[ts->slots[i]] = c.drop;
	return change_run(acl, &c, set, n, err, errlen);
}

int dp_acl_update(struct dp_acl *acl, uint32_t trunk, const struct sbc_prefix *adds, uint32_t na,
		  const struct sbc_prefix *dels, uint32_t nd, char *err, size_t errlen)
{
	struct change c;

	if (trunk >= SBC_MAX_TRUNKS)
		return -EINVAL;
	if (change_begin(acl, &c, trunk, na, nd) != 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < acl->trunks[trunk].n; i++)
		acl->slot_mark[acl->trunks[trunk].slots[i]] = c.keep;
	for (uint32_t i = 0; i < nd; i++) {
		struct prefix_key k = key_of(&dels[i]);
		void *data;

		if (rte_hash_lookup_data(acl->owner, &k, &data) >= 0 &&
		    acl->slot_trunk[(uint32_t)(uintptr_t)data] == trunk)
			acl->slot_mark[(uint32_t)(uintptr_t)data] = c.drop;
	}
	return change_run(acl, &c, adds, na, err, errlen);
}

uint32_t dp_acl_list(struct dp_acl *acl, uint32_t trunk, uint32_t first, uint32_t max,
		     void (*fn)(void *arg, const struct sbc_prefix *p, uint64_t hits), void *arg)
{
	struct trunk_set *ts = &acl->trunks[trunk];
	uint32_t n;

	pthread_mutex_lock(&acl->lock);
	n = ts->n;
	for (uint32_t i = first; i < n && i - first < max; i++) {
		uint32_t s = ts->slots[i];
		uint64_t h = 0;

		for (unsigned int w = 0; w < acl->n_hits; w++)
			h += __atomic_load_n(&acl->hits[w][s], __ATOMIC_RELAXED);
		fn(arg, &acl->slot_prefix[s], h);
	}
	pthread_mutex_unlock(&acl->lock);
	return n;
}
