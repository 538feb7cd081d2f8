/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HMAC-SHA1 and AES-128 counter mode for libsrtp2's OpenSSL build (dp_srtp_crypto.h), put in
 * place of libsrtp2's own with its public srtp_replace_auth_type / srtp_replace_cipher_type by
 * dp_srtp_init on the main lcore; then run by the worker that owns a context. Why: libsrtp2 2.5
 * on OpenSSL 3.0 spends most of a packet in OpenSSL's per-call EVP machinery (EVP_MAC_init
 * copies a digest context and looks parameters up by name; EVP_EncryptInit_ex per IV), not in
 * SHA-1 or AES. Here the HMAC's inner and outer SHA-1 chaining values are computed once per key
 * (RFC 2104 2) and each packet's hash resumes from them, with OpenSSL's SHA1_Update (its SHA-NI
 * code where the cpu has it); AES-128 is AES-NI, the key schedule made once per key, four blocks
 * in flight.
 * libsrtp2 tests each replacement against its own vectors before taking it (and the ones here:
 * RFC 2202 for HMAC-SHA1, RFC 3711 B.2 for AES-CM). Keys never leave these states; freed
 * states are wiped.
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* SHA1_*: the one SHA-1 API without provider dispatch */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <immintrin.h>
#include <openssl/sha.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/crypto_types.h>

#include "dp_srtp_crypto.h"

/* ---- HMAC-SHA1 (RFC 2104, FIPS 180-4) */

#define SHA1_BLOCK 64
#define SHA1_LEN 20

/*
 * Per key only the two SHA-1 chaining values after the pad blocks (40 bytes: one cache line, as
 * a packet of another session finds it cold); the packet's own hashing state is the thread's
 * (libsrtp2 runs start, update, compute of one auth in a row on one thread), claimed by start:
 * an update or compute whose state did not start it last on this thread is refused, never
 * computed from another packet's state.
 */
struct hmac_state {
	uint32_t inner[5];	/* SHA-1 chaining value after the block key ^ ipad */
	uint32_t outer[5];	/* ... key ^ opad */
};

static __thread const struct hmac_state *hmac_owner;

/* What dp_srtp_crypto_watch asked to be told about (the main lcore's srtp_create). */
static __thread struct dp_srtp_crypto_seen *watching;

/*
 * SHA-1 with the SHA extensions where the cpu has them (use_sha_ni, set at install): the
 * compression function called on the packet's own blocks and the final block built in place,
 * instead of OpenSSL's SHA1_Update/SHA1_Final, whose buffering, padding and cleansing cost as
 * much again as the four compressions of a 172-byte RTP packet's tag (perf: SHA1_Final,
 * OPENSSL_cleanse, memcpy and SHA1_Update together ~9% of the worker's SRTP path). Without
 * them OpenSSL's SHA-1 (hmac_work).
 */
static bool use_sha_ni;
static __thread SHA_CTX hmac_work;

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/*
 * The packet's hash in the SHA extensions' form: abcd holds A..D with A in the highest 32 bits,
 * e holds E in the highest; tail the bytes not yet a whole block; bytes what was hashed after
 * the pad block (for the length in the padding).
 */
struct sha_ni_work {
	__m128i abcd, e;
	uint8_t tail[SHA1_BLOCK];
	uint32_t n_tail;
	uint64_t bytes;
};

static __thread struct sha_ni_work ni_work;

/*
 * Four rounds in the middle of the 80 (groups 3-16 of 20): the next four rounds' W + E from
 * the message words w, then the schedule of later words advanced (FIPS 180-4 6.1.2 step 1 as
 * SHA1MSG1, XOR, SHA1MSG2 over four registers in turn).
 */
