/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FNV-1a, 64-bit: the one small non-cryptographic hash both processes use (table slots, layout
 * fingerprints, reply tags). Header-only so the data plane's hot path inlines it. Not for
 * anything an attacker chooses to collide (the data plane's call table uses rte_hash).
 */
#ifndef SBC_HASH_H
#define SBC_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SBC_FNV1A_INIT 0xcbf29ce484222325ull
#define SBC_FNV1A_PRIME 0x100000001b3ull

/* Continue hash h over n bytes (start with SBC_FNV1A_INIT, or a keyed variant of it). */
static inline uint64_t sbc_fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= SBC_FNV1A_PRIME;
	}
	return h;
}

#endif
