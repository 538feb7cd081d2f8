/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for controlplane/cp_sutime.c: su_duration's rounding (a positive remainder up to
 * the next millisecond, the rest as the library's), and that Sofia-SIP's own loop takes it: a
 * real su_root waits for its timers in a few turns, never fires one early, and a 1 ms timer
 * re-armed for 100 ms does not make the loop spin.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_time.h>
#include <sofia-sip/su_wait.h>

#include "cp_sutime.h"

static su_time_t at(unsigned long s, unsigned long us)
{
	su_time_t t = { s, us };

	return t;
}

static void rounding(void **state)
{
	(void)state;
	assert_int_equal(su_duration(at(10, 0), at(10, 0)), 0);
	assert_int_equal(su_duration(at(10, 1), at(10, 0)), 1);
	assert_int_equal(su_duration(at(10, 500), at(10, 0)), 1);
	assert_int_equal(su_duration(at(10, 1000), at(10, 0)), 1);
	assert_int_equal(su_duration(at(10, 1001), at(10, 0)), 2);
	assert_int_equal(su_duration(at(10, 100), at(9, 999900)), 1);	/* across a second */
	assert_int_equal(su_duration(at(12, 0), at(10, 0)), 2000);
	/* behind: toward zero, as the library's */
	assert_int_equal(su_duration(at(10, 0), at(10, 500)), 0);
	assert_int_equal(su_duration(at(10, 0), at(10, 1500)), -1);
	assert_int_equal(su_duration(at(8, 0), at(10, 0)), -2000);
	/* out of range: clamped */
	assert_int_equal(su_duration(at(4000000000ul, 0), at(0, 0)), SU_DURATION_MAX);
	assert_int_equal(su_duration(at(0, 0), at(4000000000ul, 0)), -SU_DURATION_MAX);
}

static void library_takes_it(void **state)
{
	unsigned int turns;
	bool ok = cp_sutime_check(&turns);

	(void)state;
	printf("# a 3 ms timer took %u turns of the loop\n", turns);
	assert_true(ok);
}

struct run {
	su_time_t set;		/* when the timer was last set */
	uint64_t early;		/* fired before it was due */
	unsigned int fired, turns;
	su_timer_t *t;
};

static void on_timer(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	struct run *r = (struct run *)arg;
	su_time_t now = su_now();

	(void)m;
	if (su_time_diff(now, r->set) < 0.001)
		r->early++;
	r->fired++;
	r->set = now;
	su_timer_set_interval(t, on_timer, arg, 1);
}

static void turn(su_prepoll_magic_t *m, su_root_t *root)
{
	(void)root;
	((struct run *)m)->turns++;
}

static void no_spin(void **state)
{
	su_root_t *root = su_root_create(NULL);
	struct run r = { 0 };
	su_time_t start;

	(void)state;
	assert_non_null(root);
	assert_int_equal(su_root_add_prepoll(root, turn, (su_prepoll_magic_t *)&r), 0);
	r.t = su_timer_create(su_root_task(root), 0);
	r.set = start = su_now();
	assert_int_equal(su_timer_set_interval(r.t, on_timer, (su_timer_arg_t *)&r, 1), 0);
	while (su_time_diff(su_now(), start) < 0.1)
		su_root_step(root, 10);
	printf("# 1 ms timer for 100 ms: %u firings, %u turns of the loop\n", r.fired, r.turns);
	assert_int_equal(r.early, 0);
	assert_true(r.fired > 0);
	/* a spinning loop turns hundreds of times per firing; ours once or twice */
	assert_true(r.turns <= 3 * r.fired + 3);
	su_timer_destroy(r.t);
	su_root_destroy(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rounding),
		cmocka_unit_test(library_takes_it),
		cmocka_unit_test(no_spin),
	};
	int rc;

	su_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	su_deinit();
	return rc;
}