#define SHA_STEP(ec, en, f, w, m2, m1, mx)                                                 \
	do {                                                                               \
		ec = _mm_sha1nexte_epu32(ec, w);                                           \
		en = abcd;                                                                 \
		m2 = _mm_sha1msg2_epu32(m2, w);                                            \
		abcd = _mm_sha1rnds4_epu32(abcd, ec, f);                                   \
		m1 = _mm_sha1msg1_epu32(m1, w);                                            \
		mx = _mm_xor_si128(mx, w);                                                 \
	} while (0)

/* One compression (FIPS 180-4 6.1.2) of the block m0..m3 (W0 in m0's highest 32 bits). */
static inline SHA_TARGET void sha1_ni_block(__m128i *abcd_p, __m128i *e_p, __m128i m0,
					    __m128i m1, __m128i m2, __m128i m3)
{
	__m128i abcd = *abcd_p, e0 = *e_p, e1;

	e0 = _mm_add_epi32(e0, m0);
	e1 = abcd;
	abcd = _mm_sha1rnds4_epu32(abcd, e0, 0);
	e1 = _mm_sha1nexte_epu32(e1, m1);
	e0 = abcd;
	abcd = _mm_sha1rnds4_epu32(abcd, e1, 0);
	m0 = _mm_sha1msg1_epu32(m0, m1);
	e0 = _mm_sha1nexte_epu32(e0, m2);
	e1 = abcd;
	abcd = _mm_sha1rnds4_epu32(abcd, e0, 0);
	m1 = _mm_sha1msg1_epu32(m1, m2);
	m0 = _mm_xor_si128(m0, m2);
	SHA_STEP(e1, e0, 0, m3, m0, m2, m1);	/* rounds 12-15 */
	SHA_STEP(e0, e1, 0, m0, m1, m3, m2);
	SHA_STEP(e1, e0, 1, m1, m2, m0, m3);	/* 20-23: f = parity */
	SHA_STEP(e0, e1, 1, m2, m3, m1, m0);
	SHA_STEP(e1, e0, 1, m3, m0, m2, m1);
	SHA_STEP(e0, e1, 1, m0, m1, m3, m2);
	SHA_STEP(e1, e0, 1, m1, m2, m0, m3);
	SHA_STEP(e0, e1, 2, m2, m3, m1, m0);	/* 40-43: f = majority */
	SHA_STEP(e1, e0, 2, m3, m0, m2, m1);
	SHA_STEP(e0, e1, 2, m0, m1, m3, m2);
	SHA_STEP(e1, e0, 2, m1, m2, m0, m3);
	SHA_STEP(e0, e1, 2, m2, m3, m1, m0);
	SHA_STEP(e1, e0, 3, m3, m0, m2, m1);	/* 60-63: f = parity */
	SHA_STEP(e0, e1, 3, m0, m1, m3, m2);
	e1 = _mm_sha1nexte_epu32(e1, m1);	/* 68-71: no later word left to start */
	e0 = abcd;
	m2 = _mm_sha1msg2_epu32(m2, m1);
	abcd = _mm_sha1rnds4_epu32(abcd, e1, 3);
	m3 = _mm_xor_si128(m3, m1);
	e0 = _mm_sha1nexte_epu32(e0, m2);
	e1 = abcd;
	m3 = _mm_sha1msg2_epu32(m3, m2);
	abcd = _mm_sha1rnds4_epu32(abcd, e0, 3);
	e1 = _mm_sha1nexte_epu32(e1, m3);
	e0 = abcd;
	abcd = _mm_sha1rnds4_epu32(abcd, e1, 3);
	/* the chaining value plus what the block made of it */
	*e_p = _mm_sha1nexte_epu32(e0, *e_p);
	*abcd_p = _mm_add_epi32(abcd, *abcd_p);
}

/* 16 big-endian message bytes as the instructions take them (first word highest). */
static inline SHA_TARGET __m128i sha_ni_load(const uint8_t *p)
{
	const __m128i rev = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);

	return _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), rev);
}

