/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the media path's arithmetic (dataplane/dp_rtp.c): RTP sequence tracking, loss
 * and reordering (RFC 3550 A.1, A.3) including wraps, duplicates and a sender restart; the
 * interarrival jitter (A.8) against figures worked by hand; the first report block of RTCP SR
 * and RR and malformed ones refused; the incremental checksum update (RFC 1624) against a full
 * recomputation, for IPv4 and across families; the 8 kHz payload types.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "dp_parse.h"
#include "dp_rtp.h"

static void feed(struct dp_rtp_seq *s, const uint16_t *seq, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dp_rtp_seq_update(s, seq[i]);
}

/* A fresh tracker fed seq[0..n) and checked: received, lost (A.3) and reordered. */
static struct dp_rtp_seq check_seq(const uint16_t *seq, size_t n, uint32_t received,
				   uint32_t lost, uint32_t reordered)
{
	struct dp_rtp_seq s = { 0 };

	feed(&s, seq, n);
	assert_int_equal(s.received, received);
	assert_int_equal(dp_rtp_lost(&s), lost);
	assert_int_equal(s.reordered, reordered);
	return s;
}

static void seq_in_order(void **state)
{
	uint16_t v[50];

	(void)state;
	for (int i = 0; i < 50; i++)
		v[i] = (uint16_t)(1000 + i);
	check_seq(v, 50, 50, 0, 0);
}

static void seq_loss_and_reorder(void **state)
{
	static const uint16_t v[] = { 1, 2, 4, 3, 5, 8, 8 };	/* 6, 7 lost; 3 late; 8 twice */

	(void)state;
	/* expected 8, received 7 (a duplicate counts as received: A.3's caveat) */
	check_seq(v, sizeof(v) / sizeof(v[0]), 7, 1, 2);
}

static void seq_wrap(void **state)
{
	static const uint16_t v[] = { 65533, 65534, 65535, 0, 2, 3 };	/* 1 lost over the wrap */
	struct dp_rtp_seq s;

	(void)state;
	s = check_seq(v, sizeof(v) / sizeof(v[0]), 6, 1, 0);
	assert_int_equal(s.cycles, 65536);
	assert_int_equal(s.max_seq, 3);
}

static void seq_restart(void **state)
{
	/* a jump beyond MAX_DROPOUT: the first is not counted, two in a row restart the count */
	static const uint16_t v[] = { 100, 101, 102, 30000, 30001, 30002 };
	struct dp_rtp_seq s;

	(void)state;
	s = check_seq(v, 4, 3, 0, 0);
	assert_int_equal(s.max_seq, 102);
	feed(&s, v + 4, 2);
	assert_int_equal(s.base_seq, 30001);
	assert_int_equal(s.received, 2);
	assert_int_equal(dp_rtp_lost(&s), 0);
}

static void jitter_hand_worked(void **state)
{
	struct dp_rtp_jitter j = { 0 };

	(void)state;
	/* 20 ms packets (160 ticks) on time: no jitter */
	for (uint32_t i = 0; i < 10; i++)
		dp_rtp_jitter_update(&j, 5000 + 160 * i, 7 + 160 * i);
	assert_int_equal(j.jitter_q4, 0);
	/* one packet 16 ticks (2 ms) late: D = 16, J = 0 + (16 - 0) / 16 = 1 tick */
	dp_rtp_jitter_update(&j, 5000 + 160 * 10 + 16, 7 + 160 * 10);
	assert_int_equal(j.jitter_q4, 16);
	assert_int_equal(dp_rtp_jitter_us(&j), 125);
	/* the next on time again: D = 16, J = 16 + 16 - (16 + 8) / 16 = 31 (q4) */
	dp_rtp_jitter_update(&j, 5000 + 160 * 11, 7 + 160 * 11);
	assert_int_equal(j.jitter_q4, 31);
	/* arrival clock wrapping past 2^32 changes nothing */
	struct dp_rtp_jitter w = { 0 };

	dp_rtp_jitter_update(&w, UINT32_MAX - 100, 0);
	dp_rtp_jitter_update(&w, UINT32_MAX - 100 + 160, 160);
	assert_int_equal(w.jitter_q4, 0);
}

/* Timestamps far from the arrival clock (found by fuzz_worker: a step of exactly 2^31 was a
 * signed negation that overflowed): a step beyond a minute is a new timeline, not jitter, in
 * either direction, and the next packets count from it. */
