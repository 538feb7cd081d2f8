/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the open-call table behind the call records (controlplane/cp_cdr_table.c):
 * open addressing with linear probing and backward-shift deletion. Ids are chosen so that
 * their probe runs collide (same home slot, neighbouring homes, runs that wrap past the end);
 * after every delete, in several orders, each remaining call must still be found, each deleted
 * one gone, and no used slot may sit behind a hole on its probe path. Also growth, the
 * capacity limit, duplicates, trunks, clear, and a long random churn against a plain model.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cp_cdr_table.h"

#define CAP 64
#define SEED 0x5eed5eed5eed5eedull

struct id {
	char s[32];
	uint16_t trunk;
	bool in;
};

/* Ids "call-<n>@test" whose home slot in a table of cap slots is home. */
static size_t ids_with_home(size_t cap, size_t home, uint16_t trunk, struct id *out, size_t n,
			    unsigned int *next)
{
	struct cp_cdr_table probe = { .cap = cap, .seed = SEED };
	size_t k = 0;

	while (k < n) {
		char s[32];

		snprintf(s, sizeof(s), "call-%u@test", (*next)++);
		if (cp_cdr_table_home(&probe, s, strlen(s), trunk) != home)
			continue;
		snprintf(out[k].s, sizeof(out[k].s), "%s", s);
		out[k].trunk = trunk;
		out[k].in = false;
		k++;
	}
	return k;
}

/* Linear probing's invariant: every slot from a call's home to the call itself is used. */
static void check_runs(const struct cp_cdr_table *tb)
{
	size_t used = 0;

	for (size_t j = 0; j < tb->cap; j++) {
		const struct cp_open_call *c = &tb->slot[j];

		if (!c->used)
			continue;
		used++;
		for (size_t i = cp_cdr_table_home(tb, c->id, strlen(c->id), c->trunk); i != j;
		     i = (i + 1) & (tb->cap - 1))
			if (!tb->slot[i].used)
				fail_msg("'%s' at slot %zu is cut off from its home by a "
					 "hole at %zu", c->id, j, i);
	}
	assert_int_equal(used, tb->n);
}

/* Each id in the table exactly when its in flag says so, with its own id and trunk. */
static void check_all(const struct cp_cdr_table *tb, const struct id *ids, size_t n)
{
	size_t in = 0;

	for (size_t i = 0; i < n; i++) {
		const struct cp_open_call *c = cp_cdr_table_find(tb, ids[i].s, strlen(ids[i].s),
								 ids[i].trunk);

		if (!ids[i].in) {
			if (c != NULL)
				fail_msg("'%s' (trunk %u) was deleted and is still found", ids[i].s,
					 ids[i].trunk);
			continue;
		}
		in++;
		if (c == NULL)
			fail_msg("'%s' (trunk %u) is in and not found", ids[i].s, ids[i].trunk);
		assert_string_equal(c->id, ids[i].s);
		assert_int_equal(c->trunk, ids[i].trunk);
		assert_int_equal(c->start_ns, (uint64_t)(uintptr_t)&ids[i]);
	}
	assert_int_equal(tb->n, in);
	check_runs(tb);
}

static void insert_all(struct cp_cdr_table *tb, struct id *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct cp_open_call *c;

		assert_int_equal(cp_cdr_table_insert(tb, ids[i].s, strlen(ids[i].s), ids[i].trunk,
						     &c), 0);
		assert_non_null(c);
		c->start_ns = (uint64_t)(uintptr_t)&ids[i];	/* the payload travels with it */
		ids[i].in = true;
		check_runs(tb);
	}
}

static void delete_one(struct cp_cdr_table *tb, struct id *ids, size_t n, size_t i)
{
	struct cp_open_call *c = cp_cdr_table_find(tb, ids[i].s, strlen(ids[i].s), ids[i].trunk);

	assert_non_null(c);
	cp_cdr_table_delete(tb, c);
	ids[i].in = false;
	check_all(tb, ids, n);
}