static SHA_TARGET void sha1_ni_blocks(struct sha_ni_work *w, const uint8_t *p, size_t n)
{
	for (; n > 0; n--, p += SHA1_BLOCK)
		sha1_ni_block(&w->abcd, &w->e, sha_ni_load(p), sha_ni_load(p + 16),
			      sha_ni_load(p + 32), sha_ni_load(p + 48));
}

/* The state after one block with chaining value h (as sha1_resume). */
static inline SHA_TARGET void sha_ni_resume(__m128i *abcd, __m128i *e, const uint32_t *h)
{
	*abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0x1b);
	*e = _mm_set_epi32((int)h[4], 0, 0, 0);
}

static void sha_ni_update(struct sha_ni_work *w, const uint8_t *msg, size_t len)
{
	w->bytes += len;
	if (w->n_tail > 0) {
		size_t take = SHA1_BLOCK - w->n_tail < len ? SHA1_BLOCK - w->n_tail : len;

		memcpy(w->tail + w->n_tail, msg, take);
		w->n_tail += (uint32_t)take;
		msg += take;
		len -= take;
		if (w->n_tail < SHA1_BLOCK)
			return;
		sha1_ni_blocks(w, w->tail, 1);
		w->n_tail = 0;
	}
	sha1_ni_blocks(w, msg, len / SHA1_BLOCK);	/* the packet's whole blocks where they are */
	memcpy(w->tail, msg + (len & ~(size_t)(SHA1_BLOCK - 1)), len % SHA1_BLOCK);
	w->n_tail = (uint32_t)(len % SHA1_BLOCK);
}

/*
 * The inner hash padded (FIPS 180-4 5.1.1: 0x80, zeros, the bit length after the pad block's
 * 64 bytes), then the outer hash of its 20 bytes, whose one block is built in registers: the
 * inner digest is A..E, already in the order the instructions take message words.
 */
static SHA_TARGET void sha_ni_hmac_final(struct sha_ni_work *w, const struct hmac_state *s,
					 uint8_t *digest)
{
	uint64_t bits = (SHA1_BLOCK + w->bytes) * 8;
	__m128i abcd, e;
	uint32_t e_be;

	w->tail[w->n_tail++] = 0x80;
	if (w->n_tail > SHA1_BLOCK - 8) {
		memset(w->tail + w->n_tail, 0, SHA1_BLOCK - w->n_tail);
		sha1_ni_blocks(w, w->tail, 1);
		w->n_tail = 0;
	}
	memset(w->tail + w->n_tail, 0, SHA1_BLOCK - 8 - w->n_tail);
	bits = __builtin_bswap64(bits);
	memcpy(w->tail + SHA1_BLOCK - 8, &bits, 8);
	sha1_ni_blocks(w, w->tail, 1);
	sha_ni_resume(&abcd, &e, s->outer);
	sha1_ni_block(&abcd, &e, w->abcd,
		      _mm_set_epi32(_mm_extract_epi32(w->e, 3), (int)0x80000000u, 0, 0),
		      _mm_setzero_si128(), _mm_set_epi32(0, 0, 0, (SHA1_BLOCK + SHA1_LEN) * 8));
	_mm_storeu_si128((__m128i *)digest, _mm_shuffle_epi8(abcd, _mm_set_epi64x(
		0x0001020304050607LL, 0x08090a0b0c0d0e0fLL)));
	e_be = __builtin_bswap32((uint32_t)_mm_extract_epi32(e, 3));
	memcpy(digest + 16, &e_be, 4);
}

/* A SHA-1 state that has hashed one 64-byte block with chaining value h (SHA_CTX's public
 * fields: the length so far in bits, nothing buffered). */
static inline void sha1_resume(SHA_CTX *c, const uint32_t *h)
{
	c->h0 = h[0];
	c->h1 = h[1];
	c->h2 = h[2];
	c->h3 = h[3];
	c->h4 = h[4];
	c->Nl = SHA1_BLOCK * 8;
	c->Nh = 0;
	c->num = 0;
}

