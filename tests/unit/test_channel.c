/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the shared-memory channel (common/sbc_channel.c): layout and version refusal,
 * ring wrap-around, a full ring (the producer is told, nothing is overwritten), message
 * validation, the call-end reasons and their names, the admission messages (channel 4), and
 * create/attach through real POSIX shared memory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sbc_channel.h"

static struct sbc_chan_header *region(uint32_t slots)
{
	struct sbc_chan_header *h = aligned_alloc(64, sbc_chan_region_size(slots));

	assert_non_null(h);
	sbc_chan_init(h, slots);
	return h;
}

static struct sbc_msg limits(uint64_t gen)
{
	struct sbc_msg m;
	struct sbc_msg_limits *l = (void *)m.body;

	memset(&m, 0, sizeof(m));
	m.type = SBC_CMD_LIMITS_SET;
	m.version = 1;
	m.len = sizeof(*l);
	m.generation = gen;
	l->trunk = 3;
	l->cps = (uint32_t)gen;
	return m;
}

static void layout_refusal(void **state)
{
	struct sbc_chan_header *h = region(8);
	size_t size = sbc_chan_region_size(8);
	char err[256];

	(void)state;
	assert_int_equal(sbc_chan_check(h, size, err, sizeof(err)), 0);
	h->version = SBC_CHAN_VERSION + 1;
	assert_int_equal(sbc_chan_check(h, size, err, sizeof(err)), -EPROTO);
	{
		char want[64];

		snprintf(want, sizeof(want), "version is %u here, %u in the region", SBC_CHAN_VERSION,
			 SBC_CHAN_VERSION + 1);
		assert_non_null(strstr(err, want));
	}
	sbc_chan_init(h, 8);
	h->msg_size = 128;
	assert_int_equal(sbc_chan_check(h, size, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "msg_size"));
	sbc_chan_init(h, 8);
	h->ring_size += 64;
	assert_int_equal(sbc_chan_check(h, size, err, sizeof(err)), -EPROTO);
	sbc_chan_init(h, 8);
	h->magic ^= 1;
	assert_int_equal(sbc_chan_check(h, size, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "bad magic"));
	sbc_chan_init(h, 8);
	assert_int_equal(sbc_chan_check(h, size - 1, err, sizeof(err)), -EPROTO);
	assert_int_equal(sbc_chan_check(h, 16, err, sizeof(err)), -EPROTO);
	sbc_chan_init(h, 8);
	h->evt.slots_offset += 8;
	assert_int_equal(sbc_chan_check(h, size, err, sizeof(err)), -EPROTO);
	free(h);
}

static void wrap_and_full(void **state)
{
	struct sbc_chan_header *h = region(8);
	struct sbc_msg m, got;

	(void)state;
	/* many times around an 8-slot ring, with varying fill levels */
	uint64_t sent = 0, recvd = 0;
	for (int round = 0; round < 100; round++) {
		int burst = 1 + round % 8;

		for (int i = 0; i < burst; i++) {
			m = limits(++sent);
			assert_int_equal(sbc_ring_send(h, &h->cmd, &m), 0);
		}
		assert_int_equal(sbc_ring_depth(&h->cmd), burst);
		for (int i = 0; i < burst; i++) {
			assert_int_equal(sbc_ring_recv(h, &h->cmd, &got), 1);
			assert_int_equal(got.generation, ++recvd);
			assert_int_equal(((struct sbc_msg_limits *)got.body)->cps, (uint32_t)recvd);
		}
		assert_int_equal(sbc_ring_recv(h, &h->cmd, &got), 0);
	}
	assert_true(h->cmd.head > 8 * 50);	/* really wrapped */

	/* full: the 9th send is refused and counted; the 8 queued are intact */
	for (int i = 0; i < 8; i++) {
		m = limits(1000 + (uint64_t)i);
		assert_int_equal(sbc_ring_send(h, &h->cmd, &m), 0);
	}
	m = limits(9999);
	assert_int_equal(sbc_ring_send(h, &h->cmd, &m), -EAGAIN);
	assert_int_equal(sbc_ring_send(h, &h->cmd, &m), -EAGAIN);
	assert_int_equal(h->cmd.full_waits, 2);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(sbc_ring_recv(h, &h->cmd, &got), 1);
		assert_int_equal(got.generation, 1000 + (uint64_t)i);
	}
	/* the event ring is independent */
	assert_int_equal(sbc_ring_depth(&h->evt), 0);
	free(h);
}

