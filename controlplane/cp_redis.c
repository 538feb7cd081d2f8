/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Redis client: two async hiredis connections on su_root, `cmd` for commands and `sub` for
 * the PSUBSCRIBE to keyspace notifications under the prefixes the roles listen to.
 *
 * Order on every (re)connect: AUTH/SELECT, make sure notify-keyspace-events carries what we
 * need (or say exactly what to set, and have the roles poll once a second instead), the roles'
 * prepare() commands, subscribe, and only then up(): a role that reads everything there never
 * misses a change made while we were away or between subscribing and reading. A silent Redis
 * (no PONG within PING_TIMEOUT_MS) counts as gone; reconnects back off from BACKOFF_MIN_MS to
 * BACKOFF_MAX_MS. Runs on the su_root thread. The password goes to AUTH only, never to a log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <sofia-sip/su_wait.h>

#include "cp_log.h"
#include "cp_redis.h"
#include "cp_redis_su.h"
#include "sbc_channel.h"

#define TICK_MS 100
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define PING_EVERY_MS 1000
#define PING_TIMEOUT_MS 5000
#define POLL_EVERY_MS 1000	/* full re-read when keyspace notifications are unavailable */
#define LISTENERS_MAX 8
#define PATTERNS_MAX 16

/* Notifications we need: K keyspace channel, g generic (del, rename, expire), s set, h hash,
 * l list (sbc:route:), $ string (sbc:deny:), x expired, e evicted. */
static const char NEED_FLAGS[] = "Kgslh$xe";

static struct {
	const struct sbc_config *cfg;
	su_root_t *root;
	su_timer_t *timer;
	redisAsyncContext *cmd, *sub;
	bool cmd_ready, sub_ready, up, poll_mode;
	int psub_count;
	char host[sizeof(((struct sbc_config *)0)->redis_address)];
	char unix_path[sizeof(((struct sbc_config *)0)->redis_address)];
	int port;
	uint64_t backoff_ms, reconnect_at, last_poll;
	uint64_t ping_sent;	/* 0 = none outstanding */
	uint64_t last_ping;
	uint64_t last_tick;
	char last_err[256];
	const struct cp_redis_listener *ls[LISTENERS_MAX];
	unsigned int n_ls;
	struct cp_redis_stats st;
} rd;

static uint64_t now_ms(void)
{
	return sbc_mono_ns() / 1000000ull;
}

enum hook { HOOK_PREPARE, HOOK_UP, HOOK_POLL, HOOK_DOWN };

/* That hook of every listener that has one, in the order they registered. */
static void tell_listeners(enum hook h)
{
	for (unsigned int i = 0; i < rd.n_ls; i++) {
		const struct cp_redis_listener *l = rd.ls[i];
		void (*f)(void) = h == HOOK_PREPARE ? l->prepare : h == HOOK_UP ? l->up :
				  h == HOOK_POLL ? l->poll : l->down;

		if (f != NULL)
			f();
	}
}

static void teardown(const char *why, const char *detail);

/* ------------------------------------------------------------------------------------------ */
/* The roles' side */

int cp_redis_listen(const struct cp_redis_listener *l)
{
	if (rd.n_ls == LISTENERS_MAX)
		return -ENOSPC;
	rd.ls[rd.n_ls++] = l;
	return 0;
}

bool cp_redis_up(void)
{
	return rd.up;
}

bool cp_redis_notifications(void)
{
	return rd.up && !rd.poll_mode;
}

const struct cp_redis_stats *cp_redis_stats(void)
{
	return &rd.st;
}

int cp_redis_command(redisCallbackFn *cb, void *arg, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (rd.cmd == NULL)
		return -ENOTCONN;
	va_start(ap, fmt);
	rc = redisvAsyncCommand(rd.cmd, cb, arg, fmt, ap);
	va_end(ap);
	return rc == REDIS_OK ? 0 : -EIO;
}

int cp_redis_command_argv(redisCallbackFn *cb, void *arg, int argc, const char **argv,
			  const size_t *lens)
{
	if (rd.cmd == NULL)
		return -ENOTCONN;
	return redisAsyncCommandArgv(rd.cmd, cb, arg, argc, argv, lens) == REDIS_OK ? 0 : -EIO;
}

void cp_redis_reply_text(const redisReply *r, char *buf, size_t len)
{
	if (r == NULL)
		snprintf(buf, len, "no reply");
	else if (r->type == REDIS_REPLY_ERROR)
		snprintf(buf, len, "%.*s", (int)r->len, r->str);
	else
		snprintf(buf, len, "unexpected reply type %d", r->type);
}

