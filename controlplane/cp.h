/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sbc-controlplane: one su_root event loop (the one Sofia-SIP runs on) carrying hiredis, the
 * shared-memory channel to the data plane and the policy engine between them. Redis is the
 * source of truth; this process keeps the last sets it read (so a data plane that restarts
 * while Redis is away still gets them) and what it has asked the data plane to hold.
 */
#ifndef CP_H
#define CP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbc_channel.h"
#include "sbc_cidr.h"
#include "sbc_config.h"

/* ---- logging: one line per event, never per packet or per value beyond the first report */
enum cp_log_level { CP_ERR, CP_WARN, CP_INFO, CP_DEBUG };
extern int cp_log_verbosity;
void cp_log(enum cp_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- prefix sets (cp_policy.c): sorted, no duplicates */
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

/* Indexes (into a) of the members of a that b holds too; idx has room for a->n. */
size_t cp_set_intersect(const struct cp_set *a, const struct cp_set *b, uint32_t *idx);

/* ---- the policy engine (cp_policy.c) */
struct cp_bad_seen;	/* values of one key already reported */

struct cp_trunk {
	uint16_t id;
	const struct sbc_trunk_config *cfg;
	char acl_key[64], limits_key[64];

	/* from Redis (the last good read) */
	bool acl_known;
	struct cp_set want;
	bool limits_known;
	struct cp_limits limits;

	/* what this trunk holds after conflicts and capacity: what the data plane is asked */
	struct cp_set eff;
	bool conflicts;			/* some wanted prefixes are another trunk's */
	bool dp_valid;			/* the data plane holds eff (as far as we know) */
	bool dp_retry;			/* refused (EEXIST during a move): send again */
	unsigned int retries;
	uint64_t retry_at_ns;		/* CLOCK_MONOTONIC */
	bool limits_valid;		/* the data plane holds limits */
	struct cp_limits limits_sent;
	uint64_t last_generation;	/* of the last allowlist command */
	uint64_t limits_generation;

	/* Redis reads in flight */
	bool acl_reading, acl_again, limits_reading, limits_again;
	bool acl_type_logged, limits_type_logged;	/* "not a SET/HASH" said once */

	struct cp_bad_seen *bad_acl, *bad_limits;
	uint64_t refused_logged_n;	/* size of the last set refused for capacity (log once) */
};

struct cp_stats {
	uint64_t replays, redis_reconnects, notifications_seen, bad_values, unknown_keys,
		refused_sets, calls_admitted, calls_ended, commands, applied, refused;
};

struct cp {
	struct sbc_config cfg;
	struct cp_trunk *trunks;
	unsigned int n_trunks;
	uint32_t held_v4, held_v6;	/* prefixes over all trunks' eff */
	struct cp_stats st;
	bool redis_up, notifications;
	struct cp_bad_seen *unknown_seen;	/* unknown keys already reported */
};

extern struct cp cp;

int cp_policy_init(void);
void cp_policy_fini(void);
struct cp_trunk *cp_trunk_by_name(const char *name, size_t len);

/* Redis told us a trunk's set / limits (a full read). */
void cp_policy_acl_read(struct cp_trunk *t, const char *const *vals, const size_t *lens,
			size_t n);
void cp_policy_limits_read(struct cp_trunk *t, const char *const *kv, const size_t *lens,
			   size_t n);
/* A key under sbc:acl: / sbc:limits: that names no trunk (reported once). */
void cp_policy_unknown_key(const char *key, size_t len);
/* The data plane (re)started or we (re)attached: everything must be sent again. */
void cp_policy_dp_reset(void);
/* Push what the data plane does not hold yet (after a reset, a refusal, a read). */
void cp_policy_sync(void);
/* An APPLIED / REFUSED / TABLE_FULL event for trunk. */
void cp_policy_event(const struct sbc_msg *m);

/* ---- the channel (cp_chan.c) */
struct su_root_s;
int cp_chan_start(struct su_root_s *root);
void cp_chan_stop(void);
bool cp_chan_ready(void);	/* attached, data plane alive and its trunk list checked */
/* Queue a command; it goes into the ring as soon as there is room, in order. */
uint64_t cp_chan_send(uint16_t type, const void *body, uint32_t len);
uint64_t cp_chan_next_generation(void);
uint64_t cp_chan_send_gen(uint16_t type, const void *body, uint32_t len, uint64_t generation);
size_t cp_chan_queued(void);

/* ---- call records (cp_cdr.c) */
struct cp_cdr {
	char call_id[SBC_CALL_ID_MAX + 1];
	uint16_t trunk;
	uint8_t reason;		/* enum sbc_call_end */
	uint8_t emergency;
	uint64_t start_ns;	/* 0: admitted before this control plane started */
	uint64_t end_ns;
};
void cp_cdr_event(const struct sbc_msg *m);	/* SBC_EVT_CALL_ADMITTED / _ENDED */
void cp_cdr_flush(void);			/* write records that waited for Redis */
void cp_cdr_reset(void);			/* the data plane restarted */
void cp_cdr_fini(void);
uint64_t cp_cdr_active(uint16_t trunk);
uint64_t cp_cdr_lost(void);

/* ---- Redis (cp_redis.c) */
/* XADD one record to sbc:cdr: 0, or -1 when Redis is not there (the caller keeps it). */
int cp_redis_write_cdr(const struct cp_cdr *r);
int cp_redis_start(struct su_root_s *root);
void cp_redis_stop(void);
/* Read a trunk's keys again (after a notification, or in a replay). */
void cp_redis_read_acl(struct cp_trunk *t);
void cp_redis_read_limits(struct cp_trunk *t);

#endif
