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

/*
 * Parse frame[0..len). verify_ip_csum: compute the IPv4 header checksum (false when the NIC
 * has already checked it). Returns DP_DROP_NONE or the reason to drop.
 */
enum dp_drop dp_parse(const uint8_t *frame, uint32_t len, bool verify_ip_csum, struct dp_pkt *p);

/* Internet checksum helpers (RFC 1071), shared with the reply builder. */
uint32_t dp_csum_partial(const void *buf, uint32_t len, uint32_t sum);
uint16_t dp_csum_fold(uint32_t sum);

#endif
