/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the call table and the verdict cache (dataplane/dp_calls.c): start, lookup
 * and end of a call, the per-trunk slot counter, a full table, the call timers (Timer B, Timer
 * C restarted by each 101-199 but not by 100, max_call_duration) through dp_calls_expire, the
 * verdict cache and its 32 s, and the call event the control plane receives.
 *
 * Why EAL here, in suite 'unit': the tables are rte_hash tables with RCU (rte_rcu_qsbr) in
 * DPDK memory, which need an initialised EAL. With --no-huge --no-pci --no-shconf it comes up
 * in well under a second and needs no root (unit_eal.h), so this stays a fast unit test
 * rather than a packet case. The test's main thread is the only thread: it is writer, reader
 * and main lcore at once, and no RCU reader is registered, so deletions are reclaimed at once.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dp_calls.h"
#include "unit_eal.h"

#define CAPACITY 64u
#define T0_MS 1000000u		/* the data plane's clock at the first INVITE */
#define MAX_DURATION_S 60u

static struct rte_rcu_qsbr *qsv;

static struct dp_key128 key(const char *call_id)
{
	return dp_calls_key((const uint8_t *)call_id, (uint32_t)strlen(call_id));
}

static int start(const char *call_id, uint16_t trunk, uint64_t now_ms)
{
	struct dp_key128 k = key(call_id);

	return dp_call_start(&k, trunk, false, now_ms, (const uint8_t *)call_id,
			     (uint32_t)strlen(call_id));
}

static void progress(const char *call_id, unsigned int status, uint64_t now_ms)
{
	struct dp_key128 k = key(call_id);

	dp_call_progress(&k, status, now_ms);
}

static bool exists(const char *call_id)
{
	struct dp_key128 k = key(call_id);

	return dp_call_exists(&k);
}

/* What dp_calls_expire ended, in order. */
struct ended_log {
	unsigned int n;
	uint8_t reason[CAPACITY];
	char call_id[CAPACITY][SBC_CALL_ID_MAX + 1];
};

static void on_ended(const struct dp_call *c, uint8_t reason, void *arg)
{
	struct ended_log *log = arg;

	assert_true(log->n < CAPACITY);
	log->reason[log->n] = reason;
	memcpy(log->call_id[log->n], c->call_id, c->call_id_len);
	log->call_id[log->n][c->call_id_len] = '\0';
	log->n++;
}

/* Expire at now_ms; the reason the single call ended with, or NONE when none did. */
static uint8_t expire_one(uint64_t now_ms)
{
	struct ended_log log = { .n = 0 };

	dp_calls_expire(now_ms, MAX_DURATION_S, on_ended, &log);
	assert_true(log.n <= 1);
	return log.n == 0 ? SBC_CALL_END_NONE : log.reason[0];
}

static int setup(void **state)
{
	struct sbc_config cfg;

	(void)state;
	sbc_config_defaults(&cfg);
	cfg.calls = CAPACITY;
	return dp_calls_init(&cfg, qsv, SOCKET_ID_ANY);
}

static int teardown(void **state)
{
	(void)state;
	dp_calls_free();
	return 0;
}

/* Keys: the same Call-ID the same key, others not; the verdict key adds CSeq and branch (each
 * of them makes another key), and with neither is the call's key. */
static void keys(void **state)
{
	struct dp_key128 a = key("a@example.com"), a2 = key("a@example.com");
	struct dp_key128 b = key("b@example.com");
	struct dp_key128 v1 = dp_calls_vkey(a, (const uint8_t *)"z9hG4bK1", 8, 1);
	struct dp_key128 v1b = dp_calls_vkey(a2, (const uint8_t *)"z9hG4bK1", 8, 1);
	struct dp_key128 v2 = dp_calls_vkey(a, (const uint8_t *)"z9hG4bK1", 8, 2);
	struct dp_key128 v3 = dp_calls_vkey(a, (const uint8_t *)"z9hG4bK2", 8, 1);
	struct dp_key128 vb = dp_calls_vkey(b, (const uint8_t *)"z9hG4bK1", 8, 1);
	struct dp_key128 w0 = dp_calls_vkey(a, NULL, 0, 0);

	(void)state;
	assert_memory_equal(&a, &a2, sizeof(a));
	assert_memory_not_equal(&a, &b, sizeof(a));
	assert_memory_equal(&v1, &v1b, sizeof(a));
	assert_memory_not_equal(&a, &v1, sizeof(a));
	assert_memory_not_equal(&v1, &v2, sizeof(a));
	assert_memory_not_equal(&v1, &v3, sizeof(a));
	assert_memory_not_equal(&v1, &vb, sizeof(a));
	assert_memory_equal(&w0, &a, sizeof(a));
}

