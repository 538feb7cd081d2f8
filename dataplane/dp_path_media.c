/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The media path of the worker (dp_path.h): a UDP datagram to one of our media ports. The
 * leg it reached (dp_media.h) admits it only from the leg's remote (strict source; with
 * SBC_MEDIA_LATCH the first packet from the remote's address fixes its port, once), counts it
 * for the leg's quality figures (RFC 3550 A.1-A.8, RTCP receiver reports), and relays it out of
 * the other leg: Ethernet to the next hop's MAC, IP from that leg's local address to its remote
 * (IPv4 or IPv6, whichever that leg is: the header grows or shrinks in place), UDP from its local
 * port (RTCP: + 1 unless rtcp-mux) with the checksum updated incrementally (RFC 1624). On an
 * SRTP leg (dp_srtp.h) what arrives is authenticated and decrypted before anything else reads
 * it, and what leaves towards one is encrypted last, in place in the mbuf; the UDP checksum is
 * then computed whole. Worker lcores only.
 */
#include <arpa/inet.h>

#include "dp_admit.h"
#include "dp_media.h"
#include "dp_neigh.h"
#include "dp_path.h"
#include "dp_rtp.h"
#include "dp_srtp.h"

static inline unsigned int alen(uint8_t family)
{
	return family == SBC_AF_V6 ? 16 : 4;
}

