/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REGISTER from unlisted sources (issue 11): while some trunk takes digest credentials, an
 * unlisted source may REGISTER to the control plane within [sbc] register_rate per second
 * (burst the same). Each worker keeps its own bucket table (no atomics on the packet path):
 * a fixed number of 8-way sets of (source, GCRA theoretical arrival time). A source with no
 * entry takes a free way or the idlest one whose bucket has refilled (evicting it forgets
 * nothing: a full bucket is what a new entry starts with); when every way of its set is a
 * source still inside its rate, its REGISTER is dropped (register_table_full): bounded memory,
 * and a flood of new sources cannot reset a busy source's bucket. Pure C (no EAL): the unit
 * suite runs it directly.
 */
#ifndef DP_REGRATE_H
#define DP_REGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dp_drops.h"
#include "dp_parse.h"

#define DP_REGRATE_WAYS 8

struct dp_regrate_entry {
	uint8_t key[16];	/* IPv6, or IPv4-mapped (::ffff:a.b.c.d) */
	uint64_t tat;		/* GCRA: when the bucket is full again (ns); 0 = free way */
};

struct dp_regrate {
	struct dp_regrate_entry *e;	/* sets * DP_REGRATE_WAYS */
	uint32_t set_mask;		/* sets - 1 */
	uint64_t interval_ns;		/* 1 s / rate; 0: rate 0, nothing passes */
	uint64_t tolerance_ns;		/* (burst - 1) * interval */
	uint64_t passed;		/* REGISTERs passed to the control plane */
	uint64_t seed;			/* keys the set hash: sources cannot aim at one set */
};

/* A table for at least `sources` entries at rate per second (burst = rate); seed: a random
 * number keying the set hash; mem: the memory to use (dp_regrate_bytes(sources) bytes,
 * zeroed), or NULL to allocate with calloc. */
size_t dp_regrate_bytes(uint32_t sources);
int dp_regrate_init(struct dp_regrate *r, uint32_t sources, uint32_t rate, uint64_t seed,
		    void *mem);

/* A REGISTER request over UDP, whole (not a fragment): its start line's method. */
static inline bool dp_regrate_is_register(const uint8_t *frame, const struct dp_pkt *p)
{
	return p->proto == DP_PROTO_UDP && p->frag == DP_FRAG_NONE && p->payload_len >= 9 &&
	       memcmp(frame + p->payload_off, "REGISTER ", 9) == 0;
}

/* Take a token for p's source at now_ns: DP_DROP_NONE (pass), DP_DROP_REGISTER_OVER_RATE
 * or DP_DROP_REGISTER_TABLE_FULL. */
enum dp_drop dp_regrate_take(struct dp_regrate *r, const struct dp_pkt *p, uint64_t now_ns);

#endif
