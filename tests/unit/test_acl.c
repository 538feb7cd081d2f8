/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the allowlist tables (dataplane/dp_acl.c): longest-prefix match across
 * trunks for IPv4 and IPv6, add / delete / replace, a prefix that belongs to another trunk and
 * a set over capacity each refused whole with the old set kept, the two banks staying
 * identical, hit counters, the RCU guarantee itself (a worker still inside the old bank
 * keeps its view and the change waits until it leaves), and the /24 bitmap in front of the
 * IPv4 table.
 *
 * Why EAL here, in suite 'unit': the tables are rte_fib / rte_fib6 / rte_hash in DPDK memory
 * under rte_rcu_qsbr, which need an initialised EAL. With --no-huge --no-pci --no-shconf it
 * comes up in well under a second and needs no root (unit_eal.h), so this stays a fast unit
 * test rather than a packet case.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"
#include "dp_acl.h"
#include "unit_eal.h"

/* dp_acl.c names trunks in its messages from the data plane's configuration. */
struct dp dp;

#define V4_RULES 8u
#define V6_RULES 4u
#define MAX_SET 16u

static struct rte_rcu_qsbr *qsv;
static struct sbc_trunk_config trunks[3] = {
	{ .name = "carrier-a" }, { .name = "carrier-b" }, { .name = "pbx-floor" },
};
static struct dp_acl *acl;
static uint64_t hits[2 * (V4_RULES + V6_RULES)];
static char err[512];

/* A set from "cidr cidr ..." (at most MAX_SET). */
struct set {
	struct sbc_prefix p[MAX_SET];
	uint32_t n;
};

static struct set set_of(const char *list)
{
	struct set s = { .n = 0 };
	char buf[1024], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
		assert_true(s.n < MAX_SET);
		assert_int_equal(sbc_prefix_parse(t, &s.p[s.n++], NULL, 0), 0);
	}
	return s;
}

static int replace(uint32_t trunk, const char *list)
{
	struct set s = set_of(list);

	err[0] = '\0';
	return dp_acl_replace(acl, trunk, s.p, s.n, err, sizeof(err));
}

static int update(uint32_t trunk, const char *adds, const char *dels)
{
	struct set a = set_of(adds), d = set_of(dels);

	err[0] = '\0';
	return dp_acl_update(acl, trunk, a.p, a.n, d.p, d.n, err, sizeof(err));
}

/* 4 bytes in network order as the host-order address the IPv4 table takes */
static uint32_t host4(const uint8_t *a)
{
	return ((uint32_t)a[0] << 24) | ((uint32_t)a[1] << 16) | ((uint32_t)a[2] << 8) | a[3];
}

/*
 * The rule slot a worker finds for addr (4 or 16 bytes) in bank b, through the worker's lookup
 * in dp_acl.h (IPv4: the /24 bitmap, then the FIB for what it lets through).
 */
static uint32_t lookup(const struct dp_acl_bank *b, int family, const uint8_t *addr)
{
	uint64_t hop = DP_ACL_NO_RULE;	/* (not written when the bitmap lets none through) */

	if (family == SBC_AF_V4) {
		uint32_t ip = host4(addr);

		dp_acl_lookup4_bulk(b, &ip, &hop, 1);
	} else {
		uint8_t ip[1][RTE_FIB6_IPV6_ADDR_SIZE];

		memcpy(ip[0], addr, RTE_FIB6_IPV6_ADDR_SIZE);
		rte_fib6_lookup_bulk(b->v6, ip, &hop, 1);
	}
	return hop == DP_ACL_NO_RULE ? DP_TRUNK_NONE : (uint32_t)hop;
}

static uint32_t slot_of(const struct dp_acl_bank *b, const char *addr)
{
	struct sbc_prefix p;

	assert_int_equal(sbc_prefix_parse(addr, &p, NULL, 0), 0);
	return lookup(b, p.family, p.addr);
}

/* The trunk a worker would find for the address: its id, or -1 when unlisted. */
static int trunk_in(const struct dp_acl_bank *b, const char *addr)
{
	uint32_t s = slot_of(b, addr);

	if (s == DP_TRUNK_NONE)
		return -1;
	assert_true(s < dp_acl_slots(acl));
	return (int)dp_acl_slot_trunk[s];
}

