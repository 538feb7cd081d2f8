/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The workers' back-off when little or nothing arrives ([dataplane] poll = adaptive), run by
 * each worker lcore at the end of its loop turn: the decision is dp_idle_next
 * (dp_idle_policy.h); here the worker leaves RCU for the sleep (offline: writers need not
 * wait for it), sleeps, and counts it. The same idea as DPDK's l3fwd-power (short sleeps after
 * a run of empty polls) and grout's worker loop (a growing sleep with a bound); with
 * poll = busy (the default) none of this runs and the worker takes its core whatever the load.
 */
#ifndef DP_IDLE_H
#define DP_IDLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"
#include "dp_idle_policy.h"

/* Before the loop: the kernel's default timer slack (50 us) would stretch every short sleep
 * to at least that, so this thread asks for 1 us. */
static inline void dp_idle_init(struct dp_idle *s)
{
	dp_idle_reset(s);
	if (dp.cfg.poll == SBC_POLL_ADAPTIVE)
		(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
}

/* After a loop turn that received got frames (or has work pending, counted in got). */
static inline void dp_idle_after_turn(struct dp_worker *w, struct dp_idle *s, unsigned int got)
{
	struct timespec ts;
	uint32_t us;
	uint64_t t0;

	if (dp.cfg.poll != SBC_POLL_ADAPTIVE)
		return;
	us = dp_idle_next(s, got, DP_BURST, dp.cfg.poll_sleep_max_us);
	if (us == 0)
		return;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)us * 1000;
	t0 = rte_rdtsc();
	rte_rcu_qsbr_thread_offline(dp.qsv, w->id);
	(void)nanosleep(&ts, NULL);
	rte_rcu_qsbr_thread_online(dp.qsv, w->id);
	dp_count(&w->idle_sleeps, 1);
	dp_count(&w->idle_sleep_cycles, rte_rdtsc() - t0);
}

#endif
