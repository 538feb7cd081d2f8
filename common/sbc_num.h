/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one decimal parser both processes use: digits only (no sign, blank, "0x" or trailing
 * text, which strtoul would take), at most 10 of them, value <= max. Header-only: the SIP
 * scanner calls it per header on the hot path, config and Redis values call it at their pace.
 */
#ifndef SBC_NUM_H
#define SBC_NUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* s[0..len) -> *out; false (and *out untouched) unless it is 1-10 digits with value <= max */
static inline bool sbc_parse_u32(const char *s, size_t len, uint64_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned int d = (unsigned int)(unsigned char)s[i] - '0';

		if (d > 9)
			return false;
		v = v * 10 + d;
	}
	if (v > max || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

#endif
