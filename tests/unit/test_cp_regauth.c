/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar's authentication checks (controlplane/cp_regauth.c), with the time passed in:
 * nonces (HMAC bound to the secret and the trunk, stale after 30 s, every alteration refused),
 * nc strictly increasing per nonce and forgotten with the nonce, a REGISTER's credentials
 * (parsed by Sofia-SIP from text) against its Request-URI and the trunk's realm, and the
 * lockout's K failures within T s per source (a sliding window), its D s and its lifting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_parser.h>

#include "cp_regauth.h"

static const unsigned char secret_a[32] = "0123456789abcdef0123456789abcde";
static const unsigned char secret_b[32] = "fedcba9876543210fedcba987654321";
static const unsigned char rnd[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
#define T0 1000000ull	/* ms */

static void nonces(void **state)
{
	struct cp_regauth a, b;
	char n[CP_NONCE_MAX], m[CP_NONCE_MAX];

	(void)state;
	assert_int_equal(cp_regauth_init(&a, secret_a, 1, 5, 60, 600), 0);
	assert_int_equal(cp_regauth_init(&b, secret_b, 1, 5, 60, 600), 0);
	cp_nonce_make(&a, "pbx-digest", T0, rnd, n, sizeof(n));
	assert_int_equal(cp_nonce_check(&a, "pbx-digest", n, T0), 0);
	assert_int_equal(cp_nonce_check(&a, "pbx-digest", n, T0 + CP_NONCE_LIFE_MS), 0);
	assert_int_equal(cp_nonce_check(&a, "pbx-digest", n, T0 + CP_NONCE_LIFE_MS + 1), 1);
	assert_int_equal(cp_nonce_check(&a, "pbx-digest", n, T0 - 1), 1);	/* from the future */
	assert_int_equal(cp_nonce_check(&a, "pbx-other", n, T0), -1);	/* another trunk's */
	assert_int_equal(cp_nonce_check(&b, "pbx-digest", n, T0), -1);	/* another secret */
	/* any one character changed: the time, the random part, the MAC */
	for (size_t i = 0; i < strlen(n); i++) {
		if (n[i] == '.')
			continue;
		snprintf(m, sizeof(m), "%s", n);
		m[i] = m[i] == '0' ? '1' : '0';
		assert_int_equal(cp_nonce_check(&a, "pbx-digest", m, T0), -1);
	}
	/* cut short, lengthened, malformed */
	snprintf(m, sizeof(m), "%.*s", (int)strlen(n) - 1, n);
	assert_int_equal(cp_nonce_check(&a, "pbx-digest", m, T0), -1);
	snprintf(m, sizeof(m), "%s0", n);
	assert_int_equal(cp_nonce_check(&a, "pbx-digest", m, T0), -1);
	static const char *const bad[] = { "", "abc", "1.2", "1.2.3", "..", "x.y.z",
					   ".0102030405060708.00000000000000000000000000000000" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cp_nonce_check(&a, "pbx-digest", bad[i], T0), -1);
	/* two nonces made in the same ms differ by their random part */
	cp_nonce_make(&a, "pbx-digest", T0, (const unsigned char *)"abcdefgh", m, sizeof(m));
	assert_string_not_equal(n, m);
	assert_int_equal(cp_nonce_check(&a, "pbx-digest", m, T0), 0);
	cp_regauth_fini(&a);
	cp_regauth_fini(&b);
}

static void nc_per_nonce(void **state)
{
	struct cp_regauth a;
	char n[CP_NONCE_MAX], o[CP_NONCE_MAX];

	(void)state;
	assert_int_equal(cp_regauth_init(&a, secret_a, 2, 5, 60, 600), 0);
	cp_nonce_make(&a, "t", T0, rnd, n, sizeof(n));
	cp_nonce_make(&a, "t", T0 + 5, rnd, o, sizeof(o));
	assert_true(cp_nc_fresh(&a, n, 1));
	assert_int_equal(cp_nc_accept(&a, n, 1), 0);
	assert_false(cp_nc_fresh(&a, n, 1));		/* the same nc: a replay */
	assert_false(cp_nc_fresh(&a, n, 0));
	assert_true(cp_nc_fresh(&a, n, 2));
	assert_int_equal(cp_nc_accept(&a, n, 5), 0);	/* gaps allowed */
	assert_false(cp_nc_fresh(&a, n, 3));		/* lower than the last accepted */
	assert_false(cp_nc_fresh(&a, n, 5));
	assert_true(cp_nc_fresh(&a, n, 6));
	assert_true(cp_nc_fresh(&a, o, 1));		/* each nonce on its own */
	assert_int_equal(cp_nc_accept(&a, o, 1), 0);
	assert_int_equal(a.ncs.n, 2);
	/* kept while the nonce is fresh, forgotten once it is stale (never accepted again) */
	cp_regauth_sweep(&a, T0 + CP_NONCE_LIFE_MS);
	assert_int_equal(a.ncs.n, 2);
	cp_regauth_sweep(&a, T0 + CP_NONCE_LIFE_MS + 1);
	assert_int_equal(a.ncs.n, 1);
	assert_false(cp_nc_fresh(&a, o, 1));
	assert_int_equal(cp_nonce_check(&a, "t", n, T0 + CP_NONCE_LIFE_MS + 1), 1);
	cp_regauth_sweep(&a, T0 + CP_NONCE_LIFE_MS + 6);
	assert_int_equal(a.ncs.n, 0);
	cp_regauth_fini(&a);
}

/* A REGISTER with the given Request-URI and Authorization lines, parsed by Sofia-SIP. */
static msg_t *reg(const char *ruri, const char *auth)
{
	char text[2048];
	msg_t *msg;
	int n;

	n = snprintf(text, sizeof(text),
		     "REGISTER %s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 198.51.100.21:5090;branch=z9hG4bK1\r\n"
		     "From: <sip:alice@digest.example>;tag=1\r\nTo: <sip:alice@digest.example>\r\n"
		     "Call-ID: c1@198.51.100.21\r\nCSeq: 2 REGISTER\r\n"
		     "Contact: <sip:alice@198.51.100.21:5090>\r\n%sContent-Length: 0\r\n\r\n",
		     ruri, auth);
	msg = msg_make(sip_default_mclass(), 0, text, (size_t)n);
	assert_non_null(msg);
	assert_non_null(sip_object(msg)->sip_request);
	return msg;
}

/* An Authorization line for nonce; fields overridable. */
static void auth_line(char *out, size_t len, const char *user, const char *realm,
		      const char *nonce, const char *uri, const char *alg, const char *nc,
		      const char *qop, const char *cnonce)
{
	int n = snprintf(out, len, "Authorization: Digest username=\"%s\", realm=\"%s\", "
			 "nonce=\"%s\", uri=\"%s\", response=\"%064d\", algorithm=%s, "
			 "qop=%s, nc=%s", user, realm, nonce, uri, 0, alg, qop, nc);

	if (cnonce != NULL)
		n += snprintf(out + n, len - (size_t)n, ", cnonce=\"%s\"", cnonce);
	snprintf(out + n, len - (size_t)n, "\r\n");
}

static unsigned int check_algs = 1u << CP_DIGEST_MD5 | 1u << CP_DIGEST_SHA256;

static const char *check(const struct cp_regauth *a, const char *ruri, const char *auth,
			 uint64_t now, struct cp_cred *c)
{
	msg_t *msg = reg(ruri, auth);
	const char *why = cp_regauth_check(a, sip_object(msg), "digest.example", "pbx-digest",
					   check_algs, now, c);

	msg_destroy(msg);
	return why;
}

static void credentials(void **state)
{
	struct cp_regauth a;
	struct cp_cred c;
	char n[CP_NONCE_MAX], h[1024], h2[2048];
	const char *uri = "sip:digest.example";

	(void)state;
	assert_int_equal(cp_regauth_init(&a, secret_a, 3, 5, 60, 600), 0);
	cp_nonce_make(&a, "pbx-digest", T0, rnd, n, sizeof(n));
	/* good, SHA-256 */
	auth_line(h, sizeof(h), "alice", "digest.example", n, uri, "SHA-256", "00000001", "auth",
		  "c0ffee");
	assert_null(check(&a, uri, h, T0 + 10, &c));
	assert_string_equal(c.user, "alice");
	assert_string_equal(c.nonce, n);
	assert_string_equal(c.cnonce, "c0ffee");
	assert_string_equal(c.ncs, "00000001");
	assert_int_equal(c.nc, 1);
	assert_int_equal(c.alg, CP_DIGEST_SHA256);
	assert_false(c.stale);
	/* MD5, nc in upper-case hex */
	auth_line(h, sizeof(h), "alice", "digest.example", n, uri, "MD5", "0000000A", "auth", "x");
	assert_null(check(&a, uri, h, T0 + 10, &c));
	assert_int_equal(c.alg, CP_DIGEST_MD5);
	assert_int_equal(c.nc, 10);
	/* uri= must be the Request-URI (RFC 3261 22.4) */
	auth_line(h, sizeof(h), "alice", "digest.example", n, "sip:other.example", "MD5",
		  "00000001", "auth", "x");
	assert_string_equal(check(&a, uri, h, T0, &c), "uri= is not the Request-URI");
	auth_line(h, sizeof(h), "alice", "digest.example", n, "sip:digest.example;transport=tcp",
		  "MD5", "00000001", "auth", "x");
	assert_string_equal(check(&a, uri, h, T0, &c), "uri= is not the Request-URI");
	auth_line(h, sizeof(h), "alice", "digest.example", n, uri, "MD5", "00000001", "auth", "x");
	assert_string_equal(check(&a, "sip:digest.example:5070", h, T0, &c),
			    "uri= is not the Request-URI");
	/* realm: credentials for another realm only are none; ours among several are found */
	auth_line(h, sizeof(h), "alice", "other.example", n, uri, "MD5", "00000001", "auth", "x");
	assert_string_equal(check(&a, uri, h, T0, &c), "credentials for another realm");
	assert_string_equal(check(&a, uri, "", T0, &c), "credentials for another realm");
	{
		char ours[1024];

		auth_line(ours, sizeof(ours), "bob", "digest.example", n, uri, "MD5", "00000001",
			  "auth", "x");
		snprintf(h2, sizeof(h2), "%s%s", h, ours);
		assert_null(check(&a, uri, h2, T0, &c));
		assert_string_equal(c.user, "bob");
	}
	/* incomplete: no cnonce, qop other than auth, nc not 8 hex digits, an algorithm not ours */
	auth_line(h, sizeof(h), "alice", "digest.example", n, uri, "MD5", "00000001", "auth", NULL);
	assert_non_null(strstr(check(&a, uri, h, T0, &c), "incomplete"));
	auth_line(h, sizeof(h), "alice", "digest.example", n, uri, "MD5", "00000001", "auth-int",
		  "x");
	assert_non_null(strstr(check(&a, uri, h, T0, &c), "incomplete"));
	auth_line(h, sizeof(h), "alice", "digest.example", n, uri, "MD5", "0000001", "auth", "x");
	assert_non_null(strstr(check(&a, uri, h, T0, &c), "incomplete"));
	auth_line(h, sizeof(h), "alice", "digest.example", n, uri, "MD5", "0000000g", "auth", "x");
	assert_non_null(strstr(check(&a, uri, h, T0, &c), "incomplete"));
	auth_line(h, sizeof(h), "alice", "digest.example", n, uri, "SHA-512-256", "00000001", "auth",
		  "x");
	assert_non_null(strstr(check(&a, uri, h, T0, &c), "incomplete"));
	/* an algorithm the trunk does not offer (algorithms = MD5) */
	check_algs = 1u << CP_DIGEST_MD5;
	auth_line(h, sizeof(h), "alice", "digest.example", n, uri, "SHA-256", "00000001", "auth",
		  "x");
	assert_string_equal(check(&a, uri, h, T0, &c), "an algorithm the trunk does not offer");
	auth_line(h, sizeof(h), "alice", "digest.example", n, uri, "MD5", "00000001", "auth", "x");
	assert_null(check(&a, uri, h, T0, &c));
	check_algs = 1u << CP_DIGEST_MD5 | 1u << CP_DIGEST_SHA256;
	/* a nonce not ours; another trunk's */
	auth_line(h, sizeof(h), "alice", "digest.example", "1.2.3", uri, "MD5", "00000001", "auth",
		  "x");
	assert_string_equal(check(&a, uri, h, T0, &c), "a nonce that is not ours");
	{
		char other[CP_NONCE_MAX];

		cp_nonce_make(&a, "pbx-both", T0, rnd, other, sizeof(other));
		auth_line(h, sizeof(h), "alice", "digest.example", other, uri, "MD5", "00000001",
			  "auth", "x");
		assert_string_equal(check(&a, uri, h, T0, &c), "a nonce that is not ours");
	}
	/* stale: passes the checks, noted (the registrar answers a new challenge, no failure) */
	auth_line(h, sizeof(h), "alice", "digest.example", n, uri, "MD5", "00000001", "auth", "x");
	assert_null(check(&a, uri, h, T0 + CP_NONCE_LIFE_MS + 1, &c));
	assert_true(c.stale);
	/* a replayed or lower nc, once one was accepted */
	assert_int_equal(cp_nc_accept(&a, n, 1), 0);
	assert_string_equal(check(&a, uri, h, T0 + 20, &c),
			    "nc not above the last accepted with this nonce (replay)");
	auth_line(h, sizeof(h), "alice", "digest.example", n, uri, "MD5", "00000002", "auth", "y");
	assert_null(check(&a, uri, h, T0 + 20, &c));
	cp_regauth_fini(&a);
}

static void lockout(void **state)
{
	struct cp_regauth a;
	const char *ip = "198.51.100.23", *other = "2001:db8::23";

	(void)state;
	/* K = 5 failures within T = 60 s lock out for D = 600 s */
	assert_int_equal(cp_regauth_init(&a, secret_a, 4, 5, 60, 600), 0);
	assert_false(cp_regauth_locked(&a, ip, 100));
	for (unsigned int i = 0; i < 4; i++)
		assert_false(cp_regauth_fail(&a, ip, 100 + i * 10));
	assert_false(cp_regauth_locked(&a, ip, 140));
	assert_false(cp_regauth_fail(&a, other, 140));	/* another source counts for itself */
	assert_true(cp_regauth_fail(&a, ip, 159));		/* the 5th within 60 s (100..159) */
	assert_true(cp_regauth_locked(&a, ip, 159));
	assert_true(cp_regauth_locked(&a, ip, 159 + 599));
	assert_false(cp_regauth_locked(&a, ip, 159 + 600));
	assert_false(cp_regauth_locked(&a, other, 159));
	/* while locked nothing is counted; the lockout took its failures */
	assert_false(cp_regauth_fail(&a, ip, 200));
	for (unsigned int i = 0; i < 4; i++)
		assert_false(cp_regauth_fail(&a, ip, 800 + i));
	assert_true(cp_regauth_fail(&a, ip, 804));
	/* sliding: failures at 0, 10, 20, 30 s, then at 60 s (the first is 60 s old: out) and
	 * 61 s (5 within 60 s: 10, 20, 30, 60, 61) */
	ip = "198.51.100.24";
	for (unsigned int i = 0; i < 4; i++)
		assert_false(cp_regauth_fail(&a, ip, 2000 + i * 10));
	assert_false(cp_regauth_fail(&a, ip, 2060));
	assert_true(cp_regauth_fail(&a, ip, 2061));
	/* spread out (one each 15 s) nothing locks however long it goes on */
	ip = "198.51.100.25";
	for (unsigned int i = 0; i < 100; i++)
		assert_false(cp_regauth_fail(&a, ip, 3000 + i * 15));
	/* at a fixed window's boundary: 4 just before it, 4 just after: locked at the 5th */
	ip = "198.51.100.26";
	for (unsigned int i = 0; i < 4; i++)
		assert_false(cp_regauth_fail(&a, ip, 5056 + i));
	assert_true(cp_regauth_fail(&a, ip, 5061));
	/* a DEL of sbc:deny lifts it and forgets the failures */
	assert_true(cp_regauth_locked(&a, ip, 5062));
	assert_true(cp_regauth_unlock(&a, ip));
	assert_false(cp_regauth_locked(&a, ip, 5062));
	assert_false(cp_regauth_unlock(&a, ip));
	for (unsigned int i = 0; i < 4; i++)
		assert_false(cp_regauth_fail(&a, ip, 5063));
	/* the sweep forgets sources without a recent failure or a lockout */
	assert_int_equal(a.fails.n, 5);
	cp_regauth_sweep(&a, 5063 * 1000ull);
	assert_int_equal(a.fails.n, 1);	/* .26: 4 failures now; the others' ended or ran out */
	cp_regauth_sweep(&a, 5200 * 1000ull);
	assert_int_equal(a.fails.n, 0);
	cp_regauth_fini(&a);
	/* K = 1: the first failure locks out */
	assert_int_equal(cp_regauth_init(&a, secret_a, 5, 1, 60, 10), 0);
	assert_true(cp_regauth_fail(&a, "192.0.2.1", 7));
	assert_true(cp_regauth_locked(&a, "192.0.2.1", 16));
	assert_false(cp_regauth_locked(&a, "192.0.2.1", 17));
	cp_regauth_fini(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nonces),
		cmocka_unit_test(nc_per_nonce),
		cmocka_unit_test(credentials),
		cmocka_unit_test(lockout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
