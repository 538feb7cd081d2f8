/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy's keys in Redis, between the Redis client (cp_redis.c) and the policy engine
 * (cp_policy.c). On every (re)connect: seed sbc:acl:<trunk> from the configuration where it
 * never existed (before anything reads), then read every trunk's keys in full and SCAN for keys
 * of trunks that are not configured. A keyspace event re-reads that one key; reads of one key
 * never overlap (an event during a read asks for one more read after it). Runs on the su_root
 * thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_chan.h"
#include "cp_keys.h"
#include "cp_log.h"
#include "cp_policy.h"
#include "cp_redis.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* Members per SADD in the seeding script: Lua's unpack() has a limit. */
#define SEED_CHUNK 1000
#define SCAN_COUNT 1000		/* keys Redis looks at per SCAN step */

/*
 * Seed a trunk's allowlist from the configuration once: only when sbc:acl:<trunk> does not
 * exist and the trunk was never seeded before (sbc:seeded:<trunk>), so an operator's DEL is
 * not undone by the next restart. Atomic (one script).
 */
static const char SEED_LUA[] =
	"if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end "
	"redis.call('SET', KEYS[2], ARGV[1]) "
	"if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end "
	"for i = 2, #ARGV, " STR(SEED_CHUNK) " do "
	"  redis.call('SADD', KEYS[1], "
	"             unpack(ARGV, i, math.min(i + " STR(SEED_CHUNK) " - 1, #ARGV))) "
	"end "
	"return 1";

/* The two keys of a trunk: how each is read and where its values go. */
enum key_kind { KEY_ACL, KEY_LIMITS, KEY_KINDS };

static const struct {
	const char *prefix;	/* followed by the trunk's name */
	const char *pattern;	/* for SCAN */
	const char *read;	/* the full read */
	void (*apply)(struct cp_trunk *t, const char *const *v, const size_t *l, size_t n);
} kinds[KEY_KINDS] = {
	[KEY_ACL] = { "sbc:acl:", "sbc:acl:*", "SMEMBERS", cp_policy_acl_read },
	[KEY_LIMITS] = { "sbc:limits:", "sbc:limits:*", "HGETALL", cp_policy_limits_read },
};

static const char *const prefixes[] = { "sbc:acl:", "sbc:limits:", NULL };

/* One per trunk and kind: the callback argument of its reads. */
struct key_state {
	struct cp_trunk *t;
	enum key_kind kind;
	bool reading, again;
};

static struct {
	const struct sbc_config *cfg;
	struct key_state *ks;		/* [trunk * KEY_KINDS + kind] */
	unsigned int n_trunks;
	uint64_t replays;
} keys;

static const char *key_name(const struct key_state *k)
{
	return k->kind == KEY_ACL ? k->t->acl_key : k->t->limits_key;
}

static void read_key(struct key_state *k);

/* A big SMEMBERS reply lent to the policy, which reads and frees it in slices. */
static void reply_get(void *src, size_t i, const char **v, size_t *l)
{
	const redisReply *e = ((const redisReply *)src)->element[i];

	*v = e->str ? e->str : "";
	*l = e->str ? e->len : 0;
}

static bool reply_release(void *src, uint32_t budget)
{
	return cp_redis_free_some(src, budget);
}

/* A full read came back: the strings of the array to the policy, or "not a SET/HASH". */
static void deliver(const struct key_state *k, redisReply *r)
{
	const char **v;
	size_t *l;
	char e[200];

	if (r->type != REDIS_REPLY_ARRAY) {
		cp_redis_reply_text(r, e, sizeof(e));
		cp_policy_unreadable(k->t, k->kind == KEY_ACL, e);
		return;
	}
	if (k->kind == KEY_ACL && r->elements > cp_policy_slice_min()) {
		struct cp_values src = { .n = r->elements, .src = r, .get = reply_get,
					 .release = reply_release };

		cp_log(CP_DEBUG, "%s: %zu values read; settling them in slices", key_name(k),
		       r->elements);
		cp_redis_keep_reply(r);
		cp_policy_acl_read_values(k->t, &src);
		return;
	}
	v = calloc(r->elements ? r->elements : 1, sizeof(*v));
	l = calloc(r->elements ? r->elements : 1, sizeof(*l));
	if (v == NULL || l == NULL) {
		cp_log(CP_ERR, "%s: out of memory for %zu values; the state in force stays",
		       key_name(k), r->elements);
	} else {
		uint64_t t0 = sbc_mono_ns();

		for (size_t i = 0; i < r->elements; i++) {
			v[i] = r->element[i]->str ? r->element[i]->str : "";
			l[i] = r->element[i]->str ? r->element[i]->len : 0;
		}
		kinds[k->kind].apply(k->t, v, l, r->elements);
		cp_log(CP_DEBUG, "%s: %zu values read, applied to the policy in %.3f ms "
		       "(%zu commands queued)", key_name(k), r->elements,
		       (sbc_mono_ns() - t0) / 1e6, cp_chan_queued());
	}
	free(v);
	free(l);
}

static void on_read(redisAsyncContext *ac, void *reply, void *priv)
{
	struct key_state *k = priv;

	(void)ac;
	if (reply == NULL)
		return;		/* connection gone: the replay after reconnect reads it */
	k->reading = false;
	deliver(k, reply);
	if (k->again) {
		k->again = false;
		read_key(k);
	}
}

static void read_key(struct key_state *k)
{
	if (!cp_redis_up())
		return;		/* read in full once it is */
	if (k->reading) {
		k->again = true;
		return;
	}
	if (cp_redis_command(on_read, k, "%s %s", kinds[k->kind].read, key_name(k)) == 0)
		k->reading = true;
}

