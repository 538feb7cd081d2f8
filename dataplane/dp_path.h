/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the worker loop (dp_worker.c) and its per-path handlers share: the verdicts, the
 * burst's outputs and drops, the burst's clock, and the small address and checksum tests.
 * After the loop has sorted a burst and looked up its tables, each frame goes to one handler:
 * host traffic (dp_path_host.c: ARP, ICMP, ND to the kernel), SIP (dp_path_sip.c: allowlist,
 * admission, 403/503, reassembly) or media (dp_path_media.c: the relay). Worker lcores only.
 */
#ifndef DP_PATH_H
#define DP_PATH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "dp_parse.h"

enum dp_path_verdict {
	DP_PATH_DROP,		/* *why says why */
	DP_PATH_EXCEPTION,	/* to the kernel */
	DP_PATH_REPLY,		/* answered in place (403, 503): out of the wire */
	DP_PATH_HELD,		/* kept (a fragment waiting for the others) */
	DP_PATH_RELAYED,	/* media rewritten for the other leg: out of the wire */
};

/* What a frame sent out of the wire is, for its counter. */
enum dp_wire_kind {
	DP_WIRE_KERNEL,		/* the kernel's own (to_wire) */
	DP_WIRE_REJECT,		/* a 403/503 built here (reject_sent) */
	DP_WIRE_MEDIA,		/* relayed RTP/RTCP (media_relayed) */
	DP_WIRE_ASK,		/* ARP request / neighbour solicitation built here (neigh_asked) */
	DP_WIRE_KINDS
};

struct dp_burst_out {
	struct rte_mbuf *exc[DP_BURST * 2];
	uint16_t exc_trunk[DP_BURST * 2];	/* trunk id or UINT16_MAX, for per-trunk accounting */
	unsigned int n_exc;
	struct rte_mbuf *wire[DP_BURST * 2];
	uint8_t wire_kind[DP_BURST * 2];	/* enum dp_wire_kind */
	unsigned int n_wire;
	/* wire[]'s frames of each kind: the counters' increments once they are sent, with the
	 * kinds of those the port did not take (a few, if any) taken off, and no pass over all */
	uint16_t n_kind[DP_WIRE_KINDS];
};

static inline void dp_out_wire(struct dp_burst_out *o, struct rte_mbuf *m, enum dp_wire_kind k)
{
	o->wire_kind[o->n_wire] = (uint8_t)k;
	o->wire[o->n_wire++] = m;
	o->n_kind[k]++;
}

/*
 * The burst's time, read from the TSC once and only when a packet needs it (admission, 403
 * tokens, reassembly, media): a burst that is only dropped never reads it.
 */
struct dp_burst_clock {
	uint64_t tsc, ns;
	bool read;
};

static inline void dp_clock_read(struct dp_burst_clock *c)
{
	if (!c->read) {
		c->tsc = rte_rdtsc();
		c->ns = dp_clock_ns_at(c->tsc);
		c->read = true;
	}
}

static inline uint64_t dp_burst_tsc(struct dp_burst_clock *c)
{
	dp_clock_read(c);
	return c->tsc;
}

static inline uint64_t dp_burst_ns(struct dp_burst_clock *c)
{
	dp_clock_read(c);
	return c->ns;
}

/* Addresses compared as one load each, in network order. */
static inline uint32_t dp_ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint16_t dp_ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* A 20-byte IPv4 header at ip with a wrong checksum (unless the NIC checked it good): what
 * the fast paths that fill no dp_pkt ask (the relay's, reject mode's spent burst). */
static inline bool dp_v4_plain_header_bad(const struct rte_mbuf *m, const uint8_t *ip)
{
	return (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
	       !dp_v4_sum_ok(ip);
}

/*
 * The IPv4 header checksum, when the NIC has not checked it, is verified only for what is
 * passed on or answered: a flood from unlisted sources is dropped without it.
 */
static inline bool dp_v4_csum_bad(const struct rte_mbuf *m, const struct dp_pkt *p)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t hlen;

	if (p->l3 != DP_L3_IPV4)
		return false;
	hlen = (f[p->l3_off] & 0x0fu) * 4u;
	if (hlen == 20)	/* no options: five adds inline */
		return dp_v4_plain_header_bad(m, f + p->l3_off);
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return false;
	return dp_csum_fold(dp_csum_partial(f + p->l3_off, hlen, 0)) != 0;
}

