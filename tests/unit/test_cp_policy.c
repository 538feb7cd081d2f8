/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the control plane's policy engine (controlplane/cp_policy.c): parsing of
 * sbc:acl / sbc:limits values with bad ones skipped and reported once, set diffs, the
 * prefix -> trunk map, and the commands sent for a change (one message when it fits, a staged
 * replace otherwise), cross-trunk conflicts and capacity refusal. The channel end here records
 * the commands instead of writing shared memory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cp_chan.h"
#include "cp_dynacl.h"
#include "cp_log.h"
#include "cp_policy.h"

/* ---- the channel end, recording */
static struct sbc_msg sent[4096];
static unsigned int n_sent;
static uint64_t gen = 100;
static bool ready = true;

bool cp_chan_ready(void) { return ready; }
size_t cp_chan_queued(void) { return 0; }
uint64_t cp_chan_next_generation(void) { return ++gen; }

uint64_t cp_chan_send_gen(uint16_t type, const void *body, uint32_t len, uint64_t generation)
{
	assert_true(n_sent < sizeof(sent) / sizeof(sent[0]));
	memset(&sent[n_sent], 0, sizeof(sent[0]));
	sent[n_sent].type = type;
	sent[n_sent].version = 1;
	sent[n_sent].len = len;
	sent[n_sent].generation = generation;
	memcpy(sent[n_sent].body, body, len);
	assert_int_equal(sbc_msg_validate(&sent[n_sent]), 0);
	n_sent++;
	return generation;
}

uint64_t cp_chan_send(uint16_t type, const void *body, uint32_t len)
{
	return cp_chan_send_gen(type, body, len, cp_chan_next_generation());
}

/* ---- log capture: how many warnings mention a string */
static char logbuf[65536];
int cp_log_verbosity = CP_DEBUG;

void cp_log(enum cp_log_level lvl, const char *fmt, ...)
{
	size_t l = strlen(logbuf);
	va_list ap;

	(void)lvl;
	va_start(ap, fmt);
	vsnprintf(logbuf + l, sizeof(logbuf) - l - 1, fmt, ap);
	va_end(ap);
	strncat(logbuf, "\n", sizeof(logbuf) - strlen(logbuf) - 1);
}

static unsigned int log_count(const char *s)
{
	unsigned int n = 0;

	for (const char *p = logbuf; (p = strstr(p, s)) != NULL; p++)
		n++;
	return n;
}

/* ---- helpers */
struct bad_rec {
	unsigned int n;
	char last[128];
};

static void rec_bad(void *arg, const char *v, size_t l, const char *why)
{
	struct bad_rec *b = arg;

	(void)why;
	b->n++;
	snprintf(b->last, sizeof(b->last), "%.*s", (int)l, v);
}

static void read_acl(struct cp_trunk *t, const char **vals, size_t n)
{
	size_t lens[64] = { 0 };

	for (size_t i = 0; i < n; i++)
		lens[i] = strlen(vals[i]);
	cp_policy_acl_read(t, vals, lens, n);
}

static const char CONF[] =
	"[sbc]\naddress = 198.51.100.10\n[dataplane]\nwire = net_null0\nexception = net_null1\n"
	"acl_v4_rules = 16\nacl_v6_rules = 16\n"
	"[trunk a]\npeers = 203.0.113.0/24\ncps = 10\nburst = 5\nmax_calls = 20\n"
	"[trunk b]\n[trunk c]\n";

static struct sbc_config cfg;

