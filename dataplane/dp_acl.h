/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-trunk allowlists: one longest-prefix-match table per family across all trunks (rte_fib
 * DIR-24-8 and rte_fib6 trie: their rules live in a trie, so adding a million prefixes stays
 * fast, where rte_lpm scans its rule table on every add). The next
 * hop is a rule slot; the slot gives the trunk (and a per-prefix hit counter). Workers read;
 * only the main lcore writes. Writes go through two banks ("left-right"): a change is applied
 * to the bank no worker reads, the banks are swapped, RCU waits until every worker has left
 * the old bank, and the change is replayed on it. So a trunk's whole set is replaced
 * atomically (a worker sees the old set or the new one) and nothing a worker may still read is
 * ever modified or freed; a slot is reused only after that wait.
 *
 * In front of the IPv4 table, a bitmap of the /24s (2 MB a bank, one bit each): set where some
 * prefix of the bank covers the /24 or lies in it. An address whose /24 has no bit is in no
 * prefix, and is not looked up at all: a flood from sources outside every listed /24 costs a bit
 * test a packet instead of a lookup in the 64 MB DIR-24-8 table (whose lines and pages, one per
 * source, are what the lookup waits for). The bits are a superset: a deleted prefix's bits stay
 * (the lookup behind them still says "no rule") until the bank's bitmap is made anew from the
 * prefixes it holds, once deletions since the last time reach an eighth of the set (plus 256);
 * that happens on the bank no worker reads, between the swap and the catch-up.
 */
#ifndef DP_ACL_H
#define DP_ACL_H

#include <stdint.h>
#include <string.h>

#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_rcu_qsbr.h>

#include "sbc_cidr.h"
#include "sbc_config.h"

#define DP_TRUNK_NONE UINT32_MAX

/* What a lookup returns for an address in no prefix (fits the 4-byte next-hop format). */
#define DP_ACL_NO_RULE 0x7fffffffu

#define DP_ACL_ANY4_WORDS ((1u << 24) / 64)	/* the /24 bitmap: 2 MB */

struct dp_acl_bank {
	struct rte_fib *v4;
	struct rte_fib6 *v6;
	uint64_t *any4;		/* bit x: some prefix covers or lies in the /24 x (x = ip >> 8) */
	uint32_t stale4;	/* IPv4 deletions since any4 was made anew (main lcore only) */
};

struct dp_acl;

/* Per-worker counters of the rules: one slot each, written by that worker only. */
struct dp_acl_hits {
	uint64_t *hits;
};

struct dp_acl *dp_acl_create(const struct sbc_config *cfg, struct rte_rcu_qsbr *qsv, int socket);
void dp_acl_free(struct dp_acl *acl);

/* Number of rule slots (size of a hit-counter array). */
uint32_t dp_acl_slots(const struct dp_acl *acl);

/* Register a worker's hit counters (before workers start). */
void dp_acl_set_hits(struct dp_acl *acl, unsigned int worker, uint64_t *hits);

/*
 * Replace trunk's whole allowlist with set[0..n). Atomic for the workers. Refused whole, old set
 * kept, when a prefix belongs to another trunk (-EEXIST), is listed twice (-EINVAL) or the
 * tables lack room (-ENOSPC); err says which. Main lcore only.
 */
int dp_acl_replace(struct dp_acl *acl, uint32_t trunk, const struct sbc_prefix *set, uint32_t n,
		   char *err, size_t errlen);

/*
 * CLOCK_REALTIME (ns) at which the last change became visible to every worker: after the RCU
 * wait, before the old bank is caught up (which no worker reads). 0 before any change.
 */
uint64_t dp_acl_visible_ns(const struct dp_acl *acl);

/*
 * Add adds[0..na) to and remove dels[0..nd) from trunk's set, as one atomic change. Adds already
 * in the set and deletes not in it are ignored. Refused whole like replace.
 */
int dp_acl_update(struct dp_acl *acl, uint32_t trunk, const struct sbc_prefix *adds, uint32_t na,
		  const struct sbc_prefix *dels, uint32_t nd, char *err, size_t errlen);

/* The bank workers read now; call once per burst, between two quiescent reports. */
const struct dp_acl_bank *dp_acl_reader(const struct dp_acl *acl);

/* Prefix counts of a trunk (any thread). */
void dp_acl_counts(const struct dp_acl *acl, uint32_t trunk, uint32_t *v4, uint32_t *v6);

/*
 * Telemetry: call fn for the trunk's prefixes from index first on, at most max of them, with
 * the hits summed over workers. Returns the trunk's prefix count. Any thread (takes a mutex
 * that only the main lcore's updates share; never a worker).
 */