/* A call starts once, is found, ends once with its record, and is gone. */
static void start_lookup_end(void **state)
{
	struct dp_key128 k = key("call-1@192.0.2.1");
	struct dp_call c;

	(void)state;
	assert_false(exists("call-1@192.0.2.1"));
	assert_true(dp_calls_reserve(3, 0));
	assert_int_equal(dp_call_start(&k, 3, true, T0_MS, (const uint8_t *)"call-1@192.0.2.1",
				       16), 0);
	assert_true(exists("call-1@192.0.2.1"));
	assert_false(exists("call-2@192.0.2.1"));
	assert_int_equal(start("call-1@192.0.2.1", 3, T0_MS + 5), -EEXIST);
	assert_int_equal(dp_calls_count(), 1);
	assert_int_equal(dp_calls_active(3), 1);

	assert_true(dp_call_end(&k, &c));
	assert_int_equal(c.trunk, 3);
	assert_int_equal(c.emergency, 1);
	assert_int_equal(c.start_ms, T0_MS);
	assert_int_equal(c.timer_c_ms, T0_MS);
	assert_int_equal(c.state, DP_CALL_TRYING);
	assert_int_equal(c.ref_a, k.a);
	assert_int_equal(c.ref_b, k.b);
	assert_int_equal(c.call_id_len, 16);
	assert_memory_equal(c.call_id, "call-1@192.0.2.1", 16);
	assert_int_equal(dp_calls_active(3), 0);
	assert_int_equal(dp_calls_count(), 0);
	assert_false(dp_call_end(&k, &c));	/* the second BYE ends nothing */
	assert_false(exists("call-1@192.0.2.1"));
}

/* A Call-ID longer than the record holds is cut, and still names its call by key. */
static void long_call_id(void **state)
{
	char id[SBC_CALL_ID_MAX + 40];
	struct dp_key128 k;
	struct dp_call c;

	(void)state;
	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	k = key(id);
	assert_int_equal(start(id, 0, T0_MS), 0);
	assert_true(dp_call_end(&k, &c));
	assert_int_equal(c.call_id_len, SBC_CALL_ID_MAX);
	assert_memory_equal(c.call_id, id, SBC_CALL_ID_MAX);
}

/* max_calls: slots are reserved up to the cap per trunk; 0 means no cap. */
static void reserve_per_trunk(void **state)
{
	(void)state;
	assert_true(dp_calls_reserve(1, 2));
	assert_true(dp_calls_reserve(1, 2));
	assert_false(dp_calls_reserve(1, 2));
	assert_int_equal(dp_calls_active(1), 2);
	assert_true(dp_calls_reserve(2, 2));	/* another trunk: its own count */
	assert_int_equal(dp_calls_active(2), 1);
	dp_calls_unreserve(1);
	assert_true(dp_calls_reserve(1, 2));
	for (int i = 0; i < 100; i++)
		assert_true(dp_calls_reserve(4, 0));
	assert_int_equal(dp_calls_active(4), 100);
	for (int i = 0; i < 100; i++)
		dp_calls_unreserve(4);
	dp_calls_unreserve(1);
	dp_calls_unreserve(1);
	dp_calls_unreserve(2);
	assert_int_equal(dp_calls_active(1), 0);
	assert_int_equal(dp_calls_active(2), 0);
}

