/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the control plane's routing (controlplane/cp_route.c): the trunk of a source
 * (longest prefix), the next trunk of a route skipping down and full ones, failover codes,
 * OPTIONS health (down after the misses, up at the first answer), Redis route overrides with
 * bad names skipped.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cp_chan.h"
#include "cp_log.h"
#include "cp_policy.h"
#include "cp_route.h"
#include "sbc_config.h"

/* The policy engine's channel and log, which routing never reaches: inert here. */
bool cp_chan_ready(void) { return false; }
size_t cp_chan_queued(void) { return 0; }
uint64_t cp_chan_next_generation(void) { return 1; }
uint64_t cp_chan_send_gen(uint16_t type, const void *body, uint32_t len, uint64_t generation)
{
	(void)type, (void)body, (void)len;
	return generation;
}
uint64_t cp_chan_send(uint16_t type, const void *body, uint32_t len)
{
	return cp_chan_send_gen(type, body, len, 1);
}
int cp_log_verbosity = CP_ERR;
void cp_log(enum cp_log_level lvl, const char *fmt, ...)
{
	(void)lvl, (void)fmt;
}

static const char conf[] =
	"[sbc]\naddress = 198.51.100.10\n[dataplane]\nwire = a\nexception = b\n"
	"[trunk floor]\nrole = floor\npeers = 198.51.100.0/24\nroute = carrier-a, carrier-b, carrier-c\n"
	"[trunk floor-vip]\nrole = floor\npeers = 198.51.100.128/25\n"
	"[trunk carrier-a]\nrole = carrier\nuri = sip:203.0.113.5\npeers = 203.0.113.5\n"
	"max_calls_out = 2\noptions_misses = 2\n"
	"[trunk carrier-b]\nrole = carrier\nuri = sip:203.0.113.6\npeers = 203.0.113.6\n"
	"failover_codes = 486\n"
	"[trunk carrier-c]\nrole = carrier\nuri = sip:203.0.113.7\n";

static struct sbc_config cfg;
static unsigned int changes[8];

static void on_changed(unsigned int id)
{
	changes[id]++;
}

