/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the L2-L4 parser (dataplane/dp_parse.c): each header the data plane accepts,
 * and each lie a frame can tell about its own lengths, mapped to its drop reason.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dp_parse.h"

struct frame {
	uint8_t b[2048];
	uint32_t n;
};

static void put(struct frame *f, const void *p, uint32_t n)
{
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put16(struct frame *f, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(f, x, 2);
}

static void eth(struct frame *f, int vlans, uint16_t et)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 0x10, 2, 0, 0, 0, 0, 1 };

	f->n = 0;
	put(f, macs, 12);
	for (int i = 0; i < vlans; i++) {
		put16(f, i == 0 && vlans > 1 ? 0x88a8 : 0x8100);
		put16(f, (uint16_t)(100 + i));
	}
	put16(f, et);
}

/* IPv4 header with optlen bytes of options; total = header + l4len. Returns its offset. */
static uint32_t ipv4(struct frame *f, uint8_t proto, uint32_t optlen, uint32_t l4len, uint16_t frag)
{
	uint32_t off = f->n, hl = 20 + optlen;
	uint8_t h[60] = { 0 };

	h[0] = (uint8_t)(0x40 | (hl / 4));
	h[2] = (uint8_t)((hl + l4len) >> 8);
	h[3] = (uint8_t)(hl + l4len);
	h[6] = (uint8_t)(frag >> 8);
	h[7] = (uint8_t)frag;
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, (uint8_t[]){ 203, 0, 113, 9 }, 4);
	memcpy(h + 16, (uint8_t[]){ 198, 51, 100, 10 }, 4);
	for (uint32_t i = 0; i < optlen; i++)
		h[20 + i] = 1;	/* NOP options */
	uint16_t c = dp_csum_fold(dp_csum_partial(h, hl, 0));
	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
	put(f, h, hl);
	return off;
}

static void udp(struct frame *f, uint16_t ulen, uint32_t payload)
{
	put16(f, 5062);
	put16(f, 5060);
	put16(f, ulen);
	put16(f, 0);
	memset(f->b + f->n, 'S', payload);
	f->n += payload;
}

static uint32_t ipv6(struct frame *f, uint8_t nh, uint16_t plen)
{
	uint32_t off = f->n;
	uint8_t h[40] = { 0x60 };

	h[4] = (uint8_t)(plen >> 8);
	h[5] = (uint8_t)plen;
	h[6] = nh;
	h[7] = 64;
	h[8] = 0x20; h[9] = 0x01; h[10] = 0x0d; h[11] = 0xb8; h[23] = 0x30;
	h[24] = 0x20; h[25] = 0x01; h[26] = 0x0d; h[27] = 0xb8; h[39] = 0x10;
	put(f, h, 40);
	return off;
}

static enum dp_drop parse(struct frame *f, struct dp_pkt *p)
{
	return dp_parse(f->b, f->n, true, p);
}

/* The fields dp_parse_full fills, compared one by one (the struct has padding). */
static void same_pkt(const struct dp_pkt *a, const struct dp_pkt *b)
{
	assert_int_equal(a->l2_len, b->l2_len);
	assert_int_equal(a->n_vlan, b->n_vlan);
	assert_int_equal(a->l3, b->l3);
	assert_int_equal(a->l3_off, b->l3_off);
	assert_int_equal(a->l4_off, b->l4_off);
	assert_int_equal(a->l3_end, b->l3_end);
	assert_int_equal(a->proto, b->proto);
	assert_int_equal(a->frag, b->frag);
	assert_int_equal(a->sport, b->sport);
	assert_int_equal(a->dport, b->dport);
	assert_int_equal(a->payload_off, b->payload_off);
	assert_int_equal(a->payload_len, b->payload_len);
	assert_ptr_equal(a->src, b->src);
	assert_ptr_equal(a->dst, b->dst);
}

/*
 * The worker's fast path (dp_plain_udp4_shape, then dp_plain_udp4_fill) against the full
 * parser: every frame the shape takes, the full parser takes too, with the same fields. Each
 * of the first 42 bytes of a plain IPv4/UDP frame set to each of the values the checks turn
 * on, and the frame cut at every length up to its end.
 */