static void validation(void **state)
{
	struct sbc_chan_header *h = region(8);
	struct sbc_msg m, got;
	struct sbc_msg_acl *a = (void *)m.body;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = SBC_CMD_ACL_ADD;
	m.version = 1;
	a->trunk = 1;
	a->n = 2;
	m.len = (uint32_t)(offsetof(struct sbc_msg_acl, p) + 2 * sizeof(a->p[0]));
	a->p[0] = (struct sbc_wire_prefix){ 4, 24, { 198, 51, 100, 0 } };
	a->p[1] = (struct sbc_wire_prefix){ 6, 32, { 0x20, 0x01, 0x0d, 0xb8 } };
	assert_int_equal(sbc_msg_validate(&m), 0);
	a->p[1].depth = 129;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	a->p[1].depth = 32;
	a->p[0].family = 5;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	a->p[0].family = 4;
	a->n = (uint16_t)(SBC_ACL_PER_MSG + 1);
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	a->n = 3;	/* more entries than len covers */
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	a->n = 2;
	m.version = 2;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	m.version = 1;
	m.type = 999;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	m = limits(1);
	m.len = 3;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	/* the B2BUA's trunk state (version 6): exact size, a known health */
	struct sbc_msg_trunk_state ts = { .trunk = 2, .health = SBC_HEALTH_DOWN, .calls_out = 7 };

	sbc_msg_init(&m, SBC_CMD_TRUNK_STATE, &ts, sizeof(ts), 5);
	assert_int_equal(sbc_msg_validate(&m), 0);
	((struct sbc_msg_trunk_state *)m.body)->health = SBC_HEALTH_MAX;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	m.len = sizeof(ts) - 1;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	/* the control plane's call counters (version 6): exact size */
	struct sbc_msg_cp_calls cc = { .b2b_calls_in = 3, .admit_asked = 1 };

	sbc_msg_init(&m, SBC_CMD_CP_CALLS, &cc, sizeof(cc), 6);
	assert_int_equal(sbc_msg_validate(&m), 0);
	m.len = sizeof(cc) - 8;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	/* the registrar's counters (version 9): exact size */
	struct sbc_msg_cp_registrar rc = { .registers = 5, .answered_again = 2 };

	sbc_msg_init(&m, SBC_CMD_CP_REGISTRAR, &rc, sizeof(rc), 7);
	assert_int_equal(sbc_msg_validate(&m), 0);
	m.len = sizeof(rc) + 8;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	/* the control plane's media counters and free ports (version 10): exact size */
	struct sbc_msg_cp_media cm = { .sessions = 2, .free_pairs = { 3, 0 }, .pairs = { 5, 0 } };

	sbc_msg_init(&m, SBC_CMD_CP_MEDIA, &cm, sizeof(cm), 8);
	assert_int_equal(sbc_msg_validate(&m), 0);
	m.len = sizeof(cm) - 4;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	m = limits(1);
	m.len = 3;

	/* an invalid message in the ring is consumed and reported, the next one still arrives */
	assert_int_equal(sbc_ring_send(h, &h->cmd, &m), 0);
	m = limits(2);
	assert_int_equal(sbc_ring_send(h, &h->cmd, &m), 0);
	assert_int_equal(sbc_ring_recv(h, &h->cmd, &got), -EBADMSG);
	assert_int_equal(sbc_ring_recv(h, &h->cmd, &got), 1);
	assert_int_equal(got.generation, 2);

	/* a wire prefix with host bits set is masked on the way in */
	struct sbc_wire_prefix w = { 4, 24, { 198, 51, 100, 77, 9 } };
	struct sbc_prefix p;
	sbc_prefix_from_wire(&w, &p);
	assert_int_equal(p.addr[3], 0);
	assert_int_equal(p.addr[4], 0);
	free(h);
}

/* Admission over the channel (channel 4): a request and an end carry a stream transport and
 * lengths within their fields; the verdict one of four answers; both cross the rings intact. */