static inline void sha1_keep(uint32_t *h, const SHA_CTX *c)
{
	h[0] = c->h0;
	h[1] = c->h1;
	h[2] = c->h2;
	h[3] = c->h3;
	h[4] = c->h4;
}

/* libsrtp2 frees what alloc made through dealloc only: one block for both. */
struct hmac_alloc {
	srtp_auth_t auth;
	struct hmac_state state;
};

extern const srtp_auth_type_t dp_srtp_hmac_sha1;

_Static_assert(sizeof(struct hmac_alloc) <= DP_SRTP_HMAC_SPAN, "dp_srtp_crypto.h's span");

static srtp_err_status_t hmac_alloc(srtp_auth_t **a, int key_len, int out_len)
{
	struct hmac_alloc *m;

	if (key_len < 0 || out_len < 0 || out_len > SHA1_LEN)
		return srtp_err_status_bad_param;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return srtp_err_status_alloc_fail;
	m->auth.type = &dp_srtp_hmac_sha1;
	m->auth.state = &m->state;
	m->auth.out_len = out_len;
	m->auth.key_len = key_len;
	m->auth.prefix_len = 0;
	if (watching != NULL && watching->n_hmac < DP_SRTP_SEEN_MAX)
		watching->hmac[watching->n_hmac++] = m;
	*a = &m->auth;
	return srtp_err_status_ok;
}

/* A watched block freed before the watch ended (a key derivation cipher, a failed create) is
 * forgotten: what dp_srtp_crypto_watch reports is live. */
static void unwatch(void **seen, const void *m)
{
	for (unsigned int i = 0; watching != NULL && i < DP_SRTP_SEEN_MAX; i++)
		if (seen[i] == m)
			seen[i] = NULL;
}

static srtp_err_status_t hmac_dealloc(srtp_auth_t *a)
{
	if (watching != NULL)
		unwatch(watching->hmac, a);
	if (hmac_owner == a->state)
		hmac_owner = NULL;
	explicit_bzero(a, sizeof(struct hmac_alloc));
	free(a);
	return srtp_err_status_ok;
}

/* RFC 2104 2: a key longer than the block is hashed first; the block is the key zero-padded. */
static srtp_err_status_t hmac_init(void *sv, const uint8_t *key, int key_len)
{
	struct hmac_state *s = sv;
	uint8_t block[SHA1_BLOCK], pad[SHA1_BLOCK];
	SHA_CTX c;
	unsigned int i;

	if (key_len < 0)
		return srtp_err_status_bad_param;
	memset(block, 0, sizeof(block));
	if (key_len > SHA1_BLOCK)
		SHA1(key, (size_t)key_len, block);
	else
		memcpy(block, key, (size_t)key_len);
	for (i = 0; i < SHA1_BLOCK; i++)
		pad[i] = block[i] ^ 0x36;
	SHA1_Init(&c);
	SHA1_Update(&c, pad, SHA1_BLOCK);
	sha1_keep(s->inner, &c);
	for (i = 0; i < SHA1_BLOCK; i++)
		pad[i] = block[i] ^ 0x5c;
	SHA1_Init(&c);
	SHA1_Update(&c, pad, SHA1_BLOCK);
	sha1_keep(s->outer, &c);
	explicit_bzero(block, sizeof(block));
	explicit_bzero(pad, sizeof(pad));
	explicit_bzero(&c, sizeof(c));
	if (hmac_owner == s)	/* re-keyed: what it had started is void */
		hmac_owner = NULL;
	return srtp_err_status_ok;
}

static SHA_TARGET srtp_err_status_t hmac_start(void *sv)
{
	const struct hmac_state *s = sv;

	if (use_sha_ni) {
		sha_ni_resume(&ni_work.abcd, &ni_work.e, s->inner);
		ni_work.n_tail = 0;
		ni_work.bytes = 0;
	} else {
		sha1_resume(&hmac_work, s->inner);
	}
	hmac_owner = s;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *sv, const uint8_t *msg, int len)
{
	if (len < 0 || hmac_owner != sv)
		return srtp_err_status_bad_param;
	if (use_sha_ni)
		sha_ni_update(&ni_work, msg, (size_t)len);
	else
		SHA1_Update(&hmac_work, msg, (size_t)len);
	return srtp_err_status_ok;
}

