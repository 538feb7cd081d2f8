/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar's recent answers (controlplane/cp_regcache.c), with the time passed in: the
 * transaction key of REGISTERs parsed by Sofia-SIP (the same for every copy of one request,
 * different when any field of the transaction differs or the secret does), its To tag, and the
 * ring: found while alive, gone after CP_REGCACHE_LIFE_MS, the oldest pushed out when full
 * (counted), collisions in one bucket, and the memory it holds never growing with what is added.
 */
#include <errno.h>
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

#include "cp_regcache.h"

static const unsigned char secret_a[32] = "0123456789abcdef0123456789abcde";
static const unsigned char secret_b[32] = "fedcba9876543210fedcba987654321";
#define T0 5000000ull	/* ms */

/* A REGISTER with these fields (NULL: the default), parsed. */
struct req {
	const char *branch, *via_host, *call_id, *cseq, *from_tag, *ruri, *extra;
};

static msg_t *parse(const struct req *r)
{
	char text[2048];
	msg_t *m;
	int n = snprintf(text, sizeof(text),
			 "REGISTER %s SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <sip:u1@digest.example>;tag=%s\r\n"
			 "To: <sip:u1@digest.example>\r\n"
			 "Call-ID: %s\r\n"
			 "CSeq: %s\r\n"
			 "Contact: <sip:u1@198.18.0.7:5060>\r\n"
			 "%s"
			 "Content-Length: 0\r\n\r\n",
			 r->ruri ? r->ruri : "sip:digest.example",
			 r->via_host ? r->via_host : "198.18.0.7:5060",
			 r->branch ? r->branch : "z9hG4bK-1", r->from_tag ? r->from_tag : "f1",
			 r->call_id ? r->call_id : "c1@pbx", r->cseq ? r->cseq : "1 REGISTER",
			 r->extra ? r->extra : "");

	assert_true(n > 0 && (size_t)n < sizeof(text));
	m = msg_make(sip_default_mclass(), 0, text, (size_t)n);
	assert_non_null(m);
	assert_non_null(sip_object(m)->sip_request);
	return m;
}

static void key_of(const unsigned char *secret, const struct req *r, uint8_t key[16])
{
	msg_t *m = parse(r);

	assert_int_equal(cp_regcache_key(secret, sip_object(m), key), 0);
	msg_destroy(m);
}

static void keys(void **state)
{
	uint8_t k0[16], k1[16];
	char t0[CP_REGCACHE_TAG], t1[CP_REGCACHE_TAG];
	/* each changes one field of the transaction */
	static const struct req other[] = {
		{ .branch = "z9hG4bK-2" }, { .via_host = "198.18.0.8:5060" },
		{ .via_host = "198.18.0.7:5061" }, { .call_id = "c2@pbx" },
		{ .cseq = "2 REGISTER" }, { .from_tag = "f2" },
		{ .ruri = "sip:other.example" },
	};

	(void)state;
	key_of(secret_a, &(struct req){ 0 }, k0);
	/* another copy of the same request: the same key, even with other headers around */
	key_of(secret_a, &(struct req){ .extra = "User-Agent: again\r\n" }, k1);
	assert_memory_equal(k0, k1, 16);
	cp_regcache_tag(k0, t0);
	cp_regcache_tag(k1, t1);
	assert_string_equal(t0, t1);
	assert_int_equal(strlen(t0), 16);
	assert_int_equal(strspn(t0, "0123456789abcdef"), 16);
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		key_of(secret_a, &other[i], k1);
		assert_memory_not_equal(k0, k1, 16);
	}
	/* another secret (another run of the control plane): another key and tag */
	key_of(secret_b, &(struct req){ 0 }, k1);
	assert_memory_not_equal(k0, k1, 16);
	cp_regcache_tag(k1, t1);
	assert_string_not_equal(t0, t1);
	/* no Via: no key */
	{
		msg_t *m = parse(&(struct req){ 0 });
		sip_t *s = sip_object(m);

		s->sip_via = NULL;
		assert_int_equal(cp_regcache_key(secret_a, s, k1), -EINVAL);
		msg_destroy(m);
	}
}

static void mkkey(uint32_t i, uint8_t key[16])
{
	memset(key, 0, 16);
	memcpy(key + 4, &i, sizeof(i));	/* the first 4 bytes (the bucket) all 0: one chain */
	key[15] = 0x5a;
}

