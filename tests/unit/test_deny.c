/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the denylist tables (dataplane/dp_deny.c): IPv4 and IPv6 exact matches seen by
 * the workers' own inline check, renew, lift, capacity (refused entries counted, the rest in),
 * the data plane's own expiry, a full replay lifting what it did not renew, and the open
 * addressing's backward-shift delete against a reference set under random adds and deletes
 * (every change swaps the banks, so both are exercised). EAL for rte_zmalloc and RCU.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "dp.h"
#include "dp_deny.h"
#include "unit_eal.h"

struct dp dp;	/* dp_deny.c reads the data plane's clock for /sbc/denied */

#define CAP 64u
#define MS 1000000ull

static struct rte_rcu_qsbr *qsv;

static struct sbc_deny_entry entry(const char *ip, uint64_t ttl_ms, const char *why)
{
	struct sbc_deny_entry e;

	memset(&e, 0, sizeof(e));
	e.ttl_ms = ttl_ms;
	if (strchr(ip, ':') != NULL) {
		e.family = SBC_AF_V6;
		assert_int_equal(inet_pton(AF_INET6, ip, e.addr), 1);
	} else {
		e.family = SBC_AF_V4;
		assert_int_equal(inet_pton(AF_INET, ip, e.addr), 1);
	}
	snprintf(e.reason, sizeof(e.reason), "%s", why);
	return e;
}

/* What a worker decides for a packet from ip. */
static bool denied(const char *ip)
{
	struct sbc_deny_entry e = entry(ip, 0, "");
	struct dp_pkt p = { .l3 = e.family == SBC_AF_V6 ? DP_L3_IPV6 : DP_L3_IPV4,
			    .src = e.addr };

	return dp_deny_hit(&p);
}

static int setup(void **state)
{
	(void)state;
	return dp_deny_create(CAP, qsv);
}

static int teardown(void **state)
{
	(void)state;
	dp_deny_free();
	return 0;
}

static void add_lift_renew(void **state)
{
	struct sbc_deny_entry e[3] = { entry("192.0.2.66", 0, "operator"),
				       entry("2001:db8:bad::66", 0, "auth"),
				       entry("203.0.113.7", 60000, "auth") };

	(void)state;
	assert_false(denied("192.0.2.66"));
	assert_int_equal(dp_deny_add(e, 3, 0, NULL), 0);
	assert_int_equal(dp_deny_count(), 3);
	assert_true(denied("192.0.2.66"));
	assert_true(denied("2001:db8:bad::66"));
	assert_true(denied("203.0.113.7"));
	assert_false(denied("192.0.2.67"));
	assert_false(denied("2001:db8:bad::67"));
	/* the IPv4 address's bytes as an IPv6 source are another source */
	assert_false(denied("c000:242::"));
	/* renew: no second entry */
	assert_int_equal(dp_deny_add(&e[2], 1, 5 * MS, NULL), 0);
	assert_int_equal(dp_deny_count(), 3);
	/* lift one of each family; lifting what is not there changes nothing */
	assert_int_equal(dp_deny_del(e, 2), 0);
	assert_false(denied("192.0.2.66"));
	assert_false(denied("2001:db8:bad::66"));
	assert_true(denied("203.0.113.7"));
	assert_int_equal(dp_deny_del(e, 2), 0);
	assert_int_equal(dp_deny_count(), 1);
	/* 0.0.0.0 is no source */
	e[0] = entry("0.0.0.0", 0, "");
	assert_int_equal(dp_deny_add(e, 1, 0, NULL), -EINVAL);
	assert_int_equal(dp_deny_count(), 1);
}

static void expiry(void **state)
{
	struct sbc_deny_entry e[3] = { entry("192.0.2.1", 1000, "auth"),
				       entry("2001:db8::1", 2000, "auth"),
				       entry("192.0.2.2", 0, "operator") };

	(void)state;
	assert_int_equal(dp_deny_add(e, 3, 10 * MS, NULL), 0);
	assert_int_equal(dp_deny_expire(1009 * MS), 0);
	assert_true(denied("192.0.2.1"));
	assert_int_equal(dp_deny_expire(1010 * MS), 1);
	assert_false(denied("192.0.2.1"));
	assert_true(denied("2001:db8::1"));
	/* a renewal moves the expiry */
	assert_int_equal(dp_deny_add(&e[1], 1, 1500 * MS, NULL), 0);
	assert_int_equal(dp_deny_expire(2010 * MS), 0);
	assert_true(denied("2001:db8::1"));
	assert_int_equal(dp_deny_expire(3500 * MS), 1);
	assert_false(denied("2001:db8::1"));
	/* no TTL: until lifted */
	assert_int_equal(dp_deny_expire(UINT64_MAX - 1), 0);
	assert_true(denied("192.0.2.2"));
}

