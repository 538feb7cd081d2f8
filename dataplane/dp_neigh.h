/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Next hops of relayed media: which address a packet goes to (the remote when on-link, else
 * [sbc] gateway / gateway6) and that address's MAC. MACs are learnt from the ARP and neighbour
 * discovery that pass from the wire to the kernel (requests and answers to the SBC); one that
 * is not known is asked for (ARP request, neighbour solicitation) by the worker that needed it,
 * at most every DP_NEIGH_ASK_MS per address and worker, and the packet is dropped and counted
 * (media_no_neighbour): RTP comes 50 times a second, the next one finds the answer.
 *
 * The table is open addressing, insert-only (an entry's MAC may change, its address never):
 * workers read it without locks (an entry's address is published by a release store of its
 * state, its MAC is one 64-bit word); the few writers (a worker seeing ARP or ND, rare next to
 * media) serialise on a spinlock. Entries are never removed: DP_NEIGH_SLOTS addresses at most,
 * more are counted (neigh_full) and not learnt.
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

/* Per worker: when each recently asked address was asked (direct-mapped by hash). */
struct dp_neigh_asked {
	uint32_t hash[DP_NEIGH_ASK_CACHE];
	uint64_t tsc[DP_NEIGH_ASK_CACHE];
};

struct dp_neigh_counters {
	uint64_t learnt;	/* new addresses */
	uint64_t changed;	/* a known address with a new MAC */
	uint64_t full;		/* not learnt: the table is full */
};

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

#endif