/* A full table refuses with -ENOSPC; an ended call's room is taken again. */
static void full_table(void **state)
{
	char id[32];
	unsigned int n = 0;
	int rc = 0;

	(void)state;
	assert_int_equal(dp_calls_capacity(), CAPACITY);
	while (n < 4 * CAPACITY) {
		snprintf(id, sizeof(id), "full-%u", n);
		rc = start(id, 0, T0_MS);
		if (rc != 0)
			break;
		n++;
	}
	assert_int_equal(rc, -ENOSPC);
	/* cuckoo hashing fills most of its buckets before a key finds no place */
	assert_true(n >= CAPACITY * 3 / 4);
	assert_true(n <= CAPACITY);
	assert_int_equal(dp_calls_count(), n);
	snprintf(id, sizeof(id), "full-%u", 0u);
	{
		struct dp_key128 k = key(id);
		struct dp_call c;

		assert_true(dp_call_end(&k, &c));
	}
	assert_int_equal(start(id, 0, T0_MS), 0);	/* the room came back */
	assert_int_equal(dp_calls_count(), n);
}

/* Progress never goes back: a late 180 after the 200 leaves the call confirmed. */
static void progress_only_forward(void **state)
{
	struct dp_key128 k = key("fwd");
	struct dp_call c;

	(void)state;
	assert_int_equal(start("fwd", 0, T0_MS), 0);
	progress("fwd", 180, T0_MS + 1000);
	progress("fwd", 200, T0_MS + 2000);
	progress("fwd", 183, T0_MS + 3000);
	progress("fwd", 486, T0_MS + 4000);	/* finals end calls in admission, not here */
	progress("fwd", 99, T0_MS + 5000);
	assert_true(dp_call_end(&k, &c));
	assert_int_equal(c.state, DP_CALL_CONFIRMED);
	progress("fwd", 180, T0_MS + 6000);	/* no call any more: nothing happens */
	assert_false(exists("fwd"));
}

/* RFC 3261 17.1.1.2: no response at all within 64*T1 = 32 s ends the call (Timer B). */
static void timer_b(void **state)
{
	(void)state;
	assert_int_equal(start("b", 0, T0_MS), 0);
	assert_int_equal(expire_one(T0_MS + DP_TIMER_B_MS), SBC_CALL_END_NONE);
	assert_true(exists("b"));
	assert_int_equal(expire_one(T0_MS + DP_TIMER_B_MS + 1), SBC_CALL_END_TIMER_B);
	assert_false(exists("b"));
}

/* A 100 Trying stops Timer B; Timer C then runs from the INVITE (16.7 step 2: not reset by 100). */
static void timer_c_not_reset_by_100(void **state)
{
	(void)state;
	assert_int_equal(start("c100", 0, T0_MS), 0);
	progress("c100", 100, T0_MS + 10);
	assert_int_equal(expire_one(T0_MS + DP_TIMER_B_MS + 1), SBC_CALL_END_NONE);
	progress("c100", 100, T0_MS + 150000);	/* a retransmitted 100 restarts nothing */
	assert_int_equal(expire_one(T0_MS + DP_TIMER_C_MS), SBC_CALL_END_NONE);
	assert_int_equal(expire_one(T0_MS + DP_TIMER_C_MS + 1), SBC_CALL_END_TIMER_C);
	assert_false(exists("c100"));
}

/* RFC 3261 16.6 item 11 / 16.7 step 2: each 101-199 restarts Timer C; the last one counts. */
static void timer_c_from_last_provisional(void **state)
{
	uint64_t ring1 = T0_MS + 1000, ring2 = T0_MS + 150000;

	(void)state;
	assert_int_equal(start("c180", 0, T0_MS), 0);
	progress("c180", 180, ring1);
	assert_int_equal(expire_one(ring1 + DP_TIMER_C_MS + 1), SBC_CALL_END_TIMER_C);

	assert_int_equal(start("c183", 0, T0_MS), 0);
	progress("c183", 180, ring1);
	progress("c183", 183, ring2);
	/* past 180 s from the INVITE and from the first 180: rings on */
	assert_int_equal(expire_one(ring1 + DP_TIMER_C_MS + 1), SBC_CALL_END_NONE);
	assert_int_equal(expire_one(ring2 + DP_TIMER_C_MS), SBC_CALL_END_NONE);
	assert_true(exists("c183"));
	assert_int_equal(expire_one(ring2 + DP_TIMER_C_MS + 1), SBC_CALL_END_TIMER_C);
	assert_false(exists("c183"));
}

