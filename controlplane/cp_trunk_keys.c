/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The B2BUA's trunk keys in Redis. sbc:route:<trunk>: LRANGE 0 -1 on every (re)connect and on
 * each keyspace event; the names go to cp_route, which skips bad ones (reported once per trunk
 * and list: a list that changes is reported again); a key that is gone gives the configured
 * route back, a key of another type keeps the route in force (said once). sbc:state:<trunk>:
 * HSET health, options_misses, calls_out, last_code; changes are coalesced for 50 ms so a burst
 * of calls costs one write per trunk, and everything is written again after a reconnect. Runs
 * on the su_root thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/su_wait.h>

#include "cp_log.h"
#include "cp_redis.h"
#include "cp_route.h"
#include "cp_trunk_keys.h"

#define FLUSH_MS 50
#define ROUTE_PREFIX "sbc:route:"

struct tk {
	bool dirty, reading, again;
	char bad[512];		/* the bad names (and why) last reported, to say them once */
	char badnow[512];
	bool type_logged;
};

static const char *const prefixes[] = { ROUTE_PREFIX, NULL };

static struct {
	const struct sbc_config *cfg;
	struct tk *t;
	su_timer_t *timer;
	bool scheduled;
} tk;

static void flush(su_root_magic_t *magic, su_timer_t *timer, su_timer_arg_t *arg);

void cp_trunk_keys_changed(unsigned int trunk)
{
	if (tk.t == NULL || trunk >= tk.cfg->n_trunks)
		return;
	tk.t[trunk].dirty = true;
	if (!tk.scheduled && tk.timer != NULL && su_timer_set(tk.timer, flush, NULL) == 0)
		tk.scheduled = true;
}

static void write_state(unsigned int i)
{
	const struct cp_route_trunk *r = cp_route_trunk(i);

	cp_redis_command(NULL, NULL, "HSET sbc:state:%s health %s options_misses %u calls_out %u "
			 "last_code %d", tk.cfg->trunks[i].name, r->up ? "up" : "down", r->misses,
			 r->calls_out, r->last_code);
	if (tk.cfg->trunks[i].reg)
		cp_redis_command(NULL, NULL, "HSET sbc:state:%s registration %s reg_expires %llu "
				 "reg_failures %u reg_last_code %d", tk.cfg->trunks[i].name,
				 cp_reg_state_name(r->reg), (unsigned long long)r->reg_expires,
				 r->reg_failures, r->reg_code);
}

static void flush(su_root_magic_t *magic, su_timer_t *timer, su_timer_arg_t *arg)
{
	(void)magic, (void)timer, (void)arg;
	tk.scheduled = false;
	if (!cp_redis_up())
		return;		/* everything is written at the next up() */
	for (unsigned int i = 0; i < tk.cfg->n_trunks; i++)
		if (tk.t[i].dirty) {
			tk.t[i].dirty = false;
			write_state(i);
		}
}

static void on_bad(void *arg, const char *v, size_t len, const char *why)
{
	struct tk *t = arg;
	size_t n = strlen(t->badnow);

	snprintf(t->badnow + n, sizeof(t->badnow) - n, "%s'%.*s' (%s)", n ? ", " : "", (int)len, v,
		 why);
}

static void read_route(unsigned int i);

static void deliver(unsigned int i, const redisReply *r)
{
	struct tk *t = &tk.t[i];
	const char *v[SBC_ROUTE_MAX * 4];
	size_t l[SBC_ROUTE_MAX * 4], n = 0;

	if (r->type != REDIS_REPLY_ARRAY) {
		if (!t->type_logged)
			cp_log(CP_WARN, ROUTE_PREFIX "%s: not a LIST; the route in force stays",
			       tk.cfg->trunks[i].name);
		t->type_logged = true;
		return;
	}
	t->type_logged = false;
	for (size_t k = 0; k < r->elements && n < sizeof(v) / sizeof(v[0]); k++)
		if (r->element[k]->type == REDIS_REPLY_STRING) {
			v[n] = r->element[k]->str;
			l[n++] = r->element[k]->len;
		}
	t->badnow[0] = '\0';
	/* an empty LIST does not exist in Redis: no elements is the configured route */
	cp_route_override(i, r->elements > 0, v, l, n, on_bad, t);
	if (t->badnow[0] != '\0' && strcmp(t->badnow, t->bad) != 0)
		cp_log(CP_WARN, ROUTE_PREFIX "%s: skipped %s", tk.cfg->trunks[i].name, t->badnow);
	memcpy(t->bad, t->badnow, sizeof(t->bad));
}

static void on_read(redisAsyncContext *ac, void *reply, void *priv)
{
	unsigned int i = (unsigned int)(uintptr_t)priv;

	(void)ac;
	if (reply == NULL || tk.t == NULL)
		return;
	tk.t[i].reading = false;
	deliver(i, reply);
	if (tk.t[i].again) {
		tk.t[i].again = false;
		read_route(i);
	}
}

static void read_route(unsigned int i)
{
	if (!cp_redis_up())
		return;
	if (tk.t[i].reading) {
		tk.t[i].again = true;
		return;
	}
	if (cp_redis_command(on_read, (void *)(uintptr_t)i, "LRANGE " ROUTE_PREFIX "%s 0 -1",
			     tk.cfg->trunks[i].name) == 0)
		tk.t[i].reading = true;
}

static void on_up(void)
{
	for (unsigned int i = 0; i < tk.cfg->n_trunks; i++) {
		read_route(i);
		if (tk.cfg->trunks[i].uri[0] != '\0')
			write_state(i);
	}
}

static void on_down(void)
{
	for (unsigned int i = 0; i < tk.cfg->n_trunks; i++)
		tk.t[i].reading = tk.t[i].again = false;
}

static void on_changed(const char *key, size_t len)
{
	size_t skip = strlen(ROUTE_PREFIX);
	char name[SBC_TRUNK_NAME_MAX];
	int i;

	if (len <= skip || len - skip >= sizeof(name))
		return;
	memcpy(name, key + skip, len - skip);
	name[len - skip] = '\0';
	i = sbc_config_trunk_index(tk.cfg, name);
	if (i >= 0)
		read_route((unsigned int)i);
}

static const struct cp_redis_listener listener = {
	.prefixes = prefixes,
	.up = on_up,
	.poll = on_up,
	.down = on_down,
	.changed = on_changed,
};

int cp_trunk_keys_init(struct su_root_s *root, const struct sbc_config *cfg)
{
	memset(&tk, 0, sizeof(tk));
	tk.cfg = cfg;
	tk.t = calloc(cfg->n_trunks ? cfg->n_trunks : 1, sizeof(*tk.t));
	tk.timer = su_timer_create(su_root_task(root), FLUSH_MS);
	if (tk.t == NULL || tk.timer == NULL)
		return -ENOMEM;
	return cp_redis_listen(&listener);
}

void cp_trunk_keys_stop(void)
{
	if (tk.timer != NULL)
		su_timer_destroy(tk.timer);
	tk.timer = NULL;
}

void cp_trunk_keys_fini(void)
{
	free(tk.t);
	memset(&tk, 0, sizeof(tk));
}