/* A key under our prefixes: its state, or NULL (reported as unknown when it names no trunk). */
static struct key_state *key_of(const char *key, size_t len)
{
	for (unsigned int kind = 0; kind < KEY_KINDS; kind++) {
		size_t skip = strlen(kinds[kind].prefix);
		struct cp_trunk *t;

		if (len <= skip || memcmp(key, kinds[kind].prefix, skip) != 0)
			continue;
		t = cp_trunk_by_name(key + skip, len - skip);
		if (t == NULL) {
			cp_policy_unknown_key(key, len);
			return NULL;
		}
		return &keys.ks[t->id * KEY_KINDS + kind];
	}
	return NULL;
}

static void on_changed(const char *key, size_t len)
{
	struct key_state *k = key_of(key, len);

	if (k != NULL)
		read_key(k);
}

/* SCAN for keys of trunks that do not exist (they are reported, once). */
static void on_scan(redisAsyncContext *ac, void *reply, void *priv)
{
	const redisReply *r = reply;
	const char *pattern = priv;

	(void)ac;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i < r->element[1]->elements; i++) {
		const redisReply *k = r->element[1]->element[i];

		if (k->type == REDIS_REPLY_STRING)
			key_of(k->str, k->len);
	}
	if (strcmp(r->element[0]->str, "0") != 0 && cp_redis_up())
		cp_redis_command(on_scan, priv, "SCAN %s MATCH %s COUNT %d", r->element[0]->str,
				 pattern, SCAN_COUNT);
}

/* Read everything: on every (re)connect, and every second when notifications are off. */
static void replay(void)
{
	keys.replays++;
	for (unsigned int i = 0; i < keys.n_trunks * KEY_KINDS; i++)
		read_key(&keys.ks[i]);
	for (unsigned int kind = 0; kind < KEY_KINDS; kind++)
		cp_redis_command(on_scan, (void *)kinds[kind].pattern, "SCAN 0 MATCH %s COUNT %d",
				 kinds[kind].pattern, SCAN_COUNT);
}

/* The connection went: replies in flight are gone, the next replay reads everything. */
static void on_down(void)
{
	for (unsigned int i = 0; i < keys.n_trunks * KEY_KINDS; i++)
		keys.ks[i].reading = keys.ks[i].again = false;
}

static void on_seed(redisAsyncContext *ac, void *reply, void *priv)
{
	const redisReply *r = reply;
	const struct cp_trunk *t = priv;
	char e[200];

	(void)ac;
	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_INTEGER && r->integer == 1) {
		cp_log(CP_INFO, "%s: seeded with the %u peers of [trunk %s]", t->acl_key,
		       t->cfg->n_peers, t->cfg->name);
	} else if (r->type == REDIS_REPLY_ERROR) {
		cp_redis_reply_text(r, e, sizeof(e));
		cp_log(CP_ERR, "%s: seeding from the configuration failed: %s", t->acl_key, e);
	}
}

/* EVAL SEED_LUA 2 sbc:acl:<trunk> sbc:seeded:<trunk> "from <file>" <peer>... */
static void seed(struct cp_trunk *t)
{
	size_t n = 6 + t->cfg->n_peers, k = 0;
	const char **argv = calloc(n, sizeof(*argv));
	size_t *lens = calloc(n, sizeof(*lens));
	char (*txt)[SBC_CIDR_STRLEN] = calloc(t->cfg->n_peers ? t->cfg->n_peers : 1, sizeof(*txt));
	char marker[96], note[128];

	if (argv == NULL || lens == NULL || txt == NULL) {
		cp_log(CP_ERR, "%s: out of memory seeding", t->acl_key);
		goto out;
	}
	snprintf(marker, sizeof(marker), "sbc:seeded:%s", t->cfg->name);
	snprintf(note, sizeof(note), "from %.100s", keys.cfg->path);
	argv[k++] = "EVAL";
	argv[k++] = SEED_LUA;
	argv[k++] = "2";
	argv[k++] = t->acl_key;
	argv[k++] = marker;
	argv[k++] = note;
	for (uint32_t i = 0; i < t->cfg->n_peers; i++)
		argv[k++] = sbc_prefix_format(&t->cfg->peers[i], txt[i], sizeof(txt[i]));
	for (size_t i = 0; i < k; i++)
		lens[i] = strlen(argv[i]);
	cp_redis_command_argv(on_seed, t, (int)k, argv, lens);
out:
	free(argv);
	free(lens);
	free(txt);
}

static void seed_all(void)
{
	for (unsigned int i = 0; i < keys.n_trunks; i++)
		if (keys.ks[i * KEY_KINDS].t->cfg->n_peers > 0)
			seed(keys.ks[i * KEY_KINDS].t);
}

static const struct cp_redis_listener listener = {
	.prefixes = prefixes,
	.prepare = seed_all,
	.up = replay,
	.poll = replay,
	.down = on_down,
	.changed = on_changed,
};

int cp_keys_init(const struct sbc_config *cfg)
{
	keys.cfg = cfg;
	keys.n_trunks = cp_policy_n_trunks();
	keys.ks = calloc(keys.n_trunks ? keys.n_trunks * KEY_KINDS : 1, sizeof(*keys.ks));
	if (keys.ks == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < keys.n_trunks * KEY_KINDS; i++) {
		keys.ks[i].t = cp_policy_trunk(i / KEY_KINDS);
		keys.ks[i].kind = (enum key_kind)(i % KEY_KINDS);
	}
	return cp_redis_listen(&listener);
}

void cp_keys_fini(void)
{
	free(keys.ks);
	memset(&keys, 0, sizeof(keys));
}

uint64_t cp_keys_replays(void)
{
	return keys.replays;
}
