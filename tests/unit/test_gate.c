/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the one admission decision every transport shares (dataplane/dp_gate.c): the
 * workers call it for UDP INVITEs, the main lcore for the control plane's TCP/TLS requests,
 * with the same CPS bucket and call table. Checked here: a UDP and a TCP call of one trunk draw
 * on one bucket and one max_calls; a resend (same Call-ID and CSeq, or a running Call-ID) gets
 * the first answer again and takes no token or slot; a refusal over max_calls gives its token
 * back; emergency numbers pass both caps; a full table refuses and gives both back; calls the
 * control plane admitted keep no Timer B and are flushed when it restarts. EAL as in test_calls.c
 * (rte_hash tables in DPDK memory); the clock is the test's own numbers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dp.h"
#include "dp_gate.h"
#include "unit_eal.h"

#define CAPACITY 64u
#define T0_NS 1000000000000ull		/* the data plane's clock at the first INVITE */
#define MS (1000000ull)

static struct rte_rcu_qsbr *qsv;
static uint64_t tat[2];			/* two trunks' buckets */
static struct sbc_config cfg;

static int setup(void **state)
{
	(void)state;
	memset(tat, 0, sizeof(tat));
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

/* A request of trunk 0 as a worker (UDP: branch in the verdict key) or the main lcore builds it. */
static struct dp_gate gate(const char *call_id, uint32_t cseq, bool stream, uint32_t cps,
			   uint32_t burst, uint32_t max_calls)
{
	static const char branch[] = "z9hG4bK-1", tag[] = "stream";
	const char *s2 = stream ? tag : branch;
	uint32_t len = (uint32_t)strlen(call_id);
	struct dp_gate g = {
		.trunk = 0, .cps = cps, .burst = burst, .max_calls = max_calls, .tat = &tat[0],
		.call = dp_calls_key((const uint8_t *)call_id, len),
		.vkey = dp_calls_vkey(dp_calls_key((const uint8_t *)call_id, len),
				      (const uint8_t *)s2, (uint32_t)strlen(s2), cseq),
		.call_id = call_id, .call_id_len = len,
	};

	return g;
}

static enum dp_verdict admit(const struct dp_gate *g, uint64_t now_ns, struct dp_trunk_stats *ts,
			     bool *again)
{
	return dp_gate_admit(g, now_ns, ts, again);
}

/* cps 2, burst 2: a UDP and a TCP call take the two tokens; the third, either way, is refused. */
static void one_bucket_for_both(void **state)
{
	struct dp_trunk_stats udp = { 0 }, tcp = { 0 };
	struct dp_gate a = gate("udp-1", 1, false, 2, 2, 0), b = gate("tcp-1", 1, true, 2, 2, 0);
	struct dp_gate c = gate("tcp-2", 1, true, 2, 2, 0), d = gate("udp-2", 1, false, 2, 2, 0);
	bool again;

	(void)state;
	assert_int_equal(admit(&a, T0_NS, &udp, &again), DP_V_ADMITTED);
	assert_false(again);
	assert_int_equal(admit(&b, T0_NS, &tcp, &again), DP_V_ADMITTED);
	assert_false(again);
	assert_int_equal(admit(&c, T0_NS, &tcp, &again), DP_V_OVER_CPS);
	assert_false(again);
	assert_int_equal(admit(&d, T0_NS + 1 * MS, &udp, &again), DP_V_OVER_CPS);
	assert_int_equal(udp.admitted, 1);
	assert_int_equal(tcp.admitted, 1);
	assert_int_equal(tcp.over_cps, 1);
	assert_int_equal(udp.over_cps, 1);
	assert_int_equal(dp_calls_active(0), 2);
	/* half a second later (cps 2) one token is back: a new TCP call gets it */
	c = gate("tcp-3", 1, true, 2, 2, 0);
	assert_int_equal(admit(&c, T0_NS + 500 * MS, &tcp, &again), DP_V_ADMITTED);
	assert_int_equal(dp_calls_active(0), 3);
}

/* A resend: same Call-ID and CSeq (a reconnect), or a running Call-ID: the first answer again. */
static void resend_same_answer(void **state)
{
	struct dp_trunk_stats ts = { 0 };
	struct dp_gate a = gate("tcp-a", 7, true, 1, 1, 0), b = gate("tcp-b", 7, true, 1, 1, 0);
	uint64_t before;
	bool again;

	(void)state;
	assert_int_equal(admit(&a, T0_NS, &ts, &again), DP_V_ADMITTED);
	assert_int_equal(admit(&b, T0_NS, &ts, &again), DP_V_OVER_CPS);
	before = tat[0];
	/* a second later a token is there, but the resends still get their first answers */
	assert_int_equal(admit(&a, T0_NS + 1000 * MS, &ts, &again), DP_V_ADMITTED);
	assert_true(again);
	assert_int_equal(admit(&b, T0_NS + 1000 * MS, &ts, &again), DP_V_OVER_CPS);
	assert_true(again);
	assert_int_equal(tat[0], before);	/* no token taken */
	assert_int_equal(ts.admitted, 1);
	assert_int_equal(ts.over_cps, 1);
	assert_int_equal(ts.retransmissions, 2);
	assert_int_equal(dp_calls_active(0), 1);
	/* the running call's Call-ID with another CSeq: still that call */
	a = gate("tcp-a", 8, true, 1, 1, 0);
	assert_int_equal(admit(&a, T0_NS + 1000 * MS, &ts, &again), DP_V_ADMITTED);
	assert_true(again);
	assert_int_equal(dp_calls_active(0), 1);
}

/* max_calls 1: the second call is refused and its token given back. */
static void max_calls_gives_token_back(void **state)
{
	struct dp_trunk_stats ts = { 0 };
	struct dp_gate a = gate("m-1", 1, true, 10, 10, 1), b = gate("m-2", 1, false, 10, 10, 1);
	uint64_t before;
	bool again;

	(void)state;
	assert_int_equal(admit(&a, T0_NS, &ts, &again), DP_V_ADMITTED);
	before = tat[0];
	assert_int_equal(admit(&b, T0_NS, &ts, &again), DP_V_OVER_CALLS);
	assert_int_equal(tat[0], before);
	assert_int_equal(ts.over_calls, 1);
	assert_int_equal(dp_calls_active(0), 1);
}

/* Emergency numbers pass an empty bucket and a full max_calls, and take a slot. */
static void emergency_past_both(void **state)
{
	struct dp_trunk_stats ts = { 0 };
	struct dp_gate a = gate("e-1", 1, true, 1, 1, 1), e = gate("e-911", 1, true, 1, 1, 1);
	bool again;

	(void)state;
	assert_true(dp_gate_is_emergency(&cfg, "911", 3));
	assert_false(dp_gate_is_emergency(&cfg, "9110", 4));
	assert_false(dp_gate_is_emergency(&cfg, "91", 2));
	assert_int_equal(admit(&a, T0_NS, &ts, &again), DP_V_ADMITTED);
	e.emergency = true;
	assert_int_equal(admit(&e, T0_NS, &ts, &again), DP_V_ADMITTED);
	assert_int_equal(ts.emergency, 1);
	assert_int_equal(ts.admitted, 2);
	assert_int_equal(dp_calls_active(0), 2);
}

/* A full call table: refused table_full, the slot and the token given back. */
static void table_full(void **state)
{
	struct dp_trunk_stats ts = { 0 };
	unsigned int admitted = 0, full = 0;
	char id[32];
	bool again;

	(void)state;
	for (unsigned int i = 0; i < 2 * CAPACITY; i++) {
		struct dp_gate g;

		snprintf(id, sizeof(id), "full-%u", i);
		g = gate(id, 1, true, 0, 0, 0);
		switch (admit(&g, T0_NS, &ts, &again)) {
		case DP_V_ADMITTED:
			admitted++;
			break;
		case DP_V_TABLE_FULL:
			full++;
			break;
		default:
			fail();
		}
	}
	assert_true(admitted >= CAPACITY);
	assert_int_equal(admitted + full, 2 * CAPACITY);
	assert_int_equal(ts.table_full, full);
	assert_int_equal(dp_calls_active(0), admitted);	/* the refused gave their slots back */
}

static void count_ended(const struct dp_call *c, uint8_t reason, void *arg)
{
	unsigned int *n = arg;

	assert_int_equal(reason, SBC_CALL_END_FLUSHED);
	assert_int_equal(c->transport, SBC_TP_TLS);
	(*n)++;
}

static void count_any(const struct dp_call *c, uint8_t reason, void *arg)
{
	unsigned int *n = arg;

	(void)c, (void)reason;
	(*n)++;
}

/* A call the control plane admitted: no Timer B (nobody here reads its stream), flushed on a
 * control plane's restart; UDP calls stay. */
static void stream_calls(void **state)
{
	struct dp_trunk_stats ts = { 0 };
	struct dp_gate s = gate("tls-1", 1, true, 0, 0, 0), u = gate("udp-1", 1, false, 0, 0, 0);
	unsigned int n = 0;
	bool again;

	(void)state;
	assert_int_equal(admit(&s, T0_NS, &ts, &again), DP_V_ADMITTED);
	dp_call_set_stream(&s.call, SBC_TP_TLS, T0_NS / MS);
	assert_int_equal(admit(&u, T0_NS, &ts, &again), DP_V_ADMITTED);
	/* 40 s later: the UDP call, never answered, ends by Timer B; the TLS one does not */
	dp_calls_expire(T0_NS / MS + 40000, cfg.max_call_duration, count_any, &n);
	assert_int_equal(n, 1);
	assert_true(dp_call_exists(&s.call));
	assert_false(dp_call_exists(&u.call));
	u = gate("udp-2", 1, false, 0, 0, 0);
	assert_int_equal(admit(&u, T0_NS, &ts, &again), DP_V_ADMITTED);
	n = 0;
	dp_calls_flush_stream(count_ended, &n);
	assert_int_equal(n, 1);
	assert_false(dp_call_exists(&s.call));
	assert_true(dp_call_exists(&u.call));
	assert_int_equal(dp_calls_active(0), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(one_bucket_for_both, setup, teardown),
		cmocka_unit_test_setup_teardown(resend_same_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(max_calls_gives_token_back, setup, teardown),
		cmocka_unit_test_setup_teardown(emergency_past_both, setup, teardown),
		cmocka_unit_test_setup_teardown(table_full, setup, teardown),
		cmocka_unit_test_setup_teardown(stream_calls, setup, teardown),
	};

	return unit_eal_run("gate", tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL, &qsv);
}
