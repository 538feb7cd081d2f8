/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop, one per worker lcore: rx burst -> parse -> classify -> act -> tx. No
 * syscalls, locks, allocation or logging in here; every packet ends in exactly one counter:
 * to_exception, to_wire, reject_sent or a drop reason.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "dp.h"
#include "dp_admit.h"
#include "dp_frag.h"
#include "dp_parse.h"
#include "dp_sip_reply.h"

enum verdict { V_DROP, V_EXCEPTION, V_WIRE, V_HELD };

struct burst_out {
	struct rte_mbuf *exc[DP_BURST * 2];
	uint16_t exc_trunk[DP_BURST * 2];	/* trunk id or UINT16_MAX, for per-trunk accounting */
	unsigned int n_exc;
	struct rte_mbuf *wire[DP_BURST * 2];
	bool wire_is_reject[DP_BURST * 2];
	unsigned int n_wire;
};

static inline bool is_our_v4(const uint8_t *a)
{
	return memcmp(a, dp.cfg.address, 4) == 0;
}

static inline bool is_our_v6(const uint8_t *a)
{
	return dp.cfg.has_address6 && memcmp(a, dp.cfg.address6, 16) == 0;
}

/* ICMPv6 the kernel must see for ND and RA: our address, link-local unicast, ff02::/16. */
static inline bool icmp6_for_us(const uint8_t *a)
{
	if (is_our_v6(a))
		return true;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return true;
	return a[0] == 0xff && a[1] == 0x02;
}

/* Per-worker share of [sbc] reject_rate: a token bucket in TSC time, full at start. */
static bool reject_token(struct dp_worker *w)
{
	uint64_t now = rte_rdtsc();

	w->reject_tokens += (double)(now - w->reject_last_tsc) * w->reject_rate;
	if (w->reject_tokens > w->reject_burst)
		w->reject_tokens = w->reject_burst;
	w->reject_last_tsc = now;
	if (w->reject_tokens < 1.0)
		return false;
	w->reject_tokens -= 1.0;
	return true;
}

/* An unlisted UDP SIP request in reject mode: a 403 in place, within reject_rate. */
static enum dp_drop reject(struct dp_worker *w, struct rte_mbuf *m, const struct dp_pkt *p)
{
	if (p->frag != DP_FRAG_NONE || p->proto != DP_PROTO_UDP || !rte_pktmbuf_is_contiguous(m) ||
	    !dp_sip_answerable(rte_pktmbuf_mtod(m, const uint8_t *) + p->payload_off,
			       p->payload_len))
		return DP_DROP_SIP_UNLISTED;
	if (!reject_token(w))
		return DP_DROP_REJECT_RATELIMITED;
	return dp_reply_in_place(w, m, rte_pktmbuf_mtod(m, const uint8_t *), p, NULL, 403,
				 "Forbidden", NULL, DP_DROP_SIP_UNLISTED);
}

static inline bool v4_csum_bad(const uint8_t *f, const struct dp_pkt *p)
{
	uint32_t hlen = (f[p->l3_off] & 0x0fu) * 4u;

	return dp_csum_fold(dp_csum_partial(f + p->l3_off, hlen, 0)) != 0;
}

/* Allowlist lookup result (a rule slot) -> trunk id, counting the rule's hit. */
static inline uint32_t slot_trunk(struct dp_worker *w, uint32_t slot)
{
	if (slot == DP_TRUNK_NONE)
		return DP_TRUNK_NONE;
	dp_count(&w->acl_hits[slot], 1);
	return dp_acl_slot_trunk[slot];
}

/* Listed SIP over UDP (frame: the datagram, linear): admission decides. */
static enum verdict admit(struct dp_worker *w, struct rte_mbuf *m, const uint8_t *frame,
			  const struct dp_pkt *p, uint32_t t, uint64_t now_ns, enum dp_drop *why)
{
	switch (dp_admit_wire(w, m, frame, p, t, now_ns, why)) {
	case DP_ADMIT_PASS:
		return V_EXCEPTION;
	case DP_ADMIT_REPLY:
		return V_WIRE;
	default:
		return V_DROP;
	}
}