/* The tag of everything since start plus msg: H(K ^ opad, H(K ^ ipad, text)), cut to tag_len. */
static srtp_err_status_t hmac_compute(void *sv, const uint8_t *msg, int len, int tag_len,
				     uint8_t *tag)
{
	const struct hmac_state *s = sv;
	uint8_t h[SHA1_LEN];
	SHA_CTX o;

	if (len < 0 || tag_len < 0 || tag_len > SHA1_LEN || hmac_owner != s)
		return srtp_err_status_bad_param;
	hmac_owner = NULL;	/* one tag per start */
	if (use_sha_ni) {
		sha_ni_update(&ni_work, msg, (size_t)len);
		sha_ni_hmac_final(&ni_work, s, h);
	} else {
		SHA1_Update(&hmac_work, msg, (size_t)len);
		SHA1_Final(h, &hmac_work);
		sha1_resume(&o, s->outer);
		SHA1_Update(&o, h, SHA1_LEN);
		SHA1_Final(h, &o);
	}
	memcpy(tag, h, (size_t)tag_len);
	return srtp_err_status_ok;
}

/* RFC 2202 3, the test cases libsrtp2 runs at replacement (it adds its own). */
static const uint8_t rfc2202_key3[20] = {
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
};
static const uint8_t rfc2202_data3[50] = {
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
};
static const uint8_t rfc2202_tag3[20] = {
	0x12, 0x5d, 0x73, 0x42, 0xb9, 0xac, 0x11, 0xcd, 0x91, 0xa3,
	0x9a, 0xf4, 0x8a, 0xa1, 0x7b, 0x4f, 0x63, 0xf1, 0x75, 0xd3,
};
static const srtp_auth_test_case_t rfc2202_case3 = {
	sizeof(rfc2202_key3), rfc2202_key3, sizeof(rfc2202_data3), rfc2202_data3,
	sizeof(rfc2202_tag3), rfc2202_tag3, NULL,
};
static const uint8_t rfc2202_key2[4] = { 'J', 'e', 'f', 'e' };
static const uint8_t rfc2202_data2[28] = "what do ya want for nothing?";
static const uint8_t rfc2202_tag2[20] = {
	0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
	0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
};
static const srtp_auth_test_case_t rfc2202_case2 = {
	sizeof(rfc2202_key2), rfc2202_key2, sizeof(rfc2202_data2), rfc2202_data2,
	sizeof(rfc2202_tag2), rfc2202_tag2, &rfc2202_case3,
};

const srtp_auth_type_t dp_srtp_hmac_sha1 = {
	.alloc = hmac_alloc,
	.dealloc = hmac_dealloc,
	.init = hmac_init,
	.compute = hmac_compute,
	.update = hmac_update,
	.start = hmac_start,
	.description = "HMAC-SHA1, pads precomputed per key (sbc dp_srtp_crypto, OpenSSL SHA-1)",
	.test_data = &rfc2202_case2,
	.id = SRTP_HMAC_SHA1,
};

/* ---- AES-128 in counter mode as SRTP's AES-CM (RFC 3711 4.1.1) */

#define AES_ROUNDS 10
#define ICM_KEY_LEN 16
#define ICM_SALT_LEN 14

struct icm_state {
	__m128i rk[AES_ROUNDS + 1];	/* the encryption key schedule */
	uint8_t offset[16];	/* the salt, last two octets 0 (RFC 3711 4.1.1) */
	uint8_t ctr[16];	/* the next block's counter: offset ^ IV, + blocks done */
	uint8_t ks[16];		/* key stream of the last block ... */
	unsigned int ks_left;	/* ... of which this many bytes are unused (its tail) */
};

