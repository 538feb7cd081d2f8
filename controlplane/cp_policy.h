/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy engine (cp_policy.c): what each trunk should allow (the last good read of
 * sbc:acl:<trunk> and sbc:limits:<trunk>), what it really holds after conflicts and capacity,
 * and the commands that bring the data plane there. Pure bookkeeping: Redis reads come in
 * through cp_policy_*_read, commands go out through cp_chan.h. Runs on the su_root thread.
 */
#ifndef CP_POLICY_H
#define CP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbc_channel.h"
#include "sbc_cidr.h"
#include "sbc_config.h"

/* ---- prefix sets: sorted, no duplicates */
struct cp_set {
	struct sbc_prefix *v;
	uint32_t n, cap;
};

void cp_set_free(struct cp_set *s);
int cp_set_push(struct cp_set *s, const struct sbc_prefix *p);
/* Sort and drop duplicates. */
void cp_set_normalise(struct cp_set *s);
int cp_prefix_cmp(const struct sbc_prefix *a, const struct sbc_prefix *b);
/* old -> new: what to add and what to delete (both sorted). */
int cp_set_diff(const struct cp_set *old, const struct cp_set *new, struct cp_set *adds,
		struct cp_set *dels);
void cp_set_count(const struct cp_set *s, uint32_t *v4, uint32_t *v6);
/* Is p in s? Its index in *at (at may be NULL). Binary search. */
bool cp_set_find(const struct cp_set *s, const struct sbc_prefix *p, uint32_t *at);
/* Indexes (into a) of the members of a that b holds too; idx has room for a->n. */
size_t cp_set_intersect(const struct cp_set *a, const struct cp_set *b, uint32_t *idx);

/* ---- parsing what Redis holds */

/* A value that was skipped: value (not NUL-terminated), why. */
typedef void (*cp_bad_f)(void *arg, const char *value, size_t len, const char *why);

/* Members of an sbc:acl:<trunk> SET -> normalised prefix set; bad members reported. */
int cp_acl_parse(const char *const *vals, const size_t *lens, size_t n, struct cp_set *out,
		 cp_bad_f bad, void *arg);

/* Field/value pairs of an sbc:limits:<trunk> HASH over the trunk's configured defaults. */
struct cp_limits {
	uint32_t cps, burst, max_calls;
};
void cp_limits_parse(const char *const *kv, const size_t *lens, size_t n_kv,
		     const struct sbc_trunk_config *defaults, struct cp_limits *out, cp_bad_f bad,
		     void *arg);

/* ---- the engine */
struct cp_bad_seen;	/* values of one key already reported */

struct cp_trunk {
	uint16_t id;
	const struct sbc_trunk_config *cfg;
	char acl_key[64], limits_key[64];

	/* from Redis (the last good read) */
	bool acl_known;
	struct cp_set acl;		/* sbc:acl:<trunk> */
	struct cp_set dyn;		/* dynamic entries (cp_dynacl.c: bindings, carriers) */
	struct cp_set want;		/* acl + dyn */
	bool limits_known;
	struct cp_limits limits;

	/* what this trunk holds after conflicts and capacity: what the data plane is asked */
	struct cp_set eff;
	uint32_t eff_v4, eff_v6;	/* eff's IPv4 and IPv6 prefixes */
	uint64_t eff_gen;		/* counts the changes of eff */
	bool conflicts;			/* some wanted prefixes are another trunk's */
	bool dp_valid;			/* the data plane holds eff (as far as we know) */
	bool sending;			/* a big replace of eff is going out in slices */
	uint32_t send_pos;		/* the next prefix of eff it sends */
	bool dp_retry;			/* refused (EEXIST during a move): send again */
	unsigned int retries;
	uint64_t retry_at_ns;		/* CLOCK_MONOTONIC */
	bool limits_valid;		/* the data plane holds limits */
	struct cp_limits limits_sent;
	uint64_t last_generation;	/* of the last allowlist command */
	uint64_t limits_generation;

	bool acl_type_logged, limits_type_logged;	/* "not a SET/HASH" said once */
	struct cp_bad_seen *bad_acl, *bad_limits;
	uint64_t refused_logged_n;	/* size of the last set refused for capacity (log once) */
	struct cp_acl_job *job;		/* a big read being parsed and sorted in slices */
};

/* What only the control plane knows about the policy, for `sbcctl channel`. */
struct cp_policy_stats {
	uint64_t bad_values;	/* values skipped (bad CIDR, not a number, conflict, type) */
	uint64_t unknown_keys;	/* sbc:acl:* / sbc:limits:* naming no configured trunk */
	uint64_t refused_sets;		/* sets refused whole (over capacity) */
	uint64_t acl_sliced_reads;	/* reads too big to settle at once */
	uint64_t acl_slices;		/* loop turns spent on them */
	uint64_t acl_slice_max_ns;	/* the longest of those turns (wall clock) */
	uint64_t acl_slice_max_cpu_ns;	/* the most CPU one of them used */
};

/* One trunk per [trunk] of cfg, which must outlive the engine. */
int cp_policy_init(const struct sbc_config *cfg);
void cp_policy_fini(void);
unsigned int cp_policy_n_trunks(void);
struct cp_trunk *cp_policy_trunk(unsigned int id);
struct cp_trunk *cp_trunk_by_name(const char *name, size_t len);
const struct cp_policy_stats *cp_policy_stats(void);

/* Redis told us a trunk's set / limits (a full read), read before these return. */
void cp_policy_acl_read(struct cp_trunk *t, const char *const *vals, const size_t *lens,
			size_t n);
void cp_policy_limits_read(struct cp_trunk *t, const char *const *kv, const size_t *lens,
			   size_t n);
/* t->dyn changed (cp_dynacl.c): want = acl + dyn, settled and pushed like a Redis read. */
int cp_policy_dyn_changed(struct cp_trunk *t);

/*
 * A big set (more than cp_policy_slice_min() values) is read and settled over several loop
 * turns: its values stay with the reader, which lends them through get() and takes them back
 * through release(src, budget) (free up to budget values; true once all are given back). The
 * set in force stays until the new one is settled. kick (set once) is called when work is
 * waiting; the loop then calls cp_policy_work until it returns false. Without a kick the
 * whole read is done before cp_policy_acl_read_values returns.
 */
struct cp_values {
	size_t n;
	void *src;
	void (*get)(void *src, size_t i, const char **v, size_t *len);
	bool (*release)(void *src, uint32_t budget);	/* NULL: nothing to give back */
};
size_t cp_policy_slice_min(void);
void cp_policy_acl_read_values(struct cp_trunk *t, const struct cp_values *values);
void cp_policy_set_kick(void (*kick)(void));
/* One slice (about 2 ms) of the waiting work; true while more is waiting. */
bool cp_policy_work(void);
bool cp_policy_busy(void);
/* A trunk's key could not be read as its type (SET, HASH): said once, the state in force stays. */
void cp_policy_unreadable(struct cp_trunk *t, bool acl, const char *why);
/* A key under sbc:acl: / sbc:limits: that names no trunk (reported once). */
void cp_policy_unknown_key(const char *key, size_t len);
/* The data plane (re)started or we (re)attached: everything must be sent again. */
void cp_policy_dp_reset(void);
/* Push what the data plane does not hold yet (after a reset, a refusal, a read). */
void cp_policy_sync(void);
/* An APPLIED / REFUSED / TABLE_FULL event for trunk. */
void cp_policy_event(const struct sbc_msg *m);

#endif