static int trunk_of(const char *addr)
{
	return trunk_in(dp_acl_reader(acl), addr);
}

static void counts(uint32_t trunk, uint32_t want4, uint32_t want6)
{
	uint32_t n4, n6;

	dp_acl_counts(acl, trunk, &n4, &n6);
	assert_int_equal(n4, want4);
	assert_int_equal(n6, want6);
}

/* Once for the file: the tables (four 64 MB first-level arrays) are made once, not per test. */
static int group_setup(void **state)
{
	struct sbc_config *cfg = &dp.cfg;

	(void)state;
	sbc_config_defaults(cfg);
	cfg->trunks = trunks;
	cfg->n_trunks = 3;
	cfg->acl_v4_rules = V4_RULES;
	cfg->acl_v4_tbl8 = 64;
	cfg->acl_v6_rules = V6_RULES;
	cfg->acl_v6_tbl8 = 256;
	acl = dp_acl_create(cfg, qsv, SOCKET_ID_ANY);
	if (acl == NULL)
		return -1;
	dp_acl_set_hits(acl, 0, hits);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	dp_acl_free(acl);
	return 0;
}

/* After each test every trunk is emptied (through the code under test) and checked empty. */
static int teardown(void **state)
{
	(void)state;
	for (uint32_t t = 0; t < 3; t++) {
		uint32_t n4, n6;

		if (dp_acl_replace(acl, t, NULL, 0, err, sizeof(err)) != 0)
			return -1;
		dp_acl_counts(acl, t, &n4, &n6);
		if (n4 != 0 || n6 != 0)
			return -1;
	}
	memset(hits, 0, sizeof(hits));
	return 0;
}

/* Longest prefix wins across trunks (DESIGN: trunk lookup is LPM over all trunks' prefixes). */
static void lpm_v4_across_trunks(void **state)
{
	(void)state;
	assert_int_equal(trunk_of("198.51.100.1"), -1);
	assert_int_equal(replace(0, "198.51.100.0/24 203.0.113.7"), 0);
	assert_int_equal(replace(1, "198.51.100.128/25"), 0);
	assert_int_equal(replace(2, "198.51.100.200/32 0.0.0.0/0"), 0);
	assert_int_equal(trunk_of("198.51.100.1"), 0);
	assert_int_equal(trunk_of("198.51.100.127"), 0);
	assert_int_equal(trunk_of("198.51.100.128"), 1);
	assert_int_equal(trunk_of("198.51.100.199"), 1);
	assert_int_equal(trunk_of("198.51.100.200"), 2);
	assert_int_equal(trunk_of("203.0.113.7"), 0);
	assert_int_equal(trunk_of("203.0.113.8"), 2);	/* only the default route holds it */
	counts(0, 2, 0);
	counts(1, 1, 0);
	counts(2, 2, 0);

	/* the /25 goes: its addresses fall back to the /24 of trunk 0 */
	assert_int_equal(update(1, "", "198.51.100.128/25"), 0);
	assert_int_equal(trunk_of("198.51.100.199"), 0);
	assert_int_equal(trunk_of("198.51.100.200"), 2);
	counts(1, 0, 0);
}

static void lpm_v6_across_trunks(void **state)
{
	(void)state;
	assert_int_equal(replace(0, "2001:db8::/32"), 0);
	assert_int_equal(replace(1, "2001:db8:100::/48 2001:db8:100:1::7"), 0);
	assert_int_equal(trunk_of("2001:db8::1"), 0);
	assert_int_equal(trunk_of("2001:db8:100::1"), 1);
	assert_int_equal(trunk_of("2001:db8:100:1::7"), 1);
	assert_int_equal(trunk_of("2001:db8:101::1"), 0);
	assert_int_equal(trunk_of("2001:db9::1"), -1);
	assert_int_equal(trunk_of("198.51.100.1"), -1);	/* the families do not mix */
	counts(0, 0, 1);
	counts(1, 0, 2);
	assert_int_equal(update(2, "2001:db8:100:1::/64", ""), 0);
	assert_int_equal(trunk_of("2001:db8:100:1::8"), 2);
	assert_int_equal(trunk_of("2001:db8:100:1::7"), 1);	/* the /128 is longer still */
}