static void maybe_up(void)
{
	if (!rd.cmd_ready || !rd.sub_ready || rd.up)
		return;
	rd.up = true;
	rd.backoff_ms = 0;
	rd.last_err[0] = '\0';
	cp_log(CP_INFO, "Redis %s ready (%s): reading every key", rd.cfg->redis_address,
	       rd.poll_mode ? "no keyspace notifications: polling every second" :
			      "keyspace notifications on");
	rd.last_poll = now_ms();
	tell_listeners(HOOK_UP);
}

/* ------------------------------------------------------------------------------------------ */
/* Subscriber connection */

/* Does listener l want events of key? */
static bool wants(const struct cp_redis_listener *l, const char *key, size_t len)
{
	for (const char *const *p = l->prefixes; p != NULL && *p != NULL; p++)
		if (len > strlen(*p) && memcmp(key, *p, strlen(*p)) == 0)
			return true;
	return false;
}

static void on_notification(const redisReply *r)
{
	/* ["pmessage", pattern, "__keyspace@<db>__:<key>", event] */
	const char *ch, *key;
	size_t len;

	if (r->elements != 4 || r->element[2]->type != REDIS_REPLY_STRING)
		return;
	ch = r->element[2]->str;
	key = strstr(ch, "__:");
	if (key == NULL)
		return;
	key += 3;
	len = r->element[2]->len - (size_t)(key - ch);
	rd.st.notifications_seen++;
	/* every listener of the prefix: sbc:deny:<ip> is the denylist's (cp_deny.c) and the
	 * registrar's (a DEL lifts its own lockout too) */
	for (unsigned int i = 0; i < rd.n_ls; i++)
		if (rd.ls[i]->changed != NULL && wants(rd.ls[i], key, len))
			rd.ls[i]->changed(key, len);
}

static void on_psub(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	int *want = priv;
	char e[200];

	(void)ac;
	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_ERROR) {
		cp_redis_reply_text(r, e, sizeof(e));
		teardown("PSUBSCRIBE refused", e);
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return;
	if (strcmp(r->element[0]->str, "pmessage") == 0) {
		on_notification(r);
	} else if (strcmp(r->element[0]->str, "psubscribe") == 0) {
		if (++rd.psub_count == *want) {
			rd.sub_ready = true;
			maybe_up();
		}
	}
}

/* PSUBSCRIBE __keyspace@<db>__:<prefix>* for every prefix of every listener. */
static void subscribe(void)
{
	static int n_patterns;
	char pat[PATTERNS_MAX][96];
	const char *argv[PATTERNS_MAX + 1] = { "PSUBSCRIBE" };
	size_t lens[PATTERNS_MAX + 1];
	int n = 0;

	for (unsigned int i = 0; i < rd.n_ls; i++)
		for (const char *const *p = rd.ls[i]->prefixes; p && *p && n < PATTERNS_MAX; p++) {
			snprintf(pat[n], sizeof(pat[n]), "__keyspace@%u__:%s*",
				 rd.cfg->redis_database, *p);
			argv[n + 1] = pat[n];
			n++;
		}
	n_patterns = n;
	if (n == 0) {
		rd.sub_ready = true;
		return;
	}
	for (int i = 0; i <= n; i++)
		lens[i] = strlen(argv[i]);
	redisAsyncCommandArgv(rd.sub, on_psub, &n_patterns, n + 1, argv, lens);
}

/* ------------------------------------------------------------------------------------------ */
/* Command connection: AUTH, SELECT, notify-keyspace-events, the roles' prepare() */

static void on_must_ok(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	char e[200];

	(void)ac;
	if (r == NULL || r->type != REDIS_REPLY_ERROR)
		return;
	cp_redis_reply_text(r, e, sizeof(e));
	teardown(priv, e);
}

static void on_cmd_ready(redisAsyncContext *ac, void *reply, void *priv)
{
	(void)ac;
	(void)priv;
	if (reply == NULL)
		return;
	rd.cmd_ready = true;
	maybe_up();
}

/* Notifications settled: the roles' own set-up, then a PING that says all before it is done. */
static void after_config(void)
{
	tell_listeners(HOOK_PREPARE);
	redisAsyncCommand(rd.cmd, on_cmd_ready, NULL, "PING");
}

static void on_config_set(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	const char *want = priv;

	(void)ac;
	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_ERROR) {
		cp_log(CP_ERR, "Redis refused CONFIG SET notify-keyspace-events (%.*s): set "
		       "'notify-keyspace-events %s' in redis.conf (it needs at least the flags "
		       "%s); until then every key is re-read once a second",
		       (int)r->len, r->str, want, NEED_FLAGS);
		rd.poll_mode = true;
	} else {
		cp_log(CP_INFO, "Redis notify-keyspace-events set to '%s'", want);
	}
	after_config();
}

