/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the CPS cap (dataplane/dp_cps.h): the GCRA against a plain token bucket at
 * every step of several schedules, burst, give-back, the tokens gauge, and threads racing on
 * one trunk taking exactly the tokens there are.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dp_cps.h"

/* The textbook bucket, in exact integer arithmetic (tokens scaled by 1e9/cps ns). */
struct bucket {
	uint64_t level_ns, cap_ns, last;	/* level in "ns of refill", full at start */
};

static bool bucket_take(struct bucket *b, uint64_t now, uint32_t cps)
{
	uint64_t t = DP_NS_PER_S / cps;

	b->level_ns += now - b->last;
	if (b->level_ns > b->cap_ns)
		b->level_ns = b->cap_ns;
	b->last = now;
	if (b->level_ns < t)
		return false;
	b->level_ns -= t;
	return true;
}

static void against_bucket(uint32_t cps, uint32_t burst, uint64_t step_ns, unsigned int n)
{
	struct bucket b = { .cap_ns = dp_cps_depth(burst) * (DP_NS_PER_S / cps) };
	uint64_t tat = 0, start = 5 * DP_NS_PER_S;

	b.level_ns = b.cap_ns;
	b.last = start;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t now = start + i * step_ns;

		assert_int_equal(dp_cps_take(&tat, now, cps, burst), bucket_take(&b, now, cps));
	}
}

static void matches_token_bucket(void **state)
{
	(void)state;
	against_bucket(5, 5, 20000000, 200);		/* 50/s offered to a 5/s cap */
	against_bucket(5, 0, 20000000, 200);
	against_bucket(100, 10, 1000000, 5000);
	against_bucket(1000, 1, 333333, 10000);
	against_bucket(7, 3, 142857142, 100);		/* offered right at the rate */
}

/* The packet test's case: 5 CPS, burst 5, 50 INVITEs in one second: 5 + 5 * 49/50 s. */
static void fifty_in_one_second(void **state)
{
	uint64_t tat = 0;
	unsigned int admitted = 0;

	(void)state;
	for (unsigned int i = 0; i < 50; i++)
		admitted += dp_cps_take(&tat, DP_NS_PER_S + i * 20000000ull, 5, 5);
	assert_int_equal(admitted, 5 + 4);	/* full bucket, then t = 0.2, 0.4, 0.6, 0.8 s */
}

static void no_cap_and_gauge(void **state)
{
	uint64_t tat = 0;

	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_true(dp_cps_take(&tat, 1, 0, 0));
	assert_int_equal(tat, 0);
	assert_int_equal(dp_cps_tokens(tat, 100, 10, 4), 4);
	assert_true(dp_cps_take(&tat, 100, 10, 4));
	assert_int_equal(dp_cps_tokens(tat, 100, 10, 4), 3);
	assert_true(dp_cps_take(&tat, 100, 10, 4));
	assert_true(dp_cps_take(&tat, 100, 10, 4));
	assert_true(dp_cps_take(&tat, 100, 10, 4));
	assert_int_equal(dp_cps_tokens(tat, 100, 10, 4), 0);
	assert_false(dp_cps_take(&tat, 100, 10, 4));
	dp_cps_give_back(&tat, 10);
	assert_int_equal(dp_cps_tokens(tat, 100, 10, 4), 1);
	assert_true(dp_cps_take(&tat, 100, 10, 4));
	/* a full second later the bucket is full again, never fuller */
	assert_int_equal(dp_cps_tokens(tat, 100 + 10 * DP_NS_PER_S, 10, 4), 4);
}

struct racer {
	uint64_t *tat;
	unsigned int admitted;
};

static void *race(void *arg)
{
	struct racer *r = arg;

	for (int i = 0; i < 200000; i++)
		r->admitted += dp_cps_take(r->tat, 42 * DP_NS_PER_S, 100, 1000);
	return NULL;
}

/* Workers on one trunk share the bucket: together they get its depth, not each. */
static void shared_by_threads(void **state)
{
	uint64_t tat = 0;
	struct racer r[4];
	pthread_t th[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		r[i] = (struct racer){ &tat, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(r[0].admitted + r[1].admitted + r[2].admitted + r[3].admitted, 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(matches_token_bucket),
		cmocka_unit_test(fifty_in_one_second),
		cmocka_unit_test(no_cap_and_gauge),
		cmocka_unit_test(shared_by_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
