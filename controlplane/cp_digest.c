/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP digest on OpenSSL EVP: MD5 (RFC 2617) and SHA-256 (RFC 7616, for SIP RFC 8760), the
 * hashes and the parsing of a digest's parameters. Sofia-SIP 1.12 computes only MD5, so both
 * the carrier client and the registrar use these. Pure; any thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cp_digest.h"

static const struct {
	const char *name;
	size_t hexlen;
} algs[CP_DIGEST_N] = {
	[CP_DIGEST_MD5] = { "MD5", 32 },
	[CP_DIGEST_SHA256] = { "SHA-256", 64 },
};

int cp_digest_alg_parse(const char *s, size_t len, enum cp_digest_alg *alg)
{
	if (s == NULL) {
		*alg = CP_DIGEST_MD5;	/* RFC 7616 3.3: absent means MD5 */
		return 0;
	}
	for (unsigned int i = 0; i < CP_DIGEST_N; i++)
		if (strlen(algs[i].name) == len && strncasecmp(s, algs[i].name, len) == 0) {
			*alg = (enum cp_digest_alg)i;
			return 0;
		}
	return -EINVAL;
}

const char *cp_digest_alg_name(enum cp_digest_alg alg)
{
	return alg < CP_DIGEST_N ? algs[alg].name : "?";
}

size_t cp_digest_hexlen(enum cp_digest_alg alg)
{
	return alg < CP_DIGEST_N ? algs[alg].hexlen : 0;
}

int cp_digest_hash(enum cp_digest_alg alg, const char *const *p, size_t n,
		   char hex[CP_DIGEST_HEX_MAX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx != NULL &&
		 EVP_DigestInit_ex(ctx, alg == CP_DIGEST_SHA256 ? EVP_sha256() : EVP_md5(), NULL);

	for (size_t i = 0; ok && i < n; i++)
		ok = (i == 0 || EVP_DigestUpdate(ctx, ":", 1)) &&
		     EVP_DigestUpdate(ctx, p[i], strlen(p[i]));
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen * 2 < CP_DIGEST_HEX_MAX;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		hex[0] = '\0';
		return -EIO;
	}
	for (unsigned int i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * mdlen] = '\0';
	return 0;
}

int cp_digest_ha1(enum cp_digest_alg alg, const char *user, const char *realm,
		  const char *password, char hex[CP_DIGEST_HEX_MAX])
{
	const char *p[] = { user, realm, password };

	return cp_digest_hash(alg, p, 3, hex);
}

int cp_digest_response(enum cp_digest_alg alg, const char *ha1, const char *nonce,
		       const char *nc, const char *cnonce, const char *qop, const char *method,
		       const char *uri, char hex[CP_DIGEST_HEX_MAX])
{
	const char *a2[] = { method, uri };
	char ha2[CP_DIGEST_HEX_MAX];

	if (cp_digest_hash(alg, a2, 2, ha2) != 0)
		return -EIO;
	if (qop == NULL) {
		const char *p[] = { ha1, nonce, ha2 };

		return cp_digest_hash(alg, p, 3, hex);
	}
	const char *p[] = { ha1, nonce, nc, cnonce, qop, ha2 };

	return cp_digest_hash(alg, p, 6, hex);
}

bool cp_digest_equal(const char *a, const char *b)
{
	size_t la = strlen(a);

	return la == strlen(b) && CRYPTO_memcmp(a, b, la) == 0;
}

/* Copy value (unquoted, RFC 7230 3.2.6 quoted-pair undone) into out's buffer at *used. */
static const char *keep(struct cp_digest_params *out, size_t *used, const char *v)
{
	size_t len = strlen(v);
	char *dst = out->buf + *used, *d = dst;

	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v++;
		len -= 2;
	}
	if (*used + len + 1 > sizeof(out->buf))
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '\\' && i + 1 < len)
			i++;
		*d++ = v[i];
	}
	*d++ = '\0';
	*used += (size_t)(d - dst);
	return dst;
}

int cp_digest_params_parse(const char *const *params, struct cp_digest_params *out)
{
	static const struct { const char *name; size_t off; } names[] = {
		{ "realm", offsetof(struct cp_digest_params, realm) },
		{ "nonce", offsetof(struct cp_digest_params, nonce) },
		{ "opaque", offsetof(struct cp_digest_params, opaque) },
		{ "algorithm", offsetof(struct cp_digest_params, algorithm) },
		{ "qop", offsetof(struct cp_digest_params, qop) },
		{ "stale", offsetof(struct cp_digest_params, stale) },
		{ "username", offsetof(struct cp_digest_params, username) },
		{ "uri", offsetof(struct cp_digest_params, uri) },
		{ "response", offsetof(struct cp_digest_params, response) },
		{ "cnonce", offsetof(struct cp_digest_params, cnonce) },
		{ "nc", offsetof(struct cp_digest_params, nc) },
	};
	size_t used = 0;

	memset(out, 0, offsetof(struct cp_digest_params, buf));
	for (size_t i = 0; params != NULL && params[i] != NULL; i++) {
		const char *eq = strchr(params[i], '=');
		size_t nlen = eq ? (size_t)(eq - params[i]) : strlen(params[i]);

		for (size_t k = 0; eq != NULL && k < sizeof(names) / sizeof(names[0]); k++) {
			const char **slot = (const char **)((char *)out + names[k].off);

			if (strlen(names[k].name) != nlen ||
			    strncasecmp(names[k].name, params[i], nlen) != 0)
				continue;
			if (*slot != NULL)
				return -EINVAL;	/* RFC 7616 3.4: each at most once */
			*slot = keep(out, &used, eq + 1);
			if (*slot == NULL)
				return -E2BIG;
			break;
		}
	}
	return 0;
}

bool cp_digest_qop_has_auth(const char *qop)
{
	while (qop != NULL && *qop != '\0') {
		size_t n;

		qop += strspn(qop, " \t,");
		n = strcspn(qop, " \t,");
		if (n == 4 && strncasecmp(qop, "auth", 4) == 0)
			return true;
		qop += n;
	}
	return false;
}