static void jitter_timeline_jumps(void **state)
{
	static const uint32_t jumps[] = { 0x80000000u, 0x7fffffffu, 0x80000001u, 0xffffffffu - 600000,
					  600000, DP_RTP_MAX_TRANSIT_STEP + 1 };
	(void)state;
	for (size_t k = 0; k < sizeof(jumps) / sizeof(jumps[0]); k++) {
		struct dp_rtp_jitter j = { 0 };

		dp_rtp_jitter_update(&j, 1000, 0);
		dp_rtp_jitter_update(&j, 1160, 160);
		/* the timestamp jumps: D = -jump, beyond the limit in either direction */
		dp_rtp_jitter_update(&j, 1320, 320 + jumps[k]);
		assert_int_equal(j.jitter_q4, 0);
		/* and on time from there: still none */
		dp_rtp_jitter_update(&j, 1480, 480 + jumps[k]);
		assert_int_equal(j.jitter_q4, 0);
		/* 16 ticks late on the new timeline: J = 1 tick, as on the old one */
		dp_rtp_jitter_update(&j, 1656, 640 + jumps[k]);
		assert_int_equal(j.jitter_q4, 16);
	}
	/* the largest step counted: J = |D| / 16 on the first, no wrap however often */
	struct dp_rtp_jitter big = { 0 };

	dp_rtp_jitter_update(&big, 0, 0);
	for (uint32_t i = 1; i <= 1000; i++)
		dp_rtp_jitter_update(&big, DP_RTP_MAX_TRANSIT_STEP * (i & 1), 0);
	assert_true(big.jitter_q4 <= 16 * DP_RTP_MAX_TRANSIT_STEP);
	assert_true(big.jitter_q4 > 15 * DP_RTP_MAX_TRANSIT_STEP);
}

static void pt_clock(void **state)
{
	static const uint8_t yes[] = { 0, 3, 4, 5, 7, 8, 9, 12, 13, 15, 18 };
	static const uint8_t no[] = { 1, 2, 6, 10, 11, 14, 16, 17, 19, 26, 96, 101, 127 };

	(void)state;
	for (size_t i = 0; i < sizeof(yes); i++)
		assert_true(dp_rtp_pt_8khz(yes[i]));
	for (size_t i = 0; i < sizeof(no); i++)
		assert_false(dp_rtp_pt_8khz(no[i]));
}

/* Which packets count for jitter: static 8 kHz types with their timestamps as they are, the
 * one dynamic type the SDP gave a clock of k x 8 kHz with its timestamps divided by k, no
 * other type. */
static void jitter_by_type(void **state)
{
	struct dp_rtp_jitter a = { 0 }, b = { 0 };

	(void)state;
	/* Opus (111 at 48 kHz): 20 ms steps of 960, one packet 2 ms (16 ticks) late */
	for (uint32_t i = 0; i < 10; i++)
		dp_rtp_jitter_pt(&a, 5000 + 160 * i, 111, 42 + 960 * i, 111, 6);
	dp_rtp_jitter_pt(&a, 5000 + 160 * 10 + 16, 111, 42 + 960 * 10, 111, 6);
	/* the same through PCMA (8 kHz): the same figure */
	for (uint32_t i = 0; i < 10; i++)
		dp_rtp_jitter_pt(&b, 5000 + 160 * i, 8, 7 + 160 * i, 111, 6);
	dp_rtp_jitter_pt(&b, 5000 + 160 * 10 + 16, 8, 7 + 160 * 10, 111, 6);
	assert_int_equal(dp_rtp_jitter_us(&a), 125);
	assert_int_equal(a.jitter_q4, b.jitter_q4);
	/* another dynamic type, a type with no clock given, or none given: not counted */
	dp_rtp_jitter_pt(&a, 999999, 101, 1, 111, 6);
	dp_rtp_jitter_pt(&a, 999999, 111, 1, 111, 0);
	dp_rtp_jitter_pt(&a, 999999, 97, 1, 0, 0);
	assert_int_equal(a.jitter_q4, b.jitter_q4);
	assert_int_equal(a.transit, b.transit);
}

static size_t put_block(uint8_t *b, uint8_t fraction, int32_t lost, uint32_t jitter)
{
	uint32_t v;

	memset(b, 0, 24);
	b[4] = fraction;
	b[5] = (uint8_t)((uint32_t)lost >> 16);
	b[6] = (uint8_t)((uint32_t)lost >> 8);
	b[7] = (uint8_t)lost;
	v = htonl(jitter);
	memcpy(b + 12, &v, 4);
	return 24;
}

