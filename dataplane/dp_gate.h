/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One admission decision for a new call, whatever the transport: the trunk's CPS bucket
 * (dp_cps.h), its max_calls slot counter and the call table (dp_calls.c), and the verdict
 * cache that gives a retransmission or resend the first copy's answer. Called by the workers
 * for UDP INVITEs (dp_admit.c) and by the main lcore for the control plane's TCP/TLS requests
 * (dp_channel.c), on the same per-trunk state: one budget per trunk.
 *
 * Concurrency: every piece it touches is already shared by all workers without a lock: the
 * bucket is one 64-bit word per trunk updated by compare-and-swap, the slot counter an atomic
 * add that backs out over the cap, the call and verdict tables rte_hash tables with multi-writer
 * adds (rte_hash's own writer lock) and lock-free lookups. The main lcore is one more writer of
 * the same kind. It is not an RCU reader: a key slot that a worker deletes and a grace period
 * later reuses could change under one of its lookups, which then compares a different 128-bit
 * key and misses (a just-deleted call was a miss anyway); no record it reads can be freed
 * under it, because it reads records only of keys it has just added or deleted itself.
 * No allocation, no syscalls; pure apart from DPDK's hash, so the unit suite runs it.
 */
#ifndef DP_GATE_H
#define DP_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_calls.h"

struct dp_trunk_stats;

struct dp_gate {
	uint16_t trunk;
	bool emergency;			/* Request-URI user is an emergency number: past the caps */
	uint32_t cps, burst, max_calls;	/* the trunk's limits in force */
	uint64_t *tat;			/* the trunk's CPS bucket (dp.cps_tat[trunk]) */
	struct dp_key128 call;		/* Call-ID */
	struct dp_key128 vkey;		/* Call-ID + CSeq (+ branch for UDP): the verdict cache */
	const void *call_id;		/* for the call record */
	uint32_t call_id_len;
};

/*
 * Admit or refuse at now_ns. DP_V_ADMITTED with *again false: a new slot was taken (and a
 * token unless emergency); with *again true: a retransmission or resend of a call admitted
 * before (no token, no slot). Otherwise the refusal (fresh, or the cached one: *again).
 * Counters go to ts (admitted, emergency, retransmissions, over_cps, over_calls, table_full).
 */
enum dp_verdict dp_gate_admit(const struct dp_gate *g, uint64_t now_ns, struct dp_trunk_stats *ts,
			      bool *again);

/* Is user (len bytes) one of the configured emergency numbers? */
struct sbc_config;
bool dp_gate_is_emergency(const struct sbc_config *cfg, const void *user, uint32_t len);

#endif