/* dp_path_host.c: ARP, ICMP, ND for the host: neighbours learnt on the way to the kernel. */
void dp_path_host(struct rte_mbuf *m, const struct dp_pkt *p);

/* dp_path_sip.c: SIP to sip_port / over TCP, and IP fragments (the allowlist decides). *trunk:
 * the source's trunk when listed. A fragment's *mp may be replaced (the datagram completed). */
enum dp_path_verdict dp_path_sip(struct dp_worker *w, struct rte_mbuf *m, const struct dp_pkt *p,
				 uint32_t slot, struct dp_burst_clock *clk, enum dp_drop *why,
				 uint32_t *trunk);
enum dp_path_verdict dp_path_fragment(struct dp_worker *w, struct rte_mbuf **mp,
				      const struct dp_pkt *p, uint32_t slot,
				      struct dp_burst_clock *clk, enum dp_drop *why,
				      uint32_t *trunk);
/* Reject mode with no 403 left for the burst: the worker's share of reject_rate refilled to the
 * burst's TSC now and under one token, so dp_path_sip limits every unlisted request of it. */
bool dp_path_sip_reject_spent(struct dp_worker *w, uint64_t now);

/* dp_path_media.c: a UDP datagram to one of our media ports; data: what its port's word names
 * (dp_media_find; found false: no session). Relayed in place, or dropped; an ARP request / NS
 * may be added to o. */
enum dp_path_verdict dp_path_media(struct dp_worker *w, struct rte_mbuf *m,
				   const struct dp_pkt *p, const void *data, bool found,
				   struct dp_burst_clock *clk, struct dp_burst_out *o,
				   enum dp_drop *why);

/* What dp_path_media4 takes from the burst, once: its time (not the test clock's, which is
 * each frame's own), that time in 8 kHz RTP clock ticks (jitter), and the next-hop cache's
 * tag for the neighbour table's current generation (dp_media_fwd.nh bits 48-63). */
struct dp_media4_burst {
	uint64_t ns;
	uint32_t ticks;
	uint16_t nh_tag;
	uint32_t wire_hi;	/* our MAC as dp_media4_put_eth takes it */
	uint64_t wire_lo;
};

void dp_media4_burst_init(struct dp_media4_burst *t, struct dp_burst_clock *clk);

/*
 * dp_path_media.c: the common case whole, from the frame's bytes (no dp_pkt): a frame of the
 * plain IPv4/UDP shape (dp_plain_udp4_shape) to a leg's RTP port, from that leg's remote
 * address and port, plain RTP both ways without rtcp-mux, out to an IPv4 leg, its IPv4 header
 * checksum good, the port to send to and the next hop's MAC known. true: counted and rewritten
 * in place, the caller sends it (DP_WIRE_MEDIA); false: nothing read was changed,
 * dp_path_media decides.
 */
bool dp_path_media4(struct rte_mbuf *m, const void *data, const struct dp_media4_burst *t);

/* Media frames ahead of the one decided whose directions are asked for (dp_media_prefetch). */
#define DP_MEDIA4_AHEAD 8

/*
 * A burst whose frames are all of that shape and to a session's port (found[i]: data[i] names
 * one; data[i]: what its port's word names): dp_path_media4 of frames i, i + 1, ... sent in
 * order (DP_WIRE_MEDIA) until one is not taken: its index is returned (n: all were), and the
 * caller sends it the general way before it goes on from the next.
 */
unsigned int dp_path_media4_run(struct rte_mbuf *const *m, void *const *data, const bool *found,
				unsigned int i, unsigned int n, const struct dp_media4_burst *t,
				struct dp_burst_out *o);

#endif
