/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Next hops of relayed media: which address a packet goes to (the remote when on-link, else
 * [sbc] gateway / gateway6) and that address's MAC. MACs are learnt from the ARP and neighbour
 * discovery that pass from the wire to the kernel (requests and answers to the SBC); one that
 * is not known is asked for (ARP request, neighbour solicitation) by the worker that needed it,
 * at most every DP_NEIGH_ASK_MS per address and worker.
 *
 * Hold queue (per worker, no locks): a packet whose next hop is not known is rewritten for it
 * but for the destination MAC and held, at most DP_NEIGH_HOLD_PER per next hop and
 * DP_NEIGH_HOLD_MAX per worker (beyond: dropped, media_hold_full). Once the answer is learnt
 * (by any worker: dp_neigh_gen moves), the worker sends what it holds for that hop in the
 * order held, before anything newer to it: a packet to an answered hop it still holds for
 * queues behind them (outside those bounds: at most a burst, sent at the burst's end). What
 * waits longer than DP_NEIGH_HOLD_MS is dropped, media_no_neighbour.
 *
 * Ageing (worker 0, every DP_NEIGH_AGE_SCAN_MS of the data plane's clock): an entry not
 * confirmed (an ARP or ND frame from that address passing to the kernel) for
 * DP_NEIGH_REACHABLE_S is asked again with a unicast ARP request / NS to its MAC, up to
 * DP_NEIGH_PROBES times DP_NEIGH_PROBE_MS apart, while it is still used; an answer confirms
 * it, none removes it (the next packet to it is held and asked for by broadcast).
 *
 * The table is open addressing with linear probing; workers read it without locks, each
 * entry under a sequence counter (odd while a writer changes it: the reader reads again). The
 * few writers (a worker seeing ARP or ND, worker 0 ageing) serialise on a spinlock. A removed
 * entry stays a tombstone that probing walks past; an insert takes the first tombstone on its
 * path, else an empty slot while fewer than 3/4 of the slots are used: DP_NEIGH_SLOTS * 3 / 4
 * addresses at most, more are counted (neigh_full) and not learnt.
 */
#ifndef DP_NEIGH_H
#define DP_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "dp_parse.h"

#define DP_NEIGH_SLOTS 4096		/* power of two */
#define DP_NEIGH_ASK_MS 100
#define DP_NEIGH_ASK_CACHE 16		/* per worker: addresses recently asked for */
#define DP_NEIGH_HOLD_PER 4		/* packets held per unresolved next hop and worker */
#define DP_NEIGH_HOLD_MAX 64		/* packets held per worker */
#define DP_NEIGH_HOLD_SLOTS (DP_NEIGH_HOLD_MAX + 32)	/* + a burst waiting behind them */
#define DP_NEIGH_HOLD_MS 200		/* ... at most this long */
#define DP_NEIGH_REACHABLE_S 30		/* unconfirmed this long: asked again */
#define DP_NEIGH_PROBES 3		/* unicast requests before removal */
#define DP_NEIGH_PROBE_MS 1000		/* between them */
#define DP_NEIGH_AGE_SCAN_MS 250
#define DP_NEIGH_AGE_ASKS 16		/* requests per scan at most (the rest next scan) */

/* Per worker: when each recently asked address was asked (direct-mapped by hash). */
struct dp_neigh_asked {
	uint32_t hash[DP_NEIGH_ASK_CACHE];
	uint64_t tsc[DP_NEIGH_ASK_CACHE];
};

/* Per worker: packets waiting for their next hop's MAC, oldest first. */
struct dp_neigh_held {
	unsigned int n;
	uint32_t gen;			/* dp_neigh_gen when last released from */
	struct rte_mbuf *m[DP_NEIGH_HOLD_SLOTS];
	uint64_t deadline_ns[DP_NEIGH_HOLD_SLOTS];
	uint8_t family[DP_NEIGH_HOLD_SLOTS];
	uint8_t hop[DP_NEIGH_HOLD_SLOTS][16];
	/* this worker's counts (relaxed stores, read by telemetry) */
	uint64_t held, released, full, expired;
	uint64_t age_scan_ns;		/* worker 0: the last ageing scan */
};

struct dp_neigh_counters {
	uint64_t learnt;	/* new addresses */
	uint64_t changed;	/* a known address with a new MAC */
	uint64_t full;		/* not learnt: the table is full */
	uint64_t confirmed;	/* an ARP/ND frame from a known address (and its MAC) */
	uint64_t probes;	/* unicast requests of ageing */
	uint64_t aged;		/* removed: no answer to them */
};

/* Bumped (release) whenever an address is learnt or changes MAC: a cached MAC taken at
 * generation g is still right while dp_neigh_gen == g. */
extern uint32_t dp_neigh_gen;

void dp_neigh_init(void);

/* The next hop of dst (family SBC_AF_V4 / SBC_AF_V6, 4 or 16 bytes) into hop[16]; false when
 * dst is off-link and there is no gateway of its family. */
bool dp_neigh_next_hop(uint8_t family, const uint8_t *dst, uint8_t *hop);

/* The MAC of hop, if known. Lock-free, any lcore. */
bool dp_neigh_lookup(uint8_t family, const uint8_t *hop, uint8_t *mac);

/* Learn (or refresh) hop -> mac. Any lcore (spinlock). */
void dp_neigh_learn(uint8_t family, const uint8_t *hop, const uint8_t *mac);

/* A frame on its way from the wire to the kernel (ARP for us, ICMPv6 for us): learn its
 * sender's MAC when it says one (ARP request or reply; NS with a source link-layer address
 * option, NA with a target link-layer address option). */
void dp_neigh_snoop(const uint8_t *frame, const struct dp_pkt *p);

/* Should this worker ask for hop now (and note that it did)? */
bool dp_neigh_should_ask(struct dp_neigh_asked *a, uint8_t family, const uint8_t *hop,
			 uint64_t now_tsc);

/* An ARP request (IPv4) or neighbour solicitation (IPv6) for hop, from the SBC's address and
 * the wire MAC, in a new mbuf of pool; NULL when the pool is empty. */
struct rte_mbuf *dp_neigh_solicit(struct rte_mempool *pool, uint8_t family, const uint8_t *hop);

void dp_neigh_counters(struct dp_neigh_counters *c, uint32_t *entries);

/* Hold m (rewritten for hop but for the destination MAC) until hop is learnt; false when hop
 * already has DP_NEIGH_HOLD_PER packets held here or the worker DP_NEIGH_HOLD_MAX (the caller
 * drops it: media_hold_full). answered: hop is known, m only waits behind those held for it
 * (not bounded by them: a burst at most). */
bool dp_neigh_hold(struct dp_neigh_held *h, struct rte_mbuf *m, uint8_t family,
		   const uint8_t *hop, uint64_t now_ns, bool answered);

/* Does this worker hold packets for hop? (A packet to it then queues behind them.) */
bool dp_neigh_holding(const struct dp_neigh_held *h, uint8_t family, const uint8_t *hop);

/* Is there anything to release or expire? (One compare when nothing is held.) */
static inline bool dp_neigh_release_due(const struct dp_neigh_held *h, uint64_t now_ns)
{
	return h->n > 0 && (h->gen != __atomic_load_n(&dp_neigh_gen, __ATOMIC_ACQUIRE) ||
			    now_ns >= h->deadline_ns[0]);
}

/* The held packets whose next hop is known now, their destination MAC written, into out[] in
 * the order held (room at most; the rest stay); those past their deadline freed and added to
 * *expired. Returns how many went into out. */
unsigned int dp_neigh_release(struct dp_neigh_held *h, uint64_t now_ns, struct rte_mbuf **out,
			      unsigned int room, uint64_t *expired);

/* Worker 0, often: every DP_NEIGH_AGE_SCAN_MS one ageing scan (dp_neigh.h's top); unicast
 * requests, made from pool, into out[] (room at most). Returns how many. */
unsigned int dp_neigh_age(uint64_t *last_scan_ns, uint64_t now_ns, struct rte_mempool *pool,
			  struct rte_mbuf **out, unsigned int room);

#endif