static void admit_messages(void **state)
{
	struct sbc_chan_header *h = region(8);
	struct sbc_msg_admit a = { .trunk = 2, .transport = SBC_TP_TCP, .cseq = 7, .ref = 42,
				   .call_id_len = 5, .ruri_user_len = 3 };
	struct sbc_msg_admit_verdict v = { .trunk = 2, .verdict = SBC_ADMIT_OVER_CPS, .again = 1,
					   .transport = SBC_TP_TLS, .active = 9, .ref = 42 };
	struct sbc_msg m, got;

	(void)state;
	memcpy(a.call_id, "abc@x", 5);
	memcpy(a.ruri_user, "911", 3);
	sbc_msg_init(&m, SBC_CMD_ADMIT, &a, sizeof(a), 5);
	assert_int_equal(sbc_msg_validate(&m), 0);
	assert_int_equal(sbc_ring_send(h, &h->cmd, &m), 0);
	assert_int_equal(sbc_ring_recv(h, &h->cmd, &got), 1);
	assert_int_equal(got.type, SBC_CMD_ADMIT);
	assert_memory_equal(got.body, &a, sizeof(a));
	/* an end needs its reason; a request must not carry one */
	sbc_msg_init(&m, SBC_CMD_ADMIT_END, &a, sizeof(a), 6);
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	a.end_reason = SBC_CALL_END_CANCEL;
	sbc_msg_init(&m, SBC_CMD_ADMIT_END, &a, sizeof(a), 6);
	assert_int_equal(sbc_msg_validate(&m), 0);
	a.end_reason = SBC_CALL_END_MAX;
	sbc_msg_init(&m, SBC_CMD_ADMIT_END, &a, sizeof(a), 6);
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	a.end_reason = 0;
	/* UDP is the workers' (never asked), lengths beyond their fields, a short body */
	a.transport = SBC_TP_UDP;
	sbc_msg_init(&m, SBC_CMD_ADMIT, &a, sizeof(a), 7);
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	a.transport = SBC_TP_TLS;
	a.call_id_len = 0;
	sbc_msg_init(&m, SBC_CMD_ADMIT, &a, sizeof(a), 7);
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	a.call_id_len = SBC_CALL_ID_MAX + 1;
	sbc_msg_init(&m, SBC_CMD_ADMIT, &a, sizeof(a), 7);
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	a.call_id_len = SBC_CALL_ID_MAX;
	a.ruri_user_len = SBC_RUSER_MAX + 1;
	sbc_msg_init(&m, SBC_CMD_ADMIT, &a, sizeof(a), 7);
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	a.ruri_user_len = SBC_RUSER_MAX;
	sbc_msg_init(&m, SBC_CMD_ADMIT, &a, sizeof(a) - 1, 7);
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	sbc_msg_init(&m, SBC_CMD_ADMIT, &a, sizeof(a), 7);
	assert_int_equal(sbc_msg_validate(&m), 0);

	sbc_msg_init(&m, SBC_EVT_ADMIT_VERDICT, &v, sizeof(v), 5);
	assert_int_equal(sbc_msg_validate(&m), 0);
	assert_int_equal(sbc_ring_send(h, &h->evt, &m), 0);
	assert_int_equal(sbc_ring_recv(h, &h->evt, &got), 1);
	assert_int_equal(got.generation, 5);
	assert_memory_equal(got.body, &v, sizeof(v));
	v.verdict = SBC_ADMIT_MAX;
	sbc_msg_init(&m, SBC_EVT_ADMIT_VERDICT, &v, sizeof(v), 5);
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	v.verdict = SBC_ADMIT_OK;
	v.transport = SBC_TP_MAX;
	sbc_msg_init(&m, SBC_EVT_ADMIT_VERDICT, &v, sizeof(v), 5);
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);

	assert_string_equal(sbc_admit_names[SBC_ADMIT_OK], "admitted");
	assert_string_equal(sbc_admit_names[SBC_ADMIT_OVER_CPS], "over_cps");
	assert_string_equal(sbc_admit_names[SBC_ADMIT_OVER_CALLS], "over_calls");
	assert_string_equal(sbc_admit_names[SBC_ADMIT_TABLE_FULL], "table_full");
	assert_string_equal(sbc_transport_names[SBC_TP_UDP], "udp");
	assert_string_equal(sbc_transport_names[SBC_TP_TCP], "tcp");
	assert_string_equal(sbc_transport_names[SBC_TP_TLS], "tls");
	free(h);
}

/* Every call-end reason has its own name (the stats keys ended_<name>, the CDR's end field),
 * Timer C's among them, and the validator takes each reason and nothing beyond. */
