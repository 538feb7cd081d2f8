/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Redis, the source of truth, through two async hiredis connections on su_root: `cmd` reads
 * keys, `sub` holds the PSUBSCRIBE to keyspace notifications of sbc:acl:* and sbc:limits:*.
 *
 * Order on every (re)connect: AUTH/SELECT, make sure notify-keyspace-events carries what we
 * need (or say exactly what to set, and poll once a second instead), seed sbc:acl:<trunk> from
 * the configuration where it never existed, subscribe, and only then read every key in full:
 * a change made while we were away, or between subscribing and reading, is never missed.
 * A notification re-reads that one key; reads of one key never overlap (a notification during
 * a read asks for one more read after it). A silent Redis (no PONG in 3 s) counts as gone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <sofia-sip/su_wait.h>

#include "cp.h"
#include "cp_redis_su.h"

#define TICK_MS 100
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define PING_EVERY_MS 1000
#define PING_TIMEOUT_MS 5000
#define POLL_EVERY_MS 1000	/* full re-read when keyspace notifications are unavailable */
#define SEED_CHUNK 1000

/* Notifications we need: K keyspace channel, g generic (del, rename, expire), s set, h hash,
 * x expired, e evicted. */
static const char NEED_FLAGS[] = "Kgshxe";

/*
 * Seed a trunk's allowlist from the configuration once: only when sbc:acl:<trunk> does not
 * exist and the trunk was never seeded before (sbc:seeded:<trunk>), so an operator's DEL is
 * not undone by the next restart. Atomic (one script).
 */
static const char SEED_LUA[] =
	"if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end "
	"redis.call('SET', KEYS[2], ARGV[1]) "
	"if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end "
	"for i = 2, #ARGV, " "1000" " do "
	"  redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV))) "
	"end "
	"return 1";

static struct {
	su_root_t *root;
	su_timer_t *timer;
	redisAsyncContext *cmd, *sub;
	bool cmd_ready, sub_ready, up, poll_mode;
	int psub_count;
	char host[sizeof(cp.cfg.redis_address)], unix_path[sizeof(cp.cfg.redis_address)];
	int port;
	uint64_t backoff_ms, reconnect_at, last_poll;
	uint64_t ping_sent;	/* 0 = none outstanding */
	uint64_t last_ping;
	uint64_t last_tick;
	char last_err[256];
	bool ever_up;
} rd;

static uint64_t now_ms(void)
{
	return sbc_mono_ns() / 1000000ull;
}

static void teardown(const char *why, const char *detail);

/* ------------------------------------------------------------------------------------------ */

static void reply_error_text(const redisReply *r, char *buf, size_t len)
{
	if (r == NULL)
		snprintf(buf, len, "no reply");
	else if (r->type == REDIS_REPLY_ERROR)
		snprintf(buf, len, "%.*s", (int)r->len, r->str);
	else
		snprintf(buf, len, "unexpected reply type %d", r->type);
}

/*
 * A full read of one of a trunk's keys came back: hand the strings of the array to the policy,
 * or say once that the key is not of the type it must be (the state in force stays).
 */
static void key_read(struct cp_trunk *t, const redisReply *r, const char *key, const char *type,
		     bool *type_logged,
		     void (*apply)(struct cp_trunk *, const char *const *, const size_t *, size_t))
{
	if (r->type == REDIS_REPLY_ARRAY) {
		const char **v = calloc(r->elements ? r->elements : 1, sizeof(*v));
		size_t *l = calloc(r->elements ? r->elements : 1, sizeof(*l));

		if (v == NULL || l == NULL) {
			cp_log(CP_ERR, "%s: out of memory for %zu values; the state in force stays",
			       key, r->elements);
		} else {
			uint64_t t0 = sbc_mono_ns();

			for (size_t i = 0; i < r->elements; i++) {
				v[i] = r->element[i]->str ? r->element[i]->str : "";
				l[i] = r->element[i]->str ? r->element[i]->len : 0;
			}
			apply(t, v, l, r->elements);
			*type_logged = false;
			cp_log(CP_DEBUG, "%s: %zu values read, applied to the policy in %.3f ms "
			       "(%zu commands queued)", key, r->elements, (sbc_mono_ns() - t0) / 1e6,
			       cp_chan_queued());
		}
		free(v);
		free(l);
	} else if (!*type_logged) {
		char e[200];

		reply_error_text(r, e, sizeof(e));
		cp_log(CP_ERR, "%s: cannot read it as a %s (%s); the state in force stays", key, type,
		       e);
		*type_logged = true;
		cp.st.bad_values++;
	}
}

