/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SIP path of the worker (dp_path.h): what the allowlist lookup left open is decided here.
 * Listed UDP SIP goes to admission (caps, call table), listed TCP to the kernel, unlisted SIP
 * is dropped or answered 403 within reject_rate, an unlisted REGISTER goes to the registrar
 * within register_rate, listed fragments are reassembled. Worker lcores only.
 */
#include "dp_admit.h"
#include "dp_frag.h"
#include "dp_path.h"
#include "dp_regrate.h"
#include "dp_reply.h"
#include "dp_sip_reply.h"

/* Per-worker share of [sbc] reject_rate: a token bucket in TSC time (the burst's), full at
 * start. */
static void reject_refill(struct dp_worker *w, uint64_t now)
{
	w->reject_tokens += (double)(now - w->reject_last_tsc) * w->reject_rate;
	if (w->reject_tokens > w->reject_burst)
		w->reject_tokens = w->reject_burst;
	w->reject_last_tsc = now;
}

static bool reject_token(struct dp_worker *w, uint64_t now)
{
	reject_refill(w, now);
	if (w->reject_tokens < 1.0)
		return false;
	w->reject_tokens -= 1.0;
	return true;
}

bool dp_path_sip_reject_spent(struct dp_worker *w, uint64_t now)
{
	reject_refill(w, now);	/* the burst's now: the frames' own refills add nothing */
	return w->reject_tokens < 1.0;
}

/* An unlisted UDP SIP request in reject mode: a 403 in place, within reject_rate. */
static enum dp_drop reject(struct dp_worker *w, struct rte_mbuf *m, const struct dp_pkt *p,
			   struct dp_burst_clock *clk)
{
	if (p->frag != DP_FRAG_NONE || p->proto != DP_PROTO_UDP || !rte_pktmbuf_is_contiguous(m) ||
	    !dp_sip_answerable(rte_pktmbuf_mtod(m, const uint8_t *) + p->payload_off,
			       p->payload_len))
		return DP_DROP_SIP_UNLISTED;
	if (!reject_token(w, dp_burst_tsc(clk)))
		return DP_DROP_REJECT_RATELIMITED;
	return dp_reply_in_place(w, m, rte_pktmbuf_mtod(m, const uint8_t *), p, NULL, 403,
				 "Forbidden", NULL, DP_DROP_SIP_UNLISTED);
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
static enum dp_path_verdict admit(struct dp_worker *w, struct rte_mbuf *m,
				  const uint8_t *frame, const struct dp_pkt *p, uint32_t t,
				  uint64_t now_ns, enum dp_drop *why)
{
	switch (dp_admit_wire(w, m, frame, p, t, now_ns, why)) {
	case DP_ADMIT_PASS:
		return DP_PATH_EXCEPTION;
	case DP_ADMIT_REPLY:
		return DP_PATH_REPLY;
	default:
		return DP_PATH_DROP;
	}
}

/* A datagram reassembled from listed fragments: classified as if it had come whole. */
static enum dp_path_verdict reassembled(struct dp_worker *w, struct rte_mbuf *m,
					uint64_t now_ns, enum dp_drop *why, uint32_t t)
{
	const uint8_t *f = rte_pktmbuf_read(m, 0, m->pkt_len, w->big);
	struct dp_pkt p;

	if (f == NULL || m->pkt_len > DP_FRAG_BIG) {
		*why = DP_DROP_FRAG_REASSEMBLY;
		return DP_PATH_DROP;
	}
	*why = dp_parse(f, m->pkt_len, false, &p);
	if (*why != DP_DROP_NONE)
		return DP_PATH_DROP;
	if (p.proto != DP_PROTO_UDP || p.dport != dp.cfg.sip_port) {
		*why = DP_DROP_PORT_CLOSED;
		return DP_PATH_DROP;
	}
	return admit(w, m, f, &p, t, now_ns, why);
}

/* An unlisted REGISTER while some trunk takes digest: to the registrar within register_rate
 * per source. */
static enum dp_path_verdict unlisted_register(struct dp_worker *w, struct rte_mbuf *m,
					      const struct dp_pkt *p,
					      struct dp_burst_clock *clk, enum dp_drop *why)
{
	if (dp_v4_csum_bad(m, p))
		*why = DP_DROP_IPV4_BAD_CHECKSUM;
	else
		*why = dp_regrate_take(w->regrate, p, dp_pkt_time(m, dp_burst_ns(clk)));
	return *why == DP_DROP_NONE ? DP_PATH_EXCEPTION : DP_PATH_DROP;
}

/* Unlisted SIP: a REGISTER for the registrar (above), else dropped, or in reject mode a 403
 * within reject_rate. */
static enum dp_path_verdict unlisted(struct dp_worker *w, struct rte_mbuf *m,
				     const struct dp_pkt *p, struct dp_burst_clock *clk,
				     enum dp_drop *why)
{
	if (w->regrate != NULL && rte_pktmbuf_is_contiguous(m) &&
	    dp_regrate_is_register(rte_pktmbuf_mtod(m, const uint8_t *), p))
		return unlisted_register(w, m, p, clk, why);
	if (dp.cfg.unlisted != SBC_UNLISTED_REJECT) {
		*why = DP_DROP_SIP_UNLISTED;
		return DP_PATH_DROP;
	}
	if (dp_v4_csum_bad(m, p)) {
		*why = DP_DROP_IPV4_BAD_CHECKSUM;
		return DP_PATH_DROP;
	}
	*why = reject(w, m, p, clk);
	return *why == DP_DROP_NONE ? DP_PATH_REPLY : DP_PATH_DROP;
}

/* SIP to sip_port: listed UDP goes to admission, listed TCP to the kernel (its caps are the
 * control plane's), unlisted is dropped or answered. */
enum dp_path_verdict dp_path_sip(struct dp_worker *w, struct rte_mbuf *m,
				 const struct dp_pkt *p, uint32_t slot,
				 struct dp_burst_clock *clk, enum dp_drop *why, uint32_t *trunk)
{
	uint32_t t = slot_trunk(w, slot);