static void plain_agrees_with_full(void **state)
{
	static const uint8_t vals[] = { 0x00, 0x01, 0x06, 0x08, 0x11, 0x1c, 0x20, 0x3f, 0x40,
					0x44, 0x45, 0x46, 0x55, 0x6c, 0x80, 0x86, 0xc0, 0xdd,
					0xff };
	struct frame f, g;
	struct dp_pkt a, b;
	unsigned int taken = 0, refused = 0;

	(void)state;
	eth(&f, 0, DP_ETHERTYPE_IPV4);
	ipv4(&f, DP_PROTO_UDP, 0, 8 + 100, 0);
	udp(&f, 108, 100);
	f.n += 6;	/* Ethernet padding */
	for (uint32_t pos = 0; pos <= 42; pos++) {
		for (size_t v = 0; v < sizeof(vals); v++) {
			for (uint32_t n = pos < 42 ? f.n : 0; n <= f.n; n++) {
				g = f;
				if (pos < 42)
					g.b[pos] = vals[v];
				g.n = n;
				if (!dp_plain_udp4_shape(g.b, g.n)) {
					refused++;
					continue;
				}
				taken++;
				dp_plain_udp4_fill(g.b, &a);
				assert_int_equal(dp_parse_full(g.b, g.n, false, &b), DP_DROP_NONE);
				same_pkt(&a, &b);
			}
		}
	}
	assert_true(taken > 0 && refused > 0);
}

static void good_v4_vlan_options(void **state)
{
	struct frame f;
	struct dp_pkt p;

	(void)state;
	for (int vlans = 0; vlans <= 2; vlans++) {
		for (uint32_t opt = 0; opt <= 40; opt += 4) {
			eth(&f, vlans, DP_ETHERTYPE_IPV4);
			ipv4(&f, DP_PROTO_UDP, opt, 8 + 100, 0);
			udp(&f, 108, 100);
			f.n += 6;	/* Ethernet padding after the datagram is fine */
			assert_int_equal(parse(&f, &p), DP_DROP_NONE);
			assert_int_equal(p.n_vlan, vlans);
			assert_int_equal(p.l3, DP_L3_IPV4);
			assert_int_equal(p.l4_off, 14 + 4 * vlans + 20 + opt);
			assert_int_equal(p.dport, 5060);
			assert_int_equal(p.sport, 5062);
			assert_int_equal(p.payload_len, 100);
			assert_int_equal(p.l3_end, f.n - 6);
			assert_int_equal(p.frag, DP_FRAG_NONE);
		}
	}
	eth(&f, 3, DP_ETHERTYPE_IPV4);
	assert_int_equal(parse(&f, &p), DP_DROP_VLAN_TOO_DEEP);
}

