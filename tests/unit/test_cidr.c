/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for CIDR parsing (common/sbc_cidr.c): v4, v6, bad prefixes, host bits set. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sbc_cidr.h"

static void roundtrip(const char *in, const char *want)
{
	struct sbc_prefix p;
	char err[256], out[SBC_CIDR_STRLEN];

	assert_int_equal(sbc_prefix_parse(in, &p, err, sizeof(err)), 0);
	assert_string_equal(sbc_prefix_format(&p, out, sizeof(out)), want);
}

static void expect_error(const char *in, const char *fragment)
{
	struct sbc_prefix p;
	char err[256] = "";

	assert_int_equal(sbc_prefix_parse(in, &p, err, sizeof(err)), -EINVAL);
	if (strstr(err, fragment) == NULL)
		fail_msg("'%s': error '%s' lacks '%s'", in, err, fragment);
}

static void test_v4_good(void **state)
{
	(void)state;
	roundtrip("198.51.100.0/24", "198.51.100.0/24");
	roundtrip("203.0.113.7", "203.0.113.7/32");
	roundtrip("203.0.113.7/32", "203.0.113.7/32");
	roundtrip("0.0.0.0/0", "0.0.0.0/0");
	roundtrip("10.0.0.0/8", "10.0.0.0/8");
}

static void test_v6_good(void **state)
{
	(void)state;
	roundtrip("2001:db8::/32", "2001:db8::/32");
	roundtrip("2001:DB8:100::/48", "2001:db8:100::/48");
	roundtrip("2001:db8::20", "2001:db8::20/128");
	roundtrip("::/0", "::/0");
	roundtrip("::ffff:198.51.100.0/120", "::ffff:198.51.100.0/120");
}

static void test_bad(void **state)
{
	(void)state;
	expect_error("10.0.0.0/33", "larger than 32");
	expect_error("2001:db8::/129", "larger than 128");
	expect_error("hello", "not an IPv4 or IPv6 address");
	expect_error("", "not an IPv4 or IPv6");
	expect_error("/24", "not an IPv4 or IPv6");
	expect_error("10.0.0.0/", "not a number");
	expect_error("10.0.0.0/-1", "not a number");
	expect_error("10.0.0.0/+8", "not a number");
	expect_error("10.0.0.0/0x8", "not a number");
	expect_error("10.0.0.0/ 8", "not a number");
	expect_error("10.0.0.0/8/8", "not a number");
	expect_error("10.0.0.256/32", "not an IPv4 or IPv6 address");
	expect_error("10.0.0/24", "not an IPv4 or IPv6 address");
	expect_error("[2001:db8::1]/128", "not an IPv4 or IPv6 address");
	expect_error("fe80::1%eth0/128", "not an IPv4 or IPv6 address");
}

static void test_host_bits(void **state)
{
	(void)state;
	expect_error("203.0.113.7/24", "did you mean 203.0.113.0/24");
	expect_error("198.51.100.1/31", "did you mean 198.51.100.0/31");
	expect_error("2001:db8::1/64", "did you mean 2001:db8::/64");
	expect_error("2001:db8:8000::/32", "host bits set");
}

static void test_contains(void **state)
{
	struct sbc_prefix p;
	char err[64];
	uint8_t in[4] = { 198, 51, 100, 200 }, out[4] = { 198, 51, 101, 1 };

	(void)state;
	assert_int_equal(sbc_prefix_parse("198.51.100.128/25", &p, err, sizeof(err)), 0);
	assert_true(sbc_prefix_contains(&p, in));
	assert_false(sbc_prefix_contains(&p, out));
	in[3] = 127;
	assert_false(sbc_prefix_contains(&p, in));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_good),
		cmocka_unit_test(test_v6_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_host_bits),
		cmocka_unit_test(test_contains),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
