/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Calls in progress, shared by all workers: an rte_hash (lock-free readers, multi-writer,
 * deletions reclaimed through the data plane's RCU) keyed by a 128-bit hash of the Call-ID,
 * whose key position indexes a flat array of call records. Plus the verdict cache: the answer
 * given to an INVITE (Call-ID + CSeq + top branch) for 32 s, so a retransmission gets the
 * same answer and never a second token. The main lcore expires both (Timer B, Timer C,
 * maximum duration, 32 s) on the data plane's clock (dp_timers.c calls dp_calls_expire).
 */
#ifndef DP_CALLS_H
#define DP_CALLS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_rcu_qsbr.h>

#include "sbc_channel.h"
#include "sbc_config.h"

#define DP_TIMER_B_MS 32000u		/* RFC 3261 17.1.1.2: 64 * T1 */
#define DP_TIMER_C_MS 180000u		/* RFC 3261 16.6 item 11: > 3 min; 16.7: per 101-199 */
#define DP_VERDICT_MS 32000u		/* how long an INVITE's answer is remembered */
#define DP_NS_PER_MS 1000000ull	/* the call table counts milliseconds */

struct dp_key128 {
	uint64_t a, b;
};

enum dp_call_state { DP_CALL_TRYING, DP_CALL_EARLY, DP_CALL_CONFIRMED };

enum dp_verdict { DP_V_NONE, DP_V_ADMITTED, DP_V_OVER_CPS, DP_V_OVER_CALLS, DP_V_TABLE_FULL };

struct dp_call {
	uint16_t trunk;
	uint8_t state;		/* enum dp_call_state, atomic */
	uint8_t emergency;
	uint32_t valid;		/* 0 while being filled */
	uint64_t start_ms;	/* the INVITE, on the data plane's clock */
	uint64_t timer_c_ms;	/* Timer C runs from here: the INVITE, then the last 101-199
				 * from the kernel side (atomic; RFC 3261 16.7 step 2) */
	uint64_t ref_a, ref_b;	/* the key, for events the main lcore sends */
	uint16_t call_id_len;
	uint8_t transport;	/* enum sbc_transport: TCP/TLS calls were admitted over the
				 * channel and end by the control plane's word */
	char call_id[SBC_CALL_ID_MAX];
};

int dp_calls_init(const struct sbc_config *cfg, struct rte_rcu_qsbr *qsv, int socket);
void dp_calls_free(void);

/* A call's key: its Call-ID s (len bytes) hashed to 128 bits. */
struct dp_key128 dp_calls_key(const uint8_t *s, uint32_t len);
/* The verdict key of one transaction of the call (CSeq number n, branch s2), from the call's key:
 * the Call-ID is not hashed again. With no s2 and n 0, the call's key itself. */
struct dp_key128 dp_calls_vkey(struct dp_key128 call, const uint8_t *s2, uint32_t len2,
			       uint32_t n);

/* Active calls of a trunk (gauge) and the slot counter admission uses. */
uint32_t dp_calls_active(uint16_t trunk);
/* Reserve a slot of trunk's max_calls (0 = no cap): false when full. */
bool dp_calls_reserve(uint16_t trunk, uint32_t max_calls);
void dp_calls_unreserve(uint16_t trunk);

/* Worker side. start: 0, -EEXIST (already a call: a retransmission), -ENOSPC (table full;
 * the reservation is kept by the caller, who releases it). */
int dp_call_start(const struct dp_key128 *k, uint16_t trunk, bool emergency, uint64_t now_ms,
		  const uint8_t *call_id, uint32_t call_id_len);
bool dp_call_exists(const struct dp_key128 *k);
/*
 * A call the control plane admitted over TCP/TLS (dp_gate.c): the workers see none of its
 * messages, so it is confirmed at once (only max_call_duration, or the control plane's end,
 * or a flush when the control plane restarts, ends it: no Timer B/C on a stream nobody reads).
 */
void dp_call_set_stream(const struct dp_key128 *k, uint8_t transport, uint64_t now_ms);
/*
 * A 1xx or 2xx response to the call's INVITE (status) at now_ms. Any 1xx stops Timer B (RFC
 * 3261 17.1.1.2: the transaction is Proceeding); 101-199 also restart Timer C (16.7 step 2:
 * "anything but 100"); a 2xx confirms the call: then only max_call_duration, counted from
 * the INVITE, ends it (or its BYE).
 */
void dp_call_progress(const struct dp_key128 *k, unsigned int status, uint64_t now_ms);
/* End a call: true (and *c filled) when this caller removed it. */
bool dp_call_end(const struct dp_key128 *k, struct dp_call *c);

/*
 * The call event for the control plane (SBC_EVT_CALL_ADMITTED when reason is NONE, else
 * _ENDED): the one builder for the workers' events and the timers'. active is read now, so
 * call it after the table changed; call_id is cut at SBC_CALL_ID_MAX.
 */
void dp_call_event(struct sbc_msg_call *ev, uint16_t trunk, uint8_t reason, bool emergency,
		   uint64_t at_ns, const struct dp_key128 *k, const void *call_id,
		   uint32_t call_id_len);

enum dp_verdict dp_verdict_get(const struct dp_key128 *k);
bool dp_verdict_put(const struct dp_key128 *k, enum dp_verdict v, uint64_t now_ms);

/*
 * Which timer has ended call c at now_ms, or SBC_CALL_END_NONE: Timer B while no response came,
 * Timer C from the last provisional, max_duration_s (from the INVITE) once answered.
 */
static inline uint8_t dp_call_timer(const struct dp_call *c, uint64_t now_ms,
				    uint32_t max_duration_s)
{
	uint64_t since_invite = now_ms > c->start_ms ? now_ms - c->start_ms : 0;
	uint64_t c_from = __atomic_load_n(&c->timer_c_ms, __ATOMIC_RELAXED);
	uint64_t since_1xx = now_ms > c_from ? now_ms - c_from : 0;

	switch (__atomic_load_n(&c->state, __ATOMIC_RELAXED)) {
	case DP_CALL_TRYING:
		return since_invite > DP_TIMER_B_MS ? SBC_CALL_END_TIMER_B : SBC_CALL_END_NONE;
	case DP_CALL_EARLY:
		return since_1xx > DP_TIMER_C_MS ? SBC_CALL_END_TIMER_C : SBC_CALL_END_NONE;
	default:
		return since_invite > (uint64_t)max_duration_s * 1000 ? SBC_CALL_END_MAX_DURATION :
									SBC_CALL_END_NONE;
	}
}

/* Main lcore: expire calls and verdicts; ended() is called for each call ended here. */
void dp_calls_expire(uint64_t now_ms, uint32_t max_duration_s,
		     void (*ended)(const struct dp_call *c, uint8_t reason, void *arg), void *arg);

/* Main lcore: end every call admitted over TCP/TLS (a new control plane holds none of them). */
void dp_calls_flush_stream(void (*ended)(const struct dp_call *c, uint8_t reason, void *arg),
			   void *arg);

/* Capacity and use, for the stats socket. */
uint32_t dp_calls_capacity(void);
uint32_t dp_calls_count(void);
uint32_t dp_verdicts_count(void);

#endif