/*
 * 46 ids in a 64-slot table that never grows: 20 with home 10, 10 with home 11 (their runs
 * merge), 8 with home 62 and 8 with home 63 (runs that wrap round to slot 0 and beyond).
 */
static size_t colliding(struct id *ids, unsigned int *next)
{
	size_t n = 0;

	n += ids_with_home(CAP, 10, 1, ids + n, 20, next);
	n += ids_with_home(CAP, 11, 1, ids + n, 10, next);
	n += ids_with_home(CAP, 62, 2, ids + n, 8, next);
	n += ids_with_home(CAP, 63, 2, ids + n, 8, next);
	return n;
}

static void shuffle(size_t *order, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j, t;

		seed = seed * 1103515245u + 12345u;
		j = (seed >> 8) % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

static void colliding_ids_deleted_in_every_order(void **state)
{
	struct id ids[64];
	size_t order[64], n;
	unsigned int next = 0;

	(void)state;
	n = colliding(ids, &next);
	assert_int_equal(n, 46);
	for (int round = 0; round < 6; round++) {
		struct cp_cdr_table tb;

		assert_int_equal(cp_cdr_table_init(&tb, CAP, CAP, SEED), 0);
		insert_all(&tb, ids, n);
		check_all(&tb, ids, n);
		assert_int_equal(tb.cap, CAP);
		switch (round) {
		case 0:		/* in insertion order: always the head of a run */
			for (size_t i = 0; i < n; i++)
				order[i] = i;
			break;
		case 1:		/* reversed: always a tail */
			for (size_t i = 0; i < n; i++)
				order[i] = n - 1 - i;
			break;
		case 2:		/* from the middle of each run outwards */
			for (size_t i = 0; i < n; i++)
				order[i] = (n / 2 + (i % 2 ? i / 2 + 1 : n - i / 2)) % n;
			break;
		default:	/* shuffled */
			shuffle(order, n, (uint32_t)round * 7919u);
			break;
		}
		for (size_t i = 0; i < n; i++)
			delete_one(&tb, ids, n, order[i]);
		assert_int_equal(tb.n, 0);
		/* the emptied table takes them all again */
		insert_all(&tb, ids, n);
		check_all(&tb, ids, n);
		cp_cdr_table_fini(&tb);
		for (size_t i = 0; i < n; i++)
			ids[i].in = false;
	}
}

/* Delete half, insert new colliding ones into the holes the shifts left, delete the rest. */
static void delete_and_reinsert_in_runs(void **state)
{
	struct id ids[96];
	struct cp_cdr_table tb;
	unsigned int next = 0;
	size_t n = colliding(ids, &next);

	(void)state;
	assert_int_equal(cp_cdr_table_init(&tb, CAP, CAP, SEED), 0);
	insert_all(&tb, ids, n);
	check_all(&tb, ids, n);
	for (size_t i = 0; i < n; i += 2)
		delete_one(&tb, ids, n, i);
	n += ids_with_home(CAP, 10, 1, ids + n, 6, &next);
	n += ids_with_home(CAP, 63, 2, ids + n, 6, &next);
	for (size_t i = n - 12; i < n; i++) {
		struct cp_open_call *c;

		assert_int_equal(cp_cdr_table_insert(&tb, ids[i].s, strlen(ids[i].s), ids[i].trunk,
						     &c), 0);
		c->start_ns = (uint64_t)(uintptr_t)&ids[i];
		ids[i].in = true;
		check_all(&tb, ids, n);
	}
	for (size_t i = 1; i < n; i += 2)
		if (ids[i].in)
			delete_one(&tb, ids, n, i);
	for (size_t i = 0; i < n; i++)
		if (ids[i].in)
			delete_one(&tb, ids, n, i);
	assert_int_equal(tb.n, 0);
	cp_cdr_table_fini(&tb);
}

/* Grows 8 -> 16 -> 32 keeping every call; holds 3/4 of 32; the next one is refused. */
static void grows_then_full(void **state)
{
	struct cp_cdr_table tb;
	struct id ids[32];
	struct cp_open_call *c;

	(void)state;
	assert_int_equal(cp_cdr_table_init(&tb, 8, 32, SEED), 0);
	assert_int_equal(cp_cdr_table_limit(&tb), 24);
	assert_null(cp_cdr_table_find(&tb, "x", 1, 0));	/* nothing allocated yet */
	for (size_t i = 0; i < 25; i++) {
		snprintf(ids[i].s, sizeof(ids[i].s), "grow-%zu", i);
		ids[i].trunk = (uint16_t)(i % 3);
		ids[i].in = false;
	}
	insert_all(&tb, ids, 6);
	check_all(&tb, ids, 6);
	assert_int_equal(tb.cap, 8);
	insert_all(&tb, ids + 6, 6);
	check_all(&tb, ids, 12);
	assert_int_equal(tb.cap, 16);
	insert_all(&tb, ids + 12, 12);
	check_all(&tb, ids, 24);
	assert_int_equal(tb.cap, 32);
	assert_int_equal(tb.n, 24);
	assert_int_equal(cp_cdr_table_insert(&tb, ids[24].s, strlen(ids[24].s), ids[24].trunk, &c),
			 -ENOSPC);
	assert_null(c);
	check_all(&tb, ids, 25);	/* nothing lost, the refused one not there */
	/* a call that ends makes room for the next */
	delete_one(&tb, ids, 25, 3);
	insert_all(&tb, ids + 24, 1);
	check_all(&tb, ids, 25);
	assert_int_equal(tb.cap, 32);
	cp_cdr_table_fini(&tb);
}

/* One call per id and trunk: a repeat finds the open one; the same id on another trunk is
 * another call; an id that is a prefix of another is another id. */
static void duplicates_and_trunks(void **state)
{
	struct cp_cdr_table tb;
	struct cp_open_call *c, *d;
	char longest[SBC_CALL_ID_MAX + 2];

	(void)state;
	assert_int_equal(cp_cdr_table_init(&tb, 16, 64, SEED), 0);
	assert_int_equal(cp_cdr_table_insert(&tb, "abc", 3, 1, &c), 0);
	c->start_ns = 42;
	c->emergency = 1;
	assert_int_equal(cp_cdr_table_insert(&tb, "abc", 3, 1, &d), -EEXIST);
	assert_ptr_equal(d, c);
	assert_int_equal(d->start_ns, 42);
	assert_int_equal(tb.n, 1);
	assert_int_equal(cp_cdr_table_insert(&tb, "abc", 3, 2, &d), 0);
	assert_ptr_not_equal(d, cp_cdr_table_find(&tb, "abc", 3, 1));
	assert_int_equal(d->start_ns, 0);	/* a new entry starts zeroed */
	assert_int_equal(d->emergency, 0);
	assert_int_equal(cp_cdr_table_insert(&tb, "abcd", 4, 1, &d), 0);
	assert_int_equal(cp_cdr_table_insert(&tb, "ab", 2, 1, &d), 0);
	assert_int_equal(tb.n, 4);
	cp_cdr_table_delete(&tb, cp_cdr_table_find(&tb, "abc", 3, 1));
	assert_null(cp_cdr_table_find(&tb, "abc", 3, 1));
	assert_non_null(cp_cdr_table_find(&tb, "abc", 3, 2));
	assert_non_null(cp_cdr_table_find(&tb, "abcd", 4, 1));
	assert_non_null(cp_cdr_table_find(&tb, "ab", 2, 1));
	/* ids up to SBC_CALL_ID_MAX bytes (what the channel carries), not one more */
	memset(longest, 'x', sizeof(longest));
	assert_int_equal(cp_cdr_table_insert(&tb, longest, SBC_CALL_ID_MAX, 1, &c), 0);
	assert_int_equal(strlen(c->id), SBC_CALL_ID_MAX);
	assert_non_null(cp_cdr_table_find(&tb, longest, SBC_CALL_ID_MAX, 1));
	assert_int_equal(cp_cdr_table_insert(&tb, longest, SBC_CALL_ID_MAX + 1, 1, &c), -EINVAL);
	assert_int_equal(tb.n, 4);
	/* the data plane restarted: every call gone, the table usable */
	cp_cdr_table_clear(&tb);
	assert_int_equal(tb.n, 0);
	assert_null(cp_cdr_table_find(&tb, "abc", 3, 2));
	assert_null(cp_cdr_table_find(&tb, "ab", 2, 1));
	assert_int_equal(cp_cdr_table_insert(&tb, "abc", 3, 2, &c), 0);
	assert_non_null(cp_cdr_table_find(&tb, "abc", 3, 2));
	cp_cdr_table_fini(&tb);
	/* capacities must be powers of two, min <= max */
	assert_int_equal(cp_cdr_table_init(&tb, 12, 64, SEED), -EINVAL);
	assert_int_equal(cp_cdr_table_init(&tb, 64, 16, SEED), -EINVAL);
	assert_int_equal(cp_cdr_table_init(&tb, 16, 100, SEED), -EINVAL);
}

/* 200,000 random opens and closes of 600 ids (4 trunks) in a table of at most 1024 slots, next
 * to a plain array: the table agrees with it after every step it is checked at. */
/* The basis is the table's own: another seed puts the same id elsewhere (ids cannot be chosen
 * to collide without knowing it), and every table finds what it holds. */
static void seeded_homes(void **state)
{
	struct cp_cdr_table a = { .cap = 1u << 20, .seed = 1 }, b = { .cap = 1u << 20, .seed = 2 };
	unsigned int differ = 0;
	char s[32];

	(void)state;
	for (unsigned int i = 0; i < 100; i++) {
		snprintf(s, sizeof(s), "seed-%u", i);
		differ += cp_cdr_table_home(&a, s, strlen(s), 0) !=
			  cp_cdr_table_home(&b, s, strlen(s), 0);
	}
	assert_true(differ > 90);
}

static void churn_against_a_model(void **state)
{
	enum { IDS = 600, STEPS = 200000 };
	static struct id ids[IDS];
	struct cp_cdr_table tb;
	uint32_t seed = 12345;
	size_t in = 0;

	(void)state;
	for (size_t i = 0; i < IDS; i++) {
		snprintf(ids[i].s, sizeof(ids[i].s), "%zx-churn", i * 2654435761u);
		ids[i].trunk = (uint16_t)(i % 4);
		ids[i].in = false;
	}
	assert_int_equal(cp_cdr_table_init(&tb, 16, 1024, SEED), 0);
	for (size_t step = 0; step < STEPS; step++) {
		struct cp_open_call *c;
		size_t i;

		seed = seed * 1103515245u + 12345u;
		i = (seed >> 8) % IDS;
		c = cp_cdr_table_find(&tb, ids[i].s, strlen(ids[i].s), ids[i].trunk);
		assert_true((c != NULL) == ids[i].in);
		if (c != NULL) {
			cp_cdr_table_delete(&tb, c);
			ids[i].in = false;
			in--;
		} else {
			int rc = cp_cdr_table_insert(&tb, ids[i].s, strlen(ids[i].s), ids[i].trunk,
						     &c);

			assert_int_equal(rc, in < cp_cdr_table_limit(&tb) ? 0 : -ENOSPC);
			if (rc == 0) {
				c->start_ns = (uint64_t)(uintptr_t)&ids[i];
				ids[i].in = true;
				in++;
			}
		}
		if (step % 997 == 0)
			check_all(&tb, ids, IDS);
	}
	check_all(&tb, ids, IDS);
	cp_cdr_table_fini(&tb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(colliding_ids_deleted_in_every_order),
		cmocka_unit_test(delete_and_reinsert_in_runs),
		cmocka_unit_test(grows_then_full),
		cmocka_unit_test(duplicates_and_trunks),
		cmocka_unit_test(seeded_homes),
		cmocka_unit_test(churn_against_a_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
