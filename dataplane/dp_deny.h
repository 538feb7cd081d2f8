/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The denylist: source addresses (IPv4 and IPv6, exact) whose every packet the workers drop
 * before anything beyond the IP header is looked at (drop reason `denied`). The control plane
 * mirrors Redis sbc:deny:<ip> into it through the channel (SBC_CMD_DENY_*); each entry also
 * carries its own expiry, enforced here, so a lost expiry event or a dead control plane never
 * denies for longer than the key's TTL said.
 *
 * Workers read, the main lcore writes, through two banks as the allowlist does: a change goes
 * to the bank no worker reads, the banks swap, RCU waits until every worker has left the old
 * one, and the change is replayed there. Each bank is an open-addressing table per family
 * (linear probing, backward-shift delete: safe because no worker reads the bank being changed).
 */
#ifndef DP_DENY_H
#define DP_DENY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_rcu_qsbr.h>
#include <rte_telemetry.h>

#include "dp_parse.h"
#include "sbc_channel.h"

/* What a worker reads: key arrays only (0 / all-zero = empty slot). */
struct dp_deny_bank {
	uint32_t n4, n6;		/* entries: 0 lets a worker skip the family */
	uint32_t mask4, mask6;		/* slots - 1 */
	uint32_t *key4;			/* IPv4, network order */
	uint8_t (*key6)[16];
};

/* The bank workers read now (never NULL: an empty one before dp_deny_create). */
extern const struct dp_deny_bank *dp_deny_active;

static inline uint32_t dp_deny_hash4(uint32_t a)
{
	return (a * 0x9e3779b1u) ^ (a >> 16);
}

static inline uint32_t dp_deny_hash6(const uint8_t *a)
{
	uint32_t w[4];

	memcpy(w, a, 16);
	return dp_deny_hash4(w[0] ^ (w[1] * 0x85ebca6bu) ^ (w[2] * 0xc2b2ae35u) ^ w[3]);
}

static inline bool dp_deny_find4(const struct dp_deny_bank *b, uint32_t a)
{
	for (uint32_t i = dp_deny_hash4(a) & b->mask4;; i = (i + 1) & b->mask4) {
		if (b->key4[i] == a)
			return true;
		if (b->key4[i] == 0)
			return false;
	}
}

static inline bool dp_deny_find6(const struct dp_deny_bank *b, const uint8_t *a)
{
	static const uint8_t zero[16];

	for (uint32_t i = dp_deny_hash6(a) & b->mask6;; i = (i + 1) & b->mask6) {
		if (memcmp(b->key6[i], a, 16) == 0)
			return true;
		if (memcmp(b->key6[i], zero, 16) == 0)
			return false;
	}
}

/* Worker fast path: is the IPv4 source a (4 bytes, network order) denied? An empty list costs
 * one load and a branch. */
static inline bool dp_deny_hit4(const uint8_t *src)
{
	const struct dp_deny_bank *b = __atomic_load_n(&dp_deny_active, __ATOMIC_ACQUIRE);
	uint32_t a;

	if (b->n4 == 0)
		return false;
	memcpy(&a, src, 4);
	return dp_deny_find4(b, a);
}

/* The same per parsed frame, either family. ARP counts as IPv4 (its sender address). */
static inline bool dp_deny_hit(const struct dp_pkt *p)
{
	const struct dp_deny_bank *b = __atomic_load_n(&dp_deny_active, __ATOMIC_ACQUIRE);

	if (p->l3 == DP_L3_IPV6)
		return b->n6 != 0 && dp_deny_find6(b, p->src);
	return dp_deny_hit4(p->src);
}

/* Tables for capacity entries (both families together), on the data plane's RCU. */
int dp_deny_create(uint32_t capacity, struct rte_rcu_qsbr *qsv);
void dp_deny_free(void);

/*
 * Main lcore. Add (or renew: new expiry and reason) / remove entries, one atomic change for the
 * workers. now_ns: the data plane's clock (dp_clock_ns). add: -ENOSPC when some did not fit
 * (the others are in; *refused counts them), -EINVAL for an all-zero address.
 */
int dp_deny_add(const struct sbc_deny_entry *e, unsigned int n, uint64_t now_ns,
		unsigned int *refused);
int dp_deny_del(const struct sbc_deny_entry *e, unsigned int n);
/* A full replay: begin marks every entry old; end lifts the ones no add renewed since. A
 * begin of another generation restarts it; an end whose generation is not the begin's is
 * ignored. */
void dp_deny_sync_begin(uint64_t generation);
int dp_deny_sync_end(uint64_t generation);
/* Lift what has expired by now_ns; cheap when nothing is due. */
unsigned int dp_deny_expire(uint64_t now_ns);

uint32_t dp_deny_count(void);
uint64_t dp_deny_visible_ns(void);	/* CLOCK_REALTIME of the last change every worker sees */

/* /sbc/denied: the entries with remaining seconds and reason, a page at a time. */
int dp_deny_telemetry_register(void);

#endif
