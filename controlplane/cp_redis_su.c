/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hiredis on Sofia-SIP's event loop: the five hooks of a redisAsyncContext mapped onto one
 * su_wait_t registered with su_root (read/write interest changed with su_root_eventmask), so
 * Redis and SIP signalling share one loop and one thread.
 *
 * hiredis may free the context (and call our cleanup hook) from inside redisAsyncHandleRead or
 * HandleWrite; the adapter then only marks itself dead and is freed once the wakeup returns.
 */
#include <stdlib.h>

#include <hiredis/async.h>
#include <sofia-sip/su_wait.h>

#include "cp_redis_su.h"

struct su_redis {
	su_root_t *root;
	redisAsyncContext *ac;
	su_wait_t wait;
	int index;		/* su_root registration, 0 = none */
	int events;		/* SU_WAIT_IN | SU_WAIT_OUT wanted by hiredis */
	bool in_wakeup, dead;
};

static void release(struct su_redis *e)
{
	if (e->index > 0)
		su_root_deregister(e->root, e->index);
	e->index = 0;
	free(e);
}

static int wakeup(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct su_redis *e = (struct su_redis *)arg;
	int ev = su_wait_events(w, e->ac->c.fd);

	(void)magic;
	e->in_wakeup = true;
	if (ev & (SU_WAIT_OUT | SU_WAIT_ERR | SU_WAIT_HUP))
		redisAsyncHandleWrite(e->ac);
	if (!e->dead && (ev & (SU_WAIT_IN | SU_WAIT_ERR | SU_WAIT_HUP)))
		redisAsyncHandleRead(e->ac);
	e->in_wakeup = false;
	if (e->dead)
		release(e);
	return 0;
}

static void update(struct su_redis *e)
{
	if (e->dead)
		return;
	if (e->index <= 0) {
		if (e->events == 0)
			return;
		if (su_wait_create(&e->wait, e->ac->c.fd, e->events) != 0)
			return;
		e->index = su_root_register(e->root, &e->wait, wakeup, (su_wakeup_arg_t *)e, 0);
		if (e->index <= 0)
			e->index = 0;
		return;
	}
	su_root_eventmask(e->root, e->index, e->ac->c.fd, e->events);
}

static void add_read(void *p)
{
	struct su_redis *e = p;

	e->events |= SU_WAIT_IN;
	update(e);
}

static void del_read(void *p)
{
	struct su_redis *e = p;

	e->events &= ~SU_WAIT_IN;
	update(e);
}

static void add_write(void *p)
{
	struct su_redis *e = p;

	e->events |= SU_WAIT_OUT;
	update(e);
}

static void del_write(void *p)
{
	struct su_redis *e = p;

	e->events &= ~SU_WAIT_OUT;
	update(e);
}

static void cleanup(void *p)
{
	struct su_redis *e = p;

	e->dead = true;
	if (e->index > 0)
		su_root_deregister(e->root, e->index);
	e->index = 0;
	if (!e->in_wakeup)
		free(e);
}

int su_redis_attach(su_root_t *root, redisAsyncContext *ac)
{
	struct su_redis *e;

	if (ac->ev.data != NULL)
		return REDIS_ERR;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return REDIS_ERR;
	e->root = root;
	e->ac = ac;
	ac->ev.addRead = add_read;
	ac->ev.delRead = del_read;
	ac->ev.addWrite = add_write;
	ac->ev.delWrite = del_write;
	ac->ev.cleanup = cleanup;
	ac->ev.data = e;
	return REDIS_OK;
}