/* A datagram reassembled from listed fragments: classified as if it had come whole. */
static enum verdict reassembled(struct dp_worker *w, struct rte_mbuf *m, uint64_t now_ns,
				enum dp_drop *why, uint32_t t)
{
	const uint8_t *f = rte_pktmbuf_read(m, 0, m->pkt_len, w->big);
	struct dp_pkt p;

	if (f == NULL || m->pkt_len > DP_FRAG_BIG) {
		*why = DP_DROP_FRAG_REASSEMBLY;
		return V_DROP;
	}
	*why = dp_parse(f, m->pkt_len, false, &p);
	if (*why != DP_DROP_NONE)
		return V_DROP;
	if (p.proto != DP_PROTO_UDP || p.dport != dp.cfg.sip_port) {
		*why = DP_DROP_PORT_CLOSED;
		return V_DROP;
	}
	return admit(w, m, f, &p, t, now_ns, why);
}

/* Classify one frame from the wire. Sets *trunk for SIP passed on. *mp may be replaced (a
 * fragment completing a datagram) or taken (V_HELD: a fragment waiting for the others). */
static enum verdict classify(struct dp_worker *w, const struct dp_acl_bank *acl,
			     struct rte_mbuf **mp, uint64_t now_ns, enum dp_drop *why,
			     uint32_t *trunk)
{
	struct rte_mbuf *m = *mp;
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	bool verify = (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	struct dp_pkt p;
	uint32_t t;

	*trunk = DP_TRUNK_NONE;
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD) {
		*why = DP_DROP_IPV4_BAD_CHECKSUM;
		return V_DROP;
	}
	/* unicast frames must be for us; broadcast and multicast are sorted out by L3 */
	if (len >= RTE_ETHER_ADDR_LEN && !(f[0] & 1) &&
	    !rte_is_same_ether_addr((const struct rte_ether_addr *)f, &dp.wire_mac)) {
		*why = DP_DROP_L2_OTHER_HOST;
		return V_DROP;
	}
	/* The IPv4 header checksum (when the NIC has not checked it) is verified only for what
	 * is passed on or answered: a flood from unlisted sources is dropped without it. */
	*why = dp_parse(f, len, false, &p);
	if (*why != DP_DROP_NONE)
		return V_DROP;
	verify = verify && p.l3 == DP_L3_IPV4;
#define CSUM_OR_DROP() do { \
		if (verify && v4_csum_bad(f, &p)) { \
			*trunk = DP_TRUNK_NONE; \
			*why = DP_DROP_IPV4_BAD_CHECKSUM; \
			return V_DROP; \
		} \
	} while (0)

	switch (p.l3) {
	case DP_L3_ARP:
		if (!is_our_v4(p.dst)) {
			*why = DP_DROP_ARP_NOT_OURS;
			return V_DROP;
		}
		return V_EXCEPTION;
	case DP_L3_IPV4:
		if (!is_our_v4(p.dst)) {
			*why = DP_DROP_NOT_FOR_US;
			return V_DROP;
		}
		if (p.frag != DP_FRAG_NONE) {
			t = slot_trunk(w, dp_acl_lookup4(acl, p.src));
			goto fragment;
		}
		if (p.proto == DP_PROTO_ICMP) {
			CSUM_OR_DROP();
			return V_EXCEPTION;
		}
		t = slot_trunk(w, dp_acl_lookup4(acl, p.src));
		break;
	case DP_L3_IPV6:
		if (p.proto == DP_PROTO_ICMPV6 && p.frag == DP_FRAG_NONE)
			goto icmp6;
		if (!is_our_v6(p.dst)) {
			*why = DP_DROP_NOT_FOR_US;
			return V_DROP;
		}
		t = slot_trunk(w, dp_acl_lookup6(acl, p.src));
		if (p.frag != DP_FRAG_NONE)
			goto fragment;
		break;
	default:
		*why = DP_DROP_ETHERTYPE;
		return V_DROP;
	}

	if (p.proto != DP_PROTO_UDP && p.proto != DP_PROTO_TCP) {
		*why = DP_DROP_PROTOCOL;
		return V_DROP;
	}
	/* SIP on sip_port (UDP, TCP), and over TLS on tls_port (TCP only: RFC 3261 26.2) */
	if (p.dport != dp.cfg.sip_port &&
	    !(p.proto == DP_PROTO_TCP && dp.cfg.tls_port != 0 && p.dport == dp.cfg.tls_port)) {
		*why = DP_DROP_PORT_CLOSED;
		return V_DROP;
	}
	if (t != DP_TRUNK_NONE) {
		CSUM_OR_DROP();
		*trunk = t;
		if (p.proto != DP_PROTO_UDP)
			return V_EXCEPTION;	/* TCP: caps are the control plane's */
		return admit(w, m, f, &p, t, now_ns, why);
	}
	if (dp.cfg.unlisted == SBC_UNLISTED_REJECT) {
		CSUM_OR_DROP();
		*why = reject(w, m, &p);
		if (*why == DP_DROP_NONE)
			return V_WIRE;
		return V_DROP;
	}
	*why = DP_DROP_SIP_UNLISTED;
	return V_DROP;

