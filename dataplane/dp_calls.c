/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The call table and the verdict cache (see dp_calls.h). Both are rte_hash tables in
 * lock-free read mode with multi-writer adds; deleted keys go back to the table only after
 * every worker has passed a quiescent state (rte_hash_rcu_qsbr_add on the data plane's RCU
 * variable), so a worker holding a key position from a lookup can still read its record.
 * The main lcore is not an RCU reader: it only deletes, and reads a record right after its
 * own successful delete (the position cannot be reused before a grace period).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_malloc.h>

#include "dp_calls.h"

static struct {
	struct rte_hash *calls, *verdicts;
	struct dp_call *rec;		/* [max key id + 1] */
	uint64_t *vdata;		/* verdict cache: [max key id + 1], verdict | ms << 8 */
	uint32_t capacity;
	uint32_t vcount;		/* verdicts held (adds - deletes) */
	uint32_t count;			/* calls held (starts - ends): rte_hash_count() also
					 * counts deleted keys RCU has not yet reclaimed */
	uint32_t active[SBC_MAX_TRUNKS];
} ct;

/* The keys are hashes already: the table just takes 32 of their bits. */
static uint32_t key_hash(const void *key, uint32_t len, uint32_t init)
{
	const struct dp_key128 *k = key;

	(void)len;
	return (uint32_t)(k->a ^ (k->a >> 32)) ^ init;
}

static struct rte_hash *make(const char *name, uint32_t entries, struct rte_rcu_qsbr *qsv,
			     int socket)
{
	struct rte_hash_parameters p = {
		.name = name,
		.entries = entries,
		.key_len = sizeof(struct dp_key128),
		.hash_func = key_hash,
		.hash_func_init_val = 0x5bc0ca11,
		.socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD,
	};
	struct rte_hash_rcu_config rc = { .v = qsv, .mode = RTE_HASH_QSBR_MODE_DQ };
	struct rte_hash *h = rte_hash_create(&p);

	if (h == NULL)
		return NULL;
	if (rte_hash_rcu_qsbr_add(h, &rc) != 0) {
		rte_hash_free(h);
		return NULL;
	}
	return h;
}

int dp_calls_init(const struct sbc_config *cfg, struct rte_rcu_qsbr *qsv, int socket)
{
	ct.capacity = cfg->calls;
	ct.calls = make("sbc_calls", cfg->calls, qsv, socket);
	ct.verdicts = make("sbc_verdicts", cfg->calls, qsv, socket);
	if (ct.calls == NULL || ct.verdicts == NULL)
		return -ENOMEM;
	ct.rec = rte_zmalloc_socket("sbc_call_rec", ((size_t)rte_hash_max_key_id(ct.calls) + 1) *
				    sizeof(*ct.rec), RTE_CACHE_LINE_SIZE, socket);
	ct.vdata = rte_zmalloc_socket("sbc_verdict", ((size_t)rte_hash_max_key_id(ct.verdicts) +
				      1) * sizeof(*ct.vdata), RTE_CACHE_LINE_SIZE, socket);
	return ct.rec != NULL && ct.vdata != NULL ? 0 : -ENOMEM;
}

void dp_calls_free(void)
{
	rte_hash_free(ct.calls);
	rte_hash_free(ct.verdicts);
	rte_free(ct.rec);
	rte_free(ct.vdata);
	memset(&ct, 0, sizeof(ct));
}

static inline uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

/* Two independent 64-bit lanes over 8-byte words: one pass for a 128-bit key. */
static inline void hash128(const uint8_t *s, uint32_t len, uint64_t *a, uint64_t *b)
{
	uint64_t x = *a, y = *b, w;
	uint32_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		x = (x ^ w) * 0x9e3779b97f4a7c15ull;
		x ^= x >> 29;
		y = (y + w) * 0xbf58476d1ce4e5b9ull;
		y ^= y >> 31;
	}
	w = 0;
	memcpy(&w, s + i, len - i);
	x = mix(x ^ w ^ ((uint64_t)len << 56));
	y = mix(y + w + len);
	*a = x;
	*b = y;
}

struct dp_key128 dp_calls_vkey(struct dp_key128 call, const uint8_t *s2, uint32_t len2,
			       uint32_t n)
{
	if (len2 > 0 || n != 0) {	/* the verdict key: CSeq number and branch too */
		call.a ^= n;
		call.b += n;
		hash128(s2, len2, &call.a, &call.b);
	}
	return call;
}

struct dp_key128 dp_calls_key(const uint8_t *s, uint32_t len)
{
	struct dp_key128 k = { 0x2545f4914f6cdd1dull, 0x6a09e667f3bcc908ull };

	hash128(s, len, &k.a, &k.b);
	return k;
}

uint32_t dp_calls_active(uint16_t trunk)
{
	return __atomic_load_n(&ct.active[trunk], __ATOMIC_RELAXED);
}