static inline uint32_t rd32(const uint8_t *b)
{
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

static inline void st16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* The packet's source is the leg's remote address: one or two 8-byte compares. */
static inline bool from_remote(const struct dp_media_leg *in, const uint8_t *src)
{
	uint64_t a, b;

	if (in->family == SBC_AF_V4)
		return dp_ld32(src) == dp_ld32(in->remote_addr);
	memcpy(&a, src, 8);
	memcpy(&b, in->remote_addr, 8);
	if (a != b)
		return false;
	memcpy(&a, src + 8, 8);
	memcpy(&b, in->remote_addr + 8, 8);
	return a == b;
}

/* Strict source: the remote's address and its port (RTP, or RTCP on the RTCP port); a
 * latching leg takes the first port its remote's address sends from, and only that one. */
static inline bool source_ok(struct dp_media_leg *in, const struct dp_pkt *p, bool rtcp_port)
{
	uint32_t *latch, v, mine = p->sport + 1u;

	if (!from_remote(in, p->src))
		return false;
	if (!(in->flags & SBC_MEDIA_LATCH))
		return p->sport == (rtcp_port ? in->remote_rtcp_port : in->remote_port);
	latch = rtcp_port ? &in->latch_rtcp : &in->latch_rtp;
	v = __atomic_load_n(latch, __ATOMIC_ACQUIRE);
	if (v == 0 && __atomic_compare_exchange_n(latch, &v, mine, false, __ATOMIC_ACQ_REL,
						  __ATOMIC_ACQUIRE))
		return true;
	return v == mine;	/* v: the port that won the latch */
}

/* Where the other leg's remote receives RTP, or RTCP (its RTCP port unless rtcp-mux); 0: not
 * known yet (a latching leg that has sent nothing). */
static inline uint16_t dest_port(const struct dp_media_leg *out, bool rtcp)
{
	uint32_t v;

	if (rtcp && !(out->flags & SBC_MEDIA_RTCP_MUX)) {
		v = __atomic_load_n(&out->latch_rtcp, __ATOMIC_RELAXED);
		if (v != 0)
			return (uint16_t)(v - 1);
		if (out->remote_rtcp_port != 0 && out->remote_port != 0)
			return out->remote_rtcp_port;	/* a latching leg's SDP port is no guess */
		v = __atomic_load_n(&out->latch_rtp, __ATOMIC_RELAXED);
		return v != 0 ? (uint16_t)v : 0;	/* RTP port + 1 */
	}
	v = __atomic_load_n(&out->latch_rtp, __ATOMIC_RELAXED);
	return v != 0 ? (uint16_t)(v - 1) : out->remote_port;
}

/* The leg's receive figures: RTP sequence and jitter, or what its RTCP report says. */
static inline void count_in(struct dp_media_leg *in, const uint8_t *pl, uint32_t len, bool rtcp,
			    uint64_t now_ns)
{
	if (rtcp) {
		struct dp_media_rtcp_rx *r = &in->rtcp;
		struct dp_rtcp_rr rr;

		dp_count(&r->packets, 1);
		dp_count(&r->bytes, len);
		__atomic_store_n(&r->last_ns, now_ns, __ATOMIC_RELAXED);
		if (dp_rtcp_first_rr(pl, len, &rr)) {
			r->rr = rr;
			r->have_rr = true;
		}
		return;
	}
	struct dp_media_rx *r = &in->rx;

	dp_count(&r->packets, 1);
	dp_count(&r->bytes, len);
	__atomic_store_n(&r->last_ns, now_ns, __ATOMIC_RELAXED);
	if (!dp_rtp_valid(pl, len))
		return;
	dp_rtp_seq_update(&r->seq, dp_rd16(pl + 2));
	if (dp_rtp_pt_8khz(pl[1] & 0x7f))
		dp_rtp_jitter_update(&r->jitter, (uint32_t)(now_ns / (1000000000u / DP_RTP_CLOCK_HZ)),
				     rd32(pl + 4));
}

/* The next hop's MAC, or why not: asked for (within DP_NEIGH_ASK_MS) when unknown, and then
 * DP_DROP_MEDIA_NO_NEIGHBOUR: the caller holds the packet (hop[] says for whom). Known while
 * this worker still holds packets for that hop: *behind, the caller holds it behind them.
 * Cached in the receiving leg (written by this worker only) while the neighbour table is
 * unchanged. */
static enum dp_drop next_hop_mac(struct dp_worker *w, struct dp_media_leg *in,
				 const struct dp_media_leg *out, struct dp_burst_clock *clk,
				 struct dp_burst_out *o, uint8_t *mac, uint8_t *hop, bool *behind)
{
	uint32_t gen = __atomic_load_n(&dp_neigh_gen, __ATOMIC_ACQUIRE);
	uint64_t v = in->rx.nh_mac;
	struct rte_mbuf *ask;

	if (in->rx.nh_gen == gen && (v >> 63)) {
		for (int k = 5; k >= 0; k--, v >>= 8)
			mac[k] = (uint8_t)v;
		return DP_DROP_NONE;
	}
	if (!dp_neigh_next_hop(out->family, out->remote_addr, hop))
		return DP_DROP_MEDIA_NO_ROUTE;
	if (dp_neigh_lookup(out->family, hop, mac)) {
		*behind = w->held.n > 0 && dp_neigh_holding(&w->held, out->family, hop);
		if (*behind)
			return DP_DROP_NONE;	/* not cached: the next ones wait too */
		v = 1ull << 63;
		for (int k = 0; k < 6; k++)
			v |= (uint64_t)mac[k] << (8 * (5 - k));
		in->rx.nh_mac = v;
		in->rx.nh_gen = gen;
		return DP_DROP_NONE;
	}
	if (dp_neigh_should_ask(&w->asked, out->family, hop, dp_burst_tsc(clk))) {
		ask = dp_neigh_solicit(dp.pool, out->family, hop);
		if (ask != NULL)
			dp_out_wire(o, ask, DP_WIRE_ASK);
	}
	memset(mac, 0, 6);
	return DP_DROP_MEDIA_NO_NEIGHBOUR;
}

/* The headers' fields a relayed packet keeps: DSCP/traffic class, the IPv6 flow label, the
 * IPv4 identification. */
struct kept {
	uint8_t l2[22];		/* Ethernet + up to two VLAN tags */
	uint8_t tclass;
	uint32_t flow;
	uint8_t ipid[2];
	uint8_t old[36];	/* what the UDP checksum covered and changes: addresses, ports */
	uint32_t old_len;
	uint8_t csum[2];
	uint16_t ulen;
	bool payload_changed;	/* SRTP: the incremental checksum does not apply */
};

static void keep(const uint8_t *f, const struct dp_pkt *p, struct kept *k)
{
	const uint8_t *ip = f + p->l3_off;
	unsigned int a = p->l3 == DP_L3_IPV6 ? 16 : 4;

	memcpy(k->l2, f, p->l2_len);
	if (p->l3 == DP_L3_IPV6) {
		k->tclass = (uint8_t)((ip[0] << 4) | (ip[1] >> 4));
		k->flow = ((uint32_t)(ip[1] & 0x0f) << 16) | ((uint32_t)ip[2] << 8) | ip[3];
		k->ipid[0] = k->ipid[1] = 0;
	} else {
		k->tclass = ip[1];
		k->flow = 0;
		memcpy(k->ipid, ip + 4, 2);
	}
	memcpy(k->old, p->src, a);
	memcpy(k->old + a, p->dst, a);
	memcpy(k->old + 2 * a, f + p->l4_off, 4);
	k->old_len = 2 * a + 4;
	memcpy(k->csum, f + p->l4_off + 6, 2);
	k->ulen = dp_rd16(f + p->l4_off + 4);
}

static void put_ip6(uint8_t *ip, const struct kept *k, const struct dp_media_leg *out)
{
	uint32_t vtc = (6u << 28) | ((uint32_t)k->tclass << 20) | k->flow;

	ip[0] = (uint8_t)(vtc >> 24);
	ip[1] = (uint8_t)(vtc >> 16);
	ip[2] = (uint8_t)(vtc >> 8);
	ip[3] = (uint8_t)vtc;
	st16(ip + 4, k->ulen);
	ip[6] = DP_PROTO_UDP;
	ip[7] = 64;
	memcpy(ip + 8, out->local_addr, 16);
	memcpy(ip + 24, out->remote_addr, 16);
}

static void put_ip4(uint8_t *ip, const struct kept *k, const struct dp_media_leg *out)
{
	ip[0] = 0x45;
	ip[1] = k->tclass;
	st16(ip + 2, (uint16_t)(20 + k->ulen));
	memcpy(ip + 4, k->ipid, 2);
	ip[6] = 0;
	ip[7] = 0;
	ip[8] = 64;
	ip[9] = DP_PROTO_UDP;
	ip[10] = 0;
	ip[11] = 0;
	memcpy(ip + 12, out->local_addr, 4);
	memcpy(ip + 16, out->remote_addr, 4);
	st16(ip + 10, (uint16_t)~dp_fold16(dp_sum16(ip, 20)));
}

/* RFC 768 / RFC 8200 8.1: the UDP checksum of the new addresses and ports. Incremental from
 * the old one; an IPv4 datagram sent without one (0) stays without on IPv4 and gets a full
 * one on IPv6, where it is mandatory. */
static void put_udp_csum(uint8_t *u, const struct kept *k, const struct dp_media_leg *out)
{
	unsigned int a = alen(out->family);
	uint8_t neu[36];
	uint16_t c;

	memcpy(neu, out->local_addr, a);
	memcpy(neu + a, out->remote_addr, a);
	memcpy(neu + 2 * a, u, 4);
	if ((k->csum[0] == 0 && k->csum[1] == 0) || k->payload_changed) {
		if (out->family == SBC_AF_V4 && k->csum[0] == 0 && k->csum[1] == 0)
			return;
		uint32_t sum = dp_csum_partial(neu, 2 * a, 0) + k->ulen + DP_PROTO_UDP;

		u[6] = u[7] = 0;
		c = dp_csum_fold(dp_csum_partial(u, k->ulen, sum));
		st16(u + 6, c == 0 ? 0xffff : c);
		return;
	}
	memcpy(&c, k->csum, 2);
	c = dp_csum_replace(c, k->old, k->old_len, neu, 2 * a + 4);
	if (c == 0)
		c = 0xffff;	/* RFC 768: a computed 0 is sent as all ones */
	memcpy(u + 6, &c, 2);
}

/* The common shape, IPv4 to IPv4 without VLAN tags or IP options: fixed offsets, the frame
 * keeps its length, the UDP checksum moves by the six 16-bit words that change. */
static inline void rewrite_v4(uint8_t *f, const struct dp_media_leg *out, uint16_t sport,
			      uint16_t dport, const uint8_t *mac)
{
	uint8_t *ip = f + 14, *u = f + 34;
	uint8_t old[12], neu[12];
	uint16_t c;

	memcpy(old, ip + 12, 8);
	memcpy(old + 8, u, 4);
	memcpy(f, mac, 6);
	memcpy(f + 6, dp.wire_mac.addr_bytes, 6);
	ip[6] = 0;
	ip[7] = 0;
	ip[8] = 64;
	ip[10] = 0;
	ip[11] = 0;
	memcpy(ip + 12, out->local_addr, 4);
	memcpy(ip + 16, out->remote_addr, 4);
	st16(ip + 10, (uint16_t)~dp_fold16(dp_sum16(ip, 20)));
	st16(u, sport);
	st16(u + 2, dport);
	memcpy(neu, ip + 12, 8);
	memcpy(neu + 8, u, 4);
	memcpy(&c, u + 6, 2);
	if (c == 0)
		return;		/* sent without a checksum: stays without (IPv4) */
	c = dp_csum_replace(c, old, 12, neu, 12);
	if (c == 0)
		c = 0xffff;
	memcpy(u + 6, &c, 2);
}

/* Rewrite m in place for the other leg; false when a longer header does not fit. */
static bool rewrite(struct rte_mbuf *m, const struct dp_pkt *p, const struct dp_media_leg *out,
		    uint16_t sport, uint16_t dport, const uint8_t *mac, bool payload_changed)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	const uint32_t l2 = p->l2_len, nl3 = out->family == SBC_AF_V6 ? 40 : 20;
	const int32_t delta = (int32_t)(l2 + nl3) - (int32_t)p->l4_off;
	struct kept k;
	uint8_t *ip, *u;

	/* (not after SRTP: the lengths changed and the checksum is no longer incremental) */
	if (!payload_changed && p->l3 == DP_L3_IPV4 && out->family == SBC_AF_V4 &&
	    p->l2_len == 14 && p->l4_off == 34 && rte_pktmbuf_pkt_len(m) == p->l3_end) {
		rewrite_v4(f, out, sport, dport, mac);
		m->ol_flags = 0;
		return true;
	}
	keep(f, p, &k);
	k.payload_changed = payload_changed;
	if (rte_pktmbuf_pkt_len(m) > p->l3_end)	/* Ethernet padding */
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - p->l3_end));
	if (delta > 0 && rte_pktmbuf_prepend(m, (uint16_t)delta) == NULL)
		return false;
	if (delta < 0)
		rte_pktmbuf_adj(m, (uint16_t)-delta);
	f = rte_pktmbuf_mtod(m, uint8_t *);
	memcpy(f, mac, 6);
	memcpy(f + 6, dp.wire_mac.addr_bytes, 6);
	memcpy(f + 12, k.l2 + 12, l2 - 12);	/* VLAN tags as they came */
	st16(f + l2 - 2, out->family == SBC_AF_V6 ? DP_ETHERTYPE_IPV6 : DP_ETHERTYPE_IPV4);
	ip = f + l2;
	u = ip + nl3;
	if (out->family == SBC_AF_V6)
		put_ip6(ip, &k, out);
	else
		put_ip4(ip, &k, out);
	st16(u, sport);
	st16(u + 2, dport);
	put_udp_csum(u, &k, out);
	m->ol_flags = 0;
	return true;
}

