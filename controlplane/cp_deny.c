/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The denylist's keys in Redis, between the Redis client (cp_redis.c) and the channel: each
 * sbc:deny:<ip> read with one script (its PTTL, type and the first bytes of its value) and sent
 * as DENY_ADD (with the TTL left, which the data plane enforces itself too) or DENY_DEL. A full
 * replay (SCAN) runs on every Redis (re)connect, every second in poll mode, and on every data
 * plane (re)start, between SYNC_BEGIN and SYNC_END of one generation. Runs on the su_root
 * thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "cp_chan.h"
#include "cp_deny.h"
#include "cp_log.h"
#include "cp_redis.h"
#include "sbc_hash.h"

#define PREFIX "sbc:deny:"
#define SCAN_COUNT 1000
#define BAD_SEEN 256		/* bad key names remembered, so each is logged once */

/* PTTL (-2: gone, -1: no TTL), then the type, then (a STRING) its first 16 bytes. */
static const char READ_LUA[] =
	"local t = redis.call('PTTL', KEYS[1]) "
	"if t == -2 then return {t} end "
	"local ty = redis.call('TYPE', KEYS[1]).ok "
	"if ty ~= 'string' then return {t, '', ty} end "
	"return {t, redis.call('GETRANGE', KEYS[1], 0, " "15)}";

static const char *const prefixes[] = { PREFIX, NULL };

/* One read in flight: the key, and the replay it belongs to (0: a keyspace event's). */
struct read_ctx {
	uint64_t round;
	size_t len;
	char key[];
};

static struct {
	uint64_t round;		/* current replay; bumped to abandon one */
	uint64_t gen;		/* its SYNC generation */
	unsigned int pending;	/* its reads and SCAN steps in flight */
	uint64_t bad_seen[BAD_SEEN];
} dn;

int cp_deny_parse_key(const char *key, size_t len, struct sbc_deny_entry *e)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	size_t skip = strlen(PREFIX);
	char ip[INET6_ADDRSTRLEN];

	memset(e, 0, sizeof(*e));
	if (len <= skip || len - skip >= sizeof(ip) || memcmp(key, PREFIX, skip) != 0)
		return -EINVAL;
	memcpy(ip, key + skip, len - skip);
	ip[len - skip] = '\0';
	if (inet_pton(AF_INET, ip, e->addr) == 1) {
		e->family = SBC_AF_V4;
	} else if (inet_pton(AF_INET6, ip, e->addr) == 1) {
		e->family = SBC_AF_V6;
		if (memcmp(e->addr, mapped, 12) == 0) {	/* ::ffff:a.b.c.d is a.b.c.d */
			memmove(e->addr, e->addr + 12, 4);
			memset(e->addr + 4, 0, 12);
			e->family = SBC_AF_V4;
		}
	} else {
		return -EINVAL;
	}
	return 0;
}

/* Said once per key name (a bad key is re-read on each of its events and each replay). */
static bool first_time(const char *key, size_t len)
{
	uint64_t h = sbc_fnv1a(SBC_FNV1A_INIT, key, len) | 1;
	uint64_t *slot = &dn.bad_seen[h % BAD_SEEN];

	if (*slot == h)
		return false;
	*slot = h;
	return true;
}

static void send_entry(uint16_t type, const struct sbc_deny_entry *e)
{
	struct sbc_msg_deny d;

	memset(&d, 0, sizeof(d));
	d.n = 1;
	d.e[0] = *e;
	cp_chan_send(type, &d, (uint32_t)(offsetof(struct sbc_msg_deny, e) + sizeof(d.e[0])));
}

/* The reason as the data plane shows it: printable ASCII, the rest '?'. */
static void copy_reason(char *dst, const redisReply *v)
{
	for (size_t i = 0; i < SBC_DENY_REASON_MAX && i < v->len; i++)
		dst[i] = v->str[i] >= 0x20 && v->str[i] < 0x7f ? v->str[i] : '?';
}

/* A read came back: {pttl}, {pttl, value} or {pttl, '', type}. */
static void apply(const char *key, size_t len, const redisReply *r)
{
	struct sbc_deny_entry e;
	char txt[200];

	if (cp_deny_parse_key(key, len, &e) != 0) {
		if (first_time(key, len))
			cp_log(CP_WARN, "%.*s: not an IPv4 or IPv6 address after '" PREFIX "': "
			       "skipped", (int)len, key);
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER) {
		cp_redis_reply_text(r, txt, sizeof(txt));
		cp_log(CP_ERR, "%.*s: cannot read it (%s); the data plane keeps what it has",
		       (int)len, key, txt);
		return;
	}
	if (r->element[0]->integer == -2) {
		send_entry(SBC_CMD_DENY_DEL, &e);
		return;
	}
	if (r->elements == 3) {		/* not a STRING: not a denial */
		if (first_time(key, len))
			cp_log(CP_WARN, "%.*s is a %s, not a STRING: skipped", (int)len, key,
			       r->element[2]->str ? r->element[2]->str : "?");
		send_entry(SBC_CMD_DENY_DEL, &e);
		return;
	}
	e.ttl_ms = r->element[0]->integer > 0 ? (uint64_t)r->element[0]->integer : 0;
	if (r->elements >= 2 && r->element[1]->type == REDIS_REPLY_STRING)
		copy_reason(e.reason, r->element[1]);
	send_entry(SBC_CMD_DENY_ADD, &e);
}

