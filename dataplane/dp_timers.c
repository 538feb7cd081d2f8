/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Main lcore: call events and call timers (see dp_timers.h). The workers' events are drained
 * before the timers run, so the control plane always hears of a call's admission before of its
 * end by a timer. Timers are scanned ten times a second: a call ends within 100 ms of its
 * deadline, which no SIP timer needs finer.
 */
#include <rte_ring.h>

#include "dp.h"
#include "dp_calls.h"
#include "dp_channel.h"
#include "dp_timers.h"

#define EXPIRE_EVERY_NS 100000000ull

static uint64_t ended[SBC_MAX_TRUNKS][SBC_CALL_END_MAX];

uint64_t dp_timers_ended(uint32_t trunk, unsigned int reason)
{
	return __atomic_load_n(&ended[trunk][reason], __ATOMIC_RELAXED);
}

/* dp_calls_expire's callback: c was ended by a timer at *(uint64_t *)arg. */
static void timer_ended(const struct dp_call *c, uint8_t reason, void *arg)
{
	struct dp_key128 k = { c->ref_a, c->ref_b };
	struct sbc_msg_call ev;

	dp_call_event(&ev, c->trunk, reason, c->emergency, *(const uint64_t *)arg, &k,
		      c->call_id, c->call_id_len);
	__atomic_store_n(&ended[c->trunk][reason], ended[c->trunk][reason] + 1, __ATOMIC_RELAXED);
	dp_channel_call_event(SBC_EVT_CALL_ENDED, &ev);
}

static unsigned int forward_worker_events(void)
{
	struct sbc_msg_call ev;
	unsigned int n = 0;

	for (unsigned int i = 0; i < dp.n_workers; i++)
		while (rte_ring_sc_dequeue_elem(dp.workers[i]->events, &ev, sizeof(ev)) == 0) {
			dp_channel_call_event(ev.reason == SBC_CALL_END_NONE ? SBC_EVT_CALL_ADMITTED :
					      SBC_EVT_CALL_ENDED, &ev);
			n++;
		}
	return n;
}

unsigned int dp_timers_tick(void)
{
	static uint64_t last;
	uint64_t now = dp_clock_ns();
	unsigned int n = forward_worker_events();

	if (now - last < EXPIRE_EVERY_NS && now >= last)
		return n;
	last = now;
	dp_calls_expire(now / DP_NS_PER_MS, dp.cfg.max_call_duration, timer_ended, &now);
	return n;
}
