/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_srtp (dataplane/dp_srtp.[ch]) against known answers and its drop reasons: libsrtp2's own
 * reference packets for AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM (RTP and RTCP), the _32
 * suite from the same vector (RFC 3711 4.2: the tag is the HMAC truncated), a wrong tag and a
 * replayed packet refused, the replay window's edges, the rollover counter across a sequence
 * wrap, protect -> unprotect for every suite with RTP and RTCP, room and malformed checks, one
 * worker per context half (claims, also racing).
 * No EAL: dp_srtp is free of DPDK.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sbc_channel.h"
#include "dp_srtp.h"

/*
 * Test vector DATA (not code) from libsrtp2 2.5.0, test/srtp_driver.c (Debian source package
 * libsrtp2 2.5.0-3): test_key (its first 30 bytes: master key + salt, the default policy's),
 * srtp_validate()'s srtp_plaintext_ref / srtp_ciphertext / rtcp_plaintext_ref /
 * srtcp_ciphertext, and test_key_gcm with srtp_validate_gcm()'s packets. SSRC 0xcafebabe,
 * sequence 0x1234, ROC 0, SRTCP index 1.
 */
static const uint8_t kat_key_cm[30] = {
	0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39,
	0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};
static const uint8_t kat_key_gcm[28] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
};
static const uint8_t kat_rtp[28] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab, 0xab, 0xab,
	0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
static const uint8_t kat_rtcp[24] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
	0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
static const uint8_t kat_srtp_cm80[38] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e, 0x55, 0xdc, 0x4c,
	0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc,
	0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb,
};
static const uint8_t kat_srtcp_cm80[38] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28, 0x03, 0x5b, 0xe4, 0x87, 0xb9, 0xbd,
	0xbe, 0xf8, 0x90, 0x41, 0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00, 0x00, 0x01, 0x99, 0x3e, 0x08, 0xcd,
	0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98,
};
static const uint8_t kat_srtp_gcm[44] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xc5, 0x00, 0x2e, 0xde,
	0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97, 0x68, 0x26,
	0xf7, 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92,
};
static const uint8_t kat_srtcp_gcm[44] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xc9, 0x8b, 0x8b, 0x5d, 0xf0, 0x39, 0x2a, 0x55,
	0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e, 0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3, 0xb4, 0x46,
	0xea, 0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01,
};

struct kat {
	unsigned int suite;
	const uint8_t *key;
	const uint8_t *plain;	/* kat_rtp or kat_rtcp */
	uint32_t plain_len;
	const uint8_t *cipher;
	uint32_t cipher_len;
	bool rtcp;
};

static struct dp_srtp_ctx *ctx(unsigned int suite, const uint8_t *key, bool inbound)
{
	struct dp_srtp_ctx *c = NULL;
	char err[128];

	assert_int_equal(dp_srtp_ctx_new(&c, suite, key, inbound, err, sizeof(err)), 0);
	assert_non_null(c);
	return c;
}

/* protect the plain packet: the reference bytes; unprotect those: the plain packet again */
static void check_kat(const struct kat *k)
{
	struct dp_srtp_ctx *tx = ctx(k->suite, k->key, false), *rx = ctx(k->suite, k->key, true);
	uint8_t buf[64] = {0};
	uint32_t len = k->plain_len;

	memcpy(buf, k->plain, k->plain_len);
	assert_int_equal(dp_srtp_protect(tx, buf, &len, sizeof(buf), k->rtcp), DP_SRTP_OK);
	assert_int_equal(len, k->cipher_len);
	assert_int_equal(len - k->plain_len, dp_srtp_trailer(tx, k->rtcp));
	assert_memory_equal(buf, k->cipher, k->cipher_len);

	memset(buf, 0, sizeof(buf));
	memcpy(buf, k->cipher, k->cipher_len);
	len = k->cipher_len;
	assert_int_equal(dp_srtp_unprotect(rx, buf, &len, k->rtcp), DP_SRTP_OK);
	assert_int_equal(len, k->plain_len);
	assert_memory_equal(buf, k->plain, k->plain_len);
	dp_srtp_ctx_free(tx);
	dp_srtp_ctx_free(rx);
}

static void kat_cm80_rtp(void **state)
{
	(void)state;
	check_kat(&(struct kat){SBC_SRTP_AES_CM_128_HMAC_SHA1_80, kat_key_cm, kat_rtp, 28,
				kat_srtp_cm80, 38, false});
}

