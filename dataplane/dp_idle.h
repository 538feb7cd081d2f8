/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The workers' back-off when nothing arrives ([dataplane] poll = adaptive), run by each worker
 * lcore at the end of its loop turn. After DP_IDLE_POLLS turns in a row that received nothing
 * (wire and kernel side), the worker leaves RCU (offline: writers need not wait for it), sleeps,
 * and polls again; each further empty turn doubles the sleep, from 1 us up to
 * poll_sleep_max_us. A turn that receives less than a full burst keeps the sleep where it is
 * (the next empty turn sleeps as long again at once): a light steady load, RTP at 50 packets a
 * second per stream, is then taken a few frames per wake-up rather than one wake-up per frame.
 * A full burst (traffic faster than the worker polls) ends the back-off: flat out from there.
 * The same scheme as DPDK's l3fwd-power (short sleeps after a run of empty polls) and grout's
 * worker loop (a growing sleep with a bound); with poll = busy (the default) none of this runs
 * and the worker takes its core whatever the load.
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

#define DP_IDLE_POLLS 64	/* empty turns in a row before the first sleep (a few us) */

struct dp_idle {
	uint32_t empty;		/* empty turns in a row */
	uint32_t sleep_us;	/* the last sleep; 0: not backing off */
	bool keep;		/* the last turn received a partial burst: sleep as long again */
};

/* Before the loop: the kernel's default timer slack (50 us) would stretch every short sleep
 * to at least that, so this thread asks for 1 us. */
static inline void dp_idle_init(struct dp_idle *s)
{
	s->empty = 0;
	s->sleep_us = 0;
	s->keep = false;
	if (dp.cfg.poll == SBC_POLL_ADAPTIVE)
		(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
}

/* After a loop turn that received got frames (or has work pending, counted in got). */
static inline void dp_idle_after_turn(struct dp_worker *w, struct dp_idle *s, unsigned int got)
{
	struct timespec ts;
	uint64_t t0;

	if (dp.cfg.poll != SBC_POLL_ADAPTIVE)
		return;
	if (got >= DP_BURST || (got != 0 && s->sleep_us == 0)) {
		s->empty = 0;
		s->sleep_us = 0;
		return;
	}
	if (got != 0) {		/* backing off, and a partial burst came */
		s->keep = true;
		return;
	}
	if (s->sleep_us == 0 && ++s->empty < DP_IDLE_POLLS)
		return;
	if (s->keep)
		s->keep = false;
	else
		s->sleep_us = s->sleep_us == 0 ? 1 : s->sleep_us * 2;
	if (s->sleep_us > dp.cfg.poll_sleep_max_us)
		s->sleep_us = dp.cfg.poll_sleep_max_us;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)s->sleep_us * 1000;
	t0 = rte_rdtsc();
	rte_rcu_qsbr_thread_offline(dp.qsv, w->id);
	(void)nanosleep(&ts, NULL);
	rte_rcu_qsbr_thread_online(dp.qsv, w->id);
	dp_count(&w->idle_sleeps, 1);
	dp_count(&w->idle_sleep_cycles, rte_rdtsc() - t0);
}

#endif
