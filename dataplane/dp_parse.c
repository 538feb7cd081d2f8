/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Layer 2-4 parser run by every worker on every received frame. It trusts no length field: each
 * header is checked against what the frame really holds, and a lie becomes a named drop reason.
 */
#include "dp_parse.h"

#include <string.h>

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

uint32_t dp_csum_partial(const void *buf, uint32_t len, uint32_t sum)
{
	return dp_csum_sum(buf, len, sum);
}

static enum dp_drop parse_l4(const uint8_t *f, struct dp_pkt *p)
{
	uint32_t avail = p->l3_end - p->l4_off;

	if (p->frag == DP_FRAG_LATER)
		return DP_DROP_NONE;	/* no transport header in this fragment */
	if (p->proto == DP_PROTO_UDP) {
		uint16_t ulen;

		if (avail < 8)
			return DP_DROP_UDP_BAD_LENGTH;
		ulen = rd16(f + p->l4_off + 4);
		/* A first fragment carries the whole datagram's length; only its floor is checkable. */
		if (ulen < 8 || (p->frag == DP_FRAG_NONE && ulen > avail))
			return DP_DROP_UDP_BAD_LENGTH;
		p->sport = rd16(f + p->l4_off);
		p->dport = rd16(f + p->l4_off + 2);
		p->payload_off = p->l4_off + 8u;
		p->payload_len = (p->frag == DP_FRAG_NONE ? ulen : avail) - 8u;
	} else if (p->proto == DP_PROTO_TCP) {
		uint32_t doff;

		if (avail < 20)
			return DP_DROP_TCP_BAD_HEADER;
		doff = (uint32_t)(f[p->l4_off + 12] >> 4) * 4u;
		if (doff < 20 || doff > avail)
			return DP_DROP_TCP_BAD_HEADER;
		p->sport = rd16(f + p->l4_off);
		p->dport = rd16(f + p->l4_off + 2);
		p->payload_off = p->l4_off + doff;
		p->payload_len = avail - doff;
	}
	return DP_DROP_NONE;
}

static enum dp_drop parse_ipv4(const uint8_t *f, uint32_t len, bool verify, struct dp_pkt *p)
{
	const uint8_t *ip = f + p->l3_off;
	uint32_t hlen, tlen, frag;

	if (len < p->l3_off + 20u)
		return DP_DROP_IPV4_TRUNCATED;
	if ((ip[0] >> 4) != 4 || (ip[0] & 0xf) < 5)
		return DP_DROP_IPV4_BAD_HEADER;
	hlen = (ip[0] & 0xfu) * 4u;
	if (len < p->l3_off + hlen)
		return DP_DROP_IPV4_TRUNCATED;
	tlen = rd16(ip + 2);
	if (tlen < hlen || p->l3_off + tlen > len)
		return DP_DROP_IPV4_BAD_LENGTH;
	if (verify && dp_csum_fold(dp_csum_partial(ip, hlen, 0)) != 0)
		return DP_DROP_IPV4_BAD_CHECKSUM;

	p->l3 = DP_L3_IPV4;
	p->l3_end = p->l3_off + tlen;
	p->proto = ip[9];
	p->src = ip + 12;
	p->dst = ip + 16;
	frag = rd16(ip + 6);
	if (frag & 0x1fff)
		p->frag = DP_FRAG_LATER;
	else if (frag & 0x2000)
		p->frag = DP_FRAG_FIRST;
	p->l4_off = p->frag == DP_FRAG_LATER ? 0 : (uint16_t)(p->l3_off + hlen);
	if (p->frag == DP_FRAG_LATER)
		return DP_DROP_NONE;
	return parse_l4(f, p);
}

/* RFC 8200 4: walk extension headers to the upper layer. Bounded: 8 headers at most. */
static enum dp_drop parse_ipv6(const uint8_t *f, uint32_t len, struct dp_pkt *p)
{
	const uint8_t *ip = f + p->l3_off;
	uint32_t plen, off;
	uint8_t nh;