static void on_acl(redisAsyncContext *ac, void *reply, void *priv)
{
	struct cp_trunk *t = priv;

	(void)ac;
	if (reply == NULL)
		return;		/* connection gone: the replay after reconnect reads it */
	t->acl_reading = false;
	key_read(t, reply, t->acl_key, "SET", &t->acl_type_logged, cp_policy_acl_read);
	if (t->acl_again) {
		t->acl_again = false;
		cp_redis_read_acl(t);
	}
}

void cp_redis_read_acl(struct cp_trunk *t)
{
	if (!rd.cmd_ready)
		return;
	if (t->acl_reading) {
		t->acl_again = true;
		return;
	}
	if (redisAsyncCommand(rd.cmd, on_acl, t, "SMEMBERS %s", t->acl_key) == REDIS_OK)
		t->acl_reading = true;
}

static void on_limits(redisAsyncContext *ac, void *reply, void *priv)
{
	struct cp_trunk *t = priv;

	(void)ac;
	if (reply == NULL)
		return;
	t->limits_reading = false;
	key_read(t, reply, t->limits_key, "HASH", &t->limits_type_logged, cp_policy_limits_read);
	if (t->limits_again) {
		t->limits_again = false;
		cp_redis_read_limits(t);
	}
}

void cp_redis_read_limits(struct cp_trunk *t)
{
	if (!rd.cmd_ready)
		return;
	if (t->limits_reading) {
		t->limits_again = true;
		return;
	}
	if (redisAsyncCommand(rd.cmd, on_limits, t, "HGETALL %s", t->limits_key) == REDIS_OK)
		t->limits_reading = true;
}

/* A key under our prefixes: its trunk, or reported as unknown. */
static struct cp_trunk *key_trunk(const char *key, size_t len, bool *is_acl)
{
	static const char acl[] = "sbc:acl:", lim[] = "sbc:limits:";
	struct cp_trunk *t;
	size_t skip;

	if (len > sizeof(acl) - 1 && memcmp(key, acl, sizeof(acl) - 1) == 0) {
		*is_acl = true;
		skip = sizeof(acl) - 1;
	} else if (len > sizeof(lim) - 1 && memcmp(key, lim, sizeof(lim) - 1) == 0) {
		*is_acl = false;
		skip = sizeof(lim) - 1;
	} else {
		return NULL;
	}
	t = cp_trunk_by_name(key + skip, len - skip);
	if (t == NULL)
		cp_policy_unknown_key(key, len);
	return t;
}

/* SCAN for keys of trunks that do not exist (they are reported, once). */
static void on_scan(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	const char *pattern = priv;

	(void)ac;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i < r->element[1]->elements; i++) {
		const redisReply *k = r->element[1]->element[i];
		bool is_acl;

		if (k->type == REDIS_REPLY_STRING)
			key_trunk(k->str, k->len, &is_acl);
	}
	if (strcmp(r->element[0]->str, "0") != 0 && rd.cmd_ready)
		redisAsyncCommand(rd.cmd, on_scan, priv, "SCAN %s MATCH %s COUNT 1000",
				  r->element[0]->str, pattern);
}

static void replay(void)
{
	static char acl_pat[] = "sbc:acl:*", lim_pat[] = "sbc:limits:*";

	cp.st.replays++;
	for (unsigned int i = 0; i < cp.n_trunks; i++) {
		cp_redis_read_acl(&cp.trunks[i]);
		cp_redis_read_limits(&cp.trunks[i]);
	}
	redisAsyncCommand(rd.cmd, on_scan, acl_pat, "SCAN 0 MATCH %s COUNT 1000", acl_pat);
	redisAsyncCommand(rd.cmd, on_scan, lim_pat, "SCAN 0 MATCH %s COUNT 1000", lim_pat);
}

static void maybe_up(void)
{
	if (!rd.cmd_ready || !rd.sub_ready || rd.up)
		return;
	rd.up = true;
	cp.redis_up = true;
	cp.notifications = !rd.poll_mode;
	rd.backoff_ms = 0;
	rd.last_err[0] = '\0';
	cp_log(CP_INFO, "Redis %s ready (%s): reading every key", cp.cfg.redis_address,
	       rd.poll_mode ? "no keyspace notifications: polling every second" :
			      "keyspace notifications on");
	rd.ever_up = true;
	rd.last_poll = now_ms();
	replay();
	cp_cdr_flush();
}

