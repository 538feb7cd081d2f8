/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dynamic allowlist entries (the minimal version the registrar needs): per trunk a refcounted
 * list of prefixes with an optional expiry, mirrored into the trunk's dyn set of the policy
 * engine (cp_policy_dyn_changed), which merges it with sbc:acl:<trunk> and pushes the result
 * to the data plane like any Redis prefix (conflicts and capacity alike). An entry with a TTL
 * (a registrar binding's) goes when it runs out even if its owner never deletes it: swept on
 * each add or delete and by cp_dynacl_expire each second. Runs on the su_root thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cp_dynacl.h"
#include "cp_policy.h"

struct entry {
	struct sbc_prefix p;
	uint16_t trunk;
	uint32_t refs;
	uint64_t until;		/* CLOCK_MONOTONIC seconds; 0 = until deleted */
};

static struct {
	struct entry *v;
	size_t n, cap;
} dyn;

uint64_t cp_dynacl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/* Rebuild trunk's dyn set from the entries and let the policy settle it. */
static int publish(struct cp_trunk *t)
{
	struct cp_set s = { 0 };
	int rc = 0;

	for (size_t i = 0; i < dyn.n && rc == 0; i++)
		if (dyn.v[i].trunk == t->id)
			rc = cp_set_push(&s, &dyn.v[i].p);
	if (rc != 0) {
		cp_set_free(&s);
		return rc;
	}
	cp_set_normalise(&s);
	cp_set_free(&t->dyn);
	t->dyn = s;
	return cp_policy_dyn_changed(t);
}

unsigned int cp_dynacl_expire(uint64_t now)
{
	unsigned int gone = 0;

	for (size_t i = 0; i < dyn.n;) {
		if (dyn.v[i].until == 0 || dyn.v[i].until > now) {
			i++;
			continue;
		}
		struct cp_trunk *t = cp_policy_trunk(dyn.v[i].trunk);

		dyn.v[i] = dyn.v[--dyn.n];
		gone++;
		if (t != NULL)
			publish(t);
	}
	return gone;
}

static void sweep(void)
{
	cp_dynacl_expire(cp_dynacl_now());
}

static struct entry *find(const struct cp_trunk *t, const struct sbc_prefix *p)
{
	for (size_t i = 0; i < dyn.n; i++)
		if (dyn.v[i].trunk == t->id && sbc_prefix_equal(&dyn.v[i].p, p))
			return &dyn.v[i];
	return NULL;
}

int cp_dynacl_add(struct cp_trunk *t, const struct sbc_prefix *addr, uint32_t ttl_s)
{
	uint64_t until = ttl_s ? cp_dynacl_now() + ttl_s : 0;
	struct entry *e;

	sweep();
	e = find(t, addr);
	if (e != NULL) {
		e->refs++;
		if (e->until != 0 && (until == 0 || until > e->until))
			e->until = until;
		return 0;
	}
	if (dyn.n == dyn.cap) {
		size_t cap = dyn.cap ? dyn.cap * 2 : 64;
		struct entry *v = realloc(dyn.v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		dyn.v = v;
		dyn.cap = cap;
	}
	dyn.v[dyn.n++] = (struct entry){ .p = *addr, .trunk = t->id, .refs = 1, .until = until };
	return publish(t);
}

int cp_dynacl_del(struct cp_trunk *t, const struct sbc_prefix *addr)
{
	struct entry *e;

	sweep();
	e = find(t, addr);
	if (e == NULL)
		return -ENOENT;
	if (--e->refs > 0)
		return 0;
	*e = dyn.v[--dyn.n];
	return publish(t);
}

int cp_dynacl_renew(struct cp_trunk *t, const struct sbc_prefix *addr, uint32_t ttl_s)
{
	struct entry *e = find(t, addr);
	uint64_t until = cp_dynacl_now() + ttl_s;

	if (e == NULL)
		return -ENOENT;
	if (e->until != 0 && until > e->until)
		e->until = until;
	return 0;
}