icmp6:
	if (!icmp6_for_us(p.dst)) {
		*why = DP_DROP_NOT_FOR_US;
		return V_DROP;
	}
	return V_EXCEPTION;

fragment:
	/* Every fragment carries the source address: the allowlist applies to each of them. */
	if (t == DP_TRUNK_NONE) {
		*why = DP_DROP_FRAGMENT_UNLISTED;
		return V_DROP;
	}
	CSUM_OR_DROP();
	*trunk = t;
	if (!dp_frag_can(f, &p))
		return V_EXCEPTION;	/* TCP, or an IPv6 chain rte_ip_frag cannot take: as is */
	m = dp_frag_feed(w, m, &p, rte_rdtsc());
	if (m == NULL)
		return V_HELD;
	*mp = m;
	return reassembled(w, m, now_ns, why, t);
#undef CSUM_OR_DROP
}

/* Dropped mbufs are freed together at the end of the burst: one mempool call, not one each. */
struct drops {
	struct rte_mbuf *m[DP_BURST * 2];
	unsigned int n;
};

static inline void drop(struct dp_worker *w, struct drops *d, struct rte_mbuf *m, enum dp_drop why)
{
	dp_count(&w->stats.drops[why], 1);
	d->m[d->n++] = m;
}

static void flush(struct dp_worker *w, struct burst_out *o, struct drops *d)
{
	unsigned int sent, i;

	if (o->n_exc > 0) {
		if (dp.exc_direct)
			sent = rte_eth_tx_burst(dp.exc_port, w->exc_txq, o->exc, (uint16_t)o->n_exc);
		else
			sent = rte_ring_mp_enqueue_burst(dp.exc_ring, (void **)o->exc, o->n_exc, NULL);
		dp_count(&w->stats.to_exception, sent);
		for (i = 0; i < sent; i++)
			if (o->exc_trunk[i] != UINT16_MAX)
				dp_count(&w->trunk_stats[o->exc_trunk[i]].accepted, 1);
		for (; i < o->n_exc; i++) {
			if (o->exc_trunk[i] != UINT16_MAX)
				dp_count(&w->trunk_stats[o->exc_trunk[i]].rejected, 1);
			drop(w, d, o->exc[i], DP_DROP_EXCEPTION_FULL);
		}
		o->n_exc = 0;
	}
	if (o->n_wire > 0) {
		unsigned int rej = 0;

		sent = rte_eth_tx_burst(dp.wire_port, w->wire_queue, o->wire, (uint16_t)o->n_wire);
		for (i = 0; i < sent; i++)
			rej += o->wire_is_reject[i];
		dp_count(&w->stats.reject_sent, rej);
		dp_count(&w->stats.to_wire, sent - rej);
		for (; i < o->n_wire; i++)
			drop(w, d, o->wire[i], DP_DROP_WIRE_FULL);
		o->n_wire = 0;
	}
}

/*
 * Ring mode (the exception port has fewer tx queues than workers): worker 0 sends for all.
 * What the port does not take now is kept and offered again, never dropped: a packet counted
 * to_exception at enqueue must arrive, and back-pressure fills the ring, where the enqueueing
 * worker counts exception_full.
 */
