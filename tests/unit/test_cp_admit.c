/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the control plane's admission requests (controlplane/cp_admit.c) on a real
 * Sofia-SIP su_root, with this file standing in for the channel end (cp_chan_ready, _send,
 * _poll_events: what was sent is recorded, verdicts are handed in when the file says so):
 *   - no data plane in sync: fail closed at once, counted;
 *   - a verdict that comes: the asker gets it once, counted in time;
 *   - none within admit_wait_ms: the asker gets NULL (503, fail closed), counted; a late
 *     "admitted" is given back at once (SBC_CMD_ADMIT_END of the same call), a late refusal
 *     needs nothing;
 *   - an asker gone before the answer (the caller's CANCEL) is never called; an admitted answer
 *     is given back;
 *   - the end of a call admitted so names its trunk, transport, Call-ID and reason.
 * The wait is measured against the test's own clock as a lower bound only.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sofia-sip/su_wait.h>

#include "cp_admit.h"
#include "cp_chan.h"

#define WAIT_MS 50

/* ---- the channel end, as this test plays it */
static struct {
	bool ready;
	struct sbc_msg sent[16];
	unsigned int n_sent;
	struct sbc_msg_admit_verdict verdict;	/* handed in at the next poll when armed */
	bool armed;
} fake;

bool cp_chan_ready(void)
{
	return fake.ready;
}

uint64_t cp_chan_send(uint16_t type, const void *body, uint32_t len)
{
	assert_true(fake.n_sent < 16);
	sbc_msg_init(&fake.sent[fake.n_sent++], type, body, len, 1);
	return 1;
}

static void deliver(void)
{
	struct sbc_msg m;

	fake.armed = false;
	sbc_msg_init(&m, SBC_EVT_ADMIT_VERDICT, &fake.verdict, sizeof(fake.verdict), 1);
	assert_int_equal(sbc_msg_validate(&m), 0);
	cp_admit_verdict(&m);
}

void cp_chan_poll_events(void)
{
	if (fake.armed)
		deliver();
}

/* ---- the asker */
static struct {
	unsigned int calls;
	bool got_null;
	struct sbc_msg_admit_verdict v;
} asker;

static void on_verdict(void *arg, const struct sbc_msg_admit_verdict *v)
{
	(void)arg;
	asker.calls++;
	asker.got_null = v == NULL;
	if (v != NULL)
		asker.v = *v;
}

static su_root_t *root;
static struct sbc_config cfg;

static int setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	memset(&asker, 0, sizeof(asker));
	fake.ready = true;
	sbc_config_defaults(&cfg);
	cfg.admit_wait_ms = WAIT_MS;
	return cp_admit_init(root, &cfg);
}

static int teardown(void **state)
{
	(void)state;
	cp_admit_fini();
	return 0;
}

/* Run the loop until the asker was called or 5 s pass (a deadline, not a sleep). */
static void run_until_answered(void)
{
	uint64_t end = sbc_mono_ns() + 5000000000ull;

	while (asker.calls == 0 && sbc_mono_ns() < end)
		su_root_step(root, 10);
	assert_int_equal(asker.calls, 1);
}

static const struct sbc_msg_admit *sent_admit(unsigned int i, uint16_t type)
{
	assert_true(i < fake.n_sent);
	assert_int_equal(fake.sent[i].type, type);
	assert_int_equal(sbc_msg_validate(&fake.sent[i]), 0);
	return (const void *)fake.sent[i].body;
}

static void not_in_sync(void **state)
{
	(void)state;
	fake.ready = false;
	assert_null(cp_admit_ask(3, SBC_TP_TCP, "a@x", 1, "100", on_verdict, NULL));
	assert_int_equal(cp_admit_stats()->failclosed, 1);
	assert_int_equal(cp_admit_stats()->asked, 1);
	assert_int_equal(fake.n_sent, 0);
	assert_int_equal(asker.calls, 0);	/* the caller answers 503 itself */
}

static void answered(void **state)
{
	const struct sbc_msg_admit *a;

	(void)state;
	assert_non_null(cp_admit_ask(3, SBC_TP_TLS, "call-1@x", 7, "911", on_verdict, NULL));
	a = sent_admit(0, SBC_CMD_ADMIT);
	assert_int_equal(a->trunk, 3);
	assert_int_equal(a->transport, SBC_TP_TLS);
	assert_int_equal(a->cseq, 7);
	assert_int_equal(a->call_id_len, 8);
	assert_memory_equal(a->call_id, "call-1@x", 8);
	assert_int_equal(a->ruri_user_len, 3);
	assert_memory_equal(a->ruri_user, "911", 3);
	assert_int_equal(asker.calls, 0);	/* never inside the ask */
	fake.verdict = (struct sbc_msg_admit_verdict){ .trunk = 3, .verdict = SBC_ADMIT_OVER_CPS,
						       .transport = SBC_TP_TLS, .ref = a->ref };
	fake.armed = true;
	run_until_answered();
	assert_false(asker.got_null);
	assert_int_equal(asker.v.verdict, SBC_ADMIT_OVER_CPS);
	assert_int_equal(cp_admit_stats()->in_time, 1);
	assert_int_equal(cp_admit_stats()->failclosed, 0);
	assert_int_equal(fake.n_sent, 1);	/* a refusal: nothing to give back */
}