static int setup(void **state)
{
	char err[512];

	(void)state;
	if (sbc_config_load_string(&cfg, CONF, "test.conf", err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	n_sent = 0;
	logbuf[0] = '\0';
	ready = true;
	return cp_policy_init(&cfg);
}

static int teardown(void **state)
{
	(void)state;
	cp_policy_fini();
	sbc_config_free(&cfg);
	return 0;
}

/* ---- tests */

static void test_acl_parse(void **state)
{
	const char *v[] = { "10.0.0.0/8", " 10.0.0.0/8 ", "10.0.0.0/33", "hello", "10.1.1.1/16",
			    "2001:db8::/32", "", "192.0.2.1" };
	size_t l[8];
	struct cp_set s = { 0 };
	struct bad_rec b = { 0 };
	char txt[SBC_CIDR_STRLEN];

	(void)state;
	for (int i = 0; i < 8; i++)
		l[i] = strlen(v[i]);
	assert_int_equal(cp_acl_parse(v, l, 8, &s, rec_bad, &b), 0);
	assert_int_equal(b.n, 4);	/* /33, hello, host bits, empty */
	assert_int_equal(s.n, 3);	/* 10/8 once (spaces trimmed), 192.0.2.1/32, 2001:db8::/32 */
	assert_string_equal(sbc_prefix_format(&s.v[0], txt, sizeof(txt)), "10.0.0.0/8");
	assert_string_equal(sbc_prefix_format(&s.v[1], txt, sizeof(txt)), "192.0.2.1/32");
	assert_string_equal(sbc_prefix_format(&s.v[2], txt, sizeof(txt)), "2001:db8::/32");
	cp_set_free(&s);
}

static void test_limits_parse(void **state)
{
	struct sbc_trunk_config d = { .cps = 10, .burst = 5, .max_calls = 20 };
	const char *kv[] = { "cps", "100", "burst", "abc", "max_calls", "4294967296", "foo", "1" };
	size_t l[8];
	struct cp_limits out;
	struct bad_rec b = { 0 };

	(void)state;
	for (int i = 0; i < 8; i++)
		l[i] = strlen(kv[i]);
	cp_limits_parse(kv, l, 8, &d, &out, rec_bad, &b);
	assert_int_equal(out.cps, 100);
	assert_int_equal(out.burst, 5);		/* not a number: the configured value */
	assert_int_equal(out.max_calls, 20);	/* beyond 32 bits */
	assert_int_equal(b.n, 3);
	cp_limits_parse(kv, l, 0, &d, &out, rec_bad, &b);	/* no HASH: all defaults */
	assert_int_equal(out.cps, 10);
}

static void test_diff(void **state)
{
	struct cp_set a = { 0 }, b = { 0 }, adds = { 0 }, dels = { 0 };
	struct sbc_prefix p;

	(void)state;
	for (int i = 0; i < 100; i++) {
		char t[32];

		snprintf(t, sizeof(t), "10.%d.0.0/16", i);
		assert_int_equal(sbc_prefix_parse(t, &p, NULL, 0), 0);
		if (i % 3 != 0)
			cp_set_push(&a, &p);
		if (i % 5 != 0)
			cp_set_push(&b, &p);
	}
	cp_set_normalise(&a);
	cp_set_normalise(&b);
	assert_int_equal(cp_set_diff(&a, &b, &adds, &dels), 0);
	/* in b not a: i%5 != 0 && i%3 == 0 ; in a not b: i%3 != 0 && i%5 == 0 */
	assert_int_equal(adds.n, 27);
	assert_int_equal(dels.n, 13);
	cp_set_free(&a);
	cp_set_free(&b);
	cp_set_free(&adds);
	cp_set_free(&dels);
}

/* Intersections of every size ratio (binary search either way, merge) against brute force. */
static void test_intersect(void **state)
{
	static const uint32_t sizes[] = { 0, 1, 3, 40, 700, 5000 };
	struct sbc_prefix p = { .family = SBC_AF_V4, .depth = 32 };

	(void)state;
	srand(7);
	for (size_t x = 0; x < 6; x++)
		for (size_t y = 0; y < 6; y++) {
			struct cp_set a = { 0 }, b = { 0 };
			uint32_t *idx = malloc((sizes[x] + 1) * sizeof(*idx));
			size_t n, want = 0;

			for (uint32_t i = 0; i < sizes[x]; i++) {
				uint32_t v = (uint32_t)rand() % 8000;

				memcpy(p.addr, &v, 4);
				cp_set_push(&a, &p);
			}
			for (uint32_t i = 0; i < sizes[y]; i++) {
				uint32_t v = (uint32_t)rand() % 8000;

				memcpy(p.addr, &v, 4);
				cp_set_push(&b, &p);
			}
			cp_set_normalise(&a);
			cp_set_normalise(&b);
			n = cp_set_intersect(&a, &b, idx);
			for (uint32_t i = 0; i < a.n; i++)
				for (uint32_t j = 0; j < b.n; j++)
					if (cp_prefix_cmp(&a.v[i], &b.v[j]) == 0)
						want++;
			assert_int_equal(n, want);
			for (size_t k = 0; k < n; k++) {
				bool found = false;

				for (uint32_t j = 0; j < b.n && !found; j++)
					found = cp_prefix_cmp(&a.v[idx[k]], &b.v[j]) == 0;
				assert_true(found);
			}
			free(idx);
			cp_set_free(&a);
			cp_set_free(&b);
		}
}

static void test_small_change_one_message(void **state)
{
	struct cp_trunk *a = cp_policy_trunk(0);
	const char *v1[] = { "203.0.113.0/24" };
	const char *v2[] = { "203.0.113.0/24", "198.18.0.0/15" };

	(void)state;
	read_acl(a, v1, 1);
	assert_int_equal(n_sent, 2);	/* first time: a replace (BEGIN, COMMIT) */
	assert_int_equal(sent[0].type, SBC_CMD_ACL_REPLACE_BEGIN);
	assert_int_equal(sent[1].type, SBC_CMD_ACL_REPLACE_COMMIT);
	assert_int_equal(sent[0].generation, sent[1].generation);
	n_sent = 0;
	read_acl(a, v2, 2);
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].type, SBC_CMD_ACL_ADD);
	n_sent = 0;
	read_acl(a, v2, 2);		/* nothing changed: nothing sent */
	assert_int_equal(n_sent, 0);
	read_acl(a, v1, 1);
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].type, SBC_CMD_ACL_DEL);
}