static void v4_lies(void **state)
{
	struct frame f;
	struct dp_pkt p;
	uint32_t ip;

	(void)state;
	f.n = 10;
	assert_int_equal(parse(&f, &p), DP_DROP_L2_TRUNCATED);
	eth(&f, 1, 0x8100);	/* a tag promising a second tag that is not there */
	assert_int_equal(parse(&f, &p), DP_DROP_L2_TRUNCATED);
	eth(&f, 0, 0x88cc);	/* LLDP */
	assert_int_equal(parse(&f, &p), DP_DROP_ETHERTYPE);

	eth(&f, 0, DP_ETHERTYPE_IPV4);
	ipv4(&f, DP_PROTO_UDP, 0, 8, 0);
	f.n -= 5;		/* cut inside the IPv4 header */
	assert_int_equal(parse(&f, &p), DP_DROP_IPV4_TRUNCATED);

	eth(&f, 0, DP_ETHERTYPE_IPV4);
	ip = ipv4(&f, DP_PROTO_UDP, 8, 8, 0);
	f.n -= 4;		/* cut inside the options */
	assert_int_equal(parse(&f, &p), DP_DROP_IPV4_TRUNCATED);

	eth(&f, 0, DP_ETHERTYPE_IPV4);
	ip = ipv4(&f, DP_PROTO_UDP, 0, 8, 0);
	udp(&f, 8, 0);
	f.b[ip] = 0x44;		/* IHL 4 */
	assert_int_equal(parse(&f, &p), DP_DROP_IPV4_BAD_HEADER);
	f.b[ip] = 0x65;		/* version 6 in an IPv4 frame */
	assert_int_equal(parse(&f, &p), DP_DROP_IPV4_BAD_HEADER);

	eth(&f, 0, DP_ETHERTYPE_IPV4);
	ipv4(&f, DP_PROTO_UDP, 0, 200, 0);	/* total length says 220, frame has 28 */
	udp(&f, 8, 0);
	assert_int_equal(parse(&f, &p), DP_DROP_IPV4_BAD_LENGTH);

	eth(&f, 0, DP_ETHERTYPE_IPV4);
	ip = ipv4(&f, DP_PROTO_UDP, 0, 8, 0);
	udp(&f, 8, 0);
	f.b[ip + 8]++;		/* TTL changed, checksum not */
	assert_int_equal(parse(&f, &p), DP_DROP_IPV4_BAD_CHECKSUM);
	assert_int_equal(dp_parse(f.b, f.n, false, &p), DP_DROP_NONE);	/* NIC said good */

	eth(&f, 0, DP_ETHERTYPE_IPV4);
	ipv4(&f, DP_PROTO_UDP, 0, 20, 0);
	udp(&f, 40, 12);	/* UDP length beyond the IP payload */
	assert_int_equal(parse(&f, &p), DP_DROP_UDP_BAD_LENGTH);
	eth(&f, 0, DP_ETHERTYPE_IPV4);
	ipv4(&f, DP_PROTO_UDP, 0, 20, 0);
	udp(&f, 7, 12);		/* below 8 */
	assert_int_equal(parse(&f, &p), DP_DROP_UDP_BAD_LENGTH);
	eth(&f, 0, DP_ETHERTYPE_IPV4);
	ipv4(&f, DP_PROTO_UDP, 0, 4, 0);	/* IP payload too short for a UDP header */
	put16(&f, 1); put16(&f, 2);
	assert_int_equal(parse(&f, &p), DP_DROP_UDP_BAD_LENGTH);

	eth(&f, 0, DP_ETHERTYPE_IPV4);
	ipv4(&f, DP_PROTO_TCP, 0, 20, 0);
	memset(f.b + f.n, 0, 20);
	f.b[f.n + 12] = 0x40;	/* data offset 4 */
	f.n += 20;
	assert_int_equal(parse(&f, &p), DP_DROP_TCP_BAD_HEADER);
	f.b[f.n - 20 + 12] = 0x50;
	assert_int_equal(parse(&f, &p), DP_DROP_NONE);
	assert_int_equal(p.proto, DP_PROTO_TCP);
	f.b[f.n - 20 + 12] = 0xf0;	/* 60 bytes of header in a 20-byte segment */
	assert_int_equal(parse(&f, &p), DP_DROP_TCP_BAD_HEADER);
}

static void v4_fragments(void **state)
{
	struct frame f;
	struct dp_pkt p;

	(void)state;
	eth(&f, 0, DP_ETHERTYPE_IPV4);
	ipv4(&f, DP_PROTO_UDP, 0, 1480, 0x2000);	/* MF, offset 0 */
	udp(&f, 3000, 1472);				/* UDP length is the whole datagram's */
	assert_int_equal(parse(&f, &p), DP_DROP_NONE);
	assert_int_equal(p.frag, DP_FRAG_FIRST);
	assert_int_equal(p.dport, 5060);

	eth(&f, 0, DP_ETHERTYPE_IPV4);
	ipv4(&f, DP_PROTO_UDP, 0, 100, 185);		/* offset 1480, last fragment */
	memset(f.b + f.n, 'x', 100);
	f.n += 100;
	assert_int_equal(parse(&f, &p), DP_DROP_NONE);
	assert_int_equal(p.frag, DP_FRAG_LATER);
	assert_int_equal(p.l4_off, 0);
	assert_int_equal(p.src[0], 203);
}

