/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sofia-SIP's loop (su_base_port_run, su_base_port_step) sleeps until its next timer for
 * su_duration(when, now) milliseconds, and the library's su_duration rounds toward zero: for the
 * last millisecond before every timer the loop polls with a 0 timeout, again and again. nta keeps
 * a timer for its transactions that is due every millisecond or so under load, so at 1,000 calls
 * a second the control plane made 150-240 epoll_wait calls per call (perf stat on
 * syscalls:sys_enter_epoll_wait, bench_cps.sh) and spent a large part of its CPU spinning.
 *
 * This file defines su_duration for the whole process: the same result as the library's,
 * except that a positive remainder rounds up to the next whole millisecond. A timer is then
 * never waited for too briefly, only up to 1 ms late, and nta's timers have millisecond
 * granularity anyway (Timer A's 500 ms, T1 multiples). It replaces the library's by ELF symbol
 * interposition: the executable comes first in the dynamic lookup, and Debian 12's
 * libsofia-sip-ua calls su_duration through its PLT (su_timer_expire, su_timer_next_expires,
 * su_root_sleep, nta's 100 Trying timing, a tport log line). cp_sutime_check() says whether the
 * library really takes it. Runs on any thread (no state).
 */
#include <stdint.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_time.h>
#include <sofia-sip/su_wait.h>

#include "cp_sutime.h"

su_duration_t su_duration(su_time_t const t1, su_time_t const t2)
{
	int64_t s = (int64_t)t1.tv_sec - (int64_t)t2.tv_sec;
	int64_t us, ms;

	if (s > SU_DURATION_MAX / 1000)
		return SU_DURATION_MAX;
	if (s < -(SU_DURATION_MAX / 1000))
		return -SU_DURATION_MAX;
	us = s * 1000000 + ((int64_t)t1.tv_usec - (int64_t)t2.tv_usec);
	ms = us > 0 ? (us + 999) / 1000 : us / 1000;	/* up when ahead; toward zero as before */
	if (ms > SU_DURATION_MAX)
		return SU_DURATION_MAX;
	if (ms < -SU_DURATION_MAX)
		return -SU_DURATION_MAX;
	return (su_duration_t)ms;
}

#define CHECK_MS 3
#define CHECK_TURNS_MAX 20	/* a loop that takes ours needs 2 or 3; a spinning one hundreds */

static void check_fired(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)magic;
	(void)t;
	*(bool *)arg = true;
}

bool cp_sutime_check(unsigned int *turns)
{
	su_root_t *root = su_root_create(NULL);
	su_timer_t *t = root ? su_timer_create(su_root_task(root), 0) : NULL;
	bool fired = false;
	unsigned int n = 0;

	if (t != NULL && su_timer_set_interval(t, check_fired, (su_timer_arg_t *)&fired,
					       CHECK_MS) == 0)
		while (!fired && n < 100000) {
			su_root_step(root, 100);
			n++;
		}
	su_timer_destroy(t);
	if (root != NULL)
		su_root_destroy(root);
	*turns = n;
	return fired && n <= CHECK_TURNS_MAX;
}
