/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The media path of the worker (dp_path.h): a UDP datagram to one of our media ports. The
 * leg it reached admits it, through its direction's block (struct dp_media_fwd, dp_media.h:
 * all a plain relayed packet reads and writes), only from the leg's remote (strict source; with
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
#include "dp_media4.h"
#include "dp_neigh.h"
#include "dp_path.h"
#include "dp_rtp.h"
#include "dp_srtp.h"

static inline unsigned int alen(uint8_t family)
{
	return family == SBC_AF_V6 ? 16 : 4;
}

static inline void st16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* The packet's source is the in leg's remote address (the key's family is the packet's): one
 * or two 8-byte compares. */
static inline bool from_remote(const struct dp_media_fwd *f, const struct dp_pkt *p)
{
	uint64_t a, b;

	if (p->l3 == DP_L3_IPV4)
		return dp_ld32(p->src) == dp_ld32(f->src);
	memcpy(&a, p->src, 8);
	memcpy(&b, f->src, 8);
	if (a != b)
		return false;
	memcpy(&a, p->src + 8, 8);
	memcpy(&b, f->src + 8, 8);
	return a == b;
}

/* A leg latched port (its RTP port, or its RTCP port when rtcp): the other direction's
 * dst_port follows, as dp_media.c's dest_port would compute it from the latches. RTCP latched
 * is where RTCP goes; RTP latched is where RTP goes (and RTCP with rtcp-mux), and port + 1 the
 * RTCP guess while the RTCP port is neither latched nor in the SDP (dst_port[1] still 0). */
