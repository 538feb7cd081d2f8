/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The media table's SRTP contexts (dataplane/dp_media.c with dp_srtp): made at MEDIA_SET for
 * each direction from the right key (key_rx unprotects what the remote sends, key_tx protects
 * what it is sent), kept by a new version whose leg keeps remote and keys, replaced when a key
 * changes, the kept outbound context's owner released after the RCU wait when the other leg's
 * remote moved, everything freed with its version (the sanitizer build sees a leak or a double
 * free). EAL without hugepages (unit_eal.h); the test is the main lcore, no workers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "dp.h"
#include "dp_media.h"
#include "dp_srtp.h"
#include "unit_eal.h"

struct dp dp;	/* dp_media.c reads the data plane's clock */

static struct rte_rcu_qsbr *qsv;
static struct sbc_config cfg;
static int ready_errors, readies, gones;

static void on_event(uint16_t type, const void *body, uint32_t len)
{
	const struct sbc_msg_media_ref *r = body;

	(void)len;
	if (type == SBC_EVT_MEDIA_READY) {
		readies++;
		ready_errors += r->error != 0;
	} else if (type == SBC_EVT_MEDIA_GONE) {
		gones++;
	}
}

static void v4(uint8_t *a, const char *ip)
{
	memset(a, 0, 16);
	assert_int_equal(inet_pton(AF_INET, ip, a), 1);
}

static void fill(uint8_t *k, uint8_t base)
{
	for (unsigned int i = 0; i < SBC_SRTP_KEY_MAX; i++)
		k[i] = (uint8_t)(base + i);
}

/* Leg 0: SRTP AES_CM_80 to 198.51.100.20:40000 (keys from rx, tx); leg 1: plain to b. */
static struct sbc_msg_media msg(uint32_t seq, uint8_t rx, uint8_t tx, const char *b)
{
	struct sbc_msg_media m;

	memset(&m, 0, sizeof(m));
	m.session = 7;
	m.seq = seq;
	for (unsigned int l = 0; l < 2; l++) {
		m.leg[l].family = SBC_AF_V4;
		m.leg[l].local_port = (uint16_t)(20000 + 2 * l);
		m.leg[l].remote_port = (uint16_t)(40000 + 10000 * l);
		m.leg[l].remote_rtcp_port = (uint16_t)(m.leg[l].remote_port + 1);
		v4(m.leg[l].local_addr, "198.51.100.10");
	}
	v4(m.leg[0].remote_addr, "198.51.100.20");
	v4(m.leg[1].remote_addr, b);
	m.leg[0].srtp = SBC_SRTP_AES_CM_128_HMAC_SHA1_80;
	fill(m.leg[0].key_rx, rx);
	fill(m.leg[0].key_tx, tx);
	return m;
}

/* The live version of the session: the slot leg 0's RTP port leads to. */
static struct dp_media_session *live(void)
{
	/* [sbc] address (198.51.100.10): the first of the media table's local addresses */
	void *d;

	assert_true(dp_media_find(dp_media_local_addr4(), 20000, &d));
	return &dp_media_slots[DP_MEDIA_SLOT(d)];
}

static void set(const struct sbc_msg_media *m)
{
	char err[160];

	assert_int_equal(dp_media_set(m, 0, err, sizeof(err)), 0);
	dp_media_commit(on_event);
}

/* c protects with (or, inbound, unprotects what was protected with) the key from base. */
static void uses_key(struct dp_srtp_ctx *c, bool inbound, uint8_t base)
{
	uint8_t key[SBC_SRTP_KEY_MAX], pkt[64] = {0x80, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4};
	struct dp_srtp_ctx *peer;
	uint32_t len = 40;
	char err[128];

	fill(key, base);
	assert_int_equal(dp_srtp_ctx_new(&peer, SBC_SRTP_AES_CM_128_HMAC_SHA1_80, key, !inbound,
					 err, sizeof(err)), 0);
	assert_int_equal(dp_srtp_protect(inbound ? peer : c, pkt, &len, sizeof(pkt), false), 0);
	assert_int_equal(dp_srtp_unprotect(inbound ? c : peer, pkt, &len, false), 0);
	dp_srtp_ctx_free(peer);
}