	if (len < p->l3_off + 40u)
		return DP_DROP_IPV6_TRUNCATED;
	if ((ip[0] >> 4) != 6)
		return DP_DROP_IPV6_BAD_HEADER;
	plen = rd16(ip + 4);
	if (plen == 0 || p->l3_off + 40u + plen > len)	/* 0 = jumbogram (RFC 2675): not ours */
		return DP_DROP_IPV6_BAD_LENGTH;

	p->l3 = DP_L3_IPV6;
	p->l3_end = p->l3_off + 40u + plen;
	p->src = ip + 8;
	p->dst = ip + 24;
	nh = ip[6];
	off = p->l3_off + 40u;
	for (int i = 0;; i++) {
		uint32_t hl;

		switch (nh) {
		case 0:		/* hop-by-hop */
		case 43:	/* routing */
		case 60:	/* destination options */
		case 135:	/* mobility */
		case 139:	/* HIP */
		case 140:	/* shim6 */
			if (off + 8u > p->l3_end)
				return DP_DROP_IPV6_BAD_EXT;
			hl = ((uint32_t)f[off + 1] + 1u) * 8u;
			break;
		case 51:	/* AH: length in 4-octet units, minus 2 (RFC 4302 2.2) */
			if (off + 8u > p->l3_end)
				return DP_DROP_IPV6_BAD_EXT;
			hl = ((uint32_t)f[off + 1] + 2u) * 4u;
			break;
		case 44: {	/* fragment */
			uint16_t fo;

			if (off + 8u > p->l3_end)
				return DP_DROP_IPV6_BAD_EXT;
			fo = rd16(f + off + 2);
			if (fo & 0xfff8)
				p->frag = DP_FRAG_LATER;
			else if (fo & 1)
				p->frag = DP_FRAG_FIRST;
			hl = 8;
			break;
		}
		default:	/* upper layer (or ESP / no next header) */
			p->proto = nh;
			p->l4_off = p->frag == DP_FRAG_LATER ? 0 : (uint16_t)off;
			return parse_l4(f, p);
		}
		if (off + hl > p->l3_end || i >= 8)
			return DP_DROP_IPV6_BAD_EXT;
		nh = f[off];
		off += hl;
		if (p->frag == DP_FRAG_LATER) {
			p->proto = nh;
			p->l4_off = 0;
			return DP_DROP_NONE;
		}
	}
}

enum dp_drop dp_parse_full(const uint8_t *f, uint32_t len, bool verify_ip_csum, struct dp_pkt *p)
{
	uint32_t off = 12;
	uint16_t et;

	memset(p, 0, sizeof(*p));
	if (len < 14)
		return DP_DROP_L2_TRUNCATED;
	et = rd16(f + off);
	/* 802.1Q, 802.1ad and the pre-standard 0x9100 outer tag */
	while (et == 0x8100 || et == 0x88a8 || et == 0x9100) {
		if (++p->n_vlan > 2)
			return DP_DROP_VLAN_TOO_DEEP;
		off += 4;
		if (len < off + 2)
			return DP_DROP_L2_TRUNCATED;
		et = rd16(f + off);
	}
	p->l2_len = (uint16_t)(off + 2);
	p->l3_off = p->l2_len;

	switch (et) {
	case DP_ETHERTYPE_IPV4:
		return parse_ipv4(f, len, verify_ip_csum, p);
	case DP_ETHERTYPE_IPV6:
		return parse_ipv6(f, len, p);
	case DP_ETHERTYPE_ARP: {
		const uint8_t *a = f + p->l3_off;

		/* RFC 826 for Ethernet/IPv4 only: htype 1, ptype 0x0800, hlen 6, plen 4 */
		if (len < p->l3_off + 28u || rd16(a) != 1 || rd16(a + 2) != DP_ETHERTYPE_IPV4 ||
		    a[4] != 6 || a[5] != 4)
			return DP_DROP_ARP_MALFORMED;
		p->l3 = DP_L3_ARP;
		p->l3_end = p->l3_off + 28u;
		p->src = a + 14;
		p->dst = a + 24;
		return DP_DROP_NONE;
	}
	default:
		return DP_DROP_ETHERTYPE;
	}
}