/* have + the flags of NEED_FLAGS it lacks ('A' stands for g$lshzxe(t): all we need but K). */
static void flags_wanted(const char *have, char *want, size_t len)
{
	snprintf(want, len, "%s", have);
	for (const char *f = NEED_FLAGS; *f; f++) {
		size_t l = strlen(want);

		if (strchr(want, *f) != NULL || (*f != 'K' && strchr(want, 'A') != NULL))
			continue;
		if (l + 1 < len) {
			want[l] = *f;
			want[l + 1] = '\0';
		}
	}
}

static void on_config_get(redisAsyncContext *ac, void *reply, void *priv)
{
	static char want[64];
	redisReply *r = reply;
	const char *have = "";

	(void)ac;
	(void)priv;
	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[1]->type == REDIS_REPLY_STRING)
		have = r->element[1]->str;
	rd.poll_mode = false;
	flags_wanted(have, want, sizeof(want));
	if (strcmp(want, have) == 0 && r->type == REDIS_REPLY_ARRAY) {
		after_config();
		return;
	}
	redisAsyncCommand(rd.cmd, on_config_set, want, "CONFIG SET notify-keyspace-events %s",
			  want);
}

/* ------------------------------------------------------------------------------------------ */
/* Connections */

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	(void)status;
	if (ac == rd.cmd)
		rd.cmd = NULL;
	else if (ac == rd.sub)
		rd.sub = NULL;
	else
		return;		/* one we are freeing ourselves */
	teardown("connection lost", ac->errstr[0] ? ac->errstr : "closed by the server");
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	if (status == REDIS_OK)
		return;
	/* hiredis frees ac after this callback */
	if (ac == rd.cmd)
		rd.cmd = NULL;
	else if (ac == rd.sub)
		rd.sub = NULL;
	teardown("cannot connect", ac->errstr);
}

/*
 * hiredis frees a reply when its callback returns; a reader that keeps one (a big SMEMBERS the
 * policy parses in slices) says so with cp_redis_keep_reply and frees it itself, in slices
 * (cp_redis_free_some): freeing a million-element reply at once stalls the loop ~0.1 s.
 */
static redisReplyObjectFunctions reply_fns;
static void (*reply_free_default)(void *);
static void *reply_kept;

static void reply_free(void *r)
{
	if (r != NULL && r == reply_kept) {
		reply_kept = NULL;
		return;
	}
	reply_free_default(r);
}

void cp_redis_keep_reply(redisReply *r)
{
	reply_kept = r;
}

bool cp_redis_free_some(redisReply *r, uint32_t budget)
{
	/* from the end: the array's count is the state */
	while (budget-- > 0 && r->elements > 0)
		freeReplyObject(r->element[--r->elements]);
	if (r->elements > 0)
		return false;
	freeReplyObject(r);
	return true;
}

static void keep_replies_hook(redisAsyncContext *ac)
{
	if (reply_free_default == NULL) {
		reply_fns = *ac->c.reader->fn;
		reply_free_default = reply_fns.freeObject;
		reply_fns.freeObject = reply_free;
	}
	ac->c.reader->fn = &reply_fns;
}

static redisAsyncContext *open_one(void)
{
	redisAsyncContext *ac = rd.unix_path[0] ? redisAsyncConnectUnix(rd.unix_path) :
						  redisAsyncConnect(rd.host, rd.port);

	if (ac == NULL)
		return NULL;
	if (ac->err) {
		snprintf(rd.last_err, sizeof(rd.last_err), "%s", ac->errstr);
		redisAsyncFree(ac);
		return NULL;
	}
	if (su_redis_attach(rd.root, ac) != REDIS_OK) {
		redisAsyncFree(ac);
		return NULL;
	}
	keep_replies_hook(ac);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	if (rd.cfg->redis_password[0])
		redisAsyncCommand(ac, on_must_ok, (char *)"AUTH refused", "AUTH %s",
				  rd.cfg->redis_password);
	return ac;
}

static void connect_all(void)
{
	rd.cmd_ready = rd.sub_ready = rd.up = false;
	rd.psub_count = 0;
	rd.ping_sent = 0;
	rd.cmd = open_one();
	rd.sub = rd.cmd ? open_one() : NULL;
	if (rd.cmd == NULL || rd.sub == NULL) {
		teardown("cannot connect", rd.last_err[0] ? rd.last_err : "out of memory");
		return;
	}
	redisAsyncCommand(rd.cmd, on_must_ok, (char *)"SELECT refused", "SELECT %u",
			  rd.cfg->redis_database);
	redisAsyncCommand(rd.cmd, on_config_get, NULL, "CONFIG GET notify-keyspace-events");
	subscribe();
}