static void maybe_end(uint64_t round)
{
	struct sbc_msg_deny d;

	if (round != dn.round || round == 0 || --dn.pending > 0)
		return;
	memset(&d, 0, sizeof(d));
	cp_chan_send_gen(SBC_CMD_DENY_SYNC_END, &d, offsetof(struct sbc_msg_deny, e), dn.gen);
	cp_log(CP_DEBUG, "denylist replayed from Redis (generation %llu)",
	       (unsigned long long)dn.gen);
}

static void on_read(redisAsyncContext *ac, void *reply, void *priv)
{
	struct read_ctx *c = priv;

	(void)ac;
	if (reply != NULL) {	/* NULL: connection gone, the next replay reads it */
		if (cp_chan_ready())
			apply(c->key, c->len, reply);
		maybe_end(c->round);
	}
	free(c);
}

static void read_key(const char *key, size_t len, uint64_t round)
{
	struct read_ctx *c = malloc(sizeof(*c) + len + 1);
	const char *argv[4] = { "EVAL", READ_LUA, "1", NULL };
	size_t lens[4] = { 4, sizeof(READ_LUA) - 1, 1, len };

	if (c == NULL) {
		cp_log(CP_ERR, "%.*s: out of memory reading it", (int)len, key);
		return;
	}
	c->round = round;
	c->len = len;
	memcpy(c->key, key, len);
	c->key[len] = '\0';
	argv[3] = c->key;
	if (round != 0)
		dn.pending++;
	if (cp_redis_command_argv(on_read, c, 4, argv, lens) != 0) {
		if (round != 0)
			dn.pending--;
		free(c);
	}
}

static void scan_step(const char *cursor, uint64_t round);

static void on_scan(redisAsyncContext *ac, void *reply, void *priv)
{
	const redisReply *r = reply;
	uint64_t round = (uint64_t)(uintptr_t)priv;

	(void)ac;
	if (r == NULL || round != dn.round)
		return;		/* connection gone, or a newer replay runs */
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY) {
		cp_log(CP_ERR, "SCAN " PREFIX "*: unexpected reply; the denylist is replayed on the "
		       "next reconnect");
		dn.round++;
		return;
	}
	for (size_t i = 0; i < r->element[1]->elements; i++) {
		const redisReply *k = r->element[1]->element[i];

		if (k->type == REDIS_REPLY_STRING)
			read_key(k->str, k->len, round);
	}
	if (strcmp(r->element[0]->str, "0") != 0)
		scan_step(r->element[0]->str, round);
	maybe_end(round);	/* this step is done */
}

static void scan_step(const char *cursor, uint64_t round)
{
	dn.pending++;
	if (cp_redis_command(on_scan, (void *)(uintptr_t)round, "SCAN %s MATCH " PREFIX "* COUNT %d",
			     cursor, SCAN_COUNT) != 0)
		dn.pending--;
}

/* Everything from Redis, inside SYNC_BEGIN/END: the data plane lifts what it did not get. */
static void replay(void)
{
	struct sbc_msg_deny d;

	dn.round++;
	dn.pending = 0;
	if (!cp_redis_up() || !cp_chan_ready())
		return;		/* runs again on the Redis up / data plane start that comes */
	memset(&d, 0, sizeof(d));
	dn.gen = cp_chan_next_generation();
	cp_chan_send_gen(SBC_CMD_DENY_SYNC_BEGIN, &d, offsetof(struct sbc_msg_deny, e), dn.gen);
	scan_step("0", dn.round);
}

static void on_changed(const char *key, size_t len)
{
	if (cp_chan_ready())
		read_key(key, len, 0);
}

static void on_down(void)
{
	dn.round++;		/* replies in flight are gone: the replay on reconnect reads all */
}

static const struct cp_redis_listener listener = {
	.prefixes = prefixes,
	.up = replay,
	.poll = replay,
	.down = on_down,
	.changed = on_changed,
};

int cp_deny_init(void)
{
	memset(&dn, 0, sizeof(dn));
	return cp_redis_listen(&listener);
}

void cp_deny_dp_reset(void)
{
	replay();
}