bool dp_calls_reserve(uint16_t trunk, uint32_t max_calls)
{
	uint32_t was = __atomic_fetch_add(&ct.active[trunk], 1, __ATOMIC_RELAXED);

	if (max_calls != 0 && was >= max_calls) {
		__atomic_fetch_sub(&ct.active[trunk], 1, __ATOMIC_RELAXED);
		return false;
	}
	return true;
}

void dp_calls_unreserve(uint16_t trunk)
{
	__atomic_fetch_sub(&ct.active[trunk], 1, __ATOMIC_RELAXED);
}

int dp_call_start(const struct dp_key128 *k, uint16_t trunk, bool emergency, uint64_t now_ms,
		  const uint8_t *call_id, uint32_t call_id_len)
{
	struct dp_call *c;
	int32_t pos;

	if (rte_hash_lookup(ct.calls, k) >= 0)
		return -EEXIST;
	pos = rte_hash_add_key(ct.calls, k);
	if (pos < 0)
		return -ENOSPC;
	c = &ct.rec[pos];
	__atomic_store_n(&c->valid, 0, __ATOMIC_RELAXED);
	c->trunk = trunk;
	c->state = DP_CALL_TRYING;
	c->emergency = emergency;
	c->start_ms = now_ms;
	c->timer_c_ms = now_ms;	/* RFC 3261 16.6 item 11: set when the INVITE is forwarded */
	c->ref_a = k->a;
	c->ref_b = k->b;
	c->call_id_len = (uint16_t)(call_id_len < SBC_CALL_ID_MAX ? call_id_len : SBC_CALL_ID_MAX);
	c->transport = SBC_TP_UDP;
	memcpy(c->call_id, call_id, c->call_id_len);
	__atomic_store_n(&c->valid, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&ct.count, 1, __ATOMIC_RELAXED);
	return 0;
}

bool dp_call_exists(const struct dp_key128 *k)
{
	return rte_hash_lookup(ct.calls, k) >= 0;
}

void dp_call_set_stream(const struct dp_key128 *k, uint8_t transport, uint64_t now_ms)
{
	int32_t pos = rte_hash_lookup(ct.calls, k);

	if (pos < 0)
		return;
	__atomic_store_n(&ct.rec[pos].transport, transport, __ATOMIC_RELAXED);
	dp_call_progress(k, 200, now_ms);
}