struct icm_alloc {
	struct icm_state state;	/* first: __m128i alignment from aligned_alloc */
	srtp_cipher_t cipher;
};

extern const srtp_cipher_type_t dp_srtp_aes_icm_128;

_Static_assert(sizeof(struct icm_alloc) <= DP_SRTP_ICM_SPAN, "dp_srtp_crypto.h's span");

#define AES_TARGET __attribute__((target("aes,sse4.1")))

/* FIPS 197 5.2 for a 128-bit key: one AESKEYGENASSIST per round key. */
#define EXPAND(i, rcon)                                                                    \
	do {                                                                               \
		__m128i t = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(k, rcon), 0xff);  \
		k = _mm_xor_si128(k, _mm_slli_si128(k, 4));                                \
		k = _mm_xor_si128(k, _mm_slli_si128(k, 4));                                \
		k = _mm_xor_si128(k, _mm_slli_si128(k, 4));                                \
		rk[i] = k = _mm_xor_si128(k, t);                                           \
	} while (0)

static AES_TARGET void aes128_schedule(__m128i *rk, const uint8_t *key)
{
	__m128i k = _mm_loadu_si128((const __m128i *)key);

	rk[0] = k;
	EXPAND(1, 0x01);
	EXPAND(2, 0x02);
	EXPAND(3, 0x04);
	EXPAND(4, 0x08);
	EXPAND(5, 0x10);
	EXPAND(6, 0x20);
	EXPAND(7, 0x40);
	EXPAND(8, 0x80);
	EXPAND(9, 0x1b);
	EXPAND(10, 0x36);
}

static inline uint32_t ld_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Counter block n after base: the low 32 bits big-endian + n (see icm_crypt for the range). */
static inline AES_TARGET __m128i ctr_block(__m128i base, uint32_t low)
{
	return _mm_insert_epi32(base, (int)__builtin_bswap32(low), 3);
}

static inline AES_TARGET __m128i aes_block(const __m128i *rk, __m128i b)
{
	b = _mm_xor_si128(b, rk[0]);
	for (int r = 1; r < AES_ROUNDS; r++)
		b = _mm_aesenc_si128(b, rk[r]);
	return _mm_aesenclast_si128(b, rk[AES_ROUNDS]);
}

/* Four blocks in flight: AESENC's latency hidden behind the other three. */
static inline AES_TARGET void aes_4(const __m128i *rk, __m128i *b)
{
	b[0] = _mm_xor_si128(b[0], rk[0]);
	b[1] = _mm_xor_si128(b[1], rk[0]);
	b[2] = _mm_xor_si128(b[2], rk[0]);
	b[3] = _mm_xor_si128(b[3], rk[0]);
	for (int r = 1; r < AES_ROUNDS; r++) {
		b[0] = _mm_aesenc_si128(b[0], rk[r]);
		b[1] = _mm_aesenc_si128(b[1], rk[r]);
		b[2] = _mm_aesenc_si128(b[2], rk[r]);
		b[3] = _mm_aesenc_si128(b[3], rk[r]);
	}
	b[0] = _mm_aesenclast_si128(b[0], rk[AES_ROUNDS]);
	b[1] = _mm_aesenclast_si128(b[1], rk[AES_ROUNDS]);
	b[2] = _mm_aesenclast_si128(b[2], rk[AES_ROUNDS]);
	b[3] = _mm_aesenclast_si128(b[3], rk[AES_ROUNDS]);
}

/*
 * buf ^= the key stream from where the last call stopped (encrypt and decrypt alike). Blocks
 * are counted in the counter's low 32 bits; SRTP starts each packet at a counter whose low 16
 * bits are 0 (RFC 3711 4.1.1: 2^16 blocks at most), so the count never carries beyond them;
 * a call that would need the low 32 bits past 0xffffffff is refused, nothing written (OpenSSL's
 * CTR would carry: no key stream the two would make differently is ever used).
 */