static void test_big_change_replace(void **state)
{
	struct cp_trunk *a = cp_policy_trunk(0);
	const char *v[14];
	char txt[14][32];
	uint32_t entries = 0;

	(void)state;
	for (int i = 0; i < 14; i++) {
		snprintf(txt[i], sizeof(txt[i]), "10.%d.0.0/16", i);
		v[i] = txt[i];
	}
	read_acl(a, v, 1);
	n_sent = 0;
	read_acl(a, v, 14);	/* 13 adds: more than one message holds -> replace */
	assert_true(n_sent >= 3);
	assert_int_equal(sent[0].type, SBC_CMD_ACL_REPLACE_BEGIN);
	assert_int_equal(((struct sbc_msg_acl *)sent[0].body)->count, 14);
	for (unsigned int i = 0; i + 1 < n_sent; i++) {
		entries += ((struct sbc_msg_acl *)sent[i].body)->n;
		assert_int_equal(sent[i].generation, sent[0].generation);
	}
	assert_int_equal(entries, 14);
	assert_int_equal(sent[n_sent - 1].type, SBC_CMD_ACL_REPLACE_COMMIT);
}

static void test_bad_values_reported_once(void **state)
{
	struct cp_trunk *b = cp_policy_trunk(1);
	const char *v[] = { "10.0.0.0/33", "192.0.2.0/24" };
	const char *v2[] = { "10.0.0.0/33", "192.0.2.0/24", "hello" };

	(void)state;
	read_acl(b, v, 2);
	read_acl(b, v, 2);
	read_acl(b, v2, 3);
	assert_int_equal(log_count("skipped '10.0.0.0/33'"), 1);
	assert_int_equal(log_count("skipped 'hello'"), 1);
	assert_int_equal(cp_policy_stats()->bad_values, 2);
	assert_int_equal(b->eff.n, 1);		/* the good one applies */
	read_acl(b, v + 1, 1);			/* fixed ... */
	read_acl(b, v, 2);			/* ... and written wrong again: said again */
	assert_int_equal(log_count("skipped '10.0.0.0/33'"), 2);
}