static void kat_cm80_rtcp(void **state)
{
	(void)state;
	check_kat(&(struct kat){SBC_SRTP_AES_CM_128_HMAC_SHA1_80, kat_key_cm, kat_rtcp, 24,
				kat_srtcp_cm80, 38, true});
}

/* _32: same key stream and HMAC as _80, tag cut to 4 bytes (RFC 3711 4.2); SRTCP keeps the
 * 80-bit tag (RFC 4568 6.2.1), so its reference is _80's */
static void kat_cm32(void **state)
{
	uint8_t ref[32];

	(void)state;
	memcpy(ref, kat_srtp_cm80, sizeof(ref));
	check_kat(&(struct kat){SBC_SRTP_AES_CM_128_HMAC_SHA1_32, kat_key_cm, kat_rtp, 28, ref, 32,
				false});
	check_kat(&(struct kat){SBC_SRTP_AES_CM_128_HMAC_SHA1_32, kat_key_cm, kat_rtcp, 24,
				kat_srtcp_cm80, 38, true});
}

static void kat_gcm(void **state)
{
	(void)state;
	check_kat(&(struct kat){SBC_SRTP_AEAD_AES_128_GCM, kat_key_gcm, kat_rtp, 28, kat_srtp_gcm, 44,
				false});
	check_kat(&(struct kat){SBC_SRTP_AEAD_AES_128_GCM, kat_key_gcm, kat_rtcp, 24, kat_srtcp_gcm, 44,
				true});
}

/* The reference packets as received: RTP and SRTCP of both reference keys */
static const struct {
	unsigned int suite;
	const uint8_t *key, *pkt;
	uint32_t len;
	bool rtcp;
} cases[] = {
	{SBC_SRTP_AES_CM_128_HMAC_SHA1_80, kat_key_cm, kat_srtp_cm80, 38, false},
	{SBC_SRTP_AES_CM_128_HMAC_SHA1_80, kat_key_cm, kat_srtcp_cm80, 38, true},
	{SBC_SRTP_AEAD_AES_128_GCM, kat_key_gcm, kat_srtp_gcm, 44, false},
	{SBC_SRTP_AEAD_AES_128_GCM, kat_key_gcm, kat_srtcp_gcm, 44, true},
};

/* Every bit of the tag, and one in the header and the payload, flipped: refused as auth; the
 * replay window did not move (the genuine packet is still accepted after the forgeries). */
static void bad_tag_dropped(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dp_srtp_ctx *rx = ctx(cases[i].suite, cases[i].key, true);
		uint32_t tag = dp_srtp_trailer(rx, cases[i].rtcp) - (cases[i].rtcp ? 4 : 0);
		uint8_t buf[64];
		uint32_t len;
		/* bits of the tag, then a payload bit and a header bit (the sequence number's) */
		uint32_t n_bits = tag * 8 + 2;

		for (uint32_t b = 0; b < n_bits; b++) {
			uint32_t byte = b < tag * 8 ? cases[i].len - tag + b / 8 : (b == tag * 8 ? 14 : 3);

			memcpy(buf, cases[i].pkt, cases[i].len);
			buf[byte] ^= (uint8_t)(1u << (b % 8));
			len = cases[i].len;
			assert_int_equal(dp_srtp_unprotect(rx, buf, &len, cases[i].rtcp), DP_SRTP_AUTH);
		}
		memcpy(buf, cases[i].pkt, cases[i].len);
		len = cases[i].len;
		assert_int_equal(dp_srtp_unprotect(rx, buf, &len, cases[i].rtcp), DP_SRTP_OK);
		dp_srtp_ctx_free(rx);
	}
}

/* The reference packet twice: the second is a replay (RTP and SRTCP, both suites) */
static void replay_dropped(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dp_srtp_ctx *rx = ctx(cases[i].suite, cases[i].key, true);
		uint8_t buf[64];
		uint32_t len;

		for (int round = 0; round < 2; round++) {
			memcpy(buf, cases[i].pkt, cases[i].len);
			len = cases[i].len;
			assert_int_equal(dp_srtp_unprotect(rx, buf, &len, cases[i].rtcp),
					 round == 0 ? DP_SRTP_OK : DP_SRTP_REPLAY);
		}
		dp_srtp_ctx_free(rx);
	}
}

