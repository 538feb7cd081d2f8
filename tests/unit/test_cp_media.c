/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the media sessions of anchored calls (controlplane/cp_media.c) on a real
 * Sofia-SIP su_root, with this file standing in for the channel end (cp_chan_ready, _send,
 * _poll_events: what was sent is recorded, events are handed in by the test):
 *   - the pool: media_ports 20000-20007 holds two calls (four pairs); the third gets -ENOSPC
 *     (503), counted; ports of an installed session come back only with its GONE, those of one
 *     never installed at once; the next search starts after the last pair taken;
 *   - MEDIA_SET carries both legs as the SDP left them (ports, remotes, rtcp-mux only when both
 *     sides said it, hold, latching with the signalling address, SRTP suite and keys) with the
 *     session id = FNV-1a of the inbound Call-ID and a seq that grows; READY reaches the call,
 *     a refusal too, and no READY within CP_MEDIA_READY_WAIT_MS is -ETIMEDOUT;
 *   - a second call with a held session's Call-ID: -EEXIST;
 *   - MEDIA_TIMEOUT reaches the call for its current seq only;
 *   - a data plane in sync: FLUSH, then every installed session's last SET again; a closing
 *     one is gone (its ports back, its call told without figures);
 *   - GONE not within CP_MEDIA_GONE_WAIT_MS: the call is told (no figures), the ports stay;
 *   - the MOS estimate and the record's quality fields.
 * Waits are lower bounds on the test's own clock only.
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
#include <sofia-sip/su_wait.h>

#include "cp_chan.h"
#include "cp_media.h"
#include "sbc_hash.h"

#define SENT_MAX 32

/* ---- the channel end, as this test plays it */
static struct {
	bool ready;
	struct sbc_msg sent[SENT_MAX];
	unsigned int n_sent;
} fake;

bool cp_chan_ready(void)
{
	return fake.ready;
}

uint64_t cp_chan_send(uint16_t type, const void *body, uint32_t len)
{
	assert_true(fake.n_sent < SENT_MAX);
	sbc_msg_init(&fake.sent[fake.n_sent++], type, body, len, 1);
	assert_int_equal(sbc_msg_validate(&fake.sent[fake.n_sent - 1]), 0);
	return 1;
}

void cp_chan_poll_events(void)
{
}

/* ---- the calls */
struct call {
	unsigned int ready, timeouts, gone;
	uint32_t seq;
	int error;
	bool gone_null;
	struct sbc_msg_media_stats last;
};

static void on_ready(void *arg, uint32_t seq, int error)
{
	struct call *c = arg;

	c->ready++;
	c->seq = seq;
	c->error = error;
}

static void on_timeout(void *arg, const struct sbc_msg_media_stats *st)
{
	struct call *c = arg;

	c->timeouts++;
	c->last = *st;
}

static void on_gone(void *arg, const struct sbc_msg_media_stats *st)
{
	struct call *c = arg;

	c->gone++;
	c->gone_null = st == NULL;
	if (st != NULL)
		c->last = *st;
}

static const struct cp_media_cbs cbs = { on_ready, on_timeout, on_gone };

static su_root_t *root;
static struct sbc_config cfg;
static struct sbc_trunk_config trunks[2];

static int setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	fake.ready = true;
	sbc_config_defaults(&cfg);
	memset(trunks, 0, sizeof(trunks));
	snprintf(trunks[0].name, sizeof(trunks[0].name), "floor");
	snprintf(trunks[1].name, sizeof(trunks[1].name), "carrier");
	trunks[1].srtp = SBC_SRTP_MODE_SDES;
	cfg.trunks = trunks;
	cfg.n_trunks = 2;
	memcpy(cfg.address, ((uint8_t[]){ 192, 0, 2, 10 }), 4);
	cfg.media_port_min = 20000;
	cfg.media_port_max = 20007;
	root = su_root_create(NULL);
	assert_non_null(root);
	assert_int_equal(cp_media_init(root, &cfg), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cp_media_fini();
	su_root_destroy(root);
	return 0;
}

