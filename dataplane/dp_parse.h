/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Layer 2-4 parsing of one received frame: Ethernet, up to two VLAN tags, ARP, IPv4 (options,
 * fragments), IPv6 (extension headers up to the upper layer), UDP, TCP. Pure C over a byte
 * buffer, no DPDK, so it is unit-tested and fuzzed without EAL; the worker calls it per packet.
 */
#ifndef DP_PARSE_H
#define DP_PARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dp_drops.h"

#define DP_ETHERTYPE_IPV4 0x0800
#define DP_ETHERTYPE_ARP  0x0806
#define DP_ETHERTYPE_IPV6 0x86dd

enum dp_l3 { DP_L3_NONE, DP_L3_ARP, DP_L3_IPV4, DP_L3_IPV6 };
enum dp_frag { DP_FRAG_NONE, DP_FRAG_FIRST, DP_FRAG_LATER };

#define DP_PROTO_ICMP   1
#define DP_PROTO_TCP    6
#define DP_PROTO_UDP    17
#define DP_PROTO_ICMPV6 58

struct dp_pkt {
	uint16_t l2_len;	/* Ethernet header plus VLAN tags */
	uint8_t n_vlan;
	uint8_t l3;		/* enum dp_l3 */
	uint16_t l3_off;	/* == l2_len */
	uint16_t l4_off;	/* UDP/TCP/ICMP header; 0 for later fragments */
	uint32_t l3_end;	/* end of the IP datagram in the frame (ignores Ethernet padding) */
	uint8_t proto;		/* upper-layer protocol after IPv6 extension headers */
	uint8_t frag;		/* enum dp_frag */
	uint16_t sport, dport;	/* host order; UDP/TCP only */
	uint32_t payload_off;	/* UDP payload or TCP segment data */
	uint32_t payload_len;
	const uint8_t *src;	/* IP source (4 or 16 bytes); ARP: sender protocol address */
	const uint8_t *dst;	/* IP destination; ARP: target protocol address */
};


/* The full parser: every shape, every check (dp_parse below tries the common shape first). */
enum dp_drop dp_parse_full(const uint8_t *frame, uint32_t len, bool verify_ip_csum,
			   struct dp_pkt *p);

static inline uint16_t dp_rd16(const uint8_t *b)
{
	return (uint16_t)((b[0] << 8) | b[1]);
}

static inline uint32_t dp_rd32(const uint8_t *b)
{
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

/*
 * Internet checksum helpers (RFC 1071), shared with the reply builder. The sum of big-endian
 * 16-bit words, 32 bits at a time into a 64-bit accumulator (2(B): the ones' complement sum
 * survives wider additions; folding brings the carries back). Inline, so that a constant
 * length (an IPv4 header's 20 bytes, checked for every listed packet) unrolls to five adds;
 * dp_csum_partial is the same out of line.
 */
static inline uint32_t dp_csum_sum(const void *buf, uint32_t len, uint32_t sum)
{
	const uint8_t *b = buf;
	uint64_t acc = sum;

	while (len >= 4) {
		uint32_t w;

		memcpy(&w, b, 4);
		acc += __builtin_bswap32(w);
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		acc += dp_rd16(b);
		b += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)b[0] << 8;
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)((acc & 0xffff) + (acc >> 16));
}

uint32_t dp_csum_partial(const void *buf, uint32_t len, uint32_t sum);
/* The one's complement of a 32-bit sum folded to 16 bits (inline: the relay's fast path
 * checks every IPv4 header with it). */