static void v6_ext_headers(void **state)
{
	struct frame f;
	struct dp_pkt p;
	uint8_t ext[8] = { 0 };

	(void)state;
	/* hop-by-hop (8) -> destination options (16) -> routing (8) -> UDP */
	eth(&f, 0, DP_ETHERTYPE_IPV6);
	ipv6(&f, 0, 8 + 16 + 8 + 8 + 10);
	ext[0] = 60; ext[1] = 0; put(&f, ext, 8);
	ext[0] = 43; ext[1] = 1; put(&f, ext, 8); memset(f.b + f.n, 1, 8); f.n += 8;
	ext[0] = 17; ext[1] = 0; put(&f, ext, 8);
	udp(&f, 18, 10);
	assert_int_equal(parse(&f, &p), DP_DROP_NONE);
	assert_int_equal(p.l3, DP_L3_IPV6);
	assert_int_equal(p.proto, DP_PROTO_UDP);
	assert_int_equal(p.l4_off, 14 + 40 + 32);
	assert_int_equal(p.payload_len, 10);

	/* an extension header that claims more than the payload */
	eth(&f, 0, DP_ETHERTYPE_IPV6);
	ipv6(&f, 60, 16);
	ext[0] = 17; ext[1] = 5; put(&f, ext, 8);
	memset(f.b + f.n, 0, 8); f.n += 8;
	assert_int_equal(parse(&f, &p), DP_DROP_IPV6_BAD_EXT);

	/* a chain of 10 headers is refused */
	eth(&f, 0, DP_ETHERTYPE_IPV6);
	ipv6(&f, 60, 80 + 8);
	for (int i = 0; i < 10; i++) {
		ext[0] = i == 9 ? 17 : 60; ext[1] = 0; put(&f, ext, 8);
	}
	udp(&f, 8, 0);
	assert_int_equal(parse(&f, &p), DP_DROP_IPV6_BAD_EXT);

	/* fragment header: first and later fragments */
	eth(&f, 0, DP_ETHERTYPE_IPV6);
	ipv6(&f, 44, 8 + 8 + 16);
	ext[0] = 17; ext[1] = 0; ext[2] = 0; ext[3] = 1; put(&f, ext, 8);	/* offset 0, M */
	udp(&f, 2000, 16);
	assert_int_equal(parse(&f, &p), DP_DROP_NONE);
	assert_int_equal(p.frag, DP_FRAG_FIRST);
	assert_int_equal(p.dport, 5060);
	eth(&f, 0, DP_ETHERTYPE_IPV6);
	ipv6(&f, 44, 8 + 16);
	ext[0] = 17; ext[2] = 0x05; ext[3] = 0xc8; put(&f, ext, 8);	/* offset 185*8 */
	memset(f.b + f.n, 0, 16); f.n += 16;
	assert_int_equal(parse(&f, &p), DP_DROP_NONE);
	assert_int_equal(p.frag, DP_FRAG_LATER);

	/* lengths */
	eth(&f, 0, DP_ETHERTYPE_IPV6);
	ipv6(&f, 17, 100);
	udp(&f, 8, 0);
	assert_int_equal(parse(&f, &p), DP_DROP_IPV6_BAD_LENGTH);
	eth(&f, 0, DP_ETHERTYPE_IPV6);
	ipv6(&f, 17, 0);	/* jumbogram marker */
	assert_int_equal(parse(&f, &p), DP_DROP_IPV6_BAD_LENGTH);
	eth(&f, 0, DP_ETHERTYPE_IPV6);
	ipv6(&f, 17, 8);
	f.n -= 10;
	assert_int_equal(parse(&f, &p), DP_DROP_IPV6_TRUNCATED);
	eth(&f, 0, DP_ETHERTYPE_IPV6);
	ipv6(&f, 17, 8);
	udp(&f, 8, 0);
	f.b[14] = 0x40;
	assert_int_equal(parse(&f, &p), DP_DROP_IPV6_BAD_HEADER);
}

static void arp(void **state)
{
	struct frame f;
	struct dp_pkt p;
	uint8_t a[28] = { 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 198, 51, 100, 20,
			  0, 0, 0, 0, 0, 0, 198, 51, 100, 10 };

	(void)state;
	eth(&f, 0, DP_ETHERTYPE_ARP);
	put(&f, a, 28);
	assert_int_equal(parse(&f, &p), DP_DROP_NONE);
	assert_int_equal(p.l3, DP_L3_ARP);
	assert_int_equal(p.dst[3], 10);
	assert_int_equal(p.src[3], 20);
	f.n -= 1;
	assert_int_equal(parse(&f, &p), DP_DROP_ARP_MALFORMED);
	f.n += 1;
	f.b[14 + 4] = 8;	/* hlen 8 */
	assert_int_equal(parse(&f, &p), DP_DROP_ARP_MALFORMED);
}

