/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Redis client (cp_redis.c): two hiredis connections on su_root, `cmd` for commands and
 * `sub` for keyspace notifications, reconnected with back-off, watched by PING. Roles use it
 * through a generic async command API and a listener each (cp_keys.c: the policy's keys;
 * cp_cdr.c: call records). Runs on the su_root thread.
 */
#ifndef CP_REDIS_H
#define CP_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "sbc_config.h"

struct su_root_s;

/*
 * A role that uses Redis. Every hook may be NULL. Order on every (re)connect: AUTH/SELECT,
 * keyspace notifications set up, prepare() (its commands run before anything reads), the
 * subscriptions, then up(); in poll mode (notifications refused) poll() every second.
 */
struct cp_redis_listener {
	/* key prefixes whose keyspace events it wants, NULL-terminated */
	const char *const *prefixes;
	void (*prepare)(void);
	void (*up)(void);
	void (*poll)(void);
	void (*down)(void);	/* replies in flight are lost (their callbacks get NULL) */
	void (*changed)(const char *key, size_t len);	/* a keyspace event under a prefix */
};

struct cp_redis_stats {
	uint64_t reconnects;		/* connections lost after being up */
	uint64_t notifications_seen;
};

/* Listeners are registered before cp_redis_start; cfg must outlive the client. */
int cp_redis_listen(const struct cp_redis_listener *l);
int cp_redis_start(struct su_root_s *root, const struct sbc_config *cfg);
void cp_redis_stop(void);

bool cp_redis_up(void);			/* both connections ready */
bool cp_redis_notifications(void);	/* keyspace notifications on (else polling) */
const struct cp_redis_stats *cp_redis_stats(void);

/*
 * Send a command on the command connection; cb(ac, reply, arg) gets the answer, reply NULL when
 * the connection went away first. 0, -ENOTCONN when there is no connection (cp_redis_up() says
 * whether it is ready), -EIO when hiredis refused it. Credentials never go through here.
 */
int cp_redis_command(redisCallbackFn *cb, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cp_redis_command_argv(redisCallbackFn *cb, void *arg, int argc, const char **argv,
			  const size_t *lens);
/* "ERR ..." of an error reply, or what else came: for log lines. */
void cp_redis_reply_text(const redisReply *r, char *buf, size_t len);
/* Inside a reply callback: the reply is the caller's from now on, hiredis does not free it. */
void cp_redis_keep_reply(redisReply *r);
/* Free up to budget elements of a kept array reply; true once all of it is freed. */
bool cp_redis_free_some(redisReply *r, uint32_t budget);

#endif