/* ------------------------------------------------------------------------------------------ */
/* Call records */

static void on_xadd(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	static bool logged;

	(void)ac;
	(void)priv;
	if (r != NULL && r->type == REDIS_REPLY_ERROR && !logged) {
		cp_log(CP_ERR, "sbc:cdr: XADD refused: %.*s", (int)r->len, r->str);
		logged = true;
	}
}

int cp_redis_write_cdr(const struct cp_cdr *c)
{
	char start[24], end[24], dur[24];

	if (!rd.up)
		return -1;
	snprintf(start, sizeof(start), "%llu", (unsigned long long)(c->start_ns / 1000000));
	snprintf(end, sizeof(end), "%llu", (unsigned long long)(c->end_ns / 1000000));
	snprintf(dur, sizeof(dur), "%llu", c->start_ns && c->end_ns > c->start_ns ?
		 (unsigned long long)((c->end_ns - c->start_ns) / 1000000) : 0ull);
	return redisAsyncCommand(rd.cmd, on_xadd, NULL,
				 "XADD sbc:cdr MAXLEN ~ 1000000 * trunk %s call_id %s end %s "
				 "emergency %d start_ms %s end_ms %s duration_ms %s",
				 cp.cfg.trunks[c->trunk].name, c->call_id,
				 sbc_call_end_names[c->reason], c->emergency, start, end,
				 dur) == REDIS_OK ? 0 : -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Subscriber connection */

static void on_notification(const redisReply *r)
{
	/* ["pmessage", pattern, "__keyspace@<db>__:<key>", event] */
	const char *ch, *key;
	struct cp_trunk *t;
	bool is_acl;

	if (r->elements != 4 || r->element[2]->type != REDIS_REPLY_STRING)
		return;
	ch = r->element[2]->str;
	key = strstr(ch, "__:");
	if (key == NULL)
		return;
	key += 3;
	cp.st.notifications_seen++;
	t = key_trunk(key, r->element[2]->len - (size_t)(key - ch), &is_acl);
	if (t == NULL)
		return;
	if (is_acl)
		cp_redis_read_acl(t);
	else
		cp_redis_read_limits(t);
}

static void on_psub(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;

	(void)ac;
	(void)priv;
	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_ERROR) {
		char e[200];

		reply_error_text(r, e, sizeof(e));
		teardown("PSUBSCRIBE refused", e);
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return;
	if (strcmp(r->element[0]->str, "pmessage") == 0) {
		on_notification(r);
	} else if (strcmp(r->element[0]->str, "psubscribe") == 0) {
		if (++rd.psub_count == 2) {
			rd.sub_ready = true;
			maybe_up();
		}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Command connection: AUTH, SELECT, notify-keyspace-events, seeding */

static void on_must_ok(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;

	(void)ac;
	if (r == NULL || r->type != REDIS_REPLY_ERROR)
		return;
	char e[200];

	reply_error_text(r, e, sizeof(e));
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

static void on_seed(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	struct cp_trunk *t = priv;

	(void)ac;
	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_INTEGER && r->integer == 1) {
		cp_log(CP_INFO, "%s: seeded with the %u peers of [trunk %s]", t->acl_key,
		       t->cfg->n_peers, t->cfg->name);
	} else if (r->type == REDIS_REPLY_ERROR) {
		char e[200];

		reply_error_text(r, e, sizeof(e));
		cp_log(CP_ERR, "%s: seeding from the configuration failed: %s", t->acl_key, e);
	}
}

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
	snprintf(note, sizeof(note), "from %.100s", cp.cfg.path);
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
	redisAsyncCommandArgv(rd.cmd, on_seed, t, (int)k, argv, lens);
out:
	free(argv);
	free(lens);
	free(txt);
}

static void after_config(void)
{
	for (unsigned int i = 0; i < cp.n_trunks; i++)
		if (cp.trunks[i].cfg->n_peers > 0)
			seed(&cp.trunks[i]);
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
	/* 'A' stands for g$lshzxe(t): all we need but K */
	snprintf(want, sizeof(want), "%s", have);
	for (const char *f = NEED_FLAGS; *f; f++)
		if (strchr(want, *f) == NULL && !(*f != 'K' && strchr(want, 'A') != NULL)) {
			size_t l = strlen(want);

			if (l + 1 < sizeof(want)) {
				want[l] = *f;
				want[l + 1] = '\0';
			}
		}
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
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	if (cp.cfg.redis_password[0])
		redisAsyncCommand(ac, on_must_ok, (char *)"AUTH refused", "AUTH %s", cp.cfg.redis_password);
	return ac;
}

static void connect_all(void)
{
	char pat_acl[64], pat_lim[64];

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
			  cp.cfg.redis_database);
	redisAsyncCommand(rd.cmd, on_config_get, NULL, "CONFIG GET notify-keyspace-events");
	snprintf(pat_acl, sizeof(pat_acl), "__keyspace@%u__:sbc:acl:*", cp.cfg.redis_database);
	snprintf(pat_lim, sizeof(pat_lim), "__keyspace@%u__:sbc:limits:*", cp.cfg.redis_database);
	redisAsyncCommand(rd.sub, on_psub, NULL, "PSUBSCRIBE %s %s", pat_acl, pat_lim);
}

static void teardown(const char *why, const char *detail)
{
	redisAsyncContext *a = rd.cmd, *b = rd.sub;
	char msg[sizeof(rd.last_err)];

	rd.cmd = rd.sub = NULL;
	rd.cmd_ready = rd.sub_ready = false;
	if (rd.up)
		cp.st.redis_reconnects++;
	rd.up = false;
	cp.redis_up = false;
	cp.notifications = false;
	for (unsigned int i = 0; i < cp.n_trunks; i++) {
		struct cp_trunk *t = &cp.trunks[i];

		t->acl_reading = t->acl_again = t->limits_reading = t->limits_again = false;
	}
	snprintf(msg, sizeof(msg), "%s: %s", why, detail ? detail : "");
	rd.backoff_ms = rd.backoff_ms ? rd.backoff_ms * 2 : BACKOFF_MIN_MS;
	if (rd.backoff_ms > BACKOFF_MAX_MS)
		rd.backoff_ms = BACKOFF_MAX_MS;
	rd.reconnect_at = now_ms() + rd.backoff_ms;
	if (strcmp(msg, rd.last_err) != 0)
		cp_log(CP_WARN, "Redis %s: %s; the data plane keeps the last state; retrying "
		       "(up to every %d s)", cp.cfg.redis_address, msg, BACKOFF_MAX_MS / 1000);
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
	if (rd.ping_sent != 0 && now - rd.ping_sent > PING_TIMEOUT_MS) {
		teardown("no answer to PING", "for 5 s");
		return;
	}
	if (rd.ping_sent == 0 && now - rd.last_ping >= PING_EVERY_MS) {
		rd.last_ping = rd.ping_sent = now;
		redisAsyncCommand(rd.cmd, on_pong, NULL, "PING");
	}
	if (rd.poll_mode && now - rd.last_poll >= POLL_EVERY_MS) {
		rd.last_poll = now;
		replay();
	}
}

static int parse_address(const char *a)
{
	const char *colon;
	char *end;
	long port = 6379;

	if (strncmp(a, "unix:", 5) == 0) {
		snprintf(rd.unix_path, sizeof(rd.unix_path), "%.*s", (int)sizeof(rd.unix_path) - 1, a + 5);
		return rd.unix_path[0] ? 0 : -EINVAL;
	}
	if (a[0] == '[') {
		colon = strchr(a, ']');
		if (colon == NULL)
			return -EINVAL;
		snprintf(rd.host, sizeof(rd.host), "%.*s", (int)(colon - a - 1), a + 1);
		colon = colon[1] == ':' ? colon + 1 : NULL;
	} else {
		colon = strrchr(a, ':');
		if (colon != NULL && strchr(a, ':') != colon)
			colon = NULL;	/* a bare IPv6 address */
		snprintf(rd.host, sizeof(rd.host), "%.*s",
			 colon ? (int)(colon - a) : (int)strlen(a), a);
	}
	if (colon != NULL) {
		port = strtol(colon + 1, &end, 10);
		if (*end != '\0' || port < 1 || port > 65535)
			return -EINVAL;
	}
	rd.port = (int)port;
	return rd.host[0] ? 0 : -EINVAL;
}

int cp_redis_start(su_root_t *root)
{
	rd.root = root;
	if (parse_address(cp.cfg.redis_address) != 0) {
		cp_log(CP_ERR, "%s: [redis] address '%s' is not host:port, [v6]:port or unix:/path",
		       cp.cfg.path, cp.cfg.redis_address);
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
	if (a)
		redisAsyncFree(a);
	if (b)
		redisAsyncFree(b);
}