static void rtcp_reports(void **state)
{
	uint8_t rr[32] = { 0x81, 201, 0, 7 }, sr[52] = { 0x81, 200, 0, 12 };
	struct dp_rtcp_rr out;

	(void)state;
	put_block(rr + 8, 25, 7, 80);
	assert_true(dp_rtcp_first_rr(rr, sizeof(rr), &out));
	assert_int_equal(out.fraction, 25);
	assert_int_equal(out.cumulative, 7);
	assert_int_equal(out.jitter, 80);
	put_block(sr + 28, 255, -3, 4000);	/* 24-bit signed: duplicates can make it negative */
	assert_true(dp_rtcp_first_rr(sr, sizeof(sr), &out));
	assert_int_equal(out.fraction, 255);
	assert_int_equal(out.cumulative, -3);
	assert_int_equal(out.jitter, 4000);
	/* refused: cut short, length beyond the datagram, no block, not SR/RR, version 1 */
	assert_false(dp_rtcp_first_rr(rr, 31, &out));
	rr[3] = 9;
	assert_false(dp_rtcp_first_rr(rr, sizeof(rr), &out));
	rr[3] = 7;
	rr[0] = 0x80;
	assert_false(dp_rtcp_first_rr(rr, sizeof(rr), &out));
	rr[0] = 0x81;
	rr[1] = 202;
	assert_false(dp_rtcp_first_rr(rr, sizeof(rr), &out));
	rr[1] = 201;
	rr[0] = 0x41;
	assert_false(dp_rtcp_first_rr(rr, sizeof(rr), &out));
	/* RTCP on a muxed port is told from RTP by the packet type (RFC 5761 4) */
	assert_true(dp_rtp_is_rtcp(sr, sizeof(sr)));
	assert_false(dp_rtp_is_rtcp((const uint8_t[]){ 0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 },
				    12));
	assert_false(dp_rtp_is_rtcp((const uint8_t[]){ 0x80, 0xe0, 0, 1, 0, 0, 0, 0 }, 8));
}

/* The UDP checksum over pseudo-header + header + payload, as a sender computes it. */
static uint16_t udp_full(const uint8_t *src, const uint8_t *dst, unsigned int alen,
			 uint8_t *udp, uint16_t ulen)
{
	uint32_t sum = dp_csum_partial(src, alen, 0);
	uint16_t c;

	sum = dp_csum_partial(dst, alen, sum) + ulen + DP_PROTO_UDP;
	udp[6] = udp[7] = 0;
	c = dp_csum_fold(dp_csum_partial(udp, ulen, sum));
	return htons(c == 0 ? 0xffff : c);
}

static void csum_replace_matches_full(void **state)
{
	uint8_t udp[8 + 172], old[36], neu[36];
	uint8_t a4[2][4], a6[2][16];
	uint16_t ulen = sizeof(udp), c, want;

	(void)state;
	srand(7);
	for (int round = 0; round < 2000; round++) {
		for (size_t i = 0; i < sizeof(udp); i++)
			udp[i] = (uint8_t)rand();
		for (int k = 0; k < 2; k++) {
			for (int i = 0; i < 4; i++)
				a4[k][i] = (uint8_t)rand();
			for (int i = 0; i < 16; i++)
				a6[k][i] = (uint8_t)rand();
		}
		udp[4] = (uint8_t)(ulen >> 8);
		udp[5] = (uint8_t)ulen;
		c = udp_full(a4[0], a4[1], 4, udp, ulen);
		memcpy(old, a4[0], 4);
		memcpy(old + 4, a4[1], 4);
		memcpy(old + 8, udp, 4);
		/* new ports, and either IPv4 addresses or IPv6 ones (a bridged leg) */
		udp[0] = (uint8_t)rand();
		udp[3] = (uint8_t)rand();
		if (round & 1) {
			memcpy(neu, a6[0], 16);
			memcpy(neu + 16, a6[1], 16);
			memcpy(neu + 32, udp, 4);
			want = udp_full(a6[0], a6[1], 16, udp, ulen);
			c = dp_csum_replace(c, old, 12, neu, 36);
			assert_int_equal(c == 0 ? htons(0xffff) : c, want);
		} else {
			memcpy(neu, a4[1], 4);
			memcpy(neu + 4, a4[0], 4);
			memcpy(neu + 8, udp, 4);
			want = udp_full(a4[1], a4[0], 4, udp, ulen);
			c = dp_csum_replace(c, old, 12, neu, 12);
			assert_int_equal(c == 0 ? htons(0xffff) : c, want);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seq_in_order),
		cmocka_unit_test(seq_loss_and_reorder),
		cmocka_unit_test(seq_wrap),
		cmocka_unit_test(seq_restart),
		cmocka_unit_test(jitter_hand_worked),
		cmocka_unit_test(jitter_timeline_jumps),
		cmocka_unit_test(pt_clock),
		cmocka_unit_test(jitter_by_type),
		cmocka_unit_test(rtcp_reports),
		cmocka_unit_test(csum_replace_matches_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
