/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The back-off of [dataplane] poll = adaptive as a pure decision (dp_idle.h does the sleeping;
 * the unit suite tests this without EAL): after each loop turn, given the frames the turn
 * received, how long to sleep now (0: poll again at once).
 *
 * - Flat out (not backing off): after DP_IDLE_POLLS empty turns in a row, sleep 1 us and back
 *   off.
 * - Backing off, a full burst: frames may be waiting, poll again at once.
 * - Backing off, a partial or empty turn: the queue is drained, sleep again, and size the
 *   sleep by what the last one let in: fewer than half a burst (idle, or a light load such as
 *   RTP at 50 packets a second per stream) doubles it, up to the configured most; up to
 *   DP_IDLE_FULL_RUN bursts keeps it; more than that (frames piling up beyond what a NIC ring
 *   should have to hold during one sleep) halves it, and halves it again for every further
 *   DP_IDLE_FULL_RUN bursts, down to flat out. So each wake-up takes between half a burst and
 *   a few bursts: a steady moderate load settles there, and a load that keeps the worker busy
 *   ends the back-off within a few sleeps, instead of every full burst restarting the climb
 *   from 1 us (which cost a relay at 50,000 pps twice to three times the wake-ups it needed
 *   under a loaded scheduler).
 */
#ifndef DP_IDLE_POLICY_H
#define DP_IDLE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#define DP_IDLE_POLLS 64	/* empty turns in a row before the first sleep (a few us) */
#define DP_IDLE_FULL_RUN 4	/* bursts let in by one sleep that halve it */

struct dp_idle {
	uint32_t empty;		/* empty turns in a row, while flat out */
	uint32_t frames;	/* frames since the last sleep (or the last halving) */
	uint32_t sleep_us;	/* the last sleep; 0: not backing off */
	bool cut;		/* halved since the last sleep */
};

static inline void dp_idle_reset(struct dp_idle *s)
{
	s->empty = 0;
	s->frames = 0;
	s->sleep_us = 0;
	s->cut = false;
}

/* After a turn that received got frames (burst: a full burst's size): the sleep, in us. */
static inline uint32_t dp_idle_next(struct dp_idle *s, unsigned int got, unsigned int burst,
				    uint32_t max_us)
{
	if (s->sleep_us == 0) {		/* flat out */
		if (got != 0) {
			s->empty = 0;
			return 0;
		}
		if (++s->empty < DP_IDLE_POLLS)
			return 0;
		s->empty = 0;
		s->frames = 0;
		s->sleep_us = 1;
		return 1;
	}
	s->frames += got;
	if (s->frames >= DP_IDLE_FULL_RUN * burst) {	/* piling up: halve */
		s->frames = 0;
		s->sleep_us /= 2;
		s->cut = true;
	}
	if (s->sleep_us == 0) {		/* halved down to flat out */
		s->cut = false;
		return 0;
	}
	if (got >= burst)		/* more may be waiting */
		return 0;
	if (!s->cut && s->frames < burst / 2)	/* idle or light: longer */
		s->sleep_us *= 2;
	if (s->sleep_us > max_us)
		s->sleep_us = max_us;
	s->frames = 0;
	s->cut = false;
	return s->sleep_us;
}

#endif
