/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the adaptive poll's back-off (dataplane/dp_idle_policy.h): when a worker
 * starts sleeping, how the sleep grows while idle, stays while a light load comes, shrinks
 * when frames pile up during it, and ends under a load that keeps the worker busy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dp_idle_policy.h"

#define BURST 32
#define MAX 200

/* Drive s from flat out to sleeping max_us after a run of empty turns. */
static void settle_at_max(struct dp_idle *s)
{
	dp_idle_reset(s);
	for (int i = 0; i < 200; i++)
		(void)dp_idle_next(s, 0, BURST, MAX);
	assert_int_equal(s->sleep_us, MAX);
}

static void idle_climbs_to_the_bound(void **state)
{
	struct dp_idle s;
	uint32_t want = 1;

	(void)state;
	dp_idle_reset(&s);
	for (int i = 1; i < DP_IDLE_POLLS; i++)
		assert_int_equal(dp_idle_next(&s, 0, BURST, MAX), 0);
	for (int i = 0; i < 12; i++) {		/* 1, 2, 4 ... 128, then the bound */
		assert_int_equal(dp_idle_next(&s, 0, BURST, MAX), want);
		want = want * 2 > MAX ? MAX : want * 2;
	}
	assert_int_equal(dp_idle_next(&s, 0, BURST, 1000), 400);	/* a larger bound */
}

static void flat_out_resets_the_empty_run(void **state)
{
	struct dp_idle s;

	(void)state;
	dp_idle_reset(&s);
	for (int i = 1; i < DP_IDLE_POLLS; i++)
		assert_int_equal(dp_idle_next(&s, 0, BURST, MAX), 0);
	assert_int_equal(dp_idle_next(&s, 3, BURST, MAX), 0);	/* a frame: count again */
	for (int i = 1; i < DP_IDLE_POLLS; i++)
		assert_int_equal(dp_idle_next(&s, 0, BURST, MAX), 0);
	assert_int_equal(dp_idle_next(&s, 0, BURST, MAX), 1);
}

static void light_load_climbs_to_the_bound(void **state)
{
	struct dp_idle s;

	(void)state;
	dp_idle_reset(&s);
	s.sleep_us = 16;
	/* each wake-up: fewer frames than half a burst, then nothing: twice as long each time */
	assert_int_equal(dp_idle_next(&s, 5, BURST, MAX), 32);
	assert_int_equal(dp_idle_next(&s, 0, BURST, MAX), 64);
	assert_int_equal(dp_idle_next(&s, 10, BURST, MAX), 128);
	assert_int_equal(dp_idle_next(&s, 15, BURST, MAX), MAX);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(dp_idle_next(&s, 10, BURST, MAX), MAX);
}

static void moderate_load_keeps_the_sleep(void **state)
{
	struct dp_idle s;

	(void)state;
	dp_idle_reset(&s);
	s.sleep_us = 64;
	for (int i = 0; i < 1000; i++) {	/* half a burst to a few bursts a wake-up: kept */
		assert_int_equal(dp_idle_next(&s, BURST, BURST, MAX), 0);
		assert_int_equal(dp_idle_next(&s, BURST, BURST, MAX), 0);
		assert_int_equal(dp_idle_next(&s, 20, BURST, MAX), 64);
		assert_int_equal(dp_idle_next(&s, BURST / 2, BURST, MAX), 64);
	}
}

static void frames_piling_up_halve_the_sleep(void **state)
{
	struct dp_idle s;

	(void)state;
	settle_at_max(&s);
	for (int i = 1; i < DP_IDLE_FULL_RUN; i++)	/* a few full bursts: drained, same sleep */
		assert_int_equal(dp_idle_next(&s, BURST, BURST, MAX), 0);
	assert_int_equal(dp_idle_next(&s, 7, BURST, MAX), MAX);
	for (int i = 1; i < DP_IDLE_FULL_RUN; i++)
		assert_int_equal(dp_idle_next(&s, BURST, BURST, MAX), 0);
	assert_int_equal(dp_idle_next(&s, BURST, BURST, MAX), 0);	/* the run: halved */
	assert_int_equal(s.sleep_us, MAX / 2);
	assert_int_equal(dp_idle_next(&s, 3, BURST, MAX), MAX / 2);	/* not doubled back */
	/* a drain of 8 bursts: halved twice */
	for (int i = 0; i < 2 * DP_IDLE_FULL_RUN; i++)
		assert_int_equal(dp_idle_next(&s, BURST, BURST, MAX), 0);
	assert_int_equal(dp_idle_next(&s, 1, BURST, MAX), MAX / 8);
}

static void a_busy_worker_ends_the_back_off(void **state)
{
	struct dp_idle s;
	int turns = 0;

	(void)state;
	settle_at_max(&s);
	while (s.sleep_us != 0 && turns < 1000) {	/* never a partial burst: flat out */
		assert_int_equal(dp_idle_next(&s, BURST, BURST, MAX), 0);
		turns++;
	}
	assert_int_equal(s.sleep_us, 0);
	assert_true(turns <= 8 * DP_IDLE_FULL_RUN + DP_IDLE_FULL_RUN);	/* log2(200) halvings */
	assert_int_equal(dp_idle_next(&s, 20, BURST, MAX), 0);	/* and stays there */
	assert_int_equal(dp_idle_next(&s, 0, BURST, MAX), 0);
}

static void a_bound_of_one_us(void **state)
{
	struct dp_idle s;

	(void)state;
	dp_idle_reset(&s);
	for (int i = 1; i < DP_IDLE_POLLS; i++)
		(void)dp_idle_next(&s, 0, BURST, 1);
	for (int i = 0; i < 10; i++)
		assert_int_equal(dp_idle_next(&s, 0, BURST, 1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idle_climbs_to_the_bound),
		cmocka_unit_test(flat_out_resets_the_empty_run),
		cmocka_unit_test(light_load_climbs_to_the_bound),
		cmocka_unit_test(moderate_load_keeps_the_sleep),
		cmocka_unit_test(frames_piling_up_halve_the_sleep),
		cmocka_unit_test(a_busy_worker_ends_the_back_off),
		cmocka_unit_test(a_bound_of_one_us),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
