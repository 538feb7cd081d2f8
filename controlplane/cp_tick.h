/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A one-shot wake-up of the su_root loop at microsecond precision, from a timerfd registered
 * as one of the loop's wait objects, for what Sofia's whole-millisecond timers cannot time: the
 * media wait (a session's READY, its GONE) reads the event ring every 500 us on it. Runs on the
 * su_root thread.
 */
#ifndef CP_TICK_H
#define CP_TICK_H

#include <stdbool.h>
#include <stdint.h>

#include <sofia-sip/su_wait.h>

/* All zero (a static, or memset) is a tick not open. */
struct cp_tick {
	su_root_t *root;
	su_wait_t wait[1];
	int fd;
	int index;		/* su_root_register's, > 0 while open */
	bool armed;		/* cb is due */
	void (*cb)(void *arg);
	void *arg;
};

/* 0, or -errno (no timerfd, or the loop would not take it). */
int cp_tick_open(struct cp_tick *t, su_root_t *root, void (*cb)(void *arg), void *arg);
static inline bool cp_tick_is_open(const struct cp_tick *t)
{
	return t->index > 0;
}
/* cb runs once, us microseconds from now (re-arming moves it). */
int cp_tick_after(struct cp_tick *t, uint32_t us);
static inline bool cp_tick_armed(const struct cp_tick *t)
{
	return t->armed;
}
/* Nothing when it is not open. */
void cp_tick_close(struct cp_tick *t);

#endif
