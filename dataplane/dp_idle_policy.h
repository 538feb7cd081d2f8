/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The back-off of [dataplane] poll = adaptive as a pure decision (dp_idle.h does the sleeping;
 * the unit suite tests this without EAL): after each loop turn, given the frames the turn
 * received, how long to sleep now (0: poll again at once).
 *
 * - Flat out (not backing off): after DP_IDLE_POLLS empty turns in a row, sleep 1 us and back
 *   off.
 * - Backing off, an empty turn: sleep again, twice as long as the last time if nothing came
 *   since that sleep (idle), as long again if something did (a light steady load, RTP at 50
 *   packets a second per stream: taken many frames per wake-up), up to the configured most.
 * - Backing off, a partial burst: the queue is drained; sleep again at once, as long.
 * - A full burst: frames may be waiting, poll again at once. DP_IDLE_FULL_RUN full bursts in a
 *   row mean the last sleep let more frames queue than a NIC ring should have to hold (128):
 *   the sleep is halved, down to flat out. A rate that keeps the worker busy therefore ends
 *   the back-off within a few sleeps, while a moderate one settles where each wake-up takes a
 *   few bursts, instead of every full burst restarting the climb from 1 us (which cost a
 *   relay at 50,000 pps three times the wake-ups it needed under a loaded scheduler).
 */
#ifndef DP_IDLE_POLICY_H
#define DP_IDLE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#define DP_IDLE_POLLS 64	/* empty turns in a row before the first sleep (a few us) */
#define DP_IDLE_FULL_RUN 4	/* full bursts in a row that halve the sleep */

struct dp_idle {
	uint32_t empty;		/* empty turns in a row, while flat out */
	uint32_t full;		/* full bursts in a row */
	uint32_t sleep_us;	/* the last sleep; 0: not backing off */
	bool got;		/* frames came since the last sleep */
};

static inline void dp_idle_reset(struct dp_idle *s)
{
	s->empty = 0;
	s->full = 0;
	s->sleep_us = 0;
	s->got = false;
}

/* After a turn that received got frames (burst: a full burst's size): the sleep, in us. */
static inline uint32_t dp_idle_next(struct dp_idle *s, unsigned int got, unsigned int burst,
				    uint32_t max_us)
{
	if (got >= burst) {
		s->empty = 0;
		s->got = true;
		if (++s->full >= DP_IDLE_FULL_RUN) {
			s->full = 0;
			s->sleep_us /= 2;
		}
		return 0;
	}
	s->full = 0;
	if (s->sleep_us == 0) {		/* flat out */
		if (got != 0) {
			s->empty = 0;
			return 0;
		}
		if (++s->empty < DP_IDLE_POLLS)
			return 0;
		s->empty = 0;
		s->sleep_us = 1;
	} else if (got == 0 && !s->got && s->sleep_us < max_us) {	/* idle since the sleep */
		s->sleep_us *= 2;
	}		/* else: backing off and the queue drained, or frames came: as long again */
	if (s->sleep_us > max_us)
		s->sleep_us = max_us;
	s->got = false;
	return s->sleep_us;
}

#endif