/* An answered call lasts until max_call_duration (from its INVITE), whatever came before. */
static void max_duration(void **state)
{
	uint64_t limit = (uint64_t)MAX_DURATION_S * 1000;

	(void)state;
	assert_int_equal(start("ok", 0, T0_MS), 0);
	progress("ok", 180, T0_MS + 1000);
	progress("ok", 200, T0_MS + 2000);
	assert_int_equal(expire_one(T0_MS + DP_TIMER_B_MS + 1), SBC_CALL_END_NONE);
	assert_int_equal(expire_one(T0_MS + limit), SBC_CALL_END_NONE);
	assert_int_equal(expire_one(T0_MS + limit + 1), SBC_CALL_END_MAX_DURATION);
	assert_false(exists("ok"));
}

/* One expiry pass ends every call that is due, each with its own reason, and only those. */
static void expire_mixed(void **state)
{
	struct ended_log log = { .n = 0 };
	uint64_t now = T0_MS + DP_TIMER_C_MS + 1;
	bool seen_b = false, seen_c = false;

	(void)state;
	assert_true(dp_calls_reserve(0, 0));
	assert_int_equal(start("trying", 0, T0_MS), 0);
	assert_true(dp_calls_reserve(0, 0));
	assert_int_equal(start("ringing", 0, T0_MS), 0);
	progress("ringing", 180, T0_MS);
	assert_true(dp_calls_reserve(0, 0));
	assert_int_equal(start("ringing-late", 0, T0_MS), 0);
	progress("ringing-late", 180, T0_MS + 100000);
	assert_true(dp_calls_reserve(0, 0));
	assert_int_equal(start("answered", 0, T0_MS + 170000), 0);
	progress("answered", 200, T0_MS + 171000);
	assert_int_equal(dp_calls_active(0), 4);

	dp_calls_expire(now, MAX_DURATION_S, on_ended, &log);
	assert_int_equal(log.n, 2);
	for (unsigned int i = 0; i < log.n; i++) {
		if (strcmp(log.call_id[i], "trying") == 0) {
			assert_int_equal(log.reason[i], SBC_CALL_END_TIMER_B);
			seen_b = true;
		} else {
			assert_string_equal(log.call_id[i], "ringing");
			assert_int_equal(log.reason[i], SBC_CALL_END_TIMER_C);
			seen_c = true;
		}
	}
	assert_true(seen_b && seen_c);
	assert_true(exists("ringing-late"));
	assert_true(exists("answered"));
	assert_int_equal(dp_calls_active(0), 2);
	assert_int_equal(dp_calls_count(), 2);
}

/* The answer to an INVITE is remembered 32 s; a nearly full cache takes no more. */
static void verdicts(void **state)
{
	struct dp_key128 a = dp_calls_vkey(key("v-a"), (const uint8_t *)"br", 2, 1);
	struct dp_key128 b = dp_calls_vkey(key("v-b"), (const uint8_t *)"br", 2, 1);
	struct ended_log log = { .n = 0 };
	unsigned int taken = 0;
	char id[32];

	(void)state;
	assert_int_equal(dp_verdict_get(&a), DP_V_NONE);
	assert_true(dp_verdict_put(&a, DP_V_OVER_CPS, T0_MS));
	assert_true(dp_verdict_put(&b, DP_V_ADMITTED, T0_MS + 10000));
	assert_int_equal(dp_verdict_get(&a), DP_V_OVER_CPS);
	assert_int_equal(dp_verdict_get(&b), DP_V_ADMITTED);
	assert_int_equal(dp_verdicts_count(), 2);
	dp_calls_expire(T0_MS + DP_VERDICT_MS, MAX_DURATION_S, on_ended, &log);
	assert_int_equal(dp_verdict_get(&a), DP_V_OVER_CPS);
	dp_calls_expire(T0_MS + DP_VERDICT_MS + 1, MAX_DURATION_S, on_ended, &log);
	assert_int_equal(dp_verdict_get(&a), DP_V_NONE);
	assert_int_equal(dp_verdict_get(&b), DP_V_ADMITTED);
	assert_int_equal(dp_verdicts_count(), 1);
	assert_int_equal(log.n, 0);	/* verdicts are not calls */

	for (unsigned int i = 0; i < CAPACITY; i++) {
		struct dp_key128 k;

		snprintf(id, sizeof(id), "flood-%u", i);
		k = dp_calls_vkey(key(id), (const uint8_t *)"br", 2, 1);
		taken += dp_verdict_put(&k, DP_V_OVER_CPS, T0_MS);
	}
	/* the cache stops at 7/8 of its size (a flood must not pay for a full cuckoo table) */
	assert_int_equal(dp_verdicts_count(), CAPACITY / 8 * 7);
	assert_int_equal(taken, CAPACITY / 8 * 7 - 1);
}