void dp_call_progress(const struct dp_key128 *k, unsigned int status, uint64_t now_ms)
{
	int32_t pos = rte_hash_lookup(ct.calls, k);
	uint8_t st = status >= 200 ? DP_CALL_CONFIRMED : DP_CALL_EARLY;
	struct dp_call *c;
	uint8_t cur;

	if (pos < 0 || status < 100 || status >= 300)
		return;
	c = &ct.rec[pos];
	if (status > 100 && status < 200)	/* RFC 3261 16.7 step 2: not for 100 */
		__atomic_store_n(&c->timer_c_ms, now_ms, __ATOMIC_RELAXED);
	cur = __atomic_load_n(&c->state, __ATOMIC_RELAXED);
	while (cur < st && !__atomic_compare_exchange_n(&c->state, &cur, st, true,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/*
 * A Call-ID the table does not hold is told by a lookup, which takes no lock (RW_CONCURRENCY_LF):
 * the delete takes the table's writer lock, shared by every worker and the main lcore, and a
 * listed source's BYEs or CANCELs for made-up Call-IDs (in-dialog requests take no token) would
 * otherwise take it once each, on every worker at once. A call that does end pays one lookup more.
 */
bool dp_call_end(const struct dp_key128 *k, struct dp_call *c)
{
	hash_sig_t sig = rte_hash_hash(ct.calls, k);
	int32_t pos;

	if (rte_hash_lookup_with_hash(ct.calls, k, sig) < 0)
		return false;
	pos = rte_hash_del_key_with_hash(ct.calls, k, sig);
	if (pos < 0)
		return false;
	while (__atomic_load_n(&ct.rec[pos].valid, __ATOMIC_ACQUIRE) == 0)
		;	/* its starter is between add and publish: a few instructions */
	*c = ct.rec[pos];
	__atomic_fetch_sub(&ct.active[c->trunk], 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&ct.count, 1, __ATOMIC_RELAXED);
	return true;
}

void dp_call_event(struct sbc_msg_call *ev, uint16_t trunk, uint8_t reason, bool emergency,
		   uint64_t at_ns, const struct dp_key128 *k, const void *call_id,
		   uint32_t call_id_len)
{
	uint16_t n = (uint16_t)(call_id_len < SBC_CALL_ID_MAX ? call_id_len : SBC_CALL_ID_MAX);

	memset(ev, 0, offsetof(struct sbc_msg_call, call_id));
	ev->trunk = trunk;
	ev->reason = reason;
	ev->emergency = emergency;
	ev->active = dp_calls_active(trunk);
	ev->at_ns = at_ns;
	ev->ref_a = k->a;
	ev->ref_b = k->b;
	ev->call_id_len = n;
	memcpy(ev->call_id, call_id, n);
	memset(ev->call_id + n, 0, SBC_CALL_ID_MAX - n);	/* no stale bytes on the channel */
}

enum dp_verdict dp_verdict_get(const struct dp_key128 *k)
{
	int32_t pos = rte_hash_lookup(ct.verdicts, k);

	if (pos < 0)
		return DP_V_NONE;
	return (enum dp_verdict)(__atomic_load_n(&ct.vdata[pos], __ATOMIC_ACQUIRE) & 0xff);
}

bool dp_verdict_put(const struct dp_key128 *k, enum dp_verdict v, uint64_t now_ms)
{
	int32_t pos;

	/* Nearly full (an INVITE flood over a cap): skip the insert rather than pay the cuckoo
	 * search of a full table on every refusal; a retransmission is then judged afresh. */
	if (__atomic_load_n(&ct.vcount, __ATOMIC_RELAXED) >= ct.capacity / 8 * 7)
		return false;
	pos = rte_hash_add_key(ct.verdicts, k);
	if (pos < 0)
		return false;
	__atomic_fetch_add(&ct.vcount, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&ct.vdata[pos], (uint64_t)v | now_ms << 8, __ATOMIC_RELEASE);
	return true;
}

/* End every call for which why() gives a reason (not NONE); ended() hears of each. */
static void end_where(uint8_t (*why)(const struct dp_call *r, const void *arg), const void *why_arg,
		      void (*ended)(const struct dp_call *c, uint8_t reason, void *arg), void *arg)
{
	const void *key;
	void *data;
	uint32_t next = 0;
	int32_t pos;

	/* rte_hash_iterate visits every slot of the table, occupied or not (262,144 by default):
	 * an empty table is not walked. A call added meanwhile is seen on the next pass. */
	if (__atomic_load_n(&ct.count, __ATOMIC_RELAXED) == 0)
		return;
	while ((pos = rte_hash_iterate(ct.calls, &key, &data, &next)) >= 0) {
		const struct dp_call *r = &ct.rec[pos];
		uint8_t reason;
		struct dp_key128 k;
		struct dp_call c;

		if (__atomic_load_n(&r->valid, __ATOMIC_ACQUIRE) == 0)
			continue;
		reason = why(r, why_arg);
		if (reason == SBC_CALL_END_NONE)
			continue;
		memcpy(&k, key, sizeof(k));
		if (dp_call_end(&k, &c))
			ended(&c, reason, arg);
	}
}

struct timer_args {
	uint64_t now_ms;
	uint32_t max_duration_s;
};

static uint8_t by_timer(const struct dp_call *r, const void *arg)
{
	const struct timer_args *t = arg;

	return dp_call_timer(r, t->now_ms, t->max_duration_s);
}

static uint8_t if_stream(const struct dp_call *r, const void *arg)
{
	(void)arg;
	return __atomic_load_n(&r->transport, __ATOMIC_RELAXED) == SBC_TP_UDP ?
	       SBC_CALL_END_NONE : SBC_CALL_END_FLUSHED;
}

void dp_calls_expire(uint64_t now_ms, uint32_t max_duration_s,
		     void (*ended)(const struct dp_call *c, uint8_t reason, void *arg), void *arg)
{
	const struct timer_args t = { now_ms, max_duration_s };
	const void *key;
	void *data;
	uint32_t next;
	int32_t pos;

	end_where(by_timer, &t, ended, arg);
	if (__atomic_load_n(&ct.vcount, __ATOMIC_RELAXED) == 0)
		return;
	next = 0;
	while ((pos = rte_hash_iterate(ct.verdicts, &key, &data, &next)) >= 0) {
		uint64_t at = __atomic_load_n(&ct.vdata[pos], __ATOMIC_ACQUIRE) >> 8;
		struct dp_key128 k;

		if (now_ms > at && now_ms - at > DP_VERDICT_MS) {
			memcpy(&k, key, sizeof(k));
			if (rte_hash_del_key(ct.verdicts, &k) >= 0)
				__atomic_fetch_sub(&ct.vcount, 1, __ATOMIC_RELAXED);
		}
	}
}

void dp_calls_flush_stream(void (*ended)(const struct dp_call *c, uint8_t reason, void *arg),
			   void *arg)
{
	end_where(if_stream, NULL, ended, arg);
}

uint32_t dp_calls_capacity(void)
{
	return ct.capacity;
}

uint32_t dp_calls_count(void)
{
	return __atomic_load_n(&ct.count, __ATOMIC_RELAXED);
}

uint32_t dp_verdicts_count(void)
{
	return __atomic_load_n(&ct.vcount, __ATOMIC_RELAXED);
}