static void call_end_reasons(void **state)
{
	struct sbc_msg m;
	struct sbc_msg_call *c = (void *)m.body;

	(void)state;
	for (unsigned int r = 0; r < SBC_CALL_END_MAX; r++) {
		assert_non_null(sbc_call_end_names[r]);
		for (unsigned int q = 0; q < r; q++)
			assert_string_not_equal(sbc_call_end_names[q], sbc_call_end_names[r]);
	}
	assert_string_equal(sbc_call_end_names[SBC_CALL_END_TIMER_B], "timer_b");
	assert_string_equal(sbc_call_end_names[SBC_CALL_END_TIMER_C], "timer_c");
	assert_true(SBC_CHAN_VERSION >= 3);	/* timer_c came with layout 3 */

	memset(&m, 0, sizeof(m));
	m.type = SBC_EVT_CALL_ENDED;
	m.version = 1;
	m.len = sizeof(*c);
	c->call_id_len = 3;
	for (unsigned int r = 0; r < SBC_CALL_END_MAX; r++) {
		c->reason = (uint8_t)r;
		assert_int_equal(sbc_msg_validate(&m), 0);
	}
	c->reason = SBC_CALL_END_MAX;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
}

/* The denylist's messages (layout 5): entries bounded by n and len, known families, and the
 * sync markers carry no entry. */
static void deny_messages(void **state)
{
	struct sbc_msg m;
	struct sbc_msg_deny d;
	uint32_t one = (uint32_t)(offsetof(struct sbc_msg_deny, e) + sizeof(d.e[0]));

	(void)state;
	assert_true(SBC_CHAN_VERSION >= 4);
	memset(&d, 0, sizeof(d));
	d.n = 1;
	d.e[0] = (struct sbc_deny_entry){ .ttl_ms = 600000, .family = SBC_AF_V4,
					  .addr = { 192, 0, 2, 66 }, .reason = "auth" };
	sbc_msg_init(&m, SBC_CMD_DENY_ADD, &d, one, 7);
	assert_int_equal(sbc_msg_validate(&m), 0);
	m.type = SBC_CMD_DENY_DEL;
	assert_int_equal(sbc_msg_validate(&m), 0);
	((struct sbc_msg_deny *)m.body)->e[0].family = 5;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	((struct sbc_msg_deny *)m.body)->e[0].family = SBC_AF_V6;
	assert_int_equal(sbc_msg_validate(&m), 0);
	((struct sbc_msg_deny *)m.body)->n = 2;		/* more entries than len covers */
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	((struct sbc_msg_deny *)m.body)->n = SBC_DENY_PER_MSG + 1;
	m.len = sizeof(d);
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	/* the sync markers: header only */
	memset(&d, 0, sizeof(d));
	sbc_msg_init(&m, SBC_CMD_DENY_SYNC_BEGIN, &d, offsetof(struct sbc_msg_deny, e), 8);
	assert_int_equal(sbc_msg_validate(&m), 0);
	m.type = SBC_CMD_DENY_SYNC_END;
	assert_int_equal(sbc_msg_validate(&m), 0);
	((struct sbc_msg_deny *)m.body)->n = 1;
	m.len = one;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	m.len = 4;	/* shorter than the header */
	m.type = SBC_CMD_DENY_ADD;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
}

/* Media sessions (layout 7): even local ports, a remote port unless latching, known families,
 * flags and suites; the refs and stats of fixed size. */