/* add and delete: one atomic change each; known adds and unknown deletes change nothing. */
static void update_add_delete(void **state)
{
	(void)state;
	assert_int_equal(update(0, "192.0.2.0/24 2001:db8::/32", ""), 0);
	counts(0, 1, 1);
	assert_int_equal(update(0, "192.0.2.0/24", "198.51.100.0/24"), 0);
	counts(0, 1, 1);
	assert_int_equal(trunk_of("192.0.2.9"), 0);
	/* add one, delete another, in one message */
	assert_int_equal(update(0, "203.0.113.0/24", "192.0.2.0/24"), 0);
	assert_int_equal(trunk_of("192.0.2.9"), -1);
	assert_int_equal(trunk_of("203.0.113.9"), 0);
	counts(0, 1, 1);
	/* a delete names another trunk's prefix: not this trunk's to delete */
	assert_int_equal(replace(1, "198.51.100.0/24"), 0);
	assert_int_equal(update(0, "", "198.51.100.0/24"), 0);
	assert_int_equal(trunk_of("198.51.100.1"), 1);
	/* a prefix added and deleted in the same message stays (adds win) */
	assert_int_equal(update(0, "192.0.2.128/25", "192.0.2.128/25"), 0);
	assert_int_equal(trunk_of("192.0.2.200"), 0);
}

/* replace: the whole set at once; prefixes kept keep their slot, others come and go. */
static void replace_set(void **state)
{
	uint32_t kept;

	(void)state;
	assert_int_equal(replace(0, "192.0.2.0/24 198.51.100.0/24 2001:db8::/32"), 0);
	kept = slot_of(dp_acl_reader(acl), "198.51.100.1");
	assert_int_equal(replace(0, "198.51.100.0/24 203.0.113.0/24"), 0);
	assert_int_equal(trunk_of("192.0.2.1"), -1);
	assert_int_equal(trunk_of("2001:db8::1"), -1);
	assert_int_equal(trunk_of("203.0.113.1"), 0);
	assert_int_equal(slot_of(dp_acl_reader(acl), "198.51.100.1"), kept);
	counts(0, 2, 0);
	/* a prefix given up by one trunk can be taken by another */
	assert_int_equal(replace(0, ""), 0);
	counts(0, 0, 0);
	assert_int_equal(trunk_of("198.51.100.1"), -1);
	assert_int_equal(replace(1, "198.51.100.0/24"), 0);
	assert_int_equal(trunk_of("198.51.100.1"), 1);
	/* a set listing a prefix twice is the set with it once */
	assert_int_equal(replace(2, "192.0.2.0/24 192.0.2.0/24"), 0);
	counts(2, 1, 0);
}

/* One trunk per source: a prefix of another trunk refuses the whole change. */
static void conflict_refused_whole(void **state)
{
	(void)state;
	assert_int_equal(replace(0, "198.51.100.0/24"), 0);
	assert_int_equal(replace(1, "192.0.2.0/24"), 0);
	assert_int_equal(replace(1, "203.0.113.0/24 198.51.100.0/24 2001:db8::/32"), -EEXIST);
	assert_non_null(strstr(err, "198.51.100.0/24"));
	assert_non_null(strstr(err, "carrier-a"));
	assert_int_equal(trunk_of("192.0.2.1"), 1);	/* the old set stays */
	assert_int_equal(trunk_of("203.0.113.1"), -1);
	assert_int_equal(trunk_of("2001:db8::1"), -1);
	assert_int_equal(trunk_of("198.51.100.1"), 0);
	counts(1, 1, 0);
	assert_int_equal(update(1, "203.0.113.0/24 198.51.100.0/24", ""), -EEXIST);
	assert_int_equal(trunk_of("203.0.113.1"), -1);
	counts(1, 1, 0);
	/* the refused slots went back: the table still takes its full capacity */
	assert_int_equal(update(1, "10.0.0.0/8 10.1.0.0/16 10.2.0.0/16 10.3.0.0/16 10.4.0.0/16 "
				   "10.5.0.0/16", ""), 0);
	counts(1, 7, 0);
}