static void test_conflict_moves_when_released(void **state)
{
	struct cp_trunk *a = cp_policy_trunk(0), *b = cp_policy_trunk(1);
	const char *pa[] = { "203.0.113.0/24" };
	const char *pb[] = { "203.0.113.0/24", "198.18.0.0/15" };

	(void)state;
	read_acl(a, pa, 1);
	read_acl(b, pb, 2);
	assert_int_equal(b->eff.n, 1);		/* 203.0.113.0/24 stays with a */
	assert_true(b->conflicts);
	assert_int_equal(log_count("already in sbc:acl:a"), 1);
	n_sent = 0;
	read_acl(a, pa, 0);			/* a lets it go ... */
	assert_int_equal(a->eff.n, 0);
	assert_int_equal(b->eff.n, 2);		/* ... and b takes it, after a's delete */
	assert_false(b->conflicts);
	assert_int_equal(n_sent, 2);
	assert_int_equal(sent[0].type, SBC_CMD_ACL_DEL);
	assert_int_equal(((struct sbc_msg_acl *)sent[0].body)->trunk, 0);
	assert_int_equal(sent[1].type, SBC_CMD_ACL_ADD);
	assert_int_equal(((struct sbc_msg_acl *)sent[1].body)->trunk, 1);
}

/* Dynamic entries (cp_dynacl: registrar bindings, carriers' addresses) beside Redis's set:
 * refcounted, kept across a Redis re-read, sent like any prefix. */
static void test_dynacl(void **state)
{
	struct cp_trunk *a = cp_policy_trunk(0);
	const char *v1[] = { "203.0.113.0/24" };
	struct sbc_prefix host;

	(void)state;
	assert_int_equal(sbc_prefix_parse("198.51.100.21", &host, NULL, 0), 0);
	read_acl(a, v1, 1);
	n_sent = 0;
	assert_int_equal(cp_dynacl_add(a, &host, 0), 0);
	assert_int_equal(a->eff.n, 2);
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].type, SBC_CMD_ACL_ADD);
	assert_int_equal(cp_dynacl_add(a, &host, 0), 0);	/* a second binding from there */
	assert_int_equal(n_sent, 1);
	read_acl(a, v1, 1);			/* Redis read again: the entry stays */
	assert_int_equal(a->eff.n, 2);
	assert_int_equal(n_sent, 1);
	assert_int_equal(cp_dynacl_del(a, &host), 0);	/* one binding left */
	assert_int_equal(a->eff.n, 2);
	assert_int_equal(cp_dynacl_del(a, &host), 0);
	assert_int_equal(a->eff.n, 1);
	assert_int_equal(n_sent, 2);
	assert_int_equal(sent[1].type, SBC_CMD_ACL_DEL);
	assert_int_equal(cp_dynacl_del(a, &host), -ENOENT);
}

/* An entry's TTL removes it when its owner's delete never comes (a registrar binding whose
 * Redis expiry was missed): refcount or not, sent as ACL_DEL; renewing extends it; an entry
 * without TTL stays. */
static void test_dynacl_ttl(void **state)
{
	struct cp_trunk *a = cp_policy_trunk(0);
	struct sbc_prefix pbx, pbx2, carrier;
	uint64_t now = cp_dynacl_now();

	(void)state;
	assert_int_equal(sbc_prefix_parse("198.51.100.21", &pbx, NULL, 0), 0);
	assert_int_equal(sbc_prefix_parse("2001:db8::21", &pbx2, NULL, 0), 0);
	assert_int_equal(sbc_prefix_parse("203.0.113.9", &carrier, NULL, 0), 0);
	read_acl(a, NULL, 0);
	n_sent = 0;
	assert_int_equal(cp_dynacl_add(a, &pbx, 5), 0);
	assert_int_equal(cp_dynacl_add(a, &pbx, 3), 0);		/* two bindings: refs 2 */
	assert_int_equal(cp_dynacl_add(a, &pbx2, 20), 0);
	assert_int_equal(cp_dynacl_add(a, &carrier, 0), 0);	/* no TTL */
	assert_int_equal(a->eff.n, 3);
	assert_int_equal(n_sent, 3);
	assert_int_equal(cp_dynacl_expire(now + 4), 0);	/* the later of the two TTLs holds */
	assert_int_equal(cp_dynacl_renew(a, &pbx, 10), 0);	/* refreshed: now + 10 at least */
	assert_int_equal(cp_dynacl_expire(now + 9), 0);
	assert_int_equal(a->eff.n, 3);
	assert_int_equal(cp_dynacl_expire(now + 12), 1);	/* gone, both refs, no delete */
	assert_int_equal(a->eff.n, 2);
	assert_int_equal(n_sent, 4);
	assert_int_equal(sent[3].type, SBC_CMD_ACL_DEL);
	assert_int_equal(cp_dynacl_del(a, &pbx), -ENOENT);	/* the owner's late delete */
	assert_int_equal(cp_dynacl_renew(a, &pbx, 10), -ENOENT);
	assert_int_equal(cp_dynacl_expire(now + 21), 1);
	assert_int_equal(cp_dynacl_expire(now + 100000), 0);	/* the carrier's stays */
	assert_int_equal(a->eff.n, 1);
	assert_int_equal(cp_dynacl_renew(a, &carrier, 10), 0);	/* and keeps no TTL */
	assert_int_equal(cp_dynacl_expire(now + 100000), 0);
	assert_int_equal(cp_dynacl_del(a, &carrier), 0);
	assert_int_equal(a->eff.n, 0);
}