/* An RTP packet of 160 bytes of payload: version 2, PT 0 (PCMU) */
static uint32_t make_rtp(uint8_t *p, uint32_t ssrc, uint16_t seq, uint8_t fill)
{
	p[0] = 0x80;
	p[1] = 0x00;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	for (int i = 0; i < 4; i++) {
		p[4 + i] = (uint8_t)((seq * 160u) >> (24 - 8 * i));
		p[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	}
	memset(p + 12, fill, 160);
	return 172;
}

/* An RTCP receiver report (PT 201) with one report block: 32 bytes */
static uint32_t make_rtcp(uint8_t *p, uint32_t ssrc, uint8_t fill)
{
	p[0] = 0x81;
	p[1] = 201;
	p[2] = 0;
	p[3] = 7;
	for (int i = 0; i < 4; i++)
		p[4 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	memset(p + 8, fill, 24);
	return 32;
}

/* Window edges: 128 packets back is still accepted once, further back is refused; a packet
 * ahead after a gap is accepted and the gap's packets still are (reordering). */
static void replay_window(void **state)
{
	static const uint8_t key[30] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};
	struct dp_srtp_ctx *tx = ctx(SBC_SRTP_AES_CM_128_HMAC_SHA1_80, key, false);
	struct dp_srtp_ctx *rx = ctx(SBC_SRTP_AES_CM_128_HMAC_SHA1_80, key, true);
	static uint8_t pk[400][200];
	static uint32_t pl[400];
	uint8_t buf[200];
	uint32_t len;

	(void)state;
	for (int i = 0; i < 400; i++) {
		pl[i] = make_rtp(pk[i], 0x11223344, (uint16_t)(1000 + i), (uint8_t)i);
		assert_int_equal(dp_srtp_protect(tx, pk[i], &pl[i], sizeof(pk[i]), false), 0);
	}
	/* 300 first (a jump ahead), then 300 - 127 (inside the 128-packet window), then 300 - 200
	 * (behind it), then 299 (reordered, unseen), then 299 again (seen) */
	static const struct {
		int idx;
		int want;
	} order[] = {{0, DP_SRTP_OK}, {300, DP_SRTP_OK}, {173, DP_SRTP_OK}, {173, DP_SRTP_REPLAY},
		     {100, DP_SRTP_REPLAY}, {299, DP_SRTP_OK}, {299, DP_SRTP_REPLAY},
		     {301, DP_SRTP_OK}, {0, DP_SRTP_REPLAY}};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		memcpy(buf, pk[order[i].idx], pl[order[i].idx]);
		len = pl[order[i].idx];
		assert_int_equal(dp_srtp_unprotect(rx, buf, &len, false), order[i].want);
	}
	dp_srtp_ctx_free(tx);
	dp_srtp_ctx_free(rx);
}

/* protect -> unprotect for every suite, RTP across a sequence wrap (the rollover counter moves
 * on both sides), two SSRCs, and RTCP; the plain packets come back byte for byte. A context of
 * another key refuses them (auth). */
static void round_trip_all_suites(void **state)
{
	(void)state;
	for (unsigned int s = SBC_SRTP_NONE + 1; s < SBC_SRTP_MAX; s++) {
		uint8_t key[SBC_SRTP_KEY_MAX], other[SBC_SRTP_KEY_MAX];

		for (unsigned int i = 0; i < sizeof(key); i++) {
			key[i] = (uint8_t)(i * 7 + s);
			other[i] = (uint8_t)(i * 7 + s + 1);
		}
		struct dp_srtp_ctx *tx = ctx(s, key, false), *rx = ctx(s, key, true);
		struct dp_srtp_ctx *wrong = ctx(s, other, true);

		for (unsigned int n = 0; n < 300; n++) {
			uint8_t plain[200], buf[200], copy[200];
			uint32_t ssrc = n % 2 ? 0x01020304 : 0xa0b0c0d0;
			bool rtcp = n % 10 == 9;
			uint32_t plen = rtcp ? make_rtcp(plain, ssrc, (uint8_t)n)
					     : make_rtp(plain, ssrc, (uint16_t)(65400 + n / 2), (uint8_t)n);
			uint32_t len = plen, clen;

			memcpy(buf, plain, plen);
			assert_int_equal(dp_srtp_protect(tx, buf, &len, sizeof(buf), rtcp), DP_SRTP_OK);
			assert_int_equal(len, plen + dp_srtp_trailer(tx, rtcp));
			assert_memory_not_equal(buf + 12, plain + 12, 16);	/* encrypted */
			clen = len;
			memcpy(copy, buf, clen);
			assert_int_equal(dp_srtp_unprotect(wrong, copy, &clen, rtcp), DP_SRTP_AUTH);
			assert_int_equal(dp_srtp_unprotect(rx, buf, &len, rtcp), DP_SRTP_OK);
			assert_int_equal(len, plen);
			assert_memory_equal(buf, plain, plen);
		}
		dp_srtp_ctx_free(tx);
		dp_srtp_ctx_free(rx);
		dp_srtp_ctx_free(wrong);
	}
}