/* The valid frames every_cut cuts: one of each shape the parser walks. */
static bool cut_frame(struct frame *f, int which)
{
	static const uint8_t arp_body[28] = { 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 198, 51,
					      100, 20, 0, 0, 0, 0, 0, 0, 198, 51, 100, 10 };
	uint8_t ext[8] = { 17, 0 };

	switch (which) {
	case 0:		/* IPv4 behind two VLAN tags, 8 bytes of options, UDP, Ethernet padding */
		eth(f, 2, DP_ETHERTYPE_IPV4);
		ipv4(f, DP_PROTO_UDP, 8, 8 + 30, 0);
		udp(f, 38, 30);
		memset(f->b + f->n, 0, 6);
		f->n += 6;
		return true;
	case 1:		/* IPv6, a destination options header, UDP */
		eth(f, 0, DP_ETHERTYPE_IPV6);
		ipv6(f, 60, 8 + 8 + 20);
		put(f, ext, 8);
		udp(f, 28, 20);
		return true;
	case 2:		/* IPv4, TCP with 20 bytes of data */
		eth(f, 1, DP_ETHERTYPE_IPV4);
		ipv4(f, DP_PROTO_TCP, 0, 40, 0);
		memset(f->b + f->n, 0, 40);
		f->b[f->n + 12] = 0x50;
		f->n += 40;
		return true;
	case 3:		/* ARP padded to the Ethernet minimum */
		eth(f, 0, DP_ETHERTYPE_ARP);
		put(f, arp_body, 28);
		memset(f->b + f->n, 0, 18);
		f->n += 18;
		return true;
	case 4:		/* IPv6 first fragment */
		eth(f, 0, DP_ETHERTYPE_IPV6);
		ipv6(f, 44, 8 + 8 + 16);
		ext[0] = 17; ext[2] = 0; ext[3] = 1;
		put(f, ext, 8);
		udp(f, 2000, 16);
		return true;
	case 5:		/* IPv4 later fragment: no transport header */
		eth(f, 0, DP_ETHERTYPE_IPV4);
		ipv4(f, DP_PROTO_UDP, 0, 24, 185);
		memset(f->b + f->n, 'x', 24);
		f->n += 24;
		return true;
	default:
		return false;
	}
}

/* What a cut short of the IP datagram (or the ARP body) may be dropped as. */
static bool truncation_reason(enum dp_drop d)
{
	return d == DP_DROP_L2_TRUNCATED || d == DP_DROP_IPV4_TRUNCATED ||
	       d == DP_DROP_IPV4_BAD_LENGTH || d == DP_DROP_IPV6_TRUNCATED ||
	       d == DP_DROP_IPV6_BAD_LENGTH || d == DP_DROP_ARP_MALFORMED;
}

/* The fold by the RFC 1071 text: the halves added twice, with their carries. */
static uint16_t fold_by_halves(uint64_t s)
{
	uint32_t lo = (uint32_t)s, t = lo + (uint32_t)(s >> 32);

	t += t < lo;
	t = (t & 0xffff) + (t >> 16);
	t = (t & 0xffff) + (t >> 16);
	return (uint16_t)t;
}

/* dp_csum_fold64 (one rotate) gives what adding halves gives: every upper half against the
 * lower halves where carries turn (0, 1, 0x7fff, 0x8000, 0xfffe, 0xffff, and those that make the
 * sum of the halves 0xffff, 0x10000 and 0x10001), then sums of 64 bits from a fixed sequence;
 * and dp_v4_sum_ok accepts a header whose checksum was made for it, and no change of one bit. */