static void test_capacity_refused_whole(void **state)
{
	struct cp_trunk *c = cp_policy_trunk(2);
	const char *v[20];
	char txt[20][32];

	(void)state;
	for (int i = 0; i < 20; i++) {
		snprintf(txt[i], sizeof(txt[i]), "10.%d.0.0/16", i);
		v[i] = txt[i];
	}
	read_acl(c, v, 4);
	assert_int_equal(c->eff.n, 4);
	n_sent = 0;
	read_acl(c, v, 20);			/* 20 > acl_v4_rules = 16 */
	assert_int_equal(n_sent, 0);
	assert_int_equal(c->eff.n, 4);		/* the old set stays */
	assert_int_equal(cp_policy_stats()->refused_sets, 1);
	read_acl(c, v, 20);
	assert_int_equal(log_count("do not fit"), 1);	/* said once */
	read_acl(c, v, 16);			/* fits exactly */
	assert_int_equal(c->eff.n, 16);
}

static void test_limits_sent_on_change(void **state)
{
	struct cp_trunk *a = cp_policy_trunk(0);
	const char *kv[] = { "cps", "100" };
	size_t l[] = { 3, 3 };
	const struct sbc_msg_limits *m = (const void *)sent[0].body;

	(void)state;
	cp_policy_limits_read(a, kv, l, 2);
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].type, SBC_CMD_LIMITS_SET);
	assert_int_equal(m->cps, 100);
	assert_int_equal(m->burst, 5);
	assert_int_equal(m->max_calls, 20);
	cp_policy_limits_read(a, kv, l, 2);
	assert_int_equal(n_sent, 1);
	cp_policy_limits_read(a, kv, l, 0);	/* HDEL everything: back to the configuration */
	assert_int_equal(n_sent, 2);
	assert_int_equal(((const struct sbc_msg_limits *)sent[1].body)->cps, 10);
}

/* A data plane that restarts gets every known set again as a replace; before Redis was
 * read nothing is sent (the data plane keeps what it has). */
static void test_dp_reset_replays(void **state)
{
	const char *pa[] = { "203.0.113.0/24" };

	(void)state;
	ready = false;
	read_acl(cp_policy_trunk(0), pa, 1);
	assert_int_equal(n_sent, 0);
	ready = true;
	cp_policy_dp_reset();
	cp_policy_sync();
	/* trunk a: replace + limits (read? no: limits unknown), b and c unknown: nothing */
	assert_int_equal(n_sent, 2);
	assert_int_equal(sent[0].type, SBC_CMD_ACL_REPLACE_BEGIN);
	assert_int_equal(sent[1].type, SBC_CMD_ACL_REPLACE_COMMIT);
	n_sent = 0;
	cp_policy_sync();
	assert_int_equal(n_sent, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acl_parse),
		cmocka_unit_test(test_limits_parse),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_intersect),
		cmocka_unit_test_setup_teardown(test_small_change_one_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_change_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values_reported_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflict_moves_when_released, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity_refused_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dynacl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dynacl_ttl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_sent_on_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dp_reset_replays, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