/* Protect refuses what has no room for the tag (nothing written), what is not RTP v2, and the
 * same index twice (key stream reuse); unprotect refuses what is shorter than header + tag. */
static void room_and_malformed(void **state)
{
	struct dp_srtp_ctx *tx = ctx(SBC_SRTP_AES_CM_128_HMAC_SHA1_80, kat_key_cm, false);
	struct dp_srtp_ctx *rx = ctx(SBC_SRTP_AES_CM_128_HMAC_SHA1_80, kat_key_cm, true);
	uint8_t buf[64], before[64];
	uint32_t len;

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	memcpy(buf, kat_rtp, 28);
	memcpy(before, buf, sizeof(buf));
	len = 28;
	assert_int_equal(dp_srtp_protect(tx, buf, &len, 28 + 9, false), DP_SRTP_ROOM);
	assert_int_equal(len, 28);
	assert_memory_equal(buf, before, sizeof(buf));
	assert_int_equal(dp_srtp_protect(tx, buf, &len, 20, false), DP_SRTP_ROOM);
	buf[0] = 0x40;	/* version 1 */
	assert_int_equal(dp_srtp_protect(tx, buf, &len, sizeof(buf), false), DP_SRTP_MALFORMED);
	buf[0] = 0x80;
	len = 8;
	assert_int_equal(dp_srtp_protect(tx, buf, &len, sizeof(buf), false), DP_SRTP_MALFORMED);
	len = 28;
	assert_int_equal(dp_srtp_protect(tx, buf, &len, 28 + 10, false), DP_SRTP_OK);
	assert_memory_equal(buf, kat_srtp_cm80, 38);
	memcpy(buf, kat_rtp, 28);
	len = 28;
	assert_int_equal(dp_srtp_protect(tx, buf, &len, sizeof(buf), false), DP_SRTP_REPLAY);

	/* unprotect: too short for header + tag, wrong version, CSRC count beyond the packet */
	memcpy(buf, kat_srtp_cm80, 38);
	len = 21;
	assert_int_equal(dp_srtp_unprotect(rx, buf, &len, false), DP_SRTP_MALFORMED);
	len = 0;
	assert_int_equal(dp_srtp_unprotect(rx, buf, &len, false), DP_SRTP_MALFORMED);
	len = 38;
	buf[0] = 0xc0;	/* version 3 */
	assert_int_equal(dp_srtp_unprotect(rx, buf, &len, false), DP_SRTP_MALFORMED);
	buf[0] = 0x8f;	/* 15 CSRCs: 72 bytes of header in 38 */
	assert_int_equal(dp_srtp_unprotect(rx, buf, &len, false), DP_SRTP_MALFORMED);
	memcpy(buf, kat_srtcp_cm80, 38);
	len = 21;
	assert_int_equal(dp_srtp_unprotect(rx, buf, &len, true), DP_SRTP_MALFORMED);
	dp_srtp_ctx_free(tx);
	dp_srtp_ctx_free(rx);
}

/* Each half has one owner: the first worker to claim it; RTP's and RTCP's independently; a
 * release hands both to the next claimer and keeps the replay state. */
static void claim_one_worker(void **state)
{
	struct dp_srtp_ctx *c = ctx(SBC_SRTP_AES_CM_128_HMAC_SHA1_80, kat_key_cm, true);

	(void)state;
	assert_true(dp_srtp_claim(c, false, 3));
	assert_true(dp_srtp_claim(c, false, 3));
	assert_false(dp_srtp_claim(c, false, 0));
	assert_false(dp_srtp_claim(c, false, 4));
	assert_true(dp_srtp_claim(c, true, 0));
	assert_false(dp_srtp_claim(c, true, 3));
	assert_true(dp_srtp_claim(c, true, 0));
	/* released (the leg's remote moved): the next worker claims both halves, and the window
	 * is kept (the reference packet, accepted once, is a replay after the release) */
	uint8_t buf[64];
	uint32_t len = 38;

	memcpy(buf, kat_srtp_cm80, 38);
	assert_int_equal(dp_srtp_unprotect(c, buf, &len, false), DP_SRTP_OK);
	dp_srtp_release(c);
	assert_true(dp_srtp_claim(c, false, 4));
	assert_false(dp_srtp_claim(c, false, 3));
	assert_true(dp_srtp_claim(c, true, 4));
	memcpy(buf, kat_srtp_cm80, 38);
	len = 38;
	assert_int_equal(dp_srtp_unprotect(c, buf, &len, false), DP_SRTP_REPLAY);
	dp_srtp_ctx_free(c);
}

