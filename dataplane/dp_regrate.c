/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source REGISTER buckets of one worker (see dp_regrate.h). Runs on that worker only.
 */
#include <errno.h>
#include <stdlib.h>

#include "dp_regrate.h"

#define NS_PER_S 1000000000ull

static uint32_t sets_for(uint32_t sources)
{
	uint32_t sets = 1;

	while ((uint64_t)sets * DP_REGRATE_WAYS < sources)
		sets <<= 1;
	return sets;
}

size_t dp_regrate_bytes(uint32_t sources)
{
	return (size_t)sets_for(sources) * DP_REGRATE_WAYS * sizeof(struct dp_regrate_entry);
}

int dp_regrate_init(struct dp_regrate *r, uint32_t sources, uint32_t rate, uint64_t seed,
		    void *mem)
{
	uint32_t sets = sets_for(sources);

	r->e = mem != NULL ? mem : calloc((size_t)sets * DP_REGRATE_WAYS, sizeof(*r->e));
	if (r->e == NULL)
		return -ENOMEM;
	r->set_mask = sets - 1;
	r->interval_ns = rate ? NS_PER_S / rate : 0;
	r->tolerance_ns = rate ? (uint64_t)(rate - 1) * r->interval_ns : 0;
	r->passed = 0;
	r->seed = seed;
	return 0;
}

static void key_of(const struct dp_pkt *p, uint8_t key[16])
{
	if (p->l3 == DP_L3_IPV6) {
		memcpy(key, p->src, 16);
		return;
	}
	memset(key, 0, 10);
	key[10] = key[11] = 0xff;
	memcpy(key + 12, p->src, 4);
}

/* fmix64 of MurmurHash3: every input bit reaches every output bit. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

/* Both halves mixed whole: a plain multiply moves bits only upwards, so an IPv4 source (the
 * last 4 bytes of the key) picked its set by its first 10 bits, and every source of one /16
 * shared a single set of 8 ways (register_table_full for the rest). */
static uint32_t set_of(const struct dp_regrate *r, const uint8_t key[16])
{
	uint64_t w[2];

	memcpy(w, key, 16);
	return (uint32_t)mix64(mix64(w[0] ^ r->seed) ^ w[1]) & r->set_mask;
}

/* GCRA (as the trunks' CPS bucket): conforming while tat - tolerance <= now. */
static enum dp_drop conform(struct dp_regrate *r, struct dp_regrate_entry *e, uint64_t now)
{
	if (e->tat > now + r->tolerance_ns)
		return DP_DROP_REGISTER_OVER_RATE;
	e->tat = (e->tat > now ? e->tat : now) + r->interval_ns;
	__atomic_store_n(&r->passed, r->passed + 1, __ATOMIC_RELAXED);
	return DP_DROP_NONE;
}

enum dp_drop dp_regrate_take(struct dp_regrate *r, const struct dp_pkt *p, uint64_t now_ns)
{
	struct dp_regrate_entry *set, *victim = NULL;
	uint8_t key[16];

	if (r->interval_ns == 0)
		return DP_DROP_REGISTER_OVER_RATE;
	key_of(p, key);
	set = &r->e[(size_t)set_of(r, key) * DP_REGRATE_WAYS];
	for (unsigned int i = 0; i < DP_REGRATE_WAYS; i++) {
		struct dp_regrate_entry *e = &set[i];

		if (e->tat != 0 && memcmp(e->key, key, 16) == 0)
			return conform(r, e, now_ns);
		/* a free way, else the one whose bucket refilled longest ago */
		if (e->tat <= now_ns && (victim == NULL || e->tat < victim->tat))
			victim = e;
	}
	if (victim == NULL)
		return DP_DROP_REGISTER_TABLE_FULL;
	memcpy(victim->key, key, 16);
	victim->tat = 0;
	return conform(r, victim, now_ns);
}
