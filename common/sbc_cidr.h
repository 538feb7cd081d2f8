/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CIDR prefixes (IPv4 and IPv6) as the allowlists carry them: parsing with strict checks
 * (prefix length in range, no host bits set) and formatting. Pure C, shared by the data plane,
 * the control plane and the tests; no DPDK.
 */
#ifndef SBC_CIDR_H
#define SBC_CIDR_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define SBC_AF_V4 4
#define SBC_AF_V6 6

/* Longest text form: full IPv6 with embedded IPv4 plus "/128". */
#define SBC_CIDR_STRLEN 64

struct sbc_prefix {
	uint8_t family;		/* SBC_AF_V4 or SBC_AF_V6 */
	uint8_t depth;		/* prefix length: 0-32 or 0-128 */
	uint8_t addr[16];	/* network byte order; IPv4 uses addr[0..3], the rest zero */
};

/*
 * Parse "a.b.c.d[/n]" or "x:y::z[/n]" (no brackets, no zone). A bare address is a host route.
 * Returns 0, or -EINVAL with a human-readable reason in err (when err != NULL).
 */
int sbc_prefix_parse(const char *text, struct sbc_prefix *p, char *err, size_t errlen);

/* Text form of p ("198.51.100.0/24"); returns buf. */
const char *sbc_prefix_format(const struct sbc_prefix *p, char *buf, size_t len);

bool sbc_prefix_equal(const struct sbc_prefix *a, const struct sbc_prefix *b);

/* true when addr (family's width, network order) falls inside p. */
bool sbc_prefix_contains(const struct sbc_prefix *p, const uint8_t *addr);

#endif