/* ---- SRTP (dp_srtp.h) */

static const enum dp_drop srtp_drop[DP_SRTP_RESULT_MAX] = {
	[DP_SRTP_OK] = DP_DROP_NONE,
	[DP_SRTP_AUTH] = DP_DROP_SRTP_AUTH,
	[DP_SRTP_REPLAY] = DP_DROP_SRTP_REPLAY,
	[DP_SRTP_MALFORMED] = DP_DROP_SRTP_MALFORMED,
	[DP_SRTP_ROOM] = DP_DROP_SRTP_ROOM,
	[DP_SRTP_FAIL] = DP_DROP_SRTP_FAIL,
};

/*
 * Unprotect (protect false) or protect the UDP payload in place, then make the mbuf, the UDP
 * length and q (payload_len, l3_end) match its new length. The mbuf is contiguous (checked by
 * the caller); Ethernet padding goes first so that a tag is appended right after the datagram.
 * Protect's room is what the mbuf holds from the payload on plus its tailroom (dp_srtp.h).
 */
static enum dp_drop srtp_apply(const struct dp_worker *w, struct rte_mbuf *m, struct dp_pkt *q,
			       struct dp_srtp_ctx *c, bool protect, bool rtcp)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = q->payload_len, room;
	int r;

	if (!dp_srtp_claim(c, rtcp, w->id))
		return DP_DROP_SRTP_WORKER;
	if (rte_pktmbuf_pkt_len(m) > q->l3_end)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - q->l3_end));
	if (protect) {
		room = rte_pktmbuf_data_len(m) - q->payload_off + rte_pktmbuf_tailroom(m);
		r = dp_srtp_protect(c, f + q->payload_off, &len, room, rtcp);
	} else {
		r = dp_srtp_unprotect(c, f + q->payload_off, &len, rtcp);
	}
	if (r != DP_SRTP_OK)
		return r < DP_SRTP_RESULT_MAX ? srtp_drop[r] : DP_DROP_SRTP_FAIL;
	if (len > q->payload_len)
		rte_pktmbuf_append(m, (uint16_t)(len - q->payload_len));
	else
		rte_pktmbuf_trim(m, (uint16_t)(q->payload_len - len));
	q->l3_end = q->l3_end - q->payload_len + len;
	q->payload_len = len;
	st16(f + q->l4_off + 4, (uint16_t)(8 + len));
	return DP_DROP_NONE;
}