static void media_messages(void **state)
{
	struct sbc_msg m;
	struct sbc_msg_media s;
	struct sbc_msg_media_ref r = { .session = 9, .seq = 2, .error = 0 };
	struct sbc_msg_media_stats st;
	struct sbc_msg_media *b = (struct sbc_msg_media *)m.body;

	(void)state;
	assert_true(SBC_CHAN_VERSION >= 7);
	memset(&s, 0, sizeof(s));
	s.session = 9;
	s.leg[0] = (struct sbc_media_leg){ .family = SBC_AF_V4, .local_port = 20000,
					   .remote_port = 4000, .local_addr = { 198, 51, 100, 10 },
					   .remote_addr = { 192, 0, 2, 7 } };
	s.leg[1] = (struct sbc_media_leg){ .family = SBC_AF_V6, .local_port = 20002,
					   .flags = SBC_MEDIA_LATCH | SBC_MEDIA_RTCP_MUX,
					   .srtp = SBC_SRTP_AEAD_AES_128_GCM };
	sbc_msg_init(&m, SBC_CMD_MEDIA_SET, &s, sizeof(s), 1);
	assert_int_equal(sbc_msg_validate(&m), 0);
	b->leg[0].local_port = 20001;			/* odd: RTCP's */
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	b->leg[0].local_port = 20000;
	b->leg[0].remote_port = 0;			/* no remote and no latching */
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	b->leg[0].remote_port = 4000;
	b->leg[1].family = 5;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	b->leg[1].family = SBC_AF_V6;
	b->leg[1].srtp = SBC_SRTP_MAX;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	b->leg[1].srtp = SBC_SRTP_NONE;
	b->leg[1].flags = 0x80;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	b->leg[1].flags = SBC_MEDIA_LATCH;
	assert_int_equal(sbc_msg_validate(&m), 0);
	m.len--;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);

	sbc_msg_init(&m, SBC_CMD_MEDIA_DEL, &r, sizeof(r), 2);
	assert_int_equal(sbc_msg_validate(&m), 0);
	m.type = SBC_EVT_MEDIA_READY;
	assert_int_equal(sbc_msg_validate(&m), 0);
	m.len = 8;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);
	sbc_msg_init(&m, SBC_CMD_MEDIA_FLUSH, NULL, 0, 3);
	assert_int_equal(sbc_msg_validate(&m), 0);

	memset(&st, 0, sizeof(st));
	st.reason = SBC_MEDIA_END_TIMEOUT;
	sbc_msg_init(&m, SBC_EVT_MEDIA_TIMEOUT, &st, sizeof(st), 4);
	assert_int_equal(sbc_msg_validate(&m), 0);
	m.type = SBC_EVT_MEDIA_GONE;
	assert_int_equal(sbc_msg_validate(&m), 0);
	((struct sbc_msg_media_stats *)m.body)->reason = SBC_MEDIA_END_MAX;
	assert_int_equal(sbc_msg_validate(&m), -EBADMSG);

	assert_int_equal(sbc_srtp_key_len(SBC_SRTP_AES_CM_128_HMAC_SHA1_80), 30);
	assert_int_equal(sbc_srtp_key_len(SBC_SRTP_AEAD_AES_128_GCM), 28);
	assert_int_equal(sbc_srtp_key_len(SBC_SRTP_NONE), 0);
	assert_string_equal(sbc_srtp_suite_names[SBC_SRTP_AES_CM_128_HMAC_SHA1_32],
			    "AES_CM_128_HMAC_SHA1_32");
}

static void shm_create_attach(void **state)
{
	struct sbc_channel dp, cp, cp2;
	char name[64], err[256];
	struct sbc_msg m, got;

	(void)state;
	snprintf(name, sizeof(name), "/sbc-unit-%d", (int)getpid());
	assert_int_equal(sbc_chan_attach(&cp, name, 7, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "is sbc-dataplane running?"));

	assert_int_equal(sbc_chan_create(&dp, name, 1111, err, sizeof(err)), 0);
	assert_int_equal(sbc_chan_peer_age_ms(&dp), UINT64_MAX);
	assert_int_equal(sbc_chan_attach(&cp, name, 2222, err, sizeof(err)), 0);
	assert_int_equal(sbc_chan_peer_boot_id(&cp), 1111);
	assert_int_equal(sbc_chan_peer_boot_id(&dp), 2222);
	assert_true(sbc_chan_peer_age_ms(&dp) < 1000);

	m = limits(42);
	assert_int_equal(sbc_ring_send(cp.h, &cp.h->cmd, &m), 0);
	assert_int_equal(sbc_ring_recv(dp.h, &dp.h->cmd, &got), 1);	/* another mapping */
	assert_int_equal(got.generation, 42);

	/* a restarted data plane re-creates: new boot id, empty rings, the CP's side kept */
	m = limits(43);
	assert_int_equal(sbc_ring_send(cp.h, &cp.h->cmd, &m), 0);
	sbc_chan_close(&dp, false);
	assert_int_equal(sbc_chan_create(&dp, name, 3333, err, sizeof(err)), 0);
	assert_int_equal(sbc_chan_peer_boot_id(&cp), 3333);
	assert_int_equal(sbc_chan_peer_boot_id(&dp), 2222);
	assert_int_equal(sbc_ring_depth(&dp.h->cmd), 0);

	/* a region from another layout version is refused by attach */
	dp.h->version = 99;
	assert_int_equal(sbc_chan_attach(&cp2, name, 4444, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "refusing channel"));
	assert_non_null(strstr(err, "version"));

	sbc_chan_close(&cp, false);
	sbc_chan_close(&dp, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout_refusal),
		cmocka_unit_test(wrap_and_full),
		cmocka_unit_test(validation),
		cmocka_unit_test(call_end_reasons),
		cmocka_unit_test(deny_messages),
		cmocka_unit_test(admit_messages),
		cmocka_unit_test(media_messages),
		cmocka_unit_test(shm_create_attach),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