static void checksum_fold(void **state)
{
	static const uint8_t hdr[20] = { 0x45, 0, 0, 0x54, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0,
					 192, 0, 2, 10, 198, 51, 100, 7 };
	uint8_t h[20];
	uint64_t x = 88172645463325252ull;
	uint16_t c;

	(void)state;
	for (uint32_t hi = 0; hi <= 0xffff; hi++) {
		const uint32_t lows[] = { 0, 1, 0x7fff, 0x8000, 0xfffe, 0xffff,
					  (0xffff - hi) & 0xffff, (0x10000 - hi) & 0xffff,
					  (0x10001 - hi) & 0xffff };

		for (size_t k = 0; k < sizeof(lows) / sizeof(lows[0]); k++) {
			uint64_t s = (uint64_t)hi << 16 | lows[k];

			assert_int_equal(dp_csum_fold64(s), fold_by_halves(s));
			assert_int_equal(dp_csum_fold64(s << 32 | s), fold_by_halves(s << 32 | s));
		}
	}
	for (int i = 0; i < 1000000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		assert_int_equal(dp_csum_fold64(x), fold_by_halves(x));
	}
	memcpy(h, hdr, sizeof(h));
	c = dp_csum_fold(dp_csum_sum(h, 20, 0));
	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
	assert_true(dp_v4_sum_ok(h));
	for (unsigned int bit = 0; bit < 160; bit++) {
		h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(dp_v4_sum_ok(h));
		h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
}

/* A parse of buf[0..n) that succeeded: everything it points at lies inside the n bytes. */
static void assert_within(const struct dp_pkt *p, const uint8_t *buf, uint32_t n)
{
	uint32_t alen = p->l3 == DP_L3_IPV6 ? 16 : 4;

	assert_true(p->l3_end <= n);
	assert_true(p->l3_off == p->l2_len && p->l3_off < p->l3_end);
	assert_true(p->l4_off == 0 || (p->l4_off > p->l3_off && p->l4_off <= p->l3_end));
	assert_true(p->payload_off + p->payload_len <= p->l3_end);
	assert_true(p->src >= buf && p->src + alen <= buf + n);
	assert_true(p->dst >= buf && p->dst + alen <= buf + n);
}

/*
 * Every prefix of every valid frame: shorter than its datagram it is a truncation drop, from
 * the datagram's end on (Ethernet padding) it parses exactly as the whole frame does, and a
 * parse that succeeds points only inside the cut. Each cut is copied into a buffer of exactly
 * its length, so a read past the end is caught by ASan in the sanitizer build.
 */
static void every_cut(void **state)
{
	struct frame f;
	struct dp_pkt whole, p;
	int which;

	(void)state;
	for (which = 0; cut_frame(&f, which); which++) {
		assert_int_equal(dp_parse(f.b, f.n, true, &whole), DP_DROP_NONE);
		assert_within(&whole, f.b, f.n);
		for (uint32_t n = 0; n <= f.n; n++) {
			uint8_t *copy = malloc(n ? n : 1);
			enum dp_drop d;

			assert_non_null(copy);
			memcpy(copy, f.b, n);
			d = dp_parse(copy, n, true, &p);
			if (n < whole.l3_end) {
				if (!truncation_reason(d))
					fail_msg("frame %d cut at %u of %u: drop %d", which, n, f.n,
						 (int)d);
			} else {
				assert_int_equal(d, DP_DROP_NONE);
				assert_within(&p, copy, n);
				assert_int_equal(p.l4_off, whole.l4_off);
				assert_int_equal(p.l3_end, whole.l3_end);
				assert_int_equal(p.proto, whole.proto);
				assert_int_equal(p.frag, whole.frag);
				assert_int_equal(p.n_vlan, whole.n_vlan);
				assert_int_equal(p.payload_off, whole.payload_off);
				assert_int_equal(p.payload_len, whole.payload_len);
				assert_int_equal(p.sport, whole.sport);
				assert_int_equal(p.dport, whole.dport);
				assert_int_equal(p.src - copy, whole.src - f.b);
			}
			free(copy);
		}
	}
	assert_int_equal(which, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_v4_vlan_options),
		cmocka_unit_test(plain_agrees_with_full),
		cmocka_unit_test(v4_lies),
		cmocka_unit_test(v4_fragments),
		cmocka_unit_test(v6_ext_headers),
		cmocka_unit_test(arp),
		cmocka_unit_test(every_cut),
		cmocka_unit_test(checksum_fold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