static int setup(void **state)
{
	char err[512];

	(void)state;
	memset(changes, 0, sizeof(changes));
	if (sbc_config_load_string(&cfg, conf, "r.conf", err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return cp_policy_init(&cfg) || cp_route_init(&cfg, on_changed);
}

static int teardown(void **state)
{
	(void)state;
	cp_route_fini();
	cp_policy_fini();
	sbc_config_free(&cfg);
	return 0;
}

static void trunk_of_source(void **state)
{
	const uint8_t a[4] = { 198, 51, 100, 20 }, b[4] = { 198, 51, 100, 200 },
		      c[4] = { 203, 0, 113, 6 }, d[4] = { 192, 0, 2, 1 };

	(void)state;
	assert_true(cp_route_active());
	assert_int_equal(cp_route_trunk_of(SBC_AF_V4, a), 0);
	assert_int_equal(cp_route_trunk_of(SBC_AF_V4, b), 1);	/* the /25 is longer */
	assert_int_equal(cp_route_trunk_of(SBC_AF_V4, c), 3);
	assert_int_equal(cp_route_trunk_of(SBC_AF_V4, d), -ENOENT);
}

static void next_skips_down_and_full(void **state)
{
	unsigned int pos = 0, skipped = 0;

	(void)state;
	assert_int_equal(cp_route_len(0), 3);
	assert_int_equal(cp_route_len(1), 0);
	assert_int_equal(cp_route_next(1, &pos, &skipped), -ENOENT);	/* empty route: 403 */
	pos = 0;
	assert_int_equal(cp_route_next(0, &pos, &skipped), 2);
	assert_int_equal(cp_route_next(0, &pos, &skipped), 3);
	assert_int_equal(cp_route_next(0, &pos, &skipped), 4);
	assert_int_equal(cp_route_next(0, &pos, &skipped), -ENOENT);
	assert_int_equal(skipped, 0);
	/* carrier-a at max_calls_out (2): skipped, not tried */
	cp_route_call_out(2, 1);
	cp_route_call_out(2, 1);
	pos = 0;
	assert_int_equal(cp_route_next(0, &pos, &skipped), 3);
	assert_int_equal(skipped, 1);
	cp_route_call_out(2, -1);
	pos = skipped = 0;
	assert_int_equal(cp_route_next(0, &pos, &skipped), 2);
	cp_route_call_out(2, -1);
	cp_route_call_out(2, -1);	/* never below 0 */
	assert_int_equal(cp_route_trunk(2)->calls_out, 0);
	assert_int_equal(changes[2], 4);
}

static void failover_codes(void **state)
{
	(void)state;
	assert_true(cp_route_fails_over(2, 503));
	assert_true(cp_route_fails_over(2, 408));	/* Timer B */
	assert_false(cp_route_fails_over(2, 486));
	assert_false(cp_route_fails_over(2, 404));
	assert_false(cp_route_fails_over(2, 200));
	assert_true(cp_route_fails_over(3, 486));	/* carrier-b: its own list */
	assert_false(cp_route_fails_over(3, 503));
}

static void options_health(void **state)
{
	unsigned int pos = 0, skipped = 0;

	(void)state;
	assert_true(cp_route_trunk(2)->up);
	cp_route_options_miss(2);
	assert_true(cp_route_trunk(2)->up);		/* 1 of 2 misses */
	cp_route_options_answer(2, 200);
	cp_route_options_miss(2);
	assert_true(cp_route_trunk(2)->up);		/* consecutive misses only */
	cp_route_options_miss(2);
	assert_false(cp_route_trunk(2)->up);
	assert_int_equal(cp_route_trunk(2)->misses, 2);
	assert_int_equal(cp_route_next(0, &pos, &skipped), 3);	/* down: straight to b */
	assert_int_equal(skipped, 1);
	cp_route_options_answer(2, 404);		/* any answer is an answer */
	assert_true(cp_route_trunk(2)->up);
	assert_int_equal(cp_route_trunk(2)->misses, 0);
	assert_int_equal(cp_route_trunk(2)->last_code, 0);	/* the calls' code, not OPTIONS' */
	pos = 0;
	assert_int_equal(cp_route_next(0, &pos, &skipped), 2);
}

static unsigned int bads;
static char last_bad[64];

static void on_bad(void *arg, const char *v, size_t len, const char *why)
{
	(void)arg;
	(void)why;
	bads++;
	snprintf(last_bad, sizeof(last_bad), "%.*s", (int)len, v);
}

static void redis_override(void **state)
{
	const char *names[] = { "carrier-c", "nope", "floor-vip", "carrier-a" };
	size_t lens[4];
	unsigned int pos = 0, skipped = 0;

	(void)state;
	for (int i = 0; i < 4; i++)
		lens[i] = strlen(names[i]);
	assert_int_equal(cp_route_override(0, true, names, lens, 4, on_bad, NULL), 0);
	assert_int_equal(bads, 2);	/* unknown, and a trunk without uri */
	assert_string_equal(last_bad, "floor-vip");
	assert_int_equal(cp_route_len(0), 2);
	assert_int_equal(cp_route_next(0, &pos, &skipped), 4);
	assert_int_equal(cp_route_next(0, &pos, &skipped), 2);
	/* an empty list is a route with nothing: the floor's calls get 403 */
	assert_int_equal(cp_route_override(0, true, NULL, NULL, 0, on_bad, NULL), 0);
	assert_int_equal(cp_route_len(0), 0);
	/* the key gone: the configured route again */
	assert_int_equal(cp_route_override(0, false, NULL, NULL, 0, on_bad, NULL), 0);
	assert_int_equal(cp_route_len(0), 3);
	assert_int_equal(cp_route_override(99, true, NULL, NULL, 0, on_bad, NULL), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(trunk_of_source, setup, teardown),
		cmocka_unit_test_setup_teardown(next_skips_down_and_full, setup, teardown),
		cmocka_unit_test_setup_teardown(failover_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(options_health, setup, teardown),
		cmocka_unit_test_setup_teardown(redis_override, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