static void latched(const struct dp_media_fwd *f, uint32_t idx, bool rtcp, uint16_t port)
{
	struct dp_media_fwd *back = &dp_media_fwd[idx ^ 1];
	uint16_t none = 0;

	if (rtcp) {
		__atomic_store_n(&back->dst_port[1], port, __ATOMIC_RELAXED);
		return;
	}
	__atomic_store_n(&back->dst_port[0], port, __ATOMIC_RELAXED);
	if (f->flags & DP_FWD_MUX)
		__atomic_store_n(&back->dst_port[1], port, __ATOMIC_RELAXED);
	else
		__atomic_compare_exchange_n(&back->dst_port[1], &none, (uint16_t)(port + 1u), false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* Strict source: the remote's address and its port (RTP, or RTCP on the RTCP port); a
 * latching leg takes the first port its remote's address sends from, and only that one. */
static inline bool source_ok(struct dp_media_fwd *f, uint32_t idx, const struct dp_pkt *p,
			     bool rtcp_port)
{
	uint32_t v, mine = p->sport + 1u;

	if (!from_remote(f, p))
		return false;
	v = __atomic_load_n(&f->src_port[rtcp_port], __ATOMIC_ACQUIRE);
	if (likely(v != 0) || !(f->flags & DP_FWD_LATCH))
		return v == mine;
	if (__atomic_compare_exchange_n(&f->src_port[rtcp_port], &v, mine, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		latched(f, idx, rtcp_port, p->sport);
		return true;
	}
	return v == mine;	/* v: the port that won the latch */
}

static inline void count_rtp(struct dp_media_fwd *f, const uint8_t *pl, uint32_t len,
			     uint64_t now_ns)
{
	dp_media4_count(f, pl, len, now_ns, dp_rtp_ticks(now_ns));
}

/* What the leg's RTCP report says (on the RTCP port: the session's own line for it). */
static void count_rtcp(struct dp_media_rtcp_rx *r, const uint8_t *pl, uint32_t len,
		       uint64_t now_ns)
{
	struct dp_rtcp_rr rr;

	dp_count(&r->packets, 1);
	dp_count(&r->bytes, len);
	__atomic_store_n(&r->last_ns, now_ns, __ATOMIC_RELAXED);
	if (dp_rtcp_first_rr(pl, len, &rr)) {
		r->rr = rr;
		r->have_rr = true;
	}
}

#define NH_VALID (1ull << 63)

/* dp_media_fwd.nh for a MAC found at neighbour generation gen. */
static inline uint64_t nh_word(uint32_t gen, const uint8_t *mac)
{
	uint64_t v = 0;

	memcpy(&v, mac, 6);
	return NH_VALID | ((uint64_t)(gen & 0x7fff) << 48) | rte_le_to_cpu_64(v);
}

/* The next hop's MAC, or why not: asked for (within DP_NEIGH_ASK_MS) when unknown, and then
 * DP_DROP_MEDIA_NO_NEIGHBOUR: the caller holds the packet (hop[] says for whom). Known while
 * this worker still holds packets for that hop: *behind, the caller holds it behind them.
 * Cached in the direction while the neighbour table is unchanged. */
static enum dp_drop next_hop_mac(struct dp_worker *w, struct dp_media_fwd *f,
				 struct dp_burst_clock *clk, struct dp_burst_out *o, uint8_t *mac,
				 uint8_t *hop, bool *behind)
{
	uint32_t gen = __atomic_load_n(&dp_neigh_gen, __ATOMIC_ACQUIRE);
	uint64_t v = __atomic_load_n(&f->nh, __ATOMIC_RELAXED);
	struct rte_mbuf *ask;

	if (likely((v >> 48) == dp_nh_tag(gen))) {
		v = rte_cpu_to_le_64(v);
		memcpy(mac, &v, 6);
		return DP_DROP_NONE;
	}
	if (!dp_neigh_next_hop(f->out_family, f->dst, hop))
		return DP_DROP_MEDIA_NO_ROUTE;
	if (dp_neigh_lookup(f->out_family, hop, mac)) {
		*behind = w->held.n > 0 && dp_neigh_holding(&w->held, f->out_family, hop);
		if (*behind)
			return DP_DROP_NONE;	/* not cached: the next ones wait too */
		__atomic_store_n(&f->nh, nh_word(gen, mac), __ATOMIC_RELAXED);
		return DP_DROP_NONE;
	}
	if (dp_neigh_should_ask(&w->asked, f->out_family, hop, dp_burst_tsc(clk))) {
		ask = dp_neigh_solicit(dp.pool, f->out_family, hop);
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

static void put_ip6(uint8_t *ip, const struct kept *k, const struct dp_media_fwd *out)
{
	uint32_t vtc = (6u << 28) | ((uint32_t)k->tclass << 20) | k->flow;

	ip[0] = (uint8_t)(vtc >> 24);
	ip[1] = (uint8_t)(vtc >> 16);
	ip[2] = (uint8_t)(vtc >> 8);
	ip[3] = (uint8_t)vtc;
	st16(ip + 4, k->ulen);
	ip[6] = DP_PROTO_UDP;
	ip[7] = 64;
	memcpy(ip + 8, dp_media_out_local(out), 16);
	memcpy(ip + 24, out->dst, 16);
}

static void put_ip4(uint8_t *ip, const struct kept *k, const struct dp_media_fwd *out)
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
	memcpy(ip + 12, dp_media_out_local(out), 4);
	memcpy(ip + 16, out->dst, 4);
	st16(ip + 10, (uint16_t)~dp_fold16(dp_sum16(ip, 20)));
}

/* RFC 768 / RFC 8200 8.1: the UDP checksum of the new addresses and ports. Incremental from
 * the old one; an IPv4 datagram sent without one (0) stays without on IPv4 and gets a full
 * one on IPv6, where it is mandatory. */
static void put_udp_csum(uint8_t *u, const struct kept *k, const struct dp_media_fwd *out)
{
	unsigned int a = alen(out->out_family);
	uint8_t neu[36];
	uint16_t c;

	memcpy(neu, dp_media_out_local(out), a);
	memcpy(neu + a, out->dst, a);
	memcpy(neu + 2 * a, u, 4);
	if ((k->csum[0] == 0 && k->csum[1] == 0) || k->payload_changed) {
		if (out->out_family == SBC_AF_V4 && k->csum[0] == 0 && k->csum[1] == 0)
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

/* Our MAC as dp_media4_put_eth takes it. */
static inline void wire_words(uint64_t *lo, uint32_t *hi)
{
	const uint8_t *w = dp.wire_mac.addr_bytes;

	*lo = (uint64_t)w[0] << 48 | (uint64_t)w[1] << 56;
	memcpy(hi, w + 2, 4);
}

/* A MAC's bytes as dp_media4_put_eth's mac48. */
static inline uint64_t mac_word(const uint8_t *mac)
{
	uint64_t v = 0;

	memcpy(&v, mac, 6);
	return rte_le_to_cpu_64(v);
}

/* dp_media4_rewrite's shape (dp_path_media: not after SRTP, where the lengths changed and the
 * checksum is no longer incremental): one segment, no padding. */
static inline bool plain_v4(const struct rte_mbuf *m, const struct dp_pkt *p,
			    const struct dp_media_fwd *out)
{
	return p->l3 == DP_L3_IPV4 && out->out_family == SBC_AF_V4 && p->l2_len == 14 &&
	       p->l4_off == 34 && m->nb_segs == 1 && rte_pktmbuf_pkt_len(m) == p->l3_end;
}

/* Rewrite m in place for the other leg, any shape; false when a longer header does not fit. */
static bool rewrite(struct rte_mbuf *m, const struct dp_pkt *p, const struct dp_media_fwd *out,
		    uint16_t sport, uint16_t dport, const uint8_t *mac, bool payload_changed)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	const uint32_t l2 = p->l2_len, nl3 = out->out_family == SBC_AF_V6 ? 40 : 20;
	const int32_t delta = (int32_t)(l2 + nl3) - (int32_t)p->l4_off;
	struct kept k;
	uint8_t *ip, *u;

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
	st16(f + l2 - 2, out->out_family == SBC_AF_V6 ? DP_ETHERTYPE_IPV6 : DP_ETHERTYPE_IPV4);
	ip = f + l2;
	u = ip + nl3;
	if (out->out_family == SBC_AF_V6)
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

/* Not relayed: counted on the leg too (its figures' dropped). */
static inline enum dp_path_verdict leg_drop(uint32_t idx, enum dp_drop r, enum dp_drop *why)
{
	__atomic_fetch_add(&dp_media_slots[idx >> 1].leg[idx & 1].dropped, 1, __ATOMIC_RELAXED);
	*why = r;
	return DP_PATH_DROP;
}

/* Rewritten but for the next hop's MAC: held until it answers (dp_neigh.h), or dropped when
 * the hold is full. now: the frame's arrival (taken before the rewrite, which may clear its
 * timestamp flag). */
static enum dp_path_verdict hold(struct dp_worker *w, struct rte_mbuf *m, uint32_t idx,
				 const struct dp_media_fwd *f, const uint8_t *hop, bool behind,
				 uint64_t now, enum dp_drop *why)
{
	if (dp_neigh_hold(&w->held, m, f->out_family, hop, now, behind))
		return DP_PATH_HELD;
	return leg_drop(idx, DP_DROP_MEDIA_HOLD_FULL, why);
}

/* The legs' SRTP contexts (DP_FWD_SRTP): unprotect what arrives before anything reads it
 * (RFC 3711 3.3: authenticated, and not a replay), count it, then as the plain path, with the
 * payload protected for the out leg last and the UDP checksum computed whole. */
static enum dp_path_verdict relay_srtp(struct dp_worker *w, struct rte_mbuf *m,
				       const struct dp_pkt *p, struct dp_media_fwd *f,
				       uint32_t idx, bool rtcp, struct dp_burst_clock *clk,
				       struct dp_burst_out *o, enum dp_drop *why)
{
	struct dp_media_session *s = &dp_media_slots[idx >> 1];
	struct dp_media_leg *in = &s->leg[idx & 1], *out = &s->leg[(idx & 1) ^ 1];
	const uint8_t *pl = rte_pktmbuf_mtod(m, const uint8_t *) + p->payload_off;
	uint64_t now = dp_pkt_time(m, dp_burst_ns(clk));
	struct dp_pkt q = *p;	/* p as SRTP changes the payload's length */
	uint16_t dport;
	uint8_t mac[6], hop[16];
	bool behind = false, held;

	if (!rte_pktmbuf_is_contiguous(m))
		return leg_drop(idx, DP_DROP_MEDIA_NO_ROOM, why);
	if (in->srtp_in != NULL) {
		*why = srtp_apply(w, m, &q, in->srtp_in, false, rtcp);
		if (*why != DP_DROP_NONE)
			return leg_drop(idx, *why, why);
	}
	if (rtcp)
		count_rtcp(&in->rtcp, pl, q.payload_len, now);
	else
		count_rtp(f, pl, q.payload_len, now);
	dport = __atomic_load_n(&f->dst_port[rtcp], __ATOMIC_RELAXED);
	if (dport == 0)
		return leg_drop(idx, DP_DROP_MEDIA_NO_REMOTE, why);
	*why = next_hop_mac(w, f, clk, o, mac, hop, &behind);
	held = *why == DP_DROP_MEDIA_NO_NEIGHBOUR || behind;
	if (*why != DP_DROP_NONE && !held)
		return leg_drop(idx, *why, why);
	if (out->srtp_out != NULL) {
		*why = srtp_apply(w, m, &q, out->srtp_out, true, rtcp);
		if (*why != DP_DROP_NONE)
			return leg_drop(idx, *why, why);
	}
	if (!rewrite(m, &q, f, dp_fwd_out_port(f, rtcp), dport, mac, true))
		return leg_drop(idx, DP_DROP_MEDIA_NO_ROOM, why);
	if (held)
		return hold(w, m, idx, f, hop, behind, now, why);
	return DP_PATH_RELAYED;
}

void dp_media4_burst_init(struct dp_media4_burst *t, struct dp_burst_clock *clk)
{
	t->ns = dp_burst_ns(clk);
	t->ticks = dp_rtp_ticks(t->ns);
	t->nh_tag = dp_nh_tag(__atomic_load_n(&dp_neigh_gen, __ATOMIC_ACQUIRE));
	wire_words(&t->wire_lo, &t->wire_hi);
}

/* (dp_path.h) The frames from i on, in order, as long as each takes dp_media4_relay: one call
 * for the run instead of one per frame, and the direction of the frame DP_MEDIA4_AHEAD further
 * asked for as each is relayed (the caller asked for the first DP_MEDIA4_AHEAD). The burst's
 * values and the table's address are copied to locals: the frames' byte stores could alias
 * them through t or the global, and each frame would load them again. */
unsigned int dp_path_media4_run(struct rte_mbuf *const *m, void *const *data, const bool *found,
				unsigned int i, unsigned int n, const struct dp_media4_burst *t,
				struct dp_burst_out *o)
{
	const struct dp_media4_burst tt = *t;
	struct dp_media_fwd *fwd = dp_media_fwd;

	for (; i < n; i++) {
		if (i + DP_MEDIA4_AHEAD < n && found[i + DP_MEDIA4_AHEAD])
			(void)dp_media_prefetch_in(fwd, data[i + DP_MEDIA4_AHEAD]);
		if (!found[i] || !dp_media4_relay(m[i], data[i], &tt, fwd, false))
			return i;
		dp_out_wire(o, m[i], DP_WIRE_MEDIA);
	}
	return n;
}

/* (dp_path.h) One frame of the per-frame loop. */
bool dp_path_media4(struct rte_mbuf *m, const void *data, const struct dp_media4_burst *t)
{
	return dp_media4_relay(m, data, t, dp_media_fwd, false);
}

enum dp_path_verdict dp_path_media(struct dp_worker *w, struct rte_mbuf *m,
				   const struct dp_pkt *p, const void *data, bool found,
				   struct dp_burst_clock *clk, struct dp_burst_out *o,
				   enum dp_drop *why)
{
	uint32_t idx = DP_MEDIA_FWD(data);
	struct dp_media_fwd *f;
	const uint8_t *pl;
	bool rtcp_port, rtcp, behind = false, held;
	uint16_t dport;
	uint8_t mac[6], hop[16];
	uint64_t now;

	if (!found) {
		*why = DP_DROP_MEDIA_NO_SESSION;
		return DP_PATH_DROP;
	}
	if (dp_v4_csum_bad(m, p)) {
		*why = DP_DROP_IPV4_BAD_CHECKSUM;
		return DP_PATH_DROP;
	}
	f = &dp_media_fwd[idx];
	rtcp_port = DP_MEDIA_RTCP(data);
	if (!source_ok(f, idx, p, rtcp_port))
		return leg_drop(idx, DP_DROP_MEDIA_FOREIGN, why);
	pl = rte_pktmbuf_mtod(m, const uint8_t *) + p->payload_off;
	/* RFC 5761 4: on a muxed port RTCP by its packet type (in clear in SRTCP too) */
	rtcp = rtcp_port || ((f->flags & DP_FWD_MUX) && dp_rtp_is_rtcp(pl, p->payload_len));
	if (unlikely(f->flags & DP_FWD_SRTP))
		return relay_srtp(w, m, p, f, idx, rtcp, clk, o, why);
	now = dp_pkt_time(m, dp_burst_ns(clk));
	if (unlikely(rtcp))
		count_rtcp(&dp_media_slots[idx >> 1].leg[idx & 1].rtcp, pl, p->payload_len, now);
	else
		count_rtp(f, pl, p->payload_len, now);
	dport = __atomic_load_n(&f->dst_port[rtcp], __ATOMIC_RELAXED);
	if (dport == 0)
		return leg_drop(idx, DP_DROP_MEDIA_NO_REMOTE, why);
	*why = next_hop_mac(w, f, clk, o, mac, hop, &behind);
	held = *why == DP_DROP_MEDIA_NO_NEIGHBOUR || behind;
	if (unlikely(*why != DP_DROP_NONE && !held))
		return leg_drop(idx, *why, why);
	if (likely(plain_v4(m, p, f))) {
		uint64_t wire_lo;
		uint32_t wire_hi;

		wire_words(&wire_lo, &wire_hi);
		dp_media4_rewrite(rte_pktmbuf_mtod(m, uint8_t *), f, dp_fwd_out_port(f, rtcp),
				  dport, mac_word(mac), wire_lo, wire_hi);
		m->ol_flags = 0;
	} else if (!rte_pktmbuf_is_contiguous(m) ||
		   !rewrite(m, p, f, dp_fwd_out_port(f, rtcp), dport, mac, false)) {
		return leg_drop(idx, DP_DROP_MEDIA_NO_ROOM, why);
	}
	if (unlikely(held))
		return hold(w, m, idx, f, hop, behind, now, why);
	return DP_PATH_RELAYED;
}
