/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The open-call table of the call records: open addressing, linear probing, FNV-1a of trunk and
 * Call-ID (common/sbc_hash.h) from a per-process random basis, since callers choose Call-IDs.
 * Deleting shifts the later members of the probe run back into the hole (Knuth 6.4, algorithm
 * R) instead of leaving a tombstone, so a table that sees millions of calls come and go never
 * fills up with dead slots. Run on the su_root thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cp_cdr_table.h"
#include "sbc_hash.h"

static bool pow2(size_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

int cp_cdr_table_init(struct cp_cdr_table *tb, size_t min_cap, size_t max_cap, uint64_t seed)
{
	if (!pow2(min_cap) || !pow2(max_cap) || min_cap > max_cap || min_cap < 4)
		return -EINVAL;
	memset(tb, 0, sizeof(*tb));
	tb->min_cap = min_cap;
	tb->max_cap = max_cap;
	tb->seed = seed;
	return 0;
}

void cp_cdr_table_fini(struct cp_cdr_table *tb)
{
	free(tb->slot);
	tb->slot = NULL;
	tb->cap = tb->n = 0;
}

void cp_cdr_table_clear(struct cp_cdr_table *tb)
{
	if (tb->slot != NULL)
		memset(tb->slot, 0, tb->cap * sizeof(*tb->slot));
	tb->n = 0;
}

size_t cp_cdr_table_limit(const struct cp_cdr_table *tb)
{
	return tb->max_cap / 4 * 3;
}

size_t cp_cdr_table_home(const struct cp_cdr_table *tb, const char *id, size_t len,
			 uint16_t trunk)
{
	uint64_t h = sbc_fnv1a(SBC_FNV1A_INIT ^ tb->seed ^ trunk, id, len);

	return (size_t)(h ^ (h >> 31)) & (tb->cap - 1);
}

static bool same(const struct cp_open_call *c, const char *id, size_t len, uint16_t trunk)
{
	return c->trunk == trunk && strlen(c->id) == len && memcmp(c->id, id, len) == 0;
}

/* The call's slot, or the empty slot that ends its probe run. */
static size_t probe(const struct cp_cdr_table *tb, const char *id, size_t len, uint16_t trunk)
{
	size_t i = cp_cdr_table_home(tb, id, len, trunk);

	while (tb->slot[i].used && !same(&tb->slot[i], id, len, trunk))
		i = (i + 1) & (tb->cap - 1);
	return i;
}

struct cp_open_call *cp_cdr_table_find(const struct cp_cdr_table *tb, const char *id, size_t len,
				       uint16_t trunk)
{
	size_t i;

	if (tb->n == 0)
		return NULL;
	i = probe(tb, id, len, trunk);
	return tb->slot[i].used ? &tb->slot[i] : NULL;
}

static int grow(struct cp_cdr_table *tb)
{
	struct cp_open_call *old = tb->slot;
	size_t ocap = tb->cap;

	tb->cap = ocap ? ocap * 2 : tb->min_cap;
	tb->slot = calloc(tb->cap, sizeof(*tb->slot));
	if (tb->slot == NULL) {
		tb->slot = old;
		tb->cap = ocap;
		return -ENOMEM;
	}
	for (size_t i = 0; i < ocap; i++)
		if (old[i].used)
			tb->slot[probe(tb, old[i].id, strlen(old[i].id), old[i].trunk)] = old[i];
	free(old);
	return 0;
}

int cp_cdr_table_insert(struct cp_cdr_table *tb, const char *id, size_t len, uint16_t trunk,
			struct cp_open_call **out)
{
	struct cp_open_call *c = cp_cdr_table_find(tb, id, len, trunk);

	*out = c;
	if (c != NULL)
		return -EEXIST;
	if (len > SBC_CALL_ID_MAX)
		return -EINVAL;
	if ((tb->n + 1) * 4 > tb->cap * 3) {	/* keep probe runs short: at most 3/4 full */
		if (tb->cap >= tb->max_cap)
			return -ENOSPC;
		if (grow(tb) != 0)
			return -ENOMEM;
	}
	c = &tb->slot[probe(tb, id, len, trunk)];
	memset(c, 0, sizeof(*c));
	memcpy(c->id, id, len);
	c->trunk = trunk;
	c->used = true;
	tb->n++;
	*out = c;
	return 0;
}

/* Is h in the cyclic interval (lo, hi]? */
static bool cyclic_in(size_t h, size_t lo, size_t hi)
{
	return lo <= hi ? (h > lo && h <= hi) : (h > lo || h <= hi);
}

void cp_cdr_table_delete(struct cp_cdr_table *tb, struct cp_open_call *c)
{
	size_t mask = tb->cap - 1, hole = (size_t)(c - tb->slot), j = hole;

	tb->slot[hole].used = false;
	tb->n--;
	/* Walk the rest of the run: an entry whose home is not between the hole and itself
	 * would be cut off from its home by the hole, so it moves into it. */
	for (;;) {
		j = (j + 1) & mask;
		if (!tb->slot[j].used)
			return;
		if (cyclic_in(cp_cdr_table_home(tb, tb->slot[j].id, strlen(tb->slot[j].id),
						tb->slot[j].trunk), hole, j))
			continue;
		tb->slot[hole] = tb->slot[j];
		tb->slot[j].used = false;
		hole = j;
	}
}