struct claim_arg {
	struct dp_srtp_ctx *c;
	unsigned int worker;
	pthread_barrier_t *start;
	bool won;
};

static void *claim_thread(void *p)
{
	struct claim_arg *a = p;

	pthread_barrier_wait(a->start);
	a->won = dp_srtp_claim(a->c, false, a->worker);
	return NULL;
}

/* Two workers claiming a fresh half at the same moment: exactly one wins, 500 times. */
static void claim_race(void **state)
{
	(void)state;
	for (int round = 0; round < 500; round++) {
		struct dp_srtp_ctx *c = ctx(SBC_SRTP_AEAD_AES_128_GCM, kat_key_gcm, true);
		pthread_barrier_t start;
		struct claim_arg a[2] = {{c, 1, &start, false}, {c, 2, &start, false}};
		pthread_t t[2];

		pthread_barrier_init(&start, NULL, 2);
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&t[i], NULL, claim_thread, &a[i]), 0);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&start);
		assert_true(a[0].won != a[1].won);
		assert_true(dp_srtp_claim(c, false, a[0].won ? 1 : 2));
		dp_srtp_ctx_free(c);
	}
}

/* The fingerprint tells the same key from another, and the suite counts */
static void key_is(void **state)
{
	struct dp_srtp_ctx *c = ctx(SBC_SRTP_AES_CM_128_HMAC_SHA1_80, kat_key_cm, false);
	uint8_t other[30];

	(void)state;
	memcpy(other, kat_key_cm, 30);
	other[29] ^= 1;
	assert_true(dp_srtp_key_is(c, SBC_SRTP_AES_CM_128_HMAC_SHA1_80, kat_key_cm));
	assert_false(dp_srtp_key_is(c, SBC_SRTP_AES_CM_128_HMAC_SHA1_80, other));
	assert_false(dp_srtp_key_is(c, SBC_SRTP_AES_CM_128_HMAC_SHA1_32, kat_key_cm));
	assert_false(dp_srtp_key_is(NULL, SBC_SRTP_AES_CM_128_HMAC_SHA1_80, kat_key_cm));
	dp_srtp_ctx_free(c);
}

/* Unknown suites are refused with a message; NULL frees nothing */
static void bad_suite(void **state)
{
	struct dp_srtp_ctx *c = (struct dp_srtp_ctx *)1;
	char err[128] = "";

	(void)state;
	assert_int_equal(dp_srtp_ctx_new(&c, SBC_SRTP_NONE, kat_key_cm, true, err, sizeof(err)),
			 -EINVAL);
	assert_null(c);
	assert_non_null(strstr(err, "suite"));
	assert_int_equal(dp_srtp_ctx_new(&c, SBC_SRTP_MAX, kat_key_cm, false, err, sizeof(err)),
			 -EINVAL);
	dp_srtp_ctx_free(NULL);
	assert_string_equal(dp_srtp_result_name(DP_SRTP_AUTH), "auth");
	assert_string_equal(dp_srtp_result_name(DP_SRTP_REPLAY), "replay");
	assert_string_equal(dp_srtp_result_name(99), "?");
}

static int setup(void **state)
{
	(void)state;
	printf("libsrtp2: %s, %s crypto\n", dp_srtp_version(), dp_srtp_backend());
	return dp_srtp_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kat_cm80_rtp),
		cmocka_unit_test(kat_cm80_rtcp),
		cmocka_unit_test(kat_cm32),
		cmocka_unit_test(kat_gcm),
		cmocka_unit_test(bad_tag_dropped),
		cmocka_unit_test(replay_dropped),
		cmocka_unit_test(replay_window),
		cmocka_unit_test(round_trip_all_suites),
		cmocka_unit_test(room_and_malformed),
		cmocka_unit_test(claim_one_worker),
		cmocka_unit_test(claim_race),
		cmocka_unit_test(key_is),
		cmocka_unit_test(bad_suite),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
