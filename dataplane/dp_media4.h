/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The media path's common case (dp_path_media.c), inline for both its callers: the plain
 * IPv4 relay of one RTP frame from its bytes, without a dp_pkt (dp_media4_relay), and the
 * pieces dp_path_media.c's general path shares with it. dp_path_media4_run relays a burst's
 * frames in a run of them; dp_worker.c's media_burst takes a burst of them whole, its frames
 * sorted, looked up and relayed in one pass. Worker lcores only.
 */
#ifndef DP_MEDIA4_H
#define DP_MEDIA4_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "dp_media.h"
#include "dp_path.h"
#include "dp_rtp.h"

/* The out leg's local address. */
static inline const uint8_t *dp_media_out_local(const struct dp_media_fwd *f)
{
	return dp_media_locals[f->out_local];
}

/* A time in 8 kHz RTP clock ticks (RFC 3550 A.8's arrival). */
static inline uint32_t dp_rtp_ticks(uint64_t now_ns)
{
	return (uint32_t)(now_ns / (1000000000u / DP_RTP_CLOCK_HZ));
}

/* The leg's RTP receive figures (RFC 3550 A.1, A.8), on the direction's second line; ticks:
 * now_ns in dp_rtp_ticks. */
static inline void dp_media4_count(struct dp_media_fwd *f, const uint8_t *pl, uint32_t len,
				   uint64_t now_ns, uint32_t ticks)
{
	dp_count(&f->packets, 1);
	dp_count(&f->bytes, len);
	__atomic_store_n(&f->last_ns, now_ns, __ATOMIC_RELAXED);
	if (!dp_rtp_valid(pl, len))
		return;
	dp_rtp_seq_update(&f->seq, dp_rd16(pl + 2));
	dp_rtp_jitter_pt(&f->jitter, ticks, pl[1] & 0x7f, dp_rd32(pl + 4), f->rtp_pt, f->rtp_k);
}

/* dp_media_fwd.nh's top 16 bits when it was cached at neighbour generation gen. */
static inline uint16_t dp_nh_tag(uint32_t gen)
{
	return (uint16_t)(0x8000 | (gen & 0x7fff));
}

/* The Ethernet header's first 8 bytes (the next hop's MAC, then our MAC's first two) and the
 * next 4 (the rest of ours), as native words: two stores. mac48: the next hop's MAC in the low
 * 48 bits of a little-endian word (dp_media_fwd.nh's layout). */
static inline void dp_media4_put_eth(uint8_t *f, uint64_t mac48, uint64_t wire_lo,
				     uint32_t wire_hi)
{
	uint64_t a = rte_cpu_to_le_64((mac48 & 0xffffffffffffull) | wire_lo);

	memcpy(f, &a, 8);
	memcpy(f + 8, &wire_hi, 4);
}

/*
 * The common shape, IPv4 to IPv4 without VLAN tags or IP options: fixed offsets, the frame
 * keeps its length. All sums in native byte order (dp_csum_fold64), from values read before
 * anything is stored (read back, the header would wait for the narrower stores just made to
 * it). The IPv4 header's checksum is summed anew: what it keeps (version, DSCP, length,
 * identification: two loads) and what the direction gives it (flags and fragment offset 0,
 * TTL 64, UDP, the out leg's addresses: dp_media_fwd.v4_hdr_sum, summed at MEDIA_SET); the
 * caller checked the old one good. The UDP checksum moves by the addresses' delta
 * (v4_addr_delta: the packet's addresses are the in leg's, strict source checked them) and the
 * ports' (RFC 1624 eqn. 3).
 */
static inline void dp_media4_rewrite(uint8_t *f, const struct dp_media_fwd *out,
				     uint16_t sport, uint16_t dport, uint64_t mac48,
				     uint64_t wire_lo, uint32_t wire_hi)
{
	uint8_t *ip = f + 14, *u = f + 34;
	uint32_t ports = (uint32_t)htons(sport) | (uint32_t)htons(dport) << 16, old_ports, w01;
	uint16_t c, w2, hc;

	memcpy(&w01, ip, 4);
	memcpy(&w2, ip + 4, 2);
	memcpy(&old_ports, u, 4);
	memcpy(&c, u + 6, 2);
	hc = (uint16_t)~dp_csum_fold64((uint64_t)out->v4_hdr_sum + w01 + w2);
	dp_media4_put_eth(f, mac48, wire_lo, wire_hi);
	ip[6] = 0;
	ip[7] = 0;
	ip[8] = 64;
	memcpy(ip + 10, &hc, 2);
	memcpy(ip + 12, dp_media_out_local(out), 4);
	memcpy(ip + 16, out->dst, 4);
	memcpy(u, &ports, 4);
	if (c == 0)
		return;		/* sent without a checksum: stays without (IPv4) */
	c = (uint16_t)~dp_csum_fold64((uint64_t)(uint16_t)~c + out->v4_addr_delta +
				      (uint32_t)~old_ports + ports);
	if (c == 0)
		c = 0xffff;	/* RFC 768: a computed 0 is sent as all ones (either order) */
	memcpy(u + 6, &c, 2);
}

/* Every test of the general path that this case passes, in the order that the cheapest and
 * most often failing come first; the frame's shape was checked by the sort (lengths_exact: its
 * IPv4 total length is its first segment's length less 14, media_burst's media_header, and only
 * one segment is left to test; else its padding too). DP_FWD_FAST4 says in one bit what the
 * direction must be (IPv4 both ways, no SRTP, no rtcp-mux: the RTP port carries only RTP); the
 * port must be the leg's RTP port. true: counted and rewritten; false: nothing changed. */
static inline __attribute__((always_inline)) bool
dp_media4_relay(struct rte_mbuf *m, const void *data, const struct dp_media4_burst *t,
		struct dp_media_fwd *fwd, bool lengths_exact)
{
	uint8_t *fr = rte_pktmbuf_mtod(m, uint8_t *);
	struct dp_media_fwd *f = &fwd[DP_MEDIA_FWD(data)];
	uint16_t dport, ulen = dp_rd16(fr + 38);
	uint64_t nh;

	if (DP_MEDIA_RTCP(data) || !(f->flags & DP_FWD_FAST4) ||
	    dp_ld32(fr + 26) != dp_ld32(f->src) ||
	    __atomic_load_n(&f->src_port[0], __ATOMIC_ACQUIRE) != dp_rd16(fr + 34) + 1u)
		return false;
	dport = __atomic_load_n(&f->dst_port[0], __ATOMIC_RELAXED);
	nh = __atomic_load_n(&f->nh, __ATOMIC_RELAXED);
	if (dport == 0 || (nh >> 48) != t->nh_tag || m->nb_segs != 1 ||
	    (!lengths_exact && rte_pktmbuf_pkt_len(m) != 14u + dp_rd16(fr + 16)) ||
	    dp_v4_plain_header_bad(m, fr + 14))
		return false;
	dp_media4_count(f, fr + 42, ulen - 8u, t->ns, t->ticks);
	dp_media4_rewrite(fr, f, f->out_port, dport, nh, t->wire_lo, t->wire_hi);
	m->ol_flags = 0;
	return true;
}

#endif
