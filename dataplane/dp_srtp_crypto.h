/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libsrtp2's HMAC-SHA1 and AES-128-CM replaced in its OpenSSL build (dp_srtp_crypto.c): the
 * HMAC's pads hashed once per key, AES-NI for the key stream, so a packet costs SHA-1 and AES
 * rather than OpenSSL 3.0's per-call EVP machinery. dp_srtp_init installs them (main lcore,
 * once, after srtp_init); the unit test reaches the types directly.
 */
#ifndef DP_SRTP_CRYPTO_H
#define DP_SRTP_CRYPTO_H

#include <stdbool.h>

#include <srtp2/auth.h>
#include <srtp2/cipher.h>

/* libsrtp2 runs its own vectors and ours on each before taking it. AES-CM is replaced only on
 * a cpu with AES-NI (else libsrtp2's OpenSSL one stays). 0 or -EIO (a vector failed). */
int dp_srtp_crypto_install(void);

/*
 * Where one srtp_create put the states of the types here (dp_srtp.c prefetches them for a
 * packet of the session): the blocks the first DP_SRTP_SEEN_MAX AES-CM and HMAC-SHA1 allocs made,
 * in libsrtp2's order (RTP's cipher and auth, then RTCP's; a key derivation cipher after them);
 * one freed before the watch ends is NULL again (AES-GCM's key derivation cipher, the first).
 */
#define DP_SRTP_SEEN_MAX 2
struct dp_srtp_crypto_seen {
	void *icm[DP_SRTP_SEEN_MAX];	/* cipher and its state, DP_SRTP_ICM_SPAN bytes from here */
	void *hmac[DP_SRTP_SEEN_MAX];	/* auth and its state, DP_SRTP_HMAC_SPAN bytes */
	unsigned int n_icm, n_hmac;
};

/* The calling thread's allocs from now are noted in *seen (zeroed here); NULL stops. */
void dp_srtp_crypto_watch(struct dp_srtp_crypto_seen *seen);

/* Bytes from a noted block on that a packet reads (its cache lines to fetch). */
#define DP_SRTP_ICM_SPAN 272u
#define DP_SRTP_HMAC_SPAN 80u

/*
 * HMAC-SHA1 on the SHA extensions (when the cpu has them: the default after install) or on
 * OpenSSL's SHA1_Update/Final; for the unit test, which runs both. Main lcore, before any
 * packet. Returns whether the SHA extensions are now in use.
 */
bool dp_srtp_crypto_sha_ni(bool want);

/* What is installed, for the start-up line. */
const char *dp_srtp_crypto_installed(void);

extern const srtp_auth_type_t dp_srtp_hmac_sha1;
extern const srtp_cipher_type_t dp_srtp_aes_icm_128;

#endif