/* Capacity counts all trunks together; a set that does not fit is refused whole. */
static void capacity(void **state)
{
	(void)state;
	assert_int_equal(replace(0, "10.0.0.0/16 10.1.0.0/16 10.2.0.0/16 10.3.0.0/16 10.4.0.0/16 "
				    "10.5.0.0/16"), 0);
	assert_int_equal(replace(1, "192.0.2.0/24 198.51.100.0/24 203.0.113.0/24"), -ENOSPC);
	assert_non_null(strstr(err, "acl_v4_rules"));
	counts(1, 0, 0);
	assert_int_equal(trunk_of("192.0.2.1"), -1);
	assert_int_equal(replace(1, "192.0.2.0/24 198.51.100.0/24"), 0);	/* exactly full */
	counts(1, 2, 0);
	assert_int_equal(update(2, "203.0.113.0/24", ""), -ENOSPC);
	assert_int_equal(trunk_of("203.0.113.1"), -1);
	/* replacing within a full table: the trunk's own old set makes room */
	assert_int_equal(replace(0, "10.6.0.0/16 10.7.0.0/16 10.8.0.0/16 10.9.0.0/16 10.10.0.0/16 "
				    "10.11.0.0/16"), 0);
	assert_int_equal(trunk_of("10.0.0.1"), -1);
	assert_int_equal(trunk_of("10.11.0.1"), 0);
	/* IPv6 has its own capacity */
	assert_int_equal(replace(2, "2001:db8:1::/48 2001:db8:2::/48 2001:db8:3::/48 "
				    "2001:db8:4::/48 2001:db8:5::/48"), -ENOSPC);
	assert_non_null(strstr(err, "acl_v6_rules"));
	assert_int_equal(replace(2, "2001:db8:1::/48 2001:db8:2::/48 2001:db8:3::/48 "
				    "2001:db8:4::/48"), 0);
	counts(2, 0, 4);
}

/* Each change swaps the bank workers read; both banks must answer alike after every one. */
static void banks_agree(void **state)
{
	const struct dp_acl_bank *b0 = dp_acl_reader(acl), *b1;
	uint64_t t0 = dp_acl_visible_ns(acl);

	(void)state;
	assert_int_equal(replace(0, "192.0.2.0/24"), 0);
	b1 = dp_acl_reader(acl);
	assert_ptr_not_equal(b0, b1);
	assert_true(dp_acl_visible_ns(acl) > t0);
	/* the bank left behind was caught up after the RCU wait: it answers like the new one */
	assert_int_equal(trunk_in(b0, "192.0.2.1"), 0);
	assert_int_equal(update(0, "198.51.100.0/24", "192.0.2.0/24"), 0);
	assert_ptr_equal(dp_acl_reader(acl), b0);
	for (int i = 0; i < 2; i++) {
		const struct dp_acl_bank *b = i ? b1 : b0;

		assert_int_equal(trunk_in(b, "192.0.2.1"), -1);
		assert_int_equal(trunk_in(b, "198.51.100.1"), 0);
	}
	/* no change at all swaps nothing */
	assert_int_equal(update(0, "198.51.100.0/24", ""), 0);
	assert_ptr_equal(dp_acl_reader(acl), b0);
}

static void on_prefix(void *arg, const struct sbc_prefix *p, uint64_t h)
{
	char txt[SBC_CIDR_STRLEN], *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 512 - n, "%s=%llu ", sbc_prefix_format(p, txt, sizeof(txt)),
		 (unsigned long long)h);
}