/* A call with both legs' remotes as an answer would leave them. */
static struct cp_media *call_up(const char *id, struct call *c, uint8_t last_octet)
{
	struct cp_media *m;

	memset(c, 0, sizeof(*c));
	assert_int_equal(cp_media_open(&m, id, &cbs, c), 0);
	cp_media_trunk(m, 0, 0);
	cp_media_trunk(m, 1, 0);
	assert_int_equal(cp_media_port(m, 1, SBC_AF_V4), 0);
	assert_int_equal(cp_media_port(m, 0, SBC_AF_V4), 0);
	for (unsigned int l = 0; l < 2; l++) {
		struct cp_sdp_leg *s = cp_media_sdp(m, l);

		s->media = s->remote_known = true;
		s->remote_family = SBC_AF_V4;
		memcpy(s->remote_addr, ((uint8_t[]){ 198, 51, 100, last_octet }), 4);
		s->remote_port = (uint16_t)(4000 + 2 * l);
		s->remote_rtcp_port = (uint16_t)(4001 + 2 * l);
	}
	return m;
}

static const struct sbc_msg *last_sent(uint16_t type)
{
	for (unsigned int i = fake.n_sent; i-- > 0;)
		if (fake.sent[i].type == type)
			return &fake.sent[i];
	fail_msg("no message of type %u sent", type);
	return NULL;
}

static void deliver(uint16_t type, const void *body, uint32_t len)
{
	struct sbc_msg m;

	sbc_msg_init(&m, type, body, len, 1);
	assert_int_equal(sbc_msg_validate(&m), 0);
	cp_media_event(&m);
}

static void ready(uint64_t session, uint32_t seq, int32_t error)
{
	struct sbc_msg_media_ref r = { .session = session, .seq = seq, .error = error };

	deliver(SBC_EVT_MEDIA_READY, &r, sizeof(r));
}

static void gone(uint64_t session, uint32_t seq, uint32_t lost0, uint32_t lost1)
{
	struct sbc_msg_media_stats st = { .session = session, .seq = seq };

	st.leg[0].packets = 1000;
	st.leg[0].lost = lost0;
	st.leg[0].jitter_us = 4000;
	st.leg[1].packets = 1000;
	st.leg[1].lost = lost1;
	st.leg[1].jitter_us = 12500;
	deliver(SBC_EVT_MEDIA_GONE, &st, sizeof(st));
}