uint32_t dp_acl_list(struct dp_acl *acl, uint32_t trunk, uint32_t first, uint32_t max,
		     void (*fn)(void *arg, const struct sbc_prefix *p, uint64_t hits), void *arg);

/* Slot -> trunk, read by workers. */
extern const uint32_t *dp_acl_slot_trunk;

/*
 * Worker fast path, once per burst and family: the rule slot of the longest prefix holding
 * each address. One bulk call lets the table prefetch every entry of the burst before it reads
 * the first (DIR-24-8: one tbl24 line per address, a tbl8 for some). ip: host-order IPv4
 * addresses; hop: n entries, each a slot or DP_ACL_NO_RULE. Returns whether some address is
 * listed (a flood of unlisted ones: false, and the caller need not place a slot per frame:
 * hop[] is then not read, and the IPv4 lookup may not have written it).
 */
static inline bool dp_acl_any_listed(const uint64_t *hop, unsigned int n)
{
	uint64_t listed = 0;

	for (unsigned int i = 0; i < n; i++)	/* no branch a frame: a flood's is one test */
		listed |= hop[i] ^ DP_ACL_NO_RULE;
	return listed != 0;
}

/* Whether the /24 of ip (host order) has its bit: some prefix may hold ip. */
static inline bool dp_acl_any4(const struct dp_acl_bank *b, uint32_t ip)
{
	uint32_t x = ip >> 8;

	return (b->any4[x >> 6] >> (x & 63)) & 1;
}

#define DP_ACL_BULK 64	/* addresses a bulk lookup takes at most */

/* IPv4, the n addresses of which m have their /24's bit (dp_acl_any4): only those are looked
 * up. When none has (a flood from outside every listed /24), nothing is looked up, hop[] is not
 * written and the answer is false; when all have, all are looked up; only a burst of both
 * kinds has those with a bit gathered. n <= DP_ACL_BULK. */
static inline bool dp_acl_lookup4_counted(const struct dp_acl_bank *b, uint32_t *ip,
					  uint64_t *hop, unsigned int n, unsigned int m)
{
	uint32_t sub[DP_ACL_BULK];
	uint64_t subhop[DP_ACL_BULK];
	uint8_t at[DP_ACL_BULK];

	if (m == 0)
		return false;
	if (m == n) {
		rte_fib_lookup_bulk(b->v4, ip, hop, n);
		return dp_acl_any_listed(hop, n);
	}
	m = 0;
	for (unsigned int i = 0; i < n; i++) {	/* gathered without a branch */
		at[m] = (uint8_t)i;
		sub[m] = ip[i];
		m += dp_acl_any4(b, ip[i]);
	}
	rte_fib_lookup_bulk(b->v4, sub, subhop, m);
	for (unsigned int i = 0; i < n; i++)
		hop[i] = DP_ACL_NO_RULE;
	for (unsigned int k = 0; k < m; k++)
		hop[at[k]] = subhop[k];
	return dp_acl_any_listed(subhop, m);
}

/* IPv4: the addresses' bits counted first (a test and an add an address), then as
 * dp_acl_lookup4_counted. (The worker's sort counts the bits of a run's sources as it reads
 * them, and calls that directly.) */
static inline bool dp_acl_lookup4_bulk(const struct dp_acl_bank *b, uint32_t *ip, uint64_t *hop,
				       unsigned int n)
{
	unsigned int m = 0;

	if (n > DP_ACL_BULK) {	/* (the workers' bursts are smaller) */
		rte_fib_lookup_bulk(b->v4, ip, hop, n);
		return dp_acl_any_listed(hop, n);
	}
#pragma GCC unroll 4	/* (the loop's own compare and branch were 3 of its 11 instructions) */
	for (unsigned int i = 0; i < n; i++)
		m += dp_acl_any4(b, ip[i]);
	return dp_acl_lookup4_counted(b, ip, hop, n, m);
}

static inline bool dp_acl_lookup6_bulk(const struct dp_acl_bank *b,
				       uint8_t ip[][RTE_FIB6_IPV6_ADDR_SIZE], uint64_t *hop,
				       unsigned int n)
{
	rte_fib6_lookup_bulk(b->v6, ip, hop, n);
	return dp_acl_any_listed(hop, n);
}

/* slot[at[i]] = hop[i]'s slot, or DP_TRUNK_NONE (at: the frame each address came from); hop
 * NULL: every one unlisted. */
static inline void dp_acl_hops_to_slots(const uint64_t *hop, const uint8_t *at, uint32_t *slot,
					unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		slot[at[i]] = hop == NULL || hop[i] == DP_ACL_NO_RULE ? DP_TRUNK_NONE :
										   (uint32_t)hop[i];
}

#endif
