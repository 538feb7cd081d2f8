/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_srtp_crypto (dataplane/dp_srtp_crypto.c), the HMAC-SHA1 and AES-128-CM put in place of
 * libsrtp2's own in its OpenSSL build: RFC 2202's seven HMAC-SHA1 cases through libsrtp2's auth
 * interface (tags cut as SRTP cuts them), split updates (in up to dozens of pieces, every length
 * to 400 bytes) and restarts against OpenSSL's one-shot HMAC over random keys and messages, on
 * the SHA extensions and on OpenSSL's SHA-1 (the fallback); RFC 3711 B.2's AES-CM key stream, and random keys, IVs and
 * lengths against OpenSSL's EVP AES-128-CTR, in one call and in pieces; what both refuse. Then
 * whole packets: dp_srtp (with the replacements installed) protecting random RTP and RTCP for
 * both AES-CM suites across a sequence-number wrap, byte for byte equal to what Debian's NSS
 * libsrtp2 makes of them (tests/packet/srtp_ref, $SBC_SRTP_REF), and unprotecting that back.
 * No EAL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sbc_channel.h"
#include "dp_srtp.h"
#include "dp_srtp_crypto.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* ---- HMAC-SHA1 */

/* The tag of data under key through the auth type, data fed as start + update(first) +
 * compute(rest). */
static void hmac_tag(const uint8_t *key, int klen, const uint8_t *data, int dlen, int first,
		     int tag_len, uint8_t *tag)
{
	srtp_auth_t *a;

	assert_int_equal(dp_srtp_hmac_sha1.alloc(&a, klen, tag_len), srtp_err_status_ok);
	assert_ptr_equal(a->type, &dp_srtp_hmac_sha1);
	assert_int_equal(a->type->init(a->state, key, klen), srtp_err_status_ok);
	assert_int_equal(a->type->start(a->state), srtp_err_status_ok);
	assert_int_equal(a->type->update(a->state, data, first), srtp_err_status_ok);
	assert_int_equal(a->type->compute(a->state, data + first, dlen - first, tag_len, tag),
			 srtp_err_status_ok);
	assert_int_equal(a->type->dealloc(a), srtp_err_status_ok);
}