	if (t == DP_TRUNK_NONE)
		return unlisted(w, m, p, clk, why);
	if (dp_v4_csum_bad(m, p)) {
		*why = DP_DROP_IPV4_BAD_CHECKSUM;
		return DP_PATH_DROP;
	}
	*trunk = t;
	if (p->proto != DP_PROTO_UDP)
		return DP_PATH_EXCEPTION;
	return admit(w, m, rte_pktmbuf_mtod(m, const uint8_t *), p, t, dp_burst_ns(clk), why);
}

/* Every fragment carries the source address: the allowlist applies to each of them. Listed
 * UDP ones are reassembled and the datagram decided as if it had come whole. *mp may be
 * replaced (the datagram completed) or taken (DP_PATH_HELD: waiting for the others). */
enum dp_path_verdict dp_path_fragment(struct dp_worker *w, struct rte_mbuf **mp,
				      const struct dp_pkt *p, uint32_t slot,
				      struct dp_burst_clock *clk, enum dp_drop *why,
				      uint32_t *trunk)
{
	struct rte_mbuf *m = *mp;
	uint32_t t = slot_trunk(w, slot);

	if (t == DP_TRUNK_NONE) {
		*why = DP_DROP_FRAGMENT_UNLISTED;
		return DP_PATH_DROP;
	}
	if (dp_v4_csum_bad(m, p)) {
		*why = DP_DROP_IPV4_BAD_CHECKSUM;
		return DP_PATH_DROP;
	}
	*trunk = t;
	if (!dp_frag_can(rte_pktmbuf_mtod(m, const uint8_t *), p))
		return DP_PATH_EXCEPTION;	/* TCP, or an IPv6 chain rte_ip_frag cannot take: as is */
	m = dp_frag_feed(w, m, p, dp_burst_tsc(clk));
	if (m == NULL)
		return DP_PATH_HELD;
	*mp = m;
	return reassembled(w, m, dp_burst_ns(clk), why, t);
}
