/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP digest for SIP (cp_digest.c): RFC 2617 / RFC 7616 hashes with MD5 and SHA-256 (RFC 8760
 * for SIP), on OpenSSL EVP, and the parameters of a challenge or credentials. Pure functions,
 * no I/O; the registrar (cp_registrar.c), the carrier client (cp_register.c) and sbcctl use it.
 */
#ifndef CP_DIGEST_H
#define CP_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

enum cp_digest_alg { CP_DIGEST_MD5, CP_DIGEST_SHA256, CP_DIGEST_N };

#define CP_DIGEST_HEX_MAX 65	/* SHA-256 in hex and its NUL */

/* "MD5" / "SHA-256" (case-insensitive; NULL: MD5, RFC 7616 3.3). -EINVAL for anything else
 * (MD5-sess, SHA-512-256: not offered, not answered). */
int cp_digest_alg_parse(const char *s, size_t len, enum cp_digest_alg *alg);
const char *cp_digest_alg_name(enum cp_digest_alg alg);
size_t cp_digest_hexlen(enum cp_digest_alg alg);	/* 32 or 64 */

/* hex = H(p[0] ":" p[1] ":" ... p[n-1]), lower-case; 0 or -EIO (OpenSSL refused). */
int cp_digest_hash(enum cp_digest_alg alg, const char *const *p, size_t n,
		   char hex[CP_DIGEST_HEX_MAX]);
/* HA1 = H(user:realm:password) (RFC 7616 3.4.2). */
int cp_digest_ha1(enum cp_digest_alg alg, const char *user, const char *realm,
		  const char *password, char hex[CP_DIGEST_HEX_MAX]);
/* response = H(HA1:nonce:nc:cnonce:qop:H(method:uri)) with qop; without qop (NULL, RFC 2069)
 * H(HA1:nonce:H(method:uri)). */
int cp_digest_response(enum cp_digest_alg alg, const char *ha1, const char *nonce,
		       const char *nc, const char *cnonce, const char *qop, const char *method,
		       const char *uri, char hex[CP_DIGEST_HEX_MAX]);

/* Constant-time comparison of two NUL-terminated hex strings. */
bool cp_digest_equal(const char *a, const char *b);

/*
 * The parameters of one Digest challenge or credentials (WWW-Authenticate, Proxy-Authenticate,
 * Authorization): each value points into buf, unquoted. Unknown parameters are skipped.
 */
struct cp_digest_params {
	const char *realm, *nonce, *opaque, *algorithm, *qop, *stale;	/* challenge */
	const char *username, *uri, *response, *cnonce, *nc;		/* credentials */
	char buf[2048];
};

/* Sofia's parameter list (msg_auth_t au_params: "name=value" strings, values maybe quoted);
 * -E2BIG when the values do not fit, -EINVAL for a duplicate parameter. */
int cp_digest_params_parse(const char *const *params, struct cp_digest_params *out);

/* Does a challenge's qop list (`auth,auth-int`) offer auth? */
bool cp_digest_qop_has_auth(const char *qop);

#endif