static void unhex(const char *h, uint8_t *out)
{
	for (size_t i = 0; h[2 * i]; i++) {
		unsigned int b;

		assert_int_equal(sscanf(h + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
}

/* RFC 2202 3: test cases 1-7 (6 and 7: an 80-byte key, hashed first) */
static void rfc2202(void **state)
{
	static const struct {
		uint8_t kbyte;
		int klen;
		const char *data;
		uint8_t dbyte;
		int dlen;
		const char *digest;
	} c[] = {
		{ 0x0b, 20, "Hi There", 0, 8, "b617318655057264e28bc0b6fb378c8ef146be00" },
		{ 0, 4, "what do ya want for nothing?", 0, 28,
		  "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
		{ 0xaa, 20, NULL, 0xdd, 50, "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
		{ 1, 25, NULL, 0xcd, 50, "4c9007f4026250c6bc8414f9bf50c86c2d7235da" },
		{ 0x0c, 20, "Test With Truncation", 0, 20,
		  "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04" },
		{ 0xaa, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 0, 54,
		  "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
		{ 0xaa, 80, "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
		  0, 73, "e8e99d0f45237d786d6bbaa7965c7808bbff1a91" },
	};
	uint8_t key[80], data[80], want[20], tag[20];

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (i == 1)
			memcpy(key, "Jefe", 4);
		else if (i == 3)	/* 0x01 .. 0x19 */
			for (int k = 0; k < 25; k++)
				key[k] = (uint8_t)(k + 1);
		else
			memset(key, c[i].kbyte, (size_t)c[i].klen);
		if (c[i].data != NULL)
			memcpy(data, c[i].data, (size_t)c[i].dlen);
		else
			memset(data, c[i].dbyte, (size_t)c[i].dlen);
		unhex(c[i].digest, want);
		hmac_tag(key, c[i].klen, data, c[i].dlen, 0, 20, tag);
		assert_memory_equal(tag, want, 20);
		/* SRTP's cuts (RFC 3711 4.2.1): 80 and 32 bits, the digest's first octets */
		memset(tag, 0, sizeof(tag));
		hmac_tag(key, c[i].klen, data, c[i].dlen, c[i].dlen / 2, 10, tag);
		assert_memory_equal(tag, want, 10);
		assert_int_equal(tag[10], 0);
		hmac_tag(key, c[i].klen, data, c[i].dlen, c[i].dlen, 4, tag);
		assert_memory_equal(tag, want, 4);
	}
}

/* Random keys (0-100 bytes) and messages (0-600), split at random, against OpenSSL's HMAC(); the
 * same state restarted gives the same tag again, and re-keyed the new key's. */
/* The tag of data fed in random pieces (update after update, an empty one now and then). */
static void hmac_tag_pieces(srtp_auth_t *a, const uint8_t *data, int dlen, int tag_len,
			    uint8_t *tag)
{
	int at = 0;

	assert_int_equal(a->type->start(a->state), srtp_err_status_ok);
	while (dlen - at > 0 && rnd() % 4 != 0) {
		int n = (int)(rnd() % (unsigned int)(dlen - at + 1));

		if (rnd() % 3 == 0)	/* across a block's end by a few bytes */
			n = n % 70;
		assert_int_equal(a->type->update(a->state, data + at, n), srtp_err_status_ok);
		at += n;
	}
	assert_int_equal(a->type->compute(a->state, data + at, dlen - at, tag_len, tag),
			 srtp_err_status_ok);
}

/* Pieces of every length around the padding's edges (55-57, 63-65 bytes in the last block),
 * both SHA-1s, against OpenSSL's HMAC. */
static void hmac_pieces(void **state)
{
	uint8_t key[20], msg[400], tag[20], want[20];
	unsigned int wlen;
	srtp_auth_t *a;

	(void)state;
	for (int ni = 0; ni < 2; ni++) {
		if (dp_srtp_crypto_sha_ni(ni == 0) != (ni == 0))
			continue;	/* no SHA extensions here: the OpenSSL half only */
		assert_int_equal(dp_srtp_hmac_sha1.alloc(&a, 20, 20), srtp_err_status_ok);
		for (int mlen = 0; mlen < (int)sizeof(msg); mlen++) {
			rnd_bytes(key, sizeof(key));
			rnd_bytes(msg, (size_t)mlen);
			assert_int_equal(a->type->init(a->state, key, 20), srtp_err_status_ok);
			for (int k = 0; k < 4; k++) {
				hmac_tag_pieces(a, msg, mlen, 20, tag);
				HMAC(EVP_sha1(), key, 20, msg, (size_t)mlen, want, &wlen);
				assert_memory_equal(tag, want, 20);
			}
		}
		a->type->dealloc(a);
	}
	assert_true(dp_srtp_crypto_sha_ni(true) || !__builtin_cpu_supports("sha"));
}

static void hmac_vs_openssl_one(void)
{
	uint8_t key[100], key2[20], msg[600], tag[20], want[20];
	unsigned int wlen;
	srtp_auth_t *a;

	for (int i = 0; i < 2000; i++) {
		int klen = (int)(rnd() % sizeof(key)), mlen = (int)(rnd() % sizeof(msg));
		int first = mlen ? (int)(rnd() % (unsigned int)(mlen + 1)) : 0;

		rnd_bytes(key, (size_t)klen);
		rnd_bytes(msg, (size_t)mlen);
		hmac_tag(key, klen, msg, mlen, first, 20, tag);
		assert_non_null(HMAC(EVP_sha1(), key, klen, msg, (size_t)mlen, want, &wlen));
		assert_int_equal(wlen, 20);
		assert_memory_equal(tag, want, 20);
	}
	rnd_bytes(key2, sizeof(key2));
	rnd_bytes(msg, 176);
	assert_int_equal(dp_srtp_hmac_sha1.alloc(&a, 20, 10), srtp_err_status_ok);
	assert_int_equal(a->type->init(a->state, key2, 20), srtp_err_status_ok);
	HMAC(EVP_sha1(), key2, 20, msg, 176, want, &wlen);
	for (int k = 0; k < 3; k++) {	/* a packet after a packet: start puts the pads back */
		memset(tag, 0, sizeof(tag));
		assert_int_equal(a->type->start(a->state), srtp_err_status_ok);
		assert_int_equal(a->type->update(a->state, msg, 172), srtp_err_status_ok);
		assert_int_equal(a->type->compute(a->state, msg + 172, 4, 10, tag),
				 srtp_err_status_ok);
		assert_memory_equal(tag, want, 10);
	}
	key2[0] ^= 1;
	assert_int_equal(a->type->init(a->state, key2, 20), srtp_err_status_ok);
	assert_int_equal(a->type->start(a->state), srtp_err_status_ok);
	assert_int_equal(a->type->compute(a->state, msg, 176, 10, tag), srtp_err_status_ok);
	HMAC(EVP_sha1(), key2, 20, msg, 176, want, &wlen);
	assert_memory_equal(tag, want, 10);
	/* more than SHA-1 gives, or a negative length: refused */
	assert_int_equal(a->type->start(a->state), srtp_err_status_ok);
	assert_int_equal(a->type->compute(a->state, msg, 1, 21, tag), srtp_err_status_bad_param);
	assert_int_equal(a->type->update(a->state, msg, -1), srtp_err_status_bad_param);
	/* the packet state is the thread's: a compute its start did not begin (none since the
	 * last tag, or another state's start in between) is refused, not computed */
	assert_int_equal(a->type->compute(a->state, msg, 176, 10, tag), srtp_err_status_ok);
	assert_int_equal(a->type->compute(a->state, msg, 176, 10, tag), srtp_err_status_bad_param);
	{
		srtp_auth_t *b;

		assert_int_equal(dp_srtp_hmac_sha1.alloc(&b, 20, 10), srtp_err_status_ok);
		assert_int_equal(b->type->init(b->state, key2, 20), srtp_err_status_ok);
		assert_int_equal(a->type->start(a->state), srtp_err_status_ok);
		assert_int_equal(b->type->start(b->state), srtp_err_status_ok);
		assert_int_equal(a->type->update(a->state, msg, 4), srtp_err_status_bad_param);
		assert_int_equal(a->type->compute(a->state, msg, 4, 10, tag),
				 srtp_err_status_bad_param);
		assert_int_equal(b->type->compute(b->state, msg, 176, 10, tag), srtp_err_status_ok);
		assert_memory_equal(tag, want, 10);	/* b has a's key (key2) */
		b->type->dealloc(b);
	}
	a->type->dealloc(a);
	assert_int_equal(dp_srtp_hmac_sha1.alloc(&a, 20, 21), srtp_err_status_bad_param);
}

/* Random keys and messages, restarts, refusals: with the SHA extensions (where the cpu has
 * them) and with OpenSSL's SHA-1, the fallback. */
static void hmac_vs_openssl(void **state)
{
	(void)state;
	__builtin_cpu_init();
	if (dp_srtp_crypto_sha_ni(true))
		hmac_vs_openssl_one();
	assert_false(dp_srtp_crypto_sha_ni(false));
	hmac_vs_openssl_one();
	dp_srtp_crypto_sha_ni(true);
}

/* ---- AES-128-CM */

static srtp_cipher_t *icm_new(const uint8_t *key30)
{
	srtp_cipher_t *c;

	assert_int_equal(dp_srtp_aes_icm_128.alloc(&c, 30, 0), srtp_err_status_ok);
	assert_int_equal(c->algorithm, SRTP_AES_ICM_128);
	assert_int_equal(c->type->init(c->state, key30), srtp_err_status_ok);
	return c;
}

/* RFC 3711 B.2: key stream blocks 0, 1, 2 and (from the IV whose counter starts there) FEFF,
 * FF00, FF01 */
static void rfc3711_keystream(void **state)
{
	uint8_t key[30], iv[16], buf[48], want[48];
	unsigned int len = sizeof(buf);
	srtp_cipher_t *c;

	(void)state;
	unhex("2b7e151628aed2a6abf7158809cf4f3cf0f1f2f3f4f5f6f7f8f9fafbfcfd", key);
	unhex("e03ead0935c95e80e166b16dd92b4eb4d23513162b02d0f72a43a2fe4a5f97ab"
	      "41e95b3bb0a2e8dd477901e4fca894c0", want);
	c = icm_new(key);
	memset(iv, 0, sizeof(iv));
	memset(buf, 0, sizeof(buf));
	assert_int_equal(c->type->set_iv(c->state, iv, srtp_direction_encrypt), srtp_err_status_ok);
	assert_int_equal(c->type->encrypt(c->state, buf, &len), srtp_err_status_ok);
	assert_int_equal(len, 48);
	assert_memory_equal(buf, want, 48);
	unhex("ec8cdf7398607cb0f2d21675ea9ea1e4362b7c3c6773516318a077d7fc5073ae"
	      "6a2cc3787889374fbeb4c81b17ba6c44", want);
	iv[14] = 0xfe;
	iv[15] = 0xff;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(c->type->set_iv(c->state, iv, srtp_direction_encrypt), srtp_err_status_ok);
	assert_int_equal(c->type->encrypt(c->state, buf, &len), srtp_err_status_ok);
	assert_memory_equal(buf, want, 48);
	c->type->dealloc(c);
}

/* OpenSSL's AES-128-CTR from counter offset ^ iv over n bytes of buf. */
static void evp_ctr(const uint8_t *key30, const uint8_t *iv, uint8_t *buf, int n)
{
	EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new();
	uint8_t ctr[16] = { 0 };
	int out;

	memcpy(ctr, key30 + 16, 14);
	for (int i = 0; i < 16; i++)
		ctr[i] ^= iv[i];
	assert_non_null(e);
	assert_int_equal(EVP_EncryptInit_ex(e, EVP_aes_128_ctr(), NULL, key30, ctr), 1);
	assert_int_equal(EVP_EncryptUpdate(e, buf, &out, buf, n), 1);
	assert_int_equal(out, n);
	EVP_CIPHER_CTX_free(e);
}

/* Random keys, IVs (SRTP's: the low 16 bits 0) and lengths 0-1500, in one call and in random
 * pieces (the key stream continues across calls), equal to EVP's; decrypting gives back. */
static void icm_vs_openssl(void **state)
{
	uint8_t key[30], iv[16], plain[1500], mine[1500], ref[1500];
	srtp_cipher_t *c;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		unsigned int n = rnd() % sizeof(plain), done = 0;

		rnd_bytes(key, sizeof(key));
		rnd_bytes(iv, 14);
		iv[14] = iv[15] = 0;
		rnd_bytes(plain, n);
		memcpy(mine, plain, n);
		memcpy(ref, plain, n);
		evp_ctr(key, iv, ref, (int)n);
		c = icm_new(key);
		assert_int_equal(c->type->set_iv(c->state, iv, srtp_direction_encrypt),
				 srtp_err_status_ok);
		while (done < n) {
			unsigned int part = (i & 1) ? n - done : 1 + rnd() % (n - done), got = part;

			assert_int_equal(c->type->encrypt(c->state, mine + done, &got),
					 srtp_err_status_ok);
			assert_int_equal(got, part);
			done += part;
		}
		assert_memory_equal(mine, ref, n);
		assert_int_equal(c->type->set_iv(c->state, iv, srtp_direction_decrypt),
				 srtp_err_status_ok);
		assert_int_equal(c->type->decrypt(c->state, mine, &n), srtp_err_status_ok);
		assert_memory_equal(mine, plain, n);
		c->type->dealloc(c);
	}
}

/* Only AES-128 with its salt; a call that would run the 32-bit block counter out refused. */
static void icm_refusals(void **state)
{
	uint8_t key[30] = { 0 }, iv[16], buf[64] = { 0 };
	unsigned int len = 32;
	srtp_cipher_t *c;

	(void)state;
	assert_int_equal(dp_srtp_aes_icm_128.alloc(&c, 16, 0), srtp_err_status_bad_param);
	assert_int_equal(dp_srtp_aes_icm_128.alloc(&c, 46, 0), srtp_err_status_bad_param);
	c = icm_new(key);
	memset(iv, 0xff, sizeof(iv));	/* counter low 32 bits: salt 0 ^ 0xffffffff */
	assert_int_equal(c->type->set_iv(c->state, iv, srtp_direction_encrypt), srtp_err_status_ok);
	assert_int_equal(c->type->encrypt(c->state, buf, &len), srtp_err_status_terminus);
	for (unsigned int i = 0; i < sizeof(buf); i++)	/* nothing written */
		assert_int_equal(buf[i], 0);
	iv[15] = 0xfe;		/* one block left: it is given, then nothing more */
	assert_int_equal(c->type->set_iv(c->state, iv, srtp_direction_encrypt), srtp_err_status_ok);
	len = 16;
	assert_int_equal(c->type->encrypt(c->state, buf, &len), srtp_err_status_ok);
	len = 1;
	assert_int_equal(c->type->encrypt(c->state, buf + 16, &len), srtp_err_status_terminus);
	assert_int_equal(buf[16], 0);
	c->type->dealloc(c);
}

/* A session's live states as dp_srtp_crypto_watch notes them: RTP's then RTCP's AES-CM and
 * HMAC-SHA1 (the key derivation cipher that came third not kept); with AES-GCM neither type is
 * ours and the derivation cipher, freed, is forgotten. */
static void watched_states(void **state)
{
	uint8_t key[30];
	srtp_policy_t pol;
	struct dp_srtp_crypto_seen seen;
	srtp_t s;

	(void)state;
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("aes"))
		skip();
	rnd_bytes(key, sizeof(key));
	memset(&pol, 0, sizeof(pol));
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	pol.ssrc.type = ssrc_any_inbound;
	pol.key = key;
	pol.window_size = 128;
	dp_srtp_crypto_watch(&seen);
	assert_int_equal(srtp_create(&s, &pol), srtp_err_status_ok);
	dp_srtp_crypto_watch(NULL);
	assert_int_equal(seen.n_icm, DP_SRTP_SEEN_MAX);
	assert_int_equal(seen.n_hmac, DP_SRTP_SEEN_MAX);
	for (int i = 0; i < DP_SRTP_SEEN_MAX; i++) {
		assert_non_null(seen.icm[i]);
		assert_ptr_equal(((const srtp_auth_t *)seen.hmac[i])->type, &dp_srtp_hmac_sha1);
	}
	assert_ptr_not_equal(seen.icm[0], seen.icm[1]);
	assert_ptr_not_equal(seen.hmac[0], seen.hmac[1]);
	assert_int_equal(srtp_dealloc(s), srtp_err_status_ok);
	srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
	srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
	pol.key = key;	/* 16 + 12: the first 28 bytes */
	dp_srtp_crypto_watch(&seen);
	assert_int_equal(srtp_create(&s, &pol), srtp_err_status_ok);
	dp_srtp_crypto_watch(NULL);
	assert_int_equal(seen.n_hmac, 0);
	for (int i = 0; i < DP_SRTP_SEEN_MAX; i++)
		assert_null(seen.icm[i]);
	assert_int_equal(srtp_dealloc(s), srtp_err_status_ok);
}

/* dp_srtp_init (the group's setup) installed both; AES-CM only where the cpu has AES-NI. */
static void installed(void **state)
{
	(void)state;
	assert_non_null(strstr(dp_srtp_crypto(), "pads precomputed"));
	__builtin_cpu_init();
	if (__builtin_cpu_supports("aes"))
		assert_non_null(strstr(dp_srtp_crypto(), "AES-NI"));
}

/* ---- whole packets against Debian's NSS libsrtp2 */

#define NPKT 300

struct pkt {
	uint8_t b[1600];
	uint32_t len;
	bool rtcp;
};

static struct pkt plain[NPKT], ours[NPKT];

/* Random RTP (sequence from 65400 across the wrap, CSRCs sometimes, payload 0-1200) and now and
 * then an RTCP sender report. */
static void make_packets(void)
{
	for (int i = 0; i < NPKT; i++) {
		struct pkt *p = &plain[i];
		uint16_t seq = (uint16_t)(65400 + i);

		p->rtcp = (i % 17) == 5;
		if (p->rtcp) {
			p->len = 8 + 4 * (rnd() % 60);
			rnd_bytes(p->b, p->len);
			p->b[0] = 0x80;
			p->b[1] = 200;
			p->b[2] = (uint8_t)((p->len / 4 - 1) >> 8);
			p->b[3] = (uint8_t)(p->len / 4 - 1);
			memcpy(p->b + 4, "\x5e\xc0\x0d\x01", 4);
			continue;
		}
		unsigned int cc = (rnd() % 4 == 0) ? rnd() % 3 : 0;

		p->len = 12 + 4 * cc + rnd() % 1201;
		rnd_bytes(p->b, p->len);
		p->b[0] = (uint8_t)(0x80 | cc);
		p->b[1] &= 0x7f;
		p->b[2] = (uint8_t)(seq >> 8);
		p->b[3] = (uint8_t)seq;
		memcpy(p->b + 8, "\x5e\xc0\x0d\x01", 4);
	}
}

/* srtp_ref (NSS) over the packets: each output line compared with want[i]. */
static void nss_agrees(const char *mode, const char *suite, const uint8_t *key, size_t klen,
		       const struct pkt *in, const struct pkt *want)
{
	const char *ref = getenv("SBC_SRTP_REF");
	char path[] = "/tmp/sbc_srtp_crypto_XXXXXX", cmd[512], keyhex[80], *line;
	size_t cap = 8192;
	FILE *f, *out;
	int fd, i = 0;

	assert_non_null(ref);	/* meson passes it: tests/packet/srtp_ref */
	for (size_t k = 0; k < klen; k++)
		snprintf(keyhex + 2 * k, 3, "%02x", key[k]);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	for (int p = 0; p < NPKT; p++) {
		fprintf(f, "%c ", in[p].rtcp ? 'C' : 'R');
		for (uint32_t b = 0; b < in[p].len; b++)
			fprintf(f, "%02x", in[p].b[b]);
		fprintf(f, "\n");
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s %s %s %s < %s", ref, mode, suite, keyhex, path);
	out = popen(cmd, "r");
	assert_non_null(out);
	line = malloc(cap);
	while (fgets(line, (int)cap, out) != NULL) {
		uint8_t got[1600];
		size_t n = strcspn(line, "\n") / 2;

		assert_true(i < NPKT);
		assert_int_not_equal(strncmp(line, "ERR", 3), 0);
		line[2 * n] = '\0';
		unhex(line, got);
		assert_int_equal(n, want[i].len);
		assert_memory_equal(got, want[i].b, n);
		i++;
	}
	free(line);
	assert_int_equal(pclose(out), 0);
	unlink(path);
	assert_int_equal(i, NPKT);
}

static void packets_equal_nss(void **state)
{
	static const unsigned int suites[] = {
		SBC_SRTP_AES_CM_128_HMAC_SHA1_80, SBC_SRTP_AES_CM_128_HMAC_SHA1_32,
	};
	uint8_t key[SBC_SRTP_KEY_MAX];
	char err[160];

	(void)state;
	make_packets();
	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		struct dp_srtp_ctx *tx, *rx;
		size_t klen = sbc_srtp_key_len(suites[s]);

		rnd_bytes(key, klen);
		assert_int_equal(dp_srtp_ctx_new(&tx, suites[s], key, false, err, sizeof(err)), 0);
		assert_int_equal(dp_srtp_ctx_new(&rx, suites[s], key, true, err, sizeof(err)), 0);
		memcpy(ours, plain, sizeof(ours));
		for (int i = 0; i < NPKT; i++)
			assert_int_equal(dp_srtp_protect(tx, ours[i].b, &ours[i].len,
							 sizeof(ours[i].b), ours[i].rtcp), DP_SRTP_OK);
		/* NSS protects the plain packets into ours; unprotects ours into the plain ones */
		nss_agrees("protect", sbc_srtp_suite_names[suites[s]], key, klen, plain, ours);
		nss_agrees("unprotect", sbc_srtp_suite_names[suites[s]], key, klen, ours, plain);
		for (int i = 0; i < NPKT; i++) {
			assert_int_equal(dp_srtp_unprotect(rx, ours[i].b, &ours[i].len, ours[i].rtcp),
					 DP_SRTP_OK);
			assert_int_equal(ours[i].len, plain[i].len);
			assert_memory_equal(ours[i].b, plain[i].b, plain[i].len);
		}
		dp_srtp_ctx_free(tx);
		dp_srtp_ctx_free(rx);
	}
}

static int setup(void **state)
{
	(void)state;
	return dp_srtp_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc2202),
		cmocka_unit_test(hmac_vs_openssl),
		cmocka_unit_test(hmac_pieces),
		cmocka_unit_test(rfc3711_keystream),
		cmocka_unit_test(icm_vs_openssl),
		cmocka_unit_test(icm_refusals),
		cmocka_unit_test(installed),
		cmocka_unit_test(watched_states),
		cmocka_unit_test(packets_equal_nss),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