/* The IPv4 header checksum (unless the NIC checked it): a plain 20-byte header summed inline,
 * options the long way. */
static inline bool v4_header_bad(const struct rte_mbuf *m, const struct dp_pkt *p)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *) + p->l3_off;

	if (p->l3 != DP_L3_IPV4 ||
	    (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return false;
	if (p->l4_off - p->l3_off != 20)
		return dp_v4_csum_bad(m, p);
	return dp_fold16(dp_sum16(ip, 20)) != 0xffff;
}

/* Not relayed: counted on the leg too (its figures' dropped). */
static inline enum dp_path_verdict leg_drop(struct dp_media_leg *in, enum dp_drop r,
					    enum dp_drop *why)
{
	__atomic_fetch_add(&in->rx.dropped, 1, __ATOMIC_RELAXED);
	*why = r;
	return DP_PATH_DROP;
}

enum dp_path_verdict dp_path_media(struct dp_worker *w, struct rte_mbuf *m,
				   const struct dp_pkt *p, const void *data, bool found,
				   struct dp_burst_clock *clk, struct dp_burst_out *o,
				   enum dp_drop *why)
{
	struct dp_media_session *s;
	struct dp_media_leg *in, *out;
	const uint8_t *pl;
	bool rtcp_port, rtcp, srtp, hold, behind = false;
	uint16_t dport;
	uint8_t mac[6], hop[16];
	uint64_t now;
	struct dp_pkt q = *p;	/* p as SRTP changes the payload's length */

	if (!found) {
		*why = DP_DROP_MEDIA_NO_SESSION;
		return DP_PATH_DROP;
	}
	if (v4_header_bad(m, p)) {
		*why = DP_DROP_IPV4_BAD_CHECKSUM;
		return DP_PATH_DROP;
	}
	s = &dp_media_slots[DP_MEDIA_SLOT(data)];
	in = &s->leg[DP_MEDIA_LEG(data)];
	out = &s->leg[DP_MEDIA_LEG(data) ^ 1];
	rtcp_port = DP_MEDIA_RTCP(data);
	if (!source_ok(in, p, rtcp_port))
		return leg_drop(in, DP_DROP_MEDIA_FOREIGN, why);
	pl = rte_pktmbuf_mtod(m, const uint8_t *) + p->payload_off;
	/* RFC 5761 4: on a muxed port RTCP by its packet type (in clear in SRTCP too) */
	rtcp = rtcp_port || ((in->flags & SBC_MEDIA_RTCP_MUX) && dp_rtp_is_rtcp(pl, p->payload_len));
	srtp = in->srtp_in != NULL || out->srtp_out != NULL;
	if (srtp && !rte_pktmbuf_is_contiguous(m))
		return leg_drop(in, DP_DROP_MEDIA_NO_ROOM, why);
	/* RFC 3711 3.3: authenticated (and not a replay) before anything reads or forwards it */
	if (in->srtp_in != NULL) {
		*why = srtp_apply(w, m, &q, in->srtp_in, false, rtcp);
		if (*why != DP_DROP_NONE)
			return leg_drop(in, *why, why);
	}
	now = dp_pkt_time(m, dp_burst_ns(clk));
	count_in(in, pl, q.payload_len, rtcp, now);
	dport = dest_port(out, rtcp);
	if (dport == 0)
		return leg_drop(in, DP_DROP_MEDIA_NO_REMOTE, why);
	*why = next_hop_mac(w, in, out, clk, o, mac, hop, &behind);
	hold = *why == DP_DROP_MEDIA_NO_NEIGHBOUR || behind;
	if (*why != DP_DROP_NONE && !hold)
		return leg_drop(in, *why, why);
	if (out->srtp_out != NULL) {
		*why = srtp_apply(w, m, &q, out->srtp_out, true, rtcp);
		if (*why != DP_DROP_NONE)
			return leg_drop(in, *why, why);
	}
	if (!rte_pktmbuf_is_contiguous(m) || !rewrite(m, &q, out, (uint16_t)(out->local_port +
					   (rtcp && !(out->flags & SBC_MEDIA_RTCP_MUX))),
		     dport, mac, srtp))
		return leg_drop(in, DP_DROP_MEDIA_NO_ROOM, why);
	if (hold)	/* rewritten but for the MAC: sent once the next hop answers (dp_neigh.h) */
		return dp_neigh_hold(&w->held, m, out->family, hop, now, behind) ? DP_PATH_HELD :
			leg_drop(in, DP_DROP_MEDIA_HOLD_FULL, why);
	return DP_PATH_RELAYED;
}
