/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the unlisted-REGISTER buckets (dataplane/dp_regrate.c): the rate and burst per
 * source, sources apart (IPv4 and IPv6), rate 0, a full table counted and never evicting a
 * source still inside its rate, idle entries reused, the sources of one prefix spread over the
 * sets, and the REGISTER test itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "dp_regrate.h"

#define S 1000000000ull

struct src {
	uint8_t addr[16];
	struct dp_pkt p;
};

static void src_init(struct src *s, const char *ip)
{
	memset(s, 0, sizeof(*s));
	if (strchr(ip, ':') != NULL) {
		assert_int_equal(inet_pton(AF_INET6, ip, s->addr), 1);
		s->p.l3 = DP_L3_IPV6;
	} else {
		assert_int_equal(inet_pton(AF_INET, ip, s->addr), 1);
		s->p.l3 = DP_L3_IPV4;
	}
	s->p.src = s->addr;
}

static void rate_and_burst(void **state)
{
	struct dp_regrate r;
	struct src a, b, c;

	(void)state;
	assert_int_equal(dp_regrate_init(&r, 64, 2, 0x5eed, NULL), 0);
	src_init(&a, "192.0.2.66");
	src_init(&b, "2001:db8:bad::66");
	src_init(&c, "::ffff:192.0.2.66");	/* an IPv6 source is never an IPv4 one */
	assert_int_equal(dp_regrate_take(&r, &a.p, 10 * S), DP_DROP_NONE);
	assert_int_equal(dp_regrate_take(&r, &a.p, 10 * S), DP_DROP_NONE);
	assert_int_equal(dp_regrate_take(&r, &a.p, 10 * S), DP_DROP_REGISTER_OVER_RATE);
	assert_int_equal(dp_regrate_take(&r, &b.p, 10 * S), DP_DROP_NONE);
	assert_int_equal(dp_regrate_take(&r, &b.p, 10 * S), DP_DROP_NONE);
	assert_int_equal(dp_regrate_take(&r, &b.p, 10 * S), DP_DROP_REGISTER_OVER_RATE);
	/* half a second: one token back */
	assert_int_equal(dp_regrate_take(&r, &a.p, 10 * S + S / 2), DP_DROP_NONE);
	assert_int_equal(dp_regrate_take(&r, &a.p, 10 * S + S / 2), DP_DROP_REGISTER_OVER_RATE);
	/* a steady 2 per second passes, 3 per second does not */
	unsigned int passed = 0;

	for (unsigned int i = 0; i < 300; i++)
		passed += dp_regrate_take(&r, &a.p, 20 * S + i * (S / 3)) == DP_DROP_NONE;
	assert_true(passed >= 200 && passed <= 202);
	assert_int_equal(r.passed, 2 + 2 + 1 + passed);
	free(r.e);
	/* rate 0: nothing passes */
	assert_int_equal(dp_regrate_init(&r, 64, 0, 0x5eed, NULL), 0);
	assert_int_equal(dp_regrate_take(&r, &a.p, S), DP_DROP_REGISTER_OVER_RATE);
	free(r.e);
	(void)c;
}

static void full_table(void **state)
{
	enum { N = 300 };
	struct dp_regrate r;
	struct src s[N], busy;
	unsigned int passed = 0, full = 0, sets;
	char ip[32];

	(void)state;
	assert_int_equal(dp_regrate_init(&r, 64, 2, 0x5eed, NULL), 0);
	sets = r.set_mask + 1;
	assert_int_equal(sets * DP_REGRATE_WAYS, 64);
	assert_int_equal(dp_regrate_bytes(64), 64 * sizeof(struct dp_regrate_entry));
	src_init(&busy, "203.0.113.1");
	assert_int_equal(dp_regrate_take(&r, &busy.p, S), DP_DROP_NONE);
	assert_int_equal(dp_regrate_take(&r, &busy.p, S), DP_DROP_NONE);
	for (unsigned int i = 0; i < N; i++) {
		enum dp_drop d;

		snprintf(ip, sizeof(ip), "198.51.%u.%u", i / 200, i % 200 + 1);
		src_init(&s[i], ip);
		d = dp_regrate_take(&r, &s[i].p, S);
		passed += d == DP_DROP_NONE;
		full += d == DP_DROP_REGISTER_TABLE_FULL;
	}
	/* the table holds 64 sources in all; busy kept its entry */
	assert_int_equal(passed + full, N);
	assert_true(passed <= 63);
	assert_true(full >= N - 63);
	assert_int_equal(dp_regrate_take(&r, &busy.p, S), DP_DROP_REGISTER_OVER_RATE);
	/* a second later every bucket has refilled: new sources take the idle entries */
	passed = 0;
	for (unsigned int i = 0; i < 40; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%u", i + 1);
		src_init(&s[i], ip);
		passed += dp_regrate_take(&r, &s[i].p, 2 * S) == DP_DROP_NONE;
	}
	assert_true(passed >= 8);	/* at least one set's worth, whatever the hash */
	free(r.e);
}

/* 1,000 sources of one /22 (and 1,000 IPv6 of one /64) in a table for 16,384: every one gets
 * an entry. The set hash used to mix only upwards, so an IPv4 source's set came from its
 * first 10 bits: every source of one /16 shared one set of 8 ways. */
static void sources_spread(void **state)
{
	struct dp_regrate r;
	struct src s;
	unsigned int passed = 0;
	char ip[64];

	(void)state;
	for (uint64_t seed = 0; seed < 3; seed++) {
		assert_int_equal(dp_regrate_init(&r, 16384, 2, seed * 0x9e3779b97f4a7c15ull, NULL), 0);
		passed = 0;
		for (unsigned int i = 0; i < 1000; i++) {
			snprintf(ip, sizeof(ip), "198.18.%u.%u", i / 250, i % 250 + 1);
			src_init(&s, ip);
			passed += dp_regrate_take(&r, &s.p, S) == DP_DROP_NONE;
			snprintf(ip, sizeof(ip), "2001:db8::1:%x", i);
			src_init(&s, ip);
			passed += dp_regrate_take(&r, &s.p, S) == DP_DROP_NONE;
		}
		assert_int_equal(passed, 2000);
		free(r.e);
	}
}

static void is_register(void **state)
{
	static const uint8_t f[] = "xxxxREGISTER sip:pbx.example SIP/2.0\r\n";
	static const uint8_t g[] = "xxxxREGISTERX sip:pbx.example SIP/2.0\r\n";
	struct dp_pkt p = { .proto = DP_PROTO_UDP, .frag = DP_FRAG_NONE, .payload_off = 4,
			    .payload_len = sizeof(f) - 5 };

	(void)state;
	assert_true(dp_regrate_is_register(f, &p));
	assert_false(dp_regrate_is_register(g, &p));
	p.proto = DP_PROTO_TCP;
	assert_false(dp_regrate_is_register(f, &p));
	p.proto = DP_PROTO_UDP;
	p.frag = DP_FRAG_FIRST;
	assert_false(dp_regrate_is_register(f, &p));
	p.frag = DP_FRAG_NONE;
	p.payload_len = 8;
	assert_false(dp_regrate_is_register(f, &p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rate_and_burst),
		cmocka_unit_test(full_table),
		cmocka_unit_test(sources_spread),
		cmocka_unit_test(is_register),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
