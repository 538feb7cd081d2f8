/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libsrtp2's HMAC-SHA1 and AES-128-CM replaced in its OpenSSL build (dp_srtp_crypto.c): the
 * HMAC's pads hashed once per key, AES-NI for the key stream, so a packet costs SHA-1 and AES
 * rather than OpenSSL 3.0's per-call EVP machinery. dp_srtp_init installs them (main lcore,
 * once, after srtp_init); the unit test reaches the types directly.
 */
#ifndef DP_SRTP_CRYPTO_H
#define DP_SRTP_CRYPTO_H

#include <srtp2/auth.h>
#include <srtp2/cipher.h>

/* libsrtp2 runs its own vectors and ours on each before taking it. AES-CM is replaced only on
 * a cpu with AES-NI (else libsrtp2's OpenSSL one stays). 0 or -EIO (a vector failed). */
int dp_srtp_crypto_install(void);

/* What is installed, for the start-up line. */
const char *dp_srtp_crypto_installed(void);

extern const srtp_auth_type_t dp_srtp_hmac_sha1;
extern const srtp_cipher_type_t dp_srtp_aes_icm_128;

#endif