static void capacity_counted(void **state)
{
	struct sbc_deny_entry e[SBC_DENY_PER_MSG];
	unsigned int refused = 0, in = 0;
	char ip[32];

	(void)state;
	for (unsigned int k = 0; k < CAP / SBC_DENY_PER_MSG + 1; k++) {
		for (unsigned int i = 0; i < SBC_DENY_PER_MSG; i++) {
			snprintf(ip, sizeof(ip), "198.51.100.%u", (unsigned int)(k * SBC_DENY_PER_MSG + i + 1));
			e[i] = entry(ip, 0, "x");
		}
		int rc = dp_deny_add(e, SBC_DENY_PER_MSG, 0, &refused);

		in += SBC_DENY_PER_MSG - refused;
		assert_int_equal(rc, k < CAP / SBC_DENY_PER_MSG ? 0 : -ENOSPC);
	}
	assert_int_equal(in, CAP);
	assert_int_equal(refused, SBC_DENY_PER_MSG);
	assert_int_equal(dp_deny_count(), CAP);
	assert_true(denied("198.51.100.64"));
	assert_false(denied("198.51.100.65"));
	/* one lifted: room for one */
	e[0] = entry("198.51.100.1", 0, "x");
	assert_int_equal(dp_deny_del(e, 1), 0);
	e[0] = entry("198.51.100.65", 0, "x");
	assert_int_equal(dp_deny_add(e, 1, 0, NULL), 0);
	assert_true(denied("198.51.100.65"));
}

static void replay_lifts_the_rest(void **state)
{
	struct sbc_deny_entry a = entry("192.0.2.10", 0, "old"), b = entry("192.0.2.11", 0, "kept");

	(void)state;
	assert_int_equal(dp_deny_add(&a, 1, 0, NULL), 0);
	assert_int_equal(dp_deny_add(&b, 1, 0, NULL), 0);
	/* an end without its begin lifts nothing */
	assert_int_equal(dp_deny_sync_end(41), -EPROTO);
	assert_int_equal(dp_deny_count(), 2);
	dp_deny_sync_begin(42);
	assert_int_equal(dp_deny_add(&b, 1, 0, NULL), 0);
	assert_int_equal(dp_deny_sync_end(7), -EPROTO);	/* another replay's end */
	assert_int_equal(dp_deny_sync_end(42), 0);
	assert_false(denied("192.0.2.10"));
	assert_true(denied("192.0.2.11"));
	assert_int_equal(dp_deny_count(), 1);
}

/* Random adds and deletes of addresses crowded into few slots, checked against a reference
 * after every change: the backward-shift delete never hides an entry. */
static void random_against_reference(void **state)
{
	enum { N = 48 };
	bool in[N] = { false };
	char ip[N][48];

	(void)state;
	srand(7);
	for (unsigned int i = 0; i < N; i++) {
		if (i % 2)
			snprintf(ip[i], sizeof(ip[i]), "2001:db8:%x::%x", i, i * 7);
		else
			snprintf(ip[i], sizeof(ip[i]), "10.%u.%u.%u", i, i * 3, i + 1);
	}
	for (unsigned int step = 0; step < 2000; step++) {
		unsigned int i = (unsigned int)rand() % N;
		struct sbc_deny_entry e = entry(ip[i], 0, "r");

		if (in[i])
			assert_int_equal(dp_deny_del(&e, 1), 0);
		else
			assert_int_equal(dp_deny_add(&e, 1, 0, NULL), 0);
		in[i] = !in[i];
		for (unsigned int k = 0; k < N; k++)
			assert_int_equal(denied(ip[k]), in[k]);
	}
}

static int group_setup(void **state)
{
	(void)state;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(add_lift_renew, setup, teardown),
		cmocka_unit_test_setup_teardown(expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(capacity_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(replay_lifts_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(random_against_reference, setup, teardown),
	};

	return unit_eal_run("deny", tests, sizeof(tests) / sizeof(tests[0]), group_setup, NULL,
			    &qsv);
}