static void test_pool(void **state)
{
	struct call a, b, c;
	struct cp_media *ma, *mb, *mc;
	uint32_t seq;

	(void)state;
	assert_int_equal(cp_media_capacity(&cfg), 2);
	ma = call_up("call-a@floor", &a, 7);
	assert_int_equal(cp_media_sdp(ma, 1)->local_port, 20000);
	assert_int_equal(cp_media_sdp(ma, 0)->local_port, 20002);
	mb = call_up("call-b@floor", &b, 8);
	assert_int_equal(cp_media_sdp(mb, 1)->local_port, 20004);
	assert_int_equal(cp_media_sdp(mb, 0)->local_port, 20006);
	assert_int_equal(cp_media_stats()->free_pairs[0], 0);
	/* the range is full: 503 */
	assert_int_equal(cp_media_open(&mc, "call-c@floor", &cbs, &c), 0);
	assert_int_equal(cp_media_port(mc, 1, SBC_AF_V4), -ENOSPC);
	assert_int_equal(cp_media_stats()->no_port, 1);
	/* no address6: an IPv6 leg is refused */
	assert_int_equal(cp_media_port(mc, 1, SBC_AF_V6), -EAFNOSUPPORT);
	assert_false(cp_media_close(mc));	/* never installed: nothing to wait for */
	assert_int_equal(c.gone, 0);
	/* a is installed, then ends: its ports stay taken until GONE */
	assert_int_equal(cp_media_set(ma, &seq), 0);
	ready(cp_media_session(ma), seq, 0);
	assert_true(cp_media_close(ma));
	assert_int_equal(last_sent(SBC_CMD_MEDIA_DEL)->type, SBC_CMD_MEDIA_DEL);
	assert_int_equal(cp_media_stats()->free_pairs[0], 0);
	assert_int_equal(cp_media_open(&mc, "call-c@floor", &cbs, &c), 0);
	assert_int_equal(cp_media_port(mc, 1, SBC_AF_V4), -ENOSPC);
	gone(cp_media_session(ma) + 1, 1, 0, 0);	/* another session's: nothing */
	assert_int_equal(a.gone, 0);
	gone(cp_media_session(ma), 1, 3, 5);
	assert_int_equal(a.gone, 1);
	assert_false(a.gone_null);
	assert_int_equal(a.last.leg[1].lost, 5);
	assert_int_equal(cp_media_stats()->free_pairs[0], 2);
	assert_int_equal(cp_media_port(mc, 1, SBC_AF_V4), 0);
	assert_int_equal(cp_media_sdp(mc, 1)->local_port, 20000);
	/* b never installed: its ports come back at once */
	assert_false(cp_media_close(mb));
	assert_int_equal(cp_media_stats()->free_pairs[0], 3);
	assert_int_equal(cp_media_port(mc, 0, SBC_AF_V4), 0);
	assert_int_equal(cp_media_sdp(mc, 0)->local_port, 20002);	/* after the last taken */
	assert_false(cp_media_close(mc));
	assert_int_equal(cp_media_stats()->sessions, 0);
}

