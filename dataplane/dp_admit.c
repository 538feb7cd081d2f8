/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Call admission (see dp_admit.h). Per listed UDP SIP message from the wire:
 *   malformed (the scanner says so) ........................ drop sip_malformed (by reason)
 *   INVITE without To tag (a new dialog):
 *     a call with this Call-ID already runs, or the same
 *     Call-ID + CSeq + branch was answered in the last 32 s ... the same answer, no token
 *     Request-URI user is an emergency number ................. admitted past both caps
 *     no CPS token (trunk's bucket) ........................... 503 + Retry-After, or drop
 *     max_calls reached ....................................... 503 + Retry-After, or drop
 *     otherwise: a call slot in the table, an event ........... to the kernel
 *   BYE, CANCEL (either side) ................................ the call ends
 *   final non-2xx to the INVITE (the kernel side's) .......... the call ends
 *   2xx / 1xx to the INVITE (the kernel side's) .............. the call advances (timers)
 * Everything else passes untouched. No locks except the hash tables' writer lock on a call's
 * start and end; no allocation, no syscalls, no logging. The 503 is built by dp_reply.c; the
 * timers that end calls nobody ends run on the main lcore (dp_timers.c).
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ring.h>

#include "dp_admit.h"
#include "dp_calls.h"
#include "dp_channel.h"
#include "dp_cps.h"
#include "dp_gate.h"
#include "dp_reply.h"

/* To the main lcore, which sends it on: reason NONE is an admission, others an end. */
static void event(struct dp_worker *w, uint16_t trunk, uint8_t reason,
		  bool emergency, uint64_t now_ns, const uint8_t *msg, struct dp_span call_id,
		  const struct dp_key128 *k)
{
	struct sbc_msg_call ev;

	dp_call_event(&ev, trunk, reason, emergency, now_ns, k, msg + call_id.off, call_id.len);
	if (rte_ring_sp_enqueue_elem(w->events, &ev, sizeof(ev)) != 0)
		dp_count(&w->call_events_lost, 1);
}

/* A call ends (BYE, CANCEL, final non-2xx): whoever removes it from the table reports it. */
static void end_call(struct dp_worker *w, const uint8_t *msg, const struct dp_sip_msg *sm,
		     uint8_t reason, uint64_t now_ns)
{
	struct dp_key128 k = dp_calls_key(msg + sm->call_id.off, sm->call_id.len);
	struct dp_call c;

	if (!dp_call_end(&k, &c))
		return;
	dp_count(&w->trunk_stats[c.trunk].ended[reason], 1);
	event(w, c.trunk, reason, c.emergency, now_ns, msg, sm->call_id, &k);
}

/*
 * What a call's messages do to it. Requests (BYE, CANCEL) from either side; responses to the
 * INVITE only from the kernel side, which answers the calls the workers admit: a caller's own
 * forged 486 must not free its slot while the call goes on (a max_calls bypass).
 */
static void track(struct dp_worker *w, const uint8_t *msg, const struct dp_sip_msg *sm,
		  uint64_t now_ns, bool from_kernel)
{
	if (sm->is_request) {
		if (dp_span_eq(msg, sm->method, "BYE"))
			end_call(w, msg, sm, SBC_CALL_END_BYE, now_ns);
		else if (dp_span_eq(msg, sm->method, "CANCEL"))
			end_call(w, msg, sm, SBC_CALL_END_CANCEL, now_ns);
		return;
	}
	if (!from_kernel || !dp_span_eq(msg, sm->cseq_method, "INVITE"))
		return;
	if (sm->status >= 300) {
		end_call(w, msg, sm, SBC_CALL_END_REJECTED, now_ns);
	} else {
		struct dp_key128 k = dp_calls_key(msg + sm->call_id.off, sm->call_id.len);

		dp_call_progress(&k, sm->status, now_ns / DP_NS_PER_MS);	/* Timers B and C */
	}
}

/* Refuse a new call: the same answer for its retransmissions; 503 or silence. */
static enum dp_admit refuse(struct dp_worker *w, struct rte_mbuf *m, const uint8_t *frame,
			    const struct dp_pkt *p, const struct dp_sip_msg *sm, uint32_t trunk,
			    enum dp_verdict v, enum dp_drop *why)
{
	enum dp_drop silent = v == DP_V_OVER_CPS ? DP_DROP_OVER_CPS :
			      v == DP_V_OVER_CALLS ? DP_DROP_OVER_CALLS : DP_DROP_CALL_TABLE_FULL;

	if (dp.cfg.trunks[trunk].over_limit == SBC_OVER_LIMIT_DROP) {
		*why = silent;
		return DP_ADMIT_DROP;
	}
	*why = dp_reply_in_place(w, m, frame, p, sm, 503, "Service Unavailable", dp.retry_after,
				 silent);
	return *why == DP_DROP_NONE ? DP_ADMIT_REPLY : DP_ADMIT_DROP;
}

static enum dp_admit new_call(struct dp_worker *w, struct rte_mbuf *m, const uint8_t *frame,
			      const struct dp_pkt *p, const struct dp_sip_msg *sm, uint32_t trunk,
			      uint64_t now_ns, uint64_t t0, enum dp_drop *why)
{
	const uint8_t *msg = frame + p->payload_off;
	const struct dp_limits *lim = &dp_limits[trunk];
	const struct dp_key128 call = dp_calls_key(msg + sm->call_id.off, sm->call_id.len);
	struct dp_gate g = {
		.trunk = (uint16_t)trunk,
		.emergency = dp_gate_is_emergency(&dp.cfg, msg + sm->ruri_user.off,
						  sm->ruri_user.len),
		.cps = __atomic_load_n(&lim->cps, __ATOMIC_RELAXED),
		.burst = __atomic_load_n(&lim->burst, __ATOMIC_RELAXED),
		.max_calls = __atomic_load_n(&lim->max_calls, __ATOMIC_RELAXED),
		.tat = &dp.cps_tat[trunk],
		.call = call,
		.vkey = dp_calls_vkey(call, msg + sm->branch.off, sm->branch.len, sm->cseq),
		.call_id = msg + sm->call_id.off,
		.call_id_len = sm->call_id.len,
	};
	bool again;
	enum dp_verdict v = dp_gate_admit(&g, now_ns, &w->trunk_stats[trunk], &again);

	if (v != DP_V_ADMITTED)
		return refuse(w, m, frame, p, sm, trunk, v, why);
	if (again)
		return DP_ADMIT_PASS;	/* running, or admitted and over: the B2BUA absorbs it */
	event(w, (uint16_t)trunk, SBC_CALL_END_NONE, g.emergency, now_ns, msg, sm->call_id,
	      &g.call);
	dp_bench_count(&w->admit_cycles, &w->admit_count, t0);	/* the benchmark's figure */
	return DP_ADMIT_PASS;
}

enum dp_admit dp_admit_wire(struct dp_worker *w, struct rte_mbuf *m, const uint8_t *frame,
			    const struct dp_pkt *p, uint32_t trunk, uint64_t now_ns,
			    enum dp_drop *why)
{
	const uint8_t *msg = frame + p->payload_off;
	/* the benchmark's clock, read for what may be a new call only (no rdtsc per packet) */
	uint64_t t0 = p->payload_len > 7 && memcmp(msg, "INVITE ", 7) == 0 ? dp_bench_tsc() : 0;
	struct dp_sip_msg sm;
	enum dp_sip_err e;

	now_ns = dp_pkt_time(m, now_ns);
	e = dp_sip_scan(msg, p->payload_len, &sm);
	if (e != DP_SIP_ERR_OK) {
		dp_count(&w->malformed[e], 1);
		dp_count(&w->trunk_stats[trunk].malformed, 1);
		*why = DP_DROP_SIP_MALFORMED;
		return DP_ADMIT_DROP;
	}
	if (sm.is_request && sm.to_tag.len == 0 && dp_span_eq(msg, sm.method, "INVITE"))
		return new_call(w, m, frame, p, &sm, trunk, now_ns, t0, why);
	track(w, msg, &sm, now_ns, false);
	return DP_ADMIT_PASS;
}

void dp_admit_from_kernel(struct dp_worker *w, struct rte_mbuf *m, uint64_t now_ns)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	struct dp_sip_msg sm;
	struct dp_pkt p;

	if (!rte_pktmbuf_is_contiguous(m) ||
	    dp_parse(f, rte_pktmbuf_data_len(m), false, &p) != DP_DROP_NONE ||
	    p.proto != DP_PROTO_UDP || p.frag != DP_FRAG_NONE || p.sport != dp.cfg.sip_port ||
	    dp_sip_scan(f + p.payload_off, p.payload_len, &sm) != DP_SIP_ERR_OK)
		return;
	track(w, f + p.payload_off, &sm, dp_pkt_time(m, now_ns), true);
}