/* The call event: every field from its arguments, the gauge read now, the id cut, no junk. */
static void call_event(void **state)
{
	struct dp_key128 k = { 0x1122334455667788ull, 0x99aabbccddeeff00ull };
	char long_id[SBC_CALL_ID_MAX + 10];
	struct sbc_msg_call ev;

	(void)state;
	assert_true(dp_calls_reserve(7, 0));
	assert_true(dp_calls_reserve(7, 0));
	memset(&ev, 0xa5, sizeof(ev));
	dp_call_event(&ev, 7, SBC_CALL_END_TIMER_C, true, 123456789ull, &k, "abc", 3);
	assert_int_equal(ev.trunk, 7);
	assert_int_equal(ev.reason, SBC_CALL_END_TIMER_C);
	assert_int_equal(ev.emergency, 1);
	assert_int_equal(ev.active, 2);
	assert_int_equal(ev.at_ns, 123456789ull);
	assert_int_equal(ev.ref_a, k.a);
	assert_int_equal(ev.ref_b, k.b);
	assert_int_equal(ev.call_id_len, 3);
	assert_memory_equal(ev.call_id, "abc", 3);
	for (unsigned int i = 3; i < SBC_CALL_ID_MAX; i++)
		assert_int_equal(ev.call_id[i], 0);
	assert_int_equal(ev.pad[0] | ev.pad[1] | ev.pad[2], 0);

	memset(long_id, 'y', sizeof(long_id));
	dp_call_event(&ev, 7, SBC_CALL_END_NONE, false, 1, &k, long_id, sizeof(long_id));
	assert_int_equal(ev.call_id_len, SBC_CALL_ID_MAX);
	assert_int_equal(ev.reason, SBC_CALL_END_NONE);
	assert_int_equal(ev.emergency, 0);
	assert_memory_equal(ev.call_id, long_id, SBC_CALL_ID_MAX);
	dp_calls_unreserve(7);
	dp_calls_unreserve(7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(keys, setup, teardown),
		cmocka_unit_test_setup_teardown(start_lookup_end, setup, teardown),
		cmocka_unit_test_setup_teardown(long_call_id, setup, teardown),
		cmocka_unit_test_setup_teardown(reserve_per_trunk, setup, teardown),
		cmocka_unit_test_setup_teardown(full_table, setup, teardown),
		cmocka_unit_test_setup_teardown(progress_only_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(timer_b, setup, teardown),
		cmocka_unit_test_setup_teardown(timer_c_not_reset_by_100, setup, teardown),
		cmocka_unit_test_setup_teardown(timer_c_from_last_provisional, setup, teardown),
		cmocka_unit_test_setup_teardown(max_duration, setup, teardown),
		cmocka_unit_test_setup_teardown(expire_mixed, setup, teardown),
		cmocka_unit_test_setup_teardown(verdicts, setup, teardown),
		cmocka_unit_test_setup_teardown(call_event, setup, teardown),
	};

	return unit_eal_run("calls", tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL, &qsv);
}