static void test_set_fields(void **state)
{
	struct call a;
	struct cp_media *m = call_up("a84b4c76e66710@pc33.example.com", &a, 7);
	const struct sbc_msg_media *s;
	struct cp_sdp_leg *l0 = cp_media_sdp(m, 0), *l1 = cp_media_sdp(m, 1);
	const char *id = "a84b4c76e66710@pc33.example.com";
	uint32_t seq;

	(void)state;
	assert_int_equal(cp_media_session(m), sbc_fnv1a(SBC_FNV1A_INIT, id, strlen(id)));
	l0->remote_mux = true;	/* only the caller said rtcp-mux: no mux on either leg */
	l1->hold = true;
	l1->suite = SBC_SRTP_AES_CM_128_HMAC_SHA1_80;
	memset(l1->key_rx, 0x11, sizeof(l1->key_rx));
	memset(l1->key_tx, 0x22, sizeof(l1->key_tx));
	cp_media_latch(m, 0, SBC_AF_V4, (uint8_t[]){ 198, 51, 100, 99 });
	assert_int_equal(cp_media_set(m, &seq), 0);
	assert_int_equal(seq, 1);
	s = (const void *)last_sent(SBC_CMD_MEDIA_SET)->body;
	assert_int_equal(s->session, cp_media_session(m));
	assert_int_equal(s->seq, 1);
	/* leg 0: latched to the signalling address, any port */
	assert_int_equal(s->leg[0].flags, SBC_MEDIA_LATCH);
	assert_int_equal(s->leg[0].local_port, 20002);
	assert_int_equal(s->leg[0].remote_port, 0);
	assert_memory_equal(s->leg[0].remote_addr, ((uint8_t[]){ 198, 51, 100, 99 }), 4);
	assert_memory_equal(s->leg[0].local_addr, ((uint8_t[]){ 192, 0, 2, 10 }), 4);
	assert_int_equal(s->leg[0].srtp, SBC_SRTP_NONE);
	/* leg 1: on hold, SRTP with both keys, its SDP's ports */
	assert_int_equal(s->leg[1].flags, SBC_MEDIA_HOLD);
	assert_int_equal(s->leg[1].local_port, 20000);
	assert_int_equal(s->leg[1].remote_port, 4002);
	assert_int_equal(s->leg[1].remote_rtcp_port, 4003);
	assert_int_equal(s->leg[1].srtp, SBC_SRTP_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(s->leg[1].key_rx[29], 0x11);
	assert_int_equal(s->leg[1].key_tx[0], 0x22);
	/* both said rtcp-mux: both legs mux; seq grows */
	l1->remote_mux = true;
	l1->hold = false;
	assert_int_equal(cp_media_set(m, &seq), 0);
	assert_int_equal(seq, 2);
	s = (const void *)last_sent(SBC_CMD_MEDIA_SET)->body;
	assert_int_equal(s->leg[1].flags, SBC_MEDIA_RTCP_MUX);
	assert_int_equal(s->leg[0].flags, SBC_MEDIA_RTCP_MUX | SBC_MEDIA_LATCH);
	/* an older seq's READY, then the current one's refusal */
	ready(cp_media_session(m), 1, 0);
	assert_int_equal(a.ready, 1);
	assert_int_equal(a.seq, 1);
	ready(cp_media_session(m), 2, -ENOSPC);
	assert_int_equal(a.ready, 2);
	assert_int_equal(a.error, -ENOSPC);
	/* a leg without audio yet: nothing to install */
	l0->media = false;
	assert_int_equal(cp_media_set(m, &seq), -EAGAIN);
	l0->media = true;
	/* no data plane in sync: the call fails */
	fake.ready = false;
	assert_int_equal(cp_media_set(m, &seq), -ENOTCONN);
	fake.ready = true;
	/* the same Call-ID while the session is held */
	{
		struct cp_media *dup;
		struct call d;

		assert_int_equal(cp_media_open(&dup, id, &cbs, &d), -EEXIST);
		assert_int_equal(cp_media_stats()->id_taken, 1);
	}
	assert_true(cp_media_close(m));
	gone(cp_media_session(m), 2, 0, 0);
	assert_int_equal(a.gone, 1);
}

static void test_ready_wait(void **state)
{
	struct call a;
	struct cp_media *m = call_up("wait@floor", &a, 7);
	uint64_t t0;
	uint32_t seq;

	(void)state;
	assert_int_equal(cp_media_set(m, &seq), 0);
	t0 = sbc_mono_ns();
	while (a.ready == 0 && sbc_mono_ns() - t0 < 5000000000ull)
		su_root_step(root, 100);
	assert_int_equal(a.ready, 1);
	assert_int_equal(a.error, -ETIMEDOUT);
	assert_int_equal(a.seq, 1);
	assert_true(sbc_mono_ns() - t0 >= (CP_MEDIA_READY_WAIT_MS - 10) * 1000000ull);
	/* GONE never comes: the call is told without figures, the ports stay taken */
	assert_true(cp_media_close(m));
	t0 = sbc_mono_ns();
	while (a.gone == 0 && sbc_mono_ns() - t0 < 8000000000ull)
		su_root_step(root, 100);
	assert_int_equal(a.gone, 1);
	assert_true(a.gone_null);
	assert_true(sbc_mono_ns() - t0 >= (CP_MEDIA_GONE_WAIT_MS - 10) * 1000000ull);
	assert_int_equal(cp_media_stats()->gone_late, 1);
	assert_int_equal(cp_media_stats()->free_pairs[0], 2);
	/* it comes at last: the ports are back, the call is not told twice */
	gone(cp_media_session(m), 1, 0, 0);
	assert_int_equal(a.gone, 1);
	assert_int_equal(cp_media_stats()->free_pairs[0], 4);
}

static void test_timeout_event(void **state)
{
	struct call a;
	struct cp_media *m = call_up("timeout@floor", &a, 7);
	struct sbc_msg_media_stats st = { .reason = SBC_MEDIA_END_TIMEOUT, .idle_ms = 60000 };
	uint32_t seq;

	(void)state;
	assert_int_equal(cp_media_set(m, &seq), 0);
	assert_int_equal(cp_media_set(m, &seq), 0);
	st.session = cp_media_session(m);
	st.seq = 1;	/* of a version replaced since: not this session's state */
	deliver(SBC_EVT_MEDIA_TIMEOUT, &st, sizeof(st));
	assert_int_equal(a.timeouts, 0);
	st.seq = 2;
	deliver(SBC_EVT_MEDIA_TIMEOUT, &st, sizeof(st));
	assert_int_equal(a.timeouts, 1);
	assert_int_equal(a.last.idle_ms, 60000);
	assert_true(cp_media_close(m));
	deliver(SBC_EVT_MEDIA_TIMEOUT, &st, sizeof(st));	/* closing: no more */
	assert_int_equal(a.timeouts, 1);
	gone(cp_media_session(m), 2, 0, 0);
}

static void test_dp_sync(void **state)
{
	struct call a, b, c;
	struct cp_media *ma = call_up("sync-a@floor", &a, 7);
	struct cp_media *mb = call_up("sync-b@floor", &b, 8), *mc;
	const struct sbc_msg_media *s;
	uint32_t seq;

	(void)state;
	assert_int_equal(cp_media_set(ma, &seq), 0);
	assert_int_equal(cp_media_set(ma, &seq), 0);
	assert_int_equal(cp_media_set(mb, &seq), 0);
	assert_true(cp_media_close(mb));	/* closing when the data plane restarts */
	fake.n_sent = 0;
	cp_media_dp_sync();
	assert_int_equal(fake.n_sent, 2);
	assert_int_equal(fake.sent[0].type, SBC_CMD_MEDIA_FLUSH);
	assert_int_equal(fake.sent[1].type, SBC_CMD_MEDIA_SET);
	s = (const void *)fake.sent[1].body;
	assert_int_equal(s->session, cp_media_session(ma));
	assert_int_equal(s->seq, 2);	/* its last version, its seq: a wait gets its READY */
	assert_int_equal(b.gone, 1);
	assert_true(b.gone_null);
	assert_int_equal(cp_media_stats()->free_pairs[0], 2);
	ready(cp_media_session(ma), 2, 0);
	assert_int_equal(a.ready, 1);
	assert_int_equal(a.error, 0);
	/* b's pairs are free again: a new call gets them */
	mc = call_up("sync-c@floor", &c, 9);
	assert_false(cp_media_close(mc));
	assert_true(cp_media_close(ma));
	gone(cp_media_session(ma), 2, 0, 0);
}

static void test_quality(void **state)
{
	struct sbc_msg_media_stats st = { 0 };
	struct cp_media_quality q;
	double clean = cp_media_mos(0, 0, "PCMU");

	(void)state;
	/* G.711 without loss or jitter: R = 93.2 - 0.48 -> 4.4 */
	assert_true(clean > 4.35 && clean < 4.45);
	assert_true(cp_media_mos(0.05, 0, "PCMA") < clean - 0.4);	/* 5 % loss: R 76.9 */
	assert_true(cp_media_mos(0, 0, "G729") < clean);		/* Ie 11 */
	assert_true(cp_media_mos(0, 150, "PCMU") < clean - 0.3);	/* 150 ms jitter */
	assert_true(cp_media_mos(1, 500, "PCMU") >= 1.0);
	cp_media_quality(NULL, "PCMU", &q);
	assert_string_equal(q.mos, "");
	assert_string_equal(q.loss_in, "");
	st.leg[0].packets = 990;
	st.leg[0].lost = 10;
	st.leg[0].jitter_us = 2500;
	st.leg[1].packets = 1000;
	st.leg[1].jitter_us = 7250;
	cp_media_quality(&st, "PCMU", &q);
	assert_string_equal(q.loss_in, "10");
	assert_string_equal(q.loss_out, "0");
	assert_string_equal(q.jitter_ms, "7.2");	/* the worse leg's */
	assert_true(atof(q.mos) < clean && atof(q.mos) > 3.5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ready_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dp_sync, setup, teardown),
		cmocka_unit_test(test_quality),
	};

	su_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
