/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the control plane's routing (controlplane/cp_route.c): the trunk of a source
 * (longest prefix; the sorted-set lookup against a scan of every prefix on random sets), the next trunk of a route skipping down and full ones, failover codes,
 * OPTIONS health (down after the misses, up at the first answer), Redis route overrides with
 * bad names skipped.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
	"[trunk carrier-c]\nrole = carrier\nuri = sip:203.0.113.7\n"
	"[trunk site]\nrole = floor\nauth = digest\nrealm = site.example\n";

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

/* ---- the lookup against a scan of every prefix, on random sets read as from Redis */
static int linear_trunk_of(uint8_t family, const uint8_t *addr)
{
	int best = -1, depth = -1;

	for (unsigned int i = 0; i < cp_policy_n_trunks(); i++) {
		const struct cp_set *s = &cp_policy_trunk(i)->eff;

		for (uint32_t k = 0; k < s->n; k++)
			if (s->v[k].family == family && (int)s->v[k].depth > depth &&
			    sbc_prefix_contains(&s->v[k], addr)) {
				depth = s->v[k].depth;
				best = (int)i;
			}
	}
	return best >= 0 ? best : -ENOENT;
}

/* A random prefix of family, its length in [lo, hi], host bits cleared, as text. */
static void random_prefix(uint8_t family, unsigned int lo, unsigned int hi, char *txt, size_t len)
{
	struct sbc_prefix p = { .family = family };
	unsigned int width = family == SBC_AF_V4 ? 4 : 16;

	p.depth = (uint8_t)(lo + (unsigned int)rand() % (hi - lo + 1));
	for (unsigned int b = 0; b < width; b++)
		p.addr[b] = (uint8_t)(b < 2 ? 10 + rand() % 2 : rand());	/* 10/8, 11/8: overlaps */
	if (family == SBC_AF_V6) {
		p.addr[0] = 0x20;
		p.addr[1] = 0x01;
	}
	for (unsigned int bit = p.depth; bit < width * 8; bit++)
		p.addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	sbc_prefix_format(&p, txt, len);
}

static void lookup_matches_linear(void **state)
{
	enum { PER_TRUNK = 3000, PROBES = 20000 };
	static char txt[PER_TRUNK][SBC_CIDR_STRLEN];
	const char *vals[PER_TRUNK];
	size_t lens[PER_TRUNK];
	unsigned int hits = 0;

	(void)state;
	srand(1234);
	for (unsigned int round = 0; round < 3; round++) {
		for (unsigned int t = 0; t < cp_policy_n_trunks(); t++) {
			unsigned int n = (unsigned int)rand() % PER_TRUNK;

			for (unsigned int i = 0; i < n; i++) {
				bool v6 = rand() % 4 == 0;

				random_prefix(v6 ? SBC_AF_V6 : SBC_AF_V4, v6 ? 8 : 4, v6 ? 128 : 32,
					      txt[i], sizeof(txt[i]));
				vals[i] = txt[i];
				lens[i] = strlen(txt[i]);
			}
			cp_policy_acl_read(cp_policy_trunk(t), vals, lens, n);
		}
		for (unsigned int i = 0; i < PROBES; i++) {
			bool v6 = rand() % 4 == 0;
			struct sbc_prefix a;
			char at[SBC_CIDR_STRLEN];
			int want;

			/* random addresses in the same /8s, so most fall in some prefix */
			random_prefix(v6 ? SBC_AF_V6 : SBC_AF_V4, v6 ? 128 : 32, v6 ? 128 : 32, at,
				      sizeof(at));
			assert_int_equal(sbc_prefix_parse(at, &a, NULL, 0), 0);
			want = linear_trunk_of(a.family, a.addr);
			hits += want >= 0;
			assert_int_equal(cp_route_trunk_of(a.family, a.addr), want);
		}
	}
	assert_true(hits > PROBES / 4);	/* the probes did exercise matches */
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
static char last_bad[64], last_why[64];

static void on_bad(void *arg, const char *v, size_t len, const char *why)
{
	(void)arg;
	bads++;
	snprintf(last_bad, sizeof(last_bad), "%.*s", (int)len, v);
	snprintf(last_why, sizeof(last_why), "%s", why);
}

static void redis_override(void **state)
{
	const char *names[] = { "carrier-c", "nope", "floor-vip", "carrier-a", "site" };
	size_t lens[5];
	unsigned int pos = 0, skipped = 0;

	(void)state;
	for (int i = 0; i < 5; i++)
		lens[i] = strlen(names[i]);
	assert_int_equal(cp_route_override(0, true, names, lens, 5, on_bad, NULL), 0);
	/* unknown, and a trunk without uri nor registered contacts; a digest trunk (its
	 * registered contacts) is taken, as the configuration's routes take it */
	assert_int_equal(bads, 2);
	assert_string_equal(last_bad, "floor-vip");
	assert_string_equal(last_why, "no uri nor registered contacts to send calls to");
	assert_int_equal(cp_route_len(0), 3);
	assert_int_equal(cp_route_next(0, &pos, &skipped), 4);
	assert_int_equal(cp_route_next(0, &pos, &skipped), 2);
	assert_int_equal(cp_route_next(0, &pos, &skipped), 5);
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
		cmocka_unit_test_setup_teardown(lookup_matches_linear, setup, teardown),
		cmocka_unit_test_setup_teardown(next_skips_down_and_full, setup, teardown),
		cmocka_unit_test_setup_teardown(failover_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(options_health, setup, teardown),
		cmocka_unit_test_setup_teardown(redis_override, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