static AES_TARGET srtp_err_status_t icm_crypt(void *sv, uint8_t *buf, unsigned int *lenp)
{
	struct icm_state *s = sv;
	unsigned int len = *lenp, left = s->ks_left < len ? s->ks_left : len;
	__m128i base = _mm_loadu_si128((const __m128i *)s->ctr), b[4];
	uint32_t low = ld_be32(s->ctr + 12);

	if ((uint64_t)low + (len - left + 15) / 16 > UINT32_MAX)
		return srtp_err_status_terminus;
	for (; left > 0; left--, len--)
		*buf++ ^= s->ks[16 - s->ks_left--];
	for (; len >= 64; len -= 64, buf += 64, low += 4) {
		for (int j = 0; j < 4; j++)
			b[j] = ctr_block(base, low + (uint32_t)j);
		aes_4(s->rk, b);
		for (int j = 0; j < 4; j++) {
			__m128i *p = (__m128i *)(buf + 16 * j);

			_mm_storeu_si128(p, _mm_xor_si128(_mm_loadu_si128(p), b[j]));
		}
	}
	for (; len >= 16; len -= 16, buf += 16, low++) {
		__m128i *p = (__m128i *)buf;

		_mm_storeu_si128(p, _mm_xor_si128(_mm_loadu_si128(p),
						   aes_block(s->rk, ctr_block(base, low))));
	}
	if (len > 0) {
		_mm_storeu_si128((__m128i *)s->ks, aes_block(s->rk, ctr_block(base, low++)));
		for (unsigned int i = 0; i < len; i++)
			buf[i] ^= s->ks[i];
		s->ks_left = 16 - len;
	}
	_mm_storeu_si128((__m128i *)s->ctr, ctr_block(base, low));
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_alloc(srtp_cipher_t **c, int key_len, int tag_len)
{
	struct icm_alloc *m;

	(void)tag_len;
	if (key_len != ICM_KEY_LEN + ICM_SALT_LEN)
		return srtp_err_status_bad_param;
	m = aligned_alloc(_Alignof(struct icm_alloc),
			  (sizeof(*m) + _Alignof(struct icm_alloc) - 1) & ~(_Alignof(struct icm_alloc) - 1));
	if (m == NULL)
		return srtp_err_status_alloc_fail;
	memset(m, 0, sizeof(*m));
	m->cipher.type = &dp_srtp_aes_icm_128;
	m->cipher.state = &m->state;
	m->cipher.key_len = key_len;
	m->cipher.algorithm = SRTP_AES_ICM_128;
	if (watching != NULL && watching->n_icm < DP_SRTP_SEEN_MAX)
		watching->icm[watching->n_icm++] = m;
	*c = &m->cipher;
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_dealloc(srtp_cipher_t *c)
{
	struct icm_alloc *m = (struct icm_alloc *)((uint8_t *)c - offsetof(struct icm_alloc, cipher));

	if (watching != NULL)
		unwatch(watching->icm, m);

	explicit_bzero(m, sizeof(*m));
	free(m);
	return srtp_err_status_ok;
}

/* key: the 16-byte AES key then the 14-byte salt (libsrtp2's layout). */
static srtp_err_status_t icm_init(void *sv, const uint8_t *key)
{
	struct icm_state *s = sv;

	aes128_schedule(s->rk, key);
	memset(s->offset, 0, sizeof(s->offset));
	memcpy(s->offset, key + ICM_KEY_LEN, ICM_SALT_LEN);
	memcpy(s->ctr, s->offset, sizeof(s->ctr));
	s->ks_left = 0;
	return srtp_err_status_ok;
}

/* RFC 3711 4.1.1: the counter of the packet's first block is the offset (salt) ^ IV. */
static srtp_err_status_t icm_set_iv(void *sv, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct icm_state *s = sv;

	(void)dir;
	/* one 16-byte store: icm_crypt's 16-byte load of it is then forwarded, not stalled */
	_mm_storeu_si128((__m128i *)s->ctr, _mm_xor_si128(_mm_loadu_si128((const __m128i *)s->offset),
							  _mm_loadu_si128((const __m128i *)iv)));
	s->ks_left = 0;
	return srtp_err_status_ok;
}

/* RFC 3711 B.2: the first three key stream blocks (the plaintext is zeros). */
static const uint8_t rfc3711_key[30] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf,
	0x4f, 0x3c, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb,
	0xfc, 0xfd,
};
static uint8_t rfc3711_iv[16];	/* ROC, SEQ and SSRC 0 (libsrtp2's type takes it non-const) */
static const uint8_t rfc3711_zeros[48];
static const uint8_t rfc3711_stream[48] = {
	0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
	0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
	0x41, 0xe9, 0x5b, 0x3b, 0xb0, 0xa2, 0xe8, 0xdd, 0x47, 0x79, 0x01, 0xe4, 0xfc, 0xa8, 0x94, 0xc0,
};
static const srtp_cipher_test_case_t rfc3711_case = {
	.key_length_octets = sizeof(rfc3711_key),
	.key = rfc3711_key,
	.idx = rfc3711_iv,
	.plaintext_length_octets = sizeof(rfc3711_zeros),
	.plaintext = rfc3711_zeros,
	.ciphertext_length_octets = sizeof(rfc3711_stream),
	.ciphertext = rfc3711_stream,
	.next_test_case = NULL,
};

const srtp_cipher_type_t dp_srtp_aes_icm_128 = {
	.alloc = icm_alloc,
	.dealloc = icm_dealloc,
	.init = icm_init,
	.set_aad = NULL,
	.encrypt = icm_crypt,
	.decrypt = icm_crypt,
	.set_iv = icm_set_iv,
	.get_tag = NULL,
	.description = "AES-128 counter mode, AES-NI (sbc dp_srtp_crypto)",
	.test_data = &rfc3711_case,
	.id = SRTP_AES_ICM_128,
};

/* ---- installing them */

static const char *installed = "libsrtp2's own HMAC-SHA1 and AES-CM";

void dp_srtp_crypto_watch(struct dp_srtp_crypto_seen *seen)
{
	if (seen != NULL)
		memset(seen, 0, sizeof(*seen));
	watching = seen;
}

bool dp_srtp_crypto_sha_ni(bool want)
{
	__builtin_cpu_init();
	use_sha_ni = want && __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1") &&
		     __builtin_cpu_supports("ssse3");
	return use_sha_ni;
}

int dp_srtp_crypto_install(void)
{
	bool ni = dp_srtp_crypto_sha_ni(true);

	/* libsrtp2 runs the vectors through the SHA-1 chosen here */
	if (srtp_replace_auth_type(&dp_srtp_hmac_sha1, SRTP_HMAC_SHA1) != srtp_err_status_ok)
		return -EIO;
	installed = ni ? "HMAC-SHA1 with pads precomputed (SHA extensions), libsrtp2's AES-CM"
		       : "HMAC-SHA1 with pads precomputed (OpenSSL SHA-1), libsrtp2's AES-CM";
	/* without AES-NI libsrtp2's AES-CM (OpenSSL's EVP) stays */
	if (!__builtin_cpu_supports("aes") || !__builtin_cpu_supports("sse4.1"))
		return 0;
	if (srtp_replace_cipher_type(&dp_srtp_aes_icm_128, SRTP_AES_ICM_128) != srtp_err_status_ok)
		return -EIO;
	installed = ni ? "HMAC-SHA1 with pads precomputed (SHA extensions), AES-128-CM on AES-NI"
		       : "HMAC-SHA1 with pads precomputed (OpenSSL SHA-1), AES-128-CM on AES-NI";
	return 0;
}

const char *dp_srtp_crypto_installed(void)
{
	return installed;
}