/* Hits are per rule slot, summed over workers; a prefix new in a slot starts from 0. */
static void hits_per_prefix(void **state)
{
	char out[512] = "";

	(void)state;
	assert_int_equal(replace(0, "192.0.2.0/24"), 0);
	for (size_t i = 0; i < sizeof(hits) / sizeof(hits[0]); i++)
		hits[i] = 7;
	assert_int_equal(dp_acl_list(acl, 0, 0, 10, on_prefix, out), 1);
	assert_string_equal(out, "192.0.2.0/24=7 ");
	assert_int_equal(replace(0, "192.0.2.0/24 203.0.113.0/24"), 0);
	out[0] = '\0';
	assert_int_equal(dp_acl_list(acl, 0, 0, 10, on_prefix, out), 2);
	assert_string_equal(out, "192.0.2.0/24=7 203.0.113.0/24=0 ");
	/* paging: from index 1, at most 1 row; the count is still the trunk's */
	assert_int_equal(replace(0, "203.0.113.0/24 198.51.100.0/24 192.0.2.0/24"), 0);
	out[0] = '\0';
	assert_int_equal(dp_acl_list(acl, 0, 1, 1, on_prefix, out), 3);
	assert_int_equal(strchr(out, ' ') - out + 1, (long)strlen(out));
}

/* RCU: a worker inside the old bank keeps its answers; the change waits for it. */
struct reader {
	pthread_t tid;
	uint8_t addr[4];	/* 192.0.2.1, which the change lists */
	int ready, published, checked_old, done_writer;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	const struct dp_acl_bank *old;

	rte_rcu_qsbr_thread_register(qsv, 0);
	rte_rcu_qsbr_thread_online(qsv, 0);
	old = dp_acl_reader(acl);
	__atomic_store_n(&r->ready, 1, __ATOMIC_RELEASE);
	while (dp_acl_reader(acl) == old)	/* the writer publishes the other bank */
		;
	__atomic_store_n(&r->published, 1, __ATOMIC_RELEASE);
	usleep(50000);	/* the writer is blocked in the RCU wait all this time */
	/* no cmocka asserts off the main thread: plain checks, asserted after the join */
	r->checked_old = lookup(old, SBC_AF_V4, r->addr) == DP_TRUNK_NONE &&
			 lookup(dp_acl_reader(acl), SBC_AF_V4, r->addr) != DP_TRUNK_NONE &&
			 !__atomic_load_n(&r->done_writer, __ATOMIC_ACQUIRE);
	rte_rcu_qsbr_quiescent(qsv, 0);
	rte_rcu_qsbr_thread_offline(qsv, 0);
	rte_rcu_qsbr_thread_unregister(qsv, 0);
	return NULL;
}

static void rcu_reader_keeps_old_bank(void **state)
{
	struct reader r = { .addr = { 192, 0, 2, 1 } };

	(void)state;
	assert_int_equal(pthread_create(&r.tid, NULL, reader_main, &r), 0);
	while (!__atomic_load_n(&r.ready, __ATOMIC_ACQUIRE))
		;
	assert_int_equal(update(0, "192.0.2.0/24", ""), 0);
	__atomic_store_n(&r.done_writer, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(r.tid, NULL), 0);
	assert_true(r.published);
	assert_true(r.checked_old);
	assert_int_equal(trunk_of("192.0.2.1"), 0);
}

static uint32_t v4(const char *addr)
{
	struct sbc_prefix p;

	assert_int_equal(sbc_prefix_parse(addr, &p, NULL, 0), 0);
	return host4(p.addr);
}

/*
 * The /24 bitmap in front of the IPv4 table: bits where a prefix covers a /24 (a /8: all of
 * its /24s) or lies in one (a /32, a /25); an address outside every such /24 is answered "no
 * rule" without a lookup, one inside a /24 with a bit still by the table (192.0.2.6 beside a
 * listed /32); a burst with none inside leaves hop[] alone and answers false; a mixed burst
 * gets every address's own answer. Deleted prefixes' bits stay until the bank's bitmap is made
 * anew (after 256 + an eighth of the set deletions), and the answers are right all along.
 */