static void contexts_follow_the_keys(void **state)
{
	struct sbc_msg_media m = msg(1, 0x10, 0x40, "198.51.100.30");
	struct dp_srtp_ctx *in, *out;
	struct dp_media_session *s;

	(void)state;
	set(&m);
	s = live();
	in = s->leg[0].srtp_in;
	out = s->leg[0].srtp_out;
	assert_non_null(in);
	assert_non_null(out);
	assert_null(s->leg[1].srtp_in);
	assert_null(s->leg[1].srtp_out);
	uses_key(in, true, 0x10);	/* key_rx unprotects what the remote sends */
	uses_key(out, false, 0x40);	/* key_tx protects what it is sent */

	/* a worker (1) relays leg 1's packets to leg 0: it owns leg 0's outbound RTP half */
	assert_true(dp_srtp_claim(out, false, 1));

	/* re-INVITE, nothing changed: the same contexts, same owner */
	m.seq = 2;
	set(&m);
	s = live();
	assert_ptr_equal(s->leg[0].srtp_in, in);
	assert_ptr_equal(s->leg[0].srtp_out, out);
	assert_false(dp_srtp_claim(out, false, 2));

	/* leg 1's remote moves: leg 0 keeps its contexts; its outbound one (driven by leg 1's
	 * packets) is released after the RCU wait, for the new 5-tuple's worker */
	m = msg(3, 0x10, 0x40, "198.51.100.31");
	set(&m);
	s = live();
	assert_ptr_equal(s->leg[0].srtp_in, in);
	assert_ptr_equal(s->leg[0].srtp_out, out);
	assert_true(dp_srtp_claim(out, false, 2));

	/* leg 0's key_tx changes: a new outbound context (and inbound: the leg is new) */
	m = msg(4, 0x10, 0x41, "198.51.100.31");
	set(&m);
	s = live();
	assert_non_null(s->leg[0].srtp_out);
	uses_key(s->leg[0].srtp_out, false, 0x41);
	uses_key(s->leg[0].srtp_in, true, 0x10);

	/* SRTP off on leg 0: no contexts */
	m = msg(5, 0x10, 0x41, "198.51.100.31");
	m.leg[0].srtp = SBC_SRTP_NONE;
	memset(m.leg[0].key_rx, 0, sizeof(m.leg[0].key_rx));
	memset(m.leg[0].key_tx, 0, sizeof(m.leg[0].key_tx));
	set(&m);
	s = live();
	assert_null(s->leg[0].srtp_in);
	assert_null(s->leg[0].srtp_out);

	/* on again, then gone */
	m = msg(6, 0x20, 0x50, "198.51.100.31");
	set(&m);
	uses_key(live()->leg[0].srtp_in, true, 0x20);
	dp_media_del(&(struct sbc_msg_media_ref){ .session = 7, .seq = 6 });
	dp_media_commit(on_event);
	assert_int_equal(readies, 6);
	assert_int_equal(ready_errors, 0);
	assert_int_equal(gones, 1);
}

/* Session 100 + i (version seq), plain RTP on ports 20000 + 4i and + 2, not yet committed. */
static void set_plain(uint32_t i, uint32_t seq)
{
	struct sbc_msg_media m = msg(seq, 0, 0, "198.51.100.30");
	char err[160];

	m.session = 100 + i;
	m.leg[0].srtp = SBC_SRTP_NONE;
	for (unsigned int l = 0; l < 2; l++)
		m.leg[l].local_port = (uint16_t)(20000 + 4 * i + 2 * l);
	if (dp_media_set(&m, 0, err, sizeof(err)) != 0)
		fail_msg("session %u: %s", i, err);
}

/* More removals between two commits than the deferred queue holds (PEND_MAX, 8,192): each
 * frees four keys, and the positions kept for the RCU wait must not overrun their array
 * (the sanitizer build sees an overrun). */
static void many_removals_between_commits(void **state)
{
	enum { N = 9000 };

	(void)state;
	for (uint32_t i = 0; i < N; i++)
		set_plain(i, 1);
	dp_media_commit(on_event);
	assert_int_equal(readies, N);
	for (uint32_t i = 0; i < N; i++)
		dp_media_del(&(struct sbc_msg_media_ref){ .session = 100 + i, .seq = 1 });
	dp_media_commit(on_event);
	assert_int_equal(gones, N);
	/* every key position came back: the same sessions install again */
	for (uint32_t i = 0; i < N; i++)
		set_plain(i, 2);
	dp_media_commit(on_event);
	assert_int_equal(readies, 2 * N);
}

/* A live SRTP session at exit: dp_media_free frees its contexts (LeakSanitizer checks). */
static void freed_at_exit(void **state)
{
	struct sbc_msg_media m = msg(1, 0x60, 0x70, "198.51.100.40");

	(void)state;
	m.session = 8;
	set(&m);
	assert_non_null(live()->leg[0].srtp_in);
}

static int setup(void **state)
{
	(void)state;
	readies = ready_errors = gones = 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.media_port_min = 20000;
	cfg.media_port_max = 57999;
	cfg.media_sessions = 9100;
	memcpy(cfg.address, (const uint8_t[]){ 198, 51, 100, 10 }, 4);
	dp.cfg = cfg;	/* MEDIA_SET checks local addresses and ports against the data plane's */
	return dp_media_create(&cfg, qsv, SOCKET_ID_ANY);
}

static int teardown(void **state)
{
	(void)state;
	dp_media_free();
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	return dp_srtp_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(contexts_follow_the_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(freed_at_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(many_removals_between_commits, setup, teardown),
	};

	return unit_eal_run("media_srtp", tests, sizeof(tests) / sizeof(tests[0]), group_setup,
			    NULL, &qsv);
}
