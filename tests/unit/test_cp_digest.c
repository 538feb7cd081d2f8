/* SPDX-License-Identifier: BSD-3-Clause */
/* cp_digest: RFC 2617 3.5 and RFC 7616 3.9.1 worked examples, parameter parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cp_digest.h"

/* RFC 2617 3.5: MD5, qop=auth */
static void rfc2617_md5(void **state)
{
	char ha1[CP_DIGEST_HEX_MAX], resp[CP_DIGEST_HEX_MAX];

	(void)state;
	assert_int_equal(cp_digest_ha1(CP_DIGEST_MD5, "Mufasa", "testrealm@host.com",
				       "Circle Of Life", ha1), 0);
	assert_int_equal(cp_digest_response(CP_DIGEST_MD5, ha1,
					    "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001",
					    "0a4f113b", "auth", "GET", "/dir/index.html", resp), 0);
	assert_string_equal(resp, "6629fae49393a05397450978507c4ef1");
}

/* RFC 7616 3.9.1: the same request with MD5 and with SHA-256 */
static void rfc7616_md5_sha256(void **state)
{
	static const char nonce[] = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
	static const char cnonce[] = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
	static const struct { enum cp_digest_alg alg; const char *resp; } v[] = {
		{ CP_DIGEST_MD5, "8ca523f5e9506fed4657c9700eebdbec" },
		{ CP_DIGEST_SHA256,
		  "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1" },
	};
	char ha1[CP_DIGEST_HEX_MAX], resp[CP_DIGEST_HEX_MAX];

	(void)state;
	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(cp_digest_ha1(v[i].alg, "Mufasa", "http-auth@example.org",
					       "Circle of Life", ha1), 0);
		assert_int_equal(strlen(ha1), cp_digest_hexlen(v[i].alg));
		assert_int_equal(cp_digest_response(v[i].alg, ha1, nonce, "00000001", cnonce,
						    "auth", "GET", "/dir/index.html", resp), 0);
		assert_string_equal(resp, v[i].resp);
		assert_true(cp_digest_equal(resp, v[i].resp));
	}
	assert_false(cp_digest_equal(resp, "753927fa"));
}

/* RFC 2069 form (no qop): H(HA1:nonce:HA2), checked against the qop form's building blocks */
static void no_qop(void **state)
{
	char ha1[CP_DIGEST_HEX_MAX], ha2[CP_DIGEST_HEX_MAX], a[CP_DIGEST_HEX_MAX],
	     b[CP_DIGEST_HEX_MAX];
	const char *a2[] = { "REGISTER", "sip:example.org" };

	(void)state;
	cp_digest_ha1(CP_DIGEST_SHA256, "u", "r", "p", ha1);
	cp_digest_hash(CP_DIGEST_SHA256, a2, 2, ha2);
	const char *p[] = { ha1, "n", ha2 };

	cp_digest_hash(CP_DIGEST_SHA256, p, 3, a);
	assert_int_equal(cp_digest_response(CP_DIGEST_SHA256, ha1, "n", NULL, NULL, NULL,
					    "REGISTER", "sip:example.org", b), 0);
	assert_string_equal(a, b);
}

static void alg_names(void **state)
{
	enum cp_digest_alg a;

	(void)state;
	assert_int_equal(cp_digest_alg_parse(NULL, 0, &a), 0);
	assert_int_equal(a, CP_DIGEST_MD5);
	assert_int_equal(cp_digest_alg_parse("sha-256", 7, &a), 0);
	assert_int_equal(a, CP_DIGEST_SHA256);
	assert_int_equal(cp_digest_alg_parse("MD5", 3, &a), 0);
	assert_int_equal(a, CP_DIGEST_MD5);
	assert_int_equal(cp_digest_alg_parse("MD5-sess", 8, &a), -EINVAL);
	assert_int_equal(cp_digest_alg_parse("SHA-512-256", 11, &a), -EINVAL);
	assert_string_equal(cp_digest_alg_name(CP_DIGEST_SHA256), "SHA-256");
}

static void params(void **state)
{
	const char *const ch[] = { "realm=\"sbc.example\"", "nonce=\"a\\\"b\"",
				   "algorithm=SHA-256", "qop=\"auth,auth-int\"", "Stale=TRUE",
				   "foo=bar", NULL };
	const char *const dup[] = { "realm=\"a\"", "REALM=\"b\"", NULL };
	struct cp_digest_params p;

	(void)state;
	assert_int_equal(cp_digest_params_parse(ch, &p), 0);
	assert_string_equal(p.realm, "sbc.example");
	assert_string_equal(p.nonce, "a\"b");
	assert_string_equal(p.algorithm, "SHA-256");
	assert_string_equal(p.stale, "TRUE");
	assert_null(p.opaque);
	assert_null(p.username);
	assert_true(cp_digest_qop_has_auth(p.qop));
	assert_false(cp_digest_qop_has_auth("auth-int"));
	assert_false(cp_digest_qop_has_auth(NULL));
	assert_true(cp_digest_qop_has_auth("auth-int, auth"));
	assert_int_equal(cp_digest_params_parse(dup, &p), -EINVAL);
}

static void params_too_long(void **state)
{
	static char big[3000];
	const char *const v[] = { big, NULL };
	struct cp_digest_params p;

	(void)state;
	memcpy(big, "nonce=", 6);
	memset(big + 6, 'x', sizeof(big) - 7);
	assert_int_equal(cp_digest_params_parse(v, &p), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc2617_md5),
		cmocka_unit_test(rfc7616_md5_sha256),
		cmocka_unit_test(no_qop),
		cmocka_unit_test(alg_names),
		cmocka_unit_test(params),
		cmocka_unit_test(params_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