static inline uint16_t dp_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A one's complement sum of 16-bit words accumulated from native-order loads (32-bit ones: a
 * word pair, as 2^16 is 1 modulo 0xffff), folded to 16 bits with the carries: in the byte
 * order of the loads, which is also the order it is stored back in (RFC 1071 2(B)). The last
 * fold adds t's halves in the upper half of t + t rotated by 16, where the lower half's carry
 * is the end-around one (as Linux's csum_fold): one rotate, add and shift instead of two
 * rounds of mask, shift and add, the same value for every t. */
static inline uint16_t dp_csum_fold64(uint64_t s)
{
	uint32_t lo = (uint32_t)s, t = lo + (uint32_t)(s >> 32);

	t += t < lo;	/* the end-around carry */
	return (uint16_t)((t + (t << 16 | t >> 16)) >> 16);
}

/* A 20-byte IPv4 header's checksum holds: its five 32-bit words summed as loaded (no byte
 * swaps: a one's complement sum of a good header is all ones in either byte order, RFC 1071
 * 2(B)), in 64 bits, then folded with the carries. Every check of a header without options
 * is this one. */
static inline bool dp_v4_sum_ok(const uint8_t *ip)
{
	uint32_t w[5];

	memcpy(w, ip, sizeof(w));
	return dp_csum_fold64((uint64_t)w[0] + w[1] + w[2] + w[3] + w[4]) == 0xffff;
}

/* b[0..8) as a little-endian word: b[0] in the low byte */
static inline uint64_t dp_ld64le(const uint8_t *b)
{
	uint64_t w;

	memcpy(&w, b, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* The plain shape's (dp_plain_udp4_shape below) two word tests, on the little-endian words of
 * bytes 12-19 and 20-27: (w & MASK) == VALUE for bytes 12-14 (EtherType 0x0800, version 4 and
 * IHL 5), and for bytes 20, 21 and 23 (fragment offset and MF 0, whatever DF says; protocol
 * UDP). */
#define DP_PLAIN4_W12_MASK 0xffffffu
#define DP_PLAIN4_W12_VALUE 0x450008u
#define DP_PLAIN4_W20_MASK 0xff00ff3fu
#define DP_PLAIN4_W20_VALUE ((uint64_t)DP_PROTO_UDP << 24)

/* Its lengths, for a frame of len >= 42 bytes: 28 <= IPv4 total length <= len - 14, and 8 <=
 * UDP length <= total length - 20. Two unsigned compares: below its lower bound, a length
 * wraps round to more than any upper one. */
static inline bool dp_plain_udp4_lengths(const uint8_t *f, uint32_t len)
{
	uint32_t tlen = dp_rd16(f + 16), ulen = dp_rd16(f + 38);

	return tlen - 28 <= len - 42 && ulen - 8 <= tlen - 28;
}

/*
 * The shape nearly every frame has: untagged Ethernet, IPv4 without options, not a fragment,
 * UDP, all lengths consistent. A few loads decide it; dp_parse_plain_udp4 then fills *p exactly
 * as dp_parse_full would (the worker sorts a flood by the shape alone and fills *p only for
 * what goes on).
 */
static inline bool dp_plain_udp4_shape(const uint8_t *f, uint32_t len)
{
	if (len < 42)
		return false;
	if ((dp_ld64le(f + 12) & DP_PLAIN4_W12_MASK) != DP_PLAIN4_W12_VALUE ||
	    (dp_ld64le(f + 20) & DP_PLAIN4_W20_MASK) != DP_PLAIN4_W20_VALUE)
		return false;
	return dp_plain_udp4_lengths(f, len);
}

/* *p of a frame of the shape above. */
static inline void dp_plain_udp4_fill(const uint8_t *f, struct dp_pkt *p)
{
	uint32_t tlen = dp_rd16(f + 16), ulen = dp_rd16(f + 38);

	*p = (struct dp_pkt){
		.l2_len = 14, .l3 = DP_L3_IPV4, .l3_off = 14, .l4_off = 34, .l3_end = 14 + tlen,
		.proto = DP_PROTO_UDP, .frag = DP_FRAG_NONE,
		.sport = dp_rd16(f + 34), .dport = dp_rd16(f + 36),
		.payload_off = 42, .payload_len = ulen - 8, .src = f + 26, .dst = f + 30,
	};
}

/* The shape above, *p filled; false for anything else (which dp_parse_full then parses, and
 * names the defect). */
static inline bool dp_parse_plain_udp4(const uint8_t *f, uint32_t len, struct dp_pkt *p)
{
	if (!dp_plain_udp4_shape(f, len))
		return false;
	dp_plain_udp4_fill(f, p);
	return true;
}

/*
 * Parse frame[0..len). verify_ip_csum: compute the IPv4 header checksum (false when the NIC
 * has already checked it). Returns DP_DROP_NONE or the reason to drop.
 */
static inline enum dp_drop dp_parse(const uint8_t *frame, uint32_t len, bool verify_ip_csum,
				    struct dp_pkt *p)
{
	if (dp_parse_plain_udp4(frame, len, p) &&
	    (!verify_ip_csum || dp_v4_sum_ok(frame + 14)))
		return DP_DROP_NONE;
	return dp_parse_full(frame, len, verify_ip_csum, p);
}


#endif
