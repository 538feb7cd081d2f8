/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CIDR parsing and formatting for allowlist entries. Strict on purpose: an operator who writes
 * 203.0.113.7/24 almost certainly meant something else, so host bits set are an error that names
 * the prefix they probably meant, never a silent mask.
 */
#include "sbc_cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, fmt, a, b);
	return -EINVAL;
}

int sbc_prefix_parse(const char *text, struct sbc_prefix *p, char *err, size_t errlen)
{
	char addr[SBC_CIDR_STRLEN];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned int max, depth;

	memset(p, 0, sizeof(*p));
	if (alen == 0 || alen >= sizeof(addr))
		return fail(err, errlen, "'%s' is not an IPv4 or IPv6 prefix%s", text, "");
	memcpy(addr, text, alen);
	addr[alen] = '\0';

	if (inet_pton(AF_INET, addr, p->addr) == 1) {
		p->family = SBC_AF_V4;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, p->addr) == 1) {
		p->family = SBC_AF_V6;
		max = 128;
	} else {
		return fail(err, errlen, "'%s' is not an IPv4 or IPv6 address%s", text, "");
	}

	depth = max;
	if (slash != NULL) {
		const char *d = slash + 1;
		char *end;
		unsigned long v;

		/* digits only: strtoul would accept " 24", "+24" and "0x18" */
		if (*d == '\0' || strspn(d, "0123456789") != strlen(d) || strlen(d) > 3)
			return fail(err, errlen, "'%s': prefix length is not a number%s", text, "");
		v = strtoul(d, &end, 10);
		if (v > max)
			return fail(err, errlen, "'%s': prefix length is larger than %s", text,
				    max == 32 ? "32" : "128");
		depth = (unsigned int)v;
	}
	p->depth = (uint8_t)depth;

	/* RFC 4632 3.1: the bits past the prefix length must be zero. */
	for (unsigned int bit = depth; bit < max; bit++) {
		if (p->addr[bit / 8] & (0x80u >> (bit % 8))) {
			struct sbc_prefix m = *p;
			char want[SBC_CIDR_STRLEN];

			for (unsigned int b = depth; b < max; b++)
				m.addr[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
			sbc_prefix_format(&m, want, sizeof(want));
			return fail(err, errlen, "'%s' has host bits set (did you mean %s?)", text, want);
		}
	}
	return 0;
}

const char *sbc_prefix_format(const struct sbc_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(p->family == SBC_AF_V4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, p->depth);
	return buf;
}

bool sbc_prefix_equal(const struct sbc_prefix *a, const struct sbc_prefix *b)
{
	return a->family == b->family && a->depth == b->depth &&
	       memcmp(a->addr, b->addr, a->family == SBC_AF_V4 ? 4 : 16) == 0;
}

bool sbc_prefix_contains(const struct sbc_prefix *p, const uint8_t *addr)
{
	unsigned int full = p->depth / 8, rest = p->depth % 8;

	if (memcmp(p->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff00u >> rest);
	return (p->addr[full] & mask) == (addr[full] & mask);
}