static void teardown(const char *why, const char *detail)
{
	redisAsyncContext *a = rd.cmd, *b = rd.sub;
	char msg[sizeof(rd.last_err)];

	rd.cmd = rd.sub = NULL;
	rd.cmd_ready = rd.sub_ready = false;
	if (rd.up)
		rd.st.reconnects++;
	rd.up = false;
	tell_listeners(HOOK_DOWN);
	snprintf(msg, sizeof(msg), "%s: %s", why, detail ? detail : "");
	rd.backoff_ms = rd.backoff_ms ? rd.backoff_ms * 2 : BACKOFF_MIN_MS;
	if (rd.backoff_ms > BACKOFF_MAX_MS)
		rd.backoff_ms = BACKOFF_MAX_MS;
	rd.reconnect_at = now_ms() + rd.backoff_ms;
	if (strcmp(msg, rd.last_err) != 0)
		cp_log(CP_WARN, "Redis %s: %s; the data plane keeps the last state; retrying "
		       "(up to every %d s)", rd.cfg->redis_address, msg, BACKOFF_MAX_MS / 1000);
	snprintf(rd.last_err, sizeof(rd.last_err), "%s", msg);
	/* frees run their pending callbacks with no reply and our disconnect callback, which
	 * finds neither pointer any more */
	if (a)
		redisAsyncFree(a);
	if (b)
		redisAsyncFree(b);
}

static void on_pong(redisAsyncContext *ac, void *reply, void *priv)
{
	(void)ac;
	(void)priv;
	if (reply != NULL)
		rd.ping_sent = 0;
}

/* A PING a second; no PONG within PING_TIMEOUT_MS and Redis counts as gone. */
static void watch(uint64_t now)
{
	char why[32];

	if (rd.ping_sent != 0 && now - rd.ping_sent > PING_TIMEOUT_MS) {
		snprintf(why, sizeof(why), "for %d s", PING_TIMEOUT_MS / 1000);
		teardown("no answer to PING", why);
		return;
	}
	if (rd.ping_sent == 0 && now - rd.last_ping >= PING_EVERY_MS) {
		rd.last_ping = rd.ping_sent = now;
		redisAsyncCommand(rd.cmd, on_pong, NULL, "PING");
	}
}

static void tick(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	uint64_t now = now_ms();

	(void)magic;
	(void)t;
	(void)arg;
	/* A stall of our own loop (a million-member set being applied) is not Redis's silence. */
	if (rd.ping_sent != 0 && rd.last_tick != 0 && now - rd.last_tick > 4 * TICK_MS)
		rd.ping_sent += now - rd.last_tick;
	rd.last_tick = now;
	if (rd.cmd == NULL && rd.sub == NULL) {
		if (now >= rd.reconnect_at)
			connect_all();
		return;
	}
	if (!rd.up)
		return;
	watch(now);
	if (rd.up && rd.poll_mode && now - rd.last_poll >= POLL_EVERY_MS) {
		rd.last_poll = now;
		tell_listeners(HOOK_POLL);
	}
}

static int parse_address(const char *a)
{
	return sbc_redis_address(a, rd.host, sizeof(rd.host), &rd.port, rd.unix_path,
				 sizeof(rd.unix_path));
}

int cp_redis_start(su_root_t *root, const struct sbc_config *cfg)
{
	rd.cfg = cfg;
	rd.root = root;
	if (parse_address(cfg->redis_address) != 0) {
		cp_log(CP_ERR, "%s: [redis] address '%s' is not host:port, [v6]:port or unix:/path",
		       cfg->path, cfg->redis_address);
		return -EINVAL;
	}
	rd.timer = su_timer_create(su_root_task(root), TICK_MS);
	if (rd.timer == NULL || su_timer_set_for_ever(rd.timer, tick, NULL) != 0)
		return -ENOMEM;
	connect_all();
	return 0;
}

void cp_redis_stop(void)
{
	redisAsyncContext *a = rd.cmd, *b = rd.sub;

	if (rd.timer) {
		su_timer_destroy(rd.timer);
		rd.timer = NULL;
	}
	rd.cmd = rd.sub = NULL;
	rd.up = false;
	if (a)
		redisAsyncFree(a);
	if (b)
		redisAsyncFree(b);
}