static void life_and_answers(void **state)
{
	struct cp_regcache c;
	struct cp_regcache_entry *e;
	uint8_t k[16], j[16];

	(void)state;
	assert_int_equal(cp_regcache_init(&c, 8), 0);
	mkkey(1, k);
	mkkey(2, j);
	assert_null(cp_regcache_find(&c, k, T0));
	e = cp_regcache_add(&c, k, T0);
	e->state = CP_REGCACHE_PENDING;
	e->trunk = 3;
	assert_ptr_equal(cp_regcache_find(&c, k, T0 + 10), e);
	assert_null(cp_regcache_find(&c, j, T0 + 10));	/* same bucket, another key */
	/* answered later: the entry keeps its birth (a client stops at Timer F of its first copy) */
	e = cp_regcache_find(&c, k, T0 + 20);
	e->state = CP_REGCACHE_ANSWERED;
	e->status = 200;
	e->value = 600;
	e = cp_regcache_find(&c, k, T0 + CP_REGCACHE_LIFE_MS - 1);
	assert_non_null(e);
	assert_int_equal(e->status, 200);
	assert_int_equal(e->value, 600);
	assert_int_equal(e->trunk, 3);
	assert_null(cp_regcache_find(&c, k, T0 + CP_REGCACHE_LIFE_MS));
	/* an add after its life drops it from the ring (no early eviction counted) */
	e = cp_regcache_add(&c, j, T0 + CP_REGCACHE_LIFE_MS);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.evicted_early, 0);
	assert_ptr_equal(cp_regcache_find(&c, j, T0 + CP_REGCACHE_LIFE_MS), e);
	/* the same key added again (its old entry pushed out earlier): the newest is found */
	e = cp_regcache_add(&c, j, T0 + CP_REGCACHE_LIFE_MS + 1);
	e->status = 401;
	assert_int_equal(cp_regcache_find(&c, j, T0 + CP_REGCACHE_LIFE_MS + 2)->status, 401);
	cp_regcache_fini(&c);
}

static void full_ring(void **state)
{
	struct cp_regcache c;
	uint8_t k[16];
	size_t bytes;

	(void)state;
	assert_int_equal(cp_regcache_init(&c, 100), 0);
	assert_int_equal(c.nb, 128);
	bytes = cp_regcache_bytes(&c);
	assert_int_equal(bytes, 100 * sizeof(struct cp_regcache_entry) + 128 * sizeof(uint32_t));
	/* 1,000 within one life: the last 100 are found, the first 900 pushed out, counted */
	for (uint32_t i = 0; i < 1000; i++) {
		mkkey(i, k);
		cp_regcache_add(&c, k, T0 + i)->value = i;
	}
	assert_int_equal(c.n, 100);
	assert_int_equal(c.evicted_early, 900);
	for (uint32_t i = 0; i < 1000; i++) {
		const struct cp_regcache_entry *e;

		mkkey(i, k);
		e = cp_regcache_find(&c, k, T0 + 1000);
		if (i < 900) {
			assert_null(e);
		} else {
			assert_non_null(e);
			assert_int_equal(e->value, i);
		}
	}
	/* what it holds is what init allocated, whatever was added */
	assert_int_equal(cp_regcache_bytes(&c), bytes);
	cp_regcache_fini(&c);
	assert_int_equal(cp_regcache_init(&c, 0), -EINVAL);
}

/* Keys spread over the buckets (random-looking first bytes), many lives over: every find
 * agrees with a plain list of what is alive. */
static void churn(void **state)
{
	struct cp_regcache c;
	uint8_t k[16];
	uint64_t now = T0;

	(void)state;
	assert_int_equal(cp_regcache_init(&c, 1000), 0);
	for (uint32_t i = 0; i < 200000; i++) {
		uint32_t h = i * 2654435761u;

		memset(k, 0, sizeof(k));
		memcpy(k, &h, sizeof(h));
		memcpy(k + 4, &i, sizeof(i));
		now += i % 7 == 0 ? 200 : 0;	/* ~5,000 a second: the ring wraps within a life */
		cp_regcache_add(&c, k, now)->value = i;
		if (i >= 10) {	/* one added 10 before is still there */
			uint32_t o = i - 10, g = o * 2654435761u;

			memset(k, 0, sizeof(k));
			memcpy(k, &g, sizeof(g));
			memcpy(k + 4, &o, sizeof(o));
			assert_int_equal(cp_regcache_find(&c, k, now)->value, o);
		}
	}
	assert_true(c.n <= 1000);
	assert_true(c.evicted_early > 0);
	cp_regcache_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys),
		cmocka_unit_test(life_and_answers),
		cmocka_unit_test(full_ring),
		cmocka_unit_test(churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
