/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A trunk's calls-per-second cap as one token bucket shared by every worker: the generic cell
 * rate algorithm (GCRA) on a single 64-bit "theoretical arrival time" per trunk, updated with a
 * compare-and-swap. Equivalent to a bucket of `burst` tokens refilled at `cps` per second, but
 * without a per-lcore split of the rate and without a lock. Pure C (GCC atomics), unit-tested
 * without EAL; times are nanoseconds on any monotonic clock the caller chooses.
 */
#ifndef DP_CPS_H
#define DP_CPS_H

#include <stdbool.h>
#include <stdint.h>

#define DP_NS_PER_S 1000000000ull

/* Bucket depth: burst calls may come at once; 0 means 1 (no burst beyond the rate). */
static inline uint64_t dp_cps_depth(uint32_t burst)
{
	return burst > 0 ? burst : 1;
}

/*
 * Take one token at time now. cps == 0: no cap (always true). A new call is admitted when the
 * theoretical arrival time is at most (depth - 1) emission intervals ahead of now.
 */
static inline bool dp_cps_take(uint64_t *tat, uint64_t now, uint32_t cps, uint32_t burst)
{
	uint64_t t = DP_NS_PER_S / (cps ? cps : 1), tau = (dp_cps_depth(burst) - 1) * t;
	uint64_t old = __atomic_load_n(tat, __ATOMIC_RELAXED), base, next;

	if (cps == 0)
		return true;
	do {
		base = old > now ? old : now;
		if (base - now > tau)
			return false;
		next = base + t;
	} while (!__atomic_compare_exchange_n(tat, &old, next, true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

/* Give a token back (a call refused for another reason after it took one). */
static inline void dp_cps_give_back(uint64_t *tat, uint32_t cps)
{
	if (cps != 0)
		__atomic_fetch_sub(tat, DP_NS_PER_S / cps, __ATOMIC_RELAXED);
}

/* Tokens left at time now (for the stats socket). */
static inline uint64_t dp_cps_tokens(uint64_t tat, uint64_t now, uint32_t cps, uint32_t burst)
{
	uint64_t t = DP_NS_PER_S / (cps ? cps : 1), depth = dp_cps_depth(burst);
	uint64_t ahead = tat > now ? tat - now : 0, used = (ahead + t - 1) / t;

	if (cps == 0)
		return 0;
	return used >= depth ? 0 : depth - used;
}

#endif