static void any4_prefilter(void **state)
{
	static const char *const probe[6] = { "203.0.113.1", "192.0.2.5", "192.0.2.6",
					      "10.200.7.1", "198.51.100.200", "198.51.100.1" };
	static const bool listed[6] = { false, true, false, true, false, true };
	const struct dp_acl_bank *b;
	uint32_t ip[6], outside[2];
	uint64_t hop[6];
	bool cleared = false;

	(void)state;
	assert_int_equal(replace(0, "10.0.0.0/8 192.0.2.5/32 198.51.100.0/25"), 0);
	b = dp_acl_reader(acl);
	assert_true(dp_acl_any4(b, v4("10.0.0.1")) && dp_acl_any4(b, v4("10.255.255.1")));
	assert_false(dp_acl_any4(b, v4("11.0.0.1")) || dp_acl_any4(b, v4("9.255.255.1")));
	assert_true(dp_acl_any4(b, v4("192.0.2.200")) && dp_acl_any4(b, v4("198.51.100.200")));
	assert_false(dp_acl_any4(b, v4("192.0.3.5")) || dp_acl_any4(b, v4("203.0.113.1")));
	for (int i = 0; i < 6; i++)
		ip[i] = v4(probe[i]);
	assert_true(dp_acl_lookup4_bulk(b, ip, hop, 6));
	for (int i = 0; i < 6; i++) {
		uint64_t w = DP_ACL_NO_RULE;

		if (listed[i]) {	/* its prefix's slot, as the table alone answers */
			uint32_t one = ip[i];

			rte_fib_lookup_bulk(b->v4, &one, &w, 1);
			assert_int_not_equal(w, DP_ACL_NO_RULE);
		}
		assert_int_equal(hop[i], w);
		assert_int_equal(trunk_of(probe[i]), hop[i] == DP_ACL_NO_RULE ? -1 : 0);
	}
	outside[0] = v4("203.0.113.1");
	outside[1] = v4("11.1.1.1");
	hop[0] = hop[1] = 12345;
	assert_false(dp_acl_lookup4_bulk(b, outside, hop, 2));
	assert_int_equal(hop[0], 12345);	/* not written */

	/* deletions: answers right at once, the bits gone once a bank is made anew */
	for (int i = 0; i < 600 && !cleared; i++) {
		const struct dp_acl_bank *now, *other;

		assert_int_equal(update(1, "203.0.113.0/24", ""), 0);
		assert_int_equal(trunk_of("203.0.113.1"), 1);
		other = dp_acl_reader(acl);
		assert_int_equal(update(1, "", "203.0.113.0/24"), 0);
		now = dp_acl_reader(acl);
		assert_ptr_not_equal(now, other);
		assert_int_equal(trunk_of("203.0.113.1"), -1);
		assert_int_equal(trunk_in(other, "203.0.113.1"), -1);	/* caught up */
		cleared = !dp_acl_any4(other, v4("203.0.113.1"));
		if (i == 0)	/* the first deletion leaves the bit: a superset */
			assert_false(cleared);
		/* the other prefixes' bits survive every remaking */
		assert_true(dp_acl_any4(other, v4("10.1.1.1")) && dp_acl_any4(now, v4("10.1.1.1")));
		assert_true(dp_acl_any4(other, v4("192.0.2.5")) && dp_acl_any4(now, v4("192.0.2.5")));
	}
	assert_true(cleared);
	assert_int_equal(trunk_of("10.9.9.9"), 0);
	assert_int_equal(trunk_of("198.51.100.1"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: the other tests' deletions leave bits (0.0.0.0/0's: all of them) */
		cmocka_unit_test_teardown(any4_prefilter, teardown),
		cmocka_unit_test_teardown(lpm_v4_across_trunks, teardown),
		cmocka_unit_test_teardown(lpm_v6_across_trunks, teardown),
		cmocka_unit_test_teardown(update_add_delete, teardown),
		cmocka_unit_test_teardown(replace_set, teardown),
		cmocka_unit_test_teardown(conflict_refused_whole, teardown),
		cmocka_unit_test_teardown(capacity, teardown),
		cmocka_unit_test_teardown(banks_agree, teardown),
		cmocka_unit_test_teardown(hits_per_prefix, teardown),
		cmocka_unit_test_teardown(rcu_reader_keeps_old_bank, teardown),
	};

	return unit_eal_run("acl", tests, sizeof(tests) / sizeof(tests[0]), group_setup,
			    group_teardown, &qsv);
}