struct ring_pending {
	struct rte_mbuf *m[DP_BURST];
	unsigned int n;
};

static void drain_exc_ring(struct ring_pending *rp)
{
	unsigned int sent;

	if (rp->n < DP_BURST)
		rp->n += rte_ring_sc_dequeue_burst(dp.exc_ring, (void **)(rp->m + rp->n),
						   DP_BURST - rp->n, NULL);
	if (rp->n == 0)
		return;
	sent = rte_eth_tx_burst(dp.exc_port, 0, rp->m, (uint16_t)rp->n);
	memmove(rp->m, rp->m + sent, (rp->n - sent) * sizeof(rp->m[0]));
	rp->n -= sent;
}

int dp_worker_main(void *arg)
{
	struct ring_pending ring_pending = { .n = 0 };
	uint16_t exc_rxq = 0;
	struct dp_worker *w = arg;
	struct rte_mbuf *pkts[DP_BURST];
	struct burst_out out = { .n_exc = 0, .n_wire = 0 };
	struct drops dropped = { .n = 0 };

	rte_rcu_qsbr_thread_register(dp.qsv, w->id);
	rte_rcu_qsbr_thread_online(dp.qsv, w->id);
	w->reject_last_tsc = rte_rdtsc();

	while (!__atomic_load_n(&dp.stop, __ATOMIC_RELAXED)) {
		const struct dp_acl_bank *acl = dp_acl_reader(dp.acl);
		uint64_t now_ns = dp_clock_ns();
		uint16_t n = 0, i;

		if (w->active)
			n = rte_eth_rx_burst(dp.wire_port, w->wire_queue, pkts, DP_BURST);
		if (n > 0) {
			dp_count(&w->stats.rx, n);
			for (i = 0; i < n && i < 4; i++)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
			for (i = 0; i < n; i++) {
				enum dp_drop why = DP_DROP_NONE;
				uint32_t trunk;

				if (i + 4 < n)
					rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
				switch (classify(w, acl, &pkts[i], now_ns, &why, &trunk)) {
				case V_HELD:
					break;
				case V_EXCEPTION:
					out.exc_trunk[out.n_exc] =
						trunk == DP_TRUNK_NONE ? UINT16_MAX : (uint16_t)trunk;
					out.exc[out.n_exc++] = pkts[i];
					break;
				case V_WIRE:
					if (trunk != DP_TRUNK_NONE)	/* a 503 */
						dp_count(&w->trunk_stats[trunk].rejected, 1);
					out.wire_is_reject[out.n_wire] = true;
					out.wire[out.n_wire++] = pkts[i];
					break;
				case V_DROP:
					if (trunk != DP_TRUNK_NONE)
						dp_count(&w->trunk_stats[trunk].rejected, 1);
					drop(w, &dropped, pkts[i], why);
					break;
				}
			}
		}
		/* The kernel's side (ARP replies, the control plane's SIP) goes out unchanged. */
		if (w->polls_exception) {
			n = rte_eth_rx_burst(dp.exc_port, exc_rxq, pkts, DP_BURST);
			if (++exc_rxq == dp.exc_queues)
				exc_rxq = 0;
			if (n > 0) {
				dp_count(&w->stats.exc_rx, n);
				for (i = 0; i < n; i++) {
					dp_admit_from_kernel(w, pkts[i], now_ns);
					out.wire_is_reject[out.n_wire] = false;
					out.wire[out.n_wire++] = pkts[i];
				}
			}
		}
		flush(w, &out, &dropped);
		dp_frag_housekeeping(w, rte_rdtsc());
		if (dropped.n > 0) {
			rte_pktmbuf_free_bulk(dropped.m, dropped.n);
			dropped.n = 0;
		}
		if (!dp.exc_direct && w->id == 0)
			drain_exc_ring(&ring_pending);
		rte_rcu_qsbr_quiescent(dp.qsv, w->id);
	}
	for (unsigned int i = 0; i < ring_pending.n; i++)	/* shutting down */
		rte_pktmbuf_free(ring_pending.m[i]);
	rte_rcu_qsbr_thread_offline(dp.qsv, w->id);
	rte_rcu_qsbr_thread_unregister(dp.qsv, w->id);
	return 0;
}