static void fail_closed_then_late(void **state)
{
	uint64_t t0 = sbc_mono_ns();
	const struct sbc_msg_admit *a, *e;

	(void)state;
	assert_non_null(cp_admit_ask(1, SBC_TP_TCP, "late@x", 2, NULL, on_verdict, NULL));
	a = sent_admit(0, SBC_CMD_ADMIT);
	run_until_answered();
	assert_true(asker.got_null);
	assert_true(sbc_mono_ns() - t0 >= WAIT_MS * 1000000ull);	/* not before the wait */
	assert_int_equal(cp_admit_stats()->failclosed, 1);
	/* the data plane admitted it after all: the slot goes back at once */
	fake.verdict = (struct sbc_msg_admit_verdict){ .trunk = 1, .verdict = SBC_ADMIT_OK,
						       .transport = SBC_TP_TCP, .ref = a->ref };
	deliver();
	assert_int_equal(asker.calls, 1);
	assert_int_equal(cp_admit_stats()->late, 1);
	e = sent_admit(1, SBC_CMD_ADMIT_END);
	assert_int_equal(e->trunk, 1);
	assert_int_equal(e->call_id_len, 6);
	assert_memory_equal(e->call_id, "late@x", 6);
	/* a second, refused, late answer to another request needs no end */
	asker.calls = 0;
	assert_non_null(cp_admit_ask(1, SBC_TP_TCP, "late2@x", 2, NULL, on_verdict, NULL));
	a = sent_admit(2, SBC_CMD_ADMIT);
	run_until_answered();
	fake.verdict = (struct sbc_msg_admit_verdict){ .trunk = 1, .verdict = SBC_ADMIT_OVER_CALLS,
						       .transport = SBC_TP_TCP, .ref = a->ref };
	deliver();
	assert_int_equal(fake.n_sent, 3);
}

static void forgotten(void **state)
{
	struct cp_admit_req *r;
	const struct sbc_msg_admit *a;

	(void)state;
	r = cp_admit_ask(2, SBC_TP_TCP, "gone@x", 1, "", on_verdict, NULL);
	assert_non_null(r);
	a = sent_admit(0, SBC_CMD_ADMIT);
	cp_admit_forget(r);
	fake.verdict = (struct sbc_msg_admit_verdict){ .trunk = 2, .verdict = SBC_ADMIT_OK,
						       .transport = SBC_TP_TCP, .ref = a->ref };
	deliver();
	assert_int_equal(asker.calls, 0);
	sent_admit(1, SBC_CMD_ADMIT_END);
	/* a resend's "admitted again" took no slot: nothing to give back */
	r = cp_admit_ask(2, SBC_TP_TCP, "gone@x", 1, "", on_verdict, NULL);
	a = sent_admit(2, SBC_CMD_ADMIT);
	cp_admit_forget(r);
	fake.verdict.ref = a->ref;
	fake.verdict.again = 1;
	deliver();
	assert_int_equal(fake.n_sent, 3);
}

static void end_of_call(void **state)
{
	const struct sbc_msg_admit *e;

	(void)state;
	cp_admit_end(4, SBC_TP_TLS, "done@x", SBC_CALL_END_CANCEL);
	e = sent_admit(0, SBC_CMD_ADMIT_END);
	assert_int_equal(e->trunk, 4);
	assert_int_equal(e->transport, SBC_TP_TLS);
	assert_int_equal(e->end_reason, SBC_CALL_END_CANCEL);
	assert_memory_equal(e->call_id, "done@x", 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(not_in_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(answered, setup, teardown),
		cmocka_unit_test_setup_teardown(fail_closed_then_late, setup, teardown),
		cmocka_unit_test_setup_teardown(forgotten, setup, teardown),
		cmocka_unit_test_setup_teardown(end_of_call, setup, teardown),
	};
	int rc;

	su_init();
	root = su_root_create(NULL);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	su_root_destroy(root);
	su_deinit();
	return rc;
}
